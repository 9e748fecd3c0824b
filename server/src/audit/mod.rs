//! The audit trail: every sign-in, lookup, basis, view, refusal and review as a durable,
//! hash-chained event ([`event`], [`chain`]) in a store ([`sqlite`]). Writers hand events to
//! one committer task that commits whatever has queued in a single transaction (group commit:
//! one fsync for many concurrent events) and acknowledges each event only once it is durable,
//! so a view can wait for its event before any patient data leaves the server. The audit
//! officer's [`workspace`] reads it. Two stores keep the same schema through one trait:
//! [`sqlite`] (embedded, the default) and [`postgres`] (several portal instances, one chain).
//! Events older than the retention period are purged behind a checkpoint ([`retention`]).

pub mod chain;
pub mod counts;
pub mod event;
pub mod export;
pub mod postgres;
pub mod reader;
pub mod reports;
pub mod retention;
mod rows;
pub mod sqlite;
pub mod workspace;

pub use chain::{Broken, StoredEvent};
pub use event::{AuditEvent, EventKind, Outcome};
pub use reader::AuditReader;

use crate::sql_row::from_row;
use futures::future::BoxFuture;
use serde::Deserialize;
use std::path::PathBuf;
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuditError {
    #[error("the audit store could not be opened: {0}")]
    Open(String),
    #[error("the audit store could not be written: {0}")]
    Write(String),
    /// The database answered but refused what was written (a constraint, a value it cannot
    /// hold): the fault of an event, not of the store, so its group is retried without it.
    #[error("the audit store refused an event: {0}")]
    Rejected(String),
    #[error("the audit store could not be read: {0}")]
    Read(String),
    #[error("the audit writer has stopped")]
    Stopped,
}

/// Which database keeps the events.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StoreKind {
    Sqlite,
    Postgres,
}

/// Where events are kept and for how long (`[audit]`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AuditConfig {
    /// `sqlite` (one portal instance) or `postgres` (several instances sharing one chain).
    pub store: StoreKind,
    /// The SQLite database file (created if missing).
    pub sqlite_path: PathBuf,
    /// The PostgreSQL database, `postgres://user:password@host:port/database`.
    pub postgres_url: Option<String>,
    /// Most events committed in one transaction.
    pub max_batch: usize,
    /// Days events are kept; older ones are purged behind a checkpoint (0 keeps everything).
    pub retention_days: u32,
    /// Hours between purges.
    pub purge_every_h: u32,
    /// The weekday working day, UK time (`08:00-18:30`); reports count the rest, and
    /// weekends, as out of hours.
    pub working_hours: String,
    /// Emergency accesses in a report's period at which a user is listed for attention.
    pub emergency_threshold: u32,
    /// Longest review note accepted, in characters.
    pub max_note_chars: usize,
}

impl Default for AuditConfig {
    fn default() -> Self {
        Self {
            store: StoreKind::Sqlite,
            sqlite_path: PathBuf::from("data/audit.sqlite"),
            postgres_url: None,
            max_batch: 512,
            // Eight years, the period the Records Management Code of Practice gives for most
            // adult health records: set it to your organisation's retention schedule.
            retention_days: 2_922,
            purge_every_h: 24,
            working_hours: "08:00-18:30".to_owned(),
            emergency_threshold: 3,
            max_note_chars: 1_000,
        }
    }
}

impl AuditConfig {
    pub fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        match self.store {
            StoreKind::Sqlite if self.sqlite_path.as_os_str().is_empty() => {
                problems.push("audit.sqlite_path must name a file".to_owned());
            }
            StoreKind::Postgres => match self.postgres_url.as_deref() {
                None | Some("") => problems.push(
                    "audit.store is \"postgres\": set audit.postgres_url \
                     (postgres://user:password@host:port/database)"
                        .to_owned(),
                ),
                Some(url)
                    if !url.starts_with("postgres://") && !url.starts_with("postgresql://") =>
                {
                    problems.push("audit.postgres_url must start with postgres://".to_owned());
                }
                Some(_) => {}
            },
            StoreKind::Sqlite => {}
        }
        if !(1..=10_000).contains(&self.max_batch) {
            problems.push("audit.max_batch must be between 1 and 10000".to_owned());
        }
        if let Err(problem) = reports::WorkingHours::parse(&self.working_hours) {
            problems.push(format!("audit.working_hours: {problem}"));
        }
        if self.emergency_threshold == 0 {
            problems.push("audit.emergency_threshold must be at least 1".to_owned());
        }
        if !(workspace::MIN_NOTE_CHARS..=4_000).contains(&self.max_note_chars) {
            problems.push(format!(
                "audit.max_note_chars must be between {} and 4000",
                workspace::MIN_NOTE_CHARS
            ));
        }
        if !(1..=24 * 366).contains(&self.purge_every_h) {
            problems.push("audit.purge_every_h must be between 1 and 8784".to_owned());
        }
        problems
    }

    /// Opens the configured store.
    pub async fn open_store(&self) -> Result<Arc<dyn AuditStore>, AuditError> {
        Ok(match self.store {
            StoreKind::Sqlite => Arc::new(sqlite::SqliteAudit::open(&self.sqlite_path).await?),
            StoreKind::Postgres => {
                let url = self.postgres_url.as_deref().unwrap_or_default();
                Arc::new(postgres::PostgresAudit::open(url).await?)
            }
        })
    }
}

/// Where the chain starts after a purge: the last deleted event and its hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    pub seq: i64,
    pub hash: String,
    /// When the purge ran.
    pub at_ms: i64,
}

/// What every audit store does, whatever the database.
pub trait AuditStore: Send + Sync + 'static {
    /// Appends `events` in one transaction, chained after the last stored event, and returns
    /// their sequence numbers. Nothing is stored if it fails.
    fn append<'a>(
        &'a self,
        events: &'a [AuditEvent],
    ) -> BoxFuture<'a, Result<Vec<i64>, AuditError>>;
    /// Up to `limit` events after `seq`, in chain order.
    fn read_after<'a>(
        &'a self,
        after: i64,
        limit: u32,
    ) -> BoxFuture<'a, Result<Vec<StoredEvent>, AuditError>>;
    /// Emergency accesses nobody has reviewed yet, newest first.
    fn pending_reviews<'a>(
        &'a self,
        limit: u32,
    ) -> BoxFuture<'a, Result<Vec<StoredEvent>, AuditError>>;
    fn get<'a>(&'a self, seq: i64) -> BoxFuture<'a, Result<Option<StoredEvent>, AuditError>>;
    /// Events matching `filter`, newest first, older than `before` (keyset paging), at most
    /// `limit`.
    fn search<'a>(
        &'a self,
        filter: &'a Filter,
        before: Option<i64>,
        limit: u32,
    ) -> BoxFuture<'a, Result<Vec<StoredEvent>, AuditError>>;
    /// Events with `from_ms <= at_ms <= to_ms` in time order (ties by sequence number), after
    /// `(at_ms, seq)` when given, at most `limit`: how reports read a period.
    fn read_period<'a>(
        &'a self,
        from_ms: i64,
        to_ms: i64,
        after: Option<(i64, i64)>,
        limit: u32,
    ) -> BoxFuture<'a, Result<Vec<PeriodEvent>, AuditError>>;
    /// The access report's counts for a period, grouped by the database.
    fn count_accesses<'a>(
        &'a self,
        count: &'a counts::AccessCount,
    ) -> BoxFuture<'a, Result<counts::AccessCounts, AuditError>>;
    /// Whether the store takes writes now (for the readiness probe), without writing: a
    /// database that is down, full, read-only or a standby answers with its error.
    fn writable(&self) -> BoxFuture<'_, Result<(), AuditError>>;
    /// The checkpoint left by the last purge, if events have ever been purged.
    fn checkpoint(&self) -> BoxFuture<'_, Result<Option<Checkpoint>, AuditError>>;
    /// In one transaction: deletes the oldest events up to the first one at or after
    /// `cutoff_ms` (a prefix of the chain, so what is left still links), records the last
    /// deleted one as the checkpoint, and appends `purge` (see [`retention::purge_event`]) to
    /// the chain. `None` when nothing is old enough.
    fn purge<'a>(
        &'a self,
        cutoff_ms: i64,
        purge: &'a AuditEvent,
    ) -> BoxFuture<'a, Result<Option<Checkpoint>, AuditError>>;
}

/// What an audit search matches; `None` matches anything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    pub user_id: Option<String>,
    pub nhs_number: Option<String>,
    pub organisation: Option<String>,
    pub role: Option<String>,
    pub basis: Option<String>,
    pub outcome: Option<Outcome>,
    /// Only refusals by this rule.
    pub refusal: Option<app::audit_terms::RefusalKind>,
    /// Any of these kinds; empty matches every kind.
    pub kinds: Vec<EventKind>,
    /// Inclusive bounds, milliseconds since the epoch.
    pub from_ms: Option<i64>,
    pub to_ms: Option<i64>,
}

/// What reports read of each event in a period: a narrow row, as a report reads hundreds of
/// thousands of them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeriodEvent {
    pub seq: i64,
    pub at_ms: i64,
    /// The stored kind name (`record-view`).
    pub kind: String,
    /// The stored outcome name (`success`).
    pub outcome: String,
    /// The stored kind of refusal (`dissent`), for a refused event.
    pub refusal: Option<String>,
    pub user_id: String,
    pub user_name: String,
    pub organisation: Option<String>,
    pub nhs_number: Option<String>,
    pub same_surname: bool,
}

from_row!(PeriodEvent {
    seq,
    at_ms,
    kind,
    outcome,
    refusal,
    user_id,
    user_name,
    organisation,
    nhs_number,
    same_surname
});

impl From<&StoredEvent> for PeriodEvent {
    fn from(stored: &StoredEvent) -> Self {
        let e = &stored.event;
        Self {
            seq: stored.seq,
            at_ms: e.at_ms,
            kind: e.kind.as_str().to_owned(),
            outcome: e.outcome.as_str().to_owned(),
            refusal: e.refusal.map(|k| k.as_str().to_owned()),
            user_id: e.user_id.clone(),
            user_name: e.user_name.clone(),
            organisation: e.organisation.clone(),
            nhs_number: e.nhs_number.clone(),
            same_surname: e.same_surname,
        }
    }
}

type Pending = (AuditEvent, oneshot::Sender<Result<i64, AuditError>>);

/// Proof that an audit event is durable: only [`AuditTrail::record`] makes one, once the
/// store has committed the event. Patient data judged for a viewer is handed over only in
/// exchange for one ([`crate::policy::gate::Judged`]).
#[derive(Debug, PartialEq, Eq)]
pub struct Receipt {
    seq: i64,
}

impl Receipt {
    /// The event's place in the chain.
    pub fn seq(&self) -> i64 {
        self.seq
    }
}

/// The handle the portal writes through; cheap to clone.
#[derive(Clone)]
pub struct AuditTrail {
    queue: mpsc::Sender<Pending>,
    store: Arc<dyn AuditStore>,
}

impl AuditTrail {
    /// Starts the committer task for `store` (inside a tokio runtime).
    pub fn start(store: Arc<dyn AuditStore>, max_batch: usize) -> Self {
        let (queue, pending) = mpsc::channel(max_batch.max(1) * 4);
        tokio::spawn(commit_in_groups(store.clone(), pending, max_batch.max(1)));
        Self { queue, store }
    }

    /// Opens the configured store and starts writing to it.
    pub async fn open(config: &AuditConfig) -> Result<Self, AuditError> {
        let store = config.open_store().await?;
        Ok(Self::start(store, config.max_batch))
    }

    /// Records `event` and returns its receipt once it is durable.
    pub async fn record(&self, event: AuditEvent) -> Result<Receipt, AuditError> {
        let (done, committed) = oneshot::channel();
        self.queue
            .send((event, done))
            .await
            .map_err(|_| AuditError::Stopped)?;
        let seq = committed.await.map_err(|_| AuditError::Stopped)??;
        Ok(Receipt { seq })
    }

    /// The store itself, for the trail's own jobs (retention); readers go through
    /// [`AuditTrail::reader`].
    fn store(&self) -> &Arc<dyn AuditStore> {
        &self.store
    }

    /// Whether the store takes writes now ([`AuditStore::writable`]).
    pub async fn writable(&self) -> Result<(), AuditError> {
        self.store.writable().await
    }

    /// Checks the whole chain; the number of events checked, or the first broken link.
    pub async fn verify(&self) -> Result<Result<u64, Broken>, AuditError> {
        verify(&*self.store).await
    }
}

/// Takes whatever events are waiting (up to `max_batch`), commits them together, then tells
/// each writer its sequence number or its error. An event the store refuses fails alone
/// ([`append_isolating`]); a store that cannot be written fails the group.
async fn commit_in_groups(
    store: Arc<dyn AuditStore>,
    mut pending: mpsc::Receiver<Pending>,
    max_batch: usize,
) {
    let mut group: Vec<Pending> = Vec::with_capacity(max_batch);
    while pending.recv_many(&mut group, max_batch).await > 0 {
        crate::metrics::audit_queue(pending.len());
        let events: Vec<AuditEvent> = group.iter().map(|(e, _)| e.clone()).collect();
        let started = std::time::Instant::now();
        let results = append_isolating(&*store, &events).await;
        let failed = results.iter().filter(|r| r.is_err()).count();
        crate::metrics::audit_commit(started.elapsed(), events.len(), failed);
        // What queued while the store committed.
        crate::metrics::audit_queue(pending.len());
        if let Some(Err(error)) = results.iter().find(|r| r.is_err()) {
            tracing::error!(%error, failed, events = events.len(), "audit events could not be committed");
        }
        for ((_, done), result) in group.drain(..).zip(results) {
            let _ = done.send(result);
        }
    }
}

/// Appends `events` in one transaction and returns each one's sequence number, in order. If
/// the store refuses the group ([`AuditError::Rejected`]: one event it cannot hold), the
/// group is halved and each half tried again, down to single events, so only the refused
/// events fail and everyone else's are committed, still in order (a few transactions more
/// than one, not one per event). Any other error fails every event.
pub fn append_isolating<'a>(
    store: &'a dyn AuditStore,
    events: &'a [AuditEvent],
) -> BoxFuture<'a, Vec<Result<i64, AuditError>>> {
    Box::pin(async move {
        match store.append(events).await {
            Ok(seqs) if seqs.len() == events.len() => seqs.into_iter().map(Ok).collect(),
            Ok(seqs) => {
                let error = AuditError::Write(format!(
                    "{} events appended, {} sequence numbers returned",
                    events.len(),
                    seqs.len()
                ));
                vec![Err(error); events.len()]
            }
            Err(AuditError::Rejected(_)) if events.len() > 1 => {
                let (first, second) = events.split_at(events.len() / 2);
                let mut results = append_isolating(store, first).await;
                results.extend(append_isolating(store, second).await);
                results
            }
            Err(error) => vec![Err(error); events.len()],
        }
    })
}

/// Walks every stored event in pages, from the checkpoint if events have been purged. A
/// checkpoint must be vouched for by the purge event that made it, so deleting old rows and
/// writing a checkpoint by hand is caught too.
pub async fn verify(store: &dyn AuditStore) -> Result<Result<u64, Broken>, AuditError> {
    let checkpoint = store.checkpoint().await?;
    let mut verifier = chain::Verifier::new(checkpoint.clone().map(|c| (c.seq, c.hash)));
    let mut vouched = checkpoint.is_none();
    loop {
        let page = store.read_after(verifier.last_seq(), 5_000).await?;
        if page.is_empty() {
            break;
        }
        for row in &page {
            if let Err(broken) = verifier.check(row) {
                return Ok(Err(broken));
            }
            if let Some(c) = &checkpoint {
                vouched |= retention::vouches_for(&row.event, c);
            }
        }
    }
    match checkpoint {
        Some(c) if !vouched => Ok(Err(Broken {
            seq: c.seq + 1,
            reason: format!(
                "the chain starts after a checkpoint at event {} that no purge event records",
                c.seq
            ),
        })),
        _ => Ok(Ok(verifier.checked)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn review_notes_have_a_configured_bound() {
        // (max_note_chars, accepted)
        for (max, accepted) in [
            (1_000, true),
            (5, true),
            (4_000, true),
            (4, false),
            (4_001, false),
        ] {
            let config = AuditConfig {
                max_note_chars: max,
                ..AuditConfig::default()
            };
            let problems = config.problems().join("; ");
            assert_eq!(problems.is_empty(), accepted, "{max}: {problems}");
            if !accepted {
                assert!(problems.contains("audit.max_note_chars"), "{problems}");
            }
        }
    }
}
