//! The kernel's IPVS over generic netlink: a small blocking client with plain kernel types.
//! It knows nothing of keepalived's configuration or checkers.
//!
//! ```no_run
//! use keepalived_ipvs::{Client, Dest, Forward, Protocol, Service, ServiceKey, Tunnel};
//! let mut ipvs = Client::open()?;
//! let key = ServiceKey::Addr { protocol: Protocol::Tcp, addr: "10.0.0.1:80".parse().unwrap() };
//! ipvs.add_service(&Service::new(key, "wlc"))?;
//! ipvs.add_dest(&key, &Dest {
//!     addr: "192.168.1.2:80".parse().unwrap(),
//!     forward: Forward::Route,
//!     weight: 1,
//!     u_threshold: 0,
//!     l_threshold: 0,
//!     tunnel: Tunnel::default(),
//! })?;
//! # Ok::<(), keepalived_ipvs::Error>(())
//! ```

mod attr;
mod client;
mod error;
mod types;
mod wire;

pub use client::Client;
pub use error::{Error, ErrorKind};
pub use types::*;
