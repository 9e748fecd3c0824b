//! Giving back spare capacity before an entry is kept for a while (the server's cache): an
//! entry is built field by field, and every vector or string grown on the way may hold up to
//! half again its length (a vector of one code holds room for four).
//!
//! Each struct is taken apart field by field, without `..`, so a field added later is a compile
//! error here until someone decides how it is compacted.

use crate::clinical_date::ClinicalDate;
use crate::detail::{DetailField, EntryDetail, EntryProvenance, Note};
use crate::document::AttachmentInfo;
use crate::model::{Code, ComponentMeasurement, Measurement, Provenance, TimelineEntry};
use std::borrow::Cow;

/// Drops spare capacity, deeply.
pub trait Compact {
    fn compact(&mut self);
}

impl Compact for String {
    fn compact(&mut self) {
        self.shrink_to_fit();
    }
}

impl Compact for Cow<'static, str> {
    fn compact(&mut self) {
        if let Cow::Owned(text) = self {
            text.shrink_to_fit();
        }
    }
}

impl<T: Compact> Compact for Option<T> {
    fn compact(&mut self) {
        if let Some(value) = self {
            value.compact();
        }
    }
}

impl<T: Compact> Compact for Box<T> {
    fn compact(&mut self) {
        (**self).compact();
    }
}

impl<T: Compact> Compact for Vec<T> {
    fn compact(&mut self) {
        self.iter_mut().for_each(Compact::compact);
        self.shrink_to_fit();
    }
}

impl Compact for TimelineEntry {
    fn compact(&mut self) {
        let TimelineEntry {
            date,
            category: _,
            title,
            detail,
            status,
            source_id,
            resource_type,
            resource_id,
            codes,
            security,
            also_recorded_at,
            discrepancy,
            measurement,
            attachments,
            until,
            setting,
            reason_codes,
            reason_refs,
            entered_in_error: _,
            full_detail,
        } = self;
        date.compact();
        title.compact();
        detail.compact();
        status.compact();
        source_id.compact();
        resource_type.compact();
        resource_id.compact();
        codes.compact();
        security.compact();
        also_recorded_at.compact();
        discrepancy.compact();
        measurement.compact();
        attachments.compact();
        until.compact();
        setting.compact();
        reason_codes.compact();
        reason_refs.compact();
        full_detail.compact();
    }
}

impl Compact for ClinicalDate {
    fn compact(&mut self) {
        let ClinicalDate {
            value,
            precision: _,
            sort_key: _,
        } = self;
        value.compact();
    }
}

impl Compact for Code {
    fn compact(&mut self) {
        let Code { system, code } = self;
        system.compact();
        code.compact();
    }
}

impl Compact for Provenance {
    fn compact(&mut self) {
        let Provenance {
            source_id,
            resource_type,
            resource_id,
            date,
            status,
            detail,
        } = self;
        source_id.compact();
        resource_type.compact();
        resource_id.compact();
        date.compact();
        status.compact();
        detail.compact();
    }
}

impl Compact for Measurement {
    fn compact(&mut self) {
        let Measurement {
            value,
            unit,
            interpretation,
            low,
            high,
            components,
        } = self;
        value.compact();
        unit.compact();
        interpretation.compact();
        low.compact();
        high.compact();
        components.compact();
    }
}

impl Compact for ComponentMeasurement {
    fn compact(&mut self) {
        let ComponentMeasurement { codes, measurement } = self;
        codes.compact();
        measurement.compact();
    }
}

impl Compact for AttachmentInfo {
    fn compact(&mut self) {
        let AttachmentInfo {
            index: _,
            content_type,
            title,
            size: _,
            language,
            creation,
            viewable: _,
        } = self;
        content_type.compact();
        title.compact();
        language.compact();
        creation.compact();
    }
}

impl Compact for EntryDetail {
    fn compact(&mut self) {
        let EntryDetail {
            fields,
            narrative_html,
            notes,
            provenance,
        } = self;
        fields.compact();
        narrative_html.compact();
        notes.compact();
        provenance.compact();
    }
}

impl Compact for DetailField {
    fn compact(&mut self) {
        let DetailField { label, value } = self;
        label.compact();
        value.compact();
    }
}

impl Compact for Note {
    fn compact(&mut self) {
        let Note { text, author, time } = self;
        text.compact();
        author.compact();
        time.compact();
    }
}

impl Compact for EntryProvenance {
    fn compact(&mut self) {
        let EntryProvenance {
            source_name,
            organisation_code,
            fetched_at,
        } = self;
        source_name.compact();
        organisation_code.compact();
        fetched_at.compact();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Category;

    /// An entry grown as the readers grow one: pushed to, formatted into.
    fn grown() -> TimelineEntry {
        let mut entry = TimelineEntry::example(Category::Observation, "Haemoglobin");
        entry.title.push_str(" (venous)");
        entry.codes = Vec::with_capacity(16);
        entry
            .codes
            .push(Code::new("http://snomed.info/sct", "271026005"));
        let mut fields = Vec::with_capacity(8);
        fields.push(DetailField::new(
            "Status",
            String::with_capacity(64) + "final",
        ));
        entry.full_detail = Some(Box::new(EntryDetail {
            fields,
            ..EntryDetail::default()
        }));
        entry
    }

    #[test]
    fn compacting_drops_spare_capacity_and_changes_nothing_else() {
        let mut entry = grown();
        let before = entry.clone();
        entry.compact();
        assert_eq!(entry, before, "the same entry");
        assert_eq!(entry.codes.capacity(), 1);
        assert_eq!(entry.title.capacity(), entry.title.len());
        let detail = entry.full_detail.as_ref().expect("detail");
        assert_eq!(detail.fields.capacity(), 1);
        assert_eq!(detail.fields[0].value.capacity(), "final".len());
    }
}
