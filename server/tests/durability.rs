//! Durable before display, proved the hard way: the real `server` binary in demo mode serves
//! record views to many clients at once and is killed with SIGKILL mid-load. Every response
//! that carried patient data must have its view event in the audit store (matched by the
//! `X-Request-Id` the response carried), the chain must verify, and the portal must start
//! again on the same store and extend the chain. Stopped with SIGTERM instead, it answers
//! every request it took in full and exits cleanly, each record again with its event.

use crate::common::running::{demo_token, spawn_portal, stores_in};
use server::audit::sqlite::SqliteAudit;
use server::audit::{verify, AuditStore, EventKind};
use std::collections::BTreeSet;
use std::path::Path;
use std::process::{Child, Command};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// An empty directory for one test's stores.
pub(crate) fn fresh_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A bearer token for the demo's A&E clinician from the portal at `url`.
async fn clinician_token(url: &str) -> String {
    demo_token(url, &[("user", "ae.clinician")]).await
}

/// Starts `server demo` with its audit store and outbox in `dir`; returns it and its URL.
fn start_portal(dir: &Path) -> (Child, String) {
    // One user fires hundreds of lookups a second here: the per-user lookup limit is lifted.
    let config = stores_in(server::config::DEMO_TOML, dir);
    spawn_portal(&config, dir, "portal.toml", "warn", false)
}

/// What sixteen clients viewing records as fast as they can saw: the request id of every
/// response that carried patient data, and how many responses were cut off after their
/// status (a body that could not be read).
#[derive(Default)]
pub(crate) struct Load {
    pub(crate) shown: Mutex<BTreeSet<String>>,
    pub(crate) cut: std::sync::atomic::AtomicUsize,
}

impl Load {
    /// Starts the clients on the demo's first patients; each stops when the portal stops
    /// answering or after a minute.
    pub(crate) async fn start(url: &str) -> (Arc<Load>, Vec<tokio::task::JoinHandle<()>>) {
        let client = reqwest::Client::new();
        let bearer = format!("Bearer {}", clinician_token(url).await);
        // The demo's default population (the same seed as `server demo`): its first patients.
        let population = server::demo::Population::new(
            server::demo::Population::DEFAULT_PATIENTS,
            server::demo::Population::DEFAULT_SEED,
        );
        let patients: Vec<String> = population
            .nhs_numbers()
            .take(20)
            .map(|n| n.as_digits())
            .collect();
        assert!(!patients.is_empty());
        let load: Arc<Load> = Arc::default();
        let deadline = Instant::now() + Duration::from_secs(60);
        let clients = (0..16)
            .map(|c| {
                let (client, bearer, url, load) =
                    (client.clone(), bearer.clone(), url.to_owned(), load.clone());
                let patients = patients.clone();
                tokio::spawn(async move {
                    let mut i = c;
                    while Instant::now() < deadline {
                        let nhs = &patients[i % patients.len()];
                        i += 7;
                        if !load.view(&client, &url, &bearer, nhs).await {
                            return;
                        }
                    }
                })
            })
            .collect();
        (load, clients)
    }

    /// One view; false once the portal no longer answers.
    async fn view(&self, client: &reqwest::Client, url: &str, bearer: &str, nhs: &str) -> bool {
        let sent = client
            .get(format!("{url}/api/v1/patients/{nhs}/record"))
            .header("authorization", bearer)
            .header("legitimate-basis", "permission-given")
            .send()
            .await;
        let Ok(response) = sent else { return false };
        let id = response
            .headers()
            .get("x-request-id")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        if response.status() != 200 {
            return true;
        }
        let Ok(body) = response.json::<serde_json::Value>().await else {
            self.cut.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            return false;
        };
        let has_data = body["entries"].as_array().is_some_and(|e| !e.is_empty());
        if let (true, Some(id)) = (has_data, id) {
            self.shown.lock().unwrap().insert(id);
        }
        true
    }

    /// Waits for the clients to stop and gives what they were shown: at least 200 records.
    async fn finish(&self, clients: Vec<tokio::task::JoinHandle<()>>) -> BTreeSet<String> {
        self.finish_with(clients, 200).await
    }

    /// Waits for the clients to stop and gives what they were shown: at least `at_least`.
    pub(crate) async fn finish_with(
        &self,
        clients: Vec<tokio::task::JoinHandle<()>>,
        at_least: usize,
    ) -> BTreeSet<String> {
        for c in clients {
            c.await.unwrap();
        }
        let shown = self.shown.lock().unwrap().clone();
        assert!(
            shown.len() >= at_least,
            "only {} records were shown",
            shown.len()
        );
        shown
    }

    /// Waits until `at_least` records have been shown (or 30 s have passed).
    pub(crate) async fn until_shown(&self, at_least: usize) {
        let started = Instant::now();
        while self.shown.lock().unwrap().len() < at_least
            && started.elapsed() < Duration::from_secs(30)
        {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

/// The request ids of every record-view event in the store, checking no shown record lacks
/// one.
async fn assert_every_shown_record_audited(store: &dyn AuditStore, shown: &BTreeSet<String>) {
    let mut audited = BTreeSet::new();
    let mut after = 0;
    loop {
        let page = store.read_after(after, 5_000).await.unwrap();
        let Some(last) = page.last() else { break };
        after = last.seq;
        audited.extend(
            page.into_iter()
                .filter(|s| s.event.kind == EventKind::RecordView)
                .map(|s| s.event.request_id),
        );
    }
    let missing: Vec<&String> = shown.difference(&audited).collect();
    assert!(
        missing.is_empty(),
        "{} shown without an event: {missing:?}",
        missing.len()
    );
}

/// Every record in `shown` has its view event in `store`, and the chain verifies (`after`
/// names what it survived); the number of events checked.
pub(crate) async fn assert_audited_and_whole(
    store: &dyn AuditStore,
    shown: &BTreeSet<String>,
    after: &str,
) -> u64 {
    assert_every_shown_record_audited(store, shown).await;
    verify(store)
        .await
        .unwrap()
        .unwrap_or_else(|broken| panic!("chain intact after {after}: {broken:?}"))
}

/// SIGTERM under load (as an orchestrator stops a pod): the portal stops accepting, answers
/// every request it had taken in full (none cut off after its status), each record only once
/// its view event is durable, and exits cleanly.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sigterm_under_load_answers_what_it_took_in_full_and_exits_cleanly() {
    let dir = fresh_dir("scrv-sigterm");
    let (mut portal, url) = start_portal(&dir);
    let (load, clients) = Load::start(&url).await;
    load.until_shown(200).await;
    let terminated = Command::new("kill")
        .args(["-TERM", &portal.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(terminated.success());
    let exited = Instant::now();
    let status = loop {
        if let Some(status) = portal.try_wait().unwrap() {
            break status;
        }
        assert!(
            exited.elapsed() < Duration::from_secs(30),
            "the portal did not stop within 30 s of SIGTERM"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(status.success(), "exit after SIGTERM: {status}");
    let shown = load.finish(clients).await;
    let cut = load.cut.load(std::sync::atomic::Ordering::SeqCst);
    assert_eq!(cut, 0, "responses cut off after their status");
    let store = SqliteAudit::open(&dir.join("audit.sqlite")).await.unwrap();
    assert_audited_and_whole(&store, &shown, "SIGTERM").await;
    store.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_record_shown_before_a_sigkill_has_its_audit_event() {
    let dir = fresh_dir("scrv-durability");
    let (mut portal, url) = start_portal(&dir);
    let client = reqwest::Client::new();
    let (load, clients) = Load::start(&url).await;
    // Let the load build up, then kill the portal without warning.
    load.until_shown(200).await;
    portal.kill().expect("SIGKILL");
    portal.wait().unwrap();
    let shown = load.finish(clients).await;

    // Every record shown has its durable view event, and the chain is whole.
    let store = SqliteAudit::open(&dir.join("audit.sqlite")).await.unwrap();
    let checked = assert_audited_and_whole(&store, &shown, "SIGKILL").await;
    assert!(checked >= shown.len() as u64);
    eprintln!(
        "{} records shown before SIGKILL, each with its event; {checked} events verified",
        shown.len()
    );
    store.close().await;

    // The portal starts again on the same store and goes on with the chain.
    let first = server::demo::Population::new(
        server::demo::Population::DEFAULT_PATIENTS,
        server::demo::Population::DEFAULT_SEED,
    )
    .nhs_numbers()
    .next()
    .unwrap()
    .as_digits();
    let (mut again, url) = start_portal(&dir);
    let bearer = format!("Bearer {}", clinician_token(&url).await);
    let response = client
        .get(format!("{url}/api/v1/patients/{first}/record"))
        .header("authorization", &bearer)
        .header("legitimate-basis", "permission-given")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    again.kill().unwrap();
    again.wait().unwrap();
    let store = SqliteAudit::open(&dir.join("audit.sqlite")).await.unwrap();
    let after_restart = verify(&store)
        .await
        .unwrap()
        .expect("chain intact after restart");
    assert!(after_restart > checked);
}
