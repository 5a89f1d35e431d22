//! Regression: every input of the reply-reader fuzz corpora (tests/fuzz_corpus/TARGET: the seeds
//! and `cargo fuzz cmin` of each target's run, see fuzz/README.md) goes through its target's
//! body without a panic or a broken invariant.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../fuzz/fuzz_targets/harness.rs"]
mod harness;

fn replay(target: &str, body: fn(&[u8])) {
    let dir = format!("{}/tests/fuzz_corpus/{target}", env!("CARGO_MANIFEST_DIR"));
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let data = std::fs::read(entry.unwrap().path()).unwrap();
        body(&data);
        n += 1;
    }
    assert!(n >= 3, "{dir} has only {n} inputs");
}

#[test]
fn http_reply_corpus() {
    replay("http_reply", harness::http);
}

#[test]
fn smtp_reply_corpus() {
    replay("smtp_reply", harness::smtp);
}

#[test]
fn dns_reply_corpus() {
    replay("dns_reply", harness::dns);
}

#[test]
fn udp_reply_corpus() {
    replay("udp_reply", harness::udp);
}
