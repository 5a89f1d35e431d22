//! PING_CHECK (v4 and v6) inside a network namespace the test creates: the echo is answered,
//! then ignored (per-namespace sysctl), then answered again. Needs root.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::net::SocketAddr;
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};

use common::*;
use keepalived_check::*;

struct Netns(String);

impl Netns {
    fn new() -> Self {
        static N: AtomicU32 = AtomicU32::new(0);
        let name = format!(
            "kc-ping-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        );
        assert!(
            Command::new("ip")
                .args(["netns", "add", &name])
                .status()
                .unwrap()
                .success()
        );
        let ns = Netns(name);
        ns.run(&["ip", "link", "set", "lo", "up"]);
        ns
    }

    fn run(&self, cmd: &[&str]) {
        let ok = Command::new("ip")
            .args(["netns", "exec", &self.0])
            .args(cmd)
            .stdout(std::process::Stdio::null())
            .status()
            .unwrap()
            .success();
        assert!(ok, "{cmd:?}");
    }

    /// Run `f` on a thread that lives in the namespace, with its own tokio runtime.
    fn enter<F: FnOnce() + Send + 'static>(&self, f: F) {
        let path = format!("/run/netns/{}", self.0);
        std::thread::spawn(move || {
            let fd = std::fs::File::open(path).unwrap();
            nix::sched::setns(fd, nix::sched::CloneFlags::CLONE_NEWNET).unwrap();
            f();
        })
        .join()
        .unwrap();
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        let _ = Command::new("ip").args(["netns", "del", &self.0]).status();
    }
}

fn cycle_in_ns(target: &str, sysctl: &'static str, unprivileged: bool) {
    if !nix::unistd::geteuid().is_root() {
        eprintln!("skipped: needs root");
        return;
    }
    let ns = Netns::new();
    if unprivileged {
        ns.run(&["sysctl", "-w", "net.ipv4.ping_group_range=0 2147483647"]);
    }
    let name = ns.0.clone();
    let addr: SocketAddr = SocketAddr::new(target.parse().unwrap(), 0);
    ns.enter(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let set = |v: &str| {
            let ok = Command::new("ip")
                .args([
                    "netns",
                    "exec",
                    &name,
                    "sysctl",
                    "-w",
                    &format!("{sysctl}={v}"),
                ])
                .stdout(std::process::Stdio::null())
                .status()
                .unwrap()
                .success();
            assert!(ok);
        };
        let trio = format!("[{}]:tcp:0", addr.ip());
        rt.block_on(cycle(
            addr,
            CheckerConfig::Ping {
                common: CheckerCommon::default(),
            },
            &format!("ICMP connection to {trio} success."),
            &format!("ICMP CHECK on service {trio} failed after 2 retries."),
            || set("1"),
            || set("0"),
        ));
    });
}

#[test]
fn ping_check_v4_raw_socket() {
    cycle_in_ns("127.0.0.1", "net.ipv4.icmp_echo_ignore_all", false);
}

#[test]
fn ping_check_v4_unprivileged_socket() {
    cycle_in_ns("127.0.0.1", "net.ipv4.icmp_echo_ignore_all", true);
}

#[test]
fn ping_check_v6() {
    cycle_in_ns("::1", "net.ipv6.icmp.echo_ignore_all", false);
}
