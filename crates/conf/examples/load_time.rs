//! Times `keepalived_conf::load` on one file, for bench/conf/side-by-side.sh: prints the median
//! of the runs in milliseconds, the exit code `-t` would give, and the diagnostic count.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use std::time::Instant;

use keepalived_conf::{AnyHost, Host, LoadOptions, System, load};

fn main() {
    let mut args = std::env::args().skip(1);
    let usage = "usage: load_time FILE [RUNS] [--any-host]";
    let file = PathBuf::from(args.next().expect(usage));
    let mut runs = 5usize;
    let mut any_host = false;
    for a in args {
        if a == "--any-host" {
            any_host = true;
        } else {
            runs = a.parse().expect(usage);
        }
    }
    // The real host by default: run inside the benchmark's namespace, as keepalived -t is.
    let sys: &dyn System = if any_host { &AnyHost } else { &Host };
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
