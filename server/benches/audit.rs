//! Audit benchmarks (a bench binary, not timed tests; results in docs/BENCHMARKS.md): durable
//! audit events per second with group commit versus one commit per event, with many views
//! writing at once, on the SQLite store (WAL, synchronous=FULL).
//!
//! With `AUDIT_BENCH_POSTGRES_URL` set, the same on the PostgreSQL store (a fresh database
//! per run on that server).
//!
//! Run: `[AUDIT_BENCH_POSTGRES_URL=postgres://...] cargo bench -p server --bench audit`.

use app::auth::RequestInfo;
use server::audit::postgres::PostgresAudit;
use server::audit::sqlite::SqliteAudit;
use server::audit::{AuditEvent, AuditStore, AuditTrail, EventKind};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    println!(
        "# Audit benchmarks ({} cores)\n",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    let postgres = std::env::var("AUDIT_BENCH_POSTGRES_URL").ok();
    let mut stores = vec![Store::Sqlite];
    stores.extend(postgres.map(Store::Postgres));
    println!("| Store | Writers at once | Commit | Events | Time | Durable events/s |");
    println!("|---|---|---|---|---|---|");
    for store in &stores {
        for writers in [1, 16, 64] {
            let per_event = run(store, writers, 1, 2_000).await;
            let grouped = run(store, writers, 512, 2_000).await;
            for (label, (events, time)) in
                [("one per event", per_event), ("group (≤ 512)", grouped)]
            {
                println!(
                    "| {} | {writers} | {label} | {events} | {:.2} s | **{:.0}** |",
                    store.name(),
                    time.as_secs_f64(),
                    events as f64 / time.as_secs_f64()
                );
            }
            println!(
                "| {} | {writers} | **ratio group / one per event** | | | **{:.1}×** |",
                store.name(),
                (grouped.0 as f64 / grouped.1.as_secs_f64())
                    / (per_event.0 as f64 / per_event.1.as_secs_f64())
            );
        }
    }
}

enum Store {
    Sqlite,
    /// The server's URL; each run makes its own database there.
    Postgres(String),
}

impl Store {
    fn name(&self) -> &'static str {
        match self {
            Store::Sqlite => "SQLite",
            Store::Postgres(_) => "PostgreSQL",
        }
    }

    /// An empty store for one run.
    async fn open(&self, run: &str) -> Arc<dyn AuditStore> {
        match self {
            Store::Sqlite => {
                let path = std::env::temp_dir().join(format!(
                    "scrv-bench-audit-{}-{run}.sqlite",
                    std::process::id()
                ));
                for suffix in ["", "-wal", "-shm"] {
                    let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
                }
                Arc::new(SqliteAudit::open(&path).await.expect("store"))
            }
            Store::Postgres(url) => {
                let name = format!("audit_bench_{}_{run}", std::process::id());
                let admin = sqlx::PgPool::connect(url).await.expect("PostgreSQL");
                // One statement each: CREATE DATABASE cannot run inside a transaction block.
                for sql in [
                    format!("DROP DATABASE IF EXISTS {name}"),
                    format!("CREATE DATABASE {name}"),
                ] {
                    sqlx::raw_sql(&sql).execute(&admin).await.expect(&sql);
                }
                admin.close().await;
                let (base, _) = url.rsplit_once('/').expect("a URL with a database");
                Arc::new(
                    PostgresAudit::open(&format!("{base}/{name}"))
                        .await
                        .expect("store"),
                )
            }
        }
    }
}

/// `writers` tasks each record events (waiting for each to be durable) until `total` are
/// stored; returns (events, elapsed).
async fn run(store: &Store, writers: usize, max_batch: usize, total: usize) -> (usize, Duration) {
    let store = store.open(&format!("{writers}_{max_batch}")).await;
    let trail = AuditTrail::start(store, max_batch);
    let each = total / writers;
    let started = Instant::now();
    let tasks: Vec<_> = (0..writers)
        .map(|w| {
            let trail = trail.clone();
            tokio::spawn(async move {
                let request = RequestInfo {
                    request_id: format!("{w:016x}"),
                    client: "127.0.0.1".into(),
                    user_agent: "bench".into(),
                };
                for n in 0..each {
                    let mut event = AuditEvent::by_user(
                        &format!("user-{w}"),
                        "Dr Bench",
                        &request,
                        EventKind::RecordView,
                    );
                    event.nhs_number = Some("9434765919".into());
                    event.sources = vec!["gp".into(), "acute".into()];
                    event.detail = Some(format!("view {n}"));
                    trail.record(event).await.expect("durable");
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.expect("writer");
    }
    let elapsed = started.elapsed();
    let verified = trail.verify().await.expect("readable").expect("intact");
    assert_eq!(verified as usize, each * writers);
    (each * writers, elapsed)
}
