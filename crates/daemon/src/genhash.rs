//! `keepalived-rs -T` / `--genhash`: keepalived's genhash command line, handed to
//! keepalived_check::genhash which fetches the URL and prints the digest.

use std::net::IpAddr;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use keepalived_check::HttpProtocol;
use keepalived_check::genhash::{GenhashOptions, run};

/// genhash's options as `keepalived --genhash --help` lists them.
#[derive(Debug, Parser)]
#[command(name = "keepalived-rs --genhash", disable_version_flag = true)]
struct GenhashCli {
    /// Use SSL connection to remote server.
    #[arg(short = 'S', long = "use-ssl")]
    use_ssl: bool,
    /// Use SNI during SSL handshake (uses virtualhost setting; see -V).
    #[arg(short = 'I', long = "use-sni")]
    use_sni: bool,
    /// Use the specified remote server address.
    #[arg(short = 's', long = "server")]
    server: IpAddr,
    /// Use the specified remote server port.
    #[arg(short = 'p', long = "port")]
    port: Option<u16>,
    /// Use the specified remote server url.
    #[arg(short = 'u', long = "url")]
    url: String,
    /// Use the specified virtualhost in GET query.
    #[arg(short = 'V', long = "use-virtualhost")]
    virtualhost: Option<String>,
    /// Use verbose mode output.
    #[arg(short = 'v', long = "verbose")]
    verbose: bool,
    /// Use the specified FW mark.
    #[arg(short = 'm', long = "fwmark")]
    fwmark: Option<u32>,
    /// Use the specified HTTP protocol - '1.0', 1.0c', '1.1'. 1.0c means 1.0 with 'Connection: close'
    #[arg(short = 'P', long = "protocol", default_value = "1.0")]
    protocol: String,
    /// Timeout in seconds
    #[arg(short = 't', long = "timeout", default_value_t = 5)]
    timeout: u64,
}

/// Runs genhash with `args` (everything after `-T`).
pub fn main(args: Vec<String>) -> ExitCode {
    let mut argv = vec!["keepalived-rs --genhash".to_string()];
    argv.extend(args);
    let cli = match GenhashCli::try_parse_from(argv) {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 1 } else { 0 });
        }
    };
    let protocol = match cli.protocol.as_str() {
        "1.0" => HttpProtocol::V1_0,
        "1.0c" => HttpProtocol::V1_0C,
        "1.1" => HttpProtocol::V1_1,
        other => {
            eprintln!("Invalid protocol '{other}': use 1.0, 1.0c or 1.1");
            return ExitCode::from(1);
        }
    };
    let mut opts = GenhashOptions::new(cli.server, cli.url);
    opts.port = cli.port;
    opts.ssl = cli.use_ssl;
    opts.sni = cli.use_sni;
    opts.virtualhost = cli.virtualhost;
    opts.verbose = cli.verbose;
    opts.fwmark = cli.fwmark;
    opts.protocol = protocol;
    opts.timeout = Duration::from_secs(cli.timeout);
    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("genhash: cannot start the runtime: {e}");
            return ExitCode::from(1);
        }
    };
    let mut out = std::io::stdout();
    match rt.block_on(run(&opts, &mut out)) {
        Ok(_) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{e}");
            ExitCode::from(1)
        }
    }
}
