//! The `keepalived-rs` binary: parse keepalived's command line, then either answer at once
//! (-v, --signum, -t, --dump-conf) or daemonize and run.

use std::process::ExitCode;

use clap::Parser;
use keepalived_rs::cli::{Cli, signum};
use keepalived_rs::version_text;

fn main() -> ExitCode {
    keepalived_rs::signals::block_until_handled();
    let first = std::env::args().nth(1);
    if matches!(first.as_deref(), Some("-T" | "--genhash")) {
        keepalived_rs::signals::unblock_handled();
        return keepalived_rs::genhash::main(std::env::args().skip(2).collect());
    }
    let cli = Cli::parse();
    if cli.version {
        eprint!("{}", version_text());
        return ExitCode::SUCCESS;
    }
    if let Some(name) = &cli.signum {
        return match signum(name) {
            Some(n) => {
                println!("{n}");
                ExitCode::SUCCESS
            }
            None => {
                eprintln!("Unknown sigfunc {name}");
                ExitCode::from(1)
            }
        };
    }
    if cli.config_test.is_some() {
        keepalived_rs::signals::unblock_handled();
        return keepalived_rs::run::config_test(&cli);
    }
    // `--dump-conf[=json]` prints the model and exits; keepalived's `-d` runs the daemon and
    // writes the dump to the log at start (run.rs).
    let long_dump = std::env::args().any(|a| a.starts_with("--dump-conf"));
    if cli.dump_conf.is_some() && long_dump {
        keepalived_rs::signals::unblock_handled();
        return keepalived_rs::run::dump_conf(&cli);
    }
    keepalived_rs::run::run(&cli)
}
