//! Running scripts (vrrp_script, notify): argv split as keepalived splits it, no shell,
//! optional uid/gid, own process group, timeout with SIGTERM then SIGKILL of the whole group.

use std::time::Duration;

use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;

use crate::{Error, Result, io};

/// Split a script line into argv: whitespace separates, single or double quotes group, backslash
/// escapes. No shell, as keepalived 2.2.7 (checked: `script "/bin/echo hi > f"` creates no `f`,
/// `script "/bin/sh -c 'echo x > f'"` does; its scripts also run with umask 077).
pub fn split(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut have = false;
    let mut quote: Option<char> = None;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match (quote, c) {
            (None, '\\') | (Some('"'), '\\') => {
                if let Some(n) = chars.next() {
                    cur.push(n);
                    have = true;
                }
            }
            (None, '"') | (None, '\'') => {
                quote = Some(c);
                have = true;
            }
            (Some(q), c) if c == q => quote = None,
            (None, c) if c.is_whitespace() => {
                if have {
                    out.push(std::mem::take(&mut cur));
                    have = false;
                }
            }
            (_, c) => {
                cur.push(c);
                have = true;
            }
        }
    }
    if have {
        out.push(cur);
    }
    out
}

/// A command to run.
#[derive(Debug, Clone, Default)]
pub struct Script {
    pub argv: Vec<String>,
    pub uid: Option<u32>,
    pub gid: Option<u32>,
    /// None: wait for ever.
    pub timeout: Option<Duration>,
    /// Time between SIGTERM and SIGKILL after a timeout.
    pub kill_grace: Duration,
}

impl Script {
    /// From a keepalived script line.
    pub fn from_line(line: &str) -> Script {
        Script {
            argv: split(line),
            kill_grace: Duration::from_secs(2),
            ..Script::default()
        }
    }
}

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Exited(i32),
    Signaled(i32),
    /// Ran past its timeout; its process group was terminated.
    TimedOut,
}

impl Outcome {
    pub fn success(self) -> bool {
        self == Outcome::Exited(0)
    }
}

/// Run to completion (or timeout). Awaiting never blocks the runtime's thread.
pub async fn run(script: &Script) -> Result<Outcome> {
    let Some((prog, args)) = script.argv.split_first() else {
        return Err(Error::Invalid("empty script".into()));
    };
    let mut cmd = tokio::process::Command::new(prog);
    cmd.args(args)
        .process_group(0)
        .stdin(std::process::Stdio::null())
        .kill_on_drop(true);
    if let Some(g) = script.gid {
        cmd.gid(g);
    }
    if let Some(u) = script.uid {
        cmd.uid(u);
    }
    let mut child = cmd.spawn().map_err(io(format!("starting {prog}")))?;
    let pgid = child
        .id()
        .and_then(|p| i32::try_from(p).ok())
        .map(Pid::from_raw);
    let waited = match script.timeout {
        Some(t) => tokio::time::timeout(t, child.wait()).await.ok(),
        None => Some(child.wait().await),
    };
    if let Some(st) = waited {
        let st = st.map_err(io(format!("waiting for {prog}")))?;
        // Children it left running are not ours to end: notify scripts may start services.
        use std::os::unix::process::ExitStatusExt;
        return Ok(match (st.code(), st.signal()) {
            (Some(c), _) => Outcome::Exited(c),
            (None, Some(s)) => Outcome::Signaled(s),
            _ => Outcome::Exited(-1),
        });
    }
    if let Some(g) = pgid {
        let _ = killpg(g, Signal::SIGTERM);
        if tokio::time::timeout(script.kill_grace, child.wait())
            .await
            .is_err()
        {
            tracing::debug!("{prog} ignored SIGTERM; killing its group");
        }
        let _ = killpg(g, Signal::SIGKILL);
    }
    let _ = child.wait().await;
    Ok(Outcome::TimedOut)
}
