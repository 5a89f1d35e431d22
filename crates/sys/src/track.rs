//! track_file (inotify on the file's directory, value read from the file) and track_process
//! (a /proc scan counting processes by name and optional arguments).

use std::path::{Path, PathBuf};

use futures::StreamExt;
use inotify::{Inotify, WatchMask};
use tokio::sync::mpsc;

use crate::{Result, io};

/// How a watched file is read: the path to its value, or `None` to ignore this reading (the
/// last value stands). The daemon passes keepalived's reader (keepalived-check's
/// `probe::file::read_value`, shared with FILE_CHECK); it must not block on what the file is.
pub type ReadValue = fn(&Path) -> Option<i64>;

/// Watch `path`: sends the current value at once and again on every change (a writer closing it,
/// rename into place, delete). The task stops as soon as the receiver is dropped. Each reading
/// after the first runs on the blocking pool, so a file on a hung filesystem stops this watch,
/// not the runtime that called this (the VRRP loop). A first reading that is ignored counts as
/// 0, as keepalived starts a track file at 0.
pub fn watch_file(path: PathBuf, read: ReadValue) -> Result<mpsc::Receiver<i64>> {
    let mut events = watch_events(&path)?;
    let (tx, rx) = mpsc::channel(16);
    // The first value is read here, not in the task: a write before the task first runs must
    // still count as a change. The reader does not block on a FIFO or device, as at every read.
    let mut last = read(&path).unwrap_or(0);
    let _ = tx.try_send(last);
    tokio::spawn(async move {
        loop {
            // Ends as soon as the receiver is dropped, not at the next event.
            let ev = tokio::select! {
                _ = tx.closed() => break,
                ev = events.recv() => ev,
            };
            if ev.is_none() {
                break;
            }
            let p = path.clone();
            let Ok(Some(v)) = tokio::task::spawn_blocking(move || read(&p)).await else {
                continue;
            };
            if v != last {
                last = v;
                if tx.send(v).await.is_err() {
                    break;
                }
            }
        }
    });
    Ok(rx)
}

/// Watch `path` for changes (a writer closing it, rename into place, delete) without reading it:
/// one `()` per change, for a caller that reads it itself (FILE_CHECK on the checkers' thread).
/// The task stops as soon as the receiver is dropped.
pub fn watch_events(path: &Path) -> Result<mpsc::Receiver<()>> {
    let dir = path
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."));
    let name = path.file_name().map(|n| n.to_os_string());
    let ino = Inotify::init().map_err(io("inotify init"))?;
    ino.watches()
        .add(
            &dir,
            // Not MODIFY/CREATE: a writer truncates first, and reading then would report a bogus 0.
            WatchMask::CLOSE_WRITE
                | WatchMask::DELETE
                | WatchMask::MOVED_TO
                | WatchMask::MOVED_FROM,
        )
        .map_err(io(format!("inotify watch on {}", dir.display())))?;
    let mut stream = ino
        .into_event_stream(vec![0u8; 4096])
        .map_err(io("inotify stream"))?;
    let (tx, rx) = mpsc::channel(16);
    tokio::spawn(async move {
        loop {
            let ev = tokio::select! {
                _ = tx.closed() => break,
                ev = stream.next() => ev,
            };
            let Some(Ok(ev)) = ev else { break };
            if ev.name.is_some() && ev.name != name {
                continue;
            }
            // A full queue already holds a change to look at.
            if let Err(mpsc::error::TrySendError::Closed(())) = tx.try_send(()) {
                break;
            }
        }
    });
    Ok(rx)
}

/// Count processes whose name (comm, or the basename of `argv[0]`) is `name`; with `args`, the rest of
/// the command line must equal it (arguments joined by single spaces).
pub fn count_processes(name: &str, args: Option<&str>) -> usize {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return 0;
    };
    let mut n = 0;
    for e in dir.flatten() {
        let f = e.file_name();
        let Some(pid) = f.to_str() else { continue };
        if !pid.bytes().all(|b| b.is_ascii_digit()) {
            continue;
        }
        // A zombie has exited: keepalived's proc connector saw it go, so it counts for nothing.
        let stat = std::fs::read_to_string(e.path().join("stat")).unwrap_or_default();
        if stat
            .rsplit_once(')')
            .is_some_and(|(_, rest)| rest.trim_start().starts_with('Z'))
        {
            continue;
        }
        let Ok(cmdline) = std::fs::read(e.path().join("cmdline")) else {
            continue;
        };
        let argv: Vec<String> = cmdline
            .split(|b| *b == 0)
            .filter(|a| !a.is_empty())
            .map(|a| String::from_utf8_lossy(a).into_owned())
            .collect();
        let comm = std::fs::read_to_string(e.path().join("comm")).unwrap_or_default();
        let base = argv
            .first()
            .and_then(|a| a.rsplit('/').next())
            .unwrap_or_default();
        if comm.trim() != name && base != name {
            continue;
        }
        if let Some(want) = args
            && argv.get(1..).map(|r| r.join(" ")).unwrap_or_default() != want
        {
            continue;
        }
        n += 1;
    }
    n
}
