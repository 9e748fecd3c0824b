//! Opening a patient's record for one member of staff: their legitimate basis (recorded in the
//! session or stated by an API caller), the patient's consent, and every item judged by the one
//! decision function ([`policy::decide`]) after the cache, on every view. What is withheld is
//! counted, what is refused says why; a change in the patient's dissent purges their cache.

use crate::audit::event::shares_surname;
use crate::audit::{AuditEvent, AuditTrail, EventKind};
use crate::bases::{BasisBook, BasisKey};
use crate::clock::now_rfc3339;
use crate::config::Config;
use crate::gp_connect::Requester;
use crate::notify::outbox::Outbox;
use crate::notify::ChildProtectionConfig;
use crate::outage;
use crate::policy::gate::{self, ItemJudge, Judged};
use crate::policy::{decide, labels_withhold, ConsentPolicy, ConsentState, Decision, Refusal};
use crate::record::{Aggregator, Gathered};
use crate::shared_store::SharedStore;
use crate::sources::{on_behalf_of, FhirSource, SourceError};
use app::api::{LookupError, Outage, RecordService, SearchForm};
use app::auth::{Caller, Permission, Viewer};
use app::consent::{
    Basis, BasisPrompt, BasisSource, ConsentUnknownNotice, DissentNotice, SessionKey,
};
use app::lookup_progress::{EarlyAnswer, LookupProgress, SourceAsked};
use app::model::{PatientRecord, SourceKind, TimelineEntry};
use app::nhs_number::NhsNumber;
use app::patient_search::SearchResults;
use app::timeline_query::{TimelinePage, TimelineQuery};
use futures::future::BoxFuture;
use moka::sync::Cache;
use std::sync::Arc;

/// The record service the pages and the JSON API share.
pub struct RecordDesk {
    aggregator: Aggregator,
    policy: ConsentPolicy,
    /// Bases recorded in browser sessions, per patient, role and organisation; each lasts
    /// `basis_lifetime`.
    bases: BasisBook,
    /// Whether each recently viewed patient had dissented, to notice a change.
    dissent_seen: Cache<NhsNumber, bool>,
    /// Forced refreshes by user and patient, each remembered for `cache.refresh_interval_s`
    /// (`None`: not limited).
    refreshes: Option<Cache<(String, NhsNumber), ()>>,
    audit: AuditTrail,
    child_protection: ChildProtectionConfig,
    /// Where child-protection notifications wait for delivery.
    outbox: Option<Arc<Outbox>>,
}

impl RecordDesk {
    pub fn new(config: &Config, audit: AuditTrail) -> Result<Self, SourceError> {
        let policy = config.consent.clone();
        Ok(Self {
            aggregator: Aggregator::new(config)?,
            bases: BasisBook::new(&SharedStore::Alone, policy.basis_lifetime()),
            dissent_seen: Cache::builder()
                .max_capacity(1_000_000)
                .time_to_live(std::time::Duration::from_secs(
                    config.cache.ttl_s.max(config.cache.max_stale_s).max(1),
                ))
                .build(),
            refreshes: (config.cache.refresh_interval_s > 0).then(|| {
                Cache::builder()
                    .max_capacity(1_000_000)
                    .time_to_live(std::time::Duration::from_secs(
                        config.cache.refresh_interval_s,
                    ))
                    .build()
            }),
            policy,
            audit,
            child_protection: config.child_protection.clone(),
            outbox: None,
        })
    }

    /// Bases are kept in this book (by default in this process only).
    pub fn with_bases(mut self, bases: BasisBook) -> Self {
        self.bases = bases;
        self
    }

    /// Notifications for child-protection flags go to this outbox (without one they are
    /// logged as an error and not sent).
    pub fn with_outbox(mut self, outbox: Arc<Outbox>) -> Self {
        self.outbox = Some(outbox);
        self
    }

    /// The configured source with this id (a document is read again from it, once its item
    /// has been judged).
    pub(crate) fn source(&self, id: &str) -> Option<&FhirSource> {
        self.aggregator.source(id)
    }

    /// Empties the brief cache, so the next views ask every source again. For benchmarks,
    /// which measure cold views; nothing in the portal calls it.
    pub async fn clear_cache_for_benchmarks(&self) {
        self.aggregator.cache().clear().await;
    }

    /// Opens the record (see [`RecordDesk::judge`]) and audits the view, or the refusal. The
    /// record is returned only once its view event is durable: no audit, no data.
    pub async fn open(
        &self,
        caller: &Caller,
        nhs: NhsNumber,
        refresh: bool,
    ) -> Result<PatientRecord, LookupError> {
        self.open_reporting(caller, nhs, refresh, &|_| {}).await
    }

    /// [`RecordDesk::open`], telling `answered` each source's report as that source answers
    /// (before consent and the items are judged: callers pass on only what
    /// [`app::lookup_progress::EarlyAnswer`] keeps of it).
    pub async fn open_reporting(
        &self,
        caller: &Caller,
        nhs: NhsNumber,
        refresh: bool,
        answered: &(dyn Fn(&app::model::SourceReport) + Sync),
    ) -> Result<PatientRecord, LookupError> {
        let judged = match self.judge(caller, nhs, refresh, answered).await {
            Ok(judged) => judged,
            // A person at the page is shown whose record it is before any basis is asked. That
            // is a prompt, not a refusal: the identity check is audited (a patient search,
            // "identity shown before a basis") and nothing else is, so an ordinary open
            // writes no refusal. An API call without its basis is refused and audited below.
            Err(LookupError::BasisRequired(mut prompt))
                if matches!(caller.basis, BasisSource::Session(_)) =>
            {
                prompt.identity = self.identity(caller, nhs).await?;
                return Err(LookupError::BasisRequired(prompt));
            }
            Err(refusal) => return Err(self.refused(caller, Some(nhs), refusal).await),
        };
        let judged = judged.map(|mut record| {
            record.child_protection = self.child_protection.flags_in(&record);
            record
        });
        let record = self
            .hand_over(judged, |record| view_event(caller, record))
            .await?;
        if self.child_protection.notifies(caller.viewer.role) {
            self.notify(caller, &record).await;
        }
        Ok(record)
    }

    /// One page of the record's timeline as `query` filters it: the record judged as
    /// [`RecordDesk::open`] judges it (through the cache; a refusal is audited and answered the
    /// same way), and the page audited as a timeline search, durable before it is returned.
    pub async fn timeline(
        &self,
        caller: &Caller,
        nhs: NhsNumber,
        query: TimelineQuery,
    ) -> Result<TimelinePage, LookupError> {
        let judged = match self.judge(caller, nhs, false, &|_| {}).await {
            Ok(judged) => judged,
            Err(refusal) => return Err(self.refused(caller, Some(nhs), refusal).await),
        };
        let page = judged.map(|record| {
            let basis = record.basis.unwrap_or_else(|| Basis::new("", ""));
            (app::timeline_query::select(&record.entries, &query), basis)
        });
        let (page, _) = self
            .hand_over(page, |(page, basis)| {
                let mut event = AuditEvent::by(caller, EventKind::TimelineSearch)
                    .patient(nhs)
                    .basis(basis)
                    .detail(timeline_detail(page));
                event.sources = distinct(page.entries.iter().map(|e| e.source_id.as_str()));
                event.categories = distinct(page.entries.iter().map(|e| e.category.as_str()));
                event
            })
            .await?;
        Ok(page)
    }

    /// Whose record this is, from the sources' Patient resources only (no clinical resource
    /// is read, nothing is cached), judged as the demographic search judges a candidate. It
    /// is a patient search in the audit trail, durable before anything is returned: no
    /// audit, no details. Callers have already checked that the viewer may look patients up.
    async fn identity(
        &self,
        caller: &Caller,
        nhs: NhsNumber,
    ) -> Result<app::identity::IdentityCheck, LookupError> {
        let today = now_rfc3339().get(..10).unwrap_or_default().to_owned();
        let requester = Requester::of(&caller.viewer);
        let asked = self.aggregator.identify(nhs, &requester);
        let answers = on_behalf_of(&caller.request.request_id, asked).await;
        let withheld = |details: &app::model::Demographics| {
            labels_withhold(&self.policy, &caller.viewer, &details.security).is_some()
        };
        let gp_sources: Vec<String> = answers
            .iter()
            .filter(|(r, _)| r.kind == SourceKind::Gp)
            .map(|(r, _)| r.id.clone())
            .collect();
        let mut checked = crate::identity::check(answers, &today, &withheld);
        if caller.viewer.summary_only() {
            conceal_identity_services(&mut checked.check, &gp_sources);
        }
        let mut event = AuditEvent::by(caller, EventKind::PatientSearch)
            .patient(nhs)
            .detail(checked.audit_detail);
        event.sources = checked.read_at;
        self.durably(event).await?;
        Ok(checked.check)
    }

    /// Writes one notification per child-protection flag to the outbox (once a day per
    /// viewer and recipient). The record is still shown if this fails: the failure is logged
    /// loudly for operations to act on.
    async fn notify(&self, caller: &Caller, record: &PatientRecord) {
        let sent = now_rfc3339();
        for flag in &record.child_protection {
            let Some(outbox) = &self.outbox else {
                tracing::error!("a child-protection flag was viewed but no outbox is configured");
                return;
            };
            let day = sent.get(..10).unwrap_or_default();
            let key = format!(
                "{}|{}|{}|{day}",
                record.nhs_number.as_digits(),
                caller.viewer.user_id,
                flag.source_id
            );
            let body = crate::notify::communication(caller, record, flag, &sent).to_string();
            let recipient = format!("{} ({})", flag.organisation, flag.organisation_code);
            let now = crate::clock::now_ms();
            if let Err(error) = outbox
                .enqueue(&key, &flag.source_id, &recipient, &body, now)
                .await
            {
                tracing::error!(%error, "a child-protection notification could not be written");
            }
        }
    }

    /// Hands over what was judged once the event `event` makes of it is durable: no audit, no
    /// data ([`Judged::audited`]).
    pub(crate) async fn hand_over<T>(
        &self,
        judged: Judged<T>,
        event: impl FnOnce(&T) -> AuditEvent,
    ) -> Result<T, LookupError> {
        judged.audited(&self.audit, event).await
    }

    /// Writes an event that must be durable before the caller sees anything
    /// ([`gate::durably`]).
    pub(crate) async fn durably(&self, event: AuditEvent) -> Result<(), LookupError> {
        gate::durably(&self.audit, event).await.map(|_durable| ())
    }

    /// Audits a refusal and hands it back (a refusal shows no data, so it is returned even if
    /// the audit store is down; that failure is logged).
    async fn refused(
        &self,
        caller: &Caller,
        nhs: Option<NhsNumber>,
        refusal: LookupError,
    ) -> LookupError {
        let mut event = AuditEvent::by(caller, EventKind::Denied)
            .refused_with(&refusal)
            .stated_basis(caller);
        event.nhs_number = nhs.map(|n| n.as_digits());
        if let Err(error) = self.audit.record(event).await {
            let request_id = &caller.request.request_id;
            tracing::error!(request_id, %error, "a refusal could not be audited");
        }
        refusal
    }

    /// The decisions for one view: the basis, then the sources (through the cache, telling
    /// `answered` each source's report as it answers), then consent, then each item
    /// ([`gate::judge`]).
    async fn judge(
        &self,
        caller: &Caller,
        nhs: NhsNumber,
        refresh: bool,
        answered: &(dyn Fn(&app::model::SourceReport) + Sync),
    ) -> Result<Judged<PatientRecord>, LookupError> {
        let (basis, consent, gathered) = self
            .gather_reporting(caller, nhs, refresh, answered)
            .await?;
        Ok(gate::judge(
            gathered,
            &self.policy,
            &caller.viewer,
            basis,
            &consent,
        ))
    }

    /// One item of the record by its provenance, with its full detail (every field read, the
    /// sanitised narrative, notes, and its source's name, ODS code and fetch time), if the
    /// viewer may see it. An item the record view would withhold is answered exactly as one that does not exist (same
    /// status, same words), so ids cannot be probed; the audit trail says which it was.
    pub async fn entry(
        &self,
        caller: &Caller,
        nhs: NhsNumber,
        at: (&str, &str, &str),
    ) -> Result<TimelineEntry, LookupError> {
        let (entry, _) = self.item(caller, nhs, at).await?;
        self.hand_over(entry, |entry| {
            let mut event = AuditEvent::by(caller, EventKind::EntryView)
                .patient(nhs)
                .detail(format!("{}/{}", entry.resource_type, entry.resource_id))
                .stated_basis(caller);
            event.sources = vec![entry.source_id.clone()];
            event.categories = vec![entry.category.as_str().to_owned()];
            event
        })
        .await
    }

    /// One item by its provenance, judged as [`RecordDesk::entry`] judges it (a refusal is
    /// audited and answered as `entry` answers it), with the judgement kept for a fresh copy
    /// of the item (a document read again from its source). Nothing is audited on success:
    /// the caller audits what it shows.
    pub(crate) async fn item(
        &self,
        caller: &Caller,
        nhs: NhsNumber,
        at: (&str, &str, &str),
    ) -> Result<(Judged<TimelineEntry>, ItemJudge<'_>), LookupError> {
        match self.judge_entry(caller, nhs, at).await {
            Ok(found) => Ok(found),
            Err(refusal) => Err(self.refused_item(caller, nhs, refusal).await),
        }
    }

    /// Audits an item's refusal and gives the answer the caller sees: withheld and not found
    /// alike.
    pub(crate) async fn refused_item(
        &self,
        caller: &Caller,
        nhs: NhsNumber,
        refusal: LookupError,
    ) -> LookupError {
        match self.refused(caller, Some(nhs), refusal).await {
            LookupError::Withheld(_) | LookupError::NotFound(_) => no_such_item(),
            other => other,
        }
    }

    async fn judge_entry(
        &self,
        caller: &Caller,
        nhs: NhsNumber,
        at: (&str, &str, &str),
    ) -> Result<(Judged<TimelineEntry>, ItemJudge<'_>), LookupError> {
        let (basis, consent, gathered) = self.gather(caller, nhs, false).await?;
        gate::judge_item(&gathered, &self.policy, &caller.viewer, basis, consent, at)
    }

    /// The checks every view of a patient passes before any item is judged: permission to
    /// look patients up, a basis the role may give, then (after asking the sources) the
    /// patient's consent.
    async fn gather(
        &self,
        caller: &Caller,
        nhs: NhsNumber,
        refresh: bool,
    ) -> Result<(Basis, ConsentState, Gathered), LookupError> {
        self.gather_reporting(caller, nhs, refresh, &|_| {}).await
    }

    /// [`RecordDesk::gather`], telling `answered` each source's report as it answers. The
    /// consent decision below needs every source's answer, so nothing clinical is judged, let
    /// alone shown, before the slowest source has answered or run out of time.
    async fn gather_reporting(
        &self,
        caller: &Caller,
        nhs: NhsNumber,
        refresh: bool,
        answered: &(dyn Fn(&app::model::SourceReport) + Sync),
    ) -> Result<(Basis, ConsentState, Gathered), LookupError> {
        let viewer = &caller.viewer;
        may_find_patients(viewer)?;
        let basis = self.basis_for(caller, nhs).await?;
        let refresh = refresh && self.may_refresh(&viewer.user_id, nhs);
        // Pages render in tasks of their own: each source is told the request id here too.
        let requester = Requester::of(viewer);
        let asked = self
            .aggregator
            .gather_reporting(nhs, refresh, &requester, answered);
        let gathered = on_behalf_of(&caller.request.request_id, asked).await;
        let consent = self.consent_state(nhs, &gathered);
        match decide(&self.policy, viewer, Some(&basis), &consent, None) {
            Decision::Allow => Ok((basis, consent, gathered)),
            Decision::Deny(Refusal::Dissent) => Err(self.dissent(viewer, &consent, &gathered)),
            Decision::Deny(Refusal::ConsentUnknown) => Err(LookupError::ConsentUnknown(Box::new(
                ConsentUnknownNotice {
                    unread: gate::unread_consent(&gathered),
                    emergency: self.policy.dissent_override_for(viewer.role),
                },
            ))),
            Decision::Deny(other) => Err(LookupError::Forbidden(other.to_string())),
            Decision::Withhold(why) => Err(LookupError::Withheld(why.to_string())),
        }
    }

    /// True for the first forced refresh of a patient by a user within the refresh interval;
    /// later ones are served from the cache (each source's `fetched_at` says how old it is).
    fn may_refresh(&self, user_id: &str, nhs: NhsNumber) -> bool {
        let Some(refreshes) = &self.refreshes else {
            return true;
        };
        let first = refreshes
            .entry((user_id.to_owned(), nhs))
            .or_insert(())
            .is_fresh();
        if !first {
            tracing::debug!("a repeated refresh is served from the cache");
        }
        first
    }

    /// The basis this request carries for the patient, checked against the policy for the
    /// viewer's role. A session's recorded basis is found only in the role and organisation
    /// it was given in; one that no longer fits the policy is forgotten and asked for again.
    async fn basis_for(&self, caller: &Caller, nhs: NhsNumber) -> Result<Basis, LookupError> {
        let viewer = &caller.viewer;
        let unkept = |e| outage::logged(Outage::Sessions, &e, &caller.request.request_id);
        let stated = match &caller.basis {
            BasisSource::Session(key) => {
                let key = BasisKey::new(key, viewer, nhs);
                let Some(basis) = self.bases.get(&key).await.map_err(unkept)? else {
                    return Err(self.prompt(viewer));
                };
                if self.refusal(viewer, &basis).is_some() {
                    self.bases.forget(&key).await.map_err(unkept)?;
                    return Err(self.prompt(viewer));
                }
                return Ok(basis);
            }
            BasisSource::Stated(stated) => stated,
        };
        let basis = match stated {
            Ok(Some(basis)) => basis.clone(),
            Ok(None) => return Err(self.prompt(viewer)),
            Err(problem) => return Err(LookupError::BasisRefused(problem.clone())),
        };
        match self.refusal(viewer, &basis) {
            Some(refusal) => Err(LookupError::BasisRefused(refusal.to_string())),
            None => Ok(basis),
        }
    }

    /// Why the policy refuses this basis for the viewer, whatever the patient's wishes.
    fn refusal(&self, viewer: &Viewer, basis: &Basis) -> Option<Refusal> {
        match decide(
            &self.policy,
            viewer,
            Some(basis),
            &ConsentState::NoObjection,
            None,
        ) {
            Decision::Deny(refusal) => Some(refusal),
            _ => None,
        }
    }

    fn prompt(&self, viewer: &Viewer) -> LookupError {
        LookupError::BasisRequired(BasisPrompt {
            options: self.policy.options_for(viewer.role),
            lasts_minutes: self.policy.basis_lifetime_s.div_ceil(60),
            identity: Default::default(),
        })
    }

    /// The patient's consent as the sources record them today: a recorded objection, or
    /// unknown when a source that can hold one did not answer about consent, or no objection.
    /// A change of dissent since the last view purges everything cached about the patient, so
    /// no copy outlives it.
    fn consent_state(&self, nhs: NhsNumber, gathered: &Gathered) -> ConsentState {
        let today = now_rfc3339().get(..10).unwrap_or_default().to_owned();
        let state = gate::consent(gathered, &today);
        let dissent = match state {
            ConsentState::Dissent { .. } => true,
            ConsentState::NoObjection => false,
            ConsentState::Unknown { .. } => return state,
        };
        if self
            .dissent_seen
            .get(&nhs)
            .is_some_and(|seen| seen != dissent)
        {
            tracing::info!("a patient's dissent changed; their cached records are purged");
            self.aggregator.cache().purge_patient(nhs);
        }
        self.dissent_seen.insert(nhs, dissent);
        state
    }

    fn dissent(&self, viewer: &Viewer, consent: &ConsentState, gathered: &Gathered) -> LookupError {
        let ConsentState::Dissent { source_id } = consent else {
            return LookupError::Forbidden(Refusal::Dissent.to_string());
        };
        let report = gathered.reports().find(|r| &r.id == source_id);
        LookupError::Dissent(Box::new(DissentNotice {
            recorded_by: report.map_or_else(|| source_id.clone(), |r| r.name.clone()),
            organisation_code: report
                .map(|r| r.organisation_code.clone())
                .unwrap_or_default(),
            emergency: self.policy.dissent_override_for(viewer.role),
        }))
    }

    /// Records a session's basis for a patient, if the viewer's role may give it.
    async fn record(
        &self,
        caller: &Caller,
        nhs: NhsNumber,
        basis: Basis,
    ) -> Result<(), LookupError> {
        let event = AuditEvent::by(caller, EventKind::BasisRecorded)
            .patient(nhs)
            .basis(&basis);
        let key = match self.basis_allowed(caller, &basis) {
            Ok(key) => key,
            Err(refusal) => {
                if let Err(error) = self.audit.record(event.refused_with(&refusal)).await {
                    let request_id = &caller.request.request_id;
                    tracing::error!(request_id, %error, "a refused basis could not be audited");
                }
                return Err(refusal);
            }
        };
        self.durably(event).await?;
        let key = BasisKey::new(&key, &caller.viewer, nhs);
        self.bases
            .insert(&key, &basis)
            .await
            .map_err(|e| outage::logged(Outage::Sessions, &e, &caller.request.request_id))
    }

    /// The session a basis may be recorded in, if the caller's role may give it.
    fn basis_allowed(&self, caller: &Caller, basis: &Basis) -> Result<SessionKey, LookupError> {
        let viewer = &caller.viewer;
        may_find_patients(viewer)?;
        let BasisSource::Session(key) = &caller.basis else {
            return Err(LookupError::BasisRefused(format!(
                "state the basis with each request, in the {} header",
                app::consent::BASIS_HEADER
            )));
        };
        if let Some(refusal) = self.refusal(viewer, basis) {
            return Err(LookupError::BasisRefused(refusal.to_string()));
        }
        Ok(key.clone())
    }
}

impl RecordService for RecordDesk {
    fn patient<'a>(
        &'a self,
        caller: &'a Caller,
        typed: &'a str,
    ) -> BoxFuture<'a, Result<NhsNumber, LookupError>> {
        Box::pin(async move {
            match NhsNumber::parse(typed) {
                Ok(nhs) => Ok(nhs),
                Err(problem) => {
                    let refusal = LookupError::InvalidNhsNumber(problem);
                    // What was typed goes in the detail: the audit trail is where a mistyped
                    // (or probed) number belongs, and nowhere else.
                    let mut event = AuditEvent::by(caller, EventKind::Denied)
                        .refused_with(&refusal)
                        .stated_basis(caller);
                    event.detail = Some(format!("{refusal} (typed {typed:?})"));
                    if let Err(error) = self.audit.record(event).await {
                        let request_id = &caller.request.request_id;
                        tracing::error!(request_id, %error, "a refused NHS number could not be audited");
                    }
                    Err(refusal)
                }
            }
        })
    }

    fn timeline<'a>(
        &'a self,
        caller: &'a Caller,
        nhs: NhsNumber,
        query: TimelineQuery,
    ) -> BoxFuture<'a, Result<TimelinePage, LookupError>> {
        Box::pin(RecordDesk::timeline(self, caller, nhs, query))
    }

    fn lookup<'a>(
        &'a self,
        caller: &'a Caller,
        nhs: NhsNumber,
        refresh: bool,
    ) -> BoxFuture<'a, Result<PatientRecord, LookupError>> {
        Box::pin(self.open(caller, nhs, refresh))
    }

    fn lookup_with_progress<'a>(
        &'a self,
        caller: &'a Caller,
        nhs: NhsNumber,
        refresh: bool,
        progress: LookupProgress,
    ) -> BoxFuture<'a, Result<PatientRecord, LookupError>> {
        let summary_only = caller.viewer.summary_only();
        Box::pin(async move {
            let answered = |report: &app::model::SourceReport| {
                progress.answered(&report.id, EarlyAnswer::for_role(report, summary_only));
            };
            self.open_reporting(caller, nhs, refresh, &answered).await
        })
    }

    fn sources_asked<'a>(
        &'a self,
        caller: &'a Caller,
        nhs: NhsNumber,
    ) -> BoxFuture<'a, Result<Vec<SourceAsked>, LookupError>> {
        Box::pin(async move {
            may_find_patients(&caller.viewer)?;
            self.basis_for(caller, nhs).await?;
            Ok(self.aggregator.sources_asked())
        })
    }

    fn record_basis<'a>(
        &'a self,
        caller: &'a Caller,
        nhs: NhsNumber,
        basis: Basis,
    ) -> BoxFuture<'a, Result<(), LookupError>> {
        Box::pin(self.record(caller, nhs, basis))
    }

    fn search<'a>(
        &'a self,
        caller: &'a Caller,
        form: SearchForm,
    ) -> BoxFuture<'a, Result<SearchResults, LookupError>> {
        Box::pin(async move {
            if let Err(refusal) = may_find_patients(&caller.viewer) {
                return Err(self.refused(caller, None, refusal).await);
            }
            let asked = self.aggregator.search(form);
            let mut results = match on_behalf_of(&caller.request.request_id, asked).await {
                Ok(results) => results,
                Err(refusal) => return Err(self.refused(caller, None, refusal).await),
            };
            // A person whose Patient record is labelled beyond this viewer's role is counted,
            // never named.
            let before = results.matches.len();
            results.matches.retain(|m| {
                labels_withhold(&self.policy, &caller.viewer, &m.demographics.security).is_none()
            });
            results.not_shown.restricted += before - results.matches.len();
            let (shown, hidden) = (results.matches.len(), results.not_shown);
            let mut event = AuditEvent::by(caller, EventKind::PatientSearch).detail(format!(
                "{shown} candidate(s) shown; not shown: {} objected to sharing, {} wishes unknown, {} confidential beyond the role",
                hidden.objected, hidden.wishes_unknown, hidden.restricted
            ));
            event.sources = results
                .sources
                .iter()
                .filter(|s| s.status == app::model::SourceStatus::Ok)
                .map(|s| s.id.clone())
                .collect();
            // Each person shown is disclosed to the searcher: one event each, so it appears
            // in their access report. People not shown are only counted, above.
            let disclosed = results.matches.iter().filter_map(|m| {
                let mut event = AuditEvent::by(caller, EventKind::PatientSearch)
                    .patient(m.nhs_number?)
                    .detail("shown as a search candidate");
                event.sources = m.found_at.clone();
                Some(event)
            });
            let events: Vec<AuditEvent> = std::iter::once(event).chain(disclosed).collect();
            for written in
                futures::future::join_all(events.into_iter().map(|e| self.durably(e))).await
            {
                written?;
            }
            Ok(results)
        })
    }

    fn entry<'a>(
        &'a self,
        caller: &'a Caller,
        nhs: NhsNumber,
        at: (&'a str, &'a str, &'a str),
    ) -> BoxFuture<'a, Result<TimelineEntry, LookupError>> {
        Box::pin(RecordDesk::entry(self, caller, nhs, at))
    }
}

/// The audit event of one record view: an emergency access when opened on an emergency
/// reason, naming the sources that sent data, the kinds of item shown and how many were
/// withheld.
fn view_event(caller: &Caller, record: &PatientRecord) -> AuditEvent {
    let basis = record.basis.clone().unwrap_or_else(|| Basis::new("", ""));
    let kind = if basis.is_emergency() {
        EventKind::EmergencyAccess
    } else {
        EventKind::RecordView
    };
    let mut event = AuditEvent::by(caller, kind)
        .patient(record.nhs_number)
        .basis(&basis);
    event.sources = record
        .sources
        .iter()
        .filter(|s| s.status.has_data())
        .map(|s| s.id.clone())
        .collect();
    event.categories = distinct(record.entries.iter().map(|e| e.category.as_str()));
    event.withheld =
        (record.withheld.iter().map(|w| w.count).sum::<usize>() + record.hidden_for_role) as u32;
    event.same_surname = record
        .demographics
        .as_ref()
        .and_then(|d| d.family.as_deref())
        .is_some_and(|family| shares_surname(&caller.viewer.name, family));
    event
}

/// Each name once, in order, for an audit event's lists.
fn distinct<'a>(names: impl Iterator<Item = &'a str>) -> Vec<String> {
    let names: std::collections::BTreeSet<&str> = names.collect();
    names.into_iter().map(str::to_owned).collect()
}

/// What a timeline search asked for and was shown, for the audit trail: "page 2 of 31, 3012
/// matching; category=observation; q=glucose".
fn timeline_detail(page: &TimelinePage) -> String {
    let mut detail = format!(
        "page {} of {}, {} matching",
        page.query.page, page.pages, page.matching
    );
    for (name, value) in page.query.to_params() {
        if name != "page" {
            detail.push_str(&format!("; {name}={value}"));
        }
    }
    detail
}

/// For a role limited to the summary, the identity check names one source holding the
/// patient (their GP practice when it does: the details shown come from it) and the sources
/// that could not be asked, never the others: which services hold a record is not for the role.
fn conceal_identity_services(check: &mut app::identity::IdentityCheck, gp_sources: &[String]) {
    use app::identity::{IdentityAnswer, IdentityCheck};
    let IdentityCheck::Shown { sources, .. } = check else {
        return;
    };
    let holds = |s: &app::identity::IdentitySource| matches!(s.answer, IdentityAnswer::Holds(_));
    let named = sources
        .iter()
        .position(|s| holds(s) && gp_sources.contains(&s.source_id))
        .or_else(|| sources.iter().position(holds));
    let mut index = 0;
    sources.retain(|s| {
        let keep = Some(index) == named || matches!(s.answer, IdentityAnswer::Failed(_));
        index += 1;
        keep
    });
}

/// The one answer for an item that is not there or not for this viewer (withheld): which it
/// was is only in the audit trail.
fn no_such_item() -> LookupError {
    LookupError::NotFound("no such item in this patient's shared record".to_owned())
}

/// Looking patients up needs `find-patient`, whatever page or route asked.
fn may_find_patients(viewer: &Viewer) -> Result<(), LookupError> {
    if viewer.may(Permission::FindPatient) {
        Ok(())
    } else {
        Err(LookupError::Forbidden(format!(
            "your role ({}) cannot look patients up",
            viewer.role.label()
        )))
    }
}

/// Reads the basis a machine client states in its request headers.
pub fn stated_basis(headers: &axum::http::HeaderMap) -> Result<Option<Basis>, String> {
    let read = |name: &str| -> Result<Option<String>, String> {
        let Some(value) = headers.get(name) else {
            return Ok(None);
        };
        let value = value
            .to_str()
            .map_err(|_| format!("the {name} header must be ASCII (percent-encode the text)"))?;
        percent_encoding::percent_decode_str(value)
            .decode_utf8()
            .map(|v| Some(v.into_owned()))
            .map_err(|_| format!("the {name} header is not percent-encoded UTF-8"))
    };
    let code = read(app::consent::BASIS_HEADER)?;
    let reason = read(app::consent::REASON_HEADER)?;
    Ok(code.map(|code| Basis::new(&code, reason.as_deref().unwrap_or_default())))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderMap;

    /// A limited-summary role is told of one source holding the patient (the GP when it
    /// does) and of failures, never of the others.
    #[test]
    fn a_summary_only_identity_check_names_one_holder_and_the_failures() {
        use app::identity::{IdentityAnswer, IdentityCheck, IdentitySource};
        let source = |id: &str, answer: IdentityAnswer| IdentitySource {
            source_id: id.into(),
            name: id.into(),
            organisation_code: "X".into(),
            answer,
        };
        let holds = || IdentityAnswer::Holds(vec![Default::default()]);
        let cases = [
            (
                vec![
                    source("gp", holds()),
                    source("acute", IdentityAnswer::NotHeld),
                    source("mh", holds()),
                    source("sc", IdentityAnswer::Failed("timed out".into())),
                ],
                vec!["gp", "sc"],
            ),
            (
                vec![
                    source("acute", IdentityAnswer::NotHeld),
                    source("mh", holds()),
                    source("gp", IdentityAnswer::NotHeld),
                ],
                vec!["mh"],
            ),
            (
                vec![source("mh", holds()), source("acute", holds())],
                vec!["mh"],
            ),
        ];
        for (sources, kept) in cases {
            let mut check = IdentityCheck::Shown {
                sources,
                warnings: Vec::new(),
                today: "2026-12-02".into(),
            };
            conceal_identity_services(&mut check, &["gp".to_owned()]);
            let IdentityCheck::Shown { sources, .. } = check else {
                panic!("still shown");
            };
            let ids: Vec<&str> = sources.iter().map(|s| s.source_id.as_str()).collect();
            assert_eq!(ids, kept);
        }
    }

    #[test]
    fn stated_bases_are_read_from_headers() {
        let headers = |pairs: &[(&'static str, &str)]| {
            let mut h = HeaderMap::new();
            for (k, v) in pairs {
                h.insert(*k, v.parse().unwrap());
            }
            h
        };
        // (headers, result)
        let table: Vec<(HeaderMap, Result<Option<Basis>, ()>)> = vec![
            (headers(&[]), Ok(None)),
            (
                headers(&[("legitimate-basis", "permission-given")]),
                Ok(Some(Basis::new("permission-given", ""))),
            ),
            (
                headers(&[
                    ("legitimate-basis", "emergency"),
                    (
                        "legitimate-basis-reason",
                        "Unconscious%2C%20no%20ID%20%E2%80%94%20RTC",
                    ),
                ]),
                Ok(Some(Basis::new("emergency", "Unconscious, no ID — RTC"))),
            ),
            (
                headers(&[
                    ("legitimate-basis", "emergency"),
                    ("legitimate-basis-reason", "%FF%FE"),
                ]),
                Err(()),
            ),
        ];
        for (h, expected) in table {
            assert_eq!(stated_basis(&h).map_err(|_| ()), expected, "{h:?}");
        }
    }
}
