//! How fast the radiation pages are: the comparison page is rendered per request, so its cost is
//! what a visitor waits for; the table of doses is rendered once per site build.
//!
//! Run with `cargo bench --bench radiation`.

mod common;

use std::hint::black_box;

use askama::Template;
use criterion::{Criterion, criterion_group, criterion_main};
use irinfo::config::SiteConfig;
use irinfo::content::Library;
use irinfo::radiation::{RiskBand, background_equivalent};
use irinfo::web::radiation::{check_choice, compare_page, doses_page};

fn shipped_library() -> (Library, SiteConfig) {
    let config = common::shipped_config();
    (common::load(&config).library, config)
}

fn radiation(c: &mut Criterion) {
    let (library, config) = shipped_library();
    let settings = &config.radiation;

    c.bench_function("phrases for every entry in the table", |b| {
        b.iter(|| {
            for entry in &library.doses.entries {
                black_box(background_equivalent(
                    black_box(entry.sort_msv()),
                    settings.annual_background_msv,
                ));
                black_box(RiskBand::for_dose(
                    entry.sort_msv(),
                    settings.risk_per_sievert,
                ));
            }
        })
    });

    // Checking the choice and rendering the page, as the handler does for each request.
    let check_and_render = |requested: &Vec<String>| {
        let (chosen, error) = check_choice(&library.doses, black_box(requested));
        let page = compare_page(
            &library.doses,
            &config,
            "/static/site.css",
            &chosen,
            error.as_ref(),
        );
        black_box(page.render().expect("renders"))
    };
    let requested: Vec<String> = ["angiogram", "chest-x-ray", "ct-abdomen-pelvis", "tips"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    c.bench_function("compare page: check and render 4 entries", |b| {
        b.iter(|| check_and_render(&requested))
    });

    let bad: Vec<String> = vec!["chest-x-ray".to_string(), "no-such-test".to_string()];
    c.bench_function("compare page: an unknown entry (400)", |b| {
        b.iter(|| check_and_render(&bad))
    });

    c.bench_function("doses page: lay out and render (once per build)", |b| {
        b.iter(|| {
            black_box(
                doses_page(&library, &config, "/static/site.css")
                    .render()
                    .expect("renders"),
            )
        })
    });
}

criterion_group!(benches, radiation);
criterion_main!(benches);
