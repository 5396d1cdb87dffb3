//! Signed, time-limited form tokens: the second half of the contact form's cross-site check
//! (tower-http's `CsrfLayer` checks the headers first), and the name of the message a form may
//! queue, so one form can queue at most one message however often it is sent.

use std::time::Duration;

use hmac::{Hmac, Mac};
use jiff::Timestamp;
use sha2::Sha256;

use super::RandomSourceError;
use crate::config::ContactSettings;
use crate::mail::QueueId;
use crate::mail::queue::fill_random;

type HmacSha256 = Hmac<Sha256>;

/// Signed, time-limited form tokens: `<issued unix seconds>.<32 hex nonce>.<HMAC-SHA256 hex>`.
/// The nonce also names the queued message, so one form can only ever queue one message.
pub(in crate::web) struct FormTokens {
    key: [u8; 32],
    /// Signed into every token, so a token one form issues is no good on another.
    purpose: &'static str,
    pub(in crate::web) valid_for: Duration,
}

/// What a token turned out to be.
#[derive(Debug, PartialEq, Eq)]
pub(in crate::web) enum TokenCheck {
    Valid(QueueId),
    Expired,
    Invalid,
}

impl FormTokens {
    /// Tokens keyed with `hex_key`, or without one with a random key, so that they are valid
    /// only until this process stops. Either way the system's random source must work (the
    /// nonces come from it too): when it fails, the site does not start.
    pub(in crate::web) fn new(
        hex_key: &str,
        purpose: &'static str,
        valid_for: Duration,
    ) -> Result<Self, RandomSourceError> {
        let mut key = [0u8; 32];
        getrandom::fill(&mut key).map_err(RandomSourceError)?;
        // A configured key replaces the random one; an unusable one is refused by the settings
        // check before this runs.
        let mut configured = [0u8; 32];
        if hex::decode_to_slice(hex_key, &mut configured).is_ok() {
            key = configured;
        }
        Ok(Self {
            key,
            purpose,
            valid_for,
        })
    }

    /// Tokens for one of the site's forms, `purpose`, with the key and lifetime every form
    /// takes from the `[contact]` settings.
    pub(in crate::web) fn for_form(
        settings: &ContactSettings,
        purpose: &'static str,
    ) -> Result<Self, RandomSourceError> {
        Self::new(
            &settings.form_key,
            purpose,
            Duration::from_secs(settings.form_valid_minutes.saturating_mul(60)),
        )
    }

    fn mac(&self, issued: i64, nonce: &str) -> HmacSha256 {
        let mut mac =
            HmacSha256::new_from_slice(&self.key).expect("HMAC takes a key of any length");
        mac.update(format!("{}.{issued}.{nonce}", self.purpose).as_bytes());
        mac
    }

    pub(in crate::web) fn issue(&self, now: Timestamp) -> String {
        let mut nonce = [0u8; 16];
        fill_random(&mut nonce);
        let nonce = hex::encode(nonce);
        let issued = now.as_second();
        let signature = hex::encode(self.mac(issued, &nonce).finalize().into_bytes());
        format!("{issued}.{nonce}.{signature}")
    }

    pub(in crate::web) fn check(&self, token: &str, now: Timestamp) -> TokenCheck {
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
        if hex::decode_to_slice(nonce, &mut nonce_bytes).is_err()
            || hex::decode_to_slice(signature, &mut signature_bytes).is_err()
        {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_signed_and_expire() {
        let tokens = FormTokens::new("", "test", Duration::from_secs(3600)).unwrap();
        let now = Timestamp::from_second(1_800_000_000).unwrap();
        let token = tokens.issue(now);
        let TokenCheck::Valid(id) = tokens.check(&token, now) else {
            panic!("fresh token refused");
        };
        assert!(id.as_str().starts_with("1800000000-"));
        assert_eq!(tokens.check(&token, now), TokenCheck::Valid(id));
        let later = now + jiff::SignedDuration::from_secs(3601);
        assert_eq!(tokens.check(&token, later), TokenCheck::Expired);
        let other_key = FormTokens::new("", "test", Duration::from_secs(3600)).unwrap();
        assert_eq!(other_key.check(&token, now), TokenCheck::Invalid);
        let mut tampered = token.clone();
        tampered.replace_range(0..1, "2");
        for bad in ["", "x", "1.2.3", "1.2.3.4", tampered.as_str()] {
            assert_eq!(tokens.check(bad, now), TokenCheck::Invalid, "{bad:?}");
        }
    }
}
