//! Trackers: vrrp_script (each on its own task, timeout TERM then KILL, rise/fall), track_file
//! (inotify) and track_process (a /proc count every second); a change goes to the loop as an Input.

use std::time::Duration;

use keepalived_vrrp::TrackerStatus;
use tokio::sync::mpsc;

use crate::engine::Input;
use crate::notify::{ScriptSecurity, run_script};
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

/// Starts one task per vrrp_script, vrrp_track_file and vrrp_track_process tracked by at least
/// one instance.
pub fn start(read: &Setup, security: ScriptSecurity, tx: mpsc::Sender<Input>) {
    for s in &read.scripts {
        let users = users(read, &Tracked::Script(s.name.clone()));
        if users.is_empty() {
            continue;
        }
        let s = s.clone();
        let mut sec = security.clone();
        if let Some((user, group)) = &s.user {
            match nix::unistd::User::from_name(user) {
                Ok(Some(u)) => {
                    sec.uid = Some(u.uid.as_raw());
                    sec.gid = Some(u.gid.as_raw());
                }
                _ => {
                    tracing::error!(
                        "vrrp_script {}: user {user} does not exist; not run",
                        s.name
                    );
                    continue;
                }
            }
            if let Some(g) = group {
                match nix::unistd::Group::from_name(g) {
                    Ok(Some(g)) => sec.gid = Some(g.gid.as_raw()),
                    _ => {
                        tracing::error!(
                            "vrrp_script {}: group {g} does not exist; not run",
                            s.name
                        );
                        continue;
                    }
                }
            }
        }
        let tx = tx.clone();
        tokio::spawn(async move {
            let mut status = if s.init_fail {
                TrackerStatus::Down
            } else {
                TrackerStatus::Unknown
            };
            let (mut good, mut bad) = (0u32, 0u32);
            let mut tick = tokio::time::interval(s.interval.max(Duration::from_millis(10)));
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                let ok = matches!(
                    run_script(&s.script, &[], &sec, s.timeout).await,
                    Ok(st) if st.success()
                );
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
