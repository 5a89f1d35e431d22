//! Regression: every input of the minimised fuzz corpus (tests/fuzz_corpus, from `cargo fuzz cmin`)
//! runs through the fuzz target's body without panicking.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../fuzz/fuzz_targets/harness.rs"]
mod harness;

#[test]
fn fuzz_corpus_decodes_without_panic() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fuzz_corpus");
    let mut n = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let data = std::fs::read(&path).unwrap();
        harness::run(&data);
        n += 1;
    }
    assert!(n >= 10, "corpus has only {n} files");
}
