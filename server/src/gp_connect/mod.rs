//! A GP record read as England shares it: GP Connect Access Record: Structured, one FHIR STU3
//! operation (`POST [base]/Patient/$gpc.getstructuredrecord`) answered by the GP system,
//! directly or through the Spine Secure Proxy, mapped into the same timeline as R4 sources.
//!
//! - [`config`]: the source's `[sources.gp_connect]` table.
//! - [`request`]: the `Parameters`, the Spine headers and the consumer's JWT.
//! - [`outcome`]: a refusal's Spine error code, read as dissent, an unavailable record or a
//!   failure.
//! - [`structured`]: the STU3 Bundle read into timeline entries, the patient's practice and
//!   usual GP, and what the provider said it did not share.
//! - [`source`]: one practice, asked once per view.

pub mod config;
pub mod outcome;
pub mod request;
pub mod source;
pub mod structured;

pub use config::GpConnectConfig;
pub use request::Requester;
pub use source::GpConnectSource;

use crate::sources::SourceRecord;
use structured::StructuredRecord;

/// A structured record as any source's record: no consent directives (GP Connect carries
/// none; a dissent is a refusal of the whole request).
fn into_source_record(read: StructuredRecord) -> SourceRecord {
    SourceRecord {
        patients: read.patients,
        entries: read.entries,
        skipped: read.skipped,
        unreadable_types: read.unreadable_types,
        not_shared: read.warnings,
        ..SourceRecord::default()
    }
}
