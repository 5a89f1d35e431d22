//! keepalived's process scheduling (`vrrp_priority`, `vrrp_rt_priority`, `vrrp_cpu_affinity`,
//! `vrrp_no_swap`, `vrrp_rlimit_rttime` and the `checker_*` set) applied to the thread that runs
//! each side: the VRRP engine on the main thread, the checkers on their own (lvs.rs). keepalived
//! applies them to its VRRP and checker processes once their configuration is running, and so
//! do we.

use keepalived_conf::model::global::Scheduling;
use keepalived_sys::sched;

/// Which side a thread runs, for the log and the keyword names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Vrrp,
    Checker,
}

impl Side {
    fn name(self) -> &'static str {
        match self {
            Side::Vrrp => "VRRP",
            Side::Checker => "Checker",
        }
    }
    fn prefix(self) -> &'static str {
        match self {
            Side::Vrrp => "vrrp",
            Side::Checker => "checker",
        }
    }
}

/// Applies `s` to the calling thread: SCHED_RR when `*_rt_priority` is set (and then
/// RLIMIT_RTTIME: half of `*_rlimit_rttime` warns, all of it kills, as keepalived sets it), else
/// the nice value; the CPU affinity; `*_no_swap` locks the process in memory. Each failure is
/// logged and the rest still applied: the daemon runs on at the default scheduling.
pub fn apply(side: Side, s: &Scheduling) {
    let (name, pre) = (side.name(), side.prefix());
    if let Some(rt) = s.rt_priority {
        match sched::set_round_robin(rt) {
            Ok(()) => {
                tracing::info!("{name}: real-time scheduling SCHED_RR priority {rt}");
                watch_cpu_limit();
                let hard = u64::from(s.rlimit_rttime);
                if let Err(e) = sched::set_rlimit_rttime(hard / 2, hard) {
                    tracing::warn!(
                        "{name}: cannot set the real-time CPU limit ({pre}_rlimit_rttime {hard} us): {e}"
                    );
                }
            }
            Err(e) => tracing::warn!(
                "{name}: cannot raise priority to SCHED_RR {rt} ({pre}_rt_priority): {e}; \
                 running at normal priority (needs root or CAP_SYS_NICE)"
            ),
        }
    } else if s.priority != 0
        && let Err(e) = sched::set_nice(i32::from(s.priority))
    {
        tracing::warn!(
            "{name}: unable to set process priority to {} ({pre}_priority): {e}",
            s.priority
        );
    }
    if !s.cpu_affinity.is_empty()
        && let Err(e) = sched::set_affinity(&s.cpu_affinity)
    {
        tracing::warn!(
            "{name}: unable to set cpu affinity to {:?} ({pre}_cpu_affinity): {e}",
            s.cpu_affinity
        );
    }
    if s.no_swap
        && let Err(e) = sched::lock_memory()
    {
        tracing::warn!("{name}: unable to lock the process in memory ({pre}_no_swap): {e}");
    }
}

/// SIGXCPU's default action ends the process: once a thread runs real-time, the soft
/// RLIMIT_RTTIME only warns, as keepalived's handler does.
fn watch_cpu_limit() {
    use std::sync::Once;
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        use tokio::signal::unix::{SignalKind, signal};
        let Ok(handle) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let _guard = handle.enter();
        match signal(SignalKind::from_raw(libc::SIGXCPU)) {
            Ok(mut s) => {
                handle.spawn(async move {
                    while s.recv().await.is_some() {
                        tracing::warn!(
                            "a real-time thread has used too much CPU time without sleeping; \
                             vrrp_rlimit_rttime / checker_rlimit_rttime may need to be increased"
                        );
                    }
                });
            }
            Err(e) => tracing::warn!("cannot watch SIGXCPU: {e}"),
        }
    });
}
