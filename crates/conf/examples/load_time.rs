//! Times `keepalived_conf::load` on one file, for bench/conf/side-by-side.sh: prints the median
//! of the runs in milliseconds, the exit code `-t` would give, and the diagnostic count.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use std::time::Instant;

use keepalived_conf::{AnyHost, Host, LoadOptions, System, load};

fn main() {
    let mut args = std::env::args().skip(1);
    let usage = "usage: load_time FILE [RUNS] [--any-host] [--phases]";
    let file = PathBuf::from(args.next().expect(usage));
    let mut runs = 5usize;
    let mut any_host = false;
    let mut phases = false;
    for a in args {
        if a == "--any-host" {
            any_host = true;
        } else if a == "--phases" {
            phases = true;
        } else {
            runs = a.parse().expect(usage);
        }
    }
    // The real host by default: run inside the benchmark's namespace, as keepalived -t is.
    // (Validation asks it once per distinct interface or program.)
    let sys: &dyn System = if any_host { &AnyHost } else { &Host };
    if phases {
        for _ in 0..runs.max(1) {
            print_phases(&file, sys);
        }
        return;
    }
    let mut times = Vec::with_capacity(runs);
    let mut last = None;
    for _ in 0..runs.max(1) {
        let start = Instant::now();
        let loaded = load(&file, &LoadOptions::default(), sys);
        times.push(start.elapsed().as_secs_f64() * 1000.0);
        last = Some(loaded);
    }
    times.sort_by(|a, b| a.total_cmp(b));
    let loaded = last.unwrap();
    println!(
        "median_ms={:.3} exit_code={} diagnostics={}",
        times[times.len() / 2],
        loaded.exit_code(),
        loaded.diagnostics.len()
    );
}

/// One load split into its steps (the same calls `load` makes), each timed on its own, to show
/// where the time goes; the drops are timed too, as `-t` pays for them.
fn print_phases(file: &std::path::Path, sys: &dyn System) {
    use keepalived_conf::{Config, Diagnostics, SourceMap, model, preprocess, read, tree};
    let mut sources = SourceMap::new();
    let mut diags = Diagnostics::new();
    let mut at = Instant::now();
    let mut lap = |name: &str, out: &mut Vec<(String, f64)>| {
        let now = Instant::now();
        out.push((name.to_string(), (now - at).as_secs_f64() * 1000.0));
        at = now;
    };
    let mut out = Vec::new();
    let read = preprocess::read_file(
        file,
        &preprocess::Options::default(),
        &mut sources,
        &mut diags,
    );
    lap("preprocess", &mut out);
    let nodes = tree::build(read.lines, &mut diags);
    lap("tree", &mut out);
    let mut config = Config::default();
    let mut r = read::Reader::new(&mut diags);
    model::read(&nodes, &mut r, &mut config);
    lap("model", &mut out);
    model::validate(&mut config, &mut r, sys);
    lap("validate", &mut out);
    drop(nodes);
    lap("drop_tree", &mut out);
    drop(config);
    drop(sources);
    lap("drop_rest", &mut out);
    let total: f64 = out.iter().map(|(_, t)| t).sum();
    let parts: Vec<String> = out.iter().map(|(n, t)| format!("{n}={t:.3}")).collect();
    println!("total_ms={total:.3} {}", parts.join(" "));
}
