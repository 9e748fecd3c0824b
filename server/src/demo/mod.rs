//! Demo mode's synthetic FHIR R4 sources and identity provider ([`idp`]): a deterministic synthetic population (`data`) and a
//! real HTTP FHIR server per source kind (`fhir_server`) on loopback, optionally with faults.
//!
//! The portal fetches from these servers exactly as from real ones, and integration tests start
//! them on `127.0.0.1:0`. Records are generated on request from (seed, patient, source), so a
//! large population costs no memory.

mod data;
mod faults;
mod fhir_server;
pub mod gp_connect;
pub mod idp;
pub mod sample;

pub use data::Population;
pub use faults::Failure;

use app::model::SourceKind;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{watch, Barrier};

/// Faults a demo source injects (tests and benchmarks; none by default).
#[derive(Clone, Default)]
pub struct Faults {
    /// Slept before every response.
    pub latency: Duration,
    /// Awaited (at most 5 s) inside every `Patient?identifier=` search, so a test can prove that
    /// all sources are asked at the same time.
    pub rendezvous: Option<Arc<Barrier>>,
    /// How every response fails, if it does.
    pub failure: Option<Failure>,
    /// A resource type whose searches answer HTTP 500 while every other request works.
    pub failing_type: Option<&'static str>,
    /// When set, every request must carry `Authorization: Bearer <this>` or gets HTTP 401.
    pub required_bearer: Option<String>,
    /// The first this-many notification POSTs get HTTP 503 (to prove they are retried).
    pub refuse_notifications: u32,
    /// The first this-many notification POSTs that were kept (or found kept already) are
    /// answered HTTP 503, as if the answer were lost on its way back (to prove a redelivery
    /// creates nothing new).
    pub lose_notification_replies: u32,
}

/// Serves `router` on `listener` in a background task until `stopped` turns true or its
/// sender is dropped (graceful: requests in flight finish). `what` names it in a log line.
pub(crate) fn serve_until_stopped(
    listener: tokio::net::TcpListener,
    router: axum::Router,
    mut stopped: watch::Receiver<bool>,
    what: &'static str,
) {
    tokio::spawn(async move {
        // Resolves on `stop()` (true) and when the sender is dropped (an error): both stop.
        let shutdown = async move {
            let _ = stopped.wait_for(|stop| *stop).await;
        };
        if let Err(error) = axum::serve(listener, router)
            .with_graceful_shutdown(shutdown)
            .await
        {
            tracing::warn!(source = what, %error, "demo source stopped with an error");
        }
    });
}

/// A fault a running source can be given and cleared ([`DemoSource::set_live_fault`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LiveFault {
    /// Slept before every response.
    pub latency: Duration,
    /// How every response fails, if it does.
    pub failure: Option<Failure>,
}

/// A running synthetic source. It stops when [`DemoSource::stop`] is called or it is dropped.
pub struct DemoSource {
    pub kind: SourceKind,
    /// FHIR base URL, e.g. `http://127.0.0.1:41234/fhir`.
    pub base_url: String,
    pub addr: SocketAddr,
    requests: Arc<AtomicU64>,
    paths: Arc<std::sync::Mutex<Vec<String>>>,
    population: Arc<Population>,
    dissenting: Arc<std::sync::RwLock<std::collections::HashSet<usize>>>,
    received: Arc<std::sync::Mutex<Vec<serde_json::Value>>>,
    healed: Arc<std::sync::atomic::AtomicBool>,
    live: Arc<std::sync::RwLock<LiveFault>>,
    /// Set to true to stop; dropping it stops the server too.
    stop: watch::Sender<bool>,
}

impl DemoSource {
    /// Serves `kind`'s view of `population` on `listener` in a background task until stopped or
    /// dropped. Must be called inside a tokio runtime.
    pub async fn start(
        kind: SourceKind,
        listener: tokio::net::TcpListener,
        population: Arc<Population>,
        faults: Faults,
    ) -> std::io::Result<DemoSource> {
        let addr = listener.local_addr()?;
        let base_url = format!("http://{addr}/fhir");
        let requests = Arc::new(AtomicU64::new(0));
        let paths = Arc::new(std::sync::Mutex::new(Vec::new()));
        let (stop, stopped) = watch::channel(false);
        let dissenting = Arc::new(std::sync::RwLock::new(Default::default()));
        let received = Arc::new(std::sync::Mutex::new(Vec::new()));
        let healed = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let live = Arc::new(std::sync::RwLock::new(LiveFault::default()));
        let router = fhir_server::router(Arc::new(fhir_server::Source {
            kind,
            population: population.clone(),
            dissenting: dissenting.clone(),
            received: received.clone(),
            notification_attempts: AtomicU64::new(0),
            notifications_answered: AtomicU64::new(0),
            healed: healed.clone(),
            live: live.clone(),
            faults,
            requests: requests.clone(),
            paths: paths.clone(),
            base_url: base_url.clone(),
            seen_urls: Default::default(),
        }));
        serve_until_stopped(listener, router, stopped, kind.as_str());
        Ok(DemoSource {
            kind,
            base_url,
            addr,
            requests,
            paths,
            population,
            dissenting,
            received,
            healed,
            live,
            stop,
        })
    }

    /// From the next request on, the source answers with `fault` (the default: none).
    pub fn set_live_fault(&self, fault: LiveFault) {
        if let Ok(mut live) = self.live.write() {
            *live = fault;
        }
    }

    /// The source recovers: its injected `failure` and `failing_type` stop from the next
    /// request on (latency and the other settings stay).
    pub fn heal(&self) {
        self.healed.store(true, Ordering::SeqCst);
    }

    /// The Communications (notifications) this source has accepted.
    pub fn notifications_received(&self) -> Vec<serde_json::Value> {
        self.received.lock().map(|r| r.clone()).unwrap_or_default()
    }

    /// Records (or withdraws) the patient's objection to sharing at this source, as a
    /// patient telling their GP would: tests use it to change consent while the portal runs.
    pub fn set_dissent(&self, nhs: app::nhs_number::NhsNumber, objects: bool) {
        let Some(index) = self.population.index_of(nhs) else {
            return;
        };
        if let Ok(mut set) = self.dissenting.write() {
            if objects {
                set.insert(index);
            } else {
                set.remove(&index);
            }
        }
    }

    /// Stops the source and waits (at most 5 s) until it refuses new connections, so a test
    /// that stops a source knows the next request finds it down.
    pub async fn stop_and_wait(&self) {
        self.stop();
        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        while tokio::net::TcpStream::connect(self.addr).await.is_ok()
            && tokio::time::Instant::now() < deadline
        {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    /// HTTP requests received so far, whatever their outcome.
    pub fn requests(&self) -> u64 {
        self.requests.load(Ordering::SeqCst)
    }

    /// The path of every request received so far (no query string), in arrival order.
    pub fn paths_asked(&self) -> Vec<String> {
        self.paths.lock().map(|p| p.clone()).unwrap_or_default()
    }

    /// Stops accepting connections (graceful shutdown: requests in flight finish); later
    /// connections are refused. Idempotent.
    pub fn stop(&self) {
        self.stop.send_replace(true);
    }
}
