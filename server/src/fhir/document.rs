//! Reading `DocumentReference.content[].attachment` (FHIR R4 Attachment): what the timeline
//! lists for each attachment, and choosing one to open: inline `data` decoded, or a `url` on
//! the source's own origin, within a size limit. No I/O: the caller fetches what is chosen.

use app::document::{AttachmentInfo, DocumentKind};
use base64::Engine;
use serde::Deserialize;
use url::Url;

/// The part of a DocumentReference this module reads. Unknown elements are ignored.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct DocumentReference {
    pub resource_type: String,
    pub id: Option<String>,
    pub content: Vec<Content>,
}

/// One `content` item: the attachment (its `format` is not read).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Content {
    pub attachment: Attachment,
}

/// FHIR R4 Attachment, the elements the portal reads.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Attachment {
    pub content_type: Option<String>,
    pub language: Option<String>,
    /// base64Binary.
    pub data: Option<String>,
    pub url: Option<String>,
    /// Bytes, as the source says (an unsignedInt; some sources send it as a string).
    pub size: Option<serde_json::Value>,
    pub title: Option<String>,
    pub creation: Option<String>,
}

impl DocumentReference {
    pub fn parse(json: &[u8]) -> Result<Self, serde_json::Error> {
        serde_json::from_slice(json)
    }
}

impl Attachment {
    /// The content type's essence, lower case (`text/html`).
    pub fn essence(&self) -> Option<String> {
        self.content_type
            .as_deref()
            .and_then(|t| t.split(';').next())
            .map(|t| t.trim().to_ascii_lowercase())
            .filter(|t| !t.is_empty())
    }

    pub fn kind(&self) -> Option<DocumentKind> {
        self.content_type.as_deref().and_then(DocumentKind::of)
    }

    fn size(&self) -> Option<u64> {
        match self.size.as_ref()? {
            serde_json::Value::Number(n) => n.as_u64(),
            serde_json::Value::String(s) => s.trim().parse().ok(),
            _ => None,
        }
    }

    fn has_content(&self) -> bool {
        self.data.as_deref().is_some_and(|d| !d.trim().is_empty())
            || self.url.as_deref().is_some_and(|u| !u.trim().is_empty())
    }

    /// What the timeline lists for this attachment, at position `index`.
    pub fn info(&self, index: usize) -> AttachmentInfo {
        AttachmentInfo {
            index,
            content_type: self.essence(),
            title: self.title.clone().filter(|t| !t.trim().is_empty()),
            size: self.size(),
            language: self.language.clone(),
            creation: self.creation.clone(),
            viewable: self.kind().is_some() && self.has_content(),
        }
    }
}

/// The attachments listed for a document's `content` (for a per-type model that has read
/// `content` itself).
pub fn attachment_infos(content: &[Content]) -> Vec<AttachmentInfo> {
    content
        .iter()
        .enumerate()
        .map(|(i, c)| c.attachment.info(i))
        .collect()
}

/// The attachments of one DocumentReference, read from its JSON on their own: a `content`
/// that cannot be read lists nothing and never costs the entry itself.
pub fn attachments(json: &str) -> Vec<AttachmentInfo> {
    #[derive(Deserialize)]
    struct ContentOnly {
        #[serde(default)]
        content: Vec<Content>,
    }
    serde_json::from_str::<ContentOnly>(json)
        .map(|d| attachment_infos(&d.content))
        .unwrap_or_default()
}

/// Why an attachment cannot be opened. Each message is safe to show staff (no clinical
/// content, no address).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AttachmentError {
    #[error("this document has no attachment {0}")]
    NoSuchAttachment(usize),
    #[error("this document's type ({0}) cannot be shown here; ask the organisation that holds it")]
    CannotShow(String),
    #[error("this document's type is not given, so it cannot be shown here; ask the organisation that holds it")]
    NoType,
    #[error("this document has no content (no data and no address)")]
    NoContent,
    #[error("this document's content could not be read (its data is not valid base64)")]
    BadData,
    #[error("this document is stored outside the organisation's record system, so the portal does not fetch it; ask the organisation that holds it")]
    ForeignUrl,
    #[error("this document's address is not valid")]
    BadUrl,
    #[error("this document ({size} bytes) is larger than the portal shows ({limit} bytes); ask the organisation that holds it for a copy")]
    TooLarge { size: u64, limit: u64 },
}

/// Where the chosen attachment's bytes are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Chosen {
    /// Inline `data`, decoded.
    Inline(Vec<u8>),
    /// A `url` on the source's origin, to fetch with the source's client.
    At(Url),
}

/// Attachment `index` of `document`, if the portal may show it: a type it shows, content
/// inline (decoded, at most `max_bytes`) or at a `url` on the same origin as `base`
/// (relative URLs resolved against `base`). A size the source states above `max_bytes` is
/// refused before anything is fetched; the caller caps what it fetches as well.
pub fn choose(
    document: &DocumentReference,
    index: usize,
    base: &Url,
    max_bytes: u64,
) -> Result<(DocumentKind, Chosen), AttachmentError> {
    let attachment = &document
        .content
        .get(index)
        .ok_or(AttachmentError::NoSuchAttachment(index))?
        .attachment;
    let kind = match (attachment.kind(), attachment.essence()) {
        (Some(kind), _) => kind,
        (None, Some(other)) => return Err(AttachmentError::CannotShow(other)),
        (None, None) => return Err(AttachmentError::NoType),
    };
    let too_large = |size: u64| AttachmentError::TooLarge {
        size,
        limit: max_bytes,
    };
    if let Some(size) = attachment.size().filter(|s| *s > max_bytes) {
        return Err(too_large(size));
    }
    if let Some(data) = attachment.data.as_deref().filter(|d| !d.trim().is_empty()) {
        // Base64 takes 4 characters for 3 bytes: refuse before decoding what cannot fit.
        let compact: String = data.chars().filter(|c| !c.is_ascii_whitespace()).collect();
        let decoded_at_least = (compact.len() as u64 / 4)
            .saturating_mul(3)
            .saturating_sub(2);
        if decoded_at_least > max_bytes {
            return Err(too_large(decoded_at_least));
        }
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(compact.as_bytes())
            .map_err(|_| AttachmentError::BadData)?;
        if bytes.len() as u64 > max_bytes {
            return Err(too_large(bytes.len() as u64));
        }
        return Ok((kind, Chosen::Inline(bytes)));
    }
    let Some(url) = attachment.url.as_deref().filter(|u| !u.trim().is_empty()) else {
        return Err(AttachmentError::NoContent);
    };
    Ok((kind, Chosen::At(same_origin_url(base, url.trim())?)))
}

/// `url` resolved against the source's base URL, if it stays on the base's origin (scheme,
/// host and port). A relative reference such as `Binary/1` resolves under the base's path.
pub fn same_origin_url(base: &Url, url: &str) -> Result<Url, AttachmentError> {
    // `join` drops the last path segment of a base without a trailing slash (`.../R4` +
    // `Binary/1` would give `.../Binary/1`): resolve against the base as a directory.
    let mut directory = base.clone();
    if !directory.path().ends_with('/') {
        let path = format!("{}/", directory.path());
        directory.set_path(&path);
    }
    let resolved = directory.join(url).map_err(|_| AttachmentError::BadUrl)?;
    if !matches!(resolved.scheme(), "http" | "https") {
        return Err(AttachmentError::ForeignUrl);
    }
    if resolved.origin() != base.origin() {
        return Err(AttachmentError::ForeignUrl);
    }
    if !resolved.username().is_empty() || resolved.password().is_some() {
        return Err(AttachmentError::BadUrl);
    }
    Ok(resolved)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn document(attachments: serde_json::Value) -> DocumentReference {
        let content: Vec<serde_json::Value> = attachments
            .as_array()
            .unwrap()
            .iter()
            .map(|a| json!({ "attachment": a }))
            .collect();
        let json = json!({ "resourceType": "DocumentReference", "id": "d1", "content": content });
        DocumentReference::parse(json.to_string().as_bytes()).unwrap()
    }

    fn b64(bytes: &[u8]) -> String {
        base64::engine::general_purpose::STANDARD.encode(bytes)
    }

    #[test]
    fn attachments_are_chosen_only_when_they_can_be_shown_safely() {
        let base = Url::parse("https://fhir.example.org/R4").unwrap();
        let letter = b"<p>Discharged home</p>".to_vec();
        let doc = document(json!([
            { "contentType": "text/html", "data": b64(&letter), "title": "Letter" },
            { "contentType": "application/pdf", "url": "Binary/abc" },
            { "contentType": "application/pdf", "url": "https://fhir.example.org/R4/Binary/def" },
            { "contentType": "application/pdf", "url": "/other/Binary/ghi" },
            { "contentType": "application/pdf", "url": "https://elsewhere.example/letter.pdf" },
            { "contentType": "application/pdf", "url": "http://fhir.example.org/R4/Binary/x" },
            { "contentType": "application/pdf", "url": "https://fhir.example.org:8443/R4/Binary/x" },
            { "contentType": "application/pdf", "url": "//elsewhere.example/x.pdf" },
            { "contentType": "application/pdf", "url": "javascript:alert(1)" },
            { "contentType": "application/pdf", "url": "data:application/pdf;base64,AAAA" },
            { "contentType": "text/plain", "data": b64(&[b'x'; 2048]) },
            { "contentType": "text/plain", "data": b64(b"short"), "size": 999_999 },
            { "contentType": "application/msword", "data": b64(b"doc") },
            { "data": b64(b"what am I") },
            { "contentType": "text/plain" },
            { "contentType": "text/plain", "data": "not base64 !!" },
            { "contentType": "text/plain; charset=utf-8", "data": "aGVs\nbG8=" },
        ]));
        let at = |u: &str| Ok((DocumentKind::Pdf, Chosen::At(Url::parse(u).unwrap())));
        // (index, outcome) with a 1 KiB limit
        type Outcome = Result<(DocumentKind, Chosen), AttachmentError>;
        let table: Vec<(usize, Outcome)> = vec![
            (0, Ok((DocumentKind::Html, Chosen::Inline(letter.clone())))),
            (1, at("https://fhir.example.org/R4/Binary/abc")),
            (2, at("https://fhir.example.org/R4/Binary/def")),
            (3, at("https://fhir.example.org/other/Binary/ghi")),
            (4, Err(AttachmentError::ForeignUrl)),
            (5, Err(AttachmentError::ForeignUrl)),
            (6, Err(AttachmentError::ForeignUrl)),
            (7, Err(AttachmentError::ForeignUrl)),
            (8, Err(AttachmentError::ForeignUrl)),
            (9, Err(AttachmentError::ForeignUrl)),
            (
                10,
                Err(AttachmentError::TooLarge {
                    size: 2047,
                    limit: 1024,
                }),
            ),
            (
                11,
                Err(AttachmentError::TooLarge {
                    size: 999_999,
                    limit: 1024,
                }),
            ),
            (
                12,
                Err(AttachmentError::CannotShow("application/msword".into())),
            ),
            (13, Err(AttachmentError::NoType)),
            (14, Err(AttachmentError::NoContent)),
            (15, Err(AttachmentError::BadData)),
            (
                16,
                Ok((DocumentKind::Text, Chosen::Inline(b"hello".to_vec()))),
            ),
            (17, Err(AttachmentError::NoSuchAttachment(17))),
        ];
        for (index, expected) in table {
            assert_eq!(
                choose(&doc, index, &base, 1024),
                expected,
                "attachment {index}"
            );
        }
    }

    #[test]
    fn the_timeline_lists_every_attachment_and_which_can_be_shown() {
        let json = json!({ "resourceType": "DocumentReference", "id": "d1", "content": [
            { "attachment": { "contentType": "text/html; charset=utf-8", "data": "PHA+", "title": "Letter", "size": 3, "language": "en-GB", "creation": "2026-01-02" } },
            { "attachment": { "contentType": "application/pdf", "url": "Binary/1", "size": "2048" } },
            { "attachment": { "contentType": "application/rtf", "data": "e30=" } },
            { "attachment": { "contentType": "application/pdf" } },
            { "attachment": { "title": "   " } }
        ]});
        let listed = attachments(&json.to_string());
        let summary: Vec<(usize, Option<&str>, Option<u64>, bool)> = listed
            .iter()
            .map(|a| (a.index, a.content_type.as_deref(), a.size, a.viewable))
            .collect();
        assert_eq!(
            summary,
            [
                (0, Some("text/html"), Some(3), true),
                (1, Some("application/pdf"), Some(2048), true),
                (2, Some("application/rtf"), None, false),
                (3, Some("application/pdf"), None, false),
                (4, None, None, false),
            ]
        );
        assert_eq!(listed[0].title.as_deref(), Some("Letter"));
        assert_eq!(listed[0].language.as_deref(), Some("en-GB"));
        assert_eq!(listed[4].title, None);
        // A content list that cannot be read lists nothing (the entry itself is unaffected).
        assert!(attachments(r#"{"content":"not a list"}"#).is_empty());
        assert!(attachments("not json").is_empty());
    }
}
