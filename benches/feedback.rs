//! What a "Was this page helpful?" answer costs on SQLite: the store's durable insert alone
//! (a WAL commit with `synchronous = FULL`, so one fsync), and a whole `POST /feedback` through
//! the router (parse, page check, rate limit, `spawn_blocking`, insert, 303).
//!
//! Run with `cargo bench --bench feedback`. Besides criterion's estimates, each benchmark times
//! every answer on its own and prints the p50 and p99 of all of them, since a durable write's
//! cost is in its tail. The database lives in a temporary folder, so the numbers are those of
//! the disk under the system's temp dir.

use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::Request;
use criterion::{Criterion, criterion_group, criterion_main};
use irinfo::config::SiteConfig;
use irinfo::feedback::{FeedbackStore, NewAnswer};
use irinfo::{App, AppState};
use tower::ServiceExt;

/// The p50 and p99 of `samples`, printed under `name`.
fn report(name: &str, samples: &mut [Duration]) {
    if samples.is_empty() {
        return;
    }
    samples.sort_unstable();
    let at = |q: f64| samples[((samples.len() as f64 * q) as usize).min(samples.len() - 1)];
    println!(
        "{name}: p50 {:.3} ms, p99 {:.3} ms over {} answers",
        at(0.50).as_secs_f64() * 1000.0,
        at(0.99).as_secs_f64() * 1000.0,
        samples.len()
    );
}

fn record(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = FeedbackStore::open_sqlite(&dir.path().join("feedback.sqlite3")).expect("store");
    let mut n = 0u64;
    let mut samples = Vec::new();
    c.bench_function("record an answer in SQLite (WAL, synchronous=FULL)", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                n += 1;
                let answer = NewAnswer {
                    id: format!("bench-{n}"),
                    page: "/procedures/balloon".to_string(),
                    kind: "procedure".to_string(),
                    helpful: n % 3 != 0,
                    at: 1_800_000_000 + n as i64,
                };
                let started = Instant::now();
                store.record(&answer).expect("recorded");
                let took = started.elapsed();
                samples.push(took);
                total += took;
            }
            total
        })
    });
    report("record an answer", &mut samples);
}

fn post_feedback(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut config = SiteConfig::default();
    config.paths.content = irinfo::crate_dir().join("tests/fixtures/minimal");
    config.paths.static_files = irinfo::crate_dir().join("static");
    config.mail.spool = dir.path().join("spool");
    config.feedback.database = dir.path().join("feedback.sqlite3");
    config.feedback.burst = u32::MAX;
    config.feedback.rate_per_hour = u32::MAX;
    let (site, _) = irinfo::build_site(&config).expect("fixture site");
    let state = AppState::new(App::new(config, site).expect("random source"));
    let router = irinfo::web::router(state);
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let mut samples = Vec::new();
    c.bench_function("POST /feedback (check, insert durably, 303)", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let request = Request::post("/feedback")
                    .header("content-type", "application/x-www-form-urlencoded")
                    .body(Body::from("page=%2Fprocedures%2Fballoon&answer=yes"))
                    .expect("request");
                let started = Instant::now();
                let status = runtime
                    .block_on(router.clone().oneshot(request))
                    .expect("response")
                    .status();
                let took = started.elapsed();
                assert_eq!(status, 303);
                samples.push(took);
                total += took;
            }
            total
        })
    });
    report("POST /feedback", &mut samples);
}

criterion_group!(benches, record, post_feedback);
criterion_main!(benches);
