//! A sheet's Markdown body as blocks of styled text, for the leaflet template.
//!
//! The template (`templates/leaflet.typ`) reads the leaflet as JSON data, never as typst markup
//! written by us: the text of a sheet (or of a hospital's details) can then hold any character,
//! `#`, `$` or `*` included, without escaping, and nothing in it can run as typst code.
//!
//! Citations `[@id]` become their numbers in the sheet's "Sources" list, the same numbers the
//! web page shows; links keep their text, and their address is printed after it (on paper a link
//! cannot be followed), made absolute with the site's public address.

use pulldown_cmark::{BrokenLink, CowStr, Event, HeadingLevel, Options, Parser, Tag, TagEnd};
use serde::{Deserialize, Serialize};

use crate::content::citations;

/// One block of the body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Block {
    /// A heading: level 1 is a `##` of the body (the sheet's title is above them all).
    Heading {
        level: u8,
        text: String,
    },
    Paragraph {
        runs: Vec<Run>,
    },
    List {
        ordered: bool,
        items: Vec<Vec<Block>>,
    },
    /// Where one of the sheet's own parts goes.
    Insert {
        what: Part,
    },
}

/// A part of the sheet that is not in its Markdown body, placed after one of its sections.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Part {
    /// When to get help: the care cards.
    GetHelp,
    /// The risks with their numbers.
    Risks,
    /// The radiation panel.
    Radiation,
}

/// A piece of text in one style.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Run {
    pub text: String,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub strong: bool,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub emph: bool,
    /// The numbers of the sources cited here ("3" or "1, 4"); `text` is empty.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cite: Option<String>,
    /// The absolute address of a link, printed after its text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

/// What the converter needs to know about the sheet.
pub(crate) struct Context<'a> {
    /// The site's public address without a trailing slash, for links within the site.
    pub base_url: &'a str,
    /// The number of a cited source id in the sheet's list, if it is there.
    pub number_of: &'a dyn Fn(&str) -> Option<usize>,
}

/// The marker a citation's link destination starts with, as in [`crate::content::markdown`].
const CITATION_MARK: &str = "\u{0}cite:";

/// Converts a Markdown body to blocks, with an insert after the section named `after` for each
/// `(after, what)` (at the end when the section is last or missing).
pub(crate) fn blocks(body: &str, context: &Context<'_>, inserts: &[(&str, Part)]) -> Vec<Block> {
    let mut cite_links = |link: BrokenLink<'_>| {
        citations::parse_label(&link.reference).map(|_| {
            (
                CowStr::from(format!("{CITATION_MARK}{}", link.reference)),
                CowStr::Borrowed(""),
            )
        })
    };
    let options = Options::ENABLE_SMART_PUNCTUATION | Options::ENABLE_HEADING_ATTRIBUTES;
    let parser = Parser::new_with_broken_link_callback(body, options, Some(&mut cite_links));
    let mut builder = Builder::default();
    for event in parser {
        builder.event(event, context);
    }
    let mut out = builder.finish();
    place_inserts(&mut out, inserts);
    out
}

/// Puts each insert before the level-1 heading that follows its section.
fn place_inserts(blocks: &mut Vec<Block>, inserts: &[(&str, Part)]) {
    for (after, what) in inserts {
        let start = blocks
            .iter()
            .position(|b| matches!(b, Block::Heading { level: 1, text } if text == after));
        let at = start
            .and_then(|start| {
                blocks[start + 1..]
                    .iter()
                    .position(|b| matches!(b, Block::Heading { level: 1, .. }))
                    .map(|i| start + 1 + i)
            })
            .unwrap_or(blocks.len());
        blocks.insert(at, Block::Insert { what: *what });
    }
}

/// The blocks being built: a stack of open lists and their items.
#[derive(Default)]
struct Builder {
    /// The finished blocks at the top level.
    top: Vec<Block>,
    /// Open lists: whether each is ordered, and its items so far.
    lists: Vec<(bool, Vec<Vec<Block>>)>,
    /// The runs of the paragraph (or tight list item, or heading) being read.
    runs: Vec<Run>,
    heading: Option<u8>,
    strong: usize,
    emph: usize,
    /// The address of the link being read.
    link: Option<String>,
    inside_citation: bool,
}

impl Builder {
    fn event(&mut self, event: Event<'_>, context: &Context<'_>) {
        if self.inside_citation {
            self.inside_citation = !matches!(event, Event::End(TagEnd::Link));
            return;
        }
        match event {
            Event::Start(Tag::Heading { level, .. }) => {
                self.flush();
                self.heading = Some(match level {
                    HeadingLevel::H1 | HeadingLevel::H2 => 1,
                    HeadingLevel::H3 => 2,
                    _ => 3,
                });
            }
            Event::End(TagEnd::Heading(_)) => {
                let text: String = self.runs.drain(..).map(|r| r.text).collect();
                let level = self.heading.take().unwrap_or(1);
                self.push(Block::Heading { level, text });
            }
            Event::Start(Tag::Paragraph) => self.flush(),
            Event::End(TagEnd::Paragraph) => self.flush(),
            Event::Start(Tag::List(first)) => {
                self.flush();
                self.lists.push((first.is_some(), Vec::new()));
            }
            Event::End(TagEnd::List(_)) => {
                self.flush();
                if let Some((ordered, items)) = self.lists.pop() {
                    self.push(Block::List { ordered, items });
                }
            }
            Event::Start(Tag::Item) => {
                self.flush();
                if let Some((_, items)) = self.lists.last_mut() {
                    items.push(Vec::new());
                }
            }
            Event::End(TagEnd::Item) => self.flush(),
            Event::Start(Tag::Strong) => self.strong += 1,
            Event::End(TagEnd::Strong) => self.strong = self.strong.saturating_sub(1),
            Event::Start(Tag::Emphasis) => self.emph += 1,
            Event::End(TagEnd::Emphasis) => self.emph = self.emph.saturating_sub(1),
            Event::Start(Tag::Link { dest_url, .. }) => {
                if let Some(label) = dest_url.strip_prefix(CITATION_MARK) {
                    self.inside_citation = true;
                    let numbers: Vec<String> = citations::parse_label(label)
                        .unwrap_or_default()
                        .iter()
                        .filter_map(|(id, _)| (context.number_of)(id))
                        .map(|n| n.to_string())
                        .collect();
                    if !numbers.is_empty() {
                        self.runs.push(Run {
                            cite: Some(numbers.join(", ")),
                            ..Run::default()
                        });
                    }
                } else {
                    self.link = Some(absolute(&dest_url, context.base_url));
                }
            }
            Event::End(TagEnd::Link) => {
                if let Some(url) = self.link.take() {
                    self.runs.push(Run {
                        url: Some(url),
                        ..Run::default()
                    });
                }
            }
            Event::Text(text) | Event::Code(text) => self.text(&text),
            Event::SoftBreak | Event::HardBreak => self.text(" "),
            // Raw HTML, footnotes, rules: the sheets do not use them, and a leaflet has no use
            // for them.
            _ => {}
        }
    }

    fn text(&mut self, text: &str) {
        let (strong, emph) = (self.strong > 0, self.emph > 0);
        match self.runs.last_mut() {
            Some(last)
                if last.strong == strong
                    && last.emph == emph
                    && last.cite.is_none()
                    && last.url.is_none() =>
            {
                last.text.push_str(text)
            }
            _ => self.runs.push(Run {
                text: text.to_string(),
                strong,
                emph,
                ..Run::default()
            }),
        }
    }

    /// Ends the paragraph being read, if any.
    fn flush(&mut self) {
        if self.heading.is_some() || self.runs.is_empty() {
            return;
        }
        let runs = std::mem::take(&mut self.runs);
        self.push(Block::Paragraph { runs });
    }

    fn push(&mut self, block: Block) {
        match self
            .lists
            .last_mut()
            .and_then(|(_, items)| items.last_mut())
        {
            Some(item) => item.push(block),
            None => self.top.push(block),
        }
    }

    fn finish(mut self) -> Vec<Block> {
        self.flush();
        self.top
    }
}

/// `/procedures/x` as `https://example.org/procedures/x`; other addresses as they are.
fn absolute(url: &str, base_url: &str) -> String {
    if url.starts_with('/') {
        format!("{base_url}{url}")
    } else {
        url.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn convert(body: &str) -> Vec<Block> {
        let number_of = |id: &str| match id {
            "a" => Some(1),
            "b" => Some(2),
            _ => None,
        };
        let context = Context {
            base_url: "https://example.org",
            number_of: &number_of,
        };
        blocks(
            body,
            &context,
            &[("Afterwards", Part::GetHelp), ("Risks", Part::Risks)],
        )
    }

    fn plain(text: &str) -> Run {
        Run {
            text: text.into(),
            ..Run::default()
        }
    }

    #[test]
    fn paragraphs_keep_styles_citations_and_link_addresses() {
        let blocks = convert(
            "Intro with **bold** and a [link](/procedures/x) [@a; @b].\n\nIt's *so* \"smart\".\n",
        );
        assert_eq!(
            blocks[0],
            Block::Paragraph {
                runs: vec![
                    plain("Intro with "),
                    Run {
                        text: "bold".into(),
                        strong: true,
                        ..Run::default()
                    },
                    plain(" and a link"),
                    Run {
                        url: Some("https://example.org/procedures/x".into()),
                        ..Run::default()
                    },
                    plain(" "),
                    Run {
                        cite: Some("1, 2".into()),
                        ..Run::default()
                    },
                    plain("."),
                ]
            }
        );
        let Block::Paragraph { runs } = &blocks[1] else {
            panic!("{blocks:?}")
        };
        assert_eq!(runs[0].text, "It\u{2019}s ");
        assert!(runs[1].emph);
        assert_eq!(runs[2].text, " \u{201c}smart\u{201d}.");
    }

    #[test]
    fn lists_nest_and_inserts_follow_their_sections() {
        let blocks = convert(
            "## Afterwards\n\n- one\n- two\n  1. inner\n\n## Risks\n\nSome.\n\n## Radiation\n\nX.\n",
        );
        assert_eq!(
            blocks[0],
            Block::Heading {
                level: 1,
                text: "Afterwards".into()
            }
        );
        let Block::List { ordered, items } = &blocks[1] else {
            panic!("{blocks:?}")
        };
        assert!(!ordered);
        assert_eq!(items.len(), 2);
        assert!(matches!(&items[1][1], Block::List { ordered: true, .. }));
        assert_eq!(
            blocks[2],
            Block::Insert {
                what: Part::GetHelp
            }
        );
        assert!(matches!(&blocks[3], Block::Heading { text, .. } if text == "Risks"));
        assert_eq!(blocks[5], Block::Insert { what: Part::Risks });
        assert!(matches!(&blocks[6], Block::Heading { text, .. } if text == "Radiation"));
        // A section that is missing puts its insert at the end.
        let blocks = convert("Text.\n");
        assert_eq!(
            &blocks[1..],
            [
                Block::Insert {
                    what: Part::GetHelp
                },
                Block::Insert { what: Part::Risks }
            ]
        );
    }
}
