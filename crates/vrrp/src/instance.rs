//! One VRRP instance (`vrrp_instance`): the INIT/BACKUP/MASTER/FAULT machine with keepalived
//! 2.2.7's timers, preemption rules, tracker priorities, GARP schedule and counters.
//!
//! The machine is driven by [`Instance::handle`] with the current time; it answers with
//! [`Action`]s and is to be woken again at [`Instance::next_deadline`].

use std::net::IpAddr;
use std::time::Duration;

use crate::Time;
use crate::packet::{
    self, Advert, Auth, AuthConfig, ChecksumMode, Counter, Family, Frame, OldUnicastChecksum,
    Packet, Peer, RxError, TxParams, ValidationContext, Version,
};
use crate::tracker::{TrackerConfig, TrackerStatus, Trackers};

/// keepalived's instance states (`STOP` once shut down).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
pub enum State {
    Init,
    Backup,
    Master,
    Fault,
    Stop,
}

impl std::fmt::Display for State {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            State::Init => "INIT",
            State::Backup => "BACKUP",
            State::Master => "MASTER",
            State::Fault => "FAULT",
            State::Stop => "STOP",
        })
    }
}

/// The configured `state` keyword; without it keepalived derives MASTER for the owner (255).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum InitialState {
    #[default]
    FromPriority,
    Backup,
    Master,
}

/// GARP / unsolicited NA schedule (`garp_master_*`, `garp_lower_prio_*`; `vrrp_min_garp` sets
/// repeat 1 and delay 0 via [`GarpConfig::min`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GarpConfig {
    pub master_delay: Duration,
    pub master_repeat: u32,
    /// Zero: no refresh.
    pub master_refresh: Duration,
    pub master_refresh_repeat: u32,
    pub lower_prio_delay: Duration,
    pub lower_prio_repeat: u32,
}

impl Default for GarpConfig {
    fn default() -> Self {
        GarpConfig {
            master_delay: Duration::from_secs(5),
            master_repeat: 5,
            master_refresh: Duration::ZERO,
            master_refresh_repeat: 1,
            lower_prio_delay: Duration::from_secs(5),
            lower_prio_repeat: 5,
        }
    }
}

impl GarpConfig {
    /// `vrrp_min_garp`: one message, no delayed second burst.
    pub fn min() -> Self {
        GarpConfig {
            master_delay: Duration::ZERO,
            master_repeat: 1,
            lower_prio_delay: Duration::ZERO,
            lower_prio_repeat: 1,
            ..GarpConfig::default()
        }
    }
}

/// What the daemon maps a `vrrp_instance` block to. [`InstanceConfig::new`] gives keepalived's
/// defaults; [`Instance::new`] applies keepalived's consistency rules (strict mode, owner, AH).
#[derive(Debug, Clone, PartialEq)]
pub struct InstanceConfig {
    pub name: String,
    pub vrid: u8,
    pub version: Version,
    /// Configured priority (1..=255); 255 is the address owner.
    pub priority: u8,
    pub initial_state: InitialState,
    pub adver_int: Duration,
    /// Source of our adverts (unicast_src_ip or the interface's primary address), also our side of
    /// the equal-priority tie-break.
    pub src: IpAddr,
    /// Multicast destination (ignored with unicast peers).
    pub mcast_group: IpAddr,
    pub peers: Vec<Peer>,
    pub check_unicast_src: bool,
    pub vips: Vec<IpAddr>,
    pub excluded_vips: Vec<IpAddr>,
    pub has_routes: bool,
    pub has_rules: bool,
    pub auth: AuthConfig,
    pub nopreempt: bool,
    pub preempt_delay: Duration,
    pub down_timer_adverts: u32,
    pub strict: bool,
    pub lower_prio_no_advert: bool,
    pub higher_prio_send_advert: bool,
    pub owner_ignore_adverts: bool,
    pub skip_check_adv_addr: bool,
    pub garp: GarpConfig,
    pub checksum: ChecksumMode,
    pub old_unicast_checksum: OldUnicastChecksum,
    pub notify_priority_changes: bool,
    /// TTL / hop limit of sent adverts (255; unicast may lower it).
    pub ttl: u8,
    pub trackers: Vec<TrackerConfig>,
}

impl InstanceConfig {
    pub fn new(name: impl Into<String>, vrid: u8, src: IpAddr) -> Self {
        let mcast_group = match src {
            IpAddr::V4(_) => IpAddr::V4(packet::MCAST_GROUP4),
            IpAddr::V6(_) => IpAddr::V6(packet::MCAST_GROUP6),
        };
        InstanceConfig {
            name: name.into(),
            vrid,
            version: Version::V2,
            priority: 100,
            initial_state: InitialState::FromPriority,
            adver_int: Duration::from_secs(1),
            src,
            mcast_group,
            peers: Vec::new(),
            check_unicast_src: false,
            vips: Vec::new(),
            excluded_vips: Vec::new(),
            has_routes: false,
            has_rules: false,
            auth: AuthConfig::None,
            nopreempt: false,
            preempt_delay: Duration::ZERO,
            down_timer_adverts: 3,
            strict: false,
            lower_prio_no_advert: false,
            higher_prio_send_advert: false,
            owner_ignore_adverts: false,
            skip_check_adv_addr: false,
            garp: GarpConfig::default(),
            checksum: ChecksumMode::Standard,
            old_unicast_checksum: OldUnicastChecksum::Adopt,
            notify_priority_changes: false,
            ttl: packet::VRRP_TTL,
            trackers: Vec::new(),
        }
    }
}

/// Inputs to the machine; each comes with `now`.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// Leave INIT (keepalived's `vrrp_init_state`).
    Startup,
    /// The deadline from [`Instance::next_deadline`] has come.
    Timer,
    /// A packet for this VRID, as read from the socket.
    Packet(Packet),
    /// Tracker `index` (in `InstanceConfig::trackers`) has a new result.
    Tracker { index: usize, status: TrackerStatus },
    /// The instance's own interface went up or down (FAULT while down).
    Interface { up: bool },
    /// New configured priority (e.g. after a reload).
    SetPriority(u8),
    /// Daemon stopping: priority 0 advert, addresses released, STOP.
    Shutdown,
}

/// Notifications keepalived runs scripts / writes the FIFO / sends mail for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Notify {
    State(State),
    /// `notify_priority_changes`: the effective priority changed.
    Priority(u8),
    /// A master received a lower priority advert (`notify_master_rx_lower_pri`).
    MasterRxLowerPri,
    /// A master steps down for a peer's advert: higher priority, or the same priority from a
    /// higher address (`same_priority`). For the log, as keepalived says who took over.
    MasterRxHigherPri {
        from: IpAddr,
        priority: u8,
        ours: u8,
        same_priority: bool,
    },
    /// A received packet was rejected (also counted in [`crate::Stats`]). For the log: the daemon
    /// says why, as keepalived does, at a bounded rate.
    Rejected(RxError),
}

/// Outputs for the daemon to carry out, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Send these bytes (from [`packet::encode`]) to `dst`; `priority` for logging.
    Send {
        dst: IpAddr,
        priority: u8,
        bytes: Vec<u8>,
    },
    AddVips,
    RemoveVips,
    AddExcludedVips,
    RemoveExcludedVips,
    AddRoutes,
    RemoveRoutes,
    AddRules,
    RemoveRules,
    /// Send `repeat` gratuitous ARPs / unsolicited NAs for every VIP and excluded VIP, paced by
    /// the interface's `garp_interval` / `gna_interval`.
    Garp {
        repeat: u32,
    },
    /// Drop GARPs still queued for pacing (leaving MASTER).
    CancelGarps,
    /// One gratuitous ARP / unsolicited NA for our own source address: a unicast instance leaving
    /// FAULT refreshes the master's neighbour cache so its adverts reach us at once.
    GarpSource,
    Notify(Notify),
    /// The sync group `group` moved to `state` (group notify scripts / FIFO).
    GroupNotify {
        group: String,
        state: State,
    },
}

/// keepalived's per-instance counters (keepalived.stats plus the SNMP-only ones), named as in
/// keepalived's JSON output.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Stats {
    pub advert_rcvd: u64,
    pub advert_sent: u64,
    pub become_master: u64,
    pub release_master: u64,
    pub packet_len_err: u64,
    pub advert_interval_err: u64,
    pub ip_ttl_err: u64,
    pub invalid_type_rcvd: u64,
    pub addr_list_err: u64,
    pub invalid_authtype: u64,
    pub authtype_mismatch: u64,
    pub auth_failure: u64,
    pub pri_zero_rcvd: u64,
    pub pri_zero_sent: u64,
    pub chk_err: u64,
    pub vers_err: u64,
}

impl Stats {
    fn count(&mut self, c: Counter) {
        let f = match c {
            Counter::PacketLength => &mut self.packet_len_err,
            Counter::Ttl => &mut self.ip_ttl_err,
            Counter::Version => &mut self.vers_err,
            Counter::InvalidType => &mut self.invalid_type_rcvd,
            Counter::AdvertInterval => &mut self.advert_interval_err,
            Counter::AddressList => &mut self.addr_list_err,
            Counter::InvalidAuthType => &mut self.invalid_authtype,
            Counter::AuthTypeMismatch => &mut self.authtype_mismatch,
            Counter::AuthFailure => &mut self.auth_failure,
            Counter::Checksum => &mut self.chk_err,
        };
        *f += 1;
    }
}

/// Why the last state change happened (for logs and the simulator's causality check).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cause {
    Startup,
    MasterDown,
    HigherPriorityAdvert,
    Fault,
    FaultCleared,
    SyncGroup,
    Shutdown,
}

/// A VRRP instance.
#[derive(Debug, Clone)]
pub struct Instance {
    cfg: InstanceConfig,
    state: State,
    /// State wanted without regard to the sync group (keepalived's `wantstate`).
    pub(crate) wantstate: State,
    base_priority: u8,
    effective_priority: u8,
    trackers: Trackers,
    interface_up: bool,
    master_adver_int: u64,
    ms_down_timer: u64,
    sands: Option<Time>,
    preempt_time: Option<Time>,
    garp_delay_at: Option<Time>,
    lower_prio_garp_at: Option<Time>,
    garp_refresh_at: Option<Time>,
    vipset: bool,
    ah_seq: u32,
    ah_cycle: bool,
    ip_id: u16,
    master_addr: Option<IpAddr>,
    master_priority: u8,
    old_checksum_adopted: bool,
    notified: Option<State>,
    last_cause: Option<Cause>,
    stats: Stats,
    /// Set by [`crate::Router`] before each call: may this member become MASTER now?
    pub(crate) group_gate: Option<bool>,
    /// Set by [`crate::Router`]: the state its group is in (None outside a group).
    pub(crate) group_state: Option<State>,
    leaving_init: bool,
}

const TIMER_HZ: u64 = 1_000_000;
const PRIO_OWNER: u8 = 255;

fn us(d: Duration) -> u64 {
    u64::try_from(d.as_micros()).unwrap_or(u64::MAX)
}

impl Instance {
    /// Builds an instance in INIT, applying keepalived's configuration rules: strict mode forces
    /// RFC behaviour, the owner never uses nopreempt, AH forbids an initial MASTER, an initial MASTER
    /// clears nopreempt and preempt_delay, VRRPv3 and IPv6 have no authentication.
    pub fn new(mut cfg: InstanceConfig) -> Self {
        if cfg.priority == 0 {
            cfg.priority = if cfg.initial_state == InitialState::Master {
                PRIO_OWNER
            } else {
                100
            };
        }
        cfg.down_timer_adverts = cfg.down_timer_adverts.max(1);
        if cfg.adver_int.is_zero() {
            cfg.adver_int = Duration::from_secs(1);
        }
        let owner = cfg.priority == PRIO_OWNER;
        if cfg.initial_state == InitialState::FromPriority || cfg.strict {
            cfg.initial_state = if owner {
                InitialState::Master
            } else {
                InitialState::Backup
            };
        }
        if cfg.strict {
            cfg.auth = AuthConfig::None;
            cfg.preempt_delay = Duration::ZERO;
            cfg.down_timer_adverts = 3;
            cfg.garp.lower_prio_repeat = 0;
            cfg.garp.lower_prio_delay = Duration::ZERO;
            cfg.lower_prio_no_advert = true;
            cfg.higher_prio_send_advert = false;
        }
        if cfg.version == Version::V3 || Family::of(&cfg.src) == Family::V6 {
            cfg.auth = AuthConfig::None;
        }
        if matches!(cfg.auth, AuthConfig::Ah(_))
            && cfg.initial_state == InitialState::Master
            && !owner
        {
            cfg.initial_state = InitialState::Backup;
        }
        if owner {
            cfg.nopreempt = false;
        }
        if cfg.initial_state == InitialState::Master {
            cfg.nopreempt = false;
            cfg.preempt_delay = Duration::ZERO;
        }
        if cfg.nopreempt {
            cfg.preempt_delay = Duration::ZERO;
        }
        if cfg.version == Version::V2 {
            // VRRPv2 carries whole seconds
            let s = cfg.adver_int.as_secs().clamp(1, 255);
            cfg.adver_int = Duration::from_secs(s);
        } else {
            let cs = (cfg.adver_int.as_millis() / 10).clamp(1, 4095) as u64;
            cfg.adver_int = Duration::from_millis(cs * 10);
        }
        let wantstate = if cfg.initial_state == InitialState::Master {
            State::Master
        } else {
            State::Backup
        };
        let trackers = Trackers::new(&cfg.trackers);
        let mut inst = Instance {
            base_priority: cfg.priority,
            effective_priority: cfg.priority,
            master_adver_int: us(cfg.adver_int),
            cfg,
            state: State::Init,
            wantstate,
            trackers,
            interface_up: true,
            ms_down_timer: 0,
            sands: None,
            preempt_time: None,
            garp_delay_at: None,
            lower_prio_garp_at: None,
            garp_refresh_at: None,
            vipset: false,
            ah_seq: 0,
            ah_cycle: false,
            ip_id: 0,
            master_addr: None,
            master_priority: 0,
            old_checksum_adopted: false,
            notified: None,
            last_cause: None,
            stats: Stats::default(),
            group_gate: None,
            group_state: None,
            leaving_init: false,
        };
        inst.effective_priority = inst.compute_priority();
        inst.ms_down_timer = inst.ms_down_interval();
        inst
    }

    pub fn config(&self) -> &InstanceConfig {
        &self.cfg
    }
    pub fn name(&self) -> &str {
        &self.cfg.name
    }
    pub fn state(&self) -> State {
        self.state
    }
    pub fn stats(&self) -> &Stats {
        &self.stats
    }
    pub fn effective_priority(&self) -> u8 {
        self.effective_priority
    }
    pub fn base_priority(&self) -> u8 {
        self.base_priority
    }
    /// Address of the master whose adverts we last accepted (or ignored as lower priority).
    pub fn master_addr(&self) -> Option<IpAddr> {
        self.master_addr
    }
    /// The interval the master advertises (VRRPv3: learnt from its adverts).
    pub fn master_adver_int(&self) -> Duration {
        Duration::from_micros(self.master_adver_int)
    }
    /// Why the instance last changed state.
    pub fn last_cause(&self) -> Option<Cause> {
        self.last_cause
    }
    /// Whether the VIPs are currently installed by this instance.
    pub fn vips_set(&self) -> bool {
        self.vipset
    }
    /// True while a fault (own interface down, weight-0 tracker failing) or an unknown weight-0
    /// tracker holds the instance down.
    pub fn is_faulted(&self) -> bool {
        !self.interface_up || self.trackers.faulted() || self.trackers.initialising()
    }

    /// Skew_Time for priority `p`: VRRPv2 `(256-p)/256` s; VRRPv3 `(256-p) * Master_Adver_Interval
    /// / 256` computed in keepalived's centisecond integer arithmetic.
    fn skew(&self, p: u64) -> u64 {
        match self.cfg.version {
            Version::V3 => p * (self.master_adver_int / 10_000) * 625 / 16,
            Version::V2 => p * TIMER_HZ / 256,
        }
    }

    /// Master_Down_Interval = down_timer_adverts x Master_Adver_Interval + Skew_Time, in µs.
    pub fn ms_down_interval(&self) -> u64 {
        u64::from(self.cfg.down_timer_adverts) * self.master_adver_int
            + self.skew(256 - u64::from(self.effective_priority))
    }

    /// Master_Down_Interval as a duration.
    pub fn master_down_interval(&self) -> Duration {
        Duration::from_micros(self.ms_down_interval())
    }

    /// The earliest time the instance wants a [`Event::Timer`].
    pub fn next_deadline(&self) -> Option<Time> {
        [self.sands, self.garp_delay_at, self.lower_prio_garp_at]
            .into_iter()
            .flatten()
            .min()
    }

    /// Feeds one event; returns what to do, in order.
    pub fn handle(&mut self, now: Time, ev: Event) -> Vec<Action> {
        let mut out = Vec::new();
        match ev {
            Event::Startup => self.startup(now, &mut out),
            Event::Timer => self.timer(now, &mut out),
            Event::Packet(p) => self.packet(now, p.frame(), &mut out),
            Event::Tracker { index, status } => {
                let was_faulted = self.is_faulted();
                self.leaving_init =
                    self.trackers.initialising() && !self.trackers.faulted() && self.interface_up;
                self.trackers.set(index, status);
                self.after_fault_inputs(now, was_faulted, &mut out);
                self.leaving_init = false;
            }
            Event::Interface { up } => {
                let was_faulted = self.is_faulted();
                self.interface_up = up;
                self.after_fault_inputs(now, was_faulted, &mut out);
            }
            Event::SetPriority(p) => {
                let was_faulted = self.is_faulted();
                if p > 0 && self.base_priority != PRIO_OWNER && p != PRIO_OWNER {
                    self.base_priority = p;
                }
                self.after_fault_inputs(now, was_faulted, &mut out);
            }
            Event::Shutdown => self.shutdown(&mut out),
        }
        out
    }

    fn notify_state(&mut self, out: &mut Vec<Action>) {
        if self.notified != Some(self.state) {
            self.notified = Some(self.state);
            out.push(Action::Notify(Notify::State(self.state)));
        }
    }

    fn set_state(&mut self, s: State, cause: Cause) {
        if self.state != s {
            self.last_cause = Some(cause);
        }
        self.state = s;
    }

    /// Resets the instance's main timer the way keepalived's `vrrp_init_instance_sands` does.
    fn init_sands(&mut self, now: Time) {
        self.sands = match self.state {
            State::Master => Some(now + self.cfg.adver_int),
            State::Backup => Some(Time(now.0.saturating_add(self.ms_down_timer))),
            _ => None,
        };
    }

    fn startup(&mut self, now: Time, out: &mut Vec<Action>) {
        if self.state != State::Init {
            return;
        }
        let group = self.group_state.unwrap_or(self.wantstate);
        if self.is_faulted() || group == State::Fault {
            self.wantstate = State::Fault;
            self.set_state(State::Fault, Cause::Startup);
            // keepalived stays quiet while weight-0 scripts have not reported yet
            if !self.trackers.initialising() || self.trackers.faulted() || !self.interface_up {
                self.notify_state(out);
            }
        } else if group == State::Master
            && self.wantstate == State::Master
            && self.base_priority == PRIO_OWNER
        {
            // the owner times out of BACKUP at once (1 µs) without a BACKUP notification
            self.set_state(State::Backup, Cause::Startup);
            self.ms_down_timer = 1;
        } else {
            self.ms_down_timer = if group == State::Backup && self.wantstate == State::Master {
                self.master_adver_int + self.skew(1)
            } else {
                self.ms_down_interval()
            };
            self.set_state(State::Backup, Cause::Startup);
            self.notify_state(out);
        }
        self.init_sands(now);
    }

    fn timer(&mut self, now: Time, out: &mut Vec<Action>) {
        if let Some(t) = self.garp_delay_at
            && t <= now
        {
            self.garp_delay_at = None;
            if self.vipset {
                out.push(Action::Garp {
                    repeat: self.cfg.garp.master_repeat,
                });
            }
        }
        if let Some(t) = self.lower_prio_garp_at
            && t <= now
        {
            self.lower_prio_garp_at = None;
            if self.vipset {
                out.push(Action::Garp {
                    repeat: self.cfg.garp.lower_prio_repeat,
                });
            }
        }
        let Some(t) = self.sands else { return };
        if t > now {
            return;
        }
        let was = self.state;
        match self.state {
            State::Backup => {
                self.wantstate = State::Master;
                self.goto_master(now, Cause::MasterDown, out);
            }
            State::Master => self.master_tx(now, out),
            _ => {}
        }
        if was == State::Master && self.state == State::Master {
            // The next advert counts from this one's deadline, not from the (later) wake-up:
            // otherwise every wake-up's lateness adds up and a 10 ms interval becomes 11.5 ms.
            // A wake-up late by half an interval or more starts afresh, as keepalived does.
            let late = now.since(t);
            self.sands = Some(if late < self.cfg.adver_int / 2 {
                t + self.cfg.adver_int
            } else {
                now + self.cfg.adver_int
            });
        } else if self.state == State::Master || self.state == State::Backup {
            self.init_sands(now);
        }
    }

    /// keepalived's `vrrp_state_goto_master`: honours the sync group's veto.
    pub(crate) fn goto_master(&mut self, now: Time, cause: Cause, out: &mut Vec<Action>) {
        if self.group_gate == Some(false) {
            self.ms_down_timer = self.ms_down_interval();
            self.init_sands(now);
            return;
        }
        if self.ah_cycle {
            self.ah_cycle = false;
            self.ah_seq = 0;
        }
        self.set_state(State::Master, cause);
        self.init_sands(now);
        self.master_tx(now, out);
    }

    fn master_tx(&mut self, now: Time, out: &mut Vec<Action>) {
        // the old master must drop the VIPs before our GARPs, so the advert goes first
        self.send_advert(self.effective_priority, out);
        if !self.vipset {
            self.become_master(now, out);
            if !self.cfg.garp.master_delay.is_zero() {
                self.garp_delay_at = Some(now + self.cfg.garp.master_delay);
            }
        } else if let Some(t) = self.garp_refresh_at
            && now > t
        {
            out.push(Action::Garp {
                repeat: self.cfg.garp.master_refresh_repeat,
            });
            self.garp_refresh_at = Some(now + self.cfg.garp.master_refresh);
        }
    }

    fn become_master(&mut self, now: Time, out: &mut Vec<Action>) {
        self.stats.become_master += 1;
        if self.cfg.version == Version::V3 {
            self.master_adver_int = us(self.cfg.adver_int);
        }
        if !self.cfg.vips.is_empty() {
            out.push(Action::AddVips);
        }
        if !self.cfg.excluded_vips.is_empty() {
            out.push(Action::AddExcludedVips);
        }
        self.vipset = true;
        if self.cfg.has_routes {
            out.push(Action::AddRoutes);
        }
        if self.cfg.has_rules {
            out.push(Action::AddRules);
        }
        if !self.cfg.vips.is_empty() || !self.cfg.excluded_vips.is_empty() {
            out.push(Action::Garp {
                repeat: self.cfg.garp.master_repeat,
            });
        }
        if !self.cfg.garp.master_refresh.is_zero() {
            self.garp_refresh_at = Some(now + self.cfg.garp.master_refresh);
        }
        self.notify_state(out);
    }

    /// keepalived's `vrrp_restore_interface`.
    fn restore_interface(&mut self, send_prio0: bool, out: &mut Vec<Action>) {
        if send_prio0 {
            self.send_advert(0, out);
            self.stats.pri_zero_sent += 1;
        }
        if self.cfg.has_rules {
            out.push(Action::RemoveRules);
        }
        if self.cfg.has_routes {
            out.push(Action::RemoveRoutes);
        }
        if self.garp_delay_at.take().is_some() | self.lower_prio_garp_at.take().is_some() {
            out.push(Action::CancelGarps);
        }
        self.garp_refresh_at = None;
        if self.vipset {
            if !self.cfg.vips.is_empty() {
                out.push(Action::RemoveVips);
            }
            if !self.cfg.excluded_vips.is_empty() {
                out.push(Action::RemoveExcludedVips);
            }
            self.vipset = false;
        }
    }

    /// keepalived's `vrrp_state_leave_master` towards `wantstate` (BACKUP or FAULT).
    pub(crate) fn leave_master(
        &mut self,
        now: Time,
        send_prio0: bool,
        cause: Cause,
        out: &mut Vec<Action>,
    ) {
        match self.wantstate {
            State::Backup => self.preempt_time = None,
            State::Fault => self.send_advert(0, out),
            _ => return,
        }
        self.restore_interface(send_prio0, out);
        self.set_state(self.wantstate, cause);
        self.notify_state(out);
        self.ms_down_timer = self.ms_down_interval();
        self.init_sands(now);
        self.stats.release_master += 1;
    }

    /// keepalived's `vrrp_state_leave_fault` towards `wantstate`.
    pub(crate) fn leave_fault(&mut self, now: Time, cause: Cause, out: &mut Vec<Action>) {
        if self.wantstate == State::Master {
            self.goto_master(now, cause, out);
        } else {
            if self.wantstate == State::Fault && self.state == State::Master {
                self.send_advert(0, out);
                self.restore_interface(false, out);
            }
            self.set_state(self.wantstate, cause);
            self.notify_state(out);
            if self.state == State::Backup {
                self.preempt_time = None;
            }
        }
        self.master_adver_int = us(self.cfg.adver_int);
        self.ms_down_timer = self.ms_down_interval();
        self.init_sands(now);
    }

    /// Re-evaluates fault and priority after a tracker, interface or priority input.
    fn after_fault_inputs(&mut self, now: Time, was_faulted: bool, out: &mut Vec<Action>) {
        self.set_effective_priority(now, out);
        let faulted = self.is_faulted();
        if self.state == State::Init || self.state == State::Stop {
            return;
        }
        if faulted && !was_faulted {
            self.down(now, out);
        } else if !faulted && was_faulted {
            self.try_up(now, out);
        }
    }

    /// keepalived's `down_instance`.
    pub(crate) fn down(&mut self, now: Time, out: &mut Vec<Action>) {
        if self.state == State::Fault {
            self.wantstate = State::Fault;
            return;
        }
        self.wantstate = State::Fault;
        if self.state == State::Master {
            self.leave_master(now, true, Cause::Fault, out);
        } else {
            self.leave_fault(now, Cause::Fault, out);
        }
    }

    /// keepalived's `try_up_instance` for an instance outside a sync group (the router handles
    /// group members itself).
    pub(crate) fn try_up(&mut self, now: Time, out: &mut Vec<Action>) {
        // only an owner leaving INIT (first tracker results) goes straight back to MASTER
        let owner_master = self.leaving_init
            && self.base_priority == PRIO_OWNER
            && self.cfg.initial_state == InitialState::Master;
        self.wantstate = if owner_master {
            State::Master
        } else {
            State::Backup
        };
        self.master_adver_int = us(self.cfg.adver_int);
        self.ms_down_timer = self.ms_down_interval();
        if self.group_state.is_some() {
            // the router decides when a group member comes back
            return;
        }
        self.leave_fault(now, Cause::FaultCleared, out);
        self.garp_source(out);
    }

    pub(crate) fn garp_source(&self, out: &mut Vec<Action>) {
        if !self.cfg.peers.is_empty() {
            out.push(Action::GarpSource);
        }
    }

    /// The lower-priority GARP burst keepalived also sends for the other members of a master's
    /// sync group.
    pub(crate) fn lower_prio_garp(&mut self, now: Time, out: &mut Vec<Action>) {
        if self.cfg.garp.lower_prio_repeat == 0 {
            return;
        }
        out.push(Action::Garp {
            repeat: self.cfg.garp.lower_prio_repeat,
        });
        if !self.cfg.garp.lower_prio_delay.is_zero() {
            self.lower_prio_garp_at = Some(now + self.cfg.garp.lower_prio_delay);
        }
    }

    fn compute_priority(&self) -> u8 {
        if self.base_priority == PRIO_OWNER {
            return PRIO_OWNER;
        }
        let total = i64::from(self.base_priority) + self.trackers.weight_sum();
        total.clamp(1, i64::from(PRIO_OWNER - 1)) as u8
    }

    /// keepalived's `vrrp_set_effective_priority`: a BACKUP's running down timer moves by the
    /// change in Master_Down_Interval.
    fn set_effective_priority(&mut self, _now: Time, out: &mut Vec<Action>) {
        let p = self.compute_priority();
        if p == self.effective_priority {
            return;
        }
        self.effective_priority = p;
        let old = self.ms_down_timer;
        self.ms_down_timer = self.ms_down_interval();
        if self.state == State::Backup
            && let Some(s) = self.sands
        {
            self.sands = Some(if old < self.ms_down_timer {
                Time(s.0.saturating_add(self.ms_down_timer - old))
            } else {
                Time(s.0.saturating_sub(old - self.ms_down_timer))
            });
        }
        if self.cfg.notify_priority_changes {
            out.push(Action::Notify(Notify::Priority(p)));
        }
    }

    fn shutdown(&mut self, out: &mut Vec<Action>) {
        if self.state == State::Master {
            self.restore_interface(true, out);
        }
        self.set_state(State::Stop, Cause::Shutdown);
        self.notify_state(out);
        self.sands = None;
        self.garp_delay_at = None;
        self.lower_prio_garp_at = None;
        self.garp_refresh_at = None;
    }

    fn validation_context(&self, check_addrs: bool) -> ValidationContext<'_> {
        let old = if self.old_checksum_adopted {
            OldUnicastChecksum::Always
        } else {
            self.cfg.old_unicast_checksum
        };
        ValidationContext {
            version: self.cfg.version,
            family: Family::of(&self.cfg.src),
            auth: self.cfg.auth,
            adver_int_cs: (self.cfg.adver_int.as_millis() / 10) as u16,
            vips: &self.cfg.vips,
            check_addrs,
            peers: &self.cfg.peers,
            check_unicast_src: self.cfg.check_unicast_src,
            checksum: self.cfg.checksum,
            old_unicast_checksum: old,
            mcast_group4: match self.cfg.mcast_group {
                IpAddr::V4(g) => g,
                IpAddr::V6(_) => packet::MCAST_GROUP4,
            },
            ah_seq: self.ah_seq,
            owner_ignoring: self.cfg.owner_ignore_adverts && self.effective_priority == PRIO_OWNER,
        }
    }

    /// Feeds one received packet, borrowed from the socket layer's buffer (what
    /// [`Event::Packet`] does without the owned copy).
    pub fn handle_frame(&mut self, now: Time, frame: Frame<'_>) -> Vec<Action> {
        let mut out = Vec::new();
        self.packet(now, frame, &mut out);
        out
    }

    fn receive(
        &mut self,
        p: Frame<'_>,
        check_addrs: bool,
        out: &mut Vec<Action>,
    ) -> Option<packet::Received> {
        let res = packet::decode(p, &self.validation_context(check_addrs));
        match res {
            Ok(rx) => {
                self.stats.advert_rcvd += 1;
                if rx.advert.priority == 0 {
                    self.stats.pri_zero_rcvd += 1;
                }
                if rx.old_unicast_checksum {
                    self.old_checksum_adopted = true;
                }
                if let Auth::Ah { seq, .. } = rx.advert.auth {
                    self.ah_seq = seq;
                    if self.state == State::Backup {
                        self.ah_cycle = false;
                    }
                }
                Some(rx)
            }
            Err(e) => {
                self.count_rx_error(&e);
                if e != RxError::OwnerIgnoring {
                    out.push(Action::Notify(Notify::Rejected(e)));
                }
                None
            }
        }
    }

    fn count_rx_error(&mut self, e: &RxError) {
        if e.counted_as_received() {
            self.stats.advert_rcvd += 1;
        }
        if let Some(c) = e.counter() {
            self.stats.count(c);
        }
    }

    fn packet(&mut self, now: Time, p: Frame<'_>, out: &mut Vec<Action>) {
        match self.state {
            State::Backup => {
                self.backup_rx(now, p, out);
                self.init_sands(now);
            }
            State::Master => {
                if self.master_rx(now, p, out) {
                    self.leave_master(now, false, Cause::HigherPriorityAdvert, out);
                }
                if self.state != State::Master || !self.cfg.lower_prio_no_advert {
                    self.init_sands(now);
                }
            }
            // FAULT and INIT ignore adverts entirely, uncounted
            _ => {}
        }
    }

    /// keepalived's `vrrp_state_backup`.
    fn backup_rx(&mut self, now: Time, p: Frame<'_>, out: &mut Vec<Action>) {
        let src = match p {
            Frame::Ipv4(b) if b.len() >= 16 => Some(IpAddr::from([b[12], b[13], b[14], b[15]])),
            Frame::Ipv6 { src, .. } => Some(IpAddr::V6(src)),
            _ => None,
        };
        let check_addrs = !self.cfg.skip_check_adv_addr || src != self.master_addr;
        let remaining = self.sands.map(|s| s.0.saturating_sub(now.0)).unwrap_or(0);
        let Some(rx) = self.receive(p, check_addrs, out) else {
            // an ignored advert must not restart the down timer
            self.ms_down_timer = remaining;
            return;
        };
        let prio = rx.advert.priority;
        if prio == 0 {
            self.ms_down_timer = self.skew(256 - u64::from(self.effective_priority));
        } else if self.cfg.nopreempt
            || prio >= self.effective_priority
            || (!self.cfg.preempt_delay.is_zero() && self.preempt_time.is_none_or(|t| t > now))
        {
            if self.cfg.version == Version::V3 {
                self.master_adver_int = u64::from(rx.advert.adver_int_cs) * 10_000;
            }
            self.ms_down_timer = self.ms_down_interval();
            self.master_addr = Some(rx.src);
            self.master_priority = prio;
            if !self.cfg.preempt_delay.is_zero() {
                if prio >= self.effective_priority {
                    self.preempt_time = None;
                } else if self.preempt_time.is_none() {
                    self.preempt_time = Some(now + self.cfg.preempt_delay);
                }
            }
            self.wantstate = State::Backup;
        } else {
            // lower priority and preemption allowed: let the down timer run out
            self.master_addr = Some(rx.src);
            self.ms_down_timer = remaining;
        }
    }

    /// keepalived's `vrrp_state_master_rx`; true when we must become BACKUP.
    fn master_rx(&mut self, now: Time, p: Frame<'_>, out: &mut Vec<Action>) -> bool {
        let Some(rx) = self.receive(p, true, out) else {
            return false;
        };
        let prio = rx.advert.priority;
        let ours = self.effective_priority;
        let cmp = rx.src.cmp(&self.cfg.src);
        if prio == 0
            || (self.cfg.higher_prio_send_advert && (prio > ours || (prio == ours && cmp.is_gt())))
        {
            self.send_advert(ours, out);
            if prio == 0 {
                return false;
            }
        }
        if prio == ours && cmp.is_ne() && ours == PRIO_OWNER {
            // two address owners: keepalived reports a configuration error and steps down a notch
            self.effective_priority = PRIO_OWNER - 1;
            self.base_priority = PRIO_OWNER - 1;
        }
        let ours = self.effective_priority;
        if prio < ours || (prio == ours && cmp.is_lt()) {
            if let Auth::Ah { seq, .. } = rx.advert.auth {
                self.ah_seq = seq.wrapping_add(1);
                self.ah_cycle = false;
            }
            if !self.cfg.lower_prio_no_advert {
                self.send_advert(ours, out);
            }
            if self.cfg.garp.lower_prio_repeat > 0 {
                out.push(Action::Garp {
                    repeat: self.cfg.garp.lower_prio_repeat,
                });
                if !self.cfg.garp.lower_prio_delay.is_zero() {
                    self.lower_prio_garp_at = Some(now + self.cfg.garp.lower_prio_delay);
                }
            }
            out.push(Action::Notify(Notify::MasterRxLowerPri));
            return false;
        }
        if prio > ours || (prio == ours && cmp.is_gt()) {
            out.push(Action::Notify(Notify::MasterRxHigherPri {
                from: rx.src,
                priority: prio,
                ours,
                same_priority: prio == ours,
            }));
            self.ah_cycle = false;
            if self.cfg.version == Version::V3 {
                self.master_adver_int = u64::from(rx.advert.adver_int_cs) * 10_000;
            }
            self.ms_down_timer = self.ms_down_interval();
            self.master_addr = Some(rx.src);
            self.master_priority = prio;
            self.wantstate = State::Backup;
            return true;
        }
        false
    }

    /// Builds and queues one advert per destination (the group, or each unicast peer).
    fn send_advert(&mut self, priority: u8, out: &mut Vec<Action>) {
        self.ip_id = self.ip_id.wrapping_add(1);
        if self.ip_id == 0 {
            self.ip_id = 1;
        }
        let auth = match self.cfg.auth {
            AuthConfig::None => Auth::None,
            AuthConfig::Pass(k) => Auth::Pass(k),
            AuthConfig::Ah(_) => {
                if self.ah_seq > 0xFFFF_FFFD {
                    self.ah_cycle = true;
                } else {
                    self.ah_seq += 1;
                }
                let spi = match self.cfg.src {
                    IpAddr::V4(a) => u32::from(a),
                    IpAddr::V6(_) => 0,
                };
                Auth::Ah {
                    spi,
                    seq: self.ah_seq,
                }
            }
        };
        let advert = Advert {
            version: self.cfg.version,
            vrid: self.cfg.vrid,
            priority,
            adver_int_cs: (self.cfg.adver_int.as_millis() / 10) as u16,
            addrs: self.cfg.vips.clone(),
            auth,
        };
        let unicast = !self.cfg.peers.is_empty();
        let checksum = if self.cfg.checksum == ChecksumMode::AsV2 {
            ChecksumMode::AsV2
        } else if unicast
            && (self.old_checksum_adopted
                || self.cfg.old_unicast_checksum == OldUnicastChecksum::Always)
        {
            ChecksumMode::OldUnicast
        } else {
            ChecksumMode::Standard
        };
        let dsts: Vec<IpAddr> = if unicast {
            self.cfg.peers.iter().map(|p| p.addr).collect()
        } else {
            vec![self.cfg.mcast_group]
        };
        for dst in dsts {
            let tx = TxParams {
                src: self.cfg.src,
                dst,
                ttl: self.cfg.ttl,
                ip_id: self.ip_id,
                checksum,
                mcast_group4: match self.cfg.mcast_group {
                    IpAddr::V4(g) => g,
                    IpAddr::V6(_) => packet::MCAST_GROUP4,
                },
                ah_key: match self.cfg.auth {
                    AuthConfig::Ah(k) => k,
                    _ => [0; 8],
                },
                unicast,
            };
            if let Ok(bytes) = packet::encode(&advert, &tx) {
                out.push(Action::Send {
                    dst,
                    priority,
                    bytes,
                });
            }
        }
        self.stats.advert_sent += 1;
    }

    pub(crate) fn set_group_view(&mut self, state: Option<State>, gate: Option<bool>) {
        self.group_state = state;
        self.group_gate = gate;
    }

    pub(crate) fn force_state_fault_bodge(&mut self) {
        // keepalived's sync_fault marks a BACKUP member FAULT before leave_fault
        if self.state != State::Fault {
            self.last_cause = Some(Cause::SyncGroup);
        }
        self.state = State::Fault;
    }
}
