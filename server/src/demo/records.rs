//! One source's synthetic FHIR R4 resources for one patient, generated on request from
//! (seed, patient, source kind): the same inputs always give byte-identical JSON.

use super::calendar::{self, date, date_time, year, year_month, ANCHOR_DAY};
use super::catalogue::*;
use super::population::{Person, Population};
use super::rng::Rng;
use app::model::SourceKind;
use app::nhs_number::NHS_NUMBER_SYSTEM;
use serde_json::{json, Value};

/// The source-local id of a patient (each organisation numbers its patients its own way).
pub fn patient_id(kind: SourceKind, index: usize) -> String {
    format!("{}-{index:06}", prefix(kind))
}

/// The patient index behind a source-local id.
pub fn index_from_patient_id(kind: SourceKind, id: &str) -> Option<usize> {
    id.strip_prefix(prefix(kind))?
        .strip_prefix('-')?
        .parse()
        .ok()
}

fn prefix(kind: SourceKind) -> &'static str {
    match kind {
        SourceKind::Gp => "gp",
        SourceKind::Acute => "rx1",
        SourceKind::MentalHealth => "mh",
        SourceKind::SocialCare => "sc",
    }
}

pub fn patient(person: &Person, kind: SourceKind) -> Value {
    json!({
        "resourceType": "Patient",
        "id": patient_id(kind, person.index),
        "meta": { "lastUpdated": calendar::date_time(ANCHOR_DAY - 30, 540) },
        "identifier": [{ "system": NHS_NUMBER_SYSTEM, "value": person.nhs.as_digits() }],
        "name": [{ "use": "official", "family": person.family, "given": [person.given],
                   "prefix": [if person.female { "Ms" } else { "Mr" }] }],
        "gender": if person.female { "female" } else { "male" },
        "birthDate": date(person.birth_day),
        "address": [{ "use": "home", "postalCode": person.postcode }],
    })
}

/// Every clinical resource this source holds for the patient, in a stable order.
pub fn clinical(population: &Population, index: usize, kind: SourceKind) -> Vec<Value> {
    let mut g = Gen {
        rng: Rng::new(&[population.seed(), index as u64, kind as u64 + 1]),
        subject: format!("Patient/{}", patient_id(kind, index)),
        id_prefix: format!("{}-{index:06}", prefix(kind)),
        out: Vec::new(),
        scale: population.history_scale(index) as i64,
    };
    match kind {
        SourceKind::Gp => g.gp(),
        SourceKind::Acute => g.acute(),
        SourceKind::MentalHealth => g.mental_health(),
        SourceKind::SocialCare => g.social_care(),
    }
    g.out
}

struct Gen {
    rng: Rng,
    subject: String,
    id_prefix: String,
    out: Vec<Value>,
    scale: i64,
}

fn coded(system: &str, code: &str, display: &str) -> Value {
    json!({ "coding": [{ "system": system, "code": code, "display": display }], "text": display })
}

/// A UCUM quantity; whole numbers are written without a decimal point, as labs send them.
fn quantity(value: f64, unit: &str) -> Value {
    let value = if value.fract() == 0.0 {
        json!(value as i64)
    } else {
        json!(value)
    };
    let display = if unit == "mm[Hg]" { "mmHg" } else { unit };
    json!({ "value": value, "unit": display, "system": UCUM, "code": unit })
}

impl Gen {
    /// Adds a resource with an id, subject/patient reference and `meta.lastUpdated`.
    fn push(&mut self, resource_type: &str, day: i64, mut body: Value) {
        let n = self.out.len();
        let key = if matches!(resource_type, "AllergyIntolerance" | "Immunization") {
            "patient"
        } else {
            "subject"
        };
        body["resourceType"] = json!(resource_type);
        body["id"] = json!(format!(
            "{}-{}-{n}",
            self.id_prefix,
            resource_type.to_ascii_lowercase()
        ));
        body["meta"] = json!({ "lastUpdated": date_time((day + 1).min(ANCHOR_DAY), 600) });
        body[key] = json!({ "reference": self.subject });
        self.out.push(body);
    }

    fn day(&mut self, max_years_back: i64) -> i64 {
        ANCHOR_DAY - self.rng.between(1, max_years_back * 365)
    }

    fn minute(&mut self) -> i64 {
        self.rng.between(8 * 60, 19 * 60)
    }

    fn count(&mut self, lo: i64, hi: i64) -> i64 {
        self.rng.between(lo, hi) * self.scale
    }

    /// An onset recorded with full, month or year precision, as real records vary.
    fn onset(&mut self, day: i64) -> String {
        match self.rng.below(3) {
            0 => date(day),
            1 => year_month(day),
            _ => year(day),
        }
    }

    fn encounter(&mut self, day: i64, class: (&str, &str), kind_text: &str, end: Option<i64>) {
        let minute = self.minute();
        let mut period = json!({ "start": date_time(day, minute) });
        if let Some(end) = end {
            period["end"] = json!(date_time(end, minute));
        }
        let body = json!({ "status": "finished",
            "class": { "system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": class.0, "display": class.1 },
            "type": [{ "text": kind_text }], "period": period });
        self.push("Encounter", day, body);
    }

    fn condition(&mut self, (code, display): (&str, &str)) {
        let day = self.day(15);
        let active = self.rng.chance(80);
        let onset = self.onset(day);
        let status = if active { "active" } else { "resolved" };
        let body = json!({ "clinicalStatus": { "coding": [{ "system": "http://terminology.hl7.org/CodeSystem/condition-clinical", "code": status }] },
            "code": coded(SNOMED, code, display), "onsetDateTime": onset, "recordedDate": date(day) });
        self.push("Condition", day, body);
    }

    fn medication_request(&mut self, (code, name, dose): (&str, &str, &str), contained: bool) {
        let day = self.day(5);
        let status = if self.rng.chance(75) {
            "active"
        } else {
            "stopped"
        };
        let mut body = json!({ "status": status, "intent": "order", "authoredOn": date(day),
            "dosageInstruction": [{ "text": dose }] });
        if contained {
            body["contained"] = json!([{ "resourceType": "Medication", "id": "med1", "code": coded(SNOMED, code, name) }]);
            body["medicationReference"] = json!({ "reference": "#med1" });
        } else {
            body["medicationCodeableConcept"] = coded(SNOMED, code, name);
        }
        self.push("MedicationRequest", day, body);
    }

    fn observation(&mut self, day: i64, code: (&str, &str), value: Value) {
        let minute = self.minute();
        let mut body = json!({ "status": "final", "code": coded(LOINC, code.0, code.1), "effectiveDateTime": date_time(day, minute) });
        if value.get("component").is_some() {
            body["component"] = value["component"].clone();
        } else {
            body["valueQuantity"] = value;
        }
        self.push("Observation", day, body);
    }

    fn gp(&mut self) {
        for _ in 0..self.count(4, 9) {
            let day = self.day(10);
            let text = if self.rng.chance(60) {
                "GP surgery consultation"
            } else {
                "Telephone consultation"
            };
            self.encounter(day, ("AMB", "ambulatory"), text, None);
        }
        for _ in 0..self.rng.between(1, 4) {
            let problem = self.rng.pick(GP_PROBLEMS);
            self.condition(problem);
        }
        for _ in 0..self.rng.between(0, 2) {
            let (code, display) = self.rng.pick(ALLERGIES);
            let day = self.day(20);
            let mut body = json!({ "clinicalStatus": { "coding": [{ "system": "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical", "code": "active" }] },
                "code": coded(SNOMED, code, display), "recordedDate": date(day) });
            if self.rng.chance(50) {
                body["onsetDateTime"] = json!(self.onset(day));
            }
            self.push("AllergyIntolerance", day, body);
        }
        let medicine = self.rng.pick(MEDICINES);
        self.medication_request(medicine, true);
        for _ in 0..self.count(1, 3) {
            let medicine = self.rng.pick(MEDICINES);
            self.medication_request(medicine, false);
        }
        for _ in 0..self.count(2, 5) {
            let day = self.day(8);
            let (systolic, diastolic) = (
                self.rng.between(105, 165) as f64,
                self.rng.between(62, 98) as f64,
            );
            let bp = json!({ "component": [
                { "code": coded(LOINC, "8480-6", "Systolic blood pressure"), "valueQuantity": quantity(systolic, "mm[Hg]") },
                { "code": coded(LOINC, "8462-4", "Diastolic blood pressure"), "valueQuantity": quantity(diastolic, "mm[Hg]") } ] });
            self.observation(day, ("85354-9", "Blood pressure"), bp);
            let weight = self.rng.between(480, 1150) as f64 / 10.0;
            self.observation(day, ("29463-7", "Body weight"), quantity(weight, "kg"));
        }
        for _ in 0..self.rng.between(1, 3) {
            let (code, display) = self.rng.pick(VACCINES);
            let day = self.day(6);
            let body = json!({ "status": "completed", "vaccineCode": coded(SNOMED, code, display),
                "occurrenceDateTime": date(day), "recorded": date(day) });
            self.push("Immunization", day, body);
        }
    }

    fn acute(&mut self) {
        for _ in 0..self.count(1, 3) {
            let day = self.day(8);
            self.encounter(
                day,
                ("EMER", "emergency"),
                "Emergency department attendance",
                None,
            );
        }
        for _ in 0..self.rng.between(0, 2) {
            let day = self.day(8);
            let stay = self.rng.between(1, 12);
            self.encounter(
                day,
                ("IMP", "inpatient encounter"),
                "Emergency admission",
                Some((day + stay).min(ANCHOR_DAY)),
            );
        }
        for _ in 0..self.rng.between(1, 2) {
            let (code, display) = self.rng.pick(PROCEDURES);
            let day = self.day(12);
            let mut body = json!({ "status": "completed", "code": coded(SNOMED, code, display) });
            let minute = self.minute();
            if self.rng.chance(50) {
                body["performedDateTime"] = json!(date_time(day, minute));
            } else {
                body["performedPeriod"] =
                    json!({ "start": date_time(day, minute), "end": date_time(day, minute + 90) });
            }
            self.push("Procedure", day, body);
        }
        for _ in 0..self.count(2, 6) {
            let (code, display, unit, lo, hi) = self.rng.pick(LAB_TESTS);
            let day = self.day(6);
            let value = self.rng.between(lo, hi) as f64;
            self.observation(day, (code, display), quantity(value, unit));
        }
        for _ in 0..self.rng.between(0, 2) {
            let (code, display, conclusion) = self.rng.pick(IMAGING);
            let day = self.day(6);
            let minute = self.minute();
            let body = json!({ "status": "final", "code": coded(SNOMED, code, display),
                "effectiveDateTime": date_time(day, minute), "issued": date_time(day, minute + 60), "conclusion": conclusion });
            self.push("DiagnosticReport", day, body);
        }
        for _ in 0..self.rng.between(0, 2) {
            let (code, name, dose) = self.rng.pick(MEDICINES);
            let day = self.day(4);
            let mut body = json!({ "status": "active", "medicationCodeableConcept": coded(SNOMED, code, name), "dosage": [{ "text": dose }] });
            let key = if self.rng.chance(50) {
                "effectiveDateTime"
            } else {
                "dateAsserted"
            };
            body[key] = json!(date(day));
            self.push("MedicationStatement", day, body);
        }
    }

    fn mental_health(&mut self) {
        for _ in 0..self.count(2, 6) {
            let day = self.day(5);
            self.encounter(
                day,
                ("AMB", "ambulatory"),
                "Community mental health team appointment",
                None,
            );
        }
        for _ in 0..self.rng.between(1, 2) {
            let problem = self.rng.pick(MENTAL_HEALTH_PROBLEMS);
            self.condition(problem);
        }
        let day = self.day(3);
        let body = json!({ "status": "active", "intent": "plan", "title": "Crisis and relapse prevention plan",
            "description": "Contact the crisis team on the number in the plan; carer is aware of early warning signs.",
            "period": { "start": date(day) } });
        self.push("CarePlan", day, body);
        if self.rng.chance(70) {
            let medicine = self.rng.pick(MENTAL_HEALTH_MEDICINES);
            self.medication_request(medicine, false);
        }
    }

    fn social_care(&mut self) {
        let start = self.day(6);
        self.push("EpisodeOfCare", start, json!({ "status": "active", "type": [{ "text": "Adult social care" }], "period": { "start": date(start) } }));
        for _ in 0..self.count(1, 4) {
            let day = self.day(4);
            let text = if self.rng.chance(50) {
                "Social worker home visit"
            } else {
                "Care needs assessment"
            };
            self.encounter(day, ("HH", "home health"), text, None);
        }
        let day = self.day(2);
        let body = json!({ "status": "active", "intent": "plan", "title": "Home care package",
            "description": "Two carer visits daily (morning and evening) for personal care and medication prompts.",
            "period": { "start": date(day) } });
        self.push("CarePlan", day, body);
        if self.rng.chance(60) {
            let day = self.day(2);
            self.push("Flag", day, json!({ "status": "active", "code": { "text": "Lives alone; key safe in use" }, "period": { "start": date(day) } }));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn records_are_deterministic_and_well_formed() {
        let population = Population::new(40, 7);
        for index in 0..40 {
            for kind in SourceKind::ALL {
                let a = serde_json::to_string(&clinical(&population, index, kind)).unwrap();
                let b = serde_json::to_string(&clinical(&population, index, kind)).unwrap();
                assert_eq!(a, b, "same seed, same JSON");
                let resources = clinical(&population, index, kind);
                assert!(!resources.is_empty());
                let ids: HashSet<&str> = resources
                    .iter()
                    .map(|r| r["id"].as_str().unwrap())
                    .collect();
                assert_eq!(ids.len(), resources.len(), "ids unique within a source");
                for r in &resources {
                    assert!(r["resourceType"].is_string());
                    let subject = r.get("subject").or(r.get("patient")).unwrap();
                    assert_eq!(
                        subject["reference"],
                        format!("Patient/{}", patient_id(kind, index))
                    );
                }
            }
        }
    }

    #[test]
    fn every_resource_normalises_into_a_timeline_entry() {
        let population = Population::new(30, 3);
        for index in 0..30 {
            for kind in SourceKind::ALL {
                for r in clinical(&population, index, kind) {
                    let resource = crate::fhir::Resource::parse(&r.to_string()).unwrap();
                    let entry = crate::fhir::normalise(&resource, "x").unwrap().unwrap();
                    assert!(entry.date.is_some(), "{r}");
                    assert!(!entry.title.contains("no description"), "{r}");
                }
            }
        }
    }

    #[test]
    fn gp_records_use_a_contained_medication_and_partial_dates_occur() {
        let population = Population::new(30, 3);
        let all: Vec<Value> = (0..30)
            .flat_map(|i| clinical(&population, i, SourceKind::Gp))
            .collect();
        assert!(all
            .iter()
            .any(|r| r["medicationReference"]["reference"] == "#med1"));
        assert!(all
            .iter()
            .any(|r| r["onsetDateTime"].as_str().is_some_and(|d| d.len() == 4)));
        assert!(all
            .iter()
            .any(|r| r["onsetDateTime"].as_str().is_some_and(|d| d.len() == 7)));
    }

    #[test]
    fn patient_ids_map_back_to_the_index() {
        for kind in SourceKind::ALL {
            assert_eq!(
                index_from_patient_id(kind, &patient_id(kind, 1234)),
                Some(1234)
            );
        }
        assert_eq!(index_from_patient_id(SourceKind::Gp, "rx1-000001"), None);
    }
}
