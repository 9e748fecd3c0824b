//! The HTTP face of one synthetic source: a small FHIR R4 server with `metadata`, patient
//! search by NHS number, per-type search by patient with paging, and reads by id.

use super::population::Population;
use super::records::{self, index_from_patient_id};
use super::Faults;
use app::model::SourceKind;
use app::nhs_number::{NhsNumber, NHS_NUMBER_SYSTEM};
use axum::extract::{Path, Query, Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// Resource types the demo sources serve (beside Patient).
pub const TYPES: [&str; 13] = [
    "AllergyIntolerance",
    "Condition",
    "MedicationRequest",
    "MedicationStatement",
    "Immunization",
    "Observation",
    "DiagnosticReport",
    "Procedure",
    "Encounter",
    "EpisodeOfCare",
    "DocumentReference",
    "CarePlan",
    "Flag",
];
const DEFAULT_COUNT: usize = 50;
const MAX_COUNT: usize = 200;

#[derive(Clone)]
pub struct SourceState {
    pub kind: SourceKind,
    pub population: Arc<Population>,
    pub faults: Faults,
    pub requests: Arc<AtomicU64>,
}

pub fn router(state: SourceState) -> Router {
    Router::new()
        .route("/fhir/metadata", get(metadata))
        .route("/fhir/{resource_type}", get(search))
        .route("/fhir/{resource_type}/{id}", get(read))
        .fallback(|| async { outcome(StatusCode::NOT_FOUND, "not-found", "No such FHIR endpoint") })
        .layer(middleware::from_fn_with_state(
            state.clone(),
            count_and_delay,
        ))
        .with_state(state)
}

async fn count_and_delay(
    State(state): State<SourceState>,
    request: Request,
    next: Next,
) -> Response {
    state.requests.fetch_add(1, Ordering::SeqCst);
    if !state.faults.latency.is_zero() {
        tokio::time::sleep(state.faults.latency).await;
    }
    next.run(request).await
}

fn fhir(status: StatusCode, body: &Value) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/fhir+json; charset=utf-8")],
        body.to_string(),
    )
        .into_response()
}

fn outcome(status: StatusCode, code: &str, text: &str) -> Response {
    let body = json!({ "resourceType": "OperationOutcome",
        "issue": [{ "severity": "error", "code": code, "diagnostics": text }] });
    fhir(status, &body)
}

async fn metadata(State(state): State<SourceState>) -> Response {
    let resources: Vec<Value> = std::iter::once("Patient")
        .chain(TYPES)
        .map(|t| {
            let param = if t == "Patient" { "identifier" } else { "patient" };
            json!({ "type": t, "interaction": [{ "code": "read" }, { "code": "search-type" }],
                    "searchParam": [{ "name": param, "type": if t == "Patient" { "token" } else { "reference" } }] })
        })
        .collect();
    let body = json!({ "resourceType": "CapabilityStatement", "status": "active", "kind": "instance",
        "date": "2026-06-30", "fhirVersion": "4.0.1", "format": ["application/fhir+json"],
        "software": { "name": format!("Synthetic {} source (demo)", state.kind.label()) },
        "rest": [{ "mode": "server", "resource": resources }] });
    fhir(StatusCode::OK, &body)
}

async fn search(
    State(state): State<SourceState>,
    Path(resource_type): Path<String>,
    Query(params): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    if resource_type == "Patient" {
        return search_patient(&state, &params).await;
    }
    if !TYPES.contains(&resource_type.as_str()) {
        return outcome(
            StatusCode::NOT_FOUND,
            "not-supported",
            "Resource type not supported",
        );
    }
    let reference = params.get("patient").map(String::as_str).or_else(|| {
        params
            .get("subject")
            .and_then(|s| s.strip_prefix("Patient/"))
    });
    let Some(patient_id) = reference else {
        return outcome(
            StatusCode::BAD_REQUEST,
            "required",
            "Search by patient is required",
        );
    };
    let index = index_from_patient_id(state.kind, patient_id).filter(|i| knows(&state, *i));
    if let Some(failing) = index.and_then(|i| failing(&state, i)) {
        return failing;
    }
    let matches: Vec<Value> = index
        .map(|i| records::clinical(&state.population, i, state.kind))
        .unwrap_or_default()
        .into_iter()
        .filter(|r| r["resourceType"] == resource_type.as_str())
        .collect();
    let count = params
        .get("_count")
        .and_then(|c| c.parse().ok())
        .unwrap_or(DEFAULT_COUNT)
        .clamp(1, MAX_COUNT);
    let offset: usize = params
        .get("_offset")
        .and_then(|o| o.parse().ok())
        .unwrap_or(0);
    let page_url = |offset: usize| {
        let host = headers
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .unwrap_or("localhost");
        format!("http://{host}/fhir/{resource_type}?patient={patient_id}&_count={count}&_offset={offset}")
    };
    let mut links = vec![json!({ "relation": "self", "url": page_url(offset) })];
    if offset + count < matches.len() {
        links.push(json!({ "relation": "next", "url": page_url(offset + count) }));
    }
    let total = matches.len();
    let page: Vec<Value> = matches.into_iter().skip(offset).take(count).collect();
    fhir(StatusCode::OK, &searchset(total, links, page))
}

/// `Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|<nhs>`.
async fn search_patient(state: &SourceState, params: &HashMap<String, String>) -> Response {
    let nhs = params
        .get("identifier")
        .and_then(|i| {
            i.strip_prefix(NHS_NUMBER_SYSTEM)?
                .strip_prefix('|')
                .map(str::to_owned)
        })
        .and_then(|digits| NhsNumber::parse(&digits).ok());
    let Some(nhs) = nhs else {
        return outcome(
            StatusCode::BAD_REQUEST,
            "invalid",
            "Search by identifier=https://fhir.nhs.uk/Id/nhs-number|<NHS number>",
        );
    };
    if let Some(barrier) = &state.faults.rendezvous {
        let _ = tokio::time::timeout(Duration::from_secs(5), barrier.wait()).await;
    }
    let index = state.population.index_of(nhs).filter(|i| knows(state, *i));
    if let Some(failing) = index.and_then(|i| failing(state, i)) {
        return failing;
    }
    let patients: Vec<Value> = index
        .map(|i| records::patient(&state.population.person(i), state.kind))
        .into_iter()
        .collect();
    fhir(
        StatusCode::OK,
        &searchset(patients.len(), Vec::new(), patients),
    )
}

async fn read(
    State(state): State<SourceState>,
    Path((resource_type, id)): Path<(String, String)>,
) -> Response {
    let index = id
        .rsplitn(3, '-')
        .nth(2)
        .and_then(|pid| index_from_patient_id(state.kind, pid));
    let index = index
        .or_else(|| index_from_patient_id(state.kind, &id))
        .filter(|i| knows(&state, *i));
    let found = index.and_then(|i| {
        if let Some(failing) = failing(&state, i) {
            return Some(Err(failing));
        }
        let resource = if resource_type == "Patient" {
            Some(records::patient(&state.population.person(i), state.kind))
        } else {
            records::clinical(&state.population, i, state.kind)
                .into_iter()
                .find(|r| r["id"] == id.as_str())
        };
        resource
            .filter(|r| r["resourceType"] == resource_type.as_str() && r["id"] == id.as_str())
            .map(Ok)
    });
    match found {
        Some(Ok(resource)) => fhir(StatusCode::OK, &resource),
        Some(Err(failing)) => failing,
        None => outcome(StatusCode::NOT_FOUND, "not-found", "No such resource"),
    }
}

fn knows(state: &SourceState, index: usize) -> bool {
    index < state.population.len() && state.population.kinds_knowing(index).contains(&state.kind)
}

/// The showcase fault: this source answers 500 for everything about this patient.
fn failing(state: &SourceState, index: usize) -> Option<Response> {
    let nhs = state.population.person(index).nhs;
    (state.population.failing_source(nhs) == Some(state.kind)).then(|| {
        outcome(
            StatusCode::INTERNAL_SERVER_ERROR,
            "exception",
            "Internal error (synthetic fault)",
        )
    })
}

fn searchset(total: usize, links: Vec<Value>, resources: Vec<Value>) -> Value {
    let entry: Vec<Value> = resources
        .into_iter()
        .map(|r| {
            let full_url = format!("urn:uuid:{}", r["id"].as_str().unwrap_or_default());
            json!({ "fullUrl": full_url, "resource": r, "search": { "mode": "match" } })
        })
        .collect();
    json!({ "resourceType": "Bundle", "type": "searchset", "total": total, "link": links, "entry": entry })
}
