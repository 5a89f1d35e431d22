//! Sync groups: members move to MASTER, BACKUP and FAULT together, as keepalived's vrrp_sync does.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::IpAddr;

use keepalived_vrrp::packet::{self, Advert, Auth, ChecksumMode, Packet, TxParams, Version};
use keepalived_vrrp::{
    Action, Event, Instance, InstanceConfig, Notify, Output, Router, State, SyncGroupConfig, Time,
    TrackerConfig, TrackerStatus,
};

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

fn router(trackers: bool) -> Router {
    let insts = (0..2u8)
        .map(|k| {
            let mut c = InstanceConfig::new(format!("vi{k}"), k + 1, ip("10.0.0.2"));
            c.version = Version::V3;
            c.priority = 100;
            c.vips = vec![ip(&format!("10.0.1.{}", k + 1))];
            if trackers {
                c.trackers = vec![TrackerConfig::new("chk", 0)];
            }
            Instance::new(c)
        })
        .collect();
    Router::new(
        insts,
        vec![SyncGroupConfig {
            name: "G".into(),
            members: vec![0, 1],
        }],
    )
}

fn advert(vrid: u8, prio: u8) -> Event {
    let a = Advert {
        version: Version::V3,
        vrid,
        priority: prio,
        adver_int_cs: 100,
        addrs: vec![ip(&format!("10.0.1.{vrid}"))],
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

fn states(r: &Router) -> Vec<State> {
    r.instances().iter().map(|i| i.state()).collect()
}

fn group_notified(out: &[Output], s: State) -> bool {
    out.iter()
        .any(|o| matches!(&o.action, Action::GroupNotify { state, .. } if *state == s))
}

fn to_master(r: &mut Router) -> Vec<Output> {
    let mut all = Vec::new();
    while states(r) != vec![State::Master, State::Master] {
        let t = r.next_deadline().unwrap();
        all.extend(r.timer(t));
    }
    all
}

#[test]
fn members_become_master_together() {
    let mut r = router(false);
    let out = r.startup(Time(0));
    assert_eq!(states(&r), vec![State::Backup, State::Backup]);
    assert!(group_notified(&out, State::Backup));
    let out = to_master(&mut r);
    assert!(group_notified(&out, State::Master));
    assert_eq!(r.groups()[0].state(), State::Master);
}

#[test]
fn first_member_to_time_out_waits_for_the_others() {
    let mut r = router(false);
    r.startup(Time(0));
    // keep vrid 2 held by a live master: vrid 1 timing out alone must not become MASTER
    let t = r.instance(0).unwrap().next_deadline().unwrap();
    r.handle(Time(t.0 - 10), 1, advert(2, 200));
    r.timer(t);
    assert_eq!(states(&r), vec![State::Backup, State::Backup]);
}

#[test]
fn higher_priority_on_one_member_demotes_the_group() {
    let mut r = router(false);
    r.startup(Time(0));
    to_master(&mut r);
    let out = r.handle(Time(10_000_000), 0, advert(1, 200));
    assert_eq!(states(&r), vec![State::Backup, State::Backup]);
    assert!(group_notified(&out, State::Backup));
    // both members released their addresses
    assert_eq!(
        out.iter()
            .filter(|o| o.action == Action::RemoveVips)
            .count(),
        2
    );
}

#[test]
fn fault_of_one_member_faults_the_group_and_recovers_together() {
    let mut r = router(true);
    r.startup(Time(0));
    to_master(&mut r);
    let out = r.handle(
        Time(10_000_000),
        1,
        Event::Tracker {
            index: 0,
            status: TrackerStatus::Down,
        },
    );
    assert_eq!(states(&r), vec![State::Fault, State::Fault]);
    assert!(group_notified(&out, State::Fault));
    // the member forced to FAULT by the group announced priority 0 too
    assert!(
        out.iter()
            .any(|o| o.instance == 0 && matches!(o.action, Action::Send { priority: 0, .. }))
    );
    let out = r.handle(
        Time(11_000_000),
        1,
        Event::Tracker {
            index: 0,
            status: TrackerStatus::Up,
        },
    );
    assert_eq!(states(&r), vec![State::Backup, State::Backup]);
    assert!(group_notified(&out, State::Backup));
    assert!(
        out.iter()
            .any(|o| o.instance == 0 && o.action == Action::Notify(Notify::State(State::Backup)))
    );
}

#[test]
fn group_waits_for_every_faulted_member() {
    let mut r = router(true);
    r.startup(Time(0));
    for i in 0..2 {
        r.handle(
            Time(1 + i as u64),
            i,
            Event::Tracker {
                index: 0,
                status: TrackerStatus::Down,
            },
        );
    }
    r.handle(
        Time(5),
        0,
        Event::Tracker {
            index: 0,
            status: TrackerStatus::Up,
        },
    );
    assert_eq!(
        states(&r),
        vec![State::Fault, State::Fault],
        "member 1 still down"
    );
    r.handle(
        Time(6),
        1,
        Event::Tracker {
            index: 0,
            status: TrackerStatus::Up,
        },
    );
    assert_eq!(states(&r), vec![State::Backup, State::Backup]);
}
