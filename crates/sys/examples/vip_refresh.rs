//! Cost of the "VIPs with a valid lifetime that the master refreshes" feature: 1,000 VIPs added
//! with valid_lft, then refreshed (NLM_F_REPLACE) as a master would each advert interval. Root only.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::{IpAddr, Ipv4Addr};
use std::time::Instant;

use keepalived_sys::netlink::{AddrSpec, Netlink};

fn main() {
    if !testbed::is_root() {
        eprintln!("skipped: needs root");
        return;
    }
    let n: u32 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1000);
    let lan = testbed::Lan::new("bench").unwrap();
    let h = lan.host("eth0", &["10.30.0.1/16"]).unwrap();
    let idx: u32 = h
        .sh("cat /sys/class/net/eth0/ifindex")
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    h.block_on(move || async move {
        let nl = Netlink::connect().unwrap();
        let vips: Vec<AddrSpec> = (0..n)
            .map(|i| {
                let mut v = AddrSpec::new(
                    idx,
                    IpAddr::V4(Ipv4Addr::new(10, 31, (i / 250) as u8, (i % 250 + 1) as u8)),
                    32,
                );
                v.valid_lft = Some(3);
                v.preferred_lft = Some(3);
                v
            })
            .collect();
        let t = Instant::now();
        for v in &vips {
            nl.add_addr(v, false).await.unwrap();
        }
        println!("add {n} VIPs: {:?}", t.elapsed());
        let mut runs = Vec::new();
        for _ in 0..5 {
            let t = Instant::now();
            for v in &vips {
                nl.add_addr(v, true).await.unwrap();
            }
            runs.push(t.elapsed());
        }
        runs.sort();
        println!(
            "refresh {n} VIPs (median of 5): {:?} = {:.1} us per VIP",
            runs[2],
            runs[2].as_secs_f64() * 1e6 / f64::from(n)
        );
    })
    .unwrap();
}
