//! The detail of one timeline entry, read on the server when the resource is read and sent
//! only for one item at a time (never with the whole record): every structured field the
//! portal read, the narrative (already sanitised on the server), notes as plain text, and
//! where the entry came from.

use crate::clinical_date::ClinicalDate;
use serde::{Deserialize, Serialize};
use std::borrow::Cow;

/// Everything the portal read of one resource, for the entry panel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct EntryDetail {
    /// Each structured element read, in the order the resource type defines them.
    #[serde(default)]
    pub fields: Vec<DetailField>,
    /// The resource's `text.div`, sanitised on the server by the one HTML policy for
    /// clinical content (no script, handler, style, form, frame or external resource).
    /// Never anything else: the panel shows it as HTML.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub narrative_html: Option<String>,
    /// The resource's notes (`Annotation`), shown as plain text, never as HTML or markdown.
    #[serde(default)]
    pub notes: Vec<Note>,
    /// Which source sent it, and when (filled when the one item is served; boxed, since every
    /// cached entry's detail holds `None` here).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provenance: Option<Box<EntryProvenance>>,
}

/// One structured element: `Criticality`: `high`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DetailField {
    /// The element's name: most are the portal's own words, borrowed from the program so that
    /// a cached entry's labels cost no heap; a few come from the source (an Observation
    /// component's name) and are owned.
    pub label: Cow<'static, str>,
    pub value: String,
}

impl DetailField {
    pub fn new(label: impl Into<Cow<'static, str>>, value: impl Into<String>) -> Self {
        Self {
            label: label.into(),
            value: value.into(),
        }
    }
}

/// One note on the resource: plain text, who wrote it and when, when the source says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Note {
    pub text: String,
    #[serde(default)]
    pub author: Option<String>,
    #[serde(default)]
    pub time: Option<ClinicalDate>,
}

/// The source an entry came from: its organisation and when the portal fetched it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntryProvenance {
    pub source_name: String,
    /// The organisation's ODS code.
    pub organisation_code: String,
    /// When the data shown was fetched from the source (RFC 3339, UTC).
    #[serde(default)]
    pub fetched_at: Option<String>,
}

/// Names one entry for the panel: where it is held and the title it is listed under.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntryRef {
    pub source_id: String,
    pub resource_type: String,
    pub resource_id: String,
    pub title: String,
}

impl EntryRef {
    /// The reference to an entry as the timeline lists it.
    pub fn of(entry: &crate::model::TimelineEntry) -> Self {
        Self {
            source_id: entry.source_id.clone(),
            resource_type: entry.resource_type.clone(),
            resource_id: entry.resource_id.clone(),
            title: entry.title.clone(),
        }
    }
}
