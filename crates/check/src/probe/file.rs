//! FILE_CHECK: a number read from a file, scaled by the checker's weight.
//! As keepalived's, it follows the file with inotify (the scheduler's watch) and reads it with
//! keepalived's bounded, non-blocking read ([`read_value`]); also at each delay_loop.

use super::{DynamicWeight, Verdict};
use crate::config::FileCheckConfig;

/// keepalived treats a scaled value at or below this as a failure.
const WEIGHT_FAULT: i64 = -254;

/// The file is read in place, as keepalived reads it: one non-blocking read of at most
/// [`READ_MAX`] bytes of a regular file, on the checkers' thread (never the VRRP loop's), costs
/// less than a hand-off to tokio's blocking pool, whose first use starts a thread (tens of ms
/// under emulation, measured in bench/ipvs as a slow state change).
pub async fn check(cfg: &FileCheckConfig) -> Verdict {
    check_now(cfg)
}

/// [`check`] without the runtime, for the state at start-up (keepalived reads the file then too).
pub fn check_now(cfg: &FileCheckConfig) -> Verdict {
    match read_value(&cfg.path) {
        Some(v) => verdict_for_value(cfg, v),
        None => invalid(cfg),
    }
}

/// An out-of-range number: keepalived ignores the reading and keeps the last state; a probe
/// keeps none, so the check fails and says why.
fn invalid(cfg: &FileCheckConfig) -> Verdict {
    Verdict::down(format!(
        "{} holds an invalid number ({})",
        cfg.name,
        cfg.path.display()
    ))
}

/// keepalived reads a track file with one read() into `char buf[128]` (track_file.c
/// process_track_file): at most this many bytes.
pub const READ_MAX: usize = 127;

/// A tracked file's value as keepalived reads it, for FILE_CHECK and vrrp_track_file alike.
/// The file is opened non-blocking (a FIFO or device put in its place cannot block the open or
/// the read) and, unlike keepalived, read only when it is a regular file; one read of at most
/// [`READ_MAX`] bytes. A file that is missing, unreadable, empty or not a regular file reads as
/// 0, as keepalived treats a missing file. `None`: the number is out of keepalived's range and
/// the reading is ignored (keepalived logs "Invalid number ... - ignoring" and keeps the last value).
/// Symlinks are followed, as keepalived follows them (it resolves the path at start).
pub fn read_value(path: &std::path::Path) -> Option<i64> {
    use std::io::Read;
    use std::os::unix::fs::OpenOptionsExt;
    let Ok(mut f) = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)
    else {
        return Some(0);
    };
    if !f.metadata().is_ok_and(|m| m.file_type().is_file()) {
        return Some(0);
    }
    let mut buf = [0u8; READ_MAX];
    match f.read(&mut buf) {
        Ok(n) => parse_value(&buf[..n]),
        Err(_) => Some(0),
    }
}

/// keepalived's parse of a track file: `strtol(buf, NULL, 0)` (leading white space, a sign,
/// then hexadecimal after `0x`, octal after `0`, else decimal, up to the first other byte; no
/// digits is 0), refused (`None`) outside `INT32_MIN..=INT32_MAX + 1` or past `long`.
pub fn parse_value(bytes: &[u8]) -> Option<i64> {
    let mut s = bytes;
    while let [b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r', rest @ ..] = s {
        s = rest;
    }
    let negative = match s {
        [b'-', rest @ ..] => {
            s = rest;
            true
        }
        [b'+', rest @ ..] => {
            s = rest;
            false
        }
        _ => false,
    };
    let radix = match s {
        [b'0', b'x' | b'X', d, ..] if d.is_ascii_hexdigit() => {
            s = &s[2..];
            16
        }
        [b'0', ..] => 8,
        _ => 10,
    };
    let mut v: i128 = 0;
    for &b in s {
        let Some(d) = char::from(b).to_digit(radix) else {
            break;
        };
        // Past i64 (strtol's ERANGE) the value is refused below whatever follows.
        v = (v * i128::from(radix) + i128::from(d)).min(i128::from(i64::MAX) + 2);
    }
    let v = if negative { -v } else { v };
    let v = i64::try_from(v).ok()?;
    (i64::from(i32::MIN)..=i64::from(i32::MAX) + 1)
        .contains(&v)
        .then_some(v)
}

/// The verdict for the file's contents (keepalived's parse: [`parse_value`]).
pub fn verdict_for(cfg: &FileCheckConfig, text: &str) -> Verdict {
    match parse_value(text.as_bytes()) {
        Some(v) => verdict_for_value(cfg, v),
        None => invalid(cfg),
    }
}

/// The verdict for a value: at weight 0 any value but 0 is a failure (`reverse`: 0 is), as in
/// keepalived's update_track_file_status; else value x weight, a failure at -254 or below.
pub fn verdict_for_value(cfg: &FileCheckConfig, value: i64) -> Verdict {
    if cfg.weight == 0 {
        return if (value != 0) == cfg.reverse {
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
