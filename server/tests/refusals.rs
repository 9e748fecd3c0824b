//! Each rule that refuses, tried over real HTTP as a user would meet it: the refusal is audited
//! as its own named kind with the refusal's words, a privacy officer finds it by that kind in
//! the workspace (with the time on the UK clock) and in the CSV export, and the access report
//! counts it by reason. Every kind of [`RefusalKind`] is provoked here (a request from no one
//! signed in is not audited; README says why).

use crate::common;

use app::audit_terms::RefusalKind;
use app::model::SourceKind;
use common::{labelled_id_at_source, patient_known_at, set_cookie, sfn, showcase, Portal};
use serde_json::Value;
use server::audit::{AuditEvent, EventKind, Outcome, StoredEvent};

const REASON: &str = "Unconscious after a fall, no one with them to ask";

#[tokio::test]
async fn each_refusal_is_audited_as_its_own_kind_and_found_by_it() {
    let portal = common::start().await;
    let population = &portal.demo.population;
    let ordinary = patient_known_at(population, &[SourceKind::Gp]).as_digits();
    let dissenting = showcase(population, "has objected").as_digits();
    let labelled = showcase(population, "items labelled").as_digits();
    let unreadable = showcase(population, "the GP cannot say").as_digits();
    let restricted = labelled_id_at_source(&portal, SourceKind::Gp, &labelled, "Condition").await;
    let record = |nhs: &str| format!("/api/v1/patients/{nhs}/record");
    let given = Some(("permission-given", ""));
    // (user, basis, path, status, the refusal written, words its detail holds)
    let table = [
        (
            "privacy.officer",
            given,
            record(&ordinary),
            403,
            RefusalKind::Role,
            "needs the find-patient permission",
        ),
        (
            "ae.clinician",
            None,
            record(&ordinary),
            403,
            RefusalKind::NoBasis,
            "Record why",
        ),
        (
            "call.handler",
            Some(("emergency", REASON)),
            record(&ordinary),
            403,
            RefusalKind::BasisRefused,
            "emergency",
        ),
        (
            "ae.clinician",
            Some(("emergency", "fall")),
            record(&ordinary),
            403,
            RefusalKind::BasisRefused,
            "reason",
        ),
        (
            "ae.clinician",
            given,
            record(&dissenting),
            403,
            RefusalKind::Dissent,
            "not to be shared",
        ),
        (
            "call.handler",
            given,
            format!("/api/v1/patients/{labelled}/entries/gp/Condition/{restricted}"),
            404,
            RefusalKind::Withheld,
            "Withheld",
        ),
        (
            "ae.clinician",
            given,
            record("9434765918"),
            400,
            RefusalKind::InvalidNhsNumber,
            "typed \"9434765918\"",
        ),
        // The showcase patient whose GP's Consent search fails: not taken as no objection.
        (
            "call.handler",
            given,
            record(&unreadable),
            403,
            RefusalKind::ConsentUnknown,
            "wishes about sharing could not be checked",
        ),
        // A search with a wildcard in the family name, refused before any source is asked.
        (
            "ae.clinician",
            None,
            "/api/v1/patients?family=Sm*&birthdate=1970-01-01".to_owned(),
            400,
            RefusalKind::InvalidRequest,
            "no digits, commas or wildcards",
        ),
    ];
    for (login, basis, path, status, kind, words) in &table {
        let before = portal.audit_events().await.len();
        let client = portal.client_with_basis(login, *basis).await;
        let response = client
            .get(format!("{}{path}", portal.url))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), *status, "{login} {path}");
        let written = portal.audit_events().await;
        let refused: Vec<_> = written[before..]
            .iter()
            .filter(|e| e.event.outcome == Outcome::Refused)
            .collect();
        assert_eq!(refused.len(), 1, "{login} {path}: {refused:?}");
        let event = &refused[0].event;
        assert_eq!(event.kind, EventKind::Denied, "{login} {path}");
        assert_eq!(event.refusal, Some(*kind), "{login} {path}");
        let detail = event.detail.as_deref().unwrap_or_default();
        assert!(detail.contains(words), "{kind:?}: {detail}");
    }

    // The officer finds each kind by its name, and only that kind.
    let officer = portal.token_for("privacy.officer").await;
    for (_, _, _, _, kind, _) in &table {
        let (status, found) = sfn(
            &portal,
            &officer,
            "/sfn/audit-search",
            &[("query[refusal]", kind.as_str())],
        )
        .await;
        assert_eq!(status, 200, "{found}");
        let rows = found["rows"].as_array().unwrap();
        let expected = table.iter().filter(|row| row.4 == *kind).count();
        assert_eq!(rows.len(), expected, "{kind:?}: {found}");
        for row in rows {
            assert_eq!(row["refusal"], kind.as_str());
            assert_eq!(row["outcome"], "refused");
            let local = row["at_local"].as_str().unwrap();
            assert!(
                local.ends_with(" GMT") || local.ends_with(" BST"),
                "{local}"
            );
        }
    }
    let (status, bad) = sfn(
        &portal,
        &officer,
        "/sfn/audit-search",
        &[("query[refusal]", "bad-luck")],
    )
    .await;
    assert_eq!(status, 400, "{bad}");

    // The search offers every kind by its label, and the configured bases.
    let (status, choices) = sfn(&portal, &officer, "/sfn/audit-choices", &[]).await;
    assert_eq!(status, 200, "{choices}");
    assert_eq!(
        choices["refusals"].as_array().unwrap().len(),
        RefusalKind::ALL.len()
    );
    assert!(choices["bases"]
        .as_array()
        .unwrap()
        .iter()
        .any(|b| b["value"] == "emergency"));
    let clinician = portal.token_for("ae.clinician").await;
    let (status, _) = sfn(&portal, &clinician, "/sfn/audit-choices", &[]).await;
    assert_eq!(status, 403);

    // The export carries the kind in its own column.
    let csv = portal
        .client_for("privacy.officer")
        .await
        .get(format!(
            "{}/api/v1/audit/events?outcome=refused&format=csv",
            portal.url
        ))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(csv.starts_with("seq,time,kind,"), "{csv}");
    for (_, _, _, _, kind, _) in &table {
        assert!(
            csv.contains(&format!(",refused,{},", kind.as_str())),
            "{kind:?}"
        );
    }

    // The 30-day access report counts refusals by reason, in words.
    let (status, report) = sfn(
        &portal,
        &officer,
        "/sfn/audit-report",
        &[("query[from]", ""), ("query[to]", "")],
    )
    .await;
    assert_eq!(status, 200, "{report}");
    let count = |code: &str| {
        report["refusals"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["refusal"] == code)
            .map(|r| (r["count"].as_u64().unwrap(), r["label"].clone()))
    };
    assert_eq!(
        count("basis-refused"),
        Some((2, Value::from("Basis refused")))
    );
    assert_eq!(count("dissent"), Some((1, Value::from("Patient dissent"))));
}

/// A record page whose address holds something that is not an NHS number is refused once,
/// and audited once, however many calls the page would make for a real number.
#[tokio::test]
async fn a_bad_number_in_the_record_page_address_is_one_refusal() {
    let portal = common::start().await;
    let browser = portal.sign_in("ae.clinician").await;
    let before = portal.audit_events().await.len();
    let page = browser.get("/record?nhs=943%20476%205918").await;
    let text = page.text().await.unwrap();
    assert!(text.contains("NHS number"), "the page says what is wrong");
    let refused: Vec<_> = portal.audit_events().await[before..]
        .iter()
        .filter(|e| e.event.outcome == Outcome::Refused)
        .map(|e| (e.event.refusal, e.event.detail.clone().unwrap_or_default()))
        .collect();
    assert_eq!(refused.len(), 1, "{refused:?}");
    assert_eq!(refused[0].0, Some(RefusalKind::InvalidNhsNumber));
    assert!(refused[0].1.contains("943 476 5918"), "{}", refused[0].1);
}

/// The refusals written after the first `since` events of the portal's trail, in chain order.
async fn refusals_since(portal: &Portal, since: usize) -> Vec<StoredEvent> {
    portal.audit_events().await[since..]
        .iter()
        .filter(|e| e.event.outcome == Outcome::Refused)
        .cloned()
        .collect()
}

/// The sequence numbers of the events an audit officer's search by `kind` finds, oldest first,
/// each row checked to be a refusal of that kind.
async fn found_by_kind(portal: &Portal, kind: RefusalKind) -> Vec<i64> {
    let officer = portal.token_for("privacy.officer").await;
    let (status, found) = sfn(
        portal,
        &officer,
        "/sfn/audit-search",
        &[("query[refusal]", kind.as_str())],
    )
    .await;
    assert_eq!(status, 200, "{found}");
    assert!(found["older"].is_null(), "one page holds them all: {found}");
    let rows = found["rows"].as_array().expect("rows");
    for row in rows {
        assert_eq!(row["refusal"], kind.as_str(), "{row}");
        assert_eq!(row["outcome"], "refused", "{row}");
    }
    let mut seqs: Vec<i64> = rows.iter().map(|r| r["seq"].as_i64().unwrap()).collect();
    seqs.sort_unstable();
    seqs
}

/// Asserts `event` is a refusal of `kind`, written as an event of `event_kind`, whose detail
/// holds `words`.
fn assert_refused(event: &AuditEvent, event_kind: EventKind, kind: RefusalKind, words: &str) {
    assert_eq!(event.outcome, Outcome::Refused, "{event:?}");
    assert_eq!(event.kind, event_kind, "{kind:?}");
    assert_eq!(event.refusal, Some(kind));
    let detail = event.detail.as_deref().unwrap_or_default();
    assert!(detail.contains(words), "{kind:?}: {detail}");
}

/// A lookup and a sign-in attempt beyond their limits: the lookup is a refused request by the
/// clinician, naming the patient in its own field and not in the route; the sign-in attempt
/// is a refused sign-in by someone not yet known. Both are rate-limited, and found by that.
#[tokio::test]
async fn rate_limited_lookups_and_sign_ins_are_audited_as_such_and_found_by_it() {
    // One request at once, one more a minute later: of two requests made one straight after
    // the other, the second is refused (the limiter's clock is real, and a minute is far more
    // than two local requests take).
    let once = server::ratelimit::RateLimit {
        per_minute: 1,
        burst: 1,
    };
    let portal = common::start_with(
        common::population(),
        |_| server::demo::Faults::default(),
        |config| {
            config.identity.lookup_rate = once.clone();
            config.identity.sign_in_rate = once;
        },
    )
    .await;
    let nhs = patient_known_at(&portal.demo.population, &[SourceKind::Gp]).as_digits();
    let before = portal.audit_events().await.len();

    let lookups = [
        portal.record_json(&nhs).await.0.as_u16(),
        portal.record_json(&nhs).await.0.as_u16(),
    ];
    assert_eq!(lookups, [200, 429]);
    // The fixture's clients take their tokens from the demo provider, never `/auth/login`, so
    // this address has its one attempt left.
    let browser = portal.browser();
    let mut sign_ins = Vec::new();
    for _ in 0..2 {
        let response = browser.get("/auth/login?issuer=demo&next=/").await;
        sign_ins.push(response.status().as_u16());
    }
    assert_eq!(sign_ins, [303, 429]);

    let refused = refusals_since(&portal, before).await;
    assert_eq!(refused.len(), 2, "{refused:?}");
    let (lookup, sign_in) = (&refused[0].event, &refused[1].event);
    assert_refused(
        lookup,
        EventKind::Denied,
        RefusalKind::RateLimited,
        "/api/v1/patients/{nhs_number}/record: rate limited",
    );
    assert_eq!(lookup.user_name, "Dr Asha Patel");
    assert_eq!(lookup.nhs_number.as_deref(), Some(nhs.as_str()));
    assert_refused(
        sign_in,
        EventKind::SignIn,
        RefusalKind::RateLimited,
        "sign-in rate limited",
    );
    assert_eq!(sign_in.user_id, "(unknown)");

    let written: Vec<i64> = refused.iter().map(|e| e.seq).collect();
    assert_eq!(
        found_by_kind(&portal, RefusalKind::RateLimited).await,
        written
    );
}

/// Sign-ins the portal cannot prove, as a browser meets them: the identity provider's refusal
/// sent back to the callback (the person declined at the provider), and a callback the portal
/// did not start (an old or bookmarked callback address, with no login cookie). Each is a
/// refused sign-in by someone not known, with no session, and found as sign-in-refused.
#[tokio::test]
async fn refused_sign_ins_are_audited_as_sign_in_refused_and_found_by_it() {
    let portal = common::start().await;
    let browser = portal.browser();
    let started = browser.get("/auth/login?issuer=demo&next=/").await;
    assert_eq!(started.status(), 303, "sign-in starts with a redirect");
    let login_cookie = set_cookie(&started, "scr_login").expect("login cookie");
    let authorize = url::Url::parse(started.headers()["location"].to_str().unwrap()).unwrap();
    let state = authorize
        .query_pairs()
        .find(|(k, _)| k == "state")
        .expect("a state")
        .1
        .into_owned();

    // (callback query, login cookie sent, words of the refusal)
    let table = [
        (
            format!("error=access_denied&state={state}"),
            Some(login_cookie.as_str()),
            "the identity provider refused the sign-in (access_denied)",
        ),
        (
            "code=made-up&state=made-up".to_owned(),
            None,
            "this sign-in was not started here",
        ),
    ];
    let mut written = Vec::new();
    for (query, cookie, words) in &table {
        let before = portal.audit_events().await.len();
        let mut request = browser
            .http
            .get(format!("{}/auth/callback?{query}", portal.url));
        if let Some(cookie) = cookie {
            request = request.header("cookie", *cookie);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), 401, "{query}");
        assert!(set_cookie(&response, "scr_session").is_none(), "{query}");
        let refused = refusals_since(&portal, before).await;
        assert_eq!(refused.len(), 1, "{query}: {refused:?}");
        let event = &refused[0].event;
        // A sign-in that did not complete, not a request refused to someone signed in.
        assert_refused(event, EventKind::SignIn, RefusalKind::SignInRefused, words);
        assert_eq!(event.user_id, "(unknown)");
        written.push(refused[0].seq);
    }
    assert_eq!(
        found_by_kind(&portal, RefusalKind::SignInRefused).await,
        written
    );
}

/// One person who is both an A&E clinician and an audit officer opens a record in an
/// emergency, then tries to review that access themselves: refused (a review is a second
/// person's check), audited as own-review against the access it names, and found by that.
#[tokio::test]
async fn reviewing_ones_own_emergency_access_is_audited_as_own_review_and_found_by_it() {
    let portal = common::start().await;
    let nhs = patient_known_at(&portal.demo.population, &[SourceKind::Gp]).as_digits();
    // One person, two roles: two tokens with one `sub`.
    let (as_clinician, as_officer) = portal.clinician_and_officer_tokens().await;
    let opened = common::bearer_client(&as_clinician, Some(("emergency", REASON)))
        .get(format!("{}/api/v1/patients/{nhs}/record", portal.url))
        .send()
        .await
        .unwrap();
    assert_eq!(opened.status(), 200);
    let (status, queue) = sfn(&portal, &as_officer, "/sfn/audit-reviews", &[]).await;
    assert_eq!(status, 200, "{queue}");
    let access = queue[0]["seq"].as_i64().expect("the access awaits review");

    let before = portal.audit_events().await.len();
    let seq = access.to_string();
    let note = [
        ("seq", seq.as_str()),
        ("note", "Checked with the ED consultant: appropriate"),
    ];
    let (status, body) = sfn(&portal, &as_officer, "/sfn/audit-review", &note).await;
    assert_eq!(status, 403, "{body}");
    let refused = refusals_since(&portal, before).await;
    assert_eq!(refused.len(), 1, "{refused:?}");
    let event = &refused[0].event;
    assert_refused(
        event,
        EventKind::Denied,
        RefusalKind::OwnReview,
        &format!("review of emergency access {access}: you opened this record yourself"),
    );
    assert_eq!(event.user_id, "demo-ae.auditor");
    assert_eq!(event.refers_to, Some(access));
    assert_eq!(
        found_by_kind(&portal, RefusalKind::OwnReview).await,
        [refused[0].seq]
    );
}

/// Forms a signed-in browser sends that cannot be accepted: one posted from another site, and
/// a sign-out whose CSRF token is not the session's. Each is audited as invalid-request by the
/// person signed in, and found by that kind (the table above provokes its other writer, a
/// malformed search).
#[tokio::test]
async fn cross_site_and_forged_forms_are_audited_as_invalid_requests_and_found_by_it() {
    let portal = common::start().await;
    let nhs = patient_known_at(&portal.demo.population, &[SourceKind::Gp]).as_digits();
    let browser = portal.sign_in("ae.clinician").await;
    let basis = [
        ("nhs_number", nhs.as_str()),
        ("code", "permission-given"),
        ("reason", ""),
    ];
    let forged = [("csrf", "forged")];
    let own = browser.base.clone();
    // (path, form, Origin sent, words of the refusal)
    let table = [
        (
            "/sfn/basis",
            &basis[..],
            "http://evil.example",
            "/sfn/basis: a cross-site request (not from the portal's own pages)",
        ),
        (
            "/auth/signout",
            &forged[..],
            own.as_str(),
            "/auth/signout: the form's CSRF token does not match the session",
        ),
    ];
    let mut written = Vec::new();
    for (path, form, origin, words) in table {
        let before = portal.audit_events().await.len();
        let response = browser.post_from(path, form, Some(origin)).await;
        assert_eq!(response.status(), 403, "{path}");
        let refused = refusals_since(&portal, before).await;
        assert_eq!(refused.len(), 1, "{path}: {refused:?}");
        let event = &refused[0].event;
        assert_refused(event, EventKind::Denied, RefusalKind::InvalidRequest, words);
        assert_eq!(event.user_name, "Dr Asha Patel");
        written.push(refused[0].seq);
    }
    assert_eq!(
        found_by_kind(&portal, RefusalKind::InvalidRequest).await,
        written
    );
}
