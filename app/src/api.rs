//! The server-function boundary: the calls the browser may make, and the service trait the
//! server implements behind them. Each server function is one line that takes the service from
//! context, so every rule lives on the server side of this trait.

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
    record_service()?.lookup(nhs, refresh).await
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
    record_service()?.search(form).await
}

/// Synthetic patients to try, listed on the search page in demo mode (empty otherwise).
#[server(prefix = "/sfn", endpoint = "demo-patients")]
pub async fn demo_patients() -> Result<Vec<DemoPatient>, LookupError> {
    Ok(record_service()?.demo_patients())
}

#[cfg(feature = "ssr")]
mod service {
    use super::{LookupError, SearchForm};
    use crate::model::{DemoPatient, PatientRecord};
    use crate::nhs_number::NhsNumber;
    use crate::patient_search::SearchResults;
    use futures::future::BoxFuture;
    use std::sync::Arc;

    /// What the server provides to the app: one lookup path shared by pages and the JSON API.
    pub trait RecordService: Send + Sync + 'static {
        /// Asks every source about the patient (or reuses a brief cached copy unless `refresh`)
        /// and merges their answers.
        fn lookup(
            &self,
            nhs: NhsNumber,
            refresh: bool,
        ) -> BoxFuture<'_, Result<PatientRecord, LookupError>>;
        /// Checks a demographic search and asks every source for matching patients.
        fn search(&self, form: SearchForm) -> BoxFuture<'_, Result<SearchResults, LookupError>>;
        /// Patients worth trying in demo mode; empty against real sources.
        fn demo_patients(&self) -> Vec<DemoPatient>;
    }

    /// The handle the server puts into Leptos context.
    pub type SharedRecordService = Arc<dyn RecordService>;

    pub(super) fn record_service() -> Result<SharedRecordService, LookupError> {
        leptos::prelude::use_context::<SharedRecordService>()
            .ok_or_else(|| LookupError::Unavailable("the record service is not configured".into()))
    }
}
