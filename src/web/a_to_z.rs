//! The A to Z: every procedure and condition by letter, with each of their other names as a
//! "see" entry ("PICC, see PICC line"), so a name someone was told leads to the right page.
//!
//! Built from the Library when the Site is built and served pre-rendered at `/a-z`.

use std::collections::BTreeMap;

use askama::Template;

use super::views::Layout;
use crate::content::{Library, PageKind, values};

/// A page an entry leads to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AzTarget {
    pub title: String,
    pub href: String,
}

/// One line of the A to Z.
#[derive(Debug, Clone)]
pub struct AzEntry {
    /// The words shown: a page's title, or another name for it.
    pub label: String,
    /// For a page's own entry: the page and its kind. Empty for a "see" entry.
    pub href: String,
    pub kind: &'static str,
    /// For a "see" entry: the pages this name is used for.
    pub see: Vec<AzTarget>,
    sort_key: String,
}

impl AzEntry {
    pub fn is_see(&self) -> bool {
        !self.see.is_empty()
    }
}

/// The entries under one letter.
#[derive(Debug, Clone)]
pub struct AzLetter {
    /// "A" to "Z", or "0-9".
    pub letter: String,
    pub id: String,
    pub entries: Vec<AzEntry>,
}

/// A letter in the letter navigation; letters with no entries are shown but not linked.
#[derive(Debug, Clone)]
pub struct AzNavLetter {
    pub letter: String,
    pub id: Option<String>,
}

#[derive(Template)]
#[template(path = "a_to_z.html")]
pub struct AToZTemplate {
    pub layout: Layout,
    pub letters: Vec<AzLetter>,
    pub nav: Vec<AzNavLetter>,
    pub procedure_count: usize,
    pub condition_count: usize,
}

impl AToZTemplate {
    pub fn new(layout: Layout, library: &Library) -> Self {
        let letters = letters(library);
        let nav = ('A'..='Z')
            .map(|c| c.to_string())
            .map(|letter| AzNavLetter {
                id: letters
                    .iter()
                    .find(|l| l.letter == letter)
                    .map(|l| l.id.clone()),
                letter,
            })
            .collect();
        Self {
            layout,
            letters,
            nav,
            procedure_count: library.procedures().len(),
            condition_count: library.conditions().len(),
        }
    }
}

/// Every procedure and condition, and each of their other names, grouped by first letter.
pub fn letters(library: &Library) -> Vec<AzLetter> {
    let mut pages: Vec<(PageKind, &str, String, Vec<&str>)> = Vec::new();
    for sheet in library.procedures() {
        let names = sheet.front.also_known_as.iter().map(String::as_str);
        pages.push((
            PageKind::Procedure,
            &sheet.page.meta.title,
            PageKind::Procedure.page_path(&sheet.slug),
            names.collect(),
        ));
    }
    for condition in library.conditions() {
        let names = std::iter::once(condition.front.medical_name.as_str())
            .chain(condition.front.also_known_as.iter().map(String::as_str));
        pages.push((
            PageKind::Condition,
            &condition.page.meta.title,
            PageKind::Condition.page_path(&condition.slug),
            names.collect(),
        ));
    }

    let mut entries: Vec<AzEntry> = pages
        .iter()
        .map(|(kind, title, href, _)| AzEntry {
            label: title.to_string(),
            href: href.clone(),
            kind: kind.label(),
            see: Vec::new(),
            sort_key: sort_key(title),
        })
        .collect();

    // A name that is some page's title is already listed as that page.
    let titles: Vec<String> = entries.iter().map(|e| e.sort_key.clone()).collect();
    let mut see: BTreeMap<String, AzEntry> = BTreeMap::new();
    for (_, title, href, names) in &pages {
        for name in names {
            let key = sort_key(name);
            if key.is_empty() || titles.contains(&key) {
                continue;
            }
            let target = AzTarget {
                title: title.to_string(),
                href: href.clone(),
            };
            let entry = see.entry(key.clone()).or_insert_with(|| AzEntry {
                label: capitalise(name),
                href: String::new(),
                kind: "",
                see: Vec::new(),
                sort_key: key,
            });
            if !entry.see.contains(&target) {
                entry.see.push(target);
            }
        }
    }
    entries.extend(see.into_values());
    entries.sort_by(|a, b| {
        a.sort_key
            .cmp(&b.sort_key)
            .then(a.is_see().cmp(&b.is_see()))
            .then(a.label.cmp(&b.label))
    });

    let mut letters: Vec<AzLetter> = Vec::new();
    for entry in entries {
        let letter = match entry.sort_key.chars().next() {
            Some(c) if c.is_ascii_alphabetic() => c.to_ascii_uppercase().to_string(),
            _ => "0-9".to_string(),
        };
        match letters.last_mut() {
            Some(group) if group.letter == letter => group.entries.push(entry),
            _ => letters.push(AzLetter {
                id: format!("letter-{}", letter.to_lowercase()),
                letter,
                entries: vec![entry],
            }),
        }
    }
    letters
}

/// Lower case, accents folded, punctuation dropped: "Y-90" sorts as "y 90", "Triple A" under T.
fn sort_key(name: &str) -> String {
    crate::search::analysis::folded(name)
}

/// "hydronephrosis" becomes "Hydronephrosis"; "PAD" and "Hickman line" are left as they are.
fn capitalise(name: &str) -> String {
    values::capitalise(name.trim())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_capitalised_and_sorted_plainly() {
        assert_eq!(capitalise("hydronephrosis"), "Hydronephrosis");
        assert_eq!(capitalise("PAD"), "PAD");
        assert_eq!(capitalise("ésophage"), "Ésophage");
        assert_eq!(sort_key("Y-90"), "y 90");
        assert_eq!(sort_key("can't swallow"), "can t swallow");
        assert_eq!(sort_key("Esophageal stent"), "esophageal stent");
    }
}
