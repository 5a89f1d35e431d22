//! The VRRP side of keepalived.conf: vrrp_script, track_file, vrrp_track_process, garp_group,
//! vrrp_sync_group and vrrp_instance, with keepalived 2.2.7's defaults, ranges and checks.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::net::IpAddr;
use std::time::Duration;

use super::Config;
use super::ip::{self, Family, Route, Rule, Vip};
use crate::System;
use crate::diag::{Diagnostic, nearest};
use crate::lex::{CompactString, Word};
use crate::read::Reader;
use crate::source::Span;
use crate::tree::Node;

/// keepalived's default priority (RFC 3768 5.3.4), also its fallback for an invalid one.
pub const DEFAULT_PRIORITY: u8 = 100;
/// The address owner's priority.
pub const OWNER_PRIORITY: u8 = 255;
/// Default advert interval.
pub const DEFAULT_ADVERT_INT: Duration = Duration::from_secs(1);
/// Default vrrp_script interval.
pub const DEFAULT_SCRIPT_INTERVAL: Duration = Duration::from_secs(1);
/// Default down_timer_adverts (RFC 5798 6.1).
pub const DEFAULT_DOWN_TIMER_ADVERTS: u32 = 3;
/// PASS passwords are this long at most on the wire; keepalived cuts longer ones.
pub const AUTH_PASS_LEN: usize = 8;

/// Everything VRRP the configuration declares, in file order.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Vrrp {
    pub scripts: Vec<Script>,
    pub track_files: Vec<TrackFile>,
    pub track_processes: Vec<TrackProcess>,
    pub garp_groups: Vec<GarpGroup>,
    pub sync_groups: Vec<SyncGroup>,
    pub instances: Vec<Instance>,
    /// `linkbeat_interfaces { IF [MII|ETHTOOL|IOCTL] }`: interfaces polled for link state.
    pub linkbeat_interfaces: Vec<LinkbeatInterface>,
    /// `interface_up_down_delays { IF DOWN [UP] }`.
    pub up_down_delays: Vec<UpDownDelay>,
    /// Names of `instances`, for the duplicate check while reading.
    #[serde(skip)]
    instance_names: HashSet<String, crate::Quick>,
    /// Names of `sync_groups`, likewise.
    #[serde(skip)]
    sync_group_names: HashSet<String, crate::Quick>,
}

/// How a linkbeat interface is polled (keepalived picks one when not given).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum LinkbeatKind {
    Mii,
    Ethtool,
    Ioctl,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct LinkbeatInterface {
    pub name: String,
    pub kind: Option<LinkbeatKind>,
    pub span: Span,
}

/// Debounce of an interface's link changes: 0..=255 s each.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct UpDownDelay {
    pub interface: String,
    pub down: Duration,
    pub up: Duration,
    pub span: Span,
}

/// A command line as keepalived runs it (no shell): `line` is split into argv the way
/// keepalived splits it (quotes group, backslash escapes); `user`/`group` run it as someone else.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Command {
    pub line: String,
    pub user: Option<String>,
    pub group: Option<String>,
    pub span: Span,
}

impl Command {
    /// argv as keepalived builds it from the line.
    pub fn argv(&self) -> Vec<String> {
        split_command(&self.line)
    }

    /// The program (argv[0]); empty if the line is empty.
    pub fn program(&self) -> String {
        self.argv().into_iter().next().unwrap_or_default()
    }

    /// keepalived's "file check" form (`</path`): nothing is executed.
    pub fn is_file_check(&self) -> bool {
        self.line
            .strip_prefix('<')
            .is_some_and(|rest| rest.trim_start().starts_with('/'))
    }
}

/// Splits a command line into words as keepalived does: whitespace separates, quotes group,
/// backslash escapes the next character (outside single quotes).
pub fn split_command(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut have = false;
    let mut quote: Option<char> = None;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match (quote, c) {
            (None | Some('"'), '\\') => {
                if let Some(n) = chars.next() {
                    cur.push(n);
                    have = true;
                }
            }
            (None, '"' | '\'') => {
                quote = Some(c);
                have = true;
            }
            (Some(q), c) if c == q => quote = None,
            (None, c) if c.is_whitespace() => {
                if have {
                    out.push(std::mem::take(&mut cur));
                    have = false;
                }
            }
            (_, c) => {
                cur.push(c);
                have = true;
            }
        }
    }
    if have {
        out.push(cur);
    }
    out
}

/// `vrrp_script NAME { ... }`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Script {
    pub name: String,
    /// `script`; a script without one is dropped (with an error), as keepalived does.
    pub command: Option<Command>,
    /// `interval`, whole seconds 1..=4294 (0 is read as 1, with an error). Default 1 s.
    pub interval: Duration,
    /// `timeout`, whole seconds; `None` = the interval.
    pub timeout: Option<Duration>,
    /// `weight N [reverse]`, -253..=253. Default 0 (failure means FAULT).
    pub weight: i32,
    pub weight_reverse: bool,
    /// `rise`, `fall`: 1..=2^31-1, default 1.
    pub rise: u32,
    pub fall: u32,
    /// `user USER [GROUP]`: whom the script runs as (default: global script_user).
    pub user: Option<String>,
    pub group: Option<String>,
    /// `init_fail`: start in the failed state.
    pub init_fail: bool,
    pub span: Span,
}

/// `track_file NAME { file PATH; weight N [reverse]; init_file [VALUE] [overwrite] }`
/// (and the deprecated `vrrp_track_file`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct TrackFile {
    pub name: String,
    pub file: Option<String>,
    /// -254..=254, default 1.
    pub weight: i32,
    pub weight_reverse: bool,
    /// `init_file`: create the file (with `value`, default 0) if missing; `overwrite` always.
    pub init_file: Option<InitFile>,
    pub span: Span,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct InitFile {
    pub value: i32,
    pub overwrite: bool,
}

/// How `vrrp_track_process` matches a process's parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ParamMatch {
    Exact,
    Initial,
    Partial,
}

/// `vrrp_track_process NAME { ... }`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct TrackProcess {
    pub name: String,
    /// `process NAME [PARAMS...]`.
    pub process: Option<String>,
    pub params: Vec<String>,
    pub param_match: Option<ParamMatch>,
    /// -254..=254, default 0.
    pub weight: i32,
    pub weight_reverse: bool,
    /// 1..=65535, default 1 (0 when quorum_max is 0).
    pub quorum: u32,
    /// 0..=65535; `None` = unlimited.
    pub quorum_max: Option<u32>,
    /// `terminate_delay` (and `delay`), seconds up to 3600.
    pub terminate_delay: Option<Duration>,
    /// `fork_delay` (and `delay`).
    pub fork_delay: Option<Duration>,
    /// `full_command` (or implied by params / param_match).
    pub full_command: bool,
    pub span: Span,
}

/// `garp_group { garp_interval S; gna_interval S; interface IF | interfaces { ... } }`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct GarpGroup {
    pub garp_interval: Option<Duration>,
    pub gna_interval: Option<Duration>,
    pub interfaces: Vec<String>,
    pub span: Span,
}

/// One line of a track_interface / track_script / track_file / track_process / track_bfd block:
/// `NAME [weight N [reverse|noreverse]]`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Track {
    pub name: String,
    /// The weight written here, else (after validation) the tracked object's own (0 for an
    /// interface or bfd, the script's/file's/process's `weight` otherwise).
    pub weight: i32,
    pub reverse: bool,
    /// Whether `weight` was written on this line.
    pub weight_given: bool,
    /// Whether `reverse`/`noreverse` was written; if not, the tracked object's direction holds.
    pub reverse_given: bool,
    pub span: Span,
}

/// `vrrp_sync_group NAME { ... }`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SyncGroup {
    pub name: String,
    /// `group { VI_1 VI_2 }`.
    pub instances: Vec<String>,
    /// Where each name is written (for diagnostics).
    #[serde(skip)]
    pub instance_spans: Vec<Span>,
    pub track_interfaces: Vec<Track>,
    pub track_scripts: Vec<Track>,
    pub track_files: Vec<Track>,
    pub track_processes: Vec<Track>,
    pub track_bfds: Vec<Track>,
    pub notify_master: Option<Command>,
    pub notify_backup: Option<Command>,
    pub notify_fault: Option<Command>,
    pub notify_stop: Option<Command>,
    /// `notify`: called with GROUP NAME STATE PRIORITY.
    pub notify: Option<Command>,
    /// `None` = the global setting.
    pub smtp_alert: Option<bool>,
    /// `sync_group_tracking_weight` (and deprecated `global_tracking`).
    pub tracking_weight: bool,
    pub notify_priority_changes: Option<bool>,
    pub span: Span,
}

/// `state`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum State {
    /// Not written: keepalived derives it from the priority (255 = MASTER).
    #[default]
    Unset,
    Master,
    Backup,
}

/// `authentication { auth_type PASS|AH; auth_pass SECRET }`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Auth {
    pub kind: AuthType,
    /// At most 8 bytes (longer is cut, with an error, as keepalived does).
    pub pass: String,
    pub span: Span,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum AuthType {
    #[serde(rename = "PASS")]
    Pass,
    #[serde(rename = "AH")]
    Ah,
}

/// `use_vmac [NAME] [MAC]`.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize)]
pub struct Vmac {
    /// Default `vrrp.VRID`.
    pub name: Option<String>,
    /// A fixed MAC; with 5 octets keepalived appends the VRID.
    pub mac: Option<Vec<u8>>,
}

/// ipvlan mode of `use_ipvlan`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum IpvlanMode {
    Bridge,
    Private,
    Vepa,
}

/// `use_ipvlan [NAME] [ADDR[/LEN]] [bridge|private|vepa]`.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize)]
pub struct Ipvlan {
    pub name: Option<String>,
    pub addr: Option<(IpAddr, u8)>,
    pub mode: Option<IpvlanMode>,
}

/// `unicast_peer { ADDR [min_ttl N] [max_ttl N] }`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct UnicastPeer {
    pub addr: IpAddr,
    /// 0..=255, default 0.
    pub min_ttl: u8,
    /// 0..=255, default 255.
    pub max_ttl: u8,
    pub span: Span,
}

/// `garp_extra_if [all] SECS`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct GarpExtraIf {
    /// 0..=86400 s.
    pub interval: Duration,
    pub all: bool,
}

/// `vrrp_instance NAME { ... }`. Fields marked "resolved" hold keepalived's computed value after
/// validation (e.g. the priority derived from the state).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Instance {
    pub name: String,
    pub span: Span,
    /// Resolved: MASTER if priority is 255 and nothing was written, else BACKUP.
    pub state: State,
    pub interface: Option<String>,
    pub vrf: Option<String>,
    pub use_vmac: Option<Vmac>,
    pub use_vmac_addr: bool,
    pub vmac_xmit_base: bool,
    pub use_ipvlan: Option<Ipvlan>,
    pub native_ipv6: bool,
    pub dont_track_primary: bool,
    pub track_interfaces: Vec<Track>,
    pub track_scripts: Vec<Track>,
    pub track_files: Vec<Track>,
    pub track_processes: Vec<Track>,
    pub track_bfds: Vec<Track>,
    /// `mcast_src_ip` / `unicast_src_ip` (one field, as in keepalived).
    pub src_ip: Option<IpAddr>,
    pub mcast_dst_ip: Option<IpAddr>,
    pub track_src_ip: bool,
    /// 2 or 3. Resolved: 3 for IPv6, else global vrrp_version (default 2).
    pub version: u8,
    pub check_unicast_src: bool,
    pub unicast_peers: Vec<UnicastPeer>,
    pub unicast_fault_no_peer: bool,
    /// 0..=255; only with unicast peers. Resolved: 255 for IPv4 when unset.
    pub unicast_ttl: Option<u8>,
    /// `old_unicast_checksum [never]`: `Some(false)` = never, `Some(true)` = as configured.
    pub old_unicast_checksum: Option<bool>,
    /// Whether any unicast keyword was written (unicast_src_ip, unicast_peer, ...).
    pub unicast_configured: bool,
    /// `None` = global vrrp_garp_master_delay (default 5 s).
    pub garp_master_delay: Option<Duration>,
    pub garp_master_repeat: Option<u32>,
    pub garp_lower_prio_delay: Option<Duration>,
    pub garp_lower_prio_repeat: Option<u32>,
    pub garp_master_refresh: Option<Duration>,
    pub garp_master_refresh_repeat: Option<u32>,
    pub garp_extra_if: Option<GarpExtraIf>,
    /// 1..=100; `None` = global (default 3).
    pub down_timer_adverts: Option<u32>,
    pub lower_prio_no_advert: Option<bool>,
    pub higher_prio_send_advert: Option<bool>,
    /// 1..=255; 0 until validated means missing (an error).
    pub virtual_router_id: u8,
    /// 1..=255. Resolved: 255 for `state MASTER` without a priority, else 100.
    pub priority: u8,
    /// v2: whole seconds < 256; v3: centiseconds < 40.96 s. Default 1 s.
    pub advert_int: Duration,
    pub auth: Option<Auth>,
    pub vips: Vec<Vip>,
    pub excluded_vips: Vec<Vip>,
    pub promote_secondaries: bool,
    pub routes: Vec<Route>,
    pub rules: Vec<Rule>,
    /// `accept`/`no_accept`. Resolved: true unless strict (or owner).
    pub accept: Option<bool>,
    /// `accept`/`no_accept` as written (the last one wins), before keepalived's resolution
    /// (which clears `accept` for VRRPv2 in strict mode; the daemon honours a written one).
    pub accept_as_written: Option<bool>,
    /// `version` as written in the instance (when keepalived accepted the line).
    pub version_as_written: Option<u8>,
    /// `nopreempt` (`preempt` clears it).
    pub nopreempt: bool,
    /// 0..=1000 s.
    pub preempt_delay: Duration,
    pub skip_check_adv_addr: Option<bool>,
    /// `None` = global vrrp_strict.
    pub strict_mode: Option<bool>,
    /// 0..=4.
    pub debug: u8,
    pub notify_master: Option<Command>,
    pub notify_backup: Option<Command>,
    pub notify_fault: Option<Command>,
    pub notify_stop: Option<Command>,
    /// `notify_deleted [SCRIPT]`: report the instance as DELETED (not FAULT) on shutdown.
    pub notify_deleted: bool,
    pub notify_deleted_script: Option<Command>,
    /// `notify`: called with INSTANCE NAME STATE PRIORITY.
    pub notify: Option<Command>,
    pub notify_master_rx_lower_pri: Option<Command>,
    pub notify_priority_changes: Option<bool>,
    pub smtp_alert: Option<bool>,
    pub kernel_rx_buf_size: Option<u32>,
    /// Deprecated here: use linkbeat_interfaces.
    pub linkbeat_use_polling: bool,
    /// Deprecated: global lvs_sync_daemon.
    pub lvs_sync_daemon_interface: Option<String>,
    /// Resolved from the addresses (IPv4 when there are none).
    pub family: Option<Family>,
    /// An invalid virtual_router_id was already reported (no second "must be set").
    #[serde(skip)]
    pub(crate) vrid_reported: bool,
}

impl Instance {
    fn new(name: String, span: Span) -> Instance {
        Instance {
            name,
            span,
            state: State::Unset,
            interface: None,
            vrf: None,
            use_vmac: None,
            use_vmac_addr: false,
            vmac_xmit_base: false,
            use_ipvlan: None,
            native_ipv6: false,
            dont_track_primary: false,
            track_interfaces: Vec::new(),
            track_scripts: Vec::new(),
            track_files: Vec::new(),
            track_processes: Vec::new(),
            track_bfds: Vec::new(),
            src_ip: None,
            mcast_dst_ip: None,
            track_src_ip: false,
            version: 0,
            check_unicast_src: false,
            unicast_peers: Vec::new(),
            unicast_fault_no_peer: false,
            unicast_ttl: None,
            old_unicast_checksum: None,
            unicast_configured: false,
            garp_master_delay: None,
            garp_master_repeat: None,
            garp_lower_prio_delay: None,
            garp_lower_prio_repeat: None,
            garp_master_refresh: None,
            garp_master_refresh_repeat: None,
            garp_extra_if: None,
            down_timer_adverts: None,
            lower_prio_no_advert: None,
            higher_prio_send_advert: None,
            virtual_router_id: 0,
            priority: 0,
            advert_int: DEFAULT_ADVERT_INT,
            auth: None,
            vips: Vec::new(),
            excluded_vips: Vec::new(),
            promote_secondaries: false,
            routes: Vec::new(),
            rules: Vec::new(),
            accept: None,
            accept_as_written: None,
            version_as_written: None,
            nopreempt: false,
            preempt_delay: Duration::ZERO,
            skip_check_adv_addr: None,
            strict_mode: None,
            debug: 0,
            notify_master: None,
            notify_backup: None,
            notify_fault: None,
            notify_stop: None,
            notify_deleted: false,
            notify_deleted_script: None,
            notify: None,
            notify_master_rx_lower_pri: None,
            notify_priority_changes: None,
            smtp_alert: None,
            kernel_rx_buf_size: None,
            linkbeat_use_polling: false,
            lvs_sync_daemon_interface: None,
            family: None,
            vrid_reported: false,
        }
    }

    /// Whether adverts go to unicast peers (keepalived: a unicast keyword and at least one peer).
    pub fn is_unicast(&self) -> bool {
        !self.unicast_peers.is_empty()
    }
}

const SCRIPT_KEYWORDS: &[&str] = &[
    "script",
    "interval",
    "timeout",
    "weight",
    "rise",
    "fall",
    "user",
    "init_fail",
];
const TRACK_FILE_KEYWORDS: &[&str] = &["file", "weight", "init_file"];
const TRACK_PROCESS_KEYWORDS: &[&str] = &[
    "process",
    "param_match",
    "weight",
    "quorum",
    "quorum_max",
    "delay",
    "terminate_delay",
    "fork_delay",
    "full_command",
];
const GARP_GROUP_KEYWORDS: &[&str] = &["garp_interval", "gna_interval", "interface", "interfaces"];
const SYNC_GROUP_KEYWORDS: &[&str] = &[
    "group",
    "track_interface",
    "track_script",
    "track_file",
    "track_process",
    "track_bfd",
    "notify_backup",
    "notify_master",
    "notify_fault",
    "notify_stop",
    "notify",
    "smtp_alert",
    "global_tracking",
    "sync_group_tracking_weight",
    "notify_priority_changes",
    // Documented by keepalived.conf(5) but not read by 2.2.7: recognised to explain that.
    "notify_deleted",
];
const INSTANCE_KEYWORDS: &[&str] = &[
    "use_vmac",
    "use_vmac_addr",
    "vmac_xmit_base",
    "use_ipvlan",
    "unicast_peer",
    "unicast_fault_no_peer",
    "check_unicast_src",
    "old_unicast_checksum",
    "native_ipv6",
    "state",
    "interface",
    "vrf",
    "dont_track_primary",
    "track_interface",
    "track_script",
    "track_file",
    "track_process",
    "track_bfd",
    "mcast_src_ip",
    "unicast_src_ip",
    "mcast_dst_ip",
    "track_src_ip",
    "virtual_router_id",
    "unicast_ttl",
    "version",
    "priority",
    "advert_int",
    "virtual_ipaddress",
    "virtual_ipaddress_excluded",
    "promote_secondaries",
    "linkbeat_use_polling",
    "virtual_routes",
    "virtual_rules",
    "accept",
    "no_accept",
    "skip_check_adv_addr",
    "strict_mode",
    "preempt",
    "nopreempt",
    "preempt_delay",
    "debug",
    "notify_backup",
    "notify_master",
    "notify_fault",
    "notify_stop",
    "notify_deleted",
    "notify",
    "notify_master_rx_lower_pri",
    "smtp_alert",
    "notify_priority_changes",
    "lvs_sync_daemon_interface",
    "garp_master_delay",
    "garp_master_refresh",
    "garp_master_repeat",
    "garp_master_refresh_repeat",
    "garp_lower_prio_delay",
    "garp_lower_prio_repeat",
    "down_timer_adverts",
    "garp_extra_if",
    "vmac_garp_intvl",
    "lower_prio_no_advert",
    "higher_prio_send_advert",
    "kernel_rx_buf_size",
    "authentication",
];
const AUTH_KEYWORDS: &[&str] = &["auth_type", "auth_pass"];

/// Every block this module reads, with every keyword it accepts there (aliases included): the
/// source of "did you mean" suggestions and of the completeness test against keepalived.conf(5).
pub const KEYWORDS: &[(&str, &[&str])] = &[
    ("vrrp_script", SCRIPT_KEYWORDS),
    ("track_file", TRACK_FILE_KEYWORDS),
    ("vrrp_track_file", TRACK_FILE_KEYWORDS),
    ("vrrp_track_process", TRACK_PROCESS_KEYWORDS),
    ("garp_group", GARP_GROUP_KEYWORDS),
    ("vrrp_sync_group", SYNC_GROUP_KEYWORDS),
    ("vrrp_instance", INSTANCE_KEYWORDS),
    ("vrrp_instance/authentication", AUTH_KEYWORDS),
    ("authentication", AUTH_KEYWORDS),
];

/// Reads `node` if it is a top-level keyword this module owns; returns whether it was.
pub fn read_top(node: &Node, r: &mut Reader<'_>, cfg: &mut Config) -> bool {
    match node.keyword() {
        "vrrp_script" => read_script(node, r, cfg),
        "track_file" | "vrrp_track_file" => read_track_file(node, r, cfg),
        "vrrp_track_process" => read_track_process(node, r, cfg),
        "garp_group" => read_garp_group(node, r, cfg),
        "vrrp_sync_group" => read_sync_group(node, r, cfg),
        "vrrp_instance" => read_instance(node, r, cfg),
        "linkbeat_interfaces" => read_linkbeat(node, r, cfg),
        "interface_up_down_delays" => read_up_down(node, r, cfg),
        kw => return read_glued(node, kw, r),
    }
    true
}

/// `vrrp_instance_VI_1 {`: a block keyword with its name glued on. keepalived does not know the
/// keyword and loses the whole block; we say so once, then read the block aside so that the
/// mistakes inside it are reported too (the block still configures nothing).
fn read_glued(node: &Node, kw: &str, r: &mut Reader<'_>) -> bool {
    const NAMED_BLOCKS: &[&str] = &[
        "vrrp_instance",
        "vrrp_sync_group",
        "vrrp_script",
        "vrrp_track_process",
        "track_file",
    ];
    let Some(block_kw) = NAMED_BLOCKS.iter().copied().find(|b| {
        kw.len() > b.len() + 1
            && kw.starts_with(b)
            && matches!(kw.as_bytes().get(b.len()), Some(b'_' | b'-' | b'.' | b':'))
    }) else {
        return false;
    };
    if node.block.is_none() || !node.args().is_empty() {
        return false;
    }
    let name = &kw[block_kw.len() + 1..];
    r.push(
        Diagnostic::error(
            Some(node.span()),
            format!("unknown keyword `{kw}` at the top level"),
        )
        .help(format!(
            "did you mean `{block_kw} {name}`? (a space between the keyword and the name)"
        ))
        .note("keepalived ignores this line and its whole block"),
    );
    let mut fixed = node.clone();
    if let Some(w) = fixed.words.first_mut() {
        let span = w.span;
        w.text = CompactString::from(block_kw);
        fixed.words.insert(
            1,
            Word {
                text: CompactString::from(name),
                span,
                quoted: false,
            },
        );
    }
    let mut scratch = Config::default();
    read_top(&fixed, r, &mut scratch);
    true
}

fn read_linkbeat(node: &Node, r: &mut Reader<'_>, cfg: &mut Config) {
    let Some(lines) = r.block(node) else {
        return;
    };
    for l in lines {
        let mut lb = LinkbeatInterface {
            name: l.keyword().to_string(),
            kind: None,
            span: l.span(),
        };
        if let Some(w) = l.arg(0) {
            lb.kind = match w.text.as_str() {
                "MII" => Some(LinkbeatKind::Mii),
                "ETHTOOL" => Some(LinkbeatKind::Ethtool),
                "IOCTL" => Some(LinkbeatKind::Ioctl),
                _ => None,
            };
            if lb.kind.is_none() || l.arg(1).is_some() {
                let bad = if lb.kind.is_none() { w } else { &l.words[2] };
                let mut d = Diagnostic::error(
                    Some(bad.span),
                    format!(
                        "unexpected '{}' after linkbeat interface {}",
                        bad.text, lb.name
                    ),
                );
                if let Some(s) =
                    nearest(&bad.text.to_ascii_uppercase(), ["MII", "ETHTOOL", "IOCTL"])
                {
                    d = d.help(format!("did you mean `{s}`?"));
                } else {
                    d = d.help("write `IFNAME [MII|ETHTOOL|IOCTL]`");
                }
                r.push(d);
            }
        }
        cfg.vrrp.linkbeat_interfaces.push(lb);
    }
}

fn read_up_down(node: &Node, r: &mut Reader<'_>, cfg: &mut Config) {
    let Some(lines) = r.block(node) else {
        return;
    };
    for l in lines {
        let name = l.keyword().to_string();
        if l.arg(0).is_none() {
            r.push(
                Diagnostic::advice(Some(l.span()), format!("no delays given for {name}"))
                    .help("write `IFNAME DOWN_SECS [UP_SECS]`"),
            );
            continue;
        }
        if let Some(w) = l.arg(2) {
            r.push(Diagnostic::advice(
                Some(w.span),
                format!("too many values for {name}'s up/down delays"),
            ));
        }
        let Some(down) = secs_in(r, l, 0, 0.0, 255.0, "keepalived ignores this line") else {
            continue;
        };
        let up = if l.arg(1).is_some() {
            let Some(up) = secs_in(r, l, 1, 0.0, 255.0, "keepalived ignores this line") else {
                continue;
            };
            up
        } else {
            Duration::ZERO
        };
        cfg.vrrp.up_down_delays.push(UpDownDelay {
            interface: name,
            down,
            up,
            span: l.span(),
        });
    }
}

fn name_of(node: &Node, r: &mut Reader<'_>, what: &str) -> Option<String> {
    match node.args() {
        [w] => Some(w.text.to_string()),
        [] => {
            r.push(
                Diagnostic::error(Some(node.span()), format!("`{what}` needs a name"))
                    .help(format!("write `{what} NAME {{`"))
                    .note("keepalived skips this block"),
            );
            None
        }
        [_, extra, ..] => {
            r.push(
                Diagnostic::error(
                    Some(extra.span),
                    format!("`{what}` takes one name; '{}' is extra", extra.text),
                )
                .note("keepalived skips this block"),
            );
            None
        }
    }
}

/// An integer in `[min, max]`, with one diagnostic saying what keepalived does instead.
fn int_in<T>(r: &mut Reader<'_>, node: &Node, i: usize, min: T, max: T, instead: &str) -> Option<T>
where
    T: TryFrom<i64> + Into<i64> + Copy + std::fmt::Display,
{
    let Some(w) = node.arg(i) else {
        // keepalived stops reading at a keyword without its value.
        r.str(node, i, &format!("a number from {min} to {max}"));
        return None;
    };
    let msg = match w.text.parse::<i64>() {
        Ok(v) if v >= min.into() && v <= max.into() => return T::try_from(v).ok(),
        Ok(_) => format!("`{}` {} is outside [{min}, {max}]", node.keyword(), w.text),
        Err(_) => format!(
            "`{}` needs a whole number, not '{}'",
            node.keyword(),
            w.text
        ),
    };
    r.push(
        Diagnostic::error(Some(w.span), msg)
            .help(format!("write a number from {min} to {max}"))
            .note(instead.to_string()),
    );
    None
}

/// keepalived's decimal seconds (up to 6 decimals) in `[min, max]`.
fn secs_in(
    r: &mut Reader<'_>,
    node: &Node,
    i: usize,
    min: f64,
    max: f64,
    instead: &str,
) -> Option<Duration> {
    let Some(w) = node.arg(i) else {
        r.str(node, i, "a time in seconds");
        return None;
    };
    let v = w.text.parse::<f64>().ok().filter(|v| v.is_finite());
    let decimals = w.text.split_once('.').map(|(_, d)| d.len()).unwrap_or(0);
    let msg = match v {
        Some(_) if decimals > 6 => format!("'{}' has more than 6 decimal places", w.text),
        Some(v) if v >= min && v <= max => {
            return Some(Duration::from_micros((v * 1_000_000.0).round() as u64));
        }
        Some(_) => format!(
            "`{}` {} is outside [{min}, {max}] seconds",
            node.keyword(),
            w.text
        ),
        None => format!(
            "`{}` needs a time in seconds, not '{}'",
            node.keyword(),
            w.text
        ),
    };
    r.push(
        Diagnostic::error(Some(w.span), msg)
            .help(format!("write seconds from {min} to {max}, e.g. 1 or 0.5"))
            .note(instead.to_string()),
    );
    None
}

/// keepalived's true/false/yes/no/on/off after a keyword, absent meaning true; `None` (with an
/// error) for anything else.
fn bool_arg(r: &mut Reader<'_>, node: &Node, i: usize) -> Option<bool> {
    let Some(w) = node.arg(i) else {
        return Some(true);
    };
    match w.text.to_ascii_lowercase().as_str() {
        "true" | "on" | "yes" => Some(true),
        "false" | "off" | "no" => Some(false),
        _ => {
            r.push(
                Diagnostic::error(
                    Some(w.span),
                    format!(
                        "`{}` takes true/false, on/off or yes/no, not '{}'",
                        node.keyword(),
                        w.text
                    ),
                )
                .note("keepalived ignores this line"),
            );
            None
        }
    }
}

/// A notify-style command: `KEYWORD "CMD ARGS" [USER [GROUP]]`.
fn command(r: &mut Reader<'_>, node: &Node) -> Option<Command> {
    let w = r.str(node, 0, "a script (quote it if it has arguments)")?;
    if let Some(extra) = node.arg(3) {
        r.push(
            Diagnostic::error(
                Some(extra.span),
                format!(
                    "`{}` takes a script, a user and a group; '{}' is extra",
                    node.keyword(),
                    extra.text
                ),
            )
            .help(
                "put the script and its arguments in quotes: `notify_master \"/path/script arg\"`",
            )
            .note("keepalived ignores the words after the group"),
        );
    }
    Some(Command {
        line: w.to_string(),
        user: node.arg(1).map(|w| w.text.to_string()),
        group: node.arg(2).map(|w| w.text.to_string()),
        span: Reader::span_of(node, 0),
    })
}

/// Sets a notify command once; keepalived keeps the first and reports later ones.
fn set_once(r: &mut Reader<'_>, node: &Node, slot: &mut Option<Command>, owner: &str) {
    if slot.is_some() {
        r.push(
            Diagnostic::error(
                Some(node.span()),
                format!(
                    "({owner}) `{}` was already given: this one is ignored",
                    node.keyword()
                ),
            )
            .help("keep one line per notify keyword"),
        );
        return;
    }
    *slot = command(r, node);
}

fn read_script(node: &Node, r: &mut Reader<'_>, cfg: &mut Config) {
    let Some(name) = name_of(node, r, "vrrp_script") else {
        return;
    };
    let Some(children) = r.block(node) else {
        return;
    };
    let mut s = Script {
        name,
        command: None,
        interval: DEFAULT_SCRIPT_INTERVAL,
        timeout: None,
        weight: 0,
        weight_reverse: false,
        rise: 1,
        fall: 1,
        user: None,
        group: None,
        init_fail: false,
        span: node.span(),
    };
    for c in children {
        match c.keyword() {
            "script" => {
                let Some(w) = c.arg(0) else {
                    r.str(c, 0, "the command to run");
                    continue;
                };
                if let Some(extra) = c.arg(1) {
                    r.push(
                        Diagnostic::advice(
                            Some(extra.span),
                            format!(
                                "only '{}' is run: '{}' and after are not its arguments",
                                w.text, extra.text
                            ),
                        )
                        .help(format!(
                            "quote the whole command: `script \"{}\"`",
                            c.args()
                                .iter()
                                .map(|w| w.text.as_str())
                                .collect::<Vec<_>>()
                                .join(" ")
                        ))
                        .note("keepalived takes the first word as the whole command line"),
                    );
                }
                s.command = Some(Command {
                    line: w.text.to_string(),
                    user: None,
                    group: None,
                    span: w.span,
                });
            }
            "interval" => {
                if let Some(v) = int_in::<u32>(
                    r,
                    c,
                    0,
                    0,
                    u32::MAX / 1_000_000,
                    "keepalived keeps the previous interval",
                ) {
                    if v == 0 {
                        r.push(
                            Diagnostic::error(
                                Some(Reader::span_of(c, 0)),
                                "a vrrp_script interval must be at least 1 second",
                            )
                            .note("keepalived uses 1"),
                        );
                    }
                    s.interval = Duration::from_secs(u64::from(v.max(1)));
                }
            }
            "timeout" => {
                if let Some(v) = int_in::<u32>(
                    r,
                    c,
                    0,
                    0,
                    u32::MAX / 1_000_000,
                    "keepalived keeps the previous timeout",
                ) {
                    if v == 0 {
                        r.push(
                            Diagnostic::error(
                                Some(Reader::span_of(c, 0)),
                                "a vrrp_script timeout must be at least 1 second",
                            )
                            .note("keepalived uses 1"),
                        );
                    }
                    s.timeout = Some(Duration::from_secs(u64::from(v.max(1))));
                }
            }
            "weight" => {
                // keepalived stores whatever it read even when out of range; we keep 0.
                s.weight = int_in::<i32>(
                    r,
                    c,
                    0,
                    -253,
                    253,
                    "keepalived's weight is then undefined; we use 0",
                )
                .unwrap_or(0);
                if let Some(o) = c.arg(1) {
                    if o.text == "reverse" {
                        s.weight_reverse = true;
                    } else {
                        r.push(
                            Diagnostic::error(
                                Some(o.span),
                                format!("unknown weight option '{}'", o.text),
                            )
                            .help("the only option is `reverse`"),
                        );
                    }
                }
            }
            "rise" => {
                s.rise =
                    int_in::<u32>(r, c, 0, 1, i32::MAX as u32, "keepalived uses 1").unwrap_or(1);
            }
            "fall" => {
                s.fall =
                    int_in::<u32>(r, c, 0, 1, i32::MAX as u32, "keepalived uses 1").unwrap_or(1);
            }
            "user" => {
                if let Some(u) = r.string(c, 0, "a user name") {
                    s.user = Some(u);
                    s.group = c.arg(1).map(|w| w.text.to_string());
                }
            }
            "init_fail" => s.init_fail = true,
            _ => r.unknown(c, Some("vrrp_script"), SCRIPT_KEYWORDS),
        }
    }
    if s.command.is_none() {
        r.push(
            Diagnostic::error(
                Some(node.span()),
                format!("vrrp_script {} has no `script`", s.name),
            )
            .help("add `script \"/path/to/check args\"`")
            .note("keepalived removes this vrrp_script"),
        );
        return;
    }
    if cfg.vrrp.scripts.iter().any(|o| o.name == s.name) {
        // keepalived keeps both and finds the first by name.
        r.push(Diagnostic::advice(
            Some(node.span()),
            format!(
                "vrrp_script {} is defined twice: the first one is used",
                s.name
            ),
        ));
    }
    cfg.vrrp.scripts.push(s);
}

fn read_track_file(node: &Node, r: &mut Reader<'_>, cfg: &mut Config) {
    let Some(name) = name_of(node, r, node.keyword()) else {
        return;
    };
    if node.keyword() == "vrrp_track_file" {
        r.push(
            Diagnostic::advice(Some(node.span()), "`vrrp_track_file` is deprecated")
                .help(format!("write `track_file {name}`")),
        );
    }
    let Some(children) = r.block(node) else {
        return;
    };
    let mut t = TrackFile {
        name,
        file: None,
        weight: 1,
        weight_reverse: false,
        init_file: None,
        span: node.span(),
    };
    let mut weight_set = false;
    for c in children {
        match c.keyword() {
            "file" => {
                let Some(f) = r.string(c, 0, "a file path") else {
                    continue;
                };
                if t.file.is_some() {
                    r.push(Diagnostic::error(
                        Some(c.span()),
                        format!(
                            "track_file {}: `file` was already given; this one is ignored",
                            t.name
                        ),
                    ));
                    continue;
                }
                t.file = Some(f);
            }
            "weight" => {
                if weight_set {
                    r.push(Diagnostic::error(
                        Some(c.span()),
                        format!(
                            "track_file {}: `weight` was already given; this one is ignored",
                            t.name
                        ),
                    ));
                    continue;
                }
                t.weight = int_in::<i32>(r, c, 0, -254, 254, "keepalived uses 1").unwrap_or(1);
                // keepalived takes any weight but 1 as "already set".
                weight_set = t.weight != 1;
                if let Some(o) = c.arg(1) {
                    if o.text == "reverse" {
                        t.weight_reverse = true;
                    } else {
                        r.push(
                            Diagnostic::error(
                                Some(o.span),
                                format!("unknown weight option '{}'", o.text),
                            )
                            .help("the only option is `reverse`"),
                        );
                    }
                }
            }
            "init_file" => {
                let mut init = InitFile {
                    value: 0,
                    overwrite: false,
                };
                for w in c.args() {
                    if w.text == "overwrite" {
                        init.overwrite = true;
                    } else if w
                        .text
                        .starts_with(|ch: char| ch.is_ascii_digit() || ch == '-')
                    {
                        match w.text.parse::<i32>() {
                            Ok(v) => {
                                if !(-254..=254).contains(&v) {
                                    r.push(Diagnostic::error(
                                        Some(w.span),
                                        format!("init_file value {v} is outside the sensible range [-254, 254]"),
                                    ));
                                }
                                init.value = v;
                            }
                            Err(_) => r.push(
                                Diagnostic::error(
                                    Some(w.span),
                                    format!("invalid init_file value '{}'", w.text),
                                )
                                .note("keepalived uses 0"),
                            ),
                        }
                    } else {
                        r.push(
                            Diagnostic::error(
                                Some(w.span),
                                format!("unknown init_file option '{}'", w.text),
                            )
                            .help("init_file takes a number and/or `overwrite`"),
                        );
                    }
                }
                t.init_file = Some(init);
            }
            _ => r.unknown(c, Some("track_file"), TRACK_FILE_KEYWORDS),
        }
    }
    if t.file.is_none() {
        r.push(
            Diagnostic::error(
                Some(node.span()),
                format!("track_file {} has no `file`", t.name),
            )
            .help("add `file /path/to/file`")
            .note("keepalived ignores this track_file"),
        );
        return;
    }
    cfg.vrrp.track_files.push(t);
}

fn read_track_process(node: &Node, r: &mut Reader<'_>, cfg: &mut Config) {
    let Some(name) = name_of(node, r, "vrrp_track_process") else {
        return;
    };
    let Some(children) = r.block(node) else {
        return;
    };
    let mut t = TrackProcess {
        name,
        process: None,
        params: Vec::new(),
        param_match: None,
        weight: 0,
        weight_reverse: false,
        quorum: 1,
        quorum_max: None,
        terminate_delay: None,
        fork_delay: None,
        full_command: false,
        span: node.span(),
    };
    let mut weight_set = false;
    for c in children {
        match c.keyword() {
            "process" => {
                let Some(p) = r.string(c, 0, "a process name") else {
                    continue;
                };
                if t.process.is_some() {
                    r.push(Diagnostic::error(
                        Some(c.span()),
                        format!(
                            "track process {}: `process` was already given; this one is ignored",
                            t.name
                        ),
                    ));
                    continue;
                }
                t.process = Some(p);
                if c.args().len() > 1 {
                    t.params = c.args()[1..].iter().map(|w| w.text.to_string()).collect();
                    t.param_match.get_or_insert(ParamMatch::Exact);
                    t.full_command = true;
                }
            }
            "param_match" => match c.arg(0).map(|w| w.text.as_str()) {
                None => {
                    t.param_match = Some(ParamMatch::Exact);
                    t.full_command = true;
                }
                Some("initial") => {
                    t.param_match = Some(ParamMatch::Initial);
                    t.full_command = true;
                }
                Some("partial") => {
                    t.param_match = Some(ParamMatch::Partial);
                    t.full_command = true;
                }
                Some(other) => {
                    let mut d = Diagnostic::error(
                        Some(Reader::span_of(c, 0)),
                        format!("invalid param_match '{other}'"),
                    )
                    .note("keepalived ignores this line");
                    if let Some(s) = nearest(other, ["initial", "partial"]) {
                        d = d.help(format!(
                            "did you mean `{s}`? (or nothing, for an exact match)"
                        ));
                    }
                    r.push(d);
                }
            },
            "weight" => {
                if c.arg(0).is_none() {
                    r.push(Diagnostic::error(
                        Some(c.span()),
                        format!("no weight given for track process {}", t.name),
                    ));
                    continue;
                }
                if weight_set {
                    r.push(Diagnostic::error(
                        Some(c.span()),
                        format!(
                            "track process {}: `weight` was already given; this one is ignored",
                            t.name
                        ),
                    ));
                    continue;
                }
                let Some(w) = int_in::<i32>(r, c, 0, -254, 254, "keepalived ignores this line")
                else {
                    continue;
                };
                weight_set = w != 0;
                t.weight = w;
                if let Some(o) = c.arg(1) {
                    if o.text == "reverse" {
                        t.weight_reverse = true;
                    } else {
                        r.push(
                            Diagnostic::error(
                                Some(o.span),
                                format!("unknown weight option '{}'", o.text),
                            )
                            .help("the only option is `reverse`"),
                        );
                    }
                }
            }
            "quorum" => {
                if let Some(q) = int_in::<u32>(r, c, 0, 1, 65535, "keepalived ignores this line") {
                    if t.quorum_max.is_some_and(|m| q > m) {
                        r.push(Diagnostic::error(
                            Some(Reader::span_of(c, 0)),
                            "quorum is greater than quorum_max: ignored",
                        ));
                    } else {
                        t.quorum = q;
                    }
                }
            }
            "quorum_max" => {
                if let Some(m) = int_in::<u32>(r, c, 0, 0, 65535, "keepalived ignores this line") {
                    if (m != 0 || t.quorum > 1) && m < t.quorum {
                        r.push(Diagnostic::error(
                            Some(Reader::span_of(c, 0)),
                            "quorum_max is less than quorum: ignored",
                        ));
                    } else {
                        t.quorum_max = Some(m);
                        if m == 0 {
                            t.quorum = 0;
                        } else if t.quorum == 0 {
                            t.quorum = 1;
                        }
                    }
                }
            }
            kw @ ("delay" | "terminate_delay" | "fork_delay") => {
                if let Some(d) = secs_in(r, c, 0, 0.000001, 3600.0, "keepalived ignores this line")
                {
                    if kw != "fork_delay" {
                        t.terminate_delay = Some(d);
                    }
                    if kw != "terminate_delay" {
                        t.fork_delay = Some(d);
                    }
                }
            }
            "full_command" => t.full_command = true,
            _ => r.unknown(c, Some("vrrp_track_process"), TRACK_PROCESS_KEYWORDS),
        }
    }
    if t.process.is_none() {
        r.push(
            Diagnostic::error(
                Some(node.span()),
                format!("track process '{}' has no `process`", t.name),
            )
            .help("add `process NAME`")
            .note("keepalived ignores this vrrp_track_process"),
        );
        return;
    }
    cfg.vrrp.track_processes.push(t);
}

fn read_garp_group(node: &Node, r: &mut Reader<'_>, cfg: &mut Config) {
    let Some(children) = r.block(node) else {
        return;
    };
    let mut g = GarpGroup {
        garp_interval: None,
        gna_interval: None,
        interfaces: Vec::new(),
        span: node.span(),
    };
    for c in children {
        match c.keyword() {
            kw @ ("garp_interval" | "gna_interval") => {
                if let Some(d) = secs_in(
                    r,
                    c,
                    0,
                    0.0,
                    f64::from(i32::MAX) / 1_000_000.0,
                    "keepalived ignores this line",
                ) {
                    if d >= Duration::from_secs(1) {
                        r.push(Diagnostic::advice(
                            Some(Reader::span_of(c, 0)),
                            format!(
                                "the {kw} is very large: {} seconds",
                                c.arg(0).map(|w| w.text.as_str()).unwrap_or("")
                            ),
                        ));
                    }
                    if kw == "garp_interval" {
                        g.garp_interval = Some(d);
                    } else {
                        g.gna_interval = Some(d);
                    }
                }
            }
            "interface" => {
                if let Some(i) = r.string(c, 0, "an interface name") {
                    g.interfaces.push(i);
                }
            }
            "interfaces" => {
                let list = ip::value_block(c, r);
                if list.is_empty() && c.block.is_some() {
                    r.push(Diagnostic::warning(
                        Some(c.span()),
                        "empty garp_group interfaces block",
                    ));
                }
                g.interfaces.extend(list);
            }
            _ => r.unknown(c, Some("garp_group"), GARP_GROUP_KEYWORDS),
        }
    }
    if g.garp_interval.is_none() && g.gna_interval.is_none() {
        r.push(
            Diagnostic::error(
                Some(node.span()),
                "garp_group has neither garp_interval nor gna_interval",
            )
            .help("add `garp_interval SECS` and/or `gna_interval SECS`")
            .note("keepalived removes this garp_group"),
        );
        return;
    }
    cfg.vrrp.garp_groups.push(g);
}

/// Reads the lines of a track_* block: `NAME [weight N [reverse|noreverse]]`.
fn read_tracks(r: &mut Reader<'_>, node: &Node, owner: &str, kind: &str) -> Vec<Track> {
    let mut out: Vec<Track> = Vec::new();
    let Some(lines) = r.block(node) else {
        return out;
    };
    for l in lines {
        if l.block.is_some() {
            r.no_block(l);
        }
        let name = l.keyword().to_string();
        if out.iter().any(|t| t.name == name) {
            r.push(
                Diagnostic::error(
                    Some(l.span()),
                    format!("({owner}) duplicate {kind} {name}: ignored"),
                )
                .help("list each tracked object once"),
            );
            continue;
        }
        let mut t = Track {
            name,
            weight: 0,
            reverse: false,
            weight_given: false,
            reverse_given: false,
            span: l.span(),
        };
        if let Some(opt) = l.arg(0) {
            if opt.text != "weight" {
                let mut d = Diagnostic::error(
                    Some(opt.span),
                    format!("({owner}) unknown {kind} option '{}'", opt.text),
                )
                .note("keepalived ignores this line");
                if let Some(s) = nearest(&opt.text, ["weight"]) {
                    d = d.help(format!("did you mean `{s}`?"));
                } else {
                    d = d.help(format!("write `{} weight N`", t.name));
                }
                r.push(d);
                continue;
            }
            let Some(wv) = l.arg(1) else {
                r.push(
                    Diagnostic::error(
                        Some(opt.span),
                        format!("({owner}) `weight` without a value for {kind} {}", t.name),
                    )
                    .note("keepalived ignores this line"),
                );
                continue;
            };
            let (min, max) = if kind == "track_bfd" {
                (-253, 253)
            } else {
                (-254, 254)
            };
            match wv.text.parse::<i32>() {
                Ok(v) if (min..=max).contains(&v) => {
                    t.weight_given = true;
                    t.weight = v;
                    if v.abs() == 254 && matches!(kind, "track_interface" | "track_script") {
                        r.push(
                            Diagnostic::error(
                                Some(wv.span),
                                format!("({owner}) the weight for {} cannot be {v}", t.name),
                            )
                            .note("keepalived uses ±253"),
                        );
                        t.weight = v.signum() * 253;
                    }
                }
                _ => {
                    let shown = if kind == "track_interface"
                        || kind == "track_script"
                        || kind == "track_bfd"
                    {
                        253
                    } else {
                        254
                    };
                    r.push(
                        Diagnostic::error(
                            Some(wv.span),
                            format!(
                                "({owner}) the weight {} for {} must be in [-{shown}, {shown}]",
                                wv.text, t.name
                            ),
                        )
                        .note(if kind == "track_interface" {
                            "keepalived uses 0"
                        } else {
                            "keepalived uses the tracked object's own weight"
                        }),
                    );
                }
            }
            if let Some(o) = l.arg(2) {
                match o.text.as_str() {
                    "reverse" => {
                        t.reverse = true;
                        t.reverse_given = true;
                    }
                    "noreverse" if kind != "track_interface" => t.reverse_given = true,
                    other => {
                        let mut d = Diagnostic::error(
                            Some(o.span),
                            format!("({owner}) unknown {kind} weight option '{other}'"),
                        );
                        let opts: &[&str] = if kind == "track_interface" {
                            &["reverse"]
                        } else {
                            &["reverse", "noreverse"]
                        };
                        if let Some(s) = nearest(other, opts.iter().copied()) {
                            d = d.help(format!("did you mean `{s}`?"));
                        }
                        r.push(d);
                        if matches!(kind, "track_file" | "track_bfd") {
                            continue;
                        }
                    }
                }
            }
        }
        out.push(t);
    }
    out
}

fn read_sync_group(node: &Node, r: &mut Reader<'_>, cfg: &mut Config) {
    let Some(name) = name_of(node, r, "vrrp_sync_group") else {
        return;
    };
    if cfg.vrrp.sync_group_names.contains(&name) {
        r.push(
            Diagnostic::error(
                Some(node.span()),
                format!("vrrp_sync_group {name} is already defined"),
            )
            .note("keepalived skips this block"),
        );
        return;
    }
    let Some(children) = r.block(node) else {
        return;
    };
    let mut g = SyncGroup {
        name,
        instances: Vec::new(),
        instance_spans: Vec::new(),
        track_interfaces: Vec::new(),
        track_scripts: Vec::new(),
        track_files: Vec::new(),
        track_processes: Vec::new(),
        track_bfds: Vec::new(),
        notify_master: None,
        notify_backup: None,
        notify_fault: None,
        notify_stop: None,
        notify: None,
        smtp_alert: None,
        tracking_weight: false,
        notify_priority_changes: None,
        span: node.span(),
    };
    let mut have_group = false;
    for c in children {
        let owner = g.name.clone();
        match c.keyword() {
            "group" => {
                if have_group {
                    r.push(
                        Diagnostic::error(
                            Some(c.span()),
                            format!("the group list of sync group {owner} was already given"),
                        )
                        .note("keepalived ignores this one"),
                    );
                    continue;
                }
                have_group = true;
                let words = ip::value_words(c, r);
                g.instance_spans = words.iter().map(|(_, s)| *s).collect();
                g.instances = words.into_iter().map(|(w, _)| w).collect();
                if g.instances.is_empty() && c.block.is_some() {
                    r.push(Diagnostic::error(
                        Some(c.span()),
                        format!("sync group {owner} has an empty group block"),
                    ));
                }
            }
            "track_interface" => {
                g.track_interfaces
                    .extend(read_tracks(r, c, &owner, "track_interface"))
            }
            "track_script" => g
                .track_scripts
                .extend(read_tracks(r, c, &owner, "track_script")),
            "track_file" => g
                .track_files
                .extend(read_tracks(r, c, &owner, "track_file")),
            "track_process" => g
                .track_processes
                .extend(read_tracks(r, c, &owner, "track_process")),
            "track_bfd" => g.track_bfds.extend(read_tracks(r, c, &owner, "track_bfd")),
            "notify_master" => set_once(r, c, &mut g.notify_master, &owner),
            "notify_backup" => set_once(r, c, &mut g.notify_backup, &owner),
            "notify_fault" => set_once(r, c, &mut g.notify_fault, &owner),
            "notify_stop" => set_once(r, c, &mut g.notify_stop, &owner),
            "notify" => set_once(r, c, &mut g.notify, &owner),
            "smtp_alert" => {
                if let Some(b) = bool_arg(r, c, 0) {
                    g.smtp_alert = Some(b);
                }
            }
            "global_tracking" => {
                r.push(
                    Diagnostic::warning(Some(c.span()), format!("({owner}) `global_tracking` is deprecated"))
                        .help("write `sync_group_tracking_weight`, or put track_interface/track_script/track_file on the sync group"),
                );
                g.tracking_weight = true;
            }
            "sync_group_tracking_weight" => g.tracking_weight = true,
            "notify_deleted" => r.push(
                Diagnostic::error(
                    Some(c.span()),
                    "keepalived 2.2.7 does not read `notify_deleted` in a vrrp_sync_group (its man page documents it)",
                )
                .help("put `notify_deleted` in each vrrp_instance of the group")
                .note("keepalived ignores this line as an unknown keyword"),
            ),
            "notify_priority_changes" => {
                if let Some(b) = bool_arg(r, c, 0) {
                    g.notify_priority_changes = Some(b);
                }
            }
            _ => r.unknown(c, Some("vrrp_sync_group"), SYNC_GROUP_KEYWORDS),
        }
    }
    cfg.vrrp.sync_group_names.insert(g.name.clone());
    cfg.vrrp.sync_groups.push(g);
}

/// A MAC address of 5 or 6 octets as keepalived reads it for `use_vmac`.
fn parse_mac(s: &str) -> Option<Vec<u8>> {
    let parts: Vec<&str> = s.trim_end_matches(':').split(':').collect();
    if !(5..=6).contains(&parts.len()) {
        return None;
    }
    parts
        .iter()
        .map(|p| {
            if p.is_empty() || p.len() > 2 {
                None
            } else {
                u8::from_str_radix(p, 16).ok()
            }
        })
        .collect()
}

fn dev_name_valid(name: &str) -> bool {
    !name.is_empty()
        && name.len() < 16
        && name != "."
        && name != ".."
        && !name.contains(['/', ':'])
        && !name.contains(char::is_whitespace)
}

/// Sets the instance's address family from an address, or reports the mismatch.
fn family_matches(inst: &mut Instance, f: Family) -> bool {
    match inst.family {
        None => {
            inst.family = Some(f);
            true
        }
        Some(cur) => cur == f,
    }
}

fn read_instance(node: &Node, r: &mut Reader<'_>, cfg: &mut Config) {
    let Some(name) = name_of(node, r, "vrrp_instance") else {
        return;
    };
    if cfg.vrrp.instance_names.contains(&name) {
        r.push(
            Diagnostic::error(
                Some(node.span()),
                format!("vrrp_instance {name} is already defined"),
            )
            .help("give each instance its own name")
            .note("keepalived skips this block"),
        );
        return;
    }
    let Some(children) = r.block(node) else {
        return;
    };
    let mut inst = Instance::new(name, node.span());
    let n = inst.name.clone();
    for c in children {
        match c.keyword() {
            "use_vmac" => {
                let mut v = inst.use_vmac.take().unwrap_or_default();
                for w in c.args().iter().take(2) {
                    if w.text.contains(':') {
                        if v.mac.is_some() {
                            r.push(Diagnostic::error(
                                Some(w.span),
                                "VMAC address already given",
                            ));
                            continue;
                        }
                        match parse_mac(&w.text) {
                            None => r.push(
                                Diagnostic::error(Some(w.span), format!("invalid VMAC address '{}'", w.text))
                                    .help("write 5 or 6 hex octets, e.g. 02:00:5e:00:01 (the VRID is appended)")
                                    .note("keepalived ignores it"),
                            ),
                            Some(m) if m[0] & 1 == 1 => r.push(
                                Diagnostic::error(Some(w.span), format!("VMAC address {} is multicast", w.text))
                                    .note("keepalived ignores it"),
                            ),
                            Some(m) if m[..4] == [0, 0, 0x5e, 0] && matches!(m.get(4), Some(1 | 2)) => r.push(
                                Diagnostic::error(Some(w.span), format!("VMAC address {} is an RFC 5798 VRRP address", w.text))
                                    .help("leave the address out to get the standard VRRP MAC")
                                    .note("keepalived ignores it"),
                            ),
                            Some(m) => v.mac = Some(m),
                        }
                    } else if v.name.is_some() {
                        r.push(Diagnostic::error(
                            Some(w.span),
                            "VMAC interface name already given",
                        ));
                    } else if !dev_name_valid(&w.text) {
                        r.push(
                            Diagnostic::error(Some(w.span), format!("VMAC interface name '{}' is too long or has invalid characters", w.text))
                                .help("interface names are 1 to 15 characters, without '/', ':' or spaces")
                                .note("keepalived ignores the name"),
                        );
                    } else if let Some(o) = cfg.vrrp.instances.iter().find(|o| {
                        o.use_vmac.as_ref().and_then(|v| v.name.as_deref()) == Some(w.text.as_str())
                            || o.use_ipvlan.as_ref().and_then(|v| v.name.as_deref())
                                == Some(w.text.as_str())
                    }) {
                        r.push(
                            Diagnostic::error(
                                Some(w.span),
                                format!("({n}) vrrp_instance {} already uses {}", o.name, w.text),
                            )
                            .note("keepalived ignores the name"),
                        );
                    } else {
                        v.name = Some(w.text.to_string());
                    }
                }
                inst.use_vmac = Some(v);
            }
            "use_vmac_addr" => inst.use_vmac_addr = true,
            "vmac_xmit_base" => inst.vmac_xmit_base = true,
            "use_ipvlan" => {
                if inst.use_ipvlan.is_some() {
                    r.push(Diagnostic::error(
                        Some(c.span()),
                        format!("({n}) use_ipvlan already given"),
                    ));
                    continue;
                }
                let mut v = Ipvlan::default();
                for w in c.args() {
                    let mode = match w.text.as_str() {
                        "bridge" => Some(IpvlanMode::Bridge),
                        "private" => Some(IpvlanMode::Private),
                        "vepa" => Some(IpvlanMode::Vepa),
                        _ => None,
                    };
                    if let Some(m) = mode {
                        if v.mode.is_some() {
                            r.push(Diagnostic::error(
                                Some(w.span),
                                format!("({n}) ipvlan type already given: '{}' ignored", w.text),
                            ));
                        } else {
                            v.mode = Some(m);
                        }
                    } else if w
                        .text
                        .split('/')
                        .next()
                        .is_some_and(|a| a.parse::<IpAddr>().is_ok())
                    {
                        let Some((a, len)) = ip::parse_prefix(r, w, true) else {
                            continue;
                        };
                        if v.addr.is_some() {
                            r.push(Diagnostic::error(
                                Some(w.span),
                                format!("({n}) ipvlan address already given"),
                            ));
                        } else if !family_matches(&mut inst, Family::of(&a)) {
                            r.push(Diagnostic::error(
                                Some(w.span),
                                format!(
                                    "({n}) ipvlan address {} is not of the instance's family",
                                    w.text
                                ),
                            ));
                        } else {
                            v.addr = Some((a, len));
                            if inst.src_ip.is_none() {
                                inst.src_ip = Some(a);
                            }
                        }
                    } else if v.name.is_some() {
                        r.push(Diagnostic::error(
                            Some(w.span),
                            format!("({n}) ipvlan interface already given"),
                        ));
                    } else if w.text.len() >= 16 {
                        r.push(
                            Diagnostic::error(
                                Some(w.span),
                                format!("({n}) ipvlan interface name '{}' is too long", w.text),
                            )
                            .note("keepalived ignores it"),
                        );
                    } else {
                        v.name = Some(w.text.to_string());
                    }
                }
                inst.use_ipvlan = Some(v);
            }
            "unicast_peer" => {
                inst.unicast_configured = true;
                let Some(lines) = r.block(c) else { continue };
                for l in lines {
                    if let Some(p) = read_peer(r, l, &mut inst) {
                        inst.unicast_peers.push(p);
                    }
                }
            }
            "unicast_fault_no_peer" => {
                inst.unicast_configured = true;
                inst.unicast_fault_no_peer = true;
            }
            "check_unicast_src" => {
                inst.unicast_configured = true;
                inst.check_unicast_src = true;
            }
            "old_unicast_checksum" => {
                inst.unicast_configured = true;
                match c.arg(0).map(|w| w.text.as_str()) {
                    None => inst.old_unicast_checksum = Some(true),
                    Some("never") => inst.old_unicast_checksum = Some(false),
                    Some(o) => r.push(
                        Diagnostic::error(
                            Some(Reader::span_of(c, 0)),
                            format!("({n}) unknown old_unicast_checksum mode '{o}'"),
                        )
                        .help("write `old_unicast_checksum` or `old_unicast_checksum never`")
                        .note("keepalived ignores it"),
                    ),
                }
            }
            "native_ipv6" => {
                if inst.family == Some(Family::V4) {
                    r.push(Diagnostic::error(
                        Some(c.span()),
                        format!("({n}) native_ipv6 cannot go with IPv4 addresses"),
                    ));
                    continue;
                }
                inst.native_ipv6 = true;
                inst.family = Some(Family::V6);
                inst.version = 3;
            }
            "state" => {
                let Some(w) = c.arg(0) else {
                    r.str(c, 0, "MASTER or BACKUP");
                    continue;
                };
                match w.text.as_str() {
                    "MASTER" => inst.state = State::Master,
                    "BACKUP" => {
                        if inst.state == State::Master {
                            r.push(Diagnostic::error(
                                Some(w.span),
                                format!("({n}) state was already set to MASTER: BACKUP is ignored"),
                            ));
                        } else {
                            inst.state = State::Backup;
                        }
                    }
                    other => {
                        let mut d = Diagnostic::error(
                            Some(w.span),
                            format!("({n}) unknown state '{other}': it must be MASTER or BACKUP"),
                        )
                        .note("keepalived starts this instance as BACKUP");
                        let up = other.to_ascii_uppercase();
                        if let Some(s) = nearest(&up, ["MASTER", "BACKUP"]) {
                            d = d.help(format!("did you mean `{s}`? (states are upper case)"));
                        }
                        r.push(d);
                        inst.state = State::Backup;
                    }
                }
            }
            "interface" => {
                let Some(w) = c.arg(0) else {
                    r.str(c, 0, "an interface name");
                    continue;
                };
                if w.text.len() >= 16 {
                    r.push(
                        Diagnostic::error(
                            Some(w.span),
                            format!("interface name '{}' is too long", w.text),
                        )
                        .help("interface names are at most 15 characters")
                        .note("keepalived ignores this line"),
                    );
                    continue;
                }
                if w.text == "lo" {
                    r.push(
                        Diagnostic::error(
                            Some(w.span),
                            format!("({n}) a loopback interface cannot carry VRRP"),
                        )
                        .note("keepalived ignores this line"),
                    );
                    continue;
                }
                inst.interface = Some(w.text.to_string());
            }
            "vrf" => {
                let Some(w) = c.arg(0) else {
                    r.str(c, 0, "a VRF interface name");
                    continue;
                };
                if inst.interface.is_some() {
                    r.push(
                        Diagnostic::error(
                            Some(w.span),
                            format!("({n}) a VRF cannot be given with an interface"),
                        )
                        .note("keepalived ignores it"),
                    );
                } else if inst.vrf.is_some() {
                    r.push(
                        Diagnostic::error(Some(w.span), format!("({n}) VRF already given"))
                            .note("keepalived ignores it"),
                    );
                } else if w.text.len() >= 16 {
                    r.push(Diagnostic::error(
                        Some(w.span),
                        format!("({n}) VRF name '{}' is too long", w.text),
                    ));
                } else {
                    inst.vrf = Some(w.text.to_string());
                }
            }
            "dont_track_primary" => inst.dont_track_primary = true,
            "track_interface" => {
                inst.track_interfaces
                    .extend(read_tracks(r, c, &n, "track_interface"))
            }
            "track_script" => inst
                .track_scripts
                .extend(read_tracks(r, c, &n, "track_script")),
            "track_file" => inst.track_files.extend(read_tracks(r, c, &n, "track_file")),
            "track_process" => inst
                .track_processes
                .extend(read_tracks(r, c, &n, "track_process")),
            "track_bfd" => inst.track_bfds.extend(read_tracks(r, c, &n, "track_bfd")),
            kw @ ("mcast_src_ip" | "unicast_src_ip") => {
                if kw == "unicast_src_ip" {
                    inst.unicast_configured = true;
                }
                let Some(w) = c.arg(0) else {
                    r.str(c, 0, "an IP address");
                    continue;
                };
                match w.text.parse::<IpAddr>() {
                    Err(_) => r.push(
                        Diagnostic::error(
                            Some(w.span),
                            format!("({n}) invalid source address '{}'", w.text),
                        )
                        .note("keepalived ignores this line"),
                    ),
                    Ok(a) if !family_matches(&mut inst, Family::of(&a)) => r.push(
                        Diagnostic::error(
                            Some(w.span),
                            format!("({n}) source address {a} is not of the instance's family"),
                        )
                        .note("keepalived ignores this line"),
                    ),
                    Ok(a) => inst.src_ip = Some(a),
                }
            }
            "mcast_dst_ip" => {
                let Some(w) = c.arg(0) else {
                    r.str(c, 0, "a multicast address");
                    continue;
                };
                match w.text.parse::<IpAddr>() {
                    Err(_) => r.push(
                        Diagnostic::error(
                            Some(w.span),
                            format!("({n}) invalid multicast destination '{}'", w.text),
                        )
                        .note("keepalived ignores this line"),
                    ),
                    Ok(a) if !family_matches(&mut inst, Family::of(&a)) => r.push(
                        Diagnostic::error(
                            Some(w.span),
                            format!(
                                "({n}) multicast destination {a} is not of the instance's family"
                            ),
                        )
                        .note("keepalived ignores this line"),
                    ),
                    Ok(a) => {
                        let ok = match a {
                            IpAddr::V4(v) => v.is_multicast(),
                            IpAddr::V6(v) => v.segments()[0] & 0xff0f == 0xff02,
                        };
                        if ok {
                            inst.mcast_dst_ip = Some(a);
                        } else {
                            r.push(
                                Diagnostic::error(
                                    Some(w.span),
                                    format!(
                                        "({n}) mcast_dst_ip {a} is not a {}multicast address",
                                        if a.is_ipv6() { "link-local " } else { "" }
                                    ),
                                )
                                .note("keepalived ignores this line"),
                            );
                        }
                    }
                }
            }
            "track_src_ip" => inst.track_src_ip = true,
            "virtual_router_id" => match int_in::<u8>(
                r,
                c,
                0,
                1,
                255,
                "the instance has no VRID, which keepalived refuses",
            ) {
                Some(v) => inst.virtual_router_id = v,
                None => inst.vrid_reported = true,
            },
            "unicast_ttl" => {
                if let Some(v) = int_in::<u8>(r, c, 0, 0, 255, "keepalived ignores this line") {
                    inst.unicast_ttl = Some(v);
                }
            }
            "version" => {
                if let Some(v) = int_in::<u8>(r, c, 0, 2, 3, "keepalived ignores this line") {
                    if (inst.version != 0 && inst.version != v)
                        || (v == 2 && inst.family == Some(Family::V6))
                    {
                        r.push(
                            Diagnostic::error(Some(Reader::span_of(c, 0)), format!("({n}) version {v} conflicts with the version already set or implied ({})", inst.version.max(3)))
                                .note("keepalived ignores this line"),
                        );
                    } else {
                        inst.version = v;
                        inst.version_as_written = Some(v);
                    }
                }
            }
            "priority" => {
                inst.priority =
                    int_in::<u8>(r, c, 0, 1, 255, "keepalived uses the default priority 100")
                        .unwrap_or(DEFAULT_PRIORITY);
            }
            "advert_int" => {
                if let Some(d) = secs_in(
                    r,
                    c,
                    0,
                    0.01,
                    255.0,
                    "keepalived keeps the default, 1 second",
                ) {
                    inst.advert_int = d;
                }
            }
            "authentication" => {
                let Some(lines) = r.block(c) else { continue };
                read_auth(r, lines, &mut inst, c.span());
            }
            "virtual_ipaddress" => {
                let Some(lines) = r.block(c) else { continue };
                for l in lines {
                    let Some(v) = ip::read_address(l, r, false) else {
                        continue;
                    };
                    if !family_matches(&mut inst, v.family()) {
                        r.push(
                            Diagnostic::error(Some(v.span), format!("({n}) {} is not of the instance's family: ignored", v.addr))
                                .help("IPv4 and IPv6 addresses need separate instances; or move it to virtual_ipaddress_excluded"),
                        );
                        continue;
                    }
                    inst.vips.push(v);
                }
            }
            "virtual_ipaddress_excluded" => {
                let Some(lines) = r.block(c) else { continue };
                for l in lines {
                    if let Some(v) = ip::read_address(l, r, false) {
                        inst.excluded_vips.push(v);
                    }
                }
            }
            "promote_secondaries" => inst.promote_secondaries = true,
            "linkbeat_use_polling" => {
                r.push(
                    Diagnostic::warning(
                        Some(c.span()),
                        format!("({n}) `linkbeat_use_polling` in a vrrp_instance is deprecated"),
                    )
                    .help("list the interface in a top-level `linkbeat_interfaces` block"),
                );
                inst.linkbeat_use_polling = true;
            }
            "virtual_routes" => {
                let Some(lines) = r.block(c) else { continue };
                for l in lines {
                    if let Some(rt) = ip::read_route(l, r, false) {
                        inst.routes.push(rt);
                    }
                }
            }
            "virtual_rules" => {
                let Some(lines) = r.block(c) else { continue };
                for l in lines {
                    if let Some(rule) = ip::read_rule(l, r, false, &mut cfg.statics.auto_priorities)
                    {
                        inst.rules.push(rule);
                    }
                }
            }
            "accept" => {
                inst.accept = Some(true);
                inst.accept_as_written = Some(true);
            }
            "no_accept" => {
                inst.accept = Some(false);
                inst.accept_as_written = Some(false);
            }
            "skip_check_adv_addr" => {
                if let Some(b) = bool_arg(r, c, 0) {
                    // keepalived sets the flag whatever the value (a quirk of 2.2.7).
                    let _ = b;
                    inst.skip_check_adv_addr = Some(true);
                }
            }
            "strict_mode" => {
                if let Some(b) = bool_arg(r, c, 0) {
                    inst.strict_mode = Some(b);
                }
            }
            "preempt" => inst.nopreempt = false,
            "nopreempt" => inst.nopreempt = true,
            "preempt_delay" => {
                inst.preempt_delay =
                    secs_in(r, c, 0, 0.0, 1000.0, "keepalived uses 0").unwrap_or(Duration::ZERO);
            }
            "debug" => {
                if let Some(v) = int_in::<u8>(r, c, 0, 0, 4, "keepalived ignores this line") {
                    inst.debug = v;
                }
            }
            "notify_backup" => set_once(r, c, &mut inst.notify_backup, &n),
            "notify_master" => set_once(r, c, &mut inst.notify_master, &n),
            "notify_fault" => set_once(r, c, &mut inst.notify_fault, &n),
            "notify_stop" => set_once(r, c, &mut inst.notify_stop, &n),
            "notify" => set_once(r, c, &mut inst.notify, &n),
            "notify_master_rx_lower_pri" => {
                set_once(r, c, &mut inst.notify_master_rx_lower_pri, &n)
            }
            "notify_deleted" => {
                if inst.notify_deleted {
                    r.push(Diagnostic::error(
                        Some(c.span()),
                        format!("({n}) notify_deleted was already given: this one is ignored"),
                    ));
                    continue;
                }
                inst.notify_deleted = true;
                if c.arg(0).is_some() {
                    inst.notify_deleted_script = command(r, c);
                }
            }
            "smtp_alert" => {
                if let Some(b) = bool_arg(r, c, 0) {
                    inst.smtp_alert = Some(b);
                }
            }
            "notify_priority_changes" => {
                if let Some(b) = bool_arg(r, c, 0) {
                    inst.notify_priority_changes = Some(b);
                }
            }
            "lvs_sync_daemon_interface" => {
                r.push(
                    Diagnostic::error(
                        Some(c.span()),
                        format!(
                            "({n}) `lvs_sync_daemon_interface` in a vrrp_instance is deprecated"
                        ),
                    )
                    .help("use `lvs_sync_daemon IFNAME INSTANCE` in global_defs"),
                );
                inst.lvs_sync_daemon_interface = c.arg(0).map(|w| w.text.to_string());
            }
            "garp_master_delay" => {
                if let Some(v) = int_in::<u32>(
                    r,
                    c,
                    0,
                    0,
                    u32::MAX / 1_000_000,
                    "keepalived ignores this line",
                ) {
                    inst.garp_master_delay = Some(Duration::from_secs(u64::from(v)));
                }
            }
            "garp_master_refresh" => {
                let v = int_in::<u32>(r, c, 0, 0, u32::MAX, "keepalived uses 0 (no refresh)")
                    .unwrap_or(0);
                inst.garp_master_refresh = Some(Duration::from_secs(u64::from(v)));
            }
            kw @ ("garp_master_repeat" | "garp_master_refresh_repeat") => {
                if let Some(v) = int_in::<u32>(r, c, 0, 0, u32::MAX, "keepalived ignores this line")
                {
                    if v == 0 {
                        r.push(
                            Diagnostic::error(
                                Some(Reader::span_of(c, 0)),
                                format!("({n}) {kw} must be greater than 0"),
                            )
                            .note("keepalived uses 1"),
                        );
                    }
                    let slot = if kw == "garp_master_repeat" {
                        &mut inst.garp_master_repeat
                    } else {
                        &mut inst.garp_master_refresh_repeat
                    };
                    *slot = Some(v.max(1));
                }
            }
            "garp_lower_prio_delay" => {
                if let Some(v) = int_in::<u32>(
                    r,
                    c,
                    0,
                    0,
                    u32::MAX / 1_000_000,
                    "keepalived ignores this line",
                ) {
                    inst.garp_lower_prio_delay = Some(Duration::from_secs(u64::from(v)));
                }
            }
            "garp_lower_prio_repeat" => {
                if let Some(v) =
                    int_in::<u32>(r, c, 0, 0, i32::MAX as u32, "keepalived ignores this line")
                {
                    inst.garp_lower_prio_repeat = Some(v);
                }
            }
            "down_timer_adverts" => {
                if let Some(v) = int_in::<u32>(r, c, 0, 1, 100, "keepalived ignores this line") {
                    inst.down_timer_adverts = Some(v);
                }
            }
            kw @ ("garp_extra_if" | "vmac_garp_intvl") => {
                if kw == "vmac_garp_intvl" {
                    r.push(
                        Diagnostic::warning(Some(c.span()), "`vmac_garp_intvl` is deprecated")
                            .help("write `garp_extra_if`"),
                    );
                }
                let mut all = false;
                let mut secs: Option<u32> = None;
                let mut bad = false;
                for (i, w) in c.args().iter().enumerate() {
                    if w.text == "all" {
                        all = true;
                    } else if let Some(v) =
                        int_in::<u32>(r, c, i, 0, 86400, "keepalived ignores this line")
                    {
                        secs = Some(v);
                    } else {
                        bad = true;
                        break;
                    }
                }
                if bad {
                    continue;
                }
                match secs {
                    Some(s) => {
                        inst.garp_extra_if = Some(GarpExtraIf {
                            interval: Duration::from_secs(u64::from(s)),
                            all,
                        })
                    }
                    None => r.push(
                        Diagnostic::error(Some(c.span()), format!("({n}) {kw} needs a time"))
                            .help(format!("write `{kw} [all] SECONDS`"))
                            .note("keepalived ignores this line"),
                    ),
                }
            }
            kw @ ("lower_prio_no_advert" | "higher_prio_send_advert") => {
                if let Some(b) = bool_arg(r, c, 0) {
                    if kw == "lower_prio_no_advert" {
                        inst.lower_prio_no_advert = Some(b);
                    } else {
                        inst.higher_prio_send_advert = Some(b);
                    }
                }
            }
            "kernel_rx_buf_size" => {
                if c.args().len() != 1 {
                    r.push(Diagnostic::error(
                        Some(c.line_span()),
                        format!("({n}) kernel_rx_buf_size takes one number"),
                    ));
                    continue;
                }
                if let Some(v) = int_in::<u32>(r, c, 0, 0, u32::MAX, "keepalived ignores this line")
                {
                    inst.kernel_rx_buf_size = Some(v);
                }
            }
            _ => r.unknown(c, Some("vrrp_instance"), INSTANCE_KEYWORDS),
        }
    }
    if inst.unicast_ttl.is_some() && inst.unicast_peers.is_empty() {
        r.push(
            Diagnostic::error(
                Some(inst.span),
                format!("({n}) unicast_ttl needs unicast peers"),
            )
            .note("keepalived ignores unicast_ttl"),
        );
        inst.unicast_ttl = None;
    }
    if inst.is_unicast() && (inst.use_vmac.is_some() || inst.use_ipvlan.is_some()) {
        if inst.interface.is_none() {
            r.push(
                Diagnostic::error(
                    Some(inst.span),
                    format!("({n}) a VMAC/ipvlan with unicast needs an interface"),
                )
                .note("keepalived clears use_vmac/use_ipvlan"),
            );
            inst.use_vmac = None;
            inst.use_ipvlan = None;
        } else if !inst.vmac_xmit_base && inst.use_vmac.is_some() {
            r.push(
                Diagnostic::error(
                    Some(inst.span),
                    format!("({n}) unicast with use_vmac needs vmac_xmit_base"),
                )
                .help("add `vmac_xmit_base`")
                .note("keepalived sets it"),
            );
            inst.vmac_xmit_base = true;
        }
    }
    if inst.interface.is_none() {
        inst.linkbeat_use_polling = false;
    }
    cfg.vrrp.instance_names.insert(inst.name.clone());
    cfg.vrrp.instances.push(inst);
}

fn read_peer(r: &mut Reader<'_>, l: &Node, inst: &mut Instance) -> Option<UnicastPeer> {
    let n = inst.name.clone();
    let w = &l.words[0];
    let Ok(addr) = w.text.parse::<IpAddr>() else {
        r.push(
            Diagnostic::error(
                Some(w.span),
                format!("({n}) invalid unicast peer address '{}'", w.text),
            )
            .note("keepalived skips this peer"),
        );
        return None;
    };
    if !family_matches(inst, Family::of(&addr)) {
        r.push(
            Diagnostic::error(
                Some(w.span),
                format!("({n}) unicast peer {addr} is not of the instance's family"),
            )
            .help("all peers, the source address and the VIPs of an instance are one family")
            .note("keepalived skips this peer"),
        );
        return None;
    }
    let mut p = UnicastPeer {
        addr,
        min_ttl: 0,
        max_ttl: 255,
        span: w.span,
    };
    let args = l.args();
    let mut i = 0;
    while i < args.len() {
        let opt = &args[i];
        let Some(val) = args.get(i + 1) else {
            r.push(Diagnostic::error(
                Some(opt.span),
                format!("({n}) `{}` needs a value", opt.text),
            ));
            break;
        };
        if let Ok(v) = val.text.parse::<u8>() {
            match opt.text.as_str() {
                "min_ttl" => p.min_ttl = v,
                "max_ttl" => p.max_ttl = v,
                other => {
                    let mut d = Diagnostic::error(
                        Some(opt.span),
                        format!("({n}) unknown unicast_peer option '{other}'"),
                    );
                    if let Some(s) = nearest(other, ["min_ttl", "max_ttl"]) {
                        d = d.help(format!("did you mean `{s}`?"));
                    }
                    r.push(d);
                    break;
                }
            }
            inst.check_unicast_src = true;
        } else {
            r.push(
                Diagnostic::error(
                    Some(val.span),
                    format!(
                        "({n}) `{}` takes a number 0-255, not '{}'",
                        opt.text, val.text
                    ),
                )
                .note("keepalived ignores this option"),
            );
        }
        i += 2;
    }
    if p.min_ttl > p.max_ttl {
        r.push(Diagnostic::error(
            Some(w.span),
            format!(
                "({n}) min_ttl {} > max_ttl {}: every packet from this peer will be discarded",
                p.min_ttl, p.max_ttl
            ),
        ));
    }
    Some(p)
}

fn read_auth(r: &mut Reader<'_>, lines: &[Node], inst: &mut Instance, span: Span) {
    let n = inst.name.clone();
    let mut kind: Option<AuthType> = inst.auth.as_ref().map(|a| a.kind);
    let mut pass: Option<String> = inst.auth.as_ref().map(|a| a.pass.clone());
    for c in lines {
        match c.keyword() {
            "auth_type" => {
                let Some(w) = c.arg(0) else {
                    r.str(c, 0, "PASS or AH");
                    continue;
                };
                match w.text.as_str() {
                    "PASS" => kind = Some(AuthType::Pass),
                    "AH" => kind = Some(AuthType::Ah),
                    other => {
                        let mut d = Diagnostic::error(
                            Some(w.span),
                            format!(
                                "({n}) unknown authentication type '{other}': it must be PASS or AH"
                            ),
                        )
                        .help("write `auth_type PASS` (or `AH`; both only with VRRP version 2)")
                        .note("keepalived ignores this line");
                        if let Some(s) = nearest(&other.to_ascii_uppercase(), ["PASS", "AH"]) {
                            d = d.help(format!("did you mean `{s}`? (upper case)"));
                        }
                        r.push(d);
                    }
                }
            }
            "auth_pass" => {
                let Some(w) = c.arg(0) else {
                    r.str(c, 0, "a password");
                    continue;
                };
                let mut p = w.text.to_string();
                if p.len() > AUTH_PASS_LEN {
                    let mut cut = AUTH_PASS_LEN;
                    while !p.is_char_boundary(cut) {
                        cut -= 1;
                    }
                    p.truncate(cut);
                    r.push(
                        Diagnostic::error(
                            Some(w.span),
                            format!("auth_pass is longer than {AUTH_PASS_LEN} characters: it is cut to '{p}'"),
                        )
                        .help(format!("use at most {AUTH_PASS_LEN} characters, the same on every router"))
                        .note("keepalived sends only the first 8 characters"),
                    );
                }
                pass = Some(p);
            }
            _ => r.unknown(c, Some("authentication"), AUTH_KEYWORDS),
        }
    }
    if let Some(kind) = kind {
        inst.auth = Some(Auth {
            kind,
            pass: pass.unwrap_or_default(),
            span,
        });
    }
}

/// What VRRP validation needs from global_defs (global.rs is written apart; `from_global` is the
/// one place that maps its fields).
#[derive(Debug, Clone)]
pub struct VrrpContext {
    /// `vrrp_strict`.
    pub strict: bool,
    /// `dynamic_interfaces`.
    pub dynamic_interfaces: bool,
    /// `enable_script_security`.
    pub script_security: bool,
    /// `script_user` (global default user of scripts).
    pub script_user: Option<String>,
    /// `script_user` names an account this host lacks: keepalived then removes every script
    /// without a user of its own, with or without script security.
    pub script_user_missing: bool,
    /// `vrrp_version` (default 2).
    pub vrrp_version: u8,
    /// bfd_instance names (for track_bfd); `None` when unknown (no check).
    pub bfd_names: Option<Vec<String>>,
}

impl Default for VrrpContext {
    fn default() -> Self {
        VrrpContext {
            strict: false,
            dynamic_interfaces: false,
            script_security: false,
            script_user: None,
            script_user_missing: false,
            vrrp_version: 2,
            bfd_names: None,
        }
    }
}

impl VrrpContext {
    /// The context from the configuration's global_defs.
    pub fn from_global(cfg: &Config) -> VrrpContext {
        super::global::vrrp_context(cfg)
    }
}

pub fn validate(cfg: &mut Config, r: &mut Reader<'_>, sys: &dyn System) {
    let ctx = VrrpContext::from_global(cfg);
    validate_with(cfg, r, sys, &ctx);
}

/// Resolves references and applies keepalived's checks (vrrp_complete_instance / _init).
pub fn validate_with(cfg: &mut Config, r: &mut Reader<'_>, sys: &dyn System, ctx: &VrrpContext) {
    let vrrp = &mut cfg.vrrp;
    let iface = |name: &str| ctx.dynamic_interfaces || sys.interface_exists(name);
    // keepalived stops its VRRP set-up (so also the script security check) once any named
    // interface is missing ("Non-existent interface specified in configuration").
    let missing_interface = named_interfaces(vrrp).any(|n| !iface(n));

    // Scripts whose user cannot be set are removed by keepalived while reading; their tracks
    // then vanish without a second word.
    let removed = check_script_users(r, vrrp, ctx);

    // References resolve at parse time in keepalived, so an object defined after its use is as
    // unknown as one never defined.
    let scripts = targets(
        vrrp.scripts
            .iter()
            .map(|s| (s.name.as_str(), s.weight, s.weight_reverse, s.span)),
    );
    let files = targets(
        vrrp.track_files
            .iter()
            .map(|f| (f.name.as_str(), f.weight, f.weight_reverse, f.span)),
    );
    let procs = targets(
        vrrp.track_processes
            .iter()
            .map(|p| (p.name.as_str(), p.weight, p.weight_reverse, p.span)),
    );
    for inst in &mut vrrp.instances {
        let owner = inst.name.clone();
        inst.track_scripts.retain(|t| !removed.contains(&t.name));
        resolve(
            r,
            &mut inst.track_scripts,
            &scripts,
            &owner,
            "track script",
            "vrrp_script",
        );
        resolve(
            r,
            &mut inst.track_files,
            &files,
            &owner,
            "track file",
            "track_file",
        );
        resolve(
            r,
            &mut inst.track_processes,
            &procs,
            &owner,
            "track process",
            "vrrp_track_process",
        );
        resolve_bfds(r, &mut inst.track_bfds, ctx, &owner);
        inst.track_interfaces.retain(|t| {
            if iface(&t.name) {
                return true;
            }
            r.push(
                Diagnostic::error(
                    Some(t.span),
                    format!("({owner}) tracked interface {} does not exist", t.name),
                )
                .help("check the name with `ip link`, or set `dynamic_interfaces` in global_defs")
                .note("keepalived ignores this line"),
            );
            false
        });
    }
    for g in &mut vrrp.sync_groups {
        let owner = g.name.clone();
        g.track_scripts.retain(|t| !removed.contains(&t.name));
        resolve(
            r,
            &mut g.track_scripts,
            &scripts,
            &owner,
            "track script",
            "vrrp_script",
        );
        resolve(
            r,
            &mut g.track_files,
            &files,
            &owner,
            "track file",
            "track_file",
        );
        resolve(
            r,
            &mut g.track_processes,
            &procs,
            &owner,
            "track process",
            "vrrp_track_process",
        );
        resolve_bfds(r, &mut g.track_bfds, ctx, &owner);
        g.track_interfaces.retain(|t| {
            if iface(&t.name) {
                return true;
            }
            r.push(
                Diagnostic::error(
                    Some(t.span),
                    format!("({owner}) tracked interface {} does not exist", t.name),
                )
                .note("keepalived ignores this line"),
            );
            false
        });
    }
    let mut grouped: Vec<String> = Vec::new();
    for g in &mut vrrp.garp_groups {
        g.interfaces.retain(|i| {
            if !iface(i) {
                r.push(
                    Diagnostic::error(
                        Some(g.span),
                        format!("interface {i} of this garp_group does not exist"),
                    )
                    .note("keepalived ignores it"),
                );
                return false;
            }
            if grouped.contains(i) {
                r.push(
                    Diagnostic::error(
                        Some(g.span),
                        format!("interface {i} is already in another garp_group"),
                    )
                    .note("keepalived ignores it here"),
                );
                return false;
            }
            grouped.push(i.clone());
            true
        });
    }

    // keepalived refuses these outright (CONFIG_FATAL) unless interfaces may appear later.
    let fatal_if = |r: &mut Reader<'_>, name: &str, span: Span, what: &str| -> bool {
        if iface(name) {
            return true;
        }
        r.push(
            Diagnostic::fatal(
                Some(span),
                format!("unknown interface {name} given for {what}"),
            )
            .help("check the name with `ip link`, or set `dynamic_interfaces` in global_defs")
            .note("keepalived refuses to start"),
        );
        false
    };
    vrrp.linkbeat_interfaces
        .retain(|l| fatal_if(r, &l.name, l.span, "linkbeat_interfaces"));
    vrrp.up_down_delays
        .retain(|d| fatal_if(r, &d.interface, d.span, "interface_up_down_delays"));

    // Sync groups: members must exist, each instance in one group.
    let by_name: HashMap<String, usize> = vrrp
        .instances
        .iter()
        .enumerate()
        .map(|(k, i)| (i.name.clone(), k))
        .collect();
    let mut member_of: HashMap<String, String> = HashMap::new();
    let mut kept_groups = Vec::new();
    for mut g in std::mem::take(&mut vrrp.sync_groups) {
        if g.instances.is_empty() {
            r.push(
                Diagnostic::error(
                    Some(g.span),
                    format!("sync group {} has no vrrp instances", g.name),
                )
                .help("add `group { VI_1 VI_2 }`")
                .note("keepalived removes this sync group"),
            );
            continue;
        }
        let mut members = Vec::new();
        let mut member_spans = Vec::new();
        let mut group_owner: Option<bool> = None;
        let spans = std::mem::take(&mut g.instance_spans);
        for (k, i) in std::mem::take(&mut g.instances).into_iter().enumerate() {
            let at = spans.get(k).copied().unwrap_or(g.span);
            if !by_name.contains_key(&i) {
                let mut d = Diagnostic::error(
                    Some(at),
                    format!(
                        "sync group {} names vrrp_instance {i}, which is not defined",
                        g.name
                    ),
                )
                .note("keepalived leaves it out of the group");
                if let Some(s) = nearest(&i, vrrp.instances.iter().map(|x| x.name.as_str())) {
                    d = d.help(format!("did you mean `{s}`?"));
                }
                r.push(d);
                continue;
            }
            if let Some(other) = member_of.get(&i) {
                r.push(
                    Diagnostic::error(
                        Some(at),
                        format!("vrrp_instance {i} is already in sync group {other}: it cannot also be in {}", g.name),
                    )
                    .note("keepalived leaves it out of this group"),
                );
                continue;
            }
            // keepalived compares the states and priorities as written (before defaults).
            if let Some(inst) = by_name.get(&i).and_then(|k| vrrp.instances.get(*k)) {
                if group_owner == Some(true) && inst.state == State::Backup {
                    r.push(
                        Diagnostic::error(
                            Some(at),
                            format!("sync group {} mixes address owners (state MASTER, priority 255) with other members: this won't work", g.name),
                        )
                        .help("give every member of the group the same role"),
                    );
                }
                if group_owner != Some(false) {
                    group_owner =
                        Some(inst.state == State::Master && inst.priority == OWNER_PRIORITY);
                }
            }
            member_of.insert(i.clone(), g.name.clone());
            members.push(i);
            member_spans.push(at);
        }
        if members.len() == 1 {
            r.push(
                Diagnostic::warning(
                    Some(g.span),
                    format!(
                        "sync group {} has only one instance ({})",
                        g.name, members[0]
                    ),
                )
                .help("a sync group is for keeping two or more instances together"),
            );
        }
        if members.is_empty() {
            continue;
        }
        g.instances = members;
        g.instance_spans = member_spans;
        kept_groups.push(g);
    }
    vrrp.sync_groups = kept_groups;

    // Each instance, as vrrp_complete_instance does it.
    let group_weights: HashMap<&str, bool> = vrrp
        .sync_groups
        .iter()
        .map(|g| (g.name.as_str(), g.tracking_weight))
        .collect();
    for inst in &mut vrrp.instances {
        complete_instance(r, inst, ctx, sys, &member_of, &group_weights);
    }

    check_duplicate_vrids(r, &vrrp.instances);
    if !missing_interface {
        check_programs(r, vrrp, sys, ctx);
    }
}

/// Every interface the VRRP blocks name (instances, their VIPs, tracked links, garp groups).
fn named_interfaces(vrrp: &Vrrp) -> impl Iterator<Item = &str> {
    let instances = vrrp.instances.iter().flat_map(|i| {
        i.interface
            .as_deref()
            .into_iter()
            .chain(i.track_interfaces.iter().map(|t| t.name.as_str()))
            .chain(
                i.vips
                    .iter()
                    .chain(i.excluded_vips.iter())
                    .filter_map(|v| v.dev.as_deref()),
            )
    });
    let groups = vrrp
        .sync_groups
        .iter()
        .flat_map(|g| g.track_interfaces.iter().map(|t| t.name.as_str()));
    let garps = vrrp
        .garp_groups
        .iter()
        .flat_map(|g| g.interfaces.iter().map(String::as_str));
    instances.chain(groups).chain(garps)
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

/// keepalived's user/group checks of vrrp_script and notify commands: an unknown user removes a
/// vrrp_script (error) or drops a notify (a log line only); with script security on and no
/// script_user, the default user `keepalived_script` must exist. Returns the removed scripts.
fn check_script_users(r: &mut Reader<'_>, vrrp: &mut Vrrp, ctx: &VrrpContext) -> Vec<String> {
    let missing = |user: &str, group: Option<&str>| -> Option<String> {
        if account_exists(user, false) == Some(false) {
            return Some(format!("user {user} does not exist"));
        }
        match group {
            Some(g) if account_exists(g, true) == Some(false) => {
                Some(format!("group {g} does not exist"))
            }
            _ => None,
        }
    };
    let default_missing = ctx.script_security
        && ctx.script_user.is_none()
        && account_exists("keepalived_script", false) == Some(false);
    let mut default_reported = false;
    let mut report_default = |r: &mut Reader<'_>, span: Span| {
        if !default_reported {
            default_reported = true;
            r.push(
                Diagnostic::error(
                    Some(span),
                    "scripts have no user to run as: script security is on, no script_user is set and user keepalived_script does not exist",
                )
                .help("set `script_user USER` in global_defs, create user keepalived_script, or give `user USER` in the script")
                .note("keepalived removes vrrp_scripts and drops notify scripts without a user"),
            );
        }
    };
    let userless = |r: &mut Reader<'_>, span: Span, what: &str| {
        r.push(
            Diagnostic::advice(
                Some(span),
                format!("{what} has no user of its own and script_user cannot be set"),
            )
            .help("fix `script_user` in global_defs or give a user to this script")
            .note("keepalived removes it"),
        );
    };
    let mut removed = Vec::new();
    vrrp.scripts.retain(|s| {
        let span = s.command.as_ref().map(|c| c.span).unwrap_or(s.span);
        if let Some(u) = &s.user {
            if let Some(why) = missing(u, s.group.as_deref()) {
                r.push(
                    Diagnostic::error(Some(s.span), format!("vrrp_script {}: {why}", s.name))
                        .help("give an existing user (and group) after `user`")
                        .note("keepalived removes this vrrp_script"),
                );
                removed.push(s.name.clone());
                return false;
            }
        } else if ctx.script_user_missing {
            userless(r, span, &format!("vrrp_script {}", s.name));
            removed.push(s.name.clone());
            return false;
        } else if default_missing {
            report_default(r, span);
            removed.push(s.name.clone());
            return false;
        }
        true
    });
    let notifies = vrrp
        .instances
        .iter_mut()
        .flat_map(|i| {
            [
                &mut i.notify_master,
                &mut i.notify_backup,
                &mut i.notify_fault,
                &mut i.notify_stop,
                &mut i.notify_deleted_script,
                &mut i.notify,
                &mut i.notify_master_rx_lower_pri,
            ]
        })
        .chain(vrrp.sync_groups.iter_mut().flat_map(|g| {
            [
                &mut g.notify_master,
                &mut g.notify_backup,
                &mut g.notify_fault,
                &mut g.notify_stop,
                &mut g.notify,
            ]
        }));
    for slot in notifies {
        let Some(cmd) = slot else { continue };
        if let Some(u) = &cmd.user {
            if let Some(why) = missing(u, cmd.group.as_deref()) {
                r.push(
                    Diagnostic::advice(
                        Some(cmd.span),
                        format!("notify script {}: {why}", cmd.line),
                    )
                    .help("give an existing user (and group) after the script")
                    .note("keepalived drops this notify script with only a log line"),
                );
                *slot = None;
            }
        } else if ctx.script_user_missing {
            userless(r, cmd.span, &format!("notify script {}", cmd.line));
            *slot = None;
        } else if default_missing {
            report_default(r, cmd.span);
            *slot = None;
        }
    }
    removed
}

/// What a track line may name: the object's own weight and direction, and where it is defined.
struct Target {
    weight: i32,
    reverse: bool,
    span: Span,
}

/// Resolves track lines against objects of one kind (`kind` as in "track script", `block` as
/// in "vrrp_script"), taking the object's weight/direction where the line gives none.
fn resolve(
    r: &mut Reader<'_>,
    tracks: &mut Vec<Track>,
    targets: &BTreeMap<String, Target>,
    owner: &str,
    kind: &str,
    block: &str,
) {
    tracks.retain_mut(|t| {
        let Some(o) = targets.get(&t.name) else {
            let mut d = Diagnostic::error(
                Some(t.span),
                format!("({owner}) {kind} {} not found", t.name),
            )
            .note("keepalived ignores this line");
            d = match nearest(&t.name, targets.keys().map(String::as_str)) {
                Some(s) => d.help(format!(
                    "did you mean `{s}`? (a {block} must be defined before it is tracked)"
                )),
                None => d.help(format!(
                    "define `{block} {} {{ ... }}` above this block",
                    t.name
                )),
            };
            r.push(d);
            return false;
        };
        if o.span > t.span && o.span.file == t.span.file {
            r.push(
                Diagnostic::error(
                    Some(t.span),
                    format!("({owner}) {kind} {} is defined after its use", t.name),
                )
                .help(format!("move the {block} block above this one"))
                .note("keepalived ignores this line"),
            );
            return false;
        }
        if !t.weight_given {
            t.weight = o.weight;
        }
        if !t.reverse_given {
            t.reverse = o.reverse;
        }
        true
    });
}

/// The first object of each name (keepalived finds the first), as track targets.
fn targets<'a>(
    items: impl Iterator<Item = (&'a str, i32, bool, Span)>,
) -> BTreeMap<String, Target> {
    let mut map = BTreeMap::new();
    for (name, weight, reverse, span) in items {
        map.entry(name.to_string()).or_insert(Target {
            weight,
            reverse,
            span,
        });
    }
    map
}

fn resolve_bfds(r: &mut Reader<'_>, tracks: &mut Vec<Track>, ctx: &VrrpContext, owner: &str) {
    let Some(names) = &ctx.bfd_names else { return };
    let known: HashSet<&str> = names.iter().map(String::as_str).collect();
    tracks.retain(|t| {
        if known.contains(t.name.as_str()) {
            return true;
        }
        let mut d = Diagnostic::error(
            Some(t.span),
            format!("({owner}) track bfd {} not found", t.name),
        )
        .note("keepalived ignores this line");
        if let Some(s) = nearest(&t.name, names.iter().map(String::as_str)) {
            d = d.help(format!("did you mean `{s}`?"));
        }
        r.push(d);
        false
    });
}

fn complete_instance(
    r: &mut Reader<'_>,
    inst: &mut Instance,
    ctx: &VrrpContext,
    sys: &dyn System,
    member_of: &HashMap<String, String>,
    group_weights: &HashMap<&str, bool>,
) {
    let n = inst.name.clone();
    let at = inst.span;
    let strict = inst.strict_mode.unwrap_or(ctx.strict);
    let refuses = "keepalived's VRRP process refuses to start with this (its -t still exits 5)";

    // chk_min_cfg
    if inst.virtual_router_id == 0 && !inst.vrid_reported {
        r.push(
            Diagnostic::error(Some(at), format!("({n}) the virtual router id must be set"))
                .help(
                    "add `virtual_router_id N` (1-255, the same on every router of this instance)",
                )
                .note(refuses),
        );
    }
    // keepalived 2.2.7 checks this before it marks unicast instances as such, so a unicast
    // instance without an interface is refused too (corpus vrf-not-a-vrf).
    if inst.interface.is_none() {
        r.push(
            Diagnostic::error(Some(at), format!("({n}) the instance has no interface"))
                .help("add `interface IFNAME` (keepalived 2.2.7 needs one, even for unicast)")
                .note(refuses),
        );
    }
    if let Some(i) = &inst.interface
        && !ctx.dynamic_interfaces
        && !sys.interface_exists(i)
    {
        r.push(
            Diagnostic::error(Some(at), format!("interface {i} of vrrp_instance {n} does not exist"))
                .help("check the name with `ip link`, or set `dynamic_interfaces` in global_defs if it appears later")
                .note("keepalived cannot run this instance until the interface exists"),
        );
    }
    for v in inst.vips.iter().chain(inst.excluded_vips.iter()) {
        if let Some(d) = &v.dev
            && !ctx.dynamic_interfaces
            && !sys.interface_exists(d)
        {
            r.push(
                Diagnostic::error(
                    Some(v.span),
                    format!("interface {d} of address {} does not exist", v.addr),
                )
                .note("keepalived drops this address"),
            );
        }
    }
    let ip_ctx = ip::IpContext {
        dynamic_interfaces: ctx.dynamic_interfaces,
        ..ip::IpContext::default()
    };
    inst.vips.retain(|v| {
        v.dev
            .as_ref()
            .is_none_or(|d| ctx.dynamic_interfaces || sys.interface_exists(d))
    });
    inst.excluded_vips.retain(|v| {
        v.dev
            .as_ref()
            .is_none_or(|d| ctx.dynamic_interfaces || sys.interface_exists(d))
    });
    inst.routes.retain(|rt| {
        rt.dev
            .iter()
            .chain(rt.nexthops.iter().filter_map(|h| h.dev.as_ref()))
            .all(|d| ip::check_interface(r, sys, &ip_ctx, d, rt.span, "route"))
    });
    inst.rules.retain(|ru| {
        ru.iif
            .iter()
            .chain(ru.oif.iter())
            .all(|d| ip::check_interface(r, sys, &ip_ctx, d, ru.span, "rule"))
    });

    let family = inst.family.unwrap_or(Family::V4);
    if family == Family::V6 {
        if inst.version == 2 && strict {
            r.push(
                Diagnostic::error(Some(at), format!("({n}) IPv6 cannot use VRRP version 2"))
                    .note("keepalived uses version 3"),
            );
        }
        if inst.version != 2 || strict {
            inst.version = 3;
        }
    }
    inst.family = Some(family);
    if inst.version == 0 {
        inst.version = if family == Family::V6 {
            3
        } else {
            ctx.vrrp_version
        };
    }
    if family == Family::V4 && inst.unicast_ttl.is_none() && inst.is_unicast() {
        inst.unicast_ttl = Some(255);
    }

    if inst.vips.is_empty() {
        if inst.version == 3 || family == Family::V6 || strict {
            r.push(
                Diagnostic::error(
                    Some(at),
                    format!("({n}) no virtual_ipaddress: at least one is required"),
                )
                .help("add `virtual_ipaddress { ADDRESS }`")
                .note(if strict {
                    "required in strict mode; keepalived's VRRP process refuses to start"
                } else {
                    "required by VRRP version 3; keepalived's VRRP process refuses to start"
                }),
            );
        } else {
            r.push(
                Diagnostic::warning(
                    Some(at),
                    format!("({n}) no virtual_ipaddress: at least one is sensible"),
                )
                .help("add `virtual_ipaddress { ADDRESS }`"),
            );
        }
    }

    if inst.priority == 0 {
        inst.priority = if inst.state == State::Master {
            OWNER_PRIORITY
        } else {
            DEFAULT_PRIORITY
        };
    }
    if inst.state == State::Unset {
        inst.state = if inst.priority == OWNER_PRIORITY {
            State::Master
        } else {
            State::Backup
        };
    } else if strict && (inst.state == State::Master) != (inst.priority == OWNER_PRIORITY) {
        r.push(
            Diagnostic::error(Some(at), format!("({n}) strict mode: state MASTER must go with priority 255 (the address owner), and only then"))
                .help("in strict mode write `state BACKUP` unless the priority is 255")
                .note(format!("keepalived uses state {}", if inst.priority == OWNER_PRIORITY { "MASTER" } else { "BACKUP" })),
        );
        inst.state = if inst.priority == OWNER_PRIORITY {
            State::Master
        } else {
            State::Backup
        };
    }

    if let Some(auth) = &inst.auth {
        let span = Some(auth.span);
        let drop_it = if strict {
            r.push(
                Diagnostic::error(
                    span,
                    format!("({n}) strict mode does not support authentication"),
                )
                .help("remove the authentication block")
                .note("keepalived ignores it"),
            );
            true
        } else if inst.version == 3 {
            r.push(
                Diagnostic::error(
                    span,
                    format!("({n}) VRRP version 3 does not support authentication"),
                )
                .help("remove the authentication block, or use `version 2`")
                .note("keepalived ignores it"),
            );
            true
        } else if auth.pass.is_empty() {
            r.push(
                Diagnostic::error(span, format!("({n}) authentication without auth_pass"))
                    .help("add `auth_pass SECRET` (up to 8 characters)")
                    .note("keepalived ignores the authentication"),
            );
            true
        } else if family == Family::V6 && auth.kind == AuthType::Ah {
            r.push(
                Diagnostic::error(
                    span,
                    format!("({n}) AH authentication cannot be used with IPv6"),
                )
                .note("keepalived ignores it"),
            );
            true
        } else {
            if auth.kind == AuthType::Ah
                && inst.state == State::Master
                && inst.priority != OWNER_PRIORITY
            {
                r.push(
                    Diagnostic::error(span, format!("({n}) initial state MASTER does not go with AH authentication"))
                        .help("write `state BACKUP`: the AH sequence number is learnt from the master's adverts")
                        .note("keepalived starts as BACKUP"),
                );
                inst.state = State::Backup;
            }
            false
        };
        if drop_it {
            inst.auth = None;
        }
    }

    // keepalived means to refuse this but tests the flag before it sets it, so 2.2.7 accepts it.
    if strict && inst.is_unicast() {
        r.push(
            Diagnostic::advice(
                Some(at),
                format!("({n}) strict mode (RFC 5798) does not allow unicast peers"),
            )
            .help("remove unicast_peer or strict mode")
            .note("keepalived 2.2.7 does not enforce this"),
        );
    }
    if inst.unicast_configured && !inst.is_unicast() && !inst.unicast_fault_no_peer {
        r.push(
            Diagnostic::warning(Some(at), format!("({n}) a unicast keyword is given without any unicast_peer: the instance uses multicast"))
                .help("add `unicast_peer { ADDRESS }`, or remove the unicast keywords"),
        );
    }
    if strict && inst.use_vmac.as_ref().is_some_and(|v| v.mac.is_some()) {
        r.push(
            Diagnostic::error(
                Some(at),
                format!("({n}) strict mode does not allow a VMAC address"),
            )
            .note("keepalived uses the standard VRRP MAC"),
        );
        if let Some(v) = &mut inst.use_vmac {
            v.mac = None;
        }
    }
    if family == Family::V6
        && !inst.is_unicast()
        && let Some(first) = inst.vips.first()
        && let IpAddr::V6(a) = first.addr
        && a.segments()[0] & 0xffc0 != 0xfe80
    {
        if strict {
            r.push(
                Diagnostic::error(
                    Some(first.span),
                    format!("({n}) the first IPv6 VIP must be link-local"),
                )
                .help("put a fe80:: address first in virtual_ipaddress"),
            );
        } else {
            r.push(
                Diagnostic::advice(
                    Some(first.span),
                    format!("({n}) the first IPv6 VIP should be link-local (RFC 5798)"),
                )
                .help("put a fe80:: address first in virtual_ipaddress"),
            );
        }
    }
    if inst.vrf.is_some() && (inst.interface.is_some() || !inst.is_unicast()) {
        r.push(
            Diagnostic::error(
                Some(at),
                format!("({n}) vrf can only be given with unicast and without an interface"),
            )
            .note("keepalived ignores the vrf"),
        );
        inst.vrf = None;
    }

    // use_vmac on an address line means "put it on a VMAC of its own interface"; on the
    // instance's own interface with the instance's VMAC it is redundant.
    let inst_vmac = inst.use_vmac.is_some();
    let (iface_name, vmac_addr) = (inst.interface.clone(), inst.use_vmac_addr);
    for v in inst.vips.iter_mut().chain(inst.excluded_vips.iter_mut()) {
        if !v.use_vmac {
            continue;
        }
        let own_if = v.dev.is_none() || v.dev == iface_name;
        if own_if && inst_vmac && v.family() == family {
            r.push(
                Diagnostic::error(
                    Some(v.span),
                    format!("({n}) use_vmac is given both for {} and for the instance", v.addr),
                )
                .help("remove `use_vmac` from the address line: it goes on the instance's VMAC anyway"),
            );
            v.use_vmac = false;
        } else if (!own_if || v.family() != family) && vmac_addr {
            r.push(
                Diagnostic::error(
                    Some(v.span),
                    format!("({n}) use_vmac_addr is given, and use_vmac for {}", v.addr),
                )
                .help("use one of them")
                .note("keepalived ignores use_vmac on this address"),
            );
            v.use_vmac = false;
        }
    }

    // An advert carries at most 255 addresses, fewer if the MTU (1500 assumed) is smaller.
    let max_addr: usize = match (family, inst.version) {
        (Family::V4, 2) => {
            let ah = if inst.auth.as_ref().is_some_and(|a| a.kind == AuthType::Ah) {
                24
            } else {
                0
            };
            (1500 - 14 - 20 - 8 - 8 - ah) / 4
        }
        (Family::V4, _) => (1500 - 14 - 20 - 8) / 4,
        (Family::V6, _) => (1500 - 14 - 40 - 8) / 16,
    }
    .min(255);
    if inst.vips.len() > max_addr {
        r.push(
            Diagnostic::error(
                Some(at),
                format!("({n}) {} VIPs do not fit in an advert (at most {max_addr}): the rest become excluded VIPs", inst.vips.len()),
            )
            .help("move addresses to virtual_ipaddress_excluded"),
        );
        let rest = inst.vips.split_off(max_addr);
        inst.excluded_vips.extend(rest);
    }

    if inst.priority == OWNER_PRIORITY && inst.nopreempt {
        r.push(
            Diagnostic::error(
                Some(at),
                format!("({n}) nopreempt does not go with priority 255"),
            )
            .note("keepalived clears nopreempt"),
        );
        inst.nopreempt = false;
    }
    if inst.state == State::Master {
        if inst.nopreempt {
            r.push(
                Diagnostic::error(
                    Some(at),
                    format!("({n}) nopreempt does not work with state MASTER"),
                )
                .help("write `state BACKUP` on every router to use nopreempt")
                .note("keepalived clears nopreempt"),
            );
            inst.nopreempt = false;
        }
        if !inst.preempt_delay.is_zero() {
            r.push(
                Diagnostic::error(
                    Some(at),
                    format!("({n}) preempt_delay does not work with state MASTER"),
                )
                .help("write `state BACKUP` to use preempt_delay")
                .note("keepalived clears preempt_delay"),
            );
            inst.preempt_delay = Duration::ZERO;
        }
    }
    if !inst.preempt_delay.is_zero() {
        if strict {
            r.push(
                Diagnostic::error(
                    Some(at),
                    format!("({n}) preempt_delay does not go with strict mode"),
                )
                .note("keepalived clears preempt_delay"),
            );
            inst.preempt_delay = Duration::ZERO;
        }
        if inst.nopreempt {
            r.push(
                Diagnostic::error(
                    Some(at),
                    format!("({n}) preempt_delay does not go with nopreempt"),
                )
                .note("keepalived clears preempt_delay"),
            );
            inst.preempt_delay = Duration::ZERO;
        }
    }
    if strict
        && inst
            .down_timer_adverts
            .is_some_and(|d| d != DEFAULT_DOWN_TIMER_ADVERTS)
    {
        r.push(
            Diagnostic::error(
                Some(at),
                format!("({n}) down_timer_adverts does not go with strict mode"),
            )
            .note("keepalived uses 3"),
        );
        inst.down_timer_adverts = Some(DEFAULT_DOWN_TIMER_ADVERTS);
    }
    if inst.accept.is_none() {
        inst.accept = Some(inst.priority == OWNER_PRIORITY || !strict);
    }
    if inst.accept == Some(true) && inst.priority != OWNER_PRIORITY && strict && inst.version == 2 {
        r.push(
            Diagnostic::error(
                Some(at),
                format!("({n}) accept mode with VRRP version 2 does not comply with RFC 3768"),
            )
            .note("keepalived clears accept"),
        );
        inst.accept = Some(false);
    }
    if inst.is_unicast() && inst.mcast_dst_ip.is_some() {
        r.push(
            Diagnostic::error(
                Some(at),
                format!("({n}) mcast_dst_ip is given with unicast peers"),
            )
            .note("keepalived ignores mcast_dst_ip"),
        );
        inst.mcast_dst_ip = None;
    }
    if strict {
        let checks: [(&str, bool); 4] = [
            (
                "garp_lower_prio_repeat",
                inst.garp_lower_prio_repeat.is_some_and(|v| v != 0),
            ),
            (
                "garp_lower_prio_delay",
                inst.garp_lower_prio_delay.is_some_and(|v| !v.is_zero()),
            ),
            (
                "lower_prio_no_advert false",
                inst.lower_prio_no_advert == Some(false),
            ),
            (
                "higher_prio_send_advert",
                inst.higher_prio_send_advert == Some(true),
            ),
        ];
        for (what, bad) in checks {
            if bad {
                r.push(
                    Diagnostic::error(Some(at), format!("({n}) strict mode does not allow {what}"))
                        .note("keepalived resets it"),
                );
            }
        }
        if inst.garp_lower_prio_repeat.is_some() {
            inst.garp_lower_prio_repeat = Some(0);
        }
        if inst.garp_lower_prio_delay.is_some() {
            inst.garp_lower_prio_delay = Some(Duration::ZERO);
        }
        inst.lower_prio_no_advert = Some(true);
        inst.higher_prio_send_advert = Some(false);
        if inst.vmac_xmit_base && inst.use_vmac.is_some() {
            r.push(
                Diagnostic::error(
                    Some(at),
                    format!("({n}) vmac_xmit_base does not go with strict mode"),
                )
                .note("keepalived clears it"),
            );
            inst.vmac_xmit_base = false;
        }
    }
    if inst.vmac_xmit_base && inst.use_vmac.is_none() {
        r.push(
            Diagnostic::error(
                Some(at),
                format!("({n}) vmac_xmit_base is only valid with use_vmac"),
            )
            .note("keepalived clears it"),
        );
        inst.vmac_xmit_base = false;
    }
    if inst.src_ip.is_none() {
        inst.track_src_ip = false;
    }

    // Advert interval per version.
    let us = inst.advert_int.as_micros();
    if inst.version == 2 {
        if us >= 256_000_000 {
            r.push(
                Diagnostic::error(Some(at), format!("({n}) VRRPv2 advert_int {:.2}s is out of range: it must be less than 256 s", inst.advert_int.as_secs_f64()))
                    .note("keepalived uses 255 s"),
            );
            inst.advert_int = Duration::from_secs(255);
        } else if !us.is_multiple_of(1_000_000) {
            let rounded = (us + 500_000) / 1_000_000;
            let rounded = rounded.max(1) as u64;
            r.push(
                Diagnostic::error(
                    Some(at),
                    format!(
                        "({n}) VRRPv2 advert_int {}s must be a whole number of seconds",
                        inst.advert_int.as_secs_f64()
                    ),
                )
                .help("write whole seconds, or use `version 3` for sub-second adverts")
                .note(format!("keepalived rounds it to {rounded} s")),
            );
            inst.advert_int = Duration::from_secs(rounded);
        }
    } else if us >= 40_960_000 {
        r.push(
            Diagnostic::error(
                Some(at),
                format!(
                    "({n}) VRRPv3 advert_int {:.2}s is out of range: it must be less than 40.96 s",
                    inst.advert_int.as_secs_f64()
                ),
            )
            .note("keepalived uses 40.95 s"),
        );
        inst.advert_int = Duration::from_millis(40_950);
    } else if !us.is_multiple_of(10_000) {
        let cs = ((us + 5_000) / 10_000).max(1) as u64;
        r.push(
            Diagnostic::error(
                Some(at),
                format!(
                    "({n}) VRRPv3 advert_int {}s must be in units of 10 ms",
                    inst.advert_int.as_secs_f64()
                ),
            )
            .note(format!("keepalived rounds it to {} s", cs as f64 / 100.0)),
        );
        inst.advert_int = Duration::from_millis(cs * 10);
    }

    // Tracking: own interface, sync group weights, the address owner.
    if let Some(i) = inst.interface.clone() {
        inst.track_interfaces.retain(|t| {
            if t.name != i {
                return true;
            }
            r.push(
                Diagnostic::error(
                    Some(t.span),
                    format!("({n}) track_interface {i} is the instance's own interface: ignored"),
                )
                .help("the instance already tracks its own interface (unless dont_track_primary)"),
            );
            false
        });
    }
    let sync_no_weight = member_of
        .get(&n)
        .and_then(|g| group_weights.get(g.as_str()))
        .is_some_and(|keeps| !keeps);
    if sync_no_weight || inst.priority == OWNER_PRIORITY {
        let why = if sync_no_weight {
            "it is in a sync group (add sync_group_tracking_weight to the group to keep weights)"
        } else {
            "it is the address owner (priority 255)"
        };
        let owner = inst.priority == OWNER_PRIORITY && !sync_no_weight;
        inst.track_interfaces.retain_mut(|t| {
            if t.weight == 0 {
                return true;
            }
            r.push(Diagnostic::error(
                Some(t.span),
                format!(
                    "({n}) the weight of tracked interface {} is ignored: {why}",
                    t.name
                ),
            ));
            if owner {
                return false;
            }
            t.weight = 0;
            true
        });
        inst.track_scripts.retain(|t| {
            if t.weight == 0 {
                return true;
            }
            r.push(Diagnostic::error(
                Some(t.span),
                format!(
                    "({n}) tracked script {} with a weight is ignored: {why}",
                    t.name
                ),
            ));
            false
        });
        inst.track_files.retain_mut(|t| {
            if t.weight == 0 {
                return true;
            }
            if t.weight == 1 && !t.weight_given {
                r.push(
                    Diagnostic::error(
                        Some(t.span),
                        format!(
                            "({n}) the weight of tracked file {} is ignored: {why}",
                            t.name
                        ),
                    )
                    .help("write `weight 0` on the line"),
                );
                t.weight = 0;
                return true;
            }
            r.push(Diagnostic::error(
                Some(t.span),
                format!(
                    "({n}) tracked file {} with weight {} is ignored: {why}",
                    t.name, t.weight
                ),
            ));
            false
        });
        inst.track_bfds.retain(|t| {
            if t.weight == 0 {
                return true;
            }
            r.push(Diagnostic::error(
                Some(t.span),
                format!(
                    "({n}) tracked bfd {} with weight {} is ignored: {why}",
                    t.name, t.weight
                ),
            ));
            false
        });
    }
}

/// Two instances with the same VRID, family and interface (multicast, same group) fight.
fn check_duplicate_vrids(r: &mut Reader<'_>, instances: &[Instance]) {
    // Only instances sharing VRID, family and transport (and, for multicast, interface and
    // group) can clash: compare within those buckets, in file order, not every pair.
    type Key<'a> = (u8, Option<Family>, bool, Option<&'a str>, Option<IpAddr>);
    let mut index: HashMap<Key<'_>, usize> = HashMap::new();
    let mut buckets: Vec<Vec<&Instance>> = Vec::new();
    for i in instances.iter().filter(|i| i.virtual_router_id != 0) {
        let key: Key<'_> = if i.is_unicast() {
            (i.virtual_router_id, i.family, true, None, None)
        } else {
            (
                i.virtual_router_id,
                i.family,
                false,
                i.interface.as_deref(),
                i.mcast_dst_ip,
            )
        };
        let k = *index.entry(key).or_insert_with(|| {
            buckets.push(Vec::new());
            buckets.len() - 1
        });
        buckets[k].push(i);
    }
    for bucket in &buckets {
        for (n, a) in bucket.iter().enumerate() {
            for b in &bucket[n + 1..] {
                if a.is_unicast() {
                    if a.interface.is_some() && b.interface.is_some() && a.interface != b.interface
                    {
                        continue;
                    }
                    if a.src_ip.is_none() || b.src_ip.is_none() || a.src_ip != b.src_ip {
                        continue;
                    }
                    if !a
                        .unicast_peers
                        .iter()
                        .any(|p| b.unicast_peers.iter().any(|q| q.addr == p.addr))
                    {
                        continue;
                    }
                    r.push(
                        Diagnostic::error(
                            Some(b.span),
                            format!(
                                "({}) duplicate VRID {} with {} (same source and peer)",
                                b.name, b.virtual_router_id, a.name
                            ),
                        )
                        .help("give each instance its own virtual_router_id")
                        .note("keepalived's VRRP process refuses to start"),
                    );
                    continue;
                }
                if a.interface.is_none() {
                    continue;
                }
                let fam = if a.family == Some(Family::V6) { 6 } else { 4 };
                r.push(
                    Diagnostic::error(
                        Some(b.span),
                        format!(
                            "{} and {} both use VRID {} with IPv{fam} on interface {}",
                            a.name,
                            b.name,
                            a.virtual_router_id,
                            a.interface.as_deref().unwrap_or("")
                        ),
                    )
                    .help("give each instance on one interface its own virtual_router_id")
                    .note("keepalived's VRRP process refuses to start"),
                );
            }
        }
    }
}

/// Programs of scripts and notify commands, and script security (keepalived checks these only
/// when there is at least one vrrp_instance).
fn check_programs(r: &mut Reader<'_>, vrrp: &Vrrp, sys: &dyn System, ctx: &VrrpContext) {
    let have_instances = !vrrp.instances.is_empty();
    let mut first_found: Option<Span> = None;
    for s in &vrrp.scripts {
        let Some(cmd) = &s.command else { continue };
        if cmd.is_file_check() {
            continue;
        }
        let prog = cmd.program();
        if prog.is_empty() || !sys.program_exists(&prog) {
            let d = if have_instances {
                Diagnostic::error(
                    Some(cmd.span),
                    format!(
                        "the program `{prog}` of vrrp_script {} does not exist",
                        s.name
                    ),
                )
                .note("keepalived disables this script (its instances then ignore it)")
            } else {
                Diagnostic::advice(
                    Some(cmd.span),
                    format!(
                        "the program `{prog}` of vrrp_script {} does not exist",
                        s.name
                    ),
                )
                .note("no vrrp_instance uses it now, so keepalived says nothing")
            };
            r.push(d.help(
                "give the full path of an executable, e.g. /usr/bin/killall (check the spelling)",
            ));
        } else if first_found.is_none() {
            first_found = Some(cmd.span);
        }
    }
    let notifies = vrrp
        .instances
        .iter()
        .flat_map(|i| {
            [
                &i.notify_master,
                &i.notify_backup,
                &i.notify_fault,
                &i.notify_stop,
                &i.notify_deleted_script,
                &i.notify,
                &i.notify_master_rx_lower_pri,
            ]
        })
        .chain(vrrp.sync_groups.iter().flat_map(|g| {
            [
                &g.notify_master,
                &g.notify_backup,
                &g.notify_fault,
                &g.notify_stop,
                &g.notify,
            ]
        }))
        .flatten();
    for cmd in notifies {
        if cmd.is_file_check() {
            continue;
        }
        let prog = cmd.program();
        if prog.is_empty() || !sys.program_exists(&prog) {
            r.push(
                Diagnostic::advice(
                    Some(cmd.span),
                    format!("notify program `{prog}` does not exist"),
                )
                .help("give the full path of an executable script")
                .note("keepalived drops this notify silently"),
            );
        } else if first_found.is_none() {
            first_found = Some(cmd.span);
        }
    }
    if have_instances
        && !ctx.script_security
        && let Some(span) = first_found
    {
        r.push(
            Diagnostic::security(
                Some(span),
                "scripts are run but script security is not enabled",
            )
            .help("add `enable_script_security` (and `script_user USER`) to global_defs")
            .note("keepalived runs these scripts as root without checking who can write them"),
        );
    }
}
