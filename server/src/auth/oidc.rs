//! The browser sign-in flow: OpenID Connect authorization code with PKCE against a configured
//! issuer, then a server-side session in an HttpOnly, SameSite=Strict cookie; choosing the
//! active role; signing out.
//!
//! `GET /auth/login?issuer=&next=` → provider → `GET /auth/callback?code=&state=` → session.
//! A sign-in in progress costs the server nothing: it travels in a sealed login cookie.
//! `POST /auth/role` (role index + CSRF token) and `POST /auth/signout` (CSRF token).

use super::verify::TokenError;
use super::{Identity, Principal};
use crate::audit::{AuditEvent, EventKind};
use crate::http::access::audit_session_refusal;
use crate::web::{escape, pkce_challenge, random_token};
use app::audit_terms::RefusalKind;
use app::auth::RequestInfo;
use axum::extract::{Extension, Form, Query, State};
use axum::http::{header, request::Parts, HeaderMap, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM, NONCE_LEN};
use ring::rand::{SecureRandom, SystemRandom};
use serde::{Deserialize, Serialize};
use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

const LOGIN_LIFETIME: Duration = Duration::from_secs(10 * 60);
const LOGIN_COOKIE: &str = "scr_login";
const MAX_TOKEN_REPLY_BYTES: usize = 64 * 1024;
/// A `next` path longer than this is dropped (`/`), keeping the login cookie small.
const MAX_NEXT_BYTES: usize = 1024;
/// Sealed login cookies longer than this are not even decoded.
const MAX_LOGIN_COOKIE_BYTES: usize = 3 * 1024;
/// Finished sign-ins remembered (by `state`) so a replayed callback is refused here too.
const MAX_USED_STATES: u64 = 100_000;

/// A sign-in started and not yet finished. It lives only in the browser, in the login cookie,
/// sealed with [`LoginCookies`]; the server keeps nothing per pending sign-in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct PendingLogin {
    issuer_id: String,
    nonce: String,
    /// The PKCE verifier: secret, hence encryption rather than only a signature.
    verifier: String,
    next: String,
    /// Unix seconds when the sign-in started.
    created: u64,
}

/// The login cookie could not be sealed (no randomness); the sign-in is not started.
#[derive(Debug, thiserror::Error)]
#[error("the sign-in state cannot be sealed")]
pub struct SealError;

/// Seals pending sign-ins into the login cookie with AES-256-GCM under a key made at start
/// (so a restart ends sign-ins in progress, as sessions end too). The `state` sent to the
/// provider is the additional data: a cookie opens only with the `state` it was made for.
/// Finished states are remembered for the cookie's lifetime so a callback is used once; that
/// memory is bounded and never refuses a new sign-in (past it, the provider's one-time codes
/// still refuse a replay).
pub struct LoginCookies {
    key: LessSafeKey,
    rng: SystemRandom,
    used: moka::sync::Cache<String, ()>,
}

impl LoginCookies {
    pub fn new() -> Result<Self, SealError> {
        let rng = SystemRandom::new();
        let mut key = [0u8; 32];
        rng.fill(&mut key).map_err(|_| SealError)?;
        let key = UnboundKey::new(&AES_256_GCM, &key).map_err(|_| SealError)?;
        Ok(Self {
            key: LessSafeKey::new(key),
            rng,
            used: moka::sync::Cache::builder()
                .max_capacity(MAX_USED_STATES)
                .time_to_live(LOGIN_LIFETIME)
                .build(),
        })
    }

    /// The cookie value for a sign-in started with `state`.
    fn seal(&self, state: &str, login: &PendingLogin) -> Result<String, SealError> {
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

    /// The pending sign-in in `cookie` if it was sealed here for `state`, is not older than
    /// [`LOGIN_LIFETIME`] at `now` (Unix seconds), and was not finished before. Opening it
    /// marks it finished.
    fn open(&self, state: &str, cookie: &str, now: u64) -> Option<PendingLogin> {
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
        if age >= LOGIN_LIFETIME.as_secs() {
            return None;
        }
        // Only the first callback for a state gets past this.
        let first = self.used.entry(state.to_owned()).or_insert(()).is_fresh();
        first.then_some(login)
    }
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

pub fn routes(identity: Arc<Identity>) -> Router {
    Router::new()
        .route("/auth/login", get(login))
        .route("/auth/callback", get(callback))
        .route("/auth/role", post(choose_role))
        .route("/auth/signout", post(sign_out))
        .with_state(identity)
}

#[derive(Debug, Deserialize)]
struct LoginQuery {
    issuer: String,
    #[serde(default)]
    next: String,
}

async fn login(
    State(identity): State<Arc<Identity>>,
    parts: Parts,
    Query(query): Query<LoginQuery>,
) -> Response {
    if let Err(retry) = identity.sign_in_limiter.check(&client_ip(&parts)) {
        if let Some(request) = parts.extensions.get::<RequestInfo>() {
            let event = AuditEvent::by_user("(unknown)", "", request, EventKind::SignIn).refused(
                RefusalKind::RateLimited,
                format!("sign-in rate limited ({retry})"),
            );
            if let Err(error) = identity.audit.record(event).await {
                let request_id = &request.request_id;
                tracing::error!(request_id, %error, "a rate-limited sign-in could not be audited");
            }
        }
        return page(
            StatusCode::TOO_MANY_REQUESTS,
            "Too many sign-in attempts",
            &format!("<p>{}</p>", escape(&retry.to_string())),
        );
    }
    let Some(issuer) = identity.verifier.issuer(&query.issuer) else {
        return page(
            StatusCode::BAD_REQUEST,
            "Unknown identity provider",
            "<p>Choose one of the providers on the <a class=\"underline\" href=\"/signin\">sign-in page</a>.</p>",
        );
    };
    let metadata = match issuer.metadata().await {
        Ok(m) => m,
        Err(e) => {
            tracing::warn!(issuer = %issuer.config().id, error = %e, "sign-in provider unavailable");
            return page(
                StatusCode::BAD_GATEWAY,
                "The identity provider cannot be reached",
                "<p>Try again in a moment. If it keeps happening, tell the service desk.</p>",
            );
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
        return page(
            StatusCode::SERVICE_UNAVAILABLE,
            "Sign-in is unavailable",
            "<p>Try again in a minute.</p>",
        );
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
}

// What the person is told when the provider or the audit trail failed: that it happened and
// what to do. The cause (a library's error, the provider's address, the store's own text) is
// logged with the request id instead.
/// The identity provider failed (discovery, token exchange, UserInfo).
const PROVIDER_FAILED: &str = "the identity provider did not answer properly; try again, and tell the service desk if it keeps happening";
/// The sign-in could not be audited, so no session was kept.
const AUDIT_FAILED: &str = "sign-in cannot be recorded in the audit trail, so it is refused; try again, and tell the service desk if it keeps happening";

impl SignInError {
    /// The refusal in words for the sign-in page and the audit trail's detail. A refusal says
    /// what was wrong (its words carry no internal detail); a failure only that it happened.
    fn for_person(&self) -> String {
        match self {
            Self::Provider(_) => PROVIDER_FAILED.to_owned(),
            Self::Audit(_) => AUDIT_FAILED.to_owned(),
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
            _ => tracing::info!(request_id, error = %self, "sign-in refused"),
        }
    }
}

async fn callback(
    State(identity): State<Arc<Identity>>,
    Extension(request): Extension<RequestInfo>,
    headers: HeaderMap,
    Query(query): Query<CallbackQuery>,
) -> Response {
    let finished = match finish_sign_in(&identity, &headers, query).await {
        Ok((session_id, next, session)) => {
            let grant = session.active_grant();
            let mut event = AuditEvent::by_user(
                &session.user.user_id,
                &session.user.name,
                &request,
                EventKind::SignIn,
            );
            event.role = grant.map(|g| g.role.as_str().to_owned());
            event.organisation = grant.and_then(|g| g.organisation.clone());
            match identity.audit.record(event).await {
                Ok(_) => Ok((session_id, next)),
                Err(e) => {
                    identity.sessions.end(&session_id);
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
            if let Err(error) = identity.audit.record(event).await {
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
            // A page, not a redirect: the SameSite=Strict cookie is then sent on the next
            // navigation even though this one came from another site.
            let next = escape(&next);
            let response = page(
                StatusCode::OK,
                "Signed in",
                &format!(
                    "<meta http-equiv=\"refresh\" content=\"0;url={next}\"><p><a class=\"underline\" href=\"{next}\" data-testid=\"continue\">Continue</a></p>"
                ),
            );
            with_cookie(response, &cookie)
        }
        Err(e) => {
            e.log(&request.request_id);
            let status = match e {
                SignInError::NoRole => StatusCode::FORBIDDEN,
                SignInError::Provider(_) => StatusCode::BAD_GATEWAY,
                SignInError::Audit(_) => StatusCode::SERVICE_UNAVAILABLE,
                _ => StatusCode::UNAUTHORIZED,
            };
            page(
                status,
                "Sign-in did not complete",
                &format!(
                    "<p>{}.</p><p><a class=\"underline\" href=\"/signin\">Sign in again</a></p>",
                    escape(&e.for_person())
                ),
            )
        }
    };
    with_cookie(response, &clear_login)
}

async fn finish_sign_in(
    identity: &Identity,
    headers: &HeaderMap,
    query: CallbackQuery,
) -> Result<(String, String, super::session::Session), SignInError> {
    if let Some(error) = query.error {
        let code: String = error
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
            .take(40)
            .collect();
        return Err(SignInError::Refused(code));
    }
    let pending = cookie(headers, LOGIN_COOKIE)
        .and_then(|sealed| identity.logins.open(&query.state, sealed, unix_now()))
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
        .verify(&reply.id_token, super::verify::TokenUse::IdToken)
        .await?;
    if verified.issuer_id != pending.issuer_id
        || verified.claims.nonce.as_deref() != Some(pending.nonce.as_str())
    {
        return Err(SignInError::Mismatch);
    }
    let claims = with_userinfo(identity, &metadata, reply.access_token, verified.claims).await?;
    let grants = super::roles::grants(&claims, &identity.config);
    if grants.is_empty() {
        return Err(SignInError::NoRole);
    }
    let user = super::session::StaffUser {
        user_id: claims.user_id().to_owned(),
        name: claims.name.clone().unwrap_or_default(),
        issuer_id: verified.issuer_id,
        grants,
    };
    let (id, session) = identity.sessions.start(user);
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
    metadata: &super::keys::ProviderMetadata,
    access_token: Option<String>,
    mut claims: super::verify::Claims,
) -> Result<super::verify::Claims, SignInError> {
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
        nhsid_nrbac_roles: Vec<super::verify::NrbacRole>,
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

#[derive(Debug, Deserialize)]
struct RoleForm {
    role: usize,
    csrf: String,
    #[serde(default)]
    next: String,
}

async fn choose_role(
    State(identity): State<Arc<Identity>>,
    Extension(request): Extension<RequestInfo>,
    parts: Parts,
    Form(form): Form<RoleForm>,
) -> Response {
    let Some(Principal::Session {
        id,
        session,
        viewer,
    }) = parts.extensions.get::<Principal>()
    else {
        return Redirect::to("/signin").into_response();
    };
    if !tokens_match(&session.csrf_token, &form.csrf) {
        let why = "/auth/role: the form's CSRF token does not match the session".to_owned();
        audit_session_refusal(&identity, session, viewer.as_ref(), &request, why).await;
        return page(
            StatusCode::FORBIDDEN,
            "Form expired",
            "<p>Reload the page and try again.</p>",
        );
    }
    match identity.sessions.choose_role(id, form.role) {
        Ok(chosen) => {
            let grant = chosen.active_grant();
            let mut event = AuditEvent::by_user(
                &chosen.user.user_id,
                &chosen.user.name,
                &request,
                EventKind::RoleChosen,
            );
            event.role = grant.map(|g| g.role.as_str().to_owned());
            event.organisation = grant.and_then(|g| g.organisation.clone());
            if let Err(error) = identity.audit.record(event).await {
                // The cause is for the logs; the user is told only that it failed.
                let request_id = &request.request_id;
                tracing::error!(request_id, %error, "a role choice could not be audited");
                identity.sessions.end(id);
                return page(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "Role not changed",
                    "<p>The audit trail is unavailable, so no role can be chosen. Sign in again later.</p>",
                );
            }
            Redirect::to(&local_path(&form.next)).into_response()
        }
        Err(e) => page(
            StatusCode::BAD_REQUEST,
            "Role not changed",
            &format!("<p>{}.</p>", escape(&e.to_string())),
        ),
    }
}

#[derive(Debug, Deserialize)]
struct SignOutForm {
    csrf: String,
}

async fn sign_out(
    State(identity): State<Arc<Identity>>,
    Extension(request): Extension<RequestInfo>,
    parts: Parts,
    Form(form): Form<SignOutForm>,
) -> Response {
    if let Some(Principal::Session {
        id,
        session,
        viewer,
    }) = parts.extensions.get::<Principal>()
    {
        if !tokens_match(&session.csrf_token, &form.csrf) {
            let why = "/auth/signout: the form's CSRF token does not match the session".to_owned();
            audit_session_refusal(&identity, session, viewer.as_ref(), &request, why).await;
            return page(
                StatusCode::FORBIDDEN,
                "Form expired",
                "<p>Reload the page and try again.</p>",
            );
        }
        identity.sessions.end(id);
        let mut event = AuditEvent::by_user(
            &session.user.user_id,
            &session.user.name,
            &request,
            EventKind::SignOut,
        );
        let grant = session.active_grant();
        event.role = grant.map(|g| g.role.as_str().to_owned());
        event.organisation = grant.and_then(|g| g.organisation.clone());
        if let Err(error) = identity.audit.record(event).await {
            let request_id = &request.request_id;
            tracing::error!(request_id, %error, "a sign-out could not be audited");
        }
    }
    let clear = format!(
        "{}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0{}",
        identity.session_cookie(),
        secure(&identity)
    );
    with_cookie(Redirect::to("/signin?signed_out=1").into_response(), &clear)
}

/// Compares secrets without an early exit.
fn tokens_match(expected: &str, given: &str) -> bool {
    expected.len() == given.len()
        && expected
            .bytes()
            .zip(given.bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
        && !expected.is_empty()
}

/// A same-site path to go to after signing in; anything else becomes `/`.
pub fn local_path(next: &str) -> String {
    let ok = next.starts_with('/')
        && !next.starts_with("//")
        && !next.starts_with("/\\")
        && !next.chars().any(|c| c.is_control() || c == '\\');
    if ok {
        next.to_owned()
    } else {
        "/".to_owned()
    }
}

/// The value of cookie `name` in the request.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// The client's address, for per-address limits.
pub fn client_ip(parts: &Parts) -> IpAddr {
    parts
        .extensions
        .get::<axum::extract::ConnectInfo<crate::http::ClientAddr>>()
        .map(|c| c.0 .0.ip())
        .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED))
}

fn secure(identity: &Identity) -> &'static str {
    if identity.secure_cookies() {
        "; Secure"
    } else {
        ""
    }
}

fn with_cookie(mut response: Response, cookie: &str) -> Response {
    if let Ok(value) = HeaderValue::from_str(cookie) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response
}

/// A plain server-rendered page for the sign-in steps (no patient data).
pub fn page(status: StatusCode, title: &str, body: &str) -> Response {
    let html = format!(
        r#"<!DOCTYPE html><html lang="en-GB"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>{title} - Shared care record</title><link rel="stylesheet" href="/pkg/app.css"></head><body class="bg-slate-100 text-slate-900"><header class="bg-[#005eb8] text-white"><div class="mx-auto max-w-6xl px-4 py-3 text-lg font-semibold">Shared care record</div></header><main class="mx-auto max-w-6xl px-4 py-6"><h1 class="mb-4 text-2xl font-bold" data-testid="auth-page-title">{title}</h1>{body}</main></body></html>"#,
        title = escape(title),
    );
    (status, Html(html)).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_must_be_a_local_path() {
        let table = [
            ("/record?nhs=9434765919", "/record?nhs=9434765919"),
            ("/", "/"),
            ("", "/"),
            ("https://evil.example/", "/"),
            ("//evil.example/", "/"),
            ("/\\evil.example", "/"),
            ("javascript:alert(1)", "/"),
            ("/ok\r\nSet-Cookie: x=y", "/"),
        ];
        for (next, expected) in table {
            assert_eq!(local_path(next), expected, "{next:?}");
        }
    }

    #[test]
    fn cookies_are_found_by_exact_name() {
        let mut headers = HeaderMap::new();
        headers.append(
            header::COOKIE,
            HeaderValue::from_static("a=1; scr_login=abc; scr_login2=x"),
        );
        headers.append(header::COOKIE, HeaderValue::from_static("b=2"));
        assert_eq!(cookie(&headers, "scr_login"), Some("abc"));
        assert_eq!(cookie(&headers, "b"), Some("2"));
        assert_eq!(cookie(&headers, "scr"), None);
    }

    fn login(created: u64) -> PendingLogin {
        PendingLogin {
            issuer_id: "demo".into(),
            nonce: "n".repeat(64),
            verifier: "v".repeat(64),
            next: "/record?nhs=9434765919".into(),
            created,
        }
    }

    #[test]
    fn login_cookies_open_only_untouched_fresh_for_their_state_and_once() {
        let cookies = LoginCookies::new().unwrap();
        let now = unix_now();
        let state = "a".repeat(64);
        let good = cookies.seal(&state, &login(now)).unwrap();
        let expired = cookies
            .seal(&state, &login(now - LOGIN_LIFETIME.as_secs()))
            .unwrap();
        let from_the_future = cookies.seal(&state, &login(now + 60)).unwrap();
        let other_key = LoginCookies::new()
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
            assert_eq!(cookies.open(state, &cookie, now), None, "{name}");
        }
        assert_eq!(cookies.open(&state, &good, now), Some(login(now)));
        assert_eq!(
            cookies.open(&state, &good, now),
            None,
            "a finished sign-in's cookie does not open again"
        );
        let oversized = "A".repeat(MAX_LOGIN_COOKIE_BYTES + 1);
        assert_eq!(cookies.open("c", &oversized, now), None);
    }

    #[test]
    fn csrf_tokens_compare_exactly() {
        assert!(tokens_match("abc", "abc"));
        assert!(!tokens_match("abc", "abd"));
        assert!(!tokens_match("abc", "ab"));
        assert!(!tokens_match("", ""));
    }
}
