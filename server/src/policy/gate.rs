//! The gate between what the sources answered and what a person is shown. Gathered source data
//! becomes viewable only through [`judge`] and [`judge_item`] (the viewer, their basis and the
//! patient's consent, every item decided by [`decide`]), and what they judged is handed over
//! only in exchange for the receipt of a durable audit event ([`Judged::audited`]). No
//! judgment and no audit: no data.
//!
//! The types make this the only path. [`Gathered`]'s clinical contents open only with a
//! [`Key`], which only this module can make; a [`Judged`] value is private, released only by
//! an [`crate::audit::Receipt`], which only [`AuditTrail::record`] makes once the event is
//! committed. Outside the crate neither the sources' raw answers nor a judged value can be
//! reached:
//!
//! ```compile_fail
//! // A judged record cannot be opened without its audit receipt...
//! fn leak(judged: server::policy::gate::Judged<app::model::PatientRecord>) -> app::model::PatientRecord {
//!     judged.value
//! }
//! ```
//!
//! ```compile_fail
//! // ...nor a receipt forged for it...
//! fn forge() -> server::audit::Receipt {
//!     server::audit::Receipt { seq: 1 }
//! }
//! ```
//!
//! ```compile_fail
//! // ...nor a judgment forged for data that was never judged...
//! fn forge(record: app::model::PatientRecord) -> server::policy::gate::Judged<app::model::PatientRecord> {
//!     server::policy::gate::Judged { value: record }
//! }
//! ```
//!
//! ```compile_fail
//! // ...nor the sources' answers read before any judgment.
//! fn raw(gathered: &server::record::Gathered) -> usize {
//!     gathered.reports().count()
//! }
//! ```
//!
//! The one way through, which compiles:
//!
//! ```no_run
//! async fn hand_over(
//!     judged: server::policy::gate::Judged<app::model::PatientRecord>,
//!     trail: &server::audit::AuditTrail,
//!     event: server::audit::AuditEvent,
//! ) -> Result<app::model::PatientRecord, app::api::LookupError> {
//!     judged.audited(trail, |_| event).await
//! }
//! ```

use super::{decide, labels_withhold, ConsentPolicy, ConsentState, Decision};
use crate::audit::{AuditEvent, AuditTrail, Receipt};
use crate::record::Gathered;
use app::api::{LookupError, Outage};
use app::auth::Viewer;
use app::consent::{Basis, UnreadConsent};
use app::detail::EntryProvenance;
use app::model::{
    PatientRecord, RecordWarning, SourceKind, SourceStatus, TimelineEntry, WarningKind,
};

/// Opens what the sources answered. Only this module makes one, so only the judgments here
/// read the clinical contents of a [`Gathered`].
pub struct Key(());

const KEY: Key = Key(());

/// Patient data judged for one viewer, sealed until its audit event is durable.
#[must_use = "judged data reaches no one until it is audited"]
pub struct Judged<T> {
    value: T,
}

impl<T> Judged<T> {
    /// Reshapes what was judged (a page of it, a response around it): still sealed.
    pub(crate) fn map<U>(self, reshape: impl FnOnce(T) -> U) -> Judged<U> {
        Judged {
            value: reshape(self.value),
        }
    }

    /// Writes the audit event `event` makes of what was judged and, once it is durable, hands
    /// the value over. When the event cannot be written nothing is handed over: the cause is
    /// logged with the request id and the caller is told the view was not audited.
    pub async fn audited(
        self,
        trail: &AuditTrail,
        event: impl FnOnce(&T) -> AuditEvent,
    ) -> Result<T, LookupError> {
        let receipt = durably(trail, event(&self.value)).await?;
        Ok(self.release(receipt))
    }

    fn release(self, _durable: Receipt) -> T {
        self.value
    }
}

/// Writes an event that must be durable before the caller sees anything. When it cannot be
/// written the cause is logged under the event's request id and the caller is told the view
/// was not audited.
pub(crate) async fn durably(trail: &AuditTrail, event: AuditEvent) -> Result<Receipt, LookupError> {
    let request_id = event.request_id.clone();
    trail
        .record(event)
        .await
        .map_err(|error| crate::outage::logged(Outage::ViewNotAudited, &error, &request_id))
}

/// The patient's consent as the sources record it on `today`: a recorded objection, or unknown
/// when a source that can hold one did not answer about consent, or no objection.
pub(crate) fn consent(gathered: &Gathered, today: &str) -> ConsentState {
    let unread = gathered
        .unread_consent()
        .into_iter()
        .map(|(report, _)| report.id.clone())
        .collect();
    ConsentState::from_directives(
        gathered.directives(&KEY).map(|(r, d)| (r.id.as_str(), d)),
        today,
    )
    .unless_unread(unread)
}

/// The record `viewer` may see, judged on `basis` and the patient's `consent` (already allowed
/// for the record as a whole): every item and every source's Patient details decided by
/// [`decide`] before merging, what is withheld counted, never dropped silently; the warnings
/// the consent state calls for first; a summary-only role told nothing of which services the
/// patient used.
pub(crate) fn judge(
    gathered: Gathered,
    policy: &ConsentPolicy,
    viewer: &Viewer,
    basis: Basis,
    consent: &ConsentState,
) -> Judged<PatientRecord> {
    // Named only on a record opened while the patient's wishes were unknown.
    let unread = matches!(consent, ConsentState::Unknown { .. }).then(|| unread_consent(&gathered));
    let merged = gathered.into_merged(
        &KEY,
        |kind, entry| match decide(policy, viewer, Some(&basis), consent, Some((kind, entry))) {
            Decision::Allow => Ok(()),
            Decision::Withhold(why) => Err(why.to_string()),
            Decision::Deny(why) => Err(why.to_string()),
        },
        |details| match labels_withhold(policy, viewer, &details.security) {
            None => Ok(()),
            Some(why) => Err(why.to_string()),
        },
    );
    let mut warnings = merged.warnings;
    if let (ConsentState::Unknown { source_ids }, Some(unread)) = (consent, &unread) {
        warnings.insert(0, consent_unknown_warning(source_ids, unread));
    }
    if let ConsentState::Dissent { source_id } = consent {
        warnings.insert(0, objection_overridden_warning(source_id));
    }
    let mut record = PatientRecord {
        nhs_number: merged.nhs,
        demographics: merged.demographics,
        sources: merged.sources,
        entries: merged.entries,
        warnings,
        retrieved_at: merged.retrieved_at,
        summary_only: viewer.summary_only(),
        withheld: merged.withheld,
        hidden_for_role: 0,
        basis: Some(basis),
        child_protection: Vec::new(),
        timeline: None,
    };
    if record.summary_only {
        conceal_services(&mut record);
    }
    Judged { value: record }
}

/// One item of the record by its provenance (`source_id`, `resource_type`, `id`), with its
/// full detail and its source's name, ODS code and fetch time, if `viewer` may see it (judged
/// with what it names as its reason, as the record view judges it); with the judgement kept
/// for a fresh copy of the item.
pub(crate) fn judge_item<'p>(
    gathered: &Gathered,
    policy: &'p ConsentPolicy,
    viewer: &Viewer,
    basis: Basis,
    consent: ConsentState,
    (source_id, resource_type, id): (&str, &str, &str),
) -> Result<(Judged<TimelineEntry>, ItemJudge<'p>), LookupError> {
    let (kind, entry) = gathered
        .entry(&KEY, source_id, resource_type, id)
        .ok_or_else(|| {
            LookupError::NotFound(format!("no item {resource_type}/{id} at {source_id}"))
        })?;
    let judge = ItemJudge {
        policy,
        basis,
        consent,
        kind,
    };
    let source_entries = gathered.source_entries(&KEY, source_id);
    judge_with_reasons(entry, source_entries, |e| judge.allows(viewer, e))?;
    let mut entry = entry.clone();
    if let Some(detail) = entry.full_detail.as_mut() {
        detail.provenance = gathered.reports().find(|r| r.id == source_id).map(|r| {
            Box::new(EntryProvenance {
                source_name: r.name.clone(),
                organisation_code: r.organisation_code.clone(),
                fetched_at: r.fetched_at.clone(),
            })
        });
    }
    Ok((Judged { value: entry }, judge))
}

/// The decisions one item was judged by (basis, consent, its source's kind), to judge a fresh
/// copy of it the same way.
pub(crate) struct ItemJudge<'a> {
    policy: &'a ConsentPolicy,
    basis: Basis,
    consent: ConsentState,
    kind: SourceKind,
}

impl ItemJudge<'_> {
    /// `Ok` when the viewer may see `entry`; otherwise why not, as a withheld item.
    pub(crate) fn allows(&self, viewer: &Viewer, entry: &TimelineEntry) -> Result<(), LookupError> {
        let at = format!(
            "{}/{}/{}",
            entry.source_id, entry.resource_type, entry.resource_id
        );
        match decide(
            self.policy,
            viewer,
            Some(&self.basis),
            &self.consent,
            Some((self.kind, entry)),
        ) {
            Decision::Allow => Ok(()),
            Decision::Withhold(why) => Err(LookupError::Withheld(format!("{why} ({at})"))),
            Decision::Deny(why) => Err(LookupError::Withheld(format!("{why} ({at})"))),
        }
    }

    /// The basis the item was opened on.
    pub(crate) fn basis(&self) -> &Basis {
        &self.basis
    }
}

/// Judges an item and what it names as its reason: its reason codes are judged as its own
/// codes would be (a reason on a sensitive list), and an item at the same source it names as
/// its reason (`Condition/c1`) must be shown too. So an encounter "for" a withheld diagnosis
/// is withheld with it, never showing the diagnosis in its reason, detail or narrative.
pub(crate) fn judge_with_reasons<E>(
    entry: &TimelineEntry,
    source_entries: &[TimelineEntry],
    judge: impl Fn(&TimelineEntry) -> Result<(), E>,
) -> Result<(), E> {
    judge(entry)?;
    if !entry.reason_codes.is_empty() {
        let reasons = TimelineEntry {
            codes: entry.reason_codes.clone(),
            ..entry.listed()
        };
        judge(&reasons)?;
    }
    for named in &entry.reason_refs {
        let target = source_entries
            .iter()
            .find(|e| named.split_once('/') == Some((&e.resource_type, &e.resource_id)));
        if let Some(target) = target {
            judge(target)?;
        }
    }
    Ok(())
}

/// The sources whose answer about consent is missing, as the page names them.
pub(crate) fn unread_consent(gathered: &Gathered) -> Vec<UnreadConsent> {
    gathered
        .unread_consent()
        .into_iter()
        .map(|(report, why)| UnreadConsent {
            source: report.name.clone(),
            organisation_code: report.organisation_code.clone(),
            why,
        })
        .collect()
}

/// Shown first on a record opened while the patient's wishes were unknown.
fn consent_unknown_warning(source_ids: &[String], unread: &[UnreadConsent]) -> RecordWarning {
    let names: Vec<String> = unread.iter().map(UnreadConsent::describe).collect();
    RecordWarning {
        kind: WarningKind::ConsentUnknown,
        message: format!(
            "The patient's wishes about sharing could not be checked ({}). They may have objected: the record was opened on your stated basis, which overrides an objection, and the access is audited.",
            names.join("; ")
        ),
        source_ids: source_ids.to_vec(),
    }
}

/// Shown first on a record opened in an emergency over the patient's recorded objection.
fn objection_overridden_warning(source_id: &str) -> RecordWarning {
    RecordWarning {
        kind: WarningKind::PatientObjected,
        message: "The patient has objected to sharing their record. It was opened on your emergency reason, which is recorded and will be reviewed: use only what this emergency needs.".to_owned(),
        source_ids: vec![source_id.to_owned()],
    }
}

/// For a role limited to the summary, says nothing about which services the patient used:
/// withheld items become one count with no source or kind, and a source that answered but
/// shows nothing for the role reads as one that answered with nothing ("not known there"
/// and "known, nothing you may see" look alike). Failures are kept: a section a failed
/// source could hold must still say it is not known. A record no source holds is left as it
/// is ("no record found" is not a disclosure).
fn conceal_services(record: &mut PatientRecord) {
    record.hidden_for_role = record.withheld.drain(..).map(|w| w.count).sum();
    if !record.found() {
        return;
    }
    for source in &mut record.sources {
        let answered = matches!(source.status, SourceStatus::Ok | SourceStatus::NotFound);
        if answered && source.entry_count == 0 {
            source.status = SourceStatus::Ok;
        }
    }
}
