#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Completeness against the man page: every keyword keepalived.conf(5) documents, per block
//! (tests/fixtures/manpage-keywords.txt, from bench/conf/extract-keywords.py), is read by the model.

use std::collections::BTreeMap;
use std::path::Path;

/// The fixture as block path -> keywords, in page order.
fn manpage() -> BTreeMap<String, Vec<String>> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/manpage-keywords.txt");
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for line in std::fs::read_to_string(path).unwrap().lines() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let (block, kw) = line.split_once('\t').expect("BLOCK<TAB>KEYWORD");
        out.entry(block.to_string())
            .or_default()
            .push(kw.to_string());
    }
    out
}

/// Whether the model's block name stands for the man page's block path: the same path, or the
/// same last component where the model names blocks by their own keyword (`url`,
/// `authentication`, `HTTP_GET`), or a path that ends the man page's.
fn same_block(model: &str, page: &str) -> bool {
    if model == page {
        return true;
    }
    let page_parts: Vec<&str> = page.split('/').collect();
    let model_parts: Vec<&str> = model.split('/').collect();
    model_parts.len() <= page_parts.len() && page_parts.ends_with(&model_parts)
}

#[test]
fn fixture_lists_every_block() {
    let page = manpage();
    let total: usize = page.values().map(Vec::len).sum();
    assert!(total >= 400, "only {total} keywords in the fixture");
    for block in [
        "top level",
        "global_defs",
        "vrrp_instance",
        "vrrp_instance/authentication",
        "vrrp_script",
        "vrrp_sync_group",
        "vrrp_track_process",
        "track_file",
        "garp_group",
        "bfd_instance",
        "virtual_server",
        "virtual_server/real_server",
        "virtual_server/real_server/HTTP_GET/url",
        "virtual_server/real_server/MISC_CHECK",
        "SSL",
    ] {
        assert!(page.contains_key(block), "no {block} in the fixture");
    }
    // keepalived reads these at the top level, not in global_defs (its 2.2.7 -t says so).
    assert!(page["top level"].contains(&"net_namespace".to_string()));
    assert!(!page["global_defs"].contains(&"net_namespace".to_string()));
}

#[test]
fn model_reads_every_manpage_keyword() {
    let model = keepalived_conf::model::all_keywords();
    let mut missing = Vec::new();
    let mut checked = 0;
    for (block, keywords) in manpage() {
        let known: Vec<&str> = model
            .iter()
            .filter(|(b, _)| same_block(b, &block))
            .flat_map(|(_, k)| k.iter().copied())
            .collect();
        if known.is_empty() {
            missing.push(format!("{block}: no such block in model::all_keywords()"));
            continue;
        }
        let absent: Vec<&str> = keywords
            .iter()
            .map(String::as_str)
            .filter(|k| !known.contains(k))
            .collect();
        checked += keywords.len();
        if !absent.is_empty() {
            missing.push(format!("{block}: {}", absent.join(" ")));
        }
    }
    assert!(
        missing.is_empty(),
        "keywords of keepalived.conf(5) the model does not read ({checked} checked):\n{}",
        missing.join("\n")
    );
}

#[test]
fn block_names_match_by_path_suffix() {
    assert!(same_block("url", "virtual_server/real_server/HTTP_GET/url"));
    assert!(same_block(
        "HTTP_GET/url",
        "virtual_server/real_server/HTTP_GET/url"
    ));
    assert!(!same_block(
        "SSL_GET/url",
        "virtual_server/real_server/HTTP_GET/url"
    ));
    assert!(same_block("vrrp_instance", "vrrp_instance"));
    assert!(!same_block("global_defs", "top level"));
}

/// The corpus (tests/corpus, with its includes) uses every keyword of the fixture in its block,
/// so the compatibility test exercises each against keepalived. A plain brace walk: no include,
/// parameter or generator expansion is needed for this.
#[test]
fn corpus_uses_every_manpage_keyword() {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus");
    let mut files = Vec::new();
    let mut dirs = vec![corpus];
    while let Some(dir) = dirs.pop() {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                dirs.push(p);
            } else if p.extension().is_some_and(|x| x == "conf" || x == "inc") {
                files.push(p);
            }
        }
    }
    let mut used = std::collections::HashSet::new();
    for f in files {
        let text = String::from_utf8_lossy(&std::fs::read(&f).unwrap()).into_owned();
        let mut stack: Vec<String> = Vec::new();
        for line in text.lines() {
            let line = line.split(['#', '!']).next().unwrap_or("");
            let words: Vec<&str> = line
                .split_whitespace()
                .skip_while(|w| w.starts_with('@'))
                .collect();
            let Some(first) = words.first() else { continue };
            if *first == "}" {
                stack.pop();
                continue;
            }
            let path = if stack.is_empty() {
                "top level".to_string()
            } else {
                stack.join("/")
            };
            used.insert((path, first.to_string()));
            if words.contains(&"{") {
                stack.push(first.to_string());
            }
        }
    }
    let mut unused = Vec::new();
    for (block, keywords) in manpage() {
        for kw in keywords {
            if !used.contains(&(block.clone(), kw.clone())) {
                unused.push(format!("{block} {kw}"));
            }
        }
    }
    assert!(
        unused.is_empty(),
        "keywords of the man page no corpus file uses:\n{}",
        unused.join("\n")
    );
}
