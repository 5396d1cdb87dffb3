//! The delivery worker: a tokio task that sends what is due, records what happened, and sleeps
//! until the next message is due or a new one arrives.
//!
//! A message leaves `queue/` only after the relay has taken it (to `sent/`) or refused it for
//! good (to `failed/`). Whatever stops the worker in between, the message is still in `queue/`
//! and is sent again later: delivery is at least once, with the same Message-ID each time.

use std::sync::Arc;
use std::time::Duration;

use jiff::Timestamp;
use tokio::sync::{Notify, watch};

use super::queue::{self, DeliveryState, MailQueue, QueueError, QueueId, SpoolMessage};
use super::relay::Relay;
use super::schedule::{Clock, RetrySchedule, signed};
use super::transport::{SendOutcome, Transport};
use crate::config::MailSettings;

/// How long a send in progress may go on once shutdown begins, before it is abandoned (and
/// retried at the next start).
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);
/// The longest the worker sleeps, so that `irinfo queue retry` is noticed soon.
const MAX_SLEEP: Duration = Duration::from_secs(30);
/// How often old messages are purged from `sent/`.
const PURGE_EVERY: Duration = Duration::from_secs(3600);

/// The name of the counter of messages the relay took.
pub(crate) const DELIVERIES: &str = "irinfo_mail_deliveries_total";

/// What one pass over the queue did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PassReport {
    pub delivered: Vec<QueueId>,
    pub deferred: Vec<QueueId>,
    pub failed: Vec<QueueId>,
    pub corrupt: Vec<QueueId>,
    /// Files in `queue/` not named like a queue entry, moved to `corrupt/` (their new paths).
    pub stray: Vec<std::path::PathBuf>,
    /// When the next waiting message is due.
    pub next_due: Option<Timestamp>,
    /// The pass stopped early for shutdown.
    pub interrupted: bool,
}

/// Sends queued messages through a [`Transport`]: the SMTP [`Relay`] unless a test gives
/// another.
#[derive(Debug, Clone)]
pub struct DeliveryWorker<T: Transport = Relay> {
    queue: MailQueue,
    transport: T,
    schedule: RetrySchedule,
    clock: Arc<dyn Clock>,
    /// How long delivered messages stay in `sent/`; zero removes them at once.
    keep_sent: Duration,
}

impl DeliveryWorker<Relay> {
    /// The worker for these settings, or `None` when no relay is configured.
    pub fn from_settings(
        mail: &MailSettings,
        queue: MailQueue,
        clock: Arc<dyn Clock>,
    ) -> Result<Option<Self>, super::SettingsError> {
        Ok(Relay::from_settings(mail)?.map(|relay| {
            Self::new(
                queue,
                relay,
                RetrySchedule::from_settings(mail),
                clock,
                Duration::from_secs(mail.keep_sent_days.saturating_mul(24 * 3600)),
            )
        }))
    }
}

impl<T: Transport> DeliveryWorker<T> {
    /// A worker over `queue` that sends through `transport`.
    pub fn new(
        queue: MailQueue,
        transport: T,
        schedule: RetrySchedule,
        clock: Arc<dyn Clock>,
        keep_sent: Duration,
    ) -> Self {
        Self {
            queue,
            transport,
            schedule,
            clock,
            keep_sent,
        }
    }

    /// Where the worker sends messages.
    pub fn transport(&self) -> &T {
        &self.transport
    }

    /// Sends every message that is due now, once.
    pub async fn run_once(&self) -> PassReport {
        let (_keep_open, mut stop) = watch::channel(false);
        self.pass(&mut stop).await
    }

    /// Delivers until `stop` turns true. `wake` is notified when a message is queued.
    pub async fn run(self, wake: Arc<Notify>, mut stop: watch::Receiver<bool>) {
        tracing::info!(transport = %self.transport.description(), spool = %self.queue.root().display(), "mail delivery started");
        let mut last_purge: Option<std::time::Instant> = None;
        loop {
            let stopping = *stop.borrow();
            if stopping {
                break;
            }
            if last_purge.is_none_or(|t| t.elapsed() >= PURGE_EVERY) {
                self.purge_old_sent().await;
                last_purge = Some(std::time::Instant::now());
            }
            let report = self.pass(&mut stop).await;
            if report.interrupted {
                break;
            }
            let now = self.clock.now();
            let sleep_for = report
                .next_due
                .map(|due| Duration::try_from(due.duration_since(now)).unwrap_or_default())
                .unwrap_or(MAX_SLEEP)
                .clamp(Duration::from_millis(200), MAX_SLEEP);
            tokio::select! {
                () = wake.notified() => {}
                () = tokio::time::sleep(sleep_for) => {}
                changed = stop.changed() => {
                    // The sender is gone: nobody can ask for a clean stop any more, so stop now.
                    if changed.is_err() {
                        break;
                    }
                }
            }
        }
        tracing::info!("mail delivery stopped");
    }

    async fn purge_old_sent(&self) {
        let Ok(before) = self.clock.now().checked_sub(signed(self.keep_sent)) else {
            return;
        };
        let queue = self.queue.clone();
        match blocking(move || queue.purge_sent(Some(before))).await {
            Ok(0) => {}
            Ok(n) => tracing::info!("removed {n} delivered message(s) from sent/"),
            Err(e) => tracing::warn!("purging sent/: {e}"),
        }
    }

    async fn pass(&self, stop: &mut watch::Receiver<bool>) -> PassReport {
        let mut report = PassReport::default();
        let queue = self.queue.clone();
        match blocking(move || queue.quarantine_strays()).await {
            Ok(moved) => report.stray = moved,
            Err(e) => tracing::error!("cannot move stray files out of the mail queue: {e}"),
        }
        let queue = self.queue.clone();
        let waiting = match blocking(move || queue.waiting()).await {
            Ok(ids) => ids,
            Err(e) => {
                tracing::error!("cannot read the mail queue: {e}");
                return report;
            }
        };
        for id in waiting {
            let stopping = *stop.borrow();
            if stopping {
                report.interrupted = true;
                break;
            }
            let now = self.clock.now();
            let queue = self.queue.clone();
            let read_id = id.clone();
            let (state, message) = match blocking(move || {
                let state = queue.state(queue::QUEUE, &read_id);
                if !state.is_due(now) {
                    return Ok((state, None));
                }
                queue.read(queue::QUEUE, &read_id).map(|m| (state, Some(m)))
            })
            .await
            {
                Ok((state, Some(message))) => (state, message),
                Ok((state, None)) => {
                    report.next_due = min_time(report.next_due, state.next_attempt_at());
                    continue;
                }
                // Moved away meanwhile (by `irinfo queue retry`, say): nothing to do.
                Err(QueueError::NotFound(_)) => continue,
                Err(e) => {
                    tracing::error!(%id, "moving an unreadable queue file to corrupt/: {e}");
                    let queue = self.queue.clone();
                    let quarantine_id = id.clone();
                    if let Err(e) = blocking(move || queue.quarantine(&quarantine_id)).await {
                        tracing::error!(%id, "cannot move it to corrupt/: {e}");
                    }
                    report.corrupt.push(id);
                    continue;
                }
            };
            let Some(outcome) = self.attempt(&message, stop).await else {
                tracing::info!(%id, "delivery abandoned for shutdown; it stays queued");
                report.interrupted = true;
                break;
            };
            match self.record(&message, state, outcome).await {
                Ok(Recorded::Delivered) => report.delivered.push(id),
                Ok(Recorded::Deferred(next)) => {
                    report.next_due = min_time(report.next_due, Some(next));
                    report.deferred.push(id);
                }
                Ok(Recorded::Failed) => report.failed.push(id),
                Err(e) => {
                    // The message is still in queue/, so it will be tried again: at least once.
                    tracing::error!(%id, "cannot record the delivery attempt: {e}");
                }
            }
        }
        report
    }

    /// One send, given up only if shutdown begins and the relay takes longer than the grace
    /// period to finish.
    async fn attempt(
        &self,
        message: &SpoolMessage,
        stop: &mut watch::Receiver<bool>,
    ) -> Option<SendOutcome> {
        let send = self.transport.send(message);
        tokio::pin!(send);
        tokio::select! {
            outcome = &mut send => Some(outcome),
            () = async { let _ = stop.wait_for(|stopping| *stopping).await; } => {
                tokio::time::timeout(SHUTDOWN_GRACE, send).await.ok()
            }
        }
    }

    async fn record(
        &self,
        message: &SpoolMessage,
        mut state: DeliveryState,
        outcome: SendOutcome,
    ) -> Result<Recorded, QueueError> {
        let now = self.clock.now();
        let id = message.id.clone();
        state.attempts = state.attempts.saturating_add(1);
        state.last_attempt = Some(now.as_second());
        let queue = self.queue.clone();
        let keep_sent = !self.keep_sent.is_zero();
        match outcome {
            SendOutcome::Delivered(response) => {
                tracing::info!(%id, message_id = %message.message_id, attempts = state.attempts, %response, "mail delivered");
                metrics::counter!(DELIVERIES).increment(1);
                state.last_error = None;
                state.next_attempt = None;
                state.finished = Some(now.as_second());
                blocking(move || {
                    if keep_sent {
                        queue.finish(&id, queue::SENT, &state)
                    } else {
                        queue.remove_delivered(&id)
                    }
                })
                .await?;
                Ok(Recorded::Delivered)
            }
            SendOutcome::Permanent(error) => {
                tracing::error!(%id, message_id = %message.message_id, %error, "the relay refused the message for good; moved to failed/");
                state.last_error = Some(error);
                state.next_attempt = None;
                state.finished = Some(now.as_second());
                blocking(move || queue.finish(&id, queue::FAILED, &state)).await?;
                Ok(Recorded::Failed)
            }
            SendOutcome::Temporary(error) => {
                let age_from = state.age_from(message.created);
                match self.schedule.next_attempt(state.attempts, now, age_from) {
                    Some(next) => {
                        tracing::warn!(%id, attempts = state.attempts, next_attempt = %next, %error, "mail delivery deferred");
                        state.last_error = Some(error);
                        state.next_attempt = Some(next.as_second());
                        blocking(move || queue.save_state(&id, &state)).await?;
                        Ok(Recorded::Deferred(next))
                    }
                    None => {
                        let days = self.schedule.max_age.as_secs() / 86_400;
                        tracing::error!(%id, message_id = %message.message_id, %error, "mail not delivered after {days} day(s); moved to failed/");
                        state.last_error =
                            Some(format!("gave up after {days} day(s); last error: {error}"));
                        state.next_attempt = None;
                        state.finished = Some(now.as_second());
                        blocking(move || queue.finish(&id, queue::FAILED, &state)).await?;
                        Ok(Recorded::Failed)
                    }
                }
            }
        }
    }
}

enum Recorded {
    Delivered,
    Deferred(Timestamp),
    Failed,
}

fn min_time(a: Option<Timestamp>, b: Option<Timestamp>) -> Option<Timestamp> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// Runs filesystem work off the async threads; fsync can take a while.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, QueueError> + Send + 'static,
) -> Result<T, QueueError> {
    tokio::task::spawn_blocking(work).await.unwrap_or_else(|e| {
        Err(QueueError::Io {
            action: "running",
            path: "spool task".into(),
            source: std::io::Error::other(e.to_string()),
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mail::queue::MessageStatus;
    use crate::mail::schedule::ManualClock;
    use crate::mail::transport::MemoryTransport;

    fn message(issued: Timestamp, nonce: u8) -> SpoolMessage {
        let id = QueueId::new(issued, &[nonce; 16]);
        SpoolMessage {
            message_id: format!("<{id}@example.org>"),
            id,
            envelope_from: "no-reply@example.org".to_string(),
            envelope_to: vec!["enquiries@example.org".to_string()],
            topic: "other".to_string(),
            created: issued,
            body: b"Subject: test\r\n\r\nHello\r\n".to_vec(),
        }
    }

    /// A worker over a fresh spool with one queued message, sending through `transport`.
    fn worker_with(
        transport: MemoryTransport,
    ) -> (
        tempfile::TempDir,
        DeliveryWorker<MemoryTransport>,
        Arc<ManualClock>,
        QueueId,
    ) {
        let dir = tempfile::tempdir().unwrap();
        let queue = MailQueue::new(dir.path().join("spool"));
        let start = Timestamp::from_second(1_800_000_000).unwrap();
        let queued = message(start, 7);
        queue.enqueue(&queued).unwrap();
        let clock = Arc::new(ManualClock::new(start));
        let worker = DeliveryWorker::new(
            queue,
            transport,
            RetrySchedule::from_settings(&MailSettings::default()),
            clock.clone(),
            Duration::from_secs(86_400),
        );
        (dir, worker, clock, queued.id)
    }

    fn status_of(worker: &DeliveryWorker<MemoryTransport>, id: &QueueId) -> MessageStatus {
        let entries = worker.queue.list().unwrap();
        entries.iter().find(|e| &e.id == id).unwrap().status
    }

    /// Runs one pass of `worker` and checks that the message `id` ended it `expected`, listed so
    /// in the pass's report; returns the report.
    async fn pass_leaves(
        worker: &DeliveryWorker<MemoryTransport>,
        id: &QueueId,
        expected: MessageStatus,
    ) -> PassReport {
        let report = worker.run_once().await;
        let listed = match expected {
            MessageStatus::Sent => &report.delivered,
            MessageStatus::Deferred => &report.deferred,
            MessageStatus::Failed => &report.failed,
            other => panic!("a pass lists no message as {other:?}"),
        };
        assert_eq!(listed, &vec![id.clone()]);
        assert_eq!(status_of(worker, id), expected);
        report
    }

    #[tokio::test]
    async fn a_message_the_transport_takes_moves_to_sent_with_its_bytes_unchanged() {
        let transport = MemoryTransport::default();
        let (_dir, worker, _clock, id) = worker_with(transport.clone());
        pass_leaves(&worker, &id, MessageStatus::Sent).await;
        let handed = transport.handed();
        assert_eq!(handed.len(), 1);
        assert_eq!(handed[0].body, b"Subject: test\r\n\r\nHello\r\n");
        assert!(worker.queue.waiting().unwrap().is_empty());
    }

    #[tokio::test]
    async fn a_temporary_failure_waits_for_its_backoff_then_delivers_the_same_message() {
        let transport =
            MemoryTransport::answering([SendOutcome::Temporary("421 try later".to_string())]);
        let (_dir, worker, clock, id) = worker_with(transport.clone());
        let first = pass_leaves(&worker, &id, MessageStatus::Deferred).await;
        let state = worker.queue.state(queue::QUEUE, &id);
        assert_eq!(state.attempts, 1);
        assert_eq!(state.last_error.as_deref(), Some("421 try later"));
        let due = first
            .next_due
            .expect("a deferred message has a next attempt");
        assert!(due > clock.now());

        // Not due yet: nothing is sent.
        let early = worker.run_once().await;
        assert!(early.delivered.is_empty() && early.deferred.is_empty());
        assert_eq!(transport.handed().len(), 1);

        clock.advance(Duration::try_from(due.duration_since(clock.now())).unwrap());
        let second = worker.run_once().await;
        assert_eq!(second.delivered, vec![id.clone()]);
        let handed = transport.handed();
        assert_eq!(handed.len(), 2);
        assert_eq!(handed[0].message_id, handed[1].message_id);
    }

    #[tokio::test]
    async fn a_permanent_refusal_moves_the_message_to_failed_and_it_is_not_tried_again() {
        let transport =
            MemoryTransport::answering([SendOutcome::Permanent("550 no such user".to_string())]);
        let (_dir, worker, clock, id) = worker_with(transport.clone());
        pass_leaves(&worker, &id, MessageStatus::Failed).await;
        clock.advance(Duration::from_secs(7 * 86_400));
        assert_eq!(worker.run_once().await, PassReport::default());
        assert_eq!(transport.handed().len(), 1);
    }
}
