//! How long it takes to turn content into a servable Site: loading the Library (read, TOML,
//! Markdown, checks), building the Site (render every page, gzip and hash it), then what the
//! server does in the background once it serves (the search index, then the brotli copies),
//! and rendering one procedure sheet. Run with `cargo bench --bench library`.
//!
//! The target from issue 10 is 250 ms or less for 1,000 generated sheets on the 2-core machine.

mod common;

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::Duration;

use askama::Template;
use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use irinfo::web::cached::CachedPage;
use irinfo::web::views::{Layout, ProcedureTemplate};

use common::{copy_dir, load, shipped_config};

/// How many extra procedure sheets the large benchmark adds to the shipped content.
const GENERATED_SHEETS: usize = 1_000;

/// A copy of the shipped content with `count` more procedure sheets, each a shipped sheet under a
/// new slug and title, so every one is parsed, checked, rendered and compressed like a real one.
fn generated_content(dir: &Path, count: usize) -> PathBuf {
    let content = dir.join("content");
    copy_dir(&irinfo::crate_dir().join("content"), &content);
    let procedures = content.join("procedures");
    let mut originals: Vec<PathBuf> = std::fs::read_dir(&procedures)
        .expect("shipped procedures")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    originals.sort();
    for i in 0..count {
        let original = &originals[i % originals.len()];
        let text = std::fs::read_to_string(original).expect("read sheet");
        let slug = original.file_stem().and_then(|s| s.to_str()).expect("slug");
        let text = text.replacen("\ntitle = \"", &format!("\ntitle = \"Copy {i:04} of "), 1);
        std::fs::write(procedures.join(format!("{slug}-copy-{i:04}.md")), text)
            .expect("write sheet");
    }
    content
}

fn build_benches(c: &mut Criterion) {
    let shipped = shipped_config();
    let temp = tempfile::tempdir().expect("temp dir");
    let mut generated = shipped_config();
    let sheets = common::generated_count(GENERATED_SHEETS);
    generated.paths.content = generated_content(temp.path(), sheets);

    let mut group = c.benchmark_group("build");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(8));
    let generated_name = format!("generated-{sheets}");
    for (name, config) in [("shipped", &shipped), (generated_name.as_str(), &generated)] {
        group.bench_function(format!("library/{name}"), |b| {
            b.iter(|| black_box(load(config)))
        });
        // Servable: parsed, checked, rendered, gzipped and hashed; what the server waits for.
        group.bench_function(format!("library+site/{name}"), |b| {
            b.iter(|| black_box(common::build(config)))
        });
        // The search index, which the server builds in the background once it is serving.
        group.bench_function(format!("search-index/{name}"), |b| {
            b.iter_batched(
                || common::build(config),
                |site| {
                    site.build_search_index().as_ref().expect("index builds");
                    site
                },
                BatchSize::LargeInput,
            )
        });
        // The brotli copies the server makes in the background once it is serving.
        group.bench_function(format!("brotli-copies/{name}"), |b| {
            b.iter_batched(
                || common::build(config),
                |site| {
                    site.make_brotli_copies();
                    site
                },
                BatchSize::LargeInput,
            )
        });
    }
    group.finish();
}

fn render_benches(c: &mut Criterion) {
    let config = shipped_config();
    let library = load(&config).library;
    let sheet = library
        .procedure("angioplasty")
        .expect("the shipped angioplasty sheet");
    let render = || {
        ProcedureTemplate {
            layout: Layout::new(
                &config,
                "/static/site.css",
                "/procedures/angioplasty",
                &sheet.meta.title,
            ),
            sheet,
            authority: irinfo::web::authority::AuthorityView::for_sheet(&sheet, &library),
            category_label: "Arteries and veins",
            category_anchor: "blood-vessels",
            radiation: irinfo::web::radiation::panel(&sheet, &library, &config),
            treats: Vec::new(),
            related: Vec::new(),
            stories: Vec::new(),
        }
        .render()
        .expect("renders")
    };
    let html = render();
    let mut group = c.benchmark_group("render");
    group.bench_function("one-sheet/html", |b| b.iter(|| black_box(render())));
    group.bench_function("one-sheet/compress", |b| {
        b.iter(|| black_box(CachedPage::html(html.clone())))
    });
    group.finish();
}

criterion_group!(benches, build_benches, render_benches);
criterion_main!(benches);
