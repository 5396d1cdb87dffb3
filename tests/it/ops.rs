//! Operating the server (issue 21): `/healthz` and `/readyz` in-process, ready and not; and the
//! real binary's admin address, whose `/metrics` after a few requests passes `promtool check
//! metrics` and counts them, is not on the public address, and whose JSON log lines parse, carry
//! each request's fields and mask email addresses.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use axum::http::StatusCode;
use irinfo::{App, AppState};

use crate::support::*;

/// Settings for the small fixture site with its spool at `spool`.
fn config_with_spool(spool: &Path) -> irinfo::config::SiteConfig {
    let mut config = fixture_config("minimal");
    config.mail.spool = spool.to_path_buf();
    config
}

#[tokio::test]
async fn healthz_answers_ok_uncached_with_a_request_id() {
    let router = shipped_router();
    let response = get_ok(&router, "/healthz").await;
    assert_eq!(response.body, r#"{"status":"ok"}"#);
    assert_eq!(response.header("cache-control"), "no-store");
    assert_eq!(response.header("content-type"), "application/json");
    let first = response.header("x-request-id").to_string();
    let second = get(&router, "/healthz").await;
    assert!(!first.is_empty());
    assert_ne!(second.header("x-request-id"), first, "one id per request");
}

#[tokio::test]
async fn readyz_is_200_when_content_index_and_spool_are_ready() {
    let dir = tempfile::tempdir().unwrap();
    let spool = dir.path().join("spool");
    irinfo::mail::MailQueue::new(&spool).create_dirs().unwrap();
    // `state_for` builds the search index before it returns.
    let router = irinfo::web::router(state_for(config_with_spool(&spool)));
    let response = get(&router, "/readyz").await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.body);
    assert_eq!(response.header("cache-control"), "no-store");
    let body: serde_json::Value = serde_json::from_str(&response.body).unwrap();
    assert_eq!(body["status"], "ready");
    assert_eq!(body["failing"], serde_json::json!([]));
    let names: Vec<&str> = body["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["content", "search_index", "mail_spool"]);
    assert!(
        body["checks"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["ok"] == true)
    );
}

#[tokio::test]
async fn readyz_is_503_naming_an_unbuilt_index_and_an_unwritable_spool() {
    let dir = tempfile::tempdir().unwrap();
    // The spool's folders cannot exist: its path goes through a file. (Permissions would not
    // do: the tests may run as root, whom they do not stop.)
    let file = dir.path().join("a-file");
    std::fs::write(&file, "not a folder").unwrap();
    let config = config_with_spool(&file.join("spool"));
    // Served before the background build of the index, as the server does at start.
    let (site, _) = irinfo::build_servable_site(&config).unwrap();
    let state = AppState::new(App::new(config, site).unwrap());
    let router = irinfo::web::router(state.clone());

    let response = get(&router, "/readyz").await;
    assert_eq!(response.status, StatusCode::SERVICE_UNAVAILABLE);
    // JSON for the machine that asked, not the site's HTML error page.
    assert_eq!(response.header("content-type"), "application/json");
    assert_eq!(response.header("cache-control"), "no-store");
    let body: serde_json::Value = serde_json::from_str(&response.body).unwrap();
    assert_eq!(body["status"], "not ready");
    assert_eq!(
        body["failing"],
        serde_json::json!(["search_index", "mail_spool"])
    );
    let checks = body["checks"].as_array().unwrap();
    assert_eq!(checks[0]["ok"], true, "the content is loaded");
    assert!(
        checks[1]["detail"]
            .as_str()
            .unwrap()
            .contains("being built"),
        "{checks:?}"
    );
    assert!(
        checks[2]["detail"].as_str().unwrap().contains("a-file"),
        "{checks:?}"
    );

    // Once the index is built, only the spool fails.
    state.site().build_search_index().as_ref().unwrap();
    let response = get(&router, "/readyz").await;
    assert_eq!(response.status, StatusCode::SERVICE_UNAVAILABLE);
    let body: serde_json::Value = serde_json::from_str(&response.body).unwrap();
    assert_eq!(body["failing"], serde_json::json!(["mail_spool"]));
}

#[tokio::test]
async fn metrics_are_not_on_the_public_router() {
    let response = get(&shipped_router(), "/metrics").await;
    assert_eq!(response.status, StatusCode::NOT_FOUND);
}

/// `irinfo serve` on free ports, logging JSON lines to a file, killed when dropped.
struct Server {
    child: Child,
    public: SocketAddr,
    admin: SocketAddr,
    log: std::path::PathBuf,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    fn start(dir: &Path) -> Self {
        let settings = shipped_settings_with_spool_in(dir);
        let log = dir.join("irinfo.log");
        let file = std::fs::File::create(&log).unwrap();
        let child = Command::new(binary())
            .current_dir(repo())
            .args(["serve", "--addr", "127.0.0.1:0", "--log-format", "json"])
            .args(ADMIN_ON_ANY_PORT)
            .arg("--config")
            .arg(settings)
            // The defaults of the JSON format: one line per request included.
            .env_remove("RUST_LOG")
            .env_remove("IRINFO_LOG_FORMAT")
            .stdin(Stdio::null())
            .stdout(file.try_clone().unwrap())
            .stderr(file)
            .spawn()
            .expect("the irinfo binary starts");
        let mut server = Self {
            child,
            public: SocketAddr::from(([127, 0, 0, 1], 0)),
            admin: SocketAddr::from(([127, 0, 0, 1], 0)),
            log,
        };
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let text = server.log_text();
            let found = |prefix: &str| {
                text.split(prefix)
                    .nth(1)
                    .and_then(|rest| rest.split('"').next())
                    .and_then(|addr| addr.parse::<SocketAddr>().ok())
            };
            if let (Some(public), Some(admin)) = (
                found("serving on http://"),
                found("admin (metrics) on http://"),
            ) {
                server.public = public;
                server.admin = admin;
                return server;
            }
            if let Ok(Some(status)) = server.child.try_wait() {
                panic!("irinfo exited with {status}:\n{text}");
            }
            assert!(Instant::now() < deadline, "irinfo did not start:\n{text}");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

/// One HTTP/1.1 request with extra header lines; the status, the head (lower case) and body.
fn http(addr: SocketAddr, path: &str, headers: &str) -> (u16, String, String) {
    let request =
        format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n{headers}\r\n");
    let raw = String::from_utf8_lossy(&http_exchange(addr, &request)).into_owned();
    let (head, body) = raw.split_once("\r\n\r\n").expect("end of headers");
    let status = head.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap();
    (status, head.to_ascii_lowercase(), body.to_string())
}

fn header<'a>(head: &'a str, name: &str) -> &'a str {
    head.lines()
        .find_map(|line| line.strip_prefix(&format!("{name}: ")))
        .unwrap_or("")
}

/// The value of the series `name` whose labels include every pair in `labels`.
fn sample(metrics: &str, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    metrics
        .lines()
        .filter(|l| !l.starts_with('#'))
        .find_map(|line| {
            let (series, value) = line.rsplit_once(' ')?;
            let (series_name, label_text) = match series.split_once('{') {
                Some((n, rest)) => (n, rest.strip_suffix('}')?),
                None => (series, ""),
            };
            if series_name != name {
                return None;
            }
            let found: BTreeMap<&str, &str> = label_text
                .split("\",")
                .filter(|pair| !pair.is_empty())
                .filter_map(|pair| {
                    let (k, v) = pair.split_once("=\"")?;
                    Some((k, v.trim_end_matches('"')))
                })
                .collect();
            labels
                .iter()
                .all(|(k, v)| found.get(k) == Some(v))
                .then(|| value.parse().ok())?
        })
}

#[test]
fn the_admin_address_serves_metrics_that_promtool_accepts_and_that_count_requests() {
    require_installed("/usr/bin/promtool", "promtool (Prometheus)", "prometheus");
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());

    let page = "/procedures/angioplasty";
    let (status, head, _) = http(server.public, page, "");
    assert_eq!(status, 200);
    let etag = header(&head, "etag").to_string();
    assert!(!etag.is_empty(), "{head}");
    for _ in 0..2 {
        assert_eq!(http(server.public, page, "").0, 200);
    }
    let (status, _, _) = http(server.public, page, &format!("If-None-Match: {etag}\r\n"));
    assert_eq!(status, 304);
    assert_eq!(http(server.public, "/no/such/page", "").0, 404);
    assert_eq!(http(server.public, "/static/site.css", "").0, 200);
    // The metrics are not on the public address.
    let (status, _, body) = http(server.public, "/metrics", "");
    assert_eq!(status, 404);
    assert!(!body.contains("irinfo_http_requests_total"));

    // The search index is built in the background; the gauge says when it is.
    let deadline = Instant::now() + Duration::from_secs(60);
    let metrics = loop {
        let (status, head, metrics) = http(server.admin, "/metrics", "");
        assert_eq!(status, 200);
        assert!(header(&head, "content-type").starts_with("text/plain; version=0.0.4"));
        if sample(&metrics, "irinfo_search_index_ready", &[]) == Some(1.0) {
            break metrics;
        }
        assert!(Instant::now() < deadline, "the index was never ready");
        std::thread::sleep(Duration::from_millis(200));
    };

    let scraped = dir.path().join("metrics.txt");
    std::fs::write(&scraped, &metrics).unwrap();
    let check = Command::new("/usr/bin/promtool")
        .args(["check", "metrics"])
        .stdin(std::fs::File::open(&scraped).unwrap())
        .output()
        .unwrap();
    assert!(
        check.status.success(),
        "promtool: {}{}\n{metrics}",
        String::from_utf8_lossy(&check.stdout),
        String::from_utf8_lossy(&check.stderr)
    );

    let route = [("route", "/procedures/{slug}")];
    let requests = |labels: &[(&str, &str)]| {
        sample(&metrics, "irinfo_http_requests_total", labels)
            .unwrap_or_else(|| panic!("no irinfo_http_requests_total{labels:?} in\n{metrics}"))
    };
    assert_eq!(
        requests(&[("route", "/procedures/{slug}"), ("status", "200")]),
        3.0
    );
    assert_eq!(
        requests(&[("route", "/procedures/{slug}"), ("status", "304")]),
        1.0
    );
    // Whatever was asked for, unmatched addresses share one label; /static has its own.
    assert_eq!(requests(&[("route", "fallback"), ("status", "404")]), 2.0);
    assert_eq!(
        requests(&[("route", "/static/{*path}"), ("status", "200")]),
        1.0
    );
    assert!(
        !metrics.contains("no/such/page"),
        "raw paths are never labels"
    );
    let value = |name: &str, labels: &[(&str, &str)]| {
        sample(&metrics, name, labels).unwrap_or_else(|| panic!("no {name}{labels:?}"))
    };
    assert_eq!(value("irinfo_http_not_modified_total", &[]), 1.0);
    assert_eq!(
        value("irinfo_http_request_duration_seconds_count", &route),
        4.0
    );
    let seconds = value("irinfo_http_request_duration_seconds_sum", &route);
    assert!(seconds > 0.0 && seconds < 10.0, "{seconds}");
    assert_eq!(
        value(
            "irinfo_http_request_duration_seconds_bucket",
            &[("route", "/procedures/{slug}"), ("le", "+Inf")]
        ),
        4.0
    );
    // Three whole pages, of some kilobytes each; the 304 has no body.
    let bytes = value("irinfo_http_response_bytes_total", &route);
    assert!(bytes > 3.0 * 2000.0, "{bytes}");
    for state in ["queued", "deferred", "failed"] {
        assert_eq!(
            value("irinfo_mail_queue_messages", &[("state", state)]),
            0.0
        );
    }
    assert_eq!(value("irinfo_mail_queue_oldest_age_seconds", &[]), 0.0);
    assert_eq!(value("irinfo_mail_deliveries_total", &[]), 0.0);
    for class in ["transient", "permanent", "connection"] {
        assert_eq!(
            value("irinfo_mail_smtp_errors_total", &[("class", class)]),
            0.0
        );
    }
    assert!(value("irinfo_content_pages", &[]) > 100.0);
    let build = value("irinfo_content_build_duration_seconds", &[]);
    assert!(build > 0.0 && build < 120.0, "{build}");
    let built_at = value("irinfo_content_last_build_timestamp_seconds", &[]);
    let now = jiff::Timestamp::now().as_second() as f64;
    assert!(
        built_at <= now + 1.0 && built_at > now - 600.0,
        "{built_at} {now}"
    );

    // Anything else on the admin address is a 404.
    assert_eq!(http(server.admin, "/", "").0, 404);
}

#[test]
fn json_log_lines_parse_carry_each_request_and_mask_addresses() {
    // A spool whose path holds an address, so that a real log line ("contact messages wait in
    // .../spool/queue") carries one.
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("patient@example.org");
    std::fs::create_dir(&home).unwrap();
    let server = Server::start(&home);
    let (status, head, _) = http(server.public, "/procedures/angioplasty?q=secret", "");
    assert_eq!(status, 200);
    let id = header(&head, "x-request-id").to_string();
    assert!(!id.is_empty(), "{head}");

    let deadline = Instant::now() + Duration::from_secs(20);
    let (lines, access) = loop {
        let text = server.log_text();
        let lines: Vec<serde_json::Value> = text
            .lines()
            .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line:?}")))
            .collect();
        if let Some(access) = lines.iter().find(|l| l["request_id"] == id.as_str()) {
            break (lines.clone(), access.clone());
        }
        assert!(Instant::now() < deadline, "no log line for {id}:\n{text}");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(access["target"], "irinfo::web::ops::access");
    assert_eq!(access["level"], "INFO");
    assert_eq!(access["method"], "GET");
    assert_eq!(access["route"], "/procedures/{slug}");
    assert_eq!(access["status"], 200);
    let latency = access["latency_ms"].as_f64().expect("latency_ms");
    assert!(latency > 0.0 && latency < 10_000.0, "{latency}");
    assert!(access["timestamp"].is_string() && access["message"] == "request");
    let text = server.log_text();
    // The route, never the address asked for: its query may hold what a visitor typed.
    assert!(!text.contains("secret"), "{text}");
    assert!(!text.contains("patient@example.org"), "{text}");
    assert!(
        lines.iter().any(|l| l["message"]
            .as_str()
            .is_some_and(|m| m.contains("p***@example.org/spool/queue"))),
        "{text}"
    );
}
