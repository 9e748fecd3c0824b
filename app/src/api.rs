//! The server-function boundary: the calls the browser may make, and the service trait the
//! server implements behind them. Each server function is one line that takes the service from
//! context, so every rule lives on the server side of this trait.

use crate::auth::{SignInOption, SignedIn};
use crate::consent::{BasisPrompt, ConsentUnknownNotice, DissentNotice};
use crate::model::{DemoPatient, PatientRecord, TimelineEntry};
use crate::nhs_number::NhsNumberError;
use crate::patient_search::{SearchError, SearchResults};
use leptos::prelude::*;
use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
pub use service::*;

/// Why a lookup produced no record. Each variant's message is written for the person using the
/// portal and contains no patient data beyond what they typed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum LookupError {
    #[error("{0}")]
    InvalidNhsNumber(NhsNumberError),
    #[error("{0}")]
    InvalidSearch(SearchError),
    #[error("{0}.")]
    InvalidInput(String),
    #[error("You are not signed in, or your session has ended. Sign in again.")]
    NotSignedIn,
    #[error("Not available: {0}.")]
    Forbidden(String),
    #[error("Record why you are opening this patient's record.")]
    BasisRequired(BasisPrompt),
    #[error("That reason cannot be used: {0}.")]
    BasisRefused(String),
    #[error("The patient has asked for their record not to be shared.")]
    Dissent(Box<DissentNotice>),
    #[error("The patient's wishes about sharing could not be checked.")]
    ConsentUnknown(Box<ConsentUnknownNotice>),
    #[error("Withheld: {0}.")]
    Withheld(String),
    #[error("Not found: {0}.")]
    NotFound(String),
    #[error("Too many requests: {0}.")]
    TooManyRequests(String),
    /// Something inside the portal failed (a store could not be read or written): said in
    /// fixed words, as the cause is the server's business (it logs it with the request id).
    #[error("{0}")]
    Unavailable(Outage),
    /// The server function could not be called or its answer read (the network, a proxy):
    /// the framework's own words go to the console, not the page.
    #[error(
        "The portal could not be reached, or its answer could not be read. Check the connection and try again."
    )]
    Transport,
}

/// What inside the portal failed when a request could not be answered, each said in fixed
/// words that are true and say what to do. Only the kind crosses the wire: the cause (a
/// database's or library's own text, naming tables, files and queries) is logged on the
/// server with the request id and is never sent to a browser or an API client.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(rename_all = "kebab-case")]
pub enum Outage {
    /// The audit trail could not be read (a search, a report, an export, the chain check).
    #[error(
        "The audit store could not be read; try again, and tell the service desk if it keeps happening."
    )]
    AuditRead,
    /// An audit event could not be written, so what it was to record was not done or shown.
    #[error(
        "The audit trail could not be written, so nothing was shown or changed; try again, and tell the service desk if it keeps happening."
    )]
    AuditWrite,
    /// A view's audit event could not be written: no patient data leaves the server unaudited.
    #[error(
        "The audit trail could not be written, so no patient data is shown; try again, and tell the service desk if it keeps happening."
    )]
    ViewNotAudited,
    /// The child-protection notification outbox could not be read (the operations page).
    #[error(
        "Notification status could not be read; try again, and tell the service desk if it keeps happening."
    )]
    DeliveryStatus,
    /// The shared session store could not be read, so no one can be told apart.
    #[error(
        "Your sign-in could not be checked just now; try again, and tell the service desk if it keeps happening."
    )]
    Sessions,
    /// The server was started without a service this call needs (a wiring fault).
    #[error("This part of the portal is not set up on this server; tell the service desk.")]
    NotConfigured,
}

impl LookupError {
    /// Which rule this refusal comes from, as the audit trail names it; `None` for what is not
    /// a refusal (the service unavailable, the portal unreachable, nothing found), and for
    /// `NotSignedIn`, which is never audited: with no one signed in there is no one to
    /// attribute it to, and an unauthenticated caller must not be able to grow the
    /// append-only trail (README, "Audit trail").
    pub fn refusal_kind(&self) -> Option<crate::audit_terms::RefusalKind> {
        use crate::audit_terms::RefusalKind as Kind;
        Some(match self {
            Self::InvalidNhsNumber(_) => Kind::InvalidNhsNumber,
            Self::InvalidSearch(_) | Self::InvalidInput(_) => Kind::InvalidRequest,
            Self::Forbidden(_) => Kind::Role,
            Self::BasisRequired(_) => Kind::NoBasis,
            Self::BasisRefused(_) => Kind::BasisRefused,
            Self::Dissent(_) => Kind::Dissent,
            Self::ConsentUnknown(_) => Kind::ConsentUnknown,
            Self::Withheld(_) => Kind::Withheld,
            Self::TooManyRequests(_) => Kind::RateLimited,
            Self::NotSignedIn | Self::NotFound(_) | Self::Unavailable(_) | Self::Transport => {
                return None
            }
        })
    }

    /// The stable machine code this error is sent with: the JSON API's `error` field, for
    /// handlers and the access layer alike. Codes are part of the API (`openapi.json`): never
    /// change one, only add.
    pub fn code(&self) -> &'static str {
        match self {
            Self::InvalidNhsNumber(_) => "invalid-nhs-number",
            Self::InvalidSearch(_) => "invalid-search",
            Self::InvalidInput(_) => "invalid-input",
            Self::NotSignedIn => "unauthenticated",
            Self::Forbidden(_) => "forbidden",
            Self::BasisRequired(_) => "basis-required",
            Self::BasisRefused(_) => "basis-refused",
            Self::Dissent(_) => "dissent",
            Self::ConsentUnknown(_) => "consent-unknown",
            Self::Withheld(_) => "withheld",
            Self::NotFound(_) => "not-found",
            Self::TooManyRequests(_) => "too-many-requests",
            Self::Unavailable(_) | Self::Transport => "unavailable",
        }
    }
}

impl FromServerFnError for LookupError {
    type Encoder = JsonEncoding;

    /// The framework's own failures: on the server, a request whose fields could not be read;
    /// in the browser, the portal not reached or its answer unreadable. The framework's words
    /// (a serde or fetch message) never reach the page. They go to the browser's console only:
    /// a decoding error can quote what was sent, an NHS number among it, and the server's log
    /// must never hold one.
    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            ServerFnErrorErr::Args(_) | ServerFnErrorErr::MissingArg(_) => unreadable_request(),
            other => {
                #[cfg(feature = "hydrate")]
                leptos::logging::warn!("a server function call failed: {other}");
                #[cfg(not(feature = "hydrate"))]
                let _ = other;
                Self::Transport
            }
        }
    }
}

/// A server function's fields could not be read: the caller's request is at fault (an
/// out-of-date page, a hand-made call), so it is answered as bad input (400 on the server).
fn unreadable_request() -> LookupError {
    let error = LookupError::InvalidInput(
        "the request's fields could not be read (reload the page and try again)".to_owned(),
    );
    #[cfg(feature = "ssr")]
    set_status(&error);
    error
}

/// Looks a patient up at every configured source. `nhs_number` is what the user typed: it is
/// validated on the server before any source is asked. `refresh` skips cached copies.
#[server(prefix = "/sfn", endpoint = "record")]
pub async fn get_record(nhs_number: String, refresh: bool) -> Result<PatientRecord, LookupError> {
    let lookup = async {
        let service = record_service()?;
        let caller = current_caller()?;
        let nhs = service.patient(&caller, &nhs_number).await?;
        // The record page, rendering on the server, streams each source's early answer.
        match use_context::<crate::lookup_progress::LookupProgress>() {
            Some(progress) => {
                let _finished = progress.finish_on_drop();
                service
                    .lookup_with_progress(&caller, nhs, refresh, progress.clone())
                    .await
            }
            None => service.lookup(&caller, nhs, refresh).await,
        }
    };
    // The page gets the summary's entries and the timeline's first page; the rest come a page
    // at a time from `get_timeline`.
    with_status(lookup.await.map(crate::timeline_query::for_the_page))
}

/// The whole record, every entry, for pages that draw on all of it (a reading's trend):
/// the same checks and audit as [`get_record`].
#[server(prefix = "/sfn", endpoint = "record-in-full")]
pub async fn get_record_in_full(nhs_number: String) -> Result<PatientRecord, LookupError> {
    let lookup = async {
        let (service, caller) = (record_service()?, current_caller()?);
        let nhs = service.patient(&caller, &nhs_number).await?;
        service.lookup(&caller, nhs, false).await
    };
    with_status(lookup.await)
}

/// One page of the patient's timeline, filtered as `params` asks (the record page's address
/// parameters: `source`, `category`, `from`, `to`, `q`, `page`): the same checks as
/// [`get_record`], each page audited as a timeline search.
#[server(prefix = "/sfn", endpoint = "timeline")]
pub async fn get_timeline(
    nhs_number: String,
    params: String,
) -> Result<crate::timeline_query::TimelinePage, LookupError> {
    let page = async {
        let (service, caller) = (record_service()?, current_caller()?);
        let nhs = service.patient(&caller, &nhs_number).await?;
        let query = crate::timeline_query::TimelineQuery::from_query_string(&params)
            .map_err(|e| LookupError::InvalidInput(format!("The timeline's filters: {e}")))?;
        service.timeline(&caller, nhs, query).await
    };
    with_status(page.await)
}

/// The sources a lookup of this patient will ask, named for the page to show while they are
/// asked: only once the caller may open the record (permission to find patients and a basis
/// for this patient). No source is asked, and nothing about the patient is returned.
#[server(prefix = "/sfn", endpoint = "sources-asked")]
pub async fn get_sources_asked(
    nhs_number: String,
) -> Result<Vec<crate::lookup_progress::SourceAsked>, LookupError> {
    let asked = async {
        let (service, caller) = (record_service()?, current_caller()?);
        let nhs = service.patient(&caller, &nhs_number).await?;
        service.sources_asked(&caller, nhs).await
    };
    with_status(asked.await)
}

/// Records why the signed-in user is opening this patient's record (`code` is a basis code,
/// `reason` free text). It lasts for that patient, in this session, for a configured time.
#[server(prefix = "/sfn", endpoint = "basis")]
pub async fn record_basis(
    nhs_number: String,
    code: String,
    reason: String,
) -> Result<(), LookupError> {
    let record = async {
        let (service, caller) = (record_service()?, current_caller()?);
        let nhs = service.patient(&caller, &nhs_number).await?;
        let basis = crate::consent::Basis::new(&code, &reason);
        service.record_basis(&caller, nhs, basis).await
    };
    with_status(record.await)
}

/// One entry of the patient's record with its full detail (every field read, the sanitised
/// narrative, notes, provenance), judged as the record view judges it and audited as an
/// entry view. An item the viewer may not see is answered exactly as one that does not exist.
#[server(prefix = "/sfn", endpoint = "entry")]
pub async fn get_entry(
    nhs_number: String,
    source_id: String,
    resource_type: String,
    resource_id: String,
) -> Result<TimelineEntry, LookupError> {
    let entry = async {
        let (service, caller) = (record_service()?, current_caller()?);
        let nhs = service.patient(&caller, &nhs_number).await?;
        service
            .entry(&caller, nhs, (&source_id, &resource_type, &resource_id))
            .await
    };
    with_status(entry.await)
}

/// What staff typed into the demographic search form, unchecked.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SearchForm {
    pub family: String,
    pub birth_date: String,
    pub given: String,
    pub gender: String,
    pub postcode: String,
}

/// Finds patients by family name and date of birth (optionally given name, gender, postcode)
/// at every source; checked on the server before any source is asked.
#[server(prefix = "/sfn", endpoint = "search")]
pub async fn search_patients(
    family: String,
    birth_date: String,
    given: String,
    gender: String,
    postcode: String,
) -> Result<SearchResults, LookupError> {
    let form = SearchForm {
        family,
        birth_date,
        given,
        gender,
        postcode,
    };
    let search = async { record_service()?.search(&current_caller()?, form).await };
    with_status(search.await)
}

/// Synthetic patients to try, listed on the search page in demo mode (empty otherwise).
#[server(prefix = "/sfn", endpoint = "demo-patients")]
pub async fn demo_patients() -> Result<Vec<DemoPatient>, LookupError> {
    let viewer = current_viewer()?;
    if !viewer.may(crate::auth::Permission::FindPatient) {
        return Ok(Vec::new());
    }
    Ok(use_context::<PatientsToTry>().unwrap_or_default().0)
}

/// The signed-in session (`None` when nobody is signed in), for the header and role choice.
#[server(prefix = "/sfn", endpoint = "whoami")]
pub async fn whoami() -> Result<Option<SignedIn>, LookupError> {
    Ok(request_extension::<SignedIn>())
}

/// The identity providers staff may sign in with.
#[server(prefix = "/sfn", endpoint = "sign-in-options")]
pub async fn sign_in_options() -> Result<Vec<SignInOption>, LookupError> {
    Ok(use_context::<IdentityProviders>()
        .map(|o| o.0)
        .unwrap_or_default())
}

/// The identity providers, provided by the server as context.
#[derive(Debug, Clone, Default)]
pub struct IdentityProviders(pub Vec<SignInOption>);

/// Synthetic patients to try, provided by the server as context in demo mode only: no part of
/// the record service knows of them.
#[derive(Debug, Clone, Default)]
pub struct PatientsToTry(pub Vec<DemoPatient>);

#[cfg(feature = "ssr")]
mod service {
    use super::{LookupError, SearchForm};
    use crate::auth::{Caller, Viewer};
    use crate::consent::Basis;
    use crate::lookup_progress::{LookupProgress, SourceAsked};
    use crate::model::{PatientRecord, TimelineEntry};
    use crate::nhs_number::NhsNumber;
    use crate::patient_search::SearchResults;
    use crate::timeline_query::{TimelinePage, TimelineQuery};
    use futures::future::BoxFuture;
    use std::sync::Arc;

    /// What the server provides to the app: one lookup path shared by pages and the JSON API.
    pub trait RecordService: Send + Sync + 'static {
        /// What the caller typed as an NHS number, checked: a number that fails the check is
        /// refused, and the refusal audited with what was typed.
        fn patient<'a>(
            &'a self,
            caller: &'a Caller,
            typed: &'a str,
        ) -> BoxFuture<'a, Result<NhsNumber, LookupError>>;
        /// Opens the patient's record: refused without `find-patient` or a legitimate basis
        /// (from the caller's basis source), and for a patient who has dissented unless the
        /// basis overrides it. Asks every source (or reuses a brief cached copy unless
        /// `refresh`) and merges their answers; items the caller may not see are withheld and
        /// counted.
        fn lookup<'a>(
            &'a self,
            caller: &'a Caller,
            nhs: NhsNumber,
            refresh: bool,
        ) -> BoxFuture<'a, Result<PatientRecord, LookupError>>;
        /// Records the caller's basis for opening this patient's record in this session, if
        /// their role may give it (with a long enough reason).
        fn record_basis<'a>(
            &'a self,
            caller: &'a Caller,
            nhs: NhsNumber,
            basis: Basis,
        ) -> BoxFuture<'a, Result<(), LookupError>>;
        /// Checks a demographic search and asks every source for matching patients.
        fn search<'a>(
            &'a self,
            caller: &'a Caller,
            form: SearchForm,
        ) -> BoxFuture<'a, Result<SearchResults, LookupError>>;
        /// One entry by its provenance `(source id, resource type, resource id)`, with its
        /// full detail: the same checks as `lookup`, the item judged as the record view
        /// judges it (a withheld item is answered as an unknown one), audited as an entry
        /// view.
        fn entry<'a>(
            &'a self,
            caller: &'a Caller,
            nhs: NhsNumber,
            at: (&'a str, &'a str, &'a str),
        ) -> BoxFuture<'a, Result<TimelineEntry, LookupError>>;
        /// `lookup`, telling `progress` each source's early answer (whether it answered, never
        /// what it holds) as it comes, as the viewer may be told it.
        fn lookup_with_progress<'a>(
            &'a self,
            caller: &'a Caller,
            nhs: NhsNumber,
            refresh: bool,
            progress: LookupProgress,
        ) -> BoxFuture<'a, Result<PatientRecord, LookupError>>;
        /// The sources `lookup` would ask, once the caller may open this patient's record
        /// (the same permission and basis checks, before any source is asked).
        fn sources_asked<'a>(
            &'a self,
            caller: &'a Caller,
            nhs: NhsNumber,
        ) -> BoxFuture<'a, Result<Vec<SourceAsked>, LookupError>>;
        /// One page of the record's timeline as `query` filters it: the same checks as
        /// `lookup` (through the cache), audited as a timeline search.
        fn timeline<'a>(
            &'a self,
            caller: &'a Caller,
            nhs: NhsNumber,
            query: TimelineQuery,
        ) -> BoxFuture<'a, Result<TimelinePage, LookupError>>;
    }

    /// The handle the server puts into Leptos context.
    pub type SharedRecordService = Arc<dyn RecordService>;

    pub(super) fn record_service() -> Result<SharedRecordService, LookupError> {
        leptos::prelude::use_context::<SharedRecordService>()
            .ok_or(LookupError::Unavailable(super::Outage::NotConfigured))
    }

    /// A value the server's access layer put on this request (absent outside a request).
    pub(super) fn request_extension<T: Clone + Send + Sync + 'static>() -> Option<T> {
        leptos::prelude::use_context::<http::request::Parts>()
            .and_then(|parts| parts.extensions.get::<T>().cloned())
    }

    /// Sends a server function's error with the HTTP status that fits it (403 for refusals,
    /// 400 for bad input...), so callers and proxies see a refusal as one. A page rendering
    /// the same call on the server keeps its own status: it shows the error as content.
    pub fn with_status<T>(result: Result<T, LookupError>) -> Result<T, LookupError> {
        if let Err(error) = &result {
            set_status(error);
        }
        result
    }

    /// Sets the status `error` is sent with, when a server function is called directly by a
    /// script. A plain HTML form's post (it accepts `text/html`: the clinicians' pages submit
    /// the basis forms without the bundle) is answered by a redirect back to its page with the
    /// error in the address, which a status here would replace.
    pub(super) fn set_status(error: &LookupError) {
        let called_directly =
            leptos::prelude::use_context::<http::request::Parts>().is_some_and(|parts| {
                let from_a_form = parts
                    .headers
                    .get(http::header::ACCEPT)
                    .and_then(|a| a.to_str().ok())
                    .is_some_and(|a| a.contains("text/html"));
                parts.uri.path().starts_with("/sfn/") && !from_a_form
            });
        if called_directly {
            if let Some(response) = leptos::prelude::use_context::<leptos_axum::ResponseOptions>() {
                response.set_status(error.status());
            }
        }
    }

    impl LookupError {
        /// The HTTP status this error is sent with.
        pub fn status(&self) -> http::StatusCode {
            use http::StatusCode;
            match self {
                Self::InvalidNhsNumber(_) | Self::InvalidSearch(_) | Self::InvalidInput(_) => {
                    StatusCode::BAD_REQUEST
                }
                Self::NotSignedIn => StatusCode::UNAUTHORIZED,
                Self::Forbidden(_)
                | Self::BasisRequired(_)
                | Self::BasisRefused(_)
                | Self::Dissent(_)
                | Self::ConsentUnknown(_)
                | Self::Withheld(_) => StatusCode::FORBIDDEN,
                Self::NotFound(_) => StatusCode::NOT_FOUND,
                Self::TooManyRequests(_) => StatusCode::TOO_MANY_REQUESTS,
                Self::Unavailable(_) | Self::Transport => StatusCode::SERVICE_UNAVAILABLE,
            }
        }
    }

    /// Who is asking, on what basis and from where, as the server's access layer resolved it:
    /// the one way every server function (records, audit, reports) finds its caller.
    pub(crate) fn current_caller() -> Result<Caller, LookupError> {
        request_extension::<Caller>().ok_or(LookupError::NotSignedIn)
    }

    /// The signed-in viewer with an active role, as the server's access layer resolved it.
    pub(super) fn current_viewer() -> Result<Viewer, LookupError> {
        request_extension::<Viewer>().ok_or(LookupError::NotSignedIn)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One of every variant, with the code and status it is sent with.
    fn every_error() -> Vec<(LookupError, &'static str, u16)> {
        let prompt = BasisPrompt {
            options: Vec::new(),
            lasts_minutes: 30,
            identity: Default::default(),
        };
        let dissent = DissentNotice {
            recorded_by: "A practice".into(),
            organisation_code: "A12345".into(),
            emergency: None,
        };
        let unknown = ConsentUnknownNotice {
            unread: Vec::new(),
            emergency: None,
        };
        let words = || "why".to_owned();
        vec![
            (
                LookupError::InvalidNhsNumber(NhsNumberError::CheckDigit),
                "invalid-nhs-number",
                400,
            ),
            (
                LookupError::InvalidSearch(SearchError::NoFamilyName),
                "invalid-search",
                400,
            ),
            (LookupError::InvalidInput(words()), "invalid-input", 400),
            (LookupError::NotSignedIn, "unauthenticated", 401),
            (LookupError::Forbidden(words()), "forbidden", 403),
            (LookupError::BasisRequired(prompt), "basis-required", 403),
            (LookupError::BasisRefused(words()), "basis-refused", 403),
            (LookupError::Dissent(Box::new(dissent)), "dissent", 403),
            (
                LookupError::ConsentUnknown(Box::new(unknown)),
                "consent-unknown",
                403,
            ),
            (LookupError::Withheld(words()), "withheld", 403),
            (LookupError::NotFound(words()), "not-found", 404),
            (
                LookupError::TooManyRequests(words()),
                "too-many-requests",
                429,
            ),
            (
                LookupError::Unavailable(Outage::AuditRead),
                "unavailable",
                503,
            ),
            (LookupError::Transport, "unavailable", 503),
        ]
    }

    /// The table holds every variant once: a new variant fails to compile here until it is
    /// given a row (and so a code and a status).
    #[test]
    fn the_table_covers_every_variant() {
        let table = every_error();
        let mut seen = std::collections::BTreeSet::new();
        for (error, _, _) in &table {
            let variant = match error {
                LookupError::InvalidNhsNumber(_) => 0,
                LookupError::InvalidSearch(_) => 1,
                LookupError::InvalidInput(_) => 2,
                LookupError::NotSignedIn => 3,
                LookupError::Forbidden(_) => 4,
                LookupError::BasisRequired(_) => 5,
                LookupError::BasisRefused(_) => 6,
                LookupError::Dissent(_) => 7,
                LookupError::ConsentUnknown(_) => 8,
                LookupError::Withheld(_) => 9,
                LookupError::NotFound(_) => 10,
                LookupError::TooManyRequests(_) => 11,
                LookupError::Unavailable(_) => 12,
                LookupError::Transport => 13,
            };
            assert!(seen.insert(variant), "{error:?} is in the table twice");
        }
        assert_eq!(seen.len(), 14, "every variant has a row");
    }

    #[test]
    fn each_error_has_its_stable_code() {
        for (error, code, _) in every_error() {
            assert_eq!(error.code(), code, "{error:?}");
        }
    }

    #[cfg(feature = "ssr")]
    #[test]
    fn each_error_has_its_status() {
        for (error, _, status) in every_error() {
            assert_eq!(error.status().as_u16(), status, "{error:?}");
        }
    }
}
