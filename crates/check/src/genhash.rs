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

/// Fetch the URL and return (status, digest in lower-case hex).
pub async fn digest(opts: &GenhashOptions) -> Result<(u16, String), CheckError> {
    let port = opts.port.unwrap_or(if opts.ssl { 443 } else { 80 });
    let dst = SocketAddr::new(opts.server, port);
    let co = ConnectOptions {
        bindto: opts.bind_ip,
        fwmark: opts.fwmark,
        ..Default::default()
    };
    let tls = opts.ssl.then(|| (http::tls_connector(), opts.sni));
    let reply = http::get(
        dst,
        &co,
        &opts.url,
        opts.protocol,
        opts.virtualhost.as_deref(),
        tls,
        opts.timeout,
    )
    .await
    .map_err(|msg| CheckError::Http { addr: dst, msg })?;
    Ok((reply.status, reply.digest))
}

/// genhash's output: `MD5SUM = <hex>` (with the request and status first under `verbose`).
pub async fn run(opts: &GenhashOptions, out: &mut dyn Write) -> Result<String, CheckError> {
    let port = opts.port.unwrap_or(if opts.ssl { 443 } else { 80 });
    let dst = SocketAddr::new(opts.server, port);
    let io = |e| CheckError::Io {
        addr: dst,
        source: e,
    };
    if opts.verbose {
        let req = http::request(&opts.url, opts.protocol, opts.virtualhost.as_deref(), dst);
        write!(out, "-----------------------[ HTTP Header Buffer ]\n{req}").map_err(io)?;
    }
    let (status, d) = digest(opts).await?;
    if opts.verbose {
        writeln!(out, "HTTP status code: {status}").map_err(io)?;
    }
    writeln!(out, "MD5SUM = {d}").map_err(io)?;
    Ok(d)
}
