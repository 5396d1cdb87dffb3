//! Performance features that change what is sent: the export is byte-identical to what the server
//! sends (checked in-process and through a real nginx), validators give 304s, fingerprinted
//! static files are immutable, Vary and HEAD are right.

use std::io::Read;
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode};
use irinfo::web::cached::Encoding;

use crate::support::*;

/// A response with its body as raw bytes (compressed bodies are not text).
struct RawResponse {
    status: StatusCode,
    headers: HeaderMap,
    body: Vec<u8>,
}

impl RawResponse {
    fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }
}

async fn fetch(
    router: &Router,
    method: Method,
    path: &str,
    headers: &[(&str, &str)],
) -> RawResponse {
    let mut request = Request::builder().method(method).uri(path);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let (status, headers, body) =
        send_bytes(router, request.body(Body::empty()).expect("valid request")).await;
    RawResponse {
        status,
        headers,
        body,
    }
}

/// A GET with the given headers.
async fn get_raw(router: &Router, path: &str, headers: &[(&str, &str)]) -> RawResponse {
    fetch(router, Method::GET, path, headers).await
}

/// What a browser sends to ask for each copy.
const ENCODINGS: [(Encoding, &str); 3] = [
    (Encoding::Identity, ""),
    (Encoding::Gzip, "gzip"),
    (Encoding::Brotli, "gzip, deflate, br"),
];

fn export_shipped_site(dir: &Path) -> irinfo::export::ExportSummary {
    let site = shipped_state().site();
    irinfo::export::export(&site, dir).expect("export")
}

/// The file the export wrote for `relative` in this encoding.
fn exported(dir: &Path, relative: &str, encoding: Encoding) -> Vec<u8> {
    let suffix = encoding.file_suffix().unwrap_or_default();
    let path = dir.join(format!("{relative}{suffix}"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The stylesheet address the pages link to.
async fn stylesheet_href(router: &Router) -> String {
    let home = get(router, "/").await;
    between(&home.body, "<link rel=\"stylesheet\" href=\"", "\"")
        .expect("a stylesheet link")
        .to_string()
}

#[tokio::test]
async fn every_exported_file_is_the_bytes_the_server_sends() {
    let router = shipped_router();
    let dir = tempfile::tempdir().unwrap();
    let summary = export_shipped_site(dir.path());
    let site = shipped_state().site();
    assert_eq!(summary.pages, site.paths().len());
    assert!(summary.pages > 80, "only {} pages", summary.pages);

    let mut compared = 0;
    for path in site.paths() {
        let relative = irinfo::export::page_file(path).unwrap();
        for (encoding, accept) in ENCODINGS {
            let response = get_raw(&router, path, &[("accept-encoding", accept)]).await;
            assert_eq!(response.status, StatusCode::OK, "{path}");
            assert_eq!(
                response.header("content-encoding"),
                encoding.header_value().unwrap_or(""),
                "{path} {accept:?}"
            );
            assert_eq!(
                response.body,
                exported(dir.path(), &relative, encoding),
                "{path} {accept:?}"
            );
            compared += 1;
        }
    }
    // Static files, by both names, and the 404 page.
    let css = stylesheet_href(&router).await;
    for (path, relative) in [
        (css.as_str(), css.trim_start_matches('/')),
        ("/static/site.css", "static/site.css"),
        ("/no/such/page", "404.html"),
    ] {
        for (encoding, accept) in ENCODINGS {
            let response = get_raw(&router, path, &[("accept-encoding", accept)]).await;
            assert_eq!(
                response.body,
                exported(dir.path(), relative, encoding),
                "{path} {accept:?}"
            );
            compared += 1;
        }
    }
    assert!(compared > 250);

    // The copies really are what they claim to be.
    let page = exported(
        dir.path(),
        "procedures/angioplasty.html",
        Encoding::Identity,
    );
    let mut unzipped = Vec::new();
    flate2::read::GzDecoder::new(
        &exported(dir.path(), "procedures/angioplasty.html", Encoding::Gzip)[..],
    )
    .read_to_end(&mut unzipped)
    .unwrap();
    assert_eq!(unzipped, page);
    let mut unbrotlied = Vec::new();
    brotli::BrotliDecompress(
        &mut &exported(dir.path(), "procedures/angioplasty.html", Encoding::Brotli)[..],
        &mut unbrotlied,
    )
    .unwrap();
    assert_eq!(unbrotlied, page);
}

#[tokio::test]
async fn export_refuses_a_folder_that_is_not_empty() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("old-page.html"), "stale").unwrap();
    let site = shipped_state().site();
    let error = irinfo::export::export(&site, dir.path()).unwrap_err();
    assert!(error.to_string().contains("is not empty"), "{error}");
    assert_eq!(
        std::fs::read_to_string(dir.path().join("old-page.html")).unwrap(),
        "stale"
    );
}

#[test]
fn the_export_command_writes_the_site() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("out");
    let output = Command::new(binary())
        .current_dir(repo())
        .arg("export")
        .arg(&target)
        .output()
        .expect("run irinfo export");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains("exported"), "{stdout}");
    for file in [
        "index.html",
        "index.html.gz",
        "index.html.br",
        "procedures.html",
        "procedures/angioplasty.html",
        "404.html",
        "static/site.css",
    ] {
        assert!(target.join(file).is_file(), "{file} missing");
    }
    // A second export into the same folder is refused, with a reason and a failing status.
    let again = Command::new(binary())
        .current_dir(repo())
        .arg("export")
        .arg(&target)
        .output()
        .expect("run irinfo export");
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("not empty"));
}

/// Decodes a body sent with `encoding`.
fn decode(encoding: &str, body: &[u8]) -> Vec<u8> {
    let mut decoded = Vec::new();
    match encoding {
        "gzip" => {
            flate2::read::GzDecoder::new(body)
                .read_to_end(&mut decoded)
                .expect("valid gzip");
        }
        "br" => brotli::BrotliDecompress(&mut &body[..], &mut decoded).expect("valid brotli"),
        _ => decoded = body.to_vec(),
    }
    decoded
}

#[tokio::test]
async fn pages_made_per_request_are_compressed_when_the_client_accepts_it() {
    let router = shipped_router();
    for path in [
        "/search?q=stent",
        "/find?q=LS6+3EX&procedure=angioplasty&radius=50",
        "/radiation/compare?items=angiogram&items=chest-x-ray&items=ct-abdomen-pelvis",
        // A form with its errors is made per request too.
        "/find?q=",
    ] {
        let plain = get_raw(&router, path, &[]).await;
        assert!(plain.header("content-encoding").is_empty(), "{path}");
        assert!(plain.header("vary").contains("accept-encoding"), "{path}");
        // gzip whenever it is accepted (fast, and as small as brotli's fast levels), brotli
        // for a client that takes brotli alone.
        for (accept, coding) in [
            ("gzip", "gzip"),
            ("gzip, deflate, br", "gzip"),
            ("br", "br"),
        ] {
            let packed = get_raw(&router, path, &[("accept-encoding", accept)]).await;
            assert_eq!(packed.status, plain.status, "{path}");
            assert_eq!(packed.header("content-encoding"), coding, "{path}");
            assert!(packed.header("vary").contains("accept-encoding"), "{path}");
            assert_eq!(
                packed.header("content-length"),
                packed.body.len().to_string()
            );
            let decoded = decode(coding, &packed.body);
            // The same page: search results and forms carry nothing that changes per request.
            assert_eq!(
                String::from_utf8_lossy(&decoded),
                String::from_utf8_lossy(&plain.body),
                "{path} {coding}"
            );
            assert!(
                packed.body.len() * 3 <= plain.body.len(),
                "{path} {coding}: {} of {} bytes",
                packed.body.len(),
                plain.body.len()
            );
        }
        // Refusing every coding gets the page as it is.
        let refused = get_raw(&router, path, &[("accept-encoding", "br;q=0, gzip;q=0")]).await;
        assert!(refused.header("content-encoding").is_empty());
    }
}

#[tokio::test]
async fn the_contact_form_is_never_compressed() {
    // Its page holds the form token beside what the visitor typed: BREACH's precondition.
    let router = shipped_router();
    let form = get_raw(&router, "/contact", &[("accept-encoding", "gzip, br")]).await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.header("content-encoding").is_empty());
    assert!(String::from_utf8_lossy(&form.body).contains("form_token"));
}

#[tokio::test]
async fn pages_and_static_files_answer_304_to_their_etag() {
    let router = shipped_router();
    let css = stylesheet_href(&router).await;
    // The stylesheet by its fingerprinted address too.
    for path in SAMPLE_PATHS.into_iter().chain([css.as_str()]) {
        let first = get_raw(&router, path, &[("accept-encoding", "gzip")]).await;
        assert_eq!(first.status, StatusCode::OK, "{path}");
        let etag = first.header("etag").to_string();
        assert!(etag.starts_with('"') && etag.len() > 10, "{path}: {etag}");
        assert!(!first.header("last-modified").is_empty(), "{path}");
        for candidate in [
            etag.clone(),
            format!("W/{etag}"),
            format!("\"other\", {etag}"),
        ] {
            // With the same Accept-Encoding: the ETag is the gzip body's.
            let again = get_raw(
                &router,
                path,
                &[("if-none-match", &candidate), ("accept-encoding", "gzip")],
            )
            .await;
            assert_eq!(again.status, StatusCode::NOT_MODIFIED, "{path} {candidate}");
            assert!(again.body.is_empty(), "{path}");
            assert_eq!(again.header("etag"), etag, "{path}");
        }
        let stale = get_raw(&router, path, &[("if-none-match", "\"stale\"")]).await;
        assert_eq!(stale.status, StatusCode::OK, "{path}");
        assert!(!stale.body.is_empty(), "{path}");
    }
}

#[tokio::test]
async fn fingerprinted_static_files_are_immutable_and_plain_names_are_not() {
    let router = shipped_router();
    let css = stylesheet_href(&router).await;
    let hash = css
        .strip_prefix("/static/site.")
        .and_then(|rest| rest.strip_suffix(".css"))
        .unwrap_or_else(|| panic!("not fingerprinted: {css}"));
    assert!(
        hash.len() == 8 && hash.bytes().all(|b| b.is_ascii_hexdigit()),
        "{css}"
    );
    // Every page links the same fingerprinted name, error pages included.
    let sheet = get(&router, "/procedures/angioplasty").await;
    assert!(sheet.body.contains(&format!("href=\"{css}\"")));
    let missing = get(&router, "/nowhere").await;
    assert!(missing.body.contains(&format!("href=\"{css}\"")));

    let on_disk = std::fs::read(repo().join("static/site.css")).unwrap();
    let fingerprinted = get_raw(&router, &css, &[]).await;
    assert_eq!(fingerprinted.status, StatusCode::OK);
    assert_eq!(
        fingerprinted.header("cache-control"),
        "public, max-age=31536000, immutable"
    );
    assert_eq!(
        fingerprinted.header("content-type"),
        "text/css; charset=utf-8"
    );
    assert_eq!(fingerprinted.body, on_disk);

    let plain = get_raw(&router, "/static/site.css", &[]).await;
    assert_eq!(plain.status, StatusCode::OK);
    assert_eq!(plain.header("cache-control"), "public, max-age=3600");
    assert_eq!(plain.body, on_disk);
    assert_eq!(plain.header("etag"), fingerprinted.header("etag"));

    // A made-up fingerprint is not found, rather than served stale or fresh.
    let wrong = get_raw(&router, "/static/site.00000000.css", &[]).await;
    assert_eq!(wrong.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn responses_vary_on_accept_encoding_and_head_has_headers_but_no_body() {
    let router = shipped_router();
    let css = stylesheet_href(&router).await;
    for path in SAMPLE_PATHS.into_iter().chain([css.as_str()]) {
        for (encoding, accept) in ENCODINGS {
            let get = get_raw(&router, path, &[("accept-encoding", accept)]).await;
            assert_eq!(get.header("vary"), "Accept-Encoding", "{path}");
            assert_eq!(
                get.header("content-encoding"),
                encoding.header_value().unwrap_or(""),
                "{path} {accept:?}"
            );
            assert_eq!(
                get.header("content-length"),
                get.body.len().to_string(),
                "{path}"
            );
            let head = fetch(&router, Method::HEAD, path, &[("accept-encoding", accept)]).await;
            assert_eq!(head.status, StatusCode::OK, "{path}");
            assert!(head.body.is_empty(), "{path}");
            assert_eq!(head.header("content-length"), get.header("content-length"));
            assert_eq!(head.header("etag"), get.header("etag"), "{path}");
            assert_eq!(
                head.header("content-encoding"),
                get.header("content-encoding")
            );
        }
    }
    // A client that refuses every compression gets the plain bytes.
    let refused = get_raw(
        &router,
        "/procedures/angioplasty",
        &[("accept-encoding", "br;q=0, gzip;q=0")],
    )
    .await;
    assert_eq!(refused.header("content-encoding"), "");
    assert!(refused.body.starts_with(b"<!doctype html>"));
}

const BROTLI_MODULE: &str = "/usr/lib/nginx/modules/ngx_http_brotli_static_module.so";

/// nginx serving an export with `scripts/nginx-export.conf`, as a static host would.
fn start_nginx(export: &Path) -> Nginx {
    require_installed(
        BROTLI_MODULE,
        "nginx's brotli module",
        "libnginx-mod-http-brotli-static",
    );
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let server = format!(
        "server {{\n    listen 127.0.0.1:{port};\n    root {root};\n\
         include {snippet};\n    brotli_static on;\n  }}\n",
        root = export.display(),
        snippet = repo().join("scripts/nginx-export.conf").display(),
    );
    Nginx::start(&format!("load_module {BROTLI_MODULE};"), &server, &[], port)
}

/// One HTTP/1.1 request over a real socket, read to the end.
fn http_get(port: u16, path: &str, accept_encoding: &str) -> (u16, String, Vec<u8>) {
    let mut request = format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n");
    if !accept_encoding.is_empty() {
        request.push_str(&format!("Accept-Encoding: {accept_encoding}\r\n"));
    }
    request.push_str("\r\n");
    let raw = http_exchange(("127.0.0.1", port), &request);
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("end of headers");
    let head = String::from_utf8_lossy(&raw[..split]).to_string();
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("status");
    (status, head.to_ascii_lowercase(), raw[split + 4..].to_vec())
}

#[tokio::test]
async fn nginx_serving_the_export_sends_the_same_bytes_as_irinfo() {
    let router = shipped_router();
    let export = tempfile::tempdir().unwrap();
    export_shipped_site(export.path());
    let nginx = start_nginx(export.path());
    let css = stylesheet_href(&router).await;

    let cases = [
        ("/", 200),
        ("/procedures", 200),
        ("/procedures/angioplasty", 200),
        ("/conditions/uterine-fibroids", 200),
        ("/about/disclaimer", 200),
        ("/sitemap.xml", 200),
        ("/robots.txt", 200),
        ("/feed.xml", 200),
        ("/api/v1", 200),
        ("/api/v1/openapi.json", 200),
        ("/api/v1/procedures", 200),
        ("/api/v1/procedures/angioplasty", 200),
        ("/api/v1/codes/icd-10/I71.4", 200),
        (css.as_str(), 200),
        ("/static/site.css", 200),
        ("/no/such/page", 404),
    ];
    for (path, status) in cases {
        for (encoding, accept) in ENCODINGS {
            let ours = get_raw(&router, path, &[("accept-encoding", accept)]).await;
            let (nginx_status, nginx_head, nginx_body) = http_get(nginx.port, path, accept);
            assert_eq!(ours.status.as_u16(), status, "irinfo {path}");
            assert_eq!(nginx_status, status, "nginx {path}\n{nginx_head}");
            assert_eq!(nginx_body, ours.body, "{path} {accept:?}\n{nginx_head}");
            if let Some(coding) = encoding.header_value() {
                assert!(
                    nginx_head.contains(&format!("content-encoding: {coding}")),
                    "{path}\n{nginx_head}"
                );
            }
            for expected in [
                format!(
                    "cache-control: {}",
                    ours.header("cache-control").to_ascii_lowercase()
                ),
                "vary: accept-encoding".to_string(),
                format!(
                    "last-modified: {}",
                    ours.header("last-modified").to_ascii_lowercase()
                ),
                "x-content-type-options: nosniff".to_string(),
                "content-security-policy: default-src 'self'".to_string(),
                format!(
                    "content-type: {}",
                    ours.header("content-type").to_ascii_lowercase()
                ),
                format!(
                    "access-control-allow-origin: {}",
                    ours.header("access-control-allow-origin")
                ),
            ] {
                // Only the API allows other origins, and only its 200s are compared.
                if expected == "access-control-allow-origin: " {
                    assert!(
                        !nginx_head.contains("access-control-allow-origin"),
                        "{path}\n{nginx_head}"
                    );
                    continue;
                }
                // irinfo's error pages carry no validators; nginx's copy of one may.
                if status == 404 && (expected.starts_with("vary") || expected.starts_with("last")) {
                    continue;
                }
                assert!(
                    nginx_head.contains(&expected),
                    "{path}: {expected}\n{nginx_head}"
                );
            }
        }
    }
    // nginx gives the 404 page at no address of its own, and trailing junk is not served.
    assert_eq!(http_get(nginx.port, "/404.html", "").0, 404);
    assert_eq!(http_get(nginx.port, "/404", "").0, 404);
    assert_eq!(http_get(nginx.port, "/procedures.html.gz", "").0, 404);
    assert_eq!(
        http_get(nginx.port, "/../Cargo.toml", "").0,
        400,
        "nginx refuses to climb out of the root"
    );
}

/// Starts the real binary on a free loopback port, with the shipped settings and its spool in
/// `dir`, and waits until it answers.
fn start_irinfo(port: u16, dir: &std::path::Path) -> Child {
    let child = Command::new(binary())
        .current_dir(repo())
        .args(["serve", "--addr", &format!("127.0.0.1:{port}")])
        .args(ADMIN_ON_ANY_PORT)
        .arg("--config")
        .arg(shipped_settings_with_spool_in(dir))
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start irinfo");
    let deadline = Instant::now() + Duration::from_secs(60);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "irinfo did not start on {port}");
        std::thread::sleep(Duration::from_millis(50));
    }
    child
}

#[test]
fn the_server_answers_on_every_core_and_stops_cleanly_on_sigterm() {
    let port = free_port();
    let dir = tempfile::tempdir().unwrap();
    let mut child = start_irinfo(port, dir.path());
    // Many connections, so that every runtime gets some.
    for _ in 0..16 {
        let (status, head, body) = http_get(port, "/procedures/angioplasty", "gzip");
        assert_eq!(status, 200, "{head}");
        assert!(head.contains("content-encoding: gzip"), "{head}");
        assert!(!body.is_empty());
    }
    let status = stop_on_sigterm(&mut child, Duration::from_secs(20));
    assert!(status.success(), "{status}");
    assert!(TcpStream::connect(("127.0.0.1", port)).is_err());
}

/// Runs `irinfo serve` on `port` to its end, as a second server on a taken port would.
fn serve_to_the_end(port: u16) -> std::process::Output {
    Command::new(binary())
        .current_dir(repo())
        .args(["serve", "--addr", &format!("127.0.0.1:{port}")])
        .args(ADMIN_ON_ANY_PORT)
        .output()
        .expect("run irinfo")
}

#[test]
fn an_address_in_use_is_a_clear_error_not_a_shared_port() {
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    let output = serve_to_the_end(port);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("cannot listen on"), "{stderr}");

    // Nor can a second irinfo share the port of a running one.
    let port = free_port();
    let dir = tempfile::tempdir().unwrap();
    let mut first = start_irinfo(port, dir.path());
    let second = serve_to_the_end(port);
    let _ = first.kill();
    let _ = first.wait();
    assert!(!second.status.success());
    assert!(String::from_utf8_lossy(&second.stderr).contains("cannot listen on"));
}
