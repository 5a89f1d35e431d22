//! Address, route and rule lines in `ip` syntax (virtual_ipaddress, virtual_routes, virtual_rules
//! and their static_* twins, with track_group), parsed into what an rtnetlink request needs.

use std::net::{IpAddr, Ipv4Addr};

use super::Config;
use crate::System;
use crate::diag::Diagnostic;
use crate::read::Reader;
use crate::source::Span;
use crate::tree::Node;

/// keepalived's `RTPROT_KEEPALIVED`: the protocol of routes/rules it tracks.
pub const RTPROT_KEEPALIVED: u8 = 18;
/// The main routing table, keepalived's default for routes.
pub const RT_TABLE_MAIN: u32 = 254;
/// keepalived numbers rules without a preference downwards from here, one counter per family.
pub const FIRST_AUTO_RULE_PRIORITY: u32 = 16384;

/// Top-level `static_*` blocks and the `track_group`s they may name.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Statics {
    pub addresses: Vec<Vip>,
    pub routes: Vec<Route>,
    pub rules: Vec<Rule>,
    pub track_groups: Vec<TrackGroup>,
    /// keepalived numbers rules without a preference from one counter per family, shared by
    /// static and virtual rules.
    #[serde(skip)]
    pub auto_priorities: AutoPriorities,
}

/// `track_group NAME { group { VI_1 VI_2 } }`: static addresses/routes/rules follow these instances.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct TrackGroup {
    pub name: String,
    /// vrrp_instance names.
    pub instances: Vec<String>,
    /// Where each name is written (for diagnostics).
    #[serde(skip)]
    pub instance_spans: Vec<Span>,
    pub span: Span,
}

/// IPv4 or IPv6.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize)]
pub enum Family {
    #[default]
    V4,
    V6,
}

impl Family {
    pub fn of(addr: &IpAddr) -> Family {
        if addr.is_ipv4() {
            Family::V4
        } else {
            Family::V6
        }
    }
    pub fn max_prefix(self) -> u8 {
        match self {
            Family::V4 => 32,
            Family::V6 => 128,
        }
    }
    pub fn name(self) -> &'static str {
        match self {
            Family::V4 => "IPv4",
            Family::V6 => "IPv6",
        }
    }
}

/// An address with its prefix length; `None` address means `default`/`any`/`all`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Prefix {
    pub addr: Option<IpAddr>,
    pub len: u8,
}

impl Prefix {
    /// The address and length for a netlink request: `default` is 0.0.0.0/0 or ::/0.
    pub fn resolve(&self, family: Family) -> (IpAddr, u8) {
        match self.addr {
            Some(a) => (a, self.len),
            None => match family {
                Family::V4 => (IpAddr::V4(Ipv4Addr::UNSPECIFIED), 0),
                Family::V6 => (IpAddr::V6(std::net::Ipv6Addr::UNSPECIFIED), 0),
            },
        }
    }
}

/// One address line of virtual_ipaddress / virtual_ipaddress_excluded / static_ipaddress:
/// `ADDR[/LEN] [dev IF] [brd ADDR|+|-] [scope S] [label L] [peer ADDR] [home] [-nodad]
/// [mngtmpaddr] [noprefixroute] [autojoin] [no_track] [preferred_lft N|forever] [use_vmac]
/// [track_group G]`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Vip {
    pub addr: IpAddr,
    /// Default 32 (IPv4) or 128 (IPv6). With `peer`, the peer's prefix.
    pub prefix: u8,
    /// `dev`: `None` means the instance's interface (or, for a static address, `default_interface`).
    pub dev: Option<String>,
    pub broadcast: Option<Ipv4Addr>,
    /// RT_SCOPE_* (0 global, 200 site, 253 link, 254 host, 255 nowhere); IPv4 only.
    pub scope: Option<u8>,
    /// IPv4 only, shorter than 16 bytes.
    pub label: Option<String>,
    pub peer: Option<IpAddr>,
    pub home: bool,
    pub nodad: bool,
    pub mngtmpaddr: bool,
    pub noprefixroute: bool,
    pub autojoin: bool,
    /// `no_track`: the instance does not go to FAULT when the address's interface goes down.
    pub no_track: bool,
    /// Seconds; `None` = forever. keepalived's default for IPv6 /128 is 0 (deprecated address).
    pub preferred_lft: Option<u32>,
    /// VIP lines only: put this address on the instance's VMAC.
    pub use_vmac: bool,
    /// Static lines only.
    pub track_group: Option<String>,
    pub span: Span,
}

impl Vip {
    pub fn family(&self) -> Family {
        Family::of(&self.addr)
    }
}

/// RTN_* route types keepalived accepts before the destination.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RouteType {
    #[default]
    Unicast,
    Local,
    Broadcast,
    Anycast,
    Multicast,
    Blackhole,
    Unreachable,
    Prohibit,
    Throw,
    Nat,
    Xresolve,
}

const ROUTE_TYPES: &[(&str, RouteType)] = &[
    ("unicast", RouteType::Unicast),
    ("local", RouteType::Local),
    ("broadcast", RouteType::Broadcast),
    ("anycast", RouteType::Anycast),
    ("multicast", RouteType::Multicast),
    ("blackhole", RouteType::Blackhole),
    ("unreachable", RouteType::Unreachable),
    ("prohibit", RouteType::Prohibit),
    ("throw", RouteType::Throw),
    ("nat", RouteType::Nat),
    ("xresolve", RouteType::Xresolve),
];

impl RouteType {
    /// The kernel's RTN_* number.
    pub fn rtn(self) -> u8 {
        match self {
            RouteType::Unicast => 1,
            RouteType::Local => 2,
            RouteType::Broadcast => 3,
            RouteType::Anycast => 4,
            RouteType::Multicast => 5,
            RouteType::Blackhole => 6,
            RouteType::Unreachable => 7,
            RouteType::Prohibit => 8,
            RouteType::Throw => 9,
            RouteType::Nat => 10,
            RouteType::Xresolve => 11,
        }
    }
}

/// How the route is installed: keepalived's default is the kernel's (prepend).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RouteAdd {
    #[default]
    Prepend,
    Add,
    Append,
}

/// A route metric that may be `lock`ed (RTAX_LOCK).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Metric {
    pub value: u32,
    pub lock: bool,
}

/// One `nexthop` of a multipath route (or an `or` alternative).
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize)]
pub struct Nexthop {
    pub via: Option<IpAddr>,
    pub dev: Option<String>,
    /// 1..256; `None` = 1.
    pub weight: Option<u16>,
    pub onlink: bool,
    pub realms: Option<u32>,
}

/// One route line of virtual_routes / static_routes.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Route {
    pub family: Family,
    pub kind: RouteType,
    /// Destination; `addr: None` is `default`.
    pub dst: Prefix,
    /// `src`: the preferred source address.
    pub src: Option<IpAddr>,
    /// `from`: source prefix (IPv6 only).
    pub from: Option<Prefix>,
    /// `via` (or deprecated `gw`).
    pub via: Option<IpAddr>,
    /// `dev`/`oif`.
    pub dev: Option<String>,
    pub vrf: Option<String>,
    /// Default 254 (main).
    pub table: u32,
    /// `metric`/`priority`/`preference`.
    pub metric: Option<u32>,
    /// RT_SCOPE_*; `None` = universe.
    pub scope: Option<u8>,
    /// RTPROT_*: keepalived forces 18 (keepalived) unless `no_track`.
    pub protocol: Option<u8>,
    /// `tos`/`dsfield`.
    pub tos: Option<u8>,
    pub onlink: bool,
    pub mtu: Option<Metric>,
    pub hoplimit: Option<u8>,
    pub advmss: Option<Metric>,
    /// Milliseconds as written (`rtt 100ms` / `rtt 0.1s` / plain = ms).
    pub rtt: Option<Metric>,
    pub rttvar: Option<Metric>,
    pub reordering: Option<Metric>,
    pub window: Option<u32>,
    pub cwnd: Option<Metric>,
    pub ssthresh: Option<Metric>,
    pub realms: Option<u32>,
    pub rto_min: Option<Metric>,
    pub initcwnd: Option<u32>,
    pub initrwnd: Option<u32>,
    pub features_ecn: bool,
    pub quickack: Option<bool>,
    pub congctl: Option<(String, bool)>,
    /// IPv6 router preference: 0 medium, 1 high, 3 low (ICMPV6_ROUTER_PREF_*), or a number.
    pub pref: Option<u8>,
    pub expires: Option<u32>,
    pub ttl_propagate: Option<bool>,
    pub fastopen_no_cookie: Option<bool>,
    pub add: RouteAdd,
    pub nexthops: Vec<Nexthop>,
    pub no_track: bool,
    pub track_group: Option<String>,
    pub span: Span,
}

/// What a rule does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RuleAction {
    /// `table`/`lookup N`.
    Table(u32),
    /// `l3mdev`: the table of the L3 master device.
    L3mdev,
    Goto(u32),
    Nop,
    Blackhole,
    Unreachable,
    Prohibit,
}

impl Rule {
    /// The table a `table`/`lookup` rule sends to.
    pub fn table(&self) -> Option<u32> {
        match self.action {
            RuleAction::Table(t) => Some(t),
            _ => None,
        }
    }
}

/// A `sport`/`dport` range.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct PortRange {
    pub start: u16,
    pub end: u16,
}

/// One rule line of virtual_rules / static_rules.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Rule {
    pub family: Family,
    pub from: Option<Prefix>,
    pub to: Option<Prefix>,
    /// `not`.
    pub invert: bool,
    pub action: RuleAction,
    /// `preference`/`order`/`priority`. keepalived assigns one (16384 down, per family) when
    /// missing, with a warning; that value is here.
    pub priority: u32,
    pub tos: Option<u8>,
    /// `fwmark MARK[/MASK]`.
    pub fwmark: Option<(u32, Option<u32>)>,
    pub realms: Option<u32>,
    pub suppress_prefixlength: Option<u32>,
    pub suppress_ifgroup: Option<u32>,
    /// `dev`/`iif`.
    pub iif: Option<String>,
    pub oif: Option<String>,
    pub tunnel_id: Option<u64>,
    pub uidrange: Option<(u32, u32)>,
    /// RTPROT_*: keepalived forces 18 unless `no_track`.
    pub protocol: Option<u8>,
    pub ipproto: Option<u8>,
    pub sport: Option<PortRange>,
    pub dport: Option<PortRange>,
    pub no_track: bool,
    pub track_group: Option<String>,
    pub span: Span,
}

/// Every block this module reads, with every keyword it accepts there (aliases included): the
/// source of "did you mean" suggestions and of the completeness test against keepalived.conf(5).
pub const KEYWORDS: &[(&str, &[&str])] = &[("track_group", &["group"])];

/// Words allowed on an address line after the address.
pub const ADDRESS_OPTIONS: &[&str] = &[
    "dev",
    "scope",
    "broadcast",
    "brd",
    "label",
    "peer",
    "home",
    "-nodad",
    "mngtmpaddr",
    "noprefixroute",
    "autojoin",
    "no_track",
    "preferred_lft",
    "track_group",
    "use_vmac",
];

/// Words allowed on a route line.
pub const ROUTE_OPTIONS: &[&str] = &[
    "inet",
    "inet6",
    "src",
    "as",
    "via",
    "gw",
    "from",
    "tos",
    "dsfield",
    "table",
    "protocol",
    "scope",
    "metric",
    "priority",
    "preference",
    "dev",
    "oif",
    "onlink",
    "encap",
    "expires",
    "mtu",
    "hoplimit",
    "advmss",
    "rtt",
    "rttvar",
    "reordering",
    "window",
    "cwnd",
    "ssthresh",
    "realms",
    "rto_min",
    "initcwnd",
    "initrwnd",
    "features",
    "quickack",
    "congctl",
    "pref",
    "ttl-propagate",
    "fastopen_no_cookie",
    "add",
    "prepend",
    "append",
    "or",
    "nexthop",
    "no_track",
    "track_group",
    "vrf",
    "to",
];

/// Words allowed on a rule line.
pub const RULE_OPTIONS: &[&str] = &[
    "inet",
    "inet6",
    "from",
    "to",
    "table",
    "lookup",
    "not",
    "preference",
    "order",
    "priority",
    "tos",
    "dsfield",
    "fwmark",
    "realms",
    "suppress_prefixlength",
    "sup_pl",
    "suppress_ifgroup",
    "sup_group",
    "dev",
    "iif",
    "oif",
    "tunnel-id",
    "uidrange",
    "l3mdev",
    "protocol",
    "ipproto",
    "sport",
    "dport",
    "no_track",
    "track_group",
    "type",
    "goto",
    "nop",
    "blackhole",
    "unreachable",
    "prohibit",
];

/// Reads `node` if it is a top-level keyword this module owns; returns whether it was.
pub fn read_top(node: &Node, r: &mut Reader<'_>, cfg: &mut Config) -> bool {
    match node.keyword() {
        "static_ipaddress" => {
            if let Some(lines) = r.block(node) {
                for l in lines {
                    if let Some(a) = read_address(l, r, true) {
                        cfg.statics.addresses.push(a);
                    }
                }
            }
        }
        "static_routes" => {
            if let Some(lines) = r.block(node) {
                for l in lines {
                    if let Some(rt) = read_route(l, r, true) {
                        cfg.statics.routes.push(rt);
                    }
                }
            }
        }
        "static_rules" => {
            if let Some(lines) = r.block(node) {
                for l in lines {
                    if let Some(rule) = read_rule(l, r, true, &mut cfg.statics.auto_priorities) {
                        cfg.statics.rules.push(rule);
                    }
                }
            }
        }
        "track_group" => read_track_group(node, r, cfg),
        _ => return false,
    }
    true
}

/// How many rules of each family were numbered automatically so far.
#[derive(Debug, Clone, Copy, Default)]
pub struct AutoPriorities {
    v4: u32,
    v6: u32,
}

impl AutoPriorities {
    fn next(&mut self, family: Family) -> u32 {
        let used = match family {
            Family::V4 => &mut self.v4,
            Family::V6 => &mut self.v6,
        };
        let p = FIRST_AUTO_RULE_PRIORITY.saturating_sub(*used);
        *used += 1;
        p
    }
}

fn read_track_group(node: &Node, r: &mut Reader<'_>, cfg: &mut Config) {
    let Some(name) = node.arg(0).map(|w| w.text.to_string()) else {
        r.push(
            Diagnostic::error(Some(node.span()), "`track_group` needs a name")
                .note("keepalived skips this block"),
        );
        return;
    };
    if cfg.statics.track_groups.iter().any(|g| g.name == name) {
        r.push(
            Diagnostic::error(
                Some(Reader::span_of(node, 0)),
                format!("track_group {name} is already defined"),
            )
            .note("keepalived skips this block"),
        );
        return;
    }
    let mut g = TrackGroup {
        name,
        instances: Vec::new(),
        instance_spans: Vec::new(),
        span: node.span(),
    };
    if let Some(children) = r.block(node) {
        let mut seen_group = false;
        for c in children {
            match c.keyword() {
                "group" => {
                    if seen_group {
                        r.push(Diagnostic::error(
                            Some(c.span()),
                            format!("group list already given for track_group {}", g.name),
                        ));
                        continue;
                    }
                    seen_group = true;
                    let words = value_words(c, r);
                    g.instance_spans = words.iter().map(|(_, s)| *s).collect();
                    g.instances = words.into_iter().map(|(w, _)| w).collect();
                    if g.instances.is_empty() {
                        r.push(Diagnostic::warning(
                            Some(c.span()),
                            format!("track_group {} has an empty group block", g.name),
                        ));
                    }
                }
                _ => r.unknown(c, Some("track_group"), &["group"]),
            }
        }
    }
    cfg.statics.track_groups.push(g);
}

/// The words of a `{ a b c }` value block (every word of every line), or nothing (with an
/// error) when the block is missing.
pub fn value_block(node: &Node, r: &mut Reader<'_>) -> Vec<String> {
    value_words(node, r).into_iter().map(|(w, _)| w).collect()
}

/// As [`value_block`], with each word's span.
pub fn value_words(node: &Node, r: &mut Reader<'_>) -> Vec<(String, Span)> {
    match &node.block {
        Some(b) => {
            let mut out = Vec::new();
            for n in &b.nodes {
                for w in &n.words {
                    out.push((w.text.to_string(), w.span));
                }
                if n.block.is_some() {
                    r.push(
                        Diagnostic::error(
                            Some(n.span()),
                            format!("unexpected block inside `{}`", node.keyword()),
                        )
                        .note("keepalived skips it"),
                    );
                }
            }
            out
        }
        None => {
            r.block(node);
            Vec::new()
        }
    }
}

pub fn validate(cfg: &mut Config, r: &mut Reader<'_>, sys: &dyn System) {
    let ctx = IpContext::from_global(cfg);
    validate_with(cfg, r, sys, &ctx);
}

/// What the checks of static lines need from global_defs.
#[derive(Debug, Clone)]
pub struct IpContext {
    /// `dynamic_interfaces`: missing interfaces are fine.
    pub dynamic_interfaces: bool,
    /// `default_interface` (keepalived's default `eth0`): where static addresses without `dev` go.
    pub default_interface: String,
}

impl Default for IpContext {
    fn default() -> Self {
        IpContext {
            dynamic_interfaces: false,
            default_interface: "eth0".to_string(),
        }
    }
}

impl IpContext {
    /// The context from the configuration's global_defs.
    pub fn from_global(cfg: &Config) -> IpContext {
        super::global::ip_context(cfg)
    }
}

/// Host and reference checks of the static lines.
pub fn validate_with(cfg: &mut Config, r: &mut Reader<'_>, sys: &dyn System, ctx: &IpContext) {
    let instance_names: std::collections::HashSet<&str> =
        cfg.vrrp.instances.iter().map(|i| i.name.as_str()).collect();
    for g in &cfg.statics.track_groups {
        for (k, i) in g.instances.iter().enumerate() {
            if !instance_names.contains(i.as_str()) {
                r.push(
                    Diagnostic::advice(
                        Some(g.instance_spans.get(k).copied().unwrap_or(g.span)),
                        format!(
                            "track_group {} names vrrp_instance {i}, which is not defined",
                            g.name
                        ),
                    )
                    .note("keepalived ignores that name"),
                );
            }
        }
    }
    let groups: Vec<&str> = cfg
        .statics
        .track_groups
        .iter()
        .map(|g| g.name.as_str())
        .collect();
    let check_group = |r: &mut Reader<'_>, tg: &mut Option<String>, span: Span| {
        if let Some(name) = tg
            && !groups.contains(&name.as_str())
        {
            r.push(
                Diagnostic::error(Some(span), format!("track_group {name} not found"))
                    .help("define it with a top-level `track_group NAME { group { ... } }` block"),
            );
            *tg = None;
        }
    };
    let mut kept = Vec::new();
    for mut a in std::mem::take(&mut cfg.statics.addresses) {
        check_group(r, &mut a.track_group, a.span);
        match &a.dev {
            Some(d) => {
                if !check_interface(r, sys, ctx, d, a.span, "static address") {
                    continue;
                }
            }
            None => {
                if !ctx.dynamic_interfaces && !sys.interface_exists(&ctx.default_interface) {
                    r.push(
                        Diagnostic::fatal(
                            Some(a.span),
                            format!(
                                "static address {} has no `dev` and the default interface {} does not exist",
                                a.addr, ctx.default_interface
                            ),
                        )
                        .help("add `dev IFNAME` to the line, or set `default_interface` in global_defs"),
                    );
                    continue;
                }
            }
        }
        kept.push(a);
    }
    cfg.statics.addresses = kept;
    let mut kept = Vec::new();
    for mut rt in std::mem::take(&mut cfg.statics.routes) {
        check_group(r, &mut rt.track_group, rt.span);
        let mut ok = true;
        for d in rt
            .dev
            .iter()
            .chain(rt.nexthops.iter().filter_map(|n| n.dev.as_ref()))
        {
            ok &= check_interface(r, sys, ctx, d, rt.span, "route");
        }
        if ok {
            kept.push(rt);
        }
    }
    cfg.statics.routes = kept;
    let mut kept = Vec::new();
    for mut rule in std::mem::take(&mut cfg.statics.rules) {
        check_group(r, &mut rule.track_group, rule.span);
        let mut ok = true;
        for d in rule.iif.iter().chain(rule.oif.iter()) {
            ok &= check_interface(r, sys, ctx, d, rule.span, "rule");
        }
        if ok {
            kept.push(rule);
        }
    }
    cfg.statics.rules = kept;
}

/// keepalived's check of a `dev` on an address/route/rule line: an interface that does not exist
/// (and `dynamic_interfaces` is off) drops the line with an error.
pub fn check_interface(
    r: &mut Reader<'_>,
    sys: &dyn System,
    ctx: &IpContext,
    name: &str,
    span: Span,
    what: &str,
) -> bool {
    if ctx.dynamic_interfaces || sys.interface_exists(name) {
        return true;
    }
    r.push(
        Diagnostic::error(
            Some(span),
            format!("interface {name} of this {what} does not exist"),
        )
        .help("check the name with `ip link`, or set `dynamic_interfaces` in global_defs if it appears later")
        .note("keepalived drops this line"),
    );
    false
}

/// Walks the words of one line, reporting a missing value once.
struct Cursor<'n> {
    node: &'n Node,
    i: usize,
}

impl<'n> Cursor<'n> {
    fn new(node: &'n Node) -> Self {
        Cursor { node, i: 0 }
    }
    fn next(&mut self) -> Option<&'n crate::lex::Word> {
        let w = self.node.words.get(self.i);
        if w.is_some() {
            self.i += 1;
        }
        w
    }
    /// The value after option `opt`, or an error saying it is missing.
    fn value(
        &mut self,
        r: &mut Reader<'_>,
        opt: &crate::lex::Word,
    ) -> Option<&'n crate::lex::Word> {
        let v = self.next();
        if v.is_none() {
            r.push(
                Diagnostic::error(Some(opt.span), format!("`{}` needs a value", opt.text))
                    .note("keepalived drops this line"),
            );
        }
        v
    }
}

/// keepalived's address parsing: family from the presence of ':', optional `/LEN`.
/// An invalid prefix length falls back to the full length with an error; an invalid address is
/// an error and `None`.
pub fn parse_prefix(
    r: &mut Reader<'_>,
    word: &crate::lex::Word,
    allow_len: bool,
) -> Option<(IpAddr, u8)> {
    let text = word.text.as_str();
    let (addr_s, len_s) = match text.split_once('/') {
        Some((a, l)) if allow_len => (a, Some(l)),
        _ => (text, None),
    };
    let family = if addr_s.contains(':') {
        Family::V6
    } else {
        Family::V4
    };
    let addr: Option<IpAddr> = match family {
        Family::V4 => addr_s.parse::<Ipv4Addr>().ok().map(IpAddr::V4),
        Family::V6 => addr_s.parse::<std::net::Ipv6Addr>().ok().map(IpAddr::V6),
    };
    let Some(addr) = addr else {
        r.push(
            Diagnostic::error(Some(word.span), format!("invalid IP address '{text}'"))
                .help("write an IPv4 or IPv6 address, optionally with /PREFIX")
                .note("keepalived skips this address"),
        );
        return None;
    };
    let max = family.max_prefix();
    let mut len = max;
    if let Some(l) = len_s {
        match l.parse::<u8>() {
            Ok(v) if v <= max => len = v,
            _ => r.push(
                Diagnostic::error(
                    Some(word.span),
                    format!("invalid prefix length '{l}' for {addr_s}: must be 0 to {max}"),
                )
                .note(format!("keepalived uses /{max}")),
            ),
        }
    }
    Some((addr, len))
}

/// Reads one address line (a VIP, excluded VIP, or static address).
pub fn read_address(node: &Node, r: &mut Reader<'_>, static_addr: bool) -> Option<Vip> {
    if node.block.is_some() {
        r.no_block(node);
    }
    let mut c = Cursor::new(node);
    let first = c.next()?;
    let (addr, prefix) = parse_prefix(r, first, true)?;
    let family = Family::of(&addr);
    let mut v = Vip {
        addr,
        prefix,
        dev: None,
        broadcast: None,
        scope: None,
        label: None,
        peer: None,
        home: false,
        nodad: false,
        mngtmpaddr: false,
        noprefixroute: false,
        autojoin: false,
        no_track: false,
        preferred_lft: None,
        use_vmac: false,
        track_group: None,
        span: first.span,
    };
    let mut brd: Option<char> = None;
    let mut have_brd = false;
    while let Some(opt) = c.next() {
        match opt.text.as_str() {
            "dev" => {
                let d = c.value(r, opt)?;
                if v.dev.is_some() {
                    r.push(
                        Diagnostic::error(
                            Some(d.span),
                            format!("`dev` given twice for {}", first.text),
                        )
                        .note("keepalived drops this address"),
                    );
                    return None;
                }
                v.dev = Some(d.text.to_string());
            }
            "scope" => {
                let s = c.value(r, opt)?;
                match scope_value(&s.text) {
                    Some(n) => v.scope = Some(n),
                    None => r.push(
                        Diagnostic::error(Some(s.span), format!("invalid scope '{}'", s.text))
                            .help("use global, site, link, host, nowhere or a number 0-255")
                            .note("keepalived ignores the scope"),
                    ),
                }
            }
            "broadcast" | "brd" => {
                let b = c.value(r, opt)?;
                if family == Family::V6 {
                    r.push(
                        Diagnostic::error(
                            Some(opt.span),
                            format!(
                                "an IPv6 address ({}) cannot have a broadcast address",
                                first.text
                            ),
                        )
                        .note("keepalived drops this address"),
                    );
                    return None;
                }
                have_brd = true;
                match b.text.as_str() {
                    "+" => brd = Some('+'),
                    "-" => brd = Some('-'),
                    t => match t.parse::<Ipv4Addr>() {
                        Ok(a) => v.broadcast = Some(a),
                        Err(_) => {
                            r.push(
                                Diagnostic::error(
                                    Some(b.span),
                                    format!("invalid broadcast address '{t}'"),
                                )
                                .help("write an IPv4 address, `+` (all ones) or `-` (all zeros)")
                                .note("keepalived drops this address"),
                            );
                            return None;
                        }
                    },
                }
            }
            "label" => {
                let l = c.value(r, opt)?;
                if l.text.len() >= 16 {
                    r.push(
                        Diagnostic::error(
                            Some(l.span),
                            format!("address label '{}' is longer than 15 characters", l.text),
                        )
                        .note("keepalived drops this address"),
                    );
                    return None;
                }
                v.label = Some(l.text.to_string());
            }
            "peer" => {
                let p = c.value(r, opt)?;
                if v.peer.is_some() {
                    r.push(Diagnostic::error(
                        Some(p.span),
                        format!("peer {}: a peer was already given", p.text),
                    ));
                    continue;
                }
                if let Some((pa, plen)) = parse_prefix(r, p, false) {
                    if Family::of(&pa) != family {
                        r.push(Diagnostic::error(
                            Some(p.span),
                            format!("peer address {} is not of the address's family", p.text),
                        ));
                    } else {
                        if prefix != family.max_prefix() {
                            r.push(
                                Diagnostic::error(
                                    Some(first.span),
                                    "an address with a peer cannot have a prefix length",
                                )
                                .note("keepalived ignores the prefix length"),
                            );
                        }
                        v.peer = Some(pa);
                        v.prefix = plen;
                    }
                }
            }
            "home" => v.home = true,
            "-nodad" => v.nodad = true,
            "mngtmpaddr" => v.mngtmpaddr = true,
            "noprefixroute" => v.noprefixroute = true,
            "autojoin" => v.autojoin = true,
            "no_track" => v.no_track = true,
            "preferred_lft" => {
                let p = c.value(r, opt)?;
                if p.text == "forever" {
                    v.preferred_lft = None;
                } else {
                    match p.text.parse::<u32>() {
                        Ok(n) => v.preferred_lft = Some(n),
                        Err(_) => r.push(
                            Diagnostic::error(
                                Some(p.span),
                                format!("invalid preferred_lft '{}'", p.text),
                            )
                            .help("write a number of seconds or `forever`"),
                        ),
                    }
                }
            }
            "track_group" if static_addr => {
                let g = c.value(r, opt)?;
                if v.track_group.is_some() {
                    r.push(Diagnostic::error(
                        Some(g.span),
                        format!("track_group {} is a duplicate", g.text),
                    ));
                    break;
                }
                v.track_group = Some(g.text.to_string());
            }
            "use_vmac" if !static_addr => v.use_vmac = true,
            other @ ("use_vmac" | "track_group") => {
                let place = if static_addr {
                    "static_ipaddress"
                } else {
                    "virtual_ipaddress"
                };
                r.push(
                    Diagnostic::error(
                        Some(opt.span),
                        format!("`{other}` is not valid on a {place} line"),
                    )
                    .help(if other == "use_vmac" {
                        "use_vmac belongs to virtual_ipaddress lines"
                    } else {
                        "track_group belongs to static_ipaddress/static_routes/static_rules lines"
                    })
                    .note("keepalived ignores this word"),
                );
                if other == "track_group" {
                    c.next();
                }
            }
            other => {
                let mut d = Diagnostic::error(
                    Some(opt.span),
                    format!("unknown option '{other}' on address {}", first.text),
                );
                if let Some(s) = crate::diag::nearest(other, ADDRESS_OPTIONS.iter().copied()) {
                    d = d.help(format!("did you mean `{s}`?"));
                }
                r.push(d.note("keepalived ignores this word"));
            }
        }
    }
    if have_brd && v.peer.is_some() {
        r.push(
            Diagnostic::error(
                Some(first.span),
                "an address cannot have both a broadcast and a peer",
            )
            .note("keepalived ignores the broadcast address"),
        );
        v.broadcast = None;
    } else if let (Some(kind), IpAddr::V4(a)) = (brd, v.addr) {
        if v.prefix <= 30 {
            let base = match v.peer {
                Some(IpAddr::V4(p)) => p,
                _ => a,
            };
            let mask = u32::MAX.checked_shr(u32::from(v.prefix)).unwrap_or(0);
            let b = if kind == '+' {
                u32::from(base) | mask
            } else {
                u32::from(base) & !mask
            };
            v.broadcast = Some(Ipv4Addr::from(b));
        } else {
            r.push(Diagnostic::error(
                Some(first.span),
                format!(
                    "prefix length /{} is too long for a broadcast address",
                    v.prefix
                ),
            ));
        }
    }
    if family == Family::V6 {
        if v.scope.take().is_some() {
            r.push(
                Diagnostic::error(
                    Some(first.span),
                    format!("IPv6 address {} cannot have a scope", first.text),
                )
                .note("keepalived ignores the scope"),
            );
        }
        if v.label.take().is_some() {
            r.push(
                Diagnostic::error(
                    Some(first.span),
                    format!("IPv6 address {} cannot have a label", first.text),
                )
                .note("keepalived ignores the label"),
            );
        }
    }
    if v.track_group.is_some() && v.dev.is_none() {
        r.push(
            Diagnostic::error(
                Some(first.span),
                "a static address with track_group needs `dev`",
            )
            .note("keepalived ignores the track_group"),
        );
        v.track_group = None;
    }
    Some(v)
}

/// RT_SCOPE_* names as iproute2's rt_scopes has them, or a number.
pub fn scope_value(s: &str) -> Option<u8> {
    match s {
        "global" | "universe" => Some(0),
        "site" => Some(200),
        "link" => Some(253),
        "host" => Some(254),
        "nowhere" => Some(255),
        _ => parse_u32_any_base(s).and_then(|n| u8::try_from(n).ok()),
    }
}

/// Routing table names (rt_tables) or a number.
pub fn table_value(s: &str) -> Option<u32> {
    match s {
        "unspec" => Some(0),
        "default" => Some(253),
        "main" => Some(254),
        "local" => Some(255),
        _ => parse_u32_any_base(s),
    }
}

/// RTPROT_* names (rt_protos) or a number.
pub fn protocol_value(s: &str) -> Option<u8> {
    let named = match s {
        "unspec" => Some(0),
        "redirect" => Some(1),
        "kernel" => Some(2),
        "boot" => Some(3),
        "static" => Some(4),
        "gated" => Some(8),
        "ra" => Some(9),
        "mrt" => Some(10),
        "zebra" => Some(11),
        "bird" => Some(12),
        "dnrouted" => Some(13),
        "xorp" => Some(14),
        "ntk" => Some(15),
        "dhcp" => Some(16),
        "keepalived" => Some(18),
        "babel" => Some(42),
        "bgp" => Some(186),
        "isis" => Some(187),
        "ospf" => Some(188),
        "rip" => Some(189),
        "eigrp" => Some(192),
        _ => None,
    };
    named.or_else(|| parse_u32_any_base(s).and_then(|n| u8::try_from(n).ok()))
}

/// A number in C's base-0 notation (0x.., 0.., decimal).
pub fn parse_u32_any_base(s: &str) -> Option<u32> {
    if let Some(h) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        u32::from_str_radix(h, 16).ok()
    } else if s.len() > 1 && s.starts_with('0') {
        u32::from_str_radix(&s[1..], 8).ok()
    } else {
        s.parse().ok()
    }
}

/// `realms FROM/TO` or `realms TO`, numbers only (keepalived refuses names it does not know).
fn realms_value(s: &str) -> Option<u32> {
    match s.split_once('/') {
        Some((a, b)) => {
            let a = parse_u32_any_base(a).filter(|v| *v <= 0xffff)?;
            let b = parse_u32_any_base(b).filter(|v| *v <= 0xffff)?;
            Some((a << 16) | b)
        }
        None => parse_u32_any_base(s).filter(|v| *v <= 0xffff),
    }
}

/// Route/rule destination: `default`/`any`/`all` or an address with optional prefix.
fn parse_route_dst(r: &mut Reader<'_>, w: &crate::lex::Word) -> Option<Prefix> {
    match w.text.as_str() {
        "default" | "any" | "all" => Some(Prefix { addr: None, len: 0 }),
        "default6" => {
            r.push(
                Diagnostic::advice(Some(w.span), "`default6` is deprecated")
                    .help("write `inet6 default`"),
            );
            Some(Prefix { addr: None, len: 0 })
        }
        _ => {
            let (a, l) = parse_prefix(r, w, true)?;
            Some(Prefix {
                addr: Some(a),
                len: l,
            })
        }
    }
}

fn metric_value(
    r: &mut Reader<'_>,
    c: &mut Cursor<'_>,
    opt: &crate::lex::Word,
    time_ms: bool,
) -> Option<Metric> {
    let mut v = c.value(r, opt)?;
    let mut lock = false;
    if v.text == "lock" {
        lock = true;
        v = c.value(r, opt)?;
    }
    let value = if time_ms {
        time_value(&v.text)
    } else {
        parse_u32_any_base(&v.text)
    };
    match value {
        Some(value) => Some(Metric { value, lock }),
        None => {
            r.push(
                Diagnostic::error(
                    Some(v.span),
                    format!("invalid {} value '{}' for route", opt.text, v.text),
                )
                .note("keepalived drops this route"),
            );
            None
        }
    }
}

/// iproute2's time values for rtt/rttvar/rto_min: `Ns`, `Nms`, `Nmsec`, `Nsec`, plain = ms.
fn time_value(s: &str) -> Option<u32> {
    let (num, scale) = if let Some(n) = s.strip_suffix("ms").or_else(|| s.strip_suffix("msec")) {
        (n, 1.0)
    } else if let Some(n) = s
        .strip_suffix("secs")
        .or_else(|| s.strip_suffix("sec"))
        .or_else(|| s.strip_suffix('s'))
    {
        (n, 1000.0)
    } else {
        (s, 1.0)
    };
    let v: f64 = num.parse().ok()?;
    if !v.is_finite() || v < 0.0 {
        return None;
    }
    let ms = v * scale;
    (ms <= f64::from(u32::MAX)).then_some(ms as u32)
}

fn number<T: TryFrom<u64>>(
    r: &mut Reader<'_>,
    w: &crate::lex::Word,
    max: u64,
    what: &str,
) -> Option<T> {
    let v = parse_u32_any_base(&w.text).map(u64::from);
    match v.filter(|v| *v <= max).and_then(|v| T::try_from(v).ok()) {
        Some(v) => Some(v),
        None => {
            r.push(
                Diagnostic::error(Some(w.span), format!("invalid {what} '{}'", w.text))
                    .help(format!("write a number from 0 to {max}"))
                    .note("keepalived drops this line"),
            );
            None
        }
    }
}

fn set_family(
    r: &mut Reader<'_>,
    family: &mut Option<Family>,
    f: Family,
    w: &crate::lex::Word,
    what: &str,
) -> bool {
    match family {
        None => {
            *family = Some(f);
            true
        }
        Some(cur) if *cur == f => true,
        Some(cur) => {
            r.push(
                Diagnostic::error(
                    Some(w.span),
                    format!(
                        "cannot mix IPv4 and IPv6 in a {what}: '{}' is {}, the {what} is {}",
                        w.text,
                        f.name(),
                        cur.name()
                    ),
                )
                .note(format!("keepalived drops this {what}")),
            );
            false
        }
    }
}

/// keepalived 2.2.7 steps over the word after `inet`/`inet6` on route and rule lines (it
/// advances twice), so `inet6 default ...` loses its `default`. We do the same, and say so.
fn skip_after_family(r: &mut Reader<'_>, c: &mut Cursor<'_>, opt: &crate::lex::Word) {
    if let Some(w) = c.next() {
        r.push(
            Diagnostic::advice(
                Some(w.span),
                format!(
                    "keepalived 2.2.7 skips the word after `{}`: '{}' is ignored",
                    opt.text, w.text
                ),
            )
            .help(format!(
                "put `{}` last on the line, or leave it out (the addresses give the family)",
                opt.text
            )),
        );
    }
}

/// Reads one route line.
pub fn read_route(node: &Node, r: &mut Reader<'_>, allow_track_group: bool) -> Option<Route> {
    if node.block.is_some() {
        r.no_block(node);
    }
    let mut c = Cursor::new(node);
    let mut family: Option<Family> = None;
    let mut rt = Route {
        family: Family::V4,
        kind: RouteType::Unicast,
        dst: Prefix { addr: None, len: 0 },
        src: None,
        from: None,
        via: None,
        dev: None,
        vrf: None,
        table: RT_TABLE_MAIN,
        metric: None,
        scope: None,
        protocol: None,
        tos: None,
        onlink: false,
        mtu: None,
        hoplimit: None,
        advmss: None,
        rtt: None,
        rttvar: None,
        reordering: None,
        window: None,
        cwnd: None,
        ssthresh: None,
        realms: None,
        rto_min: None,
        initcwnd: None,
        initrwnd: None,
        features_ecn: false,
        quickack: None,
        congctl: None,
        pref: None,
        expires: None,
        ttl_propagate: None,
        fastopen_no_cookie: None,
        add: RouteAdd::Prepend,
        nexthops: Vec::new(),
        no_track: false,
        track_group: None,
        span: node.span(),
    };
    let mut have_dst = false;
    let mut dst_text = String::new();
    let mut have_or = false;
    while let Some(opt) = c.next() {
        match opt.text.as_str() {
            "inet" => {
                if !set_family(r, &mut family, Family::V4, opt, "route") {
                    return None;
                }
                skip_after_family(r, &mut c, opt);
            }
            "inet6" => {
                if !set_family(r, &mut family, Family::V6, opt, "route") {
                    return None;
                }
                skip_after_family(r, &mut c, opt);
            }
            "src" => {
                let w = c.value(r, opt)?;
                let (a, _) = parse_prefix(r, w, false)?;
                if !set_family(r, &mut family, Family::of(&a), w, "route") {
                    return None;
                }
                rt.src = Some(a);
            }
            "as" => {
                let w = c.value(r, opt)?;
                if w.text == "to" {
                    c.value(r, opt)?;
                }
                r.push(
                    Diagnostic::error(Some(opt.span), "`as [to]` is for MPLS routes only")
                        .note("keepalived ignores it"),
                );
            }
            "via" | "gw" => {
                if opt.text == "gw" {
                    r.push(
                        Diagnostic::warning(Some(opt.span), "`gw` for routes is deprecated")
                            .help("write `via`"),
                    );
                }
                let mut w = c.value(r, opt)?;
                if w.text == "inet" || w.text == "inet6" {
                    let f = if w.text == "inet" {
                        Family::V4
                    } else {
                        Family::V6
                    };
                    if !set_family(r, &mut family, f, w, "route") {
                        return None;
                    }
                    w = c.value(r, opt)?;
                }
                let (a, _) = parse_prefix(r, w, false)?;
                if !set_family(r, &mut family, Family::of(&a), w, "route") {
                    return None;
                }
                rt.via = Some(a);
            }
            "from" => {
                let w = c.value(r, opt)?;
                let p = parse_route_dst(r, w)?;
                let f = p
                    .addr
                    .map(|a| Family::of(&a))
                    .or(family)
                    .unwrap_or(Family::V4);
                if f != Family::V6 {
                    r.push(
                        Diagnostic::error(
                            Some(w.span),
                            format!("a route's `from` is only supported with IPv6 ({})", w.text),
                        )
                        .note("keepalived drops this route"),
                    );
                    return None;
                }
                if !set_family(r, &mut family, f, w, "route") {
                    return None;
                }
                rt.from = Some(p);
            }
            "tos" | "dsfield" => {
                let w = c.value(r, opt)?;
                rt.tos = Some(number(r, w, 255, "TOS value")?);
            }
            "table" => {
                let w = c.value(r, opt)?;
                match table_value(&w.text) {
                    Some(t) => rt.table = t,
                    None => {
                        r.push(
                            Diagnostic::error(
                                Some(w.span),
                                format!("routing table '{}' not found", w.text),
                            )
                            .help("use a number, or main/local/default")
                            .note("keepalived drops this route"),
                        );
                        return None;
                    }
                }
            }
            "protocol" => {
                let w = c.value(r, opt)?;
                match protocol_value(&w.text) {
                    Some(p) => rt.protocol = Some(p),
                    None => {
                        r.push(
                            Diagnostic::error(
                                Some(w.span),
                                format!("route protocol '{}' is unknown or invalid", w.text),
                            )
                            .note("keepalived drops this route"),
                        );
                        return None;
                    }
                }
            }
            "scope" => {
                let w = c.value(r, opt)?;
                match scope_value(&w.text) {
                    Some(s) => rt.scope = Some(s),
                    None => {
                        r.push(
                            Diagnostic::error(Some(w.span), format!("invalid scope '{}'", w.text))
                                .help("use global, site, link, host, nowhere or a number")
                                .note("keepalived drops this route"),
                        );
                        return None;
                    }
                }
            }
            "metric" | "priority" | "preference" => {
                let w = c.value(r, opt)?;
                rt.metric = Some(number(r, w, u64::from(u32::MAX), "metric")?);
            }
            "dev" | "oif" => {
                let w = c.value(r, opt)?;
                rt.dev = Some(w.text.to_string());
            }
            "onlink" => rt.onlink = true,
            "encap" => {
                r.push(
                    Diagnostic::error(Some(opt.span), "route `encap` is not supported")
                        .note("keepalived (this build) ignores it; the rest of the line is read as options"),
                );
            }
            "expires" => {
                let w = c.value(r, opt)?;
                if family == Some(Family::V4) {
                    r.push(
                        Diagnostic::error(
                            Some(opt.span),
                            "`expires` is only valid for IPv6 routes",
                        )
                        .note("keepalived drops this route"),
                    );
                    return None;
                }
                family = Some(Family::V6);
                rt.expires = Some(number(r, w, u64::from(u32::MAX), "expires time")?);
            }
            "mtu" => rt.mtu = Some(metric_value(r, &mut c, opt, false)?),
            "hoplimit" => {
                let w = c.value(r, opt)?;
                rt.hoplimit = Some(number(r, w, 255, "hoplimit")?);
            }
            "advmss" => rt.advmss = Some(metric_value(r, &mut c, opt, false)?),
            "rtt" => rt.rtt = Some(metric_value(r, &mut c, opt, true)?),
            "rttvar" => rt.rttvar = Some(metric_value(r, &mut c, opt, true)?),
            "reordering" => rt.reordering = Some(metric_value(r, &mut c, opt, false)?),
            "window" => {
                let w = c.value(r, opt)?;
                rt.window = Some(number(r, w, u64::from(u32::MAX), "window")?);
            }
            "cwnd" => rt.cwnd = Some(metric_value(r, &mut c, opt, false)?),
            "ssthresh" => rt.ssthresh = Some(metric_value(r, &mut c, opt, false)?),
            "realms" => {
                let w = c.value(r, opt)?;
                let Some(v) = realms_value(&w.text) else {
                    r.push(
                        Diagnostic::error(
                            Some(w.span),
                            format!("invalid realms '{}' for route", w.text),
                        )
                        .help("write FROM/TO or TO as numbers 0-65535")
                        .note("keepalived drops this route"),
                    );
                    return None;
                };
                if family == Some(Family::V6) {
                    r.push(
                        Diagnostic::error(Some(opt.span), "realms are only valid for IPv4 routes")
                            .note("keepalived drops this route"),
                    );
                    return None;
                }
                family = Some(Family::V4);
                rt.realms = Some(v);
            }
            "rto_min" => rt.rto_min = Some(metric_value(r, &mut c, opt, true)?),
            "initcwnd" => {
                let w = c.value(r, opt)?;
                rt.initcwnd = Some(number(r, w, u64::from(u32::MAX), "initcwnd")?);
            }
            "initrwnd" => {
                let w = c.value(r, opt)?;
                rt.initrwnd = Some(number(r, w, u64::from(u32::MAX), "initrwnd")?);
            }
            "features" => {
                let w = c.value(r, opt)?;
                if w.text == "ecn" {
                    rt.features_ecn = true;
                } else {
                    r.push(
                        Diagnostic::error(
                            Some(w.span),
                            format!("route feature '{}' is not supported", w.text),
                        )
                        .help("the only feature is `ecn`"),
                    );
                }
            }
            "quickack" => {
                let w = c.value(r, opt)?;
                let v: u8 = number(r, w, 1, "quickack value")?;
                rt.quickack = Some(v == 1);
            }
            "congctl" => {
                let mut w = c.value(r, opt)?;
                let mut lock = false;
                if w.text == "lock" {
                    lock = true;
                    w = c.value(r, opt)?;
                }
                rt.congctl = Some((w.text.to_string(), lock));
            }
            "pref" => {
                let w = c.value(r, opt)?;
                if family == Some(Family::V4) {
                    r.push(
                        Diagnostic::error(Some(opt.span), "`pref` is only valid for IPv6 routes")
                            .note("keepalived drops this route"),
                    );
                    return None;
                }
                family = Some(Family::V6);
                rt.pref = Some(match w.text.as_str() {
                    "low" => 3,
                    "medium" => 0,
                    "high" => 1,
                    _ => number(r, w, 255, "pref value")?,
                });
            }
            "ttl-propagate" => {
                let w = c.value(r, opt)?;
                match w.text.as_str() {
                    "enabled" => rt.ttl_propagate = Some(true),
                    "disabled" => rt.ttl_propagate = Some(false),
                    _ => r.push(
                        Diagnostic::error(
                            Some(w.span),
                            format!("ttl-propagate value '{}' not recognised", w.text),
                        )
                        .help("write `enabled` or `disabled`"),
                    ),
                }
            }
            "fastopen_no_cookie" => {
                let w = c.value(r, opt)?;
                let v: u8 = number(r, w, 1, "fastopen_no_cookie value")?;
                rt.fastopen_no_cookie = Some(v == 1);
            }
            "add" => rt.add = RouteAdd::Add,
            "prepend" => rt.add = RouteAdd::Prepend,
            "append" => rt.add = RouteAdd::Append,
            "or" => {
                r.push(
                    Diagnostic::warning(Some(opt.span), "`or` for routes is deprecated")
                        .help("write `nexthop via A nexthop via B`"),
                );
                let w = c.value(r, opt)?;
                if have_or {
                    r.push(Diagnostic::error(
                        Some(opt.span),
                        "an `or` route was already given: this one is ignored",
                    ));
                    continue;
                }
                have_or = true;
                let (a, _) = parse_prefix(r, w, false)?;
                rt.nexthops.push(Nexthop {
                    via: rt.via.take(),
                    ..Nexthop::default()
                });
                rt.nexthops.push(Nexthop {
                    via: Some(a),
                    ..Nexthop::default()
                });
            }
            "nexthop" => {
                if have_or {
                    r.push(Diagnostic::error(
                        Some(opt.span),
                        "nexthops cannot be combined with an `or` route",
                    ));
                    break;
                }
                read_nexthops(r, &mut c, &mut rt, &mut family)?;
                break;
            }
            "no_track" => rt.no_track = true,
            "track_group" if allow_track_group => {
                let w = c.value(r, opt)?;
                if rt.track_group.is_some() {
                    r.push(Diagnostic::error(
                        Some(w.span),
                        format!("track_group {} is a duplicate", w.text),
                    ));
                    break;
                }
                rt.track_group = Some(w.text.to_string());
            }
            "vrf" => {
                let w = c.value(r, opt)?;
                rt.vrf = Some(w.text.to_string());
            }
            _ => {
                let mut w = opt;
                if w.text == "to" {
                    w = c.value(r, opt)?;
                }
                if let Some((_, k)) = ROUTE_TYPES.iter().find(|(n, _)| *n == w.text) {
                    rt.kind = *k;
                    w = c.value(r, w)?;
                }
                let p = match w.text.as_str() {
                    "default" | "any" | "all" | "default6" => parse_route_dst(r, w)?,
                    t if t.parse::<IpAddr>().is_ok()
                        || t.split_once('/')
                            .is_some_and(|(a, _)| a.parse::<IpAddr>().is_ok()) =>
                    {
                        parse_route_dst(r, w)?
                    }
                    t => {
                        let mut d =
                            Diagnostic::error(Some(w.span), format!("unknown route keyword '{t}'"));
                        if let Some(s) = crate::diag::nearest(t, ROUTE_OPTIONS.iter().copied()) {
                            d = d.help(format!("did you mean `{s}`?"));
                        }
                        r.push(d.note("keepalived drops this route"));
                        return None;
                    }
                };
                if w.text == "default6" {
                    family.get_or_insert(Family::V6);
                }
                if let Some(a) = p.addr
                    && !set_family(r, &mut family, Family::of(&a), w, "route")
                {
                    return None;
                }
                rt.dst = p;
                have_dst = true;
                dst_text = w.text.to_string();
            }
        }
    }
    if !have_dst {
        r.push(
            Diagnostic::error(Some(node.span()), "a route needs a destination")
                .help("start the line with the destination, e.g. `10.0.0.0/8 via 192.168.1.1 dev eth0`")
                .note("keepalived drops this route"),
        );
        return None;
    }
    rt.family = family.unwrap_or(Family::V4);
    if !rt.no_track {
        if rt.protocol.is_some_and(|p| p != RTPROT_KEEPALIVED) {
            r.push(
                Diagnostic::error(
                    Some(node.span()),
                    "a tracked route must have protocol keepalived (18): keepalived resets it",
                )
                .help("add `no_track` to keep your protocol"),
            );
        }
        rt.protocol = Some(RTPROT_KEEPALIVED);
        if rt.dev.is_none() {
            r.push(
                Diagnostic::error(
                    Some(node.span()),
                    format!("route {dst_text} cannot be tracked without `dev`: it is not tracked"),
                )
                .help("add `dev IFNAME`, or `no_track` to say it need not be tracked"),
            );
            rt.no_track = true;
        }
    }
    if rt.track_group.is_some() && rt.dev.is_none() {
        r.push(
            Diagnostic::error(
                Some(node.span()),
                "a static route with track_group needs `dev`",
            )
            .note("keepalived ignores the track_group"),
        );
        rt.track_group = None;
    }
    Some(rt)
}

fn read_nexthops(
    r: &mut Reader<'_>,
    c: &mut Cursor<'_>,
    rt: &mut Route,
    family: &mut Option<Family>,
) -> Option<()> {
    let mut nh = Nexthop::default();
    let mut started = true;
    while let Some(opt) = c.next() {
        match opt.text.as_str() {
            "nexthop" => {
                rt.nexthops.push(std::mem::take(&mut nh));
                started = true;
            }
            "via" => {
                let mut w = c.value(r, opt)?;
                if w.text == "inet" || w.text == "inet6" {
                    w = c.value(r, opt)?;
                }
                let (a, _) = parse_prefix(r, w, false)?;
                if !set_family(r, family, Family::of(&a), w, "route") {
                    return None;
                }
                nh.via = Some(a);
            }
            "dev" => nh.dev = Some(c.value(r, opt)?.text.to_string()),
            "weight" => {
                let w = c.value(r, opt)?;
                let v: u16 = number(r, w, 256, "nexthop weight")?;
                if v == 0 {
                    r.push(Diagnostic::error(
                        Some(w.span),
                        "nexthop weight must be 1 to 256",
                    ));
                    return None;
                }
                nh.weight = Some(v);
            }
            "onlink" => nh.onlink = true,
            "realms" => {
                let w = c.value(r, opt)?;
                nh.realms = Some(realms_value(&w.text).or_else(|| {
                    r.push(Diagnostic::error(
                        Some(w.span),
                        format!("invalid realms '{}' for nexthop", w.text),
                    ));
                    None
                })?);
            }
            "encap" => {
                r.push(Diagnostic::error(
                    Some(opt.span),
                    "nexthop `encap` is not supported",
                ));
            }
            t => {
                r.push(
                    Diagnostic::error(Some(opt.span), format!("unknown nexthop option '{t}'"))
                        .help("a nexthop takes via, dev, weight, onlink and realms")
                        .note("keepalived drops this route"),
                );
                return None;
            }
        }
    }
    if started {
        rt.nexthops.push(nh);
    }
    Some(())
}

/// Reads one rule line. `auto` numbers rules without a preference as keepalived does.
pub fn read_rule(
    node: &Node,
    r: &mut Reader<'_>,
    allow_track_group: bool,
    auto: &mut AutoPriorities,
) -> Option<Rule> {
    if node.block.is_some() {
        r.no_block(node);
    }
    let mut c = Cursor::new(node);
    let mut family: Option<Family> = None;
    let mut rule = Rule {
        family: Family::V4,
        from: None,
        to: None,
        invert: false,
        action: RuleAction::Nop,
        priority: 0,
        tos: None,
        fwmark: None,
        realms: None,
        suppress_prefixlength: None,
        suppress_ifgroup: None,
        iif: None,
        oif: None,
        tunnel_id: None,
        uidrange: None,
        protocol: None,
        ipproto: None,
        sport: None,
        dport: None,
        no_track: false,
        track_group: None,
        span: node.span(),
    };
    let mut action: Option<RuleAction> = None;
    let mut priority: Option<u32> = None;
    let mut table_option = false;
    let mut set_action = |r: &mut Reader<'_>, a: RuleAction, w: &crate::lex::Word| -> bool {
        if action.is_some() {
            r.push(
                Diagnostic::error(
                    Some(w.span),
                    "a rule takes only one of table, l3mdev, goto, nop, blackhole, prohibit and unreachable",
                )
                .note("keepalived drops this rule"),
            );
            return false;
        }
        action = Some(a);
        true
    };
    while let Some(opt) = c.next() {
        match opt.text.as_str() {
            "inet" => {
                if !set_family(r, &mut family, Family::V4, opt, "rule") {
                    return None;
                }
                skip_after_family(r, &mut c, opt);
            }
            "inet6" => {
                if !set_family(r, &mut family, Family::V6, opt, "rule") {
                    return None;
                }
                skip_after_family(r, &mut c, opt);
            }
            "from" | "to" => {
                let w = c.value(r, opt)?;
                let p = parse_route_dst(r, w)?;
                if let Some(a) = p.addr
                    && !set_family(r, &mut family, Family::of(&a), w, "rule")
                {
                    return None;
                }
                if opt.text == "from" {
                    rule.from = Some(p);
                } else {
                    rule.to = Some(p);
                }
            }
            "table" | "lookup" => {
                let w = c.value(r, opt)?;
                let Some(t) = table_value(&w.text) else {
                    r.push(
                        Diagnostic::error(
                            Some(w.span),
                            format!("routing table '{}' not found", w.text),
                        )
                        .note("keepalived drops this rule"),
                    );
                    return None;
                };
                if t == 0 {
                    r.push(
                        Diagnostic::error(Some(w.span), "table 0 is not valid for a rule")
                            .note("keepalived drops this rule"),
                    );
                    return None;
                }
                if !set_action(r, RuleAction::Table(t), opt) {
                    return None;
                }
            }
            "not" => rule.invert = true,
            "preference" | "order" | "priority" => {
                let w = c.value(r, opt)?;
                priority = Some(number(r, w, u64::from(u32::MAX), "rule preference")?);
            }
            "tos" | "dsfield" => {
                let w = c.value(r, opt)?;
                rule.tos = Some(number(r, w, 255, "TOS value")?);
            }
            "fwmark" => {
                let w = c.value(r, opt)?;
                let parsed = match w.text.split_once('/') {
                    Some((m, k)) => parse_u32_any_base(m)
                        .and_then(|m| parse_u32_any_base(k).map(|k| (m, Some(k)))),
                    None => parse_u32_any_base(&w.text).map(|m| (m, None)),
                };
                match parsed {
                    Some(v) => rule.fwmark = Some(v),
                    None => {
                        r.push(
                            Diagnostic::error(
                                Some(w.span),
                                format!("invalid rule fwmark '{}'", w.text),
                            )
                            .help("write MARK or MARK/MASK as numbers")
                            .note("keepalived drops this rule"),
                        );
                        return None;
                    }
                }
            }
            "realms" => {
                let w = c.value(r, opt)?;
                let Some(v) = realms_value(&w.text) else {
                    r.push(
                        Diagnostic::error(
                            Some(w.span),
                            format!("invalid realms '{}' for rule", w.text),
                        )
                        .note("keepalived drops this rule"),
                    );
                    return None;
                };
                if !set_family(r, &mut family, Family::V4, opt, "rule") {
                    return None;
                }
                rule.realms = Some(v);
                table_option = true;
            }
            "suppress_prefixlength" | "sup_pl" => {
                let w = c.value(r, opt)?;
                rule.suppress_prefixlength =
                    Some(number(r, w, i32::MAX as u64, "suppress_prefixlength")?);
                table_option = true;
            }
            "suppress_ifgroup" | "sup_group" => {
                let w = c.value(r, opt)?;
                rule.suppress_ifgroup = Some(if w.text == "default" {
                    0
                } else {
                    number(r, w, u64::from(u32::MAX), "suppress_ifgroup")?
                });
                table_option = true;
            }
            "dev" | "iif" => rule.iif = Some(c.value(r, opt)?.text.to_string()),
            "oif" => rule.oif = Some(c.value(r, opt)?.text.to_string()),
            "tunnel-id" => {
                let w = c.value(r, opt)?;
                match w.text.parse::<u64>() {
                    Ok(v) => rule.tunnel_id = Some(v),
                    Err(_) => {
                        r.push(
                            Diagnostic::error(
                                Some(w.span),
                                format!("invalid tunnel-id '{}'", w.text),
                            )
                            .note("keepalived drops this rule"),
                        );
                        return None;
                    }
                }
            }
            "uidrange" => {
                let w = c.value(r, opt)?;
                let parsed = w
                    .text
                    .split_once('-')
                    .and_then(|(a, b)| Some((a.parse::<u32>().ok()?, b.parse::<u32>().ok()?)));
                match parsed {
                    Some(v) => rule.uidrange = Some(v),
                    None => {
                        r.push(
                            Diagnostic::error(
                                Some(w.span),
                                format!("invalid uidrange '{}'", w.text),
                            )
                            .help("write FIRST-LAST, e.g. 1000-1999")
                            .note("keepalived drops this rule"),
                        );
                        return None;
                    }
                }
            }
            "l3mdev" => {
                if !set_action(r, RuleAction::L3mdev, opt) {
                    return None;
                }
            }
            "protocol" => {
                let w = c.value(r, opt)?;
                match w.text.parse::<u8>() {
                    Ok(p) => rule.protocol = Some(p),
                    Err(_) => r.push(
                        Diagnostic::error(Some(w.span), format!("invalid protocol '{}'", w.text))
                            .help("a rule's protocol is a number 0-255"),
                    ),
                }
            }
            "ipproto" => {
                let w = c.value(r, opt)?;
                match ip_protocol(&w.text) {
                    Some(p) => rule.ipproto = Some(p),
                    None => r.push(
                        Diagnostic::error(Some(w.span), format!("invalid ipproto '{}'", w.text))
                            .help("write tcp, udp, icmp, ... or a number 0-255"),
                    ),
                }
            }
            "sport" | "dport" => {
                let w = c.value(r, opt)?;
                let parsed = match w.text.split_once('-') {
                    Some((a, b)) => a.parse::<u16>().ok().zip(b.parse::<u16>().ok()),
                    None => None,
                };
                if parsed.is_none() && w.text.parse::<u16>().is_ok() {
                    // 2.2.7 means to accept a single port but its check rejects it.
                    r.push(
                        Diagnostic::error(
                            Some(w.span),
                            format!(
                                "keepalived 2.2.7 rejects a single {} '{}'",
                                opt.text, w.text
                            ),
                        )
                        .help(format!(
                            "write a range: `{} {}-{}`",
                            opt.text, w.text, w.text
                        ))
                        .note("keepalived ignores it"),
                    );
                    continue;
                }
                match parsed {
                    Some((start, end)) => {
                        let pr = Some(PortRange { start, end });
                        if opt.text == "sport" {
                            rule.sport = pr;
                        } else {
                            rule.dport = pr;
                        }
                    }
                    None => r.push(
                        Diagnostic::error(
                            Some(w.span),
                            format!("invalid {} range '{}'", opt.text, w.text),
                        )
                        .help("write PORT or FIRST-LAST"),
                    ),
                }
            }
            "no_track" => rule.no_track = true,
            "track_group" if allow_track_group => {
                let w = c.value(r, opt)?;
                if rule.track_group.is_some() {
                    r.push(Diagnostic::error(
                        Some(w.span),
                        format!("track_group {} is a duplicate", w.text),
                    ));
                    break;
                }
                rule.track_group = Some(w.text.to_string());
            }
            _ => {
                let mut w = opt;
                if w.text == "type" {
                    w = c.value(r, opt)?;
                }
                let a = match w.text.as_str() {
                    "goto" => {
                        let t = c.value(r, w)?;
                        RuleAction::Goto(number(r, t, u64::from(u32::MAX), "goto target")?)
                    }
                    "nop" => RuleAction::Nop,
                    "blackhole" => RuleAction::Blackhole,
                    "unreachable" => RuleAction::Unreachable,
                    "prohibit" => RuleAction::Prohibit,
                    t if ROUTE_TYPES.iter().any(|(n, _)| *n == t) => {
                        r.push(
                            Diagnostic::error(Some(w.span), format!("invalid rule action '{t}'"))
                                .help("a rule's type is blackhole, unreachable, prohibit, nop or goto")
                                .note("keepalived drops this rule"),
                        );
                        return None;
                    }
                    t => {
                        let mut d =
                            Diagnostic::error(Some(w.span), format!("unknown rule option '{t}'"));
                        if let Some(s) = crate::diag::nearest(t, RULE_OPTIONS.iter().copied()) {
                            d = d.help(format!("did you mean `{s}`?"));
                        }
                        r.push(d.note("keepalived drops this rule"));
                        return None;
                    }
                };
                if !set_action(r, a, w) {
                    return None;
                }
            }
        }
    }
    let Some(act) = action else {
        r.push(
            Diagnostic::error(Some(node.span()), "the rule has no action")
                .help("add `table N` (or goto/nop/blackhole/prohibit/unreachable/l3mdev)")
                .note("keepalived drops this rule"),
        );
        return None;
    };
    rule.action = act;
    if let RuleAction::Goto(target) = act {
        match priority {
            Some(p) if p >= target => {
                r.push(
                    Diagnostic::error(
                        Some(node.span()),
                        format!("rule preference {p} is not below its goto target {target}"),
                    )
                    .note("keepalived drops this rule"),
                );
                return None;
            }
            Some(_) => {}
            None => {
                r.push(
                    Diagnostic::error(
                        Some(node.span()),
                        format!("goto target {target} needs a `preference` on the rule"),
                    )
                    .note("keepalived drops this rule"),
                );
                return None;
            }
        }
    }
    if table_option && !matches!(act, RuleAction::Table(_)) {
        r.push(
            Diagnostic::error(
                Some(node.span()),
                "suppress_prefixlength/suppress_ifgroup/realms need a `table` action",
            )
            .note("keepalived drops this rule"),
        );
        return None;
    }
    if !rule.no_track {
        if rule.protocol.is_some_and(|p| p != RTPROT_KEEPALIVED) {
            r.push(
                Diagnostic::error(
                    Some(node.span()),
                    "a tracked rule must have protocol 18 (keepalived): keepalived resets it",
                )
                .help("add `no_track` to keep your protocol"),
            );
        }
        rule.protocol = Some(RTPROT_KEEPALIVED);
    }
    if rule.track_group.is_some() && rule.iif.is_none() {
        r.push(
            Diagnostic::error(
                Some(node.span()),
                "a static rule with track_group needs `iif`/`dev`",
            )
            .note("keepalived ignores the track_group"),
        );
        rule.track_group = None;
    }
    rule.family = family.unwrap_or(Family::V4);
    rule.priority = match priority {
        Some(p) => p,
        None => {
            let p = auto.next(rule.family);
            r.push(
                Diagnostic::error(
                    Some(node.span()),
                    format!("the rule has no preference: keepalived sets {p}, which is probably not what you want"),
                )
                .help("add `preference N`"),
            );
            p
        }
    };
    Some(rule)
}

/// IP protocol names as /etc/protocols has them (the common ones), or a number.
fn ip_protocol(s: &str) -> Option<u8> {
    let named = match s.to_ascii_lowercase().as_str() {
        "ip" => Some(0),
        "icmp" => Some(1),
        "igmp" => Some(2),
        "tcp" => Some(6),
        "udp" => Some(17),
        "gre" => Some(47),
        "esp" => Some(50),
        "ah" => Some(51),
        "ipv6-icmp" | "icmpv6" => Some(58),
        "sctp" => Some(132),
        "vrrp" => Some(112),
        _ => None,
    };
    named.or_else(|| s.parse().ok())
}
