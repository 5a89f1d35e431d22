//! Regression: every input of the minimised fuzz corpus of target `parse` (tests/fuzz_corpus:
//! `cargo fuzz cmin`, then libFuzzer's set-cover merge, packed by fuzz/pack_corpus.py as 4-byte
//! little-endian lengths and bytes) goes through the fuzz target's body without panicking.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../fuzz/fuzz_targets/harness.rs"]
mod harness;

fn inputs(pack: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    let mut i = 0;
    while i + 4 <= pack.len() {
        let n = u32::from_le_bytes(pack[i..i + 4].try_into().unwrap()) as usize;
        out.push(&pack[i + 4..i + 4 + n]);
        i += 4 + n;
    }
    assert_eq!(i, pack.len(), "truncated pack");
    out
}

#[test]
fn fuzz_corpus_loads_without_panic() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fuzz_corpus");
    let mut n = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let data = std::fs::read(&path).unwrap();
        if path.extension().is_some_and(|e| e == "pack") {
            for input in inputs(&data) {
                harness::run(input);
                n += 1;
            }
        } else {
            harness::run(&data);
            n += 1;
        }
    }
    assert!(n >= 100, "corpus has only {n} inputs");
}
