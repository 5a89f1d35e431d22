//! The typed configuration: one struct per block of keepalived.conf(5), keepalived's defaults,
//! and the top-level dispatch from keyword to the module that reads it.

pub mod bfd;
pub mod global;
pub mod ip;
pub mod lvs;
pub mod vrrp;

use crate::System;
use crate::read::Reader;
use crate::tree::Node;

/// Everything one keepalived.conf (with its includes) configures.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Config {
    pub global: global::GlobalDefs,
    /// `static_ipaddress`, `static_routes`, `static_rules`.
    pub statics: ip::Statics,
    pub vrrp: vrrp::Vrrp,
    pub bfd: bfd::Bfd,
    pub lvs: lvs::Lvs,
}

/// Top-level keywords and the module that owns each.
pub const TOP_LEVEL: &[&str] = &[
    "net_namespace",
    "net_namespace_ipvs",
    "namespace_with_ipsets",
    "instance",
    "use_pid_dir",
    "linkbeat_use_polling",
    "child_wait_time",
    "global_defs",
    "static_ipaddress",
    "static_routes",
    "static_rules",
    "linkbeat_interfaces",
    "interface_up_down_delays",
    "track_group",
    "vrrp_script",
    "track_file",
    "vrrp_track_file",
    "vrrp_track_process",
    "garp_group",
    "vrrp_sync_group",
    "vrrp_instance",
    "bfd_instance",
    "virtual_server_group",
    "virtual_server",
    "SSL",
];

/// Reads every top-level node into `cfg`.
pub fn read(nodes: &[Node], r: &mut Reader<'_>, cfg: &mut Config) {
    // The two lists a large file is made of, sized once (an instance is over a kilobyte; grown
    // by doubling, every one would be copied again at each step).
    let count = |kw: &str| nodes.iter().filter(|n| n.keyword() == kw).count();
    cfg.vrrp.instances.reserve(count("vrrp_instance"));
    cfg.lvs.virtual_servers.reserve(count("virtual_server"));
    for node in nodes {
        read_one(node, r, cfg);
    }
}

/// Reads one top-level node into `cfg` (nodes go in file order: [`read`] is this for each).
pub fn read_one(node: &Node, r: &mut Reader<'_>, cfg: &mut Config) {
    let handled = global::read_top(node, r, cfg)
        || ip::read_top(node, r, cfg)
        || vrrp::read_top(node, r, cfg)
        || bfd::read_top(node, r, cfg)
        || lvs::read_top(node, r, cfg);
    if !handled {
        r.unknown(node, None, TOP_LEVEL);
    }
}

/// Cross-block checks (references, duplicates, strict mode, the host's interfaces and programs),
/// run once everything is read. Each distinct question to `sys` is asked once per call (the
/// answers are remembered for the rest of the validation).
pub fn validate(cfg: &mut Config, r: &mut Reader<'_>, sys: &dyn System) {
    let memo = crate::Remembered::new(sys);
    let sys: &dyn System = &memo;
    global::validate(cfg, r, sys);
    ip::validate(cfg, r, sys);
    vrrp::validate(cfg, r, sys);
    bfd::validate(cfg, r, sys);
    lvs::validate(cfg, r, sys);
}

/// Every (block, keywords) pair the model reads, over all modules.
pub fn all_keywords() -> Vec<(&'static str, &'static [&'static str])> {
    let mut v = vec![("top level", TOP_LEVEL)];
    for m in [
        global::KEYWORDS,
        ip::KEYWORDS,
        vrrp::KEYWORDS,
        bfd::KEYWORDS,
        lvs::KEYWORDS,
    ] {
        v.extend_from_slice(m);
    }
    v
}
