//! One lookup: ask every configured source at once, wait no longer than each source's deadline,
//! and merge the answers into one record with a status per source. A failed source costs only
//! its own part of the view.

use crate::config::Config;
use crate::sources::{FhirSource, SourceAnswer, SourceError};
use app::api::{LookupError, RecordService};
use app::model::{DemoPatient, PatientRecord, SourceReport, SourceStatus, TimelineEntry};
use app::nhs_number::NhsNumber;
use futures::future::{join_all, BoxFuture};
use std::cmp::Reverse;
use std::time::{Duration, Instant};

pub struct Aggregator {
    sources: Vec<FhirSource>,
    lookup_timeout: Duration,
    demo_patients: Vec<DemoPatient>,
}

impl Aggregator {
    pub fn new(config: &Config) -> Result<Self, SourceError> {
        let sources = config
            .sources
            .iter()
            .cloned()
            .map(FhirSource::new)
            .collect::<Result<_, _>>()?;
        Ok(Self {
            sources,
            lookup_timeout: config.portal.lookup_timeout(),
            demo_patients: config.demo_patients.clone(),
        })
    }

    /// Asks all sources concurrently and merges what they hold, newest first.
    pub async fn lookup(&self, nhs: NhsNumber) -> PatientRecord {
        let answers = join_all(self.sources.iter().map(|source| self.ask(source, nhs))).await;

        let mut demographics = None;
        let mut sources = Vec::with_capacity(answers.len());
        let mut entries = Vec::new();
        for (source, answer, latency) in answers {
            let config = source.config();
            let mut report = SourceReport {
                id: config.id.clone(),
                name: config.name.clone(),
                kind: config.kind,
                status: SourceStatus::Ok,
                latency_ms: latency.as_millis() as u64,
                entry_count: 0,
                skipped_count: 0,
                message: None,
            };
            match answer {
                Ok(SourceAnswer::Found(record)) => {
                    report.entry_count = record.entries.len();
                    report.skipped_count = record.skipped;
                    if !record.truncated_types.is_empty() {
                        report.message = Some(format!(
                            "More {} records exist than were fetched (page limit reached).",
                            record.truncated_types.join(", ")
                        ));
                    }
                    demographics = demographics.or(record.demographics);
                    entries.extend(record.entries);
                }
                Ok(SourceAnswer::NotFound) => report.status = SourceStatus::NotFound,
                Err(error) => {
                    report.status = match error {
                        SourceError::Timeout => SourceStatus::TimedOut,
                        _ => SourceStatus::Error,
                    };
                    report.message = Some(format!("{} {error}.", config.name));
                }
            }
            tracing::info!(
                source = %report.id,
                status = ?report.status,
                latency_ms = report.latency_ms,
                entries = report.entry_count,
                skipped = report.skipped_count,
                "source answered"
            );
            sources.push(report);
        }
        sort_newest_first(&mut entries);
        PatientRecord {
            nhs_number: nhs,
            demographics,
            sources,
            entries,
            retrieved_at: now_rfc3339(),
        }
    }

    async fn ask<'a>(
        &self,
        source: &'a FhirSource,
        nhs: NhsNumber,
    ) -> (&'a FhirSource, Result<SourceAnswer, SourceError>, Duration) {
        let started = Instant::now();
        let answer = tokio::time::timeout(self.lookup_timeout, source.fetch(nhs))
            .await
            .unwrap_or(Err(SourceError::Timeout));
        (source, answer, started.elapsed())
    }
}

/// Newest first; undated entries last; ties keep a stable, readable order.
fn sort_newest_first(entries: &mut [TimelineEntry]) {
    entries.sort_by(|a, b| {
        (
            a.date.is_none(),
            Reverse(&a.date),
            &a.source_id,
            &a.title,
            &a.resource_id,
        )
            .cmp(&(
                b.date.is_none(),
                Reverse(&b.date),
                &b.source_id,
                &b.title,
                &b.resource_id,
            ))
    });
}

fn now_rfc3339() -> String {
    time::OffsetDateTime::now_utc()
        .replace_nanosecond(0)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_default()
}

impl RecordService for Aggregator {
    fn lookup(&self, nhs: NhsNumber) -> BoxFuture<'_, Result<PatientRecord, LookupError>> {
        Box::pin(async move { Ok(Aggregator::lookup(self, nhs).await) })
    }

    fn demo_patients(&self) -> Vec<DemoPatient> {
        self.demo_patients.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use app::clinical_date::ClinicalDate;
    use app::model::Category;

    fn entry(date: Option<&str>, id: &str) -> TimelineEntry {
        TimelineEntry {
            date: date.map(|d| ClinicalDate::parse(d).unwrap()),
            category: Category::Problem,
            title: "t".into(),
            detail: None,
            status: None,
            source_id: "gp".into(),
            resource_type: "Condition".into(),
            resource_id: id.into(),
        }
    }

    #[test]
    fn sorts_newest_first_with_undated_last() {
        let mut entries = vec![
            entry(Some("2019"), "a"),
            entry(None, "b"),
            entry(Some("2024-01-02T10:00:00Z"), "c"),
            entry(Some("2024-01-02"), "d"),
            entry(Some("2021-06"), "e"),
        ];
        sort_newest_first(&mut entries);
        let ids: Vec<_> = entries.iter().map(|e| e.resource_id.as_str()).collect();
        assert_eq!(ids, ["c", "d", "e", "a", "b"]);
    }
}
