//! Times `keepalived_conf::load` on one file, for bench/conf/side-by-side.sh: prints the median
//! and the fastest of the runs in milliseconds, the exit code `-t` would give, and the
//! diagnostic count.
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
        "median_ms={:.3} min_ms={:.3} exit_code={} diagnostics={}",
        times[times.len() / 2],
        times[0],
        loaded.exit_code(),
        loaded.diagnostics.len()
    );
}

/// One load split into its steps (the same calls `load` makes), each timed on its own, to show
/// where the time goes; the drop is timed too, as `-t` pays for it. `read` is the
/// preprocessor, the tree builder and the model together (each line goes into the tree as it
/// is read, each top-level block into the model as soon as it is complete).
fn print_phases(file: &std::path::Path, sys: &dyn System) {
    use keepalived_conf::{Source, read_model, validated};
    let mut at = Instant::now();
    let mut lap = |name: &str, out: &mut Vec<(String, f64)>| {
        let now = Instant::now();
        out.push((name.to_string(), (now - at).as_secs_f64() * 1000.0));
        at = now;
    };
    let mut out = Vec::new();
    let loaded = read_model(Source::File(file), &LoadOptions::default());
    lap("read", &mut out);
    let loaded = validated(loaded, sys);
    lap("validate", &mut out);
    drop(loaded);
    lap("drop", &mut out);
    let total: f64 = out.iter().map(|(_, t)| t).sum();
    let parts: Vec<String> = out.iter().map(|(n, t)| format!("{n}={t:.3}")).collect();
    println!("total_ms={total:.3} {}", parts.join(" "));
}
