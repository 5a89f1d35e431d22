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

/// A VIP line (`192.168.1.10/24 dev eth0 label eth0:1`), the options this stand-in applies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VipLine {
    pub addr: IpAddr,
    pub prefix: u8,
    pub dev: Option<String>,
    pub label: Option<String>,
    pub text: String,
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
}

/// One instance as read: the protocol config plus what the shell and notifier need.
#[derive(Debug, Clone)]
pub struct InstanceRead {
    pub cfg: InstanceConfig,
    pub interface: String,
    pub vips: Vec<VipLine>,
    pub scripts: Scripts,
    /// Names of the vrrp_scripts tracked, in the order of `cfg.trackers`.
    pub track_scripts: Vec<String>,
    pub accept: bool,
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

/// The VRRP side of a keepalived.conf.
#[derive(Debug, Clone, Default)]
pub struct Read {
    pub globals: Globals,
    pub scripts: Vec<ScriptSpec>,
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
        text: words.join(" "),
    };
    let mut it = words[1..].iter();
    while let Some(w) = it.next() {
        match w.as_str() {
            "dev" => v.dev = it.next().cloned(),
            "label" => v.label = it.next().cloned(),
            _ => {}
        }
    }
    Some(v)
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
            match read_instance(n, &r.globals, &r.scripts, addrs, &mut |l, m| {
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

fn read_instance(
    n: &Node,
    g: &Globals,
    scripts: &[ScriptSpec],
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
    let mut peers = Vec::new();
    let mut src = None;
    let mut track = Vec::new();
    let mut sc = Scripts::default();
    let mut nopreempt = false;
    let mut preempt_delay = Duration::ZERO;
    let mut accept = !g.strict;
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
                    let Some(s) = scripts.iter().find(|s| &s.name == tn) else {
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
    let (names, trackers): (Vec<String>, Vec<TrackerConfig>) = track.into_iter().unzip();
    cfg.trackers = trackers;
    // keepalived: no mail unless smtp_alert is set on the instance or globally.
    sc.smtp_alert = smtp.or(g.smtp_alert_vrrp).or(g.smtp_alert).unwrap_or(false);
    Some(InstanceRead {
        cfg,
        interface,
        vips,
        scripts: sc,
        track_scripts: names,
        accept,
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
}
