//! Consent, legitimate basis and sensitive information over real HTTP, trying to get round the
//! pages: the JSON API and the server functions without a basis, with a basis the role may not
//! give, for a patient who has dissented, and asking for withheld items by id. Each refusal
//! happens before any source is asked where it can, and says why.

use crate::common;

use app::model::SourceKind;
use common::{
    entries, id_at_source_where, labelled_id_at_source, patient_known_at, showcase, Portal,
};
use serde_json::Value;

const REASON: &str = "Unconscious after a fall, no one with them to ask";

async fn api_record(
    portal: &Portal,
    login: &str,
    basis: Option<(&str, &str)>,
    nhs: &str,
) -> (u16, Value) {
    let client = portal.client_with_basis(login, basis).await;
    let response = client
        .get(format!("{}/api/v1/patients/{nhs}/record", portal.url))
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

fn codes(options: &Value) -> Vec<&str> {
    options
        .as_array()
        .map(|a| a.iter().map(|o| o["code"].as_str().unwrap()).collect())
        .unwrap_or_default()
}

#[tokio::test]
async fn the_api_needs_a_basis_the_role_may_give() {
    let portal = common::start().await;
    let nhs = patient_known_at(&portal.demo.population, &[SourceKind::Gp]).as_digits();
    // (user, basis stated, status, error code)
    type Stated<'a> = Option<(&'a str, &'a str)>;
    let table: [(&str, Stated, u16, &str); 11] = [
        ("ae.clinician", None, 403, "basis-required"),
        ("call.handler", None, 403, "basis-required"),
        (
            "ae.clinician",
            Some(("emergency", "unconscious")),
            403,
            "basis-refused",
        ),
        (
            "ae.clinician",
            Some(("emergency", "")),
            403,
            "basis-refused",
        ),
        (
            "ae.clinician",
            Some(("curiosity", REASON)),
            403,
            "basis-refused",
        ),
        (
            "call.handler",
            Some(("emergency", REASON)),
            403,
            "basis-refused",
        ),
        (
            "privacy.officer",
            Some(("permission-given", "")),
            403,
            "forbidden",
        ),
        ("ops.admin", Some(("emergency", REASON)), 403, "forbidden"),
        ("ae.clinician", Some(("permission-given", "")), 200, ""),
        ("ooh.clinician", Some(("emergency", REASON)), 200, ""),
        ("call.handler", Some(("permission-given", "")), 200, ""),
    ];
    for (login, basis, status, error) in table {
        let before = portal.source_requests();
        let (got, body) = api_record(&portal, login, basis, &nhs).await;
        assert_eq!(got, status, "{login} {basis:?}: {body}");
        if status == 200 {
            assert_eq!(body["basis"]["code"], basis.unwrap().0, "{login}");
            continue;
        }
        assert_eq!(body["error"], error, "{login} {basis:?}");
        assert_eq!(
            portal.source_requests(),
            before,
            "no source asked: {login} {basis:?}"
        );
    }
    // Every refusal is in the audit trail, with who, which patient and why.
    let events = portal.audit_events().await;
    let denied: Vec<_> = events
        .iter()
        .filter(|e| e.event.kind == server::audit::EventKind::Denied)
        .collect();
    let refusals = table.iter().filter(|row| row.2 != 200).count();
    assert_eq!(denied.len(), refusals);
    for d in &denied {
        assert_eq!(d.event.nhs_number.as_deref(), Some(nhs.as_str()));
        assert!(d.event.role.is_some() && d.event.detail.is_some(), "{d:?}");
    }
    assert!(denied
        .iter()
        .any(|d| d.event.role.as_deref() == Some("call-handler")
            && d.event.basis.as_deref() == Some("emergency")
            && d.event
                .detail
                .as_deref()
                .unwrap_or_default()
                .contains("cannot open a record on the basis")));

    // What a caller without a basis is told it may state.
    let (_, body) = api_record(&portal, "ae.clinician", None, &nhs).await;
    assert_eq!(codes(&body["bases"]), ["permission-given", "emergency"]);
    let (_, body) = api_record(&portal, "call.handler", None, &nhs).await;
    assert_eq!(codes(&body["bases"]), ["permission-given"]);
    let (_, body) = api_record(
        &portal,
        "ae.clinician",
        Some(("emergency", "too short")),
        &nhs,
    )
    .await;
    assert!(
        body["message"].as_str().unwrap().contains("20 characters"),
        "{body}"
    );
}

#[tokio::test]
async fn a_reason_header_that_is_not_percent_encoded_utf8_is_refused() {
    let portal = common::start().await;
    let nhs = patient_known_at(&portal.demo.population, &[SourceKind::Gp]).as_digits();
    let token = portal.token_for("ae.clinician").await;
    let response = reqwest::Client::new()
        .get(format!("{}/api/v1/patients/{nhs}/record", portal.url))
        .bearer_auth(token)
        .header("legitimate-basis", "emergency")
        .header("legitimate-basis-reason", "%FF%FE%FD")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], "basis-refused");
    assert!(body["message"]
        .as_str()
        .unwrap()
        .contains("percent-encoded"));
}

#[tokio::test]
async fn server_functions_use_the_basis_recorded_in_the_session() {
    let portal = common::start().await;
    let population = &portal.demo.population;
    let nhs = patient_known_at(population, &[SourceKind::Gp]).as_digits();
    let other = patient_known_at(population, &[SourceKind::Gp, SourceKind::Acute]).as_digits();
    let record = |nhs: String| vec![("nhs_number", nhs), ("refresh", "false".to_owned())];
    let basis = |nhs: &str, code: &str, reason: &str| {
        vec![
            ("nhs_number", nhs.to_owned()),
            ("code", code.to_owned()),
            ("reason", reason.to_owned()),
        ]
    };
    let post =
        |browser: &common::Browser, path: &'static str, form: Vec<(&'static str, String)>| {
            let browser = browser.clone();
            async move {
                let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
                let response = browser.post(path, &form).await;
                let status = response.status().as_u16();
                let body: Value = response.json().await.unwrap_or(Value::Null);
                (status, body)
            }
        };

    let clinician = portal.sign_in("ae.clinician").await;
    let (status, body) = post(&clinician, "/sfn/record", record(nhs.clone())).await;
    assert_eq!(status, 403, "no basis yet: {body}");
    assert!(body.get("BasisRequired").is_some(), "{body}");
    // Without a basis the sources are asked only whose record it is (identity before the
    // basis): Patient details and consent, never a clinical resource.
    let clinical: Vec<String> = portal
        .demo
        .sources
        .iter()
        .flat_map(|s| s.paths_asked())
        .filter(|p| {
            !matches!(
                p.as_str(),
                "/fhir/Patient" | "/fhir/Consent" | "/fhir/metadata"
            )
        })
        .collect();
    assert!(
        clinical.is_empty(),
        "no clinical resource asked without a basis: {clinical:?}"
    );

    // Refused bases are not recorded.
    // (basis, status, error variant)
    let refused = [
        (basis(&nhs, "emergency", "unconscious"), "BasisRefused"),
        (
            basis(&nhs, "emergency", "                              "),
            "BasisRefused",
        ),
        (basis(&nhs, "curiosity", REASON), "BasisRefused"),
        (
            basis("9434765918", "permission-given", ""),
            "InvalidNhsNumber",
        ),
    ];
    for (form, variant) in refused {
        let (status, body) = post(&clinician, "/sfn/basis", form.clone()).await;
        assert!(status == 403 || status == 400, "{form:?}: {status}");
        assert!(body.get(variant).is_some(), "{form:?}: {body}");
        let (status, _) = post(&clinician, "/sfn/record", record(nhs.clone())).await;
        assert_eq!(status, 403, "still no basis after {form:?}");
    }

    let (status, _) = post(
        &clinician,
        "/sfn/basis",
        basis(&nhs, "permission-given", ""),
    )
    .await;
    assert_eq!(status, 200);
    let (status, body) = post(&clinician, "/sfn/record", record(nhs.clone())).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["basis"]["code"], "permission-given");

    // The basis is for that patient, in that session only.
    let (status, _) = post(&clinician, "/sfn/record", record(other.clone())).await;
    assert_eq!(status, 403, "another patient needs their own basis");
    let second_session = portal.sign_in("ae.clinician").await;
    let (status, _) = post(&second_session, "/sfn/record", record(nhs.clone())).await;
    assert_eq!(status, 403, "another session needs its own basis");

    // A call handler may not give an emergency basis, even through the server function.
    let handler = portal.sign_in("call.handler").await;
    let (status, body) = post(&handler, "/sfn/basis", basis(&nhs, "emergency", REASON)).await;
    assert_eq!(status, 403);
    assert!(body.get("BasisRefused").is_some(), "{body}");
    let (status, _) = post(&handler, "/sfn/record", record(nhs.clone())).await;
    assert_eq!(status, 403);
}

#[tokio::test]
async fn a_dissenting_patients_record_is_not_shared() {
    let portal = common::start().await;
    let nhs = showcase(&portal.demo.population, "has objected").as_digits();
    // (user, basis, status, emergency route offered)
    let table = [
        ("ae.clinician", ("permission-given", ""), 403, true),
        ("ooh.clinician", ("permission-given", ""), 403, true),
        ("call.handler", ("permission-given", ""), 403, false),
    ];
    for (login, basis, status, offered) in table {
        let (got, body) = api_record(&portal, login, Some(basis), &nhs).await;
        assert_eq!(got, status, "{login}");
        assert_eq!(body["error"], "dissent");
        assert_eq!(body["dissent"]["recorded_by"], "Riverside Medical Practice");
        assert_eq!(body["dissent"]["organisation_code"], "Y12345");
        assert_eq!(
            body["dissent"]["emergency"].is_object(),
            offered,
            "{login}: {body}"
        );
        assert!(
            body.get("entries").is_none(),
            "no data alongside a dissent refusal"
        );
    }
    // An emergency opens it, for the roles policy allows.
    let (status, body) =
        api_record(&portal, "ae.clinician", Some(("emergency", REASON)), &nhs).await;
    assert_eq!(status, 200, "{body}");
    assert!(!entries(&body).is_empty());
    assert_eq!(body["basis"]["code"], "emergency");
    assert_eq!(body["basis"]["reason"], REASON);
}

#[tokio::test]
async fn a_change_of_dissent_purges_the_patients_cached_records() {
    let portal = common::start().await;
    let nhs = patient_known_at(
        &portal.demo.population,
        &[SourceKind::Gp, SourceKind::Acute],
    );
    let digits = nhs.as_digits();
    let gp = portal
        .demo
        .sources
        .iter()
        .find(|s| s.kind == SourceKind::Gp)
        .unwrap();
    let view = |query: &'static str| {
        let digits = digits.clone();
        let portal = &portal;
        async move { portal.record_json_query(&digits, query).await.0.as_u16() }
    };

    assert_eq!(view("").await, 200);
    let fetched = portal.source_requests();
    assert_eq!(view("").await, 200);
    assert_eq!(
        portal.source_requests(),
        fetched,
        "the second view is served from the cache"
    );

    gp.set_dissent(nhs, true);
    assert_eq!(
        view("").await,
        200,
        "within the cache's life the old answer stands"
    );
    assert_eq!(
        view("?refresh=true").await,
        403,
        "a fresh look finds the objection"
    );
    let refreshed = portal.source_requests();
    assert_eq!(view("").await, 403);
    assert!(
        portal.source_requests() > refreshed,
        "the change purged the patient's cached copies, so every source is asked again"
    );
    let settled = portal.source_requests();
    assert_eq!(view("").await, 403);
    assert_eq!(portal.source_requests(), settled, "no change, no purge");

    gp.set_dissent(nhs, false);
    assert_eq!(view("?refresh=true").await, 200, "withdrawn objection");
    let refreshed = portal.source_requests();
    assert_eq!(view("").await, 200);
    assert!(
        portal.source_requests() > refreshed,
        "purged again on the change back"
    );
}

#[tokio::test]
async fn restricted_and_sensitive_items_are_withheld_and_counted() {
    let portal = common::start().await;
    let nhs = showcase(&portal.demo.population, "items labelled").as_digits();
    let (status, record) = api_record(
        &portal,
        "ae.clinician",
        Some(("permission-given", "")),
        &nhs,
    )
    .await;
    assert_eq!(status, 200);
    let labels: Vec<&str> = entries(&record)
        .iter()
        .flat_map(|e| e["security"].as_array().unwrap())
        .map(|c| c["code"].as_str().unwrap())
        .collect();
    assert_eq!(
        labels,
        ["R"],
        "restricted shown to a clinician, very restricted never"
    );
    let titles: Vec<&str> = entries(&record)
        .iter()
        .map(|e| e["title"].as_str().unwrap())
        .collect();
    assert!(
        !titles.contains(&"Gonorrhoea"),
        "sensitive code withheld though unlabelled"
    );
    let mut withheld: Vec<(String, String, String, u64)> = record["withheld"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| {
            (
                w["source_id"].as_str().unwrap().to_owned(),
                w["category"].as_str().unwrap().to_owned(),
                w["reason"].as_str().unwrap().to_owned(),
                w["count"].as_u64().unwrap(),
            )
        })
        .collect();
    withheld.sort();
    assert!(
        !record.to_string().to_lowercase().contains("sexual"),
        "the sensitive list's name would tell the diagnosis: {}",
        record["withheld"]
    );
    assert_eq!(
        withheld,
        [
            (
                "acute".into(),
                "problem".into(),
                "sensitive information: not shown in the shared record".into(),
                1
            ),
            (
                "gp".into(),
                "document".into(),
                "very restricted: only the holding organisation can show it".into(),
                1
            ),
        ]
    );

    // A call handler sees neither, nor the restricted problem, and is told so.
    let (_, limited) = api_record(
        &portal,
        "call.handler",
        Some(("permission-given", "")),
        &nhs,
    )
    .await;
    // Told as one count, never by source or kind (that would say which services were used).
    assert_eq!(limited["withheld"], serde_json::json!([]), "{limited}");
    assert!(
        limited["hidden_for_role"].as_u64().unwrap() > 0,
        "{limited}"
    );
}

#[tokio::test]
async fn withheld_items_cannot_be_fetched_by_id() {
    let portal = common::start().await;
    let nhs = showcase(&portal.demo.population, "items labelled").as_digits();
    let letter = labelled_id_at_source(&portal, SourceKind::Gp, &nhs, "DocumentReference").await;
    let restricted = labelled_id_at_source(&portal, SourceKind::Gp, &nhs, "Condition").await;
    let sensitive = id_at_source_where(&portal, SourceKind::Acute, &nhs, "Condition", |r| {
        r["code"]["coding"][0]["display"] == "Gonorrhoea"
    })
    .await;
    let entry = |login: &'static str, basis: Option<(&'static str, &'static str)>, path: String| {
        let portal = &portal;
        let nhs = nhs.clone();
        async move {
            let client = portal.client_with_basis(login, basis).await;
            let response = client
                .get(format!(
                    "{}/api/v1/patients/{nhs}/entries/{path}",
                    portal.url
                ))
                .send()
                .await
                .unwrap();
            let status = response.status().as_u16();
            (status, response.json::<Value>().await.unwrap())
        }
    };
    let given = Some(("permission-given", ""));
    let emergency = Some(("emergency", REASON));
    // (user, basis, item, status, error): a withheld item is answered as one that is not
    // there (404), so its id cannot be told from a made-up one.
    let table = [
        (
            "ae.clinician",
            given,
            format!("gp/DocumentReference/{letter}"),
            404,
            "not-found",
        ),
        (
            "ae.clinician",
            emergency,
            format!("gp/DocumentReference/{letter}"),
            404,
            "not-found",
        ),
        (
            "call.handler",
            given,
            format!("gp/DocumentReference/{letter}"),
            404,
            "not-found",
        ),
        (
            "call.handler",
            given,
            format!("gp/Condition/{restricted}"),
            404,
            "not-found",
        ),
        (
            "ae.clinician",
            given,
            format!("acute/Condition/{sensitive}"),
            404,
            "not-found",
        ),
        (
            "ae.clinician",
            None,
            format!("gp/Condition/{restricted}"),
            403,
            "basis-required",
        ),
        (
            "privacy.officer",
            given,
            format!("gp/Condition/{restricted}"),
            403,
            "forbidden",
        ),
        (
            "ae.clinician",
            given,
            "gp/Condition/no-such-item".to_owned(),
            404,
            "not-found",
        ),
        (
            "ae.clinician",
            given,
            format!("gp/Condition/{restricted}"),
            200,
            "",
        ),
    ];
    for (login, basis, path, status, error) in table {
        let (got, body) = entry(login, basis, path.clone()).await;
        assert_eq!(got, status, "{login} {basis:?} {path}: {body}");
        if status == 200 {
            assert_eq!(body["resource_id"], restricted.as_str());
        } else {
            assert_eq!(body["error"], error, "{login} {path}");
        }
    }
    // Withheld and unknown ids are indistinguishable: same status, same body, for each
    // reason an item can be withheld and for ids next to them.
    let unknown = entry("ae.clinician", given, "gp/Condition/no-such-item".into()).await;
    for (login, path) in [
        ("ae.clinician", format!("gp/DocumentReference/{letter}")),
        ("ae.clinician", format!("acute/Condition/{sensitive}")),
        ("call.handler", format!("gp/Condition/{restricted}")),
        ("ae.clinician", format!("gp/DocumentReference/{letter}0")),
        ("ae.clinician", format!("acute/Condition/{sensitive}0")),
        ("ae.clinician", format!("nowhere/Condition/{restricted}")),
    ] {
        assert_eq!(
            entry(login, given, path.clone()).await,
            unknown,
            "{login} {path}"
        );
    }
    // Each refusal by id is audited, saying it was withheld (but never the sensitive list's
    // name); the made-up ids are audited as not found.
    let events = portal.audit_events().await;
    let denied = |starts: &'static str| {
        events
            .iter()
            .filter(move |e| {
                e.event.kind == server::audit::EventKind::Denied
                    && e.event
                        .detail
                        .as_deref()
                        .unwrap_or_default()
                        .starts_with(starts)
            })
            .count()
    };
    assert_eq!(denied("Withheld"), 5 + 3);
    assert_eq!(denied("Not found"), 1 + 4);
    assert!(events.iter().all(|e| !e
        .event
        .detail
        .as_deref()
        .unwrap_or_default()
        .to_lowercase()
        .contains("sexual")));
    assert!(events.iter().any(|e| e
        .event
        .detail
        .as_deref()
        .unwrap_or_default()
        .starts_with("Withheld: sensitive information")));
    let viewed = events
        .iter()
        .filter(|e| e.event.kind == server::audit::EventKind::EntryView)
        .count();
    assert_eq!(viewed, 1);

    // A dissenting patient's items are refused by id too.
    let dissenting = showcase(&portal.demo.population, "has objected").as_digits();
    let client = portal.client_for("ae.clinician").await;
    let response = client
        .get(format!(
            "{}/api/v1/patients/{dissenting}/entries/gp/Condition/anything",
            portal.url
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], "dissent");
}

/// Refusals in the audit trail whose reason contains `text`.
async fn refusals_saying(portal: &Portal, text: &str) -> usize {
    portal
        .audit_events()
        .await
        .iter()
        .filter(|e| {
            e.event.kind == server::audit::EventKind::Denied
                && e.event.detail.as_deref().unwrap_or_default().contains(text)
        })
        .count()
}

#[tokio::test]
async fn consent_that_could_not_be_read_is_not_taken_as_no_objection() {
    // The GP holds this patient's objection, and its Consent search fails (HTTP 500) while
    // every other search there works.
    let portal = common::start_with(
        common::population(),
        |s| server::demo::Faults {
            failing_type: (s.kind == SourceKind::Gp).then_some("Consent"),
            ..Default::default()
        },
        |_| {},
    )
    .await;
    let nhs = showcase(&portal.demo.population, "has objected").as_digits();
    // (user, basis, emergency route offered)
    let table = [
        ("call.handler", ("permission-given", ""), false),
        ("ae.clinician", ("permission-given", ""), true),
        ("ooh.clinician", ("permission-given", ""), true),
    ];
    for (login, basis, offered) in table {
        let (status, body) = api_record(&portal, login, Some(basis), &nhs).await;
        assert_eq!(status, 403, "{login}: {body}");
        assert_eq!(body["error"], "consent-unknown", "{login}");
        let unread = &body["consent_unknown"]["unread"];
        assert_eq!(unread[0]["source"], "Riverside Medical Practice", "{body}");
        assert_eq!(unread[0]["organisation_code"], "Y12345");
        assert!(
            unread[0]["why"]
                .as_str()
                .unwrap()
                .contains("consent records"),
            "{body}"
        );
        assert_eq!(
            body["consent_unknown"]["emergency"].is_object(),
            offered,
            "{login}"
        );
        assert!(body.get("entries").is_none(), "no data with the refusal");
    }
    assert_eq!(
        refusals_saying(&portal, "could not be checked").await,
        table.len(),
        "every refusal is audited with its reason"
    );

    // The emergency route opens it, saying first that the patient may have objected.
    let (status, body) =
        api_record(&portal, "ae.clinician", Some(("emergency", REASON)), &nhs).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["warnings"][0]["kind"], "consent-unknown", "{body}");
    assert!(!entries(&body).is_empty());

    // The source recovers: the incomplete answer was never cached, so the next view reads the
    // objection and refuses as for any dissent.
    portal.demo.get(SourceKind::Gp).unwrap().heal();
    let (status, body) = api_record(
        &portal,
        "call.handler",
        Some(("permission-given", "")),
        &nhs,
    )
    .await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(body["error"], "dissent", "{body}");
}

#[tokio::test]
async fn a_failed_source_that_can_hold_objections_leaves_consent_unknown() {
    // (GP holds objections, call handler's status, GP's reason)
    let table = [(None, 403), (Some(true), 403), (Some(false), 200)];
    for (holds, expected) in table {
        let portal = common::start_with(
            common::population(),
            |s| server::demo::Faults {
                failure: (s.kind == SourceKind::Gp).then_some(server::demo::Failure::Http500),
                ..Default::default()
            },
            |c| {
                for s in c.sources.iter_mut().filter(|s| s.kind == SourceKind::Gp) {
                    s.holds_objections = holds;
                }
            },
        )
        .await;
        let nhs = patient_known_at(
            &portal.demo.population,
            &[SourceKind::Gp, SourceKind::Acute],
        )
        .as_digits();
        let (status, body) = api_record(
            &portal,
            "call.handler",
            Some(("permission-given", "")),
            &nhs,
        )
        .await;
        assert_eq!(status, expected, "holds_objections {holds:?}: {body}");
        if expected == 403 {
            assert_eq!(body["error"], "consent-unknown");
            assert_eq!(
                body["consent_unknown"]["unread"][0]["why"],
                "it could not be reached"
            );
        } else {
            assert_eq!(common::source_report(&body, "gp")["status"], "error");
            assert!(body["warnings"]
                .as_array()
                .unwrap()
                .iter()
                .all(|w| w["kind"] != "consent-unknown"));
        }
    }
}

#[tokio::test]
async fn an_earlier_copy_cannot_say_whether_the_patient_objects_now() {
    let portal = common::start().await;
    let nhs = patient_known_at(
        &portal.demo.population,
        &[SourceKind::Gp, SourceKind::Acute],
    )
    .as_digits();
    let basis = Some(("permission-given", ""));
    let (status, _) = api_record(&portal, "call.handler", basis, &nhs).await;
    assert_eq!(status, 200);
    portal
        .demo
        .get(SourceKind::Gp)
        .unwrap()
        .stop_and_wait()
        .await;
    let client = portal.client_with_basis("call.handler", basis).await;
    let response = client
        .get(format!(
            "{}/api/v1/patients/{nhs}/record?refresh=true",
            portal.url
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], "consent-unknown", "{body}");
    assert!(body["consent_unknown"]["unread"][0]["why"]
        .as_str()
        .unwrap()
        .contains("earlier copy"));
    // A clinician in an emergency still sees the earlier copy, labelled stale.
    let (status, body) =
        api_record(&portal, "ae.clinician", Some(("emergency", REASON)), &nhs).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(common::source_report(&body, "gp")["status"], "stale");
}

#[tokio::test]
async fn a_recorded_basis_holds_only_in_the_role_and_organisation_it_was_given_in() {
    let portal = common::start().await;
    let nhs = patient_known_at(&portal.demo.population, &[SourceKind::Gp]).as_digits();
    // A locum holds two roles, at RX1 and at Y0111, in one session.
    let locum = portal.sign_in("locum.doctor").await;
    let csrf = locum.whoami().await["csrf_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let choose = |role: &'static str| {
        let locum = locum.clone();
        let csrf = csrf.clone();
        async move {
            let response = locum
                .post(
                    "/auth/role",
                    &[("role", role), ("csrf", &csrf), ("next", "/")],
                )
                .await;
            assert_eq!(response.status(), 303, "role {role} chosen");
            locum.whoami().await["viewer"]["organisation"]
                .as_str()
                .unwrap()
                .to_owned()
        }
    };
    let record = || {
        let locum = locum.clone();
        let nhs = nhs.clone();
        async move {
            let response = locum
                .post(
                    "/sfn/record",
                    &[("nhs_number", nhs.as_str()), ("refresh", "false")],
                )
                .await;
            let status = response.status().as_u16();
            (status, response.json::<Value>().await.unwrap())
        }
    };

    assert_eq!(choose("0").await, "RX1");
    let response = locum
        .post(
            "/sfn/basis",
            &[
                ("nhs_number", nhs.as_str()),
                ("code", "emergency"),
                ("reason", REASON),
            ],
        )
        .await;
    assert_eq!(response.status(), 200);
    let (status, body) = record().await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["basis"]["code"], "emergency");

    // The emergency reason was given at RX1: at Y0111 it is asked for again.
    assert_eq!(choose("1").await, "Y0111");
    let (status, body) = record().await;
    assert_eq!(status, 403, "{body}");
    assert!(body.get("BasisRequired").is_some(), "{body}");

    // Back at RX1, the basis given there still holds (for its lifetime).
    assert_eq!(choose("0").await, "RX1");
    let (status, body) = record().await;
    assert_eq!(status, 200, "{body}");
}

/// A FHIR source on loopback holding, for each patient, a Patient labelled as `patient_meta`
/// says and Conditions labelled under every spelling of v3 Confidentiality.
mod labelled_source {
    use axum::extract::{Path, Query};
    use axum::routing::get;
    use serde_json::{json, Value};
    use std::collections::HashMap;

    pub const CONFIDENTIALITY: &str = "http://terminology.hl7.org/CodeSystem/v3-Confidentiality";
    pub const OLD: &str = "http://hl7.org/fhir/v3/Confidentiality";
    pub const OID: &str = "urn:oid:2.16.840.1.113883.5.25";

    /// (id, meta): one Condition per way a label is sent.
    pub fn conditions() -> Vec<(&'static str, Value)> {
        vec![
            (
                "r4-v",
                json!({ "security": [{ "system": CONFIDENTIALITY, "code": "V" }] }),
            ),
            (
                "old-v",
                json!({ "security": [{ "system": OLD, "code": "V" }] }),
            ),
            (
                "oid-v",
                json!({ "security": [{ "system": OID, "code": "V" }] }),
            ),
            ("tag-v", json!({ "tag": [{ "system": OID, "code": "V" }] })),
            ("bare-v", json!({ "security": [{ "code": "V" }] })),
            (
                "old-r",
                json!({ "security": [{ "system": OLD, "code": "R" }] }),
            ),
            ("tag-r", json!({ "tag": [{ "system": OLD, "code": "R" }] })),
            ("plain", json!({})),
        ]
    }

    fn bundle(resources: Vec<Value>) -> axum::response::Response {
        use axum::response::IntoResponse;
        let entry: Vec<Value> = resources
            .into_iter()
            .map(|r| json!({ "resource": r, "search": { "mode": "match" } }))
            .collect();
        (
            [("content-type", "application/fhir+json")],
            json!({ "resourceType": "Bundle", "type": "searchset", "entry": entry }).to_string(),
        )
            .into_response()
    }

    fn patient(nhs: &str, meta: &Value) -> Value {
        json!({ "resourceType": "Patient", "id": format!("p{nhs}"),
        "meta": meta,
        "identifier": [{ "system": "https://fhir.nhs.uk/Id/nhs-number", "value": nhs }],
        "name": [{ "use": "official", "family": "Hidewell", "given": ["Secret"] }],
        "birthDate": "1980-02-03", "gender": "female",
        "address": [{ "use": "home", "postalCode": "ZZ9 9ZZ" }] })
    }

    /// Serves on 127.0.0.1; `patients` maps NHS numbers to their Patient's `meta`.
    pub async fn start(patients: HashMap<String, Value>) -> String {
        let search = move |Path(resource_type): Path<String>,
                           Query(query): Query<HashMap<String, String>>| {
            let patients = patients.clone();
            async move {
                match resource_type.as_str() {
                    "Patient" if query.contains_key("family") => {
                        // A demographic search: every patient here is a Hidewell born so.
                        let mut all: Vec<_> = patients.iter().collect();
                        all.sort_by_key(|(nhs, _)| nhs.as_str());
                        bundle(
                            all.into_iter()
                                .map(|(nhs, meta)| patient(nhs, meta))
                                .collect(),
                        )
                    }
                    "Patient" => {
                        let nhs = query
                            .get("identifier")
                            .and_then(|i| i.split('|').nth(1))
                            .unwrap_or_default()
                            .to_owned();
                        let Some(meta) = patients.get(&nhs) else {
                            return bundle(vec![]);
                        };
                        bundle(vec![patient(&nhs, meta)])
                    }
                    "Condition" => bundle(
                        conditions()
                            .into_iter()
                            .map(|(id, meta)| {
                                json!({ "resourceType": "Condition", "id": id,
                                "meta": meta, "code": { "text": format!("Condition {id}") },
                                "clinicalStatus": { "coding": [{ "code": "active" }] },
                                "onsetDateTime": "2020-01-01" })
                            })
                            .collect(),
                    ),
                    "AllergyIntolerance" => {
                        bundle(vec![json!({ "resourceType": "AllergyIntolerance",
                        "id": "allergy-old-r", "meta": { "security": [{ "system": OLD, "code": "R" }] },
                        "code": { "text": "Penicillin" }, "recordedDate": "2019-05-06" })])
                    }
                    _ => bundle(vec![]),
                }
            }
        };
        let router = axum::Router::new().route("/fhir/{resource_type}", get(search));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/fhir", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, router).await });
        url
    }
}

#[tokio::test]
async fn confidentiality_labels_are_recognised_under_every_spelling_on_items_and_patients() {
    use labelled_source::{OID, OLD};
    let population = common::population();
    let numbers: Vec<String> = population
        .nhs_numbers()
        .take(4)
        .map(|n| n.as_digits())
        .collect();
    // (Patient's meta, clinician sees the details, call handler sees them, reason withheld)
    let vr = "very restricted: only the holding organisation can show it";
    let r = "restricted at the source";
    let patients = [
        (serde_json::json!({}), None, None),
        (
            serde_json::json!({ "security": [{ "system": OLD, "code": "V" }] }),
            Some(vr),
            Some(vr),
        ),
        (
            serde_json::json!({ "security": [{ "code": "V" }] }),
            Some(vr),
            Some(vr),
        ),
        (
            serde_json::json!({ "tag": [{ "system": OID, "code": "R" }] }),
            None,
            Some(r),
        ),
    ];
    let url = labelled_source::start(
        numbers
            .iter()
            .cloned()
            .zip(patients.iter().map(|p| p.0.clone()))
            .collect(),
    )
    .await;
    let portal = common::start_with(
        population,
        |_| Default::default(),
        move |config| {
            let mut gp = config
                .sources
                .iter()
                .find(|s| s.kind == SourceKind::Gp)
                .unwrap()
                .clone();
            gp.base_url = url.parse().unwrap();
            config.sources = vec![gp];
        },
    )
    .await;

    for (nhs, (_, clinician_withheld, handler_withheld)) in numbers.iter().zip(&patients) {
        for (login, details_withheld) in [
            ("ae.clinician", clinician_withheld),
            ("call.handler", handler_withheld),
        ] {
            let (status, record) =
                api_record(&portal, login, Some(("permission-given", "")), nhs).await;
            assert_eq!(status, 200, "{login} {nhs}: {record}");
            let mut shown: Vec<&str> = entries(&record)
                .iter()
                .map(|e| e["resource_id"].as_str().unwrap())
                .collect();
            shown.sort();
            let withheld = |category: &str, reason: &str| -> u64 {
                record["withheld"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .filter(|w| w["category"] == category && w["reason"] == reason)
                    .map(|w| w["count"].as_u64().unwrap())
                    .sum()
            };
            // Items: every spelling of V withheld from everyone, R from the call handler.
            if login == "ae.clinician" {
                assert_eq!(shown, ["allergy-old-r", "old-r", "plain", "tag-r"], "{nhs}");
                assert_eq!(withheld("problem", vr), 5, "{record}");
            } else {
                // A limited-summary role is told only how many (never which kind or source).
                assert!(shown.is_empty(), "{login} {nhs}: {shown:?}");
                assert_eq!(record["withheld"], serde_json::json!([]), "{record}");
                assert!(record["hidden_for_role"].as_u64().unwrap() >= 1, "{record}");
            }
            // The Patient's own labels: its details are withheld and counted, never shown.
            match *details_withheld {
                Some(reason) => {
                    assert_eq!(record["demographics"], Value::Null, "{login} {nhs}");
                    if login == "ae.clinician" {
                        assert_eq!(withheld("patient-details", reason), 1, "{record}");
                    }
                    let text = record.to_string();
                    assert!(
                        !text.contains("Hidewell") && !text.contains("ZZ9 9ZZ"),
                        "{login} {nhs}: {text}"
                    );
                }
                None => {
                    assert_eq!(
                        record["demographics"]["family"], "Hidewell",
                        "{login} {nhs}"
                    );
                    assert_eq!(record["demographics"]["postcode"], "ZZ9 9ZZ");
                    assert_eq!(
                        withheld("patient-details", vr) + withheld("patient-details", r),
                        0
                    );
                }
            }
        }
    }
    // A demographic search names only the people whose labels this viewer may see; the others
    // are counted, never named.
    // (user, listed, not shown as confidential)
    let table = [
        ("ae.clinician", vec![&numbers[0], &numbers[3]], 2),
        ("call.handler", vec![&numbers[0]], 3),
    ];
    for (login, expected, restricted) in table {
        let user = portal.sign_in(login).await;
        let response = user
            .get("/api/v1/patients?family=Hidewell&birthdate=1980-02-03")
            .await;
        assert_eq!(response.status(), 200, "{login}");
        let results: Value = response.json().await.unwrap();
        let mut listed: Vec<&str> = results["matches"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["nhs_number"].as_str().unwrap())
            .collect();
        listed.sort();
        let mut expected: Vec<&str> = expected.iter().map(|n| n.as_str()).collect();
        expected.sort();
        assert_eq!(listed, expected, "{login}: {results}");
        assert_eq!(results["not_shown"]["restricted"], restricted, "{login}");
    }
}

/// The clinicians' pages submit the basis forms as plain HTML forms (they are not hydrated
/// whole: Leptos islands). Such a post (it accepts `text/html`) is answered by a redirect back
/// to the record page, with a refusal's reason in the address for the page to show, and never
/// by a status page showing the error's JSON.
#[tokio::test]
async fn a_basis_form_posted_without_the_bundle_is_answered_by_a_redirect_to_its_page() {
    let portal = common::start().await;
    let nhs = patient_known_at(&portal.demo.population, &[SourceKind::Gp]).as_digits();
    let clinician = portal.sign_in("ae.clinician").await;
    let page = format!("{}/record?nhs={nhs}", clinician.base);
    let form_post = |code: &'static str, reason: &'static str| {
        let (clinician, page, nhs) = (clinician.clone(), page.clone(), nhs.clone());
        async move {
            let response = clinician
                .http
                .post(format!("{}/sfn/basis", clinician.base))
                .header("accept", "text/html,application/xhtml+xml,*/*;q=0.8")
                .header("origin", &clinician.base)
                .header("referer", &page)
                .header("cookie", clinician.session.clone().unwrap())
                .form(&[
                    ("nhs_number", nhs.as_str()),
                    ("code", code),
                    ("reason", reason),
                ])
                .send()
                .await
                .unwrap();
            let status = response.status().as_u16();
            let location = response
                .headers()
                .get("location")
                .map(|l| l.to_str().unwrap().to_owned())
                .unwrap_or_default();
            (status, location)
        }
    };
    // (basis, reason, what the record page it goes back to says)
    let table = [
        ("emergency", "unconscious", Some("at least 20 characters")),
        ("curiosity", REASON, Some("basis-refused")),
        ("permission-given", "", None),
    ];
    for (code, reason, refusal) in table {
        let (status, location) = form_post(code, reason).await;
        assert!((300..400).contains(&status), "{code}: {status}");
        assert!(
            location.starts_with(&page),
            "{code}: back to the record page: {location}"
        );
        match refusal {
            Some(said) => {
                assert!(
                    location.contains("__path=%2Fsfn%2Fbasis&__err="),
                    "{code}: {location}"
                );
                let path = location.strip_prefix(&clinician.base).unwrap();
                let html = clinician.get(path).await.text().await.unwrap();
                assert!(
                    html.contains(r#"data-testid="basis-refused""#),
                    "{code}: {html}"
                );
                assert!(html.contains(said), "{code}: the page says {said}");
            }
            None => assert!(!location.contains("__err"), "{code}: {location}"),
        }
    }
    // The last form was accepted: the record opens.
    let response = clinician
        .post(
            "/sfn/record",
            &[("nhs_number", nhs.as_str()), ("refresh", "false")],
        )
        .await;
    assert_eq!(response.status(), 200);
}
