//! A light page over real HTTP: brotli and gzip on pages, server-function JSON and the JSON API;
//! streamed pages still arriving chunk by chunk when compressed; content-hashed bundle files
//! cached for a year and sent precompressed; everything else revalidated; patient data still
//! `no-store`.

use crate::common;

use app::model::SourceKind;
use common::{patient_known_at, population, start, start_with};
use server::demo::Faults;
use std::io::Write;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// Decodes a whole body sent with `encoding`.
fn decode(encoding: &str, body: &[u8]) -> String {
    let mut decoder = Decoder::new(encoding);
    decoder.push(body);
    decoder.text()
}

/// An incremental decoder: feed it bytes as they arrive, read what they decode to so far.
enum Decoder {
    Br(Box<brotli_decompressor::DecompressorWriter<Vec<u8>>>),
    Gzip(Box<flate2::write::GzDecoder<Vec<u8>>>),
}

impl Decoder {
    fn new(encoding: &str) -> Self {
        match encoding {
            "br" => Self::Br(Box::new(brotli_decompressor::DecompressorWriter::new(
                Vec::new(),
                4096,
            ))),
            "gzip" => Self::Gzip(Box::new(flate2::write::GzDecoder::new(Vec::new()))),
            other => panic!("unexpected encoding {other}"),
        }
    }

    fn push(&mut self, bytes: &[u8]) {
        match self {
            Self::Br(d) => {
                d.write_all(bytes).expect("valid brotli");
                d.flush().expect("valid brotli");
            }
            Self::Gzip(d) => {
                d.write_all(bytes).expect("valid gzip");
                d.flush().expect("valid gzip");
            }
        }
    }

    fn text(&self) -> String {
        let bytes = match self {
            Self::Br(d) => d.get_ref(),
            Self::Gzip(d) => d.get_ref(),
        };
        String::from_utf8_lossy(bytes).into_owned()
    }
}

fn record_path(nhs: &app::nhs_number::NhsNumber) -> String {
    format!("/record?nhs={}", nhs.as_digits())
}

#[tokio::test]
async fn pages_are_sent_with_brotli_or_gzip_and_keep_every_header() {
    let portal = start().await;
    let nhs = patient_known_at(&portal.demo.population, &SourceKind::ALL);
    for (accept, expected) in [
        ("br", Some("br")),
        ("gzip", Some("gzip")),
        ("gzip, deflate, br, zstd", Some("br")),
        ("identity", None),
    ] {
        let response = portal
            .http
            .get(format!("{}{}", portal.url, record_path(&nhs)))
            .header("accept-encoding", accept)
            .send()
            .await
            .expect("portal answers");
        assert_eq!(response.status(), 200, "{accept}");
        let headers = response.headers().clone();
        assert_eq!(
            headers.get("content-encoding").map(|v| v.to_str().unwrap()),
            expected,
            "{accept}"
        );
        assert_eq!(headers["cache-control"], "no-store", "{accept}");
        assert!(
            headers["vary"]
                .to_str()
                .unwrap()
                .to_ascii_lowercase()
                .contains("accept-encoding"),
            "{accept}"
        );
        for name in [
            "content-security-policy",
            "x-content-type-options",
            "referrer-policy",
            "x-frame-options",
            "cross-origin-opener-policy",
            "permissions-policy",
        ] {
            assert!(headers.contains_key(name), "{name} kept with {accept}");
        }
        assert!(
            headers["content-security-policy"]
                .to_str()
                .unwrap()
                .contains("'nonce-"),
            "the page's own policy is kept with {accept}"
        );
        let body = response.bytes().await.unwrap();
        let html = match expected {
            Some(encoding) => decode(encoding, &body),
            None => String::from_utf8(body.to_vec()).unwrap(),
        };
        assert!(html.starts_with("<!DOCTYPE html>"), "{accept}");
        assert!(
            html.contains("data-testid=\"patient-banner\""),
            "{accept}: the record itself"
        );
    }
}

#[tokio::test]
async fn server_function_and_api_json_are_compressed_and_never_stored() {
    let portal = start().await;
    let nhs = patient_known_at(&portal.demo.population, &SourceKind::ALL);
    for encoding in ["br", "gzip"] {
        let response = portal
            .http
            .post(format!("{}/sfn/record", portal.url))
            .header("accept-encoding", encoding)
            .header("accept", "application/json")
            .header("origin", &portal.url)
            .form(&[
                ("nhs_number", nhs.as_digits().as_str()),
                ("refresh", "false"),
            ])
            .send()
            .await
            .expect("portal answers");
        assert_eq!(response.status(), 200, "/sfn/record {encoding}");
        assert_eq!(response.headers()["content-encoding"], encoding);
        assert_eq!(response.headers()["cache-control"], "no-store");
        let json: serde_json::Value =
            serde_json::from_str(&decode(encoding, &response.bytes().await.unwrap()))
                .expect("server function JSON");
        assert!(json["demographics"].is_object(), "/sfn/record {encoding}");

        let response = portal
            .http
            .get(format!(
                "{}/api/v1/patients/{}/record",
                portal.url,
                nhs.as_digits()
            ))
            .header("accept-encoding", encoding)
            .send()
            .await
            .expect("portal answers");
        assert_eq!(response.status(), 200, "API {encoding}");
        assert_eq!(response.headers()["content-encoding"], encoding);
        assert_eq!(response.headers()["cache-control"], "no-store");
        let json: serde_json::Value =
            serde_json::from_str(&decode(encoding, &response.bytes().await.unwrap()))
                .expect("API JSON");
        assert!(json["demographics"].is_object(), "API {encoding}");
    }
}

/// The slow source's delay before each answer; its lookup takes at least two of these.
const SLOW: Duration = Duration::from_millis(1500);

#[tokio::test]
async fn a_compressed_streamed_page_is_not_held_back_until_the_slowest_source_answers() {
    for encoding in ["br", "gzip"] {
        // A portal of its own each time: nothing cached.
        let portal = start_with(
            population(),
            |source| Faults {
                latency: if source.kind == SourceKind::MentalHealth {
                    SLOW
                } else {
                    Duration::ZERO
                },
                ..Faults::default()
            },
            |_| {},
        )
        .await;
        let nhs = patient_known_at(&portal.demo.population, &SourceKind::ALL);
        let asked = Instant::now();
        let mut response = portal
            .http
            .get(format!("{}{}", portal.url, record_path(&nhs)))
            .header("accept-encoding", encoding)
            .send()
            .await
            .expect("portal answers");
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()["content-encoding"], encoding);
        let mut decoder = Decoder::new(encoding);
        let mut first_readable: Option<(Duration, String)> = None;
        while let Some(chunk) = response.chunk().await.expect("body chunk") {
            decoder.push(&chunk);
            let so_far = decoder.text();
            if first_readable.is_none() && so_far.contains("<body") {
                first_readable = Some((asked.elapsed(), so_far));
            }
        }
        let ended = asked.elapsed();
        let (early, early_html) = first_readable.expect("the page decodes");
        let html = decoder.text();
        assert!(
            html.contains("data-testid=\"timeline-row\""),
            "{encoding}: the full record arrives in the end"
        );
        assert!(
            ended >= SLOW,
            "{encoding}: the response ends only after the slow source answered ({ended:?})"
        );
        assert!(
            early < SLOW && ended - early >= SLOW / 2,
            "{encoding}: the page's start was readable at {early:?}, long before the end at \
             {ended:?}, not held back by the compressor"
        );
        assert!(
            !early_html.contains("data-testid=\"timeline-row\""),
            "{encoding}: the early part is the page before the slow source answered"
        );
    }
}

/// A built site in a temporary folder: hashed bundle files with precompressed copies, the
/// manifest naming them, and an unhashed stylesheet.
struct Site {
    root: PathBuf,
}

const JS_HASH: &str = "0123456789abcdef";
const WASM_HASH: &str = "1123456789abcdef";
const CSS_HASH: &str = "2123456789abcdef";
const OFFICE_JS_HASH: &str = "3123456789abcdef";
const OFFICE_WASM_HASH: &str = "4123456789abcdef";

impl Site {
    fn build() -> Self {
        use std::sync::atomic::{AtomicU32, Ordering};
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let root = std::env::temp_dir().join(format!(
            "scrv-site-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::SeqCst)
        ));
        let pkg = root.join("pkg");
        std::fs::create_dir_all(&pkg).unwrap();
        let wasm = format!("app.{WASM_HASH}.wasm");
        std::fs::write(pkg.join(&wasm), b"\0asm the bundle, uncompressed").unwrap();
        std::fs::write(pkg.join(format!("{wasm}.br")), b"brotli bytes as built").unwrap();
        std::fs::write(pkg.join(format!("{wasm}.gz")), b"gzip bytes as built").unwrap();
        std::fs::write(
            pkg.join(format!("app.{JS_HASH}.js")),
            b"export default function(){}",
        )
        .unwrap();
        std::fs::write(
            pkg.join(format!("app.{CSS_HASH}.css")),
            b"body{color:black}",
        )
        .unwrap();
        std::fs::write(pkg.join("app.css"), b"body{color:black}").unwrap();
        std::fs::write(
            root.join("hash.txt"),
            format!("js: {JS_HASH}\nwasm: {WASM_HASH}\ncss: {CSS_HASH}\n"),
        )
        .unwrap();
        std::fs::write(
            root.join("office-hash.txt"),
            format!("js: {OFFICE_JS_HASH}\nwasm: {OFFICE_WASM_HASH}\n"),
        )
        .unwrap();
        Self { root }
    }
}

impl Drop for Site {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

#[tokio::test]
async fn hashed_bundle_files_are_immutable_and_sent_precompressed() {
    let site = Site::build();
    let root = site.root.clone();
    let portal = start_with(
        population(),
        |_| Faults::default(),
        move |config| {
            config.portal.site_root = root;
        },
    )
    .await;
    let plain = reqwest::Client::new();
    let wasm = format!("{}/pkg/app.{WASM_HASH}.wasm", portal.url);
    for (accept, encoding, body) in [
        ("br", Some("br"), &b"brotli bytes as built"[..]),
        (
            "gzip, deflate, br",
            Some("br"),
            &b"brotli bytes as built"[..],
        ),
        ("gzip", Some("gzip"), &b"gzip bytes as built"[..]),
        ("identity", None, &b"\0asm the bundle, uncompressed"[..]),
    ] {
        let response = plain
            .get(&wasm)
            .header("accept-encoding", accept)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{accept}");
        assert_eq!(
            response.headers()["cache-control"],
            "public, max-age=31536000, immutable",
            "{accept}"
        );
        assert_eq!(
            response
                .headers()
                .get("content-encoding")
                .map(|v| v.to_str().unwrap()),
            encoding,
            "{accept}"
        );
        assert_eq!(response.headers()["content-type"], "application/wasm");
        assert_eq!(response.headers()["vary"], "accept-encoding", "{accept}");
        assert!(response.headers().contains_key("x-content-type-options"));
        assert_eq!(&response.bytes().await.unwrap()[..], body, "{accept}");
    }

    // The page links the hashed names from the manifest.
    let html = portal.get("/").await.text().await.unwrap();
    for name in [
        format!("/pkg/app.{JS_HASH}.js"),
        format!("/pkg/app.{WASM_HASH}.wasm"),
        format!("/pkg/app.{CSS_HASH}.css"),
    ] {
        assert!(html.contains(&name), "the page links {name}");
    }
    assert!(
        !html.contains("/pkg/app.css"),
        "not the unhashed stylesheet"
    );
    assert!(!html.contains("/pkg/office."), "not the office bundle");
    // A clinician's page is Leptos islands: its own script hydrates the islands, never the
    // whole page (app/src/islands.js).
    assert!(html.contains("leptos-island"), "the islands script");

    // The audit and admin pages are hydrated by the office bundle, which holds them; the
    // clinicians' bundle leaves them out. The stylesheet is the same.
    for (login, path) in [
        ("privacy.officer", "/audit"),
        ("privacy.officer", "/audit/reports?from=2026-11-01"),
        ("privacy.officer", "/audit/patient"),
        ("ops.admin", "/admin"),
    ] {
        let browser = portal.sign_in(login).await;
        let html = browser.get(path).await.text().await.unwrap();
        for name in [
            format!("/pkg/office.{OFFICE_JS_HASH}.js"),
            format!("/pkg/office.{OFFICE_WASM_HASH}.wasm"),
            format!("/pkg/app.{CSS_HASH}.css"),
        ] {
            assert!(html.contains(&name), "{path} links {name}");
        }
        assert!(!html.contains(&format!("/pkg/app.{JS_HASH}.js")), "{path}");
        assert!(!html.contains("leptos-island"), "{path} is hydrated whole");
    }
}

#[tokio::test]
async fn unhashed_and_unknown_assets_are_revalidated_not_immutable() {
    let site = Site::build();
    let root = site.root.clone();
    let portal = start_with(
        population(),
        |_| Faults::default(),
        move |config| {
            config.portal.site_root = root;
        },
    )
    .await;
    let plain = reqwest::Client::new();
    for (path, status) in [
        ("/pkg/app.css".to_owned(), 200),
        (format!("/pkg/app.{}.js", "f".repeat(16)), 404),
        ("/pkg/no-such-file.js".to_owned(), 404),
    ] {
        let response = plain
            .get(format!("{}{path}", portal.url))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), status, "{path}");
        assert_eq!(response.headers()["cache-control"], "no-cache", "{path}");
    }
}
