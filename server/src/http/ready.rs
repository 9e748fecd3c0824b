//! `/readyz`, the readiness probe for a load balancer or an orchestrator: 200 only when this
//! instance can serve a view end to end: the audit store takes writes (no audit, no data),
//! at least one source is configured, and every identity provider's keys have been read at
//! least once (so sign-in and bearer tokens can be verified). Each check answers "ok" or
//! "failing" only; causes go to the log. `/healthz` stays the liveness probe: the process
//! answers.

use crate::audit::AuditTrail;
use crate::auth::Identity;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use std::sync::Arc;
use std::time::Duration;

/// Longest the audit store may take to say it takes writes before it counts as failing.
const AUDIT_CHECK: Duration = Duration::from_secs(2);

/// What the probe checks.
#[derive(Clone)]
pub struct Readiness {
    pub audit: AuditTrail,
    /// How many FHIR sources are configured.
    pub sources: usize,
    pub identity: Arc<Identity>,
}

pub async fn readyz(State(readiness): State<Readiness>) -> Response {
    let audit = async {
        match tokio::time::timeout(AUDIT_CHECK, readiness.audit.writable()).await {
            Ok(Ok(())) => true,
            Ok(Err(error)) => {
                tracing::warn!(%error, "not ready: the audit store does not take writes");
                false
            }
            Err(_) => {
                tracing::warn!("not ready: the audit store did not answer in time");
                false
            }
        }
    };
    let keys = async {
        let issuers = readiness.identity.verifier.issuers();
        let read = futures::future::join_all(issuers.iter().map(|i| i.keys_read())).await;
        read.into_iter().all(|read| read)
    };
    let (audit, keys) = tokio::join!(audit, keys);
    let sources = readiness.sources > 0;
    let word = |ok: bool| if ok { "ok" } else { "failing" };
    let ready = audit && keys && sources;
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let body = serde_json::json!({
        "status": if ready { "ready" } else { "not-ready" },
        "checks": {
            "audit_store": word(audit),
            "sources": word(sources),
            "identity_keys": word(keys),
        },
    });
    (status, Json(body)).into_response()
}
