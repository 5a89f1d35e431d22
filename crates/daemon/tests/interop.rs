//! Interop with the real keepalived 2.2.7 on a LAN of namespaces: ours master + keepalived
//! backup and the reverse; election, SIGTERM hand-over (priority 0), preemption on restart.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use testbed::skip_unless_root;

use std::time::Duration;

use common::{Daemon, Lan, real_keepalived_present, wait_until};
use nix::sys::signal::Signal;

#[derive(Clone, Copy)]
enum Auth {
    None,
    Pass,
    Ah,
}

#[derive(Clone, Copy)]
struct Case {
    version: u8,
    auth: Auth,
    unicast: bool,
    advert_int: &'static str,
}

const VIP: &str = "10.91.0.100";

fn conf(case: Case, me: &str, peer: &str, master: bool) -> String {
    let (state, prio) = if master {
        ("MASTER", 150)
    } else {
        ("BACKUP", 100)
    };
    let auth = match case.auth {
        Auth::None => String::new(),
        Auth::Pass => "  authentication {\n    auth_type PASS\n    auth_pass s3cret\n  }\n".into(),
        Auth::Ah => "  authentication {\n    auth_type AH\n    auth_pass s3cret\n  }\n".into(),
    };
    let unicast = if case.unicast {
        format!("  unicast_src_ip {me}\n  unicast_peer {{\n    {peer}\n  }}\n")
    } else {
        String::new()
    };
    format!(
        "global_defs {{\n  router_id {me}\n}}\nvrrp_instance VI_1 {{\n  state {state}\n  interface eth0\n  \
         virtual_router_id 42\n  priority {prio}\n  advert_int {}\n  version {}\n{auth}{unicast}  \
         virtual_ipaddress {{\n    {VIP}/24\n  }}\n}}\n",
        case.advert_int, case.version
    )
}

/// Runs election, SIGTERM hand-over and preemption with `ours_master` deciding who runs what.
fn interop(case: Case, ours_master: bool) {
    skip_unless_root!();
    if !real_keepalived_present() {
        eprintln!("skipped: /usr/sbin/keepalived is not installed");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut lan = Lan::new(&[("a", "eth0", "10.91.0.1/24"), ("b", "eth0", "10.91.0.2/24")]);
    let (ca, cb) = (
        conf(case, "10.91.0.1", "10.91.0.2", true),
        conf(case, "10.91.0.2", "10.91.0.1", false),
    );
    let a = Daemon::start(lan.host("a"), dir.path(), "a1", &ca, !ours_master);
    let b = Daemon::start(lan.host("b"), dir.path(), "b1", &cb, ours_master);
    let logs = |a: &Daemon, b: &Daemon| format!("A:\n{}\nB:\n{}", a.log_text(), b.log_text());

    let elected = wait_until(Duration::from_secs(8), || {
        lan.hosts[0].holds(VIP) && !lan.hosts[1].holds(VIP)
    });
    assert!(elected, "A never became the only master\n{}", logs(&a, &b));
    // Stable for a few adverts: the backup accepts the master's adverts.
    std::thread::sleep(Duration::from_secs(2));
    assert!(
        lan.hosts[0].holds(VIP) && !lan.hosts[1].holds(VIP),
        "{}",
        logs(&a, &b)
    );

    a.signal(Signal::SIGTERM);
    assert!(a.wait_gone(Duration::from_secs(5)), "{}", logs(&a, &b));
    assert!(!lan.hosts[0].holds(VIP), "A kept the VIP after SIGTERM");
    let handed = wait_until(Duration::from_secs(3), || lan.hosts[1].holds(VIP));
    assert!(handed, "B did not take over\n{}", logs(&a, &b));

    let a2 = Daemon::start(lan.host("a"), dir.path(), "a2", &ca, !ours_master);
    let back = wait_until(Duration::from_secs(8), || {
        lan.hosts[0].holds(VIP) && !lan.hosts[1].holds(VIP)
    });
    assert!(back, "A did not preempt\n{}", logs(&a2, &b));
    a2.signal(Signal::SIGTERM);
    b.signal(Signal::SIGTERM);
    a2.wait_gone(Duration::from_secs(5));
    b.wait_gone(Duration::from_secs(5));
}

const V2_PASS: Case = Case {
    version: 2,
    auth: Auth::Pass,
    unicast: false,
    advert_int: "1",
};
const V2_AH: Case = Case {
    version: 2,
    auth: Auth::Ah,
    unicast: false,
    advert_int: "1",
};
const V3_MCAST: Case = Case {
    version: 3,
    auth: Auth::None,
    unicast: false,
    advert_int: "0.5",
};
const V3_UNICAST: Case = Case {
    version: 3,
    auth: Auth::None,
    unicast: true,
    advert_int: "0.5",
};

#[test]
fn interop_v3_ipv4_multicast_ours_master() {
    interop(V3_MCAST, true);
}

#[test]
fn interop_v3_ipv4_multicast_keepalived_master() {
    interop(V3_MCAST, false);
}

#[test]
fn interop_v2_pass_ours_master() {
    interop(V2_PASS, true);
}

#[test]
fn interop_v2_pass_keepalived_master() {
    interop(V2_PASS, false);
}

#[test]
fn interop_v2_ah_ours_master() {
    interop(V2_AH, true);
}

#[test]
fn interop_v2_ah_keepalived_master() {
    interop(V2_AH, false);
}

#[test]
fn interop_v3_ipv4_unicast_ours_master() {
    interop(V3_UNICAST, true);
}

#[test]
fn interop_v3_ipv4_unicast_keepalived_master() {
    interop(V3_UNICAST, false);
}
