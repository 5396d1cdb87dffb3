//! The server's log: human lines by default, JSON lines (one object a line) for log collectors
//! with `--log-format json`, and in either format every line masked by [`MaskingWriter`].
//!
//! Email addresses are masked where the lines are written, not where they are made: an address
//! can reach the log by many roads (an SMTP error quoting a recipient, a path, a line someone adds
//! later), and one filter at the end catches them all, whatever the format. What a visitor wrote
//! in the contact form is never logged at all.
//!
//! The per-request lines (target `irinfo::web::ops::access`, from [`crate::web::ops`]) are on by
//! default in JSON, where a collector wants them, and off in human lines, where they would bury
//! the lines worth reading; `RUST_LOG` decides over both (`RUST_LOG=irinfo=info` turns them on).

use std::io::{self, Write};

use tracing_subscriber::fmt::MakeWriter;

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LogFormat {
    /// Lines for people, as `tracing-subscriber` writes them.
    #[default]
    Human,
    /// One JSON object a line, its fields at the top level.
    Json,
}

/// The log filter when `RUST_LOG` is not set.
fn default_filter(format: LogFormat) -> &'static str {
    match format {
        LogFormat::Human => "irinfo=info,irinfo::web::ops::access=off,tower_http=warn",
        LogFormat::Json => "irinfo=info,tower_http=warn",
    }
}

/// Starts logging to standard output in `format`. Does nothing if logging has started already.
pub fn init(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| default_filter(format).into());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(MaskingWriter(io::stdout));
    // An error only means a subscriber is set already, which is fine.
    let _ = match format {
        LogFormat::Human => builder.try_init(),
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(false)
            .with_span_list(false)
            .try_init(),
    };
}

/// Wraps a [`MakeWriter`] so that everything shaped like an email address in what is written
/// through it is masked: `patient@example.org` becomes `p***@example.org`.
#[derive(Debug, Clone)]
pub struct MaskingWriter<M>(pub M);

impl<'a, M: MakeWriter<'a>> MakeWriter<'a> for MaskingWriter<M> {
    type Writer = Masked<M::Writer>;

    fn make_writer(&'a self) -> Self::Writer {
        Masked(self.0.make_writer())
    }
}

/// A writer that masks email addresses, made by [`MaskingWriter`]. `tracing-subscriber` writes
/// each line with one call, so an address is never split between two writes.
#[derive(Debug)]
pub struct Masked<W>(W);

impl<W: Write> Write for Masked<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        // Nearly every line has no `@`: it goes through untouched and uncopied.
        if !buf.contains(&b'@') {
            return self.0.write(buf);
        }
        self.0.write_all(&mask_addresses(buf))?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.0.flush()
    }
}

fn is_local_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"._%+-".contains(&b)
}

fn is_domain_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'.' || b == b'-'
}

/// `text` with the local part of each address cut to its first character and `***`. An
/// address is a local part of letters, digits and `._%+-`, an `@`, and a domain with a dot whose
/// last label is two letters or more (so `tantivy@0.27` is left alone).
fn mask_addresses(text: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len());
    // Everything before `copied` is in `out` already.
    let mut copied = 0;
    for at in memchr_all(text, b'@') {
        if at < copied {
            continue;
        }
        let local_start = text[copied..at]
            .iter()
            .rposition(|&b| !is_local_byte(b))
            .map_or(copied, |i| copied + i + 1);
        let domain_end = text[at + 1..]
            .iter()
            .position(|&b| !is_domain_byte(b))
            .map_or(text.len(), |i| at + 1 + i);
        // A sentence's full stop after an address is not part of its domain.
        let domain = trim_trailing_dots(&text[at + 1..domain_end]);
        let last_label = domain.rsplit(|&b| b == b'.').next().unwrap_or_default();
        let is_address = local_start < at
            && domain.contains(&b'.')
            && last_label.len() >= 2
            && last_label.iter().all(u8::is_ascii_alphabetic);
        if !is_address {
            continue;
        }
        out.extend_from_slice(&text[copied..=local_start]);
        out.extend_from_slice(b"***");
        copied = at;
    }
    out.extend_from_slice(&text[copied..]);
    out
}

/// The positions of `needle` in `haystack`.
fn memchr_all(haystack: &[u8], needle: u8) -> impl Iterator<Item = usize> + '_ {
    haystack
        .iter()
        .enumerate()
        .filter(move |(_, b)| **b == needle)
        .map(|(i, _)| i)
}

fn trim_trailing_dots(text: &[u8]) -> &[u8] {
    let end = text.iter().rposition(|&b| b != b'.').map_or(0, |i| i + 1);
    &text[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn masked(text: &str) -> String {
        String::from_utf8(mask_addresses(text.as_bytes())).unwrap()
    }

    #[test]
    fn addresses_keep_their_first_character_and_domain() {
        let cases = [
            ("to patient@example.org", "to p***@example.org"),
            (
                "550 <jo.bloggs+ir@mail.example.co.uk>: no such user",
                "550 <j***@mail.example.co.uk>: no such user",
            ),
            (
                "from a@example.org and b.c@example.net.",
                "from a***@example.org and b***@example.net.",
            ),
            (
                r#"{"error":"rcpt x_y@nhs.net refused"}"#,
                r#"{"error":"rcpt x***@nhs.net refused"}"#,
            ),
        ];
        for (text, expected) in cases {
            assert_eq!(masked(text), expected, "{text}");
        }
    }

    #[test]
    fn text_that_is_not_an_address_is_left_alone() {
        for text in [
            "no at sign here",
            "tantivy@0.27.0",
            "@example.org has no local part",
            "user@localhost",
            "a @ b",
            "@@@",
            "trailing@",
        ] {
            assert_eq!(masked(text), text);
        }
    }

    #[test]
    fn the_writer_masks_what_goes_through_it() {
        let mut out = Vec::new();
        {
            let mut writer = Masked(&mut out);
            writer
                .write_all(b"mail to someone@example.org deferred\n")
                .unwrap();
            writer.write_all(b"plain line\n").unwrap();
        }
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "mail to s***@example.org deferred\nplain line\n"
        );
    }
}
