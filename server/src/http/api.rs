//! The read-only JSON API for other systems: `GET /api/v1/patients/{nhs_number}/record`,
//! one item of it at `.../entries/{source}/{type}/{id}`, one document's attachment at
//! `.../documents/{source}/{id}/{n}` ([`super::documents`]), `GET /api/v1/patients?family=&
//! birthdate=...` (demographic search), and the OpenAPI description at `/api/openapi.json`.
//! It calls the same service as the pages; callers state their legitimate basis in the
//! `Legitimate-Basis` (and `Legitimate-Basis-Reason`) headers.

use super::ApiState;
use app::api::{LookupError, RecordService, SearchForm};
use app::auth::Caller;
use axum::extract::{Extension, Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};

/// The OpenAPI 3.1 document, kept beside this file and checked against real responses in tests.
pub const OPENAPI_JSON: &str = include_str!("openapi.json");

const RECORD: &str = "/api/v1/patients/{nhs_number}/record";
const ENTRY: &str = "/api/v1/patients/{nhs_number}/entries/{source}/{resource_type}/{id}";
const DOCUMENT: &str = "/api/v1/patients/{nhs_number}/documents/{source}/{id}/{n}";
const SEARCH: &str = "/api/v1/patients";
const AUDIT_EVENTS: &str = "/api/v1/audit/events";
const OPENAPI: &str = "/api/openapi.json";

/// Every route [`router`] serves. The access layer's route table is checked against these (a
/// route added here without a row there is refused to everyone, and its test fails).
#[cfg(test)]
pub(super) const PATHS: [&str; 6] = [RECORD, ENTRY, DOCUMENT, SEARCH, AUDIT_EVENTS, OPENAPI];

pub fn router(state: ApiState) -> Router {
    Router::new()
        .route(RECORD, get(patient_record))
        .route(ENTRY, get(patient_entry))
        .route(DOCUMENT, get(super::documents::open_document))
        .route(SEARCH, get(search_patients))
        .route(AUDIT_EVENTS, get(export_audit))
        .route(OPENAPI, get(openapi))
        .with_state(state)
}

/// `?refresh=true` skips the brief cache and asks every source again.
#[derive(Debug, serde::Deserialize)]
struct RecordQuery {
    #[serde(default)]
    refresh: bool,
}

async fn patient_record(
    State(state): State<ApiState>,
    Extension(caller): Extension<Caller>,
    Path(nhs_number): Path<String>,
    Query(query): Query<RecordQuery>,
) -> Result<Response, ApiError> {
    let nhs = state.records.patient(&caller, &nhs_number).await?;
    let record = state.records.open(&caller, nhs, query.refresh).await?;
    Ok(Json(record).into_response())
}

/// One item by its provenance; refused (403 `withheld`) when the record view would withhold it.
async fn patient_entry(
    State(state): State<ApiState>,
    Extension(caller): Extension<Caller>,
    Path((nhs_number, source, resource_type, id)): Path<(String, String, String, String)>,
) -> Result<Response, ApiError> {
    let nhs = state.records.patient(&caller, &nhs_number).await?;
    let entry = state
        .records
        .entry(&caller, nhs, (&source, &resource_type, &id))
        .await?;
    Ok(Json(entry).into_response())
}

/// The demographic search's query string (`birthdate` as in FHIR).
#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
struct SearchQuery {
    family: String,
    birthdate: String,
    given: String,
    gender: String,
    postcode: String,
}

async fn search_patients(
    State(state): State<ApiState>,
    Extension(caller): Extension<Caller>,
    Query(query): Query<SearchQuery>,
) -> Result<Response, ApiError> {
    let form = SearchForm {
        family: query.family,
        birth_date: query.birthdate,
        given: query.given,
        gender: query.gender,
        postcode: query.postcode,
    };
    let results = RecordService::search(&*state.records, &caller, form).await?;
    Ok(Json(results).into_response())
}

/// `?format=csv` (default) or `fhir`, plus the workspace's filters (`nhs_number`, `user`,
/// `organisation`, `role`, `basis`, `outcome`, `kind`, `from`, `to`).
#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
struct ExportQuery {
    format: String,
    #[serde(flatten)]
    query: app::audit::AuditQuery,
}

/// Most events one export holds; narrow the filters for more.
const MAX_EXPORT: usize = 100_000;

/// The audit officer's export: every matching event (newest first) as a CSV or a FHIR Bundle
/// of AuditEvents, sent as a download; the export is itself audited before it is sent.
async fn export_audit(
    State(state): State<ApiState>,
    Extension(caller): Extension<Caller>,
    Query(export): Query<ExportQuery>,
) -> Result<Response, ApiError> {
    use crate::audit::{export, workspace, AuditEvent, EventKind};
    if !caller.viewer.may(app::auth::Permission::Audit) {
        return Err(LookupError::Forbidden("exports are for audit officers".into()).into());
    }
    let filter = workspace::filter(&export.query)?;
    // A store failure is logged with its cause; the client gets fixed words (crate::outage).
    let failed = || crate::outage::audit(&caller.request.request_id);
    let mut events = Vec::new();
    let mut before = None;
    loop {
        let page = state
            .audit
            .store()
            .search(&filter, before, 1_000)
            .await
            .map_err(failed())?;
        let last = page.last().map(|e| e.seq);
        let full = page.len() == 1_000;
        events.extend(page);
        match last {
            Some(seq) if full && events.len() < MAX_EXPORT => before = Some(seq),
            _ => break,
        }
    }
    events.truncate(MAX_EXPORT);
    let (body, content_type, file) = match export.format.as_str() {
        "" | "csv" => (
            export::csv(&events),
            "text/csv; charset=utf-8",
            "audit-events.csv",
        ),
        "fhir" => (
            export::fhir_bundle(&events).to_string(),
            "application/fhir+json",
            "audit-events.json",
        ),
        other => {
            return Err(LookupError::InvalidInput(format!(
                "format must be csv or fhir, not {other:?}"
            ))
            .into())
        }
    };
    let mut event = AuditEvent::by(&caller, EventKind::Export).detail(format!(
        "{} export: {} events",
        if file.ends_with("csv") { "CSV" } else { "FHIR" },
        events.len()
    ));
    event.nhs_number = filter.nhs_number.clone();
    state.audit.record(event).await.map_err(failed())?;
    Ok((
        [
            (header::CONTENT_TYPE, content_type.to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{file}\""),
            ),
        ],
        body,
    )
        .into_response())
}

async fn openapi() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], OPENAPI_JSON)
}

/// API failures, mapped to HTTP in one place.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    Lookup(#[from] LookupError),
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code) = match &self {
            ApiError::Lookup(LookupError::InvalidNhsNumber(_)) => {
                (StatusCode::BAD_REQUEST, "invalid-nhs-number")
            }
            ApiError::Lookup(LookupError::InvalidSearch(_)) => {
                (StatusCode::BAD_REQUEST, "invalid-search")
            }
            ApiError::Lookup(LookupError::InvalidInput(_)) => {
                (StatusCode::BAD_REQUEST, "invalid-input")
            }
            ApiError::Lookup(LookupError::Unavailable(_) | LookupError::Transport) => {
                (StatusCode::SERVICE_UNAVAILABLE, "unavailable")
            }
            ApiError::Lookup(LookupError::NotSignedIn) => {
                (StatusCode::UNAUTHORIZED, "unauthenticated")
            }
            ApiError::Lookup(LookupError::Forbidden(_)) => (StatusCode::FORBIDDEN, "forbidden"),
            ApiError::Lookup(LookupError::BasisRequired(_)) => {
                (StatusCode::FORBIDDEN, "basis-required")
            }
            ApiError::Lookup(LookupError::BasisRefused(_)) => {
                (StatusCode::FORBIDDEN, "basis-refused")
            }
            ApiError::Lookup(LookupError::Dissent(_)) => (StatusCode::FORBIDDEN, "dissent"),
            ApiError::Lookup(LookupError::ConsentUnknown(_)) => {
                (StatusCode::FORBIDDEN, "consent-unknown")
            }
            ApiError::Lookup(LookupError::Withheld(_)) => (StatusCode::FORBIDDEN, "withheld"),
            ApiError::Lookup(LookupError::NotFound(_)) => (StatusCode::NOT_FOUND, "not-found"),
            ApiError::Lookup(LookupError::TooManyRequests(_)) => {
                (StatusCode::TOO_MANY_REQUESTS, "too-many-requests")
            }
        };
        let mut body = serde_json::json!({ "error": code, "message": self.to_string() });
        // What the caller needs to act: the bases it may state, or whom to contact.
        match &self {
            ApiError::Lookup(LookupError::BasisRequired(prompt)) => {
                body["bases"] = serde_json::json!(prompt.options);
            }
            ApiError::Lookup(LookupError::Dissent(notice)) => {
                body["dissent"] = serde_json::json!(notice);
            }
            ApiError::Lookup(LookupError::ConsentUnknown(notice)) => {
                body["consent_unknown"] = serde_json::json!(notice);
            }
            _ => {}
        }
        (status, Json(body)).into_response()
    }
}
