//! The loop's Linux side, all through keepalived-sys: VRRP sockets and their readers, VIPs, routes
//! and rules over rtnetlink (with lifetimes the master refreshes), GARP/NA, and the vrrp_strict firewall.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use keepalived_sys::frame::{LinkSender, garp_frame, ipv6_router, na_frame};
use keepalived_sys::netlink::{AddrSpec, Netlink, RouteSpec, RuleSpec};
use keepalived_sys::nft::Firewall;
use keepalived_sys::socket::{PROTO_AH, PROTO_VRRP, SocketSpec, Sockets, VrrpSocket};
use keepalived_vrrp::Action;
use keepalived_vrrp::packet::{AuthConfig, Packet};
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
    pub vips: Vec<AddrSpec>,
    pub excluded: Vec<AddrSpec>,
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
    /// Refreshers keeping each master's VIP lifetimes from running out, per (instance, excluded).
    refresh: HashMap<(usize, bool), AbortHandle>,
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
        tx: mpsc::Sender<Input>,
    ) -> Result<Self> {
        let mut sockets = Sockets::default();
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
                    .collect::<Result<_>>()?,
                excluded: i
                    .excluded
                    .iter()
                    .map(|v| addr_spec(system, v, ifindex))
                    .collect::<Result<_>>()?,
                routes: i
                    .routes
                    .iter()
                    .map(|r| route_spec(system, r, ifindex))
                    .collect::<Result<_>>()?,
                rules: i.rules.iter().map(rule_spec).collect(),
                drop_traffic: strict_firewall && i.cfg.strict && !i.accept,
            });
        }
        for s in readers {
            tokio::spawn(read_loop(s, tx.clone()));
        }
        let firewall = instances
            .iter()
            .any(|i| i.drop_traffic)
            .then(Firewall::default);
        Ok(Self {
            nl,
            instances,
            links: HashMap::new(),
            system: system.clone(),
            garp_interval: Duration::ZERO,
            gna_interval: Duration::ZERO,
            garp_groups: HashMap::new(),
            paced: HashMap::new(),
            vip_lifetime: None,
            refresh: HashMap::new(),
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
        self.vip_lifetime = Some(secs.max(2));
        self
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
            for v in i.vips.iter().chain(&i.excluded) {
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

    fn addr_specs(&self, instance: usize, excluded: bool) -> Vec<AddrSpec> {
        let Some(i) = self.instances.get(instance) else {
            return vec![];
        };
        let list = if excluded { &i.excluded } else { &i.vips };
        list.iter()
            .cloned()
            .map(|mut a| {
                a.valid_lft = self.vip_lifetime;
                a
            })
            .collect()
    }

    async fn add_addrs(&mut self, instance: usize, excluded: bool) -> Result<()> {
        let specs = self.addr_specs(instance, excluded);
        let mut first_err = None;
        for a in &specs {
            if let Err(e) = self.nl.add_addr(a, true).await {
                first_err.get_or_insert(sys(e));
            }
        }
        if self.vip_lifetime.is_some() && !specs.is_empty() {
            let nl = self.nl.clone();
            // Renewed 2 s before the lifetime runs out (the kernel counts whole seconds), not
            // every second: with 1,000 VIPs each renewal is 1,000 netlink round trips.
            let every = Duration::from_secs(u64::from(
                self.vip_lifetime.unwrap_or(3).saturating_sub(2).max(1),
            ));
            let task = tokio::spawn(async move {
                let mut tick = tokio::time::interval(every);
                tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
                tick.tick().await;
                loop {
                    tick.tick().await;
                    for a in &specs {
                        if let Err(e) = nl.add_addr(a, true).await {
                            tracing::warn!("refreshing VIP lifetime: {e}");
                        }
                    }
                }
            });
            if let Some(old) = self
                .refresh
                .insert((instance, excluded), task.abort_handle())
            {
                old.abort();
            }
        }
        first_err.map_or(Ok(()), Err)
    }

    async fn remove_addrs(&mut self, instance: usize, excluded: bool) {
        if let Some(t) = self.refresh.remove(&(instance, excluded)) {
            t.abort();
        }
        for a in self.addr_specs(instance, excluded) {
            // Gone already (lifetime ran out, operator removed it): nothing to do.
            if let Err(e) = self.nl.del_addr(&a).await {
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
            .chain(&i.excluded)
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

async fn read_loop(sock: Arc<VrrpSocket>, tx: mpsc::Sender<Input>) {
    let interface: Arc<str> = Arc::from(sock.spec().ifname.as_str());
    let ipv6 = sock.spec().ipv6;
    loop {
        let r = match sock.recv().await {
            Ok(r) => r,
            Err(e) => {
                tracing::debug!("{e}");
                continue;
            }
        };
        let packet = match (ipv6, r.src, r.dst) {
            (true, IpAddr::V6(src), IpAddr::V6(dst)) => Packet::Ipv6 {
                payload: r.payload().to_vec(),
                src,
                dst,
                hop_limit: (r.ttl != 0).then_some(r.ttl),
            },
            (false, _, _) => Packet::Ipv4(r.packet),
            _ => continue,
        };
        let input = Input::Packet {
            interface: interface.clone(),
            packet,
        };
        if tx.send(input).await.is_err() {
            return;
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
        for (_, t) in self.refresh.drain() {
            t.abort();
        }
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
