//! The VRRP wire format: VRRPv2 (RFC 3768, with keepalived's PASS and IPsec-AH authentication) and
//! VRRPv3 (RFC 5798/9568) over IPv4 and IPv6, encoding and receive validation with counted reasons.
//!
//! IPv4 packets are handled whole (IP header, optional AH header, VRRP), as keepalived sends them with
//! `IP_HDRINCL` and reads them from a raw socket; IPv6 packets are the VRRP payload only, the kernel
//! owning the IPv6 header (the caller passes source, destination and hop limit from ancillary data).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use hmac::{Hmac, Mac};
use md5::Md5;

use crate::Error;

/// IP protocol number of VRRP.
pub const IPPROTO_VRRP: u8 = 112;
/// IP protocol number of the IPsec authentication header.
pub const IPPROTO_AH: u8 = 51;
/// The TTL / hop limit every multicast advert must carry.
pub const VRRP_TTL: u8 = 255;
/// The IPv4 group adverts go to unless configured otherwise (`vrrp_mcast_group4`).
pub const MCAST_GROUP4: Ipv4Addr = Ipv4Addr::new(224, 0, 0, 18);
/// The IPv6 group adverts go to unless configured otherwise (`vrrp_mcast_group6`).
pub const MCAST_GROUP6: Ipv6Addr = Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 0, 0x12);

const VRRP_HDR_LEN: usize = 8;
const AUTH_LEN: usize = 8;
const AH_LEN: usize = 24;
const ICV_LEN: usize = 12;
const IPV4_HDR_LEN: usize = 20;
/// keepalived sets the IPv4 TOS to "internetwork control".
const IPV4_TOS: u8 = 0xc0;

/// VRRP protocol version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Version {
    V2,
    V3,
}

impl Version {
    pub fn number(self) -> u8 {
        match self {
            Version::V2 => 2,
            Version::V3 => 3,
        }
    }
}

/// Address family of an instance (and of every address in its adverts).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Family {
    V4,
    V6,
}

impl Family {
    pub fn of(addr: &IpAddr) -> Family {
        match addr {
            IpAddr::V4(_) => Family::V4,
            IpAddr::V6(_) => Family::V6,
        }
    }
}

/// Authentication as configured (`authentication { auth_type; auth_pass }`); VRRPv2 over IPv4 only.
/// The key is the password truncated or zero padded to 8 bytes, as keepalived stores it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AuthConfig {
    #[default]
    None,
    Pass([u8; 8]),
    Ah([u8; 8]),
}

impl AuthConfig {
    /// The 8-byte key keepalived derives from an `auth_pass` string.
    pub fn key(pass: &str) -> [u8; 8] {
        let mut k = [0u8; 8];
        for (d, s) in k.iter_mut().zip(pass.as_bytes()) {
            *d = *s;
        }
        k
    }

    fn type_code(&self) -> u8 {
        match self {
            AuthConfig::None => 0,
            AuthConfig::Pass(_) => 1,
            AuthConfig::Ah(_) => 2,
        }
    }
}

/// Authentication carried by one advert.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Auth {
    None,
    /// The 8 authentication-data bytes of a VRRPv2 simple-password advert.
    Pass([u8; 8]),
    /// The IPsec AH header's security parameter index (keepalived: the source address) and sequence.
    Ah {
        spi: u32,
        seq: u32,
    },
}

/// One VRRP advertisement, decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Advert {
    pub version: Version,
    pub vrid: u8,
    pub priority: u8,
    /// Advertisement interval in centiseconds (VRRPv2's whole seconds are converted).
    pub adver_int_cs: u16,
    pub addrs: Vec<IpAddr>,
    pub auth: Auth,
}

/// A received packet handed in by the socket layer, borrowed.
#[derive(Debug, Clone, Copy)]
pub enum Frame<'a> {
    /// The whole IPv4 packet as read from a raw socket (header included).
    Ipv4(&'a [u8]),
    /// The VRRP payload of an IPv6 packet with the header fields from ancillary data.
    Ipv6 {
        payload: &'a [u8],
        src: Ipv6Addr,
        dst: Ipv6Addr,
        hop_limit: Option<u8>,
    },
}

/// A received packet, owned (what `Event::Packet` carries).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Packet {
    Ipv4(Vec<u8>),
    Ipv6 {
        payload: Vec<u8>,
        src: Ipv6Addr,
        dst: Ipv6Addr,
        hop_limit: Option<u8>,
    },
}

impl Packet {
    pub fn frame(&self) -> Frame<'_> {
        match self {
            Packet::Ipv4(b) => Frame::Ipv4(b),
            Packet::Ipv6 {
                payload,
                src,
                dst,
                hop_limit,
            } => Frame::Ipv6 {
                payload,
                src: *src,
                dst: *dst,
                hop_limit: *hop_limit,
            },
        }
    }

    /// Builds the received form of what [`encode`] produced, as a socket would deliver it.
    pub fn from_wire(bytes: Vec<u8>, tx: &TxParams) -> Packet {
        match (tx.src, tx.dst) {
            (IpAddr::V6(src), IpAddr::V6(dst)) => Packet::Ipv6 {
                payload: bytes,
                src,
                dst,
                hop_limit: Some(tx.ttl),
            },
            _ => Packet::Ipv4(bytes),
        }
    }
}

/// How the VRRPv3 IPv4 checksum is computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ChecksumMode {
    /// RFC 5798: pseudo-header with the real destination (unicast peer or group).
    #[default]
    Standard,
    /// `v3_checksum_as_v2`: no pseudo-header, as RFC 9568 permits for interoperability.
    AsV2,
    /// keepalived <= 1.3.6 unicast: pseudo-header with the multicast group as destination
    /// (`old_unicast_checksum`, or adopted after receiving such an advert).
    OldUnicast,
}

/// Whether an instance may adopt the old unicast checksum when a peer uses it
/// (keepalived's default), never does (`old_unicast_checksum never`), or always uses it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OldUnicastChecksum {
    #[default]
    Adopt,
    Never,
    Always,
}

/// A unicast peer and the TTL range accepted from it (`unicast_peer { addr min_ttl N max_ttl M }`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Peer {
    pub addr: IpAddr,
    pub min_ttl: u8,
    pub max_ttl: u8,
}

impl Peer {
    pub fn new(addr: IpAddr) -> Peer {
        Peer {
            addr,
            min_ttl: 0,
            max_ttl: 255,
        }
    }
}

/// What a receiving instance expects; borrowed from the instance for each packet.
#[derive(Debug, Clone, Copy)]
pub struct ValidationContext<'a> {
    pub version: Version,
    pub family: Family,
    pub auth: AuthConfig,
    /// Configured interval in centiseconds; VRRPv2 adverts must match it.
    pub adver_int_cs: u16,
    pub vips: &'a [IpAddr],
    /// Compare the advert's address list with `vips` (off with `skip_check_adv_addr` while the
    /// master's address is unchanged).
    pub check_addrs: bool,
    /// Unicast peers; empty means multicast.
    pub peers: &'a [Peer],
    /// Drop unicast adverts whose source is not a configured peer (`check_unicast_src`).
    pub check_unicast_src: bool,
    pub checksum: ChecksumMode,
    pub old_unicast_checksum: OldUnicastChecksum,
    pub mcast_group4: Ipv4Addr,
    /// Highest AH sequence number accepted or sent so far (anti-replay).
    pub ah_seq: u32,
    /// `vrrp_owner_ignore_adverts` with the instance at priority 255.
    pub owner_ignoring: bool,
}

/// A validated advert with what the IP layer said about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Received {
    pub advert: Advert,
    pub src: IpAddr,
    pub dst: IpAddr,
    pub hop_limit: Option<u8>,
    /// The checksum only verified with the multicast group in the pseudo-header: the sender runs
    /// an old keepalived; the instance switches its own unicast checksum to match.
    pub old_unicast_checksum: bool,
}

/// Why a received packet was rejected, one variant per reason; [`RxError::counter`] says which
/// keepalived counter it bumps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum RxError {
    #[error("packet too short for the headers ({0} bytes)")]
    TooShort(usize),
    #[error("not an IPv4 VRRP or AH packet")]
    NotVrrp,
    #[error("AH header presence does not match the configured auth type")]
    AhPresenceMismatch,
    #[error("length {got} but expected {expected}")]
    Length { got: usize, expected: usize },
    #[error("IP total length {ip} does not match received length {got}")]
    IpLength { ip: usize, got: usize },
    #[error("TTL/hop limit {0}, expected 255")]
    Ttl(u8),
    #[error("VRRP version {0} does not match the instance")]
    Version(u8),
    #[error("invalid auth type {0}")]
    InvalidAuthType(u8),
    #[error("auth type {got} but {expected} configured")]
    AuthTypeMismatch { got: u8, expected: u8 },
    #[error("password mismatch")]
    BadPassword,
    #[error("AH next header is not VRRP")]
    AhNotVrrp,
    #[error("AH ICV (HMAC-MD5-96) mismatch")]
    BadIcv,
    #[error("AH SPI does not match the source address")]
    BadSpi,
    #[error("AH sequence number {got} already seen (last {last})")]
    Replay { got: u32, last: u32 },
    #[error("advert interval {got_cs}cs but {expected_cs}cs configured")]
    IntervalMismatch { got_cs: u16, expected_cs: u16 },
    #[error("invalid packet type {0}")]
    InvalidType(u8),
    #[error("{got} addresses but {expected} configured")]
    AddrCount { got: usize, expected: usize },
    #[error("checksum mismatch")]
    Checksum,
    #[error("multicast/unicast destination does not match the instance")]
    CastMismatch,
    #[error("address list does not match the configured virtual addresses")]
    AddrList,
    #[error("unicast source {0} is not a configured peer")]
    NotPeer(IpAddr),
    #[error("TTL {0} outside the peer's accepted range")]
    PeerTtl(u8),
    #[error("instance is address owner and ignores adverts")]
    OwnerIgnoring,
}

/// keepalived's per-instance receive counters (keepalived.stats, SNMP).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Counter {
    PacketLength,
    Ttl,
    Version,
    InvalidType,
    AdvertInterval,
    AddressList,
    InvalidAuthType,
    AuthTypeMismatch,
    AuthFailure,
    Checksum,
}

impl RxError {
    /// The counter keepalived bumps for this rejection, if any.
    pub fn counter(&self) -> Option<Counter> {
        use RxError::*;
        Some(match self {
            TooShort(_) | Length { .. } | IpLength { .. } => Counter::PacketLength,
            Ttl(_) | PeerTtl(_) => Counter::Ttl,
            Version(_) => Counter::Version,
            InvalidAuthType(_) => Counter::InvalidAuthType,
            AhPresenceMismatch | AuthTypeMismatch { .. } => Counter::AuthTypeMismatch,
            BadPassword | BadIcv | BadSpi | Replay { .. } => Counter::AuthFailure,
            IntervalMismatch { .. } => Counter::AdvertInterval,
            InvalidType(_) => Counter::InvalidType,
            AddrCount { .. } | CastMismatch | AddrList => Counter::AddressList,
            Checksum => Counter::Checksum,
            NotVrrp | AhNotVrrp | NotPeer(_) | OwnerIgnoring => return None,
        })
    }

    /// keepalived counts the packet as a received advert before these later checks.
    pub fn counted_as_received(&self) -> bool {
        matches!(
            self,
            RxError::AddrList | RxError::NotPeer(_) | RxError::PeerTtl(_)
        )
    }
}

/// Where the VRRP header starts and what the IP layer carried.
struct Layout<'a> {
    /// Bytes from the IP header (IPv4) or the VRRP header (IPv6) to the end.
    whole: &'a [u8],
    vrrp_off: usize,
    ah_off: Option<usize>,
    src: IpAddr,
    dst: IpAddr,
    hop_limit: Option<u8>,
}

fn layout(frame: Frame<'_>) -> Result<Layout<'_>, RxError> {
    match frame {
        Frame::Ipv4(buf) => {
            if buf.len() < IPV4_HDR_LEN {
                return Err(RxError::TooShort(buf.len()));
            }
            if buf[0] >> 4 != 4 {
                return Err(RxError::NotVrrp);
            }
            let ihl = usize::from(buf[0] & 0x0f) * 4;
            if ihl < IPV4_HDR_LEN || buf.len() < ihl + VRRP_HDR_LEN {
                return Err(RxError::TooShort(buf.len()));
            }
            let src = IpAddr::V4(Ipv4Addr::new(buf[12], buf[13], buf[14], buf[15]));
            let dst = IpAddr::V4(Ipv4Addr::new(buf[16], buf[17], buf[18], buf[19]));
            let (ah_off, vrrp_off) = match buf[9] {
                IPPROTO_VRRP => (None, ihl),
                IPPROTO_AH => {
                    if buf.len() < ihl + AH_LEN + VRRP_HDR_LEN {
                        return Err(RxError::TooShort(buf.len()));
                    }
                    (Some(ihl), ihl + AH_LEN)
                }
                _ => return Err(RxError::NotVrrp),
            };
            Ok(Layout {
                whole: buf,
                vrrp_off,
                ah_off,
                src,
                dst,
                hop_limit: Some(buf[8]),
            })
        }
        Frame::Ipv6 {
            payload,
            src,
            dst,
            hop_limit,
        } => {
            if payload.len() < VRRP_HDR_LEN {
                return Err(RxError::TooShort(payload.len()));
            }
            Ok(Layout {
                whole: payload,
                vrrp_off: 0,
                ah_off: None,
                src: IpAddr::V6(src),
                dst: IpAddr::V6(dst),
                hop_limit,
            })
        }
    }
}

/// The VRID of a packet, for the socket layer to pick the instance; `None` if too short.
pub fn peek_vrid(frame: Frame<'_>) -> Option<u8> {
    let l = layout(frame).ok()?;
    l.whole.get(l.vrrp_off + 1).copied()
}

fn is_multicast(a: &IpAddr) -> bool {
    match a {
        IpAddr::V4(a) => a.is_multicast(),
        IpAddr::V6(a) => a.is_multicast(),
    }
}

/// Validates and decodes one received packet in keepalived's order (which follows RFC 3768 7.1 /
/// RFC 5798 7.1). Never panics, whatever the bytes.
pub fn decode(frame: Frame<'_>, ctx: &ValidationContext<'_>) -> Result<Received, RxError> {
    let l = layout(frame)?;
    let buf = l.whole;
    let hd = &buf[l.vrrp_off..];
    let wire_version = hd[0] >> 4;
    let naddr = usize::from(hd[3]);
    let v4 = matches!(frame, Frame::Ipv4(_));
    let ah_configured = matches!(ctx.auth, AuthConfig::Ah(_));

    if v4 && l.ah_off.is_some() != ah_configured {
        return Err(RxError::AhPresenceMismatch);
    }
    let addr_len = if v4 { 4 } else { 16 };
    let auth_len = if v4 && wire_version == 2 { AUTH_LEN } else { 0 };
    let vrrp_len = VRRP_HDR_LEN + naddr * addr_len + auth_len;
    let expected = l.vrrp_off + vrrp_len;
    if buf.len() != expected {
        return Err(RxError::Length {
            got: buf.len(),
            expected,
        });
    }
    if ctx.peers.is_empty()
        && let Some(ttl) = l.hop_limit
        && ttl != VRRP_TTL
    {
        return Err(RxError::Ttl(ttl));
    }
    if wire_version != ctx.version.number() {
        return Err(RxError::Version(wire_version));
    }
    let vrrp = &hd[..vrrp_len];
    let mut auth = Auth::None;
    let adver_int_cs;
    if ctx.version == Version::V2 {
        let auth_type = hd[4];
        if auth_type > 2 {
            return Err(RxError::InvalidAuthType(auth_type));
        }
        if auth_type != ctx.auth.type_code() {
            return Err(RxError::AuthTypeMismatch {
                got: auth_type,
                expected: ctx.auth.type_code(),
            });
        }
        match ctx.auth {
            AuthConfig::None => {}
            AuthConfig::Pass(key) => {
                let mut pw = [0u8; 8];
                if auth_len == AUTH_LEN {
                    pw.copy_from_slice(&vrrp[vrrp_len - AUTH_LEN..]);
                }
                if !constant_time_eq(&pw, &key) {
                    return Err(RxError::BadPassword);
                }
                auth = Auth::Pass(pw);
            }
            AuthConfig::Ah(key) => {
                let ah_off = l.ah_off.ok_or(RxError::AhPresenceMismatch)?;
                let ah = &buf[ah_off..ah_off + AH_LEN];
                if ah[0] != IPPROTO_VRRP {
                    return Err(RxError::AhNotVrrp);
                }
                let icv = ah_icv(buf, ah_off, &key, ctx.peers.is_empty());
                if !constant_time_eq(&icv, &ah[12..24]) {
                    return Err(RxError::BadIcv);
                }
                let spi = u32::from_be_bytes([ah[4], ah[5], ah[6], ah[7]]);
                let seq = u32::from_be_bytes([ah[8], ah[9], ah[10], ah[11]]);
                if spi != u32::from_be_bytes([buf[12], buf[13], buf[14], buf[15]]) {
                    return Err(RxError::BadSpi);
                }
                if seq <= ctx.ah_seq {
                    return Err(RxError::Replay {
                        got: seq,
                        last: ctx.ah_seq,
                    });
                }
                auth = Auth::Ah { spi, seq };
            }
        }
        adver_int_cs = u16::from(hd[5]) * 100;
        if adver_int_cs != ctx.adver_int_cs {
            return Err(RxError::IntervalMismatch {
                got_cs: adver_int_cs,
                expected_cs: ctx.adver_int_cs,
            });
        }
    } else {
        adver_int_cs = u16::from_be_bytes([hd[4], hd[5]]) & 0x0fff;
    }
    let ptype = hd[0] & 0x0f;
    if ptype != 1 {
        return Err(RxError::InvalidType(ptype));
    }
    if ctx.check_addrs && naddr != ctx.vips.len() {
        return Err(RxError::AddrCount {
            got: naddr,
            expected: ctx.vips.len(),
        });
    }
    if v4 {
        let tot = usize::from(u16::from_be_bytes([buf[2], buf[3]]));
        if tot != buf.len() {
            return Err(RxError::IpLength {
                ip: tot,
                got: buf.len(),
            });
        }
    }
    let mut old_unicast_checksum = false;
    let unicast = !ctx.peers.is_empty();
    match (v4, ctx.version) {
        (true, Version::V2) => {
            if checksum(&[vrrp]) != 0 {
                return Err(RxError::Checksum);
            }
        }
        (true, Version::V3) => {
            let group = IpAddr::V4(ctx.mcast_group4);
            let mode = match ctx.checksum {
                ChecksumMode::AsV2 => ChecksumMode::AsV2,
                _ if ctx.old_unicast_checksum == OldUnicastChecksum::Always => {
                    ChecksumMode::OldUnicast
                }
                m => m,
            };
            let ok = |dst: IpAddr, m: ChecksumMode| match m {
                ChecksumMode::AsV2 => checksum(&[vrrp]) == 0,
                ChecksumMode::Standard => {
                    checksum(&[&pseudo_header(l.src, dst, vrrp_len), vrrp]) == 0
                }
                ChecksumMode::OldUnicast => {
                    checksum(&[&pseudo_header(l.src, group, vrrp_len), vrrp]) == 0
                }
            };
            if !ok(l.dst, mode) {
                let adopt = unicast
                    && mode == ChecksumMode::Standard
                    && ctx.old_unicast_checksum == OldUnicastChecksum::Adopt
                    && l.dst != group;
                if adopt && ok(group, ChecksumMode::OldUnicast) {
                    old_unicast_checksum = true;
                } else {
                    return Err(RxError::Checksum);
                }
            }
        }
        (false, _) => {
            // The kernel verifies IPv6 checksums for keepalived; this check is for callers
            // that do not set IPV6_CHECKSUM.
            if checksum(&[&pseudo_header(l.src, l.dst, vrrp_len), vrrp]) != 0 {
                return Err(RxError::Checksum);
            }
        }
    }
    if is_multicast(&l.dst) == unicast {
        return Err(RxError::CastMismatch);
    }
    if ctx.owner_ignoring {
        return Err(RxError::OwnerIgnoring);
    }
    let mut addrs = Vec::with_capacity(naddr);
    for chunk in vrrp[VRRP_HDR_LEN..VRRP_HDR_LEN + naddr * addr_len].chunks_exact(addr_len) {
        addrs.push(if v4 {
            IpAddr::V4(Ipv4Addr::new(chunk[0], chunk[1], chunk[2], chunk[3]))
        } else {
            let mut o = [0u8; 16];
            o.copy_from_slice(chunk);
            IpAddr::V6(Ipv6Addr::from(o))
        });
    }
    if ctx.check_addrs {
        if ctx.vips.iter().any(|v| !addrs.contains(v)) {
            return Err(RxError::AddrList);
        }
        if unicast && ctx.check_unicast_src {
            let peer = ctx
                .peers
                .iter()
                .find(|p| p.addr == l.src)
                .ok_or(RxError::NotPeer(l.src))?;
            if let Some(ttl) = l.hop_limit
                && (ttl < peer.min_ttl || ttl > peer.max_ttl)
            {
                return Err(RxError::PeerTtl(ttl));
            }
        }
    }
    Ok(Received {
        advert: Advert {
            version: ctx.version,
            vrid: hd[1],
            priority: hd[2],
            adver_int_cs,
            addrs,
            auth,
        },
        src: l.src,
        dst: l.dst,
        hop_limit: l.hop_limit,
        old_unicast_checksum,
    })
}

/// What the sender knows beyond the advert itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TxParams {
    pub src: IpAddr,
    pub dst: IpAddr,
    pub ttl: u8,
    /// IPv4 identification; keepalived counts it up per advert from 1, skipping 0.
    pub ip_id: u16,
    pub checksum: ChecksumMode,
    pub mcast_group4: Ipv4Addr,
    /// Key for `Auth::Ah` (HMAC-MD5-96).
    pub ah_key: [u8; 8],
    /// Unicast AH zeroes the TTL in the ICV since routers may change it.
    pub unicast: bool,
}

/// Encodes an advert: for IPv4 the whole packet (IP header with checksum, AH if any, VRRP), for
/// IPv6 the VRRP payload with its checksum.
pub fn encode(advert: &Advert, tx: &TxParams) -> Result<Vec<u8>, Error> {
    let family = Family::of(&tx.src);
    if Family::of(&tx.dst) != family || advert.addrs.iter().any(|a| Family::of(a) != family) {
        return Err(Error::MixedFamilies);
    }
    let naddr = u8::try_from(advert.addrs.len()).map_err(|_| Error::TooManyAddresses)?;
    let v4 = family == Family::V4;
    let auth_len = if v4 && advert.version == Version::V2 {
        AUTH_LEN
    } else {
        0
    };
    if !v4 && matches!(advert.auth, Auth::Ah { .. }) {
        return Err(Error::AhNeedsIpv4);
    }
    let mut vrrp = Vec::with_capacity(VRRP_HDR_LEN + advert.addrs.len() * 16 + auth_len);
    vrrp.push((advert.version.number() << 4) | 1);
    vrrp.push(advert.vrid);
    vrrp.push(advert.priority);
    vrrp.push(naddr);
    match advert.version {
        Version::V2 => {
            vrrp.push(match advert.auth {
                Auth::None => 0,
                Auth::Pass(_) => 1,
                Auth::Ah { .. } => 2,
            });
            vrrp.push(u8::try_from(advert.adver_int_cs / 100).unwrap_or(u8::MAX));
        }
        Version::V3 => vrrp.extend_from_slice(&(advert.adver_int_cs & 0x0fff).to_be_bytes()),
    }
    vrrp.extend_from_slice(&[0, 0]);
    for a in &advert.addrs {
        match a {
            IpAddr::V4(a) => vrrp.extend_from_slice(&a.octets()),
            IpAddr::V6(a) => vrrp.extend_from_slice(&a.octets()),
        }
    }
    if auth_len > 0 {
        match advert.auth {
            Auth::Pass(pw) => vrrp.extend_from_slice(&pw),
            _ => vrrp.extend_from_slice(&[0; AUTH_LEN]),
        }
    }
    let csum = match (v4, advert.version, tx.checksum) {
        (true, Version::V2, _) | (true, Version::V3, ChecksumMode::AsV2) => checksum(&[&vrrp]),
        (true, Version::V3, ChecksumMode::OldUnicast) => checksum(&[
            &pseudo_header(tx.src, IpAddr::V4(tx.mcast_group4), vrrp.len()),
            &vrrp,
        ]),
        _ => checksum(&[&pseudo_header(tx.src, tx.dst, vrrp.len()), &vrrp]),
    };
    vrrp[6..8].copy_from_slice(&csum.to_be_bytes());
    let (IpAddr::V4(src), IpAddr::V4(dst)) = (tx.src, tx.dst) else {
        return Ok(vrrp);
    };

    let ah = matches!(advert.auth, Auth::Ah { .. });
    let total = IPV4_HDR_LEN + if ah { AH_LEN } else { 0 } + vrrp.len();
    let mut out = Vec::with_capacity(total);
    out.push(0x45);
    out.push(IPV4_TOS);
    out.extend_from_slice(&u16::try_from(total).unwrap_or(u16::MAX).to_be_bytes());
    out.extend_from_slice(&tx.ip_id.to_be_bytes());
    out.extend_from_slice(&[
        0,
        0,
        tx.ttl,
        if ah { IPPROTO_AH } else { IPPROTO_VRRP },
        0,
        0,
    ]);
    out.extend_from_slice(&src.octets());
    out.extend_from_slice(&dst.octets());
    if let Auth::Ah { spi, seq } = advert.auth {
        out.extend_from_slice(&[IPPROTO_VRRP, 4, 0, 0]);
        out.extend_from_slice(&spi.to_be_bytes());
        out.extend_from_slice(&seq.to_be_bytes());
        out.extend_from_slice(&[0; ICV_LEN]);
    }
    out.extend_from_slice(&vrrp);
    if ah {
        let icv = ah_icv(&out, IPV4_HDR_LEN, &tx.ah_key, !tx.unicast);
        out[IPV4_HDR_LEN + 12..IPV4_HDR_LEN + AH_LEN].copy_from_slice(&icv);
    }
    let hsum = checksum(&[&out[..IPV4_HDR_LEN]]);
    out[10..12].copy_from_slice(&hsum.to_be_bytes());
    Ok(out)
}

/// HMAC-MD5-96 over the packet with the IP mutable fields and the ICV zeroed (RFC 2402 3.3.3.1),
/// keeping the TTL for multicast as keepalived does.
fn ah_icv(pkt: &[u8], ah_off: usize, key: &[u8; 8], multicast: bool) -> [u8; ICV_LEN] {
    let mut head = [0u8; 60 + AH_LEN];
    let hlen = ah_off + AH_LEN;
    let Some(h) = head.get_mut(..hlen) else {
        return [0; ICV_LEN];
    };
    h.copy_from_slice(&pkt[..hlen]);
    h[1] = 0; // TOS
    h[6] = 0; // flags + fragment offset
    h[7] = 0;
    h[10] = 0; // header checksum
    h[11] = 0;
    if !multicast {
        h[8] = 0;
    }
    h[ah_off + 12..hlen].fill(0);
    let Ok(mut mac) = Hmac::<Md5>::new_from_slice(key) else {
        return [0; ICV_LEN];
    };
    mac.update(h);
    mac.update(&pkt[hlen..]);
    let full = mac.finalize().into_bytes();
    let mut icv = [0u8; ICV_LEN];
    icv.copy_from_slice(&full[..ICV_LEN]);
    icv
}

fn pseudo_header(src: IpAddr, dst: IpAddr, len: usize) -> Vec<u8> {
    let mut p = Vec::with_capacity(40);
    match (src, dst) {
        (IpAddr::V4(s), IpAddr::V4(d)) => {
            p.extend_from_slice(&s.octets());
            p.extend_from_slice(&d.octets());
            p.extend_from_slice(&[0, IPPROTO_VRRP]);
            p.extend_from_slice(&u16::try_from(len).unwrap_or(u16::MAX).to_be_bytes());
        }
        (IpAddr::V6(s), IpAddr::V6(d)) => {
            p.extend_from_slice(&s.octets());
            p.extend_from_slice(&d.octets());
            p.extend_from_slice(&u32::try_from(len).unwrap_or(u32::MAX).to_be_bytes());
            p.extend_from_slice(&[0, 0, 0, IPPROTO_VRRP]);
        }
        _ => {}
    }
    p
}

/// Internet checksum over the concatenation of `parts` (each even-length except the last).
fn checksum(parts: &[&[u8]]) -> u16 {
    let mut sum: u32 = 0;
    for part in parts {
        let mut it = part.chunks_exact(2);
        for w in &mut it {
            sum += u32::from(u16::from_be_bytes([w[0], w[1]]));
        }
        if let [b] = it.remainder() {
            sum += u32::from(*b) << 8;
        }
    }
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
