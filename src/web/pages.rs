//! Content pages: everything rendered ahead of time and served from memory.

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, Uri, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;

use super::AppState;
use super::error::AppError;
use crate::content::KINDS;
use crate::content::kinds::KindFiles;

/// Routes for every kind of page in [`KINDS`]: its list (or its one page) and, for a kind with a
/// folder of pages, each page below it.
pub fn router() -> Router<AppState> {
    KINDS.iter().fold(Router::new(), |router, spec| {
        let router = router.route(spec.route, get(rendered_page));
        match spec.files {
            KindFiles::Folder(_) => {
                router.route(&format!("{}/{{slug}}", spec.route), get(rendered_page))
            }
            KindFiles::One(_) => router,
        }
    })
}

/// Serves the page rendered for this path when the site was built, or a 404.
/// It takes the whole request, not a `HeaderMap`, because that extractor copies every header.
pub async fn rendered_page(
    State(state): State<AppState>,
    request: Request,
) -> Result<Response, AppError> {
    let site = state.site();
    let page = site.page(request.uri().path()).ok_or(AppError::NotFound)?;
    Ok(page.respond(StatusCode::OK, request.headers()))
}

/// A page made for one visitor, that no cache may store: it holds a form token, what the visitor
/// typed, or where they live.
pub(crate) fn private_html(status: StatusCode, html: String) -> Response {
    let mut response = (status, Html(html)).into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// Anything no route matched: a trailing-slash address is sent to its canonical form, the rest
/// is a 404 page.
pub async fn fallback(uri: Uri) -> Response {
    let path = uri.path();
    // Only plain paths are redirected: a backslash or a doubled slash could turn the Location
    // into an address on another site.
    let plain = path
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"-_./~%".contains(&b));
    if plain && path.len() > 1 && path.ends_with('/') && !path.starts_with("//") {
        let trimmed = path.trim_end_matches('/');
        let target = match uri.query() {
            Some(query) => format!("{}?{query}", if trimmed.is_empty() { "/" } else { trimmed }),
            None => if trimmed.is_empty() { "/" } else { trimmed }.to_string(),
        };
        return Redirect::permanent(&target).into_response();
    }
    AppError::NotFound.into_response()
}
