//! A council's adult social care record: the episode of care, social worker visits and
//! assessments, the package of care, and alerts for whoever visits next.

use super::calendar::date;
use super::catalogue::SOCIAL_CARE_FLAGS;
use super::records::{category, Gen};
use serde_json::json;

impl Gen {
    pub(super) fn social_care(&mut self) {
        let start = self.day(6);
        let episode = json!({ "status": "active", "type": [{ "text": "Adult social care" }],
            "period": { "start": date(start) } });
        self.push("EpisodeOfCare", start, episode);

        for _ in 0..self.count(2, 5) {
            let day = self.day(5);
            let kind = self.rng.pick(&[
                "Social worker home visit",
                "Care needs assessment",
                "Carer's assessment",
            ]);
            self.encounter(day, ("HH", "home health"), kind, None);
        }

        let day = self.day(2);
        let visits = self
            .rng
            .pick(&["two visits daily", "three visits daily", "one visit daily"]);
        let body = json!({ "status": "active", "intent": "plan",
            "title": format!("Home care: {visits}"),
            "description": "Package of care: personal care and medication prompts at each visit.",
            "period": { "start": date(day) } });
        self.push("CarePlan", day, body);

        let flag_count = self.rng.between(1, 2) as usize;
        for text in self.rng.sample(SOCIAL_CARE_FLAGS, flag_count) {
            let day = self.day(3);
            let body = json!({ "status": "active",
                "category": category("flag-category", "safety", "Safety"),
                "code": { "text": text }, "period": { "start": date(day) } });
            self.push("Flag", day, body);
        }
    }
}
