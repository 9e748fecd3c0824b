//! Each STU3 CareConnect/GP Connect resource rewritten in the R4 shape the portal's readers
//! take ([`crate::fhir::read`]), so that categories, titles, dates, codes, security labels
//! and the entry panel are the same as for R4 sources. Only the elements whose name or shape
//! differs are rewritten; the rest (already R4-compatible) pass through.

use crate::fhir::ResourceType;
use serde_json::{json, Map, Value};

/// A resource rewritten for one of the portal's R4 readers.
pub(super) struct R4 {
    pub resource_type: ResourceType,
    pub json: Value,
}

/// The R4 shape of an STU3 resource of a type the timeline shows; `None` for the types that
/// are not entries (Patient, List, Medication...) or are not read (Specimen, unknown types).
/// `ReferralRequest` and diary-entry `ProcedureRequest`s have no R4 reader of their own: they
/// are read as `CarePlan`s (a plan or order of future care) and renamed afterwards.
pub(super) fn to_r4(kind: &str, stu3: &Value) -> Option<R4> {
    let Value::Object(source) = stu3 else {
        return None;
    };
    let mut r = source.clone();
    let resource_type = match kind {
        "AllergyIntolerance" => allergy(&mut r),
        "Condition" => condition(&mut r),
        "Encounter" => encounter(&mut r),
        "Immunization" => immunization(&mut r),
        "MedicationStatement" => medication_statement(&mut r),
        "MedicationRequest" => medication_request(&mut r),
        "Observation" => observation(&mut r),
        "DiagnosticReport" => diagnostic_report(&mut r),
        "ReferralRequest" => referral(source, &mut r),
        "ProcedureRequest" => diary_entry(source, &mut r),
        _ => return None,
    };
    r.insert("resourceType".to_owned(), json!(resource_type.name()));
    Some(R4 {
        resource_type,
        json: Value::Object(r),
    })
}

/// An STU3 status `code` as an R4 status concept in `system`.
fn status_concept(r: &mut Map<String, Value>, name: &str, system: &str) {
    if let Some(Value::String(code)) = r.get(name) {
        let concept = json!({"coding": [{"system": system, "code": code}]});
        r.insert(name.to_owned(), concept);
    }
}

fn rename(r: &mut Map<String, Value>, from: &str, to: &str) {
    if let Some(value) = r.remove(from) {
        r.entry(to.to_owned()).or_insert(value);
    }
}

/// One value where R4 has a list (`interpretation`).
fn listed(r: &mut Map<String, Value>, name: &str) {
    if let Some(value) = r.get(name).filter(|v| !v.is_array()).cloned() {
        r.insert(name.to_owned(), json!([value]));
    }
}

/// `AllergyIntolerance`: `assertedDate` is R4's `recordedDate`; `clinicalStatus` a concept.
/// GP Connect fixes `verificationStatus` at `unconfirmed` and says no meaning may be given to
/// it, so it is dropped (only `entered-in-error` is kept).
fn allergy(r: &mut Map<String, Value>) -> ResourceType {
    rename(r, "assertedDate", "recordedDate");
    status_concept(
        r,
        "clinicalStatus",
        "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical",
    );
    if r.get("verificationStatus").and_then(Value::as_str) == Some("entered-in-error") {
        status_concept(
            r,
            "verificationStatus",
            "http://terminology.hl7.org/CodeSystem/allergyintolerance-verification",
        );
    } else {
        r.remove("verificationStatus");
    }
    ResourceType::AllergyIntolerance
}

/// `Condition` (ProblemHeader): `assertedDate` is `recordedDate`; both statuses concepts.
fn condition(r: &mut Map<String, Value>) -> ResourceType {
    rename(r, "assertedDate", "recordedDate");
    status_concept(
        r,
        "clinicalStatus",
        "http://terminology.hl7.org/CodeSystem/condition-clinical",
    );
    status_concept(
        r,
        "verificationStatus",
        "http://terminology.hl7.org/CodeSystem/condition-ver-status",
    );
    ResourceType::Condition
}

/// `Encounter`: `reason` is R4's `reasonCode`.
fn encounter(r: &mut Map<String, Value>) -> ResourceType {
    rename(r, "reason", "reasonCode");
    ResourceType::Encounter
}

/// `Immunization`: `date` is `occurrenceDateTime`, `notGiven` the status `not-done` (its
/// reason the `statusReason`), `practitioner` the `performer`, `vaccinationProtocol` the
/// `protocolApplied`; GP Connect's `DateRecorded` extension is `recorded`, and its
/// `VaccinationProcedure` names the vaccination when the vaccine is unknown (`UNK`).
fn immunization(r: &mut Map<String, Value>) -> ResourceType {
    rename(r, "date", "occurrenceDateTime");
    if r.remove("notGiven").and_then(|v| v.as_bool()) == Some(true) {
        r.insert("status".to_owned(), json!("not-done"));
    }
    if let Some(explanation) = r.remove("explanation") {
        if let Some(why) = explanation.pointer("/reasonNotGiven/0") {
            r.insert("statusReason".to_owned(), why.clone());
        }
        if let Some(reasons) = explanation.get("reason") {
            r.insert("reasonCode".to_owned(), reasons.clone());
        }
    }
    if let Some(Value::Array(people)) = r.remove("practitioner") {
        let performers: Vec<Value> = people
            .iter()
            .map(|p| json!({"function": p.get("role"), "actor": p.get("actor")}))
            .collect();
        r.insert("performer".to_owned(), Value::Array(performers));
    }
    if let Some(Value::Array(protocols)) = r.remove("vaccinationProtocol") {
        let applied: Vec<Value> = protocols.iter().map(protocol).collect();
        r.insert("protocolApplied".to_owned(), Value::Array(applied));
    }
    let unknown_vaccine = r
        .get("vaccineCode")
        .and_then(|c| c.pointer("/coding/0/code"))
        .is_none_or(|code| code == "UNK");
    let procedure = super::extension(&Value::Object(r.clone()), "VaccinationProcedure")
        .and_then(|e| e.get("valueCodeableConcept"))
        .cloned();
    if let (true, Some(procedure)) = (unknown_vaccine, procedure) {
        r.insert("vaccineCode".to_owned(), procedure);
    }
    if let Some(recorded) = super::extension(&Value::Object(r.clone()), "DateRecorded")
        .and_then(|e| e.get("valueDateTime"))
        .cloned()
    {
        r.entry("recorded".to_owned()).or_insert(recorded);
    }
    ResourceType::Immunization
}

fn protocol(p: &Value) -> Value {
    let mut applied = Map::new();
    for (from, to) in [
        ("series", "series"),
        ("targetDisease", "targetDisease"),
        ("doseSequence", "doseNumberPositiveInt"),
        ("seriesDoses", "seriesDosesPositiveInt"),
    ] {
        if let Some(value) = p.get(from) {
            applied.insert(to.to_owned(), value.clone());
        }
    }
    Value::Object(applied)
}

/// `MedicationStatement`: `reasonNotTaken` is `statusReason`; `taken` (fixed `unk` in GP
/// Connect, with no meaning) is dropped; each dosage's dose and rate move into `doseAndRate`.
fn medication_statement(r: &mut Map<String, Value>) -> ResourceType {
    rename(r, "reasonNotTaken", "statusReason");
    r.remove("taken");
    if let Some(Value::Array(dosage)) = r.get_mut("dosage") {
        dosage.iter_mut().for_each(dose_and_rate);
    }
    ResourceType::MedicationStatement
}

/// A `MedicationRequest` read on its own (one no `MedicationStatement` accounts for).
fn medication_request(r: &mut Map<String, Value>) -> ResourceType {
    if let Some(Value::Array(dosage)) = r.get_mut("dosageInstruction") {
        dosage.iter_mut().for_each(dose_and_rate);
    }
    if let Some(Value::Object(supply)) = r.get_mut("dispenseRequest") {
        for name in ["quantity", "expectedSupplyDuration"] {
            if let Some(quantity) = supply.get_mut(name) {
                numeric_value(quantity);
            }
        }
    }
    ResourceType::MedicationRequest
}

/// STU3 `Dosage.dose[x]`/`rate[x]` as R4 `Dosage.doseAndRate`.
fn dose_and_rate(dosage: &mut Value) {
    let Value::Object(d) = dosage else { return };
    let mut moved = Map::new();
    for name in [
        "doseQuantity",
        "doseRange",
        "rateRatio",
        "rateRange",
        "rateQuantity",
    ] {
        if let Some(value) = d.remove(name) {
            moved.insert(name.to_owned(), value);
        }
    }
    if !moved.is_empty() {
        d.insert("doseAndRate".to_owned(), json!([moved]));
    }
}

/// A quantity whose `value` was sent as a string of digits (seen in GP Connect's own
/// examples), as a number; a `code` sent as a list, as its first code.
fn numeric_value(quantity: &mut Value) {
    if let Some(Value::String(s)) = quantity.get("value") {
        if let Ok(n) = s.trim().parse::<serde_json::Number>() {
            quantity["value"] = Value::Number(n);
        }
    }
    if let Some(first) = quantity.pointer("/code/0").cloned() {
        quantity["code"] = first;
    }
}

/// `Observation`: `comment` is a note, `interpretation` (one concept in STU3) a list, on the
/// observation and on each component.
fn observation(r: &mut Map<String, Value>) -> ResourceType {
    if let Some(comment) = r.remove("comment") {
        r.insert("note".to_owned(), json!([{"text": comment}]));
    }
    listed(r, "interpretation");
    if let Some(Value::Array(components)) = r.get_mut("component") {
        for c in components.iter_mut().filter_map(Value::as_object_mut) {
            listed(c, "interpretation");
        }
    }
    ResourceType::Observation
}

/// `DiagnosticReport`: `codedDiagnosis` is `conclusionCode`; `category` (one concept in
/// STU3) a list; each `performer` (a role and an actor in STU3) is its actor.
fn diagnostic_report(r: &mut Map<String, Value>) -> ResourceType {
    rename(r, "codedDiagnosis", "conclusionCode");
    listed(r, "category");
    if let Some(Value::Array(performers)) = r.get_mut("performer") {
        for p in performers.iter_mut() {
            if let Some(actor) = p.get("actor").cloned() {
                *p = actor;
            }
        }
    }
    ResourceType::DiagnosticReport
}

/// Only what a `CarePlan` reader takes from a request: identity, status, the narrative and
/// notes (everything else is read from the STU3 resource by [`super::requests`]).
fn plan_shell(source: &Map<String, Value>, intent: &str) -> Map<String, Value> {
    let mut plan = Map::new();
    for name in ["id", "meta", "text", "status", "note"] {
        if let Some(value) = source.get(name) {
            plan.insert(name.to_owned(), value.clone());
        }
    }
    plan.insert("intent".to_owned(), json!(intent));
    plan
}

/// `ReferralRequest`, placed by `authoredOn`.
fn referral(source: &Map<String, Value>, r: &mut Map<String, Value>) -> ResourceType {
    *r = plan_shell(source, "order");
    if let Some(on) = source.get("authoredOn") {
        r.insert("created".to_owned(), on.clone());
    }
    ResourceType::CarePlan
}

/// A diary entry (`ProcedureRequest`), placed by `authoredOn`, else when it is due.
fn diary_entry(source: &Map<String, Value>, r: &mut Map<String, Value>) -> ResourceType {
    *r = plan_shell(source, "plan");
    if let Some(on) = source.get("authoredOn") {
        r.insert("created".to_owned(), on.clone());
    } else if let Some(due) = source
        .get("occurrenceDateTime")
        .or_else(|| source.get("occurrencePeriod")?.get("start"))
    {
        r.insert("period".to_owned(), json!({"start": due}));
    }
    ResourceType::CarePlan
}
