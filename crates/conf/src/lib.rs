//! keepalived.conf: the whole language (lexer, preprocessor, block tree), the typed model of every
//! block with keepalived's defaults, validation with keepalived's semantics, and diagnostics.
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

pub mod diag;
pub mod lex;
pub mod model;
pub mod read;
pub mod source;
pub mod tree;

use std::path::{Path, PathBuf};

pub use diag::{Diagnostic, Diagnostics, Severity};
pub use model::Config;
pub use source::{FileId, SourceMap, Span};

/// What validation may ask of the host (interfaces, programs); tests pass a fake.
pub trait System {
    /// Whether a network interface of that name exists.
    fn interface_exists(&self, name: &str) -> bool;
    /// Whether a script's program can be found and executed (absolute path or on PATH).
    fn program_exists(&self, program: &str) -> bool;
}

/// The running host: /sys/class/net and PATH.
#[derive(Debug, Clone, Copy, Default)]
pub struct Host;

impl System for Host {
    fn interface_exists(&self, name: &str) -> bool {
        !name.is_empty() && !name.contains('/') && Path::new("/sys/class/net").join(name).exists()
    }

    fn program_exists(&self, program: &str) -> bool {
        if program.contains('/') {
            return Path::new(program).is_file();
        }
        std::env::var_os("PATH")
            .map(|p| std::env::split_paths(&p).any(|d| d.join(program).is_file()))
            .unwrap_or(false)
    }
}

/// A host where everything exists: for checking a file's language alone.
#[derive(Debug, Clone, Copy, Default)]
pub struct AnyHost;

impl System for AnyHost {
    fn interface_exists(&self, _: &str) -> bool {
        true
    }
    fn program_exists(&self, _: &str) -> bool {
        true
    }
}

/// How to load.
#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    /// `-i/--config-id`: selects `@ID` lines. `None` means the short host name.
    pub config_id: Option<String>,
}

/// The result of loading a configuration: the model (always, with keepalived's fallbacks applied
/// where it carries on), every diagnostic, and the text they point into.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub config: Config,
    pub diagnostics: Diagnostics,
    pub sources: SourceMap,
}

impl Loaded {
    /// The exit code `keepalived -t` would give.
    pub fn exit_code(&self) -> i32 {
        self.diagnostics.exit_code()
    }

    /// Whether the daemon may run this configuration (no fatal problem).
    pub fn runnable(&self) -> bool {
        self.diagnostics.runnable()
    }

    /// All diagnostics rendered with source lines and carets.
    pub fn render(&self) -> String {
        self.diagnostics.render(&self.sources)
    }
}

/// Loads a configuration file (and its includes) and validates it against `sys`.
pub fn load(path: &Path, opts: &LoadOptions, sys: &dyn System) -> Loaded {
    let mut sources = SourceMap::new();
    let mut diags = Diagnostics::new();
    let lines = match std::fs::read(path) {
        Ok(bytes) => {
            let text = String::from_utf8_lossy(&bytes).into_owned();
            let id = sources.add(path, text.clone(), None);
            lex::lines(id, &text, &mut diags)
        }
        Err(e) => {
            diags.push(
                Diagnostic::fatal(
                    None,
                    format!("cannot read configuration file {}: {e}", path.display()),
                )
                .help("check the path given with -f/--use-file"),
            );
            Vec::new()
        }
    };
    let _ = opts;
    finish(lines, sources, diags, sys)
}

/// Loads configuration text given in memory (`name` is what diagnostics call the file).
pub fn load_str(name: &str, text: &str, opts: &LoadOptions, sys: &dyn System) -> Loaded {
    let mut sources = SourceMap::new();
    let mut diags = Diagnostics::new();
    let id = sources.add(PathBuf::from(name), text.to_string(), None);
    let lines = lex::lines(id, text, &mut diags);
    let _ = opts;
    finish(lines, sources, diags, sys)
}

fn finish(
    lines: Vec<lex::Line>,
    sources: SourceMap,
    mut diags: Diagnostics,
    sys: &dyn System,
) -> Loaded {
    let nodes = tree::build(lines, &mut diags);
    let mut config = Config::default();
    let mut r = read::Reader::new(&mut diags);
    model::read(&nodes, &mut r, &mut config);
    model::validate(&mut config, &mut r, sys);
    Loaded {
        config,
        diagnostics: diags,
        sources,
    }
}
