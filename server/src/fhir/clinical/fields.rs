//! Building an entry's detail fields: one labelled line per element read, with dates shown
//! the NHS way, and notes read as plain text. Shared by every type's `fields` and `notes`.

use crate::fhir::datatypes::{
    concept_text, non_empty, quantity_text, Annotation, CodeableConcept, Coding, Period, Reference,
    When,
};
use app::clinical_date::ClinicalDate;
use app::detail::{DetailField, Note};
use std::borrow::Cow;

/// A field when there is a value (blank values are not fields).
pub(crate) fn field(
    label: impl Into<Cow<'static, str>>,
    value: Option<String>,
) -> Option<DetailField> {
    let value = value?;
    let value = value.trim();
    (!value.is_empty()).then(|| DetailField::new(label, value))
}

/// Collects the fields that have values, in order.
pub(crate) fn fields(all: impl IntoIterator<Item = Option<DetailField>>) -> Vec<DetailField> {
    all.into_iter().flatten().collect()
}

/// A FHIR date in the NHS form (`09-Mar-2024`, `Mar-2024`, `09-Mar-2024 10:02`), or as sent
/// when it cannot be read.
pub(crate) fn date_text(value: &str) -> String {
    ClinicalDate::parse(value.trim()).map_or_else(|_| value.trim().to_owned(), |d| d.display())
}

/// An optional date, shown the NHS way.
pub(crate) fn date(value: &Option<String>) -> Option<String> {
    non_empty(value.as_deref()).map(date_text)
}

/// `09-Mar-2024 to 12-Mar-2024`, `from 09-Mar-2024`, `until 12-Mar-2024`.
pub(crate) fn period(p: &Period) -> Option<String> {
    match (non_empty(p.start.as_deref()), non_empty(p.end.as_deref())) {
        (Some(start), Some(end)) => Some(format!("{} to {}", date_text(start), date_text(end))),
        (Some(start), None) => Some(format!("from {}", date_text(start))),
        (None, Some(end)) => Some(format!("until {}", date_text(end))),
        (None, None) => None,
    }
}

/// Any `onset[x]`-style choice in words: a date, a period, an age, a range of ages or text.
pub(crate) fn when(w: When<'_>) -> Option<String> {
    match w {
        When::DateTime(d) => non_empty(Some(d)).map(date_text),
        When::Period(p) => period(p),
        When::Timing(t) => crate::fhir::datatypes::timing_text(t),
        other => other.words(),
    }
}

/// The concept in words.
pub(crate) fn concept(c: &Option<CodeableConcept>) -> Option<String> {
    c.as_ref().and_then(concept_text)
}

/// A status-like concept (`clinicalStatus`, `verificationStatus`) in words: its text, else
/// a coding's display, else its code alone (the status value sets need no system named).
pub(crate) fn status(c: &Option<CodeableConcept>) -> Option<String> {
    let c = c.as_ref()?;
    non_empty(c.text.as_deref())
        .or_else(|| {
            c.coding
                .iter()
                .find_map(|x| non_empty(x.display.as_deref()))
        })
        .or_else(|| crate::fhir::datatypes::concept_code(c))
        .map(str::to_owned)
}

/// Several concepts in words, comma-separated.
pub(crate) fn concepts(list: &[CodeableConcept]) -> Option<String> {
    let words: Vec<String> = list.iter().filter_map(concept_text).collect();
    (!words.is_empty()).then(|| words.join(", "))
}

/// A coding in words: its display, else its code.
pub(crate) fn coding(c: &Option<Coding>) -> Option<String> {
    let c = c.as_ref()?;
    non_empty(c.display.as_deref())
        .or(non_empty(c.code.as_deref()))
        .map(str::to_owned)
}

/// Codes (plain strings) in words, comma-separated.
pub(crate) fn codes(list: &[String]) -> Option<String> {
    let words: Vec<&str> = list.iter().filter_map(|c| non_empty(Some(c))).collect();
    (!words.is_empty()).then(|| words.join(", "))
}

/// What a reference's `display` says (its target is never followed).
pub(crate) fn shown(r: &Option<Reference>) -> Option<String> {
    non_empty(r.as_ref()?.display.as_deref()).map(str::to_owned)
}

/// The displays of several references, comma-separated.
pub(crate) fn shown_all<'a>(list: impl IntoIterator<Item = &'a Reference>) -> Option<String> {
    let words: Vec<&str> = list
        .into_iter()
        .filter_map(|r| non_empty(r.display.as_deref()))
        .collect();
    (!words.is_empty()).then(|| words.join(", "))
}

/// A quantity in words.
pub(crate) fn quantity(q: &Option<crate::fhir::datatypes::Quantity>) -> Option<String> {
    q.as_ref().and_then(quantity_text)
}

/// Each note with text, as plain text (markdown is not rendered; HTML in it stays text).
pub(crate) fn notes(list: &[Annotation]) -> Vec<Note> {
    list.iter()
        .filter_map(|a| {
            let text = non_empty(a.text.as_deref())?.to_owned();
            let author = non_empty(a.author_string.as_deref())
                .map(str::to_owned)
                .or_else(|| shown(&a.author_reference));
            let time = non_empty(a.time.as_deref()).and_then(|t| ClinicalDate::parse(t).ok());
            Some(Note { text, author, time })
        })
        .collect()
}

/// `yes` or `no`.
pub(crate) fn yes_no(b: Option<bool>) -> Option<String> {
    b.map(|b| if b { "yes" } else { "no" }.to_owned())
}

#[cfg(test)]
mod tests {
    //! Each type's fields, from resources shaped as the R4 specification allows (its examples
    //! and the shapes of each choice element), not as the demo sends them.

    use crate::fhir::clinical::ClinicalResource;
    use crate::fhir::resource::{resource_type, ResourceType};
    use app::detail::{DetailField, Note};

    fn parsed(json: &str) -> ClinicalResource {
        let t = ResourceType::from_name(resource_type(json).expect("a type")).expect("supported");
        ClinicalResource::parse(t, json)
            .expect("valid R4")
            .expect("clinical")
    }

    fn fields_of(json: &str) -> Vec<DetailField> {
        parsed(json).clinical().fields()
    }

    fn notes_of(json: &str) -> Vec<Note> {
        parsed(json).clinical().notes()
    }

    /// Fails naming the field when `label` is missing or holds something else.
    fn assert_fields(json: &str, expected: &[(&str, &str)]) {
        let fields = fields_of(json);
        for (label, value) in expected {
            let found = fields.iter().find(|f| f.label == *label);
            assert_eq!(
                found.map(|f| f.value.as_str()),
                Some(*value),
                "{label} in {fields:?}"
            );
        }
    }

    fn labels(json: &str) -> Vec<String> {
        fields_of(json)
            .into_iter()
            .map(|f| f.label.into_owned())
            .collect()
    }

    #[test]
    fn allergy_fields_include_each_reaction() {
        // After the R4 example `allergyintolerance-example`.
        let json = r#"{"resourceType":"AllergyIntolerance","id":"example",
            "clinicalStatus":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical","code":"active","display":"Active"}]},
            "verificationStatus":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/allergyintolerance-verification","code":"confirmed","display":"Confirmed"}]},
            "type":"allergy","category":["food"],"criticality":"high",
            "code":{"coding":[{"system":"http://snomed.info/sct","code":"227493005","display":"Cashew nuts"}]},
            "onsetDateTime":"2004","recordedDate":"2014-10-09T14:58:00+11:00",
            "recorder":{"reference":"Practitioner/example","display":"Dr Adam Careful"},
            "lastOccurrence":"2012-06",
            "reaction":[{"substance":{"coding":[{"system":"http://www.nlm.nih.gov/research/umls/rxnorm","code":"1160593","display":"cashew nut allergenic extract Injectable Product"}]},
                "manifestation":[{"coding":[{"system":"http://snomed.info/sct","code":"39579001","display":"Anaphylactic reaction"}]}],
                "description":"Challenge Protocol. Severe reaction to subcutaneous cashew extract.",
                "onset":"2012-06-12","severity":"severe",
                "exposureRoute":{"coding":[{"system":"http://snomed.info/sct","code":"34206005","display":"Subcutaneous route"}]}},
              {"manifestation":[{"coding":[{"system":"http://snomed.info/sct","code":"64305001","display":"Urticaria"}]}],
                "onset":"2004","note":[{"text":"The patient reports that the onset of urticaria was within 15 minutes"}]}],
            "note":[{"authorString":"Parent","time":"2014-10-09","text":"Cashew <b>and</b> pistachio"}]}"#;
        assert_fields(
            json,
            &[
                ("Substance", "Cashew nuts"),
                ("Type", "allergy"),
                ("Category", "food"),
                ("Criticality", "high"),
                ("Clinical status", "Active"),
                ("Verification status", "Confirmed"),
                ("Onset", "2004"),
                ("Last occurred", "Jun-2012"),
                ("Recorded by", "Dr Adam Careful"),
                ("Reaction 1: manifestation", "Anaphylactic reaction"),
                ("Reaction 1: severity", "severe"),
                ("Reaction 1: exposure route", "Subcutaneous route"),
                ("Reaction 1: onset", "12-Jun-2012"),
                (
                    "Reaction 1: substance",
                    "cashew nut allergenic extract Injectable Product",
                ),
                ("Reaction 2: manifestation", "Urticaria"),
            ],
        );
        // A reaction without severity has no severity field, and says nothing in its place.
        assert!(!labels(json).contains(&"Reaction 2: severity".to_owned()));
        let notes = notes_of(json);
        assert_eq!(notes.len(), 2);
        assert_eq!(notes[0].text, "Cashew <b>and</b> pistachio", "kept as text");
        assert_eq!(notes[0].author.as_deref(), Some("Parent"));
        assert_eq!(notes[0].time.as_ref().unwrap().display(), "09-Oct-2014");
        assert!(notes[1].text.starts_with("The patient reports"));
        // One reaction is not numbered; an onset given as an age is shown as one.
        assert_fields(
            r#"{"resourceType":"AllergyIntolerance","id":"a","onsetAge":{"value":4,"unit":"years","system":"http://unitsofmeasure.org","code":"a"},
                "reaction":[{"manifestation":[{"text":"Wheeze"}]}]}"#,
            &[
                ("Onset", "age 4 years"),
                ("Reaction: manifestation", "Wheeze"),
            ],
        );
    }

    #[test]
    fn condition_fields_read_every_onset_and_abatement_shape() {
        let json = r#"{"resourceType":"Condition","id":"c",
            "clinicalStatus":{"coding":[{"code":"resolved"}]},
            "verificationStatus":{"coding":[{"code":"confirmed"}]},
            "category":[{"coding":[{"code":"problem-list-item","display":"Problem List Item"}]}],
            "severity":{"coding":[{"system":"http://snomed.info/sct","code":"24484000","display":"Severe"}]},
            "code":{"text":"Burn of ear"},
            "bodySite":[{"text":"Left external ear"}],
            "stage":[{"summary":{"text":"Stage 2"},"type":{"text":"Clinical staging"}}],
            "onsetPeriod":{"start":"2012-05-24","end":"2012-05-25"},
            "abatementString":"around April 2013",
            "recordedDate":"2013-04-04",
            "asserter":{"display":"Patient's mother"},
            "note":[{"authorReference":{"display":"Nurse Jones"},"text":"Dressed daily"}]}"#;
        assert_fields(
            json,
            &[
                ("Condition", "Burn of ear"),
                ("Clinical status", "resolved"),
                ("Verification status", "confirmed"),
                ("Category", "Problem List Item"),
                ("Severity", "Severe"),
                ("Body site", "Left external ear"),
                ("Stage", "Stage 2 (Clinical staging)"),
                ("Onset", "24-May-2012 to 25-May-2012"),
                ("Resolved", "around April 2013"),
                ("Recorded", "04-Apr-2013"),
                ("Asserted by", "Patient's mother"),
            ],
        );
        assert_eq!(notes_of(json)[0].author.as_deref(), Some("Nurse Jones"));
        assert_fields(
            r#"{"resourceType":"Condition","id":"c","onsetRange":{"low":{"value":40,"unit":"years"},"high":{"value":50,"unit":"years"}},
                "abatementAge":{"value":52,"code":"a"}}"#,
            &[
                ("Onset", "age 40 years to 50 years"),
                ("Resolved", "age 52 years"),
            ],
        );
    }

    #[test]
    fn prescription_fields_read_dosage_supply_and_reasons() {
        let json = r#"{"resourceType":"MedicationRequest","id":"m","status":"stopped",
            "statusReason":{"text":"Gastrointestinal bleed"},"intent":"order",
            "medicationCodeableConcept":{"text":"Apixaban 5mg tablets"},
            "authoredOn":"2024-03-09","requester":{"display":"Dr C Example"},
            "courseOfTherapyType":{"coding":[{"code":"continuous","display":"Continuous long term therapy"}]},
            "reasonCode":[{"text":"Atrial fibrillation"}],
            "dosageInstruction":[
              {"text":"One tablet twice a day","timing":{"repeat":{"frequency":2,"period":1,"periodUnit":"d"}},
               "route":{"coding":[{"system":"http://snomed.info/sct","code":"26643006","display":"Oral route"}]},
               "doseAndRate":[{"doseQuantity":{"value":5,"unit":"mg"}}]},
              {"timing":{"code":{"text":"At night"}},"asNeededCodeableConcept":{"text":"insomnia"}}],
            "dispenseRequest":{"validityPeriod":{"start":"2024-03-09","end":"2024-09-09"},"numberOfRepeatsAllowed":5,
               "quantity":{"value":56,"unit":"tablet"},"expectedSupplyDuration":{"value":28,"unit":"days"},
               "performer":{"display":"Example Pharmacy"}}}"#;
        assert_fields(
            json,
            &[
                ("Status", "stopped"),
                ("Status reason", "Gastrointestinal bleed"),
                ("Intent", "order"),
                ("Course of therapy", "Continuous long term therapy"),
                ("Authored", "09-Mar-2024"),
                ("Prescriber", "Dr C Example"),
                ("Reason", "Atrial fibrillation"),
                ("Dosage 1: instructions", "One tablet twice a day"),
                ("Dosage 1: timing", "twice a day"),
                ("Dosage 1: route", "Oral route"),
                ("Dosage 1: dose", "5 mg"),
                ("Dosage 2: timing", "At night"),
                ("Dosage 2: as needed", "as needed for insomnia"),
                ("Quantity", "56 tablet"),
                ("Supply duration", "28 days"),
                ("Repeats allowed", "5"),
                ("Valid", "09-Mar-2024 to 09-Sep-2024"),
                ("Dispenser", "Example Pharmacy"),
            ],
        );
        // A dosage with only a timing is still shown.
        assert_fields(
            r#"{"resourceType":"MedicationRequest","id":"m","dosageInstruction":[{"timing":{"repeat":{"period":8,"periodUnit":"h"}}}]}"#,
            &[("Dosage: timing", "every 8 hours")],
        );
    }

    #[test]
    fn statement_fields_read_when_taken_and_who_said() {
        assert_fields(
            r#"{"resourceType":"MedicationStatement","id":"s","status":"not-taken",
                "statusReason":[{"text":"Side effects"}],
                "medicationReference":{"display":"Ramipril 5mg"},
                "effectivePeriod":{"start":"2023-01-01","end":"2023-02-01"},
                "dateAsserted":"2023-02-03","informationSource":{"display":"Patient"},
                "dosage":[{"doseAndRate":[{"doseRange":{"low":{"value":1,"unit":"tablet"},"high":{"value":2,"unit":"tablet"}}}]}],
                "note":[{"text":"Stopped herself"}]}"#,
            &[
                ("Status", "not-taken"),
                ("Status reason", "Side effects"),
                ("Taken", "01-Jan-2023 to 01-Feb-2023"),
                ("Asserted", "03-Feb-2023"),
                ("Information from", "Patient"),
                ("Dosage: dose", "1 tablet to 2 tablet"),
            ],
        );
    }

    #[test]
    fn encounter_fields_read_class_stay_places_and_people() {
        assert_fields(
            r#"{"resourceType":"Encounter","id":"e","status":"finished",
                "class":{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"IMP","display":"inpatient encounter"},
                "type":[{"text":"Emergency admission"}],
                "priority":{"text":"urgent"},
                "period":{"start":"2025-03-01","end":"2025-03-04"},
                "length":{"value":3,"unit":"days"},
                "reasonCode":[{"text":"Community-acquired pneumonia"}],
                "hospitalization":{"admitSource":{"text":"Emergency department"},"dischargeDisposition":{"text":"Home"}},
                "participant":[{"type":[{"text":"attender"}],"individual":{"display":"Dr D Example"}},{"individual":{"reference":"Practitioner/x"}}],
                "location":[{"location":{"display":"Ward 7"},"period":{"start":"2025-03-01","end":"2025-03-04"}}],
                "serviceProvider":{"display":"Example Hospital"},
                "reasonReference":[{"display":"Withheld condition must not show"}]}"#,
            &[
                ("Status", "finished"),
                ("Class", "inpatient encounter"),
                ("Type", "Emergency admission"),
                ("Priority", "urgent"),
                ("Period", "01-Mar-2025 to 04-Mar-2025"),
                ("Length", "3 days"),
                ("Reason", "Community-acquired pneumonia"),
                ("Admitted from", "Emergency department"),
                ("Discharged to", "Home"),
                ("Location", "Ward 7 (01-Mar-2025 to 04-Mar-2025)"),
                ("Participants", "Dr D Example (attender)"),
                ("Service provider", "Example Hospital"),
            ],
        );
        let class_code_only = r#"{"resourceType":"Encounter","id":"e","class":{"code":"AMB"},
            "reasonReference":[{"display":"Withheld condition must not show"}]}"#;
        assert_fields(class_code_only, &[("Class", "AMB")]);
        let all: Vec<String> = fields_of(class_code_only)
            .into_iter()
            .map(|f| f.value)
            .collect();
        assert!(!all.iter().any(|v| v.contains("Withheld")), "{all:?}");
    }

    #[test]
    fn observation_fields_read_value_range_method_and_components() {
        assert_fields(
            r#"{"resourceType":"Observation","id":"o","status":"final",
                "category":[{"coding":[{"code":"laboratory","display":"Laboratory"}]}],
                "code":{"text":"Potassium"},"effectiveDateTime":"2025-01-02",
                "valueQuantity":{"value":6.1,"unit":"mmol/L"},
                "interpretation":[{"coding":[{"code":"H","display":"High"}]}],
                "referenceRange":[{"low":{"value":3.5,"unit":"mmol/L"},"high":{"value":5.3,"unit":"mmol/L"},"type":{"text":"normal"}}],
                "method":{"text":"Ion-selective electrode"},"bodySite":{"text":"Left arm"},
                "performer":[{"display":"Example Pathology"}],"specimen":{"display":"Serum"}}"#,
            &[
                ("Status", "final"),
                ("Category", "Laboratory"),
                ("Test", "Potassium"),
                ("Taken", "02-Jan-2025"),
                ("Value", "6.1 mmol/L (H)"),
                ("Interpretation", "High"),
                ("Reference range", "3.5 mmol/L to 5.3 mmol/L (normal)"),
                ("Method", "Ion-selective electrode"),
                ("Body site", "Left arm"),
                ("Specimen", "Serum"),
                ("Performed by", "Example Pathology"),
            ],
        );
        assert_fields(
            r#"{"resourceType":"Observation","id":"bp","code":{"text":"Blood pressure"},
                "component":[{"code":{"text":"Systolic"},"valueQuantity":{"value":150,"unit":"mmHg"},
                              "interpretation":[{"coding":[{"code":"H"}]}],"referenceRange":[{"high":{"value":140,"unit":"mmHg"}}]},
                             {"code":{"text":"Diastolic"},"dataAbsentReason":{"text":"Not measured"}}]}"#,
            &[
                ("Systolic", "150 mmHg (H) (range up to 140 mmHg)"),
                ("Diastolic", "not recorded: Not measured"),
            ],
        );
        assert_fields(
            r#"{"resourceType":"Observation","id":"o","valueCodeableConcept":{"text":"Positive"},"effectiveTiming":{"event":["2025-01-02"]}}"#,
            &[("Value", "Positive"), ("Taken", "on 2025-01-02")],
        );
    }

    #[test]
    fn report_procedure_and_immunisation_fields() {
        assert_fields(
            r#"{"resourceType":"DiagnosticReport","id":"r","status":"final","code":{"text":"Full blood count"},
                "issued":"2025-01-03T10:00:00Z","performer":[{"display":"Example Pathology"}],
                "result":[{"display":"Haemoglobin 98 g/L"},{"reference":"Observation/x"}],
                "conclusion":"Iron deficiency anaemia","conclusionCode":[{"text":"Anaemia"}]}"#,
            &[
                ("Report", "Full blood count"),
                ("Performed by", "Example Pathology"),
                ("Results", "Haemoglobin 98 g/L"),
                ("Conclusion", "Iron deficiency anaemia"),
                ("Coded conclusion", "Anaemia"),
            ],
        );
        assert_fields(
            r#"{"resourceType":"Procedure","id":"p","status":"not-done","statusReason":{"text":"Patient declined"},
                "category":{"text":"Surgical procedure"},"code":{"text":"Appendicectomy"},"performedString":"as a child",
                "performer":[{"function":{"text":"Surgeon"},"actor":{"display":"Mr E Example"}}],
                "location":{"display":"Theatre 2"},"reasonCode":[{"text":"Appendicitis"}],"bodySite":[{"text":"Appendix"}],
                "outcome":{"text":"Successful"},"complication":[{"text":"Wound infection"}],"followUp":[{"text":"Clinic in 6 weeks"}]}"#,
            &[
                ("Status", "not-done"),
                ("Not done because", "Patient declined"),
                ("Category", "Surgical procedure"),
                ("Performed", "as a child"),
                ("Performed by", "Mr E Example (Surgeon)"),
                ("Location", "Theatre 2"),
                ("Complications", "Wound infection"),
                ("Follow-up", "Clinic in 6 weeks"),
            ],
        );
        assert_fields(
            r#"{"resourceType":"Immunization","id":"i","status":"completed","vaccineCode":{"text":"Influenza vaccine"},
                "occurrenceDateTime":"2024-10-01","primarySource":true,"lotNumber":"AAJN11K","expirationDate":"2025-02-15",
                "site":{"text":"Left arm"},"route":{"text":"Intramuscular"},"doseQuantity":{"value":0.5,"unit":"mL"},
                "performer":[{"actor":{"display":"Nurse F Example"}}],
                "protocolApplied":[{"series":"Seasonal","targetDisease":[{"text":"Influenza"}],"doseNumberPositiveInt":1,"seriesDosesPositiveInt":1}]}"#,
            &[
                ("Vaccine", "Influenza vaccine"),
                ("Given", "01-Oct-2024"),
                ("Primary source", "yes"),
                ("Batch", "AAJN11K"),
                ("Expiry", "15-Feb-2025"),
                ("Site", "Left arm"),
                ("Route", "Intramuscular"),
                ("Dose", "0.5 mL"),
                ("Given by", "Nurse F Example"),
                ("Series", "Seasonal"),
                ("Against", "Influenza"),
                ("Dose number", "1 of 1"),
            ],
        );
        assert_fields(
            r#"{"resourceType":"Immunization","id":"i","occurrenceString":"in infancy","protocolApplied":[{"doseNumberString":"booster"}]}"#,
            &[("Given", "in infancy"), ("Dose number", "booster")],
        );
    }

    #[test]
    fn plan_flag_episode_and_document_fields() {
        assert_fields(
            r#"{"resourceType":"CarePlan","id":"cp","status":"active","intent":"plan","title":"ReSPECT plan",
                "description":"Do not attempt CPR","period":{"start":"2024-01-01"},"created":"2023-12-20",
                "author":{"display":"Dr G Example"},
                "activity":[{"detail":{"code":{"text":"Hospice referral"},"status":"scheduled"}},{"reference":{"reference":"Appointment/x"}}],
                "note":[{"text":"Discussed with family"}]}"#,
            &[
                ("Title", "ReSPECT plan"),
                ("Description", "Do not attempt CPR"),
                ("Period", "from 01-Jan-2024"),
                ("Created", "20-Dec-2023"),
                ("Author", "Dr G Example"),
                ("Activity", "Hospice referral (scheduled)"),
            ],
        );
        assert_fields(
            r#"{"resourceType":"Flag","id":"f","status":"active","category":[{"text":"Safety"}],"code":{"text":"Violent behaviour"},
                "period":{"start":"2024-05-01","end":"2025-05-01"},"author":{"display":"Example Practice"}}"#,
            &[
                ("Flag", "Violent behaviour"),
                ("Applies", "01-May-2024 to 01-May-2025"),
                ("Raised by", "Example Practice"),
            ],
        );
        assert_fields(
            r#"{"resourceType":"EpisodeOfCare","id":"ep","status":"active","type":[{"text":"Community mental health team"}],
                "period":{"start":"2023-02-01"},"managingOrganization":{"display":"Example Trust"},"careManager":{"display":"H Example"}}"#,
            &[
                ("Type", "Community mental health team"),
                ("Managed by", "Example Trust"),
                ("Care manager", "H Example"),
            ],
        );
        assert_fields(
            r#"{"resourceType":"DocumentReference","id":"d","status":"current","docStatus":"final",
                "type":{"text":"Discharge summary"},"date":"2025-03-04T12:00:00Z","author":[{"display":"Dr I Example"}],
                "custodian":{"display":"Example Hospital"},"description":"Discharge after pneumonia",
                "context":{"period":{"start":"2025-03-01","end":"2025-03-04"},"practiceSetting":{"text":"Respiratory medicine"}},
                "content":[{"attachment":{"contentType":"application/pdf","url":"Binary/1"}}]}"#,
            &[
                ("Document status", "final"),
                ("Type", "Discharge summary"),
                ("Author", "Dr I Example"),
                ("Held by", "Example Hospital"),
                ("Covers", "01-Mar-2025 to 04-Mar-2025"),
                ("Specialty", "Respiratory medicine"),
            ],
        );
    }

    #[test]
    fn a_resource_with_nothing_but_an_id_has_no_fields_and_no_notes() {
        for t in ResourceType::ALL {
            let Ok(_) = ClinicalResource::category(t) else {
                continue;
            };
            let json = format!(r#"{{"resourceType":"{}","id":"x"}}"#, t.name());
            assert_eq!(fields_of(&json), [], "{}", t.name());
            assert_eq!(notes_of(&json), [], "{}", t.name());
            assert_eq!(parsed(&json).clinical().narrative(), None);
        }
    }
}
