//! The mail spool: a queue of messages on the local filesystem, kept the way Maildir keeps mail,
//! so that a message the site has accepted survives a crash or a power cut.
//!
//! ```text
//! spool/
//!   tmp/      being written; anything here after a crash is incomplete and is removed at startup
//!   queue/    waiting for delivery: <id>.msg, and <id>.state once an attempt has been made
//!   sent/     delivered, kept for `mail.keep_sent_days`
//!   failed/   refused by the relay (5xx) or too old to retry; `irinfo queue retry` sends again
//!   corrupt/  files that could not be read or failed their checksum, and files found in
//!             `queue/` that are not named like a queue entry
//!   lock      locked by the one server that uses the spool (see [`MailQueue::lock`])
//! ```
//!
//! A message file is one line of JSON (envelope, topic, times, length and SHA-256 of the message)
//! followed by the complete RFC 5322 message. It is written to `tmp/`, fsynced, linked into
//! `queue/` and the directory fsynced before `enqueue` returns. Linking (not renaming) means a
//! second message with the same id can never replace the first: the link fails instead.
//! The `.state` file beside it (attempts, next attempt, last error) is replaced atomically;
//! losing it only means an earlier retry, never a lost message.

use std::fmt;
use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The spool's folders, in the order a message passes through them.
pub const TMP: &str = "tmp";
pub const QUEUE: &str = "queue";
pub const SENT: &str = "sent";
pub const FAILED: &str = "failed";
pub const CORRUPT: &str = "corrupt";
const ALL_DIRS: [&str; 5] = [TMP, QUEUE, SENT, FAILED, CORRUPT];
const MESSAGE_EXT: &str = "msg";
/// The file in the spool's root that the server using the spool holds locked.
const LOCK_FILE: &str = "lock";
const STATE_EXT: &str = "state";
const FORMAT_VERSION: u32 = 1;

/// A message's name in the spool: the second its form was issued, then 32 hex digits.
/// Only digits, lower-case hex and one dash, so an id can never name a path outside the spool.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct QueueId(String);

impl QueueId {
    /// Checks text from a file name or the command line.
    pub fn parse(text: &str) -> Result<Self, QueueError> {
        let valid = text.split_once('-').is_some_and(|(seconds, nonce)| {
            (1..=12).contains(&seconds.len())
                && seconds.bytes().all(|b| b.is_ascii_digit())
                && nonce.len() == 32
                && nonce
                    .bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        });
        if valid {
            Ok(Self(text.to_string()))
        } else {
            Err(QueueError::BadId(text.chars().take(80).collect()))
        }
    }

    /// The id for a message whose form was issued at `issued` with this random nonce.
    pub fn new(issued: Timestamp, nonce: &[u8; 16]) -> Self {
        Self(format!(
            "{}-{}",
            issued.as_second().max(0),
            hex::encode(nonce)
        ))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for QueueId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A message as it is stored: what the relay needs, plus what staff see in `queue list`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpoolMessage {
    pub id: QueueId,
    /// The SMTP envelope sender (MAIL FROM).
    pub envelope_from: String,
    /// The SMTP envelope recipients (RCPT TO).
    pub envelope_to: Vec<String>,
    pub topic: String,
    /// The Message-ID header, kept the same on every retry.
    pub message_id: String,
    pub created: Timestamp,
    /// The complete RFC 5322 message.
    pub body: Vec<u8>,
}

/// The first line of a message file.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileHeader {
    format: u32,
    id: String,
    envelope_from: String,
    envelope_to: Vec<String>,
    topic: String,
    message_id: String,
    created: i64,
    length: usize,
    sha256: String,
}

/// How delivery of one message has gone so far.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct DeliveryState {
    pub attempts: u32,
    /// Unix seconds; none means "as soon as possible".
    pub next_attempt: Option<i64>,
    pub last_attempt: Option<i64>,
    pub last_error: Option<String>,
    /// When staff last asked for a retry; the age limit counts from here instead.
    pub retried_at: Option<i64>,
    /// When it was sent or given up.
    pub finished: Option<i64>,
}

impl DeliveryState {
    pub fn next_attempt_at(&self) -> Option<Timestamp> {
        self.next_attempt
            .and_then(|s| Timestamp::from_second(s).ok())
    }

    /// Whether an attempt is due at `now`.
    pub fn is_due(&self, now: Timestamp) -> bool {
        self.next_attempt_at().is_none_or(|at| at <= now)
    }

    /// Where the age limit counts from.
    pub fn age_from(&self, created: Timestamp) -> Timestamp {
        self.retried_at
            .and_then(|s| Timestamp::from_second(s).ok())
            .map_or(created, |retried| retried.max(created))
    }
}

/// Which folder a message is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageStatus {
    /// In `queue/`, never tried.
    Queued,
    /// In `queue/`, tried and waiting to be tried again.
    Deferred,
    Sent,
    Failed,
    Corrupt,
}

impl MessageStatus {
    pub fn label(self) -> &'static str {
        match self {
            MessageStatus::Queued => "queued",
            MessageStatus::Deferred => "deferred",
            MessageStatus::Sent => "sent",
            MessageStatus::Failed => "failed",
            MessageStatus::Corrupt => "corrupt",
        }
    }
}

/// One line of `queue list`.
#[derive(Debug, Clone)]
pub struct QueueEntry {
    pub id: QueueId,
    pub status: MessageStatus,
    /// None for a corrupt file.
    pub created: Option<Timestamp>,
    pub topic: String,
    pub state: DeliveryState,
}

/// What `enqueue` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Enqueued {
    /// Written and durable.
    New,
    /// A message with this id was already in the spool; nothing was written.
    Duplicate,
}

/// What went wrong in the spool.
#[derive(Debug, thiserror::Error)]
pub enum QueueError {
    #[error("{0:?} is not a queue id (expected digits, a dash and 32 hex digits)")]
    BadId(String),
    #[error("no message {0} in the spool")]
    NotFound(QueueId),
    #[error("message {id} is corrupt: {reason}")]
    Corrupt { id: QueueId, reason: String },
    #[error(
        "the mail spool {spool} is in use by another irinfo server{holder}: stop that server, or \
         give this one its own [mail] spool",
        holder = holder.map(|pid| format!(" (process {pid})")).unwrap_or_default()
    )]
    InUse { spool: PathBuf, holder: Option<u32> },
    #[error("{action} {path}: {source}")]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: io::Error,
    },
}

fn io_error(action: &'static str, path: &Path) -> impl FnOnce(io::Error) -> QueueError + use<> {
    let path = path.to_path_buf();
    move |source| QueueError::Io {
        action,
        path,
        source,
    }
}

/// What `prepare` found and tidied at startup.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Recovery {
    /// Incomplete files removed from `tmp/`.
    pub removed_from_tmp: usize,
    /// Messages in `queue/` that delivery resumes.
    pub waiting: usize,
    /// Files in `queue/` not named like a queue entry, moved to `corrupt/`.
    pub quarantined: usize,
}

/// How many messages wait or failed, for the metrics: read when they are scraped.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QueueStats {
    /// In `queue/`, never tried.
    pub queued: usize,
    /// In `queue/`, tried and waiting to be tried again.
    pub deferred: usize,
    /// In `failed/`.
    pub failed: usize,
    /// When the oldest message in `queue/` was written there.
    pub oldest_waiting: Option<Timestamp>,
}

/// An exclusive lock on a spool, held by the server whose delivery worker uses it, so that two
/// servers started on one spool never send the same messages twice. The operating system
/// releases it when this is dropped or the process ends, however it ends.
#[derive(Debug)]
pub struct SpoolLock {
    _file: File,
}

/// The spool folder. Cheap to create: nothing is touched until it is used, so a site whose
/// spool is broken still serves its pages, and the form answers 503.
#[derive(Debug, Clone)]
pub struct MailQueue {
    root: PathBuf,
}

impl MailQueue {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    fn dir(&self, name: &str) -> PathBuf {
        self.root.join(name)
    }

    fn message_path(&self, dir: &str, id: &QueueId) -> PathBuf {
        self.dir(dir).join(format!("{id}.{MESSAGE_EXT}"))
    }

    fn state_path(&self, dir: &str, id: &QueueId) -> PathBuf {
        self.dir(dir).join(format!("{id}.{STATE_EXT}"))
    }

    /// Locks the spool for this process, or says which process holds it. Take it before
    /// [`MailQueue::prepare`] and keep it while the delivery worker runs: the commands of
    /// `irinfo queue` do not need it.
    pub fn lock(&self) -> Result<SpoolLock, QueueError> {
        fs::create_dir_all(&self.root).map_err(io_error("creating", &self.root))?;
        let path = self.root.join(LOCK_FILE);
        let mut file = fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .read(true)
            .write(true)
            .open(&path)
            .map_err(io_error("opening", &path))?;
        if !try_lock_exclusive(&file).map_err(io_error("locking", &path))? {
            let holder = fs::read_to_string(&path)
                .ok()
                .and_then(|text| text.trim().parse().ok());
            return Err(QueueError::InUse {
                spool: self.root.clone(),
                holder,
            });
        }
        // The holder's process id, for the message the next server gives; only informative.
        let _ = file
            .set_len(0)
            .and_then(|()| writeln!(file, "{}", std::process::id()));
        Ok(SpoolLock { _file: file })
    }

    /// Creates the folders.
    pub fn create_dirs(&self) -> Result<(), QueueError> {
        for name in ALL_DIRS {
            let dir = self.dir(name);
            fs::create_dir_all(&dir).map_err(io_error("creating", &dir))?;
        }
        Ok(())
    }

    /// Run once when the server starts, before it accepts submissions: creates the folders,
    /// removes what a crash left half-written in `tmp/`, and removes `.state` files whose message
    /// has already moved on. Only the server may do this: a `tmp/` file may be in use while it runs.
    pub fn prepare(&self) -> Result<Recovery, QueueError> {
        self.create_dirs()?;
        let mut recovery = Recovery::default();
        let tmp = self.dir(TMP);
        for entry in fs::read_dir(&tmp).map_err(io_error("reading", &tmp))? {
            let path = entry.map_err(io_error("reading", &tmp))?.path();
            match fs::remove_file(&path) {
                Ok(()) => recovery.removed_from_tmp += 1,
                Err(e) => tracing::warn!(path = %path.display(), "cannot remove from tmp/: {e}"),
            }
        }
        if recovery.removed_from_tmp > 0 {
            sync_dir(&tmp)?;
        }
        for dir in [QUEUE, SENT, FAILED] {
            for (id, path) in self.files(dir, STATE_EXT)? {
                if !self.message_path(dir, &id).exists() {
                    let _ = fs::remove_file(&path);
                }
            }
        }
        recovery.quarantined = self.quarantine_strays()?.len();
        recovery.waiting = self.files(QUEUE, MESSAGE_EXT)?.len();
        Ok(recovery)
    }

    /// Writes `message` durably into `queue/`. When this returns `Ok`, the message survives a
    /// crash; on any error nothing is left behind. A message whose id is already anywhere in
    /// the spool is not written again.
    pub fn enqueue(&self, message: &SpoolMessage) -> Result<Enqueued, QueueError> {
        let id = &message.id;
        for dir in [QUEUE, SENT, FAILED, CORRUPT] {
            if self.message_path(dir, id).exists() {
                return Ok(Enqueued::Duplicate);
            }
        }
        let bytes = encode(message);
        // Two requests carrying the same form may race here; each gets its own tmp file, and
        // the link below lets only one of them into the queue.
        let mut suffix = [0u8; 8];
        fill_random(&mut suffix);
        let tmp_name = format!("{id}.{}.{}", std::process::id(), hex::encode(suffix));
        let tmp_path = self.dir(TMP).join(tmp_name);
        if let Err(e) = write_synced(&tmp_path, &bytes) {
            let _ = fs::remove_file(&tmp_path);
            if e.kind() != io::ErrorKind::NotFound {
                return Err(io_error("writing", &tmp_path)(e));
            }
            // The folders are missing (a new or cleaned spool): create them and try once more.
            self.create_dirs()?;
            if let Err(e) = write_synced(&tmp_path, &bytes) {
                let _ = fs::remove_file(&tmp_path);
                return Err(io_error("writing", &tmp_path)(e));
            }
        }
        let queue_dir = self.dir(QUEUE);
        let target = self.message_path(QUEUE, id);
        let linked = fs::hard_link(&tmp_path, &target);
        let _ = fs::remove_file(&tmp_path);
        match linked {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => return Ok(Enqueued::Duplicate),
            Err(e) => return Err(io_error("linking into", &queue_dir)(e)),
        }
        if let Err(e) = sync_dir(&queue_dir) {
            // Not known to be durable, so it must not count as accepted.
            let _ = fs::remove_file(&target);
            return Err(e);
        }
        Ok(Enqueued::New)
    }

    /// Reads and checks a message in `dir`.
    pub fn read(&self, dir: &str, id: &QueueId) -> Result<SpoolMessage, QueueError> {
        let path = self.message_path(dir, id);
        let bytes = match fs::read(&path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                return Err(QueueError::NotFound(id.clone()));
            }
            Err(e) => return Err(io_error("reading", &path)(e)),
        };
        decode(id, &bytes)
    }

    /// Finds a message in any folder.
    pub fn find(&self, id: &QueueId) -> Result<(MessageStatus, PathBuf), QueueError> {
        for dir in [QUEUE, SENT, FAILED, CORRUPT] {
            let path = self.message_path(dir, id);
            if path.exists() {
                let status = match dir {
                    QUEUE if self.state(QUEUE, id).attempts > 0 => MessageStatus::Deferred,
                    QUEUE => MessageStatus::Queued,
                    SENT => MessageStatus::Sent,
                    FAILED => MessageStatus::Failed,
                    _ => MessageStatus::Corrupt,
                };
                return Ok((status, path));
            }
        }
        Err(QueueError::NotFound(id.clone()))
    }

    /// The delivery state of a message in `dir`; a missing or unreadable state file reads as a
    /// fresh message, which at worst is tried sooner than planned.
    pub fn state(&self, dir: &str, id: &QueueId) -> DeliveryState {
        fs::read(self.state_path(dir, id))
            .ok()
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .unwrap_or_default()
    }

    /// Replaces the state of a message in `queue/`.
    pub fn save_state(&self, id: &QueueId, state: &DeliveryState) -> Result<(), QueueError> {
        self.write_state(QUEUE, id, state)
    }

    fn write_state(
        &self,
        dir: &str,
        id: &QueueId,
        state: &DeliveryState,
    ) -> Result<(), QueueError> {
        let path = self.state_path(dir, id);
        let tmp = self.dir(TMP).join(format!("{id}.{STATE_EXT}"));
        let json = serde_json::to_vec(state).unwrap_or_default();
        // A crash may have left this name behind; the state it held is stale anyway.
        let _ = fs::remove_file(&tmp);
        write_synced(&tmp, &json).map_err(|e| {
            let _ = fs::remove_file(&tmp);
            io_error("writing", &tmp)(e)
        })?;
        fs::rename(&tmp, &path).map_err(io_error("replacing", &path))?;
        sync_dir(&self.dir(dir))
    }

    /// The ids of the messages waiting in `queue/`, oldest first.
    pub fn waiting(&self) -> Result<Vec<QueueId>, QueueError> {
        Ok(self
            .files(QUEUE, MESSAGE_EXT)?
            .into_iter()
            .map(|(id, _)| id)
            .collect())
    }

    /// Moves a message (and its state) from `queue/` to `to`, recording `state` with it.
    pub fn finish(&self, id: &QueueId, to: &str, state: &DeliveryState) -> Result<(), QueueError> {
        let from = self.message_path(QUEUE, id);
        let target = self.message_path(to, id);
        fs::create_dir_all(self.dir(to)).map_err(io_error("creating", &self.dir(to)))?;
        fs::rename(&from, &target).map_err(io_error("moving", &from))?;
        sync_dir(&self.dir(to))?;
        sync_dir(&self.dir(QUEUE))?;
        let _ = fs::remove_file(self.state_path(QUEUE, id));
        if to != CORRUPT {
            self.write_state(to, id, state)?;
        }
        Ok(())
    }

    /// Removes a delivered message at once (when `keep_sent_days` is 0).
    pub fn remove_delivered(&self, id: &QueueId) -> Result<(), QueueError> {
        let path = self.message_path(QUEUE, id);
        fs::remove_file(&path).map_err(io_error("removing", &path))?;
        let _ = fs::remove_file(self.state_path(QUEUE, id));
        sync_dir(&self.dir(QUEUE))
    }

    /// Moves a file that cannot be read or checked out of the way, so the rest still go.
    pub fn quarantine(&self, id: &QueueId) -> Result<(), QueueError> {
        self.finish(id, CORRUPT, &DeliveryState::default())
    }

    /// Moves every file in `queue/` that is not named like a queue entry (`<id>.msg` or
    /// `<id>.state`) to `corrupt/`, with a log line for each, so that nothing lies in the queue
    /// unseen: a file copied in by hand, an editor's backup, a message under a mangled name.
    /// Returns where each one went. The name is kept, with `.1`, `.2`... added if it is taken.
    pub fn quarantine_strays(&self) -> Result<Vec<PathBuf>, QueueError> {
        let queue_dir = self.dir(QUEUE);
        let entries = match fs::read_dir(&queue_dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(io_error("reading", &queue_dir)(e)),
        };
        let corrupt_dir = self.dir(CORRUPT);
        let mut moved = Vec::new();
        for entry in entries {
            let path = entry.map_err(io_error("reading", &queue_dir))?.path();
            let Some(name) = path.file_name() else {
                continue;
            };
            if name.to_str().is_some_and(is_entry_name) {
                continue;
            }
            fs::create_dir_all(&corrupt_dir).map_err(io_error("creating", &corrupt_dir))?;
            let target = unused_name(&corrupt_dir, name);
            match fs::rename(&path, &target) {
                Ok(()) => {
                    tracing::error!(
                        from = %path.display(),
                        to = %target.display(),
                        "moved a file that is not a queue entry from queue/ to corrupt/"
                    );
                    moved.push(target);
                }
                // Removed meanwhile: nothing left to move.
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => return Err(io_error("moving", &path)(e)),
            }
        }
        if !moved.is_empty() {
            sync_dir(&corrupt_dir)?;
            sync_dir(&queue_dir)?;
        }
        Ok(moved)
    }

    /// Puts a failed message back in the queue, or makes a deferred one due now. Returns the
    /// ids it touched. With no id: every failed and deferred message.
    pub fn retry(&self, id: Option<&QueueId>, now: Timestamp) -> Result<Vec<QueueId>, QueueError> {
        let ids: Vec<(QueueId, &str)> = match id {
            Some(id) => match self.find(id)?.0 {
                MessageStatus::Failed => vec![(id.clone(), FAILED)],
                MessageStatus::Queued | MessageStatus::Deferred => vec![(id.clone(), QUEUE)],
                MessageStatus::Sent => return Err(QueueError::NotFound(id.clone())),
                MessageStatus::Corrupt => {
                    return Err(QueueError::Corrupt {
                        id: id.clone(),
                        reason: "a corrupt message cannot be sent; see corrupt/".to_string(),
                    });
                }
            },
            None => self
                .files(FAILED, MESSAGE_EXT)?
                .into_iter()
                .map(|(id, _)| (id, FAILED))
                .chain(
                    self.files(QUEUE, MESSAGE_EXT)?
                        .into_iter()
                        .map(|(id, _)| (id, QUEUE)),
                )
                .collect(),
        };
        let mut touched = Vec::new();
        for (id, dir) in ids {
            let mut state = self.state(dir, &id);
            if dir == QUEUE && state.is_due(now) {
                continue;
            }
            state.next_attempt = None;
            state.finished = None;
            state.retried_at = Some(now.as_second());
            if dir == FAILED {
                self.write_state(FAILED, &id, &state)?;
                let from = self.message_path(FAILED, &id);
                let to = self.message_path(QUEUE, &id);
                fs::rename(&from, &to).map_err(io_error("moving", &from))?;
                sync_dir(&self.dir(QUEUE))?;
                let state_from = self.state_path(FAILED, &id);
                fs::rename(&state_from, self.state_path(QUEUE, &id))
                    .map_err(io_error("moving", &state_from))?;
                sync_dir(&self.dir(QUEUE))?;
                sync_dir(&self.dir(FAILED))?;
            } else {
                self.save_state(&id, &state)?;
            }
            touched.push(id);
        }
        Ok(touched)
    }

    /// Removes delivered messages that finished before `before` (all of them with `None`).
    /// Returns how many went.
    pub fn purge_sent(&self, before: Option<Timestamp>) -> Result<usize, QueueError> {
        let mut removed = 0;
        for (id, path) in self.files(SENT, MESSAGE_EXT)? {
            let state = self.state(SENT, &id);
            let finished = state.finished.and_then(|s| Timestamp::from_second(s).ok());
            let old_enough = match (before, finished) {
                (None, _) => true,
                (Some(before), Some(finished)) => finished < before,
                // No record of when: judge by the file's own time.
                (Some(before), None) => fs::metadata(&path)
                    .and_then(|m| m.modified())
                    .ok()
                    .and_then(|t| Timestamp::try_from(t).ok())
                    .is_some_and(|t| t < before),
            };
            if old_enough {
                fs::remove_file(&path).map_err(io_error("removing", &path))?;
                let _ = fs::remove_file(self.state_path(SENT, &id));
                removed += 1;
            }
        }
        if removed > 0 {
            sync_dir(&self.dir(SENT))?;
        }
        Ok(removed)
    }

    /// Counts the waiting and failed messages without reading any message: only the folder
    /// listings, the small state files of `queue/` and the message files' times.
    pub fn stats(&self) -> Result<QueueStats, QueueError> {
        let mut stats = QueueStats::default();
        for (id, path) in self.files(QUEUE, MESSAGE_EXT)? {
            if self.state(QUEUE, &id).attempts > 0 {
                stats.deferred += 1;
            } else {
                stats.queued += 1;
            }
            let written = fs::metadata(&path)
                .and_then(|m| m.modified())
                .ok()
                .and_then(|t| Timestamp::try_from(t).ok());
            stats.oldest_waiting = match (stats.oldest_waiting, written) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
        }
        stats.failed = self.files(FAILED, MESSAGE_EXT)?.len();
        Ok(stats)
    }

    /// Why a message could not be queued now, if it could not: `tmp/` and `queue/` must be
    /// folders this process may write in. A cheap check (two `access` calls), for `/readyz`.
    pub fn unwritable(&self) -> Option<String> {
        [TMP, QUEUE].into_iter().find_map(|name| {
            let dir = self.dir(name);
            match fs::metadata(&dir) {
                Err(e) => Some(format!("{}: {e}", dir.display())),
                Ok(m) if !m.is_dir() => Some(format!("{} is not a folder", dir.display())),
                Ok(_) => may_write(&dir)
                    .err()
                    .map(|e| format!("{}: {e}", dir.display())),
            }
        })
    }

    /// Every message in the spool, oldest first within each folder.
    pub fn list(&self) -> Result<Vec<QueueEntry>, QueueError> {
        let mut entries = Vec::new();
        for dir in [QUEUE, FAILED, CORRUPT, SENT] {
            for (id, _) in self.files(dir, MESSAGE_EXT)? {
                let state = self.state(dir, &id);
                let message = if dir == CORRUPT {
                    None
                } else {
                    self.read(dir, &id).ok()
                };
                let status = match (dir, &message) {
                    (_, None) => MessageStatus::Corrupt,
                    (QUEUE, _) if state.attempts > 0 => MessageStatus::Deferred,
                    (QUEUE, _) => MessageStatus::Queued,
                    (SENT, _) => MessageStatus::Sent,
                    _ => MessageStatus::Failed,
                };
                entries.push(QueueEntry {
                    created: message.as_ref().map(|m| m.created),
                    topic: message.map(|m| m.topic).unwrap_or_default(),
                    id,
                    status,
                    state,
                });
            }
        }
        Ok(entries)
    }

    /// The `(id, path)` of every file with extension `ext` in `dir`, sorted by id. Files with
    /// other names are ignored: they are not ours.
    fn files(&self, dir: &str, ext: &str) -> Result<Vec<(QueueId, PathBuf)>, QueueError> {
        let dir_path = self.dir(dir);
        let entries = match fs::read_dir(&dir_path) {
            Ok(entries) => entries,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(io_error("reading", &dir_path)(e)),
        };
        let mut files = Vec::new();
        for entry in entries {
            let path = entry.map_err(io_error("reading", &dir_path))?.path();
            let Some(stem) = path
                .file_name()
                .and_then(|n| n.to_str())
                .and_then(|n| n.strip_suffix(&format!(".{ext}")))
            else {
                continue;
            };
            if let Ok(id) = QueueId::parse(stem) {
                files.push((id, path));
            }
        }
        files.sort();
        Ok(files)
    }
}

/// Whether this process may create files in `dir`, as the kernel decides (root included).
#[cfg(unix)]
fn may_write(dir: &Path) -> io::Result<()> {
    use rustix::fs::Access;
    rustix::fs::access(dir, Access::WRITE_OK | Access::EXEC_OK).map_err(io::Error::from)
}

#[cfg(not(unix))]
fn may_write(dir: &Path) -> io::Result<()> {
    if fs::metadata(dir)?.permissions().readonly() {
        return Err(io::Error::new(io::ErrorKind::PermissionDenied, "read-only"));
    }
    Ok(())
}

/// Whether `name` is what a file in `queue/` is called: a queue id with `.msg` or `.state`.
fn is_entry_name(name: &str) -> bool {
    [MESSAGE_EXT, STATE_EXT].iter().any(|ext| {
        name.strip_suffix(ext)
            .and_then(|stem| stem.strip_suffix('.'))
            .is_some_and(|id| QueueId::parse(id).is_ok())
    })
}

/// `dir/name`, or `dir/name.1`, `dir/name.2`... if that is taken, so nothing is replaced.
fn unused_name(dir: &Path, name: &std::ffi::OsStr) -> PathBuf {
    let mut target = dir.join(name);
    let mut n = 0u32;
    while target.symlink_metadata().is_ok() {
        n += 1;
        let mut numbered = name.to_os_string();
        numbered.push(format!(".{n}"));
        target = dir.join(numbered);
    }
    target
}

/// Takes an exclusive advisory lock on `file` without waiting: `false` if another open file holds
/// one (in this process or another).
#[cfg(unix)]
fn try_lock_exclusive(file: &File) -> io::Result<bool> {
    use rustix::fs::{FlockOperation, flock};
    match flock(file, FlockOperation::NonBlockingLockExclusive) {
        Ok(()) => Ok(true),
        Err(rustix::io::Errno::WOULDBLOCK) => Ok(false),
        Err(e) => Err(e.into()),
    }
}

/// Without flock the spool is not locked: one server per spool is then the operator's care.
#[cfg(not(unix))]
fn try_lock_exclusive(_file: &File) -> io::Result<bool> {
    Ok(true)
}

/// Writes `bytes` to a new file and flushes it to disk.
fn write_synced(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut file = File::create_new(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

/// Flushes a directory, so that a file created, linked or renamed in it survives a power cut.
fn sync_dir(dir: &Path) -> Result<(), QueueError> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(io_error("syncing", dir))
}

/// Random bytes from the operating system. If it cannot give any (it practically always can),
/// the time and process id still keep names apart.
pub fn fill_random(bytes: &mut [u8]) {
    if getrandom::fill(bytes).is_err() {
        let seed = format!(
            "{:?}{}{:p}",
            std::time::SystemTime::now(),
            std::process::id(),
            bytes
        );
        let digest = Sha256::digest(seed.as_bytes());
        for (byte, d) in bytes.iter_mut().zip(digest.iter().cycle()) {
            *byte = *d;
        }
    }
}

fn encode(message: &SpoolMessage) -> Vec<u8> {
    let header = FileHeader {
        format: FORMAT_VERSION,
        id: message.id.to_string(),
        envelope_from: message.envelope_from.clone(),
        envelope_to: message.envelope_to.clone(),
        topic: message.topic.clone(),
        message_id: message.message_id.clone(),
        created: message.created.as_second(),
        length: message.body.len(),
        sha256: hex::encode(Sha256::digest(&message.body)),
    };
    // serde_json escapes every control character, so the header is always exactly one line.
    let mut bytes = serde_json::to_vec(&header).unwrap_or_default();
    bytes.push(b'\n');
    bytes.extend_from_slice(&message.body);
    bytes
}

fn decode(id: &QueueId, bytes: &[u8]) -> Result<SpoolMessage, QueueError> {
    let corrupt = |reason: &str| QueueError::Corrupt {
        id: id.clone(),
        reason: reason.to_string(),
    };
    let newline = bytes
        .iter()
        .position(|&b| b == b'\n')
        .ok_or_else(|| corrupt("no header line"))?;
    let header: FileHeader = serde_json::from_slice(&bytes[..newline])
        .map_err(|e| corrupt(&format!("unreadable header: {e}")))?;
    let body = &bytes[newline + 1..];
    if header.format != FORMAT_VERSION {
        return Err(corrupt(&format!("unknown format {}", header.format)));
    }
    if header.id != id.as_str() {
        return Err(corrupt("the file name and the id inside differ"));
    }
    if body.len() != header.length {
        return Err(corrupt(&format!(
            "{} bytes of message where {} were written",
            body.len(),
            header.length
        )));
    }
    if hex::encode(Sha256::digest(body)) != header.sha256 {
        return Err(corrupt("checksum mismatch"));
    }
    if header.envelope_to.is_empty() || header.envelope_from.is_empty() {
        return Err(corrupt("no sender or no recipient"));
    }
    let created =
        Timestamp::from_second(header.created).map_err(|_| corrupt("impossible creation time"))?;
    Ok(SpoolMessage {
        id: id.clone(),
        envelope_from: header.envelope_from,
        envelope_to: header.envelope_to,
        topic: header.topic,
        message_id: header.message_id,
        created,
        body: body.to_vec(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(id: &QueueId) -> SpoolMessage {
        SpoolMessage {
            id: id.clone(),
            envelope_from: "site@example.org".to_string(),
            envelope_to: vec!["team@example.org".to_string()],
            topic: "press".to_string(),
            message_id: format!("<{id}@example.org>"),
            created: Timestamp::from_second(1_800_000_000).unwrap(),
            body: b"Subject: hi\r\n\r\nHello\r\n".to_vec(),
        }
    }

    fn id(n: u8) -> QueueId {
        QueueId::new(Timestamp::from_second(1_800_000_000).unwrap(), &[n; 16])
    }

    /// A queue in a new folder with the sample message `n` in it.
    fn queue_holding(n: u8) -> (tempfile::TempDir, MailQueue, SpoolMessage) {
        let dir = tempfile::tempdir().unwrap();
        let queue = MailQueue::new(dir.path());
        let message = sample(&id(n));
        queue.enqueue(&message).unwrap();
        (dir, queue, message)
    }

    #[test]
    fn ids_cannot_name_other_paths() {
        for bad in [
            "",
            "..",
            "../etc/passwd",
            "1800000000-0000000000000000000000000000000g",
            "1800000000-000000000000000000000000000000000",
            "1800000000/00000000000000000000000000000000",
            "-00000000000000000000000000000000",
            "1800000000-0000000000000000000000000000000A",
        ] {
            assert!(QueueId::parse(bad).is_err(), "{bad:?}");
        }
        let good = id(7).to_string();
        assert_eq!(QueueId::parse(&good).unwrap().as_str(), good);
    }

    #[test]
    fn a_message_round_trips_and_is_queued_once() {
        let dir = tempfile::tempdir().unwrap();
        let queue = MailQueue::new(dir.path().join("spool"));
        let message = sample(&id(1));
        assert_eq!(queue.enqueue(&message).unwrap(), Enqueued::New);
        assert_eq!(queue.enqueue(&message).unwrap(), Enqueued::Duplicate);
        assert_eq!(queue.read(QUEUE, &message.id).unwrap(), message);
        assert_eq!(queue.waiting().unwrap(), vec![message.id.clone()]);
        assert_eq!(fs::read_dir(queue.dir(TMP)).unwrap().count(), 0);
    }

    #[test]
    fn damaged_files_are_reported_as_corrupt() {
        let (_dir, queue, message) = queue_holding(2);
        let path = queue.message_path(QUEUE, &message.id);
        let good = fs::read(&path).unwrap();
        let damages: Vec<Vec<u8>> = vec![
            Vec::new(),
            good[..good.len() - 1].to_vec(),
            good.iter()
                .map(|&b| if b == b'H' { b'J' } else { b })
                .collect(),
            b"not json\nbody".to_vec(),
        ];
        for damaged in damages {
            fs::write(&path, &damaged).unwrap();
            assert!(
                matches!(
                    queue.read(QUEUE, &message.id),
                    Err(QueueError::Corrupt { .. })
                ),
                "{:?}",
                String::from_utf8_lossy(&damaged)
            );
        }
    }

    #[test]
    fn a_locked_spool_names_its_holder_until_the_lock_is_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let queue = MailQueue::new(dir.path().join("spool"));
        let held = queue.lock().unwrap();
        let second = MailQueue::new(dir.path().join("spool")).lock().unwrap_err();
        assert!(
            matches!(&second, QueueError::InUse { holder: Some(pid), .. } if *pid == std::process::id()),
            "{second:?}"
        );
        assert!(
            second
                .to_string()
                .contains("in use by another irinfo server")
        );
        drop(held);
        assert!(queue.lock().is_ok());
    }

    #[test]
    fn files_not_named_like_entries_are_moved_to_corrupt() {
        let (_dir, queue, message) = queue_holding(6);
        queue
            .save_state(&message.id, &DeliveryState::default())
            .unwrap();
        let strays = [
            "notes.txt".to_string(),
            format!("{}.msg.bak", message.id),
            format!(".{}.msg.swp", message.id),
            "1800000000-xyz.msg".to_string(),
            format!("{}.MSG", message.id),
            format!("{}msg", message.id),
        ];
        for stray in &strays {
            fs::write(queue.dir(QUEUE).join(stray), b"?").unwrap();
        }
        // One of them is already in corrupt/: the newcomer gets another name.
        fs::create_dir_all(queue.dir(CORRUPT)).unwrap();
        fs::write(queue.dir(CORRUPT).join("notes.txt"), b"older").unwrap();
        let recovery = queue.prepare().unwrap();
        assert_eq!(recovery.quarantined, strays.len());
        assert_eq!(recovery.waiting, 1);
        let mut left: Vec<String> = fs::read_dir(queue.dir(QUEUE))
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        left.sort();
        assert_eq!(
            left,
            [
                format!("{}.msg", message.id),
                format!("{}.state", message.id)
            ]
        );
        for stray in &strays[1..] {
            assert!(queue.dir(CORRUPT).join(stray).exists(), "{stray}");
        }
        assert_eq!(
            fs::read(queue.dir(CORRUPT).join("notes.txt")).unwrap(),
            b"older"
        );
        assert_eq!(
            fs::read(queue.dir(CORRUPT).join("notes.txt.1")).unwrap(),
            b"?"
        );
        assert!(queue.quarantine_strays().unwrap().is_empty());
    }

    #[test]
    fn prepare_cleans_tmp_and_counts_the_waiting() {
        let dir = tempfile::tempdir().unwrap();
        let queue = MailQueue::new(dir.path());
        queue.enqueue(&sample(&id(3))).unwrap();
        fs::write(queue.dir(TMP).join("half-written"), b"{\"form").unwrap();
        let recovery = queue.prepare().unwrap();
        assert_eq!(
            recovery,
            Recovery {
                removed_from_tmp: 1,
                waiting: 1,
                quarantined: 0,
            }
        );
        assert_eq!(fs::read_dir(queue.dir(TMP)).unwrap().count(), 0);
    }

    #[test]
    fn stats_count_the_waiting_and_failed_and_date_the_oldest() {
        let dir = tempfile::tempdir().unwrap();
        let queue = MailQueue::new(dir.path().join("spool"));
        assert!(queue.unwritable().is_some(), "no folders yet");
        queue.create_dirs().unwrap();
        assert_eq!(queue.unwritable(), None);
        assert_eq!(queue.stats().unwrap(), QueueStats::default());
        for n in 1..=3 {
            queue.enqueue(&sample(&id(n))).unwrap();
        }
        let tried = DeliveryState {
            attempts: 1,
            ..DeliveryState::default()
        };
        queue.save_state(&id(2), &tried).unwrap();
        queue.finish(&id(3), FAILED, &tried).unwrap();
        let stats = queue.stats().unwrap();
        assert_eq!((stats.queued, stats.deferred, stats.failed), (1, 1, 1));
        let oldest = stats.oldest_waiting.expect("two are waiting");
        assert!(
            oldest <= Timestamp::now()
                && oldest > Timestamp::now() - jiff::SignedDuration::from_secs(60)
        );
    }

    #[test]
    fn failed_messages_can_be_retried_and_sent_ones_purged() {
        let dir = tempfile::tempdir().unwrap();
        let queue = MailQueue::new(dir.path());
        let now = Timestamp::from_second(1_800_000_100).unwrap();
        let failed = sample(&id(4));
        let sent = sample(&id(5));
        queue.enqueue(&failed).unwrap();
        queue.enqueue(&sent).unwrap();
        let done = DeliveryState {
            attempts: 1,
            finished: Some(now.as_second()),
            ..DeliveryState::default()
        };
        queue.finish(&failed.id, FAILED, &done).unwrap();
        queue.finish(&sent.id, SENT, &done).unwrap();
        assert_eq!(queue.find(&failed.id).unwrap().0, MessageStatus::Failed);
        assert_eq!(queue.retry(None, now).unwrap(), vec![failed.id.clone()]);
        assert_eq!(queue.find(&failed.id).unwrap().0, MessageStatus::Deferred);
        assert_eq!(
            queue.state(QUEUE, &failed.id).retried_at,
            Some(now.as_second())
        );
        assert_eq!(queue.purge_sent(Some(now)).unwrap(), 0);
        assert_eq!(queue.purge_sent(None).unwrap(), 1);
        assert!(matches!(queue.find(&sent.id), Err(QueueError::NotFound(_))));
    }
}
