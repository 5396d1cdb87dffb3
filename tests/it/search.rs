//! Search and the A to Z, driven through the router with queries a GP and a patient would type.

use axum::http::StatusCode;
use irinfo::content::PageKind;
use irinfo::search::{SearchDocument, SearchIndex};

use crate::support::*;

/// The result links of a search page, in order.
fn result_paths(body: &str) -> Vec<String> {
    each_between(body, "<h2 class=\"result-title\"><a href=\"", "\"")
        .into_iter()
        .map(str::to_string)
        .collect()
}

/// GET /search?q=`query` (written as it would be in the address) on the shipped site.
async fn search(query: &str) -> TestResponse {
    let response = get(&shipped_router(), &format!("/search?q={query}")).await;
    assert_eq!(response.status, StatusCode::OK, "{query}");
    response
}

#[tokio::test]
async fn fibroids_ranks_uterine_fibroid_embolisation_first() {
    let response = search("fibroids").await;
    let paths = result_paths(&response.body);
    assert_eq!(
        paths.first().map(String::as_str),
        Some("/procedures/uterine-fibroid-embolisation"),
        "{paths:?}"
    );
    assert!(paths.contains(&"/conditions/uterine-fibroids".to_string()));
    assert!(response.body.contains("<mark>Fibroids</mark>"));
    assert!(response.title().starts_with("Results for fibroids"));
}

#[tokio::test]
async fn what_patients_and_gps_type_finds_the_right_page_first() {
    // (query as typed into the box, URL-encoded; the page that must come first)
    let cases = [
        // Lay names, from the content's own alternative names.
        ("blocked+kidney", "/conditions/blocked-kidney"),
        ("kidney+drain", "/procedures/nephrostomy"),
        ("varicose+veins", "/procedures/endovenous-ablation"),
        ("what+is+a+picc+line", "/procedures/picc-line"),
        ("food+pipe+stent", "/procedures/oesophageal-stent"),
        ("blood+clot+in+the+lung", "/conditions/pulmonary-embolism"),
        (
            "bleeding+after+childbirth",
            "/conditions/postpartum-haemorrhage",
        ),
        ("can+I+drive+after+angioplasty", "/procedures/angioplasty"),
        // Abbreviations and medical names a GP uses.
        ("PAD", "/conditions/peripheral-arterial-disease"),
        ("EVAR", "/procedures/endovascular-aneurysm-repair"),
        ("TACE", "/procedures/chemoembolisation"),
        ("PICC", "/procedures/picc-line"),
        ("hydronephrosis", "/conditions/blocked-kidney"),
        (
            "uterine+artery+embolisation",
            "/procedures/uterine-fibroid-embolisation",
        ),
        ("stroke+thrombectomy", "/procedures/mechanical-thrombectomy"),
        // The section for healthcare professionals is searchable too.
        ("IPG367", "/procedures/uterine-fibroid-embolisation"),
    ];
    for (query, first) in cases {
        let paths = result_paths(&search(query).await.body);
        assert_eq!(
            paths.first().map(String::as_str),
            Some(first),
            "{query}: {paths:?}"
        );
    }
}

#[tokio::test]
async fn lay_names_also_lead_to_the_treatments() {
    let cases = [
        (
            "blocked+kidney",
            [
                "/procedures/nephrostomy",
                "/procedures/antegrade-ureteric-stent",
            ],
        ),
        (
            "PAD",
            ["/procedures/angioplasty", "/procedures/arterial-stenting"],
        ),
        (
            "varicose+veins",
            [
                "/conditions/varicose-veins",
                "/procedures/endovenous-ablation",
            ],
        ),
    ];
    for (query, expected) in cases {
        let paths = result_paths(&search(query).await.body);
        let top: Vec<&str> = paths.iter().take(4).map(String::as_str).collect();
        for path in expected {
            assert!(top.contains(&path), "{query}: {path} not in {top:?}");
        }
    }
    // A sheet found through its condition says so, with the words marked as one phrase, and
    // names that match only part of the search are not offered as the reason.
    let body = search("blocked+kidney").await.body;
    assert!(
        body.contains("Treats: <mark>Blocked kidney</mark></p>"),
        "no Treats line"
    );
    assert!(!body.contains("Also called: <mark>kidney</mark> drain"));
}

#[tokio::test]
async fn an_abbreviation_shows_the_name_that_matched() {
    let body = search("PAD").await.body;
    assert!(
        body.contains("Also called: <mark>PAD</mark>"),
        "the result does not say why it matched"
    );
    // Procedures found through the condition they treat say which condition.
    assert!(
        body.contains("Treats: Peripheral arterial disease (<mark>PAD</mark>)"),
        "no condition line"
    );
}

#[tokio::test]
async fn word_forms_find_the_same_pages() {
    let totals: Vec<(String, usize)> = {
        let state = shipped_state();
        let site = state.site();
        let index = site
            .search_index_if_built()
            .expect("build_site builds the index")
            .as_ref()
            .unwrap();
        [
            "embolisation",
            "embolise",
            "embolised",
            "Embolising",
            "embolization",
        ]
        .iter()
        .map(|q| (q.to_string(), index.search(q, 1).unwrap().total))
        .collect()
    };
    assert!(totals[0].1 > 5, "{totals:?}");
    for (query, total) in &totals {
        assert_eq!(*total, totals[0].1, "{query}: {totals:?}");
    }
    let body = search("embolise").await.body;
    assert!(
        body.contains("<mark>embolisation</mark>"),
        "stem not highlighted"
    );
}

#[tokio::test]
async fn us_spellings_find_pages_and_offer_the_uk_spelling() {
    let cases = [
        ("embolization", "embolisation", "/procedures/"),
        (
            "esophageal+stent",
            "oesophageal stent",
            "/procedures/oesophageal-stent",
        ),
        ("hemorrhage", "haemorrhage", "/"),
    ];
    for (query, uk, first) in cases {
        let response = search(query).await;
        let paths = result_paths(&response.body);
        assert!(
            paths.first().is_some_and(|p| p.starts_with(first)),
            "{query}: {paths:?}"
        );
        let link = format!(
            "Did you mean <a href=\"/search?q={}\">{uk}</a>?",
            uk.replace(' ', "%20")
        );
        assert!(response.body.contains(&link), "{query}: no link to {uk}");
    }
}

#[tokio::test]
async fn misspelt_medical_terms_offer_the_right_word() {
    let cases = [
        ("nephrostmy", "nephrostomy", "/procedures/nephrostomy"),
        ("nephorstomy", "nephrostomy", "/procedures/nephrostomy"),
        (
            "fibriods",
            "fibroids",
            "/procedures/uterine-fibroid-embolisation",
        ),
        ("angioplsty", "angioplasty", "/procedures/angioplasty"),
        (
            "vertebroplasy",
            "vertebroplasty",
            "/procedures/vertebroplasty",
        ),
        (
            "chemoembolisaton",
            "chemoembolisation",
            "/procedures/chemoembolisation",
        ),
        (
            "nephrostmy+tube",
            "nephrostomy tube",
            "/procedures/nephrostomy",
        ),
    ];
    for (query, meant, first) in cases {
        let response = search(query).await;
        // Nothing matched as typed, so the page shows the results for the word meant, says so
        // in its heading, and offers the words as typed.
        let typed = query.replace('+', " ");
        assert!(response.body.contains("We found nothing for"), "{query}");
        assert!(
            response
                .body
                .contains(&format!("<h1>Results for {meant}</h1>")),
            "{query}: the heading should name {meant}"
        );
        let instead = format!(
            "<a href=\"/search?q={}&amp;exact=1\">Search instead for {typed}</a>",
            typed.replace(' ', "%20")
        );
        assert!(response.body.contains(&instead), "{query}: no {instead}");
        let paths = result_paths(&response.body);
        assert_eq!(paths.first().map(String::as_str), Some(first), "{query}");
        // Following that link searches the words exactly as typed, and offers "did you mean".
        let exact = get(&shipped_router(), &format!("/search?q={query}&exact=1")).await;
        assert!(
            exact
                .body
                .contains(&format!("<h1>Results for {typed}</h1>")),
            "{query}"
        );
        assert!(!exact.body.contains("We found nothing for"), "{query}");
        let link = format!(
            "Did you mean <a href=\"/search?q={}\">{meant}</a>?",
            meant.replace(' ', "%20")
        );
        assert!(exact.body.contains(&link), "{query}: no link to {meant}");
    }
    // A word the site uses is never "corrected".
    let response = search("nephrostomy").await;
    assert!(!response.body.contains("Did you mean"));
}

#[tokio::test]
async fn nothing_found_gives_suggestions_and_the_a_to_z() {
    let response = search("qwxzv").await;
    assert!(response.body.contains("No results for qwxzv"));
    assert!(response.body.contains("check the spelling"));
    assert!(response.body.contains("href=\"/a-z\""));
    assert!(result_paths(&response.body).is_empty());
}

#[tokio::test]
async fn awkward_queries_get_a_calm_page_never_an_error() {
    let long = "kidney%20".repeat(30);
    // (query string after `/search`, what the page must say)
    let cases: Vec<(String, &str)> = vec![
        ("".into(), "Type what you are looking for"),
        ("?q=".into(), "Type what you are looking for"),
        ("?q=+++%20%09".into(), "Type what you are looking for"),
        ("?q=%00%01%1B".into(), "Type what you are looking for"),
        (
            "?q=%E2%80%AE%E2%80%8B".into(),
            "Type what you are looking for",
        ),
        ("?q=%3F%3F%3F".into(), "Please type a word to search for"),
        ("?q=...!!!---".into(), "Please type a word to search for"),
        (format!("?q={long}"), "Your search is too long"),
        (
            format!("?q={}", "a".repeat(5000)),
            "Your search is too long",
        ),
        // Bytes that are not UTF-8, bad percent-encoding, and repeated or odd parameters.
        ("?q=%FF%FE%FD".into(), "Please type a word to search for"),
        ("?q=kidney%FF%FE".into(), "results"),
        ("?q=%".into(), "Please type a word to search for"),
        ("?q=%zz".into(), "No results for"),
        ("?q=stent&q=coil".into(), "results"),
        ("?q=stent&page=abc".into(), "page 1 of"),
        ("?q=stent&page=-3".into(), "page 1 of"),
        (
            "?q=stent&page=99999999999999999999999999".into(),
            "page 1 of",
        ),
        ("?q=stent&page=9999".into(), "results"),
        ("?q=%E5%8F%B0%E9%A3%8E".into(), "No results for"),
        ("?q=%F0%9F%98%80+kidney".into(), "results"),
    ];
    let router = shipped_router();
    for (query, expected) in cases {
        let response = get_ok(&router, &format!("/search{query}")).await;
        assert!(
            response.body.contains("<header class=\"site-header\">"),
            "{query}: not in the site layout"
        );
        assert!(
            response.body.contains(expected),
            "{query}: lacks {expected:?}"
        );
        assert!(!response.body.contains('\u{0}'), "{query}: NUL in the page");
    }
}

#[tokio::test]
async fn what_was_typed_is_escaped_everywhere_it_is_shown() {
    let router = shipped_router();
    let response = get(
        &router,
        "/search?q=%3Cscript%3Ealert(1)%3C%2Fscript%3E%22%3E%3Cb%3Estent",
    )
    .await;
    assert_eq!(response.status, StatusCode::OK);
    assert!(
        !response.body.contains("<script>alert"),
        "query not escaped"
    );
    assert!(!response.body.contains("\"><b>"), "attribute not escaped");
    assert!(response.body.contains("&#60;script&#62;alert(1)"));
}

#[test]
fn snippets_escape_the_page_text_and_mark_only_matched_words() {
    // (body, query, the words marked, markup the snippet keeps as text)
    let cases = [
        (
            "Keep the <bag> below the kidney & empty it. A nephrostomy tube drains urine.",
            "nephrostomy bag",
            ["bag", "nephrostomy"],
            "<bag> below the kidney & empty",
        ),
        (
            "A <b>nephrostomy</b> & a stent. The tube drains your kidney.",
            "kidney tube",
            ["tube", "kidney"],
            "<b>nephrostomy</b> &",
        ),
    ];
    for (body, query, marked, kept) in cases {
        let index = SearchIndex::from_documents(vec![document("Tubes and drains", body)]).unwrap();
        let results = index.search(query, 1).unwrap();
        let hit = &results.hits[0];
        assert_eq!(hit.marked_words(), marked, "{query}");
        // The parts are text; askama escapes them when the page is rendered.
        let text = hit.snippet_text();
        assert!(text.contains(kept), "{query}: {text}");
    }
}

#[tokio::test]
async fn results_show_kind_count_and_pages() {
    let router = shipped_router();
    let first = get(&router, "/search?q=stent").await;
    assert!(first.body.contains("results, page 1 of"), "no count");
    assert!(
        first
            .body
            .contains("<ol class=\"search-results\" start=\"1\">")
    );
    assert!(
        first
            .body
            .contains("href=\"/search?q=stent&amp;page=2\" rel=\"next\"")
    );
    assert!(!first.body.contains("rel=\"prev\""));
    let page_one = result_paths(&first.body);
    assert_eq!(page_one.len(), 10);

    let second = get(&router, "/search?q=stent&page=2").await;
    assert!(
        second
            .body
            .contains("<ol class=\"search-results\" start=\"11\">")
    );
    assert!(
        second
            .body
            .contains("href=\"/search?q=stent&amp;page=1\" rel=\"prev\"")
    );
    let page_two = result_paths(&second.body);
    assert!(!page_two.is_empty());
    assert!(
        page_two.iter().all(|p| !page_one.contains(p)),
        "pages overlap"
    );

    // Every kind of page is searched, and each result says what kind it is.
    let cases = [
        (
            "radiation+pregnancy",
            "<p class=\"result-kind\">Radiation</p>",
        ),
        ("allotment", "<p class=\"result-kind\">Patient story</p>"),
        ("workforce", "<p class=\"result-kind\">Position statement"),
        ("disclaimer", "<p class=\"result-kind\">About</p>"),
        ("fibroids", "<p class=\"result-kind\">Condition</p>"),
        ("fibroids", "<p class=\"result-kind\">Procedure</p>"),
    ];
    for (query, label) in cases {
        let body = get(&router, &format!("/search?q={query}")).await.body;
        assert!(body.contains(label), "{query}: no {label}");
    }
}

#[tokio::test]
async fn search_pages_are_private_and_not_indexed() {
    let response = get(&shipped_router(), "/search?q=fibroids").await;
    assert_eq!(response.header("cache-control"), "no-store");
    assert!(
        response
            .body
            .contains("<meta name=\"robots\" content=\"noindex\">")
    );
    assert!(!response.header("content-security-policy").is_empty());
    // The query is back in the page's one search box, so it can be changed without retyping.
    assert!(
        response
            .body
            .contains("id=\"search-page-q\" name=\"q\" type=\"search\" value=\"fibroids\"")
    );
    assert!(!response.body.contains("header-search-q"));
}

#[tokio::test]
async fn every_page_has_a_search_box_that_needs_no_javascript() {
    let router = shipped_router();
    for path in ["/", "/procedures/nephrostomy", "/conditions", "/a-z"] {
        let body = get(&router, path).await.body;
        assert!(
            body.contains(
                "<form class=\"header-search\" action=\"/search\" method=\"get\" role=\"search\">"
            ),
            "{path}"
        );
        assert!(body.contains("<label for=\"header-search-q\">"), "{path}");
        // The only script element is schema.org data, which browsers never run.
        assert_eq!(
            body.matches("<script").count(),
            body.matches("<script type=\"application/ld+json\">")
                .count(),
            "{path}"
        );
    }
}

fn document(title: &str, body: &str) -> SearchDocument {
    SearchDocument {
        kind: PageKind::About,
        label: PageKind::About.label().to_string(),
        title: title.to_string(),
        path: format!("/about/{}", title.to_lowercase().replace(' ', "-")),
        summary: "A page.".to_string(),
        names: Vec::new(),
        conditions: Vec::new(),
        body: body.to_string(),
    }
}

#[test]
fn a_match_in_a_title_name_or_condition_outranks_one_in_body_text() {
    let filler = "Your team will explain what happens and answer your questions.";
    let mut in_body = document(
        "Aftercare",
        &format!("{filler} After a stent, rest. {filler}"),
    );
    in_body.path = "/body".into();
    let mut in_title = document("Stent", filler);
    in_title.path = "/title".into();
    let mut in_names = document("Mesh tube", filler);
    in_names.names = vec!["stent".into()];
    in_names.path = "/names".into();
    let mut in_conditions = document("Widening", filler);
    in_conditions.conditions = vec![vec!["Stent blockage".into()]];
    in_conditions.path = "/conditions".into();
    let index =
        SearchIndex::from_documents(vec![in_body, in_conditions, in_names, in_title]).unwrap();
    let ranked = index.ranked_paths("stent", 10);
    assert_eq!(
        ranked.last().map(String::as_str),
        Some("/body"),
        "{ranked:?}"
    );
    assert_eq!(
        ranked.first().map(String::as_str),
        Some("/title"),
        "{ranked:?}"
    );
    assert_eq!(ranked.len(), 4);
}

#[test]
fn an_exact_phrase_outranks_the_same_words_scattered() {
    let index = SearchIndex::from_documents(vec![
        document(
            "Scattered",
            "A blood test may be needed before the clot is treated.",
        ),
        document(
            "Phrase",
            "A blood clot may be treated before the test is needed.",
        ),
    ])
    .unwrap();
    assert_eq!(
        index.ranked_paths("blood clot", 2),
        ["/about/phrase", "/about/scattered"]
    );
    // Without the phrase bonus the two pages score the same: the words, counts and lengths match.
    let results = index.search("clot blood", 2).unwrap();
    assert_eq!(results.total, 2);
    assert!((results.hits[0].score - results.hits[1].score).abs() < 1e-4);
}

#[test]
fn all_words_must_match_unless_no_page_has_them_all() {
    let index = SearchIndex::from_documents(vec![
        document("Kidney drain", "A tube that drains the kidney."),
        document("Kidney stones", "Stones in the kidney."),
        document("Drains", "A drain for an abscess."),
    ])
    .unwrap();
    let both = index.search("kidney drain", 1).unwrap();
    assert_eq!(both.total, 1);
    assert_eq!(both.mode, irinfo::search::MatchMode::AllWords);
    let some = index.search("kidney biopsy", 1).unwrap();
    assert_eq!(some.mode, irinfo::search::MatchMode::SomeWords);
    assert_eq!(some.total, 2);
}

#[tokio::test]
async fn a_rebuilt_site_searches_its_own_pages() {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&repo().join("tests/fixtures/minimal"), dir.path());
    let mut config = fixture_config("minimal");
    config.paths.content = dir.path().to_path_buf();
    let state = state_for(config.clone());
    let router = irinfo::web::router(state.clone());

    let before = get(&router, "/search?q=balloon").await;
    assert!(result_paths(&before.body).contains(&"/procedures/balloon".to_string()));
    // Drafts are not published, so they are not searchable either.
    let draft = get(&router, "/search?q=secret+draft").await;
    assert!(!draft.body.contains("/procedures/secret-draft"));

    let disclaimer = dir.path().join("pages/disclaimer.md");
    let text = std::fs::read_to_string(&disclaimer).unwrap();
    std::fs::write(
        &disclaimer,
        text.replace("general information only", "a zeppelin"),
    )
    .unwrap();
    let (site, _) = irinfo::build_site(&config).unwrap();
    state.0.replace_site(site);

    let after = get(&router, "/search?q=zeppelin").await;
    assert_eq!(result_paths(&after.body), ["/about/disclaimer"]);
}

/// A Site as the server first serves it: pages rendered, search index not yet built.
fn servable_state() -> irinfo::AppState {
    let config = fixture_config("minimal");
    let (site, _) = irinfo::build_servable_site(&config).unwrap();
    irinfo::AppState::new(irinfo::App::new(config, site).expect("random source"))
}

#[tokio::test]
async fn a_search_that_arrives_before_the_index_is_built_waits_for_it() {
    let state = servable_state();
    let router = irinfo::web::router(state.clone());
    assert!(state.site().search_index_if_built().is_none());
    // Pages do not wait for the index.
    assert_eq!(get(&router, "/").await.status, StatusCode::OK);

    let waiting = tokio::spawn({
        let router = router.clone();
        async move { get(&router, "/search?q=balloon").await }
    });
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    assert!(
        !waiting.is_finished(),
        "the search should wait for the index"
    );

    let site = state.site();
    let built = tokio::task::spawn_blocking(move || site.build_search_index().is_ok())
        .await
        .unwrap();
    assert!(built);
    let response = waiting.await.unwrap();
    assert_eq!(response.status, StatusCode::OK);
    assert!(result_paths(&response.body).contains(&"/procedures/balloon".to_string()));
}

#[tokio::test(start_paused = true)]
async fn a_search_whose_index_never_comes_gets_a_kind_503_not_a_hang() {
    let router = irinfo::web::router(servable_state());
    // Time is paused, so the wait's deadline passes as soon as nothing else can run.
    let response = get(&router, "/search?q=balloon").await;
    assert_eq!(response.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(response.h1(), "Sorry, we cannot do that right now");
    assert!(response.body.contains("Please try again later"));
    assert!(!response.body.contains("not built"), "no internal detail");
}

#[tokio::test]
async fn the_a_to_z_lists_every_procedure_and_condition_with_other_names() {
    let (state, router) = shipped_state_and_router();
    let response = get_ok(&router, "/a-z").await;
    assert_eq!(response.h1(), "A to Z of procedures and conditions");
    let body = &response.body;
    let site = state.site();
    for sheet in site.library.procedures() {
        let link = format!("<a href=\"/procedures/{}\">", sheet.slug);
        assert!(body.contains(&link), "{} missing", sheet.slug);
    }
    for condition in site.library.conditions() {
        let link = format!("<a href=\"/conditions/{}\">", condition.slug);
        assert!(body.contains(&link), "{} missing", condition.slug);
    }
    for see in [
        "PICC, see <a href=\"/procedures/picc-line\">PICC line</a>",
        "Hydronephrosis, see <a href=\"/conditions/blocked-kidney\">Blocked kidney</a>",
        "EVAR, see <a href=\"/procedures/endovascular-aneurysm-repair\">",
        "Uterine leiomyomas, see <a href=\"/conditions/uterine-fibroids\">Fibroids</a>",
        // One name used for two pages leads to both.
        "RFA, see <a href=\"/procedures/endovenous-ablation\">",
    ] {
        assert!(body.contains(see), "no {see:?}");
    }
    let rfa = between(body, "RFA, see", "</li>").unwrap();
    assert!(
        rfa.contains(" or <a href=\"/procedures/tumour-ablation\">"),
        "{rfa}"
    );

    // Every linked letter has its section; letters with nothing are not links.
    let nav = between(body, "<nav class=\"letter-nav\"", "</nav>").unwrap();
    for letter in 'A'..='Z' {
        let id = format!("letter-{}", letter.to_ascii_lowercase());
        if nav.contains(&format!("href=\"#{id}\"")) {
            assert!(
                body.contains(&format!("<h2 id=\"{id}\">{letter}</h2>")),
                "{letter}"
            );
        } else {
            assert!(!body.contains(&format!("id=\"{id}\"")), "{letter}");
        }
    }
    assert!(
        nav.contains("<span class=\"letter-empty\">"),
        "every letter used?"
    );
    // Sorted within a letter: "Angiogram" before "Angioplasty".
    let a = between(body, "<h2 id=\"letter-a\">A</h2>", "</section>").unwrap();
    assert!(a.find("Angiogram") < a.find("Angioplasty"));
}

#[tokio::test]
async fn the_a_to_z_is_linked_from_every_page_and_served_prerendered() {
    let state = shipped_state();
    assert!(state.site().page("/a-z").is_some());
    let body = get(&irinfo::web::router(state), "/procedures/angioplasty")
        .await
        .body;
    assert!(body.contains("<a href=\"/a-z\">A to Z</a>"));
}

#[tokio::test]
async fn suggestions_as_you_type_tolerate_misspelling_and_half_words() {
    let router = shipped_router();
    // (typed so far, a page that must be offered)
    let cases = [
        ("fibriod", "/procedures/uterine-fibroid-embolisation"),
        ("fibr", "/procedures/uterine-fibroid-embolisation"),
        ("nephros", "/procedures/nephrostomy"),
        ("kidney%20dr", "/procedures/nephrostomy"),
        ("angioplsty", "/procedures/angioplasty"),
    ];
    for (typed, wanted) in cases {
        let response = get_ok(&router, &format!("/search/suggest?q={typed}")).await;
        assert_eq!(response.header("content-type"), "application/json");
        assert_eq!(response.header("cache-control"), "no-store");
        let answer: serde_json::Value = serde_json::from_str(&response.body).expect("JSON");
        let offered = answer["suggestions"].as_array().expect("a list");
        assert!(offered.len() <= 6, "{typed}: {offered:?}");
        assert!(
            offered.iter().any(|s| s["path"] == wanted),
            "{typed}: {wanted} not offered in {offered:?}"
        );
        assert!(
            offered
                .iter()
                .all(|s| s["title"].is_string() && s["label"].is_string())
        );
    }
    // Nothing to look for, or too much: an empty list, never an error.
    let long = "a".repeat(500);
    for junk in ["", "%3F%3F%3F", "%00", long.as_str(), "zzqxv"] {
        let response = get_ok(&router, &format!("/search/suggest?q={junk}")).await;
        let answer: serde_json::Value = serde_json::from_str(&response.body).expect("JSON");
        assert_eq!(
            answer["suggestions"].as_array().map(Vec::len),
            Some(0),
            "{junk}"
        );
    }
}

#[tokio::test]
async fn snippets_prefer_the_pages_own_summary() {
    // "fibroids" is in the summary of the fibroid embolisation sheet: its snippet is that summary.
    let router = shipped_router();
    let response = get(&router, "/search?q=fibroids").await;
    let sheet = get(&router, "/procedures/uterine-fibroid-embolisation").await;
    let summary = between(&sheet.body, "<meta name=\"description\" content=\"", "\"")
        .expect("the sheet has a description");
    let first = between(&response.body, "<p class=\"result-snippet\">", "</p>").expect("a snippet");
    let plain = first.replace("<mark>", "").replace("</mark>", "");
    assert_eq!(plain, summary);
}
