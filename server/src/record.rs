//! One lookup: ask every configured source at once, wait no longer than each source's deadline,
//! and merge the answers into one record with a status per source. A failed source costs only
//! its own part of the view.

use crate::cache::{Fetched, SourceCache};
use crate::config::Config;
use crate::sources::{FhirSource, SourceAnswer, SourceError};
use app::api::{LookupError, RecordService};
use app::model::{DemoPatient, PatientRecord, SourceReport, SourceStatus, TimelineEntry};
use app::nhs_number::NhsNumber;
use futures::future::{join_all, BoxFuture};
use std::cmp::Reverse;
use std::sync::Arc;
use std::time::{Duration, Instant};

pub struct Aggregator {
    sources: Vec<FhirSource>,
    cache: SourceCache,
    lookup_timeout: Duration,
    demo_patients: Vec<DemoPatient>,
}

/// One source's part of one view, before merging.
struct SourceView {
    report: SourceReport,
    data: Option<Arc<Fetched>>,
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
            cache: SourceCache::new(&config.cache),
            lookup_timeout: config.portal.lookup_timeout(),
            demo_patients: config.demo_patients.clone(),
        })
    }

    /// The cache, for purging a patient when their consent changes.
    pub fn cache(&self) -> &SourceCache {
        &self.cache
    }

    /// Asks all sources concurrently (or reuses their brief cached answers unless `refresh`)
    /// and merges what they hold, newest first.
    pub async fn lookup(&self, nhs: NhsNumber, refresh: bool) -> PatientRecord {
        let views = join_all(
            self.sources
                .iter()
                .map(|source| self.view(source, nhs, refresh)),
        )
        .await;

        let mut demographics = None;
        let mut entries = Vec::new();
        let mut sources = Vec::with_capacity(views.len());
        for SourceView { report, data } in views {
            if let Some(SourceAnswer::Found(record)) = data.as_deref().map(|f| &f.answer) {
                demographics = demographics.or_else(|| record.demographics.clone());
                entries.extend(record.entries.iter().cloned());
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

    /// One source's answer for this view: fresh, cached, or (when it fails) its last good copy.
    async fn view(&self, source: &FhirSource, nhs: NhsNumber, refresh: bool) -> SourceView {
        let config = source.config();
        let started = Instant::now();
        let fetch = async {
            tokio::time::timeout(self.lookup_timeout, source.fetch(nhs))
                .await
                .unwrap_or(Err(SourceError::Timeout))
        };
        let result = self
            .cache
            .get_or_fetch(&config.id, nhs, refresh, fetch)
            .await;
        let mut report = SourceReport {
            id: config.id.clone(),
            name: config.name.clone(),
            kind: config.kind,
            status: SourceStatus::Ok,
            latency_ms: started.elapsed().as_millis() as u64,
            entry_count: 0,
            skipped_count: 0,
            message: None,
            fetched_at: None,
        };
        let data = match result {
            Ok(fetched) => Some(fetched),
            Err(error) => {
                let stale = self.cache.last_good(&config.id, nhs).await;
                report.status = match (&stale, error.as_ref()) {
                    (Some(_), _) => SourceStatus::Stale,
                    (None, SourceError::Timeout) => SourceStatus::TimedOut,
                    (None, SourceError::CircuitOpen) => SourceStatus::CircuitOpen,
                    (None, _) => SourceStatus::Error,
                };
                report.message = Some(match &stale {
                    Some(copy) => format!(
                        "{} {error}. Showing its earlier copy from {} ago.",
                        config.name,
                        age_words(copy.at.elapsed())
                    ),
                    None => format!("{} {error}.", config.name),
                });
                stale
            }
        };
        if let Some(fetched) = &data {
            report.fetched_at = Some(fetched.at_utc.clone());
            match &fetched.answer {
                SourceAnswer::Found(record) => {
                    report.entry_count = record.entries.len();
                    report.skipped_count = record.skipped;
                    if !record.truncated_types.is_empty() && report.message.is_none() {
                        report.message = Some(format!(
                            "More {} records exist than were fetched (page limit reached).",
                            record.truncated_types.join(", ")
                        ));
                    }
                }
                SourceAnswer::NotFound if report.status == SourceStatus::Ok => {
                    report.status = SourceStatus::NotFound;
                }
                SourceAnswer::NotFound => {}
            }
        }
        SourceView { report, data }
    }
}

/// "45 s", "3 min", "2 h": how old a stale copy is, in words staff read at a glance.
fn age_words(age: Duration) -> String {
    match age.as_secs() {
        s if s < 120 => format!("{s} s"),
        s if s < 7200 => format!("{} min", s / 60),
        s => format!("{} h", s / 3600),
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

pub(crate) fn now_rfc3339() -> String {
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
    fn lookup(
        &self,
        nhs: NhsNumber,
        refresh: bool,
    ) -> BoxFuture<'_, Result<PatientRecord, LookupError>> {
        Box::pin(async move { Ok(Aggregator::lookup(self, nhs, refresh).await) })
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
