//! keepalived's VRRP, sans I/O: the packet codec, the `Instance` state machine, sync groups and
//! priority from trackers. Input: events with the current time; output: actions and a deadline.
//!
//! Nothing here reads a clock, sleeps or touches a socket. The daemon feeds [`Event`]s with
//! `now`, carries out the returned [`Action`]s and calls back with [`Event::Timer`] at
//! [`Instance::next_deadline`] (or [`Router::next_deadline`] when sync groups are in use).
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
