//! `AllergyIntolerance` as R4 defines it: `type` and `criticality` are codes, `category` a
//! list of codes, `onset[x]` any of five shapes, reactions with manifestations and severity.

use super::fields::{self, field};
use super::{identity, labelled, verified_in_error, verified_status, Clinical};
use crate::fhir::datatypes::{
    concept_text, Annotation, CodeableConcept, Period, Quantity, Range, Reference, When,
};
use crate::fhir::resource::{Bundled, Meta};
use app::detail::{DetailField, Note};
use serde::Deserialize;
use std::borrow::Cow;

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct AllergyIntolerance {
    pub id: Option<String>,
    pub meta: Option<Meta>,
    pub text: Option<crate::fhir::datatypes::Narrative>,
    pub clinical_status: Option<CodeableConcept>,
    pub verification_status: Option<CodeableConcept>,
    /// `allergy` or `intolerance` (a code: a JSON string).
    #[serde(rename = "type")]
    pub type_: Option<String>,
    /// `food`, `medication`, `environment`, `biologic`.
    pub category: Vec<String>,
    /// `low`, `high`, `unable-to-assess`.
    pub criticality: Option<String>,
    pub code: Option<CodeableConcept>,
    pub onset_date_time: Option<String>,
    pub onset_age: Option<Quantity>,
    pub onset_period: Option<Period>,
    pub onset_range: Option<Range>,
    pub onset_string: Option<String>,
    pub recorded_date: Option<String>,
    pub last_occurrence: Option<String>,
    pub recorder: Option<Reference>,
    pub asserter: Option<Reference>,
    pub reaction: Vec<Reaction>,
    pub note: Vec<Annotation>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Reaction {
    pub substance: Option<CodeableConcept>,
    pub manifestation: Vec<CodeableConcept>,
    pub description: Option<String>,
    /// `mild`, `moderate`, `severe`.
    pub severity: Option<String>,
    pub onset: Option<String>,
    pub exposure_route: Option<CodeableConcept>,
    pub note: Vec<Annotation>,
}

impl AllergyIntolerance {
    fn onset(&self) -> Option<When<'_>> {
        When::of_five(
            &self.onset_date_time,
            &self.onset_period,
            &self.onset_age,
            &self.onset_range,
            &self.onset_string,
        )
    }
}

/// `Anaphylaxis (severe)`, or the reaction's own words.
fn reaction_text(r: &Reaction) -> Option<String> {
    let manifestations: Vec<String> = r.manifestation.iter().filter_map(concept_text).collect();
    let what = if manifestations.is_empty() {
        r.description.clone()?
    } else {
        manifestations.join(", ")
    };
    Some(match r.severity.as_deref() {
        Some(severity) => format!("{what} ({severity})"),
        None => what,
    })
}

impl Clinical for AllergyIntolerance {
    identity!();

    fn date(&self) -> Option<&str> {
        self.onset()
            .and_then(When::date)
            .or(self.recorded_date.as_deref())
    }

    fn what<'a>(&'a self, _: &'a Bundled) -> Option<Cow<'a, CodeableConcept>> {
        self.code
            .as_ref()
            .or_else(|| self.reaction.iter().find_map(|r| r.substance.as_ref()))
            .map(Cow::Borrowed)
    }

    fn title_words(&self) -> Option<String> {
        None
    }

    fn detail(&self) -> Vec<String> {
        let reactions: Vec<String> = self.reaction.iter().filter_map(reaction_text).collect();
        [
            labelled(
                "Reaction",
                (!reactions.is_empty()).then(|| reactions.join("; ")),
            ),
            labelled("Criticality", self.criticality.clone()),
            labelled("Type", self.type_.clone()),
            labelled(
                "Category",
                (!self.category.is_empty()).then(|| self.category.join(", ")),
            ),
            labelled("Onset", self.onset().and_then(When::words)),
            labelled("Last occurred", self.last_occurrence.clone()),
        ]
        .into_iter()
        .flatten()
        .collect()
    }

    fn status(&self) -> Option<String> {
        verified_status(
            self.clinical_status.as_ref(),
            self.verification_status.as_ref(),
        )
    }

    fn entered_in_error(&self) -> bool {
        verified_in_error(self.verification_status.as_ref())
    }

    fn fields(&self) -> Vec<DetailField> {
        let mut all = vec![
            field(
                "Substance",
                self.what(&Bundled::default())
                    .as_deref()
                    .and_then(concept_text),
            ),
            field("Type", self.type_.clone()),
            field("Category", fields::codes(&self.category)),
            field("Criticality", self.criticality.clone()),
            field("Clinical status", fields::status(&self.clinical_status)),
            field(
                "Verification status",
                fields::status(&self.verification_status),
            ),
            field("Onset", self.onset().and_then(fields::when)),
            field("Recorded", fields::date(&self.recorded_date)),
            field("Last occurred", fields::date(&self.last_occurrence)),
            field("Recorded by", fields::shown(&self.recorder)),
            field("Asserted by", fields::shown(&self.asserter)),
        ];
        let numbered = self.reaction.len() > 1;
        for (n, r) in self.reaction.iter().enumerate() {
            let label = |what: &str| match numbered {
                true => format!("Reaction {}: {what}", n + 1),
                false => format!("Reaction: {what}"),
            };
            all.extend([
                field(label("manifestation"), fields::concepts(&r.manifestation)),
                field(label("description"), r.description.clone()),
                field(label("severity"), r.severity.clone()),
                field(label("substance"), fields::concept(&r.substance)),
                field(label("exposure route"), fields::concept(&r.exposure_route)),
                field(label("onset"), fields::date(&r.onset)),
            ]);
        }
        fields::fields(all)
    }

    fn notes(&self) -> Vec<Note> {
        let reaction_notes = self.reaction.iter().flat_map(|r| fields::notes(&r.note));
        fields::notes(&self.note)
            .into_iter()
            .chain(reaction_notes)
            .collect()
    }
}
