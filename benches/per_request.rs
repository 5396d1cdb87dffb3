//! What compressing the pages made per request costs and saves: search results, a finder
//! answer and a dose comparison, each served through the whole router (every layer) in process
//! without compression, with gzip and with brotli; then the compression levels the layer could
//! use, on a page of search results. Bytes per response are printed before the timings.
//!
//! Run with `cargo bench --bench per_request`; figures are in benches/README.md.

mod common;

use std::hint::black_box;

use axum::body::Body;
use axum::http::Request;
use criterion::{Criterion, criterion_group, criterion_main};
use http_body_util::BodyExt;
use tower::ServiceExt;

const PAGES: [(&str, &str); 3] = [
    ("search", "/search?q=stent"),
    ("finder", "/find?q=LS6+3EX&procedure=angioplasty&radius=50"),
    (
        "compare",
        "/radiation/compare?items=angiogram&items=chest-x-ray&items=ct-abdomen-pelvis",
    ),
];

fn serving(c: &mut Criterion) {
    let config = common::shipped_config();
    let site = common::build(&config);
    site.build_search_index()
        .as_ref()
        .expect("the search index builds");
    site.make_brotli_copies();
    let (router, runtime) = common::router_and_runtime(config, site);
    let fetch = |path: &str, encoding: &str| {
        runtime.block_on(async {
            let request = Request::get(path)
                .header("accept-encoding", encoding)
                .body(Body::empty())
                .expect("a request");
            let response = router.clone().oneshot(request).await.expect("infallible");
            let status = response.status();
            let bytes = response.into_body().collect().await.expect("a body");
            (status, bytes.to_bytes())
        })
    };
    for (name, path) in PAGES {
        let sizes: Vec<String> = ["identity", "gzip", "br"]
            .iter()
            .map(|encoding| {
                let (status, body) = fetch(path, encoding);
                assert!(status.is_success(), "{path}: {status}");
                format!("{encoding} {} B", body.len())
            })
            .collect();
        eprintln!("{name} {path}: {}", sizes.join(", "));
    }
    let mut group = c.benchmark_group("per-request page");
    for (name, path) in PAGES {
        for encoding in ["identity", "gzip", "br"] {
            group.bench_function(format!("{name} {encoding}"), |b| {
                b.iter(|| black_box(fetch(path, encoding).1.len()))
            });
        }
    }
    group.finish();

    // The levels to choose from, on the uncompressed search page.
    let (_, page) = fetch(PAGES[0].1, "identity");
    let mut group = c.benchmark_group("levels on search results");
    for level in [1, 3, 5, 6] {
        let mut compressor =
            libdeflater::Compressor::new(libdeflater::CompressionLvl::new(level).unwrap());
        let mut out = vec![0; compressor.gzip_compress_bound(page.len())];
        let size = compressor.gzip_compress(&page, &mut out).unwrap();
        eprintln!("gzip {level}: {} of {} B", size, page.len());
        group.bench_function(format!("gzip {level}"), |b| {
            b.iter(|| black_box(compressor.gzip_compress(&page, &mut out).unwrap()))
        });
    }
    for quality in [1, 2, 3, 4, 5] {
        let params = brotli::enc::BrotliEncoderParams {
            quality,
            lgwin: 17,
            size_hint: page.len(),
            ..Default::default()
        };
        let compress = || {
            let mut out = Vec::with_capacity(page.len() / 4);
            brotli::BrotliCompress(&mut &page[..], &mut out, &params).unwrap();
            out
        };
        eprintln!("brotli {quality}: {} of {} B", compress().len(), page.len());
        group.bench_function(format!("brotli {quality}"), |b| {
            b.iter(|| black_box(compress().len()))
        });
    }
    group.finish();
}

criterion_group!(benches, serving);
criterion_main!(benches);
