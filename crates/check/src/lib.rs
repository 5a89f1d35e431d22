//! keepalived's health checkers and the LVS table they keep true.
//! Pure accounting and table model; async probes; a scheduler; genhash.
//!
//! # Layers
//!
//! * [`config`]: plain structs the daemon fills from keepalived.conf:
//!   [`VirtualServerConfig`], [`RealServerConfig`], [`CheckerConfig`] (one variant per checker
//!   with its options; `None` fields inherit as keepalived does). Constructors carry keepalived's
//!   defaults (`delay_loop` 60 s, `connect_timeout` 5 s, `quorum` 1, `weight` 1, ...);
//!   [`VirtualServerConfig::normalise`] applies keepalived's real-server port rules.
//! * [`accounting`]: [`Timing::resolve`] does the checker -> real server -> virtual server ->
//!   kind-default inheritance; [`Accounting::on_verdict`] turns verdicts into [`Transition`]s
//!   (first check decisive; then down after `retry` extra failures spaced by
//!   `delay_before_retry`; up on the first success) and says when to check next.
//! * [`model`]: [`Model`] holds each virtual server's live real servers, quorum (with
//!   hysteresis), sorry server (+ inhibit), `inhibit_on_failure`, alpha/omega, `ha_suspend`,
//!   dynamic weights (misc_dynamic, FILE_CHECK) and groups. [`Model::start`],
//!   [`Model::on_transition`], [`Model::on_dynamic_weight`], [`Model::set_address_present`] and
//!   [`Model::shutdown`] return [`Action`]s: log lines worded as keepalived's, notify scripts,
//!   FIFO lines (`RS [ip]:tcp:port [vip]:tcp:port UP\n`, `VS [vip]:tcp:port DOWN\n`) and
//!   [`SmtpAlert`]s. [`Model::table`] is the IPVS [`Table`] that should exist and
//!   [`Table::diff`] the [`TableChange`]s that get there from the previous one.
//! * [`probe`]: one async function per checker kind ([`probe::check`] dispatches) returning a
//!   [`Verdict`]; common options (connect_ip/port, bindto, bind_port, bind_if, fwmark) applied.
//! * [`scheduler`]: [`scheduler::run`] spawns one task per checker in the caller's tokio runtime
//!   and a driver that owns the model; it returns the start-up actions, the initial table, a
//!   [`scheduler::Running`] handle (current table, ha_suspend, shutdown with omega actions,
//!   lateness [`scheduler::Stats`]) and a stream of [`scheduler::Report`]s (actions plus the new
//!   table whenever it changed).
//! * [`from_conf`]: [`from_conf::from_config`] maps keepalived-conf's parsed LVS model into
//!   these structs (what they cannot run is listed, not silently dropped).
//! * [`genhash`]: keepalived's `genhash` ([`genhash::run`] prints the digest as it does).
//!
//! The model and the accounting never read a clock or touch a socket: tests drive them with
//! events (see tests/table.rs); the probes are tested against real servers.
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

pub mod accounting;
pub mod config;
pub mod error;
pub mod from_conf;
pub mod genhash;
pub mod model;
pub mod probe;
pub mod scheduler;

pub use accounting::{Accounting, Step, Timing, Transition, UrlAccounting};
pub use config::*;
pub use error::CheckError;
pub use model::{
    Action, CheckerId, Dest, Model, ModelOptions, Service, ServiceKey, SmtpAlert, Table,
    TableChange,
};
pub use probe::Verdict;
