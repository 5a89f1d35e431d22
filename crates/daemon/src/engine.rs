//! The event loop: packets, timers, tracker and link changes and signals go into the VRRP
//! [`Router`] with `now`; its actions come out to the [`Shell`] (wire and kernel) and the notifier.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use keepalived_sys::alarm::Alarm;
use keepalived_vrrp::packet::{Family, Frame, Packet, peek_vrid};
use keepalived_vrrp::{
    Action, Event, Instance, InstanceConfig, Notify, Output, Router, State, SyncGroupConfig, Time,
    TrackerStatus,
};
use tokio::sync::mpsc;

use crate::dump::{self, Counters, InstanceSnapshot};
use crate::log::Dropped;
use crate::notify::{Notice, Notifier, NotifyState, Scripts, Subject};
use crate::signals::{Control, DATA_FILE, JSON_FILE, STATS_FILE};

/// One `vrrp_instance` as the loop needs it: the protocol's config, its interface and notifies.
#[derive(Debug, Clone)]
pub struct InstanceSpec {
    pub cfg: InstanceConfig,
    pub interface: String,
    pub scripts: Scripts,
    /// The VIP lines as written, for the dumps.
    pub vip_lines: Vec<String>,
    /// track_interface: (index in `cfg.trackers`, interface name).
    pub tracked_links: Vec<(usize, String)>,
}

/// The parts of an [`InstanceSpec`] the loop keeps once the router has the configuration and
/// the notifier the scripts.
#[derive(Debug)]
struct SpecRest {
    interface: String,
    vip_lines: Vec<String>,
    tracked_links: Vec<(usize, String)>,
}

/// A `vrrp_sync_group` with its notifies.
#[derive(Debug, Clone)]
pub struct GroupSpec {
    pub cfg: SyncGroupConfig,
    pub scripts: Scripts,
}

/// Everything the loop runs, built from keepalived.conf.
#[derive(Debug, Clone, Default)]
pub struct Plan {
    pub instances: Vec<InstanceSpec>,
    pub groups: Vec<GroupSpec>,
}

/// Something that happened outside the loop.
#[derive(Debug, Clone)]
pub enum Input {
    /// A packet read on `interface` (IP protocol 112 or 51).
    /// The name is shared with the socket's reader: no allocation per packet.
    Packet { interface: Arc<str>, packet: Packet },
    /// Tracker `index` of `instance` has a new result.
    Tracker {
        instance: usize,
        index: usize,
        status: TrackerStatus,
    },
    /// An interface went up or down.
    Link { interface: String, up: bool },
}

/// The Linux side as the loop sees it: sending adverts and changing the kernel's state.
#[allow(async_fn_in_trait)]
pub trait Shell {
    /// Sends an encoded advert for `instance` (IPv4: whole packet; IPv6: VRRP payload).
    async fn send(&mut self, instance: usize, dst: IpAddr, bytes: &[u8]) -> crate::Result<()>;
    /// Carries out a kernel action (VIPs, routes, rules, GARP) for `instance`; the loop awaits it
    /// so that, on stop, every address is gone before the process exits.
    async fn apply(&mut self, instance: usize, action: &Action) -> crate::Result<()>;
    /// After the last instance stopped: release what is shared (the firewall table).
    async fn finish(&mut self) {}
    /// Sends several adverts, `(instance, dst, bytes)` each, in order; returns the index in
    /// `items` and the error of each one that failed.
    async fn send_batch(&mut self, items: &[(usize, IpAddr, &[u8])]) -> Vec<(usize, crate::Error)> {
        let mut failed = Vec::new();
        for (k, (i, dst, bytes)) in items.iter().enumerate() {
            if let Err(e) = self.send(*i, *dst, bytes).await {
                failed.push((k, e));
            }
        }
        failed
    }
    /// The packet sources [`Shell::poll_packets`] reads: (interface, family) of each.
    fn sources(&self) -> Vec<(String, Family)> {
        Vec::new()
    }
    /// Ready once some source had packets: each was handed to `f` with its source's index.
    fn poll_packets(
        &mut self,
        _cx: &mut Context<'_>,
        _f: &mut dyn FnMut(usize, Frame<'_>),
    ) -> Poll<()> {
        Poll::Pending
    }
    /// Reads what every source holds without waiting (before timers fire, so an advert that
    /// came in the meantime counts), then lets the sources report again or keeps them quiet
    /// until [`Shell::next_wake`]. `now` on CLOCK_MONOTONIC.
    fn drain(&mut self, _now: Duration, _f: &mut dyn FnMut(usize, Frame<'_>)) {}
    /// When the shell wants [`Shell::drain`] called next (CLOCK_MONOTONIC).
    fn next_wake(&self) -> Option<Duration> {
        None
    }
    /// No instance changed state for [`SETTLE`]: a moment to hand back what start-up or the
    /// transitions used and the steady loop does not.
    fn settled(&mut self) {}
}

/// How long after the last state change [`Shell::settled`] is called.
pub const SETTLE: Duration = Duration::from_secs(5);

/// The loop's clock: `Time` counts microseconds since the loop started, on CLOCK_MONOTONIC, the
/// clock the [`Alarm`] is armed on.
#[derive(Debug, Clone, Copy)]
struct Clock {
    epoch: Duration,
}

impl Clock {
    fn start() -> Self {
        Clock {
            epoch: keepalived_sys::alarm::monotonic(),
        }
    }
    fn now(&self) -> Time {
        let since = keepalived_sys::alarm::monotonic().saturating_sub(self.epoch);
        Time::from_micros(u64::try_from(since.as_micros()).unwrap_or(u64::MAX))
    }
    /// `t` on CLOCK_MONOTONIC.
    fn monotonic(&self, t: Time) -> Duration {
        self.epoch + Duration::from_micros(t.as_micros())
    }
}

/// How the loop sleeps until its next deadline: a timerfd, or tokio's millisecond timer when
/// the timerfd cannot be had.
enum Wake {
    Alarm(Alarm),
    Tokio,
}

impl Wake {
    fn new() -> Self {
        match Alarm::new() {
            Ok(a) => Wake::Alarm(a),
            Err(e) => {
                tracing::warn!("{e}: timers fall back to whole milliseconds");
                Wake::Tokio
            }
        }
    }

    async fn until(&mut self, at: Duration) {
        match self {
            Wake::Alarm(a) => {
                if let Err(e) = a.wake_by(at).await {
                    tracing::warn!("{e}");
                    tokio::time::sleep(Duration::from_millis(1)).await;
                }
            }
            Wake::Tokio => {
                tokio::time::sleep(at.saturating_sub(keepalived_sys::alarm::monotonic())).await;
            }
        }
    }
}

/// True when `s` runs nothing and mails nothing (what the notifier assumes for a name it
/// has no scripts for).
fn no_scripts(s: &Scripts) -> bool {
    let Scripts {
        master,
        backup,
        fault,
        stop,
        generic,
        smtp_alert,
        run_as,
    } = s;
    master.is_none()
        && backup.is_none()
        && fault.is_none()
        && stop.is_none()
        && generic.is_none()
        && !smtp_alert
        && run_as.is_empty()
}

/// What woke the loop.
enum Turn {
    Control(Option<Control>),
    Input(Option<Input>),
    Packets,
    Wake,
}

/// One packet from source `k` of the shell, to the instances of its VRID there.
fn on_frame(
    router: &mut Router,
    by_source: &[Vec<Vec<usize>>],
    now: Time,
    k: usize,
    frame: Frame<'_>,
    outs: &mut Vec<Output>,
) {
    let Some(vrid) = peek_vrid(frame) else {
        return;
    };
    let Some(targets) = by_source.get(k).and_then(|t| t.get(usize::from(vrid))) else {
        return;
    };
    for &i in targets {
        let o = router.handle_frame(now, i, frame);
        if !o.is_empty() {
            outs.extend(o);
        }
    }
}

/// The running daemon: router, shell, notifier.
pub struct Engine<S: Shell> {
    router: Router,
    /// What the loop keeps of each [`InstanceSpec`] besides the router's configuration.
    specs: Vec<SpecRest>,
    groups: Vec<GroupSpec>,
    by_vrid: HashMap<(Arc<str>, Family, u8), Vec<usize>>,
    /// Per source of [`Shell::sources`], per VRID: the instances a packet goes to.
    by_source: Vec<Vec<Vec<usize>>>,
    shell: S,
    notifier: Notifier,
    clock: Clock,
    dropped: Option<Arc<Dropped>>,
    /// [`Shell::settled`] is due then (CLOCK_MONOTONIC), [`SETTLE`] after the last state change.
    settle_at: Option<Duration>,
    /// `lvs_sync_daemon ... inst NAME`: the instance whose state picks the sync daemon's role.
    syncd: Option<(String, crate::lvs::syncd::Driver)>,
    /// Rejected adverts said at a bounded rate.
    rejected: crate::rxlog::RejectLog,
}

fn notify_state(s: State) -> Option<NotifyState> {
    match s {
        State::Master => Some(NotifyState::Master),
        State::Backup => Some(NotifyState::Backup),
        State::Fault => Some(NotifyState::Fault),
        State::Stop => Some(NotifyState::Stop),
        State::Init => None,
    }
}

/// keepalived's numbering in its dumps.
fn state_number(s: State) -> u8 {
    match s {
        State::Init => 0,
        State::Backup => 1,
        State::Master => 2,
        State::Fault => 3,
        State::Stop => 98,
    }
}

impl<S: Shell> Engine<S> {
    pub fn new(mut plan: Plan, shell: S, mut notifier: Notifier) -> Self {
        let sources = shell.sources();
        // Packets come through the shell's sources (by_source), or as Input::Packet (by_vrid).
        let mut by_vrid: HashMap<(Arc<str>, Family, u8), Vec<usize>> = HashMap::new();
        if sources.is_empty() {
            for (i, s) in plan.instances.iter().enumerate() {
                by_vrid
                    .entry((
                        Arc::from(s.interface.as_str()),
                        Family::of(&s.cfg.src),
                        s.cfg.vrid,
                    ))
                    .or_default()
                    .push(i);
            }
        }
        let by_source = sources
            .iter()
            .map(|(ifname, family)| {
                let mut t = vec![Vec::new(); 256];
                for (i, s) in plan.instances.iter().enumerate() {
                    if s.interface == *ifname && Family::of(&s.cfg.src) == *family {
                        t[usize::from(s.cfg.vrid)].push(i);
                    }
                }
                t
            })
            .collect();
        // One copy of each instance's configuration (the router's) and of its scripts (the
        // notifier's, only when there are any: a missing entry means none): with 1,000
        // instances the copies were a third of the heap.
        for s in plan.instances.iter_mut() {
            if !no_scripts(&s.scripts) {
                notifier.set_scripts(&s.cfg.name, std::mem::take(&mut s.scripts));
            }
        }
        for g in plan.groups.iter_mut() {
            if !no_scripts(&g.scripts) {
                notifier.set_scripts(&g.cfg.name, std::mem::take(&mut g.scripts));
            }
        }
        let instances = plan
            .instances
            .iter_mut()
            .map(|s| {
                let placeholder = InstanceConfig::new(String::new(), s.cfg.vrid, s.cfg.src);
                Instance::new(std::mem::replace(&mut s.cfg, placeholder))
            })
            .collect();
        let router = Router::new(
            instances,
            plan.groups.iter().map(|g| g.cfg.clone()).collect(),
        );
        let mut specs: Vec<SpecRest> = plan
            .instances
            .into_iter()
            .map(|s| SpecRest {
                interface: s.interface,
                vip_lines: s.vip_lines,
                tracked_links: s.tracked_links,
            })
            .collect();
        // The collect reuses the plan's allocation, sized for whole InstanceSpecs.
        specs.shrink_to_fit();
        Self {
            router,
            specs,
            groups: plan.groups,
            by_vrid,
            by_source,
            shell,
            notifier,
            clock: Clock::start(),
            dropped: None,
            settle_at: None,
            syncd: None,
            rejected: crate::rxlog::RejectLog::default(),
        }
    }

    /// Lets the stats dump report log lines lost to a slow log output.
    pub fn with_dropped(mut self, d: Arc<Dropped>) -> Self {
        self.dropped = Some(d);
        self
    }

    /// The IPVS sync daemon follows instance `name` (keepalived's `lvs_sync_daemon IF inst NAME`).
    pub fn with_sync_daemon(mut self, name: String, driver: crate::lvs::syncd::Driver) -> Self {
        self.syncd = Some((name, driver));
        self
    }

    /// Stops the sync daemon the instance drove (after the loop ended).
    pub fn stop_sync_daemon(&mut self) {
        if let Some((_, d)) = self.syncd.take() {
            d.stop();
        }
    }

    pub fn router(&self) -> &Router {
        &self.router
    }

    pub fn shell(&self) -> &S {
        &self.shell
    }

    /// Runs until a stop request (signal) or until `controls` closes; then releases everything.
    pub async fn run(
        &mut self,
        mut inputs: mpsc::Receiver<Input>,
        mut controls: mpsc::Receiver<Control>,
    ) {
        let now = self.clock.now();
        let outs = self.router.startup(now);
        self.execute(outs).await;
        tracing::info!("Startup complete");
        let mut wake = Wake::new();
        let mut outs: Vec<Output> = Vec::new();
        self.settle_at = Some(keepalived_sys::alarm::monotonic() + SETTLE);
        loop {
            let deadline = [
                self.router.next_deadline().map(|t| self.clock.monotonic(t)),
                self.shell.next_wake(),
                self.settle_at,
            ]
            .into_iter()
            .flatten()
            .min();
            let turn = {
                let Engine {
                    router,
                    shell,
                    by_source,
                    clock,
                    ..
                } = self;
                let outs = &mut outs;
                let packets = std::future::poll_fn(|cx| {
                    let mut now = None;
                    shell.poll_packets(cx, &mut |k, frame| {
                        let now = *now.get_or_insert_with(|| clock.now());
                        on_frame(router, by_source, now, k, frame, outs);
                    })
                });
                let sleep = async {
                    match deadline {
                        Some(d) => wake.until(d).await,
                        None => std::future::pending().await,
                    }
                };
                tokio::select! {
                    biased;
                    c = controls.recv() => Turn::Control(c),
                    input = inputs.recv() => Turn::Input(input),
                    _ = packets => Turn::Packets,
                    _ = sleep => Turn::Wake,
                }
            };
            match turn {
                Turn::Control(Some(Control::Stop) | None) => break,
                Turn::Control(Some(c)) => self.control(c),
                Turn::Input(Some(i)) => self.input(i).await,
                Turn::Input(None) => break,
                Turn::Packets => {}
                Turn::Wake => {
                    // Adverts that came while the sockets were quiet count before any timer.
                    let Engine {
                        router,
                        shell,
                        by_source,
                        clock,
                        ..
                    } = self;
                    let now = clock.now();
                    shell.drain(clock.monotonic(now), &mut |k, frame| {
                        on_frame(router, by_source, now, k, frame, &mut outs);
                    });
                    outs.extend(self.router.timer(self.clock.now()));
                    if self
                        .settle_at
                        .is_some_and(|t| t <= keepalived_sys::alarm::monotonic())
                    {
                        self.settle_at = None;
                        self.shell.settled();
                    }
                }
            }
            if !outs.is_empty() {
                let o = std::mem::take(&mut outs);
                self.execute(o).await;
            }
        }
        self.stop().await;
    }

    async fn input(&mut self, input: Input) {
        let now = self.clock.now();
        match input {
            Input::Packet { interface, packet } => {
                let family = match &packet {
                    Packet::Ipv4(_) => Family::V4,
                    Packet::Ipv6 { .. } => Family::V6,
                };
                let Some(vrid) = peek_vrid(packet.frame()) else {
                    return;
                };
                let Some(targets) = self.by_vrid.get(&(interface, family, vrid)) else {
                    return;
                };
                // One instance per VRID and interface is the rule: that one takes the packet
                // without a copy.
                if let [i] = targets[..] {
                    let outs = self.router.handle(now, i, Event::Packet(packet));
                    self.execute(outs).await;
                    return;
                }
                for i in targets.clone() {
                    let outs = self.router.handle(now, i, Event::Packet(packet.clone()));
                    self.execute(outs).await;
                }
            }
            Input::Tracker {
                instance,
                index,
                status,
            } => {
                let outs = self
                    .router
                    .handle(now, instance, Event::Tracker { index, status });
                self.execute(outs).await;
            }
            Input::Link { interface, up } => {
                let mut events = Vec::new();
                for (i, s) in self.specs.iter().enumerate() {
                    if s.interface == interface {
                        events.push((i, Event::Interface { up }));
                    }
                    for (index, name) in &s.tracked_links {
                        if *name == interface {
                            let status = if up {
                                TrackerStatus::Up
                            } else {
                                TrackerStatus::Down
                            };
                            events.push((
                                i,
                                Event::Tracker {
                                    index: *index,
                                    status,
                                },
                            ));
                        }
                    }
                }
                for (i, ev) in events {
                    let outs = self.router.handle(now, i, ev);
                    self.execute(outs).await;
                }
            }
        }
    }

    /// Adverts queued by [`Engine::execute`] go out together (one `sendmmsg` per socket).
    async fn flush_sends(&mut self, sends: &mut Vec<(usize, IpAddr, &[u8])>) {
        if sends.is_empty() {
            return;
        }
        for (k, e) in self.shell.send_batch(sends).await {
            if let Some((i, dst, _)) = sends.get(k) {
                tracing::warn!("({}) sending advert to {dst}: {e}", self.name(*i));
            }
        }
        sends.clear();
    }

    async fn execute(&mut self, outs: Vec<keepalived_vrrp::Output>) {
        let mut sends: Vec<(usize, IpAddr, &[u8])> = Vec::new();
        for o in &outs {
            let i = o.instance;
            if let Action::Send { dst, bytes, .. } = &o.action {
                sends.push((i, *dst, bytes));
                continue;
            }
            // Whatever follows an advert (VIPs, GARPs) happens after it is on the wire.
            self.flush_sends(&mut sends).await;
            match &o.action {
                Action::Send { .. } => {}
                Action::Notify(Notify::State(s)) => self.state_change(i, *s),
                Action::Notify(Notify::Priority(p)) => {
                    tracing::info!("({}) Changing effective priority to {p}", self.name(i));
                }
                Action::Notify(Notify::MasterRxLowerPri) => {}
                Action::Notify(Notify::MasterRxHigherPri {
                    from,
                    priority,
                    ours,
                    same_priority,
                }) => {
                    let name = self.name(i);
                    if *same_priority {
                        tracing::info!(
                            "({name}) Master received advert from {from} with same priority {priority} but higher IP address than ours"
                        );
                    } else {
                        tracing::info!(
                            "({name}) Master received advert from {from} with higher priority {priority}, ours {ours}"
                        );
                    }
                }
                Action::Notify(Notify::Rejected(e)) => {
                    if let Some(inst) = self.router.instance(i) {
                        let version = inst.config().version;
                        let name = inst.name().to_string();
                        if let Some(line) =
                            self.rejected
                                .line(std::time::Instant::now(), i, &name, version, e)
                        {
                            tracing::info!("{line}");
                        }
                    }
                }
                Action::GroupNotify { group, state } => {
                    tracing::info!("({group}) Syncing instances to {state} state");
                    if let Some(ns) = notify_state(*state) {
                        let prio = 0;
                        self.notifier.notify(&Notice {
                            subject: Subject::Group,
                            name: group,
                            state: ns,
                            priority: prio,
                        });
                    }
                }
                other => {
                    if matches!(other, Action::Garp { .. }) {
                        // A GARP burst (garp_master_delay after a takeover) also runs code
                        // the steady loop does not: settle after it, not before.
                        self.settle_at = Some(keepalived_sys::alarm::monotonic() + SETTLE);
                    }
                    if let Err(e) = self.shell.apply(i, other).await {
                        tracing::error!("({}) {e}", self.name(i));
                    }
                }
            }
        }
        self.flush_sends(&mut sends).await;
    }

    fn name(&self, i: usize) -> &str {
        self.router.instance(i).map(|s| s.name()).unwrap_or("?")
    }

    fn state_change(&mut self, i: usize, s: State) {
        self.settle_at = Some(keepalived_sys::alarm::monotonic() + SETTLE);
        let Some(inst) = self.router.instance(i) else {
            return;
        };
        let prio = inst.effective_priority();
        let init = matches!(inst.last_cause(), Some(keepalived_vrrp::Cause::Startup));
        let name = self.name(i).to_string();
        if let Some((inst, d)) = &self.syncd
            && *inst == name
        {
            // keepalived: a master runs the sync master; leaving master (backup, fault) the
            // sync backup.
            match s {
                State::Master => d.set(crate::lvs::syncd::Role::Master),
                State::Backup | State::Fault => d.set(crate::lvs::syncd::Role::Backup),
                State::Init | State::Stop => {}
            }
        }
        match s {
            State::Stop => {}
            _ if init && s == State::Backup => {
                tracing::info!("({name}) Entering {s} STATE (init)")
            }
            _ => tracing::info!("({name}) Entering {s} STATE"),
        }
        if let Some(ns) = notify_state(s) {
            self.notifier.notify(&Notice {
                subject: Subject::Instance,
                name: &name,
                state: ns,
                priority: prio,
            });
        }
    }

    fn control(&mut self, c: Control) {
        let snaps = self.snapshot();
        let dropped = self.dropped.as_ref().map(|d| d.count()).unwrap_or(0);
        let (what, path, text) = match c {
            Control::DumpData => ("data", DATA_FILE, dump::data(&snaps, dropped)),
            Control::DumpStats => ("stats", STATS_FILE, dump::stats(&snaps)),
            Control::DumpJson => ("json", JSON_FILE, dump::json(&snaps)),
            Control::Reload => {
                tracing::warn!(
                    "Reload (SIGHUP) is not implemented yet: the running configuration is kept; restart to apply changes"
                );
                return;
            }
            Control::ClearStats => {
                tracing::warn!("Clearing statistics is not implemented yet");
                return;
            }
            Control::Stop => return,
        };
        tracing::info!(
            "Printing VRRP {what} for process({}) on signal",
            std::process::id()
        );
        // Off the loop: no file system, however slow, delays an advert. The write cannot block
        // on what is at the path (it is replaced, never opened); a later signal's dump may
        // overtake a slow one, and the last rename wins, as with two keepalived dumps.
        let path = dump::dir().join(path).display().to_string();
        drop(tokio::task::spawn_blocking(move || {
            if let Err(e) = dump::write_file(&path, &text) {
                tracing::error!("writing {path}: {e}");
            }
        }));
    }

    /// A plain snapshot of every instance for the dumps and the tests.
    pub fn snapshot(&self) -> Vec<InstanceSnapshot> {
        self.router
            .instances()
            .iter()
            .zip(&self.specs)
            .map(|(inst, spec)| {
                let st = inst.stats();
                InstanceSnapshot {
                    name: inst.name().to_string(),
                    interface: spec.interface.clone(),
                    vrid: inst.config().vrid,
                    version: inst.config().version.number(),
                    state: state_number(inst.state()),
                    base_priority: inst.base_priority(),
                    effective_priority: inst.effective_priority(),
                    master_priority: 0,
                    advert_int_secs: inst.config().adver_int.as_secs_f64(),
                    vips: spec.vip_lines.clone(),
                    counters: Counters {
                        advert_rcvd: st.advert_rcvd,
                        advert_sent: st.advert_sent,
                        become_master: st.become_master,
                        release_master: st.release_master,
                        packet_len_err: st.packet_len_err,
                        ip_ttl_err: st.ip_ttl_err,
                        invalid_type_rcvd: st.invalid_type_rcvd,
                        advert_interval_err: st.advert_interval_err,
                        addr_list_err: st.addr_list_err,
                        invalid_authtype: st.invalid_authtype,
                        authtype_mismatch: st.authtype_mismatch,
                        auth_failure: st.auth_failure,
                        pri_zero_rcvd: st.pri_zero_rcvd,
                        pri_zero_sent: st.pri_zero_sent,
                    },
                }
            })
            .collect()
    }

    /// SIGTERM: priority-0 advert from every master, addresses released, STOP notifies.
    async fn stop(&mut self) {
        tracing::info!("Stopping");
        let now = self.clock.now();
        for i in 0..self.specs.len() {
            let outs = self.router.handle(now, i, Event::Shutdown);
            self.execute(outs).await;
        }
        let _ = &self.groups;
        self.shell.finish().await;
        self.notifier.drain(Duration::from_secs(5)).await;
        tracing::info!("Stopped");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use keepalived_vrrp::InitialState;
    use keepalived_vrrp::packet::Version;
    use std::sync::Mutex;

    /// A LAN in memory: every advert sent by one node is delivered to the others.
    #[derive(Clone, Default)]
    struct Lan {
        nodes: Arc<Mutex<Vec<mpsc::Sender<Input>>>>,
        vips: Arc<Mutex<Vec<bool>>>,
    }

    struct FakeShell {
        me: usize,
        lan: Lan,
    }

    impl Shell for FakeShell {
        async fn send(
            &mut self,
            _instance: usize,
            _dst: IpAddr,
            bytes: &[u8],
        ) -> crate::Result<()> {
            let nodes = self.lan.nodes.lock().unwrap().clone();
            for (n, tx) in nodes.iter().enumerate() {
                if n != self.me {
                    let _ = tx.try_send(Input::Packet {
                        interface: "eth0".into(),
                        packet: Packet::Ipv4(bytes.to_vec()),
                    });
                }
            }
            Ok(())
        }

        async fn apply(&mut self, _instance: usize, action: &Action) -> crate::Result<()> {
            let mut v = self.lan.vips.lock().unwrap();
            match action {
                Action::AddVips => v[self.me] = true,
                Action::RemoveVips => v[self.me] = false,
                _ => {}
            }
            Ok(())
        }
    }

    fn plan(me: u8, prio: u8, state: InitialState, out: &std::path::Path) -> Plan {
        let src: IpAddr = [10, 0, 0, me].into();
        let mut cfg = InstanceConfig::new(format!("VI_{me}"), 51, src);
        cfg.version = Version::V3;
        cfg.priority = prio;
        cfg.initial_state = state;
        cfg.adver_int = Duration::from_millis(20);
        cfg.vips = vec![[10, 0, 0, 100].into()];
        let line = format!("/bin/sh -c 'echo \"$@\" >> {}' sh", out.display());
        Plan {
            instances: vec![InstanceSpec {
                cfg,
                interface: "eth0".into(),
                scripts: Scripts {
                    generic: Some(line),
                    ..Default::default()
                },
                vip_lines: vec!["10.0.0.100/24".into()],
                tracked_links: vec![],
            }],
            groups: vec![],
        }
    }

    #[test]
    fn election_then_sigterm_hands_over_with_notifies() {
        let dir = tempfile::tempdir().unwrap();
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let local = tokio::task::LocalSet::new();
        local.block_on(&rt, async {
            let lan = Lan::default();
            *lan.vips.lock().unwrap() = vec![false, false];
            let mut stops = Vec::new();
            let mut runs = Vec::new();
            let outs = [dir.path().join("a"), dir.path().join("b")];
            for (n, (prio, st)) in [(150, InitialState::Master), (100, InitialState::Backup)]
                .into_iter()
                .enumerate()
            {
                let (tx, rx) = mpsc::channel(64);
                lan.nodes.lock().unwrap().push(tx);
                let (ctx, crx) = mpsc::channel(4);
                stops.push(ctx);
                let shell = FakeShell {
                    me: n,
                    lan: lan.clone(),
                };
                // Scripts run as the test's own user (no default user: none would run).
                let own = crate::notify::ScriptSecurity {
                    uid: Some(nix::unistd::getuid().as_raw()),
                    gid: Some(nix::unistd::getgid().as_raw()),
                    enforce: false,
                };
                let notifier = Notifier::new(own, Vec::new(), None);
                let mut e = Engine::new(plan(n as u8 + 1, prio, st, &outs[n]), shell, notifier);
                runs.push(tokio::task::spawn_local(async move {
                    e.run(rx, crx).await;
                    e.snapshot()
                }));
            }
            tokio::time::sleep(Duration::from_millis(300)).await;
            assert_eq!(*lan.vips.lock().unwrap(), [true, false]);
            stops[0].send(Control::Stop).await.unwrap();
            let a = runs.remove(0).await.unwrap();
            assert_eq!(a[0].counters.pri_zero_sent, 1);
            // B takes over after skew time only (priority 0 received): well under 3 intervals.
            tokio::time::sleep(Duration::from_millis(40)).await;
            assert_eq!(*lan.vips.lock().unwrap(), [false, true]);
            stops[1].send(Control::Stop).await.unwrap();
            let b = runs.remove(0).await.unwrap();
            assert_eq!(b[0].counters.become_master, 1);
        });
        let a = std::fs::read_to_string(dir.path().join("a")).unwrap();
        let b = std::fs::read_to_string(dir.path().join("b")).unwrap();
        assert!(a.contains("INSTANCE VI_1 MASTER 150"), "{a}");
        assert!(a.contains("INSTANCE VI_1 STOP 150"), "{a}");
        assert!(b.contains("INSTANCE VI_2 BACKUP 100"), "{b}");
        assert!(b.contains("INSTANCE VI_2 MASTER 100"), "{b}");
    }
}
