//! Every content route answers with its page; HEAD, redirects, 404s, drafts and headers behave.

use axum::http::{Method, StatusCode, header};

use crate::support::*;

#[tokio::test]
async fn every_page_answers_with_its_title_in_title_and_h1() {
    let (state, router) = shipped_state_and_router();
    let site = state.site();
    let library = &site.library;
    let mut checked = 0;
    for page in library.all_pages() {
        let path = page.path();
        let response = get_ok(&router, &path).await;
        let title = askama_escape(&page.meta.title);
        assert_eq!(response.h1(), title, "{path}");
        assert!(
            response.title().starts_with(&title),
            "{path}: {}",
            response.title()
        );
        checked += 1;
    }
    assert!(checked > 80, "only {checked} pages");
}

/// The escaping askama applies to text, for comparing titles with apostrophes.
fn askama_escape(text: &str) -> String {
    text.replace('&', "&#38;")
        .replace('<', "&#60;")
        .replace('>', "&#62;")
        .replace('"', "&#34;")
        .replace('\'', "&#39;")
}

#[tokio::test]
async fn list_pages_show_their_items() {
    let router = shipped_router();
    let cases = [
        ("/procedures", "Procedures", "/procedures/angioplasty"),
        ("/procedures", "Procedures", "Arteries and veins"),
        ("/conditions", "Conditions", "/conditions/uterine-fibroids"),
        ("/stories", "Patient stories", "Sample content"),
        ("/statements", "Position statements", "Superseded"),
        (
            "/radiation",
            "Radiation and your procedure",
            "/radiation/what-is-a-radiation-dose",
        ),
        (
            "/about",
            "About interventional radiology and this site",
            "/about/disclaimer",
        ),
        (
            "/",
            "Interventional radiology: clear information for patients",
            "/find",
        ),
    ];
    for (path, h1, expected) in cases {
        let response = get_ok(&router, path).await;
        assert_eq!(response.h1(), h1, "{path}");
        assert!(response.body.contains(expected), "{path} lacks {expected}");
    }
}

#[tokio::test]
async fn a_procedure_sheet_has_everything_a_patient_needs() {
    let router = shipped_router();
    let response = get(&router, "/procedures/uterine-fibroid-embolisation").await;
    let body = &response.body;
    for expected in [
        "Also known as:",
        "On this page",
        "<h2 id=\"what-is-it\">What is it?</h2>",
        "This page has not yet been checked by a clinical reviewer.",
        "Version 2.0, last changed on <time datetime=\"2026-12-01\">1 December 2026</time>",
        "Next review due:",
        "/conditions/uterine-fibroids",
        "/find?procedure=uterine-fibroid-embolisation",
        "For healthcare professionals",
        "class=\"breadcrumbs",
    ] {
        assert!(body.contains(expected), "sheet lacks {expected}");
    }
    // The professional section comes after the patient text.
    assert!(body.find("For healthcare professionals") > body.find("Questions to ask your doctor"));
}

#[tokio::test]
async fn conditions_list_treatments_derived_from_the_sheets() {
    let router = shipped_router();
    let response = get(&router, "/conditions/peripheral-arterial-disease").await;
    assert!(response.body.contains("/procedures/angioplasty"));
    assert!(response.body.contains("/procedures/arterial-stenting"));
}

#[tokio::test]
async fn sample_content_is_marked_and_superseded_statements_link_onward() {
    let router = irinfo::web::router(state_for(fixture_config("minimal")));
    let story = get(&router, "/stories/my-balloon").await;
    assert!(story.body.contains("Sample content."));
    let sheet = get(&router, "/procedures/balloon").await;
    assert!(!sheet.body.contains("Sample content."));
    let old = get(&router, "/statements/old-view").await;
    assert!(old.body.contains("This statement has been replaced."));
    assert!(old.body.contains("href=\"/statements/new-view\""));
    let new = get(&router, "/statements/new-view").await;
    assert!(new.body.contains("This statement replaces"));
}

#[tokio::test]
async fn drafts_are_never_served_without_the_flag() {
    let router = irinfo::web::router(state_for(fixture_config("minimal")));
    assert_eq!(
        get(&router, "/procedures/secret-draft").await.status,
        StatusCode::NOT_FOUND
    );
    let list = get(&router, "/procedures").await;
    assert!(!list.body.contains("secret-draft"));

    let mut config = fixture_config("minimal");
    config.server.drafts = true;
    let router = irinfo::web::router(state_for(config));
    let draft = get_ok(&router, "/procedures/secret-draft").await;
    assert!(draft.body.contains("<strong>DRAFT.</strong>"));
    assert!(
        draft
            .body
            .contains("<meta name=\"robots\" content=\"noindex\">")
    );
}

#[tokio::test]
async fn head_works_and_has_no_body() {
    let router = shipped_router();
    for path in SAMPLE_PATHS {
        let response = send(&router, request(Method::HEAD, path)).await;
        assert_eq!(response.status, StatusCode::OK, "{path}");
        assert!(response.body.is_empty(), "{path}");
    }
}

#[tokio::test]
async fn trailing_slashes_redirect_to_the_canonical_address() {
    let router = shipped_router();
    let cases = [
        ("/procedures/", "/procedures"),
        ("/procedures/angioplasty/", "/procedures/angioplasty"),
        ("/search/?q=x", "/search?q=x"),
    ];
    for (from, to) in cases {
        let response = get(&router, from).await;
        assert_eq!(response.status, StatusCode::PERMANENT_REDIRECT, "{from}");
        assert_eq!(response.header("location"), to, "{from}");
    }
    // Never to another site: a Location must stay a path on this one.
    for path in [
        "//evil.example/",
        "/%5Cevil.example/",
        "/%2F%2Fevil.example/",
    ] {
        let response = get(&router, path).await;
        let location = response.header("location");
        assert!(
            location.is_empty()
                || (location.starts_with('/')
                    && !location.starts_with("//")
                    && !location.contains('\\')),
            "{path} -> {location}"
        );
    }
}

#[tokio::test]
async fn unknown_pages_get_a_kind_404_in_the_site_layout() {
    let router = shipped_router();
    for path in [
        "/procedures/no-such-thing",
        "/nowhere",
        "/about/%00",
        "/stories/../etc/passwd",
    ] {
        let response = get_not_found(&router, path).await;
        assert!(response.body.contains("Skip to main content"), "{path}");
        assert!(response.header("content-type").starts_with("text/html"));
    }
}

#[tokio::test]
async fn wrong_methods_get_a_page_not_an_empty_body() {
    let router = shipped_router();
    let response = send(&router, request(Method::DELETE, "/procedures")).await;
    assert_eq!(response.status, StatusCode::METHOD_NOT_ALLOWED);
    assert!(response.body.contains("That action is not possible here"));
}

#[tokio::test]
async fn every_response_has_security_headers() {
    let router = shipped_router();
    for path in ["/", "/nowhere", "/static/site.css"] {
        let response = get(&router, path).await;
        let csp = response.header("content-security-policy");
        assert!(
            csp.contains("default-src 'self'") && csp.contains("frame-ancestors 'none'"),
            "{path}"
        );
        assert!(!csp.contains("unsafe-inline"), "{path}");
        assert_eq!(
            response.header("x-content-type-options"),
            "nosniff",
            "{path}"
        );
        assert_eq!(
            response.header("referrer-policy"),
            "strict-origin-when-cross-origin"
        );
        assert!(!response.header("cache-control").is_empty(), "{path}");
    }
}

#[tokio::test]
async fn pages_are_served_compressed_with_validators() {
    let router = shipped_router();
    let mut req = request(Method::GET, "/procedures/angioplasty");
    req.headers_mut()
        .insert(header::ACCEPT_ENCODING, "gzip".parse().unwrap());
    let gz = send(&router, req).await;
    assert_eq!(gz.header("content-encoding"), "gzip");
    assert_eq!(gz.header("vary"), "Accept-Encoding");
    let etag = gz.header("etag").to_string();
    assert!(etag.starts_with('"'));

    // Revalidated as a browser does, with the same Accept-Encoding: the ETag names the gzip body.
    let mut req = request(Method::GET, "/procedures/angioplasty");
    req.headers_mut()
        .insert(header::ACCEPT_ENCODING, "gzip".parse().unwrap());
    req.headers_mut()
        .insert(header::IF_NONE_MATCH, etag.parse().unwrap());
    assert_eq!(send(&router, req).await.status, StatusCode::NOT_MODIFIED);
}

#[tokio::test]
async fn static_files_refuse_traversal_listing_and_dotfiles() {
    let router = shipped_router();
    assert_eq!(
        get(&router, "/static/site.css").await.status,
        StatusCode::OK
    );
    for path in [
        "/static/",
        "/static/../Cargo.toml",
        "/static/%2e%2e/Cargo.toml",
        "/static/.hidden",
        "/static/nope.css",
    ] {
        let response = get(&router, path).await;
        assert_eq!(response.status, StatusCode::NOT_FOUND, "{path}");
        assert!(!response.body.contains("[package]"), "{path}");
    }
}

#[tokio::test]
async fn a_real_socket_serves_pages_and_shuts_down_gracefully() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(irinfo::serve_on(listener, shipped_state(), async {
        let _ = stopped.await;
    }));

    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    stream
        .write_all(
            b"GET /procedures/nephrostomy HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
        )
        .await
        .unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await.unwrap();
    let text = String::from_utf8_lossy(&raw);
    assert!(text.starts_with("HTTP/1.1 200 OK"), "{text}");
    assert!(text.contains("<h1>Nephrostomy</h1>"));

    stop.send(()).unwrap();
    server.await.unwrap().unwrap();
}

/// A printed page names the public address it came from, and no address at all when the
/// settings' base_url names this machine: "printed from http://127.0.0.1:3000" helps nobody.
#[tokio::test]
async fn a_printed_page_names_its_public_address_and_never_a_loopback_one() {
    for (base_url, printed) in [
        (
            "https://www.irinfo.example",
            Some("https://www.irinfo.example/procedures/balloon"),
        ),
        ("http://127.0.0.1:3000", None),
        ("http://localhost:3000", None),
    ] {
        let mut config = fixture_config("minimal");
        config.site.base_url = base_url.to_string();
        let router = irinfo::web::router(state_for(config));
        let body = get_ok(&router, "/procedures/balloon").await.body;
        let line = between(&body, "<p class=\"print-only\">", "</p>");
        assert_eq!(
            line.map(|l| l.trim_start_matches("Printed from ").trim()),
            printed,
            "base_url {base_url}"
        );
    }
}
