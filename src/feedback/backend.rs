//! The two databases behind one small interface: run a statement, run a query, and the few
//! statements that differ (the connection settings, and how a migration locks out others).
//!
//! Values are only integers (BIGINT, unix seconds included) and text, so the same SQL and the
//! same rows come out of both. Placeholders are `$1`, `$2`… numbered in the order they first
//! appear: PostgreSQL's own syntax, and to SQLite named parameters numbered the same way.

use std::path::{Path, PathBuf};

use super::StoreError;

/// A value bound to a statement or read from a row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Value {
    Int(i64),
    Text(String),
    Null,
}

/// What the store needs of a database connection.
pub(crate) trait Backend: Send {
    /// Runs a statement; returns how many rows it changed.
    fn execute(&mut self, sql: &str, params: &[Value]) -> Result<u64, StoreError>;
    /// Runs a query; returns its rows.
    fn query(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Vec<Value>>, StoreError>;
    /// Runs several statements with no parameters (a migration).
    fn batch(&mut self, sql: &str) -> Result<(), StoreError>;
    /// Begins the transaction a migration runs in, locking out other migrating processes.
    fn begin_migration(&mut self) -> Result<(), StoreError>;
}

/// SQLite, in a file, in WAL mode with `synchronous = FULL` (see the module above for why).
pub(crate) struct Sqlite {
    connection: rusqlite::Connection,
    path: PathBuf,
}

impl Sqlite {
    pub(crate) fn open(path: &Path) -> Result<Self, StoreError> {
        if let Some(folder) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(folder).map_err(|source| StoreError::Folder {
                path: folder.to_path_buf(),
                source,
            })?;
        }
        let error = |source| StoreError::Sqlite {
            path: path.to_path_buf(),
            source,
        };
        let connection = rusqlite::Connection::open(path).map_err(error)?;
        // Another process (the `feedback` commands, a second server on one file) may hold the
        // write lock for a moment: wait for it rather than fail at once.
        connection
            .busy_timeout(std::time::Duration::from_secs(5))
            .map_err(error)?;
        let mode: String = connection
            .query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0))
            .map_err(error)?;
        if !mode.eq_ignore_ascii_case("wal") {
            tracing::warn!(
                "SQLite {} is in journal mode {mode}, not WAL",
                path.display()
            );
        }
        connection
            .execute_batch("PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;")
            .map_err(error)?;
        Ok(Self {
            connection,
            path: path.to_path_buf(),
        })
    }

    fn error(&self, source: rusqlite::Error) -> StoreError {
        StoreError::Sqlite {
            path: self.path.clone(),
            source,
        }
    }
}

impl rusqlite::ToSql for Value {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        use rusqlite::types::{ToSqlOutput, ValueRef};
        Ok(match self {
            Value::Int(n) => ToSqlOutput::Borrowed(ValueRef::Integer(*n)),
            Value::Text(t) => ToSqlOutput::Borrowed(ValueRef::Text(t.as_bytes())),
            Value::Null => ToSqlOutput::Borrowed(ValueRef::Null),
        })
    }
}

impl Backend for Sqlite {
    fn execute(&mut self, sql: &str, params: &[Value]) -> Result<u64, StoreError> {
        let mut statement = self
            .connection
            .prepare_cached(sql)
            .map_err(|e| self.error(e))?;
        let changed = statement
            .execute(rusqlite::params_from_iter(params))
            .map_err(|e| StoreError::Sqlite {
                path: self.path.clone(),
                source: e,
            })?;
        Ok(changed as u64)
    }

    fn query(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Vec<Value>>, StoreError> {
        let path = self.path.clone();
        let error = |source| StoreError::Sqlite {
            path: path.clone(),
            source,
        };
        let mut statement = self.connection.prepare_cached(sql).map_err(error)?;
        let columns = statement.column_count();
        let rows = statement
            .query_map(rusqlite::params_from_iter(params), |row| {
                (0..columns)
                    .map(|i| {
                        Ok(match row.get_ref(i)? {
                            rusqlite::types::ValueRef::Integer(n) => Value::Int(n),
                            rusqlite::types::ValueRef::Text(t) => {
                                Value::Text(String::from_utf8_lossy(t).into_owned())
                            }
                            rusqlite::types::ValueRef::Null => Value::Null,
                            // The schema has no REAL or BLOB columns.
                            _ => Value::Null,
                        })
                    })
                    .collect::<rusqlite::Result<Vec<Value>>>()
            })
            .map_err(error)?;
        rows.collect::<rusqlite::Result<Vec<_>>>().map_err(error)
    }

    fn batch(&mut self, sql: &str) -> Result<(), StoreError> {
        self.connection
            .execute_batch(sql)
            .map_err(|e| self.error(e))
    }

    fn begin_migration(&mut self) -> Result<(), StoreError> {
        // IMMEDIATE takes the write lock now, so two processes cannot both apply a migration.
        self.batch("BEGIN IMMEDIATE")
    }
}

/// PostgreSQL through the synchronous `postgres` client (its own small runtime inside), which
/// suits calls made from `spawn_blocking`. A dropped connection is made again at the next call.
pub(crate) struct Postgres {
    config: postgres::Config,
    client: Option<postgres::Client>,
}

impl Postgres {
    pub(crate) fn connect(url: &str) -> Result<Self, StoreError> {
        let config: postgres::Config = url.parse().map_err(StoreError::Postgres)?;
        let mut backend = Self {
            config,
            client: None,
        };
        backend.client()?;
        Ok(backend)
    }

    fn client(&mut self) -> Result<&mut postgres::Client, StoreError> {
        if self.client.as_ref().is_none_or(postgres::Client::is_closed) {
            let mut config = self.config.clone();
            config.connect_timeout(std::time::Duration::from_secs(5));
            self.client = Some(
                config
                    .connect(postgres::NoTls)
                    .map_err(StoreError::Postgres)?,
            );
        }
        self.client.as_mut().ok_or(StoreError::Shape { column: 0 })
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        // Closing the client blocks on its own runtime, which must not happen on a thread that
        // drives async tasks (a store dropped inside the server's runtime): close it elsewhere.
        if let Some(client) = self.client.take() {
            if tokio::runtime::Handle::try_current().is_ok() {
                std::thread::spawn(move || drop(client));
            }
        }
    }
}

/// The parameters as the `postgres` client takes them.
fn pg_params(params: &[Value]) -> Vec<Box<dyn postgres::types::ToSql + Sync>> {
    params
        .iter()
        .map(|v| -> Box<dyn postgres::types::ToSql + Sync> {
            match v {
                Value::Int(n) => Box::new(*n),
                Value::Text(t) => Box::new(t.clone()),
                Value::Null => Box::new(Option::<String>::None),
            }
        })
        .collect()
}

impl Backend for Postgres {
    fn execute(&mut self, sql: &str, params: &[Value]) -> Result<u64, StoreError> {
        let owned = pg_params(params);
        let refs: Vec<&(dyn postgres::types::ToSql + Sync)> =
            owned.iter().map(|b| b.as_ref()).collect();
        self.client()?
            .execute(sql, &refs)
            .map_err(StoreError::Postgres)
    }

    fn query(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Vec<Value>>, StoreError> {
        use postgres::types::Type;
        let owned = pg_params(params);
        let refs: Vec<&(dyn postgres::types::ToSql + Sync)> =
            owned.iter().map(|b| b.as_ref()).collect();
        let rows = self
            .client()?
            .query(sql, &refs)
            .map_err(StoreError::Postgres)?;
        rows.iter()
            .map(|row| {
                (0..row.len())
                    .map(|i| {
                        let ty = row.columns()[i].type_();
                        let value = if *ty == Type::INT8 {
                            row.try_get::<_, Option<i64>>(i).map(|v| v.map(Value::Int))
                        } else if *ty == Type::INT4 {
                            row.try_get::<_, Option<i32>>(i)
                                .map(|v| v.map(|n| Value::Int(i64::from(n))))
                        } else if *ty == Type::TEXT || *ty == Type::VARCHAR {
                            row.try_get::<_, Option<String>>(i)
                                .map(|v| v.map(Value::Text))
                        } else {
                            return Err(StoreError::Shape { column: i });
                        };
                        value
                            .map(|v| v.unwrap_or(Value::Null))
                            .map_err(StoreError::Postgres)
                    })
                    .collect()
            })
            .collect()
    }

    fn batch(&mut self, sql: &str) -> Result<(), StoreError> {
        self.client()?
            .batch_execute(sql)
            .map_err(StoreError::Postgres)
    }

    fn begin_migration(&mut self) -> Result<(), StoreError> {
        // The lock is held to the end of the transaction: instances starting together take
        // turns, and the second finds the migrations applied.
        self.batch("BEGIN; LOCK TABLE schema_migrations IN EXCLUSIVE MODE")
    }
}
