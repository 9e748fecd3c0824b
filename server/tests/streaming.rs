//! The record page over real HTTP while a source is slow: each source's early answer is
//! streamed as it comes, and nothing clinical is sent before the slowest source has answered
//! (an objection held there must still stop the view).

use crate::common;

use common::start;

/// Where in the streamed page `source`'s card first says how it answered (not "asking").
fn answered_at(html: &str, source: &str) -> Option<usize> {
    let needle =
        format!("data-testid=\"progress-answer\" data-source-id=\"{source}\" data-answer=\"");
    html.match_indices(&needle)
        .map(|(at, _)| at)
        .find(|at| !html[at + needle.len()..].starts_with("asking"))
}

#[tokio::test]
async fn each_sources_answer_streams_in_and_no_entry_comes_before_the_slowest_source() {
    let portal = start().await;
    let slow = portal
        .demo
        .population
        .slow_patient()
        .expect("the demo population holds the slow-source showcase patient");
    let mut response = portal
        .get(&format!("/record?nhs={}", slow.as_digits()))
        .await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["cache-control"], "no-store");

    // Read the page as it streams; note what had arrived when the fast sources' answers had.
    let fast = ["gp", "acute", "social-care"];
    let mut html = String::new();
    let mut when_fast_answered = None;
    while let Some(chunk) = response.chunk().await.expect("the page streams") {
        html.push_str(&String::from_utf8_lossy(&chunk));
        if when_fast_answered.is_none() && fast.iter().all(|s| answered_at(&html, s).is_some()) {
            when_fast_answered = Some(html.clone());
        }
    }
    let early = when_fast_answered.expect("every fast source's answer was streamed");
    assert!(
        early.contains("data-testid=\"progress-card\" data-source-id=\"mental-health\""),
        "the slow source has a card while it is asked"
    );
    assert!(
        answered_at(&early, "mental-health").is_none(),
        "the fast sources answered while the slow one was still being asked"
    );
    for clinical in [
        "data-testid=\"timeline-row\"",
        "data-testid=\"lookup-done\"",
        "data-testid=\"summary\"",
    ] {
        assert!(
            !early.contains(clinical),
            "{clinical} was sent before the slowest source answered"
        );
    }

    // The whole page: the slow source answered, then (never before) the record.
    let slow_answered = answered_at(&html, "mental-health").expect("the slow source's answer came");
    let first_row = html
        .find("data-testid=\"timeline-row\"")
        .expect("the record came");
    assert!(
        slow_answered < first_row,
        "no entry before every source answered"
    );
    assert!(html.contains("data-testid=\"lookup-done\""));
}

/// The record page of `nhs` as `client` receives it, whole.
async fn record_page(
    client: &reqwest::Client,
    base: &str,
    nhs: app::nhs_number::NhsNumber,
) -> String {
    let url = format!("{base}/record?nhs={}", nhs.as_digits());
    let response = client.get(url).send().await.expect("portal answers");
    response.text().await.expect("page")
}

#[tokio::test]
async fn no_source_card_is_shown_to_a_viewer_who_may_not_open_the_record() {
    let portal = start().await;
    let slow = portal
        .demo
        .population
        .slow_patient()
        .expect("showcase patient");
    // No legitimate basis: the page asks for one, and names no source being asked.
    let without_basis = portal.client_with_basis("ae.clinician", None).await;
    let html = record_page(&without_basis, &portal.url, slow).await;
    assert!(
        html.contains("data-testid=\"basis-prompt\""),
        "the basis is asked for"
    );
    assert!(!html.contains("data-testid=\"progress-card\""));
    // A role that may not look patients up: no cards either.
    let auditor = portal.client_for("privacy.officer").await;
    let html = record_page(&auditor, &portal.url, slow).await;
    assert!(!html.contains("data-testid=\"progress-card\""));
    // The server function refuses in the same cases.
    for (client, want) in [(&without_basis, 403), (&auditor, 403)] {
        let status = client
            .post(format!("{}/sfn/sources-asked", portal.url))
            .header("origin", &portal.url)
            .form(&[("nhs_number", slow.as_digits())])
            .send()
            .await
            .expect("portal answers")
            .status();
        assert_eq!(status.as_u16(), want);
    }
}
