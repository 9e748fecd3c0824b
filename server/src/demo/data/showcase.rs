//! The tricky cases a real shared record meets, each given to one showcase patient: the same
//! items recorded at two sources (one medicine stopped at discharge but still on GP repeats), a
//! patient with thousands of observations (paging), restricted confidentiality labels and an
//! unlabelled sensitive diagnosis, an objection to sharing, a child on a protection plan, sources disagreeing about a birth
//! date, two patient records for one NHS number at one source, and hospital letters whose
//! content a portal must not trust.

use super::calendar::{date, date_time, ANCHOR_DAY};
use super::catalogue::{ALLERGIES, LOINC, MEDICINES, SNOMED};
use super::records::{coded, quantity, Gen};
use serde_json::json;

/// How many glucose readings the many-observations patient's GP holds (unless a benchmark
/// asks for another number: [`super::Population::with_readings`]).
pub const MANY_OBSERVATIONS: i64 = 3_000;

const CONFIDENTIALITY: &str = "http://terminology.hl7.org/CodeSystem/v3-Confidentiality";

/// An illustrative code system for child-protection flags (the demo config maps it).
pub const CHILD_PROTECTION_SYSTEM: &str = "https://example.org/fhir/CodeSystem/child-protection";

impl Gen {
    /// The allergy, problem and medicine both the GP and the hospital record for one patient.
    /// The hospital stopped the medicine at discharge; the GP still issues it.
    pub(super) fn recorded_at_gp_and_hospital(&mut self, at_hospital: bool) {
        let (allergy_code, allergy) = ALLERGIES[0];
        let allergy_day = ANCHOR_DAY - if at_hospital { 200 } else { 3_000 };
        let body = json!({
            "clinicalStatus": { "coding": [{ "system": "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical", "code": "active" }] },
            "code": coded(SNOMED, allergy_code, allergy), "recordedDate": date(allergy_day) });
        self.push("AllergyIntolerance", allergy_day, body);

        let problem_day = ANCHOR_DAY - if at_hospital { 200 } else { 2_500 };
        let body = json!({
            "clinicalStatus": { "coding": [{ "system": "http://terminology.hl7.org/CodeSystem/condition-clinical", "code": "active" }] },
            "code": coded(SNOMED, "49436004", "Atrial fibrillation"), "onsetDateTime": date(problem_day) });
        self.push("Condition", problem_day, body);

        let (code, name, dose) = MEDICINES[6];
        if at_hospital {
            let discharged = ANCHOR_DAY - 40;
            let body = json!({ "status": "stopped", "medicationCodeableConcept": coded(SNOMED, code, name),
                "effectiveDateTime": date(discharged), "dosage": [{ "text": "Stopped on admission: gastrointestinal bleed" }] });
            self.push("MedicationStatement", discharged, body);
        } else {
            let issued = ANCHOR_DAY - 12;
            let body = json!({ "status": "active", "intent": "order", "authoredOn": date(issued),
                "medicationCodeableConcept": coded(SNOMED, code, name), "dosageInstruction": [{ "text": dose }],
                "courseOfTherapyType": { "coding": [{ "system": "http://terminology.hl7.org/CodeSystem/medicationrequest-course-of-therapy", "code": "continuous" }] } });
            self.push("MedicationRequest", issued, body);
        }
    }

    /// Home capillary glucose readings, several a day for years: far more than one page.
    pub(super) fn many_observations(&mut self, readings: i64) {
        for n in 0..readings {
            let day = ANCHOR_DAY - 1 - n / 3;
            let value = self.rng.between(40, 140) as f64 / 10.0;
            let minute = 7 * 60 + (n % 3) * 300;
            let body = json!({ "status": "final",
                "category": [{ "coding": [{ "system": "http://terminology.hl7.org/CodeSystem/observation-category", "code": "vital-signs" }] }],
                "code": coded(LOINC, "14743-9", "Glucose [Moles/volume] in Capillary blood by Glucometer"),
                "effectiveDateTime": date_time(day, minute), "valueQuantity": quantity(value, "mmol/L") });
            self.push("Observation", day, body);
        }
    }

    /// Items labelled restricted (`R`) and very restricted (`V`) in `meta.security`, with an
    /// unknown extension on one of them, as real records carry.
    pub(super) fn restricted_items(&mut self) {
        let day = ANCHOR_DAY - 400;
        let mut body = json!({
            "clinicalStatus": { "coding": [{ "system": "http://terminology.hl7.org/CodeSystem/condition-clinical", "code": "resolved" }] },
            "code": coded(SNOMED, "105629000", "Chlamydial infection"), "onsetDateTime": date(day),
            "extension": [{ "url": "https://example.org/fhir/StructureDefinition/local-clinic-flag", "valueString": "GUM clinic" }] });
        self.push("Condition", day, body.take());
        self.label_last("R", "restricted");

        let day = ANCHOR_DAY - 900;
        let body = json!({ "status": "current",
            "type": coded(SNOMED, "371531000", "Report of clinical encounter"),
            "description": "Fertility clinic letter", "date": date_time(day, 600),
            "content": [{ "attachment": { "contentType": "application/pdf", "title": "Clinic letter" } }] });
        self.push("DocumentReference", day, body);
        self.label_last("V", "very restricted");
    }
}

impl Gen {
    /// A sexual-health diagnosis the hospital holds with no security label (sources drop
    /// them): only a sensitive code list catches it.
    pub(super) fn sensitive_unlabelled(&mut self) {
        let day = ANCHOR_DAY - 700;
        let body = json!({
            "clinicalStatus": { "coding": [{ "system": "http://terminology.hl7.org/CodeSystem/condition-clinical", "code": "resolved" }] },
            "code": coded(SNOMED, "15628003", "Gonorrhoea"), "onsetDateTime": date(day) });
        self.push("Condition", day, body);
    }

    /// An active child-protection plan, as the council's children's social care records it.
    pub(super) fn child_protection_plan(&mut self) {
        let day = ANCHOR_DAY - 90;
        let body = json!({ "status": "active",
            "category": super::records::category("flag-category", "safety", "Safety"),
            "code": coded(CHILD_PROTECTION_SYSTEM, "CPP", "Child protection plan"),
            "period": { "start": date(day) } });
        self.push("Flag", day, body);
    }

    /// End-of-life decisions as a GP records them: a ReSPECT recommendation not to attempt
    /// CPR (an active alert) and an end-of-life care plan naming who to contact.
    pub(super) fn end_of_life(&mut self) {
        let day = ANCHOR_DAY - 45;
        let body = json!({ "status": "active",
            "category": super::records::category("flag-category", "clinical", "Clinical"),
            "code": coded(SNOMED, "450476008", "ReSPECT: not for attempted cardiopulmonary resuscitation"),
            "period": { "start": date(day) } });
        self.push("Flag", day, body);
        let body = json!({ "status": "active", "intent": "plan",
            "category": [coded(SNOMED, "736373009", "End of life care plan")],
            "title": "End of life care plan: preferred place of care home; contact daughter first",
            "period": { "start": date(day) } });
        self.push("CarePlan", day, body);
    }

    /// The patient's objection to sharing their record, as their GP records it: an active
    /// Consent with a `deny` provision for the privacy scope.
    pub(super) fn dissent(&mut self) {
        let day = ANCHOR_DAY - 60;
        let body = json!({ "status": "active",
            "scope": coded("http://terminology.hl7.org/CodeSystem/consentscope", "patient-privacy", "Privacy Consent"),
            "category": [coded(LOINC, "59284-0", "Patient Consent")],
            "policyRule": coded("http://terminology.hl7.org/CodeSystem/v3-ActCode", "OPTOUT", "opt-out"),
            "dateTime": date_time(day, 600),
            "provision": { "type": "deny" } });
        self.push("Consent", day, body);
    }
}

impl Gen {
    /// A clinic letter with five attachments: HTML carrying script-injection probes (inline),
    /// a PDF on the source (`Binary/<id>`), a plain-text note (inline), a type the portal
    /// does not show, and a copy at another organisation's address (never fetched).
    pub(super) fn hospital_letters(&mut self) {
        use super::letters;
        let day = ANCHOR_DAY - 20;
        let letter = letters::unsafe_letter(day);
        let note = letters::advice_note(day);
        let binary = self.next_id("binary");
        let pdf = letters::pdf_for(&binary);
        let body = json!({ "status": "current",
            "type": coded(SNOMED, "371531000", "Report of clinical encounter"),
            "description": "Respiratory clinic letter", "date": date_time(day, 660),
            "content": [
                { "attachment": { "contentType": "text/html; charset=utf-8", "title": "Clinic letter",
                    "data": letters::base64(letter.as_bytes()), "size": letter.len() } },
                { "attachment": { "contentType": "application/pdf", "title": "Clinic letter (signed copy)",
                    "url": format!("Binary/{binary}"), "size": pdf.len() } },
                { "attachment": { "contentType": "text/plain", "title": "Telephone advice note",
                    "data": letters::base64(note.as_bytes()), "size": note.len() } },
                { "attachment": { "contentType": "application/rtf", "title": "Dictation",
                    "data": letters::base64(b"{\\rtf1 Synthetic dictation}") } },
                { "attachment": { "contentType": "application/pdf", "title": "Copy held elsewhere",
                    "url": "https://elsewhere.example/letters/copy.pdf" } }
            ] });
        self.push("DocumentReference", day, body);
    }
}

impl Gen {
    /// Adds a v3 Confidentiality label to the resource pushed last.
    fn label_last(&mut self, code: &str, display: &str) {
        if let Some(resource) = self.last_mut() {
            resource["meta"]["security"] =
                json!([{ "system": CONFIDENTIALITY, "code": code, "display": display }]);
        }
    }
}
