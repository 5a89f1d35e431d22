//! `load` reads each top-level block into the model while the file is still being read (the
//! tree is never held whole). It must give exactly what the steps one after the other give:
//! the whole tree (`parse_str`), then `model::read`, then `model::validate`: the same model,
//! the same diagnostics in the same order, the same exit code. Checked on every file of
//! tests/corpus and every input of the fuzz corpus.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;

use keepalived_conf::{
    AnyHost, Config, LoadOptions, System, load_str, model, parse_str, read::Reader,
};

fn opts() -> LoadOptions {
    LoadOptions {
        config_id: Some("main".into()),
        random_seed: Some(1),
        max_lines: Some(20_000),
        include_root: Some(PathBuf::from("/nonexistent-kconf-streaming")),
        ..Default::default()
    }
}

/// Only eth0 and eth1 exist, and only absolute programs: so validation says something.
struct TwoNics;

impl System for TwoNics {
    fn interface_exists(&self, name: &str) -> bool {
        name == "eth0" || name == "eth1"
    }
    fn program_exists(&self, program: &str) -> bool {
        program.starts_with('/')
    }
}

fn same_both_ways(name: &str, text: &str, sys: &dyn System) {
    let streamed = load_str(name, text, &opts(), sys);

    let (nodes, mut diags, _) = parse_str(name, text, &opts());
    let mut config = Config::default();
    let mut r = Reader::new(&mut diags);
    model::read(&nodes, &mut r, &mut config);
    model::validate(&mut config, &mut r, sys);

    let got: Vec<String> = streamed
        .diagnostics
        .iter()
        .map(|d| format!("{d:?}"))
        .collect();
    let want: Vec<String> = diags.iter().map(|d| format!("{d:?}")).collect();
    assert_eq!(got, want, "diagnostics differ on {name}");
    // JSON, as --dump-conf gives it (Debug would show the order of private hash sets).
    assert_eq!(
        serde_json::to_string(&streamed.config).unwrap(),
        serde_json::to_string(&config).unwrap(),
        "model differs on {name}"
    );
    assert_eq!(
        streamed.diagnostics.exit_code(),
        diags.exit_code(),
        "{name}"
    );
}

#[test]
fn corpus_files_load_the_same_streamed() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/corpus");
    let mut n = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "conf") {
            continue;
        }
        let text = String::from_utf8_lossy(&std::fs::read(&path).unwrap()).into_owned();
        let name = format!("/nonexistent-kconf-streaming/{}", path.display());
        same_both_ways(&name, &text, &TwoNics);
        same_both_ways(&name, &text, &AnyHost);
        n += 1;
    }
    assert!(n >= 100, "corpus has only {n} files");
}

#[test]
fn fuzz_inputs_load_the_same_streamed() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fuzz_corpus");
    let mut n = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let data = std::fs::read(&path).unwrap();
        let mut inputs = Vec::new();
        if path.extension().is_some_and(|e| e == "pack") {
            let mut i = 0;
            while i + 4 <= data.len() {
                let len = u32::from_le_bytes(data[i..i + 4].try_into().unwrap()) as usize;
                inputs.push(&data[i + 4..i + 4 + len]);
                i += 4 + len;
            }
        } else {
            inputs.push(&data[..]);
        }
        for input in inputs {
            let text = String::from_utf8_lossy(input);
            same_both_ways("/nonexistent-kconf-streaming/input.conf", &text, &TwoNics);
            n += 1;
        }
    }
    assert!(n >= 100, "corpus has only {n} inputs");
}
