//! Benchmark: N real servers with TCP_CHECK (listeners spread over 127.x addresses, served by a
//! child process) plus HTTP_GET against a few local HTTP servers, delay_loop 1 s.
//!
//! `cargo run --release -p keepalived-check --example check_bench -- [N] [SECONDS] [HTTP_RS]`
//! prints CPU seconds per minute (getrusage of this process only), RSS and lateness p50/p99.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use keepalived_check::scheduler::{self, SchedulerOptions};
use keepalived_check::*;
use nix::sys::resource::{Resource, UsageWho, getrlimit, getrusage, setrlimit};

const PORT_BASE: u16 = 31000;
const PER_ADDR: usize = 100;

fn tcp_addr(i: usize) -> SocketAddr {
    let a = i / PER_ADDR;
    SocketAddr::new(
        IpAddr::V4(Ipv4Addr::new(127, 10, (a / 250) as u8, (a % 250 + 1) as u8)),
        PORT_BASE + (i % PER_ADDR) as u16,
    )
}

fn raise_nofile() {
    let (_, hard) = getrlimit(Resource::RLIMIT_NOFILE).unwrap();
    setrlimit(Resource::RLIMIT_NOFILE, hard, hard).unwrap();
}

/// Child mode: listen on every TCP address and accept-and-drop forever.
fn serve(n: usize) {
    raise_nofile();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async move {
        for i in 0..n {
            let l = tokio::net::TcpListener::bind(tcp_addr(i)).await.unwrap();
            tokio::spawn(async move {
                loop {
                    if let Ok((s, _)) = l.accept().await {
                        drop(s);
                    }
                }
            });
        }
        println!("ready");
        std::future::pending::<()>().await;
    });
}

const HTTP_PY: &str = r#"
import sys, http.server
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = b'ok'
        self.send_response(200)
        self.send_header('Content-Length', '2')
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a): pass
http.server.ThreadingHTTPServer((sys.argv[1], int(sys.argv[2])), H).serve_forever()
"#;

/// (user, system) CPU time of this process.
fn cpu() -> (Duration, Duration) {
    let u = getrusage(UsageWho::RUSAGE_SELF).unwrap();
    let t = |tv: nix::sys::time::TimeVal| {
        Duration::from_micros(tv.tv_sec() as u64 * 1_000_000 + tv.tv_usec() as u64)
    };
    (t(u.user_time()), t(u.system_time()))
}

/// CPU time (user + system) of another process, from /proc/<pid>/stat.
fn cpu_of(pid: u32) -> Duration {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command name, which is in parentheses and may hold spaces.
    let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or_default();
    let f: Vec<u64> = rest
        .split_whitespace()
        .map(|x| x.parse().unwrap_or(0))
        .collect();
    let ticks = f.get(11).copied().unwrap_or(0) + f.get(12).copied().unwrap_or(0);
    let hz = nix::unistd::sysconf(nix::unistd::SysconfVar::CLK_TCK)
        .ok()
        .flatten()
        .unwrap_or(100) as u64;
    Duration::from_millis(ticks * 1000 / hz)
}

/// TCP sockets in TIME_WAIT in this network namespace (state 06 of /proc/net/tcp).
fn time_wait() -> usize {
    std::fs::read_to_string("/proc/net/tcp")
        .unwrap_or_default()
        .lines()
        .skip(1)
        .filter(|l| l.split_whitespace().nth(3) == Some("06"))
        .count()
}

fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        .unwrap_or(0)
}

/// The kernel's floor: the same connects, blocking, from one thread, paced to n per second,
/// with no runtime at all. What this costs is what any checker must pay on loopback.
/// `rst`: close with SO_LINGER {on, 0} as TCP_CHECK does; otherwise a plain close (FIN).
fn floor_loop(n: usize, secs: u64, rst: bool, server: u32) {
    let (c0, t0, s0) = (cpu(), Instant::now(), cpu_of(server));
    let mut done = 0u64;
    for s in 0..secs {
        let tick = t0 + Duration::from_secs(s);
        for i in 0..n {
            if let Ok(s) =
                std::net::TcpStream::connect_timeout(&tcp_addr(i), Duration::from_secs(1))
                && rst
            {
                let _ = socket2::SockRef::from(&s).set_linger(Some(Duration::ZERO));
            }
            done += 1;
        }
        if let Some(rest) = (tick + Duration::from_secs(1)).checked_duration_since(Instant::now()) {
            std::thread::sleep(rest);
        }
    }
    let (c1, t1, s1) = (cpu(), Instant::now(), cpu_of(server));
    let wall = (t1 - t0).as_secs_f64();
    println!(
        "stand-in server process (not counted above): {:.2} s/min",
        (s1 - s0).as_secs_f64() / wall * 60.0
    );
    println!(
        "floor ({} close): {done} blocking connects ({:.0}/s): user {:.2} s/min, kernel {:.2} s/min",
        if rst { "RST" } else { "FIN" },
        done as f64 / wall,
        (c1.0 - c0.0).as_secs_f64() / wall * 60.0,
        (c1.1 - c0.1).as_secs_f64() / wall * 60.0
    );
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("serve") {
        serve(args[2].parse().unwrap());
        return;
    }
    let floor = args.get(1).map(String::as_str) == Some("floor");
    let args: Vec<String> = if floor {
        std::iter::once(args[0].clone())
            .chain(args[2..].iter().cloned())
            .collect()
    } else {
        args
    };
    let n: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(10_000);
    let secs: u64 = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(60);
    let http_rs: usize = args.get(3).and_then(|a| a.parse().ok()).unwrap_or(20);
    raise_nofile();

    // The listeners stand in for remote machines: niced, so they do not take the checker's turn
    // on the two cores more than remote hosts would.
    let mut child = Command::new("nice")
        .args(["-n", "10", &args[0], "serve", &n.to_string()])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::BufRead;
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        assert_eq!(line.trim(), "ready");
    }
    if floor {
        floor_loop(
            n,
            secs,
            std::env::var("FLOOR_CLOSE").as_deref() != Ok("fin"),
            child.id(),
        );
        let _ = child.kill();
        let _ = child.wait();
        return;
    }
    let http_servers: Vec<_> = (0..4)
        .map(|i| {
            let addr = SocketAddr::new(IpAddr::V4(Ipv4Addr::new(127, 11, 0, i + 1)), 8080);
            let p = Command::new("nice")
                .args([
                    "-n",
                    "10",
                    "python3",
                    "-c",
                    HTTP_PY,
                    &addr.ip().to_string(),
                    "8080",
                ])
                .spawn()
                .unwrap();
            (addr, p)
        })
        .collect();
    std::thread::sleep(Duration::from_secs(1));

    let mut tcp_vs = VirtualServerConfig::new(VsIdent::Addr("10.0.0.1:80".parse().unwrap()));
    tcp_vs.delay_loop = Duration::from_secs(1);
    tcp_vs.connect_timeout = Duration::from_secs(1);
    for i in 0..n {
        let mut rs = RealServerConfig::new(tcp_addr(i));
        rs.checkers.push(CheckerConfig::tcp());
        tcp_vs.real_servers.push(rs);
    }
    let mut http_vs = VirtualServerConfig::new(VsIdent::Addr("10.0.0.2:80".parse().unwrap()));
    http_vs.delay_loop = Duration::from_secs(1);
    http_vs.connect_timeout = Duration::from_secs(1);
    for i in 0..http_rs {
        let (addr, _) = &http_servers[i % http_servers.len()];
        // Distinct real servers that all reach one of the HTTP servers through connect_port.
        let mut rs = RealServerConfig::new(SocketAddr::new(addr.ip(), 9000 + i as u16));
        let mut ck = CheckerConfig::http(vec![UrlConfig::new("/")]);
        ck.common_mut().connect.connect_port = Some(addr.port());
        rs.checkers.push(ck);
        http_vs.real_servers.push(rs);
    }

    let workers: usize = std::env::var("WORKERS")
        .ok()
        .and_then(|w| w.parse().ok())
        .unwrap_or(2);
    // WORKERS=0: a current-thread runtime, as keepalived-rs's daemon runs. EVENT_INTERVAL: how
    // many tasks run between looks at the timers and sockets (tokio's default 61).
    let mut builder = if workers == 0 {
        tokio::runtime::Builder::new_current_thread()
    } else {
        let mut b = tokio::runtime::Builder::new_multi_thread();
        b.worker_threads(workers);
        b
    };
    if let Some(ei) = std::env::var("EVENT_INTERVAL")
        .ok()
        .and_then(|v| v.parse().ok())
    {
        builder.event_interval(ei);
    }
    let rt = builder.enable_all().build().unwrap();
    let server = child.id();
    rt.block_on(async move {
        if workers == 0 {
            println!("tokio runtime: current thread");
        } else {
            println!("tokio worker threads: {workers}");
        }
        let model = Model::new(vec![tcp_vs, http_vs], ModelOptions::default());
        let (running, _, _, mut rx) = scheduler::run(model, SchedulerOptions::default());
        let drain = tokio::spawn(async move {
            let mut downs = 0u64;
            while let Some(r) = rx.recv().await {
                if matches!(r.transition, Some(Transition::Down { .. })) {
                    downs += 1;
                }
            }
            downs
        });
        // warm-up: one warmup period (delay_loop) plus a little
        tokio::time::sleep(Duration::from_secs(3)).await;
        running.stats.reset();
        let (c0, t0, s0) = (cpu(), Instant::now(), cpu_of(server));
        tokio::time::sleep(Duration::from_secs(secs)).await;
        let (c1, t1, s1) = (cpu(), Instant::now(), cpu_of(server));
        let wall = (t1 - t0).as_secs_f64();
        let user = (c1.0 - c0.0).as_secs_f64();
        let sys = (c1.1 - c0.1).as_secs_f64();
        let used = user + sys;
        let checks = running
            .stats
            .checks
            .load(std::sync::atomic::Ordering::Relaxed);
        println!(
            "real servers: {n} TCP_CHECK + {http_rs} HTTP_GET, delay_loop 1 s, {secs} s measured"
        );
        println!("checks run: {checks} ({:.0}/s)", checks as f64 / wall);
        println!(
            "CPU: {:.2} s per minute ({:.1}% of one core): user {:.2} s/min, kernel {:.2} s/min",
            used / wall * 60.0,
            used / wall * 100.0,
            user / wall * 60.0,
            sys / wall * 60.0
        );
        println!(
            "stand-in TCP server process (not counted above): {:.2} s/min",
            (s1 - s0).as_secs_f64() / wall * 60.0
        );
        println!("RSS: {} MiB", rss_kib() / 1024);
        println!("TIME_WAIT sockets: {}", time_wait());
        println!(
            "lateness: p50 {:?}, p99 {:?}, p99.9 {:?}",
            running.stats.quantile(0.5),
            running.stats.quantile(0.99),
            running.stats.quantile(0.999)
        );
        running.shutdown().await;
        println!("down transitions seen: {}", drain.await.unwrap_or(0));
    });
    let _ = child.kill();
    for (_, mut p) in http_servers {
        let _ = p.kill();
        let _ = p.wait();
    }
    let _ = child.wait();
}
