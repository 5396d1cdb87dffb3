//! Review status and version history, honestly: every page says whether a clinician has checked
//! it (`[clinical_review]`, only once one really has), who will review it (`review_group`), and
//! what changed when (`[[history]]`, newest first).
//!
//! The old `last_reviewed` and `reviewed_by` fields claimed a review that had not happened; they
//! are refused with a message that explains what replaces them.

use std::ops::Range;

use jiff::civil::Date;
use serde::Deserialize;
use toml::Spanned;

use super::diagnostics::Severity;
use super::values::ContentDate;

/// `[clinical_review]` as written: both fields are required, checked after parsing so that a
/// missing one is reported with its position rather than as a parse failure.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClinicalReviewRow {
    pub reviewer: Option<Spanned<String>>,
    pub date: Option<Spanned<ContentDate>>,
}

/// A clinical review that really happened: who (a role) and when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClinicalReview {
    pub reviewer: String,
    pub date: ContentDate,
}

/// One `[[history]]` entry as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HistoryRow {
    pub version: Spanned<String>,
    pub date: Spanned<ContentDate>,
    pub change: Spanned<String>,
}

/// One change to a page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryEntry {
    pub version: String,
    pub date: ContentDate,
    pub change: String,
}

/// A problem with the review fields: a byte offset into the front matter and a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReviewProblem {
    pub offset: usize,
    pub severity: Severity,
    pub message: String,
}

/// The review fields of a page as written, before checking.
pub struct ReviewFields<'a> {
    pub review_group: Option<&'a Spanned<String>>,
    pub clinical_review: Option<&'a Spanned<ClinicalReviewRow>>,
    pub history: &'a [Spanned<HistoryRow>],
    /// Where the removed fields are written, if they are.
    pub last_reviewed: Option<Range<usize>>,
    pub reviewed_by: Option<Range<usize>>,
    pub next_review: &'a Spanned<ContentDate>,
}

/// The [`ReviewFields`] of a file's fields as written (front matter, `doses.toml`): each that
/// carries them names them alike, so this one mapping serves them all.
macro_rules! written_review_fields {
    ($written:expr) => {
        $crate::content::review::ReviewFields {
            review_group: $written.review_group.as_ref(),
            clinical_review: $written.clinical_review.as_ref(),
            history: &$written.history,
            last_reviewed: $written.last_reviewed.as_ref().map(::toml::Spanned::span),
            reviewed_by: $written.reviewed_by.as_ref().map(::toml::Spanned::span),
            next_review: &$written.next_review,
        }
    };
}
pub(crate) use written_review_fields;

/// What the checked review fields give a page.
#[derive(Debug, Clone, Default)]
pub struct ReviewStatus {
    pub review_group: String,
    pub clinical_review: Option<ClinicalReview>,
    pub history: Vec<HistoryEntry>,
}

/// Checks the review fields, as of `today`, and returns what is usable with every problem.
pub fn check(fields: &ReviewFields<'_>, today: Date) -> (ReviewStatus, Vec<ReviewProblem>) {
    let mut problems = Vec::new();
    let mut problem = |offset: usize, message: String| {
        problems.push(ReviewProblem {
            offset,
            severity: Severity::Error,
            message,
        })
    };
    if let Some(at) = &fields.last_reviewed {
        problem(
            at.start,
            "`last_reviewed` has been removed: it claimed a review that did not happen. Record changes in `[[history]]` (version, date, change, newest first); add `[clinical_review]` (reviewer, date) only once a clinician has really reviewed the page".to_string(),
        );
    }
    if let Some(at) = &fields.reviewed_by {
        problem(
            at.start,
            "`reviewed_by` has been removed: write `review_group`, the group or role that will review the page; a real clinical review goes in `[clinical_review]` with the reviewer's role and the date".to_string(),
        );
    }
    let review_group = match fields.review_group {
        None => {
            problem(
                0,
                "the page needs `review_group`: the group or role that will review it, such as \"Patient information editorial group\"".to_string(),
            );
            String::new()
        }
        Some(group) => {
            let text = group.get_ref().trim().to_string();
            if text.is_empty() {
                problem(
                    group.span().start,
                    "`review_group` is empty: name the group or role that will review the page"
                        .to_string(),
                );
            }
            text
        }
    };
    let clinical_review = fields.clinical_review.and_then(|row| {
        let at = row.span().start;
        let review = row.get_ref();
        let reviewer = review
            .reviewer
            .as_ref()
            .map(|r| (r.get_ref().trim().to_string(), r.span().start));
        match &reviewer {
            None => problem(
                at,
                "a reviewed page without a reviewer: `[clinical_review]` needs `reviewer`, the role of the clinician who reviewed it".to_string(),
            ),
            Some((name, offset)) if name.is_empty() => problem(
                *offset,
                "a reviewed page without a reviewer: `reviewer` is empty".to_string(),
            ),
            _ => {}
        }
        match &review.date {
            None => problem(
                at,
                "a reviewed page without a date: `[clinical_review]` needs `date`, the day the review was done".to_string(),
            ),
            Some(date) if date.get_ref().0 > today => problem(
                date.span().start,
                format!(
                    "the clinical review is dated {}, which is in the future",
                    date.get_ref()
                ),
            ),
            _ => {}
        }
        Some(ClinicalReview {
            reviewer: reviewer.filter(|(r, _)| !r.is_empty())?.0,
            date: *review.date.as_ref()?.get_ref(),
        })
    });

    if fields.history.is_empty() {
        problem(
            0,
            "the page needs a `[[history]]` entry (version, date, change): the newest first; for a new page, `version = \"1.0\"` and `change = \"First published.\"`".to_string(),
        );
    }
    let mut history = Vec::new();
    let mut warnings = Vec::new();
    for (i, row) in fields.history.iter().enumerate() {
        let entry = row.get_ref();
        let version = entry.version.get_ref().trim().to_string();
        let change = entry.change.get_ref().trim().to_string();
        let date = *entry.date.get_ref();
        if version.is_empty() {
            problem(
                entry.version.span().start,
                "the history entry's `version` is empty".to_string(),
            );
        }
        if change.is_empty() {
            problem(
                entry.change.span().start,
                "the history entry's `change` is empty: say in a sentence what changed".to_string(),
            );
        }
        // A warning, not an error: it misleads no reader, and `check --today` may look back.
        if date.0 > today {
            warnings.push(ReviewProblem {
                offset: entry.date.span().start,
                severity: Severity::Warning,
                message: format!("the history entry is dated {date}, which is in the future"),
            });
        }
        if let Some(newer) = i.checked_sub(1).map(|j| fields.history[j].get_ref()) {
            if date > *newer.date.get_ref() {
                problem(
                    entry.date.span().start,
                    format!(
                        "the history is out of order: {date} is after {}, the entry above it. Write the newest first",
                        newer.date.get_ref()
                    ),
                );
            }
            if newer.version.get_ref().trim() == version {
                problem(
                    entry.version.span().start,
                    format!("the version `{version}` is in the history twice"),
                );
            }
        }
        history.push(HistoryEntry {
            version,
            date,
            change,
        });
    }
    if let Some(latest) = history.first() {
        let next = fields.next_review.get_ref().0;
        let at = fields.next_review.span().start;
        if next <= latest.date.0 {
            problem(
                at,
                format!(
                    "`next_review` must be after the latest change in `[[history]]` ({})",
                    latest.date
                ),
            );
        } else if next > latest.date.0.saturating_add(jiff::Span::new().years(3)) {
            warnings.push(ReviewProblem {
                offset: at,
                severity: Severity::Warning,
                message: "`next_review` is more than three years after the latest change in `[[history]]`".to_string(),
            });
        }
    }
    problems.extend(warnings);
    (
        ReviewStatus {
            review_group,
            clinical_review,
            history,
        },
        problems,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize)]
    struct T {
        review_group: Option<Spanned<String>>,
        clinical_review: Option<Spanned<ClinicalReviewRow>>,
        #[serde(default)]
        history: Vec<Spanned<HistoryRow>>,
        next_review: Spanned<ContentDate>,
        last_reviewed: Option<Spanned<toml::Value>>,
    }

    fn problems(text: &str) -> Vec<String> {
        let t: T = toml::from_str(text).unwrap_or_else(|e| panic!("{text}: {e}"));
        let fields = ReviewFields {
            review_group: t.review_group.as_ref(),
            clinical_review: t.clinical_review.as_ref(),
            history: &t.history,
            last_reviewed: t.last_reviewed.as_ref().map(|s| s.span()),
            reviewed_by: None,
            next_review: &t.next_review,
        };
        let today = Date::new(2026, 12, 1).unwrap();
        check(&fields, today)
            .1
            .into_iter()
            .map(|p| p.message)
            .collect()
    }

    const GOOD: &str = "review_group = \"G\"\nnext_review = 2027-12-01\n[[history]]\nversion = \"2.0\"\ndate = 2026-11-30\nchange = \"B.\"\n[[history]]\nversion = \"1.0\"\ndate = 2026-01-01\nchange = \"First published.\"\n";

    #[test]
    fn review_fields_are_checked() {
        assert!(problems(GOOD).is_empty(), "{:?}", problems(GOOD));
        let cases = [
            (
                GOOD.replace("review_group = \"G\"\n", ""),
                "needs `review_group`",
            ),
            (GOOD.replace("\"G\"", "\" \""), "`review_group` is empty"),
            (
                format!("last_reviewed = 2026-01-01\n{GOOD}"),
                "`last_reviewed` has been removed",
            ),
            (GOOD.replace("2026-11-30", "2026-12-02"), "in the future"),
            (GOOD.replace("2026-11-30", "2025-12-02"), "out of order"),
            (GOOD.replace("\"2.0\"", "\"1.0\""), "in the history twice"),
            (
                GOOD.replace("2027-12-01", "2026-11-01"),
                "must be after the latest change",
            ),
            (
                "review_group = \"G\"\nnext_review = 2027-12-01\n".to_string(),
                "needs a `[[history]]`",
            ),
            (
                format!("{GOOD}[clinical_review]\ndate = 2026-11-01\n"),
                "a reviewed page without a reviewer",
            ),
            (
                format!("{GOOD}[clinical_review]\nreviewer = \"Consultant\"\n"),
                "a reviewed page without a date",
            ),
            (
                format!("{GOOD}[clinical_review]\nreviewer = \"Consultant\"\ndate = 2027-01-01\n"),
                "in the future",
            ),
        ];
        for (text, expected) in cases {
            let found = problems(&text);
            assert_eq!(found.len(), 1, "{text}: {found:?}");
            assert!(found[0].contains(expected), "{text}: {found:?}");
        }
        let reviewed =
            format!("{GOOD}[clinical_review]\nreviewer = \"Consultant\"\ndate = 2026-11-01\n");
        assert!(problems(&reviewed).is_empty());
    }
}
