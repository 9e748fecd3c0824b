//! Bearer tokens at the JSON API against a real OpenID provider over HTTP: a catalogue of bad
//! tokens (forgeries, ID tokens, wrong `typ`, `crit`, lifetimes, `azp`), each refused with 401
//! before any source is asked, and good ones (RS256 and ES256 from a second JWKS key) accepted.
//! Also: unknown key ids cannot make the portal hammer the issuer's JWKS; roles from claims.

use crate::common;

use axum::routing::get;
use axum::Json;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jsonwebtoken::jwk::{Jwk, JwkSet, KeyAlgorithm, PublicKeyUse};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use rsa::pkcs8::{EncodePrivateKey, EncodePublicKey, LineEnding};
use serde_json::{json, Value};
use server::auth::config::IssuerConfig;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

const CLIENT_ID: &str = "portal-under-test";

/// A test identity provider: discovery and a JWKS with an RSA and a P-256 key, counting JWKS
/// fetches; the private keys stay here for signing test tokens.
struct Issuer {
    url: String,
    rsa: EncodingKey,
    rsa_public_pem: String,
    ec: EncodingKey,
    /// An RSA key that is not in the JWKS.
    stranger: EncodingKey,
    jwks_fetches: Arc<AtomicUsize>,
    /// The key set the issuer publishes now (a test may drop a key, as a rotation does).
    jwks: Arc<std::sync::Mutex<JwkSet>>,
}

fn rsa_key() -> (EncodingKey, String) {
    let key = rsa::RsaPrivateKey::new(&mut rand::rngs::OsRng, 2048).unwrap();
    let pem = key.to_pkcs8_pem(LineEnding::LF).unwrap();
    let public = key
        .to_public_key()
        .to_public_key_pem(LineEnding::LF)
        .unwrap();
    (EncodingKey::from_rsa_pem(pem.as_bytes()).unwrap(), public)
}

impl Issuer {
    async fn start() -> Self {
        let (rsa, rsa_public_pem) = rsa_key();
        let (stranger, _) = rsa_key();
        let ec_pem = p256::SecretKey::random(&mut rand::rngs::OsRng)
            .to_pkcs8_pem(LineEnding::LF)
            .unwrap();
        let ec = EncodingKey::from_ec_pem(ec_pem.as_bytes()).unwrap();
        let jwk = |key: &EncodingKey, alg: Algorithm, kid: &str| {
            let mut jwk = Jwk::from_encoding_key(key, alg).unwrap();
            jwk.common.key_id = Some(kid.to_owned());
            jwk.common.public_key_use = Some(PublicKeyUse::Signature);
            jwk.common.key_algorithm = Some(KeyAlgorithm::from(alg));
            jwk
        };
        let jwks = JwkSet {
            keys: vec![
                jwk(&rsa, Algorithm::RS256, "rsa-1"),
                jwk(&ec, Algorithm::ES256, "ec-2"),
                jwk(&rsa, Algorithm::PS256, "rsa-pss-3"),
            ],
        };
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/realm", listener.local_addr().unwrap());
        let jwks_fetches = Arc::new(AtomicUsize::new(0));
        let discovery = json!({
            "issuer": url,
            "authorization_endpoint": format!("{url}/authorize"),
            "token_endpoint": format!("{url}/token"),
            "jwks_uri": format!("{url}/jwks"),
        });
        let fetches = jwks_fetches.clone();
        let jwks = Arc::new(std::sync::Mutex::new(jwks));
        let published = jwks.clone();
        let router = axum::Router::new()
            .route(
                "/realm/.well-known/openid-configuration",
                get(move || async move { Json(discovery) }),
            )
            .route(
                "/realm/jwks",
                get(move || {
                    fetches.fetch_add(1, Ordering::SeqCst);
                    let jwks = published.lock().unwrap().clone();
                    async move { Json(jwks) }
                }),
            );
        tokio::spawn(async move { axum::serve(listener, router).await });
        Issuer {
            url,
            rsa,
            rsa_public_pem,
            ec,
            stranger,
            jwks_fetches,
            jwks,
        }
    }

    /// Stops publishing the key `kid`, as an issuer rotating it out does.
    fn drop_key(&self, kid: &str) {
        let mut jwks = self.jwks.lock().unwrap();
        jwks.keys
            .retain(|k| k.common.key_id.as_deref() != Some(kid));
    }

    fn config(&self) -> IssuerConfig {
        toml::from_str(&format!(
            "id = \"test\"\nname = \"Test IdP\"\nissuer = \"{}\"\nclient_id = \"{CLIENT_ID}\"",
            self.url
        ))
        .unwrap()
    }

    /// Good claims for an A&E clinician, with `changes` merged in (null removes a claim).
    fn claims(&self, changes: Value) -> Value {
        let now = now();
        let mut claims = json!({
            "iss": self.url, "sub": "user-1", "aud": CLIENT_ID,
            "iat": now, "nbf": now, "exp": now + 300,
            "name": "Dr Test", "portal_roles": ["ae-clinician"],
        });
        for (k, v) in changes.as_object().unwrap() {
            if v.is_null() {
                claims.as_object_mut().unwrap().remove(k);
            } else {
                claims[k] = v.clone();
            }
        }
        claims
    }

    fn sign(&self, alg: Algorithm, kid: Option<&str>, key: &EncodingKey, claims: &Value) -> String {
        let mut header = Header::new(alg);
        header.kid = kid.map(str::to_owned);
        jsonwebtoken::encode(&header, claims, key).unwrap()
    }

    /// The good claims with `changes`, RS256 under a header made by `header`.
    fn rs256_with_header(&self, changes: Value, header: impl FnOnce(&mut Header)) -> String {
        let mut h = Header::new(Algorithm::RS256);
        h.kid = Some("rsa-1".to_owned());
        header(&mut h);
        jsonwebtoken::encode(&h, &self.claims(changes), &self.rsa).unwrap()
    }

    fn rs256(&self, changes: Value) -> String {
        self.sign(
            Algorithm::RS256,
            Some("rsa-1"),
            &self.rsa,
            &self.claims(changes),
        )
    }
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

fn b64(value: &Value) -> String {
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(value).unwrap())
}

async fn portal_trusting(issuer: &Issuer) -> common::Portal {
    portal_refreshing_every(issuer, 300).await
}

async fn portal_refreshing_every(issuer: &Issuer, seconds: u64) -> common::Portal {
    let config = issuer.config();
    common::start_with(
        common::population(),
        |_| Default::default(),
        move |c| {
            c.identity.issuers.push(config);
            c.identity.jwks_min_refresh_seconds = seconds;
        },
    )
    .await
}

async fn call(portal: &common::Portal, authorization: &str) -> reqwest::Response {
    let nhs = common::patient_known_at(&portal.demo.population, &[app::model::SourceKind::Gp]);
    reqwest::Client::new()
        .get(format!(
            "{}/api/v1/patients/{}/record",
            portal.url,
            nhs.as_digits()
        ))
        .header("authorization", authorization)
        .header("legitimate-basis", "permission-given")
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn bad_tokens_are_refused_with_401_and_nothing_else_happens() {
    let issuer = Issuer::start().await;
    let portal = portal_trusting(&issuer).await;

    let good = issuer.rs256(json!({}));
    let (header, payload, signature) = {
        let mut parts = good.split('.');
        (
            parts.next().unwrap().to_owned(),
            parts.next().unwrap().to_owned(),
            parts.next().unwrap().to_owned(),
        )
    };
    let tampered_payload =
        b64(&issuer.claims(json!({"portal_roles": ["admin"], "sub": "someone-else"})));
    let hs256_with_public_key = issuer.sign(
        Algorithm::HS256,
        Some("rsa-1"),
        &EncodingKey::from_secret(issuer.rsa_public_pem.as_bytes()),
        &issuer.claims(json!({})),
    );
    let oversized = issuer.rs256(json!({"padding": "x".repeat(9000)}));

    let catalogue: Vec<(&str, String)> = vec![
        (
            "expired",
            issuer.rs256(json!({"exp": now() - 3600, "iat": now() - 4000, "nbf": now() - 4000})),
        ),
        ("not yet valid", issuer.rs256(json!({"nbf": now() + 3600}))),
        (
            "wrong audience",
            issuer.rs256(json!({"aud": "another-service"})),
        ),
        (
            "untrusted issuer",
            issuer.rs256(json!({"iss": "https://evil.example/realm"})),
        ),
        (
            "alg none",
            format!(
                "{}.{payload}.",
                b64(&json!({"alg": "none", "typ": "JWT", "kid": "rsa-1"}))
            ),
        ),
        (
            "HS256 with the RSA public key as secret",
            hs256_with_public_key,
        ),
        (
            "tampered payload",
            format!("{header}.{tampered_payload}.{signature}"),
        ),
        (
            "unknown kid",
            issuer.sign(
                Algorithm::RS256,
                Some("nobody"),
                &issuer.rsa,
                &issuer.claims(json!({})),
            ),
        ),
        (
            "no kid",
            issuer.sign(
                Algorithm::RS256,
                None,
                &issuer.rsa,
                &issuer.claims(json!({})),
            ),
        ),
        (
            "signed by a key not in the JWKS",
            issuer.sign(
                Algorithm::RS256,
                Some("rsa-1"),
                &issuer.stranger,
                &issuer.claims(json!({})),
            ),
        ),
        (
            "RSA key id on an ES256 token",
            issuer.sign(
                Algorithm::ES256,
                Some("rsa-1"),
                &issuer.ec,
                &issuer.claims(json!({})),
            ),
        ),
        (
            "PS256 with a key whose JWK says RS256",
            issuer.sign(
                Algorithm::PS256,
                Some("rsa-1"),
                &issuer.rsa,
                &issuer.claims(json!({})),
            ),
        ),
        (
            "malformed base64",
            format!("{header}.%%%not-base64%%%.{signature}"),
        ),
        ("not a JWT", "hello".to_owned()),
        ("oversized", oversized),
        ("missing sub", issuer.rs256(json!({"sub": null}))),
        ("missing exp", issuer.rs256(json!({"exp": null}))),
        ("empty sub", issuer.rs256(json!({"sub": ""}))),
        ("blank sub", issuer.rs256(json!({"sub": "  "}))),
        (
            "an ID token (nonce) as a bearer token",
            issuer.rs256(json!({"nonce": "n-0S6_WzA2Mj"})),
        ),
        (
            "an ID token (at_hash) as a bearer token",
            issuer.rs256(json!({"at_hash": "77QmUPtjPfzWtF2AnpK9RQ"})),
        ),
        (
            "an ID token without typ as a bearer token",
            issuer.rs256_with_header(json!({"nonce": "n-0S6_WzA2Mj"}), |h| h.typ = None),
        ),
        (
            "typ logout+jwt",
            issuer.rs256_with_header(json!({}), |h| h.typ = Some("logout+jwt".into())),
        ),
        (
            "typ dpop+jwt",
            issuer.rs256_with_header(json!({}), |h| h.typ = Some("dpop+jwt".into())),
        ),
        (
            "an unknown critical header",
            issuer.rs256_with_header(json!({}), |h| {
                h.crit = Some(vec!["urn:example:must-understand".into()])
            }),
        ),
        (
            "exp beyond the maximum lifetime",
            issuer.rs256(json!({"exp": now() + 2 * 24 * 3600})),
        ),
        (
            "several audiences, no azp",
            issuer.rs256(json!({"aud": [CLIENT_ID, "another-service"]})),
        ),
        (
            "several audiences, issued to another client",
            issuer.rs256(json!({"aud": [CLIENT_ID, "another-service"], "azp": "another-service"})),
        ),
        ("azp not a string", issuer.rs256(json!({"azp": 7}))),
    ];
    for (name, token) in &catalogue {
        let response = call(&portal, &format!("Bearer {token}")).await;
        assert_eq!(response.status(), 401, "{name}");
        // Why, in the portal's own words (RFC 6750's error_description); never the token.
        let challenge = response.headers()["www-authenticate"].to_str().unwrap();
        assert!(
            challenge.starts_with("Bearer error=\"invalid_token\", error_description=\"the "),
            "{name}: {challenge}"
        );
        assert!(!challenge.contains(token.as_str()), "{name}: {challenge}");
        if *name == "expired" {
            assert!(
                challenge.ends_with("\"the token has expired\""),
                "{challenge}"
            );
        }
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"], "unauthenticated", "{name}: {body}");
    }
    for (name, authorization) in [
        ("no scheme", good.clone()),
        ("basic scheme", "Basic dXNlcjpwYXNz".to_owned()),
    ] {
        assert_eq!(call(&portal, &authorization).await.status(), 401, "{name}");
    }
    assert_eq!(
        portal.source_requests(),
        0,
        "no source was asked for a refused token"
    );

    // The same claims, properly signed: accepted with either JWKS key.
    let response = call(&portal, &format!("Bearer {good}")).await;
    assert_eq!(response.status(), 200);
    let es256 = issuer.sign(
        Algorithm::ES256,
        Some("ec-2"),
        &issuer.ec,
        &issuer.claims(json!({})),
    );
    let response = call(&portal, &format!("Bearer {es256}")).await;
    assert_eq!(
        response.status(),
        200,
        "a valid ES256 token from the second JWKS key works"
    );
    let ps256 = issuer.sign(
        Algorithm::PS256,
        Some("rsa-pss-3"),
        &issuer.rsa,
        &issuer.claims(json!({})),
    );
    let response = call(&portal, &format!("Bearer {ps256}")).await;
    assert_eq!(response.status(), 200, "PS256 works too");
    for (name, token) in [
        (
            "typ at+jwt (RFC 9068)",
            issuer.rs256_with_header(json!({}), |h| h.typ = Some("at+jwt".into())),
        ),
        (
            "typ application/at+jwt",
            issuer.rs256_with_header(json!({}), |h| h.typ = Some("application/at+jwt".into())),
        ),
        (
            "no typ",
            issuer.rs256_with_header(json!({}), |h| h.typ = None),
        ),
        (
            "an access token with a nonce says so by typ",
            issuer.rs256_with_header(json!({"nonce": "n"}), |h| h.typ = Some("at+jwt".into())),
        ),
        (
            "several audiences, issued to the portal",
            issuer.rs256(json!({"aud": [CLIENT_ID, "another-service"], "azp": CLIENT_ID})),
        ),
        (
            "exp within the maximum lifetime",
            issuer.rs256(json!({"exp": now() + 23 * 3600})),
        ),
    ] {
        let response = call(&portal, &format!("Bearer {token}")).await;
        assert_eq!(response.status(), 200, "{name}");
    }
    assert!(portal.source_requests() > 0);
}

/// Sends 50 tokens with made-up key ids.
async fn flood(portal: &common::Portal, issuer: &Issuer) {
    for i in 0..50 {
        let token = issuer.sign(
            Algorithm::RS256,
            Some(&format!("made-up-{i}")),
            &issuer.rsa,
            &issuer.claims(json!({})),
        );
        assert_eq!(call(portal, &format!("Bearer {token}")).await.status(), 401);
    }
}

#[tokio::test]
async fn a_flood_of_unknown_key_ids_does_not_hammer_the_issuer() {
    let issuer = Issuer::start().await;
    let portal = portal_trusting(&issuer).await;
    assert_eq!(
        call(&portal, &format!("Bearer {}", issuer.rs256(json!({}))))
            .await
            .status(),
        200
    );
    assert_eq!(issuer.jwks_fetches.load(Ordering::SeqCst), 1);
    flood(&portal, &issuer).await;
    assert_eq!(
        issuer.jwks_fetches.load(Ordering::SeqCst),
        1,
        "no refresh within the minimum interval after the last fetch"
    );
}

#[tokio::test]
async fn an_unknown_key_id_refreshes_the_keys_once_the_interval_has_passed() {
    let issuer = Issuer::start().await;
    let portal = portal_refreshing_every(&issuer, 1).await;
    assert_eq!(
        call(&portal, &format!("Bearer {}", issuer.rs256(json!({}))))
            .await
            .status(),
        200
    );
    assert_eq!(issuer.jwks_fetches.load(Ordering::SeqCst), 1);
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    flood(&portal, &issuer).await;
    assert_eq!(
        issuer.jwks_fetches.load(Ordering::SeqCst),
        2,
        "the first unknown key id refreshes (a key may have rotated); the rest wait"
    );
}

/// A 401 whose challenge says `why` (RFC 6750's `error_description`).
fn assert_refused_because(refused: reqwest::Response, why: &str) {
    assert_eq!(refused.status(), 401);
    let challenge = refused.headers()["www-authenticate"].to_str().unwrap();
    assert!(challenge.contains(why), "{challenge}");
}

/// A bearer token that passed is remembered (so the signature is not checked on every call),
/// but never beyond its `exp`: the same token is refused once it has expired.
#[tokio::test]
async fn a_remembered_token_is_refused_once_it_expires() {
    let issuer = Issuer::start().await;
    let config = issuer.config();
    let portal = common::start_with(
        common::population(),
        |_| Default::default(),
        move |c| {
            c.identity.issuers.push(config);
            c.identity.leeway_seconds = 0;
        },
    )
    .await;
    let token = format!("Bearer {}", issuer.rs256(json!({"exp": now() + 2})));
    for _ in 0..3 {
        assert_eq!(call(&portal, &token).await.status(), 200);
    }
    tokio::time::sleep(std::time::Duration::from_millis(3_100)).await;
    assert_refused_because(call(&portal, &token).await, "the token has expired");
}

/// A key the issuer stops publishing stops the tokens it signed, remembered or not, as soon
/// as the portal next reads the key set (a token with a key id it does not hold, once
/// `jwks_min_refresh_seconds` has passed).
#[tokio::test]
async fn a_key_rotated_out_stops_its_remembered_tokens() {
    let issuer = Issuer::start().await;
    let portal = portal_refreshing_every(&issuer, 1).await;
    let token = format!("Bearer {}", issuer.rs256(json!({})));
    for _ in 0..3 {
        assert_eq!(call(&portal, &token).await.status(), 200);
    }
    issuer.drop_key("rsa-1");
    // Until the key set is read again the key is held, and the token still works.
    assert_eq!(call(&portal, &token).await.status(), 200);
    tokio::time::sleep(std::time::Duration::from_millis(1_100)).await;
    let new_kid = issuer.sign(
        Algorithm::RS256,
        Some("rsa-next"),
        &issuer.rsa,
        &issuer.claims(json!({})),
    );
    assert_eq!(
        call(&portal, &format!("Bearer {new_kid}")).await.status(),
        401
    );
    assert_eq!(
        issuer.jwks_fetches.load(Ordering::SeqCst),
        2,
        "the key set was read again"
    );
    assert_refused_because(call(&portal, &token).await, "key id is not among");
}

#[tokio::test]
async fn tokens_that_grant_no_single_role_are_refused_with_403() {
    let issuer = Issuer::start().await;
    let portal = portal_trusting(&issuer).await;
    for (name, changes, status) in [
        ("no role", json!({"portal_roles": null}), 403),
        (
            "unknown role name",
            json!({"portal_roles": ["superuser"]}),
            403,
        ),
        (
            "two roles, none selected",
            json!({"portal_roles": ["ae-clinician", "admin"]}),
            403,
        ),
        (
            "audit officer at the record API",
            json!({"portal_roles": ["audit-officer"]}),
            403,
        ),
        (
            "admin at the record API",
            json!({"portal_roles": ["admin"]}),
            403,
        ),
        (
            "call handler",
            json!({"portal_roles": ["call-handler"]}),
            200,
        ),
        (
            "a selected role that matches no entry; portal_roles adds none",
            json!({"selected_roleid": "1"}),
            403,
        ),
        (
            "a selected role is the only role, whatever portal_roles says",
            json!({"selected_roleid": "1", "portal_roles": ["admin"], "nhsid_nrbac_roles": [
                {"person_roleid": "1", "org_code": "RX1", "role_code": "S8000:G8000:R8000"}]}),
            200,
        ),
        (
            "a national role code with a trailing R8000 is not R8000",
            json!({"portal_roles": null, "nhsid_nrbac_roles": [
                {"org_code": "RX1", "role_code": "S8000:G8001:R8008:R8000"}]}),
            403,
        ),
        (
            "R8000 at RX1",
            json!({"portal_roles": null, "nhsid_nrbac_roles": [
                {"org_code": "RX1", "role_code": "S8000:G8000:R8000"}]}),
            200,
        ),
    ] {
        let response = call(&portal, &format!("Bearer {}", issuer.rs256(changes))).await;
        assert_eq!(response.status(), status, "{name}");
    }
}

#[tokio::test]
async fn over_tls_the_portal_sends_hsts_and_secure_cookies() {
    let issuer = Issuer::start().await;
    let generated = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_owned()]).unwrap();
    let dir = std::env::temp_dir().join(format!("scr-tls-it-{:032x}", rand::random::<u128>()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("cert.pem"), generated.cert.pem()).unwrap();
    std::fs::write(dir.join("key.pem"), generated.key_pair.serialize_pem()).unwrap();

    let mut config = server::Config::demo().unwrap();
    let population = common::population();
    let _sources =
        server::demo_mode::start(&mut config, population.clone(), |_| Default::default())
            .await
            .unwrap();
    config.identity.issuers = vec![issuer.config()];
    config.portal.tls = Some(server::tls::TlsConfig {
        cert_path: dir.join("cert.pem"),
        key_path: dir.join("key.pem"),
    });
    config.audit.sqlite_path = dir.join("audit.sqlite");
    config.child_protection.outbox_path = dir.join("outbox.sqlite");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("https://{}", listener.local_addr().unwrap());
    tokio::spawn(server::run(config, listener, std::future::pending()));

    let client = reqwest::Client::builder()
        .add_root_certificate(
            reqwest::Certificate::from_pem(generated.cert.pem().as_bytes()).unwrap(),
        )
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let nhs = common::patient_known_at(&population, &[app::model::SourceKind::Gp]);
    let response = client
        .get(format!("{url}/api/v1/patients/{}/record", nhs.as_digits()))
        .bearer_auth(issuer.rs256(json!({})))
        .header("legitimate-basis", "permission-given")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(response.headers()["strict-transport-security"]
        .to_str()
        .unwrap()
        .starts_with("max-age="));

    let response = client
        .get(format!("{url}/auth/login?issuer=test"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 303);
    let cookie = response.headers()["set-cookie"].to_str().unwrap();
    assert!(cookie.contains("; Secure"), "{cookie}");
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    let _ = std::fs::remove_dir_all(dir);
}
