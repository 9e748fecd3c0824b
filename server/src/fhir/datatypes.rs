//! FHIR datatypes the timeline reads, each with one small pure function that turns it into
//! display text (empty input gives `None`, never a placeholder).

use app::model::Code;
use serde::Deserialize;

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct Coding {
    pub system: Option<String>,
    pub code: Option<String>,
    pub display: Option<String>,
}

/// Codings that name both their system and code, as the portal's own [`Code`]s.
pub fn codes(codings: &[Coding]) -> Vec<Code> {
    codings
        .iter()
        .filter_map(|c| Some(Code::new(c.system.as_deref()?, c.code.as_deref()?)))
        .collect()
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct CodeableConcept {
    pub coding: Vec<Coding>,
    pub text: Option<String>,
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct Quantity {
    pub value: Option<serde_json::Number>,
    pub comparator: Option<String>,
    pub unit: Option<String>,
    pub code: Option<String>,
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct Period {
    pub start: Option<String>,
    pub end: Option<String>,
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct Reference {
    pub reference: Option<String>,
    pub display: Option<String>,
}

/// A field that FHIR allows as one value in some resources and a list in others
/// (`Encounter.type` is a list, `DocumentReference.type` is one).
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum OneOrMany<T> {
    One(T),
    Many(Vec<T>),
}

impl<T> Default for OneOrMany<T> {
    fn default() -> Self {
        Self::Many(Vec::new())
    }
}

impl<T> OneOrMany<T> {
    pub fn first(&self) -> Option<&T> {
        match self {
            Self::One(t) => Some(t),
            Self::Many(v) => v.first(),
        }
    }
}

fn non_empty(s: Option<&str>) -> Option<&str> {
    s.map(str::trim).filter(|s| !s.is_empty())
}

/// CodeableConcept → text, else the first coding's display, else `code (system)`.
pub fn concept_text(concept: &CodeableConcept) -> Option<String> {
    if let Some(text) = non_empty(concept.text.as_deref()) {
        return Some(text.to_owned());
    }
    if let Some(display) = concept
        .coding
        .iter()
        .find_map(|c| non_empty(c.display.as_deref()))
    {
        return Some(display.to_owned());
    }
    concept.coding.iter().find_map(|c| {
        let code = non_empty(c.code.as_deref())?;
        Some(match non_empty(c.system.as_deref()) {
            Some(system) => format!("{code} ({})", system_name(system)),
            None => code.to_owned(),
        })
    })
}

/// Short names for the code systems staff recognise.
fn system_name(system: &str) -> &str {
    match system {
        "http://snomed.info/sct" => "SNOMED CT",
        "http://loinc.org" => "LOINC",
        "http://unitsofmeasure.org" => "UCUM",
        other => other,
    }
}

/// `78.5 kg`, `< 5 mg/L`: the human unit, else the UCUM code.
pub fn quantity_text(q: &Quantity) -> Option<String> {
    let value = q.value.as_ref()?;
    let unit = non_empty(q.unit.as_deref()).or(non_empty(q.code.as_deref()));
    let comparator = non_empty(q.comparator.as_deref())
        .map(|c| format!("{c} "))
        .unwrap_or_default();
    Some(match unit {
        Some(unit) => format!("{comparator}{value} {unit}"),
        None => format!("{comparator}{value}"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn concept(json: &str) -> CodeableConcept {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn concept_text_prefers_text_then_display_then_code() {
        for (json, expected) in [
            (
                r#"{"text":"Asthma","coding":[{"display":"Asthma (disorder)"}]}"#,
                Some("Asthma"),
            ),
            (
                r#"{"text":"  ","coding":[{"code":"1"},{"display":"Asthma (disorder)"}]}"#,
                Some("Asthma (disorder)"),
            ),
            (
                r#"{"coding":[{"system":"http://snomed.info/sct","code":"195967001"}]}"#,
                Some("195967001 (SNOMED CT)"),
            ),
            (
                r#"{"coding":[{"system":"urn:oid:1.2.3","code":"X1"}]}"#,
                Some("X1 (urn:oid:1.2.3)"),
            ),
            (r#"{"coding":[{"code":"X1"}]}"#, Some("X1")),
            (r#"{"coding":[]}"#, None),
            (r#"{}"#, None),
        ] {
            assert_eq!(concept_text(&concept(json)).as_deref(), expected, "{json}");
        }
    }

    #[test]
    fn quantity_text_uses_unit_then_code() {
        for (json, expected) in [
            (r#"{"value":78.5,"unit":"kg","code":"kg"}"#, Some("78.5 kg")),
            (
                r#"{"value":5,"comparator":"<","code":"mg/L"}"#,
                Some("< 5 mg/L"),
            ),
            (r#"{"value":7}"#, Some("7")),
            (r#"{"unit":"kg"}"#, None),
        ] {
            let q: Quantity = serde_json::from_str(json).unwrap();
            assert_eq!(quantity_text(&q).as_deref(), expected, "{json}");
        }
    }

    #[test]
    fn one_or_many_reads_both_shapes() {
        let one: OneOrMany<CodeableConcept> = serde_json::from_str(r#"{"text":"a"}"#).unwrap();
        let many: OneOrMany<CodeableConcept> =
            serde_json::from_str(r#"[{"text":"b"},{"text":"c"}]"#).unwrap();
        assert_eq!(
            one.first().and_then(|c| c.text.clone()).as_deref(),
            Some("a")
        );
        assert_eq!(
            many.first().and_then(|c| c.text.clone()).as_deref(),
            Some("b")
        );
    }
}
