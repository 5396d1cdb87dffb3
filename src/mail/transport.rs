//! The seam between the delivery worker and whatever takes its messages.
//!
//! The worker only needs two things of a transport: to send one stored message and say how that
//! ended, and a name for the log. [`Relay`](super::relay::Relay), the SMTP relay, is the one the
//! site uses; the worker's unit tests use a transport in memory with answers set in advance, so
//! they need no SMTP server (the integration tests still deliver to a real one).

use std::future::Future;

use super::queue::SpoolMessage;

/// How one delivery attempt ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendOutcome {
    /// The relay answered 2xx after the message: it is the relay's now.
    Delivered(String),
    /// Try again later: the relay could not be reached, answered 4xx, or the connection broke
    /// (even after the final dot, since the message may not have been taken).
    Temporary(String),
    /// The relay refused the message for good (5xx); trying again would not help.
    Permanent(String),
}

/// Something the delivery worker hands messages to.
pub trait Transport: std::fmt::Debug + Send + Sync + 'static {
    /// Where messages go, for the log: `smtp.example.org:587 (STARTTLS)`.
    fn description(&self) -> &str;

    /// Sends one message. Never panics and never loses the message: every failure is sorted
    /// into temporary or permanent for the worker to record.
    fn send(&self, message: &SpoolMessage) -> impl Future<Output = SendOutcome> + Send;
}

#[cfg(test)]
pub(crate) use memory::MemoryTransport;

#[cfg(test)]
mod memory {
    use std::collections::VecDeque;
    use std::sync::{Arc, Mutex};

    use super::{SendOutcome, SpoolMessage, Transport};

    /// A transport in memory: answers with the outcomes it was given, in order (then
    /// "delivered"), and keeps every message it was handed.
    #[derive(Debug, Clone, Default)]
    pub(crate) struct MemoryTransport {
        answers: Arc<Mutex<VecDeque<SendOutcome>>>,
        handed: Arc<Mutex<Vec<SpoolMessage>>>,
    }

    impl MemoryTransport {
        /// A transport that gives these answers to the first sends.
        pub(crate) fn answering(answers: impl IntoIterator<Item = SendOutcome>) -> Self {
            Self {
                answers: Arc::new(Mutex::new(answers.into_iter().collect())),
                handed: Arc::default(),
            }
        }

        /// Every message handed to it so far, in order.
        pub(crate) fn handed(&self) -> Vec<SpoolMessage> {
            self.handed.lock().unwrap().clone()
        }
    }

    impl Transport for MemoryTransport {
        fn description(&self) -> &str {
            "memory"
        }

        async fn send(&self, message: &SpoolMessage) -> SendOutcome {
            self.handed.lock().unwrap().push(message.clone());
            self.answers
                .lock()
                .unwrap()
                .pop_front()
                .unwrap_or_else(|| SendOutcome::Delivered("250 OK".to_string()))
        }
    }
}
