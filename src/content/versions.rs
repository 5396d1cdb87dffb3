//! The record of each sheet's newest version and its text, `content/versions.lock`, so that
//! `check` can warn when a sheet's text has changed but its version has not.
//!
//! UK consent forms record the version and date of the leaflet a patient was given, so two
//! different texts must never carry the same version. The lock holds one line per procedure
//! sheet: its slug, its newest `[[history]]` version and a fingerprint (SHA-256) of its file
//! with the `[[history]]` rows left out (so writing the new row is not itself a change).
//! `irinfo versions --update` rewrites it from the content; `check` compares:
//!
//! - the text changed and the version did not: a warning on the sheet, "add a `[[history]]`
//!   row";
//! - the version changed (or the sheet is new) and the lock was not updated: a warning asking
//!   for `irinfo versions --update`, so the new version's text is recorded.
//!
//! A content folder without the file (a test fixture, a new site) is not compared.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::{Diagnostic, Diagnostics, Library};

/// The lock's file name, in the content folder.
pub const LOCK_FILE: &str = "versions.lock";

/// One sheet as recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recorded {
    pub version: String,
    /// The SHA-256 of the sheet's text without its history rows, in hex.
    pub fingerprint: String,
}

/// The whole lock, by slug.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VersionLock {
    pub sheets: BTreeMap<String, Recorded>,
}

/// Why the lock could not be read.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error("reading {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}:{line}: expected `slug version fingerprint`")]
    Malformed { path: PathBuf, line: usize },
}

/// The fingerprint of a sheet's file: its text with line endings as `\n`, without its history
/// (each `[[history]]` table, which runs to the next table header or the end of the front
/// matter, or a `history = [...]` array, however many lines it spans).
pub fn fingerprint(source: &str) -> String {
    let mut kept = String::with_capacity(source.len());
    let mut in_table = false;
    // Unclosed brackets of a `history = [` array being skipped.
    let mut open_brackets = 0usize;
    for line in source.lines() {
        let trimmed = line.trim();
        if open_brackets > 0 {
            open_brackets = bracket_balance(open_brackets, trimmed);
            continue;
        }
        if trimmed == "[[history]]" {
            in_table = true;
            continue;
        }
        if in_table && (trimmed.starts_with('[') || trimmed == "+++") {
            in_table = false;
        }
        if !in_table && is_history_key(trimmed) {
            open_brackets = bracket_balance(0, trimmed);
            continue;
        }
        if !in_table {
            kept.push_str(line.trim_end());
            kept.push('\n');
        }
    }
    hex::encode(Sha256::digest(kept.as_bytes()))
}

/// Whether a line starts the `history = [...]` key.
fn is_history_key(line: &str) -> bool {
    line.strip_prefix("history")
        .is_some_and(|rest| rest.trim_start().starts_with('='))
}

/// The brackets still open after `line`, given `open` before it (brackets inside quoted text
/// are not counted).
fn bracket_balance(open: usize, line: &str) -> usize {
    let mut open = open;
    let mut quoted = false;
    for c in line.chars() {
        match c {
            '"' => quoted = !quoted,
            '[' if !quoted => open += 1,
            ']' if !quoted => open = open.saturating_sub(1),
            _ => {}
        }
    }
    open
}

/// Where a warning about a sheet's version points: its history.
fn history_offset(source: &str) -> usize {
    if let Some(at) = source.find("[[history]]") {
        return at;
    }
    source
        .match_indices("\nhistory")
        .map(|(at, _)| at + 1)
        .find(|&at| is_history_key(&source[at..]))
        .unwrap_or(0)
}

impl VersionLock {
    /// The lock as the content is now: each sheet's newest version and fingerprint.
    pub fn of(library: &Library) -> Self {
        let sheets = library
            .procedures()
            .filter_map(|sheet| {
                let newest = sheet.page.meta.review.history.first()?;
                Some((
                    sheet.page.slug.clone(),
                    Recorded {
                        version: newest.version.clone(),
                        fingerprint: fingerprint(&sheet.page.source.text),
                    },
                ))
            })
            .collect();
        Self { sheets }
    }

    /// Reads `content_dir/versions.lock`; `None` when there is none.
    pub fn read(content_dir: &Path) -> Result<Option<Self>, LockError> {
        let path = content_dir.join(LOCK_FILE);
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(source) => return Err(LockError::Io { path, source }),
        };
        let mut sheets = BTreeMap::new();
        for (i, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let parts: Vec<&str> = line.split_whitespace().collect();
            let [slug, version, fingerprint] = parts[..] else {
                return Err(LockError::Malformed { path, line: i + 1 });
            };
            sheets.insert(
                slug.to_string(),
                Recorded {
                    version: version.to_string(),
                    fingerprint: fingerprint.to_string(),
                },
            );
        }
        Ok(Some(Self { sheets }))
    }

    /// The file's text.
    pub fn render(&self) -> String {
        let mut out = String::from(
            "# Each procedure sheet's newest version and a fingerprint of its text (without its\n\
             # [[history]] rows). `irinfo check` warns when a sheet's text changes but its version\n\
             # does not; `irinfo versions --update` writes this file. Do not edit it by hand.\n",
        );
        for (slug, recorded) in &self.sheets {
            let _ = writeln!(out, "{slug} {} {}", recorded.version, recorded.fingerprint);
        }
        out
    }

    /// Writes the lock into `content_dir`.
    pub fn write(&self, content_dir: &Path) -> std::io::Result<PathBuf> {
        let path = content_dir.join(LOCK_FILE);
        std::fs::write(&path, self.render())?;
        Ok(path)
    }

    /// The warnings for `library` against this lock (see the module documentation).
    pub fn check(&self, library: &Library) -> Vec<Diagnostic> {
        let now = Self::of(library);
        let mut found = Diagnostics::default();
        for sheet in library.procedures() {
            let Some(current) = now.sheets.get(&sheet.page.slug) else {
                continue;
            };
            let source = &sheet.page.source.text;
            // At the history: that is where the new version goes.
            let at = history_offset(source);
            let path = &sheet.page.source.path;
            match self.sheets.get(&sheet.page.slug) {
                Some(recorded) if recorded.version == current.version => {
                    if recorded.fingerprint != current.fingerprint {
                        found.warning(
                            path,
                            source,
                            at,
                            format!(
                                "the text has changed since version {} was recorded in {LOCK_FILE}, but the version has not: add a [[history]] row with a new version, its date and what changed, then run `irinfo versions --update`",
                                current.version
                            ),
                        );
                    }
                }
                _ => found.warning(
                    path,
                    source,
                    at,
                    format!(
                        "version {} is not recorded in {LOCK_FILE} yet: run `irinfo versions --update` to record its text",
                        current.version
                    ),
                ),
            }
        }
        found.iter().cloned().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHEET: &str = "+++\ntitle = \"A\"\n\n[[history]]\nversion = \"1.0\"\ndate = 2026-01-01\nchange = \"First.\"\n\n[[risks]]\nwhat = \"x\"\n+++\n\nBody.\n";

    #[test]
    fn the_fingerprint_ignores_history_rows_and_line_endings_but_not_text() {
        let base = fingerprint(SHEET);
        let new_row = SHEET.replace(
            "[[history]]\nversion = \"1.0\"",
            "[[history]]\nversion = \"1.1\"\ndate = 2026-02-01\nchange = \"More.\"\n\n[[history]]\nversion = \"1.0\"",
        );
        assert_eq!(fingerprint(&new_row), base);
        assert_eq!(fingerprint(&SHEET.replace('\n', "\r\n")), base);
        assert_ne!(fingerprint(&SHEET.replace("Body.", "Body!")), base);
        // The risks after the history are text like any other.
        assert_ne!(
            fingerprint(&SHEET.replace("what = \"x\"", "what = \"y\"")),
            base
        );
        // The history as an array, on one line or several.
        let inline =
            "+++\ntitle = \"A\"\nhistory = [{ version = \"1.0\", change = \"[a]\" }]\n+++\nBody.\n";
        let longer = "+++\ntitle = \"A\"\nhistory = [\n  { version = \"1.1\" },\n  { version = \"1.0\" },\n]\n+++\nBody.\n";
        assert_eq!(fingerprint(inline), fingerprint(longer));
        assert_ne!(
            fingerprint(inline),
            fingerprint(&inline.replace("Body", "Text"))
        );
        assert_eq!(history_offset(inline), inline.find("history").unwrap());
    }

    #[test]
    fn the_lock_reads_what_it_writes() {
        let mut lock = VersionLock::default();
        lock.sheets.insert(
            "angioplasty".into(),
            Recorded {
                version: "2.0".into(),
                fingerprint: "ab".repeat(32),
            },
        );
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(VersionLock::read(dir.path()).unwrap(), None);
        lock.write(dir.path()).unwrap();
        assert_eq!(VersionLock::read(dir.path()).unwrap(), Some(lock));
        std::fs::write(dir.path().join(LOCK_FILE), "angioplasty 2.0\n").unwrap();
        assert!(matches!(
            VersionLock::read(dir.path()),
            Err(LockError::Malformed { line: 1, .. })
        ));
    }
}
