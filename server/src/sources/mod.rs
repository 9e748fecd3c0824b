//! One organisation's FHIR R4 API, asked about one patient: find them by NHS number, then search
//! each configured resource type (following every `next` page) and normalise what comes back.

mod breaker;
mod client;

use crate::config::SourceConfig;
use crate::fhir::patient::Patient;
use crate::fhir::{normalise, Resource};
use app::model::{Demographics, TimelineEntry};
use app::nhs_number::{NhsNumber, NHS_NUMBER_SYSTEM};
use breaker::{Breaker, Permit};
use client::FhirClient;
pub use client::SourceError;
use futures::stream::{self, StreamExt, TryStreamExt};
use std::time::{Duration, Instant};
use url::Url;

/// What a source holds about the patient.
#[derive(Debug, Default)]
pub struct SourceRecord {
    pub demographics: Option<Demographics>,
    pub entries: Vec<TimelineEntry>,
    /// Resources that could not be read (malformed, no id, unreadable date).
    pub skipped: usize,
    /// Resource types whose results went past `max_pages` and were cut short.
    pub truncated_types: Vec<String>,
}

/// A source's answer when it answered at all.
#[derive(Debug)]
pub enum SourceAnswer {
    Found(Box<SourceRecord>),
    NotFound,
}

pub struct FhirSource {
    config: SourceConfig,
    client: FhirClient,
    breaker: Breaker,
}

impl FhirSource {
    pub fn new(config: SourceConfig) -> Result<Self, SourceError> {
        let client = FhirClient::new(&config)?;
        let breaker = Breaker::new(
            config.breaker_threshold,
            Duration::from_secs(config.breaker_cooldown_s),
        );
        Ok(Self {
            config,
            client,
            breaker,
        })
    }

    pub fn config(&self) -> &SourceConfig {
        &self.config
    }

    /// Everything this source holds about the patient, within the source's deadline.
    /// Not asked at all while the source's circuit breaker is open.
    pub async fn fetch(&self, nhs: NhsNumber) -> Result<SourceAnswer, SourceError> {
        if self.breaker.permit(Instant::now()) == Permit::Refuse {
            return Err(SourceError::CircuitOpen);
        }
        let result = tokio::time::timeout(self.config.timeout(), self.fetch_unbounded(nhs))
            .await
            .unwrap_or(Err(SourceError::Timeout));
        match &result {
            Ok(_) => self.breaker.record_success(),
            Err(_) => self.breaker.record_failure(Instant::now()),
        }
        result
    }

    async fn fetch_unbounded(&self, nhs: NhsNumber) -> Result<SourceAnswer, SourceError> {
        let Some(patient) = self.find_patient(nhs).await? else {
            return Ok(SourceAnswer::NotFound);
        };
        let patient_id = patient
            .id
            .clone()
            .ok_or(SourceError::Unusable("the matching Patient has no id"))?;
        let mut record = SourceRecord {
            demographics: Some(patient.demographics(&self.config.id)),
            ..Default::default()
        };

        let searches: Vec<_> = self
            .config
            .resource_types
            .iter()
            .map(|resource_type| self.search_type(resource_type, &patient_id))
            .collect();
        let per_type: Vec<TypeResults> = stream::iter(searches)
            .buffer_unordered(self.config.max_concurrent_requests)
            .try_collect()
            .await?;
        for results in per_type {
            record.entries.extend(results.entries);
            record.skipped += results.skipped;
            if results.truncated {
                record.truncated_types.push(results.resource_type);
            }
        }
        Ok(SourceAnswer::Found(Box::new(record)))
    }

    /// `Patient?identifier=<system>|<nhs>`; only a Patient that really carries the number counts.
    async fn find_patient(&self, nhs: NhsNumber) -> Result<Option<Patient>, SourceError> {
        let digits = nhs.as_digits();
        let mut url = self.type_url("Patient");
        url.query_pairs_mut()
            .append_pair("identifier", &format!("{NHS_NUMBER_SYSTEM}|{digits}"));
        let bundle = self.client.get_bundle(&url).await?;
        let patient = bundle
            .matches()
            .filter_map(|raw| Patient::parse(raw.get()).ok())
            .find(|p| p.resource_type == "Patient" && p.has_nhs_number(&digits));
        Ok(patient)
    }

    /// Every page of `<Type>?patient=<id>`, normalised.
    async fn search_type(
        &self,
        resource_type: &str,
        patient_id: &str,
    ) -> Result<TypeResults, SourceError> {
        let mut url = self.type_url(resource_type);
        url.query_pairs_mut()
            .append_pair("patient", patient_id)
            .append_pair("_count", &self.config.page_size.to_string());
        let mut results = TypeResults {
            resource_type: resource_type.to_owned(),
            ..Default::default()
        };
        for page in 1.. {
            let bundle = self.client.get_bundle(&url).await?;
            for raw in bundle.matches() {
                // Only the searched type counts; anything else on the page is not a match.
                match Resource::parse(raw.get()) {
                    Ok(resource) if resource.resource_type != resource_type => {}
                    Ok(resource) => match normalise(&resource, &self.config.id) {
                        Ok(Some(entry)) => results.entries.push(entry),
                        Ok(None) => {}
                        Err(_) => results.skipped += 1,
                    },
                    Err(_) => results.skipped += 1,
                }
            }
            let Some(next) = bundle.next_link() else {
                break;
            };
            if page >= self.config.max_pages {
                results.truncated = true;
                break;
            }
            url = self.client.next_page_url(&url, next)?;
        }
        Ok(results)
    }

    fn type_url(&self, resource_type: &str) -> Url {
        let mut url = self.config.base_url.clone();
        if let Ok(mut segments) = url.path_segments_mut() {
            segments.pop_if_empty().push(resource_type);
        }
        url
    }
}

#[derive(Debug, Default)]
struct TypeResults {
    resource_type: String,
    entries: Vec<TimelineEntry>,
    skipped: usize,
    truncated: bool,
}

impl SourceAnswer {
    /// Rough heap size, for the cache's memory budget.
    pub fn approx_bytes(&self) -> u32 {
        let SourceAnswer::Found(record) = self else {
            return 64;
        };
        let entries: usize = record
            .entries
            .iter()
            .map(|e| {
                std::mem::size_of::<TimelineEntry>()
                    + e.title.len()
                    + e.detail.as_ref().map_or(0, String::len)
                    + e.status.as_ref().map_or(0, String::len)
                    + e.source_id.len()
                    + e.resource_type.len()
                    + e.resource_id.len()
                    + e.date.as_ref().map_or(0, |d| d.value.len())
            })
            .sum();
        u32::try_from(entries + 512).unwrap_or(u32::MAX)
    }
}
