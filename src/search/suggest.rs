//! "Did you mean": the words the site uses, and the closest of them to a word it does not.
//!
//! The vocabulary is every word of the published pages, weighted so that words from titles and
//! alternative names (the medical terms people misspell) win ties over words from body text.
//! Closeness is the optimal-string-alignment edit distance from `strsim`, which counts a swap of
//! two neighbouring letters ("nephorstomy") as one edit.

use std::fmt;

use rustc_hash::FxHashMap;
use tantivy::tokenizer::TextAnalyzer;

use super::analysis::plain_analyser;

/// How much a word counts for, by where it was found.
#[derive(Debug, Clone, Copy)]
pub enum WordSource {
    /// Titles, alternative names and medical names.
    Name,
    Summary,
    Body,
}

impl WordSource {
    fn weight(self) -> u32 {
        match self {
            Self::Name => 20,
            Self::Summary => 3,
            Self::Body => 1,
        }
    }
}

/// Shorter words than this are never corrected: they are often abbreviations ("PAD", "UFE").
const SHORTEST_CORRECTED: usize = 4;

/// Words of the site, by length, with their weights.
#[derive(Debug, Default)]
pub struct Vocabulary {
    /// Index: length in characters. Each word is kept once, with its summed weight.
    by_length: Vec<Vec<(String, u32)>>,
    index: FxHashMap<String, (usize, usize)>,
    words: WordAnalyser,
}

/// Splits added text into plain words. Kept with the vocabulary because it remembers the words
/// it has spelt, and a site repeats the same few thousand words many times over.
struct WordAnalyser(TextAnalyzer);

impl Default for WordAnalyser {
    fn default() -> Self {
        Self(plain_analyser())
    }
}

impl fmt::Debug for WordAnalyser {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("WordAnalyser")
    }
}

impl Vocabulary {
    /// Adds every word of `text`.
    pub fn add_text(&mut self, text: &str, source: WordSource) {
        let mut stream = self.words.0.token_stream(text);
        while let Some(token) = stream.next() {
            let word = token.text.as_str();
            let length = word.chars().count();
            if length < SHORTEST_CORRECTED || !word.chars().all(char::is_alphabetic) {
                continue;
            }
            match self.index.get(word) {
                Some(&(len, at)) => self.by_length[len][at].1 += source.weight(),
                None => {
                    if self.by_length.len() <= length {
                        self.by_length.resize_with(length + 1, Vec::new);
                    }
                    let bucket = &mut self.by_length[length];
                    self.index.insert(word.to_string(), (length, bucket.len()));
                    bucket.push((word.to_string(), source.weight()));
                }
            }
        }
    }

    /// How many distinct words there are.
    pub fn len(&self) -> usize {
        self.index.len()
    }

    pub fn contains(&self, word: &str) -> bool {
        self.index.contains_key(word)
    }

    /// The site's word closest to `word` (lower case, UK spelling), if one is close enough to be
    /// a likely misspelling: one edit for words of up to five letters, two for longer ones.
    pub fn closest(&self, word: &str) -> Option<&str> {
        let length = word.chars().count();
        if length < SHORTEST_CORRECTED
            || !word.chars().all(char::is_alphabetic)
            || self.contains(word)
        {
            return None;
        }
        let allowed = if length <= 5 { 1 } else { 2 };
        let mut best: Option<(usize, u32, &str)> = None;
        let lengths = length.saturating_sub(allowed)..=length + allowed;
        for candidates in lengths.filter_map(|len| self.by_length.get(len)) {
            for (candidate, weight) in candidates {
                let distance = strsim::osa_distance(word, candidate);
                if distance == 0 || distance > allowed {
                    continue;
                }
                let better = match best {
                    None => true,
                    Some((d, w, c)) => {
                        (distance, std::cmp::Reverse(*weight), candidate.as_str())
                            < (d, std::cmp::Reverse(w), c)
                    }
                };
                if better {
                    best = Some((distance, *weight, candidate));
                }
            }
        }
        best.map(|(_, _, word)| word)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vocabulary() -> Vocabulary {
        let mut v = Vocabulary::default();
        v.add_text("Nephrostomy", WordSource::Name);
        v.add_text("Uterine fibroid embolisation", WordSource::Name);
        v.add_text("Angioplasty", WordSource::Name);
        v.add_text("angiogram and angioplasty", WordSource::Body);
        v.add_text(
            "The nephrectomy was mentioned once. PAD UFE",
            WordSource::Body,
        );
        v
    }

    #[test]
    fn misspellings_find_the_word_people_meant() {
        let v = vocabulary();
        let cases = [
            ("nephrostmy", Some("nephrostomy")),
            ("nephorstomy", Some("nephrostomy")),
            ("neprostomy", Some("nephrostomy")),
            ("embolisaton", Some("embolisation")),
            ("fibriod", Some("fibroid")),
            ("angioplsty", Some("angioplasty")),
            ("uterin", Some("uterine")),
            // Too far from anything.
            ("xylophone", None),
            // Short words are not guessed at.
            ("pda", None),
            // A word the site has needs no correction.
            ("nephrostomy", None),
            ("", None),
            ("12345", None),
        ];
        for (typed, expected) in cases {
            assert_eq!(v.closest(typed), expected, "{typed}");
        }
    }

    #[test]
    fn names_win_ties_over_body_words() {
        let mut v = Vocabulary::default();
        v.add_text("stint", WordSource::Body);
        v.add_text("stent", WordSource::Name);
        assert_eq!(v.closest("stunt"), Some("stent"));
        assert!(v.contains("stint") && v.len() == 2);
    }
}
