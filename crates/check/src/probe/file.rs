//! FILE_CHECK: a number read from a file, scaled by the checker's weight.
//! keepalived watches the file with inotify; here it is read at each delay_loop.

use super::{DynamicWeight, Verdict};
use crate::config::FileCheckConfig;

/// keepalived treats a scaled value at or below this as a failure.
const WEIGHT_FAULT: i64 = -254;

/// The file is read in place, as keepalived reads it: a few bytes of a local file cost less than
/// a hand-off to tokio's blocking pool, whose first use starts a thread (tens of ms under
/// emulation, measured in bench/ipvs as a slow first state change).
pub async fn check(cfg: &FileCheckConfig) -> Verdict {
    check_now(cfg)
}

/// [`check`] without the runtime, for the state at start-up.
pub fn check_now(cfg: &FileCheckConfig) -> Verdict {
    match std::fs::read_to_string(&cfg.path) {
        Ok(t) => verdict_for(cfg, &t),
        Err(e) => Verdict::down(format!("cannot read {}: {e}", cfg.path.display())),
    }
}

/// The verdict for the file's contents (keepalived reads a leading integer; junk reads as 0).
pub fn verdict_for(cfg: &FileCheckConfig, text: &str) -> Verdict {
    let t = text.trim_start();
    let end = t
        .char_indices()
        .find(|&(i, c)| !(c.is_ascii_digit() || (i == 0 && (c == '-' || c == '+'))))
        .map_or(t.len(), |(i, _)| i);
    let value: i64 = t[..end].parse().unwrap_or(0);
    if cfg.weight == 0 {
        return if value == 0 {
            Verdict::up()
        } else {
            Verdict::down(format!("{} is {value}", cfg.name))
        };
    }
    let scaled = value
        .saturating_mul(cfg.weight)
        .saturating_mul(if cfg.reverse { -1 } else { 1 });
    if scaled <= WEIGHT_FAULT {
        return Verdict::down(format!("{} is {value}", cfg.name));
    }
    let mut v = Verdict::up();
    if cfg.dynamic {
        v.weight = Some(DynamicWeight::Add(scaled));
    }
    v
}
