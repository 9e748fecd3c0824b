//! Turns one FHIR resource into one timeline entry: its clinical date (by the rules in
//! `../shared/domain.md` §3), category, title, detail and provenance.

use super::datatypes::{codes, concept_text, quantity_text, CodeableConcept, Period};
use super::resource::{Meta, Resource};
use app::clinical_date::ClinicalDate;
use app::model::{Category, TimelineEntry};

/// Why a resource was skipped. Counted per source and reported, never silently dropped.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SkipReason {
    #[error("resource is not valid FHIR JSON for its type")]
    Malformed,
    #[error("resource has no id")]
    NoId,
    #[error("resource has an unreadable date")]
    BadDate,
}

/// The timeline category of a resource type, or `None` for types that are not timeline entries
/// (Patient, Medication, OperationOutcome...).
pub fn category(resource_type: &str) -> Option<Category> {
    Some(match resource_type {
        "Encounter" => Category::Encounter,
        "Condition" => Category::Problem,
        "AllergyIntolerance" => Category::Allergy,
        "MedicationRequest" | "MedicationStatement" => Category::Medication,
        "Observation" => Category::Observation,
        "Procedure" => Category::Procedure,
        "Immunization" => Category::Immunisation,
        "DiagnosticReport" => Category::Report,
        "DocumentReference" => Category::Document,
        "CarePlan" => Category::CarePlan,
        "Flag" => Category::Alert,
        "EpisodeOfCare" => Category::Episode,
        _ => return None,
    })
}

/// Normalises one resource. `Ok(None)` means the type is not shown on the timeline.
pub fn normalise(r: &Resource, source_id: &str) -> Result<Option<TimelineEntry>, SkipReason> {
    let Some(category) = category(&r.resource_type) else {
        return Ok(None);
    };
    let id =
        r.id.as_deref()
            .filter(|id| !id.is_empty())
            .ok_or(SkipReason::NoId)?;
    let date = match date_field(r) {
        Some(value) => Some(ClinicalDate::parse(value).map_err(|_| SkipReason::BadDate)?),
        None => None,
    };
    Ok(Some(TimelineEntry {
        date,
        category,
        title: title(r).unwrap_or_else(|| format!("{} (no description)", category.label())),
        detail: detail(r),
        status: status(r),
        source_id: source_id.to_owned(),
        resource_type: r.resource_type.clone(),
        resource_id: id.to_owned(),
        codes: what(r).map(|c| codes(&c.coding)).unwrap_or_default(),
        security: r.meta.as_ref().map(Meta::labels).unwrap_or_default(),
        also_recorded_at: Vec::new(),
        discrepancy: None,
        attachments: Vec::new(),
    }))
}

/// The concept that says what the item is.
fn what(r: &Resource) -> Option<&CodeableConcept> {
    match r.resource_type.as_str() {
        "MedicationRequest" | "MedicationStatement" => r
            .medication_codeable_concept
            .as_ref()
            .or_else(|| contained_medication(r)),
        "Immunization" => r.vaccine_code.as_ref(),
        "Encounter" | "EpisodeOfCare" | "DocumentReference" => r.type_.first(),
        "CarePlan" => None,
        _ => r.code.as_ref(),
    }
}

fn start(p: &Option<Period>) -> Option<&str> {
    p.as_ref().and_then(|p| p.start.as_deref())
}

/// The field that orders each type on the timeline, with its fallback.
fn date_field(r: &Resource) -> Option<&str> {
    fn s(v: &Option<String>) -> Option<&str> {
        v.as_deref()
    }
    match r.resource_type.as_str() {
        "Encounter" | "Flag" | "EpisodeOfCare" => start(&r.period),
        "Condition" | "AllergyIntolerance" => s(&r.onset_date_time)
            .or(start(&r.onset_period))
            .or(s(&r.recorded_date)),
        "MedicationStatement" => s(&r.effective_date_time)
            .or(start(&r.effective_period))
            .or(s(&r.date_asserted)),
        "MedicationRequest" => s(&r.authored_on),
        "Observation" | "DiagnosticReport" => s(&r.effective_date_time)
            .or(s(&r.effective_instant))
            .or(start(&r.effective_period))
            .or(s(&r.issued)),
        "Procedure" => s(&r.performed_date_time).or(start(&r.performed_period)),
        "Immunization" => s(&r.occurrence_date_time).or(s(&r.recorded)),
        "DocumentReference" => s(&r.date).or(r.context.as_ref().and_then(|c| start(&c.period))),
        "CarePlan" => start(&r.period).or(s(&r.created)),
        _ => None,
    }
}

fn text(c: &Option<CodeableConcept>) -> Option<String> {
    c.as_ref().and_then(concept_text)
}

fn title(r: &Resource) -> Option<String> {
    let named = what(r).and_then(concept_text);
    match r.resource_type.as_str() {
        "MedicationRequest" | "MedicationStatement" => named.or_else(|| {
            r.medication_reference
                .as_ref()
                .and_then(|m| m.display.clone())
        }),
        "Encounter" | "EpisodeOfCare" => named.or_else(|| text(&r.service_type)).or_else(|| {
            r.class
                .as_ref()
                .and_then(|c| c.display.clone().or(c.code.clone()))
        }),
        "DocumentReference" => named.or(r.description.clone()),
        "CarePlan" => r.title.clone().or(r.description.clone()),
        _ => named,
    }
}

/// The code of the contained Medication that `medicationReference: "#id"` points at.
fn contained_medication(r: &Resource) -> Option<&CodeableConcept> {
    let local_id = r
        .medication_reference
        .as_ref()?
        .reference
        .as_deref()?
        .strip_prefix('#')?;
    r.contained
        .iter()
        .find(|c| c.resource_type == "Medication" && c.id.as_deref() == Some(local_id))
        .and_then(|m| m.code.as_ref())
}

fn detail(r: &Resource) -> Option<String> {
    match r.resource_type.as_str() {
        "Observation" => observation_value(r),
        "MedicationRequest" => r.dosage_instruction.iter().find_map(|d| d.text.clone()),
        "MedicationStatement" => r.dosage.iter().find_map(|d| d.text.clone()),
        "DiagnosticReport" => r.conclusion.clone(),
        "CarePlan" if r.title.is_some() => r.description.clone(),
        "Encounter" => r.reason_code.first().and_then(concept_text),
        _ => None,
    }
}

/// `78.5 kg`, or for panels such as blood pressure `Systolic 128 mm[Hg]; Diastolic 82 mm[Hg]`.
fn observation_value(r: &Resource) -> Option<String> {
    let single = r
        .value_quantity
        .as_ref()
        .and_then(quantity_text)
        .or_else(|| r.value_string.clone())
        .or_else(|| text(&r.value_codeable_concept));
    if single.is_some() {
        return single;
    }
    let parts: Vec<String> = r
        .component
        .iter()
        .filter_map(|c| {
            let value = c
                .value_quantity
                .as_ref()
                .and_then(quantity_text)
                .or_else(|| c.value_string.clone())?;
            Some(match text(&c.code) {
                Some(name) => format!("{name} {value}"),
                None => value,
            })
        })
        .collect();
    (!parts.is_empty()).then(|| parts.join("; "))
}

fn status(r: &Resource) -> Option<String> {
    r.clinical_status
        .as_ref()
        .and_then(|c| c.coding.iter().find_map(|c| c.code.clone()))
        .or_else(|| r.status.clone())
}

#[cfg(test)]
mod tests {
    use super::*;
    use app::clinical_date::DatePrecision;
    use app::model::Code;

    fn entry(json: &str) -> TimelineEntry {
        let r = Resource::parse(json).unwrap();
        normalise(&r, "gp").unwrap().unwrap()
    }

    #[test]
    fn condition_uses_onset_and_snomed_display() {
        let e = entry(
            r#"{"resourceType":"Condition","id":"c1","clinicalStatus":{"coding":[{"code":"active"}]},
                "code":{"coding":[{"system":"http://snomed.info/sct","code":"44054006","display":"Type 2 diabetes mellitus"}]},
                "onsetDateTime":"2016-05","recordedDate":"2016-06-01"}"#,
        );
        assert_eq!(e.title, "Type 2 diabetes mellitus");
        assert_eq!(e.category, Category::Problem);
        assert_eq!(e.status.as_deref(), Some("active"));
        let date = e.date.unwrap();
        assert_eq!(
            (date.value.as_str(), date.precision),
            ("2016-05", DatePrecision::Month)
        );
        assert_eq!(
            (
                e.source_id.as_str(),
                e.resource_type.as_str(),
                e.resource_id.as_str()
            ),
            ("gp", "Condition", "c1")
        );
    }

    #[test]
    fn allergy_falls_back_to_recorded_date() {
        let e = entry(
            r#"{"resourceType":"AllergyIntolerance","id":"a1","code":{"text":"Penicillin"},"recordedDate":"2010-01-02"}"#,
        );
        assert_eq!(e.date.unwrap().value, "2010-01-02");
        assert_eq!(e.category, Category::Allergy);
    }

    #[test]
    fn medication_request_names_its_contained_medication() {
        let e = entry(
            r##"{"resourceType":"MedicationRequest","id":"m1","status":"active","authoredOn":"2024-02-03",
                "contained":[{"resourceType":"Medication","id":"med1","code":{"coding":[{"system":"http://snomed.info/sct","code":"39720311000001101","display":"Paracetamol 500mg tablets"}]}}],
                "medicationReference":{"reference":"#med1"},
                "dosageInstruction":[{"text":"Two tablets up to four times a day"}]}"##,
        );
        assert_eq!(e.title, "Paracetamol 500mg tablets");
        assert_eq!(
            e.detail.as_deref(),
            Some("Two tablets up to four times a day")
        );
        assert_eq!(e.date.unwrap().value, "2024-02-03");
    }

    #[test]
    fn codes_and_security_labels_are_kept() {
        let e = entry(
            r##"{"resourceType":"MedicationRequest","id":"m1","authoredOn":"2024-02-03",
                "meta":{"security":[{"system":"http://terminology.hl7.org/CodeSystem/v3-Confidentiality","code":"R"},{"code":"no-system"}]},
                "contained":[{"resourceType":"Medication","id":"med1","code":{"coding":[{"system":"http://snomed.info/sct","code":"39720311000001101"},{"display":"no code"}]}}],
                "medicationReference":{"reference":"#med1"}}"##,
        );
        assert_eq!(
            e.codes,
            [Code::new("http://snomed.info/sct", "39720311000001101")]
        );
        assert_eq!(
            e.security,
            [Code::new(
                "http://terminology.hl7.org/CodeSystem/v3-Confidentiality",
                "R"
            )]
        );
        // Older spellings, the OID, tags and a bare code all read as the one label.
        let old_spellings = entry(
            r##"{"resourceType":"Condition","id":"c9",
                "meta":{"security":[{"system":"http://hl7.org/fhir/v3/Confidentiality","code":"R"},{"code":"V"}],
                        "tag":[{"system":"urn:oid:2.16.840.1.113883.5.25","code":"V"}]}}"##,
        );
        assert_eq!(
            old_spellings.security,
            [
                Code::new(crate::fhir::labels::CONFIDENTIALITY, "R"),
                Code::new(crate::fhir::labels::CONFIDENTIALITY, "V")
            ]
        );
        let by_display = entry(
            r##"{"resourceType":"MedicationStatement","id":"m2","medicationReference":{"reference":"Medication/9","display":"Aspirin 75mg"}}"##,
        );
        assert_eq!(by_display.title, "Aspirin 75mg");
        assert!(by_display.codes.is_empty());
    }

    #[test]
    fn blood_pressure_components_are_joined() {
        let e = entry(
            r#"{"resourceType":"Observation","id":"o1","status":"final","code":{"text":"Blood pressure"},
                "effectiveDateTime":"2025-01-01T09:30:00Z",
                "component":[{"code":{"text":"Systolic"},"valueQuantity":{"value":128,"unit":"mmHg"}},
                             {"code":{"text":"Diastolic"},"valueQuantity":{"value":82,"unit":"mmHg"}}]}"#,
        );
        assert_eq!(
            e.detail.as_deref(),
            Some("Systolic 128 mmHg; Diastolic 82 mmHg")
        );
    }

    #[test]
    fn encounter_takes_period_start_and_type() {
        let e = entry(
            r#"{"resourceType":"Encounter","id":"e1","status":"finished","class":{"code":"EMER","display":"emergency"},
                "type":[{"text":"Emergency department attendance"}],"period":{"start":"2025-03-01T22:10:00+00:00","end":"2025-03-02T03:00:00+00:00"}}"#,
        );
        assert_eq!(e.title, "Emergency department attendance");
        assert_eq!(e.date.unwrap().precision, DatePrecision::Time);
        let by_class = entry(r#"{"resourceType":"Encounter","id":"e2","class":{"code":"AMB"}}"#);
        assert_eq!(by_class.title, "AMB");
        assert_eq!(by_class.date, None);
    }

    #[test]
    fn every_supported_type_gets_a_category() {
        for t in [
            "Encounter",
            "Condition",
            "AllergyIntolerance",
            "MedicationRequest",
            "MedicationStatement",
            "Observation",
            "Procedure",
            "Immunization",
            "DiagnosticReport",
            "DocumentReference",
            "CarePlan",
            "Flag",
            "EpisodeOfCare",
        ] {
            let e = entry(&format!(r#"{{"resourceType":"{t}","id":"x"}}"#));
            assert_eq!(e.resource_type, t);
            assert!(e.title.ends_with("(no description)"), "{t}: {}", e.title);
        }
    }

    #[test]
    fn non_timeline_types_are_not_entries() {
        for t in ["Patient", "Medication", "OperationOutcome", "Basic"] {
            let r = Resource::parse(&format!(r#"{{"resourceType":"{t}","id":"x"}}"#)).unwrap();
            assert_eq!(normalise(&r, "gp"), Ok(None), "{t}");
        }
    }

    #[test]
    fn refuses_what_cannot_be_placed() {
        let no_id = Resource::parse(r#"{"resourceType":"Condition","code":{"text":"x"}}"#).unwrap();
        assert_eq!(normalise(&no_id, "gp"), Err(SkipReason::NoId));
        let bad_date =
            Resource::parse(r#"{"resourceType":"Condition","id":"c","onsetDateTime":"yesterday"}"#)
                .unwrap();
        assert_eq!(normalise(&bad_date, "gp"), Err(SkipReason::BadDate));
        assert!(
            Resource::parse(r#"{"resourceType":"Condition","id":"c","code":"not-an-object"}"#)
                .is_err()
        );
    }
}
