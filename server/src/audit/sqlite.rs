//! The embedded audit store: SQLite in WAL mode with full fsync on commit, written by one
//! connection (the chain is a single sequence), read by a small pool. Schema changes are
//! numbered migrations applied at open (`PRAGMA user_version`).

use super::chain::{self, StoredEvent};
use super::event::{AuditEvent, EventKind, Outcome};
use super::{AuditError, AuditStore, Filter};
use futures::future::BoxFuture;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteRow, SqliteSynchronous,
};
use sqlx::{Row, SqlitePool};
use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

/// Each entry moves the schema one version on; never edit one that has shipped.
const MIGRATIONS: &[&str] = &[
    // 1: the events table, append-only; reviews are events that refer to another.
    "CREATE TABLE audit_events (
        seq INTEGER PRIMARY KEY,
        at_ms INTEGER NOT NULL,
        kind TEXT NOT NULL,
        user_id TEXT NOT NULL,
        user_name TEXT NOT NULL,
        role TEXT,
        organisation TEXT,
        nhs_number TEXT,
        basis TEXT,
        reason TEXT,
        outcome TEXT NOT NULL,
        detail TEXT,
        sources TEXT NOT NULL,
        categories TEXT NOT NULL,
        withheld INTEGER NOT NULL,
        refers_to INTEGER,
        request_id TEXT NOT NULL,
        client TEXT NOT NULL,
        user_agent TEXT NOT NULL,
        prev_hash TEXT NOT NULL,
        hash TEXT NOT NULL
    );
    CREATE INDEX audit_by_patient ON audit_events (nhs_number, seq);
    CREATE INDEX audit_by_user ON audit_events (user_id, seq);
    CREATE INDEX audit_by_kind ON audit_events (kind, seq);
    CREATE INDEX audit_by_refers_to ON audit_events (refers_to) WHERE refers_to IS NOT NULL;",
    // 2: the workspace's other filters.
    "CREATE INDEX audit_by_organisation ON audit_events (organisation, seq);
    CREATE INDEX audit_by_role ON audit_events (role, seq);
    CREATE INDEX audit_by_time ON audit_events (at_ms);",
];

const COLUMNS: &str = "seq, at_ms, kind, user_id, user_name, role, organisation, nhs_number, \
    basis, reason, outcome, detail, sources, categories, withheld, refers_to, request_id, client, \
    user_agent, prev_hash, hash";

pub struct SqliteAudit {
    writer: SqlitePool,
    readers: SqlitePool,
}

impl SqliteAudit {
    /// Opens (creating if needed) the store at `path` and brings its schema up to date.
    pub async fn open(path: &Path) -> Result<Self, AuditError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| AuditError::Open(e.to_string()))?;
        }
        let options = SqliteConnectOptions::from_str(&format!("sqlite://{}", path.display()))
            .map_err(|e| AuditError::Open(e.to_string()))?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .busy_timeout(Duration::from_secs(5));
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(options.clone())
            .await
            .map_err(|e| AuditError::Open(e.to_string()))?;
        migrate(&writer).await?;
        let readers = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options.read_only(true))
            .await
            .map_err(|e| AuditError::Open(e.to_string()))?;
        Ok(Self { writer, readers })
    }

    /// Closes both pools (tests use it before editing the file behind the store's back).
    pub async fn close(&self) {
        self.writer.close().await;
        self.readers.close().await;
    }
}

async fn migrate(pool: &SqlitePool) -> Result<(), AuditError> {
    let version: i64 = sqlx::query_scalar("PRAGMA user_version")
        .fetch_one(pool)
        .await
        .map_err(|e| AuditError::Open(e.to_string()))?;
    for (index, migration) in MIGRATIONS.iter().enumerate().skip(version as usize) {
        // One script per migration, in its own transaction, so a failed one leaves nothing.
        let script = format!(
            "BEGIN IMMEDIATE; {migration}; PRAGMA user_version = {}; COMMIT;",
            index + 1
        );
        sqlx::raw_sql(&script)
            .execute(pool)
            .await
            .map_err(|e| AuditError::Open(format!("migration {}: {e}", index + 1)))?;
    }
    Ok(())
}

fn write_error(e: sqlx::Error) -> AuditError {
    AuditError::Write(e.to_string())
}

fn read_error(e: sqlx::Error) -> AuditError {
    AuditError::Read(e.to_string())
}

impl AuditStore for SqliteAudit {
    fn append<'a>(
        &'a self,
        events: &'a [AuditEvent],
    ) -> BoxFuture<'a, Result<Vec<i64>, AuditError>> {
        Box::pin(async move {
            // IMMEDIATE takes the write lock before the chain head is read, so even two
            // processes sharing one file extend one chain, one group after the other.
            let mut tx = self
                .writer
                .begin_with("BEGIN IMMEDIATE")
                .await
                .map_err(write_error)?;
            let last: Option<(i64, String)> =
                sqlx::query_as("SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1")
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(write_error)?;
            let (last_seq, last_hash) = last.unwrap_or((0, chain::GENESIS.to_owned()));
            let stored = chain::chain(last_seq, &last_hash, events);
            for row in &stored {
                insert(&mut tx, row).await?;
            }
            tx.commit().await.map_err(write_error)?;
            Ok(stored.iter().map(|s| s.seq).collect())
        })
    }

    fn read_after<'a>(
        &'a self,
        after: i64,
        limit: u32,
    ) -> BoxFuture<'a, Result<Vec<StoredEvent>, AuditError>> {
        Box::pin(async move {
            let rows = sqlx::query(&format!(
                "SELECT {COLUMNS} FROM audit_events WHERE seq > ? ORDER BY seq LIMIT ?"
            ))
            .bind(after)
            .bind(limit)
            .fetch_all(&self.readers)
            .await
            .map_err(read_error)?;
            rows.iter().map(from_row).collect()
        })
    }

    fn pending_reviews<'a>(
        &'a self,
        limit: u32,
    ) -> BoxFuture<'a, Result<Vec<StoredEvent>, AuditError>> {
        Box::pin(async move {
            let rows = sqlx::query(&format!(
                "SELECT {COLUMNS} FROM audit_events e WHERE kind = 'emergency-access' \
                 AND NOT EXISTS (SELECT 1 FROM audit_events r WHERE r.refers_to = e.seq \
                 AND r.kind = 'review') ORDER BY seq DESC LIMIT ?"
            ))
            .bind(limit)
            .fetch_all(&self.readers)
            .await
            .map_err(read_error)?;
            rows.iter().map(from_row).collect()
        })
    }

    fn search<'a>(
        &'a self,
        filter: &'a Filter,
        before: Option<i64>,
        limit: u32,
    ) -> BoxFuture<'a, Result<Vec<StoredEvent>, AuditError>> {
        Box::pin(async move {
            let mut query = sqlx::QueryBuilder::<sqlx::Sqlite>::new(format!(
                "SELECT {COLUMNS} FROM audit_events WHERE 1 = 1"
            ));
            let text = [
                ("user_id", &filter.user_id),
                ("nhs_number", &filter.nhs_number),
                ("organisation", &filter.organisation),
                ("role", &filter.role),
                ("basis", &filter.basis),
            ];
            for (column, value) in text {
                if let Some(value) = value {
                    query
                        .push(format!(" AND {column} = "))
                        .push_bind(value.clone());
                }
            }
            if let Some(outcome) = filter.outcome {
                query.push(" AND outcome = ").push_bind(outcome.as_str());
            }
            if let Some(kind) = filter.kind {
                query.push(" AND kind = ").push_bind(kind.as_str());
            }
            if let Some(from) = filter.from_ms {
                query.push(" AND at_ms >= ").push_bind(from);
            }
            if let Some(to) = filter.to_ms {
                query.push(" AND at_ms <= ").push_bind(to);
            }
            if let Some(before) = before {
                query.push(" AND seq < ").push_bind(before);
            }
            query.push(" ORDER BY seq DESC LIMIT ").push_bind(limit);
            let rows = query
                .build()
                .fetch_all(&self.readers)
                .await
                .map_err(read_error)?;
            rows.iter().map(from_row).collect()
        })
    }

    fn get<'a>(&'a self, seq: i64) -> BoxFuture<'a, Result<Option<StoredEvent>, AuditError>> {
        Box::pin(async move {
            let row = sqlx::query(&format!("SELECT {COLUMNS} FROM audit_events WHERE seq = ?"))
                .bind(seq)
                .fetch_optional(&self.readers)
                .await
                .map_err(read_error)?;
            row.as_ref().map(from_row).transpose()
        })
    }
}

async fn insert(
    tx: &mut sqlx::Transaction<'_, sqlx::Sqlite>,
    row: &StoredEvent,
) -> Result<(), AuditError> {
    let e = &row.event;
    let list = |v: &[String]| serde_json::to_string(v).unwrap_or_else(|_| "[]".to_owned());
    sqlx::query(&format!(
        "INSERT INTO audit_events ({COLUMNS}) VALUES \
         (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
    ))
    .bind(row.seq)
    .bind(e.at_ms)
    .bind(e.kind.as_str())
    .bind(&e.user_id)
    .bind(&e.user_name)
    .bind(&e.role)
    .bind(&e.organisation)
    .bind(&e.nhs_number)
    .bind(&e.basis)
    .bind(&e.reason)
    .bind(e.outcome.as_str())
    .bind(&e.detail)
    .bind(list(&e.sources))
    .bind(list(&e.categories))
    .bind(e.withheld as i64)
    .bind(e.refers_to)
    .bind(&e.request_id)
    .bind(&e.client)
    .bind(&e.user_agent)
    .bind(&row.prev_hash)
    .bind(&row.hash)
    .execute(&mut **tx)
    .await
    .map_err(write_error)?;
    Ok(())
}

/// A stored row back into an event; a row that cannot be read is reported, not skipped.
fn from_row(row: &SqliteRow) -> Result<StoredEvent, AuditError> {
    let seq: i64 = row.try_get("seq").map_err(read_error)?;
    let unreadable = |what: &str| AuditError::Read(format!("event {seq}: unreadable {what}"));
    let text = |name: &str| row.try_get::<String, _>(name).map_err(read_error);
    let optional = |name: &str| row.try_get::<Option<String>, _>(name).map_err(read_error);
    let list = |name: &str| -> Result<Vec<String>, AuditError> {
        serde_json::from_str(&text(name)?).map_err(|_| unreadable(name))
    };
    let event = AuditEvent {
        at_ms: row.try_get("at_ms").map_err(read_error)?,
        kind: EventKind::parse(&text("kind")?).ok_or_else(|| unreadable("kind"))?,
        user_id: text("user_id")?,
        user_name: text("user_name")?,
        role: optional("role")?,
        organisation: optional("organisation")?,
        nhs_number: optional("nhs_number")?,
        basis: optional("basis")?,
        reason: optional("reason")?,
        outcome: Outcome::parse(&text("outcome")?).ok_or_else(|| unreadable("outcome"))?,
        detail: optional("detail")?,
        sources: list("sources")?,
        categories: list("categories")?,
        withheld: u32::try_from(row.try_get::<i64, _>("withheld").map_err(read_error)?)
            .map_err(|_| unreadable("withheld"))?,
        refers_to: row.try_get("refers_to").map_err(read_error)?,
        request_id: text("request_id")?,
        client: text("client")?,
        user_agent: text("user_agent")?,
    };
    Ok(StoredEvent {
        seq,
        event,
        prev_hash: text("prev_hash")?,
        hash: text("hash")?,
    })
}
