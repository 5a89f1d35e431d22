//! Runs every checker on its own timer in the caller's tokio runtime and feeds the model.
//! A slow or dead server only ever delays its own checker's task.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinSet;
use tokio::time::Instant;

use crate::accounting::{Accounting, Step, Timing, Transition, UrlAccounting};
use crate::config::{CheckerConfig, CheckerKind, Protocol, Trio, format_vs};
use crate::model::{Action, CheckerId, Model, Service, ServiceKey, Table};
use crate::probe::{self, Verdict};

/// What the daemon hears after each check that changed something.
#[derive(Debug, Clone)]
pub struct Report {
    pub id: CheckerId,
    pub verdict: Verdict,
    pub transition: Option<Transition>,
    /// Log lines, notify scripts, FIFO lines and mails to act on, in order.
    pub actions: Vec<Action>,
    /// The services this check (or the burst it closes) changed, as they now are (a virtual
    /// server's services never leave the table between reloads). Only the changed ones: a real
    /// server's state change costs its own services, not the table's size.
    pub changed: Vec<(ServiceKey, Service)>,
}

/// Lateness of checks against their schedule, in 100 µs buckets up to 1 s (the last bucket
/// holds everything later), plus a count of checks run.
pub struct Stats {
    buckets: Vec<AtomicU64>,
    pub checks: AtomicU64,
}

const BUCKET_US: u64 = 100;
const BUCKETS: usize = 10_001;

impl Stats {
    fn new() -> Self {
        Stats {
            buckets: (0..BUCKETS).map(|_| AtomicU64::new(0)).collect(),
            checks: AtomicU64::new(0),
        }
    }

    fn record(&self, late: Duration) {
        let i = ((late.as_micros() as u64) / BUCKET_US).min(BUCKETS as u64 - 1) as usize;
        if let Some(b) = self.buckets.get(i) {
            b.fetch_add(1, Ordering::Relaxed);
        }
        self.checks.fetch_add(1, Ordering::Relaxed);
    }

    /// Forget what was recorded (e.g. after the warm-up of a benchmark).
    pub fn reset(&self) {
        for b in &self.buckets {
            b.store(0, Ordering::Relaxed);
        }
        self.checks.store(0, Ordering::Relaxed);
    }

    /// The lateness below which `q` (0..=1) of the checks started.
    pub fn quantile(&self, q: f64) -> Duration {
        let total: u64 = self.buckets.iter().map(|b| b.load(Ordering::Relaxed)).sum();
        let want = ((total as f64) * q).ceil() as u64;
        let mut seen = 0;
        for (i, b) in self.buckets.iter().enumerate() {
            seen += b.load(Ordering::Relaxed);
            if seen >= want.max(1) {
                return Duration::from_micros((i as u64 + 1) * BUCKET_US);
            }
        }
        Duration::from_secs(1)
    }
}

/// Scheduler options.
#[derive(Clone, Default)]
pub struct SchedulerOptions {
    /// Start every checker at once instead of at a random point of its warmup.
    pub no_warmup: bool,
    /// SSL_GET's connector, from the `SSL { }` block ([`probe::http::tls_connector_for`]).
    pub tls: Option<tokio_rustls::TlsConnector>,
    /// `-D` / `--log-detail`: also the lines keepalived writes only then (FILE_CHECK's
    /// "tracked file ... FAULT state" lines).
    pub log_detail: bool,
    /// Tests only: the first checker to run panics, once per process (the daemon sets it from
    /// `KEEPALIVED_RS_TEST_CHECKER_PANIC`), to show that a dead checker is noticed.
    pub inject_panic: bool,
}

/// Whether the injected panic already happened in this process.
static PANIC_INJECTED: AtomicBool = AtomicBool::new(false);

enum Msg {
    Outcome {
        id: CheckerId,
        verdict: Verdict,
        transition: Option<Transition>,
        retries: u32,
        /// The check's own line before any transition's: a failure under `log_all_failures`,
        /// SMTP_CHECK's last failure, HTTP_GET's url success while down.
        failure_line: Option<String>,
    },
    AddressPresent(usize, bool, oneshot::Sender<()>),
    Table(oneshot::Sender<Table>),
    Shutdown(oneshot::Sender<Vec<Action>>),
    Stop(oneshot::Sender<Model>),
}

/// The running checkers. Dropping it stops them all.
pub struct Running {
    tx: mpsc::UnboundedSender<Msg>,
    tasks: JoinSet<()>,
    driver: tokio::task::JoinHandle<()>,
    pub stats: Arc<Stats>,
}

impl Drop for Running {
    fn drop(&mut self) {
        self.driver.abort();
    }
}

impl Running {
    /// The table as it stands.
    pub async fn table(&self) -> Option<Table> {
        let (tx, rx) = oneshot::channel();
        self.tx.send(Msg::Table(tx)).ok()?;
        rx.await.ok()
    }

    /// ha_suspend: tell whether the virtual server's address is on this host.
    pub async fn set_address_present(&self, vs: usize, present: bool) {
        let (tx, rx) = oneshot::channel();
        if self.tx.send(Msg::AddressPresent(vs, present, tx)).is_ok() {
            let _ = rx.await;
        }
    }

    /// Reload: stop all checkers and hand back the model, for the next one to
    /// [`Model::inherit`] from. No shutdown notifiers run.
    pub async fn stop(mut self) -> Option<Model> {
        self.tasks.abort_all();
        let (tx, rx) = oneshot::channel();
        self.tx.send(Msg::Stop(tx)).ok()?;
        rx.await.ok()
    }

    /// Resolves when a checker task has died (a panic): the checkers no longer check everything,
    /// so the caller restarts them. Cancel-safe; pending forever while all are running.
    pub async fn died(&mut self) -> String {
        loop {
            match self.tasks.join_next().await {
                Some(Err(e)) if e.is_panic() => {
                    let p = e.into_panic();
                    let text = p
                        .downcast_ref::<&str>()
                        .map(|s| (*s).to_string())
                        .or_else(|| p.downcast_ref::<String>().cloned())
                        .unwrap_or_else(|| "a panic without a message".into());
                    return format!("a checker task panicked: {text}");
                }
                Some(_) => {}
                None => std::future::pending::<()>().await,
            }
        }
    }

    /// Stop all checkers and return the shutdown actions (omega notifiers).
    pub async fn shutdown(mut self) -> Vec<Action> {
        // Checkers stop first so no verdict lands after the shutdown actions.
        self.tasks.abort_all();
        let (tx, rx) = oneshot::channel();
        if self.tx.send(Msg::Shutdown(tx)).is_err() {
            return Vec::new();
        }
        rx.await.unwrap_or_default()
    }
}

/// Start the model's checkers (after a reload, pass a model that has [`Model::inherit`]ed the
/// old one: surviving checkers resume where they were). The first [`Report`] (with `id` of the first checker and no
/// verdict change) is not sent; start-up actions and the initial table come back here.
pub fn run(
    mut model: Model,
    opts: SchedulerOptions,
) -> (Running, Vec<Action>, Table, mpsc::UnboundedReceiver<Report>) {
    let vss: Vec<_> = model.virtual_servers().cloned().collect();
    // FILE_CHECK starts from its file as it reads now, alpha or not (keepalived reads the file
    // at load and follows it from there).
    for id in model.checker_ids() {
        if let CheckerConfig::File { file, .. } =
            &vss[id.vs].real_servers[id.rs].checkers[id.checker]
            && !model.is_inherited(id)
        {
            let v = probe::file::check_now(file);
            model.set_initial(id, v.ok, v.weight);
        }
    }
    let start_actions = model.start();
    let table = model.table();
    model.take_changed();
    let (tx, mut rx) = mpsc::unbounded_channel::<Msg>();
    let (rep_tx, rep_rx) = mpsc::unbounded_channel();
    let stats = Arc::new(Stats::new());
    let mut tasks = JoinSet::new();
    let log_detail = opts.log_detail;
    let enabled: Arc<Vec<AtomicBool>> = Arc::new(
        (0..vss.len())
            .map(|vi| AtomicBool::new(model.checkers_enabled(vi)))
            .collect(),
    );
    for id in model.checker_ids() {
        let vs = &vss[id.vs];
        let rs = &vs.real_servers[id.rs];
        let mut ck = rs.checkers[id.checker].clone();
        if let CheckerConfig::Http { http, .. } | CheckerConfig::Ssl { http, .. } = &mut ck
            && http.virtualhost.is_none()
        {
            http.virtualhost = rs.virtualhost.clone().or(vs.virtualhost.clone());
        }
        let timing = Timing::resolve(vs, rs, &ck);
        // After a reload a surviving checker carries on from its state instead of starting over.
        let resumed = model.is_inherited(id).then(|| model.checker_up(id));
        let acc = match (&ck, resumed) {
            // No retries: a file's value is the verdict, and its state is known from the start.
            (CheckerConfig::File { .. }, _) => Counter::Plain(Accounting::resume(
                Timing { retry: 0, ..timing },
                model.checker_up(id),
            )),
            (CheckerConfig::Http { http, .. } | CheckerConfig::Ssl { http, .. }, None) => {
                Counter::Urls(UrlAccounting::new(
                    timing,
                    http.urls.len(),
                    http.fast_recovery,
                ))
            }
            (CheckerConfig::Http { http, .. } | CheckerConfig::Ssl { http, .. }, Some(up)) => {
                Counter::Urls(UrlAccounting::resume(
                    timing,
                    http.urls.len(),
                    http.fast_recovery,
                    up,
                ))
            }
            (CheckerConfig::Smtp { .. }, None) => {
                Counter::Plain(Accounting::new(timing).retrying_first_check())
            }
            (_, None) => Counter::Plain(Accounting::new(timing)),
            (_, Some(up)) => Counter::Plain(Accounting::resume(timing, up)),
        };
        let first = if opts.no_warmup {
            Duration::ZERO
        } else {
            acc.first_delay(rand::random::<f64>())
        };
        let vsn = format_vs(&vs.ident, vs.protocol);
        let inject = opts.inject_panic;
        tasks.spawn(checker_task(
            id,
            vsn,
            ck,
            opts.tls.clone(),
            rs.addr,
            acc,
            first,
            tx.clone(),
            stats.clone(),
            enabled.clone(),
            inject,
        ));
    }
    let mut table_now = table.clone();
    let driver = tokio::spawn(async move {
        let mut batch: Vec<Report> = Vec::new();
        while let Some(first) = rx.recv().await {
            // Take everything already queued so a burst (a switch dying under hundreds of real
            // servers) costs one table computation, not one per server.
            let mut next = Some(first);
            while let Some(msg) = next.take().or_else(|| rx.try_recv().ok()) {
                match msg {
                    Msg::Outcome {
                        id,
                        verdict,
                        transition,
                        retries,
                        failure_line,
                    } => {
                        let mut actions = Vec::new();
                        if let Some(line) = failure_line {
                            actions.push(Action::Log(line));
                        }
                        if let Some(t) = transition {
                            if let Some(line) =
                                checker_line(&vss, id, t, retries, &verdict.reason, log_detail)
                            {
                                actions.push(Action::Log(line));
                            }
                            actions.extend(model.on_transition(id, t));
                        }
                        if verdict.ok || transition.is_some() {
                            actions.extend(model.on_dynamic_weight(id, verdict.weight));
                        }
                        if !actions.is_empty() {
                            batch.push(Report {
                                id,
                                verdict,
                                transition,
                                actions,
                                changed: Vec::new(),
                            });
                        }
                    }
                    Msg::AddressPresent(vs, present, done) => {
                        let actions = model.set_address_present(vs, present);
                        if let Some(e) = enabled.get(vs) {
                            e.store(model.checkers_enabled(vs), Ordering::Relaxed);
                        }
                        if !actions.is_empty() {
                            batch.push(Report {
                                id: CheckerId {
                                    vs,
                                    rs: 0,
                                    checker: 0,
                                },
                                verdict: Verdict::up(),
                                transition: None,
                                actions,
                                changed: Vec::new(),
                            });
                        }
                        let _ = done.send(());
                    }
                    Msg::Table(reply) => {
                        let _ = reply.send(model.table());
                    }
                    Msg::Shutdown(reply) => {
                        let _ = reply.send(model.shutdown());
                        return;
                    }
                    Msg::Stop(reply) => {
                        let _ = reply.send(model);
                        return;
                    }
                }
                if batch.len() >= 1024 {
                    break;
                }
            }
            let mut changed = Vec::new();
            for vi in model.take_changed() {
                for (key, svc) in model.services_of(vi) {
                    if table_now.services.get(&key) != Some(&svc) {
                        table_now.services.insert(key.clone(), svc.clone());
                        changed.push((key, svc));
                    }
                }
            }
            if !changed.is_empty() {
                match batch.last_mut() {
                    Some(last) => last.changed = changed,
                    None => batch.push(Report {
                        id: CheckerId {
                            vs: 0,
                            rs: 0,
                            checker: 0,
                        },
                        verdict: Verdict::up(),
                        transition: None,
                        actions: Vec::new(),
                        changed,
                    }),
                }
            }
            for r in batch.drain(..) {
                let _ = rep_tx.send(r);
            }
        }
    });
    (
        Running {
            tx,
            tasks,
            driver,
            stats,
        },
        start_actions,
        table,
        rep_rx,
    )
}

#[allow(clippy::too_many_arguments)]
async fn checker_task(
    id: CheckerId,
    vsn: String,
    ck: CheckerConfig,
    tls: Option<tokio_rustls::TlsConnector>,
    rs: SocketAddr,
    mut acc: Counter,
    first: Duration,
    tx: mpsc::UnboundedSender<Msg>,
    stats: Arc<Stats>,
    enabled: Arc<Vec<AtomicBool>>,
    inject_panic: bool,
) {
    let mut due = Instant::now() + first;
    let mut last_weight = None;
    // FILE_CHECK follows its file as keepalived's does (inotify): a change is checked at once,
    // not at the next delay_loop.
    let mut watch = match &ck {
        CheckerConfig::File { file, .. } => keepalived_sys::track::watch_events(&file.path).ok(),
        _ => None,
    };
    loop {
        match &mut watch {
            Some(w) => {
                tokio::select! {
                    _ = tokio::time::sleep_until(due) => {}
                    v = w.recv() => {
                        if v.is_none() {
                            watch = None;
                        }
                    }
                }
            }
            None => tokio::time::sleep_until(due).await,
        }
        let started = Instant::now();
        stats.record(started.saturating_duration_since(due));
        if !enabled.get(id.vs).is_none_or(|e| e.load(Ordering::Relaxed)) {
            due = started + acc.timing().delay_loop;
            continue;
        }
        if inject_panic && !PANIC_INJECTED.swap(true, Ordering::Relaxed) {
            panic!("injected checker panic (KEEPALIVED_RS_TEST_CHECKER_PANIC)");
        }
        let timeout = acc.timing().connect_timeout;
        let url = acc.url();
        let verdict = probe::check_with(&ck, rs, url, tls.as_ref(), timeout).await;
        let was_up = acc.logs_failures();
        let step = acc.on_verdict(verdict.ok);
        let retries = acc.timing().retry;
        let failure_line = own_line(
            &ck,
            rs,
            &vsn,
            &verdict,
            was_up,
            url,
            step.transition,
            acc.retry_it(),
            retries,
        );
        let weight_moved = verdict.weight != last_weight;
        last_weight = verdict.weight;
        if (step.transition.is_some() || weight_moved || failure_line.is_some())
            && tx
                .send(Msg::Outcome {
                    id,
                    verdict,
                    transition: step.transition,
                    retries,
                    failure_line,
                })
                .is_err()
        {
            return;
        }
        due = Instant::now() + step.next_in;
    }
}

/// Rise/fall counting: per url for HTTP_GET / SSL_GET, per run otherwise.
enum Counter {
    Plain(Accounting),
    Urls(UrlAccounting),
}

impl Counter {
    fn timing(&self) -> &Timing {
        match self {
            Counter::Plain(a) => a.timing(),
            Counter::Urls(a) => a.timing(),
        }
    }

    fn logs_failures(&self) -> bool {
        match self {
            Counter::Plain(a) => a.is_up(),
            Counter::Urls(a) => a.is_up(),
        }
    }

    fn retry_it(&self) -> u32 {
        match self {
            Counter::Plain(a) => a.retry_it(),
            Counter::Urls(_) => 0,
        }
    }

    fn url(&self) -> Option<usize> {
        match self {
            Counter::Plain(_) => None,
            Counter::Urls(a) => Some(a.current_url()),
        }
    }

    fn first_delay(&self, fraction: f64) -> Duration {
        match self {
            Counter::Plain(a) => a.first_delay(fraction),
            Counter::Urls(a) => a.first_delay(fraction),
        }
    }

    fn on_verdict(&mut self, ok: bool) -> Step {
        match self {
            Counter::Plain(a) => a.on_verdict(ok),
            Counter::Urls(a) => a.on_verdict(ok),
        }
    }
}

/// A check's own line, logged before its transition's (keepalived's order):
/// - HTTP_GET / SSL_GET, a url that answers while the checker is down: "HTTP status code success
///   to ..." (or "MD5 digest", "Regex match");
/// - SMTP_CHECK: the failure itself ("SMTP_CHECK Could not connect to server ...") while the
///   checker is up, under `log_all_failures` or when it is the last one (SMTP_CHECK has no "failed
///   after retries" line);
/// - MISC_CHECK under `log_all_failures`, a failure with retries left ("..., will do 2 retries",
///   "... on retry 1/2"); the last one is the transition's line;
/// - the others under `log_all_failures`, each failure while the checker is up.
#[allow(clippy::too_many_arguments)]
fn own_line(
    ck: &CheckerConfig,
    rs: SocketAddr,
    vsn: &str,
    v: &Verdict,
    was_up: bool,
    url: Option<usize>,
    t: Option<Transition>,
    retry_it: u32,
    retry: u32,
) -> Option<String> {
    let log_all = ck.common().log_all_failures;
    if v.ok {
        let (CheckerConfig::Http { http, .. } | CheckerConfig::Ssl { http, .. }) = ck else {
            return None;
        };
        if was_up {
            return None;
        }
        let u = http.urls.get(url?)?;
        let what = if u.regex.is_some() {
            "Regex match"
        } else if u.digest.is_some() {
            "MD5 digest"
        } else {
            "HTTP status code"
        };
        let chk = Trio(probe::target(rs, &ck.common().connect), Protocol::Tcp);
        return Some(format!("{what} success to {chk} url({})", u.path));
    }
    let last = matches!(t, Some(Transition::Down { .. } | Transition::InitialDown));
    match ck {
        CheckerConfig::Smtp { .. } => {
            ((was_up && log_all) || last).then(|| format!("SMTP_CHECK {}", v.reason))
        }
        // check_dns.c: the failure is the line, the last one after a first check names the
        // retries.
        CheckerConfig::Dns { .. } => ((was_up && log_all) || last).then(|| {
            let chk = Trio(probe::target(rs, &ck.common().connect), Protocol::Udp);
            let after = match t {
                Some(Transition::Down { retries }) if retries > 0 => {
                    format!(" after {retries} retries")
                }
                _ => String::new(),
            };
            format!("DNS_CHECK ({chk}) {}{after}", v.reason)
        }),
        CheckerConfig::Misc { path, .. } => (was_up && log_all && !last).then(|| {
            let chk = Trio(probe::target(rs, &ck.common().connect), Protocol::Tcp);
            let (what, reason) = misc_outcome(&v.reason);
            let plural = if retry == 1 { "retry" } else { "retries" };
            let msg = if retry_it <= 1 {
                format!(", will do {retry} {plural}")
            } else {
                format!(" on retry {}/{retry}", retry_it - 1)
            };
            format!(
                "Misc check for [{chk} VS {vsn}] by [{}] {what}{msg}{reason}.",
                misc_name(path)
            )
        }),
        // check_ping.c: a timeout, or another failure naming the virtual server.
        CheckerConfig::Ping { .. } => (was_up && log_all).then(|| {
            let chk = Trio(probe::target(rs, &ck.common().connect), Protocol::Tcp);
            if v.reason.contains("timeout") {
                format!("ICMP connection to address {chk} timeout.")
            } else {
                format!("ICMP connection to {chk} of {vsn} failed.")
            }
        }),
        _ => (was_up && log_all).then(|| failure_line(ck, rs, v)),
    }
}

/// MISC_CHECK's failure in keepalived's words: what happened, and why in parentheses.
fn misc_outcome(reason: &str) -> (&'static str, String) {
    if reason.starts_with("timed out") {
        ("timed out", String::new())
    } else if reason.starts_with("exited with status") || reason.starts_with("due to signal") {
        ("failed", format!(" ({reason})"))
    } else {
        ("failed", String::new())
    }
}

/// The script as keepalived names it in its lines: the first word of `misc_path`, found on PATH
/// when it has no slash, its directory resolved (keepalived runs `/bin/false` as
/// `/usr/bin/false` where /bin links to /usr/bin).
fn misc_name(path: &str) -> String {
    let first = path.split_whitespace().next().unwrap_or(path);
    let found = if first.contains('/') {
        Some(std::path::PathBuf::from(first))
    } else {
        std::env::var_os("PATH").and_then(|dirs| {
            std::env::split_paths(&dirs)
                .map(|d| d.join(first))
                .find(|p| p.is_file())
        })
    };
    let Some(p) = found else {
        return first.to_string();
    };
    match (p.parent(), p.file_name()) {
        (Some(dir), Some(name)) if !dir.as_os_str().is_empty() => std::fs::canonicalize(dir)
            .map(|d| d.join(name).display().to_string())
            .unwrap_or_else(|_| p.display().to_string()),
        _ => p.display().to_string(),
    }
}

/// One failed check's line under `log_all_failures`.
fn failure_line(ck: &CheckerConfig, rs: SocketAddr, v: &Verdict) -> String {
    let proto = if matches!(ck.kind(), CheckerKind::Udp | CheckerKind::Dns) {
        Protocol::Udp
    } else {
        Protocol::Tcp
    };
    let chk = Trio(probe::target(rs, &ck.common().connect), proto);
    match ck.kind() {
        CheckerKind::Tcp if v.reason.starts_with("Timeout") => {
            format!("TCP connection to {chk} timeout.")
        }
        CheckerKind::Tcp => format!("TCP connection to {chk} failed."),
        CheckerKind::Http | CheckerKind::Ssl => {
            // Our reasons carry detail after keepalived's own words: keep only its words.
            let words = v
                .reason
                .split([':', '('])
                .next()
                .unwrap_or_default()
                .trim_end();
            format!("{words} server {chk}.")
        }
        // check_udp.c
        CheckerKind::Udp if v.reason.contains("does not match") => {
            format!("UDP check to {chk} reply data mismatch.")
        }
        CheckerKind::Udp => format!("UDP connection to {chk} failed."),
        kind => format!("{} on {chk}: {}", kind.keyword(), v.reason),
    }
}

/// The checker's own log line for a transition, in keepalived's words (check_*.c). `retry` is
/// the checker's `retry`; `reason` the failed verdict's.
fn checker_line(
    vss: &[crate::config::VirtualServerConfig],
    id: CheckerId,
    t: Transition,
    retry: u32,
    reason: &str,
    log_detail: bool,
) -> Option<String> {
    let vs = vss.get(id.vs)?;
    let rs = vs.real_servers.get(id.rs)?;
    let ck = rs.checkers.get(id.checker)?;
    let proto = if matches!(ck.kind(), CheckerKind::Udp | CheckerKind::Dns) {
        Protocol::Udp
    } else {
        vs.protocol
    };
    let chk = Trio(probe::target(rs.addr, &ck.common().connect), proto);
    let vsn = format_vs(&vs.ident, vs.protocol);
    let failed = |name: &str, retries: u32| {
        if retries > 0 {
            format!("{name} on service {chk} failed after {retries} retries.")
        } else {
            format!("{name} on service {chk} failed.")
        }
    };
    let down = matches!(t, Transition::Down { .. } | Transition::InitialDown);
    // Retries counted in the line: none on a first check (a non-alpha checker's, or an alpha
    // one's first failure).
    let counted = match t {
        Transition::Down { retries } => retries,
        _ => 0,
    };
    Some(match (ck, down) {
        (CheckerConfig::Tcp { .. }, false) => format!("TCP connection to {chk} success."),
        (CheckerConfig::Tcp { .. }, true) => failed("TCP_CHECK", counted),
        (CheckerConfig::Http { .. } | CheckerConfig::Ssl { .. }, false) => {
            format!("Remote Web server {chk} succeed on service.")
        }
        // HTTP_GET counts its retries even on a first check (check_http.c's epilog).
        // SSL_GET shares HTTP_GET's code and words (check_http.c).
        (CheckerConfig::Http { .. } | CheckerConfig::Ssl { .. }, true) => {
            failed("HTTP_CHECK", retry)
        }
        (CheckerConfig::Smtp { .. }, false) => {
            format!("Remote SMTP server {chk} succeed on service.")
        }
        // The failure's own line says it (own_line).
        (CheckerConfig::Smtp { .. }, true) => return None,
        (CheckerConfig::Udp { .. }, false) => format!("UDP connection to {chk} success."),
        (CheckerConfig::Udp { .. }, true) => failed("UDP_CHECK", counted),
        (CheckerConfig::Ping { .. }, false) => format!("ICMP connection to {chk} success."),
        (CheckerConfig::Ping { .. }, true) if counted > 0 => {
            format!("ICMP CHECK on service {chk} of {vsn} failed after {counted} retries.")
        }
        (CheckerConfig::Ping { .. }, true) => failed("ICMP CHECK", 0),
        // No line when up; the failure's own line says the down (own_line).
        (CheckerConfig::Dns { .. }, _) => return None,
        (CheckerConfig::Misc { path, .. }, down) => {
            let name = misc_name(path);
            if !down {
                format!("Misc check for [{chk} VS {vsn}] by [{name}] succeeded.")
            } else {
                // The last failure, alpha's first one included, names the retries.
                let (what, why) = misc_outcome(reason);
                let msg = match retry {
                    0 => " with retry disabled".to_string(),
                    1 => " after 1 retry".to_string(),
                    n => format!(" after {n} retries"),
                };
                format!("Misc check for [{chk} VS {vsn}] by [{name}] {what}{msg}{why}.")
            }
        }
        // keepalived follows the file without a checker line; with -D it says when the file
        // enters or leaves its fault state (track_file.c).
        (CheckerConfig::File { file, .. }, down) => {
            if !log_detail {
                return None;
            }
            let rs_name = Trio(rs.addr, vs.protocol);
            let how = if down { "now" } else { "leaving" };
            format!("({rs_name}): tracked file {} {how} FAULT state", file.name)
        }
    })
}
