//! rtnetlink, wrapped: the only module that names the rtnetlink family's types (they change often).
//! Addresses with every VIP-line option, link lookups, and a monitor of link and address events.

use std::net::{IpAddr, Ipv4Addr};

use futures::{StreamExt, TryStreamExt};
use netlink_packet_core::NetlinkPayload;
use netlink_packet_route::AddressFamily;
use netlink_packet_route::RouteNetlinkMessage;
use netlink_packet_route::address::{
    AddressAttribute, AddressFlags, AddressHeader, AddressMessage, AddressProtocol, AddressScope,
    CacheInfo,
};
use netlink_packet_route::link::{LinkAttribute, LinkFlags, LinkMessage};
use tokio::sync::mpsc;

use crate::{Error, Result};

/// IFA_PROTO value on every address we add (kernel >= 5.18 keeps it): how a new run finds the
/// leftovers of one that was SIGKILLed, without touching addresses an operator or keepalived added.
pub const OUR_ADDR_PROTO: u8 = 0xa7;

/// One address as on a VIP line (`ip addr add` options).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddrSpec {
    pub ifindex: u32,
    pub addr: IpAddr,
    pub prefix: u8,
    pub label: Option<String>,
    /// RT_SCOPE_* (0 global, 200 site, 253 link, 254 host).
    pub scope: Option<u8>,
    pub broadcast: Option<Ipv4Addr>,
    pub peer: Option<IpAddr>,
    pub noprefixroute: bool,
    /// Seconds; None = forever.
    pub preferred_lft: Option<u32>,
    /// Seconds; None = forever. A finite valid lifetime makes the kernel drop the address when the
    /// master stops refreshing it (re-adding with [`Netlink::add_addr`] and `replace` refreshes).
    pub valid_lft: Option<u32>,
}

impl AddrSpec {
    pub fn new(ifindex: u32, addr: IpAddr, prefix: u8) -> AddrSpec {
        AddrSpec {
            ifindex,
            addr,
            prefix,
            label: None,
            scope: None,
            broadcast: None,
            peer: None,
            noprefixroute: false,
            preferred_lft: None,
            valid_lft: None,
        }
    }

    fn message(&self) -> AddressMessage {
        let mut m = AddressMessage::default();
        m.header = AddressHeader {
            family: if self.addr.is_ipv4() {
                AddressFamily::Inet
            } else {
                AddressFamily::Inet6
            },
            prefix_len: self.prefix,
            scope: AddressScope::from(self.scope.unwrap_or(0)),
            index: self.ifindex,
            ..m.header
        };
        let a = &mut m.attributes;
        match (self.addr, self.peer) {
            (_, Some(p)) => {
                a.push(AddressAttribute::Local(self.addr));
                a.push(AddressAttribute::Address(p));
            }
            (IpAddr::V4(_), None) => {
                a.push(AddressAttribute::Local(self.addr));
                a.push(AddressAttribute::Address(self.addr));
            }
            (IpAddr::V6(_), None) => a.push(AddressAttribute::Address(self.addr)),
        }
        if let Some(l) = &self.label {
            a.push(AddressAttribute::Label(l.clone()));
        }
        if let Some(b) = self.broadcast {
            a.push(AddressAttribute::Broadcast(b));
        }
        let mut flags = AddressFlags::empty();
        if self.noprefixroute {
            flags |= AddressFlags::Noprefixroute;
        }
        if self.addr.is_ipv6() {
            flags |= AddressFlags::Nodad;
        }
        a.push(AddressAttribute::Flags(flags));
        if self.preferred_lft.is_some() || self.valid_lft.is_some() {
            let valid = self.valid_lft.unwrap_or(u32::MAX);
            let mut c = CacheInfo::default();
            c.ifa_preferred = self.preferred_lft.unwrap_or(valid).min(valid);
            c.ifa_valid = valid;
            a.push(AddressAttribute::CacheInfo(c));
        }
        a.push(AddressAttribute::Protocol(AddressProtocol::Other(
            OUR_ADDR_PROTO,
        )));
        m
    }
}

/// An address as listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddrInfo {
    pub ifindex: u32,
    pub addr: IpAddr,
    pub prefix: u8,
    pub label: Option<String>,
    /// The far end of a point-to-point address (`peer`), which the kernel keys it by.
    pub peer: Option<IpAddr>,
    /// True when tagged with [`OUR_ADDR_PROTO`].
    pub ours: bool,
    pub valid_lft: Option<u32>,
}

/// A network interface.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    pub index: u32,
    pub name: String,
    pub mac: Option<[u8; 6]>,
    /// Administratively up and carrier present (IFF_UP and IFF_RUNNING).
    pub up: bool,
}

/// What [`monitor`] reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    Link(Link),
    LinkGone { index: u32 },
    AddrAdded(AddrInfo),
    AddrRemoved(AddrInfo),
}

fn nl(what: impl Into<String>) -> impl FnOnce(rtnetlink::Error) -> Error {
    let what = what.into();
    move |e| Error::Netlink {
        what,
        detail: e.to_string(),
    }
}

fn link_of(m: &LinkMessage) -> Link {
    let mut l = Link {
        index: m.header.index,
        name: String::new(),
        mac: None,
        up: m.header.flags.contains(LinkFlags::Up) && m.header.flags.contains(LinkFlags::Running),
    };
    for a in &m.attributes {
        match a {
            LinkAttribute::IfName(n) => l.name = n.clone(),
            LinkAttribute::Address(b) if b.len() == 6 => {
                let mut mac = [0u8; 6];
                mac.copy_from_slice(b);
                l.mac = Some(mac);
            }
            _ => {}
        }
    }
    l
}

fn addr_of(m: &AddressMessage) -> Option<AddrInfo> {
    let mut local = None;
    let mut address = None;
    let mut info = AddrInfo {
        ifindex: m.header.index,
        addr: IpAddr::V4(Ipv4Addr::UNSPECIFIED),
        prefix: m.header.prefix_len,
        label: None,
        peer: None,
        ours: false,
        valid_lft: None,
    };
    for a in &m.attributes {
        match a {
            AddressAttribute::Local(x) => local = Some(*x),
            AddressAttribute::Address(x) => address = Some(*x),
            AddressAttribute::Label(l) => info.label = Some(l.clone()),
            AddressAttribute::Protocol(AddressProtocol::Other(p)) => {
                info.ours = *p == OUR_ADDR_PROTO
            }
            AddressAttribute::CacheInfo(c) if c.ifa_valid != u32::MAX => {
                info.valid_lft = Some(c.ifa_valid)
            }
            _ => {}
        }
    }
    info.addr = local.or(address)?;
    info.peer = address.filter(|a| local.is_some_and(|l| l != *a));
    Some(info)
}

/// A route-netlink connection; its driver runs as a task on the current tokio runtime.
#[derive(Clone)]
pub struct Netlink {
    handle: rtnetlink::Handle,
}

impl Netlink {
    /// Connect (inside a tokio runtime).
    pub fn connect() -> Result<Netlink> {
        let (conn, handle, _) =
            rtnetlink::new_connection().map_err(crate::io("opening a route netlink socket"))?;
        tokio::spawn(conn);
        Ok(Netlink { handle })
    }

    /// Add (or, with `replace`, add-or-refresh, e.g. renewing a valid lifetime) an address.
    pub async fn add_addr(&self, spec: &AddrSpec, replace: bool) -> Result<()> {
        let mut req = self
            .handle
            .address()
            .add(spec.ifindex, spec.addr, spec.prefix);
        *req.message_mut() = spec.message();
        if replace {
            req = req.replace();
        }
        req.execute().await.map_err(nl(format!(
            "add {}/{} on ifindex {}",
            spec.addr, spec.prefix, spec.ifindex
        )))
    }

    /// Remove an address (absent: error from the kernel, EADDRNOTAVAIL).
    pub async fn del_addr(&self, spec: &AddrSpec) -> Result<()> {
        let mut m = spec.message();
        m.attributes
            .retain(|a| matches!(a, AddressAttribute::Local(_) | AddressAttribute::Address(_)));
        self.handle
            .address()
            .del(m)
            .execute()
            .await
            .map_err(nl(format!(
                "delete {}/{} on ifindex {}",
                spec.addr, spec.prefix, spec.ifindex
            )))
    }

    /// Every address, or those of one interface.
    pub async fn addrs(&self, ifindex: Option<u32>) -> Result<Vec<AddrInfo>> {
        let mut req = self.handle.address().get();
        if let Some(i) = ifindex {
            req = req.set_link_index_filter(i);
        }
        let msgs: Vec<AddressMessage> = req
            .execute()
            .try_collect()
            .await
            .map_err(nl("list addresses"))?;
        Ok(msgs
            .iter()
            .filter_map(addr_of)
            .filter(|a| ifindex.is_none_or(|i| a.ifindex == i))
            .collect())
    }

    /// Remove every address tagged as ours (start-up after a crash); returns what was removed.
    /// One that cannot be removed is logged and skipped, so it does not keep the others.
    pub async fn remove_ours(&self) -> Result<Vec<AddrInfo>> {
        let mut gone = Vec::new();
        for a in self.addrs(None).await?.into_iter().filter(|a| a.ours) {
            let mut spec = AddrSpec::new(a.ifindex, a.addr, a.prefix);
            spec.peer = a.peer;
            match self.del_addr(&spec).await {
                Ok(()) => gone.push(a),
                Err(e) => tracing::warn!("{e}"),
            }
        }
        Ok(gone)
    }

    /// Every interface.
    pub async fn links(&self) -> Result<Vec<Link>> {
        let msgs: Vec<LinkMessage> = self
            .handle
            .link()
            .get()
            .execute()
            .try_collect()
            .await
            .map_err(nl("list links"))?;
        Ok(msgs.iter().map(link_of).collect())
    }

    /// One interface by name (ifindex, MAC, state).
    pub async fn link(&self, name: &str) -> Result<Option<Link>> {
        Ok(self.links().await?.into_iter().find(|l| l.name == name))
    }

    /// Create a macvlan (mode private, as keepalived's VMACs) on `base` named `name` with `mac`, up.
    pub async fn add_macvlan(&self, name: &str, base: u32, mac: [u8; 6]) -> Result<()> {
        let m = rtnetlink::LinkMacVlan::new(
            name,
            base,
            netlink_packet_route::link::MacVlanMode::Private,
        )
        .address(mac.to_vec())
        .up()
        .build();
        self.handle
            .link()
            .add(m)
            .execute()
            .await
            .map_err(nl(format!("create macvlan {name} on ifindex {base}")))
    }

    /// Delete an interface.
    pub async fn del_link(&self, index: u32) -> Result<()> {
        self.handle
            .link()
            .del(index)
            .execute()
            .await
            .map_err(nl(format!("delete ifindex {index}")))
    }

    /// Set an interface administratively up or down.
    pub async fn set_up(&self, index: u32, up: bool) -> Result<()> {
        let mut m = LinkMessage::default();
        m.header.index = index;
        if up {
            m.header.flags = LinkFlags::Up;
        }
        m.header.change_mask = LinkFlags::Up;
        self.handle
            .link()
            .set(m)
            .execute()
            .await
            .map_err(nl(format!(
                "set ifindex {index} {}",
                if up { "up" } else { "down" }
            )))
    }
}

/// Link and address events of this namespace, until the receiver is dropped.
pub fn monitor() -> Result<mpsc::Receiver<Event>> {
    use rtnetlink::MulticastGroup as G;
    monitor_groups(&[G::Link, G::Ipv4Ifaddr, G::Ipv6Ifaddr])
}

/// Link events only: a master refreshing 1,000 VIP lifetimes a second would otherwise read
/// and parse 1,000 address events a second it has no use for.
pub fn monitor_links() -> Result<mpsc::Receiver<Event>> {
    monitor_groups(&[rtnetlink::MulticastGroup::Link])
}

fn monitor_groups(groups: &[rtnetlink::MulticastGroup]) -> Result<mpsc::Receiver<Event>> {
    let (conn, _handle, mut messages) = rtnetlink::new_multicast_connection(groups)
        .map_err(crate::io("opening a netlink monitor socket"))?;
    tokio::spawn(conn);
    let (tx, rx) = mpsc::channel(256);
    tokio::spawn(async move {
        while let Some((msg, _)) = messages.next().await {
            let ev = match msg.payload {
                NetlinkPayload::InnerMessage(RouteNetlinkMessage::NewLink(l)) => {
                    Some(Event::Link(link_of(&l)))
                }
                NetlinkPayload::InnerMessage(RouteNetlinkMessage::DelLink(l)) => {
                    Some(Event::LinkGone {
                        index: l.header.index,
                    })
                }
                NetlinkPayload::InnerMessage(RouteNetlinkMessage::NewAddress(a)) => {
                    addr_of(&a).map(Event::AddrAdded)
                }
                NetlinkPayload::InnerMessage(RouteNetlinkMessage::DelAddress(a)) => {
                    addr_of(&a).map(Event::AddrRemoved)
                }
                _ => None,
            };
            if let Some(ev) = ev
                && tx.send(ev).await.is_err()
            {
                break;
            }
        }
    });
    Ok(rx)
}

/// RTPROT value on the routes and rules we add (keepalived uses its own, 18): lets a new run find
/// a crashed run's leftovers, as [`OUR_ADDR_PROTO`] does for addresses.
pub const OUR_ROUTE_PROTO: u8 = 0xa7;

/// A route as on a virtual_routes / static_routes line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteSpec {
    pub dst: IpAddr,
    pub prefix: u8,
    pub via: Option<IpAddr>,
    pub src: Option<IpAddr>,
    pub ifindex: Option<u32>,
    pub table: Option<u32>,
    pub metric: Option<u32>,
    /// RT_SCOPE_*.
    pub scope: Option<u8>,
    /// RTN_* (1 unicast, 6 blackhole, 7 unreachable, 8 prohibit); None = unicast.
    pub kind: Option<u8>,
}

fn invalid<E: std::fmt::Display>(r: &RouteSpec) -> impl FnOnce(E) -> Error + '_ {
    move |e| Error::Invalid(format!("route {r:?}: {e}"))
}

impl RouteSpec {
    pub fn new(dst: IpAddr, prefix: u8) -> RouteSpec {
        RouteSpec {
            dst,
            prefix,
            via: None,
            src: None,
            ifindex: None,
            table: None,
            metric: None,
            scope: None,
            kind: None,
        }
    }

    fn message(&self) -> Result<netlink_packet_route::route::RouteMessage> {
        use netlink_packet_route::route::{RouteProtocol, RouteScope, RouteType};
        let mut b = rtnetlink::RouteMessageBuilder::<IpAddr>::new()
            .destination_prefix(self.dst, self.prefix)
            .map_err(invalid(self))?
            .protocol(RouteProtocol::from(OUR_ROUTE_PROTO));
        if let Some(v) = self.via {
            b = b.gateway(v).map_err(invalid(self))?;
        }
        if let Some(s) = self.src {
            b = b.pref_source(s).map_err(invalid(self))?;
        }
        if let Some(i) = self.ifindex {
            b = b.output_interface(i);
        }
        if let Some(t) = self.table {
            b = b.table_id(t);
        }
        if let Some(m) = self.metric {
            b = b.priority(m);
        }
        if let Some(s) = self.scope {
            b = b.scope(RouteScope::from(s));
        }
        if let Some(k) = self.kind {
            b = b.kind(RouteType::from(k));
        }
        Ok(b.build())
    }
}

/// A policy rule as on a virtual_rules / static_rules line.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RuleSpec {
    pub ipv6: bool,
    pub from: Option<(IpAddr, u8)>,
    pub to: Option<(IpAddr, u8)>,
    pub table: Option<u32>,
    pub priority: Option<u32>,
    pub fwmark: Option<u32>,
    pub iif: Option<String>,
    pub oif: Option<String>,
}

impl Netlink {
    /// Add a route.
    pub async fn add_route(&self, r: &RouteSpec) -> Result<()> {
        self.handle
            .route()
            .add(r.message()?)
            .execute()
            .await
            .map_err(nl(format!("add route {}/{}", r.dst, r.prefix)))
    }

    /// Delete a route.
    pub async fn del_route(&self, r: &RouteSpec) -> Result<()> {
        self.handle
            .route()
            .del(r.message()?)
            .execute()
            .await
            .map_err(nl(format!("delete route {}/{}", r.dst, r.prefix)))
    }

    fn rule_message(&self, r: &RuleSpec) -> Result<netlink_packet_route::rule::RuleMessage> {
        use netlink_packet_route::route::RouteProtocol;
        use netlink_packet_route::rule::{RuleAction, RuleAttribute};
        let mut req = self.handle.rule().add();
        if let Some(t) = r.table {
            req = req.table_id(t);
        }
        if let Some(p) = r.priority {
            req = req.priority(p);
        }
        if let Some(m) = r.fwmark {
            req = req.fw_mark(m);
        }
        if let Some(i) = &r.iif {
            req = req.input_interface(i.clone());
        }
        if let Some(o) = &r.oif {
            req = req.output_interface(o.clone());
        }
        req = req.action(RuleAction::ToTable);
        let mut m = if r.ipv6 {
            let mut q = req.v6();
            if let Some((IpAddr::V6(a), p)) = r.from {
                q = q.source_prefix(a, p);
            }
            if let Some((IpAddr::V6(a), p)) = r.to {
                q = q.destination_prefix(a, p);
            }
            q.message_mut().clone()
        } else {
            let mut q = req.v4();
            if let Some((IpAddr::V4(a), p)) = r.from {
                q = q.source_prefix(a, p);
            }
            if let Some((IpAddr::V4(a), p)) = r.to {
                q = q.destination_prefix(a, p);
            }
            q.message_mut().clone()
        };
        m.attributes
            .push(RuleAttribute::Protocol(RouteProtocol::from(
                OUR_ROUTE_PROTO,
            )));
        Ok(m)
    }

    /// Add a policy rule.
    pub async fn add_rule(&self, r: &RuleSpec) -> Result<()> {
        let m = self.rule_message(r)?;
        let mut req = self.handle.rule().add();
        *req.message_mut() = m;
        req.execute().await.map_err(nl(format!("add rule {r:?}")))
    }

    /// Delete a policy rule.
    pub async fn del_rule(&self, r: &RuleSpec) -> Result<()> {
        let m = self.rule_message(r)?;
        self.handle
            .rule()
            .del(m)
            .execute()
            .await
            .map_err(nl(format!("delete rule {r:?}")))
    }
}

impl Netlink {
    /// Remove every route and rule tagged [`OUR_ROUTE_PROTO`] (start-up after a crash); returns
    /// how many went.
    pub async fn remove_our_routes_and_rules(&self) -> Result<usize> {
        use netlink_packet_route::route::{RouteMessage, RouteProtocol};
        use netlink_packet_route::rule::{RuleAttribute, RuleMessage};
        let ours = RouteProtocol::from(OUR_ROUTE_PROTO);
        let mut n = 0;
        for v6 in [false, true] {
            let mut dump = RouteMessage::default();
            dump.header.address_family = if v6 {
                AddressFamily::Inet6
            } else {
                AddressFamily::Inet
            };
            let routes: Vec<RouteMessage> = self
                .handle
                .route()
                .get(dump)
                .execute()
                .try_collect()
                .await
                .map_err(nl("list routes"))?;
            for r in routes.into_iter().filter(|r| r.header.protocol == ours) {
                self.handle
                    .route()
                    .del(r)
                    .execute()
                    .await
                    .map_err(nl("delete a leftover route"))?;
                n += 1;
            }
            let version = if v6 {
                rtnetlink::IpVersion::V6
            } else {
                rtnetlink::IpVersion::V4
            };
            let rules: Vec<RuleMessage> = self
                .handle
                .rule()
                .get(version)
                .execute()
                .try_collect()
                .await
                .map_err(nl("list rules"))?;
            for r in rules
                .into_iter()
                .filter(|r| r.attributes.contains(&RuleAttribute::Protocol(ours)))
            {
                self.handle
                    .rule()
                    .del(r)
                    .execute()
                    .await
                    .map_err(nl("delete a leftover rule"))?;
                n += 1;
            }
        }
        Ok(n)
    }
}

/// Bulk renewal of VIP lifetimes: one `sendmsg` carries many RTM_NEWADDR (create|replace)
/// requests without NLM_F_ACK, so the kernel answers only the ones that fail. Through
/// [`Netlink::add_addr`] each renewal was one request, one ack and a trip through the rtnetlink
/// connection's task: at 1,000 VIPs the master's largest cost after its adverts.
pub struct AddrRenewer {
    sock: netlink_sys::Socket,
    seq: u32,
    buf: Vec<u8>,
    rx: Vec<u8>,
    /// (sequence number, address) of the requests in the current batch, for error reports.
    sent: Vec<(u32, IpAddr, u32)>,
}

/// How many bytes of requests go in one sendmsg (well under the default socket buffer).
const RENEW_BATCH_BYTES: usize = 32 * 1024;

impl AddrRenewer {
    /// A route-netlink socket of its own (not the shared connection's).
    pub fn open() -> Result<AddrRenewer> {
        let mut sock = netlink_sys::Socket::new(netlink_sys::constants::NETLINK_ROUTE)
            .map_err(crate::io("opening a route netlink socket for VIP renewals"))?;
        sock.bind_auto()
            .map_err(crate::io("binding the VIP renewal netlink socket"))?;
        sock.connect(&netlink_sys::SocketAddr::new(0, 0))
            .map_err(crate::io("connecting the VIP renewal netlink socket"))?;
        sock.set_non_blocking(true)
            .map_err(crate::io("VIP renewal netlink socket: O_NONBLOCK"))?;
        // Errors carry only the failed request's header, not the whole request.
        let _ = sock.set_cap_ack(true);
        Ok(AddrRenewer {
            sock,
            seq: 0,
            buf: Vec::with_capacity(RENEW_BATCH_BYTES + 512),
            rx: Vec::new(),
            sent: Vec::new(),
        })
    }

    /// Adds or refreshes every address in `specs` (as [`Netlink::add_addr`] with `replace`);
    /// returns the ones the kernel refused, with why. Never blocks: the kernel handles route
    /// netlink requests inside the send, so its answers are queued when the send returns.
    pub fn renew<'a>(&mut self, specs: impl IntoIterator<Item = &'a AddrSpec>) -> Vec<Error> {
        use netlink_packet_core::{
            NLM_F_CREATE, NLM_F_REPLACE, NLM_F_REQUEST, NetlinkHeader, NetlinkMessage,
        };
        let mut errors = Vec::new();
        self.buf.clear();
        self.sent.clear();
        for spec in specs {
            self.seq = self.seq.wrapping_add(1);
            let mut header = NetlinkHeader::default();
            header.flags = NLM_F_REQUEST | NLM_F_CREATE | NLM_F_REPLACE;
            header.sequence_number = self.seq;
            let mut msg = NetlinkMessage::new(
                header,
                NetlinkPayload::InnerMessage(RouteNetlinkMessage::NewAddress(spec.message())),
            );
            msg.finalize();
            let len = msg.buffer_len();
            if self.buf.len() + len > RENEW_BATCH_BYTES {
                self.flush(&mut errors);
            }
            let at = self.buf.len();
            self.buf.resize(at + len, 0);
            if let Some(b) = self.buf.get_mut(at..) {
                msg.serialize(b);
            }
            self.sent.push((self.seq, spec.addr, spec.ifindex));
        }
        self.flush(&mut errors);
        errors
    }

    fn flush(&mut self, errors: &mut Vec<Error>) {
        if self.buf.is_empty() {
            return;
        }
        if let Err(e) = self.sock.send(&self.buf, 0) {
            errors.push(Error::Io {
                what: format!("renewing {} VIP lifetimes", self.sent.len()),
                source: e,
            });
        }
        self.buf.clear();
        self.read_errors(errors);
        self.sent.clear();
    }

    /// Reads the kernel's answers (errors only: no request asked for an ack).
    fn read_errors(&mut self, errors: &mut Vec<Error>) {
        use netlink_packet_core::NetlinkMessage;
        let mut rx = std::mem::take(&mut self.rx);
        loop {
            rx.clear();
            rx.reserve(16 * 1024);
            match self.sock.recv(&mut rx, libc::MSG_DONTWAIT) {
                Ok(0) | Err(_) => break,
                Ok(_) => {}
            }
            let mut off = 0;
            while let Some(rest) = rx.get(off..)
                && rest.len() >= 16
            {
                let len = u32::from_ne_bytes([rest[0], rest[1], rest[2], rest[3]]) as usize;
                if len < 16 || len > rest.len() {
                    break;
                }
                if let Ok(m) = NetlinkMessage::<RouteNetlinkMessage>::deserialize(&rest[..len])
                    && let NetlinkPayload::Error(e) = m.payload
                    && let Some(code) = e.code
                {
                    let seq = e.header.get(8..12).map_or(m.header.sequence_number, |b| {
                        u32::from_ne_bytes([b[0], b[1], b[2], b[3]])
                    });
                    let what = match self.sent.iter().find(|(s, _, _)| *s == seq) {
                        Some((_, a, i)) => format!("renewing the lifetime of {a} on ifindex {i}"),
                        None => "renewing a VIP lifetime".to_string(),
                    };
                    errors.push(Error::Io {
                        what,
                        source: std::io::Error::from_raw_os_error(-code.get()),
                    });
                }
                off += (len + 3) & !3;
            }
        }
        self.rx = rx;
    }
}
