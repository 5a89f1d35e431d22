//! SMTP_CHECK: read the 220 banner, say HELO, expect 250, then QUIT.
//! Multi-line replies (`250-...`) are read to their last line.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

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
    let mut s = BufReader::new(stream);
    expect(&mut s, 220, timeout, server)
        .await
        .map_err(|e| e.unwrap_or_else(|| format!("Bad greeting banner from server {server}")))?;
    write(
        s.get_mut(),
        format!("HELO {helo}\r\n").as_bytes(),
        timeout,
        server,
    )
    .await?;
    expect(&mut s, 250, timeout, server)
        .await
        .map_err(|e| e.unwrap_or_else(|| format!("Bad HELO response from server {server}")))?;
    let _ = write(s.get_mut(), b"QUIT\r\n", timeout, server).await;
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

/// Reads one reply (a multi-line one to its last line) and wants `code`. `Err(None)`: another
/// code (the caller names the step); `Err(Some(line))`: the read itself failed.
async fn expect<R: AsyncBufReadExt + Unpin>(
    r: &mut R,
    code: u16,
    timeout: Duration,
    server: &str,
) -> Result<(), Option<String>> {
    loop {
        let mut line = String::new();
        let n = match tokio::time::timeout(timeout, r.read_line(&mut line)).await {
            Ok(Ok(n)) => n,
            Ok(Err(_)) => return Err(Some(format!("Read failure from server {server}"))),
            Err(_) => return Err(Some(format!("Read timeout from server {server}"))),
        };
        if n == 0 {
            return Err(Some(format!("Read failure from server {server}")));
        }
        if line.len() > 4096 {
            return Err(None);
        }
        let got = line.get(..3).and_then(|c| c.parse::<u16>().ok());
        if got != Some(code) {
            return Err(None);
        }
        if line.as_bytes().get(3) != Some(&b'-') {
            return Ok(());
        }
    }
}
