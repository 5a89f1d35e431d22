//! Scripts as keepalived 2.2.7 runs them (security review H3, H4, H5, M3, L2): which scripts
//! `enable_script_security` refuses, whom scripts run as by default, the notify FIFO's mode and
//! owner, the umask scripts see, and no FIFO script outliving a SIGKILLed daemon. Each test runs
//! the daemon chosen by KEEPALIVED_UNDER_TEST (ours by default) and asks for keepalived's
//! outcome; MISC_CHECK runs ours only (keepalived's checker process needs IPVS, which the test
//! kernel lacks).
#![allow(clippy::unwrap_used, clippy::expect_used)]
mod common;

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::Duration;

use common::{Host, Lan, ours, under_test_is_keepalived, wait_until};
use testbed::skip_unless_root;

const NOBODY: u32 = 65534;

fn bin(real: bool) -> String {
    if real {
        "/usr/sbin/keepalived".into()
    } else {
        ours().display().to_string()
    }
}

/// Starts the daemon through `sh -c 'PREFIX BIN ...'` in the host's namespace (so the test can
/// give it a PATH or a mount namespace of its own); PREFIX ends in an exec, so the pid is the
/// daemon's.
fn start(host: &mut Host, dir: &Path, conf: &str, prefix: &str, real: bool) -> (u32, PathBuf) {
    let cf = dir.join("keepalived.conf");
    std::fs::write(&cf, conf).unwrap();
    let log = dir.join("log");
    let p = |n: &str| dir.join(n).display().to_string();
    let line = format!(
        "{prefix} {} -n -l -G -D -f {} -p {} -r {} -c {} -b {}",
        bin(real),
        cf.display(),
        p("main.pid"),
        p("vrrp.pid"),
        p("check.pid"),
        p("bfd.pid")
    );
    let pid = host.spawn(&["sh", "-c", &line], &log);
    (pid, log)
}

fn chmod(p: &Path, m: u32) {
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(m)).unwrap();
}

fn nobody(p: &Path) {
    std::os::unix::fs::lchown(p, Some(NOBODY), Some(NOBODY)).unwrap();
}

/// A script appending its tag and uid to `out`.
fn tag_script(path: &Path, tag: &str, out: &Path, mode: u32) {
    std::fs::write(
        path,
        format!("#!/bin/sh\necho \"{tag} $(id -u)\" >> {}\n", out.display()),
    )
    .unwrap();
    chmod(path, mode);
}

fn instance(n: u8, notify: &str) -> String {
    format!(
        "vrrp_instance VI_{n} {{\n  state MASTER\n  interface eth0\n  virtual_router_id {}\n  \
         priority 150\n  advert_int 1\n  notify_master \"{notify}\"\n  \
         virtual_ipaddress {{\n    10.97.0.{}/24\n  }}\n}}\n",
        40 + n,
        100 + n
    )
}

fn stop(pid: u32) {
    let _ = nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(pid as i32),
        nix::sys::signal::Signal::SIGTERM,
    );
    wait_until(Duration::from_secs(5), || {
        std::fs::read_to_string(format!("/proc/{pid}/stat"))
            .map(|s| s.contains(") Z "))
            .unwrap_or(true)
    });
}

/// H3: the review's rows A-F as notify_master scripts of six instances, script security on
/// and script_user root. Only F (a root 0755 file in root directories) runs.
#[test]
fn script_security_refuses_what_keepalived_refuses() {
    skip_unless_root!();
    let real = under_test_is_keepalived();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    chmod(d, 0o755);
    let out = d.join("ran");
    // A: root 0777 file.
    let a = d.join("a.sh");
    tag_script(&a, "A", &out, 0o777);
    // B: a file owned by nobody, 0555.
    let b = d.join("b.sh");
    tag_script(&b, "B", &out, 0o555);
    nobody(&b);
    // C: a root symlink to a root 0755 file in a nobody-owned directory.
    let nobdir = d.join("nobdir");
    std::fs::create_dir(&nobdir).unwrap();
    chmod(&nobdir, 0o755);
    nobody(&nobdir);
    tag_script(&nobdir.join("real.sh"), "C", &out, 0o755);
    let c = d.join("c.sh");
    std::os::unix::fs::symlink(nobdir.join("real.sh"), &c).unwrap();
    // D: a bare name found on PATH in a 0777 directory.
    let open = d.join("openbin");
    std::fs::create_dir(&open).unwrap();
    chmod(&open, 0o777);
    tag_script(&open.join("revbare.sh"), "D", &out, 0o755);
    // E: a root 0755 file in a nobody-owned 1777 directory.
    let sticky = d.join("sticky");
    std::fs::create_dir(&sticky).unwrap();
    chmod(&sticky, 0o1777);
    nobody(&sticky);
    let e = sticky.join("e.sh");
    tag_script(&e, "E", &out, 0o755);
    // F: a root 0755 file in root directories.
    let f = d.join("f.sh");
    tag_script(&f, "F", &out, 0o755);
    let scripts = [
        a.display().to_string(),
        b.display().to_string(),
        c.display().to_string(),
        "revbare.sh".to_string(),
        e.display().to_string(),
        f.display().to_string(),
    ];
    let mut conf =
        "global_defs {\n  router_id n1\n  enable_script_security\n  script_user root\n}\n"
            .to_string();
    for (k, s) in scripts.iter().enumerate() {
        conf.push_str(&instance(k as u8 + 1, s));
    }
    let mut lan = Lan::new(&[("node", "eth0", "10.97.0.1/24")]);
    let path = format!("PATH={}:/usr/sbin:/usr/bin:/sbin:/bin", open.display());
    let (pid, log) = start(
        lan.host("node"),
        d,
        &conf,
        &format!("export {path}; exec"),
        real,
    );
    let log_text = || std::fs::read_to_string(&log).unwrap_or_default();
    let all_master = wait_until(Duration::from_secs(10), || {
        (1..=6).all(|n| lan.hosts[0].holds(&format!("10.97.0.{}", 100 + n)))
    });
    assert!(all_master, "{}", log_text());
    assert!(
        wait_until(Duration::from_secs(5), || std::fs::read_to_string(&out)
            .is_ok_and(|t| t.contains("F 0"))),
        "{}",
        log_text()
    );
    stop(pid);
    let ran = std::fs::read_to_string(&out).unwrap();
    assert_eq!(ran.trim(), "F 0", "only F may run\n{}", log_text());
    let text = log_text();
    let real_dir = std::fs::canonicalize(d).unwrap();
    for unsafe_path in [
        real_dir.join("a.sh"),
        real_dir.join("b.sh"),
        real_dir.join("nobdir/real.sh"),
        real_dir.join("openbin/revbare.sh"),
        real_dir.join("sticky/e.sh"),
    ] {
        let line = format!(
            "Unsafe permissions found for script '{}' - disabling.",
            unsafe_path.display()
        );
        assert!(text.contains(&line), "missing `{line}`\n{text}");
    }
    let warn = format!(
        "WARNING - script `revbare.sh` resolved by path search to `{}/revbare.sh`. Please specify full path.",
        open.display()
    );
    assert!(text.contains(&warn), "missing `{warn}`\n{text}");
}

/// H5 and M3: without script_user, scripts run as keepalived_script when that user exists
/// (here added to bind-mounted copies of /etc/passwd and /etc/group in a mount namespace of the
/// daemon's own), else as root; scripts see keepalived's umask 0177; the notify FIFO is 0600 and
/// owned by the default script user.
#[test]
fn default_script_user_and_fifo_owner() {
    skip_unless_root!();
    let real = under_test_is_keepalived();
    for with_user in [true, false] {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        chmod(d, 0o755);
        let out = d.join("out");
        std::fs::create_dir(&out).unwrap();
        chmod(&out, 0o777);
        let (passwd, group) = (d.join("passwd"), d.join("group"));
        let mut pw = std::fs::read_to_string("/etc/passwd").unwrap();
        let mut gr = std::fs::read_to_string("/etc/group").unwrap();
        if with_user {
            pw.push_str("keepalived_script:x:64999:64999::/nonexistent:/usr/sbin/nologin\n");
            gr.push_str("keepalived_script:x:64999:\n");
        }
        std::fs::write(&passwd, pw).unwrap();
        std::fs::write(&group, gr).unwrap();
        chmod(&passwd, 0o644);
        chmod(&group, 0o644);
        let fifo = d.join("notify.fifo");
        let conf = format!(
            "global_defs {{\n  router_id n1\n  notify_fifo {}\n}}\n{}",
            fifo.display(),
            instance(
                1,
                &format!(
                    "/bin/sh -c 'id -u > {0}/uid; umask > {0}/umask'",
                    out.display()
                )
            )
        );
        let mut lan = Lan::new(&[("node", "eth0", "10.97.0.1/24")]);
        // umask 022 as a shell would leave it: the daemon sets its own.
        let prefix = format!(
            "umask 022; exec unshare -m --propagation private sh -c 'mount --bind {} /etc/passwd && \
             mount --bind {} /etc/group && exec \"$@\"' sh",
            passwd.display(),
            group.display()
        );
        let (pid, log) = start(lan.host("node"), d, &conf, &prefix, real);
        let log_text = || std::fs::read_to_string(&log).unwrap_or_default();
        let umask_file = out.join("umask");
        assert!(
            wait_until(Duration::from_secs(10), || std::fs::read_to_string(
                &umask_file
            )
            .is_ok_and(|t| !t.is_empty())),
            "{}",
            log_text()
        );
        let want_uid = if with_user { 64999 } else { 0 };
        assert_eq!(
            std::fs::read_to_string(out.join("uid")).unwrap().trim(),
            want_uid.to_string(),
            "{}",
            log_text()
        );
        assert_eq!(std::fs::read_to_string(&umask_file).unwrap().trim(), "0177");
        let md = std::fs::symlink_metadata(&fifo).unwrap();
        assert_eq!(md.mode() & 0o777, 0o600, "fifo mode");
        assert_eq!((md.uid(), md.gid()), (want_uid, want_uid), "fifo owner");
        stop(pid);
    }
}

/// L2: a FIFO script does not outlive a SIGKILLed daemon (PR_SET_PDEATHSIG).
#[test]
fn fifo_script_dies_with_the_daemon() {
    skip_unless_root!();
    let real = under_test_is_keepalived();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    chmod(d, 0o755);
    let pidf = d.join("script.pid");
    let fifo = d.join("notify.fifo");
    let conf = format!(
        "global_defs {{\n  router_id n1\n  notify_fifo {}\n  notify_fifo_script \"/bin/sh -c 'echo $$ > {}; exec sleep 300'\" root\n}}\n{}",
        fifo.display(),
        pidf.display(),
        instance(1, "/bin/true")
    );
    let mut lan = Lan::new(&[("node", "eth0", "10.97.0.1/24")]);
    let (pid, log) = start(lan.host("node"), d, &conf, "exec", real);
    let log_text = || std::fs::read_to_string(&log).unwrap_or_default();
    assert!(
        wait_until(Duration::from_secs(10), || std::fs::read_to_string(&pidf)
            .is_ok_and(|t| t.trim().parse::<i32>().is_ok())),
        "{}",
        log_text()
    );
    let script: i32 = std::fs::read_to_string(&pidf)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    let alive = |p: i32| {
        std::fs::read_to_string(format!("/proc/{p}/stat"))
            .map(|s| !s.contains(") Z "))
            .unwrap_or(false)
    };
    assert!(alive(script));
    let _ = nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(pid as i32),
        nix::sys::signal::Signal::SIGKILL,
    );
    assert!(
        wait_until(Duration::from_secs(5), || !alive(script)),
        "FIFO script {script} outlived the daemon\n{}",
        log_text()
    );
}

/// H4 (ours only: keepalived's checker process needs IPVS): MISC_CHECK honours script security
/// and the default script user. A 0777 script run as root (its `user root`) is removed with
/// keepalived's line and never runs; one without a user runs as script_user. (A 0777 script run
/// as nobody is not path-checked, by keepalived either: it gives its writer nobody's rights only.)
#[test]
fn misc_check_is_vetted_and_runs_as_script_user() {
    skip_unless_root!();
    if under_test_is_keepalived() {
        eprintln!("skipped under keepalived: its checker process needs IPVS");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    chmod(d, 0o755);
    let out = d.join("out");
    std::fs::create_dir(&out).unwrap();
    chmod(&out, 0o777);
    let bad = d.join("miscww.sh");
    tag_script(&bad, "BAD", &out.join("ran"), 0o777);
    let good = d.join("miscok.sh");
    tag_script(&good, "OK", &out.join("ran"), 0o755);
    let conf = format!(
        "global_defs {{\n  router_id n1\n  enable_script_security\n  script_user nobody\n}}\n\
         virtual_server 10.97.0.200 80 {{\n  delay_loop 1\n  lb_kind NAT\n  protocol TCP\n  \
         real_server 10.97.0.2 80 {{\n    MISC_CHECK {{\n      misc_path \"{}\"\n      user root\n    }}\n  }}\n  \
         real_server 10.97.0.3 80 {{\n    MISC_CHECK {{\n      misc_path \"{}\"\n    }}\n  }}\n}}\n",
        bad.display(),
        good.display()
    );
    let mut lan = Lan::new(&[("node", "eth0", "10.97.0.1/24")]);
    let (pid, log) = start(lan.host("node"), d, &conf, "exec", false);
    let log_text = || std::fs::read_to_string(&log).unwrap_or_default();
    let ran = out.join("ran");
    assert!(
        wait_until(Duration::from_secs(10), || std::fs::read_to_string(&ran)
            .is_ok_and(|t| t.lines().count() >= 2)),
        "{}",
        log_text()
    );
    stop(pid);
    let text = std::fs::read_to_string(&ran).unwrap();
    assert!(
        text.lines().all(|l| l == format!("OK {NOBODY}")),
        "{text}\n{}",
        log_text()
    );
    let real_bad = std::fs::canonicalize(&bad).unwrap();
    let line = format!(
        "Disabling misc script '{}' due to insecure",
        real_bad.display()
    );
    assert!(
        log_text().contains(&line),
        "missing `{line}`\n{}",
        log_text()
    );
}
