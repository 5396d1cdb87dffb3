//! "Was this page helpful?": the question at the foot of every content page, the "What was
//! missing or wrong?" step after a "No", and the thank-you that leads back to the page.
//!
//! `POST /feedback` (page, yes or no) records the answer and redirects: a "Yes" to
//! `GET /feedback/thank-you?page=…`, a "No" to `GET /feedback/comment?page=…&token=…`, whose
//! form `POST /feedback/comment` adds the optional comment (masked, see
//! [`crate::feedback::mask`]) and then thanks. No JavaScript and no cookies are needed; every
//! step is post-redirect-get, so a refresh never answers twice.
//!
//! **Why the first form has no token.** Every content page is pre-rendered once and must be
//! byte for byte the same when served and in the export nginx serves, so it cannot carry a
//! per-visit token; a token baked in at build time would be the same for everyone, and so
//! prove nothing, and would expire while the export is still being served. So the one-click
//! question is protected as the contact form's first line is: tower-http's `CsrfLayer`
//! refuses a cross-site POST by its `Sec-Fetch-Site`/`Origin` headers, and the same
//! per-client rate limit (a salted, rotating hash of the address, see
//! [`super::contact::rate_limit`]) bounds what any one client can add. A forged yes or no
//! could only nudge a count. The step that takes free text has the whole of the contact form's
//! protection: the headers check, a signed, time-limited form token (issued when the "No" is
//! recorded, and naming that answer, so one answer takes at most one comment) and a honeypot.
//!
//! Behind the nginx recipe (`scripts/nginx-proxy.conf`) the exported pages' question posts to
//! irinfo like any address nginx has no file for. On static hosting alone
//! (`scripts/nginx-export.conf`) there is no server to answer it, and nginx refuses the POST.
//!
//! An answer is acknowledged only after the store has committed it; a store that cannot write
//! (a full disk, a read-only or unreachable database) gives the site's 503 page instead.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use askama::Template;
use axum::Router;
use axum::extract::{DefaultBodyLimit, Query, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use tower_http::csrf::CsrfLayer;

use super::contact::RandomSourceError;
use super::contact::handlers::{Notice, error_page, is_form, read_body_within};
use super::contact::rate_limit::{RateLimiter, client_of};
use super::contact::tokens::{FormTokens, TokenCheck};
use super::error::AppError;
use super::pages::private_html;
use super::views::Layout;
use super::{App, AppState, Site};
use crate::config::{FeedbackSettings, SiteConfig};
use crate::content::KINDS;
use crate::content::kinds::KindFiles;
use crate::feedback::{self, CommentOutcome, FeedbackStore, NewAnswer, StoreError};
use crate::mail::Clock;

/// Where the question posts.
pub const ANSWER_PATH: &str = "/feedback";
const COMMENT_PATH: &str = "/feedback/comment";
const THANK_YOU_PATH: &str = "/feedback/thank-you";

/// The longest comment, in characters.
pub const COMMENT_MAX: usize = 1000;

/// Largest body either form may send: a 1,000-character comment, each character escaped as
/// up to 12 bytes (a 4-byte character, percent-encoded), and the other fields.
const BODY_LIMIT: usize = 16 * 1024;

/// Routes for `/feedback`.
pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route(ANSWER_PATH, post(answer))
        .route(COMMENT_PATH, get(show_comment_form).post(comment))
        .route(THANK_YOU_PATH, get(thank_you))
        .layer(DefaultBodyLimit::disable())
        .layer(CsrfLayer::new().with_rejection_response(|_error| {
            error_page(
                StatusCode::FORBIDDEN,
                "Your answer was not saved",
                "The form was sent from another website, so we did not accept it. If you meant to tell us about one of our pages, please go to the page and answer there.",
            )
        }))
}

/// What the feedback forms keep between requests: the store, form tokens and rate limit.
pub struct FeedbackService {
    settings: FeedbackSettings,
    /// Opened at the first use (or by the server at startup), and again after a failed open,
    /// so a database that was down at startup is used once it is back.
    store: Mutex<Option<Arc<FeedbackStore>>>,
    tokens: FormTokens,
    limiter: RateLimiter,
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for FeedbackService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FeedbackService")
            .field("store", &self.store)
            .finish_non_exhaustive()
    }
}

impl FeedbackService {
    /// Opens nothing yet (see [`FeedbackService::store`]).
    pub fn new(config: &SiteConfig, clock: Arc<dyn Clock>) -> Result<Self, RandomSourceError> {
        let settings = &config.feedback;
        Ok(Self {
            settings: settings.clone(),
            store: Mutex::new(None),
            tokens: FormTokens::for_form(&config.contact, "irinfo-feedback-comment")?,
            limiter: RateLimiter::new(settings.rate_per_hour, settings.burst),
            clock,
        })
    }

    /// The store, opening and migrating it if it is not open yet. Blocks: call it from
    /// `spawn_blocking` or outside the runtime.
    pub fn store(&self) -> Result<Arc<FeedbackStore>, StoreError> {
        let mut store = self.store.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(open) = store.as_ref() {
            return Ok(open.clone());
        }
        let opened = Arc::new(FeedbackStore::open(&self.settings)?);
        *store = Some(opened.clone());
        Ok(opened)
    }
}

/// The kind name (`procedure`, `condition`…) of the content page at `path`, if it is one.
pub(crate) fn content_kind(site: &Site, path: &str) -> Option<(&'static str, String)> {
    KINDS.iter().find_map(|spec| {
        let page = match spec.files {
            KindFiles::One(_) => (path == spec.route)
                .then(|| site.library.pages(spec.kind).first())
                .flatten(),
            KindFiles::Folder(_) => path
                .strip_prefix(spec.route)
                .and_then(|rest| rest.strip_prefix('/'))
                .and_then(|slug| site.library.page(spec.kind, slug)),
        }?;
        Some((spec.name, page.meta.title.clone()))
    })
}

/// A refusal the feedback forms give: its status, heading and what the reader can do.
type Refusal = (StatusCode, &'static str, &'static str);

/// An answer about a page the site does not have.
const UNKNOWN_PAGE: Refusal = (
    StatusCode::BAD_REQUEST,
    "We could not save your answer",
    "Your answer was about a page we do not have. Please go back to the page you were reading and answer again.",
);

/// A body larger than the forms accept.
const TOO_LARGE: Refusal = (
    StatusCode::PAYLOAD_TOO_LARGE,
    "Your comment is too long to send",
    "What you sent was larger than this form accepts. Please go back, shorten your comment to 1,000 characters or fewer, and send it again.",
);

/// A comment sent after its form's token ran out.
const EXPIRED: Refusal = (
    StatusCode::FORBIDDEN,
    "This form has expired",
    "Your answer was saved, but the form for your comment was open too long. Please go back to the page if you want to answer again.",
);

/// A comment whose token this site did not sign.
const BAD_TOKEN: Refusal = (
    StatusCode::FORBIDDEN,
    "Your comment was not sent",
    "We could not tell that the form came from this website, so we did not accept it. Please go back to the page you were reading and answer there.",
);

fn refuse((status, heading, text): Refusal) -> Response {
    error_page(status, heading, text)
}

fn too_large() -> Response {
    refuse(TOO_LARGE)
}

fn unavailable() -> Response {
    let mut response = error_page(
        StatusCode::SERVICE_UNAVAILABLE,
        "Sorry, we cannot save answers right now",
        "Your answer has not been saved. This is a problem at our end. Please try again later.",
    );
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from_static("300"));
    response
}

/// Runs `f` on the store in the blocking pool. Every store failure is logged here with its
/// causes and comes back as `None`, for the caller's 503.
async fn with_store<T: Send + 'static>(
    state: &AppState,
    f: impl FnOnce(&FeedbackStore) -> Result<T, StoreError> + Send + 'static,
) -> Result<Option<T>, AppError> {
    let app = state.0.clone();
    let outcome = tokio::task::spawn_blocking(move || app.feedback.store().and_then(|s| f(&s)))
        .await
        .map_err(|e| AppError::internal("feedback store task", e))?;
    match outcome {
        Ok(value) => Ok(Some(value)),
        Err(e) => {
            tracing::error!(
                "cannot use the feedback store: {}",
                super::error::with_causes(&e)
            );
            Ok(None)
        }
    }
}

/// The fields of a form, the first of each name; `repeated` when a field came twice.
fn fields(body: &[u8]) -> (HashMap<String, String>, bool) {
    let mut fields = HashMap::new();
    let mut repeated = false;
    for (key, value) in form_urlencoded::parse(body) {
        if fields.contains_key(key.as_ref()) {
            repeated = true;
        } else {
            fields.insert(key.into_owned(), value.into_owned());
        }
    }
    (fields, repeated)
}

/// Reads a form POST: its fields, or the response to give instead.
async fn read_form(
    state: &AppState,
    request: Request,
) -> Result<(HashMap<String, String>, bool, std::net::IpAddr), Response> {
    let (mut parts, body) = request.into_parts();
    let client = client_of(state, &mut parts).await;
    if !is_form(&parts.headers) {
        return Err(StatusCode::UNSUPPORTED_MEDIA_TYPE.into_response());
    }
    let timeout = state.0.config.contact.body_timeout_secs;
    let body = read_body_within(body, BODY_LIMIT, timeout, too_large).await?;
    let (fields, repeated) = fields(&body);
    Ok((fields, repeated, client))
}

fn encoded(value: &str) -> String {
    form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

/// `POST /feedback`: records a yes or a no.
async fn answer(State(state): State<AppState>, request: Request) -> Result<Response, AppError> {
    let (fields, _repeated, client) = match read_form(&state, request).await {
        Ok(read) => read,
        Err(response) => return Ok(response),
    };
    let page = fields.get("page").map(String::as_str).unwrap_or_default();
    let Some((kind, _title)) = content_kind(&state.site(), page) else {
        return Ok(refuse(UNKNOWN_PAGE));
    };
    let helpful = match fields.get("answer").map(String::as_str) {
        Some("yes") => true,
        Some("no") => false,
        _ => {
            return Ok(error_page(
                StatusCode::BAD_REQUEST,
                "We could not save your answer",
                "Please go back to the page and press Yes or No.",
            ));
        }
    };
    let service = &state.0.feedback;
    if let Err(wait) = service.limiter.check(client, Instant::now()) {
        let mut response = error_page(
            StatusCode::TOO_MANY_REQUESTS,
            "Please wait before answering again",
            "You have answered several times in a short time, so we did not save this answer. Please wait a few minutes and try again.",
        );
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(wait.as_secs()));
        return Ok(response);
    }
    let now = service.clock.now();
    // A "No" gets a form token for its comment, and the token names the answer.
    let (id, token) = if helpful {
        let id = feedback::new_answer_id().map_err(|e| AppError::internal("answer id", e))?;
        (id, None)
    } else {
        let token = service.tokens.issue(now);
        match service.tokens.check(&token, now) {
            TokenCheck::Valid(id) => (id.as_str().to_string(), Some(token)),
            _ => return Err(AppError::internal("a fresh token", "was refused")),
        }
    };
    let answer = NewAnswer {
        id,
        page: page.to_string(),
        kind: kind.to_string(),
        helpful,
        at: now.as_second(),
    };
    if with_store(&state, move |store| store.record(&answer))
        .await?
        .is_none()
    {
        return Ok(unavailable());
    }
    let page = encoded(page);
    Ok(match token {
        None => Redirect::to(&format!("{THANK_YOU_PATH}?page={page}")),
        Some(token) => Redirect::to(&format!("{COMMENT_PATH}?page={page}&token={token}")),
    }
    .into_response())
}

/// The query of the comment form and the thank-you page.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
struct PageQuery {
    page: String,
    token: String,
}

#[derive(Template)]
#[template(path = "feedback_comment.html")]
struct CommentTemplate {
    layout: Layout,
    page: String,
    page_title: String,
    token: String,
    comment: String,
    error: Option<String>,
    notice: Option<Notice>,
}

fn comment_page(
    app: &App,
    site: &Site,
    (page, page_title): (&str, &str),
    token: &str,
    comment: &str,
    error: Option<String>,
    notice: Option<Notice>,
) -> Result<String, AppError> {
    let title = if error.is_some() || notice.is_some() {
        "Error: What was missing or wrong?"
    } else {
        "What was missing or wrong?"
    };
    let template = CommentTemplate {
        layout: Layout::new(&app.config, site.stylesheet(), COMMENT_PATH, title).noindex(),
        page: page.to_string(),
        page_title: page_title.to_string(),
        token: token.to_string(),
        comment: comment.to_string(),
        error,
        notice,
    };
    Ok(template.render()?)
}

/// `GET /feedback/comment`: "What was missing or wrong?".
async fn show_comment_form(
    State(state): State<AppState>,
    Query(query): Query<PageQuery>,
) -> Result<Response, AppError> {
    let site = state.site();
    let Some((_, title)) = content_kind(&site, &query.page) else {
        return Ok(refuse(UNKNOWN_PAGE));
    };
    let service = &state.0.feedback;
    match service.tokens.check(&query.token, service.clock.now()) {
        TokenCheck::Valid(_) => {}
        TokenCheck::Expired => return Ok(refuse(EXPIRED)),
        TokenCheck::Invalid => return Ok(refuse(BAD_TOKEN)),
    }
    let html = comment_page(
        &state.0,
        &site,
        (&query.page, &title),
        &query.token,
        "",
        None,
        None,
    )?;
    Ok(private_html(StatusCode::OK, html))
}

/// What is wrong with a comment, if anything: too long, or characters no one types.
fn check_comment(comment: &str) -> Option<String> {
    let length = comment.chars().count();
    if length > COMMENT_MAX {
        return Some(format!(
            "Your comment must be 1,000 characters or fewer. It has {length}."
        ));
    }
    if comment.chars().any(|c| c != '\n' && c.is_control()) {
        return Some(
            "Your comment has a hidden character we cannot accept. Please retype the part you pasted."
                .to_string(),
        );
    }
    None
}

/// `POST /feedback/comment`: adds the comment to the "No" answer its token names.
async fn comment(State(state): State<AppState>, request: Request) -> Result<Response, AppError> {
    let (fields, repeated, _client) = match read_form(&state, request).await {
        Ok(read) => read,
        Err(response) => return Ok(response),
    };
    let site = state.site();
    let page = fields.get("page").cloned().unwrap_or_default();
    let Some((_, title)) = content_kind(&site, &page) else {
        return Ok(refuse(UNKNOWN_PAGE));
    };
    let token = fields.get("form_token").cloned().unwrap_or_default();
    let service = &state.0.feedback;
    let id = match service.tokens.check(&token, service.clock.now()) {
        TokenCheck::Valid(id) => id,
        TokenCheck::Expired => return Ok(refuse(EXPIRED)),
        TokenCheck::Invalid => return Ok(refuse(BAD_TOKEN)),
    };
    if repeated || fields.get("homepage").is_some_and(|v| !v.trim().is_empty()) {
        tracing::info!("feedback comment with the hidden box filled or a field twice; not saved");
        return Ok(error_page(
            StatusCode::BAD_REQUEST,
            "Your comment was not sent",
            "A part of the form that people cannot see was filled in, which usually means a computer program sent it. If you are a person, please go back to the page and try again.",
        ));
    }
    let thanks = Redirect::to(&format!("{THANK_YOU_PATH}?page={}", encoded(&page))).into_response();
    let typed = fields.get("comment").cloned().unwrap_or_default();
    let comment = typed
        .replace("\r\n", "\n")
        .replace('\r', "\n")
        .trim()
        .to_string();
    if comment.is_empty() {
        // The comment is optional: the answer is saved already.
        return Ok(thanks);
    }
    if let Some(error) = check_comment(&comment) {
        let html = comment_page(
            &state.0,
            &site,
            (&page, &title),
            &token,
            &typed,
            Some(error),
            None,
        )?;
        return Ok(private_html(StatusCode::UNPROCESSABLE_ENTITY, html));
    }
    let masked = feedback::mask::mask(&comment);
    let id = id.as_str().to_string();
    match with_store(&state, move |store| store.add_comment(&id, &masked)).await? {
        Some(CommentOutcome::Saved | CommentOutcome::AlreadyThere) => Ok(thanks),
        Some(CommentOutcome::NoAnswer) => Ok(error_page(
            StatusCode::GONE,
            "We could not find your answer",
            "Your comment was not saved because the answer it belongs to is no longer kept. Please go back to the page and answer again.",
        )),
        None => {
            let notice = Notice {
                heading: "Sorry, we cannot save comments right now".to_string(),
                text: "Your comment has not been saved. This is a problem at our end. Please try again later: what you typed is still below.".to_string(),
            };
            let html = comment_page(
                &state.0,
                &site,
                (&page, &title),
                &token,
                &typed,
                None,
                Some(notice),
            )?;
            let mut response = private_html(StatusCode::SERVICE_UNAVAILABLE, html);
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("300"));
            Ok(response)
        }
    }
}

#[derive(Template)]
#[template(path = "feedback_thank_you.html")]
struct ThankYouTemplate {
    layout: Layout,
    page: String,
    page_title: String,
}

/// `GET /feedback/thank-you?page=…`: thanks, and the way back to the page.
async fn thank_you(
    State(state): State<AppState>,
    Query(query): Query<PageQuery>,
) -> Result<Response, AppError> {
    let site = state.site();
    let (page, page_title) = match content_kind(&site, &query.page) {
        Some((_, title)) => (query.page, title),
        None => ("/".to_string(), "the home page".to_string()),
    };
    let template = ThankYouTemplate {
        layout: Layout::new(
            &state.0.config,
            site.stylesheet(),
            THANK_YOU_PATH,
            "Thank you for your feedback",
        )
        .noindex(),
        page,
        page_title,
    };
    Ok(private_html(StatusCode::OK, template.render()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comments_are_checked() {
        assert_eq!(check_comment("It did not say how long it takes."), None);
        assert_eq!(check_comment(&"a".repeat(COMMENT_MAX)), None);
        assert!(
            check_comment(&"a".repeat(COMMENT_MAX + 1))
                .unwrap()
                .contains("1,000")
        );
        assert!(check_comment("Line\u{0}break").is_some());
        assert_eq!(check_comment("Two\nlines"), None);
    }
}
