//! The pages the sign-in steps answer with: plain server-rendered HTML (no patient data, no
//! scripts), each saying what happened and what to do next. The access layer's refusals for
//! browsers use [`page`] too.

use crate::ratelimit::RetryAfter;
use crate::web::escape;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};

/// A plain server-rendered page for the sign-in steps (no patient data).
pub fn page(status: StatusCode, title: &str, body: &str) -> Response {
    let html = format!(
        r#"<!DOCTYPE html><html lang="en-GB"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>{title} - Shared care record</title><link rel="stylesheet" href="/pkg/app.css"></head><body class="bg-slate-100 text-slate-900"><header class="bg-[#005eb8] text-white"><div class="mx-auto max-w-6xl px-4 py-3 text-lg font-semibold">Shared care record</div></header><main class="mx-auto max-w-6xl px-4 py-6"><h1 class="mb-4 text-2xl font-bold" data-testid="auth-page-title">{title}</h1>{body}</main></body></html>"#,
        title = escape(title),
    );
    (status, Html(html)).into_response()
}

/// This address has started too many sign-ins lately.
pub(super) fn too_many_attempts(retry: &RetryAfter) -> Response {
    page(
        StatusCode::TOO_MANY_REQUESTS,
        "Too many sign-in attempts",
        &format!("<p>{}</p>", escape(&retry.to_string())),
    )
}

/// The sign-in link names no configured identity provider.
pub(super) fn unknown_provider() -> Response {
    page(
        StatusCode::BAD_REQUEST,
        "Unknown identity provider",
        "<p>Choose one of the providers on the <a class=\"underline\" href=\"/signin\">sign-in page</a>.</p>",
    )
}

/// The identity provider's discovery document cannot be had.
pub(super) fn provider_unreachable() -> Response {
    page(
        StatusCode::BAD_GATEWAY,
        "The identity provider cannot be reached",
        "<p>Try again in a moment. If it keeps happening, tell the service desk.</p>",
    )
}

/// A sign-in could not be started here (its login cookie could not be sealed).
pub(super) fn sign_in_unavailable() -> Response {
    page(
        StatusCode::SERVICE_UNAVAILABLE,
        "Sign-in is unavailable",
        "<p>Try again in a minute.</p>",
    )
}

/// Signed in: on to `next`. A page, not a redirect: the SameSite=Strict session cookie is then
/// sent on the next navigation even though this one came from another site.
pub(super) fn signed_in(next: &str) -> Response {
    let next = escape(next);
    page(
        StatusCode::OK,
        "Signed in",
        &format!(
            "<meta http-equiv=\"refresh\" content=\"0;url={next}\"><p><a class=\"underline\" href=\"{next}\" data-testid=\"continue\">Continue</a></p>"
        ),
    )
}

/// The sign-in did not complete, for the reason in `why` (words for the person).
pub(super) fn sign_in_failed(status: StatusCode, why: &str) -> Response {
    page(
        status,
        "Sign-in did not complete",
        &format!(
            "<p>{}.</p><p><a class=\"underline\" href=\"/signin\">Sign in again</a></p>",
            escape(why)
        ),
    )
}

/// A form's CSRF token does not match the session's.
pub(super) fn form_expired() -> Response {
    page(
        StatusCode::FORBIDDEN,
        "Form expired",
        "<p>Reload the page and try again.</p>",
    )
}

/// A role choice could not be audited, so it was not made (and the session ended).
pub(super) fn role_not_audited() -> Response {
    page(
        StatusCode::SERVICE_UNAVAILABLE,
        "Role not changed",
        "<p>The audit trail is unavailable, so no role can be chosen. Sign in again later.</p>",
    )
}

/// The role asked for cannot be chosen, for the reason in `why`.
pub(super) fn role_not_changed(why: &str) -> Response {
    page(
        StatusCode::BAD_REQUEST,
        "Role not changed",
        &format!("<p>{}.</p>", escape(why)),
    )
}
