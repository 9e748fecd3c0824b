//! Prometheus metrics for operations, served as text at [`PATH`] to callers with the
//! `operations` permission: requests by route template, each source's lookups and HTTP
//! requests, the brief cache, circuit breakers and the audit trail's commits.
//!
//! One recorder per process ([`handle`] installs it on first use). Label values are only ever
//! route templates, configured source ids and the fixed words in this module: never a path, an
//! NHS number, a user, a name or anything clinical.

use crate::sources::SourceError;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use metrics::{counter, describe_counter, describe_gauge, describe_histogram, gauge, histogram};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

/// Where the metrics are served.
pub const PATH: &str = "/metrics";

/// Seconds: 5 ms to 30 s, for requests, source lookups and audit commits alike.
const BUCKETS: [f64; 14] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 15.0, 20.0, 30.0,
];

/// How often histograms are folded and idle state dropped when nobody scrapes.
const UPKEEP_EVERY: Duration = Duration::from_secs(5);

const HTTP_REQUESTS: &str = "scr_http_requests_total";
const HTTP_DURATION: &str = "scr_http_request_duration_seconds";
const SOURCE_FETCHES: &str = "scr_source_fetches_total";
const SOURCE_FETCH_DURATION: &str = "scr_source_fetch_duration_seconds";
const SOURCE_REQUESTS: &str = "scr_source_requests_total";
const SOURCE_REQUEST_DURATION: &str = "scr_source_request_duration_seconds";
const CIRCUIT_STATE: &str = "scr_source_circuit_state";
const CACHE_LOOKUPS: &str = "scr_cache_lookups_total";
const CACHE_STALE: &str = "scr_cache_stale_served_total";
const CACHE_ENTRIES: &str = "scr_cache_entries";
const AUDIT_COMMIT_DURATION: &str = "scr_audit_commit_duration_seconds";
const AUDIT_COMMITTED: &str = "scr_audit_events_committed_total";
const AUDIT_FAILURES: &str = "scr_audit_commit_failures_total";
const AUDIT_QUEUE: &str = "scr_audit_queue_depth";
const NOTIFICATION_BACKLOG: &str = "scr_notification_backlog";

/// The process's recorder, installed on first use, with a thread that keeps its histograms
/// folded whether or not anyone scrapes.
pub fn handle() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(install)
}

/// Installs the recorder if nothing has yet, so what is recorded before the router is built
/// (a breaker's first state, say) is kept.
fn installed() {
    handle();
}

fn install() -> PrometheusHandle {
    let builder = PrometheusBuilder::new();
    // Histograms as histograms (buckets), not summaries; BUCKETS is not empty, so this holds.
    let builder = match builder.set_buckets(&BUCKETS) {
        Ok(with_buckets) => with_buckets,
        Err(error) => {
            tracing::warn!(%error, "metric buckets refused: histograms render as summaries");
            PrometheusBuilder::new()
        }
    };
    let recorder = builder.build_recorder();
    let handle = recorder.handle();
    if metrics::set_global_recorder(recorder).is_err() {
        tracing::warn!("another metrics recorder was installed first: /metrics stays empty");
    }
    describe();
    let upkeep = handle.clone();
    let spawned = std::thread::Builder::new()
        .name("metrics-upkeep".into())
        .spawn(move || loop {
            std::thread::sleep(UPKEEP_EVERY);
            upkeep.run_upkeep();
        });
    if let Err(error) = spawned {
        tracing::warn!(%error, "the metrics upkeep thread could not start: folded at each scrape");
    }
    handle
}

/// Help text for every metric (what `# HELP` says in the exposition).
fn describe() {
    describe_counter!(
        HTTP_REQUESTS,
        "Requests answered, by route template and status class."
    );
    describe_histogram!(
        HTTP_DURATION,
        metrics::Unit::Seconds,
        "Time to each response's head, by route template and status class."
    );
    describe_counter!(
        SOURCE_FETCHES,
        "Lookups at each source (record, identity or search), by source id and outcome."
    );
    describe_histogram!(
        SOURCE_FETCH_DURATION,
        metrics::Unit::Seconds,
        "Time a lookup at a source took, all its requests together, by source id and outcome."
    );
    describe_counter!(
        SOURCE_REQUESTS,
        "HTTP requests to each source, by source id and outcome."
    );
    describe_histogram!(
        SOURCE_REQUEST_DURATION,
        metrics::Unit::Seconds,
        "Time one HTTP request to a source took (reply read in full), by source id and outcome."
    );
    describe_gauge!(
        CIRCUIT_STATE,
        "Each source's circuit breaker: 0 closed, 1 half-open (one trial lookup), 2 open."
    );
    describe_counter!(
        CACHE_LOOKUPS,
        "Brief cache lookups: hit (a cached copy), shared (joined a fetch under way), miss."
    );
    describe_counter!(
        CACHE_STALE,
        "Views shown a source's earlier copy because the source failed."
    );
    describe_gauge!(
        CACHE_ENTRIES,
        "Copies held (approximate): fresh (reused) and last_good (stand-ins for failures)."
    );
    describe_histogram!(
        AUDIT_COMMIT_DURATION,
        metrics::Unit::Seconds,
        "Time one group commit of audit events to the store took."
    );
    describe_counter!(AUDIT_COMMITTED, "Audit events committed durably.");
    describe_counter!(AUDIT_FAILURES, "Audit events the store did not commit.");
    describe_gauge!(
        AUDIT_QUEUE,
        "Audit events waiting for the committer after it took its last group."
    );
    describe_gauge!(
        NOTIFICATION_BACKLOG,
        "Child-protection notifications in the outbox not yet delivered."
    );
}

/// `GET /metrics`: the exposition text (the access layer has already checked the caller).
pub async fn serve(State(handle): State<&'static PrometheusHandle>) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        handle.render(),
    )
        .into_response()
}

/// Middleware: counts and times every request by its route template (never its path: paths
/// carry NHS numbers) and status class. Time is to the response's head; a streamed page's
/// body may go on after it.
pub async fn track_requests(request: Request, next: Next) -> Response {
    installed();
    let route = route_label(request.extensions().get::<MatchedPath>());
    let started = Instant::now();
    let response = next.run(request).await;
    let labels = [
        ("route", route),
        ("status", status_class(response.status())),
    ];
    histogram!(HTTP_DURATION, &labels).record(started.elapsed().as_secs_f64());
    counter!(HTTP_REQUESTS, &labels).increment(1);
    response
}

/// The route template, or `unmatched` for a request no route took.
fn route_label(matched: Option<&MatchedPath>) -> String {
    matched.map_or_else(|| "unmatched".to_owned(), |m| m.as_str().to_owned())
}

fn status_class(status: StatusCode) -> String {
    match status.as_u16() {
        100..=199 => "1xx",
        200..=299 => "2xx",
        300..=399 => "3xx",
        400..=499 => "4xx",
        _ => "5xx",
    }
    .to_owned()
}

/// How a source lookup or request ended, in fixed words.
pub fn outcome<T>(result: &Result<T, SourceError>) -> &'static str {
    let Err(error) = result else {
        return "ok";
    };
    match error {
        SourceError::Timeout => "timeout",
        SourceError::CircuitOpen => "circuit_open",
        SourceError::Transport(_) => "transport_error",
        SourceError::Redirected => "redirect_refused",
        SourceError::Http(400..=499) => "http_4xx",
        SourceError::Http(500..=599) => "http_5xx",
        SourceError::Http(_) => "http_other",
        SourceError::Auth(_) => "auth_error",
        SourceError::TooManyMatches(_) => "too_many_matches",
        SourceError::Withheld(_) => "withheld",
        SourceError::Refused { .. } => "refused",
        SourceError::NoDemographicSearch => "unsupported",
        SourceError::Client(_) => "client_error",
        SourceError::NotFhir(_)
        | SourceError::TooLarge(_)
        | SourceError::BadBundle(_)
        | SourceError::ForeignNextLink
        | SourceError::Unusable(_) => "unusable_reply",
    }
}

/// What a [`SourceTimer`] measures.
#[derive(Debug, Clone, Copy)]
enum Measured {
    /// One lookup at a source (record, identity or search), all its requests together.
    Fetch,
    /// One HTTP request to a source.
    Request,
}

/// Times one lookup at, or one request to, a source. Finished with its result; dropped
/// unfinished (the view's or the source's deadline passed, or the work was abandoned) it
/// counts as `cancelled`.
pub struct SourceTimer {
    source: Arc<str>,
    measured: Measured,
    started: Instant,
    finished: bool,
}

impl SourceTimer {
    /// Starts timing a lookup at `source`.
    pub fn fetch(source: &Arc<str>) -> Self {
        Self::start(source, Measured::Fetch)
    }

    /// Starts timing one HTTP request to `source`.
    pub fn request(source: &Arc<str>) -> Self {
        Self::start(source, Measured::Request)
    }

    fn start(source: &Arc<str>, measured: Measured) -> Self {
        installed();
        Self {
            source: source.clone(),
            measured,
            started: Instant::now(),
            finished: false,
        }
    }

    /// Records how it ended.
    pub fn finish<T>(mut self, result: &Result<T, SourceError>) {
        self.finished = true;
        self.record(outcome(result));
    }

    fn record(&self, outcome: &'static str) {
        let (count, duration) = match self.measured {
            Measured::Fetch => (SOURCE_FETCHES, SOURCE_FETCH_DURATION),
            Measured::Request => (SOURCE_REQUESTS, SOURCE_REQUEST_DURATION),
        };
        let labels = [
            ("source", self.source.to_string()),
            ("outcome", outcome.to_owned()),
        ];
        histogram!(duration, &labels).record(self.started.elapsed().as_secs_f64());
        counter!(count, &labels).increment(1);
    }
}

impl Drop for SourceTimer {
    fn drop(&mut self) {
        if !self.finished {
            self.record("cancelled");
        }
    }
}

/// A circuit breaker's state, as its gauge reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Circuit {
    Closed,
    HalfOpen,
    Open,
}

/// Sets `source`'s circuit breaker gauge.
pub fn circuit(source: &Arc<str>, state: Circuit) {
    installed();
    let value = match state {
        Circuit::Closed => 0.0,
        Circuit::HalfOpen => 1.0,
        Circuit::Open => 2.0,
    };
    gauge!(CIRCUIT_STATE, "source" => source.to_string()).set(value);
}

/// How the brief cache answered one view's lookup of one source.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CacheLookup {
    /// A cached copy.
    Hit,
    /// Joined a fetch another view had under way.
    Shared,
    /// Fetched from the source for this view.
    Miss,
}

/// Counts one cache lookup.
pub fn cache_lookup(lookup: CacheLookup) {
    installed();
    let result = match lookup {
        CacheLookup::Hit => "hit",
        CacheLookup::Shared => "shared",
        CacheLookup::Miss => "miss",
    };
    counter!(CACHE_LOOKUPS, "result" => result).increment(1);
}

/// Counts one view shown a failed source's earlier copy.
pub fn cache_stale_served() {
    installed();
    counter!(CACHE_STALE).increment(1);
}

/// Sets the cache's entry counts (moka's, approximate until its pending work has run).
pub fn cache_entries(fresh: u64, last_good: u64) {
    installed();
    gauge!(CACHE_ENTRIES, "cache" => "fresh").set(fresh as f64);
    gauge!(CACHE_ENTRIES, "cache" => "last_good").set(last_good as f64);
}

/// Records one group commit of `events` audit events, `failed` of them not committed.
pub fn audit_commit(took: Duration, events: usize, failed: usize) {
    installed();
    histogram!(AUDIT_COMMIT_DURATION).record(took.as_secs_f64());
    counter!(AUDIT_COMMITTED).increment(events.saturating_sub(failed) as u64);
    counter!(AUDIT_FAILURES).increment(failed as u64);
}

/// Sets how many audit events wait for the committer.
pub fn audit_queue(depth: usize) {
    installed();
    gauge!(AUDIT_QUEUE).set(depth as f64);
}

/// Sets how many child-protection notifications wait in the outbox (the delivery loop, after
/// each pass).
pub fn notification_backlog(undelivered: usize) {
    installed();
    gauge!(NOTIFICATION_BACKLOG).set(undelivered as f64);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outcomes_are_fixed_words() {
        let table: [(Result<(), SourceError>, &str); 10] = [
            (Ok(()), "ok"),
            (Err(SourceError::Timeout), "timeout"),
            (Err(SourceError::CircuitOpen), "circuit_open"),
            (
                Err(SourceError::Transport("reset".into())),
                "transport_error",
            ),
            (Err(SourceError::Http(404)), "http_4xx"),
            (Err(SourceError::Http(503)), "http_5xx"),
            (Err(SourceError::Http(302)), "http_other"),
            (
                Err(SourceError::NotFhir("text/html".into())),
                "unusable_reply",
            ),
            (Err(SourceError::TooLarge(10)), "unusable_reply"),
            (Err(SourceError::Redirected), "redirect_refused"),
        ];
        for (result, expected) in table {
            assert_eq!(outcome(&result), expected, "{result:?}");
        }
    }

    #[test]
    fn status_classes() {
        for (status, class) in [
            (StatusCode::OK, "2xx"),
            (StatusCode::SEE_OTHER, "3xx"),
            (StatusCode::UNAUTHORIZED, "4xx"),
            (StatusCode::SERVICE_UNAVAILABLE, "5xx"),
        ] {
            assert_eq!(status_class(status), class);
        }
    }

    /// Everything recorded lands in the exposition under its own name, a histogram with
    /// buckets; an unfinished source timer counts as cancelled.
    #[test]
    fn recorded_metrics_render_as_prometheus_text() {
        let handle = handle();
        let source: Arc<str> = Arc::from("unit-test-source");
        SourceTimer::fetch(&source).finish(&Ok::<(), SourceError>(()));
        drop(SourceTimer::request(&source));
        circuit(&source, Circuit::Open);
        cache_lookup(CacheLookup::Hit);
        audit_commit(Duration::from_millis(3), 4, 1);
        let text = handle.render();
        for expected in [
            "scr_source_fetches_total{source=\"unit-test-source\",outcome=\"ok\"}",
            "scr_source_requests_total{source=\"unit-test-source\",outcome=\"cancelled\"}",
            "scr_source_fetch_duration_seconds_bucket{source=\"unit-test-source\",outcome=\"ok\",le=\"0.005\"}",
            "scr_source_circuit_state{source=\"unit-test-source\"} 2",
            "scr_cache_lookups_total{result=\"hit\"}",
            "scr_audit_commit_duration_seconds_bucket",
            "# HELP scr_audit_commit_failures_total",
        ] {
            assert!(text.contains(expected), "{expected} missing from\n{text}");
        }
    }
}
