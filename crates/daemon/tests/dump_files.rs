//! The dump files of SIGUSR1, SIGUSR2 and SIGJSON against a local attacker (security review H1,
//! H2): in a private /tmp, another user planted a symlink to a victim file at
//! /tmp/keepalived.data, a world-writable file of theirs at /tmp/keepalived.stats and a FIFO at
//! /tmp/keepalived.json. As keepalived 2.2.7's `fopen_safe` does, each dump replaces what is at
//! its path with a new root-owned 0600 regular file; the victim is untouched; the FIFO freezes
//! nothing (the daemon still stops on SIGTERM). The daemon under test comes from
//! KEEPALIVED_UNDER_TEST. Needs root.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::os::unix::fs::MetadataExt;
use std::process::{Command, Stdio};
use std::time::Duration;

use common::{Lan, wait_until};
use testbed::{ChildGuard, skip_unless_root};

const VIP: &str = "10.98.0.100";

/// A master's configuration (VRID `vrid`, `vip`) written to `dir`/a.conf.
fn master_conf(dir: &std::path::Path, vrid: u8, vip: &str) -> std::path::PathBuf {
    let cf = dir.join("a.conf");
    let conf = common::Pair {
        vrid,
        advert_int: "0.1",
        vip,
        global: "",
        instance: "",
    }
    .conf("a", true);
    std::fs::write(&cf, conf).unwrap();
    cf
}

#[test]
fn dumps_replace_a_planted_symlink_file_and_fifo() {
    skip_unless_root!();
    let Some(real) = common::under_test() else {
        return;
    };
    // Outside /tmp, which the daemon's private tmpfs hides.
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    let d = dir.path();
    let mut lan = Lan::new(&[("a", "eth0", "10.98.0.1/24")]);
    let ns = lan.host("a").ns.clone();
    let cf = master_conf(d, 48, VIP);
    let bin = common::daemon_bin(real);
    let p = |n: &str| d.join(n).display().to_string();
    // The attacker's files, made in the daemon's private /tmp before it starts.
    let plant = "mount -t tmpfs -o mode=1777 tmpfs /tmp && \
                 echo 'ORIGINAL VICTIM CONTENT' >/tmp/victim && chmod 644 /tmp/victim && \
                 ln -s /tmp/victim /tmp/keepalived.data && \
                 echo old >/tmp/keepalived.stats && chmod 666 /tmp/keepalived.stats && \
                 mkfifo -m 622 /tmp/keepalived.json && \
                 chown -h 65534:65534 /tmp/keepalived.data /tmp/keepalived.stats /tmp/keepalived.json";
    let script = format!(
        "{plant} && exec {} {}",
        bin.display(),
        common::daemon_args(&cf, &d.join("a")).join(" ")
    );
    let child = Command::new("ip")
        .args(["netns", "exec", &ns, "unshare", "-m", "sh", "-c", &script])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::from(std::fs::File::create(p("log")).unwrap()))
        .spawn()
        .unwrap();
    let mut child = ChildGuard(child);
    let pid = child.0.id();
    let log = || std::fs::read_to_string(p("log")).unwrap_or_default();
    assert!(
        wait_until(Duration::from_secs(8), || lan.hosts[0].holds(VIP)),
        "never master\n{}",
        log()
    );
    // The daemon's /tmp, through its mount namespace.
    let tmp = format!("/proc/{pid}/root/tmp");
    for sig in ["USR1", "USR2", "36"] {
        Command::new("kill")
            .args([&format!("-{sig}"), &pid.to_string()])
            .status()
            .unwrap();
    }
    let written = wait_until(Duration::from_secs(5), || {
        ["keepalived.data", "keepalived.stats", "keepalived.json"]
            .iter()
            .all(|f| {
                std::fs::symlink_metadata(format!("{tmp}/{f}"))
                    .is_ok_and(|m| m.is_file() && m.uid() == 0)
            })
    });
    let listing = Command::new("ls")
        .args(["-la", &tmp])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        .unwrap_or_default();
    assert!(
        written,
        "the dumps did not replace the planted files\n{listing}\n{}",
        log()
    );
    for f in ["keepalived.data", "keepalived.stats", "keepalived.json"] {
        let m = std::fs::symlink_metadata(format!("{tmp}/{f}")).unwrap();
        assert!(m.is_file(), "{f}\n{listing}");
        assert_eq!((m.uid(), m.mode() & 0o777), (0, 0o600), "{f}\n{listing}");
        assert_eq!(m.nlink(), 1, "{f}");
    }
    assert_eq!(
        std::fs::read_to_string(format!("{tmp}/victim")).unwrap(),
        "ORIGINAL VICTIM CONTENT\n",
        "the victim was written through the symlink"
    );
    assert!(
        std::fs::read_to_string(format!("{tmp}/keepalived.data"))
            .unwrap()
            .contains("VI_1"),
        "the data dump names the instance"
    );
    // Nothing froze: still master, and it stops on SIGTERM.
    assert!(lan.hosts[0].holds(VIP));
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(pid as i32),
        nix::sys::signal::Signal::SIGTERM,
    )
    .unwrap();
    let stopped = wait_until(Duration::from_secs(10), || {
        child.0.try_wait().ok().flatten().is_some()
    });
    assert!(stopped, "the daemon did not stop on SIGTERM\n{}", log());
}

/// keepalived 2.2.7 writes its dumps in $TMPDIR when it is set; so does keepalived-rs.
#[test]
fn dumps_go_to_tmpdir() {
    skip_unless_root!();
    let Some(real) = common::under_test() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let tmpdir = d.join("tmpdir");
    std::fs::create_dir(&tmpdir).unwrap();
    let mut lan = Lan::new(&[("a", "eth0", "10.98.1.1/24")]);
    let ns = lan.host("a").ns.clone();
    let cf = master_conf(d, 49, "10.98.1.100");
    let bin = common::daemon_bin(real);
    let p = |n: &str| d.join(n).display().to_string();
    let args = common::daemon_args(&cf, &d.join("a"));
    let child = common::daemon_in(&ns, &bin, &args, &d.join("log"))
        .env("TMPDIR", &tmpdir)
        .spawn()
        .unwrap();
    let child = ChildGuard(child);
    let pid = child.0.id();
    assert!(wait_until(Duration::from_secs(8), || lan.hosts[0].holds("10.98.1.100")));
    Command::new("kill")
        .args(["-USR2", &pid.to_string()])
        .status()
        .unwrap();
    let stats = tmpdir.join("keepalived.stats");
    assert!(
        wait_until(Duration::from_secs(5), || stats.exists()),
        "no {}\n{}",
        stats.display(),
        std::fs::read_to_string(p("log")).unwrap_or_default()
    );
    let m = std::fs::symlink_metadata(&stats).unwrap();
    assert_eq!((m.uid(), m.mode() & 0o777), (0, 0o600));
}
