//! Each checker against a real server on loopback: up, down after `retry` failures spaced by
//! `delay_before_retry`, up again, with keepalived's log, notify and FIFO lines.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use keepalived_sys::script::Script as RunScript;
use std::cell::RefCell;
use std::net::SocketAddr;
use std::time::Duration;

use common::*;
use keepalived_check::probe::http::{ResponseReader, judge};
use keepalived_check::*;

fn sa(ip: &str, port: u16) -> SocketAddr {
    SocketAddr::new(ip.parse().unwrap(), port)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tcp_check_cycle() {
    let addr = sa("127.0.0.21", port());
    let srv = RefCell::new(Some(http_server(addr)));
    cycle(
        addr,
        CheckerConfig::tcp(),
        &format!(
            "TCP connection to [127.0.0.21]:tcp:{} success.",
            addr.port()
        ),
        &format!(
            "TCP_CHECK on service [127.0.0.21]:tcp:{} failed after 2 retries.",
            addr.port()
        ),
        || drop(srv.borrow_mut().take()),
        || *srv.borrow_mut() = Some(http_server(addr)),
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_get_cycle_with_digest_status_vhost_regex() {
    let addr = sa("127.0.0.22", port());
    let srv = RefCell::new(Some(http_server(addr)));
    let body = b"hello www.example.test";
    let digest = keepalived_check::probe::http::hex(&<md5::Md5 as md5::Digest>::digest(body));
    let mut u = UrlConfig::new("/");
    u.digest = Some(digest);
    u.virtualhost = Some("www.example.test".into());
    u.regex = Some(regex::bytes::Regex::new("hello www").unwrap());
    let mut u2 = UrlConfig::new("/code/503");
    u2.status_codes = vec![StatusRange { min: 500, max: 503 }];
    let mut ck = CheckerConfig::http(vec![u, u2]);
    if let CheckerConfig::Http { http, .. } = &mut ck {
        http.http_protocol = HttpProtocol::V1_1;
    }
    cycle(
        addr,
        ck,
        &format!(
            "Remote Web server [127.0.0.22]:tcp:{} succeed on service.",
            addr.port()
        ),
        &format!(
            "HTTP_CHECK on service [127.0.0.22]:tcp:{} failed after 2 retries.",
            addr.port()
        ),
        || drop(srv.borrow_mut().take()),
        || *srv.borrow_mut() = Some(http_server(addr)),
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_get_rejects_wrong_digest_status_and_default_host() {
    let addr = sa("127.0.0.23", port());
    let _srv = http_server(addr);
    let co = ConnectOptions::default();
    let t = Duration::from_secs(2);
    let mut u = UrlConfig::new("/");
    u.digest = Some("00000000000000000000000000000000".into());
    let http = HttpGetConfig {
        urls: vec![u],
        ..Default::default()
    };
    assert!(!probe::http::check(addr, &co, &http, None, t).await.ok);
    let http = HttpGetConfig {
        urls: vec![UrlConfig::new("/code/404")],
        ..Default::default()
    };
    assert!(!probe::http::check(addr, &co, &http, None, t).await.ok);
    // Without a virtualhost keepalived sends Host: ip:port.
    let reply = probe::http::get(addr, &co, "/", HttpProtocol::V1_0, None, None, t)
        .await
        .unwrap();
    assert_eq!(
        reply.body_head,
        format!("hello 127.0.0.23:{}", addr.port()).into_bytes()
    );
    let mut u = UrlConfig::new("/");
    u.regex = Some(regex::bytes::Regex::new("hello").unwrap());
    u.regex_no_match = true;
    assert!(judge(&u, &reply).is_err());
    assert_eq!(
        probe::http::request("/x", HttpProtocol::V1_0C, Some("h"), addr),
        "GET /x HTTP/1.0\r\nUser-Agent: KeepAliveClient\r\nConnection: close\r\nHost: h\r\n\r\n"
    );
    let mut r = ResponseReader::new();
    r.feed(b"HTTP/1.1 200 OK\r\n\r\n").unwrap();
    assert_eq!(r.finish().unwrap().status, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn misc_check_cycle_and_dynamic_weight() {
    let dir = tempfile::tempdir().unwrap();
    let flag = dir.path().join("up");
    std::fs::write(&flag, "").unwrap();
    let path = format!("test -e {}", flag.display());
    let ck = CheckerConfig::Misc {
        common: CheckerCommon::default(),
        path: path.clone(),
        timeout: Some(Duration::from_secs(2)),
        dynamic: false,
        user: None,
        group: None,
        script: RunScript::new(vec![
            "/usr/bin/test".into(),
            "-e".into(),
            flag.display().to_string(),
        ]),
    };
    let f = flag.clone();
    cycle(
        "127.0.0.24:80".parse().unwrap(),
        ck,
        "Misc check for [[127.0.0.24]:tcp:80 VS [10.9.9.9]:tcp:80] by [/usr/bin/test] succeeded.",
        "Misc check for",
        || std::fs::remove_file(&f).unwrap(),
        || std::fs::write(&f, "").unwrap(),
    )
    .await;
    // misc_dynamic: exit 12 means weight 10.
    let v = probe::misc::check(&sh("exit 12"), Duration::from_secs(2), true).await;
    assert_eq!(v.weight, Some(probe::DynamicWeight::Set(10)));
    assert!(v.ok);
    assert!(
        !probe::misc::check(&sh("exit 1"), Duration::from_secs(2), true)
            .await
            .ok
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn misc_check_kills_a_hanging_script_and_its_children() {
    let dir = tempfile::tempdir().unwrap();
    let pidfile = dir.path().join("pid");
    // The script leaves a grandchild that ignores nothing; both must die.
    let script = format!("sleep 300 & echo $! > {}; wait", pidfile.display());
    let t = std::time::Instant::now();
    let v = probe::misc::check(&sh(&script), Duration::from_millis(300), false).await;
    assert!(!v.ok);
    assert!(t.elapsed() < Duration::from_secs(5));
    let pid: i32 = std::fs::read_to_string(&pidfile)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    std::thread::sleep(Duration::from_millis(100));
    let alive = std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .map(|s| !s.contains(") Z "))
        .unwrap_or(false);
    assert!(!alive, "grandchild {pid} survived");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn smtp_check_cycle() {
    let addr = sa("127.0.0.25", port());
    let go = || {
        let p = spawn(
            "python3",
            &["-c", SMTP_PY, "127.0.0.25", &addr.port().to_string()],
        );
        wait_tcp(addr);
        p
    };
    let srv = RefCell::new(Some(go()));
    let ck = CheckerConfig::Smtp {
        common: CheckerCommon::default(),
        helo_name: Some("director1".into()),
    };
    cycle(
        addr,
        ck,
        &format!(
            "Remote SMTP server [127.0.0.25]:tcp:{} succeed on service.",
            addr.port()
        ),
        // keepalived's SMTP_CHECK says why (connect_fail), with no "failed after retries" line.
        "SMTP_CHECK Could not connect to server [127.0.0.25]:",
        || drop(srv.borrow_mut().take()),
        || *srv.borrow_mut() = Some(go()),
    )
    .await;
}

fn dnsmasq(addr: SocketAddr) -> Proc {
    let p = spawn(
        "dnsmasq",
        &[
            "--no-daemon",
            &format!("--port={}", addr.port()),
            &format!("--listen-address={}", addr.ip()),
            "--bind-interfaces",
            "--no-resolv",
            "--no-hosts",
            "--address=/example.test/10.1.2.3",
            "-C",
            "/dev/null",
        ],
    );
    let ck = CheckerConfig::Dns {
        common: CheckerCommon::default(),
        kind: DnsType::A,
        name: "www.example.test".into(),
    };
    wait_ready(&ck, addr);
    p
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dns_check_cycle() {
    let addr = sa("127.0.0.26", port());
    let srv = RefCell::new(Some(dnsmasq(addr)));
    let ck = CheckerConfig::Dns {
        common: CheckerCommon::default(),
        kind: DnsType::A,
        name: "www.example.test".into(),
    };
    cycle(
        addr,
        ck,
        // keepalived's DNS_CHECK has no line of its own when up; its failure is the down line.
        &format!("Adding service [127.0.0.26]:tcp:{}", addr.port()),
        &format!(
            "DNS_CHECK ([127.0.0.26]:udp:{}) failed to read socket; errno 111 (Connection refused) after 2 retries",
            addr.port()
        ),
        || drop(srv.borrow_mut().take()),
        || *srv.borrow_mut() = Some(dnsmasq(addr)),
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn udp_check_cycle_with_require_reply() {
    let addr = sa("127.0.0.27", port());
    let go = || {
        let p = spawn(
            "python3",
            &["-c", UDP_ECHO_PY, "127.0.0.27", &addr.port().to_string()],
        );
        let ready = CheckerConfig::Udp {
            common: CheckerCommon::default(),
            payload: None,
            require_reply: Some(ReplyPattern::default()),
            min_reply_length: 0,
            max_reply_length: 255,
        };
        wait_ready(&ready, addr);
        p
    };
    let srv = RefCell::new(Some(go()));
    let ck = CheckerConfig::Udp {
        common: CheckerCommon::default(),
        payload: Some(b"hi".to_vec()),
        // "PONG" then anything: 50 4f 4e 47 xx
        require_reply: parse_hex("504f4e47 xX", true),
        min_reply_length: 4,
        max_reply_length: 255,
    };
    cycle(
        addr,
        ck,
        &format!(
            "UDP connection to [127.0.0.27]:udp:{} success.",
            addr.port()
        ),
        "UDP_CHECK on service",
        || drop(srv.borrow_mut().take()),
        || *srv.borrow_mut() = Some(go()),
    )
    .await;
}

/// FILE_CHECK as keepalived's: the file's value at start is the real server's state (alpha and
/// retry do not apply), each change is followed at once, and only -D writes a line about it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn file_check_follows_its_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state");
    std::fs::write(&path, "1\n").unwrap();
    let ck = CheckerConfig::File {
        common: CheckerCommon::default(),
        file: FileCheckConfig {
            path: path.clone(),
            name: "state".into(),
            weight: 0,
            reverse: false,
            dynamic: false,
        },
    };
    let mut vs = one("127.0.0.28:80".parse().unwrap(), ck);
    // A minute between polls: what follows the file must be its watch (inotify), as keepalived's.
    vs.real_servers[0].checkers[0].common_mut().delay_loop = Some(Duration::from_secs(60));
    let (running, start, table, rx) = scheduler::run(
        Model::new(vec![vs], ModelOptions::default()),
        scheduler::SchedulerOptions {
            no_warmup: true,
            log_detail: true,
            ..Default::default()
        },
    );
    // Down from the start: no activation line, nothing announced, not in the table.
    assert!(
        !start
            .iter()
            .any(|a| matches!(a, Action::Log(l) if l.starts_with("Activating"))),
        "{start:?}"
    );
    assert!(!start.iter().any(|a| matches!(a, Action::RunScript(_))));
    assert!(
        table.services.values().all(|s| s.dests.is_empty()),
        "{table:?}"
    );
    let mut run = Run { running, rx };
    std::fs::write(&path, "0\n").unwrap();
    let (r, _) = run.next_transition(Duration::from_secs(5)).await;
    assert_eq!(r.transition, Some(Transition::Up), "{r:?}");
    assert!(
        has_log(
            &r,
            "([127.0.0.28]:tcp:80): tracked file state leaving FAULT state"
        ),
        "{:?}",
        r.actions
    );
    std::fs::write(&path, "1\n").unwrap();
    let (r, took) = run.next_transition(Duration::from_secs(5)).await;
    assert_eq!(r.transition, Some(Transition::Down { retries: 0 }), "{r:?}");
    assert!(
        has_log(
            &r,
            "([127.0.0.28]:tcp:80): tracked file state now FAULT state"
        ),
        "{:?}",
        r.actions
    );
    // No retries, and no wait for the next poll: the watch saw the write.
    assert!(took < Duration::from_secs(5), "{took:?}");
    run.running.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn misc_check_runs_as_user() {
    if !nix::unistd::geteuid().is_root() {
        eprintln!("skipped: needs root");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    std::fs::set_permissions(
        dir.path(),
        std::os::unix::fs::PermissionsExt::from_mode(0o777),
    )
    .unwrap();
    let out = dir.path().join("uid");
    let want = nix::unistd::User::from_name("nobody")
        .unwrap()
        .unwrap()
        .uid
        .as_raw();
    let mut as_nobody = sh(&format!("id -u > {}", out.display()));
    as_nobody.uid = Some(want);
    as_nobody.gid = Some(want);
    let v = probe::misc::check(&as_nobody, Duration::from_secs(2), false).await;
    assert!(v.ok, "{v:?}");
    assert_eq!(
        std::fs::read_to_string(&out).unwrap().trim(),
        want.to_string()
    );
    // A script that cannot start is a failed check.
    assert!(
        !probe::misc::check(
            &RunScript::new(vec!["/nonexistent/kc".into()]),
            Duration::from_secs(1),
            false
        )
        .await
        .ok
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dns_check_fails_on_error_rcode_and_wrong_port() {
    let addr = sa("127.0.0.29", port());
    let _srv = dnsmasq(addr);
    let co = ConnectOptions::default();
    let t = Duration::from_millis(500);
    assert!(
        probe::dns::check(addr, &co, DnsType::A, "www.example.test", t)
            .await
            .ok
    );
    // Nothing to forward to (--no-resolv): dnsmasq answers REFUSED for other names.
    let v = probe::dns::check(addr, &co, DnsType::A, "other.invalid", t).await;
    assert!(!v.ok, "{v:?}");
    let closed = sa("127.0.0.29", port());
    assert!(
        !probe::dns::check(closed, &co, DnsType::A, "www.example.test", t)
            .await
            .ok
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn omega_shutdown_runs_down_notifiers() {
    let addr = sa("127.0.0.35", port());
    let _srv = http_server(addr);
    let mut vs = one(addr, CheckerConfig::tcp());
    vs.omega = true;
    vs.quorum_down = Some(Script::new("/usr/local/bin/quorum_down"));
    let mut run = start(vec![vs]);
    let (r, _) = run.next_transition(Duration::from_secs(5)).await;
    assert_eq!(r.transition, Some(Transition::Up));
    let acts = run.running.shutdown().await;
    assert!(
        acts.contains(&Action::RunScript(Script::new("/usr/local/bin/rs_down"))),
        "{acts:?}"
    );
    assert!(acts.contains(&Action::RunScript(Script::new(
        "/usr/local/bin/quorum_down"
    ))));
    assert!(acts.contains(&Action::Fifo(format!(
        "RS [127.0.0.35]:tcp:{} [10.9.9.9]:tcp:80 DOWN\n",
        addr.port()
    ))));
    assert!(acts.contains(&Action::Fifo("VS [10.9.9.9]:tcp:80 DOWN\n".into())));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn log_all_failures_logs_each_failure_while_up() {
    let addr = sa("127.0.0.36", port());
    let srv = http_server(addr);
    let mut ck = CheckerConfig::tcp();
    ck.common_mut().log_all_failures = true;
    let mut vs = one(addr, ck);
    vs.real_servers[0].checkers[0].common_mut().alpha = Some(false);
    let mut run = start(vec![vs]);
    let (r, _) = run.next_transition(Duration::from_secs(5)).await;
    assert!(has_log(&r, "TCP connection to [127.0.0.36]"));
    drop(srv);
    let line = format!("TCP connection to [127.0.0.36]:tcp:{} failed.", addr.port());
    let mut failures = 0;
    loop {
        let r = tokio::time::timeout(Duration::from_secs(10), run.rx.recv())
            .await
            .unwrap()
            .unwrap();
        failures += r
            .actions
            .iter()
            .filter(|a| matches!(a, Action::Log(l) if *l == line))
            .count();
        if r.transition.is_some() {
            assert_eq!(r.transition, Some(Transition::Down { retries: 2 }));
            break;
        }
    }
    // the regular check and its two retries
    assert_eq!(failures, 3);
    run.running.shutdown().await;
}

/// A real server that accepts TCP and then never answers HTTP must not hold up another real
/// server's checks: the TCP checker goes down on its own schedule while the HTTP check hangs.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hanging_server_does_not_delay_other_checks() {
    let hang_addr = sa("127.0.0.37", port());
    // listens (the kernel completes handshakes into the backlog) but never reads or writes
    let _hang = std::net::TcpListener::bind(hang_addr).unwrap();
    let tcp_addr = sa("127.0.0.38", port());
    let srv = http_server(tcp_addr);

    let mut http = CheckerConfig::http(vec![UrlConfig::new("/")]);
    http.common_mut().connect_timeout = Some(Duration::from_secs(20));
    let mut vs = one(tcp_addr, CheckerConfig::tcp());
    let mut hanging = RealServerConfig::new(hang_addr);
    hanging.checkers.push(http);
    vs.real_servers.push(hanging);
    let mut run = start(vec![vs]);
    let (r, _) = run.next_transition(Duration::from_secs(5)).await;
    assert_eq!((r.id.rs, r.transition), (0, Some(Transition::Up)));
    drop(srv);
    // Down after 3 failures at 100/50/50 ms: long before the hanging check's 20 s timeout.
    let (r, _) = run.next_transition(Duration::from_secs(5)).await;
    assert_eq!(
        (r.id.rs, r.transition),
        (0, Some(Transition::Down { retries: 2 }))
    );
    run.running.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reload_resumes_checkers_without_renotifying() {
    let addr = sa("127.0.0.39", port());
    let srv = http_server(addr);
    let mut run = start(vec![one(addr, CheckerConfig::tcp())]);
    let (r, _) = run.next_transition(Duration::from_secs(5)).await;
    assert_eq!(r.transition, Some(Transition::Up));
    let old = run.running.stop().await.unwrap();
    let mut model = Model::new(
        vec![one(addr, CheckerConfig::tcp())],
        ModelOptions::default(),
    );
    model.inherit(&old);
    let (running, start_actions, table, mut rx) = keepalived_check::scheduler::run(
        model,
        keepalived_check::scheduler::SchedulerOptions {
            no_warmup: true,
            ..Default::default()
        },
    );
    assert!(
        !start_actions
            .iter()
            .any(|a| matches!(a, Action::RunScript(_)))
    );
    assert_eq!(table.services.values().next().unwrap().dests.len(), 1);
    // healthy after the reload: no transition, no notify; it still falls when the server stops
    drop(srv);
    let r = tokio::time::timeout(Duration::from_secs(10), rx.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(r.transition, Some(Transition::Down { retries: 2 }), "{r:?}");
    running.shutdown().await;
}

/// A MISC_CHECK script running `cmd` through /bin/sh (MISC_CHECK itself uses no shell).
fn sh(cmd: &str) -> RunScript {
    RunScript::new(vec!["/bin/sh".into(), "-c".into(), cmd.into()])
}
