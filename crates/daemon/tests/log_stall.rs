//! Logging never delays the protocol (issue 4): a master whose console log (`-l`) goes to a full
//! pipe nobody reads keeps sending its adverts, so its backup never takes over. keepalived 2.2.7 writes
//! its console lines with a blocking fprintf from the VRRP process itself: once the pipe is full
//! its VRRP process stops, adverts stop, and the backup takes the VIP while the master still
//! holds it. keepalived-rs hands its lines to a writer thread through a bounded queue and drops
//! (and counts) what does not fit. Needs root.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::process::{Command, Stdio};
use std::time::Duration;

use common::{Daemon, Lan, ours, under_test_is_keepalived, wait_until};
use testbed::{ChildGuard, skip_unless_root};

const VIP: &str = "10.95.0.100";

fn conf(me: &str, master: bool) -> String {
    common::Pair {
        vrid: 45,
        advert_int: "0.05",
        vip: VIP,
        global: "  vrrp_version 3\n",
        instance: "",
    }
    .conf(me, master)
}

#[test]
fn ours_differs_a_stalled_console_does_not_stop_the_adverts() {
    skip_unless_root!();
    let real = under_test_is_keepalived();
    if real {
        eprintln!(
            "skipped: keepalived 2.2.7 blocks on a full console pipe and its backup takes over \
             (the difference this test shows)"
        );
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let mut lan = Lan::new(&[("a", "eth0", "10.95.0.1/24"), ("b", "eth0", "10.95.0.2/24")]);

    // The master's stderr: a one-page pipe the test never reads.
    let (read_end, write_end) = nix::unistd::pipe().unwrap();
    nix::fcntl::fcntl(&read_end, nix::fcntl::FcntlArg::F_SETPIPE_SZ(4096)).unwrap();
    // Full before the daemon starts: a console that stopped reading. Its first line blocks.
    assert_eq!(nix::unistd::write(&write_end, &[b'.'; 4096]).unwrap(), 4096);
    let cf = d.join("a.conf");
    std::fs::write(&cf, conf("a", true)).unwrap();
    let p = |n: &str| d.join(n).display().to_string();
    let ns = lan.host("a").ns.clone();
    let master = Command::new("ip")
        .args(["netns", "exec", &ns])
        .arg(ours())
        .args(["-n", "-l", "-G", "-D", "-f"])
        .arg(&cf)
        .args(["-p", &p("a.pid"), "-r", &p("a.vrrp.pid")])
        .args(["-c", &p("a.check.pid"), "-b", &p("a.bfd.pid")])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::from(write_end))
        .spawn()
        .unwrap();
    let master = ChildGuard(master);
    assert!(
        wait_until(Duration::from_secs(8), || lan.hosts[0].holds(VIP)),
        "the master never took its VIP"
    );
    let b = Daemon::start(lan.host("b"), d, "b", &conf("b", false), false);
    std::thread::sleep(Duration::from_secs(1));

    // The pipe is full: one of the master's threads (its log writer) sleeps in (anon_)pipe_write.
    let pid = master.0.id();
    let stuck = || {
        std::fs::read_dir(format!("/proc/{pid}/task"))
            .map(|d| {
                d.flatten().any(|t| {
                    std::fs::read_to_string(t.path().join("wchan"))
                        .is_ok_and(|w| w.trim().ends_with("pipe_write"))
                })
            })
            .unwrap_or(false)
    };
    assert!(
        wait_until(Duration::from_secs(5), stuck),
        "no thread of the master waits on its console pipe"
    );

    // 100 advert intervals with the console stalled: the backup never takes over.
    let mut samples = 0;
    let took_over = wait_until(Duration::from_secs(5), || {
        samples += 1;
        lan.hosts[1].holds(VIP) || !lan.hosts[0].holds(VIP)
    });
    assert!(
        !took_over,
        "the backup took over while the master's console was stalled\n{}",
        b.log_text()
    );
    assert!(samples > 100);
    assert!(stuck(), "the console pipe drained");
    assert!(
        !b.log_text().contains("Entering MASTER STATE"),
        "{}",
        b.log_text()
    );
    drop(master);
    drop(read_end);
}
