//! Site search: a tantivy index of every published page, built in memory with the Site, so a
//! rebuilt Site carries its own index and a request searches the same pages it can be sent to.
//!
//! Ranking is tantivy's BM25 over five fields with boosts: title, alternative names (including a
//! condition's medical name), the names of the conditions a procedure treats, summary and body.
//! All the words typed must match (less common words like "the" aside); when no page has them
//! all, pages with some of them are shown and the page says so. An exact phrase adds a bonus
//! per field. Words the site does not use are matched to the closest word it does ("did you
//! mean"), and US spellings meet UK ones in the analyser.

pub(crate) mod analysis;
pub(crate) mod passage;
pub(crate) mod suggest;

use std::collections::HashSet;
use std::fmt;

use tantivy::collector::{Count, TopDocs};
use tantivy::query::{BooleanQuery, BoostQuery, Occur, PhraseQuery, Query, TermQuery};
use tantivy::schema::{FAST, Field, IndexRecordOption, Schema, TextFieldIndexing, TextOptions};
use tantivy::{DocAddress, Index, IndexReader, ReloadPolicy, Term, doc};

use crate::content::front_matter::{
    ConditionFrontMatter, ProcedureFrontMatter, StatementFrontMatter, StatementStatus,
};
use crate::content::{Library, PageKind};
use analysis::{ANALYSER_NAME, content_analyser, folded, query_analyser, uk_spelling};
pub use passage::SnippetPart;
use passage::{AnalysedText, Highlight, TermIds, marked};
use suggest::{Vocabulary, WordSource};

/// The longest query searched, in characters; the header box allows no more either.
pub const MAX_QUERY_CHARS: usize = 200;

/// Results on one page of results.
pub const RESULTS_PER_PAGE: usize = 10;

/// At most this many words of a query are searched, which bounds the work a query can cause.
const MAX_QUERY_WORDS: usize = 16;

/// How much a match in each field counts. A title or a name someone was told ("EVAR", "PAD")
/// says more about a page than a word somewhere in its body.
const TITLE_BOOST: f32 = 6.0;
const NAMES_BOOST: f32 = 4.0;
const CONDITIONS_BOOST: f32 = 3.0;
const SUMMARY_BOOST: f32 = 1.5;
const BODY_BOOST: f32 = 1.0;

/// An exact phrase counts this many times the words matched one by one.
const PHRASE_FACTOR: f32 = 2.0;

/// Why the index could not be built: a bug, not a content problem.
#[derive(Debug, Clone, thiserror::Error)]
#[error("building the search index: {0}")]
pub struct SearchError(#[from] tantivy::TantivyError);

/// One page as the index sees it.
#[derive(Debug, Clone)]
pub struct SearchDocument {
    pub kind: PageKind,
    /// Shown beside the result, such as "Procedure" or "Position statement (superseded)".
    pub label: String,
    pub title: String,
    pub path: String,
    pub summary: String,
    /// Other names: also-known-as names and a condition's medical name.
    pub names: Vec<String>,
    /// For a procedure: the conditions it treats, each as its title followed by its other names.
    pub conditions: Vec<Vec<String>>,
    /// The body as plain text.
    pub body: String,
}

impl SearchDocument {
    /// Every searchable page of the library: all kinds except the home page, which only
    /// points to the others.
    pub fn all_from(library: &Library) -> Vec<SearchDocument> {
        debug_assert!(library.has_texts(), "a Site's library has no bodies left");
        let bodies = library
            .all_pages()
            .into_iter()
            .map(|page| page.body.plain_text.clone())
            .collect();
        Self::with_bodies(library, bodies)
    }

    /// Like [`SearchDocument::all_from`], with each page's plain text given, in the order of
    /// [`Library::all_pages`]: those [`Library::take_plain_texts`] took out of the library.
    pub fn with_bodies(library: &Library, bodies: Vec<String>) -> Vec<SearchDocument> {
        let mut docs = Vec::new();
        for (page, body) in library.all_pages().into_iter().zip(bodies) {
            if page.kind == PageKind::Home {
                continue;
            }
            let mut doc = SearchDocument {
                kind: page.kind,
                label: page.kind.label().to_string(),
                title: page.meta.title.clone(),
                path: page.path(),
                summary: page.meta.summary.clone(),
                // Words searchers type that the page does not show, such as US spellings.
                names: page.meta.search_terms.clone(),
                conditions: Vec::new(),
                body,
            };
            if let Some(sheet) = page.front::<ProcedureFrontMatter>() {
                doc.names = [sheet.also_known_as.clone(), doc.names].concat();
                doc.conditions = sheet
                    .conditions
                    .iter()
                    .filter_map(|slug| library.condition(slug.get_ref()))
                    .map(|c| {
                        std::iter::once(c.meta.title.clone())
                            .chain(std::iter::once(c.front.medical_name.clone()))
                            .chain(c.front.also_known_as.iter().cloned())
                            .collect()
                    })
                    .collect();
                // The section for healthcare professionals is part of the page, so GPs can find
                // sheets by indication or guidance ("IPG367").
                if let Some(notes) = &sheet.professional {
                    doc.body.push_str(&professional_text(notes));
                }
            }
            if let Some(condition) = page.front::<ConditionFrontMatter>() {
                doc.names = std::iter::once(condition.medical_name.clone())
                    .chain(condition.also_known_as.iter().cloned())
                    .chain(std::mem::take(&mut doc.names))
                    .collect();
                doc.body = format!("{}\n\n{}", doc.body, condition.other_treatments);
            }
            if let Some(statement) = page.front::<StatementFrontMatter>() {
                if statement.status != StatementStatus::Current {
                    doc.label = format!(
                        "{} ({})",
                        page.kind.label(),
                        statement.status.label().to_lowercase()
                    );
                }
            }
            docs.push(doc);
        }
        docs
    }
}

#[derive(Debug, Clone, Copy)]
struct Fields {
    ordinal: Field,
    title: Field,
    names: Field,
    conditions: Field,
    summary: Field,
    body: Field,
}

impl Fields {
    /// The text fields with their boosts, most telling first.
    fn weighted(&self) -> [(Field, f32); 5] {
        [
            (self.title, TITLE_BOOST),
            (self.names, NAMES_BOOST),
            (self.conditions, CONDITIONS_BOOST),
            (self.summary, SUMMARY_BOOST),
            (self.body, BODY_BOOST),
        ]
    }
}

/// The index and what is needed to turn its hits back into pages.
pub struct SearchIndex {
    reader: IndexReader,
    fields: Fields,
    /// By ordinal, as stored in the index.
    documents: Vec<PreparedDocument>,
    term_ids: TermIds,
    vocabulary: Vocabulary,
}

/// What a result shows of a page, analysed once so that snippets need no analysis per request.
#[derive(Debug)]
struct PreparedDocument {
    label: String,
    path: String,
    title: AnalysedText,
    summary: AnalysedText,
    body: AnalysedText,
    names: Vec<AnalysedText>,
    /// Per condition: its title, then its other names.
    conditions: Vec<Vec<AnalysedText>>,
}

impl fmt::Debug for SearchIndex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SearchIndex")
            .field("documents", &self.documents.len())
            .field("vocabulary", &self.vocabulary.len())
            .finish_non_exhaustive()
    }
}

/// What a visitor typed, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CheckedQuery {
    /// Nothing, or only spaces.
    Empty,
    /// Over [`MAX_QUERY_CHARS`] characters.
    TooLong,
    /// No letters or digits at all, such as "???".
    NoWords,
    /// Something to search for: the query with control characters removed and spaces tidied.
    Words(String),
}

impl CheckedQuery {
    /// Checks a raw query. Never fails: whatever was sent, the answer is one of the cases.
    pub fn new(raw: &str) -> Self {
        let cleaned: String = raw
            .chars()
            .map(|c| {
                if c.is_control() || is_invisible(c) {
                    ' '
                } else {
                    c
                }
            })
            .collect::<String>()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        if cleaned.is_empty() {
            Self::Empty
        } else if cleaned.chars().count() > MAX_QUERY_CHARS {
            Self::TooLong
        } else if !cleaned.chars().any(char::is_alphanumeric) {
            Self::NoWords
        } else {
            Self::Words(cleaned)
        }
    }
}

/// Formatting characters that show as nothing: bidirectional overrides, zero-width spaces.
fn is_invisible(c: char) -> bool {
    matches!(c, '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2060}'..='\u{2069}' | '\u{feff}')
}

/// Whether a search may show the results of a corrected query when the query finds nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Correction {
    /// Search the suggestion instead when the words as typed find nothing (the default).
    WhenNothingFound,
    /// Only the words as typed; the suggestion is still offered as "did you mean".
    AsTyped,
}

/// A page offered while a visitor types in a search box.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Suggestion {
    pub title: String,
    pub path: String,
    /// The kind of page, such as "Procedure".
    pub label: String,
}

/// Whether all the words had to match.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MatchMode {
    AllWords,
    /// No page had them all; these pages have some.
    SomeWords,
}

/// One page in the results.
#[derive(Debug, Clone)]
pub struct SearchHit {
    pub label: String,
    pub title: String,
    pub path: String,
    /// Where the words occur in the page, or its summary.
    pub snippet: Vec<SnippetPart>,
    /// Other names of the page that matched, when its title did not: so a search for "PAD"
    /// shows why "Peripheral arterial disease" was found.
    pub also_called: Vec<Vec<SnippetPart>>,
    /// For a procedure found through a condition it treats, when its title did not match: that
    /// condition, as "Peripheral arterial disease (PAD)" with the matched words marked.
    pub treats: Vec<Vec<SnippetPart>>,
    pub score: f32,
}

impl SearchHit {
    /// The snippet's text as a whole, without its marks.
    pub fn snippet_text(&self) -> String {
        self.snippet.iter().map(|p| p.text.as_str()).collect()
    }

    /// The words the snippet marks as matched, in order.
    pub fn marked_words(&self) -> Vec<&str> {
        self.snippet
            .iter()
            .filter(|p| p.matched)
            .map(|p| p.text.as_str())
            .collect()
    }
}

/// The answer to a search with words in it.
#[derive(Debug, Clone)]
pub struct SearchResults {
    /// What was typed, tidied.
    pub query: String,
    /// A better query: misspellings corrected and US spellings made UK.
    pub suggestion: Option<String>,
    /// The results are for `suggestion`, because `query` found nothing.
    pub showing_suggestion: bool,
    pub mode: MatchMode,
    pub total: usize,
    /// 1-based, within `1..=page_count` (or 1 when there are no results).
    pub page: usize,
    pub page_count: usize,
    pub hits: Vec<SearchHit>,
}

impl SearchResults {
    /// The position of the first hit of this page in all results, counting from 1.
    pub fn first_position(&self) -> usize {
        (self.page - 1) * RESULTS_PER_PAGE + 1
    }
}

/// A word of the query, as typed and as the index sees it.
#[derive(Debug, Clone)]
struct QueryWord {
    typed: String,
    /// Whether the index has the word in any field.
    known: bool,
}

impl SearchIndex {
    /// Indexes every searchable page of `library`.
    pub fn build(library: &Library) -> Result<Self, SearchError> {
        Self::from_documents(SearchDocument::all_from(library))
    }

    /// Indexes these documents, in memory.
    pub fn from_documents(documents: Vec<SearchDocument>) -> Result<Self, SearchError> {
        let mut builder = Schema::builder();
        let text = TextOptions::default().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(ANALYSER_NAME)
                .set_index_option(IndexRecordOption::WithFreqsAndPositions),
        );
        let fields = Fields {
            ordinal: builder.add_u64_field("ordinal", FAST),
            title: builder.add_text_field("title", text.clone()),
            names: builder.add_text_field("names", text.clone()),
            conditions: builder.add_text_field("conditions", text.clone()),
            summary: builder.add_text_field("summary", text.clone()),
            body: builder.add_text_field("body", text),
        };
        let index = Index::create_in_ram(builder.build());
        index
            .tokenizers()
            .register(ANALYSER_NAME, content_analyser());

        let mut vocabulary = Vocabulary::default();
        let mut term_ids = TermIds::default();
        let mut analyser = content_analyser();
        let mut prepared = Vec::with_capacity(documents.len());
        // One thread: the pages are few, and the server's cores are for requests.
        let mut writer = index.writer_with_num_threads(1, 50_000_000)?;
        // Each document is dropped once indexed: only its packed form stays (see `passage`).
        for (ordinal, d) in documents.into_iter().enumerate() {
            let mut document = doc!(
                fields.ordinal => ordinal as u64,
                fields.title => d.title.as_str(),
                fields.summary => d.summary.as_str(),
                fields.body => d.body.as_str(),
            );
            for name in &d.names {
                document.add_text(fields.names, name);
            }
            for name in d.conditions.iter().flatten() {
                document.add_text(fields.conditions, name);
            }
            writer.add_document(document)?;

            vocabulary.add_text(&d.title, WordSource::Name);
            for name in d.names.iter().chain(d.conditions.iter().flatten()) {
                vocabulary.add_text(name, WordSource::Name);
            }
            vocabulary.add_text(&d.summary, WordSource::Summary);
            vocabulary.add_text(&d.body, WordSource::Body);

            let mut analyse = |text: &str| AnalysedText::new(text, &mut analyser, &mut term_ids);
            prepared.push(PreparedDocument {
                label: d.label,
                path: d.path,
                title: analyse(&d.title),
                summary: analyse(&d.summary),
                body: analyse(&d.body),
                names: d.names.iter().map(|n| analyse(n)).collect(),
                conditions: d
                    .conditions
                    .iter()
                    .map(|names| names.iter().map(|n| analyse(n)).collect())
                    .collect(),
            });
        }
        writer.commit()?;
        writer.wait_merging_threads()?;
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        Ok(Self {
            reader,
            fields,
            documents: prepared,
            term_ids,
            vocabulary,
        })
    }

    /// How many pages are indexed.
    pub fn len(&self) -> usize {
        self.documents.len()
    }

    pub fn is_empty(&self) -> bool {
        self.documents.is_empty()
    }

    /// Searches for `query` (already checked) and returns page `page` of the results.
    /// `page` is clamped to the pages there are.
    pub fn search(&self, query: &str, page: usize) -> Result<SearchResults, SearchError> {
        self.search_with(query, page, Correction::WhenNothingFound)
    }

    /// Like [`SearchIndex::search`], choosing whether a corrected query may be searched instead
    /// when the words as typed find nothing ("search instead for fibriods" asks for `AsTyped`).
    pub fn search_with(
        &self,
        query: &str,
        page: usize,
        correction: Correction,
    ) -> Result<SearchResults, SearchError> {
        let searcher = self.reader.searcher();
        let words = self.query_words(&searcher, query)?;
        let suggestion = self.suggest(&words, query);
        let corrected = suggestion
            .as_deref()
            .filter(|_| correction == Correction::WhenNothingFound);

        let mut attempts: Vec<(&str, MatchMode)> = vec![(query, MatchMode::AllWords)];
        if let Some(s) = corrected {
            attempts.push((s, MatchMode::AllWords));
        }
        attempts.push((query, MatchMode::SomeWords));
        if let Some(s) = corrected {
            attempts.push((s, MatchMode::SomeWords));
        }

        let mut last = None;
        for (text, mode) in attempts {
            let Some(built) = self.build_query(text, mode) else {
                continue;
            };
            let total = searcher.search(&built.query, &Count)?;
            if total == 0 {
                last = Some((text, mode, built));
                continue;
            }
            let page_count = total.div_ceil(RESULTS_PER_PAGE);
            let page = page.clamp(1, page_count);
            let top = TopDocs::with_limit(RESULTS_PER_PAGE)
                .and_offset((page - 1) * RESULTS_PER_PAGE)
                .order_by_score();
            let found = searcher.search(&built.query, &top)?;
            let hits = self.hits(&searcher, &built, found)?;
            return Ok(SearchResults {
                query: query.to_string(),
                showing_suggestion: text != query,
                suggestion,
                mode,
                total,
                page,
                page_count,
                hits,
            });
        }
        let mode = last.map_or(MatchMode::AllWords, |(_, mode, _)| mode);
        Ok(SearchResults {
            query: query.to_string(),
            suggestion,
            showing_suggestion: false,
            mode,
            total: 0,
            page: 1,
            page_count: 0,
            hits: Vec::new(),
        })
    }

    /// The words of the query, each with whether the index knows it.
    fn query_words(
        &self,
        searcher: &tantivy::Searcher,
        query: &str,
    ) -> Result<Vec<QueryWord>, SearchError> {
        let mut analyser = content_analyser();
        let mut words = Vec::new();
        for typed in query
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .take(MAX_QUERY_WORDS)
        {
            let mut known = false;
            for (_, term) in analysis::terms(&mut analyser, typed) {
                for (field, _) in self.fields.weighted() {
                    if searcher.doc_freq(&Term::from_field_text(field, &term))? > 0 {
                        known = true;
                        break;
                    }
                }
            }
            words.push(QueryWord {
                typed: typed.to_string(),
                known,
            });
        }
        Ok(words)
    }

    /// The query with misspellings corrected and US spellings made UK, if that changes it.
    fn suggest(&self, words: &[QueryWord], query: &str) -> Option<String> {
        let mut changed = false;
        let better: Vec<String> = words
            .iter()
            .map(|word| {
                let folded = folded(&word.typed);
                let uk = uk_spelling(&folded);
                let replacement = if uk != folded {
                    Some(uk.into_owned())
                } else if !word.known {
                    self.vocabulary.closest(&folded).map(str::to_string)
                } else {
                    None
                };
                match replacement {
                    Some(r) => {
                        changed = true;
                        r
                    }
                    None => word.typed.clone(),
                }
            })
            .collect();
        let suggestion = better.join(" ");
        (changed && !suggestion.eq_ignore_ascii_case(query)).then_some(suggestion)
    }

    /// The tantivy query for `text`, or None when it has no terms at all.
    fn build_query(&self, text: &str, mode: MatchMode) -> Option<BuiltQuery> {
        let mut phrase = analysis::terms(&mut content_analyser(), text);
        phrase.truncate(MAX_QUERY_WORDS);
        let mut required = unique(analysis::terms(&mut query_analyser(), text));
        required.truncate(MAX_QUERY_WORDS);
        if required.is_empty() {
            // Only common words ("is it in"): search for them after all.
            required = unique(phrase.clone());
        }
        if required.is_empty() {
            return None;
        }
        let per_word: Vec<Box<dyn Query>> = required
            .iter()
            .map(|term| self.any_field(term) as Box<dyn Query>)
            .collect();
        let words: Box<dyn Query> = match mode {
            MatchMode::AllWords => Box::new(BooleanQuery::intersection(per_word)),
            MatchMode::SomeWords => Box::new(BooleanQuery::union(per_word)),
        };
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = vec![(Occur::Must, words)];
        if phrase.len() >= 2 {
            for (field, boost) in self.fields.weighted() {
                let terms = phrase
                    .iter()
                    .map(|(position, term)| (*position, Term::from_field_text(field, term)))
                    .collect();
                let exact = PhraseQuery::new_with_offset(terms);
                clauses.push((
                    Occur::Should,
                    Box::new(BoostQuery::new(Box::new(exact), boost * PHRASE_FACTOR)),
                ));
            }
        }
        Some(BuiltQuery {
            query: BooleanQuery::new(clauses),
            highlight: required,
        })
    }

    /// Matches `term` in any field, scoring each field by its boost.
    fn any_field(&self, term: &str) -> Box<BooleanQuery> {
        let clauses = self
            .fields
            .weighted()
            .into_iter()
            .map(|(field, boost)| {
                let query = TermQuery::new(
                    Term::from_field_text(field, term),
                    IndexRecordOption::WithFreqs,
                );
                (
                    Occur::Should,
                    Box::new(BoostQuery::new(Box::new(query), boost)) as Box<dyn Query>,
                )
            })
            .collect();
        Box::new(BooleanQuery::new(clauses))
    }

    /// Turns tantivy's hits into pages with snippets.
    fn hits(
        &self,
        searcher: &tantivy::Searcher,
        built: &BuiltQuery,
        found: Vec<(f32, DocAddress)>,
    ) -> Result<Vec<SearchHit>, SearchError> {
        let highlight: Highlight = built
            .highlight
            .iter()
            .filter_map(|term| {
                let id = self.term_ids.get(term)?;
                let freq = searcher
                    .doc_freq(&Term::from_field_text(self.fields.body, term))
                    .unwrap_or(0);
                // Rarer words make a better snippet, as in tantivy's own snippet generator.
                Some((id, 1.0 / (1.0 + freq as f32)))
            })
            .collect();
        let mut hits = Vec::with_capacity(found.len());
        for (score, address) in found {
            let ordinals = searcher
                .segment_reader(address.segment_ord)
                .fast_fields()
                .u64("ordinal")?;
            let Some(document) = ordinals
                .first(address.doc_id)
                .and_then(|o| self.documents.get(usize::try_from(o).ok()?))
            else {
                continue;
            };
            // The page's own summary says best what it is about: it is the snippet whenever it
            // has as many of the words searched for as the body; otherwise a passage of the body.
            let in_summary = document.summary.distinct_matches(&highlight);
            let summary_first =
                in_summary > 0 && in_summary >= document.body.distinct_matches(&highlight);
            let snippet = if summary_first {
                marked(&document.summary, &highlight)
            } else {
                None
            }
            .or_else(|| marked(&document.body, &highlight))
            .or_else(|| marked(&document.summary, &highlight))
            .unwrap_or_else(|| {
                vec![SnippetPart {
                    text: document.summary.text().into_owned(),
                    matched: false,
                }]
            });
            // Say why a page matched when its title does not show it: with the other names and
            // conditions that match the most of the words searched for.
            let title_matched = marked(&document.title, &highlight).is_some();
            let best = |texts: &mut dyn Iterator<Item = &AnalysedText>| {
                texts
                    .map(|t| t.distinct_matches(&highlight))
                    .max()
                    .unwrap_or(0)
            };
            let most = best(
                &mut document
                    .names
                    .iter()
                    .chain(document.conditions.iter().flatten()),
            );
            let (also_called, treats) = if title_matched || most == 0 {
                (Vec::new(), Vec::new())
            } else {
                (
                    document
                        .names
                        .iter()
                        .filter(|name| name.distinct_matches(&highlight) == most)
                        .filter_map(|name| marked(name, &highlight))
                        .take(3)
                        .collect(),
                    document
                        .conditions
                        .iter()
                        .filter(|names| best(&mut names.iter()) == most)
                        .filter_map(|names| matched_condition(names, &highlight))
                        .take(3)
                        .collect(),
                )
            };
            hits.push(SearchHit {
                label: document.label.clone(),
                title: document.title.text().into_owned(),
                path: document.path.clone(),
                snippet,
                also_called,
                treats,
                score,
            });
        }
        Ok(hits)
    }
}

/// A query ready to run, with the terms to highlight in snippets.
struct BuiltQuery {
    query: BooleanQuery,
    highlight: Vec<String>,
}

/// A condition whose title or other names matched: its title marked, or its title followed by
/// the first matching other name in brackets.
fn matched_condition(names: &[AnalysedText], highlight: &Highlight) -> Option<Vec<SnippetPart>> {
    let (title, others) = names.split_first()?;
    let most = names
        .iter()
        .map(|n| n.distinct_matches(highlight))
        .max()
        .unwrap_or(0);
    if title.distinct_matches(highlight) == most {
        return marked(title, highlight);
    }
    let other = others
        .iter()
        .filter(|name| name.distinct_matches(highlight) == most)
        .find_map(|name| marked(name, highlight))?;
    let mut parts = vec![SnippetPart {
        text: format!("{} (", title.text()),
        matched: false,
    }];
    parts.extend(other);
    parts.push(SnippetPart {
        text: ")".to_string(),
        matched: false,
    });
    Some(parts)
}

/// The section for healthcare professionals as plain text, headed as on the page.
fn professional_text(notes: &crate::content::front_matter::ProfessionalNotes) -> String {
    let guidance: Vec<&str> = notes.guidance.iter().map(|g| g.title.as_str()).collect();
    let sections = [
        ("Indications", notes.indications.join("; ")),
        ("Contraindications", notes.contraindications.join("; ")),
        ("Guidance", guidance.join("; ")),
        ("Referral", notes.referral.clone()),
    ];
    let mut text = String::from("\n\nFor healthcare professionals");
    for (heading, body) in sections {
        if !body.is_empty() {
            text.push_str(&format!("\n\n{heading}: {body}"));
        }
    }
    text
}

/// The terms, each once, in the order first seen.
fn unique(terms: Vec<(usize, String)>) -> Vec<String> {
    let mut seen = HashSet::new();
    terms
        .into_iter()
        .map(|(_, term)| term)
        .filter(|term| seen.insert(term.clone()))
        .collect()
}

impl SearchIndex {
    /// Up to `limit` pages to offer while a visitor types `typed` (already checked): first the
    /// pages whose title or other name has a word starting with each typed word, as typed so far
    /// ("fibr", "kidney dr"); then the search results, corrected when misspelt ("fibriod" finds
    /// fibroid pages). Each page once.
    pub fn suggestions(&self, typed: &str, limit: usize) -> Vec<Suggestion> {
        let typed_words: Vec<String> = typed
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .map(str::to_lowercase)
            .collect();
        let mut found: Vec<Suggestion> = Vec::new();
        let add = |found: &mut Vec<Suggestion>, label: &str, title: &str, path: &str| {
            if found.len() < limit && !found.iter().any(|s| s.path == path) {
                found.push(Suggestion {
                    title: title.to_string(),
                    path: path.to_string(),
                    label: label.to_string(),
                });
            }
        };
        if !typed_words.is_empty() {
            let starts_each = |text: &str| {
                let words: Vec<String> = text
                    .split(|c: char| !c.is_alphanumeric())
                    .filter(|w| !w.is_empty())
                    .map(str::to_lowercase)
                    .collect();
                typed_words
                    .iter()
                    .all(|t| words.iter().any(|w| w.starts_with(t.as_str())))
            };
            for document in &self.documents {
                if starts_each(&document.title.text())
                    || document.names.iter().any(|n| starts_each(&n.text()))
                {
                    add(
                        &mut found,
                        &document.label,
                        &document.title.text(),
                        &document.path,
                    );
                }
            }
        }
        if found.len() < limit {
            if let Ok(results) = self.search(typed, 1) {
                for hit in results.hits {
                    add(&mut found, &hit.label, &hit.title, &hit.path);
                }
            }
        }
        found
    }

    /// The paths of the first `limit` results for `query`, best first; for checking ranking.
    pub fn ranked_paths(&self, query: &str, limit: usize) -> Vec<String> {
        match self.search(query, 1) {
            Ok(results) => results
                .hits
                .into_iter()
                .take(limit)
                .map(|h| h.path)
                .collect(),
            Err(_) => Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_are_checked_before_searching() {
        let long = "a".repeat(MAX_QUERY_CHARS + 1);
        let exactly = "a".repeat(MAX_QUERY_CHARS);
        let cases = [
            ("", CheckedQuery::Empty),
            ("   \t\n ", CheckedQuery::Empty),
            ("\u{0}\u{1b}", CheckedQuery::Empty),
            ("\u{202e}\u{200b}", CheckedQuery::Empty),
            ("???", CheckedQuery::NoWords),
            ("!! -- ''", CheckedQuery::NoWords),
            (long.as_str(), CheckedQuery::TooLong),
            (exactly.as_str(), CheckedQuery::Words(exactly.clone())),
            (
                "  blocked\tkidney\u{0} ",
                CheckedQuery::Words("blocked kidney".into()),
            ),
            ("PAD?", CheckedQuery::Words("PAD?".into())),
        ];
        for (raw, expected) in cases {
            assert_eq!(CheckedQuery::new(raw), expected, "{raw:?}");
        }
    }

    fn doc(kind: PageKind, title: &str, body: &str) -> SearchDocument {
        SearchDocument {
            kind,
            label: kind.label().to_string(),
            title: title.to_string(),
            path: format!("/{}", crate::content::markdown::slugify(title)),
            summary: format!("About {title}."),
            names: Vec::new(),
            conditions: Vec::new(),
            body: body.to_string(),
        }
    }

    #[test]
    fn the_summary_is_the_snippet_when_it_has_as_many_of_the_words() {
        let index = SearchIndex::from_documents(vec![doc(
            PageKind::About,
            "Kidney drains",
            "Some words first. A drain takes urine from the kidney.",
        )])
        .unwrap();
        // (query, whether the summary "About Kidney drains." is the snippet)
        for (query, summary) in [("kidney", true), ("drains", true), ("urine kidney", false)] {
            let results = index.search(query, 1).unwrap();
            let text = results.hits[0].snippet_text();
            assert_eq!(text == "About Kidney drains.", summary, "{query}: {text}");
        }
    }

    #[test]
    fn a_query_of_many_joined_words_is_cut_short_and_still_answered() {
        let index =
            SearchIndex::from_documents(vec![doc(PageKind::About, "Kidney", "kidney stent")])
                .unwrap();
        let built = index
            .build_query(&"kidney-stent-".repeat(50), MatchMode::AllWords)
            .unwrap();
        assert!(built.highlight.len() <= MAX_QUERY_WORDS);
        assert_eq!(
            index.search(&"kidney-stent-".repeat(50), 1).unwrap().total,
            1
        );
    }

    #[test]
    fn pages_past_the_end_show_the_last_page() {
        let docs = (0..25)
            .map(|i| doc(PageKind::About, &format!("Stent page {i}"), "stent"))
            .collect();
        let index = SearchIndex::from_documents(docs).unwrap();
        let results = index.search("stent", 99).unwrap();
        assert_eq!(
            (results.total, results.page_count, results.page),
            (25, 3, 3)
        );
        assert_eq!(results.hits.len(), 5);
        assert_eq!(results.first_position(), 21);
        let first = index.search("stent", 0).unwrap();
        assert_eq!((first.page, first.hits.len()), (1, 10));
    }
}
