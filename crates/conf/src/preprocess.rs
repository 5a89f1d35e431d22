//! keepalived 2.2.7's line reader: `include` (globs, include_check), `@ID` lines, `$NAME`
//! parameters (multi-line, nested, predefined), `~SEQ`/`~LST` generators and the brace split.
//!
//! It follows the order in which keepalived's `read_line` takes text (the rest of a line after a
//! brace, then the innermost generator, then the pending lines of a multi-line parameter, then the
//! files), so that odd combinations (an include inside a `~SEQ`, a definition made by a
//! substitution) come out as keepalived reads them. Where keepalived would hang or run out of
//! memory (a parameter defined by itself, an include of itself, an endless sequence) we stop
//! with a diagnostic instead.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::rc::Rc;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::diag::{Diagnostic, Diagnostics};
use crate::lex::{self, Line, Text, brace_split, decomment, is_blank, split_words};
use crate::source::{FileId, SourceMap, Span};

/// keepalived reads lines into a buffer of this size (`MAXBUF`): longer lines come in pieces, and
/// a substitution may not make a line reach it.
const MAXBUF: usize = 1024;
/// Substitutions allowed on one line before we call it endless (keepalived loops forever).
const MAX_SUBSTITUTIONS: usize = 10_000;
/// Nested includes allowed (keepalived stops only when it runs out of file descriptors).
pub const MAX_INCLUDE_DEPTH: usize = 64;
/// Brace alternatives one include pattern may expand to.
const MAX_ALTERNATIVES: usize = 4096;
/// Lines the reader may produce by default (after `~SEQ`, `~LST` and multi-line parameters).
pub const DEFAULT_MAX_LINES: usize = 5_000_000;

const INCLUDE_R: u8 = 0x01;
const INCLUDE_M: u8 = 0x02;
const INCLUDE_W: u8 = 0x04;
const INCLUDE_B: u8 = 0x08;
const INCLUDE_ALL: u8 = INCLUDE_R | INCLUDE_M | INCLUDE_W | INCLUDE_B;

/// How the reader behaves (from [`crate::LoadOptions`]).
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// The config id `@ID` lines are compared with; `None` means the short host name.
    pub config_id: Option<String>,
    /// keepalived's `-e/--all-config`: every include check on from the start.
    pub all_config: bool,
    /// Seed for `${_RANDOM}` (reproducible tests); `None` seeds from the OS.
    pub random_seed: Option<u64>,
    /// Stop after this many lines (`None`: [`DEFAULT_MAX_LINES`]).
    pub max_lines: Option<usize>,
    /// Only files under this directory may be included (tests and fuzzing); others count as missing.
    pub include_root: Option<PathBuf>,
}

/// What reading produced.
#[derive(Debug, Default)]
pub struct Output {
    pub lines: Vec<Line>,
    /// A file problem that keepalived treats as fatal for the whole load (an include the
    /// include checks require is missing or unreadable): keepalived exits 6 without running.
    pub file_error: bool,
}

/// Where the reader puts each line as it is made: a vector ([`read_file`], [`read_str`]) or
/// straight into the block tree ([`crate::tree::Builder`]), so that a large file's lines are
/// never all held at once.
pub trait Lines {
    /// The main file is `bytes` long (a hint, before the first line).
    fn expect(&mut self, bytes: usize) {
        let _ = bytes;
    }
    fn line(&mut self, line: Line);
}

impl Lines for Vec<Line> {
    fn expect(&mut self, bytes: usize) {
        // About one line per 16 bytes: growing a vector of 100,000 lines step by step costs
        // copies and wakes the allocator's consolidation each time.
        self.reserve(bytes / 16);
    }

    fn line(&mut self, line: Line) {
        self.push(line);
    }
}

/// Reads `path` (and everything it includes).
pub fn read_file(
    path: &Path,
    opts: &Options,
    sources: &mut SourceMap,
    diags: &mut Diagnostics,
) -> Output {
    let mut lines = Vec::new();
    let file_error = read_file_into(path, opts, sources, diags, &mut lines);
    Output { lines, file_error }
}

/// [`read_file`] handing each line to `sink`; returns [`Output::file_error`].
pub fn read_file_into(
    path: &Path,
    opts: &Options,
    sources: &mut SourceMap,
    diags: &mut Diagnostics,
    sink: &mut impl Lines,
) -> bool {
    let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("/"));
    let mut r = Reader::new(opts, sources, diags, cwd);
    r.open_main(path);
    r.run(sink)
}

/// Reads configuration text held in memory; `name` is what diagnostics call it, and relative
/// includes are resolved from its directory.
pub fn read_str(
    name: &str,
    text: &str,
    opts: &Options,
    sources: &mut SourceMap,
    diags: &mut Diagnostics,
) -> Output {
    let mut lines = Vec::new();
    let file_error = read_str_with(name, text, opts, sources, diags, true, &mut lines);
    Output { lines, file_error }
}

/// [`read_str`] handing each line to `sink`; returns [`Output::file_error`].
pub fn read_str_into(
    name: &str,
    text: &str,
    opts: &Options,
    sources: &mut SourceMap,
    diags: &mut Diagnostics,
    sink: &mut impl Lines,
) -> bool {
    read_str_with(name, text, opts, sources, diags, true, sink)
}

fn read_str_with(
    name: &str,
    text: &str,
    opts: &Options,
    sources: &mut SourceMap,
    diags: &mut Diagnostics,
    plain: bool,
    sink: &mut impl Lines,
) -> bool {
    let mut r = Reader::new(opts, sources, diags, start_dir(Path::new(name)));
    r.plain = plain;
    let id = r.sources.add(PathBuf::from(name), text.to_string(), None);
    r.stack.push(Glob {
        include_type: INCLUDE_R | INCLUDE_M | INCLUDE_W,
        saved_check: r.include_check,
        matches: Vec::new(),
        main_name: None,
        next: 0,
        from: None,
        cur: Some(OpenFile {
            id,
            pos: 0,
            line: 1,
            col: 1,
            saved_cwd: None,
            key: PathBuf::from(name),
            reported_nul: false,
            reported_long: false,
        }),
    });
    r.run(sink)
}

/// The directory relative includes of `file` start from.
fn start_dir(file: &Path) -> PathBuf {
    let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("/"));
    let abs = cwd.join(file);
    match abs.parent() {
        Some(d) if file.components().count() > 1 => physical(d),
        _ => cwd,
    }
}

/// A directory as `getcwd` would name it after a `chdir` into it.
fn physical(dir: &Path) -> PathBuf {
    std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf())
}

/// The configuration id keepalived uses by default: the host name up to its first dot.
pub fn default_config_id() -> String {
    hostname::get()
        .map(|h| {
            h.to_string_lossy()
                .split('.')
                .next()
                .unwrap_or("")
                .to_string()
        })
        .unwrap_or_default()
}

/// One include (a glob with its matches), as keepalived keeps them on its include stack.
struct Glob {
    include_type: u8,
    /// include_check when the include was read: restored when each of its files ends.
    saved_check: u8,
    /// Absolute paths.
    matches: Vec<PathBuf>,
    /// For the main file: the name it was given, which diagnostics use.
    main_name: Option<PathBuf>,
    next: usize,
    /// The include line.
    from: Option<Span>,
    cur: Option<OpenFile>,
}

struct OpenFile {
    id: FileId,
    /// Byte offset of the next piece to read.
    pos: usize,
    line: u32,
    /// Column (in characters) the next piece starts at: >1 inside a line longer than MAXBUF.
    col: u32,
    /// The directory to go back to when this file ends.
    saved_cwd: Option<PathBuf>,
    /// What include loops are recognised by.
    key: PathBuf,
    reported_nul: bool,
    reported_long: bool,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Builtin {
    Pwd,
    Instance,
    Random,
}

#[derive(Clone)]
struct Def {
    value: Rc<Text>,
    multiline: bool,
    builtin: Option<Builtin>,
    max_params: u8,
}

/// The lines of a multi-line parameter still to be read.
#[derive(Clone)]
struct Pending {
    value: Rc<Text>,
    pos: usize,
}

enum Gen {
    Seq {
        var: Vec<u8>,
        span: Span,
        next: i64,
        step: i64,
        last: i64,
        hex: bool,
    },
    Lst {
        params: Vec<Vec<u8>>,
        sets: Vec<Vec<Vec<u8>>>,
        idx: usize,
        span: Span,
    },
}

struct Generator {
    kind: Gen,
    text: Text,
}

enum Subst {
    None,
    Done,
    /// Would pass MAXBUF: keepalived keeps the line as substituted so far.
    TooLong,
    Endless,
}

struct Reader<'a> {
    sources: &'a mut SourceMap,
    diags: &'a mut Diagnostics,
    config_id: String,
    include_check: u8,
    stack: Vec<Glob>,
    cwd: PathBuf,
    include_root: Option<PathBuf>,
    residue: Option<Text>,
    gens: Vec<Generator>,
    pending: Option<Pending>,
    pending_stack: Vec<(Pending, usize)>,
    /// Generators below this depth wait until the multi-line parameter being read is done.
    seq_depth: usize,
    defs: HashMap<Vec<u8>, Def>,
    /// The multi-line definition whose lines are being collected.
    defining: Option<Vec<u8>>,
    rng: StdRng,
    budget: usize,
    max_lines: usize,
    file_error: bool,
    // Where we are in the block structure, for `include_check` inside global_defs.
    depth: usize,
    last_top: String,
    block_top: String,
    /// Whether plain lines take the fast path (tests turn it off to compare both ways).
    plain: bool,
}

fn hostname_or(opts: &Options) -> String {
    opts.config_id.clone().unwrap_or_else(default_config_id)
}

impl<'a> Reader<'a> {
    fn new(
        opts: &Options,
        sources: &'a mut SourceMap,
        diags: &'a mut Diagnostics,
        cwd: PathBuf,
    ) -> Self {
        let max_lines = opts.max_lines.unwrap_or(DEFAULT_MAX_LINES);
        let mut defs = HashMap::new();
        let builtin = |b: Option<Builtin>, v: &str, max_params: u8| Def {
            value: Rc::new(Text::uniform(v.as_bytes(), Span::default())),
            multiline: false,
            builtin: b,
            max_params,
        };
        defs.insert(b"_PWD".to_vec(), builtin(Some(Builtin::Pwd), "", 0));
        defs.insert(
            b"_INSTANCE".to_vec(),
            builtin(Some(Builtin::Instance), "", 0),
        );
        defs.insert(b"_RANDOM".to_vec(), builtin(Some(Builtin::Random), "", 2));
        defs.insert(b"_HASH".to_vec(), builtin(None, "#", 0));
        defs.insert(b"_BANG".to_vec(), builtin(None, "!", 0));
        Reader {
            sources,
            diags,
            config_id: hostname_or(opts),
            include_check: if opts.all_config { INCLUDE_ALL } else { 0 },
            stack: Vec::new(),
            cwd,
            include_root: opts.include_root.clone(),
            residue: None,
            gens: Vec::new(),
            pending: None,
            pending_stack: Vec::new(),
            seq_depth: 0,
            defs,
            defining: None,
            rng: match opts.random_seed {
                Some(s) => StdRng::seed_from_u64(s),
                None => StdRng::from_os_rng(),
            },
            budget: max_lines,
            max_lines,
            file_error: false,
            depth: 0,
            last_top: String::new(),
            block_top: String::new(),
            plain: true,
        }
    }

    /// Reads every line into `sink`; returns whether a file error makes the load fail.
    fn run(mut self, sink: &mut impl Lines) -> bool {
        let text_len = self
            .stack
            .last()
            .and_then(|g| g.cur.as_ref())
            .and_then(|c| self.sources.file(c.id))
            .map_or(0, |f| f.text.len());
        sink.expect(text_len.min(self.budget.saturating_mul(16)));
        let mut words = Vec::new();
        let mut made = Vec::new();
        loop {
            if self.plain_line(sink, &mut words, &mut made) {
                continue;
            }
            let Some(buf) = self.read_line() else {
                break;
            };
            let (words, open_quote) = split_words(&buf);
            if let Some(q) = open_quote {
                self.unterminated_quote(q);
            }
            if words.is_empty() {
                continue;
            }
            let line = Line::new(words, &buf.lossy());
            self.track(&line);
            sink.line(line);
        }
        self.file_error
    }

    /// Reads the next physical line straight into [`Line`]s when nothing but blanks and the
    /// brace split applies to it (see [`lex::plain_lines`]) and the reader is in its plain state
    /// (no generator, parameter, definition or brace rest under way, no include on the line,
    /// budget enough). `false`, with nothing consumed, sends the line the general way; both
    /// ways give the same lines, spans and budget.
    fn plain_line(
        &mut self,
        sink: &mut impl Lines,
        words: &mut Vec<lex::Word>,
        made: &mut Vec<Line>,
    ) -> bool {
        if !self.plain
            || self.residue.is_some()
            || !self.gens.is_empty()
            || self.pending.is_some()
            || self.defining.is_some()
        {
            return false;
        }
        let Some(cur) = self.stack.last_mut().and_then(|g| g.cur.as_mut()) else {
            return false;
        };
        if cur.col != 1 {
            return false;
        }
        let Some(file) = self.sources.file(cur.id) else {
            return false;
        };
        let Some(rest) = file.text.get(cur.pos..) else {
            return false;
        };
        made.clear();
        let Some(n) =
            lex::plain_lines(rest, MAXBUF - 1, cur.id, cur.line, self.budget, words, made)
        else {
            return false;
        };
        cur.pos += n + 1;
        cur.line += 1;
        self.budget -= made.len();
        for l in made.drain(..) {
            self.track(&l);
            sink.line(l);
        }
        true
    }

    fn unterminated_quote(&mut self, at: Span) {
        self.diags.push(
            Diagnostic::error(Some(at), "this quote is never closed")
                .help("add the closing `\"` on the same line (a quoted string cannot span lines)")
                .note("keepalived reports the line and drops the words from the quote on"),
        );
    }

    /// Follows the block structure far enough to apply `include_check` where keepalived does.
    fn track(&mut self, line: &Line) {
        match line.brace {
            Some(b) if b.open => {
                if self.depth == 0 {
                    self.block_top = self.last_top.clone();
                }
                self.depth += 1;
                return;
            }
            Some(_) => {
                self.depth = self.depth.saturating_sub(1);
                return;
            }
            None => {}
        }
        let words = line.words.as_slice();
        let Some(first) = words.first() else {
            return;
        };
        if first.is_open() {
            if self.depth == 0 {
                self.block_top = self.last_top.clone();
            }
            self.depth += 1;
        } else if first.is_close() {
            self.depth = self.depth.saturating_sub(1);
        } else if self.depth == 0 {
            self.last_top = first.text.to_string();
        } else if self.depth == 1
            && self.block_top == "global_defs"
            && first.text == "include_check"
        {
            self.include_check_set(&words[1..]);
        }
    }

    /// `include_check [[+|-]read|match|wildcard_match|brace_match ...]` (bad words are the
    /// global_defs reader's to report).
    fn include_check_set(&mut self, args: &[lex::Word]) {
        if args.is_empty() {
            self.include_check = INCLUDE_ALL;
            return;
        }
        for (i, w) in args.iter().enumerate() {
            let (mode, name) = match w.text.as_bytes().first() {
                Some(b'-') => (-1, &w.text[1..]),
                Some(b'+') => (1, &w.text[1..]),
                _ => {
                    if i != 0 {
                        continue;
                    }
                    self.include_check = 0;
                    (0, w.text.as_str())
                }
            };
            let flag = match name {
                "read" => INCLUDE_R,
                "match" => INCLUDE_M,
                "wildcard_match" => INCLUDE_W,
                "brace_match" => INCLUDE_B,
                _ => 0,
            };
            if flag != 0 {
                match mode {
                    0 => self.include_check = INCLUDE_R | flag,
                    1 => self.include_check |= flag,
                    _ => self.include_check &= !flag,
                }
            }
        }
    }

    // ---------------------------------------------------------------- the line loop

    /// The next line keepalived's parser would see, or `None` at the end.
    fn read_line(&mut self) -> Option<Text> {
        loop {
            let mut buf = if let Some(r) = self.residue.take() {
                r
            } else if !self.gens.is_empty() && self.gens.len() > self.seq_depth {
                self.next_generated()
            } else if self.pending.is_some() {
                self.next_pending()
            } else {
                self.next_physical()?
            };
            if self.budget == 0 {
                self.out_of_budget(buf.at.first().copied());
                return None;
            }
            self.budget -= 1;

            if self.defining.is_some() {
                self.extend_definition(buf);
                continue;
            }
            if buf.is_empty() {
                continue;
            }
            self.preprocess(&mut buf);
            if buf.is_empty() || self.check_include(&buf) {
                continue;
            }
            self.residue = brace_split(&mut buf);
            return Some(buf);
        }
    }

    fn out_of_budget(&mut self, at: Option<Span>) {
        self.diags.push(
            Diagnostic::fatal(
                at,
                format!(
                    "the configuration expands to more than {} lines; reading stopped here",
                    self.max_lines
                ),
            )
            .help("check the ranges of `~SEQ`/`~LST` lines and parameters that refer to themselves")
            .note("keepalived would keep going until it runs out of time or memory"),
        );
        self.stack.clear();
        self.gens.clear();
        self.pending = None;
        self.pending_stack.clear();
        self.residue = None;
    }

    /// `@ID` / `@^ID`, `$NAME=...`, `~SEQ`/`~LST` and parameter substitution, repeated while a
    /// substitution produces another `@` line or leaves a `$`. Clears `buf` when the line is used up.
    fn preprocess(&mut self, buf: &mut Text) {
        let mut count = 0usize;
        // keepalived measures the line once, before substitutions, and strips an `@ID` prefix
        // with that length even after a substitution changed the line.
        let mut stale_len = buf.len();
        loop {
            if buf.bytes.first() == Some(&b'@') && !self.conditional(buf, &mut stale_len) {
                buf.truncate(0);
                return;
            }
            if buf.bytes.first() == Some(&b'$') && self.check_definition(buf) {
                buf.truncate(0);
                return;
            }
            if buf.bytes.starts_with(b"~SEQ") || buf.bytes.starts_with(b"~LST") {
                self.add_generator(buf);
                buf.truncate(0);
                return;
            }
            if buf.bytes.first() == Some(&b'~') || !buf.bytes.contains(&b'$') {
                return;
            }
            let mut pending = self.pending.take();
            let r = self.substitute(buf, MAXBUF, &mut pending, &mut count);
            self.pending = pending;
            match r {
                Subst::None => return,
                Subst::TooLong => {
                    self.diags.push(
                        Diagnostic::advice(
                            Some(buf.span(0, buf.len())),
                            "substituting parameters here would make the line reach 1024 characters",
                        )
                        .note("keepalived stops substituting and keeps the line as it is at that point"),
                    );
                    return;
                }
                Subst::Endless => {
                    self.diags.push(
                        Diagnostic::fatal(
                            Some(buf.span(0, buf.len())),
                            "parameter substitution on this line never ends",
                        )
                        .help("a parameter refers to itself, directly or through others; give it a value that does not")
                        .note("keepalived 2.2.7 loops forever on this line"),
                    );
                    buf.truncate(0);
                    return;
                }
                Subst::Done => {}
            }
            if let Some(q) = decomment(buf).open_quote {
                self.unterminated_quote(q);
            }
            if !(buf.bytes.first() == Some(&b'@') || buf.bytes.contains(&b'$')) {
                return;
            }
        }
    }

    /// Applies an `@ID`/`@^ID` prefix: `false` drops the line, `true` keeps it without the prefix.
    fn conditional(&mut self, buf: &mut Text, stale_len: &mut usize) -> bool {
        let negate = buf.bytes.get(1) == Some(&b'^');
        let from = if negate { 2 } else { 1 };
        let Some(sp) = buf.bytes[from..].iter().position(|&b| is_blank(b)) else {
            return false;
        };
        let id = &buf.bytes[from..from + sp];
        let mismatch = id != self.config_id.as_bytes();
        if mismatch != negate {
            return false;
        }
        let k = from
            + sp
            + buf.bytes[from + sp..]
                .iter()
                .take_while(|b| is_blank(**b))
                .count();
        *stale_len = stale_len.wrapping_sub(k);
        let moved = stale_len.wrapping_add(1);
        if k.checked_add(moved).is_none_or(|end| end > buf.len()) {
            buf.drain_front(k);
        } else {
            // The line end was not moved: the old text after the moved part stays.
            let mut out = buf.slice(k, k + moved);
            let tail = buf.slice(moved, buf.len());
            out.bytes.extend_from_slice(&tail.bytes);
            out.at.extend_from_slice(&tail.at);
            *buf = out;
        }
        true
    }

    // ---------------------------------------------------------------- where text comes from

    fn next_physical(&mut self) -> Option<Text> {
        loop {
            let top = self.stack.last_mut()?;
            let Some(cur) = top.cur.as_mut() else {
                self.stack.pop();
                continue;
            };
            let text = self
                .sources
                .file(cur.id)
                .map(|f| f.text.as_bytes())
                .unwrap_or(&[]);
            if cur.pos >= text.len() {
                self.end_file();
                continue;
            }
            let rest = &text[cur.pos..];
            let limit = rest.len().min(MAXBUF - 1);
            let (piece_len, ends_line) = match rest[..limit].iter().position(|&b| b == b'\n') {
                Some(n) => (n + 1, true),
                None => (limit, false),
            };
            let piece = &rest[..piece_len];
            let (id, line, col) = (cur.id, cur.line, cur.col);
            cur.pos += piece_len;
            if ends_line {
                cur.line += 1;
                cur.col = 1;
            } else {
                let chars = piece.iter().filter(|&&b| b & 0xC0 != 0x80).count() as u32;
                cur.col = cur.col.saturating_add(chars);
            }
            let mut content = if ends_line {
                &piece[..piece_len - 1]
            } else {
                piece
            };
            let mut note_nul = false;
            if let Some(z) = content.iter().position(|&b| b == 0) {
                content = &content[..z];
                note_nul = !cur.reported_nul;
                cur.reported_nul = true;
            }
            let note_long = !ends_line && piece_len == MAXBUF - 1 && !cur.reported_long;
            if note_long {
                cur.reported_long = true;
            }
            while let Some(&(b'\n' | b'\r')) = content.last() {
                content = &content[..content.len() - 1];
            }
            let mut t = Text::from_source(content, id, line, col);
            if note_nul {
                self.diags.push(
                    Diagnostic::advice(
                        Some(Span::new(id, line, col, 1)),
                        "this line holds a NUL byte; keepalived ignores the rest of the line after it",
                    )
                    .help("remove the NUL byte"),
                );
            }
            if note_long {
                self.diags.push(
                    Diagnostic::advice(
                        Some(Span::new(id, line, col, 1)),
                        "this line is longer than 1023 bytes; keepalived reads it in 1023-byte pieces, each as a line of its own",
                    )
                    .help("split it (a multi-line parameter can carry long text)"),
                );
            }
            if t.is_empty() {
                if self.defining.is_some() {
                    self.end_definition();
                }
                continue;
            }
            if let Some(q) = decomment(&mut t).open_quote {
                self.unterminated_quote(q);
            }
            if t.is_empty() {
                continue;
            }
            return Some(t);
        }
    }

    fn next_pending(&mut self) -> Text {
        let Some(p) = self.pending.as_mut() else {
            return Text::default();
        };
        let v = Rc::clone(&p.value);
        let from = p.pos.min(v.len());
        match v.bytes[from..].iter().position(|&b| b == b'\n') {
            Some(n) => {
                p.pos = from + n + 1;
                v.slice(from, from + n)
            }
            None => {
                match self.pending_stack.pop() {
                    Some((outer, depth)) => {
                        self.pending = Some(outer);
                        self.seq_depth = depth;
                    }
                    None => {
                        self.pending = None;
                        self.seq_depth = 0;
                    }
                }
                v.slice(from, v.len())
            }
        }
    }

    fn next_generated(&mut self) -> Text {
        let Some(g) = self.gens.last_mut() else {
            return Text::default();
        };
        let text = g.text.clone();
        let mut sets: Vec<(Vec<u8>, Vec<u8>, Span)> = Vec::new();
        let done = match &mut g.kind {
            Gen::Seq {
                var,
                span,
                next,
                step,
                last,
                hex,
            } => {
                let v = if *hex {
                    format!("{:x}", *next as u64)
                } else {
                    next.to_string()
                };
                sets.push((var.clone(), v.into_bytes(), *span));
                *next = next.wrapping_add(*step);
                (*step > 0 && *next > *last) || (*step < 0 && *next < *last)
            }
            Gen::Lst {
                params,
                sets: values,
                idx,
                span,
            } => {
                if let Some(set) = values.get(*idx) {
                    for (p, v) in params.iter().zip(set.iter()) {
                        sets.push((p.clone(), v.clone(), *span));
                    }
                }
                *idx += 1;
                *idx >= values.len()
            }
        };
        if done {
            self.gens.pop();
        }
        for (name, value, span) in sets {
            self.set_definition(&name, &value, span);
        }
        text
    }

    // ---------------------------------------------------------------- parameters

    /// keepalived's `set_definition`: used for ~SEQ/~LST variables.
    fn set_definition(&mut self, name: &[u8], value: &[u8], span: Span) {
        let v = Rc::new(Text::uniform(value, span));
        match self.defs.get_mut(name) {
            Some(d) => {
                d.value = v;
                d.builtin = None;
                d.multiline = false;
            }
            None => {
                self.defs.insert(
                    name.to_vec(),
                    Def {
                        value: v,
                        multiline: false,
                        builtin: None,
                        max_params: 0,
                    },
                );
            }
        }
    }

    /// `$NAME=value` (value ending in `\` starts a multi-line definition). `false` if the line is
    /// not a definition.
    fn check_definition(&mut self, buf: &Text) -> bool {
        let b = &buf.bytes;
        if !b
            .get(1)
            .is_some_and(|&c| c.is_ascii_alphabetic() || c == b'_')
        {
            return false;
        }
        let mut eq = 2;
        loop {
            match b.get(eq) {
                None => return false,
                Some(b'=') => break,
                Some(c) if c.is_ascii_alphanumeric() || *c == b'_' => eq += 1,
                Some(_) => return false,
            }
        }
        let name = b[1..eq].to_vec();
        let start = eq + 1 + b[eq + 1..].iter().take_while(|c| is_blank(**c)).count();
        let mut value = buf.slice(start.min(b.len()), b.len());
        let multiline = value.bytes.last() == Some(&b'\\');
        if multiline {
            let Some(slash) = value.at.last().copied() else {
                return false;
            };
            value.truncate(value.len() - 1);
            let keep = value.len()
                - value
                    .bytes
                    .iter()
                    .rev()
                    .take_while(|c| is_blank(**c))
                    .count();
            value.truncate(keep);
            if !value.is_empty() {
                value.push(b'\n', slash);
            }
        }
        let v = Rc::new(value);
        match self.defs.get_mut(&name) {
            Some(d) => {
                d.value = v;
                d.builtin = None;
                d.multiline = multiline;
            }
            None => {
                self.defs.insert(
                    name.clone(),
                    Def {
                        value: v,
                        multiline,
                        builtin: None,
                        max_params: 0,
                    },
                );
            }
        }
        if multiline {
            self.defining = Some(name);
        }
        true
    }

    /// A line of a multi-line definition.
    fn extend_definition(&mut self, mut buf: Text) {
        let Some(name) = self.defining.clone() else {
            return;
        };
        let mut more = false;
        if buf.bytes.last() == Some(&b'\\') {
            let slash = buf.at[buf.len() - 1];
            buf.truncate(buf.len() - 1);
            let keep = buf.len() - buf.bytes.iter().rev().take_while(|c| is_blank(**c)).count();
            buf.truncate(keep);
            buf.push(b'\n', slash);
            more = true;
        } else {
            self.end_definition();
        }
        if (buf.len() >= 2 || (!buf.is_empty() && !more))
            && let Some(d) = self.defs.get_mut(&name)
        {
            let v = Rc::make_mut(&mut d.value);
            v.bytes.extend_from_slice(&buf.bytes);
            v.at.extend_from_slice(&buf.at);
        }
    }

    fn end_definition(&mut self) {
        if let Some(name) = self.defining.take()
            && let Some(d) = self.defs.get_mut(&name)
            && d.value.is_empty()
        {
            d.multiline = false;
        }
    }

    /// keepalived's `replace_param`: every `$NAME`, `${NAME}` and `${NAME params}` that names a
    /// definition is replaced in place and the text rescanned from the same place, so values
    /// may refer to other parameters. A multi-line parameter (only at the end of a line) gives its
    /// first line here and leaves the others in `pending`.
    fn substitute(
        &mut self,
        buf: &mut Text,
        max_len: usize,
        pending: &mut Option<Pending>,
        count: &mut usize,
    ) -> Subst {
        let mut multiline_ptr = pending.clone();
        let mut found = false;
        // keepalived's own idea of the length, which its shortening path gets wrong.
        let mut len_used = buf.len();
        let mut i = 0usize;
        while let Some(off) = buf.bytes[i..].iter().position(|&b| b == b'$') {
            i += off;
            if i + 1 >= buf.len() {
                break;
            }
            let Some(r) = self.find_reference(&buf.bytes, i) else {
                i += 1;
                continue;
            };
            *count += 1;
            if *count > MAX_SUBSTITUTIONS {
                return Subst::Endless;
            }
            found = true;
            let ref_span = buf.span(i, (i + r.actual_len).min(buf.len()));
            let Some(def) = self.defs.get(&r.name).cloned() else {
                i += 1;
                continue;
            };
            if def.multiline {
                if let Some(p) = multiline_ptr.take() {
                    self.pending_stack.push((p, self.seq_depth));
                }
                self.seq_depth = self.gens.len();
            }
            let full: Rc<Text> = match def.builtin {
                Some(b) => Rc::new(Text::uniform(
                    &self.builtin_value(b, &r, ref_span),
                    ref_span,
                )),
                None => Rc::clone(&def.value),
            };
            let value = if def.multiline {
                let first = full
                    .bytes
                    .iter()
                    .position(|&b| b == b'\n')
                    .unwrap_or(full.len());
                multiline_ptr = Some(Pending {
                    value: Rc::clone(&full),
                    pos: first + 1,
                });
                full.slice(0, first)
            } else {
                Text::uniform(&full.bytes, ref_span)
            };
            let l = value.len();
            let rl = r.replaced_len;
            if len_used.wrapping_add(l).wrapping_sub(rl) >= max_len {
                return Subst::TooLong;
            }
            if r.params.is_some() && l < rl {
                // keepalived moves only the text up to the end of the reference when the value is
                // shorter than a reference with parameters, so the rest of the line is left
                // behind, garbled. It is right only at the end of a line.
                let mut out = buf.slice(0, i);
                out.bytes.extend_from_slice(&value.bytes);
                out.at.extend_from_slice(&value.at);
                if i + rl < buf.len() {
                    out.push(buf.bytes[i + rl], buf.at[i + rl]);
                    let tail = buf.slice((i + l + 1).min(buf.len()), buf.len());
                    out.bytes.extend_from_slice(&tail.bytes);
                    out.at.extend_from_slice(&tail.at);
                    self.diags.push(
                        Diagnostic::advice(
                            Some(ref_span),
                            "`${_RANDOM min max}` that is not at the end of a line garbles the rest of the line in keepalived 2.2.7",
                        )
                        .help("put it at the end of the line, or in a parameter of its own: `$R=${_RANDOM 1 9}`"),
                    );
                }
                *buf = out;
            } else {
                let end = (i + rl).min(buf.len());
                buf.splice(i, end, &value);
            }
            len_used = len_used.wrapping_add(l).wrapping_sub(rl);
            if full.bytes.iter().find(|c| !is_blank(**c)) == Some(&b'~') {
                break;
            }
        }
        if found {
            *pending = multiline_ptr;
            Subst::Done
        } else {
            Subst::None
        }
    }

    /// keepalived's `find_definition` for a reference at `b[i] == '$'`.
    fn find_reference(&self, b: &[u8], i: usize) -> Option<Reference> {
        let braces = b.get(i + 1) == Some(&b'{');
        let start = if braces { i + 2 } else { i + 1 };
        let c = *b.get(start)?;
        if !(c.is_ascii_alphabetic() || c == b'_') {
            return None;
        }
        let mut end = start + 1;
        while b
            .get(end)
            .is_some_and(|c| c.is_ascii_alphanumeric() || *c == b'_')
        {
            end += 1;
        }
        let name_len = end - start;
        let mut p = end;
        let mut params: Option<(usize, usize)> = None;
        let actual_len;
        if braces {
            while let Some(&c) = b.get(p) {
                if c == b' ' {
                    p += 1;
                } else if c.is_ascii_digit() {
                    params = Some(match params {
                        Some((s, _)) => (s, p),
                        None => (p, p),
                    });
                    p += 1;
                } else {
                    break;
                }
            }
            if let Some((_, e)) = params
                && e + 1 != p
            {
                return None;
            }
            if b.get(p) != Some(&b'}') {
                return None;
            }
            actual_len = p + 1 - i;
        } else {
            match b.get(end) {
                None | Some(b' ' | b'\t' | b',' | b')') => {}
                Some(_) => return None,
            }
            actual_len = end - i;
        }
        let allow_multiline = if braces {
            end + 1 == b.len()
        } else {
            end == b.len()
        };
        let name = b[start..end].to_vec();
        let def = self.defs.get(&name)?;
        if def.multiline && !allow_multiline {
            return None;
        }
        if params.is_some() && def.max_params == 0 {
            return None;
        }
        let replaced_len = match params {
            Some((_, e)) => e + 2 - i,
            None => name_len + 1 + if braces { 2 } else { 0 },
        };
        Some(Reference {
            name,
            params: params.map(|(s, e)| b[s..=e].to_vec()),
            replaced_len,
            actual_len,
        })
    }

    fn builtin_value(&mut self, b: Builtin, r: &Reference, at: Span) -> Vec<u8> {
        match b {
            Builtin::Pwd => self.cwd.to_string_lossy().into_owned().into_bytes(),
            Builtin::Instance => self.config_id.clone().into_bytes(),
            Builtin::Random => self.random(r.params.as_deref(), at),
        }
    }

    /// `${_RANDOM [min [max]]}` as keepalived computes it, truncation to max's width included.
    fn random(&mut self, params: Option<&[u8]>, at: Span) -> Vec<u8> {
        let (mut min, mut max) = (0u64, 32767u64);
        if let Some(p) = params {
            let (a, used) = strtoul(p);
            min = a;
            if used < p.len().saturating_sub(1) {
                let (m, used2) = strtoul(&p[used..]);
                max = m;
                if used + used2 != p.len() {
                    self.diags.push(Diagnostic::advice(
                        Some(at),
                        "`${_RANDOM}` takes at most two numbers (min and max); keepalived ignores the rest",
                    ));
                }
            }
        }
        let width = (max as i64).unsigned_abs().to_string().len();
        let range = max.wrapping_sub(min).wrapping_add(1);
        let r = self.rng.random_range(0..(1u64 << 31));
        let val = if range == 0 { r } else { r % range }.wrapping_add(min) as i64;
        let mut s = val.to_string();
        s.truncate(width);
        s.into_bytes()
    }

    // ---------------------------------------------------------------- ~SEQ and ~LST

    fn add_generator(&mut self, buf: &Text) {
        let lst = buf.bytes.starts_with(b"~LST");
        let res = if lst {
            self.parse_lst(buf)
        } else {
            self.parse_seq(buf)
        };
        match res {
            Ok(g) => self.gens.push(g),
            Err(msg) => {
                let help = if lst {
                    "write `~LST(var, value, ...) text` or `~LST({var1, var2}, {v1, v2}, ...) text`"
                } else {
                    "write `~SEQ(var, end)`, `~SEQ(var, start, end)` or `~SEQ(var, start, step, end)` followed by the text to repeat"
                };
                self.diags.push(
                    Diagnostic::error(Some(buf.span(0, buf.len())), msg)
                        .help(help)
                        .note("keepalived ignores this line"),
                );
            }
        }
    }

    fn parse_seq(&mut self, buf: &Text) -> Result<Generator, String> {
        let b = &buf.bytes;
        let at = |p: usize| b.get(p).copied().unwrap_or(0);
        let invalid = || "invalid `~SEQ` line".to_string();
        let mut p = 4;
        let hex = at(p) == b'x';
        if hex {
            p += 1;
        }
        p += spn_blank(&b[p.min(b.len())..]);
        if at(p) != b'(' {
            return Err(invalid());
        }
        p += 1;
        p += spn_blank(&b[p.min(b.len())..]);
        let var = p;
        while p < b.len() && !matches!(b[p], b' ' | b'\t' | b',' | b')') {
            p += 1;
        }
        let var_end = p;
        p += spn_blank(&b[p.min(b.len())..]);
        if p >= b.len() || b[p] == b')' || var_end == var {
            return Err(invalid());
        }
        p += 1;
        p += spn_blank(&b[p.min(b.len())..]);
        let Some(close) = b[p.min(b.len())..]
            .iter()
            .position(|&c| c == b')')
            .map(|c| c + p)
        else {
            return Err("`~SEQ` without its closing `)`".into());
        };
        if close + 2 - p > 64 {
            return Err(
                "the numbers of this `~SEQ` are too long (keepalived allows 63 characters)".into(),
            );
        }
        let mut params = buf.slice(p, close + 1);
        let mut none = None;
        let mut count = 0;
        match self.substitute(&mut params, 64, &mut none, &mut count) {
            Subst::Endless => return Err("a parameter of this `~SEQ` never stops expanding".into()),
            Subst::TooLong => {
                return Err(
                    "the numbers of this `~SEQ` are too long (keepalived allows 63 characters)"
                        .into(),
                );
            }
            _ => {}
        }
        if none.is_some() {
            return Err("a `~SEQ` number is a multi-line parameter".into());
        }
        let q = &params.bytes;
        let qa = |p: usize| q.get(p).copied().unwrap_or(0);
        let (one, mut p2) = strtol(q, 0);
        p2 += spn_blank(&q[p2.min(q.len())..]);
        let (start, step, end);
        if qa(p2) == b')' {
            end = one;
            step = if end < 1 { -1 } else { 1 };
            start = if end < 0 { -1 } else { 1 };
        } else {
            if qa(p2) != b',' {
                return Err(invalid());
            }
            let (two, p3) = strtol(q, p2 + 1);
            let p3 = p3 + spn_blank(&q[p3.min(q.len())..]);
            if qa(p3) == b')' {
                start = one;
                end = two;
                step = if start <= end { 1 } else { -1 };
            } else {
                if qa(p3) != b',' {
                    return Err(invalid());
                }
                let (three, p4) = strtol(q, p3 + 1);
                let p4 = p4 + spn_blank(&q[p4.min(q.len())..]);
                if qa(p4) != b')' {
                    return Err(invalid());
                }
                start = one;
                step = two;
                end = three;
                if step == 0 || (start < end && step < 0) || (start > end && step > 0) {
                    return Err(format!("`~SEQ` from {start} by {step} never reaches {end}"));
                }
            }
        }
        if hex && (start < 0 || end < 0) {
            return Err("`~SEQx` takes only numbers that are not negative".into());
        }
        let text_from = close + 1 + spn_blank(&b[(close + 1).min(b.len())..]);
        Ok(Generator {
            kind: Gen::Seq {
                var: b[var..var_end].to_vec(),
                span: buf.span(var, var_end),
                next: start,
                step,
                last: end,
                hex,
            },
            text: buf.slice(text_from.min(b.len()), b.len()),
        })
    }

    fn parse_lst(&mut self, buf: &Text) -> Result<Generator, String> {
        let b = &buf.bytes;
        let at = |p: usize| b.get(p).copied().unwrap_or(0);
        let invalid = || "invalid `~LST` line".to_string();
        let blanks = |p: usize| spn_blank(&b[p.min(b.len())..]);
        let until = |p: usize, stop: &[u8]| {
            let mut q = p;
            while q < b.len() && !stop.contains(&b[q]) {
                q += 1;
            }
            q
        };
        let mut p = 4;
        p += blanks(p);
        if at(p) != b'(' {
            return Err(invalid());
        }
        p += 1;
        p += blanks(p);
        let mut end_char = b',';
        if at(p) == b'{' {
            end_char = b'}';
            p += 1;
            p += blanks(p);
        }
        let mut params = Vec::new();
        let mut num_vars = 0usize;
        loop {
            let var = p;
            p = until(p, b" \t,}");
            params.push(b[var..p].to_vec());
            p += blanks(p);
            if at(p) == end_char {
                break;
            }
            if at(p) != b',' {
                return Err(invalid());
            }
            p += 1 + blanks(p + 1);
            num_vars += 1;
        }
        if at(p) == b'}' {
            p += 1 + blanks(p + 1);
        }
        if at(p) != b',' {
            return Err(invalid());
        }
        p += 1;
        p += blanks(p);
        let mut sets = Vec::new();
        loop {
            let mut end_char = b',';
            if at(p) == b'{' {
                end_char = b'}';
                p += 1;
                p += blanks(p);
            }
            let mut values = Vec::new();
            let mut num_values = 0usize;
            loop {
                let v = p;
                p = until(p, b" \t,})");
                values.push(b[v..p].to_vec());
                p += blanks(p);
                if at(p) == end_char || (at(p) == b')' && end_char == b',') {
                    break;
                }
                if at(p) != b',' {
                    return Err(invalid());
                }
                p += 1 + blanks(p + 1);
                num_values += 1;
                if num_values > num_vars {
                    return Err(format!(
                        "a value set of this `~LST` has more values than the {} variable(s)",
                        num_vars + 1
                    ));
                }
            }
            while values.len() < params.len() {
                values.push(Vec::new());
            }
            sets.push(values);
            if at(p) == b'}' && end_char == b'}' {
                p += 1 + blanks(p + 1);
            }
            if at(p) == b')' {
                break;
            }
            if at(p) != b',' {
                return Err(invalid());
            }
            p += 1 + blanks(p + 1);
        }
        let text_from = (p + 1 + blanks(p + 1)).min(b.len());
        Ok(Generator {
            kind: Gen::Lst {
                params,
                sets,
                idx: 0,
                span: buf.span(0, 4),
            },
            text: buf.slice(text_from, b.len()),
        })
    }

    // ---------------------------------------------------------------- include

    /// `include`, `includer`, `includem`, `includew`, `includeb`, `includea` lines.
    fn check_include(&mut self, buf: &Text) -> bool {
        let b = &buf.bytes;
        if !b.starts_with(b"include") || b.len() <= 7 {
            return false;
        }
        let (kind, from) = if b[7].is_ascii_whitespace() || b[7] == 0x0b {
            (0, 8)
        } else if b
            .get(8)
            .is_some_and(|c| c.is_ascii_whitespace() || *c == 0x0b)
            && b"rmwba".contains(&b[7])
        {
            let k = match b[7] {
                b'r' => INCLUDE_R,
                b'a' => INCLUDE_ALL,
                b'w' => INCLUDE_R | INCLUDE_M | INCLUDE_W,
                b'm' => INCLUDE_R | INCLUDE_M,
                _ => INCLUDE_R | INCLUDE_B,
            };
            (k, 9)
        } else {
            return false;
        };
        let from = (from + spn_blank(&b[from.min(b.len())..])).min(b.len());
        let pattern = String::from_utf8_lossy(&b[from..]).into_owned();
        let span = buf.span(0, buf.len());
        self.open_glob(&pattern, kind, Some(span));
        true
    }

    fn open_main(&mut self, path: &Path) {
        let kind = INCLUDE_R | INCLUDE_M | INCLUDE_W;
        let abs = self.cwd_of_process().join(path);
        let matches = if abs.exists() {
            vec![abs]
        } else {
            let text = path.to_string_lossy().into_owned();
            if text.contains(['*', '?', '[', '{']) {
                expand(&self.cwd_of_process(), &text, None).matches
            } else {
                Vec::new()
            }
        };
        if matches.is_empty() {
            self.diags.push(
                Diagnostic::fatal(
                    None,
                    format!(
                        "cannot read configuration file {}: no such file",
                        path.display()
                    ),
                )
                .help("check the path given with -f/--use-file"),
            );
            self.file_error = true;
            return;
        }
        if matches.len() > 1 {
            self.diags.push(
                Diagnostic::error(
                    None,
                    format!(
                        "{} matches {} configuration files; they are read one after the other, starting with {}",
                        path.display(),
                        matches.len(),
                        matches[0].display()
                    ),
                )
                .note("keepalived reports this as a configuration error"),
            );
        }
        // The main file keeps the name it was given, as keepalived prints it.
        let main_name = (matches.len() == 1).then(|| path.to_path_buf());
        self.stack.push(Glob {
            include_type: kind,
            saved_check: self.include_check,
            matches,
            main_name,
            next: 0,
            from: None,
            cur: None,
        });
        if !self.open_next_match() {
            self.stack.pop();
            if self.file_error {
                return;
            }
            self.diags.push(
                Diagnostic::fatal(
                    None,
                    format!("cannot read configuration file {}", path.display()),
                )
                .help("check the path given with -f/--use-file and its permissions"),
            );
            self.file_error = true;
        }
    }

    fn cwd_of_process(&self) -> PathBuf {
        std::env::current_dir().unwrap_or_else(|_| PathBuf::from("/"))
    }

    fn open_glob(&mut self, pattern: &str, kind: u8, from: Option<Span>) {
        if self.stack.len() >= MAX_INCLUDE_DEPTH {
            self.diags.push(
                Diagnostic::error(
                    from,
                    format!("includes are nested more than {MAX_INCLUDE_DEPTH} deep; `{pattern}` is not read"),
                )
                .help("flatten the include chain"),
            );
            return;
        }
        let e = expand(&self.cwd, pattern, self.include_root.as_deref());
        if e.too_many {
            self.diags.push(
                Diagnostic::error(
                    from,
                    format!("`{pattern}` expands to more than {MAX_ALTERNATIVES} brace alternatives; it is not read"),
                ),
            );
            return;
        }
        let mask = self.include_check | kind;
        let shown = pattern_display(&self.cwd, pattern);
        if e.matches.is_empty() {
            if e.missing {
                let class = if has_brace(pattern) {
                    INCLUDE_B
                } else {
                    INCLUDE_M
                };
                self.file_problem(
                    mask,
                    class,
                    from,
                    format!("included file {shown} does not exist"),
                );
            } else if e.wildcards && mask & INCLUDE_W != 0 {
                self.file_problem(mask, INCLUDE_W, from, format!("no file matches {shown}"));
            }
            return;
        }
        if e.missing {
            self.file_problem(
                mask,
                INCLUDE_B,
                from,
                format!("some of the files {shown} names do not exist"),
            );
            if mask & INCLUDE_B != 0 {
                return;
            }
        }
        self.stack.push(Glob {
            include_type: kind,
            saved_check: self.include_check,
            matches: e.matches,
            main_name: None,
            next: 0,
            from,
            cur: None,
        });
        if !self.open_next_match() {
            self.stack.pop();
        }
    }

    /// keepalived's `file_config_error`: fatal for the whole load when the include checks in
    /// force ask for it, otherwise only reported.
    fn file_problem(&mut self, mask: u8, class: u8, at: Option<Span>, msg: String) {
        if mask & class != 0 {
            self.file_error = true;
            self.diags.push(
                Diagnostic::fatal(at, msg)
                    .help("fix the path, or use plain `include` for a file that may be absent")
                    .note("with these include checks keepalived refuses the whole configuration (exit 6)"),
            );
        } else {
            self.diags.push(
                Diagnostic::advice(at, msg)
                    .help("fix the path; `includea` or `include_check` in global_defs make this an error")
                    .note("keepalived 2.2.7 skips it and carries on"),
            );
        }
    }

    /// Opens the next readable match of the include on top of the stack.
    fn open_next_match(&mut self) -> bool {
        loop {
            let Some(top) = self.stack.last_mut() else {
                return false;
            };
            let Some(path) = top.matches.get(top.next).cloned() else {
                return false;
            };
            top.next += 1;
            let from = top.from;
            let main_name = top.main_name.clone();
            let mask = self.include_check | top.include_type;
            let abs = self.cwd.join(&path);
            let meta = std::fs::metadata(&abs);
            let shown = abs.display().to_string();
            match &meta {
                Ok(m) if m.is_dir() => {
                    self.file_problem(
                        mask,
                        INCLUDE_R,
                        from,
                        format!("{shown} is a directory; it is skipped"),
                    );
                    continue;
                }
                Ok(m) if !m.is_file() || is_executable(m) => {
                    self.file_problem(
                        mask,
                        INCLUDE_R,
                        from,
                        format!("{shown} is not a regular non-executable file; it is skipped"),
                    );
                    continue;
                }
                Ok(_) => {}
                Err(e) => {
                    self.file_problem(
                        mask,
                        INCLUDE_R,
                        from,
                        format!("cannot read {shown} ({e}); it is skipped"),
                    );
                    continue;
                }
            }
            let key = std::fs::canonicalize(&abs).unwrap_or_else(|_| abs.clone());
            if self
                .stack
                .iter()
                .any(|g| g.cur.as_ref().is_some_and(|c| c.key == key))
            {
                self.diags.push(
                    Diagnostic::error(
                        from,
                        format!("{shown} includes itself (it is already being read); the include is skipped"),
                    )
                    .help("remove the include that leads back to this file")
                    .note("keepalived 2.2.7 reads the file again and again until it runs out of file descriptors"),
                );
                continue;
            }
            let bytes = match std::fs::read(&abs) {
                Ok(b) => b,
                Err(e) => {
                    self.file_problem(
                        mask,
                        INCLUDE_R,
                        from,
                        format!("cannot read {shown} ({e}); it is skipped"),
                    );
                    continue;
                }
            };
            let text = match String::from_utf8(bytes) {
                Ok(t) => t,
                Err(e) => {
                    let t = String::from_utf8_lossy(e.as_bytes()).into_owned();
                    let bad = e.utf8_error().valid_up_to();
                    let line = t.as_bytes()[..bad.min(t.len())]
                        .iter()
                        .filter(|&&b| b == b'\n')
                        .count() as u32
                        + 1;
                    let id_next = FileId(self.sources.files().count() as u32);
                    self.diags.push(
                        Diagnostic::advice(
                            Some(Span::new(id_next, line, 1, 1)),
                            format!("{shown} is not valid UTF-8; the bytes that are not are shown as �"),
                        )
                        .note("keepalived reads the bytes as they are; names and values holding them may not mean what they show"),
                    );
                    t
                }
            };
            let display = main_name.unwrap_or_else(|| abs.clone());
            let id = self.sources.add(display, text, from);
            let saved_cwd = Some(std::mem::replace(
                &mut self.cwd,
                abs.parent()
                    .map(physical)
                    .unwrap_or_else(|| PathBuf::from("/")),
            ));
            if let Some(top) = self.stack.last_mut() {
                top.cur = Some(OpenFile {
                    id,
                    pos: 0,
                    line: 1,
                    col: 1,
                    saved_cwd,
                    key,
                    reported_nul: false,
                    reported_long: false,
                });
            }
            return true;
        }
    }

    /// The file on top ended: back to the directory and include checks of before, then the next
    /// match of the same include, or the including file.
    fn end_file(&mut self) {
        let Some(top) = self.stack.last_mut() else {
            return;
        };
        if let Some(cur) = top.cur.take()
            && let Some(d) = cur.saved_cwd
        {
            self.cwd = d;
        }
        self.include_check = top.saved_check;
        if !self.open_next_match() {
            self.stack.pop();
        }
    }
}

struct Reference {
    name: Vec<u8>,
    params: Option<Vec<u8>>,
    /// How much keepalived replaces.
    replaced_len: usize,
    /// How long the reference really is.
    actual_len: usize,
}

fn spn_blank(b: &[u8]) -> usize {
    b.iter().take_while(|c| is_blank(**c)).count()
}

/// C's `strtoul(s, &end, 10)`: the value (saturated) and how many bytes it used.
fn strtoul(s: &[u8]) -> (u64, usize) {
    let mut i = s.iter().take_while(|c| c.is_ascii_whitespace()).count();
    let digits_from = i;
    let mut v: u64 = 0;
    while let Some(d) = s.get(i).filter(|c| c.is_ascii_digit()) {
        v = v.saturating_mul(10).saturating_add((d - b'0') as u64);
        i += 1;
    }
    if i == digits_from { (0, 0) } else { (v, i) }
}

/// C's `strtol(s + from, &end, 0)`: decimal, `0x` hex or leading-zero octal, saturated. Returns
/// the value and where parsing stopped (`from` when nothing was read).
fn strtol(s: &[u8], from: usize) -> (i64, usize) {
    let at = |p: usize| s.get(p).copied().unwrap_or(0);
    let mut p = from;
    while at(p).is_ascii_whitespace() || at(p) == 0x0b {
        p += 1;
    }
    let neg = at(p) == b'-';
    if at(p) == b'-' || at(p) == b'+' {
        p += 1;
    }
    let (radix, mut q) =
        if at(p) == b'0' && (at(p + 1) | 0x20) == b'x' && at(p + 2).is_ascii_hexdigit() {
            (16, p + 2)
        } else if at(p) == b'0' {
            (8, p)
        } else {
            (10, p)
        };
    let start = q;
    let mut v: i128 = 0;
    while let Some(d) = (at(q) as char).to_digit(radix) {
        v = (v * radix as i128 + d as i128).min(i64::MAX as i128 + 1);
        q += 1;
    }
    if q == start {
        return (0, from);
    }
    let v = if neg { -v } else { v };
    (v.clamp(i64::MIN as i128, i64::MAX as i128) as i64, q)
}

fn is_executable(m: &std::fs::Metadata) -> bool {
    use std::os::unix::fs::PermissionsExt;
    m.permissions().mode() & 0o111 != 0
}

/// keepalived's `have_brace`: a `{` not escaped by `\`.
fn has_brace(p: &str) -> bool {
    let b = p.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'\\' => i += 2,
            b'{' => return true,
            _ => i += 1,
        }
    }
    false
}

fn pattern_display(cwd: &Path, pattern: &str) -> String {
    if pattern.starts_with('/') {
        pattern.to_string()
    } else {
        cwd.join(pattern).display().to_string()
    }
}

/// What a glob pattern gave: its matches (in keepalived's order: each brace alternative in turn,
/// sorted) and whether anything named was missing.
#[derive(Debug, Default)]
struct Expansion {
    matches: Vec<PathBuf>,
    /// A file named without wildcards, or a directory before the first wildcard, is missing.
    missing: bool,
    /// The pattern has wildcards.
    wildcards: bool,
    too_many: bool,
}

fn expand(cwd: &Path, pattern: &str, root: Option<&Path>) -> Expansion {
    let mut e = Expansion::default();
    let mut alts = Vec::new();
    if !brace_alternatives(pattern, &mut alts) {
        e.too_many = true;
        return e;
    }
    let opts = glob::MatchOptions {
        case_sensitive: true,
        require_literal_separator: true,
        require_literal_leading_dot: true,
    };
    for alt in alts {
        let full = if alt.starts_with('/') {
            PathBuf::from(&alt)
        } else {
            cwd.join(&alt)
        };
        let mut full_s = full.to_string_lossy().into_owned();
        // glob(3) knows no `**`: it is `*`.
        while full_s.contains("**") {
            full_s = full_s.replace("**", "*");
        }
        let outside = |p: &Path| root.is_some_and(|r| !p.starts_with(r));
        let magic = alt.contains(['*', '?', '[']);
        if !magic {
            if !outside(&full) && std::fs::symlink_metadata(&full).is_ok() {
                e.matches.push(full);
            } else {
                e.missing = true;
            }
            continue;
        }
        e.wildcards = true;
        let first_magic = full_s.find(['*', '?', '[']).unwrap_or(0);
        let dir_end = full_s[..first_magic].rfind('/').unwrap_or(0);
        let dir = if dir_end == 0 {
            "/"
        } else {
            &full_s[..dir_end]
        };
        if outside(Path::new(dir)) || !Path::new(dir).is_dir() {
            e.missing = true;
            continue;
        }
        match glob::glob_with(&full_s, opts) {
            Ok(paths) => {
                let mut found: Vec<PathBuf> = paths.filter_map(Result::ok).collect();
                found.sort_by(|a, b| {
                    a.as_os_str()
                        .as_encoded_bytes()
                        .cmp(b.as_os_str().as_encoded_bytes())
                });
                e.matches.extend(found);
            }
            Err(_) => {
                // An invalid pattern (e.g. an unclosed `[`) is taken literally, as glob(3) does.
                if !outside(&full) && std::fs::symlink_metadata(&full).is_ok() {
                    e.matches.push(full);
                }
            }
        }
    }
    e
}

/// Expands csh-style braces (`a{b,c{d,e}}f`) into `out`, alternatives in order. `false` when
/// there would be more than MAX_ALTERNATIVES.
fn brace_alternatives(p: &str, out: &mut Vec<String>) -> bool {
    let mut work = vec![p.to_string()];
    while let Some(s) = work.pop() {
        match first_brace_group(&s) {
            None => {
                out.push(s);
                if out.len() > MAX_ALTERNATIVES {
                    return false;
                }
            }
            Some((open, close, commas)) => {
                let mut parts = Vec::new();
                let mut from = open + 1;
                for c in commas.iter().copied().chain(std::iter::once(close)) {
                    parts.push(format!("{}{}{}", &s[..open], &s[from..c], &s[close + 1..]));
                    from = c + 1;
                }
                if work.len() + parts.len() + out.len() > MAX_ALTERNATIVES {
                    return false;
                }
                // Reversed so that the first alternative is expanded (and output) first.
                work.extend(parts.into_iter().rev());
            }
        }
    }
    true
}

/// The first `{...}` group (unescaped, with its top-level commas), if it is closed.
fn first_brace_group(s: &str) -> Option<(usize, usize, Vec<usize>)> {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'\\' => i += 2,
            b'{' => {
                let mut depth = 0;
                let mut commas = Vec::new();
                let mut j = i + 1;
                while j < b.len() {
                    match b[j] {
                        b'\\' => j += 1,
                        b'{' => depth += 1,
                        b'}' if depth == 0 => return Some((i, j, commas)),
                        b'}' => depth -= 1,
                        b',' if depth == 0 => commas.push(j),
                        _ => {}
                    }
                    j += 1;
                }
                return None;
            }
            _ => i += 1,
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strtol_like_c() {
        assert_eq!(strtol(b" 42)", 0), (42, 3));
        assert_eq!(strtol(b"0x1f,", 0), (31, 4));
        assert_eq!(strtol(b"010", 0), (8, 3));
        assert_eq!(strtol(b"-3", 0), (-3, 2));
        assert_eq!(strtol(b"x", 0), (0, 0));
        assert_eq!(strtol(b"0x", 0), (0, 1));
        assert_eq!(strtol(b"99999999999999999999", 0).0, i64::MAX);
    }

    #[test]
    fn braces_expand_in_order() {
        let mut v = Vec::new();
        assert!(brace_alternatives("a{b,c{d,e}}f{1,2}", &mut v));
        assert_eq!(v, ["abf1", "abf2", "acdf1", "acdf2", "acef1", "acef2"]);
        let mut v = Vec::new();
        assert!(brace_alternatives("x{,y}", &mut v));
        assert_eq!(v, ["x", "xy"]);
        let mut v = Vec::new();
        assert!(brace_alternatives("open{a,b", &mut v));
        assert_eq!(v, ["open{a,b"]);
        let mut v = Vec::new();
        assert!(!brace_alternatives(&"{a,b}".repeat(20), &mut v));
    }

    /// Reads `text` with and without the plain-line fast path: lines, words, spans, raw text and
    /// diagnostics must all be the same.
    fn both_ways(text: &str, max_lines: Option<usize>) {
        let opts = Options {
            config_id: Some("id".into()),
            random_seed: Some(1),
            max_lines,
            include_root: Some(PathBuf::from("/nonexistent-kconf-root")),
            ..Default::default()
        };
        let run = |plain: bool| {
            let mut sources = SourceMap::new();
            let mut diags = Diagnostics::new();
            let name = "/nonexistent-kconf-root/k.conf";
            let mut lines = Vec::new();
            let file_error = read_str_with(
                name,
                text,
                &opts,
                &mut sources,
                &mut diags,
                plain,
                &mut lines,
            );
            let diags: Vec<String> = diags.iter().map(|d| format!("{d:?}")).collect();
            (lines, diags, file_error)
        };
        let fast = run(true);
        let slow = run(false);
        if let Some(i) =
            (0..fast.0.len().max(slow.0.len())).find(|&i| fast.0.get(i) != slow.0.get(i))
        {
            panic!(
                "line {i} differs on {text:?}:\nfast {:?}\nslow {:?}",
                fast.0.get(i),
                slow.0.get(i)
            );
        }
        assert_eq!(fast.1, slow.1, "diagnostics differ");
        assert_eq!(fast.2, slow.2, "file errors differ");
    }

    #[test]
    fn plain_lines_read_as_the_general_reader_does() {
        both_ways("vrrp_instance VI_1 {\n    state  BACKUP \t\n}\n", None);
        both_ways("a{b}c\n{ x }\n} y {\n\n  \t \n{\n}}{{\r\nlast", None);
        both_ways("global_defs {\ninclude_check\n}\ninclude x.conf\n", None);
        both_ways("a\nb {\nc }\nd\n", Some(3));
        let bits = [
            "vrrp_instance",
            "VI_1",
            "{",
            "}",
            " ",
            "  ",
            "\t",
            "include",
            "includer",
            "x.conf",
            "global_defs",
            "include_check",
            "-read",
            "@id",
            "@^id",
            "$X",
            "$X=1 {",
            "$Y=a \\",
            "${X}",
            "\"q {\"",
            "\"",
            "!c",
            "#c",
            "\\",
            "~SEQ(i,1,2)",
            "$i",
            "é",
            "\r",
            "x{y",
            "}z",
            "\u{0b}",
            "\u{0}",
            "state",
            "BACKUP",
            "10.0.0.1/24",
        ];
        let mut rng = StdRng::seed_from_u64(7);
        let cases: usize = std::env::var("KCONF_PLAIN_CASES")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(3000);
        for case in 0..cases {
            let mut text = String::new();
            for _ in 0..rng.random_range(1..12) {
                for _ in 0..rng.random_range(0..8) {
                    text.push_str(bits[rng.random_range(0..bits.len())]);
                    if rng.random_bool(0.6) {
                        text.push(' ');
                    }
                }
                if case % 97 == 0 {
                    text.push_str(&"w ".repeat(rng.random_range(500..700)));
                }
                text.push('\n');
            }
            if rng.random_bool(0.2) {
                text.pop();
            }
            // Always a budget: generators and parameters in random text can expand a lot.
            let budget = Some(if rng.random_bool(0.3) {
                rng.random_range(0..20)
            } else {
                2000
            });
            both_ways(&text, budget);
        }
    }
}
