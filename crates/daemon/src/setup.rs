//! What the daemon sets up from a keepalived.conf loaded by keepalived-conf: instances with their
//! VIPs, routes, rules and trackers, sync groups, statics and the globals the VRRP side uses.

use std::collections::{HashMap, HashSet};
use std::net::IpAddr;
use std::time::Duration;

use keepalived_conf::model::global::{GlobalDefs, SmtpHost};
use keepalived_conf::model::ip::{Family, Route, RouteType, Rule, Vip};
use keepalived_conf::model::vrrp::{self as model, AuthType, Command, State};
use keepalived_conf::{Config, Loaded};
use keepalived_vrrp::packet::{AuthConfig, OldUnicastChecksum, Peer, Version};
use keepalived_vrrp::{GarpConfig, InitialState, InstanceConfig, TrackerConfig, TrackerStatus};

use crate::notify::Scripts;

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
    /// Seconds; `None` is forever.
    pub preferred_lft: Option<u32>,
    /// As the dumps show it, in `ip` syntax.
    pub text: String,
}

/// A `virtual_routes` / `static_routes` line, as far as the kernel side takes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteLine {
    pub dst: IpAddr,
    pub prefix: u8,
    pub via: Option<IpAddr>,
    pub src: Option<IpAddr>,
    pub dev: Option<String>,
    /// `None`: the main table.
    pub table: Option<u32>,
    pub metric: Option<u32>,
    pub scope: Option<u8>,
    /// RTN_* number (None: unicast).
    pub kind: Option<u8>,
}

/// A `virtual_rules` / `static_rules` line.
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
}

/// A `track_file` block.
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
    /// With parameters or `param_match`: the arguments that must follow the name.
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
    /// The script as checked at start ([`crate::tracker::vet`]); `None` until then.
    pub prepared: Option<keepalived_sys::script::Script>,
}

/// One instance to run: the protocol config plus what the shell and notifier need.
#[derive(Debug, Clone)]
pub struct InstanceSetup {
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

/// A notify FIFO: its path and the script keepalived starts with the path appended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FifoSetup {
    pub path: String,
    pub script: Option<String>,
    /// Who the FIFO script runs as (the FIFO line's user, else script_user).
    pub user: Option<(String, Option<String>)>,
}

/// global_defs as far as the VRRP side of the daemon uses it.
#[derive(Debug, Clone, Default)]
pub struct Globals {
    pub router_id: Option<String>,
    pub emails: Vec<String>,
    pub email_from: Option<String>,
    pub smtp_server: Option<(String, u16)>,
    pub smtp_helo: Option<String>,
    pub smtp_connect_timeout: Option<Duration>,
    pub script_user: Option<(String, Option<String>)>,
    /// The default script user's uid and gid ([`default_script_ids`]), for every script without
    /// a user of its own: VRRP, notify, FIFO, checker notify and MISC_CHECK scripts alike.
    pub script_ids: Option<(u32, u32)>,
    pub enable_script_security: bool,
    /// `notify_fifo` then `vrrp_notify_fifo`: keepalived writes VRRP events to both.
    pub fifos: Vec<FifoSetup>,
    pub strict: bool,
    pub garp_interval: Duration,
    pub gna_interval: Duration,
    /// keepalived-rs only: `vrrp_vip_lifetime` (`Some(0)`: permanent VIPs, as keepalived).
    pub vip_lifetime: Option<u32>,
    /// garp_group: per interface, its (GARP, NA) intervals. An interval the group leaves out is
    /// none at all: keepalived gives the global ones only to interfaces outside any group.
    pub garp_groups: HashMap<String, (Duration, Duration)>,
}

/// static_ipaddress, static_routes and static_rules: set at start, removed at stop.
#[derive(Debug, Clone, Default)]
pub struct Statics {
    pub addrs: Vec<VipLine>,
    pub routes: Vec<RouteLine>,
    pub rules: Vec<RuleLine>,
}

/// A `vrrp_sync_group`: its members (indices into `Setup::instances`) and notifies.
#[derive(Debug, Clone)]
pub struct GroupSetup {
    pub name: String,
    pub members: Vec<usize>,
    pub scripts: Scripts,
}

/// Everything the daemon runs for one configuration.
#[derive(Debug, Clone, Default)]
pub struct Setup {
    pub globals: Globals,
    pub groups: Vec<GroupSetup>,
    pub statics: Statics,
    pub scripts: Vec<ScriptSpec>,
    pub files: Vec<TrackFileSpec>,
    pub processes: Vec<TrackProcessSpec>,
    pub instances: Vec<InstanceSetup>,
    /// Why an instance (or anything else configured) is not run, for the log.
    pub skipped: Vec<String>,
}

/// What the setup needs of the host: its interfaces and their addresses.
pub trait Addresses {
    /// The address adverts go out from: the first IPv4 address, or the IPv6 link-local one.
    fn primary(&self, interface: &str, v6: bool) -> Option<IpAddr>;
    fn exists(&self, interface: &str) -> bool;
}

fn vip_line(v: &Vip) -> VipLine {
    let mut text = format!("{}/{}", v.addr, v.prefix);
    if let Some(b) = v.broadcast {
        text.push_str(&format!(" brd {b}"));
    }
    if let Some(d) = &v.dev {
        text.push_str(&format!(" dev {d}"));
    }
    if let Some(s) = v.scope {
        text.push_str(&format!(" scope {}", scope_name(s)));
    }
    if let Some(l) = &v.label {
        text.push_str(&format!(" label {l}"));
    }
    if let Some(p) = v.peer {
        text.push_str(&format!(" peer {p}"));
    }
    if v.noprefixroute {
        text.push_str(" noprefixroute");
    }
    VipLine {
        addr: v.addr,
        prefix: v.prefix,
        dev: v.dev.clone(),
        label: v.label.clone(),
        scope: v.scope,
        brd: v.broadcast,
        peer: v.peer,
        noprefixroute: v.noprefixroute,
        preferred_lft: v.preferred_lft,
        text,
    }
}

fn scope_name(s: u8) -> String {
    match s {
        0 => "global".into(),
        200 => "site".into(),
        253 => "link".into(),
        254 => "host".into(),
        255 => "nowhere".into(),
        n => n.to_string(),
    }
}

fn route_line(r: &Route) -> RouteLine {
    let (dst, prefix) = r.dst.resolve(r.family);
    RouteLine {
        dst,
        prefix,
        via: r.via,
        src: r.src,
        dev: r.dev.clone(),
        table: (r.table != keepalived_conf::model::ip::RT_TABLE_MAIN).then_some(r.table),
        metric: r.metric,
        scope: r.scope,
        kind: (r.kind != RouteType::Unicast).then(|| r.kind.rtn()),
    }
}

fn rule_line(r: &Rule) -> RuleLine {
    RuleLine {
        ipv6: r.family == Family::V6,
        from: r.from.map(|p| p.resolve(r.family)),
        to: r.to.map(|p| p.resolve(r.family)),
        table: r.table(),
        priority: Some(r.priority),
        fwmark: r.fwmark.map(|(m, _)| m),
        iif: r.iif.clone(),
        oif: r.oif.clone(),
    }
}

/// uid and gid of `user` (and `group`, else the user's own); `None` when either is unknown
/// (getpwnam/getgrnam, keepalived-conf's one lookup).
pub fn ids(user: &str, group: Option<&str>) -> Option<(u32, u32)> {
    keepalived_conf::accounts::ids(user, group)
}

/// keepalived's default script user (`get_default_script_user`): `script_user [group]`, else
/// `keepalived_script` when getpwnam finds it, else our own uid and gid, with or without
/// script security; `None` when there is none to use: `script_user` names an unknown account,
/// or script security is on and `keepalived_script` does not exist (keepalived will not fall
/// back to root then; the configuration checks already drop the scripts concerned).
pub fn default_script_ids(g: &GlobalDefs) -> Option<(u32, u32)> {
    if let Some(u) = &g.script_user {
        return ids(&u.user, u.group.as_deref());
    }
    match ids(keepalived_conf::model::global::DEFAULT_SCRIPT_USER, None) {
        Some(found) => Some(found),
        None if g.enable_script_security => None,
        None => Some((
            nix::unistd::getuid().as_raw(),
            nix::unistd::getgid().as_raw(),
        )),
    }
}

/// The notify commands of an instance or group as the notifier runs them. A command written with
/// a user that does not exist is dropped, as keepalived drops it.
fn scripts(
    cmds: [&Option<Command>; 5],
    smtp_alert: bool,
    owner: &str,
    skipped: &mut Vec<String>,
) -> Scripts {
    let mut run_as = HashMap::new();
    let mut keep = |c: &Option<Command>| -> Option<String> {
        let c = c.as_ref()?;
        if let Some(u) = &c.user {
            match ids(u, c.group.as_deref()) {
                Some(id) => {
                    run_as.insert(c.line.clone(), id);
                }
                None => {
                    skipped.push(format!(
                        "({owner}) notify `{}` not run: user {u} or its group does not exist",
                        c.line
                    ));
                    return None;
                }
            }
        }
        Some(c.line.clone())
    };
    let [master, backup, fault, stop, generic] = cmds;
    Scripts {
        master: keep(master),
        backup: keep(backup),
        fault: keep(fault),
        stop: keep(stop),
        generic: keep(generic),
        smtp_alert,
        run_as,
    }
}

fn user_of(user: &Option<String>, group: &Option<String>) -> Option<(String, Option<String>)> {
    user.as_ref().map(|u| (u.clone(), group.clone()))
}

fn globals(g: &GlobalDefs) -> Globals {
    let script_user = g
        .script_user
        .as_ref()
        .map(|u| (u.user.clone(), u.group.clone()));
    let fifos = [&g.notify_fifo, &g.vrrp_notify_fifo]
        .into_iter()
        .filter_map(|f| {
            Some(FifoSetup {
                path: f.path.clone()?,
                script: f.script.as_ref().map(|c| c.line.clone()),
                user: user_of(&f.user, &f.group).or_else(|| script_user.clone()),
            })
        })
        .collect();
    Globals {
        router_id: g.router_id.clone(),
        emails: g.notification_email.clone(),
        email_from: g.notification_email_from.clone(),
        smtp_server: g.smtp_server.as_ref().map(|s| {
            let host = match &s.host {
                SmtpHost::Ip(a) => a.to_string(),
                SmtpHost::Name(n) => n.clone(),
            };
            (host, s.port)
        }),
        smtp_helo: g.smtp_helo_name.clone(),
        smtp_connect_timeout: Some(g.smtp_connect_timeout),
        script_user,
        script_ids: default_script_ids(g),
        enable_script_security: g.enable_script_security,
        fifos,
        strict: g.vrrp_strict,
        garp_interval: g.vrrp_garp_interval,
        gna_interval: g.vrrp_gna_interval,
        vip_lifetime: g.vrrp_vip_lifetime,
        garp_groups: HashMap::new(),
    }
}

/// keepalived's smtp_alert: the instance's or group's own setting, else smtp_alert_vrrp, else
/// smtp_alert, else off (keepalived 2.2.7 sends no mail unless one of them says so).
fn smtp_alert(own: Option<bool>, g: &GlobalDefs) -> bool {
    own.or(g.smtp_alert_vrrp).or(g.smtp_alert).unwrap_or(false)
}

/// What an instance says itself, before keepalived's resolution: whether `accept`/`no_accept`
/// (the last one wins) and `version` were written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Written {
    pub accept: Option<bool>,
    pub version: Option<u8>,
}

/// [`Written`] for each vrrp_instance, from the model's as-written fields. keepalived clears
/// `accept` for VRRPv2 in strict mode and the model resolves it that way; we honour an `accept`
/// the operator wrote (scenarios 01 and 02 ask for it), so we need to know what was written.
pub fn written(cfg: &Config) -> HashMap<String, Written> {
    let mut out: HashMap<String, Written> = HashMap::new();
    for i in &cfg.vrrp.instances {
        let w = out.entry(i.name.clone()).or_default();
        if i.accept_as_written.is_some() {
            w.accept = i.accept_as_written;
        }
        if i.version_as_written.is_some() {
            w.version = i.version_as_written;
        }
    }
    out
}

/// Builds what the daemon runs from a loaded configuration. Instances keepalived would refuse
/// (no VRID, no or a missing interface, no VIP where one is required, a clashing VRID) are left
/// out, each with a line in `skipped`. `written`: what [`written`] found.
pub fn from_loaded(
    loaded: &Loaded,
    written: &HashMap<String, Written>,
    host: &dyn Addresses,
) -> Setup {
    from_config(&loaded.config, written, host)
}

/// [`from_loaded`] on the model alone.
pub fn from_config(
    cfg: &Config,
    written: &HashMap<String, Written>,
    host: &dyn Addresses,
) -> Setup {
    let g = &cfg.global;
    let v = &cfg.vrrp;
    let mut s = Setup {
        globals: globals(g),
        ..Setup::default()
    };
    for grp in &v.garp_groups {
        let gaps = (
            grp.garp_interval.unwrap_or_default(),
            grp.gna_interval.unwrap_or_default(),
        );
        for i in &grp.interfaces {
            s.globals.garp_groups.entry(i.clone()).or_insert(gaps);
        }
    }
    for sc in &v.scripts {
        let Some(cmd) = &sc.command else { continue };
        s.scripts.push(ScriptSpec {
            name: sc.name.clone(),
            script: cmd.line.clone(),
            interval: sc.interval,
            timeout: sc.timeout.unwrap_or(sc.interval),
            weight: sc.weight,
            reverse: sc.weight_reverse,
            rise: sc.rise.max(1),
            fall: sc.fall.max(1),
            init_fail: sc.init_fail,
            user: user_of(&sc.user, &sc.group),
            prepared: None,
        });
    }
    for f in &v.track_files {
        let Some(file) = &f.file else { continue };
        s.files.push(TrackFileSpec {
            name: f.name.clone(),
            file: file.clone(),
            weight: f.weight,
            reverse: f.weight_reverse,
        });
    }
    for p in &v.track_processes {
        let Some(process) = &p.process else { continue };
        s.processes.push(TrackProcessSpec {
            name: p.name.clone(),
            process: process.clone(),
            args: (p.param_match.is_some() || !p.params.is_empty()).then(|| p.params.join(" ")),
            weight: p.weight,
            reverse: p.weight_reverse,
            quorum: p.quorum as usize,
            quorum_max: p.quorum_max.map_or(usize::MAX, |m| m as usize),
            delay: p.terminate_delay.unwrap_or_default(),
        });
    }
    // A sync group's track lines apply to each of its members, as keepalived copies them.
    let mut group_of: HashMap<&str, &model::SyncGroup> = HashMap::new();
    for grp in &v.sync_groups {
        for m in &grp.instances {
            group_of.entry(m.as_str()).or_insert(grp);
        }
    }
    let mut taken: HashSet<(u8, bool, Option<String>, Option<IpAddr>)> = HashSet::new();
    for inst in &v.instances {
        let group = group_of.get(inst.name.as_str()).copied();
        let w = written.get(&inst.name).copied().unwrap_or_default();
        match instance(inst, group, w, g, &s, host) {
            Ok(i) => {
                // Two instances with one VRID on one interface and group fight: keepalived refuses
                // the configuration; we run the first.
                let key = (
                    i.cfg.vrid,
                    i.cfg.src.is_ipv6(),
                    i.cfg.peers.is_empty().then(|| i.interface.clone()),
                    i.cfg.peers.is_empty().then_some(i.cfg.mcast_group).or(i
                        .cfg
                        .peers
                        .first()
                        .map(|p| p.addr)),
                );
                if !taken.insert(key) {
                    s.skipped.push(format!(
                        "({}) not started: VRID {} is already used by another instance on {}",
                        inst.name, i.cfg.vrid, i.interface
                    ));
                    continue;
                }
                s.instances.push(i);
            }
            Err(why) => s
                .skipped
                .push(format!("({}) not started: {why}", inst.name)),
        }
    }
    for grp in &v.sync_groups {
        let members: Vec<usize> = grp
            .instances
            .iter()
            .filter_map(|m| s.instances.iter().position(|i| &i.cfg.name == m))
            .collect();
        if members.is_empty() {
            s.skipped.push(format!(
                "vrrp_sync_group {} not started: none of its instances runs",
                grp.name
            ));
            continue;
        }
        s.groups.push(GroupSetup {
            name: grp.name.clone(),
            members,
            scripts: scripts(
                [
                    &grp.notify_master,
                    &grp.notify_backup,
                    &grp.notify_fault,
                    &grp.notify_stop,
                    &grp.notify,
                ],
                smtp_alert(grp.smtp_alert, g),
                &grp.name,
                &mut s.skipped,
            ),
        });
    }
    let default_if = g.default_interface().to_string();
    for a in &cfg.statics.addresses {
        let mut l = vip_line(a);
        if l.dev.is_none() {
            l.dev = Some(default_if.clone());
        }
        s.statics.addrs.push(l);
    }
    s.statics.routes = cfg.statics.routes.iter().map(route_line).collect();
    s.statics.rules = cfg.statics.rules.iter().map(rule_line).collect();
    s
}

fn tracker(t: &model::Track, initial: TrackerStatus) -> TrackerConfig {
    let mut tc = TrackerConfig::new(t.name.clone(), t.weight);
    tc.reverse = t.reverse;
    tc.initial = initial;
    tc
}

fn instance(
    inst: &model::Instance,
    group: Option<&model::SyncGroup>,
    written: Written,
    g: &GlobalDefs,
    s: &Setup,
    host: &dyn Addresses,
) -> Result<InstanceSetup, String> {
    let n = &inst.name;
    if inst.virtual_router_id == 0 {
        return Err("no virtual_router_id".into());
    }
    let Some(interface) = inst.interface.clone() else {
        return Err("no interface".into());
    };
    if !host.exists(&interface) {
        return Err(if g.dynamic_interfaces {
            format!(
                "interface {interface} does not exist (dynamic_interfaces: this build does not wait for it)"
            )
        } else {
            format!("interface {interface} does not exist")
        });
    }
    let strict = inst.strict_mode.unwrap_or(g.vrrp_strict);
    let v6 = inst.family == Some(Family::V6);
    // IPv6 is always version 3; otherwise the instance's own, else global vrrp_version.
    let version = if v6 || written.version.unwrap_or(g.vrrp_version) == 3 {
        Version::V3
    } else {
        Version::V2
    };
    if inst.vips.is_empty() && (version == Version::V3 || strict) {
        return Err(
            "no virtual_ipaddress (required with VRRP version 3 and in strict mode)".into(),
        );
    }
    let src = inst
        .src_ip
        .or_else(|| host.primary(&interface, v6))
        .ok_or_else(|| format!("interface {interface} has no usable address"))?;
    let mut cfg = InstanceConfig::new(n.clone(), inst.virtual_router_id, src);
    cfg.version = version;
    cfg.priority = inst.priority;
    cfg.initial_state = match inst.state {
        State::Master => InitialState::Master,
        State::Backup => InitialState::Backup,
        State::Unset => InitialState::FromPriority,
    };
    cfg.adver_int = inst.advert_int;
    cfg.auth = match &inst.auth {
        Some(a) if a.kind == AuthType::Pass => AuthConfig::Pass(AuthConfig::key(&a.pass)),
        Some(a) => AuthConfig::Ah(AuthConfig::key(&a.pass)),
        None => AuthConfig::None,
    };
    cfg.mcast_group = inst.mcast_dst_ip.unwrap_or(if v6 {
        IpAddr::V6(g.vrrp_mcast_group6)
    } else {
        IpAddr::V4(g.vrrp_mcast_group4)
    });
    cfg.peers = inst
        .unicast_peers
        .iter()
        .map(|p| Peer {
            min_ttl: p.min_ttl,
            max_ttl: p.max_ttl,
            ..Peer::new(p.addr)
        })
        .collect();
    cfg.check_unicast_src = inst.check_unicast_src || g.vrrp_check_unicast_src;
    if inst.is_unicast()
        && let Some(ttl) = inst.unicast_ttl
    {
        cfg.ttl = ttl;
    }
    // Only the family of the instance goes into adverts; keepalived drops the others with a warning.
    let same = |a: &&Vip| a.family() == inst.family.unwrap_or(Family::V4);
    let vips: Vec<VipLine> = inst.vips.iter().filter(same).map(vip_line).collect();
    let excluded: Vec<VipLine> = inst.excluded_vips.iter().map(vip_line).collect();
    cfg.vips = vips.iter().map(|v| v.addr).collect();
    cfg.excluded_vips = excluded.iter().map(|v| v.addr).collect();
    let routes: Vec<RouteLine> = inst.routes.iter().map(route_line).collect();
    let rules: Vec<RuleLine> = inst.rules.iter().map(rule_line).collect();
    cfg.has_routes = !routes.is_empty();
    cfg.has_rules = !rules.is_empty();
    let owner = inst.priority == model::OWNER_PRIORITY;
    // The owner never preempt-waits, and keepalived clears nopreempt for it.
    cfg.nopreempt = inst.nopreempt && !owner;
    cfg.preempt_delay = inst.preempt_delay;
    cfg.strict = strict;
    cfg.skip_check_adv_addr = inst
        .skip_check_adv_addr
        .unwrap_or(g.vrrp_skip_check_adv_addr);
    cfg.down_timer_adverts = inst.down_timer_adverts.unwrap_or(g.vrrp_down_timer_adverts);
    cfg.lower_prio_no_advert = inst
        .lower_prio_no_advert
        .unwrap_or(g.vrrp_lower_prio_no_advert);
    cfg.higher_prio_send_advert = inst
        .higher_prio_send_advert
        .unwrap_or(g.vrrp_higher_prio_send_advert);
    cfg.notify_priority_changes = inst
        .notify_priority_changes
        .unwrap_or(g.vrrp_notify_priority_changes);
    cfg.old_unicast_checksum = match inst.old_unicast_checksum {
        None => OldUnicastChecksum::Adopt,
        Some(false) => OldUnicastChecksum::Never,
        Some(true) => OldUnicastChecksum::Always,
    };
    cfg.garp = GarpConfig {
        master_delay: inst.garp_master_delay.unwrap_or(g.vrrp_garp_master_delay),
        master_repeat: inst.garp_master_repeat.unwrap_or(g.vrrp_garp_master_repeat),
        master_refresh: inst
            .garp_master_refresh
            .unwrap_or(g.vrrp_garp_master_refresh),
        master_refresh_repeat: inst
            .garp_master_refresh_repeat
            .unwrap_or(g.vrrp_garp_master_refresh_repeat),
        lower_prio_delay: inst
            .garp_lower_prio_delay
            .unwrap_or(g.garp_lower_prio_delay()),
        lower_prio_repeat: inst
            .garp_lower_prio_repeat
            .unwrap_or(g.garp_lower_prio_repeat()),
    };

    // Trackers in a fixed order: scripts, interfaces, files, processes; a sync group's after
    // the instance's own.
    let own_and_group =
        |own: &'_ [model::Track], of_group: fn(&model::SyncGroup) -> &[model::Track]| {
            own.iter()
                .chain(group.map(of_group).unwrap_or_default())
                .cloned()
                .collect::<Vec<_>>()
        };
    let mut all: Vec<(Tracked, TrackerConfig)> = Vec::new();
    let mut track_scripts = Vec::new();
    for t in own_and_group(&inst.track_scripts, |g| &g.track_scripts) {
        let Some(sc) = s.scripts.iter().find(|x| x.name == t.name) else {
            continue;
        };
        let initial = if sc.init_fail {
            TrackerStatus::Down
        } else if t.weight == 0 {
            TrackerStatus::Unknown
        } else {
            TrackerStatus::Up
        };
        track_scripts.push(t.name.clone());
        all.push((Tracked::Script(t.name.clone()), tracker(&t, initial)));
    }
    for t in own_and_group(&inst.track_interfaces, |g| &g.track_interfaces) {
        // The link's state at start is filled in by the caller.
        all.push((
            Tracked::Interface(t.name.clone()),
            tracker(&t, TrackerStatus::Up),
        ));
    }
    for t in own_and_group(&inst.track_files, |g| &g.track_files) {
        if s.files.iter().any(|f| f.name == t.name) {
            all.push((
                Tracked::File(t.name.clone()),
                tracker(&t, TrackerStatus::Up),
            ));
        }
    }
    for t in own_and_group(&inst.track_processes, |g| &g.track_processes) {
        // Counted on the first scan, before the instance leaves INIT.
        if s.processes.iter().any(|p| p.name == t.name) {
            all.push((
                Tracked::Process(t.name.clone()),
                tracker(&t, TrackerStatus::Unknown),
            ));
        }
    }
    let (tracked, trackers): (Vec<Tracked>, Vec<TrackerConfig>) = all.into_iter().unzip();
    cfg.trackers = trackers;

    // Strict mode means no accept unless written (keepalived would clear even a written one for
    // VRRPv2; the scenarios ask us to honour it).
    let accept = written.accept.unwrap_or(owner || !strict);
    let mut dropped = Vec::new();
    let notify = scripts(
        [
            &inst.notify_master,
            &inst.notify_backup,
            &inst.notify_fault,
            &inst.notify_stop,
            &inst.notify,
        ],
        smtp_alert(inst.smtp_alert, g),
        n,
        &mut dropped,
    );
    for d in dropped {
        tracing::warn!("{d}");
    }
    let vmac = inst.use_vmac.as_ref().map(|m| {
        m.name
            .clone()
            .unwrap_or_else(|| format!("vrrp.{}", inst.virtual_router_id))
    });
    Ok(InstanceSetup {
        cfg,
        interface,
        vips,
        excluded,
        routes,
        rules,
        scripts: notify,
        track_scripts,
        tracked,
        accept,
        vmac,
        vmac_xmit_base: inst.vmac_xmit_base,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use keepalived_conf::{AnyHost, LoadOptions, load_str};

    struct Fixed;
    impl Addresses for Fixed {
        fn primary(&self, _: &str, v6: bool) -> Option<IpAddr> {
            Some(if v6 {
                "fe80::1".parse().unwrap()
            } else {
                [192, 168, 168, 101].into()
            })
        }
        fn exists(&self, i: &str) -> bool {
            i != "missing0"
        }
    }

    fn setup(text: &str) -> Setup {
        let opts = LoadOptions::default();
        let l = load_str("k.conf", text, &opts, &AnyHost);
        from_loaded(&l, &written(&l.config), &Fixed)
    }

    #[test]
    fn reads_the_scenarios() {
        let base = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../conf/tests/fixtures/scenarios");
        let load = |p: &str| {
            let opts = LoadOptions::default();
            let l = keepalived_conf::load(&base.join(p), &opts, &AnyHost);
            from_loaded(&l, &written(&l.config), &Fixed)
        };
        let r = load("01-nginx-pair/node1.conf");
        assert_eq!(r.instances.len(), 1);
        let i = &r.instances[0];
        assert_eq!(i.cfg.vrid, 51);
        assert_eq!(i.cfg.priority, 150);
        assert_eq!(i.vips[0].label.as_deref(), Some("ens33:1"));
        assert!(r.globals.strict && !i.accept);
        let text = std::fs::read_to_string(base.join("01-nginx-pair/node1.conf"))
            .unwrap()
            .replace("    advert_int 1\n", "    advert_int 1\n    accept\n");
        assert!(setup(&text).instances[0].accept, "a written accept holds");
        let r = load("03-tracked-nginx/node1.conf");
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

    #[test]
    fn vip_route_and_rule_lines() {
        let s = setup(
            "vrrp_instance V {\n interface eth0\n virtual_router_id 9\n\
             virtual_ipaddress {\n 10.0.0.1/24 brd 10.0.0.255 dev eth1 scope link label eth1:a noprefixroute preferred_lft 0\n\
             10.0.0.2 peer 10.0.0.9\n }\n\
             virtual_routes {\n src 10.0.0.1 to 10.1.0.0/16 via 10.0.0.254 dev eth0 table 100 metric 5\n blackhole 10.2.0.0/24\n }\n\
             virtual_rules {\n from 10.0.0.0/24 to 10.0.9.1 table 7 priority 100 fwmark 3 iif eth0\n }\n}\n",
        );
        let i = &s.instances[0];
        let v = &i.vips[0];
        assert_eq!(
            (v.prefix, v.dev.as_deref(), v.scope),
            (24, Some("eth1"), Some(253))
        );
        assert_eq!(v.brd, Some([10, 0, 0, 255].into()));
        assert_eq!(v.label.as_deref(), Some("eth1:a"));
        assert!(v.noprefixroute && v.preferred_lft == Some(0));
        assert_eq!(i.vips[1].peer, Some([10, 0, 0, 9].into()));
        let r = &i.routes[0];
        assert_eq!((r.dst, r.prefix), ([10, 1, 0, 0].into(), 16));
        assert_eq!(
            (r.via, r.src),
            (Some([10, 0, 0, 254].into()), Some([10, 0, 0, 1].into()))
        );
        assert_eq!((r.table, r.metric, r.kind), (Some(100), Some(5), None));
        let b = &i.routes[1];
        assert_eq!((b.kind, b.prefix), (Some(6), 24));
        let u = &i.rules[0];
        assert!(!u.ipv6);
        assert_eq!(u.to, Some(([10, 0, 9, 1].into(), 32)));
        assert_eq!(
            (u.table, u.priority, u.fwmark),
            (Some(7), Some(100), Some(3))
        );
        assert_eq!(u.iif.as_deref(), Some("eth0"));
        assert!(i.cfg.has_routes && i.cfg.has_rules);
    }

    #[test]
    fn trackers_follow_scripts_in_order() {
        let s = setup(
            "vrrp_script s {\n script /bin/true\n}\n\
             track_file tf {\n file /tmp/x\n weight -3\n}\n\
             vrrp_track_process tp {\n process nginx -g x\n weight 5 reverse\n quorum 2\n}\n\
             vrrp_instance V {\n interface eth0\n virtual_router_id 9\n\
             track_interface {\n eth1 weight -20\n eth2\n }\n track_file {\n tf\n }\n\
             track_process {\n tp\n }\n track_script {\n s\n }\n\
             virtual_ipaddress {\n 10.0.0.1/24\n }\n\
             virtual_ipaddress_excluded {\n fd00::2/64\n }\n}\n",
        );
        let i = &s.instances[0];
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
        assert_eq!(s.processes[0].args.as_deref(), Some("-g x"));
        assert_eq!(s.processes[0].quorum, 2);
        assert_eq!(i.cfg.excluded_vips, ["fd00::2".parse::<IpAddr>().unwrap()]);
    }

    #[test]
    fn instances_keepalived_refuses_do_not_start() {
        let s = setup(
            "vrrp_instance NOVRID {\n interface eth0\n virtual_ipaddress {\n 10.0.0.1\n }\n}\n\
             vrrp_instance NOIF {\n virtual_router_id 2\n virtual_ipaddress {\n 10.0.0.2\n }\n}\n\
             vrrp_instance GONE {\n interface missing0\n virtual_router_id 3\n virtual_ipaddress {\n 10.0.0.3\n }\n}\n\
             vrrp_instance V3NOVIP {\n interface eth0\n version 3\n virtual_router_id 4\n}\n\
             vrrp_instance OK {\n interface eth0\n virtual_router_id 5\n virtual_ipaddress {\n 10.0.0.5\n }\n}\n\
             vrrp_instance CLASH {\n interface eth0\n virtual_router_id 5\n virtual_ipaddress {\n 10.0.0.6\n }\n}\n",
        );
        let names: Vec<&str> = s.instances.iter().map(|i| i.cfg.name.as_str()).collect();
        assert_eq!(names, ["OK"]);
        assert_eq!(s.skipped.len(), 5, "{:?}", s.skipped);
    }

    #[test]
    fn globals_and_sync_groups() {
        let s = setup(
            "global_defs {\n router_id r1\n notification_email {\n a@b\n }\n smtp_server 10.0.0.9 26\n\
             smtp_alert_vrrp\n vrrp_garp_interval 0.5\n vrrp_mcast_group4 224.0.0.19\n\
             vrrp_notify_fifo /tmp/f\n vrrp_notify_fifo_script \"/bin/cat\"\n vrrp_vip_lifetime 0\n}\n\
             vrrp_instance A {\n interface eth0\n virtual_router_id 1\n virtual_ipaddress {\n 10.0.0.1\n }\n}\n\
             vrrp_instance B {\n interface eth0\n virtual_router_id 2\n virtual_ipaddress {\n 10.0.0.2\n }\n}\n\
             vrrp_sync_group G {\n group {\n A\n B\n }\n notify_master /bin/true\n track_interface {\n eth1\n }\n}\n\
             garp_group {\n garp_interval 0.02\n interface eth1\n}\n",
        );
        let g = &s.globals;
        assert_eq!(g.router_id.as_deref(), Some("r1"));
        assert_eq!(g.smtp_server, Some(("10.0.0.9".into(), 26)));
        assert_eq!(g.garp_interval, Duration::from_millis(500));
        assert_eq!(
            g.garp_groups.get("eth1"),
            Some(&(Duration::from_millis(20), Duration::ZERO))
        );
        assert_eq!(g.vip_lifetime, Some(0));
        assert_eq!(g.fifos[0].path, "/tmp/f");
        assert_eq!(g.fifos[0].script.as_deref(), Some("/bin/cat"));
        let a = &s.instances[0];
        assert!(a.scripts.smtp_alert);
        assert_eq!(a.cfg.mcast_group, IpAddr::from([224, 0, 0, 19]));
        assert_eq!(a.tracked, [Tracked::Interface("eth1".into())]);
        assert_eq!(s.groups[0].members, [0, 1]);
        assert_eq!(s.groups[0].scripts.master.as_deref(), Some("/bin/true"));
    }

    #[test]
    fn notify_with_its_own_user() {
        let s = setup(
            "vrrp_instance A {\n interface eth0\n virtual_router_id 1\n virtual_ipaddress {\n 10.0.0.1\n }\n\
             notify_master \"/bin/true m\" root root\n notify_backup /bin/true\n}\n",
        );
        let sc = &s.instances[0].scripts;
        assert_eq!(sc.master.as_deref(), Some("/bin/true m"));
        assert_eq!(sc.run_as.get("/bin/true m"), Some(&(0, 0)));
        assert!(!sc.run_as.contains_key("/bin/true"));
    }

    #[test]
    fn global_version_and_strict_apply_unless_the_instance_says_otherwise() {
        let s = setup(
            "global_defs {\n vrrp_version 3\n vrrp_strict\n}\n\
             vrrp_instance A {\n interface eth0\n virtual_router_id 1\n virtual_ipaddress {\n 10.0.0.1\n }\n}\n\
             vrrp_instance B {\n interface eth0\n version 2\n accept\n virtual_router_id 2\n virtual_ipaddress {\n 10.0.0.2\n }\n}\n",
        );
        let (a, b) = (&s.instances[0], &s.instances[1]);
        assert_eq!((a.cfg.version, a.accept), (Version::V3, false));
        assert!(a.cfg.strict);
        assert_eq!((b.cfg.version, b.accept), (Version::V2, true));
    }
}
