//! Search latency: `cargo bench --bench search`.
//!
//! Two sites: the shipped content, and the shipped content plus 2,000 generated pages (about six
//! times the pages a society site might reach), written to a temporary folder as real Markdown
//! files and loaded through the real `Library`. For each, a handful of queries a GP and a patient
//! would type, including a misspelling (which runs the "did you mean" path) and a phrase.

mod common;

use std::fmt::Write as _;
use std::path::Path;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use irinfo::content::Library;
use irinfo::search::SearchIndex;

/// The published Library of the content in `content`.
fn load(content: &Path) -> Library {
    let mut config = common::shipped_config();
    config.paths.content = content.to_path_buf();
    common::load(&config).library
}

const QUERIES: [&str; 6] = [
    "fibroids",
    "blocked kidney",
    "PAD",
    "nephrostmy",
    "what is a picc line",
    "embolization",
];

/// Copies the shipped content and adds `count` about pages whose text is made from the
/// shipped pages' own sentences, so the vocabulary and term statistics stay realistic.
fn content_with_generated_pages(count: usize) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temporary folder");
    common::copy_dir(&irinfo::crate_dir().join("content"), dir.path());
    let shipped = load(&irinfo::crate_dir().join("content"));
    let sentences: Vec<String> = shipped
        .all_pages()
        .iter()
        .flat_map(|p| {
            p.body
                .plain_text
                .split(". ")
                .map(str::to_string)
                .collect::<Vec<_>>()
        })
        .filter(|s| s.len() > 20 && !s.contains('[') && !s.contains('\n'))
        .collect();
    let titles: Vec<String> = shipped
        .all_pages()
        .iter()
        .map(|p| p.meta.title.clone())
        .collect();
    let pages_dir = dir.path().join("pages");
    for i in 0..count {
        let mut text = String::new();
        let title = format!("Generated guide {i}: {}", titles[i % titles.len()]);
        let _ = write!(
            text,
            "+++\ntitle = {title:?}\nsummary = \"A generated page for the search benchmark.\"\nreview_group = \"Benchmark\"\nnext_review = 2028-01-10\n[[history]]\nversion = \"1.0\"\ndate = 2026-01-10\nchange = \"First published.\"\n+++\n\n"
        );
        for section in 0..4 {
            let _ = writeln!(text, "## Part {section}\n");
            for k in 0..6 {
                let sentence = &sentences[(i * 31 + section * 7 + k * 13) % sentences.len()];
                let _ = write!(text, "{sentence}. ");
            }
            text.push_str("\n\n");
        }
        std::fs::write(pages_dir.join(format!("generated-{i}.md")), text).expect("write page");
    }
    dir
}

fn bench_site(c: &mut Criterion, name: &str, library: &Library) {
    let index = SearchIndex::build(library).expect("index");
    let mut group = c.benchmark_group(format!("search/{name} ({} pages)", index.len()));
    for query in QUERIES {
        group.bench_with_input(BenchmarkId::from_parameter(query), query, |b, query| {
            b.iter(|| {
                index
                    .search(std::hint::black_box(query), 1)
                    .expect("search")
            });
        });
    }
    group.finish();
}

fn search_latency(c: &mut Criterion) {
    let shipped = load(&irinfo::crate_dir().join("content"));
    bench_site(c, "shipped", &shipped);

    let count = common::generated_count(2_000);
    let generated = content_with_generated_pages(count);
    let large = load(generated.path());
    let large_name = format!("shipped+{count}");
    bench_site(c, &large_name, &large);

    // Building happens once per Site build, not per request; measured so a rebuild's cost is
    // known.
    let mut group = c.benchmark_group("index build");
    group.sample_size(10);
    group.bench_function("shipped", |b| {
        b.iter(|| SearchIndex::build(std::hint::black_box(&shipped)).expect("index"));
    });
    group.bench_function(&large_name, |b| {
        b.iter(|| SearchIndex::build(std::hint::black_box(&large)).expect("index"));
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(30).measurement_time(std::time::Duration::from_secs(3));
    targets = search_latency
}
criterion_main!(benches);
