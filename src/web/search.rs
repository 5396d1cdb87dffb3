//! `/search?q=`: the search page, rendered for each request from the Site's own index, and the
//! route for the pre-rendered A to Z.
//!
//! Whatever arrives in the query string gets a calm page with status 200: nothing typed, only
//! punctuation, too long, odd bytes, a missing or nonsense page number. Results are never
//! cached by browsers or proxies, because a search can say something private about health.

use std::time::Duration;

use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;

use super::AppState;
use super::error::AppError;
use super::pages::rendered_page;
use super::views::Layout;
use crate::search::{CheckedQuery, MAX_QUERY_CHARS, MatchMode, SearchResults};

/// Routes for search and the A to Z.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/search", get(search))
        .route("/a-z", get(rendered_page))
}

/// What the search page shows below the search box.
#[derive(Debug)]
pub enum SearchView {
    Empty,
    TooLong,
    NoWords,
    Results(SearchResults),
}

#[derive(Template)]
#[template(path = "search.html")]
pub struct SearchTemplate {
    pub layout: Layout,
    pub outcome: SearchView,
    pub max_chars: usize,
}

/// Answers `/search?q=...&page=...`. The query string is read as a list of pairs, which cannot
/// fail to parse (bad percent-encoding is decoded leniently), so no input gets an error page.
pub async fn search(
    State(state): State<AppState>,
    Query(params): Query<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let raw = params
        .iter()
        .find(|(key, _)| key == "q")
        .map_or("", |(_, value)| value.as_str());
    let page = params
        .iter()
        .find(|(key, _)| key == "page")
        .and_then(|(_, value)| value.trim().parse::<usize>().ok())
        .unwrap_or(1);
    let site = state.site();
    let checked = CheckedQuery::new(raw);
    // What goes back in the search box: as typed, less control characters, cut to fit the box.
    let as_typed: String = raw
        .chars()
        .filter(|c| !c.is_control())
        .take(MAX_QUERY_CHARS)
        .collect();
    let (outcome, title, shown_query) = match checked {
        CheckedQuery::Empty => (SearchView::Empty, "Search".to_string(), String::new()),
        CheckedQuery::TooLong => (SearchView::TooLong, "Search".to_string(), as_typed),
        CheckedQuery::NoWords => (SearchView::NoWords, "Search".to_string(), as_typed),
        CheckedQuery::Words(query) => {
            // Only in the first moments after a start or a rebuild is the index still being
            // built; the visitor then waits a moment rather than seeing an error. The wait is
            // half the request's time limit, so that if the index never comes the visitor gets
            // a kind 503 rather than the time-out page.
            let wait = Duration::from_secs(state.0.config.server.request_timeout_secs) / 2;
            let index = tokio::time::timeout(wait, site.search_index())
                .await
                .map_err(|_| AppError::Unavailable("the search index is not built yet".into()))?
                .as_ref()
                .map_err(|e| AppError::internal("building the search index", e.clone()))?;
            let results = index
                .search(&query, page)
                .map_err(|e| AppError::internal("searching", e))?;
            let title = format!("Search results for {query}");
            (SearchView::Results(results), title, query)
        }
    };
    let template = SearchTemplate {
        layout: Layout::new(&state.0.config, site.stylesheet(), "/search", title)
            .describe("Search the site's information about interventional radiology.")
            .crumbs([])
            .noindex()
            .with_query(shown_query),
        outcome,
        max_chars: MAX_QUERY_CHARS,
    };
    let html = template.render()?;
    let mut response = (StatusCode::OK, Html(html)).into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}
