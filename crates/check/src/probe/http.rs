//! HTTP_GET and SSL_GET: keepalived's request, a response reader that never panics on any
//! reply, and the url checks (status codes, MD5 digest, regex). TLS trusts any certificate.

use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use md5::{Digest, Md5};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio_rustls::TlsConnector;

use super::{Verdict, tcp_connect};
use crate::config::{ConnectOptions, HttpGetConfig, HttpProtocol, UrlConfig};

/// Bodies kept in memory for the regex; the digest covers the whole body regardless.
const REGEX_WINDOW: usize = 1 << 20;

/// keepalived's GET request for `path`. `host` is the virtualhost, or None to use the
/// address with its port.
pub fn request(path: &str, proto: HttpProtocol, host: Option<&str>, dst: SocketAddr) -> String {
    let (minor, close) = match proto {
        HttpProtocol::V1_0 => (0, ""),
        HttpProtocol::V1_0C => (0, "Connection: close\r\n"),
        HttpProtocol::V1_1 => (1, "Connection: close\r\n"),
    };
    let host = match (host, dst.ip()) {
        (Some(h), _) => h.to_string(),
        (None, IpAddr::V6(ip)) => format!("[{ip}]:{}", dst.port()),
        (None, IpAddr::V4(ip)) => format!("{ip}:{}", dst.port()),
    };
    format!(
        "GET {path} HTTP/1.{minor}\r\nUser-Agent: KeepAliveClient\r\n{close}Host: {host}\r\n\r\n"
    )
}

/// What the reader made of a reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub status: u16,
    /// The header block as received, blank line included.
    pub header: Vec<u8>,
    /// MD5 of the body, lower-case hex.
    pub digest: String,
    /// The body's first bytes (up to 1 MiB), for the regex.
    pub body_head: Vec<u8>,
    pub body_len: usize,
}

/// A streaming HTTP response reader: feed it bytes as they come, then [`ResponseReader::finish`].
/// It accepts anything without panicking; a reply it cannot read is an error string.
#[derive(Default)]
pub struct ResponseReader {
    header: Vec<u8>,
    in_body: bool,
    status: Option<u16>,
    md5: Md5,
    body_head: Vec<u8>,
    body_len: usize,
}

impl ResponseReader {
    pub fn new() -> Self {
        Self::default()
    }

    /// Headers larger than this are refused (keepalived's buffer is smaller still).
    const MAX_HEADER: usize = 64 * 1024;

    pub fn feed(&mut self, mut data: &[u8]) -> Result<(), String> {
        if !self.in_body {
            let start = self.header.len().saturating_sub(3);
            self.header.extend_from_slice(data);
            let Some(pos) = find(&self.header[start..], b"\r\n\r\n").map(|p| p + start) else {
                if self.header.len() > Self::MAX_HEADER {
                    return Err("HTTP header too large".into());
                }
                return Ok(());
            };
            self.status = Some(parse_status(&self.header[..pos])?);
            let body = self.header.split_off(pos + 4);
            self.in_body = true;
            self.take_body(&body);
            data = &[];
        }
        self.take_body(data);
        Ok(())
    }

    fn take_body(&mut self, data: &[u8]) {
        if data.is_empty() {
            return;
        }
        self.md5.update(data);
        self.body_len += data.len();
        let room = REGEX_WINDOW.saturating_sub(self.body_head.len());
        self.body_head
            .extend_from_slice(&data[..room.min(data.len())]);
    }

    /// The reply once the server has closed the connection.
    pub fn finish(self) -> Result<Reply, String> {
        let Some(status) = self.status else {
            return Err(if self.header.is_empty() {
                "Read, no data received from".into()
            } else {
                "HTTP header incomplete".into()
            });
        };
        Ok(Reply {
            status,
            header: self.header,
            digest: hex(&self.md5.finalize()),
            body_head: self.body_head,
            body_len: self.body_len,
        })
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn parse_status(header: &[u8]) -> Result<u16, String> {
    let line = header.split(|&b| b == b'\n').next().unwrap_or_default();
    let line = String::from_utf8_lossy(line);
    let mut parts = line.split_whitespace();
    let version = parts.next().unwrap_or_default();
    if !version.starts_with("HTTP/") {
        return Err("HTTP status line missing".into());
    }
    parts
        .next()
        .and_then(|c| c.parse::<u16>().ok())
        .filter(|c| (100..=599).contains(c))
        .ok_or_else(|| "HTTP status code invalid".into())
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Judge one url's reply as keepalived does: status first, then digest, then regex.
pub fn judge(url: &UrlConfig, reply: &Reply) -> Result<(), String> {
    if !url.accepts_status(reply.status) {
        return Err(format!(
            "HTTP status code error to (status {})",
            reply.status
        ));
    }
    if let Some(d) = &url.digest
        && !d.eq_ignore_ascii_case(&reply.digest)
    {
        return Err(format!("MD5 digest error to (got {})", reply.digest));
    }
    if let Some(re) = &url.regex {
        let min = url.regex_min_offset.unwrap_or(0).min(reply.body_head.len());
        let hit = re
            .find_at(&reply.body_head, min)
            .is_some_and(|m| url.regex_max_offset.is_none_or(|max| m.start() < max));
        if hit == url.regex_no_match {
            return Err("Regex match failed".into());
        }
    }
    Ok(())
}

/// Fetch one url over an established stream.
pub async fn fetch<S: AsyncRead + AsyncWrite + Unpin>(
    stream: &mut S,
    req: &str,
) -> Result<Reply, String> {
    stream
        .write_all(req.as_bytes())
        .await
        .map_err(|e| format!("Cannot send get request to ({e})"))?;
    let mut reader = ResponseReader::new();
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        match stream.read(&mut buf).await {
            Ok(0) => break,
            Ok(n) => reader.feed(&buf[..n])?,
            // A TLS peer that closes without close_notify still sent a whole reply.
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => break,
            Err(e) => return Err(format!("Read error with ({e})")),
        }
    }
    reader.finish()
}

#[derive(Debug)]
struct AnyCert;

impl ServerCertVerifier for AnyCert {
    fn verify_server_cert(
        &self,
        _: &CertificateDer<'_>,
        _: &[CertificateDer<'_>],
        _: &ServerName<'_>,
        _: &[u8],
        _: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        _: &[u8],
        _: &CertificateDer<'_>,
        _: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        Ok(HandshakeSignatureValid::assertion())
    }

    fn verify_tls13_signature(
        &self,
        _: &[u8],
        _: &CertificateDer<'_>,
        _: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        Ok(HandshakeSignatureValid::assertion())
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        rustls::crypto::ring::default_provider()
            .signature_verification_algorithms
            .supported_schemes()
    }
}

/// A TLS connector that, like keepalived's SSL_GET without a `SSL { ca }` block, accepts any
/// certificate: the check is about the service answering, not about trust.
pub fn tls_connector() -> TlsConnector {
    static CONNECTOR: OnceLock<TlsConnector> = OnceLock::new();
    CONNECTOR
        .get_or_init(|| {
            let provider = Arc::new(rustls::crypto::ring::default_provider());
            let cfg = rustls::ClientConfig::builder_with_provider(provider)
                .with_safe_default_protocol_versions()
                .map(|b| {
                    b.dangerous()
                        .with_custom_certificate_verifier(Arc::new(AnyCert))
                        .with_no_client_auth()
                });
            match cfg {
                Ok(c) => TlsConnector::from(Arc::new(c)),
                // ring supports the default versions; an empty config would only fail handshakes.
                Err(_) => TlsConnector::from(Arc::new(
                    rustls::ClientConfig::builder()
                        .with_root_certificates(rustls::RootCertStore::empty())
                        .with_no_client_auth(),
                )),
            }
        })
        .clone()
}

/// A connector for the global `SSL { }` block: still no server verification (as keepalived),
/// but with the client certificate and key when given.
pub fn tls_connector_for(
    ssl: &crate::config::SslConfig,
) -> Result<TlsConnector, crate::CheckError> {
    use rustls::pki_types::PrivateKeyDer;
    use rustls::pki_types::pem::PemObject;
    let (Some(cert), Some(key)) = (&ssl.certificate, &ssl.key) else {
        return Ok(tls_connector());
    };
    let bad = |what: &str, e: String| crate::CheckError::Invalid(format!("SSL {what}: {e}"));
    let chain = CertificateDer::pem_file_iter(cert)
        .and_then(|it| it.collect::<Result<Vec<_>, _>>())
        .map_err(|e| bad(&cert.display().to_string(), e.to_string()))?;
    let key = PrivateKeyDer::from_pem_file(key)
        .map_err(|e| bad(&key.display().to_string(), e.to_string()))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let cfg = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| bad("protocols", e.to_string()))?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(AnyCert))
        .with_client_auth_cert(chain, key)
        .map_err(|e| bad("client certificate", e.to_string()))?;
    Ok(TlsConnector::from(Arc::new(cfg)))
}

/// Fetch one url (plain or TLS) and return its reply.
pub async fn get(
    dst: SocketAddr,
    co: &ConnectOptions,
    path: &str,
    proto: HttpProtocol,
    vhost: Option<&str>,
    tls: Option<(TlsConnector, bool)>,
    timeout: Duration,
) -> Result<Reply, String> {
    let req = request(path, proto, vhost, dst);
    let work = async {
        let mut tcp = tcp_connect(dst, co, timeout).await?;
        match tls {
            None => fetch(&mut tcp, &req).await,
            Some((connector, sni)) => {
                let name = match (sni, vhost) {
                    (true, Some(h)) => ServerName::try_from(h.to_string())
                        .map_err(|e| format!("bad SNI name {h}: {e}"))?,
                    _ => ServerName::IpAddress(dst.ip().into()),
                };
                let mut s = connector.connect(name, tcp).await.map_err(|e| {
                    format!("SSL handshake/communication error connecting to ({e})")
                })?;
                fetch(&mut s, &req).await
            }
        }
    };
    // keepalived applies connect_timeout to each step; one bound for the whole url is stricter
    // on a slow trickle and equal otherwise.
    match tokio::time::timeout(timeout.saturating_mul(2), work).await {
        Ok(r) => r,
        Err(_) => Err("Timeout WEB read".into()),
    }
}

/// Check one url (keepalived's unit of an HTTP check run).
pub async fn check_url(
    dst: SocketAddr,
    co: &ConnectOptions,
    http: &HttpGetConfig,
    index: usize,
    tls: Option<TlsConnector>,
    timeout: Duration,
) -> Verdict {
    let Some(url) = http.urls.get(index) else {
        return Verdict::up();
    };
    let vhost = url.virtualhost.as_deref().or(http.virtualhost.as_deref());
    let tls = tls.map(|c| (c, http.enable_sni));
    let r = get(dst, co, &url.path, http.http_protocol, vhost, tls, timeout).await;
    match r.and_then(|reply| judge(url, &reply)) {
        Ok(()) => Verdict::up(),
        Err(e) => Verdict::down(format!("{e} (url {})", url.path)),
    }
}

/// Every url at once, all must pass (genhash-like one-shot use; the scheduler checks one url
/// per run as keepalived does).
pub async fn check(
    dst: SocketAddr,
    co: &ConnectOptions,
    http: &HttpGetConfig,
    tls: Option<TlsConnector>,
    timeout: Duration,
) -> Verdict {
    for url in &http.urls {
        let vhost = url.virtualhost.as_deref().or(http.virtualhost.as_deref());
        let tls = tls.clone().map(|c| (c, http.enable_sni));
        let r = get(dst, co, &url.path, http.http_protocol, vhost, tls, timeout).await;
        match r.and_then(|reply| judge(url, &reply)) {
            Ok(()) => {}
            Err(e) => return Verdict::down(format!("{e} (url {})", url.path)),
        }
    }
    Verdict::up()
}
