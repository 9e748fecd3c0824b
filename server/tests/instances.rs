//! Two portal processes on one PostgreSQL database, as behind a load balancer without sticky
//! sessions: a session signed in at one is used at the other, a basis recorded at one opens the
//! record at the other, sign-out at one ends the session at both; child-protection
//! notifications raised at both are each delivered once; and with one process killed under
//! load the other keeps serving, every record either showed has its view event, and the single
//! audit chain verifies.

use crate::common::running::{demo_token, spawn_portal};
use crate::common::{fresh_postgres, set_cookie, showcase, sign_in_callback_at};
use crate::durability::{assert_audited_and_whole, fresh_dir, Load};
use app::model::SourceKind;
use server::audit::postgres::PostgresAudit;
use server::config::Config;
use server::demo::{Faults, Population};
use std::process::Child;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The demo configuration for an instance of a shared deployment: the sources are the ones
/// this test runs (so both instances ask the same sources, and notifications from either reach
/// one place), and audit, sessions and the outbox are in PostgreSQL at `database`.
fn shared_config(config: &Config, database: &str) -> String {
    let text = server::demo_mode::demo_toml_with_sources(&config.sources)
        .replace(
            "sqlite_path = \"target/demo/audit.sqlite\"",
            &format!("store = \"postgres\"\npostgres_url = \"{database}\""),
        )
        .replace(
            "[child_protection]\n",
            "[child_protection]\ndeliver_every_ms = 100\nretry_initial_s = 1\nretry_max_s = 2\nclaim_lease_s = 2\n",
        )
        .replace(
            "[identity]\n",
            "[identity]\nlookup_rate = { per_minute = 1000000, burst = 100000 }\n",
        );
    assert!(!text.contains("127.0.0.1:0/fhir") && text.contains("postgres_url"));
    text
}

/// A browser's session cookie, signed in as `login` through `portal`'s demo identity provider.
async fn sign_in(portal: &str, login: &str) -> String {
    let (_, finished) = sign_in_callback_at(portal, login).await;
    set_cookie(&finished, "scr_session").expect("signed in")
}

/// A server function called at `portal` with the session `cookie`, as the portal's own pages
/// call it; its status and JSON.
async fn call(
    portal: &str,
    cookie: &str,
    path: &str,
    form: &[(&str, &str)],
) -> (u16, serde_json::Value) {
    let response = reqwest::Client::new()
        .post(format!("{portal}{path}"))
        .header("cookie", cookie)
        .header("origin", portal)
        .header("accept", "application/json")
        .form(form)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or_default())
}

fn stop(mut portal: Child) {
    let _ = portal.kill();
    let _ = portal.wait();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_on_one_database_share_sessions_bases_notifications_and_one_audit_chain() {
    let database = fresh_postgres().await;
    let population = Arc::new(Population::new(
        Population::DEFAULT_PATIENTS,
        Population::DEFAULT_SEED,
    ));
    let mut config = Config::demo().unwrap();
    let sources = server::demo_mode::start(&mut config, population.clone(), |_| Faults::default())
        .await
        .unwrap();
    let text = shared_config(&config, &database);
    let dir = fresh_dir("scrv-instances");
    let (a_process, a) = spawn_portal(&text, &dir, "a.toml", "warn", false);
    let (b_process, b) = spawn_portal(&text, &dir, "b.toml", "warn", false);

    // Signed in at A, the same browser is known at B.
    let cookie = sign_in(&a, "ae.clinician").await;
    let (status, me) = call(&b, &cookie, "/sfn/whoami", &[]).await;
    assert_eq!(status, 200);
    assert_eq!(me["viewer"]["role"], "ae-clinician", "{me}");

    // No basis yet, so B asks for one; recorded at A, B opens the record.
    let nhs = population.nhs_numbers().nth(3).unwrap().as_digits();
    let record = [("nhs_number", nhs.as_str()), ("refresh", "false")];
    let (status, asked) = call(&b, &cookie, "/sfn/record", &record).await;
    assert_ne!(status, 200, "no basis recorded yet: {asked}");
    let basis = [
        ("nhs_number", nhs.as_str()),
        ("code", "permission-given"),
        ("reason", ""),
    ];
    let (status, _) = call(&a, &cookie, "/sfn/basis", &basis).await;
    assert_eq!(status, 200);
    let (status, shown) = call(&b, &cookie, "/sfn/record", &record).await;
    assert_eq!(status, 200, "{shown}");
    assert!(shown["entries"].as_array().is_some_and(|e| !e.is_empty()));

    // A child on a protection plan viewed at both instances by three people: three
    // notifications, each delivered exactly once to the social-care source.
    let child = showcase(&population, "child on a child protection plan").as_digits();
    let client = reqwest::Client::new();
    for (portal, user) in [
        (&a, "ae.clinician"),
        (&b, "ooh.clinician"),
        (&b, "call.handler"),
    ] {
        let response = client
            .get(format!("{portal}/api/v1/patients/{child}/record"))
            .bearer_auth(demo_token(portal, &[("user", user)]).await)
            .header("legitimate-basis", "permission-given")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{user}");
    }
    let social_care = sources
        .sources
        .iter()
        .find(|s| s.kind == SourceKind::SocialCare)
        .unwrap();
    let waited = Instant::now();
    while social_care.notifications_received().len() < 3
        && waited.elapsed() < Duration::from_secs(20)
    {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Time for a duplicate to arrive, if either instance were to send one.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(social_care.notifications_received().len(), 3);

    // Signed out at B, the session is over at A too.
    let csrf = me["csrf_token"].as_str().unwrap().to_owned();
    let (status, _) = call(&b, &cookie, "/auth/signout", &[("csrf", &csrf)]).await;
    assert!(status < 400, "sign-out answered {status}");
    let (_, me) = call(&a, &cookie, "/sfn/whoami", &[]).await;
    assert!(me.is_null(), "still signed in at A: {me}");

    // Both under load; A is killed without warning; B goes on serving.
    let (a_load, a_clients) = Load::start(&a).await;
    let (b_load, b_clients) = Load::start(&b).await;
    a_load.until_shown(50).await;
    let mut a_process = a_process;
    a_process.kill().expect("SIGKILL");
    a_process.wait().unwrap();
    let before = b_load.shown.lock().unwrap().len();
    b_load.until_shown(before + 100).await;
    stop(b_process);
    let mut shown = a_load.finish_with(a_clients, 50).await;
    let b_shown = b_load.finish_with(b_clients, before + 100).await;
    assert!(b_shown.len() > before, "B kept serving after A was killed");
    shown.extend(b_shown);

    let store = PostgresAudit::open(&database).await.unwrap();
    let checked = assert_audited_and_whole(&store, &shown, "two writers and a kill").await;
    assert!(checked >= shown.len() as u64);
    store.close().await;
    sources.stop();
}
