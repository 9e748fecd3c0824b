//! The audit trail over real HTTP and against the store itself: each kind of event written
//! with the right fields, the workspace refused to every role but the audit officer, reviews
//! taking an access off the queue, tampering caught at the edited row, and no patient data
//! shown when the audit store cannot be written.

use crate::common;

use app::audit_terms::RefusalKind;
use app::auth::{Caller, RequestInfo, Role, Viewer};
use app::consent::{Basis, BasisSource};
use app::model::SourceKind;
use common::{patient_known_at, showcase, Portal};
use serde_json::Value;
use server::audit::sqlite::SqliteAudit;
use server::audit::{
    AuditError, AuditEvent, AuditStore, AuditTrail, EventKind, Outcome, StoredEvent,
};
use std::sync::Arc;

const REASON: &str = "Unconscious after a fall, no one with them to ask";

async fn post(browser: &common::Browser, path: &str, form: &[(&str, &str)]) -> (u16, Value) {
    let response = browser.post(path, form).await;
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

fn of_kind(events: &[StoredEvent], kind: EventKind) -> Vec<&StoredEvent> {
    events.iter().filter(|e| e.event.kind == kind).collect()
}

/// The kinds of the events written since `since` (an index into the chain), with their
/// outcomes and NHS numbers, in chain order.
async fn written_since(
    portal: &Portal,
    since: usize,
) -> Vec<(&'static str, Outcome, Option<String>)> {
    portal.audit_events().await[since..]
        .iter()
        .map(|e| {
            (
                e.event.kind.as_str(),
                e.event.outcome,
                e.event.nhs_number.clone(),
            )
        })
        .collect()
}

/// An ordinary open writes what happened and nothing that did not: in the browser, the
/// identity check shown with the basis prompt, the basis, the view; over the API with its
/// basis, the view alone. No refusal in either.
#[tokio::test]
async fn an_ordinary_open_writes_exactly_its_events_and_no_refusal() {
    let portal = common::start().await;
    let nhs = patient_known_at(&portal.demo.population, &[SourceKind::Gp]).as_digits();
    let success = |kind| (kind, Outcome::Success, Some(nhs.clone()));
    let in_the_browser = [
        success("patient-search"),
        success("basis-recorded"),
        success("record-view"),
    ];

    // The record page, as a browser opens it: the page (basis prompt), the basis, the page.
    let clinician = portal.sign_in("ae.clinician").await;
    let since = portal.audit_events().await.len();
    let prompt = clinician.get(&format!("/record?nhs={nhs}")).await;
    assert_eq!(prompt.status(), 200);
    let html = prompt.text().await.unwrap();
    let prompted = format!("data-testid=\"{}\"", app::ids::BASIS_PROMPT);
    assert!(html.contains(&prompted), "the basis prompt is shown");
    let basis = [
        ("nhs_number", nhs.as_str()),
        ("code", "permission-given"),
        ("reason", ""),
    ];
    assert_eq!(post(&clinician, "/sfn/basis", &basis).await.0, 200);
    let page = clinician.get(&format!("/record?nhs={nhs}")).await;
    assert_eq!(page.status(), 200);
    assert!(!page.text().await.unwrap().contains(&prompted));
    assert_eq!(written_since(&portal, since).await, in_the_browser);

    // The same through the server functions the hydrated page calls.
    let other = portal.sign_in("ooh.clinician").await;
    let since = portal.audit_events().await.len();
    let record = [("nhs_number", nhs.as_str()), ("refresh", "false")];
    assert_eq!(post(&other, "/sfn/record", &record).await.0, 403);
    assert_eq!(post(&other, "/sfn/basis", &basis).await.0, 200);
    assert_eq!(post(&other, "/sfn/record", &record).await.0, 200);
    assert_eq!(written_since(&portal, since).await, in_the_browser);

    // The API, its basis sent with the request.
    let api = portal.client_for("ae.clinician").await;
    let since = portal.audit_events().await.len();
    let url = format!("{}/api/v1/patients/{nhs}/record", portal.url);
    assert_eq!(api.get(&url).send().await.unwrap().status(), 200);
    assert_eq!(
        written_since(&portal, since).await,
        [success("record-view")]
    );
}

#[tokio::test]
async fn every_kind_of_event_is_written_with_its_fields() {
    let portal = common::start().await;
    let population = &portal.demo.population;
    let nhs = patient_known_at(population, &[SourceKind::Gp, SourceKind::Acute]).as_digits();
    let dissenting = showcase(population, "has objected").as_digits();

    // A browser session: sign in, basis, view, a refusal, sign out.
    let clinician = portal.sign_in("ae.clinician").await;
    let (status, _) = post(
        &clinician,
        "/sfn/record",
        &[("nhs_number", &nhs), ("refresh", "false")],
    )
    .await;
    assert_eq!(status, 403, "no basis yet");
    let basis = [
        ("nhs_number", nhs.as_str()),
        ("code", "permission-given"),
        ("reason", ""),
    ];
    assert_eq!(post(&clinician, "/sfn/basis", &basis).await.0, 200);
    assert_eq!(
        post(
            &clinician,
            "/sfn/record",
            &[("nhs_number", &nhs), ("refresh", "false")]
        )
        .await
        .0,
        200
    );
    let who = clinician.whoami().await;
    let csrf = who["csrf_token"].as_str().unwrap().to_owned();
    let signed_out = clinician.post("/auth/signout", &[("csrf", &csrf)]).await;
    assert_eq!(signed_out.status(), 303);

    // A locum choosing a role.
    let locum = portal.sign_in("locum.doctor").await;
    let csrf = locum.whoami().await["csrf_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let chosen = locum
        .post(
            "/auth/role",
            &[("role", "0"), ("csrf", &csrf), ("next", "/")],
        )
        .await;
    assert_eq!(chosen.status(), 303);

    // The API: an emergency access, a dissent refusal, an item by id, a search.
    let emergency = portal
        .client_with_basis("ae.clinician", Some(("emergency", REASON)))
        .await;
    let url = |path: String| format!("{}{path}", portal.url);
    let viewed = common::get_json(&emergency, url(format!("/api/v1/patients/{nhs}/record"))).await;
    let first = &viewed["entries"][0];
    let item = format!(
        "/api/v1/patients/{nhs}/entries/{}/{}/{}",
        first["source_id"].as_str().unwrap(),
        first["resource_type"].as_str().unwrap(),
        first["resource_id"].as_str().unwrap()
    );
    assert_eq!(emergency.get(url(item)).send().await.unwrap().status(), 200);
    let given = portal.client_for("ooh.clinician").await;
    let refused = given
        .get(url(format!("/api/v1/patients/{dissenting}/record")))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 403);
    let searched = given
        .get(url(
            "/api/v1/patients?family=Smith&birthdate=1970-01-01".into()
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(searched.status(), 200);

    let events = portal.audit_events().await;
    let nhs_of = |e: &StoredEvent| e.event.nhs_number.clone();

    let sign_ins = of_kind(&events, EventKind::SignIn);
    assert!(sign_ins.iter().any(|e| e.event.user_name == "Dr Asha Patel"
        && e.event.role.as_deref() == Some("ae-clinician")
        && e.event.outcome == Outcome::Success
        && !e.event.client.is_empty()
        && e.event.request_id.len() == 16));
    let sign_out = of_kind(&events, EventKind::SignOut);
    assert_eq!(sign_out.len(), 1);
    assert_eq!(sign_out[0].event.role.as_deref(), Some("ae-clinician"));
    let chosen = of_kind(&events, EventKind::RoleChosen);
    assert_eq!(chosen.len(), 1);
    assert!(chosen[0].event.role.is_some());

    // The basis prompt the page was shown is not a refusal: it is on record as the identity
    // check that came with it.
    let denied = of_kind(&events, EventKind::Denied);
    assert!(denied
        .iter()
        .all(|e| nhs_of(e).as_deref() != Some(nhs.as_str())));
    assert!(of_kind(&events, EventKind::PatientSearch)
        .iter()
        .any(|e| nhs_of(e).as_deref() == Some(nhs.as_str())
            && e.event.outcome == Outcome::Success
            && e.event.detail.as_deref() == Some("identity shown before a basis")));
    let dissent = denied
        .iter()
        .find(|e| nhs_of(e).as_deref() == Some(dissenting.as_str()))
        .expect("the dissent refusal is audited");
    assert_eq!(dissent.event.basis.as_deref(), Some("permission-given"));
    assert_eq!(dissent.event.role.as_deref(), Some("urgent-care-clinician"));

    let bases = of_kind(&events, EventKind::BasisRecorded);
    assert_eq!(bases.len(), 1);
    assert_eq!(bases[0].event.basis.as_deref(), Some("permission-given"));

    let views = of_kind(&events, EventKind::RecordView);
    assert_eq!(views.len(), 1);
    let view = &views[0].event;
    assert_eq!(view.nhs_number.as_deref(), Some(nhs.as_str()));
    assert_eq!(view.sources, ["gp", "acute"]);
    assert!(!view.categories.is_empty());
    assert_eq!(view.basis.as_deref(), Some("permission-given"));

    let emergencies = of_kind(&events, EventKind::EmergencyAccess);
    assert_eq!(emergencies.len(), 1);
    assert_eq!(emergencies[0].event.reason.as_deref(), Some(REASON));
    assert_eq!(emergencies[0].event.basis.as_deref(), Some("emergency"));

    assert_eq!(of_kind(&events, EventKind::EntryView).len(), 1);
    let searches = of_kind(&events, EventKind::PatientSearch);
    assert_eq!(searches.len(), 2);
    assert_eq!(searches[1].event.nhs_number, None);
    // The basis prompt's identity check is a patient search naming the patient.
    assert_eq!(searches[0].event.nhs_number.as_deref(), Some(nhs.as_str()));
    assert_eq!(
        searches[0].event.detail.as_deref(),
        Some("identity shown before a basis")
    );

    // No clinical content in any event: no entry title appears anywhere in the store.
    let titles: Vec<&str> = viewed["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["title"].as_str().unwrap())
        .collect();
    for stored in &events {
        let text = stored.event.canonical();
        assert!(!titles.iter().any(|t| text.contains(t)), "{text}");
    }
    // And the chain over all of it verifies.
    let store = SqliteAudit::open(&portal.audit_path).await.unwrap();
    assert_eq!(
        server::audit::verify(&store).await.unwrap(),
        Ok(events.len() as u64)
    );
}

#[tokio::test]
async fn only_audit_officers_reach_the_workspace_and_reviews_clear_the_queue() {
    let portal = common::start().await;
    let nhs = patient_known_at(&portal.demo.population, &[SourceKind::Gp]).as_digits();
    let emergency = portal
        .client_with_basis("ae.clinician", Some(("emergency", REASON)))
        .await;
    let response = emergency
        .get(format!("{}/api/v1/patients/{nhs}/record", portal.url))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);

    // (user, status for the queue)
    let table = [
        ("ae.clinician", 403),
        ("ooh.clinician", 403),
        ("call.handler", 403),
        ("ops.admin", 403),
        ("privacy.officer", 200),
    ];
    for (login, status) in table {
        let browser = portal.sign_in(login).await;
        assert_eq!(
            post(&browser, "/sfn/audit-reviews", &[]).await.0,
            status,
            "{login}"
        );
        assert_eq!(
            post(&browser, "/sfn/audit-verify", &[]).await.0,
            status,
            "{login}"
        );
        for path in ["/audit", "/audit/reports", "/audit/patient"] {
            let page = browser.get(path).await.status().as_u16();
            assert_eq!(page, status, "{login} {path}");
        }
        let report = post(&browser, "/sfn/audit-report", &[("query[from]", "")]).await;
        assert_eq!(report.0, status, "{login} access report");
        let patient = post(&browser, "/sfn/audit-patient", &[("nhs_number", &nhs)]).await;
        assert_eq!(patient.0, status, "{login} patient access report");
        let history = post(&browser, "/sfn/audit-reviewed", &[("query[from]", "")]).await;
        assert_eq!(history.0, status, "{login} review history");
        if status == 403 {
            let (got, _) = post(
                &browser,
                "/sfn/audit-review",
                &[("seq", "1"), ("note", "looks fine to me")],
            )
            .await;
            assert_eq!(got, 403, "{login} cannot review");
        }
    }

    let officer = portal.sign_in("privacy.officer").await;
    let (_, queue) = post(&officer, "/sfn/audit-reviews", &[]).await;
    let queue = queue.as_array().unwrap().clone();
    assert_eq!(queue.len(), 1);
    assert_eq!(queue[0]["reason"], REASON);
    assert_eq!(queue[0]["nhs_number"], nhs.as_str());
    let seq = queue[0]["seq"].as_i64().unwrap().to_string();

    // A note is required; a made-up event is not reviewable.
    let (status, body) = post(
        &officer,
        "/sfn/audit-review",
        &[("seq", &seq), ("note", "ok")],
    )
    .await;
    assert_eq!(status, 400, "{body}");
    let (status, _) = post(
        &officer,
        "/sfn/audit-review",
        &[("seq", "999999"), ("note", "checked with the ward")],
    )
    .await;
    assert_eq!(status, 404);
    let (status, _) = post(
        &officer,
        "/sfn/audit-review",
        &[
            ("seq", &seq),
            ("note", "Checked with the ED consultant: appropriate"),
        ],
    )
    .await;
    assert_eq!(status, 200);
    let (_, queue) = post(&officer, "/sfn/audit-reviews", &[]).await;
    assert_eq!(
        queue.as_array().unwrap().len(),
        0,
        "reviewed accesses leave the queue"
    );

    // The review history shows the access with who reviewed it, when and the note; a period
    // before it shows nothing, and a period the wrong way round is refused.
    let (status, history) = post(&officer, "/sfn/audit-reviewed", &[("query[from]", "")]).await;
    assert_eq!(status, 200, "{history}");
    let reviews = history["reviews"].as_array().unwrap();
    assert_eq!(reviews.len(), 1, "{history}");
    assert_eq!(reviews[0]["access"]["seq"].as_i64(), seq.parse().ok());
    assert_eq!(reviews[0]["access"]["reason"], REASON);
    assert_eq!(reviews[0]["reviewer_name"], "Priya Shah");
    assert_eq!(
        reviews[0]["note"],
        "Checked with the ED consultant: appropriate"
    );
    assert!(reviews[0]["reviewed_at_local"]
        .as_str()
        .is_some_and(|t| t.ends_with(" GMT") || t.ends_with(" BST")));
    let (status, earlier) = post(
        &officer,
        "/sfn/audit-reviewed",
        &[("query[from]", "2020-01-01"), ("query[to]", "2020-01-31")],
    )
    .await;
    assert_eq!(status, 200, "{earlier}");
    assert_eq!(earlier["reviews"], serde_json::json!([]));
    let (status, _) = post(
        &officer,
        "/sfn/audit-reviewed",
        &[("query[from]", "2020-02-01"), ("query[to]", "2020-01-01")],
    )
    .await;
    assert_eq!(status, 400);

    let (_, check) = post(&officer, "/sfn/audit-verify", &[]).await;
    assert!(check["Intact"]["events"].as_u64().unwrap() > 5, "{check}");
    let events = portal.audit_events().await;
    let review = of_kind(&events, EventKind::Review);
    assert_eq!(review.len(), 1);
    assert_eq!(review[0].event.refers_to, Some(seq.parse().unwrap()));
    assert_eq!(review[0].event.role.as_deref(), Some("audit-officer"));
    assert!(of_kind(&events, EventKind::AuditSearch).len() >= 3);

    // The reports count the emergency access, and the patient's report names who opened it.
    let (status, report) = post(&officer, "/sfn/audit-report", &[("query[from]", "")]).await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["emergency"], 1, "{report}");
    assert_eq!(
        report["emergency_users"],
        serde_json::json!([]),
        "one is under the threshold"
    );
    let user = &report["per_user"][0];
    assert_eq!(
        (user["user_name"].as_str(), user["emergency"].as_u64()),
        (Some("Dr Asha Patel"), Some(1))
    );
    let (status, patient) = post(&officer, "/sfn/audit-patient", &[("nhs_number", &nhs)]).await;
    assert_eq!(status, 200, "{patient}");
    let viewers = patient["viewers"].as_array().unwrap();
    assert_eq!(viewers.len(), 1, "{patient}");
    assert_eq!(viewers[0]["emergency"], 1);
    assert_eq!(viewers[0]["bases"], serde_json::json!(["emergency"]));
    assert!(viewers[0]["last_local"]
        .as_str()
        .is_some_and(|t| t.ends_with(" GMT") || t.ends_with(" BST")));
    let (status, _) = post(
        &officer,
        "/sfn/audit-patient",
        &[("nhs_number", "9434765918")],
    )
    .await;
    assert_eq!(status, 400, "a bad NHS number is refused");
    let events = portal.audit_events().await;
    let reports: Vec<_> = of_kind(&events, EventKind::AuditSearch)
        .into_iter()
        .filter(|e| {
            e.event
                .detail
                .as_deref()
                .is_some_and(|d| d.contains("report"))
        })
        .collect();
    assert!(reports.len() >= 3, "reports are audited");
}

#[tokio::test]
async fn the_workspace_searches_by_patient_user_and_outcome_a_page_at_a_time() {
    let portal = common::start().await;
    let population = &portal.demo.population;
    let first = patient_known_at(population, &[SourceKind::Gp]).as_digits();
    let second = patient_known_at(population, &[SourceKind::Gp, SourceKind::Acute]).as_digits();
    let clinician = portal.client_for("ae.clinician").await;
    let handler = portal.client_for("call.handler").await;
    let url = |nhs: &str| format!("{}/api/v1/patients/{nhs}/record", portal.url);
    for _ in 0..3 {
        assert_eq!(
            clinician.get(url(&first)).send().await.unwrap().status(),
            200
        );
    }
    assert_eq!(
        handler.get(url(&second)).send().await.unwrap().status(),
        200
    );
    let refused = portal
        .client_with_basis("call.handler", Some(("emergency", REASON)))
        .await;
    assert_eq!(
        refused.get(url(&second)).send().await.unwrap().status(),
        403
    );

    let officer = portal.sign_in("privacy.officer").await;
    let search = |form: Vec<(&'static str, String)>| {
        let officer = officer.clone();
        async move {
            let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let response = officer.post("/sfn/audit-search", &form).await;
            let status = response.status().as_u16();
            (status, response.json::<Value>().await.unwrap())
        }
    };
    let nhs_of = |rows: &Value| -> Vec<String> {
        rows["rows"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["nhs_number"].as_str().unwrap_or("").to_owned())
            .collect()
    };
    // (query, how many rows, every row's NHS number)
    let (_, by_first) = search(vec![("query[nhs_number]", first.clone())]).await;
    assert_eq!(nhs_of(&by_first), vec![first.clone(); 3], "{by_first}");
    let (_, by_second) = search(vec![("query[nhs_number]", second.clone())]).await;
    assert_eq!(by_second["rows"].as_array().unwrap().len(), 2);
    let (_, refusals) = search(vec![
        ("query[nhs_number]", second.clone()),
        ("query[outcome]", "refused".into()),
    ])
    .await;
    let rows = refusals["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["kind"], "denied");
    assert_eq!(rows[0]["role"], "call-handler");
    let (_, handler_rows) = search(vec![
        ("query[role]", "call-handler".into()),
        ("query[kind]", "record-view".into()),
    ])
    .await;
    assert_eq!(nhs_of(&handler_rows), vec![second.clone()]);
    let (status, bad) = search(vec![("query[nhs_number]", "9434765918".into())]).await;
    assert_eq!(status, 400, "{bad}");

    // Newest first, a page at a time, each event once (searches naming the patient are
    // events about them too, so this one asks for views only).
    let mut seen = Vec::new();
    let mut before: Option<i64> = None;
    loop {
        let mut form = vec![
            ("query[limit]", "2".to_owned()),
            ("query[nhs_number]", first.clone()),
            ("query[kind]", "record-view".to_owned()),
        ];
        if let Some(b) = before {
            form.push(("query[before]", b.to_string()));
        }
        let (_, page) = search(form).await;
        for row in page["rows"].as_array().unwrap() {
            seen.push(row["seq"].as_i64().unwrap());
        }
        match page["older"].as_i64() {
            Some(older) => before = Some(older),
            None => break,
        }
    }
    assert_eq!(seen.len(), 3);
    assert!(
        seen.windows(2).all(|w| w[0] > w[1]),
        "newest first: {seen:?}"
    );

    // Each search is itself audited; clinicians cannot search.
    let events = portal.audit_events().await;
    assert_eq!(
        of_kind(&events, EventKind::AuditSearch).len(),
        6,
        "four searches and two pages"
    );
    let clinician_browser = portal.sign_in("ae.clinician").await;
    let response = clinician_browser.post("/sfn/audit-search", &[]).await;
    assert_eq!(response.status(), 403);
}

/// A store that cannot be written, as when the disk is full or the database is down.
struct Unwritable;

impl AuditStore for Unwritable {
    fn append<'a>(
        &'a self,
        _: &'a [AuditEvent],
    ) -> futures::future::BoxFuture<'a, Result<Vec<i64>, AuditError>> {
        Box::pin(async { Err(AuditError::Write("disk I/O error".into())) })
    }
    fn read_after<'a>(
        &'a self,
        _: i64,
        _: u32,
    ) -> futures::future::BoxFuture<'a, Result<Vec<StoredEvent>, AuditError>> {
        Box::pin(async { Ok(Vec::new()) })
    }
    fn pending_reviews<'a>(
        &'a self,
        _: u32,
    ) -> futures::future::BoxFuture<'a, Result<Vec<StoredEvent>, AuditError>> {
        Box::pin(async { Ok(Vec::new()) })
    }
    fn get<'a>(
        &'a self,
        _: i64,
    ) -> futures::future::BoxFuture<'a, Result<Option<StoredEvent>, AuditError>> {
        Box::pin(async { Ok(None) })
    }
    fn search<'a>(
        &'a self,
        _: &'a server::audit::Filter,
        _: Option<i64>,
        _: u32,
    ) -> futures::future::BoxFuture<'a, Result<Vec<StoredEvent>, AuditError>> {
        Box::pin(async { Ok(Vec::new()) })
    }
    fn read_period<'a>(
        &'a self,
        _: i64,
        _: i64,
        _: Option<(i64, i64)>,
        _: u32,
    ) -> futures::future::BoxFuture<'a, Result<Vec<server::audit::PeriodEvent>, AuditError>> {
        Box::pin(async { Ok(Vec::new()) })
    }
    fn count_accesses<'a>(
        &'a self,
        _: &'a server::audit::counts::AccessCount,
    ) -> futures::future::BoxFuture<'a, Result<server::audit::counts::AccessCounts, AuditError>>
    {
        Box::pin(async { Ok(Default::default()) })
    }
    fn writable(&self) -> futures::future::BoxFuture<'_, Result<(), AuditError>> {
        Box::pin(async { Err(AuditError::Write("disk I/O error".into())) })
    }
    fn checkpoint(
        &self,
    ) -> futures::future::BoxFuture<'_, Result<Option<server::audit::Checkpoint>, AuditError>> {
        Box::pin(async { Ok(None) })
    }
    fn purge<'a>(
        &'a self,
        _: i64,
        _: &'a AuditEvent,
    ) -> futures::future::BoxFuture<'a, Result<Option<server::audit::Checkpoint>, AuditError>> {
        Box::pin(async { Err(AuditError::Write("disk I/O error".into())) })
    }
}

#[tokio::test]
async fn no_record_is_shown_when_its_view_cannot_be_audited() {
    let mut config = server::config::Config::demo().unwrap();
    let population = common::population();
    let _demo = server::demo_mode::start(&mut config, population.clone(), |_| Default::default())
        .await
        .unwrap();
    let desk =
        server::viewing::RecordDesk::new(&config, AuditTrail::start(Arc::new(Unwritable), 8))
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
    let nhs = patient_known_at(&population, &[SourceKind::Gp]);
    let refused = desk.open(&caller, nhs, false).await.unwrap_err();
    assert!(
        refused == app::api::LookupError::Unavailable(app::api::Outage::ViewNotAudited),
        "{refused:?}"
    );
}

/// Keeps `Portal` in use for the fixture's helpers.
#[allow(dead_code)]
fn _portal(_: &Portal) {}

#[tokio::test]
async fn audit_officers_export_csv_and_fhir_audit_events_and_the_export_is_audited() {
    let portal = common::start().await;
    let nhs = patient_known_at(&portal.demo.population, &[SourceKind::Gp]).as_digits();
    let clinician = portal.client_for("ae.clinician").await;
    for _ in 0..2 {
        let response = clinician
            .get(format!("{}/api/v1/patients/{nhs}/record", portal.url))
            .header("user-agent", "=HYPERLINK(\"http://evil.example\")")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
    }
    let export = |login: &'static str, query: &'static str| {
        let portal = &portal;
        let nhs = nhs.clone();
        async move {
            let client = portal.client_for(login).await;
            client
                .get(format!(
                    "{}/api/v1/audit/events?nhs_number={nhs}{query}",
                    portal.url
                ))
                .send()
                .await
                .unwrap()
        }
    };
    // (user, status)
    for (login, status) in [
        ("ae.clinician", 403),
        ("call.handler", 403),
        ("ops.admin", 403),
        ("privacy.officer", 200),
    ] {
        assert_eq!(export(login, "").await.status(), status, "{login}");
    }

    let csv = export("privacy.officer", "&format=csv").await;
    assert_eq!(csv.headers()["content-type"], "text/csv; charset=utf-8");
    assert!(csv.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .starts_with("attachment;"));
    assert_eq!(csv.headers()["cache-control"], "no-store");
    let text = csv.text().await.unwrap();
    let lines: Vec<&str> = text.split("\r\n").filter(|l| !l.is_empty()).collect();
    assert!(lines[0].starts_with("seq,time,kind,user_id"));
    let views: Vec<&&str> = lines
        .iter()
        .filter(|l| l.contains(",record-view,"))
        .collect();
    assert_eq!(views.len(), 2, "{text}");
    assert!(
        views
            .iter()
            .all(|l| l.contains(&nhs) && l.contains("\"'=HYPERLINK(")),
        "{text}"
    );

    let fhir = export("privacy.officer", "&format=fhir&kind=record-view").await;
    assert_eq!(fhir.headers()["content-type"], "application/fhir+json");
    let bundle: Value = fhir.json().await.unwrap();
    assert_eq!(bundle["resourceType"], "Bundle");
    assert_eq!(bundle["total"], 2);
    let event = &bundle["entry"][0]["resource"];
    assert_eq!(event["resourceType"], "AuditEvent");
    assert_eq!(event["action"], "R");
    assert_eq!(
        event["entity"][0]["what"]["identifier"]["value"],
        nhs.as_str()
    );
    assert_eq!(event["agent"][0]["who"]["display"], "Dr Asha Patel");
    assert_eq!(event["purposeOfEvent"][0]["coding"][0]["code"], "TREAT");

    assert_eq!(export("privacy.officer", "&format=xml").await.status(), 400);
    let events = portal.audit_events().await;
    let exports = of_kind(&events, EventKind::Export);
    assert_eq!(
        exports.len(),
        3,
        "the three exports that were sent (not the refused ones)"
    );
    assert!(exports
        .iter()
        .all(|e| e.event.nhs_number.as_deref() == Some(nhs.as_str())
            && e.event.role.as_deref() == Some("audit-officer")));
}

/// `reason` percent-encoded for the `Legitimate-Basis-Reason` header.
fn encoded(reason: &str) -> String {
    url::form_urlencoded::byte_serialize(reason.as_bytes())
        .collect::<String>()
        .replace('+', "%20")
}

use common::sfn;

#[tokio::test]
async fn nobody_reviews_their_own_emergency_access_and_notes_are_plain_bounded_text() {
    let portal = common::start().await;
    let nhs = patient_known_at(&portal.demo.population, &[SourceKind::Gp]).as_digits();
    // One person, two roles: two tokens with one `sub`.
    let (as_clinician, as_officer) = portal.clinician_and_officer_tokens().await;
    let viewed = reqwest::Client::new()
        .get(format!("{}/api/v1/patients/{nhs}/record", portal.url))
        .bearer_auth(&as_clinician)
        .header("legitimate-basis", "emergency")
        .header("legitimate-basis-reason", encoded(REASON))
        .send()
        .await
        .unwrap();
    assert_eq!(viewed.status(), 200);
    let (status, queue) = sfn(&portal, &as_officer, "/sfn/audit-reviews", &[]).await;
    assert_eq!(status, 200, "{queue}");
    let seq = queue[0]["seq"].as_i64().unwrap().to_string();

    let note = [("seq", seq.as_str()), ("note", "Checked: appropriate")];
    let (status, refused) = sfn(&portal, &as_officer, "/sfn/audit-review", &note).await;
    assert_eq!(status, 403, "{refused}");
    assert!(
        refused
            .to_string()
            .contains("another audit officer must review it"),
        "{refused}"
    );
    let (_, queue) = sfn(&portal, &as_officer, "/sfn/audit-reviews", &[]).await;
    assert_eq!(queue.as_array().unwrap().len(), 1, "still waiting");

    // Another officer reviews it, with a note that is plain text of a bounded length.
    let officer = portal.token_for("privacy.officer").await;
    let long = "x".repeat(1_001);
    let invisible = "\u{200B}".repeat(10);
    // (note, status)
    let table = [
        ("Checked \u{202E}etairporppa", 400),
        ("Checked\0 with the ward", 400),
        (invisible.as_str(), 400),
        (long.as_str(), 400),
        ("ok", 400),
        ("Checked with the ED consultant: appropriate", 200),
    ];
    for (note, expected) in table {
        let form = [("seq", seq.as_str()), ("note", note)];
        let (status, body) = sfn(&portal, &officer, "/sfn/audit-review", &form).await;
        assert_eq!(status, expected, "{note:?}: {body}");
    }
    let (_, queue) = sfn(&portal, &officer, "/sfn/audit-reviews", &[]).await;
    assert_eq!(queue.as_array().unwrap().len(), 0);

    let events = portal.audit_events().await;
    let attempt = of_kind(&events, EventKind::Denied)
        .into_iter()
        .find(|e| e.event.refers_to == Some(seq.parse().unwrap()))
        .expect("the self-review is audited");
    assert_eq!(attempt.event.user_id, "demo-ae.auditor");
    assert_eq!(attempt.event.role.as_deref(), Some("audit-officer"));
    assert_eq!(attempt.event.outcome, Outcome::Refused);
    assert_eq!(attempt.event.refusal, Some(RefusalKind::OwnReview));
    assert_eq!(attempt.event.nhs_number.as_deref(), Some(nhs.as_str()));
    let reviews = of_kind(&events, EventKind::Review);
    assert_eq!(reviews.len(), 1);
    assert_eq!(reviews[0].event.user_id, "demo-privacy.officer");
}

#[tokio::test]
async fn hostile_or_unbounded_reasons_are_refused_and_each_attempt_is_audited() {
    let portal = common::start().await;
    let nhs = patient_known_at(&portal.demo.population, &[SourceKind::Gp]).as_digits();
    let token = portal.token_for("ae.clinician").await;
    let ask = |path: String, reason: String| {
        let token = token.clone();
        let url = format!("{}{path}", portal.url);
        async move {
            let response = reqwest::Client::new()
                .get(url)
                .bearer_auth(token)
                .header("legitimate-basis", "emergency")
                .header("legitimate-basis-reason", reason)
                .send()
                .await
                .unwrap();
            let status = response.status().as_u16();
            (status, response.json::<Value>().await.unwrap())
        }
    };
    let record = format!("/api/v1/patients/{nhs}/record");
    // (reason as sent, percent-encoded; words in the refusal)
    let table = [
        ("%00".to_owned(), "control characters"),
        (format!("{}%00", encoded(REASON)), "control characters"),
        (format!("{}%1B%5B2J", encoded(REASON)), "control characters"),
        ("%E2%80%8B".repeat(20), "at least 20 characters"),
        (format!("{}%E2%80%AE", encoded(REASON)), "reorder text"),
        ("x".repeat(501), "at most 500 characters"),
    ];
    for (reason, words) in &table {
        let (status, body) = ask(record.clone(), reason.clone()).await;
        assert_eq!(
            (status, body["error"].as_str()),
            (403, Some("basis-refused"))
        );
        let message = body["message"].as_str().unwrap();
        assert!(message.contains(words), "{reason}: {message}");
    }
    // A NUL in an entry id: not found, and audited.
    let (status, _) = ask(
        format!("/api/v1/patients/{nhs}/entries/gp/Observation/obs%00x"),
        encoded(REASON),
    )
    .await;
    assert_eq!(status, 404);

    let events = portal.audit_events().await;
    let refusals: Vec<_> = of_kind(&events, EventKind::Denied)
        .into_iter()
        .filter(|e| e.event.nhs_number.as_deref() == Some(nhs.as_str()))
        .collect();
    assert_eq!(refusals.len(), table.len() + 1, "every attempt is audited");
    // What the attacker sent is on record, written out where it could harm.
    assert_eq!(refusals[0].event.reason.as_deref(), Some("\\u{0}"));
    assert!(refusals
        .last()
        .unwrap()
        .event
        .detail
        .as_deref()
        .unwrap()
        .contains("obs\\u{0}x"));
    let store = SqliteAudit::open(&portal.audit_path).await.unwrap();
    assert_eq!(
        server::audit::verify(&store).await.unwrap(),
        Ok(events.len() as u64)
    );
}

#[tokio::test]
async fn rate_limited_cross_site_and_oddly_written_refusals_are_audited() {
    use server::ratelimit::RateLimit;
    let portal = common::start_with(
        common::population(),
        |_| server::demo::Faults::default(),
        |config| {
            config.identity.lookup_rate = RateLimit {
                per_minute: 1,
                burst: 2,
            };
            config.identity.sign_in_rate = RateLimit {
                per_minute: 1,
                burst: 2,
            };
        },
    )
    .await;
    let number = patient_known_at(&portal.demo.population, &[SourceKind::Gp]);
    let nhs = number.as_digits();
    let spaced = number.formatted().replace(' ', "%20");
    assert_eq!(spaced.len(), 16, "{spaced}");

    // A role without find-patient, the number written with percent-encoded spaces.
    let officer = portal.token_for("privacy.officer").await;
    let refused = reqwest::Client::new()
        .get(format!("{}/api/v1/patients/{spaced}/record", portal.url))
        .bearer_auth(&officer)
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 403);

    // Lookups beyond the limit: the third is refused 429.
    let statuses = [
        portal.record_json(&nhs).await.0,
        portal.record_json(&nhs).await.0,
        portal
            .get(&format!("/api/v1/patients/{spaced}/record"))
            .await
            .status(),
    ];
    assert_eq!(statuses.map(|s| s.as_u16()), [200, 200, 429]);

    // A cross-site POST with a session cookie, and a sign-out form with the wrong token.
    let browser = portal.sign_in("ae.clinician").await;
    let forged = browser
        .post_from(
            "/sfn/basis",
            &[
                ("nhs_number", &nhs),
                ("code", "permission-given"),
                ("reason", ""),
            ],
            Some("http://evil.example"),
        )
        .await;
    assert_eq!(forged.status(), 403);
    let signed_out = browser.post("/auth/signout", &[("csrf", "forged")]).await;
    assert_eq!(signed_out.status(), 403);

    // Sign-in attempts beyond the limit (one was used above).
    let mut limited = false;
    for _ in 0..5 {
        let response = portal.browser().get("/auth/login?issuer=demo&next=/").await;
        if response.status() == 429 {
            limited = true;
            break;
        }
    }
    assert!(limited, "sign-in attempts are limited");

    let events = portal.audit_events().await;
    let denied = of_kind(&events, EventKind::Denied);
    let about = |words: &str| {
        denied
            .iter()
            .filter(|e| {
                e.event
                    .detail
                    .as_deref()
                    .unwrap_or_default()
                    .contains(words)
            })
            .collect::<Vec<_>>()
    };
    let role = about("needs the find-patient permission");
    assert_eq!(role.len(), 1);
    assert_eq!(role[0].event.nhs_number.as_deref(), Some(nhs.as_str()));
    assert!(role[0]
        .event
        .detail
        .as_deref()
        .unwrap()
        .contains("{nhs_number}"));
    assert_eq!(role[0].event.refusal, Some(RefusalKind::Role));
    let limited = about("rate limited");
    assert_eq!(limited.len(), 1);
    assert_eq!(limited[0].event.refusal, Some(RefusalKind::RateLimited));
    assert_eq!(limited[0].event.nhs_number.as_deref(), Some(nhs.as_str()));
    assert_eq!(limited[0].event.user_name, "Dr Asha Patel");
    let cross_site = about("cross-site");
    assert_eq!(cross_site.len(), 1);
    assert_eq!(cross_site[0].event.user_name, "Dr Asha Patel");
    assert_eq!(
        cross_site[0].event.refusal,
        Some(RefusalKind::InvalidRequest)
    );
    assert_eq!(about("CSRF token").len(), 1);
    assert!(of_kind(&events, EventKind::SignIn).iter().any(|e| {
        e.event.outcome == Outcome::Refused
            && e.event.refusal == Some(RefusalKind::RateLimited)
            && e.event
                .detail
                .as_deref()
                .unwrap_or_default()
                .contains("rate limited")
    }));

    // Both refusals naming the patient are in the patient's access report.
    let (status, report) = sfn(
        &portal,
        &officer,
        "/sfn/audit-patient",
        &[("nhs_number", &nhs)],
    )
    .await;
    assert_eq!(status, 200, "{report}");
    let details: Vec<&str> = report["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["detail"].as_str())
        .collect();
    assert!(
        details.iter().any(|d| d.contains("rate limited")),
        "{report}"
    );
    assert!(
        details.iter().any(|d| d.contains("needs the find-patient")),
        "{report}"
    );
}
