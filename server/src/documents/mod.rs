//! Opening one attachment of a document (discharge summaries, letters) for a clinician: the
//! same consent, basis and per-item checks as asking for the entry by id, then the
//! DocumentReference read fresh from its source and judged again, the attachment taken from it
//! (inline, or fetched from the same source), size-capped, and the view audited durably before
//! any byte is returned. The bytes are never cached.

pub mod page;
pub mod sanitise;

use crate::audit::{AuditEvent, EventKind};
use crate::fhir::document::{choose, AttachmentError, Chosen, DocumentReference};
use crate::sources::{FhirSource, SourceError};
use crate::viewing::RecordDesk;
use app::api::{LookupError, Outage};
use app::auth::Caller;
use app::document::DocumentKind;
use app::model::TimelineEntry;
use app::nhs_number::NhsNumber;
use base64::Engine;
use serde::Deserialize;

/// `[documents]`: how large a document the portal shows.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DocumentsConfig {
    /// Largest attachment shown, in bytes (decoded); larger ones are refused with a message,
    /// never cut short.
    pub max_bytes: u64,
}

/// 10 MiB.
pub const DEFAULT_MAX_BYTES: u64 = 10 * 1024 * 1024;
const MAX_MAX_BYTES: u64 = 100 * 1024 * 1024;

impl Default for DocumentsConfig {
    fn default() -> Self {
        Self {
            max_bytes: DEFAULT_MAX_BYTES,
        }
    }
}

impl DocumentsConfig {
    pub fn problems(&self) -> Vec<String> {
        if (1024..=MAX_MAX_BYTES).contains(&self.max_bytes) {
            Vec::new()
        } else {
            vec![format!(
                "documents.max_bytes must be between 1024 and {MAX_MAX_BYTES} (bytes)"
            )]
        }
    }

    /// The cap for the DocumentReference's JSON: inline data grows by a third in base64,
    /// plus room for the rest of the resource.
    fn max_json_bytes(&self) -> usize {
        let bytes = self.max_bytes.saturating_mul(4) / 3 + 256 * 1024;
        usize::try_from(bytes).unwrap_or(usize::MAX)
    }
}

/// What a clinician opened, ready to send.
#[derive(Debug)]
pub struct Opened {
    pub kind: DocumentKind,
    pub bytes: Vec<u8>,
    /// The timeline entry of the document (its title, date, source).
    pub entry: TimelineEntry,
    /// The source organisation's name.
    pub source_name: String,
    /// What the attachment is, as the record page lists it.
    pub label: String,
}

/// Why a document was not shown. Messages are safe to show staff; causes are logged apart.
#[derive(Debug, thiserror::Error)]
pub enum DocumentError {
    /// Refused or failed before the document was read (no basis, dissent, not found or
    /// withheld, audit unavailable): answered exactly as for the entry.
    #[error("{0}")]
    Lookup(#[from] LookupError),
    #[error("{0}")]
    Attachment(#[from] AttachmentError),
    #[error("{source_name} no longer holds this document")]
    Gone { source_name: String },
    /// The source marks the document recorded in error: not a record of care, not opened.
    #[error("{source_name} marks this document as entered in error, so it is not shown")]
    EnteredInError { source_name: String },
    #[error("{source_name} did not send the document in time; try again")]
    Timeout { source_name: String },
    #[error(
        "the document could not be fetched from {source_name}; try again, or ask them for a copy"
    )]
    Source { source_name: String },
    #[error("{source_name} sent a document that could not be read")]
    Unreadable { source_name: String },
    #[error("this document is larger than the portal shows ({limit} bytes); ask the organisation that holds it for a copy")]
    TooLarge { limit: u64 },
}

/// Opens attachment `index` of DocumentReference `document_id` at `source_id`.
pub async fn open(
    desk: &RecordDesk,
    config: &DocumentsConfig,
    caller: &Caller,
    nhs: NhsNumber,
    (source_id, document_id): (&str, &str),
    index: usize,
) -> Result<Opened, DocumentError> {
    let at = (source_id, "DocumentReference", document_id);
    let (entry, judge) = desk.item(caller, nhs, at).await?;
    let Some(source) = desk.source(source_id) else {
        // The item was found at this source, so it is configured; never reached.
        let cause = format!("source {source_id:?} is not configured");
        let request_id = &caller.request.request_id;
        return Err(crate::outage::logged(Outage::NotConfigured, &cause, request_id).into());
    };
    let source_name = source.config().name.clone();
    let failed = |error: SourceError| source_failure(&source_name, error, config.max_bytes);
    let json = source
        .read("DocumentReference", document_id, config.max_json_bytes())
        .await
        .map_err(failed)?;
    // The document as the source holds it now: judged again (its labels may have changed
    // since the record was fetched), answered as a withheld item if it is refused now.
    let fresh =
        fresh_entry(&json, source_id, document_id).ok_or_else(|| DocumentError::Unreadable {
            source_name: source_name.clone(),
        })?;
    if let Err(refusal) = judge.allows(&caller.viewer, &fresh) {
        return Err(desk.refused_item(caller, nhs, refusal).await.into());
    }
    if fresh.entered_in_error {
        return Err(DocumentError::EnteredInError { source_name });
    }
    let document = DocumentReference::parse(&json).map_err(|_| DocumentError::Unreadable {
        source_name: source_name.clone(),
    })?;
    let (kind, chosen) = choose(&document, index, source.base_url(), config.max_bytes)?;
    let bytes = match chosen {
        Chosen::Inline(bytes) => bytes,
        Chosen::At(url) => {
            fetch(source, &url, kind, config)
                .await
                .map_err(|error| match error {
                    Fetch::Source(error) => failed(error),
                    Fetch::Unreadable => DocumentError::Unreadable {
                        source_name: source_name.clone(),
                    },
                    Fetch::Attachment(error) => error.into(),
                })?
        }
    };
    let info = document
        .content
        .get(index)
        .map(|c| c.attachment.info(index));
    let label = info.as_ref().map(|i| i.label()).unwrap_or_default();
    let content_type = info.and_then(|i| i.content_type).unwrap_or_default();
    let opened = entry.map(|entry| Opened {
        kind,
        bytes,
        entry: TimelineEntry {
            security: fresh.security,
            ..entry
        },
        source_name,
        label,
    });
    // No audit, no document.
    let opened = desk
        .hand_over(opened, |opened| {
            let mut event = AuditEvent::by(caller, EventKind::DocumentView)
                .patient(nhs)
                .basis(judge.basis())
                .detail(format!(
                    "DocumentReference/{document_id} attachment {index} ({content_type}, {} bytes)",
                    opened.bytes.len()
                ));
            event.sources = vec![source_id.to_owned()];
            event.categories = vec![opened.entry.category.as_str().to_owned()];
            event
        })
        .await?;
    Ok(opened)
}

/// The fresh copy's timeline entry, if it is the DocumentReference asked for.
fn fresh_entry(json: &[u8], source_id: &str, document_id: &str) -> Option<TimelineEntry> {
    let text = std::str::from_utf8(json).ok()?;
    let bundled = crate::fhir::Bundled::default();
    let document = crate::fhir::ResourceType::DocumentReference;
    let crate::fhir::Read::Entry(entry) =
        crate::fhir::read(document, text, source_id, &bundled).ok()?
    else {
        return None;
    };
    (crate::fhir::resource_type(text) == Some(document.name()) && entry.resource_id == document_id)
        .then_some(*entry)
}

enum Fetch {
    Source(SourceError),
    Unreadable,
    Attachment(AttachmentError),
}

/// The content at `url` on the source. A source that answers a FHIR `Binary` resource (JSON)
/// rather than the raw content has its `data` decoded, within the same limit.
async fn fetch(
    source: &FhirSource,
    url: &url::Url,
    kind: DocumentKind,
    config: &DocumentsConfig,
) -> Result<Vec<u8>, Fetch> {
    let accept = match kind {
        DocumentKind::Text => "text/plain, application/fhir+json;q=0.5",
        DocumentKind::Html => "text/html, application/xhtml+xml, application/fhir+json;q=0.5",
        DocumentKind::Pdf => "application/pdf, application/fhir+json;q=0.5",
    };
    let (content_type, bytes) = source
        .content(url, accept, config.max_json_bytes())
        .await
        .map_err(Fetch::Source)?;
    let bytes = if matches!(
        content_type.as_str(),
        "application/fhir+json" | "application/json"
    ) {
        binary_data(&bytes).ok_or(Fetch::Unreadable)?
    } else {
        bytes
    };
    if bytes.len() as u64 > config.max_bytes {
        return Err(Fetch::Attachment(AttachmentError::TooLarge {
            size: bytes.len() as u64,
            limit: config.max_bytes,
        }));
    }
    Ok(bytes)
}

/// The decoded `data` of a FHIR Binary resource.
fn binary_data(json: &[u8]) -> Option<Vec<u8>> {
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Binary {
        resource_type: String,
        data: Option<String>,
    }
    let binary: Binary = serde_json::from_slice(json).ok()?;
    if binary.resource_type != "Binary" {
        return None;
    }
    let compact: String = binary
        .data?
        .chars()
        .filter(|c| !c.is_ascii_whitespace())
        .collect();
    base64::engine::general_purpose::STANDARD
        .decode(compact.as_bytes())
        .ok()
}

/// A source's failure in words for staff; the cause is logged (never the patient).
fn source_failure(source_name: &str, error: SourceError, limit: u64) -> DocumentError {
    tracing::warn!(source = %source_name, %error, "a document could not be fetched");
    let source_name = source_name.to_owned();
    match error {
        SourceError::Http(404 | 410) => DocumentError::Gone { source_name },
        SourceError::Timeout => DocumentError::Timeout { source_name },
        SourceError::TooLarge(_) => DocumentError::TooLarge { limit },
        SourceError::NotFhir(_) | SourceError::BadBundle(_) => {
            DocumentError::Unreadable { source_name }
        }
        _ => DocumentError::Source { source_name },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_size_limit_is_validated_naming_its_key() {
        for (max_bytes, ok) in [
            (1023, false),
            (1024, true),
            (DEFAULT_MAX_BYTES, true),
            (MAX_MAX_BYTES, true),
            (MAX_MAX_BYTES + 1, false),
        ] {
            let problems = DocumentsConfig { max_bytes }.problems();
            assert_eq!(problems.is_empty(), ok, "{max_bytes}");
            assert!(problems.iter().all(|p| p.contains("documents.max_bytes")));
        }
        assert_eq!(DocumentsConfig::default().max_bytes, 10 * 1024 * 1024);
    }

    #[test]
    fn binary_resources_are_decoded_and_nothing_else() {
        // (body, decoded)
        let table: [(&str, Option<&[u8]>); 5] = [
            (
                r#"{"resourceType":"Binary","contentType":"application/pdf","data":"JVBERi0="}"#,
                Some(b"%PDF-"),
            ),
            (
                r#"{"resourceType":"Binary","data":"JVBE\nRi0="}"#,
                Some(b"%PDF-"),
            ),
            (
                r#"{"resourceType":"OperationOutcome","data":"JVBERi0="}"#,
                None,
            ),
            (r#"{"resourceType":"Binary","data":"%%%"}"#, None),
            ("not json", None),
        ];
        for (body, decoded) in table {
            assert_eq!(binary_data(body.as_bytes()).as_deref(), decoded, "{body}");
        }
    }

    #[test]
    fn source_failures_are_told_in_words() {
        let said = |e: SourceError| source_failure("Northgate", e, 1024).to_string();
        assert_eq!(
            said(SourceError::Http(404)),
            "Northgate no longer holds this document"
        );
        assert!(
            said(SourceError::TooLarge(5)).contains("larger than the portal shows (1024 bytes)")
        );
        assert!(said(SourceError::Timeout).contains("in time"));
        assert!(said(SourceError::Http(500)).contains("could not be fetched from Northgate"));
    }
}
