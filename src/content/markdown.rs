//! Markdown to HTML, once, at load time.
//!
//! Besides the HTML, rendering records what the rest of the site needs to know about a body: its
//! headings (with unique ids, for the table of contents and `#anchor` checks), its links (with
//! byte offsets, so a broken one is reported where it was written) and its plain text (for search).

use std::collections::HashSet;
use std::ops::Range;

use pulldown_cmark::{CowStr, Event, HeadingLevel, Options, Parser, Tag, TagEnd};

/// A heading in a rendered body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Heading {
    /// 1 for `#`, 2 for `##` and so on.
    pub level: u8,
    pub text: String,
    pub id: String,
    /// Byte range of the heading in the body.
    pub span: Range<usize>,
}

/// A link or image destination found in a body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BodyLink {
    pub destination: String,
    /// Byte range of the link in the body.
    pub span: Range<usize>,
    pub is_image: bool,
    /// For images: the alt text.
    pub alt: String,
}

/// The rendered form of a Markdown body.
#[derive(Debug, Clone, Default)]
pub struct RenderedMarkdown {
    /// Sanitised HTML, safe to insert in a page.
    pub html: String,
    pub headings: Vec<Heading>,
    pub links: Vec<BodyLink>,
    /// The words of the body without markup, paragraphs separated by blank lines.
    pub plain_text: String,
    /// Byte ranges of raw HTML in the body; it is sanitised, and `check` reports it.
    pub raw_html: Vec<Range<usize>>,
}

impl RenderedMarkdown {
    /// The `##` headings, which make the table of contents.
    pub fn sections(&self) -> impl Iterator<Item = &Heading> {
        self.headings.iter().filter(|h| h.level == 2)
    }

    /// A table of contents helps on long pages only.
    pub fn wants_table_of_contents(&self) -> bool {
        self.sections().count() >= 4
    }
}

/// A heading being read: level, explicit id, span, inner events and text so far.
type OpenHeading<'a> = (
    HeadingLevel,
    Option<String>,
    Range<usize>,
    Vec<Event<'a>>,
    String,
);

fn options() -> Options {
    Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_HEADING_ATTRIBUTES
        | Options::ENABLE_SMART_PUNCTUATION
}

/// Renders a Markdown body to sanitised HTML and collects its headings, links and text.
pub fn render(body: &str) -> RenderedMarkdown {
    let mut out = RenderedMarkdown::default();
    let mut used_ids = HashSet::new();
    let mut events: Vec<Event<'_>> = Vec::new();
    // Headings are buffered so that their id can be derived from their text.
    let mut heading: Option<OpenHeading<'_>> = None;
    let mut image: Option<(String, Range<usize>, String)> = None;

    for (event, range) in Parser::new_ext(body, options()).into_offset_iter() {
        match &event {
            Event::Html(_) | Event::InlineHtml(_) => out.raw_html.push(range.clone()),
            Event::Start(Tag::Link { dest_url, .. }) => out.links.push(BodyLink {
                destination: dest_url.to_string(),
                span: range.clone(),
                is_image: false,
                alt: String::new(),
            }),
            Event::Start(Tag::Image { dest_url, .. }) => {
                image = Some((dest_url.to_string(), range.clone(), String::new()));
            }
            Event::End(TagEnd::Image) => {
                if let Some((destination, span, alt)) = image.take() {
                    out.links.push(BodyLink {
                        destination,
                        span,
                        is_image: true,
                        alt: alt.trim().to_string(),
                    });
                }
            }
            Event::Text(text) | Event::Code(text) => {
                if let Some((_, _, alt)) = image.as_mut() {
                    alt.push_str(text);
                }
                if let Some((_, _, _, _, heading_text)) = heading.as_mut() {
                    heading_text.push_str(text);
                } else {
                    out.plain_text.push_str(text);
                }
            }
            Event::SoftBreak | Event::HardBreak => out.plain_text.push(' '),
            Event::End(TagEnd::Paragraph | TagEnd::Item | TagEnd::TableCell) => {
                out.plain_text.push_str("\n\n");
            }
            _ => {}
        }

        match event {
            Event::Start(Tag::Heading { level, id, .. }) => {
                heading = Some((
                    level,
                    id.map(|i| i.to_string()),
                    range,
                    Vec::new(),
                    String::new(),
                ));
            }
            Event::End(TagEnd::Heading(_)) => {
                if let Some((level, explicit_id, span, inner, text)) = heading.take() {
                    let base = explicit_id.unwrap_or_else(|| slugify(&text));
                    let id = unique_id(base, &mut used_ids);
                    let level_number = level as u8;
                    events.push(Event::Html(CowStr::from(format!(
                        "<h{level_number} id=\"{id}\">"
                    ))));
                    events.extend(inner);
                    events.push(Event::Html(CowStr::from(format!("</h{level_number}>\n"))));
                    out.headings.push(Heading {
                        level: level_number,
                        text: text.trim().to_string(),
                        id,
                        span,
                    });
                }
            }
            other => match heading.as_mut() {
                Some((_, _, _, inner, _)) => inner.push(other),
                None => events.push(other),
            },
        }
    }

    let mut raw = String::with_capacity(body.len() * 3 / 2);
    pulldown_cmark::html::push_html(&mut raw, events.into_iter());
    out.html = sanitizer().clean(&raw).to_string();
    out.plain_text = out.plain_text.trim().to_string();
    out
}

/// The allow-list applied to every rendered body. Markdown's own output passes; raw HTML that an
/// editor types is reduced to the same safe subset (no scripts, styles, event handlers or frames).
fn sanitizer() -> ammonia::Builder<'static> {
    let mut builder = ammonia::Builder::default();
    builder
        .add_tags([
            "h1", "h2", "h3", "h4", "h5", "h6", "section", "sup", "input",
        ])
        .add_tag_attributes("h1", ["id"])
        .add_tag_attributes("h2", ["id"])
        .add_tag_attributes("h3", ["id"])
        .add_tag_attributes("h4", ["id"])
        .add_tag_attributes("h5", ["id"])
        .add_tag_attributes("h6", ["id"])
        .add_tag_attributes("div", ["id", "class"])
        .add_tag_attributes("sup", ["id", "class"])
        .add_tag_attributes("li", ["id"])
        .add_tag_attributes("a", ["id"])
        .link_rel(None)
        .url_schemes(["http", "https", "mailto", "tel"].into_iter().collect())
        .id_prefix(None);
    builder
}

/// Turns heading text into an id: lower case ASCII letters and digits joined by hyphens.
pub fn slugify(text: &str) -> String {
    let mut slug = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_ascii_alphanumeric() {
            slug.push(c.to_ascii_lowercase());
        } else if !slug.is_empty() && !slug.ends_with('-') && (c.is_whitespace() || c == '-') {
            slug.push('-');
        }
    }
    let slug = slug.trim_end_matches('-').to_string();
    if slug.is_empty() {
        "section".to_string()
    } else {
        slug
    }
}

fn unique_id(base: String, used: &mut HashSet<String>) -> String {
    if used.insert(base.clone()) {
        return base;
    }
    (2..)
        .map(|n| format!("{base}-{n}"))
        .find(|candidate| used.insert(candidate.clone()))
        .expect("an unused id exists")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs() {
        let cases = [
            ("What is it?", "what-is-it"),
            ("Before the procedure", "before-the-procedure"),
            (
                "  Risks & how common   they are ",
                "risks-how-common-they-are",
            ),
            ("???", "section"),
            ("24/7 cover", "247-cover"),
        ];
        for (text, expected) in cases {
            assert_eq!(slugify(text), expected, "{text}");
        }
    }

    #[test]
    fn headings_get_unique_ids_and_links_are_collected() {
        let body = "## Intro\n\nSee [a](/procedures/x#risks).\n\n## Intro\n\n![](/static/a.png)\n";
        let r = render(body);
        let ids: Vec<_> = r.headings.iter().map(|h| h.id.as_str()).collect();
        assert_eq!(ids, ["intro", "intro-2"]);
        assert!(
            r.html.contains("<h2 id=\"intro-2\">Intro</h2>"),
            "{}",
            r.html
        );
        assert_eq!(r.links.len(), 2);
        assert_eq!(r.links[0].destination, "/procedures/x#risks");
        assert_eq!(&body[r.links[0].span.clone()], "[a](/procedures/x#risks)");
        assert!(r.links[1].is_image && r.links[1].alt.is_empty());
    }

    #[test]
    fn raw_html_is_sanitised() {
        let r = render("Hello <script>alert(1)</script><b onclick=\"x()\">bold</b>\n");
        assert!(!r.html.contains("script"), "{}", r.html);
        assert!(!r.html.contains("onclick"), "{}", r.html);
        assert!(r.html.contains("<b>bold</b>"), "{}", r.html);
        assert_eq!(r.raw_html.len(), 4);
    }

    #[test]
    fn tables_and_footnotes_render() {
        let r = render("| a | b |\n|---|---|\n| 1 | 2 |\n\nText[^1].\n\n[^1]: Note.\n");
        assert!(r.html.contains("<table>"), "{}", r.html);
        assert!(r.html.contains("footnote"), "{}", r.html);
    }
}
