//! The event loop: packets, timers, tracker and link changes and signals go into the VRRP
//! [`Router`] with `now`; its actions come out to the [`Shell`] (wire and kernel) and the notifier.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use keepalived_sys::alarm::Alarm;
use keepalived_vrrp::packet::{Family, Packet, peek_vrid};
use keepalived_vrrp::{
    Action, Event, Instance, InstanceConfig, Notify, Router, State, SyncGroupConfig, Time,
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
}

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

/// The running daemon: router, shell, notifier.
pub struct Engine<S: Shell> {
    router: Router,
    specs: Vec<InstanceSpec>,
    groups: Vec<GroupSpec>,
    by_vrid: HashMap<(Arc<str>, Family, u8), Vec<usize>>,
    shell: S,
    notifier: Notifier,
    clock: Clock,
    dropped: Option<Arc<Dropped>>,
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
    pub fn new(plan: Plan, shell: S, mut notifier: Notifier) -> Self {
        let mut by_vrid: HashMap<(Arc<str>, Family, u8), Vec<usize>> = HashMap::new();
        for (i, s) in plan.instances.iter().enumerate() {
            by_vrid
                .entry((
                    Arc::from(s.interface.as_str()),
                    Family::of(&s.cfg.src),
                    s.cfg.vrid,
                ))
                .or_default()
                .push(i);
            notifier.set_scripts(&s.cfg.name, s.scripts.clone());
        }
        for g in &plan.groups {
            notifier.set_scripts(&g.cfg.name, g.scripts.clone());
        }
        let instances = plan
            .instances
            .iter()
            .map(|s| Instance::new(s.cfg.clone()))
            .collect();
        let router = Router::new(
            instances,
            plan.groups.iter().map(|g| g.cfg.clone()).collect(),
        );
        Self {
            router,
            specs: plan.instances,
            groups: plan.groups,
            by_vrid,
            shell,
            notifier,
            clock: Clock::start(),
            dropped: None,
        }
    }

    /// Lets the stats dump report log lines lost to a slow log output.
    pub fn with_dropped(mut self, d: Arc<Dropped>) -> Self {
        self.dropped = Some(d);
        self
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
        loop {
            let deadline = self.router.next_deadline().map(|t| self.clock.monotonic(t));
            let sleep = async {
                match deadline {
                    Some(d) => wake.until(d).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                biased;
                c = controls.recv() => match c {
                    Some(Control::Stop) | None => break,
                    Some(c) => self.control(c),
                },
                input = inputs.recv() => match input {
                    Some(i) => self.input(i).await,
                    None => break,
                },
                _ = sleep => {
                    let outs = self.router.timer(self.clock.now());
                    self.execute(outs).await;
                }
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

    async fn execute(&mut self, outs: Vec<keepalived_vrrp::Output>) {
        for o in outs {
            let i = o.instance;
            match &o.action {
                Action::Send { dst, bytes, .. } => {
                    if let Err(e) = self.shell.send(i, *dst, bytes).await {
                        tracing::warn!("({}) sending advert to {dst}: {e}", self.name(i));
                    }
                }
                Action::Notify(Notify::State(s)) => self.state_change(i, *s),
                Action::Notify(Notify::Priority(p)) => {
                    tracing::info!("({}) Changing effective priority to {p}", self.name(i));
                }
                Action::Notify(Notify::MasterRxLowerPri) => {}
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
                    if let Err(e) = self.shell.apply(i, other).await {
                        tracing::error!("({}) {e}", self.name(i));
                    }
                }
            }
        }
    }

    fn name(&self, i: usize) -> &str {
        self.specs
            .get(i)
            .map(|s| s.cfg.name.as_str())
            .unwrap_or("?")
    }

    fn state_change(&mut self, i: usize, s: State) {
        let Some(inst) = self.router.instance(i) else {
            return;
        };
        let prio = inst.effective_priority();
        let init = matches!(inst.last_cause(), Some(keepalived_vrrp::Cause::Startup));
        let name = self.name(i).to_string();
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
        if let Err(e) = dump::write_file(path, &text) {
            tracing::error!("writing {path}: {e}");
        }
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
                let notifier = Notifier::new(Default::default(), Vec::new(), None);
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
