//! The body of the `parse` fuzz target, shared with tests/fuzz_corpus.rs: load the input as text,
//! as a file of raw bytes, and from a directory whose files include each other, then render the
//! diagnostics and serialise the model.

use std::path::PathBuf;
use std::sync::OnceLock;

use keepalived_conf::{AnyHost, LoadOptions, Loaded, load, load_str};

/// A scratch directory with files the input may include (a loop, a chain, a glob, a parameter).
fn scratch() -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("keepalived-conf-fuzz-{}", std::process::id()));
        let _ = std::fs::create_dir_all(dir.join("d"));
        let files: &[(&str, &str)] = &[
            ("self.conf", "include self.conf\nx\n"),
            ("a.conf", "a {\ninclude b.conf\n"),
            ("b.conf", "b }\ninclude a.conf\n$P=pv\n"),
            (
                "d/1.conf",
                "vrrp_instance I {\n interface eth0\n virtual_router_id 1\n}\n",
            ),
            (
                "d/2.conf",
                "$M= \\\n  m ${_PWD} \\\n  n\n\n~SEQ(i, 2) s$i\n",
            ),
        ];
        for (name, text) in files {
            let _ = std::fs::write(dir.join(name), text);
        }
        dir
    })
}

fn options() -> LoadOptions {
    LoadOptions {
        config_id: Some("main".into()),
        random_seed: Some(1),
        max_lines: Some(20_000),
        include_root: Some(scratch().clone()),
        ..Default::default()
    }
}

fn exercise(l: &Loaded) {
    let _ = l.render();
    let _ = l.exit_code();
    let _ = l.runnable();
    let _ = serde_json::to_string(&l.config);
}

pub fn run(data: &[u8]) {
    let dir = scratch();
    let opts = options();
    let text = String::from_utf8_lossy(data);
    let name = dir.join("input.conf");
    exercise(&load_str(&name.to_string_lossy(), &text, &opts, &AnyHost));
    // Raw bytes (invalid UTF-8, NUL, CR) go through the file path when the input asks for it.
    if data.first().is_some_and(|b| b & 1 == 1) {
        // Outside the include root, so that no input can include another's bytes.
        let file = std::env::temp_dir().join(format!(
            "keepalived-conf-fuzz-raw-{}-{:?}.conf",
            std::process::id(),
            std::thread::current().id()
        ));
        if std::fs::write(&file, data).is_ok() {
            exercise(&load(&file, &opts, &AnyHost));
        }
    }
}
