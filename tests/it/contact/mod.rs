//! The contact form and its mail queue: the form through the router, delivery to real SMTP
//! peers on 127.0.0.1, the real binary killed mid-flight, and the `irinfo queue` commands.

mod cli;
mod crash;
mod delivery;
mod form;
pub mod smtp;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use axum::Router;
use axum::body::Body;
use axum::extract::connect_info::MockConnectInfo;
use axum::http::{Method, Request, StatusCode};
use irinfo::AppState;
use irinfo::config::{RelayTls, SiteConfig};
use irinfo::mail::MailQueue;

use crate::support::*;

/// Settings for the minimal fixture with the spool in `spool` and no relay.
pub fn contact_config(spool: &Path) -> SiteConfig {
    let mut config = fixture_config("minimal");
    config.mail.spool = spool.to_path_buf();
    // fsync can stall for seconds on a machine busy with builds; the tests are about what the
    // form answers, not about the server-wide timeout.
    config.server.request_timeout_secs = 60;
    config
}

/// Points the settings at a plain-text SMTP relay on 127.0.0.1.
pub fn with_relay(mut config: SiteConfig, port: u16) -> SiteConfig {
    config.mail.relay_host = "127.0.0.1".to_string();
    config.mail.relay_port = port;
    config.mail.relay_tls = RelayTls::None;
    config.mail.send_timeout_secs = 5;
    config
}

/// The router for `state`, as if every request came from `peer`.
pub fn router_from(state: &AppState, peer: &str) -> Router {
    let peer: SocketAddr = peer.parse().expect("socket address");
    irinfo::web::router(state.clone()).layer(MockConnectInfo(peer))
}

/// A router for a visitor at `peer`, on the contact settings with their spool in a new folder:
/// the spool (kept while the test runs) and the router.
pub fn contact_router(peer: &str) -> (tempfile::TempDir, Router) {
    let (spool, _state, router) = contact_router_with(peer, |_| {});
    (spool, router)
}

/// As [`contact_router`], allowing `burst` messages at once and then `rate_per_hour`.
pub fn contact_router_limited(
    peer: &str,
    burst: u32,
    rate_per_hour: u32,
) -> (tempfile::TempDir, AppState, Router) {
    contact_router_with(peer, |config| {
        config.contact.burst = burst;
        config.contact.rate_per_hour = rate_per_hour;
    })
}

/// As [`contact_router`], with the settings changed by `change` first (limits, trusted proxies),
/// and the state too.
pub fn contact_router_with(
    peer: &str,
    change: impl FnOnce(&mut SiteConfig),
) -> (tempfile::TempDir, AppState, Router) {
    let spool = tempfile::tempdir().unwrap();
    let mut config = contact_config(spool.path());
    change(&mut config);
    let state = state_for(config);
    let router = router_from(&state, peer);
    (spool, state, router)
}

/// Fetches the form and returns its token.
pub async fn form_token(router: &Router) -> String {
    let page = get(router, "/contact").await;
    assert_eq!(page.status, 200, "{}", page.body);
    hidden_token(&page.body)
}

/// The token in a rendered form.
pub fn hidden_token(html: &str) -> String {
    between(html, "name=\"form_token\" value=\"", "\"")
        .expect("the form has a token")
        .to_string()
}

/// A form body, URL-encoded.
pub fn encode(fields: &[(&str, &str)]) -> String {
    let mut serializer = form_urlencoded::Serializer::new(String::new());
    for (key, value) in fields {
        serializer.append_pair(key, value);
    }
    serializer.finish()
}

/// A complete, valid submission with this token; `changes` replace or add fields.
pub fn valid_fields<'a>(token: &'a str, changes: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut fields = vec![
        ("form_token", token),
        ("name", "Ann Example"),
        ("email", "ann@example.com"),
        ("topic", "press"),
        ("message", "Hello.\r\nPlease send me a leaflet."),
        ("homepage", ""),
    ];
    for (key, value) in changes {
        match fields.iter_mut().find(|(k, _)| k == key) {
            Some(field) => field.1 = value,
            None => fields.push((key, value)),
        }
    }
    fields
}

/// POSTs a form body to `/contact`.
pub async fn post_form(router: &Router, fields: &[(&str, &str)]) -> TestResponse {
    post_raw(router, encode(fields), &[]).await
}

/// Fetches the form for a fresh token and POSTs a valid submission with `changes` made to it.
pub async fn post_valid_with(router: &Router, changes: &[(&str, &str)]) -> TestResponse {
    let token = form_token(router).await;
    post_form(router, &valid_fields(&token, changes)).await
}

/// Posts the form and checks it was accepted: a 303 to the thank-you page, else the page shown.
pub async fn assert_sent(router: &Router, fields: &[(&str, &str)]) {
    let response = post_form(router, fields).await;
    assert_eq!(response.status, StatusCode::SEE_OTHER, "{}", response.body);
}

pub async fn post_raw(router: &Router, body: String, headers: &[(&str, &str)]) -> TestResponse {
    let mut request = Request::builder().method(Method::POST).uri("/contact");
    if !headers
        .iter()
        .any(|(name, _)| name.eq_ignore_ascii_case("content-type"))
    {
        request = request.header("content-type", "application/x-www-form-urlencoded");
    }
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    send(router, request.body(Body::from(body)).expect("request")).await
}

/// The files in one folder of the spool, sorted.
pub fn files_in(spool: &Path, folder: &str) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(spool.join(folder)) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries.map(|e| e.expect("entry").path()).collect();
    files.sort();
    files
}

/// The messages waiting in `queue/`.
pub fn queued(spool: &Path) -> Vec<irinfo::mail::queue::SpoolMessage> {
    let queue = MailQueue::new(spool);
    queue
        .waiting()
        .expect("readable queue")
        .iter()
        .map(|id| queue.read("queue", id).expect("a sound message"))
        .collect()
}

/// Decodes a quoted-printable body (what lettre uses for long or non-ASCII lines).
pub fn decode_quoted_printable(text: &str) -> String {
    let joined = text.replace("=\r\n", "").replace("=\n", "");
    let bytes = joined.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'=' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("");
            if let Ok(b) = u8::from_str_radix(hex, 16) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}
