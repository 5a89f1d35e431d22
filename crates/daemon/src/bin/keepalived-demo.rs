//! The README's first command: two routers and a client in network namespaces, keepalived-rs on
//! both routers, the client probing the VIP every 2 ms; the master is killed and the outage shown.
#![allow(clippy::print_stdout)]

use std::path::PathBuf;
use std::process::{Child, Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use keepalived_rs::probe;

const VIP: &str = "10.213.0.100";
const PORT: u16 = 7000;

fn usage() -> ExitCode {
    eprintln!(
        "usage: keepalived-demo            (needs root)\n       \
         keepalived-demo serve-udp PORT NAME | serve-tcp PORT NAME | serve-proxy PORT ADDR:PORT... | probe ADDR PORT EVERY_MS TOTAL_MS"
    );
    ExitCode::from(2)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let a: Vec<&str> = args.iter().map(String::as_str).collect();
    match a.as_slice() {
        [] => demo(),
        ["serve-udp", port, name] => match port.parse() {
            Ok(p) => report(probe::serve_udp(p, name)),
            Err(_) => usage(),
        },
        ["serve-tcp", port, name] => match port.parse() {
            Ok(p) => report(probe::serve_tcp(p, name)),
            Err(_) => usage(),
        },
        ["serve-proxy", port, backends @ ..] => {
            let b: Result<Vec<std::net::SocketAddr>, _> =
                backends.iter().map(|x| x.parse()).collect();
            match (port.parse(), b) {
                (Ok(p), Ok(b)) if !b.is_empty() => report(probe::serve_proxy(p, &b)),
                _ => usage(),
            }
        }
        ["probe", addr, port, every, total] => {
            let (Ok(ip), Ok(port), Ok(every), Ok(total)) = (
                addr.parse::<std::net::IpAddr>(),
                port.parse::<u16>(),
                every.parse::<u64>(),
                total.parse::<u64>(),
            ) else {
                return usage();
            };
            match probe::probe_udp(
                (ip, port).into(),
                Duration::from_millis(every),
                Duration::from_millis(total),
            ) {
                Ok(r) => {
                    println!("sent {} answered {}", r.sent, r.answered);
                    println!("longest_silence_us {}", r.longest_silence.as_micros());
                    for (at, who) in r.answerers {
                        println!("answer_from {} at_ms {}", who, at.as_millis());
                    }
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("probe: {e}");
                    ExitCode::from(1)
                }
            }
        }
        _ => usage(),
    }
}

fn report(r: std::io::Result<()>) -> ExitCode {
    match r {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{e}");
            ExitCode::from(1)
        }
    }
}

fn ip(args: &[&str]) -> bool {
    Command::new("ip")
        .args(args)
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
}

/// The namespaces and processes of the demo, removed on drop (also on panic).
struct Lab {
    tag: String,
    children: Vec<Child>,
    dir: PathBuf,
}

impl Lab {
    fn ns(&self, name: &str) -> String {
        format!("kademo{}{}", self.tag, name)
    }

    fn spawn(&mut self, host: &str, cmd: &[&str], log: &str) -> std::io::Result<u32> {
        let f = std::fs::File::create(self.dir.join(log))?;
        let c = Command::new("ip")
            .args(["netns", "exec", &self.ns(host)])
            .args(cmd)
            .stdin(Stdio::null())
            .stdout(f.try_clone()?)
            .stderr(f)
            .spawn()?;
        let pid = c.id();
        self.children.push(c);
        Ok(pid)
    }

    fn holds_vip(&self, host: &str) -> bool {
        Command::new("ip")
            .args(["-n", &self.ns(host), "-o", "addr", "show", "dev", "eth0"])
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).contains(&format!(" {VIP}/")))
            .unwrap_or(false)
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        for c in &mut self.children {
            let _ = c.kill();
            let _ = c.wait();
        }
        for h in ["r1", "r2", "client", "lan"] {
            let ns = self.ns(h);
            ip(&["netns", "del", &ns]);
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn conf(name: &str, prio: u8) -> String {
    format!(
        "! written by keepalived-demo\nglobal_defs {{\n  router_id {name}\n}}\n\
         vrrp_instance VI_DEMO {{\n  state BACKUP\n  interface eth0\n  virtual_router_id 61\n  \
         priority {prio}\n  version 3\n  advert_int 0.1\n  virtual_ipaddress {{\n    {VIP}/24\n  }}\n}}\n"
    )
}

fn daemon_binary() -> Result<PathBuf, String> {
    let me = std::env::current_exe().map_err(|e| e.to_string())?;
    let next = me.with_file_name("keepalived-rs");
    if next.exists() {
        return Ok(next);
    }
    println!("building keepalived-rs next to the demo...");
    let release = me.to_string_lossy().contains("/release/");
    let mut c = Command::new("cargo");
    c.args(["build", "--bin", "keepalived-rs", "-p", "keepalived-rs"]);
    if release {
        c.arg("--release");
    }
    let ok = c.status().map(|s| s.success()).unwrap_or(false);
    if ok && next.exists() {
        Ok(next)
    } else {
        Err(format!(
            "{} is missing and could not be built",
            next.display()
        ))
    }
}

fn demo() -> ExitCode {
    if !nix::unistd::geteuid().is_root() {
        eprintln!("keepalived-demo needs root (network namespaces)");
        return ExitCode::from(1);
    }
    match run_demo() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("demo failed: {e}");
            ExitCode::from(1)
        }
    }
}

fn run_demo() -> Result<(), String> {
    let daemon = daemon_binary()?;
    let me = std::env::current_exe().map_err(|e| e.to_string())?;
    let dir = std::env::temp_dir().join(format!("keepalived-demo-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let mut lab = Lab {
        tag: std::process::id().to_string(),
        children: vec![],
        dir: dir.clone(),
    };
    let lan = lab.ns("lan");
    let step = |ok: bool, what: &str| if ok { Ok(()) } else { Err(what.to_string()) };
    step(ip(&["netns", "add", &lan]), "creating the LAN namespace")?;
    ip(&["-n", &lan, "link", "add", "br0", "type", "bridge"]);
    ip(&["-n", &lan, "link", "set", "br0", "up"]);
    for (k, (host, addr)) in [
        ("r1", "10.213.0.1/24"),
        ("r2", "10.213.0.2/24"),
        ("client", "10.213.0.50/24"),
    ]
    .iter()
    .enumerate()
    {
        let ns = lab.ns(host);
        step(ip(&["netns", "add", &ns]), "creating a host namespace")?;
        let peer = format!("p{k}");
        step(
            ip(&[
                "link", "add", "eth0", "netns", &ns, "type", "veth", "peer", "name", &peer,
                "netns", &lan,
            ]),
            "creating a veth pair",
        )?;
        ip(&["-n", &lan, "link", "set", &peer, "master", "br0", "up"]);
        ip(&["-n", &ns, "link", "set", "lo", "up"]);
        ip(&["-n", &ns, "link", "set", "eth0", "up"]);
        ip(&["-n", &ns, "addr", "add", addr, "dev", "eth0"]);
    }
    println!("LAN 10.213.0.0/24 in namespaces: router1 .1, router2 .2, client .50; VIP {VIP}");
    println!("VRRPv3, advert_int 0.1 s; router1 priority 150, router2 priority 100");
    let me_s = me.to_string_lossy().to_string();
    let d = daemon.to_string_lossy().to_string();
    let mut pids = Vec::new();
    for (host, name, prio) in [("r1", "router1", 150u8), ("r2", "router2", 100)] {
        let cf = dir.join(format!("{host}.conf"));
        std::fs::write(&cf, conf(name, prio)).map_err(|e| e.to_string())?;
        let cfs = cf.to_string_lossy().to_string();
        let p = |n: &str| {
            dir.join(format!("{host}-{n}.pid"))
                .to_string_lossy()
                .to_string()
        };
        let (p1, p2) = (p("main"), p("vrrp"));
        let pid = lab
            .spawn(
                host,
                &[&d, "-n", "-l", "-G", "-f", &cfs, "-p", &p1, "-r", &p2],
                &format!("{host}.log"),
            )
            .map_err(|e| e.to_string())?;
        pids.push(pid);
        lab.spawn(
            host,
            &[&me_s, "serve-udp", &PORT.to_string(), name],
            &format!("{host}-udp.log"),
        )
        .map_err(|e| e.to_string())?;
    }
    let t0 = Instant::now();
    while !lab.holds_vip("r1") {
        if t0.elapsed() > Duration::from_secs(10) {
            return Err("no election within 10 s".into());
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    println!(
        "elected: router1 holds the VIP ({} ms after start)",
        t0.elapsed().as_millis()
    );
    std::thread::sleep(Duration::from_millis(500));
    let probe_log = "client-probe.log";
    lab.spawn(
        "client",
        &[&me_s, "probe", VIP, &PORT.to_string(), "2", "3000"],
        probe_log,
    )
    .map_err(|e| e.to_string())?;
    std::thread::sleep(Duration::from_millis(1000));
    println!("router1 dies: its keepalived-rs gets SIGKILL and its link is cut");
    let _ = nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(pids[0] as i32),
        nix::sys::signal::Signal::SIGKILL,
    );
    let r1 = lab.ns("r1");
    ip(&["-n", &r1, "link", "set", "eth0", "down"]);
    let killed = Instant::now();
    while !lab.holds_vip("r2") && killed.elapsed() < Duration::from_secs(5) {
        std::thread::sleep(Duration::from_millis(1));
    }
    if lab.holds_vip("r2") {
        println!(
            "router2 holds the VIP {} ms after the kill",
            killed.elapsed().as_millis()
        );
    }
    std::thread::sleep(Duration::from_millis(2200));
    let out = std::fs::read_to_string(dir.join(probe_log)).unwrap_or_default();
    let silence = out
        .lines()
        .find_map(|l| l.strip_prefix("longest_silence_us "))
        .and_then(|v| v.trim().parse::<u64>().ok());
    for l in out.lines().filter(|l| l.starts_with("answer_from")) {
        println!("  client: {l}");
    }
    match silence {
        Some(us) => println!(
            "client-perceived outage: {:.1} ms (UDP probe every 2 ms; protocol bound 3 x 100 ms + skew 61 ms)",
            us as f64 / 1000.0
        ),
        None => println!("the client probe reported nothing:\n{out}"),
    }
    while lab.holds_vip("r1") && killed.elapsed() < Duration::from_secs(8) {
        std::thread::sleep(Duration::from_millis(10));
    }
    if lab.holds_vip("r1") {
        println!(
            "router1 still holds its VIP copy {} ms after the kill",
            killed.elapsed().as_millis()
        );
    } else {
        println!(
            "the dead router1's VIP expired {} ms after the kill (lifetime 3 s, no longer refreshed)",
            killed.elapsed().as_millis()
        );
    }
    println!(
        "VIP now on: router1={} router2={}",
        lab.holds_vip("r1"),
        lab.holds_vip("r2")
    );
    println!("cleaning up namespaces and processes");
    Ok(())
}
