//! The database handle, ids and the clock.
//!
//! One code path for SQLite (the embedded default) and PostgreSQL
//! (production) through sqlx's `AnyPool`. SQLite's PRAGMAs cannot be given in
//! an `Any` URL, so they are set on every new connection.

use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use sqlx::any::{install_default_drivers, AnyPoolOptions};
use sqlx::{Any, AnyPool, Executor, Row, Transaction};

use crate::error::ServiceError;

/// Which database is behind the pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A pool over SQLite or PostgreSQL.
#[derive(Clone, Debug)]
pub struct Db {
    pub pool: AnyPool,
    pub backend: Backend,
    /// SQLite only: the one connection the busy write paths use, see
    /// [`Db::begin_write`].
    writer: Option<AnyPool>,
}

const SQLITE_PRAGMAS: [&str; 3] = [
    "PRAGMA journal_mode = WAL",
    "PRAGMA foreign_keys = ON",
    "PRAGMA busy_timeout = 5000",
];

/// How durable a SQLite commit is, per pool. The shared pool, which the
/// money paths use (repayments, the end-of-day batch, booking a loan, a
/// drawdown), commits with `synchronous = FULL`: on disk before it returns.
/// In WAL mode NORMAL could lose the last commits on a power cut, and a
/// repayment the customer was told is posted would vanish. The one writer
/// of the submission burst (`Db::begin_write`: submissions, decisions,
/// routing) keeps NORMAL: a power cut can lose its last moments, never
/// money, and its commits reach the disk with the next FULL one.
const SHARED_POOL_SYNC: &str = "PRAGMA synchronous = FULL";
const WRITER_SYNC: &str = "PRAGMA synchronous = NORMAL";

impl Db {
    /// Opens `sqlite://data/puhui.db?mode=rwc` or `postgres://…`, creating the
    /// SQLite file's folder when missing.
    pub async fn connect(url: &str) -> Result<Db, ServiceError> {
        Db::connect_with(url, 10).await
    }

    /// A write transaction on a busy path (submission, bureau inquiry,
    /// decision, routing). On SQLite it runs on the one writer connection:
    /// SQLite has one writer at a time anyway, and queueing for that
    /// connection, in order, replaces SQLite's busy handler (which sleeps in
    /// steps of up to 100 ms while others write: a burst of submissions
    /// spent most of its time there), and the writer never waits for a
    /// connection that readers hold. On PostgreSQL, whose writers work in
    /// parallel, any connection of the pool. Never begin a second one while
    /// holding one (it would wait for itself).
    pub async fn begin_write(&self) -> Result<Transaction<'static, Any>, ServiceError> {
        Ok(self.writer.as_ref().unwrap_or(&self.pool).begin().await?)
    }

    /// [`Db::connect`] with a chosen pool size.
    pub async fn connect_with(url: &str, max_connections: u32) -> Result<Db, ServiceError> {
        install_default_drivers();
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Backend::Postgres
        } else {
            return Err(ServiceError::Internal(
                "DATABASE_URL must start with sqlite: or postgres:".to_string(),
            ));
        };
        if backend == Backend::Sqlite {
            create_sqlite_parent(url)?;
        }
        let pool = pool_options(backend, max_connections.max(1), SHARED_POOL_SYNC)
            .connect(url)
            .await
            .map_err(|e| ServiceError::internal("connect", e))?;
        let writer = match backend {
            Backend::Sqlite => Some(
                pool_options(backend, 1, WRITER_SYNC)
                    .connect(url)
                    .await
                    .map_err(|e| ServiceError::internal("connect", e))?,
            ),
            Backend::Postgres => None,
        };
        Ok(Db {
            pool,
            backend,
            writer,
        })
    }

    /// Applies the migrations in `migrations/` that have not run yet.
    pub async fn migrate(&self) -> Result<(), ServiceError> {
        sqlx::migrate!("../migrations").run(&self.pool).await?;
        // The audit log is append-only in the database itself: a changed or
        // removed entry is refused, not only detected afterwards by the
        // chain. Trigger syntax is each database's own, so this is not a
        // migration; it is idempotent.
        let append_only: &[&str] = match self.backend {
            Backend::Sqlite => &[
                "CREATE TRIGGER IF NOT EXISTS audit_log_no_update BEFORE UPDATE ON audit_log \
                 BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END",
                "CREATE TRIGGER IF NOT EXISTS audit_log_no_delete BEFORE DELETE ON audit_log \
                 BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END",
            ],
            Backend::Postgres => &[
                "CREATE OR REPLACE FUNCTION audit_log_append_only() RETURNS trigger \
                 LANGUAGE plpgsql AS $$ BEGIN \
                   RAISE EXCEPTION 'audit_log is append-only'; \
                 END $$",
                "CREATE OR REPLACE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE \
                 ON audit_log FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()",
                "CREATE OR REPLACE TRIGGER audit_log_no_truncate BEFORE TRUNCATE \
                 ON audit_log FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only()",
            ],
        };
        for statement in append_only {
            sqlx::query(*statement).execute(&self.pool).await?;
        }
        self.widen_rule_set_stages().await?;
        if self.backend == Backend::Postgres {
            // Every open loan account is rewritten each business day. Room on
            // each page lets PostgreSQL update the row in place (a HOT update)
            // instead of moving it and adding a primary-key entry. Storage
            // parameters are PostgreSQL's own, so this is not a migration.
            sqlx::query("ALTER TABLE loan_accounts SET (fillfactor = 70)")
                .execute(&self.pool)
                .await?;
        }
        Ok(())
    }

    /// Rule sets may decide a line's renewal (stage 'renewal', migration
    /// `20261210000001`): the stage's CHECK constraint gains it. PostgreSQL
    /// replaces the constraint; SQLite, which cannot change one, rebuilds the
    /// table the way its documentation prescribes (foreign keys off on this
    /// connection, copy, drop, rename, indexes, a foreign-key check, then
    /// foreign keys on). Idempotent: done once, found done after.
    async fn widen_rule_set_stages(&self) -> Result<(), ServiceError> {
        const OLD: &str = "stage IN ('pre_screen', 'full')";
        const NEW: &str = "stage IN ('pre_screen', 'full', 'renewal')";
        match self.backend {
            Backend::Postgres => {
                let rows = sqlx::query(
                    "SELECT CAST(c.conname AS TEXT) AS conname, pg_get_constraintdef(c.oid) AS def \
                     FROM pg_constraint c \
                     WHERE c.conrelid = 'rule_sets'::regclass AND c.contype = 'c'",
                )
                .fetch_all(&self.pool)
                .await?;
                for r in rows {
                    let (name, def): (String, String) = (r.try_get("conname")?, r.try_get("def")?);
                    if def.contains("pre_screen") && !def.contains("renewal") {
                        let q = format!(
                            "ALTER TABLE rule_sets DROP CONSTRAINT \"{}\", \
                             ADD CONSTRAINT rule_sets_stage_check CHECK ({NEW})",
                            name.replace('"', "")
                        );
                        sqlx::query(sqlx::AssertSqlSafe(q))
                            .execute(&self.pool)
                            .await?;
                    }
                }
            }
            Backend::Sqlite => {
                let mut conn = self.pool.acquire().await?;
                let table: String = sqlx::query(
                    "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'rule_sets'",
                )
                .fetch_one(&mut *conn)
                .await?
                .try_get("sql")?;
                if !table.contains(OLD) {
                    return Ok(());
                }
                let indexes: Vec<String> = sqlx::query(
                    "SELECT sql FROM sqlite_master WHERE type = 'index' \
                     AND tbl_name = 'rule_sets' AND sql IS NOT NULL",
                )
                .fetch_all(&mut *conn)
                .await?
                .iter()
                .map(|r| r.try_get::<String, _>("sql"))
                .collect::<Result<_, _>>()?;
                let rebuilt = table
                    .replacen("CREATE TABLE rule_sets", "CREATE TABLE rule_sets_new", 1)
                    .replace(OLD, NEW);
                sqlx::query("PRAGMA foreign_keys = OFF")
                    .execute(&mut *conn)
                    .await?;
                let done = async {
                    let mut tx = sqlx::Connection::begin(&mut *conn).await?;
                    let mut steps = vec![
                        rebuilt,
                        "INSERT INTO rule_sets_new SELECT * FROM rule_sets".to_string(),
                        "DROP TABLE rule_sets".to_string(),
                        "ALTER TABLE rule_sets_new RENAME TO rule_sets".to_string(),
                    ];
                    steps.extend(indexes);
                    for q in steps {
                        sqlx::query(sqlx::AssertSqlSafe(q))
                            .execute(&mut *tx)
                            .await?;
                    }
                    let broken = sqlx::query("PRAGMA foreign_key_check")
                        .fetch_all(&mut *tx)
                        .await?;
                    if !broken.is_empty() {
                        return Err(ServiceError::Internal(
                            "rule_sets rebuild broke a foreign key".to_string(),
                        ));
                    }
                    tx.commit().await?;
                    Ok::<(), ServiceError>(())
                }
                .await;
                sqlx::query("PRAGMA foreign_keys = ON")
                    .execute(&mut *conn)
                    .await?;
                done?;
            }
        }
        Ok(())
    }

    /// Closes every connection of the pools.
    pub async fn close(&self) {
        if let Some(writer) = &self.writer {
            writer.close().await;
        }
        self.pool.close().await;
    }
}

fn pool_options(backend: Backend, max_connections: u32, sync: &'static str) -> AnyPoolOptions {
    AnyPoolOptions::new()
        .max_connections(max_connections)
        // A pooled connection is pinged before each use by default: on
        // SQLite that is one more hand-off to the connection's thread per
        // query, for a file that cannot go away. PostgreSQL's connections
        // can (a restart, a dropped socket), so they keep it.
        .test_before_acquire(backend == Backend::Postgres)
        .after_connect(move |conn, _meta| {
            Box::pin(async move {
                if conn.backend_name() == "SQLite" {
                    for pragma in SQLITE_PRAGMAS {
                        conn.execute(pragma).await?;
                    }
                    conn.execute(sync).await?;
                }
                Ok(())
            })
        })
}

/// The file path inside a SQLite URL, when it names a file.
fn sqlite_path(url: &str) -> Option<&str> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or("");
    if path.is_empty() || path.starts_with(":memory:") {
        None
    } else {
        Some(path)
    }
}

fn create_sqlite_parent(url: &str) -> Result<(), ServiceError> {
    if let Some(path) = sqlite_path(url) {
        if let Some(parent) = std::path::Path::new(path).parent() {
            if !parent.as_os_str().is_empty() {
                std::fs::create_dir_all(parent)
                    .map_err(|e| ServiceError::internal("create database folder", e))?;
            }
        }
    }
    Ok(())
}

/// A new UUIDv7 id, as text.
pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// Where the use cases get "now" from, so tests can move time.
pub trait Clock: Send + Sync {
    /// Epoch milliseconds.
    fn now_millis(&self) -> i64;
}

/// The operating system's clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_millis(&self) -> i64 {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
            .unwrap_or(0)
    }
}

/// A clock that stands still until told to move (tests, demos).
#[derive(Debug, Default)]
pub struct FixedClock(AtomicI64);

impl FixedClock {
    pub fn new(millis: i64) -> Self {
        FixedClock(AtomicI64::new(millis))
    }

    pub fn set(&self, millis: i64) {
        self.0.store(millis, Ordering::SeqCst);
    }

    pub fn advance_secs(&self, secs: i64) {
        self.0.fetch_add(secs * 1000, Ordering::SeqCst);
    }
}

impl Clock for FixedClock {
    fn now_millis(&self) -> i64 {
        self.0.load(Ordering::SeqCst)
    }
}

#[cfg(test)]
mod tests {
    use super::sqlite_path;

    #[test]
    fn finds_the_sqlite_file() {
        assert_eq!(
            sqlite_path("sqlite://data/puhui.db?mode=rwc"),
            Some("data/puhui.db")
        );
        assert_eq!(sqlite_path("sqlite:/tmp/x.db"), Some("/tmp/x.db"));
        assert_eq!(sqlite_path("sqlite::memory:"), None);
    }
}
