//! The contact form's costs: checking and composing a message (CPU only), the durable write to
//! the spool (two fsyncs and a link), and a whole POST /contact through the router.
//!
//! Run with `cargo bench --bench contact`. The spool lives in a temporary folder, so the
//! enqueue numbers are those of the disk under the system's temp dir.

use std::hint::black_box;

use axum::body::Body;
use axum::http::Request;
use criterion::{Criterion, criterion_group, criterion_main};
use irinfo::config::SiteConfig;
use irinfo::mail::message::{ContactMessage, Topic, compose};
use irinfo::mail::{MailQueue, QueueId};
use irinfo::web::contact::{FormValues, validate};
use irinfo::{App, AppState};
use jiff::Timestamp;
use tower::ServiceExt;

fn submission() -> ContactMessage {
    ContactMessage {
        name: "Ann Example".to_string(),
        email: "ann@example.com".to_string(),
        topic: Topic::InformationSheets,
        message: "I read the sheet about angioplasty. ".repeat(40),
    }
}

fn compose_and_validate(c: &mut Criterion) {
    let settings = SiteConfig::default().contact;
    let values = FormValues {
        name: "Ann Example".to_string(),
        email: "ann@example.com".to_string(),
        topic: "information-sheets".to_string(),
        message: "I read the sheet about angioplasty.\r\n".repeat(40),
        ..FormValues::default()
    };
    c.bench_function("validate a form", |b| {
        b.iter(|| validate(black_box(&values)).is_ok())
    });
    let message = submission();
    let now = Timestamp::now();
    let id = QueueId::new(now, &[7; 16]);
    c.bench_function("compose a message with lettre", |b| {
        b.iter(|| compose(black_box(&message), &settings, &id, now).map(|m| m.body.len()))
    });
}

fn enqueue(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("temp dir");
    let queue = MailQueue::new(dir.path());
    queue.create_dirs().expect("spool");
    let settings = SiteConfig::default().contact;
    let message = submission();
    let now = Timestamp::now();
    let mut n: u128 = 0;
    c.bench_function("enqueue durably (write, fsync, link, fsync dir)", |b| {
        b.iter(|| {
            n += 1;
            let id = QueueId::new(now, &n.to_le_bytes());
            let spooled = compose(&message, &settings, &id, now).expect("composed");
            queue.enqueue(&spooled).expect("queued")
        })
    });
}

fn post_contact(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut config = SiteConfig::default();
    config.paths.content = irinfo::crate_dir().join("tests/fixtures/minimal");
    config.paths.static_files = irinfo::crate_dir().join("static");
    config.mail.spool = dir.path().to_path_buf();
    config.contact.burst = u32::MAX;
    config.contact.rate_per_hour = u32::MAX;
    let (site, _) = irinfo::build_site(&config).expect("fixture site");
    let state = AppState::new(App::new(config, site).expect("random source"));
    let router = irinfo::web::router(state.clone());
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    c.bench_function("GET /contact (render the form)", |b| {
        b.iter(|| {
            runtime.block_on(async {
                let request = Request::get("/contact")
                    .body(Body::empty())
                    .expect("request");
                router
                    .clone()
                    .oneshot(request)
                    .await
                    .expect("response")
                    .status()
            })
        })
    });
    c.bench_function("POST /contact (check, compose, enqueue, 303)", |b| {
        b.iter(|| {
            let token = state.0.contact.issue_token();
            let body = form_urlencoded::Serializer::new(String::new())
                .append_pair("form_token", &token)
                .append_pair("name", "Ann Example")
                .append_pair("email", "ann@example.com")
                .append_pair("topic", "press")
                .append_pair("message", "Hello. Please send me a leaflet.")
                .finish();
            let request = Request::post("/contact")
                .header("content-type", "application/x-www-form-urlencoded")
                .body(Body::from(body))
                .expect("request");
            let status = runtime
                .block_on(router.clone().oneshot(request))
                .expect("response")
                .status();
            assert_eq!(status, 303);
        })
    });
}

criterion_group!(benches, compose_and_validate, enqueue, post_contact);
criterion_main!(benches);
