//! TCP_CHECK's connection against real listeners: the server sees a completed connection that
//! the checker then resets, and connections that do not complete at once still get a verdict.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::{ErrorKind, Read};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::time::{Duration, Instant};

use common::port;
use keepalived_check::{CheckerConfig, probe};
use socket2::{Domain, Socket, Type};

fn sa(ip: &str, port: u16) -> SocketAddr {
    SocketAddr::new(ip.parse().unwrap(), port)
}

/// A listener whose accept queue holds a single connection (backlog 0): once that one waits,
/// the kernel drops further SYNs, so a connect stays in progress until the queue has room.
fn tiny_listener(addr: SocketAddr) -> TcpListener {
    let s = Socket::new(Domain::IPV4, Type::STREAM, None).unwrap();
    s.set_reuse_address(true).unwrap();
    s.bind(&addr.into()).unwrap();
    s.listen(0).unwrap();
    s.into()
}

fn accept_within(l: &TcpListener, limit: Duration) -> TcpStream {
    l.set_nonblocking(true).unwrap();
    let t = Instant::now();
    loop {
        match l.accept() {
            Ok((s, _)) => return s,
            Err(e) if e.kind() == ErrorKind::WouldBlock && t.elapsed() < limit => {
                std::thread::sleep(Duration::from_millis(5));
            }
            Err(e) => panic!("accept: {e}"),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tcp_check_up_and_the_server_accepts_a_connection_it_then_sees_reset() {
    let addr = sa("127.0.0.41", port());
    let l = TcpListener::bind(addr).unwrap();
    let v = probe::check(&CheckerConfig::tcp(), addr, Duration::from_secs(2)).await;
    assert!(v.ok, "{v:?}");
    // The handshake completed: the server's accept() hands out the connection.
    let mut conn = accept_within(&l, Duration::from_secs(2));
    conn.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
    // A FIN would read as end of stream (Ok(0)); the checker aborts with a RST instead.
    let mut buf = [0u8; 16];
    let err = conn
        .read(&mut buf)
        .expect_err("expected a reset, got a FIN or data");
    assert_eq!(err.kind(), ErrorKind::ConnectionReset, "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tcp_check_down_when_refused() {
    let addr = sa("127.0.0.42", port());
    let v = probe::check(&CheckerConfig::tcp(), addr, Duration::from_secs(2)).await;
    assert!(!v.ok);
    // keepalived's connect_fail: "Connection failed" (HTTP_GET), "Could not connect" (SMTP).
    assert!(v.reason.starts_with("Connection failed"), "{}", v.reason);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tcp_check_times_out_while_the_syn_goes_unanswered() {
    let addr = sa("127.0.0.43", port());
    let l = tiny_listener(addr);
    let _filler = TcpStream::connect(addr).unwrap();
    let t = Instant::now();
    let v = probe::check(&CheckerConfig::tcp(), addr, Duration::from_millis(300)).await;
    assert!(!v.ok);
    assert_eq!(v.reason, "Timeout connecting");
    assert!(t.elapsed() >= Duration::from_millis(300));
    drop(l);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tcp_check_up_when_the_handshake_completes_later() {
    let addr = sa("127.0.0.44", port());
    let l = tiny_listener(addr);
    let filler = TcpStream::connect(addr).unwrap();
    // Make room in the accept queue a little after the check's first SYN was dropped; the
    // kernel's SYN retransmission (1 s) then completes the handshake while the check waits.
    let server = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(200));
        let first = accept_within(&l, Duration::from_secs(2));
        let second = accept_within(&l, Duration::from_secs(5));
        (first, second)
    });
    let t = Instant::now();
    let v = probe::check(&CheckerConfig::tcp(), addr, Duration::from_secs(4)).await;
    let took = t.elapsed();
    assert!(v.ok, "{v:?}");
    assert!(
        took >= Duration::from_millis(500),
        "the handshake should have waited for a retransmitted SYN, took {took:?}"
    );
    let (_first, _second) = server.join().unwrap();
    drop(filler);
}
