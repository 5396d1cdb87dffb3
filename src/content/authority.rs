//! The checks that make pages authoritative: every risk has a number or a reason, every cited id
//! is in the bibliography, every sheet has enough sources, and every source is used.
//!
//! Kept apart from the loader so the rules read in one place: [`check_sheet`] runs on each
//! procedure sheet as it is read; [`check_library`] runs once everything is loaded, because
//! citations cross files.

use std::collections::HashSet;

use super::diagnostics::Diagnostics;
use super::doses::DoseTable;
use super::front_matter::ProcedureFrontMatter;
use super::kinds::{PageKind, PageRef, SourceFile};
use super::markdown::RenderedMarkdown;
use super::risks::{Risk, check_risk};
use super::sources::{Bibliography, MIN_SOURCES_PER_SHEET, page_citations};

/// The section a sheet's risk list is appended to.
pub const RISKS_SECTION: &str = "Risks and how common they are";

/// The section a sheet's care cards are appended to.
pub const AFTERWARDS_SECTION: &str = "Afterwards";

/// Checks one procedure sheet's risks and removed fields.
pub fn check_sheet(
    front: &ProcedureFrontMatter,
    source: &SourceFile,
    body: &RenderedMarkdown,
    d: &mut Diagnostics,
) {
    let at = |offset: usize| source.front_matter_offset + offset;
    if let Some(dose) = &front.typical_dose_msv {
        d.error(
            &source.path,
            &source.text,
            at(dose.span().start),
            "`typical_dose_msv` has been removed: the dose is written once, in radiation/doses.toml, as the entry with `procedure = \"<this sheet's slug>\"`",
        );
    }
    if let Some(name) = &front.diagram {
        if super::diagrams::diagram(name.get_ref()).is_none() {
            let known: Vec<&str> = super::diagrams::DIAGRAMS.iter().map(|d| d.name).collect();
            d.error(
                &source.path,
                &source.text,
                at(name.span().start),
                format!(
                    "unknown diagram `{}`: use one of {}",
                    name.get_ref(),
                    known.join(", ")
                ),
            );
        }
    }
    for risk in &front.risks {
        for problem in check_risk(risk.get_ref(), risk.span().start) {
            d.error(
                &source.path,
                &source.text,
                at(problem.offset),
                problem.message,
            );
        }
    }
    if front.risks.is_empty() {
        d.warning(
            &source.path,
            &source.text,
            source.front_matter_offset,
            "this sheet has no `[[risks]]` yet: write each risk with its `frequency` and `sources` (or `frequency_unknown`); see content/README.md",
        );
    }
    if front.get_help.is_none() {
        if let Some(offset) = hand_written_get_help(source, body) {
            d.warning(
                &source.path,
                &source.text,
                offset,
                "write when to get help as [get_help] (call_999, same_day, non_urgent) in the front matter: the site adds the care cards to the end of \"Afterwards\"",
            );
        }
    }
    if let Some(offset) = hand_written_list(body, RISKS_SECTION) {
        d.warning(
            &source.path,
            &source.text,
            source.body_offset + offset,
            "write risks as [[risks]] in the front matter, not as a list here: the site adds the list, with each risk's band and number, to this section",
        );
    }
}

/// Where "Afterwards" first mentions 999 or NHS 111 (an offset in the file), when it does: advice
/// on getting help that belongs in `[get_help]`.
fn hand_written_get_help(source: &SourceFile, body: &RenderedMarkdown) -> Option<usize> {
    let sections: Vec<_> = body.sections().collect();
    let i = sections.iter().position(|h| h.text == AFTERWARDS_SECTION)?;
    let start = sections[i].span.end;
    let text = &source.text[source.body_offset..];
    let end = sections.get(i + 1).map_or(text.len(), |h| h.span.start);
    let section = text.get(start..end)?;
    ["999", "NHS 111"]
        .iter()
        .filter_map(|needle| section.find(needle))
        .min()
        .map(|at| source.body_offset + start + at)
}

/// Where the first list item in the `##` section `heading` starts, if the section has a list.
fn hand_written_list(body: &RenderedMarkdown, heading: &str) -> Option<usize> {
    let sections: Vec<_> = body.sections().collect();
    let i = sections.iter().position(|h| h.text == heading)?;
    let start = sections[i].span.end;
    let end = sections.get(i + 1).map(|h| h.span.start);
    body.list_items
        .iter()
        .copied()
        .find(|&item| item >= start && end.is_none_or(|end| item < end))
}

/// The checks that span files: citations against the bibliography, sources per sheet, and
/// sources nobody cites.
pub fn check_library(
    pages: &[PageRef<'_>],
    bibliography: &Bibliography,
    doses: &DoseTable,
    d: &mut Diagnostics,
) {
    let mut cited: HashSet<String> = HashSet::new();
    for page in pages {
        let risks: &[toml::Spanned<Risk>] = page
            .front::<ProcedureFrontMatter>()
            .map_or(&[], |front| front.risks.as_slice());
        let citations = page_citations(
            &page.meta,
            &page.body,
            risks,
            page.source.front_matter_offset,
            page.source.body_offset,
        );
        let distinct: HashSet<&str> = citations
            .iter()
            .map(|(id, _)| id.as_str())
            .filter(|id| bibliography.get(id).is_some())
            .collect();
        if page.kind == PageKind::Procedure && distinct.len() < MIN_SOURCES_PER_SHEET {
            d.warning(
                &page.source.path,
                &page.source.text,
                page.source.front_matter_offset,
                format!(
                    "this sheet cites {} source{}: cite at least {MIN_SOURCES_PER_SHEET} (in the text with [@id], in [[risks]] or in `sources`)",
                    distinct.len(),
                    if distinct.len() == 1 { "" } else { "s" }
                ),
            );
        }
        cited.extend(distinct.iter().map(|id| id.to_string()));
        bibliography.check_cited(citations, &page.source.path, &page.source.text, d);
    }
    cited.extend(doses.entries.iter().map(|e| e.source.clone()));
    bibliography.warn_uncited(&cited, d);
}
