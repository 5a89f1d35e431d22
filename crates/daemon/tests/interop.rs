//! Interop with the real keepalived 2.2.7 on a LAN of namespaces, ours master + keepalived backup
//! and the reverse, for v2 PASS, v2 AH, v3 IPv4 multicast and unicast, v3 IPv6. Each test walks
//! election, priority-0 hand-over, failover back the other way on a silent master, and preemption.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use testbed::skip_unless_root;

use std::time::{Duration, Instant};

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
    ipv6: bool,
    advert_int: f64,
}

const VIP4: &str = "10.91.0.100";
const VIP6: &str = "fd00:91::100";
const A4: &str = "10.91.0.1";
const B4: &str = "10.91.0.2";

impl Case {
    fn vip(&self) -> &'static str {
        if self.ipv6 { VIP6 } else { VIP4 }
    }

    /// RFC 5798's Master_Down_Interval for a backup of priority `prio`.
    fn master_down(&self, prio: u8) -> Duration {
        let skew = f64::from(256 - u32::from(prio)) / 256.0 * self.advert_int;
        Duration::from_secs_f64(3.0 * self.advert_int + skew)
    }
}

fn conf(case: Case, me: &str, peer: &str, state: &str, prio: u8) -> String {
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
    let prefix = if case.ipv6 { 64 } else { 24 };
    format!(
        "global_defs {{\n  router_id {me}\n}}\nvrrp_instance VI_1 {{\n  state {state}\n  interface eth0\n  \
         virtual_router_id 42\n  priority {prio}\n  advert_int {}\n  version {}\n{auth}{unicast}  \
         virtual_ipaddress {{\n    {}/{prefix}\n  }}\n}}\n",
        case.advert_int,
        case.version,
        case.vip()
    )
}

/// The walk, with `ours_master` deciding who runs what: A (priority 150) and B (100).
fn interop(case: Case, ours_master: bool) {
    skip_unless_root!();
    if !real_keepalived_present() {
        eprintln!("skipped: /usr/sbin/keepalived is not installed");
        return;
    }
    let (a_real, b_real) = (!ours_master, ours_master);
    let vip = case.vip();
    let adv = Duration::from_secs_f64(case.advert_int);
    let dir = tempfile::tempdir().unwrap();
    let mut lan = Lan::new(&[
        ("a", "eth0", "10.91.0.1/24,fd00:91::1/64"),
        ("b", "eth0", "10.91.0.2/24,fd00:91::2/64"),
    ]);
    let ca = conf(case, A4, B4, "MASTER", 150);
    let cb = conf(case, B4, A4, "BACKUP", 100);
    let logs = |a: &Daemon, b: &Daemon| format!("A:\n{}\nB:\n{}", a.log_text(), b.log_text());
    let only = |lan: &Lan, n: usize| lan.hosts[n].holds(vip) && !lan.hosts[1 - n].holds(vip);

    // 1. Election: A is the only master, and stays so over several adverts.
    let a = Daemon::start(lan.host("a"), dir.path(), "a1", &ca, a_real);
    let b = Daemon::start(lan.host("b"), dir.path(), "b1", &cb, b_real);
    assert!(
        wait_until(Duration::from_secs(8), || only(&lan, 0)),
        "A never became the only master\n{}",
        logs(&a, &b)
    );
    std::thread::sleep((adv * 3).max(Duration::from_secs(2)));
    assert!(only(&lan, 0), "election did not hold\n{}", logs(&a, &b));

    // 2. Priority-0 hand-over: SIGTERM A; B takes over after skew time, well before
    //    Master_Down_Interval.
    a.signal(Signal::SIGTERM);
    let t = Instant::now();
    let bound = (adv * 2).max(Duration::from_secs(1));
    assert!(
        wait_until(bound, || lan.hosts[1].holds(vip)),
        "B did not take over within {bound:?} of SIGTERM (priority 0)\n{}",
        logs(&a, &b)
    );
    eprintln!("priority-0 hand-over in {:?}", t.elapsed());
    assert!(a.wait_gone(Duration::from_secs(5)), "{}", logs(&a, &b));
    assert!(!lan.hosts[0].holds(vip), "A kept the VIP after SIGTERM");

    // 3. A back at a lower priority: it stays backup under B.
    let ca_low = conf(case, A4, B4, "BACKUP", 50);
    let a2 = Daemon::start(lan.host("a"), dir.path(), "a2", &ca_low, a_real);
    std::thread::sleep((adv * 4).max(Duration::from_secs(2)));
    assert!(
        only(&lan, 1),
        "B lost the VIP to a lower priority\n{}",
        logs(&a2, &b)
    );

    // 4. Failover the other way: B falls silent (SIGSTOP); A takes over on Master_Down_Interval.
    //    B resumes with the higher priority and A steps back.
    b.signal_vrrp(Signal::SIGSTOP);
    let t = Instant::now();
    let within = case.master_down(50) + Duration::from_secs(2);
    let took = wait_until(within, || lan.hosts[0].holds(vip));
    b.signal_vrrp(Signal::SIGCONT);
    assert!(
        took,
        "A did not take over from a silent B\n{}",
        logs(&a2, &b)
    );
    eprintln!("failover to A in {:?}", t.elapsed());
    assert!(
        wait_until(adv * 3 + Duration::from_secs(3), || only(&lan, 1)),
        "B did not get its VIP back after resuming\n{}",
        logs(&a2, &b)
    );

    // 5. Preemption: A at priority 150 again takes the VIP from B; one holder at any moment after.
    a2.signal(Signal::SIGTERM);
    assert!(a2.wait_gone(Duration::from_secs(5)));
    let a3 = Daemon::start(lan.host("a"), dir.path(), "a3", &ca, a_real);
    assert!(
        wait_until(Duration::from_secs(8), || only(&lan, 0)),
        "A did not preempt\n{}",
        logs(&a3, &b)
    );
    let end = Instant::now() + (adv * 3).max(Duration::from_secs(2));
    while Instant::now() < end {
        assert!(only(&lan, 0), "two holders or none\n{}", logs(&a3, &b));
        std::thread::sleep(Duration::from_millis(50));
    }
    a3.signal(Signal::SIGTERM);
    b.signal(Signal::SIGTERM);
    a3.wait_gone(Duration::from_secs(5));
    b.wait_gone(Duration::from_secs(5));
}

const V2_PASS: Case = Case {
    version: 2,
    auth: Auth::Pass,
    unicast: false,
    ipv6: false,
    advert_int: 1.0,
};
const V2_AH: Case = Case {
    version: 2,
    auth: Auth::Ah,
    unicast: false,
    ipv6: false,
    advert_int: 1.0,
};
const V3_MCAST: Case = Case {
    version: 3,
    auth: Auth::None,
    unicast: false,
    ipv6: false,
    advert_int: 0.5,
};
const V3_UNICAST: Case = Case {
    version: 3,
    auth: Auth::None,
    unicast: true,
    ipv6: false,
    advert_int: 0.5,
};
const V3_IPV6: Case = Case {
    version: 3,
    auth: Auth::None,
    unicast: false,
    ipv6: true,
    advert_int: 0.5,
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

#[test]
fn interop_v3_ipv6_ours_master() {
    interop(V3_IPV6, true);
}

#[test]
fn interop_v3_ipv6_keepalived_master() {
    interop(V3_IPV6, false);
}
