//! The shared care record viewer's server: everything that does I/O lives here.
//!
//! - [`config`]: the one configuration struct, loaded from TOML and validated.
//! - [`cache`]: the brief per-source, per-patient cache with shared fetches and stale fallback.
//! - [`sources`]: talking to each organisation's FHIR R4 API over HTTP.
//! - [`fhir`]: reading FHIR bundles leniently and normalising resources into timeline entries.
//! - [`record`]: asking every source at once and merging their answers into one record.
//! - [`merge`]: cross-source duplicates and demographic disagreements (pure).
//! - [`http`]: the axum router: Leptos pages, server functions, the JSON API, health.
//! - [`demo`]: synthetic FHIR sources for demo mode and tests; [`demo_mode`] wires them in.
//!
//! `main.rs` only parses arguments and calls [`run`], so tests start the real server on
//! `127.0.0.1:0` the same way.

pub mod cache;
pub mod config;
pub mod demo;
pub mod demo_mode;
pub mod fhir;
pub mod http;
pub mod merge;
pub mod record;
pub mod sources;

use std::future::Future;
use std::sync::Arc;

pub use config::Config;

/// Serves the portal on `listener` until `shutdown` completes.
pub async fn run(
    config: Config,
    listener: tokio::net::TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let service = record::Aggregator::new(&config).map_err(std::io::Error::other)?;
    let router = http::router(&config, Arc::new(service));
    axum::serve(listener, router)
        .with_graceful_shutdown(shutdown)
        .await
}
