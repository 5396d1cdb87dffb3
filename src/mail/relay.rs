//! The SMTP relay the queue delivers to, through lettre, and what its answers mean for a message.

use std::time::Duration;

use lettre::address::Envelope;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{Address, AsyncSmtpTransport, AsyncTransport, Tokio1Executor};

use super::queue::SpoolMessage;
use super::transport::{SendOutcome, Transport};
use crate::config::{MailSettings, RelayTls};

/// The environment variable that holds the relay password, so it can stay out of `site.toml`.
pub const PASSWORD_ENV: &str = "IRINFO_SMTP_PASSWORD";

/// A configured SMTP relay.
#[derive(Clone)]
pub struct Relay {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    /// host:port and TLS mode, for the log.
    description: String,
    timeout: Duration,
}

impl std::fmt::Debug for Relay {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Relay")
            .field("relay", &self.description)
            .finish_non_exhaustive()
    }
}

impl Relay {
    /// The relay named in the settings, or `None` when none is configured.
    pub fn from_settings(mail: &MailSettings) -> Result<Option<Relay>, super::SettingsError> {
        let host = mail.relay_host.trim();
        if host.is_empty() {
            return Ok(None);
        }
        let tls = match mail.relay_tls {
            RelayTls::None => Tls::None,
            RelayTls::Starttls | RelayTls::Tls => {
                let parameters = TlsParameters::new(host.to_string()).map_err(|source| {
                    super::SettingsError::Tls {
                        host: host.to_string(),
                        source,
                    }
                })?;
                if mail.relay_tls == RelayTls::Tls {
                    Tls::Wrapper(parameters)
                } else {
                    Tls::Required(parameters)
                }
            }
        };
        let timeout = Duration::from_secs(mail.send_timeout_secs);
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host)
            .port(mail.relay_port)
            .tls(tls)
            .timeout(Some(timeout));
        if !mail.relay_user.is_empty() {
            let password = std::env::var(PASSWORD_ENV)
                .ok()
                .filter(|p| !p.is_empty())
                .unwrap_or_else(|| mail.relay_password.clone());
            builder = builder.credentials(Credentials::new(mail.relay_user.clone(), password));
        }
        let mode = match mail.relay_tls {
            RelayTls::Starttls => "STARTTLS",
            RelayTls::Tls => "TLS",
            RelayTls::None => "no TLS",
        };
        Ok(Some(Relay {
            transport: builder.build(),
            description: format!("{host}:{} ({mode})", mail.relay_port),
            timeout,
        }))
    }
}

impl Transport for Relay {
    fn description(&self) -> &str {
        &self.description
    }

    async fn send(&self, message: &SpoolMessage) -> SendOutcome {
        let envelope = match envelope(message) {
            Ok(envelope) => envelope,
            Err(e) => return SendOutcome::Permanent(format!("invalid envelope: {e}")),
        };
        // lettre's timeout is per command; this bounds the whole conversation.
        let attempt = self.transport.send_raw(&envelope, &message.body);
        match tokio::time::timeout(self.timeout + Duration::from_secs(5), attempt).await {
            Err(_) => {
                count_error(ErrorClass::Connection);
                SendOutcome::Temporary(format!(
                    "no answer from {} within {} s",
                    self.description,
                    self.timeout.as_secs()
                ))
            }
            Ok(Ok(response)) => SendOutcome::Delivered(format!(
                "{} {}",
                response.code(),
                response.message().collect::<Vec<_>>().join(" ")
            )),
            Ok(Err(e)) if e.is_permanent() => {
                count_error(ErrorClass::Permanent);
                SendOutcome::Permanent(one_line(&e))
            }
            Ok(Err(e)) => {
                count_error(if e.is_transient() {
                    ErrorClass::Transient
                } else {
                    ErrorClass::Connection
                });
                SendOutcome::Temporary(one_line(&e))
            }
        }
    }
}

/// What kind of failure an SMTP error was, for `irinfo_mail_smtp_errors_total{class}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ErrorClass {
    /// The relay answered 4xx: try later.
    Transient,
    /// The relay answered 5xx: refused for good.
    Permanent,
    /// No answer that counts: the relay could not be reached, TLS failed, the connection broke
    /// or timed out.
    Connection,
}

impl ErrorClass {
    /// Every class, so that each has a series (at 0) from the start.
    pub(crate) const ALL: [ErrorClass; 3] = [Self::Transient, Self::Permanent, Self::Connection];

    /// The metric's label.
    pub(crate) fn label(self) -> &'static str {
        match self {
            Self::Transient => "transient",
            Self::Permanent => "permanent",
            Self::Connection => "connection",
        }
    }
}

/// The name of the counter of SMTP errors, labelled `class`.
pub(crate) const SMTP_ERRORS: &str = "irinfo_mail_smtp_errors_total";

fn count_error(class: ErrorClass) {
    metrics::counter!(SMTP_ERRORS, "class" => class.label()).increment(1);
}

fn envelope(message: &SpoolMessage) -> Result<Envelope, String> {
    let from: Address = message
        .envelope_from
        .parse()
        .map_err(|e| format!("sender: {e}"))?;
    let to = message
        .envelope_to
        .iter()
        .map(|a| a.parse::<Address>().map_err(|e| format!("recipient: {e}")))
        .collect::<Result<Vec<_>, _>>()?;
    Envelope::new(Some(from), to).map_err(|e| e.to_string())
}

/// An error and its causes on one line, for the log and the state file.
fn one_line(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text.replace(['\r', '\n'], " ")
}
