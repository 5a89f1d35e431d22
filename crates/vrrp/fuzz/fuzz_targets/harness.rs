//! The decode fuzz body, shared with the corpus regression test (tests/fuzz_corpus.rs): the first
//! byte picks the instance configuration, the rest is the packet.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use keepalived_vrrp::packet::{
    self, AuthConfig, ChecksumMode, Family, Frame, OldUnicastChecksum, Peer, TxParams,
    ValidationContext, Version,
};

/// Must never panic; anything accepted must re-encode.
pub fn run(data: &[u8]) {
    let Some((&sel, rest)) = data.split_first() else {
        return;
    };
    let v6 = sel & 1 != 0;
    let version = if sel & 2 != 0 {
        Version::V3
    } else {
        Version::V2
    };
    let auth = match (sel >> 2) & 3 {
        1 => AuthConfig::Pass(AuthConfig::key("kapass1")),
        2 => AuthConfig::Ah(AuthConfig::key("ahsecret")),
        _ => AuthConfig::None,
    };
    let unicast = sel & 0x10 != 0;
    let checksum = match (sel >> 5) & 3 {
        1 => ChecksumMode::AsV2,
        2 => ChecksumMode::OldUnicast,
        _ => ChecksumMode::Standard,
    };
    let check_addrs = sel & 0x80 != 0;
    let vips4 = [IpAddr::V4(Ipv4Addr::new(192, 168, 77, 21))];
    let vips6 = [IpAddr::V6(Ipv6Addr::new(0xfd00, 0x77, 0, 0, 0, 0, 0, 0x25))];
    let peers = [Peer::new(IpAddr::V4(Ipv4Addr::new(192, 168, 77, 1)))];
    let ctx = ValidationContext {
        version,
        family: if v6 { Family::V6 } else { Family::V4 },
        auth,
        adver_int_cs: 100,
        vips: if v6 { &vips6 } else { &vips4 },
        check_addrs,
        peers: if unicast { &peers } else { &[] },
        check_unicast_src: true,
        checksum,
        old_unicast_checksum: OldUnicastChecksum::Adopt,
        mcast_group4: packet::MCAST_GROUP4,
        ah_seq: 0,
        owner_ignoring: false,
    };
    let src6 = Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 1);
    let frame = if v6 {
        Frame::Ipv6 {
            payload: rest,
            src: src6,
            dst: packet::MCAST_GROUP6,
            hop_limit: Some(255),
        }
    } else {
        Frame::Ipv4(rest)
    };
    let _ = packet::peek_vrid(frame);
    if let Ok(rx) = packet::decode(frame, &ctx) {
        let tx = TxParams {
            src: rx.src,
            dst: rx.dst,
            ttl: rx.hop_limit.unwrap_or(255),
            ip_id: 1,
            checksum,
            mcast_group4: packet::MCAST_GROUP4,
            ah_key: AuthConfig::key("ahsecret"),
            unicast,
        };
        let bytes = packet::encode(&rx.advert, &tx).expect("accepted advert encodes");
        assert!(!bytes.is_empty());
    }
}
