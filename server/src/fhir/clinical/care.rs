//! `CarePlan` and `Flag` as R4 defines them: a plan named by its title (or description,
//! or category), an alert by its code.

use super::fields::{self, field};
use super::{identity, plain_status, Clinical};
use crate::fhir::datatypes::{
    concept_text, non_empty, Annotation, CodeableConcept, Period, Reference, When,
};
use crate::fhir::resource::{Bundled, Meta};
use app::detail::{DetailField, Note};
use serde::Deserialize;
use std::borrow::Cow;

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct CarePlan {
    pub id: Option<String>,
    pub meta: Option<Meta>,
    pub text: Option<crate::fhir::datatypes::Narrative>,
    pub status: Option<String>,
    pub intent: Option<String>,
    pub category: Vec<CodeableConcept>,
    pub title: Option<String>,
    pub description: Option<String>,
    pub period: Option<Period>,
    pub created: Option<String>,
    pub author: Option<Reference>,
    pub activity: Vec<Activity>,
    pub note: Vec<Annotation>,
    pub addresses: Vec<Reference>,
}

/// `CarePlan.activity`: only its inline detail is read (a reference's target never is).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Activity {
    pub detail: Option<ActivityDetail>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ActivityDetail {
    pub code: Option<CodeableConcept>,
    pub status: Option<String>,
    pub description: Option<String>,
}

impl Clinical for CarePlan {
    identity!();

    fn reason_references(&self) -> Vec<&Reference> {
        self.addresses.iter().collect()
    }

    fn date(&self) -> Option<&str> {
        self.period
            .as_ref()
            .and_then(|p| When::Period(p).date())
            .or(self.created.as_deref())
    }

    /// A plan is named by its words, not a code: no concept.
    fn what<'a>(&'a self, _: &'a Bundled) -> Option<Cow<'a, CodeableConcept>> {
        None
    }

    fn title_words(&self) -> Option<String> {
        non_empty(self.title.as_deref())
            .or(non_empty(self.description.as_deref()))
            .map(str::to_owned)
            .or_else(|| self.category.iter().find_map(concept_text))
    }

    fn detail(&self) -> Vec<String> {
        non_empty(self.title.as_deref())
            .and(non_empty(self.description.as_deref()))
            .map(str::to_owned)
            .into_iter()
            .collect()
    }

    plain_status!();

    fn fields(&self) -> Vec<DetailField> {
        let mut all = vec![
            field("Status", self.status.clone()),
            field("Intent", self.intent.clone()),
            field("Category", fields::concepts(&self.category)),
            field("Title", self.title.clone()),
            field("Description", self.description.clone()),
            field("Period", self.period.as_ref().and_then(fields::period)),
            field("Created", fields::date(&self.created)),
            field("Author", fields::shown(&self.author)),
        ];
        for a in self.activity.iter().filter_map(|a| a.detail.as_ref()) {
            let what = fields::concept(&a.code).or_else(|| a.description.clone());
            let words = match (what, &a.status) {
                (Some(w), Some(s)) => Some(format!("{w} ({s})")),
                (w, _) => w,
            };
            all.push(field("Activity", words));
        }
        fields::fields(all)
    }

    fn notes(&self) -> Vec<Note> {
        fields::notes(&self.note)
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Flag {
    pub id: Option<String>,
    pub meta: Option<Meta>,
    pub text: Option<crate::fhir::datatypes::Narrative>,
    /// `active`, `inactive` or `entered-in-error`.
    pub status: Option<String>,
    pub category: Vec<CodeableConcept>,
    pub code: Option<CodeableConcept>,
    pub period: Option<Period>,
    pub author: Option<Reference>,
}

impl Clinical for Flag {
    identity!();

    fn date(&self) -> Option<&str> {
        self.period.as_ref().and_then(|p| When::Period(p).date())
    }

    fn what<'a>(&'a self, _: &'a Bundled) -> Option<Cow<'a, CodeableConcept>> {
        self.code.as_ref().map(Cow::Borrowed)
    }

    fn title_words(&self) -> Option<String> {
        None
    }

    fn detail(&self) -> Vec<String> {
        let categories: Vec<String> = self.category.iter().filter_map(concept_text).collect();
        let ended = self.period.as_ref().and_then(|p| When::Period(p).words());
        [
            (!categories.is_empty()).then(|| categories.join(", ")),
            ended.map(|e| format!("Applies {e}")),
        ]
        .into_iter()
        .flatten()
        .collect()
    }

    plain_status!();

    fn fields(&self) -> Vec<DetailField> {
        fields::fields([
            field("Status", self.status.clone()),
            field("Category", fields::concepts(&self.category)),
            field("Flag", fields::concept(&self.code)),
            field("Applies", self.period.as_ref().and_then(fields::period)),
            field("Raised by", fields::shown(&self.author)),
        ])
    }

    fn notes(&self) -> Vec<Note> {
        Vec::new()
    }
}
