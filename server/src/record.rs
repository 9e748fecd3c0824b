//! One lookup: ask every configured source at once, wait no longer than each source's deadline,
//! and merge the answers into one record with a status per source. A failed source costs only
//! its own part of the view.

use crate::cache::{Fetched, SourceCache};
use crate::clock::now_rfc3339;
use crate::config::{Config, SourceConfig};
use crate::fhir::consent::ConsentDirective;
use crate::gp_connect::Requester;
use crate::merge;
use crate::policy::gate::{judge_with_reasons, Key};
use crate::policy::ConsentState;
use crate::source::Source;
use crate::sources::{Candidate, FhirSource, SourceAnswer, SourceError, SourceRecord, Withholding};
use app::api::{LookupError, SearchForm};
use app::consent::WithheldItems;
use app::model::{Category, Demographics, SourceKind, SourceReport, SourceStatus, TimelineEntry};
use app::nhs_number::NhsNumber;
use app::patient_search::{NotShown, PatientMatch, PatientSearch, SearchError, SearchResults};
use futures::future::join_all;
use std::cmp::Reverse;
use std::sync::Arc;
use std::time::{Duration, Instant};

pub(crate) struct Aggregator {
    sources: Vec<Source>,
    cache: SourceCache,
    lookup_timeout: Duration,
    /// Most people a demographic search lists (`portal.max_search_candidates`).
    max_candidates: usize,
}

/// One source's part of one view, before merging.
struct SourceView {
    report: SourceReport,
    data: Option<Arc<Fetched>>,
    /// Whether the source can hold the patient's objection to sharing.
    holds_objections: bool,
}

impl Aggregator {
    pub fn new(config: &Config) -> Result<Self, SourceError> {
        let sources = config
            .sources
            .iter()
            .cloned()
            .map(Source::new)
            .collect::<Result<_, _>>()?;
        Ok(Self {
            sources,
            cache: SourceCache::new(&config.cache),
            lookup_timeout: config.portal.lookup_timeout(),
            max_candidates: config.portal.max_search_candidates,
        })
    }

    /// Every configured source, in order, as a page names it while asking.
    pub fn sources_asked(&self) -> Vec<app::lookup_progress::SourceAsked> {
        self.sources
            .iter()
            .map(|source| {
                let config = source.config();
                app::lookup_progress::SourceAsked {
                    id: config.id.clone(),
                    name: config.name.clone(),
                    organisation_code: config.organisation_code.clone(),
                    kind: config.kind,
                }
            })
            .collect()
    }

    /// The configured FHIR R4 source with this id (documents are read from those only).
    pub fn source(&self, id: &str) -> Option<&FhirSource> {
        self.sources
            .iter()
            .find(|s| s.config().id == id)
            .and_then(Source::as_fhir)
    }

    /// The cache, for purging a patient when their consent changes.
    pub fn cache(&self) -> &SourceCache {
        &self.cache
    }

    /// Asks all sources concurrently (or reuses their brief cached answers unless `refresh`),
    /// handing each source's report to `answered` the moment that source has answered (or
    /// failed), while the others are still being asked. Nothing is filtered yet: only the
    /// policy gate can say what may be shown ([`crate::policy::gate::judge`]).
    pub async fn gather_reporting(
        &self,
        nhs: NhsNumber,
        refresh: bool,
        requester: &Requester,
        answered: &(dyn Fn(&SourceReport) + Sync),
    ) -> Gathered {
        let mut views = join_all(self.sources.iter().map(|source| async move {
            let view = self.view(source, nhs, refresh, requester).await;
            answered(&view.report);
            view
        }))
        .await;
        // Only a practice that could not return the record needs the others' registrations.
        if views
            .iter()
            .any(|v| v.report.status == SourceStatus::Unavailable)
        {
            let practices = registered_practices(
                views
                    .iter()
                    .filter_map(SourceView::record)
                    .flat_map(|r| r.patients.iter()),
            );
            for view in &mut views {
                not_registered_here(&mut view.report, &practices);
            }
        }
        // A full answer is routine (and counted in the metrics): logged only at debug, or a
        // busy portal spends its time writing four lines a view. Anything else is info.
        for SourceView { report, .. } in &views {
            let routine = matches!(report.status, SourceStatus::Ok | SourceStatus::NotFound);
            if routine {
                tracing::debug!(source = %report.id, status = ?report.status, latency_ms = report.latency_ms, entries = report.entry_count, "source answered");
            } else {
                tracing::info!(
                    source = %report.id,
                    status = ?report.status,
                    latency_ms = report.latency_ms,
                    entries = report.entry_count,
                    skipped = report.skipped_count,
                    "source answered"
                );
            }
        }
        Gathered { nhs, views }
    }

    /// Checks a demographic search, asks every source at once (never cached: candidates are
    /// not a record), and groups the candidates by NHS number. People who have objected to
    /// sharing (or whose wishes a source could not say) are counted, not listed; more people
    /// than `max_candidates` is an error asking for more details, never a silent cut.
    pub async fn search(&self, form: SearchForm) -> Result<SearchResults, LookupError> {
        let today = now_rfc3339().get(..10).unwrap_or_default().to_owned();
        let query = PatientSearch::parse(
            &form.family,
            &form.birth_date,
            &form.given,
            &form.gender,
            &form.postcode,
            &today,
        )
        .map_err(LookupError::InvalidSearch)?;
        let query = &query;
        let answers = join_all(self.sources.iter().map(|source| async move {
            let started = Instant::now();
            let result = source.search(query).await;
            (source, started.elapsed(), result)
        }))
        .await;
        let mut candidates = Vec::new();
        let mut sources = Vec::with_capacity(answers.len());
        for (source, latency, result) in answers {
            let mut report = blank_report(source.config(), latency);
            match result {
                Ok(found) => {
                    report.entry_count = found.len();
                    if found.is_empty() {
                        report.status = SourceStatus::NotFound;
                    }
                    candidates.extend(found);
                }
                Err(error) => {
                    report.status = failure_status(&error);
                    report.message = Some(format!("{} {error}.", source.config().name));
                }
            }
            sources.push(report);
        }
        let name_of = |id: &str| source_name(&sources, id);
        let (matches, not_shown) = group_candidates(candidates, &today, &name_of);
        if matches.len() + not_shown.total() > self.max_candidates {
            let too_many = SearchError::TooManyMatches(self.max_candidates);
            return Err(LookupError::InvalidSearch(too_many));
        }
        Ok(SearchResults {
            matches,
            not_shown,
            sources,
        })
    }

    /// Asks every source at once who holds this NHS number (their Patient resources and, as a
    /// demographic search reads them, consent directives): never a clinical resource, never
    /// cached. A failure is said in words for staff (the cause is logged).
    pub async fn identify(
        &self,
        nhs: NhsNumber,
        requester: &Requester,
    ) -> Vec<(SourceReport, Result<Vec<Candidate>, String>)> {
        let mut answers = join_all(self.sources.iter().map(|source| async move {
            let started = Instant::now();
            let result = tokio::time::timeout(self.lookup_timeout, source.identify(nhs, requester))
                .await
                .unwrap_or(Err(SourceError::Timeout));
            let mut report = blank_report(source.config(), started.elapsed());
            let result = result.map_err(|error| {
                tracing::warn!(source = %report.id, %error, "a source could not be asked who holds a number");
                report.status = failure_status(&error);
                match error {
                    SourceError::Withheld(withholding) => withholding.briefly().to_owned(),
                    SourceError::Timeout
                    | SourceError::CircuitOpen
                    | SourceError::NoDemographicSearch => error.to_string(),
                    _ => "failed to answer".to_owned(),
                }
            });
            if matches!(&result, Ok(found) if found.is_empty()) {
                report.status = SourceStatus::NotFound;
            }
            (report, result)
        }))
        .await;
        let practices = registered_practices(
            answers
                .iter()
                .filter_map(|(_, r)| r.as_ref().ok())
                .flatten()
                .map(|c| &c.demographics),
        );
        for (report, result) in &mut answers {
            if not_registered_here(report, &practices) {
                *result = Ok(Vec::new());
            }
        }
        answers
    }

    /// One source's answer for this view: fresh, cached, or (when it fails) its last good copy.
    async fn view(
        &self,
        source: &Source,
        nhs: NhsNumber,
        refresh: bool,
        requester: &Requester,
    ) -> SourceView {
        let config = source.config();
        let started = Instant::now();
        let fetch = async {
            // Boxed when it runs: the fetch's state is large, and the cache moves this future
            // several times even when it is never run (a hit).
            tokio::time::timeout(self.lookup_timeout, Box::pin(source.fetch(nhs, requester)))
                .await
                .unwrap_or(Err(SourceError::Timeout))
        };
        let result = self
            .cache
            .get_or_fetch(&config.id, nhs, refresh, config.may_keep_stale(), fetch)
            .await;
        let mut report = blank_report(config, started.elapsed());
        let data = match result {
            Ok(fetched) => Some(fetched),
            Err(error) => {
                // A record withheld now (the patient's dissent) is never replaced by an older
                // copy (a source that may not keep one has none: `get_or_fetch` above).
                let stale = match *error {
                    SourceError::Withheld(_) => None,
                    _ => self.cache.last_good(&config.id, nhs).await,
                };
                report.status = match &stale {
                    Some(_) => SourceStatus::Stale,
                    None => failure_status(&error),
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
            report.from_cache = fetched.at < started;
            match &fetched.answer {
                SourceAnswer::Found(record) => {
                    report.entry_count = record.entries.len();
                    report.skipped_count = record.skipped;
                    report.problems = record.problems();
                    if record.is_partial() && report.status == SourceStatus::Ok {
                        report.status = SourceStatus::Partial;
                        report.message = Some(partial_message(&config.name, record));
                    }
                }
                SourceAnswer::NotFound if report.status == SourceStatus::Ok => {
                    report.status = SourceStatus::NotFound;
                }
                SourceAnswer::NotFound => {}
            }
        }
        SourceView {
            report,
            data,
            holds_objections: config.holds_objections(),
        }
    }
}

/// What every source answered about one patient, before any policy is applied. Its clinical
/// contents open only with the policy gate's [`Key`]; reports (each source's status) do not
/// need one.
pub(crate) struct Gathered {
    nhs: NhsNumber,
    views: Vec<SourceView>,
}

impl Gathered {
    /// Every source's report, in configured order.
    pub fn reports(&self) -> impl Iterator<Item = &SourceReport> {
        self.views.iter().map(|v| &v.report)
    }

    /// The consent directives each source holds for the patient (fresh, cached or stale).
    pub fn directives(&self, _: &Key) -> impl Iterator<Item = (&SourceReport, &ConsentDirective)> {
        self.views.iter().flat_map(|v| {
            v.record()
                .into_iter()
                .flat_map(|r| r.consents.iter())
                .map(move |c| (&v.report, c))
        })
    }

    /// The sources that can hold an objection but did not answer about consent on this view,
    /// each with why in words: it failed (an earlier copy does not say what it holds now), or
    /// its consent records could not all be read.
    pub fn unread_consent(&self) -> Vec<(&SourceReport, String)> {
        self.views
            .iter()
            .filter(|v| v.holds_objections)
            .filter_map(|v| {
                let why = match (&v.data, v.report.status) {
                    (None, SourceStatus::NotFound) => return None,
                    (None, _) => "it could not be reached".to_owned(),
                    (Some(_), SourceStatus::Stale) => {
                        "it could not be reached (its earlier copy cannot say what it holds now)"
                            .to_owned()
                    }
                    (Some(_), _) => v.record()?.consent_gap.clone()?,
                };
                Some((&v.report, why))
            })
            .collect()
    }

    /// Every entry a source recorded (empty when it has no record of the patient).
    pub fn source_entries(&self, _: &Key, source_id: &str) -> &[TimelineEntry] {
        self.views
            .iter()
            .find(|v| v.report.id == source_id)
            .and_then(|v| v.record())
            .map_or(&[], |r| r.entries.as_slice())
    }

    /// The entry a source recorded under `resource_type/id`, with the kind of its source.
    pub fn entry(
        &self,
        _: &Key,
        source_id: &str,
        resource_type: &str,
        id: &str,
    ) -> Option<(SourceKind, &TimelineEntry)> {
        let view = self.views.iter().find(|v| v.report.id == source_id)?;
        view.record()?
            .entries
            .iter()
            .find(|e| e.resource_type == resource_type && e.resource_id == id)
            .map(|e| (view.report.kind, e))
    }

    /// Merges what `judge` lets through into one list, newest first, with duplicates across
    /// sources shown once, each entry without its full detail (fields, narrative, notes: sent
    /// only for one item, by [`Gathered::entry`]'s caller). Each entry is judged before
    /// merging (so nothing withheld shows through a merged duplicate); what is withheld is
    /// counted by source, category and the reason `judge` gives, never dropped silently. A
    /// source's Patient details that `judge_details` refuses (its labels) are left out and
    /// counted the same way.
    pub fn into_merged(
        self,
        _: &Key,
        judge: impl Fn(SourceKind, &TimelineEntry) -> Result<(), String>,
        judge_details: impl Fn(&Demographics) -> Result<(), String>,
    ) -> Merged {
        let mut patients = Vec::new();
        let mut entries = Vec::new();
        let mut withheld: Vec<WithheldItems> = Vec::new();
        let mut sources = Vec::with_capacity(self.views.len());
        for view in &self.views {
            let mut report = view.report.clone();
            if let Some(record) = view.record() {
                let mut shown = Vec::new();
                for details in &record.patients {
                    match judge_details(details) {
                        Ok(()) => shown.push(details.clone()),
                        Err(reason) => count_withheld(
                            &mut withheld,
                            &report.id,
                            Category::PatientDetails,
                            reason,
                        ),
                    }
                }
                patients.push((report.id.clone(), shown));
                let before = entries.len();
                for entry in &record.entries {
                    let judged =
                        judge_with_reasons(entry, &record.entries, |e| judge(report.kind, e));
                    match judged {
                        // Listed without its full detail: that is sent one item at a time.
                        Ok(()) => entries.push(entry.listed()),
                        Err(reason) => {
                            count_withheld(&mut withheld, &report.id, entry.category, reason)
                        }
                    }
                }
                report.entry_count = entries.len() - before;
            }
            sources.push(report);
        }
        let name_of = |id: &str| source_name(&sources, id);
        let mut entries = merge::merge_duplicates(entries, &name_of);
        sort_newest_first(&mut entries);
        let warnings = merge::demographic_warnings(&patients, &name_of);
        Merged {
            nhs: self.nhs,
            demographics: patients.iter().find_map(|(_, p)| p.first().cloned()),
            sources,
            entries,
            warnings,
            retrieved_at: now_rfc3339(),
            withheld,
        }
    }
}

/// What the judged entries of every source make, merged: the policy gate makes the record
/// from it ([`crate::policy::gate::judge`]).
pub(crate) struct Merged {
    pub nhs: NhsNumber,
    pub demographics: Option<Demographics>,
    pub sources: Vec<SourceReport>,
    pub entries: Vec<TimelineEntry>,
    pub warnings: Vec<app::model::RecordWarning>,
    pub retrieved_at: String,
    pub withheld: Vec<WithheldItems>,
}

impl SourceView {
    /// The source's record, when it found the patient (fresh, cached or stale).
    fn record(&self) -> Option<&SourceRecord> {
        match self.data.as_deref().map(|f| &f.answer) {
            Some(SourceAnswer::Found(record)) => Some(record),
            _ => None,
        }
    }
}

fn count_withheld(
    withheld: &mut Vec<WithheldItems>,
    source_id: &str,
    category: Category,
    reason: String,
) {
    match withheld
        .iter_mut()
        .find(|w| w.source_id == source_id && w.category == category && w.reason == reason)
    {
        Some(group) => group.count += 1,
        None => withheld.push(WithheldItems {
            category,
            source_id: source_id.to_owned(),
            reason,
            count: 1,
        }),
    }
}

/// A report with the source's identity and nothing else yet.
fn blank_report(config: &SourceConfig, latency: Duration) -> SourceReport {
    SourceReport {
        id: config.id.clone(),
        name: config.name.clone(),
        organisation_code: config.organisation_code.clone(),
        kind: config.kind,
        status: SourceStatus::Ok,
        latency_ms: latency.as_millis() as u64,
        entry_count: 0,
        skipped_count: 0,
        message: None,
        fetched_at: None,
        from_cache: false,
        problems: Vec::new(),
    }
}

/// The ODS codes of the practices the sources' records name as the patient's registered GP.
fn registered_practices<'a>(
    patients: impl Iterator<Item = &'a Demographics>,
) -> std::collections::BTreeSet<String> {
    patients
        .filter_map(|p| p.gp_practice.as_ref()?.ods_code.clone())
        .collect()
}

/// A GP Connect practice answers `PATIENT_NOT_FOUND` for a patient registered elsewhere as
/// for a sensitive record. A patient has one registered practice: when the other records name
/// it and it is not this one, the answer is "not registered here" (said in words, with the
/// practice they name); otherwise it stays "unavailable", never "no record". True when the
/// report was changed.
fn not_registered_here(
    report: &mut SourceReport,
    practices: &std::collections::BTreeSet<String>,
) -> bool {
    let elsewhere = !practices.is_empty() && !practices.contains(&report.organisation_code);
    if report.status != SourceStatus::Unavailable || !elsewhere {
        return false;
    }
    report.status = SourceStatus::NotFound;
    report.message = Some(format!(
        "{} does not hold this patient's GP record: their other records name {} as their registered practice.",
        report.name,
        practices.iter().cloned().collect::<Vec<_>>().join(", ")
    ));
    true
}

fn failure_status(error: &SourceError) -> SourceStatus {
    match error {
        SourceError::Timeout => SourceStatus::TimedOut,
        SourceError::CircuitOpen => SourceStatus::CircuitOpen,
        SourceError::Withheld(Withholding::Dissent) => SourceStatus::Withheld,
        SourceError::Withheld(Withholding::Unavailable) => SourceStatus::Unavailable,
        _ => SourceStatus::Error,
    }
}

/// What is missing from a partial answer, in words for staff.
fn partial_message(name: &str, record: &SourceRecord) -> String {
    let mut parts = Vec::new();
    if !record.failed_types.is_empty() {
        let failed: Vec<String> = record
            .failed_types
            .iter()
            .map(|(t, why)| format!("{t} ({why})"))
            .collect();
        parts.push(format!("{name} could not supply: {}", failed.join(", ")));
    }
    if !record.truncated_types.is_empty() {
        parts.push(format!(
            "More {} records exist than were fetched (page limit reached)",
            record.truncated_types.join(", ")
        ));
    }
    if record.skipped > 0 {
        parts.push(format!("{} unreadable items were skipped", record.skipped));
    }
    for problem in &record.not_shared {
        parts.push(problem.sentence(name).trim_end_matches('.').to_owned());
    }
    format!("{}.", parts.join(". "))
}

fn source_name(sources: &[SourceReport], id: &str) -> String {
    sources
        .iter()
        .find(|s| s.id == id)
        .map_or_else(|| id.to_owned(), |s| s.name.clone())
}

/// One match per NHS number (records at several sources carrying it are one person, with
/// warnings where they disagree); candidates without an NHS number stay separate. A person
/// with an active objection at any source holding them (judged as a record view judges it,
/// on `today`), or held at a source that could not say, is counted in [`NotShown`] instead.
fn group_candidates(
    candidates: Vec<Candidate>,
    today: &str,
    name_of: &dyn Fn(&str) -> String,
) -> (Vec<PatientMatch>, NotShown) {
    let mut groups: Vec<(Option<NhsNumber>, Vec<Candidate>)> = Vec::new();
    for candidate in candidates {
        match groups
            .iter_mut()
            .find(|(nhs, _)| nhs.is_some() && *nhs == candidate.nhs)
        {
            Some((_, found)) => found.push(candidate),
            None => groups.push((candidate.nhs, vec![candidate])),
        }
    }
    let mut not_shown = NotShown::default();
    let mut matches = Vec::new();
    for (nhs_number, found) in groups {
        match wishes(&found, today) {
            Some(Wishes::Objected) => {
                not_shown.objected += 1;
                continue;
            }
            Some(Wishes::Unknown) => {
                not_shown.wishes_unknown += 1;
                continue;
            }
            None => {}
        }
        let found: Vec<Demographics> = found.into_iter().map(|c| c.demographics).collect();
        // Every source's labels travel with the one set of details shown, so a label at any
        // source withholds the person (judged per viewer by the caller).
        let mut demographics = found[0].clone();
        demographics.security = found.iter().flat_map(|d| d.security.clone()).collect();
        let per_source: Vec<(String, Vec<Demographics>)> = found
            .iter()
            .map(|d| (d.source_id.clone(), vec![d.clone()]))
            .collect();
        let warnings = merge::demographic_warnings(&per_source, name_of)
            .into_iter()
            .map(|w| w.message)
            .collect();
        let mut found_at: Vec<String> = found.iter().map(|d| d.source_id.clone()).collect();
        found_at.dedup();
        matches.push(PatientMatch {
            nhs_number,
            demographics,
            found_at,
            warnings,
        });
    }
    (matches, not_shown)
}

/// Why one person's details are not shown before a basis.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Wishes {
    /// An active objection to sharing at a source holding them (judged on `today`).
    Objected,
    /// A source holding them could not say whether they have objected.
    Unknown,
}

/// Whether one person's records (`found`, all theirs) stop their details being shown before
/// a basis, as a demographic search judges it; `None` when nothing does.
pub(crate) fn wishes(found: &[Candidate], today: &str) -> Option<Wishes> {
    let objected = found.iter().any(|c| {
        c.consents.as_ref().is_some_and(|directives| {
            let at = c.demographics.source_id.as_str();
            let state = ConsentState::from_directives(directives.iter().map(|d| (at, d)), today);
            matches!(state, ConsentState::Dissent { .. })
        })
    });
    if objected {
        Some(Wishes::Objected)
    } else if found.iter().any(|c| c.consents.is_none()) {
        Some(Wishes::Unknown)
    } else {
        None
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

#[cfg(test)]
mod tests {
    use super::*;
    use app::clinical_date::ClinicalDate;
    use app::model::Code;

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
            codes: vec![],
            security: vec![],
            also_recorded_at: vec![],
            discrepancy: None,
            measurement: None,
            attachments: Vec::new(),
            until: None,
            setting: None,
            reason_codes: Vec::new(),
            reason_refs: Vec::new(),
            entered_in_error: false,
            full_detail: None,
        }
    }

    /// An item is withheld with what it names as its reason: a reason code on a sensitive
    /// list, or a reason item (same source, any reference spelling the reader keeps) that is
    /// itself withheld. Reasons that are shown, or that the source did not send, withhold
    /// nothing.
    #[test]
    fn items_are_withheld_with_their_reasons() {
        let sensitive = Code::new("http://snomed.info/sct", "15628003");
        let condition = |id: &str, code: Option<&Code>| TimelineEntry {
            codes: code.into_iter().cloned().collect(),
            ..entry(None, id)
        };
        let encounter = |id: &str, codes: &[&Code], refs: &[&str]| TimelineEntry {
            category: Category::Encounter,
            resource_type: "Encounter".into(),
            reason_codes: codes.iter().map(|c| (*c).clone()).collect(),
            reason_refs: refs.iter().map(|r| r.to_string()).collect(),
            ..entry(None, id)
        };
        let plain = Code::new("http://snomed.info/sct", "49436004");
        let source = vec![
            condition("secret", Some(&sensitive)),
            condition("shown", Some(&plain)),
        ];
        let judge = |e: &TimelineEntry| -> Result<(), String> {
            match e.codes.contains(&sensitive) {
                true => Err("sensitive".into()),
                false => Ok(()),
            }
        };
        let cases = [
            (
                "for the withheld condition",
                encounter("e1", &[], &["Condition/secret"]),
                Err("sensitive"),
            ),
            (
                "coded with a sensitive reason",
                encounter("e2", &[&sensitive], &[]),
                Err("sensitive"),
            ),
            (
                "sensitive among other reasons",
                encounter("e3", &[&plain, &sensitive], &[]),
                Err("sensitive"),
            ),
            (
                "for a condition that is shown",
                encounter("e4", &[&plain], &["Condition/shown"]),
                Ok(()),
            ),
            (
                "for a condition not sent",
                encounter("e5", &[], &["Condition/absent"]),
                Ok(()),
            ),
            (
                "an id alike at another type",
                encounter("e6", &[], &["Observation/secret"]),
                Ok(()),
            ),
            ("no reasons", encounter("e7", &[], &[]), Ok(())),
        ];
        for (case, item, expected) in cases {
            let got = judge_with_reasons(&item, &source, judge);
            assert_eq!(got, expected.map_err(str::to_owned), "{case}");
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

    fn candidate(nhs: Option<&str>, at: &str, consents: Option<Vec<&str>>) -> Candidate {
        let directive = |json: &str| ConsentDirective::parse(json).unwrap();
        Candidate {
            nhs: nhs.map(|n| NhsNumber::parse(n).unwrap()),
            demographics: Demographics {
                family: Some("Smith".into()),
                given: vec!["Jo".into()],
                prefix: None,
                birth_date: Some(ClinicalDate::parse("1950-01-02").unwrap()),
                gender: None,
                postcode: None,
                source_id: at.into(),
                ..Default::default()
            },
            consents: consents.map(|list| list.into_iter().map(directive).collect()),
        }
    }

    #[test]
    fn people_who_objected_or_may_have_are_counted_not_listed() {
        const DENY: &str =
            r#"{"resourceType":"Consent","id":"k","status":"active","provision":{"type":"deny"}}"#;
        const ENDED: &str = r#"{"resourceType":"Consent","id":"k","status":"active","provision":{"type":"deny","period":{"end":"2020-01-01"}}}"#;
        const PERMIT: &str = r#"{"resourceType":"Consent","id":"k","status":"active","provision":{"type":"permit"}}"#;
        let (a, b, c, d) = ("9000000009", "9000000017", "9000000025", "9000000033");
        let candidates = vec![
            // One person at two sources; the GP holds their objection.
            candidate(Some(a), "gp", Some(vec![DENY])),
            candidate(Some(a), "acute", Some(vec![])),
            // The GP could not say; the hospital has nothing against sharing.
            candidate(Some(b), "gp", None),
            candidate(Some(b), "acute", Some(vec![PERMIT])),
            // An objection that has ended, and someone with no directives at all.
            candidate(Some(c), "gp", Some(vec![ENDED])),
            candidate(Some(d), "acute", Some(vec![])),
            // No NHS number: judged alone.
            candidate(None, "gp", Some(vec![DENY])),
            candidate(None, "acute", Some(vec![])),
        ];
        let name_of = |id: &str| id.to_owned();
        let (matches, not_shown) = group_candidates(candidates, "2026-11-22", &name_of);
        let listed: Vec<Option<String>> = matches
            .iter()
            .map(|m| m.nhs_number.map(|n| n.as_digits()))
            .collect();
        assert_eq!(listed, [Some(c.to_owned()), Some(d.to_owned()), None]);
        assert_eq!(matches[2].found_at, ["acute"]);
        assert_eq!(
            not_shown,
            NotShown {
                objected: 2,
                wishes_unknown: 1,
                restricted: 0,
            }
        );
    }
}
