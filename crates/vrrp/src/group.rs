//! Sync groups (`vrrp_sync_group`) and the [`Router`] that owns a daemon's instances: members
//! move to MASTER, BACKUP and FAULT together, following keepalived's transition matrix.
//!
//! Group tracking (`track_interface`/`track_script` in the group) is the daemon's job: it copies
//! each group tracker into every member's `trackers` (weight 0 unless `sync_group_tracking_weight`).

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use crate::Time;
use crate::instance::{Action, Cause, Event, Instance, State};
use crate::packet::Frame;

/// A `vrrp_sync_group`: indices of member instances in the [`Router`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncGroupConfig {
    pub name: String,
    pub members: Vec<usize>,
}

/// A sync group's live state.
#[derive(Debug, Clone)]
pub struct SyncGroup {
    pub cfg: SyncGroupConfig,
    state: State,
    num_member_fault: usize,
    notified: Option<State>,
}

impl SyncGroup {
    pub fn state(&self) -> State {
        self.state
    }
}

/// What [`Router::handle_inner`] feeds an instance.
enum Input<'a> {
    Event(Event),
    Frame(Frame<'a>),
}

/// An action tagged with the instance it belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Output {
    pub instance: usize,
    pub action: Action,
}

/// All instances of a daemon and their sync groups; events are routed here when groups exist.
#[derive(Debug, Clone)]
pub struct Router {
    instances: Vec<Instance>,
    groups: Vec<SyncGroup>,
    member_of: Vec<Option<usize>>,
    /// Each instance's deadline as last pushed to `timers`; an entry of the heap is stale when it
    /// no longer matches. With 1,000 instances, rescanning them all after every received advert
    /// was a third of the backup's CPU; this keeps a packet at O(log n).
    scheduled: Vec<Option<Time>>,
    timers: BinaryHeap<Reverse<(Time, usize)>>,
}

impl Router {
    /// Members listed in more than one group keep the first (as keepalived does); unknown indices
    /// are ignored.
    pub fn new(instances: Vec<Instance>, groups: Vec<SyncGroupConfig>) -> Self {
        let mut member_of = vec![None; instances.len()];
        let mut gs = Vec::new();
        for mut g in groups {
            g.members
                .retain(|&m| m < instances.len() && member_of.get(m).is_some_and(|x| x.is_none()));
            if g.members.is_empty() {
                continue;
            }
            for &m in &g.members {
                member_of[m] = Some(gs.len());
            }
            // the group starts MASTER only if every member is an owner wanting MASTER
            let all_owner = g.members.iter().all(|&m| {
                instances[m].wantstate == State::Master && instances[m].base_priority() == 255
            });
            gs.push(SyncGroup {
                cfg: g,
                state: if all_owner {
                    State::Master
                } else {
                    State::Backup
                },
                num_member_fault: 0,
                notified: None,
            });
        }
        let n = instances.len();
        let mut r = Router {
            instances,
            groups: gs,
            member_of,
            scheduled: vec![None; n],
            timers: BinaryHeap::new(),
        };
        r.reschedule_all();
        r
    }

    /// Brings instance `i`'s heap entry up to date after anything that may have moved its timers.
    fn reschedule(&mut self, i: usize) {
        let Some(inst) = self.instances.get(i) else {
            return;
        };
        let d = inst.next_deadline();
        if self.scheduled[i] != d {
            self.scheduled[i] = d;
            if let Some(t) = d {
                self.timers.push(Reverse((t, i)));
            }
        }
    }

    fn reschedule_all(&mut self) {
        for i in 0..self.instances.len() {
            self.reschedule(i);
        }
        self.prune();
    }

    /// After a change to instance `i` (and, through its sync group, its fellow members).
    fn reschedule_after(&mut self, i: usize) {
        match self.group_of(i) {
            Some(g) => {
                for k in 0..self.groups[g].cfg.members.len() {
                    let m = self.groups[g].cfg.members[k];
                    self.reschedule(m);
                }
                self.reschedule(i);
            }
            None => self.reschedule(i),
        }
        self.prune();
    }

    /// Drops stale entries from the top, so the top is always live; rebuilds the heap when stale
    /// entries pile up (backups push one per received advert).
    fn prune(&mut self) {
        while let Some(Reverse((t, i))) = self.timers.peek().copied() {
            if self.scheduled.get(i).copied().flatten() == Some(t) {
                break;
            }
            self.timers.pop();
        }
        if self.timers.len() > 4 * self.instances.len() + 64 {
            self.timers = self
                .scheduled
                .iter()
                .enumerate()
                .filter_map(|(i, d)| d.map(|t| Reverse((t, i))))
                .collect();
        }
    }

    pub fn instances(&self) -> &[Instance] {
        &self.instances
    }
    pub fn instance(&self, i: usize) -> Option<&Instance> {
        self.instances.get(i)
    }
    pub fn groups(&self) -> &[SyncGroup] {
        &self.groups
    }
    pub fn group_of(&self, i: usize) -> Option<usize> {
        self.member_of.get(i).copied().flatten()
    }

    /// Earliest deadline of any instance.
    pub fn next_deadline(&self) -> Option<Time> {
        self.timers.peek().map(|Reverse((t, _))| *t)
    }

    /// Starts every instance (groups with a faulted member start in FAULT).
    pub fn startup(&mut self, now: Time) -> Vec<Output> {
        for gi in 0..self.groups.len() {
            let faults = self.groups[gi]
                .cfg
                .members
                .iter()
                .filter(|&&m| self.instances[m].is_faulted())
                .count();
            self.groups[gi].num_member_fault = faults;
            if faults > 0 {
                self.groups[gi].state = State::Fault;
            }
        }
        let mut out = Vec::new();
        for i in 0..self.instances.len() {
            out.extend(self.handle(now, i, Event::Startup));
        }
        self.reschedule_all();
        for gi in 0..self.groups.len() {
            let s = self.groups[gi].state;
            if s == State::Fault || s == State::Backup {
                let first = self.groups[gi].cfg.members[0];
                self.group_notify(gi, first, &mut out);
            }
        }
        out
    }

    /// Stops every instance (priority 0 from masters, addresses released, STOP notifications).
    pub fn shutdown(&mut self, now: Time) -> Vec<Output> {
        let mut out = Vec::new();
        for i in 0..self.instances.len() {
            out.extend(self.handle(now, i, Event::Shutdown));
        }
        for g in &mut self.groups {
            g.state = State::Stop;
        }
        self.reschedule_all();
        out
    }

    /// Fires every instance whose deadline has come.
    pub fn timer(&mut self, now: Time) -> Vec<Output> {
        let mut due = Vec::new();
        while let Some(Reverse((t, i))) = self.timers.peek().copied() {
            if t > now {
                break;
            }
            self.timers.pop();
            if self.scheduled.get(i).copied().flatten() == Some(t) {
                self.scheduled[i] = None;
                due.push(i);
            }
        }
        // Each due instance fires once per call, as before the heap; one that a fellow member
        // already moved on is only put back.
        let mut out = Vec::new();
        for i in due {
            if self.instances[i].next_deadline().is_some_and(|t| t <= now) {
                out.extend(self.handle(now, i, Event::Timer));
            } else {
                self.reschedule(i);
                self.prune();
            }
        }
        out
    }

    fn can_goto_master(&self, i: usize) -> Option<bool> {
        let g = &self.groups[self.group_of(i)?];
        if g.state == State::Master {
            return Some(true);
        }
        Some(
            g.cfg
                .members
                .iter()
                .all(|&m| m == i || self.instances[m].wantstate == State::Master),
        )
    }

    fn refresh_view(&mut self, i: usize) {
        let gate = self.can_goto_master(i);
        let st = self.group_of(i).map(|g| self.groups[g].state);
        self.instances[i].set_group_view(st, gate);
    }

    fn tag(i: usize, actions: Vec<Action>, out: &mut Vec<Output>) {
        out.extend(actions.into_iter().map(|action| Output {
            instance: i,
            action,
        }));
    }

    /// Feeds one event to instance `i` and keeps its sync group together.
    pub fn handle(&mut self, now: Time, i: usize, ev: Event) -> Vec<Output> {
        let out = self.handle_inner(now, i, Input::Event(ev));
        self.reschedule_after(i);
        out
    }

    /// [`Router::handle`] with [`Event::Packet`], the packet borrowed from the socket layer's
    /// buffer instead of copied into an owned [`crate::packet::Packet`].
    pub fn handle_frame(&mut self, now: Time, i: usize, frame: Frame<'_>) -> Vec<Output> {
        let out = self.handle_inner(now, i, Input::Frame(frame));
        self.reschedule_after(i);
        out
    }

    fn handle_inner(&mut self, now: Time, i: usize, ev: Input<'_>) -> Vec<Output> {
        let mut out = Vec::new();
        if i >= self.instances.len() {
            return out;
        }
        self.refresh_view(i);
        let prev = self.instances[i].state();
        let was_faulted = self.instances[i].is_faulted();
        let startup = matches!(ev, Input::Event(Event::Startup));
        let actions = match ev {
            Input::Event(ev) => self.instances[i].handle(now, ev),
            Input::Frame(f) => self.instances[i].handle_frame(now, f),
        };
        Self::tag(i, actions, &mut out);
        let Some(gi) = self.group_of(i) else {
            return out;
        };
        let now_faulted = self.instances[i].is_faulted();
        if !startup && now_faulted && !was_faulted && prev != State::Init && prev != State::Stop {
            self.groups[gi].num_member_fault += 1;
            if self.groups[gi].num_member_fault == 1 {
                self.sync_fault(now, gi, i, &mut out);
            }
            return out;
        }
        if !startup && !now_faulted && was_faulted && prev != State::Init && prev != State::Stop {
            let g = &mut self.groups[gi];
            g.num_member_fault = g.num_member_fault.saturating_sub(1);
            if g.num_member_fault > 0 {
                return out;
            }
            self.refresh_view(i);
            let inst = &mut self.instances[i];
            if inst.wantstate == State::Master && inst.group_gate == Some(false) {
                inst.wantstate = State::Backup;
            }
            let mut acts = Vec::new();
            inst.leave_fault(now, Cause::FaultCleared, &mut acts);
            inst.garp_source(&mut acts);
            Self::tag(i, acts, &mut out);
            if self.instances[i].state() == State::Master {
                self.sync_master(now, gi, i, &mut out);
            } else {
                self.sync_backup(now, gi, i, &mut out);
            }
            return out;
        }
        let rx_lower = out
            .iter()
            .any(|o| o.action == Action::Notify(crate::instance::Notify::MasterRxLowerPri));
        if rx_lower {
            for m in self.groups[gi].cfg.members.clone() {
                if m != i {
                    let mut acts = Vec::new();
                    self.instances[m].lower_prio_garp(now, &mut acts);
                    Self::tag(m, acts, &mut out);
                }
            }
        }
        let new = self.instances[i].state();
        match (prev, new) {
            (State::Backup | State::Master | State::Fault, State::Master) => {
                self.sync_master(now, gi, i, &mut out)
            }
            (State::Master, State::Backup) => self.sync_backup(now, gi, i, &mut out),
            _ => {}
        }
        out
    }

    fn group_notify(&mut self, gi: usize, i: usize, out: &mut Vec<Output>) {
        let g = &mut self.groups[gi];
        if g.notified != Some(g.state) {
            g.notified = Some(g.state);
            out.push(Output {
                instance: i,
                action: Action::GroupNotify {
                    group: g.cfg.name.clone(),
                    state: g.state,
                },
            });
        }
    }

    fn sync_master(&mut self, now: Time, gi: usize, i: usize, out: &mut Vec<Output>) {
        if self.groups[gi].state == State::Master || self.can_goto_master(i) != Some(true) {
            return;
        }
        for m in self.groups[gi].cfg.members.clone() {
            if m == i || self.instances[m].state() == State::Master {
                continue;
            }
            let inst = &mut self.instances[m];
            inst.wantstate = State::Master;
            inst.set_group_view(Some(self.groups[gi].state), Some(true));
            let mut acts = Vec::new();
            inst.goto_master(now, Cause::SyncGroup, &mut acts);
            Self::tag(m, acts, out);
        }
        self.groups[gi].state = State::Master;
        self.group_notify(gi, i, out);
    }

    fn sync_backup(&mut self, now: Time, gi: usize, i: usize, out: &mut Vec<Output>) {
        if self.groups[gi].state == State::Backup {
            return;
        }
        for m in self.groups[gi].cfg.members.clone() {
            if m == i || self.instances[m].state() == State::Backup {
                continue;
            }
            let inst = &mut self.instances[m];
            inst.wantstate = State::Backup;
            let mut acts = Vec::new();
            if matches!(inst.state(), State::Fault | State::Init) {
                inst.leave_fault(now, Cause::SyncGroup, &mut acts);
            } else {
                inst.leave_master(now, false, Cause::SyncGroup, &mut acts);
            }
            Self::tag(m, acts, out);
        }
        self.groups[gi].state = State::Backup;
        self.group_notify(gi, i, out);
    }

    fn sync_fault(&mut self, now: Time, gi: usize, i: usize, out: &mut Vec<Output>) {
        if self.groups[gi].state == State::Fault {
            return;
        }
        for m in self.groups[gi].cfg.members.clone() {
            if m == i || self.instances[m].state() == State::Fault {
                continue;
            }
            let inst = &mut self.instances[m];
            inst.wantstate = State::Fault;
            let mut acts = Vec::new();
            match inst.state() {
                State::Master => inst.leave_master(now, false, Cause::SyncGroup, &mut acts),
                State::Backup | State::Init => {
                    inst.force_state_fault_bodge();
                    inst.leave_fault(now, Cause::SyncGroup, &mut acts);
                }
                _ => {}
            }
            Self::tag(m, acts, out);
        }
        self.groups[gi].state = State::Fault;
        self.group_notify(gi, i, out);
    }
}
