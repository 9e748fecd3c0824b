//! Retention: events older than `audit.retention_days` are deleted oldest first, leaving a
//! checkpoint (the last deleted event's sequence number and hash) from which the rest of the
//! chain still verifies. Each purge is itself an event in the chain that names the checkpoint,
//! so a checkpoint nobody recorded is caught by `verify`.

use super::event::{rfc3339, AuditEvent, EventKind};
use super::{AuditConfig, AuditError, AuditTrail, Checkpoint};
use app::auth::RequestInfo;
use std::time::Duration;

const DAY_MS: i64 = 86_400_000;

/// The user id purge events are written under.
pub const SYSTEM_USER: &str = "system:retention";

/// The purge's own event, as a store appends it once it knows the checkpoint.
pub fn purge_event(template: &AuditEvent, checkpoint: &Checkpoint, purged: i64) -> AuditEvent {
    let mut event = template.clone();
    event.kind = EventKind::Purge;
    event.refers_to = Some(checkpoint.seq);
    event.detail = Some(format!(
        "purged {purged} events through event {}; checkpoint hash {}",
        checkpoint.seq, checkpoint.hash
    ));
    event
}

/// True when `event` is the purge that left `checkpoint`.
pub fn vouches_for(event: &AuditEvent, checkpoint: &Checkpoint) -> bool {
    event.kind == EventKind::Purge
        && event.refers_to == Some(checkpoint.seq)
        && event
            .detail
            .as_deref()
            .is_some_and(|d| d.ends_with(&format!("checkpoint hash {}", checkpoint.hash)))
}

/// The earliest time still kept when purging at `now_ms`.
pub fn cutoff_ms(now_ms: i64, retention_days: u32) -> i64 {
    now_ms - i64::from(retention_days) * DAY_MS
}

/// Purges once: what was deleted, if anything.
pub async fn purge_now(
    trail: &AuditTrail,
    retention_days: u32,
    request: &RequestInfo,
) -> Result<Option<Checkpoint>, AuditError> {
    let now = super::event::now_ms();
    let template = AuditEvent::by_user(SYSTEM_USER, "Retention purge", request, EventKind::Purge)
        .detail(format!(
            "retention {retention_days} days: events before {}",
            rfc3339(cutoff_ms(now, retention_days))
        ));
    trail
        .store()
        .purge(cutoff_ms(now, retention_days), &template)
        .await
}

/// Purges every `purge_every_h` hours while the portal runs (not at all when
/// `retention_days` is 0). Failures are logged and retried at the next turn.
pub async fn run(trail: AuditTrail, config: AuditConfig) {
    if config.retention_days == 0 {
        return;
    }
    let every = Duration::from_secs(u64::from(config.purge_every_h) * 3_600);
    let request = RequestInfo {
        request_id: "retention".to_owned(),
        client: "portal".to_owned(),
        user_agent: "retention purge".to_owned(),
    };
    loop {
        match purge_now(&trail, config.retention_days, &request).await {
            Ok(Some(c)) => tracing::info!(through = c.seq, "audit events purged"),
            Ok(None) => tracing::debug!("no audit events old enough to purge"),
            Err(error) => tracing::error!(%error, "audit purge failed"),
        }
        tokio::time::sleep(every).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_purge_event_vouches_only_for_its_own_checkpoint() {
        let request = RequestInfo::default();
        let template = AuditEvent::by_user(SYSTEM_USER, "x", &request, EventKind::Purge);
        let checkpoint = Checkpoint {
            seq: 41,
            hash: "ab".repeat(32),
            at_ms: 0,
        };
        let event = purge_event(&template, &checkpoint, 41);
        assert!(vouches_for(&event, &checkpoint));
        // (changed checkpoint, vouched)
        let table = [
            (
                Checkpoint {
                    seq: 40,
                    ..checkpoint.clone()
                },
                false,
            ),
            (
                Checkpoint {
                    hash: "cd".repeat(32),
                    ..checkpoint.clone()
                },
                false,
            ),
            (
                Checkpoint {
                    at_ms: 9,
                    ..checkpoint.clone()
                },
                true,
            ),
        ];
        for (other, vouched) in table {
            assert_eq!(vouches_for(&event, &other), vouched, "{other:?}");
        }
        let mut review = event.clone();
        review.kind = EventKind::Review;
        assert!(!vouches_for(&review, &checkpoint));
        assert_eq!(cutoff_ms(10 * DAY_MS, 3), 7 * DAY_MS);
    }
}
