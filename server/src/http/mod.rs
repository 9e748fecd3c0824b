//! The axum router: Leptos pages and server functions, the JSON API, sign-in, health, static
//! assets; the access layer in front of all of them; the headers every response carries.

pub mod access;
mod api;
pub mod assets;
mod documents;
mod headers;

use crate::auth::Identity;
use crate::config::Config;
use crate::demo::idp::DemoIdp;
use crate::viewing::RecordDesk;
use app::api::{IdentityProviders, SharedRecordService};
use app::audit::SharedAuditService;
use app::auth::SignInOption;
use app::operations::SharedOperationsService;
use axum::extract::MatchedPath;
use axum::http::Request;
use axum::routing::get;
use axum::Router;
use leptos::prelude::*;
use leptos_axum::{generate_route_list, LeptosRoutes};
use std::net::SocketAddr;
use std::sync::Arc;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::trace::TraceLayer;

/// State shared by the JSON API handlers.
#[derive(Clone)]
pub struct ApiState {
    pub records: Arc<RecordDesk>,
    pub audit: crate::audit::AuditTrail,
    /// How large a document is shown (`[documents]`).
    pub documents: crate::documents::DocumentsConfig,
}

/// The connection's remote address (plain TCP or TLS), for per-address limits; put on each
/// request by [`crate::serve`] as `ConnectInfo<ClientAddr>`.
#[derive(Debug, Clone, Copy)]
pub struct ClientAddr(pub SocketAddr);

/// Builds the whole portal.
pub fn router(
    config: &Config,
    records: Arc<RecordDesk>,
    (audit, operations): (SharedAuditService, SharedOperationsService),
    audit_trail: crate::audit::AuditTrail,
    identity: Arc<Identity>,
    demo_idp: Option<Arc<DemoIdp>>,
) -> Router {
    let site_root = config.portal.site_root.clone();
    let assets::Site {
        clinical: options,
        office,
        stylesheet,
    } = assets::site(&site_root, config.portal.addr);
    let service: SharedRecordService = records.clone();
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
    let tls = config.portal.tls.is_some() || identity.secure_cookies();
    let guard = access::Guard {
        identity: identity.clone(),
        demo_idp: demo_idp.is_some(),
    };

    let fallback_stylesheet = stylesheet.clone();
    let pages = Router::new()
        .leptos_routes_with_context(
            &options,
            generate_route_list(app::App),
            move || {
                provide_context(service.clone());
                provide_context(audit.clone());
                provide_context(operations.clone());
                provide_context(sign_in.clone());
                provide_context(stylesheet.clone());
                provide_context(office.clone());
                headers::page_content_security_policy();
            },
            {
                let options = options.clone();
                move || app::shell(options.clone())
            },
        )
        .fallback(leptos_axum::file_and_error_handler_with_context(
            move || provide_context(fallback_stylesheet.clone()),
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
        .merge(api::router(ApiState {
            records,
            audit: audit_trail,
            documents: config.documents.clone(),
        }))
        .merge(crate::auth::oidc::routes(identity.clone()));
    if let Some(idp) = demo_idp {
        portal = portal.merge(idp.router());
    }
    let portal = portal
        .merge(pages)
        .layer(headers::no_store_layer())
        .merge(assets)
        .layer(axum::middleware::from_fn_with_state(guard, access::guard))
        .layer(RequestBodyLimitLayer::new(config.portal.max_request_bytes));
    // Compressed inside the security headers, so every header is kept; `/pkg` files arrive
    // already compressed (their Content-Encoding makes this layer pass them through).
    let portal = portal.layer(headers::compression_layer());
    headers::with_security_headers(portal, tls).layer(
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
}
