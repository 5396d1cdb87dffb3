//! When to try a message again, and the clock that decides what "now" is.
//!
//! The clock is a trait so that tests can move time forward instead of waiting for it.

use std::fmt::Debug;
use std::sync::Mutex;
use std::time::Duration;

use jiff::{SignedDuration, Timestamp};

use crate::config::MailSettings;

/// Tells the time. The delivery worker and the form tokens read it through this trait.
pub trait Clock: Send + Sync + Debug {
    fn now(&self) -> Timestamp;
}

/// The real time.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        Timestamp::now()
    }
}

/// A clock that only moves when told to; for tests.
#[derive(Debug)]
pub struct ManualClock(Mutex<Timestamp>);

impl ManualClock {
    pub fn new(start: Timestamp) -> Self {
        Self(Mutex::new(start))
    }

    /// Moves the clock forward.
    pub fn advance(&self, by: Duration) {
        let mut now = self.0.lock().unwrap_or_else(|p| p.into_inner());
        *now = now.saturating_add(signed(by)).unwrap_or(*now);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Timestamp {
        *self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Postfix's schedule: the first retry after `min`, each later one after twice the last wait,
/// never more than `max` apart, and no retries once a message is older than `max_age`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetrySchedule {
    pub min: Duration,
    pub max: Duration,
    pub max_age: Duration,
}

impl RetrySchedule {
    pub fn from_settings(mail: &MailSettings) -> Self {
        Self {
            min: Duration::from_secs(mail.retry_min_secs),
            max: Duration::from_secs(mail.retry_max_secs),
            max_age: Duration::from_secs(mail.max_age_days.saturating_mul(24 * 3600)),
        }
    }

    /// How long to wait after the `attempts`-th failed attempt (counting from 1).
    pub fn backoff(&self, attempts: u32) -> Duration {
        let doublings = attempts.saturating_sub(1).min(32);
        self.min
            .checked_mul(1u32 << doublings.min(31))
            .unwrap_or(self.max)
            .min(self.max)
    }

    /// When to try next after `attempts` failures, the last at `now`; `None` when the message is
    /// too old to try again and should be given up.
    pub fn next_attempt(
        &self,
        attempts: u32,
        now: Timestamp,
        age_from: Timestamp,
    ) -> Option<Timestamp> {
        let next = now.saturating_add(signed(self.backoff(attempts))).ok()?;
        let give_up_at = age_from.saturating_add(signed(self.max_age)).ok()?;
        (now < give_up_at).then_some(next.min(give_up_at))
    }

    /// Whether a message first queued at `age_from` is now too old to try.
    pub fn expired(&self, now: Timestamp, age_from: Timestamp) -> bool {
        age_from
            .saturating_add(signed(self.max_age))
            .is_ok_and(|limit| now >= limit)
    }
}

/// A std duration as jiff's signed one, saturating at jiff's limit.
pub fn signed(duration: Duration) -> SignedDuration {
    SignedDuration::try_from(duration).unwrap_or(SignedDuration::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schedule() -> RetrySchedule {
        RetrySchedule {
            min: Duration::from_secs(300),
            max: Duration::from_secs(4000),
            max_age: Duration::from_secs(5 * 24 * 3600),
        }
    }

    #[test]
    fn backoff_doubles_up_to_the_maximum() {
        let cases = [
            (1, 300),
            (2, 600),
            (3, 1200),
            (4, 2400),
            (5, 4000),
            (6, 4000),
            (40, 4000),
            (u32::MAX, 4000),
        ];
        for (attempts, seconds) in cases {
            assert_eq!(
                schedule().backoff(attempts),
                Duration::from_secs(seconds),
                "after {attempts} attempts"
            );
        }
    }

    #[test]
    fn gives_up_after_the_age_limit() {
        let start = Timestamp::from_second(1_800_000_000).unwrap();
        let s = schedule();
        let soon = start + SignedDuration::from_secs(60);
        assert_eq!(
            s.next_attempt(1, soon, start),
            Some(soon + SignedDuration::from_secs(300))
        );
        // The last retry is no later than the age limit itself.
        let near_end = start + SignedDuration::from_secs(5 * 24 * 3600 - 10);
        assert_eq!(
            s.next_attempt(9, near_end, start),
            Some(start + SignedDuration::from_secs(5 * 24 * 3600))
        );
        let after = start + SignedDuration::from_secs(5 * 24 * 3600);
        assert_eq!(s.next_attempt(9, after, start), None);
        assert!(s.expired(after, start));
        assert!(!s.expired(near_end, start));
    }

    #[test]
    fn manual_clock_moves_only_when_told() {
        let start = Timestamp::from_second(1_800_000_000).unwrap();
        let clock = ManualClock::new(start);
        assert_eq!(clock.now(), start);
        clock.advance(Duration::from_secs(90));
        assert_eq!(clock.now(), start + SignedDuration::from_secs(90));
    }
}
