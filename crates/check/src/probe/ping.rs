//! PING_CHECK: one ICMP (v4) or ICMPv6 echo; the matching echo reply within connect_timeout is
//! a success. Uses an unprivileged ping socket when ping_group_range allows, else a raw one.

use std::io;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use socket2::{Domain, Protocol, Socket, Type};

use super::Verdict;
use crate::config::ConnectOptions;

fn checksum(data: &[u8]) -> u16 {
    let mut sum: u32 = data
        .chunks(2)
        .map(|c| u32::from(u16::from_be_bytes([c[0], *c.get(1).unwrap_or(&0)])))
        .sum();
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

fn open(ip: IpAddr, co: &ConnectOptions) -> io::Result<(Socket, bool)> {
    let (domain, proto) = match ip {
        IpAddr::V4(_) => (Domain::IPV4, Protocol::ICMPV4),
        IpAddr::V6(_) => (Domain::IPV6, Protocol::ICMPV6),
    };
    let (s, raw) = match Socket::new(domain, Type::DGRAM, Some(proto)) {
        Ok(s) => (s, false),
        Err(_) => (Socket::new(domain, Type::RAW, Some(proto))?, true),
    };
    s.set_nonblocking(true)?;
    s.set_cloexec(true)?;
    if let Some(ifname) = &co.bind_if {
        s.bind_device(Some(ifname.as_bytes()))?;
    }
    if let Some(mark) = co.fwmark {
        s.set_mark(mark)?;
    }
    if let Some(src) = co.bindto {
        s.bind(&SocketAddr::new(src, 0).into())?;
    }
    Ok((s, raw))
}

/// Build an echo request.
pub fn echo_request(v6: bool, id: u16, seq: u16, payload: &[u8]) -> Vec<u8> {
    let mut p = vec![if v6 { 128 } else { 8 }, 0, 0, 0];
    p.extend_from_slice(&id.to_be_bytes());
    p.extend_from_slice(&seq.to_be_bytes());
    p.extend_from_slice(payload);
    if !v6 {
        let c = checksum(&p);
        p[2..4].copy_from_slice(&c.to_be_bytes());
    }
    p
}

/// Whether `pkt` (ICMP message, IP header already stripped) is the reply to our echo.
pub fn is_reply(v6: bool, pkt: &[u8], id: Option<u16>, seq: u16) -> bool {
    if pkt.len() < 8 || pkt[0] != if v6 { 129 } else { 0 } {
        return false;
    }
    let got_id = u16::from_be_bytes([pkt[4], pkt[5]]);
    let got_seq = u16::from_be_bytes([pkt[6], pkt[7]]);
    got_seq == seq && id.is_none_or(|i| i == got_id)
}

pub async fn check(ip: IpAddr, co: &ConnectOptions, timeout: Duration) -> Verdict {
    match tokio::time::timeout(timeout, ping(ip, co)).await {
        Ok(Ok(())) => Verdict::up(),
        Ok(Err(e)) => Verdict::down(format!("ICMP: {e}")),
        Err(_) => Verdict::down("ICMP timeout"),
    }
}

async fn ping(ip: IpAddr, co: &ConnectOptions) -> io::Result<()> {
    let v6 = ip.is_ipv6();
    let (sock, raw) = open(ip, co)?;
    let id: u16 = rand::random();
    let seq: u16 = rand::random();
    let req = echo_request(v6, id, seq, b"keepalived-rs ping");
    // An ICMP socket speaks datagrams like UDP does, so tokio's UdpSocket can drive it.
    let sock = tokio::net::UdpSocket::from_std(std::net::UdpSocket::from(sock))?;
    sock.send_to(&req, SocketAddr::new(ip, 0)).await?;
    let mut buf = [0u8; 2048];
    loop {
        let n = sock.recv(&mut buf).await?;
        let data = buf[..n].to_vec();
        let pkt = if raw && !v6 {
            let ihl = usize::from(data.first().map_or(0, |b| b & 0x0f)) * 4;
            data.get(ihl..).unwrap_or_default().to_vec()
        } else {
            data
        };
        // A ping socket rewrites the id to its own port; match on seq alone there.
        if is_reply(v6, &pkt, if raw { Some(id) } else { None }, seq) {
            return Ok(());
        }
    }
}
