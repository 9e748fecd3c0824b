//! The GP Connect practice's records as STU3 CareConnect-GPC resources: each patient's whole
//! record (resources plus the facts the search parameters filter on), built from the
//! population's seed and the patient's index.

use crate::demo::data::calendar::{date, date_time, ANCHOR_DAY};
use crate::demo::data::catalogue::{POSTCODES, SNOMED, STREETS, TOWNS, UCUM};
use crate::demo::data::gp_connect::{GpConnectPatient, PRACTICE, PRACTICE_ADDRESS, USUAL_GP};
use crate::demo::data::rng::Rng;
use crate::demo::Population;
use app::nhs_number::NHS_NUMBER_SYSTEM;
use serde_json::{json, Value};
use std::collections::BTreeMap;

mod full;

pub const SD: &str = "https://fhir.nhs.uk/STU3/StructureDefinition/";
const HL7_UK_SD: &str = "https://fhir.hl7.org.uk/STU3/StructureDefinition/";
const DATA_IDENTIFIER: &str = "https://provider.nhs.uk/data-identifier";
pub const ODS_SYSTEM: &str = "https://fhir.nhs.uk/Id/ods-organization-code";
pub const SDS_USER_SYSTEM: &str = "https://fhir.nhs.uk/Id/sds-user-id";
/// The practice's own ODS code.
pub const PRACTICE_ODS: &str = PRACTICE.0;

/// `meta` naming one profile.
pub fn meta(profile: &str) -> Value {
    json!({ "profile": [format!("{SD}{profile}")] })
}

pub fn snomed(code: &str, display: &str) -> Value {
    json!({ "coding": [{ "system": SNOMED, "code": code, "display": display }] })
}

pub fn reference(key: &str) -> Value {
    json!({ "reference": key })
}

/// One medicine: its authorisation (plan), summary (statement), issues (orders).
pub struct Medicine {
    pub statement: String,
    pub orders: Vec<String>,
    pub repeat: bool,
    /// First and last day the medicine is active (`None`: ongoing).
    pub start: i64,
    pub end: Option<i64>,
}

/// One consultation: its Encounter, the Lists structuring it, and what they hold.
pub struct Consultation {
    pub encounter: String,
    pub start: i64,
    pub end: i64,
    pub lists: Vec<Value>,
    /// `Type/id` of every clinical item in its topics and headings.
    pub items: Vec<String>,
}

/// A patient's whole record at the practice, and what each search filters on.
#[derive(Default)]
pub struct Record {
    /// Every resource by `Type/id`, except Lists (built per request).
    pub resources: BTreeMap<String, Value>,
    pub patient: String,
    /// The Patient, practice Organization, usual GP Practitioner and PractitionerRole.
    pub always: Vec<String>,
    /// (Condition key, active).
    pub problems: Vec<(String, bool)>,
    pub allergies: Vec<String>,
    /// Ended allergies: contained in the "Ended allergies" List, never entries of their own.
    pub ended_allergies: Vec<Value>,
    pub medicines: Vec<Medicine>,
    pub consultations: Vec<Consultation>,
    /// (Immunization key, not given, day).
    pub immunisations: Vec<(String, bool, i64)>,
    /// (Observation key, first and last day its effective date covers).
    pub uncategorised: Vec<(String, (i64, i64))>,
    /// Uncategorised items withheld as confidential: the list carries a warning.
    pub uncategorised_withheld: bool,
    /// (DiagnosticReport key, issued day).
    pub investigations: Vec<(String, i64)>,
    /// (ReferralRequest key, authored day).
    pub referrals: Vec<(String, i64)>,
    /// Items in consultations that are in clinical areas the practice has switched off
    /// (their parameter or area name, e.g. `DocumentReferences`).
    pub disabled_areas_linked: Vec<&'static str>,
}

/// Deterministic UUID-shaped ids for one patient's resources.
struct Ids(Rng);

impl Ids {
    fn next(&mut self) -> String {
        let (a, b) = (self.0.next_u64(), self.0.next_u64());
        format!(
            "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
            a >> 32,
            (a >> 16) & 0xffff,
            a & 0xfff,
            0x8000 | (b >> 48) & 0x3fff,
            b & 0xffff_ffff_ffff
        )
    }
}

/// Builds one patient's record.
struct Builder<'a> {
    record: Record,
    ids: Ids,
    rng: Rng,
    population: &'a Population,
    index: usize,
    practitioner: String,
    role: String,
    organization: String,
}

/// The record the practice holds for patient `index`, if they are registered there and the
/// practice shares it (not for the dissented and sensitive patients).
pub fn record(population: &Population, index: usize) -> Option<Record> {
    let status = population.gp_connect_patient(index)?;
    if matches!(
        status,
        GpConnectPatient::Dissented | GpConnectPatient::Sensitive
    ) {
        return None;
    }
    let seed = population.seed();
    let mut ids = Ids(Rng::new(&[seed, index as u64, 0x6C0]));
    let (patient, organization, practitioner, role) =
        (ids.next(), ids.next(), ids.next(), ids.next());
    let mut b = Builder {
        record: Record::default(),
        ids,
        rng: Rng::new(&[seed, index as u64, 0x6C1]),
        population,
        index,
        practitioner: format!("Practitioner/{practitioner}"),
        role: format!("PractitionerRole/{role}"),
        organization: format!("Organization/{organization}"),
    };
    b.record.patient = format!("Patient/{patient}");
    b.demographics(&patient, &organization, &practitioner, &role);
    match status {
        GpConnectPatient::FullRecord => b.full_record(),
        _ => b.no_known_allergies(),
    }
    Some(b.record)
}

impl Builder<'_> {
    fn add(&mut self, resource: Value) -> String {
        let key = format!(
            "{}/{}",
            resource["resourceType"].as_str().unwrap_or_default(),
            resource["id"].as_str().unwrap_or_default()
        );
        self.record.resources.insert(key.clone(), resource);
        key
    }

    /// A new clinical resource of `kind` with id, profile, business identifier and subject.
    fn clinical(&mut self, kind: &str, profile: &str, subject: &str, mut body: Value) -> String {
        let id = self.ids.next();
        body["resourceType"] = json!(kind);
        body["id"] = json!(id);
        body["meta"] = meta(profile);
        body["identifier"] = json!([{ "system": DATA_IDENTIFIER, "value": id }]);
        body[subject] = reference(&self.record.patient);
        self.add(body)
    }

    fn demographics(&mut self, patient: &str, organization: &str, practitioner: &str, role: &str) {
        let person = self.population.person(self.index);
        let town = POSTCODES
            .iter()
            .position(|p| *p == person.postcode)
            .and_then(|i| TOWNS.get(i))
            .copied()
            .unwrap_or("Bristol");
        let street = self.rng.pick(STREETS);
        let number = self.rng.between(1, 120);
        let registered = ANCHOR_DAY - self.rng.between(3 * 365, 20 * 365);
        let patient = json!({ "resourceType": "Patient", "id": patient,
            "meta": meta("CareConnect-GPC-Patient-1"),
            "extension": [{ "url": format!("{SD}Extension-CareConnect-GPC-RegistrationDetails-1"),
                "extension": [{ "url": "registrationPeriod", "valuePeriod": { "start": date(registered) } }] }],
            "identifier": [{ "system": NHS_NUMBER_SYSTEM, "value": person.nhs.as_digits(),
                "extension": [{ "url": format!("{SD}Extension-CareConnect-GPC-NHSNumberVerificationStatus-1"),
                    "valueCodeableConcept": { "coding": [{ "system": "https://fhir.hl7.org.uk/STU3/CodeSystem/CareConnect-NHSNumberVerificationStatus-1",
                        "code": "01", "display": "Number present and verified" }] } }] }],
            "active": true,
            "name": [{ "use": "official", "family": person.family, "given": [person.given], "prefix": [person.prefix],
                "text": format!("{} {} ({})", person.family.to_uppercase(), person.given, person.prefix) }],
            "gender": if person.female { "female" } else { "male" },
            "birthDate": date(person.birth_day),
            "address": [{ "use": "home", "type": "physical", "line": [format!("{number} {street}")],
                "city": town, "postalCode": person.postcode }],
            "generalPractitioner": [reference(&self.practitioner), reference(&self.organization)],
            "managingOrganization": reference(&self.organization) });
        let (street, town, postcode) = PRACTICE_ADDRESS;
        let organization = json!({ "resourceType": "Organization", "id": organization,
            "meta": meta("CareConnect-GPC-Organization-1"),
            "identifier": [{ "system": ODS_SYSTEM, "value": PRACTICE.0 }],
            "name": PRACTICE.1,
            "address": [{ "line": [street], "city": town, "postalCode": postcode }],
            "telecom": [{ "system": "phone", "value": "0117 496 0000", "use": "work" }] });
        let (sds, family, given, prefix) = USUAL_GP;
        let practitioner = json!({ "resourceType": "Practitioner", "id": practitioner,
            "meta": meta("CareConnect-GPC-Practitioner-1"),
            "identifier": [{ "system": SDS_USER_SYSTEM, "value": sds }],
            "name": [{ "use": "usual", "family": family, "given": [given], "prefix": [prefix] }],
            "gender": "female" });
        let role = json!({ "resourceType": "PractitionerRole", "id": role,
            "meta": meta("CareConnect-GPC-PractitionerRole-1"),
            "practitioner": reference(&self.practitioner), "organization": reference(&self.organization),
            "code": [{ "coding": [{ "system": "https://fhir.hl7.org.uk/STU3/CodeSystem/CareConnect-SDSJobRoleName-1",
                "code": "R0260", "display": "General Medical Practitioner" }] }] });
        let always = vec![
            self.add(patient),
            self.add(organization),
            self.add(practitioner),
            self.add(role),
        ];
        self.record.always = always;
    }

    /// "No known allergies" asserted at the practice; nothing else recorded.
    fn no_known_allergies(&mut self) {
        let day = ANCHOR_DAY - self.rng.between(200, 2_000);
        let body = json!({ "clinicalStatus": "active", "verificationStatus": "confirmed",
            "type": "allergy", "category": ["medication"],
            "code": snomed("716186003", "No known allergy"),
            "assertedDate": date(day), "recorder": reference(&self.role) });
        let key = self.clinical(
            "AllergyIntolerance",
            "CareConnect-GPC-AllergyIntolerance-1",
            "patient",
            body,
        );
        self.record.allergies.push(key);
    }

    fn problem(
        &mut self,
        code: (&str, &str),
        major: bool,
        onset: String,
        ended: Option<i64>,
        related: &[String],
    ) -> String {
        let active = ended.is_none();
        let mut extension = vec![
            json!({ "url": format!("{HL7_UK_SD}Extension-CareConnect-ProblemSignificance-1"),
            "valueCode": if major { "major" } else { "minor" } }),
        ];
        for item in related {
            extension.push(
                json!({ "url": format!("{HL7_UK_SD}Extension-CareConnect-RelatedClinicalContent-1"),
                "valueReference": reference(item) }),
            );
        }
        let mut body = json!({ "extension": extension,
            "clinicalStatus": if active { "active" } else { "inactive" },
            "code": snomed(code.0, code.1), "onsetDateTime": onset,
            "assertedDate": date(ANCHOR_DAY - 6_000 + self.rng.between(0, 30)),
            "asserter": reference(&self.practitioner) });
        body["category"] = json!([{ "coding": [{ "system": "http://hl7.org/fhir/condition-category", "code": "problem-list-item", "display": "Problem List Item" }] }]);
        if let Some(day) = ended {
            body["abatementDateTime"] = json!(date(day));
        }
        let key = self.clinical(
            "Condition",
            "CareConnect-GPC-ProblemHeader-Condition-1",
            "subject",
            body,
        );
        self.record.problems.push((key.clone(), active));
        key
    }

    /// A medicine with its plan, statement, Medication and `issues` orders (days).
    #[allow(clippy::too_many_arguments)] // one call per medicine, every argument named there
    fn medicine(
        &mut self,
        code: (&str, &str),
        dose: &str,
        repeat: bool,
        start: i64,
        end: Option<i64>,
        issues: &[i64],
        stopped: bool,
    ) {
        let medication_id = self.ids.next();
        let medication = self.add(json!({ "resourceType": "Medication", "id": medication_id,
            "meta": meta("CareConnect-GPC-Medication-1"), "code": snomed(code.0, code.1) }));
        let kind = if repeat {
            ("repeat", "Repeat")
        } else {
            ("acute", "Acute")
        };
        let plan_status = match (stopped, end) {
            (true, _) => "stopped",
            (false, Some(_)) => "completed",
            (false, None) => "active",
        };
        let prescription_type = json!({ "url": format!("{SD}Extension-CareConnect-GPC-PrescriptionType-1"),
            "valueCodeableConcept": { "coding": [{ "system": "https://fhir.nhs.uk/STU3/CodeSystem/CareConnect-PrescriptionType-1", "code": kind.0, "display": kind.1 }] } });
        let supply = json!({ "validityPeriod": { "start": date(start) },
            "quantity": { "value": 56, "unit": "tablet" },
            "expectedSupplyDuration": { "value": 28, "unit": "day", "system": UCUM, "code": "d" } });
        let mut plan_extension = vec![prescription_type.clone()];
        if repeat {
            plan_extension.push(json!({ "url": format!("{SD}Extension-CareConnect-GPC-MedicationRepeatInformation-1"),
                "extension": [{ "url": "numberOfRepeatPrescriptionsAllowed", "valueUnsignedInt": 6 },
                    { "url": "numberOfRepeatPrescriptionsIssued", "valueUnsignedInt": issues.len() }] }));
        }
        if stopped {
            plan_extension.push(json!({ "url": format!("{SD}Extension-CareConnect-GPC-MedicationStatusReason-1"),
                "extension": [{ "url": "statusReason", "valueCodeableConcept": { "text": "Myalgia: stopped at review" } },
                    { "url": "statusChangeDate", "valueDateTime": date(end.unwrap_or(start)) }] }));
        }
        let plan = self.clinical(
            "MedicationRequest",
            "CareConnect-GPC-MedicationRequest-1",
            "subject",
            json!({
            "extension": plan_extension, "status": plan_status, "intent": "plan",
            "medicationReference": reference(&medication), "authoredOn": date(start),
            "recorder": reference(&self.role), "dosageInstruction": [{ "text": dose }],
            "dispenseRequest": supply }),
        );
        let mut orders = Vec::new();
        for day in issues {
            let mut supply = supply.clone();
            supply["validityPeriod"] = json!({ "start": date(*day), "end": date(*day + 28) });
            orders.push(self.clinical("MedicationRequest", "CareConnect-GPC-MedicationRequest-1", "subject", json!({
                "extension": [prescription_type.clone()], "basedOn": [reference(&plan)],
                "status": "completed", "intent": "order", "medicationReference": reference(&medication),
                "authoredOn": date(*day), "recorder": reference(&self.role),
                "dosageInstruction": [{ "text": dose }], "dispenseRequest": supply })));
        }
        let mut effective = json!({ "start": date(start) });
        if let Some(end) = end {
            effective["end"] = json!(date(end));
        }
        let last_issue = issues.iter().max().copied().unwrap_or(start);
        let statement = self.clinical("MedicationStatement", "CareConnect-GPC-MedicationStatement-1", "subject", json!({
            "extension": [
                { "url": format!("{SD}Extension-CareConnect-GPC-MedicationStatementLastIssueDate-1"), "valueDateTime": date(last_issue) },
                { "url": format!("{SD}Extension-CareConnect-GPC-PrescribingAgency-1"), "valueCodeableConcept": { "coding": [{
                    "system": "https://fhir.nhs.uk/STU3/CodeSystem/CareConnect-PrescribingAgency-1",
                    "code": "prescribed-at-gp-practice", "display": "Prescribed at GP practice" }] } }],
            "basedOn": [reference(&plan)],
            "status": if stopped { "stopped" } else if end.is_some() { "completed" } else { "active" },
            "medicationReference": reference(&medication), "effectivePeriod": effective,
            "dateAsserted": date(start), "taken": "unk", "dosage": [{ "text": dose }] }));
        self.record.medicines.push(Medicine {
            statement,
            orders,
            repeat,
            start,
            end,
        });
    }

    fn observation(
        &mut self,
        code: (&str, &str),
        effective: String,
        value: Option<Value>,
        context: Option<&str>,
        comment: Option<&str>,
    ) -> String {
        let mut body = json!({ "status": "final", "code": snomed(code.0, code.1),
            "effectiveDateTime": effective, "issued": date_time(ANCHOR_DAY - 1, 600),
            "performer": [reference(&self.practitioner)] });
        if let Some(value) = value {
            body["valueQuantity"] = value;
        }
        if let Some(context) = context {
            body["context"] = reference(context);
        }
        if let Some(comment) = comment {
            body["comment"] = json!(comment);
        }
        let key = self.clinical(
            "Observation",
            "CareConnect-GPC-Observation-1",
            "subject",
            body,
        );
        let covered =
            app::clinical_date::ClinicalDate::parse(effective_of(&self.record.resources[&key]))
                .map(|d| d.days())
                .unwrap_or((ANCHOR_DAY, ANCHOR_DAY));
        self.record.uncategorised.push((key.clone(), covered));
        key
    }
}

/// An Observation's effective date as written.
fn effective_of(resource: &Value) -> &str {
    resource["effectiveDateTime"].as_str().unwrap_or_default()
}
