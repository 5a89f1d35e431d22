//! TCP_CHECK: a connection that completes within connect_timeout is a success.
//! The connection is closed at once, as keepalived does.

use std::net::SocketAddr;
use std::time::Duration;

use super::{Verdict, tcp_connect};
use crate::config::ConnectOptions;

pub async fn check(dst: SocketAddr, co: &ConnectOptions, timeout: Duration) -> Verdict {
    match tcp_connect(dst, co, timeout).await {
        Ok(_stream) => Verdict::up(),
        Err(e) => Verdict::down(e),
    }
}
