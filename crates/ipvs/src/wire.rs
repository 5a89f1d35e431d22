//! The IPVS generic netlink payload: command and attribute numbers (`linux/ip_vs.h`), the
//! request nests, and the decoding of the kernel's replies.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use crate::attr::{self, Malformed, Writer};
use crate::types::*;

pub(crate) const FAMILY_NAME: &str = "IPVS";
pub(crate) const GENL_VERSION: u8 = 1;

/// `IPVS_CMD_*`.
pub(crate) mod cmd {
    pub const NEW_SERVICE: u8 = 1;
    pub const SET_SERVICE: u8 = 2;
    pub const DEL_SERVICE: u8 = 3;
    pub const GET_SERVICE: u8 = 4;
    pub const NEW_DEST: u8 = 5;
    pub const SET_DEST: u8 = 6;
    pub const DEL_DEST: u8 = 7;
    pub const GET_DEST: u8 = 8;
    pub const NEW_DAEMON: u8 = 9;
    pub const DEL_DAEMON: u8 = 10;
    pub const GET_DAEMON: u8 = 11;
    pub const SET_CONFIG: u8 = 12;
    pub const GET_CONFIG: u8 = 13;
    pub const SET_INFO: u8 = 14;
    pub const GET_INFO: u8 = 15;
    pub const ZERO: u8 = 16;
    pub const FLUSH: u8 = 17;

    pub fn name(c: u8) -> &'static str {
        match c {
            NEW_SERVICE => "NEW_SERVICE",
            SET_SERVICE => "SET_SERVICE",
            DEL_SERVICE => "DEL_SERVICE",
            GET_SERVICE => "GET_SERVICE",
            NEW_DEST => "NEW_DEST",
            SET_DEST => "SET_DEST",
            DEL_DEST => "DEL_DEST",
            GET_DEST => "GET_DEST",
            NEW_DAEMON => "NEW_DAEMON",
            DEL_DAEMON => "DEL_DAEMON",
            GET_DAEMON => "GET_DAEMON",
            SET_CONFIG => "SET_CONFIG",
            GET_CONFIG => "GET_CONFIG",
            SET_INFO => "SET_INFO",
            GET_INFO => "GET_INFO",
            ZERO => "ZERO",
            FLUSH => "FLUSH",
            _ => "UNKNOWN",
        }
    }
}

/// `IPVS_CMD_ATTR_*` (top level).
mod top {
    pub const SERVICE: u16 = 1;
    pub const DEST: u16 = 2;
    pub const DAEMON: u16 = 3;
    pub const TIMEOUT_TCP: u16 = 4;
    pub const TIMEOUT_TCP_FIN: u16 = 5;
    pub const TIMEOUT_UDP: u16 = 6;
}

/// `IPVS_SVC_ATTR_*`.
mod svc {
    pub const AF: u16 = 1;
    pub const PROTOCOL: u16 = 2;
    pub const ADDR: u16 = 3;
    pub const PORT: u16 = 4;
    pub const FWMARK: u16 = 5;
    pub const SCHED_NAME: u16 = 6;
    pub const FLAGS: u16 = 7;
    pub const TIMEOUT: u16 = 8;
    pub const NETMASK: u16 = 9;
    pub const STATS: u16 = 10;
    pub const PE_NAME: u16 = 11;
    pub const STATS64: u16 = 12;
}

/// `IPVS_DEST_ATTR_*`.
mod dest {
    pub const ADDR: u16 = 1;
    pub const PORT: u16 = 2;
    pub const FWD_METHOD: u16 = 3;
    pub const WEIGHT: u16 = 4;
    pub const U_THRESH: u16 = 5;
    pub const L_THRESH: u16 = 6;
    pub const ACTIVE_CONNS: u16 = 7;
    pub const INACT_CONNS: u16 = 8;
    pub const PERSIST_CONNS: u16 = 9;
    pub const STATS: u16 = 10;
    pub const ADDR_FAMILY: u16 = 11;
    pub const STATS64: u16 = 12;
    pub const TUN_TYPE: u16 = 13;
    pub const TUN_PORT: u16 = 14;
    pub const TUN_FLAGS: u16 = 15;
}

/// `IPVS_DAEMON_ATTR_*`.
mod daemon {
    pub const STATE: u16 = 1;
    pub const MCAST_IFN: u16 = 2;
    pub const SYNC_ID: u16 = 3;
    pub const SYNC_MAXLEN: u16 = 4;
    pub const MCAST_GROUP: u16 = 5;
    pub const MCAST_GROUP6: u16 = 6;
    pub const MCAST_PORT: u16 = 7;
    pub const MCAST_TTL: u16 = 8;
}

/// `IPVS_INFO_ATTR_*` (top level of a SET_INFO reply).
mod info {
    pub const VERSION: u16 = 1;
    pub const CONN_TAB_SIZE: u16 = 2;
}

/// `IPVS_STATS_ATTR_*`; 11 is PAD.
mod stats {
    pub const CONNS: u16 = 1;
    pub const INPKTS: u16 = 2;
    pub const OUTPKTS: u16 = 3;
    pub const INBYTES: u16 = 4;
    pub const OUTBYTES: u16 = 5;
    pub const CPS: u16 = 6;
    pub const INPPS: u16 = 7;
    pub const OUTPPS: u16 = 8;
    pub const INBPS: u16 = 9;
    pub const OUTBPS: u16 = 10;
}

const HASHED: u32 = svc_flags::HASHED;

fn addr16(ip: IpAddr) -> [u8; 16] {
    match ip {
        IpAddr::V4(v4) => {
            let mut b = [0u8; 16];
            b[..4].copy_from_slice(&v4.octets());
            b
        }
        IpAddr::V6(v6) => v6.octets(),
    }
}

fn netmask_bytes(family: Family, netmask: u32) -> [u8; 4] {
    match family {
        // the mask's bytes as they appear on the wire (`s_addr`)
        Family::V4 => netmask.to_be_bytes(),
        // the prefix length, a native u32 the kernel reads through a be32 cast
        Family::V6 => netmask.to_ne_bytes(),
    }
}

fn tunnel_kind_number(k: TunnelKind) -> u8 {
    match k {
        TunnelKind::Ipip => 0,
        TunnelKind::Gue => 1,
        TunnelKind::Gre => 2,
    }
}

/// The SERVICE attributes that identify a service: AF, then FWMARK or PROTOCOL + ADDR + PORT.
fn put_identity(w: &mut Writer, key: &ServiceKey) {
    w.u16(svc::AF, key.family().af());
    match key {
        ServiceKey::Fwmark { mark, .. } => w.u32(svc::FWMARK, *mark),
        ServiceKey::Addr { protocol, addr } => {
            w.u16(svc::PROTOCOL, protocol.number());
            w.put(svc::ADDR, &addr16(addr.ip()));
            w.be16(svc::PORT, addr.port());
        }
    }
}

/// A SERVICE nest with the identity only (DEL_SERVICE, GET_SERVICE, ZERO and the dest commands).
pub(crate) fn service_key_nest(w: &mut Writer, key: &ServiceKey) {
    let n = w.begin(top::SERVICE);
    put_identity(w, key);
    w.end(n);
}

/// A full SERVICE nest (NEW_SERVICE, SET_SERVICE): the identity, SCHED_NAME, PE_NAME when set,
/// FLAGS with a full mask, TIMEOUT, NETMASK.
pub(crate) fn service_nest(w: &mut Writer, s: &Service) {
    let n = w.begin(top::SERVICE);
    put_identity(w, &s.key);
    w.string(svc::SCHED_NAME, &s.scheduler);
    if let Some(pe) = &s.pe_name {
        w.string(svc::PE_NAME, pe);
    }
    let mut flags = [0u8; 8];
    flags[..4].copy_from_slice(&(s.flags & !HASHED).to_ne_bytes());
    flags[4..].copy_from_slice(&u32::MAX.to_ne_bytes());
    w.put(svc::FLAGS, &flags);
    w.u32(svc::TIMEOUT, s.timeout);
    w.put(svc::NETMASK, &netmask_bytes(s.key.family(), s.netmask));
    w.end(n);
}

/// A full DEST nest (NEW_DEST, SET_DEST).
pub(crate) fn dest_nest(w: &mut Writer, d: &Dest) {
    let n = w.begin(top::DEST);
    w.u16(dest::ADDR_FAMILY, Family::of(d.addr.ip()).af());
    w.put(dest::ADDR, &addr16(d.addr.ip()));
    w.be16(dest::PORT, d.addr.port());
    w.u32(dest::FWD_METHOD, d.forward.number());
    w.u32(dest::WEIGHT, d.weight);
    if d.forward == Forward::Tunnel {
        w.u8(dest::TUN_TYPE, tunnel_kind_number(d.tunnel.kind));
        if d.tunnel.kind == TunnelKind::Gue {
            w.be16(dest::TUN_PORT, d.tunnel.port);
        }
        if d.tunnel.kind != TunnelKind::Ipip {
            w.u16(dest::TUN_FLAGS, d.tunnel.flags);
        }
    }
    w.u32(dest::U_THRESH, d.u_threshold);
    w.u32(dest::L_THRESH, d.l_threshold);
    w.end(n);
}

/// A DEST nest naming the destination only (DEL_DEST).
pub(crate) fn dest_key_nest(w: &mut Writer, addr: SocketAddr) {
    let n = w.begin(top::DEST);
    w.u16(dest::ADDR_FAMILY, Family::of(addr.ip()).af());
    w.put(dest::ADDR, &addr16(addr.ip()));
    w.be16(dest::PORT, addr.port());
    w.end(n);
}

/// A DAEMON nest for NEW_DAEMON: STATE, MCAST_IFN, SYNC_ID, then the optional ones when set.
pub(crate) fn daemon_nest(w: &mut Writer, d: &SyncDaemon) {
    let n = w.begin(top::DAEMON);
    w.u32(daemon::STATE, d.state.number());
    w.string(daemon::MCAST_IFN, &d.ifname);
    w.u32(daemon::SYNC_ID, d.sync_id);
    if d.maxlen != 0 {
        w.u16(daemon::SYNC_MAXLEN, d.maxlen);
    }
    match d.group {
        Some(IpAddr::V4(g)) => w.put(daemon::MCAST_GROUP, &g.octets()),
        Some(IpAddr::V6(g)) => w.put(daemon::MCAST_GROUP6, &g.octets()),
        None => {}
    }
    if d.port != 0 {
        w.u16(daemon::MCAST_PORT, d.port);
    }
    if d.ttl != 0 {
        w.u8(daemon::MCAST_TTL, d.ttl);
    }
    w.end(n);
}

/// A DAEMON nest for DEL_DAEMON: STATE and SYNC_ID.
pub(crate) fn daemon_key_nest(w: &mut Writer, state: SyncState, sync_id: u32) {
    let n = w.begin(top::DAEMON);
    w.u32(daemon::STATE, state.number());
    w.u32(daemon::SYNC_ID, sync_id);
    w.end(n);
}

/// SET_CONFIG's attributes (top level).
pub(crate) fn timeouts_attrs(w: &mut Writer, t: &Timeouts) {
    w.u32(top::TIMEOUT_TCP, t.tcp);
    w.u32(top::TIMEOUT_TCP_FIN, t.tcp_fin);
    w.u32(top::TIMEOUT_UDP, t.udp);
}

// ---------------------------------------------------------------- replies

fn err(m: impl Into<String>) -> Malformed {
    Malformed(m.into())
}

/// The value of the first top-level attribute `kind`.
fn find(bytes: &[u8], kind: u16) -> Result<Option<&[u8]>, Malformed> {
    for a in attr::attrs(bytes) {
        let (k, v) = a?;
        if k == kind {
            return Ok(Some(v));
        }
    }
    Ok(None)
}

fn ip_from(family: Family, kind: u16, v: &[u8]) -> Result<IpAddr, Malformed> {
    match family {
        Family::V4 => {
            let b: [u8; 4] = v.get(..4).and_then(|s| s.try_into().ok()).ok_or_else(|| {
                err(format!(
                    "attribute {kind}: IPv4 address of {} bytes",
                    v.len()
                ))
            })?;
            Ok(IpAddr::V4(Ipv4Addr::from(b)))
        }
        Family::V6 => {
            let b: [u8; 16] = v.get(..16).and_then(|s| s.try_into().ok()).ok_or_else(|| {
                err(format!(
                    "attribute {kind}: IPv6 address of {} bytes",
                    v.len()
                ))
            })?;
            Ok(IpAddr::V6(Ipv6Addr::from(b)))
        }
    }
}

fn family_from(af: u16) -> Result<Family, Malformed> {
    Family::from_af(af).ok_or_else(|| err(format!("address family {af}")))
}

/// STATS (`wide` false: 32-bit counters but for the byte counts) or STATS64 (all 64-bit).
pub(crate) fn decode_stats(bytes: &[u8], wide: bool) -> Result<Stats, Malformed> {
    let mut s = Stats::default();
    for a in attr::attrs(bytes) {
        let (k, v) = a?;
        let slot = match k {
            stats::CONNS => &mut s.conns,
            stats::INPKTS => &mut s.inpkts,
            stats::OUTPKTS => &mut s.outpkts,
            stats::INBYTES => &mut s.inbytes,
            stats::OUTBYTES => &mut s.outbytes,
            stats::CPS => &mut s.cps,
            stats::INPPS => &mut s.inpps,
            stats::OUTPPS => &mut s.outpps,
            stats::INBPS => &mut s.inbps,
            stats::OUTBPS => &mut s.outbps,
            _ => continue, // PAD (11) and anything newer
        };
        let is64 = wide || k == stats::INBYTES || k == stats::OUTBYTES;
        *slot = if is64 {
            attr::get_u64(k, v)?
        } else {
            u64::from(attr::get_u32(k, v)?)
        };
    }
    Ok(s)
}

/// A SERVICE nest of a NEW_SERVICE reply (GET_SERVICE doit or dump).
pub(crate) fn decode_service(nest: &[u8]) -> Result<ServiceEntry, Malformed> {
    let mut af = None;
    let mut protocol = None;
    let mut addr: Option<&[u8]> = None;
    let mut port = None;
    let mut fwmark = None;
    let mut scheduler = None;
    let mut flags = 0u32;
    let mut timeout = 0u32;
    let mut netmask: Option<[u8; 4]> = None;
    let mut pe_name = None;
    let mut stats32 = None;
    let mut stats64 = None;
    for a in attr::attrs(nest) {
        let (k, v) = a?;
        match k {
            svc::AF => af = Some(attr::get_u16(k, v)?),
            svc::PROTOCOL => protocol = Some(attr::get_u16(k, v)?),
            svc::ADDR => addr = Some(v),
            svc::PORT => port = Some(attr::get_be16(k, v)?),
            svc::FWMARK => fwmark = Some(attr::get_u32(k, v)?),
            svc::SCHED_NAME => scheduler = Some(attr::get_string(k, v)?),
            svc::FLAGS => {
                let b: [u8; 8] = v
                    .try_into()
                    .map_err(|_| err(format!("service FLAGS of {} bytes", v.len())))?;
                flags = u32::from_ne_bytes([b[0], b[1], b[2], b[3]]);
            }
            svc::TIMEOUT => timeout = attr::get_u32(k, v)?,
            svc::NETMASK => {
                netmask = Some(
                    v.try_into()
                        .map_err(|_| err(format!("service NETMASK of {} bytes", v.len())))?,
                )
            }
            svc::PE_NAME => {
                let pe = attr::get_string(k, v)?;
                pe_name = (!pe.is_empty()).then_some(pe);
            }
            svc::STATS => stats32 = Some(v),
            svc::STATS64 => stats64 = Some(v),
            _ => {}
        }
    }
    let family = family_from(af.ok_or_else(|| err("service without AF"))?)?;
    let key = match fwmark {
        Some(mark) if mark != 0 => ServiceKey::Fwmark { family, mark },
        _ => {
            let p = protocol.ok_or_else(|| err("service without PROTOCOL or FWMARK"))?;
            let protocol =
                Protocol::from_number(p).ok_or_else(|| err(format!("service protocol {p}")))?;
            let ip = ip_from(
                family,
                svc::ADDR,
                addr.ok_or_else(|| err("service without ADDR"))?,
            )?;
            let port = port.ok_or_else(|| err("service without PORT"))?;
            ServiceKey::Addr {
                protocol,
                addr: SocketAddr::new(ip, port),
            }
        }
    };
    let netmask = match netmask {
        Some(b) => match family {
            Family::V4 => u32::from_be_bytes(b),
            Family::V6 => u32::from_ne_bytes(b),
        },
        None => default_netmask(family),
    };
    let stats = match (stats64, stats32) {
        (Some(s), _) => decode_stats(s, true)?,
        (None, Some(s)) => decode_stats(s, false)?,
        (None, None) => Stats::default(),
    };
    Ok(ServiceEntry {
        service: Service {
            key,
            scheduler: scheduler.ok_or_else(|| err("service without SCHED_NAME"))?,
            flags: flags & !HASHED,
            timeout,
            netmask,
            pe_name,
        },
        stats,
    })
}

/// A DEST nest of a NEW_DEST reply (GET_DEST dump); `service_family` when it has no ADDR_FAMILY.
pub(crate) fn decode_dest(nest: &[u8], service_family: Family) -> Result<DestEntry, Malformed> {
    let mut af = None;
    let mut addr: Option<&[u8]> = None;
    let mut port = None;
    let mut fwd = None;
    let mut weight = 0u32;
    let mut u_threshold = 0u32;
    let mut l_threshold = 0u32;
    let mut active_conns = 0u32;
    let mut inact_conns = 0u32;
    let mut persist_conns = 0u32;
    let mut tunnel = Tunnel::default();
    let mut stats32 = None;
    let mut stats64 = None;
    for a in attr::attrs(nest) {
        let (k, v) = a?;
        match k {
            dest::ADDR => addr = Some(v),
            dest::PORT => port = Some(attr::get_be16(k, v)?),
            dest::FWD_METHOD => fwd = Some(attr::get_u32(k, v)?),
            dest::WEIGHT => weight = attr::get_u32(k, v)?,
            dest::U_THRESH => u_threshold = attr::get_u32(k, v)?,
            dest::L_THRESH => l_threshold = attr::get_u32(k, v)?,
            dest::ACTIVE_CONNS => active_conns = attr::get_u32(k, v)?,
            dest::INACT_CONNS => inact_conns = attr::get_u32(k, v)?,
            dest::PERSIST_CONNS => persist_conns = attr::get_u32(k, v)?,
            dest::STATS => stats32 = Some(v),
            dest::ADDR_FAMILY => af = Some(attr::get_u16(k, v)?),
            dest::STATS64 => stats64 = Some(v),
            dest::TUN_TYPE => {
                tunnel.kind = match attr::get_u8(k, v)? {
                    0 => TunnelKind::Ipip,
                    1 => TunnelKind::Gue,
                    2 => TunnelKind::Gre,
                    t => return Err(err(format!("tunnel type {t}"))),
                }
            }
            dest::TUN_PORT => tunnel.port = attr::get_be16(k, v)?,
            dest::TUN_FLAGS => tunnel.flags = attr::get_u16(k, v)?,
            _ => {}
        }
    }
    let family = match af {
        Some(af) => family_from(af)?,
        None => service_family,
    };
    let ip = ip_from(
        family,
        dest::ADDR,
        addr.ok_or_else(|| err("destination without ADDR"))?,
    )?;
    let port = port.ok_or_else(|| err("destination without PORT"))?;
    let f = fwd.ok_or_else(|| err("destination without FWD_METHOD"))?;
    let forward = Forward::from_number(f).ok_or_else(|| err(format!("forwarding method {f}")))?;
    let stats = match (stats64, stats32) {
        (Some(s), _) => decode_stats(s, true)?,
        (None, Some(s)) => decode_stats(s, false)?,
        (None, None) => Stats::default(),
    };
    Ok(DestEntry {
        dest: Dest {
            addr: SocketAddr::new(ip, port),
            forward,
            weight,
            u_threshold,
            l_threshold,
            tunnel,
        },
        active_conns,
        inact_conns,
        persist_conns,
        stats,
    })
}

/// A DAEMON nest of a NEW_DAEMON reply (GET_DAEMON dump).
pub(crate) fn decode_daemon(nest: &[u8]) -> Result<SyncDaemon, Malformed> {
    let mut state = None;
    let mut ifname = String::new();
    let mut sync_id = 0;
    let mut maxlen = 0;
    let mut group = None;
    let mut port = 0;
    let mut ttl = 0;
    for a in attr::attrs(nest) {
        let (k, v) = a?;
        match k {
            daemon::STATE => {
                state = Some(match attr::get_u32(k, v)? {
                    1 => SyncState::Master,
                    2 => SyncState::Backup,
                    s => return Err(err(format!("sync daemon state {s}"))),
                })
            }
            daemon::MCAST_IFN => ifname = attr::get_string(k, v)?,
            daemon::SYNC_ID => sync_id = attr::get_u32(k, v)?,
            daemon::SYNC_MAXLEN => maxlen = attr::get_u16(k, v)?,
            daemon::MCAST_GROUP => group = Some(IpAddr::V4(Ipv4Addr::from(attr::get_be32(k, v)?))),
            daemon::MCAST_GROUP6 => group = Some(ip_from(Family::V6, k, v)?),
            daemon::MCAST_PORT => port = attr::get_u16(k, v)?,
            daemon::MCAST_TTL => ttl = attr::get_u8(k, v)?,
            _ => {}
        }
    }
    Ok(SyncDaemon {
        state: state.ok_or_else(|| err("sync daemon without STATE"))?,
        ifname,
        sync_id,
        maxlen,
        group,
        port,
        ttl,
    })
}

/// The nest `kind` (SERVICE, DEST, DAEMON) of a reply's attributes.
fn nest(attrs: &[u8], kind: u16, what: &str) -> Result<Vec<u8>, Malformed> {
    find(attrs, kind)?
        .map(<[u8]>::to_vec)
        .ok_or_else(|| err(format!("reply without a {what} nest")))
}

pub(crate) fn reply_service(attrs: &[u8]) -> Result<ServiceEntry, Malformed> {
    decode_service(&nest(attrs, top::SERVICE, "SERVICE")?)
}

pub(crate) fn reply_dest(attrs: &[u8], service_family: Family) -> Result<DestEntry, Malformed> {
    decode_dest(&nest(attrs, top::DEST, "DEST")?, service_family)
}

pub(crate) fn reply_daemon(attrs: &[u8]) -> Result<SyncDaemon, Malformed> {
    decode_daemon(&nest(attrs, top::DAEMON, "DAEMON")?)
}

/// A SET_INFO reply (to GET_INFO): VERSION and CONN_TAB_SIZE at top level.
pub(crate) fn reply_info(attrs: &[u8]) -> Result<Info, Malformed> {
    let mut version = None;
    let mut conn_tab_size = None;
    for a in attr::attrs(attrs) {
        let (k, v) = a?;
        match k {
            info::VERSION => version = Some(attr::get_u32(k, v)?),
            info::CONN_TAB_SIZE => conn_tab_size = Some(attr::get_u32(k, v)?),
            _ => {}
        }
    }
    Ok(Info {
        version: version.ok_or_else(|| err("info without VERSION"))?,
        conn_tab_size: conn_tab_size.ok_or_else(|| err("info without CONN_TAB_SIZE"))?,
    })
}

/// A SET_CONFIG reply (to GET_CONFIG): the TIMEOUT_* at top level (absent = 0).
pub(crate) fn reply_timeouts(attrs: &[u8]) -> Result<Timeouts, Malformed> {
    let mut t = Timeouts::default();
    for a in attr::attrs(attrs) {
        let (k, v) = a?;
        match k {
            top::TIMEOUT_TCP => t.tcp = attr::get_u32(k, v)?,
            top::TIMEOUT_TCP_FIN => t.tcp_fin = attr::get_u32(k, v)?,
            top::TIMEOUT_UDP => t.udp = attr::get_u32(k, v)?,
            _ => {}
        }
    }
    Ok(t)
}

/// The object an error names: `TCP 10.0.0.1:80 -> 192.168.1.2:80`.
pub(crate) fn dest_object(key: &ServiceKey, addr: SocketAddr) -> String {
    format!("{key} -> {addr}")
}

/// The object an error names for a daemon: `master sync daemon 1 on eth0`.
pub(crate) fn daemon_object(state: SyncState, sync_id: u32, ifname: &str) -> String {
    let role = match state {
        SyncState::Master => "master",
        SyncState::Backup => "backup",
    };
    if ifname.is_empty() {
        format!("{role} sync daemon {sync_id}")
    } else {
        format!("{role} sync daemon {sync_id} on {ifname}")
    }
}

#[cfg(all(test, target_endian = "little"))]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    /// One attribute, written by hand: length, type, value, padding.
    fn a(kind: u16, value: &[u8]) -> Vec<u8> {
        let mut v = Vec::new();
        v.extend_from_slice(&((4 + value.len()) as u16).to_le_bytes());
        v.extend_from_slice(&kind.to_le_bytes());
        v.extend_from_slice(value);
        while v.len() % 4 != 0 {
            v.push(0);
        }
        v
    }

    fn nest(kind: u16, parts: &[Vec<u8>]) -> Vec<u8> {
        a(kind, &parts.concat())
    }

    fn ip16(s: &str) -> [u8; 16] {
        addr16(s.parse().unwrap())
    }

    fn le16(v: u16) -> Vec<u8> {
        v.to_le_bytes().to_vec()
    }

    fn le32(v: u32) -> Vec<u8> {
        v.to_le_bytes().to_vec()
    }

    fn le64(v: u64) -> Vec<u8> {
        v.to_le_bytes().to_vec()
    }

    fn flags(f: u32) -> Vec<u8> {
        [le32(f), le32(u32::MAX)].concat()
    }

    fn encoded(f: impl FnOnce(&mut Writer)) -> Vec<u8> {
        let mut w = Writer::new();
        f(&mut w);
        w.into_bytes()
    }

    #[test]
    fn service_v4_persistent_with_mask() {
        let key = ServiceKey::Addr {
            protocol: Protocol::Tcp,
            addr: "10.0.0.1:80".parse().unwrap(),
        };
        let mut s = Service::new(key, "wlc");
        s.flags = svc_flags::PERSISTENT | svc_flags::HASHED; // HASHED is never sent
        s.timeout = 300;
        s.netmask = u32::from(Ipv4Addr::new(255, 255, 255, 0));
        let want = nest(
            1,
            &[
                a(1, &le16(2)),
                a(2, &le16(6)),
                a(3, &ip16("10.0.0.1")),
                a(4, &[0, 80]),
                a(6, b"wlc\0"),
                a(7, &flags(1)),
                a(8, &le32(300)),
                a(9, &[255, 255, 255, 0]),
            ],
        );
        assert_eq!(encoded(|w| service_nest(w, &s)), want);
        // the identity alone
        let want = nest(
            1,
            &[
                a(1, &le16(2)),
                a(2, &le16(6)),
                a(3, &ip16("10.0.0.1")),
                a(4, &[0, 80]),
            ],
        );
        assert_eq!(encoded(|w| service_key_nest(w, &key)), want);
    }

    #[test]
    fn service_v6_with_prefix_and_pe() {
        let key = ServiceKey::Addr {
            protocol: Protocol::Sctp,
            addr: "[2001:db8::1]:443".parse().unwrap(),
        };
        let mut s = Service::new(key, "sh");
        s.flags = svc_flags::PERSISTENT | svc_flags::SH_PORT;
        s.timeout = 60;
        s.netmask = 64;
        s.pe_name = Some("sip".into());
        let want = nest(
            1,
            &[
                a(1, &le16(10)),
                a(2, &le16(132)),
                a(3, &ip16("2001:db8::1")),
                a(4, &[1, 187]),
                a(6, b"sh\0"),
                a(11, b"sip\0"),
                a(7, &flags(0x11)),
                a(8, &le32(60)),
                a(9, &le32(64)),
            ],
        );
        assert_eq!(encoded(|w| service_nest(w, &s)), want);
    }

    #[test]
    fn fwmark_service_sends_no_protocol_address_or_port() {
        let key = ServiceKey::Fwmark {
            family: Family::V6,
            mark: 5,
        };
        let s = Service::new(key, "rr");
        let want = nest(
            1,
            &[
                a(1, &le16(10)),
                a(5, &le32(5)),
                a(6, b"rr\0"),
                a(7, &flags(0)),
                a(8, &le32(0)),
                a(9, &le32(128)),
            ],
        );
        assert_eq!(encoded(|w| service_nest(w, &s)), want);
    }

    #[test]
    fn dests_with_tunnels() {
        let gue = Dest {
            addr: "192.168.1.2:8080".parse().unwrap(),
            forward: Forward::Tunnel,
            weight: 3,
            u_threshold: 100,
            l_threshold: 10,
            tunnel: Tunnel {
                kind: TunnelKind::Gue,
                port: 6080,
                flags: tun_flags::CSUM,
            },
        };
        let want = nest(
            2,
            &[
                a(11, &le16(2)),
                a(1, &ip16("192.168.1.2")),
                a(2, &8080u16.to_be_bytes()),
                a(3, &le32(2)),
                a(4, &le32(3)),
                a(13, &[1]),
                a(14, &6080u16.to_be_bytes()),
                a(15, &le16(1)),
                a(5, &le32(100)),
                a(6, &le32(10)),
            ],
        );
        assert_eq!(encoded(|w| dest_nest(w, &gue)), want);
        // IPIP: no port, no flags; GRE: flags, no port; not a tunnel: none of them
        let ipip = Dest {
            tunnel: Tunnel::default(),
            ..gue
        };
        let got = encoded(|w| dest_nest(w, &ipip));
        let kinds: Vec<u16> = attr::attrs(&got[4..]).map(|r| r.unwrap().0).collect();
        assert_eq!(kinds, vec![11, 1, 2, 3, 4, 13, 5, 6]);
        let gre = Dest {
            tunnel: Tunnel {
                kind: TunnelKind::Gre,
                port: 0,
                flags: 0,
            },
            ..gue
        };
        let got = encoded(|w| dest_nest(w, &gre));
        let kinds: Vec<u16> = attr::attrs(&got[4..]).map(|r| r.unwrap().0).collect();
        assert_eq!(kinds, vec![11, 1, 2, 3, 4, 13, 15, 5, 6]);
        let route = Dest {
            forward: Forward::Route,
            ..gue
        };
        let got = encoded(|w| dest_nest(w, &route));
        let kinds: Vec<u16> = attr::attrs(&got[4..]).map(|r| r.unwrap().0).collect();
        assert_eq!(kinds, vec![11, 1, 2, 3, 4, 5, 6]);
        // DEL_DEST: the address only
        let want = nest(
            2,
            &[a(11, &le16(10)), a(1, &ip16("2001:db8::2")), a(2, &[0, 80])],
        );
        let addr = "[2001:db8::2]:80".parse().unwrap();
        assert_eq!(encoded(|w| dest_key_nest(w, addr)), want);
    }

    #[test]
    fn daemons_and_timeouts() {
        let d = SyncDaemon {
            state: SyncState::Backup,
            ifname: "eth0".into(),
            sync_id: 7,
            maxlen: 1400,
            group: Some("239.1.1.1".parse().unwrap()),
            port: 9000,
            ttl: 3,
        };
        let want = nest(
            3,
            &[
                a(1, &le32(2)),
                a(2, b"eth0\0"),
                a(3, &le32(7)),
                a(4, &le16(1400)),
                a(5, &[239, 1, 1, 1]),
                a(7, &le16(9000)),
                a(8, &[3]),
            ],
        );
        assert_eq!(encoded(|w| daemon_nest(w, &d)), want);
        let plain = SyncDaemon {
            state: SyncState::Master,
            maxlen: 0,
            group: Some("ff02::81".parse().unwrap()),
            port: 0,
            ttl: 0,
            ..d.clone()
        };
        let want = nest(
            3,
            &[
                a(1, &le32(1)),
                a(2, b"eth0\0"),
                a(3, &le32(7)),
                a(6, &ip16("ff02::81")),
            ],
        );
        assert_eq!(encoded(|w| daemon_nest(w, &plain)), want);
        let want = nest(3, &[a(1, &le32(1)), a(3, &le32(7))]);
        assert_eq!(encoded(|w| daemon_key_nest(w, SyncState::Master, 7)), want);
        let t = Timeouts {
            tcp: 900,
            tcp_fin: 0,
            udp: 300,
        };
        let want = [a(4, &le32(900)), a(5, &le32(0)), a(6, &le32(300))].concat();
        assert_eq!(encoded(|w| timeouts_attrs(w, &t)), want);
    }

    fn stats32(v: u32) -> Vec<u8> {
        let mut parts = Vec::new();
        for k in 1..=10u16 {
            if k == 4 || k == 5 {
                parts.push(a(11, &[])); // PAD before a u64
                parts.push(a(k, &le64(u64::from(v) * 1000 + u64::from(k))));
            } else {
                parts.push(a(k, &le32(v + u32::from(k))));
            }
        }
        parts.concat()
    }

    fn stats64(v: u64) -> Vec<u8> {
        let mut parts = Vec::new();
        for k in 1..=10u16 {
            parts.push(a(11, &[]));
            parts.push(a(k, &le64(v + u64::from(k))));
        }
        parts.concat()
    }

    #[test]
    fn decodes_a_dumped_service() {
        // as the kernel dumps it: 16-byte address, HASHED, STATS and STATS64 with PADs,
        // and an attribute from the future
        let reply = nest(
            1,
            &[
                a(1, &le16(2)),
                a(2, &le16(17)),
                a(3, &ip16("10.0.0.2")),
                a(4, &[0, 53]),
                a(6, b"sh\0"),
                a(7, &flags(0x2 | 0x4 | 0x8)),
                a(8, &le32(0)),
                a(9, &[255, 255, 0, 0]),
                nest(10, &[stats32(1)]),
                nest(12, &[stats64(1 << 40)]),
                a(99, &[1, 2, 3]),
            ],
        );
        let e = reply_service(&reply).unwrap();
        let s = &e.service;
        assert_eq!(
            s.key,
            ServiceKey::Addr {
                protocol: Protocol::Udp,
                addr: "10.0.0.2:53".parse().unwrap()
            }
        );
        assert_eq!(s.scheduler, "sh");
        assert_eq!(s.flags, svc_flags::ONEPACKET | svc_flags::SH_FALLBACK);
        assert_eq!(s.netmask, 0xffff_0000);
        assert_eq!(s.pe_name, None);
        assert_eq!(e.stats.conns, (1 << 40) + 1);
        assert_eq!(e.stats.outbps, (1 << 40) + 10);

        // an old kernel: STATS only; a v6 fwmark service with a prefix and a PE
        let reply = nest(
            1,
            &[
                a(1, &le16(10)),
                a(5, &le32(9)),
                a(6, b"rr\0"),
                a(11, b"sip\0"),
                a(7, &flags(0x3)),
                a(8, &le32(360)),
                a(9, &le32(64)),
                nest(10, &[stats32(5)]),
            ],
        );
        let e = reply_service(&reply).unwrap();
        assert_eq!(
            e.service.key,
            ServiceKey::Fwmark {
                family: Family::V6,
                mark: 9
            }
        );
        assert_eq!(e.service.flags, svc_flags::PERSISTENT);
        assert_eq!((e.service.timeout, e.service.netmask), (360, 64));
        assert_eq!(e.service.pe_name.as_deref(), Some("sip"));
        assert_eq!(e.stats.conns, 6);
        assert_eq!(e.stats.inbytes, 5004);
        assert_eq!(e.stats.outbytes, 5005);
        assert_eq!(e.stats.outbps, 15);
    }

    #[test]
    fn decodes_dumped_dests() {
        // a v4 tunnel dest of a v6 service, with every reply-only attribute
        let reply = nest(
            2,
            &[
                a(1, &ip16("10.0.0.30")),
                a(2, &[0, 0]),
                a(3, &le32(2 | 0x100)), // flags above the method are masked off
                a(4, &le32(4)),
                a(5, &le32(0)),
                a(6, &le32(0)),
                a(7, &le32(11)),
                a(8, &le32(12)),
                a(9, &le32(13)),
                nest(10, &[stats32(0)]),
                a(11, &le16(2)),
                nest(12, &[stats64(100)]),
                a(13, &[1]),
                a(14, &7000u16.to_be_bytes()),
                a(15, &le16(2)),
            ],
        );
        let e = reply_dest(&reply, Family::V6).unwrap();
        assert_eq!(e.dest.addr, "10.0.0.30:0".parse().unwrap());
        assert_eq!(e.dest.forward, Forward::Tunnel);
        assert_eq!(e.dest.weight, 4);
        assert_eq!(
            e.dest.tunnel,
            Tunnel {
                kind: TunnelKind::Gue,
                port: 7000,
                flags: tun_flags::REMCSUM
            }
        );
        assert_eq!(
            (e.active_conns, e.inact_conns, e.persist_conns),
            (11, 12, 13)
        );
        assert_eq!(e.stats.conns, 101);
        // no ADDR_FAMILY (kernel < 3.18): the service's family picks the address length
        let reply = nest(
            2,
            &[
                a(1, &ip16("2001:db8::11")),
                a(2, &[0x20, 0xfb]),
                a(3, &le32(0)),
                a(4, &le32(1)),
            ],
        );
        let e = reply_dest(&reply, Family::V6).unwrap();
        assert_eq!(e.dest.addr, "[2001:db8::11]:8443".parse().unwrap());
        assert_eq!(e.dest.forward, Forward::Masq);
        assert_eq!(e.dest.tunnel, Tunnel::default());
    }

    #[test]
    fn decodes_daemon_info_and_config() {
        let reply = nest(
            3,
            &[
                a(1, &le32(1)),
                a(2, b"dummy0\0"),
                a(3, &le32(3)),
                a(4, &le16(1472)),
                a(7, &le16(8848)),
                a(8, &[1]),
                a(5, &[224, 0, 0, 81]),
            ],
        );
        let d = reply_daemon(&reply).unwrap();
        assert_eq!(
            d,
            SyncDaemon {
                state: SyncState::Master,
                ifname: "dummy0".into(),
                sync_id: 3,
                maxlen: 1472,
                group: Some("224.0.0.81".parse().unwrap()),
                port: 8848,
                ttl: 1,
            }
        );
        let info = [a(1, &le32(0x010201)), a(2, &le32(4096))].concat();
        assert_eq!(
            reply_info(&info).unwrap(),
            Info {
                version: 0x010201,
                conn_tab_size: 4096
            }
        );
        let cfg = [a(4, &le32(900)), a(5, &le32(120)), a(6, &le32(300))].concat();
        assert_eq!(
            reply_timeouts(&cfg).unwrap(),
            Timeouts {
                tcp: 900,
                tcp_fin: 120,
                udp: 300
            }
        );
    }

    #[test]
    fn bad_replies_are_errors() {
        let good = nest(
            1,
            &[
                a(1, &le16(2)),
                a(2, &le16(6)),
                a(3, &ip16("10.0.0.1")),
                a(4, &[0, 80]),
                a(6, b"wlc\0"),
                a(7, &flags(0)),
            ],
        );
        assert!(reply_service(&good).is_ok());
        // every truncation is an error, never a panic
        for n in 0..good.len() {
            let _ = reply_service(&good[..n]);
        }
        assert!(reply_service(&good[..good.len() - 2]).is_err());
        // missing pieces
        assert!(reply_service(&nest(1, &[a(1, &le16(2))])).is_err());
        assert!(reply_service(&[]).is_err());
        // a v6 family with a 4-byte address
        let bad = nest(
            1,
            &[
                a(1, &le16(10)),
                a(2, &le16(6)),
                a(3, &[10, 0, 0, 1]),
                a(4, &[0, 80]),
                a(6, b"wlc\0"),
            ],
        );
        assert!(reply_service(&bad).is_err());
        // an unknown family, a short FLAGS, a bad protocol
        let bad = nest(1, &[a(1, &le16(7)), a(5, &le32(1)), a(6, b"rr\0")]);
        assert!(reply_service(&bad).is_err());
        let bad = nest(
            1,
            &[
                a(1, &le16(2)),
                a(5, &le32(1)),
                a(6, b"rr\0"),
                a(7, &le32(1)),
            ],
        );
        assert!(reply_service(&bad).is_err());
        // a dest without FWD_METHOD; a u32 of 3 bytes
        let bad = nest(2, &[a(1, &ip16("10.0.0.1")), a(2, &[0, 80])]);
        assert!(reply_dest(&bad, Family::V4).is_err());
        let bad = nest(
            2,
            &[a(1, &ip16("10.0.0.1")), a(2, &[0, 80]), a(3, &[0, 0, 0])],
        );
        assert!(reply_dest(&bad, Family::V4).is_err());
        assert!(reply_daemon(&nest(3, &[a(1, &le32(9))])).is_err());
        assert!(reply_info(&[a(1, &le32(1))].concat()).is_err());
    }

    proptest::proptest! {
        #[test]
        fn decoders_never_panic(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..400)) {
            let _ = reply_service(&bytes);
            let _ = decode_service(&bytes);
            let _ = decode_dest(&bytes, Family::V4);
            let _ = decode_dest(&bytes, Family::V6);
            let _ = decode_daemon(&bytes);
            let _ = decode_stats(&bytes, false);
            let _ = decode_stats(&bytes, true);
            let _ = reply_info(&bytes);
            let _ = reply_timeouts(&bytes);
        }

        #[test]
        fn decoders_never_panic_on_mutated_replies(
            flips in proptest::collection::vec((0usize..200, proptest::num::u8::ANY), 1..6),
        ) {
            // a valid dest reply with a few bytes changed: deeper paths than random bytes reach
            let mut reply = nest(
                2,
                &[
                    a(1, &ip16("10.0.0.30")),
                    a(2, &[0, 80]),
                    a(3, &le32(2)),
                    a(4, &le32(4)),
                    nest(10, &[stats32(0)]),
                    a(11, &le16(2)),
                    a(13, &[1]),
                ],
            );
            for (i, b) in flips {
                let n = reply.len();
                reply[i % n] = b;
            }
            let _ = reply_dest(&reply, Family::V6);
        }
    }
}
