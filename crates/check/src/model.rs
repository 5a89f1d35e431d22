//! The LVS model: which real servers are alive, the quorum and sorry server of each virtual
//! server, the notify actions each change brings, and the IPVS table that should exist. Pure.

use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};

use crate::accounting::Transition;
use crate::config::{
    CheckerKind, Forwarding, Granularity, GroupEntry, MAX_WEIGHT, Protocol, SchedFlags, Script,
    Trio, VirtualServerConfig, VsIdent, format_vs,
};
use crate::probe::DynamicWeight;

/// Which checker: indices into the virtual servers, their real servers and their checkers, in
/// configuration order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CheckerId {
    pub vs: usize,
    pub rs: usize,
    pub checker: usize,
}

/// An SMTP alert to send (the daemon owns the mail transport and the router_id).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmtpAlert {
    /// FMT_VS of the virtual server.
    pub vs: String,
    /// FMT_RS of the real server; `None` for a quorum alert.
    pub rs: Option<String>,
    /// "UP" or "DOWN".
    pub state: &'static str,
    /// keepalived's body line, e.g. `=> TCP CHECK succeed on service <=`.
    pub message: String,
}

impl SmtpAlert {
    /// keepalived's subject line.
    pub fn subject(&self, router_id: &str) -> String {
        match &self.rs {
            Some(rs) => format!(
                "[{router_id}] Realserver {rs} of virtual server {} - {}",
                self.vs, self.state
            ),
            None => format!("[{router_id}] Virtualserver {} - {}", self.vs, self.state),
        }
    }
}

/// Something the daemon must do because the model changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// An info line for the log, worded as keepalived's.
    Log(String),
    /// Run a notify script (`notify_up`, `notify_down`, `quorum_up`, `quorum_down`).
    RunScript(Script),
    /// A line for `notify_fifo` and `lvs_notify_fifo`, newline included.
    Fifo(String),
    SmtpAlert(SmtpAlert),
}

/// Model-wide options from global_defs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ModelOptions {
    /// `rs_init_notifies`: announce real servers alive at start.
    pub rs_init_notifies: bool,
    /// `smtp_alert` / `smtp_alert_checker` default for real and virtual servers.
    pub smtp_alert_default: bool,
    /// `no_checker_emails`: mail only when a real server's state changes.
    pub no_checker_emails: bool,
}

/// An IPVS service in the table.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ServiceKey {
    Addr {
        protocol: Protocol,
        addr: SocketAddr,
    },
    Fwmark {
        mark: u32,
        ipv6: bool,
    },
}

/// A destination of a service.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dest {
    pub weight: u32,
    pub forwarding: Forwarding,
    pub uthreshold: Option<u32>,
    pub lthreshold: Option<u32>,
}

/// A service with its scheduling parameters and destinations: everything IPVS is given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Service {
    pub scheduler: String,
    pub sched_flags: SchedFlags,
    pub persistence_timeout: Option<u32>,
    /// Applied with a persistence timeout only; never to the services of a group's entries
    /// (keepalived programs those with the full netmask).
    pub persistence_granularity: Option<Granularity>,
    pub persistence_engine: Option<String>,
    pub dests: BTreeMap<SocketAddr, Dest>,
}

impl Service {
    /// Whether the service itself (not its destinations) differs.
    pub fn same_params(&self, other: &Service) -> bool {
        self.scheduler == other.scheduler
            && self.sched_flags == other.sched_flags
            && self.persistence_timeout == other.persistence_timeout
            && self.persistence_granularity == other.persistence_granularity
            && self.persistence_engine == other.persistence_engine
    }
}

/// The whole IPVS table that should exist.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Table {
    pub services: BTreeMap<ServiceKey, Service>,
}

/// One step to turn a table into another.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TableChange {
    AddService(ServiceKey, Service),
    /// Scheduler or persistence changed; destinations follow separately.
    EditService(ServiceKey, Service),
    DelService(ServiceKey),
    AddDest(ServiceKey, SocketAddr, Dest),
    EditDest(ServiceKey, SocketAddr, Dest),
    DelDest(ServiceKey, SocketAddr),
}

impl Table {
    /// The changes that turn `self` into `next`: services added first, destinations removed
    /// before services, so each step is valid on its own.
    pub fn diff(&self, next: &Table) -> Vec<TableChange> {
        let mut out = Vec::new();
        for (key, svc) in &next.services {
            match self.services.get(key) {
                None => {
                    let mut bare = svc.clone();
                    bare.dests.clear();
                    out.push(TableChange::AddService(key.clone(), bare));
                    for (a, d) in &svc.dests {
                        out.push(TableChange::AddDest(key.clone(), *a, *d));
                    }
                }
                Some(old) => {
                    if !old.same_params(svc) {
                        let mut bare = svc.clone();
                        bare.dests.clear();
                        out.push(TableChange::EditService(key.clone(), bare));
                    }
                    for a in old.dests.keys() {
                        if !svc.dests.contains_key(a) {
                            out.push(TableChange::DelDest(key.clone(), *a));
                        }
                    }
                    for (a, d) in &svc.dests {
                        match old.dests.get(a) {
                            None => out.push(TableChange::AddDest(key.clone(), *a, *d)),
                            Some(o) if o != d => {
                                out.push(TableChange::EditDest(key.clone(), *a, *d))
                            }
                            Some(_) => {}
                        }
                    }
                }
            }
        }
        for key in self.services.keys() {
            if !next.services.contains_key(key) {
                out.push(TableChange::DelService(key.clone()));
            }
        }
        out
    }
}

#[derive(Debug, Clone)]
struct RsState {
    alive: bool,
    failed: u32,
    checker_up: Vec<bool>,
    /// misc_dynamic / FILE_CHECK contributions on top of the configured weight.
    checker_delta: Vec<i64>,
    effective_weight: i64,
    inhibit: bool,
    smtp_alert: bool,
    /// State taken over from the model before a reload.
    inherited: bool,
}

#[derive(Debug, Clone)]
struct VsState {
    cfg: VirtualServerConfig,
    quorum_up: bool,
    sorry_alive: bool,
    address_present: bool,
    rss: Vec<RsState>,
}

/// The state of every virtual server; fed checker transitions, it yields actions and a table.
#[derive(Debug, Clone)]
pub struct Model {
    vss: Vec<VsState>,
    opts: ModelOptions,
    changed: Vec<bool>,
}

fn real_weight(w: i64) -> i64 {
    w.clamp(0, MAX_WEIGHT)
}

impl Model {
    /// Build the model in its starting state (alpha checkers count as failed). Call
    /// [`Model::start`] once to get the start-up actions.
    pub fn new(vss: Vec<VirtualServerConfig>, opts: ModelOptions) -> Self {
        let vss: Vec<VsState> = vss
            .into_iter()
            .map(|cfg| {
                let rss = cfg
                    .real_servers
                    .iter()
                    .map(|rs| {
                        let checker_up: Vec<bool> = rs
                            .checkers
                            .iter()
                            .map(|c| !c.common().alpha.or(rs.alpha).unwrap_or(cfg.alpha))
                            .collect();
                        let failed = checker_up.iter().filter(|u| !**u).count() as u32;
                        RsState {
                            alive: failed == 0,
                            failed,
                            checker_delta: vec![0; checker_up.len()],
                            checker_up,
                            effective_weight: rs.weight,
                            inhibit: rs.inhibit_on_failure.unwrap_or(cfg.inhibit_on_failure),
                            smtp_alert: rs.smtp_alert.unwrap_or(opts.smtp_alert_default),
                            inherited: false,
                        }
                    })
                    .collect();
                VsState {
                    cfg,
                    quorum_up: false,
                    sorry_alive: false,
                    address_present: true,
                    rss,
                }
            })
            .collect();
        let changed = vec![true; vss.len()];
        // Every quorum starts down, as keepalived's (its real servers are not alive yet when it
        // sets them): [`Model::start`] gains the quorum of each virtual server whose live real
        // servers weigh enough, with its "Gained quorum" line and VS UP notifies.
        Model { vss, opts, changed }
    }

    /// The configuration the model was built from.
    pub fn virtual_servers(&self) -> impl Iterator<Item = &VirtualServerConfig> {
        self.vss.iter().map(|v| &v.cfg)
    }

    /// Reload: take over the state of real servers that survive from `old` (same virtual
    /// server, same address, same checkers), so a reload neither re-adds failed servers nor
    /// drops healthy ones; new ones start as at boot (alpha aware). Call before [`Model::start`].
    pub fn inherit(&mut self, old: &Model) {
        for vs in &mut self.vss {
            let Some(ovs) = old
                .vss
                .iter()
                .find(|o| o.cfg.ident == vs.cfg.ident && o.cfg.protocol == vs.cfg.protocol)
            else {
                continue;
            };
            for (ri, rs) in vs.cfg.real_servers.iter().enumerate() {
                let Some(oi) = ovs.cfg.real_servers.iter().position(|o| o.addr == rs.addr) else {
                    continue;
                };
                if ovs.cfg.real_servers[oi].checkers != rs.checkers {
                    continue;
                }
                let o = &ovs.rss[oi];
                let st = &mut vs.rss[ri];
                st.checker_up.clone_from(&o.checker_up);
                st.failed = o.failed;
                st.alive = o.alive;
                st.checker_delta.clone_from(&o.checker_delta);
                st.effective_weight = rs.weight + st.checker_delta.iter().sum::<i64>();
                st.inherited = true;
            }
            vs.quorum_up = ovs.quorum_up;
            vs.sorry_alive = ovs.sorry_alive && vs.cfg.sorry_server == ovs.cfg.sorry_server;
            vs.address_present = ovs.address_present;
        }
        for vi in 0..self.changed.len() {
            self.changed[vi] = true;
        }
    }

    /// Before [`Model::start`]: a checker whose state is known from the start (FILE_CHECK reads
    /// its file at load, alpha or not), with its weight contribution; nothing is announced.
    pub fn set_initial(&mut self, id: CheckerId, up: bool, weight: Option<DynamicWeight>) {
        let Some(v) = self.vss.get_mut(id.vs) else {
            return;
        };
        let Some(cfg) = v.cfg.real_servers.get(id.rs) else {
            return;
        };
        let base = cfg.weight;
        let Some(rs) = v.rss.get_mut(id.rs) else {
            return;
        };
        let (Some(u), Some(d)) = (
            rs.checker_up.get_mut(id.checker),
            rs.checker_delta.get_mut(id.checker),
        ) else {
            return;
        };
        *u = up;
        *d = match weight {
            None => 0,
            Some(DynamicWeight::Set(w)) => w - base,
            Some(DynamicWeight::Add(a)) => a,
        };
        rs.failed = rs.checker_up.iter().filter(|u| !**u).count() as u32;
        rs.alive = rs.failed == 0;
        rs.effective_weight = base + rs.checker_delta.iter().sum::<i64>();
    }

    /// Whether a checker's state was taken over by [`Model::inherit`].
    pub fn is_inherited(&self, id: CheckerId) -> bool {
        self.vss
            .get(id.vs)
            .and_then(|v| v.rss.get(id.rs))
            .is_some_and(|r| r.inherited)
    }

    /// Whether a checker is currently counted as up (the scheduler resumes its accounting
    /// from here after a reload).
    pub fn checker_up(&self, id: CheckerId) -> bool {
        self.vss
            .get(id.vs)
            .and_then(|v| v.rss.get(id.rs))
            .and_then(|r| r.checker_up.get(id.checker).copied())
            .unwrap_or(true)
    }

    /// Every checker, for the scheduler.
    pub fn checker_ids(&self) -> Vec<CheckerId> {
        let mut out = Vec::new();
        for (vi, vs) in self.vss.iter().enumerate() {
            for (ri, rs) in vs.cfg.real_servers.iter().enumerate() {
                for ci in 0..rs.checkers.len() {
                    out.push(CheckerId {
                        vs: vi,
                        rs: ri,
                        checker: ci,
                    });
                }
            }
        }
        out
    }

    /// Start-up: activation lines, sorry server when starting without quorum,
    /// and `rs_init_notifies`.
    pub fn start(&mut self) -> Vec<Action> {
        let mut out = Vec::new();
        // keepalived sets up every virtual server (notifies, quorum) before it starts the
        // checkers, which it announces in configuration order.
        for vi in 0..self.vss.len() {
            if self.opts.rs_init_notifies {
                for ri in 0..self.vss[vi].rss.len() {
                    if self.vss[vi].rss[ri].alive {
                        self.rs_notifies(vi, ri, &mut out);
                    }
                }
            }
            self.update_quorum(vi, true, &mut out);
        }
        for vs in &self.vss {
            let vsn = fmt_vs(&vs.cfg);
            // ha_suspend without the address here: the checkers start deactivated.
            let how = if vs.cfg.ha_suspend && !vs.address_present {
                "Dea"
            } else {
                "A"
            };
            // One line per checker that runs on a timer (FILE_CHECK follows its file instead).
            for rs in &vs.cfg.real_servers {
                for c in &rs.checkers {
                    if c.kind() != CheckerKind::File {
                        out.push(Action::Log(format!(
                            "{how}ctivating healthchecker for service {} for VS {vsn}",
                            Trio(rs.addr, vs.cfg.protocol)
                        )));
                    }
                }
            }
        }
        out
    }

    /// Whether checkers of this virtual server should run (`ha_suspend` pauses them while the
    /// virtual address is not on this host).
    pub fn checkers_enabled(&self, vs: usize) -> bool {
        self.vss
            .get(vs)
            .is_none_or(|v| !v.cfg.ha_suspend || v.address_present)
    }

    /// Before [`Model::start`]: whether an `ha_suspend` virtual server's address is on this host
    /// at start (its checkers then start deactivated, as keepalived's start says). Silent.
    pub fn set_address_initial(&mut self, vs: usize, present: bool) {
        if let Some(v) = self.vss.get_mut(vs)
            && v.cfg.ha_suspend
        {
            v.address_present = present;
        }
    }

    /// Tell the model whether a virtual server's address is configured locally: keepalived's
    /// "Activating" / "Suspending" line for each of its checkers (check_api.c).
    pub fn set_address_present(&mut self, vs: usize, present: bool) -> Vec<Action> {
        let mut out = Vec::new();
        if let Some(v) = self.vss.get_mut(vs)
            && v.cfg.ha_suspend
            && v.address_present != present
        {
            v.address_present = present;
            let vsn = fmt_vs(&v.cfg);
            for rs in &v.cfg.real_servers {
                for _ in &rs.checkers {
                    out.push(Action::Log(format!(
                        "{}ing healthchecker for service {} for VS {vsn}",
                        if present { "Activat" } else { "Suspend" },
                        Trio(rs.addr, v.cfg.protocol)
                    )));
                }
            }
        }
        out
    }

    /// Apply a checker's transition (from [`crate::Accounting::on_verdict`]).
    pub fn on_transition(&mut self, id: CheckerId, t: Transition) -> Vec<Action> {
        let mut out = Vec::new();
        let Some(rs) = self.vss.get(id.vs).and_then(|v| v.rss.get(id.rs)) else {
            return out;
        };
        let Some(&was_up) = rs.checker_up.get(id.checker) else {
            return out;
        };
        let kind = self.vss[id.vs].cfg.real_servers[id.rs].checkers[id.checker].kind();
        let rs_was_alive = rs.alive;
        match t {
            Transition::InitialDown => {
                self.rs_notifies(id.vs, id.rs, &mut out);
            }
            Transition::Up if !was_up => {
                if self.vss[id.vs].rss[id.rs].failed <= 1 {
                    self.set_alive(id.vs, id.rs, true, &mut out);
                }
                let rs = &mut self.vss[id.vs].rss[id.rs];
                rs.checker_up[id.checker] = true;
                rs.failed = rs.failed.saturating_sub(1);
                self.checker_mail(id, kind, true, rs_was_alive, &mut out);
            }
            Transition::Down { .. } if was_up => {
                if self.vss[id.vs].rss[id.rs].failed == 0 {
                    self.set_alive(id.vs, id.rs, false, &mut out);
                }
                let rs = &mut self.vss[id.vs].rss[id.rs];
                rs.checker_up[id.checker] = false;
                rs.failed += 1;
                self.checker_mail(id, kind, false, rs_was_alive, &mut out);
            }
            _ => {}
        }
        out
    }

    /// A dynamic checker (misc_dynamic, FILE_CHECK dynamic) reports the weight it wants the
    /// real server to have; `None` withdraws its contribution.
    pub fn on_dynamic_weight(
        &mut self,
        id: CheckerId,
        weight: Option<DynamicWeight>,
    ) -> Vec<Action> {
        let mut out = Vec::new();
        let Some(v) = self.vss.get_mut(id.vs) else {
            return out;
        };
        let Some(rs_cfg) = v.cfg.real_servers.get(id.rs) else {
            return out;
        };
        let base = rs_cfg.weight;
        let addr = rs_cfg.addr;
        let rs = &mut v.rss[id.rs];
        let Some(delta) = rs.checker_delta.get_mut(id.checker) else {
            return out;
        };
        let new_delta = match weight {
            None => 0,
            Some(DynamicWeight::Set(w)) => w - base,
            Some(DynamicWeight::Add(d)) => d,
        };
        if *delta == new_delta {
            return out;
        }
        *delta = new_delta;
        let new_eff = base + rs.checker_delta.iter().sum::<i64>();
        let old = real_weight(rs.effective_weight);
        rs.effective_weight = new_eff;
        self.changed[id.vs] = true;
        if real_weight(new_eff) != old {
            out.push(Action::Log(format!(
                "Changing weight from {old} to {} for {}active service {} of VS {}",
                real_weight(new_eff),
                if rs.alive { "" } else { "in" },
                Trio(addr, v.cfg.protocol),
                fmt_vs(&v.cfg)
            )));
            self.update_quorum(id.vs, false, &mut out);
        }
        out
    }

    /// Shutting down: with `omega`, the down notifiers of every live real server and of each
    /// quorum; without, nothing (as keepalived).
    pub fn shutdown(&mut self) -> Vec<Action> {
        let mut out = Vec::new();
        for vi in 0..self.vss.len() {
            let omega = self.vss[vi].cfg.omega;
            let vsn = fmt_vs(&self.vss[vi].cfg);
            for ri in 0..self.vss[vi].rss.len() {
                let addr = self.vss[vi].cfg.real_servers[ri].addr;
                out.push(Action::Log(format!(
                    "Shutting down service {} from VS {vsn}",
                    Trio(addr, self.vss[vi].cfg.protocol)
                )));
                if self.vss[vi].rss[ri].alive {
                    self.vss[vi].rss[ri].alive = false;
                    if omega {
                        self.rs_notifies(vi, ri, &mut out);
                        if self.vss[vi].rss[ri].smtp_alert {
                            out.push(Action::SmtpAlert(SmtpAlert {
                                vs: vsn.clone(),
                                rs: Some(Trio(addr, self.vss[vi].cfg.protocol).to_string()),
                                state: "DOWN",
                                message: "=> Shutting down <=".into(),
                            }));
                        }
                    }
                }
            }
            if self.vss[vi].quorum_up {
                self.vss[vi].quorum_up = false;
                if omega {
                    self.vs_notifies(vi, true, 0, 0, &mut out);
                }
            }
            self.vss[vi].sorry_alive = false;
            self.changed[vi] = true;
        }
        out
    }

    /// Whether a real server is in service (all its checkers up).
    pub fn is_alive(&self, vs: usize, rs: usize) -> bool {
        self.vss
            .get(vs)
            .and_then(|v| v.rss.get(rs))
            .is_some_and(|r| r.alive)
    }

    /// Whether a virtual server has its quorum.
    pub fn quorum_up(&self, vs: usize) -> bool {
        self.vss.get(vs).is_some_and(|v| v.quorum_up)
    }

    /// The IPVS table the current state calls for.
    pub fn table(&self) -> Table {
        let mut t = Table::default();
        for vi in 0..self.vss.len() {
            t.services.extend(self.services_of(vi));
        }
        t
    }

    /// Virtual servers whose part of the table may have changed since the last call.
    pub fn take_changed(&mut self) -> Vec<usize> {
        let out = self
            .changed
            .iter()
            .enumerate()
            .filter(|(_, c)| **c)
            .map(|(i, _)| i)
            .collect();
        self.changed.iter_mut().for_each(|c| *c = false);
        out
    }

    /// The services one virtual server stands for, with their destinations.
    pub fn services_of(&self, vi: usize) -> Vec<(ServiceKey, Service)> {
        let mut t = Vec::new();
        let Some(vs) = self.vss.get(vi) else {
            return t;
        };
        {
            let cfg = &vs.cfg;
            let mut dests = BTreeMap::new();
            let sorry_in_use = cfg.sorry_server.is_some() && vs.sorry_alive;
            for (rs, st) in cfg.real_servers.iter().zip(&vs.rss) {
                let weight = if st.alive && !sorry_in_use {
                    Some(real_weight(st.effective_weight) as u32)
                } else if st.inhibit {
                    Some(0)
                } else {
                    None
                };
                if let Some(weight) = weight {
                    dests.insert(
                        rs.addr,
                        Dest {
                            weight,
                            forwarding: rs.forwarding.unwrap_or(cfg.forwarding),
                            uthreshold: rs.uthreshold,
                            lthreshold: rs.lthreshold,
                        },
                    );
                }
            }
            if let Some(s) = &cfg.sorry_server {
                let weight = if sorry_in_use {
                    Some(1)
                } else if s.inhibit {
                    Some(0)
                } else {
                    None
                };
                if let Some(weight) = weight {
                    dests.insert(
                        s.addr,
                        Dest {
                            weight,
                            forwarding: s.forwarding.unwrap_or(cfg.forwarding),
                            uthreshold: None,
                            lthreshold: None,
                        },
                    );
                }
            }
            let svc = Service {
                scheduler: cfg.scheduler.clone(),
                sched_flags: cfg.sched_flags,
                persistence_timeout: cfg.persistence_timeout,
                persistence_granularity: cfg.persistence_granularity,
                persistence_engine: cfg.persistence_engine.clone(),
                dests,
            };
            let group = matches!(cfg.ident, VsIdent::Group { .. });
            for key in service_keys(cfg) {
                let mut s = svc.clone();
                if group {
                    s.persistence_granularity = None;
                }
                if let ServiceKey::Addr { addr, .. } = key {
                    // Real servers without a port take the service's (DR/TUN port 0 form).
                    s.dests = s
                        .dests
                        .into_iter()
                        .map(|(a, d)| {
                            let a = if a.port() == 0 {
                                SocketAddr::new(a.ip(), addr.port())
                            } else {
                                a
                            };
                            (a, d)
                        })
                        .collect();
                }
                t.push((key, s));
            }
        }
        t
    }

    fn set_alive(&mut self, vi: usize, ri: usize, alive: bool, out: &mut Vec<Action>) {
        let vs = &mut self.vss[vi];
        if vs.rss[ri].alive == alive {
            return;
        }
        let inhibit = vs.rss[ri].inhibit;
        let verb = match (alive, inhibit) {
            (true, true) => "Enabling",
            (true, false) => "Adding",
            (false, true) => "Disabling",
            (false, false) => "Removing",
        };
        let prep = if inhibit {
            "of"
        } else if alive {
            "to"
        } else {
            "from"
        };
        out.push(Action::Log(format!(
            "{verb} service {} {prep} VS {}",
            Trio(vs.cfg.real_servers[ri].addr, vs.cfg.protocol),
            fmt_vs(&vs.cfg)
        )));
        vs.rss[ri].alive = alive;
        self.changed[vi] = true;
        self.rs_notifies(vi, ri, out);
        self.update_quorum(vi, false, out);
    }

    fn rs_notifies(&self, vi: usize, ri: usize, out: &mut Vec<Action>) {
        let vs = &self.vss[vi];
        let cfg = &vs.cfg.real_servers[ri];
        let alive = vs.rss[ri].alive;
        let script = if alive {
            &cfg.notify_up
        } else {
            &cfg.notify_down
        };
        if let Some(s) = script {
            out.push(Action::RunScript(s.clone()));
        }
        out.push(Action::Fifo(format!(
            "RS {} {} {}\n",
            Trio(cfg.addr, vs.cfg.protocol),
            fmt_vs(&vs.cfg),
            if alive { "UP" } else { "DOWN" }
        )));
    }

    fn vs_notifies(&self, vi: usize, init: bool, threshold: i64, sum: i64, out: &mut Vec<Action>) {
        let vs = &self.vss[vi];
        let up = vs.quorum_up;
        let script = if up {
            &vs.cfg.quorum_up
        } else {
            &vs.cfg.quorum_down
        };
        if let Some(s) = script {
            out.push(Action::RunScript(s.clone()));
        }
        let vsn = fmt_vs(&vs.cfg);
        out.push(Action::Fifo(format!(
            "VS {vsn} {}\n",
            if up { "UP" } else { "DOWN" }
        )));
        if vs.cfg.smtp_alert.unwrap_or(self.opts.smtp_alert_default) {
            let what = match (up, init) {
                (true, true) => "Starting with quorum up",
                (true, false) => "Gained quorum",
                (false, true) => "Starting with quorum down",
                (false, false) => "Lost quorum",
            };
            out.push(Action::SmtpAlert(SmtpAlert {
                vs: vsn,
                rs: None,
                state: if up { "UP" } else { "DOWN" },
                message: format!(
                    "=> {what} {}+{}={threshold} <= {sum} <=",
                    vs.cfg.quorum, vs.cfg.hysteresis
                ),
            }));
        }
    }

    fn update_quorum(&mut self, vi: usize, init: bool, out: &mut Vec<Action>) {
        let vs = &self.vss[vi];
        let sum = weigh_live(vs);
        let (q, h) = (i64::from(vs.cfg.quorum), i64::from(vs.cfg.hysteresis));
        let threshold = if vs.quorum_up { q - h } else { q + h };
        let vsn = fmt_vs(&vs.cfg);
        let sorry = vs.cfg.sorry_server.clone();
        let proto = vs.cfg.protocol;
        if !vs.quorum_up && sum >= threshold {
            out.push(Action::Log(format!(
                "Gained quorum {q}+{h}={threshold} <= {sum} for VS {vsn}"
            )));
            let vs = &mut self.vss[vi];
            vs.quorum_up = true;
            if let Some(s) = &sorry
                && vs.sorry_alive
            {
                out.push(Action::Log(format!(
                    "{} sorry server {} from VS {vsn}",
                    if s.inhibit { "Disabling" } else { "Removing" },
                    Trio(s.addr, proto)
                )));
                out.push(Action::Log(format!(
                    "Adding alive servers to the pool for VS {vsn}"
                )));
                vs.sorry_alive = false;
                self.changed[vi] = true;
            }
            self.vs_notifies(vi, init, threshold, sum, out);
        } else if (vs.quorum_up && (sum == 0 || sum < threshold))
            || (init && !vs.quorum_up && sorry.is_some() && !vs.sorry_alive)
        {
            out.push(Action::Log(format!(
                "{} {q}-{h}={threshold} > {sum} for VS {vsn}",
                if init {
                    "Starting with quorum down"
                } else {
                    "Lost quorum"
                }
            )));
            let vs = &mut self.vss[vi];
            vs.quorum_up = false;
            if let Some(s) = &sorry
                && !vs.sorry_alive
            {
                out.push(Action::Log(format!(
                    "{} sorry server {} to VS {vsn}",
                    if s.inhibit { "Enabling" } else { "Adding" },
                    Trio(s.addr, proto)
                )));
                out.push(Action::Log(format!(
                    "Removing alive servers from the pool for VS {vsn}"
                )));
                vs.sorry_alive = true;
                self.changed[vi] = true;
            }
            self.vs_notifies(vi, init, threshold, sum, out);
        }
    }

    fn checker_mail(
        &self,
        id: CheckerId,
        kind: CheckerKind,
        up: bool,
        rs_was_alive: bool,
        out: &mut Vec<Action>,
    ) {
        let vs = &self.vss[id.vs];
        let rs = &vs.rss[id.rs];
        if !rs.smtp_alert || (rs_was_alive == rs.alive && self.opts.no_checker_emails) {
            return;
        }
        let ok = if up { "succeed" } else { "failed" };
        let message = match (kind, up) {
            (CheckerKind::Tcp, _) => format!("=> TCP CHECK {ok} on service <="),
            (CheckerKind::Http | CheckerKind::Ssl, false) => {
                // check_http.c, SSL_GET's too.
                "=> CHECK failed on service : HTTP request failed <=".to_string()
            }
            (CheckerKind::Http | CheckerKind::Ssl | CheckerKind::Smtp, _) => {
                format!("=> CHECK {ok} on service <=")
            }
            (CheckerKind::Misc, true) => "=> MISC CHECK succeeded on service <=".to_string(),
            (CheckerKind::Misc, false) => "=> MISC CHECK failed on service <=".to_string(),
            (CheckerKind::Dns, _) => format!("=> DNS_CHECK: {ok} on service <="),
            (CheckerKind::Udp, _) => format!("=> UDP CHECK {ok} on service <="),
            (CheckerKind::Ping, _) => format!("=> ICMP CHECK {ok} on service <="),
            (CheckerKind::File, _) => format!("=> FILE CHECK {ok} on service <="),
        };
        out.push(Action::SmtpAlert(SmtpAlert {
            vs: fmt_vs(&vs.cfg),
            rs: Some(Trio(vs.cfg.real_servers[id.rs].addr, vs.cfg.protocol).to_string()),
            // keepalived titles the mail with the real server's state, not the checker's.
            state: if rs.alive { "UP" } else { "DOWN" },
            message,
        }));
    }
}

fn weigh_live(vs: &VsState) -> i64 {
    vs.rss
        .iter()
        .filter(|r| r.alive)
        .map(|r| real_weight(r.effective_weight))
        .sum()
}

fn fmt_vs(cfg: &VirtualServerConfig) -> String {
    format_vs(&cfg.ident, cfg.protocol)
}

/// The IPVS services a virtual server stands for (several for a group).
fn service_keys(cfg: &VirtualServerConfig) -> Vec<ServiceKey> {
    let v6 = cfg.ipv6;
    match &cfg.ident {
        VsIdent::Addr(a) => vec![ServiceKey::Addr {
            protocol: cfg.protocol,
            addr: *a,
        }],
        VsIdent::Fwmark(m) => vec![ServiceKey::Fwmark { mark: *m, ipv6: v6 }],
        VsIdent::Group { port, .. } => {
            let mut out = Vec::new();
            for e in &cfg.group_entries {
                match e {
                    GroupEntry::Fwmark(m, family) => out.push(ServiceKey::Fwmark {
                        mark: *m,
                        ipv6: family.unwrap_or(v6),
                    }),
                    GroupEntry::Range {
                        first,
                        last,
                        port: p,
                    } => {
                        let p = if *p == 0 { *port } else { *p };
                        for ip in ip_range(*first, *last) {
                            out.push(ServiceKey::Addr {
                                protocol: cfg.protocol,
                                addr: SocketAddr::new(ip, p),
                            });
                        }
                    }
                }
            }
            out
        }
    }
}

fn ip_range(first: IpAddr, last: IpAddr) -> Vec<IpAddr> {
    match (first, last) {
        (IpAddr::V4(a), IpAddr::V4(b)) => (u32::from(a)..=u32::from(b).max(u32::from(a)))
            .take(65536)
            .map(|n| IpAddr::V4(n.into()))
            .collect(),
        (IpAddr::V6(a), IpAddr::V6(b)) => (u128::from(a)..=u128::from(b).max(u128::from(a)))
            .take(65536)
            .map(|n| IpAddr::V6(n.into()))
            .collect(),
        _ => vec![first],
    }
}

impl std::fmt::Display for Table {
    /// The table in `ipvsadm -Ln`'s layout (without the connection counters), for logs and status
    /// output when there is no IPVS to ask.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "Prot LocalAddress:Port Scheduler Flags")?;
        writeln!(f, "  -> RemoteAddress:Port           Forward Weight")?;
        for (key, svc) in &self.services {
            let head = match key {
                ServiceKey::Addr { protocol, addr } => {
                    format!("{:<4} {addr}", protocol.as_str().to_uppercase())
                }
                ServiceKey::Fwmark { mark, .. } => format!("FWM  {mark}"),
            };
            write!(f, "{head} {}", svc.scheduler)?;
            if let Some(t) = svc.persistence_timeout {
                write!(f, " persistent {t}")?;
            }
            if let Some(m) = svc.persistence_granularity {
                write!(f, " mask {m}")?;
            }
            writeln!(f)?;
            for (addr, d) in &svc.dests {
                let fwd = match d.forwarding {
                    Forwarding::Nat => "Masq",
                    Forwarding::Dr => "Route",
                    Forwarding::Tun(_) => "Tunnel",
                };
                writeln!(f, "  -> {:<28} {fwd:<7} {}", addr.to_string(), d.weight)?;
            }
        }
        Ok(())
    }
}
