#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Properties of the reader: any soup of keepalived.conf tokens loads without panicking, with
//! spans that point into the text; a printed tree reads back as itself; blanks, comments, CRLF
//! and the placement of `{` do not change the tree. KA_PROPTEST_CASES sets the case count.

use keepalived_conf::tree::{Node, print};
use keepalived_conf::{AnyHost, LoadOptions, load_str, parse_str};
use proptest::prelude::*;

fn cases() -> u32 {
    std::env::var("KA_PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(256)
}

fn opts() -> LoadOptions {
    LoadOptions {
        config_id: Some("main".into()),
        random_seed: Some(3),
        max_lines: Some(5_000),
        include_root: Some(std::env::temp_dir().join("keepalived-conf-props-none")),
        ..Default::default()
    }
}

fn token() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("{".to_string()),
        Just("}".to_string()),
        Just("\n".to_string()),
        Just(" ".to_string()),
        Just("\t".to_string()),
        Just("\"".to_string()),
        Just("'".to_string()),
        Just("!".to_string()),
        Just("#".to_string()),
        Just("\\".to_string()),
        Just("\r\n".to_string()),
        Just("\0".to_string()),
        Just("$X".to_string()),
        Just("${X}".to_string()),
        Just("$X=".to_string()),
        Just("$M=a \\\n".to_string()),
        Just("$M".to_string()),
        Just("${_RANDOM 1 9}".to_string()),
        Just("${_PWD}".to_string()),
        Just("${_HASH}".to_string()),
        Just("@main ".to_string()),
        Just("@^main ".to_string()),
        Just("~SEQ(i, 1, 3) ".to_string()),
        Just("~SEQx(i, 0x9, 0xb) ".to_string()),
        Just("~LST({a, b}, {1, 2}, {3}) ".to_string()),
        Just("$i".to_string()),
        Just("include nothing.conf\n".to_string()),
        Just("vrrp_instance".to_string()),
        Just("virtual_server".to_string()),
        Just("real_server".to_string()),
        Just("global_defs".to_string()),
        Just("virtual_ipaddress".to_string()),
        Just("interface".to_string()),
        Just("priority".to_string()),
        Just("10.0.0.1".to_string()),
        "[a-z0-9_.:/-]{1,12}",
        any::<String>(),
    ]
}

fn soup() -> impl Strategy<Value = String> {
    prop::collection::vec(token(), 0..80).prop_map(|v| v.concat())
}

/// A node for the round trip: words that may need quotes, an optional block.
#[derive(Debug, Clone)]
struct Gen {
    words: Vec<String>,
    block: Option<Vec<Gen>>,
}

fn word() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => "[a-zA-Z0-9_./:-]{1,10}",
        1 => "[a-z #!{}@~'\t]{0,8}",
        1 => Just("{".to_string()),
        1 => Just("}".to_string()),
        1 => Just("include".to_string()),
        1 => Just(String::new()),
    ]
}

fn gen_tree() -> impl Strategy<Value = Vec<Gen>> {
    let leaf = prop::collection::vec(word(), 1..5).prop_map(|words| Gen { words, block: None });
    let node = leaf.prop_recursive(4, 48, 6, |inner| {
        (
            prop::collection::vec(word(), 1..4),
            prop::option::of(prop::collection::vec(inner, 0..6)),
        )
            .prop_map(|(words, block)| Gen { words, block })
    });
    prop::collection::vec(node, 0..8)
}

/// Builds real nodes by printing a generated tree's words (the printer decides the quoting).
fn to_nodes(g: &[Gen]) -> Vec<Node> {
    let text = gen_text(g, 0);
    let (nodes, diags, _) = parse_str("gen.conf", &text, &opts());
    assert!(diags.is_empty(), "generated text has problems:\n{text}");
    nodes
}

fn gen_text(g: &[Gen], depth: usize) -> String {
    let mut s = String::new();
    for n in g {
        s.push_str(&"  ".repeat(depth));
        let words: Vec<String> = n.words.iter().map(|w| format!("\"{w}\"")).collect();
        s.push_str(&words.join(" "));
        match &n.block {
            Some(b) => {
                s.push_str(" {\n");
                s.push_str(&gen_text(b, depth + 1));
                s.push_str(&"  ".repeat(depth));
                s.push_str("}\n");
            }
            None => s.push('\n'),
        }
    }
    s
}

/// A tree without spans: each node's words (text, brace-ness) and block.
#[derive(Debug, PartialEq, Eq)]
struct Shape {
    words: Vec<(String, bool)>,
    block: Option<Vec<Shape>>,
}

fn shape(nodes: &[Node]) -> Vec<Shape> {
    nodes
        .iter()
        .map(|n| Shape {
            words: n
                .words
                .iter()
                .map(|w| (w.text.to_string(), w.is_open() || w.is_close()))
                .collect(),
            block: n.block.as_ref().map(|b| shape(&b.nodes)),
        })
        .collect()
}

/// Adds blanks, comment lines, trailing comments and CRLF, and moves some `{` to a line of their
/// own, without changing what keepalived reads.
fn disturb(text: &str, seed: &[u8]) -> String {
    let mut out = String::new();
    let mut k = 0usize;
    let mut next = || {
        k += 1;
        seed.get(k % seed.len().max(1)).copied().unwrap_or(0)
    };
    for line in text.lines() {
        let r = next();
        if r % 5 == 0 {
            out.push_str("# a comment { \"\n");
        }
        if r % 7 == 1 {
            out.push_str("   \t\n");
        }
        out.push_str(["", "  ", "\t", " \t "][(r % 4) as usize]);
        let mut l = line.trim_start().to_string();
        let brace_alone = l.ends_with(" {") && next() % 3 == 0;
        if brace_alone {
            l.truncate(l.len() - 2);
        }
        // Widen the gaps between words outside quotes.
        let mut in_quote = false;
        let mut widened = String::new();
        for c in l.chars() {
            if c == '"' {
                in_quote = !in_quote;
            }
            widened.push(c);
            if c == ' ' && !in_quote && next() % 2 == 0 {
                widened.push('\t');
            }
        }
        out.push_str(&widened);
        match next() % 4 {
            0 => out.push_str(" ! trailing"),
            1 => out.push_str("  # trailing \"quote"),
            _ => {}
        }
        out.push_str(if next() % 3 == 0 { "\r\n" } else { "\n" });
        if brace_alone {
            out.push_str("{\n");
        }
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), ..ProptestConfig::default() })]

    #[test]
    fn token_soup_never_panics(text in soup()) {
        let l = load_str("soup.conf", &text, &opts(), &AnyHost);
        let _ = l.render();
        let lines = text.split('\n').count() as u32;
        for d in l.diagnostics.iter() {
            if let Some(s) = d.span {
                prop_assert!(s.line >= 1 && s.line <= lines, "{:?} in {} lines", d, lines);
                prop_assert!(s.col >= 1);
            }
        }
    }

    #[test]
    fn printed_tree_reads_back(g in gen_tree()) {
        let nodes = to_nodes(&g);
        prop_assert!(nodes.clone() == nodes);
        let text = print(&nodes);
        let (again, diags, _) = parse_str("printed.conf", &text, &opts());
        prop_assert!(diags.is_empty(), "{:?}\n{}", diags.iter().collect::<Vec<_>>(), text);
        prop_assert_eq!(shape(&nodes), shape(&again), "{}", text);
    }

    #[test]
    fn blanks_and_comments_do_not_matter(g in gen_tree(), seed in prop::collection::vec(any::<u8>(), 1..64)) {
        let nodes = to_nodes(&g);
        let text = print(&nodes);
        let noisy = disturb(&text, &seed);
        let (again, diags, _) = parse_str("noisy.conf", &noisy, &opts());
        prop_assert!(diags.is_empty(), "{:?}\n{}", diags.iter().collect::<Vec<_>>(), noisy);
        prop_assert_eq!(shape(&nodes), shape(&again), "{}", noisy);
    }
}
