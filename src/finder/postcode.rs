//! Reading UK postcodes the way people type them: any case, any spacing, whole or in part.
//!
//! A full postcode such as `LS6 3EX` has an outward code (`LS6`, the postcode district) and an
//! inward code (`3EX`). The outward code starts with the postcode area (`LS`). The finder only
//! needs the outward code: the site holds no data finer than a district.

use std::fmt;

/// A postcode, or the part of one that was typed, normalised to upper case without spaces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Postcode {
    /// One or two letters, such as `LS` or `B`.
    pub area: String,
    /// The outward code, such as `LS6` or `EC1A`; `None` when only an area was typed.
    pub district: Option<String>,
    /// The inward code, such as `3EX`; `None` unless a full postcode was typed.
    pub inward: Option<String>,
}

impl Postcode {
    /// Reads a full postcode, an outward code or an area. `None` when `text` is none of these.
    pub fn parse(text: &str) -> Option<Self> {
        let compact: String = text
            .chars()
            .filter(|c| !c.is_whitespace())
            .map(|c| c.to_ascii_uppercase())
            .collect();
        if compact.is_empty()
            || compact.len() > 8
            || !compact.bytes().all(|b| b.is_ascii_alphanumeric())
        {
            return None;
        }
        if is_area(&compact) {
            return Some(Self {
                area: compact,
                district: None,
                inward: None,
            });
        }
        if is_outward(&compact) {
            return Some(Self::from_outward(compact, None));
        }
        // A full postcode: the inward code is always the last three characters, digit letter letter.
        if compact.len() >= 5 {
            let (outward, inward) = compact.split_at(compact.len() - 3);
            if is_inward(inward) && is_outward(outward) {
                return Some(Self::from_outward(
                    outward.to_string(),
                    Some(inward.to_string()),
                ));
            }
        }
        None
    }

    fn from_outward(outward: String, inward: Option<String>) -> Self {
        let area: String = outward
            .chars()
            .take_while(char::is_ascii_alphabetic)
            .collect();
        Self {
            area,
            district: Some(outward),
            inward,
        }
    }

    /// The most precise code typed, without the inward part: `LS6`, or `LS` for an area.
    pub fn outward_or_area(&self) -> &str {
        self.district.as_deref().unwrap_or(&self.area)
    }
}

impl fmt::Display for Postcode {
    /// "LS6 3EX", "LS6" or "LS": the way it is printed on letters.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.district, &self.inward) {
            (Some(district), Some(inward)) => write!(f, "{district} {inward}"),
            (Some(district), None) => f.write_str(district),
            _ => f.write_str(&self.area),
        }
    }
}

/// Whether `text` looks like something the visitor meant as a postcode: it mixes letters and
/// digits. Used to choose between "that postcode is not right" and "we do not know that town".
pub fn looks_like_postcode(text: &str) -> bool {
    let has_digit = text.chars().any(|c| c.is_ascii_digit());
    let words = text.split_whitespace().count();
    has_digit && words <= 2
}

/// One or two letters.
pub fn is_area(code: &str) -> bool {
    (1..=2).contains(&code.len()) && code.bytes().all(|b| b.is_ascii_uppercase())
}

/// An outward code: the area, then a digit, then an optional digit or letter
/// (A9, A99, A9A, AA9, AA99, AA9A).
pub fn is_outward(code: &str) -> bool {
    let bytes = code.as_bytes();
    let letters = bytes.iter().take_while(|b| b.is_ascii_uppercase()).count();
    if !(1..=2).contains(&letters) {
        return false;
    }
    match &bytes[letters..] {
        [d] => d.is_ascii_digit(),
        [d, e] => d.is_ascii_digit() && (e.is_ascii_digit() || e.is_ascii_uppercase()),
        _ => false,
    }
}

/// An inward code: a digit and two letters.
fn is_inward(code: &str) -> bool {
    let b = code.as_bytes();
    b.len() == 3 && b[0].is_ascii_digit() && b[1].is_ascii_uppercase() && b[2].is_ascii_uppercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forgiving_about_case_and_spacing() {
        // (typed, area, district, shown as)
        let cases = [
            ("LS6 3EX", "LS", Some("LS6"), "LS6 3EX"),
            ("ls63ex", "LS", Some("LS6"), "LS6 3EX"),
            ("  Ls6   3eX ", "LS", Some("LS6"), "LS6 3EX"),
            ("LS6", "LS", Some("LS6"), "LS6"),
            ("ls 6", "LS", Some("LS6"), "LS6"),
            ("LS", "LS", None, "LS"),
            ("b", "B", None, "B"),
            ("B15 2TT", "B", Some("B15"), "B15 2TT"),
            ("EC1A 1BB", "EC", Some("EC1A"), "EC1A 1BB"),
            ("W1A 1AA", "W", Some("W1A"), "W1A 1AA"),
            ("M1 1AE", "M", Some("M1"), "M1 1AE"),
            ("BT7 1NN", "BT", Some("BT7"), "BT7 1NN"),
            ("CF10 3AT", "CF", Some("CF10"), "CF10 3AT"),
            ("cf103at", "CF", Some("CF10"), "CF10 3AT"),
        ];
        for (typed, area, district, shown) in cases {
            let postcode = Postcode::parse(typed).unwrap_or_else(|| panic!("{typed}"));
            assert_eq!(postcode.area, area, "{typed}");
            assert_eq!(postcode.district.as_deref(), district, "{typed}");
            assert_eq!(postcode.to_string(), shown, "{typed}");
        }
    }

    #[test]
    fn malformed_postcodes_are_refused() {
        for typed in [
            "",
            "   ",
            "6LS 3EX",
            "LS6 3E",
            "LS6 3EXX",
            "LSX6 3EX",
            "LS666 3EX",
            "L$6 3EX",
            "123",
            "LS6 EX3",
            "ABC",
            "Leeds",
            "LS6-3EX",
        ] {
            assert_eq!(Postcode::parse(typed), None, "{typed:?}");
        }
    }

    #[test]
    fn telling_postcodes_from_towns() {
        assert!(looks_like_postcode("LS6 3EX"));
        assert!(looks_like_postcode("LS99 9ZZ"));
        assert!(looks_like_postcode("ls6"));
        assert!(!looks_like_postcode("Leeds"));
        assert!(!looks_like_postcode("Newcastle upon Tyne"));
    }
}
