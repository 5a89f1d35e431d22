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
    let pid = i32::try_from(read_pid(path)?).ok()?;
    if pid <= 0 || pid == std::process::id() as i32 {
        return None;
    }
    match kill(Pid::from_raw(pid), None) {
        Ok(()) | Err(Errno::EPERM) => Some(pid),
        Err(_) => None,
    }
}

/// The number in a pid file: opened without following a link and non-blocking, read only if
/// it is a regular file, and no more than a pid's worth of bytes, so that whatever is planted
/// at the path (a symlink, a FIFO, a device) neither blocks the start nor is read.
fn read_pid(path: &Path) -> Option<u32> {
    use std::io::Read;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .open(path)
        .ok()?;
    if !f.metadata().ok()?.file_type().is_file() {
        return None;
    }
    let mut buf = [0u8; 32];
    let n = f.read(&mut buf).ok()?;
    std::str::from_utf8(&buf[..n]).ok()?.trim().parse().ok()
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
                // keepalived's pid directory is rwxr-xr-x.
                use std::os::unix::fs::DirBuilderExt;
                let _ = std::fs::DirBuilder::new()
                    .recursive(true)
                    .mode(0o755)
                    .create(dir);
            }
            // keepalived opens its pid files O_NOFOLLOW, mode 0644. Here the file is written
            // as a new one renamed over the path (as the dump files are), so a symlink, FIFO or
            // hard link planted there is replaced, never written through; mode 0644 whatever
            // the umask.
            let text = format!("{pid}\n");
            crate::dump::write_file_mode(p, &text, 0o644).map_err(|source| Error::PidFile {
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
            let ours = read_pid(p) == Some(std::process::id());
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

    /// A FIFO or a symlink at a pid path is neither read (a FIFO would block the start) nor
    /// written through: it is replaced by our pid file, mode 0644.
    #[test]
    fn a_fifo_or_symlink_at_the_path_is_replaced() {
        use std::os::unix::fs::MetadataExt;
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("a.pid");
        nix::unistd::mkfifo(&fifo, nix::sys::stat::Mode::from_bits_truncate(0o666)).unwrap();
        let victim = dir.path().join("victim");
        std::fs::write(&victim, "1\n").unwrap();
        let link = dir.path().join("b.pid");
        std::os::unix::fs::symlink(&victim, &link).unwrap();
        assert_eq!(running(&fifo), None);
        assert_eq!(running(&link), None, "read through the link");
        let files = PidFiles::create(&[fifo.clone(), link.clone()]).unwrap();
        for p in [&fifo, &link] {
            let m = std::fs::symlink_metadata(p).unwrap();
            assert!(m.file_type().is_file());
            assert_eq!(m.mode() & 0o7777, 0o644);
        }
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "1\n");
        drop(files);
    }
}
