//! The bibliography: every published source the site cites, read from `content/sources/*.toml`.
//!
//! Several files are merged into one list, so that people writing different pages can add sources
//! without editing the same file. Pages, risks and dose entries cite a source by its id; `check`
//! refuses an id that is not here, and warns about a source nobody cites. Each page's numbered
//! "Sources" list is made here too, so every kind of page numbers its sources the same way.

use std::collections::{HashMap, HashSet};
use std::fs;
use std::path::{Path, PathBuf};

use jiff::civil::Date;
use serde::Deserialize;
use toml::Spanned;

use super::citations::source_anchor;
use super::diagnostics::{Diagnostics, line_col};
use super::front_matter::PageMeta;
use super::kinds::is_valid_slug;
use super::markdown::RenderedMarkdown;
use super::risks::Risk;
use super::values::SlugRef;

/// The folder of bibliography files, relative to the content folder.
pub const SOURCES_DIR: &str = "sources";

/// A page citing fewer distinct sources than this gets a warning.
pub const MIN_SOURCES_PER_SHEET: usize = 3;

/// What kind of publication a source is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SourceKind {
    Guideline,
    Trial,
    Review,
    Study,
    Survey,
    Leaflet,
    Report,
}

impl SourceKind {
    /// A short label, shown after the reference.
    pub fn label(self) -> &'static str {
        match self {
            Self::Guideline => "Guideline",
            Self::Trial => "Clinical trial",
            Self::Review => "Review of studies",
            Self::Study => "Study",
            Self::Survey => "Survey",
            Self::Leaflet => "Patient leaflet",
            Self::Report => "Report",
        }
    }
}

/// One published source.
#[derive(Debug, Clone)]
pub struct Source {
    pub id: String,
    /// The organisation that published it, when no authors are named.
    pub publisher: Option<String>,
    /// "Surname I, Surname I", for papers.
    pub authors: Option<String>,
    pub title: String,
    pub year: Option<u16>,
    pub url: String,
    pub kind: SourceKind,
    /// Journal, volume and pages, for papers.
    pub journal: Option<String>,
    /// The file it is written in and where its id is, for warnings.
    pub path: PathBuf,
    id_offset: usize,
}

impl Source {
    /// Who wrote it: the authors, or else the publisher.
    pub fn by(&self) -> &str {
        self.authors
            .as_deref()
            .or(self.publisher.as_deref())
            .unwrap_or_default()
    }

    /// A short label for table cells, such as "Mettler 2008" or "HPA 2008": the first author's
    /// surname, or the publisher's abbreviation in brackets, or the publisher, then the year.
    pub fn short(&self) -> String {
        let who = match (&self.authors, &self.publisher) {
            (Some(authors), _) => first_surname(authors),
            (None, Some(publisher)) => match (publisher.rfind('('), publisher.ends_with(')')) {
                (Some(open), true) => publisher[open + 1..publisher.len() - 1].to_string(),
                _ => publisher.clone(),
            },
            (None, None) => self.id.clone(),
        };
        match self.year {
            Some(year) => format!("{who} {year}"),
            None => who,
        }
    }

    /// The reference in one line, without the link: "Mettler FA and others. Title. Journal. 2008."
    pub fn citation(&self) -> String {
        let mut parts = vec![self.by().trim_end_matches('.').to_string()];
        parts.push(self.title.trim_end_matches('.').to_string());
        if let Some(journal) = &self.journal {
            parts.push(journal.trim_end_matches('.').to_string());
        }
        if let Some(year) = self.year {
            parts.push(year.to_string());
        }
        parts.join(". ") + "."
    }
}

/// Every source, from every file.
#[derive(Debug, Clone, Default)]
pub struct Bibliography {
    /// In file order, then in order within each file.
    sources: Vec<Source>,
    by_id: HashMap<String, usize>,
    /// Each file's text, so that warnings found later can point into it.
    files: HashMap<PathBuf, String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SourcesFile {
    #[serde(default, rename = "source")]
    sources: Vec<SourceRow>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SourceRow {
    id: Spanned<String>,
    publisher: Option<Spanned<String>>,
    authors: Option<Spanned<String>>,
    title: Spanned<String>,
    year: Option<Spanned<u16>>,
    url: Spanned<String>,
    kind: SourceKind,
    journal: Option<String>,
}

impl Bibliography {
    /// Reads every `*.toml` file in `content_dir/sources`. A missing folder is an empty
    /// bibliography; every problem goes to `diagnostics`.
    pub fn load(content_dir: &Path, today: Date, diagnostics: &mut Diagnostics) -> Self {
        let dir = content_dir.join(SOURCES_DIR);
        let mut paths: Vec<PathBuf> = match fs::read_dir(&dir) {
            Ok(entries) => entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "toml"))
                .collect(),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
            Err(e) => {
                diagnostics.file_error(&dir, format!("cannot read the folder: {e}"));
                Vec::new()
            }
        };
        paths.sort();
        let mut bibliography = Self::default();
        let mut urls: HashMap<String, (PathBuf, usize, String)> = HashMap::new();
        for path in paths {
            let text = match fs::read_to_string(&path) {
                Ok(text) => text,
                Err(e) => {
                    diagnostics.file_error(&path, format!("cannot read the file: {e}"));
                    continue;
                }
            };
            match toml::from_str::<SourcesFile>(&text) {
                Err(e) => {
                    let offset = e.span().map_or(0, |s| s.start);
                    diagnostics.error(&path, &text, offset, e.message().trim().to_string());
                }
                Ok(file) => {
                    for row in file.sources {
                        if let Some(source) =
                            bibliography.add(row, &path, &text, today, &mut urls, diagnostics)
                        {
                            bibliography
                                .by_id
                                .insert(source.id.clone(), bibliography.sources.len());
                            bibliography.sources.push(source);
                        }
                    }
                }
            }
            bibliography.files.insert(path, text);
        }
        bibliography
    }

    /// Checks one entry; returns it unless its id is unusable (invalid or taken).
    fn add(
        &self,
        row: SourceRow,
        path: &Path,
        text: &str,
        today: Date,
        urls: &mut HashMap<String, (PathBuf, usize, String)>,
        diagnostics: &mut Diagnostics,
    ) -> Option<Source> {
        let id = row.id.get_ref().trim().to_string();
        let at_id = row.id.span().start;
        let mut error =
            |offset: usize, message: String| diagnostics.error(path, text, offset, message);
        if !is_valid_slug(&id) {
            error(
                at_id,
                format!(
                    "the source id `{id}` is not valid: use lower-case letters, digits and single hyphens"
                ),
            );
            return None;
        }
        if let Some(&first) = self.by_id.get(&id) {
            let first = &self.sources[first];
            let (line, col) = self.files.get(&first.path).map_or_else(
                || line_col(text, first.id_offset),
                |t| line_col(t, first.id_offset),
            );
            error(
                at_id,
                format!(
                    "duplicate source id `{id}`: {}:{line}:{col} has it already; cite that one, or give this a new id",
                    first.path.display()
                ),
            );
            return None;
        }
        let non_empty = |s: &Option<Spanned<String>>| {
            s.as_ref()
                .map(|s| s.get_ref().trim().to_string())
                .filter(|s| !s.is_empty())
        };
        let publisher = non_empty(&row.publisher);
        let authors = non_empty(&row.authors);
        if publisher.is_none() && authors.is_none() {
            error(
                at_id,
                format!(
                    "source `{id}` needs `publisher` (an organisation) or `authors` (\"Surname I, Surname I\")"
                ),
            );
        }
        let title = row.title.get_ref().trim().to_string();
        if title.is_empty() {
            error(
                row.title.span().start,
                format!("source `{id}` has an empty `title`"),
            );
        }
        let year = row.year.as_ref().map(|y| *y.get_ref());
        if let Some(y) = &row.year {
            let year = *y.get_ref();
            if !(1900..=today.year() as u16).contains(&year) {
                error(
                    y.span().start,
                    format!("source `{id}` has the year {year}, which cannot be right"),
                );
            }
        }
        let url = row.url.get_ref().trim().to_string();
        if !(url.starts_with("https://") || url.starts_with("http://")) || url.contains(' ') {
            error(
                row.url.span().start,
                format!("the `url` of source `{id}` must be a web address starting with https://"),
            );
        }
        let normalised = url.trim_end_matches('/').to_lowercase();
        if let Some((first_path, first_offset, first_id)) = urls.get(&normalised) {
            let (line, _) = if first_path == path {
                line_col(text, *first_offset)
            } else {
                self.files
                    .get(first_path)
                    .map_or((0, 0), |t| line_col(t, *first_offset))
            };
            diagnostics.warning(
                path,
                text,
                row.url.span().start,
                format!(
                    "source `{id}` has the same url as `{first_id}` ({}:{line}): one source, one id",
                    first_path.display()
                ),
            );
        } else {
            urls.insert(
                normalised,
                (path.to_path_buf(), row.url.span().start, id.clone()),
            );
        }
        Some(Source {
            id,
            publisher,
            authors,
            title,
            year,
            url,
            kind: row.kind,
            journal: row
                .journal
                .map(|j| j.trim().to_string())
                .filter(|j| !j.is_empty()),
            path: path.to_path_buf(),
            id_offset: at_id,
        })
    }

    /// The source with this id.
    pub fn get(&self, id: &str) -> Option<&Source> {
        self.by_id.get(id).map(|&i| &self.sources[i])
    }

    /// Every source, in file order.
    pub fn iter(&self) -> impl Iterator<Item = &Source> {
        self.sources.iter()
    }

    pub fn len(&self) -> usize {
        self.sources.len()
    }

    pub fn is_empty(&self) -> bool {
        self.sources.is_empty()
    }

    /// The message for a citation of `id` that is not in the bibliography, with the nearest id.
    pub fn unknown_message(&self, id: &str) -> String {
        let nearest = self
            .sources
            .iter()
            .map(|s| (strsim::levenshtein(&s.id, id), &s.id))
            .filter(|(distance, _)| *distance <= 3)
            .min();
        let hint = match nearest {
            Some((_, near)) => format!(" Did you mean `{near}`?"),
            None => String::new(),
        };
        format!(
            "unknown source `{id}`: it is not in content/{SOURCES_DIR}/*.toml. Add it there (see content/README.md) or fix the id.{hint}"
        )
    }

    /// Reports every id in `cited` that is not here, at the offset it was written.
    pub fn check_cited(
        &self,
        cited: impl IntoIterator<Item = (String, usize)>,
        path: &Path,
        text: &str,
        diagnostics: &mut Diagnostics,
    ) {
        for (id, offset) in cited {
            if self.get(&id).is_none() {
                diagnostics.error(path, text, offset, self.unknown_message(&id));
            }
        }
    }

    /// Warns about each source that no id in `cited` names.
    pub fn warn_uncited(&self, cited: &HashSet<String>, diagnostics: &mut Diagnostics) {
        for source in &self.sources {
            if !cited.contains(&source.id) {
                let text = self.files.get(&source.path).map_or("", String::as_str);
                diagnostics.warning(
                    &source.path,
                    text,
                    source.id_offset,
                    format!(
                        "the source `{}` is not cited by any page, risk or dose: cite it or remove it",
                        source.id
                    ),
                );
            }
        }
    }
}

/// Every source id a page cites, with its offset in the page's file, in citing order: the body,
/// then the risks, then the `sources` list.
pub fn page_citations(
    meta: &PageMeta,
    body: &RenderedMarkdown,
    risks: &[Spanned<Risk>],
    front_matter_offset: usize,
    body_offset: usize,
) -> Vec<(String, usize)> {
    let in_front = |r: &SlugRef| {
        (
            r.get_ref().trim().to_string(),
            front_matter_offset + r.span().start + 1,
        )
    };
    body.citations
        .iter()
        .map(|c| (c.id.clone(), body_offset + c.span.start))
        .chain(
            risks
                .iter()
                .flat_map(|r| r.get_ref().sources.iter())
                .map(in_front),
        )
        .chain(meta.sources.iter().map(in_front))
        .collect()
}

/// One item of a page's numbered "Sources" list.
#[derive(Debug, Clone)]
pub struct NumberedSource<'a> {
    /// 1-based, in order of first citation.
    pub number: usize,
    pub source: &'a Source,
}

impl NumberedSource<'_> {
    /// The id of the list item, which citations link to.
    pub fn anchor(&self) -> String {
        source_anchor(&self.source.id)
    }
}

/// A page's sources, numbered by first citation. Unknown ids (already reported) are skipped.
pub fn numbered<'a>(
    cited_in_order: impl IntoIterator<Item = String>,
    bibliography: &'a Bibliography,
) -> Vec<NumberedSource<'a>> {
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for id in cited_in_order {
        if !seen.insert(id.clone()) {
            continue;
        }
        if let Some(source) = bibliography.get(&id) {
            out.push(NumberedSource {
                number: out.len() + 1,
                source,
            });
        }
    }
    out
}

/// The first author's surname from "van der Kooij SM, Hehenkamp WJ": everything before the
/// initials, so a surname of several words ("van der Kooij") or none at all ("EVAR trial
/// participants") is kept whole.
fn first_surname(authors: &str) -> String {
    let first = authors.split(',').next().unwrap_or(authors).trim();
    let words: Vec<&str> = first.split_whitespace().collect();
    let is_initials =
        |w: &str| w.len() <= 3 && w.chars().all(|c| c.is_ascii_uppercase() || c == '.');
    match words.split_last() {
        Some((last, rest)) if !rest.is_empty() && is_initials(last) => rest.join(" "),
        _ => first.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source(authors: Option<&str>, publisher: Option<&str>, year: Option<u16>) -> Source {
        Source {
            id: "x".to_string(),
            publisher: publisher.map(str::to_string),
            authors: authors.map(str::to_string),
            title: "A title".to_string(),
            year,
            url: "https://example.org".to_string(),
            kind: SourceKind::Study,
            journal: None,
            path: PathBuf::new(),
            id_offset: 0,
        }
    }

    #[test]
    fn short_labels() {
        let cases = [
            (Some("Mettler FA, Huda W"), None, Some(2008), "Mettler 2008"),
            (
                None,
                Some("Health Protection Agency (HPA)"),
                Some(2008),
                "HPA 2008",
            ),
            (
                None,
                Some("Guy's and St Thomas'"),
                None,
                "Guy's and St Thomas'",
            ),
            (
                Some("Schabelman E"),
                Some("Ignored"),
                Some(2010),
                "Schabelman 2010",
            ),
            (
                Some("van der Kooij SM, Hehenkamp WJ"),
                None,
                Some(2010),
                "van der Kooij 2010",
            ),
            (
                Some("Patel R, Sweeting MJ, and others"),
                None,
                Some(2016),
                "Patel 2016",
            ),
            (
                Some("EVAR trial participants"),
                None,
                Some(2005),
                "EVAR trial participants 2005",
            ),
        ];
        for (authors, publisher, year, expected) in cases {
            assert_eq!(source(authors, publisher, year).short(), expected);
        }
    }

    #[test]
    fn citations_read_as_one_line() {
        let mut s = source(Some("Mettler FA, Huda W"), None, Some(2008));
        s.journal = Some("Radiology 248:254-263".to_string());
        assert_eq!(
            s.citation(),
            "Mettler FA, Huda W. A title. Radiology 248:254-263. 2008."
        );
    }
}
