//! The block structure of keepalived.conf: each line is a keyword with arguments, optionally
//! followed by a `{ ... }` block (the `{` on the same line or alone on the next one).
//! Building, dropping and printing are iterative, so any depth of nesting is safe.

use crate::diag::{Diagnostic, Diagnostics};
use crate::lex::{CompactString, Line, Raw, Word};
use crate::source::Span;

/// A keyword line and its block.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Node {
    /// `words[0]` is the keyword; never empty.
    pub words: Vec<Word>,
    pub block: Option<Block>,
    /// The line as keepalived's handlers see it (see [`Raw`]; read it with [`Node::raw`]);
    /// script lines are re-read from it with [`crate::lex::split_escaped`].
    #[serde(skip)]
    pub raw: Raw,
}

/// A `{ ... }` block. Clone, equality and drop work without recursion.
#[derive(Debug, serde::Serialize)]
pub struct Block {
    pub open: Span,
    /// `None` when the file ended before the block was closed.
    pub close: Option<Span>,
    pub nodes: Vec<Node>,
}

impl Node {
    pub fn keyword(&self) -> &str {
        self.words.first().map(|w| w.text.as_str()).unwrap_or("")
    }

    /// The keyword's span: where diagnostics about this line point.
    pub fn span(&self) -> Span {
        self.words.first().map(|w| w.span).unwrap_or_default()
    }

    /// The span from the keyword to the last argument on the line.
    pub fn line_span(&self) -> Span {
        let first = self.span();
        match self.words.last() {
            Some(last) if last.span.line == first.line && last.span.file == first.file => Span {
                len: (last.span.col + last.span.len).saturating_sub(first.col),
                ..first
            },
            _ => first,
        }
    }

    /// The words after the keyword.
    pub fn args(&self) -> &[Word] {
        self.words.get(1..).unwrap_or(&[])
    }

    pub fn arg(&self, i: usize) -> Option<&Word> {
        self.args().get(i)
    }

    pub fn children(&self) -> &[Node] {
        self.block
            .as_ref()
            .map(|b| b.nodes.as_slice())
            .unwrap_or(&[])
    }

    /// The line's words as keepalived re-reads script and notify lines: quotes (`"` and `'`)
    /// group, backslash escapes apply. `None` when keepalived would reject the line (an
    /// unmatched quote or a trailing backslash).
    pub fn escaped_words(&self) -> Option<Vec<String>> {
        crate::lex::split_escaped(&self.raw()).ok()
    }

    /// The line as keepalived's handlers see it (after comments, parameters and the brace split).
    pub fn raw(&self) -> std::borrow::Cow<'_, str> {
        self.raw.text(&self.words)
    }
}

impl Clone for Block {
    fn clone(&self) -> Block {
        struct Frame<'a> {
            src: &'a Block,
            next: usize,
            out: Vec<Node>,
            /// The words and raw line of the node this block belongs to.
            head: Option<(Vec<Word>, Raw)>,
        }
        let mut stack = vec![Frame {
            src: self,
            next: 0,
            out: Vec::with_capacity(self.nodes.len()),
            head: None,
        }];
        loop {
            let Some(top) = stack.last_mut() else {
                return Block {
                    open: self.open,
                    close: self.close,
                    nodes: Vec::new(),
                };
            };
            if let Some(n) = top.src.nodes.get(top.next) {
                top.next += 1;
                match &n.block {
                    None => top.out.push(Node {
                        words: n.words.clone(),
                        block: None,
                        raw: n.raw.clone(),
                    }),
                    Some(b) => stack.push(Frame {
                        src: b,
                        next: 0,
                        out: Vec::with_capacity(b.nodes.len()),
                        head: Some((n.words.clone(), n.raw.clone())),
                    }),
                }
                continue;
            }
            let Some(done) = stack.pop() else {
                continue;
            };
            let block = Block {
                open: done.src.open,
                close: done.src.close,
                nodes: done.out,
            };
            match (stack.last_mut(), done.head) {
                (Some(parent), Some((words, raw))) => parent.out.push(Node {
                    words,
                    block: Some(block),
                    raw,
                }),
                _ => return block,
            }
        }
    }
}

impl PartialEq for Block {
    fn eq(&self, other: &Block) -> bool {
        let mut stack = vec![(self, other)];
        while let Some((a, b)) = stack.pop() {
            if a.open != b.open || a.close != b.close || a.nodes.len() != b.nodes.len() {
                return false;
            }
            for (x, y) in a.nodes.iter().zip(&b.nodes) {
                if x.words != y.words || x.raw != y.raw {
                    return false;
                }
                match (&x.block, &y.block) {
                    (None, None) => {}
                    (Some(p), Some(q)) => stack.push((p, q)),
                    _ => return false,
                }
            }
        }
        true
    }
}

impl Eq for Block {}

impl Drop for Block {
    // The default drop recurses once per level; a file of 10,000 nested `{` must not overflow
    // the stack, so children are moved out onto a heap stack first.
    // Lists of children are taken out whole (not node by node, which moved every node once
    // more), so each node is dropped where it lies, its own block already empty.
    fn drop(&mut self) {
        if self.nodes.is_empty() {
            return;
        }
        let mut stack = vec![std::mem::take(&mut self.nodes)];
        while let Some(mut nodes) = stack.pop() {
            for n in &mut nodes {
                if let Some(b) = n.block.as_mut()
                    && !b.nodes.is_empty()
                {
                    stack.push(std::mem::take(&mut b.nodes));
                }
            }
        }
    }
}

/// Prints nodes as configuration text that reads back to the same tree (words quoted where
/// needed, one line per node, blocks indented).
pub fn print(nodes: &[Node]) -> String {
    let mut out = String::new();
    // (nodes of a block, next index, depth)
    let mut stack: Vec<(&[Node], usize, usize)> = vec![(nodes, 0, 0)];
    while let Some((list, i, depth)) = stack.pop() {
        let Some(n) = list.get(i) else {
            if depth > 0 {
                out.push_str(&"    ".repeat(depth - 1));
                out.push_str("}\n");
            }
            continue;
        };
        stack.push((list, i + 1, depth));
        out.push_str(&"    ".repeat(depth));
        let words: Vec<String> = n.words.iter().map(print_word).collect();
        out.push_str(&words.join(" "));
        match &n.block {
            Some(b) => {
                out.push_str(if words.is_empty() { "{\n" } else { " {\n" });
                stack.push((&b.nodes, 0, depth + 1));
            }
            None => out.push('\n'),
        }
    }
    out
}

/// A word as it must be written to read back as itself.
fn print_word(w: &Word) -> String {
    let plain = !w.text.is_empty()
        && !w.quoted
        && !w.text.starts_with("include")
        && !w.text.bytes().any(|b| {
            crate::lex::is_white(b)
                || matches!(
                    b,
                    b'"' | b'{' | b'}' | b'!' | b'#' | b'\\' | b'$' | b'@' | b'~'
                )
        });
    if plain {
        w.text.to_string()
    } else {
        format!("\"{}\"", w.text)
    }
}

/// Builds the tree from lines. Unbalanced braces are reported once each, where they are.
pub fn build(lines: Vec<Line>, diags: &mut Diagnostics) -> Vec<Node> {
    let mut b = Builder::new();
    for line in lines {
        b.push(line);
    }
    b.finish(diags)
}

/// What one word of a line does to the tree.
enum Step {
    Open(Span),
    Close(Span),
    Word(Word),
}

/// The tree under construction, fed one line at a time ([`build`], or the preprocessor
/// directly through [`crate::preprocess::Lines`], so a file's lines are never all held at
/// once). The children of every open block wait in one shared vector (`kids`, each block
/// remembering where its own start) and move into an exactly sized vector when the block
/// closes: no per-block vector grows step by step.
#[derive(Default)]
pub struct Builder {
    /// Open blocks: their node, block, and where their children start in `kids`.
    stack: Vec<(Node, Block, usize)>,
    kids: Vec<Node>,
    top: Vec<Node>,
    current: Option<Node>,
    /// The raw text of the line `current` started on.
    current_raw: Option<String>,
    /// Unbalanced braces so far, in the order met; [`Builder::finish`] hands them over.
    diags: Vec<Diagnostic>,
}

impl crate::preprocess::Lines for Builder {
    fn line(&mut self, line: Line) {
        self.push(line);
    }
}

impl Builder {
    pub fn new() -> Self {
        Builder::default()
    }

    /// Adds the next line.
    pub fn push(&mut self, line: Line) {
        if let Some(b) = line.brace {
            self.step(
                if b.open {
                    Step::Open(b.span)
                } else {
                    Step::Close(b.span)
                },
                &mut None,
            );
            self.finish_current();
            return;
        }
        // A line without braces is one node: its words move over whole.
        if !line.words.is_empty() && !line.words.iter().any(|w| w.is_open() || w.is_close()) {
            self.place(Node {
                words: line.words,
                block: None,
                raw: line.raw,
            });
            return;
        }
        // The line's text goes to the first node the line starts, judged against that
        // node's words once they are all in.
        let mut raw = Some(line.raw.text(&line.words).into_owned());
        for w in line.words {
            let step = if w.is_open() {
                Step::Open(w.span)
            } else if w.is_close() {
                Step::Close(w.span)
            } else {
                Step::Word(w)
            };
            self.step(step, &mut raw);
        }
        self.finish_current();
    }

    /// How many top-level nodes no later line can change (all but the last: a `{` alone on
    /// the next line may still open its block).
    pub fn settled(&self) -> usize {
        self.top.len().saturating_sub(1)
    }

    /// Takes out the [`Builder::settled`] top-level nodes, in file order.
    pub fn take_settled(&mut self) -> std::vec::Drain<'_, Node> {
        let n = self.settled();
        self.top.drain(..n)
    }

    /// The tree, once every line is in: blocks never closed are closed (and reported) here.
    /// The diagnostics go to `diags` after whatever it holds (the preprocessor's).
    pub fn finish(mut self, diags: &mut Diagnostics) -> Vec<Node> {
        for d in std::mem::take(&mut self.diags) {
            diags.push(d);
        }
        while let Some((mut n, mut b, start)) = self.stack.pop() {
            diags.push(
                Diagnostic::error(
                    Some(b.open),
                    format!("the block of `{}` is never closed", n.keyword()),
                )
                .help("add the missing `}`"),
            );
            b.nodes = self.children_from(start);
            n.block = Some(b);
            self.place(n);
        }
        self.top
    }

    /// The children waiting in `kids` from `start` on, moved out by one copy into an exactly
    /// sized vector (`kids` keeps its room).
    fn children_from(&mut self, start: usize) -> Vec<Node> {
        if start == 0 {
            let mut all = Vec::with_capacity(self.kids.len());
            all.append(&mut self.kids);
            all
        } else {
            self.kids.split_off(start)
        }
    }

    /// Adds a finished node to the innermost open block, or to the top level.
    fn place(&mut self, n: Node) {
        if self.stack.is_empty() {
            self.top.push(n);
        } else {
            self.kids.push(n);
        }
    }

    fn finish_current(&mut self) {
        if let Some(n) = self.take_current() {
            self.place(n);
        }
    }

    /// The node being read, its words complete: its raw text set against them.
    fn take_current(&mut self) -> Option<Node> {
        let mut n = self.current.take()?;
        if let Some(raw) = self.current_raw.take() {
            n.raw = Raw::new(&raw, &n.words);
        }
        Some(n)
    }

    /// The last node placed in the innermost open block (or the top level), taken back out.
    fn take_last(&mut self) -> Option<Node> {
        match self.stack.last() {
            Some(&(_, _, start)) if self.kids.len() > start => self.kids.pop(),
            Some(_) => None,
            None => self.top.pop(),
        }
    }

    fn step(&mut self, step: Step, raw: &mut Option<String>) {
        match step {
            Step::Open(span) => {
                // `{` opens the block of the node on this line, or of the previous line's node
                // when it stands alone (keepalived accepts the brace on the next line).
                let owner = match self.take_current() {
                    Some(n) => Some(n),
                    None => match self.take_last() {
                        Some(n) if n.block.is_none() => Some(n),
                        Some(n) => {
                            self.place(n);
                            None
                        }
                        None => None,
                    },
                };
                let owner = match owner {
                    Some(n) => n,
                    None => {
                        self.diags.push(
                            Diagnostic::error(Some(span), "`{` without a keyword before it")
                                .note("keepalived skips this block"),
                        );
                        Node {
                            words: vec![Word {
                                text: CompactString::default(),
                                span,
                                quoted: false,
                            }],
                            block: None,
                            raw: Raw::default(),
                        }
                    }
                };
                let start = self.kids.len();
                self.stack.push((
                    owner,
                    Block {
                        open: span,
                        close: None,
                        nodes: Vec::new(),
                    },
                    start,
                ));
            }
            Step::Close(span) => {
                self.finish_current();
                match self.stack.pop() {
                    Some((mut n, mut b, start)) => {
                        b.close = Some(span);
                        b.nodes = self.children_from(start);
                        n.block = Some(b);
                        self.place(n);
                    }
                    None => self.diags.push(
                        Diagnostic::error(Some(span), "`}` closes a block that was never opened")
                            .help("a `{` is probably missing earlier, e.g. after a `real_server` or `vrrp_instance` line"),
                    ),
                }
            }
            Step::Word(w) => match &mut self.current {
                Some(n) => n.words.push(w),
                None => {
                    self.current = Some(Node {
                        words: vec![w],
                        block: None,
                        raw: Raw::default(),
                    });
                    self.current_raw = raw.take();
                }
            },
        }
    }
}
