//! Test fixture: the real portal on `127.0.0.1:0` in front of the built-in demo FHIR sources,
//! each on its own loopback port, all over real HTTP.

#![allow(dead_code)]

use app::model::SourceKind;
use app::nhs_number::NhsNumber;
use server::config::{Config, SourceConfig};
use server::demo::{Faults, Population};
use server::demo_mode::DemoSources;
use std::sync::Arc;
use tokio::sync::oneshot;

pub struct Portal {
    pub url: String,
    pub demo: DemoSources,
    pub http: reqwest::Client,
    shutdown: Option<oneshot::Sender<()>>,
}

impl Drop for Portal {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

pub fn population() -> Arc<Population> {
    Arc::new(Population::new(
        Population::DEFAULT_PATIENTS,
        Population::DEFAULT_SEED,
    ))
}

/// Starts demo sources (with `faults`) and the portal; `tweak` may change the config first.
pub async fn start_with(
    population: Arc<Population>,
    faults: impl FnMut(&SourceConfig) -> Faults,
    tweak: impl FnOnce(&mut Config),
) -> Portal {
    let mut config = Config::demo().expect("demo config");
    let demo = server::demo_mode::start(&mut config, population, faults)
        .await
        .expect("demo sources start");
    tweak(&mut config);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind portal");
    let url = format!("http://{}", listener.local_addr().expect("portal addr"));
    let (tx, rx) = oneshot::channel::<()>();
    tokio::spawn(server::run(config, listener, async move {
        let _ = rx.await;
    }));
    Portal {
        url,
        demo,
        http: reqwest::Client::new(),
        shutdown: Some(tx),
    }
}

pub async fn start() -> Portal {
    start_with(population(), |_| Faults::default(), |_| {}).await
}

impl Portal {
    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.http
            .get(format!("{}{path}", self.url))
            .send()
            .await
            .expect("portal answers")
    }

    pub async fn record_json(&self, nhs: &str) -> (reqwest::StatusCode, serde_json::Value) {
        self.record_json_query(nhs, "").await
    }

    /// The record with a query string, e.g. `?refresh=true`.
    pub async fn record_json_query(
        &self,
        nhs: &str,
        query: &str,
    ) -> (reqwest::StatusCode, serde_json::Value) {
        let response = self
            .get(&format!("/api/v1/patients/{nhs}/record{query}"))
            .await;
        let status = response.status();
        (status, response.json().await.expect("JSON body"))
    }

    /// Total requests the demo sources have served so far.
    pub fn source_requests(&self) -> u64 {
        self.demo.sources.iter().map(|s| s.requests()).sum()
    }
}

/// A patient of the default population known at exactly these kinds of source.
pub fn patient_known_at(population: &Population, kinds: &[SourceKind]) -> NhsNumber {
    population
        .nhs_numbers()
        .find(|n| {
            let mut known = population.known_at(*n);
            known.sort_by_key(|k| k.as_str());
            let mut want = kinds.to_vec();
            want.sort_by_key(|k| k.as_str());
            known == want && population.failing_source(*n).is_none()
        })
        .expect("the default population has such a patient")
}

/// One source's report in a record's JSON.
pub fn source_report<'a>(record: &'a serde_json::Value, id: &str) -> &'a serde_json::Value {
    record["sources"]
        .as_array()
        .expect("sources array")
        .iter()
        .find(|s| s["id"] == id)
        .expect("the source is reported")
}

/// The showcase patient whose demo label starts with `label_start`.
pub fn showcase(population: &Population, label_start: &str) -> NhsNumber {
    population
        .showcase()
        .into_iter()
        .find(|p| p.label.starts_with(label_start))
        .map(|p| p.nhs_number)
        .expect("a showcase patient with that label")
}

/// The record's entries as an array.
pub fn entries(record: &serde_json::Value) -> &Vec<serde_json::Value> {
    record["entries"].as_array().expect("entries array")
}
