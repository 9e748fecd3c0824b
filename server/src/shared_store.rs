//! Where the state every instance of the portal must agree on lives: sessions, recorded
//! legitimate bases, the login cookie's key and finished sign-ins. With the SQLite audit store
//! the portal runs as one process and keeps them in memory; with `[audit] store = "postgres"`
//! they live in that database, so any instance behind a load balancer can answer any request.

use crate::audit::{AuditConfig, StoreKind};
use sha2::{Digest, Sha256};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::PgPool;
use std::str::FromStr;
use std::time::Duration;

/// The shared store could not be reached or refused a statement. The cause is for the log only.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the shared session store failed: {0}")]
pub struct StoreError(pub String);

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        Self(e.to_string())
    }
}

/// Where shared state is kept.
#[derive(Clone)]
pub enum SharedStore {
    /// In this process: one instance (the SQLite audit store).
    Alone,
    /// In PostgreSQL, shared by every instance on the same database.
    Postgres(PgPool),
}

/// The tables, created together under an advisory lock so instances starting at once agree.
/// Nothing here holds an NHS number or a session id in the clear: both appear only inside
/// SHA-256 hashes.
const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS portal_sessions (
    id_hash TEXT PRIMARY KEY,
    body TEXT NOT NULL,
    active INTEGER,
    created_ms BIGINT NOT NULL,
    last_seen_ms BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS portal_sessions_by_seen ON portal_sessions (last_seen_ms);
CREATE TABLE IF NOT EXISTS portal_bases (
    key_hash TEXT PRIMARY KEY,
    basis TEXT NOT NULL,
    expires_ms BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS portal_keys (
    name TEXT PRIMARY KEY,
    key BYTEA NOT NULL
);
CREATE TABLE IF NOT EXISTS portal_used_states (
    state_hash TEXT PRIMARY KEY,
    expires_ms BIGINT NOT NULL
);";

/// Identifies the shared tables' creation among advisory locks.
const SCHEMA_LOCK: i64 = 0x7363_7276_7368;

impl SharedStore {
    /// The store the audit configuration implies: PostgreSQL at `audit.postgres_url` when the
    /// audit trail is there too, else this process.
    pub async fn open(audit: &AuditConfig) -> Result<Self, StoreError> {
        match audit.store {
            StoreKind::Sqlite => Ok(Self::Alone),
            StoreKind::Postgres => {
                let url = audit.postgres_url.as_deref().unwrap_or_default();
                Self::connect(url).await
            }
        }
    }

    /// Connects to PostgreSQL at `url` and creates the shared tables if they are missing.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        let options = PgConnectOptions::from_str(url)
            .map_err(|e| StoreError(format!("audit.postgres_url: {e}")))?;
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(Duration::from_secs(5))
            .connect_with(options)
            .await?;
        let script =
            format!("BEGIN; SELECT pg_advisory_xact_lock({SCHEMA_LOCK}); {SCHEMA} COMMIT;");
        sqlx::raw_sql(&script).execute(&pool).await?;
        Ok(Self::Postgres(pool))
    }
}

/// A secret as it is stored: the hex SHA-256 of its parts, separated so that no two different
/// lists of parts hash alike.
pub fn hashed(parts: &[&str]) -> String {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update((part.len() as u64).to_be_bytes());
        hasher.update(part.as_bytes());
    }
    hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Run now and then with writes, so ended rows are swept out without a timer: about one in
/// this many calls.
pub const SWEEP_ONE_IN: u32 = 200;

/// True about once in [`SWEEP_ONE_IN`] calls.
pub fn time_to_sweep() -> bool {
    use rand::Rng;
    rand::thread_rng().gen_range(0..SWEEP_ONE_IN) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_keep_their_parts_apart() {
        assert_ne!(hashed(&["ab", "c"]), hashed(&["a", "bc"]));
        assert_eq!(hashed(&["ab", "c"]), hashed(&["ab", "c"]));
        assert_eq!(hashed(&["x"]).len(), 64);
    }
}
