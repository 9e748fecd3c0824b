//! The vitals showcase patient: an emergency admission with observations every four hours
//! for three days (blood pressure as components, heart and respiratory rate, SpO2,
//! temperature and the NEWS2 total score scored from them), with reference ranges and the
//! hospital's H/L flags; and the GP's HbA1c and eGFR history. For trends.

use super::calendar::{date_time, ANCHOR_DAY};
use super::catalogue::{LOINC, SNOMED, UCUM};
use super::records::{category, coded, Gen};
use serde_json::{json, Value};

/// How many observation rounds the admission has (every four hours for three days).
pub const ROUNDS: i64 = 19;
/// The SNOMED CT concept of the NEWS2 total score.
pub const NEWS2_TOTAL: &str = "1104051000000101";

/// When the admission began: 06:40 three days before the anchor date.
const ADMITTED_DAY: i64 = ANCHOR_DAY - 3;
const ADMITTED_MINUTE: i64 = 6 * 60 + 40;

/// One observation round's readings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Round {
    pub respiratory_rate: i64,
    pub spo2: i64,
    pub on_oxygen: bool,
    pub systolic: i64,
    pub diastolic: i64,
    pub heart_rate: i64,
    /// Tenths of a degree Celsius.
    pub temperature_tenths: i64,
}

impl Round {
    /// The NEWS2 total (Royal College of Physicians, 2017; SpO2 scale 1, alert).
    pub fn news2(&self) -> i64 {
        let rr = match self.respiratory_rate {
            ..=8 => 3,
            9..=11 => 1,
            12..=20 => 0,
            21..=24 => 2,
            _ => 3,
        };
        let spo2 = match self.spo2 {
            ..=91 => 3,
            92..=93 => 2,
            94..=95 => 1,
            _ => 0,
        };
        let oxygen = if self.on_oxygen { 2 } else { 0 };
        let systolic = match self.systolic {
            ..=90 => 3,
            91..=100 => 2,
            101..=110 => 1,
            111..=219 => 0,
            _ => 3,
        };
        let pulse = match self.heart_rate {
            ..=40 => 3,
            41..=50 => 1,
            51..=90 => 0,
            91..=110 => 1,
            111..=130 => 2,
            _ => 3,
        };
        let temperature = match self.temperature_tenths {
            ..=350 => 3,
            351..=360 => 1,
            361..=380 => 0,
            381..=390 => 1,
            _ => 2,
        };
        rr + spo2 + oxygen + systolic + pulse + temperature
    }
}

/// A UCUM quantity with its own display unit.
fn ucum(value: f64, unit: &str, code: &str) -> Value {
    let value = if value.fract() == 0.0 {
        json!(value as i64)
    } else {
        json!(value)
    };
    json!({ "value": value, "unit": unit, "system": UCUM, "code": code })
}

/// A reference range in the quantity's unit.
fn range(low: f64, high: f64, unit: &str, code: &str) -> Value {
    json!([{ "low": ucum(low, unit, code), "high": ucum(high, unit, code) }])
}

/// `H` or `L` in v3 ObservationInterpretation, when the value is outside `low..=high`.
fn flag(value: f64, low: f64, high: f64) -> Option<Value> {
    let (code, display) = if value > high {
        ("H", "High")
    } else if value < low {
        ("L", "Low")
    } else {
        return None;
    };
    Some(json!([{ "coding": [{
        "system": "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation",
        "code": code, "display": display }] }]))
}

/// A measured value with its range, flagged by the source when `flagged`.
fn measured(
    value: f64,
    (low, high): (f64, f64),
    (unit, code): (&str, &str),
    flagged: bool,
) -> Value {
    let mut body = json!({
        "valueQuantity": ucum(value, unit, code),
        "referenceRange": range(low, high, unit, code) });
    if let Some(interpretation) = flag(value, low, high).filter(|_| flagged) {
        body["interpretation"] = interpretation;
    }
    body
}

impl Gen {
    /// The readings of round `n` (0 on admission): unwell on arrival, recovering.
    fn round(&mut self, n: i64) -> Round {
        let progress = n as f64 / (ROUNDS - 1) as f64;
        let mut noisy = |start: f64, end: f64, jitter: i64| {
            (start + (end - start) * progress).round() as i64 + self.rng.between(-jitter, jitter)
        };
        Round {
            respiratory_rate: noisy(27.0, 17.0, 1),
            spo2: noisy(90.0, 96.0, 1).min(99),
            on_oxygen: n < 6,
            systolic: noisy(94.0, 126.0, 4),
            diastolic: noisy(56.0, 78.0, 3),
            heart_rate: noisy(124.0, 82.0, 3),
            temperature_tenths: noisy(391.0, 369.0, 2),
        }
    }

    /// The emergency admission and its observation rounds, as the hospital records them.
    pub(super) fn vitals_admission(&mut self) {
        let body = json!({ "status": "in-progress",
            "class": { "system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "IMP", "display": "inpatient encounter" },
            "type": [{ "text": "Emergency admission: community-acquired pneumonia" }],
            "period": { "start": date_time(ADMITTED_DAY, ADMITTED_MINUTE - 40) } });
        self.push("Encounter", ADMITTED_DAY, body);

        const MIN: (&str, &str) = ("/min", "/min");
        const MMHG: (&str, &str) = ("mmHg", "mm[Hg]");
        for n in 0..ROUNDS {
            let at = ADMITTED_MINUTE + n * 4 * 60;
            let (day, minute) = (ADMITTED_DAY + at / 1440, at % 1440);
            let r = self.round(n);
            let when = date_time(day, minute);
            let vital = |code: Value, value: Value| {
                let mut body = json!({ "status": "final",
                    "category": category("observation-category", "vital-signs", "Vital Signs"),
                    "code": code, "effectiveDateTime": when });
                if let (Some(body), Some(value)) = (body.as_object_mut(), value.as_object()) {
                    body.extend(value.clone());
                }
                body
            };

            let component = |code: &str, display: &str, value: i64, bounds: (f64, f64)| {
                let mut c = measured(value as f64, bounds, MMHG, true);
                c["code"] = coded(LOINC, code, display);
                c
            };
            let bp = json!({ "component": [
                component("8480-6", "Systolic blood pressure", r.systolic, (111.0, 219.0)),
                component("8462-4", "Diastolic blood pressure", r.diastolic, (60.0, 90.0)),
            ] });
            self.push(
                "Observation",
                day,
                vital(coded(LOINC, "85354-9", "Blood pressure"), bp),
            );

            // Heart rate coded twice: LOINC first, SNOMED CT second.
            let heart = json!({ "coding": [
                { "system": LOINC, "code": "8867-4", "display": "Heart rate" },
                { "system": SNOMED, "code": "364075005", "display": "Heart rate" }], "text": "Heart rate" });
            let value = measured(r.heart_rate as f64, (51.0, 90.0), MIN, true);
            self.push("Observation", day, vital(heart, value));

            let value = measured(r.respiratory_rate as f64, (12.0, 20.0), MIN, true);
            self.push(
                "Observation",
                day,
                vital(coded(LOINC, "9279-1", "Respiratory rate"), value),
            );

            let mut value = measured(r.spo2 as f64, (96.0, 100.0), ("%", "%"), true);
            if r.on_oxygen {
                value["note"] = json!([{ "text": "On supplemental oxygen" }]);
            }
            let spo2 = coded(
                LOINC,
                "59408-5",
                "Oxygen saturation in Arterial blood by Pulse oximetry",
            );
            self.push("Observation", day, vital(spo2, value));

            // The hospital sends a range with temperatures but no flag: the portal marks a
            // reading outside the range as "not flagged by the source".
            let celsius = r.temperature_tenths as f64 / 10.0;
            let value = measured(celsius, (36.1, 38.0), ("°C", "Cel"), false);
            self.push(
                "Observation",
                day,
                vital(coded(LOINC, "8310-5", "Body temperature"), value),
            );

            let score = r.news2() as f64;
            let mut value = json!({ "valueQuantity": ucum(score, "score", "{score}"),
                "referenceRange": [{ "low": ucum(0.0, "score", "{score}"), "high": ucum(4.0, "score", "{score}"),
                    "text": "0 to 4: low risk" }] });
            if let Some(interpretation) = flag(score, 0.0, 4.0) {
                value["interpretation"] = interpretation;
            }
            let news2 = coded(
                SNOMED,
                NEWS2_TOTAL,
                "Royal College of Physicians NEWS2 (National Early Warning Score 2) total score",
            );
            self.push("Observation", day, vital(news2, value));
        }
    }

    /// Four years of six-monthly HbA1c and eGFR at the GP: diabetes control improving,
    /// kidney function declining.
    pub(super) fn vitals_gp_results(&mut self) {
        const HBA1C: [i64; 8] = [58, 62, 67, 71, 64, 59, 55, 53];
        const EGFR: [i64; 8] = [78, 74, 71, 66, 63, 58, 55, 52];
        for (n, (hba1c, egfr)) in HBA1C.into_iter().zip(EGFR).enumerate() {
            let day = ANCHOR_DAY - 30 - (7 - n as i64) * 182;
            let when = date_time(day, 9 * 60 + 10);
            let lab = |code: Value, value: Value| {
                let mut body = json!({ "status": "final",
                    "category": category("observation-category", "laboratory", "Laboratory"),
                    "code": code, "effectiveDateTime": when, "issued": date_time(day, 16 * 60) });
                if let (Some(body), Some(value)) = (body.as_object_mut(), value.as_object()) {
                    body.extend(value.clone());
                }
                body
            };
            let value = measured(hba1c as f64, (20.0, 41.0), ("mmol/mol", "mmol/mol"), true);
            let code = coded(
                LOINC,
                "59261-8",
                "Haemoglobin A1c/Haemoglobin.total in Blood by IFCC protocol",
            );
            self.push("Observation", day, lab(code, value));

            let value = measured(
                egfr as f64,
                (60.0, 120.0),
                ("mL/min/1.73m2", "mL/min/{1.73_m2}"),
                true,
            );
            // SNOMED CT first, LOINC second.
            let code = json!({ "coding": [
                { "system": SNOMED, "code": "1011481000000105", "display": "eGFR (estimated glomerular filtration rate) using creatinine Chronic Kidney Disease Epidemiology Collaboration equation per 1.73 square metres" },
                { "system": LOINC, "code": "62238-1", "display": "Glomerular filtration rate/1.73 sq M.predicted by CKD-EPI" }],
                "text": "eGFR" });
            self.push("Observation", day, lab(code, value));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The showcase patient's entries at one source, read as the portal reads them.
    fn entries(kind: app::model::SourceKind) -> Vec<app::model::TimelineEntry> {
        let population = super::super::Population::new(24, super::super::Population::DEFAULT_SEED);
        super::super::records::clinical(&population, super::super::VITALS, kind)
            .into_iter()
            .filter_map(|r| {
                let json = r.to_string();
                let name = crate::fhir::resource_type(&json)?;
                let resource_type = crate::fhir::ResourceType::from_name(name)?;
                let bundled = crate::fhir::Bundled::default();
                match crate::fhir::read(resource_type, &json, "acute", &bundled) {
                    Ok(crate::fhir::Read::Entry(entry)) => Some(*entry),
                    _ => None,
                }
            })
            .collect()
    }

    #[test]
    fn the_admission_charts_as_series_with_ranges_and_flags() {
        use app::trends::{available, series, Line};
        let acute = entries(app::model::SourceKind::Acute);
        let keys: Vec<&str> = available(&acute).iter().map(|(d, _)| d.key).collect();
        // (The hospital's usual laboratory results follow.)
        assert_eq!(
            keys[..6],
            [
                "news2",
                "blood-pressure",
                "heart-rate",
                "respiratory-rate",
                "oxygen-saturation",
                "temperature"
            ]
        );
        let heart = series(&acute, "heart-rate").unwrap();
        assert_eq!(heart.points.len(), ROUNDS as usize);
        assert_eq!(heart.by_unit().len(), 1);
        assert!(
            heart.points[0].marker == Some("H") && heart.points[0].low.as_deref() == Some("51")
        );
        assert!(
            heart.points.iter().any(|p| !p.marked()),
            "recovers into the range"
        );
        let bp = series(&acute, "blood-pressure").unwrap();
        assert_eq!(bp.points.len(), 2 * ROUNDS as usize);
        assert_eq!(bp.lines(), [Line::Systolic, Line::Diastolic]);
        assert_eq!(
            bp.points[0].marker,
            Some("L"),
            "low systolic on arrival, flagged"
        );
        let temperature = series(&acute, "temperature").unwrap();
        assert_eq!(temperature.points[0].unit_group, "°C");
        assert!(temperature.points[0].outside_range() && temperature.points[0].marker.is_none());
        let news2 = series(&acute, "news2").unwrap();
        assert!(news2.points[0].number.unwrap() >= 7.0);
        assert!(news2.points.last().unwrap().number.unwrap() <= 2.0);

        let gp = entries(app::model::SourceKind::Gp);
        let hba1c = series(&gp, "hba1c").unwrap();
        let egfr = series(&gp, "egfr").unwrap();
        assert!(hba1c.points.len() >= 8 && egfr.points.len() == 8);
        assert_eq!(egfr.points[0].unit_group, "mL/min/1.73m²");
        assert_eq!(egfr.points.last().unwrap().marker, Some("L"));
    }

    #[test]
    fn news2_scores_as_the_chart_does() {
        let well = Round {
            respiratory_rate: 16,
            spo2: 97,
            on_oxygen: false,
            systolic: 124,
            diastolic: 78,
            heart_rate: 72,
            temperature_tenths: 368,
        };
        assert_eq!(well.news2(), 0);
        let unwell = Round {
            respiratory_rate: 26,
            spo2: 91,
            on_oxygen: true,
            systolic: 95,
            heart_rate: 118,
            temperature_tenths: 392,
            ..well
        };
        assert_eq!(unwell.news2(), 3 + 3 + 2 + 2 + 2 + 2);
    }
}
