//! DNS_CHECK: one query over UDP; a reply with our id, the response bit and rcode NOERROR
//! is a success, as in keepalived, which reads only the reply's header.

use std::net::SocketAddr;
use std::str::FromStr;
use std::time::Duration;

use hickory_proto::op::{Message, MessageType, OpCode, Query};
use hickory_proto::rr::{Name, RecordType};

use super::{Verdict, udp_connect};
use crate::config::{ConnectOptions, DnsType};

fn record_type(t: DnsType) -> RecordType {
    match t {
        DnsType::A => RecordType::A,
        DnsType::Ns => RecordType::NS,
        DnsType::Cname => RecordType::CNAME,
        DnsType::Soa => RecordType::SOA,
        DnsType::Mx => RecordType::MX,
        DnsType::Txt => RecordType::TXT,
        DnsType::Aaaa => RecordType::AAAA,
    }
}

/// The query bytes (recursion desired, as keepalived sets it).
pub fn query(id: u16, kind: DnsType, name: &str) -> Result<Vec<u8>, String> {
    let name = Name::from_str(name).map_err(|e| format!("bad name {name}: {e}"))?;
    let mut m = Message::new();
    m.set_id(id)
        .set_message_type(MessageType::Query)
        .set_op_code(OpCode::Query)
        .set_recursion_desired(true)
        .add_query(Query::query(name, record_type(kind)));
    m.to_vec().map_err(|e| e.to_string())
}

/// keepalived's DNS_BUFFER_SIZE (check_dns.h): one datagram is read into this much; a longer
/// one is cut, which does not matter since only its header is judged.
pub const DNS_BUFFER_SIZE: usize = 768;

/// The size of a DNS header.
const HEADER: usize = 12;

/// Judge one datagram received for query `id` by its header alone, as keepalived's
/// dns_recv_thread does: `None` when it is not our answer (shorter than a header, another id, a
/// query) and the check waits for another; else whether its rcode is NOERROR. keepalived's
/// "too small" test compares with the size of a pointer (8 bytes); a whole header is wanted here.
pub fn judge(id: u16, reply: &[u8]) -> Option<Result<(), String>> {
    let header = reply.get(..HEADER)?;
    if header[..2] != id.to_be_bytes() {
        return None;
    }
    let flags = u16::from_be_bytes([header[2], header[3]]);
    if flags & 0x8000 == 0 {
        return None;
    }
    match flags & 0x000f {
        0 => Some(Ok(())),
        rcode => Some(Err(format!("read error occurred. (rcode = {rcode})"))),
    }
}

pub async fn check(
    dst: SocketAddr,
    co: &ConnectOptions,
    kind: DnsType,
    name: &str,
    timeout: Duration,
) -> Verdict {
    let id: u16 = rand::random();
    let q = match query(id, kind, name) {
        Ok(q) => q,
        Err(e) => return Verdict::down(e),
    };
    // Failures in keepalived's words (check_dns.c), which the scheduler logs as they stand.
    let work = async {
        let sock = udp_connect(dst, co).map_err(|e| {
            if super::connect_failure(&e).starts_with("Connection failed") {
                "connection failure.".to_string()
            } else {
                "connection error.".to_string()
            }
        })?;
        sock.send(&q)
            .await
            .map_err(|_| "failed to write socket.".to_string())?;
        let mut buf = [0u8; DNS_BUFFER_SIZE];
        loop {
            let n = sock.recv(&mut buf).await.map_err(|e| {
                let n = e.raw_os_error().unwrap_or(0);
                format!(
                    "failed to read socket; errno {n} ({})",
                    nix::errno::Errno::from_raw(n).desc()
                )
            })?;
            if let Some(verdict) = judge(id, &buf[..n]) {
                return verdict;
            }
        }
    };
    match tokio::time::timeout(timeout, work).await {
        Ok(Ok(())) => Verdict::up(),
        Ok(Err(e)) => Verdict::down(e),
        Err(_) => Verdict::down("read timeout from socket"),
    }
}
