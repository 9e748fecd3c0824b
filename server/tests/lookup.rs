//! Integration: looking patients up through the portal against the four demo FHIR sources,
//! over real HTTP, through both the JSON API and the server-rendered page.

use crate::common;

use app::model::SourceKind;
use common::{patient_known_at, population, start, start_r4, start_with, without_gp_connect};
use serde_json::Value;
use server::demo::Faults;
use std::sync::Arc;

fn statuses(record: &Value) -> Vec<(String, String)> {
    record["sources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["id"].as_str().unwrap().to_owned(),
                s["status"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn entry_sources(record: &Value) -> std::collections::BTreeSet<String> {
    record["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["source_id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn a_patient_known_everywhere_gets_entries_from_all_four_sources() {
    let portal = start_r4().await;
    let nhs = patient_known_at(&portal.demo.population, &SourceKind::ALL);

    let response = portal
        .get(&format!("/api/v1/patients/{}/record", nhs.as_digits()))
        .await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["cache-control"], "no-store");
    let record: Value = response.json().await.unwrap();

    assert_eq!(record["nhs_number"], nhs.as_digits());
    for (id, status) in statuses(&record) {
        assert_eq!(status, "ok", "source {id}");
    }
    assert_eq!(
        entry_sources(&record),
        ["acute", "gp", "mental-health", "social-care"]
            .map(String::from)
            .into()
    );
    for source in record["sources"].as_array().unwrap() {
        let id = source["id"].as_str().unwrap();
        let listed = record["entries"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["source_id"] == id)
            .count();
        assert_eq!(
            source["entry_count"].as_u64().unwrap() as usize,
            listed,
            "{id} entry_count"
        );
        assert!(listed > 0, "{id} has entries");
    }
    let keys: Vec<Option<i64>> = record["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["date"]["sort_key"].as_i64())
        .collect();
    let dated: Vec<i64> = keys.iter().map_while(|k| *k).collect();
    assert!(dated.windows(2).all(|w| w[0] >= w[1]), "newest first");
    assert!(
        keys[dated.len()..].iter().all(Option::is_none),
        "undated entries come last"
    );
    assert!(record["demographics"]["family"].is_string());
}

#[tokio::test]
async fn the_record_page_is_rendered_on_the_server_with_every_source() {
    let portal = start().await;
    let nhs = patient_known_at(&portal.demo.population, &SourceKind::ALL);

    let response = portal
        .get(&format!(
            "/record?nhs={}",
            nhs.formatted().replace(' ', "+")
        ))
        .await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["cache-control"], "no-store");
    let html = response.text().await.unwrap();
    assert!(
        html.contains("data-testid=\"patient-banner\""),
        "banner rendered"
    );
    assert!(html.contains(&nhs.formatted()), "NHS number shown 3-3-4");
    for id in ["gp", "acute", "mental-health", "social-care"] {
        assert!(
            html.contains(&format!(
                "data-testid=\"timeline-row\" data-source-id=\"{id}\""
            )),
            "a {id} row"
        );
    }
    assert!(html.contains("/pkg/app.js"), "hydration script is linked");
}

#[tokio::test]
async fn an_invalid_nhs_number_is_refused_before_any_source_is_asked() {
    let portal = start().await;
    for bad in ["9876544321", "12345", "abcdefghij", "99900000000"] {
        let before = portal.source_requests();
        let (status, body) = portal.record_json(bad).await;
        assert_eq!(status, 400, "{bad}");
        assert_eq!(body["error"], "invalid-nhs-number", "{bad}");
        assert!(!body["message"].as_str().unwrap().is_empty());

        let html = portal
            .get(&format!("/record?nhs={bad}"))
            .await
            .text()
            .await
            .unwrap();
        assert!(
            html.contains("data-testid=\"lookup-error\""),
            "{bad}: page shows the error"
        );
        assert!(html.contains("No source was asked."), "{bad}");
        assert_eq!(
            portal.source_requests(),
            before,
            "{bad}: no source was asked"
        );
    }
}

#[tokio::test]
async fn an_unknown_patient_gets_no_record_found_with_each_sources_answer() {
    let portal = start_r4().await;
    let unknown = app::nhs_number::NhsNumber::parse("9434765919").unwrap();
    assert!(portal.demo.population.known_at(unknown).is_empty());

    let (status, record) = portal.record_json(&unknown.as_digits()).await;
    assert_eq!(status, 200);
    assert!(
        statuses(&record).iter().all(|(_, s)| s == "not-found"),
        "{:?}",
        statuses(&record)
    );
    assert_eq!(record["entries"].as_array().unwrap().len(), 0);

    let html = portal
        .get(&format!("/record?nhs={}", unknown.as_digits()))
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("No record found"));
    assert_eq!(html.matches("data-status=\"not-found\"").count(), 4);
}

#[tokio::test]
async fn a_patient_known_at_some_sources_is_not_found_at_the_others() {
    let population = population();
    let nhs = patient_known_at(&population, &[SourceKind::Gp, SourceKind::SocialCare]);
    let portal = start_with(population, |_| Faults::default(), without_gp_connect).await;
    let (_, record) = portal.record_json(&nhs.as_digits()).await;
    let statuses = statuses(&record);
    let expected = [
        ("gp", "ok"),
        ("acute", "not-found"),
        ("mental-health", "not-found"),
        ("social-care", "ok"),
    ];
    assert_eq!(
        statuses,
        expected.map(|(a, b)| (a.to_owned(), b.to_owned()))
    );
    assert_eq!(
        entry_sources(&record),
        ["gp", "social-care"].map(String::from).into()
    );
}

#[tokio::test]
async fn a_source_that_is_down_fails_alone() {
    let portal = start().await;
    let nhs = patient_known_at(&portal.demo.population, &SourceKind::ALL);
    portal
        .demo
        .get(SourceKind::Acute)
        .unwrap()
        .stop_and_wait()
        .await;

    let (status, record) = portal.record_json(&nhs.as_digits()).await;
    assert_eq!(status, 200);
    let acute = common::source_report(&record, "acute").clone();
    assert_eq!(acute["status"], "error");
    assert!(
        acute["message"]
            .as_str()
            .unwrap()
            .contains("could not be reached"),
        "{acute}"
    );
    assert_eq!(
        entry_sources(&record),
        ["gp", "mental-health", "social-care"]
            .map(String::from)
            .into()
    );
}

#[tokio::test]
async fn a_source_answering_http_500_fails_alone() {
    let population = population();
    let (nhs, failing) = population
        .nhs_numbers()
        .find_map(|n| population.failing_source(n).map(|k| (n, k)))
        .expect("the demo population has a patient whose source fails");
    let portal = start_with(population, |_| Faults::default(), without_gp_connect).await;
    let (_, record) = portal.record_json(&nhs.as_digits()).await;
    for source in record["sources"].as_array().unwrap() {
        let expected = if source["kind"] == failing.as_str() {
            "error"
        } else {
            "ok"
        };
        assert_eq!(source["status"], expected, "{source}");
    }
    assert!(!entry_sources(&record).contains(failing.as_str()));
    assert!(!record["entries"].as_array().unwrap().is_empty());
}

/// Each demo source holds its Patient search until all four have been asked (or 5 s pass).
/// Asked one after another, the first would wait out the 2 s deadline and fail.
#[tokio::test]
async fn all_sources_are_asked_at_the_same_time() {
    let barrier = Arc::new(tokio::sync::Barrier::new(4));
    let portal = start_with(
        population(),
        |_| Faults {
            rendezvous: Some(barrier.clone()),
            ..Faults::default()
        },
        |config| {
            without_gp_connect(config);
            config.sources.iter_mut().for_each(|s| s.timeout_ms = 2_000)
        },
    )
    .await;
    let nhs = patient_known_at(&portal.demo.population, &SourceKind::ALL);
    let (_, record) = portal.record_json(&nhs.as_digits()).await;
    assert!(
        statuses(&record).iter().all(|(_, s)| s == "ok"),
        "{:?}",
        statuses(&record)
    );
}

#[tokio::test]
async fn health_answers_when_up() {
    let portal = start().await;
    let response = portal.get("/healthz").await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.json::<Value>().await.unwrap()["status"], "ok");
}

/// Every schema's properties in /api/openapi.json are exactly the keys real responses carry.
#[tokio::test]
async fn the_openapi_document_describes_real_responses() {
    let portal = start().await;
    let doc: Value = portal.get("/api/openapi.json").await.json().await.unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
    assert!(doc["paths"]["/api/v1/patients/{nhs_number}/record"]["get"].is_object());
    let schema_keys = |name: &str| common::schema_keys(&doc, name);
    use common::object_keys;

    let nhs = patient_known_at(&portal.demo.population, &SourceKind::ALL);
    let (_, record) = portal.record_json(&nhs.as_digits()).await;
    assert_eq!(schema_keys("PatientRecord"), object_keys(&record));
    assert_eq!(
        schema_keys("Demographics"),
        object_keys(&record["demographics"])
    );
    assert_eq!(
        schema_keys("SourceReport"),
        object_keys(&record["sources"][0])
    );
    let dated = record["entries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["date"].is_object())
        .unwrap();
    // A record's entries carry everything but the full detail (sent one entry at a time).
    let listed: Vec<String> = schema_keys("TimelineEntry")
        .into_iter()
        .filter(|k| k != "full_detail")
        .collect();
    assert_eq!(listed, object_keys(dated));
    assert_eq!(schema_keys("ClinicalDate"), object_keys(&dated["date"]));
    assert!(record["withheld"].is_array() && record["basis"].is_object());
    let restricted = common::showcase(&portal.demo.population, "items labelled");
    let (_, restricted) = portal.record_json(&restricted.as_digits()).await;
    assert_eq!(
        schema_keys("WithheldItems"),
        object_keys(&restricted["withheld"][0])
    );
    assert_eq!(schema_keys("Basis"), object_keys(&restricted["basis"]));
    let child = common::showcase(&portal.demo.population, "child on a child protection plan");
    let (_, child) = portal.record_json(&child.as_digits()).await;
    assert_eq!(
        schema_keys("ChildProtectionFlag"),
        object_keys(&child["child_protection"][0])
    );

    // Errors carry `error` and `message`, and what the caller needs to act on some of them.
    let (_, invalid) = portal.record_json("123").await;
    assert_eq!(object_keys(&invalid), ["error", "message"]);
    let no_basis = portal.client_with_basis("ae.clinician", None).await;
    let needs_basis = common::get_json(
        &no_basis,
        format!("{}/api/v1/patients/{}/record", portal.url, nhs.as_digits()),
    )
    .await;
    assert_eq!(object_keys(&needs_basis), ["bases", "error", "message"]);
    assert_eq!(
        schema_keys("BasisOption"),
        object_keys(&needs_basis["bases"][0])
    );
    let dissenting = common::showcase(&portal.demo.population, "has objected");
    let (_, dissent) = portal.record_json(&dissenting.as_digits()).await;
    assert_eq!(object_keys(&dissent), ["dissent", "error", "message"]);
    assert_eq!(
        schema_keys("DissentNotice"),
        object_keys(&dissent["dissent"])
    );
    let unknown = common::showcase(&portal.demo.population, "the GP cannot say");
    let (_, unknown) = portal.record_json(&unknown.as_digits()).await;
    assert_eq!(
        object_keys(&unknown),
        ["consent_unknown", "error", "message"]
    );
    assert_eq!(
        schema_keys("ConsentUnknownNotice"),
        object_keys(&unknown["consent_unknown"])
    );
    assert_eq!(
        schema_keys("UnreadConsent"),
        object_keys(&unknown["consent_unknown"]["unread"][0])
    );
    assert_eq!(
        schema_keys("Error"),
        ["bases", "consent_unknown", "dissent", "error", "message"]
    );
}

/// With three resources a page, every search spans several pages; following each `next` link
/// must give exactly the entries one large page gives.
#[tokio::test]
async fn paging_is_followed_to_the_end() {
    let whole = start().await;
    let paged = start_with(
        population(),
        |_| Faults::default(),
        |config| config.sources.iter_mut().for_each(|s| s.page_size = 3),
    )
    .await;
    let nhs = patient_known_at(&whole.demo.population, &SourceKind::ALL);
    let ids = |record: &Value| -> Vec<String> {
        let mut ids: Vec<String> = record["entries"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| format!("{}/{}", e["source_id"], e["resource_id"]))
            .collect();
        ids.sort();
        ids
    };
    let before = paged.source_requests();
    let (_, one_page) = whole.record_json(&nhs.as_digits()).await;
    let (_, many_pages) = paged.record_json(&nhs.as_digits()).await;
    assert_eq!(ids(&one_page), ids(&many_pages));
    let entries = many_pages["entries"].as_array().unwrap().len() as u64;
    assert!(
        paged.source_requests() - before > entries / 3,
        "several pages were fetched"
    );
}
