//! Namespace tests of the I/O shell: real sockets, netlink, nftables and processes.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::Duration;

use keepalived_sys::netlink::{AddrSpec, Event, Netlink};
use keepalived_sys::socket::{SocketSpec, VrrpSocket};
use keepalived_sys::{frame, nft, script, track};
use testbed::{Lan, skip_unless_root};

fn ifindex(h: &testbed::Host) -> u32 {
    h.sh(&format!("cat /sys/class/net/{}/ifindex", h.ifname()))
        .unwrap()
        .trim()
        .parse()
        .unwrap()
}

fn exchange(v6: bool, dst: Option<IpAddr>, src: Option<IpAddr>) {
    let lan = Lan::new("sock").unwrap();
    let a = lan.host("eth0", &["10.20.0.1/24", "fd20::1/64"]).unwrap();
    let b = lan.host("ens33", &["10.20.0.2/24", "fd20::2/64"]).unwrap();
    let (ia, ib) = (ifindex(&a), ifindex(&b));
    let recv = b
        .background(move || async move {
            let s = VrrpSocket::open(SocketSpec::vrrp("ens33", ib, v6)).unwrap();
            tokio::time::timeout(Duration::from_secs(5), s.recv()).await
        })
        .unwrap();
    std::thread::sleep(Duration::from_millis(300));
    let group = if v6 {
        IpAddr::V6("ff02::12".parse().unwrap())
    } else {
        IpAddr::V4(Ipv4Addr::new(224, 0, 0, 18))
    };
    let to = dst.unwrap_or(group);
    a.block_on(move || async move {
        let mut spec = SocketSpec::vrrp("eth0", ia, v6);
        spec.src = src;
        let s = VrrpSocket::open(spec).unwrap();
        for _ in 0..3 {
            s.send_to(b"\x31\x07\x64\x01\x00\x64\x00\x00\x0a\x14\x00\x64", to)
                .await
                .unwrap();
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .unwrap();
    let r = recv.join().unwrap().expect("no packet received").unwrap();
    assert_eq!(r.ttl, 255);
    assert_eq!(r.dst, to);
    assert_eq!(r.ifindex, ib);
    assert_eq!(&r.payload()[..4], b"\x31\x07\x64\x01");
    if let Some(s) = src {
        assert_eq!(r.src, s);
    } else if v6 {
        assert!(
            matches!(r.src, IpAddr::V6(x) if x.is_unicast_link_local()),
            "{r:?}"
        );
    } else {
        assert_eq!(r.src, IpAddr::V4(Ipv4Addr::new(10, 20, 0, 1)));
        assert_eq!(r.packet[1], 0xc0, "TOS");
    }
}

/// sendmmsg on one side, an RxSet (one-shot epoll) and recvmmsg on the other: every advert
/// arrives with its source, destination, TTL and interface; a socket that reported stays quiet
/// until re-armed, and reports at once then if datagrams wait.
fn batched_exchange(v6: bool) {
    use keepalived_sys::socket::{RecvBatch, RxSet};
    use std::sync::Arc;
    let lan = Lan::new("sockb").unwrap();
    let a = lan.host("eth0", &["10.21.0.1/24", "fd21::1/64"]).unwrap();
    let b = lan.host("ens33", &["10.21.0.2/24", "fd21::2/64"]).unwrap();
    let (ia, ib) = (ifindex(&a), ifindex(&b));
    let group = if v6 {
        IpAddr::V6("ff02::12".parse().unwrap())
    } else {
        IpAddr::V4(Ipv4Addr::new(224, 0, 0, 18))
    };
    let (go_tx, go_rx) = std::sync::mpsc::channel::<()>();
    let (sent_tx, sent_rx) = std::sync::mpsc::channel::<()>();
    let recv = b
        .background(move || async move {
            let s = Arc::new(VrrpSocket::open_batched(SocketSpec::vrrp("ens33", ib, v6)).unwrap());
            let mut rx = RxSet::new(vec![s.clone()]).unwrap();
            go_tx.send(()).unwrap();
            let mut ready = Vec::new();
            let mut batch = RecvBatch::new();
            let mut got = Vec::new();
            let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
            while got.len() < 40 && tokio::time::Instant::now() < deadline {
                ready.clear();
                let r = tokio::time::timeout(
                    Duration::from_millis(500),
                    std::future::poll_fn(|cx| rx.poll_ready(cx, &mut ready)),
                )
                .await;
                if r.is_err() {
                    continue;
                }
                assert_eq!(ready, vec![0]);
                assert!(!rx.armed(0));
                // Quiet while disarmed, even with datagrams waiting.
                sent_rx.recv_timeout(Duration::from_secs(5)).ok();
                ready.clear();
                let quiet = tokio::time::timeout(
                    Duration::from_millis(100),
                    std::future::poll_fn(|cx| rx.poll_ready(cx, &mut ready)),
                )
                .await;
                assert!(quiet.is_err(), "a disarmed socket reported");
                rx.rearm(0).unwrap();
                loop {
                    let n = s.recv_batch(&mut batch).unwrap();
                    for k in 0..batch.len() {
                        let (d, bytes) = batch.get(k).unwrap();
                        got.push((*d, bytes[d.payload_offset..].to_vec()));
                    }
                    if n == 0 {
                        break;
                    }
                }
            }
            got
        })
        .unwrap();
    go_rx.recv_timeout(Duration::from_secs(5)).unwrap();
    a.block_on(move || async move {
        let s = VrrpSocket::open(SocketSpec::vrrp("eth0", ia, v6)).unwrap();
        let adverts: Vec<Vec<u8>> = (0..40u8)
            .map(|k| {
                vec![
                    0x31,
                    k + 1,
                    0x64,
                    0x01,
                    0x00,
                    0x64,
                    0x00,
                    0x00,
                    10,
                    21,
                    0,
                    100,
                ]
            })
            .collect();
        let items: Vec<(&[u8], IpAddr)> = adverts.iter().map(|a| (a.as_slice(), group)).collect();
        assert!(s.send_many(&items).await.is_empty());
    })
    .unwrap();
    sent_tx.send(()).unwrap();
    let got = recv.join().unwrap();
    assert_eq!(got.len(), 40, "{got:?}");
    for (k, (d, payload)) in got.iter().enumerate() {
        assert_eq!(d.ttl, 255);
        assert_eq!(d.dst, group);
        assert_eq!(d.ifindex, ib);
        assert_eq!(payload[1], k as u8 + 1, "in order");
        if !v6 {
            assert_eq!(d.src, IpAddr::V4(Ipv4Addr::new(10, 21, 0, 1)));
        }
    }
}

#[test]
fn vrrp_batched_v4() {
    skip_unless_root!();
    batched_exchange(false);
}

#[test]
fn vrrp_batched_v6() {
    skip_unless_root!();
    batched_exchange(true);
}

#[test]
fn vrrp_v4_multicast() {
    skip_unless_root!();
    exchange(false, None, None);
}

#[test]
fn vrrp_v4_unicast_with_src() {
    skip_unless_root!();
    exchange(
        false,
        Some("10.20.0.2".parse().unwrap()),
        Some("10.20.0.1".parse().unwrap()),
    );
}

#[test]
fn vrrp_v6_multicast() {
    skip_unless_root!();
    exchange(true, None, None);
}

#[test]
fn vip_with_label_then_removed_and_lifetime_expires() {
    skip_unless_root!();
    let lan = Lan::new("vip").unwrap();
    let a = lan.host("eth0", &["10.21.0.1/24"]).unwrap();
    let ia = ifindex(&a);
    a.block_on(move || async move {
        let nl = Netlink::connect().unwrap();
        let mut vip = AddrSpec::new(ia, "10.21.0.100".parse().unwrap(), 32);
        vip.label = Some("eth0:vip".into());
        nl.add_addr(&vip, false).await.unwrap();
        let mut short = AddrSpec::new(ia, "10.21.0.101".parse().unwrap(), 32);
        short.valid_lft = Some(1);
        nl.add_addr(&short, false).await.unwrap();
        let ours = nl.addrs(Some(ia)).await.unwrap();
        assert!(ours.iter().any(|x| x.ours && x.addr == vip.addr));
        assert!(
            ours.iter()
                .any(|x| !x.ours && x.addr.to_string() == "10.21.0.1")
        );
    })
    .unwrap();
    let text = a.sh("ip addr show dev eth0").unwrap();
    assert!(
        text.contains("10.21.0.100/32") && text.contains("eth0:vip"),
        "{text}"
    );
    assert!(
        text.contains("10.21.0.101/32") && text.contains("valid_lft 1sec"),
        "{text}"
    );
    // The kernel checks lifetimes every second or so: give it up to 4 s.
    let mut gone = false;
    for _ in 0..40 {
        std::thread::sleep(Duration::from_millis(100));
        if !a
            .sh("ip addr show dev eth0")
            .unwrap()
            .contains("10.21.0.101")
        {
            gone = true;
            break;
        }
    }
    assert!(gone, "VIP with valid_lft 1 did not expire");
    let removed = a
        .block_on(|| async { Netlink::connect().unwrap().remove_ours().await.unwrap() })
        .unwrap();
    assert_eq!(removed.len(), 1);
    let text = a.sh("ip addr show dev eth0").unwrap();
    assert!(
        !text.contains("10.21.0.100") && text.contains("10.21.0.1/24"),
        "{text}"
    );
}

#[test]
fn link_down_event() {
    skip_unless_root!();
    let lan = Lan::new("mon").unwrap();
    let a = lan.host("eth0", &["10.22.0.1/24"]).unwrap();
    let ia = ifindex(&a);
    let ev = a
        .block_on(move || async move {
            let mut rx = keepalived_sys::netlink::monitor().unwrap();
            let nl = Netlink::connect().unwrap();
            let l = nl.link("eth0").await.unwrap().unwrap();
            assert!(l.up && l.mac.is_some());
            nl.set_up(ia, false).await.unwrap();
            tokio::time::timeout(Duration::from_secs(3), async {
                while let Some(e) = rx.recv().await {
                    if let Event::Link(l) = &e
                        && l.index == ia
                        && !l.up
                    {
                        return e;
                    }
                }
                panic!("monitor ended");
            })
            .await
            .unwrap()
        })
        .unwrap();
    assert!(matches!(ev, Event::Link(l) if l.name == "eth0"));
}

#[test]
fn garp_and_na_on_the_wire() {
    skip_unless_root!();
    let lan = Lan::new("arp").unwrap();
    let a = lan.host("eth0", &["10.23.0.1/24"]).unwrap();
    let b = lan.host("eth0", &["10.23.0.2/24"]).unwrap();
    let ia = ifindex(&a);
    let mac_text = a.sh("cat /sys/class/net/eth0/address").unwrap();
    let mut mac = [0u8; 6];
    for (i, p) in mac_text.trim().split(':').enumerate() {
        mac[i] = u8::from_str_radix(p, 16).unwrap();
    }
    let out = b
        .background(|| async {
            tokio::process::Command::new("timeout")
                .args([
                    "5", "tcpdump", "-l", "-n", "-e", "-vv", "-i", "eth0", "-c", "2",
                ])
                .args(["arp or icmp6[0] == 136"])
                .output()
                .await
                .unwrap()
        })
        .unwrap();
    std::thread::sleep(Duration::from_millis(800));
    a.run(move || {
        let s = frame::LinkSender::open(ia).unwrap();
        s.send(&frame::garp_frame(mac, Ipv4Addr::new(10, 23, 0, 100)))
            .unwrap();
        s.send(&frame::na_frame(
            mac,
            "fd23::100".parse::<Ipv6Addr>().unwrap(),
            false,
        ))
        .unwrap();
    })
    .unwrap();
    let out = out.join().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let m = mac_text.trim();
    assert!(
        text.contains(&format!("{m} > ff:ff:ff:ff:ff:ff"))
            && text.contains("Request who-has 10.23.0.100 (ff:ff:ff:ff:ff:ff) tell 10.23.0.100"),
        "{text}"
    );
    assert!(
        text.contains("fd23::100 > ff02::1")
            && text.contains("hlim 255")
            && text.contains("neighbor advertisement")
            && text.contains("Flags [override]")
            && text.contains(&format!("link-address option (2), length 8 (1): {m}")),
        "{text}"
    );
}

#[test]
fn nftables_table_lifecycle() {
    skip_unless_root!();
    let lan = Lan::new("nft").unwrap();
    let a = lan.host("eth0", &["10.24.0.1/24"]).unwrap();
    let b = lan.host("eth0", &["10.24.0.2/24"]).unwrap();
    a.sh("ip addr add 10.24.0.100/32 dev eth0").unwrap();
    a.block_on(|| async {
        nft::Firewall::default()
            .install(&["10.24.0.100".parse().unwrap()])
            .await
            .unwrap()
    })
    .unwrap();
    let ping = |h: &testbed::Host| h.exec("ping -c1 -W1 10.24.0.100").unwrap().status.success();
    assert!(!ping(&b), "a VIP in the set answered ping");
    a.block_on(|| async {
        let fw = nft::Firewall::default();
        fw.install(&["10.24.0.100".parse().unwrap()]).await.unwrap();
        fw.add(&["fd24::100".parse().unwrap(), "10.24.0.101".parse().unwrap()])
            .await
            .unwrap();
        fw.remove(&["10.24.0.100".parse().unwrap()]).await.unwrap();
        let l = fw.list().await.unwrap().unwrap();
        assert!(l.contains("10.24.0.101") && l.contains("fd24::100"), "{l}");
        assert!(!l.contains("10.24.0.100"), "{l}");
        // A second install (start-up after a crash) replaces the table rather than failing.
        fw.install(&[]).await.unwrap();
        assert!(!fw.list().await.unwrap().unwrap().contains("10.24.0.101"));
        fw.uninstall().await.unwrap();
        assert!(fw.list().await.unwrap().is_none());
        fw.uninstall().await.unwrap();
    })
    .unwrap();
    assert!(!a.sh("nft list ruleset").unwrap().contains("keepalived_rs"));
    assert!(ping(&b), "VIP unreachable after the table was removed");
}

#[test]
fn script_timeout_kills_the_whole_group() {
    skip_unless_root!();
    let dir = tempfile::tempdir().unwrap();
    let pidf = dir.path().join("child.pid");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let mut s = script::Script::new(sh(&format!(
        "trap \"\" TERM; sleep 60 & echo $! > {}; wait",
        pidf.display()
    )));
    s.timeout = Some(Duration::from_millis(300));
    s.kill_grace = Duration::from_millis(200);
    let out = rt.block_on(script::run(&s)).unwrap();
    assert_eq!(out, script::Outcome::TimedOut);
    let pid: i32 = std::fs::read_to_string(&pidf)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    std::thread::sleep(Duration::from_millis(100));
    let alive = std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .map(|s| !s.contains(") Z "))
        .unwrap_or(false);
    assert!(!alive, "grandchild {pid} survived");
    let ok = rt
        .block_on(script::run(&script::Script::new(sh("exit 3"))))
        .unwrap();
    assert_eq!(ok, script::Outcome::Exited(3));
}

#[test]
fn track_file_sees_writes() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("weight");
    std::fs::write(&f, "5\n").unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    // A plain reader: the watch is what is tested here (keepalived's reader is in keepalived-check).
    fn read(p: &std::path::Path) -> Option<i64> {
        match std::fs::read_to_string(p) {
            Ok(t) => t.trim().parse().ok(),
            Err(_) => Some(0),
        }
    }
    rt.block_on(async {
        let mut rx = track::watch_file(f.clone(), read).unwrap();
        assert_eq!(rx.recv().await.unwrap(), 5);
        std::fs::write(&f, "-20\n").unwrap();
        let v = tokio::time::timeout(Duration::from_secs(2), rx.recv()).await;
        assert_eq!(v.unwrap().unwrap(), -20);
        // An ignored reading keeps the last value: nothing is sent.
        std::fs::write(&f, "junk\n").unwrap();
        std::fs::write(&f, "7\n").unwrap();
        let v = tokio::time::timeout(Duration::from_secs(2), rx.recv()).await;
        assert_eq!(v.unwrap().unwrap(), 7);
        std::fs::remove_file(&f).unwrap();
        let v = tokio::time::timeout(Duration::from_secs(2), rx.recv()).await;
        assert_eq!(v.unwrap().unwrap(), 0);
    });
}

#[test]
fn track_process_counts() {
    let mut c = std::process::Command::new("sleep")
        .arg("7.123")
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(track::count_processes("sleep", Some("7.123")), 1);
    c.kill().unwrap();
    c.wait().unwrap();
    assert_eq!(track::count_processes("sleep", Some("7.123")), 0);
}

#[test]
fn vmac_created_with_sysctls_and_removed() {
    skip_unless_root!();
    let lan = Lan::new("vmac").unwrap();
    let a = lan.host("eth0", &["10.25.0.1/24"]).unwrap();
    let (name, restored) = a
        .block_on(|| async {
            use keepalived_sys::{sysctl, vmac};
            let nl = Netlink::connect().unwrap();
            let base = nl.link("eth0").await.unwrap().unwrap();
            let v = vmac::Vmac::create(&nl, &base, "vrrp.51", 51, false)
                .await
                .unwrap();
            assert_eq!(v.link.mac, Some([0, 0, 0x5e, 0, 1, 51]));
            assert_eq!(sysctl::read("net.ipv4.conf.eth0.arp_ignore").unwrap(), "1");
            assert_eq!(sysctl::read("net.ipv4.conf.eth0.arp_filter").unwrap(), "1");
            assert_eq!(
                sysctl::read("net.ipv4.conf.vrrp/51.accept_local").unwrap(),
                "1"
            );
            assert_eq!(
                sysctl::read("net.ipv4.conf.vrrp/51.rp_filter").unwrap(),
                "0"
            );
            let shown = std::process::Command::new("ip")
                .args(["-d", "link", "show", "vrrp.51"])
                .output()
                .unwrap();
            let shown = String::from_utf8_lossy(&shown.stdout).into_owned();
            v.remove(&nl).await.unwrap();
            let restored = (
                sysctl::read("net.ipv4.conf.eth0.arp_ignore").unwrap(),
                sysctl::read("net.ipv4.conf.eth0.arp_filter").unwrap(),
            );
            (shown, restored)
        })
        .unwrap();
    assert!(
        name.contains("00:00:5e:00:01:33") && name.contains("macvlan mode private"),
        "{name}"
    );
    assert_eq!(restored, ("0".to_string(), "0".to_string()));
    assert!(!a.sh("ip link").unwrap().contains("vrrp.51"));
}

#[test]
fn routes_and_rules_added_and_removed() {
    skip_unless_root!();
    use keepalived_sys::netlink::{RouteSpec, RuleSpec};
    let lan = Lan::new("rt").unwrap();
    let a = lan.host("eth0", &["10.26.0.1/24", "fd26::1/64"]).unwrap();
    let ia = ifindex(&a);
    let (route, rule) = (
        {
            let mut r = RouteSpec::new("192.0.2.0".parse().unwrap(), 24);
            r.via = Some("10.26.0.254".parse().unwrap());
            r.table = Some(100);
            r.metric = Some(7);
            r
        },
        RuleSpec {
            from: Some(("10.26.0.0".parse().unwrap(), 24)),
            table: Some(100),
            priority: Some(1000),
            ..RuleSpec::default()
        },
    );
    let mut r6 = RouteSpec::new("2001:db8::".parse().unwrap(), 32);
    r6.ifindex = Some(ia);
    let (r1, r2, r3) = (route.clone(), rule.clone(), r6.clone());
    a.block_on(move || async move {
        let nl = Netlink::connect().unwrap();
        nl.add_route(&r1).await.unwrap();
        nl.add_route(&r3).await.unwrap();
        nl.add_rule(&r2).await.unwrap();
    })
    .unwrap();
    let routes = a.sh("ip route show table 100; ip -6 route show").unwrap();
    assert!(
        routes.contains("192.0.2.0/24 via 10.26.0.254 dev eth0 proto 167 metric 7"),
        "{routes}"
    );
    assert!(
        routes.contains("2001:db8::/32 dev eth0 proto 167"),
        "{routes}"
    );
    let rules = a.sh("ip rule show").unwrap();
    assert!(
        rules.contains("1000:\tfrom 10.26.0.0/24 lookup 100 proto 167"),
        "{rules}"
    );
    a.block_on(move || async move {
        let nl = Netlink::connect().unwrap();
        nl.del_route(&route).await.unwrap();
        nl.del_rule(&rule).await.unwrap();
        nl.add_route(&route).await.unwrap();
        nl.add_rule(&rule).await.unwrap();
        // A crash left three of ours behind: start-up finds them by their proto.
        assert_eq!(nl.remove_our_routes_and_rules().await.unwrap(), 3);
        assert!(nl.del_route(&r6).await.is_err());
    })
    .unwrap();
    let all = a
        .sh("ip route show table 100; ip -6 route; ip rule show")
        .unwrap();
    assert!(
        !all.contains("192.0.2.0") && !all.contains("2001:db8") && !all.contains("lookup 100"),
        "{all}"
    );
}

#[test]
fn ah_datagram_with_our_own_ip_header() {
    skip_unless_root!();
    use keepalived_sys::socket::PROTO_AH;
    let lan = Lan::new("ah").unwrap();
    let a = lan.host("eth0", &["10.27.0.1/24"]).unwrap();
    let b = lan.host("eth0", &["10.27.0.2/24"]).unwrap();
    let (ia, ib) = (ifindex(&a), ifindex(&b));
    let recv = b
        .background(move || async move {
            let mut spec = SocketSpec::vrrp("eth0", ib, false);
            spec.protocol = PROTO_AH;
            let s = VrrpSocket::open(spec).unwrap();
            tokio::time::timeout(Duration::from_secs(5), s.recv()).await
        })
        .unwrap();
    std::thread::sleep(Duration::from_millis(300));
    a.block_on(move || async move {
        let mut spec = SocketSpec::vrrp("eth0", ia, false);
        spec.protocol = PROTO_AH;
        spec.hdrincl = true;
        let s = VrrpSocket::open(spec).unwrap();
        // IPv4 header as keepalived builds it for AH: TOS 0xc0, TTL 255, protocol 51.
        let payload = [0x70u8; 24 + 20];
        let total = (20 + payload.len()) as u16;
        let mut d = vec![0x45, 0xc0];
        d.extend_from_slice(&total.to_be_bytes());
        d.extend_from_slice(&[0, 1, 0, 0, 255, 51, 0, 0, 10, 27, 0, 1, 224, 0, 0, 18]);
        d.extend_from_slice(&payload);
        for _ in 0..3 {
            s.send_to(&d, "224.0.0.18".parse().unwrap()).await.unwrap();
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .unwrap();
    let r = recv.join().unwrap().expect("no AH datagram").unwrap();
    assert_eq!((r.ttl, r.packet[1], r.packet[9]), (255, 0xc0, 51));
    assert_eq!(r.src, IpAddr::V4(Ipv4Addr::new(10, 27, 0, 1)));
    assert_eq!(r.payload().len(), 44);
}

#[test]
fn script_runs_as_another_user() {
    skip_unless_root!();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("id");
    std::fs::set_permissions(
        dir.path(),
        std::os::unix::fs::PermissionsExt::from_mode(0o777),
    )
    .unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let mut s = script::Script::new(sh(&format!(
        "id -u > {0}; id -g >> {0}; ps -o pgid= -p $$ >> {0}; echo $$ >> {0}",
        out.display()
    )));
    s.uid = Some(65534);
    s.gid = Some(65534);
    assert!(rt.block_on(script::run(&s)).unwrap().success());
    let text = std::fs::read_to_string(&out).unwrap();
    let l: Vec<&str> = text.lines().map(str::trim).collect();
    assert_eq!(&l[..2], &["65534", "65534"], "{text}");
    assert_eq!(l[2], l[3], "not its own process group: {text}");
}

#[test]
fn one_socket_per_interface_and_family() {
    skip_unless_root!();
    let lan = Lan::new("shr").unwrap();
    let a = lan.host("eth0", &["10.28.0.1/24"]).unwrap();
    let ia = ifindex(&a);
    a.block_on(move || async move {
        use keepalived_sys::socket::Sockets;
        let mut all = Sockets::default();
        let s1 = all.get(SocketSpec::vrrp("eth0", ia, false)).unwrap();
        let mut other_group = SocketSpec::vrrp("eth0", ia, false);
        other_group.groups = vec!["224.0.0.19".parse().unwrap()];
        let s2 = all.get(other_group).unwrap();
        let s6 = all.get(SocketSpec::vrrp("eth0", ia, true)).unwrap();
        assert!(std::sync::Arc::ptr_eq(&s1, &s2));
        assert!(!std::sync::Arc::ptr_eq(&s1, &s6));
        drop((s1, s2));
        all.prune();
        let again = all.get(SocketSpec::vrrp("eth0", ia, true)).unwrap();
        assert!(std::sync::Arc::ptr_eq(&again, &s6));
    })
    .unwrap();
}

/// argv running `cmd` through /bin/sh.
fn sh(cmd: &str) -> Vec<String> {
    vec!["/bin/sh".into(), "-c".into(), cmd.into()]
}

/// keepalived's child setup: default signal dispositions and an empty mask whatever the daemon
/// ignores or blocks, stdout/stderr on /dev/null, the supplementary groups reduced to the gid.
/// (PR_SET_PDEATHSIG is shown by the daemon test that SIGKILLs keepalived with a FIFO script.)
#[test]
#[allow(unsafe_code)]
fn script_starts_with_keepalived_child_setup() {
    skip_unless_root!();
    use nix::sys::signal::{SigHandler, SigSet, SigmaskHow, Signal, pthread_sigmask, signal};
    // SAFETY: setting SIG_IGN installs no handler code; SIGQUIT is not used by this test binary.
    unsafe { signal(Signal::SIGQUIT, SigHandler::SigIgn) }.unwrap();
    let mut blocked = SigSet::empty();
    blocked.add(Signal::SIGUSR2);
    pthread_sigmask(SigmaskHow::SIG_BLOCK, Some(&blocked), None).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("state");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let s = script::Script::new(sh(&format!(
        "o=$(readlink /proc/$$/fd/1); e=$(readlink /proc/$$/fd/2); \
         grep -E '^(SigIgn|SigBlk|Groups)' /proc/$$/status > {0}; echo \"$o\" >> {0}; \
         echo \"$e\" >> {0}",
        out.display()
    )));
    let st = rt.block_on(script::run(&s)).unwrap();
    pthread_sigmask(SigmaskHow::SIG_UNBLOCK, Some(&blocked), None).unwrap();
    assert!(st.success());
    let text = std::fs::read_to_string(&out).unwrap();
    let l: Vec<&str> = text.lines().collect();
    assert_eq!(l[0].split_whitespace().nth(1), Some("0"), "{text}");
    assert_eq!(l[1], "SigBlk:\t0000000000000000", "{text}");
    assert_eq!(l[2], "SigIgn:\t0000000000000000", "{text}");
    assert_eq!(&l[3..5], &["/dev/null", "/dev/null"], "{text}");
}
