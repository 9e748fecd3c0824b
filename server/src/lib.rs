//! The shared care record viewer's server: everything that does I/O lives here.
//!
//! - [`config`]: the one configuration struct, loaded from TOML and validated.
//! - [`audit`]: the hash-chained audit trail with group commit (SQLite).
//! - [`auth`]: staff identity: token verification, sessions, sign-in, roles.
//! - [`body`]: reading response bodies with a size ceiling.
//! - [`cache`]: the brief per-source, per-patient cache with shared fetches and stale fallback.
//! - [`sources`]: talking to each organisation's FHIR R4 API over HTTP.
//! - [`fhir`]: reading FHIR bundles leniently and normalising resources into timeline entries.
//! - [`gp_connect`]: a GP record by GP Connect Access Record: Structured (STU3), mapped into
//!   the same timeline.
//! - [`source`]: one configured source, FHIR R4 or GP Connect, asked the same questions.
//! - [`record`]: asking every source at once and merging their answers into one record.
//! - [`notify`]: child-protection notifications: durable outbox, FHIR notifier, delivery.
//! - [`merge`]: cross-source duplicates and demographic disagreements (pure).
//! - [`policy`]: what each role may do and see (permission matrix), and the one decision
//!   function for legitimate basis, dissent and sensitive items; pure.
//! - [`shared_store`]: where state every instance must agree on lives (this process, or
//!   PostgreSQL for several instances); [`bases`]: legitimate bases recorded in sessions.
//! - [`viewing`]: opening a record for one member of staff: basis, consent, each item judged.
//! - [`documents`]: opening one document's attachment (judged as its entry, fetched fresh,
//!   sanitised, audited before it is sent).
//! - [`logs`]: the application log as readable lines or JSON (`--log-format`).
//! - [`metrics`]: Prometheus metrics for operations (`/metrics`, the `operations` permission).
//! - [`outage`]: internal failures logged with their cause and request id, answered in fixed
//!   words.
//! - [`ratelimit`]: per-user and per-address request limits.
//! - [`secret`]: secrets in the config, read from the environment for `env:NAME`, never printed.
//! - [`sql_row`]: reading a database row into a struct by column name (SQLite and PostgreSQL).
//! - [`serve`]: accepting connections (plain or TLS) with header-read and idle timeouts and a
//!   connection limit.
//! - [`uk_time`]: instants on the UK clock with their zone, UK dates as instants.
//! - [`tls`]: the optional HTTPS listener's certificate and key.
//! - [`http`]: the axum router: Leptos pages, server functions, the JSON API, health.
//! - [`demo`]: synthetic FHIR sources for demo mode and tests; [`demo_mode`] wires them in.
//!
//! `main.rs` only parses arguments and calls [`run`], so tests start the real server on
//! `127.0.0.1:0` the same way.

// The record page's view type (rendered here on the server) nests deeper than the default.
#![recursion_limit = "256"]

pub mod audit;
pub mod auth;
pub mod bases;
pub mod body;
pub mod cache;
pub mod clock;
pub mod config;
pub mod config_syntax;
pub mod demo;
pub mod demo_mode;
pub mod documents;
pub mod fhir;
pub mod gp_connect;
pub mod http;
pub mod identity;
pub mod logs;
pub mod merge;
pub mod metrics;
pub mod notify;
pub mod outage;
pub mod policy;
pub mod ratelimit;
pub mod record;
pub mod secret;
pub mod serve;
pub mod shared_store;
pub mod source;
pub mod sources;
pub mod sql_row;
pub mod tls;
pub mod uk_time;
pub mod viewing;
pub mod web;

use std::future::Future;
use std::sync::Arc;

pub use config::Config;

/// Serves the portal on `listener` until `shutdown` completes, then finishes gracefully: no
/// new connection is accepted, open requests are answered (each view only once its audit
/// event is durable), and the notification being delivered is finished.
pub async fn run(
    config: Config,
    listener: tokio::net::TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    // No audit trail, no portal: every access must leave its trace.
    let store = config
        .audit
        .open_store()
        .await
        .map_err(std::io::Error::other)?;
    run_on_store(config, store, listener, shutdown).await
}

/// [`run`] on an audit store already open (the configured one, or in tests one that fails on
/// purpose, to see what callers are told when the store breaks).
pub async fn run_on_store(
    mut config: Config,
    store: Arc<dyn audit::AuditStore>,
    listener: tokio::net::TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let local = listener.local_addr()?;
    let public_url = match &config.portal.public_url {
        Some(url) => url.clone(),
        None => {
            let scheme = if config.portal.tls.is_some() {
                "https"
            } else {
                "http"
            };
            url::Url::parse(&format!("{scheme}://{local}/")).map_err(std::io::Error::other)?
        }
    };
    let demo_idp = demo_mode::start_idp(&mut config, &public_url).map_err(std::io::Error::other)?;
    let permissions = policy::PermissionMatrix::with_overrides(&config.permissions)
        .map_err(|problems| std::io::Error::other(problems.join("; ")))?;
    let audit = audit::AuditTrail::start(store, config.audit.max_batch);
    // Sessions, bases and the outbox: in this process, or shared with the other instances.
    let shared = shared_store::SharedStore::open(&config.audit)
        .await
        .map_err(std::io::Error::other)?;
    let mut identity = auth::Identity::new(
        config.identity.clone(),
        permissions,
        public_url,
        identity_http_client()?,
        &shared,
    )
    .await
    .map_err(std::io::Error::other)?;
    identity.origin_from_host = config.portal.public_url.is_none();
    let limits = ratelimit::RateLimits::new(
        config.identity.sign_in_rate.clone(),
        config.identity.lookup_rate.clone(),
    );
    let audit_workspace = Arc::new(
        audit::workspace::AuditDesk::new(audit.clone(), &config.audit, &config.consent.bases)
            .map_err(std::io::Error::other)?,
    );
    tokio::spawn(audit::retention::run(audit.clone(), config.audit.clone()));
    let outbox = Arc::new(
        notify::outbox::Outbox::open_in(&shared, &config.child_protection.outbox_path)
            .await
            .map_err(std::io::Error::other)?,
    );
    let notifier =
        notify::deliver::FhirNotifier::new(&config.sources).map_err(std::io::Error::other)?;
    let cp = &config.child_protection;
    let (stop_delivery, delivery_stopped) = tokio::sync::watch::channel(false);
    let pace = notify::deliver::Pace {
        every: std::time::Duration::from_millis(cp.deliver_every_ms),
        retry: (
            std::time::Duration::from_secs(cp.retry_initial_s),
            std::time::Duration::from_secs(cp.retry_max_s),
        ),
        lease: std::time::Duration::from_secs(cp.claim_lease_s),
    };
    let deliverer = tokio::spawn(notify::deliver::run(
        outbox.clone(),
        Arc::new(notifier),
        pace,
        delivery_stopped,
    ));
    let operations: app::operations::SharedOperationsService =
        Arc::new(notify::status::OperationsDesk::new(outbox.clone()));
    let records = viewing::RecordDesk::new(&config, audit.clone())
        .map_err(std::io::Error::other)?
        .with_bases(bases::BasisBook::new(
            &shared,
            config.consent.basis_lifetime(),
        ))
        .with_outbox(outbox);
    let tls = match &config.portal.tls {
        Some(tls_config) => {
            Some(tls::load_server_config(tls_config).map_err(std::io::Error::other)?)
        }
        None => None,
    };
    let connection_limits = serve::ConnectionLimits::of(&config.portal);
    let router = http::router(http::AppState {
        config,
        records: Arc::new(records),
        audit_workspace,
        operations,
        audit,
        identity: Arc::new(identity),
        limits: Arc::new(limits),
        demo_idp,
    });
    let served = serve::serve(listener, tls, router, connection_limits, shutdown).await;
    // Every view has answered, so its audit event is durable: what is left is the notification
    // in hand, finished before the process ends (a later one waits in the outbox for the next
    // start).
    let _ = stop_delivery.send(true);
    if tokio::time::timeout(DELIVERY_GRACE, deliverer)
        .await
        .is_err()
    {
        tracing::warn!("notification delivery did not stop in time; what it held stays due");
    }
    served
}

/// Longest the shutdown waits for a notification delivery under way.
const DELIVERY_GRACE: std::time::Duration = std::time::Duration::from_secs(30);

/// The client for identity providers (discovery, keys, token exchange): no redirects followed.
fn identity_http_client() -> std::io::Result<reqwest::Client> {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(std::time::Duration::from_secs(5))
        .build()
        .map_err(std::io::Error::other)
}
