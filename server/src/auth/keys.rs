//! One issuer's metadata and signing keys: found through OpenID Connect discovery (or a
//! configured `jwks_uri`), cached, and refreshed when a token names an unknown key id, at most
//! once per `min_refresh` so a flood of made-up key ids cannot hammer the issuer.

use super::config::IssuerConfig;
use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, Jwk, JwkSet, PublicKeyUse};
use jsonwebtoken::{Algorithm, DecodingKey};
use serde::Deserialize;
use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};
use url::Url;

/// Largest discovery document or JWKS read from an issuer.
const MAX_DOCUMENT_BYTES: usize = 256 * 1024;

/// Why keys or metadata could not be had. Safe to log: it names the issuer, not a user.
#[derive(Debug, Clone, thiserror::Error)]
pub enum KeyError {
    #[error("the identity provider's keys could not be fetched: {0}")]
    Unavailable(String),
    #[error("the token's key id is not among the identity provider's keys")]
    UnknownKey,
}

/// What the portal needs from an issuer's discovery document.
#[derive(Debug, Clone, Deserialize)]
pub struct ProviderMetadata {
    pub issuer: String,
    pub authorization_endpoint: Url,
    pub token_endpoint: Url,
    pub jwks_uri: Url,
    #[serde(default)]
    pub userinfo_endpoint: Option<Url>,
}

/// A verification key and the algorithms it may verify.
pub struct VerifyingKey {
    pub key: DecodingKey,
    pub algorithms: Vec<Algorithm>,
}

pub struct IssuerKeys {
    config: IssuerConfig,
    http: reqwest::Client,
    min_refresh: Duration,
    keys: RwLock<Arc<HashMap<String, Arc<VerifyingKey>>>>,
    /// Held while fetching, so concurrent tokens with a new key id share one fetch; holds the
    /// time of the last attempt.
    refresh: tokio::sync::Mutex<Option<Instant>>,
    metadata: tokio::sync::Mutex<Option<Arc<ProviderMetadata>>>,
}

impl IssuerKeys {
    pub fn new(config: IssuerConfig, http: reqwest::Client, min_refresh: Duration) -> Self {
        Self {
            config,
            http,
            min_refresh,
            keys: RwLock::new(Arc::default()),
            refresh: tokio::sync::Mutex::new(None),
            metadata: tokio::sync::Mutex::new(None),
        }
    }

    pub fn config(&self) -> &IssuerConfig {
        &self.config
    }

    /// The key named `kid`, fetching the JWKS again if it is unknown and the last fetch was
    /// long enough ago.
    pub async fn key(&self, kid: &str) -> Result<Arc<VerifyingKey>, KeyError> {
        if let Some(key) = self.cached(kid) {
            return Ok(key);
        }
        let mut last_attempt = self.refresh.lock().await;
        if let Some(key) = self.cached(kid) {
            return Ok(key);
        }
        if last_attempt.is_some_and(|at| at.elapsed() < self.min_refresh) {
            return Err(KeyError::UnknownKey);
        }
        *last_attempt = Some(Instant::now());
        let fetched = self.fetch_keys().await?;
        *self.keys.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(fetched);
        self.cached(kid).ok_or(KeyError::UnknownKey)
    }

    /// Whether the issuer's keys have been read at least once, reading them now if not (no
    /// more often than a refresh for an unknown key id): the readiness probe's check that
    /// sign-in and bearer tokens can be verified.
    pub async fn keys_read(&self) -> bool {
        let held = || {
            !self
                .keys
                .read()
                .unwrap_or_else(|e| e.into_inner())
                .is_empty()
        };
        if held() {
            return true;
        }
        if let Err(KeyError::Unavailable(why)) = self.key("").await {
            tracing::warn!(issuer = %self.config.id, %why, "the issuer's keys cannot be read");
        }
        held()
    }

    /// The key with this id among the keys held now, without asking the issuer.
    pub(crate) fn cached(&self, kid: &str) -> Option<Arc<VerifyingKey>> {
        let keys = self.keys.read().unwrap_or_else(|e| e.into_inner());
        keys.get(kid).cloned()
    }

    /// The issuer's discovery document, fetched once and kept (a failure is retried next time).
    pub async fn metadata(&self) -> Result<Arc<ProviderMetadata>, KeyError> {
        let mut cached = self.metadata.lock().await;
        if let Some(m) = cached.as_ref() {
            return Ok(m.clone());
        }
        let url = self
            .config
            .discovery_url()
            .ok_or_else(|| KeyError::Unavailable("the issuer is not a URL".into()))?;
        let metadata: ProviderMetadata = self.get_json(url).await?;
        if metadata.issuer != self.config.issuer {
            return Err(KeyError::Unavailable(format!(
                "discovery names issuer {:?}, configured {:?}",
                metadata.issuer, self.config.issuer
            )));
        }
        let metadata = Arc::new(metadata);
        *cached = Some(metadata.clone());
        Ok(metadata)
    }

    async fn fetch_keys(&self) -> Result<HashMap<String, Arc<VerifyingKey>>, KeyError> {
        let jwks_uri = match &self.config.jwks_uri {
            Some(uri) => uri.clone(),
            None => self.metadata().await?.jwks_uri.clone(),
        };
        let set: JwkSet = self.get_json(jwks_uri).await?;
        let keys = verifying_keys(&set.keys);
        tracing::info!(issuer = %self.config.id, keys = keys.len(), "identity provider keys fetched");
        Ok(keys)
    }

    async fn get_json<T: serde::de::DeserializeOwned>(&self, url: Url) -> Result<T, KeyError> {
        let unavailable = |e: &dyn std::fmt::Display| KeyError::Unavailable(format!("{url}: {e}"));
        let response = self
            .http
            .get(url.clone())
            .timeout(Duration::from_secs(10))
            .send()
            .await
            .map_err(|e| unavailable(&e))?;
        if !response.status().is_success() {
            return Err(unavailable(&format!("HTTP {}", response.status())));
        }
        let body = crate::body::read_limited(response, MAX_DOCUMENT_BYTES)
            .await
            .map_err(|e| unavailable(&e))?;
        serde_json::from_slice(&body).map_err(|e| unavailable(&e))
    }
}

/// The usable keys of a JWKS by key id: signature keys only, never symmetric ones, each with
/// the algorithms its type allows (narrowed to its `alg` when the JWKS names one).
fn verifying_keys(jwks: &[Jwk]) -> HashMap<String, Arc<VerifyingKey>> {
    jwks.iter()
        .filter_map(|jwk| {
            let kid = jwk.common.key_id.clone()?;
            if matches!(jwk.common.public_key_use, Some(ref u) if *u != PublicKeyUse::Signature) {
                return None;
            }
            let mut algorithms = match &jwk.algorithm {
                AlgorithmParameters::RSA(_) => vec![
                    Algorithm::RS256,
                    Algorithm::RS384,
                    Algorithm::RS512,
                    Algorithm::PS256,
                    Algorithm::PS384,
                    Algorithm::PS512,
                ],
                AlgorithmParameters::EllipticCurve(ec) => match ec.curve {
                    EllipticCurve::P256 => vec![Algorithm::ES256],
                    EllipticCurve::P384 => vec![Algorithm::ES384],
                    _ => return None,
                },
                AlgorithmParameters::OctetKeyPair(okp) if okp.curve == EllipticCurve::Ed25519 => {
                    vec![Algorithm::EdDSA]
                }
                _ => return None,
            };
            if let Some(declared) = jwk.common.key_algorithm {
                let declared = Algorithm::try_from(declared).ok()?;
                algorithms.retain(|a| *a == declared);
            }
            let key = DecodingKey::from_jwk(jwk).ok()?;
            Some((kid, Arc::new(VerifyingKey { key, algorithms })))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn symmetric_encryption_and_unnamed_keys_are_not_used() {
        let set: JwkSet = serde_json::from_value(serde_json::json!({"keys": [
            {"kty": "oct", "kid": "hmac", "k": "c2VjcmV0"},
            {"kty": "EC", "kid": "enc", "use": "enc", "crv": "P-256",
             "x": "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
             "y": "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"},
            {"kty": "EC", "crv": "P-256",
             "x": "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
             "y": "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"},
            {"kty": "EC", "kid": "ec", "use": "sig", "crv": "P-256",
             "x": "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
             "y": "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}
        ]}))
        .unwrap();
        let keys = verifying_keys(&set.keys);
        assert_eq!(keys.keys().collect::<Vec<_>>(), vec!["ec"]);
        assert_eq!(keys["ec"].algorithms, vec![Algorithm::ES256]);
    }
}
