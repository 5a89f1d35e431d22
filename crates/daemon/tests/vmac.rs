//! use_vmac against the real keepalived: the master holds the VIP on `vrrp.<VRID>` with the VRRP
//! MAC, so a client's neighbour entry stays right across a failover; the VMAC goes with the daemon.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use testbed::skip_unless_root;

use std::time::Duration;

use common::{Daemon, Lan, real_keepalived_present, wait_until};
use nix::sys::signal::Signal;

const VIP: &str = "10.92.0.100";
const VMAC: &str = "00:00:5e:00:01:2a";

fn conf(state: &str, prio: u8) -> String {
    format!(
        "vrrp_instance VI_1 {{\n  state {state}\n  interface eth0\n  use_vmac\n  virtual_router_id 42\n  \
         priority {prio}\n  advert_int 1\n  virtual_ipaddress {{\n    {VIP}/24\n  }}\n}}\n"
    )
}

fn on_vmac(lan: &Lan, n: usize) -> bool {
    lan.hosts[n]
        .sh("ip -o addr show dev vrrp.42 2>/dev/null")
        .contains(&format!(" {VIP}/"))
}

/// The client's ARP for the VIP is answered by the VMAC. The routers first learn the client's MAC:
/// otherwise the master's own ARP request for it (sent from the base interface with the VIP as
/// sender, the reply route being the base's) repoints the client's entry, with keepalived as with ours.
fn client_sees_vmac(lan: &Lan) -> bool {
    let c = &lan.hosts[2];
    c.sh("ping -c1 -W1 10.92.0.1; ping -c1 -W1 10.92.0.2; ip neigh flush all");
    c.exec(&["ping", "-c1", "-W1", VIP]).status.success()
        && c.sh(&format!("ip neigh show {VIP}")).contains(VMAC)
}

fn vmac(ours_master: bool) {
    skip_unless_root!();
    if !real_keepalived_present() {
        eprintln!("skipped: /usr/sbin/keepalived is not installed");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut lan = Lan::new(&[
        ("a", "eth0", "10.92.0.1/24"),
        ("b", "eth0", "10.92.0.2/24"),
        ("client", "eth0", "10.92.0.50/24"),
    ]);
    let a = Daemon::start(
        lan.host("a"),
        dir.path(),
        "a",
        &conf("MASTER", 150),
        !ours_master,
    );
    let b = Daemon::start(
        lan.host("b"),
        dir.path(),
        "b",
        &conf("BACKUP", 100),
        ours_master,
    );
    let logs = || {
        format!(
            "A:\n{}\n{}\nB:\n{}\n{}",
            lan.hosts[0].sh("ip -o addr; ip -o link"),
            a.log_text(),
            lan.hosts[1].sh("ip -o addr; ip -o link"),
            b.log_text()
        )
    };
    assert!(
        wait_until(Duration::from_secs(8), || on_vmac(&lan, 0)
            && !on_vmac(&lan, 1)),
        "{}",
        logs()
    );
    let link = lan.hosts[0].sh("ip -o link show dev vrrp.42");
    assert!(
        link.contains(VMAC) && link.contains("vrrp.42@eth0"),
        "{link}"
    );
    std::thread::sleep(Duration::from_secs(2));
    assert!(on_vmac(&lan, 0) && !on_vmac(&lan, 1), "{}", logs());
    assert!(
        client_sees_vmac(&lan),
        "{}\nclient: {}",
        logs(),
        lan.hosts[2].sh(&format!("ping -c1 -W1 {VIP}; ip neigh; ip -o addr"))
    );

    a.signal(Signal::SIGTERM);
    assert!(a.wait_gone(Duration::from_secs(5)));
    assert!(
        wait_until(Duration::from_secs(3), || on_vmac(&lan, 1)),
        "{}",
        logs()
    );
    // Same MAC behind the VIP: the client's entry needs no update.
    assert!(client_sees_vmac(&lan), "{}", logs());
    let left = lan.hosts[0].sh("ip -o link show dev vrrp.42 2>/dev/null");
    assert!(left.is_empty(), "VMAC left after SIGTERM: {left}");
    b.signal(Signal::SIGTERM);
    assert!(b.wait_gone(Duration::from_secs(5)));
    let left = lan.hosts[1].sh("ip -o link show dev vrrp.42 2>/dev/null");
    assert!(left.is_empty(), "VMAC left after SIGTERM: {left}");
}

#[test]
fn vmac_ours_master() {
    vmac(true);
}

#[test]
fn vmac_keepalived_master() {
    vmac(false);
}
