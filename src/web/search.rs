//! `/search?q=`: the search page, rendered for each request from the Site's own index, and the
//! route for the pre-rendered A to Z.
//!
//! `/search/suggest?q=` answers the suggestions script (`static/search-suggest.js`) with JSON:
//! the pages to offer while a visitor types. Without JavaScript nothing asks for it.
//!
//! Whatever arrives in the query string gets a calm page with status 200: nothing typed, only
//! punctuation, too long, odd bytes, a missing or nonsense page number. Results are never
//! cached by browsers or proxies, because a search can say something private about health.

use std::time::Duration;

use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use super::AppState;
use super::error::AppError;
use super::pages::{private_html, rendered_page};
use super::views::Layout;
use crate::search::{CheckedQuery, Correction, MAX_QUERY_CHARS, MatchMode, SearchResults};

/// How many pages the suggestions list offers at most.
const SUGGESTIONS_SHOWN: usize = 6;

/// How long a suggestion request waits for an index still being built before answering with none.
const SUGGEST_WAIT: Duration = Duration::from_millis(500);

/// Routes for search and the A to Z.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/search", get(search))
        .route("/search/suggest", get(suggest))
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
    // "Search instead for fibriods": the words exactly as typed, no correction.
    let correction = if params
        .iter()
        .any(|(key, value)| key == "exact" && value == "1")
    {
        Correction::AsTyped
    } else {
        Correction::WhenNothingFound
    };
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
                .search_with(&query, page, correction)
                .map_err(|e| AppError::internal("searching", e))?;
            // The heading says what is shown: after a correction, the corrected words.
            let shown = match (&results.suggestion, results.showing_suggestion) {
                (Some(suggestion), true) => suggestion.as_str(),
                _ => query.as_str(),
            };
            let title = format!("Results for {shown}");
            (SearchView::Results(results), title, query)
        }
    };
    let template = SearchTemplate {
        layout: Layout::new(&state.0.config, site.stylesheet(), "/search", title)
            .describe("Search the site's information about interventional radiology.")
            .crumbs([])
            .noindex()
            .search_page(site.asset_url("search-suggest.js"))
            .with_query(shown_query),
        outcome,
        max_chars: MAX_QUERY_CHARS,
    };
    Ok(private_html(StatusCode::OK, template.render()?))
}

/// The JSON `/search/suggest` answers with.
#[derive(Debug, serde::Serialize)]
struct SuggestAnswer {
    query: String,
    suggestions: Vec<crate::search::Suggestion>,
}

/// Answers `/search/suggest?q=...` with up to six pages to offer as the visitor types. Anything
/// that is not a searchable query (nothing, punctuation, too long) gets an empty list, and an index
/// still being built gets one too: suggestions are a help, never a wait.
async fn suggest(
    State(state): State<AppState>,
    Query(params): Query<Vec<(String, String)>>,
) -> Response {
    let raw = params
        .iter()
        .find(|(key, _)| key == "q")
        .map_or("", |(_, value)| value.as_str());
    let site = state.site();
    let (query, suggestions) = match CheckedQuery::new(raw) {
        CheckedQuery::Words(query) => {
            // Just after a start the index may still be building: wait a moment, not long.
            let index = tokio::time::timeout(SUGGEST_WAIT, site.search_index()).await;
            let suggestions = match index {
                Ok(Ok(index)) => index.suggestions(&query, SUGGESTIONS_SHOWN),
                _ => Vec::new(),
            };
            (query, suggestions)
        }
        _ => (String::new(), Vec::new()),
    };
    let body = serde_json::to_vec(&SuggestAnswer { query, suggestions })
        .unwrap_or_else(|_| b"{\"query\":\"\",\"suggestions\":[]}".to_vec());
    let mut response = (StatusCode::OK, body).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}
