//! How the portal signs in to a source: not at all, with a static bearer token, with an OAuth2
//! client-credentials token, or with a SMART Backend Services token got by a signed JWT client
//! assertion (RS384 or ES384). Tokens are cached, renewed shortly before they expire and fetched
//! once for all concurrent lookups. Secrets and tokens never reach logs or error messages.

use crate::secret::SecretError;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use reqwest::header::{HeaderValue, ACCEPT};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use url::Url;

/// Sources' tokens and client secrets are config secrets.
pub use crate::secret::Secret;

/// Tokens are renewed at least this long before they expire (see [`renew_margin`]).
const MIN_RENEW_MARGIN: Duration = Duration::from_secs(30);
/// Lifetime assumed when the token endpoint gives no `expires_in`.
const DEFAULT_LIFETIME: Duration = Duration::from_secs(300);
/// Longest a token is reused, whatever its `expires_in` claims.
const MAX_LIFETIME: Duration = Duration::from_secs(24 * 60 * 60);
/// How long a client assertion is valid: SMART allows at most five minutes; the fifth is left
/// for a clock running ahead of the authorisation server's.
const ASSERTION_LIFETIME: Duration = Duration::from_secs(240);
/// Largest token endpoint reply read; real ones are a few hundred bytes.
const MAX_REPLY_BYTES: usize = 64 * 1024;
const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// How a SMART client assertion is signed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum SigningAlgorithm {
    RS384,
    ES384,
}

impl From<SigningAlgorithm> for Algorithm {
    fn from(algorithm: SigningAlgorithm) -> Self {
        match algorithm {
            SigningAlgorithm::RS384 => Algorithm::RS384,
            SigningAlgorithm::ES384 => Algorithm::ES384,
        }
    }
}

/// A source's `auth` table; `type` picks the variant.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case", deny_unknown_fields)]
pub enum AuthConfig {
    #[default]
    None,
    /// A static bearer token.
    Bearer { token: Secret },
    /// OAuth2 client credentials grant (RFC 6749 §4.4); the client secret is sent with HTTP
    /// Basic, as given (not form-encoded first).
    ClientCredentials {
        token_url: Url,
        client_id: String,
        client_secret: Secret,
        /// Left out of the request when absent, so the server grants its default scope.
        #[serde(default)]
        scope: Option<String>,
    },
    /// SMART Backend Services: client credentials proven by a JWT signed with our private key,
    /// whose public key the server holds (by `key_id`).
    SmartBackend {
        token_url: Url,
        client_id: String,
        /// PKCS#8 PEM private key (PKCS#1 is also accepted for RSA), read at start-up.
        private_key_path: PathBuf,
        algorithm: SigningAlgorithm,
        key_id: String,
        scope: String,
    },
}

impl AuthConfig {
    /// What is wrong with this table, one message per problem, each naming its key.
    pub fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        match self {
            Self::None => {}
            Self::Bearer { token } => problems.extend(token.problem("auth.token")),
            Self::ClientCredentials {
                token_url,
                client_id,
                client_secret,
                scope,
            } => {
                check_token_url(token_url, &mut problems);
                check_filled("client_id", client_id, &mut problems);
                if client_id.contains(':') {
                    problems.push("auth.client_id cannot contain ':' (HTTP Basic)".to_owned());
                }
                problems.extend(client_secret.problem("auth.client_secret"));
                if scope.as_deref().is_some_and(|s| s.trim().is_empty()) {
                    problems.push("auth.scope must not be empty (leave it out instead)".to_owned());
                }
            }
            Self::SmartBackend {
                token_url,
                client_id,
                private_key_path,
                algorithm: _,
                key_id,
                scope,
            } => {
                check_token_url(token_url, &mut problems);
                check_filled("client_id", client_id, &mut problems);
                if private_key_path.as_os_str().is_empty() {
                    problems.push("auth.private_key_path must not be empty".to_owned());
                }
                check_filled("key_id", key_id, &mut problems);
                check_filled("scope", scope, &mut problems);
            }
        }
        problems
    }
}

fn check_token_url(url: &Url, problems: &mut Vec<String>) {
    if !matches!(url.scheme(), "http" | "https") {
        problems.push("auth.token_url must be an http(s) URL".to_owned());
    }
    if url.fragment().is_some() {
        problems.push("auth.token_url must not have a #fragment".to_owned());
    }
}

fn check_filled(key: &str, value: &str, problems: &mut Vec<String>) {
    if value.trim().is_empty() {
        problems.push(format!("auth.{key} must not be empty"));
    }
}

/// Why a source could not be signed in to. Safe to show staff: no secrets, no tokens.
#[derive(Debug, Clone, thiserror::Error)]
pub enum AuthError {
    #[error(transparent)]
    Env(#[from] SecretError),
    #[error("cannot use the private key {path}: {reason}")]
    Key { path: String, reason: String },
    #[error("the configured bearer token cannot be sent in an HTTP header (a stray newline?)")]
    UnsendableToken,
    #[error("token endpoint could not be reached: {0}")]
    Unreachable(&'static str),
    #[error("token endpoint refused: HTTP {status}{}", oauth_suffix(.oauth_error))]
    Refused {
        status: u16,
        /// The OAuth2 `error` code (`invalid_client`, `invalid_scope`...), when one was given.
        oauth_error: Option<String>,
    },
    #[error("token endpoint's HTTP {status} reply is unusable: {problem}")]
    BadReply { status: u16, problem: &'static str },
    #[error("could not sign the client assertion")]
    Signing,
}

fn oauth_suffix(code: &Option<String>) -> String {
    code.as_deref()
        .map(|c| format!(" ({c})"))
        .unwrap_or_default()
}

/// Signs the portal in to one source.
pub struct SourceAuth {
    method: Method,
    http: reqwest::Client,
    cache: RwLock<Cache>,
    /// Held by the one lookup asking the token endpoint; the others wait for its outcome.
    fetching: tokio::sync::Mutex<()>,
}

enum Method {
    None,
    Static(HeaderValue),
    Endpoint(TokenEndpoint),
}

struct TokenEndpoint {
    url: Url,
    client_id: String,
    scope: Option<String>,
    credential: Credential,
}

enum Credential {
    /// Client secret, sent with HTTP Basic.
    Secret(String),
    /// Private key, its algorithm and id, for SMART client assertions.
    Assertion {
        key: EncodingKey,
        algorithm: SigningAlgorithm,
        key_id: String,
    },
}

#[derive(Default)]
struct Cache {
    token: Option<Token>,
    /// Token requests finished so far: a lookup that waited tells by it that another's finished.
    fetches: u64,
    /// Why the latest token request failed, for the lookups that waited on it.
    failure: Option<AuthError>,
}

struct Token {
    header: HeaderValue,
    renew_at: Instant,
    expires_at: Instant,
}

impl Cache {
    fn fresh(&self, now: Instant) -> Option<HeaderValue> {
        let token = self.token.as_ref().filter(|t| now < t.renew_at)?;
        Some(token.header.clone())
    }

    /// After a failed renewal: the old token while it has not expired, else the failure.
    fn fallback(&self, now: Instant, failure: AuthError) -> Result<HeaderValue, AuthError> {
        let token = self.token.as_ref().filter(|t| now < t.expires_at);
        token.map(|t| t.header.clone()).ok_or(failure)
    }
}

impl SourceAuth {
    /// Reads `env:` secrets and the private key now, and signs a trial assertion, so a missing
    /// secret or bad key stops start-up rather than failing the first lookup.
    pub fn new(config: &AuthConfig, http: reqwest::Client) -> Result<Self, AuthError> {
        let method = match config {
            AuthConfig::None => Method::None,
            AuthConfig::Bearer { token } => {
                Method::Static(bearer(&token.reveal()?).ok_or(AuthError::UnsendableToken)?)
            }
            AuthConfig::ClientCredentials {
                token_url,
                client_id,
                client_secret,
                scope,
            } => Method::Endpoint(TokenEndpoint {
                url: token_url.clone(),
                client_id: client_id.clone(),
                scope: scope.clone(),
                credential: Credential::Secret(client_secret.reveal()?),
            }),
            AuthConfig::SmartBackend {
                token_url,
                client_id,
                private_key_path,
                algorithm,
                key_id,
                scope,
            } => Method::Endpoint(TokenEndpoint {
                url: token_url.clone(),
                client_id: client_id.clone(),
                scope: Some(scope.clone()),
                credential: Credential::Assertion {
                    key: load_signing_key(private_key_path, *algorithm)?,
                    algorithm: *algorithm,
                    key_id: key_id.clone(),
                },
            }),
        };
        Ok(Self {
            method,
            http,
            cache: RwLock::default(),
            fetching: tokio::sync::Mutex::new(()),
        })
    }

    /// The `Authorization` header to send (`Bearer <token>`, marked sensitive), or `None` for a
    /// source that needs none. A cached token is returned without waiting; otherwise one lookup
    /// asks the token endpoint and concurrent ones share its answer, success or failure. When a
    /// renewal fails, the old token is used until it really expires.
    pub async fn authorization(&self) -> Result<Option<HeaderValue>, AuthError> {
        let endpoint = match &self.method {
            Method::None => return Ok(None),
            Method::Static(header) => return Ok(Some(header.clone())),
            Method::Endpoint(endpoint) => endpoint,
        };
        let seen = {
            let cache = self.read();
            if let Some(header) = cache.fresh(Instant::now()) {
                return Ok(Some(header));
            }
            cache.fetches
        };
        let _fetching = self.fetching.lock().await;
        {
            let cache = self.read();
            let now = Instant::now();
            if let Some(header) = cache.fresh(now) {
                return Ok(Some(header));
            }
            if let (true, Some(failure)) = (cache.fetches != seen, &cache.failure) {
                return cache.fallback(now, failure.clone()).map(Some);
            }
        }
        let outcome = endpoint.fetch(&self.http).await;
        let mut cache = self.write();
        cache.fetches += 1;
        match outcome {
            Ok(token) => {
                let header = token.header.clone();
                cache.token = Some(token);
                cache.failure = None;
                Ok(Some(header))
            }
            Err(error) => {
                cache.failure = Some(error.clone());
                cache.fallback(Instant::now(), error).map(Some)
            }
        }
    }

    /// Forgets the cached token (after the source answered 401), so the next call fetches one.
    pub fn invalidate(&self) {
        self.write().token = None;
    }

    /// True when tokens come from a token endpoint, so a 401 may be cured by a new one.
    pub fn is_token_based(&self) -> bool {
        matches!(self.method, Method::Endpoint(_))
    }

    // The cache is a plain value, replaced whole: a panic elsewhere cannot leave it half-written.
    fn read(&self) -> RwLockReadGuard<'_, Cache> {
        self.cache.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn write(&self) -> RwLockWriteGuard<'_, Cache> {
        self.cache.write().unwrap_or_else(PoisonError::into_inner)
    }
}

impl fmt::Debug for SourceAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match &self.method {
            Method::None => "none",
            Method::Static(_) => "bearer",
            Method::Endpoint(e) => match e.credential {
                Credential::Secret(_) => "client-credentials",
                Credential::Assertion { .. } => "smart-backend",
            },
        };
        f.debug_struct("SourceAuth")
            .field("type", &kind)
            .finish_non_exhaustive()
    }
}

/// How long before expiry a token is renewed: a tenth of its lifetime but at least 30 s, so a
/// lookup never sets out with a token about to lapse; at most half its lifetime, so a
/// short-lived token is still reused.
fn renew_margin(lifetime: Duration) -> Duration {
    (lifetime / 10).max(MIN_RENEW_MARGIN).min(lifetime / 2)
}

fn bearer(token: &str) -> Option<HeaderValue> {
    if token.is_empty() {
        return None;
    }
    let mut value = HeaderValue::from_str(&format!("Bearer {token}")).ok()?;
    value.set_sensitive(true);
    Some(value)
}

/// Reads and checks a private key. Parsing the PEM does not check the key itself (an RSA public
/// key passes, an RSA key for ES384 too), so it also signs once.
fn load_signing_key(path: &Path, algorithm: SigningAlgorithm) -> Result<EncodingKey, AuthError> {
    let error = |reason: String| AuthError::Key {
        path: path.display().to_string(),
        reason,
    };
    let unusable = |_: jsonwebtoken::errors::Error| {
        error(format!("not a PEM private key that can sign {algorithm:?}"))
    };
    let pem = std::fs::read(path).map_err(|e| error(e.to_string()))?;
    let key = match algorithm {
        SigningAlgorithm::RS384 => EncodingKey::from_rsa_pem(&pem),
        SigningAlgorithm::ES384 => EncodingKey::from_ec_pem(&pem),
    }
    .map_err(unusable)?;
    let trial = Header::new(algorithm.into());
    jsonwebtoken::encode(&trial, &serde_json::json!({}), &key).map_err(unusable)?;
    Ok(key)
}

#[derive(Serialize)]
struct AssertionClaims<'a> {
    iss: &'a str,
    sub: &'a str,
    aud: &'a str,
    exp: u64,
    iat: u64,
    jti: String,
}

#[derive(Deserialize)]
struct TokenReply {
    access_token: String,
    token_type: String,
    #[serde(default)]
    expires_in: Option<u64>,
}

impl TokenEndpoint {
    async fn fetch(&self, http: &reqwest::Client) -> Result<Token, AuthError> {
        let mut form = vec![("grant_type", "client_credentials".to_owned())];
        if let Some(scope) = &self.scope {
            form.push(("scope", scope.clone()));
        }
        let mut request = http
            .post(self.url.clone())
            .header(ACCEPT, "application/json");
        match &self.credential {
            Credential::Secret(secret) => {
                request = request.basic_auth(&self.client_id, Some(secret));
            }
            Credential::Assertion {
                key,
                algorithm,
                key_id,
            } => {
                let assertion = self.client_assertion(key, *algorithm, key_id)?;
                form.push(("client_assertion_type", JWT_BEARER.to_owned()));
                form.push(("client_assertion", assertion));
            }
        }
        let asked = Instant::now();
        let response = request.form(&form).send().await.map_err(unreachable)?;
        let (status, body) = read_reply(response).await?;
        if !(200..300).contains(&status) {
            return Err(AuthError::Refused {
                status,
                oauth_error: oauth_error_code(&body),
            });
        }
        parse_token(status, &body, asked)
    }

    /// iss = sub = client id, aud = token URL, a few minutes' validity, a random `jti`; the
    /// header names the key (`kid`).
    fn client_assertion(
        &self,
        key: &EncodingKey,
        algorithm: SigningAlgorithm,
        key_id: &str,
    ) -> Result<String, AuthError> {
        let mut header = Header::new(algorithm.into());
        header.kid = Some(key_id.to_owned());
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_err(|_| AuthError::Signing)?
            .as_secs();
        let claims = AssertionClaims {
            iss: &self.client_id,
            sub: &self.client_id,
            aud: self.url.as_str(),
            exp: now + ASSERTION_LIFETIME.as_secs(),
            iat: now,
            jti: format!("{:032x}", rand::random::<u128>()),
        };
        jsonwebtoken::encode(&header, &claims, key).map_err(|_| AuthError::Signing)
    }
}

fn unreachable(error: reqwest::Error) -> AuthError {
    AuthError::Unreachable(if error.is_timeout() {
        "timed out"
    } else if error.is_connect() {
        "connection failed"
    } else {
        "request failed"
    })
}

async fn read_reply(mut response: reqwest::Response) -> Result<(u16, Vec<u8>), AuthError> {
    let status = response.status().as_u16();
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(unreachable)? {
        if body.len() + chunk.len() > MAX_REPLY_BYTES {
            let problem = "larger than 64 KiB";
            return Err(AuthError::BadReply { status, problem });
        }
        body.extend_from_slice(&chunk);
    }
    Ok((status, body))
}

/// The OAuth2 `error` code of a refusal, if it looks like one (a short lower-case token: never
/// free text that could echo what was sent).
fn oauth_error_code(body: &[u8]) -> Option<String> {
    #[derive(Deserialize)]
    struct Refusal {
        error: String,
    }
    let code = serde_json::from_slice::<Refusal>(body).ok()?.error;
    let plain = |c: char| c.is_ascii_lowercase() || c == '_';
    (!code.is_empty() && code.len() <= 40 && code.chars().all(plain)).then_some(code)
}

fn parse_token(status: u16, body: &[u8], asked: Instant) -> Result<Token, AuthError> {
    let bad = |problem| AuthError::BadReply { status, problem };
    let reply: TokenReply = serde_json::from_slice(body)
        .map_err(|_| bad("not JSON with access_token, token_type and expires_in"))?;
    if !reply.token_type.eq_ignore_ascii_case("bearer") {
        return Err(bad("token_type is not bearer"));
    }
    let header = bearer(&reply.access_token).ok_or(bad("access_token is empty or unsendable"))?;
    let lifetime = reply
        .expires_in
        .map_or(DEFAULT_LIFETIME, Duration::from_secs)
        .min(MAX_LIFETIME);
    Ok(Token {
        header,
        renew_at: asked + lifetime - renew_margin(lifetime),
        expires_at: asked + lifetime,
    })
}

#[cfg(test)]
mod tests;
