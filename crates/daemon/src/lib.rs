//! keepalived-rs, the daemon: command line, logging, pid files, notify, and the wiring of
//! keepalived-conf, keepalived-vrrp and keepalived-sys into one tokio runtime.
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

pub mod cli;
pub mod dump;
pub mod engine;
pub mod error;
pub mod genhash;
pub mod log;
pub mod lvs;
pub mod notify;
pub mod pidfile;
pub mod probe;
pub mod run;
pub mod rxlog;
pub mod sched;
pub mod setup;
pub mod shell;
pub mod signals;
pub mod tracker;

pub use error::{Error, Result};

/// The version line `-v` prints, naming the keepalived release we are a drop-in for.
pub fn version_text() -> String {
    format!(
        "keepalived-rs v{} (drop-in for Keepalived v2.2.7 (01/16,2022))\n\n\
         Copyright(C) 2001-2022 Alexandre Cassen, <acassen@gmail.com> (keepalived)\n\
         keepalived-rs: GPL-2.0-or-later\n",
        env!("CARGO_PKG_VERSION")
    )
}
