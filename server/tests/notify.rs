//! Child-protection notification over real HTTP: the flag reaches the record, a view in an
//! unscheduled-care role writes a notification that is delivered to the social-care source as
//! a FHIR Communication (retried through refusals until it gets there), once a day per viewer,
//! and operations staff (only they) see the delivery status.

use crate::common;

use app::model::SourceKind;
use common::{showcase, Portal};
use serde_json::Value;
use server::demo::Faults;
use std::time::Duration;

/// A portal whose social-care source refuses the first `refusals` notifications and then
/// loses its answer to the first `lost_replies` it keeps.
async fn start(refusals: u32, lost_replies: u32) -> Portal {
    common::start_with(
        common::population(),
        move |s| {
            let social_care = s.kind == SourceKind::SocialCare;
            Faults {
                refuse_notifications: if social_care { refusals } else { 0 },
                lose_notification_replies: if social_care { lost_replies } else { 0 },
                ..Faults::default()
            }
        },
        |config| {
            config.child_protection.deliver_every_ms = 100;
            config.child_protection.retry_initial_s = 1;
            config.child_protection.retry_max_s = 2;
        },
    )
    .await
}

fn social_care(portal: &Portal) -> &server::demo::DemoSource {
    portal
        .demo
        .sources
        .iter()
        .find(|s| s.kind == SourceKind::SocialCare)
        .unwrap()
}

/// Waits (at most 15 s) until the social-care source has accepted `n` notifications.
async fn delivered(portal: &Portal, n: usize) -> Vec<Value> {
    for _ in 0..150 {
        let got = social_care(portal).notifications_received();
        if got.len() >= n {
            return got;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    social_care(portal).notifications_received()
}

#[tokio::test]
async fn a_view_in_unscheduled_care_notifies_the_responsible_organisation_once() {
    let portal = start(0, 0).await;
    let child = showcase(&portal.demo.population, "child on a child protection plan");
    let (status, record) = portal.record_json(&child.as_digits()).await;
    assert_eq!(status, 200);
    let flags = record["child_protection"].as_array().unwrap();
    assert_eq!(flags.len(), 1, "{record}");
    assert_eq!(flags[0]["label"], "Child protection plan");
    assert_eq!(flags[0]["source_id"], "social-care");
    assert!(flags[0]["organisation_code"]
        .as_str()
        .is_some_and(|c| !c.is_empty()));

    let received = delivered(&portal, 1).await;
    assert_eq!(received.len(), 1);
    let communication = &received[0];
    assert_eq!(communication["resourceType"], "Communication");
    assert_eq!(
        communication["subject"]["identifier"]["value"],
        child.as_digits()
    );
    assert_eq!(
        communication["recipient"][0]["identifier"]["value"],
        flags[0]["organisation_code"]
    );
    assert_eq!(
        communication["sender"]["identifier"]["value"], "RX1",
        "the viewer's organisation"
    );

    // Looking again the same day does not notify again; a patient without a flag never does.
    let (status, _) = portal
        .record_json_query(&child.as_digits(), "?refresh=true")
        .await;
    assert_eq!(status, 200);
    let other = showcase(&portal.demo.population, "GP and social care only");
    let (_, plain) = portal.record_json(&other.as_digits()).await;
    assert_eq!(plain["child_protection"].as_array().unwrap().len(), 0);
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(social_care(&portal).notifications_received().len(), 1);

    // Another unscheduled-care user's view is their own notification.
    let ooh = portal.client_for("ooh.clinician").await;
    let response = ooh
        .get(format!(
            "{}/api/v1/patients/{}/record",
            portal.url,
            child.as_digits()
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let received = delivered(&portal, 2).await;
    assert_eq!(received.len(), 2);
    let identifiers: Vec<&Value> = received.iter().map(|c| &c["identifier"][0]).collect();
    for identifier in &identifiers {
        assert_eq!(identifier["system"], "urn:ietf:rfc:3986");
        assert!(identifier["value"]
            .as_str()
            .is_some_and(|v| v.starts_with("urn:uuid:") && v.len() == 45));
    }
    assert_ne!(identifiers[0], identifiers[1], "each notification its own");
}

#[tokio::test]
async fn a_notification_delivered_again_after_its_answer_was_lost_is_held_once() {
    // The recipient keeps the first two deliveries but its answers never arrive, as after a
    // crash between the recipient accepting and the outbox marking it delivered.
    let portal = start(0, 2).await;
    let child = showcase(&portal.demo.population, "child on a child protection plan");
    let (status, _) = portal.record_json(&child.as_digits()).await;
    assert_eq!(status, 200);
    let ops = portal.sign_in("ops.admin").await;
    let mut rows = Value::Null;
    for _ in 0..150 {
        rows = ops
            .post("/sfn/ops-notifications", &[])
            .await
            .json()
            .await
            .unwrap();
        if rows[0]["delivered"].is_string() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        rows[0]["attempts"], 3,
        "two answers lost, then delivered: {rows}"
    );
    let received = social_care(&portal).notifications_received();
    assert_eq!(
        received.len(),
        1,
        "three deliveries, one Communication held"
    );
    assert_eq!(
        received[0]["subject"]["identifier"]["value"],
        child.as_digits()
    );
}

#[tokio::test]
async fn refused_notifications_are_retried_until_delivered_and_operations_see_it() {
    let portal = start(2, 0).await;
    let child = showcase(&portal.demo.population, "child on a child protection plan");
    let (status, _) = portal.record_json(&child.as_digits()).await;
    assert_eq!(status, 200);
    assert_eq!(
        delivered(&portal, 1).await.len(),
        1,
        "delivered after two refusals"
    );

    // (user, status of the operations data)
    let table = [
        ("ae.clinician", 403),
        ("call.handler", 403),
        ("privacy.officer", 403),
        ("ops.admin", 200),
    ];
    for (login, status) in table {
        let browser = portal.sign_in(login).await;
        let response = browser.post("/sfn/ops-notifications", &[]).await;
        assert_eq!(response.status(), status, "{login}");
        assert_eq!(
            browser.get("/admin").await.status(),
            status,
            "{login} /admin"
        );
        if status == 200 {
            let rows: Value = response.json().await.unwrap();
            let row = &rows[0];
            assert_eq!(row["attempts"], 3, "{rows}");
            assert!(row["delivered"].is_string());
            assert_eq!(row["last_error"], Value::Null);
            assert!(
                !rows.to_string().contains(&child.as_digits()),
                "operations see no NHS number"
            );
        }
    }
}
