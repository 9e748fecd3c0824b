//! The timeline a page at a time, over real HTTP: the record page is sent the summary's
//! entries and the first page only; further pages and filters come from `/sfn/timeline`,
//! checked and audited like the record itself.

use crate::common;

use app::timeline_query::{iso_day, parse_day};
use common::{showcase, Browser, Portal};
use serde_json::Value;

const PAGE_SIZE: usize = app::timeline_query::PAGE_SIZE;

async fn post(browser: &Browser, path: &str, form: &[(&str, &str)]) -> (u16, Value, usize) {
    let response = browser.post(path, form).await;
    let status = response.status().as_u16();
    let bytes = response.bytes().await.expect("a body");
    let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    (status, body, bytes.len())
}

async fn timeline(browser: &Browser, nhs: &str, params: &str) -> (u16, Value) {
    let (status, body, _) = post(
        browser,
        "/sfn/timeline",
        &[("nhs_number", nhs), ("params", params)],
    )
    .await;
    (status, body)
}

/// A clinician with the patient's permission recorded for `nhs`.
async fn clinician_for(portal: &Portal, nhs: &str) -> Browser {
    let clinician = portal.sign_in("ae.clinician").await;
    let (status, body, _) = post(
        &clinician,
        "/sfn/basis",
        &[
            ("nhs_number", nhs),
            ("code", "permission-given"),
            ("reason", ""),
        ],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    clinician
}

fn titles(page: &Value) -> Vec<String> {
    page["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .map(|e| e["title"].as_str().unwrap_or_default().to_owned())
        .collect()
}

fn ids(entries: &[Value]) -> Vec<String> {
    entries
        .iter()
        .map(|e| {
            format!(
                "{}/{}/{}",
                e["source_id"], e["resource_type"], e["resource_id"]
            )
        })
        .collect()
}

#[tokio::test]
async fn the_record_page_gets_one_page_and_the_rest_come_a_page_at_a_time() {
    let portal = common::start().await;
    let nhs = showcase(&portal.demo.population, "3,000 glucose").as_digits();
    let clinician = clinician_for(&portal, &nhs).await;

    let (status, full, full_bytes) = post(
        &clinician,
        "/sfn/record-in-full",
        &[("nhs_number", nhs.as_str())],
    )
    .await;
    assert_eq!(status, 200, "{full}");
    let every = full["entries"].as_array().expect("entries").clone();
    assert!(every.len() > 3_000, "{} entries", every.len());

    let (status, paged, paged_bytes) = post(
        &clinician,
        "/sfn/record",
        &[("nhs_number", nhs.as_str()), ("refresh", "false")],
    )
    .await;
    assert_eq!(status, 200, "{paged}");
    let first = &paged["timeline"];
    assert_eq!(first["total"], every.len());
    assert_eq!(first["pages"], every.len().div_ceil(PAGE_SIZE));
    assert_eq!(
        ids(first["entries"].as_array().expect("page")),
        ids(&every[..PAGE_SIZE])
    );
    let sent = paged["entries"].as_array().expect("summary entries");
    assert!(
        sent.iter().all(|e| e["category"] != "observation"),
        "the summary's entries hold no readings"
    );
    assert!(
        paged_bytes * 5 < full_bytes,
        "the record page's record ({paged_bytes} bytes) is far smaller than the whole record ({full_bytes})"
    );

    // Every entry is on exactly one page, in the record's order.
    let pages = first["pages"].as_u64().expect("pages") as usize;
    let mut seen = Vec::new();
    for page in 1..=pages {
        let (status, body) = timeline(&clinician, &nhs, &format!("page={page}")).await;
        assert_eq!(status, 200, "page {page}: {body}");
        assert_eq!(body["query"]["page"], page);
        seen.extend(ids(body["entries"].as_array().expect("page")));
    }
    assert_eq!(seen, ids(&every));

    // The oldest entry is found from the first page by its date and by its words.
    let oldest = every.last().expect("an oldest entry");
    // A day the oldest entry covers (it may be a partial date, `2017` or `2017-03`), and a
    // range around it (a time's UK day may be the day after its UTC one).
    let value = oldest["date"]["value"].as_str().expect("a dated entry");
    let day = match value.len() {
        4 => format!("{value}-06-15"),
        7 => format!("{value}-15"),
        _ => value[..10].to_owned(),
    };
    let near = |by: i64| iso_day(parse_day(&day).expect("a day") + by);
    let (from, to) = (near(-1), near(1));
    let (status, body) = timeline(&clinician, &nhs, &format!("from={from}&to={to}")).await;
    assert_eq!(status, 200, "{body}");
    assert!(
        ids(body["entries"].as_array().expect("page")).contains(&ids(&every[every.len() - 1..])[0])
    );
    let word = oldest["title"]
        .as_str()
        .expect("a title")
        .split_whitespace()
        .next()
        .expect("a word");
    let category = oldest["category"].as_str().expect("a category");
    let (status, body) = timeline(
        &clinician,
        &nhs,
        &format!("q={}&category={category}&to={to}", word.to_uppercase()),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert!(titles(&body)
        .iter()
        .all(|t| t.to_lowercase().contains(&word.to_lowercase())));
    assert!(
        ids(body["entries"].as_array().expect("page")).contains(&ids(&every[every.len() - 1..])[0])
    );

    // Each page asked for is in the audit trail, with what was asked.
    let searches: Vec<_> = portal
        .audit_events()
        .await
        .into_iter()
        .filter(|e| e.event.kind == server::audit::EventKind::TimelineSearch)
        .collect();
    assert_eq!(searches.len(), pages + 2);
    let last = &searches.last().expect("a search").event;
    assert_eq!(last.nhs_number.as_deref(), Some(nhs.as_str()));
    let detail = last.detail.as_deref().unwrap_or_default();
    assert!(detail.contains(&format!("category={category}")), "{detail}");
    assert!(detail.contains(&format!("to={to}")), "{detail}");
}

#[tokio::test]
async fn filters_that_make_no_sense_are_refused_with_the_reason() {
    let portal = common::start().await;
    let nhs = showcase(&portal.demo.population, "3,000 glucose").as_digits();
    let clinician = clinician_for(&portal, &nhs).await;
    for (params, words) in [
        ("category=patient-details", "not a kind of entry"),
        ("from=2026-02-30", "not a date"),
        ("from=2026-02-02&to=2026-02-01", "before"),
        ("page=0", "not a page number"),
    ] {
        let (status, body) = timeline(&clinician, &nhs, params).await;
        assert_eq!(status, 400, "{params}: {body}");
        let message = body["InvalidInput"].as_str().unwrap_or_default();
        assert!(message.contains(words), "{params}: {body}");
    }
    let (status, body) = timeline(&clinician, "123", "").await;
    assert_eq!(status, 400, "{body}");
    assert!(body.get("InvalidNhsNumber").is_some(), "{body}");
}

/// (who, basis recorded for, patient asked about, status, error variant)
type Case<'a> = (Option<&'a str>, Option<&'a str>, &'a str, u16, &'a str);

/// The timeline is the record: each refusal of the record refuses it, and is audited.
#[tokio::test]
async fn every_refusal_of_the_record_refuses_its_timeline() {
    let portal = common::start().await;
    let big = showcase(&portal.demo.population, "3,000 glucose").as_digits();
    let objected = showcase(&portal.demo.population, "has objected").as_digits();
    let cases: [Case; 5] = [
        (None, None, &big, 401, ""),
        (Some("ae.clinician"), None, &big, 403, "BasisRequired"),
        (
            Some("ae.clinician"),
            Some(&big),
            &objected,
            403,
            "BasisRequired",
        ),
        (
            Some("ae.clinician"),
            Some(&objected),
            &objected,
            403,
            "Dissent",
        ),
        (Some("privacy.officer"), None, &big, 403, ""),
    ];
    for (login, basis_for, nhs, status, variant) in cases {
        let browser = match login {
            Some(login) => portal.sign_in(login).await,
            None => portal.browser(),
        };
        if let Some(basis_for) = basis_for {
            let (status, body, _) = post(
                &browser,
                "/sfn/basis",
                &[
                    ("nhs_number", basis_for),
                    ("code", "permission-given"),
                    ("reason", ""),
                ],
            )
            .await;
            assert_eq!(status, 200, "{body}");
        }
        let (got, body) = timeline(&browser, nhs, "page=2").await;
        assert_eq!(got, status, "{login:?} {nhs}: {body}");
        assert!(
            body.get("entries").is_none(),
            "no entries with a refusal: {body}"
        );
        if !variant.is_empty() {
            assert!(body.get(variant).is_some(), "{login:?} {nhs}: {body}");
        }
    }
    let refused = portal
        .audit_events()
        .await
        .into_iter()
        .filter(|e| e.event.kind == server::audit::EventKind::Denied)
        .count();
    assert!(refused >= 3, "the refusals are audited ({refused})");
}

/// A role limited to the summary pages through the summary's kinds only.
#[tokio::test]
async fn a_summary_only_role_pages_through_the_summary_only() {
    let portal = common::start().await;
    let nhs = showcase(&portal.demo.population, "3,000 glucose").as_digits();
    let handler = portal.sign_in("call.handler").await;
    let (status, body, _) = post(
        &handler,
        "/sfn/basis",
        &[
            ("nhs_number", nhs.as_str()),
            ("code", "permission-given"),
            ("reason", ""),
        ],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    for params in ["", "category=observation", "q=glucose", "page=2"] {
        let (status, body) = timeline(&handler, &nhs, params).await;
        assert_eq!(status, 200, "{params}: {body}");
        for entry in body["entries"].as_array().expect("entries") {
            assert!(
                ["allergy", "medication", "alert", "care-plan"]
                    .contains(&entry["category"].as_str().unwrap_or_default()),
                "{params}: {entry}"
            );
        }
        assert!(
            body["total"].as_u64().expect("total") < 100,
            "{params}: {}",
            body["total"]
        );
    }
}
