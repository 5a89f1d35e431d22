//! The client's view of a VIP for the demo and the namespace tests: tiny servers that answer with
//! their host's name, and a UDP probe that measures the longest silence (the perceived outage).

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::time::{Duration, Instant};

/// Answers every UDP datagram with `name`, forever.
pub fn serve_udp(port: u16, name: &str) -> std::io::Result<()> {
    let sock = UdpSocket::bind(("0.0.0.0", port))?;
    let mut buf = [0u8; 64];
    loop {
        let (n, from) = sock.recv_from(&mut buf)?;
        let mut reply = Vec::with_capacity(n + name.len() + 1);
        reply.extend_from_slice(&buf[..n.min(8)]);
        reply.extend_from_slice(name.as_bytes());
        let _ = sock.send_to(&reply, from);
    }
}

/// Writes `name` and a newline to every TCP connection, forever (the scenarios' nginx stand-in).
pub fn serve_tcp(port: u16, name: &str) -> std::io::Result<()> {
    let l = TcpListener::bind(("0.0.0.0", port))?;
    for mut s in l.incoming().flatten() {
        let _ = s.write_all(format!("{name}\n").as_bytes());
    }
    Ok(())
}

/// A round-robin TCP proxy (the scenarios' haproxy stand-in): each connection goes to the next
/// backend, whose answer is copied back to the client.
pub fn serve_proxy(port: u16, backends: &[SocketAddr]) -> std::io::Result<()> {
    let l = TcpListener::bind(("0.0.0.0", port))?;
    let mut next = 0usize;
    for mut client in l.incoming().flatten() {
        let Some(to) = backends.get(next % backends.len().max(1)).copied() else {
            continue;
        };
        next += 1;
        std::thread::spawn(move || {
            if let Ok(mut b) = TcpStream::connect_timeout(&to, Duration::from_secs(1)) {
                let _ = b.set_read_timeout(Some(Duration::from_secs(2)));
                let _ = std::io::copy(&mut b, &mut client);
            }
        });
    }
    Ok(())
}

/// Connects once and returns the first line the server sends.
pub fn ask_tcp(to: SocketAddr, timeout: Duration) -> std::io::Result<String> {
    let mut s = TcpStream::connect_timeout(&to, timeout)?;
    s.set_read_timeout(Some(timeout))?;
    let mut out = String::new();
    s.read_to_string(&mut out)?;
    Ok(out.trim().to_string())
}

/// What a probe saw.
#[derive(Debug, Clone, Default)]
pub struct ProbeReport {
    pub sent: u64,
    pub answered: u64,
    /// The longest time without an answer, between the first and the last answer.
    pub longest_silence: Duration,
    /// Who answered, in order, each with the offset of its first answer since the probe started.
    pub answerers: Vec<(Duration, String)>,
}

/// Sends a sequence-numbered datagram every `every` for `total`, collecting answers.
pub fn probe_udp(to: SocketAddr, every: Duration, total: Duration) -> std::io::Result<ProbeReport> {
    let sock = UdpSocket::bind(("0.0.0.0", 0))?;
    sock.set_nonblocking(true)?;
    let start = Instant::now();
    let mut rep = ProbeReport::default();
    let mut last_answer: Option<Instant> = None;
    let mut next_send = start;
    let mut buf = [0u8; 128];
    while start.elapsed() < total {
        let now = Instant::now();
        if now >= next_send {
            let _ = sock.send_to(&rep.sent.to_be_bytes(), to);
            rep.sent += 1;
            next_send += every;
        }
        loop {
            match sock.recv_from(&mut buf) {
                Ok((n, _)) if n >= 8 => {
                    let at = Instant::now();
                    rep.answered += 1;
                    if let Some(prev) = last_answer {
                        rep.longest_silence = rep.longest_silence.max(at - prev);
                    }
                    last_answer = Some(at);
                    let who = String::from_utf8_lossy(&buf[8..n]).to_string();
                    if rep.answerers.last().map(|(_, w)| w) != Some(&who) {
                        rep.answerers.push((at - start, who));
                    }
                }
                Ok(_) => {}
                Err(_) => break,
            }
        }
        std::thread::sleep(Duration::from_micros(200));
    }
    Ok(rep)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn probe_sees_the_server_on_loopback() {
        let s = UdpSocket::bind("127.0.0.1:0").unwrap();
        let port = s.local_addr().unwrap().port();
        drop(s);
        std::thread::spawn(move || serve_udp(port, "node1"));
        std::thread::sleep(Duration::from_millis(50));
        let r = probe_udp(
            ([127, 0, 0, 1], port).into(),
            Duration::from_millis(2),
            Duration::from_millis(200),
        )
        .unwrap();
        assert!(r.answered > 10, "{r:?}");
        assert_eq!(r.answerers[0].1, "node1");
    }
}
