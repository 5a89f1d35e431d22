//! vrrp_track_file as keepalived reads it (security review M2), seen from a peer capturing the
//! master's adverts: the value times the weight moves the advertised priority (value 0 adds
//! nothing: 150, not 151), and a FIFO swapped in for the tracked file neither stops the adverts
//! nor a clean stop on SIGTERM (the file is opened non-blocking and read off the VRRP loop).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use testbed::skip_unless_root;

use std::path::Path;
use std::time::Duration;

use common::{Daemon, Lan, under_test_is_keepalived, wait_until};
use nix::sys::signal::Signal;

fn conf(file: &Path) -> String {
    format!(
        "global_defs {{\n  router_id n1\n}}\n\
         vrrp_track_file tf {{\n  file {}\n  weight 1\n}}\n\
         vrrp_instance VI_1 {{\n  state MASTER\n  interface eth0\n  virtual_router_id 61\n  \
         priority 150\n  advert_int 1\n  track_file {{\n    tf\n  }}\n  \
         virtual_ipaddress {{\n    10.97.0.100/24\n  }}\n}}\n",
        file.display()
    )
}

/// Adverts captured so far with priority `prio`.
fn adverts(cap: &Path, prio: u8) -> usize {
    std::fs::read_to_string(cap)
        .unwrap_or_default()
        .matches(&format!("vrid 61, prio {prio},"))
        .count()
}

#[test]
fn track_file_value_and_a_fifo_swapped_in() {
    skip_unless_root!();
    let real = under_test_is_keepalived();
    let dir = tempfile::tempdir().unwrap();
    let trk = dir.path().join("trk");
    std::fs::create_dir(&trk).unwrap();
    let weight = trk.join("weight");
    std::fs::write(&weight, "0\n").unwrap();
    let mut lan = Lan::new(&[
        ("node", "eth0", "10.97.0.1/24"),
        ("peer", "eth0", "10.97.0.2/24"),
    ]);
    let cap = dir.path().join("cap");
    lan.host("peer").spawn(
        &["tcpdump", "-l", "-n", "-vv", "-i", "eth0", "ip proto 112"],
        &cap,
    );
    std::thread::sleep(Duration::from_millis(700));
    let d = Daemon::start(lan.host("node"), dir.path(), "d", &conf(&weight), real);
    let why = |what: &str| {
        format!(
            "{what}\ncapture:\n{}\nlog:\n{}",
            std::fs::read_to_string(&cap).unwrap_or_default(),
            d.log_text()
        )
    };

    // Value 0 at weight 1 adds nothing.
    assert!(
        wait_until(Duration::from_secs(8), || adverts(&cap, 150) >= 2),
        "{}",
        why("value 0: priority 150")
    );
    assert_eq!(adverts(&cap, 151), 0, "{}", why("value 0 gave 151"));

    std::fs::write(&weight, "5\n").unwrap();
    assert!(
        wait_until(Duration::from_secs(6), || adverts(&cap, 155) >= 2),
        "{}",
        why("value 5: priority 155")
    );

    // The tracked file's owner swaps a FIFO in: it reads as 0 (keepalived: a non-blocking read
    // of a FIFO without a writer finds nothing), and the adverts go on.
    let fifo = trk.join("x");
    nix::unistd::mkfifo(&fifo, nix::sys::stat::Mode::from_bits_truncate(0o644)).unwrap();
    std::fs::rename(&fifo, &weight).unwrap();
    let before = adverts(&cap, 150);
    assert!(
        wait_until(Duration::from_secs(8), || adverts(&cap, 150) >= before + 3),
        "{}",
        why("adverts after the FIFO")
    );
    // A reader that opens the FIFO and closes it again raises CLOSE_NOWRITE only; a writer's
    // close raises CLOSE_WRITE, which makes the daemon read the FIFO again.
    let w = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(&weight)
        .unwrap();
    drop(w);
    let before = adverts(&cap, 150);
    assert!(
        wait_until(Duration::from_secs(8), || adverts(&cap, 150) >= before + 2),
        "{}",
        why("adverts after a writer closed the FIFO")
    );

    d.signal(Signal::SIGTERM);
    assert!(d.wait_gone(Duration::from_secs(5)), "{}", why("SIGTERM"));
}
