//! What a master puts into the kernel beyond its VIP: every VIP-line option, excluded VIPs,
//! virtual_routes and virtual_rules; present while master, gone after SIGTERM, and (ours) after a
//! SIGKILL, at the next start.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use testbed::skip_unless_root;

use std::time::Duration;

use common::{Daemon, Lan, under_test_is_keepalived, wait_until};
use nix::sys::signal::Signal;

const VIP: &str = "10.95.0.100";

fn conf(vrid: u8, objects: bool) -> String {
    conf_with(vrid, objects, "")
}

fn conf_with(vrid: u8, objects: bool, peer: &str) -> String {
    let extra = if objects {
        "  virtual_ipaddress_excluded {\n    10.95.0.101/24\n    fd00:95::101/64 preferred_lft 0\n  }\n  \
         virtual_routes {\n    10.96.0.0/24 via 10.95.0.254 dev eth0 table 100 metric 7\n    \
         blackhole 10.97.0.0/24\n  }\n  \
         virtual_rules {\n    from 10.95.0.100/32 table 100 priority 1234\n  }\n"
    } else {
        ""
    };
    format!(
        "global_defs {{\n  router_id n1\n}}\nvrrp_instance VI_1 {{\n  state MASTER\n  interface eth0\n  \
         virtual_router_id {vrid}\n  priority 150\n  advert_int 1\n  virtual_ipaddress {{\n    \
         {VIP}/24 brd 10.95.0.127 dev eth0 scope global label eth0:vip noprefixroute\n    \
         {peer}  }}\n{extra}}}\n"
    )
}

fn lan() -> Lan {
    Lan::new(&[("node", "eth0", "10.95.0.1/24,fd00:95::1/64")])
}

/// (addresses, routes of table 100 and main, rules) as ip(8) prints them.
fn kernel(lan: &Lan) -> (String, String, String) {
    let h = &lan.hosts[0];
    (
        h.sh("ip -o addr show dev eth0"),
        h.sh("ip route show table 100; ip route show"),
        h.sh("ip rule show"),
    )
}

fn objects_present(k: &(String, String, String)) -> Result<(), String> {
    let (addrs, routes, rules) = k;
    let line = |needle: &str| {
        addrs
            .lines()
            .find(|l| l.contains(needle))
            .unwrap_or_default()
            .to_string()
    };
    let vip = line(" 10.95.0.100/24");
    let checks = [
        (vip.contains("brd 10.95.0.127"), "brd"),
        (vip.contains("scope global"), "scope"),
        (vip.contains("eth0:vip"), "label"),
        (vip.contains("noprefixroute"), "noprefixroute"),
        (
            line(" fd00:95::101/64").contains("preferred_lft 0sec"),
            "excluded IPv6 with preferred_lft 0",
        ),
        (!line(" 10.95.0.101/24").is_empty(), "excluded IPv4"),
        (
            routes.contains("10.96.0.0/24 via 10.95.0.254 dev eth0") && routes.contains("metric 7"),
            "route in table 100",
        ),
        (routes.contains("blackhole 10.97.0.0/24"), "blackhole route"),
        (rules.contains("1234:\tfrom 10.95.0.100 lookup 100"), "rule"),
    ];
    let missing: Vec<&str> = checks
        .iter()
        .filter(|(ok, _)| !ok)
        .map(|(_, w)| *w)
        .collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(format!("missing {missing:?}\n{addrs}\n{routes}\n{rules}"))
    }
}

fn objects_absent(k: &(String, String, String)) -> Result<(), String> {
    let (addrs, routes, rules) = k;
    let left: Vec<&str> = [
        ("10.95.0.10", addrs.as_str()),
        ("fd00:95::10", addrs),
        ("10.96.0.0", routes),
        ("10.97.0.0", routes),
        ("1234:", rules),
    ]
    .iter()
    .filter(|(n, hay)| hay.contains(n))
    .map(|(n, _)| *n)
    .collect();
    if left.is_empty() {
        Ok(())
    } else {
        Err(format!("left behind {left:?}\n{addrs}\n{routes}\n{rules}"))
    }
}

#[test]
fn vip_options_excluded_routes_and_rules_while_master_only() {
    skip_unless_root!();
    let real = under_test_is_keepalived();
    let dir = tempfile::tempdir().unwrap();
    let mut lan = lan();
    let d = Daemon::start(lan.host("node"), dir.path(), "d1", &conf(45, true), real);
    let mut last = Err(String::new());
    let ok = wait_until(Duration::from_secs(8), || {
        last = objects_present(&kernel(&lan));
        last.is_ok()
    });
    assert!(ok, "{}\n{}", last.unwrap_err(), d.log_text());
    d.signal(Signal::SIGTERM);
    assert!(d.wait_gone(Duration::from_secs(5)));
    let r = objects_absent(&kernel(&lan));
    assert!(r.is_ok(), "{}\n{}", r.unwrap_err(), d.log_text());
}

/// keepalived 2.2.7 leaves everything of a SIGKILLed run in place; ours removes its own leftovers
/// (tagged by protocol) at the next start, even when that configuration no longer has them.
#[test]
fn ours_differs_sigkill_leftovers_removed_at_next_start() {
    skip_unless_root!();
    let real = under_test_is_keepalived();
    let dir = tempfile::tempdir().unwrap();
    let mut lan = lan();
    let d = Daemon::start(lan.host("node"), dir.path(), "d1", &conf(45, true), real);
    assert!(wait_until(Duration::from_secs(8), || objects_present(
        &kernel(&lan)
    )
    .is_ok()));
    d.signal_vrrp(Signal::SIGKILL);
    d.signal(Signal::SIGKILL);
    assert!(d.wait_gone(Duration::from_secs(5)));
    // A different instance now: nothing in the new configuration names the old objects.
    let d = Daemon::start(lan.host("node"), dir.path(), "d2", &conf(46, false), real);
    std::thread::sleep(Duration::from_secs(2));
    let k = kernel(&lan);
    if real {
        assert!(
            k.1.contains("10.96.0.0/24") && k.2.contains("1234:"),
            "keepalived removed the crashed run's routes/rules\n{k:?}"
        );
    } else {
        let gone = [
            "10.95.0.101",
            "fd00:95::101",
            "10.96.0.0",
            "10.97.0.0",
            "1234:",
        ]
        .iter()
        .all(|n| !k.0.contains(n) && !k.1.contains(n) && !k.2.contains(n));
        assert!(gone, "{k:?}\n{}", d.log_text());
    }
    d.signal(Signal::SIGTERM);
    assert!(d.wait_gone(Duration::from_secs(5)));
}

/// A point-to-point VIP (`peer`): keepalived 2.2.7 adds it but leaves it behind on SIGTERM (it
/// deletes it without its peer, which the kernel keys it by); ours removes it.
#[test]
fn ours_differs_peer_vip_removed_on_sigterm() {
    skip_unless_root!();
    let real = under_test_is_keepalived();
    let dir = tempfile::tempdir().unwrap();
    let mut lan = lan();
    let c = conf_with(47, false, "    10.95.0.102 peer 10.95.0.200 dev eth0\n");
    let d = Daemon::start(lan.host("node"), dir.path(), "d1", &c, real);
    let held = || {
        lan.hosts[0]
            .sh("ip -o addr show dev eth0")
            .contains("10.95.0.102 peer 10.95.0.200/32")
    };
    assert!(wait_until(Duration::from_secs(8), held), "{}", d.log_text());
    d.signal(Signal::SIGTERM);
    assert!(d.wait_gone(Duration::from_secs(5)));
    let addrs = lan.hosts[0].sh("ip -o addr show dev eth0");
    if real {
        assert!(addrs.contains("10.95.0.102 peer"), "{addrs}");
    } else {
        assert!(!addrs.contains("10.95.0.102"), "{addrs}\n{}", d.log_text());
    }
}

/// static_ipaddress, static_routes and static_rules: set at start whatever the VRRP state,
/// removed at stop (as keepalived 2.2.7 does).
#[test]
fn statics_set_at_start_and_removed_at_stop() {
    skip_unless_root!();
    let real = under_test_is_keepalived();
    let dir = tempfile::tempdir().unwrap();
    let mut lan = lan();
    let c = format!(
        "static_ipaddress {{\n  10.95.0.150/24 dev eth0\n}}\n\
         static_routes {{\n  10.99.0.0/24 via 10.95.0.254 dev eth0\n}}\n\
         static_rules {{\n  from 10.95.0.150 table 100 priority 2000\n}}\n{}",
        conf(49, false).replace("state MASTER", "state BACKUP")
    );
    let d = Daemon::start(lan.host("node"), dir.path(), "d", &c, real);
    let present = |lan: &Lan| {
        let (a, r, u) = kernel(lan);
        a.contains(" 10.95.0.150/24")
            && r.contains("10.99.0.0/24 via 10.95.0.254")
            && u.contains("2000:\tfrom 10.95.0.150 lookup 100")
    };
    assert!(
        wait_until(Duration::from_secs(5), || present(&lan)),
        "{:?}\n{}",
        kernel(&lan),
        d.log_text()
    );
    d.signal(Signal::SIGTERM);
    assert!(d.wait_gone(Duration::from_secs(5)));
    let (a, r, u) = kernel(&lan);
    assert!(
        !a.contains("10.95.0.150") && !r.contains("10.99.0.0") && !u.contains("2000:"),
        "{a}\n{r}\n{u}"
    );
}
