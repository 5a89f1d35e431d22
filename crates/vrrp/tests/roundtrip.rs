//! Property: every advert we can encode decodes back to itself under the matching configuration.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use keepalived_vrrp::packet::{
    self, Advert, Auth, AuthConfig, ChecksumMode, Family, Frame, OldUnicastChecksum, Packet, Peer,
    TxParams, ValidationContext, Version,
};
use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]
    #[test]
    fn encode_then_decode_is_identity(
        v6 in any::<bool>(),
        v3 in any::<bool>(),
        auth_kind in 0u8..3,
        vrid in 1u8..=255,
        priority in 1u8..=255,
        int_s in 1u16..=40,
        naddr in 0usize..20,
        seed in any::<u32>(),
        unicast in any::<bool>(),
        mode in 0u8..3,
    ) {
        let version = if v3 || v6 { Version::V3 } else { Version::V2 };
        let auth_cfg = match (version, auth_kind) {
            (Version::V2, 1) => AuthConfig::Pass(AuthConfig::key("pw")),
            (Version::V2, 2) => AuthConfig::Ah(AuthConfig::key("key")),
            _ => AuthConfig::None,
        };
        let src = if v6 { IpAddr::V6(Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 1)) } else { IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1)) };
        let peer = if v6 { IpAddr::V6(Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 2)) } else { IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2)) };
        let dst = match (unicast, v6) {
            (true, _) => peer,
            (false, true) => IpAddr::V6(packet::MCAST_GROUP6),
            (false, false) => IpAddr::V4(packet::MCAST_GROUP4),
        };
        let addrs: Vec<IpAddr> = (0..naddr)
            .map(|k| {
                let x = seed.wrapping_add(k as u32);
                if v6 { IpAddr::V6(Ipv6Addr::new(0xfd00, 0, 0, 0, 0, 0, (x >> 16) as u16, x as u16)) } else { IpAddr::V4(Ipv4Addr::from(x)) }
            })
            .collect();
        let auth = match auth_cfg {
            AuthConfig::None => Auth::None,
            AuthConfig::Pass(k) => Auth::Pass(k),
            AuthConfig::Ah(_) => Auth::Ah { spi: u32::from(Ipv4Addr::new(10, 0, 0, 1)), seq: seed | 1 },
        };
        let adver_int_cs = if version == Version::V2 { int_s * 100 } else { int_s * 7 };
        let advert = Advert { version, vrid, priority, adver_int_cs, addrs: addrs.clone(), auth };
        let checksum = match mode { 1 => ChecksumMode::AsV2, 2 if unicast => ChecksumMode::OldUnicast, _ => ChecksumMode::Standard };
        let tx = TxParams {
            src, dst, ttl: 255, ip_id: seed as u16, checksum,
            mcast_group4: packet::MCAST_GROUP4, ah_key: AuthConfig::key("key"), unicast,
        };
        let bytes = packet::encode(&advert, &tx).unwrap();
        let pkt = Packet::from_wire(bytes, &tx);
        let peers = [Peer::new(src)];
        let ctx = ValidationContext {
            version,
            family: if v6 { Family::V6 } else { Family::V4 },
            auth: auth_cfg,
            adver_int_cs,
            vips: &addrs,
            check_addrs: true,
            peers: if unicast { &peers } else { &[] },
            check_unicast_src: true,
            checksum: if checksum == ChecksumMode::AsV2 { ChecksumMode::AsV2 } else { ChecksumMode::Standard },
            old_unicast_checksum: OldUnicastChecksum::Adopt,
            mcast_group4: packet::MCAST_GROUP4,
            ah_seq: 0,
            owner_ignoring: false,
        };
        let rx = packet::decode(pkt.frame(), &ctx).unwrap();
        prop_assert_eq!(&rx.advert, &advert);
        prop_assert_eq!(rx.src, src);
        prop_assert_eq!(rx.old_unicast_checksum, checksum == ChecksumMode::OldUnicast && version == Version::V3 && !v6);
        prop_assert_eq!(packet::peek_vrid(pkt.frame()), Some(vrid));
        let _ = Frame::Ipv4(&[]);
    }
}
