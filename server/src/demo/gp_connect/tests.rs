//! The demo GP Connect provider's Bundles checked by the specification's rules, and its
//! request validation table-tested over real HTTP.

use super::bundle::references;
use super::checks::{Asked, Consultations, Immunisations, Medication, Period};
use super::*;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use std::collections::HashSet;

const ASID: &str = "918999198738";

fn population() -> Arc<Population> {
    Arc::new(Population::new(
        Population::DEFAULT_PATIENTS,
        Population::DEFAULT_SEED,
    ))
}

fn everything() -> Asked {
    Asked {
        allergies: Some(true),
        medication: Some(Medication {
            issues: true,
            from: None,
        }),
        consultations: Some(Consultations::default()),
        problems: Some(None),
        immunisations: Some(Immunisations {
            not_given: false,
            status: true,
        }),
        uncategorised: Some(Period::default()),
        investigations: Some(Period::default()),
        referrals: Some(Period::default()),
        ..Asked::default()
    }
}

fn full_bundle(asked: &Asked) -> Value {
    let population = population();
    let index = population
        .index_of(population.gp_connect_full_record().unwrap())
        .unwrap();
    let record = records::record(&population, index).unwrap();
    bundle::bundle(
        &record,
        asked,
        "5c1f7e3a-0000-4000-8000-000000000001",
        &[1, 2, 3],
    )
}

fn resources(bundle: &Value) -> Vec<&Value> {
    bundle["entry"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| &e["resource"])
        .collect()
}

fn of_type<'a>(bundle: &'a Value, kind: &str) -> Vec<&'a Value> {
    resources(bundle)
        .into_iter()
        .filter(|r| r["resourceType"] == kind)
        .collect()
}

fn list<'a>(bundle: &'a Value, title: &str) -> Option<&'a Value> {
    of_type(bundle, "List")
        .into_iter()
        .find(|l| l["title"] == title)
}

fn key(r: &Value) -> String {
    format!(
        "{}/{}",
        r["resourceType"].as_str().unwrap(),
        r["id"].as_str().unwrap_or_default()
    )
}

/// The rules every Bundle must keep, whatever was asked.
fn assert_valid(bundle: &Value) {
    assert_eq!(bundle["type"], "collection");
    assert_eq!(
        bundle["meta"]["profile"][0],
        "https://fhir.nhs.uk/STU3/StructureDefinition/GPConnect-StructuredRecord-Bundle-1"
    );
    let all = resources(bundle);
    let keys: HashSet<String> = all
        .iter()
        .filter(|r| r["id"].is_string())
        .map(|r| key(r))
        .collect();
    for r in &all {
        assert!(
            r["meta"]["profile"][0]
                .as_str()
                .is_some_and(|p| p.starts_with("https://fhir.nhs.uk/STU3/StructureDefinition/")),
            "{}",
            r["resourceType"]
        );
        let contained: HashSet<String> = r["contained"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|c| format!("#{}", c["id"].as_str().unwrap()))
            .collect();
        for reference in references(r) {
            assert!(
                keys.contains(&reference) || contained.contains(&reference),
                "{} refers to {reference}, not in the Bundle",
                r["resourceType"]
            );
        }
        if r["resourceType"] == "List" {
            assert!(
                r.get("id").is_none() || r["encounter"].is_object(),
                "only consultation lists have ids"
            );
            for entry in r["entry"].as_array().unwrap() {
                assert!(
                    entry["item"]["reference"].is_string() || entry["item"]["display"].is_string()
                );
            }
            if r["entry"].as_array().unwrap().is_empty() && r["encounter"].is_null() {
                assert_eq!(r["emptyReason"]["coding"][0]["code"], "no-content-recorded");
            }
        }
    }
    let patient = &of_type(bundle, "Patient")[0];
    for reference in [
        &patient["managingOrganization"]["reference"],
        &patient["generalPractitioner"][0]["reference"],
    ] {
        assert!(keys.contains(reference.as_str().unwrap()));
    }
}

#[test]
fn the_full_record_keeps_the_specifications_rules() {
    let bundle = full_bundle(&everything());
    assert_valid(&bundle);
    assert_eq!(bundle["id"], "5c1f7e3a-0000-4000-8000-000000000001");
    // Problems: major and minor, active and inactive.
    let problems = of_type(&bundle, "Condition");
    let significance = |c: &&Value| c["extension"][0]["valueCode"].as_str().unwrap().to_owned();
    for (status, major) in [
        ("active", "major"),
        ("active", "minor"),
        ("inactive", "major"),
        ("inactive", "minor"),
    ] {
        assert!(
            problems
                .iter()
                .any(|c| c["clinicalStatus"] == status && significance(c) == major),
            "{status} {major}"
        );
    }
    // A current allergy and an ended one contained in the Ended allergies list.
    assert_eq!(of_type(&bundle, "AllergyIntolerance").len(), 1);
    let ended = list(&bundle, "Ended allergies").unwrap();
    assert_eq!(ended["contained"][0]["clinicalStatus"], "resolved");
    // Plans and orders linked by basedOn; a stopped medicine; an acute one.
    let requests = of_type(&bundle, "MedicationRequest");
    let plans: HashSet<String> = requests
        .iter()
        .filter(|r| r["intent"] == "plan")
        .map(|r| key(r))
        .collect();
    let orders: Vec<_> = requests.iter().filter(|r| r["intent"] == "order").collect();
    assert!(orders.len() >= 5);
    assert!(orders
        .iter()
        .all(|o| plans.contains(o["basedOn"][0]["reference"].as_str().unwrap())));
    for statement in of_type(&bundle, "MedicationStatement") {
        assert!(plans.contains(statement["basedOn"][0]["reference"].as_str().unwrap()));
    }
    assert!(of_type(&bundle, "MedicationStatement")
        .iter()
        .any(|s| s["status"] == "stopped"));
    assert!(requests
        .iter()
        .any(|r| r["extension"][0]["valueCodeableConcept"]["coding"][0]["code"] == "acute"));
    // Partial dates; the confidential-items warning; test results; a referral.
    let effective: Vec<&str> = of_type(&bundle, "Observation")
        .iter()
        .filter_map(|o| o["effectiveDateTime"].as_str())
        .collect();
    assert!(
        effective.iter().any(|d| d.len() == 7) && effective.iter().any(|d| d.len() == 4),
        "{effective:?}"
    );
    let uncategorised = list(&bundle, "Uncategorised data").unwrap();
    assert_eq!(
        uncategorised["extension"][1]["valueCode"],
        "confidential-items"
    );
    assert!(uncategorised["note"][0]["text"]
        .as_str()
        .unwrap()
        .contains("confidentiality"));
    assert_eq!(of_type(&bundle, "DiagnosticReport").len(), 1);
    assert_eq!(of_type(&bundle, "ProcedureRequest").len(), 1);
    assert_eq!(of_type(&bundle, "ReferralRequest").len(), 1);
    assert_eq!(of_type(&bundle, "Encounter").len(), 3);
    assert!(list(
        &bundle,
        "Consultations - uncategorised data contained in consultations"
    )
    .is_some());
    assert!(list(&bundle, "Problems - medications related to problems").is_some());
    // The practice has documents switched off, and one is linked from a consultation.
    let outcome = &of_type(&bundle, "OperationOutcome")[0];
    assert_eq!(
        outcome["issue"][0]["details"]["coding"][0]["code"],
        "NOT_IMPLEMENTED"
    );
    assert_eq!(
        outcome["issue"][0]["details"]["text"],
        "DocumentReferences has been disabled"
    );
    // Immunisations not given are left out unless asked for.
    assert_eq!(of_type(&bundle, "Immunization").len(), 2);
}

#[test]
fn only_the_areas_asked_for_are_returned_with_their_parts() {
    let allergies = full_bundle(&Asked {
        allergies: Some(false),
        ..Asked::default()
    });
    assert_valid(&allergies);
    for kind in [
        "MedicationStatement",
        "MedicationRequest",
        "Encounter",
        "Condition",
        "Observation",
        "OperationOutcome",
    ] {
        assert!(of_type(&allergies, kind).is_empty(), "{kind}");
    }
    assert!(list(&allergies, "Ended allergies").is_none());
    let no_issues = full_bundle(&Asked {
        medication: Some(Medication {
            issues: false,
            from: None,
        }),
        ..Asked::default()
    });
    assert_valid(&no_issues);
    assert!(of_type(&no_issues, "MedicationRequest")
        .iter()
        .all(|r| r["intent"] == "plan"));
    let recent = full_bundle(&Asked {
        medication: Some(Medication {
            issues: true,
            from: Some(ANCHOR - 100),
        }),
        ..Asked::default()
    });
    assert_eq!(
        of_type(&recent, "MedicationStatement").len(),
        2,
        "the ended acute and stopped statin are older"
    );
    let two = full_bundle(&Asked {
        consultations: Some(Consultations {
            most_recent: Some(2),
            ..Default::default()
        }),
        ..Asked::default()
    });
    assert_valid(&two);
    // Only two are consultations returned; an older Encounter may come along as linked
    // from a problem the two are about.
    let consultations = |b: &Value| {
        list(b, "List of consultations").unwrap()["entry"]
            .as_array()
            .unwrap()
            .len()
    };
    assert_eq!(consultations(&two), 2);
    assert_eq!(
        of_type(&two, "List")
            .iter()
            .filter(|l| l["code"]["coding"][0]["code"] == "325851000000107")
            .count(),
        2
    );
    let period = full_bundle(&Asked {
        consultations: Some(Consultations {
            period: Period {
                start: Some(ANCHOR - 500),
                end: None,
            },
            most_recent: None,
        }),
        ..Asked::default()
    });
    assert_eq!(consultations(&period), 2);
    let active = full_bundle(&Asked {
        problems: Some(Some(true)),
        ..Asked::default()
    });
    assert_valid(&active);
    assert_eq!(
        list(&active, "Problems").unwrap()["entry"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    // Partial dates are intervals: 2019-03 overlaps a period starting mid-month.
    let uncategorised = full_bundle(&Asked {
        uncategorised: Some(Period {
            start: Some(ANCHOR - 2_660),
            end: Some(ANCHOR - 2_640),
        }),
        ..Asked::default()
    });
    assert_eq!(
        list(&uncategorised, "Uncategorised data").unwrap()["entry"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

const ANCHOR: i64 = crate::demo::data::calendar::ANCHOR_DAY;

#[test]
fn no_known_allergies_is_a_coded_assertion_and_lists_are_empty_with_a_reason() {
    let population = population();
    let index = population
        .index_of(population.gp_connect_no_known_allergies().unwrap())
        .unwrap();
    let record = records::record(&population, index).unwrap();
    let bundle = bundle::bundle(&record, &everything(), "t", &[1]);
    assert_valid(&bundle);
    let allergy = &of_type(&bundle, "AllergyIntolerance")[0];
    assert_eq!(allergy["code"]["coding"][0]["code"], "716186003");
    assert_eq!(
        list(&bundle, "Ended allergies").unwrap()["emptyReason"]["coding"][0]["code"],
        "no-content-recorded"
    );
    assert_eq!(
        list(&bundle, "Medications and medical devices").unwrap()["note"][0]["text"],
        "Information not available."
    );
    assert!(records::record(
        &population,
        population
            .index_of(population.gp_connect_dissented().unwrap())
            .unwrap()
    )
    .is_none());
}

#[test]
fn entries_are_shuffled_deterministically() {
    let population = population();
    let index = population
        .index_of(population.gp_connect_full_record().unwrap())
        .unwrap();
    let record = records::record(&population, index).unwrap();
    let order = |seed: u64| -> Vec<String> {
        let b = bundle::bundle(&record, &everything(), "t", &[seed]);
        resources(&b)
            .iter()
            .map(|r| format!("{}{}", r["resourceType"], r["title"]))
            .collect()
    };
    assert_eq!(order(1), order(1));
    assert_ne!(order(1), order(2));
}

// Over real HTTP.

fn b64(value: &Value) -> String {
    URL_SAFE_NO_PAD.encode(value.to_string())
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

fn claims(aud: &str) -> Value {
    let now = now();
    json!({ "iss": "https://portal.example/", "sub": "user-1", "aud": aud, "exp": now + 300, "iat": now,
        "reason_for_request": "directcare", "requested_scope": "patient/*.read",
        "requesting_device": { "resourceType": "Device", "identifier": [{ "system": "https://portal.example/Id/device", "value": "portal-1" }], "model": "Viewer", "version": "1.0" },
        "requesting_organization": { "resourceType": "Organization", "identifier": [{ "system": "https://fhir.nhs.uk/Id/ods-organization-code", "value": "RXX" }], "name": "Test Hospital" },
        "requesting_practitioner": { "resourceType": "Practitioner", "id": "user-1",
            "identifier": [{ "system": "https://fhir.nhs.uk/Id/sds-user-id", "value": "111222333444" }],
            "name": [{ "family": "Jones", "given": ["Claire"] }] } })
}

fn token(claims: &Value) -> String {
    format!(
        "{}.{}.",
        b64(&json!({ "alg": "none", "typ": "JWT" })),
        b64(claims)
    )
}

fn parameters(nhs: &str) -> Value {
    json!({ "resourceType": "Parameters", "parameter": [
        { "name": "patientNHSNumber", "valueIdentifier": { "system": "https://fhir.nhs.uk/Id/nhs-number", "value": nhs } },
        { "name": "includeAllergies", "part": [{ "name": "includeResolvedAllergies", "valueBoolean": true }] },
        { "name": "includeMedication" } ] })
}

struct Call {
    headers: Vec<(String, String)>,
    body: Value,
    raw_body: Option<String>,
}

fn valid_call(provider: &DemoGpConnect, nhs: &str) -> Call {
    Call {
        headers: vec![
            (
                "Ssp-TraceID".into(),
                "629ea9ba-a077-4d99-b289-7a9b19fd4e03".into(),
            ),
            ("Ssp-From".into(), "200000000115".into()),
            ("Ssp-To".into(), ASID.into()),
            ("Ssp-InteractionID".into(), INTERACTION_ID.into()),
            (
                "Content-Type".into(),
                "application/fhir+json;charset=utf-8".into(),
            ),
            (
                "Authorization".into(),
                format!("Bearer {}", token(&claims(&provider.base_url))),
            ),
        ],
        body: parameters(&provider_nhs(provider)),
        raw_body: None,
    }
    .with_nhs(nhs)
}

fn provider_nhs(_: &DemoGpConnect) -> String {
    population().gp_connect_full_record().unwrap().as_digits()
}

impl Call {
    fn with_nhs(mut self, nhs: &str) -> Self {
        self.body["parameter"][0]["valueIdentifier"]["value"] = json!(nhs);
        self
    }
    fn set(mut self, name: &str, value: Option<String>) -> Self {
        self.headers.retain(|(n, _)| n != name);
        if let Some(value) = value {
            self.headers.push((name.to_owned(), value));
        }
        self
    }
    fn claims(self, aud: &str, change: impl Fn(&mut Value)) -> Self {
        let mut c = claims(aud);
        change(&mut c);
        self.set("Authorization", Some(format!("Bearer {}", token(&c))))
    }
    async fn send(&self, url: &str) -> (u16, Value, reqwest::header::HeaderMap) {
        let mut request = reqwest::Client::new().post(url);
        for (name, value) in &self.headers {
            request = request.header(name, value);
        }
        let body = self
            .raw_body
            .clone()
            .unwrap_or_else(|| self.body.to_string());
        let response = request.body(body).send().await.unwrap();
        let headers = response.headers().clone();
        (
            response.status().as_u16(),
            response.json().await.unwrap(),
            headers,
        )
    }
}

async fn start(population: Arc<Population>) -> DemoGpConnect {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let settings = ProviderSettings {
        provider_asid: ASID.into(),
        provider_ods: String::new(),
        faults: Faults::default(),
    };
    DemoGpConnect::start(listener, population, settings)
        .await
        .unwrap()
}

fn spine_code(outcome: &Value) -> &str {
    outcome["issue"][0]["details"]["coding"][0]["code"]
        .as_str()
        .unwrap_or_default()
}

#[tokio::test]
async fn requests_are_validated_as_the_specification_requires() {
    let population = population();
    let provider = start(population.clone()).await;
    let url = format!("{}/{OPERATION}", provider.base_url);
    let full = population.gp_connect_full_record().unwrap().as_digits();
    let base = provider.base_url.clone();

    let (status, bundle, headers) = valid_call(&provider, &full).send(&url).await;
    assert_eq!(status, 200, "{bundle}");
    assert_eq!(
        headers["content-type"],
        "application/fhir+json;charset=utf-8"
    );
    assert_eq!(headers["cache-control"], "no-store");
    assert_valid(&bundle);
    assert!(of_type(&bundle, "MedicationStatement").len() >= 4);
    assert!(
        of_type(&bundle, "Encounter").is_empty(),
        "consultations were not asked for"
    );

    let mut bad_digit = full.clone().into_bytes();
    bad_digit[9] = if bad_digit[9] == b'0' { b'1' } else { b'0' };
    let bad_digit = String::from_utf8(bad_digit).unwrap();
    let unregistered = population.person(0).nhs.as_digits();
    let signed = format!(
        "{}.{}.c2lnbmF0dXJl",
        b64(&json!({ "alg": "RS256" })),
        b64(&claims(&base))
    );
    let cases: Vec<(&str, Call, u16, &str)> = vec![
        (
            "no trace id",
            valid_call(&provider, &full).set("Ssp-TraceID", None),
            400,
            "BAD_REQUEST",
        ),
        (
            "trace id not a UUID",
            valid_call(&provider, &full).set("Ssp-TraceID", Some("abc".into())),
            400,
            "BAD_REQUEST",
        ),
        (
            "no Ssp-From",
            valid_call(&provider, &full).set("Ssp-From", None),
            400,
            "BAD_REQUEST",
        ),
        (
            "Ssp-To another provider",
            valid_call(&provider, &full).set("Ssp-To", Some("111".into())),
            400,
            "BAD_REQUEST",
        ),
        (
            "wrong interaction",
            valid_call(&provider, &full).set(
                "Ssp-InteractionID",
                Some("urn:nhs:names:services:gpconnect:fhir:rest:read:metadata-1".into()),
            ),
            400,
            "BAD_REQUEST",
        ),
        (
            "no JWT",
            valid_call(&provider, &full).set("Authorization", None),
            400,
            "BAD_REQUEST",
        ),
        (
            "signed JWT",
            valid_call(&provider, &full).set("Authorization", Some(format!("Bearer {signed}"))),
            400,
            "BAD_REQUEST",
        ),
        (
            "expired JWT",
            valid_call(&provider, &full).claims(&base, |c| {
                c["iat"] = json!(now() - 400);
                c["exp"] = json!(now() - 100);
            }),
            400,
            "BAD_REQUEST",
        ),
        (
            "exp not iat + 300",
            valid_call(&provider, &full).claims(&base, |c| c["exp"] = json!(now() + 3_600)),
            400,
            "BAD_REQUEST",
        ),
        (
            "wrong aud",
            valid_call(&provider, &full).claims("https://elsewhere.example/fhir", |_| {}),
            400,
            "BAD_REQUEST",
        ),
        (
            "wrong scope",
            valid_call(&provider, &full).claims(&base, |c| {
                c["requested_scope"] = json!("organization/*.read")
            }),
            400,
            "BAD_REQUEST",
        ),
        (
            "wrong reason",
            valid_call(&provider, &full)
                .claims(&base, |c| c["reason_for_request"] = json!("migration")),
            400,
            "BAD_REQUEST",
        ),
        (
            "no practitioner",
            valid_call(&provider, &full).claims(&base, |c| {
                c.as_object_mut().unwrap().remove("requesting_practitioner");
            }),
            400,
            "BAD_REQUEST",
        ),
        (
            "practitioner id not sub",
            valid_call(&provider, &full).claims(&base, |c| {
                c["requesting_practitioner"]["id"] = json!("other")
            }),
            400,
            "BAD_REQUEST",
        ),
        (
            "no device model",
            valid_call(&provider, &full).claims(&base, |c| {
                c["requesting_device"]
                    .as_object_mut()
                    .unwrap()
                    .remove("model");
            }),
            400,
            "BAD_REQUEST",
        ),
        (
            "organisation without ODS code",
            valid_call(&provider, &full).claims(&base, |c| {
                c["requesting_organization"]["identifier"][0]["system"] = json!("local")
            }),
            400,
            "BAD_REQUEST",
        ),
        (
            "not FHIR JSON",
            valid_call(&provider, &full).set("Content-Type", Some("application/json".into())),
            400,
            "BAD_REQUEST",
        ),
        (
            "bad check digit",
            valid_call(&provider, &bad_digit),
            400,
            "INVALID_NHS_NUMBER",
        ),
        (
            "unparseable body",
            Call {
                raw_body: Some("{".into()),
                ..valid_call(&provider, &full)
            },
            422,
            "INVALID_RESOURCE",
        ),
        (
            "not Parameters",
            Call {
                body: json!({ "resourceType": "Patient" }),
                ..valid_call(&provider, &full)
            },
            422,
            "INVALID_RESOURCE",
        ),
        (
            "no NHS number",
            Call {
                body: json!({ "resourceType": "Parameters", "parameter": [{ "name": "includeMedication" }] }),
                ..valid_call(&provider, &full)
            },
            422,
            "INVALID_PARAMETER",
        ),
        (
            "allergies without includeResolvedAllergies",
            {
                let mut c = valid_call(&provider, &full);
                c.body["parameter"][1] = json!({ "name": "includeAllergies" });
                c
            },
            422,
            "INVALID_PARAMETER",
        ),
        (
            "partial medication date",
            {
                let mut c = valid_call(&provider, &full);
                c.body["parameter"][2]["part"] =
                    json!([{ "name": "medicationSearchFromDate", "valueDate": "2019-03" }]);
                c
            },
            422,
            "INVALID_PARAMETER",
        ),
        (
            "both consultation filters",
            {
                let mut c = valid_call(&provider, &full);
                c.body["parameter"].as_array_mut().unwrap().push(json!({ "name": "includeConsultations", "part": [
            { "name": "consultationSearchPeriod", "valuePeriod": { "start": "2020-01-01" } }, { "name": "includeNumberOfMostRecent", "valuePositiveInt": 3 }] }));
                c
            },
            422,
            "INVALID_RESOURCE",
        ),
        (
            "consultations with a problem filter",
            {
                let mut c = valid_call(&provider, &full);
                let p = c.body["parameter"].as_array_mut().unwrap();
                p.push(json!({ "name": "includeConsultations" }));
                p.push(json!({ "name": "includeProblems", "part": [{ "name": "filterStatus", "valueCode": "active" }] }));
                c
            },
            422,
            "INVALID_PARAMETER",
        ),
        (
            "part under the wrong parameter",
            {
                let mut c = valid_call(&provider, &full);
                c.body["parameter"][2]["part"] =
                    json!([{ "name": "includeResolvedAllergies", "valueBoolean": true }]);
                c
            },
            422,
            "INVALID_PARAMETER",
        ),
        (
            "dissented",
            valid_call(
                &provider,
                &population.gp_connect_dissented().unwrap().as_digits(),
            ),
            403,
            "NO_PATIENT_CONSENT",
        ),
        (
            "sensitive",
            valid_call(
                &provider,
                &population.gp_connect_sensitive().unwrap().as_digits(),
            ),
            404,
            "PATIENT_NOT_FOUND",
        ),
        (
            "registered elsewhere",
            valid_call(&provider, &unregistered),
            404,
            "PATIENT_NOT_FOUND",
        ),
    ];
    for (name, call, expected_status, expected_code) in cases {
        let (status, outcome, headers) = call.send(&url).await;
        assert_eq!(
            (status, spine_code(&outcome)),
            (expected_status, expected_code),
            "{name}: {outcome}"
        );
        assert_eq!(
            outcome["issue"][0]["details"]["coding"][0]["system"],
            "https://fhir.nhs.uk/STU3/CodeSystem/Spine-ErrorOrWarningCode-1"
        );
        assert_eq!(
            headers["content-type"], "application/fhir+json;charset=utf-8",
            "{name}"
        );
    }
    let received = provider.received();
    assert_eq!(received.len() as u64, provider.requests());
    assert_eq!(received[0].status, 200);
    assert_eq!(received[0].jwt_header.as_ref().unwrap()["alg"], "none");
    assert_eq!(
        received[0].jwt_claims.as_ref().unwrap()["aud"],
        base.as_str()
    );
    assert_eq!(received[0].to.as_deref(), Some(ASID));
    assert_eq!(received[1].error_code.as_deref(), Some("BAD_REQUEST"));
    provider.stop();
}

#[tokio::test]
async fn unrecognised_parts_and_disabled_areas_are_warnings_and_the_ssp_forwards() {
    let population = population();
    let provider = start(population.clone()).await;
    let full = population.gp_connect_full_record().unwrap().as_digits();
    let target = format!("{}/{OPERATION}", provider.base_url);
    let mut call = valid_call(&provider, &full);
    let p = call.body["parameter"].as_array_mut().unwrap();
    p.push(json!({ "name": "includeDiaryEntries" }));
    p.push(json!({ "name": "includeFutureThing" }));
    p[2]["part"] = json!([{ "name": "includeFutureFilter", "valueBoolean": true }]);
    let (status, bundle, _) = call.send(&format!("{}/{target}", provider.ssp_url)).await;
    assert_eq!(status, 200, "{bundle}");
    let texts: Vec<&str> = of_type(&bundle, "OperationOutcome")[0]["issue"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["details"]["text"].as_str().unwrap())
        .collect();
    assert_eq!(
        texts,
        [
            "includeDiaryEntries has been disabled",
            "includeMedication.includeFutureFilter is an unrecognised parameter",
            "includeFutureThing is an unrecognised parameter"
        ]
    );
    let received = provider.received();
    assert_eq!(received[0].ssp_target.as_deref(), Some(target.as_str()));
    let mut wrong_aud =
        valid_call(&provider, &full).claims("http://127.0.0.1:1/gpconnect/fhir", |_| {});
    wrong_aud.body = parameters(&full);
    let (status, _, _) = wrong_aud
        .send(&format!("{}/{target}", provider.ssp_url))
        .await;
    assert_eq!(status, 400, "aud must be the target's service root");
}

#[tokio::test]
async fn faults_fail_the_first_requests_and_live_faults_come_and_go() {
    let population = population();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let faults = Faults {
        refuse_notifications: 2,
        ..Faults::default()
    };
    let settings = ProviderSettings {
        provider_asid: ASID.into(),
        provider_ods: "A12345".into(),
        faults,
    };
    let provider = DemoGpConnect::start(listener, population.clone(), settings)
        .await
        .unwrap();
    let full = population.gp_connect_full_record().unwrap().as_digits();
    let url = format!("{}/{OPERATION}", provider.base_url);
    let call = valid_call(&provider, &full);
    assert_eq!(call.send(&url).await.0, 502);
    assert_eq!(call.send(&url).await.0, 502);
    let (status, bundle, _) = call.send(&url).await;
    assert_eq!(status, 200);
    assert_eq!(
        of_type(&bundle, "Organization")[0]["identifier"][0]["value"],
        "A12345"
    );
    assert_eq!(provider.practice().0, "A12345");
    provider.set_live_fault(LiveFault {
        failure: Some(crate::demo::Failure::Http500),
        ..LiveFault::default()
    });
    assert_eq!(call.send(&url).await.0, 500);
    provider.set_live_fault(LiveFault::default());
    assert_eq!(call.send(&url).await.0, 200);
    provider.set_gateway_fault(Some(504));
    let (status, outcome, _) = call.send(&url).await;
    assert_eq!(
        (status, outcome["issue"][0]["code"].as_str()),
        (504, Some("transient"))
    );
    provider.set_gateway_fault(None);
    assert_eq!(call.send(&url).await.0, 200);
    assert_eq!(provider.requests(), 7);
}

#[tokio::test]
async fn the_nhs_number_alone_answers_who_the_patient_is_and_nothing_clinical() {
    let population = population();
    let full = population.gp_connect_full_record().unwrap().as_digits();
    let provider = start(population.clone()).await;
    let mut call = valid_call(&provider, &full);
    call.body = json!({ "resourceType": "Parameters", "parameter": [parameters(&full)["parameter"][0].clone()] });
    let url = format!("{}/Patient/$gpc.getstructuredrecord", provider.base_url);
    let (status, bundle, _) = call.send(&url).await;
    assert_eq!(status, 200, "{bundle}");
    let mut types: Vec<&str> = bundle["entry"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["resource"]["resourceType"].as_str())
        .collect();
    types.sort_unstable();
    types.dedup();
    for t in &types {
        assert!(
            [
                "Patient",
                "Organization",
                "Practitioner",
                "PractitionerRole"
            ]
            .contains(t),
            "{t} in {types:?}"
        );
    }
    assert!(types.contains(&"Patient"));
}
