//! Integration: each way a source can break, injected into one demo source at a time, gives
//! that source the right status and leaves the other three sources' data complete.

use crate::common;

use app::model::SourceKind;
use common::{patient_known_at, population, source_report, start, start_with};
use serde_json::Value;
use server::demo::{Failure, Faults};

/// (failure, expected status, words the staff-facing message must contain)
const CASES: [(Failure, &str, &str); 6] = [
    (Failure::Http500, "error", "answered HTTP 500"),
    (Failure::TruncatedJson, "error", "unreadable reply"),
    (Failure::HtmlErrorPage, "error", "text/html"),
    (Failure::Hang, "timed-out", "did not answer in time"),
    (Failure::ResetMidBody, "error", "broke off"),
    (Failure::OversizedBody, "error", "larger than"),
];

fn entry_ids(record: &Value, source: &str) -> Vec<String> {
    let mut ids: Vec<String> = record["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["source_id"] == source)
        .map(|e| e["resource_id"].as_str().unwrap().to_owned())
        .collect();
    ids.sort();
    ids
}

#[tokio::test]
async fn each_fault_fails_only_its_own_source() {
    let healthy = common::start_r4().await;
    let nhs = patient_known_at(&healthy.demo.population, &SourceKind::ALL);
    let (_, expected) = healthy.record_json(&nhs.as_digits()).await;

    for (failure, status, words) in CASES {
        let portal = start_with(
            population(),
            move |source| Faults {
                failure: (source.kind == SourceKind::Acute).then_some(failure),
                ..Faults::default()
            },
            |config| {
                common::without_gp_connect(config);
                for source in &mut config.sources {
                    source.timeout_ms = 1_500;
                    source.max_body_bytes = 1024 * 1024;
                }
            },
        )
        .await;
        let (http, record) = portal.record_json(&nhs.as_digits()).await;
        assert_eq!(http, 200, "{failure:?}");
        for source in record["sources"].as_array().unwrap() {
            let id = source["id"].as_str().unwrap();
            if id == "acute" {
                assert_eq!(source["status"], status, "{failure:?}: {source}");
                let message = source["message"].as_str().unwrap_or_default();
                assert!(
                    message.contains(words),
                    "{failure:?}: {message:?} lacks {words:?}"
                );
                assert!(
                    entry_ids(&record, id).is_empty(),
                    "{failure:?}: no acute entries"
                );
            } else {
                assert_eq!(source["status"], "ok", "{failure:?}: {source}");
                assert_eq!(
                    entry_ids(&record, id),
                    entry_ids(&expected, id),
                    "{failure:?}: {id} complete"
                );
            }
        }
    }
}

/// The fault mode is served to every request, so the failing source is still serving after
/// the portal gave up on it: the portal neither crashed nor stopped answering.
#[tokio::test]
async fn the_portal_keeps_answering_after_every_fault() {
    let portal = start_with(
        population(),
        |source| Faults {
            failure: Some(CASES[source.kind as usize % CASES.len()].0),
            ..Faults::default()
        },
        // Every source fails here, the GP too; what a failed GP means for consent (the
        // patient's wishes unknown) has its own tests in consent.rs.
        |config| {
            config.sources.iter_mut().for_each(|s| {
                s.timeout_ms = 1_000;
                s.holds_objections = Some(false);
            })
        },
    )
    .await;
    let nhs = patient_known_at(&portal.demo.population, &SourceKind::ALL);
    for _ in 0..3 {
        let (http, record) = portal.record_json(&nhs.as_digits()).await;
        assert_eq!(http, 200);
        assert!(record["sources"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["status"] != "ok"));
    }
    assert_eq!(portal.get("/healthz").await.status(), 200);
}

/// The acute source answers 503 to the first try of every URL: retries make its data complete.
#[tokio::test]
async fn transient_503s_are_retried_to_a_complete_answer() {
    let healthy = start().await;
    let nhs = patient_known_at(&healthy.demo.population, &SourceKind::ALL);
    let (_, expected) = healthy.record_json(&nhs.as_digits()).await;

    let portal = start_with(
        population(),
        |source| Faults {
            failure: (source.kind == SourceKind::Acute).then_some(Failure::FirstTry503),
            ..Faults::default()
        },
        |_| {},
    )
    .await;
    let (_, record) = portal.record_json(&nhs.as_digits()).await;
    let acute = source_report(&record, "acute");
    assert_eq!(acute["status"], "ok", "{acute}");
    assert_eq!(entry_ids(&record, "acute"), entry_ids(&expected, "acute"));
    let healthy_requests = healthy.demo.get(SourceKind::Acute).unwrap().requests();
    let requests = portal.demo.get(SourceKind::Acute).unwrap().requests();
    assert_eq!(
        requests,
        2 * healthy_requests,
        "each GET failed once and was retried once"
    );
}

/// After `breaker_threshold` failed lookups the source is not asked at all.
#[tokio::test]
async fn a_source_failing_repeatedly_is_paused_by_its_circuit_breaker() {
    let portal = start_with(
        population(),
        |source| Faults {
            failure: (source.kind == SourceKind::Acute).then_some(Failure::Http500),
            ..Faults::default()
        },
        |config| {
            config.cache.max_stale_s = 0;
            config
                .sources
                .iter_mut()
                .for_each(|s| s.breaker_threshold = 3);
        },
    )
    .await;
    let nhs = patient_known_at(&portal.demo.population, &SourceKind::ALL).as_digits();
    let acute = || portal.demo.get(SourceKind::Acute).unwrap().requests();
    let status = |record: &Value| source_report(record, "acute")["status"].clone();
    for _ in 0..3 {
        let (_, record) = portal.record_json_query(&nhs, "?refresh=true").await;
        assert_eq!(status(&record), "error");
    }
    let asked = acute();
    let (_, record) = portal.record_json_query(&nhs, "?refresh=true").await;
    assert_eq!(status(&record), "circuit-open");
    assert_eq!(acute(), asked, "an open breaker asks nothing");
    assert_eq!(source_report(&record, "gp")["status"], "ok");
}
