//! `Procedure` and `Immunization` as R4 defines them: `performed[x]` in any of five shapes
//! (words and ages included) and `occurrence[x]` as a dateTime or words.

use super::{identity, labelled, plain_status, Clinical};
use crate::fhir::datatypes::{
    concept_text, quantity_text, Annotation, CodeableConcept, Period, Quantity, Range, When,
};
use crate::fhir::resource::{Bundled, Meta};
use serde::Deserialize;
use std::borrow::Cow;

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Procedure {
    pub id: Option<String>,
    pub meta: Option<Meta>,
    pub status: Option<String>,
    pub status_reason: Option<CodeableConcept>,
    pub code: Option<CodeableConcept>,
    pub performed_date_time: Option<String>,
    pub performed_period: Option<Period>,
    pub performed_string: Option<String>,
    pub performed_age: Option<Quantity>,
    pub performed_range: Option<Range>,
    pub reason_code: Vec<CodeableConcept>,
    pub body_site: Vec<CodeableConcept>,
    pub outcome: Option<CodeableConcept>,
    pub note: Vec<Annotation>,
}

impl Procedure {
    fn performed(&self) -> Option<When<'_>> {
        When::of_five(
            &self.performed_date_time,
            &self.performed_period,
            &self.performed_age,
            &self.performed_range,
            &self.performed_string,
        )
    }
}

fn joined(concepts: &[CodeableConcept]) -> Option<String> {
    let words: Vec<String> = concepts.iter().filter_map(concept_text).collect();
    (!words.is_empty()).then(|| words.join(", "))
}

impl Clinical for Procedure {
    identity!();

    fn date(&self) -> Option<&str> {
        self.performed().and_then(When::date)
    }

    fn what<'a>(&'a self, _: &'a Bundled) -> Option<Cow<'a, CodeableConcept>> {
        self.code.as_ref().map(Cow::Borrowed)
    }

    fn title_words(&self) -> Option<String> {
        None
    }

    fn detail(&self) -> Vec<String> {
        [
            labelled("Performed", self.performed().and_then(When::words)),
            labelled("Site", joined(&self.body_site)),
            labelled("Outcome", self.outcome.as_ref().and_then(concept_text)),
            labelled("Reason", joined(&self.reason_code)),
            labelled(
                "Not done because",
                self.status_reason.as_ref().and_then(concept_text),
            ),
        ]
        .into_iter()
        .flatten()
        .collect()
    }

    plain_status!();
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Immunization {
    pub id: Option<String>,
    pub meta: Option<Meta>,
    /// `completed`, `entered-in-error` or `not-done`.
    pub status: Option<String>,
    pub status_reason: Option<CodeableConcept>,
    pub vaccine_code: Option<CodeableConcept>,
    pub occurrence_date_time: Option<String>,
    pub occurrence_string: Option<String>,
    pub recorded: Option<String>,
    pub dose_quantity: Option<Quantity>,
    pub protocol_applied: Vec<ProtocolApplied>,
    pub note: Vec<Annotation>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ProtocolApplied {
    pub dose_number_positive_int: Option<u32>,
    pub dose_number_string: Option<String>,
}

impl Clinical for Immunization {
    identity!();

    fn date(&self) -> Option<&str> {
        self.occurrence_date_time
            .as_deref()
            .or(self.recorded.as_deref())
    }

    fn what<'a>(&'a self, _: &'a Bundled) -> Option<Cow<'a, CodeableConcept>> {
        self.vaccine_code.as_ref().map(Cow::Borrowed)
    }

    fn title_words(&self) -> Option<String> {
        None
    }

    fn detail(&self) -> Vec<String> {
        let dose_number = self.protocol_applied.iter().find_map(|p| {
            p.dose_number_positive_int
                .map(|n| n.to_string())
                .or_else(|| p.dose_number_string.clone())
        });
        [
            labelled("Given", self.occurrence_string.clone()),
            labelled("Dose number", dose_number),
            labelled("Dose", self.dose_quantity.as_ref().and_then(quantity_text)),
            labelled(
                "Not given because",
                self.status_reason.as_ref().and_then(concept_text),
            ),
        ]
        .into_iter()
        .flatten()
        .collect()
    }

    plain_status!();
}
