//! Scenario 04-lvs-dr (tests/scenarios/04-lvs-dr/EXPECT.md) up to the computed LVS table, run by
//! the keepalived-rs binary against python http.servers in their own namespaces.
//!
//! keepalived's checker process cannot run here (the kernel has no IPVS: it logs that IPVS cannot
//! be initialised and the checker process exits), so these tests check keepalived-rs alone:
//! with KEEPALIVED_UNDER_TEST=keepalived they say so and return. The log lines, notify scripts and
//! FIFO lines asserted here are keepalived 2.2.7's words (ipwrapper.c, check_*.c); the table
//! lines are ours (there is no IPVS to program).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{Lan, ours, under_test_is_keepalived, wait_until};
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use testbed::{ChildGuard, skip_unless_root};

const DIRECTOR1: &str = include_str!("scenarios/04-lvs-dr/director1.conf");
const VIP: &str = "172.16.100.22";
const RS1: &str = "172.16.100.9";
const RS2: &str = "172.16.100.10";
const SERVICE: &str = "TCP 172.16.100.22:80";

/// The dump file is one path for every daemon on the host: tests that signal USR1 take turns.
static DUMP: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn skipped_for_keepalived() -> bool {
    if under_test_is_keepalived() {
        eprintln!(
            "skipped: keepalived's checker process needs IPVS, which this kernel lacks; \
             these tests run keepalived-rs only"
        );
        return true;
    }
    false
}

/// Writes an executable shell script.
fn script(path: &Path, body: &str) {
    std::fs::write(path, format!("#!/bin/sh\n{body}\n")).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

/// The scenario's director configuration with checks every second, notify scripts that record
/// their calls, an lvs_notify_fifo whose reader copies it to a file, and `omega`.
fn adapt(conf: &str, dir: &Path) -> String {
    let rec = dir.join("rec.sh");
    script(
        &rec,
        &format!("echo \"$*\" >> {}", dir.join("calls").display()),
    );
    let reader = dir.join("fifo.sh");
    script(
        &reader,
        &format!("cat \"$1\" >> {}", dir.join("fifo.log").display()),
    );
    let all = dir.join("all.sh");
    script(
        &all,
        &format!("cat \"$1\" >> {}", dir.join("all.log").display()),
    );
    let r = rec.display();
    conf.replace(
        "    router_id director1\n",
        &format!(
            "    router_id director1\n    lvs_notify_fifo {}\n    lvs_notify_fifo_script {}\n    notify_fifo {}\n    notify_fifo_script {}\n",
            dir.join("lvs.fifo").display(),
            reader.display(),
            dir.join("all.fifo").display(),
            all.display()
        ),
    )
    .replace("delay_loop 6", "delay_loop 1\n    omega")
    .replace(
        &format!("    real_server {RS1} 80 {{\n        weight 1\n"),
        &format!(
            "    real_server {RS1} 80 {{\n        weight 1\n        notify_up \"{r} up9\"\n        notify_down \"{r} down9\"\n"
        ),
    )
    .replace(
        &format!("    real_server {RS2} 80 {{\n        weight 1\n"),
        &format!(
            "    real_server {RS2} 80 {{\n        weight 1\n        notify_up \"{r} up10\"\n        notify_down \"{r} down10\"\n"
        ),
    )
}

/// keepalived-rs in a namespace, with its exit status at hand.
struct Run {
    child: Option<ChildGuard>,
    log: PathBuf,
}

impl Run {
    fn start(ns: &str, dir: &Path, conf: &str, extra: &[&str]) -> Run {
        let cf = dir.join("keepalived.conf");
        std::fs::write(&cf, conf).unwrap();
        let log = dir.join("log");
        let p = |n: &str| dir.join(n).display().to_string();
        let f = std::fs::File::create(&log).unwrap();
        let child = Command::new("ip")
            .args(["netns", "exec", ns])
            .arg(ours())
            .args(["-n", "-l", "-G", "-D", "-f"])
            .arg(&cf)
            .args([
                "-p",
                &p("main.pid"),
                "-r",
                &p("vrrp.pid"),
                "-c",
                &p("check.pid"),
            ])
            .args(extra)
            .stdin(Stdio::null())
            .stdout(f.try_clone().unwrap())
            .stderr(f)
            .spawn()
            .unwrap();
        Run {
            child: Some(ChildGuard(child)),
            log,
        }
    }

    fn pid(&self) -> Pid {
        Pid::from_raw(self.child.as_ref().unwrap().id() as i32)
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    fn count(&self, what: &str) -> usize {
        self.log().matches(what).count()
    }

    fn alive(&mut self) -> bool {
        matches!(self.child.as_mut().unwrap().0.try_wait(), Ok(None))
    }

    /// SIGTERM, then the exit code and how long the exit took.
    fn stop(&mut self) -> (Option<i32>, Duration) {
        let t0 = Instant::now();
        let _ = kill(self.pid(), Signal::SIGTERM);
        let mut guard = self.child.take().unwrap();
        while t0.elapsed() < Duration::from_secs(20) {
            if let Ok(Some(st)) = guard.0.try_wait() {
                return (st.code(), t0.elapsed());
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        (None, t0.elapsed())
    }
}

/// An http.server on port 80 of a real server, serving an empty directory (GET / is 200).
fn http(host: &common::Host, root: &Path) -> ChildGuard {
    std::fs::create_dir_all(root).unwrap();
    let child = Command::new("ip")
        .args([
            "netns",
            "exec",
            &host.ns,
            "python3",
            "-m",
            "http.server",
            "80",
        ])
        .args(["--bind", &host.addr, "--directory"])
        .arg(root)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // python starts slowly on a busy machine: the daemon's first check must find it listening.
    let addr: std::net::SocketAddr = format!("{}:80", host.addr).parse().unwrap();
    assert!(wait_until(Duration::from_secs(20), || {
        host.tb
            .run(move || {
                std::net::TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok()
            })
            .unwrap_or(false)
    }));
    ChildGuard(child)
}

fn lines(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(str::to_string)
        .collect()
}

fn count_line(path: &Path, what: &str) -> usize {
    lines(path).iter().filter(|l| l.as_str() == what).count()
}

fn lan() -> Lan {
    Lan::new(&[
        ("director1", "eth0", "172.16.100.7/16"),
        ("rs1", "eth0", "172.16.100.9/16"),
        ("rs2", "eth0", "172.16.100.10/16"),
    ])
}

const UNAVAILABLE: &str = "the LVS table is only computed and reported";

#[test]
fn scenario04_table_follows_the_real_servers() {
    skip_unless_root!();
    if skipped_for_keepalived() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let mut lan = lan();
    let mut web1 = Some(http(&lan.hosts[1], &d.join("www1")));
    let mut web2 = Some(http(&lan.hosts[2], &d.join("www2")));
    let ns = lan.host("director1").ns.clone();
    let mut ka = Run::start(&ns, d, &adapt(DIRECTOR1, d), &[]);
    let calls = d.join("calls");
    let fifo = d.join("fifo.log");
    let add = |rs: &str| format!("adding real server {rs}:80 to service {SERVICE}");
    let del = |rs: &str| format!("removing real server {rs}:80 from service {SERVICE}");
    let why = |ka: &Run| {
        format!(
            "log:\n{}\ncalls: {:?}\nfifo: {:?}",
            ka.log(),
            lines(&calls),
            lines(&fifo)
        )
    };

    // 1. Both real servers in the table (rr, persistent 50, Route, weight 1); VRRP runs alongside.
    assert!(
        wait_until(Duration::from_secs(10), || ka.count(&add(RS1)) == 1
            && ka.count(&add(RS2)) == 1
            && lan.hosts[0].holds(VIP)),
        "{}",
        why(&ka)
    );
    let log = ka.log();
    assert!(
        log.contains(&format!("adding service {SERVICE} (rr persistent 50)")),
        "{log}"
    );
    assert!(
        log.contains(&format!("{} (Route weight 1)", add(RS1))),
        "{log}"
    );
    // Both checkers pass their first check.
    assert!(
        wait_until(Duration::from_secs(10), || {
            let l = ka.log();
            l.contains(&format!(
                "Remote Web server [{RS1}]:tcp:80 succeed on service."
            )) && l.contains(&format!("TCP connection to [{RS2}]:tcp:80 success."))
        }),
        "{}",
        why(&ka)
    );

    // 2. rs1's HTTP server stops: after the HTTP_GET retries it leaves the table.
    web1.take();
    assert!(
        wait_until(Duration::from_secs(20), || ka.count(&del(RS1)) == 1
            && count_line(&calls, "down9") == 1
            && count_line(
                &fifo,
                &format!("RS [{RS1}]:tcp:80 [{VIP}]:tcp:80 DOWN")
            ) == 1),
        "{}",
        why(&ka)
    );
    // notify_fifo gets the VRRP and the checker lines.
    let all = d.join("all.log");
    assert!(
        wait_until(Duration::from_secs(5), || {
            count_line(&all, &format!("RS [{RS1}]:tcp:80 [{VIP}]:tcp:80 DOWN")) == 1
                && count_line(&all, "INSTANCE \"VI_1\" MASTER 100") == 1
        }),
        "{:?}",
        lines(&all)
    );
    let log = ka.log();
    assert!(
        log.contains(&format!(
            "Removing service [{RS1}]:tcp:80 from VS [{VIP}]:tcp:80"
        )),
        "{log}"
    );
    assert!(
        log.contains(&format!(
            "HTTP_CHECK on service [{RS1}]:tcp:80 failed after 3 retries."
        )),
        "{log}"
    );
    assert_eq!(ka.count(&del(RS2)), 0, "{log}");

    // 3. rs2 stops too: the sorry server is the only destination.
    web2.take();
    assert!(
        wait_until(Duration::from_secs(20), || ka.count(&del(RS2)) == 1
            && ka.count(&add("127.0.0.1")) == 1
            && count_line(&calls, "down10") == 1
            && count_line(&fifo, &format!("VS [{VIP}]:tcp:80 DOWN")) == 1),
        "{}",
        why(&ka)
    );

    // The SIGUSR1 dump shows the same.
    {
        let _turn = DUMP.lock().unwrap_or_else(|e| e.into_inner());
        let _ = std::fs::remove_file("/tmp/keepalived_check.data");
        let _ = kill(ka.pid(), Signal::SIGUSR1);
        assert!(wait_until(Duration::from_secs(5), || {
            std::fs::read_to_string("/tmp/keepalived_check.data")
                .is_ok_and(|t| t.contains("Computed LVS table"))
        }));
        let dump = std::fs::read_to_string("/tmp/keepalived_check.data").unwrap();
        assert!(
            dump.contains(&format!(
                "RIP = {RS1}, RPORT = 80, WEIGHT = 1\n   Checker = HTTP_GET, state = down\n   In table = no"
            )),
            "{dump}"
        );
        assert!(
            dump.contains("sorry server = 127.0.0.1:80, in table = yes"),
            "{dump}"
        );
        assert!(
            dump.contains("  -> 127.0.0.1:80                 Route   1"),
            "{dump}"
        );
        assert!(ka.log().contains("Printing checker data for process("));
    }

    // 4. rs1 comes back: it returns and the sorry server leaves.
    web1 = Some(http(&lan.hosts[1], &d.join("www1")));
    assert!(
        wait_until(Duration::from_secs(20), || ka.count(&add(RS1)) == 2
            && ka.count(&del("127.0.0.1")) == 1
            && count_line(&calls, "up9") == 1
            && count_line(
                &fifo,
                &format!("RS [{RS1}]:tcp:80 [{VIP}]:tcp:80 UP")
            ) == 1
            // The first at start: keepalived gains every quorum at start-up (tests/checkers_vm.rs).
            && count_line(&fifo, &format!("VS [{VIP}]:tcp:80 UP")) == 2),
        "{}",
        why(&ka)
    );

    // 5. SIGTERM: omega runs rs1's notify_down and says the virtual server is down; exit 0.
    let (code, took) = ka.stop();
    assert_eq!(code, Some(0), "{}", why(&ka));
    assert!(took < Duration::from_secs(8), "exit took {took:?}");
    assert!(
        wait_until(Duration::from_secs(3), || count_line(&calls, "down9") == 2),
        "{}",
        why(&ka)
    );
    let log = ka.log();
    assert!(
        log.contains(&format!(
            "Shutting down service [{RS1}]:tcp:80 from VS [{VIP}]:tcp:80"
        )),
        "{log}"
    );
    assert!(
        log.contains(&format!("removing service {SERVICE}")),
        "{log}"
    );
    // Said once, however long the checkers ran.
    assert_eq!(ka.count(UNAVAILABLE), 1, "{log}");
    assert_eq!(count_line(&calls, "down10"), 1, "{log}");
    if std::env::var_os("LVS_TEST_SHOW_LOG").is_some() {
        eprintln!(
            "{log}\ncalls: {:?}\nfifo: {:?}",
            lines(&calls),
            lines(&fifo)
        );
    }
    drop(web1);
}

#[test]
fn checkers_run_alone_without_vrrp_instance() {
    skip_unless_root!();
    if skipped_for_keepalived() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let mut lan = lan();
    let _web1 = http(&lan.hosts[1], &d.join("www1"));
    let mail = {
        let l = lan.hosts[0]
            .tb
            .run(|| std::net::TcpListener::bind("127.0.0.1:25").unwrap())
            .unwrap();
        common::smtp::serve(l)
    };
    let conf = format!(
        "global_defs {{\n    router_id director1\n    notification_email {{\n        root@localhost\n    }}\n\
         \x20   notification_email_from ka@localhost\n    smtp_server 127.0.0.1\n}}\n\
         virtual_server {VIP} 80 {{\n    delay_loop 1\n    lb_algo wlc\n    lb_kind NAT\n    protocol TCP\n\
         \n    real_server {RS1} 80 {{\n        weight 3\n        TCP_CHECK {{\n            connect_timeout 1\n        }}\n    }}\n\
         \n    real_server {RS2} 80 {{\n        weight 2\n        TCP_CHECK {{\n            connect_timeout 1\n        }}\n    }}\n}}\n"
    );
    let ns = lan.host("director1").ns.clone();
    let mut ka = Run::start(&ns, d, &conf, &[]);
    // rs2 has no server: its first check takes it out.
    assert!(
        wait_until(Duration::from_secs(10), || ka.count(&format!(
            "removing real server {RS2}:80 from service {SERVICE}"
        )) == 1),
        "{}",
        ka.log()
    );
    let log = ka.log();
    assert!(
        log.contains(&format!(
            "adding real server {RS1}:80 to service {SERVICE} (Masq weight 3)"
        )),
        "{log}"
    );
    assert!(!log.contains("No VRRP instance"), "{log}");
    // keepalived 2.2.7 alerts on real servers by default (smtp.c's subject; the sink keeps a
    // subject's first line, lettre folds the rest).
    let subject = format!("[director1] Realserver [{RS2}]:tcp:80 of virtual server");
    assert!(
        wait_until(Duration::from_secs(10), || mail
            .subjects()
            .iter()
            .any(|s| s.starts_with(&subject))),
        "{:?}\n{log}",
        mail.subjects()
    );
    // Still running some checks later.
    std::thread::sleep(Duration::from_secs(2));
    assert!(ka.alive(), "{}", ka.log());
    assert!(std::fs::read_to_string(d.join("check.pid")).is_ok());
    let (code, _) = ka.stop();
    assert_eq!(code, Some(0), "{}", ka.log());
    assert_eq!(ka.count(UNAVAILABLE), 1, "{}", ka.log());
}

#[test]
fn check_and_vrrp_flags_split_the_two_sides() {
    skip_unless_root!();
    if skipped_for_keepalived() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let mut lan = Lan::new(&[
        ("director1", "eth0", "172.16.100.7/16"),
        ("director2", "eth0", "172.16.100.8/16"),
        ("rs1", "eth0", "172.16.100.9/16"),
    ]);
    let _web1 = http(&lan.hosts[2], &d.join("www1"));
    let (d1, d2) = (d.join("d1"), d.join("d2"));
    std::fs::create_dir_all(&d1).unwrap();
    std::fs::create_dir_all(&d2).unwrap();
    let ns1 = lan.host("director1").ns.clone();
    let ns2 = lan.host("director2").ns.clone();
    // -C: checkers only (the VIP is never added); -P: VRRP only (no table).
    let mut only_check = Run::start(&ns1, &d1, &adapt(DIRECTOR1, &d1), &["-C"]);
    let mut only_vrrp = Run::start(&ns2, &d2, &adapt(DIRECTOR1, &d2), &["-P"]);
    assert!(
        wait_until(Duration::from_secs(10), || lan.hosts[1].holds(VIP)
            && only_check.count(&format!(
                "adding real server {RS1}:80 to service {SERVICE}"
            )) == 1),
        "-C:\n{}\n-P:\n{}",
        only_check.log(),
        only_vrrp.log()
    );
    // With -C the checker side starts notify_fifo's reader itself.
    assert!(
        wait_until(Duration::from_secs(5), || count_line(
            &d1.join("all.log"),
            &format!("RS [{RS2}]:tcp:80 [{VIP}]:tcp:80 DOWN")
        ) == 1),
        "{:?}\n{}",
        lines(&d1.join("all.log")),
        only_check.log()
    );
    std::thread::sleep(Duration::from_secs(2));
    assert!(!lan.hosts[0].holds(VIP), "{}", only_check.log());
    assert!(d1.join("check.pid").exists() && !d1.join("vrrp.pid").exists());
    assert!(d2.join("vrrp.pid").exists() && !d2.join("check.pid").exists());
    assert!(
        !only_vrrp.log().contains("LVS table"),
        "{}",
        only_vrrp.log()
    );
    assert_eq!(only_vrrp.count(UNAVAILABLE), 0);
    assert_eq!(only_check.stop().0, Some(0), "{}", only_check.log());
    assert_eq!(only_vrrp.stop().0, Some(0), "{}", only_vrrp.log());
}

#[test]
fn reload_keeps_surviving_real_servers_when_checkers_run_alone() {
    skip_unless_root!();
    if skipped_for_keepalived() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let mut lan = lan();
    let _web1 = http(&lan.hosts[1], &d.join("www1"));
    let rs = |addr: &str, weight: u32| {
        format!(
            "    real_server {addr} 80 {{\n        weight {weight}\n        TCP_CHECK {{\n            connect_timeout 1\n        }}\n    }}\n"
        )
    };
    let vs = |body: String| {
        format!(
            "virtual_server {VIP} 80 {{\n    delay_loop 1\n    lb_algo rr\n    lb_kind DR\n    protocol TCP\n{body}}}\n"
        )
    };
    let ns = lan.host("director1").ns.clone();
    let mut ka = Run::start(&ns, d, &vs(rs(RS1, 1)), &[]);
    let add1 = format!("adding real server {RS1}:80 to service {SERVICE}");
    assert!(
        wait_until(Duration::from_secs(10), || ka
            .log()
            .contains(&format!("TCP connection to [{RS1}]:tcp:80 success."))),
        "{}",
        ka.log()
    );
    // rs2 joins (no server: its first check takes it out); rs1 stays as it was.
    std::fs::write(d.join("keepalived.conf"), vs(rs(RS1, 1) + &rs(RS2, 1))).unwrap();
    let _ = kill(ka.pid(), Signal::SIGHUP);
    assert!(
        wait_until(Duration::from_secs(10), || ka.count(&format!(
            "removing real server {RS2}:80 from service {SERVICE}"
        )) == 1),
        "{}",
        ka.log()
    );
    let log = ka.log();
    assert!(log.contains("Reloading"), "{log}");
    assert_eq!(ka.count(&add1), 1, "{log}");
    // rs1 leaves the configuration: it leaves the table; the service stays for rs2 (down).
    std::fs::write(d.join("keepalived.conf"), vs(rs(RS2, 1))).unwrap();
    let _ = kill(ka.pid(), Signal::SIGHUP);
    assert!(
        wait_until(Duration::from_secs(10), || ka.count(&format!(
            "removing real server {RS1}:80 from service {SERVICE}"
        )) == 1),
        "{}",
        ka.log()
    );
    assert!(ka.alive());
    assert_eq!(ka.count(&format!("removing service {SERVICE}")), 0);
    let (code, _) = ka.stop();
    assert_eq!(code, Some(0), "{}", ka.log());
}

/// Syslog lines of the checker side carry keepalived's `Keepalived_healthcheckers` ident. The
/// daemon runs in a private mount namespace whose /dev is a fresh tmpfs, with a python listener
/// on /dev/log there: the host's syslog never sees these lines.
#[test]
fn checker_lines_carry_the_healthcheckers_syslog_ident() {
    skip_unless_root!();
    if skipped_for_keepalived() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let mut lan = lan();
    let _web1 = http(&lan.hosts[1], &d.join("www1"));
    let conf = d.join("keepalived.conf");
    std::fs::write(
        &conf,
        format!(
            "virtual_server {VIP} 80 {{\n    delay_loop 1\n    lb_algo rr\n    lb_kind DR\n    protocol TCP\n    real_server {RS1} 80 {{\n        TCP_CHECK {{\n            connect_timeout 1\n        }}\n    }}\n}}\n"
        ),
    )
    .unwrap();
    let p = |n: &str| d.join(n).display().to_string();
    let listener = format!(
        r#"
import socket, os, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind("/dev/log")
s.settimeout(0.5)
pid = os.fork()
if pid == 0:
    os.execv("{bin}", ["keepalived-rs", "-n", "-f", "{conf}", "-p", "{m}", "-r", "{v}", "-c", "{c}"])
end = time.time() + 20
seen = ""
while time.time() < end and "TCP connection to" not in seen:
    try:
        line = s.recv(65536).decode()
        seen += line + "\n"
        print(line, flush=True)
    except socket.timeout:
        pass
os.kill(pid, 15)
os.waitpid(pid, 0)
"#,
        bin = ours().display(),
        conf = conf.display(),
        m = p("main.pid"),
        v = p("vrrp.pid"),
        c = p("check.pid"),
    );
    std::fs::write(d.join("listen.py"), listener).unwrap();
    let ns = lan.host("director1").ns.clone();
    let out = Command::new("ip")
        .args([
            "netns",
            "exec",
            &ns,
            "unshare",
            "-m",
            "--propagation",
            "private",
        ])
        .args([
            "sh",
            "-c",
            "mount -t tmpfs none /dev && exec python3 \"$0\"",
        ])
        .arg(d.join("listen.py"))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let ident_of = |what: &str| {
        text.lines()
            .find(|l| l.contains(what))
            .and_then(|l| l.split_whitespace().nth(3).map(str::to_string))
            .unwrap_or_default()
    };
    assert!(
        ident_of(&format!("TCP connection to [{RS1}]:tcp:80 success."))
            .starts_with("Keepalived_healthcheckers["),
        "{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        ident_of("IPVS").starts_with("Keepalived_healthcheckers["),
        "{text}"
    );
    assert!(
        ident_of("Starting keepalived-rs").starts_with("Keepalived_vrrp["),
        "{text}"
    );
}

#[test]
fn ha_suspend_checks_only_while_the_address_is_here() {
    skip_unless_root!();
    if skipped_for_keepalived() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let mut lan = lan();
    let _web1 = http(&lan.hosts[1], &d.join("www1"));
    let conf = format!(
        "virtual_server {VIP} 80 {{\n    delay_loop 1\n    ha_suspend\n    lb_algo rr\n    lb_kind DR\n    protocol TCP\n    real_server {RS1} 80 {{\n        TCP_CHECK {{\n            connect_timeout 1\n        }}\n    }}\n}}\n"
    );
    let ns = lan.host("director1").ns.clone();
    let mut ka = Run::start(&ns, d, &conf, &[]);
    let deactivated = format!("Deactivating healthchecker for service [{RS1}]:tcp:80");
    let success = format!("TCP connection to [{RS1}]:tcp:80 success.");
    assert!(
        wait_until(Duration::from_secs(10), || ka.count(&deactivated) == 1),
        "{}",
        ka.log()
    );
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(ka.count(&success), 0, "{}", ka.log());
    // The VIP arrives (as a VRRP master would add it): checks start.
    lan.hosts[0].sh(&format!("ip addr add {VIP}/32 dev eth0"));
    assert!(
        wait_until(Duration::from_secs(10), || ka.count(&success) == 1),
        "{}",
        ka.log()
    );
    // keepalived's start says "Deactivating" only (the address is known before the checkers
    // start); the address's arrival "Activating", its removal "Suspending" (check_api.c).
    assert_eq!(
        ka.count(&format!(
            "Activating healthchecker for service [{RS1}]:tcp:80"
        )),
        1,
        "{}",
        ka.log()
    );
    lan.hosts[0].sh(&format!("ip addr del {VIP}/32 dev eth0"));
    assert!(
        wait_until(Duration::from_secs(10), || ka.count(&format!(
            "Suspending healthchecker for service [{RS1}]:tcp:80"
        )) == 1),
        "{}",
        ka.log()
    );
    assert_eq!(ka.count(&deactivated), 1, "{}", ka.log());
    let (code, _) = ka.stop();
    assert_eq!(code, Some(0), "{}", ka.log());
}
