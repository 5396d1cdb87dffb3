//! Files under `static/`: the stylesheet, icons and images.
//!
//! Files read when the site was built are answered from memory (see `assets.rs`), by plain or
//! fingerprinted name, with ETags and compressed copies. Anything else (a file too large to hold,
//! or added since) falls through to tower-http's `ServeDir`, which never lists a directory and
//! refuses `..`. Dotfiles (such as an editor's `.swp` or a `.git` folder) are refused here
//! before they reach it.

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use tower_http::services::ServeDir;

use super::AppState;
use super::assets::PLAIN_CACHE_CONTROL;
use super::error::AppError;

/// Routes `/static/...` to the static folder.
pub fn router(state: &AppState) -> Router<AppState> {
    let serve_dir = ServeDir::new(&state.0.config.paths.static_files)
        .append_index_html_on_directories(false)
        .precompressed_gzip()
        .precompressed_br();
    Router::new()
        .nest_service("/static", serve_dir)
        .layer(middleware::from_fn_with_state(
            state.clone(),
            serve_from_memory,
        ))
        .layer(middleware::from_fn(guard_static))
}

/// Answers from the copies made when the site was built, when there is one.
async fn serve_from_memory(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let method = request.method();
    if method == Method::GET || method == Method::HEAD {
        let site = state.site();
        if let Some(file) = site.assets.get(request.uri().path()) {
            let response = file.respond(StatusCode::OK, request.headers());
            if method == Method::HEAD {
                // Same headers, Content-Length included, and no body.
                let (parts, _) = response.into_parts();
                return Response::from_parts(parts, Body::empty());
            }
            return response;
        }
    }
    next.run(request).await
}

async fn guard_static(request: Request, next: Next) -> Response {
    let path = request.uri().path();
    if path.starts_with("/static/") {
        let hidden = path.split('/').any(|segment| {
            segment.starts_with('.') || segment.starts_with("%2e") || segment.starts_with("%2E")
        });
        if hidden || path.ends_with('/') {
            return AppError::NotFound.into_response();
        }
    }
    let mut response = next.run(request).await;
    if response.status().is_success() {
        response
            .headers_mut()
            .entry(header::CACHE_CONTROL)
            .or_insert(HeaderValue::from_static(PLAIN_CACHE_CONTROL));
    }
    response
}
