//! Demo mode's synthetic FHIR R4 sources: a deterministic synthetic population and a real HTTP
//! FHIR server per source kind, on loopback. Tests use the same servers, with injected faults.

mod calendar;
mod catalogue;
mod fhir_server;
mod population;
mod records;
mod rng;

pub use population::Population;

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
}

/// A running synthetic source.
pub struct DemoSource {
    pub kind: SourceKind,
    /// FHIR base URL, e.g. `http://127.0.0.1:41234/fhir`.
    pub base_url: String,
    pub addr: SocketAddr,
    requests: Arc<AtomicU64>,
    stop: watch::Sender<bool>,
}

impl DemoSource {
    /// Serves `kind`'s part of `population` on `listener` in a background task.
    pub async fn start(
        kind: SourceKind,
        listener: tokio::net::TcpListener,
        population: Arc<Population>,
        faults: Faults,
    ) -> std::io::Result<DemoSource> {
        let addr = listener.local_addr()?;
        let requests = Arc::new(AtomicU64::new(0));
        let (stop, mut stopped) = watch::channel(false);
        let router = fhir_server::router(fhir_server::SourceState {
            kind,
            population,
            faults,
            requests: requests.clone(),
        });
        tokio::spawn(async move {
            let shutdown = async move {
                let _ = stopped.wait_for(|stop| *stop).await;
            };
            if let Err(error) = axum::serve(listener, router)
                .with_graceful_shutdown(shutdown)
                .await
            {
                tracing::warn!(%error, "demo source stopped with an error");
            }
        });
        Ok(DemoSource {
            kind,
            base_url: format!("http://{addr}/fhir"),
            addr,
            requests,
            stop,
        })
    }

    /// HTTP requests served so far.
    pub fn requests(&self) -> u64 {
        self.requests.load(Ordering::SeqCst)
    }

    /// Stops accepting connections; later requests to this source fail to connect.
    pub fn stop(&self) {
        let _ = self.stop.send(true);
    }
}
