//! Running scripts (vrrp_script, notify, FIFO, MISC_CHECK) as keepalived 2.2.7 starts them:
//! execve of an argv (split by the caller with keepalived-conf's splitter; no shell), in its own
//! process group, as `uid`/`gid` with the supplementary groups set to that gid alone, signal
//! dispositions back to default and an empty signal mask, stdin/stdout/stderr on /dev/null,
//! `PR_SET_PDEATHSIG(SIGTERM)` so that no script outlives a killed daemon, and the daemon's umask
//! (keepalived's 0177 unless `-u`). Past its timeout: SIGTERM, then SIGKILL of the whole group.
//! Under script security the path is checked again right before each run
//! ([`crate::script_secure`]).

use std::time::Duration;

use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;

use crate::script_secure::{self, Refused};
use crate::{Error, Result, io};

/// A command to run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Script {
    /// argv[0] should be absolute: the path [`script_secure::check`] gave.
    pub argv: Vec<String>,
    /// None: the daemon's own uid/gid.
    pub uid: Option<u32>,
    pub gid: Option<u32>,
    /// None: wait for ever.
    pub timeout: Option<Duration>,
    /// Time between SIGTERM and SIGKILL after a timeout.
    pub kill_grace: Duration,
    /// `enable_script_security`: refuse to start it if its path is no longer safe.
    pub secure: bool,
}

impl Script {
    /// argv as split from a keepalived script line.
    pub fn new(argv: Vec<String>) -> Script {
        Script {
            argv,
            kill_grace: Duration::from_secs(2),
            ..Script::default()
        }
    }

    /// keepalived's `cmd_str`, how its log lines show a script: every word in single quotes
    /// (but a first word starting with `<` or `>`).
    pub fn cmd_str(&self) -> String {
        self.argv
            .iter()
            .enumerate()
            .map(|(k, w)| {
                if k == 0 && (w.starts_with('<') || w.starts_with('>')) {
                    w.clone()
                } else {
                    format!("'{w}'")
                }
            })
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// The uid and gid it runs as.
    pub fn ids(&self) -> (u32, u32) {
        (
            self.uid.unwrap_or_else(|| nix::unistd::getuid().as_raw()),
            self.gid.unwrap_or_else(|| nix::unistd::getgid().as_raw()),
        )
    }

    /// keepalived's load-time check ([`script_secure::check`]): on success argv[0] becomes the
    /// absolute path to run, and the lines keepalived logs on the way are returned.
    pub fn vet(&mut self) -> std::result::Result<Vec<String>, Refused> {
        let Some(prog) = self.argv.first() else {
            return Err(Refused {
                why: script_secure::Refusal::NotFound,
                lines: vec!["empty script".into()],
            });
        };
        let (uid, gid) = self.ids();
        let path = std::env::var_os("PATH");
        let ok = script_secure::check(prog, uid, gid, self.secure, path.as_deref())?;
        if let Some(first) = self.argv.first_mut() {
            *first = ok.path;
        }
        Ok(ok.notes)
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
    let (uid, gid) = script.ids();
    // The same check as at load, on the path that is about to run (between the two a directory
    // may have changed hands), and the file checked is the file executed.
    let checked;
    let prog = if script.secure {
        let path = std::env::var_os("PATH");
        checked = script_secure::check(prog, uid, gid, true, path.as_deref())
            .map_err(|r| Error::Command {
                what: format!("script {prog}"),
                detail: r.to_string(),
            })?
            .path;
        &checked
    } else {
        prog
    };
    let mut cmd = tokio::process::Command::new(prog);
    cmd.args(args)
        .process_group(0)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true);
    child_setup(&mut cmd, uid, gid);
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

/// What keepalived's child does between fork and exec (`set_script_env`,
/// `signal_handler_script`, the PDEATHSIG of `system_call_script`): ids with the supplementary
/// groups set to the gid alone, default dispositions for every signal and an empty mask, and
/// SIGTERM when the thread that started it ends (the daemon's, for its life).
#[allow(unsafe_code)]
fn child_setup(cmd: &mut tokio::process::Command, uid: u32, gid: u32) {
    let parent = nix::unistd::getpid().as_raw();
    let (own_uid, own_gid) = (
        nix::unistd::getuid().as_raw(),
        nix::unistd::getgid().as_raw(),
    );
    // SAFETY: the closure runs in the forked child before exec and calls only async-signal-safe
    // system calls (setgid, setgroups, setuid, rt_sigaction, sigprocmask, prctl, getppid), on
    // values copied in before the fork; it allocates nothing and takes no lock.
    unsafe {
        cmd.pre_exec(move || {
            let fail = || Err(std::io::Error::last_os_error());
            if gid != own_gid && libc::setgid(gid) != 0 {
                return fail();
            }
            let groups = [gid];
            if libc::setgroups(1, groups.as_ptr()) != 0 && own_uid == 0 {
                return fail();
            }
            if uid != own_uid && libc::setuid(uid) != 0 {
                return fail();
            }
            // Through the system call rather than glibc's sigaction, which refuses the two
            // real-time signals it keeps for itself (32, 33) although a disposition of theirs is
            // inherited too. All zeros is SIG_DFL, no flags, an empty mask, on every ABI.
            let dfl = [0u64; 4];
            for sig in 1..=libc::SIGRTMAX() {
                if sig != libc::SIGKILL && sig != libc::SIGSTOP {
                    libc::syscall(
                        libc::SYS_rt_sigaction,
                        sig,
                        dfl.as_ptr(),
                        std::ptr::null_mut::<u64>(),
                        8usize,
                    );
                }
            }
            let mut none: libc::sigset_t = std::mem::zeroed();
            libc::sigemptyset(&mut none);
            libc::sigprocmask(libc::SIG_SETMASK, &none, std::ptr::null_mut());
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM as libc::c_ulong) != 0 {
                return fail();
            }
            // The daemon may have died before PDEATHSIG was armed.
            if libc::getppid() != parent {
                libc::_exit(0);
            }
            Ok(())
        });
    }
}
