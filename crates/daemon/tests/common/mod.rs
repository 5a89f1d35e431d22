//! Shared pieces of the namespace tests on top of testbed's LAN (which owns the namespaces):
//! named hosts, daemons under test with their logs, and waiting helpers.
#![allow(dead_code)]

pub mod smtp;
pub mod vm;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use testbed::ChildGuard;

/// A testbed LAN whose hosts have names, one address each, and processes killed on drop.
pub struct Lan {
    pub hosts: Vec<Host>,
    _lan: testbed::Lan,
}

/// One host namespace with its interface on the LAN.
pub struct Host {
    pub name: String,
    pub ifname: String,
    pub addr: String,
    /// The namespace's name (`ip netns exec`).
    pub ns: String,
    pub tb: testbed::Host,
    children: Vec<ChildGuard>,
}

impl Lan {
    /// `hosts`: (name, interface name, address/prefix; several separated by commas).
    pub fn new(hosts: &[(&str, &str, &str)]) -> Lan {
        let lan = testbed::Lan::new("ka").expect("testbed LAN");
        let hosts = hosts
            .iter()
            .map(|(name, ifname, addr)| {
                let addrs: Vec<&str> = addr.split(',').collect();
                let tb = lan.host(ifname, &addrs).expect("testbed host");
                Host {
                    name: name.to_string(),
                    ifname: ifname.to_string(),
                    addr: addr.split('/').next().unwrap_or_default().to_string(),
                    ns: tb.netns().to_string(),
                    tb,
                    children: vec![],
                }
            })
            .collect();
        Lan { hosts, _lan: lan }
    }

    pub fn host(&mut self, name: &str) -> &mut Host {
        self.hosts.iter_mut().find(|h| h.name == name).unwrap()
    }
}

impl Drop for Lan {
    fn drop(&mut self) {
        // Daemons first, while their namespaces still exist: they clean up what they added.
        for h in &mut self.hosts {
            h.kill_all();
        }
    }
}

impl Host {
    /// Runs `cmd` (argv, no shell) in the namespace.
    pub fn exec(&self, cmd: &[&str]) -> Output {
        Command::new("ip")
            .args(["netns", "exec", &self.ns])
            .args(cmd)
            .output()
            .unwrap()
    }

    /// A shell command line's stdout, whatever its exit status.
    pub fn sh(&self, script: &str) -> String {
        let o = self.tb.exec(script).unwrap();
        String::from_utf8_lossy(&o.stdout).into_owned()
    }

    /// Starts a process in the namespace, output to `log`; killed when the LAN is dropped.
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
        self.children.push(ChildGuard(child));
        pid
    }

    pub fn kill_all(&mut self) {
        self.children.clear();
    }

    /// Whether the LAN interface holds `addr`.
    pub fn holds(&self, addr: &str) -> bool {
        self.sh(&format!("ip -o addr show dev {}", self.ifname))
            .contains(&format!(" {addr}/"))
    }

    /// The `ip -o addr` line of the LAN interface holding `addr`.
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

    /// Signals the VRRP process: keepalived's forked child (its -r pid file), our only process.
    pub fn signal_vrrp(&self, sig: nix::sys::signal::Signal) {
        let pid = std::fs::read_to_string(self.dir.join("vrrp.pid"))
            .ok()
            .and_then(|t| t.trim().parse::<i32>().ok())
            .unwrap_or(self.pid as i32);
        let _ = nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), sig);
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

/// One vrrp_instance VI_1 on eth0 for a master (state MASTER, priority 150) or a backup (state
/// BACKUP, priority 100): `global` and `instance` are extra lines for global_defs and the
/// instance (each ending in a newline, or empty).
pub struct Pair<'a> {
    pub vrid: u8,
    pub advert_int: &'a str,
    pub vip: &'a str,
    pub global: &'a str,
    pub instance: &'a str,
}

impl Pair<'_> {
    pub fn conf(&self, me: &str, master: bool) -> String {
        let (state, prio) = if master {
            ("MASTER", 150)
        } else {
            ("BACKUP", 100)
        };
        format!(
            "global_defs {{\n  router_id {me}\n{}}}\nvrrp_instance VI_1 {{\n  state {state}\n  \
             interface eth0\n  virtual_router_id {}\n  priority {prio}\n  advert_int {}\n{}  \
             virtual_ipaddress {{\n    {}/24\n  }}\n}}\n",
            self.global, self.vrid, self.advert_int, self.instance, self.vip
        )
    }
}

/// The daemon under test: `None` (after a notice) when it is keepalived and keepalived is not
/// installed, else whether it is keepalived.
pub fn under_test() -> Option<bool> {
    let real = under_test_is_keepalived();
    if real && !real_keepalived_present() {
        eprintln!("skipped: /usr/sbin/keepalived is not installed");
        return None;
    }
    Some(real)
}

/// The binary of keepalived (`real`) or keepalived-rs.
pub fn daemon_bin(real: bool) -> PathBuf {
    if real {
        PathBuf::from("/usr/sbin/keepalived")
    } else {
        ours()
    }
}

/// keepalived's daemon arguments with the files of a test: `-n -l -G -f CONF` and the pid files
/// `PREFIX.pid`, `PREFIX.vrrp.pid`, `PREFIX.check.pid`, `PREFIX.bfd.pid`.
pub fn daemon_args(conf: &Path, prefix: &Path) -> Vec<String> {
    let p = |n: &str| format!("{}.{n}", prefix.display());
    vec![
        "-n".into(),
        "-l".into(),
        "-G".into(),
        "-f".into(),
        conf.display().to_string(),
        "-p".into(),
        p("pid"),
        "-r".into(),
        p("vrrp.pid"),
        "-c".into(),
        p("check.pid"),
        "-b".into(),
        p("bfd.pid"),
    ]
}

/// `ip netns exec NS BIN ARGS` with stdin and stdout closed and stderr (the `-l` log) to `log`;
/// `ip netns exec` execs the daemon, so the child's pid is the daemon's.
pub fn daemon_in(ns: &str, bin: &Path, args: &[String], log: &Path) -> Command {
    let mut c = Command::new("ip");
    c.args(["netns", "exec", ns])
        .arg(bin)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::from(std::fs::File::create(log).unwrap()));
    c
}
