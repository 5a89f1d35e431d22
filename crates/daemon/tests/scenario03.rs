//! Scenario 03-tracked-nginx (tests/scenarios/03-tracked-nginx/EXPECT.md): a vrrp_script moves
//! mastership, notify scripts record their arguments, each state change sends a mail.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use testbed::skip_unless_root;

use std::net::TcpListener;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::time::Duration;

use common::{Daemon, Lan, under_test_is_keepalived, wait_until};
use nix::sys::signal::Signal;

const NODE1: &str = include_str!("scenarios/03-tracked-nginx/node1.conf");
const NODE2: &str = include_str!("scenarios/03-tracked-nginx/node2.conf");
const VIP: &str = "172.16.100.22";

/// Points the user's service commands at recording scripts and the nginx check at a flag file.
fn adapt(conf: &str, dir: &Path) -> String {
    let rec = dir.join("rec.sh");
    std::fs::write(
        &rec,
        format!(
            "#!/bin/sh\necho \"$*\" >> {}\n",
            dir.join("calls").display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&rec, std::fs::Permissions::from_mode(0o755)).unwrap();
    let r = rec.display();
    conf.replace(
        "\"killall -0 nginx\"",
        &format!("\"test -e {}\"", dir.join("nginx-up").display()),
    )
    .replace(
        "\"/etc/rc.d/init.d/nginx start\"",
        &format!("\"{r} start\""),
    )
    .replace("\"/etc/rc.d/init.d/nginx stop\"", &format!("\"{r} stop\""))
    .replace(
        "    track_script {",
        &format!("    notify {r}\n    track_script {{"),
    )
    .replace("auth_pass 123456", "auth_pass 1234567890")
    // keepalived sends no mail without smtp_alert (keepalived.conf(5): "default no").
    .replace(
        "    smtp_connect_timeout 30\n",
        "    smtp_connect_timeout 30\n    smtp_alert\n",
    )
}

/// An SMTP sink listening on 127.0.0.1:25 inside the host's namespace.
fn smtp_in(host: &testbed::Host) -> common::smtp::Inbox {
    // A socket keeps the namespace it was created in.
    let l = host
        .run(|| TcpListener::bind("127.0.0.1:25").unwrap())
        .unwrap();
    common::smtp::serve(l)
}

fn calls(dir: &Path) -> Vec<String> {
    std::fs::read_to_string(dir.join("calls"))
        .unwrap_or_default()
        .lines()
        .map(str::to_string)
        .collect()
}

fn count(dir: &Path, what: &str) -> usize {
    calls(dir).iter().filter(|l| l.as_str() == what).count()
}

#[test]
fn scenario03_tracked_script_moves_master_with_notifies_and_mail() {
    skip_unless_root!();
    let real = under_test_is_keepalived();
    let dir = tempfile::tempdir().unwrap();
    let mut lan = Lan::new(&[
        ("node1", "eth0", "172.16.100.7/16"),
        ("node2", "eth0", "172.16.100.8/16"),
    ]);
    let (d1dir, d2dir) = (dir.path().join("n1"), dir.path().join("n2"));
    std::fs::create_dir_all(&d1dir).unwrap();
    std::fs::create_dir_all(&d2dir).unwrap();
    std::fs::write(d1dir.join("nginx-up"), "").unwrap();
    std::fs::write(d2dir.join("nginx-up"), "").unwrap();
    let mail1 = smtp_in(&lan.hosts[0].tb);
    let mail2 = smtp_in(&lan.hosts[1].tb);
    // Priorities 100 and 99 give Master_Down_Intervals 4 ms apart: two daemons started together
    // can both time out of BACKUP (keepalived too). node1 first, as a user brings a pair up.
    let d1 = Daemon::start(lan.host("node1"), &d1dir, "d", &adapt(NODE1, &d1dir), real);
    assert!(wait_until(Duration::from_secs(8), || lan.hosts[0].holds(VIP)));
    let d2 = Daemon::start(lan.host("node2"), &d2dir, "d", &adapt(NODE2, &d2dir), real);
    let logs = || {
        format!(
            "node1:\n{}\n{:?}\nnode2:\n{}\n{:?}",
            d1.log_text(),
            calls(&d1dir),
            d2.log_text(),
            calls(&d2dir)
        )
    };

    // 1. node1 master, its notify_master once; node2's notify_backup once.
    assert!(
        wait_until(Duration::from_secs(8), || lan.hosts[0].holds(VIP)
            && count(&d1dir, "start") == 1
            && count(&d2dir, "stop") == 1),
        "{}",
        logs()
    );
    assert!(!lan.hosts[1].holds(VIP));
    assert!(calls(&d1dir).contains(&"INSTANCE VI_1 MASTER 100".to_string()));

    // 2. nginx dies on node1: 2 failed checks, priority 95 < 99, node2 preempts.
    std::fs::remove_file(d1dir.join("nginx-up")).unwrap();
    assert!(
        wait_until(Duration::from_secs(12), || lan.hosts[1].holds(VIP)
            && !lan.hosts[0].holds(VIP)),
        "{}",
        logs()
    );
    assert!(
        wait_until(Duration::from_secs(3), || {
            calls(&d2dir).contains(&"INSTANCE VI_1 MASTER 99".to_string())
                && calls(&d1dir).contains(&"INSTANCE VI_1 BACKUP 95".to_string())
        }),
        "{}",
        logs()
    );
    assert_eq!(count(&d2dir, "start"), 1, "{}", logs());

    // 3. nginx is back: 1 good check, priority 100 again, node1 preempts back.
    std::fs::write(d1dir.join("nginx-up"), "").unwrap();
    assert!(
        wait_until(Duration::from_secs(12), || lan.hosts[0].holds(VIP)
            && !lan.hosts[1].holds(VIP)),
        "{}",
        logs()
    );
    assert!(
        wait_until(Duration::from_secs(3), || count(&d1dir, "start") == 2),
        "{}",
        logs()
    );

    // 4. Every state change sent a mail to the local SMTP server.
    let ok = wait_until(Duration::from_secs(5), || {
        let s1 = mail1.subjects();
        let s2 = mail2.subjects();
        s1.iter()
            .filter(|s| s.contains("Entering MASTER state"))
            .count()
            >= 2
            && s2.iter().any(|s| s.contains("Entering MASTER state"))
    });
    assert!(
        ok,
        "mails: {:?} {:?}\n{}",
        mail1.subjects(),
        mail2.subjects(),
        logs()
    );

    // 5. The 10-character password was cut to 8 (the two nodes still agree), with a warning.
    if !real {
        assert!(
            d1.log_text()
                .contains("auth_pass is longer than 8 characters: it is cut to")
        );
    }
    d1.signal(Signal::SIGTERM);
    d2.signal(Signal::SIGTERM);
    d1.wait_gone(Duration::from_secs(5));
    d2.wait_gone(Duration::from_secs(5));
}
