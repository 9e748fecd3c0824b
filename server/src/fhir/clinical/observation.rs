//! `Observation` and `DiagnosticReport` as R4 defines them: `value[x]` in every shape it
//! allows (on the observation and on each component), why a value is absent, the source's
//! interpretation and reference range, and `effective[x]` as a moment, period or timing.

use super::fields::{self, field};
use super::{identity, labelled, plain_status, Clinical};
use crate::fhir::datatypes::{
    codes, concept_code, concept_text, period_text, quantity_text, range_text, ratio_text,
    Annotation, CodeableConcept, Period, Quantity, Range, Ratio, Reference, Timing, When,
};
use crate::fhir::resource::{Bundled, Meta};
use app::detail::{DetailField, Note};
use app::model::{ComponentMeasurement, Measurement};
use serde::de::IgnoredAny;
use serde::Deserialize;
use std::borrow::Cow;

/// Declares a struct holding `value[x]` in each of its R4 shapes beside the given fields,
/// with `dataAbsentReason`, `interpretation` and `referenceRange` (shared by an observation
/// and its components).
macro_rules! with_value {
    ($(#[$m:meta])* pub struct $name:ident { $($(#[$fm:meta])* pub $field:ident : $ty:ty,)* }) => {
        $(#[$m])*
        pub struct $name {
            $($(#[$fm])* pub $field: $ty,)*
            pub value_quantity: Option<Quantity>,
            pub value_codeable_concept: Option<CodeableConcept>,
            pub value_string: Option<String>,
            pub value_boolean: Option<bool>,
            pub value_integer: Option<i64>,
            pub value_range: Option<Range>,
            pub value_ratio: Option<Ratio>,
            pub value_sampled_data: Option<IgnoredAny>,
            pub value_time: Option<String>,
            pub value_date_time: Option<String>,
            pub value_period: Option<Period>,
            pub data_absent_reason: Option<CodeableConcept>,
            pub interpretation: Vec<CodeableConcept>,
            pub reference_range: Vec<ReferenceRange>,
        }

        impl $name {
            /// The value in words, marked as the source interpreted it, or why it is absent.
            fn value_words(&self) -> Option<String> {
                let value = [
                    self.value_quantity.as_ref().and_then(quantity_text),
                    self.value_codeable_concept.as_ref().and_then(concept_text),
                    self.value_string.clone(),
                    self.value_boolean.map(|b| if b { "yes" } else { "no" }.to_owned()),
                    self.value_integer.map(|i| i.to_string()),
                    self.value_range.as_ref().and_then(|r| range_text(r, quantity_text)),
                    self.value_ratio.as_ref().and_then(ratio_text),
                    self.value_sampled_data.map(|_| "waveform (not shown)".to_owned()),
                    self.value_time.clone(),
                    self.value_date_time.clone(),
                    self.value_period.as_ref().and_then(period_text),
                ]
                .into_iter()
                .flatten()
                .find(|v| !v.trim().is_empty());
                match value {
                    Some(value) => Some(match interpretation_mark(&self.interpretation) {
                        Some(mark) => format!("{value} ({mark})"),
                        None => value,
                    }),
                    None => self
                        .data_absent_reason
                        .as_ref()
                        .and_then(concept_text)
                        .map(|why| format!("not recorded: {why}")),
                }
            }
        }
    };
}

with_value! {
    #[derive(Debug, Default, Deserialize)]
    #[serde(rename_all = "camelCase", default)]
    pub struct Observation {
        pub id: Option<String>,
        pub meta: Option<Meta>,
        pub text: Option<crate::fhir::datatypes::Narrative>,
        pub status: Option<String>,
        pub category: Vec<CodeableConcept>,
        pub code: Option<CodeableConcept>,
        pub effective_date_time: Option<String>,
        pub effective_period: Option<Period>,
        pub effective_timing: Option<Timing>,
        pub effective_instant: Option<String>,
        pub issued: Option<String>,
        pub performer: Vec<Reference>,
        pub method: Option<CodeableConcept>,
        pub body_site: Option<CodeableConcept>,
        pub specimen: Option<Reference>,
        pub note: Vec<Annotation>,
        pub component: Vec<Component>,
    }
}

with_value! {
    #[derive(Debug, Default, Deserialize)]
    #[serde(rename_all = "camelCase", default)]
    pub struct Component {
        pub code: Option<CodeableConcept>,
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ReferenceRange {
    pub low: Option<Quantity>,
    pub high: Option<Quantity>,
    #[serde(rename = "type")]
    pub type_: Option<CodeableConcept>,
    pub text: Option<String>,
}

/// `H`, `L`, `A` (or the interpretation's words) when the source marked the value.
fn interpretation_mark(interpretation: &[CodeableConcept]) -> Option<String> {
    let concept = interpretation.first()?;
    let mark = Measurement {
        value: String::new(),
        unit: None,
        interpretation: concept_code(concept).map(str::to_owned),
        ..Default::default()
    }
    .marker();
    match (mark, concept_code(concept)) {
        (Some(mark), _) => Some(mark.to_owned()),
        (None, Some("N")) => None,
        (None, _) => concept_text(concept),
    }
}

/// `3.5 to 5.3 mmol/L`, or the range's own words.
fn range_words(ranges: &[ReferenceRange]) -> Option<String> {
    ranges.first().and_then(one_range)
}

fn one_range(r: &ReferenceRange) -> Option<String> {
    r.text.clone().or_else(|| {
        range_text(
            &Range {
                low: r.low.clone(),
                high: r.high.clone(),
            },
            quantity_text,
        )
    })
}

/// Every reference range in words, each with its type when it has one (`normal`).
fn all_ranges(ranges: &[ReferenceRange]) -> Option<String> {
    let words: Vec<String> = ranges
        .iter()
        .filter_map(|r| {
            let range = one_range(r)?;
            Some(match fields::concept(&r.type_) {
                Some(kind) => format!("{range} ({kind})"),
                None => range,
            })
        })
        .collect();
    (!words.is_empty()).then(|| words.join("; "))
}

impl Observation {
    /// A numeric value with its range and interpretation, and each measured component (a
    /// blood pressure's systolic and diastolic) with its own.
    fn measured(&self) -> Option<Measurement> {
        let components: Vec<ComponentMeasurement> = self
            .component
            .iter()
            .filter_map(|c| {
                Some(ComponentMeasurement {
                    codes: c
                        .code
                        .as_ref()
                        .map(|k| codes(&k.coding))
                        .unwrap_or_default(),
                    measurement: measured(
                        c.value_quantity.as_ref(),
                        &c.reference_range,
                        &c.interpretation,
                    )?,
                })
            })
            .collect();
        match measured(
            self.value_quantity.as_ref(),
            &self.reference_range,
            &self.interpretation,
        ) {
            Some(own) => Some(Measurement { components, ..own }),
            None => (!components.is_empty()).then(|| Measurement {
                components,
                ..Default::default()
            }),
        }
    }
}

/// A `valueQuantity` with a value, with the first reference range and the interpretation.
fn measured(
    quantity: Option<&Quantity>,
    ranges: &[ReferenceRange],
    interpretation: &[CodeableConcept],
) -> Option<Measurement> {
    let quantity = quantity?;
    let range = ranges.first();
    let bound = |q: Option<&Quantity>| q.and_then(|q| q.value.as_ref()).map(|v| v.to_string());
    Some(Measurement {
        value: quantity.value.as_ref()?.to_string(),
        unit: quantity.unit.clone().or_else(|| quantity.code.clone()),
        interpretation: interpretation
            .iter()
            .find_map(concept_code)
            .map(str::to_owned),
        low: bound(range.and_then(|r| r.low.as_ref())),
        high: bound(range.and_then(|r| r.high.as_ref())),
        components: Vec::new(),
    })
}

impl Clinical for Observation {
    identity!();

    fn date(&self) -> Option<&str> {
        When::first([
            self.effective_date_time.as_deref().map(When::DateTime),
            self.effective_instant.as_deref().map(When::DateTime),
            self.effective_period.as_ref().map(When::Period),
            self.effective_timing.as_ref().map(When::Timing),
        ])
        .and_then(When::date)
        .or(self.issued.as_deref())
    }

    fn what<'a>(&'a self, _: &'a Bundled) -> Option<Cow<'a, CodeableConcept>> {
        self.code.as_ref().map(Cow::Borrowed)
    }

    fn title_words(&self) -> Option<String> {
        None
    }

    /// `78.5 kg (H)`, or for panels such as blood pressure
    /// `Systolic 128 mm[Hg]; Diastolic 82 mm[Hg]`, then the reference range.
    fn detail(&self) -> Vec<String> {
        let value = self.value_words().or_else(|| {
            let parts: Vec<String> = self
                .component
                .iter()
                .filter_map(|c| {
                    let value = c.value_words()?;
                    Some(match c.code.as_ref().and_then(concept_text) {
                        Some(name) => format!("{name} {value}"),
                        None => value,
                    })
                })
                .collect();
            (!parts.is_empty()).then(|| parts.join("; "))
        });
        [
            value,
            labelled("Range", range_words(&self.reference_range)),
            labelled("Site", self.body_site.as_ref().and_then(concept_text)),
        ]
        .into_iter()
        .flatten()
        .collect()
    }

    plain_status!();

    fn fields(&self) -> Vec<DetailField> {
        let effective = When::first([
            self.effective_date_time.as_deref().map(When::DateTime),
            self.effective_instant.as_deref().map(When::DateTime),
            self.effective_period.as_ref().map(When::Period),
            self.effective_timing.as_ref().map(When::Timing),
        ]);
        let mut all = vec![
            field("Status", self.status.clone()),
            field("Category", fields::concepts(&self.category)),
            field("Test", fields::concept(&self.code)),
            field("Taken", effective.and_then(fields::when)),
            field("Issued", fields::date(&self.issued)),
            field("Value", self.value_words()),
            field("Interpretation", fields::concepts(&self.interpretation)),
            field("Reference range", all_ranges(&self.reference_range)),
            field("Method", fields::concept(&self.method)),
            field("Body site", fields::concept(&self.body_site)),
            field("Specimen", fields::shown(&self.specimen)),
            field("Performed by", fields::shown_all(&self.performer)),
        ];
        for c in &self.component {
            let name = fields::concept(&c.code).unwrap_or_else(|| "Component".to_owned());
            let range = all_ranges(&c.reference_range).map(|r| format!(" (range {r})"));
            all.push(field(
                name,
                c.value_words()
                    .map(|v| format!("{v}{}", range.unwrap_or_default())),
            ));
        }
        fields::fields(all)
    }

    fn notes(&self) -> Vec<Note> {
        fields::notes(&self.note)
    }

    fn measurement(&self) -> Option<Measurement> {
        self.measured()
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct DiagnosticReport {
    pub id: Option<String>,
    pub meta: Option<Meta>,
    pub text: Option<crate::fhir::datatypes::Narrative>,
    pub status: Option<String>,
    pub category: Vec<CodeableConcept>,
    pub code: Option<CodeableConcept>,
    pub effective_date_time: Option<String>,
    pub effective_period: Option<Period>,
    pub issued: Option<String>,
    pub performer: Vec<Reference>,
    pub results_interpreter: Vec<Reference>,
    pub result: Vec<Reference>,
    pub conclusion: Option<String>,
    pub conclusion_code: Vec<CodeableConcept>,
}

impl Clinical for DiagnosticReport {
    identity!();

    fn date(&self) -> Option<&str> {
        When::first([
            self.effective_date_time.as_deref().map(When::DateTime),
            self.effective_period.as_ref().map(When::Period),
        ])
        .and_then(When::date)
        .or(self.issued.as_deref())
    }

    fn what<'a>(&'a self, _: &'a Bundled) -> Option<Cow<'a, CodeableConcept>> {
        self.code.as_ref().map(Cow::Borrowed)
    }

    fn title_words(&self) -> Option<String> {
        None
    }

    fn detail(&self) -> Vec<String> {
        let coded: Vec<String> = self
            .conclusion_code
            .iter()
            .filter_map(concept_text)
            .collect();
        let conclusion = self
            .conclusion
            .clone()
            .or_else(|| (!coded.is_empty()).then(|| coded.join(", ")));
        conclusion.into_iter().collect()
    }

    plain_status!();

    fn fields(&self) -> Vec<DetailField> {
        let effective = When::first([
            self.effective_date_time.as_deref().map(When::DateTime),
            self.effective_period.as_ref().map(When::Period),
        ]);
        fields::fields([
            field("Status", self.status.clone()),
            field("Category", fields::concepts(&self.category)),
            field("Report", fields::concept(&self.code)),
            field("Taken", effective.and_then(fields::when)),
            field("Issued", fields::date(&self.issued)),
            field("Performed by", fields::shown_all(&self.performer)),
            field(
                "Interpreted by",
                fields::shown_all(&self.results_interpreter),
            ),
            field("Results", fields::shown_all(&self.result)),
            field("Conclusion", self.conclusion.clone()),
            field("Coded conclusion", fields::concepts(&self.conclusion_code)),
        ])
    }

    fn notes(&self) -> Vec<Note> {
        Vec::new()
    }
}
