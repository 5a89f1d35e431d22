//! Trackers: vrrp_script (each on its own task, timeout TERM then KILL, rise/fall), track_file
//! (inotify) and track_process (a /proc count every second); a change goes to the loop as an Input.

use std::time::Duration;

use keepalived_vrrp::TrackerStatus;
use tokio::sync::mpsc;

use crate::engine::Input;
use crate::notify::{ScriptSecurity, run_prepared};
use crate::setup::{Setup, Tracked};

/// (instance, tracker index) pairs that follow the tracked object `what`.
fn users(read: &Setup, what: &Tracked) -> Vec<(usize, usize)> {
    read.instances
        .iter()
        .enumerate()
        .flat_map(|(i, inst)| {
            inst.tracked
                .iter()
                .enumerate()
                .filter(|(_, t)| *t == what)
                .map(move |(k, _)| (i, k))
        })
        .collect()
}

async fn tell(tx: &mpsc::Sender<Input>, users: &[(usize, usize)], status: TrackerStatus) -> bool {
    for &(instance, index) in users {
        let ev = Input::Tracker {
            instance,
            index,
            status,
        };
        if tx.send(ev).await.is_err() {
            return false;
        }
    }
    true
}

/// keepalived's `check_vrrp_script_security` at start: each vrrp_script is checked as the user
/// it runs as (its own, else the default script user); one that is insecure under
/// `enable_script_security`, missing or not executable is removed with keepalived's line, and
/// no instance tracks it any more (its priority and state go on as if it were not configured,
/// as keepalived's). Kept scripts carry the checked command.
pub fn vet(read: &mut Setup, security: &ScriptSecurity) {
    let mut removed = Vec::new();
    for s in &mut read.scripts {
        let sec = match &s.user {
            Some((user, group)) => match crate::setup::ids(user, group.as_deref()) {
                Some(ids) => security.with_ids(ids),
                None => {
                    tracing::error!(
                        "vrrp_script {}: user {user} or its group does not exist; not run",
                        s.name
                    );
                    removed.push(s.name.clone());
                    continue;
                }
            },
            None => security.clone(),
        };
        match crate::notify::prepare(&s.script, &sec) {
            Ok(p) => s.prepared = Some(p),
            Err(why) => {
                match why {
                    Some(crate::notify::Refusal::Insecure) => {
                        tracing::error!("Disabling track script {} due to insecure", s.name)
                    }
                    Some(crate::notify::Refusal::NotFound) => tracing::error!(
                        "Disabling track script {} since not found/accessible",
                        s.name
                    ),
                    _ => {}
                }
                removed.push(s.name.clone());
            }
        }
    }
    if removed.is_empty() {
        return;
    }
    read.scripts.retain(|s| !removed.contains(&s.name));
    for inst in &mut read.instances {
        let keep: Vec<bool> = inst
            .tracked
            .iter()
            .map(|t| !matches!(t, Tracked::Script(n) if removed.contains(n)))
            .collect();
        let mut k = keep.iter();
        inst.cfg
            .trackers
            .retain(|_| k.next().copied().unwrap_or(true));
        let mut k = keep.iter();
        inst.tracked.retain(|_| k.next().copied().unwrap_or(true));
        inst.track_scripts.retain(|n| !removed.contains(n));
    }
}

/// Starts one task per vrrp_script, vrrp_track_file and vrrp_track_process tracked by at least
/// one instance; the scripts as [`vet`] checked them.
pub fn start(read: &Setup, tx: mpsc::Sender<Input>) {
    for s in &read.scripts {
        let users = users(read, &Tracked::Script(s.name.clone()));
        if users.is_empty() {
            continue;
        }
        let s = s.clone();
        let Some(prepared) = s.prepared.clone() else {
            continue;
        };
        let tx = tx.clone();
        tokio::spawn(async move {
            let mut status = if s.init_fail {
                TrackerStatus::Down
            } else {
                TrackerStatus::Unknown
            };
            let (mut good, mut bad) = (0u32, 0u32);
            let mut last_error: Option<String> = None;
            let mut tick = tokio::time::interval(s.interval.max(Duration::from_millis(10)));
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                let run = run_prepared(&prepared, &[], s.timeout).await;
                // A refusal or a failure to start is said when it starts happening, not at
                // every interval (keepalived would say nothing: it removed the script at load).
                let err = run.as_ref().err().map(ToString::to_string);
                if err.is_some() && err != last_error {
                    tracing::warn!(
                        "vrrp_script {}: {}",
                        s.name,
                        err.as_deref().unwrap_or_default()
                    );
                }
                last_error = err;
                let ok = matches!(run, Ok(st) if st.success());
                if ok {
                    good += 1;
                    bad = 0;
                } else {
                    bad += 1;
                    good = 0;
                }
                let next = if ok && (good >= s.rise || status == TrackerStatus::Unknown) {
                    TrackerStatus::Up
                } else if !ok && (bad >= s.fall || status == TrackerStatus::Unknown) {
                    TrackerStatus::Down
                } else {
                    status
                };
                if next != status {
                    let word = if next == TrackerStatus::Up {
                        "succeeded"
                    } else {
                        "failed"
                    };
                    tracing::info!("Script `{}` now returning {}", s.name, word);
                    status = next;
                    if !tell(&tx, &users, status).await {
                        return;
                    }
                }
            }
        });
    }
    for f in &read.files {
        let users = users(read, &Tracked::File(f.name.clone()));
        if users.is_empty() {
            continue;
        }
        let reader = keepalived_check::probe::file::read_value;
        let mut rx = match keepalived_sys::track::watch_file(f.file.clone().into(), reader) {
            Ok(rx) => rx,
            Err(e) => {
                tracing::error!("track_file {}: {e}", f.name);
                continue;
            }
        };
        let (name, tx) = (f.name.clone(), tx.clone());
        tokio::spawn(async move {
            // keepalived adds value x weight to the priority (FAULT at -254 or below; at weight
            // 0, FAULT unless the value is 0): the VRRP core applies each instance's weight.
            while let Some(v) = rx.recv().await {
                tracing::info!("Tracked file {name} now has value {v}");
                if !tell(&tx, &users, TrackerStatus::Value(v)).await {
                    return;
                }
            }
        });
    }
    for p in &read.processes {
        let users = users(read, &Tracked::Process(p.name.clone()));
        if users.is_empty() {
            continue;
        }
        let (p, tx) = (p.clone(), tx.clone());
        tokio::spawn(async move {
            let mut status = TrackerStatus::Unknown;
            let mut tick = tokio::time::interval(Duration::from_secs(1));
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            let count = |p: &crate::setup::TrackProcessSpec| {
                let (name, args) = (p.process.clone(), p.args.clone());
                tokio::task::spawn_blocking(move || {
                    keepalived_sys::track::count_processes(&name, args.as_deref())
                })
            };
            let verdict = |n: usize| {
                if n >= p.quorum && n <= p.quorum_max {
                    TrackerStatus::Up
                } else {
                    TrackerStatus::Down
                }
            };
            loop {
                tick.tick().await;
                let mut n = count(&p).await.unwrap_or(0);
                let mut next = verdict(n);
                if next == TrackerStatus::Down && status == TrackerStatus::Up && !p.delay.is_zero()
                {
                    // keepalived's `delay`: a process back within it is no failure.
                    tokio::time::sleep(p.delay).await;
                    n = count(&p).await.unwrap_or(0);
                    next = verdict(n);
                }
                if next == status {
                    continue;
                }
                tracing::info!(
                    "Tracked process {} now has {n} process(es): {}",
                    p.name,
                    if next == TrackerStatus::Up {
                        "up"
                    } else {
                        "down"
                    }
                );
                status = next;
                if !tell(&tx, &users, status).await {
                    return;
                }
            }
        });
    }
}
