//! Bearer-token verification benchmark (a bench binary, not a timed test; results in
//! docs/BENCHMARKS.md): the cost of checking an API client's bearer token on every call, the
//! first time (every check, RS256 signature included) against the calls after it (the token
//! remembered by its SHA-256 until it expires), measured in one run.
//!
//! Run: `cargo bench -p server --bench tokens`.

use axum::routing::get;
use axum::Json;
use jsonwebtoken::jwk::{Jwk, JwkSet, KeyAlgorithm, PublicKeyUse};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use rsa::pkcs8::{EncodePrivateKey, LineEnding};
use server::auth::config::{IdentityConfig, IssuerConfig};
use server::auth::verify::{TokenUse, Verifier};
use std::time::{Duration, Instant};

const TOKENS: usize = 2_000;
const CALLS: usize = 20_000;

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    println!(
        "# Bearer-token benchmarks ({} cores)\n",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    let (url, key) = issuer().await;
    let issuer: IssuerConfig = toml::from_str(&format!(
        "id = \"bench\"\nname = \"Bench IdP\"\nissuer = \"{url}\"\nclient_id = \"portal\""
    ))
    .expect("issuer config");
    let config = IdentityConfig {
        issuers: vec![issuer],
        ..IdentityConfig::default()
    };
    let verifier = Verifier::new(&config, reqwest::Client::new());
    let tokens: Vec<String> = (0..TOKENS).map(|n| token(&url, &key, n)).collect();
    // The keys are fetched once, outside the timing.
    verifier
        .verify(&token(&url, &key, TOKENS), TokenUse::Bearer)
        .await
        .expect("a good token");

    let started = Instant::now();
    for token in &tokens {
        verifier
            .verify(token, TokenUse::Bearer)
            .await
            .expect("good");
    }
    let first = started.elapsed() / TOKENS as u32;

    let started = Instant::now();
    for n in 0..CALLS {
        let token = &tokens[n % TOKENS];
        verifier
            .verify(token, TokenUse::Bearer)
            .await
            .expect("good");
    }
    let again = started.elapsed() / CALLS as u32;

    println!("{TOKENS} distinct RS256 bearer tokens (2048-bit key), each verified once, then {CALLS} calls presenting them again in turn; one task.\n");
    println!("| | per call (µs) | calls/s (one core) |\n|---|---:|---:|");
    row("first call: every check, signature included", first);
    row("later calls: remembered until `exp`", again);
    println!(
        "| **ratio** first / later | **{:.0}** | |",
        first.as_secs_f64() / again.as_secs_f64()
    );
}

fn row(what: &str, per_call: Duration) {
    println!(
        "| {what} | {:.1} | {:.0} |",
        per_call.as_secs_f64() * 1e6,
        1.0 / per_call.as_secs_f64()
    );
}

/// An identity provider on loopback publishing one RSA key, and that key for signing.
async fn issuer() -> (String, EncodingKey) {
    let private = rsa::RsaPrivateKey::new(&mut rand::rngs::OsRng, 2048).expect("an RSA key");
    let pem = private.to_pkcs8_pem(LineEnding::LF).expect("PEM");
    let key = EncodingKey::from_rsa_pem(pem.as_bytes()).expect("signing key");
    let mut jwk = Jwk::from_encoding_key(&key, Algorithm::RS256).expect("JWK");
    jwk.common.key_id = Some("rsa-1".to_owned());
    jwk.common.public_key_use = Some(PublicKeyUse::Signature);
    jwk.common.key_algorithm = Some(KeyAlgorithm::RS256);
    let jwks = JwkSet { keys: vec![jwk] };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a loopback port");
    let url = format!("http://{}/realm", listener.local_addr().expect("address"));
    let discovery = serde_json::json!({
        "issuer": url,
        "authorization_endpoint": format!("{url}/authorize"),
        "token_endpoint": format!("{url}/token"),
        "jwks_uri": format!("{url}/jwks"),
    });
    let router = axum::Router::new()
        .route(
            "/realm/.well-known/openid-configuration",
            get(move || async move { Json(discovery) }),
        )
        .route("/realm/jwks", get(move || async move { Json(jwks) }));
    tokio::spawn(async move { axum::serve(listener, router).await });
    (url, key)
}

/// A good bearer token for user `n`, valid for five minutes.
fn token(issuer: &str, key: &EncodingKey, n: usize) -> String {
    let now = jsonwebtoken::get_current_timestamp();
    let claims = serde_json::json!({
        "iss": issuer, "sub": format!("user-{n}"), "aud": "portal",
        "iat": now, "nbf": now, "exp": now + 300,
        "name": "Dr Bench", "portal_roles": ["ae-clinician"],
    });
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some("rsa-1".to_owned());
    jsonwebtoken::encode(&header, &claims, key).expect("a signed token")
}
