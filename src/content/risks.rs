//! Risks as data: a procedure sheet's `[[risks]]` and its `[get_help]` care cards.
//!
//! A risk's frequency is written as a number ("3 in 100", "1 to 5 in 1,000"), never as a word: the
//! band word ("common") is computed here from the number on one fixed scale, the scale every sheet
//! prints, so a word can never disagree with its figure. Numbers are kept as exact decimals, so a
//! frequency that sits on a band edge on paper ("1 in 100") is on the edge here too.

use std::cmp::Ordering;
use std::fmt;
use std::ops::Range;

use serde::Deserialize;
use toml::Spanned;

use super::values::{SlugRef, capitalise};

/// The bands of the fixed scale, rarest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Band {
    VeryRare,
    Rare,
    Uncommon,
    Common,
    VeryCommon,
}

impl Band {
    /// Every band, most common first, as the scale is printed.
    pub const SCALE: [Band; 5] = [
        Self::VeryCommon,
        Self::Common,
        Self::Uncommon,
        Self::Rare,
        Self::VeryRare,
    ];

    /// The band word in lower case, as it reads inside a sentence.
    pub fn word(self) -> &'static str {
        match self {
            Self::VeryCommon => "very common",
            Self::Common => "common",
            Self::Uncommon => "uncommon",
            Self::Rare => "rare",
            Self::VeryRare => "very rare",
        }
    }

    /// A class-safe name, for styling.
    pub fn slug(self) -> &'static str {
        match self {
            Self::VeryCommon => "very-common",
            Self::Common => "common",
            Self::Uncommon => "uncommon",
            Self::Rare => "rare",
            Self::VeryRare => "very-rare",
        }
    }

    /// What the band means, in the words the scale on every sheet uses.
    pub fn meaning(self) -> &'static str {
        match self {
            Self::VeryCommon => "1 in 10 or more",
            Self::Common => "1 in 100 up to 1 in 10",
            Self::Uncommon => "1 in 1,000 up to 1 in 100",
            Self::Rare => "1 in 10,000 up to 1 in 1,000",
            Self::VeryRare => "fewer than 1 in 10,000",
        }
    }

    /// The band of the fraction `a / b`: the lower edge of each band belongs to it.
    fn of(a: &Decimal, b: &Decimal) -> Band {
        // a/b >= 1/10^k  <=>  a * 10^k >= b
        let at_least = |k: u32| a.times_power_of_ten(k).cmp_value(b) != Ordering::Less;
        if at_least(1) {
            Self::VeryCommon
        } else if at_least(2) {
            Self::Common
        } else if at_least(3) {
            Self::Uncommon
        } else if at_least(4) {
            Self::Rare
        } else {
            Self::VeryRare
        }
    }

    /// Whether `a / b` is exactly this band's lower edge (1 in 10, 1 in 100, ...).
    fn lower_edge_is(self, a: &Decimal, b: &Decimal) -> bool {
        let k = match self {
            Self::VeryCommon => 1,
            Self::Common => 2,
            Self::Uncommon => 3,
            Self::Rare => 4,
            Self::VeryRare => return false,
        };
        a.times_power_of_ten(k).cmp_value(b) == Ordering::Equal
    }

    /// The next band down the scale ("very rare" stays itself).
    fn rarer(self) -> Band {
        match self {
            Self::VeryCommon => Self::Common,
            Self::Common => Self::Uncommon,
            Self::Uncommon => Self::Rare,
            Self::Rare | Self::VeryRare => Self::VeryRare,
        }
    }
}

/// A number written with at most 15 digits (`MAX_DIGITS`), kept exactly: `digits / 10^scale`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decimal {
    digits: u128,
    scale: u32,
}

impl Decimal {
    const MAX_DIGITS: usize = 15;

    /// Reads "3", "0.5", "1,000" or "10,000.5". Commas must group thousands.
    fn parse(text: &str) -> Option<Decimal> {
        let (whole, fraction) = match text.split_once('.') {
            Some((w, f)) => (w, Some(f)),
            None => (text, None),
        };
        if whole.is_empty() || fraction.is_some_and(|f| f.is_empty() || f.contains(',')) {
            return None;
        }
        if whole.contains(',') {
            let mut groups = whole.split(',');
            let first = groups.next()?;
            if first.is_empty() || first.len() > 3 || groups.any(|g| g.len() != 3) {
                return None;
            }
        }
        let all: String = whole
            .chars()
            .filter(|c| *c != ',')
            .chain(fraction.unwrap_or("").chars())
            .collect();
        if all.is_empty()
            || all.len() > Self::MAX_DIGITS
            || !all.bytes().all(|b| b.is_ascii_digit())
        {
            return None;
        }
        Some(Decimal {
            digits: all.parse().ok()?,
            scale: fraction.map_or(0, |f| f.len() as u32),
        })
    }

    fn is_zero(&self) -> bool {
        self.digits == 0
    }

    fn times_power_of_ten(&self, k: u32) -> Decimal {
        Decimal {
            digits: self.digits * 10u128.pow(k),
            scale: self.scale,
        }
    }

    /// Compares the values, whatever their scales.
    fn cmp_value(&self, other: &Decimal) -> Ordering {
        let scale = self.scale.max(other.scale);
        let a = self.digits * 10u128.pow(scale - self.scale);
        let b = other.digits * 10u128.pow(scale - other.scale);
        a.cmp(&b)
    }

    fn as_f64(&self) -> f64 {
        self.digits as f64 / 10f64.powi(self.scale as i32)
    }
}

impl fmt::Display for Decimal {
    /// Thousands grouped with commas ("1,000"), decimals as written ("0.5").
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = self.digits.to_string();
        let scale = self.scale as usize;
        let padded = if text.len() <= scale {
            format!("{}{text}", "0".repeat(scale + 1 - text.len()))
        } else {
            text
        };
        let (whole, fraction) = padded.split_at(padded.len() - scale);
        for (i, c) in whole.chars().enumerate() {
            if i > 0 && (whole.len() - i) % 3 == 0 {
                f.write_str(",")?;
            }
            write!(f, "{c}")?;
        }
        if !fraction.is_empty() {
            write!(f, ".{fraction}")?;
        }
        Ok(())
    }
}

/// A frequency such as "3 in 100", "1 to 5 in 1,000", or an upper limit only: "fewer than 2 in
/// 100" or "up to 3 in 100", for a source that gives no more than a ceiling (a study that saw
/// no case, or reports "less than 2%"). A ceiling is shown as such: its band is "common or
/// rarer", never a single word the figure does not support.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Frequency {
    /// The number of people affected; the lower end of a range; the limit of a ceiling.
    pub low: Decimal,
    /// The upper end of a range.
    pub high: Option<Decimal>,
    /// Out of how many people.
    pub out_of: Decimal,
    /// Whether `low` is only an upper limit, and whether the limit itself is included.
    pub ceiling: Option<Ceiling>,
}

/// How an upper limit is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ceiling {
    /// "fewer than N in M": the true figure is below N.
    FewerThan,
    /// "up to N in M": the true figure is N or below.
    UpTo,
}

/// Why a frequency could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FrequencyError {
    #[error(
        "write the frequency as a number, like \"3 in 100\", \"1 to 5 in 1,000\" or \"fewer than 1 in 100\", not `{0}`: the band word is worked out from the number"
    )]
    Syntax(String),
    #[error("the number in `{0}` is not a number: use digits, with commas only between thousands")]
    Number(String),
    #[error("`{0}` is out of nothing: the number after `in` must be more than 0")]
    ZeroOutOf(String),
    #[error("`{0}` says no one: a risk needs at least some people affected")]
    ZeroAffected(String),
    #[error("in `{0}` the second number of the range is not bigger than the first")]
    RangeBackwards(String),
    #[error("`{0}` is more people than the number after `in`")]
    MoreThanAll(String),
}

impl Frequency {
    /// Reads "N in M", "N to N2 in M", "fewer than N in M" or "up to N in M". Decimals
    /// ("0.5 in 100") and commas ("1 in 1,000") are allowed.
    pub fn parse(text: &str) -> Result<Frequency, FrequencyError> {
        let syntax = || FrequencyError::Syntax(text.to_string());
        let words: Vec<&str> = text.split_whitespace().collect();
        let (low, high, out_of, ceiling) = match words.as_slice() {
            ["fewer", "than", n, "in", m] => (*n, None, *m, Some(Ceiling::FewerThan)),
            ["up", "to", n, "in", m] => (*n, None, *m, Some(Ceiling::UpTo)),
            [n, "in", m] => (*n, None, *m, None),
            [n, "to", n2, "in", m] => (*n, Some(*n2), *m, None),
            _ => return Err(syntax()),
        };
        let number = |s: &str| {
            if s.bytes().any(|b| b.is_ascii_digit()) {
                Decimal::parse(s).ok_or_else(|| FrequencyError::Number(text.to_string()))
            } else {
                Err(syntax())
            }
        };
        let frequency = Frequency {
            low: number(low)?,
            high: high.map(number).transpose()?,
            out_of: number(out_of)?,
            ceiling,
        };
        if frequency.out_of.is_zero() {
            return Err(FrequencyError::ZeroOutOf(text.to_string()));
        }
        if frequency.low.is_zero() {
            return Err(FrequencyError::ZeroAffected(text.to_string()));
        }
        if let Some(high) = &frequency.high {
            if high.cmp_value(&frequency.low) != Ordering::Greater {
                return Err(FrequencyError::RangeBackwards(text.to_string()));
            }
        }
        let most = frequency.high.as_ref().unwrap_or(&frequency.low);
        if most.cmp_value(&frequency.out_of) == Ordering::Greater {
            return Err(FrequencyError::MoreThanAll(text.to_string()));
        }
        Ok(frequency)
    }

    /// The bands of the lower and upper ends (the same band for a single figure). A ceiling
    /// reaches down to "very rare"; "fewer than" a band's lower edge stays below that band.
    pub fn bands(&self) -> (Band, Band) {
        if let Some(ceiling) = self.ceiling {
            let mut top = Band::of(&self.low, &self.out_of);
            if ceiling == Ceiling::FewerThan && top.lower_edge_is(&self.low, &self.out_of) {
                top = top.rarer();
            }
            return (Band::VeryRare, top);
        }
        let low = Band::of(&self.low, &self.out_of);
        let high = self
            .high
            .as_ref()
            .map_or(low, |h| Band::of(h, &self.out_of));
        (low, high)
    }

    /// Whether `band` is one this frequency falls in (either end of a range, or between).
    pub fn includes(&self, band: Band) -> bool {
        let (low, high) = self.bands();
        (low..=high).contains(&band)
    }

    /// "Common", "Uncommon to common" or, for a ceiling, "Common or rarer", capitalised for
    /// the start of a line.
    pub fn band_label(&self) -> String {
        let (low, high) = self.bands();
        let words = if self.ceiling.is_some() {
            if high == Band::VeryRare {
                high.word().to_string()
            } else {
                format!("{} or rarer", high.word())
            }
        } else if low == high {
            low.word().to_string()
        } else {
            format!("{} to {}", low.word(), high.word())
        };
        capitalise(&words)
    }

    /// The number in plain words: "about 3 in 100 people", "between 1 and 5 in 1,000 people".
    pub fn in_words(&self) -> String {
        match self.ceiling {
            Some(Ceiling::FewerThan) => {
                return format!("fewer than {} in {} people", self.low, self.out_of);
            }
            Some(Ceiling::UpTo) => return format!("up to {} in {} people", self.low, self.out_of),
            None => {}
        }
        match &self.high {
            None => format!("about {} in {} people", self.low, self.out_of),
            Some(high) => format!(
                "between {} and {} in {} people",
                self.low, high, self.out_of
            ),
        }
    }

    /// The band class of the more common end, for styling.
    pub fn band_slug(&self) -> &'static str {
        self.bands().1.slug()
    }

    /// The fraction affected (the upper end of a range), for sorting.
    pub fn fraction(&self) -> f64 {
        self.high.unwrap_or(self.low).as_f64() / self.out_of.as_f64()
    }
}

/// The band words written in `text` ("rare", "very common"), with their byte ranges.
pub fn band_words_in(text: &str) -> Vec<(Band, Range<usize>)> {
    let lower = text.to_lowercase();
    let words: Vec<(usize, &str)> = word_spans(&lower);
    let mut found = Vec::new();
    let mut i = 0;
    while i < words.len() {
        let (start, word) = words[i];
        let next = words.get(i + 1).map(|(_, w)| *w);
        let (band, used) = match (word, next) {
            ("very", Some("common")) => (Some(Band::VeryCommon), 2),
            ("very", Some("rare")) => (Some(Band::VeryRare), 2),
            ("common", _) => (Some(Band::Common), 1),
            ("uncommon", _) => (Some(Band::Uncommon), 1),
            ("rare", _) => (Some(Band::Rare), 1),
            _ => (None, 1),
        };
        if let Some(band) = band {
            let (last_start, last) = words[i + used - 1];
            found.push((band, start..last_start + last.len()));
        }
        i += used;
    }
    found
}

fn word_spans(text: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, c) in text.char_indices() {
        let in_word = c.is_alphanumeric() || c == '\'';
        match (in_word, start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                out.push((s, &text[s..i]));
                start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        out.push((s, &text[s..]));
    }
    out
}

/// One `[[risks]]` entry as written in front matter.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Risk {
    /// What happens, in plain words.
    pub what: Spanned<String>,
    /// "N in M" or "N to N2 in M".
    pub frequency: Option<Spanned<String>>,
    /// Why no number is given, when no published figure exists.
    pub frequency_unknown: Option<Spanned<String>>,
    /// Bibliography ids the figure comes from.
    #[serde(default)]
    pub sources: Vec<SlugRef>,
    /// What is done about it, if anything.
    pub treatment: Option<String>,
}

impl Risk {
    /// The frequency, read; `None` when it is unknown or (after `check` reported it) unreadable.
    pub fn parsed_frequency(&self) -> Option<Frequency> {
        self.frequency
            .as_ref()
            .and_then(|f| Frequency::parse(f.get_ref()).ok())
    }

    /// What happens, trimmed.
    pub fn what_text(&self) -> &str {
        self.what.get_ref().trim()
    }

    /// The reason no number is given, trimmed.
    pub fn unknown_reason(&self) -> Option<&str> {
        self.frequency_unknown.as_ref().map(|r| r.get_ref().trim())
    }

    /// The treatment, if one is written.
    pub fn treatment_text(&self) -> Option<&str> {
        self.treatment
            .as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty())
    }
}

/// A problem with one risk: a byte offset into the front matter and a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RiskProblem {
    pub offset: usize,
    pub message: String,
}

/// Checks one risk on its own (its sources are checked against the bibliography elsewhere).
/// `at` is the offset of the `[[risks]]` entry, for problems about a field that is missing.
pub fn check_risk(risk: &Risk, at: usize) -> Vec<RiskProblem> {
    let mut problems = Vec::new();
    let mut problem =
        |offset: usize, message: String| problems.push(RiskProblem { offset, message });
    if risk.what_text().is_empty() {
        problem(
            risk.what.span().start,
            "the risk's `what` is empty: say what happens, in plain words".to_string(),
        );
    }
    match (&risk.frequency, &risk.frequency_unknown) {
        (None, None) => problem(
            at,
            "a risk needs `frequency` (such as \"1 in 100\") or, when no published figure exists, `frequency_unknown` with the reason".to_string(),
        ),
        (Some(_), Some(unknown)) => problem(
            unknown.span().start,
            "a risk has either `frequency` or `frequency_unknown`, not both".to_string(),
        ),
        (Some(frequency), None) => match Frequency::parse(frequency.get_ref()) {
            Err(e) => problem(frequency.span().start, e.to_string()),
            Ok(parsed) => {
                if risk.sources.is_empty() {
                    problem(
                        frequency.span().start,
                        "a risk with a `frequency` needs `sources`, the bibliography ids the figure comes from".to_string(),
                    );
                }
                for (band, range) in band_words_in(risk.what.get_ref()) {
                    if !parsed.includes(band) {
                        problem(
                            risk.what.span().start + 1 + range.start,
                            format!(
                                "`what` says \"{}\", a band that disagrees with the number: {} is {} on the scale. Leave the band word out; the site adds it",
                                band.word(),
                                frequency.get_ref().trim(),
                                parsed.band_label().to_lowercase()
                            ),
                        );
                    }
                }
            }
        },
        (None, Some(unknown)) => {
            if unknown.get_ref().trim().is_empty() {
                problem(
                    unknown.span().start,
                    "`frequency_unknown` is empty: say why no figure is known".to_string(),
                );
            }
            for (band, range) in band_words_in(risk.what.get_ref()) {
                problem(
                    risk.what.span().start + 1 + range.start,
                    format!(
                        "`what` says \"{}\", but the frequency is unknown: a band word needs a number. Leave it out",
                        band.word()
                    ),
                );
            }
        }
    }
    problems
}

/// The care cards of `[get_help]`: when to call 999, when to get help the same day, and when to
/// contact the team or GP.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GetHelp {
    #[serde(default)]
    pub call_999: Vec<String>,
    #[serde(default)]
    pub same_day: Vec<String>,
    #[serde(default)]
    pub non_urgent: Vec<String>,
}

impl GetHelp {
    /// Whether there is nothing to show.
    pub fn is_empty(&self) -> bool {
        self.call_999.is_empty() && self.same_day.is_empty() && self.non_urgent.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn band_of(text: &str) -> (Band, Band) {
        Frequency::parse(text)
            .unwrap_or_else(|e| panic!("{text}: {e}"))
            .bands()
    }

    #[test]
    fn bands_at_every_boundary() {
        use Band::*;
        let cases = [
            ("1 in 1", VeryCommon),
            ("9 in 10", VeryCommon),
            ("1 in 10", VeryCommon),
            ("10 in 100", VeryCommon),
            ("9.99 in 100", Common),
            ("99 in 1,000", Common),
            ("1 in 11", Common),
            ("1 in 100", Common),
            ("10 in 1000", Common),
            ("0.99 in 100", Uncommon),
            ("1 in 101", Uncommon),
            ("1 in 1,000", Uncommon),
            ("1 in 1001", Rare),
            ("0.999 in 1000", Rare),
            ("1 in 10,000", Rare),
            ("1 in 10,001", VeryRare),
            ("0.9999 in 10000", VeryRare),
            ("1 in 1,000,000", VeryRare),
            ("0.5 in 100", Uncommon),
            ("1 in 200", Uncommon),
        ];
        for (text, expected) in cases {
            assert_eq!(band_of(text), (expected, expected), "{text}");
        }
    }

    #[test]
    fn ranges_span_bands() {
        use Band::*;
        let cases = [
            ("5 to 20 in 1000", (Uncommon, Common), "Uncommon to common"),
            ("5 to 9 in 1000", (Uncommon, Uncommon), "Uncommon"),
            (
                "5 to 20 in 100",
                (Common, VeryCommon),
                "Common to very common",
            ),
            ("2 to 50 in 10,000", (Rare, Uncommon), "Rare to uncommon"),
            ("0.5 to 1 in 10,000", (VeryRare, Rare), "Very rare to rare"),
        ];
        for (text, bands, label) in cases {
            let f = Frequency::parse(text).unwrap();
            assert_eq!(f.bands(), bands, "{text}");
            assert_eq!(f.band_label(), label, "{text}");
        }
    }

    #[test]
    fn frequencies_that_are_refused() {
        let cases = [
            ("rare", "write the frequency as a number"),
            ("1%", "write the frequency as a number"),
            ("1 in", "write the frequency as a number"),
            ("1 out of 100", "write the frequency as a number"),
            ("about 1 in 100", "write the frequency as a number"),
            ("1 in 100 people", "write the frequency as a number"),
            ("1-5 in 100", "not a number"),
            ("1 in 1,00", "not a number"),
            ("1 in 10,0000", "not a number"),
            ("1 in ,100", "not a number"),
            ("1. in 100", "not a number"),
            ("1 in 1e3", "not a number"),
            ("-1 in 100", "not a number"),
            ("1 in 0", "more than 0"),
            ("0 in 100", "no one"),
            ("5 to 2 in 100", "not bigger"),
            ("5 to 5 in 100", "not bigger"),
            ("11 in 10", "more people than"),
            ("1 to 11 in 10", "more people than"),
            ("1 in 1234567890123456", "not a number"),
            ("fewer than 0 in 100", "no one"),
            ("fewer than 1 to 2 in 100", "as a number"),
            ("less than 1 in 100", "as a number"),
            ("up to 120 in 100", "more people than"),
        ];
        for (text, expected) in cases {
            let err = Frequency::parse(text).expect_err(text).to_string();
            assert!(err.contains(expected), "{text}: {err}");
        }
    }

    #[test]
    fn numbers_in_plain_words() {
        let cases = [
            ("3 in 100", "Common", "about 3 in 100 people"),
            ("1 in 1000", "Uncommon", "about 1 in 1,000 people"),
            (
                "1 to 20 in 10000",
                "Rare to uncommon",
                "between 1 and 20 in 10,000 people",
            ),
            ("0.5 in 100", "Uncommon", "about 0.5 in 100 people"),
            ("1 in 1,000,000", "Very rare", "about 1 in 1,000,000 people"),
            ("1.25 in 1000.5", "Uncommon", "about 1.25 in 1,000.5 people"),
            (
                "fewer than 2 in 100",
                "Common or rarer",
                "fewer than 2 in 100 people",
            ),
            // Below the lower edge of "uncommon" is "rare" at most.
            (
                "fewer than 1 in 1,000",
                "Rare or rarer",
                "fewer than 1 in 1,000 people",
            ),
            (
                "up to 1 in 1,000",
                "Uncommon or rarer",
                "up to 1 in 1,000 people",
            ),
            ("up to 3 in 100", "Common or rarer", "up to 3 in 100 people"),
            (
                "fewer than 1 in 10,000",
                "Very rare",
                "fewer than 1 in 10,000 people",
            ),
        ];
        for (text, band, words) in cases {
            let f = Frequency::parse(text).unwrap();
            assert_eq!(f.band_label(), band, "{text}");
            assert_eq!(f.in_words(), words, "{text}");
        }
    }

    #[test]
    fn band_words_are_found_whole() {
        use Band::*;
        let cases: [(&str, &[Band]); 6] = [
            ("A rare allergic reaction", &[Rare]),
            ("Very common bruising", &[VeryCommon]),
            ("An uncommon but very rare thing", &[Uncommon, VeryRare]),
            ("Common sense; Rarely serious", &[Common]),
            ("Very likely to be common", &[Common]),
            ("Bruising where the needle went in", &[]),
        ];
        for (text, expected) in cases {
            let found: Vec<Band> = band_words_in(text).into_iter().map(|(b, _)| b).collect();
            assert_eq!(found, expected, "{text}");
        }
        let text = "A very rare bleed";
        let (_, range) = &band_words_in(text)[0];
        assert_eq!(&text[range.clone()], "very rare");
    }

    #[test]
    fn risks_are_checked() {
        #[derive(Deserialize)]
        struct T {
            risks: Vec<Spanned<Risk>>,
        }
        let cases = [
            (
                "what = \"Bruising\"\nfrequency = \"1 in 10\"\nsources = [\"a\"]",
                "",
            ),
            ("what = \"Bruising\"\nfrequency_unknown = \"No study.\"", ""),
            ("what = \"Bruising\"", "needs `frequency`"),
            (
                "what = \"Bruising\"\nfrequency = \"1 in 10\"\nfrequency_unknown = \"x\"\nsources = [\"a\"]",
                "not both",
            ),
            (
                "what = \"Bruising\"\nfrequency = \"1 in 10\"",
                "needs `sources`",
            ),
            (
                "what = \"Bruising\"\nfrequency = \"often\"\nsources = [\"a\"]",
                "as a number",
            ),
            (
                "what = \"Rare bruising\"\nfrequency = \"1 in 10\"\nsources = [\"a\"]",
                "disagrees with the number",
            ),
            (
                "what = \"Common bruising\"\nfrequency = \"5 to 20 in 100\"\nsources = [\"a\"]",
                "",
            ),
            (
                "what = \"Rare bruising\"\nfrequency_unknown = \"No study.\"",
                "frequency is unknown",
            ),
            // A ceiling covers every band below it, so "rare" agrees with "fewer than 2 in 100".
            (
                "what = \"Rare bruising\"\nfrequency = \"fewer than 2 in 100\"\nsources = [\"a\"]",
                "",
            ),
            (
                "what = \"Very common bruising\"\nfrequency = \"fewer than 2 in 100\"\nsources = [\"a\"]",
                "disagrees with the number",
            ),
        ];
        for (body, expected) in cases {
            let toml_text = format!("[[risks]]\n{body}\n");
            let t: T = toml::from_str(&toml_text).unwrap();
            let risk = &t.risks[0];
            let problems = check_risk(risk.get_ref(), risk.span().start);
            if expected.is_empty() {
                assert!(problems.is_empty(), "{body}: {problems:?}");
            } else {
                assert_eq!(problems.len(), 1, "{body}: {problems:?}");
                assert!(
                    problems[0].message.contains(expected),
                    "{body}: {problems:?}"
                );
            }
        }
        // The band word is reported where it is written.
        let toml_text =
            "[[risks]]\nwhat = \"A rare bleed\"\nfrequency = \"1 in 10\"\nsources = [\"a\"]\n";
        let t: T = toml::from_str(toml_text).unwrap();
        let problems = check_risk(t.risks[0].get_ref(), 0);
        assert_eq!(
            &toml_text[problems[0].offset..problems[0].offset + 4],
            "rare"
        );
    }
}
