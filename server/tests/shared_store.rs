//! The state instances share, on both stores: sessions end at their idle timeout and absolute
//! lifetime, roles are chosen only among the user's own, sign-out ends a session everywhere;
//! recorded bases expire and hold only under their own key; and the PostgreSQL outbox gives
//! each due notification to one instance at a time, even when many claim at once, and again
//! to another once a crashed holder's lease ends.

use crate::common::fresh_postgres;
use app::auth::{Role, Viewer};
use app::consent::{Basis, SessionKey};
use app::nhs_number::NhsNumber;
use server::auth::roles::RoleGrant;
use server::auth::session::{SessionError, SessionStore, StaffUser};
use server::bases::{BasisBook, BasisKey};
use server::notify::outbox::Outbox;
use server::shared_store::SharedStore;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// Both stores: this process alone, and PostgreSQL.
async fn stores() -> Vec<(&'static str, SharedStore)> {
    let url = fresh_postgres().await;
    vec![
        ("alone", SharedStore::Alone),
        ("postgres", SharedStore::connect(&url).await.unwrap()),
    ]
}

const MIN_MS: i64 = 60_000;
const T0: i64 = 1_790_000_000_000;

// One clock per test that moves time (tests run in parallel).
static SESSION_CLOCK: AtomicI64 = AtomicI64::new(T0);
static BASIS_CLOCK: AtomicI64 = AtomicI64::new(T0);

fn user(roles: &[Role]) -> StaffUser {
    StaffUser {
        user_id: "u1".into(),
        name: "Dr Zoë Ó Súilleabháin".into(),
        issuer_id: "demo".into(),
        grants: roles
            .iter()
            .map(|r| RoleGrant {
                role: *r,
                organisation: Some("RX1".into()),
            })
            .collect(),
    }
}

#[tokio::test]
async fn sessions_end_idle_at_their_lifetime_and_at_sign_out_on_both_stores() {
    for (name, shared) in stores().await {
        let min = Duration::from_secs(60);
        let store = SessionStore::new(&shared, 15 * min, 60 * min)
            .with_clock(|| SESSION_CLOCK.load(Ordering::SeqCst));
        let at = |minutes: i64| SESSION_CLOCK.store(T0 + minutes * MIN_MS, Ordering::SeqCst);
        at(0);
        let (id, started) = store.start(user(&[Role::AeClinician])).await.unwrap();
        assert_eq!(id.len(), 64, "{name}");
        // (minutes since start at which the session is used, still live?)
        for (minutes, live) in [(14, true), (28, true), (42, true), (56, true), (60, false)] {
            at(minutes);
            assert_eq!(
                store.touch(&id).await.is_ok(),
                live,
                "{name}: at {minutes} min"
            );
        }
        at(0);
        let (id, _) = store.start(user(&[Role::AeClinician])).await.unwrap();
        at(14);
        let back = store.touch(&id).await.unwrap();
        assert_eq!(back.user, started.user, "{name}: the user comes back whole");
        assert_eq!(back.active, Some(0));
        assert_ne!(back.csrf_token, started.csrf_token, "{name}: each its own");
        at(30);
        assert_eq!(
            store.touch(&id).await,
            Err(SessionError::NoSession),
            "{name}: idle 16 min"
        );
        at(31);
        assert_eq!(
            store.touch(&id).await,
            Err(SessionError::NoSession),
            "{name}: stays ended"
        );

        at(100);
        let (one, s) = store.start(user(&[Role::CallHandler])).await.unwrap();
        assert_eq!(s.active_grant().map(|g| g.role), Some(Role::CallHandler));
        let (two, s) = store
            .start(user(&[Role::AeClinician, Role::UrgentCareClinician]))
            .await
            .unwrap();
        assert_eq!(s.active, None, "{name}: several roles: the person chooses");
        assert_eq!(
            store.choose_role(&two, 2).await,
            Err(SessionError::NoSuchRole)
        );
        let chosen = store.choose_role(&two, 1).await.unwrap();
        assert_eq!(
            chosen.active_grant().map(|g| g.role),
            Some(Role::UrgentCareClinician)
        );
        assert_eq!(
            store.touch(&two).await.unwrap().active,
            Some(1),
            "{name}: the choice is kept"
        );
        assert_eq!(
            store.choose_role("nope", 0).await,
            Err(SessionError::NoSession)
        );
        assert_eq!(store.touch("nope").await, Err(SessionError::NoSession));
        store.end(&one).await.unwrap();
        assert_eq!(
            store.touch(&one).await,
            Err(SessionError::NoSession),
            "{name}"
        );
        assert!(store.touch(&two).await.is_ok(), "{name}: others stay");
    }
}

#[tokio::test]
async fn a_second_instance_sees_the_first_ones_sessions_and_the_database_holds_no_session_id() {
    let url = fresh_postgres().await;
    let (a, b) = (
        SharedStore::connect(&url).await.unwrap(),
        SharedStore::connect(&url).await.unwrap(),
    );
    let hour = Duration::from_secs(3600);
    let (one, two) = (
        SessionStore::new(&a, hour, hour),
        SessionStore::new(&b, hour, hour),
    );
    let (id, _) = one
        .start(user(&[Role::AeClinician, Role::CallHandler]))
        .await
        .unwrap();
    assert_eq!(two.choose_role(&id, 1).await.unwrap().active, Some(1));
    assert_eq!(one.touch(&id).await.unwrap().active, Some(1));
    let pool = sqlx::PgPool::connect(&url).await.unwrap();
    let rows: Vec<(String, String)> = sqlx::query_as("SELECT id_hash, body FROM portal_sessions")
        .fetch_all(&pool)
        .await
        .unwrap();
    assert_eq!(rows.len(), 1);
    assert!(!rows[0].0.contains(&id) && !rows[0].1.contains(&id));
    two.end(&id).await.unwrap();
    assert_eq!(one.touch(&id).await, Err(SessionError::NoSession));
}

fn viewer(role: Role, organisation: &str) -> Viewer {
    Viewer {
        user_id: "u1".into(),
        name: "Dr Test".into(),
        role,
        organisation: Some(organisation.into()),
        other_roles: 0,
        permissions: Vec::new(),
        csrf_token: String::new(),
    }
}

#[tokio::test]
async fn a_basis_holds_for_its_session_role_organisation_and_patient_until_it_expires() {
    let nhs: NhsNumber = "9434765919".parse().unwrap();
    let other_nhs: NhsNumber = "9434765870".parse().unwrap();
    for (name, shared) in stores().await {
        let book = BasisBook::new(&shared, Duration::from_secs(3600))
            .with_clock(|| BASIS_CLOCK.load(Ordering::SeqCst));
        BASIS_CLOCK.store(T0, Ordering::SeqCst);
        let session = SessionKey("s".repeat(64));
        let key = BasisKey::new(&session, &viewer(Role::AeClinician, "RX1"), nhs);
        let basis = Basis::new("direct-care", "chest pain, unconscious");
        book.insert(&key, &basis).await.unwrap();
        assert_eq!(book.get(&key).await.unwrap(), Some(basis.clone()), "{name}");
        // Each part of the key on its own must miss.
        let misses = [
            (
                "another session",
                BasisKey::new(
                    &SessionKey("t".repeat(64)),
                    &viewer(Role::AeClinician, "RX1"),
                    nhs,
                ),
            ),
            (
                "another role",
                BasisKey::new(&session, &viewer(Role::UrgentCareClinician, "RX1"), nhs),
            ),
            (
                "another organisation",
                BasisKey::new(&session, &viewer(Role::AeClinician, "RX2"), nhs),
            ),
            (
                "another patient",
                BasisKey::new(&session, &viewer(Role::AeClinician, "RX1"), other_nhs),
            ),
        ];
        for (why, other) in misses {
            assert_eq!(book.get(&other).await.unwrap(), None, "{name}: {why}");
        }
        book.forget(&key).await.unwrap();
        assert_eq!(book.get(&key).await.unwrap(), None, "{name}: forgotten");
    }
    // Expiry by the clock: only the database reads the book's clock (memory uses its timer).
    let url = fresh_postgres().await;
    let shared = SharedStore::connect(&url).await.unwrap();
    let book = BasisBook::new(&shared, Duration::from_secs(3600))
        .with_clock(|| BASIS_CLOCK.load(Ordering::SeqCst));
    BASIS_CLOCK.store(T0, Ordering::SeqCst);
    let key = BasisKey::new(
        &SessionKey("u".repeat(64)),
        &viewer(Role::AeClinician, "RX1"),
        nhs,
    );
    book.insert(&key, &Basis::new("direct-care", ""))
        .await
        .unwrap();
    BASIS_CLOCK.store(T0 + 59 * MIN_MS, Ordering::SeqCst);
    assert!(book.get(&key).await.unwrap().is_some(), "within the hour");
    BASIS_CLOCK.store(T0 + 60 * MIN_MS, Ordering::SeqCst);
    assert_eq!(book.get(&key).await.unwrap(), None, "expired");
    let pool = sqlx::PgPool::connect(&url).await.unwrap();
    let held: Vec<String> = sqlx::query_scalar("SELECT key_hash FROM portal_bases")
        .fetch_all(&pool)
        .await
        .unwrap();
    assert!(held.iter().all(|k| !k.contains(&nhs.as_digits())));
}

#[tokio::test]
async fn instances_claiming_at_once_each_get_different_notifications_and_a_lapsed_lease_is_taken_again(
) {
    let url = fresh_postgres().await;
    let dir = std::env::temp_dir();
    let mut outboxes = Vec::new();
    for _ in 0..4 {
        let shared = SharedStore::connect(&url).await.unwrap();
        outboxes.push(Arc::new(Outbox::open_in(&shared, &dir).await.unwrap()));
    }
    let now = 1_000_000;
    for n in 0..40 {
        let key = format!("k{n}");
        assert!(outboxes[n % 4]
            .enqueue(&key, "social-care", "Y1", "{}", now)
            .await
            .unwrap());
    }
    assert!(
        !outboxes[1]
            .enqueue("k0", "social-care", "Y1", "{}", now)
            .await
            .unwrap(),
        "the same notification from another instance is not a second one"
    );
    // Four instances claim as fast as they can; each notification goes to exactly one.
    let lease = Duration::from_secs(60);
    let claims = outboxes.iter().map(|outbox| {
        let outbox = outbox.clone();
        tokio::spawn(async move {
            let mut got = Vec::new();
            while let Some(n) = outbox.claim(now, lease).await.unwrap() {
                got.push(n.id);
            }
            got
        })
    });
    let mut all: Vec<i64> = Vec::new();
    for claim in claims {
        all.extend(claim.await.unwrap());
    }
    let total = all.len();
    all.sort();
    all.dedup();
    assert_eq!((total, all.len()), (40, 40), "each claimed once");
    assert_eq!(
        outboxes[2].backlog().await.unwrap(),
        40,
        "claimed is not delivered"
    );
    // Held: nothing is due again within the lease, even for the instance that holds it.
    assert_eq!(outboxes[0].claim(now + 59_999, lease).await.unwrap(), None);
    // One holder finishes; the others "crash" holding theirs.
    outboxes[0].delivered(all[0], now + 10).await.unwrap();
    assert_eq!(outboxes[1].backlog().await.unwrap(), 39);
    let after_lease = now + 60_000;
    let mut again = Vec::new();
    while let Some(n) = outboxes[3].claim(after_lease, lease).await.unwrap() {
        again.push(n.id);
    }
    assert_eq!(
        again.len(),
        39,
        "every lapsed claim is taken again, the delivered one not"
    );
    assert!(!again.contains(&all[0]));
}
