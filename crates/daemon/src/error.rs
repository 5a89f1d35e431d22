//! The daemon's one error type: what failed and on what, logged once where it is handled.
//! Library errors from conf/vrrp/sys are carried with their own text.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("pid file {path}: {source}")]
    PidFile {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("another keepalived (pid {pid}) is running: pid file {path}")]
    AlreadyRunning { pid: i32, path: PathBuf },
    #[error("{what}: {source}")]
    Io {
        what: String,
        source: std::io::Error,
    },
    #[error("script `{script}`: {reason}")]
    Script { script: String, reason: String },
    #[error("mail to {server}: {reason}")]
    Mail { server: String, reason: String },
    #[error("{0}")]
    Other(String),
}

pub type Result<T> = std::result::Result<T, Error>;
