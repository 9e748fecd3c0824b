//! Integration: how many sequential round trips a view costs the source, per `fetch_mode`,
//! over real HTTP against a mock FHIR server that records when each request arrived; that a
//! chained search a source ignores or answers sloppily never shows another patient's data;
//! and that a Consent search that fails still fails the view closed in every mode.

use crate::common;

use axum::extract::{Path, RawQuery, Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{json, Value};
use server::config::FetchMode;
use server::demo::Faults;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const NHS_SYSTEM: &str = "https://fhir.nhs.uk/Id/nhs-number";
/// The patient viewed (Patient/p1 at the mock) and another one (Patient/p2).
const OURS: &str = "9434765919";
const THEIRS: &str = "9434765927";
/// A valid NHS number the mock does not hold.
const NOBODY: &str = "9434765935";
/// Every request the mock answers waits this long: a round trip.
const LATENCY: Duration = Duration::from_millis(200);

/// What the mock's `[base]/metadata` answers.
#[derive(Debug, Clone, Copy)]
enum Metadata {
    /// A CapabilityStatement declaring `patient` search on every type, and `batch` or not.
    Statement { batch: bool },
    /// HTTP 404 (a server without one).
    Missing,
    /// HTTP 500.
    Fails,
}

/// How the mock answers a chained search (`<Type>?patient.identifier=...`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Chain {
    /// Applies it and says so in its `self` link.
    Honours,
    /// Ignores the unknown parameter: every resource of the type, the `self` link without it.
    IgnoresAndSaysSo,
    /// Ignores it and sends no `self` link at all.
    IgnoresSilently,
    /// Claims to apply it (the `self` link keeps it) but sends every patient's resources.
    SendsOthers,
    /// Refuses it: HTTP 400 with an OperationOutcome.
    Refuses,
    /// Sends every resource and an OperationOutcome warning that it ignored the parameter.
    Warns,
}

struct Mock {
    metadata: Metadata,
    chain: Chain,
    /// Consent searches (of any kind) answer HTTP 500.
    consent_fails: bool,
    /// (what was asked, when it arrived). A batch's entries are logged too, after the POST.
    hits: Mutex<Vec<(String, Instant)>>,
}

impl Mock {
    fn hits_since(&self, since: Instant) -> Vec<(String, Instant)> {
        self.hits
            .lock()
            .unwrap()
            .iter()
            .filter(|(_, at)| *at >= since)
            .cloned()
            .collect()
    }
}

/// Everything the mock holds: two patients' records.
fn resources() -> Vec<Value> {
    let condition = |id: &str, patient: &str| {
        json!({ "resourceType": "Condition", "id": id, "subject": { "reference": format!("Patient/{patient}") },
            "code": { "text": format!("Condition {id}") }, "clinicalStatus": { "coding": [{ "code": "active" }] },
            "onsetDateTime": "2020-01-01" })
    };
    vec![
        condition("c1", "p1"),
        json!({ "resourceType": "AllergyIntolerance", "id": "a1", "patient": { "reference": "Patient/p1" },
            "code": { "text": "Penicillin" }, "recordedDate": "2019-05-06" }),
        json!({ "resourceType": "Consent", "id": "k1", "status": "active", "patient": { "reference": "Patient/p1" },
            "provision": { "type": "permit" } }),
        condition("c2", "p2"),
        json!({ "resourceType": "Observation", "id": "o2", "status": "final", "subject": { "reference": "Patient/p2" },
            "code": { "text": "Weight" }, "effectiveDateTime": "2021-01-01" }),
        // The other patient objects to sharing: were it taken as ours, the view would stop.
        json!({ "resourceType": "Consent", "id": "k2", "status": "active", "patient": { "reference": "Patient/p2" },
            "provision": { "type": "deny" } }),
    ]
}

fn patient(id: &str, nhs: &str) -> Value {
    json!({ "resourceType": "Patient", "id": id,
        "identifier": [{ "system": NHS_SYSTEM, "value": nhs }],
        "name": [{ "family": "Roundtrip", "given": ["Rita"] }], "birthDate": "1970-01-01" })
}

fn about(resource: &Value, patient_id: &str) -> bool {
    let reference = format!("Patient/{patient_id}");
    resource["subject"]["reference"] == reference.as_str()
        || resource["patient"]["reference"] == reference.as_str()
}

fn searchset(entries: Vec<Value>, self_link: Option<String>) -> Value {
    let entry: Vec<Value> = entries
        .into_iter()
        .map(|r| {
            let mode = if r["resourceType"] == "OperationOutcome" {
                "outcome"
            } else {
                "match"
            };
            json!({ "resource": r, "search": { "mode": mode } })
        })
        .collect();
    let link: Vec<Value> = self_link
        .into_iter()
        .map(|url| json!({ "relation": "self", "url": url }))
        .collect();
    json!({ "resourceType": "Bundle", "type": "searchset", "link": link, "entry": entry })
}

fn outcome(code: &str) -> Value {
    json!({ "resourceType": "OperationOutcome",
        "issue": [{ "severity": "error", "code": code, "diagnostics": "refused by the mock" }] })
}

/// The Patient id at the mock for an NHS number token (`<system>|<nhs>`).
fn patient_id_for(token: &str) -> Option<&'static str> {
    match token.rsplit('|').next() {
        Some(OURS) => Some("p1"),
        Some(THEIRS) => Some("p2"),
        _ => None,
    }
}

/// One search (`<Type>?<query>`), as the mock answers it alone or inside a batch.
fn answer(mock: &Mock, resource_type: &str, query: &str) -> (StatusCode, Value) {
    let params: Vec<(String, String)> = url::form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect();
    let param = |name: &str| params.iter().find(|(n, _)| n == name).map(|(_, v)| v);
    let self_link = Some(format!("http://mock/fhir/{resource_type}?{query}"));
    if resource_type == "Patient" {
        let found = param("identifier")
            .and_then(|t| patient_id_for(t).map(|id| (id, t.rsplit('|').next().unwrap_or(""))))
            .map(|(id, nhs)| vec![patient(id, nhs)])
            .unwrap_or_default();
        return (StatusCode::OK, searchset(found, self_link));
    }
    if mock.consent_fails && resource_type == "Consent" {
        return (StatusCode::INTERNAL_SERVER_ERROR, outcome("exception"));
    }
    let of_type: Vec<Value> = resources()
        .into_iter()
        .filter(|r| r["resourceType"] == resource_type)
        .collect();
    let chained = params
        .iter()
        .find(|(n, _)| n.ends_with(".identifier"))
        .map(|(_, v)| v.as_str());
    let Some(token) = chained else {
        let ids: Vec<&str> = param("patient").map_or(vec![], |p| p.split(',').collect());
        let mine = of_type
            .into_iter()
            .filter(|r| ids.iter().any(|id| about(r, id)))
            .collect();
        return (StatusCode::OK, searchset(mine, self_link));
    };
    let everything_without_self = |extra: Option<Value>| {
        let mut all = of_type.clone();
        all.extend(extra);
        all
    };
    match mock.chain {
        Chain::Honours => {
            let mine = of_type
                .iter()
                .filter(|r| patient_id_for(token).is_some_and(|id| about(r, id)))
                .cloned()
                .collect();
            (StatusCode::OK, searchset(mine, self_link))
        }
        Chain::IgnoresAndSaysSo => (
            StatusCode::OK,
            searchset(
                everything_without_self(None),
                Some(format!("http://mock/fhir/{resource_type}?_count=100")),
            ),
        ),
        Chain::IgnoresSilently => (
            StatusCode::OK,
            searchset(everything_without_self(None), None),
        ),
        Chain::SendsOthers => (
            StatusCode::OK,
            searchset(everything_without_self(None), self_link),
        ),
        Chain::Refuses => (StatusCode::BAD_REQUEST, outcome("not-supported")),
        Chain::Warns => {
            let mut warning = outcome("not-supported");
            warning["issue"][0]["severity"] = json!("warning");
            (
                StatusCode::OK,
                searchset(everything_without_self(Some(warning)), self_link),
            )
        }
    }
}

fn fhir(status: StatusCode, body: &Value) -> Response {
    (
        status,
        [("content-type", "application/fhir+json")],
        body.to_string(),
    )
        .into_response()
}

async fn search(
    State(mock): State<Arc<Mock>>,
    Path(resource_type): Path<String>,
    RawQuery(query): RawQuery,
) -> Response {
    if resource_type == "metadata" {
        return metadata(&mock);
    }
    let (status, body) = answer(&mock, &resource_type, query.as_deref().unwrap_or(""));
    fhir(status, &body)
}

fn metadata(mock: &Mock) -> Response {
    let Metadata::Statement { batch } = mock.metadata else {
        let status = match mock.metadata {
            Metadata::Missing => StatusCode::NOT_FOUND,
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        };
        return fhir(status, &outcome("not-found"));
    };
    let types = std::iter::once("Patient").chain(server::config::DEFAULT_RESOURCE_TYPES);
    let resource: Vec<Value> = types
        .map(|t| {
            let param = if t == "Patient" {
                json!({ "name": "identifier", "type": "token" })
            } else {
                json!({ "name": "patient", "type": "reference" })
            };
            json!({ "type": t, "interaction": [{ "code": "search-type" }], "searchParam": [param] })
        })
        .collect();
    let interaction: Vec<Value> = batch
        .then(|| json!({ "code": "batch" }))
        .into_iter()
        .collect();
    fhir(
        StatusCode::OK,
        &json!({ "resourceType": "CapabilityStatement", "status": "active", "kind": "instance",
            "fhirVersion": "4.0.1", "rest": [{ "mode": "server", "resource": resource, "interaction": interaction }] }),
    )
}

async fn batch(State(mock): State<Arc<Mock>>, body: axum::body::Bytes) -> Response {
    if matches!(mock.metadata, Metadata::Statement { batch: false }) {
        return fhir(StatusCode::METHOD_NOT_ALLOWED, &outcome("not-supported"));
    }
    let bundle: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(bundle["type"], "batch");
    let mut entries = Vec::new();
    for entry in bundle["entry"].as_array().unwrap() {
        let url = entry["request"]["url"].as_str().unwrap();
        mock.hits
            .lock()
            .unwrap()
            .push((format!("BATCH GET {url}"), Instant::now()));
        let (path, query) = url.split_once('?').unwrap_or((url, ""));
        let (status, resource) = answer(&mock, path, query);
        entries.push(
            json!({ "resource": resource, "response": { "status": status.as_u16().to_string() } }),
        );
    }
    fhir(
        StatusCode::OK,
        &json!({ "resourceType": "Bundle", "type": "batch-response", "entry": entries }),
    )
}

async fn everything(
    State(_): State<Arc<Mock>>,
    Path((id, operation)): Path<(String, String)>,
) -> Response {
    assert_eq!(operation, "$everything");
    let mut all = vec![patient(&id, OURS)];
    all.extend(resources().into_iter().filter(|r| about(r, &id)));
    fhir(StatusCode::OK, &searchset(all, None))
}

/// Serves the mock on 127.0.0.1, each request logged on arrival and answered after
/// [`LATENCY`]; its base URL.
async fn start_mock(mock: Arc<Mock>) -> String {
    let logged = mock.clone();
    let router = axum::Router::new()
        .route("/fhir", post(batch))
        .route("/fhir/{resource_type}", get(search))
        .route("/fhir/Patient/{id}/{operation}", get(everything))
        .with_state(mock)
        .layer(axum::middleware::from_fn(
            move |request: Request, next: Next| {
                let mock = logged.clone();
                async move {
                    let what = format!(
                        "{} {}",
                        request.method(),
                        request.uri().path_and_query().map_or("", |p| p.as_str())
                    );
                    mock.hits.lock().unwrap().push((what, Instant::now()));
                    tokio::time::sleep(LATENCY).await;
                    next.run(request).await
                }
            },
        ));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/fhir", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await });
    url
}

/// A portal whose one source is `mock`, fetched in `mode`, nothing cached between views.
async fn portal_for(mock: Arc<Mock>, mode: FetchMode) -> common::Portal {
    let base = start_mock(mock).await;
    common::start_with(
        common::population(),
        |_| Faults::default(),
        move |config| {
            let mut source = config.sources[0].clone();
            source.base_url = url::Url::parse(&base).unwrap();
            source.fetch_mode = mode;
            source.max_retries = 0;
            config.sources = vec![source];
            config.cache.ttl_s = 0;
        },
    )
    .await
}

fn mock(metadata: Metadata, chain: Chain, consent_fails: bool) -> Arc<Mock> {
    Arc::new(Mock {
        metadata,
        chain,
        consent_fails,
        hits: Mutex::new(Vec::new()),
    })
}

/// Sequential round trips in `hits` (the CapabilityStatement read, which no view waits for,
/// left out): requests arriving within half a round trip of the one before belong to the
/// same wave.
fn waves(hits: &[(String, Instant)]) -> usize {
    let mut arrivals: Vec<Instant> = hits
        .iter()
        .filter(|(what, _)| !what.contains("/metadata") && !what.starts_with("BATCH GET"))
        .map(|(_, at)| *at)
        .collect();
    arrivals.sort();
    arrivals
        .windows(2)
        .filter(|pair| pair[1].duration_since(pair[0]) > LATENCY / 2)
        .count()
        + usize::from(!arrivals.is_empty())
}

/// Requests sent to the mock (a batch counts once; its entries are not requests).
fn requests(hits: &[(String, Instant)]) -> usize {
    hits.iter()
        .filter(|(what, _)| !what.contains("/metadata") && !what.starts_with("BATCH GET"))
        .count()
}

fn entry_ids(record: &Value) -> Vec<String> {
    let mut ids: Vec<String> = common::entries(record)
        .iter()
        .map(|e| e["resource_id"].as_str().unwrap().to_owned())
        .collect();
    ids.sort();
    ids
}

/// Views the patient and returns the record with the hits it caused.
async fn view(
    portal: &common::Portal,
    mock: &Mock,
    nhs: &str,
) -> (StatusCode, Value, Vec<(String, Instant)>) {
    let started = Instant::now();
    let (status, record) = portal.record_json(nhs).await;
    (
        StatusCode::from_u16(status.as_u16()).unwrap(),
        record,
        mock.hits_since(started),
    )
}

#[tokio::test]
async fn each_mode_costs_the_round_trips_it_promises() {
    use FetchMode::*;
    // (mode, metadata, waves on the first view, on a later view, requests on a later view)
    let table = [
        (Search, Metadata::Statement { batch: true }, 2, 2, 15),
        (Chained, Metadata::Missing, 1, 1, 15),
        (Batch, Metadata::Missing, 1, 1, 2),
        (Auto, Metadata::Statement { batch: false }, 2, 1, 15),
        (Auto, Metadata::Statement { batch: true }, 2, 1, 2),
        (Auto, Metadata::Missing, 2, 2, 15),
        (Auto, Metadata::Fails, 2, 2, 15),
        (Everything, Metadata::Statement { batch: true }, 2, 2, 2),
    ];
    for (mode, metadata, first_waves, later_waves, later_requests) in table {
        let case = format!("{mode:?} with {metadata:?}");
        let mock = mock(metadata, Chain::Honours, false);
        let portal = portal_for(mock.clone(), mode).await;
        let t0 = Instant::now();
        let (status, first, hits) = view(&portal, &mock, OURS).await;
        assert_eq!(status, 200, "{case}: {first}");
        assert_eq!(waves(&hits), first_waves, "{case}, first view: {hits:?}");
        // The CapabilityStatement is read in the background: give it time to land.
        tokio::time::sleep(LATENCY * 2).await;
        for _ in 0..2 {
            let (status, record, hits) = view(&portal, &mock, OURS).await;
            assert_eq!(status, 200, "{case}: {record}");
            assert_eq!(entry_ids(&record), ["a1", "c1"], "{case}");
            assert_eq!(
                common::source_report(&record, "gp")["status"],
                "ok",
                "{case}"
            );
            assert_eq!(waves(&hits), later_waves, "{case}: {hits:?}");
            assert_eq!(requests(&hits), later_requests, "{case}: {hits:?}");
        }
        let metadata_reads = mock.hits_since(t0);
        let metadata_reads = metadata_reads
            .iter()
            .filter(|(what, _)| what.contains("/metadata"))
            .count();
        assert_eq!(
            metadata_reads,
            usize::from(mode == Auto),
            "{case}: the CapabilityStatement is read once, and only in auto"
        );
    }
}

#[tokio::test]
async fn the_demo_sources_take_the_one_round_trip_path() {
    let portal = common::start().await;
    let plain = common::start_with(
        common::population(),
        |_| Faults::default(),
        |config| {
            for s in &mut config.sources {
                s.fetch_mode = FetchMode::Search;
            }
        },
    )
    .await;
    let nhs =
        common::patient_known_at(&portal.demo.population, &app::model::SourceKind::ALL).as_digits();
    let ids = |record: &Value| {
        let mut ids: Vec<String> = common::entries(record)
            .iter()
            .map(|e| format!("{}/{}", e["source_id"], e["resource_id"]))
            .collect();
        ids.sort();
        ids
    };
    let (_, expected) = plain.record_json(&nhs).await;
    portal.record_json_query(&nhs, "?refresh=true").await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let before: Vec<u64> = portal.demo.sources.iter().map(|s| s.requests()).collect();
    let (status, record) = portal.record_json_query(&nhs, "?refresh=true").await;
    assert_eq!(status, 200, "{record}");
    assert!(!ids(&record).is_empty());
    assert_eq!(ids(&record), ids(&expected), "the same record either way");
    for (source, before) in portal.demo.sources.iter().zip(before) {
        let paths = source.paths_asked();
        assert_eq!(
            source.requests() - before,
            2,
            "{:?}: the Patient search and one batch: {:?}",
            source.kind,
            &paths[paths.len().saturating_sub(4)..]
        );
        assert!(paths.iter().any(|p| p == "/fhir/metadata"));
        assert!(paths.iter().any(|p| p == "/fhir"), "a batch was POSTed");
    }
}

#[tokio::test]
async fn another_patients_entries_from_a_sloppy_chained_search_are_never_shown() {
    use FetchMode::*;
    let sloppy = [
        Chain::IgnoresAndSaysSo,
        Chain::IgnoresSilently,
        Chain::SendsOthers,
        Chain::Refuses,
        Chain::Warns,
    ];
    let modes = [
        (Chained, Metadata::Missing),
        (Batch, Metadata::Statement { batch: true }),
        (Auto, Metadata::Statement { batch: true }),
        (Auto, Metadata::Statement { batch: false }),
    ];
    for chain in sloppy {
        for (mode, metadata) in modes {
            let case = format!("{chain:?}, {mode:?} with {metadata:?}");
            let mock = mock(metadata, chain, false);
            let portal = portal_for(mock.clone(), mode).await;
            for view_number in 1..=3 {
                let (status, record, hits) = view(&portal, &mock, OURS).await;
                // Were the other patient's objection taken as ours, this would be refused.
                assert_eq!(status, 200, "{case}, view {view_number}: {record}");
                assert_eq!(
                    entry_ids(&record),
                    ["a1", "c1"],
                    "{case}, view {view_number}: only this patient's entries"
                );
                let report = common::source_report(&record, "gp");
                assert_eq!(report["status"], "ok", "{case}: {report}");
                if view_number == 3 {
                    // Types the source answered wrongly are searched by id from now on.
                    let chained_condition = hits
                        .iter()
                        .filter(|(what, _)| {
                            what.contains("Condition?") && what.contains(".identifier")
                        })
                        .count();
                    assert_eq!(chained_condition, 0, "{case}: {hits:?}");
                }
                tokio::time::sleep(LATENCY * 2).await;
            }
            // Someone the source does not hold: nothing at all, whatever it sends.
            let (status, record, _) = view(&portal, &mock, NOBODY).await;
            assert_eq!(status, 200, "{case}: {record}");
            assert!(common::entries(&record).is_empty(), "{case}: {record}");
            assert_eq!(
                common::source_report(&record, "gp")["status"],
                "not-found",
                "{case}"
            );
        }
    }
}

#[tokio::test]
async fn a_consent_search_that_fails_still_fails_the_view_closed_in_every_mode() {
    use FetchMode::*;
    let modes = [
        (Search, Metadata::Missing),
        (Chained, Metadata::Missing),
        (Batch, Metadata::Statement { batch: true }),
        (Auto, Metadata::Statement { batch: true }),
        (Auto, Metadata::Statement { batch: false }),
        (Auto, Metadata::Fails),
    ];
    for chain in [Chain::Honours, Chain::SendsOthers] {
        for (mode, metadata) in modes {
            let case = format!("{mode:?} with {metadata:?}, chain {chain:?}");
            let mock = mock(metadata, chain, true);
            let portal = portal_for(mock.clone(), mode).await;
            for _ in 0..2 {
                let (status, body, _) = view(&portal, &mock, OURS).await;
                assert_eq!(status, 403, "{case}: {body}");
                assert_eq!(body["error"], "consent-unknown", "{case}: {body}");
                assert!(body.get("entries").is_none(), "{case}: no data");
                let why = body["consent_unknown"]["unread"][0]["why"]
                    .as_str()
                    .unwrap_or_default();
                assert!(why.contains("consent records"), "{case}: {body}");
                tokio::time::sleep(LATENCY * 2).await;
            }
        }
    }
}
