//! The built browser bundle under `/pkg`: the content-hashed names the build recorded in
//! `hash.txt`, how long each file may be cached, and serving the brotli/gzip files written at
//! build time.
//!
//! The build (`.ci/lib.sh`) writes two bundles, the clinicians' (`app.<hash>.js`,
//! `app.<hash>.wasm`) and the office bundle with the audit and admin pages (`office.<hash>.*`),
//! and `app.<hash>.css`, each with `.br` and `.gz` beside it, and a manifest per bundle in the
//! site root in cargo-leptos's format (`js: <hash>`, `wasm: <hash>`, `css: <hash>`):
//! `hash.txt` and `office-hash.txt`. Leptos's own `hash_files` support then names the script
//! and the bundle in every page, from the options the shell picks for the page's address
//! ([`Bundle::for_address`]); the stylesheet's name reaches the shell as [`StylesheetHref`]
//! context. Without a manifest (a site built by hand, the tests) the plain names are used and
//! everything is revalidated.

use app::shell::{Bundle, ClinicalBundle, OfficeBundle, StylesheetHref};
use axum::extract::Request;
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::Response;
use leptos::prelude::LeptosOptions;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use tower_http::services::ServeDir;

/// The file in the site root naming the hashed assets.
pub const MANIFEST: &str = "hash.txt";

/// A content-hashed name never changes content: a year, and no revalidation.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// Everything else under `/pkg` (holds no patient data): revalidate, so a new build is seen.
const REVALIDATE: &str = "no-cache";

/// The hashes `hash.txt` names, one per kind of asset.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Manifest {
    pub js: Option<String>,
    pub wasm: Option<String>,
    pub css: Option<String>,
}

impl Manifest {
    /// Reads `kind: hash` lines; lines of other kinds and hashes that are not
    /// [`is_hash`] are ignored.
    pub fn parse(text: &str) -> Self {
        let mut manifest = Self::default();
        for (kind, hash) in text.lines().filter_map(|l| l.split_once(':')) {
            let hash = hash.trim();
            if !is_hash(hash) {
                continue;
            }
            let slot = match kind.trim() {
                "js" => &mut manifest.js,
                "wasm" => &mut manifest.wasm,
                "css" => &mut manifest.css,
                _ => continue,
            };
            *slot = Some(hash.to_owned());
        }
        manifest
    }
}

/// A hash as the build writes it: 16 to 64 lowercase hexadecimal digits.
fn is_hash(s: &str) -> bool {
    (16..=64).contains(&s.len()) && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// Whether the last path segment is a content-hashed bundle file, `<stem>.<hash>.<js|wasm|css>`.
pub fn is_content_hashed(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or_default();
    let mut parts = name.split('.');
    match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some(stem), Some(hash), Some(ext), None) => {
            !stem.is_empty() && is_hash(hash) && matches!(ext, "js" | "wasm" | "css")
        }
        _ => false,
    }
}

/// The built site: Leptos's options naming the clinicians' bundle, the office bundle's, and
/// where the stylesheet is.
#[derive(Debug, Clone)]
pub struct Site {
    pub clinical: LeptosOptions,
    /// The clinicians' bundle's files, which the clinicians' pages load themselves.
    pub scripts: ClinicalBundle,
    pub office: OfficeBundle,
    pub stylesheet: StylesheetHref,
}

/// The manifest naming a bundle's hashed files: `hash.txt` for the clinicians' bundle (which
/// also names the stylesheet), `office-hash.txt` for the office bundle.
pub fn manifest_name(bundle: Bundle) -> &'static str {
    match bundle {
        Bundle::Clinical => MANIFEST,
        Bundle::Office => "office-hash.txt",
    }
}

/// The built site in `site_root`: each bundle's options, and where its stylesheet is.
pub fn site(site_root: &Path, addr: SocketAddr) -> Site {
    let (clinical, manifest) = bundle(site_root, addr, Bundle::Clinical);
    let (office, _) = bundle(site_root, addr, Bundle::Office);
    let hashed = |hash: &str, ext: &str| format!("/pkg/{}.{hash}.{ext}", Bundle::Clinical.stem());
    let scripts = match (&manifest.js, &manifest.wasm) {
        (Some(js), Some(wasm)) => ClinicalBundle {
            js: hashed(js, "js"),
            wasm: hashed(wasm, "wasm"),
        },
        _ => ClinicalBundle::default(),
    };
    let stylesheet = manifest
        .css
        .map(|hash| StylesheetHref(hashed(&hash, "css")))
        .unwrap_or_default();
    Site {
        clinical,
        scripts,
        office: OfficeBundle(office),
        stylesheet,
    }
}

/// Leptos's options for one bundle of the site, and its manifest.
///
/// When the manifest names both the script and the bundle, Leptos's `hash_files` is switched
/// on with the manifest's absolute path (Leptos joins it to the executable's folder, and
/// joining an absolute path gives that path), so the hydration script links
/// `<stem>.<hash>.js` and `<stem>.<hash>.wasm`.
fn bundle(site_root: &Path, addr: SocketAddr, bundle: Bundle) -> (LeptosOptions, Manifest) {
    let manifest_path = site_root.join(manifest_name(bundle));
    let manifest = std::fs::read_to_string(&manifest_path)
        .map(|text| Manifest::parse(&text))
        .unwrap_or_default();
    let absolute: Option<PathBuf> = std::path::absolute(&manifest_path).ok();
    let hash_file = match (&manifest.js, &manifest.wasm, absolute) {
        (Some(_), Some(_), Some(path)) => Some(path.display().to_string()),
        _ => None,
    };
    let builder = LeptosOptions::builder()
        .output_name(bundle.stem())
        .site_root(site_root.display().to_string())
        .site_pkg_dir("pkg")
        .site_addr(addr);
    let options = match hash_file {
        Some(path) => builder.hash_files(true).hash_file(path.into()).build(),
        None => builder.build(),
    };
    (options, manifest)
}

/// `/pkg`: the files in `<site_root>/pkg`, sent as the `.br` or `.gz` written beside them at
/// build time when the browser accepts it.
pub fn service(site_root: &Path) -> ServeDir {
    ServeDir::new(site_root.join("pkg"))
        .precompressed_br()
        .precompressed_gzip()
}

/// Sets `Cache-Control` on a `/pkg` response: immutable for a content-hashed name that was
/// found, revalidation for everything else (unhashed names, misses, errors); and
/// `Vary: accept-encoding`, as one URL has brotli, gzip and plain bodies.
pub async fn cache_control(request: Request, next: Next) -> Response {
    let hashed = is_content_hashed(request.uri().path());
    let mut response = next.run(request).await;
    let found = response.status().is_success() || response.status() == StatusCode::NOT_MODIFIED;
    let value = if hashed && found {
        IMMUTABLE
    } else {
        REVALIDATE
    };
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(value));
    // The same URL is sent as brotli, gzip or plain: shared caches must key on the encoding.
    if !headers.contains_key(header::VARY) {
        headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_manifest_names_each_kind_and_ignores_what_is_not_a_hash() {
        let m = Manifest::parse(
            "js: 0123456789abcdef\nwasm:fedcba9876543210aa\ncss : 00112233445566778899aabbccddeeff\n\
             split: 0123456789abcdef\n",
        );
        assert_eq!(m.js.as_deref(), Some("0123456789abcdef"));
        assert_eq!(m.wasm.as_deref(), Some("fedcba9876543210aa"));
        assert_eq!(m.css.as_deref(), Some("00112233445566778899aabbccddeeff"));

        let bad = Manifest::parse("js: ../../etc\nwasm: ABCDEF0123456789\ncss: 0123\nnonsense");
        assert_eq!(bad, Manifest::default());
    }

    #[test]
    fn only_hashed_bundle_names_count_as_content_hashed() {
        for yes in [
            "/pkg/app.0123456789abcdef.js",
            "/pkg/app.0123456789abcdef0123456789abcdef.wasm",
            "app.0123456789abcdef.css",
            "/pkg/office.0123456789abcdef.wasm",
        ] {
            assert!(is_content_hashed(yes), "{yes}");
        }
        for no in [
            "/pkg/app.js",
            "/pkg/app_bg.wasm",
            "/pkg/app.css",
            "/pkg/app.0123456789abcdef.js.br",
            "/pkg/app.0123456789ABCDEF.js",
            "/pkg/app.0123456789abcde.js",
            "/pkg/.0123456789abcdef.js",
            "/pkg/app.0123456789abcdef.html",
            "/pkg/hash.txt",
            "/favicon.svg",
        ] {
            assert!(!is_content_hashed(no), "{no}");
        }
    }

    #[test]
    fn a_site_without_a_manifest_uses_the_plain_names() {
        let root = std::env::temp_dir().join(format!("scrv-assets-none-{}", std::process::id()));
        let built = site(&root, "127.0.0.1:0".parse().unwrap());
        assert!(!built.clinical.hash_files);
        assert!(!built.office.0.hash_files);
        assert_eq!(&*built.office.0.output_name, "office");
        assert_eq!(built.stylesheet, StylesheetHref::default());
        assert_eq!(built.scripts, ClinicalBundle::default());
        assert_eq!(built.scripts.wasm, "/pkg/app_bg.wasm");
    }

    #[test]
    fn a_manifest_switches_on_hashed_names_with_its_absolute_path() {
        let root = std::env::temp_dir().join(format!("scrv-assets-hash-{}", std::process::id()));
        std::fs::create_dir_all(&root).unwrap();
        std::fs::write(
            root.join(MANIFEST),
            "js: 0123456789abcdef\nwasm: 1123456789abcdef\ncss: 2123456789abcdef\n",
        )
        .unwrap();
        std::fs::write(
            root.join(manifest_name(Bundle::Office)),
            "js: 3123456789abcdef\nwasm: 4123456789abcdef\n",
        )
        .unwrap();
        let built = site(&root, "127.0.0.1:0".parse().unwrap());
        assert!(built.clinical.hash_files);
        assert!(Path::new(built.clinical.hash_file.as_ref()).is_absolute());
        assert!(built.clinical.hash_file.ends_with(MANIFEST));
        assert_eq!(&*built.clinical.output_name, "app");
        let office = &built.office.0;
        assert!(office.hash_files);
        assert!(office.hash_file.ends_with("office-hash.txt"));
        assert_eq!(&*office.output_name, "office");
        assert_eq!(built.stylesheet.0, "/pkg/app.2123456789abcdef.css");
        assert_eq!(built.scripts.js, "/pkg/app.0123456789abcdef.js");
        assert_eq!(built.scripts.wasm, "/pkg/app.1123456789abcdef.wasm");

        // A manifest naming the stylesheet only leaves the script names plain.
        std::fs::write(root.join(MANIFEST), "css: 2123456789abcdef\n").unwrap();
        let built = site(&root, "127.0.0.1:0".parse().unwrap());
        assert!(!built.clinical.hash_files);
        assert_eq!(built.stylesheet.0, "/pkg/app.2123456789abcdef.css");
        assert_eq!(built.scripts, ClinicalBundle::default());
        std::fs::remove_dir_all(&root).unwrap();
    }
}
