#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The front end: words, braces, unknown top-level keywords with suggestions, rendering.

use keepalived_conf::{AnyHost, LoadOptions, Severity, load_str};

#[test]
fn unknown_top_level_keyword_suggests_the_nearest() {
    let l = load_str(
        "t.conf",
        "vrrp_instance_VI_1 {\n  state MASTER\n}\nvirtual_servr 1.2.3.4 80 {\n}\n",
        &LoadOptions::default(),
        &AnyHost,
    );
    let all: Vec<_> = l.diagnostics.sorted();
    assert_eq!(all.len(), 2, "{}", l.render());
    assert_eq!(all[0].span.unwrap().line, 1);
    assert_eq!(
        all[1].help.as_deref(),
        Some("did you mean `virtual_server`?")
    );
    assert_eq!(l.exit_code(), 5);
    let text = l.render();
    assert!(text.contains("t.conf:4:1"), "{text}");
    assert!(text.contains("^^^^^^^^^^^^^"), "{text}");
}

#[test]
fn brace_on_next_line_and_unbalanced_braces() {
    let l = load_str(
        "t.conf",
        "foo\n{\n}\n}\n",
        &LoadOptions::default(),
        &AnyHost,
    );
    let msgs: Vec<_> = l
        .diagnostics
        .sorted()
        .iter()
        .map(|d| (d.span.unwrap().line, d.severity, d.message.clone()))
        .collect();
    assert_eq!(msgs.len(), 2, "{msgs:?}");
    assert_eq!(msgs[0].0, 1);
    assert_eq!(
        msgs[1],
        (
            4,
            Severity::Error,
            "`}` closes a block that was never opened".into()
        )
    );
}
