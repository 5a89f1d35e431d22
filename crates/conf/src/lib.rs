//! keepalived.conf: the whole language (lexer, preprocessor, block tree), the typed model of every
//! block with keepalived's defaults, validation with keepalived's semantics, and diagnostics.
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

pub mod accounts;
pub mod diag;
pub mod lex;
pub mod model;
pub mod preprocess;
pub mod read;
pub mod source;
pub mod tree;

use std::cell::RefCell;
use std::collections::HashMap;
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

/// A [`System`] that asks the one it wraps once per distinct question and remembers the answer
/// for the rest of the load. Validation asks once per reference (every instance, address and
/// route naming its interface: 5,008 `statx` of /sys/class/net for the 40 interfaces of
/// bench/conf/gen.py's 1000-instance file, about 20 ms); the answers are the wrapped system's.
pub(crate) struct Remembered<'a> {
    sys: &'a dyn System,
    interfaces: RefCell<HashMap<String, bool, Quick>>,
    programs: RefCell<HashMap<String, bool, Quick>>,
}

impl<'a> Remembered<'a> {
    pub(crate) fn new(sys: &'a dyn System) -> Self {
        Remembered {
            sys,
            interfaces: RefCell::default(),
            programs: RefCell::default(),
        }
    }

    fn ask(
        memo: &RefCell<HashMap<String, bool, Quick>>,
        key: &str,
        ask: impl FnOnce() -> bool,
    ) -> bool {
        if let Some(&known) = memo.borrow().get(key) {
            return known;
        }
        let answer = ask();
        memo.borrow_mut().insert(key.to_string(), answer);
        answer
    }
}

impl System for Remembered<'_> {
    fn interface_exists(&self, name: &str) -> bool {
        Self::ask(&self.interfaces, name, || self.sys.interface_exists(name))
    }

    fn program_exists(&self, program: &str) -> bool {
        Self::ask(&self.programs, program, || self.sys.program_exists(program))
    }
}

/// A quick hash for the load's own lookup tables (names and addresses from the file, looked
/// up thousands of times): SipHash's defence against chosen keys buys nothing against a
/// configuration file, and costs more than the lookups themselves.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct QuickHash(u64);

impl QuickHash {
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

impl std::hash::Hasher for QuickHash {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            self.add(u64::from_le_bytes(w));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut w = [0u8; 8];
            w[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(w));
        }
    }

    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }

    fn write_u16(&mut self, i: u16) {
        self.add(u64::from(i));
    }

    fn write_u32(&mut self, i: u32) {
        self.add(u64::from(i));
    }

    fn write_u64(&mut self, i: u64) {
        self.add(i);
    }

    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

/// [`QuickHash`] for `HashMap`/`HashSet`.
pub(crate) type Quick = std::hash::BuildHasherDefault<QuickHash>;

/// How to load. Build it with `..Default::default()`: fields get added.
#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    /// `-i/--config-id`: selects `@ID` lines. `None` means the short host name.
    pub config_id: Option<String>,
    /// `-e/--all-config`: every include check on (a missing or unreadable include refuses the
    /// whole configuration), as `include_check` with no arguments.
    pub all_config: bool,
    /// Seed for `${_RANDOM}` (for reproducible tests); `None` seeds from the OS.
    pub random_seed: Option<u64>,
    /// Stop reading after this many lines (after `~SEQ`/`~LST`/multi-line expansion); `None`
    /// is [`preprocess::DEFAULT_MAX_LINES`]. keepalived has no limit and hangs on an endless one.
    pub max_lines: Option<usize>,
    /// Only files below this directory may be included (tests and fuzzing); others count as
    /// missing. `None`: any file.
    pub include_root: Option<PathBuf>,
}

impl LoadOptions {
    fn reader(&self) -> preprocess::Options {
        preprocess::Options {
            config_id: self.config_id.clone(),
            all_config: self.all_config,
            random_seed: self.random_seed,
            max_lines: self.max_lines,
            include_root: self.include_root.clone(),
        }
    }
}

/// The result of loading a configuration: the model (always, with keepalived's fallbacks applied
/// where it carries on), every diagnostic, and the text they point into.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub config: Config,
    pub diagnostics: Diagnostics,
    pub sources: SourceMap,
    /// A missing or unreadable file that keepalived treats as fatal for the whole load (the main
    /// file, or an include its include checks require): keepalived exits 6
    /// (KEEPALIVED_EXIT_NO_CONFIG) before judging anything else, and does not run.
    pub file_error: bool,
}

impl Loaded {
    /// The exit code `keepalived -t` would give.
    pub fn exit_code(&self) -> i32 {
        // keepalived checks for file errors before it judges anything else.
        if self.file_error {
            return EXIT_NO_CONFIG;
        }
        self.diagnostics.exit_code()
    }

    /// Whether the daemon may run this configuration (no fatal problem).
    pub fn runnable(&self) -> bool {
        !self.file_error && self.diagnostics.runnable()
    }

    /// All diagnostics rendered with source lines and carets.
    pub fn render(&self) -> String {
        self.diagnostics.render(&self.sources)
    }
}

/// keepalived's exit code when a configuration file it needs cannot be read.
pub const EXIT_NO_CONFIG: i32 = 6;

/// Loads a configuration file (and its includes) and validates it against `sys`.
pub fn load(path: &Path, opts: &LoadOptions, sys: &dyn System) -> Loaded {
    validated(read_model(Source::File(path), opts), sys)
}

/// Loads configuration text given in memory (`name` is what diagnostics call the file; relative
/// includes are resolved from its directory).
pub fn load_str(name: &str, text: &str, opts: &LoadOptions, sys: &dyn System) -> Loaded {
    validated(read_model(Source::Text(name, text), opts), sys)
}

/// Only the front end: the preprocessed lines built into a tree, with the diagnostics found on
/// the way (no model, no validation). For tools and tests of the language itself.
pub fn parse_str(
    name: &str,
    text: &str,
    opts: &LoadOptions,
) -> (Vec<tree::Node>, Diagnostics, SourceMap) {
    let (nodes, diags, sources, _) = read_tree(Source::Text(name, text), opts);
    (nodes, diags, sources)
}

/// [`parse_str`] for a file and its includes.
pub fn parse_file(path: &Path, opts: &LoadOptions) -> (Vec<tree::Node>, Diagnostics, SourceMap) {
    let (nodes, diags, sources, _) = read_tree(Source::File(path), opts);
    (nodes, diags, sources)
}

/// What to read: a file (and its includes) or text in memory (name, text).
#[derive(Clone, Copy)]
pub enum Source<'a> {
    File(&'a Path),
    Text(&'a str, &'a str),
}

impl Source<'_> {
    /// Runs the preprocessor over the file or text, each line into `sink`; true when a file
    /// error is fatal.
    fn read_into(
        self,
        reader: &preprocess::Options,
        sources: &mut SourceMap,
        diags: &mut Diagnostics,
        sink: &mut impl preprocess::Lines,
    ) -> bool {
        match self {
            Source::File(path) => preprocess::read_file_into(path, reader, sources, diags, sink),
            Source::Text(name, text) => {
                preprocess::read_str_into(name, text, reader, sources, diags, sink)
            }
        }
    }
}

/// The preprocessor and the tree builder together: each line goes into the tree as it is
/// read (a large file's lines are never all held at once). Gives the tree, the diagnostics
/// (the preprocessor's, then the tree's), the text read and whether a file error is fatal.
pub fn read_tree(
    src: Source<'_>,
    opts: &LoadOptions,
) -> (Vec<tree::Node>, Diagnostics, SourceMap, bool) {
    let mut sources = SourceMap::new();
    let mut diags = Diagnostics::new();
    let mut builder = tree::Builder::new();
    let reader = opts.reader();
    let file_error = src.read_into(&reader, &mut sources, &mut diags, &mut builder);
    let nodes = builder.finish(&mut diags);
    (nodes, diags, sources, file_error)
}

/// Everything [`load`] does but validation: the file read, its lines built into blocks and each
/// top-level block read into the model as soon as no later line can change it, then dropped
/// (the tree of a large file is never held whole: less memory touched, and what one block
/// frees the next one reuses). The diagnostics come in the order the steps would give them
/// one after the other: the preprocessor's, the tree's, the model's.
pub fn read_model(src: Source<'_>, opts: &LoadOptions) -> Loaded {
    let mut sources = SourceMap::new();
    let mut diags = Diagnostics::new();
    let mut config = Config::default();
    let mut sink = Streaming {
        builder: tree::Builder::new(),
        config: &mut config,
        diags: Diagnostics::new(),
    };
    let reader = opts.reader();
    let file_error = src.read_into(&reader, &mut sources, &mut diags, &mut sink);
    let Streaming {
        builder,
        diags: mut model_diags,
        ..
    } = sink;
    let rest = builder.finish(&mut diags);
    let mut r = read::Reader::new(&mut model_diags);
    model::read(&rest, &mut r, &mut config);
    drop(rest);
    diags.append(model_diags);
    Loaded {
        config,
        diagnostics: diags,
        sources,
        file_error,
    }
}

/// [`read_model`]'s result validated against `sys`.
pub fn validated(mut loaded: Loaded, sys: &dyn System) -> Loaded {
    let mut r = read::Reader::new(&mut loaded.diagnostics);
    model::validate(&mut loaded.config, &mut r, sys);
    loaded
}

/// The preprocessor's lines going into the tree, and settled top-level nodes into the model.
struct Streaming<'c> {
    builder: tree::Builder,
    config: &'c mut Config,
    /// The model's diagnostics, kept apart until the preprocessor's and the tree's are in.
    diags: Diagnostics,
}

impl preprocess::Lines for Streaming<'_> {
    fn line(&mut self, line: lex::Line) {
        self.builder.push(line);
        if self.builder.settled() > 0 {
            let mut r = read::Reader::new(&mut self.diags);
            for node in self.builder.take_settled() {
                model::read_one(&node, &mut r, self.config);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    /// Answers by name, counting every question.
    #[derive(Default)]
    struct Counting {
        asked: Cell<usize>,
    }

    impl System for Counting {
        fn interface_exists(&self, name: &str) -> bool {
            self.asked.set(self.asked.get() + 1);
            name.starts_with("eth")
        }
        fn program_exists(&self, program: &str) -> bool {
            self.asked.set(self.asked.get() + 1);
            program.starts_with('/')
        }
    }

    #[test]
    fn remembered_answers_as_the_host_and_asks_once_per_question() {
        let host = Counting::default();
        let memo = Remembered::new(&host);
        for _ in 0..3 {
            for name in ["eth0", "eth1", "bond0", ""] {
                assert_eq!(memo.interface_exists(name), host.interface_exists(name));
            }
            // The same word as a program is a different question.
            for p in ["/bin/true", "true", "eth0"] {
                assert_eq!(memo.program_exists(p), host.program_exists(p));
            }
        }
        // 3 rounds x 7 direct questions, plus each of the 7 distinct ones once through the memo.
        assert_eq!(host.asked.get(), 3 * 7 + 7);
    }

    /// A configuration naming one interface many times asks the host about it once.
    #[test]
    fn a_load_asks_about_each_interface_once() {
        let mut text = String::new();
        for i in 0..20 {
            text.push_str(&format!(
                "vrrp_instance VI_{i} {{\n interface eth0\n virtual_router_id {}\n priority 100\n virtual_ipaddress {{\n  10.0.0.{}/24 dev eth0\n }}\n}}\n",
                i + 1,
                i + 1
            ));
        }
        let host = Counting::default();
        let loaded = load_str("memo.conf", &text, &LoadOptions::default(), &host);
        assert_eq!(loaded.exit_code(), 0, "{}", loaded.render());
        assert_eq!(host.asked.get(), 1);
    }
}
