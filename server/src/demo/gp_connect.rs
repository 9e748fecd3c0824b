//! Demo mode's synthetic GP Connect provider: answers `$gpc.getstructuredrecord` with STU3
//! structured records for the demo population, directly and behind a Spine Secure Proxy
//! stand-in, validating every request as the specification requires ([`checks`]).
//!
//! Routes: `POST /gpconnect/fhir/Patient/$gpc.getstructuredrecord` (the provider's service
//! root is `/gpconnect/fhir`) and `POST /ssp/{provider URL}` (the SSP forwards to the provider
//! the URL names; this stand-in records the target and answers as that provider). Nothing
//! about patients is logged.

mod bundle;
mod checks;
mod records;
#[cfg(test)]
mod tests;

pub use checks::INTERACTION_ID;

use super::{Faults, LiveFault, Population};
use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use checks::Refusal;
use serde_json::{json, Value};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use tokio::sync::watch;

/// The provider's service root path.
pub const ROOT: &str = "/gpconnect/fhir";
/// The operation, relative to the service root.
pub const OPERATION: &str = "Patient/$gpc.getstructuredrecord";

/// How the demo provider is set up.
#[derive(Clone, Default)]
pub struct ProviderSettings {
    /// `Ssp-To` must equal this.
    pub provider_asid: String,
    /// The practice's ODS code: the population's GP Connect practice when empty.
    pub provider_ods: String,
    /// Latency and failures (`failure`, `refuse_notifications` = the first N requests
    /// answer 502, as a briefly failing SSP does).
    pub faults: Faults,
}

/// One request as the provider read it (for tests to assert what the consumer sent).
#[derive(Debug, Clone, PartialEq)]
pub struct ReceivedRequest {
    pub path: String,
    /// The provider URL the SSP was asked to forward to, if the request came through it.
    pub ssp_target: Option<String>,
    pub trace_id: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub interaction_id: Option<String>,
    /// The JWT's header and claims, when they decode.
    pub jwt_header: Option<Value>,
    pub jwt_claims: Option<Value>,
    /// The body, when it is JSON.
    pub parameters: Option<Value>,
    pub status: u16,
    /// The Spine error code of a refusal.
    pub error_code: Option<String>,
}

/// A running demo GP Connect provider. It stops when [`DemoGpConnect::stop`] is called or it
/// is dropped.
pub struct DemoGpConnect {
    /// `http://{addr}/gpconnect/fhir`: the provider's service root (the JWT `aud`).
    pub base_url: String,
    /// `http://{addr}/ssp`: the SSP stand-in (`{ssp_url}/{provider operation URL}`).
    pub ssp_url: String,
    pub addr: SocketAddr,
    shared: Arc<Provider>,
    stop: watch::Sender<bool>,
}

struct Provider {
    population: Arc<Population>,
    settings: ProviderSettings,
    requests: AtomicU64,
    received: Mutex<Vec<ReceivedRequest>>,
    live: RwLock<LiveFault>,
    /// Every request answers this gateway status (502, 504), as a failing SSP does.
    gateway: RwLock<Option<StatusCode>>,
    addr: SocketAddr,
}

impl DemoGpConnect {
    /// Serves the provider on `listener` in a background task until stopped or dropped.
    pub async fn start(
        listener: tokio::net::TcpListener,
        population: Arc<Population>,
        settings: ProviderSettings,
    ) -> std::io::Result<Self> {
        let addr = listener.local_addr()?;
        let shared = Arc::new(Provider {
            population,
            settings,
            requests: AtomicU64::new(0),
            received: Mutex::new(Vec::new()),
            live: RwLock::new(LiveFault::default()),
            gateway: RwLock::new(None),
            addr,
        });
        let router = Router::new()
            .route(&format!("{ROOT}/Patient/{{operation}}"), post(direct))
            .route("/ssp/{*target}", post(proxied))
            .fallback(|| async {
                refused(&Refusal::new(
                    "NOT_IMPLEMENTED",
                    "No such operation at this provider",
                ))
            })
            .method_not_allowed_fallback(|| async {
                refused(&Refusal::new(
                    "BAD_REQUEST",
                    "The operation is invoked with POST",
                ))
            })
            .layer(middleware::from_fn_with_state(shared.clone(), faults))
            .with_state(shared.clone());
        let (stop, stopped) = watch::channel(false);
        super::serve_until_stopped(listener, router, stopped, "gp-connect");
        Ok(Self {
            base_url: format!("http://{addr}{ROOT}"),
            ssp_url: format!("http://{addr}/ssp"),
            addr,
            shared,
            stop,
        })
    }

    /// Every request received, valid or refused, in arrival order.
    pub fn received(&self) -> Vec<ReceivedRequest> {
        self.shared
            .received
            .lock()
            .map(|r| r.clone())
            .unwrap_or_default()
    }

    /// From the next request on, the provider answers with `fault` (the default: none).
    pub fn set_live_fault(&self, fault: LiveFault) {
        if let Ok(mut live) = self.shared.live.write() {
            *live = fault;
        }
    }

    /// From the next request on, every request answers `status` (502 Bad Gateway or 504
    /// Gateway Timeout, with a `transient` OperationOutcome), as the SSP does when the
    /// provider is unreachable; `None` clears it.
    pub fn set_gateway_fault(&self, status: Option<u16>) {
        if let Ok(mut gateway) = self.shared.gateway.write() {
            *gateway = status.and_then(|s| StatusCode::from_u16(s).ok());
        }
    }

    /// HTTP requests received so far, whatever their outcome.
    pub fn requests(&self) -> u64 {
        self.shared.requests.load(Ordering::SeqCst)
    }

    /// Stops accepting connections (requests in flight finish). Idempotent.
    pub fn stop(&self) {
        self.stop.send_replace(true);
    }

    /// (ODS code, name) of the practice this provider serves.
    pub fn practice(&self) -> (String, String) {
        let (ods, name) = self.shared.population.gp_connect_practice();
        (self.shared.ods(ods).to_owned(), name.to_owned())
    }
}

impl Provider {
    fn ods<'a>(&'a self, default: &'a str) -> &'a str {
        if self.settings.provider_ods.is_empty() {
            default
        } else {
            &self.settings.provider_ods
        }
    }
}

/// Counts the request; applies latency, the first-N 502s and the failures.
async fn faults(State(provider): State<Arc<Provider>>, request: Request, next: Next) -> Response {
    let n = provider.requests.fetch_add(1, Ordering::SeqCst);
    let live = provider.live.read().map(|l| *l).unwrap_or_default();
    let latency = live.latency + provider.settings.faults.latency;
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    if let Some(status) = provider.gateway.read().ok().and_then(|g| *g) {
        return transient(status, "Error communicating to target URL (injected fault)");
    }
    if n < u64::from(provider.settings.faults.refuse_notifications) {
        return transient(
            StatusCode::BAD_GATEWAY,
            "Error communicating to target URL (injected fault)",
        );
    }
    let reply = next.run(request).await;
    let status = reply.status().as_u16();
    let reply = match live.failure.or(provider.settings.faults.failure) {
        Some(failure) => failure.apply(reply, n == 0).await,
        None => reply,
    };
    tracing::debug!(status, "demo GP Connect request");
    reply
}

/// A transient SSP-style failure (502 Bad Gateway, 504 Gateway Timeout).
pub fn transient(status: StatusCode, diagnostics: &str) -> Response {
    let outcome = json!({ "resourceType": "OperationOutcome",
        "issue": [{ "severity": "error", "code": "transient", "diagnostics": diagnostics }] });
    fhir(status, &outcome)
}

fn fhir(status: StatusCode, body: &Value) -> Response {
    let mut response = (status, body.to_string()).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/fhir+json;charset=utf-8"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

fn refused(refusal: &Refusal) -> Response {
    let (issue, display) = refusal.issue();
    let outcome = json!({ "resourceType": "OperationOutcome",
        "meta": { "profile": ["https://fhir.nhs.uk/STU3/StructureDefinition/GPConnect-OperationOutcome-1"] },
        "issue": [{ "severity": "error", "code": issue,
            "details": { "coding": [{ "system": "https://fhir.nhs.uk/STU3/CodeSystem/Spine-ErrorOrWarningCode-1",
                "code": refusal.code, "display": display }] },
            "diagnostics": refusal.diagnostics }] });
    fhir(refusal.status, &outcome)
}

/// `POST /gpconnect/fhir/Patient/$gpc.getstructuredrecord`.
async fn direct(State(provider): State<Arc<Provider>>, request: Request) -> Response {
    let path = request.uri().path().to_owned();
    let host = request
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .map_or_else(|| provider.addr.to_string(), str::to_owned);
    let audience = format!("http://{host}{ROOT}");
    let (headers, body) = parts(request).await;
    let outcome = if path.ends_with(&format!("/{OPERATION}")) {
        answer(&provider, &headers, &body, &audience)
    } else {
        Err(Refusal::new(
            "NOT_IMPLEMENTED",
            "No such operation at this provider",
        ))
    };
    record(&provider, path, None, &headers, &body, outcome)
}

/// `POST /ssp/{provider URL}`: the SSP stand-in, answering as the provider the URL names.
async fn proxied(State(provider): State<Arc<Provider>>, request: Request) -> Response {
    let path = request.uri().path().to_owned();
    let target = path.strip_prefix("/ssp/").unwrap_or_default().to_owned();
    let (headers, body) = parts(request).await;
    let outcome = match target.strip_suffix(&format!("/{OPERATION}")) {
        Some(root) if root.starts_with("http://") || root.starts_with("https://") => {
            answer(&provider, &headers, &body, root)
        }
        _ => Err(Refusal::new(
            "BAD_REQUEST",
            "The SSP target is not a provider's $gpc.getstructuredrecord URL",
        )),
    };
    record(&provider, path, Some(target), &headers, &body, outcome)
}

async fn parts(request: Request) -> (HeaderMap, Bytes) {
    let (parts, body) = request.into_parts();
    let body = axum::body::to_bytes(body, 1 << 20)
        .await
        .unwrap_or_default();
    (parts.headers, body)
}

/// Validates the request and answers it: the Bundle, or why not.
fn answer(
    provider: &Provider,
    headers: &HeaderMap,
    body: &[u8],
    audience: &str,
) -> Result<Value, Refusal> {
    checks::headers(headers, &provider.settings.provider_asid)?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    checks::jwt(headers, audience, now)?;
    let asked = checks::parameters(body, now.div_euclid(86_400))?;
    let not_found = || {
        Refusal::new(
            "PATIENT_NOT_FOUND",
            "No patient with that NHS number is registered here",
        )
    };
    let nhs = asked.nhs.ok_or_else(not_found)?;
    let index = provider.population.index_of(nhs).ok_or_else(not_found)?;
    match provider.population.gp_connect_patient(index) {
        None | Some(super::data::GpConnectPatient::Sensitive) => return Err(not_found()),
        Some(super::data::GpConnectPatient::Dissented) => {
            return Err(Refusal::new(
                "NO_PATIENT_CONSENT",
                "The patient has dissented from sharing their record",
            ))
        }
        Some(_) => {}
    }
    let mut record = records::record(&provider.population, index).ok_or_else(not_found)?;
    let ods = provider.ods(records::PRACTICE_ODS);
    if ods != records::PRACTICE_ODS {
        for resource in record.resources.values_mut() {
            if resource["resourceType"] == "Organization" {
                resource["identifier"][0]["value"] = json!(ods);
            }
        }
    }
    let trace_id = headers
        .get("Ssp-TraceID")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .trim();
    let order_seed = body.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x100_0000_01b3)
    });
    Ok(bundle::bundle(
        &record,
        &asked,
        trace_id,
        &[provider.population.seed(), index as u64, order_seed],
    ))
}

/// Records what was received and turns the outcome into the response.
fn record(
    provider: &Provider,
    path: String,
    ssp_target: Option<String>,
    headers: &HeaderMap,
    body: &[u8],
    outcome: Result<Value, Refusal>,
) -> Response {
    let get = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let jwt = checks::decode_jwt(headers);
    let (status, error_code, response) = match outcome {
        Ok(bundle) => (200, None, fhir(StatusCode::OK, &bundle)),
        Err(refusal) => (
            refusal.status.as_u16(),
            Some(refusal.code.to_owned()),
            refused(&refusal),
        ),
    };
    let received = ReceivedRequest {
        path,
        ssp_target,
        trace_id: get("Ssp-TraceID"),
        from: get("Ssp-From"),
        to: get("Ssp-To"),
        interaction_id: get("Ssp-InteractionID"),
        jwt_header: jwt.as_ref().map(|(h, _, _)| h.clone()),
        jwt_claims: jwt.map(|(_, c, _)| c),
        parameters: serde_json::from_slice(body).ok(),
        status,
        error_code,
    };
    if let Ok(mut all) = provider.received.lock() {
        all.push(received);
    }
    response
}
