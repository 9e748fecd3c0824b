//! Entry detail over real HTTP: a record lists entries without their full detail; one entry,
//! from the JSON entry route or the `get_entry` server function, carries every field read,
//! its narrative sanitised, its notes as plain text and its provenance, with `no-store`;
//! a withheld item is answered exactly as an unknown one; an entry recorded in error is kept
//! and flagged.

use crate::common;

use app::model::SourceKind;
use common::{id_at_source_where, showcase, Portal};
use serde_json::Value;

/// The probe note the narratives showcase patient's latex allergy carries.
const PROBE_NOTE: &str =
    "Hives within minutes of latex gloves. <script>alert(1)</script><b>not bold</b>";

/// One entry from the JSON route: status, `Cache-Control`, body.
async fn entry(portal: &Portal, nhs: &str, path: &str) -> (u16, String, Value) {
    let response = portal
        .get(&format!("/api/v1/patients/{nhs}/entries/{path}"))
        .await;
    let status = response.status().as_u16();
    let cache = response
        .headers()
        .get("cache-control")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    (status, cache, response.json().await.unwrap())
}

async fn doc_of(portal: &Portal) -> Value {
    portal.get("/api/openapi.json").await.json().await.unwrap()
}

fn field<'a>(entry: &'a Value, label: &str) -> Option<&'a str> {
    entry["full_detail"]["fields"]
        .as_array()?
        .iter()
        .find(|f| f["label"] == label)?["value"]
        .as_str()
}

fn assert_clean(html: &str) {
    for banned in [
        "<script",
        "__xss",
        "onerror",
        "onclick",
        "<img",
        "javascript",
        "<style",
        "<iframe",
        "tracker.example",
        "href",
        "src=",
    ] {
        assert!(!html.contains(banned), "{banned} left in {html}");
    }
}

#[tokio::test]
async fn one_entry_carries_its_detail_and_the_record_carries_none() {
    let portal = common::start().await;
    let nhs = showcase(&portal.demo.population, "narratives and notes").as_digits();
    let (status, record) = portal.record_json(&nhs).await;
    assert_eq!(status, 200, "{record}");
    let entries = common::entries(&record);
    assert!(
        entries.iter().all(|e| e.get("full_detail").is_none()),
        "a record lists entries without their detail"
    );

    // The problem: its fields, its provenance, its narrative without any probe.
    let condition = id_at_source_where(&portal, SourceKind::Gp, &nhs, "Condition", |r| {
        r["text"]["div"].is_string()
    })
    .await;
    let (status, cache, asthma) = entry(&portal, &nhs, &format!("gp/Condition/{condition}")).await;
    assert_eq!(status, 200, "{asthma}");
    assert_eq!(cache, "no-store");
    assert_eq!(field(&asthma, "Condition"), Some("Asthma since childhood"));
    assert_eq!(field(&asthma, "Clinical status"), Some("active"));
    let provenance = &asthma["full_detail"]["provenance"];
    assert!(provenance["source_name"]
        .as_str()
        .is_some_and(|n| !n.is_empty()));
    assert!(provenance["organisation_code"]
        .as_str()
        .is_some_and(|c| !c.is_empty()));
    assert!(provenance["fetched_at"]
        .as_str()
        .is_some_and(|t| t.ends_with('Z')));
    let html = asthma["full_detail"]["narrative_html"].as_str().unwrap();
    assert!(html.contains("<b>Asthma</b>"), "{html}");
    assert!(
        html.contains("Reviewed at the annual asthma clinic."),
        "{html}"
    );
    assert_clean(html);

    // The hospital attendance's narrative is cleaned the same way.
    let encounter = id_at_source_where(&portal, SourceKind::Acute, &nhs, "Encounter", |r| {
        r["text"]["div"].is_string()
    })
    .await;
    let (status, _, attendance) =
        entry(&portal, &nhs, &format!("acute/Encounter/{encounter}")).await;
    assert_eq!(status, 200, "{attendance}");
    assert_clean(
        attendance["full_detail"]["narrative_html"]
            .as_str()
            .unwrap(),
    );
    assert_eq!(field(&attendance, "Discharged to"), Some("Home"));
    assert_eq!(field(&attendance, "Participants"), Some("Dr B Example"));

    // The allergy's note is plain text, exactly as written.
    let latex = id_at_source_where(&portal, SourceKind::Gp, &nhs, "AllergyIntolerance", |r| {
        r["note"][0]["text"] == PROBE_NOTE
    })
    .await;
    let (_, _, allergy) = entry(&portal, &nhs, &format!("gp/AllergyIntolerance/{latex}")).await;
    assert_eq!(allergy["full_detail"]["notes"][0]["text"], PROBE_NOTE);
    assert_eq!(allergy["full_detail"]["notes"][0]["author"], "Dr A Example");
    assert_eq!(
        common::object_keys(&allergy["full_detail"]["notes"][0]),
        common::schema_keys(&doc_of(&portal).await, "Note")
    );
    assert_eq!(field(&allergy, "Reaction: exposure route"), Some("Skin"));

    // The allergy recorded in error is on the record, flagged, and opens flagged.
    let retracted = id_at_source_where(&portal, SourceKind::Gp, &nhs, "AllergyIntolerance", |r| {
        r["verificationStatus"]["coding"][0]["code"] == "entered-in-error"
    })
    .await;
    let listed = entries
        .iter()
        .find(|e| e["resource_id"] == retracted.as_str())
        .expect("kept on the record");
    assert_eq!(listed["entered_in_error"], true);
    assert!(entries
        .iter()
        .filter(|e| e["resource_id"] != retracted.as_str())
        .all(|e| e["entered_in_error"] == false));
    let (_, _, opened) = entry(&portal, &nhs, &format!("gp/AllergyIntolerance/{retracted}")).await;
    assert_eq!(opened["entered_in_error"], true);

    // The OpenAPI document describes what the route sends.
    let doc: Value = portal.get("/api/openapi.json").await.json().await.unwrap();
    assert_eq!(
        common::object_keys(&opened),
        common::schema_keys(&doc, "TimelineEntry")
    );
    assert_eq!(
        common::object_keys(&opened["full_detail"]["fields"][0]),
        common::schema_keys(&doc, "DetailField")
    );
    assert_eq!(
        common::object_keys(&asthma["full_detail"]),
        common::schema_keys(&doc, "EntryDetail")
    );
    assert_eq!(
        common::object_keys(&opened["full_detail"]["provenance"]),
        common::schema_keys(&doc, "EntryProvenance")
    );

    // Each view of one entry is audited as an entry view.
    let views = portal
        .audit_events()
        .await
        .iter()
        .filter(|e| e.event.kind == server::audit::EventKind::EntryView)
        .count();
    assert_eq!(views, 4);
}

#[tokio::test]
async fn a_withheld_entry_is_answered_as_an_unknown_one() {
    let portal = common::start().await;
    let nhs = showcase(&portal.demo.population, "items labelled").as_digits();
    let letter = id_at_source_where(&portal, SourceKind::Gp, &nhs, "DocumentReference", |r| {
        r["meta"]["security"].is_array()
    })
    .await;
    let (status, cache, withheld) =
        entry(&portal, &nhs, &format!("gp/DocumentReference/{letter}")).await;
    let (unknown_status, _, unknown) =
        entry(&portal, &nhs, "gp/DocumentReference/no-such-id").await;
    assert_eq!((status, unknown_status), (404, 404));
    assert_eq!(withheld, unknown, "the same words");
    assert_eq!(cache, "no-store");
}

#[tokio::test]
async fn the_server_function_serves_one_entry_with_its_detail() {
    let portal = common::start().await;
    let nhs = showcase(&portal.demo.population, "narratives and notes").as_digits();
    let latex = id_at_source_where(&portal, SourceKind::Gp, &nhs, "AllergyIntolerance", |r| {
        r["note"][0]["text"] == PROBE_NOTE
    })
    .await;
    let browser = portal.sign_in("ae.clinician").await;
    let form = |id: &str| {
        vec![
            ("nhs_number", nhs.clone()),
            ("source_id", "gp".to_owned()),
            ("resource_type", "AllergyIntolerance".to_owned()),
            ("resource_id", id.to_owned()),
        ]
    };
    let ask = |id: String| {
        let browser = &browser;
        let form = form(&id);
        async move {
            let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let response = browser.post("/sfn/entry", &pairs).await;
            let status = response.status().as_u16();
            let cache = response
                .headers()
                .get("cache-control")
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned();
            (status, cache, response.json::<Value>().await.unwrap())
        }
    };
    // Without a basis the entry is refused, as the record is.
    let (status, _, refused) = ask(latex.clone()).await;
    assert_eq!(status, 403, "{refused}");
    let basis = browser
        .post(
            "/sfn/basis",
            &[
                ("nhs_number", nhs.as_str()),
                ("code", "permission-given"),
                ("reason", ""),
            ],
        )
        .await;
    assert_eq!(basis.status(), 200);
    let (status, cache, allergy) = ask(latex).await;
    assert_eq!(status, 200, "{allergy}");
    assert_eq!(cache, "no-store");
    assert_eq!(allergy["full_detail"]["notes"][0]["text"], PROBE_NOTE);
    assert_eq!(field(&allergy, "Criticality"), Some("low"));
    let (status, _, unknown) = ask("no-such-id".to_owned()).await;
    assert_eq!(status, 404, "{unknown}");
}
