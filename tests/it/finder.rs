//! The finder: searching by postcode, town or location, with filters, radius and pages; every
//! kind of bad input; the browse, region and listing pages; and its data checked at load time.

use std::path::Path;

use axum::http::{Method, StatusCode, header};
use irinfo::config::SiteConfig;
use irinfo::content::LoadOptions;

use crate::support::*;

/// The distances shown on a results page, in order, such as "8 miles (13 km)".
fn distances(body: &str) -> Vec<String> {
    each_between(body, "<p class=\"distance\"><strong>", "</strong>")
        .into_iter()
        .map(str::to_string)
        .collect()
}

/// The hospitals of the listings on a page, in order.
fn hospitals(body: &str) -> Vec<String> {
    each_between(body, "<p class=\"entry-role\">", "</p>")
        .into_iter()
        .map(|role| role.rsplit(", ").next().unwrap_or_default().to_string())
        .collect()
}

/// The messages in the error summary.
fn summary_errors(body: &str) -> Vec<String> {
    let Some(summary) = between(body, "<div class=\"error-summary\"", "</div>") else {
        return Vec::new();
    };
    summary
        .split("<li><a href=\"#")
        .skip(1)
        .filter_map(|item| between(item, "\">", "</a>"))
        .map(str::to_string)
        .collect()
}

#[tokio::test]
async fn a_postcode_and_procedure_lists_the_nearest_leeds_entries_first() {
    let router = shipped_router();
    let response = get_ok(&router, "/find?q=LS6+3EX&procedure=angioplasty&radius=50").await;
    let body = &response.body;
    assert!(
        body.contains("services offering angioplasty within 50 miles of LS6 3EX"),
        "{body}"
    );
    // Without a district table, LS6 3EX is placed at the middle of the LS area, and the page says so.
    assert!(body.contains("middle of the LS postcode area (Leeds)"));
    let found = hospitals(body);
    assert_eq!(
        &found[..4],
        [
            "Leeds sample teaching hospital",
            "Leeds sample district general hospital",
            "Wakefield sample general hospital",
            "Bradford sample district general hospital",
        ]
    );
    // Great-circle distances from the LS area's point (53.7997, -1.5492), worked out by hand.
    assert_eq!(
        &distances(body)[..4],
        [
            "less than 1 mile",
            "1 mile (2 km)",
            "8 miles (13 km)",
            "10 miles (16 km)",
        ]
    );
    // Harrogate's sample entry is close but does not do angioplasty.
    assert!(!body.contains("Harrogate sample"));
    // Procedures link to their sheets, and the one searched for stands out.
    assert!(body.contains("<a href=\"/procedures/angioplasty\"><strong>Angioplasty</strong></a>"));
    assert!(body.contains("24/7 emergency IR cover"));
    assert!(body.contains("href=\"tel:01134960001\""));
    assert!(body.contains("Example listings only."));
    assert_eq!(response.header("cache-control"), "no-store");
    assert!(response.title().starts_with("Results near LS6 3EX - "));
    let crumbs = between(body, "class=\"breadcrumbs", "</nav>").unwrap();
    assert!(crumbs.contains("<a href=\"/find\">Find an interventional radiologist</a>"));
    assert!(body.contains("<meta name=\"robots\" content=\"noindex\">"));
}

#[tokio::test]
async fn results_are_sorted_by_distance_and_filters_hold() {
    let router = shipped_router();
    let state = shipped_state();
    let site = state.site();
    let directory = &site.finder.directory;
    let response = get(
        &router,
        "/find?q=Birmingham&procedure=mechanical-thrombectomy&emergency=yes&radius=100",
    )
    .await;
    assert_eq!(response.status, StatusCode::OK);
    let found = hospitals(&response.body);
    assert!(!found.is_empty());
    for hospital in &found {
        let entry = directory
            .entries()
            .iter()
            .find(|e| &e.hospital == hospital)
            .unwrap();
        assert!(entry.offers("mechanical-thrombectomy"), "{hospital}");
        assert!(entry.emergency_24_7, "{hospital}");
    }
    let miles: Vec<f64> = distances(&response.body)
        .iter()
        .map(|d| d.split(' ').next().unwrap().parse().unwrap_or(0.0))
        .collect();
    assert!(miles.windows(2).all(|w| w[0] <= w[1]), "{miles:?}");
    assert!(miles.iter().all(|m| *m <= 100.0), "{miles:?}");
}

#[tokio::test]
async fn every_way_of_writing_a_place_is_understood() {
    let router = shipped_router();
    // (typed, the place named in the heading)
    let cases = [
        ("LS6 3EX", "LS6 3EX"),
        ("ls63ex", "LS6 3EX"),
        ("  ls6   3ex ", "LS6 3EX"),
        ("LS6", "LS6"),
        ("ls", "LS"),
        ("Leeds", "Leeds"),
        ("LEEDS", "Leeds"),
        ("Leeds, West Yorkshire", "Leeds"),
        ("hull", "Kingston upon Hull"),
        ("Stoke on Trent", "Stoke-on-Trent"),
        ("saint albans", "St Albans"),
        ("King's Lynn", "King&#39;s Lynn"),
        ("Derry", "Londonderry"),
        ("EH16 4SA", "EH16 4SA"),
        ("bt12 6ba", "BT12 6BA"),
        ("CF14 4XW", "CF14 4XW"),
    ];
    for (typed, place) in cases {
        let path = format!(
            "/find?q={}",
            typed
                .replace(' ', "+")
                .replace('\'', "%27")
                .replace(',', "%2C")
        );
        let response = get_ok(&router, &path).await;
        assert!(
            summary_errors(&response.body).is_empty(),
            "{typed}: {:?}",
            summary_errors(&response.body)
        );
        assert!(
            response
                .body
                .contains(&format!("within 50 miles of {place}</h2>")),
            "{typed}: expected {place}"
        );
        assert!(response.title().starts_with("Results near"), "{typed}");
    }
}

#[tokio::test]
async fn places_the_site_cannot_find_get_a_clear_message_in_the_error_summary() {
    let router = shipped_router();
    // (query, status, message in the summary)
    let cases = [
        ("/find?q=", "Enter a postcode or town"),
        ("/find?q=+++", "Enter a postcode or town"),
        ("/find?q=ZZ1+1AA", "We could not find the postcode ZZ1 1AA"),
        ("/find?q=LS6+3E", "Enter a real postcode, like LS6 3EX"),
        ("/find?q=LS6+3EXX", "Enter a real postcode, like LS6 3EX"),
        ("/find?q=12345", "Enter a real postcode, like LS6 3EX"),
        ("/find?q=Atlantis", "We could not find a place called"),
        ("/find?lat=48.85&lon=2.35", "outside the UK"),
    ];
    for (path, message) in cases {
        let response = get_ok(&router, path).await;
        let errors = summary_errors(&response.body);
        assert_eq!(errors.len(), 1, "{path}: {errors:?}");
        assert!(errors[0].contains(message), "{path}: {errors:?}");
        // The summary links to the box, which shows the same message beside it.
        assert!(response.body.contains("<a href=\"#q\">"), "{path}");
        assert!(
            response
                .body
                .contains("class=\"error-message\" id=\"q-error\""),
            "{path}"
        );
        assert!(
            response.body.contains("aria-describedby=\"q-hint q-error"),
            "{path}"
        );
        assert!(
            response
                .title()
                .starts_with("Error: Find an interventional radiologist"),
            "{path}"
        );
        let crumbs = between(&response.body, "class=\"breadcrumbs", "</nav>").unwrap();
        assert!(
            !crumbs.contains("Error"),
            "{path}: the prefix belongs in <title> only"
        );
        assert!(!response.body.contains("results-heading"), "{path}");
    }
}

#[tokio::test]
async fn close_misspellings_of_towns_are_suggested_with_links() {
    let router = shipped_router();
    let cases = [
        ("Leads", "Leeds"),
        ("Manchster", "Manchester"),
        ("Edinburough", "Edinburgh"),
        ("Nottingam", "Nottingham"),
        ("Cardif", "Cardiff"),
    ];
    for (typed, meant) in cases {
        let response = get(
            &router,
            &format!("/find?q={typed}&procedure=angioplasty&radius=25"),
        )
        .await;
        assert_eq!(response.status, StatusCode::OK, "{typed}");
        let suggestions = between(&response.body, "Did you mean:", "</ul>").unwrap_or_default();
        let link = format!(
            "<a href=\"/find?q={meant}&#38;procedure=angioplasty&#38;radius=25\">{meant}</a>"
        );
        assert!(suggestions.contains(&link), "{typed}: {suggestions}");
        // Following the suggestion gives results.
        let followed = get(
            &router,
            &format!("/find?q={meant}&procedure=angioplasty&radius=25"),
        )
        .await;
        assert!(
            followed
                .body
                .contains(&format!("within 25 miles of {meant}")),
            "{meant}"
        );
    }
    let far = get(&router, "/find?q=Zzyzx").await;
    assert!(!far.body.contains("Did you mean"));
}

#[tokio::test]
async fn odd_or_over_long_input_gets_a_400_with_the_form_and_a_message() {
    let router = shipped_router();
    let long_place = "a".repeat(101);
    let long_query = format!("/find?q=Leeds&x={}", "b".repeat(2000));
    // (path, message in the summary)
    let cases: Vec<(String, &str)> = vec![
        (format!("/find?q={long_place}"), "100 characters or fewer"),
        (
            "/find?q=%3Cscript%3Ealert(1)%3C%2Fscript%3E".into(),
            "must only include letters",
        ),
        ("/find?q=Leeds%00".into(), "must only include letters"),
        ("/find?q=%FF%FE".into(), "must only include letters"),
        (
            "/find?q=Leeds%3B+DROP+TABLE".into(),
            "must only include letters",
        ),
        (
            "/find?q=Leeds&radius=7".into(),
            "Choose a distance from the list",
        ),
        (
            "/find?q=Leeds&radius=fifty".into(),
            "Choose a distance from the list",
        ),
        (
            "/find?q=Leeds&procedure=brain-surgery".into(),
            "Choose a procedure from the list",
        ),
        (
            "/find?q=Leeds&procedure=..%2F..%2Fetc".into(),
            "Choose a procedure from the list",
        ),
        (
            "/find?q=Leeds&page=0".into(),
            "That page of results does not exist",
        ),
        (
            "/find?q=Leeds&page=99999999999999999999".into(),
            "That page of results does not exist",
        ),
        ("/find?lat=53.8".into(), "Your location could not be read"),
        (
            "/find?lat=north&lon=west".into(),
            "Your location could not be read",
        ),
        (
            "/find?lat=NaN&lon=inf".into(),
            "Your location could not be read",
        ),
        (long_query, "could not read that search"),
    ];
    for (path, message) in cases {
        let response = get(&router, &path).await;
        assert_eq!(response.status, StatusCode::BAD_REQUEST, "{path}");
        assert!(
            response.header("content-type").starts_with("text/html"),
            "{path}"
        );
        let errors = summary_errors(&response.body);
        assert!(
            errors.iter().any(|e| e.contains(message)),
            "{path}: {errors:?}"
        );
        // The form is there to try again, in the site's own layout.
        assert!(response.body.contains("<form id=\"finder-form\""), "{path}");
        assert!(response.body.contains("Skip to main content"), "{path}");
        assert!(!response.body.contains("<script>alert"), "{path}");
        assert!(response.body.len() < 200_000, "{path}");
    }
}

#[tokio::test]
async fn nothing_within_the_radius_shows_the_nearest_beyond_it() {
    let router = shipped_router();
    let response = get_ok(&router, "/find?q=Lerwick&radius=10").await;
    let body = &response.body;
    assert!(
        body.contains("No services within 10 miles of Lerwick"),
        "{body}"
    );
    assert!(body.contains("The nearest 3 further away"));
    assert_eq!(hospitals(body).len(), 3);
    // Lerwick to the Aberdeen sample is about 210 miles.
    let first: f64 = distances(body)[0]
        .split(' ')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert!((190.0..230.0).contains(&first), "{first}");
    assert!(body.contains("href=\"/find?q=Lerwick&#38;radius=100\""));
    // A filter nobody matches says so plainly.
    let none = get(
        &router,
        "/find?q=Lerwick&procedure=endovenous-ablation&emergency=yes&radius=10",
    )
    .await;
    assert!(none.body.contains("We could not find any teams that match"));
}

#[tokio::test]
async fn results_come_in_pages() {
    let router = shipped_router();
    let first = get(&router, "/find?q=London&radius=100").await;
    let total: usize = between(&first.body, "Showing 1 to 10 of ", "<")
        .expect("a count")
        .parse()
        .unwrap();
    assert!(total > 20, "{total}");
    assert!(first.body.contains("aria-label=\"Pages of results\""));
    assert!(
        first
            .body
            .contains("href=\"/find?q=London&#38;radius=100&#38;page=2\" rel=\"next\"")
    );
    let second = get(&router, "/find?q=London&radius=100&page=2").await;
    assert!(second.body.contains("Showing 11 to 20 of"));
    assert!(second.body.contains("rel=\"prev\""));
    // No listing appears on two pages.
    let on_first = hospitals(&first.body);
    assert!(
        hospitals(&second.body)
            .iter()
            .all(|h| !on_first.contains(h))
    );
    // A page past the end shows the last page.
    let last = get_ok(&router, "/find?q=London&radius=100&page=50").await;
    assert!(last.body.contains(&format!("of {total}")));
    assert!(!last.body.contains("rel=\"next\""));
}

#[tokio::test]
async fn coordinates_from_the_browser_search_from_that_point() {
    let router = shipped_router();
    let response = get_ok(&router, "/find?lat=53.80&lon=-1.55&procedure=angioplasty").await;
    assert!(response.body.contains("within 50 miles of your location"));
    assert!(response.body.contains("from the location your device gave"));
    assert_eq!(
        hospitals(&response.body)[0],
        "Leeds sample teaching hospital"
    );
    // A typed place wins over coordinates.
    let typed = get(&router, "/find?q=Cardiff&lat=53.80&lon=-1.55").await;
    assert!(typed.body.contains("within 50 miles of Cardiff"));
}

#[tokio::test]
async fn the_empty_form_is_pre_rendered_and_links_from_sheets_pre_select_a_procedure() {
    let (state, router) = shipped_state_and_router();
    let page = get_ok(&router, "/find").await;
    assert!(
        !page.header("etag").is_empty(),
        "pre-rendered pages have validators"
    );
    assert!(
        page.body
            .contains("<label for=\"q\">Postcode or town</label>")
    );
    assert!(
        page.body
            .contains("<option value=\"50\" selected>Within 50 miles</option>")
    );
    // The location script by its fingerprinted name, which is kept for a year.
    let script = crate::support::between(&page.body, "<script src=\"", "\" defer></script>")
        .expect("the location script");
    assert!(
        script.starts_with("/static/finder-location.")
            && script.len() == "/static/finder-location.12345678.js".len(),
        "{script}"
    );
    assert!(summary_errors(&page.body).is_empty());
    let site = state.site();
    for sheet in site.library.procedures() {
        assert!(
            page.body
                .contains(&format!("<option value=\"{}\">", sheet.slug)),
            "{} missing from the list",
            sheet.slug
        );
        let sheet_page = get(&router, &format!("/procedures/{}", sheet.slug)).await;
        let link = format!("/find?procedure={}", sheet.slug);
        assert!(
            sheet_page.body.contains(&link),
            "{} does not link to the finder",
            sheet.slug
        );
        let linked = get_ok(&router, &link).await;
        assert!(
            linked
                .body
                .contains(&format!("<option value=\"{}\" selected>", sheet.slug)),
            "{link}"
        );
        assert!(summary_errors(&linked.body).is_empty(), "{link}");
    }
    let head = send(&router, request(Method::HEAD, "/find?q=Leeds")).await;
    assert_eq!(head.status, StatusCode::OK);
    assert!(head.body.is_empty());
}

#[tokio::test]
async fn browse_region_and_listing_pages_cover_every_entry() {
    let (state, router) = shipped_state_and_router();
    let site = state.site();
    let directory = &site.finder.directory;
    assert!(directory.len() >= 60, "{}", directory.len());

    let browse = get_ok(&router, "/find/regions").await;
    assert!(browse.body.contains("Example listings only."));
    for nation in ["England", "Scotland", "Wales", "Northern Ireland"] {
        assert!(browse.body.contains(&format!(">{nation}</h2>")), "{nation}");
    }
    let mut listed = 0;
    for region in &irinfo::finder::REGIONS {
        assert!(browse.body.contains(&format!("href=\"{}\"", region.path())));
        let page = get(&router, &region.path()).await;
        assert_eq!(page.status, StatusCode::OK, "{}", region.slug);
        assert!(
            page.body.contains("Example listings only."),
            "{}",
            region.slug
        );
        assert!(
            !page.body.contains("(Wales)") && !page.body.contains("(Scotland)"),
            "{}",
            region.slug
        );
        let entries = directory.in_region(region);
        assert!(!entries.is_empty(), "no sample entries in {}", region.name);
        for entry in entries {
            assert!(
                page.body.contains(&format!("href=\"{}\"", entry.path())),
                "{}",
                entry.slug
            );
            listed += 1;
        }
    }
    assert_eq!(listed, directory.len());

    for entry in directory.entries() {
        let page = get(&router, &entry.path()).await;
        assert_eq!(page.status, StatusCode::OK, "{}", entry.slug);
        assert_eq!(
            page.body
                .contains("distances to it are measured from the middle of its postcode area"),
            entry.located == irinfo::finder::Located::Area,
            "{}",
            entry.slug
        );
        assert!(
            page.body.contains("Example listings only."),
            "{}",
            entry.slug
        );
        assert!(page.body.contains("Sample listing"), "{}", entry.slug);
        for slug in &entry.procedures {
            assert!(
                page.body.contains(&format!("href=\"/procedures/{slug}\"")),
                "{}",
                entry.slug
            );
        }
        assert!(
            entry
                .website
                .as_deref()
                .unwrap_or("https://example.org/")
                .starts_with("https://example.org/")
        );
        assert!(
            entry.name.starts_with("Dr ") && entry.sample,
            "{}",
            entry.slug
        );
    }
    for path in [
        "/find/regions/mars",
        "/find/services/nobody",
        "/find/services/../../etc/passwd",
        "/find/nowhere",
    ] {
        get_not_found(&router, path).await;
    }
}

#[tokio::test]
async fn the_sample_entries_cover_all_nations_and_english_regions() {
    let site = shipped_state().site();
    let directory = &site.finder.directory;
    for region in &irinfo::finder::REGIONS {
        assert!(
            directory.in_region(region).len() >= 2
                || region.nation != irinfo::finder::Nation::England,
            "{}",
            region.name
        );
    }
    // Every sample phone number is in one of Ofcom's ranges kept for drama, so none is real.
    let drama = [
        "0113 496 0",
        "0114 496 0",
        "0115 496 0",
        "0116 496 0",
        "0117 496 0",
        "0118 496 0",
        "0121 496 0",
        "0131 496 0",
        "0141 496 0",
        "0151 496 0",
        "0161 496 0",
        "0191 498 0",
        "020 7946 0",
        "028 9649 6",
        "029 2018 0",
        "01632 960",
    ];
    for entry in directory.entries() {
        assert!(
            drama
                .iter()
                .any(|prefix| entry.phone.starts_with(prefix)
                    && entry.phone.len() == prefix.len() + 3),
            "{}: {}",
            entry.slug,
            entry.phone
        );
    }
}

/// What [`load`] gives: the content (pages and finder data) when it has no errors.
struct Loaded {
    library: Option<irinfo::Content>,
    diagnostics: irinfo::content::Diagnostics,
}

/// Loads `dir` as content, with an optional districts CSV.
fn load(dir: &Path, districts: Option<&Path>) -> Loaded {
    let outcome = irinfo::load_content(&LoadOptions {
        postcode_districts: districts.map(Path::to_path_buf),
        ..LoadOptions::published(
            dir.to_path_buf(),
            repo().join("static"),
            jiff::civil::date(2026, 6, 1),
        )
        .serving(irinfo::web::GENERATED_PATHS)
    });
    Loaded {
        library: outcome.content,
        diagnostics: outcome.diagnostics,
    }
}

/// The minimal fixture with a small geography and these directory files.
fn content_with(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&repo().join("tests/fixtures/minimal"), dir.path());
    std::fs::create_dir_all(dir.path().join("geography")).unwrap();
    std::fs::create_dir_all(dir.path().join("directory")).unwrap();
    std::fs::write(
        dir.path().join("geography/postcode-areas.toml"),
        "areas = [\n  { code = \"LS\", name = \"Leeds\", latitude = 53.7997, longitude = -1.5492 },\n]\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("geography/towns.toml"),
        "towns = [\n  { name = \"Otley\", latitude = 53.9050, longitude = -1.6940 },\n]\n",
    )
    .unwrap();
    for (name, text) in files {
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    dir
}

const GOOD_ENTRY: &str = "[[entry]]\nslug = \"otley-sample\"\nname = \"Dr A. Sample\"\nrole = \"Consultant\"\nhospital = \"Otley sample hospital\"\naddress = \"1 Sample Road\"\ntown = \"Otley\"\npostcode = \"LS21 9ZZ\"\nprocedures = [\"balloon\"]\nemergency_24_7 = false\noutpatient_clinic = true\nphone = \"0113 496 0999\"\nwebsite = \"https://example.org/otley\"\nsample = true\n";

#[test]
fn a_good_directory_file_loads_and_is_placed_by_its_postcode() {
    let dir = content_with(&[(
        "directory/yorkshire.toml",
        &format!("region = \"yorkshire-and-the-humber\"\n\n{GOOD_ENTRY}"),
    )]);
    let outcome = load(dir.path(), None);
    assert!(outcome.diagnostics.is_empty(), "{}", outcome.diagnostics);
    let library = outcome.library.unwrap();
    let entry = library.finder.directory.entry("otley-sample").unwrap();
    assert_eq!(entry.point, irinfo::finder::LatLon::new(53.7997, -1.5492));
    assert_eq!(entry.located, irinfo::finder::Located::Area);
    assert_eq!(entry.postcode, "LS21 9ZZ");
}

#[test]
fn directory_and_geography_errors_are_reported_at_their_line_and_column() {
    let entry = |replace: &str, with: &str| GOOD_ENTRY.replace(replace, with);
    let bad_entries = [
        entry("otley-sample", "first").replace(
            "procedures = [\"balloon\"]",
            "procedures = [\"balloon\", \"brain-surgery\"]",
        ),
        entry("otley-sample", "second").replace(
            "postcode = \"LS21 9ZZ\"",
            "postcode = \"LS21 9ZZ\"\nlatitude = 153.8\nlongitude = -1.69",
        ),
        entry("otley-sample", "third").replace("\"LS21 9ZZ\"", "\"LS21 9Z\""),
        entry("otley-sample", "fourth").replace("\"0113 496 0999\"", "\"call us\""),
        entry("otley-sample", "fifth").replace("https://example.org/otley", "example.org"),
        entry("otley-sample", "sixth").replace("\"LS21 9ZZ\"", "\"ZZ1 9ZZ\""),
        entry("otley-sample", "seventh").replace(
            "postcode = \"LS21 9ZZ\"",
            "postcode = \"LS21 9ZZ\"\nlongitude = -1.69",
        ),
        entry("otley-sample", "eighth").replace("procedures = [\"balloon\"]", "procedures = []"),
        entry("otley-sample", "ninth").replace("name = \"Dr A. Sample\"", "name = \" \""),
    ];
    let directory_file = format!(
        "region = \"yorkshire-and-the-humber\"\n\n{GOOD_ENTRY}\n{}",
        bad_entries.join("\n")
    );
    let duplicate_file = format!("region = \"atlantis\"\n\n{GOOD_ENTRY}");
    let dir = content_with(&[
        ("directory/a.toml", &directory_file),
        ("directory/b.toml", &duplicate_file),
        (
            "directory/c.toml",
            "region = \"london\"\n[[entry]]\nslug = \"x\"\ncolour = \"red\"\n",
        ),
        (
            "geography/postcode-areas.toml",
            "areas = [\n  { code = \"LS\", name = \"Leeds\", latitude = 53.7997, longitude = -1.5492 },\n  { code = \"L5\", name = \"Bad\", latitude = 53.0, longitude = -1.0 },\n  { code = \"LS\", name = \"Again\", latitude = 53.0, longitude = -1.0 },\n]\n",
        ),
        (
            "geography/towns.toml",
            "towns = [\n  { name = \"Otley\", latitude = 53.9050, longitude = -1.6940 },\n  { name = \"otley\", latitude = 53.9, longitude = 1.69 },\n  { name = \"Swapped\", latitude = -1.69, longitude = 53.9 },\n]\n",
        ),
    ]);
    let outcome = load(dir.path(), None);
    assert!(
        outcome.library.is_none(),
        "broken finder data must not build"
    );
    let report = outcome.diagnostics.to_string();
    let line_of = |file: &str, needle: &str| -> usize {
        let text = std::fs::read_to_string(dir.path().join(file)).unwrap();
        text.lines().position(|l| l.contains(needle)).expect(needle) + 1
    };
    // (file, line found by its text, column, part of the message)
    let cases = [
        (
            "directory/a.toml",
            line_of("directory/a.toml", "brain-surgery"),
            26,
            "there is no procedure sheet with the slug `brain-surgery`",
        ),
        (
            "directory/a.toml",
            line_of("directory/a.toml", "latitude = 153.8"),
            12,
            "bad coordinates: latitude 153.8 is outside the UK",
        ),
        (
            "directory/a.toml",
            line_of("directory/a.toml", "LS21 9Z\""),
            12,
            "`LS21 9Z` is not a full postcode",
        ),
        (
            "directory/a.toml",
            line_of("directory/a.toml", "call us"),
            9,
            "is not a UK phone number",
        ),
        (
            "directory/a.toml",
            line_of("directory/a.toml", "website = \"example.org\""),
            11,
            "must be a full address starting with https://",
        ),
        (
            "directory/a.toml",
            line_of("directory/a.toml", "ZZ1 9ZZ"),
            12,
            "cannot tell where `ZZ1 9ZZ` is",
        ),
        (
            "directory/a.toml",
            line_of("directory/a.toml", "procedures = []"),
            14,
            "list at least one procedure",
        ),
        (
            "directory/a.toml",
            line_of("directory/a.toml", "name = \" \""),
            8,
            "`name` is empty",
        ),
        ("directory/b.toml", 1, 10, "there is no region `atlantis`"),
        ("directory/b.toml", 4, 8, "duplicate slug `otley-sample`"),
        ("directory/c.toml", 4, 1, "unknown field `colour`"),
        (
            "geography/postcode-areas.toml",
            3,
            12,
            "`L5` is not a postcode area",
        ),
        (
            "geography/postcode-areas.toml",
            4,
            12,
            "the postcode area `LS` is listed twice",
        ),
        ("geography/towns.toml", 3, 12, "duplicate town name `otley`"),
        (
            "geography/towns.toml",
            4,
            34,
            "latitude -1.69 is outside the UK",
        ),
    ];
    for (file, line, col, message) in cases {
        let location = format!("{file}:{line}:{col}: error:");
        assert!(
            report
                .lines()
                .any(|l| l.contains(&location) && l.contains(message)),
            "expected `{location}` with `{message}` in:\n{report}"
        );
    }
    // Both halves of a half-given position are reported at the one given.
    let seventh = line_of("directory/a.toml", "slug = \"seventh\"");
    assert!(
        report.contains(&format!(
            "directory/a.toml:{}:13: error: give both `latitude` and `longitude`",
            seventh + 7
        )),
        "{report}"
    );
    // The duplicate message says where the first one is.
    assert!(
        report.contains("directory/a.toml:4:8 has it already"),
        "{report}"
    );
}

#[test]
fn the_operators_district_table_is_used_when_set() {
    let csv = repo().join("tests/fixtures/finder/postcode-districts.csv");
    let outcome = load(&repo().join("content"), Some(&csv));
    assert_eq!(
        outcome.diagnostics.error_count(),
        0,
        "{}",
        outcome.diagnostics
    );
    let library = outcome.library.unwrap();
    assert_eq!(library.finder.gazetteer.district_count(), 3);
    let irinfo::finder::Lookup::Found(place) = library.finder.gazetteer.lookup("LS6 3EX") else {
        panic!("LS6 3EX not found");
    };
    assert_eq!(
        place.precision,
        irinfo::finder::Precision::District("LS6".into())
    );
    // A district the table lacks falls back to its area.
    let irinfo::finder::Lookup::Found(place) = library.finder.gazetteer.lookup("LS7 1AA") else {
        panic!("LS7 1AA not found");
    };
    assert!(matches!(
        place.precision,
        irinfo::finder::Precision::Area { .. }
    ));
}

#[tokio::test]
async fn with_a_district_table_distances_are_measured_from_the_district() {
    let mut config = shipped_config();
    config.finder.postcode_districts =
        Some(repo().join("tests/fixtures/finder/postcode-districts.csv"));
    let router = irinfo::web::router(state_for(config));
    let response = get(&router, "/find?q=LS6+3EX&procedure=angioplasty").await;
    assert!(
        response
            .body
            .contains("from the middle of the LS6 postcode district")
    );
    // From Headingley (LS6), Bradford is nearer than Wakefield.
    assert_eq!(
        &hospitals(&response.body)[..4],
        [
            "Leeds sample teaching hospital",
            "Leeds sample district general hospital",
            "Bradford sample district general hospital",
            "Wakefield sample general hospital",
        ]
    );
    assert_eq!(
        &distances(&response.body)[..4],
        [
            "2 miles (3 km)",
            "3 miles (4 km)",
            "8 miles (14 km)",
            "10 miles (16 km)"
        ]
    );
}

#[test]
fn a_bad_district_table_is_reported_by_line() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("districts.csv");
    std::fs::write(
        &csv,
        "postcode,latitude,longitude\nLS6,53.8195,-1.5799\nLS 7,53.82,-1.54\nBAD!,1,1\nLS8,north,-1.5\nLS9,40.0,-1.5\nLS6,53.0,-1.0\nBX1,,\n",
    )
    .unwrap();
    let outcome = load(&repo().join("content"), Some(&csv));
    let report = outcome.diagnostics.to_string();
    let path = csv.display().to_string();
    for expected in [
        format!("{path}:4:1: warning: `BAD!` is not a postcode district"),
        format!("{path}:5:5: error: `LS8`: the latitude and longitude must be numbers"),
        format!("{path}:6:5: warning: `LS9`: 40, -1.5 is outside the UK"),
        format!("{path}:7:1: warning: `LS6` is listed twice"),
        format!("{path}:1:1: warning: 1 district(s) have no coordinates"),
    ] {
        assert!(
            report.contains(&expected),
            "expected {expected} in:\n{report}"
        );
    }
    assert!(
        outcome.library.is_none(),
        "a number that is not a number is an error"
    );

    let missing = load(&repo().join("content"), Some(&dir.path().join("nope.csv")));
    assert!(
        missing
            .diagnostics
            .to_string()
            .contains("nope.csv:1:1: error: cannot read the postcode districts file")
    );
    std::fs::write(&csv, "code,x,y\nLS6,1,2\n").unwrap();
    let headerless = load(&repo().join("content"), Some(&csv));
    assert!(
        headerless
            .diagnostics
            .to_string()
            .contains("the header line must name the columns")
    );
}

#[test]
fn finder_settings_are_read_and_checked() {
    let config =
        SiteConfig::parse("[finder]\npostcode_districts = \"data/districts.csv\"\n").unwrap();
    assert_eq!(
        config.finder.postcode_districts.as_deref(),
        Some(Path::new("data/districts.csv"))
    );
    assert!(
        SiteConfig::parse("")
            .unwrap()
            .finder
            .postcode_districts
            .is_none()
    );
    let err = SiteConfig::parse("[finder]\npostcode_district = \"x\"\n")
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("2:1: unknown field `postcode_district`"),
        "{err}"
    );
}

#[test]
fn check_reports_broken_directory_files() {
    let dir = content_with(&[(
        "directory/broken.toml",
        &format!(
            "region = \"yorkshire-and-the-humber\"\n\n{}",
            GOOD_ENTRY.replace("\"balloon\"", "\"ballon\"")
        ),
    )]);
    let output = run_irinfo(&["check"], dir.path());
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains(
            "directory/broken.toml:11:15: error: there is no procedure sheet with the slug `ballon`"
        ),
        "{stdout}"
    );
}

#[tokio::test]
async fn the_location_script_is_served_and_only_as_a_file() {
    let router = shipped_router();
    let script = get_ok(&router, "/static/finder-location.js").await;
    assert!(script.header("content-type").contains("javascript"));
    assert!(script.body.contains("getCurrentPosition"));
    let page = get(&router, "/find").await;
    // The page links the fingerprinted copy, the same file, which browsers keep for a year;
    // a finder search, made per request, links it too.
    let searched = get(&router, "/find?q=LS6+3EX&procedure=angioplasty&radius=50").await;
    for html in [&page.body, &searched.body] {
        let href = crate::support::between(html, "<script src=\"", "\" defer></script>")
            .expect("the location script");
        let fingerprinted = get_ok(&router, href).await;
        assert_eq!(fingerprinted.body, script.body);
        assert_eq!(
            fingerprinted.header("cache-control"),
            "public, max-age=31536000, immutable"
        );
    }
    // No inline script: every <script> has a src.
    assert_eq!(
        page.body.matches("<script").count(),
        page.body.matches("<script src=").count()
    );
    assert!(
        !page
            .header(header::CONTENT_SECURITY_POLICY.as_str())
            .contains("unsafe-inline")
    );
}

#[tokio::test]
async fn a_county_is_a_place_measured_from_its_county_town() {
    let router = shipped_router();
    let response = get_ok(&router, "/find?q=Cornwall&procedure=&radius=100").await;
    assert!(
        !response.body.contains("error-summary"),
        "Cornwall should be found"
    );
    assert!(
        response.body.contains("miles of Cornwall"),
        "the heading names the county"
    );
    assert!(
        response
            .body
            .contains("straight line from Truro, its county town"),
        "the note says where distances are measured from"
    );
    // Results come first: the search is one line that opens the form.
    let summary = between(
        &response.body,
        "<details class=\"change-search\">",
        "</summary>",
    )
    .expect("the search as a one-line summary");
    assert!(summary.contains("<strong>Cornwall</strong>") && summary.contains("Change search"));
    // No false precision anywhere: whole miles and kilometres.
    for distance in distances(&response.body) {
        assert!(!distance.contains('.'), "{distance}");
    }
    // Still a misspelling gets suggestions, counties among them.
    let misspelt = get(&router, "/find?q=Cornwal&procedure=&radius=50").await;
    assert!(misspelt.body.contains("Did you mean:"));
    assert!(misspelt.body.contains(">Cornwall</a>"));
}
