//! Scenario 04-lvs-dr (tests/scenarios/04-lvs-dr/EXPECT.md) end to end, and the IPVS connection
//! sync daemon, under a kernel with IPVS.
//!
//! This host's kernel has no IPVS: the test boots Debian's cloud kernel under QEMU with
//! `tools/run-in-vm` (one boot, TCG, 2 vCPUs) and runs `tests/vm/scenario04.sh` there. Each run
//! builds its own LAN of network namespaces (a bridge; director1 .7 and director2 .8, each with
//! its own IPVS table and one daemon; real servers rs1 .9 and rs2 .10 serving HTTP with the VIP on
//! lo, arp_ignore=1, arp_announce=2; four clients; a sorry server on port 80 of each director),
//! and the runs go at once (the VM's budget). The runs, with U the daemon under test
//! (`KEEPALIVED_UNDER_TEST=keepalived|keepalived-rs`, default keepalived-rs):
//! - `lvs U U`, and the mixed pairs `lvs keepalived keepalived-rs` and `lvs keepalived-rs
//!   keepalived` (director1's daemon first): the scenario's configurations, unchanged. Both
//!   tables are `TCP 172.16.100.22:80 rr persistent 50` with both real servers Route weight 1
//!   (the backup director's too: its checkers run); the clients are answered by both real
//!   servers (rr; persistence keeps each client on one); rs1's httpd stopped: it leaves both
//!   tables after the HTTP_GET retries and rs2 answers everyone; started: it comes back; both
//!   stopped: the sorry server 127.0.0.1:80 is the only destination and answers ("sorry"); rs2
//!   back: the sorry server leaves; rs1 back; then the four clients request the VIP in a loop
//!   (every 0.2 s, 1 s timeout) while director1's daemon gets SIGTERM (director2 takes over) and
//!   is started again (it preempts back). Failed requests are counted per phase; after both
//!   daemons' SIGTERM both tables are empty.
//! - `sync U U` and `sync keepalived keepalived-rs`: the same configurations plus
//!   `lvs_sync_daemon eth0 VI_1` (director1-sync.conf, director2-sync.conf), director2 started
//!   once director1 is master (started together, both are master for a moment: once, keepalived
//!   2.2.7's director2 hung in the step back to backup with its sync daemon; the script's
//!   session() says more): a master sync daemon on director1, a backup one on director2; one
//!   long-lived TCP connection from client1 through the VIP to a real server (an echo session)
//!   is learnt by director2 (`ipvsadm -Lnc` shows it ESTABLISHED) and keeps being answered
//!   after director1's SIGTERM.
//! - `nosync U U`, the control: the same session without a sync daemon breaks at the failover
//!   (director2 has no connection entry and answers the next segment with a RST), so the sync
//!   run's survival is the sync daemon's doing.
//!
//! The report has every step's tables (both directors, `ipvsadm -Ln`), the clients' answers, the
//! failed requests per phase and the waits' durations; `SCENARIO04_VM_SHOW_LOGS=1` adds the
//! daemons' logs (always printed on a failure). The guest needs the bridge module, which the
//! run-in-vm image lacks: the test takes llc.ko, stp.ko and bridge.ko from the image kernel's
//! Debian package (`apt-get download`, once, kept in the run-in-vm cache).
//!
//! Skips (with a notice) when not root, when /usr/sbin/keepalived is missing, when the bridge
//! module cannot be had, or when the VM cannot start (run-in-vm exits 125). Wall time here:
//! 100-110 s on a quiet machine, 165 s with a cargo build alongside (six runs of 15-130 s at
//! once, TCG with 2 vCPUs on a 2-core machine).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use common::under_test_is_keepalived;
use testbed::skip_unless_root;

const GUEST: &str = include_str!("vm/scenario04.sh");
const CONFS: [(&str, &str); 4] = [
    (
        "director1.conf",
        include_str!("scenarios/04-lvs-dr/director1.conf"),
    ),
    (
        "director2.conf",
        include_str!("scenarios/04-lvs-dr/director2.conf"),
    ),
    (
        "director1-sync.conf",
        include_str!("scenarios/04-lvs-dr/director1-sync.conf"),
    ),
    (
        "director2-sync.conf",
        include_str!("scenarios/04-lvs-dr/director2-sync.conf"),
    ),
];
const KEEPALIVED: &str = "/usr/sbin/keepalived";
const OURS: &str = "keepalived-rs";
const THEIRS: &str = "keepalived";
const DIRECTORS: [&str; 2] = ["director1", "director2"];
const SERVICE: &str = "-A -t 172.16.100.22:80 -s rr -p 50";
const RS1: &str = "-a -t 172.16.100.22:80 -r 172.16.100.9:80 -g -w 1";
const RS2: &str = "-a -t 172.16.100.22:80 -r 172.16.100.10:80 -g -w 1";
/// The sorry server: `-g` (Route) like the real servers, not Local: the kernel hands the packet
/// to the local stack when it routes it, the destination keeps its DR forwarding.
const SORRY: &str = "-a -t 172.16.100.22:80 -r 127.0.0.1:80 -g -w 1";
/// Failed requests a client may see in the failover loop's phases around a transition (SIGTERM
/// to takeover to restart, restart to failback to the end): a request that waits for a dead
/// director times out after 1 s, so this is an outage of up to about 5 s per transition.
const MAX_TRANSITION_FAILS: u32 = 5;
/// Failed requests a client may see in the loop's steady phase (the 3 s before the SIGTERM): a
/// request or two timed out (1 s) on the VM, loaded by the six runs and the host's own load
/// (seen: up to 1 per client with a build running alongside), not an outage.
const MAX_STEADY_FAILS: u32 = 2;

/// One director's table after a step.
#[derive(Default, Debug)]
struct Table {
    vip: bool,
    /// `ipvsadm -Ln`
    list: String,
    /// `ipvsadm -Sn`, sorted
    save: Vec<String>,
    conns: String,
    daemons: String,
}

#[derive(Default, Debug)]
struct Step {
    name: String,
    tables: BTreeMap<String, Table>,
}

#[derive(Debug)]
struct Waited {
    what: String,
    ok: bool,
    ms: u64,
}

/// A client's requests in one phase of the failover loop.
#[derive(Debug)]
struct Phase {
    client: String,
    phase: String,
    ok: u32,
    fail: u32,
    answers: BTreeMap<String, u32>,
}

/// One run as the guest script reports it.
#[derive(Default, Debug)]
struct Run {
    kind: String,
    d1: String,
    d2: String,
    steps: Vec<Step>,
    /// (step, client, answers)
    probes: Vec<(String, String, Vec<String>)>,
    waited: Vec<Waited>,
    phases: Vec<Phase>,
    events: Vec<(String, u64)>,
    /// The sync session's client side, `addr:port`.
    session: String,
    /// (phase, sent, answered, nc alive)
    echo: Vec<(String, u32, u32, bool)>,
    answers: Vec<String>,
    exits: Vec<(String, String)>,
    elapsed_ms: u64,
    logs: BTreeMap<String, Vec<String>>,
}

impl Run {
    fn label(&self) -> String {
        format!("{} {}+{}", self.kind, self.d1, self.d2)
    }

    fn step(&self, name: &str) -> Option<&Step> {
        self.steps.iter().find(|s| s.name == name)
    }
}

/// Where the lines that follow a `### ` header go.
enum Sink {
    None,
    List(String),
    Save(String),
    Conns(String),
    Daemons(String),
    Log(String),
    Answers,
}

fn num<T: std::str::FromStr + Default>(s: &str) -> T {
    s.parse().unwrap_or_default()
}

impl Run {
    /// The table of director `d` in the last step (made if need be).
    fn table(&mut self, d: &str) -> &mut Table {
        if self.steps.is_empty() {
            self.steps.push(Step::default());
        }
        let s = self.steps.last_mut().unwrap();
        s.tables.entry(d.to_string()).or_default()
    }
}

fn parse(out: &str) -> Vec<Run> {
    let mut runs: Vec<Run> = Vec::new();
    let mut sink = Sink::None;
    for line in out.lines() {
        if let Some(rest) = line.strip_prefix("### ") {
            sink = Sink::None;
            let w: Vec<&str> = rest.split_whitespace().collect();
            let arg = |i: usize| w.get(i).copied().unwrap_or("").to_string();
            let kv = |k: &str| {
                w.iter()
                    .find_map(|x| x.strip_prefix(k))
                    .unwrap_or("")
                    .to_string()
            };
            if w.first() == Some(&"RUN") {
                runs.push(Run {
                    kind: arg(1),
                    d1: arg(2),
                    d2: arg(3),
                    ..Run::default()
                });
                continue;
            }
            let Some(r) = runs.last_mut() else { continue };
            match w.first().copied().unwrap_or("") {
                "STEP" => r.steps.push(Step {
                    name: arg(1),
                    tables: BTreeMap::new(),
                }),
                "TABLE" => {
                    r.table(&arg(1)).vip = arg(2) == "vip=yes";
                    sink = Sink::List(arg(1));
                }
                "SAVE" => {
                    r.table(&arg(1));
                    sink = Sink::Save(arg(1));
                }
                "CONNS" => {
                    r.table(&arg(1));
                    sink = Sink::Conns(arg(1));
                }
                "DAEMONS" => {
                    r.table(&arg(1));
                    sink = Sink::Daemons(arg(1));
                }
                "PROBE" => r.probes.push((
                    arg(1),
                    arg(2),
                    w.iter().skip(3).map(|s| s.to_string()).collect(),
                )),
                "WAITED" if w.len() >= 3 => {
                    let n = w.len();
                    r.waited.push(Waited {
                        what: w[1..n - 2].join(" "),
                        ok: w[n - 2] == "ok",
                        ms: num(w[n - 1]),
                    });
                }
                "LOOP" => r.phases.push(Phase {
                    client: arg(1),
                    phase: arg(2),
                    ok: num(&kv("ok=")),
                    fail: num(&kv("fail=")),
                    answers: w
                        .iter()
                        .skip(5)
                        .filter_map(|x| x.rsplit_once(':'))
                        .map(|(a, n)| (a.to_string(), num(n)))
                        .collect(),
                }),
                "EVENT" => r.events.push((arg(1), num(&arg(2)))),
                "SESSION" => r.session = arg(1),
                "ECHO" => r.echo.push((
                    arg(1),
                    num(&kv("sent=")),
                    num(&kv("answered=")),
                    kv("nc=") == "alive",
                )),
                "ANSWERS" => sink = Sink::Answers,
                "EXIT" => r.exits.push((arg(1), arg(2))),
                "ELAPSED" => r.elapsed_ms = num(&arg(1)),
                "LOG" => sink = Sink::Log(arg(1)),
                _ => {}
            }
            continue;
        }
        let Some(r) = runs.last_mut() else { continue };
        let text = |s: &mut String| {
            s.push_str(line);
            s.push('\n');
        };
        match &sink {
            Sink::None => {}
            Sink::List(d) => text(&mut r.table(d).list),
            Sink::Save(d) => {
                let t = r.table(d);
                t.save.push(line.trim().to_string());
                t.save.sort();
            }
            Sink::Conns(d) => text(&mut r.table(d).conns),
            Sink::Daemons(d) => text(&mut r.table(d).daemons),
            Sink::Log(d) => r.logs.entry(d.clone()).or_default().push(line.to_string()),
            Sink::Answers => r.answers.push(line.to_string()),
        }
    }
    runs
}

/// A table as `ipvsadm -Ln` shows it, one line: services and destinations (address, forwarding,
/// weight), no header, no counters.
fn compact(list: &str) -> String {
    let rows: Vec<String> = list
        .lines()
        .filter(|l| {
            !l.starts_with("IP Virtual Server")
                && !l.starts_with("Prot ")
                && !l.trim_start().starts_with("-> RemoteAddress")
                && !l.trim().is_empty()
        })
        .map(|l| {
            let w: Vec<&str> = l.split_whitespace().collect();
            if w.first() == Some(&"->") {
                w[1..w.len().min(4)].join(" ")
            } else {
                w.join(" ")
            }
        })
        .collect();
    if rows.is_empty() {
        "(empty)".into()
    } else {
        rows.join(" | ")
    }
}

fn secs(ms: u64) -> String {
    format!("{:.1} s", ms as f64 / 1000.0)
}

/// What an lvs step must show.
struct Expect {
    step: &'static str,
    /// both directors' `ipvsadm -Sn`
    save: Vec<&'static str>,
    /// the director holding the VIP
    vip: Option<&'static str>,
    /// the answers every client may get (none: not asked)
    answers: &'static [&'static str],
}

fn lvs_expectations() -> Vec<Expect> {
    const REAL: &[&str] = &["rs1", "rs2"];
    let full = vec![SERVICE, RS1, RS2];
    let e = |step, save: &[&'static str], vip, answers| Expect {
        step,
        save: save.to_vec(),
        vip,
        answers,
    };
    let d1 = Some("director1");
    vec![
        e("start", &full, d1, REAL),
        e("rs1-down", &[SERVICE, RS2], d1, &["rs2"]),
        e("rs1-back", &full, d1, REAL),
        e("both-down", &[SERVICE, SORRY], d1, &["sorry"]),
        e("rs2-back", &[SERVICE, RS2], d1, &["rs2"]),
        e("both-back", &full, d1, REAL),
        e("after-failback", &full, d1, &[]),
        e("stopped", &[], None, &[]),
    ]
}

fn sorted(v: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = v.iter().map(|s| s.to_string()).collect();
    v.sort();
    v
}

/// Writes a run's steps, waits and (lvs) failover loop to the report.
fn describe(r: &Run, rep: &mut String) {
    let _ = writeln!(rep, "== {}: {} in the guest", r.label(), secs(r.elapsed_ms));
    let waits: Vec<String> = r
        .waited
        .iter()
        .map(|w| {
            let st = if w.ok { "" } else { " TIMED OUT" };
            format!("{} {}{st}", w.what, secs(w.ms))
        })
        .collect();
    let _ = writeln!(rep, "   waits: {}", waits.join("; "));
    for s in &r.steps {
        let _ = writeln!(rep, "   -- {}", s.name);
        for (d, t) in &s.tables {
            let vip = if t.vip { " [VIP]" } else { "" };
            if !t.list.is_empty() {
                let _ = writeln!(rep, "      {d}{vip}: {}", compact(&t.list));
            }
            for l in t.daemons.lines() {
                let _ = writeln!(rep, "      {d} sync: {l}");
            }
            for l in t.conns.lines().skip(2) {
                let _ = writeln!(
                    rep,
                    "      {d} conn: {}",
                    l.split_whitespace().collect::<Vec<_>>().join(" ")
                );
            }
        }
        let probes: Vec<String> = r
            .probes
            .iter()
            .filter(|p| p.0 == s.name)
            .map(|p| format!("{} {}", p.1, p.2.join(" ")))
            .collect();
        if !probes.is_empty() {
            let _ = writeln!(rep, "      answers: {}", probes.join(", "));
        }
    }
    if !r.events.is_empty() {
        let ev: Vec<String> = r
            .events
            .iter()
            .map(|(n, ms)| format!("{n} at {}", secs(*ms)))
            .collect();
        let _ = writeln!(
            rep,
            "   failover loop (4 clients, a request every 0.2 s): {}",
            ev.join(", ")
        );
        let clients: BTreeSet<&str> = r.phases.iter().map(|p| p.client.as_str()).collect();
        let _ = writeln!(
            rep,
            "      {:<9} {}",
            "phase",
            clients
                .iter()
                .map(|c| format!("{c:<22}"))
                .collect::<String>()
        );
        for phase in ["before", "takeover", "backup", "failback", "after"] {
            let cells: String = clients
                .iter()
                .map(|c| {
                    r.phases
                        .iter()
                        .find(|p| p.client == *c && p.phase == phase)
                        .map(|p| {
                            let a: Vec<String> = p
                                .answers
                                .iter()
                                .filter(|(k, _)| *k != "FAIL")
                                .map(|(k, n)| format!("{k}:{n}"))
                                .collect();
                            format!("{:<22}", format!("fail {} ({})", p.fail, a.join(" ")))
                        })
                        .unwrap_or_default()
                })
                .collect();
            let _ = writeln!(rep, "      {phase:<9} {cells}");
        }
    }
    for (phase, sent, answered, alive) in &r.echo {
        let nc = if *alive { "open" } else { "closed" };
        let _ = writeln!(
            rep,
            "   session {} {phase} the failover: {answered}/{sent} lines answered, connection {nc}",
            r.session
        );
    }
    if !r.answers.is_empty() {
        let _ = writeln!(rep, "   session answers: {}", r.answers.join(", "));
    }
    let exits: Vec<String> = r.exits.iter().map(|(d, s)| format!("{d} {s}")).collect();
    let _ = writeln!(rep, "   exit statuses: {}", exits.join(", "));
}

/// The failed requests of a run's failover loop: (steady phases, takeover + backup, failback +
/// after), summed over the clients.
fn failed(r: &Run) -> (u32, u32, u32) {
    let sum = |phases: &[&str]| {
        r.phases
            .iter()
            .filter(|p| phases.contains(&p.phase.as_str()))
            .map(|p| p.fail)
            .sum::<u32>()
    };
    (
        sum(&["before"]),
        sum(&["takeover", "backup"]),
        sum(&["failback", "after"]),
    )
}

fn check_common(r: &Run, bad: &mut Vec<String>) {
    for w in r.waited.iter().filter(|w| !w.ok) {
        bad.push(format!("{}: timed out waiting for: {}", r.label(), w.what));
    }
    for (d, s) in &r.exits {
        if s != "0" {
            bad.push(format!(
                "{}: {d}'s daemon exited with status {s}",
                r.label()
            ));
        }
    }
}

fn check_lvs(r: &Run, bad: &mut Vec<String>) {
    let l = r.label();
    for Expect {
        step,
        save,
        vip,
        answers,
    } in lvs_expectations()
    {
        let Some(s) = r.step(step) else {
            bad.push(format!("{l}: no step {step}"));
            continue;
        };
        for d in DIRECTORS {
            let t = s.tables.get(d);
            let got = t.map(|t| t.save.clone()).unwrap_or_default();
            if got != sorted(&save) {
                bad.push(format!(
                    "{l}: after {step}, {d}'s ipvsadm -Sn is {got:?}, not {save:?}"
                ));
            }
            let holds = t.is_some_and(|t| t.vip);
            if holds != (vip == Some(d)) {
                bad.push(format!("{l}: after {step}, {d} holds the VIP: {holds}"));
            }
        }
        let probes: Vec<_> = r.probes.iter().filter(|p| p.0 == step).collect();
        if answers.is_empty() {
            continue;
        }
        if probes.len() != 4 {
            bad.push(format!(
                "{l}: after {step}, {} clients asked, not 4",
                probes.len()
            ));
        }
        for (_, c, got) in &probes {
            if got.iter().any(|a| !answers.contains(&a.as_str())) {
                bad.push(format!(
                    "{l}: after {step}, {c} got {got:?}, not only {answers:?}"
                ));
            }
            // persistence 50: one client, one real server
            if got.windows(2).any(|w| w[0] != w[1]) {
                bad.push(format!(
                    "{l}: after {step}, {c} moved between servers: {got:?}"
                ));
            }
        }
        if step == "start" {
            let seen: BTreeSet<&str> = probes
                .iter()
                .flat_map(|p| p.2.iter().map(String::as_str))
                .collect();
            if seen != BTreeSet::from(["rs1", "rs2"]) {
                bad.push(format!(
                    "{l}: at the start the clients were answered by {seen:?}, not both real servers"
                ));
            }
        }
    }
    // the failover: director2 alone serves with the same table
    match r.step("after-failover") {
        Some(s) => {
            let d2 = s.tables.get("director2");
            if !d2.is_some_and(|t| t.vip && t.save == sorted(&[SERVICE, RS1, RS2])) {
                bad.push(format!("{l}: after the failover director2 does not hold the VIP with the full table: {d2:?}"));
            }
            if s.tables
                .get("director1")
                .is_some_and(|t| t.vip || !t.save.is_empty())
            {
                bad.push(format!(
                    "{l}: director1's daemon stopped but left its VIP or table"
                ));
            }
        }
        None => bad.push(format!("{l}: no step after-failover")),
    }
    if r.phases.len() != 20 {
        bad.push(format!(
            "{l}: {} failover loop phases reported, not 4 clients x 5",
            r.phases.len()
        ));
    }
    for p in &r.phases {
        let limit = match p.phase.as_str() {
            "before" => MAX_STEADY_FAILS,
            _ => MAX_TRANSITION_FAILS,
        };
        if p.fail > limit {
            bad.push(format!(
                "{l}: {} failed {} requests in the {} phase (at most {limit})",
                p.client, p.fail, p.phase
            ));
        }
        if matches!(p.phase.as_str(), "before" | "backup" | "after") && p.ok == 0 {
            bad.push(format!(
                "{l}: {} was never answered in the {} phase",
                p.client, p.phase
            ));
        }
        if let Some(a) = p
            .answers
            .keys()
            .find(|a| !["rs1", "rs2", "FAIL"].contains(&a.as_str()))
        {
            bad.push(format!(
                "{l}: {} got {a:?} in the {} phase",
                p.client, p.phase
            ));
        }
    }
}

/// sync (`sync` true) and the control without a sync daemon.
fn check_session(r: &Run, sync: bool, bad: &mut Vec<String>) {
    let l = r.label();
    let echo = |phase: &str| r.echo.iter().find(|e| e.0 == phase);
    match echo("before") {
        Some((_, sent, answered, true)) if sent == answered && *sent > 0 => {}
        e => bad.push(format!(
            "{l}: the session did not work before the failover: {e:?}"
        )),
    }
    let after = echo("after");
    let survived = matches!(after, Some((_, sent, answered, true)) if sent == answered);
    if r.session.is_empty() {
        bad.push(format!("{l}: no session"));
    }
    if !sync {
        if survived {
            bad.push(format!(
                "{l}: the session survived the failover without a sync daemon: the sync run proves nothing"
            ));
        }
        return;
    }
    if !survived {
        bad.push(format!(
            "{l}: the session did not survive the failover: {after:?}"
        ));
    }
    let daemons = |step: &str, d: &str| {
        r.step(step)
            .and_then(|s| s.tables.get(d))
            .map(|t| t.daemons.clone())
            .unwrap_or_default()
    };
    for (step, d, role) in [
        (
            "sync-start",
            "director1",
            "master sync daemon (mcast=eth0, syncid=30",
        ),
        (
            "sync-start",
            "director2",
            "backup sync daemon (mcast=eth0, syncid=30",
        ),
        (
            "after-failover",
            "director2",
            "master sync daemon (mcast=eth0, syncid=30",
        ),
    ] {
        if !daemons(step, d).contains(role) {
            bad.push(format!(
                "{l}: at {step}, {d} runs no {role}...): {:?}",
                daemons(step, d)
            ));
        }
    }
    let learnt = r
        .step("synced")
        .and_then(|s| s.tables.get("director2"))
        .is_some_and(|t| {
            t.conns.lines().any(|c| {
                let w: Vec<&str> = c.split_whitespace().collect();
                w.get(2) == Some(&"ESTABLISHED") && w.get(3) == Some(&r.session.as_str())
            })
        });
    if !learnt {
        bad.push(format!(
            "{l}: director2's ipvsadm -Lnc did not show {} ESTABLISHED before the failover",
            r.session
        ));
    }
    let servers: BTreeSet<&str> = r
        .answers
        .iter()
        .filter_map(|a| a.split(' ').next())
        .collect();
    if servers.len() != 1 {
        bad.push(format!(
            "{l}: the session was answered by {servers:?}, not one real server"
        ));
    }
}

/// The run-in-vm cache (its own rule: IPVS_VM_CACHE, else XDG_CACHE_HOME or ~/.cache, /ipvs-vm).
fn vm_cache() -> PathBuf {
    if let Some(c) = std::env::var_os("IPVS_VM_CACHE") {
        return c.into();
    }
    std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(std::env::var_os("HOME").unwrap_or_else(|| "/root".into())).join(".cache")
        })
        .join("ipvs-vm")
}

/// The bridge module and its dependencies, in load order, under the kernel's `kernel/net/`.
const BRIDGE: [(&str, &str); 3] = [
    ("llc", "llc/llc.ko"),
    ("stp", "802/stp.ko"),
    ("bridge", "bridge/bridge.ko"),
];

/// Puts llc.ko, stp.ko and bridge.ko of the VM's kernel into `dir`: the run-in-vm image has no
/// bridge module. They come from the image kernel's Debian package (`apt-get download`, as
/// run-in-vm gets the kernel itself), once, kept in the cache next to the image.
fn bridge_modules(dir: &Path) -> Result<(), String> {
    let cache = vm_cache();
    let flavour = std::env::var("IPVS_VM_FLAVOUR").unwrap_or_else(|_| "cloud-amd64".into());
    let kernel = cache.join(format!("current-{flavour}")).join("kernel");
    if !kernel.exists() {
        let st = Command::new(common::vm::run_in_vm())
            .arg("--prepare")
            .status();
        if !st.is_ok_and(|s| s.success()) {
            return Err("run-in-vm --prepare failed".into());
        }
    }
    let pkg = std::fs::read_to_string(&kernel)
        .map_err(|e| format!("{}: {e}", kernel.display()))?
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .to_string();
    let kver = pkg
        .strip_prefix("linux-image-")
        .ok_or_else(|| format!("{}: no kernel package named", kernel.display()))?
        .to_string();
    let kept = cache.join(format!("bridge-{pkg}"));
    let have = |d: &Path| {
        BRIDGE
            .iter()
            .all(|(m, _)| d.join(format!("{m}.ko")).exists())
    };
    if !have(&kept) {
        let tmp = tempfile::tempdir_in(&cache).map_err(|e| e.to_string())?;
        let run = |c: &mut Command| -> Result<(), String> {
            let o = c.output().map_err(|e| format!("{c:?}: {e}"))?;
            if o.status.success() {
                Ok(())
            } else {
                Err(format!(
                    "{c:?}: {}",
                    String::from_utf8_lossy(&o.stderr).trim()
                ))
            }
        };
        run(Command::new("apt-get")
            .args(["-q", "-o", "APT::Sandbox::User=root", "download", &pkg])
            .current_dir(tmp.path()))?;
        let deb = std::fs::read_dir(tmp.path())
            .map_err(|e| e.to_string())?
            .filter_map(Result::ok)
            .map(|e| e.path())
            .find(|p| p.extension().is_some_and(|x| x == "deb"))
            .ok_or("apt-get download left no .deb")?;
        let x = tmp.path().join("x");
        run(Command::new("dpkg-deb").arg("-x").arg(&deb).arg(&x))?;
        let out = tmp.path().join("out");
        std::fs::create_dir(&out).map_err(|e| e.to_string())?;
        for (m, rel) in BRIDGE {
            let to = out.join(format!("{m}.ko"));
            let found = ["lib", "usr/lib"].iter().find_map(|l| {
                let p = x.join(format!("{l}/modules/{kver}/kernel/net/{rel}"));
                let xz = p.with_extension("ko.xz");
                p.exists()
                    .then_some((p, false))
                    .or(xz.exists().then_some((xz, true)))
            });
            match found {
                Some((p, false)) => {
                    std::fs::copy(&p, &to).map_err(|e| e.to_string())?;
                }
                Some((p, true)) => {
                    let o = Command::new("xz")
                        .arg("-dc")
                        .arg(&p)
                        .output()
                        .map_err(|e| e.to_string())?;
                    if !o.status.success() {
                        return Err(format!("xz -dc {}", p.display()));
                    }
                    std::fs::write(&to, o.stdout).map_err(|e| e.to_string())?;
                }
                None => return Err(format!("{pkg} has no {rel}")),
            }
        }
        // another test may have kept them meanwhile: theirs stay
        let _ = std::fs::rename(&out, &kept);
        if !have(&kept) {
            return Err(format!("could not keep the modules in {}", kept.display()));
        }
    }
    for (m, _) in BRIDGE {
        std::fs::copy(kept.join(format!("{m}.ko")), dir.join(format!("{m}.ko")))
            .map_err(|e| e.to_string())?;
    }
    Ok(())
}

#[test]
fn scenario04_lvs_dr_and_sync_daemon_under_ipvs() {
    skip_unless_root!();
    if !Path::new(KEEPALIVED).exists() {
        eprintln!("skipped: {KEEPALIVED} is not installed (apt-get install keepalived)");
        return;
    }
    let t0 = Instant::now();
    let u = if under_test_is_keepalived() {
        THEIRS
    } else {
        OURS
    };
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    if let Err(e) = bridge_modules(d) {
        eprintln!("skipped: no bridge module for the VM's kernel ({e})");
        return;
    }
    std::fs::copy(KEEPALIVED, d.join(THEIRS)).unwrap();
    common::vm::copy_ours(d, OURS);
    for (name, text) in CONFS {
        std::fs::write(d.join(name), text).unwrap();
    }
    std::fs::write(d.join("scenario04.sh"), GUEST).unwrap();
    let specs = [
        format!("lvs:{u}:{u}"),
        format!("lvs:{THEIRS}:{OURS}"),
        format!("lvs:{OURS}:{THEIRS}"),
        format!("sync:{u}:{u}"),
        format!("sync:{THEIRS}:{OURS}"),
        format!("nosync:{u}:{u}"),
    ];
    let dir_arg = d.display().to_string();
    let mut args = vec!["-s", "2", "-t", "400", "-e", "PARALLEL=1", &dir_arg];
    args.extend(["sh", "scenario04.sh"]);
    args.extend(specs.iter().map(String::as_str));
    let Some(out) = common::vm::run(&args) else {
        return;
    };
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let runs = parse(&stdout);
    let logs = || {
        let mut s = String::new();
        for r in &runs {
            for (d, log) in &r.logs {
                let _ = writeln!(s, "== {} {d}'s log:\n{}", r.label(), log.join("\n"));
            }
        }
        s
    };
    assert_eq!(
        out.status.code(),
        Some(0),
        "run-in-vm failed\nstdout:\n{stdout}\nstderr:\n{stderr}"
    );
    let got: Vec<String> = runs
        .iter()
        .map(|r| format!("{}:{}:{}", r.kind, r.d1, r.d2))
        .collect();
    assert_eq!(
        got, specs,
        "the runs reported\nstdout:\n{stdout}\nstderr:\n{stderr}"
    );

    let mut rep = String::new();
    let mut bad = Vec::new();
    let mut summary = Vec::new();
    for r in &runs {
        describe(r, &mut rep);
        check_common(r, &mut bad);
        match r.kind.as_str() {
            "lvs" => {
                check_lvs(r, &mut bad);
                let (steady, takeover, failback) = failed(r);
                summary.push(format!(
                    "{}: failed requests (4 clients) at the takeover {takeover}, at the failback \
                     {failback}, before {steady}",
                    r.label()
                ));
            }
            "sync" => check_session(r, true, &mut bad),
            _ => check_session(r, false, &mut bad),
        }
        if r.kind != "lvs" {
            let a = r.echo.iter().find(|e| e.0 == "after");
            summary.push(format!(
                "{}: session answered after the failover: {}",
                r.label(),
                a.map_or("?".into(), |(_, s, n, alive)| format!(
                    "{n}/{s}, {}",
                    if *alive { "open" } else { "closed" }
                ))
            ));
        }
    }
    eprintln!("{rep}");
    for s in &summary {
        eprintln!("{s}");
    }
    eprintln!(
        "scenario04_vm: under test {u}; wall time {:.1} s ({})",
        t0.elapsed().as_secs_f64(),
        stderr
            .lines()
            .rfind(|l| l.starts_with("run-in-vm: boot+run"))
            .unwrap_or("run-in-vm gave no timing")
    );
    if std::env::var_os("SCENARIO04_VM_SHOW_LOGS").is_some() {
        eprintln!("{}", logs());
    }
    assert!(
        bad.is_empty(),
        "scenario 04 under IPVS:\n  {}\n{}",
        bad.join("\n  "),
        logs()
    );
}

#[test]
fn the_guest_report_parses() {
    let out = "\
### RUN lvs keepalived keepalived-rs
### WAITED director1 master, both tables ok 5810
### STEP start
### TABLE director1 vip=yes
IP Virtual Server version 1.2.1 (size=4096)
Prot LocalAddress:Port Scheduler Flags
  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn
TCP  172.16.100.22:80 rr persistent 50
  -> 172.16.100.9:80              Route   1      0          0
### SAVE director1
-a -t 172.16.100.22:80 -r 172.16.100.9:80 -g -w 1
-A -t 172.16.100.22:80 -s rr -p 50
### PROBE start client1 rs2 rs2 FAIL
### LOOP client1 takeover ok=0 fail=1 FAIL:1
### LOOP client2 failback ok=15 fail=1 FAIL:1 rs2:15
### ECHO after sent=10 answered=5 nc=exited
### EXIT director1 0
### ELAPSED 75150
### LOG director1
a log line
### END
";
    let runs = parse(out);
    assert_eq!(runs.len(), 1);
    let r = &runs[0];
    assert_eq!(r.label(), "lvs keepalived+keepalived-rs");
    assert!(
        r.waited[0].ok
            && r.waited[0].ms == 5810
            && r.waited[0].what == "director1 master, both tables"
    );
    let t = &r.step("start").unwrap().tables["director1"];
    assert!(t.vip);
    assert_eq!(t.save, sorted(&[SERVICE, RS1]));
    assert_eq!(
        compact(&t.list),
        "TCP 172.16.100.22:80 rr persistent 50 | 172.16.100.9:80 Route 1"
    );
    assert_eq!(r.probes[0].2, ["rs2", "rs2", "FAIL"]);
    assert_eq!(
        (r.phases[1].ok, r.phases[1].fail, r.phases[1].answers["rs2"]),
        (15, 1, 15)
    );
    assert_eq!(failed(r), (0, 1, 1));
    assert_eq!(r.echo[0], ("after".to_string(), 10, 5, false));
    assert_eq!(r.elapsed_ms, 75150);
    assert_eq!(r.logs["director1"], ["a log line"]);
}
