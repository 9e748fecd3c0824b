//! Integration: documents opened through the portal over real HTTP against the demo sources:
//! a clinician opens a hospital letter's HTML (sanitised), text (escaped) and PDF (inline,
//! with its headers); every refusal answers as the entry route does (role, withheld, dissent,
//! unknown); types the portal does not show, addresses on another origin and documents over
//! the size limit are refused with a message; each view is audited as `document-view`, and
//! nothing is sent when that cannot be written.

use crate::common;

use common::{entries, id_at_source_where, showcase, Portal};
use reqwest::header::HeaderMap;
use serde_json::Value;
use server::audit::EventKind;

/// The showcase patient's clinic letter: its NHS number and the DocumentReference id.
async fn clinic_letter(portal: &Portal) -> (String, String, Value) {
    let nhs = showcase(&portal.demo.population, "hospital letters").as_digits();
    let (status, record) = portal.record_json(&nhs).await;
    assert_eq!(status, 200, "{record}");
    let letter = entries(&record)
        .iter()
        .find(|e| {
            e["resource_type"] == "DocumentReference"
                && e["source_id"] == "acute"
                && e["attachments"].as_array().is_some_and(|a| a.len() == 5)
        })
        .cloned()
        .expect("the clinic letter is on the timeline");
    let id = letter["resource_id"].as_str().unwrap().to_owned();
    (nhs, id, letter)
}

struct Answer {
    status: u16,
    headers: HeaderMap,
    body: Vec<u8>,
}

impl Answer {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }

    fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    }
}

async fn open(client: &reqwest::Client, portal: &Portal, path: &str) -> Answer {
    open_accepting(client, portal, path, "application/json").await
}

async fn open_accepting(
    client: &reqwest::Client,
    portal: &Portal,
    path: &str,
    accept: &str,
) -> Answer {
    let response = client
        .get(format!("{}{path}", portal.url))
        .header("accept", accept)
        .send()
        .await
        .expect("the portal answers");
    Answer {
        status: response.status().as_u16(),
        headers: response.headers().clone(),
        body: response.bytes().await.unwrap().to_vec(),
    }
}

fn document(nhs: &str, source: &str, id: &str, n: usize) -> String {
    format!("/api/v1/patients/{nhs}/documents/{source}/{id}/{n}")
}

#[tokio::test]
async fn a_clinician_opens_the_letter_the_note_and_the_pdf() {
    let portal = common::start().await;
    let (nhs, id, letter) = clinic_letter(&portal).await;
    let viewable: Vec<bool> = letter["attachments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["viewable"].as_bool().unwrap())
        .collect();
    assert_eq!(viewable, [true, true, true, false, true]);
    assert_eq!(letter["attachments"][0]["content_type"], "text/html");
    // The OpenAPI document describes the attachments as sent.
    let doc: Value = portal.get("/api/openapi.json").await.json().await.unwrap();
    assert_eq!(
        common::schema_keys(&doc, "AttachmentInfo"),
        common::object_keys(&letter["attachments"][0])
    );
    assert!(
        doc["paths"]["/api/v1/patients/{nhs_number}/documents/{source}/{id}/{n}"]["get"]
            .is_object()
    );
    let http = &portal.http;

    let html = open(http, &portal, &document(&nhs, "acute", &id, 0)).await;
    assert_eq!(html.status, 200, "{}", html.text());
    assert!(html.header("content-type").starts_with("text/html"));
    assert_eq!(html.header("cache-control"), "no-store");
    assert_eq!(html.header("x-content-type-options"), "nosniff");
    let csp = html.header("content-security-policy");
    assert!(
        csp.contains("default-src 'none'") && !csp.contains("script-src"),
        "no script may run on a document's page: {csp}"
    );
    let page = html.text();
    assert!(
        page.contains("chronic obstructive pulmonary disease"),
        "{page}"
    );
    assert!(
        page.contains("<th scope=\"col\">Test</th>"),
        "tables are kept"
    );
    for probe in [
        "__xss",
        "<script",
        "onerror",
        "onclick",
        "javascript:",
        "<iframe",
        "style=",
        "tracker.example",
        "phish.example",
        "<form",
        "<svg",
    ] {
        assert!(!page.contains(probe), "{probe} survived: {page}");
    }

    let pdf = open(http, &portal, &document(&nhs, "acute", &id, 1)).await;
    assert_eq!(pdf.status, 200, "{}", pdf.text());
    assert_eq!(pdf.header("content-type"), "application/pdf");
    assert!(pdf.header("content-disposition").starts_with("inline"));
    assert_eq!(pdf.header("x-content-type-options"), "nosniff");
    assert_eq!(pdf.header("cache-control"), "no-store");
    assert!(pdf.body.starts_with(b"%PDF-1.4") && pdf.text().contains("%%EOF"));
    assert_eq!(
        Some(pdf.body.len() as u64),
        letter["attachments"][1]["size"].as_u64()
    );

    let note = open(http, &portal, &document(&nhs, "acute", &id, 2)).await;
    assert_eq!(note.status, 200);
    assert_eq!(note.header("cache-control"), "no-store");
    let text = note.text();
    assert!(text.contains("Telephone advice note"));
    assert!(text.contains("&lt;b&gt;not bold&lt;/b&gt;"), "{text}");
    assert!(!text.contains("<b>not bold") && !text.contains("<script"));

    // (attachment, status, error, words)
    let refused = [
        (3, 415, "cannot-show", "application/rtf"),
        (4, 502, "document-refused", "stored outside"),
        (9, 404, "not-found", "no attachment 9"),
    ];
    for (n, status, error, words) in refused {
        let answer = open(http, &portal, &document(&nhs, "acute", &id, n)).await;
        assert_eq!(answer.status, status, "attachment {n}: {}", answer.text());
        assert_eq!(answer.json()["error"], error, "attachment {n}");
        assert!(answer.json()["message"].as_str().unwrap().contains(words));
        assert_eq!(answer.header("cache-control"), "no-store");
    }
    // A browser is shown a page saying why, not JSON.
    let page = open_accepting(
        http,
        &portal,
        &document(&nhs, "acute", &id, 3),
        "text/html,application/xhtml+xml",
    )
    .await;
    assert_eq!(page.status, 415);
    assert!(
        page.text().contains("cannot be shown here"),
        "{}",
        page.text()
    );

    // Each document shown is audited: three views, each naming the patient, source and
    // attachment; nothing for the refused ones.
    let events = portal.audit_events().await;
    let views: Vec<_> = events
        .iter()
        .filter(|e| e.event.kind == EventKind::DocumentView)
        .map(|e| &e.event)
        .collect();
    assert_eq!(views.len(), 3, "{views:?}");
    for (view, n) in views.iter().zip(0..) {
        assert_eq!(view.nhs_number.as_deref(), Some(nhs.as_str()));
        assert_eq!(view.sources, ["acute"]);
        assert_eq!(view.categories, ["document"]);
        assert_eq!(view.basis.as_deref(), Some("permission-given"));
        let detail = view.detail.as_deref().unwrap();
        assert!(
            detail.starts_with(&format!("DocumentReference/{id} attachment {n} (")),
            "{detail}"
        );
        assert!(!detail.contains("pulmonary"), "no clinical content");
    }
    assert_eq!(
        EventKind::parse("document-view"),
        Some(EventKind::DocumentView)
    );
}

#[tokio::test]
async fn refusals_answer_exactly_as_for_the_entry() {
    let portal = common::start().await;
    let (nhs, id, _) = clinic_letter(&portal).await;
    let restricted = showcase(&portal.demo.population, "items labelled").as_digits();
    let restricted_record = {
        let (_, record) = portal.record_json(&restricted).await;
        record
    };
    assert!(
        !restricted_record
            .to_string()
            .contains("Fertility clinic letter"),
        "the very restricted letter is withheld from the record"
    );
    // The very restricted letter the GP holds.
    let withheld_letter = id_at_source_where(
        &portal,
        app::model::SourceKind::Gp,
        &restricted,
        "DocumentReference",
        |r| r["description"] == "Fertility clinic letter",
    )
    .await;
    let dissenting = showcase(&portal.demo.population, "has objected").as_digits();

    let clinician = portal.client_for("ae.clinician").await;
    let call_handler = portal.client_for("call.handler").await;
    let officer = portal.client_for("privacy.officer").await;
    let no_basis = portal.client_with_basis("ae.clinician", None).await;
    let entry = |nhs: &str, source: &str, id: &str| {
        format!("/api/v1/patients/{nhs}/entries/{source}/DocumentReference/{id}")
    };
    // (who, patient, source, document id, status, error)
    let table = [
        (&call_handler, &nhs, "acute", id.as_str(), 404, "not-found"),
        (&officer, &nhs, "acute", id.as_str(), 403, "forbidden"),
        (&no_basis, &nhs, "acute", id.as_str(), 403, "basis-required"),
        (
            &clinician,
            &restricted,
            "gp",
            withheld_letter.as_str(),
            404,
            "not-found",
        ),
        (
            &clinician,
            &nhs,
            "acute",
            "no-such-document",
            404,
            "not-found",
        ),
        (&clinician, &nhs, "nowhere", id.as_str(), 404, "not-found"),
        (&clinician, &dissenting, "gp", "anything", 403, "dissent"),
    ];
    for (client, patient, source, document_id, status, error) in table {
        let opened = open(client, &portal, &document(patient, source, document_id, 0)).await;
        let asked = open(client, &portal, &entry(patient, source, document_id)).await;
        assert_eq!(
            opened.status,
            status,
            "{source}/{document_id}: {}",
            opened.text()
        );
        assert_eq!(opened.json()["error"], error, "{source}/{document_id}");
        assert_eq!(
            (opened.status, opened.json()["error"].clone()),
            (asked.status, asked.json()["error"].clone()),
            "{source}/{document_id}: as the entry route answers"
        );
        assert_eq!(opened.header("cache-control"), "no-store");
        assert!(!opened.header("content-type").starts_with("application/pdf"));
    }
    // A withheld document and an unknown one are indistinguishable: same status, same body.
    let unknown = open(
        &clinician,
        &portal,
        &document(&restricted, "gp", "no-such-document", 0),
    )
    .await;
    for (client, patient, source, document_id) in [
        (&clinician, &restricted, "gp", withheld_letter.as_str()),
        (&call_handler, &nhs, "acute", id.as_str()),
    ] {
        let answer = open(client, &portal, &document(patient, source, document_id, 0)).await;
        assert_eq!(
            (answer.status, answer.body.clone()),
            (unknown.status, unknown.body.clone()),
            "{source}/{document_id}"
        );
    }
    // The withheld ones are audited as refusals; nothing was viewed.
    let events = portal.audit_events().await;
    assert!(events
        .iter()
        .all(|e| e.event.kind != EventKind::DocumentView));
    let withheld = events
        .iter()
        .filter(|e| {
            e.event.kind == EventKind::Denied
                && e.event
                    .detail
                    .as_deref()
                    .unwrap_or_default()
                    .starts_with("Withheld")
                && e.event.nhs_number.as_deref() == Some(restricted.as_str())
        })
        .count();
    assert!(withheld >= 2, "document and entry refusals are audited");
}

#[tokio::test]
async fn a_document_over_the_limit_is_refused_never_cut_short() {
    let portal = common::start_with(
        common::population(),
        |_| server::demo::Faults::default(),
        |config| config.documents.max_bytes = 1024,
    )
    .await;
    let (nhs, id, letter) = clinic_letter(&portal).await;
    assert!(letter["attachments"][0]["size"].as_u64().unwrap() > 1024);
    let answer = open(&portal.http, &portal, &document(&nhs, "acute", &id, 0)).await;
    assert_eq!(answer.status, 413, "{}", answer.text());
    assert_eq!(answer.json()["error"], "too-large");
    let message = answer.json()["message"].as_str().unwrap().to_owned();
    assert!(
        message.contains("is larger than the portal shows (1024 bytes)"),
        "{message}"
    );
    // The small PDF still opens.
    let pdf = open(&portal.http, &portal, &document(&nhs, "acute", &id, 1)).await;
    assert_eq!(pdf.status, 200);
    let events = portal.audit_events().await;
    let views = events
        .iter()
        .filter(|e| e.event.kind == EventKind::DocumentView)
        .count();
    assert_eq!(views, 1, "only what was shown is audited as viewed");
}

/// A store that cannot be written, as when the disk is full or the database is down.
struct Unwritable;

type Fut<'a, T> = futures::future::BoxFuture<'a, Result<T, server::audit::AuditError>>;

impl server::audit::AuditStore for Unwritable {
    fn append<'a>(&'a self, _: &'a [server::audit::AuditEvent]) -> Fut<'a, Vec<i64>> {
        Box::pin(async { Err(server::audit::AuditError::Write("disk I/O error".into())) })
    }
    fn read_after<'a>(&'a self, _: i64, _: u32) -> Fut<'a, Vec<server::audit::StoredEvent>> {
        Box::pin(async { Ok(Vec::new()) })
    }
    fn pending_reviews<'a>(&'a self, _: u32) -> Fut<'a, Vec<server::audit::StoredEvent>> {
        Box::pin(async { Ok(Vec::new()) })
    }
    fn get<'a>(&'a self, _: i64) -> Fut<'a, Option<server::audit::StoredEvent>> {
        Box::pin(async { Ok(None) })
    }
    fn search<'a>(
        &'a self,
        _: &'a server::audit::Filter,
        _: Option<i64>,
        _: u32,
    ) -> Fut<'a, Vec<server::audit::StoredEvent>> {
        Box::pin(async { Ok(Vec::new()) })
    }
    fn read_period<'a>(
        &'a self,
        _: i64,
        _: i64,
        _: Option<(i64, i64)>,
        _: u32,
    ) -> Fut<'a, Vec<server::audit::PeriodEvent>> {
        Box::pin(async { Ok(Vec::new()) })
    }
    fn count_accesses<'a>(
        &'a self,
        _: &'a server::audit::counts::AccessCount,
    ) -> Fut<'a, server::audit::counts::AccessCounts> {
        Box::pin(async { Ok(Default::default()) })
    }
    fn writable(&self) -> Fut<'_, ()> {
        Box::pin(async { Err(server::audit::AuditError::Write("disk I/O error".into())) })
    }
    fn checkpoint(&self) -> Fut<'_, Option<server::audit::Checkpoint>> {
        Box::pin(async { Ok(None) })
    }
    fn purge<'a>(
        &'a self,
        _: i64,
        _: &'a server::audit::AuditEvent,
    ) -> Fut<'a, Option<server::audit::Checkpoint>> {
        Box::pin(async { Err(server::audit::AuditError::Write("disk I/O error".into())) })
    }
}

#[tokio::test]
async fn no_document_is_sent_when_its_view_cannot_be_audited() {
    use app::auth::{Caller, RequestInfo, Role, Viewer};
    use app::consent::{Basis, BasisSource};
    use std::sync::Arc;
    let mut config = server::config::Config::demo().unwrap();
    let population = common::population();
    let _demo = server::demo_mode::start(&mut config, population.clone(), |_| Default::default())
        .await
        .unwrap();
    let desk = server::viewing::RecordDesk::new(
        &config,
        server::audit::AuditTrail::start(Arc::new(Unwritable), 8),
    )
    .unwrap();
    let role = Role::AeClinician;
    let caller = Caller {
        viewer: Viewer {
            user_id: "u".into(),
            name: "Dr A".into(),
            role,
            organisation: None,
            other_roles: 0,
            permissions: server::policy::PermissionMatrix::defaults().permissions(role),
            csrf_token: String::new(),
        },
        basis: BasisSource::Stated(Ok(Some(Basis::new("permission-given", "")))),
        request: RequestInfo::default(),
    };
    let nhs = showcase(&population, "hospital letters");
    // The record as a portal whose audit store works shows it, for the letter's id.
    let path = std::env::temp_dir().join(format!("scrv-documents-{}.db", std::process::id()));
    let _ = std::fs::remove_file(&path);
    let store = server::audit::sqlite::SqliteAudit::open(&path)
        .await
        .unwrap();
    let shown = server::viewing::RecordDesk::new(
        &config,
        server::audit::AuditTrail::start(Arc::new(store), 8),
    )
    .unwrap();
    let record = shown.open(&caller, nhs, false).await.unwrap();
    let letter = record
        .entries
        .iter()
        .find(|e| e.attachments.len() == 5)
        .expect("the clinic letter");
    for n in 0..3 {
        let refused = server::documents::open(
            &desk,
            &config.documents,
            &caller,
            nhs,
            ("acute", letter.resource_id.as_str()),
            n,
        )
        .await
        .unwrap_err();
        assert!(
            matches!(
                &refused,
                server::documents::DocumentError::Lookup(app::api::LookupError::Unavailable(
                    app::api::Outage::ViewNotAudited
                ))
            ),
            "attachment {n}: {refused:?}"
        );
    }
    let _ = std::fs::remove_file(&path);
}
