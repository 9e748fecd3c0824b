//! `Procedure` and `Immunization` as R4 defines them: `performed[x]` in any of five shapes
//! (words and ages included) and `occurrence[x]` as a dateTime or words.

use super::fields::{self, field};
use super::{identity, labelled, plain_status, Clinical};
use crate::fhir::datatypes::{
    concept_text, quantity_text, Annotation, CodeableConcept, Period, Quantity, Range, Reference,
    When,
};
use crate::fhir::resource::{Bundled, Meta};
use app::detail::{DetailField, Note};
use serde::Deserialize;
use std::borrow::Cow;

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Procedure {
    pub id: Option<String>,
    pub meta: Option<Meta>,
    pub text: Option<crate::fhir::datatypes::Narrative>,
    pub status: Option<String>,
    pub status_reason: Option<CodeableConcept>,
    pub category: Option<CodeableConcept>,
    pub code: Option<CodeableConcept>,
    pub performed_date_time: Option<String>,
    pub performed_period: Option<Period>,
    pub performed_string: Option<String>,
    pub performed_age: Option<Quantity>,
    pub performed_range: Option<Range>,
    pub reason_code: Vec<CodeableConcept>,
    pub reason_reference: Vec<Reference>,
    pub body_site: Vec<CodeableConcept>,
    pub outcome: Option<CodeableConcept>,
    pub performer: Vec<Performer>,
    pub location: Option<Reference>,
    pub complication: Vec<CodeableConcept>,
    pub follow_up: Vec<CodeableConcept>,
    pub note: Vec<Annotation>,
}

/// Who performed a procedure or gave a vaccine, and in what role.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Performer {
    pub function: Option<CodeableConcept>,
    pub actor: Option<Reference>,
}

/// Each performer's display, with their role.
fn performers(list: &[Performer]) -> Option<String> {
    let words: Vec<String> = list
        .iter()
        .filter_map(|p| {
            let who = fields::shown(&p.actor)?;
            Some(match fields::concept(&p.function) {
                Some(role) => format!("{who} ({role})"),
                None => who,
            })
        })
        .collect();
    (!words.is_empty()).then(|| words.join("; "))
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

    fn reason_codes(&self) -> Vec<&CodeableConcept> {
        self.reason_code.iter().collect()
    }

    fn reason_references(&self) -> Vec<&Reference> {
        self.reason_reference.iter().collect()
    }

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

    fn fields(&self) -> Vec<DetailField> {
        fields::fields([
            field("Status", self.status.clone()),
            field("Not done because", fields::concept(&self.status_reason)),
            field("Category", fields::concept(&self.category)),
            field("Procedure", fields::concept(&self.code)),
            field("Performed", self.performed().and_then(fields::when)),
            field("Performed by", performers(&self.performer)),
            field("Location", fields::shown(&self.location)),
            field("Reason", fields::concepts(&self.reason_code)),
            field("Body site", fields::concepts(&self.body_site)),
            field("Outcome", fields::concept(&self.outcome)),
            field("Complications", fields::concepts(&self.complication)),
            field("Follow-up", fields::concepts(&self.follow_up)),
        ])
    }

    fn notes(&self) -> Vec<Note> {
        fields::notes(&self.note)
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Immunization {
    pub id: Option<String>,
    pub meta: Option<Meta>,
    pub text: Option<crate::fhir::datatypes::Narrative>,
    /// `completed`, `entered-in-error` or `not-done`.
    pub status: Option<String>,
    pub status_reason: Option<CodeableConcept>,
    pub vaccine_code: Option<CodeableConcept>,
    pub occurrence_date_time: Option<String>,
    pub occurrence_string: Option<String>,
    pub recorded: Option<String>,
    pub primary_source: Option<bool>,
    pub manufacturer: Option<Reference>,
    pub lot_number: Option<String>,
    pub expiration_date: Option<String>,
    pub site: Option<CodeableConcept>,
    pub route: Option<CodeableConcept>,
    pub dose_quantity: Option<Quantity>,
    pub performer: Vec<Performer>,
    pub reason_code: Vec<CodeableConcept>,
    pub reason_reference: Vec<Reference>,
    pub protocol_applied: Vec<ProtocolApplied>,
    pub note: Vec<Annotation>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ProtocolApplied {
    pub series: Option<String>,
    pub target_disease: Vec<CodeableConcept>,
    pub dose_number_positive_int: Option<u32>,
    pub dose_number_string: Option<String>,
    pub series_doses_positive_int: Option<u32>,
    pub series_doses_string: Option<String>,
}

impl Clinical for Immunization {
    identity!();

    fn reason_codes(&self) -> Vec<&CodeableConcept> {
        self.reason_code.iter().collect()
    }

    fn reason_references(&self) -> Vec<&Reference> {
        self.reason_reference.iter().collect()
    }

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

    fn fields(&self) -> Vec<DetailField> {
        let occurrence = When::first([
            self.occurrence_date_time.as_deref().map(When::DateTime),
            self.occurrence_string.as_deref().map(When::Text),
        ]);
        let mut all = vec![
            field("Status", self.status.clone()),
            field("Not given because", fields::concept(&self.status_reason)),
            field("Vaccine", fields::concept(&self.vaccine_code)),
            field("Given", occurrence.and_then(fields::when)),
            field("Recorded", fields::date(&self.recorded)),
            field("Primary source", fields::yes_no(self.primary_source)),
            field("Manufacturer", fields::shown(&self.manufacturer)),
            field("Batch", self.lot_number.clone()),
            field("Expiry", fields::date(&self.expiration_date)),
            field("Site", fields::concept(&self.site)),
            field("Route", fields::concept(&self.route)),
            field("Dose", fields::quantity(&self.dose_quantity)),
            field("Given by", performers(&self.performer)),
            field("Reason", fields::concepts(&self.reason_code)),
        ];
        for p in &self.protocol_applied {
            let dose = p
                .dose_number_positive_int
                .map(|n| n.to_string())
                .or_else(|| p.dose_number_string.clone());
            let of = p
                .series_doses_positive_int
                .map(|n| n.to_string())
                .or_else(|| p.series_doses_string.clone());
            let dose = match (dose, of) {
                (Some(d), Some(of)) => Some(format!("{d} of {of}")),
                (d, _) => d,
            };
            all.extend([
                field("Series", p.series.clone()),
                field("Against", fields::concepts(&p.target_disease)),
                field("Dose number", dose),
            ]);
        }
        fields::fields(all)
    }

    fn notes(&self) -> Vec<Note> {
        fields::notes(&self.note)
    }
}
