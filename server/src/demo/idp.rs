//! The demo identity provider (demo mode only): an OpenID Connect provider for synthetic
//! staff, served under `/demo-idp` on the portal's own listener. Signing keys (RS256 and
//! ES256) are generated at start; discovery and JWKS are served; the sign-in page lists the
//! demo users; the token endpoint checks PKCE. `POST /demo-idp/demo-token` hands out a bearer
//! token for any demo user (for the JSON API, `server demo-token` and tests).
//!
//! Anyone can sign in as anyone here, so it is started only by `server demo` and refuses to
//! run in front of a source that is not on loopback (see `demo_mode::start_idp`).

use crate::web::{escape, pkce_challenge, random_token};
use axum::extract::{Form, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use jsonwebtoken::jwk::{Jwk, JwkSet, KeyAlgorithm, PublicKeyUse};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Where the demo provider is mounted on the portal.
pub const PATH: &str = "/demo-idp";
const RSA_KID: &str = "demo-rs256";
const EC_KID: &str = "demo-es256";
const TOKEN_LIFETIME: Duration = Duration::from_secs(10 * 60);
const CODE_LIFETIME: Duration = Duration::from_secs(60);

/// A synthetic member of staff.
#[derive(Debug, Clone, Copy)]
pub struct DemoUser {
    pub login: &'static str,
    pub name: &'static str,
    pub description: &'static str,
    /// `(person_roleid, org_code, role_code)` CIS2-style national RBAC entries.
    pub rbac: &'static [(&'static str, &'static str, &'static str)],
    /// Portal role names in the `portal_roles` claim.
    pub portal_roles: &'static [&'static str],
}

/// The demo users, one or more for each role (mapped by `server/config/demo.toml`).
pub const DEMO_USERS: &[DemoUser] = &[
    DemoUser {
        login: "ae.clinician",
        name: "Dr Asha Patel",
        description: "A&E clinician at Northgate Hospitals (RX1)",
        rbac: &[("555000000101", "RX1", "S8000:G8000:R8000")],
        portal_roles: &[],
    },
    DemoUser {
        login: "ooh.clinician",
        name: "Dr Tom Reid",
        description: "Out-of-hours and NHS 111 clinician (Y0111)",
        rbac: &[("555000000102", "Y0111", "S8000:G8000:R8000")],
        portal_roles: &[],
    },
    DemoUser {
        login: "call.handler",
        name: "Sam Jones",
        description: "NHS 111 call handler, non-clinical (Y0111)",
        rbac: &[("555000000103", "Y0111", "S8000:G8001:R8008")],
        portal_roles: &[],
    },
    DemoUser {
        login: "privacy.officer",
        name: "Priya Shah",
        description: "Privacy (audit) officer at Northgate Hospitals (RX1)",
        rbac: &[("555000000104", "RX1", "S8000:G8003:R0001")],
        portal_roles: &[],
    },
    DemoUser {
        login: "ops.admin",
        name: "Alex Morgan",
        description: "Portal administrator (role from the portal_roles claim)",
        rbac: &[],
        portal_roles: &["admin"],
    },
    DemoUser {
        login: "locum.doctor",
        name: "Dr Chris Lee",
        description: "Locum with two roles: A&E (RX1) and out-of-hours (Y0111); chooses one",
        rbac: &[
            ("555000000106", "RX1", "S8000:G8000:R8000"),
            ("555000000107", "Y0111", "S8000:G8000:R8000"),
        ],
        portal_roles: &[],
    },
    DemoUser {
        login: "ae.auditor",
        name: "Dr Nia Evans",
        description: "A&E clinician (RX1) who is also a privacy officer (RX1); chooses one",
        rbac: &[
            ("555000000108", "RX1", "S8000:G8000:R8000"),
            ("555000000109", "RX1", "S8000:G8003:R0001"),
        ],
        portal_roles: &[],
    },
    DemoUser {
        login: "no.role",
        name: "Jo Bloggs",
        description: "Signed-in account with no portal role (refused)",
        rbac: &[],
        portal_roles: &[],
    },
];

pub fn demo_user(login: &str) -> Option<&'static DemoUser> {
    DEMO_USERS.iter().find(|u| u.login == login)
}

/// Why the demo provider could not start.
#[derive(Debug, thiserror::Error)]
pub enum DemoIdpError {
    #[error("cannot generate demo signing keys: {0}")]
    Keys(String),
}

/// The running demo provider's state.
pub struct DemoIdp {
    issuer: String,
    client_id: String,
    redirect_uri: String,
    rsa: EncodingKey,
    ec: EncodingKey,
    jwks: JwkSet,
    codes: Mutex<HashMap<String, PendingCode>>,
    /// Opaque access tokens from the code flow, for UserInfo.
    access_tokens: Mutex<HashMap<String, (&'static DemoUser, Instant)>>,
}

struct PendingCode {
    user: &'static DemoUser,
    nonce: Option<String>,
    challenge: String,
    created: Instant,
}

impl DemoIdp {
    /// Generates fresh keys. `issuer` is `<portal URL>/demo-idp`; `redirect_uri` the only
    /// redirect accepted.
    pub fn new(
        issuer: String,
        client_id: String,
        redirect_uri: String,
    ) -> Result<Self, DemoIdpError> {
        let (rsa, ec) = generate_keys()?;
        let jwk = |key: &EncodingKey, alg: Algorithm, kid: &str| {
            let mut jwk =
                Jwk::from_encoding_key(key, alg).map_err(|e| DemoIdpError::Keys(e.to_string()))?;
            jwk.common.key_id = Some(kid.to_owned());
            jwk.common.public_key_use = Some(PublicKeyUse::Signature);
            jwk.common.key_algorithm = Some(KeyAlgorithm::from(alg));
            Ok::<_, DemoIdpError>(jwk)
        };
        let jwks = JwkSet {
            keys: vec![
                jwk(&rsa, Algorithm::RS256, RSA_KID)?,
                jwk(&ec, Algorithm::ES256, EC_KID)?,
            ],
        };
        Ok(Self {
            issuer,
            client_id,
            redirect_uri,
            rsa,
            ec,
            jwks,
            codes: Mutex::new(HashMap::new()),
            access_tokens: Mutex::new(HashMap::new()),
        })
    }

    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// The provider's routes, to be merged into the portal's router.
    pub fn router(self: Arc<Self>) -> Router {
        Router::new()
            .route(
                &format!("{PATH}/.well-known/openid-configuration"),
                get(discovery),
            )
            .route(&format!("{PATH}/jwks"), get(jwks))
            .route(
                &format!("{PATH}/authorize"),
                get(authorize_page).post(authorize),
            )
            .route(&format!("{PATH}/token"), post(token))
            .route(&format!("{PATH}/demo-token"), post(demo_token))
            .route(&format!("{PATH}/userinfo"), get(userinfo))
            .with_state(self)
    }

    /// A signed token for `user` by key `alg`: an ID token when `nonce` is given, which (as in
    /// CIS2) names the person only, their roles coming from UserInfo; otherwise a bearer
    /// token for the JSON API carrying the roles.
    pub fn sign(
        &self,
        user: &DemoUser,
        nonce: Option<String>,
        selected_roleid: Option<String>,
        alg: Algorithm,
    ) -> Result<String, jsonwebtoken::errors::Error> {
        let now = unix_now();
        let with_roles = nonce.is_none();
        let claims = DemoClaims {
            iss: self.issuer.clone(),
            sub: format!("demo-{}", user.login),
            aud: self.client_id.clone(),
            iat: now,
            nbf: now,
            exp: now + TOKEN_LIFETIME.as_secs(),
            nonce,
            name: user.name.to_owned(),
            nhsid_useruid: format!("demo-{}", user.login),
            selected_roleid,
            nhsid_nrbac_roles: if with_roles {
                rbac_claims(user)
            } else {
                Vec::new()
            },
            portal_roles: if with_roles {
                portal_roles(user)
            } else {
                Vec::new()
            },
        };
        let (key, kid) = match alg {
            Algorithm::ES256 => (&self.ec, EC_KID),
            _ => (&self.rsa, RSA_KID),
        };
        let mut header = Header::new(if alg == Algorithm::ES256 {
            alg
        } else {
            Algorithm::RS256
        });
        header.kid = Some(kid.to_owned());
        if with_roles {
            // An access token (RFC 9068), which an ID token cannot pass for.
            header.typ = Some("at+jwt".to_owned());
        }
        jsonwebtoken::encode(&header, &claims, key)
    }

    fn take_code(&self, code: &str) -> Option<PendingCode> {
        let mut codes = self.codes.lock().unwrap_or_else(|e| e.into_inner());
        codes.retain(|_, c| c.created.elapsed() < CODE_LIFETIME);
        codes.remove(code)
    }
}

fn rbac_claims(user: &DemoUser) -> Vec<NrbacClaim> {
    user.rbac
        .iter()
        .map(|(id, org, code)| NrbacClaim {
            person_roleid: (*id).to_owned(),
            org_code: (*org).to_owned(),
            role_code: (*code).to_owned(),
        })
        .collect()
}

fn portal_roles(user: &DemoUser) -> Vec<String> {
    user.portal_roles.iter().map(|r| (*r).to_owned()).collect()
}

fn generate_keys() -> Result<(EncodingKey, EncodingKey), DemoIdpError> {
    use p256::pkcs8::EncodePrivateKey as _;
    let keys = |e: &dyn std::fmt::Display| DemoIdpError::Keys(e.to_string());
    let rsa_key = rsa::RsaPrivateKey::new(&mut rand::rngs::OsRng, 2048).map_err(|e| keys(&e))?;
    let rsa_pem = rsa_key
        .to_pkcs8_pem(rsa::pkcs8::LineEnding::LF)
        .map_err(|e| keys(&e))?;
    let ec_key = p256::SecretKey::random(&mut rand::rngs::OsRng);
    let ec_pem = ec_key
        .to_pkcs8_pem(p256::pkcs8::LineEnding::LF)
        .map_err(|e| keys(&e))?;
    Ok((
        EncodingKey::from_rsa_pem(rsa_pem.as_bytes()).map_err(|e| keys(&e))?,
        EncodingKey::from_ec_pem(ec_pem.as_bytes()).map_err(|e| keys(&e))?,
    ))
}

#[derive(Serialize)]
struct DemoClaims {
    iss: String,
    sub: String,
    aud: String,
    iat: u64,
    nbf: u64,
    exp: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    nonce: Option<String>,
    name: String,
    nhsid_useruid: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    selected_roleid: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    nhsid_nrbac_roles: Vec<NrbacClaim>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    portal_roles: Vec<String>,
}

#[derive(Serialize)]
struct NrbacClaim {
    person_roleid: String,
    org_code: String,
    role_code: String,
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

async fn discovery(State(idp): State<Arc<DemoIdp>>) -> Json<serde_json::Value> {
    let at = |path: &str| format!("{}{path}", idp.issuer);
    Json(serde_json::json!({
        "issuer": idp.issuer,
        "authorization_endpoint": at("/authorize"),
        "token_endpoint": at("/token"),
        "jwks_uri": at("/jwks"),
        "userinfo_endpoint": at("/userinfo"),
        "response_types_supported": ["code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256", "ES256"],
        "code_challenge_methods_supported": ["S256"],
        "token_endpoint_auth_methods_supported": ["none"],
        "scopes_supported": ["openid", "profile", "nationalrbacaccess", "selectedrole"],
    }))
}

async fn jwks(State(idp): State<Arc<DemoIdp>>) -> Json<JwkSet> {
    Json(idp.jwks.clone())
}

/// The authorization request's parameters (also echoed back by the sign-in form).
#[derive(Debug, Deserialize, Serialize)]
struct AuthorizeParams {
    #[serde(default)]
    response_type: String,
    #[serde(default)]
    client_id: String,
    #[serde(default)]
    redirect_uri: String,
    #[serde(default)]
    state: String,
    #[serde(default)]
    nonce: Option<String>,
    #[serde(default)]
    code_challenge: String,
    #[serde(default)]
    code_challenge_method: String,
    #[serde(default)]
    scope: String,
    /// Set by the sign-in form: who signs in.
    #[serde(default)]
    login: Option<String>,
}

impl AuthorizeParams {
    fn problem(&self, idp: &DemoIdp) -> Option<&'static str> {
        if self.client_id != idp.client_id {
            Some("unknown client_id")
        } else if self.redirect_uri != idp.redirect_uri {
            Some("redirect_uri is not the registered one")
        } else if self.response_type != "code" {
            Some("response_type must be code")
        } else if self.code_challenge_method != "S256" || self.code_challenge.len() < 43 {
            Some("PKCE with code_challenge_method S256 is required")
        } else if self.state.is_empty() {
            Some("state is required")
        } else {
            None
        }
    }
}

async fn authorize_page(
    State(idp): State<Arc<DemoIdp>>,
    Query(params): Query<AuthorizeParams>,
) -> Response {
    if let Some(problem) = params.problem(&idp) {
        return (StatusCode::BAD_REQUEST, Html(error_page(problem))).into_response();
    }
    let hidden = [
        ("response_type", params.response_type.as_str()),
        ("client_id", &params.client_id),
        ("redirect_uri", &params.redirect_uri),
        ("state", &params.state),
        ("nonce", params.nonce.as_deref().unwrap_or_default()),
        ("code_challenge", &params.code_challenge),
        ("code_challenge_method", &params.code_challenge_method),
        ("scope", &params.scope),
    ]
    .iter()
    .map(|(name, value)| {
        format!(
            r#"<input type="hidden" name="{name}" value="{}">"#,
            escape(value)
        )
    })
    .collect::<String>();
    let users = DEMO_USERS
        .iter()
        .map(|u| {
            format!(
                r#"<li><button type="submit" name="login" value="{login}" data-testid="demo-user-{login}" class="w-full rounded border border-slate-300 bg-white px-4 py-3 text-left hover:bg-slate-50"><span class="block font-semibold">{name}</span><span class="block text-sm text-slate-600">{description}</span></button></li>"#,
                login = escape(u.login),
                name = escape(u.name),
                description = escape(u.description),
            )
        })
        .collect::<String>();
    Html(format!(
        r#"<!DOCTYPE html><html lang="en-GB"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Demo identity provider</title><link rel="stylesheet" href="/pkg/app.css"></head>
<body class="bg-slate-100 text-slate-900"><main class="mx-auto max-w-xl px-4 py-8">
<p class="mb-4 rounded border-2 border-amber-500 bg-amber-50 p-3 font-semibold text-amber-900">DEMO IDENTITY PROVIDER: synthetic staff only. Never use with real patient data.</p>
<h1 class="mb-4 text-2xl font-bold">Sign in as a demo user</h1>
<form method="post" action="{PATH}/authorize">{hidden}<ul class="space-y-2">{users}</ul></form>
</main></body></html>"#
    ))
    .into_response()
}

async fn authorize(
    State(idp): State<Arc<DemoIdp>>,
    Form(params): Form<AuthorizeParams>,
) -> Response {
    if let Some(problem) = params.problem(&idp) {
        return (StatusCode::BAD_REQUEST, Html(error_page(problem))).into_response();
    }
    let Some(user) = params.login.as_deref().and_then(demo_user) else {
        return (
            StatusCode::BAD_REQUEST,
            Html(error_page("unknown demo user")),
        )
            .into_response();
    };
    let code = random_token();
    idp.codes.lock().unwrap_or_else(|e| e.into_inner()).insert(
        code.clone(),
        PendingCode {
            user,
            nonce: params.nonce.filter(|n| !n.is_empty()),
            challenge: params.code_challenge,
            created: Instant::now(),
        },
    );
    let mut target = match url::Url::parse(&params.redirect_uri) {
        Ok(url) => url,
        Err(_) => {
            return (
                StatusCode::BAD_REQUEST,
                Html(error_page("bad redirect_uri")),
            )
                .into_response()
        }
    };
    target
        .query_pairs_mut()
        .append_pair("code", &code)
        .append_pair("state", &params.state);
    Redirect::to(target.as_str()).into_response()
}

#[derive(Debug, Deserialize)]
struct TokenRequest {
    #[serde(default)]
    grant_type: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    redirect_uri: String,
    #[serde(default)]
    client_id: String,
    #[serde(default)]
    code_verifier: String,
}

async fn token(State(idp): State<Arc<DemoIdp>>, Form(request): Form<TokenRequest>) -> Response {
    let refuse = |error: &str| {
        (
            StatusCode::BAD_REQUEST,
            [(header::CACHE_CONTROL, "no-store")],
            Json(serde_json::json!({ "error": error })),
        )
            .into_response()
    };
    if request.grant_type != "authorization_code" {
        return refuse("unsupported_grant_type");
    }
    if request.client_id != idp.client_id || request.redirect_uri != idp.redirect_uri {
        return refuse("invalid_client");
    }
    let Some(pending) = idp.take_code(&request.code) else {
        return refuse("invalid_grant");
    };
    if pkce_challenge(&request.code_verifier) != pending.challenge {
        return refuse("invalid_grant");
    }
    let access_token = random_token();
    idp.access_tokens
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(access_token.clone(), (pending.user, Instant::now()));
    match idp.sign(pending.user, pending.nonce, None, Algorithm::RS256) {
        Ok(id_token) => (
            [(header::CACHE_CONTROL, "no-store")],
            Json(serde_json::json!({
                "id_token": id_token,
                "access_token": access_token,
                "token_type": "Bearer",
                "expires_in": TOKEN_LIFETIME.as_secs(),
            })),
        )
            .into_response(),
        Err(_) => refuse("server_error"),
    }
}

/// UserInfo for a code-flow access token: the person's national RBAC roles (as CIS2 gives them
/// with the `nationalrbacaccess` scope) and portal role names.
async fn userinfo(State(idp): State<Arc<DemoIdp>>, headers: axum::http::HeaderMap) -> Response {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    let user = token.and_then(|t| {
        let mut tokens = idp.access_tokens.lock().unwrap_or_else(|e| e.into_inner());
        tokens.retain(|_, (_, issued)| issued.elapsed() < TOKEN_LIFETIME);
        tokens.get(t).map(|(user, _)| *user)
    });
    let Some(user) = user else {
        return (
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, "Bearer error=\"invalid_token\"")],
        )
            .into_response();
    };
    (
        [(header::CACHE_CONTROL, "no-store")],
        Json(serde_json::json!({
            "sub": format!("demo-{}", user.login),
            "name": user.name,
            "nhsid_useruid": format!("demo-{}", user.login),
            "nhsid_nrbac_roles": rbac_claims(user),
            "portal_roles": portal_roles(user),
        })),
    )
        .into_response()
}

/// `user=<login>` and optionally `role=<person_roleid>` (a selected role) and `alg=ES256`.
#[derive(Debug, Deserialize)]
struct DemoTokenRequest {
    user: String,
    #[serde(default)]
    role: Option<String>,
    #[serde(default)]
    alg: Option<String>,
}

async fn demo_token(
    State(idp): State<Arc<DemoIdp>>,
    Form(request): Form<DemoTokenRequest>,
) -> Response {
    let Some(user) = demo_user(&request.user) else {
        let logins: Vec<&str> = DEMO_USERS.iter().map(|u| u.login).collect();
        return (
            StatusCode::BAD_REQUEST,
            Json(serde_json::json!({
                "error": "unknown_user",
                "message": format!("demo users: {}", logins.join(", ")),
            })),
        )
            .into_response();
    };
    let alg = match request.alg.as_deref() {
        Some("ES256") => Algorithm::ES256,
        _ => Algorithm::RS256,
    };
    match idp.sign(user, None, request.role, alg) {
        Ok(access_token) => (
            [(header::CACHE_CONTROL, "no-store")],
            Json(serde_json::json!({
                "access_token": access_token,
                "token_type": "Bearer",
                "expires_in": TOKEN_LIFETIME.as_secs(),
            })),
        )
            .into_response(),
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

fn error_page(problem: &str) -> String {
    format!(
        "<!DOCTYPE html><html lang=\"en-GB\"><head><meta charset=\"utf-8\"><title>Demo identity provider</title></head><body><h1>Sign-in request refused</h1><p>{}</p></body></html>",
        escape(problem)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logins_are_unique() {
        for (i, u) in DEMO_USERS.iter().enumerate() {
            assert!(
                DEMO_USERS[..i].iter().all(|o| o.login != u.login),
                "{}",
                u.login
            );
        }
    }
}
