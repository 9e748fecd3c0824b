//! Who the demo GP Connect practice holds: a second GP practice, whose GP system answers
//! GP Connect Access Record: Structured instead of FHIR R4, and the showcase patients
//! registered there (a full record, no known allergies, a dissent, a sensitive record).

use super::{nhs_number_of, Population};
use app::nhs_number::NhsNumber;

/// The showcase patients registered at the GP Connect practice, by index.
pub(super) const FULL_RECORD: usize = 24;
pub(super) const NO_KNOWN_ALLERGIES: usize = 25;
pub(super) const DISSENTED: usize = 26;
pub(super) const SENSITIVE: usize = 27;

/// (ODS code, name) of the practice whose GP system answers GP Connect.
pub const PRACTICE: (&str, &str) = ("Y54321", "Harbourside Health Centre");
/// The practice's town and postcode.
pub const PRACTICE_ADDRESS: (&str, &str, &str) = ("1 Quay Street", "Bristol", "BS1 4DJ");
/// The usual GP of every patient there: (SDS user id, family, given, prefix).
pub const USUAL_GP: (&str, &str, &str, &str) = ("687227875014", "Rahman", "Anika", "Dr");

/// What the GP Connect practice answers about one of its patients.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GpConnectPatient {
    /// A full structured record: every clinical area, a confidential-items warning and a
    /// clinical area (documents) the practice has disabled.
    FullRecord,
    /// "No known allergies" asserted; nothing else recorded.
    NoKnownAllergies,
    /// Has dissented from sharing: `403 NO_PATIENT_CONSENT`.
    Dissented,
    /// A sensitive record: `404 PATIENT_NOT_FOUND`, as for someone not registered.
    Sensitive,
}

impl Population {
    /// What the GP Connect practice holds about patient `index`: `None` when they are not
    /// registered there (the practice answers `404 PATIENT_NOT_FOUND`).
    pub fn gp_connect_patient(&self, index: usize) -> Option<GpConnectPatient> {
        if index >= self.count {
            return None;
        }
        match index {
            FULL_RECORD => Some(GpConnectPatient::FullRecord),
            NO_KNOWN_ALLERGIES => Some(GpConnectPatient::NoKnownAllergies),
            DISSENTED => Some(GpConnectPatient::Dissented),
            SENSITIVE => Some(GpConnectPatient::Sensitive),
            _ => None,
        }
    }

    /// Whether patient `index` is registered at the GP Connect practice: their GP record is
    /// reached only through GP Connect, never through the R4 GP source.
    pub fn registered_by_gp_connect(&self, index: usize) -> bool {
        self.gp_connect_patient(index).is_some()
    }

    /// (ODS code, name) of the GP Connect practice.
    pub fn gp_connect_practice(&self) -> (&'static str, &'static str) {
        PRACTICE
    }

    /// The showcase patient with a full GP Connect record (also known at the acute hospital
    /// and social care), if the population holds them.
    pub fn gp_connect_full_record(&self) -> Option<NhsNumber> {
        self.gp_connect_showcase(FULL_RECORD)
    }

    /// The GP Connect patient with no known allergies (known nowhere else).
    pub fn gp_connect_no_known_allergies(&self) -> Option<NhsNumber> {
        self.gp_connect_showcase(NO_KNOWN_ALLERGIES)
    }

    /// The GP Connect patient who has dissented (the practice answers 403).
    pub fn gp_connect_dissented(&self) -> Option<NhsNumber> {
        self.gp_connect_showcase(DISSENTED)
    }

    /// The GP Connect patient whose record is sensitive (the practice answers 404).
    pub fn gp_connect_sensitive(&self) -> Option<NhsNumber> {
        self.gp_connect_showcase(SENSITIVE)
    }

    fn gp_connect_showcase(&self, index: usize) -> Option<NhsNumber> {
        (index < self.count).then(|| nhs_number_of(index))
    }
}

/// The showcase labels of the GP Connect patients.
pub(super) const LABELS: [(usize, &str); 4] = [
    (
        FULL_RECORD,
        "GP Connect practice: full structured record (problems, allergies incl. ended, repeat medicines, consultations, results, referral), also at hospital and social care",
    ),
    (
        NO_KNOWN_ALLERGIES,
        "GP Connect practice: no known allergies (GP Connect only)",
    ),
    (
        DISSENTED,
        "GP Connect practice: patient dissented (403 NO_PATIENT_CONSENT), also at hospital",
    ),
    (
        SENSITIVE,
        "GP Connect practice: sensitive record (404 PATIENT_NOT_FOUND), also at hospital",
    ),
];
