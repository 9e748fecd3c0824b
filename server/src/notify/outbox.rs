//! The durable outbox: notifications are written here (SQLite, WAL, full fsync) before the
//! view that raised them returns, and stay until delivered. One notification per child, viewing
//! user, recipient and day: looking again the same day does not notify again.

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Row, SqlitePool};
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

const SCHEMA: &str = "CREATE TABLE IF NOT EXISTS notifications (
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

const COLUMNS: &str =
    "id, created_ms, source_id, recipient, body, attempts, next_attempt_ms, last_error, delivered_ms";

pub struct Outbox {
    pool: SqlitePool,
}

impl Outbox {
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
        sqlx::raw_sql(SCHEMA).execute(&pool).await.map_err(error)?;
        Ok(Self { pool })
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
        let done = sqlx::query(
            "INSERT INTO notifications (dedupe_key, created_ms, source_id, recipient, body, next_attempt_ms) \
             VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (dedupe_key) DO NOTHING",
        )
        .bind(dedupe_key)
        .bind(now_ms)
        .bind(source_id)
        .bind(recipient)
        .bind(body)
        .bind(now_ms)
        .execute(&self.pool)
        .await
        .map_err(error)?;
        Ok(done.rows_affected() == 1)
    }

    /// Undelivered notifications whose next attempt is due.
    pub async fn due(&self, now_ms: i64, limit: u32) -> Result<Vec<Notification>, OutboxError> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM notifications WHERE delivered_ms IS NULL AND next_attempt_ms <= ? \
             ORDER BY next_attempt_ms LIMIT ?"
        ))
        .bind(now_ms)
        .bind(limit)
        .fetch_all(&self.pool)
        .await
        .map_err(error)?;
        rows.iter().map(from_row).collect()
    }

    pub async fn delivered(&self, id: i64, now_ms: i64) -> Result<(), OutboxError> {
        sqlx::query("UPDATE notifications SET delivered_ms = ?, attempts = attempts + 1, last_error = NULL WHERE id = ?")
            .bind(now_ms)
            .bind(id)
            .execute(&self.pool)
            .await
            .map_err(error)?;
        Ok(())
    }

    pub async fn failed(
        &self,
        id: i64,
        why: &str,
        next_attempt_ms: i64,
    ) -> Result<(), OutboxError> {
        sqlx::query("UPDATE notifications SET attempts = attempts + 1, last_error = ?, next_attempt_ms = ? WHERE id = ?")
            .bind(why)
            .bind(next_attempt_ms)
            .bind(id)
            .execute(&self.pool)
            .await
            .map_err(error)?;
        Ok(())
    }

    /// The newest notifications, delivered or not, for the operations page.
    pub async fn recent(&self, limit: u32) -> Result<Vec<Notification>, OutboxError> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM notifications ORDER BY id DESC LIMIT ?"
        ))
        .bind(limit)
        .fetch_all(&self.pool)
        .await
        .map_err(error)?;
        rows.iter().map(from_row).collect()
    }
}

fn from_row(row: &sqlx::sqlite::SqliteRow) -> Result<Notification, OutboxError> {
    Ok(Notification {
        id: row.try_get("id").map_err(error)?,
        created_ms: row.try_get("created_ms").map_err(error)?,
        source_id: row.try_get("source_id").map_err(error)?,
        recipient: row.try_get("recipient").map_err(error)?,
        body: row.try_get("body").map_err(error)?,
        attempts: u32::try_from(row.try_get::<i64, _>("attempts").map_err(error)?)
            .unwrap_or(u32::MAX),
        next_attempt_ms: row.try_get("next_attempt_ms").map_err(error)?,
        last_error: row.try_get("last_error").map_err(error)?,
        delivered_ms: row.try_get("delivered_ms").map_err(error)?,
    })
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
        assert_eq!(
            outbox.due(999, 10).await.unwrap().len(),
            0,
            "nothing due yet"
        );
        let due = outbox.due(2_000, 10).await.unwrap();
        assert_eq!(due.len(), 2);
        outbox.failed(due[0].id, "HTTP 503", 5_000).await.unwrap();
        outbox.delivered(due[1].id, 2_000).await.unwrap();
        assert!(
            outbox.due(4_999, 10).await.unwrap().is_empty(),
            "retry waits for its time"
        );
        let retry = outbox.due(5_000, 10).await.unwrap();
        assert_eq!(retry.len(), 1);
        assert_eq!(retry[0].attempts, 1);
        assert_eq!(retry[0].last_error.as_deref(), Some("HTTP 503"));
        // Reopening keeps everything (durable).
        drop(outbox);
        let again = Outbox::open(&path).await.unwrap();
        let recent = again.recent(10).await.unwrap();
        assert_eq!(recent.len(), 2);
        assert!(recent.iter().any(|n| n.delivered_ms == Some(2_000)));
    }
}
