//! The read-only JSON API for other systems: `GET /api/v1/patients/{nhs_number}/record`,
//! one item of it at `.../entries/{source}/{type}/{id}`, one document's attachment at
//! `.../documents/{source}/{id}/{n}` ([`super::documents`]), `GET /api/v1/patients?family=&
//! birthdate=...` (demographic search), and the OpenAPI description at `/api/openapi.json`.
//! It calls the same service as the pages; callers state their legitimate basis in the
//! `Legitimate-Basis` (and `Legitimate-Basis-Reason`) headers.

use super::ApiState;
use app::api::{LookupError, RecordService, SearchForm};
use app::auth::Caller;
use axum::extract::{Extension, FromRequestParts, Path, Query, State};
use axum::http::header;
use axum::http::request::Parts;
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
    ApiPath(nhs_number): ApiPath<String>,
    ApiQuery(query): ApiQuery<RecordQuery>,
) -> Result<Response, ApiError> {
    let nhs = state.records.patient(&caller, &nhs_number).await?;
    let record = state.records.open(&caller, nhs, query.refresh).await?;
    // About 560 bytes an entry and 1.5 KB of sources and banner, for the ordinary record.
    let size = 2048 + 640 * record.entries.len();
    Ok(json_sized(&record, size))
}

/// `value` as a JSON response written by sonic-rs into one buffer of about its size. axum's
/// `Json` (serde_json) starts at 128 bytes and grows by copying, about eight copies for a 20 KB
/// record, and serde_json's string escaping was a tenth of a cached view's CPU; together a
/// quarter fewer views a second (docs/BENCHMARKS.md, "The ceiling of audited views").
fn json_sized<T: serde::Serialize>(value: &T, size: usize) -> Response {
    let mut body = Vec::with_capacity(size);
    match sonic_rs::to_writer(&mut body, value) {
        Ok(()) => (
            [(header::CONTENT_TYPE, "application/json")],
            axum::body::Bytes::from(body),
        )
            .into_response(),
        // As `Json` answers it (only a map with non-string keys fails; no answer holds one).
        Err(error) => {
            tracing::error!(%error, "an answer could not be written as JSON");
            axum::http::StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

/// One item by its provenance; refused (403 `withheld`) when the record view would withhold it.
async fn patient_entry(
    State(state): State<ApiState>,
    Extension(caller): Extension<Caller>,
    ApiPath((nhs_number, source, resource_type, id)): ApiPath<(String, String, String, String)>,
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
    ApiQuery(query): ApiQuery<SearchQuery>,
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
/// `organisation`, `role`, `basis`, `outcome`, `refusal`, `kind`, `from`, `to`). Listed here,
/// not flattened from the workspace's query: a flattened struct reads every value as text, so
/// its numeric fields could never be read, and the export has no pages anyway.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
struct ExportQuery {
    format: String,
    user: String,
    nhs_number: String,
    organisation: String,
    role: String,
    basis: String,
    outcome: String,
    refusal: String,
    kind: String,
    from: String,
    to: String,
}

impl ExportQuery {
    /// The workspace's query for every matching event.
    fn filters(self) -> app::audit::AuditQuery {
        app::audit::AuditQuery {
            user: self.user,
            nhs_number: self.nhs_number,
            organisation: self.organisation,
            role: self.role,
            basis: self.basis,
            outcome: self.outcome,
            refusal: self.refusal,
            kind: self.kind,
            from: self.from,
            to: self.to,
            before: None,
            limit: None,
        }
    }
}

/// The audit officer's export: every matching event (newest first) as a CSV or a FHIR Bundle
/// of AuditEvents, sent as a download; the export is itself audited before it is sent.
async fn export_audit(
    State(state): State<ApiState>,
    Extension(caller): Extension<Caller>,
    ApiQuery(export): ApiQuery<ExportQuery>,
) -> Result<Response, ApiError> {
    let format = export.format.clone();
    let file = state
        .audit_workspace
        .export(&caller, &export.filters(), &format)
        .await?;
    Ok((
        [
            (header::CONTENT_TYPE, file.content_type.to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{}\"", file.file_name),
            ),
        ],
        file.body,
    )
        .into_response())
}

async fn openapi() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], OPENAPI_JSON)
}

/// axum's [`Query`], refusing a query string it cannot read as every API refusal is answered
/// (400 `invalid-input`, JSON) rather than with axum's plain-text rejection.
pub(super) struct ApiQuery<T>(pub T);

impl<T, S> FromRequestParts<S> for ApiQuery<T>
where
    T: serde::de::DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        match Query::<T>::from_request_parts(parts, state).await {
            Ok(Query(query)) => Ok(Self(query)),
            Err(rejection) => Err(ApiError::Lookup(LookupError::InvalidInput(query_refusal(
                &rejection.body_text(),
            )))),
        }
    }
}

/// The refusal's words: which parameter and why, as the deserializer said it (the caller's own
/// query string; nothing else is quoted).
fn query_refusal(why: &str) -> String {
    let why = why
        .strip_prefix("Failed to deserialize query string: ")
        .unwrap_or(why);
    format!("the query string is not valid: {why}")
}

/// axum's [`Path`], refusing a path it cannot read (not UTF-8 once decoded, which the access
/// layer refuses first) as every API refusal is answered.
pub(super) struct ApiPath<T>(pub T);

impl<T, S> FromRequestParts<S> for ApiPath<T>
where
    T: serde::de::DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        match Path::<T>::from_request_parts(parts, state).await {
            Ok(Path(path)) => Ok(Self(path)),
            Err(_) => Err(ApiError::Lookup(LookupError::InvalidInput(
                "this address is not valid".into(),
            ))),
        }
    }
}

/// API failures as JSON: the adapter that lets handlers return a [`LookupError`] with `?`
/// (the orphan rule keeps `IntoResponse` off the app's type). The status and the `error` code
/// are the error's own ([`LookupError::status`], [`LookupError::code`]), the same the pages,
/// server functions and access layer use; this adds only the body's shape.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    Lookup(#[from] LookupError),
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let ApiError::Lookup(error) = self;
        let mut body = serde_json::json!({ "error": error.code(), "message": error.to_string() });
        // What the caller needs to act: the bases it may state, or whom to contact.
        match &error {
            LookupError::BasisRequired(prompt) => {
                body["bases"] = serde_json::json!(prompt.options);
            }
            LookupError::Dissent(notice) => {
                body["dissent"] = serde_json::json!(notice);
            }
            LookupError::ConsentUnknown(notice) => {
                body["consent_unknown"] = serde_json::json!(notice);
            }
            _ => {}
        }
        (error.status(), Json(body)).into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::Value;

    /// JSON values of every kind: any text (quotes, backslashes, control characters, any
    /// Unicode), integers and finite floats of any size, nested arrays and objects.
    fn any_json() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            any::<u64>().prop_map(Value::from),
            any::<f64>()
                .prop_filter("finite", |f| f.is_finite())
                .prop_map(Value::from),
            any::<String>().prop_map(Value::String),
            "[\"\\\\/\\u{0}-\\u{1f}\\u{7f}\\u{2028}\\u{2029}a-é😀]{0,40}".prop_map(Value::String),
        ];
        leaf.prop_recursive(4, 64, 8, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
                prop::collection::btree_map(any::<String>(), inner, 0..8)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

        /// The record is written by sonic-rs, not serde_json: it writes exactly what
        /// serde_json would, and sends it as JSON.
        #[test]
        fn what_is_written_is_byte_for_byte_what_serde_json_writes(value in any_json()) {
            let response = json_sized(&value, 16);
            prop_assert_eq!(response.status(), axum::http::StatusCode::OK);
            prop_assert_eq!(
                response.headers().get(header::CONTENT_TYPE).unwrap(),
                "application/json"
            );
            // Byte for byte what serde_json writes, so every reader reads the same value.
            let written = sonic_rs::to_vec(&value).unwrap();
            let expected = serde_json::to_vec(&value).unwrap();
            prop_assert_eq!(String::from_utf8(written).unwrap(), String::from_utf8(expected).unwrap());
        }
    }
}
