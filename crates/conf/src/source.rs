//! The text the configuration was read from: every file (and include) loaded, and spans that point
//! back into them so a diagnostic can print file:line:column and the source line.

use std::fmt;
use std::path::{Path, PathBuf};

/// Index of a file in a [`SourceMap`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default, serde::Serialize)]
pub struct FileId(pub u32);

/// Where a word sits: file, 1-based line and column (in characters), and its length in characters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default, serde::Serialize)]
pub struct Span {
    pub file: FileId,
    pub line: u32,
    pub col: u32,
    pub len: u32,
}

impl Span {
    pub fn new(file: FileId, line: u32, col: u32, len: u32) -> Self {
        Span {
            file,
            line,
            col,
            len,
        }
    }
}

/// One file as read (invalid UTF-8 replaced, so every byte of input has a place to point at).
#[derive(Debug, Clone)]
pub struct SourceFile {
    pub path: PathBuf,
    pub text: String,
    /// The `include` line that pulled this file in, if any.
    pub included_from: Option<Span>,
    /// Byte offset where each line starts, so a diagnostic finds its line at once; worked out
    /// on the first diagnostic that needs it (a clean load of a large file never does).
    line_starts: std::sync::OnceLock<Vec<usize>>,
}

impl SourceFile {
    /// The text of a 1-based line, without its line ending.
    pub fn line(&self, line: u32) -> Option<&str> {
        let i = (line as usize).checked_sub(1)?;
        let starts = self.line_starts.get_or_init(|| {
            std::iter::once(0)
                .chain(self.text.match_indices('\n').map(|(i, _)| i + 1))
                .filter(|&i| i < self.text.len() || i == 0)
                .collect()
        });
        let start = *starts.get(i)?;
        let end = starts.get(i + 1).map(|e| e - 1).unwrap_or(self.text.len());
        let l = self.text.get(start..end)?;
        let l = l.strip_suffix('\n').unwrap_or(l);
        Some(l.strip_suffix('\r').unwrap_or(l))
    }
}

/// All files read for one configuration.
#[derive(Debug, Clone, Default)]
pub struct SourceMap {
    files: Vec<SourceFile>,
}

impl SourceMap {
    pub fn new() -> Self {
        SourceMap::default()
    }

    pub fn add(
        &mut self,
        path: impl Into<PathBuf>,
        text: String,
        included_from: Option<Span>,
    ) -> FileId {
        let id = FileId(self.files.len() as u32);
        self.files.push(SourceFile {
            path: path.into(),
            text,
            included_from,
            line_starts: std::sync::OnceLock::new(),
        });
        id
    }

    pub fn file(&self, id: FileId) -> Option<&SourceFile> {
        self.files.get(id.0 as usize)
    }

    pub fn files(&self) -> impl Iterator<Item = (FileId, &SourceFile)> {
        self.files
            .iter()
            .enumerate()
            .map(|(i, f)| (FileId(i as u32), f))
    }

    pub fn path(&self, id: FileId) -> &Path {
        self.file(id)
            .map(|f| f.path.as_path())
            .unwrap_or(Path::new("<unknown>"))
    }

    /// The text of a 1-based line, without its line ending.
    pub fn line(&self, id: FileId, line: u32) -> Option<&str> {
        self.file(id)?.line(line)
    }

    /// `file:line:col` for a span.
    pub fn locate(&self, span: Span) -> Location<'_> {
        Location { map: self, span }
    }
}

/// Displays as `path:line:col`.
pub struct Location<'a> {
    map: &'a SourceMap,
    span: Span,
}

impl fmt::Display for Location<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}",
            self.map.path(self.span.file).display(),
            self.span.line,
            self.span.col
        )
    }
}
