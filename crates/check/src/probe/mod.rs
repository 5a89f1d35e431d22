//! The probes: one small async function per checker kind, each returning a [`Verdict`].
//! They hold no state between runs; accounting and the table live elsewhere.

pub mod dns;
pub mod file;
pub mod http;
pub mod misc;
pub mod ping;
pub mod smtp;
pub mod tcp;
pub mod udp;

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use socket2::{Domain, Protocol as SockProto, Socket, Type};
use tokio::net::{TcpSocket, TcpStream, UdpSocket};

use crate::config::{CheckerConfig, ConnectOptions};

/// The result of one check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    pub ok: bool,
    /// Why it failed (keepalived's wording where it has one), empty on success.
    pub reason: String,
    /// misc_dynamic / FILE_CHECK dynamic: how the real server's weight should change.
    pub weight: Option<DynamicWeight>,
}

/// A dynamic checker's say on its real server's weight.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DynamicWeight {
    /// misc_dynamic: the real server's weight becomes this (exit status - 2).
    Set(i64),
    /// FILE_CHECK dynamic: this is added to the configured weight.
    Add(i64),
}

impl Verdict {
    pub fn up() -> Self {
        Verdict {
            ok: true,
            reason: String::new(),
            weight: None,
        }
    }

    pub fn down(reason: impl Into<String>) -> Self {
        Verdict {
            ok: false,
            reason: reason.into(),
            weight: None,
        }
    }
}

/// Where a checker connects: `connect_ip`/`connect_port` over the real server's address. An
/// IPv6 link-local address gets `bind_if`'s index as its scope, without which it cannot be reached.
pub fn target(rs: SocketAddr, co: &ConnectOptions) -> SocketAddr {
    let ip = co.connect_ip.unwrap_or(rs.ip());
    let port = co.connect_port.unwrap_or(rs.port());
    match (ip, &co.bind_if) {
        (IpAddr::V6(v6), Some(ifname)) if v6.is_unicast_link_local() => {
            let scope = nix::net::if_::if_nametoindex(ifname.as_str()).unwrap_or(0);
            SocketAddr::V6(std::net::SocketAddrV6::new(v6, port, 0, scope))
        }
        _ => SocketAddr::new(ip, port),
    }
}

/// Run one check of any kind against a real server (HTTP_GET / SSL_GET: every url).
pub async fn check(cfg: &CheckerConfig, rs: SocketAddr, timeout: Duration) -> Verdict {
    check_at(cfg, rs, None, timeout).await
}

/// Run one check; for HTTP_GET / SSL_GET, `url` picks the single url to check (None: all).
pub async fn check_at(
    cfg: &CheckerConfig,
    rs: SocketAddr,
    url: Option<usize>,
    timeout: Duration,
) -> Verdict {
    check_with(cfg, rs, url, None, timeout).await
}

/// [`check_at`] with the TLS connector built from the `SSL { }` block
/// ([`http::tls_connector_for`]); `None` uses the default one.
pub async fn check_with(
    cfg: &CheckerConfig,
    rs: SocketAddr,
    url: Option<usize>,
    tls: Option<&tokio_rustls::TlsConnector>,
    timeout: Duration,
) -> Verdict {
    let co = &cfg.common().connect;
    let dst = target(rs, co);
    // Every checker task holds this future between rounds, sized for its largest arm: the other
    // kinds are boxed so that 10,000 TCP_CHECK tasks stay small (3.6 KiB each otherwise, most of
    // the RSS); their one allocation per round is noise next to their own work.
    match cfg {
        CheckerConfig::Tcp { .. } => tcp::check(dst, co, timeout).await,
        CheckerConfig::Http { http, .. } => match url {
            Some(i) => Box::pin(http::check_url(dst, co, http, i, None, timeout)).await,
            None => Box::pin(http::check(dst, co, http, None, timeout)).await,
        },
        CheckerConfig::Ssl { http, .. } => {
            let tls = Some(tls.cloned().unwrap_or_else(http::tls_connector));
            match url {
                Some(i) => Box::pin(http::check_url(dst, co, http, i, tls, timeout)).await,
                None => Box::pin(http::check(dst, co, http, tls, timeout)).await,
            }
        }
        CheckerConfig::Misc {
            script,
            timeout: mt,
            dynamic,
            ..
        } => Box::pin(misc::check(script, mt.unwrap_or(timeout), *dynamic)).await,
        CheckerConfig::Smtp { helo_name, .. } => {
            Box::pin(smtp::check(dst, co, helo_name.as_deref(), timeout)).await
        }
        CheckerConfig::Dns { kind, name, .. } => {
            Box::pin(dns::check(dst, co, *kind, name, timeout)).await
        }
        CheckerConfig::Udp {
            payload,
            require_reply,
            min_reply_length,
            max_reply_length,
            ..
        } => {
            Box::pin(udp::check(
                dst,
                co,
                payload.as_deref(),
                require_reply.as_ref(),
                *min_reply_length,
                *max_reply_length,
                timeout,
            ))
            .await
        }
        CheckerConfig::Ping { .. } => Box::pin(ping::check(dst.ip(), co, timeout)).await,
        CheckerConfig::File { file, .. } => Box::pin(file::check(file)).await,
    }
}

/// A socket with the common options applied (bindto, bind_port, bind_if, fwmark).
fn prepared(
    dst: SocketAddr,
    co: &ConnectOptions,
    ty: Type,
    proto: SockProto,
) -> std::io::Result<Socket> {
    // Non-blocking and close-on-exec from socket() itself: two syscalls fewer per check.
    let s = Socket::new(Domain::for_address(dst), ty.nonblocking(), Some(proto))?;
    if let Some(ifname) = &co.bind_if {
        s.bind_device(Some(ifname.as_bytes()))?;
    }
    if let Some(mark) = co.fwmark {
        s.set_mark(mark)?;
    }
    if co.bindto.is_some() || co.bind_port.is_some() {
        let ip = co.bindto.unwrap_or(match dst.ip() {
            IpAddr::V4(_) => IpAddr::from([0u8; 4]),
            IpAddr::V6(_) => IpAddr::from([0u16; 8]),
        });
        if co.bind_port.is_some() {
            s.set_reuse_address(true)?;
        }
        s.bind(&SocketAddr::new(ip, co.bind_port.unwrap_or(0)).into())?;
    }
    Ok(s)
}

/// keepalived's words for a failed connect (layer4.c): the peer or the path refused it
/// ("Connection failed"), it timed out ("Timeout connecting"), or the connect itself could not be
/// made ("Error connecting"). The error follows after a colon, which the log lines drop.
pub(crate) fn connect_failure(e: &std::io::Error) -> String {
    match e.raw_os_error() {
        Some(libc::ETIMEDOUT) => "Timeout connecting".into(),
        Some(
            libc::ENETUNREACH
            | libc::EHOSTUNREACH
            | libc::ECONNREFUSED
            | libc::EHOSTDOWN
            | libc::ENETDOWN
            | libc::ECONNRESET
            | libc::ECONNABORTED,
        ) => format!("Connection failed: {e}"),
        _ => format!("Error connecting: {e}"),
    }
}

/// Connect TCP with the common options, within `timeout`.
pub(crate) async fn tcp_connect(
    dst: SocketAddr,
    co: &ConnectOptions,
    timeout: Duration,
) -> Result<TcpStream, String> {
    let s = prepared(dst, co, Type::STREAM, SockProto::TCP).map_err(|e| e.to_string())?;
    let s = TcpSocket::from_std_stream(std::net::TcpStream::from(s));
    match tokio::time::timeout(timeout, s.connect(dst)).await {
        Ok(Ok(stream)) => Ok(stream),
        Ok(Err(e)) => Err(connect_failure(&e)),
        Err(_) => Err("Timeout connecting".into()),
    }
}

/// Connect TCP within `timeout` and return the bare socket: TCP_CHECK needs no stream.
///
/// A second connect() right after the first's EINPROGRESS reports whether the handshake has
/// already completed, which it has when the server is on this host (loopback runs both ends
/// of the handshake inside the first call). Only a connection still in progress is handed to
/// the runtime's poller, so a local server costs no epoll registration, no SO_ERROR read and
/// no wake-up; a remote one costs one cheap EALREADY more than the plain path.
pub(crate) async fn tcp_connect_bare(
    dst: SocketAddr,
    co: &ConnectOptions,
    timeout: Duration,
) -> Result<Socket, String> {
    let s = prepared(dst, co, Type::STREAM, SockProto::TCP).map_err(|e| e.to_string())?;
    let dst_sa = socket2::SockAddr::from(dst);
    let failed = |e: std::io::Error| connect_failure(&e);
    match s.connect(&dst_sa) {
        Ok(()) => return Ok(s),
        Err(e) if e.raw_os_error() == Some(libc::EINPROGRESS) => {}
        Err(e) => return Err(failed(e)),
    }
    match s.connect(&dst_sa) {
        Ok(()) => return Ok(s),
        Err(e) if e.raw_os_error() == Some(libc::EISCONN) => return Ok(s),
        Err(e) if e.raw_os_error() == Some(libc::EALREADY) => {}
        Err(e) => return Err(failed(e)),
    }
    let stream = TcpStream::from_std(std::net::TcpStream::from(s)).map_err(|e| e.to_string())?;
    match tokio::time::timeout(timeout, stream.writable()).await {
        Ok(Ok(())) => {}
        Ok(Err(e)) => return Err(failed(e)),
        Err(_) => return Err("Timeout connecting".into()),
    }
    if let Some(e) = stream.take_error().map_err(failed)? {
        return Err(failed(e));
    }
    let std = stream.into_std().map_err(|e| e.to_string())?;
    Ok(Socket::from(std))
}

/// A connected UDP socket with the common options.
pub(crate) fn udp_connect(dst: SocketAddr, co: &ConnectOptions) -> std::io::Result<UdpSocket> {
    let s = prepared(dst, co, Type::DGRAM, SockProto::UDP)?;
    s.connect(&dst.into())?;
    UdpSocket::from_std(std::net::UdpSocket::from(s))
}
