//! The HTTP face of one synthetic source: a small read-only FHIR R4 server with `metadata`,
//! Patient search by NHS number or demographics, per-type search by patient (or chained, by
//! the patient's NHS number: `patient.identifier=`) with paging, `batch` Bundles of searches,
//! `Patient/{id}/$everything`, reads by id, and `Binary/{id}` (a document's content).
//! Every answer, errors included, is FHIR JSON; nothing about patients is logged.

use super::data::ids::parse_patient_id;
use super::data::records;
use super::data::Population;
use super::Faults;
use app::model::SourceKind;
use app::nhs_number::{NhsNumber, NHS_NUMBER_SYSTEM};
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, RawQuery, Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use serde_json::{json, Value};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// Resource types searchable by patient (Patient itself is searched by identifier): the
/// clinical types the portal asks for by default.
pub const TYPES: [&str; 14] = crate::config::DEFAULT_RESOURCE_TYPES;
const DEFAULT_COUNT: usize = 50;
const MAX_COUNT: usize = 200;
const BAD_PATH: &str = "the path is not valid percent-encoded UTF-8";
const RENDEZVOUS_TIMEOUT: Duration = Duration::from_secs(5);

/// What every request of one source shares.
pub struct Source {
    pub kind: SourceKind,
    pub population: Arc<Population>,
    pub faults: Faults,
    pub requests: Arc<AtomicU64>,
    /// The path of every request (no query string), in arrival order: tests check which
    /// resource types the portal asked for.
    pub paths: Arc<std::sync::Mutex<Vec<String>>>,
    /// Used for absolute links when a request carries no usable `Host` header.
    pub base_url: String,
    /// URLs already asked, for the first-try fault only.
    pub seen_urls: std::sync::Mutex<std::collections::HashSet<String>>,
    /// Communications POSTed here (notifications), in arrival order.
    pub received: Arc<std::sync::Mutex<Vec<Value>>>,
    /// Patients (by index) who have objected to sharing here since the source started.
    pub dissenting: Arc<std::sync::RwLock<std::collections::HashSet<usize>>>,
    /// Notification POSTs seen so far (for `refuse_notifications`).
    pub notification_attempts: AtomicU64,
    /// Notification POSTs answered 201 or 200 so far (for `lose_notification_replies`).
    pub notifications_answered: AtomicU64,
    /// Set once the source has recovered: the injected `failure` and `failing_type` stop.
    pub healed: Arc<std::sync::atomic::AtomicBool>,
    /// A fault switched on and off while the source runs (the load benchmark's phases).
    pub live: Arc<std::sync::RwLock<super::LiveFault>>,
}

pub fn router(source: Arc<Source>) -> Router {
    Router::new()
        .route("/fhir", post(batch))
        .route("/fhir/metadata", get(metadata))
        .route("/fhir/{resource_type}", get(search).post(create))
        .route("/fhir/{resource_type}/{id}", get(read))
        .route("/fhir/Patient/{id}/{operation}", get(everything))
        .fallback(|| async { FhirError::NoEndpoint })
        .method_not_allowed_fallback(|| async { FhirError::MethodNotAllowed })
        .layer(middleware::from_fn_with_state(
            source.clone(),
            count_and_delay,
        ))
        .with_state(source)
}

/// Why a request got no resource. Each maps to one HTTP status and an OperationOutcome.
#[derive(Debug, thiserror::Error)]
enum FhirError {
    #[error("{0}")]
    Invalid(&'static str),
    #[error("resource type not supported by this server")]
    UnsupportedType,
    #[error("no such resource")]
    NotFound,
    #[error("no such FHIR endpoint")]
    NoEndpoint,
    #[error("this server is read-only: only GET is supported")]
    MethodNotAllowed,
    #[error("internal error (synthetic fault injected by the demo source)")]
    SyntheticFault,
    #[error("a valid bearer token is required")]
    Unauthorised,
}

impl IntoResponse for FhirError {
    fn into_response(self) -> Response {
        let (status, code) = match self {
            Self::Invalid(_) => (StatusCode::BAD_REQUEST, "invalid"),
            Self::UnsupportedType => (StatusCode::NOT_FOUND, "not-supported"),
            Self::NotFound | Self::NoEndpoint => (StatusCode::NOT_FOUND, "not-found"),
            Self::MethodNotAllowed => (StatusCode::METHOD_NOT_ALLOWED, "not-supported"),
            Self::SyntheticFault => (StatusCode::INTERNAL_SERVER_ERROR, "exception"),
            Self::Unauthorised => (StatusCode::UNAUTHORIZED, "login"),
        };
        let outcome = json!({ "resourceType": "OperationOutcome",
            "issue": [{ "severity": "error", "code": code, "diagnostics": self.to_string() }] });
        fhir(status, &outcome)
    }
}

fn fhir(status: StatusCode, body: &Value) -> Response {
    let content_type = [(header::CONTENT_TYPE, "application/fhir+json; charset=utf-8")];
    (status, content_type, body.to_string()).into_response()
}

/// Counts the request and applies the injected latency and failure; logs method and status only.
async fn count_and_delay(
    State(source): State<Arc<Source>>,
    request: Request,
    next: Next,
) -> Response {
    source.requests.fetch_add(1, Ordering::SeqCst);
    if let Ok(mut paths) = source.paths.lock() {
        paths.push(request.uri().path().to_owned());
    }
    if let Some(token) = &source.faults.required_bearer {
        let expected = format!("Bearer {token}");
        let sent = request.headers().get(header::AUTHORIZATION);
        if sent.is_none_or(|v| v.as_bytes() != expected.as_bytes()) {
            return FhirError::Unauthorised.into_response();
        }
    }
    let live = source.live.read().map(|l| *l).unwrap_or_default();
    if !live.latency.is_zero() {
        tokio::time::sleep(live.latency).await;
    }
    if let Some(failure) = live.failure {
        let reply = next.run(request).await;
        return failure.apply(reply, false).await;
    }
    if source.healed.load(Ordering::SeqCst) {
        return next.run(request).await;
    }
    let first_try = source.faults.failure == Some(super::Failure::FirstTry503)
        && source
            .seen_urls
            .lock()
            .map(|mut seen| seen.insert(request.uri().to_string()))
            .unwrap_or(true);
    if !source.faults.latency.is_zero() {
        tokio::time::sleep(source.faults.latency).await;
    }
    if let Some(delay) = showcase_delay(&source, request.uri()) {
        tokio::time::sleep(delay).await;
    }
    let method = request.method().clone();
    let failing_type = source.faults.failing_type.map(|t| format!("/fhir/{t}"));
    if failing_type.is_some_and(|t| request.uri().path() == t) {
        return FhirError::SyntheticFault.into_response();
    }
    let mut response = next.run(request).await;
    if let Some(failure) = source.faults.failure {
        response = failure.apply(response, first_try).await;
    }
    tracing::debug!(source = source.kind.as_str(), %method, status = response.status().as_u16(), "demo FHIR request");
    response
}

async fn metadata(State(source): State<Arc<Source>>) -> Response {
    let param = |name: &str, kind: &str| json!({ "name": name, "type": kind });
    let resources: Vec<Value> = std::iter::once("Patient")
        .chain(TYPES)
        .map(|t| {
            let params = if t == "Patient" {
                vec![param("identifier", "token"), param("family", "string"), param("given", "string"),
                     param("birthdate", "date"), param("gender", "token"), param("address-postalcode", "string")]
            } else {
                vec![param("patient", "reference"), param("subject", "reference"), param("_count", "number")]
            };
            let mut resource = json!({ "type": t, "interaction": [{ "code": "read" }, { "code": "search-type" }], "searchParam": params });
            if t == "Patient" {
                resource["operation"] = json!([{ "name": "everything",
                    "definition": "http://hl7.org/fhir/OperationDefinition/Patient-everything" }]);
            }
            resource
        })
        .collect();
    let body = json!({ "resourceType": "CapabilityStatement", "status": "active", "kind": "instance",
        "date": "2026-06-30", "fhirVersion": "4.0.1", "format": ["application/fhir+json"],
        "software": { "name": format!("Synthetic {} source (demo)", source.kind.label()) },
        "rest": [{ "mode": "server", "resource": resources,
            "interaction": [{ "code": "batch" }, { "code": "search-system" }] }] });
    fhir(StatusCode::OK, &body)
}

/// The query string's parameters, percent- and `+`-decoded; the first of a repeated name wins.
struct Params(Vec<(String, String)>);

impl Params {
    fn parse(query: Option<&str>) -> Self {
        Self(
            url::form_urlencoded::parse(query.unwrap_or("").as_bytes())
                .into_owned()
                .collect(),
        )
    }

    fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// A non-negative number parameter, `default` when absent.
    fn number(
        &self,
        name: &str,
        default: usize,
        invalid: &'static str,
    ) -> Result<usize, FhirError> {
        self.get(name).map_or(Ok(default), |v| {
            v.parse().map_err(|_| FhirError::Invalid(invalid))
        })
    }
}

/// `GET /fhir/<Type>?...`: Patient by identifier, any other type by patient.
async fn search(
    State(source): State<Arc<Source>>,
    path: Result<Path<String>, PathRejection>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Result<Response, FhirError> {
    let Path(resource_type) = path.map_err(|_| FhirError::Invalid(BAD_PATH))?;
    let params = Params::parse(query.as_deref());
    let base = base_url(&source, &headers);
    if resource_type == "Patient" {
        return search_patient(&source, &params, &base).await;
    }
    let resource_type = supported(&resource_type)?;
    let chained = CHAINS
        .into_iter()
        .find_map(|name| params.get(name).map(|value| (name, value)));
    let (filter, patient_ids) = match chained {
        Some((name, token)) => (name, patient_ids_with(&source, token)?.join(",")),
        None => {
            let ids = params
                .get("patient")
                .or_else(|| params.get("subject"))
                .ok_or(FhirError::Invalid(
                    "search by patient=<id>[,<id>...] (or subject=Patient/<id>, or patient.identifier=<system>|<NHS number>) is required",
                ))?;
            ("patient", ids.to_owned())
        }
    };
    let filter_value = chained.map_or(patient_ids.as_str(), |(_, token)| token);
    let mut matches = Vec::new();
    for reference in patient_ids.split(',').filter(|r| !r.is_empty()) {
        let id = reference
            .rsplit_once("Patient/")
            .map_or(reference, |(_, id)| id);
        if resource_type == "Consent" {
            refuse_consent_if_unreadable(&source, id)?;
        }
        matches.extend(
            record_of(&source, id)?
                .into_iter()
                .filter(|r| r["resourceType"] == resource_type),
        );
    }
    let (count, offset) = paging(&params)?;
    let page_url = |offset: usize| {
        let query = url::form_urlencoded::Serializer::new(String::new())
            .append_pair(filter, filter_value)
            .append_pair("_count", &count.to_string())
            .append_pair("_offset", &offset.to_string())
            .finish();
        format!("{base}/{resource_type}?{query}")
    };
    Ok(fhir(
        StatusCode::OK,
        &page(matches, count, offset, page_url, &base),
    ))
}

/// The chained parameters a type search accepts: the patient by NHS number.
const CHAINS: [&str; 4] = [
    "patient.identifier",
    "patient:Patient.identifier",
    "subject.identifier",
    "subject:Patient.identifier",
];

/// The ids of this source's Patients carrying the NHS number in `token`
/// (`https://fhir.nhs.uk/Id/nhs-number|<nhs>`, or a bare number); the showcase fault if this
/// patient's source is failing.
fn patient_ids_with(source: &Source, token: &str) -> Result<Vec<String>, FhirError> {
    let (system, value) = token
        .split_once('|')
        .map_or((None, token), |(s, v)| (Some(s), v));
    let nhs = NhsNumber::parse(value).map_err(|_| {
        FhirError::Invalid(
            "a chained identifier must be https://fhir.nhs.uk/Id/nhs-number|<NHS number>",
        )
    })?;
    let ours = system.is_none_or(|s| s == NHS_NUMBER_SYSTEM);
    let Some(index) = source
        .population
        .index_of(nhs)
        .filter(|i| ours && source.population.knows(*i, source.kind))
    else {
        return Ok(Vec::new());
    };
    refuse_if_failing(source, index)?;
    Ok(records::patients(&source.population, index, source.kind)
        .iter()
        .filter_map(|p| p["id"].as_str().map(str::to_owned))
        .collect())
}

/// `POST /fhir`: a `batch` Bundle of searches (`GET <Type>?...` entries), each answered in
/// order as the search alone would be, with its HTTP status; a type `failing_type` names
/// fails inside the batch as it would alone.
async fn batch(
    State(source): State<Arc<Source>>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Response, FhirError> {
    let bundle: Value =
        serde_json::from_slice(&body).map_err(|_| FhirError::Invalid("the body is not JSON"))?;
    if bundle["resourceType"] != "Bundle" || bundle["type"] != "batch" {
        return Err(FhirError::Invalid("POST [base] takes a batch Bundle"));
    }
    let mut entries = Vec::new();
    for entry in bundle["entry"].as_array().into_iter().flatten() {
        let request = &entry["request"];
        let url = request["url"].as_str().unwrap_or_default();
        let (path, query) = url
            .split_once('?')
            .map_or((url, None), |(p, q)| (p, Some(q.to_owned())));
        if let Ok(mut paths) = source.paths.lock() {
            paths.push(format!("/fhir/{path}"));
        }
        let failing = !source.healed.load(Ordering::SeqCst)
            && source.faults.failing_type.is_some_and(|t| t == path);
        let reply = if request["method"] != "GET" || path.is_empty() || path.contains('/') {
            FhirError::Invalid("a batch entry here must be a search: GET <Type>?...")
                .into_response()
        } else if failing {
            FhirError::SyntheticFault.into_response()
        } else {
            search(
                State(source.clone()),
                Ok(Path(path.to_owned())),
                RawQuery(query),
                headers.clone(),
            )
            .await
            .unwrap_or_else(IntoResponse::into_response)
        };
        let status = reply.status();
        let body = axum::body::to_bytes(reply.into_body(), usize::MAX)
            .await
            .map_err(|_| FhirError::SyntheticFault)?;
        let resource: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
        entries.push(json!({ "resource": resource, "response": {
            "status": format!("{} {}", status.as_u16(), status.canonical_reason().unwrap_or_default()) } }));
    }
    Ok(fhir(
        StatusCode::OK,
        &json!({ "resourceType": "Bundle", "type": "batch-response", "entry": entries }),
    ))
}

/// `POST /fhir/Communication`: accepts a notification (after refusing the first
/// `refuse_notifications` with HTTP 503, when a test asks for that). A conditional create
/// (`If-None-Exist: identifier=<system>|<value>`) that matches one already accepted answers
/// 200 with it and keeps nothing new. The first `lose_notification_replies` answers that
/// would have said so (201 or 200) are 503 instead, as if lost on their way back.
async fn create(
    State(source): State<Arc<Source>>,
    path: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Response, FhirError> {
    let Path(resource_type) = path.map_err(|_| FhirError::Invalid(BAD_PATH))?;
    if resource_type != "Communication" {
        return Err(FhirError::MethodNotAllowed);
    }
    let mut resource: Value =
        serde_json::from_slice(&body).map_err(|_| FhirError::Invalid("the body is not JSON"))?;
    if resource["resourceType"] != "Communication" {
        return Err(FhirError::Invalid("the body is not a Communication"));
    }
    let mut received = source
        .received
        .lock()
        .map_err(|_| FhirError::SyntheticFault)?;
    let refused = source.notification_attempts.fetch_add(1, Ordering::SeqCst);
    if refused < u64::from(source.faults.refuse_notifications) {
        return Ok(busy());
    }
    let answer = match conditional_match(&headers, &received)? {
        Some(held) => fhir(StatusCode::OK, held),
        None => {
            resource["id"] = json!(format!("communication-{}", received.len() + 1));
            received.push(resource.clone());
            fhir(StatusCode::CREATED, &resource)
        }
    };
    let answered = source.notifications_answered.fetch_add(1, Ordering::SeqCst);
    if answered < u64::from(source.faults.lose_notification_replies) {
        return Ok(busy());
    }
    Ok(answer)
}

/// HTTP 503 with an OperationOutcome saying the source is busy.
fn busy() -> Response {
    (
        StatusCode::SERVICE_UNAVAILABLE,
        fhir_json_header(),
        OUTCOME_BUSY,
    )
        .into_response()
}

/// The Communication already received that an `If-None-Exist` header's identifier search
/// matches, if the request is a conditional create (only `identifier=<system>|<value>` is
/// understood here; any other search is refused as FHIR servers refuse what they cannot do).
fn conditional_match<'a>(
    headers: &HeaderMap,
    received: &'a [Value],
) -> Result<Option<&'a Value>, FhirError> {
    let Some(search) = headers.get("if-none-exist") else {
        return Ok(None);
    };
    let (system, value) = search
        .to_str()
        .ok()
        .and_then(|s| s.strip_prefix("identifier="))
        .and_then(|token| token.split_once('|'))
        .ok_or(FhirError::Invalid(
            "If-None-Exist must be identifier=<system>|<value>",
        ))?;
    Ok(received.iter().find(|held| {
        held["identifier"].as_array().is_some_and(|ids| {
            ids.iter()
                .any(|id| id["system"] == system && id["value"] == value)
        })
    }))
}

fn fhir_json_header() -> [(header::HeaderName, &'static str); 1] {
    [(header::CONTENT_TYPE, "application/fhir+json")]
}

const OUTCOME_BUSY: &str = r#"{"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"transient","diagnostics":"busy"}]}"#;

/// `GET /fhir/Patient/<id>/$everything`: the Patient and everything about them, paged.
async fn everything(
    State(source): State<Arc<Source>>,
    path: Result<Path<(String, String)>, PathRejection>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Result<Response, FhirError> {
    let Path((id, operation)) = path.map_err(|_| FhirError::Invalid(BAD_PATH))?;
    if operation != "$everything" {
        return Err(FhirError::NoEndpoint);
    }
    let params = Params::parse(query.as_deref());
    let base = base_url(&source, &headers);
    let (index, second) = parse_patient_id(source.kind, &id)
        .filter(|(i, second)| holds(&source, *i, *second))
        .ok_or(FhirError::NotFound)?;
    refuse_if_failing(&source, index)?;
    let patient = records::patients(&source.population, index, source.kind)
        .into_iter()
        .find(|p| p["id"] == id.as_str())
        .ok_or(FhirError::NotFound)?;
    let mut resources = vec![patient];
    resources.extend(if second {
        records::second_record(&source.population, index, source.kind)
    } else {
        records::clinical(&source.population, index, source.kind)
    });
    let (count, offset) = paging(&params)?;
    let page_url =
        |offset: usize| format!("{base}/Patient/{id}/$everything?_count={count}&_offset={offset}");
    Ok(fhir(
        StatusCode::OK,
        &page(resources, count, offset, page_url, &base),
    ))
}

/// Whether this source holds patient `index`'s first (or second) record.
fn holds(source: &Source, index: usize, second: bool) -> bool {
    source.population.knows(index, source.kind)
        && (!second || source.population.has_second_record(index, source.kind))
}

/// Every clinical resource filed under one of this source's patient ids (none for an unknown
/// id); the showcase fault if this patient's source is failing.
fn record_of(source: &Source, patient_id: &str) -> Result<Vec<Value>, FhirError> {
    let Some((index, second)) =
        parse_patient_id(source.kind, patient_id).filter(|(i, second)| holds(source, *i, *second))
    else {
        return Ok(Vec::new());
    };
    refuse_if_failing(source, index)?;
    if second {
        return Ok(records::second_record(
            &source.population,
            index,
            source.kind,
        ));
    }
    let mut resources = records::clinical(&source.population, index, source.kind);
    let objected = source
        .dissenting
        .read()
        .is_ok_and(|set| set.contains(&index));
    if objected {
        resources.push(records::objection(&source.population, index, source.kind));
    }
    Ok(resources)
}

/// `_count` (capped) and `_offset`.
fn paging(params: &Params) -> Result<(usize, usize), FhirError> {
    let count = params
        .number("_count", DEFAULT_COUNT, "_count must be a whole number")?
        .min(MAX_COUNT);
    let offset = params.number("_offset", 0, "_offset must be a whole number")?;
    Ok((count, offset))
}

/// One page of `matches` as a searchset, with `self` and (when there is more) `next` links.
fn page(
    matches: Vec<Value>,
    count: usize,
    offset: usize,
    page_url: impl Fn(usize) -> String,
    base: &str,
) -> Value {
    let mut links = vec![json!({ "relation": "self", "url": page_url(offset) })];
    if count > 0 && offset.saturating_add(count) < matches.len() {
        links.push(json!({ "relation": "next", "url": page_url(offset + count) }));
    }
    let total = matches.len();
    let page: Vec<Value> = matches.into_iter().skip(offset).take(count).collect();
    searchset(base, total, links, page)
}

/// `Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|<nhs>` (or a bare NHS number), or
/// by demographics: `family` and `birthdate`, optionally `given`, `gender`,
/// `address-postalcode`.
async fn search_patient(
    source: &Source,
    params: &Params,
    base: &str,
) -> Result<Response, FhirError> {
    const USAGE: &str = "search Patient by identifier=https://fhir.nhs.uk/Id/nhs-number|<NHS number>, or by family and birthdate";
    if let Some(barrier) = &source.faults.rendezvous {
        if tokio::time::timeout(RENDEZVOUS_TIMEOUT, barrier.wait())
            .await
            .is_err()
        {
            tracing::debug!(
                source = source.kind.as_str(),
                "rendezvous timed out; answering anyway"
            );
        }
    }
    let patients = match params.get("identifier") {
        Some(identifier) => {
            let (system, value) = identifier
                .split_once('|')
                .map_or((None, identifier), |(s, v)| (Some(s), v));
            let nhs = NhsNumber::parse(value).map_err(|_| FhirError::Invalid(USAGE))?;
            let ours = system.is_none_or(|s| s == NHS_NUMBER_SYSTEM);
            let index = source
                .population
                .index_of(nhs)
                .filter(|i| ours && source.population.knows(*i, source.kind));
            if let Some(index) = index {
                refuse_if_failing(source, index)?;
            }
            index
                .map(|i| records::patients(&source.population, i, source.kind))
                .unwrap_or_default()
        }
        None => by_demographics(source, params).ok_or(FhirError::Invalid(USAGE))?,
    };
    let query = params.0.iter().filter(|(n, _)| n != "_count");
    let query = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(query)
        .finish();
    let (count, _) = paging(params)?;
    let page_url = |_| format!("{base}/Patient?{query}");
    let mut bundle = page(patients, count, 0, page_url, base);
    if bundle["link"].as_array().is_some_and(|l| l.len() > 1) {
        // More matches than one page: say so with a next link (not followed by the demo).
        bundle["link"][1]["url"] = json!(format!("{base}/Patient?{query}&_offset={count}"));
    }
    Ok(fhir(StatusCode::OK, &bundle))
}

/// Patients this source holds matching a demographic search, by scanning the population
/// (FHIR string search: case-insensitive "starts with"); `None` without family and birthdate.
fn by_demographics(source: &Source, params: &Params) -> Option<Vec<Value>> {
    let family = params.get("family")?.to_lowercase();
    let birth_date = params.get("birthdate")?;
    let given = params.get("given").map(str::to_lowercase);
    let gender = params.get("gender");
    let postcode = params
        .get("address-postalcode")
        .map(|p| p.replace(' ', "").to_uppercase());
    let matches = (0..source.population.len())
        .filter(|i| {
            source
                .population
                .family_and_birth_date_match(*i, source.kind, &family, birth_date)
        })
        .filter(|i| source.population.knows(*i, source.kind))
        .filter(|i| source.population.failing_at(*i).is_none())
        .flat_map(|i| records::patients(&source.population, i, source.kind))
        // Family name and birth date are settled above, from the person (a table test in
        // `demo::data` shows that test agrees with these resources); the rest from them.
        .filter(|p| {
            let text = |v: &Value| v.as_str().unwrap_or_default().to_lowercase();
            let name = &p["name"][0];
            given
                .as_ref()
                .is_none_or(|g| text(&name["given"][0]).starts_with(g))
                && gender.is_none_or(|g| p["gender"] == g)
                && postcode.as_ref().is_none_or(|pc| {
                    text(&p["address"][0]["postalCode"])
                        .replace(' ', "")
                        .to_uppercase()
                        .starts_with(pc)
                })
        })
        .collect();
    Some(matches)
}

/// `GET /fhir/<Type>/<id>`.
async fn read(
    State(source): State<Arc<Source>>,
    path: Result<Path<(String, String)>, PathRejection>,
) -> Result<Response, FhirError> {
    let Path((resource_type, id)) = path.map_err(|_| FhirError::Invalid(BAD_PATH))?;
    if resource_type == "Binary" {
        return binary(&source, &id);
    }
    let resource = if resource_type == "Patient" {
        let (index, second) = parse_patient_id(source.kind, &id)
            .filter(|(i, second)| holds(&source, *i, *second))
            .ok_or(FhirError::NotFound)?;
        refuse_if_failing(&source, index)?;
        records::patients(&source.population, index, source.kind)
            .into_iter()
            .nth(usize::from(second))
            .ok_or(FhirError::NotFound)?
    } else {
        let resource_type = supported(&resource_type)?;
        let patient_id = id.rsplitn(3, '-').nth(2).ok_or(FhirError::NotFound)?;
        record_of(&source, patient_id)?
            .into_iter()
            .find(|r| r["id"] == id.as_str() && r["resourceType"] == resource_type)
            .ok_or(FhirError::NotFound)?
    };
    Ok(fhir(StatusCode::OK, &resource))
}

/// `GET /fhir/Binary/<id>`: a document's content, as raw bytes of the type its
/// DocumentReference gives, when one of the patient's DocumentReferences points at it.
fn binary(source: &Source, id: &str) -> Result<Response, FhirError> {
    let patient_id = id.rsplitn(3, '-').nth(2).ok_or(FhirError::NotFound)?;
    let reference = format!("Binary/{id}");
    let content_type = record_of(source, patient_id)?
        .iter()
        .filter(|r| r["resourceType"] == "DocumentReference")
        .flat_map(|r| r["content"].as_array().cloned().unwrap_or_default())
        .find(|c| c["attachment"]["url"] == reference.as_str())
        .and_then(|c| c["attachment"]["contentType"].as_str().map(str::to_owned))
        .ok_or(FhirError::NotFound)?;
    let bytes = super::data::letters::pdf_for(id);
    Ok(([(header::CONTENT_TYPE, content_type)], bytes).into_response())
}

fn supported(resource_type: &str) -> Result<&'static str, FhirError> {
    TYPES
        .into_iter()
        .find(|t| *t == resource_type)
        .ok_or(FhirError::UnsupportedType)
}

/// The showcase slow source: its Patient search for the slow patient takes its time.
fn showcase_delay(source: &Source, uri: &axum::http::Uri) -> Option<std::time::Duration> {
    let nhs = source.population.slow_patient()?;
    let (kind, delay) = source.population.slow_source(nhs)?;
    let asks_for_them = uri.path().ends_with("/Patient")
        && uri.query().is_some_and(|q| q.contains(&nhs.as_digits()));
    (kind == source.kind && asks_for_them).then_some(delay)
}

/// The showcase consent fault: this source answers 500 to this patient's Consent search.
fn refuse_consent_if_unreadable(source: &Source, patient_id: &str) -> Result<(), FhirError> {
    let unreadable = parse_patient_id(source.kind, patient_id)
        .and_then(|(index, _)| source.population.consent_unreadable_at(index))
        .is_some_and(|kind| kind == source.kind);
    if unreadable {
        Err(FhirError::SyntheticFault)
    } else {
        Ok(())
    }
}

/// The showcase fault: this source answers 500 for everything about this patient.
fn refuse_if_failing(source: &Source, index: usize) -> Result<(), FhirError> {
    match source.population.failing_at(index) {
        Some(kind) if kind == source.kind => Err(FhirError::SyntheticFault),
        _ => Ok(()),
    }
}

/// The base URL as the client addressed us (so links keep its origin), else the bound address.
fn base_url(source: &Source, headers: &HeaderMap) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| {
            !h.is_empty()
                && h.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'))
        });
    match host {
        Some(host) => format!("http://{host}/fhir"),
        None => source.base_url.clone(),
    }
}

fn searchset(base: &str, total: usize, links: Vec<Value>, resources: Vec<Value>) -> Value {
    let entry: Vec<Value> = resources
        .into_iter()
        .map(|r| {
            let full_url = format!(
                "{base}/{}/{}",
                r["resourceType"].as_str().unwrap_or_default(),
                r["id"].as_str().unwrap_or_default()
            );
            json!({ "fullUrl": full_url, "resource": r, "search": { "mode": "match" } })
        })
        .collect();
    json!({ "resourceType": "Bundle", "type": "searchset", "total": total, "link": links, "entry": entry })
}

#[cfg(test)]
mod tests;
