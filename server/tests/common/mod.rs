//! Test fixture: the real portal on `127.0.0.1:0` in front of the built-in demo FHIR sources,
//! each on its own loopback port, all over real HTTP.

#![allow(dead_code)]

pub mod running;

use app::model::SourceKind;
use app::nhs_number::NhsNumber;
use server::audit::AuditStore;
use server::config::{Config, SourceConfig};
use server::demo::{Faults, Population};
use server::demo_mode::DemoSources;
use std::sync::Arc;
use tokio::sync::oneshot;

pub struct Portal {
    pub url: String,
    /// The portal's audit store (SQLite file).
    pub audit_path: std::path::PathBuf,
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

/// A name part no other portal in this test process uses.
fn rand_suffix() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    NEXT.fetch_add(1, Ordering::SeqCst)
}

/// GETs `url` with `client` and reads the body as JSON, whatever the status.
pub async fn get_json(client: &reqwest::Client, url: impl reqwest::IntoUrl) -> serde_json::Value {
    let response = client
        .get(url)
        .send()
        .await
        .expect("the request is answered");
    response.json().await.expect("a JSON body")
}

/// An object's keys, sorted (to compare a response with its OpenAPI schema).
pub fn object_keys(v: &serde_json::Value) -> Vec<String> {
    let mut keys: Vec<String> = v.as_object().expect("an object").keys().cloned().collect();
    keys.sort();
    keys
}

/// The property names the OpenAPI document gives schema `name`, sorted.
pub fn schema_keys(doc: &serde_json::Value, name: &str) -> Vec<String> {
    object_keys(&doc["components"]["schemas"][name]["properties"])
}

/// A fresh, empty PostgreSQL database for one test, on the server `AUDIT_TEST_POSTGRES_URL`
/// names (the test command starts one); its URL.
pub async fn fresh_postgres() -> String {
    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let url = std::env::var("AUDIT_TEST_POSTGRES_URL").expect(
        "AUDIT_TEST_POSTGRES_URL is not set: run the tests with .ci/test (it starts PostgreSQL), \
         or point it at a PostgreSQL server this test may create databases on",
    );
    let admin = sqlx::PgPool::connect(&url).await.unwrap();
    let name = format!(
        "test_{}_{}",
        std::process::id(),
        NEXT.fetch_add(1, std::sync::atomic::Ordering::SeqCst)
    );
    sqlx::raw_sql(&format!("CREATE DATABASE {name}"))
        .execute(&admin)
        .await
        .unwrap();
    admin.close().await;
    let (base, _) = url.rsplit_once('/').unwrap();
    format!("{base}/{name}")
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
    start_on(population, faults, tweak, None).await
}

/// Starts demo sources and the portal on `store` instead of its own SQLite audit trail (a
/// store that fails, say); `tweak` may change the config first.
pub async fn start_on_store(store: Arc<dyn AuditStore>, tweak: impl FnOnce(&mut Config)) -> Portal {
    start_on(population(), |_| Faults::default(), tweak, Some(store)).await
}

async fn start_on(
    population: Arc<Population>,
    faults: impl FnMut(&SourceConfig) -> Faults,
    tweak: impl FnOnce(&mut Config),
    store: Option<Arc<dyn AuditStore>>,
) -> Portal {
    let mut config = Config::demo().expect("demo config");
    let demo = server::demo_mode::start(&mut config, population, faults)
        .await
        .expect("demo sources start");
    // Tests fire many lookups and refreshes as one user; the limits have their own tests.
    config.identity.lookup_rate = server::ratelimit::RateLimit {
        per_minute: 100_000,
        burst: 10_000,
    };
    config.cache.refresh_interval_s = 0;
    // Each portal writes its own audit trail.
    config.audit.sqlite_path = std::env::temp_dir()
        .join(format!("scrv-test-{}", std::process::id()))
        .join(format!("audit-{}.sqlite", rand_suffix()));
    config.child_protection.outbox_path = config.audit.sqlite_path.with_extension("outbox.sqlite");
    tweak(&mut config);
    let audit_path = config.audit.sqlite_path.clone();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind portal");
    let url = format!("http://{}", listener.local_addr().expect("portal addr"));
    let (tx, rx) = oneshot::channel::<()>();
    let shutdown = async move {
        let _ = rx.await;
    };
    match store {
        Some(store) => tokio::spawn(server::run_on_store(config, store, listener, shutdown)),
        None => tokio::spawn(server::run(config, listener, shutdown)),
    };
    let mut portal = Portal {
        url,
        audit_path,
        demo,
        http: reqwest::Client::new(),
        shutdown: Some(tx),
    };
    // Tests act as an A&E clinician unless they say otherwise.
    portal.http = portal.client_for("ae.clinician").await;
    portal
}

pub async fn start() -> Portal {
    start_with(population(), |_| Faults::default(), |_| {}).await
}

/// Leaves out the demo's GP Connect practice: for tests about the four FHIR R4 sources (each
/// patient's R4 sources, their faults, their timing); `tests/gp_connect.rs` covers the fifth.
pub fn without_gp_connect(config: &mut Config) {
    config
        .sources
        .retain(|s| s.api != server::config::SourceApi::GpConnect);
}

/// [`start`] with the four FHIR R4 demo sources only.
pub async fn start_r4() -> Portal {
    start_with(population(), |_| Faults::default(), without_gp_connect).await
}

impl Portal {
    /// A bearer token for a demo user from the demo identity provider.
    pub async fn token_for(&self, login: &str) -> String {
        self.token_with(&[("user", login)]).await
    }

    /// Two tokens for one person (`ae.auditor`, one `sub`) who is both an A&E clinician and
    /// an audit officer: (as the clinician, as the officer).
    pub async fn clinician_and_officer_tokens(&self) -> (String, String) {
        let as_clinician = self
            .token_with(&[("user", "ae.auditor"), ("role", "555000000108")])
            .await;
        let as_officer = self
            .token_with(&[("user", "ae.auditor"), ("role", "555000000109")])
            .await;
        (as_clinician, as_officer)
    }

    /// A token from the demo identity provider's `demo-token` endpoint with these fields.
    pub async fn token_with(&self, form: &[(&str, &str)]) -> String {
        running::demo_token(&self.url, form).await
    }

    /// An HTTP client sending a demo user's bearer token, and the legitimate basis
    /// `permission-given`, on every request.
    pub async fn client_for(&self, login: &str) -> reqwest::Client {
        self.client_with_basis(login, Some(("permission-given", "")))
            .await
    }

    /// An HTTP client sending a demo user's bearer token and, when given, a legitimate basis
    /// (code, reason) on every request.
    pub async fn client_with_basis(
        &self,
        login: &str,
        basis: Option<(&str, &str)>,
    ) -> reqwest::Client {
        bearer_client(&self.token_for(login).await, basis)
    }

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

    /// Every audit event the portal has stored so far, in chain order.
    pub async fn audit_events(&self) -> Vec<server::audit::StoredEvent> {
        let store = server::audit::sqlite::SqliteAudit::open(&self.audit_path)
            .await
            .expect("audit store opens");
        let events = store.read_after(0, 1_000_000).await.expect("audit events");
        store.close().await;
        events
    }

    /// Total requests the demo sources have served so far.
    pub fn source_requests(&self) -> u64 {
        self.demo.sources.iter().map(|s| s.requests()).sum()
    }
}

/// An HTTP client sending `token` and, when given, a legitimate basis (code, reason) on every
/// request, as a machine client of the API would.
pub fn bearer_client(token: &str, basis: Option<(&str, &str)>) -> reqwest::Client {
    let mut headers = reqwest::header::HeaderMap::new();
    if let Some((code, reason)) = basis {
        headers.insert("legitimate-basis", code.parse().expect("header value"));
        let reason: String = url::form_urlencoded::byte_serialize(reason.as_bytes()).collect();
        headers.insert(
            "legitimate-basis-reason",
            reason.replace('+', "%20").parse().expect("header value"),
        );
    }
    headers.insert(
        reqwest::header::AUTHORIZATION,
        format!("Bearer {token}").parse().expect("header value"),
    );
    reqwest::Client::builder()
        .default_headers(headers)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
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

/// The id of the first `resource_type` the demo source of `kind` holds for the patient that
/// `pick`s, asked of the source directly (as its own staff could), not through the portal's
/// rules: the id a test then asks the portal for.
pub async fn id_at_source_where(
    portal: &Portal,
    kind: SourceKind,
    nhs: &str,
    resource_type: &str,
    pick: impl Fn(&serde_json::Value) -> bool,
) -> String {
    let source = portal
        .demo
        .sources
        .iter()
        .find(|s| s.kind == kind)
        .expect("a demo source of that kind");
    let http = reqwest::Client::new();
    let patients = get_json(
        &http,
        format!(
            "{}/Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|{nhs}",
            source.base_url
        ),
    )
    .await;
    let patient = patients["entry"][0]["resource"]["id"]
        .as_str()
        .expect("the source knows the patient");
    let found = get_json(
        &http,
        format!("{}/{resource_type}?patient={patient}", source.base_url),
    )
    .await;
    found["entry"]
        .as_array()
        .expect("a searchset bundle")
        .iter()
        .map(|e| &e["resource"])
        .find(|r| pick(r))
        .and_then(|r| r["id"].as_str())
        .expect("the demo source holds such a resource")
        .to_owned()
}

/// The id of the first security-labelled (restricted) `resource_type` the demo source of
/// `kind` holds for the patient.
pub async fn labelled_id_at_source(
    portal: &Portal,
    kind: SourceKind,
    nhs: &str,
    resource_type: &str,
) -> String {
    id_at_source_where(portal, kind, nhs, resource_type, |r| {
        r["meta"]["security"].is_array()
    })
    .await
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

/// A browser session over real HTTP: the cookie the portal set after signing in.
#[derive(Clone)]
pub struct Browser {
    pub base: String,
    pub http: reqwest::Client,
    /// `name=value` of the session cookie, when signed in.
    pub session: Option<String>,
}

/// `name=value` of the cookie `name` a response sets.
pub fn set_cookie(response: &reqwest::Response, name: &str) -> Option<String> {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| v.split(';').next())
        .find(|pair| pair.starts_with(&format!("{name}=")))
        .map(str::to_owned)
}

impl Portal {
    /// A browser that has not signed in.
    pub fn browser(&self) -> Browser {
        Browser::at(&self.url)
    }

    /// Signs `login` in through the demo identity provider, as a browser would (authorization
    /// code with PKCE), and returns the browser holding the session cookie.
    pub async fn sign_in(&self, login: &str) -> Browser {
        let (mut browser, response) = self.sign_in_callback(login).await;
        browser.session = set_cookie(&response, "scr_session");
        assert!(
            browser.session.is_some(),
            "{login} signed in: {}",
            response.status()
        );
        browser
    }

    /// Goes through the demo identity provider as [`Portal::sign_in`] does, up to and
    /// including the portal's callback: a browser not yet signed in, and the callback's answer.
    pub async fn sign_in_callback(&self, login: &str) -> (Browser, reqwest::Response) {
        sign_in_callback_at(&self.url, login).await
    }
}

/// Goes through the demo identity provider of the portal at `base` as a browser does, up to
/// and including the portal's callback: a browser not yet signed in, and the callback's answer.
pub async fn sign_in_callback_at(base: &str, login: &str) -> (Browser, reqwest::Response) {
    let browser = Browser::at(base);
    let response = browser.get("/auth/login?issuer=demo&next=/").await;
    assert_eq!(response.status(), 303, "sign-in starts with a redirect");
    let login_cookie = set_cookie(&response, "scr_login").expect("login cookie");
    let authorize = url::Url::parse(response.headers()["location"].to_str().unwrap())
        .expect("authorization URL");
    let mut form: Vec<(String, String)> = authorize.query_pairs().into_owned().collect();
    form.push(("login".into(), login.into()));
    let response = browser
        .http
        .post(format!("{base}/demo-idp/authorize"))
        .form(&form)
        .send()
        .await
        .expect("provider answers");
    assert_eq!(response.status(), 303, "the provider redirects back");
    let callback = response.headers()["location"].to_str().unwrap().to_owned();
    let response = browser
        .http
        .get(&callback)
        .header("cookie", login_cookie)
        .send()
        .await
        .expect("callback answers");
    (browser, response)
}

impl Browser {
    /// A browser at the portal `base` that has not signed in.
    pub fn at(base: &str) -> Self {
        Self {
            base: base.to_owned(),
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("client"),
            session: None,
        }
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        let mut request = self.http.get(format!("{}{path}", self.base));
        if let Some(cookie) = &self.session {
            request = request.header("cookie", cookie);
        }
        request.send().await.expect("portal answers")
    }

    /// A POST as the portal's own pages make it (same Origin), form-encoded.
    pub async fn post(&self, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
        self.post_from(path, form, Some(&self.base.clone())).await
    }

    /// A POST with the given `Origin` header (none when `None`).
    pub async fn post_from(
        &self,
        path: &str,
        form: &[(&str, &str)],
        origin: Option<&str>,
    ) -> reqwest::Response {
        let mut request = self
            .http
            .post(format!("{}{path}", self.base))
            .header("accept", "application/json")
            .form(form);
        if let Some(cookie) = &self.session {
            request = request.header("cookie", cookie);
        }
        if let Some(origin) = origin {
            request = request.header("origin", origin);
        }
        request.send().await.expect("portal answers")
    }

    /// The session as the header sees it (`null` when signed out).
    pub async fn whoami(&self) -> serde_json::Value {
        self.post("/sfn/whoami", &[])
            .await
            .json()
            .await
            .expect("JSON")
    }
}

/// A server-function call with a bearer token, form-encoded, and its status and JSON body.
pub async fn sfn(
    portal: &Portal,
    token: &str,
    path: &str,
    form: &[(&str, &str)],
) -> (u16, serde_json::Value) {
    let response = reqwest::Client::new()
        .post(format!("{}{path}", portal.url))
        .bearer_auth(token)
        .header("accept", "application/json")
        .form(form)
        .send()
        .await
        .expect("portal answers");
    let status = response.status().as_u16();
    (
        status,
        response.json().await.unwrap_or(serde_json::Value::Null),
    )
}
