//! The files keepalived writes on signals (keepalived.stats, keepalived.json, keepalived.data), in
//! its layout, from a plain snapshot of each instance taken by the event loop.

use std::fmt::Write as _;

/// The receive and send counters keepalived reports per instance.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counters {
    pub advert_rcvd: u64,
    pub advert_sent: u64,
    pub become_master: u64,
    pub release_master: u64,
    pub packet_len_err: u64,
    pub ip_ttl_err: u64,
    pub invalid_type_rcvd: u64,
    pub advert_interval_err: u64,
    pub addr_list_err: u64,
    pub invalid_authtype: u64,
    pub authtype_mismatch: u64,
    pub auth_failure: u64,
    pub pri_zero_rcvd: u64,
    pub pri_zero_sent: u64,
}

/// One instance as the dumps show it.
#[derive(Debug, Clone, Default)]
pub struct InstanceSnapshot {
    pub name: String,
    pub interface: String,
    pub vrid: u8,
    pub version: u8,
    /// keepalived's numbering: 0 INIT, 1 BACKUP, 2 MASTER, 3 FAULT.
    pub state: u8,
    pub base_priority: u8,
    pub effective_priority: u8,
    pub master_priority: u8,
    pub advert_int_secs: f64,
    pub vips: Vec<String>,
    pub counters: Counters,
}

pub fn state_name(state: u8) -> &'static str {
    match state {
        1 => "BACKUP",
        2 => "MASTER",
        3 => "FAULT",
        _ => "INIT",
    }
}

/// keepalived.stats, line for line as keepalived 2.2.7 writes it.
pub fn stats(instances: &[InstanceSnapshot]) -> String {
    let mut s = String::new();
    for i in instances {
        let c = &i.counters;
        let _ = write!(
            s,
            "VRRP Instance: {}\n  Advertisements:\n    Received: {}\n    Sent: {}\n  \
             Became master: {}\n  Released master: {}\n  Packet Errors:\n    Length: {}\n    \
             TTL: {}\n    Invalid Type: {}\n    Advertisement Interval: {}\n    Address List: {}\n  \
             Authentication Errors:\n    Invalid Type: {}\n    Type Mismatch: {}\n    Failure: {}\n  \
             Priority Zero:\n    Received: {}\n    Sent: {}\n",
            i.name,
            c.advert_rcvd,
            c.advert_sent,
            c.become_master,
            c.release_master,
            c.packet_len_err,
            c.ip_ttl_err,
            c.invalid_type_rcvd,
            c.advert_interval_err,
            c.addr_list_err,
            c.invalid_authtype,
            c.authtype_mismatch,
            c.auth_failure,
            c.pri_zero_rcvd,
            c.pri_zero_sent
        );
    }
    s
}

/// keepalived.json: the fields of keepalived's JSON dump that we model.
pub fn json(instances: &[InstanceSnapshot]) -> String {
    let arr: Vec<serde_json::Value> = instances
        .iter()
        .map(|i| {
            let c = &i.counters;
            serde_json::json!({
                "data": {
                    "iname": i.name,
                    "ifp_ifname": i.interface,
                    "vrid": i.vrid,
                    "version": i.version,
                    "state": i.state,
                    "base_priority": i.base_priority,
                    "effective_priority": i.effective_priority,
                    "master_priority": i.master_priority,
                    "adver_int": i.advert_int_secs,
                    "vips": i.vips,
                },
                "stats": {
                    "advert_rcvd": c.advert_rcvd,
                    "advert_sent": c.advert_sent,
                    "become_master": c.become_master,
                    "release_master": c.release_master,
                    "packet_len_err": c.packet_len_err,
                    "advert_interval_err": c.advert_interval_err,
                    "ip_ttl_err": c.ip_ttl_err,
                    "invalid_type_rcvd": c.invalid_type_rcvd,
                    "addr_list_err": c.addr_list_err,
                    "invalid_authtype": c.invalid_authtype,
                    "authtype_mismatch": c.authtype_mismatch,
                    "auth_failure": c.auth_failure,
                    "pri_zero_rcvd": c.pri_zero_rcvd,
                    "pri_zero_sent": c.pri_zero_sent,
                }
            })
        })
        .collect();
    serde_json::Value::Array(arr).to_string()
}

/// keepalived.data: the instance part of keepalived's data dump.
pub fn data(instances: &[InstanceSnapshot], dropped_log_lines: u64) -> String {
    let mut s = String::from("------< VRRP Topology >------\n");
    for i in instances {
        let _ = writeln!(s, " VRRP Instance = {}", i.name);
        let _ = writeln!(s, "   State = {}", state_name(i.state));
        let _ = writeln!(s, "   Interface = {}", i.interface);
        let _ = writeln!(s, "   Virtual Router ID = {}", i.vrid);
        let _ = writeln!(s, "   VRRP Version = {}", i.version);
        let _ = writeln!(s, "   Base priority = {}", i.base_priority);
        let _ = writeln!(s, "   Effective priority = {}", i.effective_priority);
        let _ = writeln!(s, "   Advert interval = {}", i.advert_int_secs);
        let _ = writeln!(s, "   Virtual IP ({}):", i.vips.len());
        for v in &i.vips {
            let _ = writeln!(s, "     {v}");
        }
    }
    let _ = writeln!(
        s,
        "\n Log lines dropped (slow log output) = {dropped_log_lines}"
    );
    s
}

/// Where the dumps go: `$TMPDIR` when set (as keepalived 2.2.7 does), else /tmp.
pub fn dir() -> std::path::PathBuf {
    match std::env::var_os("TMPDIR") {
        Some(d) if !d.is_empty() => std::path::PathBuf::from(d),
        _ => std::path::PathBuf::from("/tmp"),
    }
}

/// Writes a dump file as keepalived's `fopen_safe` does: a new file next to `path` (created
/// exclusively, mode 0600, never following a link), renamed over `path`. Whatever is at `path`
/// (a symlink, a FIFO, a file another user made) is replaced, never opened, so the write can
/// neither clobber another file nor block.
pub fn write_file(path: &str, text: &str) -> std::io::Result<()> {
    write_file_mode(std::path::Path::new(path), text, 0o600)
}

/// [`write_file`] with the file's mode set to `mode` (not subject to the umask).
pub fn write_file_mode(path: &std::path::Path, text: &str, mode: u32) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    use std::os::unix::fs::PermissionsExt;
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => std::path::Path::new("."),
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    static SEQ: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let mut last = None;
    for _ in 0..16 {
        // Unguessable enough that nobody can plant it first; O_EXCL refuses it if they did.
        let seq = SEQ.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let tmp = dir.join(format!(".{name}.{}.{nanos:08x}{seq}", std::process::id()));
        let opened = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
            .open(&tmp);
        let mut f = match opened {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                last = Some(e);
                continue;
            }
            Err(e) => return Err(e),
        };
        let written = f
            .set_permissions(std::fs::Permissions::from_mode(mode))
            .and_then(|()| f.write_all(text.as_bytes()))
            .and_then(|()| {
                drop(f);
                std::fs::rename(&tmp, path)
            });
        if written.is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
        return written;
    }
    Err(last.unwrap_or_else(|| std::io::Error::other("no free temporary name")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dump_replaces_a_symlink_a_fifo_and_a_foreign_file_never_opening_them() {
        use std::os::unix::fs::{MetadataExt, PermissionsExt};
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let d = dir.path();
        let victim = d.join("victim");
        std::fs::write(&victim, "ORIGINAL").unwrap_or_else(|e| panic!("{e}"));
        let link = d.join("keepalived.data");
        std::os::unix::fs::symlink(&victim, &link).unwrap_or_else(|e| panic!("{e}"));
        let fifo = d.join("keepalived.json");
        nix::unistd::mkfifo(&fifo, nix::sys::stat::Mode::from_bits_truncate(0o622))
            .unwrap_or_else(|e| panic!("{e}"));
        let open = d.join("keepalived.stats");
        std::fs::write(&open, "old").unwrap_or_else(|e| panic!("{e}"));
        std::fs::set_permissions(&open, std::fs::Permissions::from_mode(0o666))
            .unwrap_or_else(|e| panic!("{e}"));
        for p in [&link, &fifo, &open] {
            // A FIFO opened for writing would block here forever.
            write_file(&p.to_string_lossy(), "dump\n").unwrap_or_else(|e| panic!("{e}"));
            let m = std::fs::symlink_metadata(p).unwrap_or_else(|e| panic!("{e}"));
            assert!(m.is_file(), "{} is a new regular file", p.display());
            assert_eq!(m.mode() & 0o777, 0o600);
            assert_eq!(m.nlink(), 1);
            assert_eq!(std::fs::read_to_string(p).ok().as_deref(), Some("dump\n"));
        }
        assert_eq!(
            std::fs::read_to_string(&victim).ok().as_deref(),
            Some("ORIGINAL")
        );
        let left: Vec<_> = std::fs::read_dir(d)
            .unwrap_or_else(|e| panic!("{e}"))
            .filter_map(Result::ok)
            .filter(|e| e.file_name().to_string_lossy().starts_with('.'))
            .collect();
        assert!(left.is_empty(), "no temporary file left: {left:?}");
    }

    #[test]
    fn stats_layout_matches_keepalived() {
        let i = InstanceSnapshot {
            name: "VI_1".into(),
            counters: Counters {
                advert_sent: 2,
                become_master: 1,
                ..Default::default()
            },
            ..Default::default()
        };
        // Captured from keepalived 2.2.7 after SIGUSR2.
        let want = "VRRP Instance: VI_1\n  Advertisements:\n    Received: 0\n    Sent: 2\n  Became master: 1\n  Released master: 0\n  Packet Errors:\n    Length: 0\n    TTL: 0\n    Invalid Type: 0\n    Advertisement Interval: 0\n    Address List: 0\n  Authentication Errors:\n    Invalid Type: 0\n    Type Mismatch: 0\n    Failure: 0\n  Priority Zero:\n    Received: 0\n    Sent: 0\n";
        assert_eq!(stats(std::slice::from_ref(&i)), want);
        let v: serde_json::Value = serde_json::from_str(&json(&[i])).unwrap();
        assert_eq!(v[0]["data"]["iname"], "VI_1");
        assert_eq!(v[0]["stats"]["advert_sent"], 2);
    }
}
