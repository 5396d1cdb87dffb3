//! The contact form: `GET /contact` shows it, `POST /contact` checks it and queues the message,
//! `GET /contact/thank-you` confirms it (post-redirect-get, so a refresh never sends twice).
//!
//! The form is rendered per request because it carries a fresh signed token and, when shown
//! again, what the visitor typed. In order, a submission passes: the body limit and deadline,
//! the cross-site check (tower-http's `CsrfLayer` on the headers, then the signed, time-limited
//! form token), the honeypot, the field checks, the per-client rate limit, and finally the
//! durable write to the mail queue. Only after that write is the visitor redirected to thanks.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use askama::Template;
use axum::Router;
use axum::body::Body;
use axum::extract::connect_info::MockConnectInfo;
use axum::extract::{ConnectInfo, DefaultBodyLimit, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use hmac::{Hmac, Mac};
use http_body_util::{BodyExt, LengthLimitError, Limited};
use jiff::Timestamp;
use sha2::Sha256;
use tokio::sync::Notify;
use tower_http::csrf::CsrfLayer;

use super::error::{AppError, ErrorPage};
use super::views::Layout;
use super::{App, AppState};
use crate::config::{ContactSettings, SiteConfig};
use crate::mail::message::{self, ContactMessage, Topic};
use crate::mail::queue::fill_random;
use crate::mail::{Clock, Enqueued, MailQueue, QueueId};

/// Limits the issue sets for each field, in characters.
pub const NAME_MAX: usize = 100;
pub const EMAIL_MAX: usize = 254;
pub const MESSAGE_MAX: usize = 5000;

const FORM_PATH: &str = "/contact";
const THANK_YOU_PATH: &str = "/contact/thank-you";

/// Routes for `/contact`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route(FORM_PATH, get(show_form).post(submit))
        .route(THANK_YOU_PATH, get(thank_you))
        // The handler reads the body itself, within the configured limit and deadline.
        .layer(DefaultBodyLimit::disable())
        .layer(
            CsrfLayer::new().with_rejection_response(|_error| {
                let mut response = StatusCode::FORBIDDEN.into_response();
                response.extensions_mut().insert(ErrorPage {
                    heading: "Your message was not sent".to_string(),
                    message: "The form was sent from another website, so we did not accept it. If you meant to contact us, please go to our contact page and fill in the form there.".to_string(),
                });
                response
            }),
        )
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
            tokens: FormTokens::new(
                &settings.form_key,
                Duration::from_secs(settings.form_valid_minutes.saturating_mul(60)),
            )?,
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

    fn already_queued(&self, id: &QueueId) -> bool {
        self.recently_queued
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .contains_key(id)
    }

    fn remember(&self, id: QueueId) {
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

// ---------------------------------------------------------------------------------------------
// Form tokens

type HmacSha256 = Hmac<Sha256>;

/// Signed, time-limited form tokens: `<issued unix seconds>.<32 hex nonce>.<HMAC-SHA256 hex>`.
/// The nonce also names the queued message, so one form can only ever queue one message.
struct FormTokens {
    key: [u8; 32],
    valid_for: Duration,
}

/// What a token turned out to be.
#[derive(Debug, PartialEq, Eq)]
enum TokenCheck {
    Valid(QueueId),
    Expired,
    Invalid,
}

impl FormTokens {
    /// Tokens keyed with `hex_key`, or without one with a random key, so that they are valid
    /// only until this process stops. Either way the system's random source must work (the
    /// nonces come from it too): when it fails, the site does not start.
    fn new(hex_key: &str, valid_for: Duration) -> Result<Self, RandomSourceError> {
        let mut key = [0u8; 32];
        getrandom::fill(&mut key).map_err(RandomSourceError)?;
        // A configured key replaces the random one; an unusable one is refused by the settings
        // check before this runs.
        let mut configured = [0u8; 32];
        if decode_hex(hex_key, &mut configured) {
            key = configured;
        }
        Ok(Self { key, valid_for })
    }

    fn mac(&self, issued: i64, nonce: &str) -> HmacSha256 {
        let mut mac =
            HmacSha256::new_from_slice(&self.key).expect("HMAC takes a key of any length");
        mac.update(format!("irinfo-contact-form.{issued}.{nonce}").as_bytes());
        mac
    }

    fn issue(&self, now: Timestamp) -> String {
        let mut nonce = [0u8; 16];
        fill_random(&mut nonce);
        let nonce: String = nonce.iter().map(|b| format!("{b:02x}")).collect();
        let issued = now.as_second();
        let signature: String = self
            .mac(issued, &nonce)
            .finalize()
            .into_bytes()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        format!("{issued}.{nonce}.{signature}")
    }

    fn check(&self, token: &str, now: Timestamp) -> TokenCheck {
        let mut parts = token.split('.');
        let (Some(issued), Some(nonce), Some(signature), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return TokenCheck::Invalid;
        };
        let Ok(issued) = issued.parse::<i64>() else {
            return TokenCheck::Invalid;
        };
        let mut nonce_bytes = [0u8; 16];
        let mut signature_bytes = [0u8; 32];
        if !decode_hex(nonce, &mut nonce_bytes) || !decode_hex(signature, &mut signature_bytes) {
            return TokenCheck::Invalid;
        }
        // Constant-time comparison, so the signature cannot be guessed byte by byte.
        if self
            .mac(issued, nonce)
            .verify_slice(&signature_bytes)
            .is_err()
        {
            return TokenCheck::Invalid;
        }
        let Ok(issued_at) = Timestamp::from_second(issued) else {
            return TokenCheck::Invalid;
        };
        let age = now.duration_since(issued_at);
        // A little slack for clocks that step backwards.
        if age < jiff::SignedDuration::from_secs(-300) {
            return TokenCheck::Invalid;
        }
        if age > crate::mail::schedule::signed(self.valid_for) {
            return TokenCheck::Expired;
        }
        TokenCheck::Valid(QueueId::new(issued_at, &nonce_bytes))
    }
}

/// Fills `out` from exactly `2 * out.len()` lower- or upper-case hex digits.
fn decode_hex(text: &str, out: &mut [u8]) -> bool {
    if text.len() != out.len() * 2 || !text.is_ascii() {
        return false;
    }
    for (i, byte) in out.iter_mut().enumerate() {
        match u8::from_str_radix(&text[2 * i..2 * i + 2], 16) {
            Ok(b) => *byte = b,
            Err(_) => return false,
        }
    }
    true
}

// ---------------------------------------------------------------------------------------------
// Rate limiting

/// A token bucket per client: `burst` submissions at once, then `rate_per_hour`.
struct RateLimiter {
    per_second: f64,
    burst: f64,
    buckets: Mutex<HashMap<IpAddr, Bucket>>,
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    updated: Instant,
}

/// Beyond this many clients, full buckets are dropped: they hold nothing worth keeping.
const MAX_TRACKED_CLIENTS: usize = 10_000;

impl RateLimiter {
    fn new(rate_per_hour: u32, burst: u32) -> Self {
        Self {
            per_second: f64::from(rate_per_hour.max(1)) / 3600.0,
            burst: f64::from(burst.max(1)),
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes one submission from the client's bucket, or says how long until one is free.
    fn check(&self, client: IpAddr, now: Instant) -> Result<(), Duration> {
        let mut buckets = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        if buckets.len() >= MAX_TRACKED_CLIENTS && !buckets.contains_key(&client) {
            let (per_second, burst) = (self.per_second, self.burst);
            buckets.retain(|_, b| {
                b.tokens + now.duration_since(b.updated).as_secs_f64() * per_second < burst
            });
        }
        let bucket = buckets.entry(client).or_insert(Bucket {
            tokens: self.burst,
            updated: now,
        });
        let elapsed = now.saturating_duration_since(bucket.updated).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * self.per_second).min(self.burst);
        bucket.updated = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            let wait = (1.0 - bucket.tokens) / self.per_second;
            Err(Duration::from_secs_f64(wait.ceil().max(1.0)))
        }
    }
}

/// The address to rate-limit on. The peer address, unless the peer is a trusted proxy: then
/// the nearest address in `X-Forwarded-For` that is not itself a trusted proxy. IPv6 clients
/// are grouped by /64, the block one household or server usually has.
fn client_key(peer: Option<IpAddr>, headers: &HeaderMap, trusted: &[IpAddr]) -> IpAddr {
    let Some(peer) = peer else {
        // No connection info (only in tests driving the router directly): all such requests
        // share one bucket, which is the cautious choice.
        return IpAddr::V6(Ipv6Addr::UNSPECIFIED);
    };
    let mut client = peer;
    if trusted.contains(&peer) {
        let forwarded: Vec<&str> = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .collect();
        for entry in forwarded.iter().rev() {
            match entry.parse::<IpAddr>() {
                Ok(address) if trusted.contains(&address) => continue,
                Ok(address) => {
                    client = address;
                    break;
                }
                // A garbled entry: what lies beyond it cannot be trusted.
                Err(_) => break,
            }
        }
    }
    match client {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let s = v6.segments();
                IpAddr::V6(Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
            }
        },
        v4 => v4,
    }
}

// ---------------------------------------------------------------------------------------------
// The form

/// What the visitor sent, as sent.
#[derive(Debug, Clone, Default)]
pub struct FormValues {
    pub name: String,
    pub email: String,
    pub topic: String,
    pub message: String,
    /// The honeypot: hidden from people, tempting to robots.
    pub homepage: String,
    pub form_token: String,
    /// The fields above that were sent more than once (a browser sends each once).
    pub repeated: Vec<&'static str>,
}

impl FormValues {
    fn parse(body: &[u8]) -> Self {
        let mut values = Self::default();
        let mut seen: Vec<&'static str> = Vec::new();
        for (key, value) in form_urlencoded::parse(body) {
            let (field, slot) = match key.as_ref() {
                "name" => ("name", &mut values.name),
                "email" => ("email", &mut values.email),
                "topic" => ("topic", &mut values.topic),
                "message" => ("message", &mut values.message),
                "homepage" => ("homepage", &mut values.homepage),
                "form_token" => ("form_token", &mut values.form_token),
                _ => continue,
            };
            if seen.contains(&field) {
                // The first value is kept and shown; the submission is refused (see
                // `untrustworthy_field_errors`), so a second value can never slip through.
                if !values.repeated.contains(&field) {
                    values.repeated.push(field);
                }
                continue;
            }
            seen.push(field);
            *slot = value.into_owned();
        }
        values
    }
}

/// A problem with one field, shown in the summary and beside the field.
#[derive(Debug, Clone)]
pub struct FieldError {
    /// The `id` of the input it belongs to.
    pub field: &'static str,
    pub message: String,
}

/// The checks for what a person could not have typed into the form as it is shown: invisible
/// or control characters in a one-line field (see [`is_hidden_or_control`]), which can make a
/// name or address display as something it is not, and a field sent more than once. Returns
/// one kind message per affected visible field; [`validate`] runs it first.
pub(crate) fn untrustworthy_field_errors(values: &FormValues) -> Vec<FieldError> {
    let mut errors = Vec::new();
    let single_line = [
        ("name", &values.name, "Your name"),
        ("email", &values.email, "Your email address"),
    ];
    for (field, text, described) in single_line {
        if text.chars().any(is_hidden_or_control) {
            errors.push(FieldError {
                field,
                message: format!(
                    "{described} has a hidden character we cannot accept. Please type it again \
                     rather than pasting it."
                ),
            });
        }
    }
    let visible = [
        ("name", "your name"),
        ("email", "your email address"),
        ("topic", "what your message is about"),
        ("message", "your message"),
    ];
    for (field, described) in visible {
        if values.repeated.contains(&field) && !errors.iter().any(|e| e.field == field) {
            errors.push(FieldError {
                field,
                message: format!(
                    "The form arrived with {described} twice. Please check it and press Send again."
                ),
            });
        }
    }
    errors
}

/// Characters no one-line field may hold: control characters (line breaks included), the
/// bidirectional overrides and isolates (U+202A to U+202E, U+2066 to U+2069), which can make
/// text display in a different order from the one it is in, and the zero-width characters
/// (U+200B to U+200D, U+2060, and U+FEFF), which cannot be seen at all.
pub(crate) fn is_hidden_or_control(c: char) -> bool {
    c.is_control()
        || message::is_line_breaking(c)
        || matches!(
            c,
            '\u{202A}'..='\u{202E}'
                | '\u{2066}'..='\u{2069}'
                | '\u{200B}'..='\u{200D}'
                | '\u{2060}'
                | '\u{FEFF}'
        )
}

/// Checks every field and returns the message to queue, or every problem found.
pub fn validate(values: &FormValues) -> Result<ContactMessage, Vec<FieldError>> {
    let mut errors = untrustworthy_field_errors(values);
    let flagged: Vec<&'static str> = errors.iter().map(|e| e.field).collect();
    let mut error = |field: &'static str, message: &str| {
        // One message per field: the first problem found is the one to put right.
        if !flagged.contains(&field) {
            errors.push(FieldError {
                field,
                message: message.to_string(),
            });
        }
    };
    let name = values.name.trim();
    if name.is_empty() {
        error("name", "Enter your name");
    } else if name.chars().count() > NAME_MAX {
        error("name", "Your name must be 100 characters or fewer");
    }
    let email = values.email.trim();
    if email.is_empty() {
        error("email", "Enter your email address");
    } else if email.chars().count() > EMAIL_MAX {
        error(
            "email",
            "Your email address must be 254 characters or fewer",
        );
    } else if !is_valid_email(email) {
        error(
            "email",
            "Enter an email address in the correct format, like name@example.com",
        );
    }
    let topic = Topic::from_value(&values.topic);
    if topic.is_none() {
        error("topic", "Choose what your message is about");
    }
    // Browsers send line breaks as CRLF; keep one kind. Tabs become spaces.
    let message = values
        .message
        .replace("\r\n", "\n")
        .replace('\r', "\n")
        .replace('\t', "    ");
    let trimmed = message.trim();
    let length = trimmed.chars().count();
    if trimmed.is_empty() {
        error("message", "Enter your message");
    } else if length > MESSAGE_MAX {
        error(
            "message",
            &format!("Your message must be 5,000 characters or fewer. It has {length}."),
        );
    } else if trimmed.chars().any(|c| c != '\n' && c.is_control()) {
        error(
            "message",
            "Your message has a hidden character we cannot accept. Please retype the part you pasted.",
        );
    }
    // In the order of the form, as the summary lists them.
    errors.sort_by_key(|e| {
        ["name", "email", "topic", "message"]
            .iter()
            .position(|f| *f == e.field)
    });
    match topic {
        Some(topic) if errors.is_empty() => Ok(ContactMessage {
            name: name.to_string(),
            email: email.to_string(),
            topic,
            message: trimmed.to_string(),
        }),
        _ => Err(errors),
    }
}

/// A syntactically valid address that lettre accepts, with a dot in its domain, as people's
/// addresses have.
fn is_valid_email(email: &str) -> bool {
    if email
        .chars()
        .any(|c| message::is_line_breaking(c) || c.is_whitespace())
    {
        return false;
    }
    match email.parse::<lettre::Address>() {
        Ok(address) => {
            let domain = address.domain();
            address.user().len() <= 64
                && domain.contains('.')
                && !domain.starts_with('[')
                && !domain.ends_with('.')
        }
        Err(_) => false,
    }
}

/// A radio button of the topic question.
#[derive(Debug, Clone)]
pub struct TopicOption {
    pub value: &'static str,
    pub label: &'static str,
    pub checked: bool,
}

/// A message above the form about the whole submission (rate limit, outage, expired form).
#[derive(Debug, Clone)]
pub struct Notice {
    pub heading: String,
    pub text: String,
}

#[derive(Template)]
#[template(path = "contact.html")]
pub struct ContactTemplate {
    pub layout: Layout,
    pub values: FormValues,
    pub errors: Vec<FieldError>,
    pub notice: Option<Notice>,
    pub topics: Vec<TopicOption>,
    pub token: String,
}

impl ContactTemplate {
    /// The message for a field, if it has one.
    pub fn error_for(&self, field: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|e| e.field == field)
            .map(|e| e.message.as_str())
    }
}

#[derive(Template)]
#[template(path = "contact_thank_you.html")]
pub struct ThankYouTemplate {
    pub layout: Layout,
}

fn form_page(
    app: &App,
    values: FormValues,
    errors: Vec<FieldError>,
    notice: Option<Notice>,
) -> Result<String, AppError> {
    let site = app.site();
    let (config, service, stylesheet) = (&app.config, &app.contact, site.stylesheet());
    let has_problem = !errors.is_empty() || notice.is_some();
    let title = if has_problem {
        "Error: Contact us"
    } else {
        "Contact us"
    };
    // No breadcrumb trail: the page is top-level (the main navigation marks it), and a trail
    // would repeat the "Error:" that the <title> carries for screen readers.
    let mut layout = Layout::new(config, stylesheet, FORM_PATH, title)
        .describe("Send a message to the team that runs this website.");
    if has_problem {
        layout = layout.noindex();
    }
    let topics = Topic::ALL
        .iter()
        .map(|t| TopicOption {
            value: t.value(),
            label: t.label(),
            checked: values.topic == t.value(),
        })
        .collect();
    let template = ContactTemplate {
        layout,
        values: FormValues {
            homepage: String::new(),
            form_token: String::new(),
            ..values
        },
        errors,
        notice,
        topics,
        token: service.issue_token(),
    };
    Ok(template.render()?)
}

/// A page that must not be stored: it holds a form token or what the visitor typed.
fn private_html(status: StatusCode, html: String) -> Response {
    let mut response = (status, Html(html)).into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

async fn show_form(State(state): State<AppState>) -> Result<Response, AppError> {
    let app = &state.0;
    let html = form_page(app, FormValues::default(), Vec::new(), None)?;
    Ok(private_html(StatusCode::OK, html))
}

async fn thank_you(State(state): State<AppState>) -> Result<Response, AppError> {
    let template = ThankYouTemplate {
        layout: Layout::new(
            &state.0.config,
            state.site().stylesheet(),
            THANK_YOU_PATH,
            "Thank you for your message",
        )
        // No breadcrumb trail: as on GOV.UK, a confirmation ends the journey, and its panel
        // heading is the first thing on the page.
        .noindex(),
    };
    Ok(Html(template.render()?).into_response())
}

/// An error page with a heading and message of its own.
fn error_page(status: StatusCode, heading: &str, message: &str) -> Response {
    let mut response = status.into_response();
    response.extensions_mut().insert(ErrorPage {
        heading: heading.to_string(),
        message: message.to_string(),
    });
    response
}

fn too_large() -> Response {
    error_page(
        StatusCode::PAYLOAD_TOO_LARGE,
        "Your message is too long to send",
        "What you sent was larger than this form accepts. Please go back, shorten your message to 5,000 characters or fewer, and send it again.",
    )
}

/// Reads the body within the limit and the deadline.
async fn read_body(body: Body, settings: &ContactSettings) -> Result<Vec<u8>, Response> {
    let limited = Limited::new(body, settings.body_limit_bytes);
    let deadline = Duration::from_secs(settings.body_timeout_secs);
    match tokio::time::timeout(deadline, limited.collect()).await {
        Ok(Ok(collected)) => Ok(collected.to_bytes().to_vec()),
        Ok(Err(e)) if e.downcast_ref::<LengthLimitError>().is_some() => Err(too_large()),
        Ok(Err(_)) => Err(StatusCode::BAD_REQUEST.into_response()),
        Err(_) => Err(StatusCode::REQUEST_TIMEOUT.into_response()),
    }
}

fn is_form(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| {
            v.trim()
                .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        })
}

async fn submit(State(state): State<AppState>, request: Request) -> Result<Response, AppError> {
    let app = &state.0;
    let settings = &app.config.contact;
    let service = &app.contact;
    let extensions = request.extensions();
    let peer = extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip())
        .or_else(|| {
            extensions
                .get::<MockConnectInfo<SocketAddr>>()
                .map(|c| c.0.ip())
        });
    let client = client_key(peer, request.headers(), &settings.trusted_proxies);
    if let Some(length) = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
    {
        if length > settings.body_limit_bytes as u64 {
            return Ok(too_large());
        }
    }
    if !is_form(request.headers()) {
        return Ok(StatusCode::UNSUPPORTED_MEDIA_TYPE.into_response());
    }
    let body = match read_body(request.into_body(), settings).await {
        Ok(body) => body,
        Err(response) => return Ok(response),
    };
    let values = FormValues::parse(&body);

    let now = service.clock.now();
    let id = match service.tokens.check(&values.form_token, now) {
        TokenCheck::Valid(id) => id,
        TokenCheck::Expired => {
            let notice = Notice {
                heading: "Your message has not been sent yet".to_string(),
                text: format!(
                    "The form was open for more than {} minutes, so to keep it safe we did not send it. Please check your message below and press Send again.",
                    settings.form_valid_minutes
                ),
            };
            let html = form_page(app, values, Vec::new(), Some(notice))?;
            return Ok(private_html(StatusCode::FORBIDDEN, html));
        }
        TokenCheck::Invalid => {
            return Ok(error_page(
                StatusCode::FORBIDDEN,
                "Your message was not sent",
                "We could not tell that the form came from this website, so we did not accept it. Please go to the contact page, fill in the form again and send it.",
            ));
        }
    };

    if values
        .repeated
        .iter()
        .any(|field| matches!(*field, "form_token" | "homepage"))
    {
        tracing::info!(%client, "contact form with a hidden field sent twice; not queued");
        return Ok(error_page(
            StatusCode::BAD_REQUEST,
            "Your message was not sent",
            "The form arrived with a hidden part sent twice, which usually means a computer program sent it. If you are a person, please go back to the contact page and send your message again.",
        ));
    }

    if !values.homepage.trim().is_empty() {
        tracing::info!(%client, "contact form honeypot filled; not queued");
        return Ok(error_page(
            StatusCode::BAD_REQUEST,
            "Your message was not sent",
            "A box that people cannot see was filled in, which usually means a computer program sent the form. If you are a person, please go back to the contact page and send your message again.",
        ));
    }

    let submission = match validate(&values) {
        Ok(submission) => submission,
        Err(errors) => {
            let html = form_page(app, values, errors, None)?;
            return Ok(private_html(StatusCode::UNPROCESSABLE_ENTITY, html));
        }
    };

    if service.already_queued(&id) {
        return Ok(Redirect::to(THANK_YOU_PATH).into_response());
    }
    // Only submissions that would be queued use up the allowance: a visitor correcting
    // mistakes is not held back, while a flood of messages is.
    if let Err(wait) = service.limiter.check(client, Instant::now()) {
        let minutes = wait.as_secs().div_ceil(60);
        let notice = Notice {
            heading: "Please wait before sending another message".to_string(),
            text: format!(
                "You have sent several messages in a short time. Your message has not been sent. Please wait {} and then press Send again. What you typed is still below.",
                if minutes <= 1 {
                    "a minute".to_string()
                } else {
                    format!("{minutes} minutes")
                }
            ),
        };
        tracing::info!(%client, retry_after_secs = wait.as_secs(), "contact form rate limit");
        let html = form_page(app, values, Vec::new(), Some(notice))?;
        let mut response = private_html(StatusCode::TOO_MANY_REQUESTS, html);
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(wait.as_secs()));
        return Ok(response);
    }

    let spooled = message::compose(&submission, settings, &id, now)
        .map_err(|e| AppError::internal("composing a contact message", e))?;
    let queue = service.queue.clone();
    let outcome = tokio::task::spawn_blocking(move || queue.enqueue(&spooled))
        .await
        .map_err(|e| AppError::internal("queue task", e))?;
    match outcome {
        Ok(Enqueued::New) => {
            tracing::info!(%id, topic = submission.topic.value(), "contact message queued");
            service.remember(id);
            service.new_mail.notify_one();
            Ok(Redirect::to(THANK_YOU_PATH).into_response())
        }
        Ok(Enqueued::Duplicate) => {
            service.remember(id);
            Ok(Redirect::to(THANK_YOU_PATH).into_response())
        }
        Err(e) => {
            tracing::error!(error = %e, "cannot queue a contact message");
            let notice = Notice {
                heading: "Sorry, we cannot send messages right now".to_string(),
                text: "Your message has not been sent. This is a problem at our end, not with what you typed. Please try again later: what you typed is still below.".to_string(),
            };
            let html = form_page(app, values, Vec::new(), Some(notice))?;
            let mut response = private_html(StatusCode::SERVICE_UNAVAILABLE, html);
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("300"));
            Ok(response)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(name: &str, email: &str, topic: &str, message: &str) -> FormValues {
        FormValues {
            name: name.to_string(),
            email: email.to_string(),
            topic: topic.to_string(),
            message: message.to_string(),
            ..FormValues::default()
        }
    }

    #[test]
    fn fields_are_checked() {
        let long_name = "a".repeat(101);
        let long_message = "a".repeat(5001);
        let long_email = format!("{}@example.com", "a".repeat(250));
        let cases: Vec<(FormValues, &[&str])> = vec![
            (values("Ann", "ann@example.com", "press", "Hello"), &[]),
            (
                values("", "", "", ""),
                &["name", "email", "topic", "message"],
            ),
            (
                values(&long_name, "ann@example.com", "press", "Hi"),
                &["name"],
            ),
            (
                values("Ann\nBcc: x", "ann@example.com", "press", "Hi"),
                &["name"],
            ),
            (
                values("Ann\u{2028}Bcc: x", "ann@example.com", "press", "Hi"),
                &["name"],
            ),
            (values("Ann", "ann@example", "press", "Hi"), &["email"]),
            (values("Ann", "ann example.com", "press", "Hi"), &["email"]),
            (
                values("Ann", "ann@example.com\r\nBcc: x@y.z", "press", "Hi"),
                &["email"],
            ),
            (values("Ann", &long_email, "press", "Hi"), &["email"]),
            (
                values("Ann", "ann@example.com", "lottery", "Hi"),
                &["topic"],
            ),
            (
                values("Ann", "ann@example.com", "press", "   \r\n "),
                &["message"],
            ),
            (
                values("Ann", "ann@example.com", "press", &long_message),
                &["message"],
            ),
            (
                values("Ann", "ann@example.com", "press", "Hi\u{0}there"),
                &["message"],
            ),
            (
                values("Ann\u{202E}nnA", "ann@example.com", "press", "Hi"),
                &["name"],
            ),
            (values("Ann\u{2067}", "", "press", "Hi"), &["name", "email"]),
            (
                values("Ann", "ann\u{200C}@example.com", "press", "Hi"),
                &["email"],
            ),
            (
                values("Ann\u{FEFF}", "ann\u{2060}@example.com", "", ""),
                &["name", "email", "topic", "message"],
            ),
            (
                values("Ann\u{7F}", "ann@example.com", "press", "Hi"),
                &["name"],
            ),
            (
                FormValues {
                    repeated: vec!["message", "name"],
                    ..values("Ann", "ann@example.com", "press", "Hi")
                },
                &["name", "message"],
            ),
            (
                values(
                    "Ann",
                    "ann@example.com",
                    "press",
                    "Line one\r\nLine two\tend",
                ),
                &[],
            ),
        ];
        for (form, expected) in cases {
            let fields: Vec<&str> = match validate(&form) {
                Ok(_) => Vec::new(),
                Err(errors) => errors.iter().map(|e| e.field).collect(),
            };
            assert_eq!(fields, expected, "{form:?}");
        }
    }

    #[test]
    fn repeated_fields_are_noted_and_the_first_value_kept() {
        let values =
            FormValues::parse(b"name=Ann&topic=press&name=Eve&form_token=t&name=Bob&form_token=u");
        assert_eq!(values.name, "Ann");
        assert_eq!(values.form_token, "t");
        assert_eq!(values.repeated, vec!["name", "form_token"]);
        let once = FormValues::parse(b"name=Ann&email=a%40b.org&other=1&other=2");
        assert!(once.repeated.is_empty());
    }

    #[test]
    fn a_valid_message_keeps_its_lines() {
        let message = validate(&values(
            " Ann ",
            "ann@example.com",
            "other",
            "One\r\nTwo\rThree",
        ))
        .unwrap();
        assert_eq!(message.name, "Ann");
        assert_eq!(message.message, "One\nTwo\nThree");
        assert_eq!(message.topic, Topic::Other);
    }

    #[test]
    fn tokens_are_signed_and_expire() {
        let tokens = FormTokens::new("", Duration::from_secs(3600)).unwrap();
        let now = Timestamp::from_second(1_800_000_000).unwrap();
        let token = tokens.issue(now);
        let TokenCheck::Valid(id) = tokens.check(&token, now) else {
            panic!("fresh token refused");
        };
        assert!(id.as_str().starts_with("1800000000-"));
        assert_eq!(tokens.check(&token, now), TokenCheck::Valid(id));
        let later = now + jiff::SignedDuration::from_secs(3601);
        assert_eq!(tokens.check(&token, later), TokenCheck::Expired);
        let other_key = FormTokens::new("", Duration::from_secs(3600)).unwrap();
        assert_eq!(other_key.check(&token, now), TokenCheck::Invalid);
        let mut tampered = token.clone();
        tampered.replace_range(0..1, "2");
        for bad in ["", "x", "1.2.3", "1.2.3.4", tampered.as_str()] {
            assert_eq!(tokens.check(bad, now), TokenCheck::Invalid, "{bad:?}");
        }
    }

    #[test]
    fn the_rate_limit_allows_a_burst_then_waits() {
        let limiter = RateLimiter::new(60, 2);
        let client: IpAddr = "192.0.2.1".parse().unwrap();
        let other: IpAddr = "192.0.2.2".parse().unwrap();
        let start = Instant::now();
        assert!(limiter.check(client, start).is_ok());
        assert!(limiter.check(client, start).is_ok());
        let wait = limiter.check(client, start).unwrap_err();
        assert_eq!(wait, Duration::from_secs(60));
        assert!(limiter.check(other, start).is_ok());
        assert!(
            limiter
                .check(client, start + Duration::from_secs(61))
                .is_ok()
        );
    }

    #[test]
    fn forwarded_addresses_count_only_from_trusted_proxies() {
        let proxy: IpAddr = "10.0.0.1".parse().unwrap();
        let visitor: IpAddr = "198.51.100.7".parse().unwrap();
        let mut headers = HeaderMap::new();
        headers.insert(
            "x-forwarded-for",
            "203.0.113.9, 198.51.100.7".parse().unwrap(),
        );
        // Not trusted: the header is ignored.
        assert_eq!(client_key(Some(visitor), &headers, &[]), visitor);
        assert_eq!(client_key(Some(proxy), &headers, &[]), proxy);
        // Trusted: the rightmost address the proxy saw, not what the client claimed first.
        assert_eq!(client_key(Some(proxy), &headers, &[proxy]), visitor);
        headers.insert("x-forwarded-for", "garbage".parse().unwrap());
        assert_eq!(client_key(Some(proxy), &headers, &[proxy]), proxy);
        let v6: IpAddr = "2001:db8:1:2:3:4:5:6".parse().unwrap();
        assert_eq!(
            client_key(Some(v6), &HeaderMap::new(), &[]),
            "2001:db8:1:2::".parse::<IpAddr>().unwrap()
        );
    }
}
