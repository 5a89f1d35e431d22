//! UDP_CHECK: send a payload; without require_reply, silence is success and an ICMP error a
//! failure; with it, a reply must come whose length and bytes (with x wildcards) match.

use std::net::SocketAddr;
use std::time::Duration;

use super::{Verdict, udp_connect};
use crate::config::{ConnectOptions, ReplyPattern};

/// Whether a reply passes `require_reply`, `min_reply_length` and `max_reply_length`.
/// Only the shorter of the reply and the pattern is compared, as in keepalived.
pub fn reply_matches(pattern: Option<&ReplyPattern>, min: usize, max: usize, reply: &[u8]) -> bool {
    if reply.len() < min || reply.len() > max {
        return false;
    }
    match pattern {
        None => true,
        Some(p) => p
            .bytes
            .iter()
            .zip(reply)
            .all(|(&(v, m), &r)| (r ^ v) & m == 0),
    }
}

pub async fn check(
    dst: SocketAddr,
    co: &ConnectOptions,
    payload: Option<&[u8]>,
    require_reply: Option<&ReplyPattern>,
    min: usize,
    max: usize,
    timeout: Duration,
) -> Verdict {
    let random: [u8; 16];
    let payload = match payload {
        Some(p) => p,
        None => {
            random = rand::random();
            &random
        }
    };
    let sock = match udp_connect(dst, co) {
        Ok(s) => s,
        Err(e) => return Verdict::down(format!("UDP socket: {e}")),
    };
    if let Err(e) = sock.send(payload).await {
        return Verdict::down(format!("UDP send: {e}"));
    }
    let mut buf = vec![0u8; max.saturating_add(1).min(65536)];
    match tokio::time::timeout(timeout, sock.recv(&mut buf)).await {
        Ok(Ok(n)) => {
            if require_reply.is_none() || reply_matches(require_reply, min, max, &buf[..n]) {
                Verdict::up()
            } else {
                Verdict::down("UDP reply does not match")
            }
        }
        Ok(Err(e)) => Verdict::down(format!("UDP connection to failed ({e})")),
        Err(_) if require_reply.is_none() => Verdict::up(),
        Err(_) => Verdict::down("UDP reply timeout"),
    }
}
