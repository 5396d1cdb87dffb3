//! The shipped content is complete: the counts, sections and review fields the site promises.

use irinfo::content::PageKind;
use irinfo::content::front_matter::StatementStatus;
use irinfo::content::library::PROCEDURE_SECTIONS;

use crate::support::{load_published, repo, shipped_state};

/// The shipped content as loaded, bodies and all: a Site's own Library keeps no bodies once its
/// pages are rendered.
fn shipped_library() -> irinfo::content::Library {
    load_published(&repo().join("content"))
        .library
        .expect("the shipped content loads")
}

/// The procedures a UK patient is most likely to be offered; each must have a sheet.
const REQUIRED_PROCEDURES: [&str; 30] = [
    "angiogram",
    "angioplasty",
    "arterial-stenting",
    "endovascular-aneurysm-repair",
    "embolisation-for-bleeding",
    "uterine-fibroid-embolisation",
    "prostate-artery-embolisation",
    "varicocele-embolisation",
    "pelvic-vein-embolisation",
    "endovenous-ablation",
    "dvt-thrombolysis",
    "ivc-filter",
    "picc-line",
    "tunnelled-central-line-and-port",
    "fistuloplasty",
    "image-guided-biopsy",
    "nephrostomy",
    "antegrade-ureteric-stent",
    "biliary-drainage",
    "biliary-stent",
    "radiologically-inserted-gastrostomy",
    "abscess-drainage",
    "vertebroplasty",
    "oesophageal-stent",
    "tumour-ablation",
    "cryoablation",
    "chemoembolisation",
    "selective-internal-radiation-therapy",
    "tips",
    "mechanical-thrombectomy",
];

#[test]
fn every_required_procedure_has_a_complete_sheet() {
    let library = &shipped_library();
    for slug in REQUIRED_PROCEDURES {
        let sheet = library
            .procedure(slug)
            .unwrap_or_else(|| panic!("no sheet for {slug}"));
        let sections: Vec<&str> = sheet.body.sections().map(|h| h.text.as_str()).collect();
        for required in PROCEDURE_SECTIONS {
            assert!(sections.contains(&required), "{slug} lacks `## {required}`");
        }
        let words = sheet.body.plain_text.split_whitespace().count();
        assert!((600..=1500).contains(&words), "{slug} has {words} words");
        assert!(
            !sheet.front.also_known_as.is_empty(),
            "{slug} has no other names"
        );
        assert!(
            !sheet.front.conditions.is_empty(),
            "{slug} treats no condition"
        );
        assert!(
            sheet.front.professional.is_some(),
            "{slug} has no professional section"
        );
    }
}

#[test]
fn the_other_kinds_have_what_the_site_promises() {
    let state = shipped_state();
    let site = state.site();
    let library = &site.library;
    assert!(library.procedures().len() >= 30);
    assert!(library.conditions().len() >= 30);
    assert!(library.stories().len() >= 8);
    assert!(library.pages(PageKind::Radiation).len() >= 4);
    assert!(library.statements().len() >= 5);
    assert!(
        library.stories().all(|s| s.meta.sample),
        "stories are illustrative"
    );
    assert!(
        library.statements().all(|s| s.meta.sample),
        "statements are illustrative"
    );
    assert!(library.stories().all(|s| !s.front.procedures.is_empty()));
    assert!(
        library
            .statements()
            .any(|s| s.front.status == StatementStatus::Superseded),
        "one statement is superseded by another"
    );
    for slug in [
        "what-is-interventional-radiology",
        "training",
        "emergency-cover",
        "how-we-write-our-information",
        "disclaimer",
        "privacy",
        "accessibility",
    ] {
        assert!(
            library
                .pages(PageKind::About)
                .iter()
                .any(|p| p.slug == slug),
            "no about page {slug}"
        );
    }
}

#[test]
fn every_page_is_reviewed_within_three_years_and_claims_no_clinical_review() {
    let state = shipped_state();
    let site = state.site();
    for page in site.library.all_pages() {
        let meta = &page.meta;
        let latest = meta.review.history.first().expect("a history").date.0;
        let limit = latest.saturating_add(jiff::Span::new().years(3));
        assert!(meta.next_review.0 > latest, "{}", page.path());
        assert!(meta.next_review.0 <= limit, "{}", page.path());
        assert!(!meta.review.review_group.is_empty(), "{}", page.path());
        // Nothing shipped has been checked by a clinician, so nothing may say it has.
        assert!(meta.review.clinical_review.is_none(), "{}", page.path());
    }
    assert!(site.library.doses.review.clinical_review.is_none());
}

/// No shipped body has raw HTML or an odd link, so every one skips the sanitiser; this checks,
/// in release builds too, that the sanitiser would have removed nothing from any of them.
#[test]
fn the_sanitiser_would_remove_nothing_from_any_shipped_page() {
    let library = &shipped_library();
    let bodies = library.all_pages().into_iter().map(|p| {
        let name = if p.kind == PageKind::Home {
            String::from("home")
        } else {
            p.slug.clone()
        };
        (name, &p.body)
    });
    let mut checked = 0;
    for (slug, body) in bodies {
        assert!(body.raw_html.is_empty(), "{slug} has raw HTML");
        assert!(
            irinfo::content::markdown::is_clean(&body.html),
            "{slug}: the sanitiser would change it"
        );
        checked += 1;
    }
    assert!(checked > 80, "{checked}");
}

#[test]
fn a_built_site_keeps_no_markdown_source_or_body_yet_searches_them() {
    let state = shipped_state();
    let site = state.site();
    assert!(!site.library.has_texts());
    let mut pages = 0;
    for page in site.library.all_pages() {
        assert!(page.source.text.is_empty(), "{}", page.path());
        assert!(page.body.html.is_empty(), "{}", page.path());
        assert!(page.body.plain_text.is_empty(), "{}", page.path());
        pages += 1;
    }
    assert!(pages > 80, "{pages}");
    // The bodies went to the search index first: a word found only in a body still finds it.
    let library = shipped_library();
    let sheet = library.procedure("angioplasty").expect("a sheet");
    assert!(sheet.body.plain_text.contains("balloon"));
    assert!(!sheet.meta.title.to_lowercase().contains("balloon"));
    let index = site
        .search_index_if_built()
        .expect("build_site builds the index")
        .as_ref()
        .expect("the index builds");
    let found = index.ranked_paths("balloon", 10);
    assert!(
        found.iter().any(|p| p == "/procedures/angioplasty"),
        "{found:?}"
    );
}
