//! Reading typed values out of tree nodes, with keepalived's number, boolean and timer rules and a
//! diagnostic (span + sentence + suggestion) for every value that does not fit.

use std::net::IpAddr;
use std::str::FromStr;
use std::time::Duration;

use crate::diag::{Diagnostic, Diagnostics, nearest};
use crate::lex::Word;
use crate::source::Span;
use crate::tree::Node;

/// What the model builders read with; collects every diagnostic of the load.
pub struct Reader<'d> {
    pub diags: &'d mut Diagnostics,
}

impl<'d> Reader<'d> {
    pub fn new(diags: &'d mut Diagnostics) -> Self {
        Reader { diags }
    }

    pub fn push(&mut self, d: Diagnostic) {
        self.diags.push(d);
    }

    /// An unknown keyword inside `block` (or at the top level when `block` is `None`), with the
    /// nearest known keyword as a suggestion. keepalived logs and skips such lines (and their blocks).
    pub fn unknown(&mut self, node: &Node, block: Option<&str>, known: &[&str]) {
        let kw = node.keyword();
        let place = match block {
            Some(b) => format!(" in `{b}`"),
            None => " at the top level".to_string(),
        };
        let mut d = Diagnostic::error(Some(node.span()), format!("unknown keyword `{kw}`{place}"));
        if let Some(s) = nearest(kw, known.iter().copied()) {
            d = d.help(format!("did you mean `{s}`?"));
        }
        let skipped = if node.block.is_some() {
            "keepalived ignores this line and its whole block"
        } else {
            "keepalived ignores this line"
        };
        self.push(d.note(skipped));
    }

    /// The `i`th argument as text, or an error naming what is missing.
    pub fn str<'n>(&mut self, node: &'n Node, i: usize, what: &str) -> Option<&'n str> {
        match node.arg(i) {
            Some(w) => Some(w.text.as_str()),
            None => {
                self.push(
                    Diagnostic::abort(
                        Some(node.line_span()),
                        format!("`{}` needs {what}", node.keyword()),
                    )
                    .note("keepalived 2.2.7 stops reading the configuration here and exits"),
                );
                None
            }
        }
    }

    /// The `i`th argument as a string (owned).
    pub fn string(&mut self, node: &Node, i: usize, what: &str) -> Option<String> {
        self.str(node, i, what).map(str::to_string)
    }

    /// All arguments joined by spaces (keepalived's way of reading script command lines etc.).
    pub fn rest(&mut self, node: &Node, from: usize, what: &str) -> Option<String> {
        if node.args().len() <= from {
            self.str(node, from, what)?;
        }
        Some(
            node.args()[from..]
                .iter()
                .map(|w| w.text.as_str())
                .collect::<Vec<_>>()
                .join(" "),
        )
    }

    /// An integer in `[min, max]`; keepalived's message for out-of-range numbers.
    pub fn int<T>(&mut self, node: &Node, i: usize, min: T, max: T) -> Option<T>
    where
        T: FromStr + PartialOrd + Copy + std::fmt::Display,
    {
        let w = self.word(node, i, "a number")?;
        match w.text.parse::<T>() {
            Ok(v) if v >= min && v <= max => Some(v),
            Ok(_) => {
                self.push(
                    Diagnostic::error(
                        Some(w.span),
                        format!("number '{}' outside range [{min}, {max}]", w.text),
                    )
                    .help(format!(
                        "`{}` takes a value from {min} to {max}",
                        node.keyword()
                    )),
                );
                None
            }
            Err(_) => {
                self.push(
                    Diagnostic::error(Some(w.span), format!("invalid number '{}'", w.text)).help(
                        format!(
                            "`{}` takes a whole number from {min} to {max}",
                            node.keyword()
                        ),
                    ),
                );
                None
            }
        }
    }

    /// keepalived's optional boolean: absent means true; true/on/yes and false/off/no.
    pub fn flag(&mut self, node: &Node, i: usize) -> bool {
        let Some(w) = node.arg(i) else {
            return true;
        };
        match w.text.to_ascii_lowercase().as_str() {
            "true" | "on" | "yes" => true,
            "false" | "off" | "no" => false,
            _ => {
                self.push(
                    Diagnostic::error(Some(w.span), format!("invalid boolean '{}'", w.text))
                        .help("write true/false, on/off or yes/no (or nothing, meaning true)"),
                );
                true
            }
        }
    }

    /// A time in seconds with up to six decimals (keepalived's timers), within `[min, max]` seconds.
    pub fn secs(&mut self, node: &Node, i: usize, min: f64, max: f64) -> Option<Duration> {
        let w = self.word(node, i, "a time in seconds")?;
        let ok = w.text.parse::<f64>().ok().filter(|v| v.is_finite());
        match ok {
            Some(v) if v >= min && v <= max => {
                Some(Duration::from_micros((v * 1_000_000.0).round() as u64))
            }
            Some(_) => {
                self.push(
                    Diagnostic::error(
                        Some(w.span),
                        format!("time '{}' outside range [{min}, {max}]", w.text),
                    )
                    .help(format!(
                        "`{}` takes seconds from {min} to {max}",
                        node.keyword()
                    )),
                );
                None
            }
            None => {
                self.push(
                    Diagnostic::error(Some(w.span), format!("invalid time '{}'", w.text))
                        .help("write a number of seconds, e.g. 1 or 0.5"),
                );
                None
            }
        }
    }

    /// An IPv4 or IPv6 address.
    pub fn ip(&mut self, node: &Node, i: usize) -> Option<IpAddr> {
        let w = self.word(node, i, "an IP address")?;
        match w.text.parse::<IpAddr>() {
            Ok(a) => Some(a),
            Err(_) => {
                self.push(Diagnostic::error(
                    Some(w.span),
                    format!("invalid IP address '{}'", w.text),
                ));
                None
            }
        }
    }

    /// One of a fixed set of words, written exactly (keepalived compares most such values with
    /// strcmp), with a suggestion when it is a typo or a different case.
    pub fn choice<'k>(&mut self, node: &Node, i: usize, choices: &[&'k str]) -> Option<&'k str> {
        self.choice_with(node, i, choices, false)
    }

    /// [`Reader::choice`] for the few values keepalived compares without case (`protocol`).
    pub fn choice_any_case<'k>(
        &mut self,
        node: &Node,
        i: usize,
        choices: &[&'k str],
    ) -> Option<&'k str> {
        self.choice_with(node, i, choices, true)
    }

    fn choice_with<'k>(
        &mut self,
        node: &Node,
        i: usize,
        choices: &[&'k str],
        any_case: bool,
    ) -> Option<&'k str> {
        let w = self.word(node, i, "a value")?;
        let same = |c: &&&str| {
            if any_case {
                c.eq_ignore_ascii_case(&w.text)
            } else {
                **c == w.text
            }
        };
        if let Some(c) = choices.iter().find(same) {
            return Some(c);
        }
        let mut d = Diagnostic::error(
            Some(w.span),
            format!(
                "`{}` does not take '{}': expected one of {}",
                node.keyword(),
                w.text,
                choices.join(", ")
            ),
        );
        if let Some(c) = choices.iter().find(|c| c.eq_ignore_ascii_case(&w.text)) {
            d = d.help(format!(
                "did you mean `{c}`? keepalived reads this value case-sensitively"
            ));
        } else if let Some(s) = nearest(&w.text.to_ascii_uppercase(), choices.iter().copied())
            .or_else(|| nearest(&w.text, choices.iter().copied()))
        {
            d = d.help(format!("did you mean `{s}`?"));
        }
        self.push(d);
        None
    }

    /// The node's block, or an error saying one is needed.
    pub fn block<'n>(&mut self, node: &'n Node) -> Option<&'n [Node]> {
        match &node.block {
            Some(b) => Some(&b.nodes),
            None => {
                self.push(
                    Diagnostic::error(
                        Some(node.line_span()),
                        format!("`{}` needs a `{{ ... }}` block", node.keyword()),
                    )
                    .help("add `{` at the end of the line and a matching `}`")
                    .note("without it the lines that follow belong to the enclosing block"),
                );
                None
            }
        }
    }

    /// Warns about a block where none belongs (keepalived skips it).
    pub fn no_block(&mut self, node: &Node) {
        if let Some(b) = &node.block {
            self.push(
                Diagnostic::error(
                    Some(b.open),
                    format!("`{}` does not take a block", node.keyword()),
                )
                .note("keepalived skips this block"),
            );
        }
    }

    /// Warns about arguments beyond the first `n`.
    pub fn at_most(&mut self, node: &Node, n: usize) {
        if let Some(w) = node.arg(n) {
            self.push(Diagnostic::warning(
                Some(w.span),
                format!(
                    "`{}` takes {n} argument(s); '{}' and after are ignored",
                    node.keyword(),
                    w.text
                ),
            ));
        }
    }

    fn word<'n>(&mut self, node: &'n Node, i: usize, what: &str) -> Option<&'n Word> {
        match node.arg(i) {
            Some(w) => Some(w),
            None => {
                self.push(
                    Diagnostic::abort(
                        Some(node.line_span()),
                        format!("`{}` needs {what}", node.keyword()),
                    )
                    .note("keepalived 2.2.7 stops reading the configuration here and exits"),
                );
                None
            }
        }
    }

    /// A span to point at for a node's `i`th argument (or the keyword if absent).
    pub fn span_of(node: &Node, i: usize) -> Span {
        node.arg(i).map(|w| w.span).unwrap_or_else(|| node.span())
    }
}
