//! Table tests: every RFC 5798 section 6.4 transition and keepalived's deviations from it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::IpAddr;
use std::time::Duration;

use keepalived_vrrp::packet::{self, Advert, Auth, ChecksumMode, Packet, TxParams, Version};
use keepalived_vrrp::{
    Action, Event, Instance, InstanceConfig, Notify, State, Time, TrackerConfig, TrackerStatus,
};

const ME: &str = "10.0.0.2";

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

fn cfg(version: Version, prio: u8) -> InstanceConfig {
    let mut c = InstanceConfig::new("vi", 7, ip(ME));
    c.version = version;
    c.priority = prio;
    c.vips = vec![ip("10.0.0.100")];
    c
}

fn advert_from(src: &str, version: Version, prio: u8, int_cs: u16) -> Event {
    let a = Advert {
        version,
        vrid: 7,
        priority: prio,
        adver_int_cs: int_cs,
        addrs: vec![ip("10.0.0.100")],
        auth: Auth::None,
    };
    let tx = TxParams {
        src: ip(src),
        dst: IpAddr::V4(packet::MCAST_GROUP4),
        ttl: 255,
        ip_id: 1,
        checksum: ChecksumMode::Standard,
        mcast_group4: packet::MCAST_GROUP4,
        ah_key: [0; 8],
        unicast: false,
    };
    let bytes = packet::encode(&a, &tx).unwrap();
    Event::Packet(Packet::from_wire(bytes, &tx))
}

fn sent(acts: &[Action]) -> Vec<u8> {
    acts.iter()
        .filter_map(|a| match a {
            Action::Send { priority, .. } => Some(*priority),
            _ => None,
        })
        .collect()
}

fn started(c: InstanceConfig) -> (Instance, Vec<Action>) {
    let mut i = Instance::new(c);
    let a = i.handle(Time(0), Event::Startup);
    (i, a)
}

/// Runs timers until the deadline passes `until`; returns the time of the last firing.
fn run_to(i: &mut Instance, until: Time) -> Vec<Action> {
    let mut all = Vec::new();
    while let Some(t) = i.next_deadline() {
        if t > until {
            break;
        }
        all.extend(i.handle(t, Event::Timer));
    }
    all
}

fn to_master(c: InstanceConfig) -> Instance {
    let (mut i, _) = started(c);
    let t = i.next_deadline().unwrap();
    i.handle(t, Event::Timer);
    assert_eq!(i.state(), State::Master);
    i
}

// ---- RFC 5798 6.4.1 Initialize ----

#[test]
fn init_owner_becomes_master_at_once() {
    let (mut i, acts) = started(cfg(Version::V3, 255));
    assert_eq!(
        i.state(),
        State::Backup,
        "keepalived passes through BACKUP for 1us"
    );
    assert!(!acts.contains(&Action::Notify(Notify::State(State::Backup))));
    assert_eq!(i.next_deadline(), Some(Time(1)));
    let acts = i.handle(Time(1), Event::Timer);
    assert_eq!(i.state(), State::Master);
    assert_eq!(sent(&acts), vec![255]);
    assert!(acts.contains(&Action::AddVips));
    assert!(acts.contains(&Action::Garp { repeat: 5 }));
    assert!(acts.contains(&Action::Notify(Notify::State(State::Master))));
    // the advert goes before the addresses and GARPs
    assert!(matches!(acts[0], Action::Send { .. }));
}

#[test]
fn init_non_owner_becomes_backup_with_master_down_timer() {
    let (i, acts) = started(cfg(Version::V2, 100));
    assert_eq!(i.state(), State::Backup);
    assert!(acts.contains(&Action::Notify(Notify::State(State::Backup))));
    // v2: 3 * 1s + (256-100)/256 s
    assert_eq!(
        i.next_deadline(),
        Some(Time(3_000_000 + 156 * 1_000_000 / 256))
    );
}

#[test]
fn v3_skew_uses_centiseconds_of_master_interval() {
    let mut c = cfg(Version::V3, 100);
    c.adver_int = Duration::from_millis(1000);
    let (i, _) = started(c);
    // (256-100) * 100cs * 625 / 16 us = 609375
    assert_eq!(
        i.master_down_interval(),
        Duration::from_micros(3_000_000 + 609_375)
    );
}

#[test]
fn down_timer_adverts_changes_master_down_interval() {
    let mut c = cfg(Version::V2, 100);
    c.down_timer_adverts = 5;
    let (i, _) = started(c);
    assert_eq!(
        i.master_down_interval(),
        Duration::from_micros(5_000_000 + 609_375)
    );
}

// ---- RFC 5798 6.4.2 Backup ----

#[test]
fn backup_master_down_timer_fires_becomes_master() {
    let (mut i, _) = started(cfg(Version::V3, 100));
    let t = i.next_deadline().unwrap();
    let acts = i.handle(t, Event::Timer);
    assert_eq!(i.state(), State::Master);
    assert_eq!(sent(&acts), vec![100]);
    assert_eq!(i.stats().become_master, 1);
    assert_eq!(i.next_deadline(), Some(t + Duration::from_secs(1)));
}

#[test]
fn backup_resets_timer_on_higher_or_equal_priority() {
    for prio in [100, 150] {
        let (mut i, _) = started(cfg(Version::V3, 100));
        let acts = i.handle(
            Time(2_000_000),
            advert_from("10.0.0.9", Version::V3, prio, 100),
        );
        assert!(acts.is_empty());
        assert_eq!(i.state(), State::Backup);
        assert_eq!(
            i.next_deadline(),
            Some(Time(2_000_000) + i.master_down_interval())
        );
        assert_eq!(i.master_addr(), Some(ip("10.0.0.9")));
    }
}

#[test]
fn v3_backup_adopts_masters_interval() {
    let (mut i, _) = started(cfg(Version::V3, 100));
    i.handle(Time(10), advert_from("10.0.0.9", Version::V3, 200, 50));
    assert_eq!(i.master_adver_int(), Duration::from_millis(500));
    // 3 * 0.5s + 156 * 50 * 625/16
    assert_eq!(
        i.master_down_interval(),
        Duration::from_micros(1_500_000 + 304_687)
    );
}

#[test]
fn backup_priority_zero_waits_skew_only() {
    let (mut i, _) = started(cfg(Version::V2, 100));
    i.handle(
        Time(1_000_000),
        advert_from("10.0.0.9", Version::V2, 0, 100),
    );
    assert_eq!(i.state(), State::Backup);
    assert_eq!(
        i.next_deadline(),
        Some(Time(1_000_000 + 156 * 1_000_000 / 256))
    );
    assert_eq!(i.stats().pri_zero_rcvd, 1);
}

#[test]
fn backup_lower_priority_with_preempt_lets_timer_run_out() {
    let (mut i, _) = started(cfg(Version::V3, 150));
    let d0 = i.next_deadline();
    i.handle(
        Time(1_000_000),
        advert_from("10.0.0.9", Version::V3, 100, 100),
    );
    assert_eq!(
        i.next_deadline(),
        d0,
        "discarded advert must not reset the timer"
    );
    run_to(&mut i, d0.unwrap());
    assert_eq!(i.state(), State::Master);
}

#[test]
fn backup_nopreempt_never_preempts_lower_priority_master() {
    let mut c = cfg(Version::V3, 150);
    c.nopreempt = true;
    let (mut i, _) = started(c);
    for k in 1..20u64 {
        i.handle(
            Time(k * 1_000_000),
            advert_from("10.0.0.9", Version::V3, 100, 100),
        );
        run_to(&mut i, Time(k * 1_000_000 + 999_999));
        assert_eq!(i.state(), State::Backup);
    }
}

#[test]
fn backup_preempt_delay_holds_then_preempts() {
    let mut c = cfg(Version::V3, 150);
    c.preempt_delay = Duration::from_secs(5);
    let (mut i, _) = started(c);
    let mut t = 0;
    while i.state() == State::Backup && t < 20_000_000 {
        t += 1_000_000;
        i.handle(Time(t), advert_from("10.0.0.9", Version::V3, 100, 100));
        run_to(&mut i, Time(t + 999_999));
    }
    assert_eq!(i.state(), State::Master);
    // the first advert starts the 5s delay at t=1s; the advert at 7s is discarded; the down
    // timer set at 6s runs out 3s + skew later
    assert!((7_000_000..=10_000_000).contains(&t), "preempted at {t}");
}

#[test]
fn backup_invalid_advert_is_counted_and_ignored() {
    let (mut i, _) = started(cfg(Version::V3, 100));
    let d0 = i.next_deadline();
    let acts = i.handle(Time(5), advert_from("10.0.0.9", Version::V2, 200, 100));
    assert_eq!(i.stats().vers_err, 1);
    assert_eq!(i.next_deadline(), d0);
    // said, for the daemon to log as keepalived does ("wrong version")
    assert!(acts.contains(&Action::Notify(Notify::Rejected(
        keepalived_vrrp::packet::RxError::Version(2)
    ))));
}

// ---- RFC 5798 6.4.3 Master ----

#[test]
fn master_sends_advert_every_interval() {
    let mut i = to_master(cfg(Version::V3, 100));
    let t = i.next_deadline().unwrap();
    let acts = i.handle(t, Event::Timer);
    assert_eq!(sent(&acts), vec![100]);
    assert_eq!(i.next_deadline(), Some(t + Duration::from_secs(1)));
}

#[test]
fn master_steps_down_on_higher_priority() {
    let mut i = to_master(cfg(Version::V3, 100));
    let acts = i.handle(
        Time(9_000_000),
        advert_from("10.0.0.1", Version::V3, 101, 100),
    );
    assert_eq!(i.state(), State::Backup);
    assert!(acts.contains(&Action::RemoveVips));
    assert!(acts.contains(&Action::Notify(Notify::State(State::Backup))));
    assert!(sent(&acts).is_empty(), "no priority 0 when pre-empted");
    assert_eq!(i.stats().release_master, 1);
    // who took over, for the log
    assert!(acts.contains(&Action::Notify(Notify::MasterRxHigherPri {
        from: ip("10.0.0.1"),
        priority: 101,
        ours: 100,
        same_priority: false
    })));
}

#[test]
fn master_equal_priority_tie_break_on_address() {
    // higher address wins
    let mut i = to_master(cfg(Version::V3, 100));
    i.handle(
        Time(9_000_000),
        advert_from("10.0.0.3", Version::V3, 100, 100),
    );
    assert_eq!(i.state(), State::Backup);
    let mut i = to_master(cfg(Version::V3, 100));
    let acts = i.handle(
        Time(9_000_000),
        advert_from("10.0.0.1", Version::V3, 100, 100),
    );
    assert_eq!(i.state(), State::Master);
    assert_eq!(sent(&acts), vec![100], "reply to the lower address");
}

#[test]
fn master_priority_zero_replies_with_advert() {
    let mut i = to_master(cfg(Version::V3, 100));
    let acts = i.handle(
        Time(9_000_000),
        advert_from("10.0.0.9", Version::V3, 0, 100),
    );
    assert_eq!(i.state(), State::Master);
    assert_eq!(sent(&acts), vec![100]);
}

#[test]
fn master_shutdown_sends_priority_zero() {
    let mut i = to_master(cfg(Version::V3, 100));
    let acts = i.handle(Time(9_000_000), Event::Shutdown);
    assert_eq!(sent(&acts), vec![0]);
    assert!(acts.contains(&Action::RemoveVips));
    assert!(acts.contains(&Action::Notify(Notify::State(State::Stop))));
    assert_eq!(i.state(), State::Stop);
    assert_eq!(i.next_deadline(), None);
    assert_eq!(i.stats().pri_zero_sent, 1);
}

// ---- keepalived deviations ----

#[test]
fn master_reply_to_lower_priority_and_garp_repeat() {
    let mut i = to_master(cfg(Version::V3, 100));
    let acts = i.handle(
        Time(9_000_000),
        advert_from("10.0.0.9", Version::V3, 50, 100),
    );
    assert_eq!(sent(&acts), vec![100]);
    assert!(acts.contains(&Action::Garp { repeat: 5 }));
    assert!(acts.contains(&Action::Notify(Notify::MasterRxLowerPri)));
    // and another lower-prio burst garp_lower_prio_delay (5s) later
    let later = run_to(&mut i, Time(14_000_000));
    assert!(later.contains(&Action::Garp { repeat: 5 }));
}

#[test]
fn lower_prio_no_advert_stays_silent() {
    let mut c = cfg(Version::V3, 100);
    c.lower_prio_no_advert = true;
    let mut i = to_master(c);
    let acts = i.handle(
        Time(9_000_000),
        advert_from("10.0.0.9", Version::V3, 50, 100),
    );
    assert!(sent(&acts).is_empty());
}

#[test]
fn higher_prio_send_advert_before_stepping_down() {
    let mut c = cfg(Version::V3, 100);
    c.higher_prio_send_advert = true;
    let mut i = to_master(c);
    let acts = i.handle(
        Time(9_000_000),
        advert_from("10.0.0.9", Version::V3, 150, 100),
    );
    assert_eq!(sent(&acts), vec![100]);
    assert_eq!(i.state(), State::Backup);
}

#[test]
fn two_owners_reduce_local_priority() {
    let mut i = to_master(cfg(Version::V3, 255));
    i.handle(
        Time(9_000_000),
        advert_from("10.0.0.1", Version::V3, 255, 100),
    );
    // keepalived drops to 254 and then yields to the other owner's 255
    assert_eq!(i.effective_priority(), 254);
    assert_eq!(i.base_priority(), 254);
    assert_eq!(i.state(), State::Backup);
}

#[test]
fn owner_ignore_adverts_drops_everything() {
    let mut c = cfg(Version::V3, 255);
    c.owner_ignore_adverts = true;
    let mut i = to_master(c);
    let acts = i.handle(
        Time(9_000_000),
        advert_from("10.0.0.9", Version::V3, 255, 100),
    );
    assert!(acts.is_empty());
    assert_eq!(i.effective_priority(), 255);
    assert_eq!(i.stats().advert_rcvd, 0);
}

#[test]
fn strict_mode_forces_rfc_behaviour() {
    let mut c = cfg(Version::V3, 100);
    c.strict = true;
    c.lower_prio_no_advert = false;
    c.higher_prio_send_advert = true;
    c.preempt_delay = Duration::from_secs(9);
    c.down_timer_adverts = 7;
    let mut i = to_master(c);
    assert_eq!(i.config().down_timer_adverts, 3);
    assert_eq!(i.config().preempt_delay, Duration::ZERO);
    let acts = i.handle(
        Time(9_000_000),
        advert_from("10.0.0.9", Version::V3, 50, 100),
    );
    assert!(sent(&acts).is_empty(), "strict: no reply to lower priority");
    assert!(!acts.iter().any(|a| matches!(a, Action::Garp { .. })));
}

#[test]
fn garp_master_delay_and_refresh() {
    let mut c = cfg(Version::V3, 100);
    c.garp.master_refresh = Duration::from_secs(10);
    c.garp.master_refresh_repeat = 2;
    let (mut i, _) = started(c);
    let t0 = i.next_deadline().unwrap();
    let acts = i.handle(t0, Event::Timer);
    assert!(acts.contains(&Action::Garp { repeat: 5 }));
    let acts = run_to(&mut i, t0 + Duration::from_millis(5_500));
    assert_eq!(
        acts.iter()
            .filter(|a| **a == Action::Garp { repeat: 5 })
            .count(),
        1,
        "second burst garp_master_delay later"
    );
    let acts = run_to(&mut i, t0 + Duration::from_millis(11_500));
    assert!(
        acts.contains(&Action::Garp { repeat: 2 }),
        "refresh after 10s"
    );
}

#[test]
fn min_garp_sends_one_without_delay() {
    let mut c = cfg(Version::V3, 100);
    c.garp = keepalived_vrrp::GarpConfig::min();
    let (mut i, _) = started(c);
    let t0 = i.next_deadline().unwrap();
    let acts = i.handle(t0, Event::Timer);
    assert!(acts.contains(&Action::Garp { repeat: 1 }));
    let acts = run_to(&mut i, t0 + Duration::from_secs(8));
    assert!(!acts.iter().any(|a| matches!(a, Action::Garp { .. })));
}

// ---- FAULT and trackers ----

#[test]
fn interface_down_faults_master_with_priority_zero() {
    let mut i = to_master(cfg(Version::V3, 100));
    let acts = i.handle(Time(9_000_000), Event::Interface { up: false });
    assert_eq!(i.state(), State::Fault);
    assert!(sent(&acts).iter().all(|p| *p == 0) && !sent(&acts).is_empty());
    assert!(acts.contains(&Action::RemoveVips));
    assert_eq!(i.next_deadline(), None);
    let acts = i.handle(Time(10_000_000), Event::Interface { up: true });
    assert_eq!(i.state(), State::Backup);
    assert!(acts.contains(&Action::Notify(Notify::State(State::Backup))));
}

#[test]
fn fault_ignores_adverts() {
    let (mut i, _) = started(cfg(Version::V3, 100));
    i.handle(Time(1), Event::Interface { up: false });
    let acts = i.handle(Time(2), advert_from("10.0.0.9", Version::V3, 100, 100));
    assert!(acts.is_empty());
    assert_eq!(i.stats().advert_rcvd, 0);
}

#[test]
fn weighted_trackers_move_priority_clamped() {
    let mut c = cfg(Version::V3, 100);
    c.trackers = vec![
        TrackerConfig::new("up+", 50),
        TrackerConfig::new("down-", -120),
        TrackerConfig {
            reverse: true,
            ..TrackerConfig::new("rev", 30)
        },
    ];
    c.notify_priority_changes = true;
    let (mut i, _) = started(c);
    // +50 (up) - 30 (reverse, up) = 120
    assert_eq!(i.effective_priority(), 120);
    let acts = i.handle(
        Time(1),
        Event::Tracker {
            index: 1,
            status: TrackerStatus::Down,
        },
    );
    assert_eq!(i.effective_priority(), 1, "clamped at 1");
    assert!(acts.contains(&Action::Notify(Notify::Priority(1))));
    i.handle(
        Time(2),
        Event::Tracker {
            index: 1,
            status: TrackerStatus::Up,
        },
    );
    i.handle(Time(3), Event::SetPriority(250));
    assert_eq!(i.effective_priority(), 254, "clamped at 254");
}

/// A track_file adds value x weight as keepalived does (security review M2's side note: value 0
/// at weight 1 is priority 150, not 151); -254 or below is FAULT; at weight 0 any value but 0 is.
#[test]
fn track_file_values_scale_by_weight() {
    let mut c = cfg(Version::V3, 150);
    c.trackers = vec![
        TrackerConfig::new("tf", 1),
        TrackerConfig {
            reverse: true,
            ..TrackerConfig::new("rev", 2)
        },
        TrackerConfig::new("zero", 0),
    ];
    let (mut i, _) = started(c);
    let set = |i: &mut Instance, index, v| {
        i.handle(
            Time(1),
            Event::Tracker {
                index,
                status: TrackerStatus::Value(v),
            },
        );
    };
    set(&mut i, 0, 0);
    set(&mut i, 1, 0);
    set(&mut i, 2, 0);
    assert_eq!(i.effective_priority(), 150);
    assert_eq!(i.state(), State::Backup);
    set(&mut i, 0, 5);
    assert_eq!(i.effective_priority(), 155);
    set(&mut i, 1, 3);
    assert_eq!(i.effective_priority(), 149, "reverse: 155 - 2 x 3");
    set(&mut i, 1, 0);
    set(&mut i, 0, -254);
    assert_eq!(i.state(), State::Fault, "value x weight at -254");
    set(&mut i, 0, -253);
    assert_ne!(i.state(), State::Fault);
    assert_eq!(i.effective_priority(), 1);
    set(&mut i, 0, 0);
    set(&mut i, 2, 7);
    assert_eq!(i.state(), State::Fault, "weight 0, value not 0");
    set(&mut i, 2, 0);
    assert_ne!(i.state(), State::Fault);
    assert_eq!(i.effective_priority(), 150);
}

#[test]
fn owner_priority_never_moves() {
    let mut c = cfg(Version::V3, 255);
    c.trackers = vec![TrackerConfig::new("t", -50)];
    let (mut i, _) = started(c);
    i.handle(
        Time(1),
        Event::Tracker {
            index: 0,
            status: TrackerStatus::Down,
        },
    );
    assert_eq!(i.effective_priority(), 255);
}

#[test]
fn weight_zero_tracker_faults_and_reverse_inverts() {
    let mut c = cfg(Version::V3, 100);
    c.trackers = vec![
        TrackerConfig::new("chk", 0),
        TrackerConfig {
            reverse: true,
            initial: TrackerStatus::Down,
            ..TrackerConfig::new("rev", 0)
        },
    ];
    let (mut i, _) = started(c);
    assert_eq!(i.state(), State::Backup);
    i.handle(
        Time(1),
        Event::Tracker {
            index: 0,
            status: TrackerStatus::Down,
        },
    );
    assert_eq!(i.state(), State::Fault);
    i.handle(
        Time(2),
        Event::Tracker {
            index: 0,
            status: TrackerStatus::Up,
        },
    );
    assert_eq!(i.state(), State::Backup);
    i.handle(
        Time(3),
        Event::Tracker {
            index: 1,
            status: TrackerStatus::Up,
        },
    );
    assert_eq!(i.state(), State::Fault, "reverse: up means fault");
}

#[test]
fn unknown_weight_zero_script_starts_in_quiet_fault() {
    let mut c = cfg(Version::V3, 255);
    c.trackers = vec![TrackerConfig {
        initial: TrackerStatus::Unknown,
        ..TrackerConfig::new("chk", 0)
    }];
    let (mut i, acts) = started(c);
    assert_eq!(i.state(), State::Fault);
    assert!(acts.is_empty(), "no notification while scripts initialise");
    let acts = i.handle(
        Time(5),
        Event::Tracker {
            index: 0,
            status: TrackerStatus::Up,
        },
    );
    assert_eq!(
        i.state(),
        State::Master,
        "owner leaving init goes straight to MASTER"
    );
    assert_eq!(sent(&acts), vec![255]);
}

#[test]
fn backup_priority_change_shifts_running_down_timer() {
    let mut c = cfg(Version::V2, 100);
    c.trackers = vec![TrackerConfig::new("t", 100)];
    let (mut i, _) = started(c);
    let d0 = i.next_deadline().unwrap();
    i.handle(
        Time(1),
        Event::Tracker {
            index: 0,
            status: TrackerStatus::Down,
        },
    );
    // priority 200 -> 100: skew grows by 100/256 s
    assert_eq!(i.next_deadline(), Some(Time(d0.0 + 100 * 1_000_000 / 256)));
}

#[test]
fn nopreempt_and_initial_master_are_reconciled_like_keepalived() {
    let mut c = cfg(Version::V3, 100);
    c.nopreempt = true;
    c.initial_state = keepalived_vrrp::InitialState::Master;
    let i = Instance::new(c);
    assert!(!i.config().nopreempt);
    let mut c = cfg(Version::V3, 255);
    c.nopreempt = true;
    assert!(!Instance::new(c).config().nopreempt);
}
