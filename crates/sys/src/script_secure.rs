//! keepalived's `check_script_secure` and `check_security` (lib/notify.c in 2.2.7): whether a
//! script may run, and which file is run.
//!
//! A bare program name is looked up through `PATH` (keepalived's `find_path`: a regular file the
//! script's uid/gid may execute, logged with a request to write the full path); the path is
//! resolved with `realpath`, and what runs is that absolute path (the file name written is kept
//! when it names the same file in the real directory, as keepalived does, because some programs
//! behave by the name they are called by). So the file checked is the file executed.
//!
//! When the script runs as root (uid or gid 0) or is set-uid/gid root, every component of the
//! path as written, of the path run and of the real path is `lstat`ed: each must be owned by
//! root, and no directory without the sticky bit and no regular file may be writable by others
//! or by a group other than root. A sticky directory is spared only the write rule: it must
//! still be root's, since its owner may remove or rename any entry in it. Scripts run as another
//! user are not path-checked, as keepalived (that user can already do what the script does).
//!
//! keepalived checks as the script's user (seteuid) where this runs as the daemon's user: a file
//! root may reach but the script's user may not is found here and fails when it is executed.

use std::ffi::OsStr;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

/// `confstr(_CS_PATH)` on glibc: the search path when `PATH` is unset, as keepalived's.
const CS_PATH: &str = "/bin:/usr/bin";

/// A script that may run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checked {
    /// The absolute path to execute (argv[0] from now on).
    pub path: String,
    /// What keepalived logs on the way for a script it still runs: the `PATH` warning, and the
    /// unsafe permissions it found when script security is off.
    pub notes: Vec<String>,
    /// Unsafe permissions were found (and script security is off, or the script would be refused).
    pub insecure: bool,
}

/// Why a script may not run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Not found, not reachable, or a component of the wrong type.
    NotFound,
    /// Unsafe permissions under `enable_script_security`.
    Insecure,
    /// Not executable by the user it runs as.
    NotExecutable,
}

/// A script that may not run, with keepalived's log lines saying why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    pub why: Refusal,
    pub lines: Vec<String>,
}

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.lines.join("; "))
    }
}

/// keepalived's `is_executable`: the mode bits that apply to `uid`/`gid` (root: any x bit).
fn is_executable(md: &std::fs::Metadata, uid: u32, gid: u32) -> bool {
    let mode = md.mode();
    (uid == 0 && mode & 0o111 != 0)
        || (uid == md.uid() && mode & 0o100 != 0)
        || (uid != md.uid()
            && ((gid == md.gid() && mode & 0o010 != 0) || (gid != md.gid() && mode & 0o001 != 0)))
}

/// Looks `name` up in `path_env` (else [`CS_PATH`]), keepalived's `find_path`.
fn find_in_path(
    name: &str,
    uid: u32,
    gid: u32,
    path_env: Option<&OsStr>,
) -> Result<String, Refused> {
    let search = path_env
        .map(|p| p.to_string_lossy().into_owned())
        .unwrap_or_else(|| CS_PATH.to_string());
    let mut denied = false;
    for dir in search.split(':') {
        // An empty entry is the current directory, as for execvp.
        let candidate = if dir.is_empty() {
            name.to_string()
        } else {
            format!("{}/{name}", dir.trim_end_matches('/'))
        };
        if let Ok(md) = std::fs::metadata(&candidate) {
            if md.is_file() && is_executable(&md, uid, gid) {
                return Ok(candidate);
            }
            denied = true;
        }
    }
    let line = if denied {
        format!("Permissions failure for script {name} in path - disabling")
    } else {
        format!("Cannot find script {name} in path - disabling")
    };
    Err(Refused {
        why: Refusal::NotFound,
        lines: vec![line],
    })
}

/// The components of an absolute path, from `/` down: `/`, `/a`, `/a/b`.
fn prefixes(path: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut cur = PathBuf::new();
    for c in path.components() {
        cur.push(c);
        out.push(cur.clone());
    }
    out
}

/// keepalived's `check_security` over one absolute path. `written`: the path as configured,
/// where a symbolic link may stand for a directory (its target is checked through the real path).
/// `Ok(true)`: unsafe permissions found but script security is off.
fn check_security(path: &Path, enforce: bool, written: bool) -> Result<bool, Refused> {
    let parts = prefixes(path);
    let last = parts.len().saturating_sub(1);
    let shown = path.display();
    for (k, part) in parts.iter().enumerate() {
        let md = match std::fs::symlink_metadata(part) {
            Ok(md) => md,
            Err(e) => {
                let line = match e.raw_os_error() {
                    Some(libc::EACCES | libc::ELOOP | libc::ENOENT | libc::ENOTDIR) | None => {
                        format!("check_script_secure could not find script '{shown}' - disabling")
                    }
                    Some(n) => format!(
                        "check_script_secure('{shown}') returned errno {n} - {e} - disabling"
                    ),
                };
                return Err(Refused {
                    why: Refusal::NotFound,
                    lines: vec![line],
                });
            }
        };
        let ft = md.file_type();
        let right_type = if k < last {
            ft.is_dir() || (written && ft.is_symlink())
        } else {
            ft.is_file() || ft.is_symlink()
        };
        if !right_type {
            return Err(Refused {
                why: Refusal::NotFound,
                lines: vec![format!("Wrong file type found in script path '{shown}'.")],
            });
        }
        let mode = md.mode();
        let sticky_dir = ft.is_dir() && mode & 0o1000 != 0;
        let write_rule_applies = (ft.is_dir() && !sticky_dir) || ft.is_file();
        let others_write = (md.gid() != 0 && mode & 0o020 != 0) || mode & 0o002 != 0;
        if md.uid() != 0 || (write_rule_applies && others_write) {
            if enforce {
                return Err(Refused {
                    why: Refusal::Insecure,
                    lines: vec![format!(
                        "Unsafe permissions found for script '{shown}' - disabling."
                    )],
                });
            }
            return Ok(true);
        }
    }
    Ok(false)
}

/// keepalived's `check_script_secure` for a script whose argv[0] is `prog`, run as `uid`/`gid`;
/// `enforce`: `enable_script_security`; `path_env`: the daemon's `PATH`.
pub fn check(
    prog: &str,
    uid: u32,
    gid: u32,
    enforce: bool,
    path_env: Option<&OsStr>,
) -> Result<Checked, Refused> {
    let mut notes = Vec::new();
    let written = if prog.contains('/') {
        prog.to_string()
    } else {
        let found = find_in_path(prog, uid, gid, path_env)?;
        notes.push(format!(
            "WARNING - script `{prog}` resolved by path search to `{found}`. Please specify full path."
        ));
        found
    };
    // keepalived logs the path search's warning before whatever refuses the script.
    check_resolved(prog, &written, uid, gid, enforce, notes).map_err(|(mut before, mut r)| {
        before.append(&mut r.lines);
        r.lines = before;
        r
    })
}

/// [`check`] once a bare name is resolved to `written`; a refusal comes back with the lines
/// logged before it.
fn check_resolved(
    prog: &str,
    written: &str,
    uid: u32,
    gid: u32,
    enforce: bool,
    mut notes: Vec<String>,
) -> Result<Checked, (Vec<String>, Refused)> {
    macro_rules! tri {
        ($e:expr) => {
            match $e {
                Ok(v) => v,
                Err(r) => return Err((notes, r)),
            }
        };
    }
    let real = tri!(std::fs::canonicalize(written).map_err(|e| Refused {
        why: Refusal::NotFound,
        lines: vec![format!("Script {prog} cannot be accessed - {e}")],
    }));
    // What runs: the real directory with the name as written when that is the same file.
    let mut run = real.clone();
    let written_name = Path::new(written).file_name();
    if written_name.is_some() && written_name != real.file_name() {
        let same_name = real.with_file_name(written_name.unwrap_or_default());
        let same = match (std::fs::metadata(&same_name), std::fs::metadata(&real)) {
            (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
            _ => false,
        };
        if same {
            run = same_name;
        }
    }
    let run_str = run.to_string_lossy().into_owned();
    let md = tri!(std::fs::metadata(&real).map_err(|_| Refused {
        why: Refusal::NotFound,
        lines: vec![format!("Unable to access script `{run_str}` - disabling")],
    }));
    if !is_executable(&md, uid, gid) {
        let r = Refused {
            why: Refusal::NotExecutable,
            lines: vec![format!(
                "WARNING - script '{run_str}' is not executable for uid:gid {uid}:{gid} - disabling."
            )],
        };
        return Err((notes, r));
    }
    let mode = md.mode();
    let protect = uid == 0
        || gid == 0
        || (md.uid() == 0 && mode & 0o100 != 0 && mode & 0o4000 != 0)
        || (md.gid() == 0 && mode & 0o010 != 0 && mode & 0o2000 != 0);
    let mut insecure = false;
    if protect {
        let written_abs = match std::env::current_dir() {
            Ok(cwd) if !written.starts_with('/') => cwd.join(written),
            _ => PathBuf::from(written),
        };
        let mut paths = vec![(written_abs, true), (run.clone(), false)];
        if real != run {
            paths.push((real.clone(), false));
        }
        paths.dedup_by(|a, b| a.0 == b.0);
        for (p, as_written) in &paths {
            if tri!(check_security(p, enforce, *as_written)) && !insecure {
                insecure = true;
                notes.push(format!(
                    "Unsafe permissions found for script '{}'.",
                    p.display()
                ));
            }
        }
    }
    Ok(Checked {
        path: run_str,
        notes,
        insecure,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    const NOBODY: u32 = 65534;

    fn root() -> bool {
        nix::unistd::geteuid().is_root()
    }

    fn mode(p: &Path, m: u32) {
        std::fs::set_permissions(p, std::fs::Permissions::from_mode(m)).unwrap();
    }

    fn script(p: &Path, m: u32) {
        std::fs::write(p, "#!/bin/sh\nexit 0\n").unwrap();
        mode(p, m);
    }

    fn nobody(p: &Path) {
        std::os::unix::fs::lchown(p, Some(NOBODY), Some(NOBODY)).unwrap();
    }

    /// A root-owned 0755 directory to build each case in (the tempdir itself is 0700 root).
    fn base() -> tempfile::TempDir {
        let d = tempfile::tempdir().unwrap();
        mode(d.path(), 0o755);
        d
    }

    fn as_root(prog: &str, path_env: Option<&str>) -> Result<Checked, Refused> {
        check(prog, 0, 0, true, path_env.map(OsStr::new))
    }

    // The rows of the security review's H3 table.

    #[test]
    fn a_world_writable_root_file_is_refused() {
        if !root() {
            return;
        }
        let d = base();
        let f = d.path().join("a.sh");
        script(&f, 0o777);
        let r = as_root(f.to_str().unwrap(), None).unwrap_err();
        assert_eq!(r.why, Refusal::Insecure);
        assert_eq!(
            r.lines,
            [format!(
                "Unsafe permissions found for script '{}' - disabling.",
                f.display()
            )]
        );
    }

    #[test]
    fn b_file_owned_by_another_user_is_refused_without_write_bits() {
        if !root() {
            return;
        }
        let d = base();
        let f = d.path().join("b.sh");
        script(&f, 0o555);
        nobody(&f);
        assert_eq!(
            as_root(f.to_str().unwrap(), None).unwrap_err().why,
            Refusal::Insecure
        );
    }

    #[test]
    fn c_symlink_into_a_users_directory_is_refused() {
        if !root() {
            return;
        }
        let d = base();
        let theirs = d.path().join("nobdir");
        std::fs::create_dir(&theirs).unwrap();
        mode(&theirs, 0o755);
        nobody(&theirs);
        let real = theirs.join("real.sh");
        script(&real, 0o755);
        let link = d.path().join("c.sh");
        std::os::unix::fs::symlink(&real, &link).unwrap();
        let r = as_root(link.to_str().unwrap(), None).unwrap_err();
        assert_eq!(r.why, Refusal::Insecure);
        assert!(r.lines[0].contains("nobdir"), "{r}");
    }

    #[test]
    fn d_bare_name_found_in_a_world_writable_path_directory_is_refused() {
        if !root() {
            return;
        }
        let d = base();
        let open = d.path().join("bin");
        std::fs::create_dir(&open).unwrap();
        mode(&open, 0o777);
        script(&open.join("revbare.sh"), 0o755);
        let path = format!("/nonexistent:{}", open.display());
        let r = as_root("revbare.sh", Some(&path)).unwrap_err();
        assert_eq!(r.why, Refusal::Insecure);
        assert!(
            r.lines[0].starts_with("WARNING - script `revbare.sh` resolved by path search to `")
        );
        assert!(r.lines[1].starts_with("Unsafe permissions found for script '"));
        // Security off: it runs by its absolute path, with keepalived's two lines.
        let ok = check("revbare.sh", 0, 0, false, Some(OsStr::new(&path))).unwrap();
        let full = open.join("revbare.sh").display().to_string();
        assert_eq!(ok.path, full);
        assert!(ok.insecure);
        assert_eq!(
            ok.notes[0],
            format!(
                "WARNING - script `revbare.sh` resolved by path search to `{full}`. Please specify full path."
            )
        );
    }

    #[test]
    fn e_sticky_directory_of_another_user_is_refused() {
        if !root() {
            return;
        }
        let d = base();
        let sticky = d.path().join("sticky");
        std::fs::create_dir(&sticky).unwrap();
        mode(&sticky, 0o1777);
        nobody(&sticky);
        let f = sticky.join("e.sh");
        script(&f, 0o755);
        assert_eq!(
            as_root(f.to_str().unwrap(), None).unwrap_err().why,
            Refusal::Insecure
        );
        // Root's own sticky directory (as /tmp) is spared the write rule.
        let mine = d.path().join("mine");
        std::fs::create_dir(&mine).unwrap();
        mode(&mine, 0o1777);
        let g = mine.join("e.sh");
        script(&g, 0o755);
        assert!(as_root(g.to_str().unwrap(), None).is_ok());
    }

    #[test]
    fn f_root_file_in_root_directories_runs_by_its_real_path() {
        if !root() {
            return;
        }
        let d = base();
        let f = d.path().join("f.sh");
        script(&f, 0o755);
        let ok = as_root(f.to_str().unwrap(), None).unwrap();
        assert!(!ok.insecure);
        assert!(ok.notes.is_empty());
        assert_eq!(
            ok.path,
            std::fs::canonicalize(&f).unwrap().display().to_string()
        );
        // A root symlink with another name in a root directory: run under the name written
        // when it is the same file there, else by the real path.
        let link = d.path().join("other-name");
        std::os::unix::fs::symlink(&f, &link).unwrap();
        let ok = as_root(link.to_str().unwrap(), None).unwrap();
        assert!(ok.path.ends_with("/other-name"), "{}", ok.path);
    }

    #[test]
    fn group_write_by_root_group_is_allowed_by_another_group_not() {
        if !root() {
            return;
        }
        let d = base();
        let f = d.path().join("g.sh");
        script(&f, 0o775);
        assert!(as_root(f.to_str().unwrap(), None).is_ok());
        std::os::unix::fs::lchown(&f, None, Some(NOBODY)).unwrap();
        assert_eq!(
            as_root(f.to_str().unwrap(), None).unwrap_err().why,
            Refusal::Insecure
        );
    }

    #[test]
    fn scripts_run_as_another_user_are_not_path_checked() {
        if !root() {
            return;
        }
        // keepalived's need_script_protection: only root (or set-id root) scripts.
        let d = base();
        let theirs = d.path().join("home");
        std::fs::create_dir(&theirs).unwrap();
        nobody(&theirs);
        let f = theirs.join("mine.sh");
        script(&f, 0o755);
        nobody(&f);
        assert!(check(f.to_str().unwrap(), NOBODY, NOBODY, true, None).is_ok());
        assert!(check(f.to_str().unwrap(), 0, 0, true, None).is_err());
    }

    #[test]
    fn missing_and_unexecutable_scripts_are_refused() {
        let d = tempfile::tempdir().unwrap();
        let f = d.path().join("x.sh");
        let r = check(f.to_str().unwrap(), 0, 0, false, None).unwrap_err();
        assert_eq!(r.why, Refusal::NotFound);
        script(&f, 0o644);
        let r = check(f.to_str().unwrap(), 0, 0, false, None).unwrap_err();
        assert_eq!(r.why, Refusal::NotExecutable);
        let r = check(
            "no-such-program-here",
            0,
            0,
            false,
            Some(OsStr::new("/nonexistent")),
        )
        .unwrap_err();
        assert_eq!(
            r.lines,
            ["Cannot find script no-such-program-here in path - disabling"]
        );
    }
}
