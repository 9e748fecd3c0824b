//! Verifying a JWT from one of the trusted issuers: size, header (`typ` for its use, no `crit`),
//! issuer, algorithm (configured asymmetric ones only, matching the key's type), key id,
//! signature, then `iss`, `aud` (and `azp` when there are several), `exp` (not beyond the
//! maximum lifetime), `nbf` with a small leeway, a non-empty `sub`. Every refusal is a
//! [`TokenError`], answered with 401. A bearer token that passed is remembered (by its
//! SHA-256) until it expires, so an API client's next call costs a hash, not a signature
//! check ([`Remembered`]).

use super::config::IdentityConfig;
use super::keys::{IssuerKeys, KeyError, VerifyingKey};
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, Validation};
use serde::Deserialize;
use sha2::{Digest, Sha256};
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
    #[error("the token's type (typ) is not accepted here")]
    WrongType,
    #[error("the token has critical header parameters (crit) this portal does not understand")]
    CriticalHeader,
    #[error("the token expires too far ahead (more than {0} seconds)")]
    LifetimeTooLong(u64),
    #[error("the token was issued to another client (azp)")]
    WrongParty,
}

/// What a token is presented as: the ID token of a browser sign-in, or a bearer token at the
/// JSON API. An ID token must not work as a bearer token, nor the other way round.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenUse {
    IdToken,
    Bearer,
}

/// Claims only ID tokens carry (OpenID Connect Core 1.0, section 2 and 3.3.2.11).
const ID_TOKEN_CLAIMS: [&str; 3] = ["nonce", "at_hash", "c_hash"];

/// Whether a header `typ` fits the use. Bearer tokens: RFC 9068 `at+jwt`, or a plain `JWT` (or
/// none) without ID-token claims; ID tokens: `JWT` or none.
fn typ_allowed(typ: Option<&str>, token_use: TokenUse, id_token_claims: bool) -> bool {
    let typ = typ.map(str::to_ascii_lowercase);
    match (typ.as_deref(), token_use) {
        (None | Some("jwt"), TokenUse::IdToken) => true,
        (Some("at+jwt" | "application/at+jwt"), TokenUse::Bearer) => true,
        (None | Some("jwt"), TokenUse::Bearer) => !id_token_claims,
        _ => false,
    }
}

/// The checks `jsonwebtoken` does not make, on verified claims: a non-empty `sub`, `exp` within
/// the maximum lifetime from `now`, `azp` (required when `aud` has several values), and `typ`
/// against ID-token claims.
fn check_claims(
    claims: &Claims,
    typ: Option<&str>,
    token_use: TokenUse,
    limits: (&[String], &str, u64),
    now: u64,
) -> Result<(), TokenError> {
    let (audiences, client_id, max_exp) = limits;
    if claims.sub.trim().is_empty() {
        return Err(TokenError::MissingClaim("sub".into()));
    }
    let exp = claims
        .other
        .get("exp")
        .and_then(|v| v.as_f64())
        .unwrap_or(f64::MAX);
    if exp > (now + max_exp) as f64 {
        return Err(TokenError::LifetimeTooLong(max_exp));
    }
    let several_audiences = claims
        .other
        .get("aud")
        .and_then(|a| a.as_array())
        .is_some_and(|a| a.len() > 1);
    let azp = claims.other.get("azp").map(|v| v.as_str());
    match (azp, token_use) {
        (Some(None), _) => return Err(TokenError::WrongParty),
        (None, _) if several_audiences => return Err(TokenError::WrongParty),
        (Some(Some(azp)), TokenUse::IdToken) if azp != client_id => {
            return Err(TokenError::WrongParty)
        }
        (Some(Some(azp)), TokenUse::Bearer)
            if several_audiences && !audiences.iter().any(|a| a == azp) =>
        {
            return Err(TokenError::WrongParty)
        }
        _ => {}
    }
    let id_token_claims = claims.nonce.is_some()
        || ID_TOKEN_CLAIMS
            .iter()
            .any(|name| claims.other.contains_key(*name));
    if !typ_allowed(typ, token_use, id_token_claims) {
        return Err(TokenError::WrongType);
    }
    Ok(())
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
    max_lifetime: Duration,
    /// Bearer tokens that passed, by the SHA-256 of the token.
    remembered: moka::sync::Cache<[u8; 32], Arc<Remembered>>,
}

/// Most verified bearer tokens remembered at once (each about a kilobyte).
const REMEMBERED_TOKENS: u64 = 50_000;

/// A bearer token that passed every check, with what its verification rested on: it is good
/// again only until its `exp` (with the leeway), and only while the issuer still holds the very
/// key that verified it, so a key dropped from the issuer's JWKS stops its tokens exactly when
/// it would stop them unremembered. Nothing else about a passed token changes with time: `nbf`
/// has passed, and the lifetime limit only tightens as `exp` nears.
struct Remembered {
    verified: Verified,
    issuer: usize,
    kid: String,
    key: Arc<VerifyingKey>,
    /// `exp` plus the leeway, in seconds since the epoch.
    good_until: u64,
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
            max_lifetime: Duration::from_secs(config.max_token_lifetime_s),
            remembered: moka::sync::Cache::builder()
                .max_capacity(REMEMBERED_TOKENS)
                .time_to_live(Duration::from_secs(
                    config.max_token_lifetime_s + config.leeway().as_secs() + 1,
                ))
                .build(),
        }
    }

    /// A bearer token verified before, if it is still good now (see [`Remembered`]).
    fn recall(&self, digest: &[u8; 32]) -> Option<Verified> {
        let remembered = self.remembered.get(digest)?;
        let now = jsonwebtoken::get_current_timestamp();
        let key_held = self
            .issuers
            .get(remembered.issuer)
            .and_then(|issuer| issuer.cached(&remembered.kid))
            .is_some_and(|key| Arc::ptr_eq(&key, &remembered.key));
        if now <= remembered.good_until && key_held {
            Some(remembered.verified.clone())
        } else {
            self.remembered.invalidate(digest);
            None
        }
    }

    /// The configured issuer with this id.
    pub fn issuer(&self, id: &str) -> Option<&Arc<IssuerKeys>> {
        self.issuers.iter().find(|i| i.config().id == id)
    }

    pub fn issuers(&self) -> &[Arc<IssuerKeys>] {
        &self.issuers
    }

    /// Checks `token`, presented as `token_use`, completely; nothing about it is trusted until
    /// this returns `Ok`.
    pub async fn verify(&self, token: &str, token_use: TokenUse) -> Result<Verified, TokenError> {
        if token.len() > self.max_bytes {
            return Err(TokenError::TooLarge(self.max_bytes));
        }
        if token_use != TokenUse::Bearer {
            return self.verify_fully(token, token_use).await.map(|(v, _)| v);
        }
        let digest: [u8; 32] = Sha256::digest(token.as_bytes()).into();
        if let Some(verified) = self.recall(&digest) {
            return Ok(verified);
        }
        let (verified, remembered) = self.verify_fully(token, token_use).await?;
        self.remembered.insert(digest, Arc::new(remembered));
        Ok(verified)
    }

    /// Every check, with what the verification rested on.
    async fn verify_fully(
        &self,
        token: &str,
        token_use: TokenUse,
    ) -> Result<(Verified, Remembered), TokenError> {
        let header = jsonwebtoken::decode_header(token).map_err(|e| match e.kind() {
            ErrorKind::InvalidAlgorithmName | ErrorKind::UnsupportedAlgorithm => {
                TokenError::AlgorithmNotAllowed
            }
            _ => TokenError::Malformed,
        })?;
        // No extension is understood here, so any critical one refuses the token (RFC 7515
        // section 4.1.11).
        if header.crit.is_some() {
            return Err(TokenError::CriticalHeader);
        }
        if !typ_allowed(header.typ.as_deref(), token_use, false) {
            return Err(TokenError::WrongType);
        }
        // The unverified `iss` only chooses whose keys to try; it is checked again below. The
        // claims must be a JSON object (RFC 7519): an array would otherwise be read as a
        // struct by position and reach the issuer's keys.
        let claimed = jsonwebtoken::dangerous::insecure_decode_claims::<
            serde_json::Map<String, serde_json::Value>,
        >(token)
        .map_err(|_| TokenError::Malformed)?;
        let iss = claimed.get("iss").and_then(|v| v.as_str());
        let iss = iss.ok_or(TokenError::Malformed)?;
        let (issuer_index, issuer) = self
            .issuers
            .iter()
            .enumerate()
            .find(|(_, i)| i.config().issuer == iss)
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
        let now = jsonwebtoken::get_current_timestamp();
        let max_exp = self.max_lifetime.as_secs() + self.leeway.as_secs();
        check_claims(
            &data.claims,
            header.typ.as_deref(),
            token_use,
            (
                config.audiences().as_slice(),
                config.client_id.as_str(),
                max_exp,
            ),
            now,
        )?;
        let exp = data.claims.other.get("exp").and_then(|v| v.as_u64());
        let verified = Verified {
            issuer_id: config.id.clone(),
            claims: data.claims,
        };
        let remembered = Remembered {
            verified: verified.clone(),
            issuer: issuer_index,
            kid: kid.to_owned(),
            key,
            // `exp` is required above; a fractional one is remembered not at all.
            good_until: exp.map_or(0, |exp| exp + self.leeway.as_secs()),
        };
        Ok((verified, remembered))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn claims(changes: serde_json::Value) -> Claims {
        let mut base =
            json!({"iss": "https://idp", "sub": "u1", "aud": "portal", "exp": 1_000_300});
        for (k, v) in changes.as_object().unwrap() {
            if v.is_null() {
                base.as_object_mut().unwrap().remove(k);
            } else {
                base[k] = v.clone();
            }
        }
        serde_json::from_value(base).unwrap()
    }

    #[test]
    fn claims_and_typ_for_each_use() {
        use TokenUse::{Bearer, IdToken};
        let audiences = ["portal".to_owned(), "portal-api".to_owned()];
        let limits = (&audiences[..], "portal", 3600);
        let now = 1_000_000;
        let table = [
            ("plain bearer", json!({}), Some("JWT"), Bearer, Ok(())),
            (
                "plain ID token",
                json!({"nonce": "n"}),
                Some("JWT"),
                IdToken,
                Ok(()),
            ),
            (
                "ID token, no typ",
                json!({"nonce": "n"}),
                None,
                IdToken,
                Ok(()),
            ),
            (
                "ID token as bearer",
                json!({"nonce": "n"}),
                Some("JWT"),
                Bearer,
                Err(TokenError::WrongType),
            ),
            (
                "ID token (c_hash) as bearer",
                json!({"c_hash": "h"}),
                None,
                Bearer,
                Err(TokenError::WrongType),
            ),
            (
                "access token as ID token",
                json!({"nonce": "n"}),
                Some("at+jwt"),
                IdToken,
                Err(TokenError::WrongType),
            ),
            (
                "access token typ",
                json!({}),
                Some("AT+JWT"),
                Bearer,
                Ok(()),
            ),
            (
                "other typ",
                json!({}),
                Some("secevent+jwt"),
                Bearer,
                Err(TokenError::WrongType),
            ),
            (
                "empty sub",
                json!({"sub": ""}),
                None,
                Bearer,
                Err(TokenError::MissingClaim("sub".into())),
            ),
            (
                "exp at the bound",
                json!({"exp": now + 3600}),
                None,
                Bearer,
                Ok(()),
            ),
            (
                "exp past the bound",
                json!({"exp": now + 3601}),
                None,
                Bearer,
                Err(TokenError::LifetimeTooLong(3600)),
            ),
            (
                "ID token for another client",
                json!({"nonce": "n", "azp": "other"}),
                None,
                IdToken,
                Err(TokenError::WrongParty),
            ),
            (
                "ID token, azp the client",
                json!({"nonce": "n", "azp": "portal"}),
                None,
                IdToken,
                Ok(()),
            ),
            (
                "ID token, several audiences, no azp",
                json!({"nonce": "n", "aud": ["portal", "x"]}),
                None,
                IdToken,
                Err(TokenError::WrongParty),
            ),
            (
                "ID token, azp an API audience",
                json!({"nonce": "n", "aud": ["portal", "portal-api"], "azp": "portal-api"}),
                None,
                IdToken,
                Err(TokenError::WrongParty),
            ),
            (
                "bearer, several audiences, azp ours",
                json!({"aud": ["portal-api", "x"], "azp": "portal-api"}),
                None,
                Bearer,
                Ok(()),
            ),
            (
                "bearer, several audiences, azp theirs",
                json!({"aud": ["portal-api", "x"], "azp": "x"}),
                None,
                Bearer,
                Err(TokenError::WrongParty),
            ),
            (
                "bearer, one audience, azp the calling client",
                json!({"azp": "caller"}),
                None,
                Bearer,
                Ok(()),
            ),
            (
                "bearer, one audience in a list, no azp",
                json!({"aud": ["portal"]}),
                None,
                Bearer,
                Ok(()),
            ),
        ];
        for (name, changes, typ, token_use, expected) in table {
            let got = check_claims(&claims(changes), typ, token_use, limits, now);
            assert_eq!(got, expected, "{name}");
        }
    }
}
