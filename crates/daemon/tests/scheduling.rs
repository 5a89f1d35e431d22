//! keepalived's process scheduling keywords (`vrrp_rt_priority`, `vrrp_cpu_affinity`,
//! `checker_priority`, ...) take effect on the side they name. keepalived applies them to its
//! VRRP and checker child processes; keepalived-rs to the threads that run each side (the main
//! thread runs VRRP, the `checkers` thread the health checkers). Needs root.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use common::{Daemon, Lan, under_test_is_keepalived, wait_until};
use nix::sys::signal::Signal;
use testbed::skip_unless_root;

const VIP: &str = "10.94.0.100";

/// What /proc says of one task (thread).
#[derive(Debug)]
struct Task {
    tid: u32,
    comm: String,
    nice: i64,
    rt_priority: u64,
    /// 0 SCHED_OTHER, 1 SCHED_FIFO, 2 SCHED_RR.
    policy: u64,
    cpus: String,
}

fn tasks(pid: u32) -> Vec<Task> {
    let mut out = Vec::new();
    let Ok(dir) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return out;
    };
    for e in dir.flatten() {
        let p = e.path();
        let Ok(stat) = std::fs::read_to_string(p.join("stat")) else {
            continue;
        };
        let (Some(open), Some(close)) = (stat.find('('), stat.rfind(')')) else {
            continue;
        };
        let comm = stat[open + 1..close].to_string();
        // Fields after the command, numbered from 3 (state) as in proc(5).
        let f: Vec<&str> = stat[close + 2..].split(' ').collect();
        let field = |n: usize| f.get(n - 3).and_then(|v| v.parse().ok()).unwrap_or(-1i64);
        let status = std::fs::read_to_string(p.join("status")).unwrap_or_default();
        let cpus = status
            .lines()
            .find_map(|l| l.strip_prefix("Cpus_allowed_list:"))
            .unwrap_or_default()
            .trim()
            .to_string();
        out.push(Task {
            tid: e.file_name().to_string_lossy().parse().unwrap_or(0),
            comm,
            nice: field(19),
            rt_priority: field(40) as u64,
            policy: field(41) as u64,
            cpus,
        });
    }
    out
}

fn conf(checkers: bool) -> String {
    // keepalived's checker process exits at once without IPVS (this kernel has none), so its
    // run leaves the virtual server out; the VRRP side is the same for both daemons.
    let vs = if checkers {
        "virtual_server 10.94.0.100 80 {\n  delay_loop 1\n  lb_kind DR\n  protocol TCP\n  \
         real_server 10.94.0.9 80 {\n    TCP_CHECK {\n      connect_timeout 1\n    }\n  }\n}\n"
    } else {
        ""
    };
    format!(
        "global_defs {{\n  router_id sched\n  vrrp_rt_priority 20\n  vrrp_cpu_affinity 0\n  \
         checker_priority 7\n}}\nvrrp_instance VI_1 {{\n  state MASTER\n  interface eth0\n  \
         virtual_router_id 44\n  priority 150\n  advert_int 1\n  virtual_ipaddress {{\n    {VIP}/24\n  }}\n}}\n{vs}"
    )
}

#[test]
fn scheduling_keywords_apply_to_the_side_they_name() {
    skip_unless_root!();
    let real = under_test_is_keepalived();
    let dir = tempfile::tempdir().unwrap();
    let mut lan = Lan::new(&[("a", "eth0", "10.94.0.1/24")]);
    let d = Daemon::start(lan.host("a"), dir.path(), "a", &conf(!real), real);
    assert!(
        wait_until(Duration::from_secs(8), || lan.hosts[0].holds(VIP)),
        "{}",
        d.log_text()
    );
    // The VRRP side: keepalived's VRRP child (its -r pid file), our main thread.
    let vrrp_pid = if real {
        std::fs::read_to_string(d.dir.join("vrrp.pid"))
            .unwrap()
            .trim()
            .parse()
            .unwrap()
    } else {
        d.pid
    };
    let vrrp = || {
        tasks(vrrp_pid)
            .into_iter()
            .find(|t| t.tid == vrrp_pid)
            .unwrap()
    };
    assert!(
        wait_until(Duration::from_secs(5), || vrrp().policy == 2),
        "{:?}\n{}",
        tasks(vrrp_pid),
        d.log_text()
    );
    let v = vrrp();
    assert_eq!(
        (v.policy, v.rt_priority, v.cpus.as_str()),
        (2, 20, "0"),
        "{v:?}"
    );
    if !real {
        // The checkers run on their own thread at checker_priority, not real-time.
        let c = tasks(d.pid)
            .into_iter()
            .find(|t| t.comm == "checkers")
            .unwrap_or_else(|| panic!("no checkers thread: {:?}", tasks(d.pid)));
        assert_eq!((c.policy, c.nice), (0, 7), "{c:?}");
        assert_ne!(c.cpus, "0", "{c:?}");
    }
    d.signal(Signal::SIGTERM);
    assert!(d.wait_gone(Duration::from_secs(10)), "{}", d.log_text());
}
