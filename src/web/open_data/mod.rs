//! Open data: what other services read from the site, built with the Site and served from memory.
//!
//! - `/sitemap.xml` ([`sitemap`]) lists every indexable page with the date of its newest
//!   `[[history]]` entry, and becomes a sitemap index pointing at `/sitemaps/N.xml` past the
//!   format's limit of 50,000 addresses.
//! - `/robots.txt` points at it and keeps search results, finder results, comparisons and the API
//!   out of search engines.
//! - `/feed.xml` ([`feed`]) is an Atom feed with one entry per `[[history]]` entry of every page.
//! - `/api/v1/...` ([`api`]) is a read-only JSON API, described by `/api/v1/openapi.json`
//!   ([`openapi`]) and explained to people at `/open-data`.
//! - [`json_ld`] gives every content page its schema.org `MedicalWebPage`.
//!
//! Every document is rendered when the Site is built and kept as a [`CachedPage`], so a request
//! costs what a page costs: a map lookup, an ETag check and a copy of ready bytes (see
//! `benches/open_data.rs`). Only errors (RFC 9457 problem details) are made per request, and they
//! are small.
//!
//! Decisions the issue left open:
//! - Lists hold [`api::PAGE_SIZE`] items a page; `?page=N` is the only parameter a list takes and
//!   detail documents take none: anything else is a 400 that names the parameter. A page past
//!   the last is a 404.
//! - A code is looked up at `/api/v1/codes/{system}/{code}` with `snomed-ct` or `icd-10`. ICD-10
//!   codes are read without regard to case or the dot (`i714` is `I71.4`); a code more specific
//!   than any on the site falls back to its three-character category (`I26.9` finds `I26`).
//! - Section HTML is the page's own HTML: links in it are relative to the page's `url`.
//! - Every Markdown page gets a `MedicalWebPage`; `about` (a `MedicalProcedure` or
//!   `MedicalCondition`) only on procedure and condition pages. `lastReviewed` and `reviewedBy`
//!   appear only when `[clinical_review]` is recorded; the shipped content has none.
//! - A JSON-LD `<script type="application/ld+json">` is a data block that browsers never run, so
//!   the CSP's `script-src 'self'` does not apply to it and needs no hash (a browser test checks
//!   that no CSP violation is reported).
//! - An export writes `/api/v1/x` as `api/v1/x.json` (`scripts/nginx-export.conf` serves it); only
//!   the first page of each list is exported, as `?page=N` needs a server.
//! - The API serves procedures, conditions and statements (the kinds [`api::page_schema`] names,
//!   each a collection named after its folder, in the order of the kinds table), then the doses
//!   and the directory. Stories, radiation guides and about pages are in the sitemap, feed and
//!   JSON-LD like every kind, but not in the API, which the issue did not ask for.
//! - The addresses taken here are in [`super::GENERATED_PATHS`], so content may link to them and
//!   no page can take one.

pub mod api;
pub(crate) mod feed;
pub(crate) mod json_ld;
pub(crate) mod openapi;
pub mod sitemap;

use std::collections::HashMap;

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderName, HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::get;

use rayon::prelude::*;

use super::AppState;
use super::cached::CachedPage;
use crate::config::SiteConfig;
use crate::content::Library;
use crate::finder::Finder;

/// The content type of RFC 9457 problem details.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// Where the API lives; every API address starts with it.
pub const API_ROOT: &str = "/api/v1";

/// Every open-data document of one Site, by the path (and, for list pages after the first, the
/// query) it is served at.
#[derive(Debug, Default)]
pub struct OpenData {
    documents: HashMap<String, CachedPage>,
    /// How many pages each list has, by the list's path.
    list_pages: HashMap<String, usize>,
}

impl OpenData {
    /// Builds every document from the Library, the finder's directory and the paths of the
    /// Site's HTML pages.
    pub fn build(
        config: &SiteConfig,
        library: &Library,
        finder: &Finder,
        html_paths: &[&str],
    ) -> Self {
        let base = config.site.base_url.as_str();
        // Every document is written first, then all are compressed at once in rayon's pool:
        // compressing is most of the cost, and one thread doing it for ten thousand API
        // documents kept the server from serving for seconds (issue 22).
        let mut written: Vec<(String, &'static str, String)> = Vec::new();
        let urls = sitemap::entries(library, html_paths);
        for (path, xml) in sitemap::documents(base, &urls, sitemap::URL_LIMIT) {
            written.push((path, "application/xml; charset=utf-8", xml));
        }
        written.push((
            "/robots.txt".to_string(),
            "text/plain; charset=utf-8",
            sitemap::robots(base),
        ));
        written.push((
            "/feed.xml".to_string(),
            "application/atom+xml; charset=utf-8",
            feed::atom(config, library),
        ));
        let built = api::documents(config, library, finder);
        for (path, json) in built.documents {
            written.push((path, "application/json", json));
        }
        written.push((
            format!("{API_ROOT}/openapi.json"),
            "application/json",
            openapi::document(config, library, finder),
        ));
        let documents: HashMap<String, CachedPage> = written
            .into_par_iter()
            .map(|(path, content_type, body)| (path, later(content_type, body)))
            .collect();
        Self {
            documents,
            list_pages: built.list_pages,
        }
    }

    /// The document at `key` (a path, or `path?page=N`).
    pub fn get(&self, key: &str) -> Option<&CachedPage> {
        self.documents.get(key)
    }

    /// Every document's key, sorted; for the export and tests.
    pub fn keys(&self) -> Vec<&str> {
        super::cached::sorted_keys(&self.documents)
    }

    /// How many pages the list at `path` has, if it is a list.
    pub fn pages_of(&self, path: &str) -> Option<usize> {
        self.list_pages.get(path).copied()
    }

    /// Makes the brotli copy of every document (see [`CachedPage::make_brotli`]).
    pub fn make_brotli_copies(&self) {
        self.documents
            .par_iter()
            .for_each(|(_, document)| document.make_brotli());
    }
}

fn later(content_type: &'static str, body: String) -> CachedPage {
    CachedPage::brotli_later(content_type, body)
}

/// The routes of the sitemap, robots file, feed and API.
pub fn router() -> Router<AppState> {
    let api = Router::new()
        .route(API_ROOT, get(api_document).options(preflight))
        .route(
            &format!("{API_ROOT}/{{*rest}}"),
            get(api_document).options(preflight),
        )
        .layer(middleware::from_fn(cors));
    Router::new()
        .route("/sitemap.xml", get(plain_document))
        .route("/sitemaps/{file}", get(plain_document))
        .route("/robots.txt", get(plain_document))
        .route("/feed.xml", get(plain_document))
        .route(PAGE_PATH, get(super::pages::rendered_page))
        .merge(api)
}

/// The sitemap, robots file and feed: any query is ignored, as for pages.
async fn plain_document(State(state): State<AppState>, request: Request) -> Response {
    let site = state.site();
    match site.open_data.get(request.uri().path()) {
        Some(document) => document.respond(StatusCode::OK, request.headers()),
        None => axum::response::IntoResponse::into_response(super::AppError::NotFound),
    }
}

/// Any address under `/api/v1`: a pre-rendered document, or a problem.
async fn api_document(State(state): State<AppState>, request: Request) -> Response {
    let site = state.site();
    let path = request.uri().path();
    match api::resolve(&site.open_data, path, request.uri().query()) {
        Ok(key) => match site.open_data.get(&key) {
            Some(document) => document.respond(StatusCode::OK, request.headers()),
            None => Problem::not_found(path).into_response(),
        },
        Err(problem) => problem.into_response(),
    }
}

/// Answers a CORS preflight: any origin may GET the API, sending validators.
async fn preflight() -> Response {
    let mut response = Response::new(Body::empty());
    *response.status_mut() = StatusCode::NO_CONTENT;
    set_headers(
        &mut response,
        [
            (header::ACCESS_CONTROL_ALLOW_METHODS, "GET, HEAD, OPTIONS"),
            (
                header::ACCESS_CONTROL_ALLOW_HEADERS,
                "If-None-Match, If-Modified-Since, Accept",
            ),
            (header::ACCESS_CONTROL_MAX_AGE, "86400"),
        ],
    );
    response
}

/// Sets each of `headers` on `response`, replacing any value it had.
fn set_headers<const N: usize>(response: &mut Response, headers: [(HeaderName, &'static str); N]) {
    for (name, value) in headers {
        response
            .headers_mut()
            .insert(name, HeaderValue::from_static(value));
    }
}

/// Lets any web page read the API (it is public and read-only, and sends no cookies), and
/// answers other methods with a problem rather than an empty 405.
async fn cors(request: Request, next: Next) -> Response {
    let method = request.method().clone();
    let mut response = if [Method::GET, Method::HEAD, Method::OPTIONS].contains(&method) {
        next.run(request).await
    } else {
        let mut response = Problem::new(
            StatusCode::METHOD_NOT_ALLOWED,
            format!("The API only answers GET and HEAD, not {method}."),
        )
        .into_response();
        response.headers_mut().insert(
            header::ALLOW,
            HeaderValue::from_static("GET, HEAD, OPTIONS"),
        );
        response
    };
    set_headers(
        &mut response,
        [
            (header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"),
            (header::ACCESS_CONTROL_EXPOSE_HEADERS, "ETag, Last-Modified"),
        ],
    );
    response
}

/// An RFC 9457 problem: a status, a sentence saying what was wrong and, for a bad parameter,
/// which one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub status: StatusCode,
    pub detail: String,
    /// The query parameter or path part at fault.
    pub parameter: Option<String>,
}

impl Problem {
    pub fn new(status: StatusCode, detail: impl Into<String>) -> Self {
        Self {
            status,
            detail: detail.into(),
            parameter: None,
        }
    }

    /// Nothing is at `path`.
    pub fn not_found(path: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            format!(
                "There is nothing at {path}. The list of everything the API offers is at {API_ROOT}."
            ),
        )
    }

    /// A parameter is wrong; `detail` says how.
    pub fn bad_parameter(parameter: &str, detail: impl Into<String>) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            detail: detail.into(),
            parameter: Some(parameter.to_string()),
        }
    }

    /// The problem as JSON: `type` is `about:blank`, so `title` is the status's own phrase.
    pub fn to_json(&self) -> String {
        let mut body = serde_json::json!({
            "type": "about:blank",
            "title": self.status.canonical_reason().unwrap_or("Error"),
            "status": self.status.as_u16(),
            "detail": self.detail,
        });
        if let Some(parameter) = &self.parameter {
            body["parameter"] = parameter.clone().into();
        }
        body.to_string()
    }

    pub fn into_response(self) -> Response {
        let mut response = Response::new(Body::from(self.to_json()));
        *response.status_mut() = self.status;
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        response
    }
}

/// Whether a response is a problem document, which the error-page layer must leave alone.
pub fn is_problem(response: &Response) -> bool {
    response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes() == PROBLEM_JSON.as_bytes())
}

/// Where the page for people that explains the feed, sitemap and API is (its template is
/// [`OpenDataTemplate`](super::views::OpenDataTemplate)).
pub const PAGE_PATH: &str = "/open-data";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_addresses_open_data_takes_are_generated_paths() {
        let mut paths = vec![
            PAGE_PATH.to_string(),
            API_ROOT.to_string(),
            format!("{API_ROOT}/openapi.json"),
            "/sitemap.xml".to_string(),
            "/robots.txt".to_string(),
            "/feed.xml".to_string(),
        ];
        paths.extend(api::Collection::all().into_iter().map(|c| c.path()));
        for path in paths {
            assert!(
                super::super::GENERATED_PATHS.contains(&path.as_str()),
                "{path}"
            );
        }
    }

    #[test]
    fn the_collections_are_the_served_kinds_then_doses_and_directory() {
        let names: Vec<&str> = api::Collection::all().iter().map(|c| c.name()).collect();
        assert_eq!(
            names,
            [
                "procedures",
                "conditions",
                "statements",
                "doses",
                "directory"
            ]
        );
    }
}
