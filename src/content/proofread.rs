//! Proof-reading: the checks that look at how a page is written rather than whether it parses.
//!
//! Two kinds live here. [`check_pages`] runs as part of every [`Library::load`](super::Library::load): images without
//! alt text and left-over `TODO` placeholders (errors, so such a page is never served), headings
//! that skip a level, duplicate titles and reviews falling due (warnings). [`readability`] reads
//! the files on disk instead of the [`Library`](super::Library), so that `irinfo check` can score every page even when
//! some other file has errors; it scores the body text only, leaving out code, tables and headings.

use std::collections::HashMap;
use std::fs;
use std::ops::Range;
use std::path::{Path, PathBuf};

use jiff::civil::Date;
use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};

use super::diagnostics::Diagnostics;
use super::front_matter;
use super::kinds::PageRef;
use crate::config::CheckSettings;

/// How many days ahead a review counts as "due soon".
pub const REVIEW_DUE_SOON_DAYS: i32 = 30;

/// Pages with fewer words than this are not scored: a readability formula means little on a
/// handful of sentences.
pub const MIN_WORDS_TO_SCORE: usize = 100;

/// The marker that `irinfo new` puts wherever an editor must still write something.
pub const PLACEHOLDER: &str = "TODO";

/// Runs the proof-reading checks that need every page, adding what they find.
pub fn check_pages(pages: &[PageRef<'_>], today: Date, diagnostics: &mut Diagnostics) {
    for page in pages {
        check_images(page, diagnostics);
        check_heading_levels(page, diagnostics);
        check_placeholders(page, diagnostics);
        check_review_due_soon(page, today, diagnostics);
    }
    check_duplicate_titles(pages, diagnostics);
}

fn body_offset(page: &PageRef<'_>, offset_in_body: usize) -> usize {
    page.source.body_offset + offset_in_body
}

/// An image without alt text is invisible to someone using a screen reader (WCAG 1.1.1).
fn check_images(page: &PageRef<'_>, diagnostics: &mut Diagnostics) {
    for image in page.body.links.iter().filter(|l| l.is_image) {
        if image.alt.trim().is_empty() {
            diagnostics.error(
                &page.source.path,
                &page.source.text,
                body_offset(page, image.span.start),
                format!(
                    "the image `{}` has no alt text: say what it shows between the brackets, like `![A PICC line in the upper arm]({})`",
                    image.destination, image.destination
                ),
            );
        }
    }
}

/// Screen-reader users move around a page by its headings; a skipped level looks like a missing
/// section. The page title is the only level-1 heading, so the body starts at level 2.
fn check_heading_levels(page: &PageRef<'_>, diagnostics: &mut Diagnostics) {
    let mut previous = 1;
    for heading in &page.body.headings {
        if heading.level > previous + 1 {
            diagnostics.warning(
                &page.source.path,
                &page.source.text,
                body_offset(page, heading.span.start),
                format!(
                    "the heading `{} {}` skips a level: it follows a level-{previous} heading, so use `{}`",
                    "#".repeat(heading.level.into()),
                    heading.text,
                    "#".repeat(usize::from(previous) + 1)
                ),
            );
        }
        previous = heading.level;
    }
}

/// `irinfo new` writes `TODO` wherever something must be filled in; none may reach visitors.
fn check_placeholders(page: &PageRef<'_>, diagnostics: &mut Diagnostics) {
    let text = &page.source.text;
    for (offset, _) in text.match_indices(PLACEHOLDER) {
        diagnostics.error(
            &page.source.path,
            text,
            offset,
            "a `TODO` placeholder is still here: replace it with the real text",
        );
    }
}

/// Overdue reviews are reported when the page is read; this adds the ones falling due soon, so
/// that reviewers have a month's notice.
fn check_review_due_soon(page: &PageRef<'_>, today: Date, diagnostics: &mut Diagnostics) {
    let due = page.meta.next_review.0;
    let days = (due - today).get_days();
    if due >= today && days < REVIEW_DUE_SOON_DAYS {
        let when = match days {
            0 => "today".to_string(),
            1 => "tomorrow".to_string(),
            n => format!("in {n} days"),
        };
        diagnostics.warning(
            &page.source.path,
            &page.source.text,
            page.source.front_matter_offset + page.meta.next_review_span.start,
            format!(
                "the review is due on {}, {when}: ask {} to review the page",
                page.meta.next_review, page.meta.review.review_group
            ),
        );
    }
}

/// Two pages with one title look the same in lists, search results and browser tabs. The first
/// in site order (home, procedures, conditions, stories, radiation, statements, about) keeps it.
fn check_duplicate_titles(pages: &[PageRef<'_>], diagnostics: &mut Diagnostics) {
    let mut first_with: HashMap<String, &Path> = HashMap::new();
    for page in pages {
        let key = page.meta.title.to_lowercase();
        if key.is_empty() {
            continue;
        }
        match first_with.get(&key) {
            Some(first) => diagnostics.warning(
                &page.source.path,
                &page.source.text,
                page.source.front_matter_offset + page.meta.title_span.start,
                format!(
                    "the title `{}` is also the title of {}: give each page its own title",
                    page.meta.title,
                    first.display()
                ),
            ),
            None => {
                first_with.insert(key, &page.source.path);
            }
        }
    }
}

/// The readability thresholds, from `[check]` in site.toml.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ReadabilityLimits {
    /// Warn when a page's Flesch reading ease is below this.
    pub min_reading_ease: f64,
    /// Warn when a page's sentences are longer than this many words on average.
    pub max_sentence_words: f64,
}

impl From<&CheckSettings> for ReadabilityLimits {
    fn from(settings: &CheckSettings) -> Self {
        Self {
            min_reading_ease: settings.min_reading_ease,
            max_sentence_words: settings.max_sentence_words,
        }
    }
}

/// How hard one text is to read.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Readability {
    pub words: usize,
    pub sentences: usize,
    pub syllables: usize,
    /// The longest sentence: its word count and where it starts, as a byte offset in the body.
    pub longest_sentence: Option<(usize, usize)>,
}

impl Readability {
    /// Flesch reading ease: 206.835 - 1.015 (words per sentence) - 84.6 (syllables per word).
    /// 60 to 70 is plain English; higher is easier.
    pub fn reading_ease(&self) -> f64 {
        if self.words == 0 {
            return 100.0;
        }
        206.835 - 1.015 * self.average_sentence_words() - 84.6 * self.syllables_per_word()
    }

    pub fn average_sentence_words(&self) -> f64 {
        self.words as f64 / self.sentences.max(1) as f64
    }

    pub fn syllables_per_word(&self) -> f64 {
        self.syllables as f64 / self.words.max(1) as f64
    }
}

/// The readability of one page file.
#[derive(Debug, Clone, serde::Serialize)]
pub struct PageReadability {
    pub path: PathBuf,
    pub words: usize,
    pub sentences: usize,
    pub reading_ease: f64,
    pub average_sentence_words: f64,
    pub syllables_per_word: f64,
}

/// Scores every Markdown file under `content_dir` (drafts too) and warns about each page harder
/// to read than `limits` allow. Files that cannot be read or split are skipped: loading reports
/// them already.
pub fn readability(
    content_dir: &Path,
    limits: ReadabilityLimits,
) -> (Diagnostics, Vec<PageReadability>) {
    let mut files = Vec::new();
    collect_pages(content_dir, &mut files);
    files.sort();
    readability_of(&files, limits)
}

/// Scores these page files, as [`readability`] does for a whole folder.
pub fn readability_of(
    files: &[PathBuf],
    limits: ReadabilityLimits,
) -> (Diagnostics, Vec<PageReadability>) {
    let mut diagnostics = Diagnostics::default();
    let mut scores = Vec::new();
    for path in files {
        let Ok(text) = fs::read_to_string(path) else {
            continue;
        };
        let Ok(split) = front_matter::split(&text) else {
            continue;
        };
        let measured = measure(split.body);
        if measured.words < MIN_WORDS_TO_SCORE {
            continue;
        }
        let ease = measured.reading_ease();
        let average = measured.average_sentence_words();
        let too_hard = ease < limits.min_reading_ease;
        let too_long = average > limits.max_sentence_words;
        if too_hard || too_long {
            let (longest_words, longest_at) = measured.longest_sentence.unwrap_or((0, 0));
            let mut problems = Vec::new();
            if too_hard {
                problems.push(format!(
                    "its reading ease is {ease:.1} (at least {} is wanted)",
                    limits.min_reading_ease
                ));
            }
            if too_long {
                problems.push(format!(
                    "its sentences average {average:.1} words (at most {} is wanted)",
                    limits.max_sentence_words
                ));
            }
            diagnostics.warning(
                path,
                &text,
                split.body_offset + longest_at,
                format!(
                    "this page is hard to read: {}. The longest sentence starts here and has \
                     {longest_words} words: split long sentences and use shorter words",
                    problems.join(" and ")
                ),
            );
        }
        scores.push(PageReadability {
            path: path.clone(),
            words: measured.words,
            sentences: measured.sentences,
            reading_ease: (ease * 10.0).round() / 10.0,
            average_sentence_words: (average * 10.0).round() / 10.0,
            syllables_per_word: (measured.syllables_per_word() * 100.0).round() / 100.0,
        });
    }
    (diagnostics, scores)
}

/// Every page file below `dir`, skipping hidden files and the README guides.
fn collect_pages(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name.starts_with('.') {
            continue;
        }
        if path.is_dir() {
            collect_pages(&path, out);
        } else if is_page_file(&path) {
            out.push(path);
        }
    }
}

/// Whether `path` names a page: a visible `.md` file other than a README guide.
pub fn is_page_file(path: &Path) -> bool {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    !name.starts_with('.') && name.ends_with(".md") && !name.eq_ignore_ascii_case("README.md")
}

/// Words, sentences and syllables of a Markdown body's prose: paragraphs, list items and block
/// quotes. Code, tables, headings, image alt text and raw HTML are left out.
pub fn measure(body: &str) -> Readability {
    let options = Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_HEADING_ATTRIBUTES
        | Options::ENABLE_SMART_PUNCTUATION;
    let mut counter = SentenceCounter::default();
    let mut skip_depth = 0usize;
    for (event, range) in Parser::new_ext(body, options).into_offset_iter() {
        match event {
            Event::Start(
                Tag::CodeBlock(_) | Tag::Table(_) | Tag::Heading { .. } | Tag::Image { .. },
            ) => {
                skip_depth += 1;
            }
            Event::End(TagEnd::CodeBlock | TagEnd::Table | TagEnd::Heading(_) | TagEnd::Image) => {
                skip_depth = skip_depth.saturating_sub(1);
            }
            Event::Text(text) if skip_depth == 0 => counter.text(&text, range),
            // Inline code is read out as a word or two; count it as one word.
            Event::Code(_) if skip_depth == 0 => counter.text("code", range),
            Event::SoftBreak | Event::HardBreak if skip_depth == 0 => counter.space(),
            // A paragraph or list item ends its last sentence, even without a full stop.
            Event::End(TagEnd::Paragraph | TagEnd::Item) => counter.end_sentence(),
            _ => {}
        }
    }
    counter.end_sentence();
    counter.result
}

/// Reads text a piece at a time, as pulldown-cmark hands it over, and counts as it goes.
#[derive(Default)]
struct SentenceCounter {
    result: Readability,
    word: String,
    /// Words in the sentence so far, and where it started.
    sentence_words: usize,
    sentence_start: Option<usize>,
}

impl SentenceCounter {
    fn text(&mut self, text: &str, range: Range<usize>) {
        let mut chars = text.char_indices().peekable();
        while let Some((i, c)) = chars.next() {
            let joins_word = matches!(c, '\'' | '’' | '-')
                || (c == '.' && chars.peek().is_some_and(|(_, next)| next.is_alphanumeric()));
            if c.is_alphanumeric() || (joins_word && !self.word.is_empty()) {
                if self.sentence_start.is_none() {
                    self.sentence_start = Some((range.start + i).min(range.end));
                }
                self.word.push(c);
                continue;
            }
            let ends_sentence = matches!(c, '.' | '!' | '?')
                && chars.peek().is_none_or(|(_, next)| {
                    next.is_whitespace() || matches!(next, ')' | '"' | '”' | '’' | '\'')
                })
                && !is_abbreviation(&self.word);
            self.end_word();
            if ends_sentence {
                self.end_sentence();
            }
        }
    }

    fn space(&mut self) {
        self.end_word();
    }

    fn end_word(&mut self) {
        let word = self.word.trim_end_matches(['\'', '’', '-', '.']);
        if word.chars().any(char::is_alphanumeric) {
            self.result.words += 1;
            self.result.syllables += syllables(word);
            self.sentence_words += 1;
        }
        self.word.clear();
    }

    fn end_sentence(&mut self) {
        self.end_word();
        if self.sentence_words > 0 {
            self.result.sentences += 1;
            let start = self.sentence_start.unwrap_or(0);
            if self
                .result
                .longest_sentence
                .is_none_or(|(words, _)| self.sentence_words > words)
            {
                self.result.longest_sentence = Some((self.sentence_words, start));
            }
        }
        self.sentence_words = 0;
        self.sentence_start = None;
    }
}

/// Words whose full stop does not end a sentence.
fn is_abbreviation(word: &str) -> bool {
    const ABBREVIATIONS: [&str; 10] = [
        "e.g", "i.e", "etc", "dr", "mr", "mrs", "ms", "prof", "vs", "approx",
    ];
    let lower = word.to_lowercase();
    // A single capital before a stop is an initial, as in "Dr J. Smith".
    ABBREVIATIONS.contains(&lower.as_str())
        || (word.chars().count() == 1 && word.chars().all(char::is_uppercase))
}

/// An estimate of the syllables in an English word: groups of vowels, less a silent final `e`.
/// Numbers count as one syllable per two digits, as they are read out.
pub fn syllables(word: &str) -> usize {
    // Each part of "X-ray" or "follow-up" is said as a word of its own.
    if word.contains('-') {
        return word
            .split('-')
            .filter(|part| part.chars().any(char::is_alphanumeric))
            .map(syllables)
            .sum::<usize>()
            .max(1);
    }
    let lower: String = word
        .chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect();
    if lower.chars().all(|c| c.is_ascii_digit()) {
        return lower.len().div_ceil(2).max(1);
    }
    let letters: Vec<char> = lower.chars().filter(|c| c.is_alphabetic()).collect();
    if letters.len() <= 3 {
        return 1;
    }
    let is_vowel = |c: char| matches!(c, 'a' | 'e' | 'i' | 'o' | 'u' | 'y');
    let mut end = letters.len();
    // A final "e", "es" or "ed" after a consonant is usually silent: "tape", "tapes", "taped";
    // but not in "-le" ("table") or "-ted"/"-ded" ("wanted").
    let n = letters.len();
    let ends = |suffix: &str| lower.ends_with(suffix);
    if (ends("es") || ends("ed")) && n > 3 && !is_vowel(letters[n - 3]) && letters[n - 3] != 'l' {
        let keep = ends("ed") && matches!(letters[n - 3], 't' | 'd');
        let keep =
            keep || (ends("es") && matches!(letters[n - 3], 's' | 'x' | 'z' | 'c' | 'g' | 'h'));
        if !keep {
            end = n - 2;
        }
    } else if ends("e") && !is_vowel(letters[n - 2]) {
        // "-le" after a consonant is a syllable of its own.
        let consonant_le = letters[n - 2] == 'l' && !is_vowel(letters[n - 3]);
        if !consonant_le {
            end = n - 1;
        }
    }
    let start = usize::from(letters[0] == 'y');
    let mut count = 0;
    let mut in_vowels = false;
    for &c in &letters[start..end] {
        let vowel = is_vowel(c);
        if vowel && !in_vowels {
            count += 1;
        }
        in_vowels = vowel;
    }
    count.max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn syllable_estimates() {
        let cases = [
            ("a", 1),
            ("the", 1),
            ("cat", 1),
            ("tape", 1),
            ("tapes", 1),
            ("taped", 1),
            ("wanted", 2),
            ("table", 2),
            ("doctor", 2),
            ("procedure", 3),
            ("radiology", 4),
            ("anaesthetic", 4),
            ("interventional", 5),
            ("you", 1),
            ("yellow", 2),
            ("bruises", 2),
            ("X-ray", 2),
            ("follow-up", 3),
            ("2026", 2),
            ("7", 1),
        ];
        for (word, expected) in cases {
            assert_eq!(syllables(word), expected, "{word}");
        }
    }

    #[test]
    fn sentences_words_and_what_is_left_out() {
        let body = "## A heading with many long words in it\n\n\
                    You will lie on a bed. A doctor puts a thin tube in your arm!\n\n\
                    - First item\n- Second item, e.g. this one.\n\n\
                    ```\ncode is not read out. at all.\n```\n\n\
                    | a table | is skipped |\n|---|---|\n| x | y |\n\n\
                    ![An image alt text is skipped](/static/x.png) Is it done?\n";
        let r = measure(body);
        // "You will lie on a bed" (6), "A doctor puts a thin tube in your arm" (9),
        // "First item" (2), "Second item, e.g. this one" (5), "Is it done" (3).
        assert_eq!((r.sentences, r.words), (5, 25), "{r:?}");
        let (longest, at) = r.longest_sentence.unwrap();
        assert_eq!(longest, 9);
        assert!(body[at..].starts_with("A doctor puts"), "{}", &body[at..]);
    }

    #[test]
    fn reading_ease_orders_easy_above_hard() {
        let easy = measure(
            "You will go home the same day. A nurse will check on you. You can eat and drink.",
        );
        let hard = measure(
            "Percutaneous transluminal angioplasty is an interventional radiological procedure \
             facilitating revascularisation of atherosclerotic peripheral arterial occlusive disease.",
        );
        assert!(easy.reading_ease() > 80.0, "{}", easy.reading_ease());
        assert!(hard.reading_ease() < 0.0, "{}", hard.reading_ease());
        assert_eq!(measure("").reading_ease(), 100.0);
    }
}
