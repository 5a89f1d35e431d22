//! The loop's Linux side, all through keepalived-sys: VRRP sockets and their readers, VIPs, routes
//! and rules over rtnetlink (with lifetimes the master refreshes), GARP/NA, and the vrrp_strict firewall.

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use keepalived_sys::frame::{LinkSender, garp_frame, ipv6_router, na_frame};
use keepalived_sys::netlink::{AddrRenewer, AddrSpec, Netlink, RouteSpec, RuleSpec};
use keepalived_sys::nft::Firewall;
use keepalived_sys::socket::{
    PROTO_AH, PROTO_VRRP, RecvBatch, RxSet, SocketSpec, Sockets, VrrpSocket,
};
use keepalived_vrrp::Action;
use keepalived_vrrp::packet::{AuthConfig, Family, Frame};
use tokio::sync::mpsc;
use tokio::task::AbortHandle;

use crate::engine::{Input, Shell};
use crate::error::{Error, Result};
use crate::setup::{Addresses, InstanceSetup, RouteLine, RuleLine, Statics, VipLine};

fn sys(e: keepalived_sys::Error) -> Error {
    Error::Other(e.to_string())
}

/// The system's interfaces as read at start: index, MAC, link state and addresses.
#[derive(Debug, Clone, Default)]
pub struct Interfaces {
    pub by_name: HashMap<String, InterfaceInfo>,
}

#[derive(Debug, Clone, Default)]
pub struct InterfaceInfo {
    pub index: u32,
    pub mac: Option<[u8; 6]>,
    pub up: bool,
    /// In the kernel's order: the primary address first.
    pub addrs: Vec<IpAddr>,
}

impl Interfaces {
    /// Reads links and addresses over `nl`.
    pub async fn read(nl: &Netlink) -> Result<Self> {
        let mut me = Self::default();
        let links = nl.links().await.map_err(sys)?;
        let addrs = nl.addrs(None).await.map_err(sys)?;
        for l in links {
            let info = InterfaceInfo {
                index: l.index,
                mac: l.mac,
                up: l.up,
                addrs: addrs
                    .iter()
                    .filter(|a| a.ifindex == l.index && !a.ours)
                    .map(|a| a.addr)
                    .collect(),
            };
            me.by_name.insert(l.name, info);
        }
        Ok(me)
    }

    /// For the synchronous paths (-t, --dump-conf): a runtime of its own for one read.
    pub fn read_blocking() -> Self {
        let Ok(rt) = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        else {
            return Self::default();
        };
        rt.block_on(async {
            match Netlink::connect() {
                Ok(nl) => Self::read(&nl).await.unwrap_or_default(),
                Err(_) => Self::default(),
            }
        })
    }

    pub fn index(&self, name: &str) -> Option<u32> {
        self.by_name.get(name).map(|i| i.index)
    }
}

impl Addresses for Interfaces {
    fn primary(&self, interface: &str, v6: bool) -> Option<IpAddr> {
        let i = self.by_name.get(interface)?;
        i.addrs.iter().copied().find(|a| match a {
            IpAddr::V4(_) => !v6,
            IpAddr::V6(a) => v6 && a.is_unicast_link_local(),
        })
    }

    fn exists(&self, interface: &str) -> bool {
        self.by_name.contains_key(interface)
    }
}

/// keepalived-conf's view of the host: interfaces as netlink sees them in our namespace (sysfs
/// may belong to another one), programs as the file system has them.
impl keepalived_conf::System for Interfaces {
    fn interface_exists(&self, name: &str) -> bool {
        self.by_name.contains_key(name)
    }

    fn program_exists(&self, program: &str) -> bool {
        keepalived_conf::Host.program_exists(program)
    }
}

/// What the shell knows of one instance, resolved against the system's interfaces.
pub struct InstanceIo {
    pub interface: String,
    pub ifindex: u32,
    pub src: IpAddr,
    pub socket: Arc<VrrpSocket>,
    /// Shared with the lifetime renewals while master.
    pub vips: Arc<[AddrSpec]>,
    pub excluded: Arc<[AddrSpec]>,
    pub routes: Vec<RouteSpec>,
    pub rules: Vec<RuleSpec>,
    /// vrrp_strict without `accept`: traffic to the VIPs is dropped while we hold them.
    pub drop_traffic: bool,
}

fn ifindex_of(system: &Interfaces, name: &str) -> Result<u32> {
    system
        .index(name)
        .ok_or_else(|| Error::Other(format!("interface {name} does not exist")))
}

fn addr_spec(system: &Interfaces, v: &VipLine, default_dev: u32) -> Result<AddrSpec> {
    let ifindex = match &v.dev {
        Some(d) => ifindex_of(system, d)?,
        None => default_dev,
    };
    let mut a = AddrSpec::new(ifindex, v.addr, v.prefix);
    a.label = v.label.clone();
    a.scope = v.scope;
    a.broadcast = v.brd;
    a.peer = v.peer;
    a.noprefixroute = v.noprefixroute;
    a.preferred_lft = v.preferred_lft;
    Ok(a)
}

fn route_spec(system: &Interfaces, r: &RouteLine, default_dev: u32) -> Result<RouteSpec> {
    let mut s = RouteSpec::new(r.dst, r.prefix);
    s.via = r.via;
    s.src = r.src;
    s.ifindex = match (&r.dev, r.kind) {
        (Some(d), _) => Some(ifindex_of(system, d)?),
        // A blackhole/unreachable/prohibit route has no device.
        (None, Some(_)) => None,
        (None, None) => Some(default_dev),
    };
    s.table = r.table;
    s.metric = r.metric;
    s.scope = r.scope;
    s.kind = r.kind;
    Ok(s)
}

fn rule_spec(r: &RuleLine) -> RuleSpec {
    RuleSpec {
        ipv6: r.ipv6,
        from: r.from,
        to: r.to,
        table: r.table,
        priority: r.priority,
        fwmark: r.fwmark,
        iif: r.iif.clone(),
        oif: r.oif.clone(),
    }
}

/// Where GARPs/NAs for one interface go out: its AF_PACKET sender, MAC and name.
type LinkOut = (Arc<LinkSender>, [u8; 6], String);

/// The open sockets, the kernel objects of every instance, and what is running on their behalf.
pub struct LinuxShell {
    nl: Netlink,
    instances: Vec<InstanceIo>,
    /// The sockets' receiving side; `None` in a shell without sockets.
    rx: Option<RxSet>,
    /// Per socket of `rx`: quiet (not reporting) until then, read by [`Shell::drain`].
    held: Vec<Option<Duration>>,
    /// How long a socket that just had datagrams stays quiet before it is read again.
    hold: Duration,
    batch: RecvBatch,
    ready: Vec<usize>,
    /// AF_PACKET senders and MACs per ifindex, opened on the first GARP there.
    links: HashMap<u32, Option<LinkOut>>,
    system: Interfaces,
    garp_interval: Duration,
    gna_interval: Duration,
    /// garp_group: (GARP, NA) intervals of the interfaces it names, over the global ones.
    garp_groups: HashMap<String, (Duration, Duration)>,
    /// GARPs still being paced out, per instance (dropped when it leaves MASTER).
    paced: HashMap<usize, AbortHandle>,
    /// VIP valid lifetime (whole seconds, as the kernel counts them); None: permanent VIPs.
    vip_lifetime: Option<u32>,
    /// The masters' VIPs whose lifetimes one task renews in batches (started on first use).
    renewals: Arc<Mutex<Renewals>>,
    renewer: Option<AbortHandle>,
    firewall: Option<Firewall>,
    /// static_ipaddress/routes/rules, resolved.
    statics: (Vec<AddrSpec>, Vec<RouteSpec>, Vec<RuleSpec>),
}

impl LinuxShell {
    /// Resolves every instance's interfaces, opens (or shares) its socket and starts one reader
    /// per socket, which forwards every packet to `tx`.
    pub fn open(
        nl: Netlink,
        read: &[InstanceSetup],
        system: &Interfaces,
        strict_firewall: bool,
    ) -> Result<Self> {
        let mut sockets = Sockets::batched();
        let mut readers: Vec<Arc<VrrpSocket>> = Vec::new();
        let mut instances = Vec::new();
        for i in read {
            let ifindex = ifindex_of(system, &i.interface)?;
            let ipv6 = i.cfg.src.is_ipv6();
            let mut spec = SocketSpec::vrrp(&i.interface, ifindex, ipv6);
            spec.protocol = if matches!(i.cfg.auth, AuthConfig::Ah(_)) {
                PROTO_AH
            } else {
                PROTO_VRRP
            };
            spec.groups = if i.cfg.peers.is_empty() {
                vec![i.cfg.mcast_group]
            } else {
                vec![]
            };
            // IPv4: keepalived-vrrp writes the IP header (source included) itself, and a bound
            // raw IPv4 socket would miss multicast. IPv6: the bound source is the one the advert's
            // checksum was computed over.
            spec.hdrincl = !ipv6;
            spec.src = ipv6.then_some(i.cfg.src);
            let socket = sockets.get(spec).map_err(sys)?;
            if !readers.iter().any(|r| Arc::ptr_eq(r, &socket)) {
                readers.push(socket.clone());
            }
            instances.push(InstanceIo {
                interface: i.interface.clone(),
                ifindex,
                src: i.cfg.src,
                socket,
                vips: i
                    .vips
                    .iter()
                    .map(|v| addr_spec(system, v, ifindex))
                    .collect::<Result<Vec<_>>>()?
                    .into(),
                excluded: i
                    .excluded
                    .iter()
                    .map(|v| addr_spec(system, v, ifindex))
                    .collect::<Result<Vec<_>>>()?
                    .into(),
                routes: i
                    .routes
                    .iter()
                    .map(|r| route_spec(system, r, ifindex))
                    .collect::<Result<_>>()?,
                rules: i.rules.iter().map(rule_spec).collect(),
                drop_traffic: strict_firewall && i.cfg.strict && !i.accept,
            });
        }
        let held = vec![None; readers.len()];
        let rx = if readers.is_empty() {
            None
        } else {
            Some(RxSet::new(readers).map_err(sys)?)
        };
        let firewall = instances
            .iter()
            .any(|i| i.drop_traffic)
            .then(Firewall::default);
        Ok(Self {
            nl,
            instances,
            rx,
            held,
            hold: Duration::ZERO,
            batch: RecvBatch::new(),
            ready: Vec::new(),
            links: HashMap::new(),
            system: system.clone(),
            garp_interval: Duration::ZERO,
            gna_interval: Duration::ZERO,
            garp_groups: HashMap::new(),
            paced: HashMap::new(),
            vip_lifetime: None,
            renewals: Arc::default(),
            renewer: None,
            firewall,
            statics: Default::default(),
        })
    }

    /// static_ipaddress/routes/rules to set by [`LinuxShell::add_statics`] and remove on stop.
    pub fn with_statics(mut self, statics: &Statics) -> Result<Self> {
        let system = &self.system;
        let addrs = statics
            .addrs
            .iter()
            .map(|a| {
                let dev = a.dev.as_deref().unwrap_or_default();
                addr_spec(system, a, ifindex_of(system, dev)?)
            })
            .collect::<Result<_>>()?;
        let routes = statics
            .routes
            .iter()
            .map(|r| {
                let mut s = route_spec(system, r, 0)?;
                s.ifindex = s.ifindex.filter(|i| *i != 0);
                Ok(s)
            })
            .collect::<Result<_>>()?;
        let rules = statics.rules.iter().map(rule_spec).collect();
        self.statics = (addrs, routes, rules);
        Ok(self)
    }

    /// Sets the static addresses, routes and rules (after [`LinuxShell::remove_leftovers`]).
    pub async fn add_statics(&self) {
        let (addrs, routes, rules) = &self.statics;
        for a in addrs {
            if let Err(e) = self.nl.add_addr(a, true).await {
                tracing::error!("static address: {e}");
            }
        }
        for r in routes {
            if let Err(e) = self.nl.add_route(r).await {
                tracing::error!("static route: {e}");
            }
        }
        for r in rules {
            if let Err(e) = self.nl.add_rule(r).await {
                tracing::error!("static rule: {e}");
            }
        }
    }

    /// VIPs get a valid lifetime of `secs` that a refresher renews 2 s before it ends while this
    /// process is master: a SIGKILLed or hung daemon's VIPs leave by themselves.
    pub fn with_vip_lifetime(mut self, secs: u32) -> Self {
        let secs = secs.max(2);
        self.vip_lifetime = Some(secs);
        let with = |list: &Arc<[AddrSpec]>| -> Arc<[AddrSpec]> {
            list.iter()
                .cloned()
                .map(|mut a| {
                    a.valid_lft = Some(secs);
                    a
                })
                .collect()
        };
        for i in &mut self.instances {
            i.vips = with(&i.vips);
            i.excluded = with(&i.excluded);
        }
        self
    }

    /// A socket that had datagrams stays quiet for `hold` before it is read again, so that
    /// datagrams arriving together are read together instead of each waking the process. An
    /// advert is then handled up to `hold` late; timers never fire before every socket was read.
    pub fn with_rx_hold(mut self, hold: Duration) -> Self {
        self.hold = hold;
        self
    }

    /// Reads socket `k` of `rx` until it is empty (or 4 batches), handing each datagram to `f`;
    /// true if there was any.
    fn read_socket(&mut self, k: usize, f: &mut dyn FnMut(usize, Frame<'_>)) -> bool {
        let Some(sock) = self.rx.as_ref().and_then(|r| r.socket(k)).cloned() else {
            return false;
        };
        let ipv6 = sock.spec().ipv6;
        let mut any = false;
        for _ in 0..4 {
            let n = match sock.recv_batch(&mut self.batch) {
                Ok(n) => n,
                Err(e) => {
                    tracing::debug!("receive on {}: {e}", sock.spec().ifname);
                    break;
                }
            };
            any |= n > 0;
            for j in 0..self.batch.len() {
                let Some((d, bytes)) = self.batch.get(j) else {
                    continue;
                };
                let frame = match (ipv6, d.src, d.dst) {
                    (true, IpAddr::V6(src), IpAddr::V6(dst)) => Frame::Ipv6 {
                        payload: bytes,
                        src,
                        dst,
                        hop_limit: (d.ttl != 0).then_some(d.ttl),
                    },
                    (false, _, _) => Frame::Ipv4(bytes),
                    _ => continue,
                };
                f(k, frame);
            }
            if n < keepalived_sys::socket::RECV_BATCH {
                break;
            }
        }
        any
    }

    /// After reading socket `k` at `now`: quiet for `hold` if it had datagrams, else (or
    /// without a hold) it reports again.
    fn settle(&mut self, k: usize, now: Duration, had: bool) {
        if had && !self.hold.is_zero() {
            self.held[k] = Some(now + self.hold);
            return;
        }
        self.held[k] = None;
        if let Some(rx) = self.rx.as_mut()
            && let Err(e) = rx.rearm(k)
        {
            tracing::warn!("{e}");
        }
    }

    /// garp_group blocks: per interface, the delay between two GARPs / NAs sent there.
    pub fn with_garp_groups(mut self, groups: HashMap<String, (Duration, Duration)>) -> Self {
        self.garp_groups = groups;
        self
    }

    /// vrrp_garp_interval and vrrp_gna_interval: the delay between two GARPs / NAs.
    pub fn with_garp_interval(mut self, garp: Duration, gna: Duration) -> Self {
        self.garp_interval = garp;
        self.gna_interval = gna;
        self
    }

    /// Before the first advert: removes what a previous run killed before it could clean up —
    /// addresses, routes and rules tagged as ours, the configured VIPs if present, our nftables
    /// table — then installs the table afresh when an instance needs it.
    pub async fn remove_leftovers(&self) -> Result<()> {
        match self.nl.remove_ours().await {
            Ok(gone) => {
                for a in gone {
                    tracing::warn!(
                        "Removed {}/{} left behind by a previous run",
                        a.addr,
                        a.prefix
                    );
                }
            }
            Err(e) => tracing::warn!("looking for leftover addresses: {e}"),
        }
        match self.nl.remove_our_routes_and_rules().await {
            Ok(0) => {}
            Ok(n) => tracing::warn!("Removed {n} route(s)/rule(s) left behind by a previous run"),
            Err(e) => tracing::warn!("looking for leftover routes and rules: {e}"),
        }
        // Kernels before 5.18 drop the IFA_PROTO tag: remove configured VIPs by address too.
        for i in &self.instances {
            for v in i.vips.iter().chain(i.excluded.iter()) {
                let _ = self.nl.del_addr(v).await;
            }
        }
        let fw = Firewall::default();
        if let Ok(Some(_)) = fw.list().await {
            tracing::warn!(
                "Removing nftables table inet {} left behind by a previous run",
                fw.table()
            );
            if let Err(e) = fw.uninstall().await {
                tracing::error!("{e}");
            }
        }
        if let Some(fw) = &self.firewall {
            fw.install(&[]).await.map_err(sys)?;
        }
        Ok(())
    }

    /// An instance's VIPs or excluded VIPs, with the valid lifetime when there is one.
    fn addr_specs(&self, instance: usize, excluded: bool) -> Arc<[AddrSpec]> {
        let Some(i) = self.instances.get(instance) else {
            return Arc::from([]);
        };
        if excluded {
            i.excluded.clone()
        } else {
            i.vips.clone()
        }
    }

    async fn add_addrs(&mut self, instance: usize, excluded: bool) -> Result<()> {
        let specs = self.addr_specs(instance, excluded);
        let mut first_err = None;
        for a in specs.iter() {
            if let Err(e) = self.nl.add_addr(a, true).await {
                first_err.get_or_insert(sys(e));
            }
        }
        if let Some(lifetime) = self.vip_lifetime
            && !specs.is_empty()
        {
            if self.renewer.is_none() {
                // Renewed at the latest 2 s before the lifetime runs out (the kernel counts
                // whole seconds): with a 3 s lifetime, every second.
                let period = Duration::from_secs(u64::from(lifetime.saturating_sub(2).max(1)));
                let task = tokio::spawn(renew_loop(self.renewals.clone(), self.nl.clone(), period));
                self.renewer = Some(task.abort_handle());
            }
            lock(&self.renewals).insert((instance, excluded), specs);
        }
        first_err.map_or(Ok(()), Err)
    }

    async fn remove_addrs(&mut self, instance: usize, excluded: bool) {
        lock(&self.renewals).remove((instance, excluded));
        for a in self.addr_specs(instance, excluded).iter() {
            // Gone already (lifetime ran out, operator removed it): nothing to do.
            if let Err(e) = self.nl.del_addr(a).await {
                tracing::debug!("{e}");
            }
        }
    }

    fn link(&mut self, ifindex: u32) -> Option<LinkOut> {
        let system = &self.system;
        self.links
            .entry(ifindex)
            .or_insert_with(|| {
                let (name, info) = system.by_name.iter().find(|(_, i)| i.index == ifindex)?;
                let mac = info.mac?;
                match LinkSender::open(ifindex) {
                    Ok(s) => Some((Arc::new(s), mac, name.clone())),
                    Err(e) => {
                        tracing::warn!("{e}: no gratuitous ARP/NA on {name}");
                        None
                    }
                }
            })
            .clone()
    }

    /// The frames announcing `addrs`, each with its sender and the pacing gap of its family.
    fn frames(&mut self, addrs: &[(u32, IpAddr)]) -> Vec<(Arc<LinkSender>, Vec<u8>, Duration)> {
        let mut out = Vec::new();
        for &(ifindex, a) in addrs {
            let Some((s, mac, name)) = self.link(ifindex) else {
                continue;
            };
            match a {
                IpAddr::V4(v4) => {
                    let gap = self
                        .garp_groups
                        .get(&name)
                        .map_or(self.garp_interval, |g| g.0);
                    out.push((s, garp_frame(mac, v4), gap))
                }
                IpAddr::V6(v6) => {
                    let gap = self
                        .garp_groups
                        .get(&name)
                        .map_or(self.gna_interval, |g| g.1);
                    out.push((s, na_frame(mac, v6, ipv6_router(&name)), gap))
                }
            }
        }
        out
    }

    fn garp(&mut self, instance: usize, repeat: u32) {
        let Some(i) = self.instances.get(instance) else {
            return;
        };
        let addrs: Vec<(u32, IpAddr)> = i
            .vips
            .iter()
            .chain(i.excluded.iter())
            .map(|a| (a.ifindex, a.addr))
            .collect();
        let frames = self.frames(&addrs);
        if frames.iter().all(|(_, _, gap)| gap.is_zero()) {
            for _ in 0..repeat {
                for (s, f, _) in &frames {
                    let _ = s.send(f);
                }
            }
            return;
        }
        let task = tokio::spawn(async move {
            let mut first = true;
            for _ in 0..repeat {
                for (s, f, gap) in &frames {
                    if !first {
                        tokio::time::sleep(*gap).await;
                    }
                    first = false;
                    let _ = s.send(f);
                }
            }
        });
        if let Some(old) = self.paced.insert(instance, task.abort_handle()) {
            old.abort();
        }
    }

    async fn firewall(&self, instance: usize, add: bool) {
        let (Some(fw), Some(i)) = (&self.firewall, self.instances.get(instance)) else {
            return;
        };
        if !i.drop_traffic {
            return;
        }
        let vips: Vec<IpAddr> = i.vips.iter().map(|a| a.addr).collect();
        let r = if add {
            fw.add(&vips).await
        } else {
            fw.remove(&vips).await
        };
        if let Err(e) = r {
            tracing::error!("{e}");
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// (instance, excluded VIPs or not)
type RenewKey = (usize, bool);

/// The VIPs with a lifetime that this process holds as master, in the order they were last
/// renewed (oldest first).
#[derive(Default)]
struct Renewals {
    specs: HashMap<RenewKey, (u64, Arc<[AddrSpec]>)>,
    /// (key, generation, last renewal); entries whose generation is no longer the key's are
    /// dropped as they come up.
    order: VecDeque<(RenewKey, u64, Instant)>,
    generation: u64,
}

impl Renewals {
    /// Just added with a full lifetime.
    fn insert(&mut self, key: RenewKey, specs: Arc<[AddrSpec]>) {
        self.generation += 1;
        self.specs.insert(key, (self.generation, specs));
        self.order.push_back((key, self.generation, Instant::now()));
    }

    fn remove(&mut self, key: RenewKey) {
        self.specs.remove(&key);
        if self.specs.is_empty() {
            self.order.clear();
        }
    }

    /// Takes the sets to renew at this tick, oldest first: every set that would be later than
    /// `period` at the next tick, and at least `1/ticks_per_period` of all sets, so that sets
    /// added together (1,000 instances become master at once) spread over the period instead of
    /// all falling in one tick.
    fn due(&mut self, now: Instant, period: Duration, step: Duration, out: &mut Vec<RenewKey>) {
        let per_tick = (self.specs.len() as u128 * step.as_nanos())
            .div_ceil(period.as_nanos().max(1)) as usize;
        let mut taken = 0;
        while let Some(&(key, generation, last)) = self.order.front() {
            if self.specs.get(&key).is_none_or(|(g, _)| *g != generation) {
                self.order.pop_front();
                continue;
            }
            if taken >= per_tick && last + period > now + step {
                break;
            }
            self.order.pop_front();
            self.order.push_back((key, generation, now));
            out.push(key);
            taken += 1;
        }
    }
}

/// Renews the masters' VIP lifetimes: a tick every `period / 4` (at most 250 ms) renews a share
/// of them in one netlink send without acks ([`AddrRenewer`]); through the shared rtnetlink
/// connection each address was one request and one ack, 1,000 of them in one go.
async fn renew_loop(renewals: Arc<Mutex<Renewals>>, nl: Netlink, period: Duration) {
    let step = (period / 4).min(Duration::from_millis(250));
    let mut renewer = match AddrRenewer::open() {
        Ok(r) => Some(r),
        Err(e) => {
            tracing::warn!("{e}: VIP lifetimes are renewed one request at a time");
            None
        }
    };
    let mut tick = tokio::time::interval(step);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tick.tick().await;
    let mut keys = Vec::new();
    loop {
        tick.tick().await;
        keys.clear();
        let specs: Vec<AddrSpec> = {
            let mut r = lock(&renewals);
            r.due(Instant::now(), period, step, &mut keys);
            if let Some(renewer) = renewer.as_mut() {
                let r = &*r;
                let all = keys
                    .iter()
                    .filter_map(|k| r.specs.get(k))
                    .flat_map(|(_, v)| v.iter());
                for e in renewer.renew(all) {
                    tracing::warn!("{e}");
                }
                continue;
            }
            keys.iter()
                .filter_map(|k| r.specs.get(k))
                .flat_map(|(_, v)| v.iter().cloned())
                .collect()
        };
        for a in specs.iter() {
            if let Err(e) = nl.add_addr(a, true).await {
                tracing::warn!("refreshing VIP lifetime: {e}");
            }
        }
    }
}

impl Shell for LinuxShell {
    async fn send(&mut self, instance: usize, dst: IpAddr, bytes: &[u8]) -> Result<()> {
        let Some(i) = self.instances.get(instance) else {
            return Ok(());
        };
        i.socket.send_to(bytes, dst).await.map_err(sys)
    }

    async fn send_batch(&mut self, items: &[(usize, IpAddr, &[u8])]) -> Vec<(usize, Error)> {
        // Per socket, in order: (index in items, bytes, dst).
        let mut per: Vec<(Arc<VrrpSocket>, Vec<usize>)> = Vec::new();
        for (k, (i, _, _)) in items.iter().enumerate() {
            let Some(io) = self.instances.get(*i) else {
                continue;
            };
            match per.iter_mut().find(|(s, _)| Arc::ptr_eq(s, &io.socket)) {
                Some((_, v)) => v.push(k),
                None => per.push((io.socket.clone(), vec![k])),
            }
        }
        let mut failed = Vec::new();
        let mut list: Vec<(&[u8], IpAddr)> = Vec::new();
        for (sock, idx) in per {
            list.clear();
            list.extend(idx.iter().map(|&k| (items[k].2, items[k].1)));
            for (j, e) in sock.send_many(&list).await {
                if let Some(&k) = idx.get(j) {
                    failed.push((k, sys(e)));
                }
            }
        }
        failed
    }

    fn sources(&self) -> Vec<(String, Family)> {
        let Some(rx) = &self.rx else {
            return Vec::new();
        };
        (0..rx.len())
            .filter_map(|k| rx.socket(k))
            .map(|s| {
                let fam = if s.spec().ipv6 {
                    Family::V6
                } else {
                    Family::V4
                };
                (s.spec().ifname.clone(), fam)
            })
            .collect()
    }

    fn poll_packets(
        &mut self,
        cx: &mut std::task::Context<'_>,
        f: &mut dyn FnMut(usize, Frame<'_>),
    ) -> std::task::Poll<()> {
        let mut ready = std::mem::take(&mut self.ready);
        ready.clear();
        let r = match self.rx.as_mut() {
            Some(rx) => rx.poll_ready(cx, &mut ready),
            None => std::task::Poll::Pending,
        };
        let out = match r {
            std::task::Poll::Pending => std::task::Poll::Pending,
            std::task::Poll::Ready(Err(e)) => {
                tracing::warn!("waiting for VRRP packets: {e}");
                std::task::Poll::Pending
            }
            std::task::Poll::Ready(Ok(())) => {
                let now = keepalived_sys::alarm::monotonic();
                for &k in &ready {
                    let had = self.read_socket(k, f);
                    self.settle(k, now, had);
                }
                std::task::Poll::Ready(())
            }
        };
        self.ready = ready;
        out
    }

    fn drain(&mut self, now: Duration, f: &mut dyn FnMut(usize, Frame<'_>)) {
        // Only quiet sockets: an armed one with datagrams has reported, and the loop takes
        // packets before timers.
        for k in 0..self.held.len() {
            let Some(until) = self.held[k] else { continue };
            let had = self.read_socket(k, f);
            // Still in its hold: read so that timers see every advert, and it stays quiet.
            if until > now {
                continue;
            }
            self.settle(k, now, had);
        }
    }

    fn next_wake(&self) -> Option<Duration> {
        self.held.iter().flatten().min().copied()
    }

    fn settled(&mut self) {
        keepalived_sys::release_free_memory();
        let unmapped = keepalived_sys::release_startup_pages();
        let (used, free) = keepalived_sys::heap_usage();
        tracing::debug!(
            "Settled: heap {} KiB in use, {} KiB free; {} KiB of code and read-only data unmapped",
            used / 1024,
            free / 1024,
            unmapped / 1024
        );
    }

    async fn apply(&mut self, instance: usize, action: &Action) -> Result<()> {
        match action {
            Action::AddVips => {
                // Drop rule first: no packet reaches a VIP of a non-accepting master in between.
                self.firewall(instance, true).await;
                self.add_addrs(instance, false).await?;
            }
            Action::RemoveVips => {
                self.remove_addrs(instance, false).await;
                self.firewall(instance, false).await;
            }
            Action::AddExcludedVips => self.add_addrs(instance, true).await?,
            Action::RemoveExcludedVips => self.remove_addrs(instance, true).await,
            Action::AddRoutes => {
                let routes = self.instances.get(instance).map(|i| i.routes.clone());
                for r in routes.iter().flatten() {
                    if let Err(e) = self.nl.add_route(r).await {
                        tracing::error!("{e}");
                    }
                }
            }
            Action::RemoveRoutes => {
                let routes = self.instances.get(instance).map(|i| i.routes.clone());
                for r in routes.iter().flatten() {
                    if let Err(e) = self.nl.del_route(r).await {
                        tracing::debug!("{e}");
                    }
                }
            }
            Action::AddRules => {
                let rules = self.instances.get(instance).map(|i| i.rules.clone());
                for r in rules.iter().flatten() {
                    if let Err(e) = self.nl.add_rule(r).await {
                        tracing::error!("{e}");
                    }
                }
            }
            Action::RemoveRules => {
                let rules = self.instances.get(instance).map(|i| i.rules.clone());
                for r in rules.iter().flatten() {
                    if let Err(e) = self.nl.del_rule(r).await {
                        tracing::debug!("{e}");
                    }
                }
            }
            Action::Garp { repeat } => self.garp(instance, *repeat),
            Action::GarpSource => {
                let one: Vec<(u32, IpAddr)> = self
                    .instances
                    .get(instance)
                    .map(|i| (i.ifindex, i.src))
                    .into_iter()
                    .collect();
                for (s, f, _) in self.frames(&one) {
                    let _ = s.send(&f);
                }
            }
            Action::CancelGarps => {
                if let Some(t) = self.paced.remove(&instance) {
                    t.abort();
                }
            }
            other => tracing::debug!("{other:?}: not for the shell"),
        }
        Ok(())
    }

    async fn finish(&mut self) {
        if let Some(t) = self.renewer.take() {
            t.abort();
        }
        *lock(&self.renewals) = Renewals::default();
        for (_, t) in self.paced.drain() {
            t.abort();
        }
        if let Some(fw) = &self.firewall
            && let Err(e) = fw.uninstall().await
        {
            tracing::error!("{e}");
        }
        let (addrs, routes, rules) = &self.statics;
        for r in rules {
            let _ = self.nl.del_rule(r).await;
        }
        for r in routes {
            let _ = self.nl.del_route(r).await;
        }
        for a in addrs {
            let _ = self.nl.del_addr(a).await;
        }
    }
}

/// Interface up/down as the loop needs it: the first state of every interface at once, then
/// every change (a deleted interface counts as down).
pub fn watch_links(system: &Interfaces, tx: mpsc::Sender<Input>) -> Result<()> {
    let mut rx = keepalived_sys::netlink::monitor_links().map_err(sys)?;
    let mut names: HashMap<u32, (String, bool)> = system
        .by_name
        .iter()
        .map(|(n, i)| (i.index, (n.clone(), i.up)))
        .collect();
    tokio::spawn(async move {
        use keepalived_sys::netlink::Event;
        while let Some(ev) = rx.recv().await {
            let (index, name, up) = match ev {
                Event::Link(l) => (l.index, l.name, l.up),
                Event::LinkGone { index } => match names.get(&index) {
                    Some((n, _)) => (index, n.clone(), false),
                    None => continue,
                },
                _ => continue,
            };
            let before = names.insert(index, (name.clone(), up));
            if before.is_some_and(|(_, was)| was == up) {
                continue;
            }
            tracing::info!("Netlink reports {name} {}", if up { "up" } else { "down" });
            if tx
                .send(Input::Link {
                    interface: name,
                    up,
                })
                .await
                .is_err()
            {
                return;
            }
        }
    });
    Ok(())
}

/// use_vmac: creates each instance's macvlan (replacing one a crashed run left) and points the
/// instance at it: adverts and VIPs on the VMAC, or with `vmac_xmit_base` adverts on the base and
/// VIPs on the VMAC. IPv4 instances only in this build.
pub async fn create_vmacs(
    nl: &Netlink,
    instances: &mut [InstanceSetup],
    system: &Interfaces,
) -> Result<Vec<keepalived_sys::vmac::Vmac>> {
    let mut made: Vec<keepalived_sys::vmac::Vmac> = Vec::new();
    for i in instances.iter_mut() {
        let Some(name) = i.vmac.clone() else { continue };
        if i.cfg.src.is_ipv6() {
            tracing::warn!(
                "({}) use_vmac with IPv6 is not handled by this build; ignored",
                i.cfg.name
            );
            i.vmac = None;
            continue;
        }
        if !made.iter().any(|v| v.link.name == name) {
            if let Some(old) = system.by_name.get(&name) {
                tracing::warn!("Removing VMAC {name} left behind by a previous run");
                nl.del_link(old.index).await.map_err(sys)?;
            }
            let base =
                nl.link(&i.interface).await.map_err(sys)?.ok_or_else(|| {
                    Error::Other(format!("interface {} does not exist", i.interface))
                })?;
            let v = keepalived_sys::vmac::Vmac::create(nl, &base, &name, i.cfg.vrid, false)
                .await
                .map_err(sys)?;
            made.push(v);
        }
        if i.vmac_xmit_base {
            for v in i.vips.iter_mut().chain(i.excluded.iter_mut()) {
                if v.dev.is_none() {
                    v.dev = Some(name.clone());
                }
            }
        } else {
            i.interface = name;
        }
    }
    Ok(made)
}
