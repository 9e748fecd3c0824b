//! Table tests for the structured record reader, on STU3 JSON written from the GP Connect
//! 1.6 specification's element definitions and examples (all data synthetic: test-range NHS
//! numbers, invented names and practices).

use super::*;
use app::model::{Category, NotSharedReason};
use serde_json::json;

mod records;

const NHS: &str = "9990000018";
const OTHER_NHS: &str = "9990000026";

fn nhs() -> NhsNumber {
    NhsNumber::parse(NHS).expect("a valid test number")
}

fn patient(number: &str) -> Value {
    json!({
        "resourceType": "Patient", "id": "pat-1",
        "identifier": [{"system": "https://fhir.nhs.uk/Id/nhs-number", "value": number}],
        "name": [{"use": "official", "family": "Testperson", "given": ["Alex"], "prefix": ["Mx"]}],
        "gender": "unknown", "birthDate": "1970-02-03",
        "generalPractitioner": [{"reference": "urn:uuid:9a1c4b7e-0000-4000-8000-000000000002"}],
        "managingOrganization": {"reference": "Organization/org-1"}
    })
}

/// The people and practice every test Bundle carries (the GP by `urn:uuid:`).
fn people() -> Vec<Value> {
    vec![
        json!({"fullUrl": "https://gp.example/STU3/Organization/org-1", "resource": {
            "resourceType": "Organization", "id": "org-1", "name": "Example Lane Surgery",
            "identifier": [{"system": "https://fhir.nhs.uk/Id/ods-organization-code", "value": "Y99999"}]}}),
        json!({"fullUrl": "urn:uuid:9a1c4b7e-0000-4000-8000-000000000002", "resource": {
            "resourceType": "Practitioner", "id": "gp-1",
            "name": [{"use": "usual", "family": "Example", "given": ["Jo"], "prefix": ["Dr"]}]}}),
        json!({"resource": {"resourceType": "PractitionerRole", "id": "role-1",
            "practitioner": {"reference": "urn:uuid:9a1c4b7e-0000-4000-8000-000000000002"},
            "organization": {"reference": "Organization/org-1"}}}),
    ]
}

/// A Bundle of the patient, the people, and these resources (each as an entry).
fn bundle(resources: Vec<Value>) -> Vec<u8> {
    let mut entries = vec![json!({"resource": patient(NHS)})];
    entries.extend(people());
    entries.extend(resources.into_iter().map(|r| match r.get("fullUrl") {
        Some(_) => r,
        None => json!({"resource": r}),
    }));
    json!({"resourceType": "Bundle", "type": "collection", "entry": entries})
        .to_string()
        .into_bytes()
}

fn read_all(resources: Vec<Value>) -> StructuredRecord {
    read_structured_record(&bundle(resources), nhs(), "gp").expect("a record")
}

fn only(resources: Vec<Value>) -> TimelineEntry {
    let record = read_all(resources);
    assert_eq!(record.entries.len(), 1, "{:#?}", record.entries);
    assert_eq!(record.skipped, 0);
    record.entries.into_iter().next().expect("one entry")
}

fn field<'a>(entry: &'a TimelineEntry, label: &str) -> Option<&'a str> {
    entry
        .full_detail
        .as_ref()?
        .fields
        .iter()
        .find(|f| f.label == label)
        .map(|f| f.value.as_str())
}

fn snomed(code: &str, display: &str) -> Value {
    json!({"coding": [{"system": "http://snomed.info/sct", "code": code, "display": display}]})
}

fn allergy(id: &str, status: &str, code: Value) -> Value {
    json!({
        "resourceType": "AllergyIntolerance", "id": id,
        "meta": {"profile": ["https://fhir.nhs.uk/STU3/StructureDefinition/CareConnect-GPC-AllergyIntolerance-1"]},
        "clinicalStatus": status, "verificationStatus": "unconfirmed", "type": "allergy",
        "category": ["medication"], "criticality": "high", "code": code,
        "patient": {"reference": "Patient/pat-1"}, "assertedDate": "2012-05-07T00:00:00+00:00",
        "recorder": {"reference": "PractitionerRole/role-1"},
        "reaction": [{"manifestation": [snomed("39579001", "Anaphylaxis")], "severity": "severe"}],
        "note": [{"text": "Certainty: Certain"}]
    })
}

struct Case {
    name: &'static str,
    resource: Value,
    category: Category,
    title: &'static str,
    date: Option<&'static str>,
    status: Option<&'static str>,
    detail: Option<&'static str>,
}

#[test]
fn each_resource_type_reads_as_its_r4_equivalent() {
    let cases = [
        Case {
            name: "active allergy: asserted date, unconfirmed verification ignored",
            resource: allergy("a1", "active", snomed("294505008", "Amoxicillin allergy")),
            category: Category::Allergy,
            title: "Amoxicillin allergy",
            date: Some("2012-05-07T00:00:00+00:00"),
            status: Some("active"),
            detail: Some("Reaction: Anaphylaxis (severe); Criticality: high; Type: allergy; Category: medication"),
        },
        Case {
            name: "problem with a partial onset",
            resource: json!({"resourceType": "Condition", "id": "c1",
                "clinicalStatus": "active", "category": [snomed("problem-list-item", "Problem list item")],
                "code": snomed("195967001", "Asthma"), "onsetDateTime": "2019-03",
                "assertedDate": "2019-04-02T10:00:00+00:00"}),
            category: Category::Problem,
            title: "Asthma",
            date: Some("2019-03"),
            status: Some("active"),
            detail: None,
        },
        Case {
            name: "consultation encounter",
            resource: json!({"resourceType": "Encounter", "id": "e1", "status": "finished",
                "type": [snomed("185317003", "Telephone encounter")],
                "period": {"start": "2024-01-15T09:10:00+00:00", "end": "2024-01-15T09:20:00+00:00"},
                "participant": [{"individual": {"reference": "Practitioner/gp-1"}}]}),
            category: Category::Encounter,
            title: "Telephone encounter",
            date: Some("2024-01-15T09:10:00+00:00"),
            status: Some("finished"),
            detail: None,
        },
        Case {
            name: "immunisation: date and the DateRecorded extension",
            resource: json!({"resourceType": "Immunization", "id": "i1", "status": "completed",
                "notGiven": false, "vaccineCode": snomed("1037311000000106", "Influenza vaccine"),
                "date": "2023-10-04", "primarySource": true,
                "extension": [{"url": "https://fhir.nhs.uk/STU3/StructureDefinition/Extension-CareConnect-GPC-DateRecorded-1",
                               "valueDateTime": "2023-10-05"}],
                "vaccinationProtocol": [{"doseSequence": 1, "targetDisease": [snomed("6142004", "Influenza")]}]}),
            category: Category::Immunisation,
            title: "Influenza vaccine",
            date: Some("2023-10-04"),
            status: Some("completed"),
            detail: Some("Dose number: 1"),
        },
        Case {
            name: "immunisation not given",
            resource: json!({"resourceType": "Immunization", "id": "i2", "status": "completed",
                "notGiven": true, "vaccineCode": snomed("1037311000000106", "Influenza vaccine"),
                "explanation": {"reasonNotGiven": [{"text": "Patient declined"}]},
                "extension": [{"url": "https://fhir.nhs.uk/STU3/StructureDefinition/Extension-CareConnect-GPC-DateRecorded-1",
                               "valueDateTime": "2023-10-05"}]}),
            category: Category::Immunisation,
            title: "Influenza vaccine",
            date: Some("2023-10-05"),
            status: Some("not-done"),
            detail: Some("Not given because: Patient declined"),
        },
        Case {
            name: "immunisation named by its procedure when the vaccine is unknown",
            resource: json!({"resourceType": "Immunization", "id": "i3", "status": "completed",
                "notGiven": false, "date": "2019-06",
                "vaccineCode": {"coding": [{"system": "http://hl7.org/fhir/v3/NullFlavor", "code": "UNK"}], "text": "Unknown"},
                "extension": [{"url": "https://fhir.hl7.org.uk/STU3/StructureDefinition/Extension-CareConnect-VaccinationProcedure-1",
                               "valueCodeableConcept": snomed("170378007", "First hepatitis A vaccination")}]}),
            category: Category::Immunisation,
            title: "First hepatitis A vaccination",
            date: Some("2019-06"),
            status: Some("completed"),
            detail: None,
        },
        Case {
            name: "uncategorised observation with a value",
            resource: json!({"resourceType": "Observation", "id": "o1", "status": "final",
                "code": snomed("27113001", "Body weight"), "effectiveDateTime": "2022-06",
                "issued": "2022-06-20T10:00:00+00:00",
                "valueQuantity": {"value": 72.5, "unit": "kg", "system": "http://unitsofmeasure.org", "code": "kg"},
                "interpretation": {"coding": [{"code": "H"}]}}),
            category: Category::Observation,
            title: "Body weight",
            date: Some("2022-06"),
            status: Some("final"),
            detail: Some("72.5 kg (H)"),
        },
        Case {
            name: "blood pressure with components",
            resource: json!({"resourceType": "Observation", "id": "o2", "status": "final",
                "code": snomed("75367002", "Blood pressure"), "effectiveDateTime": "2024-02-01",
                "component": [
                  {"code": snomed("72313002", "Systolic arterial pressure"), "valueQuantity": {"value": 150, "unit": "mm[Hg]"},
                   "interpretation": {"text": "High"}},
                  {"code": snomed("1091811000000102", "Diastolic arterial pressure"), "valueQuantity": {"value": 90, "unit": "mm[Hg]"}}]}),
            category: Category::Observation,
            title: "Blood pressure",
            date: Some("2024-02-01"),
            status: Some("final"),
            detail: Some("Systolic arterial pressure 150 mm[Hg] (High); Diastolic arterial pressure 90 mm[Hg]"),
        },
        Case {
            name: "free-text comment note shows its text",
            resource: json!({"resourceType": "Observation", "id": "o3", "status": "final",
                "code": snomed("37331000000100", "Comment note"), "effectiveDateTime": "2021-11-02",
                "comment": "Patient reports feeling better"}),
            category: Category::Observation,
            title: "Comment note",
            date: Some("2021-11-02"),
            status: Some("final"),
            detail: Some("Patient reports feeling better"),
        },
        Case {
            name: "referral: titled by reasonCode, placed by authoredOn",
            resource: json!({"resourceType": "ReferralRequest", "id": "r1", "status": "unknown", "intent": "order",
                "priority": "urgent", "reasonCode": [snomed("183519002", "Referral to cardiology service")],
                "authoredOn": "2024-03-12", "requester": {"agent": {"reference": "Practitioner/gp-1"}},
                "recipient": [{"reference": "Organization/org-1"}]}),
            category: Category::CarePlan,
            title: "Referral to cardiology service",
            date: Some("2024-03-12"),
            status: Some("unknown"),
            detail: Some("Referral, to Example Lane Surgery, priority urgent"),
        },
        Case {
            name: "diary entry",
            resource: json!({"resourceType": "ProcedureRequest", "id": "d1", "status": "active", "intent": "plan",
                "code": snomed("390872009", "Asthma review"), "occurrenceDateTime": "2025-04-01",
                "authoredOn": "2025-01-10"}),
            category: Category::CarePlan,
            title: "Asthma review",
            date: Some("2025-01-10"),
            status: Some("active"),
            detail: Some("Diary entry, due 01-Apr-2025"),
        },
    ];
    for case in cases {
        let e = only(vec![case.resource]);
        assert_eq!(e.category, case.category, "{}", case.name);
        assert_eq!(e.title, case.title, "{}", case.name);
        assert_eq!(
            e.date.as_ref().map(|d| d.value.as_str()),
            case.date,
            "{}",
            case.name
        );
        assert_eq!(e.status.as_deref(), case.status, "{}", case.name);
        assert_eq!(e.detail.as_deref(), case.detail, "{}", case.name);
        assert_eq!(e.source_id, "gp");
    }
}

#[test]
fn references_name_people_by_urn_and_relative_reference() {
    let e = only(vec![
        json!({"resourceType": "ReferralRequest", "id": "r1", "status": "unknown",
        "reasonCode": [snomed("183519002", "Referral to cardiology service")], "authoredOn": "2024-03",
        "requester": {"agent": {"reference": "urn:uuid:9a1c4b7e-0000-4000-8000-000000000002"}},
        "recipient": [{"reference": "https://gp.example/STU3/Organization/org-1"}]}),
    ]);
    assert_eq!(e.resource_type, "ReferralRequest");
    assert_eq!(e.codes[0].code, "183519002");
    assert_eq!(field(&e, "Referred by"), Some("Dr Jo EXAMPLE"));
    assert_eq!(field(&e, "Referred to"), Some("Example Lane Surgery"));
    assert_eq!(field(&e, "Referred on"), Some("Mar-2024"));
    let recorded_by = only(vec![allergy(
        "a1",
        "active",
        snomed("91936005", "Penicillin allergy"),
    )]);
    assert_eq!(
        field(&recorded_by, "Recorded by"),
        Some("Dr Jo EXAMPLE"),
        "through a PractitionerRole"
    );
}

#[test]
fn the_patient_practice_and_usual_gp_are_read_from_the_bundle() {
    let record = read_all(Vec::new());
    assert_eq!(record.patients.len(), 1);
    let p = &record.patients[0];
    assert_eq!(p.family.as_deref(), Some("Testperson"));
    let practice = p.gp_practice.as_ref().expect("a practice");
    assert_eq!(practice.name.as_deref(), Some("Example Lane Surgery"));
    assert_eq!(practice.ods_code.as_deref(), Some("Y99999"));
    assert_eq!(practice.usual_gp.as_deref(), Some("Dr Jo EXAMPLE"));
    assert!(record.entries.is_empty());
    assert!(record.warnings.is_empty());
}

#[test]
fn a_bundle_about_anyone_else_is_refused_whole() {
    let with = |patients: Vec<Value>| {
        let entries: Vec<Value> = patients
            .into_iter()
            .map(|p| json!({"resource": p}))
            .collect();
        json!({"resourceType": "Bundle", "entry": entries})
            .to_string()
            .into_bytes()
    };
    let mut no_number = patient(NHS);
    no_number["identifier"] = json!([]);
    let mut two_numbers = patient(NHS);
    two_numbers["identifier"]
        .as_array_mut()
        .expect("identifiers")
        .push(json!({"system": "https://fhir.nhs.uk/Id/nhs-number", "value": OTHER_NHS}));
    let table: [(Vec<u8>, StructuredError); 7] = [
        (
            with(vec![patient(OTHER_NHS)]),
            StructuredError::OtherPatient,
        ),
        (
            with(vec![patient(NHS), patient(OTHER_NHS)]),
            StructuredError::OtherPatient,
        ),
        (with(vec![no_number]), StructuredError::OtherPatient),
        (with(vec![two_numbers]), StructuredError::OtherPatient),
        (with(Vec::new()), StructuredError::NoPatient),
        (b"not json".to_vec(), StructuredError::NotJson),
        (
            br#"{"resourceType":"Parameters"}"#.to_vec(),
            StructuredError::NotABundle,
        ),
    ];
    for (body, expected) in table {
        let got = read_structured_record(&body, nhs(), "gp").map(|r| r.entries.len());
        assert_eq!(got, Err(expected.clone()), "{expected}");
        assert!(!expected.to_string().contains(NHS));
    }
    let spaced = with(vec![patient("999 000 0018")]);
    assert!(read_structured_record(&spaced, nhs(), "gp").is_ok());
}

#[test]
fn a_resolved_allergy_never_reads_as_current() {
    let ended = json!({
        "resourceType": "List", "status": "current", "mode": "snapshot", "title": "Ended allergies",
        "code": snomed("1103671000000101", "Ended allergies"),
        "contained": [{
            "resourceType": "AllergyIntolerance", "id": "Resolved-1",
            "extension": [{"url": "https://fhir.nhs.uk/STU3/StructureDefinition/Extension-CareConnect-GPC-AllergyIntoleranceEnd-1",
                "extension": [{"url": "endDate", "valueDateTime": "2018-03-01"},
                              {"url": "endReason", "valueString": "No recurrence on rechallenge"}]}],
            "clinicalStatus": "resolved", "verificationStatus": "unconfirmed", "category": ["medication"],
            "code": snomed("319773006", "Aspirin 75mg dispersible tablet"), "assertedDate": "2011-05-07"}],
        "entry": [{"item": {"reference": "#Resolved-1"}}]
    });
    let e = only(vec![ended.clone()]);
    assert_eq!(e.category, Category::Allergy);
    assert_eq!(e.status.as_deref(), Some("resolved"));
    assert_eq!(e.resource_id, "Resolved-1");
    assert_eq!(
        e.date.as_ref().map(|d| d.value.as_str()),
        Some("2011-05-07")
    );
    assert_eq!(field(&e, "Ended"), Some("01-Mar-2018"));
    assert_eq!(
        field(&e, "Ended because"),
        Some("No recurrence on rechallenge")
    );
    assert!(e.detail.unwrap_or_default().ends_with("Ended 01-Mar-2018"));
    // In the ended list it is resolved even when it says otherwise.
    let mut says_active = ended;
    says_active["contained"][0]["clinicalStatus"] = json!("active");
    let e = only(vec![says_active]);
    assert_eq!(e.status.as_deref(), Some("resolved"));
}

#[test]
fn no_known_allergies_is_neither_an_allergy_nor_nothing_recorded() {
    let e = only(vec![allergy(
        "nka",
        "active",
        snomed("716186003", "No known allergy"),
    )]);
    assert_eq!(e.category, Category::Allergy);
    assert_eq!(e.title, "No known allergy");
    assert_eq!(e.status.as_deref(), Some(NO_KNOWN_ALLERGIES_STATUS));
    assert_eq!(
        e.detail.as_deref(),
        Some("Recorded that the patient has no known allergies: not an allergy")
    );
    assert_eq!(e.codes[0].code, "716186003");
    // An empty allergies list ("Information not available") is not an entry, nor a warning.
    let empty = read_all(vec![
        json!({"resourceType": "List", "status": "current", "mode": "snapshot",
        "title": "Allergies and adverse reactions", "code": snomed("886921000000105", "Allergies and adverse reactions"),
        "emptyReason": {"coding": [{"system": "https://fhir.nhs.uk/STU3/CodeSystem/CareConnect-ListEmptyReasonCode-1",
                                    "code": "no-content-recorded"}]},
        "note": [{"text": "Information not available."}]}),
    ]);
    assert!(empty.entries.is_empty());
    assert!(empty.warnings.is_empty());
}

fn problem(id: &str, significance: Value) -> Value {
    json!({"resourceType": "Condition", "id": id,
        "extension": [
          {"url": "https://fhir.hl7.org.uk/STU3/StructureDefinition/Extension-CareConnect-ProblemSignificance-1", "valueCode": significance},
          {"url": "https://fhir.hl7.org.uk/STU3/StructureDefinition/Extension-CareConnect-ActualProblem-1",
           "valueReference": {"reference": "Observation/o-htn"}}],
        "clinicalStatus": "inactive", "category": [snomed("problem-list-item", "Problem list item")],
        "code": snomed("38341003", "Hypertension"), "onsetDateTime": "2015", "abatementDateTime": "2020-02-02",
        "assertedDate": "2015-06-01"})
}

#[test]
fn problem_significance_status_and_list_membership() {
    let list = json!({"resourceType": "List", "status": "current", "mode": "snapshot", "title": "Problems",
        "code": snomed("717711000000103", "Problems"), "entry": [{"item": {"reference": "Condition/p1"}}]});
    let record = read_all(vec![
        problem("p1", json!("major")),
        problem("p2", json!([{"code": "minor", "display": "Minor"}])),
        list,
    ]);
    let by_id = |id: &str| {
        record
            .entries
            .iter()
            .find(|e| e.resource_id == id)
            .expect("the problem")
    };
    let major = by_id("p1");
    assert_eq!(major.status.as_deref(), Some("inactive"));
    assert_eq!(major.date.as_ref().map(|d| d.value.as_str()), Some("2015"));
    assert_eq!(
        major.detail.as_deref(),
        Some("Major problem; Resolved: 2020-02-02")
    );
    assert_eq!(field(major, "Significance"), Some("Major"));
    assert_eq!(field(major, "On the problem list"), Some("yes"));
    assert_eq!(field(major, "Recorded as"), Some("an observation"));
    let minor = by_id("p2");
    assert!(minor
        .detail
        .as_deref()
        .unwrap_or_default()
        .starts_with("Minor problem"));
    assert_eq!(
        field(minor, "On the problem list"),
        Some("no (sent as linked to other items)")
    );
}

#[test]
fn a_bad_resource_is_skipped_and_counted_never_losing_the_rest() {
    let record = read_all(vec![
        json!({"resourceType": "Condition", "id": "bad", "code": "not a concept"}),
        json!({"resourceType": "Condition", "code": snomed("195967001", "Asthma")}),
        json!({"resourceType": "Observation", "id": "o9", "effectiveDateTime": "last week",
               "code": snomed("27113001", "Body weight")}),
        json!({"resourceType": "Immunization", "id": "good", "status": "completed",
               "vaccineCode": {"text": "Tetanus"}, "date": "2001"}),
        json!({"resourceType": "Specimen", "id": "sp-1"}),
        json!({"resourceType": "Flag", "id": "unknown-to-gp-connect"}),
        json!({"no": "resourceType"}),
    ]);
    assert_eq!(record.entries.len(), 1);
    assert_eq!(record.entries[0].resource_id, "good");
    assert_eq!(
        record.entries[0].date.as_ref().map(|d| d.value.as_str()),
        Some("2001")
    );
    assert_eq!(record.skipped, 4);
    assert_eq!(record.unreadable_types.get("Condition"), Some(&2));
    assert_eq!(record.unreadable_types.get("Observation"), Some(&1));
}

#[test]
fn security_labels_and_entry_order_are_kept_as_for_r4() {
    let mut restricted = allergy("a9", "active", snomed("91936005", "Penicillin allergy"));
    restricted["meta"]["security"] =
        json!([{"system": "http://hl7.org/fhir/v3/Confidentiality", "code": "R"}]);
    let e = only(vec![restricted]);
    assert_eq!(e.security[0].code, "R");
    let forwards = read_all(vec![
        allergy("x1", "active", snomed("91936005", "Penicillin allergy")),
        allergy("x2", "active", snomed("91935009", "Peanut allergy")),
    ]);
    let mut backwards = read_all(vec![
        allergy("x2", "active", snomed("91935009", "Peanut allergy")),
        allergy("x1", "active", snomed("91936005", "Penicillin allergy")),
    ]);
    backwards.entries.reverse();
    assert_eq!(forwards.entries, backwards.entries);
}
