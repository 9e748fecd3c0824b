//! The server-function boundary: the calls the browser may make, and the service trait the
//! server implements behind them. Each server function is one line that takes the service from
//! context, so every rule lives on the server side of this trait.

use crate::auth::{SignInOption, SignedIn};
use crate::model::{DemoPatient, PatientRecord};
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
    #[error("You are not signed in, or your session has ended. Sign in again.")]
    NotSignedIn,
    #[error("Not available: {0}.")]
    Forbidden(String),
    #[error("Too many requests: {0}.")]
    TooManyRequests(String),
    #[error("The record service is unavailable: {0}")]
    Unavailable(String),
    #[error("The portal could not be reached: {0}")]
    Transport(String),
}

impl FromServerFnError for LookupError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        Self::Transport(value.to_string())
    }
}

/// Looks a patient up at every configured source. `nhs_number` is what the user typed: it is
/// validated on the server before any source is asked. `refresh` skips cached copies.
#[server(prefix = "/sfn", endpoint = "record")]
pub async fn get_record(nhs_number: String, refresh: bool) -> Result<PatientRecord, LookupError> {
    let nhs =
        crate::nhs_number::NhsNumber::parse(&nhs_number).map_err(LookupError::InvalidNhsNumber)?;
    let viewer = current_viewer()?;
    record_service()?.lookup(&viewer, nhs, refresh).await
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
    let viewer = current_viewer()?;
    record_service()?.search(&viewer, form).await
}

/// Synthetic patients to try, listed on the search page in demo mode (empty otherwise).
#[server(prefix = "/sfn", endpoint = "demo-patients")]
pub async fn demo_patients() -> Result<Vec<DemoPatient>, LookupError> {
    let viewer = current_viewer()?;
    if !viewer.may(crate::auth::Permission::FindPatient) {
        return Ok(Vec::new());
    }
    Ok(record_service()?.demo_patients())
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

#[cfg(feature = "ssr")]
mod service {
    use super::{LookupError, SearchForm};
    use crate::auth::Viewer;
    use crate::model::{DemoPatient, PatientRecord};
    use crate::nhs_number::NhsNumber;
    use crate::patient_search::SearchResults;
    use futures::future::BoxFuture;
    use std::sync::Arc;

    /// What the server provides to the app: one lookup path shared by pages and the JSON API.
    pub trait RecordService: Send + Sync + 'static {
        /// Asks every source about the patient (or reuses a brief cached copy unless `refresh`)
        /// and merges their answers.
        /// Only what `viewer`'s role may see is returned; refused without `find-patient`.
        fn lookup<'a>(
            &'a self,
            viewer: &'a Viewer,
            nhs: NhsNumber,
            refresh: bool,
        ) -> BoxFuture<'a, Result<PatientRecord, LookupError>>;
        /// Checks a demographic search and asks every source for matching patients.
        fn search<'a>(
            &'a self,
            viewer: &'a Viewer,
            form: SearchForm,
        ) -> BoxFuture<'a, Result<SearchResults, LookupError>>;
        /// Patients worth trying in demo mode; empty against real sources.
        fn demo_patients(&self) -> Vec<DemoPatient>;
    }

    /// The handle the server puts into Leptos context.
    pub type SharedRecordService = Arc<dyn RecordService>;

    pub(super) fn record_service() -> Result<SharedRecordService, LookupError> {
        leptos::prelude::use_context::<SharedRecordService>()
            .ok_or_else(|| LookupError::Unavailable("the record service is not configured".into()))
    }

    /// A value the server's access layer put on this request (absent outside a request).
    pub(super) fn request_extension<T: Clone + Send + Sync + 'static>() -> Option<T> {
        leptos::prelude::use_context::<http::request::Parts>()
            .and_then(|parts| parts.extensions.get::<T>().cloned())
    }

    /// The signed-in viewer with an active role, as the server's access layer resolved it.
    pub(super) fn current_viewer() -> Result<Viewer, LookupError> {
        request_extension::<Viewer>().ok_or(LookupError::NotSignedIn)
    }
}
