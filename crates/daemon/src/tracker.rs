//! vrrp_script trackers: each script runs every `interval` on its own task with its `timeout`
//! (TERM then KILL), and a change after `rise`/`fall` results goes to the loop as an Input.

use std::time::Duration;

use keepalived_vrrp::TrackerStatus;
use tokio::sync::mpsc;

use crate::conf_subset::Read;
use crate::engine::Input;
use crate::notify::{ScriptSecurity, run_script};

/// Starts one task per vrrp_script tracked by at least one instance.
pub fn start(read: &Read, security: ScriptSecurity, tx: mpsc::Sender<Input>) {
    for s in &read.scripts {
        // (instance, tracker index) pairs that follow this script.
        let users: Vec<(usize, usize)> = read
            .instances
            .iter()
            .enumerate()
            .flat_map(|(i, inst)| {
                inst.track_scripts
                    .iter()
                    .enumerate()
                    .filter(|(_, n)| **n == s.name)
                    .map(move |(k, _)| (i, k))
            })
            .collect();
        if users.is_empty() {
            continue;
        }
        let s = s.clone();
        let sec = security.clone();
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
                    for &(instance, index) in &users {
                        let ev = Input::Tracker {
                            instance,
                            index,
                            status,
                        };
                        if tx.send(ev).await.is_err() {
                            return;
                        }
                    }
                }
            }
        });
    }
}
