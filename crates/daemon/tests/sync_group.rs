//! vrrp_sync_group: when one member faults (its tracked interface goes down) the whole group
//! leaves MASTER, so the peer takes every VIP of the group; the group's notify runs.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use testbed::skip_unless_root;

use std::path::Path;
use std::time::Duration;

use common::{Daemon, Lan, under_test_is_keepalived, wait_until};
use nix::sys::signal::Signal;

const VIP1: &str = "10.97.1.100";
const VIP2: &str = "10.97.1.101";

fn conf(state: &str, prio: u8, track: bool, out: &Path) -> String {
    let track = if track {
        "  track_interface {\n    trk0\n  }\n"
    } else {
        ""
    };
    format!(
        "global_defs {{\n  script_user root\n}}\n\
         vrrp_sync_group G {{\n  group {{\n    VI_1\n    VI_2\n  }}\n  \
         notify \"/bin/sh -c 'echo $@ >> {}' sh\"\n}}\n\
         vrrp_instance VI_1 {{\n  state {state}\n  interface eth0\n  virtual_router_id 60\n  \
         priority {prio}\n  advert_int 1\n  virtual_ipaddress {{\n    {VIP1}/24\n  }}\n}}\n\
         vrrp_instance VI_2 {{\n  state {state}\n  interface eth0\n  virtual_router_id 61\n  \
         priority {prio}\n  advert_int 1\n{track}  virtual_ipaddress {{\n    {VIP2}/24\n  }}\n}}\n",
        out.display()
    )
}

#[test]
fn sync_group_moves_together_when_one_member_faults() {
    skip_unless_root!();
    let real = under_test_is_keepalived();
    let dir = tempfile::tempdir().unwrap();
    let mut lan = Lan::new(&[("a", "eth0", "10.97.1.1/24"), ("b", "eth0", "10.97.1.2/24")]);
    lan.hosts[0].sh(
        "ip link add trk0 type veth peer name trk1 && ip link set trk1 up && ip link set trk0 up",
    );
    let out = dir.path().join("group-a");
    let a = Daemon::start(
        lan.host("a"),
        dir.path(),
        "a",
        &conf("MASTER", 150, true, &out),
        real,
    );
    let out_b = dir.path().join("group-b");
    let b = Daemon::start(
        lan.host("b"),
        dir.path(),
        "b",
        &conf("BACKUP", 100, false, &out_b),
        real,
    );
    let logs = || format!("A:\n{}\nB:\n{}", a.log_text(), b.log_text());
    let holds_both = |n: usize| {
        lan.hosts[n].holds(VIP1)
            && lan.hosts[n].holds(VIP2)
            && !lan.hosts[1 - n].holds(VIP1)
            && !lan.hosts[1 - n].holds(VIP2)
    };
    assert!(
        wait_until(Duration::from_secs(8), || holds_both(0)),
        "{}",
        logs()
    );

    // Only VI_2 tracks trk0, yet VI_1 follows it out of MASTER.
    lan.hosts[0].sh("ip link set trk0 down");
    assert!(
        wait_until(Duration::from_secs(6), || holds_both(1)),
        "{}",
        logs()
    );
    lan.hosts[0].sh("ip link set trk0 up");
    assert!(
        wait_until(Duration::from_secs(8), || holds_both(0)),
        "{}",
        logs()
    );

    let text = std::fs::read_to_string(&out).unwrap_or_default();
    for want in ["GROUP G MASTER", "GROUP G FAULT"] {
        assert!(
            text.contains(want),
            "{want} missing from\n{text}\n{}",
            logs()
        );
    }
    a.signal(Signal::SIGTERM);
    b.signal(Signal::SIGTERM);
    a.wait_gone(Duration::from_secs(5));
    b.wait_gone(Duration::from_secs(5));
}
