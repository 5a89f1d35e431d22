//! keepalived's `genhash`: fetch one URL over HTTP or HTTPS and print the MD5 digest of the
//! body, to paste into a `digest` line. The daemon's `--genhash`/`-T` calls [`run`].

use std::io::Write;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use crate::config::{ConnectOptions, HttpProtocol};
use crate::error::CheckError;
use crate::probe::http;

/// genhash's options (`-s server -p port -u url -S -V vhost -v -t timeout -P protocol`).
#[derive(Debug, Clone)]
pub struct GenhashOptions {
    pub server: IpAddr,
    /// Default 80, or 443 with `ssl`.
    pub port: Option<u16>,
    pub url: String,
    pub ssl: bool,
    /// `-I` in genhash: send SNI (with `virtualhost`).
    pub sni: bool,
    pub virtualhost: Option<String>,
    pub verbose: bool,
    pub timeout: Duration,
    pub protocol: HttpProtocol,
    pub bind_ip: Option<IpAddr>,
    pub fwmark: Option<u32>,
}

impl GenhashOptions {
    pub fn new(server: IpAddr, url: impl Into<String>) -> Self {
        GenhashOptions {
            server,
            port: None,
            url: url.into(),
            ssl: false,
            sni: false,
            virtualhost: None,
            verbose: false,
            timeout: Duration::from_secs(5),
            protocol: HttpProtocol::V1_0,
            bind_ip: None,
            fwmark: None,
        }
    }
}

/// Fetch the URL and return the reply (status, header, body head, digest).
pub async fn fetch(opts: &GenhashOptions) -> Result<http::Reply, CheckError> {
    let port = opts.port.unwrap_or(if opts.ssl { 443 } else { 80 });
    let dst = SocketAddr::new(opts.server, port);
    let co = ConnectOptions {
        bindto: opts.bind_ip,
        fwmark: opts.fwmark,
        ..Default::default()
    };
    let tls = opts.ssl.then(|| (http::tls_connector(), opts.sni));
    http::get(
        dst,
        &co,
        &opts.url,
        opts.protocol,
        opts.virtualhost.as_deref(),
        tls,
        opts.timeout,
    )
    .await
    .map_err(|msg| CheckError::Http { addr: dst, msg })
}

/// genhash's hex dump: decimal offsets, 16 bytes a line split by " - ", then the printable part.
fn dump(out: &mut dyn Write, data: &[u8]) -> std::io::Result<()> {
    for (i, chunk) in data.chunks(16).enumerate() {
        let mut hexpart = String::new();
        for (j, b) in chunk.iter().enumerate() {
            if j == 8 {
                hexpart.push_str("- ");
            }
            hexpart.push_str(&format!("{b:02x} "));
        }
        let ascii: String = chunk
            .iter()
            .map(|&b| {
                if (0x20..0x7f).contains(&b) {
                    b as char
                } else {
                    '.'
                }
            })
            .collect();
        writeln!(out, "{:04}  {hexpart:<50}{ascii:<16}", i * 16)?;
    }
    Ok(())
}

/// Run genhash: print the digest as keepalived's genhash does (only the hex digest, or the
/// header, body and hash dumps first under `verbose`). Returns the digest.
pub async fn run(opts: &GenhashOptions, out: &mut dyn Write) -> Result<String, CheckError> {
    let reply = fetch(opts).await?;
    let port = opts.port.unwrap_or(if opts.ssl { 443 } else { 80 });
    let dst = SocketAddr::new(opts.server, port);
    let io = |e| CheckError::Io {
        addr: dst,
        source: e,
    };
    if opts.verbose {
        let rule = |t: &str| format!("-----------------------[{t:^26}]-----------------------");
        writeln!(out, "{}", rule("HTTP Header Buffer")).map_err(io)?;
        dump(out, &reply.header).map_err(io)?;
        writeln!(out, "{}", rule("HTTP Header Ascii Buffer")).map_err(io)?;
        writeln!(
            out,
            "{}",
            String::from_utf8_lossy(&reply.header).replace("\r\n", "\n")
        )
        .map_err(io)?;
        writeln!(out, "{}", rule("HTML Buffer")).map_err(io)?;
        dump(out, &reply.body_head).map_err(io)?;
        writeln!(out).map_err(io)?;
        writeln!(out, "{}", rule("HTML hash final resulting")).map_err(io)?;
    }
    writeln!(out, "{}", reply.digest).map_err(io)?;
    Ok(reply.digest)
}
