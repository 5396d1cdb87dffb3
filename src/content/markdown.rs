//! Markdown to HTML, once, at load time.
//!
//! Besides the HTML, rendering records what the rest of the site needs to know about a body: its
//! headings (with unique ids, for the table of contents and `#anchor` checks), its links (with
//! byte offsets, so a broken one is reported where it was written) and its plain text (for search).

use std::collections::HashSet;
use std::ops::Range;

use pulldown_cmark::{
    Alignment, BrokenLink, CodeBlockKind, CowStr, Event, HeadingLevel, LinkType, Options, Parser,
    Tag, TagEnd,
};

use super::citations::{self, Citation};

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
    /// Where each list item starts in the body, in order.
    pub list_items: Vec<usize>,
    /// Source ids cited with `[@id]`, in the order written (see [`citations`]).
    pub citations: Vec<Citation>,
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
    let mut explicit_ids_plain = true;
    // `[@id]` is a reference link without a definition: it reaches the callback, and comes back
    // as a link whose destination is the label behind this marker.
    let mut citation_links = |link: BrokenLink<'_>| {
        citations::parse_label(&link.reference).map(|_| {
            (
                CowStr::from(format!("{CITATION_MARK}{}", link.reference)),
                CowStr::Borrowed(""),
            )
        })
    };
    let mut numbering = citations::Numbering::default();
    let mut inside_citation = false;

    let parser = Parser::new_with_broken_link_callback(body, options(), Some(&mut citation_links));
    for (event, range) in parser.into_offset_iter() {
        if inside_citation {
            inside_citation = !matches!(event, Event::End(TagEnd::Link));
            continue;
        }
        let event = match citation_label(&event) {
            Some(label) => {
                inside_citation = true;
                let ids = citations::parse_label(label).unwrap_or_default();
                // The label starts after the `[`: ranges in the label are offset from there.
                let label_start = range.start + body[range.clone()].find(label).unwrap_or(1);
                for (id, span) in &ids {
                    out.citations.push(Citation {
                        id: id.clone(),
                        span: label_start + span.start..label_start + span.end,
                    });
                }
                if out.plain_text.ends_with(' ') {
                    out.plain_text.pop();
                }
                let ids: Vec<String> = ids.into_iter().map(|(id, _)| id).collect();
                let html = citations::render(&ids, &mut numbering);
                let target = match heading.as_mut() {
                    Some((_, _, _, inner, _)) => inner,
                    None => &mut events,
                };
                // "home [1]." reads as "home[1].": the superscript sits against the word.
                if let Some(Event::Text(text)) = target.last_mut() {
                    if text.ends_with(' ') {
                        *text = CowStr::from(text.trim_end().to_string());
                    }
                }
                target.push(Event::InlineHtml(html.into()));
                continue;
            }
            None => event,
        };
        match &event {
            Event::Html(_) | Event::InlineHtml(_) => out.raw_html.push(range.clone()),
            Event::Start(Tag::Link { dest_url, .. }) => out.links.push(BodyLink {
                destination: dest_url.to_string(),
                span: range.clone(),
                is_image: false,
                alt: String::new(),
            }),
            Event::Start(Tag::Item) => out.list_items.push(range.start),
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
                explicit_ids_plain &= id.as_ref().is_none_or(|id| {
                    id.chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
                });
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

    // Markdown's own output is escaped by pulldown-cmark; what could make it unsafe is raw HTML
    // an editor typed, a link with a dangerous scheme, or an odd explicit heading id. Without
    // those, running the sanitiser (most of the cost of loading content) would change nothing:
    // debug builds check that for every body they render, so every test run checks it.
    let needs_sanitising = !out.raw_html.is_empty()
        || !out
            .links
            .iter()
            .all(|link| plainly_safe_destination(&link.destination))
        || !explicit_ids_plain;
    let mut raw = String::with_capacity(body.len() * 3 / 2);
    pulldown_cmark::html::push_html(&mut raw, events.into_iter().map(without_presentation));
    // pulldown-cmark passes NUL and a lone carriage return through, which an HTML parser drops
    // or turns into a line break: found by the property tests in tests/it/fuzz.rs.
    let needs_sanitising = needs_sanitising || raw.contains(['\0', '\r']);
    debug_assert!(
        needs_sanitising || is_clean(&raw),
        "the sanitiser would change this, so it must not be skipped:\n{raw}"
    );
    out.html = if needs_sanitising {
        sanitise(&raw)
    } else {
        raw
    };
    out.plain_text = out.plain_text.trim().to_string();
    out
}

/// Marks the destination of a link made from a citation label; it cannot start a real address.
const CITATION_MARK: &str = "\u{0}cite:";

/// The label of a citation, if this event starts one.
fn citation_label<'a>(event: &'a Event<'_>) -> Option<&'a str> {
    match event {
        Event::Start(Tag::Link {
            link_type:
                LinkType::ShortcutUnknown | LinkType::CollapsedUnknown | LinkType::ReferenceUnknown,
            dest_url,
            ..
        }) => dest_url.strip_prefix(CITATION_MARK),
        _ => None,
    }
}

/// Drops what pulldown-cmark adds for presentation and the sanitiser would remove anyway:
/// `style` attributes for table column alignment (the CSP forbids inline styles) and the
/// `language-` class of fenced code.
fn without_presentation(event: Event<'_>) -> Event<'_> {
    match event {
        Event::Start(Tag::Table(alignments)) => Event::Start(Tag::Table(
            alignments.iter().map(|_| Alignment::None).collect(),
        )),
        Event::Start(Tag::CodeBlock(CodeBlockKind::Fenced(_))) => {
            Event::Start(Tag::CodeBlock(CodeBlockKind::Fenced(CowStr::Borrowed(""))))
        }
        other => other,
    }
}

/// URL schemes a link or image may use. Anything else (`javascript:`, `data:`) is removed.
const ALLOWED_SCHEMES: [&str; 4] = ["http", "https", "mailto", "tel"];

/// Whether a link destination is plainly safe: relative, or an address with an allowed scheme
/// that parses as the sanitiser parses it (it drops `http://` with no host, say), and with no
/// spaces or control characters (which browsers strip, so "java\tscript:" would run). Anything
/// unusual is left to the sanitiser, which may keep it; this only decides who looks.
fn plainly_safe_destination(destination: &str) -> bool {
    if destination
        .chars()
        .any(|c| c.is_control() || c.is_whitespace())
    {
        return false;
    }
    match destination.find([':', '/', '?', '#']) {
        Some(at) if destination[at..].starts_with(':') => {
            url::Url::parse(destination).is_ok_and(|url| ALLOWED_SCHEMES.contains(&url.scheme()))
        }
        _ => true,
    }
}

/// Cleans HTML with the site's allow-list: what Markdown makes passes, and raw HTML is reduced
/// to the same safe subset (no scripts, styles, event handlers, frames or unsafe URLs).
pub fn sanitise(html: &str) -> String {
    sanitizer().clean(html).to_string()
}

/// Whether the sanitiser would leave `html` as it is, apart from how it writes the same markup:
/// `<br>` for `<br />`, `&nbsp;` for a no-break space, `"` for `&quot;` in text, `'` for the
/// `&#x27;` and `&#39;` pulldown-cmark writes in a link's address and an image's alt text.
pub fn is_clean(html: &str) -> bool {
    let same_markup = |html: &str| {
        html.replace(" />", ">")
            .replace("&nbsp;", "\u{a0}")
            .replace("&quot;", "\"")
            .replace("&#x27;", "'")
            .replace("&#39;", "'")
    };
    same_markup(&sanitise(html)) == same_markup(html)
}

/// The allow-list for rendered bodies.
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
        .url_schemes(ALLOWED_SCHEMES.into_iter().collect())
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
    fn unsafe_links_and_ids_are_sanitised() {
        let cases = [
            ("[a](javascript:alert(1))", "javascript"),
            ("[a](JavaScript:alert(1))", "alert"),
            ("[a](javascript&#58;alert(1))", "alert"),
            ("<javascript:alert(1)>", "href"),
            // Kept, but percent-encoded: "java%09script" is no scheme, so it cannot run.
            ("[a](<java\tscript:alert(1)>)", "\t"),
            ("![a](data:image/svg+xml,x)", "data:"),
            ("[a](vbscript:x)", "vbscript"),
            ("## Hi {#x\"onclick=\"y}\n", "onclick"),
        ];
        for (body, must_not_appear) in cases {
            let html = render(body).html;
            assert!(!html.contains(must_not_appear), "{body}: {html}");
        }
    }

    #[test]
    fn destinations_plainly_safe_or_not() {
        let cases = [
            ("/procedures/angioplasty#risks", true),
            ("#risks", true),
            ("../about", true),
            ("https://www.nice.org.uk/guidance/ipg367", true),
            ("HTTPS://example.org", true),
            ("mailto:info@example.org", true),
            ("tel:+441234567890", true),
            ("info@example.org", true),
            ("page?q=a:b", true),
            ("javascript:alert(1)", false),
            ("data:text/html,x", false),
            ("java\tscript:x", false),
            (" https://example.org", false),
            ("\u{ff4a}avascript:x", false),
        ];
        for (destination, safe) in cases {
            assert_eq!(
                plainly_safe_destination(destination),
                safe,
                "{destination:?}"
            );
        }
    }

    #[test]
    fn markdown_features_render_without_the_sanitiser_and_without_inline_style() {
        // Rendering checks (in debug builds) that the sanitiser would change nothing here.
        let body = "## Table {#the-table}\n\n| a | b |\n|:--|--:|\n| 1 | \"2\" |\n\n\
                    ```rust\nlet x = 1 < 2;\n```\n\n3. three\n4. four\n\n\
                    ~~old~~ and \"smart\" quotes -- dashes\\\nbreak &amp; &copy;\n\n\
                    ![Alt text](/static/a.png \"Title\") [link](https://example.org \"T\") \
                    <https://example.org> <info@example.org>\n\nNote[^n].\n\n[^n]: A note.\n";
        let html = render(body).html;
        assert!(!html.contains("style="), "{html}");
        assert!(!html.contains("language-"), "{html}");
        assert!(html.contains("<ol start=\"3\">"), "{html}");
        assert!(html.contains("href=\"mailto:info@example.org\""), "{html}");
        assert!(is_clean(&html));
    }

    #[test]
    fn citations_become_numbered_superscripts() {
        let body = "Most go home [@b].\n\nSome stay [@a; @b]. See [a link](/x) and `[@code]`.\n\n## Why [@c]\n";
        let r = render(body);
        let ids: Vec<&str> = r.citations.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(ids, ["b", "a", "b", "c"]);
        for c in &r.citations {
            assert_eq!(&body[c.span.clone()], c.id);
        }
        assert!(
            r.html.contains(
                "home<sup class=\"cite\">[<a href=\"#source-b\" title=\"Source 1\">1</a>]</sup>."
            ),
            "{}",
            r.html
        );
        assert!(r.html.contains("[<a href=\"#source-a\" title=\"Source 2\">2</a>, <a href=\"#source-b\" title=\"Source 1\">1</a>]"), "{}", r.html);
        assert!(r.html.contains("<code>[@code]</code>"), "{}", r.html);
        assert_eq!(r.links.len(), 1, "{:?}", r.links);
        assert!(
            !r.plain_text.contains("@b") && !r.plain_text.contains("@a"),
            "{}",
            r.plain_text
        );
        assert!(r.plain_text.contains("Most go home."), "{}", r.plain_text);
        assert!(r.raw_html.is_empty());
        assert!(is_clean(&r.html), "{}", r.html);
        // With raw HTML the sanitiser runs, and keeps citations as they are.
        let sanitised = render("<b>x</b> [@a]\n");
        assert!(
            sanitised.html.contains(
                "<sup class=\"cite\">[<a href=\"#source-a\" title=\"Source 1\">1</a>]</sup>"
            ),
            "{}",
            sanitised.html
        );
        // A reference link with a definition is a link, not a citation.
        let defined = render("[@a]\n\n[@a]: /procedures/x\n");
        assert!(defined.citations.is_empty() && defined.links.len() == 1);
    }

    #[test]
    fn tables_and_footnotes_render() {
        let r = render("| a | b |\n|---|---|\n| 1 | 2 |\n\nText[^1].\n\n[^1]: Note.\n");
        assert!(r.html.contains("<table>"), "{}", r.html);
        assert!(r.html.contains("footnote"), "{}", r.html);
    }
}
