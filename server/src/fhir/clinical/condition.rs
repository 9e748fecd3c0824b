//! `Condition` as R4 defines it: `onset[x]` and `abatement[x]` in any of five shapes,
//! `severity`, `bodySite`, and a verification status that can refute it.

use super::{identity, labelled, verified_in_error, verified_status, Clinical};
use crate::fhir::datatypes::{
    concept_text, Annotation, CodeableConcept, Period, Quantity, Range, When,
};
use crate::fhir::resource::{Bundled, Meta};
use serde::Deserialize;
use std::borrow::Cow;

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Condition {
    pub id: Option<String>,
    pub meta: Option<Meta>,
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
    pub note: Vec<Annotation>,
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

    /// When it resolved, in words.
    fn abatement(&self) -> Option<String> {
        let when = When::of_five(
            &self.abatement_date_time,
            &self.abatement_period,
            &self.abatement_age,
            &self.abatement_range,
            &self.abatement_string,
        )?;
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
}
