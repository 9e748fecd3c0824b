//! Integration: the portal on an audit store whose disk has gone, and a notification outbox
//! whose table has been dropped. Every caller (audit workspace, audit export, operations page,
//! record lookup, sign-in) is answered with the right status and fixed words, never the
//! store's own text (it names the driver, tables and files); the cause is in the log, under
//! the request id the response carries. A server function's fields that cannot be read are
//! refused as bad input, without the framework's words either.

use crate::common;

use app::api::{LookupError, Outage};
use common::{patient_known_at, Portal};
use futures::future::BoxFuture;
use server::audit::counts::{AccessCount, AccessCounts};
use server::audit::{
    AuditError, AuditEvent, AuditStore, Checkpoint, Filter, PeriodEvent, StoredEvent,
};
use std::sync::{Arc, Mutex};

/// In every failure the broken store gives: unique, so it can be looked for in bodies and log.
const MARKER: &str = "disk I/O error (injected)";
/// The failure as SQLite's driver words it.
const CAUSE: &str = "error returned from database: (code: 266) disk I/O error (injected)";
/// What SQLite says once the outbox's table is gone.
const OUTBOX_MARKER: &str = "no such table: notifications";
/// Words no caller may be shown: a driver's, a database's, the injected cause's.
const NEVER_SHOWN: [&str; 6] = [
    MARKER,
    OUTBOX_MARKER,
    "sqlx",
    "sqlite",
    "database",
    "(code:",
];

/// An audit store whose disk has gone: nothing can be read or written.
struct BrokenDisk;

fn unreadable<T: 'static>() -> BoxFuture<'static, Result<T, AuditError>> {
    Box::pin(async { Err(AuditError::Read(CAUSE.into())) })
}

fn unwritable<T: 'static>() -> BoxFuture<'static, Result<T, AuditError>> {
    Box::pin(async { Err(AuditError::Write(CAUSE.into())) })
}

impl AuditStore for BrokenDisk {
    fn append<'a>(&'a self, _: &'a [AuditEvent]) -> BoxFuture<'a, Result<Vec<i64>, AuditError>> {
        unwritable()
    }
    fn read_after<'a>(
        &'a self,
        _: i64,
        _: u32,
    ) -> BoxFuture<'a, Result<Vec<StoredEvent>, AuditError>> {
        unreadable()
    }
    fn pending_reviews<'a>(
        &'a self,
        _: u32,
    ) -> BoxFuture<'a, Result<Vec<StoredEvent>, AuditError>> {
        unreadable()
    }
    fn get<'a>(&'a self, _: i64) -> BoxFuture<'a, Result<Option<StoredEvent>, AuditError>> {
        unreadable()
    }
    fn search<'a>(
        &'a self,
        _: &'a Filter,
        _: Option<i64>,
        _: u32,
    ) -> BoxFuture<'a, Result<Vec<StoredEvent>, AuditError>> {
        unreadable()
    }
    fn read_period<'a>(
        &'a self,
        _: i64,
        _: i64,
        _: Option<(i64, i64)>,
        _: u32,
    ) -> BoxFuture<'a, Result<Vec<PeriodEvent>, AuditError>> {
        unreadable()
    }
    fn count_accesses<'a>(
        &'a self,
        _: &'a AccessCount,
    ) -> BoxFuture<'a, Result<AccessCounts, AuditError>> {
        unreadable()
    }
    fn writable(&self) -> BoxFuture<'_, Result<(), AuditError>> {
        unwritable()
    }
    fn checkpoint(&self) -> BoxFuture<'_, Result<Option<Checkpoint>, AuditError>> {
        unreadable()
    }
    fn purge<'a>(
        &'a self,
        _: i64,
        _: &'a AuditEvent,
    ) -> BoxFuture<'a, Result<Option<Checkpoint>, AuditError>> {
        unwritable()
    }
}

/// What the application logs while the test runs (this thread only: `#[tokio::test]` runs the
/// portal's tasks on the test's own thread, and other tests' portals log elsewhere).
#[derive(Clone, Default)]
struct Log(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Log {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Log {
    /// Starts capturing; capture ends when the guard is dropped.
    fn capture(&self) -> tracing::subscriber::DefaultGuard {
        let log = self.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(move || log.clone())
            .with_ansi(false)
            .with_max_level(tracing::Level::WARN)
            .finish();
        tracing::subscriber::set_default(subscriber)
    }

    /// The lines that mention `words`.
    fn lines_with(&self, words: &str) -> Vec<String> {
        let bytes = self.0.lock().unwrap_or_else(|e| e.into_inner()).clone();
        String::from_utf8_lossy(&bytes)
            .lines()
            .filter(|line| line.contains(words))
            .map(str::to_owned)
            .collect()
    }
}

/// How a row's request is made, and as whom.
enum Ask {
    /// A server function, form-encoded, as the pages call it.
    Sfn(&'static str, &'static str, Vec<(&'static str, String)>),
    /// A GET of the JSON API.
    Api(&'static str, String),
    /// The browser sign-in, up to the portal's callback.
    SignIn(&'static str),
}

/// What an answer carried: status, body, request id, and the words a person is shown.
struct Answer {
    status: u16,
    body: String,
    request_id: String,
    shown: String,
}

async fn ask(portal: &Portal, ask: &Ask) -> Answer {
    let (response, sfn) = match ask {
        Ask::Sfn(login, path, form) => {
            let client = portal.client_for(login).await;
            let request = client
                .post(format!("{}{path}", portal.url))
                .header("accept", "application/json")
                .form(form);
            (request.send().await.expect("portal answers"), true)
        }
        Ask::Api(login, path) => {
            let client = portal.client_for(login).await;
            let request = client.get(format!("{}{path}", portal.url));
            (request.send().await.expect("portal answers"), false)
        }
        Ask::SignIn(login) => (portal.sign_in_callback(login).await.1, false),
    };
    let status = response.status().as_u16();
    let request_id = response
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let body = response.text().await.expect("a body");
    let shown = shown(&body, sfn);
    Answer {
        status,
        body,
        request_id,
        shown,
    }
}

/// The words a person is shown: a server function's error as the page words it, the JSON
/// API's message, or the page itself.
fn shown(body: &str, sfn: bool) -> String {
    if sfn {
        return serde_json::from_str::<LookupError>(body)
            .map(|e| e.to_string())
            .unwrap_or_else(|e| panic!("not a LookupError ({e}): {body}"));
    }
    match serde_json::from_str::<serde_json::Value>(body) {
        Ok(json) => json["message"].as_str().unwrap_or_default().to_owned(),
        Err(_) => body.to_owned(),
    }
}

/// Drops the outbox's table under the running portal, as a botched migration or a restored
/// backup of the wrong file would: every later read of it fails.
async fn break_outbox(path: &std::path::Path) {
    use sqlx::ConnectOptions;
    let mut connection = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(path)
        .busy_timeout(std::time::Duration::from_secs(5))
        .connect()
        .await
        .expect("the outbox opens");
    sqlx::query("DROP TABLE notifications")
        .execute(&mut connection)
        .await
        .expect("the outbox's table is dropped");
}

#[tokio::test]
async fn a_broken_store_is_answered_in_plain_words_and_its_cause_is_logged() {
    let log = Log::default();
    let _capture = log.capture();
    let outbox = std::env::temp_dir()
        .join(format!("scrv-test-{}", std::process::id()))
        .join("broken-store.outbox.sqlite");
    // A run before this one in a process with the same id left its outbox: start afresh.
    let _ = std::fs::remove_file(&outbox);
    let outbox_path = outbox.clone();
    let portal = common::start_on_store(Arc::new(BrokenDisk), move |config| {
        config.child_protection.outbox_path = outbox_path;
    })
    .await;
    break_outbox(&outbox).await;
    let nhs = patient_known_at(&portal.demo.population, &[app::model::SourceKind::Gp]);
    let nhs = nhs.as_digits();

    let officer = "privacy.officer";
    let period = || vec![("query[from]", String::new()), ("query[to]", String::new())];
    let read = Outage::AuditRead.to_string();
    // (what, request, status, words shown, the cause logged under the request id)
    let table = [
        (
            "audit search",
            Ask::Sfn(
                officer,
                "/sfn/audit-search",
                vec![("query[user]", "x".into())],
            ),
            503,
            read.clone(),
            MARKER,
        ),
        (
            "emergency review queue",
            Ask::Sfn(officer, "/sfn/audit-reviews", vec![]),
            503,
            read.clone(),
            MARKER,
        ),
        (
            "review history",
            Ask::Sfn(officer, "/sfn/audit-reviewed", period()),
            503,
            read.clone(),
            MARKER,
        ),
        (
            "a review",
            Ask::Sfn(
                officer,
                "/sfn/audit-review",
                vec![
                    ("seq", "1".into()),
                    ("note", "checked with the ward".into()),
                ],
            ),
            503,
            read.clone(),
            MARKER,
        ),
        (
            "chain check",
            Ask::Sfn(officer, "/sfn/audit-verify", vec![]),
            503,
            read.clone(),
            MARKER,
        ),
        (
            "access report",
            Ask::Sfn(officer, "/sfn/audit-report", period()),
            503,
            read.clone(),
            MARKER,
        ),
        (
            "patient access report",
            Ask::Sfn(
                officer,
                "/sfn/audit-patient",
                vec![("nhs_number", nhs.clone())],
            ),
            503,
            read.clone(),
            MARKER,
        ),
        (
            "CSV export",
            Ask::Api(officer, "/api/v1/audit/events?format=csv".into()),
            503,
            read.clone(),
            MARKER,
        ),
        (
            "FHIR export",
            Ask::Api(
                officer,
                format!("/api/v1/audit/events?format=fhir&nhs_number={nhs}"),
            ),
            503,
            read.clone(),
            MARKER,
        ),
        (
            "notification status",
            Ask::Sfn("ops.admin", "/sfn/ops-notifications", vec![]),
            503,
            Outage::DeliveryStatus.to_string(),
            OUTBOX_MARKER,
        ),
        (
            "record lookup (API)",
            Ask::Api("ae.clinician", format!("/api/v1/patients/{nhs}/record")),
            503,
            Outage::ViewNotAudited.to_string(),
            MARKER,
        ),
        (
            "record lookup (page's server function)",
            Ask::Sfn(
                "ae.clinician",
                "/sfn/record",
                vec![("nhs_number", nhs.clone()), ("refresh", "false".into())],
            ),
            503,
            Outage::ViewNotAudited.to_string(),
            MARKER,
        ),
        (
            "sign-in",
            Ask::SignIn("ae.clinician"),
            503,
            "sign-in cannot be recorded in the audit trail, so it is refused; try again, and \
             tell the service desk if it keeps happening"
                .to_owned(),
            MARKER,
        ),
    ];

    for (what, request, status, words, cause) in table {
        let answer = ask(&portal, &request).await;
        assert_eq!(answer.status, status, "{what}: {}", answer.body);
        assert!(
            answer.shown.contains(&words),
            "{what}: {:?} lacks {words:?}",
            answer.shown
        );
        let body = answer.body.to_lowercase();
        for never in NEVER_SHOWN {
            assert!(
                !body.contains(&never.to_lowercase()),
                "{what}: the body shows {never:?}: {}",
                answer.body
            );
        }
        assert!(!body.contains(&nhs), "{what}: the body names the patient");
        // The cause is logged, under the request id the response carries.
        assert!(!answer.request_id.is_empty(), "{what}: a request id");
        let logged = log.lines_with(&answer.request_id);
        assert!(
            logged.iter().any(|line| line.contains(cause)),
            "{what}: no log line for request {} holds {cause:?}: {logged:#?}",
            answer.request_id
        );
    }
}

/// The readiness probe: a portal whose audit store takes writes is ready; one whose store
/// takes none is not, naming the failing check and never its cause (that is logged), while
/// the liveness probe still answers.
#[tokio::test]
async fn the_readiness_probe_fails_while_the_audit_store_takes_no_writes() {
    let log = Log::default();
    let _capture = log.capture();
    let broken = common::start_on_store(Arc::new(BrokenDisk), |_| {}).await;
    let healthy = common::start().await;
    let probe = |portal: &Portal, path: &str| reqwest::get(format!("{}{path}", portal.url));

    let ready = probe(&healthy, "/readyz").await.unwrap();
    assert_eq!(ready.status(), 200);
    let body: serde_json::Value = ready.json().await.unwrap();
    assert_eq!(
        body,
        serde_json::json!({"status": "ready", "checks":
            {"audit_store": "ok", "sources": "ok", "identity_keys": "ok"}})
    );

    let not_ready = probe(&broken, "/readyz").await.unwrap();
    assert_eq!(not_ready.status(), 503);
    assert_eq!(not_ready.headers()["cache-control"], "no-store");
    let text = not_ready.text().await.unwrap();
    for never in NEVER_SHOWN {
        assert!(!text.contains(never), "the probe shows {never:?}: {text}");
    }
    let body: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        body,
        serde_json::json!({"status": "not-ready", "checks":
            {"audit_store": "failing", "sources": "ok", "identity_keys": "ok"}})
    );
    let logged = log.lines_with("not ready");
    assert!(
        logged.iter().any(|line| line.contains(MARKER)),
        "the cause is logged: {logged:#?}"
    );
    assert_eq!(probe(&broken, "/healthz").await.unwrap().status(), 200);
}

#[tokio::test]
async fn unreadable_server_function_fields_are_bad_input_in_plain_words() {
    let portal = common::start().await;
    let officer = portal.client_for("privacy.officer").await;
    // (what, fields sent to /sfn/audit-review)
    let table = [
        (
            "a sequence number that is not a number",
            vec![("seq", "seven"), ("note", "checked")],
        ),
        ("no sequence number", vec![("note", "checked")]),
    ];
    for (what, form) in table {
        let response = officer
            .post(format!("{}/sfn/audit-review", portal.url))
            .header("accept", "application/json")
            .form(&form)
            .send()
            .await
            .expect("portal answers");
        assert_eq!(response.status(), 400, "{what}");
        let body = response.text().await.expect("a body");
        let refused: LookupError = serde_json::from_str(&body).expect("a LookupError");
        assert!(
            matches!(&refused, LookupError::InvalidInput(words) if words.contains("reload the page")),
            "{what}: {body}"
        );
        for framework in [
            "deserializ",
            "invalid digit",
            "missing field",
            "server function",
        ] {
            assert!(!body.contains(framework), "{what}: {body}");
        }
    }
}
