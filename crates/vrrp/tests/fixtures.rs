//! Real keepalived 2.2.7 adverts (tests/fixtures/*.pcap, made by capture.sh) decode, validate and
//! re-encode byte for byte.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use keepalived_vrrp::packet::{
    self, Auth, AuthConfig, ChecksumMode, Family, Frame, OldUnicastChecksum, Peer, RxError,
    TxParams, ValidationContext, Version,
};

/// Ethernet payloads of a little-endian classic pcap file.
fn frames(name: &str) -> Vec<Vec<u8>> {
    let path = format!("{}/tests/fixtures/{name}.pcap", env!("CARGO_MANIFEST_DIR"));
    let data = std::fs::read(&path).unwrap();
    assert_eq!(
        &data[..4],
        &[0xd4, 0xc3, 0xb2, 0xa1],
        "{path}: not a LE pcap"
    );
    let mut out = Vec::new();
    let mut off = 24;
    while off + 16 <= data.len() {
        let incl = u32::from_le_bytes(data[off + 8..off + 12].try_into().unwrap()) as usize;
        let rec = &data[off + 16..off + 16 + incl];
        out.push(rec[14..].to_vec());
        off += 16 + incl;
    }
    assert!(!out.is_empty(), "{path}: no packets");
    out
}

fn v4(s: &str) -> IpAddr {
    IpAddr::V4(s.parse::<Ipv4Addr>().unwrap())
}

struct Case<'a> {
    name: &'a str,
    version: Version,
    auth: AuthConfig,
    adver_int_cs: u16,
    vips: Vec<IpAddr>,
    peers: Vec<Peer>,
}

fn ctx<'a>(c: &'a Case<'a>, ah_seq: u32) -> ValidationContext<'a> {
    ValidationContext {
        version: c.version,
        family: Family::of(&c.vips[0]),
        auth: c.auth,
        adver_int_cs: c.adver_int_cs,
        vips: &c.vips,
        check_addrs: true,
        peers: &c.peers,
        check_unicast_src: true,
        checksum: ChecksumMode::Standard,
        old_unicast_checksum: OldUnicastChecksum::Adopt,
        mcast_group4: packet::MCAST_GROUP4,
        ah_seq,
        owner_ignoring: false,
    }
}

fn check_case(c: &Case<'_>) {
    let mut last_seq = 0;
    for (i, raw) in frames(c.name).iter().enumerate() {
        let (frame, ip_id, src, dst, ttl) = if raw[0] >> 4 == 4 {
            let len = u16::from_be_bytes([raw[2], raw[3]]) as usize;
            let pkt = &raw[..len];
            let id = u16::from_be_bytes([raw[4], raw[5]]);
            let src = v4(&format!("{}.{}.{}.{}", raw[12], raw[13], raw[14], raw[15]));
            let dst = v4(&format!("{}.{}.{}.{}", raw[16], raw[17], raw[18], raw[19]));
            (Frame::Ipv4(pkt), id, src, dst, raw[8])
        } else {
            let plen = u16::from_be_bytes([raw[4], raw[5]]) as usize;
            let src = Ipv6Addr::from(<[u8; 16]>::try_from(&raw[8..24]).unwrap());
            let dst = Ipv6Addr::from(<[u8; 16]>::try_from(&raw[24..40]).unwrap());
            let f = Frame::Ipv6 {
                payload: &raw[40..40 + plen],
                src,
                dst,
                hop_limit: Some(raw[7]),
            };
            (f, 0, IpAddr::V6(src), IpAddr::V6(dst), raw[7])
        };
        assert_eq!(packet::peek_vrid(frame), Some(c.name_vrid()));
        let rx = packet::decode(frame, &ctx(c, last_seq))
            .unwrap_or_else(|e| panic!("{} packet {i}: {e}", c.name));
        assert_eq!(rx.src, src);
        assert_eq!(rx.dst, dst);
        assert_eq!(rx.advert.addrs, c.vips);
        assert_eq!(rx.advert.adver_int_cs, c.adver_int_cs);
        assert!(!rx.old_unicast_checksum);
        if let Auth::Ah { seq, .. } = rx.advert.auth {
            assert!(seq > last_seq);
            // anti-replay: the same packet again is refused
            assert!(matches!(
                packet::decode(frame, &ctx(c, seq)),
                Err(RxError::Replay { .. })
            ));
            last_seq = seq;
        }
        let ah_key = match c.auth {
            AuthConfig::Ah(k) => k,
            _ => [0; 8],
        };
        let tx = TxParams {
            src,
            dst,
            ttl,
            ip_id,
            checksum: ChecksumMode::Standard,
            mcast_group4: packet::MCAST_GROUP4,
            ah_key,
            unicast: !c.peers.is_empty(),
        };
        let bytes = packet::encode(&rx.advert, &tx).unwrap();
        let original: &[u8] = match frame {
            Frame::Ipv4(p) => p,
            Frame::Ipv6 { payload, .. } => payload,
        };
        assert_eq!(
            bytes, original,
            "{} packet {i} re-encoded differently",
            c.name
        );
    }
}

impl Case<'_> {
    fn name_vrid(&self) -> u8 {
        match self.name {
            "v2_pass" => 21,
            "v2_ah" => 22,
            "v3_mcast" => 23,
            "v3_ucast" => 24,
            _ => 25,
        }
    }
}

#[test]
fn keepalived_v2_pass() {
    check_case(&Case {
        name: "v2_pass",
        version: Version::V2,
        auth: AuthConfig::Pass(AuthConfig::key("kapass1")),
        adver_int_cs: 100,
        vips: vec![v4("192.168.77.21"), v4("192.168.77.121")],
        peers: vec![],
    });
}

#[test]
fn keepalived_v2_ah() {
    check_case(&Case {
        name: "v2_ah",
        version: Version::V2,
        auth: AuthConfig::Ah(AuthConfig::key("ahsecret")),
        adver_int_cs: 100,
        vips: vec![v4("192.168.77.22")],
        peers: vec![],
    });
}

#[test]
fn keepalived_v3_ipv4_multicast() {
    check_case(&Case {
        name: "v3_mcast",
        version: Version::V3,
        auth: AuthConfig::None,
        adver_int_cs: 100,
        vips: vec![v4("192.168.77.23"), v4("192.168.77.123")],
        peers: vec![],
    });
}

#[test]
fn keepalived_v3_ipv4_unicast() {
    check_case(&Case {
        name: "v3_ucast",
        version: Version::V3,
        auth: AuthConfig::None,
        adver_int_cs: 50,
        vips: vec![v4("192.168.77.24")],
        peers: vec![Peer::new(v4("192.168.77.1"))],
    });
}

#[test]
fn keepalived_v3_ipv6() {
    check_case(&Case {
        name: "v3_ipv6",
        version: Version::V3,
        auth: AuthConfig::None,
        adver_int_cs: 100,
        vips: vec!["fd00:77::25".parse().unwrap(), "fe80::25".parse().unwrap()],
        peers: vec![],
    });
}

#[test]
fn wrong_password_and_wrong_ah_key_are_auth_failures() {
    let raw = &frames("v2_pass")[0];
    let c = Case {
        name: "v2_pass",
        version: Version::V2,
        auth: AuthConfig::Pass(AuthConfig::key("other")),
        adver_int_cs: 100,
        vips: vec![v4("192.168.77.21"), v4("192.168.77.121")],
        peers: vec![],
    };
    assert_eq!(
        packet::decode(Frame::Ipv4(raw), &ctx(&c, 0)),
        Err(RxError::BadPassword)
    );
    let raw = &frames("v2_ah")[0];
    let c = Case {
        name: "v2_ah",
        version: Version::V2,
        auth: AuthConfig::Ah(AuthConfig::key("wrong")),
        adver_int_cs: 100,
        vips: vec![v4("192.168.77.22")],
        peers: vec![],
    };
    assert_eq!(
        packet::decode(Frame::Ipv4(raw), &ctx(&c, 0)),
        Err(RxError::BadIcv)
    );
}
