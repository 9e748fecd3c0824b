//! The browser sign-in flow: OpenID Connect authorization code with PKCE against a configured
//! issuer, then a server-side session in an HttpOnly, SameSite=Strict cookie; choosing the
//! active role; signing out.
//!
//! `GET /auth/login?issuer=&next=` → provider → `GET /auth/callback?code=&state=` → session
//! (in `sign_in`). A sign-in in progress costs the server nothing: it travels in a sealed login
//! cookie (`login_cookie`). `POST /auth/role` (role index + CSRF token) and `POST /auth/signout`
//! (CSRF token) are here; the pages all of them answer with are in `pages`.

mod login_cookie;
mod pages;
mod sign_in;

pub use login_cookie::{KeyError, LoginCookies, SealError};
pub use pages::page;
pub use sign_in::redirect_uri;

use super::session::SessionError;
use super::{Identity, Principal};
use crate::audit::{AuditEvent, AuditTrail, EventKind};
use crate::http::access::audit_session_refusal;
use crate::ratelimit::RateLimits;
use app::auth::RequestInfo;
use axum::extract::{Extension, Form, State};
use axum::http::{header, request::Parts, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::post;
use axum::Router;
use serde::Deserialize;
use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;

/// What the sign-in routes share.
#[derive(Clone)]
pub struct SignInState {
    pub identity: Arc<Identity>,
    /// Sign-ins (refused ones too), role choices and sign-outs are audited.
    pub audit: AuditTrail,
    /// Sign-in attempts are limited per client address.
    pub limits: Arc<RateLimits>,
}

/// `/auth/login`, `/auth/callback`, `/auth/role` and `/auth/signout`.
pub fn routes(state: SignInState) -> Router {
    sign_in::routes()
        .route("/auth/role", post(choose_role))
        .route("/auth/signout", post(sign_out))
        .with_state(state)
}

/// An event by the session's user, in the role (and organisation) active in it, if any.
pub(super) fn session_event(
    session: &crate::auth::session::Session,
    request: &RequestInfo,
    kind: EventKind,
) -> AuditEvent {
    let grant = session.active_grant();
    let mut event = AuditEvent::by_user(&session.user.user_id, &session.user.name, request, kind);
    event.role = grant.map(|g| g.role.as_str().to_owned());
    event.organisation = grant.and_then(|g| g.organisation.clone());
    event
}

#[derive(Debug, Deserialize)]
struct RoleForm {
    role: usize,
    csrf: String,
    #[serde(default)]
    next: String,
}

async fn choose_role(
    State(SignInState {
        identity, audit, ..
    }): State<SignInState>,
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
        audit_session_refusal(&audit, session, viewer.as_ref(), &request, why).await;
        return pages::form_expired();
    }
    match identity.sessions.choose_role(id, form.role).await {
        Ok(chosen) => {
            let event = session_event(&chosen, &request, EventKind::RoleChosen);
            if let Err(error) = audit.record(event).await {
                // The cause is for the logs; the user is told only that it failed.
                let request_id = &request.request_id;
                tracing::error!(request_id, %error, "a role choice could not be audited");
                if let Err(error) = identity.sessions.end(id).await {
                    tracing::error!(request_id, %error, "an unaudited session could not be ended");
                }
                return pages::role_not_audited();
            }
            Redirect::to(&local_path(&form.next)).into_response()
        }
        Err(SessionError::Store(error)) => {
            let request_id = &request.request_id;
            tracing::error!(request_id, %error, "a role choice could not be kept");
            pages::role_not_changed("sessions cannot be kept just now; try again")
        }
        Err(e) => pages::role_not_changed(&e.to_string()),
    }
}

#[derive(Debug, Deserialize)]
struct SignOutForm {
    csrf: String,
}

async fn sign_out(
    State(SignInState {
        identity, audit, ..
    }): State<SignInState>,
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
            audit_session_refusal(&audit, session, viewer.as_ref(), &request, why).await;
            return pages::form_expired();
        }
        if let Err(error) = identity.sessions.end(id).await {
            // Signed out here all the same: the cookie is cleared below.
            let request_id = &request.request_id;
            tracing::error!(request_id, %error, "a session could not be ended in the store");
        }
        let event = session_event(session, &request, EventKind::SignOut);
        if let Err(error) = audit.record(event).await {
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
    crate::http::ClientAddr::of_request(&parts.extensions)
        .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED))
}

/// The cookie attribute that keeps a cookie to HTTPS, when browsers reach the portal so.
fn secure(identity: &Identity) -> &'static str {
    if identity.secure_cookies() {
        "; Secure"
    } else {
        ""
    }
}

/// `response` setting `cookie` too.
fn with_cookie(mut response: Response, cookie: &str) -> Response {
    if let Ok(value) = HeaderValue::from_str(cookie) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response
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

    #[test]
    fn csrf_tokens_compare_exactly() {
        assert!(tokens_match("abc", "abc"));
        assert!(!tokens_match("abc", "abd"));
        assert!(!tokens_match("abc", "ab"));
        assert!(!tokens_match("", ""));
    }
}
