//! `Condition` as R4 defines it: `onset[x]` and `abatement[x]` in any of five shapes,
//! `severity`, `bodySite`, and a verification status that can refute it.

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
pub struct Condition {
    pub id: Option<String>,
    pub meta: Option<Meta>,
    pub text: Option<crate::fhir::datatypes::Narrative>,
    pub clinical_status: Option<CodeableConcept>,
    pub verification_status: Option<CodeableConcept>,
    pub category: Vec<CodeableConcept>,
    pub severity: Option<CodeableConcept>,
    pub code: Option<CodeableConcept>,
    pub body_site: Vec<CodeableConcept>,
    pub onset_date_time: Option<String>,
    pub onset_age: Option<Quantity>,
    pub onset_period: Option<Period>,
    pub onset_range: Option<Range>,
    pub onset_string: Option<String>,
    pub abatement_date_time: Option<String>,
    pub abatement_age: Option<Quantity>,
    pub abatement_period: Option<Period>,
    pub abatement_range: Option<Range>,
    pub abatement_string: Option<String>,
    pub recorded_date: Option<String>,
    pub recorder: Option<Reference>,
    pub asserter: Option<Reference>,
    pub stage: Vec<Stage>,
    pub note: Vec<Annotation>,
}

/// `Condition.stage`: its summary and type.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Stage {
    pub summary: Option<CodeableConcept>,
    #[serde(rename = "type")]
    pub type_: Option<CodeableConcept>,
}

impl Condition {
    fn onset(&self) -> Option<When<'_>> {
        When::of_five(
            &self.onset_date_time,
            &self.onset_period,
            &self.onset_age,
            &self.onset_range,
            &self.onset_string,
        )
    }

    fn abated(&self) -> Option<When<'_>> {
        When::of_five(
            &self.abatement_date_time,
            &self.abatement_period,
            &self.abatement_age,
            &self.abatement_range,
            &self.abatement_string,
        )
    }

    /// When it resolved, in words.
    fn abatement(&self) -> Option<String> {
        let when = self.abated()?;
        when.date().map(str::to_owned).or_else(|| when.words())
    }
}

impl Clinical for Condition {
    identity!();

    fn date(&self) -> Option<&str> {
        self.onset()
            .and_then(When::date)
            .or(self.recorded_date.as_deref())
    }

    fn what<'a>(&'a self, _: &'a Bundled) -> Option<Cow<'a, CodeableConcept>> {
        self.code.as_ref().map(Cow::Borrowed)
    }

    fn title_words(&self) -> Option<String> {
        None
    }

    fn detail(&self) -> Vec<String> {
        let sites: Vec<String> = self.body_site.iter().filter_map(concept_text).collect();
        [
            labelled("Severity", self.severity.as_ref().and_then(concept_text)),
            labelled("Site", (!sites.is_empty()).then(|| sites.join(", "))),
            labelled("Onset", self.onset().and_then(When::words)),
            labelled("Resolved", self.abatement()),
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
        let stages = self.stage.iter().filter_map(|s| {
            let summary = fields::concept(&s.summary)?;
            Some(match fields::concept(&s.type_) {
                Some(kind) => format!("{summary} ({kind})"),
                None => summary,
            })
        });
        let stages: Vec<String> = stages.collect();
        fields::fields([
            field("Condition", fields::concept(&self.code)),
            field("Clinical status", fields::status(&self.clinical_status)),
            field(
                "Verification status",
                fields::status(&self.verification_status),
            ),
            field("Category", fields::concepts(&self.category)),
            field("Severity", fields::concept(&self.severity)),
            field("Body site", fields::concepts(&self.body_site)),
            field("Stage", (!stages.is_empty()).then(|| stages.join(", "))),
            field("Onset", self.onset().and_then(fields::when)),
            field("Resolved", self.abated().and_then(fields::when)),
            field("Recorded", fields::date(&self.recorded_date)),
            field("Recorded by", fields::shown(&self.recorder)),
            field("Asserted by", fields::shown(&self.asserter)),
        ])
    }

    fn notes(&self) -> Vec<Note> {
        fields::notes(&self.note)
    }
}
