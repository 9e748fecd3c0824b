//! `MedicationRequest` and `MedicationStatement` as R4 defines them: `medication[x]` as a
//! concept or a reference (to a contained `Medication`, or one bundled beside it), dosage in
//! words, and for requests the intent and what is to be supplied.

use super::{identity, labelled, plain_status, Clinical};
use crate::fhir::datatypes::{
    concept_text, non_empty, quantity_text, Annotation, CodeableConcept, Period, Quantity,
    Reference, When,
};
use crate::fhir::resource::{contained_medication, Bundled, Contained, Meta};
use serde::Deserialize;
use std::borrow::Cow;

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct MedicationRequest {
    pub id: Option<String>,
    pub meta: Option<Meta>,
    pub contained: Contained,
    pub status: Option<String>,
    /// `proposal`, `plan`, `order`, `original-order`, `reflex-order`, `filler-order`,
    /// `instance-order`, `option`.
    pub intent: Option<String>,
    pub medication_codeable_concept: Option<CodeableConcept>,
    pub medication_reference: Option<Reference>,
    pub authored_on: Option<String>,
    pub reason_code: Vec<CodeableConcept>,
    pub dosage_instruction: Vec<Dosage>,
    pub dispense_request: Option<DispenseRequest>,
    pub note: Vec<Annotation>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct MedicationStatement {
    pub id: Option<String>,
    pub meta: Option<Meta>,
    pub contained: Contained,
    pub status: Option<String>,
    pub medication_codeable_concept: Option<CodeableConcept>,
    pub medication_reference: Option<Reference>,
    pub effective_date_time: Option<String>,
    pub effective_period: Option<Period>,
    pub date_asserted: Option<String>,
    pub reason_code: Vec<CodeableConcept>,
    pub dosage: Vec<Dosage>,
    pub note: Vec<Annotation>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Dosage {
    pub text: Option<String>,
    pub patient_instruction: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct DispenseRequest {
    pub validity_period: Option<Period>,
    pub number_of_repeats_allowed: Option<u32>,
    pub quantity: Option<Quantity>,
    pub expected_supply_duration: Option<Quantity>,
}

/// The medicine a `medication[x]` names: its concept, else the contained or bundled
/// `Medication` its reference points at.
fn medicine<'a>(
    concept: Option<&'a CodeableConcept>,
    reference: Option<&'a Reference>,
    contained: &'a Contained,
    bundled: &'a Bundled,
) -> Option<Cow<'a, CodeableConcept>> {
    if let Some(concept) = concept {
        return Some(Cow::Borrowed(concept));
    }
    let target = reference?.reference.as_deref()?;
    match target.strip_prefix('#') {
        Some(local) => contained_medication(contained, local)?.code.map(Cow::Owned),
        None => bundled.medication(target).map(Cow::Borrowed),
    }
}

/// Each dosage in words (its text, else the patient's instruction).
fn dosage_text(dosage: &[Dosage]) -> Option<String> {
    let parts: Vec<&str> = dosage
        .iter()
        .filter_map(|d| {
            non_empty(d.text.as_deref()).or(non_empty(d.patient_instruction.as_deref()))
        })
        .collect();
    (!parts.is_empty()).then(|| parts.join("; "))
}

/// `56 tablet, 28 days, 2 repeats`.
fn supply_text(d: &DispenseRequest) -> Option<String> {
    let parts: Vec<String> = [
        d.quantity.as_ref().and_then(quantity_text),
        d.expected_supply_duration.as_ref().and_then(quantity_text),
        d.number_of_repeats_allowed.map(|n| match n {
            1 => "1 repeat".to_owned(),
            n => format!("{n} repeats"),
        }),
    ]
    .into_iter()
    .flatten()
    .collect();
    (!parts.is_empty()).then(|| parts.join(", "))
}

fn reasons(reason_code: &[CodeableConcept]) -> Option<String> {
    let reasons: Vec<String> = reason_code.iter().filter_map(concept_text).collect();
    (!reasons.is_empty()).then(|| reasons.join(", "))
}

impl Clinical for MedicationRequest {
    identity!();

    fn date(&self) -> Option<&str> {
        self.authored_on.as_deref().or_else(|| {
            let validity = self.dispense_request.as_ref()?.validity_period.as_ref()?;
            When::Period(validity).date()
        })
    }

    fn what<'a>(&'a self, bundled: &'a Bundled) -> Option<Cow<'a, CodeableConcept>> {
        medicine(
            self.medication_codeable_concept.as_ref(),
            self.medication_reference.as_ref(),
            &self.contained,
            bundled,
        )
    }

    fn title_words(&self) -> Option<String> {
        self.medication_reference.as_ref()?.display.clone()
    }

    fn until(&self) -> Option<&str> {
        let validity = self.dispense_request.as_ref()?.validity_period.as_ref()?;
        validity.end.as_deref()
    }

    fn detail(&self) -> Vec<String> {
        let intent = self
            .intent
            .as_deref()
            .filter(|i| !matches!(*i, "order" | "original-order" | "instance-order"));
        [
            dosage_text(&self.dosage_instruction),
            labelled(
                "Supply",
                self.dispense_request.as_ref().and_then(supply_text),
            ),
            labelled("Intent", intent.map(str::to_owned)),
            labelled("Reason", reasons(&self.reason_code)),
        ]
        .into_iter()
        .flatten()
        .collect()
    }

    plain_status!();
}

impl Clinical for MedicationStatement {
    identity!();

    fn date(&self) -> Option<&str> {
        When::first([
            self.effective_date_time.as_deref().map(When::DateTime),
            self.effective_period.as_ref().map(When::Period),
        ])
        .and_then(When::date)
        .or(self.date_asserted.as_deref())
    }

    fn what<'a>(&'a self, bundled: &'a Bundled) -> Option<Cow<'a, CodeableConcept>> {
        medicine(
            self.medication_codeable_concept.as_ref(),
            self.medication_reference.as_ref(),
            &self.contained,
            bundled,
        )
    }

    fn title_words(&self) -> Option<String> {
        self.medication_reference.as_ref()?.display.clone()
    }

    fn until(&self) -> Option<&str> {
        self.effective_period.as_ref()?.end.as_deref()
    }

    fn detail(&self) -> Vec<String> {
        let ended = self
            .effective_period
            .as_ref()
            .and_then(|p| When::Period(p).words());
        [
            dosage_text(&self.dosage),
            ended.map(|e| format!("Taken {e}")),
            labelled("Reason", reasons(&self.reason_code)),
        ]
        .into_iter()
        .flatten()
        .collect()
    }

    plain_status!();
}
