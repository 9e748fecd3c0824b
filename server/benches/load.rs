//! Load and fault suite (a bench binary, not a timed test; results in docs/BENCHMARKS.md): the
//! real portal binary in demo mode, driven by simulated staff for a fixed time, while each demo
//! source in turn hangs, answers HTTP 500, or slows down. Each member of staff signs in once
//! (a bearer token from the demo identity provider) and then works: record views of patients
//! already viewed (cache hits) and of new ones (misses), patient searches, and, for privacy
//! officers, audit searches. It reports throughput, latency percentiles by kind of request,
//! failed requests, views where a *healthy* source failed, and the portal's resident memory.
//!
//! Run: `cargo bench -p server --bench load` (`-- --staff N --seconds S --officer-every K` to
//! change the load; one in K staff is a privacy officer, default 10). `LOAD_PORTAL_LOG=info`
//! shows the portal's log of every source that did not answer in full.

// Starting the binary and getting demo tokens, as the integration tests do.
#[path = "../tests/common/running.rs"]
mod running;

use app::model::SourceKind;
use running::{demo_token, spawn_portal, stores_in};
use server::config::Config;
use server::demo::{Failure, Faults, LiveFault, Population};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// One phase of the run: which source is faulted, and how (`None`: all healthy).
#[derive(Clone, Copy)]
struct Phase {
    source: Option<SourceKind>,
    fault: LiveFault,
    name: &'static str,
}

impl Phase {
    fn label(&self) -> String {
        match self.source {
            Some(kind) => format!("{} {}", kind.as_str(), self.name),
            None => self.name.to_owned(),
        }
    }
}

/// What was seen of one kind of request.
#[derive(Default)]
struct Tally {
    latencies_us: Vec<u64>,
    failed: usize,
    /// Failed requests by status (0: no answer), the error's code, and phase.
    failures: BTreeMap<(u16, String, String), usize>,
    /// Views refused because the GP, which holds objections, could not be read (fail closed).
    refused_closed: usize,
    /// Record views in which a source that was not faulted at the time did not answer fully.
    healthy_source_failed: usize,
    /// Healthy sources' failures by source and status, and phase.
    healthy_failures: BTreeMap<(String, String), usize>,
    /// Record views in which the source faulted in the phase before was still marked as not
    /// answered (its circuit not yet closed again).
    recovering_part_marked: usize,
    /// Record views in which the faulted source's part was marked as not answered.
    faulted_part_marked: usize,
}

#[derive(Default)]
struct Results {
    by_kind: BTreeMap<&'static str, Tally>,
    /// For each source: how long after its fault ended a view last found its part unanswered.
    recovery: BTreeMap<&'static str, Duration>,
}

struct Args {
    staff: usize,
    seconds: u64,
    /// One member of staff in this many is a privacy officer (audit searches).
    officer_every: usize,
}

fn args() -> Args {
    let mut args = Args {
        staff: 200,
        seconds: 60,
        officer_every: 10,
    };
    let given: Vec<String> = std::env::args().collect();
    for pair in given.windows(2) {
        match pair[0].as_str() {
            "--staff" => args.staff = pair[1].parse().expect("--staff N"),
            "--seconds" => args.seconds = pair[1].parse().expect("--seconds S"),
            "--officer-every" => args.officer_every = pair[1].parse().expect("--officer-every N"),
            _ => {}
        }
    }
    args
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let args = args();
    // Enough patients that views of new ones keep missing the cache for the whole run.
    let population = Arc::new(Population::new(100_000, Population::DEFAULT_SEED));
    let mut config = Config::demo().expect("demo config");
    let sources = server::demo_mode::start(&mut config, population.clone(), |_| Faults::default())
        .await
        .expect("demo sources");
    // The portal's own log (stderr): `LOAD_PORTAL_LOG=info` shows each source that did not
    // answer in full, with its status and latency.
    let portal_log = std::env::var("LOAD_PORTAL_LOG").ok();
    let echo = portal_log.is_some();
    let portal_log = portal_log.unwrap_or_else(|| "error".to_owned());
    let dir = std::env::temp_dir().join(format!("scrv-load-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("bench dir");
    let (mut portal, url) = spawn_portal(
        &portal_config(&config, &dir),
        &dir,
        "portal.toml",
        &portal_log,
        echo,
    );
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(args.staff)
        .build()
        .expect("client");

    // Everyone signs in once.
    let mut tokens = Vec::new();
    for n in 0..args.staff {
        let user = if n % args.officer_every == args.officer_every - 1 {
            "privacy.officer"
        } else if n % 2 == 0 {
            "ae.clinician"
        } else {
            "ooh.clinician"
        };
        tokens.push((user, demo_token(&url, &[("user", user)]).await));
    }
    // Ordinary patients only: every patient the demo lists to try (dissent, a source that
    // fails for one patient, a GP whose consent search fails, ...) is refused or degraded on
    // purpose, and is tested elsewhere.
    let showcase: std::collections::HashSet<_> = population
        .showcase()
        .into_iter()
        .map(|p| p.nhs_number)
        .collect();
    let patients: Vec<Patient> = (0..population.len())
        .map(|i| population.person(i))
        .filter(|person| !showcase.contains(&person.nhs))
        .map(|person| {
            let born = time::Date::from_julian_day(UNIX_EPOCH_JULIAN_DAY + person.birth_day as i32)
                .expect("a birth date");
            Patient {
                nhs: person.nhs.as_digits(),
                search: format!("family={}&birthdate={born}", person.family),
            }
        })
        .collect();
    let patients = Arc::new(patients);
    let phases = phases();
    let phase_length = Duration::from_secs(args.seconds) / phases.len() as u32;
    // The first phase (all healthy, as the sources start) begins before anyone works.
    let timeline = Arc::new(Mutex::new(Timeline {
        phases: vec![(Instant::now(), phases[0])],
    }));
    let results = Arc::new(Mutex::new(Results::default()));
    let deadline = Instant::now() + phase_length * phases.len() as u32;
    println!(
        "# Load and fault suite: {} staff for {} s, {} phases of {:.1} s ({} cores)\n",
        args.staff,
        args.seconds,
        phases.len(),
        phase_length.as_secs_f64(),
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    let started = Instant::now();
    let workers: Vec<_> = tokens
        .into_iter()
        .enumerate()
        .map(|(n, (user, token))| {
            let (client, url, patients) = (client.clone(), url.clone(), patients.clone());
            let (timeline, results) = (timeline.clone(), results.clone());
            tokio::spawn(async move {
                let mut rng = n as u64 * 7_919 + 1;
                while Instant::now() < deadline {
                    rng = rng.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
                    let pick = (rng >> 33) as usize;
                    let request = if user == "privacy.officer" {
                        Request::AuditSearch(patients[pick % 50].nhs.clone())
                    } else {
                        match pick % 10 {
                            // Most views are of patients already in the cache.
                            0..=5 => {
                                Request::View(patients[pick % 50].nhs.clone(), "view (cache hit)")
                            }
                            6..=8 => Request::View(
                                patients[pick % patients.len()].nhs.clone(),
                                "view (cache miss)",
                            ),
                            _ => Request::Search(patients[pick % patients.len()].search.clone()),
                        }
                    };
                    let started = Instant::now();
                    let seen = request.send(&client, &url, &token).await;
                    let during = timeline.lock().expect("timeline").during(started);
                    let mut results = results.lock().expect("results");
                    seen.tally(&mut results, &during);
                }
            })
        })
        .collect();
    // The phases: each source in turn faulted one way, the others healthy.
    for (n, phase) in phases.iter().enumerate() {
        for source in &sources.sources {
            let fault = if Some(source.kind) == phase.source {
                phase.fault
            } else {
                LiveFault::default()
            };
            source.set_live_fault(fault);
        }
        if n > 0 {
            timeline
                .lock()
                .expect("timeline")
                .phases
                .push((Instant::now(), *phase));
        }
        tokio::time::sleep(phase_length).await;
    }
    for worker in workers {
        worker.await.expect("worker");
    }
    let elapsed = started.elapsed();
    let memory = resident_memory(portal.id());
    let _ = portal.kill();
    let _ = portal.wait();
    report(&results.lock().expect("results"), elapsed, memory, &phases);
    let _ = std::fs::remove_dir_all(&dir);
}

/// Healthy first, then every source hanging, failing and slow in turn.
fn phases() -> Vec<Phase> {
    let mut phases = vec![Phase {
        source: None,
        fault: LiveFault::default(),
        name: "all healthy",
    }];
    for kind in [
        SourceKind::Gp,
        SourceKind::Acute,
        SourceKind::MentalHealth,
        SourceKind::SocialCare,
    ] {
        for (name, fault) in [
            (
                "hangs",
                LiveFault {
                    latency: Duration::ZERO,
                    failure: Some(Failure::Hang),
                },
            ),
            (
                "answers HTTP 500",
                LiveFault {
                    latency: Duration::ZERO,
                    failure: Some(Failure::Http500),
                },
            ),
            (
                "slow (2 s a request)",
                LiveFault {
                    latency: Duration::from_secs(2),
                    failure: None,
                },
            ),
        ] {
            phases.push(Phase {
                source: Some(kind),
                fault,
                name,
            });
        }
    }
    phases
}

/// When each phase began, in order (never empty).
struct Timeline {
    phases: Vec<(Instant, Phase)>,
}

/// The faults a request met: it is judged by every phase it ran in, not only the one it
/// started in (a view started while all was well may meet a source that has just begun to
/// hang).
struct During {
    /// The phase it started in, as reported.
    label: String,
    /// Sources faulted at some time while it ran.
    faulted: Vec<SourceKind>,
    /// The source faulted in the phase before the one it started in, and how long before the
    /// request that fault ended: the portal's breaker notices a source is back only after its
    /// cool-down and one trial lookup, so until then its part is still "circuit open".
    recovering: Option<(SourceKind, Duration)>,
}

impl Timeline {
    /// The faults of the phases that overlap a request from `started` until now.
    fn during(&self, started: Instant) -> During {
        let first = self
            .phases
            .iter()
            .rposition(|(at, _)| *at <= started)
            .unwrap_or(0);
        let faulted: Vec<SourceKind> = self.phases[first..]
            .iter()
            .filter_map(|(_, phase)| phase.source)
            .collect();
        let recovering = first
            .checked_sub(1)
            .and_then(|before| self.phases[before].1.source)
            .filter(|kind| !faulted.contains(kind))
            .map(|kind| (kind, started - self.phases[first].0));
        During {
            label: self.phases[first].1.label(),
            faulted,
            recovering,
        }
    }
}

/// The Julian day number of 1970-01-01.
const UNIX_EPOCH_JULIAN_DAY: i32 = 2_440_588;

/// A patient as staff look them up: by NHS number, or by surname and date of birth.
struct Patient {
    nhs: String,
    search: String,
}

enum Request {
    View(String, &'static str),
    Search(String),
    AuditSearch(String),
}

/// What one request came to.
struct Seen {
    kind: &'static str,
    latency: Duration,
    ok: bool,
    status: u16,
    /// The error's machine code, when refused.
    code: String,
    /// For record views: the kinds of sources whose part was not answered in full, each with
    /// the source's id and status.
    unanswered: Vec<(String, String)>,
}

impl Request {
    async fn send(&self, client: &reqwest::Client, url: &str, token: &str) -> Seen {
        let (kind, path) = match self {
            Self::View(nhs, kind) => (*kind, format!("/api/v1/patients/{nhs}/record")),
            Self::Search(query) => ("patient search", format!("/api/v1/patients?{query}")),
            Self::AuditSearch(nhs) => (
                "audit search",
                format!("/api/v1/audit/events?nhs_number={nhs}&format=csv"),
            ),
        };
        let started = Instant::now();
        let response = client
            .get(format!("{url}{path}"))
            .bearer_auth(token)
            .header("legitimate-basis", "permission-given")
            .timeout(Duration::from_secs(30))
            .send()
            .await;
        // No answer at all: what the client saw (e.g. a connection closed under it).
        let mut transport = None;
        let (status, body) = match response {
            Ok(r) => {
                let status = r.status().as_u16();
                match r.bytes().await {
                    Ok(body) => (status, Some(body)),
                    Err(e) => {
                        transport = Some(format!("body: {}", e.without_url()));
                        (status, None)
                    }
                }
            }
            Err(e) => {
                transport = Some(error_chain(&e.without_url()));
                (0, None)
            }
        };
        let ok = (200..300).contains(&status);
        let latency = started.elapsed();
        let code = body
            .as_deref()
            .filter(|_| !ok)
            .and_then(|b| serde_json::from_slice::<serde_json::Value>(b).ok())
            .map(|v| {
                if let Some(notice) = v.get("consent_unknown") {
                    // Which source could not say, and why: the phase alone does not tell.
                    let unread: Vec<String> = notice["unread"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .map(|u| {
                            format!(
                                "{} ({})",
                                u["organisation_code"].as_str().unwrap_or("?"),
                                u["why"].as_str().unwrap_or("?")
                            )
                        })
                        .collect();
                    format!("consent-unknown: {}", unread.join("; "))
                } else {
                    v["code"].as_str().unwrap_or_default().to_owned()
                }
            })
            .or(transport)
            .unwrap_or_default();
        let unanswered = match (self, &body) {
            (Self::View(..), Some(body)) => unanswered_sources(body),
            _ => Vec::new(),
        };
        Seen {
            kind,
            latency,
            ok: ok && body.is_some(),
            status,
            code,
            unanswered,
        }
    }
}

/// An error and its causes, in one line.
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut cause = error.source();
    while let Some(inner) = cause {
        text.push_str(": ");
        text.push_str(&inner.to_string());
        cause = inner.source();
    }
    text
}

/// The sources a record reports as failed (timed out, an error, an earlier copy, or not asked
/// while their circuit is open).
fn unanswered_sources(body: &[u8]) -> Vec<(String, String)> {
    let Ok(record) = serde_json::from_slice::<serde_json::Value>(body) else {
        return Vec::new();
    };
    record["sources"]
        .as_array()
        .map(|sources| {
            sources
                .iter()
                .filter(|s| {
                    matches!(
                        s["status"].as_str(),
                        Some("timed-out" | "error" | "stale" | "circuit-open")
                    )
                })
                .filter_map(|s| {
                    let status = s["status"].as_str()?;
                    Some((
                        s["kind"].as_str()?.to_owned(),
                        format!("{} {status}", s["id"].as_str()?),
                    ))
                })
                .collect()
        })
        .unwrap_or_default()
}

impl Seen {
    fn tally(self, results: &mut Results, during: &During) {
        let tally = results.by_kind.entry(self.kind).or_default();
        tally.latencies_us.push(self.latency.as_micros() as u64);
        let faulted = |kind: &str| during.faulted.iter().any(|k| k.as_str() == kind);
        let recovering = |kind: &str| during.recovering.is_some_and(|(k, _)| k.as_str() == kind);
        // The GP holds objections to sharing: while it cannot be read the patient's wishes are
        // unknown, and the view is refused (fail closed) unless it is an emergency. Correct
        // while the GP is faulted, or its circuit has not yet seen it back.
        let gp = SourceKind::Gp.as_str();
        if self.code.starts_with("consent-unknown") && (faulted(gp) || recovering(gp)) {
            tally.refused_closed += 1;
            return;
        }
        if !self.ok {
            tally.failed += 1;
            *tally
                .failures
                .entry((self.status, self.code, during.label.clone()))
                .or_default() += 1;
            return;
        }
        if let Some((_, what)) = self
            .unanswered
            .iter()
            .find(|(kind, _)| !faulted(kind) && !recovering(kind))
        {
            tally.healthy_source_failed += 1;
            *tally
                .healthy_failures
                .entry((what.clone(), during.label.clone()))
                .or_default() += 1;
        }
        if let Some((kind, after)) = during.recovering {
            if self.unanswered.iter().any(|(k, _)| k == kind.as_str()) {
                tally.recovering_part_marked += 1;
                let longest = results.recovery.entry(kind.as_str()).or_default();
                *longest = (*longest).max(after);
            }
        }
        if self.unanswered.iter().any(|(kind, _)| faulted(kind)) {
            tally.faulted_part_marked += 1;
        }
    }
}

fn report(results: &Results, elapsed: Duration, memory: (u64, u64), phases: &[Phase]) {
    let total: usize = results.by_kind.values().map(|t| t.latencies_us.len()).sum();
    println!("| request | count | per s | p50 | p95 | p99 | failed | refused: GP's consent unknown (fail closed) | views with a healthy source failed | views with the faulted source's part marked | views with the source faulted just before still marked |");
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for (kind, tally) in &results.by_kind {
        let mut sorted = tally.latencies_us.clone();
        sorted.sort_unstable();
        let at = |q: f64| {
            sorted
                .get(((sorted.len() as f64 - 1.0) * q) as usize)
                .copied()
                .unwrap_or(0) as f64
                / 1000.0
        };
        println!(
            "| {kind} | {} | {:.0} | {:.1} ms | {:.1} ms | {:.1} ms | {} | {} | {} | {} | {} |",
            sorted.len(),
            sorted.len() as f64 / elapsed.as_secs_f64(),
            at(0.50),
            at(0.95),
            at(0.99),
            tally.failed,
            tally.refused_closed,
            tally.healthy_source_failed,
            tally.faulted_part_marked,
            tally.recovering_part_marked,
        );
    }
    println!(
        "\n{total} requests in {:.1} s ({:.0} a second); portal resident memory at the end {:.0} MiB, peak {:.0} MiB.",
        elapsed.as_secs_f64(),
        total as f64 / elapsed.as_secs_f64(),
        memory.0 as f64 / 1024.0,
        memory.1 as f64 / 1024.0
    );
    for (kind, tally) in &results.by_kind {
        for ((status, code, phase), n) in &tally.failures {
            println!("- {kind}: {n} answered {status} {code} while {phase}");
        }
        for ((what, phase), n) in &tally.healthy_failures {
            println!("- {kind}: {n} with the healthy {what} while {phase}");
        }
    }
    for (kind, after) in &results.recovery {
        println!(
            "- {kind}: its part was last unanswered {:.1} s after its fault ended",
            after.as_secs_f64()
        );
    }
    let names: Vec<String> = phases.iter().map(Phase::label).collect();
    println!("Phases, in order: {}.", names.join("; "));
}

/// VmRSS and VmHWM of process `pid`, in KiB.
fn resident_memory(pid: u32) -> (u64, u64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

/// The demo configuration with this bench's sources, its own audit store and outbox in `dir`,
/// and per-user and per-address limits lifted (one address drives all the staff).
fn portal_config(config: &Config, dir: &std::path::Path) -> String {
    let text = stores_in(
        &server::demo_mode::demo_toml_with_sources(&config.sources),
        dir,
    )
    // A circuit opened in one phase closes within the next (the default cool-down, 30 s,
    // would carry a GP fault's refusals into the phases after it).
    .replace(
        "timeout_ms = 5000\n",
        "timeout_ms = 5000\nbreaker_cooldown_s = 2\n",
    )
    .replace(
        "sign_in_rate = { per_minute = 600, burst = 200 }",
        "sign_in_rate = { per_minute = 10000000, burst = 1000000 }",
    );
    assert!(
        text.contains("burst = 1000000 }\n"),
        "the sign-in limit lifted"
    );
    assert!(!text.contains("127.0.0.1:0/fhir"), "every source replaced");
    text
}
