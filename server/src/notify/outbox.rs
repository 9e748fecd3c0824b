//! The durable outbox: notifications are written here (SQLite, WAL, full fsync; or the shared
//! PostgreSQL database when instances share one) before the view that raised them returns, and
//! stay until delivered; each due one is claimed by one instance at a time. One notification
//! per child, viewing user, recipient and day: looking again the same day does not notify
//! again.

use crate::shared_store::SharedStore;
use crate::sql_row::from_row;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{PgPool, SqlitePool};
use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the notification outbox failed: {0}")]
pub struct OutboxError(pub String);

fn error(e: sqlx::Error) -> OutboxError {
    OutboxError(e.to_string())
}

/// A notification waiting for (or past) delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notification {
    pub id: i64,
    pub created_ms: i64,
    /// The source (by id) it is POSTed to.
    pub source_id: String,
    pub recipient: String,
    /// The FHIR resource to deliver, as JSON.
    pub body: String,
    pub attempts: u32,
    pub next_attempt_ms: i64,
    pub last_error: Option<String>,
    pub delivered_ms: Option<i64>,
}

/// A notification as both databases return it.
struct Row {
    id: i64,
    created_ms: i64,
    source_id: String,
    recipient: String,
    body: String,
    attempts: i64,
    next_attempt_ms: i64,
    last_error: Option<String>,
    delivered_ms: Option<i64>,
}

from_row!(Row {
    id,
    created_ms,
    source_id,
    recipient,
    body,
    attempts,
    next_attempt_ms,
    last_error,
    delivered_ms
});

impl From<Row> for Notification {
    fn from(row: Row) -> Self {
        Self {
            id: row.id,
            created_ms: row.created_ms,
            source_id: row.source_id,
            recipient: row.recipient,
            body: row.body,
            attempts: u32::try_from(row.attempts).unwrap_or(u32::MAX),
            next_attempt_ms: row.next_attempt_ms,
            last_error: row.last_error,
            delivered_ms: row.delivered_ms,
        }
    }
}

const SQLITE_SCHEMA: &str = "CREATE TABLE IF NOT EXISTS notifications (
    id INTEGER PRIMARY KEY,
    dedupe_key TEXT NOT NULL UNIQUE,
    created_ms INTEGER NOT NULL,
    source_id TEXT NOT NULL,
    recipient TEXT NOT NULL,
    body TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_ms INTEGER NOT NULL,
    last_error TEXT,
    delivered_ms INTEGER
);
CREATE INDEX IF NOT EXISTS notifications_due ON notifications (next_attempt_ms)
    WHERE delivered_ms IS NULL;";

/// The same table in PostgreSQL, made under an advisory lock so instances starting together
/// agree.
const POSTGRES_SCHEMA: &str = "BEGIN; SELECT pg_advisory_xact_lock(7161); \
CREATE TABLE IF NOT EXISTS notifications (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    dedupe_key TEXT NOT NULL UNIQUE,
    created_ms BIGINT NOT NULL,
    source_id TEXT NOT NULL,
    recipient TEXT NOT NULL,
    body TEXT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    next_attempt_ms BIGINT NOT NULL,
    last_error TEXT,
    delivered_ms BIGINT
);
CREATE INDEX IF NOT EXISTS notifications_due ON notifications (next_attempt_ms)
    WHERE delivered_ms IS NULL;
COMMIT;";

const COLUMNS: &str =
    "id, created_ms, source_id, recipient, body, attempts, next_attempt_ms, last_error, delivered_ms";

/// Where the outbox lives: a SQLite file for one instance, or the shared PostgreSQL database
/// so that every instance's notifications are delivered, each by one instance.
pub struct Outbox {
    pool: Pool,
}

enum Pool {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// Runs one statement on whichever database holds the outbox. Statements use `$1`, `$2`...
/// in order of first appearance, which both databases read alike.
macro_rules! on_pool {
    ($pool:expr, |$p:ident| $body:expr) => {
        match $pool {
            Pool::Sqlite($p) => $body,
            Pool::Postgres($p) => $body,
        }
    };
}

impl Outbox {
    /// The outbox for `shared`: in its PostgreSQL database when there is one, else the SQLite
    /// file at `path`.
    pub async fn open_in(shared: &SharedStore, path: &Path) -> Result<Self, OutboxError> {
        match shared {
            SharedStore::Alone => Self::open(path).await,
            SharedStore::Postgres(pool) => {
                sqlx::raw_sql(POSTGRES_SCHEMA)
                    .execute(pool)
                    .await
                    .map_err(error)?;
                Ok(Self {
                    pool: Pool::Postgres(pool.clone()),
                })
            }
        }
    }

    /// The outbox in the SQLite file at `path` (WAL, full fsync), made if missing.
    pub async fn open(path: &Path) -> Result<Self, OutboxError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| OutboxError(e.to_string()))?;
        }
        let options = SqliteConnectOptions::from_str(&format!("sqlite://{}", path.display()))
            .map_err(error)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .busy_timeout(Duration::from_secs(5));
        let pool = SqlitePoolOptions::new()
            .max_connections(2)
            .connect_with(options)
            .await
            .map_err(error)?;
        sqlx::raw_sql(SQLITE_SCHEMA)
            .execute(&pool)
            .await
            .map_err(error)?;
        Ok(Self {
            pool: Pool::Sqlite(pool),
        })
    }

    /// Stores a notification unless one with `dedupe_key` exists; true when it is new.
    pub async fn enqueue(
        &self,
        dedupe_key: &str,
        source_id: &str,
        recipient: &str,
        body: &str,
        now_ms: i64,
    ) -> Result<bool, OutboxError> {
        let sql = "INSERT INTO notifications \
             (dedupe_key, created_ms, source_id, recipient, body, next_attempt_ms) \
             VALUES ($1, $2, $3, $4, $5, $2) ON CONFLICT (dedupe_key) DO NOTHING";
        let done = on_pool!(&self.pool, |p| sqlx::query(sql)
            .bind(dedupe_key)
            .bind(now_ms)
            .bind(source_id)
            .bind(recipient)
            .bind(body)
            .execute(p)
            .await
            .map_err(error)?
            .rows_affected());
        Ok(done == 1)
    }

    /// Takes the undelivered notification that has waited longest for its due attempt, if any
    /// is due at `now_ms`, and holds it for `lease`: no other instance takes it meanwhile
    /// (PostgreSQL: `FOR UPDATE SKIP LOCKED`, so instances never wait for each other). The
    /// holder marks it [`Outbox::delivered`] or [`Outbox::failed`]; an instance that stops
    /// before either leaves it to be taken again once the lease ends.
    pub async fn claim(
        &self,
        now_ms: i64,
        lease: Duration,
    ) -> Result<Option<Notification>, OutboxError> {
        let lock = match self.pool {
            Pool::Sqlite(_) => "",
            Pool::Postgres(_) => "FOR UPDATE SKIP LOCKED",
        };
        let sql = format!(
            "UPDATE notifications SET next_attempt_ms = $1 + $2 WHERE id = \
             (SELECT id FROM notifications WHERE delivered_ms IS NULL AND next_attempt_ms <= $1 \
              ORDER BY next_attempt_ms, id LIMIT 1 {lock}) \
             RETURNING {COLUMNS}"
        );
        let lease_ms = i64::try_from(lease.as_millis()).unwrap_or(i64::MAX / 2);
        let row: Option<Row> = on_pool!(&self.pool, |p| sqlx::query_as(&sql)
            .bind(now_ms)
            .bind(lease_ms)
            .fetch_optional(p)
            .await
            .map_err(error)?);
        Ok(row.map(Notification::from))
    }

    /// How many notifications wait for delivery, due or not (held by an instance included).
    pub async fn backlog(&self) -> Result<usize, OutboxError> {
        let sql = "SELECT count(*) FROM notifications WHERE delivered_ms IS NULL";
        let count: i64 = on_pool!(&self.pool, |p| sqlx::query_scalar(sql)
            .fetch_one(p)
            .await
            .map_err(error)?);
        Ok(usize::try_from(count).unwrap_or(0))
    }

    pub async fn delivered(&self, id: i64, now_ms: i64) -> Result<(), OutboxError> {
        let sql = "UPDATE notifications SET delivered_ms = $1, attempts = attempts + 1, \
                   last_error = NULL WHERE id = $2";
        on_pool!(&self.pool, |p| sqlx::query(sql)
            .bind(now_ms)
            .bind(id)
            .execute(p)
            .await
            .map_err(error)?
            .rows_affected());
        Ok(())
    }

    pub async fn failed(
        &self,
        id: i64,
        why: &str,
        next_attempt_ms: i64,
    ) -> Result<(), OutboxError> {
        let sql = "UPDATE notifications SET attempts = attempts + 1, last_error = $1, \
                   next_attempt_ms = $2 WHERE id = $3";
        on_pool!(&self.pool, |p| sqlx::query(sql)
            .bind(why)
            .bind(next_attempt_ms)
            .bind(id)
            .execute(p)
            .await
            .map_err(error)?
            .rows_affected());
        Ok(())
    }

    /// The newest notifications, delivered or not, for the operations page.
    pub async fn recent(&self, limit: u32) -> Result<Vec<Notification>, OutboxError> {
        let sql = format!("SELECT {COLUMNS} FROM notifications ORDER BY id DESC LIMIT $1");
        let rows: Vec<Row> = on_pool!(&self.pool, |p| sqlx::query_as(&sql)
            .bind(i64::from(limit))
            .fetch_all(p)
            .await
            .map_err(error)?);
        Ok(rows.into_iter().map(Notification::from).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn notifications_are_kept_until_delivered_and_deduplicated() {
        let path = std::env::temp_dir().join(format!("scrv-outbox-{}.sqlite", std::process::id()));
        let _ = std::fs::remove_file(&path);
        let outbox = Outbox::open(&path).await.unwrap();
        assert!(outbox
            .enqueue("k1", "social-care", "Y1", "{}", 1_000)
            .await
            .unwrap());
        assert!(
            !outbox
                .enqueue("k1", "social-care", "Y1", "{}", 1_001)
                .await
                .unwrap(),
            "same key, once"
        );
        assert!(outbox
            .enqueue("k2", "social-care", "Y1", "{}", 1_002)
            .await
            .unwrap());
        let lease = Duration::from_secs(60);
        assert_eq!(
            outbox.claim(999, lease).await.unwrap(),
            None,
            "nothing due yet"
        );
        let due = [
            outbox.claim(2_000, lease).await.unwrap().unwrap(),
            outbox.claim(2_000, lease).await.unwrap().unwrap(),
        ];
        assert_eq!(
            outbox.claim(2_000, lease).await.unwrap(),
            None,
            "two were due"
        );
        outbox.failed(due[0].id, "HTTP 503", 5_000).await.unwrap();
        outbox.delivered(due[1].id, 2_000).await.unwrap();
        assert_eq!(
            outbox.claim(4_999, lease).await.unwrap(),
            None,
            "retry waits for its time"
        );
        let retry = outbox.claim(5_000, lease).await.unwrap().unwrap();
        assert_eq!(
            outbox.claim(5_000, lease).await.unwrap(),
            None,
            "one to retry"
        );
        assert_eq!(retry.attempts, 1);
        assert_eq!(retry.last_error.as_deref(), Some("HTTP 503"));
        // Reopening keeps everything (durable).
        drop(outbox);
        let again = Outbox::open(&path).await.unwrap();
        let recent = again.recent(10).await.unwrap();
        assert_eq!(recent.len(), 2);
        assert!(recent.iter().any(|n| n.delivered_ms == Some(2_000)));
    }
}
