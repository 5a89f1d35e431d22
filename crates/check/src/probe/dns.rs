//! DNS_CHECK: one query over UDP; a reply with our id, the response bit and rcode NOERROR
//! is a success, as in keepalived.

use std::net::SocketAddr;
use std::str::FromStr;
use std::time::Duration;

use hickory_proto::op::{Message, MessageType, OpCode, Query, ResponseCode};
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

/// Judge a reply to query `id`.
pub fn judge(id: u16, reply: &[u8]) -> Result<(), String> {
    let m = Message::from_vec(reply).map_err(|e| format!("bad reply: {e}"))?;
    if m.id() != id {
        return Err("ID does not match".into());
    }
    if m.message_type() != MessageType::Response {
        return Err("receive query message?".into());
    }
    if m.response_code() != ResponseCode::NoError {
        return Err(format!(
            "read error occurred. (rcode = {})",
            u16::from(m.response_code())
        ));
    }
    Ok(())
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
        let mut buf = vec![0u8; 4096];
        loop {
            let n = sock.recv(&mut buf).await.map_err(|e| {
                let n = e.raw_os_error().unwrap_or(0);
                format!(
                    "failed to read socket; errno {n} ({})",
                    nix::errno::Errno::from_raw(n).desc()
                )
            })?;
            // A stray datagram with another id is not our answer: keep waiting.
            if n >= 2 && buf[..2] != id.to_be_bytes() {
                continue;
            }
            return judge(id, &buf[..n]);
        }
    };
    match tokio::time::timeout(timeout, work).await {
        Ok(Ok(())) => Verdict::up(),
        Ok(Err(e)) => Verdict::down(e),
        Err(_) => Verdict::down("read timeout from socket"),
    }
}
