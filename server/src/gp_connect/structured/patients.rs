//! The Patients of a structured record, checked against the NHS number asked for (a Patient
//! with another number, or none, refuses the whole answer), with the registered practice
//! (`managingOrganization`, else a `generalPractitioner` Organization: name and ODS code)
//! and the usual GP (the `generalPractitioner` Practitioner) read from the Bundle.

use super::bundle::{person_name, text, Index};
use super::StructuredError;
use crate::fhir::patient::{Organization, Patient, ODS_ORGANISATION_CODE};
use app::model::{Demographics, GpPractice};
use app::nhs_number::{NhsNumber, NHS_NUMBER_SYSTEM};
use serde_json::Value;

/// Every Patient in the Bundle, each carrying exactly the NHS number asked for.
pub(super) fn patients(
    index: &Index,
    nhs: NhsNumber,
    source_id: &str,
) -> Result<Vec<Demographics>, StructuredError> {
    let organisations: Vec<Organization> = index
        .of_kind("Organization")
        .filter_map(|o| serde_json::from_value(o.resource.clone()).ok())
        .collect();
    let wanted = nhs.as_digits();
    let mut found = Vec::new();
    for item in index.of_kind("Patient") {
        let numbers = nhs_numbers(&item.resource);
        if numbers.is_empty() || numbers.iter().any(|n| *n != wanted) {
            return Err(StructuredError::OtherPatient);
        }
        let patient = Patient::parse(&as_lists(&item.resource).to_string())
            .map_err(|_| StructuredError::UnreadablePatient)?;
        let mut demographics = patient.demographics_with(source_id, &organisations);
        if let Some(practice) = practice(index, &item.resource) {
            demographics.gp_practice = Some(practice);
        }
        found.push(demographics);
    }
    match found.is_empty() {
        true => Err(StructuredError::NoPatient),
        false => Ok(found),
    }
}

/// The Patient with the lists it sent as single objects (`generalPractitioner`, seen so in
/// GP Connect's own examples) made lists.
fn as_lists(patient: &Value) -> Value {
    let mut patient = patient.clone();
    for name in [
        "generalPractitioner",
        "name",
        "identifier",
        "address",
        "telecom",
    ] {
        if let Some(one) = patient.get(name).filter(|v| v.is_object()).cloned() {
            patient[name] = Value::Array(vec![one]);
        }
    }
    patient
}

/// The NHS numbers a Patient carries, as digits (spaces removed).
fn nhs_numbers(patient: &Value) -> Vec<String> {
    patient
        .get("identifier")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter(|i| text(i, "system") == Some(NHS_NUMBER_SYSTEM))
        .map(|i| {
            text(i, "value")
                .unwrap_or_default()
                .chars()
                .filter(|c| !c.is_whitespace())
                .collect()
        })
        .collect()
}

/// The practice and usual GP as the Bundle names them; `None` when it names neither.
fn practice(index: &Index, patient: &Value) -> Option<GpPractice> {
    let general: Vec<&Value> = patient
        .get("generalPractitioner")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .collect();
    let organisation = patient
        .get("managingOrganization")
        .into_iter()
        .chain(general.iter().copied())
        .find_map(|r| organisation(index, r));
    let usual_gp = general.iter().find_map(|r| usual_gp(index, r));
    let (name, ods_code) = organisation.unwrap_or_default();
    (name.is_some() || ods_code.is_some() || usual_gp.is_some()).then_some(GpPractice {
        name,
        ods_code,
        usual_gp,
    })
}

/// The name and ODS code of the Organization a reference names (or its display).
fn organisation(index: &Index, reference: &Value) -> Option<(Option<String>, Option<String>)> {
    let target = index
        .get(text(reference, "reference")?)
        .filter(|i| i.kind == "Organization")?;
    let name = text(&target.resource, "name").map(str::to_owned);
    let ods = target
        .resource
        .get("identifier")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .find(|i| text(i, "system") == Some(ODS_ORGANISATION_CODE))
        .and_then(|i| text(i, "value"))
        .map(str::to_owned);
    Some((name, ods))
}

/// The usual GP: the Practitioner (or the practitioner of the PractitionerRole) a
/// `generalPractitioner` names, in the NHS form for staff (`Dr Jane SMITH`), else the
/// reference's display.
fn usual_gp(index: &Index, reference: &Value) -> Option<String> {
    let target = text(reference, "reference").and_then(|r| index.get(r));
    let named = match target {
        Some(t) if t.kind == "Practitioner" => person_name(&t.resource),
        Some(t) if t.kind == "PractitionerRole" => t
            .resource
            .pointer("/practitioner/reference")
            .and_then(Value::as_str)
            .and_then(|r| index.get(r))
            .and_then(|p| person_name(&p.resource)),
        Some(_) => return None,
        None => None,
    };
    let is_organisation = text(reference, "reference")
        .and_then(|r| index.key_of(r))
        .is_some_and(|k| k.starts_with("Organization/"));
    named.or_else(|| {
        (!is_organisation)
            .then(|| text(reference, "display").map(str::to_owned))
            .flatten()
    })
}
