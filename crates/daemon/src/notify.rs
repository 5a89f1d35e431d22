//! Telling the world about state changes as keepalived does: notify_* scripts, the generic
//! `notify` script with its four arguments, notify FIFO lines, and SMTP alerts.

use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

pub use keepalived_sys::script::Outcome;
pub use keepalived_sys::script_secure::Refusal;
use tokio::io::AsyncWriteExt;

use crate::error::{Error, Result};

/// A state as notify scripts and FIFO readers spell it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotifyState {
    Master,
    Backup,
    Fault,
    Stop,
}

impl NotifyState {
    pub fn as_str(self) -> &'static str {
        match self {
            NotifyState::Master => "MASTER",
            NotifyState::Backup => "BACKUP",
            NotifyState::Fault => "FAULT",
            NotifyState::Stop => "STOP",
        }
    }
}

/// Whether the change concerns an instance or a sync group (the first notify argument).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subject {
    Instance,
    Group,
}

impl Subject {
    fn as_str(self) -> &'static str {
        match self {
            Subject::Instance => "INSTANCE",
            Subject::Group => "GROUP",
        }
    }
}

/// The scripts configured on one instance or sync group.
#[derive(Debug, Clone, Default)]
pub struct Scripts {
    pub master: Option<String>,
    pub backup: Option<String>,
    pub fault: Option<String>,
    pub stop: Option<String>,
    /// `notify`: called with TYPE NAME STATE PRIORITY appended.
    pub generic: Option<String>,
    /// `notify_master_rx_lower_pri` and friends are not handled yet.
    pub smtp_alert: bool,
    /// Commands written with their own `USER [GROUP]`: the uid and gid to run them as, by line.
    pub run_as: std::collections::HashMap<String, (u32, u32)>,
}

/// Who scripts without a user of their own run as, and whether script security is enforced.
#[derive(Debug, Clone, Default)]
pub struct ScriptSecurity {
    /// The default script user's ids (keepalived's `get_default_script_user`: `script_user`,
    /// else `keepalived_script` when it exists, else our own). `None`: there is none (an unknown
    /// `script_user`, or security on without `keepalived_script`), and such scripts do not run.
    pub uid: Option<u32>,
    pub gid: Option<u32>,
    pub enforce: bool,
}

impl ScriptSecurity {
    /// From the global settings: one value for every script of the daemon.
    pub fn of(g: &crate::setup::Globals) -> ScriptSecurity {
        ScriptSecurity {
            uid: g.script_ids.map(|(u, _)| u),
            gid: g.script_ids.map(|(_, g)| g),
            enforce: g.enable_script_security,
        }
    }

    /// The same with a script's own `user [group]` (ids looked up).
    pub fn with_ids(&self, (uid, gid): (u32, u32)) -> ScriptSecurity {
        ScriptSecurity {
            uid: Some(uid),
            gid: Some(gid),
            enforce: self.enforce,
        }
    }
}

/// Where SMTP alerts go (global_defs).
#[derive(Debug, Clone)]
pub struct Mail {
    pub server: String,
    pub port: u16,
    pub helo: Option<String>,
    pub from: String,
    pub to: Vec<String>,
    pub connect_timeout: Duration,
    pub router_id: String,
}

/// Splits a script line into argv as keepalived does (keepalived-conf's splitter, the one the
/// configuration checks use, so the program checked there is the program run here).
pub fn split_command(line: &str) -> Vec<String> {
    keepalived_conf::model::vrrp::split_command(line)
}

/// keepalived's load-time check of one script line run as `security` says: the lines it logs
/// are logged (once: the caller keeps the result), and a script that is insecure under
/// `enable_script_security`, missing, or not executable is refused. On success argv[0] is the
/// checked absolute path, which is what every run executes.
/// `Err(None)`: there is no user to run it as; `Err(Some(why))`: refused.
pub fn prepare(
    line: &str,
    security: &ScriptSecurity,
) -> std::result::Result<keepalived_sys::script::Script, Option<Refusal>> {
    let (Some(uid), Some(gid)) = (security.uid, security.gid) else {
        tracing::info!("Failed to set default user for script {line} - ignoring");
        return Err(None);
    };
    let mut script = keepalived_sys::script::Script::new(split_command(line));
    (script.uid, script.gid) = (Some(uid), Some(gid));
    script.secure = security.enforce;
    match script.vet() {
        Ok(notes) => {
            for n in notes {
                tracing::info!("{n}");
            }
            Ok(script)
        }
        Err(refused) => {
            for l in &refused.lines {
                tracing::info!("{l}");
            }
            Err(Some(refused.why))
        }
    }
}

/// Runs a prepared script with extra arguments through keepalived-sys's runner (checked again
/// under script security, its own process group, past `limit` TERM then KILL of the group).
pub async fn run_prepared(
    prepared: &keepalived_sys::script::Script,
    extra: &[String],
    limit: Duration,
) -> Result<Outcome> {
    let mut script = prepared.clone();
    script.argv.extend(extra.iter().cloned());
    script.timeout = Some(limit);
    let shown = script.cmd_str();
    let out = keepalived_sys::script::run(&script)
        .await
        .map_err(|e| Error::Script {
            script: shown.clone(),
            reason: e.to_string(),
        })?;
    if out == Outcome::TimedOut {
        return Err(Error::Script {
            script: shown,
            reason: format!("timed out after {limit:?}"),
        });
    }
    Ok(out)
}

/// [`prepare`] then [`run_prepared`]: for a script run once (a FIFO's reader).
pub async fn run_script(
    line: &str,
    extra: &[String],
    security: &ScriptSecurity,
    limit: Duration,
) -> Result<Outcome> {
    let prepared = prepare(line, security).map_err(|why| Error::Script {
        script: line.into(),
        reason: match why {
            None => "no user to run it as".into(),
            Some(w) => format!("refused at start ({w:?})"),
        },
    })?;
    run_prepared(&prepared, extra, limit).await
}

/// keepalived's FIFO line: `INSTANCE "VI_1" MASTER 100`.
pub fn fifo_line(subject: Subject, name: &str, state: NotifyState, priority: u8) -> String {
    format!(
        "{} \"{}\" {} {}\n",
        subject.as_str(),
        name,
        state.as_str(),
        priority
    )
}

/// A notify FIFO kept open read-write so that writes never block on a missing reader.
pub struct Fifo {
    path: PathBuf,
    file: tokio::fs::File,
    /// We made it, so we remove it on stop (as keepalived does, before closing it, so that a
    /// reader looping on reopen cannot reopen it).
    created: bool,
}

impl Fifo {
    /// Creates the FIFO if absent, then opens it.
    pub fn open(path: &Path, owner: Option<(u32, u32)>) -> Result<Self> {
        let created = Self::create(path, owner)?;
        Self::open_created(path, created)
    }

    /// Creates the FIFO if absent, mode 0600 whatever the umask (keepalived: 0644 under its
    /// umask 0177) and owned by `owner`, the uid/gid its script runs as, so that only that
    /// reader and root can open it (a FIFO read is destructive: another reader would steal
    /// lines). An existing FIFO is used as it is, as keepalived does. Whether it was created here.
    pub fn create(path: &Path, owner: Option<(u32, u32)>) -> Result<bool> {
        use nix::sys::stat::{FchmodatFlags, Mode, fchmodat};
        let err = |what: &str, e: nix::errno::Errno| Error::Io {
            what: format!("{what} notify fifo {}", path.display()),
            source: std::io::Error::from(e),
        };
        match nix::unistd::mkfifo(path, Mode::from_bits_truncate(0o600)) {
            Ok(()) => {}
            Err(nix::errno::Errno::EEXIST) => return Ok(false),
            Err(e) => return Err(err("creating", e)),
        }
        // mkfifo's mode is masked by the umask; 0600 is what we mean.
        if let Err(e) = fchmodat(
            nix::fcntl::AT_FDCWD,
            path,
            Mode::from_bits_truncate(0o600),
            FchmodatFlags::NoFollowSymlink,
        ) {
            let _ = std::fs::remove_file(path);
            return Err(err("setting the mode of", e));
        }
        let (our_uid, our_gid) = (
            nix::unistd::getuid().as_raw(),
            nix::unistd::getgid().as_raw(),
        );
        if let Some((uid, gid)) = owner
            && (uid, gid) != (our_uid, our_gid)
            && let Err(e) = std::os::unix::fs::lchown(path, Some(uid), Some(gid))
        {
            // keepalived logs "Failed to set uid:gid for fifo" and keeps it.
            tracing::info!("Failed to set uid:gid for fifo {}: {e}", path.display());
        }
        Ok(true)
    }

    /// Opens a FIFO [`Fifo::create`] made (or found).
    pub fn open_created(path: &Path, created: bool) -> Result<Self> {
        let f = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .custom_flags(libc::O_NONBLOCK | libc::O_NOFOLLOW)
            .open(path)
            .map_err(|source| {
                if created {
                    let _ = std::fs::remove_file(path);
                }
                Error::Io {
                    what: format!("opening notify fifo {}", path.display()),
                    source,
                }
            })?;
        Ok(Self {
            path: path.into(),
            file: tokio::fs::File::from_std(f),
            created,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub async fn write(&mut self, line: &str) -> Result<()> {
        self.file
            .write_all(line.as_bytes())
            .await
            .map_err(|source| Error::Io {
                what: format!("writing notify fifo {}", self.path.display()),
                source,
            })
    }
}

impl Drop for Fifo {
    fn drop(&mut self) {
        if self.created {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// The subject and body keepalived sends for a VRRP state change.
pub fn mail_text(router_id: &str, name: &str, state: NotifyState) -> (String, String) {
    let subject = format!(
        "[{router_id}] VRRP Instance {name} - Entering {} state",
        state.as_str()
    );
    let body = match state {
        NotifyState::Master => "=> VRRP Instance is now owning VRRP VIPs <=",
        NotifyState::Backup => "=> VRRP Instance is nolonger owning VRRP VIPs <=",
        NotifyState::Fault => "=> VRRP Instance is nolonger owning VRRP VIPs <=",
        NotifyState::Stop => "=> VRRP Instance stopped <=",
    };
    (subject, format!("{body}\n"))
}

/// Sends one alert; the caller logs the error (a mail server that is down is one log line).
pub async fn send_mail(mail: &Mail, subject: &str, body: &str) -> Result<()> {
    use lettre::message::Mailbox;
    use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
    let bad = |reason: String| Error::Mail {
        server: format!("{}:{}", mail.server, mail.port),
        reason,
    };
    let from: Mailbox = mail
        .from
        .parse()
        .map_err(|e| bad(format!("from {}: {e}", mail.from)))?;
    let mut builder = Message::builder().from(from).subject(subject);
    for to in &mail.to {
        let mb: Mailbox = to.parse().map_err(|e| bad(format!("to {to}: {e}")))?;
        builder = builder.to(mb);
    }
    let msg = builder
        .body(body.to_string())
        .map_err(|e| bad(e.to_string()))?;
    let mut transport = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&mail.server)
        .port(mail.port)
        .timeout(Some(mail.connect_timeout));
    if let Some(h) = &mail.helo {
        transport = transport.hello_name(lettre::transport::smtp::extension::ClientId::Domain(
            h.clone(),
        ));
    }
    transport
        .build()
        .send(msg)
        .await
        .map(|_| ())
        .map_err(|e| bad(e.to_string()))
}

/// Everything to run for one state change, in keepalived's order: the state's script, then the
/// generic `notify` script, the FIFO line, the mail. Each script runs on its own task.
pub struct Notice<'a> {
    pub subject: Subject,
    pub name: &'a str,
    pub state: NotifyState,
    pub priority: u8,
}

impl Scripts {
    /// The commands to run for `n`, each with its extra arguments.
    pub fn commands(&self, n: &Notice<'_>) -> Vec<(String, Vec<String>)> {
        let mut out = Vec::new();
        let specific = match n.state {
            NotifyState::Master => &self.master,
            NotifyState::Backup => &self.backup,
            NotifyState::Fault => &self.fault,
            NotifyState::Stop => &self.stop,
        };
        if let Some(s) = specific {
            out.push((s.clone(), Vec::new()));
        }
        if let Some(g) = &self.generic {
            out.push((
                g.clone(),
                vec![
                    n.subject.as_str().to_string(),
                    n.name.to_string(),
                    n.state.as_str().to_string(),
                    n.priority.to_string(),
                ],
            ));
        }
        out
    }
}

/// How many runs of one instance's (or group's) notify scripts may be under way at once. The
/// state changes beyond them are coalesced: the latest one waits, and runs as soon as one of
/// the running ones ends, so the last state's scripts always run. keepalived 2.2.7 starts every
/// one (a forged advert stream made it 600 children in 3 s); in normal operation, one state
/// change every few seconds, nothing waits.
pub const NOTIFY_RUNS_PER_NAME: usize = 4;

/// One notify: the scripts to run (prepared), each with its extra arguments.
type Batch = Vec<(keepalived_sys::script::Script, Vec<String>)>;

/// A notify line and the ids of its own `user [group]`, if any.
type ScriptKey = (String, Option<(u32, u32)>);

/// Runs and the waiting batch of one name.
#[derive(Default)]
struct Slot {
    running: usize,
    waiting: Option<Batch>,
}

/// The notify side of the daemon: per-name scripts, the VRRP FIFO, mail; every action runs on
/// its own task so that a slow script, FIFO reader or mail server never holds back an advert.
pub struct Notifier {
    scripts: std::collections::HashMap<String, Scripts>,
    /// Each script line as checked at load (keyed by line and ids); `None`: refused, not run.
    prepared: std::collections::HashMap<ScriptKey, Option<keepalived_sys::script::Script>>,
    security: ScriptSecurity,
    fifos: Vec<std::sync::Arc<tokio::sync::Mutex<Fifo>>>,
    mail: Option<std::sync::Arc<Mail>>,
    limit: Duration,
    slots: std::sync::Arc<std::sync::Mutex<std::collections::HashMap<String, Slot>>>,
    running: tokio::task::JoinSet<()>,
    /// Mails are not waited for on stop: a dead mail server must not delay the exit.
    mails: tokio::task::JoinSet<()>,
}

impl Notifier {
    pub fn new(security: ScriptSecurity, fifos: Vec<Fifo>, mail: Option<Mail>) -> Self {
        Self {
            scripts: Default::default(),
            prepared: Default::default(),
            security,
            fifos: fifos
                .into_iter()
                .map(|f| std::sync::Arc::new(tokio::sync::Mutex::new(f)))
                .collect(),
            mail: mail.map(std::sync::Arc::new),
            limit: Duration::from_secs(60),
            slots: Default::default(),
            running: tokio::task::JoinSet::new(),
            mails: tokio::task::JoinSet::new(),
        }
    }

    /// Sets the scripts of one instance or group, checking each line now (keepalived's
    /// `check_notify_script_secure` at load): a refused one is said once and never run.
    pub fn set_scripts(&mut self, name: &str, scripts: Scripts) {
        let lines = [
            &scripts.master,
            &scripts.backup,
            &scripts.fault,
            &scripts.stop,
            &scripts.generic,
        ];
        for line in lines.into_iter().flatten() {
            let own = scripts.run_as.get(line).copied();
            let key = (line.clone(), own);
            if self.prepared.contains_key(&key) {
                continue;
            }
            let sec = match own {
                Some(ids) => self.security.with_ids(ids),
                None => self.security.clone(),
            };
            let prepared = prepare(line, &sec).ok();
            self.prepared.insert(key, prepared);
        }
        self.scripts.insert(name.to_string(), scripts);
    }

    /// Starts everything `n` calls for and returns at once.
    pub fn notify(&mut self, n: &Notice<'_>) {
        // Reap finished tasks so the set does not grow over a long run.
        while self.running.try_join_next().is_some() {}
        while self.mails.try_join_next().is_some() {}
        let scripts = self.scripts.get(n.name).cloned().unwrap_or_default();
        let batch: Batch = scripts
            .commands(n)
            .into_iter()
            .filter_map(|(line, extra)| {
                let own = scripts.run_as.get(&line).copied();
                let p = self.prepared.get(&(line, own))?.clone()?;
                Some((p, extra))
            })
            .collect();
        if !batch.is_empty() {
            self.start(n.name, batch);
        }
        for f in &self.fifos {
            let f = std::sync::Arc::clone(f);
            let line = fifo_line(n.subject, n.name, n.state, n.priority);
            self.running.spawn(async move {
                if let Err(e) = f.lock().await.write(&line).await {
                    tracing::warn!("{e}");
                }
            });
        }
        if scripts.smtp_alert
            && n.state != NotifyState::Stop
            && let Some(m) = &self.mail
        {
            let m = std::sync::Arc::clone(m);
            let (subject, body) = mail_text(&m.router_id, n.name, n.state);
            self.mails.spawn(async move {
                if let Err(e) = send_mail(&m, &subject, &body).await {
                    tracing::warn!("Error sending alert: {e}");
                }
            });
        }
    }

    /// Runs `batch` for `name` now if fewer than [`NOTIFY_RUNS_PER_NAME`] are under way, else
    /// makes it the one waiting (replacing an older waiting one).
    fn start(&mut self, name: &str, batch: Batch) {
        {
            let Ok(mut slots) = self.slots.lock() else {
                return;
            };
            let slot = slots.entry(name.to_string()).or_default();
            if slot.running >= NOTIFY_RUNS_PER_NAME {
                if slot.waiting.replace(batch).is_some() {
                    tracing::debug!(
                        "({name}) notify scripts of a passed state skipped: the state changes faster than they run"
                    );
                }
                return;
            }
            slot.running += 1;
        }
        let slots = std::sync::Arc::clone(&self.slots);
        let (name, limit) = (name.to_string(), self.limit);
        self.running.spawn(async move {
            let mut batch = batch;
            loop {
                let mut set = tokio::task::JoinSet::new();
                for (script, extra) in batch {
                    set.spawn(async move {
                        match run_prepared(&script, &extra, limit).await {
                            Ok(st) if !st.success() => {
                                tracing::debug!(
                                    "notify script {} ended with {st:?}",
                                    script.cmd_str()
                                );
                            }
                            Ok(_) => {}
                            Err(e) => tracing::warn!("{e}"),
                        }
                    });
                }
                while set.join_next().await.is_some() {}
                let Ok(mut all) = slots.lock() else {
                    return;
                };
                let Some(slot) = all.get_mut(&name) else {
                    return;
                };
                match slot.waiting.take() {
                    Some(next) => batch = next,
                    None => {
                        slot.running = slot.running.saturating_sub(1);
                        return;
                    }
                }
            }
        });
    }

    /// Waits (bounded) for the STOP notifies before the process exits.
    pub async fn drain(&mut self, within: Duration) {
        let _ = tokio::time::timeout(within, async {
            while self.running.join_next().await.is_some() {}
        })
        .await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_like_keepalived() {
        assert_eq!(
            split_command("killall -0 nginx"),
            ["killall", "-0", "nginx"]
        );
        assert_eq!(
            split_command(r#"/bin/sh -c "echo a  b" 'c d' e\ f"#),
            ["/bin/sh", "-c", "echo a  b", "c d", "e f"]
        );
        assert_eq!(split_command("a \"\" b"), ["a", "", "b"]);
        assert!(split_command("   ").is_empty());
    }

    #[test]
    fn generic_notify_gets_four_arguments() {
        let s = Scripts {
            master: Some("/x/start".into()),
            generic: Some("/x/notify arg0".into()),
            ..Default::default()
        };
        let cmds = s.commands(&Notice {
            subject: Subject::Instance,
            name: "VI_1",
            state: NotifyState::Master,
            priority: 100,
        });
        assert_eq!(cmds.len(), 2);
        assert_eq!(cmds[0], ("/x/start".to_string(), vec![]));
        assert_eq!(cmds[1].1, ["INSTANCE", "VI_1", "MASTER", "100"]);
        assert_eq!(
            fifo_line(Subject::Instance, "VI_1", NotifyState::Master, 100),
            "INSTANCE \"VI_1\" MASTER 100\n"
        );
    }

    #[tokio::test]
    async fn script_runs_with_arguments_and_hanging_one_is_killed() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out");
        let line = format!("/bin/sh -c 'echo \"$@\" > {}' sh", out.display());
        let st = run_script(
            &line,
            &["INSTANCE".into(), "VI_1".into()],
            &ours(),
            Duration::from_secs(5),
        )
        .await
        .unwrap();
        assert!(st.success());
        assert_eq!(std::fs::read_to_string(&out).unwrap(), "INSTANCE VI_1\n");
        let r = run_script("/bin/sleep 30", &[], &ours(), Duration::from_millis(100)).await;
        assert!(matches!(r, Err(Error::Script { .. })));
    }

    /// Scripts run as the test's own user, without script security.
    fn ours() -> ScriptSecurity {
        ScriptSecurity {
            uid: Some(nix::unistd::getuid().as_raw()),
            gid: Some(nix::unistd::getgid().as_raw()),
            enforce: false,
        }
    }

    /// M4: a state that flaps faster than its scripts run starts at most
    /// NOTIFY_RUNS_PER_NAME runs per instance; the changes beyond are coalesced into one that
    /// waits, and that one is the last state's, so it always runs.
    #[tokio::test]
    async fn flapping_state_runs_a_bounded_number_of_scripts_and_the_last_one() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("log");
        let gate = dir.path().join("gate");
        // Each run appends its state and waits for the gate, so none ends while we flap.
        let line = format!(
            "/bin/sh -c 'echo $3 >> {}; while [ ! -e {} ]; do sleep 0.05; done' sh",
            log.display(),
            gate.display()
        );
        let mut n = Notifier::new(ours(), Vec::new(), None);
        n.set_scripts(
            "VI_1",
            Scripts {
                generic: Some(line),
                ..Default::default()
            },
        );
        let states = [NotifyState::Master, NotifyState::Backup];
        let flaps = 100;
        for k in 0..flaps {
            n.notify(&Notice {
                subject: Subject::Instance,
                name: "VI_1",
                state: states[k % 2],
                priority: 100,
            });
        }
        // The last change: FAULT.
        n.notify(&Notice {
            subject: Subject::Instance,
            name: "VI_1",
            state: NotifyState::Fault,
            priority: 100,
        });
        {
            let slots = n.slots.lock().unwrap();
            let slot = &slots["VI_1"];
            assert_eq!(slot.running, NOTIFY_RUNS_PER_NAME);
            assert!(slot.waiting.is_some());
        }
        std::fs::write(&gate, "").unwrap();
        n.drain(Duration::from_secs(10)).await;
        let text = std::fs::read_to_string(&log).unwrap();
        let runs: Vec<&str> = text.lines().collect();
        assert_eq!(runs.len(), NOTIFY_RUNS_PER_NAME + 1, "{text}");
        assert_eq!(runs.last().copied(), Some("FAULT"), "{text}");
        assert_eq!(n.slots.lock().unwrap()["VI_1"].running, 0);
    }

    /// M3: the FIFO is 0600 whatever the umask, and its script's user owns it.
    #[test]
    fn fifo_is_private_to_its_reader() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("notify.fifo");
        let me = (
            nix::unistd::getuid().as_raw(),
            nix::unistd::getgid().as_raw(),
        );
        let owner = if me.0 == 0 { (65534, 65534) } else { me };
        let old = nix::sys::stat::umask(nix::sys::stat::Mode::empty());
        let created = Fifo::create(&path, Some(owner));
        nix::sys::stat::umask(old);
        assert!(created.unwrap());
        let md = std::fs::symlink_metadata(&path).unwrap();
        use std::os::unix::fs::{FileTypeExt, MetadataExt};
        assert!(md.file_type().is_fifo());
        assert_eq!(md.mode() & 0o7777, 0o600);
        assert_eq!((md.uid(), md.gid()), owner);
        // An existing one is used as it is.
        assert!(!Fifo::create(&path, Some(owner)).unwrap());
    }

    #[tokio::test]
    async fn mail_server_down_is_an_error_not_a_hang() {
        let mail = Mail {
            server: "127.0.0.1".into(),
            port: 1,
            helo: None,
            from: "ka@example.invalid".into(),
            to: vec!["root@localhost".into()],
            connect_timeout: Duration::from_secs(2),
            router_id: "r".into(),
        };
        let (s, b) = mail_text("r", "VI_1", NotifyState::Master);
        assert!(send_mail(&mail, &s, &b).await.is_err());
    }
}
