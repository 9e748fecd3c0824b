//! Issue 20: a GP practice read by GP Connect Access Record: Structured, over real HTTP: the
//! portal in front of the demo GP Connect provider (which checks and records every request)
//! and the demo R4 sources. What the provider receives, the record merged from STU3 and R4,
//! and each answer GP Connect defines, shown as it means.

use crate::common::{self, entries, source_report, Portal};
use app::nhs_number::NhsNumber;
use serde_json::Value;
use server::demo::gp_connect::ReceivedRequest;
use server::demo::{Faults, Population};

const GP_CONNECT: &str = "gp-connect";

fn population() -> std::sync::Arc<Population> {
    common::population()
}

fn full_record(population: &Population) -> NhsNumber {
    population
        .gp_connect_full_record()
        .expect("the default population holds the GP Connect showcase patients")
}

/// The portal with its GP Connect source's settings changed by `change`.
async fn start_with_settings(
    change: impl FnOnce(&mut server::gp_connect::GpConnectConfig, &url::Url),
) -> Portal {
    common::start_with(
        population(),
        |_| Faults::default(),
        |config| {
            let gpc = config
                .sources
                .iter_mut()
                .find(|s| s.id == GP_CONNECT)
                .expect("the demo configures a GP Connect practice");
            let base_url = gpc.base_url.clone();
            if let Some(settings) = gpc.gp_connect.as_mut() {
                change(settings, &base_url);
            }
        },
    )
    .await
}

/// The provider's record of the requests it received.
fn received(portal: &Portal) -> Vec<ReceivedRequest> {
    portal.demo.gp_connect[0].received()
}

#[tokio::test]
async fn a_gp_connect_record_is_merged_with_the_r4_sources_with_the_practice_in_the_banner() {
    let portal = common::start().await;
    let nhs = full_record(&portal.demo.population);
    let (status, record) = portal.record_json(&nhs.as_digits()).await;
    assert_eq!(status, 200, "{record}");
    // The R4 GP does not hold them; the GP Connect practice does, and says what it left out.
    assert_eq!(source_report(&record, "gp")["status"], "not-found");
    let gpc = source_report(&record, GP_CONNECT);
    assert_eq!(gpc["status"], "partial", "{gpc}");
    assert!(
        gpc["problems"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["kind"] == "not-shared"),
        "{gpc}"
    );
    let from = |source: &str| -> Vec<&Value> {
        entries(&record)
            .iter()
            .filter(|e| e["source_id"] == source)
            .collect()
    };
    let gp_entries = from(GP_CONNECT);
    for category in [
        "allergy",
        "medication",
        "problem",
        "encounter",
        "immunisation",
    ] {
        assert!(
            gp_entries.iter().any(|e| e["category"] == category),
            "no {category} from GP Connect: {:?}",
            gp_entries
                .iter()
                .map(|e| &e["category"])
                .collect::<Vec<_>>()
        );
    }
    assert!(!from("acute").is_empty() && !from("social-care").is_empty());
    // Newest first across STU3 and R4 entries alike (undated last).
    let dates: Vec<&str> = entries(&record)
        .iter()
        .filter_map(|e| e["date"].as_str())
        .collect();
    let mut sorted = dates.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(dates, sorted);
    // The banner: the practice and the usual GP from the Bundle.
    let practice = &record["demographics"]["gp_practice"];
    assert_eq!(practice["ods_code"], "Y54321", "{practice}");
    assert_eq!(practice["name"], "Harbourside Health Centre");
    assert!(
        practice["usual_gp"]
            .as_str()
            .is_some_and(|gp| gp == "Dr Anika RAHMAN"),
        "{practice}"
    );
}

#[tokio::test]
async fn the_provider_receives_the_headers_and_claims_gp_connect_defines() {
    let portal = common::start().await;
    let nhs = full_record(&portal.demo.population);
    let (status, _) = portal.record_json(&nhs.as_digits()).await;
    assert_eq!(status, 200);
    let asked = received(&portal);
    let request = asked
        .iter()
        .rev()
        .find(|r| {
            r.parameters.as_ref().is_some_and(|p| {
                p["parameter"]
                    .as_array()
                    .is_some_and(|ps| ps.iter().any(|p| p["name"] == "includeAllergies"))
            })
        })
        .expect("the record was asked for");
    assert_eq!(request.status, 200, "{request:?}");
    assert_eq!(
        request.interaction_id.as_deref(),
        Some("urn:nhs:names:services:gpconnect:fhir:operation:gpc.getstructuredrecord-1")
    );
    assert_eq!(request.from.as_deref(), Some("200000000115"));
    assert_eq!(request.to.as_deref(), Some("200000000116"));
    let trace = request.trace_id.as_deref().unwrap_or_default();
    assert!(uuid::Uuid::parse_str(trace).is_ok(), "{trace}");
    assert_eq!(request.jwt_header.as_ref().unwrap()["alg"], "none");
    let claims = request.jwt_claims.as_ref().unwrap();
    assert_eq!(claims["aud"], portal.demo.gp_connect[0].base_url.as_str());
    assert_eq!(
        claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(),
        300
    );
    assert_eq!(claims["reason_for_request"], "directcare");
    assert_eq!(claims["requested_scope"], "patient/*.read");
    // The signed-in user, as the audit trail names them, is the practitioner.
    let viewer = portal
        .audit_events()
        .await
        .into_iter()
        .rev()
        .find(|e| e.event.nhs_number.as_deref() == Some(nhs.as_digits().as_str()))
        .expect("the view was audited")
        .event;
    assert_eq!(claims["sub"], viewer.user_id.as_str());
    assert_eq!(claims["requesting_practitioner"]["id"], claims["sub"]);
    assert_eq!(
        claims["requesting_practitioner"]["identifier"][0]["value"],
        viewer.user_id.as_str()
    );
    let organisation = &claims["requesting_organization"]["identifier"][0];
    assert_eq!(
        organisation["system"],
        "https://fhir.nhs.uk/Id/ods-organization-code"
    );
    assert!(organisation["value"]
        .as_str()
        .is_some_and(|v| !v.is_empty()));
    // The body asks for this patient and every configured area.
    let parameters = request.parameters.as_ref().unwrap();
    let named = |name: &str| {
        parameters["parameter"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == name)
            .cloned()
    };
    assert_eq!(
        named("patientNHSNumber").unwrap()["valueIdentifier"]["value"],
        nhs.as_digits().as_str()
    );
    for area in [
        "includeAllergies",
        "includeMedication",
        "includeProblems",
        "includeConsultations",
        "includeImmunisations",
        "includeUncategorisedData",
        "includeInvestigations",
        "includeReferrals",
    ] {
        assert!(named(area).is_some(), "{area} not asked");
    }
}

#[tokio::test]
async fn dissent_at_the_practice_withholds_only_its_record_and_says_so() {
    let portal = common::start().await;
    let nhs = portal.demo.population.gp_connect_dissented().unwrap();
    let (status, record) = portal.record_json(&nhs.as_digits()).await;
    assert_eq!(
        status, 200,
        "the other sources' records are still shared: {record}"
    );
    let gpc = source_report(&record, GP_CONNECT);
    assert_eq!(gpc["status"], "withheld", "{gpc}");
    let message = gpc["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("asked their practice not to share"),
        "{message}"
    );
    assert!(entries(&record)
        .iter()
        .all(|e| e["source_id"] != GP_CONNECT));
    assert!(entries(&record).iter().any(|e| e["source_id"] == "acute"));
    let refused = received(&portal)
        .into_iter()
        .filter(|r| r.error_code.as_deref() == Some("NO_PATIENT_CONSENT"))
        .count();
    // Asked once for who they are and once for the record: a dissent is never retried.
    assert!((1..=2).contains(&refused), "{refused}");
}

#[tokio::test]
async fn a_record_the_practice_cannot_return_is_unavailable_never_empty() {
    let portal = common::start().await;
    let nhs = portal.demo.population.gp_connect_sensitive().unwrap();
    let (status, record) = portal.record_json(&nhs.as_digits()).await;
    assert_eq!(status, 200, "{record}");
    let gpc = source_report(&record, GP_CONNECT);
    assert_eq!(gpc["status"], "unavailable", "{gpc}");
    let message = gpc["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("does not mean nothing is recorded"),
        "{message}"
    );
    assert!(entries(&record)
        .iter()
        .all(|e| e["source_id"] != GP_CONNECT));
}

#[tokio::test]
async fn a_patient_registered_at_the_other_practice_is_not_held_here() {
    let portal = common::start().await;
    let population = portal.demo.population.clone();
    let at_r4_gp = common::showcase(&population, "known at all four sources");
    let (status, record) = portal.record_json(&at_r4_gp.as_digits()).await;
    assert_eq!(status, 200);
    let gpc = source_report(&record, GP_CONNECT);
    assert_eq!(gpc["status"], "not-found", "{gpc}");
    assert!(
        gpc["message"]
            .as_str()
            .is_some_and(|m| m.contains("Y12345")),
        "{gpc}"
    );
    // The provider said PATIENT_NOT_FOUND: the portal did not make that up.
    assert!(received(&portal)
        .iter()
        .any(|r| r.error_code.as_deref() == Some("PATIENT_NOT_FOUND")));
}

#[tokio::test]
async fn a_request_the_provider_refuses_fails_that_source_alone_and_names_the_code() {
    // The portal configured with another practice's ASID: the provider refuses `Ssp-To`.
    let portal = start_with_settings(|settings, _| {
        settings.provider_asid = "918999198993".to_owned();
    })
    .await;
    let nhs = full_record(&portal.demo.population);
    let (status, record) = portal.record_json(&nhs.as_digits()).await;
    assert_eq!(status, 200, "{record}");
    let gpc = source_report(&record, GP_CONNECT);
    assert_eq!(gpc["status"], "error", "{gpc}");
    assert!(
        gpc["message"]
            .as_str()
            .is_some_and(|m| m.contains("BAD_REQUEST")),
        "{gpc}"
    );
    assert!(entries(&record).iter().any(|e| e["source_id"] == "acute"));
}

#[tokio::test]
async fn transient_proxy_failures_are_retried() {
    // The first two requests answer 502, as the Spine Secure Proxy does when briefly failing.
    let portal = common::start_with(
        population(),
        |source| Faults {
            refuse_notifications: if source.id == GP_CONNECT { 2 } else { 0 },
            ..Faults::default()
        },
        |_| {},
    )
    .await;
    let nhs = full_record(&portal.demo.population);
    let (status, record) = portal.record_json(&nhs.as_digits()).await;
    assert_eq!(status, 200);
    let gpc = source_report(&record, GP_CONNECT);
    assert!(
        matches!(gpc["status"].as_str(), Some("ok" | "partial")),
        "{gpc}"
    );
    assert!(entries(&record)
        .iter()
        .any(|e| e["source_id"] == GP_CONNECT));
}

#[tokio::test]
async fn through_the_spine_secure_proxy_the_provider_url_follows_the_proxy() {
    let portal = start_with_settings(|settings, base_url| {
        let proxy = format!("{}/ssp", base_url.origin().ascii_serialization());
        settings.ssp_url = Some(proxy.parse().expect("a URL"));
    })
    .await;
    let nhs = full_record(&portal.demo.population);
    let (status, record) = portal.record_json(&nhs.as_digits()).await;
    assert_eq!(status, 200);
    assert!(matches!(
        source_report(&record, GP_CONNECT)["status"].as_str(),
        Some("ok" | "partial")
    ));
    let base = &portal.demo.gp_connect[0].base_url;
    let proxied = received(&portal);
    assert!(!proxied.is_empty());
    for request in proxied {
        assert_eq!(
            request.ssp_target.as_deref(),
            Some(format!("{base}/Patient/$gpc.getstructuredrecord").as_str()),
            "{request:?}"
        );
    }
}

#[tokio::test]
async fn no_earlier_copy_of_a_gp_connect_record_is_kept_to_stand_in() {
    let portal = common::start().await;
    let nhs = full_record(&portal.demo.population);
    let (status, _) = portal.record_json(&nhs.as_digits()).await;
    assert_eq!(status, 200);
    portal.demo.gp_connect[0].set_live_fault(server::demo::LiveFault {
        failure: Some(server::demo::Failure::Http500),
        ..Default::default()
    });
    let (status, record) = portal
        .record_json_query(&nhs.as_digits(), "?refresh=true")
        .await;
    assert_eq!(status, 200);
    let gpc = source_report(&record, GP_CONNECT);
    // An R4 source would show its earlier copy as `stale`; GP Connect's answers are no-store.
    assert_eq!(gpc["status"], "error", "{gpc}");
    assert!(entries(&record)
        .iter()
        .all(|e| e["source_id"] != GP_CONNECT));
}

#[tokio::test]
async fn before_a_basis_the_practice_is_asked_who_the_patient_is_and_nothing_clinical() {
    let portal = common::start().await;
    let nhs = full_record(&portal.demo.population).as_digits();
    let clinician = portal.sign_in("ae.clinician").await;
    let response = clinician
        .post("/sfn/record", &[("nhs_number", &nhs), ("refresh", "false")])
        .await;
    assert_eq!(response.status(), 403, "a basis is asked for first");
    let body: Value = response.json().await.unwrap();
    let identity = &body["BasisRequired"]["identity"];
    let gpc = identity["sources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["source_id"] == GP_CONNECT)
        .unwrap_or_else(|| panic!("{identity}"));
    let held = &gpc["answer"]["holds"][0];
    assert_eq!(held["gp_practice"]["ods_code"], "Y54321", "{gpc}");
    assert_eq!(held["gp_practice"]["usual_gp"], "Dr Anika RAHMAN");
    // One request, with the NHS number alone: no clinical area before a basis.
    let asked = received(&portal);
    assert_eq!(asked.len(), 1, "{asked:?}");
    let names: Vec<&str> = asked[0].parameters.as_ref().unwrap()["parameter"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| p["name"].as_str())
        .collect();
    assert_eq!(names, ["patientNHSNumber"]);
    assert_eq!(asked[0].status, 200);

    // A number the practice cannot return is said as such, never as "not held".
    let unknown = common::showcase(&portal.demo.population, "not known at any source");
    let response = clinician
        .post(
            "/sfn/record",
            &[("nhs_number", &unknown.as_digits()), ("refresh", "false")],
        )
        .await;
    assert_eq!(
        response.status(),
        403,
        "a basis is asked: a record may exist there"
    );
    let body: Value = response.json().await.unwrap();
    let identity = &body["BasisRequired"]["identity"];
    assert_eq!(identity["outcome"], "not-held", "{identity}");
    let sources = &identity["sources"];
    let said = sources
        .as_array()
        .and_then(|s| s.iter().find(|s| s["source_id"] == GP_CONNECT))
        .map(|s| s["answer"].to_string())
        .unwrap_or_else(|| panic!("{body}"));
    assert!(said.contains("could not return a GP record"), "{said}");
    assert!(said.contains("failed"), "{said}");
}
