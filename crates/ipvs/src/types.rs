//! The kernel's IPVS objects as plain values: what a service, a destination, a sync daemon and
//! the timeouts are to the kernel, with no knowledge of keepalived's configuration.

use std::fmt;
use std::net::{IpAddr, SocketAddr};

/// A service's transport protocol (`IPVS_SVC_ATTR_PROTOCOL`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Protocol {
    Tcp,
    Udp,
    Sctp,
}

impl Protocol {
    /// The IP protocol number the kernel takes.
    pub fn number(self) -> u16 {
        match self {
            Protocol::Tcp => 6,
            Protocol::Udp => 17,
            Protocol::Sctp => 132,
        }
    }

    pub fn from_number(n: u16) -> Option<Protocol> {
        match n {
            6 => Some(Protocol::Tcp),
            17 => Some(Protocol::Udp),
            132 => Some(Protocol::Sctp),
            _ => None,
        }
    }

    /// As ipvsadm prints it: `TCP`, `UDP`, `SCTP`.
    pub fn name(self) -> &'static str {
        match self {
            Protocol::Tcp => "TCP",
            Protocol::Udp => "UDP",
            Protocol::Sctp => "SCTP",
        }
    }
}

/// An address family.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Family {
    V4,
    V6,
}

impl Family {
    /// AF_INET / AF_INET6.
    pub fn af(self) -> u16 {
        match self {
            Family::V4 => 2,
            Family::V6 => 10,
        }
    }

    pub fn from_af(af: u16) -> Option<Family> {
        match af {
            2 => Some(Family::V4),
            10 => Some(Family::V6),
            _ => None,
        }
    }

    pub fn of(ip: IpAddr) -> Family {
        match ip {
            IpAddr::V4(_) => Family::V4,
            IpAddr::V6(_) => Family::V6,
        }
    }
}

/// What identifies a service in the kernel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ServiceKey {
    /// Protocol, address and port (the family is the address's).
    Addr {
        protocol: Protocol,
        addr: SocketAddr,
    },
    /// A firewall mark, per family.
    Fwmark { family: Family, mark: u32 },
}

impl ServiceKey {
    pub fn family(&self) -> Family {
        match self {
            ServiceKey::Addr { addr, .. } => Family::of(addr.ip()),
            ServiceKey::Fwmark { family, .. } => *family,
        }
    }
}

impl fmt::Display for ServiceKey {
    /// As ipvsadm names it: `TCP 10.0.0.1:80`, `TCP [2001:db8::1]:80`, `FWM 5`, `FWM 5 IPv6`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ServiceKey::Addr { protocol, addr } => write!(f, "{} {addr}", protocol.name()),
            ServiceKey::Fwmark { family, mark } => {
                write!(f, "FWM {mark}")?;
                if *family == Family::V6 {
                    write!(f, " IPv6")?;
                }
                Ok(())
            }
        }
    }
}

/// Service flags (`IP_VS_SVC_F_*`).
pub mod svc_flags {
    pub const PERSISTENT: u32 = 0x1;
    /// Kernel-internal; set in every dump, never sent.
    pub const HASHED: u32 = 0x2;
    pub const ONEPACKET: u32 = 0x4;
    pub const SCHED1: u32 = 0x8;
    pub const SCHED2: u32 = 0x10;
    pub const SCHED3: u32 = 0x20;
    pub const SH_FALLBACK: u32 = SCHED1;
    pub const SH_PORT: u32 = SCHED2;
    pub const MH_FALLBACK: u32 = SCHED1;
    pub const MH_PORT: u32 = SCHED2;
}

/// A service with everything NEW_SERVICE/SET_SERVICE carry.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Service {
    pub key: ServiceKey,
    /// "wlc", "rr", ... (at most 15 bytes).
    pub scheduler: String,
    /// [`svc_flags`] bits (PERSISTENT when `timeout` is set; never HASHED).
    pub flags: u32,
    /// Persistence timeout in seconds (0: none).
    pub timeout: u32,
    /// Persistence granularity. IPv4: the mask as `u32::from(Ipv4Addr)` (0xffff_ffff when
    /// unset); IPv6: the prefix length 1..=128 (128 when unset).
    pub netmask: u32,
    /// Persistence engine, e.g. "sip".
    pub pe_name: Option<String>,
}

impl Service {
    /// A service with the kernel's defaults: no flags, no persistence, full netmask.
    pub fn new(key: ServiceKey, scheduler: impl Into<String>) -> Service {
        Service {
            key,
            scheduler: scheduler.into(),
            flags: 0,
            timeout: 0,
            netmask: default_netmask(key.family()),
            pe_name: None,
        }
    }
}

/// The netmask of a service without persistence granularity.
pub fn default_netmask(family: Family) -> u32 {
    match family {
        Family::V4 => 0xffff_ffff,
        Family::V6 => 128,
    }
}

/// How IPVS forwards to a destination (`IP_VS_CONN_F_*` & 7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Forward {
    /// NAT.
    Masq,
    Local,
    Tunnel,
    /// Direct routing.
    Route,
    Bypass,
}

impl Forward {
    pub fn number(self) -> u32 {
        match self {
            Forward::Masq => 0,
            Forward::Local => 1,
            Forward::Tunnel => 2,
            Forward::Route => 3,
            Forward::Bypass => 4,
        }
    }

    pub fn from_number(n: u32) -> Option<Forward> {
        match n & 7 {
            0 => Some(Forward::Masq),
            1 => Some(Forward::Local),
            2 => Some(Forward::Tunnel),
            3 => Some(Forward::Route),
            4 => Some(Forward::Bypass),
            _ => None,
        }
    }
}

/// `IP_VS_CONN_F_TUNNEL_TYPE_*`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum TunnelKind {
    #[default]
    Ipip,
    Gue,
    Gre,
}

/// `IP_VS_TUNNEL_ENCAP_FLAG_*`.
pub mod tun_flags {
    pub const NOCSUM: u16 = 0;
    pub const CSUM: u16 = 1;
    pub const REMCSUM: u16 = 2;
}

/// Tunnel options of a TUN destination.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Tunnel {
    pub kind: TunnelKind,
    /// GUE's UDP port (required for GUE, 0 otherwise).
    pub port: u16,
    /// [`tun_flags`] (GUE and GRE).
    pub flags: u16,
}

/// A destination (real server) with everything NEW_DEST/SET_DEST carry. Its family is its
/// address's (IPv4 destinations of an IPv6 service only with TUNNEL).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Dest {
    pub addr: SocketAddr,
    pub forward: Forward,
    /// 0..=i32::MAX.
    pub weight: u32,
    /// Connection thresholds (0: none).
    pub u_threshold: u32,
    pub l_threshold: u32,
    /// Meaningful only with [`Forward::Tunnel`].
    pub tunnel: Tunnel,
}

/// Traffic counters (`IPVS_STATS_ATTR_*`), from STATS64 when the kernel has it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Stats {
    pub conns: u64,
    pub inpkts: u64,
    pub outpkts: u64,
    pub inbytes: u64,
    pub outbytes: u64,
    pub cps: u64,
    pub inpps: u64,
    pub outpps: u64,
    pub inbps: u64,
    pub outbps: u64,
}

/// A service as the kernel dumps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceEntry {
    /// `flags` without HASHED.
    pub service: Service,
    pub stats: Stats,
}

/// A destination as the kernel dumps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DestEntry {
    pub dest: Dest,
    pub active_conns: u32,
    pub inact_conns: u32,
    pub persist_conns: u32,
    pub stats: Stats,
}

/// A connection sync daemon's role (`IP_VS_STATE_*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SyncState {
    Master,
    Backup,
}

impl SyncState {
    pub fn number(self) -> u32 {
        match self {
            SyncState::Master => 1,
            SyncState::Backup => 2,
        }
    }
}

/// A connection sync daemon (NEW_DAEMON). Zero / `None` fields take the kernel's defaults.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SyncDaemon {
    pub state: SyncState,
    /// The multicast interface (at most 15 bytes).
    pub ifname: String,
    pub sync_id: u32,
    /// 0: the kernel's (MTU based).
    pub maxlen: u16,
    /// `None`: 224.0.0.81.
    pub group: Option<IpAddr>,
    /// 0: 8848.
    pub port: u16,
    /// 0: 1.
    pub ttl: u8,
}

/// The kernel's connection timeouts in seconds (`ipvsadm --set`); 0 in a request = unchanged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Timeouts {
    pub tcp: u32,
    pub tcp_fin: u32,
    pub udp: u32,
}

/// GET_INFO's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Info {
    /// `IP_VS_VERSION_CODE`, e.g. 0x010201 for 1.2.1.
    pub version: u32,
    pub conn_tab_size: u32,
}

/// One change, for [`crate::Client::apply`] (many sent together).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Op {
    AddService(Service),
    EditService(Service),
    DelService(ServiceKey),
    AddDest(ServiceKey, Dest),
    EditDest(ServiceKey, Dest),
    /// The destination's address (and the family taken from it).
    DelDest(ServiceKey, SocketAddr),
}
