//! One error type for every handler. It becomes a page in the site's own layout with the right
//! status; the detail behind it goes to the log, never to the visitor.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// Everything a handler can fail with.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("page not found")]
    NotFound,
    /// The request was wrong; the message is shown to the visitor and must be kind and plain.
    #[error("bad request: {0}")]
    BadRequest(String),
    #[error("too many requests; retry after {retry_after_secs} s")]
    TooManyRequests { retry_after_secs: u64 },
    /// A dependency is down (a full disk, say); the visitor is asked to try later.
    #[error("service unavailable: {0}")]
    Unavailable(String),
    /// A bug, or a failure the visitor cannot fix. The error and its causes are logged; the
    /// visitor sees a general apology.
    #[error("internal error: {context}")]
    Internal {
        /// What was being done, such as "composing a contact message".
        context: &'static str,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
}

impl AppError {
    /// An internal error while doing `context`, caused by `source`.
    pub fn internal(
        context: &'static str,
        source: impl Into<Box<dyn std::error::Error + Send + Sync>>,
    ) -> Self {
        Self::Internal {
            context,
            source: source.into(),
        }
    }
}

/// An error and each of its causes, joined by ": ", for the log.
pub fn with_causes(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut cause = error.source();
    while let Some(next) = cause {
        text.push_str(": ");
        text.push_str(&next.to_string());
        cause = next.source();
    }
    text
}

/// Attached to an error response so that the error-page layer can render it with the live site.
#[derive(Debug, Clone)]
pub struct ErrorPage {
    pub heading: String,
    pub message: String,
}

impl ErrorPage {
    /// The heading and message for a status that has no more specific explanation.
    pub fn for_status(status: StatusCode) -> Self {
        let (heading, message) = match status.as_u16() {
            400 => (
                "Sorry, we could not understand that request",
                "Something in the address or the form was not in the form we expected. Please go back and try again.",
            ),
            404 => (
                "Page not found",
                "We could not find the page you asked for. It may have moved, or the address may be mistyped.",
            ),
            405 => (
                "That action is not possible here",
                "This page cannot be used in that way. Please go back and try again.",
            ),
            408 => (
                "That took too long",
                "Your request took too long to arrive. Please check your connection and try again.",
            ),
            413 => (
                "That was too much to send",
                "What you sent was larger than this site accepts. Please shorten it and try again.",
            ),
            415 | 422 => (
                "Sorry, we could not read that form",
                "The form did not arrive in the form we expected. Please go back and try again.",
            ),
            429 => (
                "Please wait a moment",
                "You have sent several requests in a short time. Please wait a little, then try again.",
            ),
            503 => (
                "Sorry, we cannot do that right now",
                "Part of this website is not working at the moment. Nothing has been lost. Please try again later.",
            ),
            _ => (
                "Sorry, something went wrong",
                "There is a problem with this website. Please try again in a few minutes.",
            ),
        };
        Self {
            heading: heading.to_string(),
            message: message.to_string(),
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let (status, page, retry_after) = match &self {
            AppError::NotFound => (StatusCode::NOT_FOUND, None, None),
            AppError::BadRequest(message) => (
                StatusCode::BAD_REQUEST,
                Some(ErrorPage {
                    heading: "Sorry, we could not understand that request".to_string(),
                    message: message.clone(),
                }),
                None,
            ),
            AppError::TooManyRequests { retry_after_secs } => {
                (StatusCode::TOO_MANY_REQUESTS, None, Some(*retry_after_secs))
            }
            AppError::Unavailable(detail) => {
                tracing::error!(%detail, "service unavailable");
                (StatusCode::SERVICE_UNAVAILABLE, None, None)
            }
            AppError::Internal { .. } => {
                let detail = with_causes(&self);
                tracing::error!(%detail, "internal error");
                (StatusCode::INTERNAL_SERVER_ERROR, None, None)
            }
        };
        let mut response = status.into_response();
        response
            .extensions_mut()
            .insert(page.unwrap_or_else(|| ErrorPage::for_status(status)));
        if let Some(seconds) = retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}

impl From<askama::Error> for AppError {
    fn from(error: askama::Error) -> Self {
        AppError::internal("template", error)
    }
}

/// A template failed to render: a bug in a template or its data, never the visitor's doing.
#[derive(Debug, thiserror::Error)]
#[error("rendering {path}: {source}")]
pub struct RenderError {
    pub path: String,
    #[source]
    pub source: askama::Error,
}
