//! MISC_CHECK: run `misc_path` through `sh -c` in its own process group; exit 0 is up, 1 down,
//! 2-255 up with weight status-2 under misc_dynamic. A script that overstays is killed, TERM then KILL.

use std::process::Stdio;
use std::time::Duration;

use nix::sys::signal::{Signal, killpg};
use nix::unistd::{Group, Pid, User};

use super::{DynamicWeight, Verdict};

/// Grace between TERM and KILL for a script past its timeout.
const KILL_GRACE: Duration = Duration::from_secs(1);

pub async fn check(
    path: &str,
    timeout: Duration,
    dynamic: bool,
    user: Option<&str>,
    group: Option<&str>,
) -> Verdict {
    let mut cmd = tokio::process::Command::new("/bin/sh");
    cmd.arg("-c")
        .arg(path)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0)
        .kill_on_drop(true);
    if let Some(u) = user {
        match User::from_name(u) {
            Ok(Some(u)) => {
                cmd.uid(u.uid.as_raw()).gid(u.gid.as_raw());
            }
            _ => return Verdict::down(format!("unknown user {u}")),
        }
    }
    if let Some(g) = group {
        match Group::from_name(g) {
            Ok(Some(g)) => {
                cmd.gid(g.gid.as_raw());
            }
            _ => return Verdict::down(format!("unknown group {g}")),
        }
    }
    let mut child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => return Verdict::down(format!("cannot run {path}: {e}")),
    };
    let pgid = child.id().map(|id| Pid::from_raw(id as i32));
    let status = match tokio::time::timeout(timeout, child.wait()).await {
        Ok(Ok(s)) => s,
        Ok(Err(e)) => return Verdict::down(format!("wait for {path}: {e}")),
        Err(_) => {
            if let Some(pg) = pgid {
                let _ = killpg(pg, Signal::SIGTERM);
                if tokio::time::timeout(KILL_GRACE, child.wait())
                    .await
                    .is_err()
                {
                    let _ = killpg(pg, Signal::SIGKILL);
                    let _ = child.wait().await;
                } else {
                    // The shell may be gone while its children linger in the group.
                    let _ = killpg(pg, Signal::SIGKILL);
                }
            }
            return Verdict::down("timed out");
        }
    };
    match std::os::unix::process::ExitStatusExt::signal(&status) {
        Some(sig) => Verdict::down(format!("due to signal {sig}")),
        None => verdict_for_status(status.code(), dynamic),
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
