//! keepalived's health checkers and the LVS table they keep true.
//! Pure accounting and table model; async probes; a scheduler; genhash.
//!
//! # Layers
//!
//! * [`config`]: plain structs the daemon fills from keepalived.conf:
//!   [`VirtualServerConfig`], [`RealServerConfig`], [`CheckerConfig`] (one variant per checker
//!   with keepalived's defaults).
//! * [`accounting`]: [`Accounting`] turns verdicts into [`Transition`]s (rise on first success,
//!   fall after `retry` extra failures spaced by `delay_before_retry`) and says when to check next.
//! * [`model`]: [`Model`] holds each virtual server's live real servers, quorum (with
//!   hysteresis), sorry server, inhibit, alpha/omega and ha_suspend; every change yields
//!   [`Action`]s (log lines, notify scripts, FIFO lines `RS [ip]:tcp:port [vip]:tcp:port UP`,
//!   SMTP alerts) and [`Model::table`] is the IPVS [`Table`] that should exist;
//!   [`Table::diff`] gives the [`TableChange`]s to get there from the previous one.
//! * [`probe`]: one async function per checker kind returning a [`Verdict`].
//! * [`scheduler`]: [`scheduler::run`] spawns every checker on its own timer and streams
//!   [`scheduler::Report`]s (already applied to the model) to the daemon.
//! * [`genhash`]: keepalived's `genhash` (fetch a URL, print the MD5 digest of its body).
//!
//! The model never reads a clock or touches a socket: tests drive it with events.
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

pub mod accounting;
pub mod config;
pub mod error;
pub mod genhash;
pub mod model;
pub mod probe;
pub mod scheduler;

pub use accounting::{Accounting, Step, Timing, Transition};
pub use config::*;
pub use error::CheckError;
pub use model::{
    Action, CheckerId, Dest, Model, ModelOptions, Service, ServiceKey, SmtpAlert, Table,
    TableChange,
};
pub use probe::Verdict;
