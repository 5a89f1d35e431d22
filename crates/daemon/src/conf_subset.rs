//! Stand-in until keepalived-conf lands: reads the VRRP part of keepalived.conf (global_defs,
//! vrrp_script, vrrp_instance) into the daemon's plan; every keyword it does not know is reported.

use std::net::IpAddr;
use std::path::Path;
use std::time::Duration;

use keepalived_vrrp::packet::{AuthConfig, Peer, Version};
use keepalived_vrrp::{InitialState, InstanceConfig, TrackerConfig, TrackerStatus};

use crate::notify::Scripts;

/// One line of the file: its words, and the block that follows it if any.
#[derive(Debug, Clone)]
struct Node {
    line: usize,
    words: Vec<String>,
    block: Option<Vec<Node>>,
}

fn tokenize(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    for (n, raw) in text.lines().enumerate() {
        let mut cur = String::new();
        let mut quoted = false;
        for c in raw.chars() {
            if quoted {
                if c == '"' {
                    quoted = false;
                    out.push((n + 1, std::mem::take(&mut cur)));
                } else {
                    cur.push(c);
                }
                continue;
            }
            match c {
                '!' | '#' => break,
                '"' => quoted = true,
                '{' | '}' => {
                    if !cur.is_empty() {
                        out.push((n + 1, std::mem::take(&mut cur)));
                    }
                    out.push((n + 1, c.to_string()));
                }
                c if c.is_whitespace() => {
                    if !cur.is_empty() {
                        out.push((n + 1, std::mem::take(&mut cur)));
                    }
                }
                c => cur.push(c),
            }
        }
        if !cur.is_empty() {
            out.push((n + 1, cur));
        }
    }
    out
}

fn parse_nodes(tokens: &[(usize, String)], pos: &mut usize) -> Vec<Node> {
    let mut nodes: Vec<Node> = Vec::new();
    let mut cur: Option<Node> = None;
    while *pos < tokens.len() {
        let (line, tok) = &tokens[*pos];
        *pos += 1;
        match tok.as_str() {
            "{" => {
                let block = parse_nodes(tokens, pos);
                let mut n = cur.take().unwrap_or(Node {
                    line: *line,
                    words: vec![],
                    block: None,
                });
                n.block = Some(block);
                nodes.push(n);
            }
            "}" => break,
            _ => match &mut cur {
                Some(n) if n.line == *line => n.words.push(tok.clone()),
                _ => {
                    if let Some(n) = cur.take() {
                        nodes.push(n);
                    }
                    cur = Some(Node {
                        line: *line,
                        words: vec![tok.clone()],
                        block: None,
                    });
                }
            },
        }
    }
    if let Some(n) = cur.take() {
        nodes.push(n);
    }
    nodes
}

/// A VIP line (`192.168.1.10/24 brd 192.168.1.255 dev eth0 scope link label eth0:1 peer ..
/// noprefixroute preferred_lft 0`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VipLine {
    pub addr: IpAddr,
    pub prefix: u8,
    pub dev: Option<String>,
    pub label: Option<String>,
    /// RT_SCOPE_* number.
    pub scope: Option<u8>,
    pub brd: Option<std::net::Ipv4Addr>,
    pub peer: Option<IpAddr>,
    pub noprefixroute: bool,
    /// Seconds; keepalived accepts `0` and `forever`.
    pub preferred_lft: Option<u32>,
    pub text: String,
}

/// A `virtual_routes` line: `[src A] [to] DST[/P] [via|gw G] [dev D] [scope S] [table T]
/// [metric M]`, or `blackhole|unreachable|prohibit DST[/P]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteLine {
    pub dst: IpAddr,
    pub prefix: u8,
    pub via: Option<IpAddr>,
    pub src: Option<IpAddr>,
    pub dev: Option<String>,
    pub table: Option<u32>,
    pub metric: Option<u32>,
    pub scope: Option<u8>,
    /// RTN_* number (None: unicast).
    pub kind: Option<u8>,
    pub text: String,
}

/// A `virtual_rules` line: `[from A[/P]] [to B[/P]] [table T] [priority|preference N]
/// [fwmark M] [iif I] [oif O]`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RuleLine {
    pub ipv6: bool,
    pub from: Option<(IpAddr, u8)>,
    pub to: Option<(IpAddr, u8)>,
    pub table: Option<u32>,
    pub priority: Option<u32>,
    pub fwmark: Option<u32>,
    pub iif: Option<String>,
    pub oif: Option<String>,
    pub text: String,
}

/// A `vrrp_track_file` block.
#[derive(Debug, Clone)]
pub struct TrackFileSpec {
    pub name: String,
    pub file: String,
    pub weight: i32,
    pub reverse: bool,
}

/// A `vrrp_track_process` block.
#[derive(Debug, Clone)]
pub struct TrackProcessSpec {
    pub name: String,
    pub process: String,
    /// With `param_match`: the arguments that must follow the name.
    pub args: Option<String>,
    pub weight: i32,
    pub reverse: bool,
    pub quorum: usize,
    pub quorum_max: usize,
    pub delay: Duration,
}

/// One tracked object of an instance, in the order of `cfg.trackers`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Tracked {
    Script(String),
    Interface(String),
    File(String),
    Process(String),
}

/// A `vrrp_script` block.
#[derive(Debug, Clone)]
pub struct ScriptSpec {
    pub name: String,
    pub script: String,
    pub interval: Duration,
    pub timeout: Duration,
    pub weight: i32,
    pub reverse: bool,
    pub rise: u32,
    pub fall: u32,
    pub init_fail: bool,
    /// `user USER [GROUP]`: run as this user rather than script_user.
    pub user: Option<(String, Option<String>)>,
}

/// One instance as read: the protocol config plus what the shell and notifier need.
#[derive(Debug, Clone)]
pub struct InstanceRead {
    pub cfg: InstanceConfig,
    pub interface: String,
    pub vips: Vec<VipLine>,
    pub excluded: Vec<VipLine>,
    pub routes: Vec<RouteLine>,
    pub rules: Vec<RuleLine>,
    pub scripts: Scripts,
    /// Names of the vrrp_scripts tracked (the first entries of `cfg.trackers`).
    pub track_scripts: Vec<String>,
    /// Every tracked object, index for index with `cfg.trackers`.
    pub tracked: Vec<Tracked>,
    pub accept: bool,
    /// `use_vmac [name]`: the macvlan's name (keepalived's default `vrrp.<VRID>`).
    pub vmac: Option<String>,
    /// `vmac_xmit_base`: adverts go out (and come in) on the base interface.
    pub vmac_xmit_base: bool,
}

/// global_defs as far as the daemon uses it.
#[derive(Debug, Clone, Default)]
pub struct Globals {
    pub router_id: Option<String>,
    pub emails: Vec<String>,
    pub email_from: Option<String>,
    pub smtp_server: Option<(String, u16)>,
    pub smtp_helo: Option<String>,
    pub smtp_connect_timeout: Option<Duration>,
    pub script_user: Option<String>,
    pub enable_script_security: bool,
    pub vrrp_notify_fifo: Option<String>,
    pub strict: bool,
    pub skip_check_adv_addr: bool,
    pub garp_interval: Duration,
    pub gna_interval: Duration,
    pub version: Option<Version>,
    pub smtp_alert: Option<bool>,
    pub smtp_alert_vrrp: Option<bool>,
    /// keepalived-rs only: `vrrp_vip_lifetime 0` keeps VIPs permanent as keepalived does.
    pub vip_lifetime_off: bool,
}

/// static_ipaddress, static_routes and static_rules: set at start, removed at stop.
#[derive(Debug, Clone, Default)]
pub struct Statics {
    pub addrs: Vec<VipLine>,
    pub routes: Vec<RouteLine>,
    pub rules: Vec<RuleLine>,
}

/// A `vrrp_sync_group`: its members (indices into `Read::instances`) and notifies.
#[derive(Debug, Clone)]
pub struct GroupRead {
    pub name: String,
    pub members: Vec<usize>,
    pub scripts: Scripts,
}

/// The VRRP side of a keepalived.conf.
#[derive(Debug, Clone, Default)]
pub struct Read {
    pub globals: Globals,
    pub groups: Vec<GroupRead>,
    pub statics: Statics,
    pub scripts: Vec<ScriptSpec>,
    pub files: Vec<TrackFileSpec>,
    pub processes: Vec<TrackProcessSpec>,
    pub instances: Vec<InstanceRead>,
    /// Warnings and errors with their line, keepalived style.
    pub diagnostics: Vec<String>,
    /// Instances that could not be used.
    pub errors: usize,
}

/// Finds an interface's addresses (filled in by the caller from the system).
pub trait Addresses {
    fn primary(&self, interface: &str, v6: bool) -> Option<IpAddr>;
}

fn secs(s: &str) -> Option<Duration> {
    s.parse::<f64>()
        .ok()
        .filter(|v| v.is_finite() && *v >= 0.0)
        .map(Duration::from_secs_f64)
}

fn parse_vip(words: &[String]) -> Option<VipLine> {
    let first = words.first()?;
    let (a, p) = match first.split_once('/') {
        Some((a, p)) => (a, Some(p)),
        None => (first.as_str(), None),
    };
    let addr: IpAddr = a.parse().ok()?;
    let prefix = match p {
        Some(p) => p.parse().ok()?,
        None if addr.is_ipv4() => 32,
        None => 128,
    };
    let mut v = VipLine {
        addr,
        prefix,
        dev: None,
        label: None,
        scope: None,
        brd: None,
        peer: None,
        noprefixroute: false,
        preferred_lft: None,
        text: words.join(" "),
    };
    let mut it = words[1..].iter();
    while let Some(w) = it.next() {
        match w.as_str() {
            "dev" => v.dev = it.next().cloned(),
            "label" => v.label = it.next().cloned(),
            "scope" => v.scope = Some(scope(it.next()?)?),
            "brd" | "broadcast" => v.brd = it.next().and_then(|b| b.parse().ok()),
            "peer" => v.peer = it.next().and_then(|p| p.split('/').next()?.parse().ok()),
            "noprefixroute" => v.noprefixroute = true,
            "preferred_lft" => {
                v.preferred_lft = match it.next()?.as_str() {
                    "forever" => None,
                    n => Some(n.parse().ok()?),
                }
            }
            _ => {}
        }
    }
    Some(v)
}

/// An RT_SCOPE_* by name or number, as ip(8) and keepalived accept them.
fn scope(w: &str) -> Option<u8> {
    Some(match w {
        "global" | "universe" => 0,
        "site" => 200,
        "link" => 253,
        "host" => 254,
        "nowhere" => 255,
        n => n.parse().ok()?,
    })
}

fn prefixed(w: &str) -> Option<(IpAddr, u8)> {
    let (a, p) = match w.split_once('/') {
        Some((a, p)) => (a, Some(p)),
        None => (w, None),
    };
    let addr: IpAddr = a.parse().ok()?;
    let full = if addr.is_ipv4() { 32 } else { 128 };
    let prefix = match p {
        Some(p) => p.parse().ok().filter(|p| *p <= full)?,
        None => full,
    };
    Some((addr, prefix))
}

fn parse_route(words: &[String]) -> Option<RouteLine> {
    let mut r = RouteLine {
        dst: IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED),
        prefix: 0,
        via: None,
        src: None,
        dev: None,
        table: None,
        metric: None,
        scope: None,
        kind: None,
        text: words.join(" "),
    };
    let mut dst = None;
    let mut it = words.iter();
    while let Some(w) = it.next() {
        match w.as_str() {
            "src" => r.src = Some(it.next()?.parse().ok()?),
            "to" => dst = Some(prefixed(it.next()?)?),
            "via" | "gw" => r.via = Some(it.next()?.parse().ok()?),
            "dev" | "oif" => r.dev = it.next().cloned(),
            "scope" => r.scope = Some(scope(it.next()?)?),
            "table" => r.table = Some(it.next()?.parse().ok()?),
            "metric" | "preference" | "priority" => r.metric = Some(it.next()?.parse().ok()?),
            "blackhole" => r.kind = Some(6),
            "unreachable" => r.kind = Some(7),
            "prohibit" => r.kind = Some(8),
            other if dst.is_none() => dst = Some(prefixed(other)?),
            _ => return None,
        }
    }
    (r.dst, r.prefix) = dst?;
    Some(r)
}

fn parse_rule(words: &[String]) -> Option<RuleLine> {
    let mut r = RuleLine {
        text: words.join(" "),
        ..RuleLine::default()
    };
    let mut it = words.iter();
    while let Some(w) = it.next() {
        match w.as_str() {
            "from" => r.from = Some(prefixed(it.next()?)?),
            "to" => r.to = Some(prefixed(it.next()?)?),
            "table" | "lookup" => r.table = Some(it.next()?.parse().ok()?),
            "priority" | "preference" | "pref" => r.priority = Some(it.next()?.parse().ok()?),
            "fwmark" => r.fwmark = Some(it.next()?.parse().ok()?),
            "iif" => r.iif = it.next().cloned(),
            "oif" => r.oif = it.next().cloned(),
            _ => return None,
        }
    }
    r.ipv6 = r
        .from
        .or(r.to)
        .is_some_and(|(a, _): (IpAddr, u8)| a.is_ipv6());
    Some(r)
}

/// Reads `path`; fails only when the file cannot be read.
pub fn read(path: &Path, addrs: &dyn Addresses) -> std::io::Result<Read> {
    let bytes = std::fs::read(path)?;
    let text = String::from_utf8_lossy(&bytes);
    let file = path.display().to_string();
    let tokens = tokenize(&text);
    let mut pos = 0;
    let nodes = parse_nodes(&tokens, &mut pos);
    let mut r = Read::default();
    let warn = |line: usize, msg: String| r_diag(&file, line, msg);
    let mut diags = Vec::new();
    for n in &nodes {
        match n.words.first().map(String::as_str) {
            Some("global_defs") => {
                read_globals(n, &mut r.globals, &mut |l, m| diags.push(warn(l, m)))
            }
            Some("vrrp_script") => {
                if let Some(s) = read_script(n, &mut |l, m| diags.push(warn(l, m))) {
                    r.scripts.push(s);
                }
            }
            Some("vrrp_sync_group") => {}
            Some("vrrp_track_file") => {
                if let Some(f) = read_track_file(n, &mut |l, m| diags.push(warn(l, m))) {
                    r.files.push(f);
                }
            }
            Some("vrrp_track_process") => {
                if let Some(p) = read_track_process(n, &mut |l, m| diags.push(warn(l, m))) {
                    r.processes.push(p);
                }
            }
            Some("static_ipaddress") => {
                for v in n.block.iter().flatten() {
                    match parse_vip(&v.words) {
                        Some(a) if a.dev.is_some() => r.statics.addrs.push(a),
                        Some(_) => diags.push(warn(
                            v.line,
                            format!(
                                "static address `{}` needs a dev; ignored",
                                v.words.join(" ")
                            ),
                        )),
                        None => {
                            diags.push(warn(v.line, format!("bad address `{}`", v.words.join(" "))))
                        }
                    }
                }
            }
            Some("static_routes") => {
                for v in n.block.iter().flatten() {
                    match parse_route(&v.words) {
                        Some(x) => r.statics.routes.push(x),
                        None => {
                            diags.push(warn(v.line, format!("bad route `{}`", v.words.join(" "))))
                        }
                    }
                }
            }
            Some("static_rules") => {
                for v in n.block.iter().flatten() {
                    match parse_rule(&v.words) {
                        Some(x) => r.statics.rules.push(x),
                        None => {
                            diags.push(warn(v.line, format!("bad rule `{}`", v.words.join(" "))))
                        }
                    }
                }
            }
            Some("vrrp_instance") => {}
            Some(other) => diags.push(warn(
                n.line,
                format!("`{other}` is not handled by this build (VRRP subset); ignored"),
            )),
            None => {}
        }
    }
    for n in &nodes {
        if n.words.first().map(String::as_str) == Some("vrrp_instance") {
            let known = Known {
                scripts: &r.scripts,
                files: &r.files,
                processes: &r.processes,
            };
            match read_instance(n, &r.globals, &known, addrs, &mut |l, m| {
                diags.push(warn(l, m))
            }) {
                Some(i) => r.instances.push(i),
                None => {
                    r.errors += 1;
                    diags.push(warn(n.line, "instance ignored".into()))
                }
            }
        }
    }
    for n in &nodes {
        if n.words.first().map(String::as_str) == Some("vrrp_sync_group")
            && let Some(g) = read_group(n, &r.instances, &mut |l, m| diags.push(warn(l, m)))
        {
            r.groups.push(g);
        }
    }
    r.diagnostics = diags;
    Ok(r)
}

fn r_diag(file: &str, line: usize, msg: String) -> String {
    format!("({file}: Line {line}) {msg}")
}

fn read_globals(n: &Node, g: &mut Globals, warn: &mut dyn FnMut(usize, String)) {
    for c in n.block.iter().flatten() {
        let w = &c.words;
        let arg = w.get(1).cloned();
        match w.first().map(String::as_str) {
            Some("router_id") => g.router_id = arg,
            Some("notification_email") => {
                g.emails = c
                    .block
                    .iter()
                    .flatten()
                    .filter_map(|e| e.words.first().cloned())
                    .collect()
            }
            Some("notification_email_from") => g.email_from = arg,
            Some("smtp_server") => {
                if let Some(a) = arg {
                    let port = w.get(2).and_then(|p| p.parse().ok()).unwrap_or(25);
                    g.smtp_server = Some((a, port));
                }
            }
            Some("smtp_helo_name") => g.smtp_helo = arg,
            Some("smtp_connect_timeout") => g.smtp_connect_timeout = arg.as_deref().and_then(secs),
            Some("script_user") => g.script_user = arg,
            Some("enable_script_security") => g.enable_script_security = true,
            Some("vrrp_notify_fifo") | Some("notify_fifo") => g.vrrp_notify_fifo = arg,
            Some("vrrp_strict") => g.strict = true,
            Some("vrrp_skip_check_adv_addr") => g.skip_check_adv_addr = true,
            Some("vrrp_garp_interval") => {
                g.garp_interval = arg.as_deref().and_then(secs).unwrap_or_default();
                if g.garp_interval >= Duration::from_secs(10) {
                    warn(
                        c.line,
                        format!(
                            "vrrp_garp_interval {} is the delay in seconds between two gratuitous ARPs; \
                             did you mean milliseconds (e.g. 0.1)? Honoured as written",
                            arg.as_deref().unwrap_or_default()
                        ),
                    );
                }
            }
            Some("vrrp_gna_interval") => {
                g.gna_interval = arg.as_deref().and_then(secs).unwrap_or_default()
            }
            Some("vrrp_vip_lifetime") => g.vip_lifetime_off = arg.as_deref() == Some("0"),
            Some("smtp_alert") => g.smtp_alert = Some(arg.as_deref() != Some("false")),
            Some("smtp_alert_vrrp") => g.smtp_alert_vrrp = Some(arg.as_deref() != Some("false")),
            Some("vrrp_version") => {
                g.version = match arg.as_deref() {
                    Some("3") => Some(Version::V3),
                    Some("2") => Some(Version::V2),
                    _ => None,
                }
            }
            Some(k) => warn(
                c.line,
                format!("global_defs keyword `{k}` is not handled by this build; ignored"),
            ),
            None => {}
        }
    }
}

fn read_script(n: &Node, warn: &mut dyn FnMut(usize, String)) -> Option<ScriptSpec> {
    let name = n.words.get(1)?.clone();
    let mut s = ScriptSpec {
        name,
        script: String::new(),
        interval: Duration::from_secs(1),
        timeout: Duration::ZERO,
        weight: 0,
        reverse: false,
        rise: 1,
        fall: 1,
        init_fail: false,
        user: None,
    };
    for c in n.block.iter().flatten() {
        let arg = c.words.get(1).cloned().unwrap_or_default();
        match c.words.first().map(String::as_str) {
            Some("script") => s.script = c.words[1..].join(" "),
            Some("interval") => s.interval = secs(&arg).unwrap_or(s.interval),
            Some("timeout") => s.timeout = secs(&arg).unwrap_or_default(),
            Some("weight") => {
                s.weight = arg.parse().unwrap_or(0);
                s.reverse = c.words.get(2).map(String::as_str) == Some("reverse");
            }
            Some("rise") => s.rise = arg.parse().unwrap_or(1).max(1),
            Some("fall") => s.fall = arg.parse().unwrap_or(1).max(1),
            Some("init_fail") => s.init_fail = true,
            Some("user") => s.user = Some((arg.clone(), c.words.get(2).cloned())),
            Some(k) => warn(
                c.line,
                format!("vrrp_script keyword `{k}` is not handled by this build; ignored"),
            ),
            None => {}
        }
    }
    if s.timeout.is_zero() {
        // keepalived's default: the script's interval.
        s.timeout = s.interval;
    }
    Some(s)
}

/// `weight N [reverse]` at `words[at..]`, as on track lines and in track blocks.
fn weight_at(words: &[String], at: usize) -> Option<(i32, bool)> {
    if words.get(at).map(String::as_str) != Some("weight") {
        return None;
    }
    let w = words.get(at + 1)?.parse().ok()?;
    Some((w, words.get(at + 2).map(String::as_str) == Some("reverse")))
}

fn read_track_file(n: &Node, warn: &mut dyn FnMut(usize, String)) -> Option<TrackFileSpec> {
    let mut f = TrackFileSpec {
        name: n.words.get(1)?.clone(),
        file: String::new(),
        weight: 1,
        reverse: false,
    };
    for c in n.block.iter().flatten() {
        match c.words.first().map(String::as_str) {
            Some("file") => f.file = c.words.get(1).cloned().unwrap_or_default(),
            Some("weight") => (f.weight, f.reverse) = weight_at(&c.words, 0).unwrap_or((1, false)),
            Some(k) => warn(
                c.line,
                format!("vrrp_track_file keyword `{k}` is not handled by this build; ignored"),
            ),
            None => {}
        }
    }
    if f.file.is_empty() {
        warn(n.line, format!("vrrp_track_file {} has no file", f.name));
        return None;
    }
    Some(f)
}

fn read_track_process(n: &Node, warn: &mut dyn FnMut(usize, String)) -> Option<TrackProcessSpec> {
    let mut p = TrackProcessSpec {
        name: n.words.get(1)?.clone(),
        process: String::new(),
        args: None,
        weight: 0,
        reverse: false,
        quorum: 1,
        quorum_max: usize::MAX,
        delay: Duration::ZERO,
    };
    let mut param_match = false;
    let mut words = Vec::new();
    for c in n.block.iter().flatten() {
        let arg = c.words.get(1).cloned().unwrap_or_default();
        match c.words.first().map(String::as_str) {
            Some("process") => words = c.words[1..].to_vec(),
            Some("param_match") => param_match = true,
            Some("weight") => (p.weight, p.reverse) = weight_at(&c.words, 0).unwrap_or((0, false)),
            Some("quorum") => p.quorum = arg.parse().unwrap_or(1),
            Some("quorum_max") => p.quorum_max = arg.parse().unwrap_or(usize::MAX),
            Some("delay") => p.delay = secs(&arg).unwrap_or_default(),
            Some(k) => warn(
                c.line,
                format!("vrrp_track_process keyword `{k}` is not handled by this build; ignored"),
            ),
            None => {}
        }
    }
    let Some((name, rest)) = words.split_first() else {
        warn(
            n.line,
            format!("vrrp_track_process {} has no process", p.name),
        );
        return None;
    };
    p.process = name.clone();
    if param_match || !rest.is_empty() {
        p.args = Some(rest.join(" "));
    }
    Some(p)
}

fn read_group(
    n: &Node,
    instances: &[InstanceRead],
    warn: &mut dyn FnMut(usize, String),
) -> Option<GroupRead> {
    let name = n.words.get(1)?.clone();
    let mut g = GroupRead {
        name,
        members: vec![],
        scripts: Scripts::default(),
    };
    for c in n.block.iter().flatten() {
        let rest = || c.words[1..].join(" ");
        match c.words.first().map(String::as_str) {
            Some("group") => {
                for m in c.block.iter().flatten().flat_map(|m| m.words.iter()) {
                    match instances.iter().position(|i| &i.cfg.name == m) {
                        Some(k) if !g.members.contains(&k) => g.members.push(k),
                        Some(_) => {}
                        None => warn(
                            c.line,
                            format!("vrrp_sync_group {}: no vrrp_instance {m}", g.name),
                        ),
                    }
                }
            }
            Some("notify_master") => g.scripts.master = Some(rest()),
            Some("notify_backup") => g.scripts.backup = Some(rest()),
            Some("notify_fault") => g.scripts.fault = Some(rest()),
            Some("notify_stop") => g.scripts.stop = Some(rest()),
            Some("notify") => g.scripts.generic = Some(rest()),
            Some("smtp_alert") => g.scripts.smtp_alert = true,
            Some(k) => warn(
                c.line,
                format!("vrrp_sync_group keyword `{k}` is not handled by this build; ignored"),
            ),
            None => {}
        }
    }
    if g.members.is_empty() {
        warn(
            n.line,
            format!("vrrp_sync_group {} has no members; ignored", g.name),
        );
        return None;
    }
    Some(g)
}

/// The named trackers an instance may refer to.
struct Known<'a> {
    scripts: &'a [ScriptSpec],
    files: &'a [TrackFileSpec],
    processes: &'a [TrackProcessSpec],
}

fn read_instance(
    n: &Node,
    g: &Globals,
    known: &Known<'_>,
    addrs: &dyn Addresses,
    warn: &mut dyn FnMut(usize, String),
) -> Option<InstanceRead> {
    let name = n.words.get(1)?.clone();
    let mut interface = None;
    let mut vrid = None;
    let mut prio = 100u8;
    let mut state = InitialState::FromPriority;
    let mut adver = Duration::from_secs(1);
    let mut version = g.version.unwrap_or(Version::V2);
    let mut auth = AuthConfig::None;
    let mut vips = Vec::new();
    let mut excluded = Vec::new();
    let mut routes = Vec::new();
    let mut rules = Vec::new();
    let mut links = Vec::new();
    let mut files = Vec::new();
    let mut procs = Vec::new();
    let mut peers = Vec::new();
    let mut src = None;
    let mut track = Vec::new();
    let mut sc = Scripts::default();
    let mut nopreempt = false;
    let mut preempt_delay = Duration::ZERO;
    let mut accept = !g.strict;
    let mut vmac: Option<Option<String>> = None;
    let mut vmac_xmit_base = false;
    let mut smtp = None;
    for c in n.block.iter().flatten() {
        let arg = c.words.get(1).cloned().unwrap_or_default();
        let rest = || c.words[1..].join(" ");
        match c.words.first().map(String::as_str) {
            Some("state") => {
                state = match arg.as_str() {
                    "MASTER" => InitialState::Master,
                    _ => InitialState::Backup,
                }
            }
            Some("interface") => interface = Some(arg),
            Some("virtual_router_id") => vrid = arg.parse::<u8>().ok().filter(|v| *v > 0),
            Some("priority") => prio = arg.parse().unwrap_or(100),
            Some("advert_int") => adver = secs(&arg).unwrap_or(adver),
            Some("version") => version = if arg == "3" { Version::V3 } else { Version::V2 },
            Some("authentication") => {
                let mut ty = String::new();
                let mut pass = String::new();
                for a in c.block.iter().flatten() {
                    match a.words.first().map(String::as_str) {
                        Some("auth_type") => ty = a.words.get(1).cloned().unwrap_or_default(),
                        Some("auth_pass") => pass = a.words.get(1).cloned().unwrap_or_default(),
                        _ => {}
                    }
                }
                if pass.len() > 8 {
                    warn(
                        c.line,
                        format!(
                            "Truncating auth_pass to 8 characters (`{}`), as keepalived does",
                            &pass[..8]
                        ),
                    );
                }
                auth = match ty.as_str() {
                    "PASS" => AuthConfig::Pass(AuthConfig::key(&pass)),
                    "AH" => AuthConfig::Ah(AuthConfig::key(&pass)),
                    _ => AuthConfig::None,
                };
            }
            Some("virtual_ipaddress") => {
                for v in c.block.iter().flatten() {
                    match parse_vip(&v.words) {
                        Some(vip) => vips.push(vip),
                        None => warn(v.line, format!("bad VIP `{}`", v.words.join(" "))),
                    }
                }
            }
            Some("virtual_ipaddress_excluded") => {
                for v in c.block.iter().flatten() {
                    match parse_vip(&v.words) {
                        Some(vip) => excluded.push(vip),
                        None => warn(v.line, format!("bad VIP `{}`", v.words.join(" "))),
                    }
                }
            }
            Some("virtual_routes") => {
                for v in c.block.iter().flatten() {
                    match parse_route(&v.words) {
                        Some(r) => routes.push(r),
                        None => warn(v.line, format!("bad route `{}`", v.words.join(" "))),
                    }
                }
            }
            Some("virtual_rules") => {
                for v in c.block.iter().flatten() {
                    match parse_rule(&v.words) {
                        Some(r) => rules.push(r),
                        None => warn(v.line, format!("bad rule `{}`", v.words.join(" "))),
                    }
                }
            }
            Some("track_interface") => {
                for t in c.block.iter().flatten() {
                    let Some(name) = t.words.first() else {
                        continue;
                    };
                    let (w, rev) = weight_at(&t.words, 1).unwrap_or((0, false));
                    let mut tc = TrackerConfig::new(name.clone(), w);
                    tc.reverse = rev;
                    links.push((Tracked::Interface(name.clone()), tc));
                }
            }
            Some("track_file") => {
                for t in c.block.iter().flatten() {
                    let Some(name) = t.words.first() else {
                        continue;
                    };
                    let Some(f) = known.files.iter().find(|f| &f.name == name) else {
                        warn(
                            t.line,
                            format!("track_file `{name}` is not a vrrp_track_file"),
                        );
                        continue;
                    };
                    let (w, rev) = weight_at(&t.words, 1).unwrap_or((f.weight, f.reverse));
                    let mut tc = TrackerConfig::new(name.clone(), w);
                    tc.reverse = rev;
                    files.push((Tracked::File(name.clone()), tc));
                }
            }
            Some("track_process") => {
                for t in c.block.iter().flatten() {
                    let Some(name) = t.words.first() else {
                        continue;
                    };
                    let Some(p) = known.processes.iter().find(|p| &p.name == name) else {
                        warn(
                            t.line,
                            format!("track_process `{name}` is not a vrrp_track_process"),
                        );
                        continue;
                    };
                    let (w, rev) = weight_at(&t.words, 1).unwrap_or((p.weight, p.reverse));
                    let mut tc = TrackerConfig::new(name.clone(), w);
                    tc.reverse = rev;
                    // Counted on the first scan, before the instance leaves INIT.
                    tc.initial = TrackerStatus::Unknown;
                    procs.push((Tracked::Process(name.clone()), tc));
                }
            }
            Some("unicast_src_ip") => src = arg.parse().ok(),
            Some("unicast_peer") => {
                for p in c.block.iter().flatten() {
                    if let Some(a) = p.words.first().and_then(|a| a.parse().ok()) {
                        peers.push(Peer::new(a));
                    }
                }
            }
            Some("track_script") => {
                for t in c.block.iter().flatten() {
                    let Some(tn) = t.words.first() else { continue };
                    let Some(s) = known.scripts.iter().find(|s| &s.name == tn) else {
                        warn(t.line, format!("track_script `{tn}` is not a vrrp_script"));
                        continue;
                    };
                    let mut weight = s.weight;
                    let mut reverse = s.reverse;
                    if t.words.get(1).map(String::as_str) == Some("weight") {
                        weight = t
                            .words
                            .get(2)
                            .and_then(|w| w.parse().ok())
                            .unwrap_or(weight);
                        reverse = t.words.get(3).map(String::as_str) == Some("reverse");
                    }
                    let mut tc = TrackerConfig::new(tn.clone(), weight);
                    tc.reverse = reverse;
                    tc.initial = if s.init_fail {
                        TrackerStatus::Down
                    } else if weight == 0 {
                        TrackerStatus::Unknown
                    } else {
                        TrackerStatus::Up
                    };
                    track.push((tn.clone(), tc));
                }
            }
            Some("notify_master") => sc.master = Some(rest()),
            Some("notify_backup") => sc.backup = Some(rest()),
            Some("notify_fault") => sc.fault = Some(rest()),
            Some("notify_stop") => sc.stop = Some(rest()),
            Some("notify") => sc.generic = Some(rest()),
            Some("smtp_alert") => smtp = Some(arg != "false"),
            Some("nopreempt") => nopreempt = true,
            Some("preempt_delay") => preempt_delay = secs(&arg).unwrap_or_default(),
            Some("accept") => accept = true,
            Some("use_vmac") => vmac = Some(c.words.get(1).cloned()),
            Some("vmac_xmit_base") => vmac_xmit_base = true,
            Some("no_accept") => accept = false,
            Some(k) => warn(
                c.line,
                format!("vrrp_instance keyword `{k}` is not handled by this build; ignored"),
            ),
            None => {}
        }
    }
    let Some(interface) = interface else {
        warn(n.line, format!("({name}) has no interface"));
        return None;
    };
    let Some(vrid) = vrid else {
        warn(n.line, format!("({name}) has no virtual_router_id"));
        return None;
    };
    let v6 = vips.first().is_some_and(|v: &VipLine| v.addr.is_ipv6());
    // keepalived: the first VIP sets the instance's family; the others must match it.
    vips.retain(|v: &VipLine| {
        let same = v.addr.is_ipv6() == v6;
        if !same {
            warn(
                n.line,
                format!(
                    "({name}): address family must match VRRP instance [{}/{}] - ignoring",
                    v.addr, v.prefix
                ),
            );
        }
        same
    });
    let Some(src) = src.or_else(|| addrs.primary(&interface, v6)) else {
        warn(
            n.line,
            format!("({name}) interface {interface} has no usable address"),
        );
        return None;
    };
    if v6 {
        version = Version::V3;
    }
    let mut cfg = InstanceConfig::new(name.clone(), vrid, src);
    cfg.version = version;
    cfg.priority = prio;
    cfg.initial_state = state;
    cfg.adver_int = adver;
    cfg.auth = auth;
    cfg.peers = peers;
    cfg.vips = vips.iter().map(|v| v.addr).collect();
    cfg.nopreempt = nopreempt;
    cfg.preempt_delay = preempt_delay;
    cfg.strict = g.strict;
    cfg.skip_check_adv_addr = g.skip_check_adv_addr;
    let names: Vec<String> = track.iter().map(|(n, _)| n.clone()).collect();
    let all: Vec<(Tracked, TrackerConfig)> = track
        .into_iter()
        .map(|(n, t)| (Tracked::Script(n), t))
        .chain(links)
        .chain(files)
        .chain(procs)
        .collect();
    let (tracked, trackers): (Vec<Tracked>, Vec<TrackerConfig>) = all.into_iter().unzip();
    cfg.trackers = trackers;
    cfg.excluded_vips = excluded.iter().map(|v| v.addr).collect();
    cfg.has_routes = !routes.is_empty();
    cfg.has_rules = !rules.is_empty();
    // keepalived: no mail unless smtp_alert is set on the instance or globally.
    sc.smtp_alert = smtp.or(g.smtp_alert_vrrp).or(g.smtp_alert).unwrap_or(false);
    Some(InstanceRead {
        cfg,
        interface,
        vips,
        excluded,
        routes,
        rules,
        scripts: sc,
        track_scripts: names,
        tracked,
        accept,
        vmac: vmac.map(|n| n.unwrap_or_else(|| format!("vrrp.{vrid}"))),
        vmac_xmit_base,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Fixed;
    impl Addresses for Fixed {
        fn primary(&self, _: &str, _: bool) -> Option<IpAddr> {
            Some([192, 168, 168, 101].into())
        }
    }

    #[test]
    fn reads_the_scenarios() {
        let base = Path::new("/work/shared/scenarios");
        if !base.exists() {
            return;
        }
        let r = read(&base.join("01-nginx-pair/node1.conf"), &Fixed).unwrap();
        assert_eq!(r.instances.len(), 1);
        let i = &r.instances[0];
        assert_eq!(i.cfg.vrid, 51);
        assert_eq!(i.cfg.priority, 150);
        assert_eq!(i.vips[0].label.as_deref(), Some("ens33:1"));
        assert!(r.globals.strict && !i.accept);
        let r = read(&base.join("03-tracked-nginx/node1.conf"), &Fixed).unwrap();
        let i = &r.instances[0];
        assert_eq!(i.cfg.trackers[0].weight, -5);
        assert_eq!(r.scripts[0].fall, 2);
        assert!(
            !i.scripts.smtp_alert,
            "keepalived sends no mail without smtp_alert"
        );
        assert_eq!(i.cfg.auth, AuthConfig::Pass(*b"123456\0\0"));
        assert_eq!(
            i.scripts.master.as_deref(),
            Some("/etc/rc.d/init.d/nginx start")
        );
    }

    fn words(s: &str) -> Vec<String> {
        s.split_whitespace().map(str::to_string).collect()
    }

    #[test]
    fn vip_route_and_rule_lines() {
        let v = parse_vip(&words(
            "10.0.0.1/24 brd 10.0.0.255 dev eth1 scope link label eth1:a noprefixroute preferred_lft 0",
        ))
        .unwrap();
        assert_eq!(
            (v.prefix, v.dev.as_deref(), v.scope),
            (24, Some("eth1"), Some(253))
        );
        assert_eq!(v.brd, Some([10, 0, 0, 255].into()));
        assert_eq!(v.label.as_deref(), Some("eth1:a"));
        assert!(v.noprefixroute && v.preferred_lft == Some(0));
        let p = parse_vip(&words("10.0.0.2 peer 10.0.0.9")).unwrap();
        assert_eq!((p.prefix, p.peer), (32, Some([10, 0, 0, 9].into())));
        assert!(parse_vip(&words("10.0.0.1/24 scope bogus")).is_none());

        let r = parse_route(&words(
            "src 10.0.0.1 to 10.1.0.0/16 via 10.0.0.254 dev eth0 table 100 metric 5",
        ))
        .unwrap();
        assert_eq!((r.dst, r.prefix), ([10, 1, 0, 0].into(), 16));
        assert_eq!(
            (r.via, r.src),
            (Some([10, 0, 0, 254].into()), Some([10, 0, 0, 1].into()))
        );
        assert_eq!((r.table, r.metric, r.kind), (Some(100), Some(5), None));
        let b = parse_route(&words("blackhole 10.2.0.0/24")).unwrap();
        assert_eq!((b.kind, b.prefix), (Some(6), 24));
        assert!(parse_route(&words("10.3.0.0/24 frobnicate 1")).is_none());

        let u = parse_rule(&words(
            "from fd00::/64 to fd01::1 table 7 priority 100 fwmark 3 iif eth0",
        ))
        .unwrap();
        assert!(u.ipv6);
        assert_eq!(u.to, Some(("fd01::1".parse().unwrap(), 128)));
        assert_eq!(
            (u.table, u.priority, u.fwmark),
            (Some(7), Some(100), Some(3))
        );
        assert_eq!(u.iif.as_deref(), Some("eth0"));
    }

    #[test]
    fn trackers_follow_scripts_in_order_and_other_family_vips_are_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("k.conf");
        std::fs::write(
            &f,
            "vrrp_script s { script /bin/true }\n\
             vrrp_track_file tf { file /tmp/x\n weight -3 }\n\
             vrrp_track_process tp { process nginx -g x\n weight 5 reverse\n quorum 2 }\n\
             vrrp_instance V { interface eth0\n virtual_router_id 9\n\
             track_interface { eth1 weight -20\n eth2 }\n track_file { tf }\n\
             track_process { tp }\n track_script { s }\n\
             virtual_ipaddress { 10.0.0.1/24\n fd00::1/64 }\n\
             virtual_ipaddress_excluded { fd00::2/64 }\n\
             virtual_routes { 10.9.0.0/24 via 10.0.0.254 }\n\
             virtual_rules { from 10.0.0.1 table 9 }\n}\n",
        )
        .unwrap();
        let r = read(&f, &Fixed).unwrap();
        let i = &r.instances[0];
        assert_eq!(
            i.tracked,
            [
                Tracked::Script("s".into()),
                Tracked::Interface("eth1".into()),
                Tracked::Interface("eth2".into()),
                Tracked::File("tf".into()),
                Tracked::Process("tp".into()),
            ]
        );
        let w: Vec<(i32, bool)> = i
            .cfg
            .trackers
            .iter()
            .map(|t| (t.weight, t.reverse))
            .collect();
        assert_eq!(
            w,
            [(0, false), (-20, false), (0, false), (-3, false), (5, true)]
        );
        assert_eq!(r.processes[0].args.as_deref(), Some("-g x"));
        assert_eq!(r.processes[0].quorum, 2);
        assert_eq!(
            i.vips.len(),
            1,
            "the IPv6 VIP does not match the instance's family"
        );
        assert!(
            r.diagnostics
                .iter()
                .any(|d| d.contains("address family must match"))
        );
        assert_eq!(i.cfg.excluded_vips, ["fd00::2".parse::<IpAddr>().unwrap()]);
        assert!(i.cfg.has_routes && i.cfg.has_rules);
    }
}
