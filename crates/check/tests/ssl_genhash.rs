//! SSL_GET against `openssl s_server` (self-signed: keepalived does not verify), SNI, and
//! genhash compared with keepalived's own genhash on the same servers.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::cell::RefCell;
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use common::*;
use keepalived_check::genhash::{self, GenhashOptions};
use keepalived_check::*;

fn cert(dir: &Path, cn: &str, name: &str) {
    let ok = Command::new("openssl")
        .args([
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj",
        ])
        .arg(format!("/CN={cn}"))
        .arg("-keyout")
        .arg(dir.join(format!("{name}.key")))
        .arg("-out")
        .arg(dir.join(format!("{name}.pem")))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .unwrap()
        .success();
    assert!(ok);
}

fn s_server(dir: &Path, addr: SocketAddr, sni: bool) -> Proc {
    let mut cmd = Command::new("openssl");
    cmd.current_dir(dir)
        .args(["s_server", "-quiet", "-WWW", "-accept"])
        .arg(addr.to_string())
        .args(["-cert", "a.pem", "-key", "a.key"]);
    if sni {
        cmd.args([
            "-servername",
            "www.example.test",
            "-cert2",
            "b.pem",
            "-key2",
            "b.key",
            "-servername_fatal",
        ]);
    }
    let p = Proc(
        cmd.stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    wait_tcp(addr);
    p
}

fn ssl_get(path: &str, vhost: Option<&str>, sni: bool, digest: Option<String>) -> CheckerConfig {
    let mut u = UrlConfig::new(path);
    u.digest = digest;
    CheckerConfig::Ssl {
        common: CheckerCommon::default(),
        http: HttpGetConfig {
            urls: vec![u],
            virtualhost: vhost.map(str::to_string),
            enable_sni: sni,
            ..Default::default()
        },
    }
}

fn md5_hex(b: &[u8]) -> String {
    probe::http::hex(&<md5::Md5 as md5::Digest>::digest(b))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ssl_get_cycle_against_openssl() {
    let dir = tempfile::tempdir().unwrap();
    cert(dir.path(), "a.test", "a");
    std::fs::write(dir.path().join("index.html"), "hello tls\n").unwrap();
    let addr: SocketAddr = format!("127.0.0.32:{}", port()).parse().unwrap();
    let d = dir.path().to_path_buf();
    let srv = RefCell::new(Some(s_server(&d, addr, false)));
    cycle(
        addr,
        ssl_get("/index.html", None, false, Some(md5_hex(b"hello tls\n"))),
        &format!(
            "Remote Web server [127.0.0.32]:tcp:{} succeed on service.",
            addr.port()
        ),
        &format!(
            // keepalived's SSL_GET says HTTP_CHECK (check_http.c; tests/checkers_vm.rs).
            "HTTP_CHECK on service [127.0.0.32]:tcp:{} failed after 2 retries.",
            addr.port()
        ),
        || drop(srv.borrow_mut().take()),
        || *srv.borrow_mut() = Some(s_server(&d, addr, false)),
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ssl_get_sends_sni_only_when_enabled() {
    let dir = tempfile::tempdir().unwrap();
    cert(dir.path(), "a.test", "a");
    cert(dir.path(), "www.example.test", "b");
    std::fs::write(dir.path().join("index.html"), "sni\n").unwrap();
    let addr: SocketAddr = format!("127.0.0.33:{}", port()).parse().unwrap();
    let _srv = s_server(dir.path(), addr, true);
    let t = Duration::from_secs(3);
    let run = |ck: CheckerConfig| async move { probe::check(&ck, addr, t).await };
    assert!(
        run(ssl_get("/index.html", Some("www.example.test"), true, None))
            .await
            .ok
    );
    // A wrong name with SNI on: s_server refuses the handshake (servername_fatal).
    let v = run(ssl_get("/index.html", Some("wrong.test"), true, None)).await;
    assert!(!v.ok, "{v:?}");
    // SNI off: no name sent, no mismatch, whatever the virtualhost.
    assert!(
        run(ssl_get("/index.html", Some("wrong.test"), false, None))
            .await
            .ok
    );
}

fn real_genhash(args: &[&str]) -> Option<String> {
    let out = Command::new("genhash").args(args).output().ok()?;
    Some(String::from_utf8_lossy(&out.stdout).trim().to_string())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn genhash_matches_keepalived_genhash() {
    let dir = tempfile::tempdir().unwrap();
    cert(dir.path(), "a.test", "a");
    std::fs::write(dir.path().join("index.html"), "hello genhash\n").unwrap();
    let http_addr: SocketAddr = format!("127.0.0.34:{}", port()).parse().unwrap();
    let _http = http_server(http_addr);
    let tls_addr: SocketAddr = format!("127.0.0.34:{}", port()).parse().unwrap();
    let _tls = s_server(dir.path(), tls_addr, false);

    let mut o = GenhashOptions::new(http_addr.ip(), "/");
    o.port = Some(http_addr.port());
    o.virtualhost = Some("v.test".into());
    let mut out = Vec::new();
    let ours = genhash::run(&o, &mut out).await.unwrap();
    assert_eq!(ours, md5_hex(b"hello v.test"));
    assert_eq!(String::from_utf8(out).unwrap(), format!("{ours}\n"));
    let p = http_addr.port().to_string();
    if let Some(theirs) = real_genhash(&["-s", "127.0.0.34", "-p", &p, "-u", "/", "-V", "v.test"]) {
        assert_eq!(theirs, ours, "keepalived's genhash disagrees");
    }
    // Without -V both send Host: ip:port.
    o.virtualhost = None;
    let ours = genhash::run(&o, &mut Vec::new()).await.unwrap();
    if let Some(theirs) = real_genhash(&["-s", "127.0.0.34", "-p", &p, "-u", "/"]) {
        assert_eq!(theirs, ours);
    }

    let mut o = GenhashOptions::new(tls_addr.ip(), "/index.html");
    o.port = Some(tls_addr.port());
    o.ssl = true;
    let ours = genhash::run(&o, &mut Vec::new()).await.unwrap();
    assert_eq!(ours, md5_hex(b"hello genhash\n"));
    let p = tls_addr.port().to_string();
    if let Some(theirs) = real_genhash(&["-S", "-s", "127.0.0.34", "-p", &p, "-u", "/index.html"]) {
        assert_eq!(theirs, ours);
    }
    o.verbose = true;
    let mut out = Vec::new();
    genhash::run(&o, &mut out).await.unwrap();
    let text = String::from_utf8(out).unwrap();
    assert!(text.contains("HTTP Header Ascii Buffer") && text.ends_with(&format!("{ours}\n")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ssl_get_presents_the_client_certificate_of_the_ssl_block() {
    let dir = tempfile::tempdir().unwrap();
    cert(dir.path(), "a.test", "a");
    cert(dir.path(), "client.test", "client");
    std::fs::write(dir.path().join("index.html"), "mtls\n").unwrap();
    let addr: SocketAddr = format!("127.0.0.40:{}", port()).parse().unwrap();
    // -Verify: the server demands a client certificate signed by client.pem (self-signed)
    let _srv = Proc(
        Command::new("openssl")
            .current_dir(dir.path())
            .args(["s_server", "-quiet", "-WWW", "-accept", &addr.to_string()])
            .args([
                "-cert",
                "a.pem",
                "-key",
                "a.key",
                "-Verify",
                "1",
                "-CAfile",
                "client.pem",
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    wait_tcp(addr);
    let ck = ssl_get("/index.html", None, false, Some(md5_hex(b"mtls\n")));
    let t = Duration::from_secs(3);
    let ssl = SslConfig {
        certificate: Some(dir.path().join("client.pem")),
        key: Some(dir.path().join("client.key")),
        ..Default::default()
    };
    let tls = probe::http::tls_connector_for(&ssl).unwrap();
    let v = probe::check_with(&ck, addr, Some(0), Some(&tls), t).await;
    assert!(v.ok, "{v:?}");
    let v = probe::check_with(&ck, addr, Some(0), None, t).await;
    assert!(!v.ok, "no client certificate must be refused: {v:?}");
}
