//! The cache's estimate of how much heap a source's answer holds, for its memory budget
//! (`[cache] max_bytes`): each struct's own size plus the text it owns. It counts what the
//! cache keeps (compacted entries, their detail panels and measurements), so the budget is
//! close to the heap the cache really holds (docs/BENCHMARKS.md, "Memory per cached patient").

use super::SourceRecord;
use app::clinical_date::ClinicalDate;
use app::detail::{DetailField, EntryDetail, Note};
use app::document::AttachmentInfo;
use app::model::{Code, ComponentMeasurement, Measurement, Provenance, TimelineEntry};
use std::mem::size_of;

/// What a consent directive or a patient's demographics hold, roughly (a few per answer).
const PER_CONSENT: usize = 512;
const PER_PATIENT: usize = 512;

/// The estimate for one source's record, in bytes.
pub fn of_record(record: &SourceRecord) -> u32 {
    let entries: usize = record.entries.iter().map(of_entry).sum();
    let total = size_of::<SourceRecord>()
        + entries
        + record.consents.len() * PER_CONSENT
        + record.patients.len() * PER_PATIENT;
    u32::try_from(total).unwrap_or(u32::MAX)
}

/// The estimate for one timeline entry, in bytes.
pub fn of_entry(e: &TimelineEntry) -> usize {
    size_of::<TimelineEntry>()
        + e.title.len()
        + text(&e.detail)
        + text(&e.status)
        + e.source_id.len()
        + e.resource_type.len()
        + e.resource_id.len()
        + date(&e.date)
        + date(&e.until)
        + text(&e.setting)
        + text(&e.discrepancy)
        + codes(&e.codes)
        + codes(&e.security)
        + codes(&e.reason_codes)
        + e.reason_refs
            .iter()
            .map(|r| size_of::<String>() + r.len())
            .sum::<usize>()
        + e.also_recorded_at.iter().map(provenance).sum::<usize>()
        + e.measurement.as_deref().map_or(0, measurement)
        + e.attachments.iter().map(attachment).sum::<usize>()
        + e.full_detail.as_deref().map_or(0, detail)
}

fn text(value: &Option<String>) -> usize {
    value.as_ref().map_or(0, String::len)
}

fn date(value: &Option<ClinicalDate>) -> usize {
    value.as_ref().map_or(0, |d| d.value.len())
}

fn codes(codes: &[Code]) -> usize {
    codes
        .iter()
        .map(|c| size_of::<Code>() + c.system.len() + c.code.len())
        .sum()
}

fn provenance(p: &Provenance) -> usize {
    size_of::<Provenance>()
        + p.source_id.len()
        + p.resource_type.len()
        + p.resource_id.len()
        + date(&p.date)
        + text(&p.status)
        + text(&p.detail)
}

fn measurement(m: &Measurement) -> usize {
    size_of::<Measurement>()
        + m.value.len()
        + text(&m.unit)
        + text(&m.interpretation)
        + text(&m.low)
        + text(&m.high)
        + m.components
            .iter()
            .map(|c: &ComponentMeasurement| {
                size_of::<ComponentMeasurement>() - size_of::<Measurement>()
                    + codes(&c.codes)
                    + measurement(&c.measurement)
            })
            .sum::<usize>()
}

fn attachment(a: &AttachmentInfo) -> usize {
    size_of::<AttachmentInfo>()
        + text(&a.content_type)
        + text(&a.title)
        + text(&a.language)
        + text(&a.creation)
}

fn detail(d: &EntryDetail) -> usize {
    size_of::<EntryDetail>()
        + d.fields.iter().map(field).sum::<usize>()
        + text(&d.narrative_html)
        + d.notes.iter().map(note).sum::<usize>()
}

fn field(f: &DetailField) -> usize {
    // A borrowed label is the program's own text: no heap.
    let label = match &f.label {
        std::borrow::Cow::Borrowed(_) => 0,
        std::borrow::Cow::Owned(label) => label.len(),
    };
    size_of::<DetailField>() + label + f.value.len()
}

fn note(n: &Note) -> usize {
    size_of::<Note>() + n.text.len() + text(&n.author)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry() -> TimelineEntry {
        serde_json::from_value(serde_json::json!({
            "date": null, "category": "observation", "title": "", "detail": null,
            "status": null, "source_id": "acute", "resource_type": "Observation",
            "resource_id": "hb-1"
        }))
        .expect("an entry")
    }

    /// Puts a text into one part of an entry.
    type Fill = fn(&mut TimelineEntry, &str);

    /// Each part an entry can hold, added to a bare entry, with the text it adds.
    #[test]
    fn every_part_of_an_entry_is_weighed() {
        let long = "x".repeat(1000);
        let parts: [(&str, Fill); 8] = [
            ("title", |e, t| e.title = t.to_owned()),
            ("codes", |e, t| e.codes = vec![Code::new("s", t)]),
            ("security", |e, t| e.security = vec![Code::new("s", t)]),
            ("reason codes", |e, t| {
                e.reason_codes = vec![Code::new("s", t)]
            }),
            ("measurement", |e, t| {
                e.measurement = Some(Box::new(Measurement {
                    value: t.to_owned(),
                    ..Measurement::default()
                }))
            }),
            ("detail fields", |e, t| {
                e.full_detail = Some(Box::new(EntryDetail {
                    fields: vec![DetailField::new("Status", t)],
                    ..EntryDetail::default()
                }))
            }),
            ("narrative", |e, t| {
                e.full_detail = Some(Box::new(EntryDetail {
                    narrative_html: Some(t.to_owned()),
                    ..EntryDetail::default()
                }))
            }),
            ("notes", |e, t| {
                e.full_detail = Some(Box::new(EntryDetail {
                    notes: vec![Note {
                        text: t.to_owned(),
                        author: None,
                        time: None,
                    }],
                    ..EntryDetail::default()
                }))
            }),
        ];
        let bare = of_entry(&entry());
        for (what, add) in parts {
            let mut e = entry();
            add(&mut e, &long);
            assert!(
                of_entry(&e) >= bare + long.len(),
                "{what}: {} against {bare} bare",
                of_entry(&e)
            );
        }
    }

    #[test]
    fn a_label_from_the_program_weighs_nothing_and_one_from_the_source_its_length() {
        assert_eq!(
            field(&DetailField::new("Status", "")),
            size_of::<DetailField>()
        );
        assert_eq!(
            field(&DetailField::new("Systolic".to_owned(), "")),
            size_of::<DetailField>() + "Systolic".len()
        );
    }
}
