#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The VRRP model (vrrp_script, track_file, vrrp_track_process, garp_group, vrrp_sync_group,
//! vrrp_instance) and the `ip` lines (VIPs, routes, rules, static_*): values, defaults, checks.

use std::path::Path;

use keepalived_conf::{LoadOptions, Loaded, System, load, load_str};

/// A host with eth0 and eth1, and the programs of /bin and /usr/bin that exist here.
struct TwoNics;

impl System for TwoNics {
    fn interface_exists(&self, name: &str) -> bool {
        name == "eth0" || name == "eth1"
    }
    fn program_exists(&self, program: &str) -> bool {
        keepalived_conf::Host.program_exists(program)
    }
}

fn load_text(text: &str) -> Loaded {
    load_str("test.conf", text, &LoadOptions::default(), &TwoNics)
}

#[test]
#[ignore = "prints our diagnostics for every corpus file next to keepalived's verdict"]
fn dump_corpus() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus");
    let manifest = std::fs::read_to_string(dir.join("MANIFEST")).unwrap();
    for line in manifest
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
    {
        let mut w = line.split_whitespace();
        let name = w.next().unwrap();
        let code = w.next().unwrap();
        let loaded = load(&dir.join(name), &LoadOptions::default(), &TwoNics);
        println!("=== {name}: keepalived {code}, ours {}", loaded.exit_code());
        for d in loaded.diagnostics.sorted() {
            println!(
                "  {}@{}: {} | {}",
                d.severity.label(),
                d.span.map(|s| s.line).unwrap_or(0),
                d.message,
                d.help.as_deref().unwrap_or("")
            );
        }
    }
    let _ = load_text("");
}
