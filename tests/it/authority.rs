//! The content authority format (issue 15): sources, citations, risks, review status and care
//! cards, checked by `Library::load` and shown on the page.

use std::path::Path;

use irinfo::content::{Library, LoadOptions};

use crate::support::*;

fn load(dir: &Path) -> irinfo::content::LoadOutcome {
    Library::load(&LoadOptions::published(
        dir.to_path_buf(),
        repo().join("static"),
        jiff::civil::date(2026, 6, 1),
    ))
}

const COIL_RISK: &str = "[[risks]]\nwhat = \"Pain for a day or two\"\nfrequency = \"1 in 2\"\nsources = [\"test-leaflet\"]\n";

/// The fixture's coil sheet with its one risk replaced by `risks`.
fn coil_with_risks(risks: &str) -> tempfile::TempDir {
    let dir = minimal_copy();
    edit(dir.path(), "procedures/coil.md", COIL_RISK, risks);
    dir
}

#[test]
fn the_fixture_uses_every_part_of_the_format_without_a_problem() {
    let outcome = load(&repo().join("tests/fixtures/minimal"));
    assert!(outcome.diagnostics.is_empty(), "{}", outcome.diagnostics);
    let library = outcome.library.unwrap();
    assert_eq!(library.bibliography.len(), 4);
    let balloon = library.procedure("balloon").unwrap();
    assert_eq!(balloon.front.risks.len(), 3);
    assert_eq!(balloon.meta.review.history[0].version, "1.1");
    assert!(balloon.meta.review.clinical_review.is_none());
}

#[test]
fn each_risk_rule_is_an_error_where_it_is_written() {
    // (risks replacing the coil's, expected "line:col", part of the message). The risk block
    // starts on line 13 of procedures/coil.md.
    let cases = [
        (
            "[[risks]]\nwhat = \"Pain\"\n",
            "coil.md:13:1",
            "a risk needs `frequency` (such as \"1 in 100\") or, when no published figure exists, `frequency_unknown`",
        ),
        (
            "[[risks]]\nwhat = \"Pain\"\nfrequency = \"1 in 2\"\nsources = [\"test-leaflet\"]\nfrequency_unknown = \"No study.\"\n",
            "coil.md:17:21",
            "either `frequency` or `frequency_unknown`, not both",
        ),
        (
            "[[risks]]\nwhat = \"Rare pain\"\nfrequency = \"1 in 2\"\nsources = [\"test-leaflet\"]\n",
            "coil.md:14:9",
            "`what` says \"rare\", a band that disagrees with the number: 1 in 2 is very common",
        ),
        (
            "[[risks]]\nwhat = \"Pain\"\nfrequency = \"rare\"\nsources = [\"test-leaflet\"]\n",
            "coil.md:15:13",
            "write the frequency as a number, like \"3 in 100\"",
        ),
        (
            "[[risks]]\nwhat = \"Pain\"\nfrequency = \"1%\"\nsources = [\"test-leaflet\"]\n",
            "coil.md:15:13",
            "write the frequency as a number",
        ),
        (
            "[[risks]]\nwhat = \"Pain\"\nfrequency = \"5 to 2 in 100\"\nsources = [\"test-leaflet\"]\n",
            "coil.md:15:13",
            "the second number of the range is not bigger than the first",
        ),
        (
            "[[risks]]\nwhat = \"Pain\"\nfrequency = \"11 in 10\"\nsources = [\"test-leaflet\"]\n",
            "coil.md:15:13",
            "more people than the number after `in`",
        ),
        (
            "[[risks]]\nwhat = \"Pain\"\nfrequency = \"1 in 2\"\n",
            "coil.md:15:13",
            "a risk with a `frequency` needs `sources`",
        ),
        (
            "[[risks]]\nwhat = \"Pain\"\nfrequency = \"1 in 2\"\nsources = [\"no-such-source\"]\n",
            "coil.md:16:13",
            "unknown source `no-such-source`",
        ),
    ];
    for (risks, location, message) in cases {
        let dir = coil_with_risks(risks);
        let report = refused_with(&load(dir.path()), 1, risks);
        assert_reported(&report, location, message);
    }
}

#[test]
fn unknown_sources_are_errors_wherever_they_are_cited() {
    let dir = minimal_copy();
    // In the body, in a page's `sources` and in a dose entry.
    edit(
        dir.path(),
        "procedures/balloon.md",
        "A balloon widens a pipe [@test-guideline].",
        "A balloon widens a pipe [@test-guideline; @test-guidline].",
    );
    edit(
        dir.path(),
        "conditions/narrow-pipe.md",
        "review_group = \"Test group\"\n",
        "review_group = \"Test group\"\nsources = [\"nobody-2020\"]\n",
    );
    edit(
        dir.path(),
        "radiation/doses.toml",
        "source = \"test-survey\"",
        "source = \"test-surveys\"",
    );
    let report = refused_with(&load(dir.path()), 3, "the broken copy");
    let body_line = std::fs::read_to_string(dir.path().join("procedures/balloon.md"))
        .unwrap()
        .lines()
        .position(|l| l.contains("@test-guidline"))
        .unwrap()
        + 1;
    assert_reported(
        &report,
        &format!("balloon.md:{body_line}:44"),
        "unknown source `test-guidline`: it is not in content/sources/*.toml. Add it there (see content/README.md) or fix the id. Did you mean `test-guideline`?",
    );
    assert_reported(
        &report,
        "narrow-pipe.md:10:13",
        "unknown source `nobody-2020`",
    );
    assert_reported(&report, "doses.toml:", "unknown source `test-surveys`");
}

#[test]
fn the_bibliography_refuses_a_duplicate_id_and_warns_about_repeats_and_unused_sources() {
    let dir = minimal_copy();
    std::fs::write(
        dir.path().join("sources/work-in-progress.toml"),
        "[[source]]\nid = \"test-study\"\npublisher = \"Again\"\ntitle = \"T\"\nurl = \"https://example.org/other\"\nkind = \"study\"\n\n\
         [[source]]\nid = \"unused-report\"\npublisher = \"Nobody\"\ntitle = \"T\"\nurl = \"https://example.org/test-survey/\"\nkind = \"report\"\n",
    )
    .unwrap();
    let report = refused_with(&load(dir.path()), 1, "the broken copy");
    assert_reported(
        &report,
        "sources/work-in-progress.toml:2:6",
        "duplicate source id `test-study`",
    );
    assert_reported(
        &report,
        "sources/work-in-progress.toml:2:6",
        "sources/test.toml:20:6 has it already",
    );
    assert_reported(
        &report,
        "sources/work-in-progress.toml:12:7: warning",
        "source `unused-report` has the same url as `test-survey`",
    );
    assert_reported(
        &report,
        "sources/work-in-progress.toml:9:6: warning",
        "the source `unused-report` is not cited by any page, risk or dose",
    );
}

#[test]
fn a_sheet_with_few_sources_or_no_risks_or_a_hand_written_list_is_warned_about() {
    let dir = minimal_copy();
    edit(
        dir.path(),
        "procedures/coil.md",
        "sources = [\"test-leaflet\", \"test-guideline\", \"test-study\"]\n",
        "",
    );
    edit(dir.path(), "procedures/coil.md", COIL_RISK, "");
    edit(
        dir.path(),
        "procedures/coil.md",
        "## Risks and how common they are\nRare.\n",
        "## Risks and how common they are\n- Bleeding, which is rare.\n",
    );
    let outcome = load(dir.path());
    let report = outcome.diagnostics.to_string();
    assert!(outcome.library.is_some(), "warnings only: {report}");
    assert_eq!(outcome.diagnostics.error_count(), 0, "{report}");
    assert_reported(
        &report,
        "procedures/coil.md:2:1: warning",
        "this sheet cites 0 sources: cite at least 3",
    );
    assert_reported(
        &report,
        "procedures/coil.md:2:1: warning",
        "this sheet has no `[[risks]]` yet",
    );
    assert_reported(
        &report,
        "procedures/coil.md:27:1: warning",
        "write risks as [[risks]] in the front matter, not as a list here",
    );
    edit(
        dir.path(),
        "procedures/coil.md",
        "## Afterwards\n",
        "## Afterwards\nCall 999 if you feel faint.\n",
    );
    let outcome = load(dir.path());
    let report = outcome.diagnostics.to_string();
    assert_reported(
        &report,
        "procedures/coil.md:25:6: warning",
        "write when to get help as [get_help]",
    );
    // The leaflet was cited by the coil alone.
    assert_reported(
        &report,
        "warning: the source `test-leaflet` is not cited",
        "",
    );
}

#[test]
fn review_status_rules() {
    let cases = [
        (
            "[clinical_review]\ndate = 2026-01-01\n",
            "coil.md:13:1",
            "a reviewed page without a reviewer",
        ),
        (
            "[clinical_review]\nreviewer = \"Consultant interventional radiologist\"\n",
            "coil.md:13:1",
            "a reviewed page without a date",
        ),
    ];
    for (table, location, message) in cases {
        let dir = coil_with_risks(&format!("{table}\n{COIL_RISK}"));
        let report = refused_with(&load(dir.path()), 1, table);
        assert_reported(&report, location, message);
    }

    // The removed fields are refused with what replaces them; the history must be in order.
    let dir = minimal_copy();
    edit(
        dir.path(),
        "procedures/coil.md",
        "review_group = \"Test group\"\n",
        "reviewed_by = \"Test group\"\nlast_reviewed = 2026-01-10\n",
    );
    edit(
        dir.path(),
        "procedures/balloon.md",
        "version = \"1.1\", date = 2026-02-01",
        "version = \"1.1\", date = 2025-02-01",
    );
    edit(
        dir.path(),
        "procedures/balloon.md",
        "x_rays = \"yes\"\n",
        "x_rays = \"yes\"\ntypical_dose_msv = 12.0\n",
    );
    let outcome = load(dir.path());
    let report = outcome.diagnostics.to_string();
    assert_reported(
        &report,
        "coil.md:10:15",
        "`reviewed_by` has been removed: write `review_group`",
    );
    assert_reported(&report, "coil.md:11:17", "`last_reviewed` has been removed");
    assert_reported(&report, "coil.md:2:1", "the page needs `review_group`");
    assert_reported(&report, "balloon.md:10:", "the history is out of order");
    assert_reported(
        &report,
        "balloon.md:8:20",
        "`typical_dose_msv` has been removed",
    );
    assert_eq!(outcome.diagnostics.error_count(), 5, "{report}");
}

#[test]
fn a_dose_can_be_a_range_and_the_table_and_panel_show_it() {
    let dir = minimal_copy();
    edit(
        dir.path(),
        "radiation/doses.toml",
        "msv = 12.0",
        "msv_low = 5.0\nmsv_high = 50.0",
    );
    let mut config = shipped_config();
    config.paths.content = dir.path().to_path_buf();
    let state = state_for(config);
    let router = irinfo::web::router(state);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let sheet = get(&router, "/procedures/balloon").await;
        assert!(
            sheet
                .body
                .contains("<dt>Typical range</dt>\n    <dd class=\"dose-msv\">5 to 50 mSv"),
            "{}",
            sheet.body
        );
        assert!(
            // Both ends against 2.3 mSv a year of natural background.
            sheet
                .body
                .contains("<dd>from about 2 years to about 22 years</dd>"),
            "{}",
            sheet.body
        );
        let table = get(&router, "/radiation/doses").await;
        // The chart draws the range as a box from its lowest to its highest dose.
        assert!(
            table.body.contains("class=\"chart-range\""),
            "{}",
            table.body
        );
        assert!(table.body.contains(">5 to 50 mSv</text>"), "{}", table.body);
        assert!(
            table
                .body
                .contains("<td class=\"dose-msv\" data-label=\"Typical dose\">5 to 50 mSv</td>"),
            "{}",
            table.body
        );
    });

    // One end alone is refused, and so is a range upside down.
    for (from, to, message) in [
        (
            "msv = 12.0",
            "msv_low = 5.0",
            "a range needs both `msv_low` and `msv_high`",
        ),
        (
            "msv = 12.0",
            "msv_low = 50.0\nmsv_high = 5.0",
            "must be more than its `msv_low`",
        ),
        (
            "msv = 12.0",
            "msv = 60.0\nmsv_low = 5.0\nmsv_high = 50.0",
            "outside its range",
        ),
        (
            "msv = 12.0",
            "note = \"none\"",
            "needs `msv` (a typical dose), or both",
        ),
    ] {
        let dir = minimal_copy();
        edit(dir.path(), "radiation/doses.toml", from, to);
        let report = refused_report(&load(dir.path()), to);
        assert_reported(&report, "radiation/doses.toml:", message);
    }
}

#[tokio::test]
async fn a_sheet_shows_its_risks_scale_care_cards_sources_and_review_status() {
    let router = irinfo::web::router(state_for(fixture_config("minimal")));
    let body = get(&router, "/procedures/balloon").await.body;
    for expected in [
        // Each risk with its band and its number in words, and its sources.
        "<dt>Bruising where the tube went in</dt>",
        "<strong class=\"band band-common\">Common:</strong> about 3 in 100 people<sup class=\"cite\">[<a href=\"#source-test-study\" title=\"Source 2\">2</a>]</sup>",
        "<dd class=\"risk-treatment\">It fades in a week or two.</dd>",
        "<strong class=\"band band-rare\">Rare:</strong> between 1 and 5 in 10,000 people<sup class=\"cite\">[<a href=\"#source-test-survey\" title=\"Source 3\">3</a>, <a href=\"#source-test-study\" title=\"Source 2\">2</a>]</sup>",
        "<strong class=\"band band-unknown\">Not known:</strong> No study has counted how often this happens.",
        // The fixed scale.
        "<th scope=\"row\"><span class=\"band band-very-common\">Very common</span></th><td>1 in 10 or more</td>",
        "<td>1 in 100 up to 1 in 10</td>",
        "<td>1 in 1,000 up to 1 in 100</td>",
        "<td>1 in 10,000 up to 1 in 1,000</td>",
        "<td>fewer than 1 in 10,000</td>",
        // Care cards.
        "Call 999 or go to A&amp;E now if:</h3>",
        "<li>you have chest pain</li>",
        "Get help the same day: call the number on your discharge letter or NHS 111 if:</h3>",
        "Contact your team or GP if:</h3>",
        // Citations in the body, numbered by first citation.
        "widens a pipe<sup class=\"cite\">[<a href=\"#source-test-guideline\" title=\"Source 1\">1</a>]</sup>.",
        // The numbered sources.
        "<h2 id=\"page-sources-heading\">Sources</h2>",
        "<li id=\"source-test-guideline\" value=\"1\">Test Institute (TI). A made-up guideline used by the tests. 2024.",
        "<li id=\"source-test-study\" value=\"2\">Tester A, Checker B. A made-up study of balloons. Journal of Tests 1(2):3-4. 2022.",
        "<a href=\"https://example.org/test-study\">Read the source<span class=\"visually-hidden\">: Tester 2022</span></a>",
        // Review status, version and history.
        "This page has not yet been checked by a clinical reviewer.",
        "Version 1.1, last changed on <time datetime=\"2026-02-01\">1 February 2026</time>.",
        "<li><strong>Version 1.0</strong>, <time datetime=\"2026-01-10\">10 January 2026</time>: First published.</li>",
    ] {
        assert!(
            body.contains(expected),
            "the sheet lacks {expected:?}:\n{body}"
        );
    }
    // Every citation links to an item of the list.
    for href in body.split("href=\"#source-").skip(1) {
        let id = href.split('"').next().unwrap();
        assert!(
            body.contains(&format!("id=\"source-{id}\"")),
            "no list item for {id}"
        );
    }
    // The raw citation syntax never shows.
    assert!(!body.contains("[@"), "{body}");
    // The cards end "Afterwards"; the risks end their own section, before "Radiation".
    let at = |text: &str| body.find(text).unwrap_or_else(|| panic!("no {text}"));
    assert!(at("<h2 id=\"afterwards\">") < at("class=\"care-cards\""));
    assert!(at("class=\"care-cards\"") < at("<h2 id=\"risks-and-how-common-they-are\">"));
    assert!(at("<h2 id=\"risks-and-how-common-they-are\">") < at("class=\"risk-list\""));
    assert!(at("class=\"risk-scale\"") < at("<h2 id=\"radiation\">"));
    assert!(at("<h2 id=\"radiation\">") < at("id=\"page-sources-heading\""));
    assert!(at("id=\"page-sources-heading\"") < at("id=\"page-history-heading\""));
}

#[tokio::test]
async fn a_reviewed_page_says_who_reviewed_it_and_when() {
    let dir = coil_with_risks(&format!(
        "[clinical_review]\nreviewer = \"Consultant interventional radiologist\"\ndate = 2026-03-01\n\n{COIL_RISK}"
    ));
    let mut config = shipped_config();
    config.paths.content = dir.path().to_path_buf();
    let router = irinfo::web::router(state_for(config));
    let reviewed = get(&router, "/procedures/coil").await;
    assert!(
        reviewed.body.contains("Checked by a clinical reviewer (Consultant interventional radiologist) on <time datetime=\"2026-03-01\">1 March 2026</time>."),
        "{}",
        reviewed.body
    );
    assert!(!reviewed.body.contains("not yet been checked"));
    let other = get(&router, "/procedures/balloon").await;
    assert!(
        other
            .body
            .contains("This page has not yet been checked by a clinical reviewer.")
    );
}

#[tokio::test]
async fn search_finds_search_terms_and_never_shows_citation_syntax() {
    let dir = minimal_copy();
    edit(
        dir.path(),
        "procedures/coil.md",
        "review_group = \"Test group\"\n",
        "review_group = \"Test group\"\nsearch_terms = [\"spring embolization\"]\n",
    );
    let mut config = shipped_config();
    config.paths.content = dir.path().to_path_buf();
    let router = irinfo::web::router(state_for(config));
    let found = get(&router, "/search?q=spring").await;
    assert!(found.body.contains("/procedures/coil"), "{}", found.body);
    let coil = get(&router, "/procedures/coil").await;
    assert!(
        !coil.body.contains("spring embolization"),
        "search terms are not shown"
    );
    let balloon = get(&router, "/search?q=balloon+widens").await.body;
    assert!(balloon.contains("/procedures/balloon"), "{balloon}");
    assert!(
        !balloon.contains("[@") && !balloon.contains("@test"),
        "{balloon}"
    );
}
