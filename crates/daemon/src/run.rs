//! The daemon's life: fork (unless -n), logging, pid files, one tokio runtime, and the loop that
//! turns signals into stop/reload/dump requests for the VRRP engine.

use std::process::ExitCode;
use std::time::Duration;

use nix::sys::stat::{Mode, umask};

use crate::cli::Cli;
use crate::log::{LogGuard, LogOptions};
use crate::pidfile::PidFiles;

/// Runs the daemon until it is told to stop; the exit code is keepalived's (0 after SIGTERM).
pub fn run(cli: &Cli) -> ExitCode {
    let facility = match cli.facility() {
        Ok(f) => f,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(1);
        }
    };
    if let Some(mask) = &cli.umask {
        match u32::from_str_radix(mask.trim_start_matches("0o"), 8)
            .ok()
            .and_then(|m| Mode::from_bits(m as libc::mode_t))
        {
            Some(m) => {
                umask(m);
            }
            None => {
                eprintln!("Invalid umask {mask}");
                return ExitCode::from(1);
            }
        }
    }
    // Fork before any thread exists: the runtime and the log writer start in the child.
    if !cli.dont_fork
        && let Err(e) = nix::unistd::daemon(false, false)
    {
        eprintln!("cannot fork into the background: {e}");
        return ExitCode::from(1);
    }
    let log = crate::log::init(LogOptions {
        console: cli.log_console,
        syslog: !cli.no_syslog,
        facility,
        detail: cli.log_detail,
        file: cli.log_file.clone(),
        ident: "Keepalived_vrrp".into(),
    });
    tracing::info!(
        "Starting keepalived-rs v{} (drop-in for Keepalived v2.2.7)",
        env!("CARGO_PKG_VERSION")
    );
    let args: Vec<String> = std::env::args().map(|a| format!("'{a}'")).collect();
    tracing::info!("Command line: {}", args.join(" "));
    tracing::info!("Configuration file {}", cli.use_file.display());
    let code = match PidFiles::create(&[cli.pid_file(), cli.vrrp_pid_file()]) {
        Ok(pids) => {
            let code = serve(cli, &log);
            drop(pids);
            code
        }
        Err(e) => {
            tracing::error!("{e}");
            ExitCode::from(1)
        }
    };
    tracing::info!("Stopped keepalived-rs v{}", env!("CARGO_PKG_VERSION"));
    drop(log);
    code
}

fn serve(cli: &Cli, log: &LogGuard) -> ExitCode {
    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            tracing::error!("cannot start the runtime: {e}");
            return ExitCode::from(1);
        }
    };
    let code = rt.block_on(serve_async(cli, log.dropped()));
    // Scripts still running after the drain belong to nobody now; do not wait for them.
    rt.shutdown_timeout(Duration::from_millis(100));
    code
}

/// Reads the configuration, opens the sockets, starts trackers and runs the loop.
async fn serve_async(cli: &Cli, dropped: std::sync::Arc<crate::log::Dropped>) -> ExitCode {
    use crate::conf_subset;
    use crate::engine::{Engine, InstanceSpec, Plan};
    use crate::notify::{Fifo, Mail, Notifier, ScriptSecurity};
    use crate::shell::{Interfaces, LinuxShell};

    let nl = match keepalived_sys::netlink::Netlink::connect() {
        Ok(nl) => nl,
        Err(e) => {
            tracing::error!("{e}");
            return ExitCode::from(1);
        }
    };
    let mut system = match Interfaces::read(&nl).await {
        Ok(s) => s,
        Err(e) => {
            tracing::error!("reading the interfaces: {e}");
            return ExitCode::from(1);
        }
    };
    let mut read = match conf_subset::read(&cli.use_file, &system) {
        Ok(r) => r,
        Err(e) => {
            tracing::error!("Configuration file {}: {e}", cli.use_file.display());
            return ExitCode::from(1);
        }
    };
    for d in &read.diagnostics {
        tracing::warn!("{d}");
    }
    if read.instances.is_empty() {
        tracing::error!("No VRRP instance to run");
        return ExitCode::from(1);
    }
    for i in &read.instances {
        if i.cfg.strict && !i.accept {
            tracing::warn!(
                "({}) vrrp_strict without `accept`: while master, traffic to the VIPs ({}) is dropped \
                 (nftables table inet {}), as keepalived does; add `accept` to the instance to let it through",
                i.cfg.name,
                i.vips
                    .iter()
                    .map(|v| v.text.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
                keepalived_sys::nft::TABLE,
            );
        }
    }
    // track_interface starts from the links' state now, not from "up".
    for i in &mut read.instances {
        for (k, t) in i.tracked.iter().enumerate() {
            if let conf_subset::Tracked::Interface(name) = t
                && let Some(tc) = i.cfg.trackers.get_mut(k)
            {
                tc.initial = if system.by_name.get(name).is_some_and(|l| l.up) {
                    keepalived_vrrp::TrackerStatus::Up
                } else {
                    keepalived_vrrp::TrackerStatus::Down
                };
            }
        }
    }
    let g = &read.globals;
    if g.smtp_server.is_some()
        && !g.emails.is_empty()
        && read.instances.iter().all(|i| !i.scripts.smtp_alert)
    {
        tracing::warn!(
            "smtp_server and notification_email are set but no instance has smtp_alert: like keepalived, \
             no mail will be sent; add `smtp_alert` to global_defs to get one per state change"
        );
    }
    let mut security = ScriptSecurity {
        enforce: g.enable_script_security,
        ..Default::default()
    };
    if let Some(u) = &g.script_user {
        match nix::unistd::User::from_name(u) {
            Ok(Some(user)) => {
                security.uid = Some(user.uid.as_raw());
                security.gid = Some(user.gid.as_raw());
            }
            _ => tracing::warn!("Script user '{u}' does not exist"),
        }
    }
    let fifo = g.vrrp_notify_fifo.as_ref().and_then(|p| {
        Fifo::open(std::path::Path::new(p))
            .map_err(|e| tracing::error!("{e}"))
            .ok()
    });
    let mail = match (&g.smtp_server, g.emails.is_empty()) {
        (Some((server, port)), false) => Some(Mail {
            server: server.clone(),
            port: *port,
            helo: g.smtp_helo.clone(),
            from: g
                .email_from
                .clone()
                .unwrap_or_else(|| "keepalived@localhost".into()),
            to: g.emails.clone(),
            connect_timeout: g.smtp_connect_timeout.unwrap_or(Duration::from_secs(30)),
            router_id: g.router_id.clone().unwrap_or_else(|| {
                nix::unistd::gethostname()
                    .map(|h| h.to_string_lossy().into_owned())
                    .unwrap_or_default()
            }),
        }),
        _ => None,
    };
    let notifier = Notifier::new(security.clone(), fifo, mail);
    let (tx, rx) = tokio::sync::mpsc::channel(1024);
    // VIPs expire unless refreshed: after SIGKILL they leave within max(Master_Down_Interval, 3 s)
    // (the kernel counts lifetimes in whole seconds).
    let lifetime = read
        .instances
        .iter()
        .map(|i| (i.cfg.adver_int * 4).as_secs_f64().ceil() as u32)
        .max()
        .unwrap_or(3)
        .max(3);
    let vmacs = match crate::shell::create_vmacs(&nl, &mut read.instances, &system).await {
        Ok(v) => v,
        Err(e) => {
            tracing::error!("{e}");
            return ExitCode::from(1);
        }
    };
    if !vmacs.is_empty() {
        match Interfaces::read(&nl).await {
            Ok(s) => system = s,
            Err(e) => tracing::error!("reading the interfaces: {e}"),
        }
    }
    let nl_for_stop = nl.clone();
    let shell = match LinuxShell::open(nl, &read.instances, &system, true, tx.clone()) {
        Ok(s) => s.with_garp_interval(read.globals.garp_interval, read.globals.gna_interval),
        Err(e) => {
            tracing::error!("{e}");
            return ExitCode::from(1);
        }
    };
    let shell = if read.globals.vip_lifetime_off {
        shell
    } else {
        shell.with_vip_lifetime(lifetime)
    };
    let shell = match shell.with_statics(&read.statics) {
        Ok(s) => s,
        Err(e) => {
            tracing::error!("static_ipaddress/routes/rules: {e}");
            return ExitCode::from(1);
        }
    };
    let plan = Plan {
        instances: read
            .instances
            .iter()
            .map(|i| InstanceSpec {
                cfg: i.cfg.clone(),
                interface: i.interface.clone(),
                scripts: i.scripts.clone(),
                vip_lines: i.vips.iter().map(|v| v.text.clone()).collect(),
                tracked_links: i
                    .tracked
                    .iter()
                    .enumerate()
                    .filter_map(|(k, t)| match t {
                        conf_subset::Tracked::Interface(n) => Some((k, n.clone())),
                        _ => None,
                    })
                    .collect(),
            })
            .collect(),
        groups: read
            .groups
            .iter()
            .map(|g| crate::engine::GroupSpec {
                cfg: keepalived_vrrp::SyncGroupConfig {
                    name: g.name.clone(),
                    members: g.members.clone(),
                },
                scripts: g.scripts.clone(),
            })
            .collect(),
    };
    if let Err(e) = shell.remove_leftovers().await {
        tracing::error!("{e}");
    }
    shell.add_statics().await;
    if let Err(e) = crate::shell::watch_links(&system, tx.clone()) {
        tracing::error!("link monitor: {e}; track_interface and FAULT on link down are off");
    }
    // An instance whose interface is down at start goes to FAULT at once.
    for i in &read.instances {
        if system.by_name.get(&i.interface).is_some_and(|l| !l.up) {
            let _ = tx.try_send(crate::engine::Input::Link {
                interface: i.interface.clone(),
                up: false,
            });
        }
    }
    crate::tracker::start(&read, security, tx);
    let controls = match crate::signals::listen() {
        Ok(c) => c,
        Err(e) => {
            tracing::error!("{e}");
            return ExitCode::from(1);
        }
    };
    let mut engine = Engine::new(plan, shell, notifier).with_dropped(dropped);
    engine.run(rx, controls).await;
    for v in vmacs {
        if let Err(e) = v.remove(&nl_for_stop).await {
            tracing::error!("removing a VMAC: {e}");
        }
    }
    ExitCode::SUCCESS
}

/// For -t and --dump-conf: a missing interface is a warning there, not a reason to drop the instance.
struct Lenient(crate::shell::Interfaces);

impl crate::conf_subset::Addresses for Lenient {
    fn primary(&self, interface: &str, v6: bool) -> Option<std::net::IpAddr> {
        self.0.primary(interface, v6).or(Some(if v6 {
            std::net::IpAddr::V6(std::net::Ipv6Addr::UNSPECIFIED)
        } else {
            std::net::IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED)
        }))
    }
}

fn read_lenient(cli: &Cli) -> std::io::Result<crate::conf_subset::Read> {
    use crate::conf_subset::Addresses;
    let system = Lenient(crate::shell::Interfaces::read_blocking());
    let mut read = crate::conf_subset::read(&cli.use_file, &system)?;
    for i in &read.instances {
        if system.0.primary(&i.interface, false).is_none()
            && !system.0.by_name.contains_key(&i.interface)
        {
            read.diagnostics.push(format!(
                "WARNING - interface {} for vrrp_instance {} doesn't exist",
                i.interface, i.cfg.name
            ));
        }
    }
    Ok(read)
}

/// `-t`: every diagnostic of the reader, once, on stderr (or the -t file); exit 1 when an
/// instance could not be used. keepalived-conf's full check replaces this when it lands.
pub fn config_test(cli: &Cli) -> ExitCode {
    use std::io::Write;
    let read = match read_lenient(cli) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("Configuration file {}: {e}", cli.use_file.display());
            return ExitCode::from(1);
        }
    };
    let mut out: Box<dyn Write> = match cli.config_test.as_deref() {
        Some(f) if !f.is_empty() => match std::fs::File::create(f) {
            Ok(file) => Box::new(file),
            Err(e) => {
                eprintln!("{f}: {e}");
                return ExitCode::from(1);
            }
        },
        _ => Box::new(std::io::stderr()),
    };
    for d in &read.diagnostics {
        let _ = writeln!(out, "{d}");
    }
    if read.errors > 0 || read.instances.is_empty() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

/// `--dump-conf[=json]`: the model as read, on stdout.
pub fn dump_conf(cli: &Cli) -> ExitCode {
    let format = match cli.dump_format() {
        Some(Ok(f)) => f,
        Some(Err(e)) => {
            eprintln!("{e}");
            return ExitCode::from(1);
        }
        None => crate::cli::DumpFormat::Text,
    };
    let read = match read_lenient(cli) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("Configuration file {}: {e}", cli.use_file.display());
            return ExitCode::from(1);
        }
    };
    let instances: Vec<serde_json::Value> = read
        .instances
        .iter()
        .map(|i| {
            serde_json::json!({
                "name": i.cfg.name,
                "interface": i.interface,
                "virtual_router_id": i.cfg.vrid,
                "version": i.cfg.version.number(),
                "priority": i.cfg.priority,
                "state": format!("{:?}", i.cfg.initial_state),
                "advert_int": i.cfg.adver_int.as_secs_f64(),
                "src": i.cfg.src.to_string(),
                "unicast_peers": i.cfg.peers.iter().map(|p| p.addr.to_string()).collect::<Vec<_>>(),
                "virtual_ipaddress": i.vips.iter().map(|v| v.text.clone()).collect::<Vec<_>>(),
                "track_script": i.track_scripts,
                "accept": i.accept,
                "nopreempt": i.cfg.nopreempt,
                "smtp_alert": i.scripts.smtp_alert,
                "notify": i.scripts.generic,
                "notify_master": i.scripts.master,
                "notify_backup": i.scripts.backup,
                "notify_fault": i.scripts.fault,
                "notify_stop": i.scripts.stop,
            })
        })
        .collect();
    let scripts: Vec<serde_json::Value> = read
        .scripts
        .iter()
        .map(|s| {
            serde_json::json!({
                "name": s.name, "script": s.script, "interval": s.interval.as_secs_f64(),
                "timeout": s.timeout.as_secs_f64(), "weight": s.weight, "rise": s.rise, "fall": s.fall,
            })
        })
        .collect();
    let g = &read.globals;
    let doc = serde_json::json!({
        "global_defs": {
            "router_id": g.router_id,
            "notification_email": g.emails,
            "notification_email_from": g.email_from,
            "smtp_server": g.smtp_server.as_ref().map(|(s, p)| format!("{s}:{p}")),
            "vrrp_strict": g.strict,
            "enable_script_security": g.enable_script_security,
            "script_user": g.script_user,
            "vrrp_notify_fifo": g.vrrp_notify_fifo,
            "vrrp_garp_interval": g.garp_interval.as_secs_f64(),
        },
        "vrrp_script": scripts,
        "vrrp_instance": instances,
        "diagnostics": read.diagnostics,
    });
    match format {
        crate::cli::DumpFormat::Json => println!("{doc}"),
        crate::cli::DumpFormat::Text => {
            println!("{}", serde_json::to_string_pretty(&doc).unwrap_or_default())
        }
    }
    ExitCode::SUCCESS
}
