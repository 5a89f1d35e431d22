//! The kernel's IPVS over generic netlink: a small client with plain kernel types.
//! It knows nothing of keepalived's configuration or checkers.

mod types;

pub use types::*;
