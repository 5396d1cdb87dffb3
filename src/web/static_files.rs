//! Files under `static/`: the stylesheet, icons and images.
//!
//! Served by tower-http's `ServeDir`, which never lists a directory and refuses `..`. Dotfiles
//! (such as an editor's `.swp` or a `.git` folder) are refused here before they reach it.

use axum::Router;
use axum::extract::Request;
use axum::http::{HeaderValue, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use tower_http::services::ServeDir;

use super::error::AppError;
use crate::AppState;

/// How long browsers may keep a static file whose name does not change with its content.
const STATIC_CACHE_CONTROL: &str = "public, max-age=3600";

/// Routes `/static/...` to the static folder.
pub fn router(state: &AppState) -> Router<AppState> {
    let serve_dir = ServeDir::new(&state.0.config.paths.static_files)
        .append_index_html_on_directories(false)
        .precompressed_gzip()
        .precompressed_br();
    Router::new()
        .nest_service("/static", serve_dir)
        .layer(middleware::from_fn(guard_static))
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
            .or_insert(HeaderValue::from_static(STATIC_CACHE_CONTROL));
    }
    response
}
