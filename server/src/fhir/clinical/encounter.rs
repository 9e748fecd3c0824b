//! `Encounter` and `EpisodeOfCare` as R4 defines them: `type` is a list of concepts, `class` a
//! coding, and an admission's discharge disposition says where the patient went.

use super::fields::{self, field};
use super::{identity, labelled, plain_status, Clinical};
use crate::fhir::datatypes::{
    concept_text, quantity_text, CodeableConcept, Coding, Period, Quantity, Reference, When,
};
use crate::fhir::resource::{Bundled, Meta};
use app::detail::{DetailField, Note};
use serde::Deserialize;
use std::borrow::Cow;

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Encounter {
    pub id: Option<String>,
    pub meta: Option<Meta>,
    pub text: Option<crate::fhir::datatypes::Narrative>,
    pub status: Option<String>,
    pub class: Option<Coding>,
    #[serde(rename = "type")]
    pub type_: Vec<CodeableConcept>,
    pub service_type: Option<CodeableConcept>,
    pub priority: Option<CodeableConcept>,
    pub period: Option<Period>,
    pub length: Option<Quantity>,
    pub reason_code: Vec<CodeableConcept>,
    pub reason_reference: Vec<Reference>,
    pub hospitalization: Option<Hospitalization>,
    pub diagnosis: Vec<EncounterDiagnosis>,
    pub participant: Vec<Participant>,
    pub location: Vec<EncounterLocation>,
    pub service_provider: Option<Reference>,
}

/// `Encounter.diagnosis`: a condition the encounter was for (read only as a reference).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct EncounterDiagnosis {
    pub condition: Option<Reference>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Hospitalization {
    pub admit_source: Option<CodeableConcept>,
    pub re_admission: Option<CodeableConcept>,
    pub discharge_disposition: Option<CodeableConcept>,
}

/// `Encounter.participant`: who took part, and in what role.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Participant {
    #[serde(rename = "type")]
    pub type_: Vec<CodeableConcept>,
    pub individual: Option<Reference>,
}

/// `Encounter.location`: where the patient was.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct EncounterLocation {
    pub location: Option<Reference>,
    pub status: Option<String>,
    pub period: Option<Period>,
}

impl Clinical for Encounter {
    identity!();

    fn reason_codes(&self) -> Vec<&CodeableConcept> {
        self.reason_code.iter().collect()
    }

    fn reason_references(&self) -> Vec<&Reference> {
        let mut refs: Vec<&Reference> = self.reason_reference.iter().collect();
        refs.extend(self.diagnosis.iter().filter_map(|d| d.condition.as_ref()));
        refs
    }

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

    fn fields(&self) -> Vec<DetailField> {
        let stay = self.hospitalization.as_ref();
        let participants: Vec<String> = self
            .participant
            .iter()
            .filter_map(|p| {
                let who = fields::shown(&p.individual)?;
                Some(match fields::concepts(&p.type_) {
                    Some(role) => format!("{who} ({role})"),
                    None => who,
                })
            })
            .collect();
        let locations: Vec<String> = self
            .location
            .iter()
            .filter_map(|l| {
                let place = fields::shown(&l.location)?;
                Some(match l.period.as_ref().and_then(fields::period) {
                    Some(when) => format!("{place} ({when})"),
                    None => place,
                })
            })
            .collect();
        let list = |v: Vec<String>| (!v.is_empty()).then(|| v.join("; "));
        fields::fields([
            field("Status", self.status.clone()),
            field("Class", fields::coding(&self.class)),
            field("Type", fields::concepts(&self.type_)),
            field("Service", fields::concept(&self.service_type)),
            field("Priority", fields::concept(&self.priority)),
            field("Period", self.period.as_ref().and_then(fields::period)),
            field("Length", self.length.as_ref().and_then(quantity_text)),
            field("Reason", fields::concepts(&self.reason_code)),
            field(
                "Admitted from",
                stay.and_then(|h| fields::concept(&h.admit_source)),
            ),
            field(
                "Readmission",
                stay.and_then(|h| fields::concept(&h.re_admission)),
            ),
            field(
                "Discharged to",
                stay.and_then(|h| fields::concept(&h.discharge_disposition)),
            ),
            field("Location", list(locations)),
            field("Participants", list(participants)),
            field("Service provider", fields::shown(&self.service_provider)),
        ])
    }

    fn notes(&self) -> Vec<Note> {
        Vec::new()
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct EpisodeOfCare {
    pub id: Option<String>,
    pub meta: Option<Meta>,
    pub text: Option<crate::fhir::datatypes::Narrative>,
    pub status: Option<String>,
    #[serde(rename = "type")]
    pub type_: Vec<CodeableConcept>,
    pub period: Option<Period>,
    pub managing_organization: Option<Reference>,
    pub care_manager: Option<Reference>,
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

    fn fields(&self) -> Vec<DetailField> {
        fields::fields([
            field("Status", self.status.clone()),
            field("Type", fields::concepts(&self.type_)),
            field("Period", self.period.as_ref().and_then(fields::period)),
            field("Managed by", fields::shown(&self.managing_organization)),
            field("Care manager", fields::shown(&self.care_manager)),
        ])
    }

    fn notes(&self) -> Vec<Note> {
        Vec::new()
    }
}
