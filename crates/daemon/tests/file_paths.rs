//! The files the daemon writes at paths an operator may point at a shared directory (security
//! review L1): the `-t FILE` output, the pid files and the `-g` log file are never written
//! through a symlink planted at the path, and get keepalived's modes whatever the umask.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use testbed::skip_unless_root;

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use common::{Daemon, Lan, ours, under_test_is_keepalived, wait_until};
use nix::sys::signal::Signal;

const CONF: &str = "vrrp_instance VI_1 {\n  state MASTER\n  interface eth0\n  \
    virtual_router_id 62\n  priority 150\n  advert_int 1\n  virtual_ipaddress {\n    \
    10.96.0.100/24\n  }\n}\n";

fn bin() -> PathBuf {
    if under_test_is_keepalived() {
        PathBuf::from("/usr/sbin/keepalived")
    } else {
        ours()
    }
}

/// A root-owned 0600 file the attacker's symlink points at.
fn victim(dir: &Path) -> PathBuf {
    let v = dir.join("victim");
    std::fs::write(&v, "ORIGINAL\n").unwrap();
    std::fs::set_permissions(&v, std::fs::Permissions::from_mode(0o600)).unwrap();
    v
}

fn unchanged(v: &Path) -> bool {
    std::fs::read_to_string(v).unwrap() == "ORIGINAL\n"
        && std::fs::metadata(v).unwrap().mode() & 0o7777 == 0o600
}

fn mode(p: &Path) -> u32 {
    std::fs::symlink_metadata(p).unwrap().mode() & 0o7777
}

/// `-t FILE` with a symlink at FILE: refused (keepalived: O_NOFOLLOW), the target untouched.
#[test]
fn config_test_output_refuses_a_symlink() {
    skip_unless_root!();
    let dir = tempfile::tempdir().unwrap();
    let v = victim(dir.path());
    let link = dir.path().join("t.log");
    std::os::unix::fs::symlink(&v, &link).unwrap();
    let conf = dir.path().join("keepalived.conf");
    std::fs::write(&conf, "global_defs {\n  router_id t\n}\n").unwrap();
    let lan = testbed::Lan::new("ktf").unwrap();
    let h = lan.host("eth0", &[]).unwrap();
    // `keepalived-rs --config-test=PATH -f CONF` in the namespace.
    let config_test = |path: &Path| {
        Command::new("ip")
            .args(["netns", "exec", h.netns()])
            .arg(bin())
            .arg(format!("--config-test={}", path.display()))
            .arg("-f")
            .arg(&conf)
            .stdin(Stdio::null())
            .output()
            .unwrap()
    };
    let out = config_test(&link);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("Unable to open config-test log file"), "{err}");
    assert!(unchanged(&v));
    assert!(
        std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );

    // Without the symlink: created 0644 under keepalived's umask 0177, so 0600, and appended
    // to, as keepalived does.
    let file = dir.path().join("t2.log");
    let run = || config_test(&file);
    assert_eq!(run().status.code(), Some(0));
    std::fs::write(&file, "KEPT\n").unwrap();
    assert_eq!(run().status.code(), Some(0));
    assert!(
        std::fs::read_to_string(&file)
            .unwrap()
            .starts_with("KEPT\n")
    );
    assert_eq!(mode(&file), 0o600);
}

/// Pid files with a symlink planted at their paths: the target is never written. keepalived
/// reads the link's target as a pid file and refuses to start ("daemon is already running");
/// ours does not read through the link and writes a new file renamed over it, mode 0644.
#[test]
fn pid_files_never_follow_a_symlink() {
    skip_unless_root!();
    let real = under_test_is_keepalived();
    let dir = tempfile::tempdir().unwrap();
    let v = victim(dir.path());
    let d = dir.path().join("d");
    std::fs::create_dir(&d).unwrap();
    for name in ["main.pid", "vrrp.pid"] {
        std::os::unix::fs::symlink(&v, d.join(name)).unwrap();
    }
    let mut lan = Lan::new(&[("node", "eth0", "10.96.0.1/24")]);
    let daemon = Daemon::start(lan.host("node"), dir.path(), "d", CONF, real);
    if real {
        // keepalived reads the pid file through the link, cannot make a pid of it and takes it
        // for a running daemon: it refuses to start.
        assert!(
            daemon.wait_gone(Duration::from_secs(5)),
            "{}",
            daemon.log_text()
        );
        assert!(daemon.log_text().contains("daemon is already running"));
        assert!(unchanged(&v));
        return;
    }
    // Up and holding the VIP: the pid files were written by then.
    let up = wait_until(Duration::from_secs(8), || lan.hosts[0].holds("10.96.0.100"));
    assert!(up, "{}", daemon.log_text());
    assert!(unchanged(&v), "{}", daemon.log_text());
    {
        for name in ["main.pid", "vrrp.pid"] {
            let p = d.join(name);
            let meta = std::fs::symlink_metadata(&p).unwrap();
            assert!(meta.file_type().is_file(), "{name} is still a link");
            assert_eq!(meta.mode() & 0o7777, 0o644, "{name}");
            assert_eq!(
                std::fs::read_to_string(&p).unwrap().trim(),
                daemon.pid.to_string()
            );
        }
    }
    daemon.signal(Signal::SIGTERM);
    assert!(daemon.wait_gone(Duration::from_secs(5)));
    assert!(unchanged(&v));
}

/// `-g FILE` with a symlink at FILE: the log never goes to the target; a plain path gets a
/// 0600 log file, and an existing 0644 one becomes 0600 (keepalived's fopen_safe with its umask
/// 0177). Debian's keepalived 2.2.7 is built without --enable-log-file and refuses -g.
#[test]
fn log_file_never_follows_a_symlink_and_is_0600() {
    skip_unless_root!();
    let real = under_test_is_keepalived();
    let dir = tempfile::tempdir().unwrap();
    let v = victim(dir.path());
    let link = dir.path().join("ka.log");
    std::os::unix::fs::symlink(&v, &link).unwrap();
    let plain = dir.path().join("plain.log");
    std::fs::write(&plain, "").unwrap();
    std::fs::set_permissions(&plain, std::fs::Permissions::from_mode(0o644)).unwrap();
    let mut lan = Lan::new(&[("node", "eth0", "10.96.0.1/24")]);
    let conf = dir.path().join("keepalived.conf");
    std::fs::write(&conf, CONF).unwrap();
    let start = |lan: &mut Lan, tag: &str, log: &Path| {
        let p = |n: &str| dir.path().join(format!("{tag}-{n}")).display().to_string();
        let out = dir.path().join(format!("{tag}.out"));
        let b = bin();
        let args = [
            b.to_str().unwrap(),
            "-n",
            "-l",
            "-D",
            "-f",
            conf.to_str().unwrap(),
            "-g",
            log.to_str().unwrap(),
            "-p",
            &p("main.pid"),
            "-r",
            &p("vrrp.pid"),
            "-c",
            &p("check.pid"),
        ];
        let pid = lan.host("node").spawn(&args, &out);
        (pid, out)
    };
    let stop = |pid: u32| {
        let _ = nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid as i32), Signal::SIGTERM);
        wait_until(Duration::from_secs(5), || {
            std::fs::read_to_string(format!("/proc/{pid}/stat"))
                .map(|s| s.contains(") Z "))
                .unwrap_or(true)
        })
    };
    let text = |p: &Path| std::fs::read_to_string(p).unwrap_or_default();

    let (pid, out) = start(&mut lan, "a", &link);
    if real {
        // Refused at the command line, or run without a log file: either way not through the link.
        std::thread::sleep(Duration::from_secs(2));
        assert!(unchanged(&v), "{}", text(&out));
        stop(pid);
        return;
    }
    let up = wait_until(Duration::from_secs(8), || lan.hosts[0].holds("10.96.0.100"));
    assert!(up, "{}", text(&out));
    assert!(unchanged(&v), "{}", text(&out));
    assert!(text(&out).contains("Unable to open"), "{}", text(&out));
    assert!(stop(pid));

    let (pid, out) = start(&mut lan, "b", &plain);
    let logged = wait_until(Duration::from_secs(8), || text(&plain).contains("Starting"));
    assert!(logged, "{}", text(&out));
    assert_eq!(mode(&plain), 0o600);
    assert!(stop(pid));
    assert!(unchanged(&v));
}
