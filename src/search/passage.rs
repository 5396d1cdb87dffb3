//! Snippets: the passage of a page that best shows the words searched for, with them marked.
//!
//! Every text that can appear in a result is analysed once, when the index is built, into the
//! byte range and term of each word. Finding a passage is then a scan of those terms, with no
//! stemming per request: analysing a long body on every search cost milliseconds (measured in
//! `benches/search.rs`), scanning its terms costs microseconds.

use std::collections::HashMap;

use rustc_hash::FxHashMap;
use tantivy::tokenizer::{TextAnalyzer, TokenStream};

/// How long a passage from a long text is, in bytes (about as many characters in English).
pub const PASSAGE_BYTES: usize = 220;

/// How much text to show before the first marked word, so it reads in context.
const LEAD_IN_BYTES: usize = 50;

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

/// A text with its words analysed.
#[derive(Debug, Clone, Default)]
pub struct AnalysedText {
    pub text: String,
    words: Vec<WordAt>,
}

impl AnalysedText {
    /// Analyses `text` with `analyser` (the one the index uses), numbering terms in `ids`.
    pub fn new(text: &str, analyser: &mut TextAnalyzer, ids: &mut TermIds) -> Self {
        let mut words = Vec::new();
        let mut stream = analyser.token_stream(text);
        while stream.advance() {
            let token = stream.token();
            let (Ok(from), Ok(to)) = (
                u32::try_from(token.offset_from),
                u32::try_from(token.offset_to),
            ) else {
                break;
            };
            words.push(WordAt {
                from,
                to,
                term: ids.id_or_insert(&token.text),
            });
        }
        Self {
            text: text.to_string(),
            words,
        }
    }
}

impl AnalysedText {
    /// How many of the highlighted terms occur in the text, each counted once.
    pub fn distinct_matches(&self, highlight: &Highlight) -> usize {
        let mut seen: Vec<u32> = Vec::new();
        for word in &self.words {
            if highlight.contains_key(&word.term) && !seen.contains(&word.term) {
                seen.push(word.term);
            }
        }
        seen.len()
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
pub fn marked(text: &AnalysedText, highlight: &Highlight) -> Option<Vec<SnippetPart>> {
    let matches: Vec<usize> = (0..text.words.len())
        .filter(|&i| highlight.contains_key(&text.words[i].term))
        .collect();
    if matches.is_empty() {
        return None;
    }
    let (start, end) = if text.text.len() <= PASSAGE_BYTES {
        (0, text.words.len())
    } else {
        best_window(text, highlight, &matches)
    };
    let from = if start == 0 {
        0
    } else {
        text.words[start].from as usize
    };
    let to = if end == text.words.len() {
        text.text.len()
    } else {
        text.words[end - 1].to as usize
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
    for word in &text.words[start..end] {
        if !highlight.contains_key(&word.term) {
            continue;
        }
        let (word_from, word_to) = (word.from as usize, word.to as usize);
        match marks.last_mut() {
            Some(last) if text.text[last.1..word_from].chars().all(|c| c == ' ') => {
                last.1 = word_to;
            }
            _ => marks.push((word_from, word_to)),
        }
    }
    let mut at = from;
    for (mark_from, mark_to) in marks {
        push(&text.text[at..mark_from], false);
        push(&text.text[mark_from..mark_to], true);
        at = mark_to;
    }
    push(&text.text[at..to], false);
    if to < text.text.len() {
        push(" …", false);
    }
    Some(parts)
}

/// The words `start..end` of the passage that shows the most of the highlighted terms: each
/// distinct term counts its weight once, and repeats a little, so a passage with both "blocked"
/// and "kidney" beats one that says "kidney" three times. Ties go to the earlier passage.
fn best_window(text: &AnalysedText, highlight: &Highlight, matches: &[usize]) -> (usize, usize) {
    let words = &text.words;
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
