//! Table rules on the pure model and accounting: sorry server, quorum with hysteresis,
//! inhibit, alpha, omega, dynamic weights, groups, the diff, and rise/fall on a simulated clock.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::SocketAddr;
use std::time::Duration;

use keepalived_check::*;

fn sa(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

fn vs_with(n: usize) -> VirtualServerConfig {
    let mut vs = VirtualServerConfig::new(VsIdent::Addr(sa("10.0.0.1:80")));
    for i in 0..n {
        let mut rs = RealServerConfig::new(sa(&format!("10.0.1.{}:80", i + 1)));
        rs.checkers.push(CheckerConfig::tcp());
        rs.notify_up = Some(Script::new(format!("/bin/up {i}")));
        rs.notify_down = Some(Script::new(format!("/bin/down {i}")));
        vs.real_servers.push(rs);
    }
    vs
}

fn id(rs: usize) -> CheckerId {
    CheckerId {
        vs: 0,
        rs,
        checker: 0,
    }
}

fn dests(m: &Model) -> Vec<(String, u32)> {
    let t = m.table();
    let svc = t.services.values().next().unwrap();
    svc.dests
        .iter()
        .map(|(a, d)| (a.to_string(), d.weight))
        .collect()
}

const DOWN: Transition = Transition::Down { retries: 1 };

#[test]
fn down_and_up_with_notifies_and_fifo_lines() {
    let mut m = Model::new(vec![vs_with(2)], ModelOptions::default());
    m.start();
    assert_eq!(dests(&m).len(), 2);
    let acts = m.on_transition(id(0), DOWN);
    assert!(acts.contains(&Action::Log(
        "Removing service [10.0.1.1]:tcp:80 from VS [10.0.0.1]:tcp:80".into()
    )));
    assert!(acts.contains(&Action::RunScript(Script::new("/bin/down 0"))));
    assert!(acts.contains(&Action::Fifo(
        "RS [10.0.1.1]:tcp:80 [10.0.0.1]:tcp:80 DOWN\n".into()
    )));
    assert_eq!(dests(&m), vec![("10.0.1.2:80".to_string(), 1)]);
    let acts = m.on_transition(id(0), Transition::Up);
    assert!(acts.contains(&Action::Fifo(
        "RS [10.0.1.1]:tcp:80 [10.0.0.1]:tcp:80 UP\n".into()
    )));
    assert_eq!(dests(&m).len(), 2);
}

#[test]
fn sorry_server_replaces_pool_when_all_down_and_leaves_on_recovery() {
    let mut vs = vs_with(2);
    vs.sorry_server = Some(SorryServerConfig {
        addr: sa("127.0.0.1:80"),
        inhibit: false,
        forwarding: None,
    });
    let mut m = Model::new(vec![vs], ModelOptions::default());
    m.start();
    m.on_transition(id(0), DOWN);
    assert_eq!(dests(&m), vec![("10.0.1.2:80".to_string(), 1)]);
    let acts = m.on_transition(id(1), DOWN);
    assert!(acts.contains(&Action::Fifo("VS [10.0.0.1]:tcp:80 DOWN\n".into())));
    assert!(acts.contains(&Action::Log(
        "Adding sorry server [127.0.0.1]:tcp:80 to VS [10.0.0.1]:tcp:80".into()
    )));
    assert_eq!(dests(&m), vec![("127.0.0.1:80".to_string(), 1)]);
    let acts = m.on_transition(id(1), Transition::Up);
    assert!(acts.contains(&Action::Fifo("VS [10.0.0.1]:tcp:80 UP\n".into())));
    assert_eq!(dests(&m), vec![("10.0.1.2:80".to_string(), 1)]);
}

#[test]
fn sorry_server_inhibit_keeps_it_at_weight_zero() {
    let mut vs = vs_with(1);
    vs.sorry_server = Some(SorryServerConfig {
        addr: sa("127.0.0.1:80"),
        inhibit: true,
        forwarding: None,
    });
    let mut m = Model::new(vec![vs], ModelOptions::default());
    m.start();
    assert!(dests(&m).contains(&("127.0.0.1:80".to_string(), 0)));
    m.on_transition(id(0), DOWN);
    assert_eq!(dests(&m), vec![("127.0.0.1:80".to_string(), 1)]);
}

#[test]
fn quorum_with_hysteresis_needs_more_to_gain_than_to_keep() {
    let mut vs = vs_with(4);
    vs.quorum = 3;
    vs.hysteresis = 1;
    vs.quorum_up = Some(Script::new("/bin/qup"));
    vs.quorum_down = Some(Script::new("/bin/qdown"));
    vs.sorry_server = Some(SorryServerConfig {
        addr: sa("127.0.0.1:80"),
        inhibit: false,
        forwarding: None,
    });
    let mut m = Model::new(vec![vs], ModelOptions::default());
    m.start();
    assert!(m.quorum_up(0));
    m.on_transition(id(0), DOWN); // 3 live
    m.on_transition(id(1), DOWN); // 2 live: still >= 3-1
    assert!(m.quorum_up(0));
    let acts = m.on_transition(id(2), DOWN); // 1 live: lost
    assert!(!m.quorum_up(0));
    assert!(acts.contains(&Action::RunScript(Script::new("/bin/qdown"))));
    assert!(acts.contains(&Action::Log(
        "Lost quorum 3-1=2 > 1 for VS [10.0.0.1]:tcp:80".into()
    )));
    assert_eq!(dests(&m), vec![("127.0.0.1:80".to_string(), 1)]);
    m.on_transition(id(2), Transition::Up); // 2 live: not enough to regain (needs 4)
    assert!(!m.quorum_up(0));
    m.on_transition(id(1), Transition::Up); // 3 live
    assert!(!m.quorum_up(0));
    let acts = m.on_transition(id(0), Transition::Up); // 4 live: gained
    assert!(m.quorum_up(0));
    assert!(acts.contains(&Action::RunScript(Script::new("/bin/qup"))));
    assert!(acts.contains(&Action::Log(
        "Gained quorum 3+1=4 <= 4 for VS [10.0.0.1]:tcp:80".into()
    )));
    assert_eq!(dests(&m).len(), 4);
}

#[test]
fn inhibit_on_failure_sets_weight_zero_instead_of_removal() {
    let mut vs = vs_with(2);
    vs.real_servers[0].inhibit_on_failure = Some(true);
    vs.real_servers[0].weight = 5;
    let mut m = Model::new(vec![vs], ModelOptions::default());
    m.start();
    let acts = m.on_transition(id(0), DOWN);
    assert!(acts.contains(&Action::Log(
        "Disabling service [10.0.1.1]:tcp:80 of VS [10.0.0.1]:tcp:80".into()
    )));
    assert_eq!(
        dests(&m),
        vec![
            ("10.0.1.1:80".to_string(), 0),
            ("10.0.1.2:80".to_string(), 1)
        ]
    );
    m.on_transition(id(0), Transition::Up);
    assert!(dests(&m).contains(&("10.0.1.1:80".to_string(), 5)));
}

#[test]
fn alpha_starts_down_and_first_failure_announces_down() {
    let mut vs = vs_with(1);
    vs.alpha = true;
    vs.sorry_server = Some(SorryServerConfig {
        addr: sa("127.0.0.1:80"),
        inhibit: false,
        forwarding: None,
    });
    let mut m = Model::new(vec![vs.clone()], ModelOptions::default());
    let acts = m.start();
    assert!(
        acts.iter()
            .any(|a| matches!(a, Action::Log(l) if l.starts_with("Starting with quorum down")))
    );
    assert_eq!(dests(&m), vec![("127.0.0.1:80".to_string(), 1)]);
    // Accounting in alpha mode: first failure is InitialDown (announce, no change).
    let timing = Timing::resolve(&vs, &vs.real_servers[0], &vs.real_servers[0].checkers[0]);
    let mut acc = Accounting::new(timing);
    assert!(!acc.is_up());
    let step = acc.on_verdict(false);
    assert_eq!(step.transition, Some(Transition::InitialDown));
    let acts = m.on_transition(id(0), step.transition.unwrap());
    assert!(acts.contains(&Action::RunScript(Script::new("/bin/down 0"))));
    let step = acc.on_verdict(true);
    assert_eq!(step.transition, Some(Transition::Up));
    m.on_transition(id(0), Transition::Up);
    assert_eq!(dests(&m), vec![("10.0.1.1:80".to_string(), 1)]);
}

#[test]
fn omega_runs_down_notifiers_on_shutdown_and_plain_does_not() {
    let mut vs = vs_with(1);
    vs.quorum_down = Some(Script::new("/bin/qdown"));
    let mut m = Model::new(vec![vs.clone()], ModelOptions::default());
    m.start();
    let acts = m.shutdown();
    assert!(!acts.iter().any(|a| matches!(a, Action::RunScript(_))));
    vs.omega = true;
    let mut m = Model::new(vec![vs], ModelOptions::default());
    m.start();
    let acts = m.shutdown();
    assert!(acts.contains(&Action::RunScript(Script::new("/bin/down 0"))));
    assert!(acts.contains(&Action::RunScript(Script::new("/bin/qdown"))));
    assert!(acts.contains(&Action::Fifo("VS [10.0.0.1]:tcp:80 DOWN\n".into())));
}

#[test]
fn misc_dynamic_weight_changes_table_and_quorum() {
    let mut vs = vs_with(1);
    vs.quorum = 5;
    let mut m = Model::new(vec![vs], ModelOptions::default());
    m.start();
    assert!(!m.quorum_up(0));
    let acts = m.on_dynamic_weight(id(0), Some(probe::DynamicWeight::Set(8)));
    assert!(acts.contains(&Action::Log(
        "Changing weight from 1 to 8 for active service [10.0.1.1]:tcp:80 of VS [10.0.0.1]:tcp:80"
            .into()
    )));
    assert!(m.quorum_up(0));
    assert_eq!(dests(&m), vec![("10.0.1.1:80".to_string(), 8)]);
}

#[test]
fn group_expands_to_services_and_thresholds_reach_dests() {
    let mut vs = vs_with(1);
    vs.ident = VsIdent::Group {
        name: "g".into(),
        port: 80,
    };
    vs.group_entries = vec![
        GroupEntry::Range {
            first: "10.0.0.1".parse().unwrap(),
            last: "10.0.0.3".parse().unwrap(),
            port: 80,
        },
        GroupEntry::Fwmark(7, None),
    ];
    vs.real_servers[0].uthreshold = Some(100);
    vs.real_servers[0].lthreshold = Some(10);
    let mut m = Model::new(vec![vs], ModelOptions::default());
    m.start();
    let t = m.table();
    assert_eq!(t.services.len(), 4);
    for s in t.services.values() {
        let d = s.dests.values().next().unwrap();
        assert_eq!((d.uthreshold, d.lthreshold), (Some(100), Some(10)));
    }
    let acts = m.on_transition(id(0), DOWN);
    assert!(acts.contains(&Action::Fifo("RS [10.0.1.1]:tcp:80 [g]:80 DOWN\n".into())));
}

#[test]
fn ha_suspend_pauses_checkers() {
    let mut vs = vs_with(1);
    vs.ha_suspend = true;
    let mut m = Model::new(vec![vs], ModelOptions::default());
    assert!(m.checkers_enabled(0));
    m.set_address_present(0, false);
    assert!(!m.checkers_enabled(0));
    m.set_address_present(0, true);
    assert!(m.checkers_enabled(0));
}

#[test]
fn diff_turns_one_table_into_the_next() {
    let mut vs = vs_with(2);
    vs.sorry_server = Some(SorryServerConfig {
        addr: sa("127.0.0.1:80"),
        inhibit: false,
        forwarding: None,
    });
    let mut m = Model::new(vec![vs], ModelOptions::default());
    m.start();
    let empty = Table::default();
    let t0 = m.table();
    let adds = empty.diff(&t0);
    assert_eq!(adds.len(), 3);
    assert!(matches!(adds[0], TableChange::AddService(..)));
    m.on_transition(id(0), DOWN);
    let t1 = m.table();
    let key = t0.services.keys().next().unwrap().clone();
    assert_eq!(
        t0.diff(&t1),
        vec![TableChange::DelDest(key.clone(), sa("10.0.1.1:80"))]
    );
    m.on_transition(id(1), DOWN);
    let t2 = m.table();
    let d = t1.diff(&t2);
    assert!(d.contains(&TableChange::DelDest(key.clone(), sa("10.0.1.2:80"))));
    assert!(
        d.iter()
            .any(|c| matches!(c, TableChange::AddDest(_, a, _) if *a == sa("127.0.0.1:80")))
    );
    assert!(t2.diff(&t2).is_empty());
    assert_eq!(t2.diff(&empty), vec![TableChange::DelService(key)]);
}

/// Rise/fall on a simulated clock: up, down after `retry` retries spaced by
/// `delay_before_retry`, up again on the first success.
#[test]
fn accounting_on_simulated_clock() {
    let vs = vs_with(1);
    let mut ck = CheckerConfig::tcp();
    ck.common_mut().retry = Some(3);
    ck.common_mut().delay_before_retry = Some(Duration::from_secs(2));
    ck.common_mut().delay_loop = Some(Duration::from_secs(10));
    let t = Timing::resolve(&vs, &vs.real_servers[0], &ck);
    let mut acc = Accounting::new(t);
    let mut now = Duration::ZERO;
    let mut log = Vec::new();
    // server answers until t=30, fails until t=60, answers again
    let answers = |t: Duration| t < Duration::from_secs(30) || t >= Duration::from_secs(60);
    while now < Duration::from_secs(80) {
        let step = acc.on_verdict(answers(now));
        if let Some(tr) = step.transition {
            log.push((now.as_secs(), tr));
        }
        now += step.next_in;
    }
    assert_eq!(
        log,
        vec![
            (0, Transition::Up),
            (36, Transition::Down { retries: 3 }),
            (66, Transition::Up)
        ]
    );
}

#[test]
fn defaults_follow_keepalived() {
    let vs = vs_with(1);
    let rs = &vs.real_servers[0];
    let http = CheckerConfig::http(vec![UrlConfig::new("/")]);
    let t = Timing::resolve(&vs, rs, &http);
    assert_eq!(t.delay_before_retry, Duration::from_secs(3));
    assert_eq!(t.retry, 1);
    assert_eq!(t.delay_loop, Duration::from_secs(60));
    assert_eq!(t.connect_timeout, Duration::from_secs(5));
    let dns = CheckerConfig::Dns {
        common: CheckerCommon::default(),
        kind: DnsType::Soa,
        name: ".".into(),
    };
    let t = Timing::resolve(&vs, rs, &dns);
    assert_eq!(
        (t.retry, t.delay_before_retry),
        (3, Duration::from_secs(60))
    );
}

#[test]
fn normalise_applies_keepalived_port_rules() {
    let mut vs = vs_with(2);
    vs.forwarding = Forwarding::Dr;
    vs.real_servers[0].addr = sa("10.0.1.1:8080");
    vs.real_servers[1].addr = sa("10.0.1.2:0");
    let w = vs.normalise();
    assert_eq!(
        w,
        vec!["WARNING - virtual server [10.0.0.1]:tcp:80 and real server [10.0.1.1]:tcp:8080 ports don't match - resetting".to_string()]
    );
    assert_eq!(vs.real_servers[0].addr, sa("10.0.1.1:80"));
    assert_eq!(vs.real_servers[1].addr, sa("10.0.1.2:80"));
}

/// HTTP_GET with three urls on a simulated clock: one url per run; up only after a full pass
/// (3 x delay_loop after recovery, as keepalived's man page describes), down after the retries
/// of the url that fails; fast_recovery removes the delays while recovering.
#[test]
fn url_accounting_on_simulated_clock() {
    let vs = vs_with(1);
    let mut ck = CheckerConfig::http(vec![
        UrlConfig::new("/a"),
        UrlConfig::new("/b"),
        UrlConfig::new("/c"),
    ]);
    ck.common_mut().retry = Some(1);
    ck.common_mut().delay_before_retry = Some(Duration::from_secs(2));
    ck.common_mut().delay_loop = Some(Duration::from_secs(10));
    ck.common_mut().alpha = Some(true);
    let t = Timing::resolve(&vs, &vs.real_servers[0], &ck);
    let run = |fast: bool| {
        let mut acc = UrlAccounting::new(t, 3, fast);
        let mut now = Duration::ZERO;
        let mut log = Vec::new();
        // url /b (index 1) fails between t=100 and t=200
        while now < Duration::from_secs(300) {
            let url = acc.current_url();
            let ok =
                !(url == 1 && now >= Duration::from_secs(100) && now < Duration::from_secs(200));
            let step = acc.on_verdict(ok);
            if let Some(tr) = step.transition {
                log.push((now.as_secs(), tr));
            }
            now += step.next_in;
        }
        log
    };
    assert_eq!(
        run(false),
        vec![
            (20, Transition::Up),                   // /a at 0, /b at 10, /c at 20
            (102, Transition::Down { retries: 1 }), // /b fails at 100, retried at 102
            (232, Transition::Up),                  // /b back at 202, then /a 212, /b 222, /c 232
        ]
    );
    let fast = run(true);
    assert_eq!(fast[0], (0, Transition::Up));
    assert_eq!(fast[2].1, Transition::Up);
    assert!(fast[2].0 < 232, "{fast:?}");
}

#[test]
fn reload_inherits_surviving_real_servers() {
    let mut old = Model::new(vec![vs_with(3)], ModelOptions::default());
    old.start();
    old.on_transition(id(1), DOWN);
    // New config: rs 0 unchanged, rs 1 unchanged (down), rs 2 removed, a new rs 3 with alpha.
    let mut cfg = vs_with(2);
    let mut new_rs = RealServerConfig::new(sa("10.0.1.9:80"));
    let mut ck = CheckerConfig::tcp();
    ck.common_mut().alpha = Some(true);
    new_rs.checkers.push(ck);
    cfg.real_servers.push(new_rs);
    let mut m = Model::new(vec![cfg], ModelOptions::default());
    m.inherit(&old);
    let acts = m.start();
    assert!(!acts.iter().any(|a| matches!(a, Action::RunScript(_))));
    assert!(m.is_alive(0, 0) && m.is_inherited(id(0)));
    assert!(!m.is_alive(0, 1) && !m.checker_up(id(1)));
    assert!(!m.is_alive(0, 2) && !m.is_inherited(id(2)));
    assert_eq!(dests(&m), vec![("10.0.1.1:80".to_string(), 1)]);
    let removed = old.table().diff(&m.table());
    let key = old.table().services.keys().next().unwrap().clone();
    assert_eq!(removed, vec![TableChange::DelDest(key, sa("10.0.1.3:80"))]);
    // a resumed down checker rises on its next success, a resumed up one falls after retries
    let t = Timing::resolve(
        &vs_with(1),
        &vs_with(1).real_servers[0],
        &CheckerConfig::tcp(),
    );
    assert_eq!(
        Accounting::resume(t, false).on_verdict(true).transition,
        Some(Transition::Up)
    );
    let mut up = Accounting::resume(t, true);
    assert_eq!(up.on_verdict(false).transition, None);
    assert_eq!(
        up.on_verdict(false).transition,
        Some(Transition::Down { retries: 1 })
    );
}

#[test]
fn misc_timeout_defaults_to_delay_loop() {
    let vs = vs_with(1);
    let mut ck = CheckerConfig::Misc {
        common: CheckerCommon::default(),
        path: "true".into(),
        script: keepalived_sys::script::Script::new(vec!["true".into()]),
        timeout: None,
        dynamic: false,
        user: None,
        group: None,
    };
    ck.common_mut().delay_loop = Some(Duration::from_secs(7));
    let t = Timing::resolve(&vs, &vs.real_servers[0], &ck);
    assert_eq!((t.connect_timeout, t.retry), (Duration::from_secs(7), 0));
}

#[test]
fn smtp_alerts_use_keepalived_subjects_and_bodies() {
    let mut vs = vs_with(1);
    vs.real_servers[0].smtp_alert = Some(true);
    vs.smtp_alert = Some(true);
    let mut m = Model::new(vec![vs], ModelOptions::default());
    m.start();
    let acts = m.on_transition(id(0), DOWN);
    let mails: Vec<&SmtpAlert> = acts
        .iter()
        .filter_map(|a| match a {
            Action::SmtpAlert(s) => Some(s),
            _ => None,
        })
        .collect();
    assert_eq!(mails.len(), 2, "{acts:?}");
    let vs_mail = mails.iter().find(|m| m.rs.is_none()).unwrap();
    assert_eq!(
        vs_mail.subject("lb1"),
        "[lb1] Virtualserver [10.0.0.1]:tcp:80 - DOWN"
    );
    assert_eq!(vs_mail.message, "=> Lost quorum 1+0=1 <= 0 <=");
    let rs_mail = mails.iter().find(|m| m.rs.is_some()).unwrap();
    assert_eq!(
        rs_mail.subject("lb1"),
        "[lb1] Realserver [10.0.1.1]:tcp:80 of virtual server [10.0.0.1]:tcp:80 - DOWN"
    );
    assert_eq!(rs_mail.message, "=> TCP CHECK failed on service <=");
}

#[test]
fn table_prints_like_ipvsadm() {
    let mut vs = vs_with(2);
    vs.scheduler = "rr".into();
    vs.forwarding = Forwarding::Dr;
    vs.persistence_timeout = Some(50);
    let mut m = Model::new(vec![vs], ModelOptions::default());
    m.start();
    assert_eq!(
        m.table().to_string(),
        "Prot LocalAddress:Port Scheduler Flags\n\
         \x20 -> RemoteAddress:Port           Forward Weight\n\
         TCP  10.0.0.1:80 rr persistent 50\n\
         \x20 -> 10.0.1.1:80                  Route   1\n\
         \x20 -> 10.0.1.2:80                  Route   1\n"
    );
}

/// SMTP_CHECK retries its first check too (check_smtp.c resets its retries each round): a
/// server that never answers goes down after `retry` retries, not at the first failure.
#[test]
fn smtp_accounting_retries_the_first_check() {
    let t = Timing {
        delay_loop: Duration::from_secs(6),
        retry: 2,
        delay_before_retry: Duration::from_secs(1),
        warmup: Duration::ZERO,
        connect_timeout: Duration::from_secs(1),
        alpha: false,
    };
    let mut a = Accounting::new(t).retrying_first_check();
    assert!(a.logs_failures());
    for _ in 0..2 {
        let s = a.on_verdict(false);
        assert_eq!(s.transition, None);
        assert_eq!(s.next_in, Duration::from_secs(1));
    }
    let s = a.on_verdict(false);
    assert_eq!(s.transition, Some(Transition::Down { retries: 0 }));
    assert_eq!(s.next_in, Duration::from_secs(6));
    // Down and run: later failures are quiet, a success brings it up.
    assert!(!a.logs_failures());
    assert_eq!(a.on_verdict(false).transition, None);
    assert_eq!(a.on_verdict(true).transition, Some(Transition::Up));
    // Alpha: the same retries, then the announced first down.
    let mut b = Accounting::new(Timing { alpha: true, ..t }).retrying_first_check();
    assert_eq!(b.on_verdict(false).transition, None);
    assert_eq!(b.on_verdict(false).transition, None);
    assert_eq!(
        b.on_verdict(false).transition,
        Some(Transition::InitialDown)
    );
}
