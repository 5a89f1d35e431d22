//! vrrp_strict without `accept`: the master drops traffic to its VIP with nftables, as keepalived
//! 2.2.7 does; the table goes on SIGTERM, stays after SIGKILL, and a restart deals with it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use testbed::skip_unless_root;

use std::time::Duration;

use common::{Daemon, Lan, under_test_is_keepalived, wait_until};
use nix::sys::signal::Signal;

const VIP: &str = "10.94.0.100";

fn conf(strict: bool) -> String {
    format!(
        "global_defs {{\n  router_id n1\n{}}}\nvrrp_instance VI_1 {{\n  state MASTER\n  interface eth0\n  \
         virtual_router_id 44\n  priority 150\n  advert_int 1\n  virtual_ipaddress {{\n    {VIP}/24\n  }}\n}}\n",
        if strict { "  vrrp_strict\n" } else { "" }
    )
}

fn lan() -> Lan {
    Lan::new(&[
        ("node", "eth0", "10.94.0.1/24"),
        ("client", "eth0", "10.94.0.50/24"),
    ])
}

/// The daemon's own table: ours `inet keepalived_rs`, keepalived's `ip keepalived`.
fn table(lan: &Lan, real: bool) -> Option<String> {
    let which = if real {
        "ip keepalived"
    } else {
        "inet keepalived_rs"
    };
    let o = lan.hosts[0].exec(&["sh", "-c", &format!("nft list table {which}")]);
    o.status
        .success()
        .then(|| String::from_utf8_lossy(&o.stdout).into_owned())
}

fn client_reaches(lan: &Lan, addr: &str) -> bool {
    lan.hosts[1]
        .exec(&["ping", "-c1", "-W1", addr])
        .status
        .success()
}

/// SIGKILL of every process of the daemon (keepalived's VRRP child first).
fn kill9(d: &Daemon) {
    d.signal_vrrp(Signal::SIGKILL);
    d.signal(Signal::SIGKILL);
    assert!(d.wait_gone(Duration::from_secs(5)));
}

#[test]
fn strict_without_accept_drops_vip_traffic_and_table_goes_on_sigterm() {
    skip_unless_root!();
    let real = under_test_is_keepalived();
    let dir = tempfile::tempdir().unwrap();
    let mut lan = lan();
    let d = Daemon::start(lan.host("node"), dir.path(), "d1", &conf(true), real);
    assert!(
        wait_until(Duration::from_secs(8), || lan.hosts[0].holds(VIP)),
        "{}",
        d.log_text()
    );
    let t = table(&lan, real).unwrap_or_else(|| panic!("no table\n{}", d.log_text()));
    assert!(t.contains(VIP) && t.contains("drop"), "{t}");
    assert!(client_reaches(&lan, "10.94.0.1"), "the node's own address");
    assert!(
        !client_reaches(&lan, VIP),
        "the VIP answered under vrrp_strict\n{t}"
    );
    d.signal(Signal::SIGTERM);
    assert!(d.wait_gone(Duration::from_secs(5)));
    assert_eq!(table(&lan, real), None, "table left after SIGTERM");
}

/// SIGKILL leaves the table in both (nothing can clean up then). The next run rebuilds it once and
/// drops again; on its SIGTERM ours removes the table, keepalived 2.2.7 leaves the crashed run's.
#[test]
fn ours_differs_crash_leftover_table_gone_after_restart_and_sigterm() {
    skip_unless_root!();
    let real = under_test_is_keepalived();
    let dir = tempfile::tempdir().unwrap();
    let mut lan = lan();
    let d = Daemon::start(lan.host("node"), dir.path(), "d1", &conf(true), real);
    assert!(wait_until(Duration::from_secs(8), || table(&lan, real).is_some()));
    kill9(&d);
    assert!(table(&lan, real).is_some());

    let d = Daemon::start(lan.host("node"), dir.path(), "d2", &conf(true), real);
    assert!(wait_until(Duration::from_secs(8), || lan.hosts[0].holds(VIP)));
    let t = table(&lan, real).unwrap();
    assert_eq!(t.matches("table ").count(), 1, "{t}");
    assert_eq!(t.matches("chain in ").count(), 1, "{t}");
    assert!(!client_reaches(&lan, VIP));
    d.signal(Signal::SIGTERM);
    assert!(d.wait_gone(Duration::from_secs(5)));
    if real {
        assert!(table(&lan, real).is_some(), "keepalived removed the table");
        lan.hosts[0].sh("nft delete table ip keepalived");
    } else {
        assert_eq!(
            table(&lan, real),
            None,
            "table left after restart + SIGTERM"
        );
    }
}

/// After a SIGKILL under vrrp_strict, a restart without vrrp_strict: keepalived 2.2.7 leaves the
/// old table (its VIP keeps dropping traffic for good); ours removes its leftover at start.
#[test]
fn ours_differs_crashed_strict_table_removed_by_a_run_without_strict() {
    skip_unless_root!();
    let real = under_test_is_keepalived();
    let dir = tempfile::tempdir().unwrap();
    let mut lan = lan();
    let d = Daemon::start(lan.host("node"), dir.path(), "d1", &conf(true), real);
    assert!(wait_until(Duration::from_secs(8), || table(&lan, real).is_some()));
    kill9(&d);

    let d = Daemon::start(lan.host("node"), dir.path(), "d2", &conf(false), real);
    assert!(
        wait_until(Duration::from_secs(8), || lan.hosts[0].holds(VIP)),
        "{}",
        d.log_text()
    );
    std::thread::sleep(Duration::from_secs(1));
    if real {
        assert!(table(&lan, real).is_some(), "keepalived removed its table");
        assert!(!client_reaches(&lan, VIP));
    } else {
        assert_eq!(table(&lan, real), None, "{}", d.log_text());
        assert!(client_reaches(&lan, VIP));
        assert!(d.log_text().contains("left behind by a previous run"));
    }
    d.signal(Signal::SIGTERM);
    assert!(d.wait_gone(Duration::from_secs(5)));
    if real {
        // Not ours to leave behind: clear keepalived's table before the namespace goes.
        lan.hosts[0].sh("nft delete table ip keepalived");
    }
}
