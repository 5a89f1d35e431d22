//! Diagnostics as a compiler prints them: severity, file:line:col, the source line with a caret,
//! a plain sentence and a suggestion; and the `keepalived -t` exit code they add up to.

use std::collections::HashSet;
use std::fmt::Write as _;

use crate::source::{SourceMap, Span};

/// How bad a problem is, in keepalived's terms (its `config_err_t` classes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// keepalived stops reading at once (a keyword missing its value: `null_strvec`), `-t` exits 2
    /// whatever else was found; the daemon refuses to start.
    Abort,
    /// keepalived cannot run this configuration (missing file, unknown interface, fatal error):
    /// `-t` exits 4 and the daemon refuses to start.
    Fatal,
    /// keepalived reports a configuration error but runs (skipping or defaulting what was wrong):
    /// `-t` exits 5.
    Error,
    /// keepalived reports it as a configuration warning: `-t` exits 5 as for errors.
    Warning,
    /// Scripts would run as root without `enable_script_security`: `-t` exits 6, even when errors
    /// were found too (keepalived reports the least severe class).
    Security,
    /// Ours only (keepalived says nothing): worth reading, does not change the exit code.
    Advice,
}

impl Severity {
    pub fn label(self) -> &'static str {
        match self {
            Severity::Abort => "error (keepalived stops here)",
            Severity::Fatal => "fatal",
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Security => "security",
            Severity::Advice => "advice",
        }
    }
}

/// One problem found in the configuration.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Diagnostic {
    pub severity: Severity,
    /// Where; `None` for problems of the whole configuration (e.g. no file given).
    pub span: Option<Span>,
    /// A plain sentence: what is wrong.
    pub message: String,
    /// What to do about it (e.g. "did you mean `virtual_ipaddress`?").
    pub help: Option<String>,
    /// What keepalived does with it (e.g. "keepalived ignores the whole block").
    pub note: Option<String>,
}

impl Diagnostic {
    pub fn new(severity: Severity, span: Option<Span>, message: impl Into<String>) -> Self {
        Diagnostic {
            severity,
            span,
            message: message.into(),
            help: None,
            note: None,
        }
    }

    pub fn abort(span: Option<Span>, message: impl Into<String>) -> Self {
        Diagnostic::new(Severity::Abort, span, message)
    }
    pub fn fatal(span: Option<Span>, message: impl Into<String>) -> Self {
        Diagnostic::new(Severity::Fatal, span, message)
    }
    pub fn error(span: Option<Span>, message: impl Into<String>) -> Self {
        Diagnostic::new(Severity::Error, span, message)
    }
    pub fn warning(span: Option<Span>, message: impl Into<String>) -> Self {
        Diagnostic::new(Severity::Warning, span, message)
    }
    pub fn security(span: Option<Span>, message: impl Into<String>) -> Self {
        Diagnostic::new(Severity::Security, span, message)
    }
    pub fn advice(span: Option<Span>, message: impl Into<String>) -> Self {
        Diagnostic::new(Severity::Advice, span, message)
    }

    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    pub fn note(mut self, note: impl Into<String>) -> Self {
        self.note = Some(note.into());
        self
    }
}

/// `keepalived -t` exit codes as keepalived 2.2.7 returns them on Debian 12.
pub mod exit {
    pub const OK: i32 = 0;
    /// keepalived stopped reading at a keyword without its value.
    pub const ABORT: i32 = 2;
    /// The configuration cannot run.
    pub const FATAL: i32 = 4;
    /// Errors, but keepalived would run it.
    pub const ERRORS: i32 = 5;
    /// Scripts configured without script security.
    pub const SECURITY: i32 = 6;
}

/// Every diagnostic of one load, each reported once.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Diagnostics {
    items: Vec<Diagnostic>,
    #[serde(skip)]
    seen: HashSet<(Option<Span>, String)>,
}

impl Diagnostics {
    pub fn new() -> Self {
        Diagnostics::default()
    }

    /// Adds a diagnostic unless the same message was already given for the same place.
    pub fn push(&mut self, d: Diagnostic) {
        if self.seen.insert((d.span, d.message.clone())) {
            self.items.push(d);
        }
    }

    /// Adds every diagnostic of `other` after these, in its order ([`Diagnostics::push`] each).
    pub fn append(&mut self, other: Diagnostics) {
        for d in other.items {
            self.push(d);
        }
    }

    pub fn iter(&self) -> impl Iterator<Item = &Diagnostic> {
        self.items.iter()
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    pub fn has(&self, severity: Severity) -> bool {
        self.iter().any(|d| d.severity == severity)
    }

    /// The exit code `keepalived -t` gives for these diagnostics. keepalived keeps the *least*
    /// severe class it was told about (the highest `config_err_t`), so script security beats
    /// errors, and errors beat fatal problems; a missing value ends the run before any of that.
    pub fn exit_code(&self) -> i32 {
        if self.has(Severity::Abort) {
            exit::ABORT
        } else if self.has(Severity::Security) {
            exit::SECURITY
        } else if self.has(Severity::Error) || self.has(Severity::Warning) {
            exit::ERRORS
        } else if self.has(Severity::Fatal) {
            exit::FATAL
        } else {
            exit::OK
        }
    }

    /// Whether the daemon may start on this configuration: nothing keepalived refuses.
    pub fn runnable(&self) -> bool {
        !self.has(Severity::Abort) && !self.has(Severity::Fatal)
    }

    /// Diagnostics in file order (then by severity), as `-t` prints them.
    pub fn sorted(&self) -> Vec<&Diagnostic> {
        let mut v: Vec<&Diagnostic> = self.iter().collect();
        v.sort_by_key(|d| (d.span.is_some(), d.span, d.severity));
        v
    }

    /// Renders every diagnostic with its source line and caret.
    pub fn render(&self, sources: &SourceMap) -> String {
        let mut out = String::new();
        for d in self.sorted() {
            render_one(&mut out, d, sources);
        }
        out
    }
}

fn render_one(out: &mut String, d: &Diagnostic, sources: &SourceMap) {
    let _ = writeln!(out, "{}: {}", d.severity.label(), d.message);
    if let Some(span) = d.span {
        let _ = writeln!(out, "  --> {}", sources.locate(span));
        if let Some(line) = sources.line(span.file, span.line) {
            let num = span.line.to_string();
            let pad = " ".repeat(num.len());
            let shown: String = line
                .chars()
                .map(|c| if c == '\t' { ' ' } else { c })
                .collect();
            let _ = writeln!(out, "{pad} |");
            let _ = writeln!(out, "{num} | {shown}");
            let caret_at = (span.col.max(1) - 1) as usize;
            let width = (span.len.max(1) as usize)
                .min(shown.chars().count().saturating_sub(caret_at).max(1));
            let _ = writeln!(out, "{pad} | {}{}", " ".repeat(caret_at), "^".repeat(width));
        }
    }
    if let Some(note) = &d.note {
        let _ = writeln!(out, "  = note: {note}");
    }
    if let Some(help) = &d.help {
        let _ = writeln!(out, "  = help: {help}");
    }
}

/// The known word nearest to `word`, if it is near enough to be a likely typo.
pub fn nearest<'a>(word: &str, known: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let mut best: Option<(&str, f64)> = None;
    let len = word.chars().count();
    for k in known {
        // Both measures are quadratic in the lengths, and the fuzzer feeds words of a megabyte.
        // A pair whose lengths differ this much can pass neither test: Damerau-Levenshtein is at
        // least the difference in length, and when one word is ten times the other, Jaro is at
        // most 0.7, where Winkler's prefix bonus does not apply and 0.85 is out of reach.
        let klen = k.chars().count();
        if len.abs_diff(klen) > (k.len() / 3).max(2) && 10 * len.min(klen) <= len.max(klen) {
            continue;
        }
        let score = strsim::jaro_winkler(word, k);
        let close = strsim::damerau_levenshtein(word, k) <= (k.len() / 3).max(2);
        if (score >= 0.85 || close) && best.is_none_or(|(_, s)| score > s) {
            best = Some((k, score));
        }
    }
    best.map(|(k, _)| k)
}
