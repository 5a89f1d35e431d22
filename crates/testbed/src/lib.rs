//! Network-namespace LANs for tests: a bridge in its own namespace, hosts joined to it by veth pairs.
//! Everything lives in namespaces named after the pid and a counter, and is removed on Drop (also on panic).
//!
//! ```no_run
//! use testbed::{Lan, skip_unless_root};
//! fn t() {
//!     skip_unless_root!();
//!     let lan = Lan::new("vr").unwrap();
//!     let a = lan.host("eth0", &["10.9.0.1/24"]).unwrap();
//!     let b = lan.host("eth0", &["10.9.0.2/24"]).unwrap();
//!     assert!(a.exec("ping -c1 -W1 10.9.0.2").unwrap().status.success());
//!     let _child = b.spawn("sleep 5").unwrap(); // killed when dropped
//!     let n = a.run(|| 1 + 1).unwrap(); // Rust code on a thread inside a's namespace
//!     # let _ = (n, b.ip_addrs("eth0"));
//! }
//! ```
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

use std::net::IpAddr;
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};

use anyhow::{Context, Result, bail};

static COUNTER: AtomicU32 = AtomicU32::new(0);

/// True when the test runs as root (network namespaces need it).
pub fn is_root() -> bool {
    nix::unistd::geteuid().is_root()
}

/// Return early from a test, printing "skipped: needs root", unless running as root.
#[macro_export]
macro_rules! skip_unless_root {
    () => {
        if !$crate::is_root() {
            eprintln!("skipped: needs root");
            return;
        }
    };
}

fn ip(args: &[&str]) -> Result<()> {
    let out = Command::new("ip")
        .args(args)
        .output()
        .with_context(|| format!("running ip {args:?}"))?;
    if !out.status.success() {
        bail!(
            "ip {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(())
}

struct Namespaces {
    names: Mutex<Vec<String>>,
}

impl Drop for Namespaces {
    fn drop(&mut self) {
        let names = self.names.lock().map(|n| n.clone()).unwrap_or_default();
        // Hosts first: deleting a host namespace removes its veth end and so the bridge port.
        for n in names.iter().rev() {
            let _ = Command::new("ip")
                .args(["netns", "del", n])
                .stderr(Stdio::null())
                .status();
        }
    }
}

/// One LAN: a bridge (`br0`) in its own namespace; hosts are added with [`Lan::host`].
pub struct Lan {
    tag: String,
    bridge_ns: String,
    hosts: AtomicU32,
    spaces: Arc<Namespaces>,
}

impl Lan {
    /// Create the bridge namespace. `prefix` (cut to 4 characters) makes the names readable in `ip netns`.
    pub fn new(prefix: &str) -> Result<Lan> {
        let short: String = prefix
            .chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .take(4)
            .collect();
        let n = COUNTER.fetch_add(1, Ordering::SeqCst);
        let tag = format!("{short}{}x{n}", std::process::id());
        let bridge_ns = format!("tb-{tag}-br");
        let spaces = Arc::new(Namespaces {
            names: Mutex::new(Vec::new()),
        });
        ip(&["netns", "add", &bridge_ns])?;
        if let Ok(mut v) = spaces.names.lock() {
            v.push(bridge_ns.clone());
        }
        ip(&["-n", &bridge_ns, "link", "set", "lo", "up"])?;
        ip(&["-n", &bridge_ns, "link", "add", "br0", "type", "bridge"])?;
        // No STP/forward delay: ports forward at once, so tests do not wait 15 s.
        ip(&[
            "-n",
            &bridge_ns,
            "link",
            "set",
            "br0",
            "type",
            "bridge",
            "forward_delay",
            "0",
            "stp_state",
            "0",
        ])?;
        ip(&["-n", &bridge_ns, "link", "set", "br0", "up"])?;
        Ok(Lan {
            tag,
            bridge_ns,
            hosts: AtomicU32::new(0),
            spaces,
        })
    }

    /// Name of the namespace holding the bridge.
    pub fn bridge_netns(&self) -> &str {
        &self.bridge_ns
    }

    /// Add a host: a namespace whose interface `ifname` (a veth) is a port of the bridge, with `addrs`
    /// (CIDR strings, v4 or v6; IPv6 DAD is turned off so they are usable at once). Lo is up.
    pub fn host(&self, ifname: &str, addrs: &[&str]) -> Result<Host> {
        let i = self.hosts.fetch_add(1, Ordering::SeqCst);
        let ns = format!("tb-{}-h{i}", self.tag);
        ip(&["netns", "add", &ns])?;
        if let Ok(mut v) = self.spaces.names.lock() {
            v.push(ns.clone());
        }
        let host = Host {
            netns: ns.clone(),
            ifname: ifname.to_string(),
            _spaces: self.spaces.clone(),
        };
        // Interface names must be <= 15 chars and unique in the bridge namespace only.
        let port = format!("p{i}");
        let tmp = format!("tb{}x{i}", std::process::id() % 100000);
        ip(&[
            "-n",
            &self.bridge_ns,
            "link",
            "add",
            &port,
            "type",
            "veth",
            "peer",
            "name",
            &tmp,
            "netns",
            &ns,
        ])?;
        ip(&["-n", &self.bridge_ns, "link", "set", &port, "master", "br0"])?;
        ip(&["-n", &self.bridge_ns, "link", "set", &port, "up"])?;
        ip(&["-n", &ns, "link", "set", &tmp, "name", ifname])?;
        host.sh(&format!(
            "sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0 \
             net.ipv6.conf.{ifname}.accept_dad=0"
        ))?;
        ip(&["-n", &ns, "link", "set", "lo", "up"])?;
        for a in addrs {
            let mut args = vec!["-n", &ns, "addr", "add", a, "dev", ifname];
            if a.contains(':') {
                args.push("nodad");
            }
            ip(&args)?;
        }
        ip(&["-n", &ns, "link", "set", ifname, "up"])?;
        Ok(host)
    }
}

/// A host namespace on a [`Lan`]; keeps the LAN's namespaces alive while it exists.
pub struct Host {
    netns: String,
    ifname: String,
    _spaces: Arc<Namespaces>,
}

impl Host {
    /// The namespace name (for `ip netns exec`).
    pub fn netns(&self) -> &str {
        &self.netns
    }

    /// The interface on the LAN.
    pub fn ifname(&self) -> &str {
        &self.ifname
    }

    fn command(&self, cmd: &str) -> Command {
        let mut c = Command::new("ip");
        c.args(["netns", "exec", &self.netns, "sh", "-c", cmd]);
        c
    }

    /// Run a shell command line in the namespace and wait for it.
    pub fn exec(&self, cmd: &str) -> Result<Output> {
        self.command(cmd)
            .output()
            .with_context(|| format!("exec in {}: {cmd}", self.netns))
    }

    /// Run a shell command line; its stdout on success, an error with stderr otherwise.
    pub fn sh(&self, cmd: &str) -> Result<String> {
        let out = self.exec(cmd)?;
        if !out.status.success() {
            bail!(
                "{cmd} in {}: {}",
                self.netns,
                String::from_utf8_lossy(&out.stderr).trim()
            );
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }

    /// Start a shell command line in the namespace; the child is killed when the guard drops.
    pub fn spawn(&self, cmd: &str) -> Result<ChildGuard> {
        let child = self
            .command(&format!("exec {cmd}"))
            .stdin(Stdio::null())
            .spawn()
            .with_context(|| format!("spawn in {}: {cmd}", self.netns))?;
        Ok(ChildGuard(child))
    }

    /// Addresses on `ifname` as `ip -o addr` reports them.
    pub fn ip_addrs(&self, ifname: &str) -> Result<Vec<IpAddr>> {
        let text = self.sh(&format!("ip -o addr show dev {ifname}"))?;
        Ok(text
            .lines()
            .filter_map(|l| {
                let mut w = l.split_whitespace();
                w.find(|x| *x == "inet" || *x == "inet6")?;
                w.next()?.split('/').next()?.parse().ok()
            })
            .collect())
    }

    /// Run `f` on a fresh thread that has joined this namespace (setns on that thread only).
    pub fn run<T: Send + 'static>(&self, f: impl FnOnce() -> T + Send + 'static) -> Result<T> {
        let path = format!("/var/run/netns/{}", self.netns);
        let file = std::fs::File::open(&path).with_context(|| path.clone())?;
        std::thread::spawn(move || -> Result<T> {
            nix::sched::setns(&file, nix::sched::CloneFlags::CLONE_NEWNET)
                .with_context(|| format!("setns {path}"))?;
            Ok(f())
        })
        .join()
        .map_err(|_| anyhow::anyhow!("thread in {} panicked", self.netns))?
    }

    /// Like [`Host::run`] with a current-thread tokio runtime built inside the namespace.
    pub fn block_on<F, T>(&self, make: impl FnOnce() -> F + Send + 'static) -> Result<T>
    where
        F: std::future::Future<Output = T>,
        T: Send + 'static,
    {
        self.run(move || -> Result<T> {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            Ok(rt.block_on(make()))
        })?
    }

    /// Start `make()`'s future on its own thread inside the namespace; join with [`Background::join`].
    pub fn background<F, T>(
        &self,
        make: impl FnOnce() -> F + Send + 'static,
    ) -> Result<Background<T>>
    where
        F: std::future::Future<Output = T>,
        T: Send + 'static,
    {
        let path = format!("/var/run/netns/{}", self.netns);
        let file = std::fs::File::open(&path).with_context(|| path.clone())?;
        let h = std::thread::spawn(move || -> Result<T> {
            nix::sched::setns(&file, nix::sched::CloneFlags::CLONE_NEWNET)?;
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            Ok(rt.block_on(make()))
        });
        Ok(Background(h))
    }
}

/// A future running on a thread inside a namespace.
pub struct Background<T>(std::thread::JoinHandle<Result<T>>);

impl<T> Background<T> {
    /// Wait for the future's result.
    pub fn join(self) -> Result<T> {
        self.0
            .join()
            .map_err(|_| anyhow::anyhow!("background thread panicked"))?
    }
}

/// A child process killed (and reaped) on drop.
pub struct ChildGuard(pub Child);

impl ChildGuard {
    /// The child's pid (that of `ip netns exec`, which execs the command).
    pub fn id(&self) -> u32 {
        self.0.id()
    }
}

impl Drop for ChildGuard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_hosts_ping_and_clean_up() {
        skip_unless_root!();
        let names;
        {
            let lan = Lan::new("t").unwrap();
            let a = lan.host("eth0", &["10.9.0.1/24", "fd00::1/64"]).unwrap();
            let b = lan.host("ens33", &["10.9.0.2/24"]).unwrap();
            assert!(
                a.exec("ping -c1 -W2 10.9.0.2").unwrap().status.success(),
                "ping across the bridge"
            );
            let addrs = a.ip_addrs("eth0").unwrap();
            assert!(addrs.contains(&"10.9.0.1".parse().unwrap()));
            assert!(addrs.contains(&"fd00::1".parse().unwrap()));
            let ifs = b.run(|| std::fs::read_dir("/sys/class/net").map(|d| d.count()));
            assert!(ifs.is_ok());
            let _c = b.spawn("sleep 30").unwrap();
            names = vec![
                lan.bridge_netns().to_string(),
                a.netns().to_string(),
                b.netns().to_string(),
            ];
        }
        let list =
            String::from_utf8(Command::new("ip").args(["netns"]).output().unwrap().stdout).unwrap();
        for n in names {
            assert!(!list.contains(&n), "{n} left behind");
        }
    }
}
