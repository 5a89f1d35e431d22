//! Logging that never delays the protocol: events are formatted on the caller's thread, handed to a
//! dedicated writer thread through a bounded channel, and dropped (and counted) when it is full.

use std::fmt::Write as _;
use std::io::Write as _;
use std::os::unix::net::UnixDatagram;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::Layer;
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::util::SubscriberInitExt;

/// Lines waiting for the writer; beyond this they are dropped rather than waited for.
const QUEUE: usize = 8192;

/// Where and how to log, from -l, -G, -S, -D, -g.
#[derive(Debug, Clone)]
pub struct LogOptions {
    pub console: bool,
    pub syslog: bool,
    pub facility: u8,
    pub detail: bool,
    pub file: Option<PathBuf>,
    /// The log file's mode: keepalived's 0666 & ~umask, its umask 0177 unless -u says.
    pub file_mode: u32,
    /// The syslog ident, keepalived's `Keepalived_vrrp` for the VRRP process.
    pub ident: String,
}

struct Line {
    at: SystemTime,
    level: Level,
    text: String,
    /// The checker side's lines keep keepalived's ident of its checker process.
    ident: Option<&'static str>,
}

/// Counts lines lost to a full queue; shared by the layer and the stats dump.
#[derive(Debug, Default)]
pub struct Dropped(AtomicU64);

impl Dropped {
    pub fn count(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// The queue is std's list channel bounded by `pending`: it takes memory only for the lines
/// actually waiting (a preallocated `sync_channel` of QUEUE slots kept 0.57 MiB resident).
struct QueueLayer {
    tx: Sender<Line>,
    /// At most this many lines wait; more are dropped and counted.
    cap: u64,
    dropped: Arc<Dropped>,
    pending: Arc<AtomicU64>,
    max: Level,
}

#[derive(Default)]
struct Fields {
    message: String,
    rest: String,
}

impl Visit for Fields {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.message.push_str(value);
        } else {
            let _ = write!(self.rest, " {}={}", field.name(), value);
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            let _ = write!(self.message, "{value:?}");
        } else {
            let _ = write!(self.rest, " {}={:?}", field.name(), value);
        }
    }
}

impl<S: Subscriber> Layer<S> for QueueLayer {
    fn enabled(&self, meta: &tracing::Metadata<'_>, _: Context<'_, S>) -> bool {
        *meta.level() <= self.max
    }

    fn on_event(&self, event: &Event<'_>, _: Context<'_, S>) {
        let meta = event.metadata();
        if *meta.level() > self.max {
            return;
        }
        let mut f = Fields::default();
        event.record(&mut f);
        f.message.push_str(&f.rest);
        let line = Line {
            at: SystemTime::now(),
            level: *meta.level(),
            text: f.message,
            ident: (meta.target() == crate::lvs::LOG_TARGET).then_some(crate::lvs::LOG_TARGET),
        };
        if self.pending.fetch_add(1, Ordering::Relaxed) >= self.cap || self.tx.send(line).is_err() {
            self.pending.fetch_sub(1, Ordering::Relaxed);
            self.dropped.0.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// Keeps the writer alive; dropping it flushes what is queued (bounded wait).
pub struct LogGuard {
    dropped: Arc<Dropped>,
    pending: Arc<AtomicU64>,
}

impl LogGuard {
    pub fn dropped(&self) -> Arc<Dropped> {
        Arc::clone(&self.dropped)
    }
}

impl Drop for LogGuard {
    fn drop(&mut self) {
        // The global subscriber keeps the sender, so the thread never sees a disconnect: give it a
        // bounded moment to drain instead of joining.
        let until = Instant::now() + Duration::from_millis(500);
        while self.pending.load(Ordering::Relaxed) > 0 && Instant::now() < until {
            std::thread::sleep(Duration::from_millis(2));
        }
    }
}

/// Installs the global subscriber and starts the writer thread.
pub fn init(opts: LogOptions) -> LogGuard {
    let (tx, rx) = channel::<Line>();
    let dropped = Arc::new(Dropped::default());
    let max = if opts.detail {
        Level::DEBUG
    } else {
        Level::INFO
    };
    let pending = Arc::new(AtomicU64::new(0));
    let layer = QueueLayer {
        tx,
        cap: QUEUE as u64,
        dropped: Arc::clone(&dropped),
        pending: Arc::clone(&pending),
        max,
    };
    let (d2, p2) = (Arc::clone(&dropped), Arc::clone(&pending));
    // If the thread cannot start, the queue fills and lines are counted as dropped: the daemon runs on.
    let _ = std::thread::Builder::new()
        .name("log-writer".into())
        .spawn(move || write_loop(rx, opts, d2, p2));
    let _ = tracing_subscriber::registry().with(layer).try_init();
    LogGuard { dropped, pending }
}

fn write_loop(
    rx: Receiver<Line>,
    opts: LogOptions,
    dropped: Arc<Dropped>,
    pending: Arc<AtomicU64>,
) {
    let pid = std::process::id();
    let mut syslog = if opts.syslog { Syslog::new() } else { None };
    let mut file = opts
        .file
        .as_ref()
        .and_then(|p| match open_log_file(p, opts.file_mode) {
            Ok(f) => Some(f),
            Err(e) => {
                let _ = writeln!(std::io::stderr(), "Unable to open '{}' - {e}", p.display());
                None
            }
        });
    let mut reported = 0u64;
    while let Ok(line) = rx.recv() {
        let lost = dropped.count();
        if lost > reported {
            let note = Line {
                at: SystemTime::now(),
                level: Level::WARN,
                text: format!(
                    "{} log lines dropped: the log output is too slow",
                    lost - reported
                ),
                ident: None,
            };
            reported = lost;
            emit(&note, &opts, pid, &mut syslog, &mut file);
        }
        emit(&line, &opts, pid, &mut syslog, &mut file);
        pending.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Opens the log file as keepalived's `fopen_safe(path, "a")`: appending, never through a
/// symlink (O_NOFOLLOW), close-on-exec, and `mode` set on the file whatever the umask or the
/// mode it had. Stricter than keepalived: the open does not block (O_NONBLOCK: a FIFO without a
/// reader is refused), and only a regular file with one link is taken, made ours (keepalived's
/// non-append `fopen_safe` chowns to root too), so that neither a hard link to another file nor a
/// file another user made and holds open can receive the log.
fn open_log_file(path: &std::path::Path, mode: u32) -> std::io::Result<std::fs::File> {
    use std::os::unix::fs::{MetadataExt, OpenOptionsExt, PermissionsExt};
    let f = std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .mode(mode)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_CLOEXEC)
        .open(path)?;
    let m = f.metadata()?;
    if !m.file_type().is_file() || m.nlink() != 1 {
        return Err(std::io::Error::other(
            "not a regular file with a single link; not used",
        ));
    }
    let (uid, gid) = (nix::unistd::geteuid(), nix::unistd::getegid());
    if m.uid() != uid.as_raw() || m.gid() != gid.as_raw() {
        std::os::unix::fs::fchown(&f, Some(uid.as_raw()), Some(gid.as_raw()))?;
    }
    f.set_permissions(std::fs::Permissions::from_mode(mode))?;
    Ok(f)
}

fn emit(
    line: &Line,
    opts: &LogOptions,
    pid: u32,
    syslog: &mut Option<Syslog>,
    file: &mut Option<std::fs::File>,
) {
    let stamp = console_time(line.at);
    if opts.console {
        let mut err = std::io::stderr().lock();
        let _ = writeln!(err, "{stamp}: {}", line.text);
    }
    if let Some(f) = file.as_mut() {
        let _ = writeln!(f, "{stamp}: {}", line.text);
    }
    if let Some(s) = syslog.as_mut() {
        let sev = match line.level {
            Level::ERROR => 3,
            Level::WARN => 4,
            Level::INFO => 6,
            _ => 7,
        };
        let pri = u32::from(opts.facility) * 8 + sev;
        let msg = format!(
            "<{pri}>{} {}[{pid}]: {}",
            syslog_time(line.at),
            line.ident.unwrap_or(&opts.ident),
            line.text
        );
        s.send(msg.as_bytes());
    }
}

/// A datagram socket to /dev/log, reconnected lazily when syslogd comes and goes.
struct Syslog {
    sock: Option<UnixDatagram>,
    retry_at: Instant,
}

impl Syslog {
    fn new() -> Option<Self> {
        Some(Self {
            sock: Self::connect(),
            retry_at: Instant::now(),
        })
    }

    fn connect() -> Option<UnixDatagram> {
        let s = UnixDatagram::unbound().ok()?;
        s.connect("/dev/log").ok()?;
        // A stalled syslogd must only cost us lines, never the writer thread forever.
        let _ = s.set_write_timeout(Some(Duration::from_millis(100)));
        Some(s)
    }

    fn send(&mut self, msg: &[u8]) {
        if self.sock.is_none() && Instant::now() >= self.retry_at {
            self.sock = Self::connect();
            self.retry_at = Instant::now() + Duration::from_secs(10);
        }
        if let Some(s) = &self.sock
            && s.send(msg).is_err()
        {
            self.sock = None;
        }
    }
}

const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

struct Civil {
    year: i64,
    month: usize,
    day: u32,
    wday: usize,
    h: u64,
    m: u64,
    s: u64,
}

// UTC: the daemon runs with TZ unset under systemd on the hosts we target; keepalived's console
// lines use local time, which is UTC there.
fn civil(at: SystemTime) -> Civil {
    let secs = at
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    // Howard Hinnant's days-to-civil.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as usize;
    let year = yoe + era * 400 + i64::from(month <= 2);
    Civil {
        year,
        month,
        day,
        wday: (days.rem_euclid(7)) as usize,
        h: rem / 3600,
        m: rem % 3600 / 60,
        s: rem % 60,
    }
}

/// keepalived's console stamp, strftime's `%c` in the C locale: `Sun Nov 22 13:33:16 2026`,
/// `Tue Dec  1 23:06:36 2026` (the day padded with a space).
pub fn console_time(at: SystemTime) -> String {
    let c = civil(at);
    format!(
        "{} {} {:>2} {:02}:{:02}:{:02} {}",
        DAYS[c.wday],
        MONTHS[c.month - 1],
        c.day,
        c.h,
        c.m,
        c.s,
        c.year
    )
}

fn syslog_time(at: SystemTime) -> String {
    let c = civil(at);
    format!(
        "{} {:>2} {:02}:{:02}:{:02}",
        MONTHS[c.month - 1],
        c.day,
        c.h,
        c.m,
        c.s
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn console_stamp_like_keepalived() {
        // 2026-11-22 13:33:16 UTC was a Sunday.
        let at = UNIX_EPOCH + Duration::from_secs(1_795_354_396);
        assert_eq!(console_time(at), "Sun Nov 22 13:33:16 2026");
        assert_eq!(syslog_time(at), "Nov 22 13:33:16");
        assert_eq!(console_time(UNIX_EPOCH), "Thu Jan  1 00:00:00 1970");
    }

    #[test]
    fn full_queue_drops_instead_of_blocking() {
        let (tx, _rx) = channel::<Line>();
        let dropped = Arc::new(Dropped::default());
        let layer = QueueLayer {
            tx,
            cap: 2,
            dropped: Arc::clone(&dropped),
            pending: Arc::new(AtomicU64::new(0)),
            max: Level::INFO,
        };
        let sub = tracing_subscriber::registry().with(layer);
        tracing::subscriber::with_default(sub, || {
            for i in 0..10 {
                tracing::info!("line {i}");
            }
        });
        assert_eq!(dropped.count(), 8);
    }
}
