//! Timeline benchmarks (a bench binary, not timed tests; results in docs/BENCHMARKS.md): the
//! record page of a patient with about 1,000 and about 10,000 entries, served by the real
//! portal over loopback HTTP from its brief cache (the sources were asked once before), as
//! an A&E clinician with the patient's permission sees it:
//!
//! 1. Server time for the whole record page (first byte to last: every check, the first page
//!    and the summary rendered, streamed) at p50 and p95, its bytes, and rows in it.
//! 2. Server time for one further page of the timeline (`/sfn/timeline`), plain and with words
//!    searched across the whole record.
//!
//! Run: `cargo bench -p server --bench timeline`.

use app::timeline_query::PAGE_SIZE;
use server::config::Config;
use server::demo::{Faults, Population};
use std::sync::Arc;
use std::time::{Duration, Instant};

const RUNS: usize = 40;

#[tokio::main]
async fn main() {
    println!("Record page and timeline pages, {RUNS} requests each, cache warm, loopback HTTP.");
    println!("| entries | page p50 | page p95 | page bytes | rows | next page p50 | search p50 |");
    println!("|---:|---:|---:|---:|---:|---:|---:|");
    let mut p50s = Vec::new();
    for readings in [1_000, 10_000] {
        let row = measure(readings).await;
        p50s.push(row.page_p50);
        println!(
            "| {} | {:.1} ms | {:.1} ms | {} KB | {} | {:.1} ms | {:.1} ms |",
            row.entries,
            ms(row.page_p50),
            ms(row.page_p95),
            row.page_bytes / 1024,
            row.rows,
            ms(row.next_p50),
            ms(row.search_p50)
        );
    }
    println!(
        "\nRecord page at 10,000 entries / at 1,000: {:.2}x",
        p50s[1].as_secs_f64() / p50s[0].as_secs_f64()
    );
}

struct Row {
    entries: usize,
    page_p50: Duration,
    page_p95: Duration,
    page_bytes: usize,
    rows: usize,
    next_p50: Duration,
    search_p50: Duration,
}

async fn measure(readings: usize) -> Row {
    let population = Arc::new(
        Population::new(Population::DEFAULT_PATIENTS, Population::DEFAULT_SEED)
            .with_readings(readings),
    );
    let big = population
        .showcase()
        .into_iter()
        .find(|p| p.label.contains("glucose readings"))
        .expect("the many-readings showcase patient")
        .nhs_number
        .as_digits();
    let mut config = Config::demo().expect("demo config");
    let demo = server::demo_mode::start(&mut config, population, |_| Faults::default())
        .await
        .expect("demo sources");
    config.identity.lookup_rate = server::ratelimit::RateLimit {
        per_minute: 100_000,
        burst: 10_000,
    };
    // Long enough that every request below is served from the cache.
    config.cache.ttl_s = 600;
    // The first (cold) view of 10,000 readings is allowed its time and pages: the demo source
    // builds the patient's resources for every page it serves.
    for source in &mut config.sources {
        source.timeout_ms = 120_000;
        source.max_pages = 1_000;
    }
    config.portal.lookup_timeout_ms = 120_000;
    config.portal.idle_timeout_s = 300;
    config.audit.sqlite_path = std::env::temp_dir()
        .join(format!("scrv-bench-timeline-{}", std::process::id()))
        .join(format!("audit-{readings}.sqlite"));
    // Beside the audit store, not in the working directory.
    config.child_protection.outbox_path = config.audit.sqlite_path.with_extension("outbox.sqlite");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind portal");
    let url = format!("http://{}", listener.local_addr().expect("portal address"));
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let portal = tokio::spawn(server::run(config, listener, async move {
        let _ = stopped.await;
    }));
    let client = clinician(&url).await;

    let page = |path: String| {
        let client = client.clone();
        let url = format!("{url}{path}");
        async move {
            let started = Instant::now();
            let response = client.get(&url).send().await.expect("the portal answers");
            assert_eq!(response.status(), 200, "{url}");
            let body = response.text().await.expect("a body");
            (started.elapsed(), body)
        }
    };
    let (_, html) = page(format!("/record?nhs={big}")).await;
    let entries = total_entries(&html);
    let rows = html.matches("data-testid=\"timeline-row\"").count();
    assert_eq!(rows, PAGE_SIZE, "one page of rows");
    let mut times = Vec::new();
    for _ in 0..RUNS {
        times.push(page(format!("/record?nhs={big}")).await.0);
    }
    times.sort();

    let sfn = |params: &'static str| {
        let client = client.clone();
        let url = format!("{url}/sfn/timeline");
        let big = big.clone();
        async move {
            let started = Instant::now();
            let response = client
                .post(&url)
                .form(&[("nhs_number", big.as_str()), ("params", params)])
                .send()
                .await
                .expect("the portal answers");
            assert_eq!(response.status(), 200, "{params}");
            std::hint::black_box(response.bytes().await.expect("a body"));
            started.elapsed()
        }
    };
    let mut next = Vec::new();
    let mut search = Vec::new();
    for _ in 0..RUNS {
        next.push(sfn("page=2").await);
        search.push(sfn("q=glucose+mmol&category=observation&page=3").await);
    }
    next.sort();
    search.sort();
    let _ = stop.send(());
    let _ = portal.await;
    demo.stop();
    Row {
        entries,
        page_p50: percentile(&times, 50.0),
        page_p95: percentile(&times, 95.0),
        page_bytes: html.len(),
        rows,
        next_p50: percentile(&next, 50.0),
        search_p50: percentile(&search, 50.0),
    }
}

/// A client sending an A&E clinician's bearer token and the patient's permission as the basis.
async fn clinician(url: &str) -> reqwest::Client {
    let reply: serde_json::Value = reqwest::Client::new()
        .post(format!("{url}/demo-idp/demo-token"))
        .form(&[("user", "ae.clinician")])
        .send()
        .await
        .expect("the demo identity provider answers")
        .json()
        .await
        .expect("token JSON");
    let token = reply["access_token"].as_str().expect("an access token");
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(
        "legitimate-basis",
        app::consent::PERMISSION_GIVEN
            .parse()
            .expect("a header value"),
    );
    headers.insert(
        reqwest::header::AUTHORIZATION,
        format!("Bearer {token}").parse().expect("a header value"),
    );
    reqwest::Client::builder()
        .default_headers(headers)
        .build()
        .expect("a client")
}

/// The record's entry count, as the page's count line says it ("… of 10,012 entries").
fn total_entries(html: &str) -> usize {
    let Some(at) = html.find(" entries, newest first") else {
        let error = html
            .find("data-testid=\"lookup-error\"")
            .map(|at| &html[at..html.len().min(at + 600)]);
        panic!("no count line on the record page: {error:?}");
    };
    let start = html[..at].rfind(' ').map_or(0, |i| i + 1);
    html[start..at].replace(',', "").parse().expect("a count")
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}
