//! Integration: the brief cache. Concurrent views share one upstream fetch per source, a second
//! view within the TTL asks no source, refresh asks again (once per user and patient in the
//! refresh interval), and a failed source falls back to its last good copy, labelled stale. Counted on the demo sources' own request counters.

use crate::common;

use app::model::SourceKind;
use common::{patient_known_at, population, start, start_with, Portal};
use futures::future::join_all;
use serde_json::Value;
use server::demo::Faults;

fn per_source_requests(portal: &Portal) -> Vec<u64> {
    SourceKind::ALL
        .iter()
        .map(|k| portal.demo.get(*k).unwrap().requests())
        .collect()
}

use common::source_report as source;

/// Plain searches at every source: each fetch then costs the same requests (the default, `auto`,
/// reads the CapabilityStatement once and may switch a source to one batch after the first view),
/// so counting requests shows whether a view asked the sources again.
fn searching(config: &mut server::config::Config) {
    for source in &mut config.sources {
        source.fetch_mode = server::config::FetchMode::Search;
    }
}

#[tokio::test]
async fn fifty_concurrent_views_cause_one_upstream_fetch_per_source() {
    let single = start().await;
    let nhs = patient_known_at(&single.demo.population, &SourceKind::ALL);
    let (_, one) = single.record_json(&nhs.as_digits()).await;
    let one_view = per_source_requests(&single);
    assert!(
        one_view.iter().all(|n| *n > 1),
        "each source was searched: {one_view:?}"
    );

    let portal = start().await;
    let digits = nhs.as_digits();
    let views = join_all((0..50).map(|_| portal.record_json(&digits))).await;
    assert_eq!(
        per_source_requests(&portal),
        one_view,
        "50 views, one fetch per source"
    );
    for (status, record) in &views {
        assert_eq!(*status, 200);
        assert_eq!(record["entries"], one["entries"]);
    }
}

#[tokio::test]
async fn a_second_view_reuses_the_cache_and_refresh_asks_again() {
    let portal = start_with(population(), |_| Faults::default(), searching).await;
    let nhs = patient_known_at(&portal.demo.population, &SourceKind::ALL).as_digits();
    let (_, first) = portal.record_json(&nhs).await;
    let after_first = per_source_requests(&portal);

    let (_, second) = portal.record_json(&nhs).await;
    assert_eq!(
        per_source_requests(&portal),
        after_first,
        "no source asked within the TTL"
    );
    assert_eq!(second["entries"], first["entries"]);
    assert_eq!(
        source(&second, "gp")["fetched_at"],
        source(&first, "gp")["fetched_at"]
    );

    let (_, refreshed) = portal.record_json_query(&nhs, "?refresh=true").await;
    let after_refresh = per_source_requests(&portal);
    for (before, after) in after_first.iter().zip(&after_refresh) {
        assert_eq!(after - before, *before, "refresh repeats the whole fetch");
    }
    assert_eq!(refreshed["entries"], first["entries"]);
}

#[tokio::test]
async fn one_user_refreshing_one_patient_again_and_again_is_served_from_the_cache() {
    let portal = start_with(
        population(),
        |_| Faults::default(),
        |config| {
            searching(config);
            config.cache.refresh_interval_s = 2;
        },
    )
    .await;
    let nhs = patient_known_at(&portal.demo.population, &SourceKind::ALL).as_digits();
    let (_, first) = portal.record_json(&nhs).await;
    let one_fetch = per_source_requests(&portal);

    let (_, refreshed) = portal.record_json_query(&nhs, "?refresh=true").await;
    let after_refresh = per_source_requests(&portal);
    assert!(
        one_fetch
            .iter()
            .zip(&after_refresh)
            .all(|(a, b)| *b == 2 * a),
        "the first refresh asks again: {one_fetch:?} then {after_refresh:?}"
    );
    for _ in 0..5 {
        let (status, again) = portal.record_json_query(&nhs, "?refresh=true").await;
        assert_eq!(status, 200, "a refresh too soon still shows the record");
        assert_eq!(again["entries"], first["entries"]);
        assert_eq!(
            source(&again, "gp")["fetched_at"],
            source(&refreshed, "gp")["fetched_at"],
            "served from the cache, saying when it was fetched"
        );
    }
    assert_eq!(
        per_source_requests(&portal),
        after_refresh,
        "refreshes within the interval ask no source"
    );

    // Another user's refresh is their own.
    let other = portal.client_for("ooh.clinician").await;
    let response = other
        .get(format!(
            "{}/api/v1/patients/{nhs}/record?refresh=true",
            portal.url
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let after_other = per_source_requests(&portal);
    assert!(after_other.iter().zip(&after_refresh).all(|(b, a)| b > a));

    // Once the interval has passed, the first user may refresh again.
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    portal.record_json_query(&nhs, "?refresh=true").await;
    assert!(per_source_requests(&portal)
        .iter()
        .zip(&after_other)
        .all(|(b, a)| b > a));
}

#[tokio::test]
async fn a_zero_ttl_asks_the_sources_on_every_view() {
    let portal = start_with(
        population(),
        |_| Faults::default(),
        |config| {
            searching(config);
            config.cache.ttl_s = 0;
        },
    )
    .await;
    let nhs = patient_known_at(&portal.demo.population, &SourceKind::ALL).as_digits();
    portal.record_json(&nhs).await;
    let once = per_source_requests(&portal);
    portal.record_json(&nhs).await;
    let twice = per_source_requests(&portal);
    assert!(
        once.iter().zip(&twice).all(|(a, b)| *b == 2 * a),
        "{once:?} then {twice:?}"
    );
}

#[tokio::test]
async fn a_failed_source_shows_its_earlier_copy_labelled_stale() {
    let portal = start().await;
    let nhs = patient_known_at(&portal.demo.population, &SourceKind::ALL).as_digits();
    let (_, first) = portal.record_json(&nhs).await;
    portal
        .demo
        .get(SourceKind::Acute)
        .unwrap()
        .stop_and_wait()
        .await;

    let (_, record) = portal.record_json_query(&nhs, "?refresh=true").await;
    let acute = source(&record, "acute");
    assert_eq!(acute["status"], "stale", "{acute}");
    let message = acute["message"].as_str().unwrap();
    assert!(
        message.contains("could not be reached") && message.contains("earlier copy"),
        "{message}"
    );
    assert_eq!(acute["fetched_at"], source(&first, "acute")["fetched_at"]);
    assert_eq!(acute["entry_count"], source(&first, "acute")["entry_count"]);
    for other in ["gp", "mental-health", "social-care"] {
        assert_eq!(source(&record, other)["status"], "ok");
    }
    let acute_entries = |r: &Value| {
        r["entries"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["source_id"] == "acute")
            .count()
    };
    assert_eq!(acute_entries(&record), acute_entries(&first));
}

#[tokio::test]
async fn with_no_stale_allowance_a_failed_source_is_just_failed() {
    let portal = start_with(
        population(),
        |_| Faults::default(),
        |config| config.cache.max_stale_s = 0,
    )
    .await;
    let nhs = patient_known_at(&portal.demo.population, &SourceKind::ALL).as_digits();
    portal.record_json(&nhs).await;
    portal
        .demo
        .get(SourceKind::Acute)
        .unwrap()
        .stop_and_wait()
        .await;
    let (_, record) = portal.record_json_query(&nhs, "?refresh=true").await;
    assert_eq!(source(&record, "acute")["status"], "error");
}
