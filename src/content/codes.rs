//! Clinical codes on condition pages: SNOMED CT concept ids and ICD-10 codes, written in front
//! matter as `snomed_ct = ["..."]` and `icd10 = ["I71.4"]`, checked for their form when the
//! content is loaded, and read in one standard form so that a lookup by code finds them.

/// The code systems a condition page can carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CodeSystem {
    SnomedCt,
    Icd10,
}

impl CodeSystem {
    /// The name used in front matter messages.
    pub fn label(self) -> &'static str {
        match self {
            Self::SnomedCt => "SNOMED CT",
            Self::Icd10 => "ICD-10",
        }
    }

    /// What a code of this system looks like, for messages.
    pub fn expected(self) -> &'static str {
        match self {
            Self::SnomedCt => "a SNOMED CT concept id: 6 to 18 digits, not starting with 0",
            Self::Icd10 => {
                "an ICD-10 code: a letter, two digits, then optionally a dot and up to four more (I71.4)"
            }
        }
    }

    /// The code in its standard form, or `None` if it cannot be one of this system: ICD-10 codes
    /// upper case with the dot after three characters (`i714` is `I71.4`), SNOMED CT ids as digits.
    pub fn normalise(self, code: &str) -> Option<String> {
        match self {
            Self::SnomedCt => {
                let ok = (6..=18).contains(&code.len())
                    && code.bytes().all(|b| b.is_ascii_digit())
                    && !code.starts_with('0');
                ok.then(|| code.to_string())
            }
            Self::Icd10 => {
                let dots = code.matches('.').count();
                if dots > 1 || (dots == 1 && code.find('.') != Some(3)) {
                    return None;
                }
                let plain: String = code
                    .chars()
                    .filter(|&c| c != '.')
                    .map(|c| c.to_ascii_uppercase())
                    .collect();
                let bytes = plain.as_bytes();
                let ok = (3..=7).contains(&bytes.len())
                    && bytes[0].is_ascii_uppercase()
                    && bytes[1].is_ascii_digit()
                    && bytes[2].is_ascii_digit()
                    && bytes[3..].iter().all(u8::is_ascii_alphanumeric);
                ok.then(|| {
                    if plain.len() > 3 {
                        format!("{}.{}", &plain[..3], &plain[3..])
                    } else {
                        plain
                    }
                })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_read_in_their_standard_form_or_refused() {
        use CodeSystem::*;
        let cases = [
            (Icd10, "I71.4", Some("I71.4")),
            (Icd10, "i714", Some("I71.4")),
            (Icd10, "D25", Some("D25")),
            (Icd10, "I86.1", Some("I86.1")),
            (Icd10, "I7.14", None),
            (Icd10, "71.4", None),
            (Icd10, "I71..4", None),
            (Icd10, "IAB", None),
            (Icd10, "", None),
            (SnomedCt, "22298006", Some("22298006")),
            (SnomedCt, "12345", None),
            (SnomedCt, "0123456", None),
            (SnomedCt, "12a456", None),
        ];
        for (system, code, expected) in cases {
            assert_eq!(
                system.normalise(code).as_deref(),
                expected,
                "{system:?} {code}"
            );
        }
    }
}
