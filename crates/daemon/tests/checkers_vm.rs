//! keepalived 2.2.7's checker process and keepalived-rs side by side, under a kernel with IPVS.
//!
//! This host's kernel has no IPVS, so keepalived's checker process exits at start here. The test
//! boots Debian's cloud kernel under QEMU with `tools/run-in-vm` (one boot, TCG, IPVS modules
//! loaded) and runs `tests/vm/checkers.sh` there on the same servers, the same configuration and
//! the same steps for both daemons: `/usr/sbin/keepalived -n -l -D -C` first, then ours with the
//! same flags. Twenty-six virtual servers, one real server each (the script's header has the
//! list): TCP_CHECK with and without alpha, HTTP_GET with status_code and with digest (a stopped
//! server, a changed page), MISC_CHECK, FILE_CHECK, SMTP_CHECK (busybox nc), PING_CHECK,
//! DNS_CHECK and UDP_CHECK (the host's dnsmasq), SSL_GET (its openssl s_server), when installed;
//! four of them again with log_all_failures; six whose real server never answers (first checks
//! that fail, alpha or not); FILE_CHECK with a weight and misc_dynamic (weight changes);
//! ha_suspend (a virtual address that comes and goes); a sorry server with quorum scripts and
//! omega; inhibit_on_failure. The script waits until the real servers are up, breaks every
//! service, waits for each down after `retry` failures `delay_before_retry` apart, mends them,
//! waits for each up, reloads the same configuration (SIGHUP), and stops the daemon (SIGTERM).
//!
//! Compared, per virtual server (the checkers' timings interleave differently from run to run):
//! - the log lines about checks, real servers and quorum (every line naming a `[10.10.0.x]`
//!   address: "TCP connection to ... success.", "HTTP status code success to ...", "SMTP_CHECK
//!   Could not connect to server ...", "Misc check for ... failed after 2 retries (exited with
//!   status 1).", "Removing service ... from VS ...", "Gained quorum ...", "Changing weight ...",
//!   "Shutting down service ...", ...), console timestamps stripped;
//! - the notify_up/notify_down/quorum_up/quorum_down script calls, per virtual server, sorted
//!   (scripts started at the same moment run concurrently; the FIFO lines keep the order);
//! - the lvs_notify_fifo lines, per virtual server;
//! - after each step (start, break, mend, SIGHUP with the same and with a changed configuration,
//!   SIGTERM), the kernel's table under each daemon, `ipvsadm -Sn` sorted: the 26 checked virtual
//!   servers plus 24 without checkers that cover every scheduler (but twos), sh/mh flags, ops,
//!   persistence with netmask, prefix and engine, NAT, TUN (ipip, gue, gre), thresholds, IPv6, UDP,
//!   SCTP, fwmark v4/v6 and a virtual_server_group (a range and a fwmark); the changed
//!   configuration changes a scheduler and a weight, removes a virtual and a real server, adds one.
//!   keepalived-rs's SIGUSR1 dump (computed table and the kernel's counters) must answer at each
//!   step.
//!
//! Not compared: start-up and shutdown banners, configuration diagnostics, our "IPVS: ..." lines. Every line that differs is printed; lines ours writes differently on
//! purpose are listed by name in [`ON_PURPOSE`] (log lines: none) and [`ON_PURPOSE_AT_SHUTDOWN`]
//! (FIFO lines after SIGTERM: omega's, which keepalived's own FIFO reader never gets) and do
//! not fail the test.
//! `CHECKERS_VM_SHOW_LOGS=1` prints both logs.
//!
//! Skips (with a notice) when not root, when /usr/sbin/keepalived is missing, or when the VM
//! cannot start (run-in-vm exits 125, e.g. no QEMU and no network to fetch it: its first run
//! downloads qemu and the kernel with apt-get, about 110 MB, about 15 s). Wall time here: 52-66 s
//! (two daemons of about 23 s each, a 4 s boot, the image and copies; TCG on a 2-core machine
//! shared with builds).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;
use std::time::Instant;

use testbed::skip_unless_root;

const GUEST: &str = include_str!("vm/checkers.sh");
const KEEPALIVED: &str = "/usr/sbin/keepalived";
/// The UDP server of DNS_CHECK and UDP_CHECK, when installed (CI's dnsmasq-base).
const DNSMASQ: &str = "/usr/sbin/dnsmasq";
/// SSL_GET's server (`openssl s_server -WWW`) and its certificate's maker, when installed.
const OPENSSL: &str = "/usr/bin/openssl";

/// The checker of each virtual server 8000 + N (index N), as configured by the guest script.
const CHECKERS: [&str; 26] = [
    "TCP_CHECK, no alpha",
    "TCP_CHECK",
    "HTTP_GET status_code",
    "HTTP_GET digest",
    "MISC_CHECK",
    "FILE_CHECK",
    "SMTP_CHECK",
    "PING_CHECK",
    "TCP_CHECK alpha, never up",
    "HTTP_GET no alpha, never up",
    "MISC_CHECK alpha, never up",
    "SMTP_CHECK no alpha, never up",
    "PING_CHECK alpha, never up",
    "HTTP_GET alpha, never up",
    "HTTP_GET digest, log_all_failures",
    "MISC_CHECK, log_all_failures",
    "SMTP_CHECK, log_all_failures",
    "PING_CHECK, log_all_failures",
    "FILE_CHECK weight 2",
    "MISC_CHECK misc_dynamic",
    "TCP_CHECK, ha_suspend (VIP 10.10.0.200)",
    "TCP_CHECK, sorry server, quorum scripts, omega",
    "TCP_CHECK, inhibit_on_failure",
    "DNS_CHECK (dnsmasq)",
    "UDP_CHECK, log_all_failures (dnsmasq)",
    "SSL_GET digest (openssl s_server)",
];

/// A line one daemon writes and the other does not, on purpose.
struct OnPurpose {
    name: &'static str,
    why: &'static str,
    /// Which daemon writes it.
    ours: bool,
    matches: fn(&str) -> bool,
}

/// Log lines keepalived-rs writes differently on purpose; matching lines are set aside before
/// comparing. None today.
const ON_PURPOSE: &[OnPurpose] = &[];

/// FIFO lines after SIGTERM that keepalived-rs writes differently on purpose.
const ON_PURPOSE_AT_SHUTDOWN: &[OnPurpose] = &[OnPurpose {
    name: "omega's FIFO lines at shutdown",
    why: "keepalived kills its own lvs_notify_fifo_script (script_killall in \
          checker_terminate_phase1) before clear_services writes omega's RS/VS DOWN lines, so \
          the reader it started never gets them (a reader it did not start does); keepalived-rs \
          keeps its reader until they are written",
    ours: true,
    matches: |l| l.starts_with("RS ") || l.starts_with("VS "),
}];

/// A run's FIFO lines, the shutdown's (after the script's "--- SIGTERM" mark) set aside when
/// they are on purpose.
fn fifo_lines(r: &Run, ours: bool, report: &mut String) -> Vec<String> {
    let mark = r.fifo.iter().position(|l| l == "--- SIGTERM");
    let (before, after) = r.fifo.split_at(mark.unwrap_or(r.fifo.len()));
    let after = after.iter().skip(1).cloned().collect();
    let mut out = before.to_vec();
    out.extend(set_aside(after, ours, ON_PURPOSE_AT_SHUTDOWN, report));
    out
}

/// One daemon's run, as the guest script reports it.
#[derive(Default, Debug)]
struct Run {
    daemon: String,
    /// (step, `ipvsadm -Ln` after it)
    steps: Vec<(String, String)>,
    /// (step, the table keepalived-rs computed then: its SIGUSR1 dump)
    computed: Vec<(String, String)>,
    waited: Vec<String>,
    exit: String,
    elapsed: String,
    log: Vec<String>,
    notify: Vec<String>,
    fifo: Vec<String>,
}

fn parse(out: &str) -> Vec<Run> {
    let mut runs: Vec<Run> = Vec::new();
    let mut section = String::new();
    for line in out.lines() {
        if let Some(rest) = line.strip_prefix("### ") {
            let (word, arg) = rest.split_once(' ').unwrap_or((rest, ""));
            match word {
                "DAEMON" => runs.push(Run {
                    daemon: arg.to_string(),
                    ..Run::default()
                }),
                _ if runs.is_empty() => {}
                "STEP" => {
                    let r = runs.last_mut().unwrap();
                    r.steps.push((arg.to_string(), String::new()));
                }
                "COMPUTED" => {
                    let r = runs.last_mut().unwrap();
                    r.computed.push((arg.to_string(), String::new()));
                }
                "WAITED" => runs.last_mut().unwrap().waited.push(arg.to_string()),
                "EXIT" => runs.last_mut().unwrap().exit = arg.to_string(),
                "ELAPSED" => runs.last_mut().unwrap().elapsed = arg.to_string(),
                _ => {}
            }
            section = word.to_string();
            continue;
        }
        let Some(r) = runs.last_mut() else { continue };
        match section.as_str() {
            "STEP" | "COMPUTED" => {
                let list = if section == "STEP" {
                    &mut r.steps
                } else {
                    &mut r.computed
                };
                let s = &mut list.last_mut().unwrap().1;
                s.push_str(line);
                s.push('\n');
            }
            "LOG" => r.log.push(line.to_string()),
            "NOTIFY" => r.notify.push(line.to_string()),
            "FIFO" => r.fifo.push(line.to_string()),
            _ => {}
        }
    }
    runs
}

/// A console line without its timestamp ("Tue Dec  1 22:21:29 2026: ", 26 bytes for both
/// daemons) and without a syslog-style "ident[pid]: ".
fn strip(line: &str) -> &str {
    let b = line.as_bytes();
    let mut l = if b.len() >= 26
        && &line[24..26] == ": "
        && b[..3].iter().all(u8::is_ascii_alphabetic)
        && b[23].is_ascii_digit()
    {
        &line[26..]
    } else {
        line
    };
    if let Some((ident, rest)) = l.split_once("]: ")
        && ident.starts_with("Keepalived")
        && !ident.contains(' ')
    {
        l = rest;
    }
    l
}

/// The virtual server (N of port 8000 + N) a line is about.
fn group(line: &str) -> Option<usize> {
    let b = line.as_bytes();
    line.match_indices(":80").find_map(|(i, _)| {
        let d = b.get(i + 3..i + 5)?;
        (d.iter().all(u8::is_ascii_digit) && !b.get(i + 5).is_some_and(u8::is_ascii_digit))
            .then(|| usize::from((d[0] - b'0') * 10 + (d[1] - b'0')))
    })
}

/// `ipvsadm -Sn` lines, trimmed, sorted.
fn save_rows(text: &str) -> Vec<String> {
    let mut v: Vec<String> = text
        .lines()
        .map(|l| l.trim_end().to_string())
        .filter(|l| !l.is_empty())
        .collect();
    v.sort();
    v
}

/// The checker lines of a log: those naming one of the test's bracketed addresses.
fn checker_lines(log: &[String]) -> Vec<String> {
    log.iter()
        .map(|l| strip(l))
        .filter(|l| l.contains("[10.10.0."))
        .map(str::to_string)
        .collect()
}

fn by_group(lines: &[String], key: impl Fn(&str) -> Option<usize>) -> BTreeMap<usize, Vec<String>> {
    let mut m: BTreeMap<usize, Vec<String>> = BTreeMap::new();
    for l in lines {
        if let Some(g) = key(l) {
            m.entry(g).or_default().push(l.clone());
        }
    }
    m
}

/// A line diff (longest common subsequence): `= both`, `- keepalived only`, `+ ours only`.
fn diff(theirs: &[String], ours: &[String]) -> Vec<(char, String)> {
    let (n, m) = (theirs.len(), ours.len());
    let mut lcs = vec![vec![0usize; m + 1]; n + 1];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            lcs[i][j] = if theirs[i] == ours[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    let (mut i, mut j, mut out) = (0, 0, Vec::new());
    while i < n || j < m {
        if i < n && j < m && theirs[i] == ours[j] {
            out.push(('=', theirs[i].clone()));
            i += 1;
            j += 1;
        } else if j == m || (i < n && lcs[i + 1][j] >= lcs[i][j + 1]) {
            out.push(('-', theirs[i].clone()));
            i += 1;
        } else {
            out.push(('+', ours[j].clone()));
            j += 1;
        }
    }
    out
}

/// Compares one kind of lines group by group; returns the number of differing lines.
fn compare(
    what: &str,
    theirs: &BTreeMap<usize, Vec<String>>,
    ours: &BTreeMap<usize, Vec<String>>,
    label: impl Fn(usize) -> String,
    report: &mut String,
) -> usize {
    use std::fmt::Write;
    let mut differing = 0;
    let groups: std::collections::BTreeSet<usize> =
        theirs.keys().chain(ours.keys()).copied().collect();
    for g in groups {
        let empty = Vec::new();
        let (t, o) = (
            theirs.get(&g).unwrap_or(&empty),
            ours.get(&g).unwrap_or(&empty),
        );
        let name = label(g);
        if t == o {
            let _ = writeln!(report, "{what}, {name}: {} lines match", t.len());
            continue;
        }
        let d = diff(t, o);
        let n = d.iter().filter(|(c, _)| *c != '=').count();
        differing += n;
        let _ = writeln!(
            report,
            "{what}, {name}: {n} lines differ (- keepalived only, + keepalived-rs only)"
        );
        for (c, l) in d {
            let _ = writeln!(report, "  {c} {l}");
        }
    }
    differing
}

/// A virtual server's label: its port and checker.
fn vs_label(g: usize) -> String {
    format!("{} ({})", 8000 + g, CHECKERS.get(g).copied().unwrap_or("?"))
}

/// Sets aside the on-purpose lines of one daemon, noting them in the report.
fn set_aside(
    lines: Vec<String>,
    ours: bool,
    on_purpose: &[OnPurpose],
    report: &mut String,
) -> Vec<String> {
    use std::fmt::Write;
    lines
        .into_iter()
        .filter(|l| {
            let Some(p) = on_purpose.iter().find(|p| p.ours == ours && (p.matches)(l)) else {
                return true;
            };
            let _ = writeln!(report, "on purpose ({}: {}): {l}", p.name, p.why);
            false
        })
        .collect()
}

#[test]
fn checkers_match_keepalived_under_ipvs() {
    skip_unless_root!();
    if !Path::new(KEEPALIVED).exists() {
        eprintln!("skipped: {KEEPALIVED} is not installed (apt-get install keepalived)");
        return;
    }
    let t0 = Instant::now();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::copy(KEEPALIVED, d.join("keepalived")).unwrap();
    common::vm::copy_ours(d, "keepalived-rs");
    if Path::new(DNSMASQ).exists() {
        std::fs::copy(DNSMASQ, d.join("dnsmasq")).unwrap();
    } else {
        eprintln!("note: no {DNSMASQ}: DNS_CHECK and UDP_CHECK are not compared");
    }
    let cert = Path::new(OPENSSL).exists()
        && Command::new(OPENSSL)
            .args([
                "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
            ])
            .args(["-subj", "/CN=rs", "-keyout"])
            .arg(d.join("ssl.key"))
            .arg("-out")
            .arg(d.join("ssl.pem"))
            .output()
            .is_ok_and(|o| o.status.success());
    if cert {
        std::fs::copy(OPENSSL, d.join("openssl")).unwrap();
    } else {
        eprintln!("note: no {OPENSSL} (or no certificate from it): SSL_GET is not compared");
    }
    std::fs::write(d.join("checkers.sh"), GUEST).unwrap();
    let dir_arg = d.display().to_string();
    let Some(out) = common::vm::run(&[
        "-t",
        "110",
        &dir_arg,
        "sh",
        "checkers.sh",
        "keepalived",
        "keepalived-rs",
    ]) else {
        return;
    };
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(0),
        "run-in-vm failed\nstdout:\n{stdout}\nstderr:\n{stderr}"
    );
    let runs = parse(&stdout);
    let [theirs, ours] = &runs[..] else {
        panic!("expected two runs\nstdout:\n{stdout}\nstderr:\n{stderr}");
    };
    assert_eq!(theirs.daemon, "keepalived");
    assert_eq!(ours.daemon, "keepalived-rs");

    let mut report = String::new();
    for r in &runs {
        report.push_str(&format!(
            "== {}: exit {}, {} ms from start to exit, waits: {:?}\n",
            r.daemon, r.exit, r.elapsed, r.waited
        ));
        for (step, table) in &r.steps {
            report.push_str(&format!("-- ipvsadm -Ln after {step}:\n{table}"));
        }
    }
    let t_lines = set_aside(checker_lines(&theirs.log), false, ON_PURPOSE, &mut report);
    let o_lines = set_aside(checker_lines(&ours.log), true, ON_PURPOSE, &mut report);
    let mut differing = compare(
        "log",
        &by_group(&t_lines, group),
        &by_group(&o_lines, group),
        vs_label,
        &mut report,
    );
    // Notify scripts run concurrently (a real server's and its quorum's at the same moment):
    // their calls are compared as a sorted list per virtual server; the FIFO lines keep the order.
    let rs_of = |l: &str| l.rsplit(' ').next().and_then(|n| n.parse().ok());
    let sorted = |r: &Run| {
        let mut m = by_group(&r.notify, rs_of);
        m.values_mut().for_each(|v| v.sort());
        m
    };
    differing += compare(
        "notify (sorted)",
        &sorted(theirs),
        &sorted(ours),
        vs_label,
        &mut report,
    );
    differing += compare(
        "fifo",
        &by_group(&fifo_lines(theirs, false, &mut report), group),
        &by_group(&fifo_lines(ours, true, &mut report), group),
        vs_label,
        &mut report,
    );
    // The kernel's table under each daemon after each step (`ipvsadm -Sn`, sorted).
    let mut tables = BTreeMap::new();
    let mut kernel = BTreeMap::new();
    for (i, (step, text)) in theirs.steps.iter().enumerate() {
        tables.insert(i, save_rows(text));
        let ours_now = ours
            .steps
            .iter()
            .find(|(s, _)| s == step)
            .map(|(_, t)| save_rows(t))
            .unwrap_or_default();
        kernel.insert(i, ours_now);
    }
    // keepalived-rs's SIGUSR1 dump answered at every step it ran through.
    let dumped: Vec<&str> = ours.computed.iter().map(|(s, _)| s.as_str()).collect();
    let step_of = |i: usize| {
        format!(
            "after {}",
            theirs.steps.get(i).map_or("?", |s| s.0.as_str())
        )
    };
    let services = tables
        .values()
        .map(|t| t.iter().filter(|l| l.starts_with("-A")).count())
        .max();
    report.push_str(&format!(
        "kernel tables: up to {} services per step\n",
        services.unwrap_or(0)
    ));
    differing += compare(
        "kernel table (ipvsadm -Sn)",
        &tables,
        &kernel,
        step_of,
        &mut report,
    );
    let all = format!(
        "{report}\n== keepalived's log:\n{}\n== keepalived-rs's log:\n{}\n{stderr}",
        theirs.log.join("\n"),
        ours.log.join("\n")
    );
    eprintln!("{report}");
    eprintln!(
        "checkers_vm: wall time {:.1} s ({})",
        t0.elapsed().as_secs_f64(),
        stderr
            .lines()
            .rfind(|l| l.starts_with("run-in-vm: boot+run"))
            .unwrap_or("run-in-vm gave no timing")
    );
    if std::env::var_os("CHECKERS_VM_SHOW_LOGS").is_some() {
        eprintln!("{all}");
    }
    for r in &runs {
        assert_eq!(r.exit, "0", "{} exit status\n{all}", r.daemon);
        assert!(
            r.waited.iter().all(|w| w.contains(" ok ")),
            "{} did not reach every step: {:?}\n{all}",
            r.daemon,
            r.waited
        );
    }
    assert_eq!(
        dumped.len(),
        ours.steps.len() - 1,
        "keepalived-rs's SIGUSR1 dump at every step but the last: {dumped:?}"
    );
    assert_eq!(differing, 0, "lines differ from keepalived's\n{all}");
}

#[test]
fn console_timestamps_and_groups() {
    assert_eq!(
        strip("Tue Dec  1 22:21:29 2026: TCP connection to [10.10.0.1]:tcp:8001 success."),
        "TCP connection to [10.10.0.1]:tcp:8001 success."
    );
    assert_eq!(
        strip("Tue Dec 01 22:21:29 2026: Keepalived_healthcheckers[12]: Stopping"),
        "Stopping"
    );
    assert_eq!(
        group("SMTP_CHECK Could not connect to server [10.10.0.6]:8006"),
        Some(6)
    );
    assert_eq!(group("VS [10.10.0.100]:tcp:8003 UP"), Some(3));
    assert_eq!(group("port 80001"), None);
    assert_eq!(
        group("SMTP_CHECK Connection timeout to server [10.10.0.11]:8011"),
        Some(11)
    );
    let a: Vec<String> = ["x", "y", "z"].map(String::from).into();
    let b: Vec<String> = ["x", "z", "w"].map(String::from).into();
    assert_eq!(
        diff(&a, &b),
        vec![
            ('=', "x".into()),
            ('-', "y".into()),
            ('=', "z".into()),
            ('+', "w".into())
        ]
    );
}
