//! The client's address behind a reverse proxy, over real HTTP: with the test client's address
//! (127.0.0.1) in `[portal] trusted_proxies`, each address its `X-Forwarded-For` names has its
//! own sign-in allowance and is the one audited; with no proxy trusted, the header changes
//! nothing.

use crate::common;

use app::audit_terms::RefusalKind;
use common::Portal;
use server::audit::{EventKind, Outcome};
use server::http::client_addr::TrustedNetwork;
use server::ratelimit::RateLimit;

/// A portal allowing one sign-in attempt per client address a minute, trusting `proxies`.
async fn portal_trusting(proxies: &[&str]) -> Portal {
    let proxies: Vec<TrustedNetwork> = proxies.iter().map(|p| p.parse().unwrap()).collect();
    common::start_with(
        common::population(),
        |_| Default::default(),
        |config| {
            config.identity.sign_in_rate = RateLimit {
                per_minute: 1,
                burst: 1,
            };
            config.portal.trusted_proxies = proxies;
        },
    )
    .await
}

/// Starts a sign-in with `X-Forwarded-For: forwarded_for` (none when `None`): 303 to the
/// provider, or 429.
async fn sign_in_from(portal: &Portal, forwarded_for: Option<&str>) -> u16 {
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let mut request = http.get(format!("{}/auth/login?issuer=demo&next=/", portal.url));
    if let Some(forwarded_for) = forwarded_for {
        request = request.header("x-forwarded-for", forwarded_for);
    }
    request
        .send()
        .await
        .expect("portal answers")
        .status()
        .as_u16()
}

/// The client address of each rate-limited sign-in audited, oldest first.
async fn rate_limited_sign_ins(portal: &Portal) -> Vec<String> {
    portal
        .audit_events()
        .await
        .into_iter()
        .map(|e| e.event)
        .filter(|e| {
            e.kind == EventKind::SignIn
                && e.outcome == Outcome::Refused
                && e.refusal == Some(RefusalKind::RateLimited)
        })
        .map(|e| e.client)
        .collect()
}

#[tokio::test]
async fn behind_a_trusted_proxy_each_forwarded_client_has_its_own_sign_in_allowance() {
    let portal = portal_trusting(&["127.0.0.1", "10.0.0.0/8"]).await;
    // (X-Forwarded-For, status, why)
    let table = [
        (Some("198.51.100.1"), 303, "the first client's one attempt"),
        (Some("198.51.100.1"), 429, "... is used up"),
        (Some("198.51.100.2"), 303, "another client has its own"),
        (
            Some("192.0.2.66, 198.51.100.1"),
            429,
            "a client writing a made-up address in front of its own gains nothing",
        ),
        (
            Some("198.51.100.1, 10.1.2.3"),
            429,
            "a trusted proxy further out is passed over",
        ),
        (Some("2001:db8::3"), 303, "IPv6 clients too"),
        (None, 303, "the proxy's own address is a client of its own"),
        (
            Some("garbage"),
            429,
            "a malformed header: the proxy's own address",
        ),
    ];
    for (forwarded_for, status, why) in table {
        assert_eq!(
            sign_in_from(&portal, forwarded_for).await,
            status,
            "{forwarded_for:?}: {why}"
        );
    }
    assert_eq!(
        rate_limited_sign_ins(&portal).await,
        ["198.51.100.1", "198.51.100.1", "198.51.100.1", "127.0.0.1"],
        "the audit trail names the forwarded client"
    );
}

#[tokio::test]
async fn with_no_proxy_trusted_the_header_does_not_escape_the_limit() {
    let portal = portal_trusting(&[]).await;
    let statuses = [
        sign_in_from(&portal, Some("198.51.100.1")).await,
        sign_in_from(&portal, Some("198.51.100.2")).await,
        sign_in_from(&portal, None).await,
    ];
    assert_eq!(statuses, [303, 429, 429], "one allowance for the one peer");
    assert_eq!(
        rate_limited_sign_ins(&portal).await,
        ["127.0.0.1", "127.0.0.1"],
        "the audit trail names the peer, whatever the header says"
    );
}
