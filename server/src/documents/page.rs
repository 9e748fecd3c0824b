//! The portal page a document is shown in: the portal's header, what the document is and
//! where it came from, then its text (escaped) or its HTML (sanitised). Also the page a
//! refusal is shown in when a browser opened the document.

use super::sanitise::clinical_html;
use super::Opened;
use crate::web::escape;
use app::document::DocumentKind;
use app::nhs_number::NhsNumber;

/// The `data-testid` of the document's content on its page.
pub const CONTENT_ID: &str = "document-content";

/// The page showing a text or HTML document; `None` for a PDF (sent as it is).
pub fn document_page(opened: &Opened, nhs: NhsNumber) -> Option<String> {
    let content = match opened.kind {
        DocumentKind::Pdf => return None,
        DocumentKind::Text => format!(
            r#"<pre data-testid="{CONTENT_ID}" class="whitespace-pre-wrap break-words rounded bg-white p-4 font-mono text-sm shadow">{}</pre>"#,
            escape(&String::from_utf8_lossy(&opened.bytes))
        ),
        DocumentKind::Html => format!(
            r#"<article data-testid="{CONTENT_ID}" class="rounded bg-white p-4 shadow [&_h1]:mb-2 [&_h1]:text-xl [&_h1]:font-bold [&_h2]:mt-4 [&_h2]:mb-1 [&_h2]:text-lg [&_h2]:font-semibold [&_h3]:mt-3 [&_h3]:font-semibold [&_p]:my-2 [&_ul]:list-disc [&_ul]:pl-6 [&_ol]:list-decimal [&_ol]:pl-6 [&_table]:my-2 [&_table]:border-collapse [&_td]:border [&_td]:border-slate-300 [&_td]:px-2 [&_td]:py-1 [&_th]:border [&_th]:border-slate-300 [&_th]:bg-slate-100 [&_th]:px-2 [&_th]:py-1 [&_th]:text-left">{}</article>"#,
            clinical_html(&String::from_utf8_lossy(&opened.bytes))
        ),
    };
    let entry = &opened.entry;
    let date = entry
        .date
        .as_ref()
        .map(|d| format!(", {}", d.display()))
        .unwrap_or_default();
    let about = format!(
        "From {}{date}. {}.",
        opened.source_name,
        if opened.label.is_empty() {
            "Document"
        } else {
            &opened.label
        }
    );
    let note = match opened.kind {
        DocumentKind::Html => "Shown as the organisation sent it, with scripts, styles, images, forms and links removed.",
        _ => "Shown as the organisation sent it.",
    };
    let body = format!(
        r#"<p class="text-slate-700">{about}</p>
<p class="mt-1 mb-4 text-sm text-slate-700">{note} <a class="font-semibold text-[#005eb8] underline" href="/record?nhs={nhs}">Back to the record</a></p>
{content}"#,
        about = escape(&about),
        nhs = nhs.as_digits(),
    );
    Some(shell(&entry.title, &body))
}

/// The page a browser is shown when a document is refused or cannot be shown.
pub fn refusal_page(title: &str, message: &str) -> String {
    let body = format!(
        r#"<p data-testid="document-refusal" class="rounded border-l-4 border-red-700 bg-red-50 p-4">{}</p>
<p class="mt-4"><a class="font-semibold text-[#005eb8] underline" href="/">Back to the start</a></p>"#,
        escape(message)
    );
    shell(title, &body)
}

/// The portal's page frame (no script: the page's policy allows none).
fn shell(title: &str, body: &str) -> String {
    format!(
        r#"<!DOCTYPE html><html lang="en-GB"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>{title} - Shared care record</title><link rel="stylesheet" href="/pkg/app.css"></head><body class="bg-slate-100 text-slate-900"><header class="bg-[#005eb8] text-white"><div class="mx-auto max-w-6xl px-4 py-3 text-lg font-semibold">Shared care record</div></header><main class="mx-auto max-w-4xl px-4 py-6"><h1 class="mb-2 text-2xl font-bold" data-testid="document-title">{title}</h1>{body}</main></body></html>"#,
        title = escape(title),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use app::model::{Category, TimelineEntry};

    fn opened(kind: DocumentKind, bytes: &[u8]) -> Opened {
        Opened {
            kind,
            bytes: bytes.to_vec(),
            entry: TimelineEntry {
                date: None,
                category: Category::Document,
                title: "Letter <b>".into(),
                detail: None,
                status: None,
                source_id: "acute".into(),
                resource_type: "DocumentReference".into(),
                resource_id: "d1".into(),
                codes: Vec::new(),
                security: Vec::new(),
                also_recorded_at: Vec::new(),
                discrepancy: None,
                measurement: None,
                attachments: Vec::new(),
                until: None,
                setting: None,
                reason_codes: Vec::new(),
                reason_refs: Vec::new(),
                entered_in_error: false,
                full_detail: None,
            },
            source_name: "Northgate".into(),
            label: "Letter (text)".into(),
        }
    }

    #[test]
    fn text_is_escaped_and_html_sanitised_on_the_page() {
        let nhs = NhsNumber::parse("9434765919").unwrap();
        let text = document_page(
            &opened(
                DocumentKind::Text,
                b"<script>window.__xss=1</script> & done",
            ),
            nhs,
        )
        .unwrap();
        assert!(text.contains("&lt;script&gt;window.__xss=1&lt;/script&gt; &amp; done"));
        assert!(!text.contains("<script"));
        assert!(text.contains("Letter &lt;b&gt; - Shared care record"));
        let html = document_page(
            &opened(
                DocumentKind::Html,
                b"<h2>Plan</h2><script>window.__xss=1</script><img src=x onerror=y()>",
            ),
            nhs,
        )
        .unwrap();
        assert!(html.contains("<h2>Plan</h2></article>"), "{html}");
        assert!(!html.contains("__xss") && !html.contains("onerror"));
        assert!(document_page(&opened(DocumentKind::Pdf, b"%PDF-1.4"), nhs).is_none());
        let refusal = refusal_page("Not shown", "it <is> refused");
        assert!(refusal.contains("it &lt;is&gt; refused"));
    }
}
