//! "Was this page helpful?": the store of readers' answers, in a real database.
//!
//! SQLite, compiled in, is the default: one file at `feedback.database`, created and migrated
//! when the server starts. With several instances, `feedback.database_url` names a PostgreSQL
//! database they share instead. Both run the same SQL through [`FeedbackStore`] (integers are
//! BIGINT, text is TEXT, times are unix seconds, placeholders `$1`, `$2`… in order), and the
//! same tests run against both.
//!
//! **Durability.** An answer is only acknowledged to the reader after its transaction has
//! committed. SQLite runs in WAL mode with `synchronous = FULL`: each commit waits for the
//! write-ahead log to reach the disk (fsync), so an acknowledged answer survives a kill -9 and
//! a power cut. (`NORMAL`, WAL's usual setting, survives a process crash but may lose the last
//! commits on power loss, and a "thank you" must not be a guess.) PostgreSQL commits durably by
//! default. A full disk or a read-only database is an error here, which the site shows as its
//! kind 503 page, never as a thank-you.
//!
//! **Privacy.** Nothing that identifies a reader is stored: no address, no cookie, no user
//! agent. An answer is the page, its kind, yes or no, the time, and for a "no" an optional
//! comment in which email addresses and phone numbers are masked first ([`mask`]). Answers older
//! than `feedback.keep_months` are deleted ([`FeedbackStore::purge_before`]).
//!
//! Calls block (on a file or a socket): the web layer runs them with `spawn_blocking`. One
//! connection per store, behind a mutex: a feedback answer takes well under a millisecond of
//! the database's time, and SQLite allows one writer at a time anyway.
//!
//! - [`migrations`]: the versioned schema, applied in order, each once, at startup.
//! - [`backend`]: the two databases behind one small interface.
//! - [`mask`]: email addresses and UK phone numbers out of comments.
//! - [`report`]: `irinfo feedback report`.

pub(crate) mod backend;
pub mod mask;
pub(crate) mod migrations;
pub mod report;

use std::path::PathBuf;
use std::sync::Mutex;

use backend::{Backend, Value};

use crate::config::FeedbackSettings;

/// Why the store could not do what was asked. The detail is for the log; readers see a 503.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("SQLite database {path}")]
    Sqlite {
        path: PathBuf,
        #[source]
        source: rusqlite::Error,
    },
    #[error("PostgreSQL")]
    Postgres(#[source] postgres::Error),
    #[error("creating the folder of the database {}", .path.display())]
    Folder {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The database has migrations this program does not know: it was made by a newer one.
    #[error("the database is at schema version {found}, newer than this program's {known}")]
    TooNew { found: i64, known: i64 },
    /// A row came back in a shape the schema does not allow (a bug, or a hand-edited database).
    #[error("unexpected value in column {column}")]
    Shape { column: usize },
}

/// One reader's answer, as it is stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAnswer {
    /// A random id, which the comment form (for a "no") names to add its comment.
    pub id: String,
    /// The page's path on the site, such as `/procedures/angioplasty`.
    pub page: String,
    /// The page's kind, as the kinds table names it (`procedure`, `condition`…).
    pub kind: String,
    pub helpful: bool,
    /// Unix seconds.
    pub at: i64,
}

/// What happened to a comment sent for an answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommentOutcome {
    Saved,
    /// The answer has a comment already (the form sent twice): the first one is kept.
    AlreadyThere,
    /// No such answer (deleted since, or never recorded).
    NoAnswer,
}

/// The yes and no counts of one page over a period.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PageCounts {
    pub page: String,
    pub kind: String,
    pub yes: u64,
    pub no: u64,
}

/// A comment left after a "no".
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Comment {
    pub page: String,
    /// Unix seconds of the answer.
    pub at: i64,
    pub text: String,
}

/// The feedback database: SQLite or PostgreSQL, with the same SQL.
pub struct FeedbackStore {
    backend: Mutex<Box<dyn Backend>>,
    /// "SQLite var/feedback/answers.sqlite3" or "PostgreSQL", for logs.
    description: String,
}

impl std::fmt::Debug for FeedbackStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FeedbackStore")
            .field("database", &self.description)
            .finish_non_exhaustive()
    }
}

impl FeedbackStore {
    /// Opens (creating it if need be) and migrates the database the settings name.
    pub fn open(settings: &FeedbackSettings) -> Result<Self, StoreError> {
        if settings.database_url.trim().is_empty() {
            Self::open_sqlite(&settings.database)
        } else {
            Self::open_postgres(&settings.database_url)
        }
    }

    /// Opens and migrates a SQLite database file (and its folder, if missing).
    pub fn open_sqlite(path: &std::path::Path) -> Result<Self, StoreError> {
        let backend = backend::Sqlite::open(path)?;
        Self::migrated(Box::new(backend), format!("SQLite {}", path.display()))
    }

    /// Connects to PostgreSQL (a URL or `key=value` string) and migrates its schema.
    pub fn open_postgres(url: &str) -> Result<Self, StoreError> {
        let backend = backend::Postgres::connect(url)?;
        Self::migrated(Box::new(backend), "PostgreSQL".to_string())
    }

    fn migrated(mut backend: Box<dyn Backend>, description: String) -> Result<Self, StoreError> {
        migrations::migrate(backend.as_mut())?;
        Ok(Self {
            backend: Mutex::new(backend),
            description,
        })
    }

    /// Which database this is, for logs.
    pub fn description(&self) -> &str {
        &self.description
    }

    fn with<T>(
        &self,
        f: impl FnOnce(&mut dyn Backend) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let mut backend = self.backend.lock().unwrap_or_else(|p| p.into_inner());
        f(backend.as_mut())
    }

    /// A cheap check that the database answers, for a readiness probe.
    pub fn is_reachable(&self) -> bool {
        self.with(|db| db.query("SELECT 1", &[])).is_ok()
    }

    /// Records an answer durably. Recording the same id twice keeps the first.
    pub fn record(&self, answer: &NewAnswer) -> Result<(), StoreError> {
        self.with(|db| {
            db.execute(
                "INSERT INTO feedback_answers (id, page, kind, helpful, created_at) \
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT (id) DO NOTHING",
                &[
                    Value::Text(answer.id.clone()),
                    Value::Text(answer.page.clone()),
                    Value::Text(answer.kind.clone()),
                    Value::Int(i64::from(answer.helpful)),
                    Value::Int(answer.at),
                ],
            )
            .map(drop)
        })
    }

    /// Adds a comment (already masked) to the "no" answer `id`.
    pub fn add_comment(&self, id: &str, comment: &str) -> Result<CommentOutcome, StoreError> {
        self.with(|db| {
            let changed = db.execute(
                "UPDATE feedback_answers SET comment = $1 \
                 WHERE id = $2 AND helpful = 0 AND comment IS NULL",
                &[
                    Value::Text(comment.to_string()),
                    Value::Text(id.to_string()),
                ],
            )?;
            if changed > 0 {
                return Ok(CommentOutcome::Saved);
            }
            let rows = db.query(
                "SELECT COUNT(*) FROM feedback_answers WHERE id = $1",
                &[Value::Text(id.to_string())],
            )?;
            Ok(if count(&rows)? > 0 {
                CommentOutcome::AlreadyThere
            } else {
                CommentOutcome::NoAnswer
            })
        })
    }

    /// Yes and no counts per page for answers at `from` or later and before `until` (unix
    /// seconds), optionally of one kind; pages in path order.
    pub fn counts(
        &self,
        from: i64,
        until: i64,
        kind: Option<&str>,
    ) -> Result<Vec<PageCounts>, StoreError> {
        self.with(|db| {
            let rows = db.query(
                "SELECT page, kind, \
                 COUNT(CASE WHEN helpful = 1 THEN 1 END), COUNT(CASE WHEN helpful = 0 THEN 1 END) \
                 FROM feedback_answers \
                 WHERE created_at >= $1 AND created_at < $2 AND ($3 = '' OR kind = $3) \
                 GROUP BY page, kind ORDER BY page",
                &period_and_kind(from, until, kind),
            )?;
            rows.into_iter()
                .map(|row| {
                    Ok(PageCounts {
                        page: text(&row, 0)?,
                        kind: text(&row, 1)?,
                        yes: int(&row, 2)?.max(0) as u64,
                        no: int(&row, 3)?.max(0) as u64,
                    })
                })
                .collect()
        })
    }

    /// Comments of answers at `from` or later and before `until`, newest first, at most
    /// `limit`, optionally of one kind.
    pub fn comments(
        &self,
        from: i64,
        until: i64,
        kind: Option<&str>,
        limit: u32,
    ) -> Result<Vec<Comment>, StoreError> {
        let mut params = period_and_kind(from, until, kind);
        params.push(Value::Int(i64::from(limit)));
        self.with(|db| {
            let rows = db.query(
                "SELECT page, created_at, comment FROM feedback_answers \
                 WHERE comment IS NOT NULL AND created_at >= $1 AND created_at < $2 \
                 AND ($3 = '' OR kind = $3) \
                 ORDER BY created_at DESC, id LIMIT $4",
                &params,
            )?;
            rows.into_iter()
                .map(|row| {
                    Ok(Comment {
                        page: text(&row, 0)?,
                        at: int(&row, 1)?,
                        text: text(&row, 2)?,
                    })
                })
                .collect()
        })
    }

    /// Deletes every answer from before `before` (unix seconds); returns how many.
    pub fn purge_before(&self, before: i64) -> Result<u64, StoreError> {
        self.with(|db| {
            db.execute(
                "DELETE FROM feedback_answers WHERE created_at < $1",
                &[Value::Int(before)],
            )
        })
    }

    /// Claims the digest of `group` for the period starting at `period_start`: true for the
    /// first caller (which then sends it), false once it is claimed, across restarts and
    /// across instances sharing a database.
    pub fn claim_digest(
        &self,
        group: &str,
        period_start: i64,
        now: i64,
    ) -> Result<bool, StoreError> {
        self.with(|db| {
            db.execute(
                "INSERT INTO digests_sent (review_group, period_start, sent_at) \
                 VALUES ($1, $2, $3) ON CONFLICT (review_group, period_start) DO NOTHING",
                &[
                    Value::Text(group.to_string()),
                    Value::Int(period_start),
                    Value::Int(now),
                ],
            )
            .map(|inserted| inserted > 0)
        })
    }

    /// Gives back a claim whose digest could not be queued, so that it is tried again.
    pub fn release_digest(&self, group: &str, period_start: i64) -> Result<(), StoreError> {
        self.with(|db| {
            db.execute(
                "DELETE FROM digests_sent WHERE review_group = $1 AND period_start = $2",
                &[Value::Text(group.to_string()), Value::Int(period_start)],
            )
            .map(drop)
        })
    }

    /// The digests recorded as sent: (group, period start), oldest first.
    pub fn digests_sent(&self) -> Result<Vec<(String, i64)>, StoreError> {
        self.with(|db| {
            let rows = db.query(
                "SELECT review_group, period_start FROM digests_sent \
                 ORDER BY period_start, review_group",
                &[],
            )?;
            rows.into_iter()
                .map(|row| Ok((text(&row, 0)?, int(&row, 1)?)))
                .collect()
        })
    }

    /// The schema version the database is at.
    pub fn schema_version(&self) -> Result<i64, StoreError> {
        self.with(|db| {
            let rows = db.query(
                "SELECT COALESCE(MAX(version), 0) FROM schema_migrations",
                &[],
            )?;
            count(&rows)
        })
    }
}

/// The parameters `$1` to `$3` of a query over answers at `from` or later and before `until`
/// (unix seconds), of `kind` or, with `None`, of every kind: `created_at >= $1 AND
/// created_at < $2 AND ($3 = '' OR kind = $3)`.
fn period_and_kind(from: i64, until: i64, kind: Option<&str>) -> Vec<Value> {
    vec![
        Value::Int(from),
        Value::Int(until),
        Value::Text(kind.unwrap_or("").to_string()),
    ]
}

fn int(row: &[Value], column: usize) -> Result<i64, StoreError> {
    match row.get(column) {
        Some(Value::Int(n)) => Ok(*n),
        _ => Err(StoreError::Shape { column }),
    }
}

fn text(row: &[Value], column: usize) -> Result<String, StoreError> {
    match row.get(column) {
        Some(Value::Text(t)) => Ok(t.clone()),
        _ => Err(StoreError::Shape { column }),
    }
}

/// The single number a `COUNT(*)`-like query returns.
fn count(rows: &[Vec<Value>]) -> Result<i64, StoreError> {
    rows.first()
        .ok_or(StoreError::Shape { column: 0 })
        .and_then(|row| int(row, 0))
}

/// A random id for a new answer: 16 bytes from the system's random source, in hex.
pub fn new_answer_id() -> Result<String, getrandom::Error> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes)?;
    Ok(hex::encode(bytes))
}
