//! Turns a contact-form submission into a complete RFC 5322 message, built with lettre.
//!
//! Nothing a visitor types is ever written into a header by hand: lettre encodes every header
//! value, and before that every visitor field loses the characters that could end a header line
//! (CR, LF, NUL, U+0085, U+2028, U+2029 and other controls). lettre 0.11 panics when a display
//! name holding CR or LF is set as Reply-To, so names are cleaned again right before they reach
//! it, whatever checks ran earlier.

use std::str::FromStr;
use std::time::SystemTime;

use jiff::Timestamp;
use lettre::message::header::ContentType;
use lettre::message::{Mailbox, Message};

use super::queue::{QueueId, SpoolMessage};
use crate::config::{ContactRecipients, ContactSettings};

/// What a message is about; each topic goes to its own recipient.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Topic {
    Website,
    InformationSheets,
    FindingARadiologist,
    Press,
    Other,
}

impl Topic {
    /// In the order the form shows them.
    pub const ALL: [Topic; 5] = [
        Topic::Website,
        Topic::InformationSheets,
        Topic::FindingARadiologist,
        Topic::Press,
        Topic::Other,
    ];

    /// The value sent by the form and stored in the queue.
    pub fn value(self) -> &'static str {
        match self {
            Topic::Website => "website",
            Topic::InformationSheets => "information-sheets",
            Topic::FindingARadiologist => "finding-a-radiologist",
            Topic::Press => "press",
            Topic::Other => "other",
        }
    }

    /// What the visitor reads.
    pub fn label(self) -> &'static str {
        match self {
            Topic::Website => "Feedback about this website",
            Topic::InformationSheets => "The information sheets",
            Topic::FindingARadiologist => "Finding an interventional radiologist",
            Topic::Press => "Press and media",
            Topic::Other => "Something else",
        }
    }

    /// The key under `[contact.recipients]` in `site.toml`.
    pub fn setting_name(self) -> &'static str {
        match self {
            Topic::Website => "website",
            Topic::InformationSheets => "information_sheets",
            Topic::FindingARadiologist => "finding_a_radiologist",
            Topic::Press => "press",
            Topic::Other => "other",
        }
    }

    pub fn recipient(self, recipients: &ContactRecipients) -> &str {
        match self {
            Topic::Website => &recipients.website,
            Topic::InformationSheets => &recipients.information_sheets,
            Topic::FindingARadiologist => &recipients.finding_a_radiologist,
            Topic::Press => &recipients.press,
            Topic::Other => &recipients.other,
        }
    }

    pub fn from_value(value: &str) -> Option<Topic> {
        Topic::ALL.into_iter().find(|t| t.value() == value)
    }
}

/// A submission that has passed the form's checks.
#[derive(Debug, Clone)]
pub struct ContactMessage {
    pub name: String,
    pub email: String,
    pub topic: Topic,
    pub message: String,
}

/// Why a message could not be built. Only a bug or bad settings lead here: the form checks
/// every field first.
#[derive(Debug, thiserror::Error)]
pub enum ComposeError {
    #[error("invalid address {address:?}: {reason}")]
    Address { address: String, reason: String },
    #[error("building the message: {0}")]
    Build(#[from] lettre::error::Error),
}

/// Why an address cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum AddressError {
    #[error("it contains a line break or control character")]
    LineBreak,
    #[error(transparent)]
    Syntax(#[from] lettre::address::AddressError),
}

/// Parses an address such as `Name <user@example.org>` or `user@example.org`.
pub fn parse_mailbox(text: &str) -> Result<Mailbox, AddressError> {
    if text.chars().any(is_line_breaking) {
        return Err(AddressError::LineBreak);
    }
    Ok(Mailbox::from_str(text.trim())?)
}

/// Characters that could end or split a header line, or hide in one.
pub fn is_line_breaking(c: char) -> bool {
    c.is_control() || matches!(c, '\u{2028}' | '\u{2029}')
}

/// A visitor's name made safe for a header: line-breaking characters become spaces, runs of
/// spaces become one, and the ends are trimmed.
pub fn clean_display_name(name: &str) -> String {
    let replaced: String = name
        .chars()
        .map(|c| if is_line_breaking(c) { ' ' } else { c })
        .collect();
    replaced.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Builds the message for `submission`, to be queued under `id`.
pub fn compose(
    submission: &ContactMessage,
    settings: &ContactSettings,
    id: &QueueId,
    now: Timestamp,
) -> Result<SpoolMessage, ComposeError> {
    let address_error = |address: &str, reason: String| ComposeError::Address {
        address: address.to_string(),
        reason,
    };
    let sender = parse_mailbox(&settings.sender)
        .map_err(|e| address_error(&settings.sender, e.to_string()))?;
    let recipient_text = submission.topic.recipient(&settings.recipients);
    let recipient =
        parse_mailbox(recipient_text).map_err(|e| address_error(recipient_text, e.to_string()))?;
    let visitor_address = submission
        .email
        .trim()
        .parse::<lettre::Address>()
        .map_err(|e| address_error(&submission.email, e.to_string()))?;
    let name = clean_display_name(&submission.name);
    let reply_to = Mailbox::new((!name.is_empty()).then_some(name.clone()), visitor_address);
    let message_id = format!("<{id}@{}>", sender.email.domain());
    let received = now.strftime("%Y-%m-%d %H:%M UTC").to_string();
    let body = format!(
        "A message from the contact form on the website.\n\
         \n\
         Name: {name}\n\
         Email: {email}\n\
         Topic: {topic}\n\
         Sent: {received}\n\
         \n\
         Message:\n\
         \n\
         {message}\n\
         \n\
         --\n\
         Reply to this email to answer {name}.\n\
         Queue reference: {id}\n",
        email = reply_to.email,
        topic = submission.topic.label(),
        message = submission.message,
    );
    let when = SystemTime::try_from(now).unwrap_or_else(|_| SystemTime::now());
    let message = Message::builder()
        .from(sender.clone())
        .reply_to(reply_to)
        .to(recipient)
        .subject(format!("Website contact: {}", submission.topic.label()))
        .message_id(Some(message_id.clone()))
        .date(when)
        .header(ContentType::TEXT_PLAIN)
        .body(body)?;
    let envelope = message.envelope();
    Ok(SpoolMessage {
        id: id.clone(),
        envelope_from: envelope.from().map(ToString::to_string).unwrap_or_default(),
        envelope_to: envelope.to().iter().map(ToString::to_string).collect(),
        topic: submission.topic.value().to_string(),
        message_id,
        created: now,
        body: message.formatted(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn submission(name: &str) -> ContactMessage {
        ContactMessage {
            name: name.to_string(),
            email: "visitor@example.com".to_string(),
            topic: Topic::Press,
            message: "Hello.\nA second line.".to_string(),
        }
    }

    fn headers(message: &SpoolMessage) -> Vec<String> {
        let text = String::from_utf8_lossy(&message.body);
        let head = text.split("\r\n\r\n").next().unwrap_or_default();
        // Unfold folded header lines, so that each entry is one header.
        head.replace("\r\n ", " ")
            .replace("\r\n\t", " ")
            .split("\r\n")
            .map(str::to_string)
            .collect()
    }

    #[test]
    fn names_that_try_to_add_headers_are_cleaned_not_passed_through() {
        let id = QueueId::parse("1800000000-00000000000000000000000000000001").unwrap();
        let now = Timestamp::from_second(1_800_000_000).unwrap();
        let attacks = [
            "Eve\r\nBcc: victim@example.net",
            "Eve\nBcc: victim@example.net",
            "Eve\rBcc: victim@example.net",
            "Eve\u{0}Bcc: victim@example.net",
            "Eve\u{2028}Bcc: victim@example.net",
            "Eve\u{0085}Bcc: victim@example.net",
            "\r\n",
            "\"Eve\" <x@y>, Bcc: victim@example.net",
        ];
        for name in attacks {
            let message = compose(&submission(name), &ContactSettings::default(), &id, now)
                .unwrap_or_else(|e| panic!("{name:?}: {e}"));
            let headers = headers(&message);
            assert!(
                !headers
                    .iter()
                    .any(|h| h.to_ascii_lowercase().starts_with("bcc:")),
                "{name:?} added a header: {headers:#?}"
            );
            assert_eq!(
                message.envelope_to,
                vec!["press@example.org".to_string()],
                "{name:?}"
            );
        }
    }

    #[test]
    fn the_message_has_the_expected_headers() {
        let id = QueueId::parse("1800000000-00000000000000000000000000000002").unwrap();
        let now = Timestamp::from_second(1_800_000_000).unwrap();
        let message = compose(
            &submission("Ann Example"),
            &ContactSettings::default(),
            &id,
            now,
        )
        .unwrap();
        let headers = headers(&message);
        let has = |prefix: &str| headers.iter().any(|h| h.starts_with(prefix));
        assert!(
            has("From: \"IR Info website\" <no-reply@example.org>"),
            "{headers:#?}"
        );
        assert!(
            has("Reply-To: \"Ann Example\" <visitor@example.com>"),
            "{headers:#?}"
        );
        assert!(
            has("To: \"Press office\" <press@example.org>"),
            "{headers:#?}"
        );
        assert!(
            has(&format!("Message-ID: <{id}@example.org>")),
            "{headers:#?}"
        );
        assert_eq!(message.envelope_from, "no-reply@example.org");
    }

    #[test]
    fn display_names_are_cleaned() {
        let cases = [
            ("Ann", "Ann"),
            ("  Ann   Example ", "Ann Example"),
            ("Ann\r\nBcc: x", "Ann Bcc: x"),
            ("A\u{2028}B\u{0085}C\u{0}D", "A B C D"),
            ("\r\n\t", ""),
        ];
        for (input, expected) in cases {
            assert_eq!(clean_display_name(input), expected, "{input:?}");
        }
    }
}
