#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The LVS model: every keyword of SSL, virtual_server_group, virtual_server, real_server and the
//! checkers read with its value, keepalived's defaults, each validation rule with keepalived
//! 2.2.7's verdict (`keepalived -t` exit code, recorded; re-checked against the real one when
//! run as root where it is installed), scenario 04 clean and scenario 05's LVS diagnostics.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::time::Duration;

use keepalived_conf::model::ip::Family;
use keepalived_conf::model::lvs::*;
use keepalived_conf::{AnyHost, LoadOptions, Loaded, Severity, load, load_str};

fn conf(text: &str) -> Loaded {
    load_str("test.conf", text, &LoadOptions::default(), &AnyHost)
}

fn describe(l: &Loaded) -> Vec<String> {
    l.diagnostics
        .sorted()
        .iter()
        .map(|d| {
            format!(
                "{}@{}: {} (help: {})",
                d.severity.label(),
                d.span.map(|s| s.line).unwrap_or(0),
                d.message,
                d.help.as_deref().unwrap_or("-")
            )
        })
        .collect()
}

fn clean(text: &str) -> Loaded {
    clean_but(text, &[])
}

/// No diagnostic but advice and the listed (severity label, line) ones.
fn clean_but(text: &str, allowed: &[(&str, u32)]) -> Loaded {
    let l = conf(text);
    let serious: Vec<String> = describe(&l)
        .into_iter()
        .filter(|d| {
            !d.starts_with("advice")
                && !allowed
                    .iter()
                    .any(|(sev, line)| d.starts_with(&format!("{sev}@{line}:")))
        })
        .collect();
    assert!(serious.is_empty(), "{}", serious.join("\n"));
    l
}

fn sa(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

fn secs(s: f64) -> Duration {
    Duration::from_secs_f64(s)
}

/// A virtual server with one real server, `vs_extra` lines in the virtual server and
/// `rs_extra` lines in (the first) real server.
fn vs(addr: &str, vs_extra: &str, rs_extra: &str) -> String {
    format!(
        "virtual_server {addr} {{\n    lb_algo rr\n    lb_kind NAT\n    protocol TCP\n{vs_extra}\n    real_server 10.0.0.2 80 {{\n{rs_extra}\n    }}\n}}\n"
    )
}

#[test]
fn every_virtual_server_keyword() {
    // Scripts without enable_script_security (global_defs is another module's): keepalived's
    // SECURITY VIOLATION at the first script, the quorum_up line.
    let l = clean_but(
        r#"
track_file tf { file /tmp/x }
SSL {
    password secret
    ca /etc/ca.pem
    certificate /etc/cert.pem
    key /etc/key.pem
}
virtual_server_group G {
    10.0.0.1-10 80
    10.0.1.0/30 443
    10.0.2.1 8080
    fwmark 7 inet
}
virtual_server 10.0.0.1 80 {
    ip_family inet
    delay_loop 2.5
    lvs_sched sh
    sh-port
    sh-fallback
    flag-1
    flag-2
    flag-3
    lvs_method TUN type gue port 6080 csum
    persistence_timeout 600
    persistence_granularity 255.255.255.0
    persistence_engine sip
    protocol UDP
    ops
    ha_suspend
    smtp_alert off
    virtualhost www.example.com
    snmp_name vs1
    alpha
    omega
    quorum 2
    hysteresis 1
    quorum_up "/bin/up arg" root
    quorum_down /bin/down
    weight 3
    sorry_server 10.0.0.99 80
    sorry_server_inhibit
    sorry_server_lvs_method NAT
    connect_timeout 4
    retry 5
    delay_before_retry 2
    warmup 7
    inhibit_on_failure
    real_server 10.0.0.2 80 {
        weight 4
        lvs_method DR
        uthreshold 100
        lthreshold 10
        inhibit_on_failure false
        notify_up "/bin/rs up" nobody nogroup
        notify_down /bin/rsdown
        alpha no
        retry 6
        delay_before_retry 1.5
        warmup 3
        connect_timeout 1
        delay_loop 9
        smtp_alert yes
        virtualhost rs.example.com
        snmp_name rs1
        TCP_CHECK {
            connect_ip 10.0.0.3
            connect_port 8081
            bindto 10.0.0.1
            bind_port 5000
            bind_if eth0
            fwmark 9
            connect_timeout 2
            retry 4
            delay_before_retry 0.5
            warmup 1
            delay_loop 3
            alpha
            log_all_failures
        }
        HTTP_GET {
            http_protocol 1.1
            virtualhost h.example.com
            fast_recovery
            enable_sni
            url {
                path /health
                digest 9b3a0c85a887a256d6939da88aabd8cd
                status_code 200 300-302
                virtualhost u.example.com
                regex "^OK"
                regex_no_match
                regex_options caseless multiline
                regex_stack 1000 2000
                regex_min_offset 2
                regex_max_offset 100
            }
            url {
                path /
            }
        }
        SSL_GET {
            retry 2
            url {
                path /s
            }
        }
        MISC_CHECK {
            misc_path "/bin/check arg1"
            misc_timeout 5
            misc_dynamic
            user nobody nogroup
            retry 2
        }
        SMTP_CHECK {
            helo_name mx.example.com
            connect_port 25
            host {
                connect_ip 10.0.0.8
                connect_port 2525
            }
        }
        DNS_CHECK {
            type AAAA
            name example.com
        }
        UDP_CHECK {
            payload 01 02 ab
            require_reply 01 xX ff
            min_reply_length 2
            max_reply_length 512
        }
        PING_CHECK {
            retry 2
        }
        FILE_CHECK {
            track_file tf
            weight -10 reverse
        }
        BFD_CHECK {
            name bfd1
            alpha
        }
    }
}
virtual_server group G {
    lb_algo wrr
    lb_kind NAT
    protocol TCP
    real_server 10.0.0.5 80 {
    }
}
virtual_server fwmark 12 {
    lb_algo mh
    mh-port
    mh-fallback
    lb_kind DR
    real_server 10.0.0.6 {
    }
}
"#,
        &[("security", 38)],
    );
    let lvs = &l.config.lvs;
    let ssl = lvs.ssl.as_ref().unwrap();
    assert_eq!(ssl.password.as_deref(), Some("secret"));
    assert_eq!(ssl.ca.as_deref(), Some("/etc/ca.pem"));
    assert_eq!(ssl.certificate.as_deref(), Some("/etc/cert.pem"));
    assert_eq!(ssl.key.as_deref(), Some("/etc/key.pem"));

    let g = &lvs.groups[0];
    assert_eq!(g.name, "G");
    assert_eq!(
        g.entries,
        vec![
            GroupEntry::Range {
                first: "10.0.0.1".parse().unwrap(),
                last: "10.0.0.10".parse().unwrap(),
                port: 80
            },
            GroupEntry::Range {
                first: "10.0.1.0".parse().unwrap(),
                last: "10.0.1.3".parse().unwrap(),
                port: 443
            },
            GroupEntry::Range {
                first: "10.0.2.1".parse().unwrap(),
                last: "10.0.2.1".parse().unwrap(),
                port: 8080
            },
            GroupEntry::Fwmark {
                mark: 7,
                family: Some(Family::V4)
            },
        ]
    );

    let v = &lvs.virtual_servers[0];
    assert_eq!(v.addr, VsAddr::Addr(sa("10.0.0.1:80")));
    assert_eq!(v.family, Some(Family::V4));
    assert_eq!(v.delay_loop, secs(2.5));
    assert_eq!(v.scheduler, Some(Scheduler::Sh));
    assert_eq!(
        v.flags,
        SchedFlags {
            one_packet: true,
            flag_1: true,
            flag_2: true,
            flag_3: true,
            sh_port: true,
            sh_fallback: true,
            mh_port: false,
            mh_fallback: false
        }
    );
    assert_eq!(
        v.forwarding,
        Some(Forwarding::Tun(Tunnel {
            kind: TunnelKind::Gue,
            port: Some(6080),
            checksum: TunnelChecksum::Csum
        }))
    );
    assert_eq!(v.persistence_timeout, Some(600));
    assert_eq!(
        v.persistence_granularity,
        Some(Granularity::V4(Ipv4Addr::new(255, 255, 255, 0)))
    );
    assert_eq!(v.persistence_engine.as_deref(), Some("sip"));
    assert_eq!(v.protocol, Some(Protocol::Udp));
    assert!(v.ha_suspend && v.alpha && v.omega && v.inhibit_on_failure);
    assert_eq!(v.smtp_alert, Some(false));
    assert_eq!(v.virtualhost.as_deref(), Some("www.example.com"));
    assert_eq!(v.snmp_name.as_deref(), Some("vs1"));
    assert_eq!((v.quorum, v.hysteresis, v.weight), (2, 1, 3));
    let up = v.quorum_up.as_ref().unwrap();
    assert_eq!(
        (up.line.as_str(), up.user.as_deref()),
        ("/bin/up arg", Some("root"))
    );
    assert_eq!(v.quorum_down.as_ref().unwrap().line, "/bin/down");
    let s = v.sorry_server.as_ref().unwrap();
    assert_eq!(
        (s.addr, s.inhibit, s.forwarding),
        (sa("10.0.0.99:80"), true, Some(Forwarding::Nat))
    );
    assert_eq!(v.connect_timeout, secs(4.0));
    assert_eq!(v.retry, Some(5));
    assert_eq!(v.delay_before_retry, Some(secs(2.0)));
    assert_eq!(v.warmup, Some(secs(7.0)));

    let rs = &v.real_servers[0];
    assert_eq!(rs.addr, sa("10.0.0.2:80"));
    assert_eq!(rs.weight, Some(4));
    assert_eq!(rs.forwarding, Some(Forwarding::Dr));
    assert_eq!((rs.uthreshold, rs.lthreshold), (Some(100), Some(10)));
    assert_eq!(rs.inhibit_on_failure, Some(false));
    let nu = rs.notify_up.as_ref().unwrap();
    assert_eq!(
        (nu.line.as_str(), nu.user.as_deref(), nu.group.as_deref()),
        ("/bin/rs up", Some("nobody"), Some("nogroup"))
    );
    assert_eq!(rs.notify_down.as_ref().unwrap().line, "/bin/rsdown");
    assert_eq!(rs.alpha, Some(false));
    assert_eq!(rs.retry, Some(6));
    assert_eq!(rs.delay_before_retry, Some(secs(1.5)));
    assert_eq!(rs.warmup, Some(secs(3.0)));
    assert_eq!(rs.connect_timeout, Some(secs(1.0)));
    assert_eq!(rs.delay_loop, Some(secs(9.0)));
    assert_eq!(rs.smtp_alert, Some(true));
    assert_eq!(rs.virtualhost.as_deref(), Some("rs.example.com"));
    assert_eq!(rs.snmp_name.as_deref(), Some("rs1"));
    let kinds: Vec<&str> = rs.checkers.iter().map(|c| c.kind.keyword()).collect();
    assert_eq!(
        kinds,
        [
            "TCP_CHECK",
            "HTTP_GET",
            "SSL_GET",
            "MISC_CHECK",
            "SMTP_CHECK",
            "DNS_CHECK",
            "UDP_CHECK",
            "PING_CHECK",
            "FILE_CHECK",
            "BFD_CHECK"
        ]
    );
    let tcp = &rs.checkers[0].common;
    assert_eq!(
        *tcp,
        CheckerCommon {
            connect_ip: Some("10.0.0.3".parse().unwrap()),
            connect_port: Some(8081),
            bindto: Some("10.0.0.1".parse().unwrap()),
            bind_port: Some(5000),
            bind_if: Some("eth0".into()),
            fwmark: Some(9),
            connect_timeout: Some(secs(2.0)),
            retry: Some(4),
            delay_before_retry: Some(secs(0.5)),
            warmup: Some(secs(1.0)),
            delay_loop: Some(secs(3.0)),
            alpha: Some(true),
            log_all_failures: true,
        }
    );
    let CheckerKind::Http(h) = &rs.checkers[1].kind else {
        panic!()
    };
    assert_eq!(h.http_protocol, HttpProtocol::V1_1);
    assert_eq!(h.virtualhost.as_deref(), Some("h.example.com"));
    assert!(h.fast_recovery && h.enable_sni);
    let u = &h.urls[0];
    assert_eq!(u.path, "/health");
    assert_eq!(
        u.digest.unwrap()[..4],
        [0x9b, 0x3a, 0x0c, 0x85],
        "digest bytes"
    );
    assert_eq!(
        u.status_codes,
        vec![
            StatusRange { min: 200, max: 200 },
            StatusRange { min: 300, max: 302 }
        ]
    );
    assert!(u.accepts(301) && !u.accepts(204));
    assert_eq!(u.virtualhost.as_deref(), Some("u.example.com"));
    assert_eq!(u.regex.as_deref(), Some("^OK"));
    assert!(u.regex_no_match);
    assert_eq!(u.regex_options, ["caseless", "multiline"]);
    assert_eq!(u.regex_stack, Some((1000, 2000)));
    assert_eq!(
        (u.regex_min_offset, u.regex_max_offset),
        (Some(2), Some(100))
    );
    assert_eq!(h.urls[1].status_codes, vec![DEFAULT_STATUS_CODES]);
    let CheckerKind::Ssl(s) = &rs.checkers[2].kind else {
        panic!()
    };
    assert_eq!(s.urls[0].path, "/s");
    assert_eq!(rs.checkers[2].common.retry, Some(2));
    let CheckerKind::Misc(m) = &rs.checkers[3].kind else {
        panic!()
    };
    assert_eq!(m.command.line, "/bin/check arg1");
    assert_eq!(m.command.user.as_deref(), Some("nobody"));
    assert_eq!(m.command.group.as_deref(), Some("nogroup"));
    assert_eq!(m.timeout, Some(secs(5.0)));
    assert!(m.dynamic);
    assert_eq!(rs.checkers[3].common.retry, Some(2));
    let CheckerKind::Smtp(sm) = &rs.checkers[4].kind else {
        panic!()
    };
    assert_eq!(sm.helo_name, "mx.example.com");
    assert_eq!(rs.checkers[4].common.connect_port, Some(25));
    assert_eq!(sm.hosts.len(), 1);
    assert_eq!(sm.hosts[0].connect_port, Some(2525));
    let CheckerKind::Dns(d) = &rs.checkers[5].kind else {
        panic!()
    };
    assert_eq!(
        (d.query_type, d.name.as_str()),
        (DnsType::Aaaa, "example.com")
    );
    let CheckerKind::Udp(ud) = &rs.checkers[6].kind else {
        panic!()
    };
    assert_eq!(ud.payload, Some(vec![1, 2, 0xab]));
    assert_eq!(
        ud.require_reply,
        Some(vec![(1, 0xff), (0, 0), (0xff, 0xff)])
    );
    assert_eq!((ud.min_reply_length, ud.max_reply_length), (2, 512));
    assert!(matches!(rs.checkers[7].kind, CheckerKind::Ping));
    let CheckerKind::File(f) = &rs.checkers[8].kind else {
        panic!()
    };
    assert_eq!(
        (f.track_file.as_str(), f.weight, f.reverse),
        ("tf", Some(-10), true)
    );
    let CheckerKind::Bfd(b) = &rs.checkers[9].kind else {
        panic!()
    };
    assert_eq!((b.name.as_str(), b.alpha), ("bfd1", Some(true)));

    let gv = &lvs.virtual_servers[1];
    assert_eq!(gv.addr, VsAddr::Group("G".into()));
    assert_eq!(gv.scheduler, Some(Scheduler::Wrr));
    let fv = &lvs.virtual_servers[2];
    assert_eq!(fv.addr, VsAddr::Fwmark(12));
    assert!(fv.flags.mh_port && fv.flags.mh_fallback);
    assert_eq!(fv.real_servers[0].addr.port(), 0, "fwmark: no port");
    assert_eq!(fv.protocol, None);
}

#[test]
fn aliases_map_to_one_field() {
    let a = clean(&vs("10.0.0.1 80", "lb_algo wlc\nlb_kind DR", ""));
    let b = clean(&vs("10.0.0.1 80", "lvs_sched wlc\nlvs_method DR", ""));
    let (va, vb) = (
        &a.config.lvs.virtual_servers[0],
        &b.config.lvs.virtual_servers[0],
    );
    assert_eq!(
        (va.scheduler, va.forwarding),
        (Some(Scheduler::Wlc), Some(Forwarding::Dr))
    );
    assert_eq!((va.scheduler, va.forwarding), (vb.scheduler, vb.forwarding));
}

#[test]
fn defaults() {
    let l = clean(&vs(
        "10.0.0.1 80",
        "",
        "TCP_CHECK {\n}\nHTTP_GET {\nurl {\npath /\n}\n}\nSMTP_CHECK {\n}\nDNS_CHECK {\n}\nUDP_CHECK {\n}",
    ));
    let v = &l.config.lvs.virtual_servers[0];
    assert_eq!(v.delay_loop, DEFAULT_DELAY_LOOP);
    assert_eq!(v.delay_loop, Duration::from_secs(60));
    assert_eq!(v.connect_timeout, Duration::from_secs(5));
    assert_eq!((v.quorum, v.hysteresis, v.weight), (1, 0, 1));
    assert_eq!(v.persistence_timeout, None);
    assert!(!v.alpha && !v.omega && !v.ha_suspend && !v.inhibit_on_failure);
    assert_eq!(
        (v.retry, v.delay_before_retry, v.warmup),
        (None, None, None)
    );
    let rs = &v.real_servers[0];
    assert_eq!(rs.weight, None, "takes the virtual server's weight");
    assert_eq!(rs.inhibit_on_failure, None);
    assert_eq!(rs.checkers[0].common, CheckerCommon::default());
    let CheckerKind::Http(h) = &rs.checkers[1].kind else {
        panic!()
    };
    assert_eq!(h.http_protocol, HttpProtocol::V1_0);
    assert_eq!(
        h.urls[0].status_codes,
        vec![StatusRange { min: 200, max: 299 }]
    );
    let CheckerKind::Smtp(s) = &rs.checkers[2].kind else {
        panic!()
    };
    assert_eq!(s.helo_name, "smtpchecker.keepalived.org");
    let CheckerKind::Dns(d) = &rs.checkers[3].kind else {
        panic!()
    };
    assert_eq!((d.query_type, d.name.as_str()), (DnsType::Soa, ""));
    let CheckerKind::Udp(u) = &rs.checkers[4].kind else {
        panic!()
    };
    assert_eq!(
        (
            u.payload.as_ref(),
            u.require_reply.as_ref(),
            u.min_reply_length,
            u.max_reply_length
        ),
        (None, None, 0, 255)
    );
    // `persistence_timeout` alone is 360 s.
    let l = clean(&vs("10.0.0.1 80", "persistence_timeout", ""));
    assert_eq!(
        l.config.lvs.virtual_servers[0].persistence_timeout,
        Some(360)
    );
    // A NAT real server without port takes the virtual server's.
    let l = clean(
        "virtual_server 10.0.0.1 80 {\nlb_algo rr\nlb_kind NAT\nprotocol TCP\nreal_server 10.0.0.2 {\n}\n}\n",
    );
    assert_eq!(
        l.config.lvs.virtual_servers[0].real_servers[0].addr,
        sa("10.0.0.2:80")
    );
}

/// keepalived 2.2.7's `-t` exit code for each configuration (recorded in a namespace holding
/// eth0; see `real_keepalived_agrees`), and where ours reports: (line, words in the message).
struct Case {
    name: &'static str,
    text: String,
    rc: i32,
    expect: &'static [(u32, &'static str)],
}

fn cases() -> Vec<Case> {
    let rs3 = |body: &str| format!("    real_server 10.0.0.3 80 {{\n{body}\n    }}");
    let with_rs = |vs_extra: &str, body: &str| {
        let mut t = vs("10.0.0.1 80", vs_extra, "TCP_CHECK {\nconnect_timeout 3\n}");
        t.insert_str(t.len() - 2, &rs3(body));
        t
    };
    vec![
        Case {
            name: "clean",
            text: vs("10.0.0.1 80", "", "TCP_CHECK {\n}"),
            rc: 0,
            expect: &[],
        },
        Case {
            name: "no protocol, scheduler or forwarding",
            text: "virtual_server 10.0.0.1 80 {\nreal_server 10.0.0.2 80 {\nTCP_CHECK {\n}\n}\n}\n"
                .into(),
            rc: 5,
            expect: &[
                (1, "no protocol set - defaulting to UDP"),
                (1, "no scheduler set"),
                (1, "no forwarding method set"),
            ],
        },
        Case {
            name: "undefined group: a log line only",
            text: vs("group G1", "", ""),
            rc: 0,
            expect: &[(1, "G1 specified but not configured")],
        },
        Case {
            name: "group with range, prefix and fwmark",
            text: format!(
                "virtual_server_group G1 {{\n10.0.0.1-10 80\n10.0.1.0/29 80\nfwmark 7 inet\n}}\n{}",
                vs("group G1", "", "")
            ),
            rc: 0,
            expect: &[],
        },
        Case {
            name: "empty group",
            text: "virtual_server_group G2 {\n}\n".into(),
            rc: 5,
            expect: &[(1, "has no entries")],
        },
        Case {
            name: "bad group lines",
            text: format!(
                "virtual_server_group G {{\n10.0.0.5-3 80\n10.0.0.1/24 80\n10.0.0.1-10.0.0.0 80\nfwmark 3 ipx\n10.0.0.1 80\n}}\n{}",
                vs("group G", "", "")
            ),
            rc: 5,
            expect: &[
                (2, "not greater than address range start"),
                (3, "mask bits not empty"),
                (4, "less than address range start"),
                (5, "family ipx unknown"),
            ],
        },
        Case {
            name: "duplicate real server",
            text: with_rs("", "weight 2").replace("10.0.0.3 80", "10.0.0.2 80"),
            rc: 5,
            expect: &[(11, "is duplicated")],
        },
        Case {
            name: "real server of the other family",
            text: with_rs("", "").replace("10.0.0.3 80", "fe80::1 80"),
            rc: 5,
            expect: &[(11, "don't match - skipping real server")],
        },
        Case {
            name: "quorum above total weight",
            text: vs("10.0.0.1 80", "quorum 5", ""),
            rc: 5,
            expect: &[(1, "quorum 5 for [10.0.0.1]:80 exceeds total weight")],
        },
        Case {
            name: "hysteresis not below quorum",
            text: vs("10.0.0.1 80", "hysteresis 3", ""),
            rc: 5,
            expect: &[(1, "hysteresis 3 >= quorum 1")],
        },
        Case {
            name: "protocol on a fwmark service",
            text: vs("fwmark 5", "", ""),
            rc: 5,
            expect: &[(1, "protocol specified for fwmark")],
        },
        Case {
            name: "port 0 without persistence",
            text: vs("10.0.0.1 0", "", ""),
            rc: 5,
            expect: &[(1, "zero port only valid for persistent services")],
        },
        Case {
            name: "port 0 with persistence",
            text: vs("10.0.0.1 0", "persistence_timeout 30", ""),
            rc: 0,
            expect: &[],
        },
        Case {
            name: "ha_suspend with fwmark",
            text: vs("fwmark 5", "ha_suspend", "").replace("    protocol TCP\n", ""),
            rc: 5,
            expect: &[(1, "cannot use ha_suspend with fwmarks")],
        },
        Case {
            name: "ops without UDP",
            text: vs("10.0.0.1 80", "ops", ""),
            rc: 5,
            expect: &[(1, "one packet scheduling requires UDP")],
        },
        Case {
            name: "HTTP_GET without url",
            text: with_rs("", "HTTP_GET {\nconnect_timeout 3\n}"),
            rc: 5,
            expect: &[(12, "has no urls")],
        },
        Case {
            name: "bad status codes and digest",
            text: with_rs(
                "",
                "HTTP_GET {\nurl {\npath /\nstatus_code 700 200-299 abc\ndigest 1234\n}\n}",
            ),
            rc: 5,
            expect: &[
                (15, "status code '700'"),
                (15, "status code 'abc'"),
                (16, "character length should be 32"),
            ],
        },
        Case {
            name: "lower-case forwarding",
            text: vs("10.0.0.1 80", "lb_kind dr", ""),
            rc: 5,
            expect: &[(5, "unknown [dr] routing method")],
        },
        Case {
            name: "sh-port without sh",
            text: vs("10.0.0.1 80", "sh-port", ""),
            rc: 5,
            expect: &[(5, "sh-port only applies to sh scheduler")],
        },
        Case {
            name: "unknown scheduler",
            text: vs("10.0.0.1 80", "lb_algo foo", ""),
            rc: 5,
            expect: &[(5, "invalid lvs_scheduler 'foo'")],
        },
        Case {
            name: "negative weight",
            text: with_rs("", "weight -1"),
            rc: 5,
            expect: &[(12, "'-1'")],
        },
        Case {
            name: "UDP_CHECK lengths and payload",
            text: with_rs(
                "",
                "UDP_CHECK {\nmin_reply_length 300\nrequire_reply 01 xx 0\n payload zz\n}",
            ),
            rc: 5,
            expect: &[
                (12, "min_reply length 300 > max_reply_length 255"),
                (15, "invalid hex"),
            ],
        },
        Case {
            name: "MISC_CHECK without path",
            text: with_rs("", "MISC_CHECK {\nmisc_timeout 5\n}"),
            rc: 5,
            expect: &[(12, "no script path")],
        },
        Case {
            name: "SMTP_CHECK host block (deprecated, accepted)",
            text: with_rs(
                "",
                "SMTP_CHECK {\nhelo_name foo\nhost {\nconnect_ip 10.0.0.9\nconnect_port 25\n}\n}",
            ),
            rc: 0,
            expect: &[(14, "host block is deprecated")],
        },
        Case {
            name: "connect_port 0",
            text: with_rs("", "TCP_CHECK {\nconnect_port 0\n}"),
            rc: 5,
            expect: &[(13, "outside range [1, 65535]")],
        },
        Case {
            name: "nb_get_retry is not a TCP_CHECK keyword",
            text: with_rs("", "TCP_CHECK {\nnb_get_retry 3\n}"),
            rc: 5,
            expect: &[(13, "unknown keyword `nb_get_retry`")],
        },
        Case {
            name: "sorry_server_inhibit before sorry_server",
            text: vs(
                "10.0.0.1 80",
                "sorry_server_inhibit\nsorry_server 10.0.0.9 80",
                "",
            ),
            rc: 5,
            expect: &[(
                5,
                "sorry_server_inhibit used before or without sorry_server",
            )],
        },
        Case {
            name: "DR sorry server on another port",
            text: vs("10.0.0.1 80", "lb_kind DR\nsorry_server 10.0.0.9 8080", ""),
            rc: 5,
            expect: &[(6, "sorry server ports don't match")],
        },
        Case {
            name: "DR real server on another port",
            text: with_rs("", "lvs_method DR").replace("10.0.0.3 80", "10.0.0.3 8080"),
            rc: 5,
            expect: &[(11, "ports don't match - resetting")],
        },
        Case {
            name: "DNS_CHECK type and name",
            text: with_rs("", "DNS_CHECK {\ntype XYZ\nname a..b\n}"),
            rc: 5,
            expect: &[(13, "unknown DNS check type XYZ"), (14, "has empty label")],
        },
        Case {
            name: "FILE_CHECK naming no track_file",
            text: with_rs("", "FILE_CHECK {\ntrack_file nofile\n}"),
            rc: 5,
            expect: &[(13, "track_file nofile not found")],
        },
        Case {
            name: "gue tunnel without port",
            text: vs("10.0.0.1 80", "lb_kind TUN type gue", ""),
            rc: 5,
            expect: &[(5, "gue tunnels require port")],
        },
        Case {
            name: "persistence_timeout too long",
            text: vs("10.0.0.1 80", "persistence_timeout 99999999", ""),
            rc: 5,
            expect: &[(5, "outside range [1, 2678400]")],
        },
        Case {
            name: "MISC_CHECK without script security",
            text: with_rs("", "MISC_CHECK {\nmisc_path /bin/true\n}"),
            rc: 6,
            expect: &[(13, "SECURITY VIOLATION")],
        },
        Case {
            name: "notify_up without script security",
            text: vs("10.0.0.1 80", "", "notify_up /bin/true\nTCP_CHECK {\n}"),
            rc: 6,
            expect: &[(7, "SECURITY VIOLATION")],
        },
        Case {
            name: "quorum_up without script security",
            text: vs("10.0.0.1 80", "quorum_up /bin/true", "TCP_CHECK {\n}"),
            rc: 6,
            expect: &[(5, "SECURITY VIOLATION")],
        },
        Case {
            name: "MISC_CHECK user that does not exist",
            text: with_rs(
                "",
                "MISC_CHECK {\nmisc_path /bin/true\nuser nosuchuser-kt\n}",
            ),
            rc: 5,
            expect: &[(13, "failed to set uid/gid")],
        },
        Case {
            name: "notify_up user that does not exist: dropped silently",
            text: vs(
                "10.0.0.1 80",
                "",
                "notify_up /bin/true nosuchuser-kt\nTCP_CHECK {\n}",
            ),
            rc: 0,
            expect: &[(7, "user nosuchuser-kt does not exist")],
        },
        Case {
            name: "real server twin of the sorry server with another inhibit",
            text: vs(
                "10.0.0.1 80",
                "sorry_server 10.0.0.2 80\nsorry_server_inhibit",
                "inhibit_on_failure false",
            ),
            rc: 5,
            expect: &[(7, "matches sorry server, but inhibit setting differs")],
        },
        Case {
            name: "duplicate digest",
            text: with_rs(
                "",
                "HTTP_GET {\nurl {\npath /\ndigest 00112233445566778899aabbccddeeff\ndigest 00112233445566778899aabbccddeeff\n}\n}",
            ),
            rc: 5,
            expect: &[(16, "is a duplicate")],
        },
        Case {
            name: "bindto of another family than connect_ip",
            text: with_rs("", "TCP_CHECK {\nconnect_ip 10.0.0.5\nbindto fe80::1\n}"),
            rc: 5,
            expect: &[(14, "does not match address family of connect_ip")],
        },
        Case {
            name: "delay_loop 0",
            text: vs("10.0.0.1 80", "delay_loop 0", ""),
            rc: 5,
            expect: &[(5, "outside range")],
        },
        Case {
            name: "virtual server retry 0",
            text: vs("10.0.0.1 80", "retry 0", ""),
            rc: 5,
            expect: &[(5, "outside range [1, 4294967295]")],
        },
        Case {
            name: "virtual server weight 0",
            text: vs("10.0.0.1 80", "weight 0", ""),
            rc: 5,
            expect: &[(5, "outside range [1, 2147483647]")],
        },
        Case {
            name: "every real server of weight 0",
            text: vs("10.0.0.1 80", "", "weight 0"),
            rc: 5,
            expect: &[
                (1, "exceeds total weight of real servers 0"),
                (1, "hysteresis 0 >= quorum 0"),
            ],
        },
        Case {
            name: "checker retry 0",
            text: with_rs("", "TCP_CHECK {\nretry 0\n}"),
            rc: 0,
            expect: &[],
        },
        Case {
            name: "alpha, omega, quorum 1, hysteresis 0",
            text: vs("10.0.0.1 80", "alpha\nomega\nquorum 1\nhysteresis 0", ""),
            rc: 0,
            expect: &[],
        },
        Case {
            name: "regex options without regex (a log line only)",
            text: with_rs("", "HTTP_GET {\nurl {\npath /\nregex_no_match\n}\n}"),
            rc: 0,
            expect: &[(13, "regex parameters specified without regex")],
        },
        Case {
            name: "two SSL blocks",
            text: format!(
                "SSL {{\nca /x\n}}\nSSL {{\nkey /y\n}}\n{}",
                vs("10.0.0.1 80", "", "")
            ),
            rc: 5,
            expect: &[(4, "second `SSL`")],
        },
        Case {
            name: "link-local connect_ip without bind_if",
            text: with_rs("", "TCP_CHECK {\nconnect_ip fe80::1\n}"),
            rc: 5,
            expect: &[(12, "requires a bind_if")],
        },
    ]
}

#[test]
fn validation_rules_with_keepalived_verdicts() {
    let mut bad = Vec::new();
    for c in cases() {
        let l = conf(&c.text);
        let got = describe(&l);
        if l.exit_code() != c.rc {
            bad.push(format!(
                "{}: exit {} (keepalived {})\n  {}",
                c.name,
                l.exit_code(),
                c.rc,
                got.join("\n  ")
            ));
        }
        for (line, words) in c.expect {
            let found = l
                .diagnostics
                .iter()
                .any(|d| d.span.is_some_and(|s| s.line == *line) && d.message.contains(words));
            if !found {
                bad.push(format!(
                    "{}: no diagnostic at line {line} with {words:?}\n  {}",
                    c.name,
                    got.join("\n  ")
                ));
            }
        }
        // One diagnostic per problem: nothing beyond what is listed.
        if got.len() > c.expect.len() {
            bad.push(format!(
                "{}: {} diagnostics for {} problems\n  {}",
                c.name,
                got.len(),
                c.expect.len(),
                got.join("\n  ")
            ));
        }
    }
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

#[test]
fn fallbacks_applied_as_keepalived() {
    let l = conf(
        "virtual_server 10.0.0.1 80 {\nquorum 9\nhysteresis 9\nops\nreal_server 10.0.0.2 80 {\n}\nreal_server 10.0.0.2 80 {\n}\n}\n",
    );
    let v = &l.config.lvs.virtual_servers[0];
    assert_eq!(v.protocol, Some(Protocol::Udp));
    assert_eq!(v.scheduler, Some(Scheduler::Wlc));
    assert_eq!(v.forwarding, Some(Forwarding::Nat));
    assert_eq!(v.real_servers.len(), 1, "duplicate removed");
    assert_eq!((v.quorum, v.hysteresis), (1, 0));
    assert!(v.flags.one_packet, "UDP keeps ops");
    // Dropped: a virtual server without real servers, one naming an unknown group.
    let l = conf(&format!(
        "virtual_server 10.0.0.1 80 {{\nprotocol TCP\n}}\n{}",
        vs("group nope", "", "")
    ));
    assert!(l.config.lvs.virtual_servers.is_empty());
    // A real server of the wrong family is skipped; the virtual server stays.
    let l = conf(&vs("10.0.0.1 80", "real_server 2001:db8::1 80 {\n}", ""));
    assert_eq!(l.config.lvs.virtual_servers[0].real_servers.len(), 1);
    assert_eq!(l.exit_code(), 5);
    // ...unless tunnelled.
    let l = clean(&vs(
        "10.0.0.1 80",
        "real_server 2001:db8::1 80 {\nlvs_method TUN\n}",
        "",
    ));
    assert_eq!(l.config.lvs.virtual_servers[0].real_servers.len(), 2);
    // DR real server with another port is reset to the virtual server's.
    let l = conf(&vs(
        "10.0.0.1 80",
        "lb_kind DR\nreal_server 10.0.0.3 8080 {\n}",
        "",
    ));
    let ports: Vec<u16> = l.config.lvs.virtual_servers[0]
        .real_servers
        .iter()
        .map(|r| r.addr.port())
        .collect();
    assert_eq!(ports, [80, 80]);
}

#[test]
fn misspelt_keywords_get_suggestions() {
    let l = conf(&vs(
        "10.0.0.1 80",
        "server_server 127.0.0.1 80\ndelay_lop 3",
        "wieght 2\nTCP_CHECK {\ntcp_port 80\nconect_timeout 3\n}\nHTTP_GET {\nurl {\npaht /\n}\n}",
    ));
    let got = describe(&l).join("\n");
    for (line, want) in [
        (5, "`sorry_server`"),
        (6, "`delay_loop`"),
        (8, "`weight`"),
        (10, "`connect_port`"),
        (11, "`connect_timeout`"),
        (15, "`path`"),
    ] {
        assert!(
            l.diagnostics
                .iter()
                .any(|d| d.span.is_some_and(|s| s.line == line)
                    && d.help.as_deref().is_some_and(|h| h.contains(want))),
            "line {line}: no suggestion {want}\n{got}"
        );
    }
}

#[test]
fn missing_brace_is_one_diagnostic() {
    // A real_server line without its `{`: the tree makes its lines siblings in the virtual
    // server; one error at that line, and the lines are read as the real server's.
    let l = conf(
        "virtual_server 10.0.0.1 80 {\n    lb_algo rr\n    lb_kind NAT\n    protocol TCP\n    real_server 10.0.0.2 80\n        weight 3\n        inhibit_on_failure\n        TCP_CHECK {\n            connect_port 80\n        }\n    }\n}\n",
    );
    let ours: Vec<_> = l
        .diagnostics
        .iter()
        .filter(|d| d.span.is_some_and(|s| s.line < 12))
        .collect();
    assert_eq!(ours.len(), 1, "{}", describe(&l).join("\n"));
    assert_eq!(ours[0].span.unwrap().line, 5);
    assert!(ours[0].message.contains('{'));
    let rs = &l.config.lvs.virtual_servers[0].real_servers[0];
    assert_eq!(rs.weight, Some(3));
    assert_eq!(rs.inhibit_on_failure, Some(true));
    assert_eq!(rs.checkers.len(), 1);
    // The same for a checker without `{`.
    let l = conf(&vs(
        "10.0.0.1 80",
        "",
        "TCP_CHECK\nconnect_port 80\nconnect_timeout 2\n",
    ));
    let errs: Vec<_> = describe(&l);
    assert_eq!(errs.len(), 1, "{}", errs.join("\n"));
    let c = &l.config.lvs.virtual_servers[0].real_servers[0].checkers[0];
    assert_eq!(c.common.connect_port, Some(80));
}

#[test]
fn hex_strings_as_keepalived_reads_them() {
    assert_eq!(
        hex("0102ab", false),
        Some(vec![(1, 0xff), (2, 0xff), (0xab, 0xff)])
    );
    assert_eq!(
        hex("1 23 4", false),
        Some(vec![(1, 0xf), (0x23, 0xff), (4, 0xf)])
    );
    assert_eq!(hex("x1", true), Some(vec![(1, 0x0f)]));
    assert_eq!(hex("x1", false), None);
    assert_eq!(hex("", false), None);
    assert_eq!(hex("zz", true), None);
}

fn fixture(p: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/scenarios")
        .join(p)
}

#[test]
fn scenario_04_parses_clean() {
    for f in ["04-lvs-dr/director1.conf", "04-lvs-dr/director2.conf"] {
        let l = load(&fixture(f), &LoadOptions::default(), &AnyHost);
        let lvs_lines = 19..=47;
        for d in l.diagnostics.iter() {
            let line = d.span.map(|s| s.line).unwrap_or(0);
            if !lvs_lines.contains(&line) {
                continue;
            }
            // keepalived 2.2.7 reports the deprecated nb_get_retry at line 36 too.
            assert!(
                line == 36 && d.message.contains("nb_get_retry"),
                "{f}: {}",
                describe(&l).join("\n")
            );
        }
        let v = &l.config.lvs.virtual_servers[0];
        assert_eq!(v.addr, VsAddr::Addr(sa("172.16.100.22:80")));
        assert_eq!(v.delay_loop, Duration::from_secs(6));
        assert_eq!(v.scheduler, Some(Scheduler::Rr));
        assert_eq!(v.forwarding, Some(Forwarding::Dr));
        assert_eq!(v.persistence_timeout, Some(50));
        assert_eq!(v.protocol, Some(Protocol::Tcp));
        assert_eq!(
            v.sorry_server.as_ref().map(|s| s.addr),
            Some(sa("127.0.0.1:80"))
        );
        let addrs: Vec<SocketAddr> = v.real_servers.iter().map(|r| r.addr).collect();
        assert_eq!(addrs, [sa("172.16.100.9:80"), sa("172.16.100.10:80")]);
        let c0 = &v.real_servers[0].checkers[0];
        let CheckerKind::Http(h) = &c0.kind else {
            panic!()
        };
        assert_eq!(h.urls[0].path, "/");
        assert_eq!(
            h.urls[0].status_codes,
            vec![StatusRange { min: 200, max: 200 }]
        );
        assert_eq!(c0.common.connect_timeout, Some(Duration::from_secs(2)));
        assert_eq!(c0.common.retry, Some(3));
        assert_eq!(c0.common.delay_before_retry, Some(Duration::from_secs(1)));
        let c1 = &v.real_servers[1].checkers[0];
        assert!(matches!(c1.kind, CheckerKind::Tcp));
        assert_eq!(c1.common.connect_port, Some(80));
        assert_eq!(c1.common.connect_timeout, Some(Duration::from_secs(3)));
    }
}

#[test]
fn scenario_05_lvs_diagnostics() {
    let l = load(
        &fixture("05-typos/node1.conf"),
        &LoadOptions::default(),
        &AnyHost,
    );
    let got = describe(&l).join("\n");
    let has = |line: u32, words: &str| {
        l.diagnostics.iter().any(|d| {
            d.span.is_some_and(|s| s.line == line)
                && (d.message.contains(words)
                    || d.help.as_deref().is_some_and(|h| h.contains(words)))
        })
    };
    assert!(has(40, "`sorry_server`"), "{got}");
    assert!(has(45, "`connect_port`"), "{got}");
    assert!(has(49, "{"), "{got}");
    // The real_server's own typo, which keepalived reports too.
    assert!(has(52, "`connect_port`"), "{got}");
    // No cascade from the lines that fell out of the real_server block.
    for line in [50, 51, 53, 54, 55] {
        assert!(
            !l.diagnostics
                .iter()
                .any(|d| d.span.is_some_and(|s| s.line == line)),
            "line {line}: {got}"
        );
    }
    assert!(l.diagnostics.has(Severity::Error));
    let v = &l.config.lvs.virtual_servers[0];
    assert_eq!(v.real_servers.len(), 2);
    assert_eq!(v.real_servers[1].addr, sa("172.168.100.12:80"));
    assert_eq!(v.real_servers[1].checkers.len(), 1);
}

#[test]
fn json_dump_has_the_lvs_part() {
    let l = clean(&vs("10.0.0.1 80", "", "TCP_CHECK {\n}"));
    let j = serde_json::to_value(&l.config).unwrap();
    assert_eq!(
        j["lvs"]["virtual_servers"][0]["addr"]["Addr"],
        "10.0.0.1:80"
    );
    let ip: IpAddr = "10.0.0.2".parse().unwrap();
    assert_eq!(
        j["lvs"]["virtual_servers"][0]["real_servers"][0]["addr"],
        format!("{ip}:80")
    );
}

/// Re-runs the recorded cases through the real keepalived 2.2.7 when it is installed and we are
/// root (it checks interfaces, so it runs in a namespace of ours holding `eth0`).
#[test]
fn real_keepalived_agrees() {
    if !nix_is_root() {
        println!("skipped: needs root");
        return;
    }
    let Ok(out) = std::process::Command::new("keepalived").arg("-v").output() else {
        println!("skipped: keepalived not installed");
        return;
    };
    let version =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    if !version.contains("v2.2.7") {
        println!("skipped: keepalived is not 2.2.7");
        return;
    }
    let ns = format!("kltest{}", std::process::id());
    let ip = |args: &[&str]| {
        std::process::Command::new("ip")
            .args(args)
            .status()
            .map(|s| s.success())
            .unwrap_or(false)
    };
    struct Ns(String);
    impl Drop for Ns {
        fn drop(&mut self) {
            let _ = std::process::Command::new("ip")
                .args(["netns", "del", &self.0])
                .status();
        }
    }
    if !ip(&["netns", "add", &ns]) {
        println!("skipped: cannot create a network namespace");
        return;
    }
    let _guard = Ns(ns.clone());
    assert!(ip(&[
        "-n", &ns, "link", "add", "eth0", "type", "veth", "peer", "name", "eth0p"
    ]));
    let dir = tempfile::tempdir().unwrap();
    let mut bad = Vec::new();
    for (i, c) in cases().iter().enumerate() {
        let p = dir.path().join(format!("case{i}.conf"));
        std::fs::write(&p, &c.text).unwrap();
        let st = std::process::Command::new("ip")
            .args(["netns", "exec", &ns, "keepalived", "-t", "-f"])
            .arg(&p)
            .output()
            .unwrap();
        let rc = st.status.code().unwrap_or(-1);
        if rc != c.rc {
            bad.push(format!(
                "{}: keepalived exits {rc}, recorded {}",
                c.name, c.rc
            ));
        }
    }
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

fn nix_is_root() -> bool {
    // /proc/self/status "Uid:" real uid; avoids a libc dependency in conf's tests.
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .and_then(|l| l.split_whitespace().nth(2).map(|u| u == "0"))
        })
        .unwrap_or(false)
}

/// A host without any program: scripts whose program is missing are dropped (notify) or kept to
/// fail when run (MISC_CHECK), as keepalived does silently; no script is run, so no security
/// violation.
struct NoPrograms;

impl keepalived_conf::System for NoPrograms {
    fn interface_exists(&self, _: &str) -> bool {
        true
    }
    fn program_exists(&self, _: &str) -> bool {
        false
    }
}

#[test]
fn missing_script_programs_are_advice() {
    let text = vs(
        "10.0.0.1 80",
        "quorum_down /no/such",
        "notify_up /no/such\nMISC_CHECK {\nmisc_path /no/such/check\n}",
    );
    let l = load_str("t.conf", &text, &LoadOptions::default(), &NoPrograms);
    assert_eq!(l.exit_code(), 0, "{}", describe(&l).join("\n"));
    let got = describe(&l);
    assert_eq!(got.len(), 3, "{}", got.join("\n"));
    assert!(got.iter().all(|d| d.starts_with("advice")));
    let v = &l.config.lvs.virtual_servers[0];
    assert!(v.quorum_down.is_none() && v.real_servers[0].notify_up.is_none());
    assert_eq!(v.real_servers[0].checkers.len(), 1);
}

#[test]
fn link_local_real_server_needs_bind_if() {
    let text = "virtual_server fe80::10 80 {\nlb_algo rr\nlb_kind NAT\nprotocol TCP\nreal_server fe80::1 80 {\nTCP_CHECK {\n}\nTCP_CHECK {\nbind_if eth0\n}\n}\n}\n";
    let l = conf(text);
    let got = describe(&l);
    assert_eq!(got.len(), 1, "{}", got.join("\n"));
    assert!(got[0].starts_with("error@6:") && got[0].contains("requires a bind_if"));
    assert_eq!(
        l.config.lvs.virtual_servers[0].real_servers[0]
            .checkers
            .len(),
        1
    );
}

#[test]
fn url_missing_brace_is_one_diagnostic() {
    let l = conf(&vs(
        "10.0.0.1 80",
        "",
        "HTTP_GET {\nurl\npath /x\nstatus_code 204\n}",
    ));
    let got = describe(&l);
    assert_eq!(got.len(), 1, "{}", got.join("\n"));
    assert!(got[0].starts_with("error@8:"), "{}", got[0]);
    let CheckerKind::Http(h) = &l.config.lvs.virtual_servers[0].real_servers[0].checkers[0].kind
    else {
        panic!()
    };
    assert_eq!(h.urls[0].path, "/x");
    assert!(h.urls[0].accepts(204));
}

mod no_panic {
    use super::*;
    use proptest::prelude::*;

    const WORDS: &[&str] = &[
        "virtual_server",
        "virtual_server_group",
        "real_server",
        "sorry_server",
        "fwmark",
        "group",
        "TCP_CHECK",
        "HTTP_GET",
        "SSL_GET",
        "MISC_CHECK",
        "SMTP_CHECK",
        "DNS_CHECK",
        "UDP_CHECK",
        "PING_CHECK",
        "FILE_CHECK",
        "BFD_CHECK",
        "url",
        "host",
        "path",
        "digest",
        "status_code",
        "payload",
        "require_reply",
        "weight",
        "quorum",
        "hysteresis",
        "lb_kind",
        "TUN",
        "type",
        "gue",
        "port",
        "persistence_granularity",
        "connect_ip",
        "bindto",
        "10.0.0.1",
        "10.0.0.1-300",
        "10.0.0.0/8",
        "fe80::1",
        "::1-ffff",
        "0",
        "80",
        "-1",
        "65536",
        "4294967296",
        "xx",
        "zz",
        "1.0C",
        "200-100",
        "{",
        "}",
        "\"",
        "ip_family",
        "inet6",
        "sh-port",
        "ops",
        "quorum_up",
        "user",
        "misc_path",
        "SSL",
        "ca",
    ];

    fn word() -> impl Strategy<Value = String> {
        prop_oneof![
            4 => proptest::sample::select(WORDS).prop_map(str::to_string),
            1 => "[ -~]{0,12}",
        ]
    }

    fn text() -> impl Strategy<Value = String> {
        proptest::collection::vec(proptest::collection::vec(word(), 0..6), 0..40).prop_map(
            |lines| {
                lines
                    .iter()
                    .map(|l| l.join(" "))
                    .collect::<Vec<_>>()
                    .join("\n")
            },
        )
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(
            std::env::var("LVS_PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(512)
        ))]
        #[test]
        fn lvs_blocks_never_panic(t in text()) {
            let l = conf(&t);
            let _ = serde_json::to_string(&l.config.lvs).unwrap();
        }
    }
}
