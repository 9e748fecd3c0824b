//! `MedicationRequest` and `MedicationStatement` as R4 defines them: `medication[x]` as a
//! concept or a reference (to a contained `Medication`, or one bundled beside it), dosage in
//! words, and for requests the intent and what is to be supplied.

use super::fields::{self, field};
use super::{identity, labelled, plain_status, Clinical};
use crate::fhir::datatypes::{
    concept_text, non_empty, quantity_text, range_text, ratio_text, timing_text, Annotation,
    CodeableConcept, Period, Quantity, Range, Ratio, Reference, Timing, When,
};
use crate::fhir::resource::{contained_medication, Bundled, Contained, Meta};
use app::detail::{DetailField, Note};
use serde::Deserialize;
use std::borrow::Cow;

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct MedicationRequest {
    pub id: Option<String>,
    pub meta: Option<Meta>,
    pub text: Option<crate::fhir::datatypes::Narrative>,
    pub contained: Contained,
    pub status: Option<String>,
    pub status_reason: Option<CodeableConcept>,
    /// `proposal`, `plan`, `order`, `original-order`, `reflex-order`, `filler-order`,
    /// `instance-order`, `option`.
    pub intent: Option<String>,
    pub category: Vec<CodeableConcept>,
    pub priority: Option<String>,
    pub requester: Option<Reference>,
    pub course_of_therapy_type: Option<CodeableConcept>,
    pub medication_codeable_concept: Option<CodeableConcept>,
    pub medication_reference: Option<Reference>,
    pub authored_on: Option<String>,
    pub reason_code: Vec<CodeableConcept>,
    pub reason_reference: Vec<Reference>,
    pub dosage_instruction: Vec<Dosage>,
    pub dispense_request: Option<DispenseRequest>,
    pub note: Vec<Annotation>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct MedicationStatement {
    pub id: Option<String>,
    pub meta: Option<Meta>,
    pub text: Option<crate::fhir::datatypes::Narrative>,
    pub contained: Contained,
    pub status: Option<String>,
    pub status_reason: Vec<CodeableConcept>,
    pub category: Option<CodeableConcept>,
    pub medication_codeable_concept: Option<CodeableConcept>,
    pub medication_reference: Option<Reference>,
    pub information_source: Option<Reference>,
    pub effective_date_time: Option<String>,
    pub effective_period: Option<Period>,
    pub date_asserted: Option<String>,
    pub reason_code: Vec<CodeableConcept>,
    pub reason_reference: Vec<Reference>,
    pub dosage: Vec<Dosage>,
    pub note: Vec<Annotation>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Dosage {
    pub text: Option<String>,
    pub patient_instruction: Option<String>,
    pub additional_instruction: Vec<CodeableConcept>,
    pub timing: Option<Timing>,
    pub as_needed_boolean: Option<bool>,
    pub as_needed_codeable_concept: Option<CodeableConcept>,
    pub site: Option<CodeableConcept>,
    pub route: Option<CodeableConcept>,
    pub method: Option<CodeableConcept>,
    pub dose_and_rate: Vec<DoseAndRate>,
    pub max_dose_per_period: Option<Ratio>,
}

/// `Dosage.doseAndRate`: `dose[x]` as a quantity or range, `rate[x]` as a ratio, range or
/// quantity.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct DoseAndRate {
    #[serde(rename = "type")]
    pub type_: Option<CodeableConcept>,
    pub dose_quantity: Option<Quantity>,
    pub dose_range: Option<Range>,
    pub rate_ratio: Option<Ratio>,
    pub rate_range: Option<Range>,
    pub rate_quantity: Option<Quantity>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct DispenseRequest {
    pub validity_period: Option<Period>,
    pub number_of_repeats_allowed: Option<u32>,
    pub quantity: Option<Quantity>,
    pub expected_supply_duration: Option<Quantity>,
    pub performer: Option<Reference>,
}

/// Each dosage's fields: its words, timing, when needed, route, dose and rate, numbered
/// when there are several.
fn dosage_fields(dosage: &[Dosage]) -> Vec<Option<DetailField>> {
    let numbered = dosage.len() > 1;
    let mut all = Vec::new();
    for (n, d) in dosage.iter().enumerate() {
        let label = |what: &str| match numbered {
            true => format!("Dosage {}: {what}", n + 1),
            false => format!("Dosage: {what}"),
        };
        let as_needed = match (&d.as_needed_codeable_concept, d.as_needed_boolean) {
            (Some(c), _) => concept_text(c).map(|why| format!("as needed for {why}")),
            (None, b) => fields::yes_no(b),
        };
        let doses: Vec<String> = d
            .dose_and_rate
            .iter()
            .filter_map(|r| {
                r.dose_quantity
                    .as_ref()
                    .and_then(quantity_text)
                    .or_else(|| {
                        r.dose_range
                            .as_ref()
                            .and_then(|x| range_text(x, quantity_text))
                    })
            })
            .collect();
        let rates: Vec<String> = d
            .dose_and_rate
            .iter()
            .filter_map(|r| {
                r.rate_ratio
                    .as_ref()
                    .and_then(ratio_text)
                    .or_else(|| {
                        r.rate_range
                            .as_ref()
                            .and_then(|x| range_text(x, quantity_text))
                    })
                    .or_else(|| r.rate_quantity.as_ref().and_then(quantity_text))
            })
            .collect();
        all.extend([
            field(label("instructions"), d.text.clone()),
            field(label("patient instruction"), d.patient_instruction.clone()),
            field(
                label("additional instruction"),
                fields::concepts(&d.additional_instruction),
            ),
            field(label("timing"), d.timing.as_ref().and_then(timing_text)),
            field(label("as needed"), as_needed),
            field(label("dose"), (!doses.is_empty()).then(|| doses.join(", "))),
            field(label("rate"), (!rates.is_empty()).then(|| rates.join(", "))),
            field(label("route"), fields::concept(&d.route)),
            field(label("site"), fields::concept(&d.site)),
            field(label("method"), fields::concept(&d.method)),
            field(
                label("maximum"),
                d.max_dose_per_period.as_ref().and_then(ratio_text),
            ),
        ]);
    }
    all
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

    fn reason_codes(&self) -> Vec<&CodeableConcept> {
        self.reason_code.iter().collect()
    }

    fn reason_references(&self) -> Vec<&Reference> {
        self.reason_reference.iter().collect()
    }

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

    fn fields(&self) -> Vec<DetailField> {
        let supply = self.dispense_request.as_ref();
        let mut all = vec![
            field("Status", self.status.clone()),
            field("Status reason", fields::concept(&self.status_reason)),
            field("Intent", self.intent.clone()),
            field("Category", fields::concepts(&self.category)),
            field("Priority", self.priority.clone()),
            field(
                "Course of therapy",
                fields::concept(&self.course_of_therapy_type),
            ),
            field("Authored", fields::date(&self.authored_on)),
            field("Prescriber", fields::shown(&self.requester)),
            field("Reason", fields::concepts(&self.reason_code)),
        ];
        all.extend(dosage_fields(&self.dosage_instruction));
        all.extend([
            field(
                "Quantity",
                supply.and_then(|d| fields::quantity(&d.quantity)),
            ),
            field(
                "Supply duration",
                supply.and_then(|d| fields::quantity(&d.expected_supply_duration)),
            ),
            field(
                "Repeats allowed",
                supply
                    .and_then(|d| d.number_of_repeats_allowed)
                    .map(|n| n.to_string()),
            ),
            field(
                "Valid",
                supply
                    .and_then(|d| d.validity_period.as_ref())
                    .and_then(fields::period),
            ),
            field(
                "Dispenser",
                supply.and_then(|d| fields::shown(&d.performer)),
            ),
        ]);
        fields::fields(all)
    }

    fn notes(&self) -> Vec<Note> {
        fields::notes(&self.note)
    }
}

impl Clinical for MedicationStatement {
    identity!();

    fn reason_codes(&self) -> Vec<&CodeableConcept> {
        self.reason_code.iter().collect()
    }

    fn reason_references(&self) -> Vec<&Reference> {
        self.reason_reference.iter().collect()
    }

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

    fn fields(&self) -> Vec<DetailField> {
        let taken = When::first([
            self.effective_date_time.as_deref().map(When::DateTime),
            self.effective_period.as_ref().map(When::Period),
        ]);
        let mut all = vec![
            field("Status", self.status.clone()),
            field("Status reason", fields::concepts(&self.status_reason)),
            field("Category", fields::concept(&self.category)),
            field("Taken", taken.and_then(fields::when)),
            field("Asserted", fields::date(&self.date_asserted)),
            field("Information from", fields::shown(&self.information_source)),
            field("Reason", fields::concepts(&self.reason_code)),
        ];
        all.extend(dosage_fields(&self.dosage));
        fields::fields(all)
    }

    fn notes(&self) -> Vec<Note> {
        fields::notes(&self.note)
    }
}
