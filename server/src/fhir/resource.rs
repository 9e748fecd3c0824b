//! The closed set of resource types the portal reads, how a resource's type is found without
//! decoding the rest of it, and what every type shares (`meta`, contained and bundled
//! `Medication`s that a medicine's reference points at).

use super::datatypes::{CodeableConcept, Coding};
use serde::Deserialize;
use serde_json::value::RawValue;
use std::collections::HashMap;

/// Every resource type the portal reads. Anything else a source sends is not ours to show.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ResourceType {
    AllergyIntolerance,
    CarePlan,
    Condition,
    Consent,
    DiagnosticReport,
    DocumentReference,
    Encounter,
    EpisodeOfCare,
    Flag,
    Immunization,
    Medication,
    MedicationRequest,
    MedicationStatement,
    Observation,
    Organization,
    Patient,
    Practitioner,
    Procedure,
}

impl ResourceType {
    pub const ALL: [ResourceType; 18] = [
        Self::AllergyIntolerance,
        Self::CarePlan,
        Self::Condition,
        Self::Consent,
        Self::DiagnosticReport,
        Self::DocumentReference,
        Self::Encounter,
        Self::EpisodeOfCare,
        Self::Flag,
        Self::Immunization,
        Self::Medication,
        Self::MedicationRequest,
        Self::MedicationStatement,
        Self::Observation,
        Self::Organization,
        Self::Patient,
        Self::Practitioner,
        Self::Procedure,
    ];

    /// The type's name as FHIR spells it.
    pub fn name(self) -> &'static str {
        match self {
            Self::AllergyIntolerance => "AllergyIntolerance",
            Self::CarePlan => "CarePlan",
            Self::Condition => "Condition",
            Self::Consent => "Consent",
            Self::DiagnosticReport => "DiagnosticReport",
            Self::DocumentReference => "DocumentReference",
            Self::Encounter => "Encounter",
            Self::EpisodeOfCare => "EpisodeOfCare",
            Self::Flag => "Flag",
            Self::Immunization => "Immunization",
            Self::Medication => "Medication",
            Self::MedicationRequest => "MedicationRequest",
            Self::MedicationStatement => "MedicationStatement",
            Self::Observation => "Observation",
            Self::Organization => "Organization",
            Self::Patient => "Patient",
            Self::Practitioner => "Practitioner",
            Self::Procedure => "Procedure",
        }
    }

    /// The supported type of this name (FHIR names are case-sensitive).
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.name() == name)
    }
}

/// A resource's `resourceType`, read without decoding anything else: most servers write it
/// first, and a short scan finds it there; otherwise the object's keys are read (values are
/// skipped, not decoded). `None` when the JSON is not an object with a string `resourceType`.
pub fn resource_type(json: &str) -> Option<&str> {
    if !json.trim_start().starts_with('{') {
        // serde would read a struct from an array too.
        return None;
    }
    leading_resource_type(json).or_else(|| {
        #[derive(Deserialize)]
        struct TypeOnly<'a> {
            #[serde(rename = "resourceType", borrow)]
            resource_type: std::borrow::Cow<'a, str>,
        }
        let found: TypeOnly = serde_json::from_str(json).ok()?;
        // An escaped name is no supported type's name; only a borrowed one is returned.
        match found.resource_type {
            std::borrow::Cow::Borrowed(name) => Some(name),
            std::borrow::Cow::Owned(_) => None,
        }
    })
}

/// `{ "resourceType" : "Name"` at the very start (white space allowed), the name holding only
/// ASCII letters and digits as every FHIR type name does.
fn leading_resource_type(json: &str) -> Option<&str> {
    let rest = json.trim_start().strip_prefix('{')?.trim_start();
    let rest = rest.strip_prefix("\"resourceType\"")?.trim_start();
    let rest = rest.strip_prefix(':')?.trim_start();
    let rest = rest.strip_prefix('"')?;
    let end = rest.find('"')?;
    let name = &rest[..end];
    (!name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric())).then_some(name)
}

/// `meta`: security labels, and tags (some sources send confidentiality labels as tags).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Meta {
    pub security: Vec<Coding>,
    pub tag: Vec<Coding>,
}

impl Meta {
    /// The security labels, confidentiality ones in one spelling ([`super::labels`]).
    pub fn labels(&self) -> Vec<app::model::Code> {
        super::labels::security_labels(&self.security, &self.tag)
    }
}

/// A `Medication`, contained in a medicine's resource or bundled beside it (`_include`): its
/// code names the medicine.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Medication {
    pub id: Option<String>,
    pub code: Option<CodeableConcept>,
}

/// Contained resources, kept undecoded: only a contained `Medication` is ever read, and
/// another type's elements must not fail the resource that contains it.
pub type Contained = Vec<Box<RawValue>>;

/// The contained `Medication` with this local id (`#id`).
pub fn contained_medication(contained: &Contained, local_id: &str) -> Option<Medication> {
    contained.iter().find_map(|raw| {
        if resource_type(raw.get()) != Some("Medication") {
            return None;
        }
        let medication: Medication = serde_json::from_str(raw.get()).ok()?;
        (medication.id.as_deref() == Some(local_id)).then_some(medication)
    })
}

/// What a search page carries beside its matches that a match may point at: the `Medication`s
/// bundled with medicines (`_include`d, or matched), by `Medication/id` and by `fullUrl`.
#[derive(Debug, Default)]
pub struct Bundled {
    medications: HashMap<String, CodeableConcept>,
}

impl Bundled {
    /// Keeps a bundled Medication under each name a reference may use for it.
    pub fn add_medication(&mut self, full_url: Option<&str>, medication: Medication) {
        let Some(code) = medication.code else {
            return;
        };
        if let Some(id) = medication.id.as_deref().filter(|id| !id.is_empty()) {
            self.medications
                .insert(format!("Medication/{id}"), code.clone());
        }
        if let Some(url) = full_url.filter(|u| !u.is_empty()) {
            self.medications.insert(url.to_owned(), code);
        }
    }

    /// The code of the Medication a reference names: by `fullUrl` (absolute or `urn:uuid:`), or
    /// by its last two segments `Medication/id` (relative, absolute, or with `_history`).
    pub fn medication(&self, reference: &str) -> Option<&CodeableConcept> {
        if let Some(code) = self.medications.get(reference) {
            return Some(code);
        }
        let path = reference.split("/_history/").next().unwrap_or(reference);
        let mut segments = path.rsplit('/');
        let id = segments.next()?;
        let kind = segments.next()?;
        (kind == "Medication")
            .then(|| self.medications.get(&format!("Medication/{id}")))
            .flatten()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_type_is_found_first_or_anywhere() {
        let table = [
            (
                r#"{"resourceType":"Condition","id":"1"}"#,
                Some("Condition"),
            ),
            (
                " {\n  \"resourceType\" : \"Observation\", \"id\": \"1\"}",
                Some("Observation"),
            ),
            (r#"{"id":"1","resourceType":"Flag"}"#, Some("Flag")),
            (
                r#"{"id":"1","meta":{"resourceType":"Nope"},"resourceType":"Flag"}"#,
                Some("Flag"),
            ),
            (r#"{"id":"1"}"#, None),
            (r#"{"resourceType":7}"#, None),
            (r#"{"resourceType":"Con\u0064ition"}"#, None),
            (r#"["resourceType"]"#, None),
            ("not json", None),
        ];
        for (json, expected) in table {
            assert_eq!(resource_type(json), expected, "{json}");
        }
    }

    #[test]
    fn every_supported_name_round_trips() {
        for t in ResourceType::ALL {
            assert_eq!(ResourceType::from_name(t.name()), Some(t));
        }
        assert_eq!(ResourceType::from_name("condition"), None);
        assert_eq!(ResourceType::from_name("Basic"), None);
    }

    #[test]
    fn bundled_medications_are_found_by_every_kind_of_reference() {
        let mut bundled = Bundled::default();
        let medication = |id: &str, text: &str| Medication {
            id: Some(id.to_owned()),
            code: Some(CodeableConcept {
                text: Some(text.to_owned()),
                ..Default::default()
            }),
        };
        bundled.add_medication(
            Some("http://fhir.example/Medication/m1"),
            medication("m1", "Ramipril 5mg capsules"),
        );
        bundled.add_medication(
            Some("urn:uuid:6f1c0c2e-1111-4a5b-9c1d-000000000001"),
            medication("m2", "Amoxicillin 500mg capsules"),
        );
        let table = [
            ("Medication/m1", Some("Ramipril 5mg capsules")),
            (
                "http://fhir.example/Medication/m1",
                Some("Ramipril 5mg capsules"),
            ),
            (
                "http://elsewhere.example/fhir/Medication/m1/_history/3",
                Some("Ramipril 5mg capsules"),
            ),
            (
                "urn:uuid:6f1c0c2e-1111-4a5b-9c1d-000000000001",
                Some("Amoxicillin 500mg capsules"),
            ),
            ("Medication/m2", Some("Amoxicillin 500mg capsules")),
            ("Substance/m1", None),
            ("Medication/m3", None),
            ("m1", None),
        ];
        for (reference, expected) in table {
            let found = bundled
                .medication(reference)
                .and_then(|c| c.text.as_deref());
            assert_eq!(found, expected, "{reference}");
        }
    }
}
