//! "Was this page helpful?": the store, the forms, the report, retention and the review digest,
//! each against SQLite and against a real PostgreSQL (a schema of its own per test, in the
//! cluster scripts/test starts), a kill -9 under load, a full and a read-only disk, and the
//! digest through a real SMTP server across a restart.

mod cli;
mod crash;
mod digest;
mod disk;
mod form;
mod store;

use std::path::{Path, PathBuf};

use irinfo::config::SiteConfig;
use irinfo::feedback::FeedbackStore;

/// The environment variable scripts/test sets to the test cluster's connection string.
pub const DATABASE_URL_VAR: &str = "IRINFO_TEST_DATABASE_URL";

/// A database for one test: a SQLite file in a folder of its own, or a PostgreSQL schema of
/// its own (dropped at the end), so tests run in parallel.
pub enum Db {
    Sqlite(tempfile::TempDir),
    Postgres { base: String, schema: String },
}

impl Db {
    pub fn sqlite() -> Self {
        Self::Sqlite(tempfile::tempdir().unwrap())
    }

    /// A fresh schema in the test cluster; without the cluster the run ends with one line.
    pub fn postgres() -> Self {
        let Ok(base) = std::env::var(DATABASE_URL_VAR) else {
            crate::support::end_run(&format!(
                "{DATABASE_URL_VAR} is not set, so there is no PostgreSQL to test the feedback store against: run scripts/test, which installs postgresql and starts a throwaway cluster (scripts/test-postgres)"
            ));
        };
        let mut bytes = [0u8; 8];
        getrandom::fill(&mut bytes).unwrap();
        let schema = format!("t_{}", hex::encode(bytes));
        let mut client = postgres::Client::connect(&base, postgres::NoTls)
            .unwrap_or_else(|e| panic!("cannot connect to {base}: {e}"));
        client
            .batch_execute(&format!("CREATE SCHEMA {schema}"))
            .unwrap();
        Self::Postgres { base, schema }
    }

    /// The folder a SQLite database lives in (a tempdir), for tests that need files beside it.
    pub fn path(&self) -> PathBuf {
        match self {
            Self::Sqlite(dir) => dir.path().join("feedback.sqlite3"),
            Self::Postgres { .. } => PathBuf::from("unused.sqlite3"),
        }
    }

    /// The connection string for the store, or empty for SQLite.
    pub fn url(&self) -> String {
        match self {
            Self::Sqlite(_) => String::new(),
            // The schema is chosen with the server option `search_path`, in whichever form
            // the variable is written: a URL or `key=value` pairs.
            Self::Postgres { base, schema } if base.starts_with("postgres") => {
                let join = if base.contains('?') { '&' } else { '?' };
                format!("{base}{join}options=-csearch_path%3D{schema}")
            }
            Self::Postgres { base, schema } => {
                format!("{base} options='-c search_path={schema}'")
            }
        }
    }

    /// Points the settings at this database.
    pub fn configure(&self, config: &mut SiteConfig) {
        config.feedback.database = self.path();
        config.feedback.database_url = self.url();
    }

    pub fn open(&self) -> FeedbackStore {
        let mut config = SiteConfig::default();
        self.configure(&mut config);
        FeedbackStore::open(&config.feedback).expect("the store opens")
    }

    /// The settings lines (TOML) for a server process using this database.
    pub fn toml(&self) -> String {
        format!(
            "[feedback]\ndatabase = {:?}\ndatabase_url = {:?}\n",
            self.path().display().to_string(),
            self.url()
        )
    }
}

impl Drop for Db {
    fn drop(&mut self) {
        if let Self::Postgres { base, schema } = self {
            if let Ok(mut client) = postgres::Client::connect(base, postgres::NoTls) {
                let _ = client.batch_execute(&format!("DROP SCHEMA {schema} CASCADE"));
            }
        }
    }
}

/// Runs each named test (a function taking `&Db`) once against SQLite and once against
/// PostgreSQL: `sqlite::name` and `postgres::name`.
#[macro_export]
macro_rules! both_databases {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(#[test] fn $name() { super::$name(&$crate::feedback::Db::sqlite()) })*
        }
        mod postgres {
            $(#[test] fn $name() { super::$name(&$crate::feedback::Db::postgres()) })*
        }
    };
}

/// The same for async tests.
#[macro_export]
macro_rules! both_databases_async {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
              async fn $name() { super::$name(&$crate::feedback::Db::sqlite()).await })*
        }
        mod postgres {
            // The test's own connections are blocking ones: made and closed off the runtime.
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
              async fn $name() {
                  let db = tokio::task::block_in_place($crate::feedback::Db::postgres);
                  super::$name(&db).await;
                  tokio::task::block_in_place(move || drop(db));
              })*
        }
    };
}

/// A copy of the minimal fixture in `dir/content`, with one page overdue for review, one due
/// within 30 days of `today` and one in a second review group; returns its path.
pub fn fixture_with_reviews(dir: &Path, today: jiff::civil::Date) -> PathBuf {
    let content = dir.join("content");
    crate::support::copy_dir(
        &crate::support::repo().join("tests/fixtures/minimal"),
        &content,
    );
    let set = |file: &str, from: &str, to: &str| crate::support::edit(&content, file, from, to);
    let overdue = today - jiff::Span::new().days(20);
    let soon = today + jiff::Span::new().days(10);
    set(
        "procedures/balloon.md",
        "next_review = 2028-01-10",
        &format!("next_review = {overdue}"),
    );
    set(
        "conditions/narrow-pipe.md",
        "next_review = 2028-01-10",
        &format!("next_review = {soon}"),
    );
    set(
        "procedures/coil.md",
        "review_group = \"Test group\"",
        "review_group = \"Second group\"",
    );
    content
}

/// Every answer in the store, yes and no: (yes, no).
pub fn stored_answers(store: &FeedbackStore) -> (u64, u64) {
    let counts = store.counts(0, i64::MAX, None).unwrap();
    (
        counts.iter().map(|c| c.yes).sum(),
        counts.iter().map(|c| c.no).sum(),
    )
}
