//! The Router's deadline heap against a plain scan of its instances, and a master's advert
//! schedule when the caller wakes it late.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::IpAddr;
use std::time::Duration;

use keepalived_vrrp::packet::{self, Advert, Auth, ChecksumMode, Packet, TxParams, Version};
use keepalived_vrrp::{
    Event, InitialState, Instance, InstanceConfig, Router, SyncGroupConfig, Time,
};

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

fn advert(vrid: u8, prio: u8, int_cs: u16) -> Event {
    let a = Advert {
        version: Version::V3,
        vrid,
        priority: prio,
        adver_int_cs: int_cs,
        addrs: vec![ip(&format!("10.0.{}.{}", vrid / 200, vrid % 200 + 1))],
        auth: Auth::None,
    };
    let tx = TxParams {
        src: ip("10.0.0.9"),
        dst: IpAddr::V4(packet::MCAST_GROUP4),
        ttl: 255,
        ip_id: 1,
        checksum: ChecksumMode::Standard,
        mcast_group4: packet::MCAST_GROUP4,
        ah_key: [0; 8],
        unicast: false,
    };
    Event::Packet(Packet::from_wire(packet::encode(&a, &tx).unwrap(), &tx))
}

/// A small deterministic generator: the test must not depend on a crate for randomness.
struct Lcg(u64);
impl Lcg {
    fn next(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % n
    }
}

fn scan(r: &Router) -> Option<Time> {
    r.instances().iter().filter_map(|i| i.next_deadline()).min()
}

#[test]
fn heap_deadline_matches_a_scan_of_every_instance() {
    let n = 60u8;
    let insts = (0..n)
        .map(|k| {
            let mut c = InstanceConfig::new(format!("vi{k}"), k + 1, ip("10.0.0.2"));
            c.version = Version::V3;
            c.priority = [100, 150, 200][usize::from(k % 3)];
            c.adver_int = Duration::from_millis([10, 100, 1000][usize::from(k % 3)]);
            c.initial_state = if k % 4 == 0 {
                InitialState::Master
            } else {
                InitialState::Backup
            };
            c.vips = vec![ip(&format!("10.0.{}.{}", (k + 1) / 200, (k + 1) % 200 + 1))];
            Instance::new(c)
        })
        .collect();
    let groups = vec![
        SyncGroupConfig {
            name: "G1".into(),
            members: vec![1, 2, 3],
        },
        SyncGroupConfig {
            name: "G2".into(),
            members: vec![10, 20],
        },
    ];
    let mut r = Router::new(insts, groups);
    let mut now = Time::ZERO;
    r.startup(now);
    assert_eq!(r.next_deadline(), scan(&r));
    let mut rng = Lcg(42);
    for step in 0..20_000 {
        match rng.next(10) {
            0..=3 => {
                if let Some(t) = r.next_deadline() {
                    now = now.max(t);
                    r.timer(now);
                    // a timer call leaves nothing due behind
                    assert!(r.next_deadline().is_none_or(|t| t > now), "step {step}");
                }
            }
            4..=7 => {
                now = now + Duration::from_micros(rng.next(20_000));
                let i = rng.next(u64::from(n)) as usize;
                let prio = [50, 120, 250][rng.next(3) as usize];
                r.handle(now, i, advert(i as u8 + 1, prio, 1));
            }
            8 => {
                let i = rng.next(u64::from(n)) as usize;
                r.handle(now, i, Event::Interface { up: false });
            }
            _ => {
                let i = rng.next(u64::from(n)) as usize;
                r.handle(now, i, Event::Interface { up: true });
            }
        }
        assert_eq!(r.next_deadline(), scan(&r), "step {step} at {now}");
    }
}

fn owner(adver_int: Duration) -> Instance {
    let mut c = InstanceConfig::new("vi", 1, ip("10.0.0.2"));
    c.version = Version::V3;
    c.priority = 255;
    c.adver_int = adver_int;
    c.initial_state = InitialState::Master;
    c.vips = vec![ip("10.0.0.100")];
    Instance::new(c)
}

#[test]
fn late_wake_ups_do_not_stretch_the_advert_interval() {
    let int = Duration::from_millis(10);
    let mut i = owner(int);
    i.handle(Time::ZERO, Event::Startup);
    // The owner times out of BACKUP at once and becomes master.
    let t = i.next_deadline().unwrap();
    i.handle(t, Event::Timer);
    let first = i.next_deadline().unwrap();
    let mut d = first;
    for _ in 0..100 {
        // woken 1.5 ms late every time, as a millisecond timer would
        i.handle(d + Duration::from_micros(1500), Event::Timer);
        d = i.next_deadline().unwrap();
    }
    assert_eq!(d, first + int * 100);
    // Late by more than half an interval: the schedule starts again from the wake-up.
    let woke = d + Duration::from_millis(7);
    i.handle(woke, Event::Timer);
    assert_eq!(i.next_deadline(), Some(woke + int));
}
