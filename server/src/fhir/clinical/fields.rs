//! Building an entry's detail fields: one labelled line per element read, with dates shown
//! the NHS way, and notes read as plain text. Shared by every type's `fields` and `notes`.

use crate::fhir::datatypes::{
    concept_text, non_empty, quantity_text, Annotation, CodeableConcept, Coding, Period,
    Reference, When,
};
use app::clinical_date::ClinicalDate;
use app::detail::{DetailField, Note};

/// A field when there is a value (blank values are not fields).
pub(crate) fn field(label: &str, value: Option<String>) -> Option<DetailField> {
    let value = value?;
    let value = value.trim();
    (!value.is_empty()).then(|| DetailField::new(label, value))
}

/// Collects the fields that have values, in order.
pub(crate) fn fields(all: impl IntoIterator<Item = Option<DetailField>>) -> Vec<DetailField> {
    all.into_iter().flatten().collect()
}

/// A FHIR date in the NHS form (`09-Mar-2024`, `Mar-2024`, `09-Mar-2024 10:02`), or as sent
/// when it cannot be read.
pub(crate) fn date_text(value: &str) -> String {
    ClinicalDate::parse(value.trim()).map_or_else(|_| value.trim().to_owned(), |d| d.display())
}

/// An optional date, shown the NHS way.
pub(crate) fn date(value: &Option<String>) -> Option<String> {
    non_empty(value.as_deref()).map(date_text)
}

/// `09-Mar-2024 to 12-Mar-2024`, `from 09-Mar-2024`, `until 12-Mar-2024`.
pub(crate) fn period(p: &Period) -> Option<String> {
    match (non_empty(p.start.as_deref()), non_empty(p.end.as_deref())) {
        (Some(start), Some(end)) => Some(format!("{} to {}", date_text(start), date_text(end))),
        (Some(start), None) => Some(format!("from {}", date_text(start))),
        (None, Some(end)) => Some(format!("until {}", date_text(end))),
        (None, None) => None,
    }
}

/// Any `onset[x]`-style choice in words: a date, a period, an age, a range of ages or text.
pub(crate) fn when(w: When<'_>) -> Option<String> {
    match w {
        When::DateTime(d) => non_empty(Some(d)).map(date_text),
        When::Period(p) => period(p),
        When::Timing(t) => crate::fhir::datatypes::timing_text(t),
        other => other.words(),
    }
}

/// The concept in words.
pub(crate) fn concept(c: &Option<CodeableConcept>) -> Option<String> {
    c.as_ref().and_then(concept_text)
}

/// Several concepts in words, comma-separated.
pub(crate) fn concepts(list: &[CodeableConcept]) -> Option<String> {
    let words: Vec<String> = list.iter().filter_map(concept_text).collect();
    (!words.is_empty()).then(|| words.join(", "))
}

/// A coding in words: its display, else its code.
pub(crate) fn coding(c: &Option<Coding>) -> Option<String> {
    let c = c.as_ref()?;
    non_empty(c.display.as_deref())
        .or(non_empty(c.code.as_deref()))
        .map(str::to_owned)
}

/// Codes (plain strings) in words, comma-separated.
pub(crate) fn codes(list: &[String]) -> Option<String> {
    let words: Vec<&str> = list.iter().filter_map(|c| non_empty(Some(c))).collect();
    (!words.is_empty()).then(|| words.join(", "))
}

/// What a reference's `display` says (its target is never followed).
pub(crate) fn shown(r: &Option<Reference>) -> Option<String> {
    non_empty(r.as_ref()?.display.as_deref()).map(str::to_owned)
}

/// The displays of several references, comma-separated.
pub(crate) fn shown_all<'a>(list: impl IntoIterator<Item = &'a Reference>) -> Option<String> {
    let words: Vec<&str> = list
        .into_iter()
        .filter_map(|r| non_empty(r.display.as_deref()))
        .collect();
    (!words.is_empty()).then(|| words.join(", "))
}

/// A quantity in words.
pub(crate) fn quantity(q: &Option<crate::fhir::datatypes::Quantity>) -> Option<String> {
    q.as_ref().and_then(quantity_text)
}

/// Each note with text, as plain text (markdown is not rendered; HTML in it stays text).
pub(crate) fn notes(list: &[Annotation]) -> Vec<Note> {
    list.iter()
        .filter_map(|a| {
            let text = non_empty(a.text.as_deref())?.to_owned();
            let author = non_empty(a.author_string.as_deref())
                .map(str::to_owned)
                .or_else(|| shown(&a.author_reference));
            let time = non_empty(a.time.as_deref()).and_then(|t| ClinicalDate::parse(t).ok());
            Some(Note { text, author, time })
        })
        .collect()
}

/// `yes` or `no`.
pub(crate) fn yes_no(b: Option<bool>) -> Option<String> {
    b.map(|b| if b { "yes" } else { "no" }.to_owned())
}
