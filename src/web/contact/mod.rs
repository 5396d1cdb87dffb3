//! The contact form: `GET /contact` shows it, `POST /contact` checks it and queues the message,
//! `GET /contact/thank-you` confirms it (post-redirect-get, so a refresh never sends twice).
//!
//! The form is rendered per request because it carries a fresh signed token and, when shown
//! again, what the visitor typed. In order, a submission passes: the body limit and deadline,
//! the cross-site check (tower-http's `CsrfLayer` on the headers, then the signed, time-limited
//! form token), the honeypot, the field checks, the per-client rate limit, and finally the
//! durable write to the mail queue. Only after that write is the visitor redirected to thanks.
//!
//! One file a job: [`tokens`] signs and checks the form tokens, [`rate_limit`] keeps the
//! per-client allowance, [`validation`] turns what was sent into a message or field errors, and
//! [`handlers`] holds the pages and the submission that use them.

pub(super) mod handlers;
pub(super) mod rate_limit;
pub(super) mod tokens;
mod validation;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::StatusCode;
use axum::routing::get;
use jiff::Timestamp;
use tokio::sync::Notify;
use tower_http::csrf::CsrfLayer;

use super::AppState;
use crate::config::SiteConfig;
use crate::mail::{Clock, MailQueue, QueueId};
use rate_limit::RateLimiter;
use tokens::FormTokens;
pub use validation::{FieldError, FormValues, validate};
pub(in crate::web) use validation::{
    TextFields, hidden_character_message, read_first_values, text_fields,
};

/// Limits the issue sets for each field, in characters.
pub const NAME_MAX: usize = 100;
pub const EMAIL_MAX: usize = 254;
pub const MESSAGE_MAX: usize = 5000;

const FORM_PATH: &str = "/contact";
const THANK_YOU_PATH: &str = "/contact/thank-you";

/// Routes for `/contact`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route(FORM_PATH, get(handlers::show_form).post(handlers::submit))
        .route(THANK_YOU_PATH, get(handlers::thank_you))
        // The handler reads the body itself, within the configured limit and deadline.
        .layer(DefaultBodyLimit::disable())
        .layer(CsrfLayer::new().with_rejection_response(|_error| {
            handlers::error_page(
                StatusCode::FORBIDDEN,
                "Your message was not sent",
                "The form was sent from another website, so we did not accept it. If you meant to contact us, please go to our contact page and fill in the form there.",
            )
        }))
}

/// The system's random source failed, so the form tokens cannot be keyed safely; the site
/// refuses to start rather than key them with something guessable.
#[derive(Debug, thiserror::Error)]
#[error("the system's random source failed, so the contact form cannot be made safe")]
pub struct RandomSourceError(#[source] pub getrandom::Error);

/// Everything the contact form keeps between requests. Lives in `App`.
pub struct ContactService {
    /// Where accepted messages are written.
    pub queue: MailQueue,
    /// Notified when a message is queued, so the delivery worker wakes at once.
    pub new_mail: Arc<Notify>,
    tokens: FormTokens,
    limiter: RateLimiter,
    /// Messages queued recently, by form: a resubmission is recognised even after `sent/` has
    /// been emptied.
    recently_queued: Mutex<HashMap<QueueId, Timestamp>>,
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for ContactService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ContactService")
            .field("queue", &self.queue)
            .field("clock", &self.clock)
            .finish_non_exhaustive()
    }
}

impl ContactService {
    /// Opens nothing yet: the spool is only touched when a message is queued, so that a broken
    /// spool shows up as a 503 on the form, not as a site that will not start.
    pub fn new(config: &SiteConfig, clock: Arc<dyn Clock>) -> Result<Self, RandomSourceError> {
        let settings = &config.contact;
        Ok(Self {
            queue: MailQueue::new(config.mail.spool.clone()),
            new_mail: Arc::new(Notify::new()),
            tokens: FormTokens::for_form(settings, "irinfo-contact-form")?,
            limiter: RateLimiter::new(settings.rate_per_hour, settings.burst),
            recently_queued: Mutex::new(HashMap::new()),
            clock,
        })
    }

    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }

    /// A fresh token for a form shown now.
    pub fn issue_token(&self) -> String {
        self.tokens.issue(self.clock.now())
    }

    pub(super) fn already_queued(&self, id: &QueueId) -> bool {
        self.recently_queued
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .contains_key(id)
    }

    pub(super) fn remember(&self, id: QueueId) {
        let now = self.clock.now();
        let mut recent = self
            .recently_queued
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        // Tokens older than their validity are refused anyway, so their ids can be forgotten.
        if recent.len() > 1000 {
            let oldest_valid = now
                .checked_sub(crate::mail::schedule::signed(self.tokens.valid_for))
                .unwrap_or(now);
            recent.retain(|_, queued| *queued >= oldest_valid);
        }
        recent.insert(id, now);
    }
}
