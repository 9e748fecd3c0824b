//! One organisation's FHIR R4 API, asked about one patient: find them by NHS number (or
//! candidates by demographics), then read their record in as few sequential round trips as
//! the source allows (chained searches beside the Patient search, optionally as one `batch`;
//! else a search per resource type, all at once; or `Patient/$everything`), following every
//! `next` page, and normalise what comes back.

pub mod auth;
mod batch;
mod breaker;
mod capability;
mod chained;
mod client;
mod client_tls;
mod collect;
pub mod weight;
pub use capability::Capabilities;
pub use client_tls::SourceTls;
pub use collect::{read_reply, Collected};

use crate::config::{FetchMode, SourceConfig};
use crate::fhir::consent::ConsentDirective;
use crate::fhir::patient::{Organization, Patient};
use app::model::{Demographics, TimelineEntry};
use app::nhs_number::{NhsNumber, NHS_NUMBER_SYSTEM};
use app::patient_search::PatientSearch;
pub use breaker::Breaker;
use breaker::Permit;
use capability::{CapabilityCache, CHAIN_BY_PATIENT};
pub use client::{on_behalf_of, FhirClient, Reply, SourceError, Withholding};
use collect::{read_all_pages, read_pages_from};
use futures::stream::{self, StreamExt};
use futures::FutureExt;
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};
use url::Url;

/// The key [`CapabilityCache::distrust`] keeps for a source whose `batch` failed.
const BATCH: &str = "(batch)";

/// How many candidates a demographic search asks each source for.
const SEARCH_LIMIT: u32 = 20;

/// What a source holds about the patient.
#[derive(Debug, Default)]
pub struct SourceRecord {
    /// Every Patient at this source carrying the NHS number: normally one. More than one is a
    /// duplicate registration at the source, shown as a warning and read in full.
    pub patients: Vec<Demographics>,
    pub entries: Vec<TimelineEntry>,
    pub consents: Vec<ConsentDirective>,
    /// Resources that could not be read (malformed, no id, unreadable date).
    pub skipped: usize,
    /// Of those, the ones whose type could be read, by type.
    pub unreadable_types: std::collections::BTreeMap<&'static str, usize>,
    /// Resource types whose results went past `max_pages` and were cut short.
    pub truncated_types: Vec<String>,
    /// Resource types whose search failed while others succeeded, with the reason.
    pub failed_types: Vec<(String, String)>,
    /// Why the patient's consent directives here may be incomplete (their search failed or
    /// was cut short, or one could not be read); `None` when they were read in full.
    pub consent_gap: Option<String>,
    /// Resources chained searches sent that were not about a Patient the Patient search
    /// confirmed (another patient's, or no readable patient's). None is shown: each such
    /// type was searched again by patient id, and that answer is the one read.
    pub foreign_dropped: usize,
    /// Parts of the record the source said it did not share (GP Connect's warnings).
    pub not_shared: Vec<app::model::SourceProblem>,
}

impl SourceRecord {
    /// What the source could not supply, one problem each: failed and truncated searches,
    /// unreadable items by type (those whose type could not be read, last).
    pub fn problems(&self) -> Vec<app::model::SourceProblem> {
        use app::model::SourceProblem;
        let failed = self
            .failed_types
            .iter()
            .map(|(t, _)| SourceProblem::NotSupplied {
                resource_type: t.clone(),
            });
        let truncated = self
            .truncated_types
            .iter()
            .map(|t| SourceProblem::Truncated {
                resource_type: t.clone(),
            });
        let typed = self
            .unreadable_types
            .iter()
            .map(|(t, n)| SourceProblem::Unreadable {
                resource_type: Some((*t).to_owned()),
                count: *n,
            });
        let untyped = self.skipped
            - self
                .unreadable_types
                .values()
                .sum::<usize>()
                .min(self.skipped);
        let untyped = (untyped > 0).then_some(SourceProblem::Unreadable {
            resource_type: None,
            count: untyped,
        });
        failed
            .chain(truncated)
            .chain(typed)
            .chain(untyped)
            .chain(self.not_shared.iter().cloned())
            .collect()
    }

    /// True when some of what the source holds is not shown.
    pub fn is_partial(&self) -> bool {
        self.skipped > 0
            || !self.truncated_types.is_empty()
            || !self.failed_types.is_empty()
            || !self.not_shared.is_empty()
    }
}

/// A source's answer when it answered at all.
#[derive(Debug)]
pub enum SourceAnswer {
    Found(Box<SourceRecord>),
    NotFound,
}

/// A patient a source returned for a demographic search.
#[derive(Debug, Clone)]
pub struct Candidate {
    pub nhs: Option<NhsNumber>,
    pub demographics: Demographics,
    /// The source's consent directives about them (none when the source is not configured to
    /// read Consent); `None` when they could not be read, so the patient may have objected.
    pub consents: Option<Vec<ConsentDirective>>,
}

pub struct FhirSource {
    config: SourceConfig,
    client: Arc<FhirClient>,
    breaker: Breaker,
    capabilities: Arc<CapabilityCache>,
}

/// How one view asks a source for each resource type.
#[derive(Debug, Default, PartialEq, Eq)]
struct Plan {
    /// Searched by a chained parameter at the same time as the Patient search.
    chained: Vec<(String, &'static str)>,
    /// Searched by patient id once the Patient search has answered.
    by_id: Vec<String>,
    /// The chained searches go as one `batch` Bundle.
    batch: bool,
}

/// A chained search's outcome, with its resource type.
type ChainedRead = (String, TypeRead);

impl FhirSource {
    pub fn new(config: SourceConfig) -> Result<Self, SourceError> {
        let client = Arc::new(FhirClient::new(&config)?);
        let breaker = Breaker::new(
            &config.id,
            config.breaker_threshold,
            Duration::from_secs(config.breaker_cooldown_s),
        );
        let capabilities = Arc::new(CapabilityCache::new(
            config.capability_ttl_s.map(Duration::from_secs),
        ));
        Ok(Self {
            config,
            client,
            breaker,
            capabilities,
        })
    }

    pub fn config(&self) -> &SourceConfig {
        &self.config
    }

    /// One resource read by id (`[base]/<type>/<id>`), fresh, as FHIR JSON of at most
    /// `max_bytes`, within the source's deadline. Not cached; a failure here does not count
    /// against the source's circuit breaker (one document is not the source's health).
    pub async fn read(
        &self,
        resource_type: &str,
        id: &str,
        max_bytes: usize,
    ) -> Result<Vec<u8>, SourceError> {
        let mut url = self.type_url(resource_type);
        if let Ok(mut segments) = url.path_segments_mut() {
            segments.push(id);
        }
        self.within_deadline(self.client.get_resource(&url, max_bytes))
            .await
    }

    /// A document's content at `url` on this source's origin (the caller resolved and checked
    /// it), with the source's authentication, redirect rules and deadline; never cached.
    pub async fn content(
        &self,
        url: &Url,
        accept: &str,
        max_bytes: usize,
    ) -> Result<(String, Vec<u8>), SourceError> {
        self.within_deadline(self.client.get_content(url, accept, max_bytes))
            .await
    }

    /// The base URL documents' relative addresses resolve against.
    pub fn base_url(&self) -> &Url {
        &self.config.base_url
    }

    async fn within_deadline<T>(
        &self,
        work: impl Future<Output = Result<T, SourceError>>,
    ) -> Result<T, SourceError> {
        tokio::time::timeout(self.config.timeout(), work)
            .await
            .unwrap_or(Err(SourceError::Timeout))
    }

    /// Everything this source holds about the patient, within the source's deadline.
    pub async fn fetch(&self, nhs: NhsNumber) -> Result<SourceAnswer, SourceError> {
        self.guarded(self.fetch_unbounded(nhs)).await
    }

    /// Patients matching a demographic search (at most [`SEARCH_LIMIT`]; more is an error asking
    /// for a narrower search, never a silent cut).
    pub async fn search(&self, query: &PatientSearch) -> Result<Vec<Candidate>, SourceError> {
        self.guarded(self.search_unbounded(query)).await
    }

    /// Runs `work` within the source's deadline, unless its circuit breaker is open, and tells
    /// the breaker how it went.
    async fn guarded<T>(
        &self,
        work: impl Future<Output = Result<T, SourceError>>,
    ) -> Result<T, SourceError> {
        guarded(
            &self.breaker,
            self.client.source_id(),
            self.config.timeout(),
            work,
        )
        .await
    }

    /// Who the patient is here, before any basis: the source's Patients carrying the NHS
    /// number and (as a demographic search reads them) their consent directives. No clinical
    /// resource is read and nothing is cached.
    pub async fn identify(&self, nhs: NhsNumber) -> Result<Vec<Candidate>, SourceError> {
        self.guarded(async {
            let (patients, included) = self.find_patients_with(nhs).await?;
            let consents = self.candidates_consents(&patients).await;
            Ok(patients
                .iter()
                .map(|p| Candidate {
                    nhs: Some(nhs),
                    demographics: p.demographics_with(&self.config.id, &included),
                    consents: consents.about(p, &patients),
                })
                .collect())
        })
        .await
    }

    async fn fetch_unbounded(&self, nhs: NhsNumber) -> Result<SourceAnswer, SourceError> {
        let plan = self.plan();
        // The first round trip: the Patient search and, beside it, the chained searches. A
        // failed Patient search fails the source at once, as before.
        let (found, early) = futures::future::try_join(
            self.find_patients_with(nhs),
            self.chained_searches(&plan, nhs).map(Ok::<_, SourceError>),
        )
        .await?;
        let (patients, included) = found;
        if patients.is_empty() {
            return Ok(SourceAnswer::NotFound);
        }
        let ids = patients
            .iter()
            .map(|p| p.id.clone())
            .collect::<Option<Vec<String>>>()
            .ok_or(SourceError::Unusable("a matching Patient has no id"))?;
        let mut record = SourceRecord {
            patients: patients
                .iter()
                .map(|p| p.demographics_with(&self.config.id, &included))
                .collect(),
            ..Default::default()
        };
        let (mut reads, again) = self.check_chained(early, &ids, &mut record);
        // The second round trip, when needed: every other type at once (or `$everything`).
        let by_id: Vec<String> = again.into_iter().chain(plan.by_id).collect();
        reads.extend(match self.config.fetch_mode {
            FetchMode::Everything => self.everything(&ids).await,
            _ => self.search_each_type(&by_id, &ids.join(",")).await,
        });
        let mut first_error = None;
        let mut any_succeeded = false;
        let mut unreadable_consents = 0;
        for (label, read) in reads {
            match read {
                Ok((collected, truncated)) => {
                    any_succeeded = true;
                    record.entries.extend(collected.entries);
                    record.consents.extend(collected.consents);
                    record.skipped += collected.skipped;
                    for (resource_type, count) in collected.unreadable_types {
                        *record.unreadable_types.entry(resource_type).or_default() += count;
                    }
                    unreadable_consents += collected.unreadable_consents;
                    if truncated {
                        record.truncated_types.push(label);
                    }
                }
                Err(error) => {
                    record.failed_types.push((label, error.to_string()));
                    first_error.get_or_insert(error);
                }
            }
        }
        record.consent_gap = self.consent_gap(&record, unreadable_consents);
        match first_error {
            Some(error) if !any_succeeded => Err(error),
            _ => Ok(SourceAnswer::Found(Box::new(record))),
        }
    }

    /// Why the consent directives read into `record` may not be all the source holds. Consent
    /// comes from its own search, or (with `$everything`) from every patient's whole answer.
    fn consent_gap(&self, record: &SourceRecord, unreadable_consents: usize) -> Option<String> {
        if !self.config.reads_consent() {
            return None;
        }
        let consent_read = match self.config.fetch_mode {
            FetchMode::Everything => "Patient/$everything",
            _ => "Consent",
        };
        if record.failed_types.iter().any(|(t, _)| t == consent_read) {
            Some("its consent records could not be read".to_owned())
        } else if record.truncated_types.iter().any(|t| t == consent_read) {
            Some(
                "it holds more records than were fetched, and they may include consent records"
                    .to_owned(),
            )
        } else if unreadable_consents > 0 {
            Some("a consent record there could not be read".to_owned())
        } else {
            None
        }
    }

    /// `Patient?identifier=<system>|<nhs>&_include=Patient:general-practitioner`; only
    /// Patients that really carry the number count. The Organizations the reply includes
    /// (servers that do not support `_include` ignore it) name the registered practice.
    async fn find_patients_with(
        &self,
        nhs: NhsNumber,
    ) -> Result<(Vec<Patient>, Vec<Organization>), SourceError> {
        let digits = nhs.as_digits();
        let mut url = self.type_url("Patient");
        url.query_pairs_mut()
            .append_pair("identifier", &format!("{NHS_NUMBER_SYSTEM}|{digits}"))
            .append_pair("_include", "Patient:general-practitioner");
        let bundle = self.client.get_bundle(&url).await?;
        let patients = bundle
            .matches()
            .filter_map(|raw| Patient::parse(raw.get()).ok())
            .filter(|p| p.resource_type == "Patient" && p.has_nhs_number(&digits))
            .collect();
        let included = bundle
            .entry
            .iter()
            .filter_map(|e| {
                let raw = e.resource.as_deref()?;
                let mut organisation = serde_json::from_str::<Organization>(raw.get()).ok()?;
                organisation.full_url = e.full_url.clone();
                (organisation.resource_type == "Organization").then_some(organisation)
            })
            .collect();
        Ok((patients, included))
    }

    /// How this view asks for each type: by the configured mode, and in `auto` by the
    /// source's CapabilityStatement (whose read this may start, in the background). Types the
    /// source was seen to answer wrongly when chained are searched by id.
    fn plan(&self) -> Plan {
        let types = &self.config.resource_types;
        let all_by_id = Plan {
            by_id: types.clone(),
            ..Plan::default()
        };
        // Chaining needs the Patient search and a type search in flight together.
        if self.config.concurrency() < 2 {
            return all_by_id;
        }
        let capabilities = match self.config.fetch_mode {
            FetchMode::Search | FetchMode::Everything => return all_by_id,
            FetchMode::Chained | FetchMode::Batch => None,
            FetchMode::Auto => {
                let current = self.capabilities.current(Instant::now());
                if current.read_now {
                    self.read_capabilities_in_background();
                }
                match current.capabilities {
                    Some(capabilities) => Some(capabilities),
                    None => return all_by_id,
                }
            }
        };
        let mut plan = Plan::default();
        for t in types {
            let chain = match &capabilities {
                Some(c) => c.chain_for(t),
                None => Some(CHAIN_BY_PATIENT),
            };
            match chain.filter(|_| !self.capabilities.is_distrusted(t)) {
                Some(param) => plan.chained.push((t.clone(), param)),
                None => plan.by_id.push(t.clone()),
            }
        }
        plan.batch = !plan.chained.is_empty()
            && !self.capabilities.is_distrusted(BATCH)
            && match self.config.fetch_mode {
                FetchMode::Batch => true,
                _ => capabilities.is_some_and(|c| c.batch),
            };
        plan
    }

    /// Reads `[base]/metadata` in a task of its own (a view never waits for it) and keeps
    /// what it says; a failure is logged and means plain searches for a while.
    fn read_capabilities_in_background(&self) {
        let client = self.client.clone();
        let cache = self.capabilities.clone();
        let url = self.type_url("metadata");
        let deadline = self.config.timeout();
        let max_bytes = self.config.max_body_bytes;
        let source = self.config.id.clone();
        tokio::spawn(async move {
            let read = tokio::time::timeout(deadline, client.get_resource(&url, max_bytes))
                .await
                .unwrap_or(Err(SourceError::Timeout));
            let capabilities = match read {
                Ok(body) => Capabilities::parse(&body),
                Err(error) => {
                    tracing::warn!(%source, %error, "the source's CapabilityStatement could not be read: searching plainly");
                    None
                }
            };
            match &capabilities {
                Some(c) => {
                    tracing::info!(%source, batch = c.batch, chained_types = c.reference_params.len(), "read the source's CapabilityStatement")
                }
                None => {
                    tracing::warn!(%source, "the source's CapabilityStatement is unusable: searching plainly")
                }
            }
            cache.store(capabilities, Instant::now());
        });
    }

    /// The plan's chained searches, all at once beside the Patient search (or as one batch).
    async fn chained_searches(&self, plan: &Plan, nhs: NhsNumber) -> Vec<ChainedRead> {
        if plan.chained.is_empty() {
            return Vec::new();
        }
        let token = format!("{NHS_NUMBER_SYSTEM}|{}", nhs.as_digits());
        if plan.batch {
            return self.batch_chained(&plan.chained, &token).await;
        }
        let searches: Vec<_> = plan
            .chained
            .iter()
            .map(|(resource_type, param)| {
                let url = self.search_url(resource_type, param, &token);
                async move {
                    let read = self.read_pages(url, None, resource_type, Some(param)).await;
                    (resource_type.clone(), read)
                }
            })
            .collect();
        // The Patient search holds one of the source's requests in flight.
        stream::iter(searches)
            .buffer_unordered(self.config.concurrency() - 1)
            .collect()
            .await
    }

    /// The chained searches as one `batch` (`POST [base]`), each answer's further pages
    /// read by GET. A batch that fails as a whole leaves each type to be searched by id.
    async fn batch_chained(
        &self,
        chained: &[(String, &'static str)],
        token: &str,
    ) -> Vec<ChainedRead> {
        let urls: Vec<Url> = chained
            .iter()
            .map(|(t, param)| self.search_url(t, param, token))
            .collect();
        let relative: Vec<String> = chained
            .iter()
            .zip(&urls)
            .map(|((t, _), url)| format!("{t}?{}", url.query().unwrap_or_default()))
            .collect();
        let answers = self
            .client
            .post_batch(&self.config.base_url, &batch::request(&relative))
            .await
            .and_then(|body| batch::replies(&body, relative.len()));
        let answers = match answers {
            Ok(answers) => answers,
            Err(error) => {
                tracing::warn!(source = %self.config.id, %error, "a batch of searches failed: searching each type by patient id");
                if !matches!(
                    error,
                    SourceError::Timeout | SourceError::Transport(_) | SourceError::Http(500..)
                ) {
                    self.capabilities.distrust(BATCH);
                }
                return chained
                    .iter()
                    .map(|(t, _)| {
                        let failed = SourceError::Unusable("its batch of searches failed");
                        (t.clone(), Err(failed))
                    })
                    .collect();
            }
        };
        let reads: Vec<_> = chained
            .iter()
            .zip(urls)
            .zip(answers)
            .map(|(((resource_type, param), url), answer)| async move {
                let read = match answer {
                    Ok(first) => {
                        self.read_pages(url, Some(first), resource_type, Some(param))
                            .await
                    }
                    Err(error) => Err(error),
                };
                (resource_type.clone(), read)
            })
            .collect();
        stream::iter(reads)
            .buffer_unordered(self.config.concurrency())
            .collect()
            .await
    }

    /// Keeps each chained answer that is wholly about the confirmed Patients (`ids`); a type
    /// whose chained search the source ignored, refused, or answered with anything else is
    /// returned to be searched by id (and is not chained at this source again until its
    /// CapabilityStatement is read again). Nothing of another patient's is kept.
    fn check_chained(
        &self,
        early: Vec<ChainedRead>,
        ids: &[String],
        record: &mut SourceRecord,
    ) -> (Vec<(String, TypeRead)>, Vec<String>) {
        let source = &self.config.id;
        let is_ours = |r: &str| chained::names_one_of(r, ids, &self.config.base_url);
        let (mut kept, mut again) = (Vec::new(), Vec::new());
        for (resource_type, read) in early {
            let distrust = match &read {
                Ok((collected, _)) if collected.chain_ignored => {
                    tracing::info!(%source, %resource_type, "the source did not apply a chained search: searching by patient id");
                    true
                }
                Ok((collected, _)) => {
                    let foreign = collected.not_about(&is_ours);
                    if foreign == 0 {
                        kept.push((resource_type, read));
                        continue;
                    }
                    tracing::warn!(%source, %resource_type, foreign, "a chained search answered with resources not about the patient: none shown, searching by patient id");
                    record.foreign_dropped += foreign;
                    true
                }
                Err(SourceError::Http(status)) => {
                    tracing::info!(%source, %resource_type, status, "a chained search was refused: searching by patient id");
                    *status < 500
                }
                Err(
                    SourceError::Unusable(_) | SourceError::BadBundle(_) | SourceError::NotFhir(_),
                ) => {
                    tracing::info!(%source, %resource_type, "a chained search's answer was unusable: searching by patient id");
                    true
                }
                Err(_) => {
                    kept.push((resource_type, read));
                    continue;
                }
            };
            if distrust {
                self.capabilities.distrust(&resource_type);
            }
            again.push(resource_type);
        }
        (kept, again)
    }

    /// `<Type>?patient=<ids>&_count=<n>` for each of `types`, all at once (at most the
    /// source's `max_concurrent_requests`).
    async fn search_each_type(
        &self,
        types: &[String],
        patient_ids: &str,
    ) -> Vec<(String, TypeRead)> {
        let searches: Vec<_> = types
            .iter()
            .map(|resource_type| async move {
                let url = self.search_url(resource_type, "patient", patient_ids);
                let read = self.read_pages(url, None, resource_type, None).await;
                (resource_type.clone(), read)
            })
            .collect();
        stream::iter(searches)
            .buffer_unordered(self.config.concurrency())
            .collect()
            .await
    }

    /// `<Type>?<name>=<value>&_count=<page_size>`, medicines with the Medication they name.
    fn search_url(&self, resource_type: &str, name: &str, value: &str) -> Url {
        let mut url = self.type_url(resource_type);
        url.query_pairs_mut()
            .append_pair(name, value)
            .append_pair("_count", &self.config.page_size.to_string());
        if matches!(resource_type, "MedicationRequest" | "MedicationStatement") {
            // The Medication a medicine names by reference, on the same page (servers that
            // do not support `_include` ignore it; the reference's display is the fallback).
            url.query_pairs_mut()
                .append_pair("_include", &format!("{resource_type}:medication"));
        }
        url
    }

    /// Every page of one type's search from `url` (its first page already in hand when
    /// given), keeping only that type.
    async fn read_pages(
        &self,
        url: Url,
        first: Option<crate::fhir::Bundle>,
        resource_type: &str,
        chain: Option<&str>,
    ) -> TypeRead {
        let wanted = |t: &str| t == resource_type;
        let (max, id) = (self.config.max_pages, &self.config.id);
        match first {
            Some(first) => read_pages_from(&self.client, url, first, max, id, &wanted, chain).await,
            None => read_all_pages(&self.client, url, max, id, &wanted, chain).await,
        }
    }

    /// `Patient/<id>/$everything?_count=<n>` for each matching Patient, keeping only the
    /// configured types.
    async fn everything(&self, patient_ids: &[String]) -> Vec<(String, TypeRead)> {
        let reads: Vec<_> = patient_ids
            .iter()
            .map(|id| self.everything_for(id))
            .collect();
        stream::iter(reads)
            .buffer_unordered(self.config.concurrency())
            .collect()
            .await
    }

    async fn everything_for(&self, patient_id: &str) -> (String, TypeRead) {
        let mut url = self.type_url("Patient");
        if let Ok(mut segments) = url.path_segments_mut() {
            segments.push(patient_id).push("$everything");
        }
        url.query_pairs_mut()
            .append_pair("_count", &self.config.page_size.to_string());
        let types = &self.config.resource_types;
        let wanted = |t: &str| types.iter().any(|w| w == t);
        let read = self.read_all_pages(url, &wanted).await;
        ("Patient/$everything".to_owned(), read)
    }

    async fn read_all_pages(&self, url: Url, wanted: &(dyn Fn(&str) -> bool + Sync)) -> TypeRead {
        read_all_pages(
            &self.client,
            url,
            self.config.max_pages,
            &self.config.id,
            wanted,
            None,
        )
        .await
    }

    async fn search_unbounded(&self, query: &PatientSearch) -> Result<Vec<Candidate>, SourceError> {
        let mut url = self.type_url("Patient");
        {
            let mut pairs = url.query_pairs_mut();
            pairs
                .append_pair("family", &query.family)
                .append_pair("birthdate", &query.birth_date);
            if let Some(given) = &query.given {
                pairs.append_pair("given", given);
            }
            if let Some(gender) = &query.gender {
                pairs.append_pair("gender", gender);
            }
            if let Some(postcode) = &query.postcode {
                pairs.append_pair("address-postalcode", postcode);
            }
            pairs.append_pair("_count", &SEARCH_LIMIT.to_string());
        }
        let bundle = self.client.get_bundle(&url).await?;
        if bundle.next_link().is_some() {
            return Err(SourceError::TooManyMatches(SEARCH_LIMIT));
        }
        // FHIR string search is "starts with": keep only the family name searched for.
        let patients: Vec<Patient> = bundle
            .matches()
            .filter_map(|raw| Patient::parse(raw.get()).ok())
            .filter(|p| p.resource_type == "Patient")
            .filter(|p| {
                p.name
                    .iter()
                    .any(|n| n.family.as_deref().is_some_and(|f| query.family_matches(f)))
            })
            .collect();
        let consents = self.candidates_consents(&patients).await;
        Ok(patients
            .iter()
            .map(|p| Candidate {
                nhs: p.nhs_number(),
                demographics: p.demographics(&self.config.id),
                consents: consents.about(p, &patients),
            })
            .collect())
    }

    /// Every consent directive this source holds about search candidates, in one
    /// `Consent?patient=<id>,<id>...` search (every page), unless the source is not configured
    /// to read Consent.
    async fn candidates_consents(&self, patients: &[Patient]) -> CandidatesConsents {
        if patients.is_empty() || !self.config.resource_types.iter().any(|t| t == "Consent") {
            return CandidatesConsents::NotHeld;
        }
        let ids: Vec<&str> = patients.iter().filter_map(fhir_id).collect();
        if ids.is_empty() {
            return CandidatesConsents::Unreadable;
        }
        let mut url = self.type_url("Consent");
        url.query_pairs_mut()
            .append_pair("patient", &ids.join(","))
            .append_pair("_count", &self.config.page_size.to_string());
        let wanted = |t: &str| t == "Consent";
        match self.read_all_pages(url, &wanted).await {
            Ok((collected, false)) if collected.skipped == 0 => {
                CandidatesConsents::Read(collected.consents)
            }
            Ok(_) => {
                tracing::warn!(source = %self.config.id, "search candidates' consent directives were unreadable or cut short");
                CandidatesConsents::Unreadable
            }
            Err(error) => {
                tracing::warn!(source = %self.config.id, %error, "search candidates' consent directives could not be read");
                CandidatesConsents::Unreadable
            }
        }
    }

    fn type_url(&self, resource_type: &str) -> Url {
        let mut url = self.config.base_url.clone();
        if let Ok(mut segments) = url.path_segments_mut() {
            segments.pop_if_empty().push(resource_type);
        }
        url
    }
}

/// What a source said about its search candidates' consent.
enum CandidatesConsents {
    /// The source is not configured to read Consent: it holds no objection the portal reads.
    NotHeld,
    Read(Vec<ConsentDirective>),
    /// Not all could be read: a directive that failed to arrive, or to parse, may be an
    /// objection.
    Unreadable,
}

impl CandidatesConsents {
    /// The directives about `patient`, one of `all` the candidates; `None` when unknown (not
    /// read, or the Patient has no id to ask about). A directive naming none of the candidates
    /// could be anyone's, so it counts for each.
    fn about(&self, patient: &Patient, all: &[Patient]) -> Option<Vec<ConsentDirective>> {
        let directives = match self {
            Self::NotHeld => return Some(Vec::new()),
            Self::Unreadable => return None,
            Self::Read(directives) => directives,
        };
        let id = fhir_id(patient)?;
        let anyones = |d: &ConsentDirective| !all.iter().filter_map(fhir_id).any(|o| d.is_about(o));
        Some(
            directives
                .iter()
                .filter(|d| d.is_about(id) || anyones(d))
                .cloned()
                .collect(),
        )
    }
}

/// The Patient's id, if it is a valid FHIR id (`[A-Za-z0-9.-]{1,64}`) that can be searched by.
fn fhir_id(patient: &Patient) -> Option<&str> {
    patient.id.as_deref().filter(|id| {
        (1..=64).contains(&id.len())
            && id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.'))
    })
}

/// Runs one source's `work` within `deadline`, unless its circuit breaker is open, and tells
/// the breaker how it went: an answer that the source withheld the record is not a failure.
pub async fn guarded<T>(
    breaker: &Breaker,
    source: &Arc<str>,
    deadline: Duration,
    work: impl Future<Output = Result<T, SourceError>>,
) -> Result<T, SourceError> {
    let timer = crate::metrics::SourceTimer::fetch(source);
    if breaker.permit(Instant::now()) == Permit::Refuse {
        let refused = Err(SourceError::CircuitOpen);
        timer.finish(&refused);
        return refused;
    }
    let result = tokio::time::timeout(deadline, work)
        .await
        .unwrap_or(Err(SourceError::Timeout));
    timer.finish(&result);
    match &result {
        Err(error) if !error.is_an_answer() => breaker.record_failure(Instant::now()),
        _ => breaker.record_success(),
    }
    result
}

/// One search's (or one `$everything`'s) outcome: what it read and whether the page cap cut it.
type TypeRead = Result<(Collected, bool), SourceError>;

impl SourceAnswer {
    /// The same answer holding no spare capacity, for keeping in the cache: its entries were
    /// gathered page by page and type by type and each built field by field, so vectors and
    /// strings are up to half empty (docs/BENCHMARKS.md, "Memory per cached patient").
    pub fn shrunk(mut self) -> Self {
        use app::compact::Compact;
        if let Self::Found(record) = &mut self {
            record.patients.shrink_to_fit();
            record.entries.compact();
            record.consents.shrink_to_fit();
        }
        self
    }

    /// False when the source may hold consent directives this answer lacks.
    pub fn consent_known(&self) -> bool {
        match self {
            SourceAnswer::Found(record) => record.consent_gap.is_none(),
            SourceAnswer::NotFound => true,
        }
    }

    /// Rough heap size, for the cache's memory budget ([`weight`]).
    pub fn approx_bytes(&self) -> u32 {
        match self {
            SourceAnswer::Found(record) => weight::of_record(record),
            SourceAnswer::NotFound => 64,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn patient(id: Option<&str>) -> Patient {
        Patient {
            resource_type: "Patient".into(),
            id: id.map(str::to_owned),
            ..Patient::default()
        }
    }

    fn directive(id: &str, patient: Option<&str>) -> ConsentDirective {
        let patient = patient.map_or(String::new(), |p| {
            format!(r#","patient":{{"reference":"{p}"}}"#)
        });
        ConsentDirective::parse(&format!(
            r#"{{"resourceType":"Consent","id":"{id}","status":"active","provision":{{"type":"deny"}}{patient}}}"#
        ))
        .unwrap()
    }

    #[test]
    fn each_candidate_gets_the_directives_about_them_and_unknown_stays_unknown() {
        let all = [
            patient(Some("p1")),
            patient(Some("p2")),
            patient(None),
            patient(Some("bad,id")),
        ];
        let read = CandidatesConsents::Read(vec![
            directive("k1", Some("Patient/p1")),
            directive("k2", None),
            directive("k3", Some("Patient/elsewhere")),
        ]);
        let ids = |found: Option<Vec<ConsentDirective>>| {
            found.map(|list| list.into_iter().map(|d| d.id).collect::<Vec<_>>())
        };
        let strings = |v: &[&str]| Some(v.iter().map(|s| s.to_string()).collect::<Vec<_>>());
        // (consents, candidate, directive ids about them; None = wishes unknown)
        let table = [
            (&read, 0, strings(&["k1", "k2", "k3"])),
            (&read, 1, strings(&["k2", "k3"])),
            (&read, 2, None),
            (&read, 3, None),
            (&CandidatesConsents::Unreadable, 0, None),
            (&CandidatesConsents::NotHeld, 0, Some(vec![])),
            (&CandidatesConsents::NotHeld, 2, Some(vec![])),
        ];
        for (consents, i, expected) in table {
            assert_eq!(
                ids(consents.about(&all[i], &all)),
                expected,
                "candidate {i}"
            );
        }
    }
}
