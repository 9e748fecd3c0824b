//! Reads a GP Connect structured record (an STU3 CareConnect `Bundle`) into the shared
//! timeline model.
//!
//! Each STU3 resource is rewritten in the R4 shape the portal's readers take
//! ([`convert`]) and read by [`crate::fhir::read`], so categories, titles, dates (partial ones
//! included), codes, security labels and the entry panel are those of every other source;
//! then what only GP Connect says is added ([`enrich`], [`medicines`], [`requests`]):
//!
//! - a problem's significance (`Major problem` first in its detail, a `Significance` field),
//!   whether it is on the problem list, and what it was recorded as (`ActualProblem`);
//! - an ended allergy (contained in the "Ended allergies" list, or carrying an end date)
//!   always reads `resolved`, never current, with when and why it ended; "no known allergies"
//!   (SNOMED CT `716186003` and children) keeps its allergy category and code but reads
//!   [`NO_KNOWN_ALLERGIES_STATUS`] with a detail saying it is not an allergy;
//! - one entry per medicine (the `MedicationStatement`), its authorisation and issues folded
//!   in: prescription type, last issue date and issue count, repeats, expiry, stop reason;
//! - an encounter's consultation list summarised (topics with their headings and counts);
//! - a test report named by its tests, with its request and filing comments;
//! - referrals and diary entries as care-plan entries keeping their own type and id.
//!
//! Lists are not entries: they give the warnings (what the provider did not share), problem
//! list membership, consultations and ended allergies ([`lists`]). `Specimen`, `Device`,
//! `Location`, `PractitionerRole` and unknown types are ignored. A resource that cannot be
//! read is skipped and counted; it never loses the rest. The order of the Bundle's entries
//! means nothing (the caller sorts).

mod bundle;
mod convert;
mod enrich;
mod lists;
mod medicines;
mod patients;
mod requests;
#[cfg(test)]
mod tests;

pub use enrich::NO_KNOWN_ALLERGIES_STATUS;

use crate::fhir::resource::{Bundled, Medication};
use crate::fhir::{read, Read};
use app::detail::DetailField;
use app::model::{Demographics, SourceProblem, TimelineEntry};
use app::nhs_number::NhsNumber;
use bundle::{text, Index};
use serde_json::Value;
use std::borrow::Cow;
use std::collections::{BTreeMap, HashSet};

/// A structured record read.
#[derive(Debug)]
pub struct StructuredRecord {
    /// Every Patient in the Bundle (each carries the requested NHS number; normally one),
    /// `gp_practice` filled from the Bundle: the practice (`managingOrganization`, else a
    /// `generalPractitioner` Organization: name and ODS code) and `usual_gp`, the
    /// `generalPractitioner` Practitioner's name in the NHS form for staff (`Dr Jane SMITH`:
    /// prefix, given names, FAMILY in capitals).
    pub patients: Vec<Demographics>,
    pub entries: Vec<TimelineEntry>,
    /// Resources that could not be read (malformed, no id, unreadable date): counted, never
    /// losing the rest.
    pub skipped: usize,
    /// Of those, the ones whose type could be read, by type.
    pub unreadable_types: BTreeMap<&'static str, usize>,
    /// What the provider said it could not supply, each naming the clinical area by its main
    /// type: List warnings (confidential items withheld, data in transit, data awaiting
    /// filing) and clinical areas or parameters "not supported by the provider system" (the
    /// Bundle's `OperationOutcome`, list entries and references standing for a whole area).
    /// Each one's [`SourceProblem::sentence`] is safe to show staff (no patient data).
    pub warnings: Vec<SourceProblem>,
}

/// Why a structured record cannot be used at all. None of these carries patient data.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum StructuredError {
    #[error("the answer is not JSON")]
    NotJson,
    #[error("the answer is not a FHIR Bundle")]
    NotABundle,
    /// No Patient in the Bundle carries the NHS number asked for.
    #[error("the Bundle holds no Patient with the requested NHS number")]
    NoPatient,
    /// A Patient in the Bundle carries another NHS number, or none: a demographic
    /// cross-check failure, so the whole answer is refused.
    #[error("the Bundle holds a Patient without the requested NHS number")]
    OtherPatient,
    /// A Patient that carries the number could not be read.
    #[error("the Bundle holds a Patient that could not be read")]
    UnreadablePatient,
}

/// Reads the body of a `$gpc.getstructuredrecord` answer for the patient `nhs`.
pub fn read_structured_record(
    body: &[u8],
    nhs: NhsNumber,
    source_id: &str,
) -> Result<StructuredRecord, StructuredError> {
    let bundle: Value = serde_json::from_slice(body).map_err(|_| StructuredError::NotJson)?;
    if text(&bundle, "resourceType") != Some("Bundle") {
        return Err(StructuredError::NotABundle);
    }
    let entries = match bundle.get("entry") {
        None => &[][..],
        Some(Value::Array(list)) => list.as_slice(),
        Some(_) => return Err(StructuredError::NotABundle),
    };
    let (index, unreadable) = Index::new(entries);
    let patients = patients::patients(&index, nhs, source_id)?;
    let mut reader = Reader::new(&index, source_id);
    reader.record.skipped += unreadable;
    reader.read_all();
    Ok(StructuredRecord {
        patients,
        ..reader.record
    })
}

/// The types that are never timeline entries (read elsewhere, or only as what a reference
/// names), and those the portal does not show (`Specimen`).
const NOT_ENTRIES: [&str; 10] = [
    "Patient",
    "Organization",
    "Practitioner",
    "PractitionerRole",
    "Location",
    "Device",
    "Medication",
    "List",
    "OperationOutcome",
    "Specimen",
];

/// Reads every resource of the index into entries.
struct Reader<'a> {
    index: &'a Index,
    source_id: &'a str,
    lists: lists::Lists,
    medicines: medicines::Medicines,
    bundled: Bundled,
    record: StructuredRecord,
    seen: HashSet<(String, String)>,
    /// Filing comments, kept until the entries they comment on are read.
    filing: Vec<&'a bundle::Item>,
}

impl<'a> Reader<'a> {
    fn new(index: &'a Index, source_id: &'a str) -> Self {
        let lists = lists::Lists::of(index);
        let mut bundled = Bundled::default();
        for item in index.of_kind("Medication") {
            if let Ok(medication) = serde_json::from_value::<Medication>(item.resource.clone()) {
                bundled.add_medication(item.key.as_deref(), medication);
            }
        }
        Reader {
            index,
            source_id,
            medicines: medicines::Medicines::of(index),
            bundled,
            record: StructuredRecord {
                patients: Vec::new(),
                entries: Vec::new(),
                skipped: 0,
                unreadable_types: BTreeMap::new(),
                warnings: lists.warnings.clone(),
            },
            lists,
            seen: HashSet::new(),
            filing: Vec::new(),
        }
    }

    fn read_all(&mut self) {
        let index = self.index;
        for item in &index.items {
            self.read_item(item);
        }
        let ended = std::mem::take(&mut self.lists.ended_allergies);
        for allergy in &ended {
            self.read_one("AllergyIntolerance", allergy, Origin::EndedList);
        }
        let contained = std::mem::take(&mut self.lists.contained_allergies);
        for allergy in &contained {
            self.read_one("AllergyIntolerance", allergy, Origin::Bundle);
        }
        self.attach_filing_comments();
    }

    fn read_item(&mut self, item: &'a bundle::Item) {
        if item.kind.is_empty() {
            self.record.skipped += 1;
            return;
        }
        if NOT_ENTRIES.contains(&item.kind.as_str()) || self.folded(item) {
            return;
        }
        if item.kind == "Observation" && enrich::is_filing_comment(&item.resource) {
            self.filing.push(item);
            return;
        }
        self.read_one(&item.kind, &item.resource, Origin::Bundle);
    }

    /// A plan or issue folded into its medicine, or a test request folded into its report.
    fn folded(&self, item: &bundle::Item) -> bool {
        let Some(key) = &item.key else { return false };
        match item.kind.as_str() {
            "MedicationRequest" => self.medicines.folded.contains(key),
            "ProcedureRequest" => self.index.of_kind("DiagnosticReport").any(|r| {
                r.resource
                    .get("basedOn")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(|b| self.index.key_of(b.get("reference")?.as_str()?))
                    .any(|k| k == *key)
            }),
            _ => false,
        }
    }

    /// Reads one resource; returns the index of its entry when it became one.
    fn read_one(&mut self, kind: &str, stu3: &Value, origin: Origin) -> Option<usize> {
        let r4 = convert::to_r4(kind, stu3)?;
        let json = r4.json.to_string();
        match read(r4.resource_type, &json, self.source_id, &self.bundled) {
            Ok(Read::Entry(entry)) => self.add(*entry, kind, stu3, origin),
            Ok(Read::NotClinical) => None,
            Err(_) => {
                self.record.skipped += 1;
                *self
                    .record
                    .unreadable_types
                    .entry(type_name(kind, r4.resource_type))
                    .or_default() += 1;
                None
            }
        }
    }

    /// Adds what GP Connect says to an entry read, and keeps it once.
    fn add(
        &mut self,
        mut entry: TimelineEntry,
        kind: &str,
        stu3: &Value,
        origin: Origin,
    ) -> Option<usize> {
        let key = format!("{kind}/{}", entry.resource_id);
        match kind {
            "Condition" => enrich::problem(&mut entry, stu3, self.index, &self.lists),
            "AllergyIntolerance" => enrich::allergy(&mut entry, stu3, origin == Origin::EndedList),
            "MedicationStatement" => {
                if let Some(p) = self.medicines.by_statement.get(&key) {
                    medicines::add_prescribing(&mut entry, stu3, p);
                }
            }
            "Encounter" => {
                if let Some(c) = self.lists.consultations.get(&key) {
                    enrich::encounter(&mut entry, c);
                }
            }
            "Observation" => enrich::observation(&mut entry, stu3),
            "DiagnosticReport" => enrich::report(&mut entry, stu3, self.index),
            "ReferralRequest" => requests::referral(&mut entry, stu3),
            "ProcedureRequest" => requests::diary_entry(&mut entry, stu3),
            _ => {}
        }
        let identity = (entry.resource_type.clone(), entry.resource_id.clone());
        if !self.seen.insert(identity) {
            return None;
        }
        self.record.entries.push(entry);
        Some(self.record.entries.len() - 1)
    }

    /// Each filing comment as a note on what it comments on; read as an entry of its own when
    /// that is not in the record (never lost).
    fn attach_filing_comments(&mut self) {
        for item in std::mem::take(&mut self.filing) {
            let own = item.key.clone().unwrap_or_default();
            let targets = enrich::filing_targets(&item.resource, &own, self.index);
            let note = enrich::filing_note(&item.resource);
            let at = targets.iter().find_map(|target| {
                self.record
                    .entries
                    .iter()
                    .position(|e| format!("{}/{}", e.resource_type, e.resource_id) == *target)
            });
            match (at, note) {
                (Some(at), Some(note)) => {
                    let entry = &mut self.record.entries[at];
                    let detail = entry.full_detail.get_or_insert_with(Default::default);
                    detail.notes.push(note);
                }
                _ => {
                    self.read_one("Observation", &item.resource, Origin::Bundle);
                }
            }
        }
    }
}

/// Where a resource was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Origin {
    Bundle,
    /// Contained in the "Ended allergies" list.
    EndedList,
}

/// The type an unreadable resource is counted under: its own STU3 name when it was read as
/// another type (a referral read as a care plan), else the R4 reader's.
fn type_name(kind: &str, read_as: crate::fhir::ResourceType) -> &'static str {
    match kind {
        "ReferralRequest" => "ReferralRequest",
        "ProcedureRequest" => "ProcedureRequest",
        _ => read_as.name(),
    }
}

/// The first extension (on a resource or an extension) whose URL contains `name`
/// (`ProblemSignificance`, `MedicationRepeatInformation`...): GP Connect's URLs vary in
/// host and prefix between versions and examples, never in the name.
fn extension<'v>(value: &'v Value, name: &str) -> Option<&'v Value> {
    value
        .get("extension")?
        .as_array()?
        .iter()
        .find(|e| text(e, "url").is_some_and(|u| u.contains(name)))
}

/// The sub-extension of a complex extension whose URL is `name`.
fn sub_extension<'v>(value: &'v Value, name: &str) -> Option<&'v Value> {
    value
        .get("extension")?
        .as_array()?
        .iter()
        .find(|e| text(e, "url") == Some(name))
}

/// A FHIR date the NHS way (`09-Mar-2024`, `Mar-2024`), or as sent when unreadable.
fn date_words(value: &str) -> String {
    app::clinical_date::ClinicalDate::parse(value.trim())
        .map_or_else(|_| value.trim().to_owned(), |d| d.display())
}

/// Appends words to an entry's detail (`; `-separated).
fn add_detail(entry: &mut TimelineEntry, words: &str) {
    entry.detail = Some(match entry.detail.take() {
        Some(rest) if !rest.is_empty() => format!("{rest}; {words}"),
        _ => words.to_owned(),
    });
}

/// Adds a field to an entry's panel.
fn add_field(entry: &mut TimelineEntry, label: impl Into<Cow<'static, str>>, value: &str) {
    if value.trim().is_empty() {
        return;
    }
    let detail = entry.full_detail.get_or_insert_with(Default::default);
    detail.fields.push(DetailField::new(label, value.trim()));
}
