//! `bfd_instance` blocks (RFC 5880 sessions): keepalived 2.2.7's keywords, defaults, ranges and
//! the checks it applies when a block ends (neighbour required, families, duplicates, max_hops).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::Duration;

use super::Config;
use crate::System;
use crate::diag::Diagnostic;
use crate::read::Reader;
use crate::source::Span;
use crate::tree::Node;

/// Default `min_rx` and `min_tx` (10 ms).
pub const DEFAULT_MIN_RX: Duration = Duration::from_millis(10);
pub const DEFAULT_MIN_TX: Duration = Duration::from_millis(10);
/// Default `idle_tx` (1 s); also its minimum.
pub const DEFAULT_IDLE_TX: Duration = Duration::from_millis(1000);
/// Default detection multiplier.
pub const DEFAULT_MULTIPLIER: u8 = 5;
/// TTL sent on IPv4 sessions when none is configured.
pub const DEFAULT_TTL: u8 = 255;
/// Hop limit sent on IPv6 sessions when none is configured.
pub const DEFAULT_HOPLIMIT: u8 = 64;
/// Instance names are shorter than this.
pub const NAME_MAX: usize = 32;
/// Intervals above this many ms are accepted but keepalived calls them not sensible.
pub const MAX_SENSIBLE_MS: u64 = 10_000;
/// Interval range in ms: `[1, u32::MAX / 1000]` (idle_tx from 1000).
pub const INTERVAL_MAX_MS: u64 = u32::MAX as u64 / 1000;
/// Track weight range.
pub const WEIGHT_MIN: i32 = -253;
pub const WEIGHT_MAX: i32 = 253;
/// UDP port of single-hop BFD control packets.
pub const CONTROL_PORT: u16 = 3784;

/// Every bfd_instance of the configuration.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Bfd {
    /// The sessions keepalived's BFD process runs (complete, valid, not duplicated).
    pub instances: Vec<BfdInstance>,
    /// Every bfd_instance name read, with the processes it reports to: what `track_bfd` and
    /// `BFD_CHECK` may name (keepalived's VRRP and checker processes keep a block's name even
    /// when the BFD process disables it).
    pub names: Vec<BfdName>,
}

impl Bfd {
    /// Names `track_bfd` (VRRP) may refer to.
    pub fn vrrp_names(&self) -> Vec<String> {
        self.names
            .iter()
            .filter(|n| n.vrrp)
            .map(|n| n.name.clone())
            .collect()
    }

    /// Names `BFD_CHECK` (checker) may refer to.
    pub fn checker_names(&self) -> Vec<String> {
        self.names
            .iter()
            .filter(|n| n.checker)
            .map(|n| n.name.clone())
            .collect()
    }

    /// The bfd_instance named `name` that runs, if any.
    pub fn instance(&self, name: &str) -> Option<&BfdInstance> {
        self.instances.iter().find(|i| i.name == name)
    }
}

/// A bfd_instance name and where its events go.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct BfdName {
    pub name: String,
    pub vrrp: bool,
    pub checker: bool,
    /// The instance's default track weight (`weight`), -253..=253.
    pub weight: i32,
    pub weight_reverse: bool,
    pub span: Span,
}

/// One `bfd_instance NAME { ... }`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct BfdInstance {
    pub name: String,
    /// `neighbor_ip` / `neighbour_ip` (required).
    pub neighbor_ip: IpAddr,
    /// `source_ip` (same family as the neighbour).
    pub source_ip: Option<IpAddr>,
    /// `min_rx MS` (decimal, microsecond resolution; default 10 ms).
    pub min_rx: Duration,
    /// `min_tx MS` (default 10 ms).
    pub min_tx: Duration,
    /// `idle_tx MS` (1000 ms or more; default 1000 ms).
    pub idle_tx: Duration,
    /// `multiplier N` (1..=255, default 5).
    pub multiplier: u8,
    /// `passive`: wait for the neighbour to start.
    pub passive: bool,
    /// `ttl` / `hoplimit` (1..=255); resolved: 255 for IPv4, 64 for IPv6 when not given.
    pub ttl: u8,
    /// `max_hops N` (-1..=255, default 0; at most `ttl`).
    pub max_hops: i16,
    /// `weight N [reverse]`: default weight of `track_bfd` entries naming this instance.
    pub weight: i32,
    pub weight_reverse: bool,
    /// `vrrp` / `checker`: where events go; neither given means both.
    pub vrrp: bool,
    pub checker: bool,
    pub span: Span,
}

/// The keywords of a bfd_instance block.
pub const BFD_KEYWORDS: &[&str] = &[
    "source_ip",
    "neighbor_ip",
    "neighbour_ip",
    "min_rx",
    "min_tx",
    "idle_tx",
    "multiplier",
    "passive",
    "ttl",
    "hoplimit",
    "max_hops",
    "weight",
    "vrrp",
    "checker",
];

/// Every block this module reads, with every keyword it accepts there (aliases included): the
/// source of "did you mean" suggestions and of the completeness test against keepalived.conf(5).
pub const KEYWORDS: &[(&str, &[&str])] = &[("bfd_instance", BFD_KEYWORDS)];

/// Reads `node` if it is a top-level keyword this module owns; returns whether it was.
pub fn read_top(node: &Node, r: &mut Reader<'_>, cfg: &mut Config) -> bool {
    if node.keyword() != "bfd_instance" {
        return false;
    }
    read_instance(node, r, &mut cfg.bfd);
    true
}

/// What a block sets before keepalived's end-of-block checks.
struct Draft {
    neighbor: Option<(IpAddr, Span)>,
    /// A malformed neighbour makes keepalived drop the instance at once.
    dropped: bool,
    source: Option<IpAddr>,
    min_rx: Duration,
    min_tx: Duration,
    idle_tx: Duration,
    multiplier: u8,
    passive: bool,
    ttl: Option<u8>,
    max_hops: i16,
    weight: i32,
    weight_reverse: bool,
    vrrp: bool,
    checker: bool,
}

const IGNORED: &str = "keepalived ignores this line";

fn read_instance(node: &Node, r: &mut Reader<'_>, bfd: &mut Bfd) {
    let name = match node.args() {
        [w, ..] => w,
        [] => {
            r.push(
                // keepalived 2.2.7 dies of a segmentation fault here (-t exits 139), so this
                // is as final as a refusal.
                Diagnostic::fatal(Some(node.span()), "`bfd_instance` needs a name")
                    .help("write `bfd_instance NAME {`")
                    .note("keepalived 2.2.7 crashes reading a nameless bfd_instance"),
            );
            return;
        }
    };
    let Some(children) = r.block(node) else {
        return;
    };
    if name.text.len() >= NAME_MAX {
        r.push(
            Diagnostic::error(
                Some(name.span),
                format!(
                    "BFD instance {} name too long (maximum length is {} characters)",
                    name.text,
                    NAME_MAX - 1
                ),
            )
            .help("use a shorter name")
            .note("keepalived skips this block"),
        );
        return;
    }
    if bfd.names.iter().any(|n| n.name == name.text) {
        r.push(
            Diagnostic::error(
                Some(name.span),
                format!("BFD instance {} already configured", name.text),
            )
            .help("give each bfd_instance its own name")
            .note("keepalived skips this block"),
        );
        return;
    }
    let owner = name.text.as_str();
    let mut d = Draft {
        neighbor: None,
        dropped: false,
        source: None,
        min_rx: DEFAULT_MIN_RX,
        min_tx: DEFAULT_MIN_TX,
        idle_tx: DEFAULT_IDLE_TX,
        multiplier: DEFAULT_MULTIPLIER,
        passive: false,
        ttl: None,
        max_hops: 0,
        weight: 0,
        weight_reverse: false,
        vrrp: false,
        checker: false,
    };
    for c in children {
        r.no_block(c);
        match c.keyword() {
            "neighbor_ip" | "neighbour_ip" => {
                let Some(text) = r.str(c, 0, "an IP address") else {
                    return;
                };
                match address(text) {
                    Some(a) => d.neighbor = Some((a, Reader::span_of(c, 0))),
                    None => {
                        // keepalived frees the instance and skips the rest of its block.
                        r.push(
                            Diagnostic::error(
                                Some(Reader::span_of(c, 0)),
                                format!(
                                    "BFD instance {owner} has malformed {} address {text}",
                                    c.keyword().trim_end_matches("_ip")
                                ),
                            )
                            .help("write an IPv4 or IPv6 address")
                            .note("keepalived ignores the whole instance"),
                        );
                        d.dropped = true;
                        break;
                    }
                }
                extra(r, c, 1);
            }
            "source_ip" => {
                let Some(text) = r.str(c, 0, "an IP address") else {
                    return;
                };
                match address(text) {
                    Some(a) => d.source = Some(a),
                    None => r.push(
                        Diagnostic::error(
                            Some(Reader::span_of(c, 0)),
                            format!("BFD instance {owner} has malformed source address {text}"),
                        )
                        .help("write an IPv4 or IPv6 address of this host")
                        .note(IGNORED),
                    ),
                }
                extra(r, c, 1);
            }
            kw @ ("min_rx" | "min_tx" | "idle_tx") => {
                let min_ms = if kw == "idle_tx" { 1000 } else { 1 };
                if let Some(us) = millis(r, c, owner, min_ms) {
                    if us > MAX_SENSIBLE_MS * 1000 {
                        r.push(
                            Diagnostic::advice(
                                Some(Reader::span_of(c, 0)),
                                format!("BFD instance {owner} {kw} value is larger than max sensible ({MAX_SENSIBLE_MS} ms)"),
                            )
                            .help("the value is in milliseconds"),
                        );
                    }
                    let v = Duration::from_micros(us);
                    match kw {
                        "min_rx" => d.min_rx = v,
                        "min_tx" => d.min_tx = v,
                        _ => d.idle_tx = v,
                    }
                }
                extra(r, c, 1);
            }
            "multiplier" => {
                if let Some(v) = whole(r, c, owner, 1, 255) {
                    d.multiplier = v as u8;
                }
                extra(r, c, 1);
            }
            "passive" => {
                d.passive = true;
                extra(r, c, 0);
            }
            "ttl" | "hoplimit" => {
                if let Some(v) = whole(r, c, owner, 1, 255) {
                    d.ttl = Some(v as u8);
                }
                extra(r, c, 1);
            }
            "max_hops" => {
                if let Some(v) = whole(r, c, owner, -1, 255) {
                    d.max_hops = v as i16;
                }
                extra(r, c, 1);
            }
            "weight" => {
                if let Some(v) = whole(r, c, owner, WEIGHT_MIN as i64, WEIGHT_MAX as i64) {
                    d.weight = v as i32;
                }
                if let Some(w) = c.arg(1) {
                    if w.text == "reverse" {
                        d.weight_reverse = true;
                    } else {
                        r.push(
                            Diagnostic::error(
                                Some(w.span),
                                format!("BFD instance {owner} unknown weight option {}", w.text),
                            )
                            .help("the only option is `reverse`")
                            .note("keepalived ignores this word"),
                        );
                    }
                }
                extra(r, c, 2);
            }
            "vrrp" => {
                d.vrrp = true;
                extra(r, c, 0);
            }
            "checker" => {
                d.checker = true;
                extra(r, c, 0);
            }
            _ => r.unknown(c, Some("bfd_instance"), BFD_KEYWORDS),
        }
    }
    let both = !d.vrrp && !d.checker;
    bfd.names.push(BfdName {
        name: owner.to_string(),
        vrrp: both || d.vrrp,
        checker: both || d.checker,
        weight: d.weight,
        weight_reverse: d.weight_reverse,
        span: name.span,
    });
    if d.dropped {
        return;
    }
    finish(node, name.span, owner, d, r, bfd);
}

/// keepalived's end-of-block checks (bfd_end_handler).
fn finish(node: &Node, name_span: Span, owner: &str, d: Draft, r: &mut Reader<'_>, bfd: &mut Bfd) {
    let Some((nbr, nbr_span)) = d.neighbor else {
        r.push(
            Diagnostic::error(
                Some(name_span),
                format!("BFD instance {owner} has no neighbor address set, disabling instance"),
            )
            .help("add `neighbor_ip ADDRESS` to the block"),
        );
        return;
    };
    if let Some(src) = d.source
        && src.is_ipv4() != nbr.is_ipv4()
    {
        r.push(
            Diagnostic::error(
                Some(nbr_span),
                format!("BFD instance {owner} source address {src} and neighbor address {nbr} are not of the same family, disabling instance"),
            )
            .help("use a source_ip of the neighbour's family"),
        );
        return;
    }
    let dup = bfd.instances.iter().find(|b| {
        b.neighbor_ip == nbr
            && (b.source_ip.is_none() || d.source.is_none() || b.source_ip == d.source)
    });
    if let Some(other) = dup {
        r.push(
            Diagnostic::error(
                Some(nbr_span),
                format!(
                    "BFD instance {owner} has duplicate {}neighbor address {nbr} (also in bfd_instance {})",
                    if d.source.is_some() { "source/" } else { "" },
                    other.name
                ),
            )
            .help("one session per neighbour (and source address)")
            .note("keepalived ignores this instance"),
        );
        return;
    }
    let ttl = d.ttl.unwrap_or(if nbr.is_ipv4() {
        DEFAULT_TTL
    } else {
        DEFAULT_HOPLIMIT
    });
    let mut max_hops = d.max_hops;
    if max_hops > ttl as i16 {
        r.push(
            Diagnostic::error(
                Some(node.span()),
                format!("BFD instance {owner}: max_hops exceeds ttl/hoplimit - setting to ttl/hoplimit ({ttl})"),
            )
            .help("max_hops is how many hops the TTL may drop by: keep it at most the ttl"),
        );
        max_hops = ttl as i16;
    }
    let both = !d.vrrp && !d.checker;
    bfd.instances.push(BfdInstance {
        name: owner.to_string(),
        neighbor_ip: nbr,
        source_ip: d.source,
        min_rx: d.min_rx,
        min_tx: d.min_tx,
        idle_tx: d.idle_tx,
        multiplier: d.multiplier,
        passive: d.passive,
        ttl,
        max_hops,
        weight: d.weight,
        weight_reverse: d.weight_reverse,
        vrrp: both || d.vrrp,
        checker: both || d.checker,
        span: name_span,
    });
}

/// keepalived's inet_stosockaddr: the family from a ':' in the text, any "/..." or "-..." cut off.
fn address(s: &str) -> Option<IpAddr> {
    let cut = s.find(['-', '/']).map(|i| &s[..i]).unwrap_or(s);
    if s.contains(':') {
        cut.parse::<Ipv6Addr>().ok().map(IpAddr::V6)
    } else {
        cut.parse::<Ipv4Addr>().ok().map(IpAddr::V4)
    }
}

/// A whole number in `[min, max]`; keepalived's message and it ignores the line otherwise.
fn whole(r: &mut Reader<'_>, c: &Node, owner: &str, min: i64, max: i64) -> Option<i64> {
    let text = r.str(c, 0, "a number")?;
    let span = Reader::span_of(c, 0);
    let t = text.strip_prefix('+').unwrap_or(text);
    match t.parse::<i64>() {
        Ok(v) if v >= min && v <= max => Some(v),
        _ => {
            r.push(
                Diagnostic::error(
                    Some(span),
                    format!(
                        "BFD instance {owner} {} value {text} not valid (must be in range [{min}, {max}])",
                        c.keyword()
                    ),
                )
                .help(format!("write a whole number from {min} to {max}"))
                .note(IGNORED),
            );
            None
        }
    }
}

/// Milliseconds with up to three decimals, in microseconds, from `min_ms` to [`INTERVAL_MAX_MS`].
fn millis(r: &mut Reader<'_>, c: &Node, owner: &str, min_ms: u64) -> Option<u64> {
    let text = r.str(c, 0, "a time in milliseconds")?;
    let span = Reader::span_of(c, 0);
    let (int, frac) = text.split_once('.').unwrap_or((text, ""));
    let ok = !int.is_empty()
        && int.bytes().all(|b| b.is_ascii_digit())
        && frac.bytes().all(|b| b.is_ascii_digit())
        && frac.len() <= 3;
    let value = ok
        .then(|| {
            let f = format!("{frac:0<3}");
            int.parse::<u64>()
                .ok()?
                .checked_mul(1000)?
                .checked_add(f.parse::<u64>().ok()?)
        })
        .flatten();
    match value {
        Some(us) if us >= min_ms * 1000 && us <= INTERVAL_MAX_MS * 1000 => Some(us),
        _ => {
            let why = if frac.len() > 3 && int.bytes().all(|b| b.is_ascii_digit()) {
                " (at most 3 decimals: microseconds)"
            } else {
                ""
            };
            r.push(
                Diagnostic::error(
                    Some(span),
                    format!(
                        "BFD instance {owner} {} value {text} is not valid (must be in range [{min_ms}-{INTERVAL_MAX_MS}] ms){why}",
                        c.keyword()
                    ),
                )
                .help("write milliseconds, e.g. 10 or 3.312")
                .note(IGNORED),
            );
            None
        }
    }
}

/// Words after the first `max` arguments, which keepalived ignores silently.
fn extra(r: &mut Reader<'_>, n: &Node, max: usize) {
    if let Some(w) = n.arg(max) {
        r.push(
            Diagnostic::advice(
                Some(w.span),
                format!(
                    "`{}` takes {max} argument(s): '{}' and after are ignored",
                    n.keyword(),
                    w.text
                ),
            )
            .note("keepalived ignores them without a word"),
        );
    }
}

/// Nothing to check across blocks beyond what each block's end did: references to BFD
/// instances are resolved by the VRRP (`track_bfd`) and checker (`BFD_CHECK`) models through
/// [`Bfd::vrrp_names`] and [`Bfd::checker_names`].
pub fn validate(_cfg: &mut Config, _r: &mut Reader<'_>, _sys: &dyn System) {}
