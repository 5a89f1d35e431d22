//! Beyond keepalived: a master that is SIGKILLed does not keep its VIP forever (keepalived 2.2.7
//! does). VIPs carry a valid lifetime the live master refreshes.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use testbed::skip_unless_root;

use std::time::{Duration, Instant};

use common::{Daemon, Lan, under_test_is_keepalived, wait_until};
use nix::sys::signal::Signal;

const VIP: &str = "10.93.0.100";

fn conf(me: &str, master: bool, extra: &str) -> String {
    common::Pair {
        vrid: 43,
        advert_int: "1",
        vip: VIP,
        global: extra,
        instance: "",
    }
    .conf(me, master)
}

#[test]
fn ours_differs_no_stale_vip_after_sigkill() {
    skip_unless_root!();
    if under_test_is_keepalived() {
        eprintln!("skipped: keepalived 2.2.7 keeps the VIP on a SIGKILLed master");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut lan = Lan::new(&[("a", "eth0", "10.93.0.1/24"), ("b", "eth0", "10.93.0.2/24")]);
    let a = Daemon::start(lan.host("a"), dir.path(), "a", &conf("a", true, ""), false);
    assert!(wait_until(Duration::from_secs(8), || lan.hosts[0].holds(VIP)));
    let b = Daemon::start(lan.host("b"), dir.path(), "b", &conf("b", false, ""), false);
    // Longer than the lifetime: the refresher keeps the master's VIP alive.
    std::thread::sleep(Duration::from_secs(6));
    assert!(lan.hosts[0].holds(VIP) && !lan.hosts[1].holds(VIP));

    a.signal(Signal::SIGKILL);
    let t = Instant::now();
    // Master_Down_Interval is 3.6 s here: the lifetime is 4 s, refreshed every second.
    let gone = wait_until(Duration::from_secs(6), || !lan.hosts[0].holds(VIP));
    assert!(gone, "the killed master kept its VIP\n{}", a.log_text());
    eprintln!("VIP left the killed master after {:?}", t.elapsed());
    assert!(wait_until(Duration::from_secs(3), || lan.hosts[1].holds(VIP)));

    // A restarted daemon first removes what a killed one may have left, then preempts.
    let a2 = Daemon::start(lan.host("a"), dir.path(), "a2", &conf("a", true, ""), false);
    assert!(wait_until(Duration::from_secs(8), || lan.hosts[0]
        .holds(VIP)
        && !lan.hosts[1].holds(VIP)));
    a2.signal(Signal::SIGTERM);
    b.signal(Signal::SIGTERM);
    a2.wait_gone(Duration::from_secs(5));
    b.wait_gone(Duration::from_secs(5));
}

/// `vrrp_vip_lifetime 0` gives keepalived's permanent VIPs back.
#[test]
fn ours_differs_vip_lifetime_can_be_turned_off() {
    skip_unless_root!();
    if under_test_is_keepalived() {
        eprintln!("skipped: keepalived-rs option");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut lan = Lan::new(&[("a", "eth0", "10.93.0.1/24")]);
    let a = Daemon::start(
        lan.host("a"),
        dir.path(),
        "a",
        &conf("a", true, "  vrrp_vip_lifetime 0\n"),
        false,
    );
    assert!(wait_until(Duration::from_secs(8), || lan.hosts[0].holds(VIP)));
    let line = lan.hosts[0].addr_line(VIP);
    assert!(line.contains("valid_lft forever"), "{line}");
    a.signal(Signal::SIGTERM);
    a.wait_gone(Duration::from_secs(5));
}
