//! Files under `static/`: the stylesheet, icons and images.
//!
//! Files read when the site was built are answered from memory (see `assets.rs`), by plain or
//! fingerprinted name, with ETags and compressed copies. Anything else (a file too large to hold,
//! or added since) falls through to tower-http's `ServeDir`, which never lists a directory and
//! refuses `..`, but only once `servable_file` has found that the address names a regular
//! file whose real path, links resolved, is inside the static folder: a link to `/etc/passwd`
//! is not followed. Dotfiles (such as an editor's `.swp` or a `.git` folder) are refused, and so
//! is any address that cannot name a file (a name too long, a NUL, bad percent-encoding): all
//! of these are a quiet 404 in the site's layout.

use std::path::{Path, PathBuf};

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
    // No precompressed `.gz`/`.br` siblings: they would be opened without the checks above, and
    // the files held in memory have compressed copies made for them anyway.
    let serve_dir =
        ServeDir::new(&state.0.config.paths.static_files).append_index_html_on_directories(false);
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
    if servable_file(&state.0.config.paths.static_files, request.uri().path()).is_none() {
        return AppError::NotFound.into_response();
    }
    next.run(request).await
}

/// The file on disk that a `/static/...` address may serve: a regular file whose real path
/// (every link resolved) is inside `root`, reached through no hidden name. `None` for anything
/// else, including addresses that cannot name a file at all.
pub(crate) fn servable_file(root: &Path, address: &str) -> Option<PathBuf> {
    /// The longest file name Linux and most filesystems allow, in bytes.
    const LONGEST_NAME: usize = 255;
    let relative = address.strip_prefix("/static/")?;
    let relative = percent_encoding::percent_decode_str(relative)
        .decode_utf8()
        .ok()?;
    let mut path = root.to_path_buf();
    for segment in relative.split('/') {
        let unusable = segment.is_empty()
            || segment.starts_with('.')
            || segment.len() > LONGEST_NAME
            || segment.contains(['\0', '\\']);
        if unusable {
            return None;
        }
        path.push(segment);
    }
    let real_root = root.canonicalize().ok()?;
    let real = path.canonicalize().ok()?;
    let inside = real.strip_prefix(&real_root).ok()?;
    let hidden = inside.components().any(|part| {
        part.as_os_str()
            .to_str()
            .is_none_or(|name| name.starts_with('.'))
    });
    if hidden || !std::fs::metadata(&real).ok()?.is_file() {
        return None;
    }
    Some(real)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_regular_files_inside_the_folder_are_servable() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("static");
        std::fs::create_dir_all(root.join("img")).unwrap();
        std::fs::write(root.join("site.css"), "body{}").unwrap();
        std::fs::write(root.join("img/a b.png"), "png").unwrap();
        std::fs::write(root.join(".env"), "SECRET=1").unwrap();
        std::fs::write(dir.path().join("outside.txt"), "secret").unwrap();
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink(dir.path().join("outside.txt"), root.join("out.txt"))
                .unwrap();
            std::os::unix::fs::symlink(root.join("site.css"), root.join("same.css")).unwrap();
            std::os::unix::fs::symlink(root.join(".env"), root.join("env.txt")).unwrap();
        }
        let long = format!("/static/{}", "a".repeat(256));
        let cases: &[(&str, bool)] = &[
            ("/static/site.css", true),
            ("/static/img/a%20b.png", true),
            ("/static/img", false),
            ("/static/.env", false),
            ("/static/%2eenv", false),
            ("/static/img/../site.css", false),
            ("/static/img/%2e%2e/site.css", false),
            ("/static/site.css%00", false),
            ("/static/%ff", false),
            ("/static/img//a%20b.png", false),
            ("/static/img%5ca%20b.png", false),
            ("/static/nope.css", false),
            (&long, false),
            #[cfg(unix)]
            ("/static/out.txt", false),
            #[cfg(unix)]
            ("/static/same.css", true),
            #[cfg(unix)]
            ("/static/env.txt", false),
        ];
        for (address, expected) in cases {
            assert_eq!(
                servable_file(&root, address).is_some(),
                *expected,
                "{address}"
            );
        }
    }
}
