//! Identity before the basis, over real HTTP through the record server function a browser
//! calls: the prompt says whose record it is from the sources' Patient resources only (no
//! clinical resource is asked for), with the mismatch warning, the sources that failed named,
//! a number no source holds said before any basis, and nothing shown of a patient whose
//! details the demographic search would not list. Each check is a patient search in the audit
//! trail; a role that may not look patients up learns nothing.

use crate::common;

use common::{showcase, Browser, Portal};
use serde_json::Value;
use server::audit::EventKind;

/// The record server function without a basis: its status and the basis prompt's identity.
async fn prompt(browser: &Browser, nhs: &str) -> (u16, Value) {
    let response = browser
        .post("/sfn/record", &[("nhs_number", nhs), ("refresh", "false")])
        .await;
    let status = response.status().as_u16();
    let body: Value = response.json().await.unwrap_or(Value::Null);
    (status, body)
}

fn identity_of(body: &Value) -> &Value {
    &body["BasisRequired"]["identity"]
}

/// Each source's answer in the identity check, as `(source id, answer)`.
fn answers(identity: &Value) -> Vec<(String, String)> {
    identity["sources"]
        .as_array()
        .map(|sources| {
            sources
                .iter()
                .map(|s| {
                    let answer = match &s["answer"] {
                        Value::String(word) => word.clone(),
                        Value::Object(o) => o.keys().next().cloned().unwrap_or_default(),
                        _ => String::new(),
                    };
                    (
                        s["source_id"].as_str().unwrap_or_default().to_owned(),
                        answer,
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Every path any demo source was asked for that is not a Patient or Consent search.
fn clinical_requests(portal: &Portal) -> Vec<String> {
    portal
        .demo
        .sources
        .iter()
        .flat_map(|s| s.paths_asked())
        .filter(|p| {
            !matches!(
                p.as_str(),
                "/fhir/Patient" | "/fhir/Consent" | "/fhir/metadata"
            )
        })
        .collect()
}

/// The audit trail's patient-search events about this NHS number, as their details.
async fn identity_events(portal: &Portal, nhs: &str) -> Vec<String> {
    portal
        .audit_events()
        .await
        .into_iter()
        .filter(|e| e.event.kind == EventKind::PatientSearch)
        .filter(|e| e.event.nhs_number.as_deref() == Some(nhs))
        .map(|e| e.event.detail.unwrap_or_default())
        .collect()
}

#[tokio::test]
async fn the_prompt_says_whose_record_it_is_before_any_basis() {
    let portal = common::start_r4().await;
    let population = &portal.demo.population;
    let clinician = portal.sign_in("ae.clinician").await;
    let nhs = showcase(population, "known at all four sources").as_digits();

    let (status, body) = prompt(&clinician, &nhs).await;
    assert_eq!(status, 403, "{body}");
    let identity = identity_of(&body);
    assert_eq!(identity["outcome"], "shown", "{body}");
    let holds = answers(identity);
    assert_eq!(holds.len(), 4, "{identity}");
    assert!(holds.iter().all(|(_, a)| a == "holds"), "{holds:?}");
    // The details as the first source holds them, in every part the banner needs.
    let details = &identity["sources"][0]["answer"]["holds"][0];
    let person = population.person(
        population
            .index_of(showcase(population, "known at all four sources"))
            .unwrap(),
    );
    assert_eq!(details["family"], person.family, "{details}");
    assert_eq!(details["given"][0], person.given);
    assert_eq!(details["prefix"], person.prefix);
    assert!(details["birth_date"]["value"].as_str().unwrap().len() == 10);
    assert!(details["gender"].is_string());
    let address: Vec<&str> = details["address"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l.as_str().unwrap())
        .collect();
    assert_eq!(
        address.len(),
        3,
        "house and street, town, postcode: {address:?}"
    );
    assert_eq!(address[2], person.postcode);
    // Every source names the practice, in its own R4 shape.
    for source in identity["sources"].as_array().unwrap() {
        let practice = &source["answer"]["holds"][0]["gp_practice"];
        assert_eq!(practice["name"], "Riverside Medical Practice", "{source}");
        assert_eq!(practice["ods_code"], "Y12345", "{source}");
    }
    assert_eq!(identity["warnings"].as_array().unwrap().len(), 0);
    assert_eq!(identity["today"].as_str().unwrap().len(), 10);
    // The bases are still offered, and no clinical resource was read.
    assert!(!body["BasisRequired"]["options"]
        .as_array()
        .unwrap()
        .is_empty());
    assert_eq!(clinical_requests(&portal), Vec::<String>::new());

    // The check is a patient search naming the patient, then the prompt a refusal.
    assert_eq!(
        identity_events(&portal, &nhs).await,
        ["identity shown before a basis"]
    );
    // Nothing was cached as a record: giving a basis now asks for the clinical resources.
    let given = clinician
        .post(
            "/sfn/basis",
            &[
                ("nhs_number", &nhs),
                ("code", "permission-given"),
                ("reason", ""),
            ],
        )
        .await;
    assert_eq!(given.status(), 200);
    let (status, _) = prompt(&clinician, &nhs).await;
    assert_eq!(status, 200);
    assert!(!clinical_requests(&portal).is_empty());
}

#[tokio::test]
async fn disagreement_failure_and_absence_are_said_before_any_basis() {
    let portal = common::start_r4().await;
    let population = &portal.demo.population;
    let clinician = portal.sign_in("ae.clinician").await;

    // The hospital holds another birth date: the mismatch warning, before any basis.
    let nhs = showcase(population, "hospital records a different date of birth").as_digits();
    let (_, body) = prompt(&clinician, &nhs).await;
    let identity = identity_of(&body);
    assert_eq!(identity["outcome"], "shown", "{body}");
    let warnings = identity["warnings"].as_array().unwrap();
    assert_eq!(warnings.len(), 1, "{identity}");
    assert!(
        warnings[0]
            .as_str()
            .unwrap()
            .contains("different dates of birth"),
        "{warnings:?}"
    );

    // A source that fails is named as such, never as not holding the patient.
    let nhs = showcase(population, "mental-health source fails").as_digits();
    let (_, body) = prompt(&clinician, &nhs).await;
    let identity = identity_of(&body);
    assert_eq!(identity["outcome"], "shown", "{body}");
    let failed: Vec<(String, String)> = answers(identity)
        .into_iter()
        .filter(|(_, a)| a != "holds")
        .collect();
    assert_eq!(failed, [("mental-health".to_owned(), "failed".to_owned())]);

    // A number no source holds says so, with each source's answer.
    let nhs = showcase(population, "not known at any source").as_digits();
    let (status, body) = prompt(&clinician, &nhs).await;
    assert_eq!(status, 403);
    let identity = identity_of(&body);
    assert_eq!(identity["outcome"], "not-held", "{body}");
    let said = answers(identity);
    assert_eq!(said.len(), 4);
    assert!(said.iter().all(|(_, a)| a == "not-held"), "{said:?}");
    assert_eq!(
        identity_events(&portal, &nhs).await,
        ["identity checked before a basis: no source that answered holds the number"]
    );
    assert_eq!(clinical_requests(&portal), Vec::<String>::new());
}

#[tokio::test]
async fn details_the_search_would_not_list_are_not_shown_and_roles_without_lookup_get_nothing() {
    let portal = common::start().await;
    let population = &portal.demo.population;
    let clinician = portal.sign_in("ae.clinician").await;
    let handler = portal.sign_in("call.handler").await;
    let objected = showcase(population, "has objected").as_digits();
    let unknown = showcase(population, "the GP cannot say").as_digits();
    let open = showcase(population, "known at all four sources").as_digits();
    let family_of = |nhs: &str| {
        let nhs = app::nhs_number::NhsNumber::parse(nhs).unwrap();
        population.person(population.index_of(nhs).unwrap()).family
    };
    // (who, patient, outcome; "" = no identity at all, `status` the HTTP status)
    let table: [(&Browser, &str, &str, u16); 5] = [
        (&clinician, &objected, "not-shown", 403),
        (&clinician, &unknown, "not-shown", 403),
        (&clinician, &open, "shown", 403),
        (&handler, &objected, "not-shown", 403),
        (&handler, &open, "shown", 403),
    ];
    for (browser, nhs, outcome, status) in table {
        let (got, body) = prompt(browser, nhs).await;
        assert_eq!(got, status, "{nhs}: {body}");
        assert_eq!(identity_of(&body)["outcome"], outcome, "{nhs}: {body}");
        if outcome == "not-shown" {
            let text = body.to_string();
            assert!(
                !text.contains(family_of(nhs)),
                "no name before a basis: {text}"
            );
            assert!(identity_of(&body).get("sources").is_none(), "{body}");
        }
    }
    let objected_events = identity_events(&portal, &objected).await;
    assert!(
        objected_events
            .iter()
            .all(|d| d.contains("not shown before a basis")),
        "{objected_events:?}"
    );

    // Roles that may not look patients up are refused before any source is asked.
    for login in ["privacy.officer", "ops.admin"] {
        let browser = portal.sign_in(login).await;
        let before = portal.source_requests();
        let (status, body) = prompt(&browser, &open).await;
        assert_eq!(status, 403, "{login}: {body}");
        assert!(body.get("BasisRequired").is_none(), "{login}: {body}");
        assert!(!body.to_string().contains(family_of(&open)), "{body}");
        assert_eq!(portal.source_requests(), before, "{login}: no source asked");
    }

    // A machine client stating no basis is told the bases only: no identity, no source asked.
    let client = portal.client_with_basis("ae.clinician", None).await;
    let before = portal.source_requests();
    let body: Value = client
        .get(format!("{}/api/v1/patients/{open}/record", portal.url))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(body["error"], "basis-required");
    assert!(body.get("identity").is_none(), "{body}");
    assert_eq!(portal.source_requests(), before);
}
