//! Outgoing mail: the contact form's messages are written to a durable spool on disk before the
//! visitor is told they were sent, then a delivery worker hands them to the SMTP relay.
//!
//! - [`message`] builds the RFC 5322 message with lettre, after cleaning every visitor field.
//! - [`queue`] is the Maildir-style spool: `tmp/`, `queue/`, `sent/`, `failed/`, `corrupt/`.
//! - [`schedule`] is the retry schedule and the clock it reads, which tests replace.
//! - [`relay`] talks SMTP to the relay and sorts its failures into temporary and permanent.
//! - [`worker`] is the tokio task that delivers what is due.

pub mod message;
pub mod queue;
pub(crate) mod relay;
pub(crate) mod schedule;
pub(crate) mod transport;
pub(crate) mod worker;

pub use message::{ContactMessage, Topic};
pub use queue::{
    DeliveryState, Enqueued, MailQueue, MessageStatus, QueueError, QueueId, QueueStats, SpoolLock,
};
pub use relay::Relay;
pub use schedule::{Clock, ManualClock, RetrySchedule, SystemClock};
pub use transport::{SendOutcome, Transport};
pub use worker::{DeliveryWorker, PassReport};

// The names of the mail metrics the worker and the relay record, and the SMTP error classes,
// for whoever describes and renders them (the web layer's `/metrics`).
pub(crate) use relay::{ErrorClass, SMTP_ERRORS};
pub(crate) use worker::DELIVERIES;

use crate::config::{ContactSettings, MailSettings};

/// Why the contact or mail settings cannot be used. The message names the setting; the source,
/// when there is one, says what is wrong with its value.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error("{setting} {value:?} is not a valid address")]
    Address {
        setting: String,
        value: String,
        #[source]
        source: message::AddressError,
    },
    #[error("{0}")]
    OutOfRange(&'static str),
    #[error("TLS settings for {host}")]
    Tls {
        host: String,
        #[source]
        source: lettre::transport::smtp::Error,
    },
}

/// Checks the mail settings when `site.toml` is read, so that a bad address stops the site at
/// startup instead of failing each message later.
pub fn validate_settings(
    contact: &ContactSettings,
    mail: &MailSettings,
) -> Result<(), SettingsError> {
    let address = |setting: String, value: &str| {
        message::parse_mailbox(value)
            .map(drop)
            .map_err(|source| SettingsError::Address {
                setting,
                value: value.to_string(),
                source,
            })
    };
    address("contact.sender".to_string(), &contact.sender)?;
    for topic in Topic::ALL {
        address(
            format!("contact.recipients.{}", topic.setting_name()),
            topic.recipient(&contact.recipients),
        )?;
    }
    let checks = [
        (
            contact.burst == 0 || contact.rate_per_hour == 0,
            "contact.burst and contact.rate_per_hour must be at least 1",
        ),
        (
            !contact.form_key.is_empty()
                && (contact.form_key.len() != 64
                    || !contact.form_key.bytes().all(|b| b.is_ascii_hexdigit())),
            "contact.form_key must be 64 hex digits, or empty",
        ),
        (
            contact.form_valid_minutes == 0 || contact.body_timeout_secs == 0,
            "contact.form_valid_minutes and contact.body_timeout_secs must be at least 1",
        ),
        (
            contact.body_limit_bytes < 1024,
            "contact.body_limit_bytes must be at least 1024",
        ),
        (
            mail.retry_min_secs == 0 || mail.retry_max_secs < mail.retry_min_secs,
            "mail.retry_min_secs must be at least 1 and no more than mail.retry_max_secs",
        ),
        (
            mail.max_age_days == 0 || mail.send_timeout_secs == 0,
            "mail.max_age_days and mail.send_timeout_secs must be at least 1",
        ),
        (
            mail.spool.as_os_str().is_empty(),
            "mail.spool must not be empty",
        ),
    ];
    match checks.into_iter().find(|(failed, _)| *failed) {
        Some((_, message)) => Err(SettingsError::OutOfRange(message)),
        None => Ok(()),
    }
}
