//! The table of typical radiation doses: `content/radiation/doses.toml`, read once into a
//! [`DoseTable`] and checked like every other content file.
//!
//! It is the one place a dose is written: a procedure sheet's radiation panel shows the entry whose
//! `procedure` is the sheet's slug, so the sheet, the table of doses and the comparison page can
//! never disagree. An entry gives a typical figure (`msv`), a range (`msv_low`, `msv_high`) or
//! both, as its source does, and cites its source by bibliography id (see [`super::sources`]).

use std::collections::{BTreeMap, HashMap};
use std::fs;
use std::path::{Path, PathBuf};

use jiff::civil::Date;
use serde::Deserialize;
use toml::Spanned;

use super::diagnostics::Diagnostics;
use super::front_matter::XRays;
use super::kinds::{ProcedureSheet, is_valid_slug};
use super::review::{self, ClinicalReviewRow, HistoryRow, ReviewStatus};
use super::sources::Bibliography;
use super::values::ContentDate;

/// Where the table lives, relative to the content folder.
pub const DOSES_FILE: &str = "radiation/doses.toml";

/// The longest name an entry may have, so that it fits on one line of the chart at 320 px.
pub const NAME_LIMIT: usize = 36;

/// The kinds of test or procedure, in the order the table shows them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DoseGroup {
    XRay,
    Ct,
    NuclearMedicine,
    Interventional,
}

impl DoseGroup {
    pub const ALL: [DoseGroup; 4] = [
        Self::XRay,
        Self::Ct,
        Self::NuclearMedicine,
        Self::Interventional,
    ];

    /// The heading of the group's part of the table.
    pub fn label(self) -> &'static str {
        match self {
            Self::XRay => "X-rays",
            Self::Ct => "CT scans",
            Self::NuclearMedicine => "Nuclear medicine scans",
            Self::Interventional => "Interventional radiology procedures",
        }
    }

    /// The id of the group's section, and its name in `doses.toml`.
    pub fn anchor(self) -> &'static str {
        match self {
            Self::XRay => "x-ray",
            Self::Ct => "ct",
            Self::NuclearMedicine => "nuclear-medicine",
            Self::Interventional => "interventional",
        }
    }
}

/// A bibliography source the table cites, in the form the table shows it.
#[derive(Debug, Clone)]
pub struct DoseSource {
    /// The bibliography id entries use, such as `mettler-2008`.
    pub key: String,
    /// A short label for table cells, such as "Mettler 2008".
    pub short: String,
    /// The full reference.
    pub citation: String,
    pub year: Option<u16>,
    pub url: Option<String>,
}

/// One row of the table.
#[derive(Debug, Clone)]
pub struct DoseEntry {
    /// A slug, used in comparison addresses: `/radiation/compare?items=chest-x-ray&...`.
    pub id: String,
    /// What patients call it.
    pub name: String,
    pub group: DoseGroup,
    /// Typical effective dose in millisieverts, when the source gives one.
    pub msv: Option<f64>,
    /// The range the source gives, lowest and highest, in millisieverts.
    pub range: Option<(f64, f64)>,
    /// The key of its [`DoseSource`].
    pub source: String,
    /// For interventional procedures: the slug of the procedure sheet.
    pub procedure: Option<String>,
    /// A short qualification shown with the entry.
    pub note: Option<String>,
    /// Where the entry's `procedure` (or, without one, its `id`) is written, for later checks.
    offset: usize,
}

impl DoseEntry {
    /// The figure the entry is ordered by and drawn at: the typical dose, or else the middle of
    /// the range on a logarithmic scale. Never shown as a figure of its own.
    pub fn sort_msv(&self) -> f64 {
        match (self.msv, self.range) {
            (Some(msv), _) => msv,
            (None, Some((low, high))) => (low * high).sqrt(),
            (None, None) => 0.0,
        }
    }

    /// The highest dose the entry gives: the top of its range, or its typical figure.
    pub fn highest_msv(&self) -> f64 {
        self.range.map_or(self.sort_msv(), |(_, high)| high)
    }

    /// The lowest dose the entry gives: the bottom of its range, or its typical figure.
    pub fn lowest_msv(&self) -> f64 {
        self.range.map_or(self.sort_msv(), |(low, _)| low)
    }
}

/// Every dose in `doses.toml`, checked; empty when the file does not exist.
#[derive(Debug, Clone, Default)]
pub struct DoseTable {
    /// By group, then by dose, then by name.
    pub entries: Vec<DoseEntry>,
    /// The sources the entries cite, sorted by key.
    pub sources: Vec<DoseSource>,
    pub next_review: Option<ContentDate>,
    /// Who will review the table, and its history.
    pub review: ReviewStatus,
    /// When the file was last changed, for `Last-Modified`.
    pub modified: Option<std::time::SystemTime>,
    /// The file and its text, so that checks across files can point into it.
    origin: Option<(PathBuf, String)>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DosesFile {
    next_review: Spanned<ContentDate>,
    review_group: Option<Spanned<String>>,
    clinical_review: Option<Spanned<ClinicalReviewRow>>,
    #[serde(default)]
    history: Vec<Spanned<HistoryRow>>,
    /// Removed; kept only to explain what replaces them.
    last_reviewed: Option<Spanned<toml::Value>>,
    reviewed_by: Option<Spanned<toml::Value>>,
    sources: Option<Spanned<toml::Value>>,
    #[serde(default, rename = "dose")]
    doses: Vec<DoseRow>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DoseRow {
    id: Spanned<String>,
    name: Spanned<String>,
    group: DoseGroup,
    msv: Option<Spanned<f64>>,
    msv_low: Option<Spanned<f64>>,
    msv_high: Option<Spanned<f64>>,
    source: Spanned<String>,
    procedure: Option<Spanned<String>>,
    note: Option<String>,
}

impl DoseTable {
    /// Reads and checks `doses.toml` under `content_dir`. Problems go to `diagnostics`; a file that
    /// cannot be parsed gives an empty table (and an error, so the site does not start).
    pub fn load(
        content_dir: &Path,
        today: Date,
        bibliography: &Bibliography,
        diagnostics: &mut Diagnostics,
    ) -> Self {
        let path = content_dir.join(DOSES_FILE);
        let text = match fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Self::default(),
            Err(e) => {
                diagnostics.file_error(&path, format!("cannot read the file: {e}"));
                return Self::default();
            }
        };
        let file: DosesFile = match toml::from_str(&text) {
            Ok(file) => file,
            Err(e) => {
                let offset = e.span().map_or(0, |s| s.start);
                diagnostics.error(&path, &text, offset, e.message().trim().to_string());
                return Self::default();
            }
        };
        let mut error = |offset: usize, message: String| {
            diagnostics.error(&path, &text, offset, message);
        };

        if let Some(sources) = &file.sources {
            error(
                sources.span().start,
                "`[sources.*]` has moved: sources are in content/sources/*.toml, and each entry's `source` is a bibliography id".to_string(),
            );
        }
        let (review, problems) = review::check(&review::written_review_fields!(file), today);
        let mut sources: BTreeMap<String, DoseSource> = BTreeMap::new();

        let mut ids: HashMap<&str, usize> = HashMap::new();
        let mut procedures: HashMap<&str, usize> = HashMap::new();
        let mut entries = Vec::new();
        for row in &file.doses {
            let id = row.id.get_ref().as_str();
            let at_id = row.id.span().start;
            if !is_valid_slug(id) {
                error(
                    at_id,
                    format!(
                        "the id `{id}` is not a valid slug: use lower-case letters, digits and single hyphens"
                    ),
                );
            }
            if let Some(first) = ids.insert(id, at_id) {
                let (line, _) = super::diagnostics::line_col(&text, first);
                error(
                    at_id,
                    format!("duplicate id `{id}`: the entry on line {line} has it already"),
                );
            }
            let name = row.name.get_ref().trim();
            if name.is_empty() {
                error(row.name.span().start, format!("entry `{id}` has no name"));
            } else if name.chars().count() > NAME_LIMIT {
                error(
                    row.name.span().start,
                    format!(
                        "the name of `{id}` is {} characters; keep it to {NAME_LIMIT} so it fits the chart on a phone",
                        name.chars().count()
                    ),
                );
            }
            let mut positive = |value: &Option<Spanned<f64>>, what: &str| {
                let v = value.as_ref()?;
                let msv = *v.get_ref();
                if msv.is_finite() && msv > 0.0 {
                    Some(msv)
                } else {
                    error(
                        v.span().start,
                        format!("the {what} of `{id}` must be a positive number of millisieverts"),
                    );
                    None
                }
            };
            let msv = positive(&row.msv, "dose");
            let low = positive(&row.msv_low, "lowest dose");
            let high = positive(&row.msv_high, "highest dose");
            let range = match (&row.msv_low, &row.msv_high) {
                (None, None) => {
                    if row.msv.is_none() {
                        error(
                            at_id,
                            format!(
                                "entry `{id}` needs `msv` (a typical dose), or both `msv_low` and `msv_high` (a range), as its source gives them"
                            ),
                        );
                    }
                    None
                }
                (Some(one), None) | (None, Some(one)) => {
                    error(
                        one.span().start,
                        format!(
                            "entry `{id}` gives one end of a range: a range needs both `msv_low` and `msv_high`"
                        ),
                    );
                    None
                }
                (Some(_), Some(at_high)) => match (low, high) {
                    (Some(low), Some(high)) if low < high => {
                        if msv.is_some_and(|m| m < low || m > high) {
                            error(
                                row.msv.as_ref().map_or(at_id, |m| m.span().start),
                                format!("the typical dose of `{id}` is outside its range"),
                            );
                        }
                        Some((low, high))
                    }
                    (Some(_), Some(_)) => {
                        error(
                            at_high.span().start,
                            format!("`msv_high` of `{id}` must be more than its `msv_low`"),
                        );
                        None
                    }
                    _ => None,
                },
            };
            let source = row.source.get_ref().as_str();
            match bibliography.get(source) {
                None => error(
                    row.source.span().start + 1,
                    bibliography.unknown_message(source),
                ),
                Some(cited) => {
                    sources
                        .entry(source.to_string())
                        .or_insert_with(|| DoseSource {
                            key: cited.id.clone(),
                            short: cited.short(),
                            citation: cited.citation(),
                            year: cited.year,
                            url: Some(cited.url.clone()),
                        });
                }
            }
            match (&row.procedure, row.group) {
                (None, DoseGroup::Interventional) => error(
                    at_id,
                    format!(
                        "entry `{id}` is an interventional procedure: give `procedure`, the slug of its procedure sheet"
                    ),
                ),
                (Some(p), group) if group != DoseGroup::Interventional => error(
                    p.span().start,
                    format!(
                        "only interventional entries name a procedure sheet; `{id}` is in the group `{}`",
                        group.anchor()
                    ),
                ),
                (Some(p), _) => {
                    if let Some(first) = procedures.insert(p.get_ref().as_str(), p.span().start) {
                        let (line, _) = super::diagnostics::line_col(&text, first);
                        error(
                            p.span().start,
                            format!(
                                "the procedure `{}` already has a dose on line {line}: one entry per sheet",
                                p.get_ref()
                            ),
                        );
                    }
                }
                (None, _) => {}
            }
            entries.push(DoseEntry {
                id: id.to_string(),
                name: name.to_string(),
                group: row.group,
                msv,
                range,
                source: source.to_string(),
                procedure: row.procedure.as_ref().map(|p| p.get_ref().clone()),
                note: row
                    .note
                    .as_ref()
                    .map(|n| n.trim().to_string())
                    .filter(|n| !n.is_empty()),
                offset: row.procedure.as_ref().map_or(at_id, |p| p.span().start),
            });
        }
        for problem in problems {
            diagnostics.at_offset(
                problem.severity,
                &path,
                &text,
                problem.offset,
                problem.message,
            );
        }
        let next_review = *file.next_review.get_ref();
        if next_review.0 < today {
            diagnostics.warning(
                &path,
                &text,
                file.next_review.span().start,
                format!("the review was due on {next_review}: the table is overdue for review"),
            );
        }

        entries.sort_by(|a, b| {
            a.group
                .cmp(&b.group)
                .then(a.sort_msv().total_cmp(&b.sort_msv()))
                .then_with(|| a.name.to_lowercase().cmp(&b.name.to_lowercase()))
        });
        Self {
            entries,
            sources: sources.into_values().collect(),
            next_review: Some(next_review),
            review,
            modified: fs::metadata(&path).and_then(|m| m.modified()).ok(),
            origin: Some((path, text)),
        }
    }

    /// When `doses.toml` was last changed.
    pub fn modified(&self) -> Option<std::time::SystemTime> {
        self.modified
    }

    /// The entry with this id.
    pub fn entry(&self, id: &str) -> Option<&DoseEntry> {
        self.entries.iter().find(|e| e.id == id)
    }

    /// The entry for a procedure sheet, if the table has one.
    pub fn for_procedure(&self, slug: &str) -> Option<&DoseEntry> {
        self.entries
            .iter()
            .find(|e| e.procedure.as_deref() == Some(slug))
    }

    /// The source an entry cites.
    pub fn source(&self, key: &str) -> Option<&DoseSource> {
        self.sources.iter().find(|s| s.key == key)
    }

    /// The entries of one group, lowest dose first.
    pub fn group(&self, group: DoseGroup) -> impl Iterator<Item = &DoseEntry> {
        self.entries.iter().filter(move |e| e.group == group)
    }

    /// The lowest and highest dose in the table, if it has any entries.
    pub fn range(&self) -> Option<(f64, f64)> {
        let min = self
            .entries
            .iter()
            .map(DoseEntry::lowest_msv)
            .reduce(f64::min)?;
        let max = self
            .entries
            .iter()
            .map(DoseEntry::highest_msv)
            .reduce(f64::max)?;
        Some((min, max))
    }

    /// Checks the table against the procedure sheets: every entry names a sheet that exists and
    /// uses X-rays. (A radiation guide that takes the slug of a page the site makes is reported
    /// for every kind alike, by the kinds table.)
    pub fn check_against<'a>(
        &self,
        sheets: impl Iterator<Item = ProcedureSheet<'a>> + Clone,
        diagnostics: &mut Diagnostics,
    ) {
        let Some((path, text)) = &self.origin else {
            return;
        };
        // A slug named twice is reported once, as a duplicate, when the file is read.
        let mut seen = std::collections::HashSet::new();
        let mut in_file_order: Vec<&DoseEntry> = self.entries.iter().collect();
        in_file_order.sort_by_key(|e| e.offset);
        for entry in in_file_order {
            let Some(slug) = &entry.procedure else {
                continue;
            };
            if !seen.insert(slug) {
                continue;
            }
            match sheets.clone().find(|s| &s.slug == slug) {
                None => diagnostics.error(
                    path,
                    text,
                    entry.offset,
                    format!("there is no procedure sheet with the slug `{slug}`"),
                ),
                Some(sheet) if sheet.front.x_rays == XRays::No => diagnostics.error(
                    path,
                    text,
                    entry.offset,
                    format!(
                        "{} says `x_rays = \"no\"`, but this entry gives it a dose",
                        sheet.source.path.display()
                    ),
                ),
                Some(_) => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_are_in_table_order() {
        assert!(DoseGroup::ALL.is_sorted(), "{:?}", DoseGroup::ALL);
        assert_eq!(DoseGroup::NuclearMedicine.anchor(), "nuclear-medicine");
    }
}
