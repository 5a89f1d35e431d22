//! From file text to lines of words: comments, quotes and escapes, braces as words of their own.
//! The preprocessor (include, @ID, $NAME, ~SEQ) sits on top of this and yields the same `Line`s.

use crate::diag::{Diagnostic, Diagnostics};
use crate::source::{FileId, Span};

/// One word of a line, after quotes and escapes are resolved.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Word {
    pub text: String,
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

/// One logical line of the configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub words: Vec<Word>,
}

/// Splits one physical line into words. `!` and `#` start a comment outside quotes; `{` and `}` are
/// words of their own; `"..."` is one word (with keepalived's backslash escapes).
pub fn split_line(file: FileId, line_no: u32, text: &str, diags: &mut Diagnostics) -> Vec<Word> {
    let chars: Vec<char> = text.chars().collect();
    let mut words = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        if c == '!' || c == '#' {
            break;
        }
        let start = i;
        if c == '{' || c == '}' {
            words.push(Word {
                text: c.to_string(),
                span: Span::new(file, line_no, start as u32 + 1, 1),
                quoted: false,
            });
            i += 1;
            continue;
        }
        let mut text_out = String::new();
        let mut quoted = false;
        while i < chars.len() {
            let c = chars[i];
            if c == '"' {
                quoted = true;
                i += 1;
                let mut closed = false;
                while i < chars.len() {
                    let q = chars[i];
                    if q == '"' {
                        closed = true;
                        i += 1;
                        break;
                    }
                    if q == '\\' && i + 1 < chars.len() {
                        text_out.push(unescape(chars[i + 1]));
                        i += 2;
                        continue;
                    }
                    text_out.push(q);
                    i += 1;
                }
                if !closed {
                    diags.push(
                        Diagnostic::error(
                            Some(Span::new(
                                file,
                                line_no,
                                start as u32 + 1,
                                (i - start) as u32,
                            )),
                            "unmatched quote",
                        )
                        .help("close the string with `\"`"),
                    );
                }
                continue;
            }
            if c.is_whitespace() || c == '{' || c == '}' || ((c == '!' || c == '#') && i == start) {
                break;
            }
            text_out.push(c);
            i += 1;
        }
        words.push(Word {
            text: text_out,
            span: Span::new(file, line_no, start as u32 + 1, (i - start) as u32),
            quoted,
        });
    }
    words
}

fn unescape(c: char) -> char {
    match c {
        'n' => '\n',
        't' => '\t',
        'r' => '\r',
        other => other,
    }
}

/// Lines of one file's text, without preprocessing.
pub fn lines(file: FileId, text: &str, diags: &mut Diagnostics) -> Vec<Line> {
    text.lines()
        .enumerate()
        .map(|(n, l)| Line {
            words: split_line(file, n as u32 + 1, l, diags),
        })
        .filter(|l| !l.words.is_empty())
        .collect()
}
