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
            // keepalived names the virtual server in this one (check_ping.c).
            &format!("ICMP CHECK on service {trio} of [10.9.9.9]:tcp:80 failed after 2 retries."),
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

/// TCP_CHECK to an IPv6 link-local real server reaches it through `bind_if` (scope from the
/// interface), inside a namespace with a veth pair.
#[test]
fn tcp_check_link_local_through_bind_if() {
    if !nix::unistd::geteuid().is_root() {
        eprintln!("skipped: needs root");
        return;
    }
    let ns = Netns::new();
    ns.run(&[
        "ip", "link", "add", "kc0", "type", "veth", "peer", "name", "kc1",
    ]);
    ns.run(&["ip", "link", "set", "kc0", "up"]);
    ns.run(&["ip", "link", "set", "kc1", "up"]);
    ns.run(&[
        "ip",
        "-6",
        "addr",
        "add",
        "fe80::42/64",
        "dev",
        "kc0",
        "nodad",
    ]);
    ns.enter(|| {
        let ifindex = nix::net::if_::if_nametoindex("kc0").unwrap();
        let ll: std::net::Ipv6Addr = "fe80::42".parse().unwrap();
        let l =
            std::net::TcpListener::bind(std::net::SocketAddrV6::new(ll, 0, 0, ifindex)).unwrap();
        let port = l.local_addr().unwrap().port();
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let rs = SocketAddr::new(ll.into(), port);
        let mut ck = CheckerConfig::tcp();
        let t = std::time::Duration::from_secs(1);
        // without bind_if the scope is unknown and the connect fails
        assert!(!rt.block_on(probe::check(&ck, rs, t)).ok);
        ck.common_mut().connect.bind_if = Some("kc0".into());
        let v = rt.block_on(probe::check(&ck, rs, t));
        assert!(v.ok, "{v:?}");
        drop(l);
    });
}
