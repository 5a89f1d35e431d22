//! What the log says about adverts (security review L3): a peer whose password differs is
//! reported as keepalived 2.2.7 reports it ("received an invalid passwd!"), and a master that
//! steps down names the advert's sender and priorities ("Master received advert from ... with
//! higher priority ..., ours ..."). keepalived 2.2.7 repeats a rejected advert's line (4 times in 3 s
//! here); keepalived-rs says each reason at most once per 10 s per instance (`ours_differs` in the assertion). The
//! daemon under test comes from KEEPALIVED_UNDER_TEST. Needs root.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use common::{Daemon, Lan, wait_until};
use testbed::skip_unless_root;

fn conf(me: &str, prio: u8, pass: &str) -> String {
    format!(
        "global_defs {{\n  router_id {me}\n}}\nvrrp_instance VI_1 {{\n  state BACKUP\n  \
         interface eth0\n  virtual_router_id 51\n  priority {prio}\n  advert_int 0.1\n  \
         authentication {{\n    auth_type PASS\n    auth_pass {pass}\n  }}\n  \
         virtual_ipaddress {{\n    10.99.1.100/24\n  }}\n}}\n"
    )
}

#[test]
fn ours_differs_rejected_adverts_said_once_per_period_and_the_step_down_named() {
    skip_unless_root!();
    let Some(real) = common::under_test() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let mut lan = Lan::new(&[("a", "eth0", "10.99.1.1/24"), ("b", "eth0", "10.99.1.2/24")]);
    // a alone: it becomes master.
    let a = Daemon::start(lan.host("a"), d, "a", &conf("a", 100, "1111"), real);
    assert!(
        wait_until(Duration::from_secs(8), || lan.hosts[0].holds("10.99.1.100")),
        "{}",
        a.log_text()
    );
    // b with a higher priority: a steps down and says who took over.
    let b = Daemon::start(lan.host("b"), d, "b", &conf("b", 200, "1111"), real);
    let said = wait_until(Duration::from_secs(8), || {
        a.log_text().contains(
            "(VI_1) Master received advert from 10.99.1.2 with higher priority 200, ours 100",
        )
    });
    assert!(said, "{}", a.log_text());
    b.signal(nix::sys::signal::Signal::SIGTERM);
    assert!(b.wait_gone(Duration::from_secs(10)));
    assert!(wait_until(Duration::from_secs(8), || lan.hosts[0].holds("10.99.1.100")));

    // c with another password: a rejects its adverts, for 3 s (30 adverts at 0.1 s).
    let c = Daemon::start(lan.host("b"), d, "c", &conf("c", 50, "2222"), real);
    let line = "(VI_1) received an invalid passwd!";
    assert!(
        wait_until(Duration::from_secs(8), || a.log_text().contains(line)),
        "{}",
        a.log_text()
    );
    std::thread::sleep(Duration::from_secs(3));
    let n = a.log_text().matches(line).count();
    eprintln!("'{line}' said {n} times in about 3 s of adverts every 0.1 s");
    if !real {
        assert!(
            n <= 1,
            "ours_differs: keepalived-rs says a rejected advert's reason once per 10 s, not {n} times"
        );
    }
    drop(c);
}
