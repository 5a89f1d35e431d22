//! Packets that must change nothing: a third namespace injects bad adverts (wrong TTL, checksum,
//! version, password, VRID, truncated, oversized address count, priority 255 from a stranger)
//! at a v2 PASS pair; no state changes and the counters keepalived reports move.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use testbed::skip_unless_root;

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

use common::{Daemon, Lan, under_test_is_keepalived, wait_until};
use keepalived_vrrp::packet::{
    Advert, Auth, AuthConfig, ChecksumMode, MCAST_GROUP4, TxParams, Version, encode,
};
use nix::sys::signal::Signal;
use socket2::{Domain, Protocol, Socket, Type};

const VIP: &str = "10.92.0.100";

fn conf(me: &str, master: bool) -> String {
    common::Pair {
        vrid: 42,
        advert_int: "1",
        vip: VIP,
        global: "",
        instance: "  authentication {\n    auth_type PASS\n    auth_pass s3cret\n  }\n",
    }
    .conf(me, master)
}

fn advert(priority: u8, vrid: u8, version: Version, pass: &str, vips: &[&str]) -> Advert {
    Advert {
        version,
        vrid,
        priority,
        adver_int_cs: 100,
        addrs: vips.iter().map(|a| a.parse().unwrap()).collect(),
        auth: match version {
            Version::V2 => Auth::Pass(AuthConfig::key(pass)),
            Version::V3 => Auth::None,
        },
    }
}

fn wire(a: &Advert, ttl: u8) -> Vec<u8> {
    encode(
        a,
        &TxParams {
            src: IpAddr::V4(Ipv4Addr::new(10, 92, 0, 3)),
            dst: IpAddr::V4(MCAST_GROUP4),
            ttl,
            ip_id: 7,
            checksum: ChecksumMode::Standard,
            mcast_group4: MCAST_GROUP4,
            ah_key: [0; 8],
            unicast: false,
        },
    )
    .unwrap()
}

/// The bad packets, each with what is wrong with it.
fn bad_packets() -> Vec<(&'static str, Vec<u8>)> {
    let good = |p| advert(p, 42, Version::V2, "s3cret", &[VIP]);
    let mut v = vec![
        ("ttl 64", wire(&good(254), 64)),
        (
            "version 3",
            wire(&advert(254, 42, Version::V3, "", &[VIP]), 255),
        ),
        (
            "wrong password",
            wire(&advert(254, 42, Version::V2, "guess", &[VIP]), 255),
        ),
        (
            "other VRID",
            wire(&advert(254, 43, Version::V2, "s3cret", &[VIP]), 255),
        ),
        (
            "priority 255 stranger, other address list",
            wire(
                &advert(255, 42, Version::V2, "s3cret", &["10.92.0.200"]),
                255,
            ),
        ),
    ];
    let mut sum = wire(&good(254), 255);
    sum[20 + 6] ^= 0xff; // VRRP checksum
    v.push(("bad checksum", sum));
    let whole = wire(&good(254), 255);
    let mut short = whole[..30].to_vec();
    let len = short.len() as u16;
    short[2..4].copy_from_slice(&len.to_be_bytes());
    v.push(("truncated", short));
    let mut count = wire(&good(254), 255);
    count[20 + 3] = 200; // count of addresses far beyond the packet
    v.push(("oversized address count", count));
    v
}

fn inject(host: &testbed::Host, packets: Vec<(&'static str, Vec<u8>)>) {
    host.run(move || {
        let s = Socket::new(Domain::IPV4, Type::RAW, Some(Protocol::from(255))).unwrap();
        s.bind_device(Some(b"eth0")).unwrap();
        let to: SocketAddr = (MCAST_GROUP4, 0).into();
        for _ in 0..3 {
            for (what, p) in &packets {
                s.send_to(p, &to.into())
                    .unwrap_or_else(|e| panic!("sending {what}: {e}"));
            }
            std::thread::sleep(Duration::from_millis(300));
        }
    })
    .unwrap();
}

/// The instance's JSON stats (SIGRTMIN+2 writes /tmp/keepalived.json in both daemons).
fn stats(d: &Daemon) -> serde_json::Value {
    let _ = std::fs::remove_file("/tmp/keepalived.json");
    d.raw_signal(36);
    assert!(wait_until(Duration::from_secs(3), || {
        std::fs::read_to_string("/tmp/keepalived.json")
            .ok()
            .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
            .is_some()
    }));
    let t = std::fs::read_to_string("/tmp/keepalived.json").unwrap();
    serde_json::from_str::<serde_json::Value>(&t).unwrap()[0]["stats"].clone()
}

#[test]
fn bad_adverts_change_nothing_and_are_counted() {
    skip_unless_root!();
    let real = under_test_is_keepalived();
    let dir = tempfile::tempdir().unwrap();
    let mut lan = Lan::new(&[
        ("a", "eth0", "10.92.0.1/24"),
        ("b", "eth0", "10.92.0.2/24"),
        ("x", "eth0", "10.92.0.3/24"),
    ]);
    let a = Daemon::start(lan.host("a"), dir.path(), "a", &conf("a", true), real);
    assert!(wait_until(Duration::from_secs(8), || lan.hosts[0].holds(VIP)));
    let b = Daemon::start(lan.host("b"), dir.path(), "b", &conf("b", false), real);
    std::thread::sleep(Duration::from_secs(2));
    let before_a = stats(&a);
    let before_b = stats(&b);

    inject(&lan.hosts[2].tb, bad_packets());
    std::thread::sleep(Duration::from_secs(1));

    let logs = format!("A:\n{}\nB:\n{}", a.log_text(), b.log_text());
    assert!(lan.hosts[0].holds(VIP), "{logs}");
    assert!(!lan.hosts[1].holds(VIP), "{logs}");
    let after_a = stats(&a);
    let after_b = stats(&b);
    let grew = |before: &serde_json::Value, after: &serde_json::Value, k: &str| {
        after[k].as_u64().unwrap() > before[k].as_u64().unwrap()
    };
    for (before, after, who) in [(&before_a, &after_a, "A"), (&before_b, &after_b, "B")] {
        assert_eq!(
            before["become_master"], after["become_master"],
            "{who} changed state\n{logs}"
        );
        assert_eq!(
            before["release_master"], after["release_master"],
            "{who}\n{logs}"
        );
        for k in [
            "ip_ttl_err",
            "auth_failure",
            "packet_len_err",
            "addr_list_err",
        ] {
            assert!(
                grew(before, after, k),
                "{who}: {k} did not move: {before} -> {after}"
            );
        }
    }
    a.signal(Signal::SIGTERM);
    b.signal(Signal::SIGTERM);
    a.wait_gone(Duration::from_secs(5));
    b.wait_gone(Duration::from_secs(5));
}
