//! Scenario 04 (LVS-DR) up to the computed table: director1.conf built by hand in our types,
//! real HTTP and TCP servers on 127.0.0.9 and 127.0.0.10 standing for 172.16.100.9 and .10.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::net::SocketAddr;
use std::time::Duration;

use common::*;
use keepalived_check::scheduler::{self, SchedulerOptions};
use keepalived_check::*;

/// director1.conf's virtual_server, with the real servers moved to loopback and the timers
/// shortened (delay_loop 6 -> 0.2 s, delay_before_retry 1 -> 0.05 s) so the test stays fast.
fn director1(rs9: SocketAddr, rs10: SocketAddr) -> VirtualServerConfig {
    let mut vs = VirtualServerConfig::new(VsIdent::Addr("172.16.100.22:80".parse().unwrap()));
    vs.delay_loop = Duration::from_millis(200);
    vs.scheduler = "rr".into();
    vs.forwarding = Forwarding::Dr;
    vs.persistence_timeout = Some(50);
    vs.protocol = Protocol::Tcp;
    vs.sorry_server = Some(SorryServerConfig {
        addr: "127.0.0.1:80".parse().unwrap(),
        inhibit: false,
        forwarding: None,
    });
    let mut r9 = RealServerConfig::new(rs9);
    r9.weight = 1;
    let mut url = UrlConfig::new("/");
    url.status_codes = vec![StatusRange { min: 200, max: 200 }];
    let mut http = CheckerConfig::http(vec![url]);
    let c = http.common_mut();
    c.connect_timeout = Some(Duration::from_secs(2));
    c.retry = Some(3); // nb_get_retry 3
    c.delay_before_retry = Some(Duration::from_millis(50));
    r9.checkers.push(http);
    let mut r10 = RealServerConfig::new(rs10);
    r10.weight = 1;
    let mut tcp = CheckerConfig::tcp();
    let c = tcp.common_mut();
    c.connect.connect_port = Some(rs10.port()); // connect_port 80
    c.connect_timeout = Some(Duration::from_secs(3));
    r10.checkers.push(tcp);
    vs.real_servers = vec![r9, r10];
    vs
}

fn dest_set(t: &Table) -> Vec<(String, u32, Forwarding)> {
    let svc = t
        .services
        .get(&ServiceKey::Addr {
            protocol: Protocol::Tcp,
            addr: "172.16.100.22:80".parse().unwrap(),
        })
        .expect("service 172.16.100.22:80");
    assert_eq!(svc.scheduler, "rr");
    assert_eq!(svc.persistence_timeout, Some(50));
    svc.dests
        .iter()
        .map(|(a, d)| (a.to_string(), d.weight, d.forwarding))
        .collect()
}

async fn wait_table(
    rx: &mut tokio::sync::mpsc::UnboundedReceiver<scheduler::Report>,
    want: &[&str],
) -> Table {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    let mut t = Table::default();
    loop {
        let r = tokio::time::timeout_at(deadline, rx.recv())
            .await
            .unwrap_or_else(|_| panic!("table never became {want:?}"))
            .unwrap();
        if !r.changed.is_empty() {
            t.services.extend(r.changed);
            let got: Vec<String> = dest_set(&t).into_iter().map(|d| d.0).collect();
            if got == want {
                return t;
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scenario04_table_follows_real_servers() {
    let p = port();
    let rs9: SocketAddr = format!("127.0.0.9:{p}").parse().unwrap();
    let rs10: SocketAddr = format!("127.0.0.10:{p}").parse().unwrap();
    let mut http9 = Some(http_server(rs9));
    let mut tcp10 = Some(http_server(rs10));

    let model = Model::new(vec![director1(rs9, rs10)], ModelOptions::default());
    let (running, start, table, mut rx) = scheduler::run(
        model,
        SchedulerOptions {
            no_warmup: true,
            ..Default::default()
        },
    );
    assert!(start.iter().any(|a| matches!(a, Action::Log(l)
        if l == &format!("Activating healthchecker for service [127.0.0.9]:tcp:{p} for VS [172.16.100.22]:tcp:80"))));
    // 1. both real servers, DR, weight 1
    assert_eq!(
        dest_set(&table),
        vec![
            (rs9.to_string(), 1, Forwarding::Dr),
            (rs10.to_string(), 1, Forwarding::Dr)
        ]
    );
    // 2. the HTTP server on .9 stops: it leaves after the retries
    drop(http9.take());
    let t = wait_table(&mut rx, &[&rs10.to_string()]).await;
    let prev = t.clone();
    // ... and comes back
    http9 = Some(http_server(rs9));
    let t = wait_table(&mut rx, &[&rs9.to_string(), &rs10.to_string()]).await;
    let key = t.services.keys().next().unwrap().clone();
    assert!(
        matches!(&prev.diff(&t)[..], [TableChange::AddDest(k, a, d)] if *k == key && *a == rs9 && d.weight == 1)
    );
    // 3. both down: the sorry server alone
    drop(http9.take());
    drop(tcp10.take());
    let t = wait_table(&mut rx, &["127.0.0.1:80"]).await;
    assert_eq!(
        dest_set(&t),
        vec![("127.0.0.1:80".into(), 1, Forwarding::Dr)]
    );
    // one back: the sorry server leaves
    tcp10 = Some(http_server(rs10));
    wait_table(&mut rx, &[&rs10.to_string()]).await;
    http9 = Some(http_server(rs9));
    wait_table(&mut rx, &[&rs9.to_string(), &rs10.to_string()]).await;
    running.shutdown().await;
    drop((http9, tcp10));
}
