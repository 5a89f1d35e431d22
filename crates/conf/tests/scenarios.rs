#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The users' scenarios (copied from ../shared/scenarios into tests/fixtures/scenarios): every
//! configuration loads; 01-04 are clean; 05-typos gets each diagnostic its EXPECT.md lists.

use std::path::{Path, PathBuf};

use keepalived_conf::{Diagnostic, Host, LoadOptions, Loaded, Severity, System, load};

fn scenarios_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/scenarios")
}

/// Every scenario configuration, as (scenario folder, file path).
fn configs() -> Vec<(String, PathBuf)> {
    let mut out = Vec::new();
    for dir in std::fs::read_dir(scenarios_dir()).unwrap() {
        let dir = dir.unwrap().path();
        if !dir.is_dir() {
            continue;
        }
        let scenario = dir.file_name().unwrap().to_string_lossy().into_owned();
        for f in std::fs::read_dir(&dir).unwrap() {
            let f = f.unwrap().path();
            if f.extension().is_some_and(|e| e == "conf") {
                out.push((scenario.clone(), f));
            }
        }
    }
    out.sort();
    out
}

/// The scenario hosts: their interfaces (ens33, ens160, eth0) exist, and so do the programs
/// their guides installed; anything else (the typo `kellall`) is looked up on this host.
struct ScenarioHost;

const SCENARIO_PROGRAMS: &[&str] = &["killall", "/etc/rc.d/init.d/nginx"];

impl System for ScenarioHost {
    fn interface_exists(&self, _: &str) -> bool {
        true
    }
    fn program_exists(&self, program: &str) -> bool {
        SCENARIO_PROGRAMS.contains(&program) || Host.program_exists(program)
    }
}

fn load_scenario(path: &Path) -> Loaded {
    load(path, &LoadOptions::default(), &ScenarioHost)
}

fn describe(d: &Diagnostic) -> String {
    format!(
        "{}@{}: {} (help: {})",
        d.severity.label(),
        d.span.map(|s| s.line).unwrap_or(0),
        d.message,
        d.help.as_deref().unwrap_or("-")
    )
}

#[test]
fn every_scenario_configuration_loads() {
    let all = configs();
    assert_eq!(
        all.len(),
        9,
        "expected the 9 scenario configurations: {all:?}"
    );
    for (_, path) in &all {
        let loaded = load_scenario(path);
        assert!(
            !loaded
                .diagnostics
                .iter()
                .any(|d| d.message.contains("cannot read")),
            "{}: {}",
            path.display(),
            loaded.render()
        );
    }
}

/// Lines where keepalived 2.2.7's own `-t` reports a configuration error in scenarios 01-04
/// (run in a namespace holding their interfaces): `vrrp_garp_interval 0` and `vrrp_gna_interval 0`
/// are outside its range [0.000001, 4294.967295], and `nb_get_retry` is deprecated; under
/// `vrrp_strict` (01, 02) "State MASTER must match being address owner" (the `state` line) and
/// "Strict mode does not support authentication" (the `authentication` line; keepalived names
/// the instance, not the line). Ours may report the same there; nowhere else.
const KEEPALIVED_FLAGS: &[(&str, &[u32])] = &[
    ("01-nginx-pair/node1.conf", &[14, 15, 18, 24]),
    ("01-nginx-pair/node2.conf", &[14, 15, 24]),
    ("02-haproxy-pair/lb1.conf", &[11, 17]),
    ("02-haproxy-pair/lb2.conf", &[7, 8, 17]),
    ("04-lvs-dr/director1.conf", &[36]),
    ("04-lvs-dr/director2.conf", &[36]),
];

#[test]
fn scenarios_01_to_04_have_no_errors() {
    let mut bad = Vec::new();
    for (scenario, path) in configs() {
        if scenario.starts_with("05") {
            continue;
        }
        let name = format!("{scenario}/{}", path.file_name().unwrap().to_string_lossy());
        let allowed: &[u32] = KEEPALIVED_FLAGS
            .iter()
            .find(|(f, _)| *f == name)
            .map(|(_, l)| *l)
            .unwrap_or(&[]);
        let loaded = load_scenario(&path);
        for d in loaded.diagnostics.sorted() {
            let line = d.span.map(|s| s.line).unwrap_or(0);
            let serious = matches!(d.severity, Severity::Error | Severity::Fatal);
            if d.severity == Severity::Fatal || (serious && !allowed.contains(&line)) {
                bad.push(format!("{name}: {}", describe(d)));
            }
        }
    }
    assert!(
        bad.is_empty(),
        "errors in scenarios 01-04:\n{}",
        bad.join("\n")
    );
}

/// 05-typos/EXPECT.md, item by item: the line of node1.conf, and words one of which the
/// diagnostic's message or help must contain.
const TYPOS: &[(&str, u32, &[&str])] = &[
    (
        "`vrrp_instance_VI_1 {`: unknown top-level keyword",
        18,
        &["vrrp_instance"],
    ),
    (
        "`state MATSER`: not MASTER or BACKUP",
        19,
        &["MASTER", "MATSER"],
    ),
    ("`fise 1`: did you mean `rise`?", 15, &["`rise`"]),
    (
        "`vitrual_ipaddress`: did you mean `virtual_ipaddress`?",
        28,
        &["`virtual_ipaddress`"],
    ),
    (
        "`server_server`: did you mean `sorry_server`?",
        40,
        &["`sorry_server`"],
    ),
    (
        "`tcp_port`: did you mean `connect_port`?",
        45,
        &["`connect_port`"],
    ),
    (
        "`real_server 172.168.100.12 80` without `{`",
        49,
        &["{", "brace"],
    ),
    (
        "`kellall`: the script's program does not exist",
        11,
        &["kellall"],
    ),
];

#[test]
fn typos_05_yield_every_expected_diagnostic() {
    let path = scenarios_dir().join("05-typos/node1.conf");
    let loaded = load_scenario(&path);
    let diags = loaded.diagnostics.sorted();
    let mut missing = Vec::new();
    for (what, line, words) in TYPOS {
        let found = diags.iter().any(|d| {
            d.span.is_some_and(|s| s.line == *line)
                && words.iter().any(|w| {
                    d.message.contains(w) || d.help.as_deref().is_some_and(|h| h.contains(w))
                })
        });
        if !found {
            missing.push(format!("line {line}: {what}"));
        }
    }
    let got: Vec<String> = diags.iter().map(|d| describe(d)).collect();
    assert!(
        missing.is_empty(),
        "05-typos: {} expected diagnostics missing:\n  {}\nwe gave:\n  {}",
        missing.len(),
        missing.join("\n  "),
        got.join("\n  ")
    );
    assert_ne!(loaded.exit_code(), 0, "-t must exit non-zero on 05-typos");
}
