//! Every role against every page, server function and API route, over real HTTP with sessions
//! made by the real sign-in flow (demo identity provider, authorization code + PKCE); plus
//! sign-out, role choice, CSRF and what a call handler's record leaves out.

use crate::common;

use app::model::SourceKind;
use common::Browser;
use futures::StreamExt;
use serde_json::Value;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// What a request must get.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    Ok,
    /// 303 to the sign-in page.
    SignIn,
    /// 303 to the role choice.
    ChooseRole,
    Unauthorised,
    Forbidden,
    NotFound,
}

async fn outcome(response: reqwest::Response) -> Expect {
    let status = response.status().as_u16();
    let location = response
        .headers()
        .get("location")
        .and_then(|l| l.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    match status {
        200 => Expect::Ok,
        303 if location.starts_with("/signin") => Expect::SignIn,
        303 if location.starts_with("/choose-role") => Expect::ChooseRole,
        401 => Expect::Unauthorised,
        403 => Expect::Forbidden,
        404 => Expect::NotFound,
        other => panic!("unexpected {other} (location {location:?})"),
    }
}

#[derive(Debug, Clone, Copy)]
enum Route {
    Page(&'static str),
    ServerFn(&'static str),
    Api(&'static str),
}

const NHS: &str = "{nhs}";

async fn request(browser: &Browser, route: Route, nhs: &str) -> Expect {
    match route {
        Route::Page(path) | Route::Api(path) => {
            outcome(browser.get(&path.replace(NHS, nhs)).await).await
        }
        Route::ServerFn(path) => {
            let form: Vec<(&str, &str)> = match path {
                "/sfn/basis" => vec![
                    ("nhs_number", nhs),
                    ("code", "permission-given"),
                    ("reason", ""),
                ],
                "/sfn/record" => vec![("nhs_number", nhs), ("refresh", "false")],
                "/sfn/timeline" => vec![("nhs_number", nhs), ("params", "page=2")],
                "/sfn/record-in-full" | "/sfn/sources-asked" => vec![("nhs_number", nhs)],
                "/sfn/search" => vec![
                    ("family", "Smith"),
                    ("birth_date", "1970-01-01"),
                    ("given", ""),
                    ("gender", ""),
                    ("postcode", ""),
                ],
                _ => vec![],
            };
            outcome(browser.post(path, &form).await).await
        }
    }
}

/// In order: the basis is recorded before the record is asked for.
const ROUTES: [Route; 18] = [
    Route::Page("/"),
    Route::Page("/record?nhs={nhs}"),
    Route::Page("/search"),
    Route::Page("/choose-role"),
    Route::Page("/signin"),
    Route::Page("/healthz"),
    Route::Page("/no-such-page"),
    Route::ServerFn("/sfn/basis"),
    Route::ServerFn("/sfn/record"),
    Route::ServerFn("/sfn/search"),
    Route::ServerFn("/sfn/demo-patients"),
    Route::ServerFn("/sfn/whoami"),
    Route::Api("/api/v1/patients/{nhs}/record"),
    Route::Api("/api/v1/patients?family=Smith&birthdate=1970-01-01"),
    Route::Api("/api/openapi.json"),
    Route::ServerFn("/sfn/timeline"),
    Route::ServerFn("/sfn/record-in-full"),
    Route::ServerFn("/sfn/sources-asked"),
];

#[tokio::test]
async fn every_role_against_every_route() {
    use Expect::*;
    let portal = common::start().await;
    let nhs = common::patient_known_at(&portal.demo.population, &[SourceKind::Gp]).as_digits();
    // Columns follow ROUTES: /, /record, /search, /choose-role, /signin, /healthz, unknown page,
    // sfn basis, sfn record, sfn search, sfn demo-patients, sfn whoami, API record, API search,
    // OpenAPI, sfn timeline, sfn record-in-full, sfn sources-asked. (The record routes find
    // the basis the session recorded first.)
    let finds = [
        Ok, Ok, Ok, Ok, Ok, Ok, NotFound, Ok, Ok, Ok, Ok, Ok, Ok, Ok, Ok, Ok, Ok, Ok,
    ];
    let no_records = [
        Ok, Forbidden, Forbidden, Ok, Ok, Ok, NotFound, Forbidden, Forbidden, Forbidden, Forbidden,
        Ok, Forbidden, Forbidden, Ok, Forbidden, Forbidden, Forbidden,
    ];
    let table: [(Option<&str>, [Expect; 18]); 7] = [
        (
            None,
            [
                SignIn,
                SignIn,
                SignIn,
                SignIn,
                Ok,
                Ok,
                SignIn,
                Unauthorised,
                Unauthorised,
                Unauthorised,
                Unauthorised,
                Ok,
                Unauthorised,
                Unauthorised,
                Ok,
                Unauthorised,
                Unauthorised,
                Unauthorised,
            ],
        ),
        (Some("ae.clinician"), finds),
        (Some("ooh.clinician"), finds),
        (Some("call.handler"), finds),
        (Some("privacy.officer"), no_records),
        (Some("ops.admin"), no_records),
        (
            // Two roles and none chosen yet.
            Some("locum.doctor"),
            [
                ChooseRole, ChooseRole, ChooseRole, Ok, Ok, Ok, ChooseRole, Forbidden, Forbidden,
                Forbidden, Forbidden, Ok, Forbidden, Forbidden, Ok, Forbidden, Forbidden,
                Forbidden,
            ],
        ),
    ];
    for (login, expected) in table {
        let browser = match login {
            Some(login) => portal.sign_in(login).await,
            None => portal.browser(),
        };
        for (route, expect) in ROUTES.iter().zip(expected) {
            let got = request(&browser, *route, &nhs).await;
            assert_eq!(got, expect, "{login:?} at {route:?}");
        }
    }
}

#[tokio::test]
async fn every_role_against_the_api_with_bearer_tokens() {
    let portal = common::start().await;
    let nhs = common::patient_known_at(&portal.demo.population, &[SourceKind::Gp]).as_digits();
    // (user, record and search allowed)
    let table = [
        ("ae.clinician", true),
        ("ooh.clinician", true),
        ("call.handler", true),
        ("privacy.officer", false),
        ("ops.admin", false),
    ];
    for (login, allowed) in table {
        let client = portal.client_for(login).await;
        for path in [
            format!("/api/v1/patients/{nhs}/record"),
            "/api/v1/patients?family=Smith&birthdate=1970-01-01".to_owned(),
        ] {
            let status = client
                .get(format!("{}{path}", portal.url))
                .send()
                .await
                .unwrap()
                .status();
            assert_eq!(status, if allowed { 200 } else { 403 }, "{login} {path}");
        }
        // An address under /api/ that no route declares is refused to every role (deny by
        // default), not passed on to whoever has a role.
        for path in [
            "/api/v2/anything",
            "/api/v1/patients-but-not-quite",
            "/api/",
        ] {
            let status = client
                .get(format!("{}{path}", portal.url))
                .send()
                .await
                .unwrap()
                .status();
            assert_eq!(status, 403, "{login} {path}");
        }
    }
    // A locum's token carries two roles: refused until one is selected.
    let two_roles = portal.token_for("locum.doctor").await;
    let selected = portal
        .token_with(&[("user", "locum.doctor"), ("role", "555000000107")])
        .await;
    for (token, status) in [(two_roles, 403), (selected, 200)] {
        let response = reqwest::Client::new()
            .get(format!("{}/api/v1/patients/{nhs}/record", portal.url))
            .bearer_auth(token)
            .header("legitimate-basis", "permission-given")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), status);
    }
}

#[tokio::test]
async fn choosing_a_role_then_signing_out() {
    let portal = common::start().await;
    let mut browser = portal.sign_in("locum.doctor").await;
    let who = browser.whoami().await;
    assert_eq!(who["viewer"], Value::Null, "no role yet");
    assert_eq!(who["choices"].as_array().unwrap().len(), 2);
    let csrf = who["csrf_token"].as_str().unwrap().to_owned();

    // A forged form (wrong token) and a cross-site post are both refused.
    let response = browser
        .post(
            "/auth/role",
            &[("role", "1"), ("csrf", "forged"), ("next", "/")],
        )
        .await;
    assert_eq!(response.status(), 403);
    let response = browser
        .post_from(
            "/auth/role",
            &[("role", "1"), ("csrf", &csrf)],
            Some("https://evil.example"),
        )
        .await;
    assert_eq!(response.status(), 403);
    let response = browser
        .post_from("/auth/role", &[("role", "1"), ("csrf", &csrf)], None)
        .await;
    assert_eq!(
        response.status(),
        403,
        "no Origin and no Sec-Fetch-Site: refused"
    );
    let response = browser
        .post("/auth/role", &[("role", "7"), ("csrf", &csrf)])
        .await;
    assert_eq!(response.status(), 400, "not one of the session's roles");
    assert_eq!(browser.whoami().await["viewer"], Value::Null);

    let response = browser
        .post(
            "/auth/role",
            &[("role", "1"), ("csrf", &csrf), ("next", "/search")],
        )
        .await;
    assert_eq!(response.status(), 303);
    assert_eq!(response.headers()["location"], "/search");
    let who = browser.whoami().await;
    assert_eq!(who["viewer"]["role"], "urgent-care-clinician");
    assert_eq!(who["viewer"]["organisation"], "Y0111");
    assert_eq!(browser.get("/search").await.status(), 200);

    // Signing out ends the session on the server: the old cookie is worthless.
    let old = browser.session.clone();
    let response = browser.post("/auth/signout", &[("csrf", &csrf)]).await;
    assert_eq!(response.status(), 303);
    assert!(common::set_cookie(&response, "scr_session").is_some_and(|c| c == "scr_session="));
    browser.session = old;
    assert_eq!(outcome(browser.get("/search").await).await, Expect::SignIn);
    assert_eq!(browser.whoami().await, Value::Null);
}

#[tokio::test]
async fn sign_in_refusals() {
    let portal = common::start().await;
    let browser = portal.browser();

    // A user with no portal role gets no session.
    let response = browser.get("/auth/login?issuer=demo&next=/").await;
    let login_cookie = common::set_cookie(&response, "scr_login").unwrap();
    let authorize = url::Url::parse(response.headers()["location"].to_str().unwrap()).unwrap();
    let mut form: Vec<(String, String)> = authorize.query_pairs().into_owned().collect();
    form.push(("login".into(), "no.role".into()));
    let response = browser
        .http
        .post(format!("{}/demo-idp/authorize", portal.url))
        .form(&form)
        .send()
        .await
        .unwrap();
    let callback = response.headers()["location"].to_str().unwrap().to_owned();
    let response = browser
        .http
        .get(&callback)
        .header("cookie", &login_cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
    assert!(common::set_cookie(&response, "scr_session").is_none());
    assert!(response
        .text()
        .await
        .unwrap()
        .contains("no role in this portal"));

    // The same code again, a callback from another browser (no login cookie), a made-up state.
    let replay = browser
        .http
        .get(&callback)
        .header("cookie", &login_cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(replay.status(), 401, "a sign-in is finished once");
    let response = browser.get("/auth/login?issuer=demo&next=/").await;
    let authorize = url::Url::parse(response.headers()["location"].to_str().unwrap()).unwrap();
    let mut form: Vec<(String, String)> = authorize.query_pairs().into_owned().collect();
    form.push(("login".into(), "ae.clinician".into()));
    let response = browser
        .http
        .post(format!("{}/demo-idp/authorize", portal.url))
        .form(&form)
        .send()
        .await
        .unwrap();
    let callback = response.headers()["location"].to_str().unwrap().to_owned();
    let no_cookie = browser.http.get(&callback).send().await.unwrap();
    assert_eq!(
        no_cookie.status(),
        401,
        "login CSRF: the callback must come to the browser that started it"
    );
    let made_up = browser.get("/auth/callback?code=abc&state=def").await;
    assert_eq!(made_up.status(), 401);
    let unknown_issuer = browser.get("/auth/login?issuer=elsewhere").await;
    assert_eq!(unknown_issuer.status(), 400);
    let open_redirect = browser
        .get("/auth/login?issuer=demo&next=https://evil.example/")
        .await;
    assert_eq!(open_redirect.status(), 303);
    assert!(
        portal.source_requests() == 0,
        "no source asked during sign-in"
    );

    // Each refused sign-in is audited by its rule: the account with no role as a refusal by
    // role, the replayed, cookieless and made-up callbacks as sign-ins refused.
    let refused: Vec<_> = portal
        .audit_events()
        .await
        .into_iter()
        .filter(|e| e.event.kind == server::audit::EventKind::SignIn)
        .filter_map(|e| e.event.refusal)
        .collect();
    use app::audit_terms::RefusalKind::{Role, SignInRefused};
    assert_eq!(refused, [Role, SignInRefused, SignInRefused, SignInRefused]);
}

/// Starts a sign-in as `login` at the demo provider: the login cookie and the callback URL.
async fn started_sign_in(
    portal: &common::Portal,
    browser: &Browser,
    login: &str,
) -> (String, String) {
    let response = browser.get("/auth/login?issuer=demo&next=/").await;
    assert_eq!(response.status(), 303);
    let login_cookie = common::set_cookie(&response, "scr_login").unwrap();
    let authorize = url::Url::parse(response.headers()["location"].to_str().unwrap()).unwrap();
    let mut form: Vec<(String, String)> = authorize.query_pairs().into_owned().collect();
    form.push(("login".into(), login.into()));
    let response = browser
        .http
        .post(format!("{}/demo-idp/authorize", portal.url))
        .form(&form)
        .send()
        .await
        .unwrap();
    let callback = response.headers()["location"].to_str().unwrap().to_owned();
    (login_cookie, callback)
}

#[tokio::test]
async fn login_cookies_that_were_tampered_with_or_belong_to_another_sign_in_are_refused() {
    let portal = common::start().await;
    let browser = portal.browser();
    let (cookie_a, callback_a) = started_sign_in(&portal, &browser, "ae.clinician").await;
    let (cookie_b, callback_b) = started_sign_in(&portal, &browser, "ae.clinician").await;
    let value = cookie_a.strip_prefix("scr_login=").unwrap();
    assert!(
        !callback_a.contains(value),
        "the cookie is sealed, not the bare state"
    );
    let mut tampered = value.as_bytes().to_vec();
    let middle = tampered.len() / 2;
    tampered[middle] = if tampered[middle] == b'A' { b'B' } else { b'A' };
    let tampered = format!("scr_login={}", String::from_utf8(tampered).unwrap());
    for (name, cookie, callback) in [
        ("tampered", tampered.as_str(), &callback_a),
        ("another sign-in's cookie", cookie_b.as_str(), &callback_a),
        ("another sign-in's cookie", cookie_a.as_str(), &callback_b),
        (
            "a bare state",
            &format!(
                "scr_login={}",
                url::Url::parse(&callback_a)
                    .unwrap()
                    .query_pairs()
                    .find(|(k, _)| k == "state")
                    .unwrap()
                    .1
            ),
            &callback_a,
        ),
    ] {
        let response = browser
            .http
            .get(callback)
            .header("cookie", cookie)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 401, "{name}");
        assert!(
            common::set_cookie(&response, "scr_session").is_none(),
            "{name}"
        );
        assert_eq!(
            common::set_cookie(&response, "scr_login").as_deref(),
            Some("scr_login="),
            "{name}: a refused callback clears the login cookie"
        );
    }
    // The untouched cookies still finish their own sign-ins.
    for (cookie, callback) in [(&cookie_a, &callback_a), (&cookie_b, &callback_b)] {
        let response = browser
            .http
            .get(callback)
            .header("cookie", cookie)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        assert!(common::set_cookie(&response, "scr_session").is_some());
    }
}

#[tokio::test]
async fn many_pending_sign_ins_from_many_addresses_do_not_lock_anyone_out() {
    // The default per-address limit (burst 10); 1,001 addresses each start 10 sign-ins and
    // never finish them: more than the 10,000 pending sign-ins the server once held.
    let portal = common::start().await;
    let addresses: Vec<std::net::IpAddr> = (0..1001u32)
        .map(|i| std::net::Ipv4Addr::from(0x7f01_0000 + i).into())
        .collect();
    let started = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let url = portal.url.clone();
    futures::stream::iter(addresses)
        .for_each_concurrent(32, |address| {
            let started = started.clone();
            let url = url.clone();
            async move {
                let client = reqwest::Client::builder()
                    .local_address(address)
                    .redirect(reqwest::redirect::Policy::none())
                    .build()
                    .unwrap();
                for _ in 0..10 {
                    let response = client
                        .get(format!("{url}/auth/login?issuer=demo&next=/"))
                        .send()
                        .await
                        .unwrap();
                    assert_eq!(response.status(), 303, "from {address}");
                    started.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                }
            }
        })
        .await;
    assert_eq!(started.load(std::sync::atomic::Ordering::Relaxed), 10_010);
    let browser = portal.sign_in("ooh.clinician").await;
    assert_eq!(browser.whoami().await["name"], "Dr Tom Reid");
}

#[tokio::test]
async fn a_call_handler_sees_only_the_limited_summary() {
    let portal = common::start().await;
    let nhs = common::showcase(
        &portal.demo.population,
        "known at all four sources, long history",
    )
    .as_digits();
    let clinician = common::get_json(
        &portal.client_for("ae.clinician").await,
        format!("{}/api/v1/patients/{nhs}/record", portal.url),
    )
    .await;
    let handler = common::get_json(
        &portal.client_for("call.handler").await,
        format!("{}/api/v1/patients/{nhs}/record", portal.url),
    )
    .await;
    assert_eq!(clinician["summary_only"], false);
    assert_eq!(handler["summary_only"], true);
    let categories = |record: &Value| -> Vec<(String, Option<String>)> {
        common::entries(record)
            .iter()
            .map(|e| {
                (
                    e["category"].as_str().unwrap().to_owned(),
                    e["status"].as_str().map(str::to_owned),
                )
            })
            .collect()
    };
    let shown = categories(&handler);
    assert!(!shown.is_empty(), "the summary is not empty");
    for (category, status) in &shown {
        let summary = matches!(category.as_str(), "allergy" | "alert" | "care-plan")
            || (category == "medication"
                && matches!(status.as_deref(), Some("active" | "on-hold" | "intended")));
        assert!(summary, "a call handler was shown {category} ({status:?})");
    }
    assert!(
        categories(&clinician).len() > shown.len(),
        "the clinician sees more than the summary"
    );
    assert_eq!(handler["demographics"], clinician["demographics"]);
}

/// Reads from `stream` until the portal closes it; how long after `since` that happened.
async fn closed_after(stream: &mut tokio::net::TcpStream, since: Instant) -> Duration {
    let mut buffer = Vec::new();
    // EOF or a reset: either way the portal let go.
    let _ = tokio::time::timeout(Duration::from_secs(15), stream.read_to_end(&mut buffer))
        .await
        .expect("the portal closes the connection");
    since.elapsed()
}

/// A portal whose connection limits are short, for the tests below.
async fn portal_with_short_timeouts(max_connections: usize) -> common::Portal {
    common::start_with(
        common::population(),
        |_| Default::default(),
        move |c| {
            c.portal.header_read_timeout_s = 1;
            c.portal.idle_timeout_s = 2;
            c.portal.lookup_timeout_ms = 1_500;
            c.portal.max_connections = max_connections;
        },
    )
    .await
}

#[tokio::test]
async fn stalled_and_silent_connections_are_closed_and_others_are_served() {
    let portal = portal_with_short_timeouts(512).await;
    let addr = portal.url.trim_start_matches("http://").to_owned();
    let started = Instant::now();
    let mut stalled = tokio::net::TcpStream::connect(&addr).await.unwrap();
    stalled.write_all(b"GET /healthz HT").await.unwrap();
    let mut silent = tokio::net::TcpStream::connect(&addr).await.unwrap();

    // Meanwhile ordinary requests are answered, twice on one kept-alive connection.
    let client = reqwest::Client::new();
    for _ in 0..2 {
        let response = client
            .get(format!("{}/healthz", portal.url))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
    }
    let nhs = common::patient_known_at(&portal.demo.population, &[SourceKind::Gp]).as_digits();
    assert_eq!(portal.record_json(&nhs).await.0, 200);

    let stalled_for = closed_after(&mut stalled, started).await;
    assert!(
        (Duration::from_millis(900)..Duration::from_secs(5)).contains(&stalled_for),
        "half a request line: closed after the 1 s header timeout, not {stalled_for:?}"
    );
    let silent_for = closed_after(&mut silent, started).await;
    assert!(
        (Duration::from_millis(1900)..Duration::from_secs(6)).contains(&silent_for),
        "not a byte: closed after the 2 s idle timeout, not {silent_for:?}"
    );
    let response = client
        .get(format!("{}/healthz", portal.url))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "still serving");
}

#[tokio::test]
async fn past_the_connection_limit_new_connections_wait_for_a_free_place() {
    let portal = portal_with_short_timeouts(2).await;
    let addr = portal.url.trim_start_matches("http://").to_owned();
    // Let the fixture's own connections close first.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let started = Instant::now();
    let _silent: Vec<tokio::net::TcpStream> = vec![
        tokio::net::TcpStream::connect(&addr).await.unwrap(),
        tokio::net::TcpStream::connect(&addr).await.unwrap(),
    ];
    let response = reqwest::Client::new()
        .get(format!("{}/healthz", portal.url))
        .timeout(Duration::from_secs(10))
        .send()
        .await
        .expect("answered once a place is free");
    assert_eq!(response.status(), 200);
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_millis(1500),
        "the third connection waited for the idle ones to be closed, not {waited:?}"
    );
}

#[tokio::test]
async fn pages_carry_security_headers() {
    let portal = common::start().await;
    let browser = portal.sign_in("ae.clinician").await;
    let page = browser.get("/").await;
    assert_eq!(page.status(), 200);
    let headers = page.headers().clone();
    let csp = headers["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    assert!(csp.contains("script-src 'self' 'nonce-"), "{csp}");
    assert!(!csp.contains("unsafe-inline"), "{csp}");
    let nonce = csp
        .split("'nonce-")
        .nth(1)
        .and_then(|rest| rest.split('\'').next())
        .unwrap()
        .to_owned();
    let html = page.text().await.unwrap();
    assert!(
        html.contains(&format!("nonce=\"{nonce}\"")),
        "the hydration script carries the nonce"
    );
    assert_eq!(headers["cache-control"], "no-store");
    assert_eq!(headers["referrer-policy"], "same-origin");
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert!(
        headers.get("strict-transport-security").is_none(),
        "no HSTS without TLS"
    );

    let api = portal.get("/api/openapi.json").await;
    let csp = api.headers()["content-security-policy"].to_str().unwrap();
    assert!(csp.starts_with("default-src 'none'"), "{csp}");

    let too_big = "x".repeat(100 * 1024);
    let response = browser.post("/sfn/whoami", &[("padding", &too_big)]).await;
    assert_eq!(response.status(), 413, "request bodies are limited");
}

#[tokio::test]
async fn lookups_and_sign_ins_are_rate_limited() {
    let portal = common::start_with(
        common::population(),
        |_| Default::default(),
        |c| {
            c.identity.lookup_rate = server::ratelimit::RateLimit {
                per_minute: 1,
                burst: 2,
            };
            c.identity.sign_in_rate = server::ratelimit::RateLimit {
                per_minute: 1,
                burst: 2,
            };
        },
    )
    .await;
    let nhs = common::patient_known_at(&portal.demo.population, &[SourceKind::Gp]).as_digits();
    let path = format!("/api/v1/patients/{nhs}/record");
    let clinician = portal.client_for("ae.clinician").await;
    let statuses = {
        let mut statuses = Vec::new();
        for _ in 0..3 {
            let response = clinician
                .get(format!("{}{path}", portal.url))
                .send()
                .await
                .unwrap();
            if response.status() == 429 {
                let retry: u64 = response.headers()["retry-after"]
                    .to_str()
                    .unwrap()
                    .parse()
                    .unwrap();
                assert!((1..=60).contains(&retry), "{retry}");
            }
            statuses.push(response.status().as_u16());
        }
        statuses
    };
    assert_eq!(statuses, [200, 200, 429]);
    let other = portal.client_for("ooh.clinician").await;
    let response = other
        .get(format!("{}{path}", portal.url))
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.status(),
        200,
        "another user has their own allowance"
    );

    // The fixture's own sign-ins do not go through /auth/login, so the address has 2 left.
    let browser = portal.browser();
    let mut statuses = Vec::new();
    for _ in 0..3 {
        statuses.push(
            browser
                .get("/auth/login?issuer=demo")
                .await
                .status()
                .as_u16(),
        );
    }
    assert_eq!(statuses, [303, 303, 429]);
}

/// A reply to a request sent byte for byte as written (no client resolves `..` or `%2e`).
struct RawReply {
    status: u16,
    location: String,
    cache_control: String,
}

async fn raw_get(base: &str, path: &str, cookie: Option<&str>) -> RawReply {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let host = base.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(host).await.unwrap();
    let cookie = cookie
        .map(|c| format!("Cookie: {c}\r\n"))
        .unwrap_or_default();
    let request =
        format!("GET {path} HTTP/1.1\r\nHost: {host}\r\n{cookie}Connection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut reply = Vec::new();
    stream.read_to_end(&mut reply).await.unwrap();
    let text = String::from_utf8_lossy(&reply);
    let head = text.split("\r\n\r\n").next().unwrap_or_default();
    let header = |name: &str| {
        head.lines()
            .filter_map(|line| line.split_once(':'))
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.trim().to_owned())
            .unwrap_or_default()
    };
    RawReply {
        status: head
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0),
        location: header("location"),
        cache_control: header("cache-control"),
    }
}

/// What a path written another way must get.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Seen {
    /// Passed the guard (the page, or the pages' not-found).
    Passed,
    SignIn,
    Forbidden,
    /// 400: a path with `.` or `..` segments is refused before the route table.
    Refused,
}

fn seen(reply: &RawReply) -> Seen {
    match reply.status {
        200 | 404 => Seen::Passed,
        303 if reply.location.starts_with("/signin") => Seen::SignIn,
        403 => Seen::Forbidden,
        400 => Seen::Refused,
        other => panic!("unexpected {other} (location {:?})", reply.location),
    }
}

#[tokio::test]
async fn paths_written_another_way_meet_the_same_rule() {
    use Seen::*;
    let portal = common::start().await;
    let logins = [
        None,
        Some("ae.clinician"),
        Some("call.handler"),
        Some("privacy.officer"),
        Some("ops.admin"),
    ];
    let mut cookies = Vec::new();
    for login in logins {
        cookies.push(match login {
            Some(login) => portal.sign_in(login).await.session,
            None => None,
        });
    }
    // Columns follow `logins`: anonymous, clinician, call handler, audit officer, admin.
    let audit = [SignIn, Forbidden, Forbidden, Passed, Forbidden];
    let admin = [SignIn, Forbidden, Forbidden, Forbidden, Passed];
    let record = [SignIn, Passed, Passed, Forbidden, Forbidden];
    let refused = [Refused; 5];
    let table: [(&str, [Seen; 5]); 16] = [
        ("/audit", audit),
        ("/audit/", audit),
        ("//audit", audit),
        ("/audit//", audit),
        ("/%61udit", audit),
        ("/audit/reports/", audit),
        ("/admin/", admin),
        ("//admin", admin),
        ("/record/", record),
        ("/demo-idp/../audit", refused),
        ("/demo-idp/%2e%2e/audit", refused),
        ("/demo-idp/%2E%2E/admin", refused),
        ("/demo-idp/..%2Faudit", refused),
        ("/record/./", refused),
        ("/search/../audit", refused),
        ("/pkg/../audit", refused),
    ];
    for (path, expected) in table {
        for ((login, cookie), expect) in logins.iter().zip(&cookies).zip(expected) {
            let reply = raw_get(&portal.url, path, cookie.as_deref()).await;
            assert_eq!(seen(&reply), expect, "{login:?} at {path}");
        }
    }
}

#[tokio::test]
async fn nothing_is_left_to_the_demo_identity_provider_when_it_is_off() {
    let mut config = server::Config::demo().unwrap();
    for issuer in &mut config.identity.issuers {
        issuer.issuer = "https://login.example.org".into();
    }
    let dir = std::env::temp_dir().join(format!("scrv-test-{}", std::process::id()));
    config.audit.sqlite_path = dir.join("access-no-demo-idp.sqlite");
    config.child_protection.outbox_path = dir.join("access-no-demo-idp.outbox.sqlite");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(server::run(config, listener, async move {
        let _ = stopped.await;
    }));
    // (path, status, redirected to sign-in)
    let table = [
        ("/demo-idp/jwks", 303, true),
        ("/demo-idp/.well-known/openid-configuration", 303, true),
        ("/demo-idp/authorize", 303, true),
        ("/demo-idp/", 303, true),
        ("/demo-idp/../audit", 400, false),
        ("/demo-idp/%2e%2e/admin", 400, false),
    ];
    for (path, status, to_sign_in) in table {
        let mut reply = raw_get(&url, path, None).await;
        for _ in 0..50 {
            if reply.status != 0 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            reply = raw_get(&url, path, None).await;
        }
        assert_eq!(reply.status, status, "{path}");
        assert_eq!(reply.location.starts_with("/signin"), to_sign_in, "{path}");
    }
    let _ = stop.send(());
}

#[tokio::test]
async fn refusals_redirects_and_rejected_bodies_are_never_cached() {
    let portal = common::start_with(
        common::population(),
        |_| Default::default(),
        |c| {
            c.identity.lookup_rate = server::ratelimit::RateLimit {
                per_minute: 1,
                burst: 1,
            };
        },
    )
    .await;
    let nhs = common::patient_known_at(&portal.demo.population, &[SourceKind::Gp]).as_digits();
    let anonymous = portal.browser();
    let clinician = portal.sign_in("ae.clinician").await;
    let officer = portal.client_for("privacy.officer").await;
    let record = format!("{}/api/v1/patients/{nhs}/record", portal.url);
    // The first lookup uses the one allowed; the second is refused with 429.
    assert_eq!(portal.http.get(&record).send().await.unwrap().status(), 200);
    let too_big = "x".repeat(100 * 1024);
    let cache_control = |response: reqwest::Response| {
        let value = response
            .headers()
            .get("cache-control")
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default();
        (response.status().as_u16(), value)
    };
    let raw = |reply: RawReply| (reply.status, reply.cache_control);
    // (what, status and Cache-Control, status expected)
    let table: Vec<(&str, (u16, String), u16)> = vec![
        (
            "anonymous page: to sign-in",
            cache_control(anonymous.get("/search").await),
            303,
        ),
        (
            "anonymous API call",
            cache_control(
                anonymous
                    .get(&format!("/api/v1/patients/{nhs}/record"))
                    .await,
            ),
            401,
        ),
        (
            "page refused to the role",
            cache_control(clinician.get("/audit").await),
            403,
        ),
        (
            "server function refused to the role",
            cache_control(clinician.post("/sfn/audit-reviews", &[]).await),
            403,
        ),
        (
            "API refused to the role",
            cache_control(officer.get(&record).send().await.unwrap()),
            403,
        ),
        (
            "rate limited",
            cache_control(portal.http.get(&record).send().await.unwrap()),
            429,
        ),
        (
            "body too large",
            cache_control(
                clinician
                    .post("/sfn/whoami", &[("padding", &too_big)])
                    .await,
            ),
            413,
        ),
        (
            "sign-in redirect",
            cache_control(anonymous.get("/auth/login?issuer=demo&next=/").await),
            303,
        ),
        (
            "path refused",
            raw(raw_get(&portal.url, "/demo-idp/%2e%2e/audit", None).await),
            400,
        ),
    ];
    for (what, (status, cache_control), expected) in table {
        assert_eq!(status, expected, "{what}");
        assert_eq!(cache_control, "no-store", "{what}");
    }
    // The static bundle stays cacheable (revalidated), refusals or not.
    let asset = raw_get(&portal.url, "/pkg/no-such-file.js", None).await;
    assert_eq!(asset.cache_control, "no-cache");
}

#[tokio::test]
async fn a_broken_store_is_not_described_to_callers() {
    let portal = common::start().await;
    let officer = portal.sign_in("privacy.officer").await;
    let admin = portal.sign_in("ops.admin").await;
    let export = portal.client_for("privacy.officer").await;
    assert_eq!(officer.post("/sfn/audit-reviews", &[]).await.status(), 200);
    assert_eq!(
        admin.post("/sfn/ops-notifications", &[]).await.status(),
        200
    );
    // Break both stores under the running portal, as a failed migration or disk would.
    for (path, table) in [
        (portal.audit_path.clone(), "audit_events"),
        (
            portal.audit_path.with_extension("outbox.sqlite"),
            "notifications",
        ),
    ] {
        let options = sqlx::sqlite::SqliteConnectOptions::new().filename(&path);
        let pool = sqlx::SqlitePool::connect_with(options).await.unwrap();
        sqlx::query(&format!("ALTER TABLE {table} RENAME TO {table}_gone"))
            .execute(&pool)
            .await
            .unwrap();
        pool.close().await;
    }
    // (who, response)
    let table: Vec<(&str, reqwest::Response)> = vec![
        (
            "audit reviews",
            officer.post("/sfn/audit-reviews", &[]).await,
        ),
        ("chain check", officer.post("/sfn/audit-verify", &[]).await),
        (
            "audit export",
            export
                .get(format!("{}/api/v1/audit/events", portal.url))
                .send()
                .await
                .unwrap(),
        ),
        (
            "notification status",
            admin.post("/sfn/ops-notifications", &[]).await,
        ),
    ];
    for (what, response) in table {
        let status = response.status().as_u16();
        let body = response.text().await.unwrap();
        assert_eq!(status, 503, "{what}: {body}");
        let lower = body.to_lowercase();
        for internal in [
            "no such table",
            "sqlite",
            "sqlx",
            "audit_events",
            "notifications",
        ] {
            assert!(
                !lower.contains(internal),
                "{what} says {internal:?}: {body}"
            );
        }
        // A server function sends the failure's kind; the page shows it in these words.
        let shown = serde_json::from_str::<app::api::LookupError>(&body)
            .map(|e| e.to_string())
            .unwrap_or(body.clone());
        assert!(shown.contains("try again"), "{what}: {shown}");
    }
}
