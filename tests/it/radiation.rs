//! Radiation doses: the table and charts at /radiation/doses, the panel on procedure sheets, the
//! comparison page, and the checks that keep doses.toml and the sheets in agreement.

use axum::http::StatusCode;

use crate::support::*;

/// Each `<svg>` on a page with the text of the table that follows it (up to the next chart).
fn charts_with_tables(body: &str) -> Vec<(&str, Option<&str>)> {
    let mut found = Vec::new();
    let mut rest = body;
    while let Some(start) = rest.find("<svg") {
        let after = &rest[start..];
        let end = after.find("</svg>").expect("closed svg") + "</svg>".len();
        let svg = &after[..end];
        let tail = &after[end..];
        let next_chart = tail.find("<svg").unwrap_or(tail.len());
        let table = between(&tail[..next_chart], "<tbody>", "</tbody>");
        found.push((svg, table));
        rest = tail;
    }
    found
}

/// The value of `attribute` on the first tag that has it.
fn attribute<'a>(tag: &'a str, attribute: &str) -> Option<&'a str> {
    between(tag, &format!("{attribute}=\""), "\"")
}

/// Checks what every chart must have: role="img", a title and a description it points at.
fn assert_accessible_chart(svg: &str) {
    assert_eq!(attribute(svg, "role"), Some("img"), "{svg}");
    let labelled_by = attribute(svg, "aria-labelledby").expect("aria-labelledby");
    let ids: Vec<&str> = labelled_by.split(' ').collect();
    assert_eq!(ids.len(), 2, "{labelled_by}");
    assert!(svg.contains(&format!("<title id=\"{}\">", ids[0])), "{svg}");
    assert!(svg.contains(&format!("<desc id=\"{}\">", ids[1])), "{svg}");
    let desc = between(svg, "<desc", "</desc>").unwrap();
    assert!(desc.contains("logarithmic"), "{desc}");
    assert!(
        desc.contains("same figures"),
        "the description must point to the text: {desc}"
    );
}

#[tokio::test]
async fn every_chart_on_the_doses_page_has_one_bar_per_row_and_a_text_alternative() {
    let (state, router) = shipped_state_and_router();
    let response = get_ok(&router, "/radiation/doses").await;
    assert_eq!(response.h1(), "Typical radiation doses");
    assert!(
        !response.body.contains("style="),
        "the CSP forbids inline styles"
    );

    let charts = charts_with_tables(&response.body);
    assert_eq!(charts.len(), 4, "one chart per group");
    let mut total_bars = 0;
    for (svg, table) in &charts {
        assert_accessible_chart(svg);
        let table = table.expect("each chart is followed by its table");
        let bars = svg.matches("class=\"chart-bar\"").count();
        let rows = table.matches("<tr").count();
        assert!(bars > 0);
        assert_eq!(bars, rows, "bars and table rows differ in {svg}");
        total_bars += bars;
    }
    let entries = &state.site().library.doses.entries;
    assert_eq!(total_bars, entries.len());
    assert!(entries.len() >= 25, "only {} doses", entries.len());
}

#[tokio::test]
async fn the_doses_page_is_grouped_ordered_by_dose_and_cites_its_sources() {
    let router = shipped_router();
    let body = get(&router, "/radiation/doses").await.body;
    // Groups in a fixed order.
    let headings = [
        "<h2 id=\"x-ray\">X-rays</h2>",
        "<h2 id=\"ct\">CT scans</h2>",
        "<h2 id=\"nuclear-medicine\">Nuclear medicine scans</h2>",
        "<h2 id=\"interventional\">Interventional radiology procedures</h2>",
    ];
    let positions: Vec<usize> = headings
        .iter()
        .map(|h| body.find(h).unwrap_or_else(|| panic!("no {h}")))
        .collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "{positions:?}");

    // Within each table, doses rise.
    for (_, table) in charts_with_tables(&body) {
        let cells = each_between(
            table.unwrap(),
            "<td class=\"dose-msv\" data-label=\"Typical dose\">",
            " mSv",
        );
        let doses: Vec<f64> = cells.into_iter().map(sort_figure).collect();
        assert!(doses.len() > 1);
        assert!(doses.windows(2).all(|w| w[0] <= w[1]), "{doses:?}");
    }

    for expected in [
        // Computed phrases for a known entry: chest X-ray, 0.02 mSv.
        "<td class=\"dose-msv\" data-label=\"Typical dose\">0.02 mSv</td>\n<td data-label=\"About the same as natural background for\">about 3 days</td>",
        "band-minimal\">Minimal</span>",
        // IR entries link to their sheets.
        "<a href=\"/procedures/tips\">TIPS",
        "<a href=\"/procedures/angiogram\">Angiogram</a>",
        // Sources, named with their year.
        "id=\"source-mettler-2008\"",
        "Effective doses in radiology and diagnostic nuclear medicine: a catalog",
        "<a href=\"/radiation/doses#source-hpa-2008\">HPA 2008</a>",
        // The 2008 guidance was the Health Protection Agency's, not UKHSA's.
        "Health Protection Agency (HPA). Patient dose information: guidance. 2008.",
        // The settings behind the arithmetic, and their sources.
        // Natural background is the natural part of the UK average, said to be so.
        "Natural background radiation gives people in the UK about 2.3 mSv a year on average.",
        "medical X-rays and scans, which add to the average from all sources, are left out",
        "Public Health England, Ionising radiation exposure of the UK population: 2010 review",
        "PHE-CRCE-026",
        "a risk of about 5% per sievert",
        "ICRP Publication 103",
        "<strong>Negligible:</strong> less than 1 in a million",
        "<strong>Low:</strong> between 1 in 10,000 and 1 in 1,000",
        "This table has not yet been checked by a clinical reviewer.",
    ] {
        assert!(body.contains(expected), "the doses page lacks {expected:?}");
    }
}

#[tokio::test]
async fn a_sheet_with_a_dose_shows_a_computed_panel() {
    let router = shipped_router();
    let body = get(&router, "/procedures/angiogram").await.body;
    let panel = between(&body, "<aside class=\"panel radiation-panel\"", "</aside>").unwrap();
    for expected in [
        "Radiation at a glance",
        "6.2 mSv (millisieverts)",
        // 6.2 mSv against the natural part of the UK average, 2.3 mSv a year.
        "<dd>about 2.5 years</dd>",
        "band-low\">Low</span>",
        "(between 1 in 10,000 and 1 in 1,000)",
        "judged to outweigh the small risk",
        "Source: <a href=\"/radiation/doses#source-bjr-1998-digital-angiography-dose\">BJR 1998</a>",
        "href=\"/radiation/compare?items=angiogram&#38;items=chest-x-ray&#38;items=ct-abdomen-pelvis\"",
        "href=\"/radiation/doses\"",
        "href=\"/radiation/what-is-a-radiation-dose\"",
    ] {
        assert!(
            panel.contains(expected),
            "the panel lacks {expected:?}:\n{panel}"
        );
    }
}

/// The figure a dose cell is ordered by: "12" is 12; "12 (range 5 to 50)" is its typical 12;
/// "5 to 50", a range alone, is the middle of the range on a logarithmic scale.
fn sort_figure(cell: &str) -> f64 {
    let number = |text: &str| -> f64 {
        text.trim()
            .parse()
            .unwrap_or_else(|_| panic!("not a dose: {cell:?}"))
    };
    match (cell.split_once(" (range "), cell.split_once(" to ")) {
        (Some((typical, _)), _) => number(typical),
        (None, Some((low, high))) => (number(low) * number(high)).sqrt(),
        (None, None) => number(cell),
    }
}

#[tokio::test]
async fn the_panel_follows_the_settings_so_it_is_never_hand_written() {
    let mut config = shipped_config();
    config.radiation.annual_background_msv = 12.0;
    config.radiation.risk_per_sievert = 0.001;
    let router = irinfo::web::router(state_for(config));
    let body = get(&router, "/procedures/angiogram").await.body;
    let panel = between(&body, "radiation-panel", "</aside>").unwrap();
    // 6.2 mSv is about six months at 12 mSv a year; at 0.1% per sievert the risk is 6.2 in a
    // million.
    assert!(panel.contains("<dd>about 6 months</dd>"), "{panel}");
    assert!(panel.contains("band-minimal\">Minimal</span>"), "{panel}");
}

#[tokio::test]
async fn sheets_without_a_dose_say_what_they_can() {
    let router = shipped_router();
    let cases = [
        (
            "/procedures/endovenous-ablation",
            "does not usually use X-rays",
        ),
        (
            "/procedures/picc-line",
            "X-rays are used only for some people",
        ),
        ("/procedures/angioplasty", "we do not give a typical figure"),
    ];
    for (path, expected) in cases {
        let body = get(&router, path).await.body;
        let panel = between(&body, "radiation-panel", "</aside>").unwrap();
        assert!(panel.contains(expected), "{path}: {panel}");
        assert!(
            !panel.contains("mSv"),
            "{path} shows a dose it does not have"
        );
    }
}

#[tokio::test]
async fn a_shared_comparison_address_shows_the_entries_side_by_side() {
    let router = shipped_router();
    // The address the angiogram's panel links to, as someone would share it.
    let path = "/radiation/compare?items=angiogram&items=chest-x-ray&items=ct-abdomen-pelvis";
    let response = get_ok(&router, path).await;
    let body = &response.body;
    assert!(!body.contains("error-summary"), "{body}");
    assert!(!body.contains("style="));

    let charts = charts_with_tables(body);
    assert_eq!(charts.len(), 1);
    let (svg, _) = charts[0];
    assert_accessible_chart(svg);
    let results = between(body, "<ul class=\"compare-results\">", "</ul>").unwrap();
    let cards = results.matches("<h3>").count();
    assert_eq!(cards, 3);
    assert_eq!(svg.matches("class=\"chart-bar\"").count(), cards);

    // Every chosen item is compared, not only the highest with the lowest: each of the other
    // two against the lowest, the chest X-ray.
    let compared = between(body, "<ul class=\"compare-summary\">", "</ul>").expect("a list");
    assert_eq!(compared.matches("<li>").count(), 2, "{compared}");
    assert!(
        compared.contains("‘CT scan of the tummy or pelvis’ gives about"),
        "{compared}"
    );
    assert!(compared.contains("‘Angiogram’ gives about"), "{compared}");
    assert_eq!(
        compared.matches("the dose of ‘Chest X-ray’").count(),
        2,
        "{compared}"
    );

    // Lowest dose first, each with its computed equivalent and band.
    let chest = results.find("Chest X-ray").unwrap();
    let ct = results.find("CT scan of the tummy or pelvis").unwrap();
    let angiogram = results.find("Angiogram").unwrap();
    assert!(chest < angiogram && angiogram < ct);
    for expected in [
        "<dd>about 3 days</dd>",
        "<dd>about 2.5 years</dd>",
        "<dd>about 4.5 years</dd>",
        "band-minimal\">Minimal</span>",
        "band-low\">Low</span>",
    ] {
        assert!(results.contains(expected), "{expected}");
    }
    assert!(
        body.contains(
            "‘CT scan of the tummy or pelvis’ gives about 500 times the dose of ‘Chest X-ray’."
        ),
        "{body}"
    );
    // The address to share, and the form with the choice still ticked.
    assert!(body.contains(
        "http://127.0.0.1:3000/radiation/compare?items=angiogram&#38;items=chest-x-ray&#38;items=ct-abdomen-pelvis"
    ));
    assert!(
        body.contains("<form class=\"compare-form\" action=\"/radiation/compare\" method=\"get\"")
    );
    for id in ["angiogram", "chest-x-ray", "ct-abdomen-pelvis"] {
        assert!(
            body.contains(&format!("name=\"items\" value=\"{id}\" checked>")),
            "{id} is not ticked"
        );
    }
    assert_eq!(body.matches(" checked>").count(), 3);
}

#[tokio::test]
async fn the_first_visit_shows_the_form_without_errors() {
    let router = shipped_router();
    let response = get_ok(&router, "/radiation/compare").await;
    assert!(!response.body.contains("error-summary"));
    assert!(!response.body.contains("compare-results"));
    let entries = shipped_state().site().library.doses.entries.len();
    assert_eq!(
        response.body.matches("type=\"checkbox\"").count(),
        entries,
        "one checkbox per entry"
    );
}

#[tokio::test]
async fn bad_comparisons_get_a_kind_message_and_a_400() {
    let router = shipped_router();
    let cases = [
        (
            "/radiation/compare?items=chest-x-ray&items=no-such-test",
            "One of the tests in the address is not in our table",
        ),
        (
            "/radiation/compare?items=%3Cscript%3Ealert(1)%3C%2Fscript%3E&items=ct-head",
            "One of the tests in the address is not in our table",
        ),
        (
            "/radiation/compare?items=%FF%FE&items=ct-head",
            "One of the tests in the address is not in our table",
        ),
        (
            "/radiation/compare?items=chest-x-ray",
            "Choose at least 2 tests or procedures",
        ),
        (
            "/radiation/compare?items=chest-x-ray&items=chest-x-ray",
            "Choose at least 2 tests or procedures",
        ),
        (
            "/radiation/compare?submitted=yes",
            "Choose at least 2 tests or procedures",
        ),
        (
            "/radiation/compare?items=chest-x-ray&items=ct-head&items=ct-chest&items=bone-scan&items=tips",
            "Choose no more than 4 tests or procedures. You chose 5.",
        ),
    ];
    for (path, message) in cases {
        let response = get(&router, path).await;
        assert_eq!(response.status, StatusCode::BAD_REQUEST, "{path}");
        let body = &response.body;
        assert!(
            body.contains("class=\"site-header\""),
            "{path}: not in the site layout"
        );
        assert!(
            body.contains("<h2 id=\"error-summary-title\">There is a problem</h2>"),
            "{path}"
        );
        assert!(body.contains(message), "{path}: {body}");
        assert!(
            body.contains("id=\"items-error\""),
            "{path}: no message by the field"
        );
        assert!(response.title().starts_with("Error: "), "{path}");
        assert!(!body.contains("<script>"), "{path} echoed its input");
        assert!(!body.contains("compare-results"), "{path} showed results");
        assert_eq!(response.header("cache-control"), "no-store", "{path}");
    }
    // Known entries stay ticked, so the visitor does not start again.
    let body = get(&router, "/radiation/compare?items=ct-head&items=nope")
        .await
        .body;
    assert!(body.contains("value=\"ct-head\" checked>"));
}

/// Eight lines, so that the entries after it keep their line numbers; the sources are in the
/// fixture's `sources/test.toml`.
const DOSES_HEAD: &str = "next_review = 2028-01-10
review_group = \"Test group\"

[[history]]
version = \"1.0\"
date = 2026-01-10
change = \"First published.\"
# The entries follow.
";

#[test]
fn problems_in_the_dose_table_are_reported_at_their_line_and_column() {
    let dir = minimal_copy();
    let doses = format!(
        "{DOSES_HEAD}
[[dose]]
id = \"chest-x-ray\"
name = \"Chest X-ray\"
group = \"x-ray\"
msv = 0
source = \"test-survey\"

[[dose]]
id = \"chest-x-ray\"
name = \"Chest X-ray again\"
group = \"x-ray\"
msv = 0.02
source = \"nobody-2020\"

[[dose]]
id = \"ghost\"
name = \"Ghost procedure\"
group = \"interventional\"
msv = 5.0
source = \"test-survey\"
procedure = \"no-such-sheet\"

[[dose]]
id = \"coil\"
name = \"Coil procedure\"
group = \"interventional\"
msv = 3.0
source = \"test-survey\"
procedure = \"coil\"

[[dose]]
id = \"coil-again\"
name = \"Coil again\"
group = \"interventional\"
msv = 3.0
source = \"test-survey\"
procedure = \"coil\"

[[dose]]
id = \"unlinked\"
name = \"Unlinked procedure\"
group = \"interventional\"
msv = 3.0
source = \"test-survey\"
"
    );
    std::fs::write(dir.path().join("radiation/doses.toml"), doses).unwrap();
    let outcome = load_published(dir.path());
    let report = refused_report(&outcome, "the broken copy");
    let cases = [
        (
            "radiation/doses.toml:14:7",
            "must be a positive number of millisieverts",
        ),
        (
            "radiation/doses.toml:18:6",
            "duplicate id `chest-x-ray`: the entry on line 11",
        ),
        ("radiation/doses.toml:22:11", "unknown source `nobody-2020`"),
        (
            "radiation/doses.toml:30:13",
            "no procedure sheet with the slug `no-such-sheet`",
        ),
        (
            "radiation/doses.toml:38:13",
            "says `x_rays = \"no\"`, but this entry gives it a dose",
        ),
        (
            "radiation/doses.toml:46:13",
            "already has a dose on line 38",
        ),
        (
            "radiation/doses.toml:49:6",
            "give `procedure`, the slug of its procedure sheet",
        ),
    ];
    for (location, message) in cases {
        assert_reported(&report, location, message);
    }
    assert_eq!(outcome.diagnostics.error_count(), cases.len(), "{report}");
}

#[test]
fn a_dose_without_a_source_is_an_error() {
    let dir = minimal_copy();
    let doses = format!(
        "{DOSES_HEAD}
[[dose]]
id = \"balloon\"
name = \"Balloon procedure\"
group = \"interventional\"
msv = 12.0
procedure = \"balloon\"
"
    );
    std::fs::write(dir.path().join("radiation/doses.toml"), doses).unwrap();
    let report = refused_report(&load_published(dir.path()), "the broken copy");
    assert_reported(
        &report,
        "radiation/doses.toml:10:1",
        "missing field `source`",
    );
}

#[test]
fn the_table_is_the_one_place_a_dose_is_written() {
    let dir = minimal_copy();
    let fixture = std::fs::read_to_string(dir.path().join("radiation/doses.toml")).unwrap();
    let doses = fixture
        + "
[[dose]]
id = \"coil\"
name = \"Coil procedure\"
group = \"interventional\"
msv = 3.0
source = \"test-survey\"
procedure = \"coil\"
";
    std::fs::write(dir.path().join("radiation/doses.toml"), doses).unwrap();
    let coil_path = dir.path().join("procedures/coil.md");
    let coil = std::fs::read_to_string(&coil_path).unwrap();
    std::fs::write(
        &coil_path,
        coil.replace(
            "x_rays = \"no\"\n",
            "x_rays = \"no\"\ntypical_dose_msv = 3.0\n",
        ),
    )
    .unwrap();
    // A guide may not take the address of a page the site makes.
    std::fs::copy(
        dir.path().join("radiation/what-is-a-dose.md"),
        dir.path().join("radiation/doses.md"),
    )
    .unwrap();
    let report = refused_with(&load_published(dir.path()), 3, "the broken copy");
    assert_reported(
        &report,
        "procedures/coil.md:7:20",
        "`typical_dose_msv` has been removed",
    );
    assert_reported(
        &report,
        "radiation/doses.toml:",
        "procedures/coil.md says `x_rays = \"no\"`, but this entry gives it a dose",
    );
    assert_reported(
        &report,
        "radiation/doses.md:1:1",
        "taken by a page the site makes itself",
    );
}

#[test]
fn the_shipped_sheets_take_their_doses_from_the_table() {
    let outcome = load_published(&repo().join("content"));
    let library = outcome.library.expect("the shipped content builds");
    let with_dose: Vec<&str> = library
        .doses
        .entries
        .iter()
        .filter_map(|e| e.procedure.as_deref())
        .collect();
    assert_eq!(with_dose.len(), 17, "{with_dose:?}");
    for slug in &with_dose {
        assert!(library.procedure(slug).is_some(), "{slug}");
    }
    for entry in &library.doses.entries {
        assert!(
            library.bibliography.get(&entry.source).is_some(),
            "{}",
            entry.id
        );
        assert!(
            library.doses.source(&entry.source).is_some(),
            "{}",
            entry.id
        );
    }
}
