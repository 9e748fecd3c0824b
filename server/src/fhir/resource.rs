//! One lenient struct holding every field the timeline reads from any supported resource type.
//! Unknown fields and extensions are ignored; a known field of the wrong shape fails only this
//! resource.

use super::datatypes::{CodeableConcept, Coding, OneOrMany, Period, Quantity, Reference};
use serde::Deserialize;

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Resource {
    pub resource_type: String,
    pub id: Option<String>,
    pub meta: Option<Meta>,
    pub status: Option<String>,
    pub clinical_status: Option<CodeableConcept>,

    // What it is.
    pub code: Option<CodeableConcept>,
    pub vaccine_code: Option<CodeableConcept>,
    pub medication_codeable_concept: Option<CodeableConcept>,
    pub medication_reference: Option<Reference>,
    pub contained: Vec<ContainedResource>,
    #[serde(rename = "type")]
    pub type_: OneOrMany<CodeableConcept>,
    pub service_type: Option<CodeableConcept>,
    pub class: Option<Coding>,
    pub title: Option<String>,
    pub description: Option<String>,
    pub conclusion: Option<String>,
    pub reason_code: Vec<CodeableConcept>,

    // When it happened (see `normalise::clinical_date` for which field wins per type).
    pub onset_date_time: Option<String>,
    pub onset_period: Option<Period>,
    pub recorded_date: Option<String>,
    pub effective_date_time: Option<String>,
    pub effective_instant: Option<String>,
    pub effective_period: Option<Period>,
    pub date_asserted: Option<String>,
    pub authored_on: Option<String>,
    pub performed_date_time: Option<String>,
    pub performed_period: Option<Period>,
    pub occurrence_date_time: Option<String>,
    pub recorded: Option<String>,
    pub issued: Option<String>,
    pub date: Option<String>,
    pub created: Option<String>,
    pub period: Option<Period>,
    pub context: Option<DocumentContext>,

    // Values and instructions.
    pub value_quantity: Option<Quantity>,
    pub value_string: Option<String>,
    pub value_codeable_concept: Option<CodeableConcept>,
    pub component: Vec<ObservationComponent>,
    pub dosage_instruction: Vec<Dosage>,
    pub dosage: Vec<Dosage>,
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

/// A contained resource; only contained `Medication` is read (its code names the medicine).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ContainedResource {
    pub resource_type: String,
    pub id: Option<String>,
    pub code: Option<CodeableConcept>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ObservationComponent {
    pub code: Option<CodeableConcept>,
    pub value_quantity: Option<Quantity>,
    pub value_string: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Dosage {
    pub text: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct DocumentContext {
    pub period: Option<Period>,
}

impl Resource {
    /// Decodes one resource from a bundle entry.
    pub fn parse(json: &str) -> Result<Self, serde_json::Error> {
        serde_json::from_str(json)
    }
}
