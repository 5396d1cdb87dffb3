//! The small value types that front matter fields parse into: a calendar date and a slug with
//! where it was written.
//!
//! They sit below every other content module (front matter, review rows, risks, the dose table
//! and the bibliography all use them), so none of those has to import another to name a date.
//! The one text helper they share, [`capitalise`], is here for the same reason.

use std::fmt;

use jiff::civil::Date;
use serde::{Deserialize, Deserializer};
use toml::Spanned;

/// A calendar date written in front matter as a bare TOML date, such as `2026-11-20`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ContentDate(pub Date);

impl ContentDate {
    /// "20 November 2026", the way UK readers write dates.
    pub fn long(&self) -> String {
        self.0.strftime("%-d %B %Y").to_string()
    }

    /// "2026-11-20", for `<time datetime>` and machine output.
    pub fn iso(&self) -> String {
        self.0.to_string()
    }
}

impl fmt::Display for ContentDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.long())
    }
}

impl<'de> Deserialize<'de> for ContentDate {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        let value = toml::value::Datetime::deserialize(deserializer)
            .map_err(|_| D::Error::custom("expected a date written like 2026-11-20 (no quotes)"))?;
        match (value.date, value.time, value.offset) {
            (Some(d), None, None) => Date::new(d.year as i16, d.month as i8, d.day as i8)
                .map(ContentDate)
                .map_err(|e| D::Error::custom(format!("not a real date: {e}"))),
            _ => Err(D::Error::custom(
                "expected a date only, written like 2026-11-20, without a time",
            )),
        }
    }
}

/// A slug written in front matter, with where it was written.
pub type SlugRef = Spanned<String>;

/// The text with its first letter in upper case and the rest as it is: "common" becomes
/// "Common", "PAD" stays "PAD".
pub(crate) fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}
