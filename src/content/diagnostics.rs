//! Problems found in content, reported the way a compiler reports them: `path:line:col: message`.
//!
//! Loading never stops at the first problem: every file is read, every reference is checked, and
//! all problems are returned together so that an editor can fix them in one go.

use std::fmt;
use std::path::{Path, PathBuf};

/// How serious a problem is. Errors stop the site from starting; warnings are reported only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Warning,
    Error,
}

/// One problem at one place in one file.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Diagnostic {
    pub path: PathBuf,
    /// 1-based line in the file (not in the front-matter block).
    pub line: usize,
    /// 1-based column, counted in characters.
    pub col: usize,
    pub severity: Severity,
    pub message: String,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        write!(
            f,
            "{}:{}:{}: {kind}: {}",
            self.path.display(),
            self.line,
            self.col,
            self.message
        )
    }
}

/// Every problem found while loading the content, in file order.
#[derive(Debug, Default, Clone)]
pub struct Diagnostics {
    items: Vec<Diagnostic>,
}

impl Diagnostics {
    /// Records a problem at a byte offset of `source`, the whole text of the file at `path`.
    pub fn at_offset(
        &mut self,
        severity: Severity,
        path: &Path,
        source: &str,
        offset: usize,
        message: impl Into<String>,
    ) {
        let (line, col) = line_col(source, offset);
        self.push(Diagnostic {
            path: path.to_path_buf(),
            line,
            col,
            severity,
            message: message.into(),
        });
    }

    /// Records an error at a byte offset of the file.
    pub fn error(&mut self, path: &Path, source: &str, offset: usize, message: impl Into<String>) {
        self.at_offset(Severity::Error, path, source, offset, message);
    }

    /// Records a warning at a byte offset of the file.
    pub fn warning(
        &mut self,
        path: &Path,
        source: &str,
        offset: usize,
        message: impl Into<String>,
    ) {
        self.at_offset(Severity::Warning, path, source, offset, message);
    }

    /// Records an error that belongs to a whole file, such as one that cannot be read.
    pub fn file_error(&mut self, path: &Path, message: impl Into<String>) {
        self.push(Diagnostic {
            path: path.to_path_buf(),
            line: 1,
            col: 1,
            severity: Severity::Error,
            message: message.into(),
        });
    }

    pub fn push(&mut self, diagnostic: Diagnostic) {
        self.items.push(diagnostic);
    }

    pub fn extend(&mut self, other: Diagnostics) {
        self.items.extend(other.items);
    }

    /// All problems, sorted by file, then position.
    pub fn sorted(&self) -> Vec<&Diagnostic> {
        let mut all: Vec<&Diagnostic> = self.items.iter().collect();
        all.sort_by(|a, b| (&a.path, a.line, a.col).cmp(&(&b.path, b.line, b.col)));
        all
    }

    pub fn errors(&self) -> impl Iterator<Item = &Diagnostic> {
        self.items.iter().filter(|d| d.severity == Severity::Error)
    }

    pub fn warnings(&self) -> impl Iterator<Item = &Diagnostic> {
        self.items
            .iter()
            .filter(|d| d.severity == Severity::Warning)
    }

    pub fn error_count(&self) -> usize {
        self.errors().count()
    }

    pub fn warning_count(&self) -> usize {
        self.warnings().count()
    }

    pub fn has_errors(&self) -> bool {
        self.error_count() > 0
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = &Diagnostic> {
        self.items.iter()
    }
}

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for diagnostic in self.sorted() {
            writeln!(f, "{diagnostic}")?;
        }
        Ok(())
    }
}

/// Converts a byte offset into a 1-based (line, column) pair; the column counts characters.
pub fn line_col(source: &str, offset: usize) -> (usize, usize) {
    let offset = floor_char_boundary(source, offset.min(source.len()));
    let before = &source[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let col = before[line_start..].chars().count() + 1;
    (line, col)
}

fn floor_char_boundary(s: &str, mut index: usize) -> usize {
    while index > 0 && !s.is_char_boundary(index) {
        index -= 1;
    }
    index
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_and_column_from_offsets() {
        let text = "ab\ncdé\nfg";
        let cases = [
            (0, (1, 1)),
            (1, (1, 2)),
            (3, (2, 1)),
            (5, (2, 3)),
            (7, (2, 4)),
            (8, (3, 1)),
            (100, (3, 3)),
        ];
        for (offset, expected) in cases {
            assert_eq!(line_col(text, offset), expected, "offset {offset}");
        }
    }

    #[test]
    fn display_reads_like_a_compiler() {
        let mut d = Diagnostics::default();
        d.error(Path::new("content/a.md"), "x\ny", 2, "bad thing");
        assert_eq!(d.to_string(), "content/a.md:2:1: error: bad thing\n");
        assert!(d.has_errors());
    }
}
