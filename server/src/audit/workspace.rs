//! The audit officer's workspace behind the server functions and the export route: search,
//! the emergency-access review queue, reviews (audited as events that refer to the access;
//! never of one's own access), reports, exports and the chain check. Every call reads through
//! an [`super::AuditReader`], which only the `audit` permission opens, and is itself audited.

use super::reports::{self, ReportSpec, WorkingHours};
use super::{
    AuditConfig, AuditEvent, AuditTrail, EventKind, Filter, Outcome, Receipt, StoredEvent,
};
use app::api::LookupError;
use app::audit::{
    AuditQuery, AuditResults, AuditRow, AuditService, ChainCheck, ReviewHistory, ReviewedAccess,
};
use app::audit_terms::{Choice, RefusalKind, SearchChoices};
use app::auth::Caller;
use app::reports::{AccessReport, PatientAccessReport, ReportQuery};
use futures::future::BoxFuture;

/// Shortest review note accepted (visible characters).
pub const MIN_NOTE_CHARS: usize = 5;
/// Longest period one access report covers, in days.
const MAX_REPORT_DAYS: i64 = 92;
/// Most events a patient access report lists (the CSV export has them all).
const MAX_PATIENT_EVENTS: usize = 10_000;
/// Most reviews the review history shows at once (it says when a period holds more).
const MAX_REVIEWS_SHOWN: u32 = 100;
/// Events read per page while building a report.
const REPORT_PAGE: u32 = 5_000;
/// Most events one export holds; narrow the filters for more.
const MAX_EXPORT: usize = 100_000;

/// One export, ready to send as a download.
#[derive(Debug)]
pub struct ExportFile {
    pub body: String,
    pub content_type: &'static str,
    pub file_name: &'static str,
}

pub struct AuditDesk {
    trail: AuditTrail,
    /// The configured bases, as the search's pick-list offers them.
    bases: Vec<Choice>,
    hours: WorkingHours,
    emergency_threshold: u32,
    max_note_chars: usize,
}

impl AuditDesk {
    /// The workspace over `trail`, reporting with `config`'s working hours and threshold
    /// (checked when the configuration was loaded).
    pub fn new(
        trail: AuditTrail,
        config: &AuditConfig,
        bases: &[crate::policy::decide::BasisRule],
    ) -> Result<Self, String> {
        Ok(Self {
            trail,
            bases: bases
                .iter()
                .map(|b| Choice::new(&b.code, &b.label))
                .collect(),
            hours: WorkingHours::parse(&config.working_hours)?,
            emergency_threshold: config.emergency_threshold,
            max_note_chars: config.max_note_chars,
        })
    }

    /// Every event `query` matches (newest first, at most [`MAX_EXPORT`]) as a CSV (`format`
    /// "csv" or empty) or a FHIR Bundle of AuditEvents ("fhir"); the export is itself audited
    /// before it is returned.
    pub async fn export(
        &self,
        caller: &Caller,
        query: &AuditQuery,
        format: &str,
    ) -> Result<ExportFile, LookupError> {
        self.trail.reader(caller)?;
        let (content_type, file_name) = match format {
            "" | "csv" => ("text/csv; charset=utf-8", "audit-events.csv"),
            "fhir" => ("application/fhir+json", "audit-events.json"),
            other => {
                return Err(LookupError::InvalidInput(format!(
                    "format must be csv or fhir, not {other:?}"
                )))
            }
        };
        let filter = filter(query)?;
        let (events, _) = self.read_all(caller, &filter, MAX_EXPORT).await?;
        let body = match format {
            "fhir" => super::export::fhir_bundle(&events).to_string(),
            _ => super::export::csv(&events),
        };
        let mut event = AuditEvent::by(caller, EventKind::Export).detail(format!(
            "{} export: {} events",
            if format == "fhir" { "FHIR" } else { "CSV" },
            events.len()
        ));
        event.nhs_number = filter.nhs_number.clone();
        self.record(event).await?;
        Ok(ExportFile {
            body,
            content_type,
            file_name,
        })
    }

    /// Every event matching `filter`, newest first, up to `cap` (and whether there were more).
    async fn read_all(
        &self,
        caller: &Caller,
        filter: &Filter,
        cap: usize,
    ) -> Result<(Vec<StoredEvent>, bool), LookupError> {
        let reader = self.trail.reader(caller)?;
        let mut found: Vec<StoredEvent> = Vec::new();
        let mut before = None;
        loop {
            let page = reader.search(filter, before, REPORT_PAGE).await?;
            let last_page = page.len() < REPORT_PAGE as usize;
            before = page.last().map(|e| e.seq);
            found.extend(page);
            if found.len() > cap {
                found.truncate(cap);
                return Ok((found, true));
            }
            if last_page {
                return Ok((found, false));
            }
        }
    }

    async fn record(&self, event: AuditEvent) -> Result<Receipt, LookupError> {
        // The event carries the request id its failure is logged under.
        let request_id = event.request_id.clone();
        self.trail
            .record(event)
            .await
            .map_err(crate::outage::audit(&request_id))
    }

    /// Puts what `caller` is about to be shown from the trail on record: an audit-search
    /// event saying what (`detail`), naming the patient when it is one patient's. Every view
    /// calls it before answering, so nothing read from the trail is shown unaudited.
    async fn record_search(
        &self,
        caller: &Caller,
        patient: Option<String>,
        detail: String,
    ) -> Result<(), LookupError> {
        let mut event = AuditEvent::by(caller, EventKind::AuditSearch).detail(detail);
        event.nhs_number = patient;
        self.record(event).await.map(|_| ())
    }

    /// Each review beside the emergency access it reviewed, as the history shows them. A
    /// review whose access is no longer stored (purged under retention) is left out: there
    /// is nothing to show beside its note.
    async fn with_accesses(
        &self,
        caller: &Caller,
        reviews: &[StoredEvent],
    ) -> Result<Vec<ReviewedAccess>, LookupError> {
        let reader = self.trail.reader(caller)?;
        let mut shown = Vec::with_capacity(reviews.len());
        for review in reviews {
            let Some(seq) = review.event.refers_to else {
                continue;
            };
            let Some(access) = reader.get(seq).await? else {
                continue;
            };
            shown.push(ReviewedAccess {
                access: row(&access),
                reviewer_id: review.event.user_id.clone(),
                reviewer_name: review.event.user_name.clone(),
                note: review.event.detail.clone().unwrap_or_default(),
                reviewed_at: super::event::rfc3339(review.event.at_ms),
                reviewed_at_local: crate::uk_time::local(review.event.at_ms),
            });
        }
        Ok(shown)
    }
}

/// A query as the store reads it, or what is wrong with it.
pub fn filter(query: &AuditQuery) -> Result<Filter, LookupError> {
    let typed = [
        &query.nhs_number,
        &query.outcome,
        &query.refusal,
        &query.kind,
        &query.from,
        &query.to,
        &query.user,
        &query.organisation,
        &query.role,
        &query.basis,
    ];
    if typed.iter().any(|v| v.chars().any(char::is_control)) {
        return Err(LookupError::InvalidInput(
            "search terms cannot contain control characters".into(),
        ));
    }
    let text = |v: &str| Some(v.trim().to_owned()).filter(|v| !v.is_empty());
    let nhs_number = match text(&query.nhs_number) {
        Some(typed) => Some(
            app::nhs_number::NhsNumber::parse(&typed)
                .map_err(|e| LookupError::InvalidInput(format!("NHS number: {e}")))?
                .as_digits(),
        ),
        None => None,
    };
    let outcome = match text(&query.outcome) {
        Some(o) => Some(Outcome::parse(&o).ok_or_else(|| {
            LookupError::InvalidInput("outcome must be success, refused or failed".into())
        })?),
        None => None,
    };
    let refusal = match text(&query.refusal) {
        Some(r) => Some(
            RefusalKind::parse(&r)
                .ok_or_else(|| LookupError::InvalidInput(format!("no kind of refusal {r:?}")))?,
        ),
        None => None,
    };
    let kind = match text(&query.kind) {
        Some(k) => Some(
            EventKind::parse(&k)
                .ok_or_else(|| LookupError::InvalidInput(format!("no event kind {k:?}")))?,
        ),
        None => None,
    };
    let from_ms = text(&query.from)
        .map(|f| instant_ms(&f, false))
        .transpose()?;
    let to_ms = text(&query.to).map(|t| instant_ms(&t, true)).transpose()?;
    Ok(Filter {
        user_id: text(&query.user),
        nhs_number,
        organisation: text(&query.organisation),
        role: text(&query.role),
        basis: text(&query.basis),
        outcome,
        refusal,
        kinds: kind.into_iter().collect(),
        from_ms,
        to_ms,
    })
}

/// A UK date `YYYY-MM-DD` (the start of the UK day, or its last millisecond when
/// `end_of_day`) or an RFC 3339 date-time, as milliseconds since the epoch.
fn instant_ms(text: &str, end_of_day: bool) -> Result<i64, LookupError> {
    use time::format_description::well_known::Rfc3339;
    let bad = || {
        LookupError::InvalidInput(format!(
            "{text:?} is not a date (YYYY-MM-DD) or an RFC 3339 date-time"
        ))
    };
    if let Ok(at) = time::OffsetDateTime::parse(text, &Rfc3339) {
        return Ok((at.unix_timestamp_nanos() / 1_000_000) as i64);
    }
    let bound = if end_of_day {
        crate::uk_time::day_end_ms(text)
    } else {
        crate::uk_time::day_start_ms(text)
    };
    bound.ok_or_else(bad)
}

impl AuditService for AuditDesk {
    fn search<'a>(
        &'a self,
        caller: &'a Caller,
        query: AuditQuery,
    ) -> BoxFuture<'a, Result<AuditResults, LookupError>> {
        Box::pin(async move {
            let reader = self.trail.reader(caller)?;
            let filter = filter(&query)?;
            let limit = query.limit.unwrap_or(50).clamp(1, 200);
            let mut found = reader.search(&filter, query.before, limit + 1).await?;
            let more = found.len() > limit as usize;
            found.truncate(limit as usize);
            let older = more.then(|| found.last().map(|e| e.seq)).flatten();
            let detail = describe(&filter, found.len());
            self.record_search(caller, filter.nhs_number.clone(), detail)
                .await?;
            Ok(AuditResults {
                rows: found.iter().map(row).collect(),
                older,
            })
        })
    }

    fn search_choices(&self, caller: &Caller) -> Result<SearchChoices, LookupError> {
        self.trail.reader(caller)?;
        Ok(SearchChoices::with_bases(self.bases.clone()))
    }

    fn pending_reviews<'a>(
        &'a self,
        caller: &'a Caller,
    ) -> BoxFuture<'a, Result<Vec<AuditRow>, LookupError>> {
        Box::pin(async move {
            let rows = self.trail.reader(caller)?.pending_reviews(200).await?;
            let detail = format!("emergency review queue: {} waiting", rows.len());
            self.record_search(caller, None, detail).await?;
            Ok(rows.iter().map(row).collect())
        })
    }

    fn reviewed<'a>(
        &'a self,
        caller: &'a Caller,
        query: ReportQuery,
    ) -> BoxFuture<'a, Result<ReviewHistory, LookupError>> {
        Box::pin(async move {
            let reader = self.trail.reader(caller)?;
            let (from, to) = report_period(&query, super::event::now_ms())?;
            let (from, to) = (from.to_string(), to.to_string());
            let filter = Filter {
                kinds: vec![EventKind::Review],
                from_ms: crate::uk_time::day_start_ms(&from),
                to_ms: crate::uk_time::day_end_ms(&to),
                ..Filter::default()
            };
            let mut found = reader.search(&filter, None, MAX_REVIEWS_SHOWN + 1).await?;
            let more = found.len() > MAX_REVIEWS_SHOWN as usize;
            found.truncate(MAX_REVIEWS_SHOWN as usize);
            let reviews = self.with_accesses(caller, &found).await?;
            let detail = format!("review history {from} to {to}: {} reviews", reviews.len());
            self.record_search(caller, None, detail).await?;
            Ok(ReviewHistory {
                from,
                to,
                reviews,
                more,
            })
        })
    }

    fn review<'a>(
        &'a self,
        caller: &'a Caller,
        seq: i64,
        note: String,
    ) -> BoxFuture<'a, Result<(), LookupError>> {
        Box::pin(async move {
            let reader = self.trail.reader(caller)?;
            let note = note.trim().to_owned();
            app::consent::check_text(&note, MIN_NOTE_CHARS, self.max_note_chars)
                .map_err(|problem| LookupError::InvalidInput(problem.message("review note")))?;
            let access = reader.get(seq).await?;
            let Some(access) = access.filter(|a| a.event.kind == EventKind::EmergencyAccess) else {
                return Err(LookupError::NotFound(format!("no emergency access {seq}")));
            };
            if access.event.user_id == caller.viewer.user_id {
                // A review is a second person's check: refused, and the attempt is on record.
                let why = "you opened this record yourself: another audit officer must review it";
                let mut attempt = AuditEvent::by(caller, EventKind::Denied).refused(
                    RefusalKind::OwnReview,
                    format!("review of emergency access {seq}: {why}"),
                );
                attempt.refers_to = Some(access.seq);
                attempt.nhs_number = access.event.nhs_number.clone();
                self.record(attempt).await?;
                return Err(LookupError::Forbidden(why.to_owned()));
            }
            let mut event = AuditEvent::by(caller, EventKind::Review).detail(note);
            event.refers_to = Some(access.seq);
            event.nhs_number = access.event.nhs_number.clone();
            self.record(event).await?;
            Ok(())
        })
    }

    fn verify<'a>(&'a self, caller: &'a Caller) -> BoxFuture<'a, Result<ChainCheck, LookupError>> {
        Box::pin(async move {
            let check = match self.trail.reader(caller)?.verify().await? {
                Ok(events) => ChainCheck::Intact { events },
                Err(broken) => ChainCheck::Broken {
                    seq: broken.seq,
                    reason: broken.reason,
                },
            };
            let detail = match &check {
                ChainCheck::Intact { events } => format!("chain verified: {events} events intact"),
                ChainCheck::Broken { seq, .. } => format!("chain verified: broken at {seq}"),
            };
            self.record_search(caller, None, detail).await?;
            Ok(check)
        })
    }

    fn access_report<'a>(
        &'a self,
        caller: &'a Caller,
        query: ReportQuery,
    ) -> BoxFuture<'a, Result<AccessReport, LookupError>> {
        Box::pin(async move {
            let reader = self.trail.reader(caller)?;
            let (from, to) = report_period(&query, super::event::now_ms())?;
            let spec = ReportSpec {
                from,
                to,
                hours: self.hours,
                emergency_threshold: self.emergency_threshold,
                truncated: false,
            };
            let count = super::counts::AccessCount::for_report(&spec).ok_or_else(|| {
                LookupError::InvalidInput("the period's dates are out of range".into())
            })?;
            let counts = reader.count_accesses(&count).await?;
            let report = reports::from_counts(&spec, counts);
            let detail = format!("access report {from} to {to}: {} accesses", report.accesses);
            self.record_search(caller, None, detail).await?;
            Ok(report)
        })
    }

    fn patient_access<'a>(
        &'a self,
        caller: &'a Caller,
        nhs_number: String,
    ) -> BoxFuture<'a, Result<PatientAccessReport, LookupError>> {
        Box::pin(async move {
            let reader = self.trail.reader(caller)?;
            let nhs = app::nhs_number::NhsNumber::parse(&nhs_number)
                .map_err(|e| LookupError::InvalidInput(format!("NHS number: {e}")))?;
            let filter = Filter {
                nhs_number: Some(nhs.as_digits()),
                kinds: reports::PATIENT_KINDS.to_vec(),
                ..Filter::default()
            };
            let (events, truncated) = self.read_all(caller, &filter, MAX_PATIENT_EVENTS).await?;
            let checkpoint = reader.checkpoint().await?;
            let kept_since_ms = checkpoint.map(|c| c.at_ms);
            let report =
                reports::patient_report(&nhs.as_digits(), &events, kept_since_ms, truncated, row);
            let detail = format!(
                "patient access report: {} events, {} people",
                report.events.len(),
                report.viewers.len()
            );
            self.record_search(caller, Some(nhs.as_digits()), detail)
                .await?;
            Ok(report)
        })
    }
}

/// What was searched for, in words for the audit trail (the NHS number has its own field).
fn describe(filter: &Filter, found: usize) -> String {
    let mut parts = Vec::new();
    let fields = [
        ("user", &filter.user_id),
        ("organisation", &filter.organisation),
        ("role", &filter.role),
        ("basis", &filter.basis),
    ];
    for (name, value) in fields {
        if let Some(value) = value {
            parts.push(format!("{name}={value}"));
        }
    }
    if filter.nhs_number.is_some() {
        parts.push("patient".to_owned());
    }
    if let Some(o) = filter.outcome {
        parts.push(format!("outcome={}", o.as_str()));
    }
    if let Some(r) = filter.refusal {
        parts.push(format!("refusal={}", r.as_str()));
    }
    if !filter.kinds.is_empty() {
        let kinds: Vec<&str> = filter.kinds.iter().map(|k| k.as_str()).collect();
        parts.push(format!("kind={}", kinds.join("|")));
    }
    if filter.from_ms.is_some() || filter.to_ms.is_some() {
        parts.push("time range".to_owned());
    }
    format!("audit search [{}]: {found} shown", parts.join(", "))
}

/// The report's first and last UK dates: as asked, or the 30 days up to today.
fn report_period(
    query: &ReportQuery,
    now_ms: i64,
) -> Result<(time::Date, time::Date), LookupError> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    let date = |text: &str| {
        time::Date::parse(text.trim(), &format)
            .map_err(|_| LookupError::InvalidInput(format!("{text:?} is not a date (YYYY-MM-DD)")))
    };
    let today = reports::uk_date(now_ms);
    let to = match query.to.trim() {
        "" => today,
        text => date(text)?,
    };
    let from = match query.from.trim() {
        "" => to - time::Duration::days(29),
        text => date(text)?,
    };
    if from > to {
        return Err(LookupError::InvalidInput(
            "the period ends before it starts".into(),
        ));
    }
    if (to - from).whole_days() >= MAX_REPORT_DAYS {
        return Err(LookupError::InvalidInput(format!(
            "a report covers at most {MAX_REPORT_DAYS} days"
        )));
    }
    Ok((from, to))
}

/// A stored event as the workspace shows it.
pub fn row(stored: &StoredEvent) -> AuditRow {
    let e = &stored.event;
    AuditRow {
        seq: stored.seq,
        at: super::event::rfc3339(e.at_ms),
        at_local: crate::uk_time::local(e.at_ms),
        kind: e.kind.as_str().to_owned(),
        user_id: e.user_id.clone(),
        user_name: e.user_name.clone(),
        role: e.role.clone(),
        organisation: e.organisation.clone(),
        nhs_number: e.nhs_number.clone(),
        basis: e.basis.clone(),
        reason: e.reason.clone(),
        outcome: e.outcome.as_str().to_owned(),
        refusal: e.refusal,
        detail: e.detail.clone(),
        sources: e.sources.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn report_periods_default_to_thirty_days_and_are_checked() {
        let now = 1_796_000_000_000; // 2026-11-30
        let q = |from: &str, to: &str| {
            report_period(
                &ReportQuery {
                    from: from.into(),
                    to: to.into(),
                },
                now,
            )
            .map(|(f, t)| (f.to_string(), t.to_string()))
        };
        assert_eq!(q("", ""), Ok(("2026-11-01".into(), "2026-11-30".into())));
        assert_eq!(
            q("2026-11-01", "2026-11-02"),
            Ok(("2026-11-01".into(), "2026-11-02".into()))
        );
        // (from, to, words in the refusal)
        let refused = [
            ("2026-11-03", "2026-11-02", "ends before"),
            ("2026-01-01", "2026-11-02", "at most 92 days"),
            ("1/11/2026", "", "not a date"),
        ];
        for (from, to, words) in refused {
            let error = q(from, to).unwrap_err().to_string();
            assert!(error.contains(words), "{from}..{to}: {error}");
        }
    }

    #[test]
    fn queries_are_checked_and_read() {
        let q = |f: fn(&mut AuditQuery)| {
            let mut query = AuditQuery::default();
            f(&mut query);
            filter(&query)
        };
        assert_eq!(q(|_| {}), Ok(Filter::default()));
        let read = q(|q| {
            q.nhs_number = "943 476 5919".into();
            q.outcome = "refused".into();
            q.kind = "emergency-access".into();
            q.from = "2026-11-01".into();
            q.to = "2026-11-01".into();
            q.user = "  ".into();
        })
        .unwrap();
        assert_eq!(read.nhs_number.as_deref(), Some("9434765919"));
        assert_eq!(read.outcome, Some(Outcome::Refused));
        assert_eq!(read.kinds, vec![EventKind::EmergencyAccess]);
        assert_eq!(read.to_ms.unwrap() - read.from_ms.unwrap(), 86_400_000 - 1);
        assert_eq!(read.user_id, None);
        // (bad query, words in the refusal)
        type Change = fn(&mut AuditQuery);
        let table: [(Change, &str); 4] = [
            (|q| q.nhs_number = "9434765918".into(), "NHS number"),
            (|q| q.outcome = "maybe".into(), "outcome"),
            (|q| q.kind = "peek".into(), "event kind"),
            (|q| q.from = "01/11/2026".into(), "not a date"),
        ];
        for (bad, words) in table {
            let refused = q(bad).unwrap_err();
            assert!(refused.to_string().contains(words), "{refused}");
        }
    }
}
