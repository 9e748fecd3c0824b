//! Table tests for what is read across resources: medicines folded from their plans and
//! issues, consultations, warnings and test reports (all data synthetic).

use super::*;

fn repeat_information(allowed: u64, issued: u64) -> Value {
    json!({"url": "https://fhir.nhs.uk/STU3/StructureDefinition/Extension-CareConnect-GPC-MedicationRepeatInformation-1",
        "extension": [{"url": "numberOfRepeatPrescriptionsAllowed", "valuePositiveInt": allowed},
                      {"url": "numberOfRepeatPrescriptionsIssued", "valuePositiveInt": issued},
                      {"url": "authorisationExpiryDate", "valueDateTime": "2025-06-30"}]})
}

fn prescription_type(code: &str, display: &str) -> Value {
    json!({"url": "https://fhir.nhs.uk/STU3/StructureDefinition/Extension-CareConnect-GPC-PrescriptionType-1",
        "valueCodeableConcept": {"coding": [{"system": "https://fhir.nhs.uk/STU3/CodeSystem/CareConnect-PrescriptionType-1",
                                             "code": code, "display": display}]}})
}

fn order(id: &str, plan: &str, medication: &str, on: &str) -> Value {
    json!({"resourceType": "MedicationRequest", "id": id, "status": "completed", "intent": "order",
        "basedOn": [{"reference": plan}], "medicationReference": {"reference": medication},
        "authoredOn": on, "dispenseRequest": {"quantity": {"value": "56"}, "validityPeriod": {"start": on}},
        "extension": [prescription_type("repeat", "Repeat")]})
}

#[test]
fn a_repeat_medicine_folds_its_plan_and_three_issues_into_one_entry() {
    let medication = json!({"fullUrl": "urn:uuid:5b0e8a5c-0000-4000-8000-00000000000a", "resource": {
        "resourceType": "Medication", "id": "med-1", "code": snomed("318420003", "Ramipril 5mg capsules")}});
    let plan = json!({"resourceType": "MedicationRequest", "id": "plan-1", "status": "active", "intent": "plan",
        "medicationReference": {"reference": "urn:uuid:5b0e8a5c-0000-4000-8000-00000000000a"},
        "authoredOn": "2024-01-05", "dosageInstruction": [{"text": "One capsule daily"}],
        "dispenseRequest": {"validityPeriod": {"start": "2024-01-05"}, "quantity": {"value": 56}},
        "extension": [repeat_information(6, 3), prescription_type("repeat", "Repeat")]});
    let statement = json!({"resourceType": "MedicationStatement", "id": "ms-1",
        "basedOn": [{"reference": "MedicationRequest/plan-1"}], "status": "active",
        "medicationReference": {"reference": "urn:uuid:5b0e8a5c-0000-4000-8000-00000000000a"},
        "effectivePeriod": {"start": "2024-01-05"}, "dateAsserted": "2024-01-05", "taken": "unk",
        "dosage": [{"text": "One capsule daily", "patientInstruction": "With water"}],
        "extension": [{"url": "https://fhir.nhs.uk/STU3/StructureDefinition/Extension-CareConnect-GPC-PrescribingAgency-1",
            "valueCodeableConcept": {"coding": [{"code": "prescribed-at-gp-practice", "display": "Prescribed at GP practice"}]}}]});
    let record = read_all(vec![
        order(
            "iss-3",
            "MedicationRequest/plan-1",
            "Medication/med-1",
            "2024-03-04",
        ),
        statement,
        order(
            "iss-1",
            "MedicationRequest/plan-1",
            "Medication/med-1",
            "2024-01-05",
        ),
        plan,
        medication,
        order(
            "iss-2",
            "MedicationRequest/plan-1",
            "Medication/med-1",
            "2024-02-05",
        ),
    ]);
    assert_eq!(record.skipped, 0);
    assert_eq!(record.entries.len(), 1, "plans and issues are not entries");
    let e = &record.entries[0];
    assert_eq!(
        (e.category, e.title.as_str(), e.resource_type.as_str()),
        (
            Category::Medication,
            "Ramipril 5mg capsules",
            "MedicationStatement"
        )
    );
    assert_eq!(e.status.as_deref(), Some("active"));
    assert_eq!(
        e.date.as_ref().map(|d| d.value.as_str()),
        Some("2024-01-05")
    );
    assert_eq!(
        e.detail.as_deref(),
        Some("One capsule daily; Repeat; last issued 04-Mar-2024 (3 issues)")
    );
    for (label, value) in [
        ("Prescription type", "Repeat"),
        ("Prescribed at", "Prescribed at GP practice"),
        ("Last issued", "04-Mar-2024"),
        ("Issues in this record", "3"),
        ("Issue dates", "05-Jan-2024, 05-Feb-2024, 04-Mar-2024"),
        ("Repeats allowed", "6"),
        ("Repeats issued", "3"),
        ("Authorisation expires", "30-Jun-2025"),
    ] {
        assert_eq!(field(e, label), Some(value), "{label}");
    }
}

#[test]
fn an_acute_medicine_uses_its_last_issue_date_extension_and_has_ended() {
    let plan = json!({"resourceType": "MedicationRequest", "id": "plan-2", "status": "completed", "intent": "plan",
        "medicationReference": {"reference": "Medication/med-2"}, "authoredOn": "2016-05-10",
        "dispenseRequest": {"validityPeriod": {"start": "2016-05-10", "end": "2016-05-17"}},
        "extension": [prescription_type("acute", "Acute")]});
    let statement = json!({"resourceType": "MedicationStatement", "id": "ms-2",
        "basedOn": [{"reference": "MedicationRequest/plan-2"}], "status": "completed",
        "medicationReference": {"reference": "Medication/med-2"}, "effectiveDateTime": "2016-05-10",
        "dateAsserted": "2016-05-10",
        "extension": [{"url": "https://fhir.nhs.uk/STU3/StructureDefinition/Extension-CareConnect-GPC-MedicationStatementLastIssueDate-1",
                       "valueDateTime": "2016-05-10"}]});
    let medication = json!({"resourceType": "Medication", "id": "med-2", "code": snomed("323509004", "Amoxicillin 250mg capsules")});
    let e = only(vec![
        statement,
        plan,
        medication,
        order(
            "iss-9",
            "MedicationRequest/plan-2",
            "Medication/med-2",
            "2016-05-10",
        ),
    ]);
    assert_eq!(e.title, "Amoxicillin 250mg capsules");
    assert_eq!(e.status.as_deref(), Some("completed"));
    assert_eq!(
        e.detail.as_deref(),
        Some("Acute; last issued 10-May-2016 (1 issue)")
    );
    assert_eq!(field(&e, "Repeats allowed"), None);
    assert_eq!(e.until.map(|d| d.value), Some("2016-05-17".to_owned()));
}

#[test]
fn a_consultation_list_summarises_its_encounter() {
    let encounter = json!({"resourceType": "Encounter", "id": "enc-1", "status": "finished",
        "type": [snomed("185345009", "Encounter for symptom")], "period": {"start": "2024-05-02T10:00:00+01:00"}});
    let consultation = json!({"resourceType": "List", "id": "cons-1", "status": "current", "mode": "snapshot",
        "title": "Surgery consultation", "code": snomed("325851000000107", "Consultation"),
        "encounter": {"reference": "Encounter/enc-1"},
        "entry": [{"item": {"reference": "List/topic-1"}}, {"item": {"reference": "List/topic-2"}}]});
    let topic_1 = json!({"resourceType": "List", "id": "topic-1", "status": "current", "mode": "snapshot",
        "title": "Asthma", "code": snomed("25851000000105", "Topic (EHR)"),
        "extension": [{"url": "https://fhir.hl7.org.uk/STU3/StructureDefinition/Extension-CareConnect-RelatedProblemHeader-1",
            "extension": [{"url": "type", "valueCode": "parent"}, {"url": "target", "valueReference": {"reference": "Condition/p9"}}]}],
        "encounter": {"reference": "Encounter/enc-1"},
        "entry": [{"item": {"reference": "List/heading-1"}}, {"item": {"reference": "List/heading-2"}}]});
    let heading = |id: &str, title: &str, items: usize| {
        let entries: Vec<Value> = (0..items)
            .map(|n| json!({"item": {"reference": format!("Observation/{id}-{n}")}}))
            .collect();
        json!({"resourceType": "List", "id": id, "status": "current", "mode": "snapshot", "title": title,
            "code": snomed("24781000000107", "Category (EHR)"), "encounter": {"reference": "Encounter/enc-1"},
            "entry": entries})
    };
    let topic_2 = json!({"resourceType": "List", "id": "topic-2", "status": "current", "mode": "snapshot",
        "code": snomed("25851000000105", "Topic (EHR)"), "encounter": {"reference": "Encounter/enc-1"},
        "entry": [{"item": {"reference": "MedicationStatement/x"}}]});
    let e = only(vec![
        heading("heading-2", "Examination", 1),
        consultation,
        topic_2,
        encounter,
        topic_1,
        heading("heading-1", "History", 2),
    ]);
    assert_eq!(e.title, "Encounter for symptom");
    assert_eq!(e.detail.as_deref(), Some("Topics: Asthma, Untitled"));
    assert_eq!(field(&e, "Consultation"), Some("Surgery consultation"));
    assert_eq!(
        field(&e, "Topic 1: Asthma"),
        Some("History (2 items), Examination (1 item)")
    );
    assert_eq!(field(&e, "Topic 2: Untitled"), Some("1 item"));
    assert_eq!(e.reason_refs, ["Condition/p9"]);
}

#[test]
fn what_the_provider_did_not_share_becomes_warnings() {
    let warning = |code: &str| {
        json!({"url": "https://fhir.nhs.uk/STU3/StructureDefinition/Extension-CareConnect-GPC-ListWarningCode-1",
               "valueCode": code})
    };
    let medicines = json!({"resourceType": "List", "status": "current", "mode": "snapshot",
        "title": "Medications and medical devices", "code": snomed("933361000000108", "Medications and medical devices"),
        "extension": [warning("confidential-items"), warning("data-in-transit")],
        "note": [{"text": "Items excluded due to confidentiality and/or patient preferences."}],
        "emptyReason": {"coding": [{"code": "no-content-recorded"}]}});
    let allergies = json!({"resourceType": "List", "status": "current", "mode": "snapshot",
        "code": snomed("886921000000105", "Allergies and adverse reactions"),
        "extension": [warning("data-awaiting-filing")]});
    let outcome = json!({"resourceType": "OperationOutcome", "id": "oo-1", "issue": [
        {"severity": "warning", "code": "not-supported",
         "details": {"coding": [{"system": "https://fhir.nhs.uk/STU3/CodeSystem/Spine-ErrorOrWarningCode-1",
                                 "code": "NOT_IMPLEMENTED", "display": "Not implemented"}],
                     "text": "includeImmunisations has been disabled"},
         "diagnostics": "includeImmunisations"}]});
    let consultation = json!({"resourceType": "List", "id": "cons-9", "status": "current", "mode": "snapshot",
        "code": snomed("325851000000107", "Consultation"), "encounter": {"reference": "Encounter/none"},
        "entry": [{"item": {"display": "Referral items are not supported by the provider system"}}]});
    let record = read_all(vec![medicines, allergies, outcome, consultation]);
    assert!(
        record.entries.is_empty(),
        "lists and outcomes are not entries"
    );
    let warned = |area: &str, reason: NotSharedReason| SourceProblem::NotShared {
        resource_type: Some(area.to_owned()),
        reason,
    };
    assert_eq!(
        record.warnings,
        [
            warned("MedicationStatement", NotSharedReason::Confidential),
            warned("MedicationStatement", NotSharedReason::InTransit),
            warned("AllergyIntolerance", NotSharedReason::AwaitingFiling),
            warned("Immunization", NotSharedReason::NotSupported),
            warned("ReferralRequest", NotSharedReason::NotSupported),
        ]
    );
    assert_eq!(
        record.warnings[3].sentence("Example Lane Surgery"),
        "Example Lane Surgery could not supply immunisations: its system does not share them."
    );
}

#[test]
fn a_test_report_is_named_by_its_tests_with_its_filing_comment() {
    let report = json!({"resourceType": "DiagnosticReport", "id": "rep-1", "status": "final",
        "category": snomed("4241000179101", "Laboratory report"), "code": snomed("721981007", "Diagnostic studies report"),
        "issued": "2024-07-01T12:00:00+01:00", "basedOn": [{"reference": "ProcedureRequest/req-1"}],
        "performer": [{"actor": {"reference": "Organization/org-1"}}],
        "result": [{"reference": "Observation/grp-1"}, {"reference": "Observation/fc-1"}]});
    let request = json!({"resourceType": "ProcedureRequest", "id": "req-1", "status": "active", "intent": "order",
        "code": {"text": "FBC"}, "requester": {"agent": {"reference": "Practitioner/gp-1"}}});
    let group = json!({"resourceType": "Observation", "id": "grp-1", "status": "final",
        "code": snomed("26604007", "Full blood count"), "issued": "2024-07-01T12:00:00+01:00",
        "related": [{"type": "has-member", "target": {"reference": "Observation/res-1"}}]});
    let result = json!({"resourceType": "Observation", "id": "res-1", "status": "final",
        "code": snomed("1022431000000105", "Haemoglobin estimation"), "effectiveDateTime": "2024-06-30",
        "valueQuantity": {"value": 98, "unit": "g/L"},
        "referenceRange": [{"low": {"value": 115}, "high": {"value": 165}}]});
    let filing = json!({"resourceType": "Observation", "id": "fc-1", "status": "unknown",
        "code": snomed("37331000000100", "Comment note"), "effectiveDateTime": "2024-07-02",
        "comment": "Reviewed, patient to book appointment",
        "related": [{"type": "derived-from", "target": {"reference": "Observation/grp-1"}}]});
    let record = read_all(vec![filing, result, group, request, report]);
    assert_eq!(record.skipped, 0);
    let ids: Vec<&str> = record
        .entries
        .iter()
        .map(|e| e.resource_id.as_str())
        .collect();
    assert_eq!(ids.len(), 3, "report, group, result: {ids:?}");
    let report = record
        .entries
        .iter()
        .find(|e| e.resource_id == "rep-1")
        .expect("the report");
    assert_eq!(report.category, Category::Report);
    assert_eq!(report.title, "Full blood count");
    assert_eq!(
        report.date.as_ref().map(|d| d.value.as_str()),
        Some("2024-07-01T12:00:00+01:00")
    );
    assert_eq!(report.reason_refs, ["Observation/grp-1"]);
    assert_eq!(field(report, "Tests requested"), Some("FBC"));
    assert_eq!(field(report, "Requested by"), Some("Dr Jo EXAMPLE"));
    let notes = &report.full_detail.as_ref().expect("detail").notes;
    assert_eq!(
        notes[0].text,
        "Filed 02-Jul-2024: Reviewed, patient to book appointment"
    );
    let group = record
        .entries
        .iter()
        .find(|e| e.resource_id == "grp-1")
        .expect("group");
    assert_eq!(group.detail.as_deref(), Some("1 result"));
    let result = record
        .entries
        .iter()
        .find(|e| e.resource_id == "res-1")
        .expect("result");
    assert_eq!(
        result.measurement.as_ref().map(|m| m.value.as_str()),
        Some("98")
    );
}
