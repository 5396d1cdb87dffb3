//! Masks what could identify someone in a comment before it is stored: email addresses, and
//! runs of 10 or more digits, which cover UK phone numbers however they are written (`07700
//! 900123`, `+44 7700 900123`, `(01632) 960 001`, `020 7946 0000`) and NHS numbers too.
//! The form asks readers not to type such things; this catches them when they do.

use std::ops::Range;

/// What an email address becomes.
pub const EMAIL_MASK: &str = "[email address removed]";
/// What a phone number (or other long number) becomes.
pub const NUMBER_MASK: &str = "[number removed]";

/// The comment with every email address and long number replaced.
pub fn mask(text: &str) -> String {
    mask_numbers(&mask_emails(text))
}

fn is_local(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '%' | '+' | '-' | '\'')
}

fn is_domain(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '.' | '-')
}

/// `text` with spans replaced by `mask`. At each position `i` not yet passed, `span(chars, i,
/// copied)` gives the span to replace (starting at `copied` or later, ending after `i`), or
/// where to look next; `copied` is where the characters not yet copied start.
fn mask_spans(
    text: &str,
    mask: &str,
    span: impl Fn(&[char], usize, usize) -> Result<Range<usize>, usize>,
) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    let mut i = 0;
    while i < chars.len() {
        match span(&chars, i, copied) {
            Ok(found) => {
                out.extend(&chars[copied..found.start]);
                out.push_str(mask);
                copied = found.end;
                i = found.end;
            }
            Err(next) => i = next,
        }
    }
    out.extend(&chars[copied..]);
    out
}

fn mask_emails(text: &str) -> String {
    mask_spans(text, EMAIL_MASK, email_at)
}

/// The email address whose `@` is at `i`, if there is one.
fn email_at(chars: &[char], i: usize, copied: usize) -> Result<Range<usize>, usize> {
    if chars[i] != '@' {
        return Err(i + 1);
    }
    let mut start = i;
    while start > copied && is_local(chars[start - 1]) {
        start -= 1;
    }
    let mut end = i + 1;
    while end < chars.len() && is_domain(chars[end]) {
        end += 1;
    }
    // A full stop after an address ends the sentence, not the domain.
    while end > i + 1 && matches!(chars[end - 1], '.' | '-') {
        end -= 1;
    }
    let domain: String = chars[i + 1..end].iter().collect();
    if start < i && domain.contains('.') && !domain.starts_with('.') {
        Ok(start..end)
    } else {
        Err(i + 1)
    }
}

fn mask_numbers(text: &str) -> String {
    mask_spans(text, NUMBER_MASK, |chars, i, _| number_at(chars, i))
}

/// The long number starting at `i`, if there is one; if not, where to look next.
fn number_at(chars: &[char], i: usize) -> Result<Range<usize>, usize> {
    let starts_run = chars[i].is_ascii_digit()
        || (matches!(chars[i], '+' | '(') && chars.get(i + 1).is_some_and(char::is_ascii_digit));
    let joined_to_word = i > 0 && chars[i - 1].is_alphanumeric();
    if !starts_run || joined_to_word {
        return Err(i + 1);
    }
    // The run: digits, with single separators (or a bracket and a space) between them.
    let mut end = i;
    let mut digits = 0;
    let mut j = i;
    while j < chars.len() {
        let c = chars[j];
        if c.is_ascii_digit() {
            digits += 1;
            j += 1;
            end = j;
        } else if matches!(c, '+' | '(' | ')' | ' ' | '-' | '.') && j + 1 < chars.len() {
            // Up to two separators, then a digit must follow.
            let next_digit = (j + 1..(j + 3).min(chars.len()))
                .find(|&k| !matches!(chars[k], '(' | ')' | ' ' | '-' | '.'))
                .filter(|&k| chars[k].is_ascii_digit());
            match next_digit {
                Some(k) => j = k,
                None => break,
            }
        } else {
            break;
        }
    }
    if digits >= 10 {
        Ok(i..end)
    } else {
        Err(end.max(i + 1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_and_phone_numbers_are_masked() {
        let e = EMAIL_MASK;
        let n = NUMBER_MASK;
        let cases: Vec<(&str, String)> = vec![
            ("Nothing to hide here.", "Nothing to hide here.".into()),
            ("Mail ann@example.com.", format!("Mail {e}.")),
            ("ann.o'neil+x@mail.nhs.uk wrote", format!("{e} wrote")),
            ("(bob@example.org)", format!("({e})")),
            ("two: a@b.co, c@d.org", format!("two: {e}, {e}")),
            (
                "not an address: @home or x@y",
                "not an address: @home or x@y".into(),
            ),
            ("Call 07700 900123 today", format!("Call {n} today")),
            ("Call 07700900123", format!("Call {n}")),
            ("mobile +44 7700 900123.", format!("mobile {n}.")),
            ("+447700900123", n.to_string()),
            ("ring 020 7946 0000 or", format!("ring {n} or")),
            ("ring (01632) 960 001", format!("ring {n}")),
            ("ring 01632-960-001", format!("ring {n}")),
            ("+44 (0)20 7946 0000", n.to_string()),
            ("NHS number 485 777 3456", format!("NHS number {n}")),
            (
                "On 12 March 2026 at 10.30",
                "On 12 March 2026 at 10.30".into(),
            ),
            (
                "1,000 words, 2 pages, 365 days",
                "1,000 words, 2 pages, 365 days".into(),
            ),
            ("dose 2.3 mSv, 01 2345", "dose 2.3 mSv, 01 2345".into()),
            ("code AB12345678901", "code AB12345678901".into()),
            ("é 07700 900123 é", format!("é {n} é")),
        ];
        for (input, expected) in cases {
            assert_eq!(mask(input), expected, "{input:?}");
        }
    }
}
