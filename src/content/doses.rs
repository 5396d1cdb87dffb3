//! The table of typical radiation doses: `content/radiation/doses.toml`, read once into a
//! [`DoseTable`] and checked like every other content file.
//!
//! It is the one place a dose is written. A procedure sheet's `typical_dose_msv` must match the
//! table's entry for that procedure, so the sheet, its radiation panel, the table of doses and the
//! comparison page can never disagree.

use std::collections::{BTreeMap, HashMap};
use std::fs;
use std::path::{Path, PathBuf};

use jiff::civil::Date;
use serde::Deserialize;
use toml::Spanned;

use super::diagnostics::Diagnostics;
use super::front_matter::{ContentDate, XRays};
use super::kinds::{ProcedureSheet, is_valid_slug};

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

/// A published source of doses, cited by its key from each entry.
#[derive(Debug, Clone)]
pub struct DoseSource {
    /// The key entries use, such as `mettler-2008`.
    pub key: String,
    /// A short label for table cells, such as "Mettler 2008".
    pub short: String,
    /// The full reference.
    pub citation: String,
    pub year: u16,
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
    /// Typical effective dose in millisieverts.
    pub msv: f64,
    /// The key of its [`DoseSource`].
    pub source: String,
    /// For interventional procedures: the slug of the procedure sheet.
    pub procedure: Option<String>,
    /// A short qualification shown with the entry.
    pub note: Option<String>,
    /// Where the entry's `procedure` (or, without one, its `id`) is written, for later checks.
    offset: usize,
}

/// Every dose in `doses.toml`, checked; empty when the file does not exist.
#[derive(Debug, Clone, Default)]
pub struct DoseTable {
    /// By group, then by dose, then by name.
    pub entries: Vec<DoseEntry>,
    /// Sorted by key.
    pub sources: Vec<DoseSource>,
    pub last_reviewed: Option<ContentDate>,
    pub next_review: Option<ContentDate>,
    pub reviewed_by: Option<String>,
    /// When the file was last changed, for `Last-Modified`.
    pub modified: Option<std::time::SystemTime>,
    /// The file and its text, so that checks across files can point into it.
    origin: Option<(PathBuf, String)>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DosesFile {
    last_reviewed: ContentDate,
    next_review: Spanned<ContentDate>,
    reviewed_by: String,
    #[serde(default)]
    sources: BTreeMap<String, SourceRow>,
    #[serde(default, rename = "dose")]
    doses: Vec<DoseRow>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SourceRow {
    short: Spanned<String>,
    citation: Spanned<String>,
    year: Spanned<u16>,
    url: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DoseRow {
    id: Spanned<String>,
    name: Spanned<String>,
    group: DoseGroup,
    msv: Spanned<f64>,
    source: Spanned<String>,
    procedure: Option<Spanned<String>>,
    note: Option<String>,
}

impl DoseTable {
    /// Reads and checks `doses.toml` under `content_dir`. Problems go to `diagnostics`; a file that
    /// cannot be parsed gives an empty table (and an error, so the site does not start).
    pub fn load(content_dir: &Path, today: Date, diagnostics: &mut Diagnostics) -> Self {
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

        let mut sources = Vec::new();
        for (key, row) in &file.sources {
            if row.short.get_ref().trim().is_empty() || row.citation.get_ref().trim().is_empty() {
                error(
                    row.citation.span().start,
                    format!("source `{key}` needs both `short` and `citation`"),
                );
            }
            let year = *row.year.get_ref();
            if !(1950..=today.year() as u16).contains(&year) {
                error(
                    row.year.span().start,
                    format!("source `{key}` has the year {year}, which cannot be right"),
                );
            }
            if let Some(url) = &row.url {
                if !url.get_ref().starts_with("https://") {
                    error(
                        url.span().start,
                        format!("the address of source `{key}` must start with https://"),
                    );
                }
            }
            sources.push(DoseSource {
                key: key.clone(),
                short: row.short.get_ref().trim().to_string(),
                citation: row.citation.get_ref().trim().to_string(),
                year,
                url: row.url.as_ref().map(|u| u.get_ref().clone()),
            });
        }

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
            let msv = *row.msv.get_ref();
            if !(msv.is_finite() && msv > 0.0) {
                error(
                    row.msv.span().start,
                    format!("the dose of `{id}` must be a positive number of millisieverts"),
                );
            }
            let source = row.source.get_ref().as_str();
            if !file.sources.contains_key(source) {
                let known: Vec<&str> = file.sources.keys().map(String::as_str).collect();
                error(
                    row.source.span().start,
                    format!(
                        "entry `{id}` cites the source `{source}`, which is not in [sources] (known: {})",
                        if known.is_empty() {
                            "none".to_string()
                        } else {
                            known.join(", ")
                        }
                    ),
                );
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
        for source in &sources {
            if !entries.iter().any(|e| e.source == source.key) {
                diagnostics.warning(
                    &path,
                    &text,
                    0,
                    format!("the source `{}` is not cited by any entry", source.key),
                );
            }
        }
        let next_review = *file.next_review.get_ref();
        if next_review <= file.last_reviewed {
            diagnostics.error(
                &path,
                &text,
                file.next_review.span().start,
                "`next_review` must be after `last_reviewed`",
            );
        } else if next_review.0 < today {
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
                .then(a.msv.total_cmp(&b.msv))
                .then_with(|| a.name.to_lowercase().cmp(&b.name.to_lowercase()))
        });
        Self {
            entries,
            sources,
            last_reviewed: Some(file.last_reviewed),
            next_review: Some(next_review),
            reviewed_by: Some(file.reviewed_by.trim().to_string()).filter(|r| !r.is_empty()),
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
        let min = self.entries.iter().map(|e| e.msv).reduce(f64::min)?;
        let max = self.entries.iter().map(|e| e.msv).reduce(f64::max)?;
        Some((min, max))
    }

    /// Checks the table against the procedure sheets, both ways: every entry names a sheet that
    /// exists, and every sheet's `typical_dose_msv` is the table's figure for it.
    pub fn check_against<'a>(
        &self,
        sheets: impl Iterator<Item = ProcedureSheet<'a>> + Clone,
        diagnostics: &mut Diagnostics,
    ) {
        for sheet in sheets.clone() {
            let source = &sheet.source;
            let entry = self.for_procedure(&sheet.slug);
            let Some(dose) = &sheet.front.typical_dose_msv else {
                continue;
            };
            let at = source.front_matter_offset + dose.span().start;
            let written = *dose.get_ref();
            if sheet.front.x_rays == XRays::No {
                diagnostics.error(
                    &source.path,
                    &source.text,
                    at,
                    "this sheet says `x_rays = \"no\"` but gives a `typical_dose_msv`",
                );
            }
            match entry {
                None => diagnostics.error(
                    &source.path,
                    &source.text,
                    at,
                    format!(
                        "`typical_dose_msv` needs an entry with `procedure = \"{}\"` in {DOSES_FILE}, with its source; add one or remove the dose",
                        sheet.slug
                    ),
                ),
                Some(entry) if !same_dose(entry.msv, written) => {
                    let line = self.origin.as_ref().map_or(0, |(_, text)| {
                        super::diagnostics::line_col(text, entry.offset).0
                    });
                    diagnostics.error(
                        &source.path,
                        &source.text,
                        at,
                        format!(
                            "`typical_dose_msv` is {written} but {DOSES_FILE} line {line} gives {} for this procedure; the two must agree",
                            entry.msv
                        ),
                    );
                }
                Some(_) => {}
            }
        }
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
                Some(sheet) if sheet.front.typical_dose_msv.is_none() => diagnostics.error(
                    path,
                    text,
                    entry.offset,
                    format!(
                        "{} has no `typical_dose_msv`: add `typical_dose_msv = {}` to it, so the sheet and the table agree",
                        sheet.source.path.display(),
                        entry.msv
                    ),
                ),
                Some(_) => {}
            }
        }
    }
}

/// Whether two doses written in different files are the same figure.
fn same_dose(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doses_agree_within_rounding_only() {
        let cases = [
            (12.0, 12.0, true),
            (0.1 + 0.2, 0.3, true),
            (12.0, 12.5, false),
            (0.02, 0.014, false),
        ];
        for (a, b, same) in cases {
            assert_eq!(same_dose(a, b), same, "{a} vs {b}");
        }
    }

    #[test]
    fn groups_are_in_table_order() {
        let mut sorted = DoseGroup::ALL;
        sorted.sort();
        assert_eq!(sorted, DoseGroup::ALL);
        assert_eq!(DoseGroup::NuclearMedicine.anchor(), "nuclear-medicine");
    }
}
