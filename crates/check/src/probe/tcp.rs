//! TCP_CHECK: a connection that completes within connect_timeout is a success.
//! The connection is then aborted at once with a reset (see [`check`] for why not a FIN).

use std::net::SocketAddr;
use std::time::Duration;

use super::{Verdict, tcp_connect_bare};
use crate::config::ConnectOptions;

/// Connect, and on success close with `SO_LINGER {on, 0}`, which sends a RST.
///
/// keepalived 2.2.7 sets `SO_LINGER {on, 5}` on its checker sockets (core/layer4.c) and closes
/// with a FIN: seven packets per check and a TIME_WAIT socket on the checker's side for 60 s,
/// that is 600,000 of them at 10,000 checks per second (past the kernel's default
/// `tcp_max_tw_buckets` of 131,072, beyond which it drops them with a warning, and near the
/// ephemeral port range). A reset ends the connection in four packets and leaves no TIME_WAIT
/// here or in a stateful firewall's table; HAProxy closes its health-check connections the
/// same way for the same reason. The server has still seen a complete handshake: its accept()
/// hands out the connection (tests/tcp_check.rs), and only its first read fails
/// (ECONNRESET instead of end of stream), so the verdict means what keepalived's means. No
/// option to close with a FIN: keepalived has none to be compatible with, the check sends no
/// data either way, and a server whose logs should not see resets (they see an empty
/// connection already) is better checked with HTTP_GET or MISC_CHECK.
pub async fn check(dst: SocketAddr, co: &ConnectOptions, timeout: Duration) -> Verdict {
    match tcp_connect_bare(dst, co, timeout).await {
        Ok(sock) => {
            // If the option cannot be set the socket simply closes with a FIN.
            let _ = sock.set_linger(Some(Duration::ZERO));
            Verdict::up()
        }
        Err(e) => Verdict::down(e),
    }
}
