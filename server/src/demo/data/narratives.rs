//! The narratives showcase patient: a problem and an attendance whose narratives (`text.div`)
//! carry script-injection probes, an allergy whose note carries markup that must show as
//! text, and an allergy the GP recorded in error (kept, flagged, never ordinary).

use super::calendar::{date, date_time, ANCHOR_DAY};
use super::catalogue::SNOMED;
use super::records::{coded, Gen};
use serde_json::{json, Value};

/// A coded concept with the words the clinician wrote (`CodeableConcept.text`): these rows
/// are told apart from the generated history by their words.
fn titled(mut concept: Value, text: &str) -> Value {
    concept["text"] = json!(text);
    concept
}

/// A narrative with every kind of probe the entry panel must neutralise, around real text.
pub const PROBE_NARRATIVE: &str = concat!(
    r#"<div xmlns="http://www.w3.org/1999/xhtml">"#,
    "<p><b>Asthma</b>, diagnosed in childhood; well controlled on inhalers.</p>",
    "<script>window.__xss=1</script>",
    r#"<img src="x" onerror="window.__xss=2">"#,
    r#"<p><a href="javascript:window.__xss=3">Asthma action plan</a></p>"#,
    "<style>p { display: none }</style>",
    r#"<iframe src="javascript:window.__xss=4"></iframe>"#,
    r#"<img src="http://tracker.example/pixel.png">"#,
    r#"<p onclick="window.__xss=5">Reviewed at the annual asthma clinic.</p>"#,
    "</div>"
);

/// A note whose text carries markup: shown literally, never obeyed.
pub const PROBE_NOTE: &str =
    "Hives within minutes of latex gloves. <script>alert(1)</script><b>not bold</b>";

impl Gen {
    /// The GP's part: the problem with a probing narrative, the allergy with a probing
    /// note, and an allergy recorded in error.
    pub(super) fn narratives_at_gp(&mut self) {
        let day = ANCHOR_DAY - 3_000;
        let body = json!({
            "text": { "status": "generated", "div": PROBE_NARRATIVE },
            "clinicalStatus": { "coding": [{ "system": "http://terminology.hl7.org/CodeSystem/condition-clinical", "code": "active" }] },
            "verificationStatus": { "coding": [{ "system": "http://terminology.hl7.org/CodeSystem/condition-ver-status", "code": "confirmed" }] },
            "code": titled(coded(SNOMED, "195967001", "Asthma"), "Asthma since childhood"),
            "onsetDateTime": date(day),
            "recordedDate": date(day) });
        self.push("Condition", day, body);

        let day = ANCHOR_DAY - 800;
        let body = json!({
            "clinicalStatus": { "coding": [{ "system": "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical", "code": "active" }] },
            "verificationStatus": { "coding": [{ "system": "http://terminology.hl7.org/CodeSystem/allergyintolerance-verification", "code": "confirmed" }] },
            "type": "allergy", "category": ["environment"], "criticality": "low",
            "code": titled(coded(SNOMED, "300916003", "Latex allergy"), "Latex allergy (gloves)"),
            "recordedDate": date(day),
            "reaction": [{ "manifestation": [coded(SNOMED, "126485001", "Urticaria")],
                           "severity": "moderate",
                           "exposureRoute": coded(SNOMED, "263887005", "Skin") }],
            "note": [{ "text": PROBE_NOTE, "authorString": "Dr A Example", "time": date_time(day, 600) }] });
        self.push("AllergyIntolerance", day, body);

        let day = ANCHOR_DAY - 30;
        let body = json!({
            "clinicalStatus": { "coding": [{ "system": "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical", "code": "active" }] },
            "verificationStatus": { "coding": [{ "system": "http://terminology.hl7.org/CodeSystem/allergyintolerance-verification", "code": "entered-in-error" }] },
            "type": "allergy", "category": ["medication"], "criticality": "high",
            "code": coded(SNOMED, "294505008", "Allergy to aspirin"), "recordedDate": date(day),
            "note": [{ "text": "Recorded against the wrong patient." }] });
        self.push("AllergyIntolerance", day, body);
    }

    /// The hospital's part: an emergency attendance with a probing narrative.
    pub(super) fn narratives_at_hospital(&mut self) {
        let day = ANCHOR_DAY - 10;
        let body = json!({ "status": "finished",
            "text": { "status": "generated", "div": PROBE_NARRATIVE.replace("Asthma</b>, diagnosed in childhood; well controlled on inhalers", "Wheeze</b>, seen and treated with nebulisers") },
            "class": { "system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "EMER", "display": "emergency" },
            "type": [{ "text": "Emergency department attendance: wheeze" }],
            "period": { "start": date_time(day, 1_300), "end": date_time(day, 1_420) },
            "reasonCode": [{ "text": "Shortness of breath" }],
            "hospitalization": { "dischargeDisposition": { "text": "Home" } },
            "participant": [{ "individual": { "display": "Dr B Example" } }],
            "location": [{ "location": { "display": "Emergency department, majors" } }] });
        self.push("Encounter", day, body);
    }
}
