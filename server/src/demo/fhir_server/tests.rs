//! The demo FHIR server over real HTTP on `127.0.0.1:0`: searches, paging, reads, errors, faults.

use super::super::data::ids::patient_id;
use super::super::data::records::clinical;
use super::super::{DemoSource, Faults, Population};
use super::TYPES;
use app::model::SourceKind;
use app::nhs_number::{NhsNumber, NHS_NUMBER_SYSTEM};
use serde_json::Value;
use std::collections::HashSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

const FHIR_JSON: &str = "application/fhir+json; charset=utf-8";

fn population() -> Arc<Population> {
    Arc::new(Population::new(
        Population::DEFAULT_PATIENTS,
        Population::DEFAULT_SEED,
    ))
}

async fn serve(kind: SourceKind, population: &Arc<Population>, faults: Faults) -> DemoSource {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    DemoSource::start(kind, listener, population.clone(), faults)
        .await
        .unwrap()
}

/// GETs a URL; every answer must be FHIR JSON.
async fn get(url: &str) -> (u16, Value) {
    let response = reqwest::get(url).await.unwrap();
    assert_eq!(response.headers()["content-type"], FHIR_JSON, "{url}");
    (response.status().as_u16(), response.json().await.unwrap())
}

fn showcase(population: &Population, label_start: &str) -> NhsNumber {
    population
        .showcase()
        .into_iter()
        .find(|p| p.label.starts_with(label_start))
        .unwrap()
        .nhs_number
}

fn ids(bundle: &Value) -> Vec<String> {
    bundle["entry"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["resource"]["id"].as_str().unwrap().to_owned())
        .collect()
}

fn next_link(bundle: &Value) -> Option<String> {
    bundle["link"]
        .as_array()?
        .iter()
        .find(|l| l["relation"] == "next")
        .map(|l| l["url"].as_str().unwrap().to_owned())
}

fn assert_outcome(status: u16, body: &Value, expected: u16) {
    assert_eq!(status, expected, "{body}");
    assert_eq!(body["resourceType"], "OperationOutcome");
    assert!(body["issue"][0]["diagnostics"].is_string());
}

#[tokio::test]
async fn metadata_is_an_r4_capability_statement() {
    let source = serve(SourceKind::Gp, &population(), Faults::default()).await;
    let (status, body) = get(&format!("{}/metadata", source.base_url)).await;
    assert_eq!(status, 200);
    assert_eq!(body["resourceType"], "CapabilityStatement");
    assert_eq!(body["fhirVersion"], "4.0.1");
    let types: Vec<&str> = body["rest"][0]["resource"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["type"].as_str().unwrap())
        .collect();
    assert!(types.contains(&"Patient") && TYPES.iter().all(|t| types.contains(t)));
}

#[tokio::test]
async fn patients_are_found_by_nhs_number_however_the_identifier_is_encoded() {
    let population = population();
    let source = serve(SourceKind::Acute, &population, Faults::default()).await;
    let nhs = showcase(&population, "known at all four sources");
    let digits = nhs.as_digits();
    let encoded_system = NHS_NUMBER_SYSTEM.replace(':', "%3A").replace('/', "%2F");
    for identifier in [
        format!("{NHS_NUMBER_SYSTEM}|{digits}"),
        format!("{NHS_NUMBER_SYSTEM}%7C{digits}"),
        format!("{encoded_system}%7C{digits}"),
    ] {
        let (status, bundle) = get(&format!(
            "{}/Patient?identifier={identifier}",
            source.base_url
        ))
        .await;
        assert_eq!(status, 200, "{identifier}");
        assert_eq!(bundle["type"], "searchset");
        assert_eq!(bundle["total"], 1);
        let entry = &bundle["entry"][0];
        let local_id = patient_id(SourceKind::Acute, 0);
        assert_eq!(entry["resource"]["id"], local_id.as_str());
        assert_eq!(
            entry["fullUrl"],
            format!("{}/Patient/{local_id}", source.base_url)
        );
        assert_eq!(entry["search"]["mode"], "match");
        assert_eq!(entry["resource"]["identifier"][0]["value"], digits.as_str());
    }

    let not_here = showcase(&population, "GP and social care only");
    let unknown = showcase(&population, "not known at any source");
    for nhs in [not_here, unknown] {
        let url = format!(
            "{}/Patient?identifier={NHS_NUMBER_SYSTEM}|{}",
            source.base_url,
            nhs.as_digits()
        );
        let (status, bundle) = get(&url).await;
        assert_eq!((status, bundle["total"].as_u64()), (200, Some(0)));
        assert!(bundle["entry"].as_array().unwrap().is_empty());
    }
}

#[tokio::test]
async fn missing_or_garbled_identifiers_are_refused() {
    let source = serve(SourceKind::Gp, &population(), Faults::default()).await;
    for query in [
        "".to_owned(),
        "name=Smith".to_owned(),
        "identifier=".to_owned(),
        format!("identifier={NHS_NUMBER_SYSTEM}|"),
        format!("identifier={NHS_NUMBER_SYSTEM}|12345"),
        format!("identifier={NHS_NUMBER_SYSTEM}|9990000019"),
        "identifier=not-a-number".to_owned(),
    ] {
        let (status, body) = get(&format!("{}/Patient?{query}", source.base_url)).await;
        assert_outcome(status, &body, 400);
    }
}

/// With `_count=3`, following `next` links gives exactly what one big page gives, in order.
#[tokio::test]
async fn paging_yields_every_resource_exactly_once() {
    let population = population();
    for kind in SourceKind::ALL {
        let source = serve(kind, &population, Faults::default()).await;
        let patient = patient_id(kind, 1); // the long-history patient, known everywhere
        let mut paged_types = 0;
        for resource_type in TYPES {
            let search = format!("{}/{resource_type}?patient={patient}", source.base_url);
            let (status, whole) = get(&format!("{search}&_count=200")).await;
            assert_eq!(status, 200);
            let expected = ids(&whole);
            assert_eq!(whole["total"].as_u64(), Some(expected.len() as u64));
            assert_eq!(next_link(&whole), None);

            let (mut seen, mut pages) = (Vec::new(), 0);
            let mut url = Some(format!("{search}&_count=3"));
            while let Some(page_url) = url {
                let (status, page) = get(&page_url).await;
                assert_eq!(status, 200);
                assert_eq!(page["total"].as_u64(), Some(expected.len() as u64));
                let page_ids = ids(&page);
                url = next_link(&page);
                if let Some(next) = &url {
                    assert_eq!(page_ids.len(), 3, "a full page before each next link");
                    assert!(next.starts_with(&source.base_url), "absolute, same origin");
                }
                seen.extend(page_ids);
                pages += 1;
            }
            assert_eq!(seen, expected, "{kind:?} {resource_type}");
            assert_eq!(
                seen.iter().collect::<HashSet<_>>().len(),
                seen.len(),
                "no repeats"
            );
            if pages > 1 {
                paged_types += 1;
            }
        }
        assert!(paged_types > 0, "{kind:?}: some type spans several pages");
    }
}

#[tokio::test]
async fn subject_references_count_and_offset_edge_cases() {
    let population = population();
    let source = serve(SourceKind::Gp, &population, Faults::default()).await;
    let patient = patient_id(SourceKind::Gp, 0);
    let base = format!("{}/Observation", source.base_url);
    let (_, by_patient) = get(&format!("{base}?patient={patient}")).await;
    let (_, by_subject) = get(&format!("{base}?subject=Patient/{patient}")).await;
    assert!(!ids(&by_patient).is_empty());
    assert_eq!(ids(&by_patient), ids(&by_subject));

    let (_, counted) = get(&format!("{base}?patient={patient}&_count=0")).await;
    assert_eq!(counted["total"], by_patient["total"]);
    assert!(ids(&counted).is_empty() && next_link(&counted).is_none());
    let (_, past_the_end) = get(&format!("{base}?patient={patient}&_offset=500")).await;
    assert!(ids(&past_the_end).is_empty() && next_link(&past_the_end).is_none());
    for bad in ["_count=many", "_count=-1", "_offset=x"] {
        let (status, body) = get(&format!("{base}?patient={patient}&{bad}")).await;
        assert_outcome(status, &body, 400);
    }
    let (status, body) = get(&base).await;
    assert_outcome(status, &body, 400);

    // Unknown patients, other sources' ids and patients this source does not know: empty.
    let elsewhere = population
        .nhs_numbers()
        .position(|n| !population.known_at(n).contains(&SourceKind::Gp));
    let mut strangers = vec![
        "gp-999999".to_owned(),
        patient_id(SourceKind::Acute, 0),
        "x&y=z".to_owned(),
    ];
    strangers.extend(elsewhere.map(|i| patient_id(SourceKind::Gp, i)));
    for stranger in strangers {
        let query = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("patient", &stranger)
            .finish();
        let (status, bundle) = get(&format!("{base}?{query}")).await;
        assert_eq!(
            (status, bundle["total"].as_u64()),
            (200, Some(0)),
            "{stranger}"
        );
    }
}

#[tokio::test]
async fn every_searched_resource_reads_back_by_id() {
    let population = population();
    let source = serve(SourceKind::SocialCare, &population, Faults::default()).await;
    let patient = patient_id(SourceKind::SocialCare, 0);
    for resource_type in TYPES {
        let (_, bundle) = get(&format!(
            "{}/{resource_type}?patient={patient}",
            source.base_url
        ))
        .await;
        for entry in bundle["entry"].as_array().unwrap() {
            let (status, resource) = get(entry["fullUrl"].as_str().unwrap()).await;
            assert_eq!(status, 200);
            assert_eq!(resource, entry["resource"]);
        }
    }
    let (status, resource) = get(&format!("{}/Patient/{patient}", source.base_url)).await;
    assert_eq!(
        (status, resource["id"].as_str()),
        (200, Some(patient.as_str()))
    );

    for missing in [
        format!("Patient/{}", patient_id(SourceKind::Gp, 0)),
        format!("Condition/{patient}-condition-999"),
        format!("Flag/{patient}-condition-0"),
        "Condition/nonsense".to_owned(),
    ] {
        let (status, body) = get(&format!("{}/{missing}", source.base_url)).await;
        assert_outcome(status, &body, 404);
    }
}

#[tokio::test]
async fn unsupported_paths_and_methods_get_operation_outcomes() {
    let source = serve(SourceKind::Gp, &population(), Faults::default()).await;
    let root = format!("http://{}", source.addr);
    for path in [
        "/fhir/Banana?patient=gp-000000",
        "/fhir/Banana/1",
        "/nope",
        "/fhir/Condition/a/b",
        "/fhir/%FF",
    ] {
        let (status, body) = get(&format!("{root}{path}")).await;
        assert_outcome(status, &body, if path == "/fhir/%FF" { 400 } else { 404 });
    }
    let response = reqwest::Client::new()
        .post(format!("{}/Patient", source.base_url))
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["content-type"], FHIR_JSON);
    let status = response.status().as_u16();
    assert_outcome(status, &response.json().await.unwrap(), 405);
}

#[tokio::test]
async fn the_failing_patient_gets_http_500_from_that_source_only() {
    let population = population();
    let nhs = showcase(&population, "mental-health source fails");
    let index = population.index_of(nhs).unwrap();
    for kind in SourceKind::ALL {
        let source = serve(kind, &population, Faults::default()).await;
        let local = patient_id(kind, index);
        let encounter = clinical(&population, index, kind)
            .into_iter()
            .find(|r| r["resourceType"] == "Encounter")
            .unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let urls = [
            format!(
                "{}/Patient?identifier={NHS_NUMBER_SYSTEM}|{}",
                source.base_url,
                nhs.as_digits()
            ),
            format!("{}/Encounter?patient={local}", source.base_url),
            format!("{}/Patient/{local}", source.base_url),
            format!("{}/Encounter/{encounter}", source.base_url),
        ];
        for url in urls {
            let (status, body) = get(&url).await;
            if kind == SourceKind::MentalHealth {
                assert_outcome(status, &body, 500);
            } else {
                assert_eq!(status, 200, "{kind:?} {url}");
            }
        }
    }
}

#[tokio::test]
async fn the_same_seed_serves_byte_identical_bodies() {
    let a = serve(SourceKind::Gp, &population(), Faults::default()).await;
    let b = serve(SourceKind::Gp, &population(), Faults::default()).await;
    let body = |source: &DemoSource| {
        let url = format!("{}/Observation?patient=gp-000003", source.base_url);
        async move { reqwest::get(url).await.unwrap().text().await.unwrap() }
    };
    let (text_a, text_b) = (body(&a).await, body(&b).await);
    assert_eq!(
        text_a.replace(&a.addr.to_string(), "HOST"),
        text_b.replace(&b.addr.to_string(), "HOST")
    );
}

#[tokio::test]
async fn requests_are_counted_and_a_stopped_source_refuses_connections() {
    let source = serve(SourceKind::Gp, &population(), Faults::default()).await;
    assert_eq!(source.requests(), 0);
    get(&format!("{}/metadata", source.base_url)).await;
    get(&format!("{}/nope", source.base_url)).await;
    assert_eq!(source.requests(), 2);

    source.stop();
    source.stop();
    let deadline = Instant::now() + Duration::from_secs(5);
    while tokio::net::TcpStream::connect(source.addr).await.is_ok() {
        assert!(
            Instant::now() < deadline,
            "still accepting connections after stop()"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A lower bound only: sleeping guarantees it. (The rendezvous is proven by the portal's
/// integration test `all_sources_are_asked_at_the_same_time`.)
#[tokio::test]
async fn latency_is_added_before_every_answer() {
    let population = population();
    let faults = Faults {
        latency: Duration::from_millis(100),
        ..Faults::default()
    };
    let gp = serve(SourceKind::Gp, &population, faults).await;
    let started = Instant::now();
    get(&format!("{}/metadata", gp.base_url)).await;
    assert!(
        started.elapsed() >= Duration::from_millis(100),
        "latency applied"
    );
}

#[tokio::test]
async fn a_document_binary_is_served_as_its_type_only_when_a_document_points_at_it() {
    let population = population();
    let source = serve(SourceKind::Acute, &population, Faults::default()).await;
    let nhs = showcase(&population, "hospital letters");
    let index = population.index_of(nhs).unwrap();
    let letter = clinical(&population, index, SourceKind::Acute)
        .into_iter()
        .find(|r| r["description"] == "Respiratory clinic letter")
        .unwrap();
    let (status, read) = get(&format!(
        "{}/DocumentReference/{}",
        source.base_url,
        letter["id"].as_str().unwrap()
    ))
    .await;
    assert_eq!((status, &read), (200, &letter));
    let binary = letter["content"][1]["attachment"]["url"].as_str().unwrap();
    let response = reqwest::get(format!("{}/{binary}", source.base_url))
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/pdf");
    let bytes = response.bytes().await.unwrap();
    assert!(bytes.starts_with(b"%PDF-1.4"));
    assert_eq!(
        Some(bytes.len() as u64),
        letter["content"][1]["attachment"]["size"].as_u64()
    );
    let patient = patient_id(SourceKind::Acute, index);
    for missing in [
        format!("Binary/{patient}-binary-999"),
        "Binary/nonsense".to_owned(),
    ] {
        let (status, body) = get(&format!("{}/{missing}", source.base_url)).await;
        assert_outcome(status, &body, 404);
    }
}

#[tokio::test]
async fn chained_searches_and_batches_answer_as_searches_by_patient_id() {
    let population = population();
    let source = serve(SourceKind::Gp, &population, Faults::default()).await;
    let (_, metadata) = get(&format!("{}/metadata", source.base_url)).await;
    let interactions: Vec<&str> = metadata["rest"][0]["interaction"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["code"].as_str().unwrap())
        .collect();
    assert!(interactions.contains(&"batch"), "{interactions:?}");
    let nhs = showcase(&population, "known at all four sources");
    let token = format!("{NHS_NUMBER_SYSTEM}%7C{}", nhs.as_digits());
    let local_id = patient_id(SourceKind::Gp, 0);
    let (_, by_id) = get(&format!(
        "{}/Condition?patient={local_id}&_count=200",
        source.base_url
    ))
    .await;
    assert!(!ids(&by_id).is_empty());
    for param in [
        "patient.identifier",
        "patient:Patient.identifier",
        "subject.identifier",
        "subject:Patient.identifier",
    ] {
        let (status, chained) = get(&format!(
            "{}/Condition?{param}={token}&_count=200",
            source.base_url
        ))
        .await;
        assert_eq!(status, 200, "{param}");
        assert_eq!(ids(&chained), ids(&by_id), "{param}");
        let self_link = chained["link"][0]["url"].as_str().unwrap();
        let encoded: String = url::form_urlencoded::byte_serialize(param.as_bytes()).collect();
        assert!(self_link.contains(&encoded), "{param}: {self_link}");
    }
    let (status, nobody) = get(&format!(
        "{}/Condition?patient.identifier={NHS_NUMBER_SYSTEM}%7C9434765919",
        source.base_url
    ))
    .await;
    assert_eq!((status, ids(&nobody).len()), (200, 0), "an unknown number");
    let (status, body) = get(&format!(
        "{}/Condition?patient.identifier=not-a-number",
        source.base_url
    ))
    .await;
    assert_outcome(status, &body, 400);

    let batch = serde_json::json!({ "resourceType": "Bundle", "type": "batch", "entry": [
        { "request": { "method": "GET", "url": format!("Condition?patient.identifier={token}&_count=200") } },
        { "request": { "method": "GET", "url": "Spaceship?patient=1" } },
        { "request": { "method": "DELETE", "url": "Condition/1" } },
    ] });
    let response = reqwest::Client::new()
        .post(source.base_url.clone())
        .header("content-type", "application/fhir+json")
        .body(batch.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let reply: Value = response.json().await.unwrap();
    assert_eq!(reply["type"], "batch-response");
    assert_eq!(reply["entry"][0]["response"]["status"], "200 OK");
    assert_eq!(ids(&reply["entry"][0]["resource"]), ids(&by_id));
    assert_eq!(reply["entry"][1]["response"]["status"], "404 Not Found");
    assert_eq!(reply["entry"][2]["response"]["status"], "400 Bad Request");
    let response = reqwest::Client::new()
        .post(source.base_url.clone())
        .body("{\"resourceType\":\"Patient\"}")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400, "only a batch Bundle");
}
