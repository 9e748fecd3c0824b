//! `Encounter` and `EpisodeOfCare` as R4 defines them: `type` is a list of concepts, `class` a
//! coding, and an admission's discharge disposition says where the patient went.

use super::{identity, labelled, plain_status, Clinical};
use crate::fhir::datatypes::{concept_text, CodeableConcept, Coding, Period, Reference, When};
use crate::fhir::resource::{Bundled, Meta};
use serde::Deserialize;
use std::borrow::Cow;

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Encounter {
    pub id: Option<String>,
    pub meta: Option<Meta>,
    pub status: Option<String>,
    pub class: Option<Coding>,
    #[serde(rename = "type")]
    pub type_: Vec<CodeableConcept>,
    pub service_type: Option<CodeableConcept>,
    pub period: Option<Period>,
    pub reason_code: Vec<CodeableConcept>,
    pub hospitalization: Option<Hospitalization>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Hospitalization {
    pub admit_source: Option<CodeableConcept>,
    pub discharge_disposition: Option<CodeableConcept>,
}

impl Clinical for Encounter {
    identity!();

    fn date(&self) -> Option<&str> {
        self.period.as_ref().and_then(|p| When::Period(p).date())
    }

    fn what<'a>(&'a self, _: &'a Bundled) -> Option<Cow<'a, CodeableConcept>> {
        self.type_.first().map(Cow::Borrowed)
    }

    fn title_words(&self) -> Option<String> {
        self.service_type
            .as_ref()
            .and_then(concept_text)
            .or_else(|| {
                let class = self.class.as_ref()?;
                class.display.clone().or(class.code.clone())
            })
    }

    fn setting(&self) -> Option<&str> {
        self.class.as_ref()?.code.as_deref()
    }

    fn detail(&self) -> Vec<String> {
        let stay = self.hospitalization.as_ref();
        [
            self.reason_code.first().and_then(concept_text),
            labelled(
                "Admitted from",
                stay.and_then(|h| h.admit_source.as_ref())
                    .and_then(concept_text),
            ),
            labelled(
                "Discharged to",
                stay.and_then(|h| h.discharge_disposition.as_ref())
                    .and_then(concept_text),
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
pub struct EpisodeOfCare {
    pub id: Option<String>,
    pub meta: Option<Meta>,
    pub status: Option<String>,
    #[serde(rename = "type")]
    pub type_: Vec<CodeableConcept>,
    pub period: Option<Period>,
    pub managing_organization: Option<Reference>,
}

impl Clinical for EpisodeOfCare {
    identity!();

    fn date(&self) -> Option<&str> {
        self.period.as_ref().and_then(|p| When::Period(p).date())
    }

    fn what<'a>(&'a self, _: &'a Bundled) -> Option<Cow<'a, CodeableConcept>> {
        self.type_.first().map(Cow::Borrowed)
    }

    fn title_words(&self) -> Option<String> {
        None
    }

    fn detail(&self) -> Vec<String> {
        let ended = self.period.as_ref().and_then(|p| When::Period(p).words());
        [
            labelled(
                "Managed by",
                self.managing_organization
                    .as_ref()
                    .and_then(|o| o.display.clone()),
            ),
            ended.map(|e| format!("Open {e}")),
        ]
        .into_iter()
        .flatten()
        .collect()
    }

    plain_status!();
}
