//! Fault injection for the demo sources: the ways real FHIR servers and the networks in front of
//! them break, so tests can prove each costs only its own source's part of the view.

use axum::body::{Body, Bytes};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use futures::stream;

/// How a faulty source answers every request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// HTTP 500 with an OperationOutcome.
    Http500,
    /// The real reply cut in half: valid HTTP, broken JSON.
    TruncatedJson,
    /// HTTP 200 with an HTML page, as a proxy or login page sends.
    HtmlErrorPage,
    /// Never answers.
    Hang,
    /// Sends headers and half the body, then drops the connection.
    ResetMidBody,
    /// Streams a body far larger than any sane reply (64 MiB, no Content-Length).
    OversizedBody,
    /// The first request for each URL gets HTTP 503, as a briefly overloaded gateway answers;
    /// asking the same URL again succeeds.
    FirstTry503,
}

impl Failure {
    pub const ALL: [Failure; 7] = [
        Self::Http500,
        Self::TruncatedJson,
        Self::HtmlErrorPage,
        Self::Hang,
        Self::ResetMidBody,
        Self::OversizedBody,
        Self::FirstTry503,
    ];

    /// Turns the reply the source would have sent into this failure. `first_try` says whether
    /// this URL is asked for the first time.
    pub async fn apply(self, reply: Response, first_try: bool) -> Response {
        match self {
            Self::FirstTry503 if first_try => {
                (StatusCode::SERVICE_UNAVAILABLE, fhir_json(), OUTCOME_503).into_response()
            }
            Self::FirstTry503 => reply,
            Self::Http500 => {
                (StatusCode::INTERNAL_SERVER_ERROR, fhir_json(), OUTCOME_500).into_response()
            }
            Self::HtmlErrorPage => (
                StatusCode::OK,
                [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
                "<html><body><h1>Service unavailable</h1></body></html>",
            )
                .into_response(),
            Self::Hang => std::future::pending().await,
            Self::TruncatedJson => {
                let body = body_bytes(reply).await;
                (StatusCode::OK, fhir_json(), body.slice(..body.len() / 2)).into_response()
            }
            Self::ResetMidBody => {
                let body = body_bytes(reply).await;
                let half = body.slice(..body.len() / 2);
                let chunks = stream::iter([
                    Ok::<Bytes, std::io::Error>(half),
                    Err(std::io::Error::new(
                        std::io::ErrorKind::ConnectionReset,
                        "injected reset",
                    )),
                ]);
                let mut response =
                    (StatusCode::OK, fhir_json(), Body::from_stream(chunks)).into_response();
                // Promise the whole length, deliver half: the client sees the connection break.
                if let Ok(length) = HeaderValue::from_str(&body.len().to_string()) {
                    response
                        .headers_mut()
                        .insert(header::CONTENT_LENGTH, length);
                }
                response
            }
            Self::OversizedBody => {
                let chunk = Bytes::from(vec![b' '; 64 * 1024]);
                let head = stream::once(async {
                    Ok::<Bytes, std::io::Error>(Bytes::from_static(
                        b"{\"resourceType\":\"Bundle\",\"entry\":[",
                    ))
                });
                let padding = stream::iter((0..1024).map(move |_| Ok(chunk.clone())));
                let body = Body::from_stream(futures::StreamExt::chain(head, padding));
                (StatusCode::OK, fhir_json(), body).into_response()
            }
        }
    }
}

const OUTCOME_503: &str = r#"{"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"transient","diagnostics":"Service unavailable (injected fault)"}]}"#;

const OUTCOME_500: &str = r#"{"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"exception","diagnostics":"Internal error (injected fault)"}]}"#;

fn fhir_json() -> [(header::HeaderName, &'static str); 1] {
    [(header::CONTENT_TYPE, "application/fhir+json; charset=utf-8")]
}

async fn body_bytes(reply: Response) -> Bytes {
    axum::body::to_bytes(reply.into_body(), usize::MAX)
        .await
        .unwrap_or_default()
}
