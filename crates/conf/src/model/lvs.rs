//! The LVS side of keepalived.conf: `SSL`, `virtual_server_group`, `virtual_server`, `real_server`
//! and every health checker block, with keepalived 2.2.7's keywords, defaults, ranges and checks.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

use super::Config;
use super::ip::Family;
use super::vrrp::Command;
use crate::System;
use crate::diag::Diagnostic;
use crate::read::Reader;
use crate::source::Span;
use crate::tree::Node;

/// `delay_loop` default of a virtual server (keepalived's KEEPALIVED_DEFAULT_DELAY).
pub const DEFAULT_DELAY_LOOP: Duration = Duration::from_secs(60);
/// `connect_timeout` default of a virtual server.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// The persistence timeout keepalived uses for `persistence_timeout` without a value, and where
/// it forces persistence (zero port, `persistence_granularity`): 6 minutes.
pub const DEFAULT_PERSISTENCE_TIMEOUT: u32 = 360;
/// `persistence_timeout` upper bound: 31 days.
pub const MAX_PERSISTENCE_TIMEOUT: u32 = 86400 * 31;
/// IPVS's weight limit (INT32_MAX).
pub const MAX_WEIGHT: u32 = i32::MAX as u32;
/// The scheduler keepalived sets when none is given.
pub const DEFAULT_SCHEDULER: Scheduler = Scheduler::Wlc;
/// SMTP_CHECK's `helo_name` default.
pub const DEFAULT_HELO_NAME: &str = "smtpchecker.keepalived.org";
/// The status codes a `url` accepts when it lists none.
pub const DEFAULT_STATUS_CODES: StatusRange = StatusRange { min: 200, max: 299 };
/// `status_code` bounds.
pub const STATUS_CODE_MIN: u16 = 100;
pub const STATUS_CODE_MAX: u16 = 599;
/// UDP_CHECK's `max_reply_length` default (keepalived's UINT8_MAX).
pub const DEFAULT_MAX_REPLY_LENGTH: u16 = 255;
/// keepalived's largest timer (`delay_loop`, `warmup`, `delay_before_retry`), in seconds.
const TIMER_MAX: f64 = 4_294_967_295.0;
/// `connect_timeout` upper bound: UINT_MAX microseconds.
const CONNECT_TIMEOUT_MAX: f64 = 4294.967295;
/// Smallest timer keepalived accepts where it must not be zero: one microsecond.
const TIMER_MIN: f64 = 0.000001;

/// Everything LVS the configuration declares, in file order.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Lvs {
    /// The top-level `SSL { }` block used by SSL_GET.
    pub ssl: Option<Ssl>,
    pub groups: Vec<VirtualServerGroup>,
    pub virtual_servers: Vec<VirtualServer>,
}

/// `SSL { password ca certificate key }`: the client identity SSL_GET presents.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Ssl {
    pub password: Option<String>,
    pub ca: Option<String>,
    pub certificate: Option<String>,
    pub key: Option<String>,
    pub span: Span,
}

/// `virtual_server_group NAME { ADDR[-END|/LEN] [PORT]; fwmark N [inet|inet6] }`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct VirtualServerGroup {
    pub name: String,
    pub entries: Vec<GroupEntry>,
    pub span: Span,
}

/// One line of a `virtual_server_group`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub enum GroupEntry {
    /// `10.0.0.1-10 80`, `10.0.0.0/29 80`, `10.0.0.1 80`: every address from `first` to `last`
    /// inclusive; port 0 means none given (the service must then be persistent).
    Range {
        first: IpAddr,
        last: IpAddr,
        port: u16,
    },
    /// `fwmark N [inet|inet6]`.
    Fwmark { mark: u32, family: Option<Family> },
}

impl VirtualServerGroup {
    pub fn has_family(&self, family: Family) -> bool {
        self.entries.iter().any(|e| match e {
            GroupEntry::Range { first, .. } => Family::of(first) == family,
            GroupEntry::Fwmark { family: f, .. } => *f == Some(family),
        })
    }

    pub fn has_fwmark(&self) -> bool {
        self.entries
            .iter()
            .any(|e| matches!(e, GroupEntry::Fwmark { .. }))
    }

    pub fn has_ranges(&self) -> bool {
        self.entries
            .iter()
            .any(|e| matches!(e, GroupEntry::Range { .. }))
    }
}

/// What a `virtual_server` line names.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub enum VsAddr {
    /// `virtual_server IP PORT`; port 0 when none is given (then the service is persistent).
    Addr(SocketAddr),
    /// `virtual_server fwmark N`.
    Fwmark(u32),
    /// `virtual_server group NAME`.
    Group(String),
}

impl std::fmt::Display for VsAddr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            VsAddr::Addr(a) => write!(f, "[{}]:{}", a.ip(), a.port()),
            VsAddr::Fwmark(m) => write!(f, "FWM {m}"),
            VsAddr::Group(g) => write!(f, "group {g}"),
        }
    }
}

/// `lvs_sched` / `lb_algo`: the IPVS schedulers keepalived 2.2.7 knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
pub enum Scheduler {
    Rr,
    Wrr,
    Lc,
    Wlc,
    Lblc,
    Sh,
    Mh,
    Dh,
    Fo,
    Ovf,
    Lblcr,
    Sed,
    Nq,
    Twos,
}

const SCHEDULERS: &[(&str, Scheduler)] = &[
    ("rr", Scheduler::Rr),
    ("wrr", Scheduler::Wrr),
    ("lc", Scheduler::Lc),
    ("wlc", Scheduler::Wlc),
    ("lblc", Scheduler::Lblc),
    ("sh", Scheduler::Sh),
    ("mh", Scheduler::Mh),
    ("dh", Scheduler::Dh),
    ("fo", Scheduler::Fo),
    ("ovf", Scheduler::Ovf),
    ("lblcr", Scheduler::Lblcr),
    ("sed", Scheduler::Sed),
    ("nq", Scheduler::Nq),
    ("twos", Scheduler::Twos),
];

impl Scheduler {
    /// The name IPVS and ipvsadm use.
    pub fn as_str(self) -> &'static str {
        SCHEDULERS
            .iter()
            .find(|(_, s)| *s == self)
            .map(|(n, _)| *n)
            .unwrap_or("wlc")
    }
}

/// `lvs_method` / `lb_kind`: how IPVS forwards to a real server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum Forwarding {
    Nat,
    Dr,
    /// `TUN [type ipip|gue|gre] [port N] [nocsum|csum|remcsum]`.
    Tun(Tunnel),
}

/// Tunnel options of `TUN` forwarding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
pub struct Tunnel {
    pub kind: TunnelKind,
    /// Required for (and only allowed with) `gue`.
    pub port: Option<u16>,
    pub checksum: TunnelChecksum,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
pub enum TunnelKind {
    #[default]
    Ipip,
    Gue,
    Gre,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
pub enum TunnelChecksum {
    #[default]
    NoCsum,
    Csum,
    RemCsum,
}

/// `protocol`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
pub enum Protocol {
    Tcp,
    Udp,
    Sctp,
}

/// Scheduler flags: `ops`, `flag-1..3`, `sh-port`, `sh-fallback`, `mh-port`, `mh-fallback`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
pub struct SchedFlags {
    /// `ops`: one-packet scheduling (UDP only).
    pub one_packet: bool,
    pub flag_1: bool,
    pub flag_2: bool,
    pub flag_3: bool,
    pub sh_port: bool,
    pub sh_fallback: bool,
    pub mh_port: bool,
    pub mh_fallback: bool,
}

/// `persistence_granularity`: an IPv4 netmask or an IPv6 prefix length.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum Granularity {
    V4(Ipv4Addr),
    V6(u8),
}

/// `sorry_server IP [PORT]` with `sorry_server_inhibit` and `sorry_server_lvs_method`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SorryServer {
    /// Port 0 when none is given (then the virtual server's, unless NAT or fwmark).
    pub addr: SocketAddr,
    pub inhibit: bool,
    /// `None` takes the virtual server's.
    pub forwarding: Option<Forwarding>,
    pub span: Span,
}

/// One `virtual_server` block.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct VirtualServer {
    pub addr: VsAddr,
    /// `ip_family inet|inet6`, or what the addresses imply; `None` for a fwmark service whose
    /// family nothing says (keepalived then uses IPv4).
    pub family: Option<Family>,
    /// `lvs_sched` / `lb_algo`; `None` until validation sets keepalived's default `wlc`.
    pub scheduler: Option<Scheduler>,
    pub flags: SchedFlags,
    /// `lvs_method` / `lb_kind`; `None` until validation sets keepalived's default NAT.
    pub forwarding: Option<Forwarding>,
    /// `persistence_timeout [SECS]` (1..=2678400; alone: 360).
    pub persistence_timeout: Option<u32>,
    pub persistence_granularity: Option<Granularity>,
    /// `persistence_engine NAME` (e.g. `sip`).
    pub persistence_engine: Option<String>,
    /// `protocol TCP|UDP|SCTP`; validation sets UDP (as the kernel would) when absent.
    pub protocol: Option<Protocol>,
    pub ha_suspend: bool,
    /// `smtp_alert [BOOL]`; `None` follows global_defs.
    pub smtp_alert: Option<bool>,
    /// `virtualhost NAME`: HTTP Host for the checkers that do not set one.
    pub virtualhost: Option<String>,
    pub snmp_name: Option<String>,
    pub alpha: bool,
    pub omega: bool,
    /// `quorum N` (1..), default 1.
    pub quorum: u32,
    /// `hysteresis N`, default 0.
    pub hysteresis: u32,
    pub quorum_up: Option<Command>,
    pub quorum_down: Option<Command>,
    /// `weight N` (1..=2^31-1): default weight of its real servers, default 1.
    pub weight: u32,
    pub sorry_server: Option<SorryServer>,
    /// `delay_loop SECS`, default 60 s.
    pub delay_loop: Duration,
    /// `connect_timeout SECS`, default 5 s.
    pub connect_timeout: Duration,
    /// `retry N`; `None` leaves each checker its own default.
    pub retry: Option<u32>,
    pub delay_before_retry: Option<Duration>,
    pub warmup: Option<Duration>,
    pub inhibit_on_failure: bool,
    pub real_servers: Vec<RealServer>,
    pub span: Span,
}

impl VirtualServer {
    fn new(addr: VsAddr, span: Span) -> Self {
        let family = match &addr {
            VsAddr::Addr(a) => Some(Family::of(&a.ip())),
            _ => None,
        };
        VirtualServer {
            addr,
            family,
            scheduler: None,
            flags: SchedFlags::default(),
            forwarding: None,
            persistence_timeout: None,
            persistence_granularity: None,
            persistence_engine: None,
            protocol: None,
            ha_suspend: false,
            smtp_alert: None,
            virtualhost: None,
            snmp_name: None,
            alpha: false,
            omega: false,
            quorum: 1,
            hysteresis: 0,
            quorum_up: None,
            quorum_down: None,
            weight: 1,
            sorry_server: None,
            delay_loop: DEFAULT_DELAY_LOOP,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            retry: None,
            delay_before_retry: None,
            warmup: None,
            inhibit_on_failure: false,
            real_servers: Vec::new(),
            span,
        }
    }
}

/// One `real_server IP [PORT] { }` block. `None` fields inherit from the virtual server.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct RealServer {
    /// Port 0 when none is given (validation gives it the virtual server's where keepalived does).
    pub addr: SocketAddr,
    /// `weight N` (0..=2^31-1); `None` takes the virtual server's `weight`.
    pub weight: Option<u32>,
    pub forwarding: Option<Forwarding>,
    pub uthreshold: Option<u32>,
    pub lthreshold: Option<u32>,
    pub inhibit_on_failure: Option<bool>,
    pub notify_up: Option<Command>,
    pub notify_down: Option<Command>,
    pub alpha: Option<bool>,
    pub retry: Option<u32>,
    pub delay_before_retry: Option<Duration>,
    pub warmup: Option<Duration>,
    pub connect_timeout: Option<Duration>,
    pub delay_loop: Option<Duration>,
    /// `None` follows global_defs (and then true, as keepalived).
    pub smtp_alert: Option<bool>,
    pub virtualhost: Option<String>,
    pub snmp_name: Option<String>,
    pub checkers: Vec<Checker>,
    pub span: Span,
}

impl RealServer {
    fn new(addr: SocketAddr, span: Span) -> Self {
        RealServer {
            addr,
            weight: None,
            forwarding: None,
            uthreshold: None,
            lthreshold: None,
            inhibit_on_failure: None,
            notify_up: None,
            notify_down: None,
            alpha: None,
            retry: None,
            delay_before_retry: None,
            warmup: None,
            connect_timeout: None,
            delay_loop: None,
            smtp_alert: None,
            virtualhost: None,
            snmp_name: None,
            checkers: Vec::new(),
            span,
        }
    }
}

/// One checker block of a real server.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Checker {
    pub common: CheckerCommon,
    pub kind: CheckerKind,
    pub span: Span,
}

/// Options every checker shares; `None` inherits real server, virtual server, then the kind's
/// default (retry 1, MISC 0, DNS 3; delay_before_retry 1 s, HTTP/SSL 3 s, DNS delay_loop).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct CheckerCommon {
    pub connect_ip: Option<IpAddr>,
    /// 1..=65535.
    pub connect_port: Option<u16>,
    pub bindto: Option<IpAddr>,
    pub bind_port: Option<u16>,
    pub bind_if: Option<String>,
    /// SO_MARK of the checker's socket.
    pub fwmark: Option<u32>,
    pub connect_timeout: Option<Duration>,
    /// `retry` (and HTTP's deprecated `nb_get_retry`).
    pub retry: Option<u32>,
    pub delay_before_retry: Option<Duration>,
    pub warmup: Option<Duration>,
    pub delay_loop: Option<Duration>,
    pub alpha: Option<bool>,
    pub log_all_failures: bool,
}

/// Which checker, with its own options.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub enum CheckerKind {
    Tcp,
    Http(HttpGet),
    Ssl(HttpGet),
    Misc(MiscCheck),
    Smtp(SmtpCheck),
    Dns(DnsCheck),
    Udp(UdpCheck),
    Ping,
    File(FileCheck),
    Bfd(BfdCheck),
}

impl CheckerKind {
    /// The keyword opening the block.
    pub fn keyword(&self) -> &'static str {
        match self {
            CheckerKind::Tcp => "TCP_CHECK",
            CheckerKind::Http(_) => "HTTP_GET",
            CheckerKind::Ssl(_) => "SSL_GET",
            CheckerKind::Misc(_) => "MISC_CHECK",
            CheckerKind::Smtp(_) => "SMTP_CHECK",
            CheckerKind::Dns(_) => "DNS_CHECK",
            CheckerKind::Udp(_) => "UDP_CHECK",
            CheckerKind::Ping => "PING_CHECK",
            CheckerKind::File(_) => "FILE_CHECK",
            CheckerKind::Bfd(_) => "BFD_CHECK",
        }
    }
}

/// `http_protocol 1.0|1.0C|1.1`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
pub enum HttpProtocol {
    #[default]
    V1_0,
    /// HTTP/1.0 with `Connection: close`.
    V1_0C,
    V1_1,
}

/// HTTP_GET / SSL_GET.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct HttpGet {
    pub http_protocol: HttpProtocol,
    pub virtualhost: Option<String>,
    pub fast_recovery: bool,
    pub enable_sni: bool,
    pub urls: Vec<Url>,
}

/// An inclusive range of HTTP status codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct StatusRange {
    pub min: u16,
    pub max: u16,
}

/// `url { path digest status_code virtualhost regex ... }`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Url {
    pub path: String,
    /// MD5 of the body.
    pub digest: Option<[u8; 16]>,
    /// `status_code 200 300-399 ...`; [`DEFAULT_STATUS_CODES`] when none is given.
    pub status_codes: Vec<StatusRange>,
    pub virtualhost: Option<String>,
    /// A PCRE2 pattern, kept as text.
    pub regex: Option<String>,
    pub regex_no_match: bool,
    pub regex_options: Vec<String>,
    /// `regex_stack START MAX` (JIT stack sizes).
    pub regex_stack: Option<(u64, u64)>,
    pub regex_min_offset: Option<u64>,
    pub regex_max_offset: Option<u64>,
    pub span: Span,
}

impl Url {
    pub fn accepts(&self, code: u16) -> bool {
        self.status_codes
            .iter()
            .any(|r| (r.min..=r.max).contains(&code))
    }
}

/// MISC_CHECK.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct MiscCheck {
    /// `misc_path "CMD ARGS"` with `user USER [GROUP]` in the command's user/group.
    pub command: Command,
    /// `misc_timeout SECS` (whole seconds); `None` means the delay_loop.
    pub timeout: Option<Duration>,
    /// `misc_dynamic`: exit code 2..=255 sets the weight to code - 2.
    pub dynamic: bool,
}

/// SMTP_CHECK, with the deprecated `host { }` blocks (each an extra checker in keepalived).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SmtpCheck {
    pub helo_name: String,
    pub hosts: Vec<CheckerCommon>,
}

/// DNS_CHECK query types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
pub enum DnsType {
    A,
    Ns,
    Cname,
    #[default]
    Soa,
    Mx,
    Txt,
    Aaaa,
    Rrsig,
    Dnskey,
}

const DNS_TYPES: &[(&str, DnsType)] = &[
    ("A", DnsType::A),
    ("NS", DnsType::Ns),
    ("CNAME", DnsType::Cname),
    ("SOA", DnsType::Soa),
    ("MX", DnsType::Mx),
    ("TXT", DnsType::Txt),
    ("AAAA", DnsType::Aaaa),
    ("RRSIG", DnsType::Rrsig),
    ("DNSKEY", DnsType::Dnskey),
];

/// DNS_CHECK: `type` (default SOA) and `name` (default empty, the root).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct DnsCheck {
    pub query_type: DnsType,
    pub name: String,
}

/// UDP_CHECK.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct UdpCheck {
    /// `payload HEX`; `None` sends keepalived's default.
    pub payload: Option<Vec<u8>>,
    /// `require_reply [HEX]`: `None` = any outcome but an ICMP error passes; `Some(empty)` = any
    /// reply; otherwise (value, mask) per byte, `x` nibbles masked out.
    pub require_reply: Option<Vec<(u8, u8)>>,
    pub min_reply_length: u16,
    pub max_reply_length: u16,
}

/// FILE_CHECK: a `track_file` (top level) whose value changes the weight.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FileCheck {
    pub track_file: String,
    /// `weight N [reverse|noreverse]`, -2^31+1..=2^31-1; `None` takes the track_file's.
    pub weight: Option<i32>,
    pub reverse: bool,
}

/// BFD_CHECK: follows a `bfd_instance`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct BfdCheck {
    pub name: String,
    pub alpha: Option<bool>,
}

const CHECKERS: &[&str] = &[
    "HTTP_GET",
    "SSL_GET",
    "TCP_CHECK",
    "SMTP_CHECK",
    "DNS_CHECK",
    "MISC_CHECK",
    "BFD_CHECK",
    "PING_CHECK",
    "UDP_CHECK",
    "FILE_CHECK",
];

const SSL_KEYWORDS: &[&str] = &["password", "ca", "certificate", "key"];
const GROUP_KEYWORDS: &[&str] = &["fwmark"];
const VS_KEYWORDS: &[&str] = &[
    "ip_family",
    "retry",
    "delay_before_retry",
    "warmup",
    "connect_timeout",
    "delay_loop",
    "inhibit_on_failure",
    "lb_algo",
    "lvs_sched",
    "hashed",
    "ops",
    "flag-1",
    "flag-2",
    "flag-3",
    "sh-port",
    "sh-fallback",
    "mh-port",
    "mh-fallback",
    "lb_kind",
    "lvs_method",
    "persistence_engine",
    "persistence_timeout",
    "persistence_granularity",
    "protocol",
    "ha_suspend",
    "smtp_alert",
    "virtualhost",
    "snmp_name",
    "alpha",
    "omega",
    "quorum_up",
    "quorum_down",
    "quorum",
    "hysteresis",
    "weight",
    "sorry_server",
    "sorry_server_inhibit",
    "sorry_server_lvs_method",
    "real_server",
];
const RS_KEYWORDS: &[&str] = &[
    "weight",
    "lvs_method",
    "uthreshold",
    "lthreshold",
    "inhibit_on_failure",
    "notify_up",
    "notify_down",
    "alpha",
    "retry",
    "delay_before_retry",
    "warmup",
    "connect_timeout",
    "delay_loop",
    "smtp_alert",
    "virtualhost",
    "snmp_name",
    "HTTP_GET",
    "SSL_GET",
    "TCP_CHECK",
    "SMTP_CHECK",
    "DNS_CHECK",
    "MISC_CHECK",
    "BFD_CHECK",
    "PING_CHECK",
    "UDP_CHECK",
    "FILE_CHECK",
];
/// The connection keywords of network checkers.
const CONN: &[&str] = &[
    "connect_ip",
    "connect_port",
    "bindto",
    "bind_port",
    "bind_if",
    "connect_timeout",
    "fwmark",
];
/// Keywords every checker but FILE_CHECK and BFD_CHECK takes.
const TIMING: &[&str] = &[
    "retry",
    "delay_before_retry",
    "warmup",
    "delay_loop",
    "alpha",
    "log_all_failures",
];
const TCP_KEYWORDS: &[&str] = &[
    "connect_ip",
    "connect_port",
    "bindto",
    "bind_port",
    "bind_if",
    "connect_timeout",
    "fwmark",
    "retry",
    "delay_before_retry",
    "warmup",
    "delay_loop",
    "alpha",
    "log_all_failures",
];
const HTTP_KEYWORDS: &[&str] = &[
    "connect_ip",
    "connect_port",
    "bindto",
    "bind_port",
    "bind_if",
    "connect_timeout",
    "fwmark",
    "retry",
    "delay_before_retry",
    "warmup",
    "delay_loop",
    "alpha",
    "log_all_failures",
    "nb_get_retry",
    "virtualhost",
    "http_protocol",
    "enable_sni",
    "fast_recovery",
    "url",
];
const URL_KEYWORDS: &[&str] = &[
    "path",
    "digest",
    "status_code",
    "virtualhost",
    "regex",
    "regex_no_match",
    "regex_options",
    "regex_stack",
    "regex_min_offset",
    "regex_max_offset",
];
const MISC_KEYWORDS: &[&str] = &[
    "misc_path",
    "misc_timeout",
    "misc_dynamic",
    "user",
    "retry",
    "delay_before_retry",
    "warmup",
    "delay_loop",
    "alpha",
    "log_all_failures",
];
const SMTP_KEYWORDS: &[&str] = &[
    "helo_name",
    "host",
    "connect_ip",
    "connect_port",
    "bindto",
    "bind_port",
    "bind_if",
    "connect_timeout",
    "fwmark",
    "retry",
    "delay_before_retry",
    "warmup",
    "delay_loop",
    "alpha",
    "log_all_failures",
];
const DNS_KEYWORDS: &[&str] = &[
    "type",
    "name",
    "connect_ip",
    "connect_port",
    "bindto",
    "bind_port",
    "bind_if",
    "connect_timeout",
    "fwmark",
    "retry",
    "delay_before_retry",
    "warmup",
    "delay_loop",
    "alpha",
    "log_all_failures",
];
const UDP_KEYWORDS: &[&str] = &[
    "payload",
    "require_reply",
    "min_reply_length",
    "max_reply_length",
    "connect_ip",
    "connect_port",
    "bindto",
    "bind_port",
    "bind_if",
    "connect_timeout",
    "fwmark",
    "retry",
    "delay_before_retry",
    "warmup",
    "delay_loop",
    "alpha",
    "log_all_failures",
];
const FILE_KEYWORDS: &[&str] = &["track_file", "weight"];
const BFD_KEYWORDS: &[&str] = &["name", "alpha"];

/// Every block this module reads, with every keyword it accepts there (aliases included): the
/// source of "did you mean" suggestions and of the completeness test against keepalived.conf(5).
pub const KEYWORDS: &[(&str, &[&str])] = &[
    ("SSL", SSL_KEYWORDS),
    ("virtual_server_group", GROUP_KEYWORDS),
    ("virtual_server", VS_KEYWORDS),
    ("virtual_server/real_server", RS_KEYWORDS),
    ("virtual_server/real_server/TCP_CHECK", TCP_KEYWORDS),
    ("virtual_server/real_server/PING_CHECK", TCP_KEYWORDS),
    ("virtual_server/real_server/HTTP_GET", HTTP_KEYWORDS),
    ("virtual_server/real_server/SSL_GET", HTTP_KEYWORDS),
    ("virtual_server/real_server/HTTP_GET/url", URL_KEYWORDS),
    ("virtual_server/real_server/SSL_GET/url", URL_KEYWORDS),
    ("virtual_server/real_server/MISC_CHECK", MISC_KEYWORDS),
    ("virtual_server/real_server/SMTP_CHECK", SMTP_KEYWORDS),
    ("virtual_server/real_server/SMTP_CHECK/host", TCP_KEYWORDS),
    ("virtual_server/real_server/DNS_CHECK", DNS_KEYWORDS),
    ("virtual_server/real_server/UDP_CHECK", UDP_KEYWORDS),
    ("virtual_server/real_server/FILE_CHECK", FILE_KEYWORDS),
    ("virtual_server/real_server/BFD_CHECK", BFD_KEYWORDS),
];

/// Words people write for a keyword of another name; the nearest-spelling suggestion misses them.
const CONFUSIONS: &[(&str, &str)] = &[
    ("tcp_port", "connect_port"),
    ("port", "connect_port"),
    ("check_port", "connect_port"),
    ("nb_get_retry", "retry"),
    ("nb_sock_retry", "retry"),
    ("timeout", "connect_timeout"),
    ("src_ip", "bindto"),
    ("bind_ip", "bindto"),
    ("server_server", "sorry_server"),
    ("lb_method", "lb_kind"),
    ("lvs_algo", "lvs_sched"),
];

/// Reads `node` if it is a top-level keyword this module owns; returns whether it was.
pub fn read_top(node: &Node, r: &mut Reader<'_>, cfg: &mut Config) -> bool {
    match node.keyword() {
        "SSL" => read_ssl(node, r, cfg),
        "virtual_server_group" => read_group(node, r, cfg),
        "virtual_server" => read_vs(node, r, cfg),
        _ => return false,
    }
    true
}

/// An unknown keyword in one of our blocks, with a suggestion from [`CONFUSIONS`] first.
fn unknown(r: &mut Reader<'_>, node: &Node, block: &str, known: &[&str]) {
    let kw = node.keyword();
    if let Some((_, to)) = CONFUSIONS
        .iter()
        .find(|(from, to)| *from == kw && known.contains(to))
    {
        let skipped = if node.block.is_some() {
            "keepalived ignores this line and its whole block"
        } else {
            "keepalived ignores this line"
        };
        r.push(
            Diagnostic::error(
                Some(node.span()),
                format!("unknown keyword `{kw}` in `{block}`"),
            )
            .help(format!("did you mean `{to}`?"))
            .note(skipped),
        );
        return;
    }
    r.unknown(node, Some(block), known);
}

fn read_ssl(node: &Node, r: &mut Reader<'_>, cfg: &mut Config) {
    let Some(children) = r.block(node) else {
        return;
    };
    if cfg.lvs.ssl.is_some() {
        r.push(
            Diagnostic::error(Some(node.span()), "a second `SSL` block replaces the first")
                .help("keep one `SSL { }` block"),
        );
    }
    let mut ssl = Ssl {
        span: node.span(),
        ..Ssl::default()
    };
    for n in children {
        let slot = match n.keyword() {
            "password" => &mut ssl.password,
            "ca" => &mut ssl.ca,
            "certificate" => &mut ssl.certificate,
            "key" => &mut ssl.key,
            _ => {
                unknown(r, n, "SSL", SSL_KEYWORDS);
                continue;
            }
        };
        let Some(v) = r.string(n, 0, "a value") else {
            continue;
        };
        if slot.is_some() {
            r.push(Diagnostic::error(
                Some(n.span()),
                format!("SSL `{}` already given - this one replaces it", n.keyword()),
            ));
        }
        *slot = Some(v);
        r.at_most(n, 1);
    }
    cfg.lvs.ssl = Some(ssl);
}

/// A port word: keepalived reads `0` (or `00`) as "no port".
fn port_word(r: &mut Reader<'_>, node: &Node, i: usize) -> Option<u16> {
    let Some(w) = node.arg(i) else {
        return Some(0);
    };
    if !w.text.is_empty() && w.text.bytes().all(|b| b == b'0') {
        return Some(0);
    }
    match w.text.parse::<u16>() {
        Ok(p) if p > 0 => Some(p),
        _ => {
            r.push(
                Diagnostic::error(Some(w.span), format!("invalid port '{}'", w.text))
                    .help("a port is a number from 1 to 65535 (0 or nothing: no port)"),
            );
            None
        }
    }
}

/// `IP [PORT]` at args `i`, `i+1`, with keepalived's message for a bad one.
fn sock_addr(r: &mut Reader<'_>, node: &Node, i: usize, what: &str) -> Option<SocketAddr> {
    let w = node.arg(i)?;
    let Ok(ip) = w.text.parse::<IpAddr>() else {
        r.push(
            Diagnostic::error(
                Some(w.span),
                format!("invalid {what} IP address '{}'", w.text),
            )
            .note("keepalived skips it"),
        );
        return None;
    };
    let port = port_word(r, node, i + 1)?;
    Some(SocketAddr::new(ip, port))
}

fn read_group(node: &Node, r: &mut Reader<'_>, cfg: &mut Config) {
    let Some(name) = node.arg(0).map(|w| w.text.to_string()) else {
        r.push(
            Diagnostic::error(
                Some(node.line_span()),
                "`virtual_server_group` needs a name",
            )
            .help("write `virtual_server_group NAME { ... }`"),
        );
        return;
    };
    let Some(children) = r.block(node) else {
        return;
    };
    let mut g = VirtualServerGroup {
        name,
        entries: Vec::new(),
        span: node.span(),
    };
    let mut fwmark_no_family = false;
    for n in children {
        r.no_block(n);
        if n.keyword() == "fwmark" {
            let Some(mark) = r.int::<u32>(n, 0, 0, u32::MAX) else {
                continue;
            };
            let family = match n.arg(1).map(|w| w.text.as_str()) {
                None => {
                    fwmark_no_family = true;
                    None
                }
                Some("inet") => Some(Family::V4),
                Some("inet6") => Some(Family::V6),
                Some(other) => {
                    r.push(
                        Diagnostic::error(
                            Some(Reader::span_of(n, 1)),
                            format!(
                                "({}): fwmark '{mark}' family {other} unknown - ignoring",
                                g.name
                            ),
                        )
                        .help("the family is `inet` or `inet6`"),
                    );
                    continue;
                }
            };
            g.entries.push(GroupEntry::Fwmark { mark, family });
            continue;
        }
        if let Some(e) = group_range(r, n) {
            g.entries.push(e);
        }
    }
    if g.entries.is_empty() {
        r.push(
            Diagnostic::error(
                Some(node.span()),
                format!("virtual server group {} has no entries - removing", g.name),
            )
            .help("list addresses (`10.0.0.1-10 80`) or `fwmark N` in the block"),
        );
        return;
    }
    if g.has_family(Family::V4) && g.has_family(Family::V6) && fwmark_no_family {
        r.push(
            Diagnostic::error(
                Some(node.span()),
                format!(
                    "virtual server group {} cannot have IPv4, IPv6 and fwmark without family - removing",
                    g.name
                ),
            )
            .help("give each `fwmark` line a family: `fwmark N inet` or `fwmark N inet6`"),
        );
        return;
    }
    cfg.lvs.groups.push(g);
}

/// One address line of a virtual_server_group: `A`, `A-END`, `A-B` (a whole end address) or
/// `A/LEN`, then an optional port.
fn group_range(r: &mut Reader<'_>, n: &Node) -> Option<GroupEntry> {
    let text = n.keyword();
    let port = port_word(r, n, 0)?;
    let bad = |r: &mut Reader<'_>, msg: String| {
        r.push(
            Diagnostic::error(Some(n.span()), msg).help(
                "write an address, a range (`10.0.0.1-10`, `10.0.0.1-10.0.0.9`) or a prefix (`10.0.0.0/29`), then the port",
            ),
        );
        None
    };
    if let Some((a, len)) = text.split_once('/') {
        let Ok(first) = a.parse::<IpAddr>() else {
            return bad(
                r,
                format!("invalid virtual server group IP address {text} - skipping"),
            );
        };
        let max = if first.is_ipv4() { 32 } else { 128 };
        let len = match len.parse::<u32>() {
            Ok(l) if l > 0 && l <= max => l,
            _ => return bad(r, format!("invalid netmask - {text} - skipping")),
        };
        let host_bits = max - len;
        let (first_n, mask) = match first {
            IpAddr::V4(v) => (u128::from(u32::from(v)), (1u128 << host_bits) - 1),
            IpAddr::V6(v) => (
                u128::from(v),
                if host_bits == 128 {
                    u128::MAX
                } else {
                    (1u128 << host_bits) - 1
                },
            ),
        };
        if first_n & mask != 0 {
            return bad(
                r,
                format!("address mask bits not empty - {text} - skipping"),
            );
        }
        let last = match first {
            IpAddr::V4(_) => IpAddr::V4(Ipv4Addr::from((first_n | mask) as u32)),
            IpAddr::V6(_) => IpAddr::V6(Ipv6Addr::from(first_n | mask)),
        };
        return Some(GroupEntry::Range { first, last, port });
    }
    let (a, end) = match text.split_once('-') {
        Some((a, e)) => (a, Some(e)),
        None => (text, None),
    };
    let Ok(first) = a.parse::<IpAddr>() else {
        return bad(
            r,
            format!("invalid virtual server group IP address {text} - skipping"),
        );
    };
    let Some(end) = end else {
        return Some(GroupEntry::Range {
            first,
            last: first,
            port,
        });
    };
    let whole_end = match first {
        IpAddr::V4(_) => end.contains('.'),
        IpAddr::V6(_) => end.contains(':'),
    };
    let last = if whole_end {
        let Ok(last) = end.parse::<IpAddr>() else {
            return bad(r, format!("invalid range end {text} - skipping"));
        };
        if last.is_ipv4() != first.is_ipv4() {
            return bad(
                r,
                format!("range address families do not match {text} - skipping"),
            );
        }
        if ip_num(last) < ip_num(first) {
            return bad(
                r,
                format!("address range end is less than address range start - {text} - skipping"),
            );
        }
        last
    } else {
        // The end replaces the last byte (IPv4, decimal) or the last 16-bit group (IPv6, hex).
        let (start, last) = match first {
            IpAddr::V4(v) => {
                let Ok(e) = end.parse::<u8>() else {
                    return bad(r, format!("invalid range end {text} - skipping"));
                };
                let o = v.octets();
                (
                    u32::from(o[3]),
                    (u32::from(e), IpAddr::V4(Ipv4Addr::new(o[0], o[1], o[2], e))),
                )
            }
            IpAddr::V6(v) => {
                let Ok(e) = u16::from_str_radix(end, 16) else {
                    return bad(r, format!("invalid range end {text} - skipping"));
                };
                let mut s = v.segments();
                let start = u32::from(s[7]);
                s[7] = e;
                (start, (u32::from(e), IpAddr::V6(Ipv6Addr::from(s))))
            }
        };
        if start >= last.0 {
            return bad(
                r,
                format!(
                    "address range end is not greater than address range start - {text} - skipping"
                ),
            );
        }
        last.1
    };
    Some(GroupEntry::Range { first, last, port })
}

fn ip_num(a: IpAddr) -> u128 {
    match a {
        IpAddr::V4(v) => u128::from(u32::from(v)),
        IpAddr::V6(v) => u128::from(v),
    }
}

fn read_vs(node: &Node, r: &mut Reader<'_>, cfg: &mut Config) {
    let addr = match node.arg(0).map(|w| w.text.as_str()) {
        None => {
            r.push(
                Diagnostic::error(
                    Some(node.line_span()),
                    "`virtual_server` needs `IP PORT`, `fwmark N` or `group NAME`",
                )
                .note("keepalived skips this block"),
            );
            return;
        }
        Some("group") => match node.arg(1) {
            Some(w) => VsAddr::Group(w.text.to_string()),
            None => {
                r.push(
                    Diagnostic::error(
                        Some(node.line_span()),
                        "`virtual_server group` needs the group's name",
                    )
                    .note("keepalived skips this block"),
                );
                return;
            }
        },
        Some("fwmark") => match r.int::<u32>(node, 1, 0, u32::MAX) {
            Some(m) => VsAddr::Fwmark(m),
            None => return,
        },
        Some(_) => match sock_addr(r, node, 0, "virtual server") {
            Some(a) => VsAddr::Addr(a),
            None => return,
        },
    };
    let Some(children) = r.block(node) else {
        return;
    };
    let mut vs = VirtualServer::new(addr, node.span());
    // Sized once: a real server is a few hundred bytes, and a block of them grown step by
    // step copies them all at every doubling.
    vs.real_servers.reserve_exact(
        children
            .iter()
            .filter(|n| n.keyword() == "real_server")
            .count(),
    );
    let mut i = 0;
    while i < children.len() {
        let n = &children[i];
        i += 1;
        if let Some(kids) = absorb(r, n, children, &mut i, RS_KEYWORDS, &["real_server"]) {
            read_rs(n, kids, r, &mut vs, cfg);
            continue;
        }
        if n.keyword() == "real_server" {
            read_rs(n, n.children(), r, &mut vs, cfg);
            continue;
        }
        r.no_block(n);
        read_vs_keyword(n, r, &mut vs);
    }
    vs_end(r, &mut vs);
    cfg.lvs.virtual_servers.push(vs);
}

/// A block keyword written without its `{`: the tree makes the lines that belonged to it
/// siblings. Report once, at the keyword's line, and hand back the siblings that are keywords
/// of the missing block (up to the next `stop` keyword), so they are read where the user meant
/// them instead of each being an unknown keyword of the enclosing block.
fn absorb<'a>(
    r: &mut Reader<'_>,
    n: &Node,
    siblings: &'a [Node],
    i: &mut usize,
    own: &[&str],
    stop: &[&str],
) -> Option<&'a [Node]> {
    let kw = n.keyword();
    if n.block.is_some() || !(kw == "real_server" || kw == "url" || CHECKERS.contains(&kw)) {
        return None;
    }
    let line = n.span().line;
    r.push(
        Diagnostic::error(
            Some(n.line_span()),
            format!("the `{{` that opens the `{}` block is missing", n.keyword()),
        )
        .help(format!(
            "add `{{` at the end of line {line}: `{} {{`",
            n.words
                .iter()
                .map(|w| w.text.as_str())
                .collect::<Vec<_>>()
                .join(" ")
        ))
        .note(
            "keepalived reports \"Missing '{'\" at the next line, takes that line for the brace \
             and reads the rest as this block; the braces no longer balance after it",
        ),
    );
    let start = *i;
    while let Some(s) = siblings.get(*i) {
        if stop.contains(&s.keyword()) || !own.contains(&s.keyword()) {
            break;
        }
        *i += 1;
    }
    Some(&siblings[start..*i])
}

fn read_vs_keyword(n: &Node, r: &mut Reader<'_>, vs: &mut VirtualServer) {
    match n.keyword() {
        "ip_family" => {
            let Some(f) = r.choice(n, 0, &["inet", "inet6"]) else {
                return;
            };
            let f = if f == "inet" { Family::V4 } else { Family::V6 };
            match vs.family {
                Some(have) if have != f => r.push(
                    Diagnostic::error(
                        Some(Reader::span_of(n, 0)),
                        format!(
                            "virtual server specified family {} conflicts with server family",
                            n.arg(0).map(|w| w.text.as_str()).unwrap_or("")
                        ),
                    )
                    .help(
                        "the family must match the virtual server's address and its real servers'",
                    ),
                ),
                _ => vs.family = Some(f),
            }
        }
        "retry" => {
            if let Some(v) = r.int::<u32>(n, 0, 1, u32::MAX) {
                vs.retry = Some(v);
            }
        }
        "delay_before_retry" => {
            if let Some(v) = r.secs(n, 0, 0.0, TIMER_MAX) {
                vs.delay_before_retry = Some(v);
            }
        }
        "warmup" => {
            if let Some(v) = r.secs(n, 0, 0.0, TIMER_MAX) {
                vs.warmup = Some(v);
            }
        }
        "connect_timeout" => {
            if let Some(v) = r.secs(n, 0, TIMER_MIN, CONNECT_TIMEOUT_MAX) {
                vs.connect_timeout = v;
            }
        }
        "delay_loop" => {
            if let Some(v) = r.secs(n, 0, TIMER_MIN, TIMER_MAX) {
                vs.delay_loop = v;
            }
        }
        "inhibit_on_failure" => {
            if let Some(b) = bool_arg(r, n) {
                vs.inhibit_on_failure = b;
            }
        }
        "lb_algo" | "lvs_sched" => {
            let names: Vec<&str> = SCHEDULERS.iter().map(|(n, _)| *n).collect();
            // keepalived compares scheduler names case-sensitively.
            match n.arg(0) {
                Some(w) if names.contains(&w.text.as_str()) => {
                    vs.scheduler = SCHEDULERS
                        .iter()
                        .find(|(s, _)| *s == w.text)
                        .map(|(_, s)| *s);
                }
                _ => {
                    if let Some(w) = n.arg(0) {
                        let mut d = Diagnostic::error(
                            Some(w.span),
                            format!("invalid lvs_scheduler '{}' - ignoring", w.text),
                        )
                        .help(format!("the schedulers are {}", names.join(", ")));
                        if let Some(s) = crate::diag::nearest(&w.text.to_lowercase(), names) {
                            d = d.help(format!("did you mean `{s}`?"));
                        }
                        r.push(d);
                    } else {
                        r.str(n, 0, "a scheduler name");
                    }
                }
            }
        }
        "ops" => vs.flags.one_packet = true,
        "flag-1" => vs.flags.flag_1 = true,
        "flag-2" => vs.flags.flag_2 = true,
        "flag-3" => vs.flags.flag_3 = true,
        kw @ ("hashed" | "sh-port" | "sh-fallback" | "mh-port" | "mh-fallback") => {
            // Order matters to keepalived: these flags are read against the scheduler set so far.
            match (vs.scheduler, kw) {
                (Some(Scheduler::Sh), "sh-port") => vs.flags.sh_port = true,
                (Some(Scheduler::Sh), "sh-fallback") => vs.flags.sh_fallback = true,
                (Some(Scheduler::Mh), "mh-port") => vs.flags.mh_port = true,
                (Some(Scheduler::Mh), "mh-fallback") => vs.flags.mh_fallback = true,
                (Some(Scheduler::Sh | Scheduler::Mh), _) => {}
                _ => r.push(
                    Diagnostic::error(
                        Some(n.span()),
                        format!("{kw} only applies to sh scheduler - ignoring"),
                    )
                    .help(if kw.starts_with("mh") {
                        "set `lvs_sched mh` before this line"
                    } else {
                        "set `lvs_sched sh` before this line"
                    }),
                ),
            }
        }
        "lb_kind" | "lvs_method" => {
            if let Some(f) = forwarding(r, n, "virtual") {
                vs.forwarding = Some(f);
            }
        }
        "persistence_engine" => {
            if let Some(s) = r.string(n, 0, "an engine name") {
                if s.len() > 15 {
                    r.push(Diagnostic::error(
                        Some(Reader::span_of(n, 0)),
                        format!("persistence_name too long, truncating - {s}"),
                    ));
                }
                vs.persistence_engine = Some(s.chars().take(15).collect());
            }
        }
        "persistence_timeout" => {
            if n.arg(0).is_none() {
                vs.persistence_timeout = Some(DEFAULT_PERSISTENCE_TIMEOUT);
            } else if let Some(t) = r.int::<u32>(n, 0, 1, MAX_PERSISTENCE_TIMEOUT) {
                vs.persistence_timeout = Some(t);
            }
        }
        "persistence_granularity" => {
            let Some(w) = n.arg(0) else {
                r.str(n, 0, "a netmask or prefix length");
                return;
            };
            let v6 = match vs.family {
                Some(f) => f == Family::V6,
                None => !w.text.contains('.'),
            };
            let g = if v6 {
                match w.text.parse::<u8>() {
                    Ok(p) if (1..=128).contains(&p) => Some(Granularity::V6(p)),
                    _ => None,
                }
            } else {
                w.text.parse::<Ipv4Addr>().ok().map(Granularity::V4)
            };
            match g {
                Some(g) => {
                    vs.persistence_granularity = Some(g);
                    if vs.family.is_none() {
                        vs.family = Some(if v6 { Family::V6 } else { Family::V4 });
                    }
                    vs.persistence_timeout
                        .get_or_insert(DEFAULT_PERSISTENCE_TIMEOUT);
                }
                None => r.push(
                    Diagnostic::error(
                        Some(w.span),
                        format!(
                            "invalid {} persistence_granularity specified - {}",
                            if v6 { "IPv6" } else { "IPv4" },
                            w.text
                        ),
                    )
                    .help("IPv4 takes a netmask (255.255.255.0), IPv6 a prefix length (1-128)"),
                ),
            }
        }
        "protocol" => {
            if let Some(p) = r.choice_any_case(n, 0, &["TCP", "UDP", "SCTP"]) {
                vs.protocol = Some(match p {
                    "TCP" => Protocol::Tcp,
                    "UDP" => Protocol::Udp,
                    _ => Protocol::Sctp,
                });
            }
        }
        "ha_suspend" => vs.ha_suspend = true,
        "smtp_alert" => {
            if let Some(b) = bool_arg(r, n) {
                vs.smtp_alert = Some(b);
            }
        }
        "virtualhost" => {
            if let Some(s) = r.string(n, 0, "a host name") {
                vs.virtualhost = Some(s);
            }
        }
        "snmp_name" => {
            if let Some(s) = r.string(n, 0, "a name") {
                r.at_most(n, 1);
                vs.snmp_name = Some(s);
            }
        }
        "alpha" => vs.alpha = true,
        "omega" => vs.omega = true,
        "quorum_up" => set_once(r, n, &mut vs.quorum_up),
        "quorum_down" => set_once(r, n, &mut vs.quorum_down),
        "quorum" => match r.int::<u32>(n, 0, 1, u32::MAX) {
            Some(q) => vs.quorum = q,
            // keepalived: "Quorum %s must be in [1, %u]. Setting to 1."
            None => vs.quorum = 1,
        },
        "hysteresis" => {
            if let Some(h) = r.int::<u32>(n, 0, 0, u32::MAX) {
                vs.hysteresis = h;
            }
        }
        "weight" => {
            if let Some(w) = r.int::<u32>(n, 0, 1, MAX_WEIGHT) {
                vs.weight = w;
            }
        }
        "sorry_server" => {
            if node_needs(r, n, 0, "an IP address and port")
                && let Some(addr) = sock_addr(r, n, 0, "sorry server")
            {
                vs.sorry_server = Some(SorryServer {
                    addr,
                    inhibit: false,
                    forwarding: None,
                    span: n.span(),
                });
            }
        }
        "sorry_server_inhibit" => match &mut vs.sorry_server {
            Some(s) => s.inhibit = true,
            None => r.push(
                Diagnostic::error(
                    Some(n.span()),
                    "ignoring sorry_server_inhibit used before or without sorry_server",
                )
                .help("put it after the `sorry_server` line"),
            ),
        },
        "sorry_server_lvs_method" => {
            if vs.sorry_server.is_none() {
                r.push(
                    Diagnostic::error(
                        Some(n.span()),
                        "sorry_server forwarding used without sorry_server",
                    )
                    .help("put it after the `sorry_server` line"),
                );
            } else if let Some(f) = forwarding(r, n, "sorry")
                && let Some(s) = &mut vs.sorry_server
            {
                s.forwarding = Some(f);
            }
        }
        _ => unknown(r, n, "virtual_server", VS_KEYWORDS),
    }
}

fn node_needs(r: &mut Reader<'_>, n: &Node, i: usize, what: &str) -> bool {
    r.str(n, i, what).is_some()
}

/// keepalived's optional boolean (case-sensitive true/on/yes, false/off/no); `None` on a bad word.
fn bool_arg(r: &mut Reader<'_>, n: &Node) -> Option<bool> {
    let Some(w) = n.arg(0) else {
        return Some(true);
    };
    match w.text.as_str() {
        "true" | "on" | "yes" => Some(true),
        "false" | "off" | "no" => Some(false),
        _ => {
            r.push(
                Diagnostic::error(
                    Some(w.span),
                    format!("invalid {} parameter {}", n.keyword(), w.text),
                )
                .help("write true/false, on/off or yes/no (or nothing, meaning true)")
                .note("keepalived ignores this line"),
            );
            None
        }
    }
}

/// `NAT | DR | TUN [type ipip|gue|gre] [port N] [nocsum|csum|remcsum]`.
fn forwarding(r: &mut Reader<'_>, n: &Node, who: &str) -> Option<Forwarding> {
    let w = n.arg(0).or_else(|| {
        r.str(n, 0, "NAT, DR or TUN");
        None
    })?;
    let f = match w.text.as_str() {
        "NAT" => Forwarding::Nat,
        "DR" => Forwarding::Dr,
        "TUN" => Forwarding::Tun(Tunnel::default()),
        other => {
            let mut d = Diagnostic::error(
                Some(w.span),
                format!("unknown [{other}] routing method for {who} server"),
            );
            if ["nat", "dr", "tun"].contains(&other.to_ascii_lowercase().as_str()) {
                d = d.help(format!(
                    "write `{}` in capitals",
                    other.to_ascii_uppercase()
                ));
            } else {
                d = d.help("write NAT, DR or TUN");
            }
            r.push(d);
            return None;
        }
    };
    let Forwarding::Tun(mut t) = f else {
        r.at_most(n, 1);
        return Some(f);
    };
    let args = n.args();
    let mut i = 1;
    let err = |r: &mut Reader<'_>, span: Span, msg: String| {
        r.push(
            Diagnostic::error(Some(span), msg)
                .help("write `TUN [type ipip|gue|gre] [port N] [nocsum|csum|remcsum]`")
                .note("keepalived ignores this line"),
        );
    };
    while let Some(a) = args.get(i) {
        match a.text.as_str() {
            "type" => {
                let Some(v) = args.get(i + 1) else {
                    err(r, a.span, format!("missing tunnel type for {who} server"));
                    return None;
                };
                t.kind = match v.text.as_str() {
                    "ipip" => TunnelKind::Ipip,
                    "gue" => TunnelKind::Gue,
                    "gre" => TunnelKind::Gre,
                    o => {
                        err(
                            r,
                            v.span,
                            format!("unknown tunnel type {o} for {who} server"),
                        );
                        return None;
                    }
                };
                i += 2;
            }
            "port" => {
                let Some(v) = args.get(i + 1) else {
                    err(
                        r,
                        a.span,
                        format!("missing port for {who} server gue tunnel"),
                    );
                    return None;
                };
                match v.text.parse::<u16>() {
                    Ok(p) if p > 0 => t.port = Some(p),
                    _ => {
                        err(
                            r,
                            v.span,
                            format!("invalid gue tunnel port {} for {who} server", v.text),
                        );
                        return None;
                    }
                }
                i += 2;
            }
            "nocsum" => {
                t.checksum = TunnelChecksum::NoCsum;
                i += 1;
            }
            "csum" => {
                t.checksum = TunnelChecksum::Csum;
                i += 1;
            }
            "remcsum" => {
                t.checksum = TunnelChecksum::RemCsum;
                i += 1;
            }
            o => {
                err(
                    r,
                    a.span,
                    format!("invalid tunnel option {o} for {who} server"),
                );
                return None;
            }
        }
    }
    if (t.kind == TunnelKind::Gue) != t.port.is_some() {
        err(
            r,
            n.span(),
            "gue tunnels require port, otherwise cannot have port".into(),
        );
        return None;
    }
    if t.kind == TunnelKind::Ipip && t.checksum != TunnelChecksum::NoCsum {
        err(
            r,
            n.span(),
            "ipip tunnels do not support checksum option".into(),
        );
        return None;
    }
    if t.kind == TunnelKind::Gre && t.checksum == TunnelChecksum::RemCsum {
        err(
            r,
            n.span(),
            "gre tunnels do not support remote checksum option".into(),
        );
        return None;
    }
    Some(Forwarding::Tun(t))
}

/// A notify-style command: `KEYWORD "CMD ARGS" [USER [GROUP]]`.
fn command(r: &mut Reader<'_>, n: &Node) -> Option<Command> {
    let w = r.str(n, 0, "a script (quote it if it has arguments)")?;
    if let Some(extra) = n.arg(3) {
        r.push(
            Diagnostic::error(
                Some(extra.span),
                format!(
                    "`{}` takes a script, a user and a group; '{}' is extra",
                    n.keyword(),
                    extra.text
                ),
            )
            .help("put the script and its arguments in quotes: `notify_up \"/path/script arg\"`"),
        );
    }
    Some(Command {
        line: w.to_string(),
        user: n.arg(1).map(|w| w.text.to_string()),
        group: n.arg(2).map(|w| w.text.to_string()),
        span: Reader::span_of(n, 0),
    })
}

/// keepalived keeps the first notify/quorum script and reports later ones.
fn set_once(r: &mut Reader<'_>, n: &Node, slot: &mut Option<Command>) {
    if slot.is_some() {
        r.push(
            Diagnostic::error(
                Some(n.span()),
                format!(
                    "`{}` script already specified - ignoring this one",
                    n.keyword()
                ),
            )
            .help("keep one line per script keyword"),
        );
        return;
    }
    *slot = command(r, n);
}

/// What the virtual server's end handler checks: the sorry server's family.
fn vs_end(r: &mut Reader<'_>, vs: &mut VirtualServer) {
    let Some(s) = &vs.sorry_server else {
        return;
    };
    if matches!(s.forwarding.or(vs.forwarding), Some(Forwarding::Tun(_))) {
        return;
    }
    let f = Family::of(&s.addr.ip());
    match vs.family {
        None => vs.family = Some(f),
        Some(have) if have != f => {
            r.push(
                Diagnostic::error(
                    Some(s.span),
                    format!(
                        "address family of virtual server and sorry server {} don't match - skipping sorry server",
                        s.addr.ip()
                    ),
                )
                .help("use a sorry server of the virtual server's family"),
            );
            vs.sorry_server = None;
        }
        Some(_) => {}
    }
}

fn read_rs(
    node: &Node,
    children: &[Node],
    r: &mut Reader<'_>,
    vs: &mut VirtualServer,
    cfg: &Config,
) {
    let Some(addr) = (match node.arg(0) {
        Some(_) => sock_addr(r, node, 0, "real server"),
        None => {
            r.str(node, 0, "an IP address and port");
            None
        }
    }) else {
        return;
    };
    let mut rs = RealServer::new(addr, node.span());
    // Exactly sized: a checker is a few hundred bytes, and a vector's first push makes room
    // for four.
    rs.checkers.reserve_exact(
        children
            .iter()
            .filter(|n| checker_keywords(n.keyword()).is_some())
            .count(),
    );
    let mut i = 0;
    while i < children.len() {
        let n = &children[i];
        i += 1;
        let own = checker_keywords(n.keyword());
        if let Some(own) = own {
            let kids = match absorb(r, n, children, &mut i, own, CHECKERS) {
                Some(k) => k,
                None => n.children(),
            };
            if let Some(c) = read_checker(n, kids, r, &rs, cfg) {
                rs.checkers.push(c);
            }
            continue;
        }
        r.no_block(n);
        match n.keyword() {
            "weight" => {
                if let Some(w) = r.int::<u32>(n, 0, 0, MAX_WEIGHT) {
                    rs.weight = Some(w);
                }
            }
            "lvs_method" => {
                if let Some(f) = forwarding(r, n, "real") {
                    rs.forwarding = Some(f);
                }
            }
            "uthreshold" => {
                if let Some(v) = r.int::<u32>(n, 0, 0, u32::MAX) {
                    rs.uthreshold = Some(v);
                }
            }
            "lthreshold" => {
                if let Some(v) = r.int::<u32>(n, 0, 0, u32::MAX) {
                    rs.lthreshold = Some(v);
                }
            }
            "inhibit_on_failure" => {
                if let Some(b) = bool_arg(r, n) {
                    rs.inhibit_on_failure = Some(b);
                }
            }
            "notify_up" => set_once(r, n, &mut rs.notify_up),
            "notify_down" => set_once(r, n, &mut rs.notify_down),
            "alpha" => {
                if let Some(b) = bool_arg(r, n) {
                    rs.alpha = Some(b);
                }
            }
            "retry" => {
                if let Some(v) = r.int::<u32>(n, 0, 1, u32::MAX) {
                    rs.retry = Some(v);
                }
            }
            "delay_before_retry" => {
                if let Some(v) = r.secs(n, 0, 0.0, TIMER_MAX) {
                    rs.delay_before_retry = Some(v);
                }
            }
            "warmup" => {
                if let Some(v) = r.secs(n, 0, 0.0, TIMER_MAX) {
                    rs.warmup = Some(v);
                }
            }
            "connect_timeout" => {
                if let Some(v) = r.secs(n, 0, TIMER_MIN, CONNECT_TIMEOUT_MAX) {
                    rs.connect_timeout = Some(v);
                }
            }
            "delay_loop" => {
                if let Some(v) = r.secs(n, 0, TIMER_MIN, TIMER_MAX) {
                    rs.delay_loop = Some(v);
                }
            }
            "smtp_alert" => {
                if let Some(b) = bool_arg(r, n) {
                    rs.smtp_alert = Some(b);
                }
            }
            "virtualhost" => {
                if let Some(s) = r.string(n, 0, "a host name") {
                    rs.virtualhost = Some(s);
                }
            }
            "snmp_name" => {
                if let Some(s) = r.string(n, 0, "a name") {
                    r.at_most(n, 1);
                    rs.snmp_name = Some(s);
                }
            }
            _ => unknown(r, n, "real_server", RS_KEYWORDS),
        }
    }
    // keepalived's rs_end_handler: a tunnelled real server may be of the other family.
    let tunnelled = matches!(rs.forwarding.or(vs.forwarding), Some(Forwarding::Tun(_)));
    if !tunnelled {
        let f = Family::of(&rs.addr.ip());
        match vs.family {
            None => vs.family = Some(f),
            Some(have) if have != f => {
                r.push(
                    Diagnostic::error(
                        Some(rs.span),
                        format!(
                            "address family of virtual server and real server {} don't match - skipping real server",
                            rs.addr.ip()
                        ),
                    )
                    .help("real servers are of the virtual server's family unless forwarded with TUN"),
                );
                return;
            }
            Some(_) => {}
        }
    }
    vs.real_servers.push(rs);
}

fn checker_keywords(kw: &str) -> Option<&'static [&'static str]> {
    Some(match kw {
        "TCP_CHECK" | "PING_CHECK" => TCP_KEYWORDS,
        "HTTP_GET" | "SSL_GET" => HTTP_KEYWORDS,
        "MISC_CHECK" => MISC_KEYWORDS,
        "SMTP_CHECK" => SMTP_KEYWORDS,
        "DNS_CHECK" => DNS_KEYWORDS,
        "UDP_CHECK" => UDP_KEYWORDS,
        "FILE_CHECK" => FILE_KEYWORDS,
        "BFD_CHECK" => BFD_KEYWORDS,
        _ => return None,
    })
}

/// Reads a common checker keyword into `c`; false if `n` is not one (or not allowed: `conn`
/// says whether the connection keywords are).
fn read_common(n: &Node, r: &mut Reader<'_>, c: &mut CheckerCommon, conn: bool) -> bool {
    let kw = n.keyword();
    if !(TIMING.contains(&kw) || (conn && CONN.contains(&kw))) {
        return false;
    }
    r.no_block(n);
    match kw {
        "connect_ip" => {
            if let Some(ip) = r.ip(n, 0) {
                if c.bindto.is_some_and(|b| b.is_ipv4() != ip.is_ipv4()) {
                    r.push(Diagnostic::error(
                        Some(Reader::span_of(n, 0)),
                        format!("connect_ip address {ip} does not match address family of bindto - skipping"),
                    ));
                    c.connect_ip = None;
                } else {
                    c.connect_ip = Some(ip);
                }
            }
        }
        "bindto" => {
            if let Some(ip) = r.ip(n, 0) {
                if c.connect_ip.is_some_and(|b| b.is_ipv4() != ip.is_ipv4()) {
                    r.push(Diagnostic::error(
                        Some(Reader::span_of(n, 0)),
                        format!("bindto address {ip} does not match address family of connect_ip - skipping"),
                    ));
                    c.bindto = None;
                } else {
                    c.bindto = Some(ip);
                }
            }
        }
        "connect_port" => {
            if let Some(p) = r.int::<u16>(n, 0, 1, 65535) {
                c.connect_port = Some(p);
            }
        }
        "bind_port" => {
            if let Some(p) = r.int::<u16>(n, 0, 1, 65535) {
                c.bind_port = Some(p);
            }
        }
        "bind_if" => {
            if let Some(s) = r.string(n, 0, "an interface name") {
                if s.len() > 15 {
                    r.push(
                        Diagnostic::error(
                            Some(Reader::span_of(n, 0)),
                            format!("interface name {s} is too long - ignoring"),
                        )
                        .help("Linux interface names have at most 15 characters"),
                    );
                } else {
                    c.bind_if = Some(s);
                }
            }
        }
        "connect_timeout" => {
            if let Some(v) = r.secs(n, 0, TIMER_MIN, CONNECT_TIMEOUT_MAX) {
                c.connect_timeout = Some(v);
            }
        }
        "fwmark" => {
            if let Some(v) = r.int::<u32>(n, 0, 0, u32::MAX) {
                c.fwmark = Some(v);
            }
        }
        "retry" => {
            if let Some(v) = r.int::<u32>(n, 0, 0, u32::MAX) {
                c.retry = Some(v);
            }
        }
        "delay_before_retry" => {
            if let Some(v) = r.secs(n, 0, 0.0, TIMER_MAX) {
                c.delay_before_retry = Some(v);
            }
        }
        "warmup" => {
            if let Some(v) = r.secs(n, 0, 0.0, TIMER_MAX) {
                c.warmup = Some(v);
            }
        }
        "delay_loop" => {
            if let Some(v) = r.secs(n, 0, TIMER_MIN, TIMER_MAX) {
                c.delay_loop = Some(v);
            }
        }
        "alpha" => {
            if let Some(b) = bool_arg(r, n) {
                c.alpha = Some(b);
            }
        }
        "log_all_failures" => {
            if let Some(b) = bool_arg(r, n) {
                c.log_all_failures = b;
            }
        }
        _ => return false,
    }
    true
}

/// keepalived refuses a checker whose destination (connect_ip, else the real server) is IPv6
/// link-local without bind_if (the checker is dropped).
fn link_local_ok(r: &mut Reader<'_>, c: &CheckerCommon, span: Span, rs_ip: IpAddr) -> bool {
    if let IpAddr::V6(a) = c.connect_ip.unwrap_or(rs_ip)
        && (a.segments()[0] & 0xffc0) == 0xfe80
        && c.bind_if.is_none()
    {
        r.push(
            Diagnostic::error(
                Some(span),
                format!("checker link local address {a} requires a bind_if"),
            )
            .help("add `bind_if IFNAME` to the checker")
            .note("keepalived drops this checker"),
        );
        return false;
    }
    true
}

fn read_checker(
    node: &Node,
    children: &[Node],
    r: &mut Reader<'_>,
    rs: &RealServer,
    cfg: &Config,
) -> Option<Checker> {
    let kw = node.keyword();
    let known = checker_keywords(kw).unwrap_or(&[]);
    let mut common = CheckerCommon::default();
    let span = node.span();
    let kind = match kw {
        "TCP_CHECK" | "PING_CHECK" => {
            for n in children {
                if !read_common(n, r, &mut common, true) {
                    unknown(r, n, kw, known);
                }
            }
            if !link_local_ok(r, &common, span, rs.addr.ip()) {
                return None;
            }
            if kw == "TCP_CHECK" {
                CheckerKind::Tcp
            } else {
                CheckerKind::Ping
            }
        }
        "HTTP_GET" | "SSL_GET" => {
            let mut h = HttpGet::default();
            let mut i = 0;
            while i < children.len() {
                let n = &children[i];
                i += 1;
                if read_common(n, r, &mut common, true) {
                    continue;
                }
                match n.keyword() {
                    "url" => {
                        let kids = absorb(r, n, children, &mut i, URL_KEYWORDS, &["url"])
                            .unwrap_or_else(|| n.children());
                        if let Some(u) = read_url(n, kids, r, kw) {
                            h.urls.push(u);
                        }
                    }
                    "nb_get_retry" => {
                        r.push(
                            Diagnostic::error(
                                Some(n.span()),
                                "nb_get_retry is deprecated - please use 'retry'",
                            )
                            .help(format!(
                                "write `retry {}`",
                                n.arg(0).map(|w| w.text.as_str()).unwrap_or("N")
                            ))
                            .note("keepalived still reads it as `retry`"),
                        );
                        if let Some(v) = r.int::<u32>(n, 0, 0, u32::MAX) {
                            common.retry = Some(v);
                        }
                    }
                    "virtualhost" => {
                        if let Some(s) = r.string(n, 0, "a host name") {
                            h.virtualhost = Some(s);
                        }
                    }
                    "http_protocol" => match n.arg(0).map(|w| w.text.as_str()) {
                        Some("1.0") => h.http_protocol = HttpProtocol::V1_0,
                        Some("1.1") => h.http_protocol = HttpProtocol::V1_1,
                        Some("1.0C" | "1.0c") => h.http_protocol = HttpProtocol::V1_0C,
                        Some(o) => r.push(
                            Diagnostic::error(
                                Some(Reader::span_of(n, 0)),
                                format!("invalid http_protocol version {o}"),
                            )
                            .help("write 1.0, 1.0C or 1.1"),
                        ),
                        None => {
                            r.str(n, 0, "a version (1.0, 1.0C or 1.1)");
                        }
                    },
                    "enable_sni" => {
                        if let Some(b) = bool_arg(r, n) {
                            h.enable_sni = b;
                        }
                    }
                    "fast_recovery" => {
                        if let Some(b) = bool_arg(r, n) {
                            h.fast_recovery = b;
                        }
                    }
                    _ => unknown(r, n, kw, known),
                }
            }
            if h.urls.is_empty() {
                r.push(
                    Diagnostic::error(
                        Some(span),
                        "HTTP/SSL_GET checker has no urls specified - ignoring",
                    )
                    .help("add `url { path / }` to the block")
                    .note("keepalived drops this checker"),
                );
                return None;
            }
            if !link_local_ok(r, &common, span, rs.addr.ip()) {
                return None;
            }
            if kw == "HTTP_GET" {
                CheckerKind::Http(h)
            } else {
                CheckerKind::Ssl(h)
            }
        }
        "MISC_CHECK" => {
            let mut command: Option<Command> = None;
            let mut user: Option<(String, Option<String>)> = None;
            let mut timeout = None;
            let mut dynamic = false;
            for n in children {
                if read_common(n, r, &mut common, false) {
                    continue;
                }
                match n.keyword() {
                    "misc_path" => {
                        if let Some(line) = r.rest(n, 0, "a script") {
                            command = Some(Command {
                                line,
                                user: None,
                                group: None,
                                span: Reader::span_of(n, 0),
                            });
                        }
                    }
                    "misc_timeout" => {
                        if let Some(t) = r.int::<u32>(n, 0, 0, u32::MAX / 1_000_000) {
                            timeout = Some(Duration::from_secs(u64::from(t)));
                        }
                    }
                    "misc_dynamic" => dynamic = true,
                    "user" => {
                        if let Some(u) = r.string(n, 0, "a user name") {
                            user = Some((u, n.arg(1).map(|w| w.text.to_string())));
                        }
                    }
                    _ => unknown(r, n, kw, known),
                }
            }
            let Some(mut command) = command else {
                r.push(
                    Diagnostic::error(
                        Some(span),
                        "no script path has been specified for MISC_CHECKER - skipping",
                    )
                    .help("add `misc_path \"/path/to/script args\"`")
                    .note("keepalived drops this checker"),
                );
                return None;
            };
            if let Some((u, g)) = user {
                command.user = Some(u);
                command.group = g;
            }
            CheckerKind::Misc(MiscCheck {
                command,
                timeout,
                dynamic,
            })
        }
        "SMTP_CHECK" => {
            let mut s = SmtpCheck {
                helo_name: DEFAULT_HELO_NAME.to_string(),
                hosts: Vec::new(),
            };
            for n in children {
                if read_common(n, r, &mut common, true) {
                    continue;
                }
                match n.keyword() {
                    "helo_name" => {
                        if let Some(h) = r.string(n, 0, "a name") {
                            s.helo_name = h;
                        }
                    }
                    "host" => {
                        let Some(kids) = r.block(n) else {
                            continue;
                        };
                        let mut h = CheckerCommon::default();
                        for k in kids {
                            if !read_common(k, r, &mut h, true) {
                                unknown(r, k, "host", TCP_KEYWORDS);
                            }
                        }
                        if link_local_ok(r, &h, n.span(), rs.addr.ip()) {
                            s.hosts.push(h);
                        }
                        r.push(
                            Diagnostic::advice(
                                Some(n.span()),
                                "the SMTP_CHECK host block is deprecated",
                            )
                            .help("write one SMTP_CHECK per host instead"),
                        );
                    }
                    _ => unknown(r, n, kw, known),
                }
            }
            if !link_local_ok(r, &common, span, rs.addr.ip()) {
                return None;
            }
            CheckerKind::Smtp(s)
        }
        "DNS_CHECK" => {
            let mut d = DnsCheck::default();
            let mut have_name = false;
            for n in children {
                if read_common(n, r, &mut common, true) {
                    continue;
                }
                match n.keyword() {
                    "type" => {
                        let Some(w) = n.arg(0) else {
                            r.str(n, 0, "a query type");
                            continue;
                        };
                        match DNS_TYPES
                            .iter()
                            .find(|(t, _)| t.eq_ignore_ascii_case(&w.text))
                        {
                            Some((_, t)) => d.query_type = *t,
                            None => r.push(
                                Diagnostic::error(
                                    Some(w.span),
                                    format!("unknown DNS check type {} - ignoring", w.text),
                                )
                                .help(
                                    "the types are A, NS, CNAME, SOA, MX, TXT, AAAA, RRSIG, DNSKEY",
                                ),
                            ),
                        }
                    }
                    "name" => {
                        let Some(name) = r.string(n, 0, "a domain name") else {
                            continue;
                        };
                        if have_name {
                            r.push(Diagnostic::error(
                                Some(n.span()),
                                "DNS_CHECK name already specified - ignoring",
                            ));
                            continue;
                        }
                        let empty_label =
                            (name.starts_with('.') && name.len() > 1) || name.contains("..");
                        if empty_label {
                            r.push(
                                Diagnostic::error(
                                    Some(Reader::span_of(n, 0)),
                                    format!("DNS_CHECK name '{name}' has empty label - ignoring"),
                                )
                                .help("remove the doubled or leading dot"),
                            );
                            continue;
                        }
                        have_name = true;
                        d.name = name;
                    }
                    _ => unknown(r, n, kw, known),
                }
            }
            if !link_local_ok(r, &common, span, rs.addr.ip()) {
                return None;
            }
            CheckerKind::Dns(d)
        }
        "UDP_CHECK" => {
            let mut u = UdpCheck {
                payload: None,
                require_reply: None,
                min_reply_length: 0,
                max_reply_length: DEFAULT_MAX_REPLY_LENGTH,
            };
            for n in children {
                if read_common(n, r, &mut common, true) {
                    continue;
                }
                match n.keyword() {
                    "payload" => {
                        let Some(text) = r.rest(n, 0, "a hex payload") else {
                            continue;
                        };
                        match hex(&text, false) {
                            Some(b) => u.payload = Some(b.into_iter().map(|(v, _)| v).collect()),
                            None => r.push(
                                Diagnostic::error(
                                    Some(Reader::span_of(n, 0)),
                                    "invalid hex string for UDP_CHECK payload",
                                )
                                .help("write hex digits, optionally spaced: `payload 01 02 ab`"),
                            ),
                        }
                    }
                    "require_reply" => {
                        if n.arg(0).is_none() {
                            u.require_reply = Some(Vec::new());
                            continue;
                        }
                        let text = n
                            .args()
                            .iter()
                            .map(|w| w.text.as_str())
                            .collect::<Vec<_>>()
                            .join(" ");
                        match hex(&text, true) {
                            Some(b) => u.require_reply = Some(b),
                            None => {
                                // keepalived still requires a reply, of any content.
                                u.require_reply = Some(Vec::new());
                                r.push(
                                    Diagnostic::error(
                                        Some(Reader::span_of(n, 0)),
                                        "invalid hex string for UDP_CHECK reply",
                                    )
                                    .help("write hex digits, `x` for any nibble: `require_reply 01 xx ab`"),
                                );
                            }
                        }
                    }
                    "min_reply_length" => {
                        if let Some(v) = r.int::<u16>(n, 0, 0, u16::MAX) {
                            u.min_reply_length = v;
                        }
                    }
                    "max_reply_length" => {
                        if let Some(v) = r.int::<u16>(n, 0, 0, u16::MAX) {
                            u.max_reply_length = v;
                        }
                    }
                    _ => unknown(r, n, kw, known),
                }
            }
            if !link_local_ok(r, &common, span, rs.addr.ip()) {
                return None;
            }
            if u.min_reply_length > u.max_reply_length {
                r.push(
                    Diagnostic::error(
                        Some(span),
                        format!(
                            "UDP_CHECK min_reply length {} > max_reply_length {} - will always fail",
                            u.min_reply_length, u.max_reply_length
                        ),
                    )
                    .help("max_reply_length defaults to 255; raise it or lower min_reply_length"),
                );
            }
            CheckerKind::Udp(u)
        }
        "FILE_CHECK" => {
            let mut name: Option<String> = None;
            let mut weight = None;
            let mut reverse = false;
            for n in children {
                r.no_block(n);
                match n.keyword() {
                    "track_file" => {
                        let Some(f) = r.string(n, 0, "a track_file name") else {
                            continue;
                        };
                        if cfg.vrrp.track_files.iter().any(|t| t.name == f) {
                            name = Some(f);
                        } else {
                            r.push(
                                Diagnostic::error(
                                    Some(Reader::span_of(n, 0)),
                                    format!("track_file {f} not found"),
                                )
                                .help("define `track_file NAME { file PATH }` at the top level before this virtual_server"),
                            );
                        }
                    }
                    "weight" => {
                        let Some(w) = r.int::<i32>(n, 0, -i32::MAX, i32::MAX) else {
                            continue;
                        };
                        match n.arg(1).map(|w| w.text.as_str()) {
                            None | Some("noreverse") => reverse = false,
                            Some("reverse") => reverse = true,
                            Some(o) => {
                                r.push(
                                    Diagnostic::error(
                                        Some(Reader::span_of(n, 1)),
                                        format!("unknown track file weight option {o} - ignoring"),
                                    )
                                    .help("write `reverse` or `noreverse`"),
                                );
                                continue;
                            }
                        }
                        weight = Some(w);
                    }
                    _ => unknown(r, n, kw, known),
                }
            }
            let Some(track_file) = name else {
                if !children.iter().any(|n| n.keyword() == "track_file") {
                    r.push(
                        Diagnostic::error(
                            Some(span),
                            "FILE_CHECK has no track_file specified - ignoring",
                        )
                        .help("add `track_file NAME`"),
                    );
                }
                return None;
            };
            CheckerKind::File(FileCheck {
                track_file,
                weight,
                reverse,
            })
        }
        "BFD_CHECK" => {
            let mut name = None;
            let mut alpha = None;
            for n in children {
                r.no_block(n);
                match n.keyword() {
                    "name" => {
                        if n.args().len() != 1 {
                            r.push(Diagnostic::error(
                                Some(n.line_span()),
                                format!("({}) BFD_CHECK - No or too many names specified", rs.addr),
                            ));
                            continue;
                        }
                        name = n.arg(0).map(|w| w.text.to_string());
                    }
                    "alpha" => alpha = bool_arg(r, n).or(alpha),
                    _ => unknown(r, n, kw, known),
                }
            }
            let Some(name) = name else {
                r.push(
                    Diagnostic::error(
                        Some(span),
                        "no name has been specified for BFD_CHECKER - skipping",
                    )
                    .help("add `name BFD_INSTANCE`"),
                );
                return None;
            };
            CheckerKind::Bfd(BfdCheck { name, alpha })
        }
        _ => return None,
    };
    Some(Checker { common, kind, span })
}

/// keepalived's hex strings: digits in pairs, spaces anywhere between pairs, an odd digit
/// before a space a byte of its own; with `wildcards`, `x`/`X` nibbles are masked out.
/// Returns (value, mask) per byte; `None` if empty or a character is not hex.
pub fn hex(text: &str, wildcards: bool) -> Option<Vec<(u8, u8)>> {
    let nib = |c: u8| -> Option<(u8, u8)> {
        match c {
            b'0'..=b'9' => Some((c - b'0', 0xf)),
            b'a'..=b'f' => Some((c - b'a' + 10, 0xf)),
            b'A'..=b'F' => Some((c - b'A' + 10, 0xf)),
            b'x' | b'X' if wildcards => Some((0, 0)),
            _ => None,
        }
    };
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b' ' || b[i] == b'\t' {
            i += 1;
            continue;
        }
        let (hv, hm) = nib(b[i])?;
        i += 1;
        match b.get(i) {
            Some(&c) if c != b' ' && c != b'\t' => {
                let (lv, lm) = nib(c)?;
                i += 1;
                out.push(((hv << 4) | lv, (hm << 4) | lm));
            }
            _ => out.push((hv, hm)),
        }
    }
    if out.is_empty() { None } else { Some(out) }
}

fn read_url(node: &Node, children: &[Node], r: &mut Reader<'_>, checker: &str) -> Option<Url> {
    let mut u = Url {
        path: String::new(),
        digest: None,
        status_codes: Vec::new(),
        virtualhost: None,
        regex: None,
        regex_no_match: false,
        regex_options: Vec::new(),
        regex_stack: None,
        regex_min_offset: None,
        regex_max_offset: None,
        span: node.span(),
    };
    let mut have_path = false;
    for n in children {
        r.no_block(n);
        match n.keyword() {
            "path" => {
                if let Some(p) = r.string(n, 0, "a path") {
                    u.path = p;
                    have_path = true;
                }
            }
            "digest" => {
                let Some(w) = n.arg(0) else {
                    r.str(n, 0, "an MD5 digest (32 hex digits)");
                    continue;
                };
                if u.digest.is_some() {
                    r.push(
                        Diagnostic::error(
                            Some(w.span),
                            format!("digest '{}' is a duplicate", w.text),
                        )
                        .help("a url has one digest; keepalived keeps the first"),
                    );
                    continue;
                }
                if w.text.len() != 32 {
                    r.push(
                        Diagnostic::error(
                            Some(w.span),
                            format!(
                                "digest '{}' character length should be 32 rather than {}",
                                w.text,
                                w.text.len()
                            ),
                        )
                        .help("paste the MD5 that `keepalived-rs --genhash` (or genhash) prints"),
                    );
                    continue;
                }
                let mut d = [0u8; 16];
                let mut ok = true;
                for (k, byte) in d.iter_mut().enumerate() {
                    match w
                        .text
                        .get(2 * k..2 * k + 2)
                        .and_then(|s| u8::from_str_radix(s, 16).ok())
                    {
                        Some(v) => *byte = v,
                        None => ok = false,
                    }
                }
                if ok {
                    u.digest = Some(d);
                } else {
                    r.push(
                        Diagnostic::error(
                            Some(w.span),
                            format!("unable to interpret hex digits in '{}'", w.text),
                        )
                        .help("a digest is 32 hex digits"),
                    );
                }
            }
            "status_code" => {
                if n.args().is_empty() {
                    r.str(n, 0, "status codes (e.g. 200 or 200-299)");
                }
                for w in n.args() {
                    let parsed = match w.text.split_once('-') {
                        Some((a, b)) => a.parse::<u16>().ok().zip(b.parse::<u16>().ok()),
                        None => w.text.parse::<u16>().ok().map(|v| (v, v)),
                    };
                    match parsed {
                        Some((min, max))
                            if (STATUS_CODE_MIN..=STATUS_CODE_MAX).contains(&min)
                                && (STATUS_CODE_MIN..=STATUS_CODE_MAX).contains(&max)
                                && min <= max =>
                        {
                            u.status_codes.push(StatusRange { min, max })
                        }
                        _ => r.push(
                            Diagnostic::error(
                                Some(w.span),
                                format!("invalid HTTP_GET status code '{}'", w.text),
                            )
                            .help("a status code is 100-599, or a range like 200-299"),
                        ),
                    }
                }
            }
            "virtualhost" => {
                if let Some(s) = r.string(n, 0, "a host name") {
                    u.virtualhost = Some(s);
                }
            }
            "regex" => {
                if n.args().len() != 1 {
                    r.push(
                        Diagnostic::advice(Some(n.line_span()), "regex missing or too many fields")
                            .help("quote the pattern: `regex \"^OK\"`"),
                    );
                    continue;
                }
                u.regex = n.arg(0).map(|w| w.text.to_string());
            }
            "regex_no_match" => u.regex_no_match = true,
            "regex_options" => {
                u.regex_options
                    .extend(n.args().iter().map(|w| w.text.to_string()));
            }
            "regex_stack" => {
                let a = n.arg(0).and_then(|w| w.text.parse::<u64>().ok());
                let b = n.arg(1).and_then(|w| w.text.parse::<u64>().ok());
                match (a, b, n.args().len()) {
                    (Some(a), Some(b), 2) if a <= b => u.regex_stack = Some((a, b)),
                    _ => r.push(
                        Diagnostic::advice(
                            Some(n.line_span()),
                            "regex_stack requires start and max values (start <= max)",
                        )
                        .note("keepalived ignores this line"),
                    ),
                }
            }
            kw @ ("regex_min_offset" | "regex_max_offset") => {
                match (
                    n.args().len(),
                    n.arg(0).and_then(|w| w.text.parse::<u64>().ok()),
                ) {
                    (1, Some(v)) => {
                        if kw == "regex_min_offset" {
                            u.regex_min_offset = Some(v);
                        } else {
                            u.regex_max_offset = Some(v);
                        }
                    }
                    _ => r.push(
                        Diagnostic::advice(Some(n.line_span()), format!("invalid {kw}"))
                            .help("give one whole number")
                            .note("keepalived uses 0"),
                    ),
                }
            }
            _ => unknown(r, n, &format!("{checker} url"), URL_KEYWORDS),
        }
    }
    if !have_path {
        r.push(
            Diagnostic::error(
                Some(node.span()),
                "HTTP/SSL_GET checker url has no path - ignoring",
            )
            .help("add `path /` to the url block"),
        );
        return None;
    }
    if u.status_codes.is_empty() {
        u.status_codes.push(DEFAULT_STATUS_CODES);
    }
    if u.regex.is_none()
        && (u.regex_no_match
            || !u.regex_options.is_empty()
            || u.regex_stack.is_some()
            || u.regex_min_offset.is_some()
            || u.regex_max_offset.is_some())
    {
        r.push(
            Diagnostic::advice(
                Some(node.span()),
                "regex parameters specified without regex",
            )
            .note("keepalived ignores them"),
        );
        u.regex_no_match = false;
        u.regex_options.clear();
        u.regex_stack = None;
        u.regex_min_offset = None;
        u.regex_max_offset = None;
    }
    if let (Some(min), Some(max)) = (u.regex_min_offset, u.regex_max_offset)
        && min > max
    {
        r.push(
            Diagnostic::advice(
                Some(node.span()),
                format!("regex min offset {min} > regex_max_offset {max} - ignoring"),
            )
            .note("keepalived ignores both offsets"),
        );
        u.regex_min_offset = None;
        u.regex_max_offset = None;
    }
    Some(u)
}

/// keepalived's checks once everything is read (its validate_check_config and the virtual
/// server group resolution at start), with its fallbacks applied to the model.
pub fn validate(cfg: &mut Config, r: &mut Reader<'_>, sys: &dyn System) {
    let ctx = LvsContext::from_global(cfg);
    validate_with(cfg, r, sys, &ctx);
}

/// What LVS validation needs from global_defs (global.rs is written apart; `from_global` is the
/// one place that maps its fields).
#[derive(Debug, Clone, Default)]
pub struct LvsContext {
    /// `enable_script_security`.
    pub script_security: bool,
    /// `script_user` names an account this host lacks: scripts without a user of their own are
    /// dropped (keepalived cannot set their default user).
    pub script_user_missing: bool,
}

impl LvsContext {
    /// The context from the configuration's global_defs.
    pub fn from_global(cfg: &Config) -> LvsContext {
        super::global::lvs_context(cfg)
    }
}

/// [`validate`] with an explicit context.
pub fn validate_with(cfg: &mut Config, r: &mut Reader<'_>, sys: &dyn System, ctx: &LvsContext) {
    let groups = cfg.lvs.groups.clone();
    let mut kept = Vec::new();
    for mut vs in std::mem::take(&mut cfg.lvs.virtual_servers) {
        if validate_vs(&mut vs, &groups, r) {
            kept.push(vs);
        }
    }
    cfg.lvs.virtual_servers = kept;
    check_scripts(cfg, r, sys, ctx);
}

/// Whether user (`group` false) or group (`group` true) `name` exists, as keepalived's
/// getpwnam/getgrnam say ([`crate::accounts`]); `None` when the lookup itself failed.
fn account_exists(name: &str, group: bool) -> Option<bool> {
    if group {
        crate::accounts::group_exists(name)
    } else {
        crate::accounts::user_exists(name)
    }
}

fn missing_account(c: &Command) -> Option<String> {
    if let Some(u) = &c.user
        && account_exists(u, false) == Some(false)
    {
        return Some(format!("user {u} does not exist"));
    }
    if let Some(g) = &c.group
        && account_exists(g, true) == Some(false)
    {
        return Some(format!("group {g} does not exist"));
    }
    None
}

/// keepalived's checker-script rules: a MISC_CHECK whose user does not exist is removed (error);
/// a notify/quorum script whose user or program does not exist is dropped (keepalived is silent:
/// advice); and if any script is run while `enable_script_security` is off, one SECURITY
/// VIOLATION (exit 6).
fn check_scripts(cfg: &mut Config, r: &mut Reader<'_>, sys: &dyn System, ctx: &LvsContext) {
    let mut first_found: Option<Span> = None;
    let notify = |r: &mut Reader<'_>, slot: &mut Option<Command>, first: &mut Option<Span>| {
        let Some(c) = slot else {
            return;
        };
        let prog = c.program();
        let userless = (c.user.is_none() && ctx.script_user_missing)
            .then(|| "no user of its own and script_user cannot be set".to_string());
        let problem = missing_account(c).or(userless).or_else(|| {
            (prog.is_empty() || !sys.program_exists(&prog))
                .then(|| format!("program `{prog}` does not exist"))
        });
        match problem {
            Some(p) => {
                r.push(
                    Diagnostic::advice(Some(c.span), format!("script {}: {p}", c.line))
                        .help("give the full path of an executable script and an existing user")
                        .note("keepalived drops this script silently"),
                );
                *slot = None;
            }
            None => {
                first.get_or_insert(c.span);
            }
        }
    };
    for vs in &mut cfg.lvs.virtual_servers {
        notify(r, &mut vs.quorum_up, &mut first_found);
        notify(r, &mut vs.quorum_down, &mut first_found);
        for rs in &mut vs.real_servers {
            notify(r, &mut rs.notify_up, &mut first_found);
            notify(r, &mut rs.notify_down, &mut first_found);
            rs.checkers.retain(|c| {
                let CheckerKind::Misc(m) = &c.kind else {
                    return true;
                };
                if let Some(p) = missing_account(&m.command) {
                    r.push(
                        Diagnostic::error(
                            Some(m.command.span),
                            format!(
                                "failed to set uid/gid for misc checker script '{}' ({p}) - removing",
                                m.command.line
                            ),
                        )
                        .help("name an existing user (and group) after `user`"),
                    );
                    return false;
                }
                if m.command.user.is_none() && ctx.script_user_missing {
                    r.push(
                        Diagnostic::advice(
                            Some(m.command.span),
                            format!(
                                "misc checker script '{}' has no user of its own and script_user cannot be set",
                                m.command.line
                            ),
                        )
                        .help("fix `script_user` in global_defs or give `user` to this MISC_CHECK")
                        .note("keepalived removes this checker"),
                    );
                    return false;
                }
                let prog = m.command.program();
                if prog.is_empty() || !sys.program_exists(&prog) {
                    r.push(
                        Diagnostic::advice(
                            Some(m.command.span),
                            format!("MISC_CHECK program `{prog}` does not exist"),
                        )
                        .help("give the full path of an executable script")
                        .note("keepalived accepts it silently; the check fails when run"),
                    );
                } else {
                    first_found.get_or_insert(m.command.span);
                }
                true
            });
        }
    }
    if !ctx.script_security
        && let Some(span) = first_found
    {
        r.push(
            Diagnostic::security(
                Some(span),
                "SECURITY VIOLATION - check scripts are being executed but script_security not enabled",
            )
            .help("add `enable_script_security` (and `script_user USER`) to global_defs")
            .note("keepalived runs these scripts as root without checking who can write them"),
        );
    }
}

/// One virtual server; false if keepalived drops it.
fn validate_vs(vs: &mut VirtualServer, groups: &[VirtualServerGroup], r: &mut Reader<'_>) -> bool {
    let name = vs.addr.to_string();
    let group = match &vs.addr {
        VsAddr::Group(g) => match groups.iter().find(|x| &x.name == g) {
            Some(x) => Some(x),
            None => {
                // keepalived only logs this (no config error) and drops the virtual server.
                let mut d = Diagnostic::advice(
                    Some(vs.span),
                    format!(
                        "virtual server group {g} specified but not configured - ignoring virtual server"
                    ),
                )
                .note("keepalived logs this at start and runs without this virtual server");
                if let Some(s) = crate::diag::nearest(g, groups.iter().map(|x| x.name.as_str())) {
                    d = d.help(format!("did you mean `{s}`?"));
                } else {
                    d = d.help(format!("define `virtual_server_group {g} {{ ... }}`"));
                }
                r.push(d);
                return false;
            }
        },
        _ => None,
    };
    if vs.real_servers.is_empty() {
        r.push(
            Diagnostic::error(
                Some(vs.span),
                format!("virtual server {name} has no real servers - ignoring"),
            )
            .help("add at least one `real_server IP PORT { ... }` block"),
        );
        return false;
    }
    if let Some(g) = group {
        let v4 = g.has_family(Family::V4);
        let v6 = g.has_family(Family::V6);
        let mismatch = match vs.family {
            Some(f) if v4 && v6 => Some(f),
            Some(Family::V6) if v4 => Some(Family::V6),
            Some(Family::V4) if v6 => Some(Family::V4),
            _ => None,
        };
        if mismatch.is_some() {
            r.push(
                Diagnostic::advice(
                    Some(vs.span),
                    format!(
                        "{}: address family doesn't match virtual server - ignoring",
                        g.name
                    ),
                )
                .note("keepalived logs this at start and runs without this virtual server"),
            );
            return false;
        }
        if vs.family.is_none() && v4 != v6 {
            vs.family = Some(if v4 { Family::V4 } else { Family::V6 });
        }
    }
    let fwmark_only = match (&vs.addr, group) {
        (VsAddr::Fwmark(_), _) => true,
        (_, Some(g)) => !g.has_ranges() && g.has_fwmark(),
        _ => false,
    };
    let has_fwmark = matches!(vs.addr, VsAddr::Fwmark(_)) || group.is_some_and(|g| g.has_fwmark());
    if vs.ha_suspend && has_fwmark {
        r.push(
            Diagnostic::error(
                Some(vs.span),
                format!("virtual server {name}: cannot use ha_suspend with fwmarks - clearing ha_suspend"),
            )
            .help("remove `ha_suspend`"),
        );
        vs.ha_suspend = false;
    }
    let by_address = match (&vs.addr, group) {
        (VsAddr::Addr(_), _) => true,
        (_, Some(g)) => g.has_ranges(),
        _ => false,
    };
    if by_address {
        if vs.protocol.is_none() {
            r.push(
                Diagnostic::error(
                    Some(vs.span),
                    format!("virtual server {name}: no protocol set - defaulting to UDP"),
                )
                .help("add `protocol TCP` (or UDP, SCTP)"),
            );
            vs.protocol = Some(Protocol::Udp);
        }
        if vs.flags.one_packet && vs.protocol != Some(Protocol::Udp) {
            r.push(
                Diagnostic::error(
                    Some(vs.span),
                    format!(
                        "virtual server {name}: one packet scheduling requires UDP - resetting"
                    ),
                )
                .help("remove `ops` or use `protocol UDP`"),
            );
            vs.flags.one_packet = false;
        }
        if vs.persistence_timeout.is_none() && matches!(vs.addr, VsAddr::Addr(a) if a.port() == 0) {
            r.push(
                Diagnostic::error(
                    Some(vs.span),
                    format!("virtual server {name}: zero port only valid for persistent services - setting"),
                )
                .help("give the virtual server a port, or set `persistence_timeout`"),
            );
            vs.persistence_timeout = Some(DEFAULT_PERSISTENCE_TIMEOUT);
        }
    }
    if vs.persistence_timeout.is_none()
        && group.is_some_and(|g| {
            g.entries
                .iter()
                .any(|e| matches!(e, GroupEntry::Range { port: 0, .. }))
        })
    {
        r.push(
            Diagnostic::error(
                Some(vs.span),
                format!(
                    "virtual server {name}: zero port only valid for persistent services - setting"
                ),
            )
            .help("give every group address a port, or set `persistence_timeout`"),
        );
        vs.persistence_timeout = Some(DEFAULT_PERSISTENCE_TIMEOUT);
    }
    if vs.protocol.is_some() && fwmark_only {
        r.push(
            Diagnostic::error(
                Some(vs.span),
                format!("Warning: virtual server {name}: protocol specified for fwmark - protocol will be ignored"),
            )
            .help("remove `protocol`: a fwmark service covers every protocol the mark selects"),
        );
        vs.protocol = None;
    }
    if vs.scheduler.is_none() {
        r.push(
            Diagnostic::error(
                Some(vs.span),
                format!("virtual server {name}: no scheduler set, setting default 'wlc'"),
            )
            .help("add `lvs_sched wlc` (or rr, wrr, ...)"),
        );
        vs.scheduler = Some(DEFAULT_SCHEDULER);
    }

    // Real servers: duplicates, forwarding, weights, sorry server twins.
    let mut seen: std::collections::HashSet<SocketAddr, crate::Quick> =
        std::collections::HashSet::with_capacity_and_hasher(
            vs.real_servers.len(),
            crate::Quick::default(),
        );
    let mut weight_sum: u64 = 0;
    // In place: later duplicates go, the rest stay where they are (no copy of the list).
    vs.real_servers.retain(|rs| {
        if !seen.insert(rs.addr) {
            r.push(
                Diagnostic::error(
                    Some(rs.span),
                    format!(
                        "VS {name}: real server [{}]:{} is duplicated - removing second rs",
                        rs.addr.ip(),
                        rs.addr.port()
                    ),
                )
                .help("remove this block or change its address or port"),
            );
            return false;
        }
        true
    });
    for i in 0..vs.real_servers.len() {
        if vs.real_servers[i].forwarding.is_none() && vs.forwarding.is_none() {
            no_forwarding(r, vs, &name);
        }
        let rs = &vs.real_servers[i];
        weight_sum += u64::from(rs.weight.unwrap_or(vs.weight));
        let inhibit = rs.inhibit_on_failure.unwrap_or(vs.inhibit_on_failure);
        let (rs_addr, rs_span) = (rs.addr, rs.span);
        if let Some(s) = &mut vs.sorry_server
            && s.addr == rs_addr
            && s.inhibit != inhibit
        {
            r.push(Diagnostic::error(
                Some(rs_span),
                format!(
                    "virtual server {name}: real server {rs_addr} matches sorry server, but inhibit setting differs, {}ing on sorry server",
                    if inhibit { "sett" } else { "clear" }
                ),
            ));
            s.inhibit = inhibit;
        }
    }
    if vs
        .sorry_server
        .as_ref()
        .is_some_and(|s| s.forwarding.is_none())
        && vs.forwarding.is_none()
    {
        no_forwarding(r, vs, &name);
    }
    if u64::from(vs.quorum) > weight_sum {
        r.push(
            Diagnostic::error(
                Some(vs.span),
                format!(
                    "Warning - quorum {} for {name} exceeds total weight of real servers {weight_sum}, reducing quorum to {weight_sum}",
                    vs.quorum
                ),
            )
            .help("lower `quorum` or raise the real servers' weights"),
        );
        vs.quorum = u32::try_from(weight_sum).unwrap_or(u32::MAX);
    }
    // keepalived also reports `hysteresis 0 >= quorum 0` (when every weight is 0); it then
    // wraps the hysteresis to 2^32-1, we keep 0.
    if vs.hysteresis >= vs.quorum {
        let h = vs.quorum.saturating_sub(1);
        r.push(
            Diagnostic::error(
                Some(vs.span),
                format!(
                    "virtual server {name}: hysteresis {} >= quorum {}; setting hysteresis to {h}",
                    vs.hysteresis, vs.quorum
                ),
            )
            .help("hysteresis must be below quorum"),
        );
        vs.hysteresis = h;
    }
    ports(r, vs, group, &name);
    true
}

fn no_forwarding(r: &mut Reader<'_>, vs: &mut VirtualServer, name: &str) {
    r.push(
        Diagnostic::error(
            Some(vs.span),
            format!("virtual server {name}: no forwarding method set, setting default NAT"),
        )
        .help("add `lvs_method NAT` (or DR, TUN)"),
    );
    vs.forwarding = Some(Forwarding::Nat);
}

/// keepalived's port rules: unless NAT, a real (or sorry) server's port must be the virtual
/// server's, and a fwmark service's servers carry none; a missing port is the virtual server's.
fn ports(
    r: &mut Reader<'_>,
    vs: &mut VirtualServer,
    group: Option<&VirtualServerGroup>,
    name: &str,
) {
    let vs_fwd = vs.forwarding;
    let is_nat = |f: Option<Forwarding>| matches!(f.or(vs_fwd), Some(Forwarding::Nat) | None);
    if let Some(g) = group {
        if g.has_fwmark() {
            for rs in &vs.real_servers {
                if !is_nat(rs.forwarding) && rs.addr.port() != 0 {
                    r.push(Diagnostic::error(
                        Some(rs.span),
                        format!("WARNING - fwmark virtual server {name}, real server {} has port specified - port will be ignored", rs.addr),
                    ).help("drop the port: a fwmark service does not use it"));
                }
            }
            if let Some(s) = &vs.sorry_server
                && !is_nat(s.forwarding)
                && s.addr.port() != 0
            {
                r.push(Diagnostic::error(
                    Some(s.span),
                    format!("WARNING - fwmark virtual server {name}, sorry server has port specified - port will be ignored"),
                ));
            }
        }
        for e in &g.entries {
            let GroupEntry::Range { port, .. } = e else {
                continue;
            };
            for rs in &vs.real_servers {
                if !is_nat(rs.forwarding) && rs.addr.port() != 0 && rs.addr.port() != *port {
                    r.push(
                        Diagnostic::error(
                            Some(rs.span),
                            format!(
                                "virtual server {name} and real server {} ports don't match",
                                rs.addr
                            ),
                        )
                        .help(
                            "with DR or TUN the real server listens on the virtual server's port",
                        ),
                    );
                }
            }
            if let Some(s) = &vs.sorry_server
                && !is_nat(s.forwarding)
                && s.addr.port() != 0
                && s.addr.port() != *port
            {
                r.push(Diagnostic::error(
                    Some(s.span),
                    format!("WARNING - virtual server {name}, sorry server has port specified - port will be ignored"),
                ));
            }
        }
        return;
    }
    let vs_port = match vs.addr {
        VsAddr::Addr(a) => Some(a.port()),
        _ => None,
    };
    for rs in &mut vs.real_servers {
        if is_nat(rs.forwarding) {
            if let Some(p) = vs_port
                && rs.addr.port() == 0
            {
                rs.addr.set_port(p);
            }
            continue;
        }
        match vs_port {
            None if rs.addr.port() != 0 => {
                r.push(Diagnostic::error(
                    Some(rs.span),
                    format!("WARNING - fwmark virtual server {name}, real server {} has port specified - clearing", rs.addr),
                ).help("drop the port: a fwmark service does not use it"));
                rs.addr.set_port(0);
            }
            None => {}
            Some(p) if rs.addr.port() == 0 => rs.addr.set_port(p),
            Some(p) if rs.addr.port() != p => {
                r.push(Diagnostic::error(
                    Some(rs.span),
                    format!("WARNING - virtual server {name} and real server {} ports don't match - resetting", rs.addr),
                ).help("with DR or TUN the real server must listen on the virtual server's port"));
                rs.addr.set_port(p);
            }
            Some(_) => {}
        }
    }
    if let Some(s) = &mut vs.sorry_server {
        if is_nat(s.forwarding) {
            return;
        }
        match vs_port {
            None if s.addr.port() != 0 => {
                r.push(Diagnostic::error(
                    Some(s.span),
                    format!("WARNING - virtual server {name}, sorry server has port specified - clearing"),
                ));
                s.addr.set_port(0);
            }
            None => {}
            Some(p) if s.addr.port() == 0 => s.addr.set_port(p),
            Some(p) if s.addr.port() != p => {
                r.push(Diagnostic::error(
                    Some(s.span),
                    format!("WARNING - virtual server {name} and sorry server ports don't match - resetting"),
                ).help("with DR or TUN the sorry server must listen on the virtual server's port"));
                s.addr.set_port(p);
            }
            Some(_) => {}
        }
    }
}
