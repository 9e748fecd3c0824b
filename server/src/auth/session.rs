//! Server-side sessions: a random id in an HttpOnly cookie names a session held in the shared
//! store ([`SharedStore`]: this process, or PostgreSQL for several instances), which ends after
//! the idle timeout, at its absolute lifetime, or at sign-out. The database keeps only the
//! id's SHA-256, so reading it gives no one a session.

use super::roles::RoleGrant;
use crate::shared_store::{hashed, time_to_sweep, SharedStore, StoreError};
use crate::web::random_token;
use serde::{Deserialize, Serialize};
use sqlx::{PgPool, Row};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

/// Who signed in, as the identity provider vouched for them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffUser {
    pub user_id: String,
    pub name: String,
    pub issuer_id: String,
    pub grants: Vec<RoleGrant>,
}

/// One signed-in browser.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub user: StaffUser,
    /// Index into `user.grants`; `None` until a role is chosen.
    pub active: Option<usize>,
    /// Must come back with every form that changes state.
    pub csrf_token: String,
    created_ms: i64,
    last_seen_ms: i64,
}

impl Session {
    pub fn active_grant(&self) -> Option<&RoleGrant> {
        self.active.and_then(|i| self.user.grants.get(i))
    }
}

/// What the database keeps of a session besides its times and active role.
#[derive(Serialize, Deserialize)]
struct Body {
    user: StaffUser,
    csrf_token: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SessionError {
    #[error("you are not signed in, or your session has ended")]
    NoSession,
    #[error("that role is not one of yours")]
    NoSuchRole,
    /// The shared store failed; the cause is logged where this is answered.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for SessionError {
    fn from(e: sqlx::Error) -> Self {
        Self::Store(e.into())
    }
}

pub struct SessionStore {
    backend: Backend,
    idle: Duration,
    max: Duration,
    clock: fn() -> i64,
}

enum Backend {
    Memory(Mutex<HashMap<String, Session>>),
    Postgres(PgPool),
}

/// Above this many sessions in memory, ended ones are swept out when a new one starts.
const SWEEP_ABOVE: usize = 10_000;

impl SessionStore {
    pub fn new(shared: &SharedStore, idle: Duration, max: Duration) -> Self {
        let backend = match shared {
            SharedStore::Alone => Backend::Memory(Mutex::new(HashMap::new())),
            SharedStore::Postgres(pool) => Backend::Postgres(pool.clone()),
        };
        Self {
            backend,
            idle,
            max,
            clock: crate::clock::now_ms,
        }
    }

    /// The same store on another clock (milliseconds since the epoch), for tests of expiry.
    pub fn with_clock(mut self, clock: fn() -> i64) -> Self {
        self.clock = clock;
        self
    }

    /// Starts a session; the role is chosen at once when there is exactly one.
    pub async fn start(&self, user: StaffUser) -> Result<(String, Session), StoreError> {
        let now = (self.clock)();
        let session = Session {
            active: (user.grants.len() == 1).then_some(0),
            user,
            csrf_token: random_token(),
            created_ms: now,
            last_seen_ms: now,
        };
        let id = random_token();
        match &self.backend {
            Backend::Memory(sessions) => {
                let mut sessions = lock(sessions);
                if sessions.len() > SWEEP_ABOVE {
                    sessions.retain(|_, s| !self.ended(s, now));
                }
                sessions.insert(id.clone(), session.clone());
            }
            Backend::Postgres(pool) => {
                if time_to_sweep() {
                    self.sweep(pool, now).await?;
                }
                let body = Body {
                    user: session.user.clone(),
                    csrf_token: session.csrf_token.clone(),
                };
                sqlx::query(
                    "INSERT INTO portal_sessions (id_hash, body, active, created_ms, last_seen_ms) \
                     VALUES ($1, $2, $3, $4, $4)",
                )
                .bind(hashed(&[&id]))
                .bind(serde_json::to_string(&body).map_err(|e| StoreError(e.to_string()))?)
                .bind(session.active.map(|i| i as i32))
                .bind(now)
                .execute(pool)
                .await?;
            }
        }
        Ok((id, session))
    }

    /// The session named by `id` if it is still live, marking it used now.
    pub async fn touch(&self, id: &str) -> Result<Session, SessionError> {
        let now = (self.clock)();
        match &self.backend {
            Backend::Memory(sessions) => {
                let mut sessions = lock(sessions);
                self.live(&mut sessions, id, now).cloned()
            }
            Backend::Postgres(pool) => {
                let row = sqlx::query(
                    "UPDATE portal_sessions SET last_seen_ms = $2 \
                     WHERE id_hash = $1 AND last_seen_ms > $2 - $3 AND created_ms > $2 - $4 \
                     RETURNING body, active, created_ms, last_seen_ms",
                )
                .bind(hashed(&[id]))
                .bind(now)
                .bind(self.idle.as_millis() as i64)
                .bind(self.max.as_millis() as i64)
                .fetch_optional(pool)
                .await?;
                from_row(row.as_ref())
            }
        }
    }

    /// Makes grant `index` the active role.
    pub async fn choose_role(&self, id: &str, index: usize) -> Result<Session, SessionError> {
        let mut session = self.touch(id).await?;
        if index >= session.user.grants.len() {
            return Err(SessionError::NoSuchRole);
        }
        session.active = Some(index);
        match &self.backend {
            Backend::Memory(sessions) => {
                if let Some(stored) = lock(sessions).get_mut(id) {
                    stored.active = Some(index);
                }
            }
            Backend::Postgres(pool) => {
                sqlx::query("UPDATE portal_sessions SET active = $2 WHERE id_hash = $1")
                    .bind(hashed(&[id]))
                    .bind(index as i32)
                    .execute(pool)
                    .await?;
            }
        }
        Ok(session)
    }

    /// Ends the session (sign-out) on every instance.
    pub async fn end(&self, id: &str) -> Result<(), SessionError> {
        match &self.backend {
            Backend::Memory(sessions) => {
                lock(sessions).remove(id);
            }
            Backend::Postgres(pool) => {
                sqlx::query("DELETE FROM portal_sessions WHERE id_hash = $1")
                    .bind(hashed(&[id]))
                    .execute(pool)
                    .await?;
            }
        }
        Ok(())
    }

    /// The live session `id`, touched at `now`; an ended one is removed.
    fn live<'a>(
        &self,
        sessions: &'a mut HashMap<String, Session>,
        id: &str,
        now: i64,
    ) -> Result<&'a mut Session, SessionError> {
        let is_ended = sessions
            .get(id)
            .map(|s| self.ended(s, now))
            .ok_or(SessionError::NoSession)?;
        if is_ended {
            sessions.remove(id);
            return Err(SessionError::NoSession);
        }
        let session = sessions.get_mut(id).ok_or(SessionError::NoSession)?;
        session.last_seen_ms = now;
        Ok(session)
    }

    fn ended(&self, session: &Session, now: i64) -> bool {
        now.saturating_sub(session.last_seen_ms) >= self.idle.as_millis() as i64
            || now.saturating_sub(session.created_ms) >= self.max.as_millis() as i64
    }

    /// Deletes ended sessions from the database.
    async fn sweep(&self, pool: &PgPool, now: i64) -> Result<(), StoreError> {
        sqlx::query(
            "DELETE FROM portal_sessions WHERE last_seen_ms <= $1 - $2 OR created_ms <= $1 - $3",
        )
        .bind(now)
        .bind(self.idle.as_millis() as i64)
        .bind(self.max.as_millis() as i64)
        .execute(pool)
        .await?;
        Ok(())
    }
}

fn lock(
    sessions: &Mutex<HashMap<String, Session>>,
) -> std::sync::MutexGuard<'_, HashMap<String, Session>> {
    sessions.lock().unwrap_or_else(|e| e.into_inner())
}

/// A session read back from its row (`None`: no live session).
fn from_row(row: Option<&sqlx::postgres::PgRow>) -> Result<Session, SessionError> {
    let row = row.ok_or(SessionError::NoSession)?;
    let body: String = row.try_get("body")?;
    let body: Body = serde_json::from_str(&body).map_err(|e| StoreError(e.to_string()))?;
    let active: Option<i32> = row.try_get("active")?;
    Ok(Session {
        user: body.user,
        active: active.and_then(|i| usize::try_from(i).ok()),
        csrf_token: body.csrf_token,
        created_ms: row.try_get("created_ms")?,
        last_seen_ms: row.try_get("last_seen_ms")?,
    })
}
