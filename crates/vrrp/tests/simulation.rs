//! Properties of the state machine over thousands of seeded virtual LANs (see tests/sim).
//! `VRRP_SIM_RUNS=N` runs more seeds; `VRRP_SIM_SEED=S` replays one seed with its trace.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod sim;

use sim::Sim;

fn runs() -> u64 {
    std::env::var("VRRP_SIM_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(4000)
}

fn fail(seed: u64, err: &str) -> ! {
    let mut replay = Sim::new(seed, true);
    let _ = replay.run();
    for line in replay.trace() {
        eprintln!("{line}");
    }
    eprintln!("shape: {:?}", replay.shape);
    panic!(
        "seed {seed}: {err}\nreplay: VRRP_SIM_SEED={seed} cargo test -p keepalived-vrrp --test simulation"
    );
}

#[test]
fn seeded_lans_keep_vrrp_properties() {
    if let Some(seed) = std::env::var("VRRP_SIM_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
    {
        let mut s = Sim::new(seed, true);
        let res = s.run();
        for line in s.trace() {
            eprintln!("{line}");
        }
        eprintln!("shape: {:?}", s.shape);
        if let Err(e) = res {
            panic!("seed {seed}: {e}");
        }
        return;
    }
    let (mut deliveries, mut transitions, mut failovers, mut ah_dual) = (0, 0, 0, 0);
    let n = runs();
    for seed in 0..n {
        let mut s = Sim::new(seed, false);
        if let Err(e) = s.run() {
            fail(seed, &e);
        }
        deliveries += s.stats.deliveries;
        transitions += s.stats.transitions;
        failovers += s.stats.failovers_checked;
        ah_dual += s.stats.ah_dual_master;
    }
    eprintln!(
        "{n} runs: {deliveries} adverts delivered, {transitions} transitions, {failovers} failovers timed, \
         {ah_dual} AH runs with two masters locked by the shared anti-replay counter (keepalived behaviour)"
    );
    assert!(
        failovers > n / 4,
        "too few failovers exercised: {failovers}"
    );
}

#[test]
fn equal_priorities_starting_together_elect_highest_address() {
    use keepalived_vrrp::{Event, Instance, InstanceConfig, State, Time};
    use std::net::IpAddr;
    let ips = ["10.0.0.5", "10.0.0.9", "10.0.0.7"];
    let mut insts: Vec<Instance> = ips
        .iter()
        .map(|ip| {
            let mut c = InstanceConfig::new("vi", 1, ip.parse::<IpAddr>().unwrap());
            c.priority = 100;
            c.vips = vec!["10.0.1.1".parse().unwrap()];
            Instance::new(c)
        })
        .collect();
    for i in &mut insts {
        i.handle(Time(0), Event::Startup);
    }
    // all time out together; deliver every advert to everyone until quiet
    let mut now = insts[0].next_deadline().unwrap();
    for _ in 0..10 {
        let mut sent = Vec::new();
        for (k, i) in insts.iter_mut().enumerate() {
            if i.next_deadline().is_some_and(|d| d <= now) {
                for a in i.handle(now, Event::Timer) {
                    if let keepalived_vrrp::Action::Send { bytes, .. } = a {
                        sent.push((k, bytes));
                    }
                }
            }
        }
        for (k, bytes) in sent {
            for (j, i) in insts.iter_mut().enumerate() {
                if j != k {
                    i.handle(
                        now,
                        Event::Packet(keepalived_vrrp::packet::Packet::Ipv4(bytes.clone())),
                    );
                }
            }
        }
        now = insts
            .iter()
            .filter_map(|i| i.next_deadline())
            .min()
            .unwrap();
    }
    let states: Vec<State> = insts.iter().map(|i| i.state()).collect();
    assert_eq!(states, vec![State::Backup, State::Master, State::Backup]);
}
