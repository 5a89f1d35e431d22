//! A deterministic virtual LAN for VRRP routers: a seeded RNG drives loss, delay, duplication,
//! partitions, crashes, restarts, interface faults and priority changes on a virtual clock.
//!
//! Each router is a [`Router`] (one keepalived daemon) with VRID 1, and in sync-group runs VRID 2
//! in a sync group with it. Properties are checked as the run goes; a failure returns the seed and,
//! replayed with tracing, the full event trace.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::Duration;

use keepalived_vrrp::packet::{AuthConfig, Packet, Version};
use keepalived_vrrp::{
    Action, Event, Instance, InstanceConfig, Router, State, SyncGroupConfig, Time,
};

/// SplitMix64: tiny, fast and stable across crate versions, so seeds replay forever.
#[derive(Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed ^ 0x9e37_79b9_7f4a_7c15)
    }
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    /// Uniform in lo..=hi.
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next() % (hi - lo + 1)
    }
    pub fn chance(&mut self, p_percent: u64) -> bool {
        self.next() % 100 < p_percent
    }
}

#[derive(Debug, Clone)]
enum SimEvent {
    Deliver {
        to: usize,
        inst: usize,
        from: usize,
        prio: u8,
        pkt: Packet,
    },
    Crash(usize),
    Shutdown(usize),
    Restart(usize),
    Partition(Vec<bool>),
    Heal,
    SetPriority(usize, u8),
    Interface(usize, bool),
    KillMaster,
    Check,
}

struct Node {
    router: Option<Router>,
    ip: Ipv4Addr,
    prio: u8,
    nopreempt: bool,
    /// Per instance: last time a backup accepted an advert it must defer to; last priority 0.
    last_accept: Vec<Option<u64>>,
    last_prio0: Vec<Option<u64>>,
}

/// One run's shape, all drawn from the seed.
#[derive(Debug, Clone)]
pub struct Shape {
    #[allow(dead_code)] // shown in failure reports
    pub routers: usize,
    pub version: Version,
    pub adver_int: Duration,
    pub sync_group: bool,
    /// VRRPv2 only: 0 none, 1 PASS, 2 AH.
    pub auth: u8,
    /// VRRPv3 only: link-local IPv6 routers.
    pub ipv6: bool,
    /// Unicast peers instead of the multicast group.
    pub unicast: bool,
    pub loss_pct: u64,
    pub dup_pct: u64,
    pub max_delay_us: u64,
    pub chaos_until: u64,
    pub end: u64,
    pub kill_at: u64,
}

pub struct Sim {
    pub shape: Shape,
    rng: Rng,
    now: u64,
    seq: u64,
    queue: BinaryHeap<Reverse<(u64, u64, usize)>>,
    events: Vec<Option<SimEvent>>,
    nodes: Vec<Node>,
    partition: Option<Vec<bool>>,
    last_disturbance: u64,
    trace: Option<Vec<String>>,
    kill: Option<(u64, u64)>,
    ah_exempt: bool,
    pub stats: RunStats,
}

#[derive(Debug, Default, Clone, Copy)]
pub struct RunStats {
    pub deliveries: u64,
    pub transitions: u64,
    pub failovers_checked: u64,
    /// AH runs that ended up with two masters locked out by each other's anti-replay counter.
    pub ah_dual_master: u64,
}

const N_VRIDS_SYNC: usize = 2;

impl Sim {
    pub fn new(seed: u64, trace: bool) -> Sim {
        let mut rng = Rng::new(seed);
        let routers = rng.range(2, 10) as usize;
        let version = if rng.chance(50) {
            Version::V3
        } else {
            Version::V2
        };
        let adver_int = match version {
            Version::V2 => Duration::from_secs(rng.range(1, 2)),
            Version::V3 => Duration::from_millis([200, 500, 1000][rng.range(0, 2) as usize]),
        };
        let adv = adver_int.as_micros() as u64;
        let chaos_until = adv * rng.range(10, 40);
        let shape = Shape {
            routers,
            version,
            adver_int,
            sync_group: rng.chance(30),
            auth: if version == Version::V2 {
                rng.range(0, 2) as u8
            } else {
                0
            },
            ipv6: version == Version::V3 && rng.chance(30),
            unicast: rng.chance(25),
            loss_pct: rng.range(0, 30),
            dup_pct: rng.range(0, 10),
            max_delay_us: rng.range(100, adv / 10),
            chaos_until,
            // long enough after the chaos to settle, kill the master and settle again
            end: chaos_until + adv * 40,
            kill_at: chaos_until + adv * 16,
        };
        let any_nopreempt = rng.chance(25);
        let mut nodes = Vec::new();
        for n in 0..routers {
            // distinct-ish priorities, sometimes equal, sometimes an owner
            let prio = if n == 0 && rng.chance(15) {
                255
            } else {
                rng.range(1, 12) as u8 * 20
            };
            nodes.push(Node {
                router: None,
                ip: Ipv4Addr::new(10, 0, 0, 1 + rng.range(0, 200) as u8),
                prio,
                nopreempt: any_nopreempt && prio != 255 && rng.chance(50),
                last_accept: vec![None; N_VRIDS_SYNC],
                last_prio0: vec![None; N_VRIDS_SYNC],
            });
        }
        // primary addresses must be unique on a LAN
        for n in 0..routers {
            while (0..n).any(|m| nodes[m].ip == nodes[n].ip) {
                nodes[n].ip = Ipv4Addr::new(10, 0, 0, 1 + rng.range(0, 250) as u8);
            }
        }
        let mut sim = Sim {
            shape,
            rng,
            now: 0,
            seq: 0,
            queue: BinaryHeap::new(),
            events: Vec::new(),
            nodes,
            partition: None,
            last_disturbance: 0,
            trace: trace.then(Vec::new),
            kill: None,
            ah_exempt: false,
            stats: RunStats::default(),
        };
        for n in 0..routers {
            let at = sim.rng.range(0, adv * 2);
            sim.schedule(at, SimEvent::Restart(n));
        }
        // chaos
        let n_chaos = sim.rng.range(0, 12);
        for _ in 0..n_chaos {
            let at = sim.rng.range(0, chaos_until);
            let n = sim.rng.range(0, routers as u64 - 1) as usize;
            let ev = match sim.rng.range(0, 6) {
                0 => SimEvent::Crash(n),
                1 => SimEvent::Shutdown(n),
                2 => {
                    let sides = (0..routers).map(|_| sim.rng.chance(50)).collect();
                    let heal = sim.rng.range(at, chaos_until);
                    sim.schedule(heal, SimEvent::Heal);
                    SimEvent::Partition(sides)
                }
                3 => SimEvent::SetPriority(n, sim.rng.range(1, 12) as u8 * 20),
                4 => {
                    let up = sim.rng.range(at, chaos_until);
                    sim.schedule(up, SimEvent::Interface(n, true));
                    SimEvent::Interface(n, false)
                }
                _ => SimEvent::Crash(n),
            };
            if matches!(ev, SimEvent::Crash(_) | SimEvent::Shutdown(_)) {
                let back = sim.rng.range(at, chaos_until);
                sim.schedule(back, SimEvent::Restart(n));
            }
            sim.schedule(at, ev);
        }
        // loss and duplication stop here: the LAN is stable from now on unless a failure is injected
        sim.schedule(chaos_until, SimEvent::Heal);
        let kill_at = sim.shape.kill_at;
        sim.schedule(kill_at, SimEvent::KillMaster);
        let mut t = chaos_until;
        while t < sim.shape.end {
            sim.schedule(t, SimEvent::Check);
            t += adv / 2;
        }
        sim
    }

    fn log(&mut self, s: impl FnOnce() -> String) {
        if let Some(tr) = &mut self.trace {
            tr.push(format!("{:>12} {}", Time(self.now).to_string(), s()));
        }
    }

    pub fn trace(&self) -> &[String] {
        self.trace.as_deref().unwrap_or(&[])
    }

    fn schedule(&mut self, at: u64, ev: SimEvent) {
        self.events.push(Some(ev));
        self.queue
            .push(Reverse((at, self.seq, self.events.len() - 1)));
        self.seq += 1;
    }

    fn adv(&self) -> u64 {
        self.shape.adver_int.as_micros() as u64
    }

    /// Upper bound of Master_Down_Interval for any priority (3 adverts + a skew below one advert
    /// in v3 or one second in v2).
    fn mdi_bound(&self) -> u64 {
        let skew = match self.shape.version {
            Version::V3 => self.adv(),
            Version::V2 => 1_000_000,
        };
        3 * self.adv() + skew
    }

    fn n_vrids(&self) -> usize {
        if self.shape.sync_group {
            N_VRIDS_SYNC
        } else {
            1
        }
    }

    /// A router's primary address; IPv6 ones keep the IPv4 order (fe80::10.0.0.x).
    fn addr(&self, n: usize) -> IpAddr {
        let ip = self.nodes[n].ip;
        if self.shape.ipv6 {
            let o = ip.octets();
            IpAddr::V6(Ipv6Addr::new(
                0xfe80,
                0,
                0,
                0,
                0,
                0,
                u16::from_be_bytes([o[0], o[1]]),
                u16::from_be_bytes([o[2], o[3]]),
            ))
        } else {
            IpAddr::V4(ip)
        }
    }

    fn build_router(&self, n: usize) -> Router {
        let node = &self.nodes[n];
        let mut insts = Vec::new();
        for v in 0..self.n_vrids() {
            let mut c = InstanceConfig::new(format!("vi{v}"), v as u8 + 1, self.addr(n));
            c.version = self.shape.version;
            c.adver_int = self.shape.adver_int;
            c.priority = node.prio;
            c.nopreempt = node.nopreempt;
            c.vips = if self.shape.ipv6 {
                vec![IpAddr::V6(Ipv6Addr::new(
                    0xfd00,
                    0,
                    0,
                    0,
                    0,
                    0,
                    1,
                    v as u16 + 1,
                ))]
            } else {
                vec![IpAddr::V4(Ipv4Addr::new(10, 0, 1, v as u8 + 1))]
            };
            if self.shape.unicast {
                c.peers = (0..self.nodes.len())
                    .filter(|&m| m != n)
                    .map(|m| keepalived_vrrp::packet::Peer::new(self.addr(m)))
                    .collect();
            }
            c.garp = keepalived_vrrp::GarpConfig::min();
            c.auth = match self.shape.auth {
                1 => AuthConfig::Pass(AuthConfig::key("simpass")),
                2 => AuthConfig::Ah(AuthConfig::key("simkey")),
                _ => AuthConfig::None,
            };
            insts.push(Instance::new(c));
        }
        let groups = if self.shape.sync_group {
            vec![SyncGroupConfig {
                name: "g".into(),
                members: (0..self.n_vrids()).collect(),
            }]
        } else {
            vec![]
        };
        Router::new(insts, groups)
    }

    fn states(&self, n: usize) -> Vec<State> {
        match &self.nodes[n].router {
            Some(r) => r.instances().iter().map(|i| i.state()).collect(),
            None => vec![State::Stop; self.n_vrids()],
        }
    }

    /// Runs to the end; Err is a property violation.
    pub fn run(&mut self) -> Result<(), String> {
        loop {
            let tq = self.queue.peek().map(|Reverse((t, _, _))| *t);
            let tr = self
                .nodes
                .iter()
                .filter_map(|n| n.router.as_ref()?.next_deadline())
                .min()
                .map(|t| t.0);
            let t = match (tq, tr) {
                (None, None) => break,
                (Some(a), None) => a,
                (None, Some(b)) => b,
                (Some(a), Some(b)) => a.min(b),
            };
            if t > self.shape.end {
                break;
            }
            self.now = t;
            if tr == Some(t) {
                for n in 0..self.nodes.len() {
                    let due = self.nodes[n]
                        .router
                        .as_ref()
                        .and_then(|r| r.next_deadline())
                        .is_some_and(|d| d.0 <= t);
                    if due {
                        self.drive(n, None, |r, now| r.timer(now))?;
                    }
                }
                continue;
            }
            let Some(Reverse((_, _, idx))) = self.queue.pop() else {
                break;
            };
            let Some(ev) = self.events[idx].take() else {
                continue;
            };
            self.apply(ev)?;
        }
        self.final_check()
    }

    fn apply(&mut self, ev: SimEvent) -> Result<(), String> {
        match ev {
            SimEvent::Deliver {
                to,
                inst,
                from,
                prio,
                pkt,
            } => {
                let Some(r) = &self.nodes[to].router else {
                    return Ok(());
                };
                let Some(i) = r.instance(inst) else {
                    return Ok(());
                };
                let (st, eff, nopre) = (i.state(), i.effective_priority(), i.config().nopreempt);
                let rcvd = i.stats().advert_rcvd;
                self.stats.deliveries += 1;
                let src_ip = self.addr(from);
                self.log(|| format!("deliver r{from}->r{to} vrid{} prio {prio}", inst + 1));
                self.drive(to, Some((inst, prio, src_ip)), |r, now| {
                    r.handle(now, inst, Event::Packet(pkt))
                })?;
                // only adverts the instance accepted (auth, anti-replay) count as heard
                let accepted = self.nodes[to]
                    .router
                    .as_ref()
                    .and_then(|r| r.instance(inst))
                    .is_some_and(|i| i.stats().advert_rcvd > rcvd);
                if st == State::Backup && accepted {
                    if prio == 0 {
                        self.nodes[to].last_prio0[inst] = Some(self.now);
                    } else if prio >= eff || nopre {
                        self.nodes[to].last_accept[inst] = Some(self.now);
                    }
                }
            }
            SimEvent::Crash(n) => {
                self.disturb();
                self.log(|| format!("CRASH r{n}"));
                self.nodes[n].router = None;
            }
            SimEvent::Shutdown(n) => {
                self.disturb();
                self.log(|| format!("SHUTDOWN r{n}"));
                if self.nodes[n].router.is_some() {
                    self.drive(n, None, |r, now| r.shutdown(now))?;
                }
                self.nodes[n].router = None;
            }
            SimEvent::Restart(n) => {
                if self.nodes[n].router.is_some() {
                    return Ok(());
                }
                self.disturb();
                let (ip, prio) = (self.nodes[n].ip, self.nodes[n].prio);
                self.log(|| format!("START r{n} ip {ip} prio {prio}"));
                self.nodes[n].router = Some(self.build_router(n));
                self.nodes[n].last_accept = vec![None; N_VRIDS_SYNC];
                self.nodes[n].last_prio0 = vec![None; N_VRIDS_SYNC];
                self.drive(n, None, |r, now| r.startup(now))?;
            }
            SimEvent::Partition(sides) => {
                self.disturb();
                self.log(|| format!("PARTITION {sides:?}"));
                self.partition = Some(sides);
            }
            SimEvent::Heal => {
                self.disturb();
                self.log(|| "HEAL".into());
                self.partition = None;
            }
            SimEvent::SetPriority(n, p) => {
                self.disturb();
                self.log(|| format!("PRIORITY r{n} -> {p}"));
                if self.nodes[n].prio != 255 {
                    self.nodes[n].prio = p;
                }
                if self.nodes[n].router.is_some() {
                    for i in 0..self.n_vrids() {
                        self.drive(n, None, |r, now| r.handle(now, i, Event::SetPriority(p)))?;
                    }
                }
            }
            SimEvent::Interface(n, up) => {
                self.disturb();
                self.log(|| format!("INTERFACE r{n} up={up}"));
                if self.nodes[n].router.is_some() {
                    for i in 0..self.n_vrids() {
                        self.drive(n, None, |r, now| r.handle(now, i, Event::Interface { up }))?;
                    }
                }
            }
            SimEvent::KillMaster => {
                let master = (0..self.nodes.len()).find(|&n| self.states(n)[0] == State::Master);
                let Some(m) = master else {
                    return Ok(());
                };
                let others_alive = (0..self.nodes.len())
                    .any(|n| n != m && matches!(self.states(n)[0], State::Backup));
                self.disturb();
                self.log(|| format!("KILL master r{m}"));
                self.nodes[m].router = None;
                if others_alive {
                    // the last advert may still be in flight: it can restart a backup's timer up
                    // to one link delay after the kill
                    let mdi = (0..self.nodes.len())
                        .filter_map(|n| {
                            let i = &self.nodes[n].router.as_ref()?.instances()[0];
                            (i.state() == State::Backup)
                                .then(|| i.master_down_interval().as_micros() as u64)
                        })
                        .max()
                        .unwrap_or(0);
                    self.kill = Some((self.now, self.now + mdi + self.shape.max_delay_us));
                }
            }
            SimEvent::Check => self.check_masters()?,
        }
        Ok(())
    }

    fn disturb(&mut self) {
        self.last_disturbance = self.now;
    }

    /// Runs `f` on router `n`, sends its packets over the LAN and checks every transition.
    fn drive(
        &mut self,
        n: usize,
        rx: Option<(usize, u8, IpAddr)>,
        f: impl FnOnce(&mut Router, Time) -> Vec<keepalived_vrrp::Output>,
    ) -> Result<(), String> {
        let before = self.states(n);
        let was_faulted: Vec<bool> = self.nodes[n]
            .router
            .as_ref()
            .map(|r| r.instances().iter().map(|i| i.is_faulted()).collect())
            .unwrap_or_default();
        let now = Time(self.now);
        let Some(r) = self.nodes[n].router.as_mut() else {
            return Ok(());
        };
        let outs = f(r, now);
        let after = self.states(n);
        for o in outs {
            if let Action::Send {
                priority,
                bytes,
                dst,
            } = o.action
            {
                self.transmit(n, o.instance, priority, dst, bytes);
            }
        }
        for i in 0..after.len() {
            if before[i] != after[i] {
                self.stats.transitions += 1;
                self.log(|| format!("r{n} vrid{} {} -> {}", i + 1, before[i], after[i]));
                self.check_cause(n, i, before[i], after[i], rx, &was_faulted)?;
            }
        }
        if self.shape.sync_group && after.iter().any(|s| *s != after[0]) {
            return Err(format!("r{n}: sync group split: {after:?}"));
        }
        if let Some((t0, deadline)) = self.kill
            && (0..self.nodes.len()).any(|m| self.states(m)[0] == State::Master)
        {
            self.stats.failovers_checked += 1;
            let took = self.now - t0;
            self.log(|| format!("failover after {took} us"));
            if self.now > deadline {
                return Err(format!(
                    "failover took {} us, bound {}",
                    self.now - t0,
                    deadline - t0
                ));
            }
            self.kill = None;
        }
        Ok(())
    }

    fn check_cause(
        &self,
        n: usize,
        i: usize,
        from: State,
        to: State,
        rx: Option<(usize, u8, IpAddr)>,
        was_faulted: &[bool],
    ) -> Result<(), String> {
        let Some(r) = &self.nodes[n].router else {
            return Ok(());
        };
        let inst = &r.instances()[i];
        let faulted_changed = was_faulted.get(i).copied() != Some(inst.is_faulted());
        let group_moved = self.shape.sync_group; // members follow each other
        let ok = match (from, to) {
            (State::Init, _) => true,
            (_, State::Stop) => true,
            (_, State::Fault) => faulted_changed || group_moved,
            (State::Fault, _) => faulted_changed || group_moved,
            (State::Master, State::Backup) => match rx {
                Some((ri, prio, src)) if ri == i => {
                    let ours = inst.effective_priority();
                    prio > ours
                        || (prio == ours && src > self.addr(n))
                        || (prio == 255 && ours == 254)
                }
                _ => group_moved,
            },
            (State::Backup, State::Master) => {
                if rx.is_some() && !group_moved {
                    false
                } else {
                    let silent = match (self.nodes[n].last_accept[i], self.nodes[n].last_prio0[i]) {
                        (Some(a), p0) => {
                            self.now >= a + 3 * self.adv_for_check() || p0.is_some_and(|p| p >= a)
                        }
                        (None, _) => true,
                    };
                    silent || group_moved
                }
            }
            _ => true,
        };
        if ok {
            Ok(())
        } else {
            Err(format!(
                "r{n} vrid{} {from} -> {to} without a cause (rx {rx:?}, cause {:?})",
                i + 1,
                inst.last_cause()
            ))
        }
    }

    fn adv_for_check(&self) -> u64 {
        self.adv()
    }

    fn transmit(&mut self, from: usize, inst: usize, prio: u8, dst: IpAddr, bytes: Vec<u8>) {
        for to in 0..self.nodes.len() {
            if to == from || self.nodes[to].router.is_none() {
                continue;
            }
            if self.shape.unicast && self.addr(to) != dst {
                continue;
            }
            if let Some(p) = &self.partition
                && p[to] != p[from]
            {
                continue;
            }
            let chaos = self.now < self.shape.chaos_until;
            if chaos && self.rng.chance(self.shape.loss_pct) {
                continue;
            }
            let copies = if chaos && self.rng.chance(self.shape.dup_pct) {
                2
            } else {
                1
            };
            for _ in 0..copies {
                let delay = self.rng.range(10, self.shape.max_delay_us);
                let pkt = match (self.addr(from), dst) {
                    (IpAddr::V6(src), IpAddr::V6(dst)) => Packet::Ipv6 {
                        payload: bytes.clone(),
                        src,
                        dst,
                        hop_limit: Some(255),
                    },
                    _ => Packet::Ipv4(bytes.clone()),
                };
                self.schedule(
                    self.now + delay,
                    SimEvent::Deliver {
                        to,
                        inst,
                        from,
                        prio,
                        pkt,
                    },
                );
            }
        }
    }

    fn settle(&self) -> u64 {
        self.mdi_bound() + self.adv() + 2 * self.shape.max_delay_us
    }

    fn masters(&self, v: usize) -> Vec<usize> {
        (0..self.nodes.len())
            .filter(|&n| self.states(n).get(v) == Some(&State::Master))
            .collect()
    }

    fn check_masters(&mut self) -> Result<(), String> {
        if self.now < self.last_disturbance + self.settle() {
            return Ok(());
        }
        for v in 0..self.n_vrids() {
            let m = self.masters(v);
            if m.len() > 1 {
                if self.shape.auth == 2 {
                    // keepalived shares one AH sequence counter between sending and anti-replay:
                    // two masters that send in step reject each other's adverts as replays
                    self.stats.ah_dual_master = 1;
                    self.ah_exempt = true;
                    return Ok(());
                }
                return Err(format!(
                    "vrid{}: {} masters {m:?} on a stable LAN",
                    v + 1,
                    m.len()
                ));
            }
        }
        Ok(())
    }

    fn final_check(&self) -> Result<(), String> {
        if self.ah_exempt || self.now < self.last_disturbance + 2 * self.settle() {
            return Ok(());
        }
        let any_nopreempt = self.nodes.iter().any(|n| n.nopreempt);
        for v in 0..self.n_vrids() {
            let m = self.masters(v);
            let candidates: Vec<(u8, usize)> = (0..self.nodes.len())
                .filter_map(|n| {
                    let i = &self.nodes[n].router.as_ref()?.instances()[v];
                    matches!(i.state(), State::Backup | State::Master)
                        .then(|| (i.effective_priority(), n))
                })
                .collect();
            if candidates.is_empty() {
                continue;
            }
            if m.len() != 1 {
                return Err(format!("vrid{}: {} masters at the end", v + 1, m.len()));
            }
            if !any_nopreempt {
                let best = candidates.iter().map(|c| c.0).max().unwrap_or(0);
                let mp = candidates.iter().find(|c| c.1 == m[0]).map(|c| c.0);
                if mp != Some(best) {
                    return Err(format!(
                        "vrid{}: master r{} has priority {mp:?}, best is {best}",
                        v + 1,
                        m[0]
                    ));
                }
            }
        }
        Ok(())
    }
}
