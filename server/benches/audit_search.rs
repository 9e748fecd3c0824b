//! Audit search benchmark (a bench binary, not timed tests): the latency of the searches the
//! audit officer's workspace makes over a store of 5,000,000 events, on the SQLite store and
//! on the PostgreSQL store.
//!
//! The stores are filled once through `AuditStore::append` in transactions of 10,000 events
//! (real chain hashes, real indexes) with a deterministic synthetic trail (2,000 users in 40
//! organisations, 300,000 patients, 400 days) and reused by later runs: SQLite at
//! `target/bench/audit-5m.sqlite`, PostgreSQL in the database `audit_bench_5m` on the server
//! named by `AUDIT_BENCH_POSTGRES_URL` (the PostgreSQL half is skipped when it is unset).
//! Timings are with the data in the OS page cache (warm), after warm-up runs.
//!
//! Run: `AUDIT_BENCH_POSTGRES_URL=postgres://postgres@127.0.0.1:55432/postgres \
//! cargo bench -p server --bench audit_search` (`-- --events 20000`, or
//! `AUDIT_BENCH_EVENTS=20000`, for a quick run on a smaller store of its own).

use app::auth::RequestInfo;
use app::nhs_number::NhsNumber;
use server::audit::postgres::PostgresAudit;
use server::audit::sqlite::SqliteAudit;
use server::audit::{AuditEvent, AuditStore, EventKind, Filter, Outcome};
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// The newest event's time; the trail covers the `SPAN_DAYS` before it.
const END_MS: i64 = 1_796_000_000_000;
const SPAN_DAYS: i64 = 400;
const DAY_MS: i64 = 86_400_000;
const USERS: u64 = 2_000;
const ORGANISATIONS: u64 = 40;
const PATIENTS: u64 = 300_000;
/// Events per `append` (one transaction) while filling a store.
const BATCH: u64 = 10_000;
/// The workspace's page (50) and one more to know whether there is a next page.
const PAGE: u32 = 51;
/// What the workspace's reports read per page (`REPORT_PAGE` in `audit::workspace`).
const REPORT_PAGE: u32 = 5_000;
const SEED: u64 = 0x5c2f_a0d1_7e11_2026;

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let events = event_count();
    let trail = Trail::new(events);
    let label = size_label(events);
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    println!("# Audit search benchmark ({cores} cores, {events} events)\n");

    let path = bench_dir().join(format!("audit-{label}.sqlite"));
    let sqlite = SqliteAudit::open(&path).await.expect("SQLite store");
    let filled = fill("SQLite", &sqlite, &trail).await;
    let sqlite_results = measure("SQLite", &sqlite, &trail).await;
    let size = |suffix: &str| {
        std::fs::metadata(format!("{}{suffix}", path.display())).map_or(0, |m| m.len())
    };
    let mut notes = vec![format!(
        "SQLite: `{}`, database file {:.2} GB (WAL {:.1} MB); {filled}",
        path.display(),
        size("") as f64 / 1e9,
        size("-wal") as f64 / 1e6,
    )];
    sqlite.close().await;

    let postgres_results = match std::env::var("AUDIT_BENCH_POSTGRES_URL") {
        Ok(url) if !url.is_empty() => {
            let database = format!("audit_bench_{label}");
            let url = create_database(&url, &database).await;
            let postgres = PostgresAudit::open(&url).await.expect("PostgreSQL store");
            let filled = fill("PostgreSQL", &postgres, &trail).await;
            if filled.starts_with("filled") {
                // What autovacuum would have done to a table that grew this big.
                run_sql(&url, "VACUUM (ANALYZE) audit_events").await;
            }
            let results = measure("PostgreSQL", &postgres, &trail).await;
            let bytes = database_size(&url).await;
            notes.push(format!(
                "PostgreSQL: database `{database}` ({:.2} GB); {filled}",
                bytes as f64 / 1e9
            ));
            postgres.close().await;
            Some(results)
        }
        _ => {
            notes.push(
                "PostgreSQL: skipped (set AUDIT_BENCH_POSTGRES_URL=postgres://user@host:port/db \
                 to a server the bench may create a database on)"
                    .to_owned(),
            );
            None
        }
    };

    println!("| Search | SQLite p50 | SQLite p95 | PostgreSQL p50 | PostgreSQL p95 |");
    println!("|---|---|---|---|---|");
    let ms = |d: Duration| format!("{:.2} ms", d.as_secs_f64() * 1e3);
    let none = || "–".to_owned();
    for (index, s) in sqlite_results.iter().enumerate() {
        let p = postgres_results.as_ref().map(|r| &r[index]);
        println!(
            "| {} | {} | {} | {} | {} |",
            s.name,
            ms(s.p50),
            ms(s.p95),
            p.map_or_else(none, |p| ms(p.p50)),
            p.map_or_else(none, |p| ms(p.p95)),
        );
    }
    println!();
    println!("| Search | Runs | SQLite max | PostgreSQL max | Events returned per run (mean) |");
    println!("|---|---|---|---|---|");
    for (index, s) in sqlite_results.iter().enumerate() {
        let p = postgres_results.as_ref().map(|r| &r[index]);
        let rows = match p {
            Some(p) if p.rows != s.rows => {
                format!("{} (PostgreSQL {})", s.mean_rows(), p.mean_rows())
            }
            _ => s.mean_rows(),
        };
        println!(
            "| {} | {} | {} | {} | {rows} |",
            s.name,
            s.runs,
            ms(s.max),
            p.map_or_else(none, |p| ms(p.max)),
        );
    }
    println!();
    for note in notes {
        println!("- {note}");
    }
}

/// `--events N`, else `AUDIT_BENCH_EVENTS`, else 5,000,000. Other arguments (cargo passes
/// `--bench`) are ignored.
fn event_count() -> u64 {
    let args: Vec<String> = std::env::args().collect();
    let from_args = args.iter().enumerate().find_map(|(i, arg)| {
        if arg == "--events" {
            args.get(i + 1).cloned()
        } else {
            arg.strip_prefix("--events=").map(str::to_owned)
        }
    });
    let text = from_args.or_else(|| std::env::var("AUDIT_BENCH_EVENTS").ok());
    match text {
        Some(text) => {
            let n: u64 = text.replace(['_', ','], "").parse().expect("--events N");
            assert!(n >= 1_000, "--events: at least 1000");
            n
        }
        None => 5_000_000,
    }
}

/// `5m` for 5,000,000, `20k` for 20,000, else the number.
fn size_label(events: u64) -> String {
    if events.is_multiple_of(1_000_000) {
        format!("{}m", events / 1_000_000)
    } else if events.is_multiple_of(1_000) {
        format!("{}k", events / 1_000)
    } else {
        events.to_string()
    }
}

/// `target/bench` beside the build's own output (the binary is `target/<profile>/deps/...`).
fn bench_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("bench path");
    let target = exe.ancestors().nth(3).expect("a cargo target directory");
    target.join("bench")
}

/// Fills `store` up to the trail's event count (resuming a fill that was cut short) and says
/// how long it took, or that the store was reused.
async fn fill(name: &str, store: &dyn AuditStore, trail: &Trail) -> String {
    assert!(
        store.checkpoint().await.expect("readable").is_none(),
        "{name}: the bench store has been purged; delete it"
    );
    let newest = store
        .search(&Filter::default(), None, 1)
        .await
        .expect("readable")
        .first()
        .map_or(0, |e| e.seq) as u64;
    assert!(
        newest <= trail.events,
        "{name}: the bench store holds {newest} events, more than {}",
        trail.events
    );
    if newest == trail.events {
        eprintln!("{name}: reusing {newest} stored events");
        return format!("reused ({newest} events stored earlier)");
    }
    eprintln!(
        "{name}: filling events {} to {} in transactions of {BATCH}",
        newest + 1,
        trail.events
    );
    let started = Instant::now();
    let mut next = newest;
    let mut reported = next;
    while next < trail.events {
        let end = (next + BATCH).min(trail.events);
        let batch: Vec<AuditEvent> = (next..end).map(|i| trail.event(i)).collect();
        let seqs = store.append(&batch).await.expect("append");
        assert_eq!(
            seqs.first().copied(),
            Some(next as i64 + 1),
            "seq follows index"
        );
        next = end;
        if next - reported >= 500_000 || next == trail.events {
            reported = next;
            let secs = started.elapsed().as_secs_f64();
            eprintln!(
                "{name}: {next} events, {secs:.0} s, {:.0} events/s",
                (next - newest) as f64 / secs
            );
        }
    }
    let secs = started.elapsed().as_secs_f64();
    let line = format!(
        "filled {} events in {secs:.1} s ({:.0} events/s, appends of {BATCH})",
        trail.events - newest,
        (trail.events - newest) as f64 / secs
    );
    eprintln!("{name}: {line}");
    line
}

/// One search as the workspace makes it.
struct Search {
    name: &'static str,
    warm_up: usize,
    runs: usize,
    read: Read,
    /// The filter and `before` for one run (each run a different patient, user, period...).
    params: Params,
}

/// The filter and `before` for one run of a search.
type Params = Box<dyn Fn(&mut Rng, &Trail) -> (Filter, Option<i64>)>;

enum Read {
    /// One page of `limit` events.
    Page(u32),
    /// The pending-reviews queue.
    Pending(u32),
    /// Every matching event, a page at a time, as the patient access report reads.
    All(u32),
    /// Every event in the filter's time range in time order, a page at a time, tallied into
    /// the access report, as the workspace's access report did before the database counted.
    Period(u32),
    /// The access report for the filter's UK days, counted by the database, as the workspace's
    /// access report does.
    Counts,
}

struct Timed {
    name: &'static str,
    runs: usize,
    p50: Duration,
    p95: Duration,
    max: Duration,
    rows: u64,
}

impl Timed {
    fn mean_rows(&self) -> String {
        format!("{:.1}", self.rows as f64 / self.runs as f64)
    }
}

fn searches() -> Vec<Search> {
    let page = |name, params: Params| Search {
        name,
        warm_up: 3,
        runs: 50,
        read: Read::Page(PAGE),
        params,
    };
    vec![
        page(
            "Newest events, no filter",
            Box::new(|_, _| (Filter::default(), None)),
        ),
        page(
            "By patient (NHS number)",
            Box::new(|rng, trail| {
                let patient = rng.below(PATIENTS) as usize;
                let filter = Filter {
                    nhs_number: Some(trail.nhs[patient].clone()),
                    ..Filter::default()
                };
                (filter, None)
            }),
        ),
        page(
            "By user",
            Box::new(|rng, _| {
                let filter = Filter {
                    user_id: Some(user_id(rng.below(USERS))),
                    ..Filter::default()
                };
                (filter, None)
            }),
        ),
        page(
            "By user, deep page (before = middle of the store)",
            Box::new(|rng, trail| {
                let filter = Filter {
                    user_id: Some(user_id(rng.below(USERS))),
                    ..Filter::default()
                };
                let middle = trail.events / 2 + rng.below(trail.events / 100 + 1);
                (filter, Some(middle as i64))
            }),
        ),
        page(
            "By organisation + 7 days",
            Box::new(|rng, trail| {
                let (from, to) = trail.period(rng, 7);
                let filter = Filter {
                    organisation: Some(organisation(rng.below(ORGANISATIONS))),
                    from_ms: Some(from),
                    to_ms: Some(to),
                    ..Filter::default()
                };
                (filter, None)
            }),
        ),
        page(
            "Kind emergency-access",
            Box::new(|_, _| {
                let filter = Filter {
                    kinds: vec![EventKind::EmergencyAccess],
                    ..Filter::default()
                };
                (filter, None)
            }),
        ),
        page(
            "Outcome refused + 30 days",
            Box::new(|rng, trail| {
                let (from, to) = trail.period(rng, 30);
                let filter = Filter {
                    outcome: Some(Outcome::Refused),
                    from_ms: Some(from),
                    to_ms: Some(to),
                    ..Filter::default()
                };
                (filter, None)
            }),
        ),
        Search {
            name: "Pending reviews queue (200)",
            warm_up: 3,
            runs: 50,
            read: Read::Pending(200),
            params: Box::new(|_, _| (Filter::default(), None)),
        },
        Search {
            name: "Patient access report read (all pages of one patient)",
            warm_up: 3,
            runs: 50,
            read: Read::All(REPORT_PAGE),
            params: Box::new(|rng, trail| {
                let patient = rng.below(PATIENTS) as usize;
                let filter = Filter {
                    nhs_number: Some(trail.nhs[patient].clone()),
                    kinds: server::audit::reports::PATIENT_KINDS.to_vec(),
                    ..Filter::default()
                };
                (filter, None)
            }),
        },
        Search {
            name: "Access report (30 days read in time order, pages of 5,000, tallied)",
            warm_up: 1,
            runs: 5,
            read: Read::Period(REPORT_PAGE),
            params: Box::new(|rng, trail| {
                let (from, to) = trail.period(rng, 30);
                let filter = Filter {
                    kinds: server::audit::reports::ACCESS_KINDS.to_vec(),
                    from_ms: Some(from),
                    to_ms: Some(to),
                    ..Filter::default()
                };
                (filter, None)
            }),
        },
        Search {
            name: "Access report (30 days counted by the database, grouped queries)",
            warm_up: 1,
            runs: 5,
            read: Read::Counts,
            params: Box::new(|rng, trail| {
                let (from, to) = trail.period(rng, 30);
                let filter = Filter {
                    from_ms: Some(from),
                    to_ms: Some(to),
                    ..Filter::default()
                };
                (filter, None)
            }),
        },
    ]
}

/// Runs every search on `store`; each search's parameters come from its own seed, so both
/// stores are asked exactly the same questions.
async fn measure(name: &str, store: &dyn AuditStore, trail: &Trail) -> Vec<Timed> {
    let mut results = Vec::new();
    for (index, search) in searches().into_iter().enumerate() {
        let mut rng = Rng::new(SEED ^ (index as u64 + 1));
        for _ in 0..search.warm_up {
            let (filter, before) = (search.params)(&mut rng, trail);
            run(store, &search.read, &filter, before).await;
        }
        let mut times = Vec::with_capacity(search.runs);
        let mut rows = 0;
        for _ in 0..search.runs {
            let (filter, before) = (search.params)(&mut rng, trail);
            let started = Instant::now();
            rows += run(store, &search.read, &filter, before).await;
            times.push(started.elapsed());
        }
        times.sort();
        let timed = Timed {
            name: search.name,
            runs: search.runs,
            p50: percentile(&times, 50),
            p95: percentile(&times, 95),
            max: times[times.len() - 1],
            rows,
        };
        eprintln!(
            "{name}: {}: p50 {:.2} ms, p95 {:.2} ms, max {:.2} ms, {} events per run",
            timed.name,
            timed.p50.as_secs_f64() * 1e3,
            timed.p95.as_secs_f64() * 1e3,
            timed.max.as_secs_f64() * 1e3,
            timed.mean_rows()
        );
        results.push(timed);
    }
    results
}

/// One run of a search; the number of events it read.
async fn run(store: &dyn AuditStore, read: &Read, filter: &Filter, before: Option<i64>) -> u64 {
    match *read {
        Read::Page(limit) => store
            .search(filter, before, limit)
            .await
            .expect("search")
            .len() as u64,
        Read::Pending(limit) => store.pending_reviews(limit).await.expect("pending").len() as u64,
        Read::Period(page_size) => {
            use server::audit::reports::{uk_date, AccessTally, ReportSpec, WorkingHours};
            let (from, to) = (filter.from_ms.unwrap_or(0), filter.to_ms.unwrap_or(END_MS));
            let spec = ReportSpec {
                from: uk_date(from),
                to: uk_date(to),
                hours: WorkingHours::parse("08:00-18:30").expect("working hours"),
                emergency_threshold: 3,
                truncated: false,
            };
            let mut tally = AccessTally::new(&spec);
            let mut after = None;
            loop {
                let page = store
                    .read_period(from, to, after, page_size)
                    .await
                    .expect("read period");
                page.iter().for_each(|e| tally.add(e));
                after = page.last().map(|e| (e.at_ms, e.seq));
                if page.len() < page_size as usize {
                    return tally.finish(&spec).accesses;
                }
            }
        }
        Read::Counts => {
            use server::audit::counts::AccessCount;
            use server::audit::reports::{from_counts, uk_date, ReportSpec, WorkingHours};
            let (from, to) = (filter.from_ms.unwrap_or(0), filter.to_ms.unwrap_or(END_MS));
            let spec = ReportSpec {
                from: uk_date(from),
                to: uk_date(to),
                hours: WorkingHours::parse("08:00-18:30").expect("working hours"),
                emergency_threshold: 3,
                truncated: false,
            };
            let count = AccessCount::for_report(&spec).expect("a period in range");
            let counts = store.count_accesses(&count).await.expect("count accesses");
            from_counts(&spec, counts).accesses
        }
        Read::All(page_size) => {
            // As the workspace's `read_all`: keyset pages until a short one.
            let mut before = before;
            let mut total = 0;
            loop {
                let page = store
                    .search(filter, before, page_size)
                    .await
                    .expect("search");
                total += page.len() as u64;
                before = page.last().map(|e| e.seq);
                if page.len() < page_size as usize {
                    return total;
                }
            }
        }
    }
}

/// Nearest-rank percentile of sorted `times`.
fn percentile(times: &[Duration], p: usize) -> Duration {
    let rank = (p * times.len()).div_ceil(100).max(1);
    times[rank - 1]
}

/// Creates `database` on the server `url` names unless it exists; its URL.
async fn create_database(url: &str, database: &str) -> String {
    let admin = sqlx::PgPool::connect(url).await.expect("PostgreSQL server");
    let exists: Option<i32> = sqlx::query_scalar("SELECT 1 FROM pg_database WHERE datname = $1")
        .bind(database)
        .fetch_optional(&admin)
        .await
        .expect("pg_database");
    if exists.is_none() {
        sqlx::raw_sql(&format!("CREATE DATABASE {database}"))
            .execute(&admin)
            .await
            .expect("CREATE DATABASE");
    }
    admin.close().await;
    let mut url = url::Url::parse(url).expect("AUDIT_BENCH_POSTGRES_URL");
    url.set_path(&format!("/{database}"));
    url.to_string()
}

async fn run_sql(url: &str, sql: &str) {
    let pool = sqlx::PgPool::connect(url).await.expect("PostgreSQL");
    let started = Instant::now();
    sqlx::raw_sql(sql).execute(&pool).await.expect(sql);
    eprintln!(
        "PostgreSQL: {sql}: {:.1} s",
        started.elapsed().as_secs_f64()
    );
    pool.close().await;
}

async fn database_size(url: &str) -> i64 {
    let pool = sqlx::PgPool::connect(url).await.expect("PostgreSQL");
    let bytes = sqlx::query_scalar("SELECT pg_database_size(current_database())")
        .fetch_one(&pool)
        .await
        .expect("pg_database_size");
    pool.close().await;
    bytes
}

/// splitmix64: tiny, fast and good enough to make a synthetic trail.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        Self(seed)
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        mix(self.0)
    }

    /// Uniform in `0..n` (the modulo bias is negligible for these sizes).
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    /// True with probability `per_10k` / 10,000.
    fn chance(&mut self, per_10k: u64) -> bool {
        self.below(10_000) < per_10k
    }
}

fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

fn user_id(user: u64) -> String {
    format!("user-{user:04}")
}

/// ODS-like codes: `RA101`, `RB202`, ...
fn organisation(index: u64) -> String {
    let letter = (b'A' + (index % 26) as u8) as char;
    format!("R{letter}{}{:02}", index / 26 + 1, index % 100)
}

/// The first 40 users are the organisations' audit officers (one each); the rest clinicians
/// and call handlers, 49 to an organisation.
fn role(user: u64) -> &'static str {
    if user < ORGANISATIONS {
        return "audit-officer";
    }
    match mix(user ^ SEED) % 100 {
        0..=54 => "ae-clinician",
        55..=84 => "urgent-care-clinician",
        _ => "call-handler",
    }
}

fn user_name(user: u64) -> String {
    const GIVEN: [&str; 16] = [
        "Asha", "Tom", "Sam", "Priya", "James", "Olivia", "Mohammed", "Emily", "Daniel", "Grace",
        "Kwame", "Sofia", "Liam", "Chloe", "Arjun", "Hannah",
    ];
    const FAMILY: [&str; 16] = [
        "Patel", "Reid", "Jones", "Smith", "Khan", "Williams", "Brown", "Taylor", "Davies",
        "Evans", "Wilson", "Thomas", "Roberts", "Walker", "O'Brien", "Nguyen",
    ];
    let h = mix(user ^ 0xa11c_e000);
    let title = if role(user).ends_with("clinician") {
        "Dr "
    } else {
        ""
    };
    format!(
        "{title}{} {}",
        GIVEN[(h % 16) as usize],
        FAMILY[((h >> 8) % 16) as usize]
    )
}

/// The synthetic trail: event `i` (0-based, stored as seq `i + 1`) is a pure function of `i`,
/// so a fill can resume and both stores hold the same events.
struct Trail {
    events: u64,
    /// Events between an emergency access and its review (about five days).
    review_lag: u64,
    nhs: Vec<String>,
}

/// What an event's first draws decide: enough to find a reviewed access's user and patient.
struct Draw {
    kind: EventKind,
    user: u64,
    patient: u64,
    rng: Rng,
}

impl Trail {
    fn new(events: u64) -> Self {
        // Modulus 11 valid numbers, spread through the range: every 1,777th nine-digit start.
        let nhs = (0u64..)
            .filter_map(|j| {
                let base = 400_000_000 + j * 1_777;
                let mut digits = [0u8; 9];
                for (k, d) in digits.iter_mut().enumerate() {
                    *d = ((base / 10u64.pow(8 - k as u32)) % 10) as u8;
                }
                NhsNumber::from_first_nine(digits).map(|n| n.as_digits())
            })
            .take(PATIENTS as usize)
            .collect();
        Self {
            events,
            review_lag: (events * 5 / SPAN_DAYS as u64).max(1),
            nhs,
        }
    }

    /// Monotonic with seq, evenly over the span.
    fn at_ms(&self, i: u64) -> i64 {
        END_MS - SPAN_DAYS * DAY_MS
            + (i128::from(i) * i128::from(SPAN_DAYS * DAY_MS) / i128::from(self.events)) as i64
    }

    /// A random `days`-long period inside the trail (inclusive bounds).
    fn period(&self, rng: &mut Rng, days: i64) -> (i64, i64) {
        let start = END_MS - SPAN_DAYS * DAY_MS;
        let from = start + rng.below(((SPAN_DAYS - days) * DAY_MS) as u64) as i64;
        (from, from + days * DAY_MS - 1)
    }

    fn draw(i: u64) -> Draw {
        let mut rng = Rng::new(mix(i ^ SEED));
        let kind = match rng.below(10_000) {
            // About 2% once call handlers' are taken out (below).
            0..=234 => EventKind::EmergencyAccess,
            235..=334 => EventKind::Denied,
            335..=934 => EventKind::SignIn,
            935..=2_134 => EventKind::BasisRecorded,
            _ => EventKind::RecordView,
        };
        // 70% spread over every clinician, 30% from the busiest tenth.
        let staff = USERS - ORGANISATIONS;
        let user = ORGANISATIONS
            + if rng.chance(7_000) {
                rng.below(staff)
            } else {
                rng.below(staff / 10)
            };
        // 60% any patient, 40% the tenth who attend most.
        let patient = if rng.chance(6_000) {
            rng.below(PATIENTS)
        } else {
            rng.below(PATIENTS / 10)
        };
        // Call handlers may not give the emergency basis.
        let kind = match kind {
            EventKind::EmergencyAccess if role(user) == "call-handler" => EventKind::RecordView,
            kind => kind,
        };
        Draw {
            kind,
            user,
            patient,
            rng,
        }
    }

    /// Event `i` reviews the emergency access `review_lag` events before it, unless that one
    /// is among the 3% left unreviewed.
    fn reviews(&self, i: u64) -> Option<u64> {
        // The chain of events `review_lag` apart that ends at `i`, walked from its start.
        let mut j = i % self.review_lag;
        let mut emergency = Self::draw(j).kind == EventKind::EmergencyAccess;
        while j < i {
            let reviewed = emergency && mix(j ^ 0x0de1_a7ed) % 100 >= 3;
            j += self.review_lag;
            emergency = !reviewed && Self::draw(j).kind == EventKind::EmergencyAccess;
            if j == i && reviewed {
                return Some(j - self.review_lag);
            }
        }
        None
    }

    fn event(&self, i: u64) -> AuditEvent {
        let reviewed = self.reviews(i);
        let Draw {
            kind,
            user,
            patient,
            mut rng,
        } = match reviewed {
            Some(access) => {
                let draw = Self::draw(access);
                Draw {
                    kind: EventKind::Review,
                    // The organisation's audit officer reviews it.
                    user: draw.user % ORGANISATIONS,
                    ..draw
                }
            }
            None => Self::draw(i),
        };
        let request = RequestInfo {
            request_id: format!("{:016x}", mix(i ^ 0x4e0_0e57)),
            client: format!("10.{}.{}.{}", user % ORGANISATIONS, user / 256, user % 256),
            user_agent: [
                "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/138.0 Safari/537.36",
                "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:140.0) Gecko/20100101 Firefox/140.0",
                "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/138.0 Safari/537.36 Edg/138.0",
            ][(user % 3) as usize]
                .to_owned(),
        };
        let mut event = AuditEvent::by_user(&user_id(user), &user_name(user), &request, kind);
        event.at_ms = self.at_ms(i);
        event.role = Some(role(user).to_owned());
        event.organisation = Some(organisation(user % ORGANISATIONS));
        if kind == EventKind::SignIn {
            return event;
        }
        event.nhs_number = Some(self.nhs[patient as usize].clone());
        let emergency_reason = [
            "Patient unconscious on arrival, no next of kin present",
            "Collapsed in the department, unable to consent",
            "Confused and unable to give permission; medication history needed",
        ][rng.below(3) as usize];
        match kind {
            EventKind::Review => {
                event.refers_to = Some(reviewed.map_or(0, |access| access as i64 + 1));
                event.detail = Some(
                    if rng.chance(9_500) {
                        "appropriate: emergency access justified"
                    } else {
                        "inappropriate: referred to the information governance lead"
                    }
                    .to_owned(),
                );
            }
            EventKind::Denied => {
                event.outcome = Outcome::Refused;
                event.detail = Some(
                    if rng.chance(7_000) {
                        "no legitimate basis recorded"
                    } else {
                        "the patient has registered dissent from sharing"
                    }
                    .to_owned(),
                );
            }
            EventKind::BasisRecorded => {
                if rng.chance(1_500) && role(user) != "call-handler" {
                    event.basis = Some("emergency".to_owned());
                    event.reason = Some(emergency_reason.to_owned());
                } else {
                    event.basis = Some("permission-given".to_owned());
                }
            }
            _ => {
                event.basis = Some(if kind == EventKind::EmergencyAccess {
                    event.reason = Some(emergency_reason.to_owned());
                    "emergency".to_owned()
                } else {
                    "permission-given".to_owned()
                });
                event.sources = ["gp", "acute", "mental-health", "social-care"]
                    .iter()
                    .filter(|_| rng.chance(7_500))
                    .map(|s| (*s).to_owned())
                    .collect();
                let categories: &[&str] = if role(user) == "call-handler" {
                    &["alert", "allergy", "medication"]
                } else {
                    &[
                        "encounter",
                        "problem",
                        "allergy",
                        "medication",
                        "observation",
                        "procedure",
                        "report",
                        "alert",
                    ]
                };
                event.categories = categories
                    .iter()
                    .filter(|_| rng.chance(8_000))
                    .map(|c| (*c).to_owned())
                    .collect();
                if rng.chance(500) {
                    event.withheld = 1 + rng.below(3) as u32;
                }
                event.same_surname = rng.chance(30);
            }
        }
        event
    }
}
