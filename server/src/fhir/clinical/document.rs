//! `DocumentReference` as R4 defines it: `type` is one concept, `date` an instant, the
//! clinical period in `context`, and the document itself in `content[].attachment`.

use super::fields::{self, field};
use super::{identity, Clinical};
use crate::fhir::datatypes::{concept_text, non_empty, CodeableConcept, Period, Reference, When};
use crate::fhir::document::{attachment_infos, Content};
use crate::fhir::resource::{Bundled, Meta};
use app::detail::{DetailField, Note};
use serde::Deserialize;
use std::borrow::Cow;

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct DocumentReference {
    pub id: Option<String>,
    pub meta: Option<Meta>,
    pub text: Option<crate::fhir::datatypes::Narrative>,
    /// `current`, `superseded` or `entered-in-error`.
    pub status: Option<String>,
    pub doc_status: Option<String>,
    #[serde(rename = "type")]
    pub type_: Option<CodeableConcept>,
    pub category: Vec<CodeableConcept>,
    pub date: Option<String>,
    pub author: Vec<Reference>,
    pub authenticator: Option<Reference>,
    pub custodian: Option<Reference>,
    pub description: Option<String>,
    /// The document itself: what the timeline lists of each attachment (the bytes are read
    /// again from the source only when one is opened).
    pub content: Vec<Content>,
    pub context: Option<Context>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
#[serde(rename_all = "camelCase")]
pub struct Context {
    pub period: Option<Period>,
    pub facility_type: Option<CodeableConcept>,
    pub practice_setting: Option<CodeableConcept>,
}

impl Clinical for DocumentReference {
    identity!();

    fn date(&self) -> Option<&str> {
        self.date.as_deref().or_else(|| {
            self.context
                .as_ref()?
                .period
                .as_ref()
                .and_then(|p| When::Period(p).date())
        })
    }

    fn what<'a>(&'a self, _: &'a Bundled) -> Option<Cow<'a, CodeableConcept>> {
        self.type_.as_ref().map(Cow::Borrowed)
    }

    fn title_words(&self) -> Option<String> {
        non_empty(self.description.as_deref())
            .map(str::to_owned)
            .or_else(|| {
                self.content
                    .iter()
                    .find_map(|c| non_empty(c.attachment.title.as_deref()))
                    .map(str::to_owned)
            })
            .or_else(|| self.category.iter().find_map(concept_text))
    }

    /// The description, when the type already names it.
    fn detail(&self) -> Vec<String> {
        let named = self.type_.as_ref().and_then(concept_text).is_some();
        non_empty(self.description.as_deref())
            .filter(|_| named)
            .map(str::to_owned)
            .into_iter()
            .collect()
    }

    fn status(&self) -> Option<String> {
        self.status.clone()
    }

    fn entered_in_error(&self) -> bool {
        self.status.as_deref() == Some("entered-in-error")
            || self.doc_status.as_deref() == Some("entered-in-error")
    }

    fn fields(&self) -> Vec<DetailField> {
        let context = self.context.as_ref();
        fields::fields([
            field("Status", self.status.clone()),
            field("Document status", self.doc_status.clone()),
            field("Type", fields::concept(&self.type_)),
            field("Category", fields::concepts(&self.category)),
            field("Date", fields::date(&self.date)),
            field("Description", self.description.clone()),
            field("Author", fields::shown_all(&self.author)),
            field("Authenticated by", fields::shown(&self.authenticator)),
            field("Held by", fields::shown(&self.custodian)),
            field(
                "Covers",
                context
                    .and_then(|c| c.period.as_ref())
                    .and_then(fields::period),
            ),
            field(
                "Facility",
                context.and_then(|c| fields::concept(&c.facility_type)),
            ),
            field(
                "Specialty",
                context.and_then(|c| fields::concept(&c.practice_setting)),
            ),
        ])
    }

    fn notes(&self) -> Vec<Note> {
        Vec::new()
    }

    fn attachments(&self) -> Vec<app::document::AttachmentInfo> {
        attachment_infos(&self.content)
    }
}
