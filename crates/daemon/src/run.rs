//! The daemon's life: fork (unless -n), logging, pid files, one tokio runtime, and the loop that
//! turns signals into stop/reload/dump requests for the VRRP engine.

use std::process::ExitCode;
use std::time::Duration;

use nix::sys::stat::{Mode, umask};

use crate::cli::Cli;
use crate::log::{LogGuard, LogOptions};
use crate::pidfile::PidFiles;

/// keepalived 2.2.7's `umask_val` when `-u` is not given.
const DEFAULT_UMASK: Mode = Mode::from_bits_truncate(0o177);

/// `-u/--umask` as keepalived reads it: `strtoll(.., 0)`, permission bits only.
fn parse_umask(text: &str) -> Option<Mode> {
    let t = text.trim();
    let v = if let Some(hex) = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        u32::from_str_radix(hex, 16).ok()?
    } else if t.len() > 1 && t.starts_with('0') {
        u32::from_str_radix(&t[1..], 8).ok()?
    } else {
        t.parse::<u32>().ok()?
    };
    (v <= 0o777).then(|| Mode::from_bits_truncate(v as libc::mode_t))
}

/// Runs `f` (pid file creation) with the group and other read bits let through the umask, then
/// restores it, as keepalived writes its pid files (0644 under its 0177 umask). Call it before
/// other threads create files, the umask being the process's.
pub fn with_pid_umask<T>(f: impl FnOnce() -> T) -> T {
    let before = umask(Mode::empty());
    umask(before & !(Mode::S_IRGRP | Mode::S_IROTH));
    let out = f();
    umask(before);
    out
}

/// Runs the daemon until it is told to stop; the exit code is keepalived's (0 after SIGTERM).
pub fn run(cli: &Cli) -> ExitCode {
    let facility = match cli.facility() {
        Ok(f) => f,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(1);
        }
    };
    // keepalived's umask: 0177 unless -u/--umask gives one (C's strtol base 0: "022" octal,
    // "0x12" hex, "18" decimal), so what the daemon and its scripts create is private by default.
    let mask = match &cli.umask {
        Some(text) => match parse_umask(text) {
            Some(m) => m,
            None => {
                eprintln!("Invalid --umask option {text}");
                return ExitCode::from(1);
            }
        },
        None => DEFAULT_UMASK,
    };
    umask(mask);
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
        file_mode: 0o666 & !umask_val(cli),
        ident: "Keepalived_vrrp".into(),
    });
    log_panics();
    tracing::info!(
        "Starting keepalived-rs v{} (drop-in for Keepalived v2.2.7)",
        env!("CARGO_PKG_VERSION")
    );
    let args: Vec<String> = std::env::args().map(|a| format!("'{a}'")).collect();
    tracing::info!("Command line: {}", args.join(" "));
    tracing::info!("Configuration file {}", cli.use_file.display());
    // -C runs no VRRP side, so no VRRP pid file (the checkers' is lvs.rs's).
    let pid_files = if cli.check {
        vec![cli.pid_file()]
    } else {
        vec![cli.pid_file(), cli.vrrp_pid_file()]
    };
    let code = match with_pid_umask(|| PidFiles::create(&pid_files)) {
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
    let loaded = keepalived_conf::load(&cli.use_file, &load_options(cli), &system);
    // Every diagnostic once, line by line, as keepalived logs its configuration errors.
    let rendered = loaded.render();
    let runnable = loaded.runnable();
    for line in rendered.lines() {
        if runnable {
            tracing::warn!("{line}");
        } else {
            tracing::error!("{line}");
        }
    }
    if !runnable {
        tracing::error!(
            "Configuration file {} cannot be run (see above); like keepalived, not starting",
            cli.use_file.display()
        );
        return ExitCode::from(1);
    }
    if cli.dump_conf.is_some() {
        // keepalived's -d: the configuration as it will run, in the log.
        match serde_json::to_value(&loaded.config) {
            Ok(doc) => {
                for line in readable(&doc).lines() {
                    tracing::info!("{line}");
                }
            }
            Err(e) => tracing::warn!("cannot dump the configuration: {e}"),
        }
    }
    let written = crate::setup::written(&loaded.config);
    let mut read = crate::setup::from_loaded(&loaded, &written, &system);
    for why in &read.skipped {
        tracing::error!("{why}");
    }
    // keepalived's checker process, in this runtime: alone with -C or without vrrp_instance.
    let lvs_wanted = crate::lvs::wanted(cli, &loaded.config);
    if cli.check || (lvs_wanted && read.instances.is_empty()) {
        if !lvs_wanted {
            tracing::error!("No virtual server to check");
            return ExitCode::from(1);
        }
        let controls = match crate::signals::listen() {
            Ok(c) => c,
            Err(e) => {
                tracing::error!("{e}");
                return ExitCode::from(1);
            }
        };
        let lvs = crate::lvs::start(cli, &loaded.config, &read.globals, false).await;
        lvs.serve_alone(cli, controls).await;
        return ExitCode::SUCCESS;
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
    // keepalived checks the vrrp_scripts when the configuration is loaded.
    let security = ScriptSecurity::of(&read.globals);
    crate::tracker::vet(&mut read, &security);
    // track_interface starts from the links' state now, not from "up"; track_file from the
    // file's value now, as keepalived reads it at start (a non-blocking read of a few bytes).
    let files = &read.files;
    for i in &mut read.instances {
        for (k, t) in i.tracked.iter().enumerate() {
            let Some(tc) = i.cfg.trackers.get_mut(k) else {
                continue;
            };
            match t {
                crate::setup::Tracked::Interface(name) => {
                    tc.initial = if system.by_name.get(name).is_some_and(|l| l.up) {
                        keepalived_vrrp::TrackerStatus::Up
                    } else {
                        keepalived_vrrp::TrackerStatus::Down
                    };
                }
                crate::setup::Tracked::File(name) => {
                    if let Some(f) = files.iter().find(|f| &f.name == name) {
                        let path = std::path::Path::new(&f.file);
                        let v = keepalived_check::probe::file::read_value(path).unwrap_or(0);
                        tc.initial = keepalived_vrrp::TrackerStatus::Value(v);
                    }
                }
                _ => {}
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
    if g.script_user.is_some() && g.script_ids.is_none() {
        tracing::warn!(
            "Script user '{}' does not exist",
            g.script_user
                .as_ref()
                .map(|u| u.0.as_str())
                .unwrap_or_default()
        );
    }
    let mut fifos = Vec::new();
    for f in &g.fifos {
        let path = std::path::Path::new(&f.path);
        // The FIFO's user (its own, else the default script user) owns it and runs its script.
        let sec = match &f.user {
            Some(u) => run_as(&security, u),
            None => Some(security.clone()),
        };
        let owner = sec.as_ref().and_then(|s| s.uid.zip(s.gid));
        let created = match Fifo::create(path, owner) {
            Ok(c) => c,
            Err(e) => {
                tracing::error!("{e}");
                continue;
            }
        };
        // keepalived starts the FIFO's script (path appended) before it opens the FIFO, and
        // lets it run as long as it likes.
        if let Some(script) = &f.script {
            match sec {
                Some(sec) => {
                    let (line, arg) = (script.clone(), f.path.clone());
                    tokio::spawn(async move {
                        let forever = Duration::from_secs(u64::from(u32::MAX));
                        match crate::notify::run_script(&line, &[arg], &sec, forever).await {
                            Ok(st) => tracing::info!("notify FIFO script `{line}` ended: {st:?}"),
                            Err(e) => tracing::error!("{e}"),
                        }
                    });
                }
                None => tracing::error!(
                    "notify FIFO {}: its script's user does not exist; not run",
                    f.path
                ),
            }
        }
        match Fifo::open_created(path, created) {
            Ok(fifo) => fifos.push(fifo),
            Err(e) => tracing::error!("{e}"),
        }
    }
    let mail = match (&g.smtp_server, g.emails.is_empty()) {
        (Some((server, port)), false) => Some(Mail {
            server: server.clone(),
            port: *port,
            helo: g.smtp_helo.clone(),
            from: g.email_from.clone().unwrap_or_else(default_email_from),
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
    let notifier = Notifier::new(security.clone(), fifos, mail);
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
    // An advert may wait for its socket's next read up to a thousandth of the shortest
    // advert interval (1 ms at 1 s, 0.1 ms at 0.1 s): a backup of 1,000 instances then reads
    // a master's burst of adverts in batches instead of waking for each one.
    let rx_hold = read
        .instances
        .iter()
        .map(|i| i.cfg.adver_int / 1000)
        .min()
        .unwrap_or_default()
        .min(Duration::from_millis(1));
    let shell = match LinuxShell::open(nl, &read.instances, &system, true) {
        Ok(s) => s
            .with_garp_interval(read.globals.garp_interval, read.globals.gna_interval)
            .with_garp_groups(read.globals.garp_groups.clone())
            .with_rx_hold(rx_hold),
        Err(e) => {
            tracing::error!("{e}");
            return ExitCode::from(1);
        }
    };
    let shell = match read.globals.vip_lifetime {
        Some(0) => shell,
        Some(secs) => shell.with_vip_lifetime(secs),
        None => shell.with_vip_lifetime(lifetime),
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
                        crate::setup::Tracked::Interface(n) => Some((k, n.clone())),
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
    crate::tracker::start(&read, tx);
    let controls = match crate::signals::listen() {
        Ok(c) => c,
        Err(e) => {
            tracing::error!("{e}");
            return ExitCode::from(1);
        }
    };
    let lvs = if lvs_wanted {
        Some(crate::lvs::start(cli, &loaded.config, &read.globals, true).await)
    } else {
        None
    };
    let controls = match &lvs {
        Some(l) => l.share(controls),
        None => controls,
    };
    let vrrp_sched = loaded.config.global.vrrp_sched.clone();
    if loaded.config.global.max_auto_priority != 0 {
        tracing::warn!(
            "max_auto_priority: keepalived-rs does not raise its priority by itself when it runs \
             late; set vrrp_rt_priority (and checker_rt_priority) to run real-time from the start"
        );
    }
    let mut engine = Engine::new(plan, shell, notifier).with_dropped(dropped);
    if let Some((name, driver)) = sync_daemon_of(&loaded.config) {
        engine = engine.with_sync_daemon(name, driver);
    }
    // The configuration's trees and the setup's reading are copied into what runs: freed, and
    // the freed heap handed back to the kernel, they no longer count in the daemon's RSS.
    drop(read);
    drop(written);
    drop(loaded);
    drop(system);
    keepalived_sys::release_free_memory();
    // As keepalived's VRRP process: once the configuration runs.
    crate::sched::apply(crate::sched::Side::Vrrp, &vrrp_sched);
    engine.run(rx, controls).await;
    engine.stop_sync_daemon();
    if let Some(l) = lvs {
        l.stop().await;
    }
    for v in vmacs {
        if let Err(e) = v.remove(&nl_for_stop).await {
            tracing::error!("removing a VMAC: {e}");
        }
    }
    ExitCode::SUCCESS
}

/// `lvs_sync_daemon IF inst NAME`: a driver for the instance `NAME` (its VRID the default sync
/// id). Unknown instance: said, and no sync daemon (keepalived's `-t` reports it too).
fn sync_daemon_of(cfg: &keepalived_conf::Config) -> Option<(String, crate::lvs::syncd::Driver)> {
    let d = cfg.global.lvs_sync_daemon.as_ref()?;
    let name = d.instance.as_ref()?;
    let Some(inst) = cfg.vrrp.instances.iter().find(|i| &i.name == name) else {
        tracing::error!("lvs_sync_daemon: vrrp_instance {name} does not exist; no connection sync");
        return None;
    };
    let conf = crate::lvs::syncd::Config::of(d, inst.virtual_router_id);
    let driver = crate::lvs::syncd::Driver::start(conf)?;
    Some((name.clone(), driver))
}

/// Every panic goes to the log (console, syslog, log file) with its thread and place, not only to
/// a stderr nobody reads under systemd; what happens next is the thread's owner's business (the
/// checkers are started again, see lvs).
fn log_panics() {
    std::panic::set_hook(Box::new(|info| {
        let thread = std::thread::current();
        let name = thread.name().unwrap_or("unnamed");
        let what = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| (*s).to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "a panic without a message".into());
        let place = info
            .location()
            .map(|l| format!("{}:{}", l.file(), l.line()))
            .unwrap_or_default();
        tracing::error!("panic in thread '{name}' at {place}: {what}");
    }));
}

/// keepalived's default sender: our user's name at the host name.
fn default_email_from() -> String {
    let user = nix::unistd::User::from_uid(nix::unistd::getuid())
        .ok()
        .flatten()
        .map(|u| u.name)
        .unwrap_or_else(|| "keepalived".into());
    let host = nix::unistd::gethostname()
        .map(|h| h.to_string_lossy().into_owned())
        .unwrap_or_else(|_| "localhost".into());
    format!("{user}@{host}")
}

/// `security` for scripts run as `user` (and `group`, else the user's own); `None` when either
/// does not exist.
fn run_as(
    security: &crate::notify::ScriptSecurity,
    (user, group): &(String, Option<String>),
) -> Option<crate::notify::ScriptSecurity> {
    crate::setup::ids(user, group.as_deref()).map(|ids| security.with_ids(ids))
}

/// `-i/--config-id` and `-e/--all-config` as keepalived-conf takes them.
pub fn load_options(cli: &Cli) -> keepalived_conf::LoadOptions {
    keepalived_conf::LoadOptions {
        config_id: cli.config_id.clone(),
        all_config: cli.all_config,
        ..Default::default()
    }
}

/// keepalived's `umask_val`: 0177 unless -u gives a valid one. It sets the modes of the files
/// keepalived creates (the log file 0666 & ~umask_val, the -t output 0644 & ~umask_val).
fn umask_val(cli: &Cli) -> u32 {
    cli.umask
        .as_deref()
        .and_then(|m| u32::from_str_radix(m.trim_start_matches("0o"), 8).ok())
        .filter(|m| *m <= 0o777)
        .unwrap_or(0o177)
}

/// `-t[=FILE]`: every diagnostic, once, on stderr (or FILE); keepalived 2.2.7's exit code.
pub fn config_test(cli: &Cli) -> ExitCode {
    use std::io::Write;
    keepalived_sys::heap_for_one_big_build(32 << 20);
    let loaded = keepalived_conf::load(&cli.use_file, &load_options(cli), &keepalived_conf::Host);
    let mut out: Box<dyn Write> = match cli.config_test.as_deref() {
        // keepalived: open(O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW, 0644) under its umask
        // (0177 unless -u), so a symlink at the path is refused, never followed, and a new file
        // is 0600; O_NONBLOCK too, so a FIFO without a reader is refused rather than waited on.
        Some(f) if !f.is_empty() => {
            use std::os::unix::fs::OpenOptionsExt;
            let opened = std::fs::OpenOptions::new()
                .append(true)
                .create(true)
                .mode(0o644 & !umask_val(cli))
                .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_CLOEXEC)
                .open(f);
            match opened {
                Ok(file) => Box::new(file),
                Err(e) => {
                    let n = e.raw_os_error().unwrap_or(0);
                    eprintln!(
                        "Unable to open config-test log file {f} {n} - {}",
                        nix::errno::Errno::from_raw(n).desc()
                    );
                    return ExitCode::from(1);
                }
            }
        }
        _ => Box::new(std::io::stderr()),
    };
    let _ = out.write_all(loaded.render().as_bytes());
    let code = loaded.exit_code();
    // The process ends here: handing the model's thousands of allocations back one by one
    // would only delay the answer (as compilers skip freeing before exit).
    std::mem::forget(loaded);
    ExitCode::from(u8::try_from(code).unwrap_or(1))
}

/// `--dump-conf[=json]`: the resolved model on stdout (JSON: serde_json of keepalived-conf's
/// Config), the diagnostics on stderr.
pub fn dump_conf(cli: &Cli) -> ExitCode {
    let format = match cli.dump_format() {
        Some(Ok(f)) => f,
        Some(Err(e)) => {
            eprintln!("{e}");
            return ExitCode::from(1);
        }
        None => crate::cli::DumpFormat::Text,
    };
    keepalived_sys::heap_for_one_big_build(32 << 20);
    let loaded = keepalived_conf::load(&cli.use_file, &load_options(cli), &keepalived_conf::Host);
    eprint!("{}", loaded.render());
    let doc = match serde_json::to_value(&loaded.config) {
        Ok(v) => v,
        Err(e) => {
            eprintln!("cannot dump the configuration: {e}");
            return ExitCode::from(1);
        }
    };
    match format {
        crate::cli::DumpFormat::Json => println!("{doc}"),
        crate::cli::DumpFormat::Text => print!("{}", readable(&doc)),
    }
    ExitCode::SUCCESS
}

/// The model as indented `key: value` lines, leaving out what is unset, empty or off (the
/// defaults keepalived fills in stay: they are what runs).
pub fn readable(doc: &serde_json::Value) -> String {
    let mut out = String::new();
    write_value(&mut out, doc, 0);
    out
}

fn is_blank(v: &serde_json::Value) -> bool {
    use serde_json::Value;
    match v {
        Value::Null | Value::Bool(false) => true,
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.values().all(is_blank),
        _ => false,
    }
}

fn scalar(v: &serde_json::Value) -> Option<String> {
    use serde_json::Value;
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// serde's Duration: `{secs, nanos}`, shown as seconds.
fn duration(v: &serde_json::Value) -> Option<String> {
    let o = v.as_object()?;
    if o.len() != 2 {
        return None;
    }
    let secs = o.get("secs")?.as_u64()?;
    let nanos = o.get("nanos")?.as_u64()?;
    Some(if nanos == 0 {
        format!("{secs}s")
    } else {
        format!("{}s", secs as f64 + nanos as f64 / 1e9)
    })
}

fn write_value(out: &mut String, v: &serde_json::Value, depth: usize) {
    use serde_json::Value;
    let pad = "  ".repeat(depth);
    match v {
        Value::Object(o) => {
            for (k, x) in o {
                if is_blank(x) || k == "span" || k == "spans" {
                    continue;
                }
                if let Some(s) = scalar(x).or_else(|| duration(x)) {
                    out.push_str(&format!("{pad}{k}: {s}\n"));
                } else {
                    out.push_str(&format!("{pad}{k}:\n"));
                    write_value(out, x, depth + 1);
                }
            }
        }
        Value::Array(a) => {
            for x in a {
                if let Some(s) = scalar(x).or_else(|| duration(x)) {
                    out.push_str(&format!("{pad}- {s}\n"));
                } else {
                    out.push_str(&format!("{pad}-\n"));
                    write_value(out, x, depth + 1);
                }
            }
        }
        other => {
            if let Some(s) = scalar(other) {
                out.push_str(&format!("{pad}{s}\n"));
            }
        }
    }
}
