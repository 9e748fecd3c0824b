//! One source's synthetic FHIR R4 resources for one patient, generated on request from
//! (seed, patient, source kind): the same inputs always give byte-identical JSON. This file
//! holds the shared builders; each kind of source has its own file for its content.

use super::calendar::{date, date_time, year, year_month, ANCHOR_DAY};
use super::catalogue::{LOINC, SNOMED, UCUM};
use super::ids::{patient_id, second_record_id};
use super::rng::Rng;
use super::{Person, Population, Showcase};
use app::model::SourceKind;
use app::nhs_number::NHS_NUMBER_SYSTEM;
use serde_json::{json, Value};

/// The Patient resources a source holds for patient `index`: normally one, with the source's
/// own id; two for the showcase patient registered twice.
pub fn patients(population: &Population, index: usize, kind: SourceKind) -> Vec<Value> {
    let person = population.person_at(index, kind);
    let practice = if population.registered_by_gp_connect(index) {
        population.gp_connect_practice()
    } else {
        super::catalogue::GP_PRACTICE
    };
    let mut found = vec![patient(&person, patient_id(kind, index), kind, practice)];
    if population.has_second_record(index, kind) {
        found.push(patient(
            &person,
            second_record_id(kind, index),
            kind,
            practice,
        ));
    }
    found
}

/// A Patient resource with the given id and the person's demographics, home address and
/// registered practice (ODS code, name). Each kind of source names the practice in one of the
/// shapes R4 allows: the GP by a logical reference (its ODS code), the hospital by a contained
/// Organization, the others by a typed reference with the code and a display.
fn patient(
    person: &Person,
    id: String,
    kind: SourceKind,
    (ods_code, practice): (&str, &str),
) -> Value {
    use super::catalogue::{POSTCODES, STREETS, TOWNS};
    const ODS: &str = "https://fhir.nhs.uk/Id/ods-organization-code";
    let town = POSTCODES
        .iter()
        .position(|p| *p == person.postcode)
        .and_then(|i| TOWNS.get(i))
        .copied()
        .unwrap_or("Leeds");
    let street = STREETS[person.index % STREETS.len()];
    let house = (person.index * 7) % 120 + 1;
    let mut contained = Vec::new();
    let general_practitioner = match kind {
        SourceKind::Gp => {
            json!({ "identifier": { "system": ODS, "value": ods_code }, "display": practice })
        }
        SourceKind::Acute => {
            contained.push(json!({ "resourceType": "Organization", "id": "gp",
                "identifier": [{ "system": ODS, "value": ods_code }], "name": practice }));
            json!({ "reference": "#gp" })
        }
        SourceKind::MentalHealth | SourceKind::SocialCare => json!({ "type": "Organization",
            "identifier": { "system": ODS, "value": ods_code }, "display": practice }),
    };
    let mut resource = json!({
        "resourceType": "Patient",
        "id": id,
        "meta": { "lastUpdated": date_time(ANCHOR_DAY - 30, 540) },
        "identifier": [{
            "extension": [{
                "url": "https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-NHSNumberVerificationStatus",
                "valueCodeableConcept": { "coding": [{
                    "system": "https://fhir.hl7.org.uk/CodeSystem/UKCore-NHSNumberVerificationStatusEngland",
                    "code": "01", "display": "Number present and verified" }] }
            }],
            "system": NHS_NUMBER_SYSTEM,
            "value": person.nhs.as_digits()
        }],
        "name": [{ "use": "official", "family": person.family, "given": [person.given],
                   "prefix": [person.prefix] }],
        "gender": if person.female { "female" } else { "male" },
        "birthDate": date(person.birth_day),
        "address": [{ "use": "home", "line": [format!("{house} {street}")], "city": town,
                      "postalCode": person.postcode }],
        "generalPractitioner": [general_practitioner],
    });
    if !contained.is_empty() {
        resource["contained"] = Value::Array(contained);
    }
    resource
}

/// Every clinical resource this source holds for the patient, in a stable order.
pub fn clinical(population: &Population, index: usize, kind: SourceKind) -> Vec<Value> {
    let patient = patient_id(kind, index);
    let mut g = Gen {
        rng: Rng::new(&[population.seed(), index as u64, kind as u64 + 1]),
        subject: format!("Patient/{patient}"),
        id_prefix: patient,
        out: Vec::new(),
        scale: population.history_scale(index),
    };
    match kind {
        SourceKind::Gp => g.gp(),
        SourceKind::Acute => g.acute(),
        SourceKind::MentalHealth => g.mental_health(),
        SourceKind::SocialCare => g.social_care(),
    }
    match (population.showcase_case(index), kind) {
        (Some(Showcase::RecordedTwice), SourceKind::Gp) => g.recorded_at_gp_and_hospital(false),
        (Some(Showcase::RecordedTwice), SourceKind::Acute) => g.recorded_at_gp_and_hospital(true),
        (Some(Showcase::ManyObservations), SourceKind::Gp) => {
            g.many_observations(population.readings())
        }
        (Some(Showcase::Restricted), SourceKind::Gp) => g.restricted_items(),
        (Some(Showcase::Restricted), SourceKind::Acute) => g.sensitive_unlabelled(),
        (Some(Showcase::Letters), SourceKind::Acute) => g.hospital_letters(),
        (Some(Showcase::EndOfLife), SourceKind::Gp) => g.end_of_life(),
        (Some(Showcase::Vitals), SourceKind::Acute) => g.vitals_admission(),
        (Some(Showcase::Vitals), SourceKind::Gp) => g.vitals_gp_results(),
        (Some(Showcase::Dissented), SourceKind::Gp) => g.dissent(),
        (Some(Showcase::ChildProtection), SourceKind::SocialCare) => g.child_protection_plan(),
        (Some(Showcase::Narratives), SourceKind::Gp) => g.narratives_at_gp(),
        (Some(Showcase::Narratives), SourceKind::Acute) => g.narratives_at_hospital(),
        _ => {}
    }
    g.out
}

/// The patient's objection to sharing, as a source records it (an active `deny` Consent).
pub fn objection(population: &Population, index: usize, kind: SourceKind) -> Value {
    let patient = patient_id(kind, index);
    let mut g = Gen {
        rng: Rng::new(&[population.seed(), index as u64, 0x0B1EC7]),
        subject: format!("Patient/{patient}"),
        id_prefix: format!("{patient}-objection"),
        out: Vec::new(),
        scale: 1,
    };
    g.dissent();
    g.out.remove(0)
}

/// What a source's second patient record for the person holds: one old A&E attendance,
/// registered under a temporary record.
pub fn second_record(population: &Population, index: usize, kind: SourceKind) -> Vec<Value> {
    let patient = second_record_id(kind, index);
    let mut g = Gen {
        rng: Rng::new(&[population.seed(), index as u64, 0xD0B1E]),
        subject: format!("Patient/{patient}"),
        id_prefix: patient,
        out: Vec::new(),
        scale: 1,
    };
    let day = ANCHOR_DAY - 2_000;
    g.encounter(
        day,
        ("EMER", "emergency"),
        "Emergency department attendance (temporary registration)",
        Some(day),
    );
    g.out
}

/// Builds one patient's resources at one source.
pub(super) struct Gen {
    pub(super) rng: Rng,
    subject: String,
    id_prefix: String,
    out: Vec<Value>,
    /// Multiplies the number of repeated events (encounters, results).
    scale: i64,
}

pub(super) fn coded(system: &str, code: &str, display: &str) -> Value {
    json!({ "coding": [{ "system": system, "code": code, "display": display }], "text": display })
}

/// A `category` of the HL7 terminology code system `system_name`.
pub(super) fn category(system_name: &str, code: &str, display: &str) -> Value {
    json!([{ "coding": [{ "system": format!("http://terminology.hl7.org/CodeSystem/{system_name}"),
        "code": code, "display": display }] }])
}

/// A UCUM quantity; whole numbers are written without a decimal point, as labs send them.
pub(super) fn quantity(value: f64, unit: &str) -> Value {
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
    pub(super) fn push(&mut self, resource_type: &str, day: i64, mut body: Value) {
        let n = self.out.len();
        let key = match resource_type {
            "AllergyIntolerance" | "Immunization" | "EpisodeOfCare" | "Consent" => "patient",
            _ => "subject",
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

    /// The id the next pushed resource of this kind would get (`<patient>-<kind>-<n>`): for
    /// companions such as a document's `Binary`.
    pub(super) fn next_id(&self, kind: &str) -> String {
        format!("{}-{kind}-{}", self.id_prefix, self.out.len())
    }

    /// The resource added last, to adjust.
    pub(super) fn last_mut(&mut self) -> Option<&mut Value> {
        self.out.last_mut()
    }

    /// A day within the last `max_years_back` years (at most 15) before the anchor date.
    pub(super) fn day(&mut self, max_years_back: i64) -> i64 {
        ANCHOR_DAY - self.rng.between(1, max_years_back.min(15) * 365)
    }

    /// A minute of the working day.
    pub(super) fn minute(&mut self) -> i64 {
        self.rng.between(8 * 60, 18 * 60)
    }

    /// How many of a repeated event, scaled for the long-history patient.
    pub(super) fn count(&mut self, lo: i64, hi: i64) -> i64 {
        self.rng.between(lo, hi) * self.scale
    }

    /// An onset recorded with full, month or year precision, as real records vary.
    pub(super) fn onset(&mut self, day: i64) -> String {
        match self.rng.below(3) {
            0 => date(day),
            1 => year_month(day),
            _ => year(day),
        }
    }

    /// A finished encounter of HL7 v3 `ActCode` class `class` (code, display).
    pub(super) fn encounter(
        &mut self,
        day: i64,
        class: (&str, &str),
        kind: &str,
        end: Option<i64>,
    ) {
        let minute = self.minute();
        let period = match end {
            Some(end) => {
                json!({ "start": date_time(day, minute), "end": date_time(end, minute + 30) })
            }
            None => json!({ "start": date_time(day, minute) }),
        };
        let body = json!({ "status": "finished",
            "class": { "system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": class.0, "display": class.1 },
            "type": [{ "text": kind }], "period": period });
        self.push("Encounter", day, body);
    }

    /// A coded problem on the problem list, onset sometimes only to the month or year.
    pub(super) fn condition(&mut self, (code, display): (&str, &str), max_years_back: i64) {
        let day = self.day(max_years_back);
        let status = if self.rng.chance(80) {
            "active"
        } else {
            "resolved"
        };
        let onset = self.onset(day);
        let body = json!({
            "clinicalStatus": { "coding": [{ "system": "http://terminology.hl7.org/CodeSystem/condition-clinical", "code": status }] },
            "verificationStatus": { "coding": [{ "system": "http://terminology.hl7.org/CodeSystem/condition-ver-status", "code": "confirmed" }] },
            "category": category("condition-category", "problem-list-item", "Problem List Item"),
            "code": coded(SNOMED, code, display), "onsetDateTime": onset, "recordedDate": date(day) });
        self.push("Condition", day, body);
    }

    /// A prescription of a dm+d medicine, coded inline or (`contained`) through a contained
    /// Medication, as some GP systems send it.
    pub(super) fn medication_request(
        &mut self,
        (code, name, dose): (&str, &str, &str),
        contained: bool,
    ) {
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

    /// A LOINC-coded observation with a quantity; `category` is an `observation-category` code.
    pub(super) fn observation(
        &mut self,
        day: i64,
        category: (&str, &str),
        code: (&str, &str),
        value: Value,
    ) {
        self.observation_with(day, category, code, "valueQuantity", value);
    }

    /// A blood pressure: one Observation with systolic and diastolic components, in mm[Hg].
    pub(super) fn blood_pressure(&mut self, day: i64, systolic: i64, diastolic: i64) {
        let component = |code: &str, display: &str, value: i64| json!({ "code": coded(LOINC, code, display), "valueQuantity": quantity(value as f64, "mm[Hg]") });
        let components = json!([
            component("8480-6", "Systolic blood pressure", systolic),
            component("8462-4", "Diastolic blood pressure", diastolic),
        ]);
        let vital_signs = ("vital-signs", "Vital Signs");
        self.observation_with(
            day,
            vital_signs,
            ("85354-9", "Blood pressure"),
            "component",
            components,
        );
    }

    fn observation_with(
        &mut self,
        day: i64,
        (cat_code, cat_display): (&str, &str),
        (code, display): (&str, &str),
        key: &str,
        value: Value,
    ) {
        let minute = self.minute();
        let mut body = json!({ "status": "final",
            "category": category("observation-category", cat_code, cat_display),
            "code": coded(LOINC, code, display), "effectiveDateTime": date_time(day, minute) });
        body[key] = value;
        self.push("Observation", day, body);
    }
}

#[cfg(test)]
mod tests {
    use super::super::ids::index_from_resource_id;
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn records_are_deterministic_and_well_formed() {
        let population = Population::new(300, 7);
        for index in 0..300 {
            for kind in SourceKind::ALL {
                let resources = clinical(&population, index, kind);
                let again = clinical(&Population::new(300, 7), index, kind);
                assert_eq!(
                    serde_json::to_string(&resources).unwrap(),
                    serde_json::to_string(&again).unwrap(),
                    "same seed, same JSON"
                );
                let expected = if population.showcase_case(index).is_some() {
                    5..=3_100
                } else {
                    5..=40
                };
                assert!(
                    expected.contains(&resources.len()),
                    "{kind:?} {index}: {}",
                    resources.len()
                );
                let ids: HashSet<&str> = resources
                    .iter()
                    .map(|r| r["id"].as_str().unwrap())
                    .collect();
                assert_eq!(ids.len(), resources.len(), "ids unique within a source");
                for r in &resources {
                    let text = serde_json::to_string(r).unwrap();
                    let reparsed: Value = serde_json::from_str(&text).unwrap();
                    assert!(reparsed["resourceType"].is_string(), "{text}");
                    let id = reparsed["id"].as_str().unwrap();
                    assert!(
                        id.len() <= 64 && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                    );
                    assert_eq!(index_from_resource_id(kind, id), Some(index));
                    assert!(reparsed["meta"]["lastUpdated"].is_string());
                    let subject = r.get("subject").or(r.get("patient")).unwrap();
                    assert_eq!(
                        subject["reference"],
                        format!("Patient/{}", patient_id(kind, index))
                    );
                }
            }
        }
        let other_seed = clinical(&Population::new(300, 8), 10, SourceKind::Gp);
        assert_ne!(clinical(&population, 10, SourceKind::Gp), other_seed);
    }

    #[test]
    fn the_long_history_patient_has_more_than_most() {
        let population = Population::new(200, Population::DEFAULT_SEED);
        let total = |index: usize| -> usize {
            SourceKind::ALL
                .iter()
                .map(|kind| clinical(&population, index, *kind).len())
                .sum()
        };
        let long = total(super::super::LONG_HISTORY);
        let shorter = (10..200).filter(|i| total(*i) < long).count();
        assert!(
            shorter > 150,
            "{long} resources, more than {shorter} of 190 patients"
        );
    }

    #[test]
    fn every_resource_normalises_into_a_dated_timeline_entry() {
        let population = Population::new(60, 3);
        for index in 0..60 {
            for kind in SourceKind::ALL {
                // Consent directives are read by the consent policy, not shown as entries.
                let shown = clinical(&population, index, kind)
                    .into_iter()
                    .filter(|r| r["resourceType"] != "Consent");
                for r in shown {
                    let json = r.to_string();
                    let name = crate::fhir::resource_type(&json).unwrap();
                    let resource_type = crate::fhir::ResourceType::from_name(name).unwrap();
                    let bundled = crate::fhir::Bundled::default();
                    let crate::fhir::Read::Entry(entry) =
                        crate::fhir::read(resource_type, &json, "x", &bundled).unwrap()
                    else {
                        panic!("not an entry: {r}");
                    };
                    let date = entry.date.expect("dated");
                    let fifteen_years = 16 * 366 * 86_400; // a year-only onset sorts from 1 January
                    assert!(date.sort_key <= ANCHOR_DAY * 86_400 + 86_400, "{r}");
                    assert!(date.sort_key >= ANCHOR_DAY * 86_400 - fifteen_years, "{r}");
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
        for index in 0..30 {
            let contained = clinical(&population, index, SourceKind::Gp)
                .into_iter()
                .filter(|r| r["medicationReference"]["reference"] == "#med1")
                .count();
            assert!(
                contained >= 1,
                "every GP patient has a contained Medication"
            );
        }
        let onset_lengths: HashSet<usize> = all
            .iter()
            .filter_map(|r| r["onsetDateTime"].as_str())
            .map(str::len)
            .collect();
        assert!(
            onset_lengths.contains(&4) && onset_lengths.contains(&7) && onset_lengths.contains(&10)
        );
        assert!(
            all.iter().any(|r| r["component"].is_array()),
            "blood pressure has components"
        );
    }

    #[test]
    fn the_patient_resource_carries_the_nhs_number_and_a_local_id() {
        let population = Population::new(10, 1);
        let person = population.person(7);
        let ids: HashSet<String> = SourceKind::ALL.map(|kind| patient_id(kind, 7)).into();
        assert_eq!(ids.len(), 4, "each source has its own id");
        for kind in SourceKind::ALL {
            let p = patients(&population, 7, kind).remove(0);
            assert_eq!(p["id"], patient_id(kind, 7));
            assert_eq!(p["identifier"][0]["system"], NHS_NUMBER_SYSTEM);
            assert_eq!(p["identifier"][0]["value"], person.nhs.as_digits());
            assert!(p["name"][0]["family"].is_string() && p["birthDate"].is_string());
        }
    }
}
