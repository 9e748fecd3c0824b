//! `DocumentReference` as R4 defines it: `type` is one concept, `date` an instant, the
//! clinical period in `context`, and the document itself in `content[].attachment`.

use super::{identity, Clinical};
use crate::fhir::datatypes::{concept_text, non_empty, CodeableConcept, Period, When};
use crate::fhir::document::{attachment_infos, Content};
use crate::fhir::resource::{Bundled, Meta};
use serde::Deserialize;
use std::borrow::Cow;

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct DocumentReference {
    pub id: Option<String>,
    pub meta: Option<Meta>,
    /// `current`, `superseded` or `entered-in-error`.
    pub status: Option<String>,
    pub doc_status: Option<String>,
    #[serde(rename = "type")]
    pub type_: Option<CodeableConcept>,
    pub category: Vec<CodeableConcept>,
    pub date: Option<String>,
    pub description: Option<String>,
    /// The document itself: what the timeline lists of each attachment (the bytes are read
    /// again from the source only when one is opened).
    pub content: Vec<Content>,
    pub context: Option<Context>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Context {
    pub period: Option<Period>,
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

    fn attachments(&self) -> Vec<app::document::AttachmentInfo> {
        attachment_infos(&self.content)
    }
}
