//! Codec and state machine throughput: decode+validate and encode per packet, and events per
//! second through 1,000 instances.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use keepalived_vrrp::packet::{
    self, Advert, Auth, AuthConfig, ChecksumMode, Family, OldUnicastChecksum, Packet, TxParams,
    ValidationContext, Version,
};
use keepalived_vrrp::{Event, Instance, InstanceConfig, Time};

struct Case {
    name: &'static str,
    advert: Advert,
    tx: TxParams,
    auth: AuthConfig,
}

fn cases() -> Vec<Case> {
    let src4 = IpAddr::V4(Ipv4Addr::new(192, 168, 77, 1));
    let dst4 = IpAddr::V4(packet::MCAST_GROUP4);
    let vip4 = vec![IpAddr::V4(Ipv4Addr::new(192, 168, 77, 21))];
    let tx4 = TxParams {
        src: src4,
        dst: dst4,
        ttl: 255,
        ip_id: 1,
        checksum: ChecksumMode::Standard,
        mcast_group4: packet::MCAST_GROUP4,
        ah_key: AuthConfig::key("ahsecret"),
        unicast: false,
    };
    let adv = |version, auth, addrs: Vec<IpAddr>| Advert {
        version,
        vrid: 21,
        priority: 150,
        adver_int_cs: 100,
        addrs,
        auth,
    };
    vec![
        Case {
            name: "v2_pass",
            advert: adv(
                Version::V2,
                Auth::Pass(AuthConfig::key("kapass1")),
                vip4.clone(),
            ),
            tx: tx4,
            auth: AuthConfig::Pass(AuthConfig::key("kapass1")),
        },
        Case {
            name: "v2_ah",
            advert: adv(
                Version::V2,
                Auth::Ah {
                    spi: 0xc0a8_4d01,
                    seq: 5,
                },
                vip4.clone(),
            ),
            tx: tx4,
            auth: AuthConfig::Ah(AuthConfig::key("ahsecret")),
        },
        Case {
            name: "v3_ipv4",
            advert: adv(Version::V3, Auth::None, vip4),
            tx: tx4,
            auth: AuthConfig::None,
        },
        Case {
            name: "v3_ipv6",
            advert: adv(
                Version::V3,
                Auth::None,
                vec![IpAddr::V6(Ipv6Addr::new(0xfd00, 0x77, 0, 0, 0, 0, 0, 0x25))],
            ),
            tx: TxParams {
                src: IpAddr::V6(Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 1)),
                dst: IpAddr::V6(packet::MCAST_GROUP6),
                ..tx4
            },
            auth: AuthConfig::None,
        },
    ]
}

fn codec(c: &mut Criterion) {
    let mut g = c.benchmark_group("codec");
    g.throughput(Throughput::Elements(1));
    for case in cases() {
        let bytes = packet::encode(&case.advert, &case.tx).unwrap();
        let pkt = Packet::from_wire(bytes, &case.tx);
        let ctx = ValidationContext {
            version: case.advert.version,
            family: Family::of(&case.tx.src),
            auth: case.auth,
            adver_int_cs: 100,
            vips: &case.advert.addrs,
            check_addrs: true,
            peers: &[],
            check_unicast_src: false,
            checksum: ChecksumMode::Standard,
            old_unicast_checksum: OldUnicastChecksum::Adopt,
            mcast_group4: packet::MCAST_GROUP4,
            ah_seq: 0,
            owner_ignoring: false,
        };
        g.bench_function(format!("decode_validate/{}", case.name), |b| {
            b.iter(|| packet::decode(black_box(pkt.frame()), black_box(&ctx)).unwrap())
        });
        g.bench_function(format!("encode/{}", case.name), |b| {
            b.iter(|| packet::encode(black_box(&case.advert), black_box(&case.tx)).unwrap())
        });
    }
    g.finish();
}

/// 1,000 backups each hearing a master's advert every second, plus their timers: the daemon's
/// steady state for a large box.
fn machine(c: &mut Criterion) {
    const N: usize = 1000;
    let master = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1));
    let mut insts: Vec<Instance> = Vec::with_capacity(N);
    let mut pkts = Vec::with_capacity(N);
    for k in 0..N {
        let vrid = (k % 255) as u8 + 1;
        let mut cfg = InstanceConfig::new(
            format!("vi{k}"),
            vrid,
            IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2)),
        );
        cfg.version = Version::V3;
        cfg.vips = vec![IpAddr::V4(Ipv4Addr::new(
            10,
            1,
            (k / 250) as u8,
            (k % 250) as u8,
        ))];
        let mut i = Instance::new(cfg);
        i.handle(Time(0), Event::Startup);
        insts.push(i);
        let advert = Advert {
            version: Version::V3,
            vrid,
            priority: 200,
            adver_int_cs: 100,
            addrs: insts[k].config().vips.clone(),
            auth: Auth::None,
        };
        let tx = TxParams {
            src: master,
            dst: IpAddr::V4(packet::MCAST_GROUP4),
            ttl: 255,
            ip_id: 1,
            checksum: ChecksumMode::Standard,
            mcast_group4: packet::MCAST_GROUP4,
            ah_key: [0; 8],
            unicast: false,
        };
        pkts.push(Packet::from_wire(
            packet::encode(&advert, &tx).unwrap(),
            &tx,
        ));
    }
    let mut g = c.benchmark_group("state_machine_1000_instances");
    g.throughput(Throughput::Elements(N as u64));
    let mut now = Time(0);
    g.bench_function("backup_rx_advert", |b| {
        b.iter(|| {
            now = now + Duration::from_millis(1);
            for (i, p) in insts.iter_mut().zip(&pkts) {
                black_box(i.handle(now, Event::Packet(p.clone())));
            }
        })
    });
    // masters: each timer event builds and encodes an advert
    let mut masters: Vec<Instance> = insts
        .iter()
        .map(|i| {
            let mut cfg = i.config().clone();
            cfg.priority = 255;
            let mut m = Instance::new(cfg);
            m.handle(Time(0), Event::Startup);
            m.handle(Time(1), Event::Timer);
            m
        })
        .collect();
    let mut t = Time(1);
    g.bench_function("master_timer_advert", |b| {
        b.iter(|| {
            t = t + Duration::from_secs(1);
            for m in masters.iter_mut() {
                black_box(m.handle(t, Event::Timer));
            }
        })
    });
    g.finish();
}

criterion_group!(benches, codec, machine);
criterion_main!(benches);
