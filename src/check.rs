//! `irinfo check`: proof-reads all content and reports it the way a compiler reports code.
//!
//! The content is loaded twice, as the live site sees it (without drafts) and as a preview sees
//! it (with drafts), so that a draft is checked before it is published and a published page that
//! links to a draft is still caught. Readability is scored from the files on disk, so it is
//! reported even when other files have errors. Problems found by both loads are reported once.
//!
//! Each problem is reported first as one line, `path:line:col: error: message`, which tools and
//! editors can jump to, then as the offending line with a caret under the place, rendered by
//! annotate-snippets (the renderer rustc uses).

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use annotate_snippets::renderer::{AnsiColor, Effects, Style};
use annotate_snippets::{AnnotationKind, Group, Level, Renderer, Snippet};
use jiff::civil::Date;

use crate::config::SiteConfig;
use crate::content::proofread::{self, PageReadability, REVIEW_DUE_SOON_DAYS, ReadabilityLimits};
use crate::content::versions::{self, VersionLock};
use crate::content::{Diagnostic, Library, Severity};

/// Everything `check` found.
#[derive(Debug)]
pub struct CheckReport {
    /// Sorted by file and position, each once; with `strict`, every one is an error.
    pub diagnostics: Vec<Diagnostic>,
    /// "31 procedures, 34 conditions, ..." when the published content loaded.
    pub counts: Option<String>,
    pub readability: Vec<PageReadability>,
    /// The content with drafts, when it loaded: the review schedule is made from it.
    pub preview: Option<Library>,
    pub strict: bool,
    pub today: Date,
}

/// Loads and proof-reads the content named in `config`, as of `today`.
pub fn run(config: &SiteConfig, strict: bool, today: Date) -> CheckReport {
    let mut options = crate::load_options(config);
    options.today = today;
    options.include_drafts = false;
    let published = crate::load_content(&options);
    options.include_drafts = true;
    let preview = crate::load_content(&options);
    let (readability_warnings, readability) = proofread::readability(
        &config.paths.content,
        ReadabilityLimits::from(&config.check),
    );

    let mut diagnostics: Vec<Diagnostic> = published
        .diagnostics
        .iter()
        .chain(preview.diagnostics.iter())
        .chain(readability_warnings.iter())
        .cloned()
        .map(|mut d| {
            if strict {
                d.severity = Severity::Error;
            }
            d
        })
        .collect();
    if let Some(content) = &published.content {
        diagnostics.extend(version_warnings(&config.paths.content, &content.library));
    }
    if strict {
        for d in &mut diagnostics {
            d.severity = Severity::Error;
        }
    }
    diagnostics.sort_by(|a, b| {
        (&a.path, a.line, a.col, b.severity, &a.message)
            .cmp(&(&b.path, b.line, b.col, a.severity, &b.message))
    });
    diagnostics.dedup();
    CheckReport {
        diagnostics,
        counts: published
            .content
            .as_ref()
            .map(|content| crate::counts(&content.library, &content.finder)),
        readability,
        preview: preview.content.map(|content| content.library),
        strict,
        today,
    }
}

/// The sheets whose text changed without a new version, or whose version is not recorded yet
/// (see [`crate::content::versions`]); nothing when the content has no lock.
fn version_warnings(content_dir: &Path, library: &Library) -> Vec<Diagnostic> {
    match VersionLock::read(content_dir) {
        Ok(Some(lock)) => lock.check(library),
        Ok(None) => Vec::new(),
        Err(error) => vec![Diagnostic {
            path: content_dir.join(versions::LOCK_FILE),
            line: 1,
            col: 1,
            severity: Severity::Error,
            message: error.to_string(),
        }],
    }
}

impl CheckReport {
    /// Errors, counting warnings made errors by `--strict`.
    pub fn error_count(&self) -> usize {
        self.count(Severity::Error)
    }

    /// Warnings; always 0 under `--strict`.
    pub fn warning_count(&self) -> usize {
        self.count(Severity::Warning)
    }

    fn count(&self, severity: Severity) -> usize {
        self.diagnostics
            .iter()
            .filter(|d| d.severity == severity)
            .count()
    }

    /// Whether `check` should exit 1: any error (under `--strict`, any warning too).
    pub fn failed(&self) -> bool {
        self.error_count() > 0 || self.counts.is_none()
    }

    /// "31 procedures, ...: 0 errors, 0 warnings", or just the numbers if the content did not load.
    pub fn summary(&self) -> String {
        let numbers = format!(
            "{} errors, {} warnings",
            self.error_count(),
            self.warning_count()
        );
        match &self.counts {
            Some(counts) if self.error_count() == 0 => format!("{counts}: {numbers}"),
            _ => numbers,
        }
    }

    /// The report for people: each problem as a line and a snippet, then the summary.
    pub fn render_human(&self, colour: bool) -> String {
        let mut sources = SourceCache::default();
        let mut out = String::new();
        for diagnostic in &self.diagnostics {
            out.push_str(&render_diagnostic(
                diagnostic,
                sources.line(&diagnostic.path, diagnostic.line),
                colour,
            ));
        }
        out.push_str(&self.summary());
        out.push('\n');
        out
    }

    /// The report for tools.
    pub fn render_json(&self) -> String {
        let value = serde_json::json!({
            "errors": self.error_count(),
            "warnings": self.warning_count(),
            "strict": self.strict,
            "today": self.today.to_string(),
            "summary": self.summary(),
            "diagnostics": self.diagnostics,
            "readability": self.readability,
        });
        serde_json::to_string_pretty(&value).expect("plain data serialises") + "\n"
    }

    /// The review schedule, from the content with drafts; empty if it did not load.
    pub fn review_schedule(&self) -> Vec<ReviewEntry> {
        self.preview
            .as_ref()
            .map(|library| review_schedule(library, self.today))
            .unwrap_or_default()
    }
}

/// Renders one problem: the one-line form, then the offending line with a caret.
pub fn render_diagnostic(
    diagnostic: &Diagnostic,
    source_line: Option<&str>,
    colour: bool,
) -> String {
    let (label, level, style) = match diagnostic.severity {
        Severity::Error => (
            "error",
            Level::ERROR,
            AnsiColor::BrightRed.on_default().effects(Effects::BOLD),
        ),
        Severity::Warning => (
            "warning",
            Level::WARNING,
            AnsiColor::BrightYellow.on_default().effects(Effects::BOLD),
        ),
    };
    let location = format!(
        "{}:{}:{}:",
        diagnostic.path.display(),
        diagnostic.line,
        diagnostic.col
    );
    let mut out = if colour {
        let bold = Style::new().effects(Effects::BOLD);
        format!(
            "{bold}{location}{bold:#} {style}{label}:{style:#} {bold}{}{bold:#}\n",
            diagnostic.message
        )
    } else {
        format!("{location} {label}: {}\n", diagnostic.message)
    };
    if let Some(line) = source_line {
        let span = caret_span(line, diagnostic.col);
        let report = [Group::with_level(level).element(
            Snippet::source(line)
                .line_start(diagnostic.line)
                .fold(false)
                .annotation(AnnotationKind::Primary.span(span)),
        )];
        let renderer = if colour {
            Renderer::styled()
        } else {
            Renderer::plain()
        };
        out.push_str(&renderer.render(&report));
        out.push('\n');
    }
    out.push('\n');
    out
}

/// The byte range to underline in `line`, starting at the 1-based character column `col`: a
/// whole Markdown link or image, a quoted value, a heading, or else the word there.
pub fn caret_span(line: &str, col: usize) -> std::ops::Range<usize> {
    let start = line
        .char_indices()
        .nth(col.saturating_sub(1))
        .map_or(line.len(), |(i, _)| i);
    let rest = &line[start..];
    let len = if rest.starts_with('[') || rest.starts_with("![") {
        rest.find("](")
            .and_then(|open| rest[open..].find(')').map(|close| open + close + 1))
            .unwrap_or(rest.trim_end().len())
    } else if rest.starts_with('#') {
        rest.trim_end().len()
    } else if let Some(quoted) = rest.strip_prefix('"') {
        quoted
            .find('"')
            .map_or(rest.trim_end().len(), |end| end + 2)
    } else {
        rest.find(char::is_whitespace).unwrap_or(rest.len())
    };
    let len = if len == 0 {
        // An empty line or a place past its end: point at the place itself.
        rest.chars().next().map_or(0, char::len_utf8)
    } else {
        len
    };
    start..start + len
}

/// Each file read once, split into lines, for snippets.
#[derive(Default)]
struct SourceCache {
    files: HashMap<PathBuf, Option<Vec<String>>>,
}

impl SourceCache {
    fn line(&mut self, path: &Path, line: usize) -> Option<&str> {
        let lines = self.files.entry(path.to_path_buf()).or_insert_with(|| {
            std::fs::read_to_string(path)
                .ok()
                .map(|text| text.lines().map(str::to_string).collect())
        });
        lines
            .as_ref()?
            .get(line.checked_sub(1)?)
            .map(String::as_str)
    }
}

/// Where a page stands in its review cycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ReviewStatus {
    Overdue,
    DueSoon,
    Later,
}

impl ReviewStatus {
    fn heading(self) -> String {
        match self {
            Self::Overdue => "Overdue".to_string(),
            Self::DueSoon => format!("Due within {REVIEW_DUE_SOON_DAYS} days"),
            Self::Later => "Later".to_string(),
        }
    }
}

/// One page in the review schedule.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ReviewEntry {
    pub status: ReviewStatus,
    pub reviewer: String,
    pub next_review: String,
    /// Days from today until the review: negative when overdue.
    pub days: i32,
    pub title: String,
    pub site_path: String,
    pub path: PathBuf,
    pub draft: bool,
}

/// Every page with its review date: overdue first, then due soon, then later; within each,
/// grouped by reviewer (the reviewer with the earliest date first), then by date.
pub fn review_schedule(library: &Library, today: Date) -> Vec<ReviewEntry> {
    let mut entries: Vec<ReviewEntry> = library
        .all_pages()
        .iter()
        .map(|page| {
            let due = page.meta.next_review.0;
            let days = (due - today).get_days();
            let status = if due < today {
                ReviewStatus::Overdue
            } else if days < REVIEW_DUE_SOON_DAYS {
                ReviewStatus::DueSoon
            } else {
                ReviewStatus::Later
            };
            ReviewEntry {
                status,
                reviewer: page.meta.review.review_group.clone(),
                next_review: due.to_string(),
                days,
                title: page.meta.title.clone(),
                site_path: page.path(),
                path: page.source.path.clone(),
                draft: page.meta.draft,
            }
        })
        .collect();
    // The earliest date of each reviewer within each status orders the groups.
    let mut first_due: HashMap<(ReviewStatus, String), String> = HashMap::new();
    for e in &entries {
        let key = (e.status, e.reviewer.clone());
        let earliest = first_due
            .entry(key)
            .or_insert_with(|| e.next_review.clone());
        if e.next_review < *earliest {
            earliest.clone_from(&e.next_review);
        }
    }
    entries.sort_by(|a, b| {
        let group = |e: &ReviewEntry| {
            (
                e.status,
                first_due[&(e.status, e.reviewer.clone())].clone(),
                e.reviewer.clone(),
            )
        };
        group(a)
            .cmp(&group(b))
            .then_with(|| a.next_review.cmp(&b.next_review))
            .then_with(|| a.path.cmp(&b.path))
    });
    entries
}

/// The review schedule for people.
pub fn render_schedule(entries: &[ReviewEntry], today: Date, colour: bool) -> String {
    let count = |status| entries.iter().filter(|e| e.status == status).count();
    let mut out = format!(
        "Review schedule on {}: {} pages, {} overdue, {} due within {REVIEW_DUE_SOON_DAYS} days\n",
        crate::content::front_matter::ContentDate(today).long(),
        entries.len(),
        count(ReviewStatus::Overdue),
        count(ReviewStatus::DueSoon),
    );
    let bold = if colour {
        Style::new().effects(Effects::BOLD)
    } else {
        Style::new()
    };
    for status in [
        ReviewStatus::Overdue,
        ReviewStatus::DueSoon,
        ReviewStatus::Later,
    ] {
        let in_status: Vec<&ReviewEntry> = entries.iter().filter(|e| e.status == status).collect();
        let _ = write!(
            out,
            "\n{bold}{} ({}){bold:#}\n",
            status.heading(),
            in_status.len()
        );
        if in_status.is_empty() {
            out.push_str("  none\n");
        }
        let label =
            |e: &ReviewEntry| format!("{}{}", e.title, if e.draft { " (draft)" } else { "" });
        let width = in_status
            .iter()
            .map(|e| label(e).chars().count())
            .max()
            .unwrap_or(0);
        let mut reviewer: Option<&str> = None;
        for entry in in_status {
            if reviewer != Some(entry.reviewer.as_str()) {
                reviewer = Some(&entry.reviewer);
                let pages = entries
                    .iter()
                    .filter(|e| e.status == status && e.reviewer == entry.reviewer)
                    .count();
                let _ = writeln!(out, "  {} ({pages})", entry.reviewer);
            }
            let when = match entry.days {
                d if d < 0 => format!("{} days overdue", -d),
                0 => "due today".to_string(),
                1 => "due tomorrow".to_string(),
                d => format!("in {d} days"),
            };
            let _ = writeln!(
                out,
                "    {}  {when:<17} {:<width$}  {}",
                entry.next_review,
                label(entry),
                entry.path.display()
            );
        }
    }
    out
}

/// The review schedule for tools.
pub fn render_schedule_json(entries: &[ReviewEntry], today: Date) -> String {
    let value = serde_json::json!({ "today": today.to_string(), "reviews": entries });
    serde_json::to_string_pretty(&value).expect("plain data serialises") + "\n"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn carets_cover_the_thing_at_fault() {
        let cases = [
            ("See [this page](/nowhere) now.", 5, "[this page](/nowhere)"),
            ("![](/static/x.png)", 1, "![](/static/x.png)"),
            ("### Skipped heading  ", 1, "### Skipped heading"),
            ("title = \"Hello there\"", 9, "\"Hello there\""),
            ("next_review = 2025-01-10", 15, "2025-01-10"),
            ("procedures = [\"a\", \"nope\"]", 20, "\"nope\""),
            ("", 1, ""),
            ("abc", 9, ""),
            ("café au lait", 6, "au"),
        ];
        for (line, col, expected) in cases {
            assert_eq!(&line[caret_span(line, col)], expected, "{line:?} at {col}");
        }
    }

    #[test]
    fn a_diagnostic_reads_like_a_compiler() {
        let d = Diagnostic {
            path: PathBuf::from("content/pages/a.md"),
            line: 12,
            col: 5,
            severity: Severity::Error,
            message: "link `/nowhere` points to a page that does not exist".to_string(),
        };
        let plain = render_diagnostic(&d, Some("See [this](/nowhere)."), false);
        let lines: Vec<&str> = plain.lines().collect();
        assert_eq!(
            lines[0],
            "content/pages/a.md:12:5: error: link `/nowhere` points to a page that does not exist"
        );
        assert!(plain.contains("12 | See [this](/nowhere)."), "{plain}");
        assert!(plain.contains("   |     ^^^^^^^^^^^^^^^^"), "{plain}");
        assert!(!plain.contains('\u{1b}'), "no colour: {plain}");

        let coloured = render_diagnostic(&d, Some("See [this](/nowhere)."), true);
        assert!(coloured.contains('\u{1b}'), "{coloured}");
    }
}
