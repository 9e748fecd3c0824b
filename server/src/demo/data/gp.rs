//! A GP practice's record: consultations, the problem list, allergies, prescriptions (one
//! through a contained Medication), vital signs and HbA1c, immunisations.

use super::calendar::date;
use super::catalogue::{ALLERGIES, ALLERGY_DETAILS, GP_PROBLEMS, MEDICINES, SNOMED, VACCINES};
use super::records::{coded, quantity, Gen};
use serde_json::json;

const TYPE_2_DIABETES: &str = "44054006";

impl Gen {
    pub(super) fn gp(&mut self) {
        for _ in 0..self.count(2, 5) {
            let day = self.day(10);
            let kind = self.rng.pick(&[
                "GP surgery consultation",
                "Telephone consultation",
                "GP home visit",
            ]);
            self.encounter(day, ("AMB", "ambulatory"), kind, None);
        }

        let problem_count = self.rng.between(1, 3) as usize;
        let problems = self.rng.sample(GP_PROBLEMS, problem_count);
        for problem in &problems {
            self.condition(*problem, 15);
        }

        let allergy_count = self.rng.between(0, 2) as usize;
        for (code, display) in self.rng.sample(ALLERGIES, allergy_count) {
            let day = self.day(15);
            let mut body = json!({
                "clinicalStatus": { "coding": [{ "system": "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical", "code": "active" }] },
                "verificationStatus": { "coding": [{ "system": "http://terminology.hl7.org/CodeSystem/allergyintolerance-verification", "code": "confirmed" }] },
                "code": coded(SNOMED, code, display), "recordedDate": date(day) });
            if self.rng.chance(50) {
                body["onsetDateTime"] = json!(self.onset(day));
            }
            // As R4 types them: `type` and `criticality` are codes, `category` a list of codes.
            if let Some((category, criticality, (reaction_code, reaction), severity)) = ALLERGIES
                .iter()
                .position(|(c, _)| *c == code)
                .and_then(|i| ALLERGY_DETAILS.get(i))
            {
                body["type"] = json!("allergy");
                body["category"] = json!([category]);
                body["criticality"] = json!(criticality);
                body["reaction"] = json!([{
                    "manifestation": [coded(SNOMED, reaction_code, reaction)],
                    "severity": severity }]);
            }
            self.push("AllergyIntolerance", day, body);
        }

        let medicine_count = self.rng.between(2, 4) as usize;
        for (n, medicine) in self
            .rng
            .sample(MEDICINES, medicine_count)
            .into_iter()
            .enumerate()
        {
            self.medication_request(medicine, n == 0);
        }

        for _ in 0..self.count(1, 2) {
            let day = self.day(8);
            let (systolic, diastolic) = (self.rng.between(105, 165), self.rng.between(62, 98));
            self.blood_pressure(day, systolic, diastolic);
            let vital_signs = ("vital-signs", "Vital Signs");
            let weight = self.rng.between(480, 1150) as f64 / 10.0;
            self.observation(
                day,
                vital_signs,
                ("29463-7", "Body weight"),
                quantity(weight, "kg"),
            );
            let bmi = self.rng.between(185, 390) as f64 / 10.0;
            self.observation(
                day,
                vital_signs,
                ("39156-5", "Body mass index"),
                quantity(bmi, "kg/m2"),
            );
        }

        if problems.iter().any(|(code, _)| *code == TYPE_2_DIABETES) {
            for _ in 0..self.rng.between(1, 2) {
                let day = self.day(3);
                let hba1c = self.rng.between(42, 86) as f64;
                let laboratory = ("laboratory", "Laboratory");
                self.observation(
                    day,
                    laboratory,
                    ("59261-8", "HbA1c (IFCC)"),
                    quantity(hba1c, "mmol/mol"),
                );
            }
        }

        let vaccine_count = self.rng.between(1, 3) as usize;
        for (code, display) in self.rng.sample(VACCINES, vaccine_count) {
            let day = self.day(6);
            let body = json!({ "status": "completed", "vaccineCode": coded(SNOMED, code, display),
                "occurrenceDateTime": date(day), "recorded": date(day), "primarySource": true });
            self.push("Immunization", day, body);
        }
    }
}
