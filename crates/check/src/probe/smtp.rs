//! SMTP_CHECK: read the 220 banner, say HELO, expect 250, then QUIT.
//! Multi-line replies (`250-...`) are read to their last line.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::{Verdict, tcp_connect};
use crate::config::ConnectOptions;

/// A failed check's reason is keepalived's own line after "SMTP_CHECK " (check_smtp.c), e.g.
/// "Could not connect to server [192.0.2.1]:25": the scheduler logs it as it stands.
pub async fn check(
    dst: SocketAddr,
    co: &ConnectOptions,
    helo: Option<&str>,
    timeout: Duration,
) -> Verdict {
    let helo = helo.map_or_else(local_name, str::to_string);
    let server = match dst {
        SocketAddr::V4(a) => format!("[{}]:{}", a.ip(), a.port()),
        SocketAddr::V6(a) => format!("[{}]:{}", a.ip(), a.port()),
    };
    match dialogue(dst, co, &helo, &server, timeout).await {
        Ok(()) => Verdict::up(),
        Err(e) => Verdict::down(e),
    }
}

/// Connect, banner, HELO, QUIT; each step bounded by `timeout` as keepalived bounds each read
/// and write by connect_timeout.
async fn dialogue(
    dst: SocketAddr,
    co: &ConnectOptions,
    helo: &str,
    server: &str,
    timeout: Duration,
) -> Result<(), String> {
    let stream = tcp_connect(dst, co, timeout).await.map_err(|e| {
        if e.starts_with("Timeout") {
            format!("Connection timeout to server {server}")
        } else if e.starts_with("Connection failed") {
            format!("Could not connect to server {server}")
        } else {
            format!("Error connecting to server {server}")
        }
    })?;
    let mut s = stream;
    expect(&mut s, 220, timeout, server)
        .await
        .map_err(|e| e.unwrap_or_else(|| format!("Bad greeting banner from server {server}")))?;
    write(
        &mut s,
        format!("HELO {helo}\r\n").as_bytes(),
        timeout,
        server,
    )
    .await?;
    expect(&mut s, 250, timeout, server)
        .await
        .map_err(|e| e.unwrap_or_else(|| format!("Bad HELO response from server {server}")))?;
    let _ = write(&mut s, b"QUIT\r\n", timeout, server).await;
    Ok(())
}

async fn write<W: AsyncWriteExt + Unpin>(
    w: &mut W,
    bytes: &[u8],
    timeout: Duration,
    server: &str,
) -> Result<(), String> {
    match tokio::time::timeout(timeout, w.write_all(bytes)).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(_)) => Err(format!("Write failure to server {server}")),
        Err(_) => Err(format!("Write timeout to server {server}")),
    }
}

fn local_name() -> String {
    nix::unistd::gethostname()
        .ok()
        .and_then(|h| h.into_string().ok())
        .unwrap_or_else(|| "localhost".into())
}

/// keepalived's SMTP_BUFF_MAX (check_smtp.h): its line buffer, the terminating NUL included.
pub const SMTP_BUFF_MAX: usize = 512;

/// The longest line, its `\n` included, that keepalived's buffer holds (one byte is its NUL).
pub const LINE_MAX: usize = SMTP_BUFF_MAX - 1;

/// What the bytes of one reply said so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// No whole final line yet: read more into [`ReplyReader::room`].
    More,
    /// The final line carries the wanted code.
    Accepted,
    /// A line carries another code, or none.
    WrongCode,
    /// [`LINE_MAX`] bytes without a newline: the line does not fit the buffer.
    Overflow,
}

/// One SMTP reply read from a stream into a fixed buffer of [`LINE_MAX`] bytes, sans I/O: the
/// caller reads into [`room`](Self::room) and reports the count to [`filled`](Self::filled).
/// A multi-line reply (`250-...`) is read line by line, each line within the buffer, so memory
/// stays at the buffer whatever the server sends. keepalived wraps a full buffer and reads on
/// (logging "Buffer overflow"); here a line that does not fit fails the check.
pub struct ReplyReader {
    buf: [u8; LINE_MAX],
    len: usize,
    code: u16,
}

impl ReplyReader {
    /// A reader for a reply that must carry `code`.
    pub fn new(code: u16) -> Self {
        ReplyReader {
            buf: [0; LINE_MAX],
            len: 0,
            code,
        }
    }

    /// The free part of the buffer, for the next read. Never empty while [`Step::More`] is
    /// the last answer: a full buffer without a newline is [`Step::Overflow`].
    pub fn room(&mut self) -> &mut [u8] {
        &mut self.buf[self.len..]
    }

    /// `n` bytes were read into [`room`](Self::room). Bytes after the final line are dropped,
    /// as keepalived clears its buffer for each reply.
    pub fn filled(&mut self, n: usize) -> Step {
        self.len = (self.len + n).min(LINE_MAX);
        loop {
            let Some(nl) = self.buf[..self.len].iter().position(|&b| b == b'\n') else {
                return if self.len == LINE_MAX {
                    Step::Overflow
                } else {
                    Step::More
                };
            };
            let line = &self.buf[..nl];
            let got = match line.get(..3) {
                Some(c) if c.iter().all(u8::is_ascii_digit) => {
                    c.iter().fold(0u16, |a, &d| a * 10 + u16::from(d - b'0'))
                }
                _ => return Step::WrongCode,
            };
            if got != self.code {
                return Step::WrongCode;
            }
            if line.get(3) != Some(&b'-') {
                return Step::Accepted;
            }
            // A continuation line: keep what follows it and look again.
            self.buf.copy_within(nl + 1..self.len, 0);
            self.len -= nl + 1;
        }
    }
}

/// Reads one reply (a multi-line one to its last line) and wants `code`. `Err(None)`: another
/// code (the caller names the step); `Err(Some(line))`: the read itself failed, or a line was
/// longer than keepalived's buffer. Each read is bounded by `timeout`, as keepalived bounds
/// each; the whole reply by twice that, so that a server trickling endless continuation lines
/// cannot hold the check.
async fn expect<R: AsyncReadExt + Unpin>(
    r: &mut R,
    code: u16,
    timeout: Duration,
    server: &str,
) -> Result<(), Option<String>> {
    let mut reader = ReplyReader::new(code);
    let whole = async {
        loop {
            let n = match tokio::time::timeout(timeout, r.read(reader.room())).await {
                Ok(Ok(n)) => n,
                Ok(Err(_)) => return Err(Some(format!("Read failure from server {server}"))),
                Err(_) => return Err(Some(format!("Read timeout from server {server}"))),
            };
            if n == 0 {
                return Err(Some(format!("Read failure from server {server}")));
            }
            match reader.filled(n) {
                Step::More => {}
                Step::Accepted => return Ok(()),
                Step::WrongCode => return Err(None),
                Step::Overflow => {
                    return Err(Some(format!(
                        "Buffer overflow reading from server {server}"
                    )));
                }
            }
        }
    };
    match tokio::time::timeout(timeout.saturating_mul(2), whole).await {
        Ok(r) => r,
        Err(_) => Err(Some(format!("Read timeout from server {server}"))),
    }
}
