//! FHIR R4 datatypes the timeline reads, each with one small pure function that turns it into
//! display text (empty input gives `None`, never a placeholder), and the choice-type shapes
//! (`onset[x]`, `value[x]`...) the specification allows for the elements read.

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

/// `Range`: low and high, either may be missing (an open range).
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct Range {
    pub low: Option<Quantity>,
    pub high: Option<Quantity>,
}

/// `Ratio`: e.g. a titre (1:128) or a concentration (10 mg / 5 mL).
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct Ratio {
    pub numerator: Option<Quantity>,
    pub denominator: Option<Quantity>,
}

/// `Timing`: the events it names, else its repeat's bounding period.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct Timing {
    pub event: Vec<String>,
    pub repeat: Option<TimingRepeat>,
    pub code: Option<CodeableConcept>,
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct TimingRepeat {
    pub bounds_period: Option<Period>,
    pub bounds_duration: Option<Quantity>,
    pub count: Option<u32>,
    pub duration: Option<serde_json::Number>,
    pub duration_unit: Option<String>,
    pub frequency: Option<u32>,
    pub frequency_max: Option<u32>,
    pub period: Option<serde_json::Number>,
    pub period_unit: Option<String>,
    pub day_of_week: Vec<String>,
    pub time_of_day: Vec<String>,
    pub when: Vec<String>,
}

/// `Annotation` (a note): its text (markdown, shown as plain text), author and time.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Annotation {
    pub text: Option<String>,
    pub author_reference: Option<Reference>,
    pub author_string: Option<String>,
    pub time: Option<String>,
}

/// `Resource.text` (`Narrative`): the XHTML `div`, kept only to be sanitised.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct Narrative {
    pub status: Option<String>,
    pub div: Option<String>,
}

/// A `Timing` in words: its code, else `2 times every 1 d`-style repeat words
/// (`twice a day`, `every 8 hours`, `at bedtime`), with its events and bounds.
pub fn timing_text(t: &Timing) -> Option<String> {
    let mut parts = Vec::new();
    if let Some(code) = t.code.as_ref().and_then(concept_text) {
        parts.push(code);
    }
    if let Some(r) = &t.repeat {
        let unit = |u: Option<&str>, n: &serde_json::Number| {
            let plural = n.to_string() != "1";
            let word = match u.unwrap_or_default() {
                "s" => "second",
                "min" => "minute",
                "h" => "hour",
                "d" => "day",
                "wk" => "week",
                "mo" => "month",
                "a" => "year",
                other => other,
            };
            match (plural, word.is_empty()) {
                (_, true) => n.to_string(),
                (true, false) => format!("{n} {word}s"),
                (false, false) => word.to_owned(),
            }
        };
        match (r.frequency, &r.period) {
            (Some(f), Some(p)) => {
                let times = match (f, r.frequency_max) {
                    (f, Some(max)) if max > f => format!("{f} to {max} times"),
                    (1, _) => "once".to_owned(),
                    (2, _) => "twice".to_owned(),
                    (f, _) => format!("{f} times"),
                };
                let every = unit(r.period_unit.as_deref(), p);
                parts.push(if p.to_string() == "1" {
                    format!("{times} a {every}")
                } else {
                    format!("{times} every {every}")
                });
            }
            (None, Some(p)) => parts.push(format!("every {}", unit(r.period_unit.as_deref(), p))),
            _ => {}
        }
        if let Some(d) = &r.duration {
            parts.push(format!("for {}", unit(r.duration_unit.as_deref(), d)));
        }
        if !r.day_of_week.is_empty() {
            parts.push(format!("on {}", r.day_of_week.join(", ")));
        }
        if !r.time_of_day.is_empty() {
            parts.push(format!("at {}", r.time_of_day.join(", ")));
        }
        if !r.when.is_empty() {
            parts.push(format!("when {}", r.when.join(", ")));
        }
        if let Some(count) = r.count {
            parts.push(format!("{count} times in all"));
        }
        if let Some(b) = r.bounds_duration.as_ref().and_then(quantity_text) {
            parts.push(format!("for {b}"));
        }
        if let Some(b) = r.bounds_period.as_ref().and_then(period_text) {
            parts.push(b);
        }
    }
    let events: Vec<&str> = t.event.iter().filter_map(|e| non_empty(Some(e))).collect();
    if !events.is_empty() {
        parts.push(format!("on {}", events.join(", ")));
    }
    (!parts.is_empty()).then(|| parts.join(", "))
}

/// When something began or was done, in whichever shape the source sent (`onset[x]`,
/// `performed[x]`, `effective[x]`, `occurrence[x]`, `abatement[x]`). Only a dateTime, instant,
/// Period or Timing places an item on the timeline; an age, a range of ages or words are
/// shown as words.
#[derive(Debug, Clone, Copy)]
pub enum When<'a> {
    DateTime(&'a str),
    Period(&'a Period),
    Timing(&'a Timing),
    Age(&'a Quantity),
    Range(&'a Range),
    Text(&'a str),
}

impl<'a> When<'a> {
    /// The first of the shapes present, in the order given.
    pub fn first(shapes: impl IntoIterator<Item = Option<When<'a>>>) -> Option<When<'a>> {
        shapes.into_iter().flatten().next()
    }

    /// The five-shape choice R4 gives `onset[x]`, `abatement[x]` and `performed[x]`: dateTime,
    /// Period, Age, Range or string, the first present.
    pub fn of_five(
        date_time: &'a Option<String>,
        period: &'a Option<Period>,
        age: &'a Option<Quantity>,
        range: &'a Option<Range>,
        text: &'a Option<String>,
    ) -> Option<When<'a>> {
        Self::first([
            date_time.as_deref().map(When::DateTime),
            period.as_ref().map(When::Period),
            age.as_ref().map(When::Age),
            range.as_ref().map(When::Range),
            text.as_deref().map(When::Text),
        ])
    }

    /// The date that places it on the timeline, if the shape has one.
    pub fn date(self) -> Option<&'a str> {
        match self {
            When::DateTime(d) => non_empty(Some(d)),
            When::Period(p) => period_date(p),
            When::Timing(t) => t.event.iter().find_map(|e| non_empty(Some(e))).or_else(|| {
                t.repeat
                    .as_ref()?
                    .bounds_period
                    .as_ref()
                    .and_then(period_date)
            }),
            When::Age(_) | When::Range(_) | When::Text(_) => None,
        }
    }

    /// Words for the shapes that carry no date ("age 45 years", "childhood"); a Period that
    /// ended is shown with its end.
    pub fn words(self) -> Option<String> {
        match self {
            When::DateTime(_) => None,
            When::Period(p) => match (non_empty(p.start.as_deref()), non_empty(p.end.as_deref())) {
                (Some(_), Some(end)) => Some(format!("until {end}")),
                _ => None,
            },
            When::Timing(t) => t.code.as_ref().and_then(concept_text),
            When::Age(age) => age_text(age).map(|a| format!("age {a}")),
            When::Range(range) => range_text(range, age_text).map(|r| format!("age {r}")),
            When::Text(text) => non_empty(Some(text)).map(str::to_owned),
        }
    }
}

/// A Period's start, else its end (an item known only to have ended by then).
fn period_date(p: &Period) -> Option<&str> {
    non_empty(p.start.as_deref()).or(non_empty(p.end.as_deref()))
}

/// An `Age` (a Quantity in UCUM time units): `45 years`, `6 months`.
pub fn age_text(q: &Quantity) -> Option<String> {
    let value = q.value.as_ref()?;
    let unit = non_empty(q.unit.as_deref()).or_else(|| {
        Some(match non_empty(q.code.as_deref())? {
            "a" => "years",
            "mo" => "months",
            "wk" => "weeks",
            "d" => "days",
            "h" => "hours",
            "min" => "minutes",
            other => other,
        })
    });
    Some(match unit {
        Some(unit) => format!("{value} {unit}"),
        None => value.to_string(),
    })
}

/// `3.5 to 5.3 mmol/L`, `at least 18 years`, `up to 10 mg`.
pub fn range_text(r: &Range, each: fn(&Quantity) -> Option<String>) -> Option<String> {
    let low = r.low.as_ref().and_then(each);
    let high = r.high.as_ref().and_then(each);
    match (low, high) {
        (Some(low), Some(high)) => Some(format!("{low} to {high}")),
        (Some(low), None) => Some(format!("at least {low}")),
        (None, Some(high)) => Some(format!("up to {high}")),
        (None, None) => None,
    }
}

/// `1:128` when neither side has a unit, else `10 mg / 5 mL`.
pub fn ratio_text(r: &Ratio) -> Option<String> {
    let n = r.numerator.as_ref()?;
    let d = r.denominator.as_ref()?;
    let unitless = |q: &Quantity| {
        non_empty(q.unit.as_deref()).is_none() && non_empty(q.code.as_deref()).is_none()
    };
    if unitless(n) && unitless(d) {
        return Some(format!("{}:{}", n.value.as_ref()?, d.value.as_ref()?));
    }
    Some(format!("{} / {}", quantity_text(n)?, quantity_text(d)?))
}

/// `from 2024-01-02 to 2024-01-09`, or one end of it.
pub fn period_text(p: &Period) -> Option<String> {
    match (non_empty(p.start.as_deref()), non_empty(p.end.as_deref())) {
        (Some(start), Some(end)) => Some(format!("from {start} to {end}")),
        (Some(start), None) => Some(format!("from {start}")),
        (None, Some(end)) => Some(format!("until {end}")),
        (None, None) => None,
    }
}

/// The first coding's code of a concept (status-like concepts such as `clinicalStatus`).
pub fn concept_code(concept: &CodeableConcept) -> Option<&str> {
    concept
        .coding
        .iter()
        .find_map(|c| non_empty(c.code.as_deref()))
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

pub fn non_empty(s: Option<&str>) -> Option<&str> {
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
    fn timing_reads_each_repeat_shape_in_words() {
        for (json, expected) in [
            (
                r#"{"repeat":{"frequency":2,"period":1,"periodUnit":"d"}}"#,
                "twice a day",
            ),
            (
                r#"{"repeat":{"frequency":1,"period":1,"periodUnit":"wk"}}"#,
                "once a week",
            ),
            (
                r#"{"repeat":{"frequency":3,"period":2,"periodUnit":"d"}}"#,
                "3 times every 2 days",
            ),
            (
                r#"{"repeat":{"frequency":1,"frequencyMax":2,"period":1,"periodUnit":"d"}}"#,
                "1 to 2 times a day",
            ),
            (
                r#"{"repeat":{"period":8,"periodUnit":"h"}}"#,
                "every 8 hours",
            ),
            (r#"{"code":{"text":"At bedtime"}}"#, "At bedtime"),
            (
                r#"{"repeat":{"when":["ACM"],"duration":5,"durationUnit":"d"}}"#,
                "for 5 days, when ACM",
            ),
            (
                r#"{"repeat":{"timeOfDay":["08:00:00"],"count":3}}"#,
                "at 08:00:00, 3 times in all",
            ),
            (r#"{"event":["2024-01-01"]}"#, "on 2024-01-01"),
        ] {
            let t: Timing = serde_json::from_str(json).unwrap();
            assert_eq!(timing_text(&t).as_deref(), Some(expected), "{json}");
        }
        assert_eq!(timing_text(&Timing::default()), None);
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
