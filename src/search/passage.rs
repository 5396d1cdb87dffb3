//! Snippets: the passage of a page that best shows the words searched for, with them marked.
//!
//! Every text that can appear in a result is analysed once, when the index is built, into the
//! byte range and term of each word. Finding a passage is then a scan of those terms, with no
//! stemming per request: analysing a long body on every search cost milliseconds (measured in
//! `benches/search.rs`), scanning its terms costs microseconds.
//!
//! # Memory
//!
//! Every page's body is held here as well as in the index, so it is held small (issue 22):
//! each word is three LEB128 numbers (the bytes since the previous word, its length, its term's
//! number), about 4 bytes where a struct of three `u32`s took 12, and a text longer than
//! [`DEFLATE_ABOVE_BYTES`] is deflated ([`Deflated`]), about a third of its size. A search inflates
//! only the bodies whose passage it shows (ten at most, some microseconds each), and counts
//! matches straight from the packed words.

use std::borrow::Cow;
use std::collections::HashMap;

use rustc_hash::FxHashMap;
use tantivy::tokenizer::{TextAnalyzer, TokenStream};

use crate::content::deflated::Deflated;

/// How long a passage from a long text is, in bytes (about as many characters in English).
pub const PASSAGE_BYTES: usize = 220;

/// How much text to show before the first marked word, so it reads in context.
const LEAD_IN_BYTES: usize = 50;

/// Texts longer than this are kept deflated: page bodies, not titles, names or summaries, which
/// are shown on every result and would gain little.
pub const DEFLATE_ABOVE_BYTES: usize = 1024;

/// Each distinct term gets a number, so texts store numbers rather than strings.
#[derive(Debug, Default)]
pub struct TermIds {
    ids: FxHashMap<String, u32>,
}

impl TermIds {
    fn id_or_insert(&mut self, term: &str) -> u32 {
        if let Some(&id) = self.ids.get(term) {
            return id;
        }
        let id = u32::try_from(self.ids.len()).unwrap_or(u32::MAX);
        self.ids.insert(term.to_string(), id);
        id
    }

    /// The number of `term`, if any text has it.
    pub fn get(&self, term: &str) -> Option<u32> {
        self.ids.get(term).copied()
    }
}

/// A word of a text: where it is and which term it is.
#[derive(Debug, Clone, Copy)]
struct WordAt {
    from: u32,
    to: u32,
    term: u32,
}

/// A text with its words analysed, packed (see the module documentation).
#[derive(Debug, Clone)]
pub struct AnalysedText {
    text: StoredText,
    /// Per word: bytes from the end of the previous word to its start, its length in bytes and
    /// its term's number, each as LEB128.
    words: Box<[u8]>,
}

/// A text as kept: as it is, or deflated.
#[derive(Debug, Clone)]
enum StoredText {
    Plain(Box<str>),
    Deflated(Deflated),
}

impl AnalysedText {
    /// Analyses `text` with `analyser` (the one the index uses), numbering terms in `ids`.
    pub fn new(text: &str, analyser: &mut TextAnalyzer, ids: &mut TermIds) -> Self {
        let mut words = Vec::new();
        let mut end = 0;
        let mut stream = analyser.token_stream(text);
        while stream.advance() {
            let token = stream.token();
            let (Ok(from), Ok(to)) = (
                u32::try_from(token.offset_from),
                u32::try_from(token.offset_to),
            ) else {
                break;
            };
            // Tokens come in order and do not overlap; one that did would not fit the format.
            if from < end || to < from {
                break;
            }
            push_leb128(&mut words, from - end);
            push_leb128(&mut words, to - from);
            push_leb128(&mut words, ids.id_or_insert(&token.text));
            end = to;
        }
        Self {
            text: StoredText::new(text),
            words: words.into_boxed_slice(),
        }
    }

    /// The text, inflated if it is kept deflated (an empty text if it could not be: a bug).
    pub fn text(&self) -> Cow<'_, str> {
        match &self.text {
            StoredText::Plain(text) => Cow::Borrowed(text),
            StoredText::Deflated(deflated) => Cow::Owned(
                deflated
                    .inflate()
                    .and_then(|bytes| String::from_utf8(bytes).ok())
                    .unwrap_or_default(),
            ),
        }
    }

    /// The text's length in bytes.
    fn len(&self) -> usize {
        match &self.text {
            StoredText::Plain(text) => text.len(),
            StoredText::Deflated(deflated) => deflated.len(),
        }
    }

    /// The bytes this text holds.
    #[cfg(test)]
    fn resident_bytes(&self) -> usize {
        self.words.len()
            + match &self.text {
                StoredText::Plain(text) => text.len(),
                StoredText::Deflated(deflated) => deflated.resident_bytes(),
            }
    }

    /// The words, in order.
    fn words(&self) -> Words<'_> {
        Words {
            bytes: &self.words,
            end: 0,
        }
    }

    /// How many of the highlighted terms occur in the text, each counted once.
    pub fn distinct_matches(&self, highlight: &Highlight) -> usize {
        let mut seen: Vec<u32> = Vec::new();
        for word in self.words() {
            if highlight.contains_key(&word.term) && !seen.contains(&word.term) {
                seen.push(word.term);
            }
        }
        seen.len()
    }
}

impl StoredText {
    fn new(text: &str) -> Self {
        if text.len() <= DEFLATE_ABOVE_BYTES {
            return Self::Plain(text.into());
        }
        match Deflated::new(text.as_bytes()) {
            Some(deflated) => Self::Deflated(deflated),
            None => Self::Plain(text.into()),
        }
    }
}

fn push_leb128(out: &mut Vec<u8>, mut value: u32) {
    while value >= 0x80 {
        out.push((value & 0x7f) as u8 | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

/// Reads one LEB128 number from the front of `bytes`.
fn take_leb128(bytes: &mut &[u8]) -> Option<u32> {
    let mut value: u32 = 0;
    for shift in (0..35).step_by(7) {
        let (&byte, rest) = bytes.split_first()?;
        *bytes = rest;
        value |= u32::from(byte & 0x7f).checked_shl(shift)?;
        if byte & 0x80 == 0 {
            return Some(value);
        }
    }
    None
}

/// The words of a packed text, decoded as they are read.
struct Words<'a> {
    bytes: &'a [u8],
    /// Where the previous word ended.
    end: u32,
}

impl Iterator for Words<'_> {
    type Item = WordAt;

    fn next(&mut self) -> Option<WordAt> {
        let gap = take_leb128(&mut self.bytes)?;
        let len = take_leb128(&mut self.bytes)?;
        let term = take_leb128(&mut self.bytes)?;
        let from = self.end.checked_add(gap)?;
        let to = from.checked_add(len)?;
        self.end = to;
        Some(WordAt { from, to, term })
    }
}

/// The terms to mark, each with how much it makes a passage worth showing (rarer is better).
pub type Highlight = HashMap<u32, f32>;

/// A piece of a snippet: plain text, or a word that matched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnippetPart {
    pub text: String,
    pub matched: bool,
}

/// The best passage of `text` with the highlighted words marked, or None if none occur in it.
/// A short text (a title, a name) is shown whole.
pub fn marked(analysed: &AnalysedText, highlight: &Highlight) -> Option<Vec<SnippetPart>> {
    if !analysed
        .words()
        .any(|word| highlight.contains_key(&word.term))
    {
        return None;
    }
    let words: Vec<WordAt> = analysed.words().collect();
    let text = analysed.text();
    // Each word must lie in the text on character boundaries; a text that could not be inflated
    // (a bug) shows no passage rather than a wrong one.
    let fits = text.len() == analysed.len()
        && words.iter().all(|w| {
            text.is_char_boundary(w.from as usize) && text.is_char_boundary(w.to as usize)
        });
    if !fits {
        return None;
    }
    let matches: Vec<usize> = (0..words.len())
        .filter(|&i| highlight.contains_key(&words[i].term))
        .collect();
    let (start, end) = if text.len() <= PASSAGE_BYTES {
        (0, words.len())
    } else {
        best_window(&words, highlight, &matches)
    };
    let from = if start == 0 {
        0
    } else {
        words[start].from as usize
    };
    let to = if end == words.len() {
        text.len()
    } else {
        words[end - 1].to as usize
    };

    let mut parts = Vec::new();
    // Paragraph breaks in the plain text would read as run-on words once in one line.
    let mut push = |piece: &str, matched: bool| {
        if !piece.is_empty() {
            parts.push(SnippetPart {
                text: piece.replace("\n\n", " ").replace('\n', " "),
                matched,
            });
        }
    };
    if from > 0 {
        push("… ", false);
    }
    // Marked words with only spaces between them are marked as one: "[blocked kidney]".
    let mut marks: Vec<(usize, usize)> = Vec::new();
    for word in &words[start..end] {
        if !highlight.contains_key(&word.term) {
            continue;
        }
        let (word_from, word_to) = (word.from as usize, word.to as usize);
        match marks.last_mut() {
            Some(last) if text[last.1..word_from].chars().all(|c| c == ' ') => {
                last.1 = word_to;
            }
            _ => marks.push((word_from, word_to)),
        }
    }
    let mut at = from;
    for (mark_from, mark_to) in marks {
        push(&text[at..mark_from], false);
        push(&text[mark_from..mark_to], true);
        at = mark_to;
    }
    push(&text[at..to], false);
    if to < text.len() {
        push(" …", false);
    }
    Some(parts)
}

/// The words `start..end` of the passage that shows the most of the highlighted terms: each
/// distinct term counts its weight once, and repeats a little, so a passage with both "blocked"
/// and "kidney" beats one that says "kidney" three times. Ties go to the earlier passage.
fn best_window(words: &[WordAt], highlight: &Highlight, matches: &[usize]) -> (usize, usize) {
    let mut best = (f32::MIN, 0, words.len());
    // Bounded: a page that uses the word a hundred times is judged on its first fifty.
    for &anchor in matches.iter().take(50) {
        let lead_in = (words[anchor].from as usize).saturating_sub(LEAD_IN_BYTES);
        let start = words[..=anchor]
            .iter()
            .position(|w| w.from as usize >= lead_in)
            .unwrap_or(anchor);
        let limit = words[start].from as usize + PASSAGE_BYTES;
        let end = start
            + words[start..]
                .iter()
                .take_while(|w| w.to as usize <= limit)
                .count()
                .max(1);
        let mut seen: Vec<u32> = Vec::new();
        let mut score = 0.0;
        for word in &words[start..end] {
            if let Some(weight) = highlight.get(&word.term) {
                if seen.contains(&word.term) {
                    score += weight * 0.1;
                } else {
                    seen.push(word.term);
                    score += weight;
                }
            }
        }
        if score > best.0 {
            best = (score, start, end);
        }
    }
    (best.1, best.2)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::search::analysis::content_analyser;

    fn setup(text: &str, terms: &[&str]) -> (AnalysedText, Highlight) {
        let mut ids = TermIds::default();
        let analysed = AnalysedText::new(text, &mut content_analyser(), &mut ids);
        let highlight = terms
            .iter()
            .filter_map(|t| ids.get(t))
            .map(|id| (id, 1.0))
            .collect();
        (analysed, highlight)
    }

    fn render(parts: &[SnippetPart]) -> String {
        parts
            .iter()
            .map(|p| {
                if p.matched {
                    format!("[{}]", p.text)
                } else {
                    p.text.clone()
                }
            })
            .collect()
    }

    #[test]
    fn short_texts_are_shown_whole_with_word_forms_marked() {
        let (text, highlight) = setup("Blocked kidneys & <stents>.", &["kidney", "stent"]);
        let parts = marked(&text, &highlight).unwrap();
        assert_eq!(render(&parts), "Blocked [kidneys] & <[stents]>.");
        let (text, highlight) = setup("A blocked kidney, kidney", &["kidney", "block"]);
        let parts = marked(&text, &highlight).unwrap();
        assert_eq!(render(&parts), "A [blocked kidney], [kidney]");
        assert_eq!(text.distinct_matches(&highlight), 2);
        let (text, highlight) = setup("Nothing here", &["kidney"]);
        assert!(marked(&text, &highlight).is_none());
    }

    #[test]
    fn packed_texts_read_back_as_they_were_analysed() {
        let body = "Blocked kidneys, a stent: ünïcode words & more. ".repeat(60);
        let mut ids = TermIds::default();
        let mut analyser = content_analyser();
        let packed = AnalysedText::new(&body, &mut analyser, &mut ids);
        assert!(matches!(packed.text, StoredText::Deflated(_)));
        assert_eq!(packed.text(), body);
        // The words decoded are the tokens the analyser gives, with their terms' numbers.
        let mut stream = analyser.token_stream(&body);
        let mut words = packed.words();
        let mut count = 0;
        while stream.advance() {
            let token = stream.token();
            let word = words.next().expect("as many words as tokens");
            assert_eq!(
                (word.from as usize, word.to as usize),
                (token.offset_from, token.offset_to)
            );
            assert_eq!(Some(word.term), ids.get(&token.text));
            count += 1;
        }
        assert!(words.next().is_none());
        assert!(count > 400, "{count}");
        // Packed, the text and its words take well under the text alone (3 u32s a word before).
        assert!(
            packed.resident_bytes() < body.len() / 2,
            "{}",
            packed.resident_bytes()
        );
        drop(stream);
        let short = AnalysedText::new("Blocked kidney", &mut analyser, &mut ids);
        assert!(matches!(short.text, StoredText::Plain(_)));
        assert_eq!(short.text(), "Blocked kidney");
    }

    #[test]
    fn leb128_round_trips_every_width() {
        for value in [0, 1, 127, 128, 16_383, 16_384, 1 << 21, u32::MAX] {
            let mut bytes = Vec::new();
            push_leb128(&mut bytes, value);
            let mut rest = &bytes[..];
            assert_eq!(take_leb128(&mut rest), Some(value));
            assert!(rest.is_empty());
        }
        assert_eq!(take_leb128(&mut &[0x80][..]), None);
    }

    #[test]
    fn long_texts_show_the_passage_with_the_most_words_searched_for() {
        let filler = "Your team will explain what happens next. ".repeat(10);
        let body =
            format!("{filler}A kidney. {filler}The kidney is blocked here.\n\nThen {filler}");
        let (text, highlight) = setup(&body, &["kidney", "block"]);
        let shown = render(&marked(&text, &highlight).unwrap());
        assert!(
            shown.contains("[kidney] is [blocked] here. Then"),
            "{shown}"
        );
        assert!(shown.starts_with("… ") && shown.ends_with(" …"), "{shown}");
        assert!(shown.len() < PASSAGE_BYTES + 40, "{shown}");
    }
}
