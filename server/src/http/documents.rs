//! `GET /api/v1/patients/{nhs_number}/documents/{source}/{id}/{n}`: one attachment of a
//! document, opened through the portal (see [`crate::documents`]): text and HTML in a portal
//! page, PDF passed to the browser's viewer inline, any other type refused with a message.
//! Failures are mapped to HTTP here, once: JSON for API clients, a page for browsers.

use super::api::{ApiError, ApiPath};
use super::ApiState;
use crate::documents::{self, page, DocumentError};
use app::api::LookupError;
use app::api::RecordService;
use app::auth::Caller;
use axum::extract::{Extension, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::Json;

/// What a PDF may do in the browser: nothing but be shown by the browser's own viewer, never
/// framed by another page.
const PDF_CSP: &str = "default-src 'none'; object-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

pub async fn open_document(
    State(state): State<ApiState>,
    Extension(caller): Extension<Caller>,
    ApiPath((nhs_number, source, id, index)): ApiPath<(String, String, String, String)>,
    headers: HeaderMap,
) -> Response {
    let browser = wants_html(&headers);
    let nhs = match state.records.patient(&caller, &nhs_number).await {
        Ok(nhs) => nhs,
        Err(error) => return refusal(DocumentError::Lookup(error), browser),
    };
    let Ok(index) = index.parse::<usize>() else {
        let error =
            LookupError::InvalidInput("the attachment number must be a whole number".into());
        return refusal(DocumentError::Lookup(error), browser);
    };
    let opened = match documents::open(
        &state.records,
        &state.documents,
        &caller,
        nhs,
        (&source, &id),
        index,
    )
    .await
    {
        Ok(opened) => opened,
        Err(error) => return refusal(error, browser),
    };
    let mut response = match page::document_page(&opened, nhs) {
        Some(html) => Html(html).into_response(),
        None => {
            let mut response = opened.bytes.into_response();
            let headers = response.headers_mut();
            headers.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/pdf"),
            );
            headers.insert(
                header::CONTENT_DISPOSITION,
                HeaderValue::from_static("inline; filename=\"document.pdf\""),
            );
            headers.insert(
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static(PDF_CSP),
            );
            response
        }
    };
    harden(&mut response);
    response
}

/// Headers every answer of this route carries, whatever the outer layers add.
fn harden(response: &mut Response) {
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
}

/// True when the request prefers a page (a browser following a link) over JSON.
fn wants_html(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| accept.contains("text/html"))
}

/// The one mapping of a document failure to HTTP. Refusals made before the document was
/// read are answered exactly as the entry route answers them (so a withheld document and an
/// unknown one give the same status and body).
fn refusal(error: DocumentError, browser: bool) -> Response {
    use crate::fhir::document::AttachmentError as A;
    let (status, code) = match &error {
        DocumentError::Lookup(lookup) => {
            let api = ApiError::Lookup(lookup.clone()).into_response();
            if !browser {
                let mut api = api;
                harden(&mut api);
                return api;
            }
            (api.status(), "")
        }
        DocumentError::Attachment(A::NoSuchAttachment(_))
        | DocumentError::Gone { .. }
        | DocumentError::EnteredInError { .. } => (StatusCode::NOT_FOUND, "not-found"),
        DocumentError::Attachment(A::CannotShow(_) | A::NoType) => {
            (StatusCode::UNSUPPORTED_MEDIA_TYPE, "cannot-show")
        }
        DocumentError::Attachment(A::TooLarge { .. }) | DocumentError::TooLarge { .. } => {
            (StatusCode::PAYLOAD_TOO_LARGE, "too-large")
        }
        DocumentError::Attachment(A::ForeignUrl | A::BadUrl) => {
            (StatusCode::BAD_GATEWAY, "document-refused")
        }
        DocumentError::Attachment(A::NoContent | A::BadData) | DocumentError::Unreadable { .. } => {
            (StatusCode::BAD_GATEWAY, "document-unreadable")
        }
        DocumentError::Timeout { .. } => (StatusCode::GATEWAY_TIMEOUT, "source-failed"),
        DocumentError::Source { .. } => (StatusCode::BAD_GATEWAY, "source-failed"),
    };
    let message = error.to_string();
    let mut response = if browser {
        let title = match status {
            StatusCode::NOT_FOUND => "Document not found",
            StatusCode::UNSUPPORTED_MEDIA_TYPE => "Document cannot be shown here",
            StatusCode::PAYLOAD_TOO_LARGE => "Document too large to show",
            StatusCode::FORBIDDEN | StatusCode::UNAUTHORIZED => "Document not available",
            _ => "Document could not be shown",
        };
        (status, Html(page::refusal_page(title, &message))).into_response()
    } else {
        (
            status,
            Json(serde_json::json!({ "error": code, "message": message })),
        )
            .into_response()
    };
    harden(&mut response);
    response
}
