//! Shared pieces of the namespace tests: a LAN of namespaces (the bridge in a namespace of its
//! own, nothing in the root namespace), daemons under test, and waiting helpers.
#![allow(dead_code)]

pub mod smtp;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

static COUNTER: AtomicU32 = AtomicU32::new(0);

pub fn is_root() -> bool {
    nix::unistd::geteuid().is_root()
}

#[macro_export]
macro_rules! skip_unless_root {
    () => {
        if !common::is_root() {
            eprintln!("skipped: needs root");
            return;
        }
    };
}

fn ip(args: &[&str]) -> Output {
    Command::new("ip").args(args).output().expect("ip(8)")
}

/// A LAN: one bridge namespace, hosts attached through veth pairs.
pub struct Lan {
    pub tag: String,
    bridge_ns: String,
    pub hosts: Vec<Host>,
}

/// One host namespace with its interface on the LAN.
pub struct Host {
    pub ns: String,
    pub name: String,
    pub ifname: String,
    pub addr: String,
    children: Vec<Child>,
}

impl Lan {
    /// `hosts`: (name, interface name, address/prefix).
    pub fn new(hosts: &[(&str, &str, &str)]) -> Lan {
        let tag = format!(
            "{}x{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        );
        let bridge_ns = format!("kabr{tag}");
        let mut lan = Lan {
            tag: tag.clone(),
            bridge_ns: bridge_ns.clone(),
            hosts: vec![],
        };
        assert!(ip(&["netns", "add", &bridge_ns]).status.success());
        ip(&["-n", &bridge_ns, "link", "add", "br0", "type", "bridge"]);
        ip(&["-n", &bridge_ns, "link", "set", "br0", "up"]);
        for (k, (name, ifname, addr)) in hosts.iter().enumerate() {
            let ns = format!("kah{tag}{name}");
            assert!(ip(&["netns", "add", &ns]).status.success());
            let peer = format!("p{k}");
            let o = ip(&[
                "link", "add", ifname, "netns", &ns, "type", "veth", "peer", "name", &peer,
                "netns", &bridge_ns,
            ]);
            assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
            ip(&[
                "-n", &bridge_ns, "link", "set", &peer, "master", "br0", "up",
            ]);
            ip(&["-n", &ns, "link", "set", "lo", "up"]);
            ip(&["-n", &ns, "link", "set", ifname, "up"]);
            ip(&["-n", &ns, "addr", "add", addr, "dev", ifname]);
            lan.hosts.push(Host {
                ns,
                name: name.to_string(),
                ifname: ifname.to_string(),
                addr: addr.split('/').next().unwrap_or_default().to_string(),
                children: vec![],
            });
        }
        // Let IPv6 DAD and the bridge settle.
        std::thread::sleep(Duration::from_millis(100));
        lan
    }

    pub fn host(&mut self, name: &str) -> &mut Host {
        self.hosts.iter_mut().find(|h| h.name == name).unwrap()
    }
}

impl Drop for Lan {
    fn drop(&mut self) {
        for h in &mut self.hosts {
            h.kill_all();
            ip(&["netns", "del", &h.ns]);
        }
        ip(&["netns", "del", &self.bridge_ns]);
    }
}

impl Host {
    pub fn exec(&self, cmd: &[&str]) -> Output {
        Command::new("ip")
            .args(["netns", "exec", &self.ns])
            .args(cmd)
            .output()
            .unwrap()
    }

    pub fn sh(&self, script: &str) -> String {
        let o = self.exec(&["sh", "-c", script]);
        String::from_utf8_lossy(&o.stdout).into_owned()
    }

    /// Starts a process in the namespace; killed (by its pid) when the LAN is dropped.
    pub fn spawn(&mut self, cmd: &[&str], log: &Path) -> u32 {
        let f = std::fs::File::create(log).unwrap();
        let child = Command::new("ip")
            .args(["netns", "exec", &self.ns])
            .args(cmd)
            .stdin(Stdio::null())
            .stdout(f.try_clone().unwrap())
            .stderr(f)
            .spawn()
            .unwrap();
        let pid = child.id();
        self.children.push(child);
        pid
    }

    pub fn kill_all(&mut self) {
        for c in &mut self.children {
            let _ = c.kill();
            let _ = c.wait();
        }
        self.children.clear();
    }

    /// `ip addr` lines of the LAN interface holding `addr`.
    pub fn holds(&self, addr: &str) -> bool {
        self.sh(&format!("ip -o addr show dev {}", self.ifname))
            .contains(&format!(" {addr}/"))
    }

    pub fn addr_line(&self, addr: &str) -> String {
        self.sh(&format!("ip -o addr show dev {}", self.ifname))
            .lines()
            .find(|l| l.contains(&format!(" {addr}/")))
            .unwrap_or_default()
            .to_string()
    }
}

/// Which daemon the scenario and interop tests run: ours unless KEEPALIVED_UNDER_TEST=keepalived.
pub fn under_test_is_keepalived() -> bool {
    std::env::var("KEEPALIVED_UNDER_TEST").as_deref() == Ok("keepalived")
}

pub fn ours() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_keepalived-rs"))
}

pub fn real_keepalived_present() -> bool {
    Path::new("/usr/sbin/keepalived").exists()
}

/// A daemon running in a host namespace with its files in `dir`.
pub struct Daemon {
    pub pid: u32,
    pub dir: PathBuf,
    pub log: PathBuf,
    pub real: bool,
}

impl Daemon {
    /// Starts keepalived (`real`) or keepalived-rs with `conf` text.
    pub fn start(host: &mut Host, dir: &Path, tag: &str, conf: &str, real: bool) -> Daemon {
        let d = dir.join(tag);
        std::fs::create_dir_all(&d).unwrap();
        let cf = d.join("keepalived.conf");
        std::fs::write(&cf, conf).unwrap();
        let log = d.join("log");
        let bin = if real {
            PathBuf::from("/usr/sbin/keepalived")
        } else {
            ours()
        };
        let p = |n: &str| d.join(n).display().to_string();
        let cfs = cf.display().to_string();
        let (p1, p2, p3, p4) = (p("main.pid"), p("vrrp.pid"), p("check.pid"), p("bfd.pid"));
        let args = vec![
            bin.to_str().unwrap(),
            "-n",
            "-l",
            "-G",
            "-D",
            "-f",
            &cfs,
            "-p",
            &p1,
            "-r",
            &p2,
            "-c",
            &p3,
            "-b",
            &p4,
        ];
        let pid = host.spawn(&args, &log);
        Daemon {
            pid,
            dir: d,
            log,
            real,
        }
    }

    /// The daemon's own pid (`ip netns exec` execs it, so the child's pid is the daemon's).
    pub fn signal(&self, sig: nix::sys::signal::Signal) {
        let _ = nix::sys::signal::kill(nix::unistd::Pid::from_raw(self.pid as i32), sig);
    }

    /// Signals that nix's Signal cannot name (SIGRTMIN+2 for the JSON dump).
    pub fn raw_signal(&self, n: i32) {
        let _ = Command::new("sh")
            .args(["-c", &format!("kill -{n} {}", self.pid)])
            .status();
    }

    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Waits for the process to exit (it is a child of the LAN host; reaped there).
    pub fn wait_gone(&self, within: Duration) -> bool {
        wait_until(within, || {
            !Path::new(&format!("/proc/{}", self.pid)).exists()
                || std::fs::read_to_string(format!("/proc/{}/stat", self.pid))
                    .map(|s| s.contains(") Z "))
                    .unwrap_or(true)
        })
    }
}

/// Polls `f` every 10 ms until it holds or `within` passes.
pub fn wait_until(within: Duration, mut f: impl FnMut() -> bool) -> bool {
    let end = Instant::now() + within;
    loop {
        if f() {
            return true;
        }
        if Instant::now() > end {
            return false;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}
