//! `irinfo feedback report`: per page, the yes and no counts of a period, the share of readers
//! who found the page helpful, the change in that share since the period before (of the same
//! length), and the latest comments. As text for people, CSV for spreadsheets, JSON for tools.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::{Comment, FeedbackStore, StoreError};

/// Comments shown per page.
pub const COMMENTS_PER_PAGE: usize = 3;

/// The report over `since..until` (unix seconds).
#[derive(Debug, Clone, serde::Serialize)]
pub struct Report {
    pub since: String,
    pub until: String,
    /// The start of the period before, which the change is measured against.
    pub previous_since: String,
    pub kind: Option<String>,
    pub pages: Vec<PageReport>,
}

/// One page's line of the report.
#[derive(Debug, Clone, serde::Serialize)]
pub struct PageReport {
    pub page: String,
    pub kind: String,
    pub yes: u64,
    pub no: u64,
    /// Percentage of answers that were "yes", rounded to a whole number.
    pub helpful_percent: Option<u32>,
    pub previous_helpful_percent: Option<u32>,
    /// This period's percentage minus the previous period's, in percentage points.
    pub change_points: Option<i64>,
    /// The latest comments, newest first.
    pub comments: Vec<Comment>,
}

fn percent(yes: u64, no: u64) -> Option<u32> {
    let total = yes + no;
    (total > 0).then(|| ((yes as f64 * 100.0 / total as f64).round()) as u32)
}

fn date(seconds: i64) -> String {
    jiff::Timestamp::from_second(seconds)
        .map(|t| t.strftime("%Y-%m-%d %H:%M UTC").to_string())
        .unwrap_or_else(|_| seconds.to_string())
}

/// Builds the report from the store: pages with the most "no" answers first.
pub fn build(
    store: &FeedbackStore,
    since: i64,
    until: i64,
    kind: Option<&str>,
) -> Result<Report, StoreError> {
    let previous_since = since - (until - since).max(0);
    let previous: BTreeMap<String, (u64, u64)> = store
        .counts(previous_since, since, kind)?
        .into_iter()
        .map(|c| (c.page, (c.yes, c.no)))
        .collect();
    let mut comments: BTreeMap<String, Vec<Comment>> = BTreeMap::new();
    for comment in store.comments(since, until, kind, 10_000)? {
        let list = comments.entry(comment.page.clone()).or_default();
        if list.len() < COMMENTS_PER_PAGE {
            list.push(comment);
        }
    }
    let mut pages: Vec<PageReport> = store
        .counts(since, until, kind)?
        .into_iter()
        .map(|c| {
            let helpful = percent(c.yes, c.no);
            let before = previous.get(&c.page).and_then(|(y, n)| percent(*y, *n));
            PageReport {
                comments: comments.remove(&c.page).unwrap_or_default(),
                change_points: helpful
                    .zip(before)
                    .map(|(now, then)| i64::from(now) - i64::from(then)),
                previous_helpful_percent: before,
                helpful_percent: helpful,
                page: c.page,
                kind: c.kind,
                yes: c.yes,
                no: c.no,
            }
        })
        .collect();
    pages.sort_by(|a, b| b.no.cmp(&a.no).then_with(|| a.page.cmp(&b.page)));
    Ok(Report {
        since: date(since),
        until: date(until),
        previous_since: date(previous_since),
        kind: kind.map(str::to_string),
        pages,
    })
}

impl Report {
    /// For people: one block per page.
    pub fn render_text(&self) -> String {
        let mut out = format!(
            "Feedback from {} to {}{} (change against {} to {})\n",
            self.since,
            self.until,
            self.kind
                .as_ref()
                .map(|k| format!(", {k} pages only"))
                .unwrap_or_default(),
            self.previous_since,
            self.since
        );
        if self.pages.is_empty() {
            out.push_str("\nNo answers in this period.\n");
        }
        for page in &self.pages {
            let share = page
                .helpful_percent
                .map_or("-".to_string(), |p| format!("{p}% helpful"));
            let change = match page.change_points {
                Some(c) if c > 0 => format!(", up {c} points"),
                Some(c) if c < 0 => format!(", down {} points", -c),
                Some(_) => ", no change".to_string(),
                None => String::new(),
            };
            let _ = writeln!(
                out,
                "\n{} ({})\n  yes {}, no {}: {share}{change}",
                page.page, page.kind, page.yes, page.no
            );
            for comment in &page.comments {
                let _ = writeln!(
                    out,
                    "  {}: {}",
                    date(comment.at),
                    comment.text.replace('\n', " ")
                );
            }
        }
        out
    }

    /// For spreadsheets: one row per page; the latest comments joined with " | ".
    pub fn render_csv(&self) -> String {
        let mut writer = csv::Writer::from_writer(Vec::new());
        let _ = writer.write_record([
            "page",
            "kind",
            "yes",
            "no",
            "helpful_percent",
            "previous_helpful_percent",
            "change_points",
            "latest_comments",
        ]);
        let opt = |v: Option<String>| v.unwrap_or_default();
        for page in &self.pages {
            let comments: Vec<&str> = page.comments.iter().map(|c| c.text.as_str()).collect();
            let _ = writer.write_record([
                page.page.clone(),
                page.kind.clone(),
                page.yes.to_string(),
                page.no.to_string(),
                opt(page.helpful_percent.map(|p| p.to_string())),
                opt(page.previous_helpful_percent.map(|p| p.to_string())),
                opt(page.change_points.map(|p| p.to_string())),
                comments.join(" | "),
            ]);
        }
        writer
            .into_inner()
            .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
            .unwrap_or_default()
    }

    /// For tools.
    pub fn render_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default() + "\n"
    }
}
