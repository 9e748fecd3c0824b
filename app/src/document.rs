//! Documents attached to a timeline entry (`DocumentReference.content[].attachment`): what the
//! record page lists for each one, which content types the portal can show, and the address
//! that opens one through the portal. Plain data, no I/O.

use crate::nhs_number::NhsNumber;
use serde::{Deserialize, Serialize};

/// One attachment of a document, as listed on the timeline (the bytes are never in the record:
/// they are fetched fresh from the source when the document is opened).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttachmentInfo {
    /// Its position in the resource's `content` list (`n` in the document address).
    pub index: usize,
    /// The MIME type the source gives (`text/html`), lower case, without parameters.
    pub content_type: Option<String>,
    pub title: Option<String>,
    /// Size in bytes, when the source says.
    pub size: Option<u64>,
    pub language: Option<String>,
    /// When the attachment was first created (FHIR dateTime).
    pub creation: Option<String>,
    /// True when the portal can show it: a type it shows ([`DocumentKind`]) and its content
    /// inline or at an address.
    pub viewable: bool,
}

/// The content types the portal shows, and how.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocumentKind {
    /// `text/plain`: shown as text.
    Text,
    /// `text/html` or `application/xhtml+xml`: sanitised, then shown.
    Html,
    /// `application/pdf`: passed to the browser's own viewer.
    Pdf,
}

impl DocumentKind {
    /// The kind of a MIME type (parameters such as `; charset=utf-8` ignored, any case);
    /// `None` for any type the portal does not show.
    pub fn of(content_type: &str) -> Option<Self> {
        let essence = content_type
            .split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase();
        match essence.as_str() {
            "text/plain" => Some(Self::Text),
            "text/html" | "application/xhtml+xml" => Some(Self::Html),
            "application/pdf" => Some(Self::Pdf),
            _ => None,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Text => "text",
            Self::Html => "letter",
            Self::Pdf => "PDF",
        }
    }
}

impl AttachmentInfo {
    /// What the link says: the title (or the type), and the size when known.
    pub fn label(&self) -> String {
        let kind = self.content_type.as_deref().and_then(DocumentKind::of);
        let name = match (&self.title, kind, &self.content_type) {
            (Some(title), Some(kind), _) if !title.trim().is_empty() => {
                format!("{} ({})", title.trim(), kind.label())
            }
            (Some(title), None, _) if !title.trim().is_empty() => title.trim().to_owned(),
            (_, Some(kind), _) => format!("Document ({})", kind.label()),
            (_, None, Some(content_type)) => format!("Document ({content_type})"),
            (_, None, None) => "Document (type not given)".to_owned(),
        };
        match self.size {
            Some(size) => format!("{name}, {}", size_words(size)),
            None => name,
        }
    }
}

/// `512 bytes`, `12 KB`, `3.4 MB`.
pub fn size_words(bytes: u64) -> String {
    const KB: u64 = 1024;
    const MB: u64 = 1024 * 1024;
    if bytes < KB {
        format!("{bytes} bytes")
    } else if bytes < MB {
        format!("{} KB", bytes.div_ceil(KB))
    } else {
        format!("{:.1} MB", bytes as f64 / MB as f64)
    }
}

/// The portal address that opens attachment `index` of document `document_id` at
/// `source_id`: `/api/v1/patients/{nhs}/documents/{source}/{id}/{n}` (segments
/// percent-encoded).
pub fn document_path(nhs: NhsNumber, source_id: &str, document_id: &str, index: usize) -> String {
    format!(
        "/api/v1/patients/{}/documents/{}/{}/{index}",
        nhs.as_digits(),
        segment(source_id),
        segment(document_id)
    )
}

/// A path segment with everything but unreserved characters percent-encoded.
fn segment(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_types_are_read_by_their_essence() {
        // (content type, kind)
        let table = [
            ("text/plain", Some(DocumentKind::Text)),
            ("text/plain; charset=utf-8", Some(DocumentKind::Text)),
            ("TEXT/HTML", Some(DocumentKind::Html)),
            ("application/xhtml+xml", Some(DocumentKind::Html)),
            ("application/pdf", Some(DocumentKind::Pdf)),
            ("application/msword", None),
            ("image/svg+xml", None),
            ("text/htmlx", None),
            ("", None),
        ];
        for (content_type, kind) in table {
            assert_eq!(DocumentKind::of(content_type), kind, "{content_type}");
        }
    }

    #[test]
    fn links_say_what_and_how_big() {
        let info =
            |title: Option<&str>, content_type: Option<&str>, size: Option<u64>| AttachmentInfo {
                index: 0,
                content_type: content_type.map(str::to_owned),
                title: title.map(str::to_owned),
                size,
                language: None,
                creation: None,
                viewable: true,
            };
        // (title, type, size, label)
        let table = [
            (
                Some("Discharge summary"),
                Some("text/html"),
                Some(2_500),
                "Discharge summary (letter), 3 KB",
            ),
            (None, Some("application/pdf"), None, "Document (PDF)"),
            (
                Some("  "),
                Some("text/plain"),
                Some(12),
                "Document (text), 12 bytes",
            ),
            (
                None,
                Some("application/rtf"),
                None,
                "Document (application/rtf)",
            ),
            (
                None,
                None,
                Some(3 * 1024 * 1024),
                "Document (type not given), 3.0 MB",
            ),
        ];
        for (title, content_type, size, label) in table {
            assert_eq!(info(title, content_type, size).label(), label);
        }
    }

    #[test]
    fn document_paths_encode_their_segments() {
        let nhs = NhsNumber::parse("9434765919").unwrap();
        assert_eq!(
            document_path(nhs, "acute", "RX1-00ab-documentreference-3", 2),
            "/api/v1/patients/9434765919/documents/acute/RX1-00ab-documentreference-3/2"
        );
        assert_eq!(
            document_path(nhs, "gp", "a/b c", 0),
            "/api/v1/patients/9434765919/documents/gp/a%2Fb%20c/0"
        );
    }
}
