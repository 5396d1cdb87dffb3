//! HTTP: the state every handler shares ([`App`]), the router, its layers, and one module per
//! feature.

pub(crate) mod a_to_z;
pub(crate) mod assets;
pub mod authority;
pub mod cached;
pub(crate) mod compression;
pub mod contact;
pub(crate) mod error;
pub mod feedback;
pub(crate) mod finder;
pub mod hospital;
pub mod leaflets;
pub mod open_data;
pub mod ops;
pub(crate) mod pages;
pub(crate) mod print_view;
pub mod radiation;
pub(crate) mod search;
pub mod site;
pub(crate) mod static_files;
pub mod views;

use std::sync::Arc;
use std::time::Duration;

use arc_swap::ArcSwap;
use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::Response;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

pub use error::{AppError, ErrorPage};
pub use site::Site;

use crate::config::SiteConfig;
use crate::mail;

/// Site paths the web layer serves that are neither a Markdown page nor a kind's list; content
/// links may point at them ([`crate::content::LoadOptions::generated_paths`]).
pub const GENERATED_PATHS: &[&str] = &[
    "/radiation/doses",
    "/radiation/compare",
    "/contact",
    "/find",
    "/search",
    "/search/suggest",
    "/a-z",
    // Open data (see [`open_data`]): the sitemap, robots file, feed, the page that explains
    // them, and the API's index, description and lists.
    "/sitemap.xml",
    "/robots.txt",
    "/feed.xml",
    "/open-data",
    "/api/v1",
    "/api/v1/openapi.json",
    "/api/v1/procedures",
    "/api/v1/conditions",
    "/api/v1/statements",
    "/api/v1/doses",
    "/api/v1/directory",
];

/// Everything a request handler may use. Shared by all requests; the Site inside is replaced
/// whole when content is rebuilt.
#[derive(Debug)]
pub struct App {
    pub config: SiteConfig,
    site: ArcSwap<Site>,
    /// The contact form's mail queue, form tokens and rate limits.
    pub contact: contact::ContactService,
    /// "Was this page helpful?": the feedback store, form tokens and rate limit.
    pub feedback: feedback::FeedbackService,
    /// Leaflets made for hospitals: their cache and limits.
    pub hospital: hospital::HospitalLeaflets,
}

impl App {
    /// Fails only when the system's random source does (see [`contact::RandomSourceError`]).
    pub fn new(config: SiteConfig, site: Site) -> Result<Self, contact::RandomSourceError> {
        Self::with_clock(config, site, Arc::new(mail::SystemClock))
    }

    /// Like `new`, with a clock of the caller's choosing (tests move time forward).
    pub fn with_clock(
        config: SiteConfig,
        site: Site,
        clock: Arc<dyn mail::Clock>,
    ) -> Result<Self, contact::RandomSourceError> {
        let contact = contact::ContactService::new(&config, clock.clone())?;
        let feedback = feedback::FeedbackService::new(&config, clock)?;
        Ok(Self {
            config,
            site: ArcSwap::from_pointee(site),
            contact,
            feedback,
            hospital: hospital::HospitalLeaflets::default(),
        })
    }

    /// The current Site. Hold the returned handle for the whole request, so that the request
    /// sees one consistent site even if a rebuild lands meanwhile.
    pub fn site(&self) -> Arc<Site> {
        self.site.load_full()
    }

    /// Replaces the Site with a newly built one.
    pub fn replace_site(&self, site: Site) {
        self.site.store(Arc::new(site));
    }
}

/// The state handed to every handler.
#[derive(Debug, Clone)]
pub struct AppState(pub Arc<App>);

impl AppState {
    pub fn new(app: App) -> Self {
        Self(Arc::new(app))
    }

    pub fn site(&self) -> Arc<Site> {
        self.0.site()
    }
}

/// The Content-Security-Policy: no inline script or style, nothing from other sites, no framing.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'";

/// The whole site: every feature's routes, behind the layers every response passes through.
pub fn router(state: AppState) -> Router {
    let timeout = Duration::from_secs(state.0.config.server.request_timeout_secs);
    let strict_transport = strict_transport_security(&state.0.config);
    let router = Router::new()
        .merge(pages::router())
        .merge(leaflets::router())
        .merge(hospital::router())
        .merge(contact::router())
        .merge(feedback::router())
        // Pages made per request are compressed as they go out (the others were compressed
        // when the site was built); not the contact form: see [`compression`].
        .merge(
            Router::new()
                .merge(finder::router())
                .merge(radiation::router())
                .merge(search::router())
                .layer(middleware::from_fn(compression::compress_per_request)),
        )
        .merge(open_data::router())
        .merge(static_files::router(&state))
        .fallback(pages::fallback)
        .layer(CatchPanicLayer::custom(|_| {
            // The panic message is logged by the panic hook; the visitor sees the error page.
            let mut response = StatusCode::INTERNAL_SERVER_ERROR.into_response_with_page();
            response
                .headers_mut()
                .insert(header::CONNECTION, HeaderValue::from_static("close"));
            response
        }))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            render_error_pages,
        ))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            timeout,
        ))
        // After the error pages: a 503 from /readyz is JSON for machines, not a page.
        .merge(ops::router());
    let router = SECURITY_HEADERS
        .into_iter()
        .fold(router, |router, (name, value)| {
            router.layer(SetResponseHeaderLayer::if_not_present(
                header::HeaderName::from_static(name),
                HeaderValue::from_static(value),
            ))
        });
    let router = match strict_transport {
        Some(value) => router.layer(SetResponseHeaderLayer::if_not_present(
            header::STRICT_TRANSPORT_SECURITY,
            value,
        )),
        None => router,
    };
    router
        .layer(TraceLayer::new_for_http())
        .layer(middleware::from_fn(ops::observe))
        .with_state(state)
}

trait IntoResponseWithPage {
    fn into_response_with_page(self) -> Response;
}

impl IntoResponseWithPage for StatusCode {
    fn into_response_with_page(self) -> Response {
        let mut response = Response::new(Body::empty());
        *response.status_mut() = self;
        response
            .extensions_mut()
            .insert(ErrorPage::for_status(self));
        response
    }
}

/// Security headers on every response, including errors and static files.
const SECURITY_HEADERS: [(&str, &str); 6] = [
    ("content-security-policy", CONTENT_SECURITY_POLICY),
    ("x-content-type-options", "nosniff"),
    ("referrer-policy", "strict-origin-when-cross-origin"),
    ("x-frame-options", "DENY"),
    (
        "permissions-policy",
        "camera=(), microphone=(), payment=(), usb=(), interest-cohort=()",
    ),
    ("cross-origin-opener-policy", "same-origin"),
];

/// The Strict-Transport-Security header when the public address is https: browsers that have
/// seen it use only https for the site, so nobody on the network can strip the encryption.
/// None over plain http, where browsers ignore it and it would only confuse.
fn strict_transport_security(config: &crate::config::SiteConfig) -> Option<HeaderValue> {
    if !config.site.base_url.starts_with("https://") {
        return None;
    }
    let server = &config.server;
    let subdomains = if server.hsts_include_subdomains {
        "; includeSubDomains"
    } else {
        ""
    };
    HeaderValue::from_str(&format!("max-age={}{subdomains}", server.hsts_max_age_secs)).ok()
}

/// Gives every error response the site's own error page, whoever produced it: our handlers,
/// axum's extractors (whose plain-text messages would expose internals), timeouts or limits.
async fn render_error_pages(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    // Only the coding the client accepts is kept: cloning every request's headers just in case
    // it fails would cost every successful request an allocation.
    let accepted = cached::negotiate(request.headers());
    let response = next.run(request).await;
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) || open_data::is_problem(&response) {
        return response;
    }
    let is_html = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"text/html"));
    let page = response.extensions().get::<ErrorPage>().cloned();
    if is_html && page.is_none() {
        // Already a page of ours (a form shown again with its errors, say).
        return response;
    }
    let page = page.unwrap_or_else(|| ErrorPage::for_status(status));
    let (mut parts, _) = response.into_parts();
    let site = state.site();
    let rendered = if status == StatusCode::NOT_FOUND
        && page.heading == ErrorPage::for_status(status).heading
    {
        Ok(site.not_found().clone())
    } else {
        site.render_error_page(&state.0.config, status, &page.heading, &page.message)
    };
    let rendered = rendered.unwrap_or_else(|e| {
        tracing::error!(error = %e, "rendering the error page");
        site.server_error().clone()
    });
    let fresh = rendered.respond_encoded(status, accepted);
    for name in [
        header::CONTENT_TYPE,
        header::CONTENT_ENCODING,
        header::CONTENT_LENGTH,
        header::VARY,
        header::CACHE_CONTROL,
    ] {
        parts.headers.remove(&name);
        if let Some(value) = fresh.headers().get(&name) {
            parts.headers.insert(name, value.clone());
        }
    }
    parts.headers.remove(header::ETAG);
    parts.headers.remove(header::LAST_MODIFIED);
    Response::from_parts(parts, fresh.into_body())
}

/// Escapes text for the content and attribute values of XML or HTML written by hand (the
/// feeds, the sitemap, the print view): `&`, `<`, `>` and `"` as entities and `'` as
/// `apostrophe` (`&apos;` for XML; `&#39;` for HTML, as the templates write it).
pub(crate) fn escape_markup(text: &str, apostrophe: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str(apostrophe),
            c => out.push(c),
        }
    }
    out
}
