//! Signing in to sources against a real token endpoint on 127.0.0.1, and the `auth` table's
//! checks.

use super::*;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::{Form, Router};
use rsa::pkcs8::{EncodePrivateKey, EncodePublicKey, LineEnding};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, LazyLock, Mutex};

/// One request the fake token endpoint received.
#[derive(Clone, Debug)]
struct Seen {
    form: HashMap<String, String>,
    authorization: Option<String>,
}

/// A real token endpoint on 127.0.0.1: records requests, answers `token-<n>` valid for
/// `expires_in` seconds, or `reply` when set.
struct Endpoint {
    seen: Mutex<Vec<Seen>>,
    expires_in: AtomicU64,
    reply: Mutex<Option<(u16, String)>>,
}

impl Endpoint {
    fn requests(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    fn answer(&self, status: u16, body: &str) {
        *self.reply.lock().unwrap() = Some((status, body.to_owned()));
    }
}

async fn token(
    State(endpoint): State<Arc<Endpoint>>,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> (StatusCode, [(&'static str, &'static str); 1], String) {
    let authorization = headers
        .get("authorization")
        .map(|v| v.to_str().unwrap().to_owned());
    let n = {
        let mut seen = endpoint.seen.lock().unwrap();
        seen.push(Seen {
            form,
            authorization,
        });
        seen.len()
    };
    // Slow enough for concurrent lookups to pile up behind the first.
    tokio::time::sleep(Duration::from_millis(50)).await;
    let expires_in = endpoint.expires_in.load(Ordering::SeqCst);
    let (status, body) = endpoint.reply.lock().unwrap().clone().unwrap_or((
        200,
        format!(
            r#"{{"access_token":"token-{n}","token_type":"Bearer","expires_in":{expires_in}}}"#
        ),
    ));
    let json = [("content-type", "application/json")];
    (StatusCode::from_u16(status).unwrap(), json, body)
}

async fn serve() -> (Arc<Endpoint>, Url) {
    let endpoint = Arc::new(Endpoint {
        seen: Mutex::default(),
        expires_in: AtomicU64::new(3600),
        reply: Mutex::default(),
    });
    let app = Router::new()
        .route("/token", post(token))
        .with_state(endpoint.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/token", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (endpoint, Url::parse(&url).unwrap())
}

fn client_credentials(token_url: &Url) -> AuthConfig {
    AuthConfig::ClientCredentials {
        token_url: token_url.clone(),
        client_id: "portal".into(),
        client_secret: Secret::new("s3cret"),
        scope: Some("system/*.read".into()),
    }
}

fn source_auth(config: &AuthConfig) -> SourceAuth {
    SourceAuth::new(config, reqwest::Client::new()).unwrap()
}

fn text(header: Option<HeaderValue>) -> String {
    header.unwrap().to_str().unwrap().to_owned()
}

struct KeyPair {
    private_pem: String,
    public_pem: String,
}

static RSA_KEY: LazyLock<KeyPair> = LazyLock::new(|| {
    let key = rsa::RsaPrivateKey::new(&mut rand::rngs::OsRng, 2048).unwrap();
    KeyPair {
        private_pem: key.to_pkcs8_pem(LineEnding::LF).unwrap().to_string(),
        public_pem: key
            .to_public_key()
            .to_public_key_pem(LineEnding::LF)
            .unwrap(),
    }
});

static EC_KEY: LazyLock<KeyPair> = LazyLock::new(|| {
    let key = p384::SecretKey::random(&mut rand::rngs::OsRng);
    KeyPair {
        private_pem: key.to_pkcs8_pem(LineEnding::LF).unwrap().to_string(),
        public_pem: key.public_key().to_public_key_pem(LineEnding::LF).unwrap(),
    }
});

/// A file removed when dropped.
struct TempFile(PathBuf);

impl TempFile {
    fn new(contents: &str) -> Self {
        let name = format!("source-auth-test-{:032x}.pem", rand::random::<u128>());
        let path = std::env::temp_dir().join(name);
        std::fs::write(&path, contents).unwrap();
        Self(path)
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

fn smart_backend(token_url: &Url, key: &TempFile, algorithm: SigningAlgorithm) -> AuthConfig {
    AuthConfig::SmartBackend {
        token_url: token_url.clone(),
        client_id: "portal-client".into(),
        private_key_path: key.0.clone(),
        algorithm,
        key_id: "key-1".into(),
        scope: "system/*.rs".into(),
    }
}

#[tokio::test]
async fn none_sends_nothing_and_bearer_the_static_token() {
    assert!(source_auth(&AuthConfig::None)
        .authorization()
        .await
        .unwrap()
        .is_none());
    let bearer = source_auth(&AuthConfig::Bearer {
        token: Secret::new("abc"),
    });
    let header = bearer.authorization().await.unwrap().unwrap();
    assert_eq!(header.to_str().unwrap(), "Bearer abc");
    assert!(header.is_sensitive());
    assert!(!bearer.is_token_based());
}

#[tokio::test]
async fn client_credentials_post_the_grant_with_basic_auth() {
    let (endpoint, url) = serve().await;
    let auth = source_auth(&client_credentials(&url));
    let header = auth.authorization().await.unwrap().unwrap();
    assert_eq!(header.to_str().unwrap(), "Bearer token-1");
    assert!(header.is_sensitive());
    assert!(auth.is_token_based());
    let seen = endpoint.requests();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].form["grant_type"], "client_credentials");
    assert_eq!(seen[0].form["scope"], "system/*.read");
    assert!(!seen[0].form.contains_key("client_assertion"));
    // base64("portal:s3cret")
    assert_eq!(
        seen[0].authorization.as_deref(),
        Some("Basic cG9ydGFsOnMzY3JldA==")
    );

    let (endpoint, url) = serve().await;
    let mut no_scope = client_credentials(&url);
    if let AuthConfig::ClientCredentials { scope, .. } = &mut no_scope {
        *scope = None;
    }
    source_auth(&no_scope).authorization().await.unwrap();
    assert!(!endpoint.requests()[0].form.contains_key("scope"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_lookups_share_one_token_request() {
    let (endpoint, url) = serve().await;
    let auth = Arc::new(source_auth(&client_credentials(&url)));
    let lookups = (0..20).map(|_| {
        let auth = auth.clone();
        tokio::spawn(async move { auth.authorization().await })
    });
    for lookup in futures::future::join_all(lookups).await {
        assert_eq!(text(lookup.unwrap().unwrap()), "Bearer token-1");
    }
    assert_eq!(endpoint.requests().len(), 1, "20 lookups, one request");
    assert_eq!(text(auth.authorization().await.unwrap()), "Bearer token-1");
    assert_eq!(endpoint.requests().len(), 1, "a fresh token is reused");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_lookups_share_one_failure() {
    let (endpoint, url) = serve().await;
    endpoint.answer(500, "down");
    let auth = Arc::new(source_auth(&client_credentials(&url)));
    let lookups = (0..20).map(|_| {
        let auth = auth.clone();
        tokio::spawn(async move { auth.authorization().await })
    });
    for lookup in futures::future::join_all(lookups).await {
        let error = lookup.unwrap().unwrap_err();
        assert!(matches!(error, AuthError::Refused { status: 500, .. }));
    }
    assert_eq!(endpoint.requests().len(), 1, "20 lookups, one request");
}

#[test]
fn renew_margin_is_a_tenth_but_at_least_30_s_and_at_most_half() {
    let secs = Duration::from_secs;
    for (lifetime, margin) in [
        (secs(3600), secs(360)),
        (secs(300), secs(30)),
        (secs(40), secs(20)),
        (secs(1), Duration::from_millis(500)),
        (secs(0), secs(0)),
    ] {
        assert_eq!(renew_margin(lifetime), margin, "{lifetime:?}");
    }
}

#[tokio::test]
async fn a_token_is_renewed_before_it_expires() {
    let (endpoint, url) = serve().await;
    endpoint.expires_in.store(1, Ordering::SeqCst);
    let auth = source_auth(&client_credentials(&url));
    assert_eq!(text(auth.authorization().await.unwrap()), "Bearer token-1");
    assert_eq!(text(auth.authorization().await.unwrap()), "Bearer token-1");
    // Past the half-lifetime margin but before the token's 1 s expiry.
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(text(auth.authorization().await.unwrap()), "Bearer token-2");
    assert_eq!(endpoint.requests().len(), 2);
}

#[tokio::test]
async fn a_failed_renewal_keeps_the_old_token_until_it_expires() {
    let (endpoint, url) = serve().await;
    endpoint.expires_in.store(2, Ordering::SeqCst);
    let auth = source_auth(&client_credentials(&url));
    assert_eq!(text(auth.authorization().await.unwrap()), "Bearer token-1");
    endpoint.answer(503, "busy");
    tokio::time::sleep(Duration::from_millis(1_100)).await;
    assert_eq!(text(auth.authorization().await.unwrap()), "Bearer token-1");
    assert_eq!(endpoint.requests().len(), 2, "renewal was tried");
    tokio::time::sleep(Duration::from_millis(1_000)).await;
    let error = auth.authorization().await.unwrap_err();
    assert!(matches!(error, AuthError::Refused { status: 503, .. }));
}

#[tokio::test]
async fn invalidate_forces_a_new_token() {
    let (endpoint, url) = serve().await;
    let auth = source_auth(&client_credentials(&url));
    assert_eq!(text(auth.authorization().await.unwrap()), "Bearer token-1");
    auth.invalidate();
    assert_eq!(text(auth.authorization().await.unwrap()), "Bearer token-2");
    assert_eq!(endpoint.requests().len(), 2);
}

#[tokio::test]
async fn a_reply_without_expires_in_lasts_300_s() {
    let (endpoint, url) = serve().await;
    endpoint.answer(200, r#"{"access_token":"t","token_type":"bearer"}"#);
    let auth = source_auth(&client_credentials(&url));
    assert_eq!(text(auth.authorization().await.unwrap()), "Bearer t");
    let cache = auth.read();
    let token = cache.token.as_ref().unwrap();
    let left = token.expires_at - Instant::now();
    assert!(left > Duration::from_secs(290) && left <= DEFAULT_LIFETIME);
    assert_eq!(token.expires_at - token.renew_at, Duration::from_secs(30));
}

#[tokio::test]
async fn unusable_token_replies_are_errors_that_show_no_secret() {
    let (endpoint, url) = serve().await;
    for (status, body, expected) in [
        (
            401,
            r#"{"error":"invalid_client"}"#,
            "HTTP 401 (invalid_client)",
        ),
        (400, r#"{"error":"Secret s3cret wrong"}"#, "HTTP 400"),
        (500, "<html>oops</html>", "HTTP 500"),
        (
            200,
            "<html>login</html>",
            "HTTP 200 reply is unusable: not JSON",
        ),
        (
            200,
            r#"{"access_token":"mac-t0ken","token_type":"mac","expires_in":60}"#,
            "token_type is not bearer",
        ),
        (
            200,
            r#"{"access_token":"","token_type":"bearer"}"#,
            "access_token is empty",
        ),
    ] {
        endpoint.answer(status, body);
        let error = source_auth(&client_credentials(&url))
            .authorization()
            .await
            .unwrap_err()
            .to_string();
        assert!(error.contains(expected), "{error}");
        assert!(!error.contains("s3cret") && !error.contains("mac-t0ken"));
    }
}

#[tokio::test]
async fn an_unreachable_token_endpoint_is_an_error() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = Url::parse(&format!("http://{}/token", listener.local_addr().unwrap())).unwrap();
    drop(listener);
    let error = source_auth(&client_credentials(&url))
        .authorization()
        .await
        .unwrap_err();
    assert!(matches!(error, AuthError::Unreachable(_)), "{error}");
}

#[tokio::test]
async fn smart_backend_assertions_verify_with_rs384_and_es384() {
    for (algorithm, keys) in [
        (SigningAlgorithm::RS384, &*RSA_KEY),
        (SigningAlgorithm::ES384, &*EC_KEY),
    ] {
        let (endpoint, url) = serve().await;
        let private_key = TempFile::new(&keys.private_pem);
        let auth = source_auth(&smart_backend(&url, &private_key, algorithm));
        assert_eq!(text(auth.authorization().await.unwrap()), "Bearer token-1");
        auth.invalidate();
        assert_eq!(text(auth.authorization().await.unwrap()), "Bearer token-2");

        let public = match algorithm {
            SigningAlgorithm::RS384 => jsonwebtoken::DecodingKey::from_rsa_pem,
            SigningAlgorithm::ES384 => jsonwebtoken::DecodingKey::from_ec_pem,
        }(keys.public_pem.as_bytes())
        .unwrap();
        let mut validation = jsonwebtoken::Validation::new(algorithm.into());
        validation.set_audience(&[url.as_str()]);
        validation.set_issuer(&["portal-client"]);
        validation.leeway = 0;
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs();
        let mut jtis = Vec::new();
        for seen in endpoint.requests() {
            assert_eq!(seen.form["grant_type"], "client_credentials");
            assert_eq!(seen.form["scope"], "system/*.rs");
            assert_eq!(seen.form["client_assertion_type"], JWT_BEARER);
            assert_eq!(seen.authorization, None, "no Basic auth");
            let assertion = jsonwebtoken::decode::<serde_json::Value>(
                &seen.form["client_assertion"],
                &public,
                &validation,
            )
            .unwrap_or_else(|e| panic!("{algorithm:?}: {e}"));
            assert_eq!(assertion.header.alg, algorithm.into());
            assert_eq!(assertion.header.kid.as_deref(), Some("key-1"));
            let claims = assertion.claims;
            assert_eq!(claims["sub"], "portal-client");
            let exp = claims["exp"].as_u64().unwrap();
            assert!(exp > now && exp <= now + 300, "exp {exp}, now {now}");
            jtis.push(claims["jti"].as_str().unwrap().to_owned());
        }
        assert_eq!(jtis.len(), 2);
        assert_ne!(jtis[0], jtis[1], "each assertion has its own jti");
    }
}

#[test]
fn bad_keys_stop_start_up() {
    let url = Url::parse("https://auth.example.org/token").unwrap();
    let start = |key: &TempFile, algorithm| {
        SourceAuth::new(&smart_backend(&url, key, algorithm), reqwest::Client::new())
            .unwrap_err()
            .to_string()
    };
    let not_a_key =
        TempFile::new("-----BEGIN PRIVATE KEY-----\nbm9wZQ==\n-----END PRIVATE KEY-----\n");
    let rsa_public = TempFile::new(&RSA_KEY.public_pem);
    let rsa_private = TempFile::new(&RSA_KEY.private_pem);
    let ec_private = TempFile::new(&EC_KEY.private_pem);
    for (key, algorithm) in [
        (&not_a_key, SigningAlgorithm::RS384),
        (&not_a_key, SigningAlgorithm::ES384),
        (&rsa_public, SigningAlgorithm::RS384),
        (&rsa_private, SigningAlgorithm::ES384),
        (&ec_private, SigningAlgorithm::RS384),
    ] {
        let error = start(key, algorithm);
        assert!(error.contains(&key.0.display().to_string()), "{error}");
        assert!(error.contains("not a PEM private key"), "{error}");
    }
    let missing = TempFile(std::env::temp_dir().join("source-auth-test-missing.pem"));
    let error = start(&missing, SigningAlgorithm::ES384);
    assert!(error.contains("source-auth-test-missing.pem"), "{error}");
}

#[tokio::test]
async fn env_secrets_are_read_at_start_up_and_a_missing_one_is_named() {
    let name = format!("SOURCE_AUTH_TEST_{:x}", rand::random::<u64>());
    let config = AuthConfig::Bearer {
        token: Secret::new(format!("env:{name}")),
    };
    let error = SourceAuth::new(&config, reqwest::Client::new()).unwrap_err();
    assert!(matches!(error, AuthError::Env(_)));
    assert!(error.to_string().contains(&name), "{error}");
    assert!(error.to_string().contains("is not set"), "{error}");

    std::env::set_var(&name, "from-env");
    let header = source_auth(&config).authorization().await.unwrap();
    std::env::remove_var(&name);
    assert_eq!(text(header), "Bearer from-env");
}

#[test]
fn secrets_never_print() {
    let url = Url::parse("https://auth.example.org/token").unwrap();
    let configs = [
        AuthConfig::Bearer {
            token: Secret::new("t0p-s3cret"),
        },
        AuthConfig::ClientCredentials {
            token_url: url,
            client_id: "portal".into(),
            client_secret: Secret::new("t0p-s3cret"),
            scope: None,
        },
    ];
    for config in &configs {
        let printed = format!("{config:?} {:?}", source_auth(config));
        assert!(!printed.contains("t0p-s3cret"), "{printed}");
        assert!(printed.contains("***SECRET***"), "{printed}");
    }
    assert_eq!(Secret::new("t0p-s3cret").to_string(), "***SECRET***");
}

fn kind(config: &AuthConfig) -> &'static str {
    match config {
        AuthConfig::None => "none",
        AuthConfig::Bearer { .. } => "bearer",
        AuthConfig::ClientCredentials { .. } => "client-credentials",
        AuthConfig::SmartBackend { .. } => "smart-backend",
    }
}

fn parse(table: &str) -> Result<AuthConfig, toml::de::Error> {
    #[derive(Deserialize)]
    struct Source {
        auth: AuthConfig,
    }
    toml::from_str::<Source>(&format!("[auth]\n{table}")).map(|s| s.auth)
}

const SMART: &str = r#"type = "smart-backend"
token_url = "https://auth.example.org/token"
client_id = "portal"
private_key_path = "/etc/portal/key.pem"
algorithm = "ES384"
key_id = "key-1"
scope = "system/*.rs""#;

#[test]
fn auth_tables_parse_and_unknown_types_and_keys_are_refused() {
    let cc = r#"type = "client-credentials"
token_url = "https://auth.example.org/token"
client_id = "portal"
client_secret = "env:PORTAL_SECRET""#;
    for (table, expected) in [
        (r#"type = "none""#.to_owned(), Some("none")),
        (
            r#"type = "bearer""#.to_owned() + "\ntoken = \"t\"",
            Some("bearer"),
        ),
        (cc.to_owned(), Some("client-credentials")),
        (
            format!("{cc}\nscope = \"system/*.read\""),
            Some("client-credentials"),
        ),
        (SMART.to_owned(), Some("smart-backend")),
        (SMART.replace("ES384", "RS384"), Some("smart-backend")),
        (r#"type = "kerberos""#.to_owned(), None),
        ("token = \"t\"".to_owned(), None),
        (
            "type = \"bearer\"\ntoken = \"t\"\ncolour = \"blue\"".to_owned(),
            None,
        ),
        (format!("{cc}\naudience = \"x\""), None),
        (format!("{SMART}\nkid = \"x\""), None),
        (SMART.replace("ES384", "RS256"), None),
        (
            SMART.replace("https://auth.example.org/token", "not a url"),
            None,
        ),
        (SMART.replace("scope = \"system/*.rs\"", ""), None),
    ] {
        let parsed = parse(&table);
        assert_eq!(
            parsed.as_ref().ok().map(kind),
            expected,
            "{table}\n{parsed:?}"
        );
    }
    let AuthConfig::SmartBackend { algorithm, .. } = parse(SMART).unwrap() else {
        panic!("not smart-backend");
    };
    assert_eq!(algorithm, SigningAlgorithm::ES384);
}

#[test]
fn problems_name_each_bad_key() {
    let cc = |token_url: &str, client_id: &str, secret: &str, scope: Option<&str>| {
        AuthConfig::ClientCredentials {
            token_url: Url::parse(token_url).unwrap(),
            client_id: client_id.into(),
            client_secret: Secret::new(secret),
            scope: scope.map(Into::into),
        }
    };
    let good = "https://auth.example.org/token";
    for (config, expected) in [
        (AuthConfig::None, vec![]),
        (parse(SMART).unwrap(), vec![]),
        (cc(good, "portal", "s", Some("system/*.read")), vec![]),
        (
            AuthConfig::Bearer {
                token: Secret::new(""),
            },
            vec!["auth.token must not be empty"],
        ),
        (
            cc("ftp://auth.example.org/token", " ", "env:", Some(" ")),
            vec![
                "auth.token_url must be an http(s) URL",
                "auth.client_id must not be empty",
                "auth.client_secret names no variable after `env:`",
                "auth.scope must not be empty (leave it out instead)",
            ],
        ),
        (
            cc("https://a.example/token#x", "a:b", "s", None),
            vec![
                "auth.token_url must not have a #fragment",
                "auth.client_id cannot contain ':' (HTTP Basic)",
            ],
        ),
        (
            parse(
                &SMART
                    .replace("\"portal\"", "\"\"")
                    .replace("/etc/portal/key.pem", "")
                    .replace("key-1", "")
                    .replace("system/*.rs", ""),
            )
            .unwrap(),
            vec![
                "auth.client_id must not be empty",
                "auth.private_key_path must not be empty",
                "auth.key_id must not be empty",
                "auth.scope must not be empty",
            ],
        ),
    ] {
        assert_eq!(config.problems(), expected, "{config:?}");
    }
}
