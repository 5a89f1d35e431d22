#![allow(clippy::unwrap_used, clippy::expect_used)]
//! keepalived.conf -> check structs: scenario 04's director config as parsed by keepalived-conf
//! equals the structs built by hand in tests/scenario04.rs (with its real timers), and its table
//! at start holds both real servers; every checker kind maps with its options.

use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use keepalived_check::from_conf::from_config;
use keepalived_check::*;
use keepalived_conf::{AnyHost, LoadOptions, load, load_str};

fn sa(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

/// director1.conf's virtual_server exactly as written (delay_loop 6, delay_before_retry 1).
fn director1_by_hand() -> VirtualServerConfig {
    let mut vs = VirtualServerConfig::new(VsIdent::Addr(sa("172.16.100.22:80")));
    vs.delay_loop = Duration::from_secs(6);
    vs.scheduler = "rr".into();
    vs.forwarding = Forwarding::Dr;
    vs.persistence_timeout = Some(50);
    vs.protocol = Protocol::Tcp;
    vs.sorry_server = Some(SorryServerConfig {
        addr: sa("127.0.0.1:80"),
        inhibit: false,
        forwarding: None,
    });
    let mut r9 = RealServerConfig::new(sa("172.16.100.9:80"));
    r9.weight = 1;
    let mut url = UrlConfig::new("/");
    url.status_codes = vec![StatusRange { min: 200, max: 200 }];
    let mut http = CheckerConfig::http(vec![url]);
    let c = http.common_mut();
    c.connect_timeout = Some(Duration::from_secs(2));
    c.retry = Some(3);
    c.delay_before_retry = Some(Duration::from_secs(1));
    r9.checkers.push(http);
    let mut r10 = RealServerConfig::new(sa("172.16.100.10:80"));
    r10.weight = 1;
    let mut tcp = CheckerConfig::tcp();
    let c = tcp.common_mut();
    c.connect.connect_port = Some(80);
    c.connect_timeout = Some(Duration::from_secs(3));
    r10.checkers.push(tcp);
    vs.real_servers = vec![r9, r10];
    vs
}

#[test]
fn scenario04_config_becomes_check_structs() {
    let dir =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../conf/tests/fixtures/scenarios/04-lvs-dr");
    for f in ["director1.conf", "director2.conf"] {
        let loaded = load(&dir.join(f), &LoadOptions::default(), &AnyHost);
        let cc = from_config(&loaded.config);
        assert!(cc.unsupported.is_empty(), "{:?}", cc.unsupported);
        assert!(cc.ssl.is_none());
        assert_eq!(cc.virtual_servers, vec![director1_by_hand()], "{f}");

        // The table at start: both real servers, DR, weight 1 (keepalived starts them up).
        let mut model = Model::new(cc.virtual_servers, ModelOptions::default());
        model.start();
        let t = model.table();
        let svc = t
            .services
            .get(&ServiceKey::Addr {
                protocol: Protocol::Tcp,
                addr: sa("172.16.100.22:80"),
            })
            .expect("service 172.16.100.22:80");
        assert_eq!(svc.scheduler, "rr");
        assert_eq!(svc.persistence_timeout, Some(50));
        let dests: Vec<(String, u32, Forwarding)> = svc
            .dests
            .iter()
            .map(|(a, d)| (a.to_string(), d.weight, d.forwarding))
            .collect();
        let mut addrs: Vec<String> = dests.iter().map(|d| d.0.clone()).collect();
        addrs.sort();
        assert_eq!(addrs, ["172.16.100.10:80", "172.16.100.9:80"]);
        assert!(dests.iter().all(|d| d.1 == 1 && d.2 == Forwarding::Dr));
    }
}

#[test]
fn every_checker_kind_maps() {
    let text = r#"
track_file tf {
    file /run/weight
    weight 5 reverse
}
SSL {
    certificate /etc/c.pem
    key /etc/k.pem
}
virtual_server_group G {
    10.0.0.1-3 80
    fwmark 9
}
virtual_server group G {
    lb_algo wlc
    lb_kind NAT
    protocol TCP
    real_server 10.0.1.1 80 {
        weight 7
        inhibit_on_failure
        notify_up "/bin/up x" nobody
        SSL_GET {
            http_protocol 1.0C
            enable_sni
            url {
                path /a
                digest 9B3A0C85A887A256D6939DA88AABD8CD
                regex "^ok$"
                regex_options caseless
            }
        }
        MISC_CHECK {
            misc_path "/bin/chk 1"
            misc_timeout 3
            misc_dynamic
            user nobody
        }
        SMTP_CHECK {
            helo_name me
            host {
                connect_ip 10.0.1.8
                connect_port 2525
            }
            host {
                connect_ip 10.0.1.9
            }
        }
        DNS_CHECK {
            type MX
        }
        DNS_CHECK {
            type RRSIG
        }
        UDP_CHECK {
            payload 0a0b
            require_reply 0x ff
        }
        PING_CHECK {
        }
        FILE_CHECK {
            track_file tf
        }
        BFD_CHECK {
            name b1
        }
    }
}
virtual_server group G {
    lb_algo rr
    lb_kind NAT
    protocol UDP
    persistence_timeout 10
    real_server 10.0.2.1 53 {
        lvs_method TUN
    }
}
virtual_server 2001:db8::10 53 {
    lb_algo rr
    lb_kind NAT
    protocol UDP
    persistence_granularity 64
    real_server 2001:db8::1 53 {
    }
}
"#;
    let loaded = load_str("t.conf", text, &LoadOptions::default(), &AnyHost);
    let cc = from_config(&loaded.config);
    let ssl = cc.ssl.as_ref().unwrap();
    assert_eq!(ssl.certificate.as_deref(), Some(Path::new("/etc/c.pem")));
    let v = &cc.virtual_servers[0];
    assert_eq!(
        v.ident,
        VsIdent::Group {
            name: "G".into(),
            port: 0
        }
    );
    assert_eq!(
        v.group_entries,
        vec![
            GroupEntry::Range {
                first: "10.0.0.1".parse().unwrap(),
                last: "10.0.0.3".parse().unwrap(),
                port: 80
            },
            GroupEntry::Fwmark(9, None)
        ]
    );
    let rs = &v.real_servers[0];
    assert_eq!(rs.weight, 7);
    assert_eq!(rs.inhibit_on_failure, Some(true));
    let up = rs.notify_up.as_ref().unwrap();
    assert_eq!(
        (up.command.as_str(), up.user.as_deref()),
        ("/bin/up x", Some("nobody"))
    );
    let kinds: Vec<CheckerKind> = rs.checkers.iter().map(CheckerConfig::kind).collect();
    assert_eq!(
        kinds,
        [
            CheckerKind::Ssl,
            CheckerKind::Misc,
            CheckerKind::Smtp,
            CheckerKind::Smtp,
            CheckerKind::Dns,
            CheckerKind::Udp,
            CheckerKind::Ping,
            CheckerKind::File
        ],
        "two SMTP host blocks are two checkers; RRSIG and BFD_CHECK are not run"
    );
    let CheckerConfig::Ssl { http, .. } = &rs.checkers[0] else {
        panic!()
    };
    assert_eq!(http.http_protocol, HttpProtocol::V1_0C);
    assert!(http.enable_sni);
    let u = &http.urls[0];
    assert_eq!(
        u.digest.as_deref(),
        Some("9b3a0c85a887a256d6939da88aabd8cd")
    );
    let re = u.regex.as_ref().unwrap();
    assert!(re.is_match(b"OK") && !re.is_match(b"nok"));
    assert!(u.accepts_status(204), "default 200-299");
    let CheckerConfig::Misc {
        path,
        timeout,
        dynamic,
        user,
        ..
    } = &rs.checkers[1]
    else {
        panic!()
    };
    assert_eq!(path, "/bin/chk 1");
    assert_eq!(*timeout, Some(Duration::from_secs(3)));
    assert!(*dynamic);
    assert_eq!(user.as_deref(), Some("nobody"));
    let CheckerConfig::Smtp { common, helo_name } = &rs.checkers[2] else {
        panic!()
    };
    assert_eq!(helo_name.as_deref(), Some("me"));
    assert_eq!(common.connect.connect_ip, Some("10.0.1.8".parse().unwrap()));
    assert_eq!(common.connect.connect_port, Some(2525));
    assert_eq!(
        rs.checkers[3].common().connect.connect_ip,
        Some("10.0.1.9".parse().unwrap())
    );
    let CheckerConfig::Dns { kind, name, .. } = &rs.checkers[4] else {
        panic!()
    };
    assert_eq!((*kind, name.as_str()), (DnsType::Mx, "."));
    let CheckerConfig::Udp {
        payload,
        require_reply,
        min_reply_length,
        max_reply_length,
        ..
    } = &rs.checkers[5]
    else {
        panic!()
    };
    assert_eq!(payload.as_deref(), Some(&[0x0a, 0x0b][..]));
    assert_eq!(
        require_reply.as_ref().unwrap().bytes,
        vec![(0x00, 0xf0), (0xff, 0xff)]
    );
    assert_eq!((*min_reply_length, *max_reply_length), (0, 255));
    let CheckerConfig::File { file, .. } = &rs.checkers[7] else {
        panic!()
    };
    assert_eq!(file.path, Path::new("/run/weight"));
    assert_eq!((file.weight, file.reverse, file.dynamic), (5, true, true));
    assert_eq!(cc.unsupported.len(), 2, "{:?}", cc.unsupported);
    assert!(cc.unsupported.iter().any(|u| u.contains("RRSIG")));
    assert!(cc.unsupported.iter().any(|u| u.contains("BFD_CHECK")));

    // The second virtual server of group G is its service number 1.
    let v2 = &cc.virtual_servers[1];
    assert_eq!(
        v2.ident,
        VsIdent::Group {
            name: "G".into(),
            port: 1
        }
    );
    assert_eq!(v2.protocol, Protocol::Udp);
    assert_eq!(
        v2.real_servers[0].forwarding,
        Some(Forwarding::Tun(Default::default()))
    );
    assert_eq!(v2.persistence_timeout, Some(10));
    let v3 = &cc.virtual_servers[2];
    assert_eq!(
        v3.persistence_timeout,
        Some(360),
        "granularity makes it persistent"
    );
    assert_eq!(
        v3.persistence_granularity,
        Some(keepalived_check::Granularity::V6(64))
    );
    assert!(v3.ipv6);
}
