//! Legitimate bases recorded in browser sessions: one per patient, session, role and
//! organisation, each for `consent.basis_lifetime`, kept in the shared store so a basis
//! recorded through one instance holds at every instance. In the database the key is a hash
//! (no session id or NHS number in the clear); the basis itself is what the audit trail
//! already holds.

use crate::shared_store::{hashed, time_to_sweep, SharedStore, StoreError};
use app::auth::{Role, Viewer};
use app::consent::{Basis, SessionKey};
use app::nhs_number::NhsNumber;
use moka::sync::Cache;
use sqlx::PgPool;
use std::time::Duration;

/// Where a recorded basis holds: one patient, in one session, in the role and organisation the
/// viewer gave it in. A reason given at one organisation is not reused at another.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct BasisKey {
    session: SessionKey,
    role: Role,
    organisation: Option<String>,
    nhs: NhsNumber,
}

impl BasisKey {
    pub fn new(session: &SessionKey, viewer: &Viewer, nhs: NhsNumber) -> Self {
        Self {
            session: session.clone(),
            role: viewer.role,
            organisation: viewer.organisation.clone(),
            nhs,
        }
    }

    /// The key as the database holds it.
    fn hash(&self) -> String {
        let organisation = self.organisation.as_deref().unwrap_or("");
        let nhs = self.nhs.as_digits();
        hashed(&[&self.session.0, self.role.as_str(), organisation, &nhs])
    }
}

/// The recorded bases.
pub struct BasisBook {
    kept: Kept,
    lifetime: Duration,
    clock: fn() -> i64,
}

enum Kept {
    Memory(Cache<BasisKey, Basis>),
    Postgres(PgPool),
}

impl BasisBook {
    pub fn new(shared: &SharedStore, lifetime: Duration) -> Self {
        let kept = match shared {
            SharedStore::Alone => Kept::Memory(
                Cache::builder()
                    .max_capacity(1_000_000)
                    .time_to_live(lifetime)
                    .build(),
            ),
            SharedStore::Postgres(pool) => Kept::Postgres(pool.clone()),
        };
        Self {
            kept,
            lifetime,
            clock: crate::clock::now_ms,
        }
    }

    /// The same book on another clock (milliseconds since the epoch), for tests of expiry.
    /// Bases kept in memory expire on the process's own timer whatever the clock says.
    pub fn with_clock(mut self, clock: fn() -> i64) -> Self {
        self.clock = clock;
        self
    }

    /// The basis recorded under `key`, if it has not expired.
    pub async fn get(&self, key: &BasisKey) -> Result<Option<Basis>, StoreError> {
        match &self.kept {
            Kept::Memory(cache) => Ok(cache.get(key)),
            Kept::Postgres(pool) => {
                let found: Option<String> = sqlx::query_scalar(
                    "SELECT basis FROM portal_bases WHERE key_hash = $1 AND expires_ms > $2",
                )
                .bind(key.hash())
                .bind((self.clock)())
                .fetch_optional(pool)
                .await?;
                found
                    .map(|json| serde_json::from_str(&json).map_err(|e| StoreError(e.to_string())))
                    .transpose()
            }
        }
    }

    /// Records `basis` under `key` for the basis lifetime from now, replacing any earlier one.
    pub async fn insert(&self, key: &BasisKey, basis: &Basis) -> Result<(), StoreError> {
        match &self.kept {
            Kept::Memory(cache) => cache.insert(key.clone(), basis.clone()),
            Kept::Postgres(pool) => {
                let now = (self.clock)();
                if time_to_sweep() {
                    sqlx::query("DELETE FROM portal_bases WHERE expires_ms <= $1")
                        .bind(now)
                        .execute(pool)
                        .await?;
                }
                let json = serde_json::to_string(basis).map_err(|e| StoreError(e.to_string()))?;
                sqlx::query(
                    "INSERT INTO portal_bases (key_hash, basis, expires_ms) \
                     VALUES ($1, $2, $3) ON CONFLICT (key_hash) DO UPDATE \
                     SET basis = EXCLUDED.basis, expires_ms = EXCLUDED.expires_ms",
                )
                .bind(key.hash())
                .bind(json)
                .bind(now + self.lifetime.as_millis() as i64)
                .execute(pool)
                .await?;
            }
        }
        Ok(())
    }

    /// Forgets the basis under `key` (it no longer fits the policy).
    pub async fn forget(&self, key: &BasisKey) -> Result<(), StoreError> {
        match &self.kept {
            Kept::Memory(cache) => cache.invalidate(key),
            Kept::Postgres(pool) => {
                sqlx::query("DELETE FROM portal_bases WHERE key_hash = $1")
                    .bind(key.hash())
                    .execute(pool)
                    .await?;
            }
        }
        Ok(())
    }
}
