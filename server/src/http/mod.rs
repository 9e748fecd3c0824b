//! The axum router: Leptos pages and server functions, the JSON API, sign-in, health, static
//! assets; the access layer in front of all of them; the headers every response carries.

pub mod access;
mod api;
pub mod assets;
pub mod client_addr;
mod documents;
mod headers;
pub mod ready;
mod state;

pub use client_addr::ClientAddr;
pub use state::{ApiState, AppState};

use app::api::{IdentityProviders, PatientsToTry, SharedRecordService};
use app::auth::SignInOption;
use axum::extract::MatchedPath;
use axum::http::Request;
use axum::routing::get;
use axum::Router;
use leptos::prelude::*;
use leptos_axum::{generate_route_list, LeptosRoutes};
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::trace::TraceLayer;

/// Builds the whole portal.
pub fn router(state: AppState) -> Router {
    let config = &state.config;
    let site_root = config.portal.site_root.clone();
    let assets::Site {
        clinical: options,
        scripts,
        office,
        stylesheet,
    } = assets::site(&site_root, config.portal.addr);
    let service: SharedRecordService = state.records.clone();
    // Listed on the search page in demo mode; empty against real sources.
    let demo_patients = PatientsToTry(config.demo_patients.clone());
    let audit: app::audit::SharedAuditService = state.audit_workspace.clone();
    let operations = state.operations.clone();
    let sign_in = IdentityProviders(
        config
            .identity
            .issuers
            .iter()
            .map(|i| SignInOption {
                id: i.id.clone(),
                name: i.name.clone(),
            })
            .collect(),
    );
    let tls = config.portal.tls.is_some() || state.identity.secure_cookies();

    let fallback_stylesheet = stylesheet.clone();
    let fallback_scripts = scripts.clone();
    let pages = Router::new()
        .leptos_routes_with_context(
            &options,
            generate_route_list(app::App),
            move || {
                provide_context(service.clone());
                provide_context(audit.clone());
                provide_context(operations.clone());
                provide_context(sign_in.clone());
                provide_context(demo_patients.clone());
                provide_context(stylesheet.clone());
                provide_context(scripts.clone());
                provide_context(office.clone());
                headers::page_content_security_policy();
            },
            {
                let options = options.clone();
                move || app::shell(options.clone())
            },
        )
        .fallback(leptos_axum::file_and_error_handler_with_context(
            move || {
                provide_context(fallback_stylesheet.clone());
                provide_context(fallback_scripts.clone());
            },
            app::shell,
        ))
        .with_state(options);

    let assets = Router::new()
        .nest_service("/pkg", assets::service(&site_root))
        .layer(axum::middleware::from_fn(assets::cache_control));

    let mut portal = Router::new()
        .route(
            "/healthz",
            get(|| async { axum::Json(serde_json::json!({ "status": "ok" })) }),
        )
        .route("/readyz", get(ready::readyz).with_state(state.readiness()))
        .route(
            crate::metrics::PATH,
            get(crate::metrics::serve).with_state(crate::metrics::handle()),
        )
        .merge(api::router(state.api()))
        .merge(crate::auth::oidc::routes(state.sign_in()));
    if let Some(idp) = &state.demo_idp {
        portal = portal.merge(idp.clone().router());
    }
    let portal = portal
        .merge(pages)
        .layer(headers::no_store_layer())
        .merge(assets)
        .layer(axum::middleware::from_fn_with_state(
            state.guard(),
            access::guard,
        ))
        .layer(RequestBodyLimitLayer::new(config.portal.max_request_bytes));
    // Compressed inside the security headers, so every header is kept; `/pkg` files arrive
    // already compressed (their Content-Encoding makes this layer pass them through).
    let portal = portal.layer(headers::compression_layer());
    headers::with_security_headers(portal, tls)
        .layer(
            // Log the route template, never the URI: paths and queries carry NHS numbers.
            TraceLayer::new_for_http().make_span_with(|request: &Request<_>| {
                let route = request
                    .extensions()
                    .get::<MatchedPath>()
                    .map(|p| p.as_str().to_owned())
                    .unwrap_or_else(|| "<unmatched>".to_owned());
                tracing::info_span!("request", method = %request.method(), route)
            }),
        )
        // Counted and timed by route template too, never by path.
        .layer(axum::middleware::from_fn(crate::metrics::track_requests))
}
