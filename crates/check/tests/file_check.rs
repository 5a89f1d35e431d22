//! FILE_CHECK and vrrp_track_file read a file as keepalived does (security review M2): opened
//! non-blocking, regular files only, one read of at most 127 bytes, strtol's number.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::sync::mpsc;
use std::time::Duration;

use keepalived_check::FileCheckConfig;
use keepalived_check::probe::file::{READ_MAX, parse_value, read_value, verdict_for_value};

/// `read_value` on another thread; a reader that blocks fails the test instead of hanging it.
fn read_off_thread(p: &Path) -> Option<i64> {
    let (tx, rx) = mpsc::channel();
    let p = p.to_path_buf();
    std::thread::spawn(move || tx.send(read_value(&p)));
    rx.recv_timeout(Duration::from_secs(10))
        .expect("read_value blocked")
}

#[test]
fn strtol_base_0_and_keepalived_range() {
    assert_eq!(parse_value(b"5\n"), Some(5));
    assert_eq!(parse_value(b"  -20 junk"), Some(-20));
    assert_eq!(parse_value(b"+7"), Some(7));
    assert_eq!(parse_value(b"0x1f"), Some(31));
    assert_eq!(parse_value(b"-0X10"), Some(-16));
    assert_eq!(parse_value(b"010"), Some(8));
    assert_eq!(parse_value(b"08"), Some(0));
    assert_eq!(parse_value(b"0x"), Some(0));
    assert_eq!(parse_value(b""), Some(0));
    assert_eq!(parse_value(b"junk"), Some(0));
    assert_eq!(parse_value(b"2147483648"), Some(2_147_483_648));
    assert_eq!(parse_value(b"-2147483648"), Some(-2_147_483_648));
    assert_eq!(parse_value(b"2147483649"), None);
    assert_eq!(parse_value(b"-2147483649"), None);
    assert_eq!(parse_value(b"99999999999999999999999999"), None);
}

#[test]
fn bounded_non_blocking_regular_files_only() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("w");
    std::fs::write(&f, "42\n").unwrap();
    assert_eq!(read_off_thread(&f), Some(42));
    // One read of READ_MAX bytes: a number after that many spaces is not seen.
    assert_eq!(READ_MAX, 127);
    std::fs::write(&f, format!("{}5", " ".repeat(READ_MAX))).unwrap();
    assert_eq!(read_off_thread(&f), Some(0));
    std::fs::write(&f, format!("{}5", " ".repeat(READ_MAX - 1))).unwrap();
    assert_eq!(read_off_thread(&f), Some(5));
    // Missing: 0, as keepalived reads a missing track file.
    assert_eq!(read_off_thread(&dir.path().join("none")), Some(0));
    // A FIFO with no writer: neither the open nor the read may block; not a regular file: 0.
    let fifo = dir.path().join("fifo");
    nix::unistd::mkfifo(&fifo, nix::sys::stat::Mode::from_bits_truncate(0o600)).unwrap();
    assert_eq!(read_off_thread(&fifo), Some(0));
    // A symlink to an endless device: followed (as keepalived does), not read.
    let zero = dir.path().join("zero");
    std::os::unix::fs::symlink("/dev/zero", &zero).unwrap();
    assert_eq!(read_off_thread(&zero), Some(0));
    // A directory.
    assert_eq!(read_off_thread(dir.path()), Some(0));
}

#[test]
fn weight_zero_with_reverse_fails_on_zero() {
    let mut cfg = FileCheckConfig {
        path: "/nonexistent".into(),
        name: "tf".into(),
        weight: 0,
        reverse: false,
        dynamic: false,
    };
    assert!(verdict_for_value(&cfg, 0).ok);
    assert!(!verdict_for_value(&cfg, 3).ok);
    cfg.reverse = true;
    assert!(!verdict_for_value(&cfg, 0).ok);
    assert!(verdict_for_value(&cfg, 3).ok);
    cfg.reverse = false;
    cfg.weight = 2;
    assert!(verdict_for_value(&cfg, -126).ok);
    assert!(!verdict_for_value(&cfg, -127).ok);
}
