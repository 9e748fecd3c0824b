//! The audit officer's workspace behind the server functions: the emergency-access review
//! queue, reviews (audited as events that refer to the access), and the chain check. Every
//! call needs the `audit` permission and is itself audited.

use super::{AuditEvent, AuditTrail, EventKind, StoredEvent};
use app::api::LookupError;
use app::audit::{AuditRow, AuditService, ChainCheck};
use app::auth::{Caller, Permission};
use futures::future::BoxFuture;

/// Shortest review note accepted.
const MIN_NOTE_CHARS: usize = 5;

pub struct AuditDesk {
    trail: AuditTrail,
}

impl AuditDesk {
    pub fn new(trail: AuditTrail) -> Self {
        Self { trail }
    }

    async fn record(&self, event: AuditEvent) -> Result<i64, LookupError> {
        self.trail
            .record(event)
            .await
            .map_err(|e| LookupError::Unavailable(e.to_string()))
    }
}

fn may_audit(caller: &Caller) -> Result<(), LookupError> {
    if caller.viewer.may(Permission::Audit) {
        Ok(())
    } else {
        Err(LookupError::Forbidden(format!(
            "your role ({}) cannot use the audit workspace",
            caller.viewer.role.label()
        )))
    }
}

fn unavailable(e: super::AuditError) -> LookupError {
    LookupError::Unavailable(e.to_string())
}

impl AuditService for AuditDesk {
    fn pending_reviews<'a>(
        &'a self,
        caller: &'a Caller,
    ) -> BoxFuture<'a, Result<Vec<AuditRow>, LookupError>> {
        Box::pin(async move {
            may_audit(caller)?;
            let rows = self
                .trail
                .store()
                .pending_reviews(200)
                .await
                .map_err(unavailable)?;
            self.record(
                AuditEvent::by(caller, EventKind::AuditSearch)
                    .detail(format!("emergency review queue: {} waiting", rows.len())),
            )
            .await?;
            Ok(rows.iter().map(row).collect())
        })
    }

    fn review<'a>(
        &'a self,
        caller: &'a Caller,
        seq: i64,
        note: String,
    ) -> BoxFuture<'a, Result<(), LookupError>> {
        Box::pin(async move {
            may_audit(caller)?;
            let note = note.trim().to_owned();
            if note.chars().count() < MIN_NOTE_CHARS {
                return Err(LookupError::InvalidInput(format!(
                    "write a review note of at least {MIN_NOTE_CHARS} characters"
                )));
            }
            let access = self.trail.store().get(seq).await.map_err(unavailable)?;
            let Some(access) = access.filter(|a| a.event.kind == EventKind::EmergencyAccess) else {
                return Err(LookupError::NotFound(format!("no emergency access {seq}")));
            };
            let mut event = AuditEvent::by(caller, EventKind::Review).detail(note);
            event.refers_to = Some(access.seq);
            event.nhs_number = access.event.nhs_number.clone();
            self.record(event).await?;
            Ok(())
        })
    }

    fn verify<'a>(&'a self, caller: &'a Caller) -> BoxFuture<'a, Result<ChainCheck, LookupError>> {
        Box::pin(async move {
            may_audit(caller)?;
            let check = match self.trail.verify().await.map_err(unavailable)? {
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
            self.record(AuditEvent::by(caller, EventKind::AuditSearch).detail(detail))
                .await?;
            Ok(check)
        })
    }
}

/// A stored event as the workspace shows it.
pub fn row(stored: &StoredEvent) -> AuditRow {
    let e = &stored.event;
    let at = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(e.at_ms) * 1_000_000)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_default();
    AuditRow {
        seq: stored.seq,
        at,
        kind: e.kind.as_str().to_owned(),
        user_id: e.user_id.clone(),
        user_name: e.user_name.clone(),
        role: e.role.clone(),
        organisation: e.organisation.clone(),
        nhs_number: e.nhs_number.clone(),
        basis: e.basis.clone(),
        reason: e.reason.clone(),
        outcome: e.outcome.as_str().to_owned(),
        detail: e.detail.clone(),
        sources: e.sources.clone(),
    }
}
