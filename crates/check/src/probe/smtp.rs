//! SMTP_CHECK: read the 220 banner, say HELO, expect 250, then QUIT.
//! Multi-line replies (`250-...`) are read to their last line.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

use super::{Verdict, tcp_connect};
use crate::config::ConnectOptions;

pub async fn check(
    dst: SocketAddr,
    co: &ConnectOptions,
    helo: Option<&str>,
    timeout: Duration,
) -> Verdict {
    let helo = helo.map_or_else(local_name, str::to_string);
    let work = async {
        let stream = tcp_connect(dst, co, timeout).await?;
        let mut s = BufReader::new(stream);
        expect(&mut s, 220, "banner").await?;
        s.get_mut()
            .write_all(format!("HELO {helo}\r\n").as_bytes())
            .await
            .map_err(|e| e.to_string())?;
        expect(&mut s, 250, "HELO").await?;
        let _ = s.get_mut().write_all(b"QUIT\r\n").await;
        Ok::<(), String>(())
    };
    match tokio::time::timeout(timeout, work).await {
        Ok(Ok(())) => Verdict::up(),
        Ok(Err(e)) => Verdict::down(e),
        Err(_) => Verdict::down("timeout"),
    }
}

fn local_name() -> String {
    nix::unistd::gethostname()
        .ok()
        .and_then(|h| h.into_string().ok())
        .unwrap_or_else(|| "localhost".into())
}

async fn expect<R: AsyncBufReadExt + Unpin>(
    r: &mut R,
    code: u16,
    what: &str,
) -> Result<(), String> {
    loop {
        let mut line = String::new();
        let n = r
            .read_line(&mut line)
            .await
            .map_err(|e| format!("{what}: {e}"))?;
        if n == 0 {
            return Err(format!("{what}: connection closed"));
        }
        if line.len() > 4096 {
            return Err(format!("{what}: line too long"));
        }
        let got = line.get(..3).and_then(|c| c.parse::<u16>().ok());
        if got != Some(code) {
            return Err(format!("{what}: bad reply {:?}", line.trim_end()));
        }
        if line.as_bytes().get(3) != Some(&b'-') {
            return Ok(());
        }
    }
}
