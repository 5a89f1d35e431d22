//! The block structure of keepalived.conf: each line is a keyword with arguments, optionally
//! followed by a `{ ... }` block (the `{` on the same line or alone on the next one).

use crate::diag::{Diagnostic, Diagnostics};
use crate::lex::{Line, Word};
use crate::source::Span;

/// A keyword line and its block.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Node {
    /// `words[0]` is the keyword; never empty.
    pub words: Vec<Word>,
    pub block: Option<Block>,
}

/// A `{ ... }` block.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
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
}

/// Builds the tree from lines. Unbalanced braces are reported once each, where they are.
pub fn build(lines: Vec<Line>, diags: &mut Diagnostics) -> Vec<Node> {
    // Flatten to a word stream with line breaks, the form braces can be matched in.
    let mut stack: Vec<(Node, Block)> = Vec::new();
    let mut top: Vec<Node> = Vec::new();
    let mut current: Option<Node> = None;

    fn finish(current: &mut Option<Node>, stack: &mut [(Node, Block)], top: &mut Vec<Node>) {
        if let Some(n) = current.take() {
            match stack.last_mut() {
                Some((_, b)) => b.nodes.push(n),
                None => top.push(n),
            }
        }
    }

    for line in lines {
        for w in line.words {
            if w.is_open() {
                // `{` opens the block of the node on this line, or of the previous line's node
                // when it stands alone (keepalived accepts the brace on the next line).
                let owner = match current.take() {
                    Some(n) => Some(n),
                    None => {
                        let last = match stack.last_mut() {
                            Some((_, b)) => b.nodes.pop(),
                            None => top.pop(),
                        };
                        match last {
                            Some(n) if n.block.is_none() => Some(n),
                            Some(n) => {
                                match stack.last_mut() {
                                    Some((_, b)) => b.nodes.push(n),
                                    None => top.push(n),
                                }
                                None
                            }
                            None => None,
                        }
                    }
                };
                let owner = match owner {
                    Some(n) => n,
                    None => {
                        diags.push(
                            Diagnostic::error(Some(w.span), "`{` without a keyword before it")
                                .note("keepalived skips this block"),
                        );
                        Node {
                            words: vec![Word {
                                text: String::new(),
                                span: w.span,
                                quoted: false,
                            }],
                            block: None,
                        }
                    }
                };
                stack.push((
                    owner,
                    Block {
                        open: w.span,
                        close: None,
                        nodes: Vec::new(),
                    },
                ));
            } else if w.is_close() {
                finish(&mut current, &mut stack, &mut top);
                match stack.pop() {
                    Some((mut n, mut b)) => {
                        b.close = Some(w.span);
                        n.block = Some(b);
                        finish(&mut Some(n), &mut stack, &mut top);
                    }
                    None => diags.push(
                        Diagnostic::error(Some(w.span), "`}` closes a block that was never opened")
                            .help("a `{` is probably missing earlier, e.g. after a `real_server` or `vrrp_instance` line"),
                    ),
                }
            } else {
                match &mut current {
                    Some(n) => n.words.push(w),
                    None => {
                        current = Some(Node {
                            words: vec![w],
                            block: None,
                        })
                    }
                }
            }
        }
        finish(&mut current, &mut stack, &mut top);
    }
    while let Some((mut n, b)) = stack.pop() {
        diags.push(
            Diagnostic::error(
                Some(b.open),
                format!("the block of `{}` is never closed", n.keyword()),
            )
            .help("add the missing `}`"),
        );
        n.block = Some(b);
        finish(&mut Some(n), &mut stack, &mut top);
    }
    top
}
