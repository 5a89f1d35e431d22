//! A checker that panics (security review M5): the panic is logged through the daemon's logger,
//! the dead checkers are noticed and started again (as keepalived respawns its checker process),
//! and the VRRP side goes on advertising meanwhile, so its backup never takes over. The panic is
//! injected with `KEEPALIVED_RS_TEST_CHECKER_PANIC` (the first checker to run panics, once).
//! keepalived-rs only: keepalived's checker process needs IPVS, which this kernel lacks. Needs root.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::process::{Command, Stdio};
use std::time::Duration;

use common::{Daemon, Lan, ours, under_test_is_keepalived, wait_until};
use testbed::{ChildGuard, skip_unless_root};

const VIP: &str = "10.96.0.100";

fn conf(me: &str, master: bool, extra: &str) -> String {
    let mut c = common::Pair {
        vrid: 46,
        advert_int: "0.1",
        vip: VIP,
        global: "",
        instance: "",
    }
    .conf(me, master);
    c.push_str(extra);
    c
}

#[test]
fn a_checker_panic_is_logged_and_the_checkers_start_again_while_vrrp_advertises() {
    skip_unless_root!();
    if under_test_is_keepalived() {
        eprintln!(
            "skipped: keepalived's checker process cannot run here (no IPVS), and a panic is ours \
             to inject"
        );
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let mut lan = Lan::new(&[("a", "eth0", "10.96.0.1/24"), ("b", "eth0", "10.96.0.2/24")]);
    let ns = lan.host("a").ns.clone();
    // The real server: a TCP listener in a's namespace.
    let server = Command::new("ip")
        .args(["netns", "exec", &ns, "python3", "-m", "http.server"])
        .args(["--bind", "10.96.0.1", "8096"])
        .current_dir(d)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let _server = ChildGuard(server);
    let vs = "virtual_server 10.96.0.100 8096 {\n  delay_loop 1\n  lb_algo rr\n  lb_kind DR\n  \
              protocol TCP\n  alpha\n  real_server 10.96.0.1 8096 {\n    weight 1\n    \
              TCP_CHECK {\n      connect_timeout 1\n    }\n  }\n}\n";
    let cf = d.join("a.conf");
    std::fs::write(&cf, conf("a", true, vs)).unwrap();
    let log = d.join("a.log");
    let p = |n: &str| d.join(n).display().to_string();
    let master = Command::new("ip")
        .args(["netns", "exec", &ns])
        .arg(ours())
        .args(["-n", "-l", "-G", "-f"])
        .arg(&cf)
        .args(["-p", &p("a.pid"), "-r", &p("a.vrrp.pid")])
        .args(["-c", &p("a.check.pid"), "-b", &p("a.bfd.pid")])
        .env("KEEPALIVED_RS_TEST_CHECKER_PANIC", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::from(std::fs::File::create(&log).unwrap()))
        .spawn()
        .unwrap();
    let mut master = ChildGuard(master);
    let text = || std::fs::read_to_string(&log).unwrap_or_default();
    assert!(
        wait_until(Duration::from_secs(8), || lan.hosts[0].holds(VIP)),
        "the master never took its VIP\n{}",
        text()
    );
    let b = Daemon::start(lan.host("b"), d, "b", &conf("b", false, ""), false);

    // The panic is logged, the checkers start again and check: the real server comes up.
    let restarted = wait_until(Duration::from_secs(15), || {
        let t = text();
        t.contains("The checkers were started again")
            && t.contains("TCP connection to [10.96.0.1]:tcp:8096 success.")
    });
    let t = text();
    assert!(restarted, "{t}");
    assert!(
        t.contains("panic in thread")
            && t.contains("injected checker panic (KEEPALIVED_RS_TEST_CHECKER_PANIC)"),
        "{t}"
    );
    assert!(
        t.contains("The checkers died (a checker task panicked"),
        "{t}"
    );
    let died = t.find("The checkers died").unwrap();
    let up = t
        .rfind("TCP connection to [10.96.0.1]:tcp:8096 success.")
        .unwrap();
    assert!(up > died, "the real server came up after the restart\n{t}");

    // Meanwhile and after, VRRP went on: the backup never took over.
    let took_over = wait_until(Duration::from_secs(3), || {
        lan.hosts[1].holds(VIP) || !lan.hosts[0].holds(VIP)
    });
    assert!(!took_over, "the backup took over\n{}", b.log_text());
    assert!(
        !b.log_text().contains("Entering MASTER STATE"),
        "{}",
        b.log_text()
    );

    // And it still stops on SIGTERM.
    let pid = nix::unistd::Pid::from_raw(master.0.id() as i32);
    nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM).unwrap();
    let exited = wait_until(Duration::from_secs(10), || {
        master.0.try_wait().ok().flatten().is_some()
    });
    assert!(exited, "the daemon did not stop on SIGTERM\n{}", text());
}
