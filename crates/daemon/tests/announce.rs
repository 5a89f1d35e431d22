//! A new master announces its VIPs: gratuitous ARP (request, sender = target = VIP) for IPv4 and an
//! unsolicited neighbour advertisement with the override flag for IPv6, as a LAN client sees them.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use testbed::skip_unless_root;

use std::time::Duration;

use common::{Daemon, Lan, under_test_is_keepalived, wait_until};
use nix::sys::signal::Signal;

const CONF: &str = "vrrp_instance V4 {\n  state MASTER\n  interface eth0\n  virtual_router_id 51\n  \
    priority 150\n  advert_int 1\n  virtual_ipaddress {\n    10.99.1.100/24\n  }\n}\n\
    vrrp_instance V6 {\n  state MASTER\n  interface eth0\n  virtual_router_id 52\n  \
    priority 150\n  advert_int 1\n  virtual_ipaddress {\n    fd00:99::100/64\n  }\n}\n";

#[test]
fn garp_and_unsolicited_na_for_the_vips() {
    skip_unless_root!();
    let real = under_test_is_keepalived();
    let dir = tempfile::tempdir().unwrap();
    let mut lan = Lan::new(&[
        ("node", "eth0", "10.99.1.1/24,fd00:99::1/64"),
        ("client", "eth0", "10.99.1.50/24,fd00:99::50/64"),
    ]);
    let cap = dir.path().join("cap");
    lan.host("client").spawn(
        &[
            "tcpdump",
            "-l",
            "-n",
            "-e",
            "-vv",
            "-i",
            "eth0",
            "arp or icmp6",
        ],
        &cap,
    );
    std::thread::sleep(Duration::from_millis(700));
    let d = Daemon::start(lan.host("node"), dir.path(), "d", CONF, real);
    let text = || std::fs::read_to_string(&cap).unwrap_or_default();
    let seen = wait_until(Duration::from_secs(8), || {
        let t = text();
        t.contains("Request who-has 10.99.1.100 (ff:ff:ff:ff:ff:ff) tell 10.99.1.100")
            && t.contains("neighbor advertisement, length 32, tgt is fd00:99::100")
    });
    let t = text();
    assert!(seen, "{t}\n{}", d.log_text());
    let na = t
        .lines()
        .skip_while(|l| !l.contains("tgt is fd00:99::100"))
        .take(3)
        .collect::<Vec<_>>()
        .join("\n");
    assert!(na.contains("Flags [override]"), "{na}");
    assert!(na.contains("destination link-address option"), "{na}");
    assert!(t.contains("ff:ff:ff:ff:ff:ff"), "{t}");
    d.signal(Signal::SIGTERM);
    assert!(d.wait_gone(Duration::from_secs(5)));
}
