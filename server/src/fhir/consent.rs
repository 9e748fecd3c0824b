//! Reads a FHIR `Consent` into the few facts the consent policy needs: is it in force, what
//! does it cover, and does it permit or deny. Interpreting them is the policy's job.

use super::datatypes::{codes, CodeableConcept, Period, Reference};
use app::model::Code;
use serde::Deserialize;

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct RawConsent {
    resource_type: String,
    id: Option<String>,
    status: Option<String>,
    patient: Option<Reference>,
    scope: Option<CodeableConcept>,
    category: Vec<CodeableConcept>,
    date_time: Option<String>,
    policy_rule: Option<CodeableConcept>,
    provision: Option<RawProvision>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RawProvision {
    #[serde(rename = "type")]
    type_: Option<String>,
    period: Option<Period>,
}

/// Whether the consent's base provision permits or denies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProvisionType {
    Permit,
    Deny,
}

/// One consent directive as a source holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsentDirective {
    pub id: String,
    /// `draft`, `proposed`, `active`, `rejected`, `inactive` or `entered-in-error`.
    pub status: String,
    pub scope: Vec<Code>,
    pub category: Vec<Code>,
    pub policy_rule: Vec<Code>,
    pub provision: Option<ProvisionType>,
    /// When the provision stops applying, if it says.
    pub provision_end: Option<String>,
    pub date_time: Option<String>,
    /// Whose directive it is, as the source refers to them (`Patient/123`, or absolute).
    pub patient: Option<String>,
}

/// Why a Consent could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ConsentError {
    #[error("not a Consent resource")]
    NotConsent,
    #[error("Consent is malformed: {0}")]
    Malformed(#[from] serde_json::Error),
    #[error("Consent has no id or status")]
    Incomplete,
    #[error("Consent provision type {0:?} is neither permit nor deny")]
    UnknownProvision(String),
}

impl ConsentDirective {
    pub fn parse(json: &str) -> Result<Self, ConsentError> {
        let raw: RawConsent = serde_json::from_str(json)?;
        if raw.resource_type != "Consent" {
            return Err(ConsentError::NotConsent);
        }
        let (Some(id), Some(status)) = (raw.id, raw.status) else {
            return Err(ConsentError::Incomplete);
        };
        let provision = raw.provision.unwrap_or_default();
        let provision_type = match provision.type_.as_deref() {
            None => None,
            Some("permit") => Some(ProvisionType::Permit),
            Some("deny") => Some(ProvisionType::Deny),
            Some(other) => return Err(ConsentError::UnknownProvision(other.to_owned())),
        };
        let concept_codes =
            |c: &Option<CodeableConcept>| c.as_ref().map(|c| codes(&c.coding)).unwrap_or_default();
        Ok(Self {
            id,
            status,
            scope: concept_codes(&raw.scope),
            category: raw.category.iter().flat_map(|c| codes(&c.coding)).collect(),
            policy_rule: concept_codes(&raw.policy_rule),
            provision: provision_type,
            provision_end: provision.period.and_then(|p| p.end),
            date_time: raw.date_time,
            patient: raw.patient.and_then(|p| p.reference),
        })
    }

    /// Whether the directive is about the Patient with this id at its source: its reference
    /// is `Patient/<id>`, absolute or relative, with or without a version.
    pub fn is_about(&self, patient_id: &str) -> bool {
        let Some(reference) = self.patient.as_deref() else {
            return false;
        };
        let reference = reference
            .split_once("/_history/")
            .map_or(reference, |(r, _)| r);
        reference
            .strip_suffix(patient_id)
            .is_some_and(|rest| rest == "Patient/" || rest.ends_with("/Patient/"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_dissent_directive() {
        let c = ConsentDirective::parse(
            r#"{"resourceType":"Consent","id":"c1","status":"active",
                "scope":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/consentscope","code":"patient-privacy"}]},
                "category":[{"coding":[{"system":"http://loinc.org","code":"59284-0"}]}],
                "policyRule":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"OPTOUT"}]},
                "provision":{"type":"deny","period":{"end":"2030-01-01"}},"dateTime":"2024-05-01"}"#,
        )
        .unwrap();
        assert_eq!(c.status, "active");
        assert_eq!(c.provision, Some(ProvisionType::Deny));
        assert_eq!(c.scope[0].code, "patient-privacy");
        assert_eq!(c.category[0].code, "59284-0");
        assert_eq!(c.policy_rule[0].code, "OPTOUT");
        assert_eq!(c.provision_end.as_deref(), Some("2030-01-01"));
        assert_eq!(c.patient, None);
    }

    #[test]
    fn knows_whose_directive_it_is() {
        let about = |reference: &str| {
            ConsentDirective::parse(&format!(
                r#"{{"resourceType":"Consent","id":"c","status":"active","patient":{{"reference":"{reference}"}}}}"#
            ))
            .unwrap()
        };
        assert_eq!(about("Patient/p1").patient.as_deref(), Some("Patient/p1"));
        // (reference, patient id, about them)
        let table = [
            ("Patient/p1", "p1", true),
            ("https://gp.example/fhir/Patient/p1", "p1", true),
            ("Patient/p1/_history/3", "p1", true),
            ("Patient/p11", "p1", false),
            ("Patient/xp1", "p1", false),
            ("Group/p1", "p1", false),
            ("https://gp.example/fhir/NotPatient/p1", "p1", false),
            ("p1", "p1", false),
        ];
        for (reference, id, expected) in table {
            assert_eq!(about(reference).is_about(id), expected, "{reference} {id}");
        }
        let none =
            ConsentDirective::parse(r#"{"resourceType":"Consent","id":"c","status":"active"}"#)
                .unwrap();
        assert!(!none.is_about("p1"));
    }

    #[test]
    fn refuses_what_it_cannot_read() {
        for json in [
            r#"{"resourceType":"Patient","id":"p","status":"active"}"#,
            r#"{"resourceType":"Consent","status":"active"}"#,
            r#"{"resourceType":"Consent","id":"c","status":"active","provision":{"type":"maybe"}}"#,
            r#"{"resourceType":"Consent","id":"c","status":7}"#,
        ] {
            assert!(ConsentDirective::parse(json).is_err(), "{json}");
        }
    }
}
