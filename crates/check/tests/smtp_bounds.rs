//! SMTP_CHECK reads into keepalived's fixed buffer (security review M1): a server that never
//! sends a newline fails the check with a reason, and the reader never holds more than
//! `LINE_MAX` bytes, whatever the server sends.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Write;
use std::net::TcpListener;
use std::time::Duration;

use keepalived_check::probe::smtp::{self, LINE_MAX, ReplyReader, SMTP_BUFF_MAX, Step};
use keepalived_check::*;

fn feed(r: &mut ReplyReader, mut data: &[u8]) -> Step {
    loop {
        let room = r.room();
        let n = room.len().min(data.len());
        room[..n].copy_from_slice(&data[..n]);
        data = &data[n..];
        let step = r.filled(n);
        if step != Step::More || data.is_empty() {
            return step;
        }
    }
}

#[test]
fn the_reader_is_keepalived_buffer_and_no_more() {
    assert_eq!(SMTP_BUFF_MAX, 512);
    assert_eq!(LINE_MAX, 511);
    // The buffer is inline and fixed: the reader's whole size is the bound.
    assert!(std::mem::size_of::<ReplyReader>() <= SMTP_BUFF_MAX + 16);
    assert_eq!(ReplyReader::new(220).room().len(), LINE_MAX);

    // The longest line that fits keepalived's buffer: 510 bytes and the newline.
    let mut ok = b"220 ".to_vec();
    ok.resize(LINE_MAX - 1, b'x');
    ok.push(b'\n');
    assert_eq!(feed(&mut ReplyReader::new(220), &ok), Step::Accepted);

    // One byte more is an overflow, found as soon as the buffer is full.
    let mut long = b"220 ".to_vec();
    long.resize(LINE_MAX, b'x');
    let mut r = ReplyReader::new(220);
    assert_eq!(feed(&mut r, &long), Step::Overflow);
    assert!(r.room().is_empty());

    // Endless bytes without a newline: the same, after LINE_MAX of them.
    let mut r = ReplyReader::new(220);
    assert_eq!(feed(&mut r, &vec![b'A'; 1 << 20]), Step::Overflow);

    // Continuation lines, each within the buffer, however many: the buffer is reused.
    let mut many = Vec::new();
    for _ in 0..1000 {
        many.extend_from_slice(b"250-a long enough continuation line\r\n");
    }
    many.extend_from_slice(b"250 done\r\n");
    assert_eq!(feed(&mut ReplyReader::new(250), &many), Step::Accepted);

    assert_eq!(
        feed(&mut ReplyReader::new(250), b"220 hi\r\n"),
        Step::WrongCode
    );
    assert_eq!(feed(&mut ReplyReader::new(250), b"25\n"), Step::WrongCode);
    assert_eq!(feed(&mut ReplyReader::new(250), b"250"), Step::More);
}

/// A real server on loopback that floods `A`s and never a newline: the check fails with
/// "Buffer overflow" and closes the connection, so the server's writes end in an error.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_without_newline_fails_the_check() {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    let server = std::thread::spawn(move || {
        let (mut s, _) = l.accept().unwrap();
        let chunk = vec![b'A'; 65536];
        let mut sent = 0usize;
        // Until the checker closes; the cap only keeps a broken checker from hanging the test.
        while sent < 1 << 30 {
            match s.write(&chunk) {
                Ok(n) => sent += n,
                Err(_) => return (sent, true),
            }
        }
        (sent, false)
    });
    let v = smtp::check(
        addr,
        &ConnectOptions::default(),
        Some("t"),
        Duration::from_secs(3),
    )
    .await;
    assert!(!v.ok);
    assert_eq!(
        v.reason,
        format!(
            "Buffer overflow reading from server [127.0.0.1]:{}",
            addr.port()
        )
    );
    let (sent, closed) = server.join().unwrap();
    assert!(closed, "the checker kept reading ({sent} bytes sent)");
}
