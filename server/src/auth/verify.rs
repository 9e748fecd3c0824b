//! Verifying a JWT from one of the trusted issuers: size, header, issuer, algorithm (configured
//! asymmetric ones only, matching the key's type), key id, signature, then `iss`, `aud`, `exp`,
//! `nbf` with a small leeway. Every refusal is a [`TokenError`], answered with 401.

use super::config::IdentityConfig;
use super::keys::{IssuerKeys, KeyError};
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, Validation};
use serde::Deserialize;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

/// Why a token was refused. Messages are safe to return to the caller: they say what is wrong
/// with the token, never anything about a user or a key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("the token is longer than {0} bytes")]
    TooLarge(usize),
    #[error("the token is not a well-formed JWT")]
    Malformed,
    #[error("the token's issuer is not trusted")]
    UnknownIssuer,
    #[error("the token's signing algorithm is not allowed")]
    AlgorithmNotAllowed,
    #[error("the token has no key id")]
    NoKeyId,
    #[error("the token's key id is not among the issuer's keys")]
    UnknownKey,
    #[error("the issuer's keys are unavailable; try again shortly")]
    KeysUnavailable,
    #[error("the token's signature is not valid")]
    BadSignature,
    #[error("the token has expired")]
    Expired,
    #[error("the token is not valid yet")]
    NotYetValid,
    #[error("the token is not for this portal (audience)")]
    WrongAudience,
    #[error("the token's issuer does not match")]
    WrongIssuer,
    #[error("the token lacks the {0} claim")]
    MissingClaim(String),
}

/// A CIS2-style national RBAC role entry (`nhsid_nrbac_roles`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct NrbacRole {
    #[serde(default)]
    pub person_roleid: Option<String>,
    #[serde(default)]
    pub org_code: Option<String>,
    /// `S…:G…:R…`; the R segment is the access role.
    pub role_code: String,
}

/// The claims the portal reads from a verified token.
#[derive(Debug, Clone, Deserialize)]
pub struct Claims {
    pub iss: String,
    pub sub: String,
    #[serde(default)]
    pub nonce: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    /// The CIS2 user id, preferred over `sub` when present.
    #[serde(default)]
    pub nhsid_useruid: Option<String>,
    #[serde(default)]
    pub selected_roleid: Option<String>,
    #[serde(default)]
    pub nhsid_nrbac_roles: Vec<NrbacRole>,
    /// Everything else, for the configurable role claim.
    #[serde(flatten)]
    pub other: serde_json::Map<String, serde_json::Value>,
}

impl Claims {
    pub fn user_id(&self) -> &str {
        self.nhsid_useruid.as_deref().unwrap_or(&self.sub)
    }
}

/// A token that passed every check, and which configured issuer vouched for it.
#[derive(Debug, Clone)]
pub struct Verified {
    pub issuer_id: String,
    pub claims: Claims,
}

pub struct Verifier {
    issuers: Vec<Arc<IssuerKeys>>,
    leeway: Duration,
    max_bytes: usize,
}

impl Verifier {
    pub fn new(config: &IdentityConfig, http: reqwest::Client) -> Self {
        let min_refresh = Duration::from_secs(config.jwks_min_refresh_seconds);
        Self {
            issuers: config
                .issuers
                .iter()
                .map(|i| Arc::new(IssuerKeys::new(i.clone(), http.clone(), min_refresh)))
                .collect(),
            leeway: config.leeway(),
            max_bytes: config.max_token_bytes,
        }
    }

    /// The configured issuer with this id.
    pub fn issuer(&self, id: &str) -> Option<&Arc<IssuerKeys>> {
        self.issuers.iter().find(|i| i.config().id == id)
    }

    pub fn issuers(&self) -> &[Arc<IssuerKeys>] {
        &self.issuers
    }

    /// Checks `token` completely; nothing about it is trusted until this returns `Ok`.
    pub async fn verify(&self, token: &str) -> Result<Verified, TokenError> {
        if token.len() > self.max_bytes {
            return Err(TokenError::TooLarge(self.max_bytes));
        }
        let header = jsonwebtoken::decode_header(token).map_err(|e| match e.kind() {
            ErrorKind::InvalidAlgorithmName | ErrorKind::UnsupportedAlgorithm => {
                TokenError::AlgorithmNotAllowed
            }
            _ => TokenError::Malformed,
        })?;
        // The unverified `iss` only chooses whose keys to try; it is checked again below.
        #[derive(Deserialize)]
        struct Issuer {
            iss: String,
        }
        let claimed = jsonwebtoken::dangerous::insecure_decode_claims::<Issuer>(token)
            .map_err(|_| TokenError::Malformed)?;
        let issuer = self
            .issuers
            .iter()
            .find(|i| i.config().issuer == claimed.iss)
            .ok_or(TokenError::UnknownIssuer)?;
        let config = issuer.config();
        let allowed = config
            .algorithms
            .iter()
            .filter_map(|a| Algorithm::from_str(a).ok())
            .any(|a| a == header.alg);
        if !allowed {
            return Err(TokenError::AlgorithmNotAllowed);
        }
        let kid = header.kid.as_deref().ok_or(TokenError::NoKeyId)?;
        let key = issuer.key(kid).await.map_err(|e| match e {
            KeyError::UnknownKey => TokenError::UnknownKey,
            KeyError::Unavailable(why) => {
                tracing::warn!(issuer = %config.id, %why, "cannot verify tokens");
                TokenError::KeysUnavailable
            }
        })?;
        if !key.algorithms.contains(&header.alg) {
            return Err(TokenError::AlgorithmNotAllowed);
        }

        let mut validation = Validation::new(header.alg);
        validation.leeway = self.leeway.as_secs();
        validation.validate_nbf = true;
        validation.set_issuer(&[config.issuer.as_str()]);
        validation.set_audience(&config.audiences());
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        let data =
            jsonwebtoken::decode::<Claims>(token, &key.key, &validation).map_err(|e| {
                match e.into_kind() {
                    ErrorKind::InvalidSignature => TokenError::BadSignature,
                    ErrorKind::ExpiredSignature => TokenError::Expired,
                    ErrorKind::ImmatureSignature => TokenError::NotYetValid,
                    ErrorKind::InvalidAudience => TokenError::WrongAudience,
                    ErrorKind::InvalidIssuer => TokenError::WrongIssuer,
                    ErrorKind::MissingRequiredClaim(claim) => TokenError::MissingClaim(claim),
                    ErrorKind::InvalidAlgorithm => TokenError::AlgorithmNotAllowed,
                    _ => TokenError::Malformed,
                }
            })?;
        Ok(Verified {
            issuer_id: config.id.clone(),
            claims: data.claims,
        })
    }
}
