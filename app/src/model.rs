//! The shared record model: what the server sends the browser and the JSON API for one
//! patient lookup. Plain data, no I/O; the server builds it, components and API clients read it.

use crate::clinical_date::ClinicalDate;
use crate::consent::{Basis, WithheldItems};
use crate::nhs_number::NhsNumber;
use serde::{Deserialize, Serialize};

/// The kind of organisation a source belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SourceKind {
    Gp,
    Acute,
    MentalHealth,
    SocialCare,
}

impl SourceKind {
    pub const ALL: [SourceKind; 4] = [Self::Gp, Self::Acute, Self::MentalHealth, Self::SocialCare];

    pub fn label(self) -> &'static str {
        match self {
            Self::Gp => "GP practice",
            Self::Acute => "Acute hospital",
            Self::MentalHealth => "Mental health",
            Self::SocialCare => "Social care",
        }
    }

    /// The wire name, as in config files and JSON (`mental-health`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Gp => "gp",
            Self::Acute => "acute",
            Self::MentalHealth => "mental-health",
            Self::SocialCare => "social-care",
        }
    }
}

/// What one source answered for this lookup.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SourceStatus {
    /// The source knows the patient and returned their record.
    Ok,
    /// The source answered and does not know this NHS number.
    NotFound,
    /// The source did not answer within its deadline.
    TimedOut,
    /// The source failed: unreachable, an HTTP error, or a reply that is not FHIR.
    Error,
    /// The source failed now; an earlier copy of its answer is shown, labelled with its age.
    Stale,
    /// The source failed repeatedly and is not being asked for a short while.
    CircuitOpen,
    /// The source answered, but not everything it holds is shown: a resource type failed, the
    /// page limit was reached, or some resources could not be read. The message says which.
    Partial,
    /// The source holds a record but withheld it because the patient asked it not to share
    /// it (GP Connect `NO_PATIENT_CONSENT`): never "nothing recorded", never retried.
    Withheld,
    /// The source could not return the patient's record although it may hold one (GP
    /// Connect `PATIENT_NOT_FOUND`: deceased, not registered for GP services, or a record
    /// the practice does not share): never "no record there".
    Unavailable,
}

impl SourceStatus {
    pub fn label(self) -> &'static str {
        match self {
            Self::Ok => "Answered",
            Self::NotFound => "Not known there",
            Self::TimedOut => "Failed: timed out",
            Self::Error => "Failed",
            Self::Stale => "Failed: showing an earlier copy",
            Self::CircuitOpen => "Failed: paused after repeated failures",
            Self::Partial => "Answered in part",
            Self::Withheld => "Withheld at the patient's request",
            Self::Unavailable => "Record unavailable",
        }
    }

    /// True when data from the source is shown (fresh, partial or stale).
    pub fn has_data(self) -> bool {
        matches!(self, Self::Ok | Self::Partial | Self::Stale)
    }

    /// True when what the source holds now could not be read (a record may exist there):
    /// it failed, only an earlier copy is shown, or it withheld or could not return the record.
    pub fn is_failure(self) -> bool {
        matches!(
            self,
            Self::TimedOut
                | Self::Error
                | Self::Stale
                | Self::CircuitOpen
                | Self::Withheld
                | Self::Unavailable
        )
    }
}

/// One source's part in a lookup.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceReport {
    pub id: String,
    pub name: String,
    /// The organisation's ODS code (e.g. `A83008`).
    pub organisation_code: String,
    pub kind: SourceKind,
    pub status: SourceStatus,
    pub latency_ms: u64,
    pub entry_count: usize,
    /// Resources the source sent that could not be read (each is skipped, never the whole source).
    pub skipped_count: usize,
    /// Why a source failed, in words safe to show staff (no patient data).
    pub message: Option<String>,
    /// When the data shown for this source was fetched from it (RFC 3339, UTC); `None` when
    /// nothing was fetched. Older than the lookup when it came from the cache.
    pub fetched_at: Option<String>,
    /// True when the data shown was not fetched for this lookup but taken from the brief
    /// cache (or, with status `stale`, an earlier copy): `fetched_at` says when it was fetched.
    #[serde(default)]
    pub from_cache: bool,
    /// What the source could not supply while answering the rest, one item per problem.
    #[serde(default)]
    pub problems: Vec<SourceProblem>,
}

/// One thing a source that answered could not supply, so that every part of the view that
/// could hold it says so instead of showing absence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum SourceProblem {
    /// The search for one resource type failed (the type as FHIR names it).
    NotSupplied { resource_type: String },
    /// More of a resource type exists than the page limit let the portal fetch.
    Truncated { resource_type: String },
    /// Items that could not be read; `resource_type` is `None` when not even the type was
    /// readable (then the item could belong anywhere).
    Unreadable {
        resource_type: Option<String>,
        count: usize,
    },
    /// The source said it did not share some of what it holds (GP Connect's List warnings
    /// and clinical areas "not supported by the provider system"): `resource_type` names the
    /// area by its main R4 type, `None` when it could be anywhere.
    NotShared {
        resource_type: Option<String>,
        reason: NotSharedReason,
    },
}

/// Why a source did not share part of a record, in the portal's words (never the source's).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum NotSharedReason {
    /// The provider's system does not supply this clinical area.
    NotSupported,
    /// Items the practice marked confidential were left out.
    Confidential,
    /// Items are still being transferred from the patient's previous practice.
    InTransit,
    /// Items have been received but not yet filed into the record.
    AwaitingFiling,
}

impl SourceProblem {
    /// One plain sentence for staff: "Acute Hospital could not supply allergies." The
    /// source's own wording is never shown (no internal causes).
    pub fn sentence(&self, source: &str) -> String {
        match self {
            Self::NotSupplied { resource_type } => {
                format!("{source} could not supply {}.", type_words(resource_type))
            }
            Self::Truncated { resource_type } => format!(
                "{source} holds more {} than were fetched; the oldest are not shown.",
                type_words(resource_type)
            ),
            Self::Unreadable {
                resource_type: Some(t),
                count: 1,
            } => format!("1 of {source}'s {} could not be read.", type_words(t)),
            Self::Unreadable {
                resource_type: Some(t),
                count,
            } => format!("{count} of {source}'s {} could not be read.", type_words(t)),
            Self::Unreadable {
                resource_type: None,
                count: 1,
            } => format!("1 item from {source} could not be read."),
            Self::Unreadable {
                resource_type: None,
                count,
            } => format!("{count} items from {source} could not be read."),
            Self::NotShared {
                resource_type,
                reason,
            } => {
                let area = resource_type
                    .as_deref()
                    .map_or_else(|| "parts of the record".to_owned(), type_words);
                match reason {
                    NotSharedReason::NotSupported => {
                        format!("{source} could not supply {area}: its system does not share them.")
                    }
                    NotSharedReason::Confidential => {
                        format!("{source} could not share some {area}: they are marked confidential.")
                    }
                    NotSharedReason::InTransit => format!(
                        "{source} could not share some {area}: they are still coming from the patient's previous practice."
                    ),
                    NotSharedReason::AwaitingFiling => format!(
                        "{source} could not share some {area}: they are awaiting filing at the practice."
                    ),
                }
            }
        }
    }

    /// True when what is missing could belong to `category` (an unreadable item of unknown
    /// type could belong anywhere).
    pub fn may_hold(&self, category: Category) -> bool {
        match self {
            Self::NotSupplied { resource_type }
            | Self::Truncated { resource_type }
            | Self::Unreadable {
                resource_type: Some(resource_type),
                ..
            } => {
                // A failed `$everything` (or any name that is not one type) may hold anything.
                let held = Category::of_resource_type(resource_type);
                held.is_empty() || held.contains(&category)
            }
            Self::Unreadable {
                resource_type: None,
                ..
            }
            | Self::NotShared {
                resource_type: None,
                ..
            } => true,
            Self::NotShared {
                resource_type: Some(resource_type),
                ..
            } => {
                let held = Category::of_resource_type(resource_type);
                held.is_empty() || held.contains(&category)
            }
        }
    }
}

/// A FHIR resource type in words: `AllergyIntolerance` -> "allergies".
fn type_words(resource_type: &str) -> String {
    match resource_type {
        "AllergyIntolerance" => "allergies",
        "Condition" => "problems and diagnoses",
        "MedicationRequest" => "prescriptions",
        "MedicationStatement" => "medicines",
        "Observation" => "observations and results",
        "DiagnosticReport" => "reports",
        "Encounter" => "encounters",
        "EpisodeOfCare" => "episodes of care",
        "Procedure" => "procedures",
        "Immunization" => "immunisations",
        "DocumentReference" => "documents",
        "CarePlan" => "care plans",
        "Flag" => "alerts",
        "Consent" => "consent records",
        "Patient" => "patient details",
        "ReferralRequest" => "referrals",
        "ProcedureRequest" => "diary entries",
        other => return format!("{other} records"),
    }
    .to_owned()
}

/// Broad clinical grouping of a timeline entry, used for filtering and labels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Category {
    Encounter,
    Problem,
    Allergy,
    Medication,
    Observation,
    Procedure,
    Immunisation,
    Report,
    Document,
    CarePlan,
    Alert,
    Episode,
    /// The patient's own details (name, birth date, address) as one source holds them: never
    /// a timeline entry, only counted when withheld.
    PatientDetails,
}

impl Category {
    /// The categories a FHIR resource type's items may fall in (empty for types that are not
    /// timeline entries).
    pub fn of_resource_type(resource_type: &str) -> &'static [Category] {
        match resource_type {
            "AllergyIntolerance" => &[Self::Allergy],
            "Condition" => &[Self::Problem],
            "MedicationRequest" | "MedicationStatement" | "Medication" => &[Self::Medication],
            "Observation" => &[Self::Observation],
            "DiagnosticReport" => &[Self::Report],
            "Encounter" => &[Self::Encounter],
            "EpisodeOfCare" => &[Self::Episode],
            "Procedure" => &[Self::Procedure],
            "Immunization" => &[Self::Immunisation],
            "DocumentReference" => &[Self::Document],
            "CarePlan" => &[Self::CarePlan],
            "Flag" => &[Self::Alert],
            "Patient" => &[Self::PatientDetails],
            // GP Connect's STU3 referrals and diary entries, kept under their own names.
            "ReferralRequest" | "ProcedureRequest" => &[Self::CarePlan],
            _ => &[],
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Encounter => "Encounter",
            Self::Problem => "Problem",
            Self::Allergy => "Allergy",
            Self::Medication => "Medication",
            Self::Observation => "Observation",
            Self::Procedure => "Procedure",
            Self::Immunisation => "Immunisation",
            Self::Report => "Report",
            Self::Document => "Document",
            Self::CarePlan => "Care plan",
            Self::Alert => "Alert",
            Self::Episode => "Episode of care",
            Self::PatientDetails => "Patient details",
        }
    }

    /// The machine name, as serialised (`care-plan`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Encounter => "encounter",
            Self::Problem => "problem",
            Self::Allergy => "allergy",
            Self::Medication => "medication",
            Self::Observation => "observation",
            Self::Procedure => "procedure",
            Self::Immunisation => "immunisation",
            Self::Report => "report",
            Self::Document => "document",
            Self::CarePlan => "care-plan",
            Self::Alert => "alert",
            Self::Episode => "episode",
            Self::PatientDetails => "patient-details",
        }
    }
}

/// A code from a code system, as a FHIR `Coding` names it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Code {
    pub system: String,
    pub code: String,
}

impl Code {
    pub fn new(system: &str, code: &str) -> Self {
        Self {
            system: system.to_owned(),
            code: code.to_owned(),
        }
    }
}

/// Where else an item is recorded: the same medicine, allergy or problem, coded identically,
/// at another source.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Provenance {
    pub source_id: String,
    pub resource_type: String,
    pub resource_id: String,
    pub date: Option<ClinicalDate>,
    pub status: Option<String>,
    pub detail: Option<String>,
}

/// One row of the merged timeline, with its provenance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimelineEntry {
    /// The clinically meaningful date (see docs in `server::fhir::normalise`); `None` if the
    /// source gave none, and such entries sort last.
    pub date: Option<ClinicalDate>,
    pub category: Category,
    pub title: String,
    /// A short qualifier such as a value with units or a dose.
    pub detail: Option<String>,
    /// The resource's own status (`active`, `finished`, ...), when it has one.
    pub status: Option<String>,
    pub source_id: String,
    pub resource_type: String,
    pub resource_id: String,
    /// Every coding of what the item is (for matching duplicates and sensitive-code lists).
    #[serde(default)]
    pub codes: Vec<Code>,
    /// The resource's security labels (`meta.security`, and confidentiality labels sent in
    /// `meta.tag`), v3 Confidentiality ones in one spelling (e.g. `R`).
    #[serde(default)]
    pub security: Vec<Code>,
    /// The same item recorded at other sources; shown once, with every provenance.
    #[serde(default)]
    pub also_recorded_at: Vec<Provenance>,
    /// A difference between those records that matters (e.g. stopped at one source, active at
    /// another), in words for staff. Never resolved silently.
    #[serde(default)]
    pub discrepancy: Option<String>,
    /// A measured value (an Observation's `valueQuantity`) with its reference range and the
    /// source's interpretation: for trends and high/low marks.
    /// Boxed: most entries are not measurements, and the cache holds every entry.
    #[serde(default)]
    pub measurement: Option<Box<Measurement>>,
    /// A document's attachments (`DocumentReference.content`), each with whether the portal
    /// can show it; empty for every other kind of entry.
    #[serde(default)]
    pub attachments: Vec<crate::document::AttachmentInfo>,
    /// When the item ends or ended, if the source says: a course of medicine's last day
    /// (`dispenseRequest.validityPeriod.end`, a dosage's bounds, `effectivePeriod.end`), so
    /// a course whose end has passed is never shown as current.
    #[serde(default)]
    pub until: Option<ClinicalDate>,
    /// Where an encounter happened, as its v3 ActCode class (`EMER` for an emergency
    /// attendance, `IMP`/`ACUTE` for an admission, `AMB`...), for "last A&E attendance".
    #[serde(default)]
    pub setting: Option<String>,
    /// Codes of why it was done (`reasonCode`), judged as the item's own codes are: a reason
    /// on a sensitive list withholds the item that names it.
    #[serde(default)]
    pub reason_codes: Vec<Code>,
    /// The items it was for, as `Type/id` at the same source (`reasonReference`,
    /// `Encounter.diagnosis`, `CarePlan.addresses`): when one is withheld, so is this item.
    #[serde(default)]
    pub reason_refs: Vec<String>,
    /// Recorded in error at the source (a status or verification status of
    /// `entered-in-error`): kept so staff can see it was retracted, never shown as a clinical
    /// fact, never merged with a real record of the item, never counted.
    #[serde(default)]
    pub entered_in_error: bool,
    /// Every field the portal read of the resource, its narrative and notes: read with the
    /// entry (and cached with it), but sent only for one item at a time
    /// ([`crate::api::get_entry`]); a record's entries never carry it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub full_detail: Option<Box<crate::detail::EntryDetail>>,
}

/// An undated entry of `category` titled `title` at the GP (`gp`), with nothing else: what
/// unit tests start from.
#[cfg(test)]
impl TimelineEntry {
    pub(crate) fn example(category: Category, title: &str) -> Self {
        Self {
            date: None,
            category,
            title: title.to_owned(),
            detail: None,
            status: None,
            source_id: "gp".to_owned(),
            resource_type: "X".to_owned(),
            resource_id: title.to_owned(),
            codes: Vec::new(),
            security: Vec::new(),
            also_recorded_at: Vec::new(),
            discrepancy: None,
            measurement: None,
            attachments: Vec::new(),
            entered_in_error: false,
            full_detail: None,
            until: None,
            setting: None,
            reason_codes: Vec::new(),
            reason_refs: Vec::new(),
        }
    }
}

/// A measured value as the source sent it: decimals kept exactly as written (`7.80`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Measurement {
    /// Empty when the observation has no value of its own, only `components` (a blood
    /// pressure panel).
    pub value: String,
    pub unit: Option<String>,
    /// The source's interpretation in v3 ObservationInterpretation codes (`H`, `L`, `HH`,
    /// `LL`, `A`, `AA`, `N`...), when it gave one.
    pub interpretation: Option<String>,
    /// The reference range's low and high, as sent.
    pub low: Option<String>,
    pub high: Option<String>,
    /// The measured components (`Observation.component.valueQuantity`: systolic and
    /// diastolic), each with its own range and interpretation.
    #[serde(default)]
    pub components: Vec<ComponentMeasurement>,
}

/// One measured component of an observation, with the codings of what it measures.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ComponentMeasurement {
    pub codes: Vec<Code>,
    pub measurement: Measurement,
}

impl Measurement {
    /// `H` or `L` (or `A`) for a value the source marked outside its range; `None` for normal
    /// or unmarked values. The portal never judges a value against a range itself.
    pub fn marker(&self) -> Option<&'static str> {
        match self.interpretation.as_deref()? {
            "H" | "HH" | "HU" | ">" => Some("H"),
            "L" | "LL" | "LU" | "<" => Some("L"),
            "A" | "AA" => Some("A"),
            _ => None,
        }
    }
}

impl TimelineEntry {
    /// True when this source recorded the item (itself or as a merged duplicate).
    pub fn recorded_at(&self, source_id: &str) -> bool {
        self.source_id == source_id
            || self
                .also_recorded_at
                .iter()
                .any(|p| p.source_id == source_id)
    }

    /// A copy without its full detail, as a record lists it (the detail is sent only for
    /// one item at a time).
    pub fn listed(&self) -> TimelineEntry {
        let TimelineEntry {
            date,
            category,
            title,
            detail,
            status,
            source_id,
            resource_type,
            resource_id,
            codes,
            security,
            also_recorded_at,
            discrepancy,
            measurement,
            attachments,
            until,
            setting,
            reason_codes,
            reason_refs,
            entered_in_error,
            full_detail: _,
        } = self;
        TimelineEntry {
            date: date.clone(),
            category: *category,
            title: title.clone(),
            detail: detail.clone(),
            status: status.clone(),
            source_id: source_id.clone(),
            resource_type: resource_type.clone(),
            resource_id: resource_id.clone(),
            codes: codes.clone(),
            security: security.clone(),
            also_recorded_at: also_recorded_at.clone(),
            discrepancy: discrepancy.clone(),
            measurement: measurement.clone(),
            attachments: attachments.clone(),
            until: until.clone(),
            setting: setting.clone(),
            reason_codes: reason_codes.clone(),
            reason_refs: reason_refs.clone(),
            entered_in_error: *entered_in_error,
            full_detail: None,
        }
    }

    /// The item's provenance, for listing it beside the others.
    pub fn provenance(&self) -> Provenance {
        Provenance {
            source_id: self.source_id.clone(),
            resource_type: self.resource_type.clone(),
            resource_id: self.resource_id.clone(),
            date: self.date.clone(),
            status: self.status.clone(),
            detail: self.detail.clone(),
        }
    }
}

/// Who the sources say the patient is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Demographics {
    pub family: Option<String>,
    pub given: Vec<String>,
    pub prefix: Option<String>,
    pub birth_date: Option<ClinicalDate>,
    pub gender: Option<String>,
    /// The home address's postcode, when the source gives one.
    #[serde(default)]
    pub postcode: Option<String>,
    /// The source these details were taken from.
    pub source_id: String,
    /// The Patient resource's security labels (confidentiality in one spelling): a
    /// restricted Patient's details are withheld as a restricted item is.
    #[serde(default)]
    pub security: Vec<Code>,
    /// `false` when the source marks this Patient record as no longer in use.
    #[serde(default)]
    pub active: Option<bool>,
    /// Other Patient records the source links this one to (`Patient.link`): a merge
    /// (`replaced-by`, `replaces`) or a record elsewhere (`refer`, `seealso`).
    #[serde(default)]
    pub links: Vec<PatientLink>,
    /// The current home address as display lines (`Address.line`, city, district, postcode,
    /// or `Address.text`); empty when the source gives none that is current.
    #[serde(default)]
    pub address: Vec<String>,
    /// The registered GP practice (`Patient.generalPractitioner`, else
    /// `managingOrganization`), when the source names one.
    #[serde(default)]
    pub gp_practice: Option<GpPractice>,
}

/// A patient's registered GP practice, as a source names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct GpPractice {
    /// The practice's name (or, for a reference to a GP, the GP's name as the source gives it).
    pub name: Option<String>,
    /// The practice's ODS code (`https://fhir.nhs.uk/Id/ods-organization-code`).
    pub ods_code: Option<String>,
    /// The patient's usual GP, as the source names them (GP Connect's registered
    /// `Patient.generalPractitioner` Practitioner), when it says.
    #[serde(default)]
    pub usual_gp: Option<String>,
}

impl GpPractice {
    /// `Riverside Medical Practice (Y12345)`; "Not Known" when it names nothing.
    pub fn display(&self) -> String {
        match (&self.name, &self.ods_code) {
            (Some(name), Some(code)) => format!("{name} ({code})"),
            (Some(name), None) => name.clone(),
            (None, Some(code)) => format!("Practice {code}"),
            (None, None) => "Not Known".to_owned(),
        }
    }
}

/// One `Patient.link`: its type and the other record, as the source names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PatientLink {
    pub kind: String,
    pub other: String,
}

impl Demographics {
    /// NHS display form: `SMITH, Jane (Mrs)`; unknown parts read "Not Known".
    pub fn display_name(&self) -> String {
        let family = self.family.as_deref().map(str::to_uppercase);
        let given = (!self.given.is_empty()).then(|| self.given.join(" "));
        let mut name = match (family, given) {
            (Some(f), Some(g)) => format!("{f}, {g}"),
            (Some(f), None) => f,
            (None, Some(g)) => g,
            (None, None) => "Not Known".to_owned(),
        };
        if let Some(prefix) = &self.prefix {
            name.push_str(&format!(" ({prefix})"));
        }
        name
    }
}

/// Everything one lookup found: each source's answer and the merged timeline, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PatientRecord {
    pub nhs_number: NhsNumber,
    pub demographics: Option<Demographics>,
    pub sources: Vec<SourceReport>,
    pub entries: Vec<TimelineEntry>,
    /// Things staff must know before trusting the view: sources disagreeing about who the
    /// patient is, two records for one NHS number at one source.
    #[serde(default)]
    pub warnings: Vec<RecordWarning>,
    /// When the portal finished asking the sources (RFC 3339, UTC).
    pub retrieved_at: String,
    /// True when the viewer's role sees only the limited summary (allergies, current
    /// medications, alerts, care plans); everything else was left out on the server.
    #[serde(default)]
    pub summary_only: bool,
    /// Items the viewer may not see, counted by source, category and reason: never dropped
    /// silently.
    #[serde(default)]
    pub withheld: Vec<WithheldItems>,
    /// For a role limited to the summary: how many items are not shown, with no breakdown
    /// (by source or kind, it would say which services the patient used). `withheld` is then
    /// empty.
    #[serde(default)]
    pub hidden_for_role: usize,
    /// The legitimate basis this record was opened on.
    #[serde(default)]
    pub basis: Option<Basis>,
    /// Active child-protection flags (CP-IS style): shown at the top of every page of the
    /// record; viewing in unscheduled care notifies the responsible organisation.
    #[serde(default)]
    pub child_protection: Vec<ChildProtectionFlag>,
    /// The timeline's first page, when the record is sent to the record page: `entries` then
    /// holds only what the summary is built from ([`crate::timeline_query::for_the_page`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeline: Option<crate::timeline_query::TimelinePage>,
}

/// An active child-protection flag, and who is responsible for the child's plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChildProtectionFlag {
    /// What the flag says (e.g. "Child protection plan").
    pub label: String,
    /// The source holding it, and its organisation: whom to contact.
    pub source_id: String,
    pub organisation: String,
    pub organisation_code: String,
    pub since: Option<ClinicalDate>,
}

/// Why a warning was raised.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum WarningKind {
    /// Sources give different names, birth dates or genders for the same NHS number.
    DemographicsDiffer,
    /// One source holds more than one patient record with this NHS number.
    DuplicateRecords,
    /// Sources that can hold the patient's objection to sharing did not answer about consent;
    /// the record was opened on a basis that overrides an objection.
    ConsentUnknown,
    /// A source marks its Patient record inactive, merged into another, or linked to one
    /// held elsewhere: what is shown from it may not be all there is.
    PatientRecordLinked,
    /// The patient has objected to sharing; the record was opened in an emergency over it.
    PatientObjected,
}

/// A warning shown above the record, naming the sources concerned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordWarning {
    pub kind: WarningKind,
    pub message: String,
    pub source_ids: Vec<String>,
}

impl PatientRecord {
    /// True when at least one source's data about the patient is shown (fresh or stale).
    pub fn found(&self) -> bool {
        self.sources.iter().any(|s| s.status.has_data())
    }

    pub fn source(&self, id: &str) -> Option<&SourceReport> {
        self.sources.iter().find(|s| s.id == id)
    }
}

/// A synthetic patient offered on the demo search page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DemoPatient {
    pub nhs_number: NhsNumber,
    /// A short description of what makes this patient worth trying.
    pub label: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn demographics(family: Option<&str>, given: &[&str], prefix: Option<&str>) -> Demographics {
        Demographics {
            family: family.map(str::to_owned),
            given: given.iter().map(|g| g.to_string()).collect(),
            prefix: prefix.map(str::to_owned),
            ..Default::default()
        }
    }

    #[test]
    fn names_follow_the_nhs_convention() {
        assert_eq!(
            demographics(Some("Smith"), &["Jane"], Some("Mrs")).display_name(),
            "SMITH, Jane (Mrs)"
        );
        assert_eq!(
            demographics(Some("O'Brien"), &["Siobhán", "Mary"], None).display_name(),
            "O'BRIEN, Siobhán Mary"
        );
        assert_eq!(demographics(None, &[], None).display_name(), "Not Known");
    }

    #[test]
    fn a_listed_entry_carries_no_full_detail_and_omits_it_on_the_wire() {
        let entry = TimelineEntry {
            date: None,
            category: Category::Allergy,
            title: "Latex allergy".into(),
            detail: Some("Reaction: Urticaria".into()),
            status: Some("active".into()),
            source_id: "gp".into(),
            resource_type: "AllergyIntolerance".into(),
            resource_id: "a1".into(),
            codes: vec![Code::new("http://snomed.info/sct", "300916003")],
            security: Vec::new(),
            also_recorded_at: Vec::new(),
            discrepancy: None,
            measurement: None,
            attachments: Vec::new(),
            until: None,
            setting: None,
            reason_codes: Vec::new(),
            reason_refs: Vec::new(),
            entered_in_error: true,
            full_detail: Some(Box::new(crate::detail::EntryDetail {
                fields: vec![crate::detail::DetailField::new("Criticality", "low")],
                ..Default::default()
            })),
        };
        let listed = entry.listed();
        assert_eq!(listed.full_detail, None);
        assert_eq!(
            TimelineEntry {
                full_detail: None,
                ..entry.clone()
            },
            listed,
            "everything else is kept"
        );
        let wire = serde_json::to_value(&listed).unwrap();
        assert!(wire.get("full_detail").is_none(), "{wire}");
        assert_eq!(wire["entered_in_error"], true);
        let full = serde_json::to_value(&entry).unwrap();
        assert_eq!(full["full_detail"]["fields"][0]["label"], "Criticality");
        // Older JSON without the new fields still reads.
        let mut old = wire.clone();
        old.as_object_mut().unwrap().remove("entered_in_error");
        let read: TimelineEntry = serde_json::from_value(old).unwrap();
        assert!(!read.entered_in_error);
    }

    #[test]
    fn wire_names_are_kebab_case() {
        assert_eq!(
            serde_json::to_string(&SourceKind::MentalHealth).unwrap(),
            "\"mental-health\""
        );
        assert_eq!(
            serde_json::to_string(&SourceStatus::NotFound).unwrap(),
            "\"not-found\""
        );
        assert_eq!(
            serde_json::to_string(&Category::CarePlan).unwrap(),
            "\"care-plan\""
        );
        for kind in SourceKind::ALL {
            assert_eq!(
                serde_json::to_string(&kind).unwrap(),
                format!("\"{}\"", kind.as_str())
            );
        }
    }
}
