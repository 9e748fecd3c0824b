//! The full-record showcase patient's GP record: medicines (repeats with issues, an acute,
//! one stopped), consultations with topics and headings, problems, allergies (one ended),
//! immunisations, uncategorised data with partial dates, test results and a referral.

use super::meta;
use super::{reference, snomed, Builder, Consultation, DATA_IDENTIFIER, HL7_UK_SD, SD};
use crate::demo::data::calendar::{date, date_time, year, year_month, ANCHOR_DAY};
use crate::demo::data::catalogue::{SNOMED, UCUM};
use serde_json::{json, Value};

impl Builder<'_> {
    pub(super) fn full_record(&mut self) {
        let a = ANCHOR_DAY;
        // Medication: two repeats (several issues), an acute, one stopped.
        self.medicine(
            ("39109411000001103", "Metformin 500mg tablets"),
            "One tablet twice a day with meals",
            true,
            a - 1_500,
            None,
            &[a - 84, a - 56, a - 28],
            false,
        );
        let metformin = self.record.medicines[0].statement.clone();
        self.medicine(
            ("39113611000001102", "Amlodipine 5mg tablets"),
            "One tablet once a day",
            true,
            a - 900,
            None,
            &[a - 60, a - 30],
            false,
        );
        let amlodipine = self.record.medicines[1].statement.clone();
        self.medicine(
            ("39732611000001102", "Amoxicillin 500mg capsules"),
            "One capsule three times a day for 7 days",
            false,
            a - 120,
            Some(a - 113),
            &[a - 120],
            false,
        );
        self.medicine(
            ("39695211000001102", "Atorvastatin 20mg tablets"),
            "One tablet at night",
            true,
            a - 700,
            Some(a - 200),
            &[a - 260, a - 230],
            true,
        );

        // Consultations, with their topics and headings.
        let diabetes_review = self.consultation_encounter(a - 30, "Diabetes review");
        let weight = self.observation(
            ("27113001", "Body weight"),
            date_time(a - 30, 560),
            Some(json!({ "value": 92.4, "unit": "kg", "system": UCUM, "code": "kg" })),
            Some(&diabetes_review),
            None,
        );
        let history = self.observation(
            ("37331000000100", "Comment note"),
            date_time(a - 30, 555),
            None,
            Some(&diabetes_review),
            Some("Feels well. Checking sugars at home, mostly 6-9 mmol/L."),
        );
        let referral = self.clinical("ReferralRequest", "CareConnect-GPC-ReferralRequest-1", "subject", json!({
            "status": "active", "intent": "order", "priority": "routine",
            "authoredOn": date_time(a - 30, 570), "context": reference(&diabetes_review),
            "requester": { "agent": reference(&self.practitioner), "onBehalfOf": reference(&self.organization) },
            "specialty": snomed("394583002", "Endocrinology"),
            "recipient": [{ "display": "Diabetic eye screening service" }],
            "reasonCode": [snomed("44054006", "Type 2 diabetes mellitus")],
            "description": "Annual diabetic eye screening" }));
        self.record.referrals.push((referral.clone(), a - 30));
        let back_pain_visit = self.consultation_encounter(a - 800, "Surgery consultation");
        let back_note = self.observation(
            ("37331000000100", "Comment note"),
            date_time(a - 800, 620),
            None,
            Some(&back_pain_visit),
            Some("Lower back pain after lifting. No red flags. Advice given."),
        );
        let phone = self.consultation_encounter(a - 400, "Telephone consultation");
        let phone_note = self.observation(
            ("37331000000100", "Comment note"),
            date_time(a - 400, 700),
            None,
            Some(&phone),
            Some("Back pain resolved."),
        );

        // Problems: major and minor, active and inactive.
        let diabetes = self.problem(
            ("44054006", "Type 2 diabetes mellitus"),
            true,
            date(a - 1_510),
            None,
            &[metformin, diabetes_review.clone()],
        );
        self.problem(
            ("38341003", "Hypertensive disorder"),
            false,
            date(a - 905),
            None,
            &[amlodipine],
        );
        self.problem(
            ("85189001", "Acute appendicitis"),
            true,
            year(a - 5_000),
            Some(a - 4_990),
            &[],
        );
        let back_pain = self.problem(
            ("279039007", "Low back pain"),
            false,
            date(a - 800),
            Some(a - 400),
            &[back_pain_visit.clone(), phone.clone()],
        );

        let heading = |title: &str| title.to_owned();
        self.consultation_lists(
            &diabetes_review,
            "Diabetes review",
            a - 30,
            vec![(
                Some(("Type 2 diabetes", diabetes.clone())),
                vec![
                    (heading("History"), vec![history]),
                    (heading("Examination"), vec![weight]),
                    (
                        heading("Plan"),
                        vec![referral, "Document items have been disabled.".to_owned()],
                    ),
                ],
            )],
        );
        self.record.disabled_areas_linked.push("DocumentReferences");
        self.consultation_lists(
            &back_pain_visit,
            "Surgery consultation",
            a - 800,
            vec![(
                Some(("Low back pain", back_pain.clone())),
                vec![(String::new(), vec![back_note])],
            )],
        );
        self.consultation_lists(
            &phone,
            "Telephone consultation",
            a - 400,
            vec![(
                Some(("Low back pain", back_pain)),
                vec![(heading("History"), vec![phone_note])],
            )],
        );

        // Allergies: a current one and an ended one.
        let current = self.clinical("AllergyIntolerance", "CareConnect-GPC-AllergyIntolerance-1", "patient", json!({
            "clinicalStatus": "active", "verificationStatus": "confirmed", "type": "allergy", "category": ["medication"],
            "code": snomed("91936005", "Allergy to penicillin"), "onsetDateTime": date(a - 7_000),
            "assertedDate": date(a - 6_990), "recorder": reference(&self.role),
            "reaction": [{ "manifestation": [snomed("39579001", "Anaphylaxis")], "severity": "severe" }] }));
        self.record.allergies.push(current);
        let ended = a - 1_000;
        self.record.ended_allergies.push(json!({ "resourceType": "AllergyIntolerance", "id": "ended-allergy-1",
            "meta": meta("CareConnect-GPC-AllergyIntolerance-1"),
            "identifier": [{ "system": DATA_IDENTIFIER, "value": self.ids.next() }],
            "extension": [{ "url": format!("{SD}Extension-CareConnect-GPC-AllergyIntoleranceEnd-1"),
                "extension": [{ "url": "endDate", "valueDateTime": date(ended) },
                    { "url": "reasonEnded", "valueString": "Tolerated aspirin 75mg under supervision" }] }],
            "clinicalStatus": "resolved", "verificationStatus": "confirmed", "type": "intolerance", "category": ["medication"],
            "code": snomed("294505008", "Allergy to aspirin"), "onsetDateTime": year_month(a - 4_000),
            "assertedDate": date(a - 3_990), "patient": reference(&self.record.patient),
            "reaction": [{ "manifestation": [snomed("418290006", "Itching")], "severity": "mild" }] }));

        // Immunisations: two given, one not given.
        for (code, name, day, not_given) in [
            ("1181000221105", "Influenza vaccine", a - 250, false),
            ("836398006", "Pneumococcal vaccine", a - 2_000, false),
            ("1119349007", "COVID-19 mRNA vaccine", a - 600, true),
        ] {
            let mut body = json!({ "status": "completed", "notGiven": not_given, "vaccineCode": snomed(code, name),
                "date": date(day), "primarySource": true, "practitioner": [{ "actor": reference(&self.practitioner) }] });
            if not_given {
                body["explanation"] = json!({ "reasonNotGiven": [snomed("591000119102", "Vaccine refused by patient")] });
            }
            let key = self.clinical(
                "Immunization",
                "CareConnect-GPC-Immunization-1",
                "patient",
                body,
            );
            self.record.immunisations.push((key, not_given, day));
        }

        // Uncategorised data with partial dates; one item withheld as confidential.
        self.observation(
            ("8517006", "Ex-smoker"),
            year_month(ANCHOR_DAY - 2_650),
            None,
            None,
            None,
        );
        self.observation(
            ("278149003", "Blood group A Rh(D) positive"),
            year(ANCHOR_DAY - 5_200),
            None,
            None,
            None,
        );
        self.record.uncategorised_withheld = true;

        // Test results: a full blood count report, its test group and results, the request.
        let day = a - 45;
        let hb_value = self.rng.between(120, 150);
        let hb = self.test_result(
            ("1022431000000105", "Haemoglobin estimation"),
            day,
            hb_value as f64,
            "g/L",
            (115.0, 165.0),
        );
        let wbc_value = self.rng.between(40, 100) as f64 / 10.0;
        let wbc = self.test_result(
            ("1022541000000102", "Total white blood count"),
            day,
            wbc_value,
            "10*9/L",
            (4.0, 11.0),
        );
        let group = self.clinical("Observation", "CareConnect-GPC-Observation-1", "subject", json!({
            "status": "final", "code": snomed("26604007", "Full blood count"), "effectiveDateTime": date_time(day, 540),
            "issued": date_time(day + 1, 600), "performer": [reference(&self.organization)],
            "related": [{ "type": "has-member", "target": reference(&hb) }, { "type": "has-member", "target": reference(&wbc) }] }));
        let request = self.clinical("ProcedureRequest", "CareConnect-GPC-ProcedureRequest-1", "subject", json!({
            "status": "completed", "intent": "order", "code": snomed("26604007", "Full blood count"),
            "authoredOn": date(day - 2), "requester": { "agent": reference(&self.practitioner) } }));
        let report = self.clinical("DiagnosticReport", "CareConnect-GPC-DiagnosticReport-1", "subject", json!({
            "basedOn": [reference(&request)], "status": "final",
            "category": { "coding": [{ "system": SNOMED, "code": "4241000179101", "display": "Laboratory report" }] },
            "code": snomed("721981007", "Diagnostic studies report"), "effectiveDateTime": date_time(day, 540),
            "issued": date_time(day + 1, 600), "performer": [{ "actor": reference(&self.organization) }],
            "result": [reference(&group)], "conclusion": "Normal full blood count." }));
        self.record.investigations.push((report, day + 1));
    }

    fn test_result(
        &mut self,
        code: (&str, &str),
        day: i64,
        value: f64,
        unit: &str,
        range: (f64, f64),
    ) -> String {
        self.clinical("Observation", "CareConnect-GPC-Observation-1", "subject", json!({
            "status": "final", "category": [{ "coding": [{ "system": "http://hl7.org/fhir/observation-category", "code": "laboratory", "display": "Laboratory" }] }],
            "code": snomed(code.0, code.1), "effectiveDateTime": date_time(day, 540), "issued": date_time(day + 1, 600),
            "performer": [reference(&self.organization)],
            "valueQuantity": { "value": value, "unit": unit, "system": UCUM, "code": unit },
            "referenceRange": [{ "low": { "value": range.0, "unit": unit }, "high": { "value": range.1, "unit": unit } }] }))
    }

    fn consultation_encounter(&mut self, day: i64, kind: &str) -> String {
        self.clinical("Encounter", "CareConnect-GPC-Encounter-1", "subject", json!({
            "status": "finished", "type": [{ "text": kind }],
            "participant": [{ "type": [{ "coding": [{ "system": "http://hl7.org/fhir/v3/ParticipationType", "code": "PPRF", "display": "primary performer" }] }],
                "individual": reference(&self.practitioner) }],
            "period": { "start": date_time(day, 540), "end": date_time(day, 555) },
            "serviceProvider": reference(&self.organization) }))
    }

    /// The consultation's Lists: the consultation, its topics (each maybe about a problem)
    /// and their headings (an empty heading title: the topic holds the items directly).
    /// An item that is not `Type/id` is the display of an entry in a disabled area.
    #[allow(clippy::type_complexity)]
    fn consultation_lists(
        &mut self,
        encounter: &str,
        title: &str,
        day: i64,
        topics: Vec<(Option<(&str, String)>, Vec<(String, Vec<String>)>)>,
    ) {
        let list = |b: &mut Self,
                    id: &str,
                    title: &str,
                    code: (&str, &str),
                    entries: Vec<Value>| {
            json!({ "resourceType": "List", "id": id, "meta": meta("CareConnect-GPC-List-1"),
                "status": "current", "mode": "snapshot", "title": title, "code": snomed(code.0, code.1),
                "subject": reference(&b.record.patient), "encounter": reference(encounter),
                "date": date_time(day, 540), "entry": entries })
        };
        let entry = |item: &String| {
            if item.contains('/') && !item.contains(' ') {
                json!({ "item": reference(item) })
            } else {
                json!({ "item": { "display": item } })
            }
        };
        let mut lists = Vec::new();
        let mut items = Vec::new();
        let mut topic_refs = Vec::new();
        for (topic, headings) in topics {
            let topic_id = self.ids.next();
            let mut entries = Vec::new();
            for (heading, held) in headings {
                items.extend(
                    held.iter()
                        .filter(|i| i.contains('/') && !i.contains(' '))
                        .cloned(),
                );
                if heading.is_empty() {
                    entries.extend(held.iter().map(entry));
                } else {
                    let id = self.ids.next();
                    lists.push(list(
                        self,
                        &id,
                        &heading,
                        ("24781000000107", "Category (EHR)"),
                        held.iter().map(entry).collect(),
                    ));
                    entries.push(json!({ "item": reference(&format!("List/{id}")) }));
                }
            }
            let topic_title = topic.as_ref().map_or("Topic", |(t, _)| t);
            let mut topic_list = list(
                self,
                &topic_id,
                topic_title,
                ("25851000000105", "Topic (EHR)"),
                entries,
            );
            if let Some((_, problem)) = topic {
                topic_list["extension"] = json!([{ "url": format!("{HL7_UK_SD}Extension-CareConnect-RelatedProblemHeader-1"), "valueReference": reference(&problem) }]);
                items.push(problem);
            }
            lists.push(topic_list);
            topic_refs.push(json!({ "item": reference(&format!("List/{topic_id}")) }));
        }
        let id = self.ids.next();
        lists.insert(
            0,
            list(
                self,
                &id,
                title,
                ("325851000000107", "Consultation"),
                topic_refs,
            ),
        );
        let end = day;
        self.record.consultations.push(Consultation {
            encounter: encounter.to_owned(),
            start: day,
            end,
            lists,
            items,
        });
    }
}
