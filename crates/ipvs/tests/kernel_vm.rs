//! The client against a real IPVS: this host's kernel has none, so on the host the test re-runs
//! its own binary inside a QEMU VM (`tools/run-in-vm`, Debian's cloud kernel 6.1 with the IPVS
//! modules and ipvsadm 1.31) with `IPVS_VM_GUEST=1`, and the guest does the work:
//!
//! - `open` with the ip_vs modules unloaded and the kernel's own autoload disabled
//!   (`/proc/sys/kernel/modprobe` = /bin/false for that moment): ENOENT, our `modprobe ip_vs`,
//!   second lookup, GET_INFO; info (version 1.2.1, table size as ipvsadm shows it);
//! - EPERM, with "CAP_NET_ADMIN" in the message, for the same binary run as nobody;
//! - timeouts get/set against `ipvsadm -L --timeout`;
//! - sync daemons: start master (kernel defaults) and backup (group, port, ttl, maxlen),
//!   `daemons()` against `ipvsadm -L --daemon`, EEXIST on a second start, ENODEV on a missing
//!   interface, stop, ESRCH on stopping a stopped one;
//! - errors on a missing service (ESRCH) vs a missing destination (ENOENT) vs an unknown
//!   scheduler (ENOENT), EEXIST on duplicates;
//! - every scheduler keepalived accepts (those the kernel lacks are skipped and named);
//! - a table with TCP/UDP/SCTP, IPv4/IPv6, fwmark v4/v6, persistence with a v4 mask and a v6
//!   prefix, the sip persistence engine, sh/mh flags, ops, every forwarding method, tunnels
//!   ipip / gue (port, csum, remcsum, nocsum) / gre (csum, nocsum), a mixed-family tunnel dest;
//!   services and dests added, edited, deleted one by one; after each change the kernel's table
//!   is compared with the intended one three ways: `ipvsadm -Sn` (sorted lines),
//!   `ipvsadm -Ln` and `-Ln --thresholds` (per service), `ipvsadm -Ln --stats --exact` (against
//!   our own counters), and our own dump (`services()` + `dests()`) field by field;
//! - traffic (UDP to a local service) so the counters are non-zero, then ZERO per service and
//!   for all;
//! - FLUSH; `apply()` with 2,000 ops (100 services x 19 dests) and one with failing ops mixed in.
//!
//! On the host: skipped with a notice when not root or when the VM cannot start (exit 125).
//! Also on the host (no IPVS there): `open` fails with `is_unavailable()`.
//! Wall time here: 28-37 s (a 4 s boot; TCG on a 2-core machine shared with builds), most of it
//! the ~120 `ipvsadm` runs of the comparisons.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::Path;
use std::process::Command;
use std::time::Instant;

use keepalived_ipvs::*;

const GUEST_ENV: &str = "IPVS_VM_GUEST";

#[test]
fn ipvs_client_in_vm() {
    if std::env::var_os(GUEST_ENV).is_some() {
        guest();
        return;
    }
    host("ipvs_client_in_vm");
}

/// Inside the VM, run by the guest as an unprivileged user: every request needs CAP_NET_ADMIN.
#[test]
fn without_cap_net_admin() {
    if std::env::var_os("IPVS_VM_EPERM").is_none() {
        return;
    }
    let e = Client::open().expect_err("open without CAP_NET_ADMIN");
    assert!(e.is_permission(), "{e}");
    assert!(e.to_string().contains("CAP_NET_ADMIN"), "{e}");
    println!("unprivileged: {e}");
}

/// On a host without IPVS (this one), `open` says so.
#[test]
fn open_without_ipvs_is_unavailable() {
    if std::env::var_os(GUEST_ENV).is_some() || Path::new("/proc/net/ip_vs").exists() {
        return;
    }
    let e = Client::open().expect_err("open on a kernel without IPVS");
    assert!(e.is_unavailable(), "{e}");
    assert!(
        e.to_string()
            .contains("IPVS is not available in this kernel"),
        "{e}"
    );
    println!("{e}");
}

fn host(name: &str) {
    if !nix::unistd::geteuid().is_root() {
        eprintln!("skipped: not root (run-in-vm needs root on its first run)");
        return;
    }
    let t0 = Instant::now();
    let exe = std::env::current_exe().unwrap();
    let out = Command::new(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tools/run-in-vm"))
        .args([
            "-q",
            "-t",
            "180",
            "-e",
            &format!("{GUEST_ENV}=1"),
            "--runner",
        ])
        .arg(&exe)
        .args([name, "--exact", "--nocapture", "--test-threads=1"])
        .output()
        .expect("tools/run-in-vm");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    if out.status.code() == Some(125) {
        eprintln!("skipped: the VM could not start (tools/run-in-vm exit 125):\n{stderr}");
        return;
    }
    println!("{stdout}");
    eprintln!("{stderr}");
    assert_eq!(
        out.status.code(),
        Some(0),
        "the guest failed\nstdout:\n{stdout}\nstderr:\n{stderr}"
    );
    assert!(
        stdout.contains("guest: all done"),
        "the guest did not finish\nstdout:\n{stdout}\nstderr:\n{stderr}"
    );
    println!("host: VM run {:.1} s", t0.elapsed().as_secs_f64());
}

// ------------------------------------------------------------------ guest side

fn sh(cmd: &str, args: &[&str]) -> String {
    let out = Command::new(cmd)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{cmd}: {e}"));
    assert!(
        out.status.success(),
        "{cmd} {args:?}: {}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn v4(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

fn tcp(a: &str) -> ServiceKey {
    ServiceKey::Addr {
        protocol: Protocol::Tcp,
        addr: v4(a),
    }
}

fn udp(a: &str) -> ServiceKey {
    ServiceKey::Addr {
        protocol: Protocol::Udp,
        addr: v4(a),
    }
}

fn sctp(a: &str) -> ServiceKey {
    ServiceKey::Addr {
        protocol: Protocol::Sctp,
        addr: v4(a),
    }
}

fn fwm(family: Family, mark: u32) -> ServiceKey {
    ServiceKey::Fwmark { family, mark }
}

fn dest(a: &str, forward: Forward, weight: u32) -> Dest {
    Dest {
        addr: v4(a),
        forward,
        weight,
        u_threshold: 0,
        l_threshold: 0,
        tunnel: Tunnel::default(),
    }
}

fn tun(a: &str, kind: TunnelKind, port: u16, flags: u16) -> Dest {
    Dest {
        tunnel: Tunnel { kind, port, flags },
        ..dest(a, Forward::Tunnel, 1)
    }
}

/// The table we mean the kernel to have.
#[derive(Default, Clone)]
struct Table {
    svcs: BTreeMap<ServiceKey, (Service, BTreeMap<SocketAddr, Dest>)>,
}

impl Table {
    fn apply(&mut self, op: &Op) {
        match op {
            Op::AddService(s) | Op::EditService(s) => {
                let e = self
                    .svcs
                    .entry(s.key)
                    .or_insert_with(|| (s.clone(), BTreeMap::new()));
                e.0 = s.clone();
            }
            Op::DelService(k) => {
                self.svcs.remove(k);
            }
            Op::AddDest(k, d) | Op::EditDest(k, d) => {
                self.svcs.get_mut(k).unwrap().1.insert(d.addr, *d);
            }
            Op::DelDest(k, a) => {
                self.svcs.get_mut(k).unwrap().1.remove(a);
            }
        }
    }
}

fn svc_spec(k: &ServiceKey) -> String {
    match k {
        ServiceKey::Addr { protocol, addr } => {
            let p = match protocol {
                Protocol::Tcp => "-t",
                Protocol::Udp => "-u",
                Protocol::Sctp => "--sctp-service",
            };
            format!("{p} {addr}")
        }
        ServiceKey::Fwmark { family, mark } => match family {
            Family::V4 => format!("-f {mark}"),
            Family::V6 => format!("-f {mark} -6"),
        },
    }
}

fn sched_flag_names(s: &Service) -> Vec<String> {
    let mut names = Vec::new();
    for (i, bit) in [svc_flags::SCHED1, svc_flags::SCHED2, svc_flags::SCHED3]
        .into_iter()
        .enumerate()
    {
        if s.flags & bit == 0 {
            continue;
        }
        names.push(match (s.scheduler.as_str(), i) {
            ("sh", 0) => "sh-fallback".to_string(),
            ("sh", 1) => "sh-port".to_string(),
            ("mh", 0) => "mh-fallback".to_string(),
            ("mh", 1) => "mh-port".to_string(),
            _ => format!("flag-{}", i + 1),
        });
    }
    names
}

fn mask_text(s: &Service) -> Option<String> {
    match s.key.family() {
        Family::V4 if s.netmask != 0xffff_ffff => Some(Ipv4Addr::from(s.netmask).to_string()),
        Family::V6 if s.netmask != 128 => Some(s.netmask.to_string()),
        _ => None,
    }
}

fn fwd_switch(d: &Dest) -> &'static str {
    match d.forward {
        Forward::Masq => "-m",
        Forward::Tunnel => "-i",
        Forward::Route | Forward::Local | Forward::Bypass => "-g",
    }
}

fn fwd_name(d: &Dest) -> &'static str {
    match d.forward {
        Forward::Masq => "Masq",
        Forward::Local => "Local",
        Forward::Tunnel => "Tunnel",
        Forward::Route => "Route",
        Forward::Bypass => "Bypass",
    }
}

fn csum_switch(flags: u16) -> &'static str {
    if flags & tun_flags::REMCSUM != 0 {
        "--tun-remcsum"
    } else if flags & tun_flags::CSUM != 0 {
        "--tun-csum"
    } else {
        "--tun-nocsum"
    }
}

/// `ipvsadm -Sn` as the table should give it, sorted.
fn expected_save(t: &Table) -> Vec<String> {
    let mut lines = Vec::new();
    for (k, (s, dests)) in &t.svcs {
        let mut l = format!("-A {} -s {}", svc_spec(k), s.scheduler);
        if s.flags & svc_flags::PERSISTENT != 0 {
            l += &format!(" -p {}", s.timeout);
            if let Some(m) = mask_text(s) {
                l += &format!(" -M {m}");
            }
            if let Some(pe) = &s.pe_name {
                l += &format!(" --pe {pe}");
            }
        }
        if s.flags & svc_flags::ONEPACKET != 0 {
            l += " -o";
        }
        let names = sched_flag_names(s);
        if !names.is_empty() {
            l += &format!(" -b {}", names.join(","));
        }
        lines.push(l);
        for d in dests.values() {
            let mut l = format!(
                "-a {} -r {} {} -w {}",
                svc_spec(k),
                d.addr,
                fwd_switch(d),
                d.weight
            );
            if d.forward == Forward::Tunnel {
                match d.tunnel.kind {
                    TunnelKind::Ipip => l += " --tun-type ipip",
                    TunnelKind::Gue => {
                        l += &format!(
                            " --tun-type gue --tun-port {} {}",
                            d.tunnel.port,
                            csum_switch(d.tunnel.flags)
                        )
                    }
                    TunnelKind::Gre => {
                        l += &format!(" --tun-type gre {}", csum_switch(d.tunnel.flags))
                    }
                }
            }
            lines.push(l);
        }
    }
    lines.sort();
    lines
}

fn save_lines(text: &str) -> Vec<String> {
    let mut lines: Vec<String> = text
        .lines()
        .map(|l| l.trim_end().to_string())
        .filter(|l| !l.is_empty())
        .collect();
    lines.sort();
    lines
}

/// `ipvsadm -Ln`-like listings grouped: service line -> sorted dest lines (whitespace squeezed).
type Listing = BTreeMap<String, Vec<String>>;

fn squeeze(l: &str) -> String {
    l.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn parse_listing(text: &str) -> Listing {
    let mut out = Listing::new();
    let mut current: Option<String> = None;
    for l in text.lines().skip(3) {
        if l.trim().is_empty() {
            continue;
        }
        if l.starts_with("  ->") {
            let c = current.clone().expect("a dest line before any service");
            out.get_mut(&c).unwrap().push(squeeze(l));
        } else {
            let s = squeeze(l);
            out.insert(s.clone(), Vec::new());
            current = Some(s);
        }
    }
    for v in out.values_mut() {
        v.sort();
    }
    out
}

fn svc_ident(k: &ServiceKey) -> String {
    k.to_string()
}

/// A service's line as `ipvsadm -Ln` prints it (scheduler, flags, persistence, ops).
fn service_line(k: &ServiceKey, s: &Service) -> String {
    let mut l = format!("{} {}", svc_ident(k), s.scheduler);
    let names = sched_flag_names(s);
    if !names.is_empty() {
        l += &format!(" ({})", names.join(","));
    }
    if s.flags & svc_flags::PERSISTENT != 0 {
        l += &format!(" persistent {}", s.timeout);
        if let Some(m) = mask_text(s) {
            l += &format!(" mask {m}");
        }
        if let Some(pe) = &s.pe_name {
            l += &format!(" pe {pe}");
        }
    }
    if s.flags & svc_flags::ONEPACKET != 0 {
        l += " ops";
    }
    l
}

/// What `ipvsadm -Ln` should show (connection counts from our own dump).
fn expected_list(t: &Table, dump: &Dump) -> Listing {
    let mut out = Listing::new();
    for (k, (s, dests)) in &t.svcs {
        let l = service_line(k, s);
        let mut ds: Vec<String> = dests
            .values()
            .map(|d| {
                let e = &dump[k].1[&d.addr];
                format!(
                    "-> {} {} {} {} {}",
                    d.addr,
                    fwd_name(d),
                    d.weight,
                    e.active_conns,
                    e.inact_conns
                )
            })
            .collect();
        ds.sort();
        out.insert(l, ds);
    }
    out
}

/// What `ipvsadm -Ln --thresholds` should show.
fn expected_thresholds(t: &Table, dump: &Dump) -> Listing {
    let mut out = Listing::new();
    for (k, (s, dests)) in &t.svcs {
        let l = service_line(k, s);
        let mut ds: Vec<String> = dests
            .values()
            .map(|d| {
                let e = &dump[k].1[&d.addr];
                format!(
                    "-> {} {} {} {} {}",
                    d.addr, d.u_threshold, d.l_threshold, e.active_conns, e.inact_conns
                )
            })
            .collect();
        ds.sort();
        out.insert(l, ds);
    }
    out
}

/// What `ipvsadm -Ln --stats --exact` should show, from our own counters.
fn expected_stats(dump: &Dump) -> Listing {
    let counters = |s: &Stats| {
        format!(
            "{} {} {} {} {}",
            s.conns, s.inpkts, s.outpkts, s.inbytes, s.outbytes
        )
    };
    let mut out = Listing::new();
    for (k, (se, dests)) in dump {
        let mut ds: Vec<String> = dests
            .values()
            .map(|e| format!("-> {} {}", e.dest.addr, counters(&e.stats)))
            .collect();
        ds.sort();
        out.insert(format!("{} {}", svc_ident(k), counters(&se.stats)), ds);
    }
    out
}

type Dump = BTreeMap<ServiceKey, (ServiceEntry, BTreeMap<SocketAddr, DestEntry>)>;

fn dump(c: &mut Client) -> Dump {
    let mut out = Dump::new();
    for se in c.services().unwrap() {
        let key = se.service.key;
        let dests = c
            .dests(&key)
            .unwrap()
            .into_iter()
            .map(|d| (d.dest.addr, d))
            .collect();
        assert!(out.insert(key, (se, dests)).is_none(), "{key} dumped twice");
    }
    out
}

/// Compares the kernel's table with `t`, four ways. `what` names the step.
fn verify(c: &mut Client, t: &Table, what: &str) {
    let d = dump(c);
    // 1. our own dump, field by field
    let ours: BTreeMap<ServiceKey, (Service, BTreeMap<SocketAddr, Dest>)> = d
        .iter()
        .map(|(k, (se, ds))| {
            (
                *k,
                (
                    se.service.clone(),
                    ds.iter().map(|(a, e)| (*a, e.dest)).collect(),
                ),
            )
        })
        .collect();
    assert_eq!(
        ours, t.svcs,
        "after {what}: our dump differs from the intended table"
    );
    // the doit form of GET_SERVICE agrees with the dump
    for (k, (se, _)) in &d {
        assert_eq!(&c.service(k).unwrap(), se, "after {what}: GET_SERVICE {k}");
    }
    // 2. ipvsadm -Sn
    let save = save_lines(&sh("ipvsadm", &["-Sn"]));
    assert_eq!(save, expected_save(t), "after {what}: ipvsadm -Sn");
    // 3. ipvsadm -Ln and -Ln --thresholds
    let list = parse_listing(&sh("ipvsadm", &["-Ln"]));
    assert_eq!(list, expected_list(t, &d), "after {what}: ipvsadm -Ln");
    let thr = parse_listing(&sh("ipvsadm", &["-Ln", "--thresholds"]));
    assert_eq!(
        thr,
        expected_thresholds(t, &d),
        "after {what}: ipvsadm -Ln --thresholds"
    );
    // 4. ipvsadm -Ln --stats --exact
    let stats = parse_listing(&sh("ipvsadm", &["-Ln", "--stats", "--exact"]));
    assert_eq!(
        stats,
        expected_stats(&d),
        "after {what}: ipvsadm -Ln --stats --exact"
    );
}

/// Does one change through the single-op API, updates `t`, and verifies.
fn step(c: &mut Client, t: &mut Table, op: Op) {
    let r = match &op {
        Op::AddService(s) => c.add_service(s),
        Op::EditService(s) => c.edit_service(s),
        Op::DelService(k) => c.del_service(k),
        Op::AddDest(k, d) => c.add_dest(k, d),
        Op::EditDest(k, d) => c.edit_dest(k, d),
        Op::DelDest(k, a) => c.del_dest(k, *a),
    };
    let what = format!("{op:?}");
    r.unwrap_or_else(|e| panic!("{what}: {e}"));
    t.apply(&op);
    verify(c, t, &what);
}

fn expect_errno(r: Result<(), Error>, errno: i32, what: &str) -> Error {
    let e = r.expect_err(what);
    assert_eq!(e.errno(), Some(errno), "{what}: {e}");
    println!("guest: {what}: {e}");
    e
}

fn guest() {
    let t0 = Instant::now();
    for cmd in [
        "link add dummy0 type dummy",
        "link set dummy0 multicast on",
        "link set dummy0 up",
        "addr add 10.0.0.254/24 dev dummy0",
        "-6 addr add 2001:db8::fe/64 dev dummy0 nodad",
    ] {
        sh("ip", &cmd.split(' ').collect::<Vec<_>>());
    }

    // ---- open with IPVS unloaded: the lookup (or our modprobe) loads it
    let loaded: Vec<String> = std::fs::read_to_string("/proc/modules")
        .unwrap()
        .lines()
        .filter_map(|l| l.split(' ').next())
        .filter(|m| m.starts_with("ip_vs"))
        .map(str::to_string)
        .collect();
    let mut order = loaded.clone();
    order.sort_by_key(|m| m == "ip_vs"); // ip_vs last
    let unloaded = Command::new("rmmod")
        .args(&order)
        .status()
        .is_ok_and(|s| s.success());
    println!("guest: modules {loaded:?} unloaded: {unloaded}");

    // ---- open, info
    // the kernel's own autoload (request_module on the family lookup) made to fail, so that
    // open() meets ENOENT and runs `modprobe ip_vs` itself
    let helper = std::fs::read_to_string("/proc/sys/kernel/modprobe").unwrap();
    std::fs::write("/proc/sys/kernel/modprobe", "/bin/false\n").unwrap();
    let t = Instant::now();
    let opened = Client::open();
    let took = t.elapsed();
    std::fs::write("/proc/sys/kernel/modprobe", &helper).unwrap();
    let mut c = opened.unwrap();
    println!(
        "guest: open with ip_vs unloaded in {:.1} ms, family id {}, {} messages",
        took.as_secs_f64() * 1e3,
        c.family_id(),
        c.messages_sent()
    );
    if unloaded {
        assert_eq!(
            c.messages_sent(),
            3,
            "GETFAMILY (ENOENT), modprobe, GETFAMILY, GET_INFO"
        );
    }
    let again = Client::open().unwrap();
    assert_eq!(again.messages_sent(), 2, "GETFAMILY, GET_INFO");
    assert_eq!(again.family_id(), c.family_id());
    drop(again);

    // ---- without CAP_NET_ADMIN
    {
        use std::os::unix::process::CommandExt;
        let out = Command::new(std::env::current_exe().unwrap())
            .args(["without_cap_net_admin", "--exact", "--nocapture"])
            .env("IPVS_VM_EPERM", "1")
            .env_remove(GUEST_ENV)
            .uid(65534)
            .gid(65534)
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success() && text.contains("unprivileged: IPVS GET_INFO"),
            "{text}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        println!(
            "guest: {}",
            text[text.find("unprivileged:").unwrap()..]
                .lines()
                .next()
                .unwrap()
        );
    }
    let info = c.info().unwrap();
    assert_eq!(info.version, 0x010201);
    let header = sh("ipvsadm", &["-Ln"]);
    assert!(
        header.starts_with(&format!(
            "IP Virtual Server version 1.2.1 (size={})",
            info.conn_tab_size
        )),
        "{info:?} vs {header}"
    );
    assert_eq!(c.messages_sent(), if unloaded { 4 } else { 3 });

    // ---- timeouts
    let before = c.timeouts().unwrap();
    let shown = |s: &str| s.trim().to_string();
    let fmt = |t: &Timeouts| {
        format!(
            "Timeout (tcp tcpfin udp): {} {} {}",
            t.tcp, t.tcp_fin, t.udp
        )
    };
    assert_eq!(shown(&sh("ipvsadm", &["-L", "--timeout"])), fmt(&before));
    c.set_timeouts(&Timeouts {
        tcp: 1000,
        tcp_fin: 0,
        udp: 77,
    })
    .unwrap();
    let after = c.timeouts().unwrap();
    assert_eq!(
        after,
        Timeouts {
            tcp: 1000,
            tcp_fin: before.tcp_fin,
            udp: 77
        }
    );
    assert_eq!(shown(&sh("ipvsadm", &["-L", "--timeout"])), fmt(&after));
    c.set_timeouts(&before).unwrap();
    assert_eq!(c.timeouts().unwrap(), before);
    println!("guest: timeouts {before:?} ok");

    // ---- sync daemons
    daemons(&mut c);

    // ---- errors on an empty table
    let k = tcp("10.9.9.9:80");
    let e = c.service(&k).unwrap_err();
    assert!(e.is_no_service(), "{e}");
    assert!(
        c.dests(&k).unwrap().is_empty(),
        "GET_DEST of a missing service"
    );
    expect_errno(
        c.edit_service(&Service::new(k, "rr")),
        libc::ESRCH,
        "SET_SERVICE missing",
    );
    expect_errno(c.del_service(&k), libc::ESRCH, "DEL_SERVICE missing");
    let e = expect_errno(
        c.add_dest(&k, &dest("10.0.0.11:80", Forward::Route, 1)),
        libc::ESRCH,
        "NEW_DEST to a missing service",
    );
    assert!(e.is_no_service() && !e.is_no_dest());
    assert_eq!(e.command(), "NEW_DEST");
    assert_eq!(e.object(), "TCP 10.9.9.9:80 -> 10.0.0.11:80");
    expect_errno(
        c.add_service(&Service::new(k, "nosuch")),
        libc::ENOENT,
        "NEW_SERVICE unknown scheduler",
    );

    // ---- every scheduler keepalived accepts
    schedulers(&mut c);

    // ---- the big table, change by change
    let mut table = Table::default();
    features(&mut c, &mut table);

    // ---- counters and ZERO
    counters(&mut c, &mut table);

    // ---- FLUSH
    c.flush().unwrap();
    table = Table::default();
    verify(&mut c, &table, "FLUSH");

    // ---- apply
    batches(&mut c);

    println!(
        "guest: all done in {:.1} s, {} messages sent",
        t0.elapsed().as_secs_f64(),
        c.messages_sent()
    );
}

fn daemons(c: &mut Client) {
    assert!(c.daemons().unwrap().is_empty());
    let master = SyncDaemon {
        state: SyncState::Master,
        ifname: "dummy0".into(),
        sync_id: 3,
        maxlen: 0,
        group: None,
        port: 0,
        ttl: 0,
    };
    c.start_daemon(&master).unwrap();
    let backup = SyncDaemon {
        state: SyncState::Backup,
        ifname: "dummy0".into(),
        sync_id: 4,
        maxlen: 1400,
        group: Some(IpAddr::V4(Ipv4Addr::new(239, 1, 1, 1))),
        port: 9000,
        ttl: 3,
    };
    c.start_daemon(&backup).unwrap();
    let running = c.daemons().unwrap();
    println!("guest: daemons {running:?}");
    let m = running
        .iter()
        .find(|d| d.state == SyncState::Master)
        .unwrap();
    assert_eq!(
        (
            m.ifname.as_str(),
            m.sync_id,
            m.maxlen,
            m.group,
            m.port,
            m.ttl
        ),
        (
            "dummy0",
            3,
            1472,
            Some(IpAddr::V4(Ipv4Addr::new(224, 0, 0, 81))),
            8848,
            1
        )
    );
    let b = running
        .iter()
        .find(|d| d.state == SyncState::Backup)
        .unwrap();
    assert_eq!(
        (b.ifname.as_str(), b.sync_id, b.group, b.port, b.ttl),
        ("dummy0", 4, backup.group, 9000, 3)
    );
    let mut want: Vec<String> = running
        .iter()
        .map(|d| {
            format!(
                "{} sync daemon (mcast={}, syncid={}, maxlen={}, group={}, port={}, ttl={})",
                if d.state == SyncState::Master {
                    "master"
                } else {
                    "backup"
                },
                d.ifname,
                d.sync_id,
                d.maxlen,
                d.group.unwrap(),
                d.port,
                d.ttl
            )
        })
        .collect();
    want.sort();
    assert_eq!(save_lines(&sh("ipvsadm", &["-L", "--daemon"])), want);
    expect_errno(
        c.start_daemon(&master),
        libc::EEXIST,
        "NEW_DAEMON master twice",
    );
    c.stop_daemon(SyncState::Backup, 4).unwrap();
    expect_errno(
        c.start_daemon(&SyncDaemon {
            ifname: "nosuch0".into(),
            ..backup.clone()
        }),
        libc::ENODEV,
        "NEW_DAEMON on a missing interface",
    );
    c.stop_daemon(SyncState::Master, 3).unwrap();
    let e = expect_errno(
        c.stop_daemon(SyncState::Master, 3),
        libc::ESRCH,
        "DEL_DAEMON not running",
    );
    assert_eq!(e.object(), "master sync daemon 3");
    assert!(c.daemons().unwrap().is_empty());
    assert_eq!(sh("ipvsadm", &["-L", "--daemon"]).trim(), "");
    println!("guest: sync daemons ok");
}

fn schedulers(c: &mut Client) {
    let t0 = Instant::now();
    let mut skipped = Vec::new();
    let mut t = Table::default();
    let names = [
        "rr", "wrr", "lc", "wlc", "lblc", "lblcr", "dh", "sh", "mh", "sed", "nq", "fo", "ovf",
        "twos",
    ];
    for (i, name) in names.into_iter().enumerate() {
        let key = tcp(&format!("10.1.0.{}:80", i + 1));
        let s = Service::new(key, name);
        match c.add_service(&s) {
            Ok(()) => {}
            Err(e) if e.is_no_dest() => {
                skipped.push(name);
                continue;
            }
            Err(e) => panic!("{name}: {e}"),
        }
        t.apply(&Op::AddService(s.clone()));
        verify(c, &t, &format!("NEW_SERVICE {name}"));
        let d = dest("10.0.0.11:80", Forward::Route, 2);
        step(c, &mut t, Op::AddDest(key, d));
        // edit: the next scheduler, with a weight change on the dest
        step(c, &mut t, Op::EditService(Service::new(key, "rr")));
        step(c, &mut t, Op::EditService(Service::new(key, name)));
        step(c, &mut t, Op::DelService(key));
    }
    println!(
        "guest: schedulers ok in {:.1} s; skipped (no module in this kernel): {skipped:?}",
        t0.elapsed().as_secs_f64()
    );
    assert!(
        skipped.iter().all(|s| *s == "twos"),
        "unexpected skips: {skipped:?}"
    );
}

fn features(c: &mut Client, t: &mut Table) {
    let t0 = Instant::now();
    use Op::*;
    // TCP v4, persistent with a /24 mask; every forwarding method; every tunnel
    let s1 = tcp("10.0.0.1:80");
    let mut svc1 = Service::new(s1, "wlc");
    svc1.flags = svc_flags::PERSISTENT;
    svc1.timeout = 300;
    svc1.netmask = u32::from(Ipv4Addr::new(255, 255, 255, 0));
    step(c, t, AddService(svc1.clone()));
    let mut route = dest("10.0.0.11:80", Forward::Route, 1);
    route.u_threshold = 100;
    route.l_threshold = 10;
    step(c, t, AddDest(s1, route));
    step(c, t, AddDest(s1, dest("10.0.0.254:80", Forward::Local, 2)));
    step(c, t, AddDest(s1, dest("10.0.0.21:8080", Forward::Masq, 5)));
    step(
        c,
        t,
        AddDest(s1, tun("10.0.0.14:80", TunnelKind::Ipip, 0, 0)),
    );
    step(
        c,
        t,
        AddDest(
            s1,
            tun("10.0.0.12:80", TunnelKind::Gue, 6080, tun_flags::CSUM),
        ),
    );
    step(
        c,
        t,
        AddDest(
            s1,
            tun("10.0.0.15:80", TunnelKind::Gue, 6081, tun_flags::REMCSUM),
        ),
    );
    step(
        c,
        t,
        AddDest(
            s1,
            tun("10.0.0.16:80", TunnelKind::Gue, 6082, tun_flags::NOCSUM),
        ),
    );
    step(
        c,
        t,
        AddDest(s1, tun("10.0.0.13:80", TunnelKind::Gre, 0, tun_flags::CSUM)),
    );
    step(
        c,
        t,
        AddDest(
            s1,
            tun("10.0.0.17:80", TunnelKind::Gre, 0, tun_flags::NOCSUM),
        ),
    );

    // UDP v4: sh with both flags, one-packet scheduling
    let s2 = udp("10.0.0.2:53");
    let mut svc2 = Service::new(s2, "sh");
    svc2.flags = svc_flags::SH_PORT | svc_flags::SH_FALLBACK | svc_flags::ONEPACKET;
    step(c, t, AddService(svc2.clone()));
    step(c, t, AddDest(s2, dest("10.0.0.21:5353", Forward::Masq, 0)));
    step(c, t, AddDest(s2, dest("10.0.0.22:53", Forward::Route, 1)));

    // SCTP v6
    let s3 = sctp("[2001:db8::1]:443");
    step(c, t, AddService(Service::new(s3, "rr")));
    step(
        c,
        t,
        AddDest(s3, dest("[2001:db8::11]:8443", Forward::Masq, 1)),
    );
    step(
        c,
        t,
        AddDest(s3, dest("[2001:db8::12]:443", Forward::Route, 3)),
    );
    step(
        c,
        t,
        AddDest(
            s3,
            tun("[2001:db8::13]:443", TunnelKind::Gue, 7000, tun_flags::CSUM),
        ),
    );
    step(
        c,
        t,
        AddDest(s3, dest("[2001:db8::fe]:443", Forward::Local, 1)),
    );

    // fwmark v6: mh with flags, persistence with a /64 prefix, the sip engine; a v4 tunnel dest
    let s4 = fwm(Family::V6, 5);
    let mut svc4 = Service::new(s4, "mh");
    svc4.flags = svc_flags::PERSISTENT | svc_flags::MH_PORT | svc_flags::MH_FALLBACK;
    svc4.timeout = 60;
    svc4.netmask = 64;
    svc4.pe_name = Some("sip".into());
    step(c, t, AddService(svc4.clone()));
    step(
        c,
        t,
        AddDest(s4, dest("[2001:db8::11]:0", Forward::Route, 1)),
    );
    step(
        c,
        t,
        AddDest(s4, tun("10.0.0.30:0", TunnelKind::Ipip, 0, 0)),
    );

    // fwmark v4 and TCP v6 with persistence (default prefix)
    let s5 = fwm(Family::V4, 7);
    step(c, t, AddService(Service::new(s5, "lc")));
    step(c, t, AddDest(s5, dest("10.0.0.31:0", Forward::Route, 1)));
    let s6 = ServiceKey::Addr {
        protocol: Protocol::Tcp,
        addr: v4("[2001:db8::2]:80"),
    };
    let mut svc6 = Service::new(s6, "wrr");
    svc6.flags = svc_flags::PERSISTENT;
    svc6.timeout = 100;
    step(c, t, AddService(svc6.clone()));
    step(
        c,
        t,
        AddDest(s6, dest("[2001:db8::21]:80", Forward::Masq, 4)),
    );

    // duplicates and missing dests
    expect_errno(c.add_service(&svc1), libc::EEXIST, "NEW_SERVICE twice");
    let e = expect_errno(c.add_dest(&s1, &route), libc::EEXIST, "NEW_DEST twice");
    assert!(e.is_exists());
    let missing = dest("10.0.0.99:80", Forward::Route, 1);
    let e = expect_errno(
        c.edit_dest(&s1, &missing),
        libc::ENOENT,
        "SET_DEST missing dest",
    );
    assert!(e.is_no_dest() && !e.is_no_service());
    expect_errno(
        c.del_dest(&s1, missing.addr),
        libc::ENOENT,
        "DEL_DEST missing dest",
    );
    expect_errno(
        c.add_dest(&tcp("10.0.0.99:80"), &missing),
        libc::ESRCH,
        "NEW_DEST missing service",
    );
    expect_errno(
        c.add_dest(&s1, &tun("10.0.0.40:80", TunnelKind::Gue, 0, 0)),
        libc::EINVAL,
        "NEW_DEST GUE without a port",
    );
    let mut bad = svc6.clone();
    bad.netmask = 0;
    expect_errno(
        c.edit_service(&bad),
        libc::EINVAL,
        "SET_SERVICE v6 prefix 0",
    );

    // edits: services
    svc1.scheduler = "rr".into();
    svc1.timeout = 600;
    svc1.netmask = u32::from(Ipv4Addr::new(255, 255, 0, 0));
    step(c, t, EditService(svc1.clone()));
    svc4.flags = svc_flags::MH_FALLBACK;
    svc4.timeout = 0;
    svc4.netmask = 128;
    svc4.pe_name = None;
    step(c, t, EditService(svc4.clone()));
    svc2.flags = svc_flags::SH_PORT;
    step(c, t, EditService(svc2.clone()));
    // edits: dests (weight, thresholds, forwarding, tunnel)
    route.weight = 7;
    route.u_threshold = 50;
    route.l_threshold = 5;
    step(c, t, EditDest(s1, route));
    step(c, t, EditDest(s1, dest("10.0.0.21:8080", Forward::Masq, 0)));
    step(
        c,
        t,
        EditDest(
            s1,
            tun("10.0.0.12:80", TunnelKind::Gue, 6090, tun_flags::REMCSUM),
        ),
    );
    step(
        c,
        t,
        EditDest(s1, tun("10.0.0.14:80", TunnelKind::Gre, 0, tun_flags::CSUM)),
    );
    step(c, t, EditDest(s2, dest("10.0.0.22:53", Forward::Masq, 9)));
    step(
        c,
        t,
        EditDest(s3, dest("[2001:db8::12]:443", Forward::Route, 0)),
    );
    // deletes
    step(c, t, DelDest(s1, v4("10.0.0.16:80")));
    step(c, t, DelDest(s3, v4("[2001:db8::11]:8443")));
    step(c, t, DelDest(s4, v4("10.0.0.30:0")));
    step(c, t, DelService(s5));
    step(c, t, DelService(s6));
    println!(
        "guest: table features ok in {:.1} s ({} services left)",
        t0.elapsed().as_secs_f64(),
        t.svcs.len()
    );
}

fn counters(c: &mut Client, t: &mut Table) {
    // UDP to a service on a local address, forwarded locally: the counters move
    let key = udp("10.0.0.254:5000");
    step(c, t, Op::AddService(Service::new(key, "rr")));
    step(
        c,
        t,
        Op::AddDest(key, dest("10.0.0.254:5000", Forward::Local, 1)),
    );
    let sock = std::net::UdpSocket::bind("10.0.0.254:0").unwrap();
    for _ in 0..5 {
        sock.send_to(b"hello ipvs", "10.0.0.254:5000").unwrap();
    }
    // the kernel folds its per-CPU counters into what it reports every 2 s (estimator)
    let t0 = Instant::now();
    let se = loop {
        let se = c.service(&key).unwrap();
        if se.stats.inpkts >= 5 || t0.elapsed().as_secs() >= 4 {
            break se;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    };
    println!(
        "guest: counters after 5 datagrams ({:.1} s): {:?}",
        t0.elapsed().as_secs_f64(),
        se.stats
    );
    assert!(se.stats.inpkts >= 5, "{:?}", se.stats);
    assert!(se.stats.inbytes > 0 && se.stats.conns >= 1);
    verify(c, t, "traffic");
    c.zero(Some(&key)).unwrap();
    let se = c.service(&key).unwrap();
    assert_eq!(
        (se.stats.conns, se.stats.inpkts, se.stats.inbytes),
        (0, 0, 0),
        "after ZERO {key}"
    );
    verify(c, t, "ZERO one service");
    c.zero(None).unwrap();
    for se in c.services().unwrap() {
        assert_eq!(
            (se.stats.conns, se.stats.inpkts),
            (0, 0),
            "{}",
            se.service.key
        );
    }
    verify(c, t, "ZERO all");
    expect_errno(
        c.zero(Some(&tcp("10.0.0.99:80"))),
        libc::ESRCH,
        "ZERO missing service",
    );
    println!("guest: counters and ZERO ok");
}

fn batches(c: &mut Client) {
    let mut ops = Vec::new();
    let mut t = Table::default();
    for i in 0..100u32 {
        let key = tcp(&format!("10.2.{}.{}:80", i / 200, i % 200 + 1));
        ops.push(Op::AddService(Service::new(key, "wlc")));
        for j in 0..19u32 {
            let d = dest(
                &format!("10.3.{}.{}:80", i % 100, j + 1),
                Forward::Route,
                j + 1,
            );
            ops.push(Op::AddDest(key, d));
        }
    }
    for op in &ops {
        t.apply(op);
    }
    // one request at a time, for comparison
    let t2 = Instant::now();
    for op in &ops {
        match op {
            Op::AddService(s) => c.add_service(s).unwrap(),
            Op::AddDest(k, d) => c.add_dest(k, d).unwrap(),
            _ => unreachable!(),
        }
    }
    let single = t2.elapsed();
    c.flush().unwrap();
    // pipelined
    let sent = c.messages_sent();
    let t0 = Instant::now();
    let results = c.apply(&ops);
    let took = t0.elapsed();
    assert_eq!(results.len(), ops.len());
    for (op, r) in ops.iter().zip(&results) {
        assert!(r.is_ok(), "{op:?}: {r:?}");
    }
    assert_eq!(c.messages_sent() - sent, ops.len() as u64);
    println!(
        "guest: {} ops: apply (pipelined, {} messages) {:.1} ms; one request at a time {:.1} ms",
        ops.len(),
        c.messages_sent() - sent,
        took.as_secs_f64() * 1e3,
        single.as_secs_f64() * 1e3,
    );
    let t1 = Instant::now();
    verify(c, &t, "apply 2000");
    println!(
        "guest: verify of 2000 entries in {:.1} ms",
        t1.elapsed().as_secs_f64() * 1e3
    );
    c.flush().unwrap();

    // failures mixed in: each op gets its own answer, in order
    let k = tcp("10.4.0.1:80");
    let d = dest("10.4.0.11:80", Forward::Route, 1);
    let mixed = vec![
        Op::AddService(Service::new(k, "rr")),
        Op::AddService(Service::new(k, "rr")),
        Op::AddDest(tcp("10.4.0.2:80"), d),
        Op::AddDest(k, d),
        Op::DelDest(k, v4("10.4.0.12:80")),
        Op::EditDest(k, Dest { weight: 3, ..d }),
        Op::AddService(Service::new(tcp("10.4.0.3:80"), "nosuch")),
        Op::DelService(tcp("10.4.0.4:80")),
    ];
    let r = c.apply(&mixed);
    let errnos: Vec<Option<i32>> = r
        .iter()
        .map(|r| r.as_ref().err().map(|e| e.errno().unwrap()))
        .collect();
    assert_eq!(
        errnos,
        vec![
            None,
            Some(libc::EEXIST),
            Some(libc::ESRCH),
            None,
            Some(libc::ENOENT),
            None,
            Some(libc::ENOENT),
            Some(libc::ESRCH)
        ]
    );
    println!(
        "guest: mixed batch: {:?}",
        r.iter()
            .map(|r| r.as_ref().err().map(ToString::to_string))
            .collect::<Vec<_>>()
    );
    let mut t = Table::default();
    t.apply(&mixed[0]);
    t.apply(&Op::AddDest(k, Dest { weight: 3, ..d }));
    verify(c, &t, "mixed batch");
    c.flush().unwrap();
}
