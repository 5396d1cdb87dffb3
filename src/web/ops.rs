//! Operating the server: what a load balancer, an orchestrator and Prometheus ask of it.
//!
//! - `/healthz` says the process answers; `/readyz` says whether it can do its whole job (the
//!   content is loaded, the search index is built, the mail spool can take a message), naming
//!   each check, 503 while one fails. Both are on the public router (a proxy in front asks
//!   there), outside the error pages and every rate limit, and never cached.
//! - [`observe`] wraps every request: it counts it by route (the route's pattern, never the
//!   address asked for, so that the number of series stays bounded) and status, times it, counts
//!   the bytes sent, gives it an `x-request-id`, and writes one log line (target
//!   `irinfo::web::ops::access`).
//! - [`admin_router`] serves `/metrics` in the Prometheus text format on the admin address
//!   (`server.admin_addr`), never the public one: metrics say how the site is used and where it
//!   hurts, which is nobody's business outside.
//!
//! The metrics go through the `metrics` facade to the global recorder [`install_recorder`]
//! installs, so the mail worker records its own without knowing of the web layer. Until it is
//! installed (in-process tests, `irinfo export`) every metric is a no-op. The hot path is kept
//! cheap: each runtime thread keeps the handles of the series it has used, so a request costs a
//! few atomic additions and no allocation or registry look-up.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::{Body, HttpBody};
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderName, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use metrics::{Counter, Histogram};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use serde::Serialize;

use super::{App, AppState};
use crate::mail::{DELIVERIES, ErrorClass, SMTP_ERRORS};

/// Where the liveness and readiness checks answer.
pub const HEALTHZ: &str = "/healthz";
pub const READYZ: &str = "/readyz";
/// Where the admin address serves the metrics.
pub const METRICS: &str = "/metrics";

/// The route label of requests no route matched (the 404 page, mostly): one label for all of
/// them, whatever they asked for.
const FALLBACK_ROUTE: &str = "fallback";
/// The route label of `/static/...`: axum gives no matched path to a nested service.
const STATIC_ROUTE: &str = "/static/{*path}";

const REQUESTS: &str = "irinfo_http_requests_total";
const DURATION: &str = "irinfo_http_request_duration_seconds";
const RESPONSE_BYTES: &str = "irinfo_http_response_bytes_total";
const NOT_MODIFIED: &str = "irinfo_http_not_modified_total";
const QUEUE_MESSAGES: &str = "irinfo_mail_queue_messages";
const QUEUE_OLDEST: &str = "irinfo_mail_queue_oldest_age_seconds";
const BUILD_SECONDS: &str = "irinfo_content_build_duration_seconds";
const PAGES: &str = "irinfo_content_pages";
const LAST_BUILD: &str = "irinfo_content_last_build_timestamp_seconds";
const SEARCH_READY: &str = "irinfo_search_index_ready";

/// Upper bounds of the latency histogram's buckets, in seconds: a page from memory takes well
/// under a millisecond, a search a few, and the request time limit is ten seconds.
const LATENCY_BUCKETS: [f64; 12] = [
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.1, 0.5, 2.5, 10.0,
];

/// The routes of the public router this module adds: `/healthz` and `/readyz`.
pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route(HEALTHZ, get(healthz))
        .route(READYZ, get(readyz))
}

async fn healthz() -> Response {
    json_no_store(StatusCode::OK, r#"{"status":"ok"}"#.to_string())
}

/// One readiness check and how it went.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Check {
    /// `content`, `search_index` or `mail_spool`.
    pub name: &'static str,
    pub ok: bool,
    /// Why it failed; absent when it passed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

/// What `/readyz` answers: ready when every check passes.
#[derive(Debug, Clone, Serialize)]
pub struct Readiness {
    /// `ready` or `not ready`.
    pub status: &'static str,
    pub checks: Vec<Check>,
    /// The names of the checks that failed.
    pub failing: Vec<&'static str>,
}

/// Runs the readiness checks. None reads content from disk: the spool check is two `access`
/// calls, the others look at what is in memory.
pub fn readiness(app: &App) -> Readiness {
    let site = app.site();
    let check = |name, problem: Option<String>| Check {
        name,
        ok: problem.is_none(),
        detail: problem,
    };
    let checks = vec![
        check(
            "content",
            (site.page_count() == 0).then(|| "no pages are loaded".to_string()),
        ),
        check(
            "search_index",
            match site.search_index_if_built() {
                Some(Ok(_)) => None,
                Some(Err(e)) => Some(format!("the search index could not be built: {e}")),
                None => Some("the search index is still being built".to_string()),
            },
        ),
        check("mail_spool", app.contact.queue.unwritable()),
    ];
    let failing: Vec<&'static str> = checks.iter().filter(|c| !c.ok).map(|c| c.name).collect();
    Readiness {
        status: if failing.is_empty() {
            "ready"
        } else {
            "not ready"
        },
        checks,
        failing,
    }
}

async fn readyz(State(state): State<AppState>) -> Response {
    let readiness = readiness(&state.0);
    let status = if readiness.failing.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    json_no_store(
        status,
        serde_json::to_string(&readiness).unwrap_or_default(),
    )
}

fn json_no_store(status: StatusCode, body: String) -> Response {
    (
        status,
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            ),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        ],
        body,
    )
        .into_response()
}

/// The response header that carries each request's id.
pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// A request's id: a random prefix chosen once per process, then a counter, in hex
/// (`9f3c61d2-1a`): unique across restarts in practice, and cheap.
fn next_request_id() -> HeaderValue {
    static PREFIX: OnceLock<u32> = OnceLock::new();
    static COUNTER: AtomicU64 = AtomicU64::new(1);
    let prefix = *PREFIX.get_or_init(|| {
        let mut bytes = [0; 4];
        crate::mail::queue::fill_random(&mut bytes);
        u32::from_le_bytes(bytes)
    });
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    HeaderValue::try_from(format!("{prefix:08x}-{n:x}"))
        .unwrap_or_else(|_| HeaderValue::from_static("0"))
}

/// The handles of one route's series, kept by each thread (see the module's description).
struct RouteMetrics {
    label: &'static str,
    duration: Histogram,
    bytes: Counter,
    by_status: Vec<(StatusCode, Counter)>,
}

thread_local! {
    static ROUTES: RefCell<HashMap<String, RouteMetrics>> = RefCell::new(HashMap::new());
}

/// The label for a matched route. Routes are the patterns the router was built with, a bounded
/// set, so each is leaked once into a `&'static str` the series keep.
fn route_label(matched: &str) -> &'static str {
    static LABELS: std::sync::Mutex<Vec<&'static str>> = std::sync::Mutex::new(Vec::new());
    let mut labels = LABELS.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(label) = labels.iter().find(|l| **l == matched) {
        return label;
    }
    let label: &'static str = Box::leak(matched.to_string().into_boxed_str());
    labels.push(label);
    label
}

fn record(route: &str, status: StatusCode, elapsed: Duration, bytes: u64) {
    ROUTES.with_borrow_mut(|routes| {
        if !routes.contains_key(route) {
            let label = route_label(route);
            routes.insert(
                route.to_string(),
                RouteMetrics {
                    label,
                    duration: metrics::histogram!(DURATION, "route" => label),
                    bytes: metrics::counter!(RESPONSE_BYTES, "route" => label),
                    by_status: Vec::new(),
                },
            );
        }
        let Some(metrics) = routes.get_mut(route) else {
            return;
        };
        metrics.duration.record(elapsed.as_secs_f64());
        metrics.bytes.increment(bytes);
        let counter = match metrics.by_status.iter().find(|(s, _)| *s == status) {
            Some((_, counter)) => counter,
            None => {
                let counter = metrics::counter!(
                    REQUESTS,
                    "route" => metrics.label,
                    "status" => status.as_u16().to_string()
                );
                metrics.by_status.push((status, counter));
                &metrics.by_status[metrics.by_status.len() - 1].1
            }
        };
        counter.increment(1);
    });
    if status == StatusCode::NOT_MODIFIED {
        metrics::counter!(NOT_MODIFIED).increment(1);
    }
}

/// The middleware every request passes through: metrics, `x-request-id`, the access log line.
pub(crate) async fn observe(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let matched = request.extensions().get::<MatchedPath>().cloned();
    let is_static = matched.is_none() && request.uri().path().starts_with("/static/");
    let method = request.method().clone();
    let id = next_request_id();
    let mut response = next.run(request).await;
    let elapsed = started.elapsed();
    let status = response.status();
    let bytes = if method == Method::HEAD {
        0
    } else {
        body_length(&response)
    };
    let route = match &matched {
        Some(matched) => matched.as_str(),
        None if is_static => STATIC_ROUTE,
        None => FALLBACK_ROUTE,
    };
    record(route, status, elapsed, bytes);
    access::log(&id, &method, route, status, elapsed, bytes);
    response.headers_mut().insert(REQUEST_ID, id);
    response
}

/// The per-request log lines, in a module of their own so that their target,
/// `irinfo::web::ops::access`, can be switched on and off alone (see [`crate::logging`]).
mod access {
    use std::time::Duration;

    use axum::http::{HeaderValue, Method, StatusCode};

    /// One line: the request's id, method, route, status, latency and body bytes.
    pub(super) fn log(
        id: &HeaderValue,
        method: &Method,
        route: &str,
        status: StatusCode,
        elapsed: Duration,
        bytes: u64,
    ) {
        tracing::info!(
            request_id = id.to_str().unwrap_or_default(),
            method = method.as_str(),
            route,
            status = status.as_u16(),
            latency_ms = elapsed.as_micros() as f64 / 1000.0,
            bytes,
            "request"
        );
    }
}

/// The body's length when it is known before it is sent, which it is for every page and file the
/// site serves; 0 otherwise.
fn body_length(response: &Response<Body>) -> u64 {
    response.body().size_hint().exact().unwrap_or_else(|| {
        response
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok()?.parse().ok())
            .unwrap_or(0)
    })
}

/// Installs the global Prometheus recorder, once, and returns its handle; later calls return
/// the same handle. `None` if another recorder was installed first (then it is logged).
pub fn install_recorder() -> Option<PrometheusHandle> {
    static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let installed = PrometheusBuilder::new()
                .set_buckets(&LATENCY_BUCKETS)
                .and_then(PrometheusBuilder::install_recorder);
            match installed {
                Ok(handle) => {
                    describe();
                    Some(handle)
                }
                Err(e) => {
                    tracing::error!("metrics are off: {e}");
                    None
                }
            }
        })
        .clone()
}

/// The help text of every metric, and the counters that must show 0 before their first event.
fn describe() {
    use metrics::{describe_counter, describe_gauge, describe_histogram};
    describe_counter!(
        REQUESTS,
        "HTTP requests answered, by route pattern and status."
    );
    describe_histogram!(
        DURATION,
        "Seconds from a request's arrival to its response's head, by route pattern."
    );
    describe_counter!(
        RESPONSE_BYTES,
        "Response body bytes sent (before any TLS), by route pattern."
    );
    describe_counter!(
        NOT_MODIFIED,
        "304 Not Modified responses: a client's copy was still current."
    );
    describe_gauge!(
        QUEUE_MESSAGES,
        "Contact messages in the mail spool, by state: queued (never tried), deferred, failed."
    );
    describe_gauge!(
        QUEUE_OLDEST,
        "Age in seconds of the oldest message waiting in the mail queue; 0 when none waits."
    );
    describe_counter!(DELIVERIES, "Contact messages the SMTP relay accepted.");
    describe_counter!(
        SMTP_ERRORS,
        "Failed SMTP delivery attempts, by class: transient (4xx), permanent (5xx), connection."
    );
    describe_gauge!(
        BUILD_SECONDS,
        "Seconds the last successful content build took (reading, checking, rendering)."
    );
    describe_gauge!(PAGES, "Pages in the site being served.");
    describe_gauge!(
        LAST_BUILD,
        "Unix time of the last successful content build or rebuild."
    );
    describe_gauge!(
        SEARCH_READY,
        "1 when the search index of the site being served is built, else 0."
    );
    metrics::counter!(DELIVERIES).absolute(0);
    metrics::counter!(NOT_MODIFIED).absolute(0);
    for class in ErrorClass::ALL {
        metrics::counter!(SMTP_ERRORS, "class" => class.label()).absolute(0);
    }
}

/// Records a successful content build or rebuild that took `elapsed` and made `pages` pages.
pub fn record_build(elapsed: Duration, pages: usize) {
    metrics::gauge!(BUILD_SECONDS).set(elapsed.as_secs_f64());
    metrics::gauge!(PAGES).set(pages as f64);
    metrics::gauge!(LAST_BUILD).set(jiff::Timestamp::now().as_millisecond() as f64 / 1000.0);
}

/// The admin address's router: `GET /metrics`, and 404 for everything else.
pub fn admin_router(state: AppState, handle: PrometheusHandle) -> Router {
    Router::new()
        .route(METRICS, get(scrape))
        .with_state((state, handle))
}

async fn scrape(State((state, handle)): State<(AppState, PrometheusHandle)>) -> Response {
    // The gauges read when scraped: the spool's folders and the search index.
    let queue = state.0.contact.queue.clone();
    let stats = tokio::task::spawn_blocking(move || queue.stats()).await;
    match stats {
        Ok(Ok(stats)) => {
            for (label, count) in [
                ("queued", stats.queued),
                ("deferred", stats.deferred),
                ("failed", stats.failed),
            ] {
                metrics::gauge!(QUEUE_MESSAGES, "state" => label).set(count as f64);
            }
            let oldest = stats.oldest_waiting.map_or(0.0, |written| {
                let age = jiff::Timestamp::now().duration_since(written);
                age.as_secs_f64().max(0.0)
            });
            metrics::gauge!(QUEUE_OLDEST).set(oldest);
        }
        Ok(Err(e)) => tracing::warn!("metrics: cannot read the mail spool: {e}"),
        Err(e) => tracing::warn!("metrics: reading the mail spool: {e}"),
    }
    let ready = matches!(state.site().search_index_if_built(), Some(Ok(_)));
    metrics::gauge!(SEARCH_READY).set(if ready { 1.0 } else { 0.0 });
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
            ),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        ],
        handle.render(),
    )
        .into_response()
}

/// Runs the recorder's upkeep every few seconds, so that latency samples are folded into the
/// histograms even when nobody scrapes (they would pile up in memory otherwise).
pub async fn upkeep(handle: PrometheusHandle) {
    let mut every = tokio::time::interval(Duration::from_secs(5));
    loop {
        every.tick().await;
        handle.run_upkeep();
    }
}
