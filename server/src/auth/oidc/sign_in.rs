//! Signing in: `GET /auth/login` sends the browser to the chosen provider with a fresh
//! `state`, nonce and PKCE challenge (kept in the sealed login cookie); `GET /auth/callback`
//! exchanges the code for tokens, checks the ID token (and UserInfo for national RBAC roles),
//! maps the claims to roles and starts the session. Every sign-in, refused or not, is audited.

use super::login_cookie::{unix_now, PendingLogin, LOGIN_LIFETIME};
use super::{client_ip, cookie, local_path, pages, secure, with_cookie, SignInState};
use crate::audit::{AuditEvent, EventKind};
use crate::auth::verify::{self, TokenError};
use crate::auth::{keys, roles, session, Identity};
use crate::web::{pkce_challenge, random_token};
use app::audit_terms::RefusalKind;
use app::auth::RequestInfo;
use axum::extract::{Extension, Query, State};
use axum::http::{request::Parts, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use serde::Deserialize;
use std::time::Duration;

const LOGIN_COOKIE: &str = "scr_login";
const MAX_TOKEN_REPLY_BYTES: usize = 64 * 1024;
/// A `next` path longer than this is dropped (`/`), keeping the login cookie small.
const MAX_NEXT_BYTES: usize = 1024;

/// `GET /auth/login` and `GET /auth/callback`.
pub(super) fn routes() -> Router<SignInState> {
    Router::new()
        .route("/auth/login", get(login))
        .route("/auth/callback", get(callback))
}

#[derive(Debug, Deserialize)]
struct LoginQuery {
    issuer: String,
    #[serde(default)]
    next: String,
}

async fn login(
    State(SignInState {
        identity,
        audit,
        limits,
    }): State<SignInState>,
    parts: Parts,
    Query(query): Query<LoginQuery>,
) -> Response {
    if let Err(retry) = limits.sign_in.check(&client_ip(&parts)) {
        if let Some(request) = parts.extensions.get::<RequestInfo>() {
            let event = AuditEvent::by_user("(unknown)", "", request, EventKind::SignIn).refused(
                RefusalKind::RateLimited,
                format!("sign-in rate limited ({retry})"),
            );
            if let Err(error) = audit.record(event).await {
                let request_id = &request.request_id;
                tracing::error!(request_id, %error, "a rate-limited sign-in could not be audited");
            }
        }
        return pages::too_many_attempts(&retry);
    }
    let Some(issuer) = identity.verifier.issuer(&query.issuer) else {
        return pages::unknown_provider();
    };
    let metadata = match issuer.metadata().await {
        Ok(m) => m,
        Err(e) => {
            tracing::warn!(issuer = %issuer.config().id, error = %e, "sign-in provider unavailable");
            return pages::provider_unreachable();
        }
    };
    let state = random_token();
    let nonce = random_token();
    let verifier = random_token();
    let next = Some(local_path(&query.next))
        .filter(|next| next.len() <= MAX_NEXT_BYTES)
        .unwrap_or_else(|| "/".to_owned());
    let pending = PendingLogin {
        issuer_id: issuer.config().id.clone(),
        nonce: nonce.clone(),
        verifier: verifier.clone(),
        next,
        created: unix_now(),
    };
    let Ok(sealed) = identity.logins.seal(&state, &pending) else {
        tracing::error!("a sign-in could not be started: no randomness for its cookie");
        return pages::sign_in_unavailable();
    };
    let mut target = metadata.authorization_endpoint.clone();
    target
        .query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", &issuer.config().client_id)
        .append_pair("redirect_uri", &redirect_uri(&identity))
        .append_pair("scope", &issuer.config().scopes.join(" "))
        .append_pair("state", &state)
        .append_pair("nonce", &nonce)
        .append_pair("code_challenge", &pkce_challenge(&verifier))
        .append_pair("code_challenge_method", "S256");
    let cookie = format!(
        "{LOGIN_COOKIE}={sealed}; Path=/auth/callback; HttpOnly; SameSite=Lax; Max-Age={}{}",
        LOGIN_LIFETIME.as_secs(),
        secure(&identity)
    );
    with_cookie(Redirect::to(target.as_str()).into_response(), &cookie)
}

/// The portal's callback URL, registered at each provider.
pub fn redirect_uri(identity: &Identity) -> String {
    format!(
        "{}/auth/callback",
        identity.public_url.as_str().trim_end_matches('/')
    )
}

#[derive(Debug, Deserialize)]
struct CallbackQuery {
    #[serde(default)]
    code: String,
    #[serde(default)]
    state: String,
    #[serde(default)]
    error: Option<String>,
}

/// Why a sign-in could not be finished; logged without tokens, and shown to the person as
/// [`SignInError::for_person`] says it.
#[derive(Debug, thiserror::Error)]
enum SignInError {
    #[error("the identity provider refused the sign-in ({0})")]
    Refused(String),
    #[error("this sign-in was not started here, or took longer than 10 minutes")]
    UnknownState,
    #[error("the identity provider did not answer properly: {0}")]
    Provider(String),
    #[error("the identity token was refused: {0}")]
    Token(#[from] TokenError),
    #[error("the identity token does not belong to this sign-in")]
    Mismatch,
    #[error("your account has no role in this portal; ask your registration authority")]
    NoRole,
    #[error("sign-in cannot be recorded in the audit trail, so it is refused: {0}")]
    Audit(crate::audit::AuditError),
    #[error("sessions cannot be kept: {0}")]
    Store(#[from] crate::shared_store::StoreError),
}

// What the person is told when the provider or the audit trail failed: that it happened and
// what to do. The cause (a library's error, the provider's address, the store's own text) is
// logged with the request id instead.
/// The identity provider failed (discovery, token exchange, UserInfo).
const PROVIDER_FAILED: &str = "the identity provider did not answer properly; try again, and tell the service desk if it keeps happening";
/// The shared session store failed, so no session could be kept.
const STORE_FAILED: &str = "sessions cannot be kept just now, so you are not signed in; try again, and tell the service desk if it keeps happening";
/// The sign-in could not be audited, so no session was kept.
const AUDIT_FAILED: &str = "sign-in cannot be recorded in the audit trail, so it is refused; try again, and tell the service desk if it keeps happening";

impl SignInError {
    /// The refusal in words for the sign-in page and the audit trail's detail. A refusal says
    /// what was wrong (its words carry no internal detail); a failure only that it happened.
    fn for_person(&self) -> String {
        match self {
            Self::Provider(_) => PROVIDER_FAILED.to_owned(),
            Self::Audit(_) => AUDIT_FAILED.to_owned(),
            Self::Store(_) => STORE_FAILED.to_owned(),
            refusal => refusal.to_string(),
        }
    }

    /// Logs the sign-in's end with its cause: failures of the provider or the audit trail
    /// as errors for operations, refusals (a person's mistake, an expired link) as info.
    fn log(&self, request_id: &str) {
        match self {
            Self::Provider(_) => {
                tracing::warn!(request_id, error = %self, "sign-in failed at the provider")
            }
            Self::Audit(_) => {
                tracing::error!(request_id, error = %self, "sign-in refused: not audited")
            }
            Self::Store(_) => {
                tracing::error!(request_id, error = %self, "sign-in refused: no session store")
            }
            _ => tracing::info!(request_id, error = %self, "sign-in refused"),
        }
    }
}

async fn callback(
    State(SignInState {
        identity, audit, ..
    }): State<SignInState>,
    Extension(request): Extension<RequestInfo>,
    headers: HeaderMap,
    Query(query): Query<CallbackQuery>,
) -> Response {
    let finished = match finish_sign_in(&identity, &headers, query).await {
        Ok((session_id, next, session)) => {
            let event = super::session_event(&session, &request, EventKind::SignIn);
            match audit.record(event).await {
                Ok(_) => Ok((session_id, next)),
                Err(e) => {
                    if let Err(error) = identity.sessions.end(&session_id).await {
                        let request_id = &request.request_id;
                        tracing::error!(request_id, %error, "an unaudited session could not be ended");
                    }
                    Err(SignInError::Audit(e))
                }
            }
        }
        Err(e) => {
            let kind = match e {
                SignInError::NoRole => RefusalKind::Role,
                _ => RefusalKind::SignInRefused,
            };
            let event = AuditEvent::by_user("(unknown)", "", &request, EventKind::SignIn)
                .refused(kind, e.for_person());
            if let Err(error) = audit.record(event).await {
                let request_id = &request.request_id;
                tracing::error!(request_id, %error, "a refused sign-in could not be audited");
            }
            Err(e)
        }
    };
    // The login cookie has done its work whatever the outcome.
    let clear_login = format!(
        "{LOGIN_COOKIE}=; Path=/auth/callback; HttpOnly; SameSite=Lax; Max-Age=0{}",
        secure(&identity)
    );
    let response = match finished {
        Ok((session_id, next)) => {
            let cookie = format!(
                "{}={session_id}; Path=/; HttpOnly; SameSite=Strict{}",
                identity.session_cookie(),
                secure(&identity)
            );
            with_cookie(pages::signed_in(&next), &cookie)
        }
        Err(e) => {
            e.log(&request.request_id);
            let status = match e {
                SignInError::NoRole => StatusCode::FORBIDDEN,
                SignInError::Provider(_) => StatusCode::BAD_GATEWAY,
                SignInError::Audit(_) | SignInError::Store(_) => StatusCode::SERVICE_UNAVAILABLE,
                _ => StatusCode::UNAUTHORIZED,
            };
            pages::sign_in_failed(status, &e.for_person())
        }
    };
    with_cookie(response, &clear_login)
}

async fn finish_sign_in(
    identity: &Identity,
    headers: &HeaderMap,
    query: CallbackQuery,
) -> Result<(String, String, session::Session), SignInError> {
    if let Some(error) = query.error {
        let code: String = error
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
            .take(40)
            .collect();
        return Err(SignInError::Refused(code));
    }
    let sealed = cookie(headers, LOGIN_COOKIE).ok_or(SignInError::UnknownState)?;
    let pending = identity
        .logins
        .open(&query.state, sealed, unix_now())
        .await?
        .ok_or(SignInError::UnknownState)?;
    let issuer = identity
        .verifier
        .issuer(&pending.issuer_id)
        .ok_or(SignInError::UnknownState)?;
    let metadata = issuer
        .metadata()
        .await
        .map_err(|e| SignInError::Provider(e.to_string()))?;
    let config = issuer.config();
    let form = vec![
        ("grant_type", "authorization_code".to_owned()),
        ("code", query.code),
        ("redirect_uri", redirect_uri(identity)),
        ("client_id", config.client_id.clone()),
        ("code_verifier", pending.verifier),
    ];
    let mut request = identity.http().post(metadata.token_endpoint.clone());
    if let Some(secret) = &config.client_secret {
        let secret = secret
            .reveal()
            .map_err(|e| SignInError::Provider(e.to_string()))?;
        request = request.basic_auth(&config.client_id, Some(secret));
    }
    let response = request
        .form(&form)
        .timeout(Duration::from_secs(10))
        .send()
        .await
        .map_err(|e| SignInError::Provider(format!("token request failed: {e}")))?;
    let status = response.status();
    let body = crate::body::read_limited(response, MAX_TOKEN_REPLY_BYTES)
        .await
        .map_err(|e| SignInError::Provider(e.to_string()))?;
    if !status.is_success() {
        return Err(SignInError::Provider(format!(
            "token endpoint answered HTTP {status}"
        )));
    }
    #[derive(Deserialize)]
    struct TokenReply {
        id_token: String,
        #[serde(default)]
        access_token: Option<String>,
    }
    let reply: TokenReply = serde_json::from_slice(&body)
        .map_err(|_| SignInError::Provider("no id_token in the token reply".into()))?;
    let verified = identity
        .verifier
        .verify(&reply.id_token, verify::TokenUse::IdToken)
        .await?;
    if verified.issuer_id != pending.issuer_id
        || verified.claims.nonce.as_deref() != Some(pending.nonce.as_str())
    {
        return Err(SignInError::Mismatch);
    }
    let claims = with_userinfo(identity, &metadata, reply.access_token, verified.claims).await?;
    let grants = roles::grants(&claims, &identity.config);
    if grants.is_empty() {
        return Err(SignInError::NoRole);
    }
    let user = session::StaffUser {
        user_id: claims.user_id().to_owned(),
        name: claims.name.clone().unwrap_or_default(),
        issuer_id: verified.issuer_id,
        grants,
    };
    let (id, session) = identity.sessions.start(user).await?;
    let next = if session.active.is_some() {
        pending.next
    } else {
        format!(
            "/choose-role?next={}",
            url::form_urlencoded::byte_serialize(pending.next.as_bytes()).collect::<String>()
        )
    };
    Ok((id, next, session))
}

/// Adds what the provider's UserInfo endpoint says when the ID token carries no national RBAC
/// roles (CIS2 gives them there, for the `nationalrbacaccess` scope). UserInfo must be about
/// the same `sub`; what the ID token already says wins.
async fn with_userinfo(
    identity: &Identity,
    metadata: &keys::ProviderMetadata,
    access_token: Option<String>,
    mut claims: verify::Claims,
) -> Result<verify::Claims, SignInError> {
    let (Some(endpoint), Some(token)) = (&metadata.userinfo_endpoint, access_token) else {
        return Ok(claims);
    };
    if !claims.nhsid_nrbac_roles.is_empty() {
        return Ok(claims);
    }
    let provider = |e: &dyn std::fmt::Display| SignInError::Provider(format!("userinfo: {e}"));
    let response = identity
        .http()
        .get(endpoint.clone())
        .bearer_auth(token)
        .timeout(Duration::from_secs(10))
        .send()
        .await
        .map_err(|e| provider(&e))?;
    if !response.status().is_success() {
        return Err(provider(&format!("HTTP {}", response.status())));
    }
    let body = crate::body::read_limited(response, MAX_TOKEN_REPLY_BYTES)
        .await
        .map_err(|e| provider(&e))?;
    #[derive(Deserialize)]
    struct UserInfo {
        sub: String,
        #[serde(default)]
        name: Option<String>,
        #[serde(default)]
        nhsid_useruid: Option<String>,
        #[serde(default)]
        selected_roleid: Option<String>,
        #[serde(default)]
        nhsid_nrbac_roles: Vec<verify::NrbacRole>,
        #[serde(flatten)]
        other: serde_json::Map<String, serde_json::Value>,
    }
    let info: UserInfo = serde_json::from_slice(&body).map_err(|e| provider(&e))?;
    if info.sub != claims.sub {
        return Err(SignInError::Mismatch);
    }
    claims.nhsid_nrbac_roles = info.nhsid_nrbac_roles;
    claims.selected_roleid = claims.selected_roleid.or(info.selected_roleid);
    claims.name = claims.name.or(info.name);
    claims.nhsid_useruid = claims.nhsid_useruid.or(info.nhsid_useruid);
    for (key, value) in info.other {
        claims.other.entry(key).or_insert(value);
    }
    Ok(claims)
}
