//! One GP practice asked by GP Connect: a single `$gpc.getstructuredrecord` POST per view
//! (the whole record in one round trip), on behalf of the signed-in user, within the source's
//! deadline and circuit breaker, its answer read into the shared timeline model.

use super::outcome::refusal;
use super::request::{self, Requester, INTERACTION_ID};
use super::structured::read_structured_record;
use super::GpConnectConfig;
use crate::config::SourceConfig;
use crate::sources::{Candidate, FhirClient, SourceAnswer, SourceError, SourceRecord};
use app::nhs_number::NhsNumber;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue, AUTHORIZATION};
use std::future::Future;
use std::time::Duration;
use url::Url;

pub struct GpConnectSource {
    config: SourceConfig,
    gp_connect: GpConnectConfig,
    client: FhirClient,
    breaker: crate::sources::Breaker,
    /// Where the operation is POSTed (behind the SSP when one is configured).
    url: Url,
}

/// What one request asks for: the configured areas, or only who the patient is.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Asking {
    Record,
    WhoTheyAre,
}

impl GpConnectSource {
    /// A source for `config`, whose `gp_connect` table configuration validation has checked.
    pub fn new(config: SourceConfig) -> Result<Self, SourceError> {
        let gp_connect = config
            .gp_connect
            .clone()
            .ok_or(SourceError::Unusable("no [sources.gp_connect] table"))?;
        let url = request::operation_url(&config.base_url, gp_connect.ssp_url.as_ref())
            .map_err(|e| SourceError::Client(format!("GP Connect operation URL: {e}")))?;
        let client = FhirClient::new(&config)?;
        let breaker = crate::sources::Breaker::new(
            &config.id,
            config.breaker_threshold,
            Duration::from_secs(config.breaker_cooldown_s),
        );
        Ok(Self {
            config,
            gp_connect,
            client,
            breaker,
            url,
        })
    }

    pub fn config(&self) -> &SourceConfig {
        &self.config
    }

    /// The patient's structured record, asked for on behalf of `requester`.
    pub async fn fetch(
        &self,
        nhs: NhsNumber,
        requester: &Requester,
    ) -> Result<SourceAnswer, SourceError> {
        self.guarded(async {
            let record = self.ask(nhs, requester, Asking::Record).await?;
            Ok(SourceAnswer::Found(Box::new(record)))
        })
        .await
    }

    /// Who the patient is at the practice (the structured record with no clinical area: the
    /// Patient, their practice and usual GP), before any basis. The practice holds no
    /// `Consent` resources to read: its only objection is a refusal, which this reports.
    pub async fn identify(
        &self,
        nhs: NhsNumber,
        requester: &Requester,
    ) -> Result<Vec<Candidate>, SourceError> {
        self.guarded(async {
            let record = self.ask(nhs, requester, Asking::WhoTheyAre).await?;
            Ok(record
                .patients
                .into_iter()
                .map(|demographics| Candidate {
                    nhs: Some(nhs),
                    demographics,
                    consents: Some(Vec::new()),
                })
                .collect())
        })
        .await
    }

    /// One POST and its answer read: a record, or the refusal it stands for.
    async fn ask(
        &self,
        nhs: NhsNumber,
        requester: &Requester,
        asking: Asking,
    ) -> Result<SourceRecord, SourceError> {
        let now = time::OffsetDateTime::now_utc();
        let parameters = match asking {
            Asking::Record => request::parameters(&self.gp_connect, nhs, now.date()),
            Asking::WhoTheyAre => request::who_they_are(nhs),
        };
        let headers = self.headers(requester, now.unix_timestamp())?;
        let body = parameters.to_string().into_bytes();
        let reply = self
            .client
            .post_operation(&self.url, headers, &body)
            .await?;
        if reply.status != 200 {
            let error = refusal(reply.status, &reply.body);
            if !error.is_an_answer() {
                tracing::warn!(source = %self.config.id, status = reply.status, %error, "GP Connect refused the request");
            }
            return Err(error);
        }
        if !reply.is_fhir_json() {
            return Err(SourceError::NotFhir(reply.content_type));
        }
        let read = read_structured_record(&reply.body, nhs, &self.config.id).map_err(|error| {
            tracing::warn!(source = %self.config.id, %error, "GP Connect answer refused");
            SourceError::Unusable("a structured record that could not be used")
        })?;
        Ok(super::into_source_record(read))
    }

    /// The Spine headers and the JWT for one request.
    fn headers(&self, requester: &Requester, now: i64) -> Result<HeaderMap, SourceError> {
        let trace_id = uuid::Uuid::new_v4().to_string();
        let token = request::jwt(&self.gp_connect, requester, &self.config.base_url, now);
        let pairs = [
            ("ssp-traceid", trace_id),
            ("ssp-from", self.gp_connect.consumer_asid.clone()),
            ("ssp-to", self.gp_connect.provider_asid.clone()),
            ("ssp-interactionid", INTERACTION_ID.to_owned()),
        ];
        let mut headers = HeaderMap::new();
        for (name, value) in pairs {
            let value = HeaderValue::from_str(&value)
                .map_err(|_| SourceError::Client(format!("header {name} is not valid")))?;
            headers.insert(HeaderName::from_static(name), value);
        }
        let bearer = HeaderValue::from_str(&format!("Bearer {token}"))
            .map_err(|_| SourceError::Client("the JWT is not a valid header".to_owned()))?;
        headers.insert(AUTHORIZATION, bearer);
        Ok(headers)
    }

    /// Runs `work` within the source's deadline and circuit breaker.
    async fn guarded<T>(
        &self,
        work: impl Future<Output = Result<T, SourceError>>,
    ) -> Result<T, SourceError> {
        crate::sources::guarded(
            &self.breaker,
            self.client.source_id(),
            self.config.timeout(),
            work,
        )
        .await
    }
}
