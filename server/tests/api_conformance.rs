//! The JSON API answers as its OpenAPI description says, errors included: what schemathesis
//! (`.ci/schemathesis`) found, pinned over real HTTP. A query string the handler cannot read
//! is refused as every API refusal is (400 `invalid-input`, the `Error` shape, JSON), never
//! with the framework's plain text; and each refusal's status is one the description lists for
//! its operation, with the headers it promises.

use crate::common;

use common::Portal;
use reqwest::StatusCode;
use serde_json::Value;

/// The description's operation for `template` (a path as the description writes it).
fn operation<'a>(doc: &'a Value, template: &str) -> &'a Value {
    let op = &doc["paths"][template]["get"];
    assert!(op.is_object(), "{template} is described");
    op
}

/// Asserts that `response` is the `Error` shape with `code`, sent as JSON, and that its status
/// is documented for `template` with a JSON body; gives its headers.
async fn assert_documented_error(
    doc: &Value,
    template: &str,
    response: reqwest::Response,
    status: StatusCode,
    code: &str,
) -> reqwest::header::HeaderMap {
    assert_eq!(response.status(), status, "{template}");
    let headers = response.headers().clone();
    let content_type = headers[reqwest::header::CONTENT_TYPE].to_str().unwrap();
    assert_eq!(content_type, "application/json", "{template} {status}");
    let body: Value = response.json().await.expect("a JSON body");
    assert_eq!(body["error"], code, "{template}: {body}");
    assert!(body["message"].is_string(), "{body}");
    let keys = common::object_keys(&body);
    let allowed = common::schema_keys(doc, "Error");
    assert!(keys.iter().all(|k| allowed.contains(k)), "{keys:?}");
    let codes = doc["components"]["schemas"]["Error"]["properties"]["error"]["enum"]
        .as_array()
        .unwrap();
    assert!(codes.contains(&Value::from(code)), "{code} is documented");
    let documented = &operation(doc, template)["responses"][status.as_str()];
    assert!(
        documented["content"]["application/json"]["schema"]["$ref"]
            .as_str()
            .is_some_and(|r| r.ends_with("/Error")),
        "{template} documents {status} as an Error"
    );
    headers
}

async fn description(portal: &Portal) -> Value {
    let response = portal.get("/api/openapi.json").await;
    assert_eq!(response.status(), 200);
    response.json().await.expect("the description is JSON")
}

#[tokio::test]
async fn a_query_string_that_cannot_be_read_is_refused_as_json() {
    let portal = common::start().await;
    let doc = description(&portal).await;
    let nhs = common::showcase(&portal.demo.population, "known at all four").as_digits();
    let record = "/api/v1/patients/{nhs_number}/record";
    let search = "/api/v1/patients";
    let export = "/api/v1/audit/events";

    // refresh is a boolean: "maybe" (and a repeated parameter) cannot be read.
    for query in ["?refresh=maybe", "?refresh=true&refresh=false"] {
        let response = portal
            .get(&format!("/api/v1/patients/{nhs}/record{query}"))
            .await;
        assert_documented_error(
            &doc,
            record,
            response,
            StatusCode::BAD_REQUEST,
            "invalid-input",
        )
        .await;
    }
    // A repeated search field is refused the same way, before any source is asked.
    let asked = portal.source_requests();
    let response = portal
        .get("/api/v1/patients?family=Smith&family=Jones&birthdate=1945-07-14")
        .await;
    assert_documented_error(
        &doc,
        search,
        response,
        StatusCode::BAD_REQUEST,
        "invalid-input",
    )
    .await;
    assert_eq!(portal.source_requests(), asked, "no source was asked");
    // A repeated export filter is refused the same way.
    let officer = portal.client_for("privacy.officer").await;
    let response = officer
        .get(format!(
            "{}/api/v1/audit/events?kind=record-view&kind=sign-in",
            portal.url
        ))
        .send()
        .await
        .unwrap();
    assert_documented_error(
        &doc,
        export,
        response,
        StatusCode::BAD_REQUEST,
        "invalid-input",
    )
    .await;
}

#[tokio::test]
async fn each_refusal_is_a_documented_status_with_its_documented_headers() {
    let portal = common::start().await;
    let doc = description(&portal).await;
    let nhs = common::showcase(&portal.demo.population, "known at all four").as_digits();
    let record = "/api/v1/patients/{nhs_number}/record";
    let entry = "/api/v1/patients/{nhs_number}/entries/{source}/{resource_type}/{id}";
    let document = "/api/v1/patients/{nhs_number}/documents/{source}/{id}/{n}";
    let export = "/api/v1/audit/events";
    let url = |path: String| format!("{}{path}", portal.url);

    // No token: 401 with the challenge the description promises.
    let anonymous = reqwest::Client::new();
    for (template, path) in [
        (record, format!("/api/v1/patients/{nhs}/record")),
        (export, "/api/v1/audit/events".to_owned()),
    ] {
        let response = anonymous.get(url(path)).send().await.unwrap();
        let headers = assert_documented_error(
            &doc,
            template,
            response,
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
        )
        .await;
        assert!(
            operation(&doc, template)["responses"]["401"]["headers"]["WWW-Authenticate"]
                ["required"]
                .as_bool()
                .unwrap()
        );
        let challenge = headers[reqwest::header::WWW_AUTHENTICATE].to_str().unwrap();
        assert!(challenge.starts_with("Bearer "), "{challenge}");
    }
    // A role without the permission: 403 on the patient routes and the audit export alike.
    let officer = portal.client_for("privacy.officer").await;
    let response = officer
        .get(url(format!("/api/v1/patients/{nhs}/record")))
        .send()
        .await
        .unwrap();
    assert_documented_error(&doc, record, response, StatusCode::FORBIDDEN, "forbidden").await;
    let response = portal.get("/api/v1/audit/events").await;
    assert_documented_error(&doc, export, response, StatusCode::FORBIDDEN, "forbidden").await;
    // No such item, and an attachment number that is not a number.
    let response = portal
        .get(&format!(
            "/api/v1/patients/{nhs}/entries/gp/Condition/no-such-id"
        ))
        .await;
    assert_documented_error(&doc, entry, response, StatusCode::NOT_FOUND, "not-found").await;
    let response = portal
        .get(&format!("/api/v1/patients/{nhs}/documents/acute/d1/first"))
        .await;
    assert_documented_error(
        &doc,
        document,
        response,
        StatusCode::BAD_REQUEST,
        "invalid-input",
    )
    .await;
}

/// Every operation states how its parameters look, so a client (and schemathesis) can tell a
/// well-formed request from a malformed one without asking.
#[tokio::test]
async fn parameters_declare_their_patterns() {
    let portal = common::start().await;
    let doc = description(&portal).await;
    let paths = doc["paths"].as_object().unwrap();
    let mut checked = 0;
    for (template, item) in paths {
        for parameter in item["get"]["parameters"].as_array().into_iter().flatten() {
            let name = parameter["name"].as_str().unwrap();
            let schema = &parameter["schema"];
            if parameter["in"] == "path" && schema["type"] == "string" {
                assert!(schema["pattern"].is_string(), "{template}: {name}");
                checked += 1;
            }
            if name == "nhs_number" {
                let pattern = schema["pattern"].as_str().unwrap();
                assert!(
                    pattern.contains("[0-9]{3}[ -]?[0-9]{3}[ -]?[0-9]{4}"),
                    "{template}"
                );
            }
        }
        // Every operation behind a bearer token says how it refuses one.
        if item["get"]["security"].is_array() {
            for status in ["401", "403"] {
                assert!(
                    item["get"]["responses"][status].is_object(),
                    "{template} documents {status}"
                );
            }
        }
    }
    assert!(checked >= 8, "{checked} path parameters checked");
}

/// The export takes the workspace's filters, each a plain value: one view of one patient, then
/// an export of that patient's record views finds exactly that view. (Paging numbers were once
/// read through a flattened struct that could not read numbers; the export has no pages.)
#[tokio::test]
async fn the_audit_export_filters_by_patient_and_kind() {
    let portal = common::start().await;
    let nhs = portal
        .demo
        .population
        .nhs_numbers()
        .nth(2)
        .unwrap()
        .as_digits();
    let (status, _) = portal.record_json(&nhs).await;
    assert_eq!(status, StatusCode::OK);
    let officer = portal.client_for("privacy.officer").await;
    let response = officer
        .get(format!(
            "{}/api/v1/audit/events?format=csv&kind=record-view&nhs_number={nhs}",
            portal.url
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let body = response.text().await.unwrap();
    let rows: Vec<&str> = body.lines().skip(1).filter(|l| !l.is_empty()).collect();
    assert_eq!(rows.len(), 1, "{body}");
    assert!(rows[0].contains(&nhs), "{body}");
}
