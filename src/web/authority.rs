//! What a page shows of its authority: its numbered sources, its risks with their bands and
//! numbers, its care cards, and where in the body the site adds them.
//!
//! Built once per page when the site is rendered, for the components in
//! `templates/_authority.html`, so every kind of page shows these things the same way.

use crate::content::authority::{AFTERWARDS_SECTION, RISKS_SECTION};
use crate::content::front_matter::PageMeta;
use crate::content::markdown::RenderedMarkdown;
use crate::content::risks::{Band, GetHelp, Risk};
use crate::content::sources::{self, NumberedSource};
use crate::content::values::capitalise;
use crate::content::{Library, ProcedureSheet};

/// One item of a page's numbered "Sources" list.
#[derive(Debug, Clone)]
pub struct SourceItem {
    pub number: usize,
    /// The id of the list item: citations link to `#{anchor}`.
    pub anchor: String,
    /// "Schabelman E, Witting M. Title. Journal. 2010."
    pub citation: String,
    pub url: String,
    /// "Mettler 2008", for the link's accessible name.
    pub short: String,
    /// "Guideline", "Patient leaflet".
    pub kind: &'static str,
}

/// A citation mark after a risk: its number and the list item it links to.
#[derive(Debug, Clone)]
pub struct CiteLink {
    pub number: usize,
    pub anchor: String,
}

/// One risk, ready to show.
#[derive(Debug, Clone)]
pub struct RiskItem {
    pub what: String,
    /// "Common" or "Uncommon to common"; `None` when the frequency is not known.
    pub band: Option<String>,
    /// For styling: the more common end's band.
    pub band_slug: &'static str,
    /// "about 3 in 100 people".
    pub in_words: Option<String>,
    /// Why no figure is known.
    pub unknown_reason: Option<String>,
    pub treatment: Option<String>,
    pub cites: Vec<CiteLink>,
}

/// One row of the fixed scale printed on every sheet.
#[derive(Debug, Clone)]
pub struct ScaleRow {
    /// "Very common".
    pub word: String,
    pub slug: &'static str,
    /// "1 in 10 or more".
    pub meaning: &'static str,
}

/// A page's body, cut where the site adds the care cards and the risk list.
#[derive(Debug, Clone, Default)]
pub struct BodyParts {
    /// Up to the end of "Afterwards".
    pub before_cards: String,
    /// From the end of "Afterwards" to the end of "Risks and how common they are".
    pub before_risks: String,
    /// The rest of the body.
    pub rest: String,
}

/// Everything a page shows of its sources, risks and care advice.
#[derive(Debug, Clone, Default)]
pub struct AuthorityView {
    pub sources: Vec<SourceItem>,
    pub risks: Vec<RiskItem>,
    pub get_help: Option<GetHelp>,
    pub scale: Vec<ScaleRow>,
    pub body: BodyParts,
    /// The sheet's illustration, if it names one.
    pub diagram: Option<DiagramView>,
}

/// An illustration as the sheet shows it: the drawing's address, its alt text and description.
#[derive(Debug, Clone)]
pub struct DiagramView {
    pub src: String,
    pub alt: &'static str,
    pub description: &'static str,
}

impl AuthorityView {
    /// For any page: its sources, numbered by first citation (body, then `sources`).
    pub fn for_page(meta: &PageMeta, body: &RenderedMarkdown, library: &Library) -> Self {
        let cited = cited_ids(meta, body, &[]);
        Self {
            sources: source_items(sources::numbered(cited, &library.bibliography)),
            body: BodyParts {
                rest: body.html.clone(),
                ..BodyParts::default()
            },
            ..Self::default()
        }
    }

    /// For a procedure sheet: also its risks, care cards and the fixed scale, with the body cut
    /// at the end of "Afterwards" and of "Risks and how common they are". The sheet's dose
    /// source, if the table has one, ends its list of sources.
    pub fn for_sheet(sheet: &ProcedureSheet, library: &Library) -> Self {
        let bibliography = &library.bibliography;
        let mut cited = cited_ids(&sheet.meta, &sheet.body, &sheet.front.risks);
        if let Some(dose) = library.doses.for_procedure(&sheet.slug) {
            cited.push(dose.source.clone());
        }
        let numbered = sources::numbered(cited, bibliography);
        let risks = sheet
            .front
            .risks
            .iter()
            .map(|r| risk_item(r.get_ref(), &numbered))
            .collect();
        Self {
            sources: source_items(numbered),
            risks,
            get_help: sheet.front.get_help.clone().filter(|h| !h.is_empty()),
            diagram: sheet
                .front
                .diagram
                .as_ref()
                .and_then(|name| crate::content::diagrams::diagram(name.get_ref()))
                .map(|d| DiagramView {
                    src: format!("/static/diagrams/{}.svg", d.name),
                    alt: d.alt,
                    description: d.description,
                }),
            scale: Band::SCALE
                .iter()
                .map(|band| ScaleRow {
                    word: capitalise(band.word()),
                    slug: band.slug(),
                    meaning: band.meaning(),
                })
                .collect(),
            body: split_body(&sheet.body),
        }
    }
}

/// Source ids in citing order: the body, then the risks, then the page's `sources`.
fn cited_ids(
    meta: &PageMeta,
    body: &RenderedMarkdown,
    risks: &[toml::Spanned<Risk>],
) -> Vec<String> {
    sources::page_citations(meta, body, risks, 0, 0)
        .into_iter()
        .map(|(id, _)| id)
        .collect()
}

fn source_items(numbered: Vec<NumberedSource<'_>>) -> Vec<SourceItem> {
    numbered
        .iter()
        .map(|n| SourceItem {
            number: n.number,
            anchor: n.anchor(),
            citation: n.source.citation(),
            url: n.source.url.clone(),
            short: n.source.short(),
            kind: n.source.kind.label(),
        })
        .collect()
}

fn risk_item(risk: &Risk, numbered: &[NumberedSource<'_>]) -> RiskItem {
    let frequency = risk.parsed_frequency();
    RiskItem {
        what: risk.what_text().to_string(),
        band: frequency.map(|f| f.band_label()),
        band_slug: frequency.map_or("unknown", |f| f.band_slug()),
        in_words: frequency.map(|f| f.in_words()),
        unknown_reason: risk.unknown_reason().map(str::to_string),
        treatment: risk.treatment_text().map(str::to_string),
        cites: risk
            .sources
            .iter()
            .filter_map(|id| numbered.iter().find(|n| n.source.id == *id.get_ref()))
            .map(|n| CiteLink {
                number: n.number,
                anchor: n.anchor(),
            })
            .collect(),
    }
}

/// Cuts the body's HTML before the `##` heading that follows "Afterwards", and before the one
/// that follows "Risks and how common they are" (or at the end, when the section is last).
fn split_body(body: &RenderedMarkdown) -> BodyParts {
    let html = body.html.as_str();
    let sections: Vec<_> = body.sections().collect();
    let end_of = |heading: &str| -> Option<usize> {
        let i = sections.iter().position(|h| h.text == heading)?;
        Some(match sections.get(i + 1) {
            Some(next) => html
                .find(&format!("<h2 id=\"{}\">", next.id))
                .unwrap_or(html.len()),
            None => html.len(),
        })
    };
    let risks_end = end_of(RISKS_SECTION).unwrap_or(html.len());
    let cards_end = end_of(AFTERWARDS_SECTION)
        .unwrap_or(risks_end)
        .min(risks_end);
    BodyParts {
        before_cards: html[..cards_end].to_string(),
        before_risks: html[cards_end..risks_end].to_string(),
        rest: html[risks_end..].to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::content::markdown;

    #[test]
    fn the_body_is_cut_at_the_end_of_afterwards_and_of_risks() {
        let body = markdown::render(
            "Intro.\n\n## Afterwards\n\nRest.\n\n## Risks and how common they are\n\nSome.\n\n## Radiation\n\nX.\n",
        );
        let parts = split_body(&body);
        assert!(parts.before_cards.ends_with("<p>Rest.</p>\n"), "{parts:?}");
        assert!(
            parts
                .before_risks
                .starts_with("<h2 id=\"risks-and-how-common-they-are\">")
        );
        assert!(parts.before_risks.ends_with("<p>Some.</p>\n"), "{parts:?}");
        assert!(parts.rest.starts_with("<h2 id=\"radiation\">"));
        // With the risks last, the list goes at the very end.
        let body = markdown::render(
            "## Afterwards\n\nRest.\n\n## Risks and how common they are\n\nSome.\n",
        );
        let parts = split_body(&body);
        assert!(parts.rest.is_empty() && parts.before_risks.ends_with("<p>Some.</p>\n"));
        // Without the sections, everything comes first, and nothing is lost.
        let body = markdown::render("## Other\n\nText.\n");
        let parts = split_body(&body);
        assert_eq!(
            parts.before_cards.clone() + &parts.before_risks + &parts.rest,
            body.html
        );
    }
}
