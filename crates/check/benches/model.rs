//! The pure side's cost at scale: accounting per verdict, a transition in a 10,000-server
//! virtual server, recomputing its services, and diffing two such tables.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;
use std::net::SocketAddr;

use criterion::{Criterion, criterion_group, criterion_main};
use keepalived_check::*;

fn big_vs(n: usize) -> VirtualServerConfig {
    let mut vs = VirtualServerConfig::new(VsIdent::Addr("10.0.0.1:80".parse().unwrap()));
    for i in 0..n {
        let addr = SocketAddr::new(
            std::net::Ipv4Addr::from(0x0a01_0000u32 + i as u32).into(),
            80,
        );
        let mut rs = RealServerConfig::new(addr);
        rs.checkers.push(CheckerConfig::tcp());
        vs.real_servers.push(rs);
    }
    vs
}

fn benches(c: &mut Criterion) {
    let vs = big_vs(10_000);
    let t = Timing::resolve(&vs, &vs.real_servers[0], &vs.real_servers[0].checkers[0]);
    let mut acc = Accounting::new(t);
    c.bench_function("accounting: one verdict", |b| {
        b.iter(|| black_box(acc.on_verdict(black_box(true))))
    });

    let mut m = Model::new(vec![vs.clone()], ModelOptions::default());
    m.start();
    let id = CheckerId {
        vs: 0,
        rs: 4242,
        checker: 0,
    };
    c.bench_function("model: down+up transition, 10,000 real servers", |b| {
        b.iter(|| {
            black_box(m.on_transition(id, Transition::Down { retries: 1 }));
            black_box(m.on_transition(id, Transition::Up));
        })
    });
    c.bench_function("model: services of a 10,000-server virtual server", |b| {
        b.iter(|| black_box(m.services_of(0)))
    });
    let before = m.table();
    m.on_transition(id, Transition::Down { retries: 1 });
    let after = m.table();
    c.bench_function("table: diff of two 10,000-dest tables (one change)", |b| {
        b.iter(|| black_box(before.diff(&after)))
    });
}

criterion_group!(model, benches);
criterion_main!(model);
