//! Tracked objects (interfaces, scripts, files, processes, BFD) as the instance sees them: a
//! weight, a direction and the latest up/down result, summed into keepalived's priority.

/// One `track_*` entry of an instance (or of its sync group, copied to each member).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrackerConfig {
    /// For logs: the interface, script, file or process name.
    pub name: String,
    /// -253..=253; 0 means the instance goes to FAULT while the object is down.
    pub weight: i32,
    /// `reverse`: the weight applies in the opposite direction (weight 0: FAULT while up).
    pub reverse: bool,
    /// The state known when the instance is built; `Unknown` for scripts that have not run yet.
    pub initial: TrackerStatus,
}

impl TrackerConfig {
    pub fn new(name: impl Into<String>, weight: i32) -> Self {
        TrackerConfig {
            name: name.into(),
            weight: weight.clamp(-253, 253),
            reverse: false,
            initial: TrackerStatus::Up,
        }
    }
}

/// A tracker's latest result.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrackerStatus {
    Unknown,
    Up,
    Down,
    /// A track_file's value: keepalived adds value x weight (x -1 with `reverse`) to the
    /// priority, FAULT at -254 or below; at weight 0 any value but 0 is FAULT (`reverse`: 0 is).
    Value(i64),
}

/// keepalived's lowest tracker contribution: at or below it the instance is in FAULT
/// (track_file.c clamps a track file's status to -254..=253).
const FILE_FAULT: i64 = -254;

/// A track_file's contribution, clamped as keepalived clamps it.
fn file_status(value: i64, weight: i64, reverse: bool) -> i64 {
    let m = if reverse { -1 } else { 1 };
    value
        .saturating_mul(weight)
        .saturating_mul(m)
        .clamp(FILE_FAULT, 253)
}

#[derive(Debug, Clone)]
pub(crate) struct Trackers {
    cfg: Vec<(i32, bool)>,
    status: Vec<TrackerStatus>,
}

impl Trackers {
    pub(crate) fn new(cfg: &[TrackerConfig]) -> Self {
        Trackers {
            cfg: cfg
                .iter()
                .map(|t| (t.weight.clamp(-253, 253), t.reverse))
                .collect(),
            status: cfg.iter().map(|t| t.initial).collect(),
        }
    }

    pub(crate) fn set(&mut self, index: usize, status: TrackerStatus) {
        if let Some(s) = self.status.get_mut(index) {
            *s = status;
        }
    }

    /// A weight-0 tracker is in its failing direction.
    pub(crate) fn faulted(&self) -> bool {
        self.cfg
            .iter()
            .zip(&self.status)
            .any(|(&(w, rev), s)| match s {
                TrackerStatus::Value(v) if w == 0 => (*v != 0) != rev,
                TrackerStatus::Value(v) => file_status(*v, i64::from(w), rev) == FILE_FAULT,
                _ if w != 0 => false,
                TrackerStatus::Unknown => false,
                TrackerStatus::Up => rev,
                TrackerStatus::Down => !rev,
            })
    }

    /// A weight-0 tracker has not reported yet (keepalived keeps the instance in FAULT quietly).
    pub(crate) fn initialising(&self) -> bool {
        self.cfg
            .iter()
            .zip(&self.status)
            .any(|(&(w, _), s)| w == 0 && *s == TrackerStatus::Unknown)
    }

    /// Sum of weighted contributions: a positive weight adds while up, a negative one subtracts
    /// while down, a track_file's value adds value x weight; `reverse` flips the sign
    /// (keepalived's `weight_multiplier`). A faulted file adds nothing (the instance is in FAULT).
    pub(crate) fn weight_sum(&self) -> i64 {
        self.cfg
            .iter()
            .zip(&self.status)
            .map(|(&(w, rev), s)| {
                let m = if rev { -1 } else { 1 };
                let w = i64::from(w);
                match s {
                    TrackerStatus::Value(v) if w != 0 => {
                        let st = file_status(*v, w, rev);
                        if st == FILE_FAULT { 0 } else { st }
                    }
                    TrackerStatus::Up if w > 0 => w * m,
                    TrackerStatus::Down if w < 0 => w * m,
                    _ => 0,
                }
            })
            .sum()
    }
}

/// Effective priority as keepalived clamps it: the owner (255) never moves; others stay in 1..=254.
pub fn effective_priority(base: u8, trackers: &[(TrackerConfig, TrackerStatus)]) -> u8 {
    if base == 255 {
        return 255;
    }
    let mut t = Trackers::new(&trackers.iter().map(|(c, _)| c.clone()).collect::<Vec<_>>());
    for (i, (_, s)) in trackers.iter().enumerate() {
        t.set(i, *s);
    }
    (i64::from(base) + t.weight_sum()).clamp(1, 254) as u8
}
