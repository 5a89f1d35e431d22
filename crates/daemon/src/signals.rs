//! keepalived's signals turned into control requests for the event loop: TERM/INT stop, HUP
//! reload, USR1 data dump, USR2 stats, SIGRTMIN+2 JSON dump, SIGRTMAX-1 stats clear.

use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::mpsc;

use crate::cli::{SIG_JSON, SIG_STATS_CLEAR};
use crate::error::{Error, Result};

/// What an operator asked for by signal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Control {
    Stop,
    Reload,
    DumpData,
    DumpStats,
    DumpJson,
    ClearStats,
}

/// Where keepalived writes its dumps.
pub const DATA_FILE: &str = "/tmp/keepalived.data";
pub const STATS_FILE: &str = "/tmp/keepalived.stats";
pub const JSON_FILE: &str = "/tmp/keepalived.json";

/// Installs the handlers (must run inside the runtime) and forwards each signal as a Control.
pub fn listen() -> Result<mpsc::Receiver<Control>> {
    let table = [
        (SignalKind::terminate(), Control::Stop),
        (SignalKind::interrupt(), Control::Stop),
        (SignalKind::hangup(), Control::Reload),
        (SignalKind::user_defined1(), Control::DumpData),
        (SignalKind::user_defined2(), Control::DumpStats),
        (SignalKind::from_raw(SIG_JSON), Control::DumpJson),
        (SignalKind::from_raw(SIG_STATS_CLEAR), Control::ClearStats),
    ];
    let (tx, rx) = mpsc::channel(16);
    for (kind, control) in table {
        let mut s = signal(kind).map_err(|source| Error::Io {
            what: format!("installing handler for signal {}", kind.as_raw_value()),
            source,
        })?;
        let tx = tx.clone();
        tokio::spawn(async move {
            while s.recv().await.is_some() {
                if tx.send(control).await.is_err() {
                    break;
                }
            }
        });
    }
    Ok(rx)
}
