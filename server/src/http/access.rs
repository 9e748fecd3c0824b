//! Access control for every request, before any handler runs: who is asking (session cookie or
//! bearer token), whether a cookie-authenticated state change really comes from the portal's
//! own pages (CSRF), and whether their active role may open the route at all ([`requirement`],
//! the one table of routes and permissions). Handlers and the record service check again.

use crate::audit::{AuditEvent, AuditTrail, EventKind};
use crate::auth::oidc::{cookie, page};
use crate::auth::session::SessionError;
use crate::auth::{BearerError, Identity, Principal};
use crate::ratelimit::RateLimits;
use app::api::{LookupError, Outage};
use app::audit_terms::RefusalKind;
use app::auth::{Caller, Permission, RequestInfo, SignedIn};
use app::consent::{BasisSource, SessionKey};
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Json;
use std::sync::Arc;

/// What a route needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone, signed in or not.
    Public,
    /// A signed-in session, even before a role is chosen.
    SignedIn,
    /// An active role; with a permission when `Some`.
    Role(Option<Permission>),
    /// No one: a server function missing from the table is refused, so a new one cannot
    /// ship without saying who may call it.
    Nobody,
}

/// What a (canonical, [`canonical_path`]) path needs: its row in [`declared`]; a page
/// address no route declares needs an active role (then it is 404, with no data), as does
/// `/demo-idp/` when the demo identity provider is off.
pub fn requirement(path: &str, demo_idp: bool) -> Access {
    declared(path, demo_idp).unwrap_or(Access::Role(None))
}

/// The route table: the permission declared for each path the portal serves, `None` for a
/// page address no route declares. A test enumerates every page route, server function and
/// API route and fails for one without a row, so the table cannot drift from the routes.
fn declared(path: &str, demo_idp: bool) -> Option<Access> {
    use Access::*;
    Some(match path {
        "/healthz"
        | "/readyz"
        | "/api/openapi.json"
        | "/signin"
        | "/favicon.svg"
        | "/sfn/whoami"
        | "/sfn/sign-in-options" => Public,
        p if p.starts_with("/pkg/") || p.starts_with("/auth/") => Public,
        p if demo_idp && p.starts_with(DEMO_IDP) => Public,
        "/choose-role" | "/sfn/role-choices" => SignedIn,
        // The lookup page shows a role without record access where to go instead.
        "/" => Role(None),
        "/record"
        | "/record/trends"
        | "/search"
        | "/sfn/record"
        | "/sfn/record-in-full"
        | "/sfn/sources-asked"
        | "/sfn/timeline"
        | "/sfn/basis"
        | "/sfn/search"
        | "/sfn/demo-patients"
        | "/sfn/entry"
        | "/api/v1/patients" => Role(Some(Permission::FindPatient)),
        p if p.starts_with("/api/v1/patients/") => Role(Some(Permission::FindPatient)),
        "/admin" | "/sfn/ops-notifications" | crate::metrics::PATH => {
            Role(Some(Permission::Operations))
        }
        "/api/v1/audit/events" => Role(Some(Permission::Audit)),
        "/audit"
        | "/audit/reports"
        | "/audit/patient"
        | "/sfn/audit-search"
        | "/sfn/audit-reviews"
        | "/sfn/audit-review"
        | "/sfn/audit-verify"
        | "/sfn/audit-report"
        | "/sfn/audit-patient"
        | "/sfn/audit-choices"
        | "/sfn/audit-reviewed" => Role(Some(Permission::Audit)),
        // Every server function and API route is listed above; any other is refused, so a
        // route added without a row here is closed to everyone rather than open to all.
        p if p.starts_with("/sfn/") || p.starts_with("/api/") || p == "/api" => Nobody,
        _ => return None,
    })
}

/// Where the demo identity provider is served (when it is on).
const DEMO_IDP: &str = "/demo-idp/";

/// The path as the route table judges it: each segment percent-decoded, empty segments (`//`,
/// a trailing `/`) dropped, so `/audit/`, `//audit` and `/%61udit` are all `/audit`. `None`
/// (refused) for a path that could be read as another: a `.` or `..` segment (encoded or
/// not), an encoded `/`, a backslash, or bytes that are not UTF-8. No portal route has one.
pub fn canonical_path(raw: &str) -> Option<String> {
    let mut path = String::with_capacity(raw.len());
    for segment in raw.split('/').filter(|s| !s.is_empty()) {
        let decoded = percent_encoding::percent_decode_str(segment)
            .decode_utf8()
            .ok()?;
        if decoded == "." || decoded == ".." || decoded.contains(['/', '\\']) {
            return None;
        }
        path.push('/');
        path.push_str(&decoded);
    }
    if path.is_empty() {
        path.push('/');
    }
    Some(path)
}

/// What the access layer needs: who is who, where refusals are audited, the per-user limit on
/// patient lookups, and whether the demo identity provider is mounted (only then is
/// `/demo-idp/` left to it).
#[derive(Clone)]
pub struct Guard {
    pub identity: Arc<Identity>,
    pub audit: AuditTrail,
    pub limits: Arc<RateLimits>,
    pub demo_idp: bool,
}

/// How refusals are written for this path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Audience {
    Api,
    ServerFunction,
    Page,
}

fn audience(path: &str) -> Audience {
    // The metrics are read by a scraper, not a person: refused as the API refuses (401 with
    // a challenge, 403), never with a sign-in redirect or a page.
    if path.starts_with("/api/") || path == crate::metrics::PATH {
        Audience::Api
    } else if path.starts_with("/sfn/") {
        Audience::ServerFunction
    } else {
        Audience::Page
    }
}

/// Resolves the principal, checks CSRF and the route table, then runs the handler.
pub async fn guard(State(guard): State<Guard>, mut request: Request, next: Next) -> Response {
    let raw = request.uri().path();
    let Some(path) = canonical_path(raw) else {
        let refusal = LookupError::InvalidInput("this address is not valid".into());
        return refuse(audience(raw), refusal, None);
    };
    if guard.demo_idp && path.starts_with(DEMO_IDP) {
        // The demo identity provider is another party that happens to share the listener:
        // its bearer tokens (UserInfo) are its own business.
        return next.run(request).await;
    }
    let request_info = request_info(&request);
    request.extensions_mut().insert(request_info.clone());
    let id = HeaderValue::from_str(&request_info.request_id).ok();
    let mut response = admit(&guard, &path, request, next, request_info).await;
    // The id the audit trail holds this request under, for support calls and reconciliation.
    if let Some(id) = id {
        response.headers_mut().insert("x-request-id", id);
    }
    response
}

/// Identifies the caller, checks the route's requirement and passes the request on with the
/// caller attached, or refuses it.
async fn admit(
    guard: &Guard,
    path: &str,
    mut request: Request,
    next: Next,
    request_info: RequestInfo,
) -> Response {
    let Guard {
        identity,
        audit,
        limits,
        demo_idp,
    } = guard;
    let audience = audience(path);
    let headers = request.headers().clone();
    let principal = match identify(identity, &headers).await {
        Ok(p) => p,
        Err(Unidentified::Sessions(cause)) => {
            let outage = crate::outage::logged(Outage::Sessions, &cause, &request_info.request_id);
            return refuse(audience, outage, None);
        }
        Err(Unidentified::Bearer(BearerError::Token(why))) => {
            // Why the token was refused, in the portal's own words (never the token's
            // contents), where RFC 6750 puts it: the client's to act on.
            let mut response = refuse(audience, LookupError::NotSignedIn, None);
            let challenge = format!(
                "Bearer error=\"invalid_token\", error_description=\"{}\"",
                why.to_string().replace(['"', '\\'], "'")
            );
            if let (Audience::Api, Ok(value)) = (audience, HeaderValue::from_str(&challenge)) {
                response
                    .headers_mut()
                    .insert(header::WWW_AUTHENTICATE, value);
            }
            return response;
        }
        // The token is good but grants no usable role: said in the portal's own words.
        Err(Unidentified::Bearer(e)) => {
            return refuse(audience, LookupError::Forbidden(e.to_string()), None)
        }
    };
    if let Principal::Session {
        session, viewer, ..
    } = &principal
    {
        if is_state_changing(request.method()) && !same_origin(&request, identity) {
            let (route, _) = route_and_patient(path);
            let why = format!("{route}: a cross-site request (not from the portal's own pages)");
            audit_session_refusal(audit, session, viewer.as_ref(), &request_info, why).await;
            let refusal = LookupError::Forbidden(
                "this request did not come from the portal's own pages".into(),
            );
            return refuse(audience, refusal, None);
        }
    }
    let requirement = requirement(path, *demo_idp);
    if let Some(refusal) = check(requirement, &principal, audience, &request) {
        if let (Some(viewer), Access::Role(Some(permission))) = (principal.viewer(), requirement) {
            audit_refusal(audit, viewer, &request_info, path, permission).await;
        }
        return refusal;
    }
    if requirement == Access::Role(Some(Permission::FindPatient)) {
        if let Some(viewer) = principal.viewer() {
            if let Err(retry) = limits.lookup.check(&viewer.user_id) {
                let (route, nhs) = route_and_patient(path);
                let mut event = AuditEvent::by_viewer(viewer, &request_info, EventKind::Denied)
                    .refused(
                        RefusalKind::RateLimited,
                        format!("{route}: rate limited ({retry})"),
                    );
                event.nhs_number = nhs.map(|n| n.as_digits());
                if let Err(error) = audit.record(event).await {
                    let request_id = &request_info.request_id;
                    tracing::error!(request_id, %error, "a rate-limited request could not be audited");
                }
                let seconds = retry.seconds();
                let refusal =
                    LookupError::TooManyRequests(format!("try again in {seconds} seconds"));
                return refuse(audience, refusal, Some(seconds));
            }
        }
    }
    if let Some(signed_in) = signed_in(&principal) {
        request.extensions_mut().insert(signed_in);
    }
    // Every source asked while this request is handled is told its id (X-Request-ID).
    let request_id = request_info.request_id.clone();
    if let Some(viewer) = principal.viewer().cloned() {
        if let Some(basis) = basis_source(&principal, &headers) {
            let caller = Caller {
                viewer: viewer.clone(),
                basis,
                request: request_info,
            };
            request.extensions_mut().insert(caller);
        }
        request.extensions_mut().insert(viewer);
    }
    request.extensions_mut().insert(principal);
    crate::sources::on_behalf_of(&request_id, next.run(request)).await
}

/// Why a request's caller could not be told.
enum Unidentified {
    /// The bearer token was refused.
    Bearer(BearerError),
    /// The shared session store failed.
    Sessions(SessionError),
}

async fn identify(identity: &Identity, headers: &HeaderMap) -> Result<Principal, Unidentified> {
    if let Some(value) = headers.get(header::AUTHORIZATION) {
        let token = value
            .to_str()
            .ok()
            .and_then(|v| v.strip_prefix("Bearer "))
            .ok_or(Unidentified::Bearer(BearerError::Token(
                crate::auth::verify::TokenError::Malformed,
            )))?;
        return identity
            .bearer_principal(token.trim())
            .await
            .map_err(Unidentified::Bearer);
    }
    let Some(id) = cookie(headers, identity.session_cookie()) else {
        return Ok(Principal::Anonymous);
    };
    Ok(identity
        .session_principal(id)
        .await
        .map_err(Unidentified::Sessions)?
        .unwrap_or(Principal::Anonymous))
}

fn is_state_changing(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// True when the browser says the request comes from the portal's own origin (`Origin`, or
/// `Sec-Fetch-Site: same-origin` when a browser sends no usable Origin). Neither: refused.
fn same_origin(request: &Request, identity: &Identity) -> bool {
    let headers = request.headers();
    // `Origin: null` (privacy-sensitive contexts) says nothing; fall back to Sec-Fetch-Site.
    let origin = headers
        .get(header::ORIGIN)
        .and_then(|v| v.to_str().ok())
        .filter(|o| *o != "null");
    if let Some(origin) = origin {
        let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
        return origin_allowed(
            origin,
            &identity.public_url,
            host,
            identity.origin_from_host,
        );
    }
    headers
        .get("sec-fetch-site")
        .is_some_and(|v| v.as_bytes() == b"same-origin")
}

/// True when `origin` is the portal's own: `public_url`'s origin; when that was not configured
/// (`origin_from_host`), also the request's `Host` over http(s).
fn origin_allowed(
    origin: &str,
    public_url: &url::Url,
    host: Option<&str>,
    origin_from_host: bool,
) -> bool {
    origin == public_url.origin().ascii_serialization()
        || (origin_from_host
            && host.is_some_and(|h| {
                origin == format!("http://{h}") || origin == format!("https://{h}")
            }))
}

/// The refusal for a principal that does not meet `requirement`, if any.
fn check(
    requirement: Access,
    principal: &Principal,
    audience: Audience,
    request: &Request,
) -> Option<Response> {
    let here = request
        .uri()
        .path_and_query()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| "/".to_owned());
    let encoded = |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
    match (requirement, principal) {
        (Access::Public, _) => None,
        (Access::Nobody, _) => Some(refuse(
            audience,
            LookupError::Forbidden("this address is not available".into()),
            None,
        )),
        (_, Principal::Anonymous) => Some(match audience {
            Audience::Page => {
                Redirect::to(&format!("/signin?next={}", encoded(&here))).into_response()
            }
            _ => refuse(audience, LookupError::NotSignedIn, None),
        }),
        (Access::SignedIn, _) => None,
        (Access::Role(_), Principal::Session { viewer: None, .. }) => Some(match audience {
            Audience::Page => {
                Redirect::to(&format!("/choose-role?next={}", encoded(&here))).into_response()
            }
            _ => refuse(
                audience,
                LookupError::Forbidden("choose a role first".into()),
                None,
            ),
        }),
        (Access::Role(None), _) => None,
        (Access::Role(Some(permission)), principal) => {
            let viewer = principal.viewer()?;
            if viewer.may(permission) {
                None
            } else {
                let message = format!(
                    "your role ({}) does not allow this ({})",
                    viewer.role.label(),
                    permission.as_str()
                );
                Some(refuse(audience, LookupError::Forbidden(message), None))
            }
        }
    }
}

/// Where the request's legitimate basis comes from: a browser session's recorded bases (named
/// by a digest of the session id, so the id itself is held in one place only), or the headers
/// of a machine client's request.
fn basis_source(principal: &Principal, headers: &HeaderMap) -> Option<BasisSource> {
    match principal {
        Principal::Anonymous => None,
        Principal::Session { id, .. } => {
            use sha2::Digest;
            let digest = sha2::Sha256::digest(id.as_bytes());
            let key = digest.iter().map(|b| format!("{b:02x}")).collect();
            Some(BasisSource::Session(SessionKey(key)))
        }
        Principal::Bearer { .. } => {
            Some(BasisSource::Stated(crate::viewing::stated_basis(headers)))
        }
    }
}

/// The path with the patient's NHS number replaced by `{nhs_number}`, and that number,
/// however it was written (`9434765919`, `943 476 5919`, `943%20476%205919`), so a refusal
/// is found in the patient's access report.
fn route_and_patient(path: &str) -> (String, Option<app::nhs_number::NhsNumber>) {
    let mut nhs = None;
    let route: Vec<String> = path
        .split('/')
        .map(|segment| {
            let decoded = percent_encoding::percent_decode_str(segment).decode_utf8_lossy();
            match app::nhs_number::NhsNumber::parse(&decoded) {
                Ok(number) if nhs.is_none() => {
                    nhs = Some(number);
                    "{nhs_number}".to_owned()
                }
                _ => segment.to_owned(),
            }
        })
        .collect();
    (route.join("/"), nhs)
}

/// Audits a refusal of a browser session's request (with or without an active role), e.g. a
/// cross-site request or a form whose CSRF token does not match.
pub(crate) async fn audit_session_refusal(
    audit: &AuditTrail,
    session: &crate::auth::session::Session,
    viewer: Option<&app::auth::Viewer>,
    request: &RequestInfo,
    why: String,
) {
    let event = match viewer {
        Some(viewer) => AuditEvent::by_viewer(viewer, request, EventKind::Denied),
        None => AuditEvent::by_user(
            &session.user.user_id,
            &session.user.name,
            request,
            EventKind::Denied,
        ),
    };
    let event = event.refused(RefusalKind::InvalidRequest, why);
    if let Err(error) = audit.record(event).await {
        let request_id = &request.request_id;
        tracing::error!(request_id, %error, "a refused request could not be audited");
    }
}

/// Audits a role refused a route: who, which route (NHS numbers in the path go in their own
/// field, not the route) and the permission missing.
async fn audit_refusal(
    audit: &AuditTrail,
    viewer: &app::auth::Viewer,
    request: &RequestInfo,
    path: &str,
    permission: Permission,
) {
    let (route, nhs) = route_and_patient(path);
    let mut event = AuditEvent::by_viewer(viewer, request, EventKind::Denied).refused(
        RefusalKind::Role,
        format!("{route} needs the {} permission", permission.as_str()),
    );
    event.nhs_number = nhs.map(|n| n.as_digits());
    if let Err(error) = audit.record(event).await {
        let request_id = &request.request_id;
        tracing::error!(request_id, %error, "a refused request could not be audited");
    }
}

/// The request's id (new, random), client address and user agent, for the audit trail.
pub fn request_info(request: &Request) -> RequestInfo {
    let client = crate::http::ClientAddr::of_request(request.extensions())
        .map(|ip| ip.to_string())
        .unwrap_or_default();
    let user_agent: String = request
        .headers()
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .chars()
        .take(256)
        .collect();
    RequestInfo {
        request_id: crate::web::random_token()[..16].to_owned(),
        client,
        user_agent,
    }
}

/// What pages see of a browser session.
fn signed_in(principal: &Principal) -> Option<SignedIn> {
    match principal {
        Principal::Session {
            session, viewer, ..
        } => Some(SignedIn {
            name: session.user.name.clone(),
            viewer: viewer.clone(),
            choices: Identity::role_choices(session),
            csrf_token: session.csrf_token.clone(),
        }),
        _ => None,
    }
}

/// A refusal in the form its caller reads: JSON for the API (as its handlers answer), the
/// server functions' error type for them, a page for browsers. Its status, the API's `error`
/// code and its words are the refusal's own ([`LookupError::status`], [`LookupError::code`]),
/// as everywhere else in the portal.
fn refuse(audience: Audience, refusal: LookupError, retry_after: Option<u64>) -> Response {
    let status = refusal.status();
    let mut response = match audience {
        Audience::Api => super::api::ApiError::from(refusal).into_response(),
        Audience::ServerFunction => (status, Json(refusal)).into_response(),
        Audience::Page => {
            let title = match status {
                StatusCode::BAD_REQUEST => "Address not valid",
                StatusCode::UNAUTHORIZED => "Sign in again",
                StatusCode::TOO_MANY_REQUESTS => "Too many requests",
                _ => "Not available to your role",
            };
            let body = format!(
                "<p data-testid=\"refusal\">{}</p><p><a class=\"underline\" href=\"/\">Back to the start</a></p>",
                crate::web::escape(&refusal.to_string())
            );
            page(status, title, &body)
        }
    };
    if status == StatusCode::UNAUTHORIZED && audience == Audience::Api {
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer error=\"invalid_token\""),
        );
    }
    if let Some(seconds) = retry_after {
        if let Ok(value) = HeaderValue::from_str(&seconds.to_string()) {
            response.headers_mut().insert(header::RETRY_AFTER, value);
        }
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csrf_origins() {
        let configured = url::Url::parse("https://scr.example.nhs.uk/").unwrap();
        // Configured: only its origin; the Host header (a proxy's or a rebinding DNS name's
        // choice) says nothing.
        for (origin, host, allowed) in [
            ("https://scr.example.nhs.uk", "scr.example.nhs.uk", true),
            ("http://evil.example", "evil.example", false),
            ("https://evil.example", "evil.example", false),
            ("http://10.0.0.5:3000", "10.0.0.5:3000", false),
            ("http://scr.example.nhs.uk", "scr.example.nhs.uk", false),
            (
                "https://scr.example.nhs.uk:8443",
                "scr.example.nhs.uk:8443",
                false,
            ),
        ] {
            let got = origin_allowed(origin, &configured, Some(host), false);
            assert_eq!(got, allowed, "configured, {origin} with Host {host}");
        }
        // Derived from the listener: that origin, or the Host the request came to.
        let derived = url::Url::parse("http://127.0.0.1:3000/").unwrap();
        for (origin, host, allowed) in [
            ("http://127.0.0.1:3000", "localhost:3000", true),
            ("http://localhost:3000", "localhost:3000", true),
            ("https://localhost:3000", "localhost:3000", true),
            ("http://evil.example", "localhost:3000", false),
        ] {
            let got = origin_allowed(origin, &derived, Some(host), true);
            assert_eq!(got, allowed, "derived, {origin} with Host {host}");
        }
    }

    /// Every route the portal serves, from where each is defined: the app's page routes (as
    /// Leptos lists them for the router), every registered server function, and the JSON API's
    /// routes, with sample values for their parameters. Each must have its own row, not the
    /// fallback for unknown pages and not the refusal for unknown server functions and API
    /// routes.
    #[tokio::test]
    async fn every_route_the_portal_serves_has_a_declared_permission() {
        // Listing the pages renders the app's router once, on Leptos's executor (tokio).
        let pages: Vec<String> = leptos_axum::generate_route_list(app::App)
            .iter()
            .map(|route| route.path().to_owned())
            .collect();
        assert!(pages.iter().any(|p| p == "/record"), "{pages:?}");
        let functions: Vec<String> = leptos::server_fn::axum::server_fn_paths()
            .map(|(path, _)| path.to_owned())
            .collect();
        assert!(
            functions.iter().any(|p| p == "/sfn/record"),
            "{functions:?}"
        );
        let api = super::super::api::PATHS.iter().map(|template| {
            template
                .split('/')
                .map(|s| if s.starts_with('{') { "9434765919" } else { s })
                .collect::<Vec<_>>()
                .join("/")
        });
        let routes: Vec<String> = pages
            .into_iter()
            .chain(functions)
            .chain(api)
            .chain([crate::metrics::PATH.to_owned()])
            .collect();
        assert!(routes.len() > 30, "{routes:?}");
        for route in &routes {
            let path = canonical_path(route).expect("a route's own path is canonical");
            match declared(&path, false) {
                Some(Access::Nobody) => panic!("{route} is served but refused to everyone"),
                Some(_) => {}
                None => panic!("{route} is served but has no row in the route table"),
            }
        }
        // What no route serves: refused under /api/ and /sfn/, a 404 page otherwise.
        for unknown in ["/api/v2/anything", "/api", "/sfn/not-a-function"] {
            assert_eq!(declared(unknown, false), Some(Access::Nobody), "{unknown}");
        }
        assert_eq!(declared("/no-such-page", false), None);
    }

    #[test]
    fn route_table() {
        use Access::*;
        let table = [
            ("/healthz", Public),
            ("/readyz", Public),
            ("/signin", Public),
            ("/auth/callback", Public),
            ("/pkg/app.wasm", Public),
            ("/demo-idp/jwks", Public),
            ("/sfn/whoami", Public),
            ("/choose-role", SignedIn),
            ("/", Role(None)),
            ("/record", Role(Some(Permission::FindPatient))),
            ("/record/trends", Role(Some(Permission::FindPatient))),
            ("/search", Role(Some(Permission::FindPatient))),
            ("/sfn/record", Role(Some(Permission::FindPatient))),
            ("/sfn/basis", Role(Some(Permission::FindPatient))),
            ("/sfn/entry", Role(Some(Permission::FindPatient))),
            ("/sfn/timeline", Role(Some(Permission::FindPatient))),
            ("/sfn/record-in-full", Role(Some(Permission::FindPatient))),
            ("/sfn/sources-asked", Role(Some(Permission::FindPatient))),
            ("/audit", Role(Some(Permission::Audit))),
            ("/sfn/audit-review", Role(Some(Permission::Audit))),
            (
                "/api/v1/patients/9434765919/record",
                Role(Some(Permission::FindPatient)),
            ),
            ("/api/v1/patients", Role(Some(Permission::FindPatient))),
            (
                "/api/v1/patients/9434765919/documents/acute/d1/0",
                Role(Some(Permission::FindPatient)),
            ),
            ("/somewhere-else", Role(None)),
            ("/sfn/not-in-the-table", Nobody),
            ("/sfn/audit-search", Role(Some(Permission::Audit))),
            ("/sfn/audit-report", Role(Some(Permission::Audit))),
            ("/sfn/audit-patient", Role(Some(Permission::Audit))),
            ("/sfn/audit-choices", Role(Some(Permission::Audit))),
            ("/sfn/audit-reviewed", Role(Some(Permission::Audit))),
            ("/audit/reports", Role(Some(Permission::Audit))),
            ("/audit/patient", Role(Some(Permission::Audit))),
            ("/audit/elsewhere", Role(None)),
            ("/api/v1/audit/events", Role(Some(Permission::Audit))),
            ("/sfn/ops-notifications", Role(Some(Permission::Operations))),
            ("/metrics", Role(Some(Permission::Operations))),
            ("/api/v2/anything", Nobody),
            ("/api/v1/patients-but-not-quite", Nobody),
            ("/api", Nobody),
            ("/apiary", Role(None)),
        ];
        for (path, expected) in table {
            assert_eq!(requirement(path, true), expected, "{path}");
        }
        // With the demo identity provider off, its paths are unknown paths like any other.
        assert_eq!(requirement("/demo-idp/jwks", false), Role(None));
        assert_eq!(requirement("/demo-idp/authorize", false), Role(None));
    }

    #[test]
    fn paths_are_judged_in_one_form() {
        // (raw path, as the table judges it; None: refused)
        let table = [
            ("/", Some("/")),
            ("", Some("/")),
            ("//", Some("/")),
            ("/audit", Some("/audit")),
            ("/audit/", Some("/audit")),
            ("//audit", Some("/audit")),
            ("/audit//reports/", Some("/audit/reports")),
            ("/%61udit", Some("/audit")),
            ("/admin/", Some("/admin")),
            ("/record/", Some("/record")),
            (
                "/api/v1/patients/999%20000%200018/record",
                Some("/api/v1/patients/999 000 0018/record"),
            ),
            ("/demo-idp/../audit", None),
            ("/demo-idp/%2e%2e/audit", None),
            ("/demo-idp/%2E%2E/audit", None),
            ("/record/./", None),
            ("/./audit", None),
            ("/..", None),
            ("/demo-idp%2F..%2Faudit", None),
            ("/demo-idp/..%2Faudit", None),
            ("/demo-idp\\..\\audit", None),
            ("/%FF", None),
            ("/a..b/.c/d.", Some("/a..b/.c/d.")),
        ];
        for (raw, expected) in table {
            assert_eq!(canonical_path(raw).as_deref(), expected, "{raw:?}");
        }
    }

    #[test]
    fn the_patient_in_a_path_is_found_however_the_number_is_written() {
        // (path, route, NHS number)
        let table = [
            (
                "/api/v1/patients/9434765919/record",
                "/api/v1/patients/{nhs_number}/record",
                Some("9434765919"),
            ),
            (
                "/api/v1/patients/943%20476%205919/record",
                "/api/v1/patients/{nhs_number}/record",
                Some("9434765919"),
            ),
            (
                "/api/v1/patients/943-476-5919/entries/gp/Observation/9434765919",
                "/api/v1/patients/{nhs_number}/entries/gp/Observation/9434765919",
                Some("9434765919"),
            ),
            (
                "/api/v1/patients/9434765918/record",
                "/api/v1/patients/9434765918/record",
                None,
            ),
            ("/audit", "/audit", None),
        ];
        for (path, route, nhs) in table {
            let (found_route, found) = route_and_patient(path);
            assert_eq!(found_route, route, "{path}");
            assert_eq!(found.map(|n| n.as_digits()).as_deref(), nhs, "{path}");
        }
    }
}
