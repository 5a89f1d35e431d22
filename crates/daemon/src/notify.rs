//! Telling the world about state changes as keepalived does: notify_* scripts, the generic
//! `notify` script with its four arguments, notify FIFO lines, and SMTP alerts.

use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::time::Duration;

pub use keepalived_sys::script::Outcome;
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

/// Who scripts run as (`script_user`), and whether script security is enforced.
#[derive(Debug, Clone, Default)]
pub struct ScriptSecurity {
    pub uid: Option<u32>,
    pub gid: Option<u32>,
    pub enforce: bool,
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

/// Splits a script line into argv as keepalived does (keepalived-sys's splitter).
pub fn split_command(line: &str) -> Vec<String> {
    keepalived_sys::script::split(line)
}

/// keepalived refuses a script under `enable_script_security` if it, or any directory above it,
/// is writable by a user other than root.
pub fn check_script_security(path: &Path) -> Result<()> {
    let mut p = Some(path);
    while let Some(cur) = p {
        let md = std::fs::metadata(cur).map_err(|e| Error::Script {
            script: path.display().to_string(),
            reason: format!("{}: {e}", cur.display()),
        })?;
        let mode = md.mode();
        let unsafe_write = (md.uid() != 0 && mode & 0o200 != 0)
            || (md.gid() != 0 && mode & 0o020 != 0)
            || mode & 0o002 != 0;
        // Sticky directories like /tmp are writable by all but cannot have entries replaced.
        let sticky = md.is_dir() && mode & 0o1000 != 0;
        if unsafe_write && !sticky {
            return Err(Error::Script {
                script: path.display().to_string(),
                reason: format!(
                    "{} is writable by a non-root user: refused under enable_script_security",
                    cur.display()
                ),
            });
        }
        p = cur.parent().filter(|d| !d.as_os_str().is_empty());
    }
    Ok(())
}

/// Runs one script line with extra arguments through keepalived-sys's runner: no shell, its own
/// process group, and past `limit` TERM then KILL of the group. Awaited on its own task, so a
/// hanging script never holds anything else back.
pub async fn run_script(
    line: &str,
    extra: &[String],
    security: &ScriptSecurity,
    limit: Duration,
) -> Result<Outcome> {
    let mut script = keepalived_sys::script::Script::from_line(line);
    let Some(prog) = script.argv.first() else {
        return Err(Error::Script {
            script: line.into(),
            reason: "empty command".into(),
        });
    };
    if security.enforce && prog.starts_with('/') {
        check_script_security(Path::new(prog))?;
    }
    script.argv.extend(extra.iter().cloned());
    script.uid = security.uid;
    script.gid = security.gid;
    script.timeout = Some(limit);
    let out = keepalived_sys::script::run(&script)
        .await
        .map_err(|e| Error::Script {
            script: line.into(),
            reason: e.to_string(),
        })?;
    if out == Outcome::TimedOut {
        return Err(Error::Script {
            script: line.into(),
            reason: format!("timed out after {limit:?}"),
        });
    }
    Ok(out)
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
    /// Creates the FIFO if absent (keepalived's mode 0644), then opens it.
    pub fn open(path: &Path) -> Result<Self> {
        let created = Self::create(path)?;
        Self::open_created(path, created)
    }

    /// Creates the FIFO if absent; whether it was created here.
    pub fn create(path: &Path) -> Result<bool> {
        match nix::unistd::mkfifo(path, nix::sys::stat::Mode::from_bits_truncate(0o644)) {
            Ok(()) => Ok(true),
            Err(nix::errno::Errno::EEXIST) => Ok(false),
            Err(e) => Err(Error::Io {
                what: format!("creating notify fifo {}", path.display()),
                source: std::io::Error::from(e),
            }),
        }
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

/// The notify side of the daemon: per-name scripts, the VRRP FIFO, mail; every action runs on
/// its own task so that a slow script, FIFO reader or mail server never holds back an advert.
pub struct Notifier {
    scripts: std::collections::HashMap<String, Scripts>,
    security: ScriptSecurity,
    fifos: Vec<std::sync::Arc<tokio::sync::Mutex<Fifo>>>,
    mail: Option<std::sync::Arc<Mail>>,
    limit: Duration,
    running: tokio::task::JoinSet<()>,
    /// Mails are not waited for on stop: a dead mail server must not delay the exit.
    mails: tokio::task::JoinSet<()>,
}

impl Notifier {
    pub fn new(security: ScriptSecurity, fifos: Vec<Fifo>, mail: Option<Mail>) -> Self {
        Self {
            scripts: Default::default(),
            security,
            fifos: fifos
                .into_iter()
                .map(|f| std::sync::Arc::new(tokio::sync::Mutex::new(f)))
                .collect(),
            mail: mail.map(std::sync::Arc::new),
            limit: Duration::from_secs(60),
            running: tokio::task::JoinSet::new(),
            mails: tokio::task::JoinSet::new(),
        }
    }

    pub fn set_scripts(&mut self, name: &str, scripts: Scripts) {
        self.scripts.insert(name.to_string(), scripts);
    }

    /// Starts everything `n` calls for and returns at once.
    pub fn notify(&mut self, n: &Notice<'_>) {
        // Reap finished tasks so the set does not grow over a long run.
        while self.running.try_join_next().is_some() {}
        while self.mails.try_join_next().is_some() {}
        let scripts = self.scripts.get(n.name).cloned().unwrap_or_default();
        for (line, extra) in scripts.commands(n) {
            let mut sec = self.security.clone();
            if let Some(&(uid, gid)) = scripts.run_as.get(&line) {
                (sec.uid, sec.gid) = (Some(uid), Some(gid));
            }
            let limit = self.limit;
            self.running.spawn(async move {
                match run_script(&line, &extra, &sec, limit).await {
                    Ok(st) if !st.success() => {
                        tracing::debug!("notify script `{line}` ended with {st:?}");
                    }
                    Ok(_) => {}
                    Err(e) => tracing::warn!("{e}"),
                }
            });
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
            &ScriptSecurity::default(),
            Duration::from_secs(5),
        )
        .await
        .unwrap();
        assert!(st.success());
        assert_eq!(std::fs::read_to_string(&out).unwrap(), "INSTANCE VI_1\n");
        let r = run_script(
            "/bin/sleep 30",
            &[],
            &ScriptSecurity::default(),
            Duration::from_millis(100),
        )
        .await;
        assert!(matches!(r, Err(Error::Script { .. })));
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
