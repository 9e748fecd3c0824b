//! An acute hospital trust's record: A&E attendances, admissions with discharge summaries and
//! discharge medicines, operations, laboratory results and imaging reports.

use super::calendar::{date, date_time, ANCHOR_DAY};
use super::catalogue::{IMAGING, LAB_TESTS, MEDICINES, PROCEDURES, SNOMED};
use super::records::{category, coded, quantity, Gen};
use serde_json::json;

impl Gen {
    pub(super) fn acute(&mut self) {
        for _ in 0..self.count(1, 3) {
            let day = self.day(8);
            self.encounter(
                day,
                ("EMER", "emergency"),
                "Emergency department attendance",
                Some(day),
            );
        }

        for _ in 0..self.rng.between(0, 2) {
            let day = self.day(10);
            let discharged = (day + self.rng.between(1, 12)).min(ANCHOR_DAY);
            self.encounter(
                day,
                ("IMP", "inpatient encounter"),
                "Emergency admission",
                Some(discharged),
            );
            self.discharge_summary(day, discharged);
            if self.rng.chance(70) {
                self.discharge_medicine(discharged);
            }
        }

        let procedure_count = self.rng.between(1, 2) as usize;
        for (code, display) in self.rng.sample(PROCEDURES, procedure_count) {
            let day = self.day(12);
            let minute = self.minute();
            let mut body = json!({ "status": "completed", "code": coded(SNOMED, code, display) });
            if self.rng.chance(50) {
                body["performedDateTime"] = json!(date_time(day, minute));
            } else {
                body["performedPeriod"] =
                    json!({ "start": date_time(day, minute), "end": date_time(day, minute + 90) });
            }
            self.push("Procedure", day, body);
        }

        for _ in 0..self.count(3, 6) {
            let (code, display, unit, low, high, divisor) = self.rng.pick(LAB_TESTS);
            let day = self.day(6);
            let value = self.rng.between(low, high) as f64 / divisor as f64;
            let laboratory = ("laboratory", "Laboratory");
            self.observation(day, laboratory, (code, display), quantity(value, unit));
        }

        let imaging_count = self.rng.between(0, 2) as usize;
        for (code, display, conclusion) in self.rng.sample(IMAGING, imaging_count) {
            let day = self.day(6);
            let minute = self.minute();
            let body = json!({ "status": "final",
                "category": category("v2-0074", "RAD", "Radiology"),
                "code": coded(SNOMED, code, display),
                "effectiveDateTime": date_time(day, minute), "issued": date_time(day, minute + 60),
                "conclusion": conclusion });
            self.push("DiagnosticReport", day, body);
        }
    }

    /// The discharge summary letter of an admission, as a DocumentReference with the letter
    /// inline as HTML.
    fn discharge_summary(&mut self, admitted: i64, discharged: i64) {
        let minute = self.minute();
        let letter = super::letters::discharge_summary(admitted, discharged);
        let body = json!({ "status": "current",
            "type": coded(SNOMED, "373942005", "Discharge summary"),
            "date": date_time(discharged, minute),
            "description": "Discharge summary",
            "content": [{ "attachment": { "contentType": "text/html", "language": "en-GB",
                "data": super::letters::base64(letter.as_bytes()), "size": letter.len(),
                "title": "Discharge summary", "creation": date_time(discharged, minute) } }] });
        self.push("DocumentReference", discharged, body);
    }

    /// A medicine the patient went home on, recorded as a MedicationStatement.
    fn discharge_medicine(&mut self, discharged: i64) {
        let (code, name, dose) = self.rng.pick(MEDICINES);
        let mut body = json!({ "status": "active", "medicationCodeableConcept": coded(SNOMED, code, name),
            "dosage": [{ "text": dose }], "note": [{ "text": "Medicine on discharge" }] });
        if self.rng.chance(50) {
            body["effectiveDateTime"] = json!(date(discharged));
        } else {
            body["dateAsserted"] = json!(date_time(discharged, 17 * 60));
        }
        self.push("MedicationStatement", discharged, body);
    }
}
