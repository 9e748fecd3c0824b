//! What both SQL stores share: the events table's columns, one row read back into an event,
//! the multi-row insert and the workspace search, written once over any sqlx database so
//! SQLite and PostgreSQL cannot drift apart.

use super::chain::StoredEvent;
use super::event::{AuditEvent, EventKind, Outcome};
use super::{AuditError, Checkpoint, Filter};
use crate::sql_row::from_row;
use app::audit_terms::RefusalKind;
use sqlx::{Database, Encode, QueryBuilder, Type};

/// The events table's columns, in insert order.
pub const COLUMNS: &str = "seq, at_ms, kind, user_id, user_name, role, organisation, \
    nhs_number, basis, reason, outcome, detail, sources, categories, withheld, refers_to, \
    request_id, client, user_agent, same_surname, refusal, prev_hash, hash";

/// Rows per INSERT statement (keeps well under both databases' bind-parameter limits).
pub const INSERT_CHUNK: usize = 1_000;

/// One stored row as the database returns it.
#[derive(Debug)]
pub struct EventRow {
    seq: i64,
    at_ms: i64,
    kind: String,
    user_id: String,
    user_name: String,
    role: Option<String>,
    organisation: Option<String>,
    nhs_number: Option<String>,
    basis: Option<String>,
    reason: Option<String>,
    outcome: String,
    detail: Option<String>,
    sources: String,
    categories: String,
    withheld: i64,
    refers_to: Option<i64>,
    request_id: String,
    client: String,
    user_agent: String,
    same_surname: bool,
    refusal: Option<String>,
    prev_hash: String,
    hash: String,
}

from_row!(EventRow {
    seq,
    at_ms,
    kind,
    user_id,
    user_name,
    role,
    organisation,
    nhs_number,
    basis,
    reason,
    outcome,
    detail,
    sources,
    categories,
    withheld,
    refers_to,
    request_id,
    client,
    user_agent,
    same_surname,
    refusal,
    prev_hash,
    hash
});

impl EventRow {
    /// The row back into an event; a row that cannot be read is reported, not skipped.
    pub fn into_stored(self) -> Result<StoredEvent, AuditError> {
        let seq = self.seq;
        let unreadable = |what: &str| AuditError::Read(format!("event {seq}: unreadable {what}"));
        let list = |text: &str, what: &str| -> Result<Vec<String>, AuditError> {
            serde_json::from_str(text).map_err(|_| unreadable(what))
        };
        let event = AuditEvent {
            at_ms: self.at_ms,
            kind: EventKind::parse(&self.kind).ok_or_else(|| unreadable("kind"))?,
            user_id: self.user_id,
            user_name: self.user_name,
            role: self.role,
            organisation: self.organisation,
            nhs_number: self.nhs_number,
            basis: self.basis,
            reason: self.reason,
            outcome: Outcome::parse(&self.outcome).ok_or_else(|| unreadable("outcome"))?,
            detail: self.detail,
            sources: list(&self.sources, "sources")?,
            categories: list(&self.categories, "categories")?,
            withheld: u32::try_from(self.withheld).map_err(|_| unreadable("withheld"))?,
            refers_to: self.refers_to,
            request_id: self.request_id,
            client: self.client,
            user_agent: self.user_agent,
            same_surname: self.same_surname,
            refusal: match self.refusal {
                Some(code) => Some(RefusalKind::parse(&code).ok_or_else(|| unreadable("refusal"))?),
                None => None,
            },
        };
        Ok(StoredEvent {
            seq,
            event,
            prev_hash: self.prev_hash,
            hash: self.hash,
        })
    }
}

/// Rows read back into events, stopping at the first unreadable one.
pub fn into_stored(rows: Vec<EventRow>) -> Result<Vec<StoredEvent>, AuditError> {
    rows.into_iter().map(EventRow::into_stored).collect()
}

/// `INSERT INTO audit_events (...) VALUES (...), (...)` for up to [`INSERT_CHUNK`] rows.
pub fn insert<'a, DB>(rows: &[StoredEvent]) -> QueryBuilder<'a, DB>
where
    DB: Database,
    String: Encode<'a, DB> + Type<DB>,
    Option<String>: Encode<'a, DB> + Type<DB>,
    i64: Encode<'a, DB> + Type<DB>,
    Option<i64>: Encode<'a, DB> + Type<DB>,
    bool: Encode<'a, DB> + Type<DB>,
{
    let list = |v: &[String]| serde_json::to_string(v).unwrap_or_else(|_| "[]".to_owned());
    let mut query = QueryBuilder::new(format!("INSERT INTO audit_events ({COLUMNS}) "));
    query.push_values(rows, |mut values, row| {
        let e = &row.event;
        values
            .push_bind(row.seq)
            .push_bind(e.at_ms)
            .push_bind(e.kind.as_str().to_owned())
            .push_bind(e.user_id.clone())
            .push_bind(e.user_name.clone())
            .push_bind(e.role.clone())
            .push_bind(e.organisation.clone())
            .push_bind(e.nhs_number.clone())
            .push_bind(e.basis.clone())
            .push_bind(e.reason.clone())
            .push_bind(e.outcome.as_str().to_owned())
            .push_bind(e.detail.clone())
            .push_bind(list(&e.sources))
            .push_bind(list(&e.categories))
            .push_bind(i64::from(e.withheld))
            .push_bind(e.refers_to)
            .push_bind(e.request_id.clone())
            .push_bind(e.client.clone())
            .push_bind(e.user_agent.clone())
            .push_bind(e.same_surname)
            .push_bind(e.refusal.map(|k| k.as_str().to_owned()))
            .push_bind(row.prev_hash.clone())
            .push_bind(row.hash.clone());
    });
    query
}

/// The workspace search: events matching `filter`, newest first, older than `before`.
///
/// Without a time range, newest means the highest sequence number (each filter has an index
/// ending in `seq`). With one, newest is by time, ties by sequence number: then the
/// `(filter, at_ms)` indexes give the page in order, reading only the page's rows, where
/// ordering by `seq` alone made the database fetch and sort every event of the range (or, on
/// PostgreSQL, walk the primary key backwards through events outside it). `before` is then
/// the last event shown: the page continues after its `(at_ms, seq)`.
pub fn search<'a, DB>(filter: &Filter, before: Option<i64>, limit: u32) -> QueryBuilder<'a, DB>
where
    DB: Database,
    String: Encode<'a, DB> + Type<DB>,
    i64: Encode<'a, DB> + Type<DB>,
{
    let mut query = QueryBuilder::new(format!("SELECT {COLUMNS} FROM audit_events WHERE 1 = 1"));
    let text = [
        ("user_id", &filter.user_id),
        ("nhs_number", &filter.nhs_number),
        ("organisation", &filter.organisation),
        ("role", &filter.role),
        ("basis", &filter.basis),
    ];
    for (column, value) in text {
        if let Some(value) = value {
            query
                .push(format!(" AND {column} = "))
                .push_bind(value.clone());
        }
    }
    if let Some(outcome) = filter.outcome {
        query
            .push(" AND outcome = ")
            .push_bind(outcome.as_str().to_owned());
    }
    if let Some(refusal) = filter.refusal {
        query
            .push(" AND refusal = ")
            .push_bind(refusal.as_str().to_owned());
    }
    if !filter.kinds.is_empty() {
        query.push(" AND kind IN (");
        let mut kinds = query.separated(", ");
        for kind in &filter.kinds {
            kinds.push_bind(kind.as_str().to_owned());
        }
        query.push(")");
    }
    if let Some(from) = filter.from_ms {
        query.push(" AND at_ms >= ").push_bind(from);
    }
    if let Some(to) = filter.to_ms {
        query.push(" AND at_ms <= ").push_bind(to);
    }
    let by_time = filter.from_ms.is_some() || filter.to_ms.is_some();
    match (before, by_time) {
        (Some(before), false) => {
            query.push(" AND seq < ").push_bind(before);
        }
        (Some(before), true) => {
            // At or before that event's time (a range bound the index can seek to), and
            // not it or anything after it at the same millisecond.
            let at = "(SELECT b.at_ms FROM audit_events b WHERE b.seq = ";
            query
                .push(format!(" AND at_ms <= {at}"))
                .push_bind(before)
                .push(format!(") AND (at_ms < {at}"))
                .push_bind(before)
                .push(") OR seq < ")
                .push_bind(before)
                .push(")");
        }
        (None, _) => {}
    }
    let order = if by_time {
        " ORDER BY at_ms DESC, seq DESC LIMIT "
    } else {
        " ORDER BY seq DESC LIMIT "
    };
    query.push(order).push_bind(i64::from(limit));
    query
}

/// Events in a time range in time order (ties by sequence number), after `(at_ms, seq)`:
/// one index range scan a page, however far the reader has got.
pub fn read_period<'a, DB>(
    from_ms: i64,
    to_ms: i64,
    after: Option<(i64, i64)>,
    limit: u32,
) -> QueryBuilder<'a, DB>
where
    DB: Database,
    i64: Encode<'a, DB> + Type<DB>,
{
    // The keyset goes into the range's lower bound, so each page seeks straight to where the
    // last one ended (a row-value comparison alone is not used to seek by SQLite).
    let mut query = QueryBuilder::new(
        "SELECT seq, at_ms, kind, outcome, refusal, user_id, user_name, organisation, \
         nhs_number, same_surname FROM audit_events WHERE at_ms >= ",
    );
    match after {
        Some((at_ms, seq)) => {
            query
                .push_bind(at_ms.max(from_ms))
                .push(" AND (at_ms > ")
                .push_bind(at_ms)
                .push(" OR seq > ")
                .push_bind(seq)
                .push(")");
        }
        None => {
            query.push_bind(from_ms);
        }
    }
    query.push(" AND at_ms <= ").push_bind(to_ms);
    query
        .push(" ORDER BY at_ms, seq LIMIT ")
        .push_bind(i64::from(limit));
    query
}

/// Emergency accesses with no review event referring to them, newest first.
pub fn pending_reviews<'a, DB>(limit: u32) -> QueryBuilder<'a, DB>
where
    DB: Database,
    i64: Encode<'a, DB> + Type<DB>,
{
    let mut query = QueryBuilder::new(format!(
        "SELECT {COLUMNS} FROM audit_events e WHERE kind = 'emergency-access' AND NOT EXISTS \
         (SELECT 1 FROM audit_events r WHERE r.refers_to = e.seq AND r.kind = 'review') \
         ORDER BY seq DESC LIMIT "
    ));
    query.push_bind(i64::from(limit));
    query
}

/// Up to `limit` events after `after`, in chain order.
pub fn read_after<'a, DB>(after: i64, limit: u32) -> QueryBuilder<'a, DB>
where
    DB: Database,
    i64: Encode<'a, DB> + Type<DB>,
{
    let mut query = QueryBuilder::new(format!("SELECT {COLUMNS} FROM audit_events WHERE seq > "));
    query
        .push_bind(after)
        .push(" ORDER BY seq LIMIT ")
        .push_bind(i64::from(limit));
    query
}

/// One event by its sequence number.
pub fn get<'a, DB>(seq: i64) -> QueryBuilder<'a, DB>
where
    DB: Database,
    i64: Encode<'a, DB> + Type<DB>,
{
    let mut query = QueryBuilder::new(format!("SELECT {COLUMNS} FROM audit_events WHERE seq = "));
    query.push_bind(seq);
    query
}

/// What a purge would delete: the newest event before the first one at or after `cutoff_ms`
/// (so only a prefix of the chain goes), its hash, and the oldest stored event's number.
pub fn purge_through<'a, DB>(cutoff_ms: i64) -> QueryBuilder<'a, DB>
where
    DB: Database,
    i64: Encode<'a, DB> + Type<DB>,
{
    let mut query = QueryBuilder::new(
        "SELECT seq, hash, (SELECT MIN(seq) FROM audit_events) AS first FROM audit_events \
         WHERE seq < COALESCE((SELECT seq FROM audit_events WHERE at_ms >= ",
    );
    query
        .push_bind(cutoff_ms)
        .push(" ORDER BY seq LIMIT 1), 9223372036854775807) ORDER BY seq DESC LIMIT 1");
    query
}

/// Deletes every event up to and including `seq`.
pub fn delete_through<'a, DB>(seq: i64) -> QueryBuilder<'a, DB>
where
    DB: Database,
    i64: Encode<'a, DB> + Type<DB>,
{
    let mut query = QueryBuilder::new("DELETE FROM audit_events WHERE seq <= ");
    query.push_bind(seq);
    query
}

/// Records `checkpoint` as where the chain now starts.
pub fn save_checkpoint<'a, DB>(checkpoint: &Checkpoint) -> QueryBuilder<'a, DB>
where
    DB: Database,
    String: Encode<'a, DB> + Type<DB>,
    i64: Encode<'a, DB> + Type<DB>,
{
    let mut query =
        QueryBuilder::new("INSERT INTO audit_checkpoint (id, seq, hash, at_ms) VALUES (1, ");
    query
        .push_bind(checkpoint.seq)
        .push(", ")
        .push_bind(checkpoint.hash.clone())
        .push(", ")
        .push_bind(checkpoint.at_ms)
        .push(
            ") ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash, \
             at_ms = excluded.at_ms",
        );
    query
}
