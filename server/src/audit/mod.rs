//! The audit trail: every sign-in, lookup, basis, view, refusal and review as a durable,
//! hash-chained event ([`event`], [`chain`]) in a store ([`sqlite`]). Writers hand events to
//! one committer task that commits whatever has queued in a single transaction (group commit:
//! one fsync for many concurrent events) and acknowledges each event only once it is durable,
//! so a view can wait for its event before any patient data leaves the server. The audit
//! officer's [`workspace`] reads it.

pub mod chain;
pub mod event;
pub mod export;
pub mod sqlite;
pub mod workspace;

pub use chain::{Broken, StoredEvent};
pub use event::{AuditEvent, EventKind, Outcome};

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
    #[error("the audit store could not be read: {0}")]
    Read(String),
    #[error("the audit writer has stopped")]
    Stopped,
}

/// Where events are kept (`[audit]`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AuditConfig {
    /// The SQLite database file (created if missing).
    pub sqlite_path: PathBuf,
    /// Most events committed in one transaction.
    pub max_batch: usize,
}

impl Default for AuditConfig {
    fn default() -> Self {
        Self {
            sqlite_path: PathBuf::from("data/audit.sqlite"),
            max_batch: 512,
        }
    }
}

impl AuditConfig {
    pub fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        if self.sqlite_path.as_os_str().is_empty() {
            problems.push("audit.sqlite_path must name a file".to_owned());
        }
        if !(1..=10_000).contains(&self.max_batch) {
            problems.push("audit.max_batch must be between 1 and 10000".to_owned());
        }
        problems
    }
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
    pub kind: Option<EventKind>,
    /// Inclusive bounds, milliseconds since the epoch.
    pub from_ms: Option<i64>,
    pub to_ms: Option<i64>,
}

type Pending = (AuditEvent, oneshot::Sender<Result<i64, AuditError>>);

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
        let store = sqlite::SqliteAudit::open(&config.sqlite_path).await?;
        Ok(Self::start(Arc::new(store), config.max_batch))
    }

    /// Records `event` and returns its sequence number once it is durable.
    pub async fn record(&self, event: AuditEvent) -> Result<i64, AuditError> {
        let (done, committed) = oneshot::channel();
        self.queue
            .send((event, done))
            .await
            .map_err(|_| AuditError::Stopped)?;
        committed.await.map_err(|_| AuditError::Stopped)?
    }

    pub fn store(&self) -> &Arc<dyn AuditStore> {
        &self.store
    }

    /// Checks the whole chain; the number of events checked, or the first broken link.
    pub async fn verify(&self) -> Result<Result<u64, Broken>, AuditError> {
        verify(&*self.store).await
    }
}

/// Takes whatever events are waiting (up to `max_batch`), commits them together, then tells
/// each writer its sequence number, or the error that lost the whole group.
async fn commit_in_groups(
    store: Arc<dyn AuditStore>,
    mut pending: mpsc::Receiver<Pending>,
    max_batch: usize,
) {
    let mut group: Vec<Pending> = Vec::with_capacity(max_batch);
    while pending.recv_many(&mut group, max_batch).await > 0 {
        let events: Vec<AuditEvent> = group.iter().map(|(e, _)| e.clone()).collect();
        match store.append(&events).await {
            Ok(seqs) => {
                for ((_, done), seq) in group.drain(..).zip(seqs) {
                    let _ = done.send(Ok(seq));
                }
            }
            Err(error) => {
                tracing::error!(%error, events = events.len(), "audit events could not be committed");
                for (_, done) in group.drain(..) {
                    let _ = done.send(Err(error.clone()));
                }
            }
        }
    }
}

/// Walks every stored event in pages.
pub async fn verify(store: &dyn AuditStore) -> Result<Result<u64, Broken>, AuditError> {
    let mut verifier = chain::Verifier::new(None);
    loop {
        let page = store.read_after(verifier.last_seq(), 5_000).await?;
        if page.is_empty() {
            return Ok(Ok(verifier.checked));
        }
        for row in &page {
            if let Err(broken) = verifier.check(row) {
                return Ok(Err(broken));
            }
        }
    }
}
