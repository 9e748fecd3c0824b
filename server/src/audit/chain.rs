//! Tamper evidence: each stored event carries the hash of the event before it and a hash of
//! its own canonical form chained to that one, so editing, deleting or reordering any row
//! breaks every link after it. Verification walks the chain and names the first broken link.

use super::event::AuditEvent;
use sha2::{Digest, Sha256};

/// The `prev_hash` of the first event in a store.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// An event as stored: its place in the chain and its links.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredEvent {
    pub seq: i64,
    pub event: AuditEvent,
    pub prev_hash: String,
    pub hash: String,
}

/// The hash of event `seq` chained to `prev_hash`.
pub fn link(prev_hash: &str, seq: i64, event: &AuditEvent) -> String {
    let mut hasher = Sha256::new();
    hasher.update(prev_hash.as_bytes());
    hasher.update(b"\n");
    hasher.update(seq.to_string().as_bytes());
    hasher.update(b"\n");
    hasher.update(event.canonical().as_bytes());
    hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The first broken link found.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the audit chain is broken at event {seq}: {reason}")]
pub struct Broken {
    pub seq: i64,
    pub reason: String,
}

/// Walks the chain a page at a time; feed it every stored event in `seq` order.
#[derive(Debug, Clone)]
pub struct Verifier {
    last_seq: i64,
    last_hash: String,
    pub checked: u64,
}

impl Verifier {
    /// Starts at the beginning of a store, or after a checkpoint `(seq, hash)` when older
    /// events have been purged.
    pub fn new(checkpoint: Option<(i64, String)>) -> Self {
        let (last_seq, last_hash) = checkpoint.unwrap_or((0, GENESIS.to_owned()));
        Self {
            last_seq,
            last_hash,
            checked: 0,
        }
    }

    pub fn check(&mut self, stored: &StoredEvent) -> Result<(), Broken> {
        let broken = |reason: &str| Broken {
            seq: stored.seq,
            reason: reason.to_owned(),
        };
        if stored.seq != self.last_seq + 1 {
            return Err(Broken {
                seq: self.last_seq + 1,
                reason: format!(
                    "event {} is missing (the next stored event is {})",
                    self.last_seq + 1,
                    stored.seq
                ),
            });
        }
        if stored.prev_hash != self.last_hash {
            return Err(broken("it does not point at the event before it"));
        }
        if link(&stored.prev_hash, stored.seq, &stored.event) != stored.hash {
            return Err(broken("its content does not match its hash (edited)"));
        }
        self.last_seq = stored.seq;
        self.last_hash = stored.hash.clone();
        self.checked += 1;
        Ok(())
    }

    /// The last event checked: where the next page starts.
    pub fn last_seq(&self) -> i64 {
        self.last_seq
    }
}

/// Chains `events` after `(last_seq, last_hash)`, each in its storable form
/// ([`AuditEvent::storable`]): every store appends through here, so no event reaches a
/// database with a character it refuses, and the hash covers what is stored.
pub fn chain(last_seq: i64, last_hash: &str, events: &[AuditEvent]) -> Vec<StoredEvent> {
    let mut prev = last_hash.to_owned();
    events
        .iter()
        .enumerate()
        .map(|(i, event)| {
            let seq = last_seq + 1 + i as i64;
            let event = event.storable();
            let hash = link(&prev, seq, &event);
            StoredEvent {
                seq,
                event,
                prev_hash: std::mem::replace(&mut prev, hash.clone()),
                hash,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::super::event::EventKind;
    use super::*;
    use app::auth::RequestInfo;

    fn events(n: usize) -> Vec<AuditEvent> {
        (0..n)
            .map(|i| {
                AuditEvent::by_user(
                    &format!("u{i}"),
                    "Dr A",
                    &RequestInfo::default(),
                    EventKind::SignIn,
                )
            })
            .collect()
    }

    fn verify(rows: &[StoredEvent]) -> Result<u64, Broken> {
        let mut v = Verifier::new(None);
        for row in rows {
            v.check(row)?;
        }
        Ok(v.checked)
    }

    #[test]
    fn an_untouched_chain_verifies_and_each_kind_of_tampering_is_named() {
        let rows = chain(0, GENESIS, &events(5));
        assert_eq!(verify(&rows), Ok(5));
        // (tampering, first broken seq, words)
        type Tamper = fn(&mut Vec<StoredEvent>);
        let table: [(Tamper, i64, &str); 4] = [
            (|r| r[2].event.user_id = "someone-else".into(), 3, "edited"),
            (
                |r| {
                    r.remove(1);
                },
                2,
                "missing",
            ),
            (|r| r.swap(1, 2), 2, "missing"),
            (
                |r| {
                    // Rewriting a row and its hash still breaks the next link.
                    r[2].event.user_id = "x".into();
                    r[2].hash = link(&r[2].prev_hash, r[2].seq, &r[2].event);
                },
                4,
                "does not point",
            ),
        ];
        for (tamper, seq, words) in table {
            let mut rows = rows.clone();
            tamper(&mut rows);
            let broken = verify(&rows).unwrap_err();
            assert_eq!(broken.seq, seq, "{broken}");
            assert!(broken.reason.contains(words), "{broken}");
        }
    }

    #[test]
    fn chaining_continues_from_the_last_stored_event() {
        let first = chain(0, GENESIS, &events(2));
        let more = chain(2, &first[1].hash, &events(3));
        let all: Vec<StoredEvent> = first.into_iter().chain(more).collect();
        assert_eq!(verify(&all), Ok(5));
        // From a checkpoint (older events purged).
        let mut v = Verifier::new(Some((2, all[1].hash.clone())));
        for row in &all[2..] {
            v.check(row).unwrap();
        }
        assert_eq!(v.checked, 3);
    }
}
