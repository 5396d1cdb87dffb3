//! Citations in Markdown bodies: `[@nice-ipg367]`, or several as `[@a; @b]`.
//!
//! Markdown sees a citation as a reference link with no definition; the renderer hands each such
//! label here. A citation becomes a superscript "\[3\]" linking to item 3 of the page's numbered
//! "Sources" list, numbered by first citation in the body (risks and the `sources` list follow,
//! numbered after the body by [`super::sources::numbered`]).

use std::collections::HashMap;
use std::ops::Range;

/// One source id cited in a body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Citation {
    /// The id as written, without `@`.
    pub id: String,
    /// Byte range of the id in the body.
    pub span: Range<usize>,
}

/// The ids in a citation label such as `@a; @b`, with their byte ranges in the label; `None` when
/// the label is not a citation (it does not start with `@`).
pub fn parse_label(label: &str) -> Option<Vec<(String, Range<usize>)>> {
    if !label.trim_start().starts_with('@') {
        return None;
    }
    let mut ids = Vec::new();
    let mut start = 0;
    for part in label.split(';') {
        let trimmed_start = part.len() - part.trim_start().len();
        let item = part.trim();
        let at = start + trimmed_start;
        let (id, id_at) = match item.strip_prefix('@') {
            Some(id) => (id.trim(), at + 1),
            None => (item, at),
        };
        ids.push((id.to_string(), id_at..id_at + id.len()));
        start += part.len() + 1;
    }
    Some(ids)
}

/// Numbers sources in order of first citation in one body.
#[derive(Debug, Default)]
pub struct Numbering {
    numbers: HashMap<String, usize>,
}

impl Numbering {
    /// The number of `id`, given the next free number if it is new.
    pub fn number(&mut self, id: &str) -> usize {
        let next = self.numbers.len() + 1;
        *self.numbers.entry(id.to_string()).or_insert(next)
    }
}

/// The HTML of one citation: `<sup class="cite">[<a href="#source-a" title="Source 1">1</a>]</sup>`,
/// with the numbers separated by commas when there are several. It passes the sanitiser unchanged.
pub fn render(ids: &[String], numbering: &mut Numbering) -> String {
    let links: Vec<String> = ids
        .iter()
        .map(|id| {
            let n = numbering.number(id);
            format!(
                "<a href=\"#{}\" title=\"Source {n}\">{n}</a>",
                escape_attribute(&source_anchor(id))
            )
        })
        .collect();
    format!("<sup class=\"cite\">[{}]</sup>", links.join(", "))
}

/// Ids are slugs once checked; an unchecked one could hold anything, so it is escaped.
fn escape_attribute(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            'a'..='z' | 'A'..='Z' | '0'..='9' | '-' | '_' => c.to_string(),
            other => format!("%{:02X}", other as u32 & 0xff),
        })
        .collect()
}

/// The id of a source's item in a page's list: `source-nice-ipg367`.
pub fn source_anchor(id: &str) -> String {
    format!("source-{id}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels() {
        let cases: [(&str, Option<&[&str]>); 5] = [
            ("@nice-ipg367", Some(&["nice-ipg367"])),
            ("@a; @b", Some(&["a", "b"])),
            (" @a ;@b;  @c", Some(&["a", "b", "c"])),
            ("not a citation", None),
            ("@a, @b", Some(&["a, @b"])),
        ];
        for (label, expected) in cases {
            let found = parse_label(label).map(|ids| {
                for (id, range) in &ids {
                    assert_eq!(&label[range.clone()], id, "{label}");
                }
                ids.into_iter().map(|(id, _)| id).collect::<Vec<_>>()
            });
            assert_eq!(
                found,
                expected.map(|e| e.iter().map(|s| s.to_string()).collect()),
                "{label}"
            );
        }
    }

    #[test]
    fn numbers_follow_first_citation() {
        let mut numbering = Numbering::default();
        let html = render(&["b".to_string(), "a".to_string()], &mut numbering);
        assert_eq!(
            html,
            "<sup class=\"cite\">[<a href=\"#source-b\" title=\"Source 1\">1</a>, <a href=\"#source-a\" title=\"Source 2\">2</a>]</sup>"
        );
        assert_eq!(numbering.number("a"), 2);
        assert_eq!(numbering.number("c"), 3);
        assert!(super::super::markdown::is_clean(&html));
    }
}
