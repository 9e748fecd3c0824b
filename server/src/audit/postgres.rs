//! The audit store for multi-instance deployments: PostgreSQL, the same table and behaviour as
//! the SQLite store. One chain across every portal instance: each append locks the single
//! chain-head row (`SELECT ... FOR UPDATE`), so groups from different instances are chained one
//! after another and never fork; commits are durable (`synchronous_commit` on) before any
//! writer is told its event is stored.

use super::chain::{self, StoredEvent};
use super::event::AuditEvent;
use super::rows::{self, EventRow};
use super::{counts, retention, AuditError, AuditStore, Checkpoint, Filter, PeriodEvent};
use futures::future::BoxFuture;
use sqlx::postgres::{PgConnectOptions, PgConnection, PgPoolOptions};
use sqlx::{PgPool, Postgres};
use std::str::FromStr;
use std::time::Duration;

/// Each entry moves the schema one version on; never edit one that has shipped. Version 1 is
/// the SQLite store's migrations 1-3 in one step.
const MIGRATIONS: &[&str] = &[
    "CREATE TABLE audit_events (
        seq BIGINT PRIMARY KEY,
        at_ms BIGINT NOT NULL,
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
        withheld BIGINT NOT NULL,
        refers_to BIGINT,
        request_id TEXT NOT NULL,
        client TEXT NOT NULL,
        user_agent TEXT NOT NULL,
        same_surname BOOLEAN NOT NULL DEFAULT FALSE,
        prev_hash TEXT NOT NULL,
        hash TEXT NOT NULL
    );
    CREATE INDEX audit_by_patient ON audit_events (nhs_number, seq);
    CREATE INDEX audit_by_user ON audit_events (user_id, seq);
    CREATE INDEX audit_by_kind ON audit_events (kind, seq);
    CREATE INDEX audit_by_refers_to ON audit_events (refers_to) WHERE refers_to IS NOT NULL;
    CREATE INDEX audit_by_organisation ON audit_events (organisation, seq);
    CREATE INDEX audit_by_role ON audit_events (role, seq);
    CREATE INDEX audit_by_time ON audit_events (at_ms);
    CREATE TABLE audit_chain_head (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        seq BIGINT NOT NULL,
        hash TEXT NOT NULL
    );
    INSERT INTO audit_chain_head (id, seq, hash)
        VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');
    CREATE TABLE audit_checkpoint (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        seq BIGINT NOT NULL,
        hash TEXT NOT NULL,
        at_ms BIGINT NOT NULL
    );",
    // 2: as the SQLite store's 4; and time order with the sequence number as tie-break (SQLite's
    // index on at_ms carries the rowid, which is seq, already).
    "CREATE INDEX audit_by_organisation_time ON audit_events (organisation, at_ms);
    CREATE INDEX audit_by_outcome_time ON audit_events (outcome, at_ms);
    CREATE INDEX audit_by_kind_time ON audit_events (kind, at_ms);
    CREATE INDEX audit_by_time_seq ON audit_events (at_ms, seq);
    DROP INDEX audit_by_time;",
    // 3: as the SQLite store's 5.
    "ALTER TABLE audit_events ADD COLUMN refusal TEXT;",
    // 4: as the SQLite store's 6.
    "CREATE INDEX audit_same_surname_time ON audit_events (at_ms) WHERE same_surname = TRUE;",
];

/// Any number that identifies this schema's migration lock among advisory locks.
const MIGRATION_LOCK: i64 = 0x6175_6469_7400;

pub struct PostgresAudit {
    pool: PgPool,
}

fn write_error(e: sqlx::Error) -> AuditError {
    AuditError::Write(e.to_string())
}

/// The database refused the rows themselves (SQLSTATE class 22 data exception, 23 integrity
/// constraint, 54 program limit such as an index row too large): see [`AuditError::Rejected`].
fn insert_error(e: sqlx::Error) -> AuditError {
    let refused = e
        .as_database_error()
        .and_then(|d| d.code())
        .is_some_and(|code| {
            ["22", "23", "54"]
                .iter()
                .any(|class| code.starts_with(class))
        });
    if refused {
        AuditError::Rejected(e.to_string())
    } else {
        write_error(e)
    }
}

fn read_error(e: sqlx::Error) -> AuditError {
    AuditError::Read(e.to_string())
}

impl PostgresAudit {
    /// Connects to `url` and brings the schema up to date (one instance at a time).
    pub async fn open(url: &str) -> Result<Self, AuditError> {
        let options = PgConnectOptions::from_str(url)
            .map_err(|e| AuditError::Open(format!("audit.postgres_url: {e}")))?
            // The table is append-only and so stored in time order: reading a period through
            // the time index is cheap, which the default cost of a random page (4, for
            // spinning disks) hides from the planner (it chose to scan all 5 million events
            // for a 30-day report). Just-in-time compilation cost more than it saved on every
            // query measured.
            .options([
                ("synchronous_commit", "on"),
                ("random_page_cost", "1.1"),
                ("jit", "off"),
            ]);
        let pool = PgPoolOptions::new()
            .max_connections(8)
            .acquire_timeout(Duration::from_secs(5))
            .connect_with(options)
            .await
            .map_err(|e| AuditError::Open(e.to_string()))?;
        migrate(&pool).await?;
        Ok(Self { pool })
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// Applies the migrations not yet applied, in one transaction under an advisory lock so two
/// instances starting together do not both migrate. One script through the pool: sqlx's
/// executor bounds make a multi-statement script on a borrowed transaction unusable here.
async fn migrate(pool: &PgPool) -> Result<(), AuditError> {
    let mut script = format!(
        "BEGIN; SELECT pg_advisory_xact_lock({MIGRATION_LOCK}); \
         CREATE TABLE IF NOT EXISTS audit_schema (version INTEGER NOT NULL);"
    );
    for (index, migration) in MIGRATIONS.iter().enumerate() {
        let version = index + 1;
        let migration = migration.trim().trim_end_matches(';');
        script.push_str(&format!(
            " DO $migration$ BEGIN \
             IF NOT EXISTS (SELECT 1 FROM audit_schema WHERE version = {version}) THEN \
             {migration}; INSERT INTO audit_schema (version) VALUES ({version}); \
             END IF; END $migration$;"
        ));
    }
    script.push_str(" COMMIT;");
    sqlx::raw_sql(&script)
        .execute(pool)
        .await
        .map_err(|e| AuditError::Open(format!("migrating the audit schema: {e}")))?;
    Ok(())
}

/// Locks the chain head for the rest of the transaction and returns it.
async fn lock_head(conn: &mut PgConnection) -> Result<(i64, String), AuditError> {
    sqlx::query_as("SELECT seq, hash FROM audit_chain_head WHERE id = 1 FOR UPDATE")
        .fetch_one(&mut *conn)
        .await
        .map_err(write_error)
}

/// Chains `events` after the locked head, inserts them and moves the head.
async fn append_in(conn: &mut PgConnection, events: &[AuditEvent]) -> Result<Vec<i64>, AuditError> {
    let (last_seq, last_hash) = lock_head(conn).await?;
    let stored = chain::chain(last_seq, &last_hash, events);
    for chunk in stored.chunks(rows::INSERT_CHUNK) {
        rows::insert::<Postgres>(chunk)
            .build()
            .execute(&mut *conn)
            .await
            .map_err(insert_error)?;
    }
    if let Some(last) = stored.last() {
        sqlx::query("UPDATE audit_chain_head SET seq = $1, hash = $2 WHERE id = 1")
            .bind(last.seq)
            .bind(&last.hash)
            .execute(&mut *conn)
            .await
            .map_err(write_error)?;
    }
    Ok(stored.iter().map(|s| s.seq).collect())
}

async fn fetch(
    pool: &PgPool,
    mut query: sqlx::QueryBuilder<'_, Postgres>,
) -> Result<Vec<StoredEvent>, AuditError> {
    let found: Vec<EventRow> = query
        .build_query_as()
        .fetch_all(pool)
        .await
        .map_err(read_error)?;
    rows::into_stored(found)
}

impl AuditStore for PostgresAudit {
    fn append<'a>(
        &'a self,
        events: &'a [AuditEvent],
    ) -> BoxFuture<'a, Result<Vec<i64>, AuditError>> {
        Box::pin(async move {
            let mut tx = self.pool.begin().await.map_err(write_error)?;
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
        Box::pin(fetch(&self.pool, rows::read_after(after, limit)))
    }

    fn pending_reviews<'a>(
        &'a self,
        limit: u32,
    ) -> BoxFuture<'a, Result<Vec<StoredEvent>, AuditError>> {
        Box::pin(fetch(&self.pool, rows::pending_reviews(limit)))
    }

    fn search<'a>(
        &'a self,
        filter: &'a Filter,
        before: Option<i64>,
        limit: u32,
    ) -> BoxFuture<'a, Result<Vec<StoredEvent>, AuditError>> {
        Box::pin(fetch(&self.pool, rows::search(filter, before, limit)))
    }

    fn read_period<'a>(
        &'a self,
        from_ms: i64,
        to_ms: i64,
        after: Option<(i64, i64)>,
        limit: u32,
    ) -> BoxFuture<'a, Result<Vec<PeriodEvent>, AuditError>> {
        Box::pin(async move {
            rows::read_period::<Postgres>(from_ms, to_ms, after, limit)
                .build_query_as()
                .fetch_all(&self.pool)
                .await
                .map_err(read_error)
        })
    }

    fn count_accesses<'a>(
        &'a self,
        count: &'a counts::AccessCount,
    ) -> BoxFuture<'a, Result<counts::AccessCounts, AuditError>> {
        Box::pin(async move {
            let mut queries = counts::Queries::<Postgres>::new(count);
            queries.fetch(&self.pool).await.map_err(read_error)
        })
    }

    fn get<'a>(&'a self, seq: i64) -> BoxFuture<'a, Result<Option<StoredEvent>, AuditError>> {
        Box::pin(async move { Ok(fetch(&self.pool, rows::get(seq)).await?.into_iter().next()) })
    }

    /// A standby (in recovery) or a read-only session cannot take the trail's writes.
    fn writable(&self) -> BoxFuture<'_, Result<(), AuditError>> {
        Box::pin(async move {
            let (writable,): (bool,) = sqlx::query_as(
                "SELECT NOT pg_is_in_recovery() AND current_setting('transaction_read_only') = 'off'",
            )
            .fetch_one(&self.pool)
            .await
            .map_err(write_error)?;
            if writable {
                Ok(())
            } else {
                Err(AuditError::Write(
                    "the database is read-only (a standby?)".into(),
                ))
            }
        })
    }

    fn checkpoint(&self) -> BoxFuture<'_, Result<Option<Checkpoint>, AuditError>> {
        Box::pin(async move {
            let found: Option<(i64, String, i64)> =
                sqlx::query_as("SELECT seq, hash, at_ms FROM audit_checkpoint WHERE id = 1")
                    .fetch_optional(&self.pool)
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
            let mut tx = self.pool.begin().await.map_err(write_error)?;
            // Holding the head keeps every other instance's appends out until the purge ends.
            lock_head(&mut tx).await?;
            let through: Option<(i64, String, i64)> = rows::purge_through::<Postgres>(cutoff_ms)
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
            rows::delete_through::<Postgres>(seq)
                .build()
                .execute(&mut *tx)
                .await
                .map_err(write_error)?;
            rows::save_checkpoint::<Postgres>(&checkpoint)
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
