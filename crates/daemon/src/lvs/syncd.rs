//! `lvs_sync_daemon`: the kernel's IPVS connection sync daemon, as keepalived runs it. Without
//! `inst` the checker side runs both roles from start to stop; with `inst` the VRRP instance's
//! state picks the role (master: sync master; otherwise sync backup), through a [`Driver`] that
//! owns its own thread so the VRRP loop never waits for the kernel.

use std::sync::mpsc;

use keepalived_conf::model::global::LvsSyncDaemon;
use keepalived_ipvs as ipvs;

use super::LOG_TARGET;

/// One configured sync daemon (both roles share it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    pub ifname: String,
    pub sync_id: u32,
    pub maxlen: u16,
    pub group: Option<std::net::IpAddr>,
    pub port: u16,
    pub ttl: u8,
}

impl Config {
    /// From global_defs; `vrid`: the driving instance's VRID, the default sync id.
    pub fn of(d: &LvsSyncDaemon, vrid: u8) -> Config {
        Config {
            ifname: d.interface.clone(),
            sync_id: u32::from(d.sync_id.unwrap_or(vrid)),
            maxlen: d.maxlen.unwrap_or(0),
            group: d.group,
            port: d.port.unwrap_or(0),
            ttl: d.ttl.unwrap_or(0),
        }
    }

    fn daemon(&self, state: ipvs::SyncState) -> ipvs::SyncDaemon {
        ipvs::SyncDaemon {
            state,
            ifname: self.ifname.clone(),
            sync_id: self.sync_id,
            maxlen: self.maxlen,
            group: self.group,
            port: self.port,
            ttl: self.ttl,
        }
    }
}

fn role(s: ipvs::SyncState) -> &'static str {
    match s {
        ipvs::SyncState::Master => "master",
        ipvs::SyncState::Backup => "backup",
    }
}

/// Stops `stop` (an error just means it was not running) and starts `start`.
fn switch(c: &mut ipvs::Client, d: &Config, stop: ipvs::SyncState, start: ipvs::SyncState) {
    let _ = c.stop_daemon(stop, d.sync_id);
    start_one(c, d, start);
}

fn start_one(c: &mut ipvs::Client, d: &Config, state: ipvs::SyncState) {
    match c.start_daemon(&d.daemon(state)) {
        Ok(()) => tracing::info!(
            target: LOG_TARGET,
            "Starting IPVS {} sync daemon (mcast={}, syncid={})",
            role(state),
            d.ifname,
            d.sync_id
        ),
        Err(e) if e.is_exists() => {}
        Err(e) => tracing::error!(target: LOG_TARGET, "IPVS {} sync daemon: {e}", role(state)),
    }
}

/// The checker side's daemon without `inst`: both roles, restarted as keepalived does.
pub fn start_both(c: &mut ipvs::Client, d: &Config) {
    for s in [ipvs::SyncState::Master, ipvs::SyncState::Backup] {
        let _ = c.stop_daemon(s, d.sync_id);
    }
    for s in [ipvs::SyncState::Master, ipvs::SyncState::Backup] {
        start_one(c, d, s);
    }
}

/// Stops both roles (errors ignored, as keepalived's).
pub fn stop_both(c: &mut ipvs::Client, d: &Config) {
    for s in [ipvs::SyncState::Master, ipvs::SyncState::Backup] {
        let _ = c.stop_daemon(s, d.sync_id);
    }
}

/// What the VRRP instance became.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Master,
    Backup,
}

enum Cmd {
    Role(Role),
    Stop,
}

/// The VRRP side's sync daemon, driven by its instance's state on a thread of its own. Dropping
/// it stops the thread (the daemons are left as they are; call [`Driver::stop`] first).
pub struct Driver {
    tx: mpsc::Sender<Cmd>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Driver {
    /// Starts the driver's thread; nothing is sent to the kernel until the first [`Driver::set`].
    pub fn start(d: Config) -> Option<Driver> {
        let (tx, rx) = mpsc::channel::<Cmd>();
        let thread = std::thread::Builder::new()
            .name("ipvs-syncd".into())
            .spawn(move || {
                let mut client = match ipvs::Client::open() {
                    Ok(c) => c,
                    Err(e) => {
                        tracing::error!(target: LOG_TARGET, "lvs_sync_daemon: {e}; no connection sync");
                        return;
                    }
                };
                let mut now: Option<Role> = None;
                while let Ok(cmd) = rx.recv() {
                    match cmd {
                        Cmd::Role(r) if Some(r) == now => {}
                        Cmd::Role(Role::Master) => {
                            switch(&mut client, &d, ipvs::SyncState::Backup, ipvs::SyncState::Master);
                            now = Some(Role::Master);
                        }
                        Cmd::Role(Role::Backup) => {
                            switch(&mut client, &d, ipvs::SyncState::Master, ipvs::SyncState::Backup);
                            now = Some(Role::Backup);
                        }
                        Cmd::Stop => {
                            stop_both(&mut client, &d);
                            break;
                        }
                    }
                }
            })
            .map_err(|e| tracing::error!(target: LOG_TARGET, "lvs_sync_daemon: cannot start its thread: {e}"))
            .ok()?;
        Some(Driver {
            tx,
            thread: Some(thread),
        })
    }

    /// The instance's new role (never blocks).
    pub fn set(&self, role: Role) {
        let _ = self.tx.send(Cmd::Role(role));
    }

    /// Stops both daemons and waits for the thread (bounded by the kernel's answer).
    pub fn stop(mut self) {
        let _ = self.tx.send(Cmd::Stop);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
