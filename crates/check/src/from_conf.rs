//! From keepalived.conf's typed LVS model (keepalived-conf) to this crate's config structs, so
//! the daemon runs the checkers and computes the table of a real keepalived.conf.
//!
//! The conf model has already applied keepalived's load-time fallbacks (default scheduler,
//! protocol and forwarding, duplicate real servers removed, ports reset, groups resolved), so
//! this is a mapping, not a second validation. What these structs cannot carry is listed in
//! [`CheckConfig::unsupported`] (checkers dropped or options changed) or below:
//! scheduler flags (`sh-port`, `ops`, ...), `persistence_engine`, the tunnel options of `TUN`
//! (type, port, checksum), `snmp_name` and the real servers' `uthreshold`/`lthreshold` are kept
//! in the conf model for the IPVS side; the checkers do not need them.

use std::path::PathBuf;

use keepalived_conf::Config;
use keepalived_conf::model::lvs;
use keepalived_conf::model::vrrp::Command;

use crate::config::{
    CheckerCommon, CheckerConfig, ConnectOptions, DnsType, FileCheckConfig, Forwarding,
    Granularity, GroupEntry, HttpGetConfig, HttpProtocol, Protocol, RealServerConfig, ReplyPattern,
    SchedFlags, Script, SorryServerConfig, SslConfig, StatusRange, Tunnel, TunnelChecksum,
    TunnelKind, UrlConfig, VirtualServerConfig, VsIdent,
};

/// The checker side of one configuration.
#[derive(Debug, Clone, Default)]
pub struct CheckConfig {
    pub virtual_servers: Vec<VirtualServerConfig>,
    /// The top-level `SSL { }` block, for SSL_GET.
    pub ssl: Option<SslConfig>,
    /// One sentence per thing of the configuration these structs cannot run (e.g. BFD_CHECK),
    /// for the daemon to log once at start.
    pub unsupported: Vec<String>,
}

/// Maps the LVS part of `cfg`.
pub fn from_config(cfg: &Config) -> CheckConfig {
    let mut out = CheckConfig {
        ssl: cfg.lvs.ssl.as_ref().map(ssl),
        ..CheckConfig::default()
    };
    // keepalived numbers the virtual servers of each group in file order: that number is the
    // "port" that names the service of a group ([G]:0, [G]:1, ...).
    let mut group_seq: Vec<(String, u16)> = Vec::new();
    for vs in &cfg.lvs.virtual_servers {
        let (ident, entries) = match &vs.addr {
            lvs::VsAddr::Addr(a) => (VsIdent::Addr(*a), Vec::new()),
            lvs::VsAddr::Fwmark(m) => (VsIdent::Fwmark(*m), Vec::new()),
            lvs::VsAddr::Group(name) => {
                let port = match group_seq.iter_mut().find(|(n, _)| n == name) {
                    Some((_, seq)) => {
                        *seq = seq.saturating_add(1);
                        *seq
                    }
                    None => {
                        group_seq.push((name.clone(), 0));
                        0
                    }
                };
                let entries = cfg
                    .lvs
                    .groups
                    .iter()
                    .find(|g| &g.name == name)
                    .map(|g| g.entries.iter().map(group_entry).collect())
                    .unwrap_or_default();
                (
                    VsIdent::Group {
                        name: name.clone(),
                        port,
                    },
                    entries,
                )
            }
        };
        let mut v = VirtualServerConfig::new(ident);
        v.group_entries = entries;
        v.protocol = match vs.protocol {
            Some(lvs::Protocol::Udp) => Protocol::Udp,
            Some(lvs::Protocol::Sctp) => Protocol::Sctp,
            _ => Protocol::Tcp,
        };
        v.scheduler = vs
            .scheduler
            .unwrap_or(lvs::DEFAULT_SCHEDULER)
            .as_str()
            .to_string();
        v.forwarding = vs.forwarding.map(forwarding).unwrap_or(Forwarding::Nat);
        v.persistence_timeout = vs.persistence_timeout;
        v.persistence_granularity = vs.persistence_granularity.map(granularity);
        v.persistence_engine = vs.persistence_engine.clone();
        v.ipv6 = vs.family == Some(keepalived_conf::model::ip::Family::V6);
        v.sched_flags = SchedFlags {
            // keepalived keeps one-packet scheduling for UDP services only.
            one_packet: vs.flags.one_packet && v.protocol == Protocol::Udp,
            sched1: vs.flags.flag_1 || vs.flags.sh_fallback || vs.flags.mh_fallback,
            sched2: vs.flags.flag_2 || vs.flags.sh_port || vs.flags.mh_port,
            sched3: vs.flags.flag_3,
        };
        v.delay_loop = vs.delay_loop;
        v.connect_timeout = vs.connect_timeout;
        v.retry = vs.retry;
        v.delay_before_retry = vs.delay_before_retry;
        v.warmup = vs.warmup;
        v.alpha = vs.alpha;
        v.omega = vs.omega;
        v.quorum = vs.quorum;
        v.hysteresis = vs.hysteresis;
        v.quorum_up = vs.quorum_up.as_ref().map(script);
        v.quorum_down = vs.quorum_down.as_ref().map(script);
        v.ha_suspend = vs.ha_suspend;
        v.inhibit_on_failure = vs.inhibit_on_failure;
        v.sorry_server = vs.sorry_server.as_ref().map(|s| SorryServerConfig {
            addr: s.addr,
            inhibit: s.inhibit,
            forwarding: s.forwarding.map(forwarding),
        });
        v.smtp_alert = vs.smtp_alert;
        v.virtualhost = vs.virtualhost.clone();
        for rs in &vs.real_servers {
            let r = real_server(cfg, vs, rs, &mut out.unsupported);
            v.real_servers.push(r);
        }
        out.virtual_servers.push(v);
    }
    out
}

fn ssl(s: &lvs::Ssl) -> SslConfig {
    SslConfig {
        certificate: s.certificate.as_ref().map(PathBuf::from),
        key: s.key.as_ref().map(PathBuf::from),
        ca: s.ca.as_ref().map(PathBuf::from),
        password: s.password.clone(),
    }
}

fn group_entry(e: &lvs::GroupEntry) -> GroupEntry {
    match e {
        lvs::GroupEntry::Range { first, last, port } => GroupEntry::Range {
            first: *first,
            last: *last,
            port: *port,
        },
        lvs::GroupEntry::Fwmark { mark, family } => GroupEntry::Fwmark(
            *mark,
            family.map(|f| f == keepalived_conf::model::ip::Family::V6),
        ),
    }
}

fn forwarding(f: lvs::Forwarding) -> Forwarding {
    match f {
        lvs::Forwarding::Nat => Forwarding::Nat,
        lvs::Forwarding::Dr => Forwarding::Dr,
        lvs::Forwarding::Tun(t) => Forwarding::Tun(Tunnel {
            kind: match t.kind {
                lvs::TunnelKind::Ipip => TunnelKind::Ipip,
                lvs::TunnelKind::Gue => TunnelKind::Gue,
                lvs::TunnelKind::Gre => TunnelKind::Gre,
            },
            port: t.port.unwrap_or(0),
            checksum: match t.checksum {
                lvs::TunnelChecksum::NoCsum => TunnelChecksum::NoCsum,
                lvs::TunnelChecksum::Csum => TunnelChecksum::Csum,
                lvs::TunnelChecksum::RemCsum => TunnelChecksum::RemCsum,
            },
        }),
    }
}

fn granularity(g: lvs::Granularity) -> Granularity {
    match g {
        lvs::Granularity::V4(m) => Granularity::V4(m),
        lvs::Granularity::V6(p) => Granularity::V6(p),
    }
}

fn script(c: &Command) -> Script {
    Script {
        command: c.line.clone(),
        user: c.user.clone(),
        group: c.group.clone(),
    }
}

fn real_server(
    cfg: &Config,
    vs: &lvs::VirtualServer,
    rs: &lvs::RealServer,
    unsupported: &mut Vec<String>,
) -> RealServerConfig {
    let mut r = RealServerConfig::new(rs.addr);
    r.weight = i64::from(rs.weight.unwrap_or(vs.weight));
    r.forwarding = rs.forwarding.map(forwarding);
    r.notify_up = rs.notify_up.as_ref().map(script);
    r.notify_down = rs.notify_down.as_ref().map(script);
    r.uthreshold = rs.uthreshold;
    r.lthreshold = rs.lthreshold;
    r.smtp_alert = rs.smtp_alert;
    r.virtualhost = rs.virtualhost.clone();
    r.alpha = rs.alpha;
    r.inhibit_on_failure = rs.inhibit_on_failure;
    r.connect_timeout = rs.connect_timeout;
    r.retry = rs.retry;
    r.delay_before_retry = rs.delay_before_retry;
    r.warmup = rs.warmup;
    r.delay_loop = rs.delay_loop;
    let at = format!("real server {} of virtual server {}", rs.addr, vs.addr);
    for c in &rs.checkers {
        checker(cfg, c, &at, &mut r.checkers, unsupported);
    }
    r
}

fn common(c: &lvs::CheckerCommon) -> CheckerCommon {
    CheckerCommon {
        connect: ConnectOptions {
            connect_ip: c.connect_ip,
            connect_port: c.connect_port,
            bindto: c.bindto,
            bind_port: c.bind_port,
            bind_if: c.bind_if.clone(),
            fwmark: c.fwmark,
        },
        connect_timeout: c.connect_timeout,
        retry: c.retry,
        delay_before_retry: c.delay_before_retry,
        delay_loop: c.delay_loop,
        warmup: c.warmup,
        alpha: c.alpha,
        log_all_failures: c.log_all_failures,
    }
}

/// Whether a checker block set any connection option (SMTP_CHECK's rule for its host blocks).
fn has_connection(c: &lvs::CheckerCommon) -> bool {
    c.connect_ip.is_some()
        || c.connect_port.is_some()
        || c.bindto.is_some()
        || c.bind_port.is_some()
        || c.bind_if.is_some()
        || c.fwmark.is_some()
        || c.connect_timeout.is_some()
}

fn checker(
    cfg: &Config,
    c: &lvs::Checker,
    at: &str,
    out: &mut Vec<CheckerConfig>,
    unsupported: &mut Vec<String>,
) {
    let common = common(&c.common);
    match &c.kind {
        lvs::CheckerKind::Tcp => out.push(CheckerConfig::Tcp { common }),
        lvs::CheckerKind::Ping => out.push(CheckerConfig::Ping { common }),
        lvs::CheckerKind::Http(h) => {
            let http = http_get(h, at, unsupported);
            out.push(CheckerConfig::Http { common, http });
        }
        lvs::CheckerKind::Ssl(h) => {
            let http = http_get(h, at, unsupported);
            out.push(CheckerConfig::Ssl { common, http });
        }
        lvs::CheckerKind::Misc(m) => out.push(CheckerConfig::Misc {
            common,
            path: m.command.line.clone(),
            timeout: m.timeout,
            dynamic: m.dynamic,
            user: m.command.user.clone(),
            group: m.command.group.clone(),
        }),
        lvs::CheckerKind::Smtp(s) => {
            let helo_name = Some(s.helo_name.clone());
            // keepalived: the block's own connection is a checker when it set any connection
            // option or has no host blocks; each (deprecated) host block is one more checker
            // with the block's other options.
            if s.hosts.is_empty() || has_connection(&c.common) {
                out.push(CheckerConfig::Smtp {
                    common: common.clone(),
                    helo_name: helo_name.clone(),
                });
            }
            for h in &s.hosts {
                let mut hc = common.clone();
                let host = self::common(h);
                hc.connect = host.connect;
                hc.connect_timeout = host.connect_timeout.or(common.connect_timeout);
                out.push(CheckerConfig::Smtp {
                    common: hc,
                    helo_name: helo_name.clone(),
                });
            }
        }
        lvs::CheckerKind::Dns(d) => {
            let kind = match d.query_type {
                lvs::DnsType::A => DnsType::A,
                lvs::DnsType::Ns => DnsType::Ns,
                lvs::DnsType::Cname => DnsType::Cname,
                lvs::DnsType::Soa => DnsType::Soa,
                lvs::DnsType::Mx => DnsType::Mx,
                lvs::DnsType::Txt => DnsType::Txt,
                lvs::DnsType::Aaaa => DnsType::Aaaa,
                lvs::DnsType::Rrsig | lvs::DnsType::Dnskey => {
                    unsupported.push(format!(
                        "{at}: DNS_CHECK type {} is not supported by our DNS checker; the checker is not run",
                        format!("{:?}", d.query_type).to_uppercase()
                    ));
                    return;
                }
            };
            // keepalived's default name is the empty string, which it sends as the root.
            let name = if d.name.is_empty() {
                ".".to_string()
            } else {
                d.name.clone()
            };
            out.push(CheckerConfig::Dns { common, kind, name });
        }
        lvs::CheckerKind::Udp(u) => out.push(CheckerConfig::Udp {
            common,
            payload: u.payload.clone(),
            require_reply: u
                .require_reply
                .as_ref()
                .map(|b| ReplyPattern { bytes: b.clone() }),
            min_reply_length: usize::from(u.min_reply_length),
            max_reply_length: usize::from(u.max_reply_length),
        }),
        lvs::CheckerKind::File(f) => {
            let Some(tf) = cfg.vrrp.track_files.iter().find(|t| t.name == f.track_file) else {
                unsupported.push(format!(
                    "{at}: FILE_CHECK's track_file {} is not defined; the checker is not run",
                    f.track_file
                ));
                return;
            };
            let Some(path) = &tf.file else {
                unsupported.push(format!(
                    "{at}: track_file {} has no file; the FILE_CHECK is not run",
                    tf.name
                ));
                return;
            };
            let (weight, reverse) = match f.weight {
                Some(w) => (i64::from(w), f.reverse),
                None => (i64::from(tf.weight), tf.weight_reverse),
            };
            out.push(CheckerConfig::File {
                common,
                file: FileCheckConfig {
                    path: PathBuf::from(path),
                    name: tf.name.clone(),
                    weight,
                    reverse,
                    dynamic: weight != 0,
                },
            });
        }
        lvs::CheckerKind::Bfd(b) => unsupported.push(format!(
            "{at}: BFD_CHECK (bfd_instance {}) is not supported yet; the checker is not run",
            b.name
        )),
    }
}

fn http_get(h: &lvs::HttpGet, at: &str, unsupported: &mut Vec<String>) -> HttpGetConfig {
    HttpGetConfig {
        urls: h.urls.iter().map(|u| url(u, at, unsupported)).collect(),
        http_protocol: match h.http_protocol {
            lvs::HttpProtocol::V1_0 => HttpProtocol::V1_0,
            lvs::HttpProtocol::V1_0C => HttpProtocol::V1_0C,
            lvs::HttpProtocol::V1_1 => HttpProtocol::V1_1,
        },
        virtualhost: h.virtualhost.clone(),
        fast_recovery: h.fast_recovery,
        enable_sni: h.enable_sni,
    }
}

fn url(u: &lvs::Url, at: &str, unsupported: &mut Vec<String>) -> UrlConfig {
    let mut out = UrlConfig::new(u.path.clone());
    out.digest = u
        .digest
        .map(|d| d.iter().map(|b| format!("{b:02x}")).collect());
    out.status_codes = u
        .status_codes
        .iter()
        .map(|r| StatusRange {
            min: r.min,
            max: r.max,
        })
        .collect();
    out.virtualhost = u.virtualhost.clone();
    out.regex_no_match = u.regex_no_match;
    out.regex_min_offset = u.regex_min_offset.and_then(|v| usize::try_from(v).ok());
    out.regex_max_offset = u.regex_max_offset.and_then(|v| usize::try_from(v).ok());
    if let Some(pattern) = &u.regex {
        out.regex = regex(
            pattern,
            &u.regex_options,
            &format!("{at} url {}", u.path),
            unsupported,
        );
    }
    out
}

/// keepalived's patterns are PCRE2; the common options map onto the regex crate's flags. A
/// pattern it cannot compile leaves the url without a regex, as keepalived does with one PCRE2
/// rejects (it logs and carries on).
fn regex(
    pattern: &str,
    options: &[String],
    at: &str,
    unsupported: &mut Vec<String>,
) -> Option<regex::bytes::Regex> {
    let mut b = regex::bytes::RegexBuilder::new(pattern);
    for o in options {
        match o.as_str() {
            "caseless" => {
                b.case_insensitive(true);
            }
            "multiline" => {
                b.multi_line(true);
            }
            "dotall" => {
                b.dot_matches_new_line(true);
            }
            "extended" => {
                b.ignore_whitespace(true);
            }
            "ungreedy" => {
                b.swap_greed(true);
            }
            "utf" | "ucp" => {
                b.unicode(true);
            }
            other => unsupported.push(format!(
                "{at}: regex option {other} has no equivalent here and is ignored"
            )),
        }
    }
    match b.build() {
        Ok(r) => Some(r),
        Err(e) => {
            unsupported.push(format!(
                "{at}: regex {pattern:?} cannot be compiled ({e}); the url is checked without it"
            ));
            None
        }
    }
}
