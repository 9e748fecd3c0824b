//! The HTTP client for one source: GETs FHIR JSON with a deadline, a body-size cap, a
//! content-type check and few redirects (same origin only, no `Referer`: URLs carry NHS
//! numbers), and resolves `next` links only on the source's origin. Each request carries the
//! id of the portal request it serves (`X-Request-ID`, [`on_behalf_of`]) and is counted and
//! timed per source ([`crate::metrics`]).

use super::auth::{AuthError, SourceAuth};
use crate::config::SourceConfig;
use crate::fhir::{Bundle, BundleError};
use crate::metrics::SourceTimer;
use reqwest::header::{HeaderValue, ACCEPT, AUTHORIZATION, CONTENT_TYPE};
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use url::Url;

tokio::task_local! {
    /// The id of the portal request the current task is serving.
    static REQUEST_ID: Arc<str>;
}

/// Runs `work` on behalf of portal request `request_id`: every request it makes to a source
/// carries that id as `X-Request-ID`, so a source's logs meet the portal's (the same id is in
/// the portal's log lines, its audit events and its response's `X-Request-ID`). Work with no
/// portal request behind it (a CapabilityStatement read in the background, a notification
/// delivery) sends no such header.
pub async fn on_behalf_of<F: Future>(request_id: &str, work: F) -> F::Output {
    REQUEST_ID.scope(Arc::from(request_id), work).await
}

/// `request` with the current portal request's id, when there is one.
fn with_request_id(request: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
    let id = REQUEST_ID
        .try_with(|id| HeaderValue::from_str(id).ok())
        .ok()
        .flatten();
    match id {
        Some(id) => request.header("x-request-id", id),
        None => request,
    }
}

/// Why a source gave no usable answer. Messages are safe to show staff: no patient data.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    #[error("did not answer in time")]
    Timeout,
    #[error("could not be reached or the reply broke off ({0})")]
    Transport(String),
    #[error("answered HTTP {0}")]
    Http(u16),
    #[error("answered with {0:?} content, not FHIR JSON")]
    NotFhir(String),
    #[error("sent a reply larger than {0} bytes")]
    TooLarge(usize),
    #[error("sent an unreadable reply ({0})")]
    BadBundle(#[from] BundleError),
    #[error("sent a next-page link outside its own address")]
    ForeignNextLink,
    #[error("redirected to another address, or too often; not followed")]
    Redirected,
    #[error("sent an unusable reply: {0}")]
    Unusable(&'static str),
    #[error("HTTP client could not be built: {0}")]
    Client(String),
    #[error("is paused after repeated failures and will be asked again shortly")]
    CircuitOpen,
    #[error("holds more than {0} patients matching these details: add more details")]
    TooManyMatches(u32),
    #[error("could not be signed in to: {0}")]
    Auth(#[from] AuthError),
    /// The source holds a record it will not or cannot return (GP Connect's
    /// `NO_PATIENT_CONSENT` and `PATIENT_NOT_FOUND`): not a fault of the source.
    #[error("{0}")]
    Withheld(Withholding),
    /// The source refused the request with an error code of its own (GP Connect's
    /// `INVALID_PARAMETER`, `BAD_REQUEST`...): a fault on one side or the other, not retried.
    #[error("refused the request ({code})")]
    Refused { status: u16, code: String },
    /// The source offers no search by demographics (GP Connect: look up by NHS number).
    #[error("cannot be searched by name and date of birth: look the patient up by NHS number to include it")]
    NoDemographicSearch,
}

/// Why a source that may hold the patient's record returned none.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Withholding {
    /// The patient asked the practice not to share their record (`NO_PATIENT_CONSENT`).
    Dissent,
    /// The record could not be returned: the patient may have died, not be registered for GP
    /// services there, or have a record the practice does not share (`PATIENT_NOT_FOUND`).
    Unavailable,
}

impl Withholding {
    /// Why, in a few words for the identity check before a basis.
    pub fn briefly(self) -> &'static str {
        match self {
            Self::Dissent => "the patient asked their practice not to share their GP record",
            Self::Unavailable => {
                "it could not return a GP record for this number, though it may hold one"
            }
        }
    }
}

impl std::fmt::Display for Withholding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Dissent => "withheld the GP record: the patient has asked their practice not to share it",
            Self::Unavailable => "could not return a GP record for this patient (they may have died, not be registered there for GP services, or have a record the practice does not share): this does not mean nothing is recorded",
        })
    }
}

impl SourceError {
    /// True when the source answered for itself and is healthy (the circuit breaker does not
    /// count it as a failure).
    pub fn is_an_answer(&self) -> bool {
        matches!(self, Self::Withheld(_))
    }

    /// Failures worth one more try of an idempotent GET: the connection failed or broke, or a
    /// gateway said the server is briefly unavailable.
    fn is_retryable(&self) -> bool {
        matches!(self, Self::Transport(_) | Self::Http(502..=504))
    }
}

pub struct FhirClient {
    /// The configured source id (a metric label).
    source: Arc<str>,
    http: reqwest::Client,
    auth: SourceAuth,
    origin: url::Origin,
    max_body_bytes: usize,
    max_retries: u32,
}

impl FhirClient {
    pub fn new(config: &SourceConfig) -> Result<Self, SourceError> {
        let http = reqwest::Client::builder()
            .user_agent(concat!(
                "shared-care-record-viewer/",
                env!("CARGO_PKG_VERSION")
            ))
            .redirect(same_origin_redirects())
            // Request URLs carry NHS numbers: never repeat them to anyone.
            .referer(false)
            .connect_timeout(Duration::from_millis(config.timeout_ms.min(3_000)))
            .timeout(config.timeout())
            .pool_idle_timeout(Duration::from_secs(60));
        let http = match &config.tls {
            Some(tls) => tls.apply(http).map_err(SourceError::Client)?,
            None => http,
        }
        .build()
        .map_err(|e| SourceError::Client(e.to_string()))?;
        let auth = SourceAuth::new(&config.auth, http.clone())?;
        Ok(Self {
            source: Arc::from(config.id.as_str()),
            http,
            auth,
            origin: config.base_url.origin(),
            max_body_bytes: config.max_body_bytes,
            max_retries: config.max_retries,
        })
    }

    /// The configured id of the source this client asks.
    pub fn source_id(&self) -> &Arc<str> {
        &self.source
    }

    /// GETs one search page and parses it as a Bundle, retrying transient failures with
    /// jittered exponential backoff (the caller's deadline bounds the whole).
    pub async fn get_bundle(&self, url: &Url) -> Result<Bundle, SourceError> {
        let body = self.retrying(|| self.get_fhir_json(url)).await?;
        Ok(Bundle::parse(&body)?)
    }

    /// Runs `attempt` until it succeeds, fails in a way not worth another try, or has been
    /// tried again `max_retries` times, with jittered exponential backoff between tries (the
    /// caller's deadline bounds the whole).
    async fn retrying<T, F, Fut>(&self, mut attempt: F) -> Result<T, SourceError>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, SourceError>>,
    {
        let mut tries = 0;
        loop {
            match attempt().await {
                Err(error) if tries < self.max_retries && error.is_retryable() => {
                    tries += 1;
                    tokio::time::sleep(backoff(tries)).await;
                }
                other => return other,
            }
        }
    }

    async fn get_fhir_json(&self, url: &Url) -> Result<Vec<u8>, SourceError> {
        let (_, body) = self
            .get_body(url, "application/fhir+json", self.max_body_bytes, true)
            .await?;
        Ok(body)
    }

    /// GETs one resource (a FHIR read, `[base]/Type/id`) as FHIR JSON, at most `max_bytes`,
    /// retrying transient failures as [`FhirClient::get_bundle`] does.
    pub async fn get_resource(&self, url: &Url, max_bytes: usize) -> Result<Vec<u8>, SourceError> {
        self.retrying(|| self.get_body(url, "application/fhir+json", max_bytes, true))
            .await
            .map(|(_, body)| body)
    }

    /// GETs a document's content at `url` (which must be on the source's origin), any
    /// content type, at most `max_bytes`: the content type's essence and the bytes. Never
    /// cached, never retried (the clinician can ask again).
    pub async fn get_content(
        &self,
        url: &Url,
        accept: &str,
        max_bytes: usize,
    ) -> Result<(String, Vec<u8>), SourceError> {
        if url.origin() != self.origin {
            return Err(SourceError::Unusable(
                "a document address outside the source",
            ));
        }
        self.get_body(url, accept, max_bytes, false).await
    }

    /// POSTs a FHIR `batch` Bundle of searches to the base URL and returns the reply's bytes
    /// (FHIR JSON, at most the source's body cap), retrying transient failures as
    /// [`FhirClient::get_bundle`] does: a batch of searches changes nothing at the source.
    pub async fn post_batch(&self, url: &Url, bundle: &[u8]) -> Result<Vec<u8>, SourceError> {
        self.retrying(|| {
            self.exchange(
                url,
                "application/fhir+json",
                Some(bundle),
                self.max_body_bytes,
                true,
            )
        })
        .await
        .map(|(_, body)| body)
    }

    /// One GET (and one more with a new token after a 401): the reply's content type essence
    /// and body, refused when not a success, larger than `max_bytes`, or (`fhir_only`) not
    /// FHIR JSON.
    async fn get_body(
        &self,
        url: &Url,
        accept: &str,
        max_bytes: usize,
        fhir_only: bool,
    ) -> Result<(String, Vec<u8>), SourceError> {
        self.exchange(url, accept, None, max_bytes, fhir_only).await
    }

    /// As [`FhirClient::get_body`], a FHIR JSON POST of `body` when given; counted and timed
    /// as one request (with its one more try after a refused token).
    async fn exchange(
        &self,
        url: &Url,
        accept: &str,
        body: Option<&[u8]>,
        max_bytes: usize,
        fhir_only: bool,
    ) -> Result<(String, Vec<u8>), SourceError> {
        let timer = SourceTimer::request(&self.source);
        let result = async {
            let mut response = self.send(url, accept, body).await?;
            if response.status() == reqwest::StatusCode::UNAUTHORIZED && self.auth.is_token_based()
            {
                // The token may have been revoked early: one more try with a new one.
                self.auth.invalidate();
                response = self.send(url, accept, body).await?;
            }
            self.read_reply(response, max_bytes, fhir_only).await
        }
        .await;
        timer.finish(&result);
        result
    }

    /// A reply's content type essence and body, refused when not a success, larger than
    /// `max_bytes`, or (`fhir_only`) not FHIR JSON.
    async fn read_reply(
        &self,
        response: reqwest::Response,
        max_bytes: usize,
        fhir_only: bool,
    ) -> Result<(String, Vec<u8>), SourceError> {
        let status = response.status();
        if !status.is_success() {
            return Err(SourceError::Http(status.as_u16()));
        }
        let reply = read_body(response, max_bytes).await?;
        if fhir_only && !reply.is_fhir_json() {
            return Err(SourceError::NotFhir(reply.content_type));
        }
        Ok((reply.content_type, reply.body))
    }

    /// POSTs a FHIR operation's `Parameters` with the given headers (which carry their own
    /// authorisation: GP Connect's JWT and Spine headers) and returns the reply whatever its
    /// status, at most the source's body cap, so the caller can read an error's
    /// OperationOutcome. Connection failures and gateway errors (502/503/504) are tried again
    /// as [`FhirClient::get_bundle`] does: the operation only reads.
    pub async fn post_operation(
        &self,
        url: &Url,
        headers: reqwest::header::HeaderMap,
        body: &[u8],
    ) -> Result<Reply, SourceError> {
        self.retrying(|| async {
            let timer = SourceTimer::request(&self.source);
            let result = async {
                let request = self
                    .http
                    .post(url.clone())
                    .headers(headers.clone())
                    .header(ACCEPT, "application/fhir+json")
                    .header(CONTENT_TYPE, "application/fhir+json")
                    .body(body.to_vec());
                let response = with_request_id(request)
                    .send()
                    .await
                    .map_err(transport_error)?;
                let reply = read_body(response, self.max_body_bytes).await?;
                match reply.status {
                    502..=504 => Err(SourceError::Http(reply.status)),
                    _ => Ok(reply),
                }
            }
            .await;
            timer.finish(&result);
            result
        })
        .await
    }

    /// A GET, or with `body` a FHIR JSON POST, with the source's authorisation.
    async fn send(
        &self,
        url: &Url,
        accept: &str,
        body: Option<&[u8]>,
    ) -> Result<reqwest::Response, SourceError> {
        let mut request = match body {
            None => self.http.get(url.clone()),
            Some(body) => self
                .http
                .post(url.clone())
                .header(CONTENT_TYPE, "application/fhir+json")
                .body(body.to_vec()),
        }
        .header(ACCEPT, accept);
        request = with_request_id(request);
        if let Some(authorization) = self.auth.authorization().await? {
            request = request.header(AUTHORIZATION, authorization);
        }
        request.send().await.map_err(transport_error)
    }

    /// POSTs a FHIR resource (notifications), as a conditional create when `if_none_exist`
    /// is given. Any 2xx is success (200 to a conditional create: the recipient already holds
    /// it); so is 412 to a conditional create, which says the recipient holds more than one
    /// match. Not retried here: the caller's outbox retries until delivered.
    pub async fn post_json(
        &self,
        url: &Url,
        body: &[u8],
        if_none_exist: Option<&str>,
    ) -> Result<(), SourceError> {
        let timer = SourceTimer::request(&self.source);
        let result = self.post_json_untimed(url, body, if_none_exist).await;
        timer.finish(&result);
        result
    }

    async fn post_json_untimed(
        &self,
        url: &Url,
        body: &[u8],
        if_none_exist: Option<&str>,
    ) -> Result<(), SourceError> {
        let mut request = self
            .http
            .post(url.clone())
            .header(ACCEPT, "application/fhir+json")
            .header(CONTENT_TYPE, "application/fhir+json")
            .body(body.to_vec());
        if let Some(search) = if_none_exist {
            request = request.header("If-None-Exist", search);
        }
        request = with_request_id(request);
        if let Some(authorization) = self.auth.authorization().await? {
            request = request.header(AUTHORIZATION, authorization);
        }
        let response = request.send().await.map_err(transport_error)?;
        let status = response.status();
        let held_already =
            if_none_exist.is_some() && status == reqwest::StatusCode::PRECONDITION_FAILED;
        if held_already {
            tracing::warn!(source = %self.source, "the recipient holds a notification more than once");
        }
        if status.is_success() || held_already {
            Ok(())
        } else {
            Err(SourceError::Http(status.as_u16()))
        }
    }

    /// Resolves a `next` link (absolute or relative to the current page) and refuses one that
    /// points at another origin, which could leak credentials or send us anywhere.
    pub fn next_page_url(&self, current: &Url, next: &str) -> Result<Url, SourceError> {
        let url = current
            .join(next)
            .map_err(|_| SourceError::Unusable("a next-page link is not a URL"))?;
        if url.origin() != self.origin {
            return Err(SourceError::ForeignNextLink);
        }
        Ok(url)
    }
}

/// At most `MAX_REDIRECTS` redirects, each to the origin the request was sent to: another origin
/// could be anyone, and would learn the NHS number in the URL and any credentials.
fn same_origin_redirects() -> reqwest::redirect::Policy {
    const MAX_REDIRECTS: usize = 3;
    reqwest::redirect::Policy::custom(|attempt| {
        let same_origin = attempt
            .previous()
            .first()
            .is_some_and(|first| first.origin() == attempt.url().origin());
        if !same_origin {
            attempt.error("redirect to another origin")
        } else if attempt.previous().len() > MAX_REDIRECTS {
            attempt.error("too many redirects")
        } else {
            attempt.follow()
        }
    })
}

/// Full jitter: uniform in `0..=50 ms · 2^(attempt-1)`, so retries from many views spread out.
fn backoff(attempt: u32) -> Duration {
    use std::hash::{BuildHasher, Hasher};
    let ceiling_ms = 50u64 << (attempt.min(6) - 1);
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u32(attempt);
    Duration::from_millis(hasher.finish() % (ceiling_ms + 1))
}

fn transport_error(e: reqwest::Error) -> SourceError {
    if e.is_timeout() {
        SourceError::Timeout
    } else if e.is_redirect() {
        SourceError::Redirected
    } else if e.is_connect() {
        SourceError::Transport("connection refused or failed".into())
    } else if e.is_body() || e.is_decode() {
        SourceError::Transport("the reply was cut off".into())
    } else {
        SourceError::Transport("request failed".into())
    }
}

/// A reply as it came: status, content type essence and body.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub content_type: String,
    pub body: Vec<u8>,
}

impl Reply {
    /// Whether the body says it is FHIR JSON (or plain JSON, as some servers label it).
    pub fn is_fhir_json(&self) -> bool {
        matches!(
            self.content_type.as_str(),
            "application/fhir+json" | "application/json"
        )
    }
}

/// Reads a reply's status, content type essence and body, refusing a body over `max_bytes`.
async fn read_body(
    mut response: reqwest::Response,
    max_bytes: usize,
) -> Result<Reply, SourceError> {
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    let content_type = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_owned();
    if response
        .content_length()
        .is_some_and(|n| n > max_bytes as u64)
    {
        return Err(SourceError::TooLarge(max_bytes));
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(transport_error)? {
        if body.len() + chunk.len() > max_bytes {
            return Err(SourceError::TooLarge(max_bytes));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Reply {
        status,
        content_type,
        body,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::SourceConfig;
    use std::sync::Arc;

    fn client() -> FhirClient {
        let source: SourceConfig = toml::from_str(
            "id = \"gp\"\nname = \"GP\"\norganisation_code = \"A1\"\nkind = \"gp\"\nbase_url = \"https://fhir.example.org/R4\"",
        )
        .unwrap();
        FhirClient::new(&source).unwrap()
    }

    #[test]
    fn only_transient_failures_are_retried() {
        for (error, retry) in [
            (SourceError::Transport("reset".into()), true),
            (SourceError::Http(502), true),
            (SourceError::Http(503), true),
            (SourceError::Http(504), true),
            (SourceError::Http(500), false),
            (SourceError::Http(404), false),
            (SourceError::Timeout, false),
            (SourceError::NotFhir("text/html".into()), false),
            (SourceError::TooLarge(1), false),
        ] {
            assert_eq!(error.is_retryable(), retry, "{error:?}");
        }
    }

    #[test]
    fn backoff_stays_under_its_ceiling() {
        for attempt in 1..=10 {
            let ceiling = Duration::from_millis(50 << (attempt.min(6) - 1));
            assert!((0..20).all(|_| backoff(attempt) <= ceiling));
        }
    }

    /// A FHIR server on 127.0.0.1 whose routes are `router`, counting requests and keeping
    /// the `Referer` headers it was sent.
    async fn serve(
        router: axum::Router,
    ) -> (
        String,
        Arc<std::sync::atomic::AtomicUsize>,
        Arc<std::sync::Mutex<Vec<String>>>,
    ) {
        use std::sync::atomic::Ordering;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let count = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let referers = Arc::new(std::sync::Mutex::new(Vec::new()));
        let (c, r) = (count.clone(), referers.clone());
        let router = router.layer(axum::middleware::from_fn(
            move |request: axum::extract::Request, next: axum::middleware::Next| {
                let (c, r) = (c.clone(), r.clone());
                async move {
                    c.fetch_add(1, Ordering::SeqCst);
                    if let Some(referer) = request.headers().get("referer") {
                        r.lock().unwrap().push(referer.to_str().unwrap().to_owned());
                    }
                    next.run(request).await
                }
            },
        ));
        tokio::spawn(async move { axum::serve(listener, router).await });
        (base, count, referers)
    }

    fn client_for(base: &str) -> FhirClient {
        let source: SourceConfig = toml::from_str(&format!(
            "id = \"gp\"\nname = \"GP\"\norganisation_code = \"A1\"\nkind = \"gp\"\nbase_url = \"{base}/R4\"\nmax_retries = 0"
        ))
        .unwrap();
        FhirClient::new(&source).unwrap()
    }

    #[tokio::test]
    async fn redirects_stay_on_the_source_origin_and_carry_no_referer() {
        use axum::response::Redirect;
        use axum::routing::get;
        use std::sync::atomic::Ordering;
        let bundle = || async {
            (
                [("content-type", "application/fhir+json")],
                r#"{"resourceType":"Bundle","type":"searchset","entry":[]}"#,
            )
        };
        let (elsewhere, elsewhere_count, _) =
            serve(axum::Router::new().fallback(get(bundle))).await;
        let to_elsewhere = format!("{elsewhere}/R4/Condition?patient=9434765919");
        let (source, _, referers) = serve(
            axum::Router::new()
                .route(
                    "/R4/Condition",
                    get(move || {
                        let to = to_elsewhere.clone();
                        async move { Redirect::temporary(&to) }
                    }),
                )
                .route(
                    "/R4/Moved",
                    get(|| async { Redirect::temporary("/R4/Here?patient=9434765919") }),
                )
                .route("/R4/Here", get(bundle))
                .route(
                    "/R4/Loop",
                    get(|| async { Redirect::temporary("/R4/Loop") }),
                ),
        )
        .await;
        let client = client_for(&source);
        let url = |path: &str| Url::parse(&format!("{source}/R4/{path}")).unwrap();

        let refused = client
            .get_bundle(&url("Condition?patient=9434765919"))
            .await
            .unwrap_err();
        assert!(matches!(refused, SourceError::Redirected), "{refused:?}");
        assert_eq!(
            elsewhere_count.load(Ordering::SeqCst),
            0,
            "the other origin was never asked"
        );

        client
            .get_bundle(&url("Moved?patient=9434765919"))
            .await
            .expect("a same-origin redirect is followed");
        let looping = client.get_bundle(&url("Loop")).await.unwrap_err();
        assert!(matches!(looping, SourceError::Redirected), "{looping:?}");
        assert_eq!(
            *referers.lock().unwrap(),
            Vec::<String>::new(),
            "no Referer, not even on the same origin"
        );
    }

    /// Inside [`on_behalf_of`] every request carries the portal request's id; outside it
    /// (background work) none does.
    #[tokio::test]
    async fn requests_carry_the_portal_request_id_only_on_behalf_of_a_request() {
        use axum::http::HeaderMap;
        use axum::routing::get;
        let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
        let record = seen.clone();
        let router = axum::Router::new().fallback(get(move |headers: HeaderMap| {
            let id = headers
                .get("x-request-id")
                .map(|v| v.to_str().unwrap().to_owned());
            record.lock().unwrap().push(id);
            async {
                (
                    [("content-type", "application/fhir+json")],
                    r#"{"resourceType":"Bundle","type":"searchset","entry":[]}"#,
                )
            }
        }));
        let (source, _, _) = serve(router).await;
        let client = client_for(&source);
        let url = Url::parse(&format!("{source}/R4/Patient?identifier=x")).unwrap();
        on_behalf_of("req-1234", client.get_bundle(&url))
            .await
            .unwrap();
        client.get_bundle(&url).await.unwrap();
        assert_eq!(*seen.lock().unwrap(), [Some("req-1234".to_owned()), None]);
    }

    #[test]
    fn next_links_resolve_on_the_same_origin_only() {
        let c = client();
        let current =
            Url::parse("https://fhir.example.org/R4/Condition?patient=1&_count=2").unwrap();
        for (next, expected) in [
            (
                "https://fhir.example.org/R4/Condition?page=2",
                Some("https://fhir.example.org/R4/Condition?page=2"),
            ),
            (
                "Condition?page=3",
                Some("https://fhir.example.org/R4/Condition?page=3"),
            ),
            (
                "/R4/Condition?page=4",
                Some("https://fhir.example.org/R4/Condition?page=4"),
            ),
            ("https://evil.example.com/R4/Condition?page=2", None),
            ("http://fhir.example.org/R4/Condition?page=2", None),
            ("https://fhir.example.org:8443/R4/Condition?page=2", None),
        ] {
            let got = c.next_page_url(&current, next).ok().map(|u| u.to_string());
            assert_eq!(got.as_deref(), expected, "{next}");
        }
    }
}
