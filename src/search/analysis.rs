//! How text becomes search terms: split into words, lower-cased, accents folded, US spellings
//! turned into UK ones, then stemmed with the English (Porter 2) stemmer tantivy uses.
//!
//! The same pipeline runs over the content when the index is built and over what a visitor types,
//! so "embolization", "embolised" and "Embolisation" all meet at one term. UK spelling comes
//! before stemming because the stemmer treats "-isation" and "-ization" differently.

use std::borrow::Cow;

use rustc_hash::FxHashMap;
use tantivy::tokenizer::{
    AsciiFoldingFilter, LowerCaser, RemoveLongFilter, SimpleTokenizer, StopWordFilter,
    TextAnalyzer, Token, TokenFilter, TokenStream, Tokenizer,
};

/// The name the content analyser is registered under in the index.
pub const ANALYSER_NAME: &str = "irinfo_english";

/// Words longer than this are not indexed: no real word is, and it bounds the work per token.
const LONGEST_WORD: usize = 48;

/// The analyser for indexing and for phrases: every word is kept, so that "blood clot in the
/// leg" can be matched as written.
pub fn content_analyser() -> TextAnalyzer {
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(LONGEST_WORD))
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter)
        .filter(UkTerms::stemmed())
        .build()
}

/// The analyser for the words a query must match: as [`content_analyser`], less common words
/// such as "the", "when" and "my", which would otherwise make almost every page a match (or
/// none, when all words must match).
pub fn query_analyser() -> TextAnalyzer {
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(LONGEST_WORD))
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter)
        .filter(StopWordFilter::remove(
            STOP_WORDS.iter().map(|w| w.to_string()),
        ))
        .filter(UkTerms::stemmed())
        .build()
}

/// Lucene's English stop words (as tantivy's `StopWordFilter` has them), and the question words
/// and pronouns people type in a search box ("what is a PICC line", "can I drive after my
/// angioplasty"). Phrases still use every word.
const STOP_WORDS: [&str; 63] = [
    "a", "an", "and", "are", "as", "at", "be", "but", "by", "for", "if", "in", "into", "is", "it",
    "no", "not", "of", "on", "or", "such", "that", "the", "their", "then", "there", "these",
    "they", "this", "to", "was", "will", "with", "what", "when", "where", "which", "who", "why",
    "how", "do", "does", "did", "can", "could", "should", "would", "i", "me", "my", "you", "your",
    "we", "our", "us", "he", "she", "his", "her", "him", "them", "its", "am",
];

/// The terms `analyser` makes of `text`, with their positions.
pub fn terms(analyser: &mut TextAnalyzer, text: &str) -> Vec<(usize, String)> {
    let mut stream = analyser.token_stream(text);
    let mut out = Vec::new();
    while let Some(token) = stream.next() {
        out.push((token.position, token.text.clone()));
    }
    out
}

/// The analyser for whole words as the vocabulary keeps them: lower case, accents folded, UK
/// spelling, not stemmed. Long-lived callers keep one, so each distinct word is spelt out once.
pub fn plain_analyser() -> TextAnalyzer {
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter)
        .filter(UkTerms::unstemmed())
        .build()
}

/// The words of `text` in lower case, accents folded and punctuation dropped, for sorting.
pub fn folded(text: &str) -> String {
    let mut analyser = TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter)
        .build();
    let mut stream = analyser.token_stream(text);
    let mut out = String::new();
    while let Some(token) = stream.next() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(&token.text);
    }
    out
}

/// Parts of words spelt differently in US English, with the UK spelling. A part is replaced only
/// where it is not already preceded by the UK letter (so "oesophagus" is left alone).
const US_TO_UK_PARTS: [(&str, &str); 12] = [
    ("esophag", "oesophag"),
    ("hemorrh", "haemorrh"),
    ("anemi", "anaemi"),
    ("ischemi", "ischaemi"),
    ("edema", "oedema"),
    ("pediatric", "paediatric"),
    ("gynecolog", "gynaecolog"),
    ("leukemi", "leukaemi"),
    ("anesthe", "anaesthe"),
    ("orthopedic", "orthopaedic"),
    ("diarrhea", "diarrhoea"),
    ("tumor", "tumour"),
];

/// Word beginnings spelt differently in US English. Only at the start: "chemo" must stay.
const US_TO_UK_STARTS: [(&str, &str); 3] = [
    ("hema", "haema"),
    ("hemo", "haemo"),
    ("estrogen", "oestrogen"),
];

/// Whole words spelt differently in US English. ("gray" is left alone: it is also the unit of
/// radiation dose, spelt the same in UK English.)
const US_TO_UK_WORDS: [(&str, &str); 9] = [
    ("center", "centre"),
    ("centers", "centres"),
    ("liter", "litre"),
    ("liters", "litres"),
    ("fiber", "fibre"),
    ("fibers", "fibres"),
    ("color", "colour"),
    ("colors", "colours"),
    ("behavior", "behaviour"),
];

/// Words that end in "-ize" in UK English too.
const ALWAYS_IZE: [&str; 6] = [
    "capsize", "capsized", "capsizes", "maize", "baize", "assize",
];

/// The UK spelling of a lower-case word, or the word itself. "embolization" becomes
/// "embolisation", "esophageal" becomes "oesophageal", "tumor" becomes "tumour".
pub fn uk_spelling(word: &str) -> Cow<'_, str> {
    let mut out = Cow::Borrowed(word);
    if let Some((_, uk)) = US_TO_UK_WORDS.iter().find(|(us, _)| *us == word) {
        return Cow::Borrowed(uk);
    }
    for (us, uk) in US_TO_UK_STARTS {
        if out.starts_with(us) && !out.starts_with(uk) {
            out = Cow::Owned(format!("{uk}{}", &out[us.len()..]));
        }
    }
    for (us, uk) in US_TO_UK_PARTS {
        if let Some(at) = find_unprefixed(&out, us, uk) {
            out = Cow::Owned(format!("{}{uk}{}", &out[..at], &out[at + us.len()..]));
        }
    }
    if !ALWAYS_IZE.contains(&word) {
        for (us, uk) in [
            ("izations", "isations"),
            ("ization", "isation"),
            ("izing", "ising"),
            ("izers", "isers"),
            ("izer", "iser"),
            ("izes", "ises"),
            ("ized", "ised"),
            ("ize", "ise"),
            ("yzing", "ysing"),
            ("yzed", "ysed"),
            ("yzes", "yses"),
            ("yze", "yse"),
        ] {
            // "size", "prize" and "seize" have too short a stem to be "-ize" words.
            if let Some(stem) = out.strip_suffix(us) {
                if stem.chars().count() >= 3 {
                    out = Cow::Owned(format!("{stem}{uk}"));
                }
                break;
            }
        }
    }
    out
}

/// Where `us` occurs in `word` other than as the tail of `uk` (already UK spelling).
fn find_unprefixed(word: &str, us: &str, uk: &str) -> Option<usize> {
    let extra = uk.len() - us.len();
    word.match_indices(us).map(|(at, _)| at).find(|&at| {
        !(at >= extra && word.is_char_boundary(at - extra) && word[at - extra..].starts_with(uk))
    })
}

/// A tantivy token filter that gives each word its UK spelling ([`uk_spelling`]) and then, for
/// search terms, its English (Porter 2) stem: the same stemmer tantivy's `Stemmer` filter uses.
#[derive(Debug, Clone, Copy)]
pub struct UkTerms {
    stem: bool,
}

impl UkTerms {
    /// UK spelling, then the stem: the terms the index holds.
    pub fn stemmed() -> Self {
        Self { stem: true }
    }

    /// UK spelling only: whole words, as a "did you mean" suggestion shows them.
    pub fn unstemmed() -> Self {
        Self { stem: false }
    }
}

impl TokenFilter for UkTerms {
    type Tokenizer<T: Tokenizer> = UkTermsFilter<T>;

    fn transform<T: Tokenizer>(self, tokenizer: T) -> UkTermsFilter<T> {
        UkTermsFilter {
            tokenizer,
            stemmer: self
                .stem
                .then(|| frostem::Stemmer::new(frostem::Algorithm::English)),
            seen: FxHashMap::default(),
        }
    }
}

/// Words already looked at, with their term if it differs from the word. Checking a word
/// against every US spelling and stemming it costs far more than a lookup, and a site uses a
/// few thousand distinct words in a million, so each is worked out once per analyser.
type TermCache = FxHashMap<String, Option<String>>;

/// Past this many words the cache is emptied, so an analyser that lives long stays small.
const TERM_CACHE_LIMIT: usize = 50_000;

/// The tokenizer [`UkTerms`] wraps around another.
#[derive(Clone)]
pub struct UkTermsFilter<T> {
    tokenizer: T,
    stemmer: Option<frostem::Stemmer>,
    seen: TermCache,
}

impl<T: Tokenizer> Tokenizer for UkTermsFilter<T> {
    type TokenStream<'a> = UkTermsStream<'a, T::TokenStream<'a>>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> Self::TokenStream<'a> {
        if self.seen.len() > TERM_CACHE_LIMIT {
            self.seen.clear();
        }
        UkTermsStream {
            tail: self.tokenizer.token_stream(text),
            stemmer: self.stemmer,
            seen: &mut self.seen,
        }
    }
}

/// The token stream of [`UkTermsFilter`].
pub struct UkTermsStream<'a, T> {
    tail: T,
    stemmer: Option<frostem::Stemmer>,
    seen: &'a mut TermCache,
}

impl<T: TokenStream> TokenStream for UkTermsStream<'_, T> {
    fn advance(&mut self) -> bool {
        if !self.tail.advance() {
            return false;
        }
        let word = &self.tail.token().text;
        let term = match self.seen.get(word) {
            Some(known) => known.clone(),
            None => {
                let uk = uk_spelling(word);
                let term = match &self.stemmer {
                    Some(stemmer) => Cow::Owned(stemmer.stem(&uk).into_owned()),
                    None => uk,
                };
                let term = (term != word.as_str()).then(|| term.into_owned());
                self.seen.insert(word.clone(), term.clone());
                term
            }
        };
        if let Some(term) = term {
            self.tail.token_mut().text = term;
        }
        true
    }

    fn token(&self) -> &Token {
        self.tail.token()
    }

    fn token_mut(&mut self) -> &mut Token {
        self.tail.token_mut()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn us_spellings_become_uk() {
        let cases = [
            ("embolization", "embolisation"),
            ("embolizations", "embolisations"),
            ("embolize", "embolise"),
            ("embolized", "embolised"),
            ("catheterization", "catheterisation"),
            ("esophageal", "oesophageal"),
            ("oesophageal", "oesophageal"),
            ("hemorrhage", "haemorrhage"),
            ("haemorrhage", "haemorrhage"),
            ("hematoma", "haematoma"),
            ("chemotherapy", "chemotherapy"),
            ("chemoembolization", "chemoembolisation"),
            ("tumor", "tumour"),
            ("tumors", "tumours"),
            ("tumour", "tumour"),
            ("ischemic", "ischaemic"),
            ("edema", "oedema"),
            ("lymphedema", "lymphoedema"),
            ("anesthetic", "anaesthetic"),
            ("analyze", "analyse"),
            ("paralyzed", "paralysed"),
            ("center", "centre"),
            ("size", "size"),
            ("prize", "prize"),
            ("seize", "seize"),
            ("capsize", "capsize"),
            ("gray", "gray"),
            ("fibroids", "fibroids"),
        ];
        for (us, uk) in cases {
            assert_eq!(uk_spelling(us), uk, "{us}");
        }
    }

    #[test]
    fn spellings_and_word_forms_meet_at_one_term() {
        let mut analyser = content_analyser();
        let term = |a: &mut TextAnalyzer, w: &str| terms(a, w).pop().map(|(_, t)| t);
        let groups = [
            vec![
                "embolisation",
                "embolization",
                "embolise",
                "embolised",
                "Embolising",
            ],
            vec!["fibroid", "fibroids", "Fibroids"],
            vec!["stent", "stents", "stenting"],
            vec!["oesophageal", "esophageal"],
            vec!["haemorrhage", "hemorrhage", "haemorrhages"],
            vec!["tumour", "tumor", "tumours"],
            vec!["centre", "center", "Centre"],
        ];
        for group in groups {
            let first = term(&mut analyser, group[0]);
            assert!(first.is_some());
            for word in &group[1..] {
                assert_eq!(term(&mut analyser, word), first, "{word} vs {}", group[0]);
            }
        }
    }

    #[test]
    fn terms_are_the_stems_tantivys_own_stemmer_gives_and_the_cache_changes_none() {
        let mut tantivys = TextAnalyzer::builder(SimpleTokenizer::default())
            .filter(RemoveLongFilter::limit(LONGEST_WORD))
            .filter(LowerCaser)
            .filter(AsciiFoldingFilter)
            .filter(tantivy::tokenizer::Stemmer::new(
                tantivy::tokenizer::Language::English,
            ))
            .build();
        let mut ours = content_analyser();
        // UK spellings throughout, so only the stemming can differ.
        let text = "Embolisation: radiologists inserted catheters, stenting narrowed arteries \
                    and draining abscesses. Patients recovering quickly went home; bleeding \
                    stopped, and the kidneys' drainage improved generally.";
        let expected = terms(&mut tantivys, text);
        assert_eq!(terms(&mut ours, text), expected);
        // The second time every word comes from the cache.
        assert_eq!(terms(&mut ours, text), expected);
    }

    #[test]
    fn the_query_analyser_drops_common_words_but_the_content_analyser_keeps_them() {
        let text = "blood clot in the leg";
        assert_eq!(terms(&mut content_analyser(), text).len(), 5);
        let query: Vec<_> = terms(&mut query_analyser(), text)
            .into_iter()
            .map(|(_, t)| t)
            .collect();
        assert_eq!(query, ["blood", "clot", "leg"]);
        let question: Vec<_> = terms(
            &mut query_analyser(),
            "What is a PICC line, and can I swim?",
        )
        .into_iter()
        .map(|(_, t)| t)
        .collect();
        assert_eq!(question, ["picc", "line", "swim"]);
    }

    #[test]
    fn odd_input_makes_no_terms_and_no_panic() {
        let mut analyser = content_analyser();
        for text in [
            "",
            "???",
            "-- !! --",
            "\u{0}\u{7}",
            "\u{202e}",
            &"x".repeat(500),
        ] {
            assert!(terms(&mut analyser, text).is_empty(), "{text:?}");
        }
        let plain = terms(&mut plain_analyser(), "Émbolization");
        assert_eq!(plain, [(0, "embolisation".to_string())]);
    }
}
