//! What the open-data documents cost to serve, beside a page: each API document is rendered
//! with the Site, so a request is a map lookup and a copy of ready bytes, like a page. Requests
//! go through the whole router (every layer), in process.
//!
//! Run with `cargo bench --bench open_data`; figures are in benches/README.md.

mod common;

use std::hint::black_box;

use axum::body::Body;
use axum::http::Request;
use criterion::{Criterion, criterion_group, criterion_main};
use http_body_util::BodyExt;
use tower::ServiceExt;

fn serving(c: &mut Criterion) {
    let config = common::shipped_config();
    let site = common::build(&config);
    let (router, runtime) = common::router_and_runtime(config, site);
    let mut group = c.benchmark_group("serve");
    for (name, path) in [
        ("page /procedures/angioplasty", "/procedures/angioplasty"),
        (
            "api /api/v1/procedures/angioplasty",
            "/api/v1/procedures/angioplasty",
        ),
        ("api list page 2", "/api/v1/procedures?page=2"),
        ("api code lookup", "/api/v1/codes/icd-10/I26.9"),
        ("api 400 problem", "/api/v1/procedures?page=-1"),
        ("sitemap", "/sitemap.xml"),
        ("feed", "/feed.xml"),
    ] {
        group.bench_function(name, |b| {
            b.iter(|| {
                runtime.block_on(async {
                    let request = Request::get(path)
                        .header("accept-encoding", "gzip")
                        .body(Body::empty())
                        .expect("a request");
                    let response = router.clone().oneshot(request).await.expect("infallible");
                    let bytes = response.into_body().collect().await.expect("a body");
                    black_box(bytes.to_bytes().len())
                })
            })
        });
    }
    group.finish();
}

criterion_group!(benches, serving);
criterion_main!(benches);
