//! Aggregation benchmarks (a bench binary, not timed tests; results in docs/BENCHMARKS.md):
//!
//! 1. Cold view time against sources injecting 80, 150, 220 and 300 ms per request, relative to
//!    the slowest source's single round trip (issue 16: goal ≤ 2.2) and to the slowest source
//!    asked alone, at p50 and p95 with 50 concurrent views.
//! 2. Cache-hit view cost (server time, p50/p99) and views per second.
//! 3. Parse-and-normalise throughput for a 10,000-resource Bundle.
//! 4. Memory held per cached patient relative to the FHIR JSON the sources sent.
//!
//! Run: `cargo bench -p server --bench aggregation` (all sections), or name sections:
//! `cargo bench -p server --bench aggregation -- latency` (1), `cache`, `parse`, `memory`.

use app::auth::{Caller, RequestInfo, Role, Viewer};
use app::consent::{Basis, BasisSource};
use app::model::{PatientRecord, SourceKind};
use app::nhs_number::NhsNumber;
use server::config::Config;
use server::demo::{sample, Faults, Population};
use server::fhir::{read, resource_type, Bundle, Read, ResourceType};
use server::policy::PermissionMatrix;
use server::viewing::RecordDesk;
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicIsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The bench views the whole record, as an A&E clinician with the patient's permission does:
/// every view passes the basis, consent and per-item policy checks.
fn clinician() -> Caller {
    let role = Role::AeClinician;
    let viewer = Viewer {
        user_id: "bench".into(),
        name: "Bench".into(),
        role,
        organisation: None,
        other_roles: 0,
        permissions: PermissionMatrix::defaults().permissions(role),
        csrf_token: String::new(),
    };
    let basis = Basis::new(app::consent::PERMISSION_GIVEN, "");
    Caller {
        viewer,
        basis: BasisSource::Stated(Ok(Some(basis))),
        request: RequestInfo::default(),
    }
}

async fn view(desk: &RecordDesk, nhs: NhsNumber, refresh: bool) -> PatientRecord {
    desk.open(&clinician(), nhs, refresh)
        .await
        .expect("the clinician may open the record")
}

/// Counts live heap bytes, for the memory measurement.
struct Counting;

static LIVE_BYTES: AtomicIsize = AtomicIsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE_BYTES.fetch_add(layout.size() as isize, Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE_BYTES.fetch_sub(layout.size() as isize, Ordering::Relaxed);
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LIVE_BYTES.fetch_add(
            new_size as isize - layout.size() as isize,
            Ordering::Relaxed,
        );
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

const SEED: u64 = Population::DEFAULT_SEED;

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    println!(
        "# Aggregation benchmarks ({} cores)\n",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    // `cargo bench -p server --bench aggregation -- parse` runs only the sections named.
    let only: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let run = |section: &str| only.is_empty() || only.iter().any(|o| o == section);
    if run("latency") {
        view_latency_against_the_slowest_source().await;
    }
    if run("cache") {
        cache_hits().await;
    }
    if run("parse") {
        parse_and_normalise();
    }
    if run("memory") {
        memory_per_cached_patient().await;
        memory_by_field();
    }
}

/// Demo sources (with per-kind latency) and an aggregator over the sources `keep` selects.
async fn portal(
    population: &Arc<Population>,
    latency: impl Fn(SourceKind) -> u64,
    keep: impl Fn(SourceKind) -> bool,
) -> (RecordDesk, server::demo_mode::DemoSources) {
    let mut config = Config::demo().expect("demo config");
    config.sources.retain(|s| keep(s.kind));
    let demo = server::demo_mode::start(&mut config, population.clone(), |s| Faults {
        latency: Duration::from_millis(latency(s.kind)),
        ..Faults::default()
    })
    .await
    .expect("demo sources");
    // Every view writes its audit event durably, as in production.
    config.audit.sqlite_path = std::env::temp_dir()
        .join(format!("scrv-bench-{}", std::process::id()))
        .join(format!("audit-{}.sqlite", demo.sources[0].addr.port()));
    let audit = server::audit::AuditTrail::open(&config.audit)
        .await
        .expect("audit store");
    (RecordDesk::new(&config, audit).expect("record desk"), demo)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// Each view's time for `patients`, all asked at once, cache bypassed.
async fn concurrent_cold_views(aggregator: &RecordDesk, patients: &[NhsNumber]) -> Vec<Duration> {
    let views = patients.iter().map(|nhs| async move {
        let started = Instant::now();
        let record = view(aggregator, *nhs, true).await;
        assert!(record.found());
        started.elapsed()
    });
    let mut times = futures::future::join_all(views).await;
    times.sort();
    times
}

/// One GET's time to the source at `base` (its Patient search for `nhs`), `n` times one after
/// another, sorted: the source's round-trip time as a client sees it.
async fn round_trips(base: &str, nhs: NhsNumber, n: usize) -> Vec<Duration> {
    let client = reqwest::Client::new();
    let url = format!(
        "{base}/Patient?identifier={}%7C{}",
        app::nhs_number::NHS_NUMBER_SYSTEM,
        nhs.as_digits()
    );
    let mut times = Vec::with_capacity(n);
    for _ in 0..n {
        let started = Instant::now();
        let body = client
            .get(&url)
            .send()
            .await
            .expect("the source answers")
            .bytes()
            .await
            .expect("a body");
        std::hint::black_box(body);
        times.push(started.elapsed());
    }
    times.sort();
    times
}

async fn view_latency_against_the_slowest_source() {
    let population = Arc::new(Population::new(5_000, SEED));
    let latency = |kind| match kind {
        SourceKind::Gp => 80,
        SourceKind::Acute => 150,
        SourceKind::MentalHealth => 220,
        SourceKind::SocialCare => 300,
    };
    let everywhere: Vec<NhsNumber> = population
        .nhs_numbers()
        .filter(|n| population.known_at(*n).len() == 4 && population.failing_source(*n).is_none())
        .skip(13)
        .take(151)
        .collect();
    let (warm_up, everywhere) = everywhere.split_first().expect("patients");
    let (all, demo_all) = portal(&population, latency, |_| true).await;
    let (slowest, _demo_slowest) =
        portal(&population, latency, |k| k == SourceKind::SocialCare).await;
    // Each source's CapabilityStatement is read once per process, in the background of the
    // first view: that view is not a cold view of a running portal, so it is not counted.
    view(&all, *warm_up, true).await;
    view(&slowest, *warm_up, true).await;
    tokio::time::sleep(Duration::from_millis(700)).await;
    let slowest_base = demo_all
        .sources
        .iter()
        .find(|s| s.kind == SourceKind::SocialCare)
        .expect("the slowest source")
        .base_url
        .clone();
    let round_trip = round_trips(&slowest_base, *warm_up, 40).await;
    let (mut full, mut alone) = (Vec::new(), Vec::new());
    for round in everywhere.chunks(50) {
        full.extend(concurrent_cold_views(&all, round).await);
        alone.extend(concurrent_cold_views(&slowest, round).await);
    }
    full.sort();
    alone.sort();
    let modes: Vec<String> = Config::demo()
        .expect("demo config")
        .sources
        .iter()
        .map(|s| format!("{:?}", s.fetch_mode).to_lowercase())
        .collect();
    println!("## 1. Cold views: four sources (80/150/220/300 ms a request) vs the slowest source's round trip\n");
    println!("{} views, 50 at a time, cache bypassed, after one warm-up view per portal (it starts the background read of each source's CapabilityStatement). Fetch mode {}: the Patient search and the chained type searches, sent as one `batch`, in one round trip; further pages where a type has more than `page_size` entries.\n", full.len(), modes.join("/"));
    println!("| | p50 | p95 |\n|---|---|---|");
    println!(
        "| slowest source's single round trip, one GET at a time (ms) | {:.0} | {:.0} |",
        ms(percentile(&round_trip, 50.0)),
        ms(percentile(&round_trip, 95.0))
    );
    println!(
        "| cold view, all four sources (ms) | {:.0} | {:.0} |",
        ms(percentile(&full, 50.0)),
        ms(percentile(&full, 95.0))
    );
    println!(
        "| **cold view / slowest round trip** (goal ≤ 2.2) | **{:.2}** | **{:.2}** |",
        ms(percentile(&full, 50.0)) / ms(percentile(&round_trip, 50.0)),
        ms(percentile(&full, 95.0)) / ms(percentile(&round_trip, 50.0))
    );
    println!(
        "| slowest source alone (ms) | {:.0} | {:.0} |",
        ms(percentile(&alone, 50.0)),
        ms(percentile(&alone, 95.0))
    );
    println!(
        "| all four / slowest alone (goal ≤ 1.05 / ≤ 1.15) | {:.3} | {:.3} |\n",
        ms(percentile(&full, 50.0)) / ms(percentile(&alone, 50.0)),
        ms(percentile(&full, 95.0)) / ms(percentile(&alone, 95.0))
    );
}

async fn cache_hits() {
    let population = Arc::new(Population::new(Population::DEFAULT_PATIENTS, SEED));
    let (aggregator, _demo) = portal(&population, |_| 0, |_| true).await;
    let aggregator = Arc::new(aggregator);
    let nhs = population.showcase()[0].nhs_number;
    let warm = view(&aggregator, nhs, false).await;
    let mut times = Vec::with_capacity(20_000);
    for _ in 0..20_000 {
        let started = Instant::now();
        let record = view(&aggregator, nhs, false).await;
        times.push(started.elapsed());
        debug_assert_eq!(record.entries.len(), warm.entries.len());
    }
    times.sort();
    let window = Duration::from_secs(3);
    let workers: Vec<_> = (0..8)
        .map(|_| {
            let aggregator = aggregator.clone();
            tokio::spawn(async move {
                let started = Instant::now();
                let mut views = 0u64;
                while started.elapsed() < window {
                    view(&aggregator, nhs, false).await;
                    views += 1;
                }
                views
            })
        })
        .collect();
    let mut views = 0;
    for worker in workers {
        views += worker.await.expect("worker");
    }
    println!("## 2. Cache hits\n");
    println!(
        "One patient known at all four sources ({} timeline entries), served from the cache.\n",
        warm.entries.len()
    );
    println!(
        "| p50 (µs) | p99 (µs) | views/s (8 concurrent callers, 2 worker threads) |\n|---|---|---|"
    );
    println!(
        "| {:.1} | {:.1} | {:.0} |\n",
        percentile(&times, 50.0).as_secs_f64() * 1e6,
        percentile(&times, 99.0).as_secs_f64() * 1e6,
        views as f64 / window.as_secs_f64()
    );
}

fn parse_and_normalise() {
    let population = Population::new(5_000, SEED);
    let (bytes, count) = sample::bundle(&population, 10_000);
    let type_first = resource_type_first(&bytes);
    let baseline = best_of_5(|| {
        let value: serde_json::Value = serde_json::from_slice(&bytes).expect("json");
        std::hint::black_box(value);
    });
    let mut entries = 0;
    let sorted = best_of_5(|| entries = read_bundle(&bytes));
    let first = best_of_5(|| entries = read_bundle(&type_first));
    let mb = bytes.len() as f64 / 1e6;
    println!("## 3. Parse and normalise\n");
    println!("A {count}-resource searchset Bundle ({mb:.1} MB) of the demo population's records; best of 5.\n");
    println!("| | time (ms) | MB/s | resources/s | ratio to baseline |\n|---|---|---|---|---|");
    let row = |what: &str, time: Duration| {
        println!(
            "| {what} | {:.1} | {:.0} | {:.0} | {:.2} |",
            ms(time),
            mb / time.as_secs_f64(),
            count as f64 / time.as_secs_f64(),
            time.as_secs_f64() / baseline.as_secs_f64()
        );
    };
    row(
        &format!("Bundle + per-type parse + normalise, `resourceType` first as servers write it ({entries} entries)"),
        first,
    );
    row(
        "the same, keys in alphabetical order as the demo sources write them (`resourceType` late)",
        sorted,
    );
    row("serde_json::Value of the same bytes (baseline)", baseline);
    println!();
}

/// Where a cached entry's heap goes: the demo population's entries read as a source's page is
/// read, then each group of fields emptied in turn, counting the heap each releases.
fn memory_by_field() {
    let population = Population::new(5_000, SEED);
    let (bytes, count) = sample::bundle(&population, 10_000);
    let before = LIVE_BYTES.load(Ordering::SeqCst);
    let mut entries = read_entries(&bytes);
    app::compact::Compact::compact(&mut entries);
    let total = LIVE_BYTES.load(Ordering::SeqCst) - before;
    let estimate: usize = entries.iter().map(server::sources::weight::of_entry).sum();
    println!(
        "## 4b. Heap of {count} entries read from {} bytes of FHIR JSON, by field\n",
        bytes.len()
    );
    println!(
        "The cache's own estimate of them (its weigher, `sources::weight`): {estimate} bytes, {:.2} × the heap counted here.\n",
        estimate as f64 / total as f64
    );
    println!(
        "One entry's struct is {} bytes (a measurement, boxed, {}; a code {}; a detail field {}).\n",
        std::mem::size_of::<app::model::TimelineEntry>(),
        std::mem::size_of::<app::model::Measurement>(),
        std::mem::size_of::<app::model::Code>(),
        std::mem::size_of::<app::detail::DetailField>(),
    );
    println!("| fields | heap (bytes) | share |\n|---|---:|---:|");
    let mut release = |what: &str, empty: &mut dyn FnMut(&mut app::model::TimelineEntry)| {
        let at = LIVE_BYTES.load(Ordering::SeqCst);
        entries.iter_mut().for_each(&mut *empty);
        let freed = at - LIVE_BYTES.load(Ordering::SeqCst);
        println!(
            "| {what} | {freed} | {:.1} % |",
            100.0 * freed as f64 / total as f64
        );
    };
    release("full_detail: fields", &mut |e| {
        if let Some(d) = e.full_detail.as_mut() {
            d.fields = Vec::new();
        }
    });
    release("full_detail: narrative", &mut |e| {
        if let Some(d) = e.full_detail.as_mut() {
            d.narrative_html = None;
        }
    });
    release("full_detail: the rest", &mut |e| e.full_detail = None);
    release("codes", &mut |e| e.codes = Vec::new());
    release("security, reason codes and refs", &mut |e| {
        e.security = Vec::new();
        e.reason_codes = Vec::new();
        e.reason_refs = Vec::new();
    });
    release("measurement", &mut |e| e.measurement = None);
    release("attachments", &mut |e| e.attachments = Vec::new());
    release("title, detail, status, setting", &mut |e| {
        e.title = String::new();
        e.detail = None;
        e.status = None;
        e.setting = None;
    });
    release("source_id, resource_type, resource_id", &mut |e| {
        e.source_id = String::new();
        e.resource_type = String::new();
        e.resource_id = String::new();
    });
    release("the entries themselves (date, category...)", &mut |e| {
        e.date = None;
    });
    let at = LIVE_BYTES.load(Ordering::SeqCst);
    drop(entries);
    let freed = at - LIVE_BYTES.load(Ordering::SeqCst);
    println!(
        "| the entries' vector (the structs, inline fields and dates) | {freed} | {:.1} % |",
        100.0 * freed as f64 / total as f64
    );
    println!(
        "| **all** | {total} | ratio to the JSON {:.2} |\n",
        total as f64 / bytes.len() as f64
    );
}

/// Reads every match of a Bundle as a source's page is read, handing each timeline entry to
/// `take`.
fn each_entry(bytes: &[u8], mut take: impl FnMut(Box<app::model::TimelineEntry>)) {
    let bundle = Bundle::parse(bytes).expect("bundle");
    let bundled = bundle.bundled();
    for raw in bundle.matches() {
        let json = raw.get();
        let Some(resource_type) = resource_type(json).and_then(ResourceType::from_name) else {
            continue;
        };
        if let Ok(Read::Entry(entry)) = read(resource_type, json, "bench", &bundled) {
            take(entry);
        }
    }
}

/// The timeline entries of a Bundle.
fn read_entries(bytes: &[u8]) -> Vec<app::model::TimelineEntry> {
    let mut entries = Vec::new();
    each_entry(bytes, |entry| entries.push(*entry));
    entries
}

/// The number of timeline entries of a Bundle (the parse benchmark's timed work).
fn read_bundle(bytes: &[u8]) -> usize {
    let mut count = 0;
    each_entry(bytes, |_| count += 1);
    count
}

fn best_of_5(mut run: impl FnMut()) -> Duration {
    let mut best = Duration::MAX;
    for _ in 0..5 {
        let started = Instant::now();
        run();
        best = best.min(started.elapsed());
    }
    best
}

/// The same Bundle with each resource's `resourceType` written first (the demo sources'
/// JSON has its keys in alphabetical order).
fn resource_type_first(bytes: &[u8]) -> Vec<u8> {
    let bundle: serde_json::Value = serde_json::from_slice(bytes).expect("json");
    let entries: Vec<String> = bundle["entry"]
        .as_array()
        .expect("entries")
        .iter()
        .map(|entry| {
            let mut resource = entry["resource"].as_object().expect("a resource").clone();
            let name = resource.remove("resourceType").expect("a type");
            let rest = serde_json::Value::Object(resource).to_string();
            format!(
                r#"{{"resource":{{"resourceType":{name},{}}},"search":{{"mode":"match"}}}}"#,
                &rest[1..rest.len() - 1]
            )
        })
        .collect();
    format!(
        r#"{{"resourceType":"Bundle","type":"searchset","entry":[{}]}}"#,
        entries.join(",")
    )
    .into_bytes()
}

async fn memory_per_cached_patient() {
    let population = Arc::new(Population::new(2_000, SEED));
    let (aggregator, _demo) = portal(&population, |_| 0, |_| true).await;
    let patients: Vec<NhsNumber> = population
        .nhs_numbers()
        .skip(13)
        .filter(|n| population.failing_source(*n).is_none())
        // A patient whose GP cannot say whether they objected is refused without an
        // emergency basis (fail closed), so their record is never cached.
        .filter(|n| {
            population
                .index_of(*n)
                .and_then(|i| population.consent_unreadable_at(i))
                .is_none()
        })
        .take(400)
        .collect();
    // Warm up connection pools and lazies so they are not counted.
    view(&aggregator, patients[0], false).await;
    let before = LIVE_BYTES.load(Ordering::SeqCst);
    for chunk in patients[1..].chunks(20) {
        futures::future::join_all(chunk.iter().map(|n| view(&aggregator, *n, false))).await;
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let grown = LIVE_BYTES.load(Ordering::SeqCst) - before;
    // What the cache itself held: the heap released when it is cleared (the rest of the growth
    // is connection pools and buffers, in this process also the demo sources').
    aggregator.clear_cache_for_benchmarks().await;
    let held = (grown - (LIVE_BYTES.load(Ordering::SeqCst) - before)) as f64;
    let json: usize = patients[1..]
        .iter()
        .map(|n| sample::json_bytes(&population, *n))
        .sum();
    let cached = (patients.len() - 1) as f64;
    println!("## 4. Memory per cached patient\n");
    println!("{cached} patients looked up and held in the cache; the heap the cache releases when cleared, counted by a global allocator (all heap growth during the lookups, incl. connection pools and the in-process demo sources: {:.0} bytes a patient).\n", grown as f64 / cached);
    println!("| heap per patient (bytes) | FHIR JSON per patient (bytes) | **ratio** (goal < 2) |\n|---|---|---|");
    println!(
        "| {:.0} | {:.0} | **{:.2}** |",
        held / cached,
        json as f64 / cached,
        held / json as f64
    );
    drop(aggregator);
}
