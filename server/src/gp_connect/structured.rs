//! Reads a GP Connect structured record (an STU3 CareConnect `Bundle`) into the shared
//! timeline model.
//!
//! (A stub with the agreed API, so the crate builds while the mapping is written: replace it.)

/// What a structured record holds, read.
#[derive(Debug, Default)]
pub struct StructuredRecord {
    pub patients: Vec<app::model::Demographics>,
    pub entries: Vec<app::model::TimelineEntry>,
    pub skipped: usize,
    pub unreadable_types: std::collections::BTreeMap<&'static str, usize>,
    pub warnings: Vec<String>,
}

/// Why a structured record could not be used at all.
#[derive(Debug, thiserror::Error)]
pub enum StructuredError {
    #[error("not read yet")]
    NotRead,
}

/// Reads a structured record (stub: refuses every one).
pub fn read_structured_record(
    _body: &[u8],
    _nhs: app::nhs_number::NhsNumber,
    _source_id: &str,
) -> Result<StructuredRecord, StructuredError> {
    Err(StructuredError::NotRead)
}
