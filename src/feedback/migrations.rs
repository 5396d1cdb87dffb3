//! The feedback database's schema, as numbered migrations. At startup each one the database
//! has not had is applied, in order, each in its own transaction with its row in
//! `schema_migrations`, so a crash mid-way leaves the database at the last whole version.
//! A migration, once released, is never edited: a change is a new migration at the end.

use super::StoreError;
use super::backend::{Backend, Value};

/// Version and SQL of each migration, in order. Portable SQL only: BIGINT, TEXT, unix seconds.
pub(crate) const MIGRATIONS: &[(i64, &str)] = &[
    (
        1,
        "CREATE TABLE feedback_answers (
            id TEXT PRIMARY KEY,
            page TEXT NOT NULL,
            kind TEXT NOT NULL,
            helpful BIGINT NOT NULL,
            comment TEXT,
            created_at BIGINT NOT NULL
        );
        CREATE INDEX feedback_answers_by_time ON feedback_answers (created_at);
        CREATE INDEX feedback_answers_by_page ON feedback_answers (page, created_at);",
    ),
    (
        2,
        "CREATE TABLE digests_sent (
            review_group TEXT NOT NULL,
            period_start BIGINT NOT NULL,
            sent_at BIGINT NOT NULL,
            PRIMARY KEY (review_group, period_start)
        );",
    ),
];

/// Applies every migration the database lacks. A database from a newer program is refused.
pub(crate) fn migrate(db: &mut dyn Backend) -> Result<(), StoreError> {
    db.batch(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
            version BIGINT PRIMARY KEY,
            applied_at BIGINT NOT NULL
        )",
    )?;
    let known = MIGRATIONS.last().map_or(0, |(v, _)| *v);
    for (version, sql) in MIGRATIONS {
        db.begin_migration()?;
        let outcome = apply(db, *version, sql, known);
        match outcome {
            Ok(()) => db.batch("COMMIT")?,
            Err(e) => {
                let _ = db.batch("ROLLBACK");
                return Err(e);
            }
        }
    }
    Ok(())
}

fn apply(db: &mut dyn Backend, version: i64, sql: &str, known: i64) -> Result<(), StoreError> {
    let rows = db.query(
        "SELECT COALESCE(MAX(version), 0) FROM schema_migrations",
        &[],
    )?;
    let current = match rows.first().and_then(|r| r.first()) {
        Some(Value::Int(n)) => *n,
        _ => 0,
    };
    if current > known {
        return Err(StoreError::TooNew {
            found: current,
            known,
        });
    }
    if current >= version {
        return Ok(());
    }
    db.batch(sql)?;
    db.execute(
        "INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)",
        &[
            Value::Int(version),
            Value::Int(jiff::Timestamp::now().as_second()),
        ],
    )?;
    tracing::info!(version, "feedback database migrated");
    Ok(())
}
