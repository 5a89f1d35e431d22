//! The crate's one error type: what failed, and on what address or file.
//! Probe failures are verdicts, not errors; these are for setup and genhash.

use std::net::SocketAddr;

#[derive(Debug, thiserror::Error)]
pub enum CheckError {
    #[error("connect to {addr}: {source}")]
    Connect {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("timed out talking to {0}")]
    Timeout(SocketAddr),
    #[error("i/o with {addr}: {source}")]
    Io {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("TLS with {addr}: {msg}")]
    Tls { addr: SocketAddr, msg: String },
    #[error("bad HTTP reply from {addr}: {msg}")]
    Http { addr: SocketAddr, msg: String },
    #[error("cannot resolve {0}")]
    Resolve(String),
    #[error("invalid argument: {0}")]
    Invalid(String),
}
