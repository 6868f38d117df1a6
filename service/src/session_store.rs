//! The tower-sessions store over the `AnyPool` (table `sessions`), so one
//! database serves sessions on SQLite and PostgreSQL alike and several app
//! servers can share them.

use async_trait::async_trait;
use time::OffsetDateTime;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{self, SessionStore};

use crate::db::Db;
use crate::error::ServiceError;

/// Sessions as JSON rows: `id`, `data` (the serialised record), `expires_at`
/// (epoch milliseconds).
#[derive(Clone, Debug)]
pub struct AnySessionStore {
    db: Db,
    /// Sliding expiry, enforced by the store: a record never lives more
    /// than this past its last write, and a session read with less than
    /// nine tenths of it left is given all of it again. tower-sessions
    /// writes a record only when its data changed, so with its own
    /// inactivity expiry a busy member of staff was signed out this long
    /// after signing in.
    idle_ms: Option<i64>,
}

fn backend(e: sqlx::Error) -> session_store::Error {
    session_store::Error::Backend(e.to_string())
}

fn expiry_millis(record: &Record) -> i64 {
    i64::try_from(record.expiry_date.unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX)
}

fn now_millis() -> i64 {
    i64::try_from(OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000).unwrap_or(0)
}

impl AnySessionStore {
    pub fn new(db: Db) -> Self {
        AnySessionStore { db, idle_ms: None }
    }

    /// When a record written now expires: its own expiry, or `idle` from
    /// now when that comes first.
    fn expires_at(&self, record: &Record) -> i64 {
        let own = expiry_millis(record);
        match self.idle_ms {
            Some(idle) => own.min(now_millis().saturating_add(idle)),
            None => own,
        }
    }

    /// The store of sessions that end after `idle` without a request,
    /// enforced here whatever the cookie says.
    pub fn sliding(db: Db, idle: std::time::Duration) -> Self {
        AnySessionStore {
            db,
            idle_ms: Some(i64::try_from(idle.as_millis()).unwrap_or(i64::MAX)),
        }
    }

    /// Removes the expired sessions; returns how many.
    pub async fn delete_expired(&self) -> Result<u64, ServiceError> {
        let r = sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
            .bind(now_millis())
            .execute(&self.db.pool)
            .await?;
        Ok(r.rows_affected())
    }
}

/// Ends every session of a member of staff, in the caller's transaction
/// (after a password reset or change). A session's record holds the user's
/// id as a quoted JSON string; ids are UUIDs, so the quoted id appears in no
/// other user's session.
pub(crate) async fn end_sessions_of_staff(
    conn: &mut sqlx::AnyConnection,
    staff_id: &str,
) -> Result<u64, ServiceError> {
    if staff_id.is_empty() || staff_id.contains(['%', '_', '"', '\\']) {
        return Err(ServiceError::Internal(format!("staff id {staff_id}")));
    }
    let r = sqlx::query("DELETE FROM sessions WHERE data LIKE $1")
        .bind(format!("%\"{staff_id}\"%"))
        .execute(conn)
        .await?;
    Ok(r.rows_affected())
}

#[async_trait]
impl SessionStore for AnySessionStore {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        loop {
            let data = serde_json::to_string(&record)
                .map_err(|e| session_store::Error::Encode(e.to_string()))?;
            let r = sqlx::query(
                "INSERT INTO sessions (id, data, expires_at) VALUES ($1, $2, $3) \
                 ON CONFLICT (id) DO NOTHING",
            )
            .bind(record.id.to_string())
            .bind(data)
            .bind(self.expires_at(record))
            .execute(&self.db.pool)
            .await
            .map_err(backend)?;
            if r.rows_affected() == 1 {
                return Ok(());
            }
            // Another session already has this id: draw a new one.
            record.id = Id::default();
        }
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        let data = serde_json::to_string(record)
            .map_err(|e| session_store::Error::Encode(e.to_string()))?;
        sqlx::query(
            "INSERT INTO sessions (id, data, expires_at) VALUES ($1, $2, $3) \
             ON CONFLICT (id) DO UPDATE SET data = excluded.data, expires_at = excluded.expires_at",
        )
        .bind(record.id.to_string())
        .bind(data)
        .bind(self.expires_at(record))
        .execute(&self.db.pool)
        .await
        .map_err(backend)?;
        Ok(())
    }

    async fn load(&self, session_id: &Id) -> session_store::Result<Option<Record>> {
        if let Some(idle) = self.idle_ms {
            // A live session in use lives `idle` from now (written at most
            // once per tenth of the period).
            let now = now_millis();
            sqlx::query(
                "UPDATE sessions SET expires_at = $1 \
                 WHERE id = $2 AND expires_at > $3 AND expires_at < $4",
            )
            .bind(now.saturating_add(idle))
            .bind(session_id.to_string())
            .bind(now)
            .bind(now.saturating_add(idle - idle / 10))
            .execute(&self.db.pool)
            .await
            .map_err(backend)?;
        }
        let row: Option<(String,)> =
            sqlx::query_as("SELECT data FROM sessions WHERE id = $1 AND expires_at > $2")
                .bind(session_id.to_string())
                .bind(now_millis())
                .fetch_optional(&self.db.pool)
                .await
                .map_err(backend)?;
        row.map(|(data,)| {
            serde_json::from_str(&data).map_err(|e| session_store::Error::Decode(e.to_string()))
        })
        .transpose()
    }

    async fn delete(&self, session_id: &Id) -> session_store::Result<()> {
        sqlx::query("DELETE FROM sessions WHERE id = $1")
            .bind(session_id.to_string())
            .execute(&self.db.pool)
            .await
            .map_err(backend)?;
        Ok(())
    }
}
