//! pid files at keepalived's paths: refuse to start over a live instance, write ours, remove
//! them on exit.

use std::path::{Path, PathBuf};

use nix::errno::Errno;
use nix::sys::signal::kill;
use nix::unistd::Pid;

use crate::error::{Error, Result};

/// pid files written by this process; removed on drop.
#[derive(Debug, Default)]
pub struct PidFiles {
    written: Vec<PathBuf>,
}

/// The pid recorded in `path` if that process is still alive.
pub fn running(path: &Path) -> Option<i32> {
    let text = std::fs::read_to_string(path).ok()?;
    let pid: i32 = text.trim().parse().ok()?;
    if pid <= 0 || pid == std::process::id() as i32 {
        return None;
    }
    match kill(Pid::from_raw(pid), None) {
        Ok(()) | Err(Errno::EPERM) => Some(pid),
        Err(_) => None,
    }
}

impl PidFiles {
    /// Checks every path first so that a refusal leaves nothing behind.
    pub fn create(paths: &[PathBuf]) -> Result<Self> {
        for p in paths {
            if let Some(pid) = running(p) {
                return Err(Error::AlreadyRunning {
                    pid,
                    path: p.clone(),
                });
            }
        }
        let mut me = Self::default();
        let pid = std::process::id();
        for p in paths {
            if let Some(dir) = p.parent()
                && !dir.as_os_str().is_empty()
            {
                let _ = std::fs::create_dir_all(dir);
            }
            std::fs::write(p, format!("{pid}\n")).map_err(|source| Error::PidFile {
                path: p.clone(),
                source,
            })?;
            me.written.push(p.clone());
        }
        Ok(me)
    }
}

impl Drop for PidFiles {
    fn drop(&mut self) {
        for p in &self.written {
            // Only remove the file if it is still ours: a successor may have taken over.
            let ours = std::fs::read_to_string(p)
                .ok()
                .and_then(|t| t.trim().parse::<u32>().ok())
                == Some(std::process::id());
            if ours {
                let _ = std::fs::remove_file(p);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_live_pid_and_cleans_up() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("k.pid");
        // pid 1 is always alive.
        std::fs::write(&p, "1\n").unwrap();
        assert!(matches!(
            PidFiles::create(std::slice::from_ref(&p)),
            Err(Error::AlreadyRunning { pid: 1, .. })
        ));
        // A stale pid file (no such process) is taken over.
        std::fs::write(&p, "2147483000\n").unwrap();
        let files = PidFiles::create(std::slice::from_ref(&p)).unwrap();
        assert_eq!(
            std::fs::read_to_string(&p).unwrap().trim(),
            std::process::id().to_string()
        );
        drop(files);
        assert!(!p.exists());
    }
}
