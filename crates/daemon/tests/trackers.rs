//! Trackers on a lone master: track_interface (link down: FAULT), track_file (non-zero value at
//! weight 0: FAULT) and track_process (process gone: FAULT); the VIP leaves and comes back.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use testbed::skip_unless_root;

use std::path::Path;
use std::time::Duration;

use common::{Daemon, Lan, under_test_is_keepalived, wait_until};
use nix::sys::signal::Signal;

const VIP: &str = "10.98.0.100";

fn conf(dir: &Path, process: &str, track: &str) -> String {
    format!(
        "global_defs {{\n  router_id n1\n}}\n\
         vrrp_track_file tf {{\n  file {}\n}}\n\
         vrrp_track_process tp {{\n  process {process}\n}}\n\
         vrrp_instance VI_1 {{\n  state MASTER\n  interface eth0\n  virtual_router_id 48\n  \
         priority 150\n  advert_int 1\n{track}  virtual_ipaddress {{\n    {VIP}/24\n  }}\n}}\n",
        dir.join("tf").display()
    )
}

fn lone_master() -> Lan {
    let lan = Lan::new(&[("node", "eth0", "10.98.0.1/24")]);
    lan.hosts[0].sh(
        "ip link add trk0 type veth peer name trk1 && ip link set trk1 up && ip link set trk0 up",
    );
    lan
}

fn holds_then(lan: &Lan, d: &Daemon, held: bool, what: &str) {
    let ok = wait_until(Duration::from_secs(6), || lan.hosts[0].holds(VIP) == held);
    assert!(
        ok,
        "{what}: expected the VIP {}\n{}",
        if held { "held" } else { "released" },
        d.log_text()
    );
}

#[test]
fn track_interface_and_track_file_fault_and_recover() {
    skip_unless_root!();
    let real = under_test_is_keepalived();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("tf"), "0\n").unwrap();
    let mut lan = lone_master();
    let track = "  track_interface {\n    trk0\n  }\n  track_file {\n    tf weight 0\n  }\n";
    let c = conf(dir.path(), "none", track);
    let d = Daemon::start(lan.host("node"), dir.path(), "d", &c, real);
    holds_then(&lan, &d, true, "start");

    lan.hosts[0].sh("ip link set trk0 down");
    holds_then(&lan, &d, false, "tracked interface down");
    lan.hosts[0].sh("ip link set trk0 up");
    holds_then(&lan, &d, true, "tracked interface up");

    std::fs::write(dir.path().join("tf"), "1\n").unwrap();
    holds_then(&lan, &d, false, "track file 1");
    std::fs::write(dir.path().join("tf"), "0\n").unwrap();
    holds_then(&lan, &d, true, "track file 0");

    d.signal(Signal::SIGTERM);
    assert!(d.wait_gone(Duration::from_secs(5)));
}

/// keepalived 2.2.7 follows processes through the proc connector, which the kernel serves to the
/// initial network namespace only: in a test namespace it never sees the process (FAULT for good).
/// Ours counts /proc and works anywhere.
#[test]
fn ours_differs_track_process_in_a_namespace() {
    skip_unless_root!();
    let real = under_test_is_keepalived();
    let dir = tempfile::tempdir().unwrap();
    let name = format!("kasl{}", std::process::id() % 100_000);
    let bin = dir.path().join(&name);
    std::fs::copy("/bin/sleep", &bin).unwrap();
    let mut lan = lone_master();
    let log = dir.path().join("sleep.log");
    let bin_s = bin.display().to_string();
    let pid = lan.host("node").spawn(&[&bin_s, "600"], &log);
    let c = conf(dir.path(), &name, "  track_process {\n    tp\n  }\n");
    std::fs::write(dir.path().join("tf"), "0\n").unwrap();
    let d = Daemon::start(lan.host("node"), dir.path(), "d", &c, real);
    if real {
        std::thread::sleep(Duration::from_secs(5));
        assert!(
            !lan.hosts[0].holds(VIP),
            "keepalived saw the process after all\n{}",
            d.log_text()
        );
        d.signal(Signal::SIGTERM);
        assert!(d.wait_gone(Duration::from_secs(5)));
        return;
    }
    holds_then(&lan, &d, true, "process running");
    nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid as i32), Signal::SIGKILL).unwrap();
    holds_then(&lan, &d, false, "process gone");
    lan.host("node").spawn(&[&bin_s, "600"], &log);
    holds_then(&lan, &d, true, "process back");
    d.signal(Signal::SIGTERM);
    assert!(d.wait_gone(Duration::from_secs(5)));
}

/// track_interface with a weight: the link going down lowers the master's priority below the
/// backup's, which takes over; back up, the master preempts again.
#[test]
fn weighted_track_interface_moves_the_master() {
    skip_unless_root!();
    let real = under_test_is_keepalived();
    let dir = tempfile::tempdir().unwrap();
    let mut lan = Lan::new(&[("a", "eth0", "10.98.0.1/24"), ("b", "eth0", "10.98.0.2/24")]);
    lan.hosts[0].sh(
        "ip link add trk0 type veth peer name trk1 && ip link set trk1 up && ip link set trk0 up",
    );
    let inst = |state: &str, prio: u8, track: &str| {
        format!(
            "vrrp_instance VI_1 {{\n  state {state}\n  interface eth0\n  virtual_router_id 50\n  \
             priority {prio}\n  advert_int 1\n{track}  virtual_ipaddress {{\n    {VIP}/24\n  }}\n}}\n"
        )
    };
    let ca = inst(
        "MASTER",
        150,
        "  track_interface {\n    trk0 weight -60\n  }\n",
    );
    let a = Daemon::start(lan.host("a"), dir.path(), "a", &ca, real);
    let b = Daemon::start(
        lan.host("b"),
        dir.path(),
        "b",
        &inst("BACKUP", 100, ""),
        real,
    );
    let logs = || format!("A:\n{}\nB:\n{}", a.log_text(), b.log_text());
    let only = |n: usize| lan.hosts[n].holds(VIP) && !lan.hosts[1 - n].holds(VIP);
    assert!(wait_until(Duration::from_secs(8), || only(0)), "{}", logs());
    lan.hosts[0].sh("ip link set trk0 down");
    assert!(wait_until(Duration::from_secs(6), || only(1)), "{}", logs());
    lan.hosts[0].sh("ip link set trk0 up");
    assert!(wait_until(Duration::from_secs(6), || only(0)), "{}", logs());
    a.signal(Signal::SIGTERM);
    b.signal(Signal::SIGTERM);
    a.wait_gone(Duration::from_secs(5));
    b.wait_gone(Duration::from_secs(5));
}

/// vrrp_script `user`: the check runs with that user's uid.
#[test]
fn vrrp_script_runs_as_its_user() {
    skip_unless_root!();
    let real = under_test_is_keepalived();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    std::fs::create_dir(&out).unwrap();
    std::fs::set_permissions(&out, std::os::unix::fs::PermissionsExt::from_mode(0o777)).unwrap();
    std::fs::set_permissions(
        dir.path(),
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    let mut lan = lone_master();
    let c = format!(
        "vrrp_script who {{\n  script \"/bin/sh -c 'id -u > {}/uid'\"\n  interval 1\n  user nobody\n}}\n\
         vrrp_instance VI_1 {{\n  state MASTER\n  interface eth0\n  virtual_router_id 48\n  \
         priority 150\n  advert_int 1\n  track_script {{\n    who\n  }}\n  \
         virtual_ipaddress {{\n    {VIP}/24\n  }}\n}}\n",
        out.display()
    );
    let d = Daemon::start(lan.host("node"), dir.path(), "d", &c, real);
    let uid = out.join("uid");
    assert!(
        wait_until(Duration::from_secs(6), || std::fs::read_to_string(&uid)
            .is_ok_and(|t| !t.is_empty())),
        "{}",
        d.log_text()
    );
    let nobody = nix::unistd::User::from_name("nobody").unwrap().unwrap().uid;
    assert_eq!(
        std::fs::read_to_string(&uid).unwrap().trim(),
        nobody.to_string()
    );
    holds_then(&lan, &d, true, "script succeeding");
    d.signal(Signal::SIGTERM);
    assert!(d.wait_gone(Duration::from_secs(5)));
}
