//! keepalived's VRRP, sans I/O: the packet codec, the `Instance` state machine, sync groups and
//! priority from trackers. Input: events with the current time; output: actions and a deadline.
//!
//! Nothing here reads a clock, sleeps or touches a socket. The daemon feeds [`Event`]s with
//! `now`, carries out the returned [`Action`]s and calls back with [`Event::Timer`] at
//! [`Instance::next_deadline`] (or [`Router::next_deadline`] when sync groups are in use).
//!
//! # How the daemon uses it
//! 1. Map each `vrrp_instance` to an [`InstanceConfig`] (start from [`InstanceConfig::new`], which
//!    carries keepalived's defaults) and each `vrrp_sync_group` to a [`SyncGroupConfig`] naming
//!    member indices; build a [`Router`] with [`Router::new`] (also fine without groups).
//! 2. [`Router::startup`] once; then for every packet read on a VRRP socket call
//!    [`packet::peek_vrid`] to find the instance and [`Router::handle`] with
//!    [`Event::Packet`]; call [`Router::timer`] whenever [`Router::next_deadline`] passes; pass
//!    tracker results as [`Event::Tracker`] (index into `InstanceConfig::trackers`), link changes as
//!    [`Event::Interface`], reload priorities as [`Event::SetPriority`], and [`Router::shutdown`]
//!    on SIGTERM.
//! 3. Carry out each [`Output`]'s [`Action`] in order: `Send` the bytes (IPv4: whole packet for a
//!    raw `IP_HDRINCL` socket; IPv6: the payload, hop limit 255), add/remove the instance's VIPs,
//!    excluded VIPs, routes, rules, queue `Garp { repeat }` paced by `vrrp_garp_interval`, run
//!    notifications ([`Notify`], [`Action::GroupNotify`]).
//! 4. Read [`Instance::stats`] for keepalived.stats and SNMP.
//!
//! Time is a [`Time`] in microseconds on the daemon's monotonic clock (keepalived's resolution).
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

mod group;
mod instance;
pub mod packet;
mod time;
mod tracker;

pub use group::{Output, Router, SyncGroup, SyncGroupConfig};
pub use instance::{
    Action, Cause, Event, GarpConfig, InitialState, Instance, InstanceConfig, Notify, State, Stats,
};
pub use time::Time;
pub use tracker::{TrackerConfig, TrackerStatus, effective_priority};

/// Everything that can go wrong in this crate outside of packet validation ([`packet::RxError`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    #[error("advert mixes IPv4 and IPv6 addresses")]
    MixedFamilies,
    #[error("more than 255 addresses in one advert")]
    TooManyAddresses,
    #[error("IPsec AH authentication needs IPv4")]
    AhNeedsIpv4,
}
