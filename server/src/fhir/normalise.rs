//! Turns one FHIR resource into one timeline entry: its clinical date (by the rules in
//! `../shared/domain.md` §3), category, title, detail, status and provenance, each type read
//! by its own definition ([`super::clinical`]), with its full detail (every field read, the
//! sanitised narrative, notes) for the entry panel. An entry recorded in error is kept and
//! flagged, never dropped and never shown as ordinary.

use super::clinical::ClinicalResource;
use super::datatypes::{codes, concept_text};
use super::resource::{Bundled, Meta, ResourceType};
use crate::documents::sanitise;
use app::clinical_date::ClinicalDate;
use app::detail::EntryDetail;
use app::model::TimelineEntry;

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

/// What one clinical resource is on the timeline.
#[derive(Debug, PartialEq, Eq)]
pub enum Read {
    /// A timeline entry (one recorded in error is flagged `entered_in_error`).
    Entry(Box<TimelineEntry>),
    /// A supported type that is not a timeline entry (Patient, Consent, Medication...).
    NotClinical,
}

/// Decodes one resource of a supported type and normalises it.
pub fn read(
    resource_type: ResourceType,
    json: &str,
    source_id: &str,
    bundled: &Bundled,
) -> Result<Read, SkipReason> {
    match ClinicalResource::parse(resource_type, json) {
        Ok(Some(resource)) => normalise(&resource, source_id, bundled),
        Ok(None) => Ok(Read::NotClinical),
        Err(_) => Err(SkipReason::Malformed),
    }
}

/// Normalises one decoded clinical resource.
pub fn normalise(
    resource: &ClinicalResource,
    source_id: &str,
    bundled: &Bundled,
) -> Result<Read, SkipReason> {
    let resource_type = resource.resource_type();
    let Ok(category) = ClinicalResource::category(resource_type) else {
        return Ok(Read::NotClinical);
    };
    let r = resource.clinical();
    let id = r.id().filter(|id| !id.is_empty()).ok_or(SkipReason::NoId)?;
    let date = match r.date().map(str::trim).filter(|d| !d.is_empty()) {
        Some(value) => Some(ClinicalDate::parse(value).map_err(|_| SkipReason::BadDate)?),
        None => None,
    };
    let what = r.what(bundled);
    let title = what
        .as_deref()
        .and_then(concept_text)
        .or_else(|| r.title_words())
        .unwrap_or_else(|| format!("{} (no description)", category.label()));
    let detail = r.detail();
    Ok(Read::Entry(Box::new(TimelineEntry {
        date,
        category,
        title,
        detail: (!detail.is_empty()).then(|| detail.join("; ")),
        status: r.status(),
        source_id: source_id.to_owned(),
        resource_type: resource_type.name().to_owned(),
        resource_id: id.to_owned(),
        codes: what.map(|c| codes(&c.coding)).unwrap_or_default(),
        security: r.meta().map(Meta::labels).unwrap_or_default(),
        also_recorded_at: Vec::new(),
        discrepancy: None,
        measurement: r.measurement().map(Box::new),
        attachments: r.attachments(),
        until: r
            .until()
            .and_then(|end| ClinicalDate::parse(end.trim()).ok()),
        setting: r.setting().map(str::to_owned),
        reason_codes: r
            .reason_codes()
            .iter()
            .flat_map(|c| codes(&c.coding))
            .collect(),
        reason_refs: r
            .reason_references()
            .iter()
            .filter_map(|r| local_reference(r.reference.as_deref()?))
            .collect(),
        entered_in_error: r.entered_in_error(),
        full_detail: Some(Box::new(EntryDetail {
            fields: r.fields(),
            narrative_html: r
                .narrative()
                .map(sanitise::narrative)
                .filter(|html| !html.trim().is_empty()),
            notes: r.notes(),
            provenance: None,
        })),
    })))
}

/// `Type/id` of a reference to a resource at the same source, as `Condition/123`,
/// `Condition/123/_history/2` or an absolute URL ending so; `None` for a contained (`#x`) or
/// `urn:` reference, which cannot name another entry.
fn local_reference(reference: &str) -> Option<String> {
    if reference.starts_with('#') || reference.starts_with("urn:") {
        return None;
    }
    let path = reference.split(['?', '#']).next()?;
    let path = match path.find("/_history/") {
        Some(at) => &path[..at],
        None => path,
    };
    let mut segments = path.trim_end_matches('/').rsplit('/');
    let id = segments.next().filter(|s| !s.is_empty())?;
    let resource_type = segments.next().filter(|s| !s.is_empty())?;
    Some(format!("{resource_type}/{id}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use app::clinical_date::DatePrecision;
    use app::model::Category;
    use app::model::Code;

    /// Reads a resource as a search page would.
    fn read_json(json: &str) -> Result<Read, SkipReason> {
        let name = crate::fhir::resource::resource_type(json).expect("a resourceType");
        let resource_type = ResourceType::from_name(name).expect("a supported type");
        read(resource_type, json, "gp", &Bundled::default())
    }

    fn entry(json: &str) -> TimelineEntry {
        match read_json(json) {
            Ok(Read::Entry(entry)) => *entry,
            other => panic!("{json}: {other:?}"),
        }
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
    fn measured_components_keep_their_codes_ranges_and_interpretation() {
        let e = entry(
            r#"{"resourceType":"Observation","id":"o1","status":"final",
                "code":{"coding":[{"system":"http://loinc.org","code":"85354-9"}]},
                "effectiveDateTime":"2025-01-01T09:30:00Z",
                "component":[
                  {"code":{"coding":[{"system":"urn:local","code":"SYS"},{"system":"http://loinc.org","code":"8480-6"}]},
                   "valueQuantity":{"value":92,"code":"mm[Hg]"},
                   "referenceRange":[{"low":{"value":111},"high":{"value":219}}],
                   "interpretation":[{"coding":[{"code":"L"}]}]},
                  {"code":{"coding":[{"system":"http://snomed.info/sct","code":"271650006"}]},
                   "valueQuantity":{"value":58.0,"unit":"mmHg"}},
                  {"code":{"text":"Cuff size"},"valueString":"large"},
                  {"code":{"text":"Not taken"},"dataAbsentReason":{"text":"refused"}}]}"#,
        );
        let m = e.measurement.expect("a panel with measured components");
        assert_eq!(m.value, "", "the panel has no value of its own");
        assert_eq!(m.components.len(), 2, "only quantities are measurements");
        let systolic = &m.components[0];
        assert_eq!(systolic.codes[1], Code::new("http://loinc.org", "8480-6"));
        assert_eq!(
            (
                systolic.measurement.value.as_str(),
                systolic.measurement.unit.as_deref(),
                systolic.measurement.marker(),
                systolic.measurement.low.as_deref(),
                systolic.measurement.high.as_deref()
            ),
            ("92", Some("mm[Hg]"), Some("L"), Some("111"), Some("219"))
        );
        let diastolic = &m.components[1].measurement;
        assert_eq!(
            (diastolic.value.as_str(), diastolic.low.as_ref()),
            ("58.0", None)
        );

        let own = entry(
            r#"{"resourceType":"Observation","id":"o2","status":"final","code":{"text":"Heart rate"},
                "valueQuantity":{"value":112,"unit":"/min"},"interpretation":[{"coding":[{"code":"H"}]}],
                "component":[{"code":{"text":"Rhythm regular"},"valueBoolean":true}]}"#,
        );
        let m = own.measurement.expect("measured");
        assert_eq!((m.value.as_str(), m.marker()), ("112", Some("H")));
        assert!(m.components.is_empty());
        let words = entry(
            r#"{"resourceType":"Observation","id":"o3","status":"final","code":{"text":"Smoking"},"valueString":"never"}"#,
        );
        assert_eq!(words.measurement, None);
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
    fn an_entry_recorded_in_error_is_kept_and_flagged() {
        for json in [
            r#"{"resourceType":"AllergyIntolerance","id":"a","code":{"text":"Aspirin"},
                "verificationStatus":{"coding":[{"code":"entered-in-error"}]}}"#,
            r#"{"resourceType":"Condition","id":"c","code":{"text":"Asthma"},
                "verificationStatus":{"coding":[{"code":"entered-in-error"}]}}"#,
            r#"{"resourceType":"MedicationRequest","id":"m","status":"entered-in-error","medicationCodeableConcept":{"text":"Ramipril"}}"#,
            r#"{"resourceType":"DocumentReference","id":"d","status":"current","docStatus":"entered-in-error"}"#,
        ] {
            let e = entry(json);
            assert!(e.entered_in_error, "{json}");
        }
        let ordinary = entry(r#"{"resourceType":"Condition","id":"c","code":{"text":"Asthma"}}"#);
        assert!(!ordinary.entered_in_error);
    }

    #[test]
    fn the_full_detail_is_read_with_the_entry_and_its_narrative_sanitised() {
        let e = entry(
            r#"{"resourceType":"Condition","id":"c","code":{"text":"Asthma"},
                "text":{"status":"generated","div":"<div xmlns='http://www.w3.org/1999/xhtml'><p><b>Asthma</b></p><script>window.__xss=1</script><img src='x' onerror='window.__xss=2'><a href='javascript:window.__xss=3'>plan</a><style>p{display:none}</style><iframe src='https://evil.example/'></iframe><img src='http://tracker.example/p.png'></div>"},
                "severity":{"text":"Moderate"},
                "note":[{"text":"<script>alert(1)</script> wheezy"}]}"#,
        );
        let detail = e.full_detail.expect("read with the entry");
        assert!(detail
            .fields
            .iter()
            .any(|f| f.label == "Severity" && f.value == "Moderate"));
        let html = detail.narrative_html.expect("a narrative");
        assert_eq!(html, "<div><p><b>Asthma</b></p>plan</div>");
        assert_eq!(detail.notes[0].text, "<script>alert(1)</script> wheezy");
        assert_eq!(
            detail.provenance, None,
            "filled only when the item is served"
        );
        // A narrative that cleans to nothing is no narrative.
        let empty = entry(
            r#"{"resourceType":"Condition","id":"c","text":{"div":"<div><script>x()</script></div>"}}"#,
        );
        let html = empty.full_detail.unwrap().narrative_html;
        assert!(
            html.as_deref().is_none_or(|h| !h.contains("script")),
            "{html:?}"
        );
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
        for t in [
            "Patient",
            "Medication",
            "Consent",
            "Organization",
            "Practitioner",
        ] {
            let json = format!(r#"{{"resourceType":"{t}","id":"x"}}"#);
            assert_eq!(read_json(&json), Ok(Read::NotClinical), "{t}");
        }
    }

    #[test]
    fn refuses_what_cannot_be_placed() {
        let table = [
            (
                r#"{"resourceType":"Condition","code":{"text":"x"}}"#,
                SkipReason::NoId,
            ),
            (
                r#"{"resourceType":"Condition","id":"c","onsetDateTime":"yesterday"}"#,
                SkipReason::BadDate,
            ),
            (
                r#"{"resourceType":"Condition","id":"c","code":"not-an-object"}"#,
                SkipReason::Malformed,
            ),
            // A list where R4 has one value, and one value where it has a list.
            (
                r#"{"resourceType":"DocumentReference","id":"d","type":[{"text":"x"}]}"#,
                SkipReason::Malformed,
            ),
            (
                r#"{"resourceType":"AllergyIntolerance","id":"a","type":{"text":"allergy"}}"#,
                SkipReason::Malformed,
            ),
        ];
        for (json, expected) in table {
            assert_eq!(read_json(json), Err(expected), "{json}");
        }
    }

    #[test]
    fn reasons_are_kept_as_codes_and_local_references() {
        for (reference, local) in [
            ("Condition/c1", Some("Condition/c1")),
            (
                "https://fhir.example.org/R4/Condition/c1",
                Some("Condition/c1"),
            ),
            ("Condition/c1/_history/3", Some("Condition/c1")),
            ("#contained", None),
            ("urn:uuid:6f1c1f3e-0000-4000-8000-000000000001", None),
            ("", None),
        ] {
            assert_eq!(local_reference(reference).as_deref(), local, "{reference}");
        }
        let e = entry(
            r#"{"resourceType":"Encounter","id":"e1","status":"finished",
                "class":{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"EMER"},
                "reasonCode":[{"coding":[{"system":"http://snomed.info/sct","code":"15628003"}]}],
                "reasonReference":[{"reference":"Condition/c9"}],
                "diagnosis":[{"condition":{"reference":"Condition/c8"}}],
                "period":{"start":"2026-11-01T10:00:00Z"}}"#,
        );
        assert_eq!(e.setting.as_deref(), Some("EMER"));
        assert_eq!(
            e.reason_codes,
            [Code::new("http://snomed.info/sct", "15628003")]
        );
        assert_eq!(e.reason_refs, ["Condition/c9", "Condition/c8"]);
    }
}
