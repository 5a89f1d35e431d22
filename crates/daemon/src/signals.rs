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

/// The names of keepalived's dumps, in [`crate::dump::dir`] ($TMPDIR, else /tmp).
pub const DATA_FILE: &str = "keepalived.data";
pub const STATS_FILE: &str = "keepalived.stats";
pub const JSON_FILE: &str = "keepalived.json";

/// The signals the daemon handles.
fn handled() -> nix::sys::signal::SigSet {
    use nix::sys::signal::{SigSet, Signal};
    let mut set = SigSet::empty();
    for s in [
        Signal::SIGTERM,
        Signal::SIGINT,
        Signal::SIGHUP,
        Signal::SIGUSR1,
        Signal::SIGUSR2,
    ] {
        set.add(s);
    }
    for n in [SIG_JSON, SIG_STATS_CLEAR] {
        if let Ok(s) = Signal::try_from(n) {
            set.add(s);
        }
    }
    set
}

/// Called on main's first line: the handled signals wait (pending) until [`listen`] has installed
/// their handlers, so a SIGTERM in the first milliseconds stops the daemon cleanly (its start-up
/// finished and undone) instead of killing it half-way with whatever it had set up left
/// behind. Threads started meanwhile inherit the mask and never take these signals; scripts do
/// not (the child's mask is reset before exec).
pub fn block_until_handled() {
    let _ = nix::sys::signal::pthread_sigmask(
        nix::sys::signal::SigmaskHow::SIG_BLOCK,
        Some(&handled()),
        None,
    );
}

/// The default dispositions again, for the paths that answer at once and exit (`-t`,
/// `--dump-conf`): an operator's Ctrl-C stops them as it stops any command.
pub fn unblock_handled() {
    let _ = nix::sys::signal::pthread_sigmask(
        nix::sys::signal::SigmaskHow::SIG_UNBLOCK,
        Some(&handled()),
        None,
    );
}

/// Installs the handlers (must run inside the runtime) and forwards each signal as a Control.
/// Then the calling thread takes the handled signals again, those that came meanwhile first.
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
    unblock_handled();
    Ok(rx)
}
