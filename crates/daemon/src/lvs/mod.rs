//! The checker side of the daemon (keepalived's healthcheckers process, on its own thread):
//! runs keepalived-check's scheduler and carries out its reports: log, scripts, FIFOs, mail, dump,
//! and the kernel's IPVS table through [`apply::Applier`] (reconciled at start, each change
//! applied as its difference). keepalived's checker process refuses to run without IPVS; we say
//! once that it is missing, log the table's changes instead and go on checking.

pub mod apply;
mod kernel;
pub mod syncd;

use kernel::Kernel;

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use keepalived_check::scheduler::{self, Report, Running, SchedulerOptions};
use keepalived_check::{
    Action, CheckerId, Dest, Forwarding, Model, ModelOptions, ServiceKey, Table, Transition,
    VirtualServerConfig, VsIdent,
};
use keepalived_conf::Config;
use keepalived_conf::model::global::NotifyFifo;
use tokio::sync::{Mutex, mpsc, oneshot};
use tokio::task::JoinSet;

use crate::cli::Cli;
use crate::notify::{Fifo, Mail, ScriptSecurity};
use crate::pidfile::PidFiles;
use crate::setup::Globals;
use crate::signals::Control;

/// The syslog ident keepalived's checker process logs with; events with this tracing target
/// carry it (log.rs).
pub const LOG_TARGET: &str = "Keepalived_healthcheckers";

/// Where keepalived's checker process writes its data dump on SIGUSR1.
/// (In [`crate::dump::dir`]: $TMPDIR, else /tmp.)
pub const CHECK_DATA_FILE: &str = "keepalived_check.data";

/// keepalived's default checkers pid file.
pub const DEFAULT_CHECKERS_PID: &str = "/run/checkers.pid";

/// How long scripts, FIFO lines and mails of the shutdown may take before the process exits.
const STOP_DRAIN: Duration = Duration::from_secs(5);

/// A notify script that hangs is killed after this, as the VRRP notifies are.
const SCRIPT_LIMIT: Duration = Duration::from_secs(60);

macro_rules! info {
    ($($t:tt)*) => { tracing::info!(target: LOG_TARGET, $($t)*) };
}
macro_rules! warn {
    ($($t:tt)*) => { tracing::warn!(target: LOG_TARGET, $($t)*) };
}
macro_rules! error {
    ($($t:tt)*) => { tracing::error!(target: LOG_TARGET, $($t)*) };
}

/// Whether the checkers run: the configuration has virtual servers and -P/--vrrp was not given.
pub fn wanted(cli: &Cli, cfg: &Config) -> bool {
    !cli.vrrp && !cfg.lvs.virtual_servers.is_empty()
}

/// The sink of the table: the kernel's IPVS when it can be opened, else the log (said once).
fn open_sink() -> Box<dyn apply::Sink + Send> {
    match keepalived_ipvs::Client::open() {
        Ok(c) => Box::new(apply::Kernel(c)),
        Err(e) => {
            if e.is_permission() {
                error!(
                    "IPVS: {e}: keepalived-rs needs CAP_NET_ADMIN to program IPVS; the LVS table is only computed and reported (log, SIGUSR1 dump)"
                );
            } else if e.is_unavailable() {
                warn!(
                    "IPVS is unavailable in this kernel (no \"IPVS\" generic netlink family, even after modprobe ip_vs): the LVS table is only computed and reported (log, SIGUSR1 dump)"
                );
            } else {
                warn!(
                    "IPVS cannot be used ({e}): the LVS table is only computed and reported (log, SIGUSR1 dump)"
                );
            }
            Box::new(apply::LogOnly)
        }
    }
}

enum Request {
    Dump,
    Reload(Box<Plan>),
    /// The addresses on this host when the ha_suspend watch starts.
    Addresses(Vec<IpAddr>),
    /// An address came or went.
    Address(IpAddr, bool),
    Stop(oneshot::Sender<()>),
}

/// The running checker side. [`Lvs::stop`] runs the omega actions and waits (bounded) for them.
pub struct Lvs {
    tx: mpsc::Sender<Request>,
    /// Resolves when the checkers' thread has ended.
    done: oneshot::Receiver<()>,
    _pid: Option<PidFiles>,
}

/// Everything the checker side needs from global_defs and the command line.
struct Context {
    security: ScriptSecurity,
    /// Notify scripts by (line, user, group) as checked when first called; `None`: refused.
    vetted:
        HashMap<(String, Option<String>, Option<String>), Option<keepalived_sys::script::Script>>,
    fifos: Vec<Arc<Mutex<Fifo>>>,
    mail: Option<Arc<Mail>>,
}

/// What a configuration asks the checkers to do.
pub struct Plan {
    vss: Vec<VirtualServerConfig>,
    opts: ModelOptions,
    sched: SchedulerOptions,
    kernel: KernelPlan,
}

/// global_defs' IPVS settings and `-I`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct KernelPlan {
    /// `lvs_flush`: empty the table at start.
    flush: bool,
    release: apply::Release,
    /// `lvs_timeouts` (0: the kernel's).
    timeouts: keepalived_ipvs::Timeouts,
    /// `lvs_sync_daemon` without `inst`: the checker side runs both roles.
    syncd: Option<syncd::Config>,
}

impl KernelPlan {
    fn of(cfg: &Config, dont_release: bool) -> KernelPlan {
        use keepalived_conf::model::global::LvsFlushOnStop;
        let g = &cfg.global;
        let secs = |d: Option<Duration>| {
            d.map(|d| u32::try_from(d.as_secs()).unwrap_or(u32::MAX))
                .unwrap_or(0)
        };
        KernelPlan {
            flush: g.lvs_flush,
            release: if dont_release {
                apply::Release::Keep
            } else if g.lvs_flush_on_stop == Some(LvsFlushOnStop::Full) {
                apply::Release::Flush
            } else {
                apply::Release::Ours
            },
            timeouts: keepalived_ipvs::Timeouts {
                tcp: secs(g.lvs_timeouts.tcp),
                tcp_fin: secs(g.lvs_timeouts.tcpfin),
                udp: secs(g.lvs_timeouts.udp),
            },
            syncd: g
                .lvs_sync_daemon
                .as_ref()
                .filter(|d| d.instance.is_none())
                .map(|d| syncd::Config::of(d, 0)),
        }
    }
}

impl Plan {
    /// Maps `cfg` (what cannot run is logged, once per load); `log_detail`: `-D`;
    /// `dont_release`: `-I`.
    pub fn of(cfg: &Config, log_detail: bool, dont_release: bool) -> Plan {
        let mut mapped = keepalived_check::from_conf::from_config(cfg);
        for what in &mapped.unsupported {
            warn!("{what}");
        }
        let g = &cfg.global;
        // MISC_CHECK scripts: the default script user and keepalived's load-time check.
        let default_user = crate::setup::default_script_ids(g);
        let vetted = keepalived_check::from_conf::vet_scripts(
            &mut mapped.virtual_servers,
            default_user,
            g.enable_script_security,
        );
        for line in vetted {
            info!("{line}");
        }
        // keepalived 2.2.7: unset, a real server's alerts are on and a virtual server's off.
        let explicit = g.smtp_alert_checker.or(g.smtp_alert);
        let mut vss = mapped.virtual_servers;
        if explicit.is_none() {
            for vs in &mut vss {
                vs.smtp_alert.get_or_insert(false);
            }
        }
        let opts = ModelOptions {
            rs_init_notifies: g.rs_init_notifies,
            smtp_alert_default: explicit.unwrap_or(true),
            no_checker_emails: g.no_checker_emails,
        };
        let tls = match &mapped.ssl {
            Some(ssl) => match keepalived_check::probe::http::tls_connector_for(ssl) {
                Ok(c) => Some(c),
                Err(e) => {
                    error!("SSL: {e}; SSL_GET checks use the default context");
                    None
                }
            },
            None => None,
        };
        Plan {
            vss,
            opts,
            sched: SchedulerOptions {
                no_warmup: false,
                tls,
                log_detail,
                inject_panic: std::env::var_os("KEEPALIVED_RS_TEST_CHECKER_PANIC").is_some(),
            },
            kernel: KernelPlan::of(cfg, dont_release),
        }
    }

    /// Starts the checkers; after a reload, surviving real servers carry on from `old`.
    /// `local`: this host's addresses when known, so that ha_suspend checkers whose virtual
    /// address is absent start deactivated (keepalived's start says "Deactivating").
    fn run(&self, old: Option<&Model>, local: Option<&HashSet<IpAddr>>) -> Started {
        let mut model = Model::new(self.vss.clone(), self.opts);
        if let Some(old) = old {
            model.inherit(old);
        }
        if let Some(local) = local {
            for (vi, ip) in suspended(&self.vss) {
                model.set_address_initial(vi, local.contains(&ip));
            }
        }
        scheduler::run(model, self.sched.clone())
    }
}

type Started = (Running, Vec<Action>, Table, mpsc::UnboundedReceiver<Report>);

/// Starts the checkers of `cfg` on their own thread (keepalived's checker process): a
/// current-thread runtime at `checker_*` scheduling, so thousands of checks never delay an
/// advert of the VRRP side, and the VRRP side's real-time priority does not starve the checkers
/// or the other way round. `with_vrrp`: the VRRP side runs too and already started the
/// `notify_fifo` script, so only `lvs_notify_fifo`'s is started here.
pub async fn start(cli: &Cli, cfg: &Config, globals: &Globals, with_vrrp: bool) -> Lvs {
    let pid_path = cli
        .checkers_pid
        .clone()
        .unwrap_or_else(|| PathBuf::from(DEFAULT_CHECKERS_PID));
    let pid = match crate::run::with_pid_umask(|| PidFiles::create(&[pid_path])) {
        Ok(p) => Some(p),
        Err(e) => {
            error!("{e}");
            None
        }
    };
    let plan = Plan::of(cfg, cli.log_detail, cli.dont_release_ipvs);
    let security = security_of(globals);
    let mail = mail_of(globals).map(Arc::new);
    let fifos = [
        (cfg.global.notify_fifo.clone(), !with_vrrp),
        (cfg.global.lvs_notify_fifo.clone(), true),
    ];
    let sched = cfg.global.checker_sched.clone();
    let (tx, rx) = mpsc::channel(16);
    let me = tx.clone();
    let (started_tx, started) = oneshot::channel();
    let (done_tx, done) = oneshot::channel();
    let spawned = std::thread::Builder::new()
        .name("checkers".into())
        .spawn(move || {
            let rt = match tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                Ok(rt) => rt,
                Err(e) => {
                    error!("cannot start the checkers' runtime: {e}");
                    return;
                }
            };
            rt.block_on(async move {
                crate::sched::apply(crate::sched::Side::Checker, &sched);
                let mut kernel = Kernel::open(plan.kernel.clone());
                let fifos = open_fifos(&fifos, &security);
                // ha_suspend: the addresses at start (the watch started later keeps them).
                let local = if suspended(&plan.vss).is_empty() {
                    None
                } else {
                    local_addresses().await
                };
                let (running, actions, table, reports) = plan.run(None, local.as_ref());
                let mut side = Side {
                    me,
                    known: local.is_some(),
                    local: local.unwrap_or_default(),
                    watching: false,
                    ctx: Context {
                        security,
                        vetted: HashMap::new(),
                        fifos,
                        mail,
                    },
                    vss: plan.vss.clone(),
                    plan,
                    table: Table::default(),
                    checkers: HashMap::new(),
                    running: JoinSet::new(),
                    mails: JoinSet::new(),
                    kernel: None,
                };
                side.act(actions);
                kernel.start(&table);
                side.table = table;
                side.kernel = Some(kernel);
                let _ = started_tx.send(());
                side.serve(running, reports, rx).await;
            });
            // Scripts still running after the drain belong to nobody now; do not wait for them.
            rt.shutdown_background();
            let _ = done_tx.send(());
        });
    if let Err(e) = spawned {
        error!("cannot start the checkers' thread: {e}");
    } else {
        // The first table is logged before the VRRP side goes on, as keepalived's checker
        // process has started by then.
        let _ = started.await;
    }
    Lvs {
        tx,
        done,
        _pid: pid,
    }
}

impl Lvs {
    /// Writes [`CHECK_DATA_FILE`] (SIGUSR1).
    pub fn dump(&self) {
        let _ = self.tx.try_send(Request::Dump);
    }

    /// Stops the checkers, runs the omega actions and waits (bounded) for their scripts.
    pub async fn stop(self) {
        let (tx, rx) = oneshot::channel();
        let limit = STOP_DRAIN + Duration::from_secs(1);
        if self.tx.send(Request::Stop(tx)).await.is_ok() {
            let _ = tokio::time::timeout(limit, rx).await;
        }
        // A thread still draining after that is left behind: the process is about to exit.
        let _ = tokio::time::timeout(Duration::from_millis(500), self.done).await;
    }

    /// SIGHUP: reads the configuration again and moves the checkers to it (global_defs' FIFOs,
    /// mail and script user stay as started). A configuration keepalived would refuse is not
    /// taken: the running one stays.
    async fn reload(&self, cli: &Cli) {
        info!("Reloading");
        let loaded = keepalived_conf::load(
            &cli.use_file,
            &crate::run::load_options(cli),
            &keepalived_conf::Host,
        );
        let runnable = loaded.runnable();
        for line in loaded.render().lines() {
            if runnable {
                warn!("{line}");
            } else {
                error!("{line}");
            }
        }
        if !runnable {
            error!(
                "Configuration file {} cannot be run (see above): keeping the running configuration",
                cli.use_file.display()
            );
            return;
        }
        let plan = Plan::of(&loaded.config, cli.log_detail, cli.dont_release_ipvs);
        let _ = self.tx.send(Request::Reload(Box::new(plan))).await;
    }

    /// Puts itself between the signals and the VRRP engine: every control still reaches the
    /// engine, and SIGUSR1 also writes the checker dump.
    pub fn share(&self, mut controls: mpsc::Receiver<Control>) -> mpsc::Receiver<Control> {
        let (tx, rx) = mpsc::channel(16);
        let me = self.tx.clone();
        tokio::spawn(async move {
            while let Some(c) = controls.recv().await {
                if c == Control::DumpData {
                    let _ = me.try_send(Request::Dump);
                }
                if tx.send(c).await.is_err() {
                    break;
                }
            }
        });
        rx
    }

    /// The loop when only the checkers run (-C, or no vrrp_instance): signals until TERM/INT.
    pub async fn serve_alone(self, cli: &Cli, mut controls: mpsc::Receiver<Control>) {
        while let Some(c) = controls.recv().await {
            match c {
                Control::Stop => break,
                Control::DumpData => self.dump(),
                Control::Reload => self.reload(cli).await,
                Control::DumpStats | Control::DumpJson | Control::ClearStats => {}
            }
        }
        self.stop().await;
    }
}

/// The task's state: what it must act on and what the dump shows.
struct Side {
    /// For the ha_suspend address watch to report to the task.
    me: mpsc::Sender<Request>,
    /// This host's addresses, once `known`.
    local: HashSet<IpAddr>,
    known: bool,
    watching: bool,
    ctx: Context,
    vss: Vec<VirtualServerConfig>,
    /// What the checkers run, to start them again after a crash.
    plan: Plan,
    table: Table,
    /// Each checker's last verdict that changed its state: true = up.
    checkers: HashMap<CheckerId, bool>,
    running: JoinSet<()>,
    /// Mails are not waited for on stop: a dead mail server must not delay the exit.
    mails: JoinSet<()>,
    /// The kernel's table (or its log stand-in), set once started.
    kernel: Option<Kernel>,
}

impl Side {
    async fn serve(
        mut self,
        mut running: Running,
        mut reports: mpsc::UnboundedReceiver<Report>,
        mut requests: mpsc::Receiver<Request>,
    ) {
        self.watch_addresses();
        let mut crashes = Crashes::default();
        let done = loop {
            let crash = tokio::select! {
                r = reports.recv() => match r {
                    Some(r) => {
                        self.report(r);
                        None
                    }
                    None => Some("the checkers' driver ended".to_string()),
                },
                why = running.died() => Some(why),
                q = requests.recv() => match q {
                    Some(Request::Dump) => {
                        self.dump();
                        None
                    }
                    Some(Request::Reload(plan)) => {
                        (running, reports) = self.reload(running, &plan).await;
                        self.plan = *plan;
                        self.watch_addresses();
                        if self.known {
                            self.apply_presence(&running, None).await;
                        }
                        None
                    }
                    Some(Request::Addresses(list)) => {
                        self.local = list.into_iter().collect();
                        self.known = true;
                        self.apply_presence(&running, None).await;
                        None
                    }
                    Some(Request::Address(ip, present)) => {
                        let changed = if present {
                            self.local.insert(ip)
                        } else {
                            self.local.remove(&ip)
                        };
                        if self.known && changed {
                            self.apply_presence(&running, Some(ip)).await;
                        }
                        None
                    }
                    Some(Request::Stop(done)) => break Some(done),
                    None => break None,
                },
            };
            let Some(why) = crash else { continue };
            // keepalived respawns its checker process when it dies; here the checkers are
            // started again from the configuration (real servers start as at boot; the kernel's
            // table moves by its diff), after a delay that grows while they keep dying.
            let delay = crashes.next_delay();
            error!(
                "The checkers died ({why}); starting them again in {} s",
                delay.as_secs_f64()
            );
            let stop = tokio::select! {
                _ = tokio::time::sleep(delay) => None,
                done = wait_stop(&mut requests) => Some(done),
            };
            (running, reports) = self.restart();
            info!("The checkers were started again");
            if let Some(done) = stop {
                break done;
            }
        };
        let omega = running.shutdown().await;
        self.act(omega);
        self.table = Table::default();
        if let Some(k) = &mut self.kernel {
            k.stop();
        }
        let _ = tokio::time::timeout(STOP_DRAIN, async {
            while self.running.join_next().await.is_some() {}
        })
        .await;
        if let Some(done) = done {
            let _ = done.send(());
        }
    }

    /// The checkers again from the plan, after they died.
    fn restart(&mut self) -> (Running, mpsc::UnboundedReceiver<Report>) {
        let local = self.known.then_some(&self.local);
        let (running, actions, table, reports) = self.plan.run(None, local);
        self.checkers.clear();
        self.act(actions);
        self.table_changed(table);
        (running, reports)
    }

    /// ha_suspend: watches this host's addresses (only when a virtual server asks for it: the
    /// VIP lifetime refreshes make address events frequent).
    fn watch_addresses(&mut self) {
        if self.watching || suspended(&self.vss).is_empty() {
            return;
        }
        self.watching = true;
        let me = self.me.clone();
        tokio::spawn(async move {
            use keepalived_sys::netlink::{Event, Netlink, monitor};
            // Subscribed before listing, so no change falls between the two.
            let mut events = match monitor() {
                Ok(rx) => rx,
                Err(e) => {
                    error!("ha_suspend: {e}; checkers run as if every address were present");
                    return;
                }
            };
            let listed = match Netlink::connect() {
                Ok(nl) => nl.addrs(None).await,
                Err(e) => Err(e),
            };
            match listed {
                Ok(list) => {
                    let addrs = list.into_iter().map(|a| a.addr).collect();
                    if me.send(Request::Addresses(addrs)).await.is_err() {
                        return;
                    }
                }
                Err(e) => {
                    error!("ha_suspend: {e}; checkers run as if every address were present");
                    return;
                }
            }
            while let Some(ev) = events.recv().await {
                let (ip, present) = match ev {
                    Event::AddrAdded(a) => (a.addr, true),
                    Event::AddrRemoved(a) => (a.addr, false),
                    _ => continue,
                };
                if me.send(Request::Address(ip, present)).await.is_err() {
                    return;
                }
            }
        });
    }

    /// Tells the model which ha_suspend virtual servers have their address here (`only`: the
    /// ones on that address).
    async fn apply_presence(&self, running: &Running, only: Option<IpAddr>) {
        for (vi, ip) in suspended(&self.vss) {
            if only.is_none_or(|o| o == ip) {
                running
                    .set_address_present(vi, self.local.contains(&ip))
                    .await;
            }
        }
    }

    /// keepalived's reload: checkers stop, the new configuration's start, real servers that
    /// stayed (same address and checkers) keep their state, and the table moves by its diff.
    async fn reload(
        &mut self,
        running: Running,
        plan: &Plan,
    ) -> (Running, mpsc::UnboundedReceiver<Report>) {
        let old = running.stop().await;
        let local = self.known.then_some(&self.local);
        let (running, actions, table, reports) = plan.run(old.as_ref(), local);
        let mut checkers = HashMap::new();
        for (vi, vs) in plan.vss.iter().enumerate() {
            let Some(ovi) = self
                .vss
                .iter()
                .position(|o| o.ident == vs.ident && o.protocol == vs.protocol)
            else {
                continue;
            };
            for (ri, rs) in vs.real_servers.iter().enumerate() {
                let Some(ori) = self.vss[ovi]
                    .real_servers
                    .iter()
                    .position(|o| o.addr == rs.addr && o.checkers == rs.checkers)
                else {
                    continue;
                };
                for ci in 0..rs.checkers.len() {
                    let from = CheckerId {
                        vs: ovi,
                        rs: ori,
                        checker: ci,
                    };
                    if let Some(up) = self.checkers.get(&from) {
                        let to = CheckerId {
                            vs: vi,
                            rs: ri,
                            checker: ci,
                        };
                        checkers.insert(to, *up);
                    }
                }
            }
        }
        self.checkers = checkers;
        self.vss = plan.vss.clone();
        self.act(actions);
        if let Some(k) = &mut self.kernel {
            k.reconfigure(&plan.kernel);
        }
        self.table_changed(table);
        (running, reports)
    }

    fn report(&mut self, r: Report) {
        match r.transition {
            Some(Transition::Up) => {
                self.checkers.insert(r.id, true);
            }
            Some(Transition::Down { .. } | Transition::InitialDown) => {
                self.checkers.insert(r.id, false);
            }
            None => {}
        }
        // The kernel first: traffic stops going to a dead server before anything else is done
        // (keepalived logs its "Removing service" line first; the line follows here).
        if !r.changed.is_empty() {
            if let Some(k) = &mut self.kernel {
                k.update_services(&r.changed);
            }
            self.table.services.extend(r.changed);
        }
        self.act(r.actions);
    }

    fn table_changed(&mut self, next: Table) {
        if let Some(k) = &mut self.kernel {
            k.update(&next);
        }
        self.table = next;
    }

    /// Carries out the model's actions in order; none of them is awaited here.
    fn act(&mut self, actions: Vec<Action>) {
        while self.running.try_join_next().is_some() {}
        while self.mails.try_join_next().is_some() {}
        for a in actions {
            match a {
                Action::Log(line) => info!("{line}"),
                Action::RunScript(s) => {
                    // Checked the first time it is called (keepalived: at load), said once.
                    let key = (s.command.clone(), s.user.clone(), s.group.clone());
                    let security = &self.ctx.security;
                    let prepared = self.ctx.vetted.entry(key).or_insert_with(|| {
                        let sec = match &s.user {
                            Some(u) => match crate::setup::ids(u, s.group.as_deref()) {
                                Some(ids) => security.with_ids(ids),
                                None => {
                                    error!(
                                        "notify script `{}`: user {u} does not exist; not run",
                                        s.command
                                    );
                                    return None;
                                }
                            },
                            None => security.clone(),
                        };
                        crate::notify::prepare(&s.command, &sec).ok()
                    });
                    let Some(prepared) = prepared.clone() else {
                        continue;
                    };
                    let line = s.command;
                    self.running.spawn(async move {
                        match crate::notify::run_prepared(&prepared, &[], SCRIPT_LIMIT).await {
                            Ok(st) if !st.success() => {
                                tracing::debug!(target: LOG_TARGET, "notify script `{line}` ended with {st:?}");
                            }
                            Ok(_) => {}
                            Err(e) => warn!("{e}"),
                        }
                    });
                }
                Action::Fifo(line) => {
                    for f in &self.ctx.fifos {
                        let f = Arc::clone(f);
                        let line = line.clone();
                        self.running.spawn(async move {
                            if let Err(e) = f.lock().await.write(&line).await {
                                warn!("{e}");
                            }
                        });
                    }
                }
                Action::SmtpAlert(alert) => {
                    if let Some(m) = &self.ctx.mail {
                        let m = Arc::clone(m);
                        let subject = alert.subject(&m.router_id);
                        let body = format!("{}\n", alert.message);
                        self.mails.spawn(async move {
                            if let Err(e) = crate::notify::send_mail(&m, &subject, &body).await {
                                warn!("Error sending alert: {e}");
                            }
                        });
                    }
                }
            }
        }
    }

    fn dump(&mut self) {
        info!(
            "Printing checker data for process({}) on signal",
            std::process::id()
        );
        let kernel = self.kernel.as_mut().and_then(Kernel::read_for_dump);
        let text = check_data(&self.vss, &self.table, &self.checkers, kernel.as_deref());
        let path = crate::dump::dir()
            .join(CHECK_DATA_FILE)
            .display()
            .to_string();
        if let Err(e) = crate::dump::write_file(&path, &text) {
            error!("writing {path}: {e}");
        }
    }
}

/// How often the checkers died lately: the delay before starting them again doubles from 1 s to
/// 60 s while they keep dying, and is back to 1 s after 5 minutes without a death.
#[derive(Default)]
struct Crashes {
    last: Option<std::time::Instant>,
    delay: Duration,
}

impl Crashes {
    fn next_delay(&mut self) -> Duration {
        let calm = self
            .last
            .is_none_or(|t| t.elapsed() > Duration::from_secs(300));
        self.delay = if calm {
            Duration::from_secs(1)
        } else {
            (self.delay * 2).min(Duration::from_secs(60))
        };
        self.last = Some(std::time::Instant::now());
        self.delay
    }
}

/// Waits for a stop request, answering dumps and dropping what cannot be done while the
/// checkers are down (their restart takes the current plan and addresses).
async fn wait_stop(requests: &mut mpsc::Receiver<Request>) -> Option<oneshot::Sender<()>> {
    loop {
        match requests.recv().await {
            Some(Request::Stop(done)) => return Some(done),
            None => return None,
            Some(_) => {}
        }
    }
}

/// The virtual servers with `ha_suspend` and the address they wait for.
/// This host's addresses, or `None` (logged) when netlink cannot say.
async fn local_addresses() -> Option<HashSet<IpAddr>> {
    use keepalived_sys::netlink::Netlink;
    let listed = match Netlink::connect() {
        Ok(nl) => nl.addrs(None).await,
        Err(e) => Err(e),
    };
    match listed {
        Ok(list) => Some(list.into_iter().map(|a| a.addr).collect()),
        Err(e) => {
            error!("ha_suspend: {e}; checkers start as if every address were present");
            None
        }
    }
}

fn suspended(vss: &[VirtualServerConfig]) -> Vec<(usize, IpAddr)> {
    vss.iter()
        .enumerate()
        .filter(|(_, v)| v.ha_suspend)
        .filter_map(|(i, v)| match &v.ident {
            VsIdent::Addr(a) => Some((i, a.ip())),
            _ => None,
        })
        .collect()
}

fn security_of(g: &Globals) -> ScriptSecurity {
    ScriptSecurity::of(g)
}

/// `notify_fifo` and `lvs_notify_fifo`: keepalived writes checker lines to both.
/// Each with whether its script is ours to start.
fn open_fifos(fifos: &[(NotifyFifo, bool); 2], security: &ScriptSecurity) -> Vec<Arc<Mutex<Fifo>>> {
    let mut out = Vec::new();
    for (f, own_script) in fifos {
        let own_script = *own_script;
        let Some(path) = f.path.as_deref() else {
            continue;
        };
        let path = Path::new(path);
        // The FIFO's user (its own, else the default script user) owns it and runs its script.
        let sec = match &f.user {
            Some(u) => crate::setup::ids(u, f.group.as_deref()).map(|ids| security.with_ids(ids)),
            None => Some(security.clone()),
        };
        let owner = sec.as_ref().and_then(|s| s.uid.zip(s.gid));
        let created = match Fifo::create(path, owner) {
            Ok(c) => c,
            Err(e) => {
                error!("{e}");
                continue;
            }
        };
        if own_script && let Some(script) = &f.script {
            match sec {
                Some(sec) => {
                    let (line, arg) = (script.line.clone(), path.display().to_string());
                    tokio::spawn(async move {
                        // keepalived lets a FIFO's reader run as long as it likes.
                        let forever = Duration::from_secs(u64::from(u32::MAX));
                        match crate::notify::run_script(&line, &[arg], &sec, forever).await {
                            Ok(st) => info!("notify FIFO script `{line}` ended: {st:?}"),
                            Err(e) => error!("{e}"),
                        }
                    });
                }
                None => error!(
                    "notify FIFO {}: its script's user does not exist; not run",
                    path.display()
                ),
            }
        }
        match Fifo::open_created(path, created) {
            Ok(fifo) => out.push(Arc::new(Mutex::new(fifo))),
            Err(e) => error!("{e}"),
        }
    }
    out
}

fn mail_of(g: &Globals) -> Option<Mail> {
    let (server, port) = g.smtp_server.clone()?;
    if g.emails.is_empty() {
        return None;
    }
    let host = nix::unistd::gethostname()
        .map(|h| h.to_string_lossy().into_owned())
        .unwrap_or_else(|_| "localhost".into());
    let from = g.email_from.clone().unwrap_or_else(|| {
        let user = nix::unistd::User::from_uid(nix::unistd::getuid())
            .ok()
            .flatten()
            .map(|u| u.name)
            .unwrap_or_else(|| "keepalived".into());
        format!("{user}@{host}")
    });
    Some(Mail {
        server,
        port,
        helo: g.smtp_helo.clone(),
        from,
        to: g.emails.clone(),
        connect_timeout: g.smtp_connect_timeout.unwrap_or(Duration::from_secs(30)),
        router_id: g.router_id.clone().unwrap_or(host),
    })
}

fn forwarding_name(f: Forwarding) -> &'static str {
    match f {
        Forwarding::Nat => "Masq",
        Forwarding::Dr => "Route",
        Forwarding::Tun(_) => "Tunnel",
    }
}

fn dest_detail(d: &Dest) -> String {
    let mut out = format!("{} weight {}", forwarding_name(d.forwarding), d.weight);
    if let Some(u) = d.uthreshold {
        let _ = write!(out, " uthreshold {u}");
    }
    if let Some(l) = d.lthreshold {
        let _ = write!(out, " lthreshold {l}");
    }
    out
}

/// The dest of `addr` in the services `vs` stands for (groups: any service with it).
fn dest_of<'a>(vs: &VirtualServerConfig, table: &'a Table, addr: SocketAddr) -> Option<&'a Dest> {
    table
        .services
        .iter()
        .filter(|(k, _)| match (&vs.ident, k) {
            (VsIdent::Addr(a), ServiceKey::Addr { protocol, addr }) => {
                a == addr && *protocol == vs.protocol
            }
            (VsIdent::Fwmark(m), ServiceKey::Fwmark { mark, .. }) => m == mark,
            (VsIdent::Group { .. }, _) => true,
            _ => false,
        })
        .find_map(|(_, s)| s.dests.get(&addr))
}

/// keepalived_check.data: keepalived's LVS topology headings with what we know at run time
/// (each real server's checkers and its place in the computed table), then the table itself.
pub fn check_data(
    vss: &[VirtualServerConfig],
    table: &Table,
    checkers: &HashMap<CheckerId, bool>,
    kernel: Option<&str>,
) -> String {
    let mut s = String::from("------< LVS Topology >------\n");
    let _ = writeln!(
        s,
        " IPVS = {}",
        if kernel.is_some() {
            "present, programmed"
        } else {
            "unavailable (table computed only)"
        }
    );
    for (vi, vs) in vss.iter().enumerate() {
        let _ = writeln!(s, " ------< Virtual server >------");
        match &vs.ident {
            VsIdent::Addr(a) => {
                let _ = writeln!(s, " VS VIP = {}, VPORT = {}", a.ip(), a.port());
            }
            VsIdent::Fwmark(m) => {
                let _ = writeln!(s, " VS FWMARK = {m}");
            }
            VsIdent::Group { name, port } => {
                let _ = writeln!(s, " VS GROUP = [{name}]:{port}");
            }
        }
        let _ = writeln!(s, "   delay_loop = {}", vs.delay_loop.as_secs_f64());
        let _ = writeln!(s, "   lvs_sched = {}", vs.scheduler);
        let _ = writeln!(s, "   protocol = {}", vs.protocol.as_str().to_uppercase());
        if let Some(t) = vs.persistence_timeout {
            let _ = writeln!(s, "   persistence timeout = {t}");
        }
        let _ = writeln!(
            s,
            "   quorum = {}, hysteresis = {}",
            vs.quorum, vs.hysteresis
        );
        if let Some(sorry) = &vs.sorry_server {
            let in_table = dest_of(vs, table, sorry.addr).is_some();
            let _ = writeln!(
                s,
                "   sorry server = {}{}, in table = {}",
                sorry.addr,
                if sorry.inhibit { " (inhibit)" } else { "" },
                if in_table { "yes" } else { "no" }
            );
        }
        for (ri, rs) in vs.real_servers.iter().enumerate() {
            let _ = writeln!(s, "   ------< Real server >------");
            let _ = writeln!(
                s,
                "   RIP = {}, RPORT = {}, WEIGHT = {}",
                rs.addr.ip(),
                rs.addr.port(),
                rs.weight
            );
            for (ci, ck) in rs.checkers.iter().enumerate() {
                let id = CheckerId {
                    vs: vi,
                    rs: ri,
                    checker: ci,
                };
                let state = match checkers.get(&id) {
                    Some(true) => "up",
                    Some(false) => "down",
                    None => "not decided yet",
                };
                let _ = writeln!(s, "   Checker = {}, state = {state}", ck.kind().keyword());
            }
            match dest_of(vs, table, rs.addr) {
                Some(d) => {
                    let _ = writeln!(s, "   In table = yes, {}", dest_detail(d));
                }
                None => {
                    let _ = writeln!(s, "   In table = no");
                }
            }
        }
    }
    let _ = writeln!(s, "------< Computed LVS table >------");
    let _ = write!(s, "{table}");
    if let Some(k) = kernel {
        let _ = writeln!(s, "------< Kernel IPVS table and statistics >------");
        let _ = write!(s, "{k}");
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use keepalived_check::{CheckerConfig, Protocol, RealServerConfig, Service};
    use std::collections::BTreeMap;

    fn key() -> ServiceKey {
        ServiceKey::Addr {
            protocol: Protocol::Tcp,
            addr: "10.0.0.1:80".parse().unwrap(),
        }
    }

    fn dest(weight: u32) -> Dest {
        Dest {
            weight,
            forwarding: Forwarding::Dr,
            uthreshold: None,
            lthreshold: None,
        }
    }

    fn table(dests: &[(&str, u32)]) -> Table {
        let mut services = BTreeMap::new();
        services.insert(
            key(),
            Service {
                scheduler: "rr".into(),
                sched_flags: Default::default(),
                persistence_timeout: Some(50),
                persistence_granularity: None,
                persistence_engine: None,
                dests: dests
                    .iter()
                    .map(|(a, w)| (a.parse().unwrap(), dest(*w)))
                    .collect(),
            },
        );
        Table { services }
    }

    #[test]
    fn table_changes_read_as_sentences() {
        let lines = |from: &Table, to: &Table| -> Vec<String> {
            apply::diff(&apply::to_kernel(from), &apply::to_kernel(to))
                .iter()
                .map(apply::op_line)
                .collect()
        };
        assert_eq!(
            lines(&Table::default(), &table(&[("10.0.0.9:80", 1)])),
            [
                "adding service TCP 10.0.0.1:80 (rr persistent 50)",
                "adding real server 10.0.0.9:80 to service TCP 10.0.0.1:80 (Route weight 1)",
            ]
        );
        let l = lines(
            &table(&[("10.0.0.9:80", 1), ("10.0.0.10:80", 1)]),
            &table(&[("10.0.0.9:80", 0)]),
        );
        assert!(
            l.contains(&"removing real server 10.0.0.10:80 from service TCP 10.0.0.1:80".into())
        );
        assert!(
            l.contains(
                &"changing real server 10.0.0.9:80 of service TCP 10.0.0.1:80 to (Route weight 0)"
                    .into()
            )
        );
        assert_eq!(
            apply::key_of(&ServiceKey::Fwmark {
                mark: 7,
                ipv6: true
            })
            .to_string(),
            "FWM 7 IPv6"
        );
    }

    #[test]
    fn dump_shows_checkers_and_table_places() {
        let mut vs = VirtualServerConfig::new(VsIdent::Addr("10.0.0.1:80".parse().unwrap()));
        vs.scheduler = "rr".into();
        vs.persistence_timeout = Some(50);
        for a in ["10.0.0.9:80", "10.0.0.10:80"] {
            let mut rs = RealServerConfig::new(a.parse().unwrap());
            rs.checkers.push(CheckerConfig::tcp());
            vs.real_servers.push(rs);
        }
        let mut states = HashMap::new();
        states.insert(
            CheckerId {
                vs: 0,
                rs: 1,
                checker: 0,
            },
            false,
        );
        let text = check_data(&[vs], &table(&[("10.0.0.9:80", 1)]), &states, None);
        assert!(text.contains(" VS VIP = 10.0.0.1, VPORT = 80\n"), "{text}");
        assert!(
            text.contains(
                "   RIP = 10.0.0.9, RPORT = 80, WEIGHT = 1\n   Checker = TCP_CHECK, state = not decided yet\n   In table = yes, Route weight 1\n"
            ),
            "{text}"
        );
        assert!(
            text.contains(
                "   RIP = 10.0.0.10, RPORT = 80, WEIGHT = 1\n   Checker = TCP_CHECK, state = down\n   In table = no\n"
            ),
            "{text}"
        );
        assert!(text.contains("unavailable (table computed only)"), "{text}");
        assert!(
            text.contains("------< Computed LVS table >------\n"),
            "{text}"
        );
    }
}
