//! Each rule that refuses, tried over real HTTP: the refusal is audited as its own named kind
//! with the refusal's words, a privacy officer finds it by that kind in the workspace (with
//! the time on the UK clock) and in the CSV export, and the access report counts it by reason.

use crate::common;

use app::audit_terms::RefusalKind;
use app::model::SourceKind;
use common::{patient_known_at, sfn, showcase, Portal};
use serde_json::Value;
use server::audit::{EventKind, Outcome};

const REASON: &str = "Unconscious after a fall, no one with them to ask";

/// The id of the first labelled (restricted) `resource_type` the demo source holds for the
/// patient.
async fn labelled_id(portal: &Portal, kind: SourceKind, nhs: &str, resource_type: &str) -> String {
    let source = portal.demo.sources.iter().find(|s| s.kind == kind).unwrap();
    let http = reqwest::Client::new();
    let patients = common::get_json(
        &http,
        format!(
            "{}/Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|{nhs}",
            source.base_url
        ),
    )
    .await;
    let patient = patients["entry"][0]["resource"]["id"].as_str().unwrap();
    let found = common::get_json(
        &http,
        format!("{}/{resource_type}?patient={patient}", source.base_url),
    )
    .await;
    found["entry"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| &e["resource"])
        .find(|r| r["meta"]["security"].is_array())
        .and_then(|r| r["id"].as_str())
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn each_refusal_is_audited_as_its_own_kind_and_found_by_it() {
    let portal = common::start().await;
    let population = &portal.demo.population;
    let ordinary = patient_known_at(population, &[SourceKind::Gp]).as_digits();
    let dissenting = showcase(population, "has objected").as_digits();
    let labelled = showcase(population, "items labelled").as_digits();
    let restricted = labelled_id(&portal, SourceKind::Gp, &labelled, "Condition").await;
    let record = |nhs: &str| format!("/api/v1/patients/{nhs}/record");
    let given = Some(("permission-given", ""));
    // (user, basis, path, status, the refusal written, words its detail holds)
    let table = [
        (
            "privacy.officer",
            given,
            record(&ordinary),
            403,
            RefusalKind::Role,
            "needs the find-patient permission",
        ),
        (
            "ae.clinician",
            None,
            record(&ordinary),
            403,
            RefusalKind::NoBasis,
            "Record why",
        ),
        (
            "call.handler",
            Some(("emergency", REASON)),
            record(&ordinary),
            403,
            RefusalKind::BasisRefused,
            "emergency",
        ),
        (
            "ae.clinician",
            Some(("emergency", "fall")),
            record(&ordinary),
            403,
            RefusalKind::BasisRefused,
            "reason",
        ),
        (
            "ae.clinician",
            given,
            record(&dissenting),
            403,
            RefusalKind::Dissent,
            "not to be shared",
        ),
        (
            "call.handler",
            given,
            format!("/api/v1/patients/{labelled}/entries/gp/Condition/{restricted}"),
            404,
            RefusalKind::Withheld,
            "Withheld",
        ),
        (
            "ae.clinician",
            given,
            record("9434765918"),
            400,
            RefusalKind::InvalidNhsNumber,
            "typed \"9434765918\"",
        ),
    ];
    for (login, basis, path, status, kind, words) in &table {
        let before = portal.audit_events().await.len();
        let client = portal.client_with_basis(login, *basis).await;
        let response = client
            .get(format!("{}{path}", portal.url))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), *status, "{login} {path}");
        let written = portal.audit_events().await;
        let refused: Vec<_> = written[before..]
            .iter()
            .filter(|e| e.event.outcome == Outcome::Refused)
            .collect();
        assert_eq!(refused.len(), 1, "{login} {path}: {refused:?}");
        let event = &refused[0].event;
        assert_eq!(event.kind, EventKind::Denied, "{login} {path}");
        assert_eq!(event.refusal, Some(*kind), "{login} {path}");
        let detail = event.detail.as_deref().unwrap_or_default();
        assert!(detail.contains(words), "{kind:?}: {detail}");
    }

    // The officer finds each kind by its name, and only that kind.
    let officer = portal.token_for("privacy.officer").await;
    for (_, _, _, _, kind, _) in &table {
        let (status, found) = sfn(
            &portal,
            &officer,
            "/sfn/audit-search",
            &[("query[refusal]", kind.as_str())],
        )
        .await;
        assert_eq!(status, 200, "{found}");
        let rows = found["rows"].as_array().unwrap();
        let expected = table.iter().filter(|row| row.4 == *kind).count();
        assert_eq!(rows.len(), expected, "{kind:?}: {found}");
        for row in rows {
            assert_eq!(row["refusal"], kind.as_str());
            assert_eq!(row["outcome"], "refused");
            let local = row["at_local"].as_str().unwrap();
            assert!(
                local.ends_with(" GMT") || local.ends_with(" BST"),
                "{local}"
            );
        }
    }
    let (status, bad) = sfn(
        &portal,
        &officer,
        "/sfn/audit-search",
        &[("query[refusal]", "bad-luck")],
    )
    .await;
    assert_eq!(status, 400, "{bad}");

    // The search offers every kind by its label, and the configured bases.
    let (status, choices) = sfn(&portal, &officer, "/sfn/audit-choices", &[]).await;
    assert_eq!(status, 200, "{choices}");
    assert_eq!(
        choices["refusals"].as_array().unwrap().len(),
        RefusalKind::ALL.len()
    );
    assert!(choices["bases"]
        .as_array()
        .unwrap()
        .iter()
        .any(|b| b["value"] == "emergency"));
    let clinician = portal.token_for("ae.clinician").await;
    let (status, _) = sfn(&portal, &clinician, "/sfn/audit-choices", &[]).await;
    assert_eq!(status, 403);

    // The export carries the kind in its own column.
    let csv = portal
        .client_for("privacy.officer")
        .await
        .get(format!(
            "{}/api/v1/audit/events?outcome=refused&format=csv",
            portal.url
        ))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(csv.starts_with("seq,time,kind,"), "{csv}");
    for (_, _, _, _, kind, _) in &table {
        assert!(
            csv.contains(&format!(",refused,{},", kind.as_str())),
            "{kind:?}"
        );
    }

    // The 30-day access report counts refusals by reason, in words.
    let (status, report) = sfn(
        &portal,
        &officer,
        "/sfn/audit-report",
        &[("query[from]", ""), ("query[to]", "")],
    )
    .await;
    assert_eq!(status, 200, "{report}");
    let count = |code: &str| {
        report["refusals"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["refusal"] == code)
            .map(|r| (r["count"].as_u64().unwrap(), r["label"].clone()))
    };
    assert_eq!(
        count("basis-refused"),
        Some((2, Value::from("Basis refused")))
    );
    assert_eq!(count("dissent"), Some((1, Value::from("Patient dissent"))));
}

/// A record page whose address holds something that is not an NHS number is refused once,
/// and audited once, however many calls the page would make for a real number.
#[tokio::test]
async fn a_bad_number_in_the_record_page_address_is_one_refusal() {
    let portal = common::start().await;
    let browser = portal.sign_in("ae.clinician").await;
    let before = portal.audit_events().await.len();
    let page = browser.get("/record?nhs=943%20476%205918").await;
    let text = page.text().await.unwrap();
    assert!(text.contains("NHS number"), "the page says what is wrong");
    let refused: Vec<_> = portal.audit_events().await[before..]
        .iter()
        .filter(|e| e.event.outcome == Outcome::Refused)
        .map(|e| (e.event.refusal, e.event.detail.clone().unwrap_or_default()))
        .collect();
    assert_eq!(refused.len(), 1, "{refused:?}");
    assert_eq!(refused[0].0, Some(RefusalKind::InvalidNhsNumber));
    assert!(refused[0].1.contains("943 476 5918"), "{}", refused[0].1);
}
