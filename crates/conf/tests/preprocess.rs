#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The reader as keepalived 2.2.7 reads: comments, quotes, braces, `@ID`, `$NAME` parameters,
//! `~SEQ`/`~LST`, include (globs, checks, loops), spans, and inputs that must not panic or hang.
//! Expected outputs marked "(keepalived)" were checked against the real keepalived 2.2.7.

use std::path::Path;

use keepalived_conf::tree::Node;
use keepalived_conf::{
    AnyHost, Diagnostics, LoadOptions, Severity, SourceMap, load, load_str, parse_file, parse_str,
};

fn opts() -> LoadOptions {
    LoadOptions {
        config_id: Some("main".into()),
        random_seed: Some(7),
        ..Default::default()
    }
}

/// The tree as one string per node: words joined by `|`, blocks as `{` ... `}`.
fn flat(nodes: &[Node]) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack: Vec<(&[Node], usize)> = vec![(nodes, 0)];
    while let Some((list, i)) = stack.pop() {
        let Some(n) = list.get(i) else {
            if !stack.is_empty() {
                out.push("}".into());
            }
            continue;
        };
        stack.push((list, i + 1));
        let w: Vec<&str> = n.words.iter().map(|w| w.text.as_str()).collect();
        out.push(w.join("|"));
        if let Some(b) = &n.block {
            out.push("{".into());
            stack.push((&b.nodes, 0));
        }
    }
    out
}

fn parse(text: &str) -> (Vec<String>, Diagnostics) {
    let (nodes, diags, _) = parse_str("t.conf", text, &opts());
    (flat(&nodes), diags)
}

fn words(text: &str) -> Vec<String> {
    let (lines, diags) = parse(text);
    assert!(
        diags.iter().all(|d| d.severity == Severity::Advice),
        "{:?}",
        diags.iter().collect::<Vec<_>>()
    );
    lines
}

fn messages(d: &Diagnostics) -> Vec<(Severity, u32, String)> {
    d.sorted()
        .iter()
        .map(|d| {
            (
                d.severity,
                d.span.map(|s| s.line).unwrap_or(0),
                d.message.clone(),
            )
        })
        .collect()
}

#[test]
fn comments_and_quotes_as_keepalived() {
    // (keepalived) notification_email words for the same lines.
    assert_eq!(
        words("\"a b\"c d\"e f\"g\n'single q' x\\#y x\\y\nstate MASTER \\\n"),
        ["a b|c|d|e f|g", "'single|q'|x#y|x\\y", "state|MASTER\\"]
    );
    assert_eq!(
        words("a b # c\na \"b # c\" ! d\n  ! whole line\n# another\nx!y\n\"q!\"z#w\n"),
        ["a|b", "a|b # c", "x", "q!|z"]
    );
}

#[test]
fn braces_are_lines_of_their_own() {
    assert_eq!(
        words("a{b}c\nd \"{\" e {\n f }\n"),
        ["a", "{", "b", "}", "c", "d|{|e", "{", "f", "}"]
    );
    // A brace on the next line still opens the block of the line before.
    assert_eq!(
        words("vrrp_instance X\n{\n state MASTER\n}\n"),
        ["vrrp_instance|X", "{", "state|MASTER", "}"]
    );
}

#[test]
fn raw_line_and_escaped_words_for_scripts() {
    let (nodes, _, _) = parse_str(
        "t.conf",
        "vrrp_script c {\n  script \"/bin/echo 'a b' \\t\\x41\\101 \\cA\"\n}\n",
        &opts(),
    );
    let script = &nodes[0].children()[0];
    assert_eq!(
        script.raw(),
        "script \"/bin/echo 'a b' \\t\\x41\\101 \\cA\""
    );
    assert_eq!(
        script.escaped_words().unwrap(),
        ["script", "/bin/echo 'a b' \tAA \u{1}"]
    );
    // The plain words keep the backslashes: keepalived escapes only where scripts are read.
    assert_eq!(script.args()[0].text, "/bin/echo 'a b' \\t\\x41\\101 \\cA");
    assert_eq!(
        keepalived_conf::lex::split_escaped("a'b c'd \"e\\\"f\" \\E\\v\\777").unwrap(),
        ["ab cd", "e\"f", "\u{1b}\u{b}\u{fffd}"]
    );
    assert!(keepalived_conf::lex::split_escaped("a 'b").is_err());
    assert!(keepalived_conf::lex::split_escaped("a \\").is_err());
}

/// A line's raw text is its own, whether it is only its words joined by single spaces (then
/// nothing is stored) or not (runs of blanks, single quotes, a word after a brace on its line).
#[test]
fn raw_line_is_the_line_as_written() {
    let text = "vrrp_script c {\n  script /bin/a b\n  script /bin/echo  'x   y'\n  script\t/bin/c\n}\nx { y\tz }\n";
    let (nodes, _, _) = parse_str("t.conf", text, &opts());
    let kids = nodes[0].children();
    assert_eq!(kids[0].raw(), "script /bin/a b");
    assert_eq!(kids[1].raw(), "script /bin/echo  'x   y'");
    assert_eq!(
        kids[1].escaped_words().unwrap(),
        ["script", "/bin/echo", "x   y"]
    );
    assert_eq!(kids[2].raw(), "script\t/bin/c");
    assert_eq!(nodes[1].raw(), "x");
    assert_eq!(nodes[1].children()[0].raw(), "y\tz");
}

#[test]
fn conditional_lines() {
    let text = "@main a\n@^main b\n@backup c\n@^backup d\n@main\n@mainx e\n";
    assert_eq!(words(text), ["a", "d"]);
    let (nodes, _, _) = parse_str(
        "t.conf",
        text,
        &LoadOptions {
            config_id: Some("backup".into()),
            ..Default::default()
        },
    );
    assert_eq!(flat(&nodes), ["b", "c"]);
    // A parameter can carry the condition.
    assert_eq!(
        words("$IF_MAIN=@main\n$IF_MAIN priority 240\n$NO=@x\n$NO y\n"),
        ["priority|240"]
    );
}

#[test]
fn condition_after_substitution_uses_the_stale_length() {
    // (keepalived) `$Z yes_cond` with Z=@vm under config id vm gives `yes_condcond`: keepalived
    // strips the `@vm ` prefix with the line length measured before the substitution.
    let (nodes, _, _) = parse_str(
        "t.conf",
        "$Z=@vm\n$Z yes_cond\n",
        &LoadOptions {
            config_id: Some("vm".into()),
            ..Default::default()
        },
    );
    assert_eq!(flat(&nodes), ["yes_condcond"]);
}

#[test]
fn default_config_id_is_the_short_host_name() {
    let id = keepalived_conf::preprocess::default_config_id();
    assert!(!id.contains('.'));
    let text = format!("@{id} yes\n@^{id} no\n");
    let (nodes, _, _) = parse_str("t.conf", &text, &LoadOptions::default());
    assert_eq!(flat(&nodes), ["yes"]);
    let (nodes, _, _) = parse_str("t.conf", "x ${_INSTANCE}\n", &LoadOptions::default());
    assert_eq!(flat(&nodes), [format!("x|{id}")]);
}

#[test]
fn parameters_from_the_man_page() {
    assert_eq!(
        words(
            "$ADDRESS_BASE=10.2.${ADDRESS_BASE_SUB}\n$ADDRESS_BASE_SUB=0\n${ADDRESS_BASE}.100/32\n\
             $ADDRESS_BASE_SUB=10\n${ADDRESS_BASE}.100/32\n"
        ),
        ["10.2.0.100/32", "10.2.10.100/32"]
    );
    assert_eq!(
        words("@main $PRIORITY=240\n@backup $PRIORITY=200\npriority $PRIORITY\n"),
        ["priority|240"]
    );
}

#[test]
fn parameter_reference_rules() {
    // Unbraced only before a blank, `,`, `)` or the end; undefined ones stay; `$X =` is no
    // definition; an empty value is allowed.
    assert_eq!(
        words("$X=v\n$E=\na $X $X, ($X) $X-y ${X}-y $UNDEF ${UNDEF} [$E] ${E}.\n$X =w\n"),
        // An undefined `${UNDEF}` stays, and is then split at its braces like any text.
        [
            "a|v|v,|(v)|$X-y|v-y|$UNDEF|$",
            "{",
            "UNDEF",
            "}",
            "[$E]|.",
            "v|=w"
        ]
    );
    // (keepalived) `${X }` replaces only `${X ` and leaves the `}`, which then closes a block.
    assert_eq!(
        words("$X=val\nb {\na${X }b\n"),
        ["b", "{", "aval", "}", "b"]
    );
    // Redefinition takes effect from then on; substitution happens at use, not definition.
    assert_eq!(words("$A=1\n$B=$A\n$A=2\nx $B\n"), ["x|2"]);
    // A definition can come out of a substitution.
    assert_eq!(words("$D=$E=42\n$D\ne$E\n"), ["e42"]);
}

#[test]
fn multiline_parameters_from_the_man_page() {
    let text = "$INSTANCE= \\\nvrrp_instance VI_${NUM} { \\\n    interface eth0.${NUM} \\\n    \
                @main priority 130 \\\n    @low priority 120 \\\n    virtual_ipaddress { \\\n        \
                10.0.${NUM}.254/24 \\\n    } \\\n}\n\n$NUM=0\n$INSTANCE\n\n$NUM=1\n$INSTANCE\n";
    assert_eq!(
        words(text),
        [
            "vrrp_instance|VI_0",
            "{",
            "interface|eth0.0",
            "priority|130",
            "virtual_ipaddress",
            "{",
            "10.0.0.254/24",
            "}",
            "}",
            "vrrp_instance|VI_1",
            "{",
            "interface|eth0.1",
            "priority|130",
            "virtual_ipaddress",
            "{",
            "10.0.1.254/24",
            "}",
            "}"
        ]
    );
}

#[test]
fn nested_multiline_parameters() {
    let text = "$RS= \\\nreal_server 192.168.${VS}.${RSN} 80 { \\\n  weight 1 \\\n}\n\n\
                $VSD= \\\nvirtual_server 10.0.${VS}.4 80 { \\\n  $RSN=1 \\\n  $RS \\\n  \
                $RSN=2 \\\n  $RS \\\n}\n\n$VS=0\n$VSD\n$VS=1\n$VSD\n";
    let got = words(text);
    assert_eq!(
        got,
        [
            "virtual_server|10.0.0.4|80",
            "{",
            "real_server|192.168.0.1|80",
            "{",
            "weight|1",
            "}",
            "real_server|192.168.0.2|80",
            "{",
            "weight|1",
            "}",
            "}",
            "virtual_server|10.0.1.4|80",
            "{",
            "real_server|192.168.1.1|80",
            "{",
            "weight|1",
            "}",
            "real_server|192.168.1.2|80",
            "{",
            "weight|1",
            "}",
            "}"
        ]
    );
}

#[test]
fn multiline_parameter_details() {
    // (keepalived) `n$X` takes the first line; a blank line ends a definition; comment lines and
    // comments inside do not.
    assert_eq!(
        words("$X=1 \\\n  2 # c \\\n\n  3\n$X\nn$X\n"),
        ["3", "1", "2", "n1", "2"]
    );
    // Only at the end of a line.
    assert_eq!(words("$M=a \\\nb\n$M tail\n"), ["$M|tail"]);
    // `$X=\` followed by one line is a one-line value.
    assert_eq!(words("$X=\\\nvalue\nk $X z\n"), ["k|value|z"]);
}

#[test]
fn predefined_parameters() {
    let dir = tempfile::tempdir().unwrap();
    let sub = dir.path().join("sub");
    std::fs::create_dir(&sub).unwrap();
    std::fs::write(
        dir.path().join("main.conf"),
        "top ${_PWD}\ninclude sub/inc.conf\nafter ${_PWD}\n",
    )
    .unwrap();
    std::fs::write(sub.join("inc.conf"), "inner ${_PWD}\n").unwrap();
    let (nodes, diags, _) = parse_file(&dir.path().join("main.conf"), &opts());
    assert!(diags.is_empty(), "{:?}", diags.iter().collect::<Vec<_>>());
    let real = std::fs::canonicalize(dir.path()).unwrap();
    let d = real.display();
    assert_eq!(
        flat(&nodes),
        [
            format!("top|{d}"),
            format!("inner|{d}/sub"),
            format!("after|{d}")
        ]
    );
    // _HASH and _BANG start a comment unless quoted (keepalived decomments after substituting).
    assert_eq!(
        words("a${_HASH}b \"q${_HASH}\"\n\"${_BANG}\" x\n"),
        ["a", "!|x"]
    );
    assert_eq!(words("i ${_INSTANCE}\n"), ["i|main"]);
    assert_eq!(words("$_HASH=h\nx ${_HASH}\n"), ["x|h"]);
}

#[test]
fn random_numbers() {
    for seed in 0..50 {
        let o = LoadOptions {
            random_seed: Some(seed),
            ..Default::default()
        };
        let (nodes, _, _) = parse_str(
            "t.conf",
            "a ${_RANDOM}\nb ${_RANDOM 5 7}\nc ${_RANDOM 100}\n",
            &o,
        );
        let f = flat(&nodes);
        let n = |i: usize| f[i].split('|').nth(1).unwrap().parse::<u64>().unwrap();
        assert!(n(0) <= 32767);
        assert!((5..=7).contains(&n(1)));
        assert!((100..=32767).contains(&n(2)) || n(2) < 100_000);
    }
    // (keepalived) with parameters anywhere but at the end of a line, the rest is garbled.
    let (nodes, diags, _) = parse_str("t.conf", "${_RANDOM 5 7} x\n", &opts());
    let f = flat(&nodes);
    assert!(f[0].contains("_RANDOM|5|7"), "{f:?}");
    assert!(diags.iter().any(|d| d.message.contains("garbles")));
}

#[test]
fn sequences() {
    assert_eq!(
        words(
            "~SEQ(SUBNET, 0, 3) ip_address 10.0.${SUBNET}.1\n~SEQx(S, 0x90, 0x10, 0xc0) fe80::20:${S}:1\n"
        ),
        [
            "ip_address|10.0.0.1",
            "ip_address|10.0.1.1",
            "ip_address|10.0.2.1",
            "ip_address|10.0.3.1",
            "fe80::20:90:1",
            "fe80::20:a0:1",
            "fe80::20:b0:1",
            "fe80::20:c0:1"
        ]
    );
    // (keepalived) one number: 1..n or -1..n; step from the order; nesting.
    assert_eq!(
        words(
            "~SEQ(i, 3) s$i\n~SEQ(i, 0) z$i\n~SEQ(j, -2) n$j\n~SEQ(k, 3, 1) d$k\n~SEQ(k, 1, 2) ~SEQ(m, 5, 6) p${k}q$m\n$N=2\n~SEQ(x, $N) v$x\n~SEQ(o, 010, 0x9) o$o\n"
        ),
        [
            "s1", "s2", "s3", "z1", "z0", "n-1", "n-2", "d3", "d2", "d1", "p1q5", "p1q6", "p2q5",
            "p2q6", "v1", "v2", "o8", "o9"
        ]
    );
    // The man page's nested hex example.
    let w =
        words("~SEQx(AD2, 0x90, 0x10, 0xa0) ~SEQx(AD1, 0x12, -1, 0x11) fe81::10:${AD2}:${AD1}\n");
    assert_eq!(
        w,
        [
            "fe81::10:90:12",
            "fe81::10:90:11",
            "fe81::10:a0:12",
            "fe81::10:a0:11"
        ]
    );
    // A sequence of multi-line parameters.
    assert_eq!(
        words("$B= \\\nb$i { \\\n  x \\\n}\n\n~SEQ(i, 2) $B\n"),
        ["b1", "{", "x", "}", "b2", "{", "x", "}"]
    );
}

#[test]
fn bad_sequences_are_errors() {
    for bad in [
        "~SEQ(i, 1, 0, 5) x",
        "~SEQ(i, 1, -1, 5) x",
        "~SEQ(i) x",
        "~SEQ(i, 1, 2, 3, 4) x",
        "~SEQx(i, -1, 5) x",
        "~SEQ(i, 1, 5 x",
        "~SEQUENCE x",
        "~LST(a) x",
        "~LST({a}, {1, 2}) x",
    ] {
        let (lines, diags) = parse(&format!("{bad}\n"));
        assert!(lines.is_empty(), "{bad}: {lines:?}");
        let m = messages(&diags);
        assert_eq!(m.len(), 1, "{bad}: {m:?}");
        assert_eq!(m[0].0, Severity::Error, "{bad}");
    }
}

#[test]
fn lists() {
    assert_eq!(
        words("~LST({IP, IP1}, {10,1},{20,4}) 192.168.${IP}.${IP1}\n~LST(v, a, b) w$v\n"),
        ["192.168.10.1", "192.168.20.4", "wa", "wb"]
    );
    assert_eq!(
        words("~LST(IP, 1, 2) ~LST(IP1, 5,6) 192.169.${IP}.${IP1}\n"),
        ["192.169.1.5", "192.169.1.6", "192.169.2.5", "192.169.2.6"]
    );
    assert_eq!(
        words("~LST({IP,   IP1},  {10,1},{20,4})  ~SEQ(IP2,168,2,170) 192.${IP2}.${IP}.${IP1}\n"),
        [
            "192.168.10.1",
            "192.170.10.1",
            "192.168.20.4",
            "192.170.20.4"
        ]
    );
    // (keepalived) missing values are empty.
    assert_eq!(words("~LST({A, B}, {1}) l${A}.${B}.\n"), ["l1.."]);
}

#[test]
fn spans_point_where_the_text_came_from() {
    let text = "$P=240\n$M= \\\n  state BACKUP \\\n  prio $P\n\nvrrp_instance é {\n  priority $P\n  $M\n}\n~SEQ(i, 2) seq$i\n";
    let (nodes, _, _) = parse_str("t.conf", text, &opts());
    let vi = &nodes[0];
    assert_eq!((vi.span().line, vi.span().col), (6, 1));
    assert_eq!(vi.words[1].span.col, 15);
    assert_eq!(vi.words[1].span.len, 1);
    // `{` is the 17th character (é is one).
    assert_eq!(vi.block.as_ref().unwrap().open.col, 17);
    let prio = &vi.children()[0];
    // The substituted value points at the reference `$P`.
    assert_eq!(prio.words[1].text, "240");
    assert_eq!(
        (
            prio.words[1].span.line,
            prio.words[1].span.col,
            prio.words[1].span.len
        ),
        (7, 12, 2)
    );
    // Lines of a multi-line parameter point at the definition's lines.
    let state = &vi.children()[1];
    assert_eq!(state.keyword(), "state");
    assert_eq!((state.span().line, state.span().col), (3, 3));
    let p2 = &vi.children()[2];
    assert_eq!(
        (p2.span().line, p2.words[1].span.line, p2.words[1].span.col),
        (4, 4, 8)
    );
    // Generated lines point at the generator's text.
    let s = &nodes[1];
    assert_eq!(s.keyword(), "seq1");
    assert_eq!((s.span().line, s.span().col, s.span().len), (10, 12, 5));
}

fn tmp_tree(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in files {
        let p = dir.path().join(name);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    dir
}

#[test]
fn include_is_relative_to_the_including_file() {
    let dir = tmp_tree(&[
        (
            "main.conf",
            "a\ninclude conf.d/*.conf\nincluder parts/{x,y}.inc\nz\n",
        ),
        ("conf.d/2.conf", "two\ninclude ../parts/x.inc\n"),
        ("conf.d/1.conf", "one\n"),
        ("conf.d/.hidden.conf", "hidden\n"),
        ("parts/x.inc", "x\n"),
        ("parts/y.inc", "y ${_PWD}\n"),
    ]);
    let (nodes, diags, sources) = parse_file(&dir.path().join("main.conf"), &opts());
    assert!(diags.is_empty(), "{:?}", diags.iter().collect::<Vec<_>>());
    let real = std::fs::canonicalize(dir.path()).unwrap();
    assert_eq!(
        flat(&nodes),
        [
            "a".to_string(),
            "one".into(),
            "two".into(),
            "x".into(),
            "x".into(),
            format!("y|{}/parts", real.display()),
            "z".into()
        ]
    );
    // Each word knows its file, and each file the include line that pulled it in.
    let two = &nodes[2];
    let f = sources.file(two.span().file).unwrap();
    assert!(f.path.ends_with("conf.d/2.conf"), "{:?}", f.path);
    assert_eq!(f.included_from.unwrap().line, 2);
    assert_eq!(two.span().line, 1);
}

#[test]
fn include_from_a_substitution_or_after_a_brace() {
    let dir = tmp_tree(&[
        (
            "main.conf",
            "$F=inc.conf\ninclude $F\n@main include inc.conf\nb { include inc.conf\n}\n~SEQ(i, 2) include s${i}.conf\n",
        ),
        ("inc.conf", "i\n"),
        ("s1.conf", "s1\n"),
        ("s2.conf", "s2\n"),
    ]);
    let (nodes, diags, _) = parse_file(&dir.path().join("main.conf"), &opts());
    assert!(diags.is_empty(), "{:?}", diags.iter().collect::<Vec<_>>());
    // keepalived reads generated lines before the files they include, so includes made by one
    // ~SEQ stack up and are read last first.
    assert_eq!(flat(&nodes), ["i", "i", "b", "{", "i", "}", "s2", "s1"]);
}

#[test]
fn missing_includes_follow_the_include_checks() {
    let dir = tmp_tree(&[
        ("plain.conf", "include nothere.conf\nx\n"),
        ("all.conf", "includea nothere.conf\nx\n"),
        (
            "wild.conf",
            "include none/*.conf\ninclude *.none\nincludew *.none\n",
        ),
        (
            "check.conf",
            "global_defs {\n  include_check\n}\ninclude nothere.conf\n",
        ),
        (
            "checkw.conf",
            "global_defs {\n  include_check -match\n}\ninclude nothere.conf\n",
        ),
        ("dir.conf", "includer sub\n"),
        ("sub/f", "x\n"),
    ]);
    let l = load(&dir.path().join("plain.conf"), &opts(), &AnyHost);
    let m = messages(&l.diagnostics);
    assert_eq!(m[0].0, Severity::Advice, "{m:?}");
    assert_eq!(m[0].1, 1);
    assert!(m[0].2.contains("nothere.conf"), "{m:?}");
    assert!(!l.file_error);

    let l = load(&dir.path().join("all.conf"), &opts(), &AnyHost);
    assert!(l.file_error);
    assert_eq!(l.exit_code(), 6);
    assert!(!l.runnable());
    let m = messages(&l.diagnostics);
    assert_eq!((m[0].0, m[0].1), (Severity::Fatal, 1), "{m:?}");

    let (_, d, _) = parse_file(&dir.path().join("wild.conf"), &opts());
    let m = messages(&d);
    assert_eq!(m.len(), 2, "{m:?}");
    assert_eq!((m[0].0, m[0].1), (Severity::Advice, 1));
    assert_eq!((m[1].0, m[1].1), (Severity::Fatal, 3));

    let l = load(&dir.path().join("check.conf"), &opts(), &AnyHost);
    assert!(l.file_error, "{}", l.render());
    let l = load(&dir.path().join("checkw.conf"), &opts(), &AnyHost);
    assert!(!l.file_error, "{}", l.render());

    let (_, d, _) = parse_file(&dir.path().join("dir.conf"), &opts());
    let m = messages(&d);
    assert_eq!(m[0].0, Severity::Fatal, "{m:?}");
    assert!(m[0].2.contains("directory"));

    let l = load(
        &dir.path().join("plain.conf"),
        &LoadOptions {
            all_config: true,
            ..opts()
        },
        &AnyHost,
    );
    assert!(l.file_error);
}

#[test]
fn missing_main_file_names_the_file() {
    let l = load(Path::new("/nonexistent/keepalived.conf"), &opts(), &AnyHost);
    assert!(!l.runnable());
    assert!(
        l.render().contains("/nonexistent/keepalived.conf"),
        "{}",
        l.render()
    );
}

#[test]
fn include_loops_end_with_an_error() {
    let dir = tmp_tree(&[
        ("self.conf", "include self.conf\nx\n"),
        ("a.conf", "a\ninclude b.conf\n"),
        ("b.conf", "b\ninclude ./a.conf\n"),
    ]);
    let l = load(&dir.path().join("self.conf"), &opts(), &AnyHost);
    let m = messages(&l.diagnostics);
    assert!(m.iter().any(|(s, line, msg)| *s == Severity::Error
        && *line == 1
        && msg.contains("includes itself")));
    let (nodes, d, _) = parse_file(&dir.path().join("a.conf"), &opts());
    assert_eq!(flat(&nodes), ["a", "b"]);
    let m = messages(&d);
    assert_eq!(m.len(), 1, "{m:?}");
    assert_eq!((m[0].0, m[0].1), (Severity::Error, 2));
}

#[test]
fn include_depth_is_limited() {
    let mut files = Vec::new();
    for i in 0..100 {
        files.push((
            format!("f{i}.conf"),
            format!("l{i}\ninclude f{}.conf\n", i + 1),
        ));
    }
    let refs: Vec<(&str, &str)> = files
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    let dir = tmp_tree(&refs);
    let (nodes, d, _) = parse_file(&dir.path().join("f0.conf"), &opts());
    assert_eq!(nodes.len(), keepalived_conf::preprocess::MAX_INCLUDE_DEPTH);
    assert!(messages(&d).iter().any(|m| m.2.contains("nested")));
}

#[test]
fn endless_input_stops_with_a_diagnostic() {
    // keepalived 2.2.7 hangs on both.
    let (_, d) = parse("$A=$A\nx $A\n");
    let m = messages(&d);
    assert_eq!(m.len(), 1);
    assert_eq!((m[0].0, m[0].1), (Severity::Fatal, 2));
    let (_, d) = parse("$A=${B}\n$B=${A}\nx $A\n");
    assert_eq!(messages(&d)[0].0, Severity::Fatal);
    let (nodes, d, _) = parse_str(
        "t.conf",
        "~SEQ(i, 0, 1, 9223372036854775807) x$i\n",
        &LoadOptions {
            max_lines: Some(1000),
            ..opts()
        },
    );
    assert!(nodes.len() < 1000);
    assert!(messages(&d)[0].2.contains("1000 lines"));
    // Generated lines that are all comments still count.
    let (_, d, _) = parse_str(
        "t.conf",
        "~SEQ(i, 0, 1, 9223372036854775807) # x\n",
        &LoadOptions {
            max_lines: Some(1000),
            ..opts()
        },
    );
    assert_eq!(messages(&d)[0].0, Severity::Fatal);
}

#[test]
fn hostile_bytes_do_not_panic() {
    // Invalid UTF-8 is replaced (and said once), NUL ends the line as for keepalived.
    let dir = tmp_tree(&[]);
    let p = dir.path().join("bad.conf");
    std::fs::write(&p, b"router_id ab\xffcd\nx\xfe\nfoo\0bar baz\nqux\n").unwrap();
    let (nodes, d, _) = parse_file(&p, &opts());
    assert_eq!(
        flat(&nodes),
        ["router_id|ab\u{fffd}cd", "x\u{fffd}", "foo", "qux"]
    );
    let m = messages(&d);
    assert_eq!(m.len(), 2, "{m:?}");
    assert!(m.iter().all(|m| m.0 == Severity::Advice));

    // A 1 MB line: keepalived reads 1023-byte pieces.
    let long = format!("k {}\n", "a".repeat(1 << 20));
    let (nodes, d) = parse(&long);
    assert_eq!(nodes.len(), (2 + (1 << 20)) / 1023 + 1);
    assert_eq!(messages(&d).len(), 1);

    // 10,000 nested blocks, built and dropped on a small stack.
    std::thread::Builder::new()
        .stack_size(256 * 1024)
        .spawn(|| {
            let deep = format!("{}{}", "a {\n".repeat(10_000), "}\n".repeat(10_000));
            let (nodes, d, _) = parse_str("t.conf", &deep, &LoadOptions::default());
            assert!(d.is_empty());
            assert_eq!(nodes.len(), 1);
            let copy = nodes.clone();
            assert!(copy == nodes);
            let unclosed = "x {\n".repeat(10_000);
            let (nodes, d, _) = parse_str("t.conf", &unclosed, &LoadOptions::default());
            assert_eq!(nodes.len(), 1);
            assert_eq!(d.len(), 10_000);
            drop(nodes);
        })
        .unwrap()
        .join()
        .unwrap();
    let deep = format!(
        "{}{}",
        "vrrp_instance {\n".repeat(10_000),
        "}\n".repeat(10_000)
    );
    let l = load_str("t.conf", &deep, &opts(), &AnyHost);
    assert!(!l.diagnostics.is_empty());
}

#[test]
fn unterminated_quote_is_one_error() {
    let (lines, d) = parse("a \"b c\nd\n");
    assert_eq!(lines, ["a", "d"]);
    let m = messages(&d);
    assert_eq!(m.len(), 1, "{m:?}");
    assert_eq!((m[0].0, m[0].1), (Severity::Error, 1));
}

#[test]
fn load_str_and_parse_agree_on_sources() {
    let (_, _, sources): (_, _, SourceMap) = parse_str("t.conf", "a\n", &opts());
    assert_eq!(sources.files().count(), 1);
}

#[test]
fn source_lines_are_found_by_number() {
    let mut m = SourceMap::new();
    let id = m.add("x", "a\r\nbb\n\nccc".into(), None);
    assert_eq!(m.line(id, 1), Some("a"));
    assert_eq!(m.line(id, 2), Some("bb"));
    assert_eq!(m.line(id, 3), Some(""));
    assert_eq!(m.line(id, 4), Some("ccc"));
    assert_eq!(m.line(id, 5), None);
    assert_eq!(m.line(id, 0), None);
    let id = m.add("y", "a\n".into(), None);
    assert_eq!(m.line(id, 1), Some("a"));
    assert_eq!(m.line(id, 2), None);
}

#[test]
fn more_keepalived_checked_cases() {
    // (keepalived) comment lines and `\`-only lines inside a multi-line definition; a definition
    // made by a sequence; a value starting with `~` stops further substitution on the line.
    assert_eq!(
        words(
            "$X=a \\\n# comment\n   b \\\n   \\\n  c\n$X\n~SEQ(i, 1, 2) $Y=y$i\n$Y\n$T=~tilde $X\npre $T post\n\"${_HASH}\" x\n"
        ),
        ["a", "b", "c", "y2", "pre|~tilde|$X|post", "#|x"]
    );
}

#[test]
fn escaped_quotes_are_no_escapes_for_plain_words() {
    // decomment treats `\"` as escaped (so `#` and `!` stay inside the quotes), but splitting into
    // words does not: keepalived's router_id gets `lb \`.
    assert_eq!(
        words("router_id \"lb \\\"one\\\" #1 !x\"\nnext\n"),
        ["router_id|lb \\|one\\| #1 !x", "next"]
    );
}
