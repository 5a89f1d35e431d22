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

#[test]
fn diagnostics_in_included_files_name_that_file() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("main.conf"),
        "global_defs {\n}\ninclude conf.d/*.conf\n",
    )
    .unwrap();
    std::fs::create_dir(dir.path().join("conf.d")).unwrap();
    std::fs::write(
        dir.path().join("conf.d/vi.conf"),
        "! included\nvrrp_instanse VI_1 {\n}\n",
    )
    .unwrap();
    let l = keepalived_conf::load(
        &dir.path().join("main.conf"),
        &LoadOptions::default(),
        &AnyHost,
    );
    let text = l.render();
    assert!(text.contains("conf.d/vi.conf:2:1"), "{text}");
    assert!(text.contains("2 | vrrp_instanse VI_1 {"), "{text}");
    assert!(text.contains("did you mean `vrrp_instance`?"), "{text}");
}

#[test]
fn substituted_words_point_at_the_reference() {
    let l = load_str(
        "t.conf",
        "$KW=vrrp_instanse\n$KW VI_1 {\n}\n",
        &LoadOptions::default(),
        &AnyHost,
    );
    let d: Vec<_> = l.diagnostics.sorted();
    assert_eq!(d.len(), 1, "{}", l.render());
    let s = d[0].span.unwrap();
    assert_eq!((s.line, s.col, s.len), (2, 1, 3));
    assert!(l.render().contains("2 | $KW VI_1 {"), "{}", l.render());
}
