//! The demographic search is not an enumeration tool: FHIR operators, wildcards and one-letter
//! family names are refused before any source is asked; a family name is matched whole, not as
//! the prefix sources match; at most a capped number of people are listed; a patient who has
//! objected to sharing (or whose source cannot say) is counted, not shown; and every person
//! shown is written to their own access report. All over real HTTP against the demo sources.

use crate::common;

use app::model::SourceKind;
use app::patient_search::SearchError;
use common::{patient_known_at, showcase, start, start_with, Portal};
use serde_json::Value;
use server::audit::{EventKind, Outcome};
use server::demo::{Faults, Population};
use std::collections::HashMap;
use std::sync::Arc;

/// `YYYY-MM-DD` of a synthetic person's birth (days since 1970-01-01).
fn born(population: &Population, index: usize) -> String {
    let day = i32::try_from(population.person(index).birth_day).unwrap();
    time::Date::from_julian_day(2_440_588 + day)
        .unwrap()
        .to_string()
}

/// `GET /api/v1/patients?family=&birthdate=[&given=]` as the A&E clinician.
async fn search(portal: &Portal, family: &str, birthdate: &str, given: &str) -> (u16, Value) {
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    query
        .append_pair("family", family)
        .append_pair("birthdate", birthdate);
    if !given.is_empty() {
        query.append_pair("given", given);
    }
    let response = portal
        .get(&format!("/api/v1/patients?{}", query.finish()))
        .await;
    let status = response.status().as_u16();
    (status, response.json().await.expect("a JSON body"))
}

/// The NHS numbers a search listed.
fn listed(results: &Value) -> Vec<String> {
    results["matches"]
        .as_array()
        .expect("matches")
        .iter()
        .map(|m| m["nhs_number"].as_str().unwrap_or("none").to_owned())
        .collect()
}

fn not_shown(results: &Value) -> (u64, u64) {
    (
        results["not_shown"]["objected"].as_u64().unwrap(),
        results["not_shown"]["wishes_unknown"].as_u64().unwrap(),
    )
}

#[tokio::test]
async fn enumeration_attempts_are_refused_before_any_source_is_asked() {
    let portal = start().await;
    let before = portal.source_requests();
    let bad_name = SearchError::BadName.to_string();
    let short = SearchError::ShortFamilyName.to_string();
    // (family, given, message)
    let table = [
        ("a,b,c", "", &bad_name),
        ("Smith,Jones", "", &bad_name),
        ("Smith|x", "", &bad_name),
        ("*", "", &bad_name),
        ("Sm*", "", &bad_name),
        ("Sm%", "", &bad_name),
        ("Sm?th", "", &bad_name),
        ("Smith\\", "", &bad_name),
        ("$Smith", "", &bad_name),
        ("Smi\u{0}th", "", &bad_name),
        ("Smith", "A,B", &bad_name),
        ("Smith", "J*", &bad_name),
        ("a", "", &short),
        ("S.", "", &short),
    ];
    for (family, given, message) in table {
        let (status, body) = search(&portal, family, "1970-01-01", given).await;
        assert_eq!(status, 400, "{family:?} {given:?}: {body}");
        assert_eq!(body["error"], "invalid-search", "{family:?}");
        assert_eq!(body["message"], message.as_str(), "{family:?}");
    }
    assert_eq!(portal.source_requests(), before, "no source was asked");
    assert!(bad_name.contains("commas") && bad_name.contains("wildcards"));

    // Each refusal is audited (an enumeration attempt shows up in the trail).
    let events = portal.audit_events().await;
    let refused = events
        .iter()
        .filter(|e| e.event.kind == EventKind::Denied && e.event.nhs_number.is_none())
        .count();
    assert_eq!(refused, table.len());
}

#[tokio::test]
async fn a_family_name_is_matched_whole_not_as_a_prefix() {
    let portal = start().await;
    let population = &portal.demo.population;
    let nhs = patient_known_at(population, &SourceKind::ALL);
    let index = population.index_of(nhs).unwrap();
    let family = population.person(index).family;
    let birthdate = born(population, index);

    let (status, whole) = search(&portal, family, &birthdate, "").await;
    assert_eq!(status, 200, "{whole}");
    assert!(listed(&whole).contains(&nhs.as_digits()), "{whole}");

    // Every source matches "starts with": the portal keeps only the whole name.
    let letters: Vec<char> = family.chars().collect();
    let first = |n: usize| letters[..n].iter().collect::<String>();
    for prefix in [first(3), first(letters.len() - 1)] {
        let (status, part) = search(&portal, &prefix, &birthdate, "").await;
        assert_eq!(status, 200, "{prefix}: {part}");
        assert!(listed(&part).is_empty(), "{prefix} lists {family}: {part}");
        assert_eq!(not_shown(&part), (0, 0));
    }
}

#[tokio::test]
async fn a_patient_who_objected_is_counted_not_listed() {
    let portal = start().await;
    let population = &portal.demo.population;
    let dissenting = showcase(population, "has objected");
    let index = population.index_of(dissenting).unwrap();
    let family = population.person(index).family;

    let (status, results) = search(&portal, family, &born(population, index), "").await;
    assert_eq!(status, 200, "{results}");
    assert!(
        !listed(&results).contains(&dissenting.as_digits()),
        "the objecting patient is listed: {results}"
    );
    assert_eq!(not_shown(&results), (1, 0), "{results}");

    // Nobody else is hidden: a patient without an objection is listed, nothing counted.
    let nhs = patient_known_at(population, &[SourceKind::Gp, SourceKind::Acute]);
    let other = population.index_of(nhs).unwrap();
    let (_, shown) = search(
        &portal,
        population.person(other).family,
        &born(population, other),
        "",
    )
    .await;
    assert!(listed(&shown).contains(&nhs.as_digits()));
    assert_eq!(not_shown(&shown), (0, 0));

    // The OpenAPI document describes the new fields.
    let doc: Value = portal.get("/api/openapi.json").await.json().await.unwrap();
    let schema_keys = |name: &str| common::schema_keys(&doc, name);
    let keys = common::object_keys;
    assert_eq!(schema_keys("SearchResults"), keys(&results));
    assert_eq!(schema_keys("NotShown"), keys(&results["not_shown"]));

    // Withheld people are not disclosed, so no event names them; the search counts them.
    let events = portal.audit_events().await;
    assert!(events
        .iter()
        .all(|e| e.event.nhs_number.as_deref() != Some(dissenting.as_digits().as_str())));
    let summary = events
        .iter()
        .find(|e| e.event.kind == EventKind::PatientSearch && e.event.nhs_number.is_none())
        .expect("the search is audited");
    assert_eq!(
        summary.event.detail.as_deref(),
        Some("0 candidate(s) shown; not shown: 1 objected to sharing, 0 wishes unknown, 0 confidential beyond the role")
    );
}

#[tokio::test]
async fn candidates_whose_source_cannot_say_if_they_objected_are_not_listed() {
    let faults = |s: &server::config::SourceConfig| Faults {
        failing_type: (s.kind == SourceKind::Gp).then_some("Consent"),
        ..Faults::default()
    };
    let portal = start_with(common::population(), faults, |_| {}).await;
    let population = &portal.demo.population;

    // Held at the GP, whose Consent search answers 500: may have objected, so not shown.
    let at_gp = patient_known_at(population, &[SourceKind::Gp, SourceKind::Acute]);
    let index = population.index_of(at_gp).unwrap();
    let family = population.person(index).family;
    let (status, results) = search(&portal, family, &born(population, index), "").await;
    assert_eq!(status, 200, "{results}");
    assert!(!listed(&results).contains(&at_gp.as_digits()), "{results}");
    assert_eq!(not_shown(&results), (0, 1), "{results}");

    // Not held at the GP: the other sources could say, so they are listed.
    let elsewhere = showcase(population, "acute hospital and mental health only");
    let index = population.index_of(elsewhere).unwrap();
    let family = population.person(index).family;
    let (_, results) = search(&portal, family, &born(population, index), "").await;
    assert!(
        listed(&results).contains(&elsewhere.as_digits()),
        "{results}"
    );
    assert_eq!(not_shown(&results), (0, 0));
}

#[tokio::test]
async fn more_people_than_the_cap_is_an_error_asking_for_more_details() {
    // Enough people that some share a family name and a date of birth.
    let population = Arc::new(Population::new(5_000, Population::DEFAULT_SEED));
    let mut by_name_and_birth: HashMap<(&str, i64), Vec<usize>> = HashMap::new();
    for index in 20..population.len() {
        let p = population.person(index);
        by_name_and_birth
            .entry((p.family, p.birth_day))
            .or_default()
            .push(index);
    }
    let (first, _) = by_name_and_birth
        .values()
        .filter(|found| found.len() == 2)
        .map(|found| (found[0], found[1]))
        .find(|(a, b)| {
            let (a, b) = (population.person(*a).given, population.person(*b).given);
            !a.starts_with(b) && !b.starts_with(a)
        })
        .expect("two people with one family name, one birth date and unlike given names");
    let portal = start_with(
        population.clone(),
        |_| Faults::default(),
        |config| config.portal.max_search_candidates = 1,
    )
    .await;
    let person = population.person(first);
    let birthdate = born(&population, first);

    let (status, body) = search(&portal, person.family, &birthdate, "").await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"], "invalid-search");
    assert_eq!(
        body["message"],
        SearchError::TooManyMatches(1).to_string().as_str()
    );
    assert!(body["message"]
        .as_str()
        .unwrap()
        .contains("add the given name, gender or postcode"));

    // With the given name, one person: listed.
    let (status, one) = search(&portal, person.family, &birthdate, person.given).await;
    assert_eq!(status, 200, "{one}");
    assert_eq!(listed(&one), [person.nhs.as_digits()]);

    // The cap counts people, not records: one person held at four sources is one.
    let everywhere = patient_known_at(&population, &SourceKind::ALL);
    let index = population.index_of(everywhere).unwrap();
    let (status, results) = search(
        &portal,
        population.person(index).family,
        &born(&population, index),
        population.person(index).given,
    )
    .await;
    assert_eq!(status, 200, "{results}");
    assert_eq!(listed(&results), [everywhere.as_digits()]);
    assert_eq!(
        results["matches"][0]["found_at"].as_array().unwrap().len(),
        4
    );
}

#[tokio::test]
async fn each_person_shown_is_in_their_access_report() {
    let portal = start().await;
    let population = &portal.demo.population;
    let nhs = patient_known_at(population, &[SourceKind::Gp, SourceKind::Acute]);
    let index = population.index_of(nhs).unwrap();
    let (status, results) = search(
        &portal,
        population.person(index).family,
        &born(population, index),
        "",
    )
    .await;
    assert_eq!(status, 200);
    let shown = listed(&results);
    assert!(shown.contains(&nhs.as_digits()));

    let events = portal.audit_events().await;
    let searches: Vec<_> = events
        .iter()
        .filter(|e| e.event.kind == EventKind::PatientSearch)
        .collect();
    // One event for the search, one per person shown, each naming them.
    assert_eq!(searches.len(), 1 + shown.len());
    for digits in &shown {
        let disclosed: Vec<_> = searches
            .iter()
            .filter(|e| e.event.nhs_number.as_deref() == Some(digits.as_str()))
            .collect();
        assert_eq!(disclosed.len(), 1, "{digits}");
        let event = &disclosed[0].event;
        assert_eq!(event.detail.as_deref(), Some("shown as a search candidate"));
        assert_eq!(event.outcome, Outcome::Success);
        assert_eq!(event.user_name, "Dr Asha Patel");
        assert_eq!(
            event.request_id, searches[0].event.request_id,
            "one request"
        );
    }
    let ours = searches
        .iter()
        .find(|e| e.event.nhs_number.as_deref() == Some(nhs.as_digits().as_str()))
        .unwrap();
    assert_eq!(ours.event.sources, ["gp", "acute"]);

    // The privacy officer's access report for the patient lists the search.
    let officer = portal.sign_in("privacy.officer").await;
    let response = officer
        .post("/sfn/audit-patient", &[("nhs_number", &nhs.as_digits())])
        .await;
    assert_eq!(response.status(), 200);
    let report: Value = response.json().await.unwrap();
    let rows = report["events"].as_array().unwrap();
    assert!(
        rows.iter()
            .any(|r| r["kind"] == "patient-search" && r["detail"] == "shown as a search candidate"),
        "{report}"
    );
    assert_eq!(report["viewers"][0]["user_name"], "Dr Asha Patel");
}
