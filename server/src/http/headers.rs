//! Response headers: `no-store` on everything that may carry patient data, a Content Security
//! Policy (nonce-based on pages), the security headers every response gets, and compression.

use axum::http::{header, HeaderName, HeaderValue};
use axum::Router;
use leptos::prelude::use_context;
use leptos_axum::ResponseOptions;
use tower_http::compression::CompressionLayer;
use tower_http::set_header::SetResponseHeaderLayer;

/// Pages, server functions and the API may carry patient data: never cached anywhere.
pub fn no_store_layer() -> SetResponseHeaderLayer<HeaderValue> {
    SetResponseHeaderLayer::overriding(header::CACHE_CONTROL, HeaderValue::from_static("no-store"))
}

/// Brotli (quality 4) or gzip (level 6) for whatever the browser accepts and is not already
/// compressed: pages, server-function JSON, the JSON API. The encoder is flushed whenever the
/// response body waits for its next chunk, so Leptos's out-of-order streaming still reaches
/// the browser chunk by chunk (`server/tests/compression.rs` proves it). Images and event
/// streams and bodies of 32 bytes or fewer are left alone (tower-http's default predicate).
pub fn compression_layer() -> CompressionLayer {
    CompressionLayer::new().br(true).gzip(true)
}

/// The policy for everything that is not a Leptos page: no scripts at all.
const STRICT_CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self'; \
    form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// The Content-Security-Policy of a Leptos page: scripts only from the portal, or inline with
/// this response's nonce (hydration), plus WebAssembly compilation. Call inside a page render.
pub fn page_content_security_policy() {
    let Some(response) = use_context::<ResponseOptions>() else {
        return;
    };
    let nonce = leptos::nonce::use_nonce()
        .map(|n| format!(" 'nonce-{n}'"))
        .unwrap_or_default();
    let policy = format!(
        "default-src 'self'; script-src 'self'{nonce} 'wasm-unsafe-eval'; style-src 'self'; \
         img-src 'self' data:; connect-src 'self'; object-src 'none'; form-action 'self'; \
         frame-ancestors 'none'; base-uri 'none'"
    );
    if let Ok(value) = HeaderValue::from_str(&policy) {
        response.insert_header(header::CONTENT_SECURITY_POLICY, value);
    }
}

/// Adds the headers every response gets; HSTS when browsers reach the portal over TLS.
/// Whatever no inner layer marked cacheable (only the static bundle is) gets `no-store`:
/// refusals, redirects and 413s from the outer layers included.
pub fn with_security_headers(router: Router, tls: bool) -> Router {
    let router = router
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(STRICT_CSP),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::REFERRER_POLICY,
            // URLs carry NHS numbers: never sent to another site. Same-origin requests keep
            // theirs, so forms carry a real Origin for the CSRF check.
            HeaderValue::from_static("same-origin"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            HeaderName::from_static("x-frame-options"),
            HeaderValue::from_static("DENY"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            HeaderName::from_static("cross-origin-opener-policy"),
            HeaderValue::from_static("same-origin"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            HeaderName::from_static("permissions-policy"),
            HeaderValue::from_static("camera=(), microphone=(), geolocation=(), payment=()"),
        ));
    if tls {
        router.layer(SetResponseHeaderLayer::overriding(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        ))
    } else {
        router
    }
}
