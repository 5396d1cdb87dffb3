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
pub mod relay;
pub mod schedule;
pub mod worker;

pub use message::{ContactMessage, Topic};
pub use queue::{
    DeliveryState, Enqueued, MailQueue, MessageStatus, QueueError, QueueId, SpoolLock,
};
pub use relay::{Relay, SendOutcome};
pub use schedule::{Clock, ManualClock, RetrySchedule, SystemClock};
pub use worker::{DeliveryWorker, PassReport};

use crate::config::{ContactSettings, MailSettings};

/// Checks the mail settings when `site.toml` is read, so that a bad address stops the site at
/// startup instead of failing each message later.
pub fn validate_settings(contact: &ContactSettings, mail: &MailSettings) -> Result<(), String> {
    message::parse_mailbox(&contact.sender).map_err(|e| {
        format!(
            "contact.sender {:?} is not a valid address: {e}",
            contact.sender
        )
    })?;
    for topic in Topic::ALL {
        let address = topic.recipient(&contact.recipients);
        message::parse_mailbox(address).map_err(|e| {
            format!(
                "contact.recipients.{} {address:?} is not a valid address: {e}",
                topic.setting_name()
            )
        })?;
    }
    if contact.burst == 0 || contact.rate_per_hour == 0 {
        return Err("contact.burst and contact.rate_per_hour must be at least 1".to_string());
    }
    if !contact.form_key.is_empty()
        && (contact.form_key.len() != 64
            || !contact.form_key.bytes().all(|b| b.is_ascii_hexdigit()))
    {
        return Err("contact.form_key must be 64 hex digits, or empty".to_string());
    }
    if contact.form_valid_minutes == 0 || contact.body_timeout_secs == 0 {
        return Err(
            "contact.form_valid_minutes and contact.body_timeout_secs must be at least 1"
                .to_string(),
        );
    }
    if contact.body_limit_bytes < 1024 {
        return Err("contact.body_limit_bytes must be at least 1024".to_string());
    }
    if mail.retry_min_secs == 0 || mail.retry_max_secs < mail.retry_min_secs {
        return Err(
            "mail.retry_min_secs must be at least 1 and no more than mail.retry_max_secs"
                .to_string(),
        );
    }
    if mail.max_age_days == 0 || mail.send_timeout_secs == 0 {
        return Err("mail.max_age_days and mail.send_timeout_secs must be at least 1".to_string());
    }
    if mail.spool.as_os_str().is_empty() {
        return Err("mail.spool must not be empty".to_string());
    }
    Ok(())
}
