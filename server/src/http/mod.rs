//! The axum router: Leptos pages and server functions, the JSON API, health, static assets, and
//! the headers every response carries.

mod api;
mod headers;

use crate::config::Config;
use crate::record::Aggregator;
use app::api::SharedRecordService;
use axum::extract::MatchedPath;
use axum::http::Request;
use axum::routing::get;
use axum::Router;
use leptos::prelude::*;
use leptos_axum::{generate_route_list, LeptosRoutes};
use std::sync::Arc;
use tower_http::services::ServeDir;
use tower_http::trace::TraceLayer;

/// State shared by the JSON API handlers.
#[derive(Clone)]
pub struct ApiState {
    pub records: Arc<Aggregator>,
}

/// Builds the whole portal.
pub fn router(config: &Config, records: Arc<Aggregator>) -> Router {
    let site_root = config.portal.site_root.clone();
    let options = LeptosOptions::builder()
        .output_name("app")
        .site_root(site_root.display().to_string())
        .site_pkg_dir("pkg")
        .site_addr(config.portal.addr)
        .build();
    let service: SharedRecordService = records.clone();

    let pages = Router::new()
        .leptos_routes_with_context(
            &options,
            generate_route_list(app::App),
            move || provide_context(service.clone()),
            {
                let options = options.clone();
                move || app::shell(options.clone())
            },
        )
        .fallback(leptos_axum::file_and_error_handler(app::shell))
        .with_state(options);

    let assets = Router::new()
        .nest_service(
            "/pkg",
            ServeDir::new(site_root.join("pkg")).precompressed_gzip(),
        )
        .layer(headers::static_asset_layer());

    let portal = Router::new()
        .route(
            "/healthz",
            get(|| async { axum::Json(serde_json::json!({ "status": "ok" })) }),
        )
        .merge(api::router(ApiState { records }))
        .merge(pages)
        .layer(headers::no_store_layer())
        .merge(assets);
    headers::with_security_headers(portal).layer(
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
