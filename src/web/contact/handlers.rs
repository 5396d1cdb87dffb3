//! The contact form's pages and its submission: `GET /contact`, `POST /contact` and
//! `GET /contact/thank-you`, in the order a submission is checked (see the module above).

use std::time::{Duration, Instant};

use askama::Template;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use http_body_util::{BodyExt, LengthLimitError, Limited};

use super::super::error::{AppError, ErrorPage};
use super::super::pages::private_html;
use super::super::views::Layout;
use super::super::{App, AppState};
use super::rate_limit::client_of;
use super::tokens::TokenCheck;
use super::validation::{FieldError, FormValues, validate};
use super::{FORM_PATH, THANK_YOU_PATH};
use crate::config::ContactSettings;
use crate::mail::Enqueued;
use crate::mail::message::{self, Topic};

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

pub(super) async fn show_form(State(state): State<AppState>) -> Result<Response, AppError> {
    let app = &state.0;
    let html = form_page(app, FormValues::default(), Vec::new(), None)?;
    Ok(private_html(StatusCode::OK, html))
}

pub(super) async fn thank_you(State(state): State<AppState>) -> Result<Response, AppError> {
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
pub(in crate::web) fn error_page(status: StatusCode, heading: &str, message: &str) -> Response {
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
    read_body_within(
        body,
        settings.body_limit_bytes,
        settings.body_timeout_secs,
        too_large,
    )
    .await
}

/// Reads a form's body within `limit` bytes and `timeout_secs`; a larger body gets
/// `too_large()`, a slow one 408 and a broken one 400.
pub(in crate::web) async fn read_body_within(
    body: Body,
    limit: usize,
    timeout_secs: u64,
    too_large: fn() -> Response,
) -> Result<Vec<u8>, Response> {
    let limited = Limited::new(body, limit);
    let deadline = Duration::from_secs(timeout_secs);
    match tokio::time::timeout(deadline, limited.collect()).await {
        Ok(Ok(collected)) => Ok(collected.to_bytes().to_vec()),
        Ok(Err(e)) if e.downcast_ref::<LengthLimitError>().is_some() => Err(too_large()),
        Ok(Err(_)) => Err(StatusCode::BAD_REQUEST.into_response()),
        Err(_) => Err(StatusCode::REQUEST_TIMEOUT.into_response()),
    }
}

pub(in crate::web) fn is_form(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| {
            v.trim()
                .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        })
}

pub(super) async fn submit(
    State(state): State<AppState>,
    request: Request,
) -> Result<Response, AppError> {
    let app = &state.0;
    let settings = &app.config.contact;
    let service = &app.contact;
    let (mut parts, body) = request.into_parts();
    let client = client_of(&state, &mut parts).await;
    let request = Request::from_parts(parts, body);
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
