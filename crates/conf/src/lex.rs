//! From one line of text to words, the way keepalived 2.2.7 reads them: comment stripping, quotes,
//! braces split into lines of their own, and the escaped form scripts get. Every byte keeps its span.

use std::borrow::Cow;

pub use compact_str::CompactString;

use crate::source::Span;

/// One word of a line, quotes removed.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Word {
    /// Kept inline up to 24 bytes (every word of a usual file): no allocation per word.
    pub text: CompactString,
    pub span: Span,
    /// Written in quotes (so `"{"` is a word, not a brace).
    pub quoted: bool,
}

impl Word {
    pub fn is_open(&self) -> bool {
        !self.quoted && self.text == "{"
    }
    pub fn is_close(&self) -> bool {
        !self.quoted && self.text == "}"
    }
}

/// A line's text as keepalived's keyword handlers see it (after comments, parameters and the
/// brace split), kept only when it is not simply the line's words joined by single spaces (it
/// is, for every line without quotes, escapes or runs of blanks inside: then nothing is stored).
/// Read it with [`Line::raw`] or [`crate::tree::Node::raw`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Raw(Option<Box<str>>);

impl Raw {
    /// `text` as the raw form of a line of `words`.
    pub fn new(text: &str, words: &[Word]) -> Raw {
        if joined_by_spaces(text, words) {
            Raw(None)
        } else {
            Raw(Some(text.into()))
        }
    }

    /// The raw text of a plain line's words: `single` says they are separated by exactly one
    /// space each (nothing to store).
    pub(crate) fn plain(text: &str, single: bool) -> Raw {
        if single {
            Raw(None)
        } else {
            Raw(Some(text.into()))
        }
    }

    /// The text, given the words of the line it belongs to.
    pub fn text<'a>(&'a self, words: &[Word]) -> Cow<'a, str> {
        match &self.0 {
            Some(t) => Cow::Borrowed(t),
            None => match words {
                [] => Cow::Borrowed(""),
                [w] => Cow::Owned(w.text.to_string()),
                _ => Cow::Owned(
                    words
                        .iter()
                        .map(|w| w.text.as_str())
                        .collect::<Vec<_>>()
                        .join(" "),
                ),
            },
        }
    }
}

/// Whether `text` is exactly `words` separated by one space each.
fn joined_by_spaces(text: &str, words: &[Word]) -> bool {
    let mut rest = text;
    for (i, w) in words.iter().enumerate() {
        if i > 0 {
            match rest.strip_prefix(' ') {
                Some(r) => rest = r,
                None => return false,
            }
        }
        match rest.strip_prefix(w.text.as_str()) {
            Some(r) => rest = r,
            None => return false,
        }
    }
    rest.is_empty()
}

/// One logical line of the configuration, after preprocessing: what keepalived hands a keyword.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    /// Empty when the line is a lone brace (see `brace`).
    pub words: Vec<Word>,
    /// The line's text (see [`Raw`]); script keywords re-read it with [`split_escaped`]. Empty
    /// for a brace.
    pub raw: Raw,
    /// The line is a lone unquoted `{` or `}`. The brace split makes these the commonest lines
    /// of a file, so they carry no word or text of their own (no allocation).
    pub brace: Option<Brace>,
}

/// A `{` or `}` standing as a line of its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Brace {
    pub open: bool,
    pub span: Span,
}

impl Line {
    /// A line of words; a lone unquoted brace becomes a [`Brace`] line.
    pub fn new(words: Vec<Word>, raw: &str) -> Line {
        if let [w] = words.as_slice()
            && (w.is_open() || w.is_close())
        {
            return Line::brace(w.is_open(), w.span);
        }
        Line {
            raw: Raw::new(raw, &words),
            words,
            brace: None,
        }
    }

    pub fn brace(open: bool, span: Span) -> Line {
        Line {
            words: Vec::new(),
            raw: Raw::default(),
            brace: Some(Brace { open, span }),
        }
    }

    /// The line's text as keepalived's keyword handlers see it.
    pub fn raw(&self) -> Cow<'_, str> {
        self.raw.text(&self.words)
    }
}

/// Text being preprocessed: bytes, and for each byte where it came from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Text {
    pub bytes: Vec<u8>,
    pub at: Vec<Span>,
}

impl Text {
    pub fn len(&self) -> usize {
        self.bytes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// Bytes from a physical line: column of each byte counted in characters from `first_col`.
    pub fn from_source(bytes: &[u8], file: crate::FileId, line: u32, first_col: u32) -> Text {
        let mut at = Vec::with_capacity(bytes.len());
        let mut col = first_col.saturating_sub(1);
        for &b in bytes {
            if b & 0xC0 != 0x80 {
                col = col.saturating_add(1);
            }
            at.push(Span::new(file, line, col.max(1), 1));
        }
        Text {
            bytes: bytes.to_vec(),
            at,
        }
    }

    /// Bytes that all point at one place (substituted text points at its reference).
    pub fn uniform(bytes: &[u8], span: Span) -> Text {
        Text {
            bytes: bytes.to_vec(),
            at: vec![span; bytes.len()],
        }
    }

    pub fn slice(&self, from: usize, to: usize) -> Text {
        Text {
            bytes: self.bytes[from..to].to_vec(),
            at: self.at[from..to].to_vec(),
        }
    }

    pub fn truncate(&mut self, len: usize) {
        self.bytes.truncate(len);
        self.at.truncate(len);
    }

    pub fn remove(&mut self, i: usize) {
        self.bytes.remove(i);
        self.at.remove(i);
    }

    pub fn push(&mut self, b: u8, span: Span) {
        self.bytes.push(b);
        self.at.push(span);
    }

    pub fn drain_front(&mut self, n: usize) {
        self.bytes.drain(..n);
        self.at.drain(..n);
    }

    pub fn splice(&mut self, from: usize, to: usize, with: &Text) {
        self.bytes
            .splice(from..to, with.bytes.iter().copied())
            .for_each(drop);
        self.at
            .splice(from..to, with.at.iter().copied())
            .for_each(drop);
    }

    /// The span covering bytes `from..to` (on one line), or the first byte's.
    pub fn span(&self, from: usize, to: usize) -> Span {
        let Some(first) = self.at.get(from).copied() else {
            return self.at.last().copied().unwrap_or_default();
        };
        let last = self.at.get(to.saturating_sub(1)).copied().unwrap_or(first);
        join(first, last)
    }

    pub fn lossy(&self) -> Cow<'_, str> {
        String::from_utf8_lossy(&self.bytes)
    }
}

/// One span from `a` to the end of `b` when both sit on one line in that order.
pub(crate) fn join(a: Span, b: Span) -> Span {
    if a.file == b.file && a.line == b.line && b.col + b.len >= a.col + a.len {
        Span {
            len: b.col + b.len - a.col,
            ..a
        }
    } else {
        a
    }
}

/// keepalived's `isblank`.
pub(crate) fn is_blank(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

/// keepalived's word separators.
pub(crate) fn is_white(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | 0x0c | b'\n' | b'\r' | 0x0b)
}

/// What stripping comments found wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Decommented {
    /// Where a quote opened that never closed.
    pub open_quote: Option<Span>,
}

/// Strips a line as keepalived does before anything else looks at it: leading blanks, `!`/`#`
/// comments outside `"..."` (`\#` and `\!` outside quotes are the characters themselves), trailing
/// blanks; a trailing `\` is kept, pulled up against the text before it.
pub(crate) fn decomment(t: &mut Text) -> Decommented {
    let lead = t.bytes.iter().take_while(|b| is_blank(**b)).count();
    if lead > 0 {
        t.drain_front(lead);
    }
    let mut quote: Option<usize> = None;
    let mut comment: Option<usize> = None;
    let mut cont: Option<Span> = None;
    let mut i = 0;
    while i < t.len() {
        match t.bytes[i] {
            b'"' => {
                if comment.is_none() {
                    quote = if quote.is_some() { None } else { Some(i) };
                }
                i += 1;
            }
            b'\\' => {
                if i + 1 < t.len() {
                    let next = t.bytes[i + 1];
                    if quote.is_none() && (next == b'#' || next == b'!') {
                        t.remove(i);
                        i += 1;
                    } else {
                        i += 2;
                    }
                } else {
                    cont = Some(t.at[i]);
                    t.truncate(i);
                    break;
                }
            }
            b'!' | b'#' if quote.is_none() && comment.is_none() => {
                comment = Some(i);
                i += 1;
            }
            _ => i += 1,
        }
    }
    let open_quote = quote.map(|q| t.at[q]);
    if let Some(c) = comment {
        t.truncate(c);
    }
    let keep = t.len() - t.bytes.iter().rev().take_while(|b| is_blank(**b)).count();
    t.truncate(keep);
    if let Some(span) = cont {
        t.push(b'\\', span);
    }
    Decommented { open_quote }
}

/// Splits a (decommented) line into words as keepalived's `alloc_strvec` does: whitespace
/// separates, a `"` starts a quoted word running to the next `"` (no escapes), and a `"` ends an
/// unquoted word. Returns the words and, for an unterminated quote, where it opened (keepalived
/// drops the rest of the line).
pub(crate) fn split_words(t: &Text) -> (Vec<Word>, Option<Span>) {
    let b = &t.bytes;
    let mut words = Vec::new();
    let mut i = 0;
    loop {
        while i < b.len() && is_white(b[i]) {
            i += 1;
        }
        if i >= b.len() {
            break;
        }
        let start = i;
        if b[i] == b'"' {
            let Some(close) = b[i + 1..].iter().position(|&c| c == b'"') else {
                return (words, Some(t.at[start]));
            };
            let end = i + 1 + close;
            words.push(Word {
                text: CompactString::from_utf8_lossy(&b[i + 1..end]),
                span: t.span(start, end + 1),
                quoted: true,
            });
            i = end + 1;
        } else {
            while i < b.len() && !is_white(b[i]) && b[i] != b'"' {
                i += 1;
            }
            words.push(Word {
                text: CompactString::from_utf8_lossy(&b[start..i]),
                span: t.span(start, i),
                quoted: false,
            });
        }
    }
    (words, None)
}

/// Where keepalived splits a line at a brace (outside `"..."`), so that every `{` and `}` ends up on
/// a line of its own: `t` keeps the part before the split, the rest is returned. `None` when
/// there is nothing to split.
pub(crate) fn brace_split(t: &mut Text) -> Option<Text> {
    let b = &t.bytes;
    let mut p = 0;
    let at = if b.first().is_some_and(|&c| c == b'{' || c == b'}') {
        0
    } else {
        loop {
            let off = b[p..]
                .iter()
                .position(|&c| c == b'{' || c == b'}' || c == b'"')?;
            p += off;
            if b[p] != b'"' {
                break p;
            }
            let close = b[p + 1..].iter().position(|&c| c == b'"')?;
            p += close + 2;
        }
    };
    let skip = if at == 0 {
        1 + b[1..].iter().take_while(|c| is_blank(**c)).count()
    } else {
        0
    };
    if at + skip >= b.len() {
        return None;
    }
    let mut rest = t.slice(at + skip, b.len());
    let keep = rest.len()
        - rest
            .bytes
            .iter()
            .rev()
            .take_while(|c| is_blank(**c))
            .count();
    rest.truncate(keep);
    t.truncate(at + skip);
    let keep = t.len() - t.bytes.iter().rev().take_while(|c| is_blank(**c)).count();
    t.truncate(keep);
    Some(rest)
}

/// What a byte is to the plain-line reader ([`plain_lines`]).
const WORD: u8 = 0;
const BLANK: u8 = 1;
const BRACE: u8 = 2;
const NEWLINE: u8 = 3;
const CR: u8 = 4;
/// Anything else: a byte that starts a comment, a quote, an escape, a parameter, a generator
/// or a condition, a control byte, or non-ASCII. The line goes the general way.
const OTHER: u8 = 5;

const CLASS: [u8; 256] = {
    let mut t = [OTHER; 256];
    let mut b = 0x21;
    while b < 0x7f {
        t[b] = match b as u8 {
            b'!' | b'#' | b'"' | b'\\' | b'$' | b'@' | b'~' => OTHER,
            b'{' | b'}' => BRACE,
            _ => WORD,
        };
        b += 1;
    }
    t[b' ' as usize] = BLANK;
    t[b'\t' as usize] = BLANK;
    t[b'\n' as usize] = NEWLINE;
    t[b'\r' as usize] = CR;
    t
};

/// Reads the physical line at the start of `rest` when it is plain (printable ASCII and tab,
/// without the bytes that start a comment, a quote, an escape, a parameter, a generator or a
/// condition; ended by a newline, carriage returns allowed before it, within `limit` bytes) in
/// one pass: the lines [`decomment`], repeated [`brace_split`] and [`split_words`] would make of
/// it go to `out` (every brace a line of its own, splitting the words around it), with the
/// spans the general reader gives them (a plain line is ASCII: a column is a byte offset plus
/// one). Returns where the newline is. `None`, with `out` to be discarded, when the line is not
/// plain, would make more than `budget` lines, or has a line starting with `include` (all the
/// general reader's business). `words` is scratch space.
pub(crate) fn plain_lines(
    rest: &str,
    limit: usize,
    file: crate::FileId,
    line_no: u32,
    budget: usize,
    words: &mut Vec<Word>,
    out: &mut Vec<Line>,
) -> Option<usize> {
    let b = &rest.as_bytes()[..limit.min(rest.len())];
    let class = |i: usize| CLASS[b[i] as usize];
    // The words line under way: where it starts, where its last word ends, and whether its
    // words are separated by exactly one space each (then its raw text needs no copy).
    let mut start = 0;
    let mut end = 0;
    let mut single = true;
    let flush = |words: &mut Vec<Word>, out: &mut Vec<Line>, start, end, single: bool| {
        if words.is_empty() {
            return;
        }
        let text = rest.get(start..end).unwrap_or_default();
        // An exactly sized vector, filled by one copy; the scratch keeps its room.
        let mut exact = Vec::with_capacity(words.len());
        exact.append(words);
        out.push(Line {
            raw: Raw::plain(text, single),
            words: exact,
            brace: None,
        });
    };
    words.clear();
    let mut i = 0;
    loop {
        let gap = i;
        while i < b.len() && class(i) == BLANK {
            i += 1;
        }
        if i >= b.len() {
            return None;
        }
        match class(i) {
            WORD => {}
            BRACE => {
                flush(words, out, start, end, single);
                out.push(Line::brace(
                    b[i] == b'{',
                    Span::new(file, line_no, i as u32 + 1, 1),
                ));
                i += 1;
                if out.len() > budget {
                    return None;
                }
                continue;
            }
            NEWLINE => break,
            CR => {
                let crs = b[i..].iter().take_while(|&&c| c == b'\r').count();
                if b.get(i + crs) != Some(&b'\n') {
                    return None;
                }
                i += crs;
                break;
            }
            _ => return None,
        }
        let from = i;
        while i < b.len() && class(i) == WORD {
            i += 1;
        }
        if words.is_empty() {
            if b[from..].starts_with(b"include") || out.len() + 1 > budget {
                return None;
            }
            start = from;
            single = true;
        } else if from - gap != 1 || b[gap] != b' ' {
            single = false;
        }
        end = i;
        words.push(Word {
            text: CompactString::from(rest.get(from..i).unwrap_or_default()),
            span: Span::new(file, line_no, from as u32 + 1, (i - from) as u32),
            quoted: false,
        });
    }
    flush(words, out, start, end, single);
    Some(i)
}

/// Why [`split_escaped`] gave up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EscapeError {
    /// A quote (`"` or `'`) that is never closed; keepalived reports it and drops the line.
    UnmatchedQuote(char),
    /// A `\` at the very end; keepalived drops the line.
    TrailingBackslash,
}

/// Splits a line the way keepalived re-reads script and notify lines (`alloc_strvec_quoted_escaped`):
/// `"..."` and `'...'` group words and may sit inside a word (`a"b c"d` is one word), and a
/// backslash escapes as in C: `\n \t \r \a \b \f \v \E`, `\x41` (any number of hex digits),
/// `\101` (up to three octal digits), `\cX` (control character) and `\C` for any other C.
pub fn split_escaped(line: &str) -> Result<Vec<String>, EscapeError> {
    let b = line.as_bytes();
    let mut words = Vec::new();
    let mut i = 0;
    loop {
        while i < b.len() && is_white(b[i]) {
            i += 1;
        }
        if i >= b.len() {
            break;
        }
        let mut out: Vec<u8> = Vec::new();
        let mut quote: Option<u8> = None;
        while i < b.len() {
            let c = b[i];
            if c == b'\\' {
                i += 1;
                let Some(&e) = b.get(i) else {
                    return Err(EscapeError::TrailingBackslash);
                };
                if e == b'x' && b.get(i + 1).is_some_and(u8::is_ascii_hexdigit) {
                    i += 1;
                    let mut v: u8 = 0;
                    while let Some(d) = b.get(i).and_then(|d| (*d as char).to_digit(16)) {
                        v = (v << 4) | d as u8;
                        i += 1;
                    }
                    out.push(v);
                } else if e == b'c' && i + 1 < b.len() {
                    out.push(b[i + 1] & 0x1f);
                    i += 2;
                } else if (b'0'..=b'7').contains(&e) {
                    let mut v: u8 = e - b'0';
                    i += 1;
                    for _ in 0..2 {
                        match b.get(i) {
                            Some(d @ b'0'..=b'7') => {
                                v = (v << 3).wrapping_add(d - b'0');
                                i += 1;
                            }
                            _ => break,
                        }
                    }
                    out.push(v);
                } else {
                    out.push(match e {
                        b'a' => 0x07,
                        b'b' => 0x08,
                        b'E' => 0x1b,
                        b'f' => 0x0c,
                        b'n' => b'\n',
                        b'r' => b'\r',
                        b't' => b'\t',
                        b'v' => 0x0b,
                        other => other,
                    });
                    i += 1;
                }
                continue;
            }
            match quote {
                Some(q) if c == q => {
                    quote = None;
                    i += 1;
                }
                Some(_) => {
                    out.push(c);
                    i += 1;
                }
                None if c == b'"' || c == b'\'' => {
                    quote = Some(c);
                    i += 1;
                }
                None if is_white(c) => break,
                None => {
                    out.push(c);
                    i += 1;
                }
            }
        }
        if let Some(q) = quote {
            return Err(EscapeError::UnmatchedQuote(q as char));
        }
        words.push(String::from_utf8_lossy(&out).into_owned());
    }
    Ok(words)
}

/// Lines of one text without preprocessing (no include, `@`, `$` or `~`): comments, quotes and
/// braces only; [`crate::preprocess`] is the full reader.
pub fn lines(file: crate::FileId, text: &str, diags: &mut crate::Diagnostics) -> Vec<Line> {
    let mut out = Vec::new();
    for (n, l) in text.lines().enumerate() {
        let mut t = Text::from_source(l.as_bytes(), file, n as u32 + 1, 1);
        let quote = decomment(&mut t).open_quote;
        let mut pending = Some(t);
        while let Some(mut head) = pending.take() {
            pending = brace_split(&mut head);
            let (words, open) = split_words(&head);
            if let Some(q) = open.or(quote) {
                diags.push(crate::Diagnostic::error(
                    Some(q),
                    "this quote is never closed",
                ));
            }
            if !words.is_empty() {
                out.push(Line::new(words, &head.lossy()));
            }
        }
    }
    out
}
