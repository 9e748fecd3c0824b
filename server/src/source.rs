//! One configured source, whichever interface it offers: a FHIR R4 search API or a GP
//! practice by GP Connect. The aggregator asks each the same questions.

use crate::config::{SourceApi, SourceConfig};
use crate::gp_connect::{GpConnectSource, Requester};
use crate::sources::{Candidate, FhirSource, SourceAnswer, SourceError};
use app::nhs_number::NhsNumber;
use app::patient_search::PatientSearch;

pub enum Source {
    Fhir(Box<FhirSource>),
    GpConnect(Box<GpConnectSource>),
}

impl Source {
    pub fn new(config: SourceConfig) -> Result<Self, SourceError> {
        Ok(match config.api {
            SourceApi::FhirR4 => Self::Fhir(Box::new(FhirSource::new(config)?)),
            SourceApi::GpConnect => Self::GpConnect(Box::new(GpConnectSource::new(config)?)),
        })
    }

    pub fn config(&self) -> &SourceConfig {
        match self {
            Self::Fhir(source) => source.config(),
            Self::GpConnect(source) => source.config(),
        }
    }

    /// The source as a FHIR R4 API (documents are read from those only).
    pub fn as_fhir(&self) -> Option<&FhirSource> {
        match self {
            Self::Fhir(source) => Some(source),
            Self::GpConnect(_) => None,
        }
    }

    /// The patient's record here, asked for on behalf of `requester`.
    pub async fn fetch(
        &self,
        nhs: NhsNumber,
        requester: &Requester,
    ) -> Result<SourceAnswer, SourceError> {
        match self {
            Self::Fhir(source) => source.fetch(nhs).await,
            Self::GpConnect(source) => source.fetch(nhs, requester).await,
        }
    }

    /// Who holds this NHS number here, before any basis.
    pub async fn identify(
        &self,
        nhs: NhsNumber,
        requester: &Requester,
    ) -> Result<Vec<Candidate>, SourceError> {
        match self {
            Self::Fhir(source) => source.identify(nhs).await,
            Self::GpConnect(source) => source.identify(nhs, requester).await,
        }
    }

    /// Patients matching a demographic search (GP Connect offers none).
    pub async fn search(&self, query: &PatientSearch) -> Result<Vec<Candidate>, SourceError> {
        match self {
            Self::Fhir(source) => source.search(query).await,
            Self::GpConnect(_) => Err(SourceError::NoDemographicSearch),
        }
    }
}
