//! What the contact form accepts: the fields as sent, and the checks that turn them into a
//! message to queue or into kind messages beside the fields.

use crate::mail::message::{self, ContactMessage, Topic};

use super::{EMAIL_MAX, MESSAGE_MAX, NAME_MAX};

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
    pub(super) fn parse(body: &[u8]) -> Self {
        let mut values = Self::default();
        values.repeated = read_first_values(body, &mut values).repeated;
        values
    }
}

/// A form of text fields, as the site's forms are: where the value of each field goes.
pub(in crate::web) trait TextFields {
    /// The field `key` names and the value it fills, or `None` for a key the form does not have.
    fn slot(&mut self, key: &str) -> Option<(&'static str, &mut String)>;
}

/// Implements [`TextFields`] for a struct whose listed `String` fields are each sent under the
/// field's own name: `text_fields!(FormValues { name, email })`.
macro_rules! text_fields {
    ($form:ty { $($field:ident),+ $(,)? }) => {
        impl $crate::web::contact::TextFields for $form {
            fn slot(&mut self, key: &str) -> Option<(&'static str, &mut String)> {
                Some(match key {
                    $(stringify!($field) => (stringify!($field), &mut self.$field),)+
                    _ => return None,
                })
            }
        }
    };
}
pub(in crate::web) use text_fields;

text_fields!(FormValues {
    name,
    email,
    topic,
    message,
    homepage,
    form_token
});

/// Which of a form's fields [`read_first_values`] found, each in the order first sent.
#[derive(Debug, Clone, Default)]
pub(in crate::web) struct SentFields {
    /// Every field sent.
    pub sent: Vec<&'static str>,
    /// The fields sent more than once (a browser sends each once).
    pub repeated: Vec<&'static str>,
}

/// Reads the urlencoded `body` of a form into `values`, the first value of each field; other
/// keys are ignored. A field sent again keeps its first value, which is the one shown; the
/// forms refuse such a submission (the contact form in `untrustworthy_field_errors`, the
/// hospital form in its `validate`), so a second value can never slip through.
pub(in crate::web) fn read_first_values(body: &[u8], values: &mut impl TextFields) -> SentFields {
    let mut fields = SentFields::default();
    for (key, value) in form_urlencoded::parse(body) {
        let Some((field, slot)) = values.slot(&key) else {
            continue;
        };
        if fields.sent.contains(&field) {
            if !fields.repeated.contains(&field) {
                fields.repeated.push(field);
            }
            continue;
        }
        fields.sent.push(field);
        *slot = value.into_owned();
    }
    fields
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
fn untrustworthy_field_errors(values: &FormValues) -> Vec<FieldError> {
    let mut errors = Vec::new();
    let single_line = [
        ("name", &values.name, "Your name"),
        ("email", &values.email, "Your email address"),
    ];
    for (field, text, described) in single_line {
        if let Some(message) = hidden_character_message(text, described) {
            errors.push(FieldError { field, message });
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

/// The message for a one-line field whose `text` holds a character it may not (see
/// [`is_hidden_or_control`]), or `None` when it holds none; `described` names the field with a
/// capital ("Your name").
pub(in crate::web) fn hidden_character_message(text: &str, described: &str) -> Option<String> {
    text.chars().any(is_hidden_or_control).then(|| {
        format!(
            "{described} has a hidden character we cannot accept. Please type it again rather \
             than pasting it."
        )
    })
}

/// Characters no one-line field may hold: control characters (line breaks included), the
/// bidirectional overrides and isolates (U+202A to U+202E, U+2066 to U+2069), which can make
/// text display in a different order from the one it is in, and the zero-width characters
/// (U+200B to U+200D, U+2060, and U+FEFF), which cannot be seen at all.
fn is_hidden_or_control(c: char) -> bool {
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
}
