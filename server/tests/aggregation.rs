//! Integration: the aggregation engine's harder cases over real HTTP against the demo sources:
//! duplicates across sources, paging through thousands of resources, `$everything`, partial
//! answers, security labels, demographic disagreements and the demographic search.

use crate::common;

use app::model::SourceKind;
use common::{entries, population, showcase, source_report, start, start_with};
use serde_json::Value;
use server::config::FetchMode;
use server::demo::Faults;

#[tokio::test]
async fn the_same_item_at_gp_and_hospital_is_shown_once_and_a_stopped_medicine_is_flagged() {
    let portal = start().await;
    let nhs = showcase(&portal.demo.population, "same allergy");
    let (_, record) = portal.record_json(&nhs.as_digits()).await;
    // The GP's repeat issue (newest) leads; the hospital's stopped record is folded into it.
    let apixaban: Vec<&Value> = entries(&record)
        .iter()
        .filter(|e| e["title"].as_str().unwrap().starts_with("Apixaban"))
        .collect();
    let merged: Vec<&&Value> = apixaban
        .iter()
        .filter(|e| !e["also_recorded_at"].as_array().unwrap().is_empty())
        .collect();
    assert_eq!(merged.len(), 1, "{apixaban:?}");
    let row = merged[0];
    assert_eq!(row["source_id"], "gp");
    assert_eq!(row["also_recorded_at"][0]["source_id"], "acute");
    assert!(
        apixaban
            .iter()
            .all(|e| e["resource_id"] != row["also_recorded_at"][0]["resource_id"]),
        "the hospital's record is not shown twice"
    );
    let flag = row["discrepancy"].as_str().unwrap();
    assert!(
        flag.contains("stopped at Northgate Hospitals NHS Trust"),
        "{flag}"
    );
    assert!(
        flag.contains("still active at Riverside Medical Practice"),
        "{flag}"
    );

    let penicillin: Vec<&Value> = entries(&record)
        .iter()
        .filter(|e| e["title"] == "Allergy to penicillin" && e["source_id"] == "acute")
        .collect();
    assert_eq!(penicillin.len(), 1, "the hospital's record (newer) leads");
    assert_eq!(penicillin[0]["also_recorded_at"][0]["source_id"], "gp");
    assert!(
        penicillin[0]["discrepancy"].is_null(),
        "both active: nothing to flag"
    );
}

#[tokio::test]
async fn thousands_of_observations_are_paged_to_the_end() {
    let portal = start().await;
    let nhs = showcase(&portal.demo.population, "3,000 glucose");
    let before = portal.source_requests();
    let (_, record) = portal.record_json(&nhs.as_digits()).await;
    let glucose = entries(&record)
        .iter()
        .filter(|e| e["title"].as_str().unwrap().starts_with("Glucose"))
        .count();
    assert_eq!(glucose, 3_000);
    assert_eq!(source_report(&record, "gp")["status"], "ok");
    assert!(
        portal.source_requests() - before >= 30,
        "3,000 observations at 100 a page take 30 pages"
    );
}

#[tokio::test]
async fn a_page_cap_makes_the_source_partial_and_says_so() {
    let portal = start_with(
        population(),
        |_| Faults::default(),
        |config| config.sources.iter_mut().for_each(|s| s.max_pages = 3),
    )
    .await;
    let nhs = showcase(&portal.demo.population, "3,000 glucose");
    let (_, record) = portal.record_json(&nhs.as_digits()).await;
    let gp = source_report(&record, "gp");
    assert_eq!(gp["status"], "partial");
    assert!(
        gp["message"]
            .as_str()
            .unwrap()
            .contains("More Observation records exist"),
        "{gp}"
    );
}

#[tokio::test]
async fn one_failing_resource_type_costs_only_that_type() {
    let portal = start_with(
        population(),
        |s| Faults {
            failing_type: (s.kind == SourceKind::Gp).then_some("Observation"),
            ..Faults::default()
        },
        |_| {},
    )
    .await;
    let nhs = common::patient_known_at(&portal.demo.population, &SourceKind::ALL);
    let (_, record) = portal.record_json(&nhs.as_digits()).await;
    let gp = source_report(&record, "gp");
    assert_eq!(gp["status"], "partial");
    assert!(
        gp["message"]
            .as_str()
            .unwrap()
            .contains("Observation (answered HTTP 500)"),
        "{gp}"
    );
    let gp_types: Vec<&str> = entries(&record)
        .iter()
        .filter(|e| e["source_id"] == "gp")
        .map(|e| e["resource_type"].as_str().unwrap())
        .collect();
    assert!(!gp_types.contains(&"Observation"));
    assert!(gp_types.contains(&"Encounter") && gp_types.contains(&"MedicationRequest"));
    assert_eq!(source_report(&record, "acute")["status"], "ok");
}

#[tokio::test]
async fn everything_mode_and_search_mode_read_the_same_record() {
    let everything = start_with(
        population(),
        |_| Faults::default(),
        |config| {
            config
                .sources
                .iter_mut()
                .for_each(|s| s.fetch_mode = FetchMode::Everything)
        },
    )
    .await;
    let search = start_with(
        population(),
        |_| Faults::default(),
        |config| {
            config
                .sources
                .iter_mut()
                .for_each(|s| s.fetch_mode = FetchMode::Search)
        },
    )
    .await;
    let nhs = common::patient_known_at(&search.demo.population, &SourceKind::ALL);
    let ids = |record: &Value| {
        let mut ids: Vec<String> = entries(record)
            .iter()
            .map(|e| format!("{}/{}", e["source_id"], e["resource_id"]))
            .collect();
        ids.sort();
        ids
    };
    let before = everything.source_requests();
    let (_, a) = everything.record_json(&nhs.as_digits()).await;
    assert_eq!(
        everything.source_requests() - before,
        8,
        "per source: find the patient, one $everything page"
    );
    let (_, b) = search.record_json(&nhs.as_digits()).await;
    assert!(!ids(&a).is_empty());
    assert_eq!(ids(&a), ids(&b));
}

#[tokio::test]
async fn security_labels_travel_with_their_entries() {
    let portal = start().await;
    let nhs = showcase(&portal.demo.population, "items labelled");
    let (_, record) = portal.record_json(&nhs.as_digits()).await;
    let labels: Vec<&str> = entries(&record)
        .iter()
        .flat_map(|e| e["security"].as_array().unwrap())
        .map(|c| c["code"].as_str().unwrap())
        .collect();
    // The very restricted item is withheld from the shared view (see consent.rs); the
    // restricted one reaches a clinician with its label.
    assert_eq!(labels, ["R"]);
}

#[tokio::test]
async fn disagreements_about_the_patient_are_warnings() {
    let portal = start().await;
    let nhs = showcase(&portal.demo.population, "hospital records a different");
    let (_, record) = portal.record_json(&nhs.as_digits()).await;
    let warnings = record["warnings"].as_array().unwrap();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert_eq!(warnings[0]["kind"], "demographics-differ");
    assert!(warnings[0]["message"]
        .as_str()
        .unwrap()
        .starts_with("Sources give different dates of birth"));

    let nhs = showcase(&portal.demo.population, "two patient records");
    let (_, record) = portal.record_json(&nhs.as_digits()).await;
    assert_eq!(record["warnings"][0]["kind"], "duplicate-records");
    assert!(
        entries(&record).iter().any(|e| e["title"]
            .as_str()
            .unwrap()
            .contains("temporary registration")),
        "the second record's entries are read too"
    );
}

#[tokio::test]
async fn a_demographic_search_finds_the_patient_at_each_source_holding_them() {
    let portal = start().await;
    let population = &portal.demo.population;
    let nhs = common::patient_known_at(population, &SourceKind::ALL);
    let person = population.person(population.index_of(nhs).unwrap());
    let (_, record) = portal.record_json(&nhs.as_digits()).await;
    let born = record["demographics"]["birth_date"]["value"]
        .as_str()
        .unwrap()
        .to_owned();
    let query = format!(
        "/api/v1/patients?family={}&birthdate={born}",
        urlencode(&person.family.to_uppercase())
    );
    let response = portal.get(&query).await;
    assert_eq!(response.status(), 200);
    let results: Value = response.json().await.unwrap();
    let found = results["matches"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["nhs_number"] == nhs.as_digits())
        .expect("the patient is a candidate");
    assert_eq!(found["found_at"].as_array().unwrap().len(), 4);
    assert!(found["warnings"].as_array().unwrap().is_empty());

    let conflicted = showcase(population, "hospital records a different");
    let person = population.person(population.index_of(conflicted).unwrap());
    let (_, record) = portal.record_json(&conflicted.as_digits()).await;
    let gp_born = record["demographics"]["birth_date"]["value"]
        .as_str()
        .unwrap()
        .to_owned();
    let query = format!(
        "/api/v1/patients?family={}&birthdate={gp_born}",
        urlencode(person.family)
    );
    let results: Value = portal.get(&query).await.json().await.unwrap();
    let found = results["matches"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["nhs_number"] == conflicted.as_digits())
        .unwrap();
    assert!(
        !found["found_at"]
            .as_array()
            .unwrap()
            .contains(&Value::from("acute")),
        "the hospital's record has another birth date, so it does not match"
    );
}

#[tokio::test]
async fn an_incomplete_search_is_refused_before_any_source_is_asked() {
    let portal = start().await;
    let before = portal.source_requests();
    for query in [
        "family=Smith",
        "birthdate=1945-07-14",
        "family=Smith&birthdate=14/07/1945",
        "family=Smith&birthdate=1945-07-14&postcode=12345",
    ] {
        let response = portal.get(&format!("/api/v1/patients?{query}")).await;
        assert_eq!(response.status(), 400, "{query}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"], "invalid-search", "{query}");
    }
    assert_eq!(portal.source_requests(), before);
}

fn urlencode(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

#[tokio::test]
async fn a_source_requiring_a_token_is_read_with_one_and_refuses_without() {
    use server::sources::auth::{AuthConfig, Secret};
    let faults = |s: &server::config::SourceConfig| Faults {
        required_bearer: (s.kind == SourceKind::Acute).then(|| "demo-token".to_owned()),
        ..Faults::default()
    };
    let nhs = common::patient_known_at(&population(), &SourceKind::ALL);
    let with_token = start_with(population(), faults, |config| {
        for s in config
            .sources
            .iter_mut()
            .filter(|s| s.kind == SourceKind::Acute)
        {
            s.auth = AuthConfig::Bearer {
                token: Secret::new("demo-token"),
            };
        }
    })
    .await;
    let (_, record) = with_token.record_json(&nhs.as_digits()).await;
    assert_eq!(source_report(&record, "acute")["status"], "ok");

    let without = start_with(population(), faults, |_| {}).await;
    let (_, record) = without.record_json(&nhs.as_digits()).await;
    let acute = source_report(&record, "acute");
    assert_eq!(acute["status"], "error");
    assert!(
        acute["message"]
            .as_str()
            .unwrap()
            .contains("answered HTTP 401"),
        "{acute}"
    );
    assert_eq!(source_report(&record, "gp")["status"], "ok");
}
