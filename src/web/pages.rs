//! Content pages: everything rendered ahead of time and served from memory.

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;

use super::error::AppError;
use crate::AppState;

/// Routes for the home page, lists and every Markdown page.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(rendered_page))
        .route("/procedures", get(rendered_page))
        .route("/procedures/{slug}", get(rendered_page))
        .route("/conditions", get(rendered_page))
        .route("/conditions/{slug}", get(rendered_page))
        .route("/stories", get(rendered_page))
        .route("/stories/{slug}", get(rendered_page))
        .route("/statements", get(rendered_page))
        .route("/statements/{slug}", get(rendered_page))
        .route("/radiation", get(rendered_page))
        .route("/radiation/{slug}", get(rendered_page))
        .route("/about", get(rendered_page))
        .route("/about/{slug}", get(rendered_page))
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
