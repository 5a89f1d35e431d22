//! keepalived's command line, option for option, so a systemd unit or script written for
//! keepalived 2.2.7 runs keepalived-rs unchanged; plus our own `--dump-conf=json`.

use std::path::PathBuf;

use clap::Parser;

/// keepalived's default configuration file.
pub const DEFAULT_CONFIG: &str = "/etc/keepalived/keepalived.conf";
/// keepalived's default pid files (runstatedir /run on Debian 12).
pub const DEFAULT_PID: &str = "/run/keepalived.pid";
pub const DEFAULT_VRRP_PID: &str = "/run/vrrp.pid";
pub const DEFAULT_CHECKERS_PID: &str = "/run/checkers.pid";
pub const DEFAULT_BFD_PID: &str = "/run/bfd.pid";

const LATER: &str = "(accepted for compatibility; no effect yet)";

/// The command line of keepalived 2.2.7 (`keepalived --help`).
#[derive(Debug, Clone, Parser)]
#[command(
    name = "keepalived-rs",
    about = "keepalived 2.2.7 rebuilt in Rust: VRRP and health checking for Linux",
    disable_version_flag = true,
    after_help = "Signals: TERM/INT stop, HUP reload, USR1 data dump (/tmp/keepalived.data), \
USR2 stats (/tmp/keepalived.stats), SIGRTMIN+2 JSON dump (/tmp/keepalived.json); \
`--signum=NAME` prints the number."
)]
pub struct Cli {
    /// Use the specified configuration file
    #[arg(short = 'f', long = "use-file", value_name = "FILE", default_value = DEFAULT_CONFIG)]
    pub use_file: PathBuf,

    /// Only run with VRRP subsystem
    #[arg(short = 'P', long = "vrrp")]
    pub vrrp: bool,

    /// Only run with Health-checker subsystem (checks and the computed LVS table; IPVS itself is not programmed yet)
    #[arg(short = 'C', long = "check")]
    pub check: bool,

    /// Don't run BFD subsystem (we have no BFD subsystem yet, so this is always the case)
    #[arg(short = 'B', long = "no_bfd")]
    pub no_bfd: bool,

    /// Force all child processes to run, even if have no configuration (keepalived-rs runs one process)
    #[arg(long = "all")]
    pub all: bool,

    /// Log messages to local console (stderr)
    #[arg(short = 'l', long = "log-console")]
    pub log_console: bool,

    /// Detailed log messages
    #[arg(short = 'D', long = "log-detail")]
    pub log_detail: bool,

    /// Set syslog facility to LOG_LOCAL[0-7], user or daemon (default)
    #[arg(
        short = 'S',
        long = "log-facility",
        value_name = "([0-7]|local[0-7]|user|daemon)"
    )]
    pub log_facility: Option<String>,

    /// Don't log via syslog
    #[arg(short = 'G', long = "no-syslog")]
    pub no_syslog: bool,

    /// Also log to this file (keepalived's optional log-to-file build)
    #[arg(short = 'g', long = "log-file", value_name = "FILE")]
    pub log_file: Option<PathBuf>,

    /// Flush the log file after each line (we always do)
    #[arg(long = "flush-log-file")]
    pub flush_log_file: bool,

    /// umask for file creation (in numeric form)
    #[arg(short = 'u', long = "umask", value_name = "MASK")]
    pub umask: Option<String>,

    /// Drop VIP on transition from signal.
    #[arg(short = 'X', long = "release-vips", help = format!("Drop VIP on transition from signal {LATER}"))]
    pub release_vips: bool,

    /// Don't remove VRRP VIPs and VROUTEs on daemon stop
    #[arg(short = 'V', long = "dont-release-vrrp")]
    pub dont_release_vrrp: bool,

    /// Don't remove IPVS topology on daemon stop
    #[arg(short = 'I', long = "dont-release-ipvs", help = format!("Don't remove IPVS topology on daemon stop {LATER}"))]
    pub dont_release_ipvs: bool,

    /// Don't respawn child processes (keepalived-rs has no child processes to respawn)
    #[arg(short = 'R', long = "dont-respawn")]
    pub dont_respawn: bool,

    /// Don't fork the daemon process
    #[arg(short = 'n', long = "dont-fork")]
    pub dont_fork: bool,

    /// Dump the configuration data: `-d` to the log at start (the daemon runs), `--dump-conf` on stdout and exit, `--dump-conf=json` as JSON on stdout and exit
    #[arg(
        short = 'd',
        long = "dump-conf",
        value_name = "FORMAT",
        num_args = 0..=1,
        require_equals = true,
        default_missing_value = "text"
    )]
    pub dump_conf: Option<String>,

    /// Use specified pidfile for parent process
    #[arg(short = 'p', long = "pid", value_name = "FILE")]
    pub pid: Option<PathBuf>,

    /// Use specified pidfile for VRRP child process
    #[arg(short = 'r', long = "vrrp_pid", value_name = "FILE")]
    pub vrrp_pid: Option<PathBuf>,

    /// Enter into genhash utility mode (this should be the first option used)
    #[arg(short = 'T', long = "genhash")]
    pub genhash: bool,

    /// Use specified pidfile for checkers child process
    #[arg(short = 'c', long = "checkers_pid", value_name = "FILE")]
    pub checkers_pid: Option<PathBuf>,

    /// Report all address additions/deletions notified via netlink
    #[arg(short = 'a', long = "address-monitoring", help = format!("Report all address additions/deletions notified via netlink {LATER}"))]
    pub address_monitoring: bool,

    /// Use specified pidfile for BFD child process
    #[arg(short = 'b', long = "bfd_pid", value_name = "FILE")]
    pub bfd_pid: Option<PathBuf>,

    /// Enable SNMP subsystem
    #[arg(short = 'x', long = "snmp", help = format!("Enable SNMP subsystem {LATER}"))]
    pub snmp: bool,

    /// Use the specified socket for master agent
    #[arg(short = 'A', long = "snmp-agent-socket", value_name = "FILE", help = format!("Use the specified socket for master agent {LATER}"))]
    pub snmp_agent_socket: Option<String>,

    /// Run in network namespace NAME (overrides config)
    #[arg(short = 's', long = "namespace", value_name = "NAME", help = format!("Run in network namespace NAME (overrides config) {LATER}"))]
    pub namespace: Option<String>,

    /// Produce core dump if terminate abnormally
    #[arg(short = 'm', long = "core-dump")]
    pub core_dump: bool,

    /// Also set /proc/sys/kernel/core_pattern to PATN (default 'core')
    #[arg(
        short = 'M',
        long = "core-dump-pattern",
        value_name = "PATN",
        num_args = 0..=1,
        require_equals = true,
        default_missing_value = "core",
        help = format!("Also set /proc/sys/kernel/core_pattern to PATN (default 'core') {LATER}")
    )]
    pub core_dump_pattern: Option<String>,

    /// Error if any configuration file missing (same as includet)
    #[arg(short = 'e', long = "all-config")]
    pub all_config: bool,

    /// Skip any configuration lines beginning '@' that don't match id or any lines beginning @^ that
    /// do match. The config-id defaults to the node name if option not used
    #[arg(short = 'i', long = "config-id", value_name = "id")]
    pub config_id: Option<String>,

    /// Return signal number for STOP, RELOAD, DATA, STATS, STATS_CLEAR, JSON
    #[arg(long = "signum", value_name = "SIGFUNC")]
    pub signum: Option<String>,

    /// Check the configuration for obvious errors, output to stderr by default
    #[arg(
        short = 't',
        long = "config-test",
        value_name = "LOG_FILE",
        num_args = 0..=1,
        require_equals = true,
        default_missing_value = ""
    )]
    pub config_test: Option<String>,

    /// Display the version number
    #[arg(short = 'v', long = "version")]
    pub version: bool,
}

/// What `--dump-conf` asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DumpFormat {
    Text,
    Json,
}

impl Cli {
    pub fn dump_format(&self) -> Option<Result<DumpFormat, String>> {
        self.dump_conf.as_deref().map(|f| match f {
            "" | "text" => Ok(DumpFormat::Text),
            "json" => Ok(DumpFormat::Json),
            other => Err(format!(
                "unknown --dump-conf format `{other}` (use --dump-conf or --dump-conf=json)"
            )),
        })
    }

    pub fn pid_file(&self) -> PathBuf {
        self.pid
            .clone()
            .unwrap_or_else(|| PathBuf::from(DEFAULT_PID))
    }

    pub fn vrrp_pid_file(&self) -> PathBuf {
        self.vrrp_pid
            .clone()
            .unwrap_or_else(|| PathBuf::from(DEFAULT_VRRP_PID))
    }

    /// The syslog facility code (LOG_DAEMON unless -S says otherwise), as keepalived parses -S.
    pub fn facility(&self) -> Result<u8, String> {
        const LOG_USER: u8 = 1;
        const LOG_DAEMON: u8 = 3;
        const LOG_LOCAL0: u8 = 16;
        let Some(f) = self.log_facility.as_deref() else {
            return Ok(LOG_DAEMON);
        };
        let digit = |s: &str| s.parse::<u8>().ok().filter(|n| *n <= 7);
        match f {
            "user" => Ok(LOG_USER),
            "daemon" => Ok(LOG_DAEMON),
            _ => {
                if let Some(n) = digit(f) {
                    Ok(LOG_LOCAL0 + n)
                } else if let Some(n) = f.strip_prefix("local").and_then(digit) {
                    Ok(LOG_LOCAL0 + n)
                } else {
                    Err(format!("Invalid log facility '{f}'"))
                }
            }
        }
    }
}

/// keepalived's `--signum` table: the signal it acts on for each function.
pub fn signum(name: &str) -> Option<i32> {
    // SIGRTMIN is 34 with glibc on Linux; keepalived uses SIGRTMIN+2 for JSON and
    // SIGRTMAX-1 for STATS_CLEAR (checked against the real `keepalived --signum`).
    match name {
        "STOP" => Some(libc::SIGTERM),
        "RELOAD" => Some(libc::SIGHUP),
        "DATA" => Some(libc::SIGUSR1),
        "STATS" => Some(libc::SIGUSR2),
        "STATS_CLEAR" => Some(SIG_STATS_CLEAR),
        "JSON" => Some(SIG_JSON),
        _ => None,
    }
}

/// SIGRTMIN+2 as glibc numbers it.
pub const SIG_JSON: i32 = 36;
/// SIGRTMAX-1 as glibc numbers it.
pub const SIG_STATS_CLEAR: i32 = 63;

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Cli {
        let mut v = vec!["keepalived-rs"];
        v.extend_from_slice(args);
        Cli::try_parse_from(v).unwrap()
    }

    #[test]
    fn systemd_unit_line_parses() {
        // Debian's unit: ExecStart=/usr/sbin/keepalived --dont-fork $DAEMON_ARGS
        let c = parse(&["--dont-fork", "-D", "-S", "local3", "-f", "/tmp/k.conf"]);
        assert!(c.dont_fork && c.log_detail);
        assert_eq!(c.facility().unwrap(), 19);
        assert_eq!(c.use_file, PathBuf::from("/tmp/k.conf"));
    }

    #[test]
    fn optional_values() {
        assert_eq!(parse(&["-t"]).config_test.as_deref(), Some(""));
        assert_eq!(
            parse(&["--config-test=/tmp/log"]).config_test.as_deref(),
            Some("/tmp/log")
        );
        assert_eq!(
            parse(&["--dump-conf=json"]).dump_format(),
            Some(Ok(DumpFormat::Json))
        );
        assert_eq!(parse(&["-d"]).dump_format(), Some(Ok(DumpFormat::Text)));
        assert_eq!(parse(&[]).use_file, PathBuf::from(DEFAULT_CONFIG));
        let c = parse(&["-V", "-v", "-x", "-M", "-m", "-e", "-a", "-X", "-I", "-R"]);
        assert!(c.dont_release_vrrp && c.version);
    }

    #[test]
    fn signum_matches_keepalived() {
        assert_eq!(signum("STOP"), Some(15));
        assert_eq!(signum("RELOAD"), Some(1));
        assert_eq!(signum("DATA"), Some(10));
        assert_eq!(signum("STATS"), Some(12));
        assert_eq!(signum("JSON"), Some(36));
        assert_eq!(signum("STATS_CLEAR"), Some(63));
        assert_eq!(signum("HUP"), None);
    }
}
