//! MISC_CHECK: run `misc_path` through keepalived-sys's script runner, as every other script:
//! argv split as keepalived splits it (no shell), as the checker's user or the default script
//! user, checked again under `enable_script_security` right before the run, in its own process
//! group with keepalived's child setup. Exit 0 is up, 1 down, 2-255 up with weight status-2
//! under misc_dynamic. A script that overstays is killed, TERM then KILL of its group.

use std::time::Duration;

use keepalived_sys::script::{Outcome, Script};

use super::{DynamicWeight, Verdict};

/// Grace between TERM and KILL for a script past its timeout.
const KILL_GRACE: Duration = Duration::from_secs(1);

pub async fn check(script: &Script, timeout: Duration, dynamic: bool) -> Verdict {
    let mut s = script.clone();
    s.timeout = Some(timeout);
    s.kill_grace = KILL_GRACE;
    match keepalived_sys::script::run(&s).await {
        Ok(Outcome::Exited(c)) => verdict_for_status(Some(c), dynamic),
        Ok(Outcome::Signaled(sig)) => Verdict::down(format!("due to signal {sig}")),
        Ok(Outcome::TimedOut) => Verdict::down("timed out"),
        Err(e) => Verdict::down(format!("cannot run {}: {e}", s.cmd_str())),
    }
}

/// keepalived's reading of an exit status (`None`: killed by a signal).
pub fn verdict_for_status(code: Option<i32>, dynamic: bool) -> Verdict {
    match code {
        Some(0) => {
            let mut v = Verdict::up();
            if dynamic {
                // Exit 0 under misc_dynamic keeps the configured weight.
                v.weight = None;
            }
            v
        }
        Some(c) if dynamic && (2..=255).contains(&c) => {
            let mut v = Verdict::up();
            v.weight = Some(DynamicWeight::Set(i64::from(c) - 2));
            v
        }
        Some(c) => Verdict::down(format!("exited with status {c}")),
        None => Verdict::down("killed by a signal"),
    }
}
