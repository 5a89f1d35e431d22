//! Per-checker rise/fall accounting: when a run of failures makes a checker down, when a
//! success makes it up, and how long to wait before the next check. Pure; the caller owns time.

use std::time::Duration;

use crate::config::{CheckerConfig, RealServerConfig, VirtualServerConfig};

/// A checker's timing after inheritance (checker, then real server, then virtual server, then
/// the kind's default), as keepalived resolves it at load time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timing {
    pub delay_loop: Duration,
    pub retry: u32,
    pub delay_before_retry: Duration,
    pub warmup: Duration,
    /// The bound on one check: connect_timeout, or for MISC_CHECK misc_timeout (default delay_loop).
    pub connect_timeout: Duration,
    pub alpha: bool,
}

impl Timing {
    pub fn resolve(vs: &VirtualServerConfig, rs: &RealServerConfig, ck: &CheckerConfig) -> Timing {
        let c = ck.common();
        let kind = ck.kind();
        let delay_loop = c.delay_loop.or(rs.delay_loop).unwrap_or(vs.delay_loop);
        let retry = c
            .retry
            .or(rs.retry)
            .or(vs.retry)
            .unwrap_or(kind.default_retry());
        let delay_before_retry = c
            .delay_before_retry
            .or(rs.delay_before_retry)
            .or(vs.delay_before_retry)
            .or(kind.default_delay_before_retry())
            .unwrap_or(delay_loop);
        let warmup = c.warmup.or(rs.warmup).or(vs.warmup).unwrap_or(delay_loop);
        let connect_timeout = match ck {
            // A script's time limit is misc_timeout, else delay_loop; connect_timeout is not its.
            CheckerConfig::Misc { timeout, .. } => timeout.unwrap_or(delay_loop),
            _ => c
                .connect_timeout
                .or(rs.connect_timeout)
                .unwrap_or(vs.connect_timeout),
        };
        let alpha = c.alpha.or(rs.alpha).unwrap_or(vs.alpha);
        Timing {
            delay_loop,
            retry,
            delay_before_retry,
            warmup,
            connect_timeout,
            alpha,
        }
    }
}

/// What a verdict changed about a checker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transition {
    /// The checker is now up (or, on its first run, confirmed up in alpha mode).
    Up,
    /// The checker is now down; `retries` is how many retries failed before (0 = first check).
    Down { retries: u32 },
    /// First run of an alpha checker that failed: no change, but keepalived announces the
    /// server as down once.
    InitialDown,
}

/// The outcome of one verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Step {
    pub transition: Option<Transition>,
    /// Wait this long before the next check.
    pub next_in: Duration,
}

/// The rise/fall counter of one checker.
///
/// An up checker goes down after `retry + 1` consecutive failures, the retries spaced by
/// `delay_before_retry`; a down checker rises on its first success. The very first check is
/// decisive in either direction, as in keepalived.
#[derive(Debug, Clone)]
pub struct Accounting {
    timing: Timing,
    is_up: bool,
    has_run: bool,
    retry_it: u32,
    /// SMTP_CHECK: the first check retries too, and counts as run only once it succeeds or
    /// changes the state (check_smtp.c resets its retries at each round).
    retry_first: bool,
}

impl Accounting {
    pub fn new(timing: Timing) -> Self {
        Accounting {
            timing,
            is_up: !timing.alpha,
            has_run: false,
            retry_it: timing.retry,
            retry_first: false,
        }
    }

    /// SMTP_CHECK's accounting: no decisive first check; until it has succeeded or changed the
    /// state once, its failures are retried and logged as an up checker's.
    pub fn retrying_first_check(mut self) -> Self {
        if !self.has_run {
            self.retry_it = 0;
        }
        self.retry_first = true;
        self
    }

    /// Carry on after a reload from a known state: no first-check decisiveness.
    pub fn resume(timing: Timing, up: bool) -> Self {
        Accounting {
            timing,
            is_up: up,
            has_run: true,
            retry_it: 0,
            retry_first: false,
        }
    }

    pub fn timing(&self) -> &Timing {
        &self.timing
    }

    pub fn is_up(&self) -> bool {
        self.is_up
    }

    /// Whether a failure now should be logged when `log_all_failures` is set (keepalived logs
    /// each failure only while the checker is still up).
    pub fn logs_failures(&self) -> bool {
        self.is_up || (self.retry_first && !self.has_run)
    }

    /// Delay before the first check: keepalived waits a random part of `warmup`;
    /// `fraction` in [0, 1) is that random part, so tests can pick it.
    pub fn first_delay(&self, fraction: f64) -> Duration {
        self.timing.warmup.mul_f64(fraction.clamp(0.0, 1.0))
    }

    /// Failures counted towards `retry` since the last success or transition (after a failure
    /// that leaves the checker up: 1 for the regular check, 2 for the first retry, ...).
    pub fn retry_it(&self) -> u32 {
        self.retry_it
    }

    /// Account one check's result.
    pub fn on_verdict(&mut self, ok: bool) -> Step {
        let t = self.timing;
        let mut next_in = t.delay_loop;
        let mut transition = None;
        let fresh = !self.has_run;
        if ok || ((self.is_up || fresh) && self.retry_it >= t.retry) {
            self.retry_it = 0;
            if ok && (!self.is_up || fresh) {
                transition = Some(Transition::Up);
                self.is_up = true;
            } else if !ok && (self.is_up || fresh) {
                transition = Some(if self.is_up {
                    Transition::Down {
                        retries: if fresh { 0 } else { t.retry },
                    }
                } else {
                    Transition::InitialDown
                });
                self.is_up = false;
            }
        } else if self.is_up || (self.retry_first && fresh) {
            next_in = t.delay_before_retry;
            self.retry_it += 1;
        }
        if !self.retry_first || ok || transition.is_some() {
            self.has_run = true;
        }
        Step {
            transition,
            next_in,
        }
    }
}

/// HTTP_GET / SSL_GET accounting: keepalived checks one url per run, moving to the next url
/// after each success, and a real server is up only after a full pass over every url. When a url
/// fails past its retries the checker is down and keeps checking that url (every
/// max(delay_before_retry, delay_loop)); once it answers, a new full pass starts.
#[derive(Debug, Clone)]
pub struct UrlAccounting {
    timing: Timing,
    urls: usize,
    url: usize,
    failed_url: Option<usize>,
    fast_recovery: bool,
    is_up: bool,
    has_run: bool,
    retry_it: u32,
}

impl UrlAccounting {
    pub fn new(timing: Timing, urls: usize, fast_recovery: bool) -> Self {
        UrlAccounting {
            timing,
            urls: urls.max(1),
            url: 0,
            failed_url: None,
            fast_recovery,
            is_up: !timing.alpha,
            has_run: false,
            retry_it: timing.retry,
        }
    }

    /// Carry on after a reload from a known state; a down checker retries from the first url.
    pub fn resume(timing: Timing, urls: usize, fast_recovery: bool, up: bool) -> Self {
        let mut a = UrlAccounting::new(timing, urls, fast_recovery);
        a.is_up = up;
        a.has_run = true;
        a.retry_it = 0;
        a.failed_url = (!up).then_some(0);
        a
    }

    pub fn timing(&self) -> &Timing {
        &self.timing
    }

    pub fn is_up(&self) -> bool {
        self.is_up
    }

    /// Which url (index into the checker's urls) the next run checks.
    pub fn current_url(&self) -> usize {
        self.url
    }

    pub fn first_delay(&self, fraction: f64) -> Duration {
        self.timing.warmup.mul_f64(fraction.clamp(0.0, 1.0))
    }

    pub fn on_verdict(&mut self, ok: bool) -> Step {
        let t = self.timing;
        let mut transition = None;
        let next_in;
        if ok {
            self.retry_it = 0;
            if self.failed_url.take().is_some() {
                // The failed url answers again: start a full pass from the first url.
                self.url = 0;
            } else {
                self.url += 1;
                if self.url >= self.urls {
                    self.url = 0;
                    if !self.is_up || !self.has_run {
                        transition = Some(Transition::Up);
                        self.is_up = true;
                        self.has_run = true;
                    }
                }
            }
            if !self.has_run {
                // Until the first full pass, any failure is decisive.
                self.retry_it = t.retry;
            }
            next_in = t.delay_loop;
        } else {
            if self.is_up || !self.has_run {
                let fresh = !self.has_run;
                self.has_run = true;
                self.retry_it += 1;
                if self.retry_it > t.retry {
                    // An alpha checker's first failure changes nothing and announces nothing:
                    // keepalived marks the check as run before it asks whether the checker was up
                    // or had not run (check_http.c's timeout_epilog).
                    transition = self.is_up.then_some(Transition::Down {
                        retries: if fresh { 0 } else { t.retry },
                    });
                    self.is_up = false;
                    self.failed_url = Some(self.url);
                }
            }
            next_in = if self.failed_url.is_some() {
                t.delay_before_retry.max(t.delay_loop)
            } else {
                t.delay_before_retry
            };
        }
        let recovering = !self.has_run || (!self.is_up && self.failed_url.is_none());
        Step {
            transition,
            next_in: if self.fast_recovery && recovering {
                Duration::ZERO
            } else {
                next_in
            },
        }
    }
}
