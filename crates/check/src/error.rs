//! The crate's one error type: what failed, and on what address or file.
//! Probe failures are verdicts, not errors; these are for setup (TLS identity) and genhash.

use std::net::SocketAddr;

#[derive(Debug, thiserror::Error)]
pub enum CheckError {
    /// genhash could not fetch the URL (connect, TLS, read or reply), in keepalived's words.
    #[error("{addr}: {msg}")]
    Http { addr: SocketAddr, msg: String },
    /// Writing genhash's output failed.
    #[error("writing output for {addr}: {source}")]
    Io {
        addr: SocketAddr,
        source: std::io::Error,
    },
    /// A configuration value could not be used (certificate or key files, ...).
    #[error("invalid configuration: {0}")]
    Invalid(String),
}
