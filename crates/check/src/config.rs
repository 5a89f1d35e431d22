//! The checker side of keepalived.conf as plain structs with keepalived's defaults.
//! The daemon maps the parsed configuration into these; nothing here parses text.

use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

/// keepalived's `delay_loop` default (60 s).
pub const DEFAULT_DELAY_LOOP: Duration = Duration::from_secs(60);
/// keepalived's `connect_timeout` default (5 s).
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// IPVS refuses weights above this.
pub const MAX_WEIGHT: i64 = 65535;

/// L4 protocol of a virtual server (`protocol`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub enum Protocol {
    #[default]
    Tcp,
    Udp,
    Sctp,
}

impl Protocol {
    /// The word keepalived prints in `[addr]:tcp:port`.
    pub fn as_str(self) -> &'static str {
        match self {
            Protocol::Tcp => "tcp",
            Protocol::Udp => "udp",
            Protocol::Sctp => "sctp",
        }
    }
}

/// `lvs_method` / `lb_kind`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Forwarding {
    #[default]
    Nat,
    Dr,
    /// `TUN [type ipip|gue|gre] [port N] [nocsum|csum|remcsum]`.
    Tun(Tunnel),
}

/// The tunnel of `TUN` forwarding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Tunnel {
    pub kind: TunnelKind,
    /// GUE's UDP port (0 for IPIP and GRE).
    pub port: u16,
    pub checksum: TunnelChecksum,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum TunnelKind {
    #[default]
    Ipip,
    Gue,
    Gre,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum TunnelChecksum {
    #[default]
    NoCsum,
    Csum,
    RemCsum,
}

/// The scheduler flags keepalived passes to IPVS (`ops`, `flag-1..3`, `sh-*`, `mh-*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct SchedFlags {
    /// `ops`: one-packet scheduling (kept for UDP services only, as keepalived does).
    pub one_packet: bool,
    /// `flag-1` / `sh-fallback` / `mh-fallback` (IP_VS_SVC_F_SCHED1).
    pub sched1: bool,
    /// `flag-2` / `sh-port` / `mh-port` (IP_VS_SVC_F_SCHED2).
    pub sched2: bool,
    /// `flag-3` (IP_VS_SVC_F_SCHED3).
    pub sched3: bool,
}

/// `persistence_granularity`: an IPv4 netmask or an IPv6 prefix length.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Granularity {
    V4(std::net::Ipv4Addr),
    V6(u8),
}

impl fmt::Display for Granularity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Granularity::V4(m) => write!(f, "{m}"),
            Granularity::V6(p) => write!(f, "{p}"),
        }
    }
}

/// What a `virtual_server` line names.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum VsIdent {
    /// `virtual_server <ip> <port>`
    Addr(SocketAddr),
    /// `virtual_server fwmark <n>`
    Fwmark(u32),
    /// `virtual_server group <name>`; the port is the one given to the group's services.
    Group { name: String, port: u16 },
}

/// One line of a `virtual_server_group`: an address range (`10.0.0.1-10 80`) or a fwmark.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GroupEntry {
    /// From `first` to `last` inclusive (same family, last differs only in the final part).
    Range {
        first: IpAddr,
        last: IpAddr,
        port: u16,
    },
    /// A mark with its family (`fwmark N inet6`); `None`: the virtual server's.
    Fwmark(u32, Option<bool>),
}

/// A notify script (`notify_up`, `quorum_up`, ...) as keepalived stores it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Script {
    /// The command line, run through `sh -c` by the daemon's script runner.
    pub command: String,
    /// `username [groupname]` after the command.
    pub user: Option<String>,
    pub group: Option<String>,
}

impl Script {
    pub fn new(command: impl Into<String>) -> Self {
        Script {
            command: command.into(),
            user: None,
            group: None,
        }
    }
}

/// `sorry_server` with its companions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SorryServerConfig {
    pub addr: SocketAddr,
    /// `sorry_server_inhibit`: keep it in the table with weight 0 while not in use.
    pub inhibit: bool,
    /// `sorry_server_lvs_method`; `None` means the virtual server's.
    pub forwarding: Option<Forwarding>,
}

/// One `virtual_server` block.
#[derive(Debug, Clone, PartialEq)]
pub struct VirtualServerConfig {
    pub ident: VsIdent,
    /// Expanded members when `ident` is a group (from `virtual_server_group`).
    pub group_entries: Vec<GroupEntry>,
    pub protocol: Protocol,
    /// `lvs_sched` / `lb_algo`.
    pub scheduler: String,
    /// `lvs_method` / `lb_kind`.
    pub forwarding: Forwarding,
    /// `persistence_timeout` in seconds.
    pub persistence_timeout: Option<u32>,
    pub persistence_granularity: Option<Granularity>,
    /// `persistence_engine`.
    pub persistence_engine: Option<String>,
    /// Scheduler flags.
    pub sched_flags: SchedFlags,
    /// `ip_family inet6` or what the addresses imply (fwmark services: IPv4 unless told).
    pub ipv6: bool,
    pub delay_loop: Duration,
    pub connect_timeout: Duration,
    /// `retry`; `None` leaves the per-checker default.
    pub retry: Option<u32>,
    pub delay_before_retry: Option<Duration>,
    pub warmup: Option<Duration>,
    pub alpha: bool,
    pub omega: bool,
    pub quorum: u32,
    pub hysteresis: u32,
    pub quorum_up: Option<Script>,
    pub quorum_down: Option<Script>,
    pub ha_suspend: bool,
    pub inhibit_on_failure: bool,
    pub sorry_server: Option<SorryServerConfig>,
    pub smtp_alert: Option<bool>,
    pub virtualhost: Option<String>,
    pub real_servers: Vec<RealServerConfig>,
}

impl VirtualServerConfig {
    /// A virtual server with keepalived's defaults and no real servers.
    pub fn new(ident: VsIdent) -> Self {
        VirtualServerConfig {
            ident,
            group_entries: Vec::new(),
            protocol: Protocol::Tcp,
            scheduler: "wlc".into(),
            forwarding: Forwarding::Nat,
            persistence_timeout: None,
            persistence_granularity: None,
            persistence_engine: None,
            sched_flags: SchedFlags::default(),
            ipv6: false,
            delay_loop: DEFAULT_DELAY_LOOP,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            retry: None,
            delay_before_retry: None,
            warmup: None,
            alpha: false,
            omega: false,
            quorum: 1,
            hysteresis: 0,
            quorum_up: None,
            quorum_down: None,
            ha_suspend: false,
            inhibit_on_failure: false,
            sorry_server: None,
            smtp_alert: None,
            virtualhost: None,
            real_servers: Vec::new(),
        }
    }
}

impl VirtualServerConfig {
    /// keepalived's load-time port rules: a NAT real server without a port takes the virtual
    /// server's; under DR/TUN a real server's port must equal the virtual server's (reset, with a
    /// warning) and a fwmark service's real servers carry no port. Returns the warnings, worded
    /// as keepalived's.
    pub fn normalise(&mut self) -> Vec<String> {
        let mut warnings = Vec::new();
        let vs_name = format_vs(&self.ident, self.protocol);
        let vs_port = match &self.ident {
            VsIdent::Addr(a) => Some(a.port()),
            VsIdent::Fwmark(_) => None,
            VsIdent::Group { .. } => return warnings,
        };
        for rs in &mut self.real_servers {
            let fwd = rs.forwarding.unwrap_or(self.forwarding);
            let rs_name = Trio(rs.addr, self.protocol).to_string();
            match (fwd, vs_port) {
                (Forwarding::Nat, Some(p)) if rs.addr.port() == 0 => rs.addr.set_port(p),
                (Forwarding::Nat, _) => {}
                (_, None) if rs.addr.port() != 0 => {
                    warnings.push(format!("WARNING - fwmark virtual server {vs_name}, real server {rs_name} has port specified - clearing"));
                    rs.addr.set_port(0);
                }
                (_, None) => {}
                (_, Some(p)) if rs.addr.port() == 0 => rs.addr.set_port(p),
                (_, Some(p)) if rs.addr.port() != p => {
                    warnings.push(format!("WARNING - virtual server {vs_name} and real server {rs_name} ports don't match - resetting"));
                    rs.addr.set_port(p);
                }
                _ => {}
            }
        }
        warnings
    }
}

/// One `real_server` block.
#[derive(Debug, Clone, PartialEq)]
pub struct RealServerConfig {
    pub addr: SocketAddr,
    pub weight: i64,
    pub forwarding: Option<Forwarding>,
    pub notify_up: Option<Script>,
    pub notify_down: Option<Script>,
    pub uthreshold: Option<u32>,
    pub lthreshold: Option<u32>,
    pub smtp_alert: Option<bool>,
    pub virtualhost: Option<String>,
    /// `None` inherits from the virtual server.
    pub alpha: Option<bool>,
    pub inhibit_on_failure: Option<bool>,
    pub connect_timeout: Option<Duration>,
    pub retry: Option<u32>,
    pub delay_before_retry: Option<Duration>,
    pub warmup: Option<Duration>,
    pub delay_loop: Option<Duration>,
    pub checkers: Vec<CheckerConfig>,
}

impl RealServerConfig {
    pub fn new(addr: SocketAddr) -> Self {
        RealServerConfig {
            addr,
            weight: 1,
            forwarding: None,
            notify_up: None,
            notify_down: None,
            uthreshold: None,
            lthreshold: None,
            smtp_alert: None,
            virtualhost: None,
            alpha: None,
            inhibit_on_failure: None,
            connect_timeout: None,
            retry: None,
            delay_before_retry: None,
            warmup: None,
            delay_loop: None,
            checkers: Vec::new(),
        }
    }
}

/// Options every network checker shares (keepalived's `conn_opts`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ConnectOptions {
    pub connect_ip: Option<IpAddr>,
    pub connect_port: Option<u16>,
    pub bindto: Option<IpAddr>,
    pub bind_port: Option<u16>,
    pub bind_if: Option<String>,
    pub fwmark: Option<u32>,
}

/// Timing options every checker shares; `None` inherits real server, then virtual server, then
/// the checker kind's default.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CheckerCommon {
    pub connect: ConnectOptions,
    pub connect_timeout: Option<Duration>,
    pub retry: Option<u32>,
    pub delay_before_retry: Option<Duration>,
    pub delay_loop: Option<Duration>,
    pub warmup: Option<Duration>,
    pub alpha: Option<bool>,
    pub log_all_failures: bool,
}

/// `http_protocol`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum HttpProtocol {
    #[default]
    V1_0,
    /// 1.0 with `Connection: close`.
    V1_0C,
    V1_1,
}

/// An inclusive status code range; `status_code 200` is `200..=200`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatusRange {
    pub min: u16,
    pub max: u16,
}

/// One `url` block of HTTP_GET / SSL_GET.
#[derive(Debug, Clone, Default)]
pub struct UrlConfig {
    pub path: String,
    /// MD5 of the body, lower-case hex.
    pub digest: Option<String>,
    /// Empty means keepalived's default 200-299.
    pub status_codes: Vec<StatusRange>,
    pub virtualhost: Option<String>,
    pub regex: Option<regex::bytes::Regex>,
    pub regex_no_match: bool,
    pub regex_min_offset: Option<usize>,
    pub regex_max_offset: Option<usize>,
}

impl PartialEq for UrlConfig {
    fn eq(&self, o: &Self) -> bool {
        self.path == o.path
            && self.digest == o.digest
            && self.status_codes == o.status_codes
            && self.virtualhost == o.virtualhost
            && self.regex.as_ref().map(|r| r.as_str()) == o.regex.as_ref().map(|r| r.as_str())
            && self.regex_no_match == o.regex_no_match
            && self.regex_min_offset == o.regex_min_offset
            && self.regex_max_offset == o.regex_max_offset
    }
}

impl UrlConfig {
    pub fn new(path: impl Into<String>) -> Self {
        UrlConfig {
            path: path.into(),
            ..Default::default()
        }
    }

    /// Whether `code` is accepted by `status_code` (default 200-299).
    pub fn accepts_status(&self, code: u16) -> bool {
        if self.status_codes.is_empty() {
            return (200..=299).contains(&code);
        }
        self.status_codes
            .iter()
            .any(|r| (r.min..=r.max).contains(&code))
    }
}

/// The global `SSL { }` block for SSL_GET. keepalived loads `ca` but never verifies the
/// server with it, so only the client identity changes what goes on the wire.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SslConfig {
    /// PEM certificate chain presented to servers that ask for a client certificate.
    pub certificate: Option<PathBuf>,
    /// PEM private key (unencrypted: rustls reads no password-protected keys).
    pub key: Option<PathBuf>,
    pub ca: Option<PathBuf>,
    pub password: Option<String>,
}

/// HTTP_GET and SSL_GET options.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct HttpGetConfig {
    pub urls: Vec<UrlConfig>,
    pub http_protocol: HttpProtocol,
    pub virtualhost: Option<String>,
    pub fast_recovery: bool,
    /// SSL_GET only: `enable_sni`.
    pub enable_sni: bool,
}

/// DNS_CHECK query types keepalived accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DnsType {
    A,
    Ns,
    Cname,
    #[default]
    Soa,
    Mx,
    Txt,
    Aaaa,
}

/// FILE_CHECK: a value read from a file, scaled by `weight`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileCheckConfig {
    pub path: PathBuf,
    /// The `track_file` block's name, for log lines.
    pub name: String,
    /// 0 means "no weight": any non-zero value is a failure.
    pub weight: i64,
    pub reverse: bool,
    pub dynamic: bool,
}

/// One checker block of a real server, with everything it can say.
#[derive(Debug, Clone, PartialEq)]
pub enum CheckerConfig {
    Tcp {
        common: CheckerCommon,
    },
    Http {
        common: CheckerCommon,
        http: HttpGetConfig,
    },
    Ssl {
        common: CheckerCommon,
        http: HttpGetConfig,
    },
    Misc {
        common: CheckerCommon,
        /// `misc_path` as written, for log lines.
        path: String,
        /// What runs: `misc_path` split into argv as keepalived splits it (no shell), the
        /// checker's `user` (else the default script user, set by [`crate::from_conf::vet_scripts`])
        /// and script security; argv[0] is the checked absolute path once vetted.
        script: keepalived_sys::script::Script,
        /// `misc_timeout`; keepalived uses delay_loop when unset.
        timeout: Option<Duration>,
        dynamic: bool,
        user: Option<String>,
        group: Option<String>,
    },
    Smtp {
        common: CheckerCommon,
        /// `helo_name`; keepalived's default is the local host name.
        helo_name: Option<String>,
    },
    Dns {
        common: CheckerCommon,
        kind: DnsType,
        /// Default ".".
        name: String,
    },
    Udp {
        common: CheckerCommon,
        /// `payload`; keepalived sends random bytes when unset.
        payload: Option<Vec<u8>>,
        /// `require_reply`: `None` = no reply needed; `Some(pattern)` with an empty pattern means any reply.
        require_reply: Option<ReplyPattern>,
        min_reply_length: usize,
        max_reply_length: usize,
    },
    Ping {
        common: CheckerCommon,
    },
    File {
        common: CheckerCommon,
        file: FileCheckConfig,
    },
}

/// A `require_reply` hex pattern: each nibble either fixed or a wildcard (`x`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ReplyPattern {
    /// (value, mask) per byte; mask bits set are compared.
    pub bytes: Vec<(u8, u8)>,
}

/// Which kind of checker, for log lines and defaults.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CheckerKind {
    Tcp,
    Http,
    Ssl,
    Misc,
    Smtp,
    Dns,
    Udp,
    Ping,
    File,
}

impl CheckerKind {
    /// The keyword that opens the block.
    pub fn keyword(self) -> &'static str {
        match self {
            CheckerKind::Tcp => "TCP_CHECK",
            CheckerKind::Http => "HTTP_GET",
            CheckerKind::Ssl => "SSL_GET",
            CheckerKind::Misc => "MISC_CHECK",
            CheckerKind::Smtp => "SMTP_CHECK",
            CheckerKind::Dns => "DNS_CHECK",
            CheckerKind::Udp => "UDP_CHECK",
            CheckerKind::Ping => "PING_CHECK",
            CheckerKind::File => "FILE_CHECK",
        }
    }

    /// keepalived's per-kind `retry` default.
    pub fn default_retry(self) -> u32 {
        match self {
            CheckerKind::Misc => 0,
            CheckerKind::Dns => 3,
            _ => 1,
        }
    }

    /// keepalived's per-kind `delay_before_retry` default; `None` means "delay_loop".
    pub fn default_delay_before_retry(self) -> Option<Duration> {
        match self {
            CheckerKind::Http | CheckerKind::Ssl => Some(Duration::from_secs(3)),
            CheckerKind::Dns => None,
            _ => Some(Duration::from_secs(1)),
        }
    }
}

impl CheckerConfig {
    pub fn kind(&self) -> CheckerKind {
        match self {
            CheckerConfig::Tcp { .. } => CheckerKind::Tcp,
            CheckerConfig::Http { .. } => CheckerKind::Http,
            CheckerConfig::Ssl { .. } => CheckerKind::Ssl,
            CheckerConfig::Misc { .. } => CheckerKind::Misc,
            CheckerConfig::Smtp { .. } => CheckerKind::Smtp,
            CheckerConfig::Dns { .. } => CheckerKind::Dns,
            CheckerConfig::Udp { .. } => CheckerKind::Udp,
            CheckerConfig::Ping { .. } => CheckerKind::Ping,
            CheckerConfig::File { .. } => CheckerKind::File,
        }
    }

    pub fn common(&self) -> &CheckerCommon {
        match self {
            CheckerConfig::Tcp { common }
            | CheckerConfig::Http { common, .. }
            | CheckerConfig::Ssl { common, .. }
            | CheckerConfig::Misc { common, .. }
            | CheckerConfig::Smtp { common, .. }
            | CheckerConfig::Dns { common, .. }
            | CheckerConfig::Udp { common, .. }
            | CheckerConfig::Ping { common }
            | CheckerConfig::File { common, .. } => common,
        }
    }

    /// A TCP_CHECK with defaults.
    pub fn tcp() -> Self {
        CheckerConfig::Tcp {
            common: CheckerCommon::default(),
        }
    }

    /// An HTTP_GET with defaults and the given urls.
    pub fn http(urls: Vec<UrlConfig>) -> Self {
        CheckerConfig::Http {
            common: CheckerCommon::default(),
            http: HttpGetConfig {
                urls,
                ..Default::default()
            },
        }
    }

    pub fn common_mut(&mut self) -> &mut CheckerCommon {
        match self {
            CheckerConfig::Tcp { common }
            | CheckerConfig::Http { common, .. }
            | CheckerConfig::Ssl { common, .. }
            | CheckerConfig::Misc { common, .. }
            | CheckerConfig::Smtp { common, .. }
            | CheckerConfig::Dns { common, .. }
            | CheckerConfig::Udp { common, .. }
            | CheckerConfig::Ping { common }
            | CheckerConfig::File { common, .. } => common,
        }
    }
}

/// keepalived's `[addr]:proto:port` (inet_sockaddrtotrio).
pub struct Trio(pub SocketAddr, pub Protocol);

impl fmt::Display for Trio {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[{}]:{}:{}", self.0.ip(), self.1.as_str(), self.0.port())
    }
}

/// keepalived's FMT_VS.
pub fn format_vs(ident: &VsIdent, protocol: Protocol) -> String {
    match ident {
        VsIdent::Addr(a) => Trio(*a, protocol).to_string(),
        VsIdent::Fwmark(m) => format!("FWM {m}"),
        VsIdent::Group { name, port } => format!("[{name}]:{port}"),
    }
}

/// Parse keepalived's free-form hex (`Ab12f 3 456`): each space-separated word is read in pairs
/// of digits, an odd digit left at the end becoming a byte of its own. `x` is a wildcard nibble
/// when `wildcards` is true.
pub fn parse_hex(text: &str, wildcards: bool) -> Option<ReplyPattern> {
    let mut bytes = Vec::new();
    for word in text.split_whitespace() {
        let nibbles: Vec<(u8, u8)> = word
            .chars()
            .map(|c| {
                if wildcards && (c == 'x' || c == 'X') {
                    Some((0, 0))
                } else {
                    c.to_digit(16).map(|d| (d as u8, 0xf))
                }
            })
            .collect::<Option<_>>()?;
        for pair in nibbles.chunks(2) {
            match pair {
                [(hv, hm), (lv, lm)] => bytes.push(((hv << 4) | lv, (hm << 4) | lm)),
                [(v, m)] => bytes.push((*v, *m)),
                _ => {}
            }
        }
    }
    Some(ReplyPattern { bytes })
}
