//! Real servers for the checker tests: python, dnsmasq and tokio listeners on 127.0.0.x,
//! each killed when its guard drops.
#![allow(dead_code)]

use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU16, Ordering};
use std::time::{Duration, Instant};

use keepalived_check::scheduler::{self, Report, SchedulerOptions};
use keepalived_check::*;

/// A port no other test in this process uses (ports differ per pid, so parallel test binaries
/// rarely collide; the address differs per test as well).
pub fn port() -> u16 {
    static NEXT: AtomicU16 = AtomicU16::new(0);
    20000 + (std::process::id() % 2000) as u16 * 10 + NEXT.fetch_add(1, Ordering::Relaxed)
}

pub struct Proc(pub Child);

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub fn spawn(cmd: &str, args: &[&str]) -> Proc {
    Proc(
        Command::new(cmd)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    )
}

pub fn wait_tcp(addr: SocketAddr) {
    let t = Instant::now();
    while TcpStream::connect_timeout(&addr, Duration::from_millis(100)).is_err() {
        assert!(
            t.elapsed() < Duration::from_secs(10),
            "{addr} never came up"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// An HTTP server: `/code/N` answers status N; `/` answers "hello <Host header>".
pub const HTTP_PY: &str = r#"
import sys, http.server
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        code = 200
        if self.path.startswith('/code/'):
            code = int(self.path[6:])
        body = ('hello ' + str(self.headers.get('Host'))).encode()
        self.send_response(code)
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a): pass
http.server.HTTPServer((sys.argv[1], int(sys.argv[2])), H).serve_forever()
"#;

pub fn http_server(addr: SocketAddr) -> Proc {
    let p = spawn(
        "python3",
        &[
            "-c",
            HTTP_PY,
            &addr.ip().to_string(),
            &addr.port().to_string(),
        ],
    );
    wait_tcp(addr);
    p
}

pub const SMTP_PY: &str = r#"
import sys, socketserver
class H(socketserver.StreamRequestHandler):
    def handle(self):
        self.wfile.write(b'220-sink ready\r\n220 sink ESMTP\r\n')
        for line in self.rfile:
            if line.upper().startswith(b'HELO'):
                self.wfile.write(b'250 sink\r\n')
            elif line.upper().startswith(b'QUIT'):
                self.wfile.write(b'221 bye\r\n'); return
            else:
                self.wfile.write(b'502 no\r\n')
socketserver.TCPServer.allow_reuse_address = True
socketserver.ThreadingTCPServer((sys.argv[1], int(sys.argv[2])), H).serve_forever()
"#;

pub const UDP_ECHO_PY: &str = r#"
import sys, socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[1], int(sys.argv[2])))
while True:
    d, a = s.recvfrom(4096)
    s.sendto(b'PONG' + d, a)
"#;

/// One virtual server with one real server carrying `ck` in alpha mode with quick timers.
pub fn one(rs: SocketAddr, mut ck: CheckerConfig) -> VirtualServerConfig {
    let c = ck.common_mut();
    c.alpha = Some(true);
    c.retry = Some(2);
    c.delay_before_retry = Some(Duration::from_millis(50));
    c.delay_loop = Some(Duration::from_millis(100));
    c.connect_timeout = Some(Duration::from_millis(500));
    let mut vs = VirtualServerConfig::new(VsIdent::Addr("10.9.9.9:80".parse().unwrap()));
    let mut r = RealServerConfig::new(rs);
    r.notify_up = Some(Script::new("/usr/local/bin/rs_up"));
    r.notify_down = Some(Script::new("/usr/local/bin/rs_down"));
    r.checkers.push(ck);
    vs.real_servers.push(r);
    vs
}

pub struct Run {
    pub running: scheduler::Running,
    pub rx: tokio::sync::mpsc::UnboundedReceiver<Report>,
}

pub fn start(vss: Vec<VirtualServerConfig>) -> Run {
    let (running, _acts, _table, rx) = scheduler::run(
        Model::new(vss, ModelOptions::default()),
        SchedulerOptions {
            no_warmup: true,
            ..Default::default()
        },
    );
    Run { running, rx }
}

impl Run {
    /// Wait for the next report with a transition; returns it with the time it took.
    pub async fn next_transition(&mut self, within: Duration) -> (Report, Duration) {
        let t = Instant::now();
        loop {
            let r = tokio::time::timeout(within, self.rx.recv())
                .await
                .expect("no transition in time")
                .expect("scheduler gone");
            if r.transition.is_some() {
                return (r, t.elapsed());
            }
        }
    }
}

pub fn has_log(r: &Report, prefix: &str) -> bool {
    r.actions
        .iter()
        .any(|a| matches!(a, Action::Log(l) if l.starts_with(prefix)))
}

pub fn fifo(r: &Report) -> Vec<String> {
    r.actions
        .iter()
        .filter_map(|a| match a {
            Action::Fifo(l) => Some(l.clone()),
            _ => None,
        })
        .collect()
}

/// The up / down after retries / up again cycle every checker test walks through.
pub async fn cycle(
    rs: SocketAddr,
    ck: CheckerConfig,
    up_line: &str,
    down_line: &str,
    mut stop: impl FnMut(),
    mut restart: impl FnMut(),
) {
    let mut run = start(vec![one(rs, ck)]);
    let (r, _) = run.next_transition(Duration::from_secs(5)).await;
    assert_eq!(r.transition, Some(Transition::Up), "{r:?}");
    assert!(has_log(&r, up_line), "{:?}", r.actions);
    assert!(
        r.actions
            .contains(&Action::RunScript(Script::new("/usr/local/bin/rs_up")))
    );
    let rs_trio = format!("[{}]", rs.ip());
    assert!(
        fifo(&r)
            .iter()
            .any(|l| l.starts_with(&format!("RS {rs_trio}"))
                && l.ends_with(" [10.9.9.9]:tcp:80 UP\n")),
        "{:?}",
        fifo(&r)
    );
    stop();
    let (r, took) = run.next_transition(Duration::from_secs(10)).await;
    assert_eq!(r.transition, Some(Transition::Down { retries: 2 }), "{r:?}");
    assert!(has_log(&r, down_line), "{:?}", r.actions);
    assert!(
        r.actions
            .contains(&Action::RunScript(Script::new("/usr/local/bin/rs_down")))
    );
    assert!(
        fifo(&r)
            .iter()
            .any(|l| l.ends_with(" [10.9.9.9]:tcp:80 DOWN\n"))
    );
    // retry 2 spaced by 50 ms after a failed regular check: at least 100 ms of retries.
    assert!(
        took >= Duration::from_millis(100),
        "down too early: {took:?}"
    );
    restart();
    let (r, _) = run.next_transition(Duration::from_secs(10)).await;
    assert_eq!(r.transition, Some(Transition::Up), "{r:?}");
    run.running.shutdown().await;
}

/// Block until `probe` says the server answers (servers without a TCP port to poll).
pub fn wait_ready(ck: &CheckerConfig, addr: SocketAddr) {
    // Its own thread: callers may sit inside a runtime already.
    std::thread::scope(|s| {
        s.spawn(|| wait_ready_here(ck, addr));
    });
}

fn wait_ready_here(ck: &CheckerConfig, addr: SocketAddr) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let t = Instant::now();
    while !rt
        .block_on(probe::check(ck, addr, Duration::from_millis(200)))
        .ok
    {
        assert!(
            t.elapsed() < Duration::from_secs(10),
            "{addr} never came up"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}
