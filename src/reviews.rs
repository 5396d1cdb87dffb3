//! The editorial loop: `irinfo reviews` (every page by its next review, with its review group
//! and what readers said of it) and the digest each review group receives by email.
//!
//! The digest goes through the contact form's durable mail queue, every
//! `feedback.digest_every_days` (weekly by default). Periods are counted from the Unix epoch,
//! so every instance agrees on them. Before a digest is queued, its (group, period) is claimed
//! in the feedback database ([`FeedbackStore::claim_digest`]): whoever claims it first sends
//! it, so a restart, or a second instance sharing the database, does not send it again. The
//! message's queue id is made from the group and period, so queuing it twice (a crash between
//! the queue and the claim being confirmed) is recognised by the queue as the same message.
//! A claim whose message could not be queued is given back, to be tried at the next check.
//! (A kill -9 between the claim and the queue loses that period's digest, never doubles it.)

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;

use jiff::civil::Date;
use sha2::{Digest as _, Sha256};

use crate::check::{ReviewEntry, review_schedule};
use crate::config::SiteConfig;
use crate::content::Library;
use crate::feedback::{Comment, FeedbackStore, PageCounts, StoreError};
use crate::mail::queue::SpoolMessage;
use crate::mail::{Enqueued, MailQueue, QueueError, QueueId};

/// The bands `irinfo reviews` sorts pages into: overdue, then due within each of these days.
pub const DUE_WITHIN_DAYS: [i32; 3] = [30, 60, 90];

/// How many pages with the most "No" answers a digest lists.
const MOST_NO_PAGES: usize = 5;

/// The spool's topic for digests (shown by `irinfo queue list`).
pub const DIGEST_TOPIC: &str = "review-digest";

/// Why a digest could not be sent.
#[derive(Debug, thiserror::Error)]
pub enum DigestError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Queue(#[from] QueueError),
    #[error("feedback.review_groups.{group:?} = {address:?} is not a valid address")]
    Address {
        group: String,
        address: String,
        #[source]
        source: crate::mail::message::AddressError,
    },
    #[error("the sender contact.sender")]
    Sender(#[source] crate::mail::message::AddressError),
    #[error("building the digest for {group}")]
    Build {
        group: String,
        #[source]
        source: lettre::error::Error,
    },
}

/// Checks the review groups' addresses when the settings are read.
pub fn validate_settings(config: &SiteConfig) -> Result<(), DigestError> {
    for (group, address) in &config.feedback.review_groups {
        crate::mail::message::parse_mailbox(address).map_err(|source| DigestError::Address {
            group: group.clone(),
            address: address.clone(),
            source,
        })?;
    }
    Ok(())
}

/// When a page's review falls.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Due {
    Overdue,
    /// Within this many days (30, 60 or 90), and not in an earlier band.
    Within(i32),
    Later,
}

impl Due {
    fn of(days: i32) -> Self {
        if days < 0 {
            return Self::Overdue;
        }
        DUE_WITHIN_DAYS
            .iter()
            .find(|&&limit| days < limit)
            .map_or(Self::Later, |&limit| Self::Within(limit))
    }

    fn heading(self) -> String {
        match self {
            Self::Overdue => "Overdue".to_string(),
            Self::Within(days) => format!("Due within {days} days"),
            Self::Later => "Later".to_string(),
        }
    }
}

/// A page in `irinfo reviews`: its review entry and its feedback.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ReviewLine {
    pub due: Due,
    #[serde(flatten)]
    pub entry: ReviewEntry,
    pub yes: u64,
    pub no: u64,
}

/// Every page by next review (overdue first), with the yes and no counts in `counts`.
pub fn review_lines(
    library: &Library,
    today: Date,
    counts: &HashMap<String, (u64, u64)>,
) -> Vec<ReviewLine> {
    let mut lines: Vec<ReviewLine> = review_schedule(library, today)
        .into_iter()
        .map(|entry| {
            let (yes, no) = counts.get(&entry.site_path).copied().unwrap_or_default();
            ReviewLine {
                due: Due::of(entry.days),
                entry,
                yes,
                no,
            }
        })
        .collect();
    lines.sort_by(|a, b| {
        a.due
            .cmp(&b.due)
            .then_with(|| a.entry.next_review.cmp(&b.entry.next_review))
            .then_with(|| a.entry.site_path.cmp(&b.entry.site_path))
    });
    lines
}

/// The counts per page, as [`review_lines`] takes them.
pub fn counts_by_page(counts: Vec<PageCounts>) -> HashMap<String, (u64, u64)> {
    counts
        .into_iter()
        .map(|c| (c.page, (c.yes, c.no)))
        .collect()
}

fn helpful(yes: u64, no: u64) -> String {
    if yes + no == 0 {
        "no answers".to_string()
    } else {
        format!(
            "yes {yes}, no {no} ({}% helpful)",
            (yes as f64 * 100.0 / (yes + no) as f64).round()
        )
    }
}

fn when(days: i32) -> String {
    match days {
        d if d < 0 => format!("{} days overdue", -d),
        0 => "due today".to_string(),
        1 => "due tomorrow".to_string(),
        d => format!("in {d} days"),
    }
}

/// `irinfo reviews` for people.
pub fn render_reviews(lines: &[ReviewLine], today: Date, feedback_since: &str) -> String {
    let mut out = format!(
        "Reviews on {today}: {} pages. Feedback counted since {feedback_since}.\n",
        lines.len()
    );
    let mut bands: Vec<Due> = vec![Due::Overdue];
    bands.extend(DUE_WITHIN_DAYS.map(Due::Within));
    bands.push(Due::Later);
    for band in bands {
        let in_band: Vec<&ReviewLine> = lines.iter().filter(|l| l.due == band).collect();
        let _ = writeln!(out, "\n{} ({})", band.heading(), in_band.len());
        if in_band.is_empty() {
            out.push_str("  none\n");
        }
        for line in in_band {
            let e = &line.entry;
            let _ = writeln!(
                out,
                "  {}  {:<17} {}  [{}]  {}{}",
                e.next_review,
                when(e.days),
                e.site_path,
                e.reviewer,
                helpful(line.yes, line.no),
                if e.draft { "  (draft)" } else { "" }
            );
        }
    }
    out
}

/// `irinfo reviews --format json`.
pub fn render_reviews_json(lines: &[ReviewLine], today: Date, feedback_since: &str) -> String {
    let value = serde_json::json!({
        "today": today.to_string(),
        "feedback_since": feedback_since,
        "pages": lines,
    });
    serde_json::to_string_pretty(&value).unwrap_or_default() + "\n"
}

/// The start (unix seconds) of the digest period that `now` is in.
pub fn period_start(now: i64, every_days: u32) -> i64 {
    let length = i64::from(every_days.max(1)) * 86_400;
    now - now.rem_euclid(length)
}

/// One review group's digest.
#[derive(Debug, Clone)]
pub struct Digest {
    pub group: String,
    pub address: String,
    /// The period it covers, unix seconds.
    pub from: i64,
    pub until: i64,
    /// The group's pages overdue or due within 30 days.
    pub due: Vec<ReviewLine>,
    /// The group's pages with the most "No" answers in the period, most first.
    pub most_no: Vec<PageCounts>,
    /// Comments on the group's pages in the period, newest first.
    pub comments: Vec<Comment>,
}

/// The digest of every review group that has an address, over `from..until`.
pub fn build_digests(
    config: &SiteConfig,
    library: &Library,
    store: &FeedbackStore,
    today: Date,
    from: i64,
    until: i64,
) -> Result<Vec<Digest>, StoreError> {
    let counts = store.counts(from, until, None)?;
    let lines = review_lines(library, today, &counts_by_page(counts.clone()));
    let group_of: HashMap<&str, &str> = lines
        .iter()
        .map(|l| (l.entry.site_path.as_str(), l.entry.reviewer.as_str()))
        .collect();
    let comments = store.comments(from, until, None, 10_000)?;
    let mut groups: BTreeMap<&str, ()> = BTreeMap::new();
    for line in &lines {
        groups.insert(&line.entry.reviewer, ());
    }
    let mut digests = Vec::new();
    for group in groups.keys() {
        let Some(address) = config.feedback.review_groups.get(*group) else {
            tracing::warn!(
                "review group {group:?} has no address in feedback.review_groups: it gets no digest"
            );
            continue;
        };
        let in_group = |page: &str| group_of.get(page) == Some(group);
        let due = lines
            .iter()
            .filter(|l| {
                l.entry.reviewer == *group && matches!(l.due, Due::Overdue | Due::Within(30))
            })
            .cloned()
            .collect();
        let mut most_no: Vec<PageCounts> = counts
            .iter()
            .filter(|c| c.no > 0 && in_group(&c.page))
            .cloned()
            .collect();
        most_no.sort_by(|a, b| b.no.cmp(&a.no).then_with(|| a.page.cmp(&b.page)));
        most_no.truncate(MOST_NO_PAGES);
        digests.push(Digest {
            group: group.to_string(),
            address: address.clone(),
            from,
            until,
            due,
            most_no,
            comments: comments
                .iter()
                .filter(|c| in_group(&c.page))
                .cloned()
                .collect(),
        });
    }
    Ok(digests)
}

/// One part of the digest's text: its heading, then a line or two per item, or "none".
fn section<T>(out: &mut String, heading: &str, items: &[T], mut item: impl FnMut(&mut String, &T)) {
    let _ = writeln!(out, "\n{heading}:");
    if items.is_empty() {
        out.push_str("  none\n");
    }
    for each in items {
        item(out, each);
    }
}

fn day(seconds: i64) -> String {
    jiff::Timestamp::from_second(seconds)
        .map(|t| t.strftime("%Y-%m-%d").to_string())
        .unwrap_or_default()
}

impl Digest {
    /// The digest as plain text.
    pub fn text(&self, config: &SiteConfig) -> String {
        let base = &config.site.base_url;
        let mut out = format!(
            "Feedback and reviews for {}\n{}, {} to {}\n",
            self.group,
            config.site.name,
            day(self.from),
            day(self.until)
        );
        let due = format!(
            "Pages overdue or due for review within 30 days ({})",
            self.due.len()
        );
        section(&mut out, &due, &self.due, |out, line| {
            let e = &line.entry;
            let days = when(e.days);
            let _ = writeln!(out, "  {}  {days:<17} {base}{}", e.next_review, e.site_path);
            let _ = writeln!(out, "      {}", e.title);
        });
        let most_no = "Pages with the most \"No\" answers in this period";
        section(&mut out, most_no, &self.most_no, |out, page| {
            let share = helpful(page.yes, page.no);
            let _ = writeln!(out, "  {base}{}  {share}", page.page);
        });
        let comments = format!("New comments in this period ({})", self.comments.len());
        section(&mut out, &comments, &self.comments, |out, comment| {
            let text = comment.text.replace('\n', "\n      ");
            let _ = writeln!(
                out,
                "  {}  {base}{}\n      {text}",
                day(comment.at),
                comment.page
            );
        });
        let _ = writeln!(
            out,
            "\n--\nThe full figures: irinfo feedback report --since {}",
            day(self.from)
        );
        out
    }

    /// The digest as a message for the queue, under `id`.
    pub fn compose(
        &self,
        config: &SiteConfig,
        id: &QueueId,
        now: jiff::Timestamp,
    ) -> Result<SpoolMessage, DigestError> {
        use lettre::Message;
        use lettre::message::header::ContentType;
        let sender = crate::mail::message::parse_mailbox(&config.contact.sender)
            .map_err(DigestError::Sender)?;
        let to = crate::mail::message::parse_mailbox(&self.address).map_err(|source| {
            DigestError::Address {
                group: self.group.clone(),
                address: self.address.clone(),
                source,
            }
        })?;
        let message_id = format!("<{id}@{}>", sender.email.domain());
        let when =
            std::time::SystemTime::try_from(now).unwrap_or_else(|_| std::time::SystemTime::now());
        let message = Message::builder()
            .from(sender)
            .to(to)
            .subject(format!(
                "Feedback and reviews for {}: {} to {}",
                crate::mail::message::clean_display_name(&self.group),
                day(self.from),
                day(self.until)
            ))
            .message_id(Some(message_id.clone()))
            .date(when)
            .header(ContentType::TEXT_PLAIN)
            .body(self.text(config))
            .map_err(|source| DigestError::Build {
                group: self.group.clone(),
                source,
            })?;
        let envelope = message.envelope();
        Ok(SpoolMessage {
            id: id.clone(),
            envelope_from: envelope.from().map(ToString::to_string).unwrap_or_default(),
            envelope_to: envelope.to().iter().map(ToString::to_string).collect(),
            topic: DIGEST_TOPIC.to_string(),
            message_id,
            created: now,
            body: message.formatted(),
        })
    }
}

/// The queue id of a group's digest for a period: the same every time it is made.
fn digest_id(group: &str, period_start: i64) -> QueueId {
    let hash = Sha256::digest(format!("irinfo-digest.{group}.{period_start}").as_bytes());
    let mut nonce = [0u8; 16];
    nonce.copy_from_slice(&hash[..16]);
    let issued = jiff::Timestamp::from_second(period_start).unwrap_or(jiff::Timestamp::UNIX_EPOCH);
    QueueId::new(issued, &nonce)
}

/// What review digests are made from and sent through: the settings, the content, the feedback
/// answers and the mail queue.
#[derive(Debug, Clone, Copy)]
pub struct DigestPost<'a> {
    pub config: &'a SiteConfig,
    pub library: &'a Library,
    pub store: &'a FeedbackStore,
    pub queue: &'a MailQueue,
}

impl DigestPost<'_> {
    /// Queues the digest of each review group whose digest for the current period has not been
    /// sent; returns the groups queued. Blocks (database and spool).
    pub fn send_due(&self, now: jiff::Timestamp) -> Result<Vec<String>, DigestError> {
        let every = self.config.feedback.digest_every_days;
        if every == 0 {
            return Ok(Vec::new());
        }
        let start = period_start(now.as_second(), every);
        let length = i64::from(every) * 86_400;
        // The digest at the start of a period covers the period that has just ended.
        let digests = self.digests_since(start - length, now)?;
        let mut sent = Vec::new();
        for digest in digests {
            if !self
                .store
                .claim_digest(&digest.group, start, now.as_second())?
            {
                continue;
            }
            let queued = digest
                .compose(self.config, &digest_id(&digest.group, start), now)
                .and_then(|message| Ok(self.queue.enqueue(&message)?));
            match queued {
                Ok(Enqueued::New | Enqueued::Duplicate) => {
                    tracing::info!(group = %digest.group, "review digest queued");
                    sent.push(digest.group);
                }
                Err(e) => {
                    let _ = self.store.release_digest(&digest.group, start);
                    return Err(e);
                }
            }
        }
        Ok(sent)
    }

    /// Queues every group's digest now, over the last period, whatever has been sent
    /// (`irinfo reviews --send-now`). It does not count as the period's scheduled digest.
    pub fn send_now(&self, now: jiff::Timestamp) -> Result<Vec<String>, DigestError> {
        let length = i64::from(self.config.feedback.digest_every_days.max(1)) * 86_400;
        let digests = self.digests_since(now.as_second() - length, now)?;
        let mut sent = Vec::new();
        for digest in digests {
            let mut nonce = [0u8; 16];
            crate::mail::queue::fill_random(&mut nonce);
            let message = digest.compose(self.config, &QueueId::new(now, &nonce), now)?;
            self.queue.enqueue(&message)?;
            sent.push(digest.group);
        }
        Ok(sent)
    }

    /// Every group's digest over the answers from `from` (unix seconds) until `now`, with the
    /// reviews due as of today.
    fn digests_since(&self, from: i64, now: jiff::Timestamp) -> Result<Vec<Digest>, DigestError> {
        let today = now.to_zoned_datetime(jiff::tz::TimeZone::UTC).date();
        Ok(build_digests(
            self.config,
            self.library,
            self.store,
            today,
            from,
            now.as_second(),
        )?)
    }
}

/// The time before which answers are deleted: `keep_months` before `now`.
pub fn retention_cutoff(now: jiff::Timestamp, keep_months: u32) -> i64 {
    now.to_zoned_datetime(jiff::tz::TimeZone::UTC)
        .checked_sub(jiff::Span::new().months(i64::from(keep_months)))
        .map_or(0, |z| z.timestamp().as_second())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_fall_into_bands() {
        let cases = [
            (-1, Due::Overdue),
            (0, Due::Within(30)),
            (29, Due::Within(30)),
            (30, Due::Within(60)),
            (89, Due::Within(90)),
            (90, Due::Later),
        ];
        for (days, due) in cases {
            assert_eq!(Due::of(days), due, "{days}");
        }
    }

    #[test]
    fn periods_and_ids_are_stable() {
        let week = 7 * 86_400;
        assert_eq!(period_start(week * 3 + 5, 7), week * 3);
        assert_eq!(period_start(week * 3, 7), week * 3);
        assert_eq!(digest_id("A", week), digest_id("A", week));
        assert_ne!(digest_id("A", week), digest_id("B", week));
        assert!(QueueId::parse(digest_id("A", week).as_str()).is_ok());
        let now = jiff::Timestamp::from_second(1_800_000_000).unwrap();
        let cutoff = retention_cutoff(now, 12);
        assert!((now.as_second() - cutoff - 365 * 86_400).abs() <= 86_400);
    }
}
