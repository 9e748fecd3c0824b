//! Property tests standing in for fuzzing (cargo-fuzz needs nightly): bearer tokens through
//! `Verifier::verify` (arbitrary bytes and JWT-shaped strings of arbitrary JSON are refused with
//! a `TokenError`, without the network unless they name the configured issuer), claims through
//! the role mapping (`roles::grants`: never panics, grants exactly what the documented claim
//! shapes grant), and TOML through `Config::from_toml` (arbitrary and mutated text never
//! panics; every error names the file, and a line or a key). 256 cases per property by
//! default; a longer run:
//! `PROPTEST_CASES=100000 cargo test --release -p server --test integration -- fuzz::`.

use app::auth::Role;
use base64::engine::general_purpose::{STANDARD, URL_SAFE, URL_SAFE_NO_PAD};
use base64::Engine;
use proptest::prelude::*;
use proptest::sample::select;
use serde_json::{json, Map, Value};
use server::auth::config::{IdentityConfig, IssuerConfig};
use server::auth::roles::grants;
use server::auth::verify::{Claims, TokenError, TokenUse, Verifier};
use server::config::{Config, ConfigError, Mode, DEMO_TOML};
use std::time::{Duration, Instant};

/// 256 cases, or `PROPTEST_CASES` when set (`with_cases` alone would ignore it).
fn config() -> ProptestConfig {
    if std::env::var_os("PROPTEST_CASES").is_some() {
        ProptestConfig::default()
    } else {
        ProptestConfig::with_cases(256)
    }
}

/// Nested JSON whose keys come from `keys` (or are anything) and leaves from `leaves`, plus
/// numbers, booleans, null and short arbitrary strings.
fn json_from(
    keys: &'static [&'static str],
    leaves: &'static [&'static str],
) -> impl Strategy<Value = Value> {
    let key = prop_oneof![4 => select(keys).prop_map(str::to_owned), 1 => ".{0,8}"];
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        select(leaves).prop_map(Value::from),
        ".{0,12}".prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 48, 6, move |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            proptest::collection::vec((key.clone(), inner), 0..6)
                .prop_map(|pairs| Value::Object(pairs.into_iter().collect())),
        ]
    })
}

/// An object with each of `fields` present with its probability, its value from its strategy.
fn object_of(fields: Vec<(&'static str, f64, BoxedStrategy<Value>)>) -> BoxedStrategy<Value> {
    let mut object = Just(Map::new()).boxed();
    for (name, presence, value) in fields {
        object = (object, proptest::option::weighted(presence, value))
            .prop_map(move |(mut map, value)| {
                if let Some(value) = value {
                    map.insert(name.to_owned(), value);
                }
                map
            })
            .boxed();
    }
    object.prop_map(Value::Object).boxed()
}

fn one_of_or_any(
    values: &'static [&'static str],
    any: BoxedStrategy<Value>,
) -> BoxedStrategy<Value> {
    prop_oneof![8 => select(values).prop_map(Value::from), 1 => any].boxed()
}

// ---------------------------------------------------------------------------------------------
// Bearer tokens.

/// The one configured issuer: nothing listens on port 9 (discard), so its keys never arrive.
const ISSUER: &str = "http://127.0.0.1:9/realm";

fn verifier() -> Verifier {
    let issuer: IssuerConfig = toml::from_str(&format!(
        "id = \"fuzz\"\nname = \"Fuzz IdP\"\nissuer = \"{ISSUER}\"\nclient_id = \"portal\""
    ))
    .expect("issuer config");
    let config = IdentityConfig {
        issuers: vec![issuer],
        ..Default::default()
    };
    Verifier::new(&config, reqwest::Client::new())
}

const HEADER_KEYS: &[&str] = &[
    "alg", "typ", "kid", "crit", "cty", "jku", "jwk", "x5u", "x5c",
];
const HEADER_LEAVES: &[&str] = &[
    "RS256",
    "ES256",
    "PS256",
    "EdDSA",
    "RS384",
    "ES384",
    "HS256",
    "none",
    "rs256",
    "",
    "JWT",
    "at+jwt",
    "application/at+jwt",
    "secevent+jwt",
    "rsa-1",
    "exp",
];
const CLAIM_KEYS: &[&str] = &[
    "iss",
    "sub",
    "aud",
    "exp",
    "nbf",
    "iat",
    "azp",
    "nonce",
    "at_hash",
    "c_hash",
    "name",
    "nhsid_useruid",
    "selected_roleid",
    "nhsid_nrbac_roles",
    "portal_roles",
    "person_roleid",
    "org_code",
    "role_code",
];
const CLAIM_LEAVES: &[&str] = &[
    ISSUER,
    "http://127.0.0.1:9/realm/",
    "https://idp",
    "portal",
    "u1",
    "",
    "admin",
    "ae-clinician",
    "audit-officer",
    "R8000",
    "S8000:G8000:R8000",
    "RX1",
    "Y0111",
    "1",
];

fn header_json() -> BoxedStrategy<Value> {
    let any = json_from(HEADER_KEYS, HEADER_LEAVES).boxed();
    let alg = prop_oneof![
        8 => select(&["RS256", "ES256", "PS256", "EdDSA", "RS384"][..]).prop_map(Value::from),
        2 => select(&["HS256", "none", "RS1", "rs256"][..]).prop_map(Value::from),
        1 => any.clone(),
    ];
    let typs = &["JWT", "at+jwt", "application/at+jwt", "secevent+jwt"];
    let fields = object_of(vec![
        ("alg", 0.95, alg.boxed()),
        ("typ", 0.5, one_of_or_any(typs, any.clone())),
        (
            "kid",
            0.8,
            one_of_or_any(&["rsa-1", "", "../../../etc/passwd"], any.clone()),
        ),
        ("crit", 0.1, Just(json!(["exp"])).boxed()),
        (
            "jku",
            0.1,
            one_of_or_any(&["http://127.0.0.1:9/keys"], any.clone()),
        ),
    ]);
    prop_oneof![5 => fields, 1 => any].boxed()
}

fn payload_json() -> BoxedStrategy<Value> {
    let any = json_from(CLAIM_KEYS, CLAIM_LEAVES).boxed();
    let now = 1_750_000_000i64;
    let time = prop_oneof![
        3 => (now - 100_000..now + 200_000).prop_map(Value::from),
        1 => any.clone(),
    ]
    .boxed();
    let issuers = &[ISSUER, "https://idp.example", "http://127.0.0.1:9/realm/"];
    let fields = object_of(vec![
        ("iss", 0.9, one_of_or_any(issuers, any.clone())),
        ("sub", 0.8, one_of_or_any(&["u1", "", " "], any.clone())),
        ("aud", 0.7, one_of_or_any(&["portal", "other"], any.clone())),
        ("exp", 0.7, time.clone()),
        ("nbf", 0.3, time),
        ("azp", 0.2, one_of_or_any(&["portal", "x"], any.clone())),
        ("nonce", 0.2, one_of_or_any(&["n"], any.clone())),
        ("portal_roles", 0.2, one_of_or_any(&["admin"], any.clone())),
    ]);
    prop_oneof![5 => fields, 1 => any].boxed()
}

/// A segment's bytes as a token carries them, or (now and then) as it must not.
fn encode(bytes: &[u8], how: u8) -> String {
    match how {
        0 => STANDARD.encode(bytes),
        1 => URL_SAFE.encode(bytes),
        2 => String::from_utf8_lossy(bytes).into_owned(),
        _ => URL_SAFE_NO_PAD.encode(bytes),
    }
}

/// Three base64url segments (header, claims, signature), sometimes fewer or more, sometimes
/// badly encoded; and whether the claims name the configured issuer.
fn jwt_shaped() -> impl Strategy<Value = (String, bool)> {
    (
        header_json(),
        payload_json(),
        proptest::collection::vec(any::<u8>(), 0..300),
        proptest::collection::vec(0u8..20, 3),
        prop_oneof![8 => Just(3usize), 1 => 0usize..6],
    )
        .prop_map(|(header, payload, signature, how, segments)| {
            // Only a claims object names the issuer (RFC 7519): claims sent as an array are
            // malformed, whatever their first element (this once reached the issuer's keys).
            let iss = Value::from(ISSUER);
            let names_issuer = payload.get("iss") == Some(&iss);
            let mut parts = vec![
                encode(header.to_string().as_bytes(), how[0]),
                encode(payload.to_string().as_bytes(), how[1]),
                encode(&signature, how[2]),
            ];
            parts.resize(segments, encode(&signature, how[2]));
            (parts.join("."), names_issuer)
        })
}

/// Refusals that need nothing from an issuer (no network).
fn offline(error: &TokenError) -> bool {
    matches!(
        error,
        TokenError::TooLarge(_)
            | TokenError::Malformed
            | TokenError::UnknownIssuer
            | TokenError::AlgorithmNotAllowed
            | TokenError::WrongType
            | TokenError::CriticalHeader
    )
}

/// Verifies `token` both ways: always refused; without asking the issuer unless the token
/// names it (then only as far as its keys, which never arrive).
fn assert_refused(
    runtime: &tokio::runtime::Runtime,
    verifier: &Verifier,
    token: &str,
    names_issuer: bool,
) -> Result<(), TestCaseError> {
    for token_use in [TokenUse::Bearer, TokenUse::IdToken] {
        let started = Instant::now();
        let result = runtime.block_on(verifier.verify(token, token_use));
        let error = match result {
            Ok(verified) => {
                return Err(TestCaseError::fail(format!(
                    "accepted as {token_use:?}: {:?}",
                    verified.claims
                )))
            }
            Err(error) => error,
        };
        if names_issuer {
            prop_assert!(
                offline(&error)
                    || matches!(
                        error,
                        TokenError::NoKeyId | TokenError::UnknownKey | TokenError::KeysUnavailable
                    ),
                "{token_use:?}: {error:?}"
            );
        } else {
            prop_assert!(offline(&error), "{token_use:?}: {error:?}");
            prop_assert!(
                started.elapsed() < Duration::from_secs(2),
                "{token_use:?}: {error:?} took {:?}",
                started.elapsed()
            );
        }
    }
    Ok(())
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime")
}

#[test]
fn arbitrary_bytes_are_refused_as_tokens() {
    let runtime = runtime();
    let verifier = verifier();
    let bytes = prop_oneof![
        4 => proptest::collection::vec(any::<u8>(), 0..600),
        1 => proptest::collection::vec(any::<u8>(), 8000..9000),
    ];
    let text = prop_oneof![
        bytes.prop_map(|b| String::from_utf8_lossy(&b).into_owned()),
        any::<String>(),
        "[A-Za-z0-9_\\-.=+/ ]{0,400}",
        "eyJ[A-Za-z0-9_\\-]{0,80}\\.eyJ[A-Za-z0-9_\\-]{0,200}\\.[A-Za-z0-9_\\-]{0,80}",
    ];
    proptest::test_runner::TestRunner::new(config())
        .run(&text, |token| {
            // Arbitrary text names the issuer only by an astronomical accident.
            assert_refused(&runtime, &verifier, &token, false)
        })
        .unwrap();
}

#[test]
fn jwt_shaped_tokens_of_arbitrary_json_are_refused() {
    let runtime = runtime();
    let verifier = verifier();
    proptest::test_runner::TestRunner::new(config())
        .run(&jwt_shaped(), |(token, names_issuer)| {
            assert_refused(&runtime, &verifier, &token, names_issuer)
        })
        .unwrap();
}

// ---------------------------------------------------------------------------------------------
// Claims to roles.

/// The demo configuration's mapping: R8000 at RX1 or Y0111, R8008 at Y0111, R0001 anywhere;
/// portal role names in `portal_roles`.
fn identity() -> IdentityConfig {
    Config::demo().expect("the demo config").identity
}

/// The portal's role names first (`ROLE_NAMES[..5]`), then near misses.
const ROLE_NAMES: &[&str] = &[
    "ae-clinician",
    "urgent-care-clinician",
    "call-handler",
    "audit-officer",
    "admin",
    "Admin",
    "admin ",
    "root",
    "",
];
/// Role codes the demo mapping names first (`ROLE_CODES[..6]`), then unmapped and malformed ones.
const ROLE_CODES: &[&str] = &[
    "S8000:G8000:R8000",
    "R8000",
    "R8008",
    "R0001",
    "S1:G1:R0001",
    "S8000:G8000:R8008",
    "R9999",
    "R8000 ",
    " R8000",
    "r8000",
    "R",
    "S:G:R8000",
    "S8000:G8000:",
    ":R8000",
    "R8000:",
    "X8000:G8000:R8000",
    "G8000:S8000:R8000",
    "S8000:G8000:R8008:R8000",
    "R8008:R8000",
    "R+8000",
    "R-1",
    "R８０００",
    "R8000\n",
];

fn rbac_entry() -> BoxedStrategy<Value> {
    let any = json_from(CLAIM_KEYS, CLAIM_LEAVES).boxed();
    object_of(vec![
        (
            "person_roleid",
            0.7,
            one_of_or_any(&["1", "2", "9", ""], any.clone()),
        ),
        (
            "org_code",
            0.8,
            one_of_or_any(&["RX1", "Y0111", "ZZZ", "rx1", ""], any.clone()),
        ),
        (
            "role_code",
            0.95,
            prop_oneof![
                6 => select(&ROLE_CODES[..6]).prop_map(Value::from),
                8 => select(ROLE_CODES).prop_map(Value::from),
                4 => "[SGR0-9: ]{0,12}".prop_map(Value::from),
                1 => any,
            ]
            .boxed(),
        ),
    ])
}

/// Claims as providers send them (and near misses): the RBAC list, a selected role, portal
/// role names in the role claim and in look-alike claims, or anything at all.
fn claims_json() -> BoxedStrategy<Value> {
    let any = json_from(CLAIM_KEYS, CLAIM_LEAVES).boxed();
    let names = prop_oneof![
        3 => select(&ROLE_NAMES[..5]).prop_map(Value::from),
        2 => select(ROLE_NAMES).prop_map(Value::from),
        2 => proptest::collection::vec(
            prop_oneof![3 => select(ROLE_NAMES).prop_map(Value::from), 1 => any.clone()],
            0..4,
        )
        .prop_map(Value::Array),
        1 => any.clone(),
    ]
    .boxed();
    let entries = prop_oneof![
        9 => proptest::collection::vec(rbac_entry(), 0..4).prop_map(Value::Array),
        1 => any.clone(),
    ]
    .boxed();
    prop_oneof![
        6 => object_of(vec![
            ("iss", 0.97, one_of_or_any(&["https://idp"], any.clone())),
            ("sub", 0.97, one_of_or_any(&["u1"], any.clone())),
            ("selected_roleid", 0.3, one_of_or_any(&["1", "2", "9"], any.clone())),
            ("nhsid_nrbac_roles", 0.7, entries.clone()),
            ("portal_roles", 0.5, names.clone()),
            // Look-alikes of the documented claims, which grant nothing.
            ("roles", 0.2, names.clone()),
            ("portal_role", 0.2, names),
            ("nhsid_nrbac_role", 0.2, entries),
        ]),
        1 => any,
    ]
    .boxed()
}

/// `S<digits>:G<digits>:R<digits>` or `R<digits>` (the documented strict form): the R segment.
fn documented_access_role(code: &str) -> Option<&str> {
    let numbered = |s: &str, letter: char| {
        let mut chars = s.chars();
        chars.next() == Some(letter)
            && !chars.as_str().is_empty()
            && chars.all(|c| c.is_ascii_digit())
    };
    let parts: Vec<&str> = code.split(':').collect();
    let last = *parts.last()?;
    let ok = match parts.len() {
        1 => numbered(last, 'R'),
        3 => numbered(parts[0], 'S') && numbered(parts[1], 'G') && numbered(last, 'R'),
        _ => false,
    };
    ok.then_some(last)
}

/// The grants the roles.rs documentation promises, read from the raw JSON: for each
/// `nhsid_nrbac_roles` entry (only the `selected_roleid` one when there is a selection) whose
/// strict role code's R segment a mapping names at the entry's organisation (or anywhere), that
/// role there; and with no selection, each known role name in the role claim (a string or a
/// list of strings).
fn documented_grants(claims: &Value, config: &IdentityConfig) -> Vec<(Role, Option<String>)> {
    let mut expected = Vec::new();
    let selected = claims.get("selected_roleid").and_then(Value::as_str);
    let entries = claims
        .get("nhsid_nrbac_roles")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    for entry in &entries {
        let person = entry.get("person_roleid").and_then(Value::as_str);
        if selected.is_some() && person != selected {
            continue;
        }
        let Some(code) = entry
            .get("role_code")
            .and_then(Value::as_str)
            .and_then(documented_access_role)
        else {
            continue;
        };
        let org = entry.get("org_code").and_then(Value::as_str);
        for mapping in &config.rbac_roles {
            let at_org = mapping.organisations.is_empty()
                || org.is_some_and(|o| mapping.organisations.iter().any(|m| m == o));
            if mapping.code == code && at_org {
                expected.push((mapping.role, org.map(str::to_owned)));
            }
        }
    }
    if selected.is_none() {
        let named: Vec<&str> = match claims.get(&config.role_claim) {
            Some(Value::String(one)) => vec![one],
            Some(Value::Array(many)) => many.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        };
        for name in named {
            if let Some(role) = Role::ALL.into_iter().find(|r| r.as_str() == name) {
                expected.push((role, None));
            }
        }
    }
    expected.sort();
    expected.dedup();
    expected
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn claims_grant_exactly_the_documented_roles(claims in claims_json()) {
        let config = identity();
        // Claims that do not deserialize are never a verified token's claims; nothing to map.
        let Ok(parsed) = serde_json::from_value::<Claims>(claims.clone()) else {
            return Ok(());
        };
        let granted: Vec<(Role, Option<String>)> = grants(&parsed, &config)
            .into_iter()
            .map(|g| (g.role, g.organisation))
            .collect();
        let mut unique = granted.clone();
        unique.sort();
        unique.dedup();
        prop_assert_eq!(unique.len(), granted.len(), "duplicates: {:?}", granted);
        prop_assert_eq!(unique, documented_grants(&claims, &config), "claims {}", claims);
    }

    #[test]
    fn claims_without_the_documented_shapes_grant_nothing(
        mut claims in json_from(CLAIM_KEYS, CLAIM_LEAVES),
    ) {
        if let Value::Object(map) = &mut claims {
            map.remove("nhsid_nrbac_roles");
            map.remove("portal_roles");
            map.insert("iss".into(), json!("https://idp"));
            map.insert("sub".into(), json!("u1"));
        }
        if let Ok(parsed) = serde_json::from_value::<Claims>(claims.clone()) {
            let granted = grants(&parsed, &identity());
            prop_assert!(granted.is_empty(), "{:?} from {}", granted, claims);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The TOML config loader.

/// Top-level keys; every validation problem names the key to fix, under one of these.
const SECTIONS: &[&str] = &[
    "portal",
    "cache",
    "identity",
    "permissions",
    "consent",
    "audit",
    "child_protection",
    "documents",
    "sources",
];

/// Loads `text` in both modes: it never panics, and an error names the file, then a line or a
/// key (a parse error), or a key for each problem (a valid TOML config that fails validation).
fn assert_loads_or_names_the_fault(text: &str) -> Result<(), TestCaseError> {
    for mode in [Mode::Demo, Mode::Live] {
        let error = match Config::from_toml(text, "fuzz.toml", mode) {
            Ok(_) => continue,
            Err(error) => error,
        };
        let shown = error.to_string();
        prop_assert!(shown.contains("fuzz.toml"), "{}", shown);
        match error {
            ConfigError::Parse { message, .. } => prop_assert!(
                names_a_line_or_key(&message),
                "neither a line nor a key: {}",
                message
            ),
            ConfigError::Invalid { problems, .. } => {
                prop_assert!(!problems.is_empty());
                for problem in problems {
                    prop_assert!(
                        SECTIONS.iter().any(|s| problem.contains(s)),
                        "names no key: {}",
                        problem
                    );
                }
            }
            ConfigError::Read { .. } => prop_assert!(false, "read a file: {}", shown),
        }
    }
    Ok(())
}

/// Values that are not TOML at all.
const BROKEN_VALUES: &[&str] = &[
    "\"\\uD800\"",
    "\"unterminated",
    "[",
    "{",
    "= =",
    "1979-13-45",
    "0o9",
    "--1",
];

/// A TOML error names where it is (`line N, column M`) or the key (`` `name` ``).
fn names_a_line_or_key(message: &str) -> bool {
    message.contains("line ") || message.contains('`')
}

const KEYS: &[&str] = &[
    "addr",
    "site_root",
    "lookup_timeout_ms",
    "public_url",
    "tls",
    "cert_path",
    "key_path",
    "max_request_bytes",
    "max_search_candidates",
    "header_read_timeout_s",
    "idle_timeout_s",
    "max_connections",
    "refresh_interval_s",
    "ttl_s",
    "max_stale_s",
    "session_idle_s",
    "session_max_s",
    "leeway_seconds",
    "max_token_bytes",
    "max_token_lifetime_s",
    "jwks_min_refresh_seconds",
    "role_claim",
    "rbac_roles",
    "sign_in_rate",
    "lookup_rate",
    "per_minute",
    "burst",
    "issuers",
    "id",
    "name",
    "issuer",
    "client_id",
    "client_secret",
    "api_audiences",
    "algorithms",
    "jwks_uri",
    "scopes",
    "code",
    "role",
    "organisations",
    "store",
    "sqlite_path",
    "postgres_url",
    "max_batch",
    "working_hours",
    "emergency_threshold",
    "max_note_chars",
    "purge_every_h",
    "retention_days",
    "basis_lifetime_s",
    "bases",
    "max_reason_chars",
    "reason_min_chars",
    "overrides_dissent",
    "roles",
    "sensitive_bases",
    "sensitive",
    "system",
    "codes",
    "flags",
    "label",
    "outbox_path",
    "retry_initial_s",
    "retry_max_s",
    "deliver_every_ms",
    "notify_roles",
    "max_bytes",
    "kind",
    "base_url",
    "organisation_code",
    "timeout_ms",
    "page_size",
    "max_pages",
    "max_retries",
    "max_concurrent_requests",
    "capability_ttl_s",
    "fetch_mode",
    "holds_objections",
    "resource_types",
    "max_body_bytes",
    "breaker_threshold",
    "breaker_cooldown_s",
    "auth",
    "type",
    "token",
    "token_url",
    "private_key_path",
    "key_id",
    "scope",
    "admin",
    "ae-clinician",
    "identity.issuers",
    "portal.addr",
    "sources",
    "a.b.c",
    "\"quoted key\"",
    "",
];

const VALUES: &[&str] = &[
    "0",
    "1",
    "-1",
    "60",
    "1024",
    "18446744073709551615",
    "18446744073709551616",
    "9223372036854775807",
    "-9223372036854775809",
    "1e400",
    "nan",
    "-inf",
    "1.5",
    "0x10",
    "1_000",
    "true",
    "\"\"",
    "\" \"",
    "\"env:\"",
    "\"env:NOPE\"",
    "\"x\"",
    "\"R8000\"",
    "\"admin\"",
    "\"gp\"",
    "\"auto\"",
    "\"postgres\"",
    "\"sqlite\"",
    "\"bearer\"",
    "\"08:00-07:00\"",
    "\"25:00-26:00\"",
    "\"127.0.0.1:0\"",
    "\"[::1]:99999\"",
    "\"http://127.0.0.1:0/fhir\"",
    "\"https://fhir.example.org/R4\"",
    "\"http://portal.example/path\"",
    "\"ftp://x/y\"",
    "\"not a url\"",
    "\"https://x#frag\"",
    "[]",
    "[\"\"]",
    "[\"HS256\", \"none\"]",
    "[\"Condition\"]",
    "[\"condition\"]",
    "[1, \"a\"]",
    "{}",
    "{ per_minute = 0, burst = 0 }",
    "{ type = \"bearer\", token = \"\" }",
    "{ type = \"smart-backend\" }",
    "1979-05-27",
    "1979-05-27T07:32:00Z",
    "07:32:00",
    "'''\nmulti\n'''",
    "\"\\u0000\"",
];

const LINES: &[&str] = &[
    "[portal]",
    "[cache]",
    "[identity]",
    "[permissions]",
    "[consent]",
    "[audit]",
    "[child_protection]",
    "[documents]",
    "[[sources]]",
    "[sources]",
    "[[identity.issuers]]",
    "[[identity.rbac_roles]]",
    "[[consent.bases]]",
    "[[consent.sensitive]]",
    "[[child_protection.flags]]",
    "[sources.auth]",
    "[portal.tls]",
    "[[portal]]",
    "[]",
    "[[]]",
    "[a.b]",
    "[[sources]]\nid = \"x\"",
    "#",
    "",
    "key = ",
    "= 1",
    "\"",
    "'",
    "\\",
    "\u{feff}",
];

/// One change to the demo config's lines (indices are taken modulo the current length).
#[derive(Debug, Clone)]
enum Mutation {
    Delete(usize),
    Duplicate(usize),
    Swap(usize, usize),
    Truncate(usize),
    ReplaceValue(usize, String),
    ReplaceKey(usize, String),
    Insert(usize, String),
    InsertChar(usize, usize, char),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let value = prop_oneof![
        12 => select(VALUES).prop_map(str::to_owned),
        1 => select(BROKEN_VALUES).prop_map(str::to_owned),
        2 => ".{0,12}".prop_map(|s| toml::Value::String(s).to_string()),
        1 => ".{0,12}",
    ];
    let line = prop_oneof![
        3 => select(LINES).prop_map(str::to_owned),
        3 => (select(KEYS), select(VALUES)).prop_map(|(k, v)| format!("{k} = {v}")),
        1 => ".{0,30}",
    ];
    prop_oneof![
        1 => any::<usize>().prop_map(Mutation::Delete),
        1 => any::<usize>().prop_map(Mutation::Duplicate),
        1 => (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Mutation::Swap(a, b)),
        1 => any::<usize>().prop_map(Mutation::Truncate),
        12 => (any::<usize>(), value).prop_map(|(at, v)| Mutation::ReplaceValue(at, v)),
        2 => (any::<usize>(), select(KEYS)).prop_map(|(at, k)| Mutation::ReplaceKey(at, k.into())),
        2 => (any::<usize>(), line).prop_map(|(at, l)| Mutation::Insert(at, l)),
        1 => (any::<usize>(), any::<usize>(), any::<char>())
            .prop_map(|(at, col, c)| Mutation::InsertChar(at, col, c)),
    ]
}

fn mutate(lines: &mut Vec<String>, mutation: &Mutation) {
    if lines.is_empty() {
        lines.push(String::new());
    }
    let n = lines.len();
    match mutation {
        Mutation::Delete(at) => {
            lines.remove(at % n);
        }
        Mutation::Duplicate(at) => lines.insert(at % n, lines[at % n].clone()),
        Mutation::Swap(a, b) => lines.swap(a % n, b % n),
        Mutation::Truncate(at) => lines.truncate(at % n),
        Mutation::ReplaceValue(at, value) => {
            let line = &mut lines[at % n];
            if let Some(eq) = line.find('=') {
                line.replace_range(eq + 1.., &format!(" {value}"));
            }
        }
        Mutation::ReplaceKey(at, key) => {
            let line = &mut lines[at % n];
            if let Some(eq) = line.find('=') {
                line.replace_range(..eq, &format!("{key} "));
            }
        }
        Mutation::Insert(at, line) => lines.insert(at % (n + 1), line.clone()),
        Mutation::InsertChar(at, col, c) => {
            let line = &mut lines[at % n];
            let boundaries: Vec<usize> = line
                .char_indices()
                .map(|(i, _)| i)
                .chain([line.len()])
                .collect();
            line.insert(boundaries[col % boundaries.len()], *c);
        }
    }
}

const TOKENS: &[&str] = &[
    "[",
    "]",
    "[[",
    "]]",
    "{",
    "}",
    "=",
    ",",
    ".",
    "\"",
    "'",
    "\"\"\"",
    "'''",
    "#",
    "\n",
    " ",
    "\t",
    "\r\n",
    "\\",
    "\\u",
    "+",
    "-",
    "_",
    ":",
    "0",
    "1",
    "e",
    "inf",
    "nan",
    "true",
    "false",
    "1979-05-27",
    "T07:32:00",
    "Z",
];

/// TOML-ish text: a soup of the tokens TOML is made of, names and values from the config.
fn toml_soup() -> impl Strategy<Value = String> {
    let token = prop_oneof![select(TOKENS), select(KEYS), select(VALUES), select(LINES),];
    proptest::collection::vec(token, 0..60).prop_map(|tokens| tokens.concat())
}

#[test]
fn the_demo_config_loads() {
    assert_loads_or_names_the_fault(DEMO_TOML).unwrap();
    Config::from_toml(DEMO_TOML, "fuzz.toml", Mode::Demo).expect("the demo config is valid");
}

/// Deeply nested arrays and inline tables and long dotted keys: refused (the TOML reader
/// limits nesting), never a stack overflow, always naming the line. (A dotted key or table name
/// of 81 or more parts, which `toml` refuses as a bare "recursion limit", is placed by
/// `server::config_syntax`.)
#[test]
fn deep_nesting_is_refused() {
    for depth in [10, 100, 1_000, 10_000, 100_000] {
        for (open, close) in [("[", "]"), ("{a=", "}")] {
            let text = format!("x = {}1{}", open.repeat(depth), close.repeat(depth));
            assert_loads_or_names_the_fault(&text).unwrap();
        }
    }
    for parts in [2, 10, 80, 81, 100, 1_000, 10_000, 100_000] {
        let dotted = format!("{}b", "a.".repeat(parts - 1));
        for text in [
            format!("{dotted} = 1"),
            format!("[{dotted}]"),
            format!("[[{dotted}]]"),
            format!("[sources.{dotted}]"),
        ] {
            assert_loads_or_names_the_fault(&text).unwrap_or_else(|e| panic!("{parts} parts: {e}"));
        }
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn arbitrary_text_is_refused_naming_a_line_or_key(
        text in prop_oneof![any::<String>(), toml_soup()],
    ) {
        assert_loads_or_names_the_fault(&text)?;
    }

    #[test]
    fn a_mutated_demo_config_loads_or_names_the_fault(
        mutations in proptest::collection::vec(mutation(), 1..5),
    ) {
        let mut lines: Vec<String> = DEMO_TOML.lines().map(str::to_owned).collect();
        for m in &mutations {
            mutate(&mut lines, m);
        }
        assert_loads_or_names_the_fault(&lines.join("\n"))?;
    }
}
