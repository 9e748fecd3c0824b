//! The login cookie: a sign-in in progress (issuer, nonce, PKCE verifier, where to go next),
//! sealed into the browser so the server keeps nothing per pending sign-in, opened once by the
//! callback it was made for.

use crate::shared_store::{hashed, time_to_sweep, SharedStore, StoreError};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM, NONCE_LEN};
use ring::rand::{SecureRandom, SystemRandom};
use serde::{Deserialize, Serialize};
use sqlx::PgPool;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// How long a sign-in may take, from the login redirect to the callback.
pub(super) const LOGIN_LIFETIME: Duration = Duration::from_secs(10 * 60);
/// Sealed login cookies longer than this are not even decoded.
const MAX_LOGIN_COOKIE_BYTES: usize = 3 * 1024;
/// Finished sign-ins remembered (by `state`) so a replayed callback is refused here too.
const MAX_USED_STATES: u64 = 100_000;

/// A sign-in started and not yet finished. It lives only in the browser, in the login cookie,
/// sealed with [`LoginCookies`]; the server keeps nothing per pending sign-in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct PendingLogin {
    pub(super) issuer_id: String,
    pub(super) nonce: String,
    /// The PKCE verifier: secret, hence encryption rather than only a signature.
    pub(super) verifier: String,
    pub(super) next: String,
    /// Unix seconds when the sign-in started.
    pub(super) created: u64,
}

/// The login cookie could not be sealed (no randomness); the sign-in is not started.
#[derive(Debug, thiserror::Error)]
#[error("the sign-in state cannot be sealed")]
pub struct SealError;

/// The login cookie's key could not be made or read; the portal does not start.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("the sign-in state cannot be sealed: no randomness for its key")]
    NoRandomness,
    #[error("the login cookie key kept in the shared store is not an AES-256 key")]
    NotAKey,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Seals pending sign-ins into the login cookie with AES-256-GCM. The `state` sent to the
/// provider is the additional data: a cookie opens only with the `state` it was made for.
/// Finished states are remembered for the cookie's lifetime so a callback is used once.
///
/// Running alone, the key is made at start (so a restart ends sign-ins in progress, as sessions
/// end too) and finished states are remembered in memory, bounded: past the bound a new sign-in
/// is never refused, and the provider's one-time codes still refuse a replay. With a shared
/// store the key is made once and kept there, and finished states are kept there, so a
/// sign-in started at one instance can finish at another, and only once.
pub struct LoginCookies {
    key: LessSafeKey,
    rng: SystemRandom,
    used: Used,
}

enum Used {
    Memory(moka::sync::Cache<String, ()>),
    Postgres(PgPool),
}

/// The shared key's name in `portal_keys`.
const KEY_NAME: &str = "login-cookie-aes-256-gcm";

impl LoginCookies {
    pub async fn new(shared: &SharedStore) -> Result<Self, KeyError> {
        let rng = SystemRandom::new();
        let mut key = [0u8; 32];
        rng.fill(&mut key).map_err(|_| KeyError::NoRandomness)?;
        let (key, used) = match shared {
            SharedStore::Alone => (
                key.to_vec(),
                Used::Memory(
                    moka::sync::Cache::builder()
                        .max_capacity(MAX_USED_STATES)
                        .time_to_live(LOGIN_LIFETIME)
                        .build(),
                ),
            ),
            SharedStore::Postgres(pool) => {
                (shared_key(pool, &key).await?, Used::Postgres(pool.clone()))
            }
        };
        let key = UnboundKey::new(&AES_256_GCM, &key).map_err(|_| KeyError::NotAKey)?;
        Ok(Self {
            key: LessSafeKey::new(key),
            rng,
            used,
        })
    }

    /// The cookie value for a sign-in started with `state`.
    pub(super) fn seal(&self, state: &str, login: &PendingLogin) -> Result<String, SealError> {
        let mut nonce = [0u8; NONCE_LEN];
        // Random 96-bit nonces: far below the 2^32 seals per key where they could repeat.
        self.rng.fill(&mut nonce).map_err(|_| SealError)?;
        let mut data = serde_json::to_vec(login).map_err(|_| SealError)?;
        self.key
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(state.as_bytes()),
                &mut data,
            )
            .map_err(|_| SealError)?;
        let mut sealed = nonce.to_vec();
        sealed.extend_from_slice(&data);
        Ok(URL_SAFE_NO_PAD.encode(sealed))
    }

    /// The pending sign-in in `cookie` if it was sealed for `state` (here, or at another
    /// instance sharing the store), is not older than [`LOGIN_LIFETIME`] at `now` (Unix
    /// seconds), and was not finished before. Opening it marks it finished.
    pub(super) async fn open(
        &self,
        state: &str,
        cookie: &str,
        now: u64,
    ) -> Result<Option<PendingLogin>, StoreError> {
        let Some(login) = self.unseal(state, cookie, now) else {
            return Ok(None);
        };
        // Only the first callback for a state gets past this.
        let first = match &self.used {
            Used::Memory(used) => used.entry(state.to_owned()).or_insert(()).is_fresh(),
            Used::Postgres(pool) => first_use(pool, state, now).await?,
        };
        Ok(first.then_some(login))
    }

    /// The pending sign-in sealed in `cookie` for `state`, if it is still fresh at `now`.
    fn unseal(&self, state: &str, cookie: &str, now: u64) -> Option<PendingLogin> {
        if state.is_empty() || cookie.len() > MAX_LOGIN_COOKIE_BYTES {
            return None;
        }
        let sealed = URL_SAFE_NO_PAD.decode(cookie).ok()?;
        if sealed.len() < NONCE_LEN + AES_256_GCM.tag_len() {
            return None;
        }
        let (nonce, data) = sealed.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).ok()?;
        let mut data = data.to_vec();
        let plain = self
            .key
            .open_in_place(nonce, Aad::from(state.as_bytes()), &mut data)
            .ok()?;
        let login: PendingLogin = serde_json::from_slice(plain).ok()?;
        let age = now.checked_sub(login.created)?;
        (age < LOGIN_LIFETIME.as_secs()).then_some(login)
    }
}

/// The key every instance seals with: `candidate` if none was stored yet, else the stored one.
async fn shared_key(pool: &PgPool, candidate: &[u8]) -> Result<Vec<u8>, StoreError> {
    sqlx::query(
        "INSERT INTO portal_keys (name, key) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING",
    )
    .bind(KEY_NAME)
    .bind(candidate)
    .execute(pool)
    .await?;
    Ok(
        sqlx::query_scalar("SELECT key FROM portal_keys WHERE name = $1")
            .bind(KEY_NAME)
            .fetch_one(pool)
            .await?,
    )
}

/// True the first time any instance finishes the sign-in `state`.
async fn first_use(pool: &PgPool, state: &str, now: u64) -> Result<bool, StoreError> {
    let now_ms = (now as i64).saturating_mul(1000);
    if time_to_sweep() {
        sqlx::query("DELETE FROM portal_used_states WHERE expires_ms < $1")
            .bind(now_ms)
            .execute(pool)
            .await?;
    }
    let inserted = sqlx::query(
        "INSERT INTO portal_used_states (state_hash, expires_ms) VALUES ($1, $2) \
         ON CONFLICT (state_hash) DO NOTHING",
    )
    .bind(hashed(&[state]))
    .bind(now_ms + LOGIN_LIFETIME.as_millis() as i64)
    .execute(pool)
    .await?;
    Ok(inserted.rows_affected() == 1)
}

/// Now, in Unix seconds.
pub(super) fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn login(created: u64) -> PendingLogin {
        PendingLogin {
            issuer_id: "demo".into(),
            nonce: "n".repeat(64),
            verifier: "v".repeat(64),
            next: "/record?nhs=9434765919".into(),
            created,
        }
    }

    #[tokio::test]
    async fn login_cookies_open_only_untouched_fresh_for_their_state_and_once() {
        let cookies = LoginCookies::new(&SharedStore::Alone).await.unwrap();
        let now = unix_now();
        let state = "a".repeat(64);
        let good = cookies.seal(&state, &login(now)).unwrap();
        let expired = cookies
            .seal(&state, &login(now - LOGIN_LIFETIME.as_secs()))
            .unwrap();
        let from_the_future = cookies.seal(&state, &login(now + 60)).unwrap();
        let other_key = LoginCookies::new(&SharedStore::Alone)
            .await
            .unwrap()
            .seal(&state, &login(now))
            .unwrap();
        let mut flipped = URL_SAFE_NO_PAD.decode(&good).unwrap();
        let last = flipped.len() - 20;
        flipped[last] ^= 1;
        let flipped = URL_SAFE_NO_PAD.encode(flipped);
        let table: [(&str, &str, String); 9] = [
            ("another sign-in's state", "b", good.clone()),
            ("empty state", "", good.clone()),
            ("tampered ciphertext", &state, flipped),
            ("truncated", &state, good[..20].to_owned()),
            ("not base64", &state, "%%%".to_owned()),
            (
                "the bare state, as the old cookie held",
                &state,
                state.clone(),
            ),
            ("expired", &state, expired),
            ("dated in the future", &state, from_the_future),
            ("sealed by another process", &state, other_key),
        ];
        for (name, state, cookie) in table {
            assert_eq!(cookies.open(state, &cookie, now).await, Ok(None), "{name}");
        }
        assert_eq!(cookies.open(&state, &good, now).await, Ok(Some(login(now))));
        assert_eq!(
            cookies.open(&state, &good, now).await,
            Ok(None),
            "a finished sign-in's cookie does not open again"
        );
        let oversized = "A".repeat(MAX_LOGIN_COOKIE_BYTES + 1);
        assert_eq!(cookies.open("c", &oversized, now).await, Ok(None));
    }
}
