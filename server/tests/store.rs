//! One test-suite run against both audit stores, SQLite and a real PostgreSQL: fields round
//! trip, search filters and keyset paging, the review queue, tampering caught at the edited
//! row, retention purges behind a checkpoint (and a forged checkpoint caught), two store
//! instances writing at once keeping one chain, hostile and huge text stored safely, and one
//! event the database refuses failing alone in its group commit.
//!
//! PostgreSQL comes from `AUDIT_TEST_POSTGRES_URL`, which the README's test command sets after
//! starting a private server (`.ci/lib.sh ensure_postgres`); each test makes its own database.

use app::audit_terms::RefusalKind;
use app::auth::RequestInfo;
use server::audit::postgres::PostgresAudit;
use server::audit::retention::purge_event;
use server::audit::sqlite::SqliteAudit;
use server::audit::{
    append_isolating, verify, AuditError, AuditEvent, AuditStore, AuditTrail, EventKind, Filter,
    Outcome, StoredEvent,
};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

/// A store under test, a second instance on the same database, and raw SQL access to it.
struct Backend {
    store: Arc<dyn AuditStore>,
    second: Arc<dyn AuditStore>,
    raw: Raw,
}

enum Raw {
    Sqlite(sqlx::SqlitePool),
    Postgres(sqlx::PgPool),
}

impl Raw {
    async fn exec(&self, sql: &str) {
        match self {
            Raw::Sqlite(pool) => sqlx::raw_sql(sql).execute(pool).await.map(|_| ()),
            Raw::Postgres(pool) => sqlx::raw_sql(sql).execute(pool).await.map(|_| ()),
        }
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
    }

    /// Makes the database itself refuse any event whose user agent is `poison`, as it would
    /// refuse a value it cannot hold.
    async fn poison(&self) {
        match self {
            Raw::Sqlite(_) => {
                self.exec(
                    "CREATE TRIGGER poison BEFORE INSERT ON audit_events \
                     WHEN NEW.user_agent = 'poison' BEGIN SELECT RAISE(ABORT, 'poison'); END",
                )
                .await
            }
            Raw::Postgres(_) => {
                self.exec(
                    "ALTER TABLE audit_events ADD CONSTRAINT poison CHECK (user_agent <> 'poison')",
                )
                .await
            }
        }
    }
}

static NEXT: AtomicUsize = AtomicUsize::new(0);

fn unique(prefix: &str) -> String {
    format!(
        "{prefix}_{}_{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::SeqCst)
    )
}

async fn sqlite() -> Backend {
    let dir = std::env::temp_dir().join(unique("scrv_store"));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("audit.sqlite");
    let store = Arc::new(SqliteAudit::open(&path).await.unwrap());
    let second = Arc::new(SqliteAudit::open(&path).await.unwrap());
    let raw = sqlx::SqlitePool::connect(&format!("sqlite://{}", path.display()))
        .await
        .unwrap();
    Backend {
        store,
        second,
        raw: Raw::Sqlite(raw),
    }
}

async fn postgres() -> Backend {
    let url = crate::common::fresh_postgres().await;
    let store = Arc::new(PostgresAudit::open(&url).await.unwrap());
    let second = Arc::new(PostgresAudit::open(&url).await.unwrap());
    let raw = sqlx::PgPool::connect(&url).await.unwrap();
    Backend {
        store,
        second,
        raw: Raw::Postgres(raw),
    }
}

const DAY_MS: i64 = 86_400_000;
const T0: i64 = 1_790_000_000_000;

fn event(n: usize) -> AuditEvent {
    let mut e = AuditEvent::by_user(
        &format!("user-{}", n % 3),
        "Dr Zoë Ó Súilleabháin",
        &RequestInfo {
            request_id: format!("req-{n}"),
            client: "127.0.0.1".into(),
            user_agent: "test".into(),
        },
        EventKind::RecordView,
    );
    e.at_ms = T0 + n as i64 * 1_000;
    e.role = Some(
        if n.is_multiple_of(2) {
            "ae-clinician"
        } else {
            "call-handler"
        }
        .into(),
    );
    e.organisation = Some(format!("ORG{}", n % 2));
    e.nhs_number = Some(format!("94347659{:02}", n % 5));
    e.sources = vec!["gp".into(), "acute".into()];
    e.categories = vec!["problem".into()];
    e
}

fn events(range: std::ops::Range<usize>) -> Vec<AuditEvent> {
    range.map(event).collect()
}

async fn every_field_round_trips_and_the_chain_verifies(b: Backend) {
    let mut first = event(0);
    first.basis = Some("emergency".into());
    first.reason = Some("Unconscious, no one to ask; ‘quotes’ and 'apostrophes'".into());
    first.detail = Some("x".repeat(2_000));
    first.withheld = 3;
    first.refers_to = Some(42);
    first.same_surname = true;
    first.outcome = Outcome::Refused;
    first.kind = EventKind::EmergencyAccess;
    let seqs = b.store.append(std::slice::from_ref(&first)).await.unwrap();
    assert_eq!(seqs, [1]);
    let seqs = b.store.append(&events(1..6)).await.unwrap();
    assert_eq!(seqs, [2, 3, 4, 5, 6]);
    let back = b.store.get(1).await.unwrap().unwrap();
    assert_eq!(back.event, first);
    assert_eq!(b.store.get(99).await.unwrap(), None);
    let all = b.store.read_after(0, 100).await.unwrap();
    assert_eq!(
        all.iter().map(|s| s.seq).collect::<Vec<_>>(),
        [1, 2, 3, 4, 5, 6]
    );
    assert_eq!(all[1].prev_hash, all[0].hash);
    assert_eq!(b.store.read_after(4, 1).await.unwrap()[0].seq, 5);
    assert_eq!(verify(&*b.store).await.unwrap(), Ok(6));
    assert_eq!(b.store.checkpoint().await.unwrap(), None);
}

async fn search_filters_and_pages_newest_first(b: Backend) {
    b.store.append(&events(0..30)).await.unwrap();
    let seqs = |found: Vec<StoredEvent>| found.iter().map(|s| s.seq).collect::<Vec<_>>();
    // (filter, expected seqs, newest first) — event n is seq n + 1.
    let table: Vec<(Filter, Vec<i64>)> = vec![
        (
            Filter {
                user_id: Some("user-1".into()),
                to_ms: Some(T0 + 10_000),
                ..Filter::default()
            },
            vec![11, 8, 5, 2],
        ),
        (
            Filter {
                nhs_number: Some("9434765903".into()),
                role: Some("call-handler".into()),
                ..Filter::default()
            },
            vec![24, 14, 4],
        ),
        (
            Filter {
                organisation: Some("ORG0".into()),
                from_ms: Some(T0 + 24_000),
                ..Filter::default()
            },
            vec![29, 27, 25],
        ),
        (
            Filter {
                kinds: vec![EventKind::SignIn, EventKind::Review],
                ..Filter::default()
            },
            vec![],
        ),
        (
            Filter {
                outcome: Some(Outcome::Success),
                kinds: vec![EventKind::RecordView],
                from_ms: Some(T0 + 27_000),
                ..Filter::default()
            },
            vec![30, 29, 28],
        ),
        (
            Filter {
                basis: Some("emergency".into()),
                ..Filter::default()
            },
            vec![],
        ),
    ];
    for (filter, expected) in table {
        let found = b.store.search(&filter, None, 100).await.unwrap();
        assert_eq!(seqs(found), expected, "{filter:?}");
    }
    // Keyset paging: pages of 7 from the newest, each older than the last seen.
    let mut before = None;
    let mut seen = Vec::new();
    loop {
        let page = b.store.search(&Filter::default(), before, 7).await.unwrap();
        if page.is_empty() {
            break;
        }
        before = page.last().map(|s| s.seq);
        seen.extend(seqs(page));
    }
    assert_eq!(seen, (1..=30).rev().collect::<Vec<i64>>());
}

async fn a_period_is_read_in_time_order_a_page_at_a_time(b: Backend) {
    // Times out of sequence order (as when a slow request commits after a quick one), and ties.
    let mut batch = events(0..12);
    let times = [5, 1, 3, 3, 9, 0, 7, 3, 2, 8, 6, 4];
    for (e, t) in batch.iter_mut().zip(times) {
        e.at_ms = T0 + t;
    }
    b.store.append(&batch).await.unwrap();
    let mut after = None;
    let mut seen = Vec::new();
    loop {
        let page = b.store.read_period(T0 + 1, T0 + 8, after, 4).await.unwrap();
        seen.extend(page.iter().map(|s| (s.at_ms - T0, s.seq)));
        after = page.last().map(|s| (s.at_ms, s.seq));
        if page.len() < 4 {
            break;
        }
    }
    // Times 1 to 8 inclusive, in time order, ties by sequence number.
    let expected = [
        (1, 2),
        (2, 9),
        (3, 3),
        (3, 4),
        (3, 8),
        (4, 12),
        (5, 1),
        (6, 11),
        (7, 7),
        (8, 10),
    ];
    assert_eq!(seen, expected);
}

async fn a_search_with_a_time_range_pages_newest_first_by_time(b: Backend) {
    // Times out of sequence order, and ties; event n is seq n + 1.
    let mut batch = events(0..12);
    let times = [5, 1, 3, 3, 9, 0, 7, 3, 2, 8, 6, 4];
    for (e, t) in batch.iter_mut().zip(times) {
        e.at_ms = T0 + t;
    }
    b.store.append(&batch).await.unwrap();
    // Pages of 3 within times 1 to 8, each continuing after the last event shown.
    let filter = Filter {
        from_ms: Some(T0 + 1),
        to_ms: Some(T0 + 8),
        ..Filter::default()
    };
    let mut before = None;
    let mut seen = Vec::new();
    loop {
        let page = b.store.search(&filter, before, 3).await.unwrap();
        seen.extend(page.iter().map(|s| (s.event.at_ms - T0, s.seq)));
        before = page.last().map(|s| s.seq);
        if page.len() < 3 {
            break;
        }
    }
    // Newest first by time, ties by sequence number, each once.
    let expected = [
        (8, 10),
        (7, 7),
        (6, 11),
        (5, 1),
        (4, 12),
        (3, 8),
        (3, 4),
        (3, 3),
        (2, 9),
        (1, 2),
    ];
    assert_eq!(seen, expected);
}

/// The access report the database counts is the report the portal tallies from the events
/// themselves: over three weeks across the October clock change, with weekends, the edges of
/// the working day, emergency and refused events, events outside the period and patients
/// sharing a user's surname.
async fn the_database_counts_the_access_report_as_the_events_tally(b: Backend) {
    use server::audit::counts::AccessCount;
    use server::audit::reports::{from_counts, AccessTally, ReportSpec, WorkingHours};
    let day = 86_400_000;
    // 2026-10-12 00:00 UTC (a Monday, BST) to 2026-11-01: 21 UK days and a margin either side.
    let start = 1_791_763_200_000 - 3_600_000;
    let mut batch = Vec::new();
    let mut state: u64 = 0x2026_1025;
    let mut next = |n: u64| {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (state >> 33) % n
    };
    for n in 0..3_000 {
        let mut e = event(n);
        // Anywhere from a day before the period to a day after, on a half-minute grid, with
        // the working day's edges (07:59:59, 08:00, 18:29:59, 18:30 UK time) made common.
        e.at_ms = start - day + next(23 * 2_880) as i64 * 30_000;
        if n % 7 == 0 {
            // UK 08:00 and 18:30 are 07:00 and 17:30 UTC in summer, 08:00 and 18:30 in winter.
            let (hour, minute, second) = (3_600_000, 60_000, 1_000);
            let edges = [
                7 * hour,
                8 * hour,
                17 * hour + 30 * minute,
                18 * hour + 30 * minute,
            ];
            let edge = edges[n % 4] - second * ((n / 4) % 2) as i64;
            e.at_ms = e.at_ms - e.at_ms.rem_euclid(day) + edge;
        }
        let user = next(9);
        e.user_id = format!("user-{user}");
        e.user_name = format!("Dr User {user}");
        e.organisation = Some(format!("ORG{}", user % 3));
        e.nhs_number = (next(10) > 0).then(|| format!("94347659{:02}", next(40)));
        e.kind = match next(6) {
            0 => EventKind::EmergencyAccess,
            1 => EventKind::EntryView,
            2 => EventKind::Denied,
            _ => EventKind::RecordView,
        };
        if e.kind == EventKind::Denied || next(20) == 0 {
            e.outcome = Outcome::Refused;
            e.refusal =
                [None, Some(RefusalKind::Dissent), Some(RefusalKind::Role)][next(3) as usize];
        }
        e.same_surname = next(8) == 0;
        batch.push(e);
    }
    b.store.append(&batch).await.unwrap();

    let format = time::macros::format_description!("[year]-[month]-[day]");
    let spec = ReportSpec {
        from: time::Date::parse("2026-10-12", &format).unwrap(),
        to: time::Date::parse("2026-11-01", &format).unwrap(),
        hours: WorkingHours::parse("08:00-18:30").unwrap(),
        emergency_threshold: 3,
        truncated: false,
    };
    let count = AccessCount::for_report(&spec).unwrap();
    assert_eq!(count.clock.len(), 2, "the period crosses the clock change");
    let counted = from_counts(&spec, b.store.count_accesses(&count).await.unwrap());

    let mut tally = AccessTally::new(&spec);
    let mut after = None;
    loop {
        let page = b
            .store
            .read_period(count.from_ms - day, count.to_ms + day, after, 500)
            .await
            .unwrap();
        page.iter().for_each(|e| tally.add(e));
        after = page.last().map(|e| (e.at_ms, e.seq));
        if page.len() < 500 {
            break;
        }
    }
    let tallied = tally.finish(&spec);
    assert!(
        tallied.accesses > 1_000 && tallied.out_of_hours > 100,
        "{tallied:?}"
    );
    assert!(!tallied.same_surname.is_empty() && tallied.refusals.len() == 3);
    assert_eq!(counted, tallied);
}

async fn reviews_take_emergency_accesses_off_the_queue(b: Backend) {
    let mut batch = events(0..4);
    batch[1].kind = EventKind::EmergencyAccess;
    batch[3].kind = EventKind::EmergencyAccess;
    b.store.append(&batch).await.unwrap();
    let pending = b.store.pending_reviews(10).await.unwrap();
    assert_eq!(pending.iter().map(|s| s.seq).collect::<Vec<_>>(), [4, 2]);
    let mut review = event(9);
    review.kind = EventKind::Review;
    review.refers_to = Some(4);
    b.store.append(&[review]).await.unwrap();
    let pending = b.store.pending_reviews(10).await.unwrap();
    assert_eq!(pending.iter().map(|s| s.seq).collect::<Vec<_>>(), [2]);
}

async fn editing_or_deleting_a_row_breaks_the_chain_at_that_row(b: Backend) {
    b.store.append(&events(0..6)).await.unwrap();
    b.store.append(&events(6..12)).await.unwrap();
    assert_eq!(verify(&*b.store).await.unwrap(), Ok(12));
    // (what is done to the database, first broken event): applied in turn, each to a row
    // before the last one broken, so each must move the first break back to its own row.
    let table: [(&str, i64); 4] = [
        (
            "UPDATE audit_events SET at_ms = at_ms + 1 WHERE seq = 10",
            10,
        ),
        (
            "UPDATE audit_events SET nhs_number = '9434765919' WHERE seq = 7",
            7,
        ),
        ("DELETE FROM audit_events WHERE seq = 5", 5),
        (
            "UPDATE audit_events SET user_id = 'someone-else' WHERE seq = 4",
            4,
        ),
    ];
    for (tamper, broken_at) in table {
        b.raw.exec(tamper).await;
        let broken = verify(&*b.store).await.unwrap().unwrap_err();
        assert_eq!(broken.seq, broken_at, "{tamper}: {broken}");
    }
}

async fn a_purge_leaves_a_checkpoint_the_rest_of_the_chain_verifies_from(b: Backend) {
    // Ten old events (days ago), then five recent ones.
    let mut batch = events(0..15);
    for (i, e) in batch.iter_mut().enumerate() {
        e.at_ms = if i < 10 {
            T0 - 10 * DAY_MS + i as i64
        } else {
            T0 + i as i64
        };
    }
    b.store.append(&batch).await.unwrap();
    let mut template = AuditEvent::by_user(
        "system:retention",
        "Retention purge",
        &RequestInfo::default(),
        EventKind::Purge,
    );
    // Dated long ago, so a later purge may delete the purge events too.
    template.at_ms = T0 - 30 * DAY_MS;
    assert_eq!(
        b.store.purge(T0 - 20 * DAY_MS, &template).await.unwrap(),
        None
    );
    let checkpoint = b.store.purge(T0, &template).await.unwrap().unwrap();
    assert_eq!(checkpoint.seq, 10);
    assert_eq!(
        b.store.checkpoint().await.unwrap(),
        Some(checkpoint.clone())
    );
    let left = b.store.read_after(0, 100).await.unwrap();
    assert_eq!(left.first().map(|s| s.seq), Some(11));
    let purge = left.last().unwrap();
    assert_eq!(purge.seq, 16);
    assert_eq!(purge.event, purge_event(&template, &checkpoint, 10));
    // Five kept plus the purge's own event; appending goes on from there.
    assert_eq!(verify(&*b.store).await.unwrap(), Ok(6));
    b.second.append(&events(20..22)).await.unwrap();
    assert_eq!(verify(&*b.store).await.unwrap(), Ok(8));
    // Purging everything still leaves a chain to extend.
    let all = b
        .store
        .purge(T0 + DAY_MS, &template)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(all.seq, 18);
    assert_eq!(b.store.append(&events(0..1)).await.unwrap(), [20]);
    assert_eq!(verify(&*b.store).await.unwrap(), Ok(2));
    // Deleting rows and moving the checkpoint by hand is caught: no purge event vouches.
    b.raw.exec("DELETE FROM audit_events WHERE seq <= 19").await;
    let hash = b.store.get(20).await.unwrap().unwrap().prev_hash;
    b.raw
        .exec(&format!(
            "UPDATE audit_checkpoint SET seq = 19, hash = '{hash}' WHERE id = 1"
        ))
        .await;
    let broken = verify(&*b.store).await.unwrap().unwrap_err();
    assert_eq!(broken.seq, 20, "{broken}");
    assert!(broken.reason.contains("no purge event"), "{broken}");
}

/// The readiness probe's question, on a store that works: it takes writes, and asking writes
/// nothing.
async fn a_working_store_says_it_takes_writes(b: Backend) {
    assert!(b.store.writable().await.is_ok());
    assert!(b.second.writable().await.is_ok());
    assert!(b.store.read_after(0, 10).await.unwrap().is_empty());
}

async fn two_instances_writing_at_once_keep_one_chain(b: Backend) {
    let mut writers = Vec::new();
    for (w, store) in [b.store.clone(), b.second.clone()]
        .into_iter()
        .cycle()
        .take(8)
        .enumerate()
    {
        writers.push(tokio::spawn(async move {
            for round in 0..10 {
                let start = (w * 10 + round) * 5;
                store.append(&events(start..start + 5)).await.unwrap();
            }
        }));
    }
    for writer in writers {
        writer.await.unwrap();
    }
    assert_eq!(verify(&*b.store).await.unwrap(), Ok(400));
    let ids: std::collections::BTreeSet<String> = b
        .store
        .read_after(0, 1_000)
        .await
        .unwrap()
        .into_iter()
        .map(|s| s.event.request_id)
        .collect();
    assert_eq!(ids.len(), 400);
}

async fn hostile_text_is_stored_written_out_and_the_chain_verifies(b: Backend) {
    // A NUL in a stated reason, in an entry id (the detail), in the user agent; an escape
    // sequence, a C1 control and a right-to-left override; line breaks and tabs are kept.
    let mut hostile = event(0);
    hostile.kind = EventKind::Denied;
    hostile.basis = Some("emergency".into());
    hostile.reason = Some("\0".into());
    hostile.detail = Some("no item Observation/obs-1\0 at gp".into());
    hostile.user_agent = "curl\0\u{1b}[2J\u{85}".into();
    hostile.user_name = "Dr \u{202E}nilram".into();
    hostile.request_id = "req\0".into();
    let mut kept = event(1);
    kept.reason = Some("Fall at home,\r\n\tno one to ask".into());
    let seqs = b
        .store
        .append(&[hostile, kept.clone(), event(2)])
        .await
        .unwrap();
    assert_eq!(seqs, [1, 2, 3]);
    let back = b.store.get(1).await.unwrap().unwrap().event;
    assert_eq!(back.reason.as_deref(), Some("\\u{0}"));
    assert_eq!(
        back.detail.as_deref(),
        Some("no item Observation/obs-1\\u{0} at gp")
    );
    assert_eq!(back.user_agent, "curl\\u{0}\\u{1b}[2J\\u{85}");
    assert_eq!(back.user_name, "Dr \\u{202e}nilram");
    assert_eq!(back.request_id, "req\\u{0}");
    assert_eq!(b.store.get(2).await.unwrap().unwrap().event, kept);
    assert_eq!(verify(&*b.store).await.unwrap(), Ok(3));
    // Through the group commit too, alongside other writers' events.
    let trail = AuditTrail::start(b.store.clone(), 64);
    let mut nul = event(3);
    nul.reason = Some("\0".into());
    let (bad, good) = tokio::join!(trail.record(nul), trail.record(event(4)));
    assert!(bad.is_ok() && good.is_ok(), "{bad:?} {good:?}");
    assert_eq!(verify(&*b.store).await.unwrap(), Ok(5));
}

async fn huge_text_is_bounded_and_the_chain_verifies(b: Backend) {
    // A megabyte of reason, detail and user agent; identifiers far beyond an index entry.
    let mut huge = event(0);
    huge.reason = Some("r".repeat(1_000_000));
    huge.detail = Some("d".repeat(1_000_000));
    huge.user_agent = "u".repeat(1_000_000);
    huge.user_id = "i".repeat(100_000);
    huge.organisation = Some("o".repeat(100_000));
    huge.user_name = "ü".repeat(100_000);
    let seqs = b.store.append(&[huge, event(1)]).await.unwrap();
    assert_eq!(seqs, [1, 2]);
    let back = b.store.get(1).await.unwrap().unwrap().event;
    let chars = |s: &str| s.chars().count();
    for (field, text, bound) in [
        ("reason", back.reason.as_deref().unwrap(), 4_096),
        ("detail", back.detail.as_deref().unwrap(), 4_096),
        ("user_agent", back.user_agent.as_str(), 4_096),
        ("user_id", back.user_id.as_str(), 256),
        ("organisation", back.organisation.as_deref().unwrap(), 256),
        ("user_name", back.user_name.as_str(), 256),
    ] {
        assert!(
            chars(text) <= bound + 40,
            "{field}: {} characters",
            chars(text)
        );
        assert!(text.ends_with("more characters not stored]"), "{field}");
    }
    assert!(back.reason.unwrap().starts_with(&"r".repeat(4_000)));
    assert_eq!(verify(&*b.store).await.unwrap(), Ok(2));
}

async fn an_event_the_database_refuses_fails_alone(b: Backend) {
    b.raw.poison().await;
    let mut batch = events(0..9);
    batch[4].user_agent = "poison".into();
    let results = append_isolating(&*b.store, &batch).await;
    assert_eq!(results.len(), 9);
    assert!(
        matches!(&results[4], Err(AuditError::Rejected(_))),
        "{:?}",
        results[4]
    );
    let committed: Vec<i64> = results.iter().filter_map(|r| r.clone().ok()).collect();
    assert_eq!(committed, [1, 2, 3, 4, 5, 6, 7, 8], "in order: {results:?}");
    let stored = b.store.read_after(0, 100).await.unwrap();
    let ids: Vec<&str> = stored.iter().map(|s| s.event.request_id.as_str()).collect();
    assert_eq!(
        ids,
        ["req-0", "req-1", "req-2", "req-3", "req-5", "req-6", "req-7", "req-8"]
    );
    assert_eq!(verify(&*b.store).await.unwrap(), Ok(8));

    // Through the committer: many writers at once, one refused event among them.
    let trail = AuditTrail::start(b.store.clone(), 512);
    let writers: Vec<_> = (10..60)
        .map(|n| {
            let trail = trail.clone();
            let mut e = event(n);
            if n == 30 {
                e.user_agent = "poison".into();
            }
            tokio::spawn(async move { (n, trail.record(e).await) })
        })
        .collect();
    for writer in writers {
        let (n, result) = writer.await.unwrap();
        assert_eq!(result.is_err(), n == 30, "event {n}: {result:?}");
    }
    assert_eq!(verify(&*b.store).await.unwrap(), Ok(8 + 49));
}

macro_rules! on_both_stores {
    ($($test:ident),* $(,)?) => {
        mod sqlite {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $test() {
                super::$test(super::sqlite().await).await
            })*
        }
        mod postgres {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $test() {
                super::$test(super::postgres().await).await
            })*
        }
    };
}

on_both_stores!(
    every_field_round_trips_and_the_chain_verifies,
    search_filters_and_pages_newest_first,
    a_period_is_read_in_time_order_a_page_at_a_time,
    a_search_with_a_time_range_pages_newest_first_by_time,
    the_database_counts_the_access_report_as_the_events_tally,
    reviews_take_emergency_accesses_off_the_queue,
    editing_or_deleting_a_row_breaks_the_chain_at_that_row,
    a_purge_leaves_a_checkpoint_the_rest_of_the_chain_verifies_from,
    two_instances_writing_at_once_keep_one_chain,
    hostile_text_is_stored_written_out_and_the_chain_verifies,
    huge_text_is_bounded_and_the_chain_verifies,
    an_event_the_database_refuses_fails_alone,
    a_working_store_says_it_takes_writes,
);
