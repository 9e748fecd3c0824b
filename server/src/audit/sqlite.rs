//! The embedded audit store: SQLite in WAL mode with full fsync on commit, written by one
//! connection (the chain is a single sequence), read by a small pool. Schema changes are
//! numbered migrations applied at open (`PRAGMA user_version`).

use super::chain::{self, StoredEvent};
use super::event::AuditEvent;
use super::rows::{self, EventRow};
use super::{counts, retention, AuditError, AuditStore, Checkpoint, Filter, PeriodEvent};
use futures::future::BoxFuture;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Sqlite, SqliteConnection, SqlitePool};
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
    // 3: the same-surname flag for the reports, and the checkpoint retention purges leave.
    "ALTER TABLE audit_events ADD COLUMN same_surname INTEGER NOT NULL DEFAULT 0;
    CREATE TABLE audit_checkpoint (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        seq INTEGER NOT NULL,
        hash TEXT NOT NULL,
        at_ms INTEGER NOT NULL
    );",
    // 4: filters combined with a time range (the workspace's commonest narrowing) found from
    // the range, not by walking every event of an organisation, outcome or kind.
    "CREATE INDEX IF NOT EXISTS audit_by_organisation_time ON audit_events (organisation, at_ms);
    CREATE INDEX IF NOT EXISTS audit_by_outcome_time ON audit_events (outcome, at_ms);
    CREATE INDEX IF NOT EXISTS audit_by_kind_time ON audit_events (kind, at_ms);",
    // 5: which rule refused a refused event (`dissent`, `role`...), for the workspace's filter.
    "ALTER TABLE audit_events ADD COLUMN refusal TEXT;",
    // 6: the access report's same-surname accesses, which are few, found without reading the
    // period's other events.
    "CREATE INDEX audit_same_surname_time ON audit_events (at_ms) WHERE same_surname = TRUE;",
];

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

/// The database refused the rows themselves (SQLITE_TOOBIG, SQLITE_CONSTRAINT including a
/// trigger's RAISE, SQLITE_MISMATCH): see [`AuditError::Rejected`].
fn insert_error(e: sqlx::Error) -> AuditError {
    let refused = e
        .as_database_error()
        .and_then(|d| d.code())
        .and_then(|code| code.parse::<i32>().ok())
        .is_some_and(|code| matches!(code & 0xff, 18..=20));
    if refused {
        AuditError::Rejected(e.to_string())
    } else {
        write_error(e)
    }
}

fn read_error(e: sqlx::Error) -> AuditError {
    AuditError::Read(e.to_string())
}

/// The last event in the chain: the newest stored, else the purge checkpoint, else genesis.
async fn head(conn: &mut SqliteConnection) -> Result<(i64, String), AuditError> {
    let last: Option<(i64, String)> =
        sqlx::query_as("SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1")
            .fetch_optional(&mut *conn)
            .await
            .map_err(write_error)?;
    if let Some(last) = last {
        return Ok(last);
    }
    let checkpoint: Option<(i64, String)> =
        sqlx::query_as("SELECT seq, hash FROM audit_checkpoint WHERE id = 1")
            .fetch_optional(&mut *conn)
            .await
            .map_err(write_error)?;
    Ok(checkpoint.unwrap_or((0, chain::GENESIS.to_owned())))
}

/// Chains `events` after the head and inserts them (inside the caller's transaction).
async fn append_in(
    conn: &mut SqliteConnection,
    events: &[AuditEvent],
) -> Result<Vec<i64>, AuditError> {
    let (last_seq, last_hash) = head(conn).await?;
    let stored = chain::chain(last_seq, &last_hash, events);
    for chunk in stored.chunks(rows::INSERT_CHUNK) {
        rows::insert::<Sqlite>(chunk)
            .build()
            .execute(&mut *conn)
            .await
            .map_err(insert_error)?;
    }
    Ok(stored.iter().map(|s| s.seq).collect())
}

async fn fetch(
    pool: &SqlitePool,
    mut query: sqlx::QueryBuilder<'_, Sqlite>,
) -> Result<Vec<StoredEvent>, AuditError> {
    let found: Vec<EventRow> = query
        .build_query_as()
        .fetch_all(pool)
        .await
        .map_err(read_error)?;
    rows::into_stored(found)
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
            let seqs = append_in(&mut tx, events).await?;
            tx.commit().await.map_err(write_error)?;
            Ok(seqs)
        })
    }

    fn read_after<'a>(
        &'a self,
        after: i64,
        limit: u32,
    ) -> BoxFuture<'a, Result<Vec<StoredEvent>, AuditError>> {
        Box::pin(fetch(&self.readers, rows::read_after(after, limit)))
    }

    fn pending_reviews<'a>(
        &'a self,
        limit: u32,
    ) -> BoxFuture<'a, Result<Vec<StoredEvent>, AuditError>> {
        Box::pin(fetch(&self.readers, rows::pending_reviews(limit)))
    }

    fn search<'a>(
        &'a self,
        filter: &'a Filter,
        before: Option<i64>,
        limit: u32,
    ) -> BoxFuture<'a, Result<Vec<StoredEvent>, AuditError>> {
        Box::pin(fetch(&self.readers, rows::search(filter, before, limit)))
    }

    fn read_period<'a>(
        &'a self,
        from_ms: i64,
        to_ms: i64,
        after: Option<(i64, i64)>,
        limit: u32,
    ) -> BoxFuture<'a, Result<Vec<PeriodEvent>, AuditError>> {
        Box::pin(async move {
            rows::read_period::<Sqlite>(from_ms, to_ms, after, limit)
                .build_query_as()
                .fetch_all(&self.readers)
                .await
                .map_err(read_error)
        })
    }

    fn count_accesses<'a>(
        &'a self,
        count: &'a counts::AccessCount,
    ) -> BoxFuture<'a, Result<counts::AccessCounts, AuditError>> {
        Box::pin(async move {
            let mut queries = counts::Queries::<Sqlite>::new(count);
            queries.fetch(&self.readers).await.map_err(read_error)
        })
    }

    fn get<'a>(&'a self, seq: i64) -> BoxFuture<'a, Result<Option<StoredEvent>, AuditError>> {
        Box::pin(async move {
            Ok(fetch(&self.readers, rows::get(seq))
                .await?
                .into_iter()
                .next())
        })
    }

    /// Takes the write lock (`BEGIN IMMEDIATE`) and lets it go: fails when the file cannot be
    /// written or another process holds the lock beyond the busy timeout.
    fn writable(&self) -> BoxFuture<'_, Result<(), AuditError>> {
        Box::pin(async move {
            let mut connection = self.writer.acquire().await.map_err(write_error)?;
            sqlx::query("BEGIN IMMEDIATE")
                .execute(&mut *connection)
                .await
                .map_err(write_error)?;
            sqlx::query("ROLLBACK")
                .execute(&mut *connection)
                .await
                .map_err(write_error)?;
            Ok(())
        })
    }

    fn checkpoint(&self) -> BoxFuture<'_, Result<Option<Checkpoint>, AuditError>> {
        Box::pin(async move {
            let found: Option<(i64, String, i64)> =
                sqlx::query_as("SELECT seq, hash, at_ms FROM audit_checkpoint WHERE id = 1")
                    .fetch_optional(&self.readers)
                    .await
                    .map_err(read_error)?;
            Ok(found.map(|(seq, hash, at_ms)| Checkpoint { seq, hash, at_ms }))
        })
    }

    fn purge<'a>(
        &'a self,
        cutoff_ms: i64,
        purge: &'a AuditEvent,
    ) -> BoxFuture<'a, Result<Option<Checkpoint>, AuditError>> {
        Box::pin(async move {
            let mut tx = self
                .writer
                .begin_with("BEGIN IMMEDIATE")
                .await
                .map_err(write_error)?;
            // The first event to keep, found walking the chain from its oldest end.
            let through: Option<(i64, String, i64)> = rows::purge_through::<Sqlite>(cutoff_ms)
                .build_query_as()
                .fetch_optional(&mut *tx)
                .await
                .map_err(write_error)?;
            let Some((seq, hash, first)) = through else {
                return Ok(None);
            };
            let checkpoint = Checkpoint {
                seq,
                hash,
                at_ms: purge.at_ms,
            };
            rows::delete_through::<Sqlite>(seq)
                .build()
                .execute(&mut *tx)
                .await
                .map_err(write_error)?;
            rows::save_checkpoint::<Sqlite>(&checkpoint)
                .build()
                .execute(&mut *tx)
                .await
                .map_err(write_error)?;
            let event = retention::purge_event(purge, &checkpoint, seq - first + 1);
            append_in(&mut tx, std::slice::from_ref(&event)).await?;
            tx.commit().await.map_err(write_error)?;
            Ok(Some(checkpoint))
        })
    }
}
