//! Trends: which timeline entries form a series worth charting (vital signs, NEWS2, HbA1c,
//! eGFR...), matched on LOINC and SNOMED CT codes in any coding of the entry, and each
//! series' readings in time order with their units kept apart (never two units on one axis).
//! Pure: no I/O, no rendering.

use crate::clinical_date::ClinicalDate;
use crate::model::{Code, Measurement, TimelineEntry};
use crate::nhs_number::NhsNumber;

const LOINC: &str = "http://loinc.org";
const SNOMED: &str = "http://snomed.info/sct";

/// The key of the blood pressure series (two lines: systolic and diastolic).
pub const BLOOD_PRESSURE: &str = "blood-pressure";

/// One kind of series the portal can chart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SeriesDef {
    /// The key in addresses (`?series=heart-rate`).
    pub key: &'static str,
    /// What it is called on screen (`Heart rate`).
    pub label: &'static str,
    /// A vital sign or NEWS2: shown among the latest vital signs.
    pub vital: bool,
    /// The codings that place an entry in this series (system, code).
    codes: &'static [(&'static str, &'static str)],
}

/// A blood pressure panel: its systolic and diastolic values are components.
const BP_PANEL: &[(&str, &str)] = &[
    (LOINC, "85354-9"),
    (LOINC, "55284-4"),
    (SNOMED, "75367002"),
    (SNOMED, "163020007"),
];
const SYSTOLIC: &[(&str, &str)] = &[
    (LOINC, "8480-6"),
    (SNOMED, "271649006"),
    (SNOMED, "72313002"),
];
const DIASTOLIC: &[(&str, &str)] = &[
    (LOINC, "8462-4"),
    (SNOMED, "271650006"),
    (SNOMED, "1091811000000102"),
];

/// Every series, in the order they are listed: vital signs and NEWS2 first, then results.
pub const CATALOGUE: &[SeriesDef] = &[
    SeriesDef {
        key: "news2",
        label: "NEWS2 score",
        vital: true,
        codes: &[(SNOMED, "1104051000000101")],
    },
    SeriesDef {
        key: BLOOD_PRESSURE,
        label: "Blood pressure",
        vital: true,
        codes: &[], // matched by the panel, systolic and diastolic lists above
    },
    SeriesDef {
        key: "heart-rate",
        label: "Heart rate",
        vital: true,
        codes: &[
            (LOINC, "8867-4"),
            (LOINC, "8889-8"),
            (SNOMED, "364075005"),
            (SNOMED, "78564009"),
        ],
    },
    SeriesDef {
        key: "respiratory-rate",
        label: "Respiratory rate",
        vital: true,
        codes: &[(LOINC, "9279-1"), (SNOMED, "86290005")],
    },
    SeriesDef {
        key: "oxygen-saturation",
        label: "Oxygen saturation (SpO2)",
        vital: true,
        codes: &[
            (LOINC, "59408-5"),
            (LOINC, "2708-6"),
            (LOINC, "20564-1"),
            (SNOMED, "431314004"),
            (SNOMED, "103228002"),
        ],
    },
    SeriesDef {
        key: "temperature",
        label: "Temperature",
        vital: true,
        codes: &[
            (LOINC, "8310-5"),
            (LOINC, "8331-1"),
            (LOINC, "8332-9"),
            (SNOMED, "386725007"),
            (SNOMED, "276885007"),
        ],
    },
    SeriesDef {
        key: "weight",
        label: "Weight",
        vital: false,
        codes: &[(LOINC, "29463-7"), (LOINC, "3141-9"), (SNOMED, "27113001")],
    },
    SeriesDef {
        key: "bmi",
        label: "Body mass index",
        vital: false,
        codes: &[(LOINC, "39156-5"), (SNOMED, "60621009")],
    },
    SeriesDef {
        key: "hba1c",
        label: "HbA1c",
        vital: false,
        codes: &[
            (LOINC, "59261-8"),
            (LOINC, "4548-4"),
            (LOINC, "17856-6"),
            (SNOMED, "999791000000106"),
            (SNOMED, "43396009"),
        ],
    },
    SeriesDef {
        key: "egfr",
        label: "eGFR",
        vital: false,
        codes: &[
            (LOINC, "33914-3"),
            (LOINC, "62238-1"),
            (LOINC, "69405-9"),
            (LOINC, "98979-8"),
            (SNOMED, "1011481000000105"),
            (SNOMED, "1020291000000106"),
            (SNOMED, "80274001"),
        ],
    },
    SeriesDef {
        key: "creatinine",
        label: "Creatinine",
        vital: false,
        codes: &[(LOINC, "14682-9"), (LOINC, "2160-0"), (SNOMED, "113075003")],
    },
    SeriesDef {
        key: "potassium",
        label: "Potassium",
        vital: false,
        codes: &[(LOINC, "2823-3"), (LOINC, "6298-4"), (SNOMED, "88480006")],
    },
    SeriesDef {
        key: "sodium",
        label: "Sodium",
        vital: false,
        codes: &[(LOINC, "2951-2"), (LOINC, "2947-0"), (SNOMED, "25197003")],
    },
    SeriesDef {
        key: "haemoglobin",
        label: "Haemoglobin",
        vital: false,
        codes: &[(LOINC, "718-7"), (SNOMED, "271026005")],
    },
    SeriesDef {
        key: "crp",
        label: "C reactive protein",
        vital: false,
        codes: &[(LOINC, "1988-5"), (SNOMED, "55235003")],
    },
    SeriesDef {
        key: "glucose",
        label: "Blood glucose",
        vital: false,
        codes: &[
            (LOINC, "14743-9"),
            (LOINC, "2339-0"),
            (LOINC, "15074-8"),
            (SNOMED, "33747003"),
        ],
    },
];

/// The series with this key.
pub fn definition(key: &str) -> Option<&'static SeriesDef> {
    CATALOGUE.iter().find(|d| d.key == key)
}

/// True when a coding is one of `list` (systems compared without a trailing `/`).
fn listed(code: &Code, list: &[(&str, &str)]) -> bool {
    let system = code.system.trim_end_matches('/');
    list.iter()
        .any(|(s, c)| *s == system && *c == code.code.trim())
}

fn any_listed(codes: &[Code], list: &[(&str, &str)]) -> bool {
    codes.iter().any(|c| listed(c, list))
}

/// Which line of a series a reading belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Line {
    Value,
    Systolic,
    Diastolic,
}

impl Line {
    pub fn label(self) -> &'static str {
        match self {
            Self::Value => "Value",
            Self::Systolic => "Systolic",
            Self::Diastolic => "Diastolic",
        }
    }
}

/// True when the entry was recorded in error or not done: never plotted.
fn not_a_reading(entry: &TimelineEntry) -> bool {
    entry.entered_in_error
        || matches!(
            entry.status.as_deref(),
            Some("entered-in-error" | "cancelled")
        )
}

/// The series an entry belongs to, when it carries a measured value: the first catalogue
/// series any of its codings (or, for blood pressure, its components' codings) names.
pub fn series_key(entry: &TimelineEntry) -> Option<&'static str> {
    if not_a_reading(entry) {
        return None;
    }
    let measurement = entry.measurement.as_ref()?;
    let codes = &entry.codes;
    let component_bp = measurement
        .components
        .iter()
        .any(|c| any_listed(&c.codes, SYSTOLIC) || any_listed(&c.codes, DIASTOLIC));
    let has_value = !measurement.value.is_empty();
    CATALOGUE
        .iter()
        .find(|d| {
            if d.key == BLOOD_PRESSURE {
                (any_listed(codes, BP_PANEL) && component_bp)
                    || (has_value && (any_listed(codes, SYSTOLIC) || any_listed(codes, DIASTOLIC)))
            } else {
                has_value && any_listed(codes, d.codes)
            }
        })
        .map(|d| d.key)
}

/// One reading of a series.
#[derive(Debug, Clone, PartialEq)]
pub struct Point {
    /// `None`: the source gave no date (listed in the table, never plotted).
    pub date: Option<ClinicalDate>,
    pub line: Line,
    /// The value exactly as the source sent it.
    pub value: String,
    /// The value as a number, when it reads as one (else listed, not plotted).
    pub number: Option<f64>,
    /// The unit as the source sent it.
    pub unit: Option<String>,
    /// The unit the reading is grouped under: exact spellings of one unit (`Cel`, `°C`) are
    /// one; anything else is its own.
    pub unit_group: String,
    /// The source's reference range, as sent.
    pub low: Option<String>,
    pub high: Option<String>,
    /// The source's own flag (`H`, `L`, `A`).
    pub marker: Option<&'static str>,
    pub source_id: String,
    pub resource_id: String,
}

impl Point {
    fn new(entry: &TimelineEntry, line: Line, m: &Measurement) -> Self {
        Self {
            date: entry.date.clone(),
            line,
            value: m.value.clone(),
            number: m.value.trim().parse::<f64>().ok().filter(|n| n.is_finite()),
            unit: m.unit.clone(),
            unit_group: unit_group(m.unit.as_deref()),
            low: m.low.clone(),
            high: m.high.clone(),
            marker: m.marker(),
            source_id: entry.source_id.clone(),
            resource_id: entry.resource_id.clone(),
        }
    }

    fn bound(value: &Option<String>) -> Option<f64> {
        value.as_deref()?.trim().parse::<f64>().ok()
    }

    pub fn low_number(&self) -> Option<f64> {
        Self::bound(&self.low)
    }

    pub fn high_number(&self) -> Option<f64> {
        Self::bound(&self.high)
    }

    /// True when the value lies outside the source's own reference range (whether or not the
    /// source flagged it).
    pub fn outside_range(&self) -> bool {
        let Some(n) = self.number else { return false };
        self.low_number().is_some_and(|low| n < low)
            || self.high_number().is_some_and(|high| n > high)
    }

    /// True when the reading is to be marked: flagged by the source or outside its range.
    pub fn marked(&self) -> bool {
        self.marker.is_some() || self.outside_range()
    }

    /// True when it can be placed on a time axis.
    pub fn plottable(&self) -> bool {
        self.date.is_some() && self.number.is_some()
    }

    /// The reference range in words (`51 to 90`, `at least 96`, `up to 5`), or `None`.
    pub fn range_words(&self) -> Option<String> {
        match (&self.low, &self.high) {
            (Some(low), Some(high)) => Some(format!("{low} to {high}")),
            (Some(low), None) => Some(format!("at least {low}")),
            (None, Some(high)) => Some(format!("up to {high}")),
            (None, None) => None,
        }
    }

    /// The flag in words, for the table.
    pub fn flag_words(&self) -> &'static str {
        match (self.marker, self.outside_range()) {
            (Some("H"), _) => "H: high (source's flag)",
            (Some("L"), _) => "L: low (source's flag)",
            (Some(_), _) => "A: abnormal (source's flag)",
            (None, true) => "Outside the source's range (not flagged by the source)",
            (None, false) => "Not flagged",
        }
    }
}

/// The readings of one series for one patient.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    pub def: &'static SeriesDef,
    /// Oldest first; undated readings last.
    pub points: Vec<Point>,
}

/// The readings of one unit in a series: what one chart (one value axis) shows.
#[derive(Debug, Clone, PartialEq)]
pub struct UnitGroup<'a> {
    pub unit: String,
    pub points: Vec<&'a Point>,
}

impl Series {
    /// The unit groups, the one with the latest dated reading first.
    pub fn by_unit(&self) -> Vec<UnitGroup<'_>> {
        let mut groups: Vec<UnitGroup<'_>> = Vec::new();
        for p in &self.points {
            match groups.iter_mut().find(|g| g.unit == p.unit_group) {
                Some(g) => g.points.push(p),
                None => groups.push(UnitGroup {
                    unit: p.unit_group.clone(),
                    points: vec![p],
                }),
            }
        }
        let latest = |g: &UnitGroup<'_>| {
            g.points
                .iter()
                .filter_map(|p| p.date.as_ref().map(|d| d.sort_key))
                .max()
        };
        groups.sort_by_key(|g| std::cmp::Reverse(latest(g)));
        groups
    }

    /// The lines this series draws (blood pressure: systolic and diastolic).
    pub fn lines(&self) -> Vec<Line> {
        let mut lines: Vec<Line> = self.points.iter().map(|p| p.line).collect();
        lines.sort();
        lines.dedup();
        lines
    }

    /// The latest dated reading of each line (blood pressure: the latest systolic and
    /// diastolic), for the latest vital signs.
    pub fn latest(&self) -> Vec<&Point> {
        self.lines()
            .into_iter()
            .filter_map(|line| {
                self.points
                    .iter()
                    .filter(|p| p.line == line && p.date.is_some())
                    .max_by_key(|p| p.date.as_ref().map(|d| d.sort_key))
            })
            .collect()
    }

    /// Readings the chart cannot place: undated, or not a number.
    pub fn unplotted(&self) -> usize {
        self.points.iter().filter(|p| !p.plottable()).count()
    }
}

/// The readings of series `key` among the entries (empty for an unknown key or none found).
pub fn series(entries: &[TimelineEntry], key: &str) -> Option<Series> {
    let def = definition(key)?;
    let mut points: Vec<Point> = Vec::new();
    for entry in entries.iter().filter(|e| series_key(e) == Some(def.key)) {
        let Some(m) = entry.measurement.as_ref() else {
            continue;
        };
        if def.key != BLOOD_PRESSURE {
            points.push(Point::new(entry, Line::Value, m));
            continue;
        }
        if !m.value.is_empty() {
            let line = if any_listed(&entry.codes, SYSTOLIC) {
                Line::Systolic
            } else {
                Line::Diastolic
            };
            points.push(Point::new(entry, line, m));
        }
        for c in &m.components {
            let line = if any_listed(&c.codes, SYSTOLIC) {
                Line::Systolic
            } else if any_listed(&c.codes, DIASTOLIC) {
                Line::Diastolic
            } else {
                continue;
            };
            if !c.measurement.value.is_empty() {
                points.push(Point::new(entry, line, &c.measurement));
            }
        }
    }
    points.sort_by(|a, b| match (&a.date, &b.date) {
        (Some(x), Some(y)) => x.cmp(y).then(a.line.cmp(&b.line)),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => a.line.cmp(&b.line),
    });
    Some(Series { def, points })
}

/// Every series this patient has readings in, in catalogue order, with how many.
pub fn available(entries: &[TimelineEntry]) -> Vec<(&'static SeriesDef, usize)> {
    CATALOGUE
        .iter()
        .filter_map(|def| {
            let n = entries
                .iter()
                .filter(|e| series_key(e) == Some(def.key))
                .count();
            (n > 0).then_some((def, n))
        })
        .collect()
}

/// The trend page of series `key` for this patient.
pub fn trend_href(nhs: NhsNumber, key: &str) -> String {
    format!("/record/trends?nhs={}&series={key}", nhs.as_digits())
}

/// Exact spellings of one unit, grouped under the first (UCUM annotations such as
/// `{beats}` carry no meaning and are dropped before comparing). Nothing is converted:
/// `[degF]` and `%` HbA1c stay their own units.
const SAME_UNIT: &[(&str, &[&str])] = &[
    ("°C", &["cel", "°c", "degc", "deg c", "℃"]),
    ("mmHg", &["mm[hg]", "mmhg", "mm hg"]),
    (
        "/min",
        &[
            "/min",
            "beats/min",
            "breaths/min",
            "bpm",
            "per minute",
            "1/min",
        ],
    ),
    ("%", &["%"]),
    ("kg", &["kg"]),
    ("kg/m²", &["kg/m2", "kg/m^2", "kg/m²"]),
    ("mmol/mol", &["mmol/mol"]),
    ("mmol/L", &["mmol/l"]),
    ("µmol/L", &["umol/l", "µmol/l", "μmol/l"]),
    ("g/L", &["g/l"]),
    ("mg/L", &["mg/l"]),
    (
        "mL/min/1.73m²",
        &[
            "ml/min/1.73m2",
            "ml/min/1.73_m2",
            "ml/min/1.73 m2",
            "ml/min/1.73m^2",
            "ml/min/1.73m²",
        ],
    ),
];

/// What a reading's unit is grouped under: `No unit given` when the source sent none.
pub fn unit_group(unit: Option<&str>) -> String {
    let Some(unit) = unit.map(str::trim).filter(|u| !u.is_empty()) else {
        return "No unit given".to_owned();
    };
    let folded = fold(unit);
    SAME_UNIT
        .iter()
        .find(|(_, spellings)| spellings.contains(&folded.as_str()))
        .map(|(name, _)| (*name).to_owned())
        .unwrap_or_else(|| unit.to_owned())
}

/// Lower case, annotations (`{...}`) removed, `/{1.73_m2}` style annotations kept as text.
fn fold(unit: &str) -> String {
    let mut out = String::with_capacity(unit.len());
    let mut depth = 0usize;
    let mut annotation = String::new();
    for ch in unit.chars() {
        match ch {
            '{' => {
                depth += 1;
                annotation.clear();
            }
            '}' if depth > 0 => {
                depth -= 1;
                // An annotation standing alone in a denominator (`mL/min/{1.73_m2}`) is the
                // body-surface normalisation eGFR is reported per: keep it as text.
                if annotation.starts_with("1.73") {
                    out.push_str(&annotation);
                }
            }
            c if depth > 0 => annotation.push(c),
            c => out.push(c),
        }
    }
    out.trim().to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Category, ComponentMeasurement};

    fn code(system: &str, code: &str) -> Code {
        Code::new(system, code)
    }

    fn measured(value: &str, unit: Option<&str>) -> Measurement {
        Measurement {
            value: value.to_owned(),
            unit: unit.map(str::to_owned),
            ..Default::default()
        }
    }

    fn entry(
        id: &str,
        date: Option<&str>,
        codes: Vec<Code>,
        m: Option<Measurement>,
    ) -> TimelineEntry {
        TimelineEntry {
            date: date.map(|d| ClinicalDate::parse(d).unwrap()),
            category: Category::Observation,
            title: "reading".to_owned(),
            detail: None,
            status: Some("final".to_owned()),
            source_id: "acute".to_owned(),
            resource_type: "Observation".to_owned(),
            resource_id: id.to_owned(),
            codes,
            security: Vec::new(),
            also_recorded_at: Vec::new(),
            discrepancy: None,
            measurement: m.map(Box::new),
            attachments: Vec::new(),
            until: None,
            setting: None,
            reason_codes: Vec::new(),
            reason_refs: Vec::new(),
            entered_in_error: false,
            full_detail: None,
        }
    }

    #[test]
    fn any_coding_position_places_an_entry() {
        let local_first = vec![code("urn:local", "HR"), code(SNOMED, "364075005")];
        let e = entry(
            "a",
            Some("2026-06-01"),
            local_first,
            Some(measured("80", Some("/min"))),
        );
        assert_eq!(series_key(&e), Some("heart-rate"));
        let loinc_second = vec![code(SNOMED, "999"), code("http://loinc.org/", "8867-4")];
        let e = entry(
            "b",
            Some("2026-06-01"),
            loinc_second,
            Some(measured("80", None)),
        );
        assert_eq!(
            series_key(&e),
            Some("heart-rate"),
            "trailing slash on the system"
        );
        // The right code in the wrong system is not a match.
        let wrong_system = vec![code("urn:local", "8867-4")];
        let e = entry(
            "c",
            Some("2026-06-01"),
            wrong_system,
            Some(measured("80", None)),
        );
        assert_eq!(series_key(&e), None);
        // No measured value: nothing to chart.
        let e = entry("d", Some("2026-06-01"), vec![code(LOINC, "8867-4")], None);
        assert_eq!(series_key(&e), None);
        let news = entry(
            "e",
            None,
            vec![code(SNOMED, "1104051000000101")],
            Some(measured("7", None)),
        );
        assert_eq!(series_key(&news), Some("news2"));
    }

    #[test]
    fn readings_in_error_or_cancelled_are_not_plotted() {
        let mut e = entry(
            "a",
            Some("2026-06-01"),
            vec![code(LOINC, "8867-4")],
            Some(measured("80", None)),
        );
        let fine = entry(
            "b",
            Some("2026-06-02"),
            vec![code(LOINC, "8867-4")],
            Some(measured("82", None)),
        );
        e.status = Some("entered-in-error".to_owned());
        assert_eq!(series_key(&e), None);
        let s = series(&[e, fine], "heart-rate").unwrap();
        assert_eq!(s.points.len(), 1);
        assert_eq!(s.points[0].value, "82");
    }

    #[test]
    fn blood_pressure_from_components_and_from_separate_observations() {
        let component = |codes: Vec<Code>, value: &str, flag: Option<&str>, range: (&str, &str)| {
            ComponentMeasurement {
                codes,
                measurement: Measurement {
                    value: value.to_owned(),
                    unit: Some("mm[Hg]".to_owned()),
                    interpretation: flag.map(str::to_owned),
                    low: Some(range.0.to_owned()),
                    high: Some(range.1.to_owned()),
                    components: Vec::new(),
                },
            }
        };
        let panel = Measurement {
            components: vec![
                component(
                    vec![code("urn:x", "s"), code(SNOMED, "271649006")],
                    "98",
                    Some("L"),
                    ("111", "219"),
                ),
                component(vec![code(LOINC, "8462-4")], "58", None, ("50", "90")),
                // A mean arterial pressure: not drawn.
                component(vec![code(LOINC, "8478-0")], "71", None, ("70", "100")),
            ],
            ..Default::default()
        };
        let e1 = entry(
            "p",
            Some("2026-06-02T08:00:00Z"),
            vec![code(SNOMED, "75367002")],
            Some(panel),
        );
        let systolic = entry(
            "s",
            Some("2026-06-01T08:00:00Z"),
            vec![code(LOINC, "8480-6")],
            Some(measured("140", Some("mmHg"))),
        );
        let diastolic = entry(
            "d",
            Some("2026-06-01T08:00:00Z"),
            vec![code(SNOMED, "271650006")],
            Some(measured("90", Some("mm[Hg]"))),
        );
        // A panel code without measured components is not a blood pressure reading.
        let empty_panel = entry(
            "x",
            Some("2026-06-03"),
            vec![code(LOINC, "85354-9")],
            Some(measured("", None)),
        );
        for e in [&e1, &systolic, &diastolic] {
            assert_eq!(series_key(e), Some(BLOOD_PRESSURE), "{}", e.resource_id);
        }
        assert_eq!(series_key(&empty_panel), None);
        let s = series(&[e1, systolic, diastolic, empty_panel], BLOOD_PRESSURE).unwrap();
        let got: Vec<(&str, Line, Option<&str>)> = s
            .points
            .iter()
            .map(|p| (p.value.as_str(), p.line, p.marker))
            .collect();
        assert_eq!(
            got,
            [
                ("140", Line::Systolic, None),
                ("90", Line::Diastolic, None),
                ("98", Line::Systolic, Some("L")),
                ("58", Line::Diastolic, None),
            ]
        );
        assert_eq!(s.lines(), [Line::Systolic, Line::Diastolic]);
        assert_eq!(s.by_unit().len(), 1, "mmHg and mm[Hg] are one unit");
        let latest: Vec<&str> = s.latest().iter().map(|p| p.value.as_str()).collect();
        assert_eq!(latest, ["98", "58"]);
        assert!(s.points[2].marked() && s.points[2].outside_range());
        assert!(!s.points[3].marked() && !s.points[3].outside_range());
    }

    #[test]
    fn mixed_units_are_kept_apart_and_exact_spellings_joined() {
        let temp = |id: &str, date: &str, value: &str, unit: Option<&str>| {
            entry(
                id,
                Some(date),
                vec![code(LOINC, "8310-5")],
                Some(measured(value, unit)),
            )
        };
        let entries = [
            temp("a", "2026-06-01", "37.0", Some("Cel")),
            temp("b", "2026-06-02", "37.5", Some("°C")),
            temp("c", "2026-06-03", "99.5", Some("[degF]")),
            temp("d", "2026-05-30", "36.8", None),
        ];
        let s = series(&entries, "temperature").unwrap();
        let groups = s.by_unit();
        let shape: Vec<(&str, usize)> = groups
            .iter()
            .map(|g| (g.unit.as_str(), g.points.len()))
            .collect();
        assert_eq!(shape, [("[degF]", 1), ("°C", 2), ("No unit given", 1)]);
        assert_eq!(unit_group(Some("{beats}/min")), "/min");
        assert_eq!(unit_group(Some("mL/min/{1.73_m2}")), "mL/min/1.73m²");
        assert_eq!(unit_group(Some("mL/min/1.73m2")), "mL/min/1.73m²");
        assert_eq!(unit_group(Some("%")), "%");
        assert_eq!(unit_group(Some("mmol/mol")), "mmol/mol");
        assert_ne!(
            unit_group(Some("%")),
            unit_group(Some("mmol/mol")),
            "HbA1c units differ"
        );
    }

    #[test]
    fn undated_and_unreadable_values_are_listed_not_plotted() {
        let hr = |id: &str, date: Option<&str>, value: &str| {
            entry(
                id,
                date,
                vec![code(LOINC, "8867-4")],
                Some(measured(value, Some("/min"))),
            )
        };
        let s = series(
            &[
                hr("u", None, "70"),
                hr("b", Some("2026-06-02"), "75"),
                hr("a", Some("2026-06-01T10:00:00Z"), "72.50"),
                hr("x", Some("2026-06-03"), "high"),
            ],
            "heart-rate",
        )
        .unwrap();
        let order: Vec<&str> = s.points.iter().map(|p| p.resource_id.as_str()).collect();
        assert_eq!(order, ["a", "b", "x", "u"], "oldest first, undated last");
        assert_eq!(s.points[0].value, "72.50", "the value as sent");
        assert_eq!(s.points[0].number, Some(72.5));
        assert_eq!(s.unplotted(), 2);
        assert_eq!(s.latest()[0].resource_id, "x");
    }

    #[test]
    fn ranges_flags_and_links() {
        let mut m = measured("112", Some("/min"));
        m.low = Some("51".to_owned());
        m.high = Some("90".to_owned());
        let e = entry(
            "a",
            Some("2026-06-01"),
            vec![code(LOINC, "8867-4")],
            Some(m.clone()),
        );
        let p = &series(&[e], "heart-rate").unwrap().points[0];
        assert!(p.outside_range() && p.marked() && p.marker.is_none());
        assert_eq!(p.range_words().as_deref(), Some("51 to 90"));
        assert_eq!(
            p.flag_words(),
            "Outside the source's range (not flagged by the source)"
        );
        m.interpretation = Some("HH".to_owned());
        let e = entry(
            "a",
            Some("2026-06-01"),
            vec![code(LOINC, "8867-4")],
            Some(m),
        );
        assert_eq!(
            series(&[e], "heart-rate").unwrap().points[0].flag_words(),
            "H: high (source's flag)"
        );
        let nhs = NhsNumber::parse("9434765919").unwrap();
        assert_eq!(
            trend_href(nhs, "heart-rate"),
            "/record/trends?nhs=9434765919&series=heart-rate"
        );
        assert!(series(&[], "no-such-series").is_none());
        let keys: Vec<&str> = CATALOGUE.iter().map(|d| d.key).collect();
        let mut unique = keys.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), keys.len(), "keys are unique");
    }
}
