//! Receive validation: each rejection reason in keepalived's order, with the counter it bumps, and
//! the checksum variants (RFC 5798, v3_checksum_as_v2, old unicast checksum).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::{IpAddr, Ipv4Addr};

use keepalived_vrrp::packet::{
    self, Advert, Auth, AuthConfig, ChecksumMode, Counter, Family, Frame, OldUnicastChecksum, Peer,
    RxError, TxParams, ValidationContext, Version,
};
use keepalived_vrrp::{Action, Event, Instance, InstanceConfig, Time};

fn v4(a: u8) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(10, 0, 0, a))
}

fn advert(version: Version, auth: Auth) -> Advert {
    Advert {
        version,
        vrid: 9,
        priority: 100,
        adver_int_cs: 100,
        addrs: vec![v4(100)],
        auth,
    }
}

fn tx(dst: IpAddr, checksum: ChecksumMode) -> TxParams {
    TxParams {
        src: v4(1),
        dst,
        ttl: 255,
        ip_id: 7,
        checksum,
        mcast_group4: packet::MCAST_GROUP4,
        ah_key: AuthConfig::key("secret"),
        unicast: !dst.is_multicast(),
    }
}

const OTHER: &[IpAddr] = &[IpAddr::V4(Ipv4Addr::new(10, 9, 9, 9))];
const VIPS: &[IpAddr] = &[IpAddr::V4(Ipv4Addr::new(10, 0, 0, 100))];

fn ctx(version: Version, auth: AuthConfig) -> ValidationContext<'static> {
    ValidationContext {
        version,
        family: Family::V4,
        auth,
        adver_int_cs: 100,
        vips: VIPS,
        check_addrs: true,
        peers: &[],
        check_unicast_src: false,
        checksum: ChecksumMode::Standard,
        old_unicast_checksum: OldUnicastChecksum::Adopt,
        mcast_group4: packet::MCAST_GROUP4,
        ah_seq: 0,
        owner_ignoring: false,
    }
}

fn mcast() -> IpAddr {
    IpAddr::V4(packet::MCAST_GROUP4)
}

fn good_v3() -> Vec<u8> {
    packet::encode(
        &advert(Version::V3, Auth::None),
        &tx(mcast(), ChecksumMode::Standard),
    )
    .unwrap()
}

/// Recomputes the IPv4 header checksum after a test edited the header.
fn fix_ip_csum(p: &mut [u8]) {
    p[10] = 0;
    p[11] = 0;
    let mut s: u32 = 0;
    for w in p[..20].chunks(2) {
        s += u32::from(u16::from_be_bytes([w[0], w[1]]));
    }
    while s > 0xffff {
        s = (s & 0xffff) + (s >> 16);
    }
    p[10..12].copy_from_slice(&(!(s as u16)).to_be_bytes());
}

fn dec(p: &[u8], c: &ValidationContext<'_>) -> Result<packet::Received, RxError> {
    packet::decode(Frame::Ipv4(p), c)
}

#[test]
fn each_reason_is_distinct_and_counted() {
    let c3 = ctx(Version::V3, AuthConfig::None);
    let good = good_v3();
    assert!(dec(&good, &c3).is_ok());

    let cases: Vec<(&str, Vec<u8>, ValidationContext<'static>, Option<Counter>)> = vec![
        (
            "short",
            good[..10].to_vec(),
            c3,
            Some(Counter::PacketLength),
        ),
        (
            "truncated addresses",
            good[..good.len() - 2].to_vec(),
            c3,
            Some(Counter::PacketLength),
        ),
        (
            "ttl",
            {
                let mut p = good.clone();
                p[8] = 64;
                p
            },
            c3,
            Some(Counter::Ttl),
        ),
        (
            "version",
            good.clone(),
            ctx(Version::V2, AuthConfig::None),
            Some(Counter::Version),
        ),
        (
            "type",
            {
                let mut p = good.clone();
                p[20] = 0x32;
                p
            },
            c3,
            Some(Counter::InvalidType),
        ),
        (
            "address count",
            good.clone(),
            ValidationContext { vips: &[], ..c3 },
            Some(Counter::AddressList),
        ),
        (
            "checksum",
            {
                let mut p = good.clone();
                p[22] ^= 1; // priority
                p
            },
            c3,
            Some(Counter::Checksum),
        ),
        (
            "address list",
            good.clone(),
            ValidationContext { vips: OTHER, ..c3 },
            Some(Counter::AddressList),
        ),
    ];
    let mut seen = Vec::new();
    for (name, p, c, counter) in cases {
        match dec(&p, &c) {
            Ok(_) => panic!("{name}: accepted"),
            Err(e) => {
                assert_eq!(e.counter(), counter, "{name}: {e}");
                assert!(!seen.contains(&e), "{name}: same error as another case");
                seen.push(e);
            }
        }
    }
}

#[test]
fn v2_auth_reasons() {
    let pass = AuthConfig::Pass(AuthConfig::key("pw"));
    let p = packet::encode(
        &advert(Version::V2, Auth::Pass(AuthConfig::key("pw"))),
        &tx(mcast(), ChecksumMode::Standard),
    )
    .unwrap();
    assert!(dec(&p, &ctx(Version::V2, pass)).is_ok());
    let e = dec(&p, &ctx(Version::V2, AuthConfig::None)).unwrap_err();
    assert_eq!(e.counter(), Some(Counter::AuthTypeMismatch));
    let e = dec(
        &p,
        &ctx(Version::V2, AuthConfig::Pass(AuthConfig::key("xx"))),
    )
    .unwrap_err();
    assert_eq!(e, RxError::BadPassword);
    assert_eq!(e.counter(), Some(Counter::AuthFailure));
    let mut bad = p.clone();
    bad[24] = 7; // auth type
    assert_eq!(
        dec(&bad, &ctx(Version::V2, pass)),
        Err(RxError::InvalidAuthType(7))
    );
    let mut int = p.clone();
    int[25] = 3;
    assert_eq!(
        dec(&int, &ctx(Version::V2, pass)).unwrap_err().counter(),
        Some(Counter::AdvertInterval)
    );
    // AH header expected but absent
    let ah = AuthConfig::Ah(AuthConfig::key("secret"));
    assert_eq!(
        dec(&p, &ctx(Version::V2, ah)),
        Err(RxError::AhPresenceMismatch)
    );
}

#[test]
fn ah_spi_replay_and_tamper() {
    let ah = AuthConfig::Ah(AuthConfig::key("secret"));
    let p = packet::encode(
        &advert(
            Version::V2,
            Auth::Ah {
                spi: 0x0a00_0001,
                seq: 10,
            },
        ),
        &tx(mcast(), ChecksumMode::Standard),
    )
    .unwrap();
    assert!(dec(&p, &ctx(Version::V2, ah)).is_ok());
    let replay = ValidationContext {
        ah_seq: 10,
        ..ctx(Version::V2, ah)
    };
    assert_eq!(dec(&p, &replay), Err(RxError::Replay { got: 10, last: 10 }));
    let wrong_spi = packet::encode(
        &advert(Version::V2, Auth::Ah { spi: 5, seq: 11 }),
        &tx(mcast(), ChecksumMode::Standard),
    )
    .unwrap();
    assert_eq!(dec(&wrong_spi, &ctx(Version::V2, ah)), Err(RxError::BadSpi));
    let mut tampered = p.clone();
    tampered[46] = 200; // VRRP priority under the ICV
    assert_eq!(dec(&tampered, &ctx(Version::V2, ah)), Err(RxError::BadIcv));
    // TTL and TOS are mutable for multicast? keepalived keeps the TTL in the ICV for multicast,
    // but zeroes TOS: a changed TOS still verifies
    let mut tos = p.clone();
    tos[1] = 0;
    fix_ip_csum(&mut tos);
    assert!(dec(&tos, &ctx(Version::V2, ah)).is_ok());
}

#[test]
fn v3_checksum_modes_and_old_unicast() {
    let peer = v4(2);
    let peers: &'static [Peer] = Box::leak(Box::new([Peer::new(v4(1))]));
    let uc = ValidationContext {
        peers,
        ..ctx(Version::V3, AuthConfig::None)
    };
    let std_pkt = packet::encode(
        &advert(Version::V3, Auth::None),
        &tx(peer, ChecksumMode::Standard),
    )
    .unwrap();
    let old_pkt = packet::encode(
        &advert(Version::V3, Auth::None),
        &tx(peer, ChecksumMode::OldUnicast),
    )
    .unwrap();
    let v2_pkt = packet::encode(
        &advert(Version::V3, Auth::None),
        &tx(peer, ChecksumMode::AsV2),
    )
    .unwrap();
    assert_ne!(std_pkt, old_pkt);
    assert!(!dec(&std_pkt, &uc).unwrap().old_unicast_checksum);
    // default: an old-style peer is accepted and flagged, so the instance adopts its checksum
    assert!(dec(&old_pkt, &uc).unwrap().old_unicast_checksum);
    let never = ValidationContext {
        old_unicast_checksum: OldUnicastChecksum::Never,
        ..uc
    };
    assert_eq!(dec(&old_pkt, &never).unwrap_err(), RxError::Checksum);
    let always = ValidationContext {
        old_unicast_checksum: OldUnicastChecksum::Always,
        ..uc
    };
    assert!(dec(&old_pkt, &always).is_ok());
    assert_eq!(dec(&std_pkt, &always).unwrap_err(), RxError::Checksum);
    let as_v2 = ValidationContext {
        checksum: ChecksumMode::AsV2,
        ..uc
    };
    assert!(dec(&v2_pkt, &as_v2).is_ok());
    assert_eq!(dec(&std_pkt, &as_v2).unwrap_err(), RxError::Checksum);
    // unicast instance receiving multicast
    assert_eq!(dec(&good_v3(), &uc).unwrap_err(), RxError::CastMismatch);
}

#[test]
fn instance_adopts_old_unicast_checksum_from_peer() {
    let mut c = InstanceConfig::new("vi", 9, v4(2));
    c.version = Version::V3;
    c.vips = VIPS.to_vec();
    c.peers = vec![Peer::new(v4(1))];
    c.priority = 50;
    let mut i = Instance::new(c);
    i.handle(Time(0), Event::Startup);
    let old = TxParams {
        src: v4(1),
        ..tx(v4(2), ChecksumMode::OldUnicast)
    };
    let bytes = packet::encode(&advert(Version::V3, Auth::None), &old).unwrap();
    i.handle(Time(1), Event::Packet(packet::Packet::Ipv4(bytes)));
    assert_eq!(i.stats().advert_rcvd, 1);
    // when it becomes master, it now sends old-style checksums to its peer
    let t = i.next_deadline().unwrap();
    let acts = i.handle(t, Event::Timer);
    let Some(Action::Send { bytes, .. }) = acts.first() else {
        panic!("no advert")
    };
    let peer_ctx = ValidationContext {
        peers: Box::leak(Box::new([Peer::new(v4(2))])),
        old_unicast_checksum: OldUnicastChecksum::Never,
        ..ctx(Version::V3, AuthConfig::None)
    };
    assert_eq!(dec(bytes, &peer_ctx).unwrap_err(), RxError::Checksum);
}

#[test]
fn garbage_never_panics() {
    let c = ctx(Version::V2, AuthConfig::Ah(AuthConfig::key("k")));
    let mut x: u64 = 1;
    for len in 0..200 {
        let mut buf = vec![0u8; len];
        for b in &mut buf {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            *b = x as u8;
        }
        if len > 20 {
            buf[0] = 0x45;
            buf[9] = if len % 2 == 0 { 51 } else { 112 };
        }
        let _ = dec(&buf, &c);
        let _ = packet::peek_vrid(Frame::Ipv4(&buf));
    }
}
