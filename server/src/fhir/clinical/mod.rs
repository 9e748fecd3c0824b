//! One lenient model per clinical resource type, each with the element types FHIR R4 gives
//! *that* type (`AllergyIntolerance.type` is a code, `Encounter.type` a list of concepts), and
//! the one closed enum the timeline reads them through. Every type answers each question every
//! entry needs (date, what it is, title, detail, status, recorded in error: [`Clinical`] has
//! no defaults for them), so a type cannot be half-handled.

mod allergy;
mod care;
mod condition;
mod document;
mod encounter;
mod fields;
mod medication;
mod observation;
mod procedure;

pub use allergy::AllergyIntolerance;
pub use care::{CarePlan, Flag};
pub use condition::Condition;
pub use document::DocumentReference;
pub use encounter::{Encounter, EpisodeOfCare};
pub use medication::{MedicationRequest, MedicationStatement};
pub use observation::{DiagnosticReport, Observation};
pub use procedure::{Immunization, Procedure};

use super::datatypes::{concept_code, CodeableConcept};
use super::resource::{Bundled, Meta, ResourceType};
use app::detail::{DetailField, Note};
use app::model::{Category, Measurement};

/// What the timeline asks of each clinical resource type. Only the type-specific extras (a
/// measurement, a document's attachments) have defaults.
pub trait Clinical {
    fn id(&self) -> Option<&str>;
    fn meta(&self) -> Option<&Meta>;
    /// The date that places it on the timeline (`../shared/domain.md` §3), as sent.
    fn date(&self) -> Option<&str>;
    /// The concept that says what it is (its title and the codes matched against lists).
    /// `bundled` resolves a medicine's reference to a bundled `Medication`.
    fn what<'a>(&'a self, bundled: &'a Bundled) -> Option<std::borrow::Cow<'a, CodeableConcept>>;
    /// Words for the title when there is no concept (a reference's display, a title).
    fn title_words(&self) -> Option<String>;
    /// The qualifiers shown after the title, in order ("Severity: severe", a value, a dose).
    fn detail(&self) -> Vec<String>;
    /// The status shown beside it: a refuted or unconfirmed verification wins over the
    /// clinical status.
    fn status(&self) -> Option<String>;
    /// Recorded in error: never shown as a clinical fact.
    fn entered_in_error(&self) -> bool;
    /// Every structured element the portal read, labelled, in the order the type defines
    /// them (the entry panel's fields). A reference's target is never followed: only its
    /// `display` is shown, and `reasonReference`s are not shown at all (they may name an
    /// item withheld from the viewer).
    fn fields(&self) -> Vec<DetailField>;
    /// The resource's notes (`Annotation`s), as plain text.
    fn notes(&self) -> Vec<Note>;
    /// The resource's narrative (`text.div`) as sent: untrusted HTML, sanitised before
    /// anything shows it ([`crate::documents::sanitise::narrative`]).
    fn narrative(&self) -> Option<&str>;
    /// A measured value with its reference range and interpretation, for trends and H/L marks
    /// (only observations have one).
    fn measurement(&self) -> Option<Measurement> {
        None
    }
    /// A document's attachments as the timeline lists them (only documents have any).
    fn attachments(&self) -> Vec<app::document::AttachmentInfo> {
        Vec::new()
    }
    /// Why it was done, as coded (`reasonCode`): judged as the item's own codes are, so a
    /// withheld diagnosis is not shown through an encounter's or a medicine's reason.
    fn reason_codes(&self) -> Vec<&CodeableConcept> {
        Vec::new()
    }
    /// What it was for, by reference (`reasonReference`, `Encounter.diagnosis`,
    /// `CarePlan.addresses`): when that item is withheld, so is this one.
    fn reason_references(&self) -> Vec<&super::datatypes::Reference> {
        Vec::new()
    }
    /// When the item ends or ended, as sent (only medicines say so).
    fn until(&self) -> Option<&str> {
        None
    }
    /// An encounter's v3 ActCode class (`EMER`, `IMP`...): only encounters have one.
    fn setting(&self) -> Option<&str> {
        None
    }
}

/// A clinical resource of one supported type, decoded by that type's own definition (boxed:
/// the types differ widely in size).
#[derive(Debug)]
pub enum ClinicalResource {
    AllergyIntolerance(Box<AllergyIntolerance>),
    CarePlan(Box<CarePlan>),
    Condition(Box<Condition>),
    DiagnosticReport(Box<DiagnosticReport>),
    DocumentReference(Box<DocumentReference>),
    Encounter(Box<Encounter>),
    EpisodeOfCare(Box<EpisodeOfCare>),
    Flag(Box<Flag>),
    Immunization(Box<Immunization>),
    MedicationRequest(Box<MedicationRequest>),
    MedicationStatement(Box<MedicationStatement>),
    Observation(Box<Observation>),
    Procedure(Box<Procedure>),
}

/// Why a type is not a timeline type (it is read elsewhere, or only as a reference target).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotClinical;

impl ClinicalResource {
    /// The timeline category of a supported type, or `NotClinical` for the types read
    /// elsewhere (Consent, Patient) or only as what a reference names (Medication,
    /// Organization, Practitioner).
    pub fn category(resource_type: ResourceType) -> Result<Category, NotClinical> {
        use ResourceType as T;
        Ok(match resource_type {
            T::AllergyIntolerance => Category::Allergy,
            T::CarePlan => Category::CarePlan,
            T::Condition => Category::Problem,
            T::DiagnosticReport => Category::Report,
            T::DocumentReference => Category::Document,
            T::Encounter => Category::Encounter,
            T::EpisodeOfCare => Category::Episode,
            T::Flag => Category::Alert,
            T::Immunization => Category::Immunisation,
            T::MedicationRequest | T::MedicationStatement => Category::Medication,
            T::Observation => Category::Observation,
            T::Procedure => Category::Procedure,
            T::Consent | T::Medication | T::Organization | T::Patient | T::Practitioner => {
                return Err(NotClinical)
            }
        })
    }

    /// Decodes one resource of a clinical type by that type's definition.
    pub fn parse(
        resource_type: ResourceType,
        json: &str,
    ) -> Result<Option<Self>, serde_json::Error> {
        use serde_json::from_str as read;
        use ResourceType as T;
        Ok(Some(match resource_type {
            T::AllergyIntolerance => Self::AllergyIntolerance(Box::new(read(json)?)),
            T::CarePlan => Self::CarePlan(Box::new(read(json)?)),
            T::Condition => Self::Condition(Box::new(read(json)?)),
            T::DiagnosticReport => Self::DiagnosticReport(Box::new(read(json)?)),
            T::DocumentReference => Self::DocumentReference(Box::new(read(json)?)),
            T::Encounter => Self::Encounter(Box::new(read(json)?)),
            T::EpisodeOfCare => Self::EpisodeOfCare(Box::new(read(json)?)),
            T::Flag => Self::Flag(Box::new(read(json)?)),
            T::Immunization => Self::Immunization(Box::new(read(json)?)),
            T::MedicationRequest => Self::MedicationRequest(Box::new(read(json)?)),
            T::MedicationStatement => Self::MedicationStatement(Box::new(read(json)?)),
            T::Observation => Self::Observation(Box::new(read(json)?)),
            T::Procedure => Self::Procedure(Box::new(read(json)?)),
            T::Consent | T::Medication | T::Organization | T::Patient | T::Practitioner => {
                return Ok(None)
            }
        }))
    }

    pub fn resource_type(&self) -> ResourceType {
        use ResourceType as T;
        match self {
            Self::AllergyIntolerance(_) => T::AllergyIntolerance,
            Self::CarePlan(_) => T::CarePlan,
            Self::Condition(_) => T::Condition,
            Self::DiagnosticReport(_) => T::DiagnosticReport,
            Self::DocumentReference(_) => T::DocumentReference,
            Self::Encounter(_) => T::Encounter,
            Self::EpisodeOfCare(_) => T::EpisodeOfCare,
            Self::Flag(_) => T::Flag,
            Self::Immunization(_) => T::Immunization,
            Self::MedicationRequest(_) => T::MedicationRequest,
            Self::MedicationStatement(_) => T::MedicationStatement,
            Self::Observation(_) => T::Observation,
            Self::Procedure(_) => T::Procedure,
        }
    }

    /// The resource, as what the timeline asks of it.
    pub fn clinical(&self) -> &dyn Clinical {
        match self {
            Self::AllergyIntolerance(r) => r.as_ref(),
            Self::CarePlan(r) => r.as_ref(),
            Self::Condition(r) => r.as_ref(),
            Self::DiagnosticReport(r) => r.as_ref(),
            Self::DocumentReference(r) => r.as_ref(),
            Self::Encounter(r) => r.as_ref(),
            Self::EpisodeOfCare(r) => r.as_ref(),
            Self::Flag(r) => r.as_ref(),
            Self::Immunization(r) => r.as_ref(),
            Self::MedicationRequest(r) => r.as_ref(),
            Self::MedicationStatement(r) => r.as_ref(),
            Self::Observation(r) => r.as_ref(),
            Self::Procedure(r) => r.as_ref(),
        }
    }
}

/// `Label: value` when there is a value.
fn labelled(label: &str, value: Option<String>) -> Option<String> {
    value.map(|v| format!("{label}: {v}"))
}

/// A verification status that must be seen before the clinical one (`refuted`,
/// `unconfirmed`, `provisional`, `differential`), else the clinical status's code.
fn verified_status(
    clinical: Option<&CodeableConcept>,
    verification: Option<&CodeableConcept>,
) -> Option<String> {
    let clinical = clinical.and_then(concept_code);
    match verification.and_then(concept_code) {
        Some(v @ ("refuted" | "entered-in-error")) => Some(v.to_owned()),
        Some(v @ ("unconfirmed" | "provisional" | "differential")) => Some(match clinical {
            Some(c) => format!("{c} ({v})"),
            None => v.to_owned(),
        }),
        _ => clinical.map(str::to_owned),
    }
}

/// True when a verification status says the item was recorded in error.
fn verified_in_error(verification: Option<&CodeableConcept>) -> bool {
    verification.and_then(concept_code) == Some("entered-in-error")
}

/// Implements the `id`, `meta` and `narrative` accessors every type has in the same three
/// fields (`id`, `meta`, `text`).
macro_rules! identity {
    () => {
        fn id(&self) -> Option<&str> {
            self.id.as_deref()
        }
        fn meta(&self) -> Option<&crate::fhir::resource::Meta> {
            self.meta.as_ref()
        }
        fn narrative(&self) -> Option<&str> {
            crate::fhir::datatypes::non_empty(self.text.as_ref()?.div.as_deref())
        }
    };
}
use identity;

/// Implements `status` and `entered_in_error` for the types whose status is one code in
/// `status` (`entered-in-error` meaning recorded in error).
macro_rules! plain_status {
    () => {
        fn status(&self) -> Option<String> {
            self.status.clone()
        }
        fn entered_in_error(&self) -> bool {
            self.status.as_deref() == Some("entered-in-error")
        }
    };
}
use plain_status;
