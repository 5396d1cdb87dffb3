//! The leaflet as a web page for printing: what the PDF shows (see [`crate::leaflet`]), written
//! as HTML from the same data, below the "Your hospital" box of the hospital form.
//!
//! The sheet's own page is rendered once for everyone and keeps no body, so the print view is
//! made from the leaflet's blocks instead, which the Site keeps for typesetting anyway. Every
//! text is escaped here; the markup is the small set the blocks need.

use std::fmt::Write as _;

use crate::leaflet::{Block, Leaflet, Part, Run};

/// Escapes text for HTML content and attribute values, as the templates do.
fn escape(text: &str) -> String {
    super::escape_markup(text, "&#39;")
}

fn runs(out: &mut String, runs: &[Run]) {
    for run in runs {
        if let Some(cite) = &run.cite {
            let _ = write!(out, "<sup class=\"cite\">[{}]</sup>", escape(cite));
        } else if let Some(url) = &run.url {
            let _ = write!(out, " ({})", escape(url));
        } else {
            let mut text = escape(&run.text);
            if run.emph {
                text = format!("<em>{text}</em>");
            }
            if run.strong {
                text = format!("<strong>{text}</strong>");
            }
            out.push_str(&text);
        }
    }
}

fn blocks(out: &mut String, leaflet: &Leaflet, list: &[Block]) {
    for block in list {
        match block {
            // The page's h1 is its own; the leaflet's title is an h2, its sections h3 and below.
            Block::Heading { level, text } => {
                let level = (level + 2).min(6);
                let _ = writeln!(out, "<h{level}>{}</h{level}>", escape(text));
            }
            Block::Paragraph { runs: text } => {
                out.push_str("<p>");
                runs(out, text);
                out.push_str("</p>\n");
            }
            Block::List { ordered, items } => {
                let tag = if *ordered { "ol" } else { "ul" };
                let _ = writeln!(out, "<{tag}>");
                for item in items {
                    out.push_str("<li>");
                    // A tight item is one paragraph: without its <p>, as the page has it.
                    match item.as_slice() {
                        [Block::Paragraph { runs: text }] => runs(out, text),
                        _ => blocks(out, leaflet, item),
                    }
                    out.push_str("</li>\n");
                }
                let _ = writeln!(out, "</{tag}>");
            }
            Block::Insert { what } => insert(out, leaflet, *what),
        }
    }
}

fn plain_list(out: &mut String, items: &[String]) {
    out.push_str("<ul>");
    for item in items {
        let _ = write!(out, "<li>{}</li>", escape(item));
    }
    out.push_str("</ul>\n");
}

/// Opens a table under its heading, in a region that scrolls on a narrow screen and is named
/// by the heading; `heading` and `columns` are the page's own words, written as they are.
fn open_table(out: &mut String, heading: &str, columns: [&str; 2]) {
    let [first, second] = columns;
    let _ = writeln!(
        out,
        "<h4>{heading}</h4>\n<div class=\"table-scroll\" role=\"region\" aria-label=\"{heading}\" tabindex=\"0\"><table class=\"print-table\"><thead><tr><th scope=\"col\">{first}</th><th scope=\"col\">{second}</th></tr></thead><tbody>"
    );
}

/// Closes what [`open_table`] opened.
fn close_table(out: &mut String) {
    out.push_str("</tbody></table></div>\n");
}

fn insert(out: &mut String, leaflet: &Leaflet, what: Part) {
    match what {
        Part::GetHelp => {
            let Some(help) = &leaflet.get_help else {
                return;
            };
            for (heading, items) in [
                ("Call 999 or go to A&E now if:", &help.call_999),
                (
                    "Get help the same day: call the number on your discharge letter or NHS 111 if:",
                    &help.same_day,
                ),
                ("Contact your team or GP if:", &help.non_urgent),
            ] {
                if !items.is_empty() {
                    let _ = write!(out, "<div class=\"panel\"><h4>{}</h4>", escape(heading));
                    plain_list(out, items);
                    out.push_str("</div>\n");
                }
            }
        }
        Part::Risks => {
            if !leaflet.risks.is_empty() {
                open_table(
                    out,
                    "Each risk and how common it is",
                    ["Risk", "How common it is"],
                );
                for risk in &leaflet.risks {
                    let _ = write!(out, "<tr><td>{}", escape(&risk.what));
                    if let Some(treatment) = &risk.treatment {
                        let _ = write!(out, " {}", escape(treatment));
                    }
                    let _ = write!(out, "</td><td>{}", escape(&risk.how_common));
                    if let Some(cites) = &risk.cites {
                        let _ = write!(out, "<sup class=\"cite\">[{}]</sup>", escape(cites));
                    }
                    out.push_str("</td></tr>\n");
                }
                close_table(out);
            }
            open_table(
                out,
                "What the words for how common a risk is mean",
                ["Word", "How many people it happens to"],
            );
            for row in &leaflet.scale {
                let _ = writeln!(
                    out,
                    "<tr><th scope=\"row\">{}</th><td>{}</td></tr>",
                    escape(&row.word),
                    escape(&row.meaning)
                );
            }
            close_table(out);
        }
        Part::Radiation => {
            out.push_str("<div class=\"panel\"><h4>Radiation at a glance</h4>\n");
            for paragraph in &leaflet.radiation.before {
                let _ = writeln!(out, "<p>{}</p>", escape(paragraph));
            }
            if !leaflet.radiation.facts.is_empty() {
                out.push_str("<dl class=\"dose-facts\">");
                for fact in &leaflet.radiation.facts {
                    let _ = write!(
                        out,
                        "<dt>{}</dt><dd>{}</dd>",
                        escape(&fact.term),
                        escape(&fact.value)
                    );
                }
                out.push_str("</dl>\n");
            }
            for paragraph in &leaflet.radiation.after {
                let _ = writeln!(out, "<p>{}</p>", escape(paragraph));
            }
            out.push_str("</div>\n");
        }
    }
}

/// The leaflet's text as HTML: title, versions, body with its care cards, risks and radiation
/// panel, sources, and where the latest version is.
pub(crate) fn leaflet_html(leaflet: &Leaflet) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "<h2>{}</h2>", escape(&leaflet.title));
    let _ = writeln!(out, "<p class=\"lead\">{}</p>", escape(&leaflet.summary));
    let _ = writeln!(
        out,
        "<p class=\"review-dates\">Version {}, {}. Next review due by {}. {}</p>",
        escape(&leaflet.version),
        escape(&leaflet.version_date),
        escape(&leaflet.next_review),
        escape(&leaflet.review_notice)
    );
    blocks(&mut out, leaflet, &leaflet.blocks);
    if !leaflet.sources.is_empty() {
        out.push_str("<h3>Sources</h3>\n<ol class=\"sources\">\n");
        for source in &leaflet.sources {
            let _ = writeln!(
                out,
                "<li value=\"{}\">{} {}. {}</li>",
                source.number,
                escape(&source.citation),
                escape(&source.kind),
                escape(&source.url)
            );
        }
        out.push_str("</ol>\n");
    }
    let _ = writeln!(
        out,
        "<h3>About this leaflet</h3>\n<p>{}</p>\n<p>Published by {}. The latest version of this leaflet is at {}.</p>",
        escape(&leaflet.disclaimer),
        escape(&leaflet.publisher),
        escape(&leaflet.url)
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped_and_styles_kept() {
        let mut out = String::new();
        runs(
            &mut out,
            &[
                Run {
                    text: "<b>A & B</b> ".into(),
                    ..Run::default()
                },
                Run {
                    text: "bold".into(),
                    strong: true,
                    ..Run::default()
                },
                Run {
                    cite: Some("1, 2".into()),
                    ..Run::default()
                },
            ],
        );
        assert_eq!(
            out,
            "&lt;b&gt;A &amp; B&lt;/b&gt; <strong>bold</strong><sup class=\"cite\">[1, 2]</sup>"
        );
    }
}
