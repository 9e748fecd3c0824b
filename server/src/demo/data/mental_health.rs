//! A mental-health trust's record: community mental health team contacts, diagnoses, a crisis
//! and relapse-prevention care plan, and psychiatric prescriptions.

use super::calendar::date;
use super::catalogue::{MENTAL_HEALTH_MEDICINES, MENTAL_HEALTH_PROBLEMS, SNOMED};
use super::records::{coded, Gen};
use serde_json::json;

impl Gen {
    pub(super) fn mental_health(&mut self) {
        for _ in 0..self.count(3, 7) {
            let day = self.day(5);
            let kind = self.rng.pick(&[
                "Community mental health team appointment",
                "Care coordinator review",
                "Outpatient psychiatry review",
            ]);
            self.encounter(day, ("AMB", "ambulatory"), kind, None);
        }

        let problem_count = self.rng.between(1, 2) as usize;
        for problem in self.rng.sample(MENTAL_HEALTH_PROBLEMS, problem_count) {
            self.condition(problem, 12);
        }

        let day = self.day(3);
        let body = json!({ "status": "active", "intent": "plan",
            "category": [coded(SNOMED, "736253002", "Mental health care plan")],
            "title": "Crisis and relapse prevention plan",
            "description": "Contact the crisis team on the number in the plan; carer is aware of early warning signs.",
            "period": { "start": date(day) } });
        self.push("CarePlan", day, body);

        let medicine_count = self.rng.between(1, 2) as usize;
        for medicine in self.rng.sample(MENTAL_HEALTH_MEDICINES, medicine_count) {
            self.medication_request(medicine, false);
        }
    }
}
