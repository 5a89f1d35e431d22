//! The checker side's hold on the kernel's IPVS: the table's applier, `lvs_timeouts`,
//! `lvs_flush`, `lvs_flush_on_stop`/`-I`, and a sync daemon the checker side owns, in keepalived's
//! start-up order (timeouts, sync daemon, flush, services).

use std::fmt::Write as _;
use std::time::Instant;

use keepalived_check::Table;
use keepalived_ipvs as ipvs;

use super::apply::{self, Applier, Sink};
use super::{KernelPlan, LOG_TARGET, syncd};

macro_rules! info {
    ($($t:tt)*) => { tracing::info!(target: LOG_TARGET, $($t)*) };
}
macro_rules! error {
    ($($t:tt)*) => { tracing::error!(target: LOG_TARGET, $($t)*) };
}

/// The kernel side of the checkers.
pub(super) struct Kernel {
    applier: Applier<Box<dyn Sink + Send>>,
    plan: KernelPlan,
    /// The kernel's timeouts before ours, restored at stop (keepalived's `ipvs_stop`).
    saved_timeouts: Option<ipvs::Timeouts>,
}

impl Kernel {
    pub(super) fn open(plan: KernelPlan) -> Kernel {
        let sink = super::open_sink();
        let record = if sink.is_kernel() {
            apply::record_path()
        } else {
            None
        };
        Kernel {
            applier: Applier::new(sink, record),
            plan,
            saved_timeouts: None,
        }
    }

    /// Start: timeouts, the checker side's sync daemon, `lvs_flush`, then the table reconciled
    /// with what the kernel holds.
    pub(super) fn start(&mut self, table: &Table) {
        self.set_timeouts();
        if let (Some(c), Some(d)) = (self.applier.sink.client(), self.plan.syncd.as_ref()) {
            syncd::start_both(c, d);
        }
        if self.plan.flush {
            info!("IPVS: flushing the table (lvs_flush)");
            if let Err(e) = self.applier.sink.flush() {
                error!("{e}");
            }
        }
        let t0 = Instant::now();
        let want = apply::to_kernel(table);
        let n = want.len();
        let out = self.applier.start(want);
        self.report("start", &out);
        if self.applier.sink.is_kernel() {
            info!(
                "IPVS: {n} services in place after {} changes in {:.1} ms",
                out.sent,
                t0.elapsed().as_secs_f64() * 1e3
            );
        }
    }

    /// The computed table changed.
    pub(super) fn update(&mut self, table: &Table) {
        let out = self.applier.update(apply::to_kernel(table));
        self.report("update", &out);
    }

    /// Some services changed (a real server's state or weight): only they are looked at.
    pub(super) fn update_services(
        &mut self,
        changed: &[(keepalived_check::ServiceKey, keepalived_check::Service)],
    ) {
        let mut part = keepalived_check::Table::default();
        part.services.extend(changed.iter().cloned());
        let out = self.applier.update_services(apply::to_kernel(&part));
        self.report("update", &out);
    }

    /// A reload's global settings (timeouts, sync daemon, release mode).
    pub(super) fn reconfigure(&mut self, plan: &KernelPlan) {
        let old = std::mem::replace(&mut self.plan, plan.clone());
        if old.timeouts != plan.timeouts {
            self.set_timeouts();
        }
        if old.syncd != plan.syncd
            && let Some(c) = self.applier.sink.client()
        {
            if let Some(d) = &old.syncd {
                syncd::stop_both(c, d);
            }
            if let Some(d) = &plan.syncd {
                syncd::start_both(c, d);
            }
        }
    }

    /// Stop: the table left as `lvs_flush_on_stop` / `-I` say, our sync daemon stopped, the
    /// kernel's timeouts restored.
    pub(super) fn stop(&mut self) {
        let out = self.applier.release(self.plan.release);
        self.report("stop", &out);
        if let Some(c) = self.applier.sink.client() {
            if let Some(d) = &self.plan.syncd {
                syncd::stop_both(c, d);
            }
            if let Some(t) = self.saved_timeouts.take()
                && let Err(e) = c.set_timeouts(&t)
            {
                error!("IPVS: restoring the timeouts: {e}");
            }
        }
    }

    /// The kernel's table with its counters, for the SIGUSR1 dump (`None` without IPVS).
    pub(super) fn read_for_dump(&mut self) -> Option<String> {
        if !self.applier.sink.is_kernel() {
            return None;
        }
        match self.applier.sink.read() {
            Ok(entries) => Some(kernel_text(&entries)),
            Err(e) => Some(format!(" cannot read the kernel's table: {e}\n")),
        }
    }

    fn set_timeouts(&mut self) {
        let want = self.plan.timeouts;
        let Some(c) = self.applier.sink.client() else {
            return;
        };
        if want == ipvs::Timeouts::default() && self.saved_timeouts.is_none() {
            return;
        }
        let saved = match self.saved_timeouts {
            Some(s) => s,
            None => match c.timeouts() {
                Ok(s) => {
                    self.saved_timeouts = Some(s);
                    s
                }
                Err(e) => {
                    error!("IPVS: reading the timeouts: {e}");
                    return;
                }
            },
        };
        // keepalived sends all three, a value not configured being the kernel's own.
        let pick = |w: u32, s: u32| if w == 0 { s } else { w };
        let t = ipvs::Timeouts {
            tcp: pick(want.tcp, saved.tcp),
            tcp_fin: pick(want.tcp_fin, saved.tcp_fin),
            udp: pick(want.udp, saved.udp),
        };
        if let Err(e) = c.set_timeouts(&t) {
            error!("Failed to set ipvs timeouts: {e}");
        }
    }

    fn report(&self, what: &str, out: &apply::Outcome) {
        if out.resynced {
            info!(
                "IPVS: the kernel's table was changed by someone else; read it again and corrected ours ({what})"
            );
        }
        for e in &out.errors {
            error!("IPVS: {e}");
        }
    }
}

/// The kernel's table as `ipvsadm -Ln --stats --exact` would give it, with the connection
/// counts: what the dump's statistics come from.
fn kernel_text(entries: &[(ipvs::ServiceEntry, Vec<ipvs::DestEntry>)]) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "Prot LocalAddress:Port Scheduler  Conns InPkts OutPkts InBytes OutBytes"
    );
    let _ = writeln!(
        s,
        "  -> RemoteAddress:Port Forward Weight ActiveConn InActConn  Conns InPkts OutPkts InBytes OutBytes"
    );
    let mut sorted: Vec<_> = entries.iter().collect();
    sorted.sort_by_key(|(e, _)| e.service.key);
    for (svc, dests) in sorted {
        let st = &svc.stats;
        let _ = writeln!(
            s,
            "{} {}  {} {} {} {} {}",
            svc.service.key,
            svc.service.scheduler,
            st.conns,
            st.inpkts,
            st.outpkts,
            st.inbytes,
            st.outbytes
        );
        let mut ds: Vec<_> = dests.iter().collect();
        ds.sort_by_key(|d| d.dest.addr);
        for d in ds {
            let st = &d.stats;
            let _ = writeln!(
                s,
                "  -> {} {} {} {} {}  {} {} {} {} {}",
                d.dest.addr,
                apply::forward_name(d.dest.forward),
                d.dest.weight,
                d.active_conns,
                d.inact_conns,
                st.conns,
                st.inpkts,
                st.outpkts,
                st.inbytes,
                st.outbytes
            );
        }
    }
    s
}
