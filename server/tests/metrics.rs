//! Prometheus metrics at `/metrics` over real HTTP: refused to everyone without the
//! `operations` permission (anonymous, every other role, forged and expired tokens, sessions
//! without it) and served to those with it; after record views the exposition holds the
//! route-template histogram, each source's lookups and requests and the cache's hits and
//! misses, and no NHS number. Also: each source is sent the id of the portal request it
//! serves (`X-Request-ID`), from the JSON API and from a streamed page alike.

use crate::common;

use app::model::SourceKind;
use axum::http::HeaderMap;
use jsonwebtoken::jwk::{Jwk, JwkSet, KeyAlgorithm, PublicKeyUse};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use rsa::pkcs8::{EncodePrivateKey, LineEnding};
use serde_json::json;
use server::auth::config::IssuerConfig;
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

const CLIENT_ID: &str = "metrics-test-portal";

/// The metrics as `client` gets them: (status, body).
async fn scrape(portal: &common::Portal, client: &reqwest::Client) -> (u16, String) {
    let response = client
        .get(format!("{}/metrics", portal.url))
        .send()
        .await
        .expect("the portal answers");
    let status = response.status().as_u16();
    (status, response.text().await.expect("a body"))
}

/// The metrics as an operations admin (bearer token) reads them.
async fn scrape_as_admin(portal: &common::Portal) -> String {
    let admin = common::bearer_client(&portal.token_for("ops.admin").await, None);
    let (status, text) = scrape(portal, &admin).await;
    assert_eq!(status, 200, "{text}");
    text
}

/// The value of one series (`name{labels}` exactly as rendered), 0 when absent.
fn value(text: &str, series: &str) -> f64 {
    text.lines()
        .find_map(|line| line.strip_prefix(series)?.strip_prefix(' '))
        .map_or(0.0, |v| v.trim().parse().expect("a number"))
}

/// A test identity provider the portal trusts, whose one RSA key signs whatever claims a test
/// wants (an expired token for an admin, say).
struct Issuer {
    url: String,
    key: EncodingKey,
}

impl Issuer {
    async fn start() -> Self {
        let private = rsa::RsaPrivateKey::new(&mut rand::rngs::OsRng, 2048).unwrap();
        let pem = private.to_pkcs8_pem(LineEnding::LF).unwrap();
        let key = EncodingKey::from_rsa_pem(pem.as_bytes()).unwrap();
        let mut jwk = Jwk::from_encoding_key(&key, Algorithm::RS256).unwrap();
        jwk.common.key_id = Some("rsa-1".to_owned());
        jwk.common.public_key_use = Some(PublicKeyUse::Signature);
        jwk.common.key_algorithm = Some(KeyAlgorithm::RS256);
        let jwks = JwkSet { keys: vec![jwk] };
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/realm", listener.local_addr().unwrap());
        let discovery = json!({
            "issuer": url,
            "authorization_endpoint": format!("{url}/authorize"),
            "token_endpoint": format!("{url}/token"),
            "jwks_uri": format!("{url}/jwks"),
        });
        let router = axum::Router::new()
            .route(
                "/realm/.well-known/openid-configuration",
                axum::routing::get(move || async move { axum::Json(discovery) }),
            )
            .route(
                "/realm/jwks",
                axum::routing::get(move || async move { axum::Json(jwks) }),
            );
        tokio::spawn(async move { axum::serve(listener, router).await });
        Self { url, key }
    }

    fn config(&self) -> IssuerConfig {
        toml::from_str(&format!(
            "id = \"metrics-test\"\nname = \"Metrics test IdP\"\nissuer = \"{}\"\nclient_id = \"{CLIENT_ID}\"",
            self.url
        ))
        .unwrap()
    }

    /// An admin's token that expired an hour ago.
    fn expired_admin(&self) -> String {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs();
        let claims = json!({
            "iss": self.url, "sub": "ops-1", "aud": CLIENT_ID,
            "iat": now - 4_000, "nbf": now - 4_000, "exp": now - 3_600,
            "name": "Ops Admin", "portal_roles": ["admin"],
        });
        let mut header = Header::new(Algorithm::RS256);
        header.kid = Some("rsa-1".to_owned());
        jsonwebtoken::encode(&header, &claims, &self.key).unwrap()
    }
}

/// `token` with its payload changed to claim the admin role, the signature kept.
fn with_admin_claimed(token: &str) -> String {
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine;
    let parts: Vec<&str> = token.split('.').collect();
    let mut claims: serde_json::Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
    claims["portal_roles"] = json!(["admin"]);
    let payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims).unwrap());
    format!("{}.{payload}.{}", parts[0], parts[2])
}

/// `token` with its signature's last characters changed.
fn with_bad_signature(token: &str) -> String {
    let cut = token.len() - 4;
    let tail = if &token[cut..] == "AAAA" {
        "BBBB"
    } else {
        "AAAA"
    };
    format!("{}{tail}", &token[..cut])
}

#[tokio::test]
async fn metrics_are_served_only_with_the_operations_permission() {
    let issuer = Issuer::start().await;
    let trusted = issuer.config();
    let portal = common::start_with(
        common::population(),
        |_| Default::default(),
        move |c| c.identity.issuers.push(trusted),
    )
    .await;
    let admin_token = portal.token_for("ops.admin").await;
    let clinician_token = portal.token_for("ae.clinician").await;
    let bearer = |token: &str| common::bearer_client(token, None);
    // (who, client, status)
    let mut table: Vec<(&str, reqwest::Client, u16)> =
        vec![("anonymous", reqwest::Client::new(), 401)];
    for login in [
        "ae.clinician",
        "ooh.clinician",
        "call.handler",
        "privacy.officer",
    ] {
        table.push((login, bearer(&portal.token_for(login).await), 403));
    }
    table.extend([
        (
            "a clinician's token claiming the admin role",
            bearer(&with_admin_claimed(&clinician_token)),
            401,
        ),
        (
            "an admin's token with a forged signature",
            bearer(&with_bad_signature(&admin_token)),
            401,
        ),
        (
            "an expired admin token",
            bearer(&issuer.expired_admin()),
            401,
        ),
        ("not a token at all", bearer("not-a-jwt"), 401),
        ("an admin's token", bearer(&admin_token), 200),
    ]);
    for (who, client, expected) in &table {
        let (status, body) = scrape(&portal, client).await;
        assert_eq!(status, *expected, "{who}: {body}");
        if *expected != 200 {
            assert!(!body.contains("scr_"), "{who} was shown metrics: {body}");
        }
    }

    // Browser sessions: the admin's is served, a clinician's refused (as the API refuses:
    // no sign-in page, no redirect).
    let clinician = portal.sign_in("ae.clinician").await;
    let refused = clinician.get("/metrics").await;
    assert_eq!(refused.status(), 403);
    let admin = portal.sign_in("ops.admin").await;
    let served = admin.get("/metrics").await;
    assert_eq!(served.status(), 200);
    let content_type = served.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(content_type.starts_with("text/plain"), "{content_type}");
    assert_eq!(served.headers()["cache-control"], "no-store");
    assert!(served
        .text()
        .await
        .unwrap()
        .contains("# TYPE scr_http_requests_total counter"));
}

#[tokio::test]
async fn a_record_view_shows_in_the_metrics_and_no_nhs_number_does() {
    let portal = common::start().await;
    let population = portal.demo.population.clone();
    let nhs = common::patient_known_at(&population, &SourceKind::ALL);
    let route = "route=\"/api/v1/patients/{nhs_number}/record\",status=\"2xx\"";
    let views = format!("scr_http_requests_total{{{route}}}");
    let before = scrape_as_admin(&portal).await;

    let (status, _) = portal.record_json(&nhs.as_digits()).await;
    assert_eq!(status, 200);
    let after_first = scrape_as_admin(&portal).await;
    let (status, _) = portal.record_json(&nhs.as_digits()).await;
    assert_eq!(status, 200);
    let after = scrape_as_admin(&portal).await;

    // The route template, never the path, with a histogram and a count.
    assert!(
        value(&after, &views) >= value(&before, &views) + 2.0,
        "{after}"
    );
    assert!(
        after.contains(&format!(
            "scr_http_request_duration_seconds_bucket{{{route},le=\"0.5\"}}"
        )),
        "{after}"
    );
    // Every source was asked (a lookup, and HTTP requests), its circuit is closed.
    for source in ["gp", "acute", "mental-health", "social-care"] {
        let fetches = format!("scr_source_fetches_total{{source=\"{source}\",outcome=\"ok\"}}");
        assert!(
            value(&after_first, &fetches) >= value(&before, &fetches) + 1.0,
            "{fetches}: {after_first}"
        );
        let requests = format!("scr_source_requests_total{{source=\"{source}\",outcome=\"ok\"}}");
        assert!(value(&after, &requests) >= 1.0, "{requests}: {after}");
        let histogram = format!(
            "scr_source_fetch_duration_seconds_count{{source=\"{source}\",outcome=\"ok\"}}"
        );
        assert!(value(&after, &histogram) >= 1.0, "{histogram}: {after}");
        assert!(
            after.contains(&format!("scr_source_circuit_state{{source=\"{source}\"}}")),
            "{after}"
        );
    }
    // The first view missed the cache at each source; the second hit it.
    let miss = "scr_cache_lookups_total{result=\"miss\"}";
    let hit = "scr_cache_lookups_total{result=\"hit\"}";
    assert!(
        value(&after_first, miss) >= value(&before, miss) + 4.0,
        "{after_first}"
    );
    assert!(
        value(&after, hit) >= value(&after_first, hit) + 4.0,
        "{after}"
    );
    assert!(
        after.contains("scr_cache_entries{cache=\"fresh\"}"),
        "{after}"
    );
    // Each view's audit event was committed.
    assert!(
        value(&after, "scr_audit_commit_duration_seconds_count") >= 2.0,
        "{after}"
    );
    assert!(after.contains("scr_audit_queue_depth"), "{after}");

    // No NHS number, however written, anywhere in the text.
    for number in population.nhs_numbers() {
        for written in [number.as_digits(), number.to_string()] {
            assert!(
                !after.contains(&written),
                "an NHS number ({written}) is in the metrics"
            );
        }
    }
}

/// A FHIR source that knows nobody, keeping each request's path and `X-Request-ID`.
async fn recording_source() -> (String, Arc<Mutex<Vec<(String, Option<String>)>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let record = seen.clone();
    let router = axum::Router::new().fallback(move |uri: axum::http::Uri, headers: HeaderMap| {
        let id = headers
            .get("x-request-id")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        record.lock().unwrap().push((uri.path().to_owned(), id));
        async {
            (
                [("content-type", "application/fhir+json")],
                r#"{"resourceType":"Bundle","type":"searchset","entry":[]}"#,
            )
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}/fhir", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await });
    (base, seen)
}

#[tokio::test]
async fn each_source_is_sent_the_id_of_the_portal_request_it_serves() {
    let (base, seen) = recording_source().await;
    let portal = common::start_with(
        common::population(),
        |_| Default::default(),
        move |c| {
            let source = c
                .sources
                .iter_mut()
                .find(|s| s.id == "social-care")
                .expect("the demo config has a social-care source");
            source.base_url = url::Url::parse(&base).unwrap();
        },
    )
    .await;
    let nhs = common::patient_known_at(&portal.demo.population, &SourceKind::ALL);
    // The JSON API, then the record page (rendered in tasks of its own, and streamed).
    for path in [
        format!("/api/v1/patients/{}/record?refresh=true", nhs.as_digits()),
        format!("/record?nhs={}&refresh=true", nhs.as_digits()),
    ] {
        seen.lock().unwrap().clear();
        let response = portal.get(&path).await;
        assert_eq!(response.status(), 200, "{path}");
        let id = response.headers()["x-request-id"]
            .to_str()
            .unwrap()
            .to_owned();
        response.text().await.expect("the whole answer");
        let asked: Vec<(String, Option<String>)> = seen
            .lock()
            .unwrap()
            .iter()
            // A CapabilityStatement read is the portal's own background work: no request id.
            .filter(|(p, _)| !p.ends_with("/metadata"))
            .cloned()
            .collect();
        assert!(!asked.is_empty(), "{path}: the source was asked");
        for (asked_path, sent) in &asked {
            assert_eq!(sent.as_deref(), Some(id.as_str()), "{path}: {asked_path}");
        }
    }
    let seen = seen.lock().unwrap();
    for (_, sent) in seen.iter().filter(|(p, _)| p.ends_with("/metadata")) {
        assert_eq!(sent, &None, "a background read carries no request id");
    }
}
