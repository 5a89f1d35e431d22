//! Where the checkers' computed LVS table goes: the kernel's IPVS (reconciled, never rebuilt), a
//! log when the kernel has no IPVS, or a recording fake in tests.
//!
//! The table the checker model computes ([`keepalived_check::Table`]) is turned into the kernel's
//! terms once ([`to_kernel`]); from then on everything is a diff between two [`KTable`]s:
//! - start: the kernel's table is read and [`reconcile`]d with the desired one. Services and
//!   destinations the configuration names are taken over and corrected; entries a crashed run of
//!   ours left behind (named in the ownership record, see [`Owned`]) are removed; anything else
//!   (another tool's services, a destination an operator added) is left alone;
//! - each change of the computed table: [`diff`] of what we applied and what is now desired, so a
//!   real server's state change touches that destination only;
//! - a change the kernel refuses as out of date (EEXIST on an add, ESRCH/ENOENT on an edit or a
//!   delete: someone else changed the table) makes the applier read the kernel again and
//!   reconcile once, instead of drifting;
//! - stop: ours removed (keepalived's `clear_services`), unless `-I/--dont-release-ipvs`.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use keepalived_check::{
    Dest as CDest, Forwarding, Granularity, Protocol as CProtocol, Service as CService,
    ServiceKey as CKey, Table, TunnelChecksum, TunnelKind,
};
use keepalived_ipvs::{self as ipvs, Op, ServiceKey, svc_flags};

/// One service of ours with its destinations, in the kernel's terms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KService {
    pub service: ipvs::Service,
    pub dests: BTreeMap<SocketAddr, ipvs::Dest>,
}

/// A table in the kernel's terms.
pub type KTable = BTreeMap<ServiceKey, KService>;

/// What we programmed, by identity: a service, or a destination of a service.
pub type Owned = BTreeSet<(ServiceKey, Option<SocketAddr>)>;

/// The identities of a table's services and destinations.
pub fn owned_of(t: &KTable) -> Owned {
    let mut out = Owned::new();
    for (k, s) in t {
        out.insert((*k, None));
        for a in s.dests.keys() {
            out.insert((*k, Some(*a)));
        }
    }
    out
}

/// Where a table goes.
pub trait Sink {
    /// The kernel's whole table as it is now (services with their destinations and counters).
    fn read(&mut self) -> Result<Vec<(ipvs::ServiceEntry, Vec<ipvs::DestEntry>)>, ipvs::Error>;
    /// Carries out `ops` in order, one result per op.
    fn apply(&mut self, ops: &[Op]) -> Vec<Result<(), ipvs::Error>>;
    /// Empties the whole table (`lvs_flush`, `lvs_flush_on_stop`).
    fn flush(&mut self) -> Result<(), ipvs::Error>;
    /// Whether this sink is the kernel (dumps say so).
    fn is_kernel(&self) -> bool;
    /// The kernel's client, for what is not the table (timeouts, sync daemons).
    fn client(&mut self) -> Option<&mut ipvs::Client> {
        None
    }
}

impl<T: Sink + ?Sized> Sink for Box<T> {
    fn read(&mut self) -> Result<Vec<(ipvs::ServiceEntry, Vec<ipvs::DestEntry>)>, ipvs::Error> {
        (**self).read()
    }

    fn apply(&mut self, ops: &[Op]) -> Vec<Result<(), ipvs::Error>> {
        (**self).apply(ops)
    }

    fn flush(&mut self) -> Result<(), ipvs::Error> {
        (**self).flush()
    }

    fn is_kernel(&self) -> bool {
        (**self).is_kernel()
    }

    fn client(&mut self) -> Option<&mut ipvs::Client> {
        (**self).client()
    }
}

/// The kernel's IPVS.
pub struct Kernel(pub ipvs::Client);

impl Sink for Kernel {
    fn read(&mut self) -> Result<Vec<(ipvs::ServiceEntry, Vec<ipvs::DestEntry>)>, ipvs::Error> {
        let services = self.0.services()?;
        let mut out = Vec::with_capacity(services.len());
        for s in services {
            let dests = self.0.dests(&s.service.key)?;
            out.push((s, dests));
        }
        Ok(out)
    }

    fn apply(&mut self, ops: &[Op]) -> Vec<Result<(), ipvs::Error>> {
        self.0.apply(ops)
    }

    fn flush(&mut self) -> Result<(), ipvs::Error> {
        self.0.flush()
    }

    fn client(&mut self) -> Option<&mut ipvs::Client> {
        Some(&mut self.0)
    }

    fn is_kernel(&self) -> bool {
        true
    }
}

/// No IPVS here: every change is logged as the step IPVS would be given.
pub struct LogOnly;

impl Sink for LogOnly {
    fn read(&mut self) -> Result<Vec<(ipvs::ServiceEntry, Vec<ipvs::DestEntry>)>, ipvs::Error> {
        Ok(Vec::new())
    }

    fn apply(&mut self, ops: &[Op]) -> Vec<Result<(), ipvs::Error>> {
        for op in ops {
            tracing::info!(target: super::LOG_TARGET, "LVS table (no IPVS): {}", op_line(op));
        }
        ops.iter().map(|_| Ok(())).collect()
    }

    fn flush(&mut self) -> Result<(), ipvs::Error> {
        tracing::info!(target: super::LOG_TARGET, "LVS table (no IPVS): flushing");
        Ok(())
    }

    fn is_kernel(&self) -> bool {
        false
    }
}

/// The kernel's table of services as a [`KTable`] (counters dropped, HASHED already masked by
/// the client).
pub fn ktable_of(entries: &[(ipvs::ServiceEntry, Vec<ipvs::DestEntry>)]) -> KTable {
    entries
        .iter()
        .map(|(s, ds)| {
            (
                s.service.key,
                KService {
                    service: s.service.clone(),
                    dests: ds.iter().map(|d| (d.dest.addr, d.dest)).collect(),
                },
            )
        })
        .collect()
}

fn protocol(p: CProtocol) -> ipvs::Protocol {
    match p {
        CProtocol::Tcp => ipvs::Protocol::Tcp,
        CProtocol::Udp => ipvs::Protocol::Udp,
        CProtocol::Sctp => ipvs::Protocol::Sctp,
    }
}

/// A computed service's identity in the kernel's terms.
pub fn key_of(k: &CKey) -> ServiceKey {
    match k {
        CKey::Addr { protocol: p, addr } => ServiceKey::Addr {
            protocol: protocol(*p),
            addr: *addr,
        },
        CKey::Fwmark { mark, ipv6 } => ServiceKey::Fwmark {
            family: if *ipv6 {
                ipvs::Family::V6
            } else {
                ipvs::Family::V4
            },
            mark: *mark,
        },
    }
}

/// keepalived's `ipvs_set_srule`: flags from the configuration, PERSISTENT with a timeout, the
/// granularity as the netmask only with a timeout.
fn service_of(key: ServiceKey, s: &CService) -> ipvs::Service {
    let mut out = ipvs::Service::new(key, s.scheduler.clone());
    let f = s.sched_flags;
    for (on, bit) in [
        (f.one_packet, svc_flags::ONEPACKET),
        (f.sched1, svc_flags::SCHED1),
        (f.sched2, svc_flags::SCHED2),
        (f.sched3, svc_flags::SCHED3),
    ] {
        if on {
            out.flags |= bit;
        }
    }
    if let Some(t) = s.persistence_timeout {
        out.flags |= svc_flags::PERSISTENT;
        out.timeout = t;
        match (s.persistence_granularity, key.family()) {
            (Some(Granularity::V4(m)), ipvs::Family::V4) => out.netmask = u32::from(m),
            (Some(Granularity::V6(p)), ipvs::Family::V6) => {
                out.netmask = u32::from(p.clamp(1, 128));
            }
            _ => {}
        }
        out.pe_name = s.persistence_engine.clone();
    }
    out
}

fn dest_of(addr: SocketAddr, d: &CDest) -> ipvs::Dest {
    let (forward, tunnel) = match d.forwarding {
        Forwarding::Nat => (ipvs::Forward::Masq, ipvs::Tunnel::default()),
        Forwarding::Dr => (ipvs::Forward::Route, ipvs::Tunnel::default()),
        Forwarding::Tun(t) => (
            ipvs::Forward::Tunnel,
            ipvs::Tunnel {
                kind: match t.kind {
                    TunnelKind::Ipip => ipvs::TunnelKind::Ipip,
                    TunnelKind::Gue => ipvs::TunnelKind::Gue,
                    TunnelKind::Gre => ipvs::TunnelKind::Gre,
                },
                port: if t.kind == TunnelKind::Gue { t.port } else { 0 },
                flags: match (t.kind, t.checksum) {
                    (TunnelKind::Ipip, _) | (_, TunnelChecksum::NoCsum) => ipvs::tun_flags::NOCSUM,
                    (_, TunnelChecksum::Csum) => ipvs::tun_flags::CSUM,
                    (_, TunnelChecksum::RemCsum) => ipvs::tun_flags::REMCSUM,
                },
            },
        ),
    };
    ipvs::Dest {
        addr,
        forward,
        weight: d.weight.min(i32::MAX as u32),
        u_threshold: d.uthreshold.unwrap_or(0),
        l_threshold: d.lthreshold.unwrap_or(0),
        tunnel,
    }
}

/// The computed table in the kernel's terms (keepalived's `ipvs_cmd` port rules: a fwmark
/// service's destinations carry port 0 unless NAT).
pub fn to_kernel(t: &Table) -> KTable {
    let mut out = KTable::new();
    for (k, s) in &t.services {
        let key = key_of(k);
        let dests = s
            .dests
            .iter()
            .map(|(a, d)| {
                let mut addr = *a;
                if matches!(key, ServiceKey::Fwmark { .. }) && d.forwarding != Forwarding::Nat {
                    addr.set_port(0);
                }
                (addr, dest_of(addr, d))
            })
            .collect();
        out.insert(
            key,
            KService {
                service: service_of(key, s),
                dests,
            },
        );
    }
    out
}

/// Whether the kernel's service is the one we want.
fn same_service(kernel: &ipvs::Service, want: &ipvs::Service) -> bool {
    kernel.scheduler == want.scheduler
        && kernel.flags & !svc_flags::HASHED == want.flags
        && kernel.timeout == want.timeout
        && kernel.netmask == want.netmask
        && kernel.pe_name == want.pe_name
}

/// Whether the kernel's destination is the one we want. The kernel turns any method into
/// LOCALNODE for an address of this host (a sorry server on 127.0.0.1, say).
fn same_dest(kernel: &ipvs::Dest, want: &ipvs::Dest) -> bool {
    let forward = kernel.forward == want.forward || kernel.forward == ipvs::Forward::Local;
    let tunnel = want.forward != ipvs::Forward::Tunnel || kernel.tunnel == want.tunnel;
    forward
        && tunnel
        && kernel.weight == want.weight
        && kernel.u_threshold == want.u_threshold
        && kernel.l_threshold == want.l_threshold
}

/// The steps from `from` to `to`, both tables of ours: services added, then edited, then
/// destinations removed, added and changed, then services removed (each step valid on its own).
pub fn diff(from: &KTable, to: &KTable) -> Vec<Op> {
    let mut out = Vec::new();
    for (k, s) in to {
        diff_service(from.get(k), *k, s, &mut out);
    }
    for k in from.keys() {
        if !to.contains_key(k) {
            out.push(Op::DelService(*k));
        }
    }
    out
}

/// The steps that turn one service of ours (`old`, absent when new) into `new`.
fn diff_service(old: Option<&KService>, k: ServiceKey, new: &KService, out: &mut Vec<Op>) {
    match old {
        None => {
            out.push(Op::AddService(new.service.clone()));
            out.extend(new.dests.values().map(|d| Op::AddDest(k, *d)));
        }
        Some(old) => {
            if old.service != new.service {
                out.push(Op::EditService(new.service.clone()));
            }
            for a in old.dests.keys() {
                if !new.dests.contains_key(a) {
                    out.push(Op::DelDest(k, *a));
                }
            }
            for (a, d) in &new.dests {
                match old.dests.get(a) {
                    None => out.push(Op::AddDest(k, *d)),
                    Some(o) if o != d => out.push(Op::EditDest(k, *d)),
                    Some(_) => {}
                }
            }
        }
    }
}

/// The steps that make the kernel's table hold `want`: what `want` names is added or corrected;
/// what the kernel has beyond it is removed only if `ours` says we put it there.
pub fn reconcile(kernel: &KTable, want: &KTable, ours: &Owned) -> Vec<Op> {
    let mut out = Vec::new();
    for (k, s) in want {
        match kernel.get(k) {
            None => {
                out.push(Op::AddService(s.service.clone()));
                out.extend(s.dests.values().map(|d| Op::AddDest(*k, *d)));
            }
            Some(have) => {
                if !same_service(&have.service, &s.service) {
                    out.push(Op::EditService(s.service.clone()));
                }
                for a in have.dests.keys() {
                    if !s.dests.contains_key(a) && ours.contains(&(*k, Some(*a))) {
                        out.push(Op::DelDest(*k, *a));
                    }
                }
                for (a, d) in &s.dests {
                    match have.dests.get(a) {
                        None => out.push(Op::AddDest(*k, *d)),
                        Some(o) if !same_dest(o, d) => out.push(Op::EditDest(*k, *d)),
                        Some(_) => {}
                    }
                }
            }
        }
    }
    for k in kernel.keys() {
        if !want.contains_key(k) && ours.contains(&(*k, None)) {
            out.push(Op::DelService(*k));
        }
    }
    out
}

/// Whether an error says the kernel's table is not what we thought (someone else changed it).
fn is_drift(op: &Op, e: &ipvs::Error) -> bool {
    match op {
        Op::AddService(_) => e.is_exists(),
        Op::AddDest(..) => e.is_exists() || e.is_no_service(),
        Op::EditService(_) | Op::DelService(_) => e.is_no_service(),
        Op::EditDest(..) | Op::DelDest(..) => e.is_no_service() || e.is_no_dest(),
    }
}

/// How the table is left at stop (`lvs_flush_on_stop`, `-I`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Release {
    /// Remove our services (default; `lvs_flush_on_stop VS`).
    Ours,
    /// `lvs_flush_on_stop`: flush the whole table.
    Flush,
    /// `-I/--dont-release-ipvs`: leave everything.
    Keep,
}

/// What an apply did, for logs, tests and benchmarks.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Outcome {
    /// Ops sent (both passes).
    pub sent: usize,
    /// Failures that remained, as log lines.
    pub errors: Vec<String>,
    /// Whether the kernel was read again after a drift.
    pub resynced: bool,
}

/// Keeps the kernel's table equal to the computed one, through a [`Sink`].
pub struct Applier<S: Sink> {
    pub sink: S,
    /// What we believe the kernel holds of ours.
    applied: KTable,
    /// Where the ownership record lives (none in tests or without IPVS).
    record: Option<PathBuf>,
    /// What the record says: everything this run has programmed (it only grows until the
    /// release, so a real server going down and up rewrites nothing).
    recorded: Owned,
}

impl<S: Sink> Applier<S> {
    pub fn new(sink: S, record: Option<PathBuf>) -> Self {
        Applier {
            sink,
            applied: KTable::new(),
            record,
            recorded: Owned::new(),
        }
    }

    /// What we believe the kernel holds of ours.
    pub fn applied(&self) -> &KTable {
        &self.applied
    }

    /// Start (and `lvs_flush` already done by the caller): read the kernel, reconcile with
    /// `want`, remembering what the ownership record says a crashed run of ours left.
    pub fn start(&mut self, want: KTable) -> Outcome {
        let left = self.record.as_deref().map(read_record).unwrap_or_default();
        let mut read_error = None;
        let kernel = match self.sink.read() {
            Ok(k) => ktable_of(&k),
            Err(e) => {
                read_error = Some(format!("reading the IPVS table: {e}"));
                KTable::new()
            }
        };
        let ops = reconcile(&kernel, &want, &left);
        let mut outcome = run(&mut self.sink, &ops, &want, &left);
        outcome.errors.extend(read_error);
        self.recorded.clear();
        self.record_new(owned_of(&want));
        self.applied = want;
        outcome
    }

    /// The whole computed table changed (a reload): apply only the difference.
    pub fn update(&mut self, want: KTable) -> Outcome {
        let ops = diff(&self.applied, &want);
        if ops.is_empty() {
            return Outcome::default();
        }
        let ours = owned_of(&self.applied);
        let outcome = run(&mut self.sink, &ops, &want, &ours);
        self.record_new(owned_of(&want));
        self.applied = want;
        outcome
    }

    /// Some services changed (a real server's state, a weight): only they are looked at, so a
    /// change costs its own services, whatever the table's size.
    pub fn update_services(&mut self, part: KTable) -> Outcome {
        let mut ops = Vec::new();
        for (k, s) in &part {
            diff_service(self.applied.get(k), *k, s, &mut ops);
        }
        if ops.is_empty() {
            return Outcome::default();
        }
        let fresh: Owned = part
            .iter()
            .flat_map(|(k, s)| {
                std::iter::once((*k, None)).chain(s.dests.keys().map(|a| (*k, Some(*a))))
            })
            .filter(|o| !self.recorded.contains(o))
            .collect();
        let results = self.sink.apply(&ops);
        self.applied.extend(part);
        let outcome = settle(&mut self.sink, &ops, results, &self.applied, &self.recorded);
        if !fresh.is_empty() {
            self.record_new(fresh);
        }
        outcome
    }

    /// Stop: leave the table as `release` says.
    pub fn release(&mut self, release: Release) -> Outcome {
        let outcome = match release {
            Release::Keep => Outcome::default(),
            Release::Flush => Outcome {
                sent: 1,
                errors: self
                    .sink
                    .flush()
                    .err()
                    .map(|e| e.to_string())
                    .into_iter()
                    .collect(),
                resynced: false,
            },
            Release::Ours => {
                let ops: Vec<Op> = self.applied.keys().map(|k| Op::DelService(*k)).collect();
                let mut o = Outcome {
                    sent: ops.len(),
                    ..Outcome::default()
                };
                for (op, r) in ops.iter().zip(self.sink.apply(&ops)) {
                    if let Err(e) = r
                        && !is_drift(op, &e)
                    {
                        o.errors.push(e.to_string());
                    }
                }
                o
            }
        };
        if release != Release::Keep {
            self.applied.clear();
            self.recorded.clear();
            self.write_record();
        }
        outcome
    }

    /// Adds to the ownership record what it lacks, and writes it when anything was new.
    fn record_new(&mut self, owned: Owned) {
        let before = self.recorded.len();
        self.recorded.extend(owned);
        if self.recorded.len() != before {
            self.write_record();
        }
    }

    fn write_record(&self) {
        let Some(path) = &self.record else { return };
        if let Err(e) = write_record(path, &self.recorded) {
            tracing::warn!(
                target: super::LOG_TARGET,
                "IPVS ownership record {}: {e}; a crash now could leave our entries behind",
                path.display()
            );
        }
    }
}

/// Applies `ops`; on drift, reads the kernel once and reconciles with `want`.
fn run<S: Sink>(sink: &mut S, ops: &[Op], want: &KTable, ours: &Owned) -> Outcome {
    let results = sink.apply(ops);
    settle(sink, ops, results, want, ours)
}

/// Counts the results of `ops`; if the kernel refused some as out of date (someone else changed
/// the table), reads it once and reconciles with `want`, taking `ours` and `want` as ours.
fn settle<S: Sink>(
    sink: &mut S,
    ops: &[Op],
    results: Vec<Result<(), ipvs::Error>>,
    want: &KTable,
    ours: &Owned,
) -> Outcome {
    let mut outcome = Outcome {
        sent: ops.len(),
        ..Outcome::default()
    };
    let mut drift = false;
    for (op, r) in ops.iter().zip(results) {
        if let Err(e) = r {
            if is_drift(op, &e) {
                drift = true;
            } else {
                outcome.errors.push(e.to_string());
            }
        }
    }
    if !drift {
        return outcome;
    }
    outcome.resynced = true;
    let kernel = match sink.read() {
        Ok(k) => ktable_of(&k),
        Err(e) => {
            outcome.errors.push(format!(
                "reading the IPVS table after a change it refused: {e}"
            ));
            return outcome;
        }
    };
    let mut mine = ours.clone();
    mine.extend(owned_of(want));
    let again = reconcile(&kernel, want, &mine);
    outcome.sent += again.len();
    for (op, r) in again.iter().zip(sink.apply(&again)) {
        if let Err(e) = r {
            outcome.errors.push(format!("{} ({e})", op_line(op)));
        }
    }
    outcome
}

/// The ownership record's path for this network namespace (IPVS tables are per namespace):
/// `/run/keepalived-rs/ipvs-<namespace inode>`.
pub fn record_path() -> Option<PathBuf> {
    let ns = std::fs::read_link("/proc/self/ns/net").ok()?;
    let ns = ns.to_string_lossy();
    let inode = ns.strip_prefix("net:[")?.strip_suffix(']')?;
    Some(PathBuf::from(format!("/run/keepalived-rs/ipvs-{inode}")))
}

/// The boot the record was written in: a record from another boot names nothing in this
/// kernel's table.
fn boot_id() -> String {
    std::fs::read_to_string("/proc/sys/kernel/random/boot_id")
        .map(|s| s.trim().to_string())
        .unwrap_or_default()
}

fn key_text(k: &ServiceKey) -> String {
    match k {
        ServiceKey::Addr { protocol, addr } => format!("{} {addr}", protocol.name()),
        ServiceKey::Fwmark { family, mark } => format!(
            "FWM{} {mark}",
            if *family == ipvs::Family::V6 {
                "6"
            } else {
                "4"
            }
        ),
    }
}

fn parse_key(proto: &str, arg: &str) -> Option<ServiceKey> {
    let protocol = match proto {
        "TCP" => ipvs::Protocol::Tcp,
        "UDP" => ipvs::Protocol::Udp,
        "SCTP" => ipvs::Protocol::Sctp,
        "FWM4" | "FWM6" => {
            return Some(ServiceKey::Fwmark {
                family: if proto == "FWM6" {
                    ipvs::Family::V6
                } else {
                    ipvs::Family::V4
                },
                mark: arg.parse().ok()?,
            });
        }
        _ => return None,
    };
    Some(ServiceKey::Addr {
        protocol,
        addr: arg.parse().ok()?,
    })
}

/// The record's text: the boot id, then `S <key>` and `D <key> <addr>` lines.
fn record_text(owned: &Owned) -> String {
    let mut s = format!("boot {}\n", boot_id());
    for (k, d) in owned {
        match d {
            None => {
                let _ = writeln!(s, "S {}", key_text(k));
            }
            Some(a) => {
                let _ = writeln!(s, "D {} {a}", key_text(k));
            }
        }
    }
    s
}

fn parse_record(text: &str, boot: &str) -> Owned {
    let mut lines = text.lines();
    if lines.next() != Some(&format!("boot {boot}")) {
        return Owned::new();
    }
    let mut out = Owned::new();
    for l in lines {
        let w: Vec<&str> = l.split(' ').collect();
        match w.as_slice() {
            ["S", p, a] => {
                if let Some(k) = parse_key(p, a) {
                    out.insert((k, None));
                }
            }
            ["D", p, a, d] => {
                if let (Some(k), Ok(d)) = (parse_key(p, a), d.parse::<SocketAddr>()) {
                    out.insert((k, Some(d)));
                }
            }
            _ => {}
        }
    }
    out
}

/// Reads the record (bounded, not following a symlink); nothing when absent or unreadable.
fn read_record(path: &Path) -> Owned {
    use std::io::Read as _;
    use std::os::unix::fs::OpenOptionsExt;
    let Ok(f) = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .open(path)
    else {
        return Owned::new();
    };
    if !f.metadata().is_ok_and(|m| m.is_file()) {
        return Owned::new();
    }
    let mut text = String::new();
    if f.take(16 << 20).read_to_string(&mut text).is_err() {
        return Owned::new();
    }
    parse_record(&text, &boot_id())
}

/// Writes the record as keepalived writes its files: a temporary file in the same root-owned
/// directory, mode 0600, renamed over the path.
fn write_record(path: &Path, owned: &Owned) -> std::io::Result<()> {
    use std::io::Write as _;
    use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
    let dir = path.parent().unwrap_or(Path::new("/"));
    match std::fs::DirBuilder::new().mode(0o700).create(dir) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
        Err(e) => return Err(e),
    }
    let meta = std::fs::symlink_metadata(dir)?;
    if !meta.is_dir() {
        return Err(std::io::Error::other(format!(
            "{} is not a directory",
            dir.display()
        )));
    }
    let tmp = dir.join(format!(
        ".{}.{}",
        path.file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
        std::process::id()
    ));
    let _ = std::fs::remove_file(&tmp);
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .custom_flags(libc::O_NOFOLLOW)
        .open(&tmp)?;
    f.write_all(record_text(owned).as_bytes())?;
    // No fsync: /run is a tmpfs and the IPVS table does not outlive a reboot either.
    std::fs::rename(&tmp, path)
}

/// The operator's words for one step.
pub fn op_line(op: &Op) -> String {
    match op {
        Op::AddService(s) => format!("adding service {} ({})", s.key, service_words(s)),
        Op::EditService(s) => format!("changing service {} to ({})", s.key, service_words(s)),
        Op::DelService(k) => format!("removing service {k}"),
        Op::AddDest(k, d) => format!(
            "adding real server {} to service {k} ({})",
            d.addr,
            dest_words(d)
        ),
        Op::EditDest(k, d) => format!(
            "changing real server {} of service {k} to ({})",
            d.addr,
            dest_words(d)
        ),
        Op::DelDest(k, a) => format!("removing real server {a} from service {k}"),
    }
}

fn service_words(s: &ipvs::Service) -> String {
    let mut out = s.scheduler.clone();
    if s.flags & svc_flags::PERSISTENT != 0 {
        let _ = write!(out, " persistent {}", s.timeout);
        if s.netmask != ipvs::default_netmask(s.key.family()) {
            match s.key.family() {
                ipvs::Family::V4 => {
                    let _ = write!(out, " mask {}", std::net::Ipv4Addr::from(s.netmask));
                }
                ipvs::Family::V6 => {
                    let _ = write!(out, " mask {}", s.netmask);
                }
            }
        }
        if let Some(pe) = &s.pe_name {
            let _ = write!(out, " pe {pe}");
        }
    }
    let mut flags = Vec::new();
    for (bit, name) in [
        (svc_flags::SCHED1, "flag-1"),
        (svc_flags::SCHED2, "flag-2"),
        (svc_flags::SCHED3, "flag-3"),
    ] {
        if s.flags & bit != 0 {
            flags.push(name);
        }
    }
    if !flags.is_empty() {
        let _ = write!(out, " ({})", flags.join(","));
    }
    if s.flags & svc_flags::ONEPACKET != 0 {
        out.push_str(" ops");
    }
    out
}

pub fn forward_name(f: ipvs::Forward) -> &'static str {
    match f {
        ipvs::Forward::Masq => "Masq",
        ipvs::Forward::Local => "Local",
        ipvs::Forward::Tunnel => "Tunnel",
        ipvs::Forward::Route => "Route",
        ipvs::Forward::Bypass => "Bypass",
    }
}

fn dest_words(d: &ipvs::Dest) -> String {
    let mut out = format!("{} weight {}", forward_name(d.forward), d.weight);
    if d.forward == ipvs::Forward::Tunnel {
        match d.tunnel.kind {
            ipvs::TunnelKind::Ipip => out.push_str(" ipip"),
            ipvs::TunnelKind::Gue => {
                let _ = write!(out, " gue port {}", d.tunnel.port);
            }
            ipvs::TunnelKind::Gre => out.push_str(" gre"),
        }
    }
    if d.u_threshold != 0 {
        let _ = write!(out, " uthreshold {}", d.u_threshold);
    }
    if d.l_threshold != 0 {
        let _ = write!(out, " lthreshold {}", d.l_threshold);
    }
    out
}

/// A kernel's IPVS table in memory with the kernel's answers (EEXIST, ESRCH, ENOENT), recording
/// every op it is given: the applier's tests run against it.
#[derive(Debug, Default)]
pub struct FakeKernel {
    pub table: KTable,
    /// Every op, in order.
    pub log: Vec<Op>,
    pub flushes: usize,
}

impl FakeKernel {
    fn err(cmd: &'static str, errno: i32) -> ipvs::Error {
        ipvs::Error::new(cmd, "", ipvs::ErrorKind::Kernel(errno))
    }

    fn one(&mut self, op: &Op) -> Result<(), ipvs::Error> {
        match op {
            Op::AddService(s) => {
                if self.table.contains_key(&s.key) {
                    return Err(Self::err("NEW_SERVICE", libc::EEXIST));
                }
                self.table.insert(
                    s.key,
                    KService {
                        service: s.clone(),
                        dests: BTreeMap::new(),
                    },
                );
            }
            Op::EditService(s) => match self.table.get_mut(&s.key) {
                Some(have) => have.service = s.clone(),
                None => return Err(Self::err("SET_SERVICE", libc::ESRCH)),
            },
            Op::DelService(k) => {
                if self.table.remove(k).is_none() {
                    return Err(Self::err("DEL_SERVICE", libc::ESRCH));
                }
            }
            Op::AddDest(k, d) => {
                let Some(s) = self.table.get_mut(k) else {
                    return Err(Self::err("NEW_DEST", libc::ESRCH));
                };
                if s.dests.contains_key(&d.addr) {
                    return Err(Self::err("NEW_DEST", libc::EEXIST));
                }
                s.dests.insert(d.addr, *d);
            }
            Op::EditDest(k, d) => {
                let Some(s) = self.table.get_mut(k) else {
                    return Err(Self::err("SET_DEST", libc::ESRCH));
                };
                match s.dests.get_mut(&d.addr) {
                    Some(have) => *have = *d,
                    None => return Err(Self::err("SET_DEST", libc::ENOENT)),
                }
            }
            Op::DelDest(k, a) => {
                let Some(s) = self.table.get_mut(k) else {
                    return Err(Self::err("DEL_DEST", libc::ESRCH));
                };
                if s.dests.remove(a).is_none() {
                    return Err(Self::err("DEL_DEST", libc::ENOENT));
                }
            }
        }
        Ok(())
    }
}

impl Sink for FakeKernel {
    fn read(&mut self) -> Result<Vec<(ipvs::ServiceEntry, Vec<ipvs::DestEntry>)>, ipvs::Error> {
        Ok(self
            .table
            .values()
            .map(|s| {
                let mut service = s.service.clone();
                service.flags |= svc_flags::HASHED;
                (
                    ipvs::ServiceEntry {
                        service,
                        stats: ipvs::Stats::default(),
                    },
                    s.dests
                        .values()
                        .map(|d| ipvs::DestEntry {
                            dest: *d,
                            active_conns: 0,
                            inact_conns: 0,
                            persist_conns: 0,
                            stats: ipvs::Stats::default(),
                        })
                        .collect(),
                )
            })
            .collect())
    }

    fn apply(&mut self, ops: &[Op]) -> Vec<Result<(), ipvs::Error>> {
        ops.iter()
            .map(|op| {
                self.log.push(op.clone());
                self.one(op)
            })
            .collect()
    }

    fn flush(&mut self) -> Result<(), ipvs::Error> {
        self.flushes += 1;
        self.table.clear();
        Ok(())
    }

    fn is_kernel(&self) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use keepalived_check::{Dest as CD, Forwarding, SchedFlags, Service as CS, Tunnel};

    fn key(port: u16) -> CKey {
        CKey::Addr {
            protocol: CProtocol::Tcp,
            addr: format!("10.0.0.1:{port}").parse().unwrap(),
        }
    }

    fn table(services: &[(u16, &[(&str, u32)])]) -> Table {
        let mut t = Table::default();
        for (port, dests) in services {
            t.services.insert(
                key(*port),
                CS {
                    scheduler: "rr".into(),
                    sched_flags: SchedFlags::default(),
                    persistence_timeout: None,
                    persistence_granularity: None,
                    persistence_engine: None,
                    dests: dests
                        .iter()
                        .map(|(a, w)| {
                            (
                                a.parse().unwrap(),
                                CD {
                                    weight: *w,
                                    forwarding: Forwarding::Dr,
                                    uthreshold: None,
                                    lthreshold: None,
                                },
                            )
                        })
                        .collect(),
                },
            );
        }
        t
    }

    fn applier(kernel: FakeKernel) -> Applier<FakeKernel> {
        Applier::new(kernel, None)
    }

    #[test]
    fn start_on_an_empty_kernel_adds_everything_once() {
        let mut a = applier(FakeKernel::default());
        let want = to_kernel(&table(&[(80, &[("10.0.1.1:80", 1), ("10.0.1.2:80", 2)])]));
        let out = a.start(want.clone());
        assert_eq!(out.sent, 3);
        assert!(out.errors.is_empty() && !out.resynced);
        assert_eq!(a.sink.table, want);
    }

    #[test]
    fn a_real_server_change_touches_only_its_destination() {
        let mut a = applier(FakeKernel::default());
        let mut t = table(&[
            (80, &[("10.0.1.1:80", 1), ("10.0.1.2:80", 1)]),
            (81, &[("10.0.1.1:81", 1)]),
        ]);
        a.start(to_kernel(&t));
        a.sink.log.clear();
        // down: removed
        t.services
            .get_mut(&key(80))
            .unwrap()
            .dests
            .remove(&"10.0.1.2:80".parse().unwrap());
        a.update(to_kernel(&t));
        let k = key_of(&key(80));
        assert_eq!(
            a.sink.log,
            vec![Op::DelDest(k, "10.0.1.2:80".parse().unwrap())]
        );
        // weight change: one edit
        a.sink.log.clear();
        t.services
            .get_mut(&key(80))
            .unwrap()
            .dests
            .values_mut()
            .for_each(|d| d.weight = 5);
        a.update(to_kernel(&t));
        assert_eq!(a.sink.log.len(), 1);
        assert!(matches!(a.sink.log[0], Op::EditDest(_, d) if d.weight == 5));
        // nothing changed: nothing sent
        a.sink.log.clear();
        a.update(to_kernel(&t));
        assert!(a.sink.log.is_empty());
    }

    #[test]
    fn a_changed_service_alone_is_diffed_and_the_record_is_not_rewritten() {
        let dir = tempfile::tempdir().unwrap();
        let record = dir.path().join("ipvs-1");
        let mut a = Applier::new(FakeKernel::default(), Some(record.clone()));
        let t = table(&[
            (80, &[("10.0.1.1:80", 1), ("10.0.1.2:80", 1)]),
            (81, &[("10.0.1.1:81", 1)]),
        ]);
        a.start(to_kernel(&t));
        let written = std::fs::metadata(&record).unwrap().modified().unwrap();
        a.sink.log.clear();
        // 10.0.1.2 goes down: only service 80 is given, and only its destination moves.
        let mut part = table(&[(80, &[("10.0.1.1:80", 1)])]);
        let out = a.update_services(to_kernel(&part));
        let k = key_of(&key(80));
        assert_eq!(
            a.sink.log,
            vec![Op::DelDest(k, "10.0.1.2:80".parse().unwrap())]
        );
        assert_eq!(out.sent, 1);
        // and up again: one add; the record already names it
        part = table(&[(80, &[("10.0.1.1:80", 1), ("10.0.1.2:80", 1)])]);
        a.update_services(to_kernel(&part));
        assert_eq!(a.sink.table, to_kernel(&t));
        assert_eq!(
            std::fs::metadata(&record).unwrap().modified().unwrap(),
            written,
            "a server going down and up rewrites no record"
        );
        // a destination never seen before is recorded
        part = table(&[(
            80,
            &[("10.0.1.1:80", 1), ("10.0.1.2:80", 1), ("10.0.1.3:80", 1)],
        )]);
        a.update_services(to_kernel(&part));
        let text = std::fs::read_to_string(&record).unwrap();
        assert!(text.contains("D TCP 10.0.0.1:80 10.0.1.3:80"), "{text}");
    }

    #[test]
    fn start_takes_over_what_the_configuration_names_and_leaves_the_rest() {
        // The kernel has: our service with a wrong scheduler, a wrong weight and a destination an
        // operator added; and someone else's service.
        let mut kernel = FakeKernel::default();
        let want = to_kernel(&table(&[(80, &[("10.0.1.1:80", 3)])]));
        let mut have = want.clone();
        let k80 = key_of(&key(80));
        let s = have.get_mut(&k80).unwrap();
        s.service.scheduler = "wlc".into();
        s.dests.values_mut().for_each(|d| d.weight = 1);
        let foreign_dest: SocketAddr = "10.0.9.9:80".parse().unwrap();
        let mut fd = *s.dests.values().next().unwrap();
        fd.addr = foreign_dest;
        s.dests.insert(foreign_dest, fd);
        let other = to_kernel(&table(&[(443, &[("10.0.2.1:443", 1)])]));
        have.extend(other.clone());
        kernel.table = have;
        let mut a = applier(kernel);
        let out = a.start(want.clone());
        assert!(out.errors.is_empty(), "{out:?}");
        let mut expect = want;
        expect.get_mut(&k80).unwrap().dests.insert(foreign_dest, fd);
        expect.extend(other);
        assert_eq!(
            a.sink.table, expect,
            "foreign entries stay, ours are corrected"
        );
        assert_eq!(
            a.sink.log.len(),
            2,
            "one SET_SERVICE, one SET_DEST: {:?}",
            a.sink.log
        );
    }

    #[test]
    fn ours_differs_start_removes_what_a_crashed_run_of_ours_left() {
        let dir = tempfile::tempdir().unwrap();
        let record = dir.path().join("ipvs-1");
        // A first run programs two services, then "crashes" (no release).
        let old = to_kernel(&table(&[
            (80, &[("10.0.1.1:80", 1), ("10.0.1.2:80", 1)]),
            (81, &[("10.0.1.1:81", 1)]),
        ]));
        let mut first = Applier::new(FakeKernel::default(), Some(record.clone()));
        first.start(old);
        let mut kernel = std::mem::take(&mut first.sink);
        kernel.log.clear();
        // Someone else's service appears meanwhile.
        let other = to_kernel(&table(&[(443, &[("10.0.2.1:443", 1)])]));
        kernel.table.extend(other.clone());
        // The next run's configuration has only port 80 with one real server.
        let want = to_kernel(&table(&[(80, &[("10.0.1.1:80", 1)])]));
        let mut second = Applier::new(kernel, Some(record));
        second.start(want.clone());
        let mut expect = want;
        expect.extend(other);
        assert_eq!(second.sink.table, expect);
        let k80 = key_of(&key(80));
        let k81 = key_of(&key(81));
        assert_eq!(
            second.sink.log,
            vec![
                Op::DelDest(k80, "10.0.1.2:80".parse().unwrap()),
                Op::DelService(k81)
            ]
        );
    }

    #[test]
    fn drift_is_read_back_and_corrected_once() {
        let mut a = applier(FakeKernel::default());
        let mut t = table(&[(80, &[("10.0.1.1:80", 1)])]);
        a.start(to_kernel(&t));
        // An operator deletes the service behind our back; then a real server comes up.
        a.sink.table.clear();
        t.services.get_mut(&key(80)).unwrap().dests.insert(
            "10.0.1.2:80".parse().unwrap(),
            CD {
                weight: 1,
                forwarding: Forwarding::Dr,
                uthreshold: None,
                lthreshold: None,
            },
        );
        let want = to_kernel(&t);
        let out = a.update(want.clone());
        assert!(out.resynced);
        assert!(out.errors.is_empty(), "{out:?}");
        assert_eq!(a.sink.table, want);
    }

    #[test]
    fn release_removes_ours_flushes_or_keeps() {
        for (release, left) in [(Release::Ours, 1), (Release::Flush, 0), (Release::Keep, 2)] {
            let kernel = FakeKernel {
                table: to_kernel(&table(&[(443, &[("10.0.2.1:443", 1)])])),
                ..FakeKernel::default()
            };
            let mut a = applier(kernel);
            a.start(to_kernel(&table(&[(80, &[("10.0.1.1:80", 1)])])));
            let out = a.release(release);
            assert!(out.errors.is_empty());
            assert_eq!(a.sink.table.len(), left, "{release:?}");
        }
    }

    #[test]
    fn kernel_attributes_follow_keepalived() {
        let mut t = table(&[(80, &[("10.0.1.1:80", 1)])]);
        let s = t.services.get_mut(&key(80)).unwrap();
        s.persistence_timeout = Some(50);
        s.persistence_granularity = Some(Granularity::V4("255.255.255.0".parse().unwrap()));
        s.persistence_engine = Some("sip".into());
        s.sched_flags.sched1 = true;
        s.dests.values_mut().for_each(|d| {
            d.forwarding = Forwarding::Tun(Tunnel {
                kind: TunnelKind::Gue,
                port: 6080,
                checksum: TunnelChecksum::RemCsum,
            })
        });
        let k = to_kernel(&t);
        let s = &k[&key_of(&key(80))];
        assert_eq!(s.service.flags, svc_flags::PERSISTENT | svc_flags::SCHED1);
        assert_eq!((s.service.timeout, s.service.netmask), (50, 0xffff_ff00));
        assert_eq!(s.service.pe_name.as_deref(), Some("sip"));
        let d = s.dests.values().next().unwrap();
        assert_eq!(d.forward, ipvs::Forward::Tunnel);
        assert_eq!(
            d.tunnel,
            ipvs::Tunnel {
                kind: ipvs::TunnelKind::Gue,
                port: 6080,
                flags: ipvs::tun_flags::REMCSUM
            }
        );
        // A fwmark service's DR destinations carry port 0.
        let mut f = Table::default();
        let mut svc = t.services.values().next().unwrap().clone();
        svc.dests
            .values_mut()
            .for_each(|d| d.forwarding = Forwarding::Dr);
        f.services.insert(
            CKey::Fwmark {
                mark: 5,
                ipv6: true,
            },
            svc,
        );
        let k = to_kernel(&f);
        let (key, s) = k.iter().next().unwrap();
        assert_eq!(key.family(), ipvs::Family::V6);
        assert_eq!(s.service.netmask, 128, "no IPv4 mask on an IPv6 service");
        assert!(s.dests.keys().all(|a| a.port() == 0));
    }

    #[test]
    fn a_record_reads_back_and_another_boots_is_ignored() {
        let mut t = KTable::new();
        t.extend(to_kernel(&table(&[(80, &[("10.0.1.1:80", 1)])])));
        let mut f = Table::default();
        f.services.insert(
            CKey::Fwmark {
                mark: 7,
                ipv6: true,
            },
            table(&[(80, &[("[2001:db8::1]:0", 1)])])
                .services
                .into_values()
                .next()
                .unwrap(),
        );
        t.extend(to_kernel(&f));
        let owned = owned_of(&t);
        let text = record_text(&owned);
        assert_eq!(parse_record(&text, &boot_id()), owned);
        assert!(parse_record(&text, "another-boot").is_empty());
    }
}
