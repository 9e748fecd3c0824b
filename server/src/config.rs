//! The portal's one configuration struct: loaded once from TOML, validated with messages that
//! name the offending key, and never changed afterwards.

use app::model::{DemoPatient, SourceKind};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;
use url::Url;

/// The built-in demo configuration (`server/config/demo.toml`).
pub const DEMO_TOML: &str = include_str!("../config/demo.toml");

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(default)]
    pub portal: PortalConfig,
    #[serde(default)]
    pub cache: crate::cache::CacheConfig,
    /// Who may sign in and how (`[identity]`, `[[identity.issuers]]`).
    #[serde(default)]
    pub identity: crate::auth::IdentityConfig,
    /// Overrides of the permission matrix: role name → permission names (README "Roles").
    #[serde(default)]
    pub permissions: BTreeMap<String, Vec<String>>,
    /// Legitimate bases, dissent and sensitive information (`[consent]`, README "Consent").
    #[serde(default)]
    pub consent: crate::policy::ConsentPolicy,
    /// Where the audit trail is kept (`[audit]`).
    #[serde(default)]
    pub audit: crate::audit::AuditConfig,
    /// Child-protection flags and their notifications (`[child_protection]`).
    #[serde(default)]
    pub child_protection: crate::notify::ChildProtectionConfig,
    /// Documents opened through the portal (`[documents]`).
    #[serde(default)]
    pub documents: crate::documents::DocumentsConfig,
    pub sources: Vec<SourceConfig>,
    /// Patients listed on the search page; filled by demo mode, never read from a file.
    #[serde(skip)]
    pub demo_patients: Vec<DemoPatient>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PortalConfig {
    /// Where the portal listens (overridden by `--addr`).
    pub addr: SocketAddr,
    /// The built browser assets: `pkg/app.js`, `pkg/app_bg.wasm`, `pkg/app.css`, public files.
    pub site_root: PathBuf,
    /// Ceiling for one lookup across all sources, in milliseconds.
    pub lookup_timeout_ms: u64,
    /// The portal's address as browsers reach it (`https://...` in production); the sign-in
    /// redirect URI and cookie security follow from it. Defaults to `http://<addr>`.
    pub public_url: Option<Url>,
    /// Serve HTTPS directly (PEM certificate chain and key); otherwise put a TLS proxy in front.
    pub tls: Option<crate::tls::TlsConfig>,
    /// Largest request body accepted (server function calls and forms are small).
    pub max_request_bytes: usize,
    /// Most people a demographic search lists; more asks for more details (1 to 50).
    pub max_search_candidates: usize,
    /// A request head (HTTP/1) must arrive within this many seconds of the connection being
    /// ready for it; an idle keep-alive connection is closed after it too.
    pub header_read_timeout_s: u64,
    /// A connection that moves no byte either way for this many seconds is closed.
    pub idle_timeout_s: u64,
    /// Most connections open at once (TLS handshakes included); past it new ones wait.
    pub max_connections: usize,
    /// Reverse proxies whose `X-Forwarded-For` names the client (networks such as
    /// `10.0.0.0/8`, or single addresses); empty: the client is always the TCP peer. Only
    /// proxies belong here, never networks clients connect from: see
    /// [`crate::http::client_addr::client_ip`].
    pub trusted_proxies: Vec<crate::http::client_addr::TrustedNetwork>,
}

impl Default for PortalConfig {
    fn default() -> Self {
        Self {
            addr: SocketAddr::from(([127, 0, 0, 1], 3000)),
            site_root: PathBuf::from("target/site"),
            lookup_timeout_ms: 10_000,
            public_url: None,
            tls: None,
            max_request_bytes: 64 * 1024,
            max_search_candidates: 10,
            header_read_timeout_s: 10,
            idle_timeout_s: 60,
            max_connections: 512,
            trusted_proxies: Vec::new(),
        }
    }
}

/// One organisation's FHIR R4 API.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceConfig {
    /// Short stable identifier (`[a-z0-9-]`), used in the API and audit.
    pub id: String,
    /// Organisation name shown to staff.
    pub name: String,
    /// The organisation's ODS code (e.g. `A83008`), shown with its data and audited.
    pub organisation_code: String,
    pub kind: SourceKind,
    /// FHIR base URL, e.g. `https://fhir.example.nhs.uk/R4`.
    pub base_url: Url,
    /// Deadline for everything asked of this source in one lookup.
    #[serde(default = "default_timeout_ms")]
    pub timeout_ms: u64,
    /// Resource types read; defaults to the clinical types the timeline shows, plus Consent.
    #[serde(default = "default_resource_types")]
    pub resource_types: Vec<String>,
    /// How the record is fetched (see [`FetchMode`]; default `auto`, chosen from the source's
    /// CapabilityStatement).
    #[serde(default)]
    pub fetch_mode: FetchMode,
    /// How long the source's CapabilityStatement (`[base]/metadata`) is trusted before it is
    /// read again, in seconds; absent: for the life of the process. Only `fetch_mode = "auto"`
    /// reads it.
    #[serde(default)]
    pub capability_ttl_s: Option<u64>,
    /// `_count` asked for on each search page.
    #[serde(default = "default_page_size")]
    pub page_size: u32,
    /// Most pages followed per resource type; more is reported, never silently dropped.
    #[serde(default = "default_max_pages")]
    pub max_pages: u32,
    /// Most requests in flight to this source at once, within one lookup: a politeness
    /// setting. Absent: enough for one view in one wave (every resource type, the Patient
    /// search and the CapabilityStatement; see [`SourceConfig::concurrency`]).
    #[serde(default)]
    pub max_concurrent_requests: Option<usize>,
    /// Extra tries of a GET after a connection failure or HTTP 502/503/504 (jittered backoff).
    #[serde(default = "default_max_retries")]
    pub max_retries: u32,
    /// Failed lookups in a row after which the source is not asked for `breaker_cooldown_s`
    /// (0 disables the breaker).
    #[serde(default = "default_breaker_threshold")]
    pub breaker_threshold: u32,
    #[serde(default = "default_breaker_cooldown_s")]
    pub breaker_cooldown_s: u64,
    /// Largest response body accepted, in bytes.
    #[serde(default = "default_max_body_bytes")]
    pub max_body_bytes: usize,
    /// How the portal authenticates to this source (`[sources.auth]`; default: none).
    #[serde(default)]
    pub auth: crate::sources::auth::AuthConfig,
    /// Whether this source can hold the patient's objection to sharing. When it can and its
    /// answer about consent is missing (the source failed, or its Consent read failed or was
    /// cut short), the patient is treated as possibly objecting. Default: true exactly when
    /// the source's `resource_types` include `Consent` (see [`SourceConfig::holds_objections`]).
    #[serde(default)]
    pub holds_objections: Option<bool>,
    /// How the source is asked: `fhir-r4` (the default: searches as above) or `gp-connect`
    /// (GP Connect Access Record: Structured, one STU3 operation at `base_url`, the
    /// provider's service root; `[sources.gp_connect]` says how).
    #[serde(default)]
    pub api: SourceApi,
    /// GP Connect settings, required exactly when `api = "gp-connect"`.
    #[serde(default)]
    pub gp_connect: Option<crate::gp_connect::GpConnectConfig>,
    /// Mutual TLS (`[sources.tls]`): the client certificate the source asks for.
    #[serde(default)]
    pub tls: Option<crate::sources::SourceTls>,
}

/// The interface a source offers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SourceApi {
    /// A FHIR R4 search API (UK Core).
    #[default]
    FhirR4,
    /// GP Connect Access Record: Structured (FHIR STU3, CareConnect).
    GpConnect,
}

/// How a source's record is fetched.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FetchMode {
    /// Chosen per source and type from its CapabilityStatement (read once, in the background):
    /// `chained` for the types whose `patient` (or `subject`) search it declares, `batch`
    /// when it also offers the `batch` interaction, else `search`. Until it has been read, or
    /// when it cannot be, `search`.
    #[default]
    Auto,
    /// Find the patient (`Patient?identifier=`), then `<Type>?patient=<id>&_count=<page_size>`
    /// for every resource type at once: two round trips.
    Search,
    /// `<Type>?patient.identifier=<system>|<nhs>` for every type at the same time as the
    /// Patient search: one round trip. Only entries about a Patient the Patient search
    /// confirmed are kept; a type whose chained search the source ignores is searched again
    /// by patient id.
    Chained,
    /// As `chained`, the type searches sent as one FHIR `batch` Bundle (`POST [base]`).
    Batch,
    /// Find the patient, then `Patient/<id>/$everything?_count=<page_size>`, paged; only
    /// `resource_types` are kept.
    Everything,
}

fn default_timeout_ms() -> u64 {
    5_000
}
fn default_page_size() -> u32 {
    100
}
fn default_max_pages() -> u32 {
    50
}
fn default_max_retries() -> u32 {
    2
}
fn default_breaker_threshold() -> u32 {
    5
}
fn default_breaker_cooldown_s() -> u64 {
    30
}
fn default_max_body_bytes() -> usize {
    16 * 1024 * 1024
}

/// Resource types read when a source names none.
pub const DEFAULT_RESOURCE_TYPES: [&str; 14] = [
    "AllergyIntolerance",
    "Condition",
    "MedicationRequest",
    "MedicationStatement",
    "Immunization",
    "Observation",
    "DiagnosticReport",
    "Procedure",
    "Encounter",
    "EpisodeOfCare",
    "DocumentReference",
    "CarePlan",
    "Flag",
    "Consent",
];

fn default_resource_types() -> Vec<String> {
    DEFAULT_RESOURCE_TYPES
        .iter()
        .map(|s| s.to_string())
        .collect()
}

impl SourceConfig {
    pub fn timeout(&self) -> Duration {
        Duration::from_millis(self.timeout_ms)
    }

    /// Whether a missing answer about consent from this source leaves the patient's wishes
    /// unknown: as configured, else whenever the portal reads Consent from it. A source asked
    /// for Consent is one the deployment expects objections at, so its silence cannot count
    /// as "no objection".
    pub fn holds_objections(&self) -> bool {
        self.holds_objections
            .unwrap_or_else(|| self.api == SourceApi::FhirR4 && self.reads_consent())
    }

    /// Whether a last good copy of this source's answer may be kept to stand in when it
    /// fails: not for GP Connect, whose answers say `Cache-Control: no-store` (only the
    /// brief reuse cache holds them; docs/SAFETY.md).
    pub fn may_keep_stale(&self) -> bool {
        self.api == SourceApi::FhirR4
    }

    /// Most requests in flight to this source within one lookup: as configured, else one
    /// wave for the whole view (every resource type, the Patient search, the
    /// CapabilityStatement).
    pub fn concurrency(&self) -> usize {
        self.max_concurrent_requests
            .unwrap_or(self.resource_types.len() + 2)
            .max(1)
    }

    /// Whether Consent is among the resource types read from this source.
    pub fn reads_consent(&self) -> bool {
        self.resource_types.iter().any(|t| t == "Consent")
    }

    /// True when this source is to be served by the built-in demo source (port 0).
    pub fn wants_demo_source(&self) -> bool {
        self.base_url.port() == Some(0)
    }
}

impl PortalConfig {
    pub fn lookup_timeout(&self) -> Duration {
        Duration::from_millis(self.lookup_timeout_ms)
    }
}

/// True for URLs on this machine only.
fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(d)) => d == "localhost",
        None => false,
    }
}

/// Why a configuration cannot be used. Each message names the file and key to fix.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("config file {path} is not valid: {message}")]
    Parse { path: String, message: String },
    #[error("config file {path} has {} problem(s):\n  - {}", problems.len(), problems.join("\n  - "))]
    Invalid { path: String, problems: Vec<String> },
}

/// Whether the config drives demo mode (port-0 sources allowed) or real sources.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Demo,
    Live,
}

impl Config {
    /// Reads and validates a config file.
    pub fn load(path: &Path, mode: Mode) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_owned(),
            source,
        })?;
        Self::from_toml(&text, &path.display().to_string(), mode)
    }

    /// The built-in demo configuration.
    pub fn demo() -> Result<Self, ConfigError> {
        Self::from_toml(DEMO_TOML, "<built-in demo.toml>", Mode::Demo)
    }

    /// Parses and validates TOML text; `origin` names it in error messages.
    pub fn from_toml(text: &str, origin: &str, mode: Mode) -> Result<Self, ConfigError> {
        let config: Config = toml::from_str(text).map_err(|e| ConfigError::Parse {
            path: origin.to_owned(),
            message: crate::config_syntax::describe(&e, text),
        })?;
        let problems = config.problems(mode);
        if problems.is_empty() {
            Ok(config)
        } else {
            Err(ConfigError::Invalid {
                path: origin.to_owned(),
                problems,
            })
        }
    }

    fn problems(&self, mode: Mode) -> Vec<String> {
        let mut problems = Vec::new();
        if self.sources.is_empty() {
            problems.push("no [[sources]] are configured".to_owned());
        }
        if self.portal.lookup_timeout_ms == 0 {
            problems.push("portal.lookup_timeout_ms must be more than 0".to_owned());
        }
        if !(1024..=10 * 1024 * 1024).contains(&self.portal.max_request_bytes) {
            problems.push("portal.max_request_bytes must be between 1024 and 10485760".to_owned());
        }
        if !(1..=50).contains(&self.portal.max_search_candidates) {
            problems.push("portal.max_search_candidates must be between 1 and 50".to_owned());
        }
        if !(1..=300).contains(&self.portal.header_read_timeout_s) {
            problems.push("portal.header_read_timeout_s must be between 1 and 300".to_owned());
        }
        if !(1..=3600).contains(&self.portal.idle_timeout_s)
            || self.portal.idle_timeout_s.saturating_mul(1000) <= self.portal.lookup_timeout_ms
        {
            problems.push(
                "portal.idle_timeout_s must be between 1 and 3600 and longer than portal.lookup_timeout_ms (a lookup moves no byte while it waits for the sources)".to_owned(),
            );
        }
        if !(1..=100_000).contains(&self.portal.max_connections) {
            problems.push("portal.max_connections must be between 1 and 100000".to_owned());
        }
        if self.cache.refresh_interval_s > 3600 {
            problems.push("cache.refresh_interval_s must be at most 3600".to_owned());
        }
        if let Some(url) = &self.portal.public_url {
            if !matches!(url.scheme(), "http" | "https")
                || url.host().is_none()
                || url.path() != "/"
            {
                problems.push(
                    "portal.public_url must be an http(s) URL with a host and no path".to_owned(),
                );
            }
            if mode == Mode::Live && url.scheme() != "https" && !is_loopback(url) {
                problems.push(
                    "portal.public_url must be https outside loopback (session cookies)".to_owned(),
                );
            }
        }
        problems.extend(self.identity.problems(mode == Mode::Demo));
        problems.extend(self.consent.problems());
        problems.extend(self.audit.problems());
        problems.extend(self.child_protection.problems());
        problems.extend(self.documents.problems());
        if let Err(more) = crate::policy::PermissionMatrix::with_overrides(&self.permissions) {
            problems.extend(more);
        }
        let demo_idp = self.identity.issuers.iter().any(|i| i.wants_demo_idp());
        if demo_idp {
            for s in self.sources.iter().filter(|s| !is_loopback(&s.base_url)) {
                problems.push(format!(
                    "sources (id {:?}): the demo identity provider lets anyone sign in, so every source must be on loopback; this one is {} (a production config?)",
                    s.id, s.base_url
                ));
            }
        }
        for (i, s) in self.sources.iter().enumerate() {
            let at = format!("sources[{i}] (id {:?})", s.id);
            if s.id.is_empty()
                || !s
                    .id
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            {
                problems.push(format!(
                    "{at}: id must be lower-case letters, digits and '-'"
                ));
            }
            if self.sources[..i].iter().any(|o| o.id == s.id) {
                problems.push(format!("{at}: id is used by an earlier source"));
            }
            if s.name.trim().is_empty() {
                problems.push(format!("{at}: name must not be empty"));
            }
            if s.organisation_code.is_empty()
                || s.organisation_code.len() > 12
                || !s
                    .organisation_code
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric())
            {
                problems.push(format!(
                    "{at}: organisation_code must be an ODS code (letters and digits, e.g. A83008)"
                ));
            }
            if !matches!(s.base_url.scheme(), "http" | "https") || s.base_url.host().is_none() {
                problems.push(format!("{at}: base_url must be an http(s) URL with a host"));
            }
            if s.wants_demo_source() && mode == Mode::Live {
                problems.push(format!(
                    "{at}: base_url port 0 (a built-in demo source) is only allowed in demo mode"
                ));
            }
            if !(1..=120_000).contains(&s.timeout_ms) {
                problems.push(format!("{at}: timeout_ms must be between 1 and 120000"));
            }
            if !(1..=1000).contains(&s.page_size) {
                problems.push(format!("{at}: page_size must be between 1 and 1000"));
            }
            if s.max_concurrent_requests
                .is_some_and(|n| !(1..=64).contains(&n))
            {
                problems.push(format!(
                    "{at}: max_concurrent_requests must be between 1 and 64"
                ));
            }
            if s.capability_ttl_s
                .is_some_and(|t| !(60..=604_800).contains(&t))
            {
                problems.push(format!(
                    "{at}: capability_ttl_s must be between 60 and 604800 (or left out: read once)"
                ));
            }
            if s.capability_ttl_s.is_some() && s.fetch_mode != FetchMode::Auto {
                problems.push(format!(
                    "{at}: capability_ttl_s is only used with fetch_mode = \"auto\""
                ));
            }
            if s.max_retries > 5 {
                problems.push(format!("{at}: max_retries must be at most 5"));
            }
            if s.max_pages == 0 {
                problems.push(format!("{at}: max_pages must be at least 1"));
            }
            if s.max_body_bytes < 1024 {
                problems.push(format!("{at}: max_body_bytes must be at least 1024"));
            }
            for problem in s.auth.problems() {
                problems.push(format!("{at}: {problem}"));
            }
            match (s.api, &s.gp_connect) {
                (SourceApi::GpConnect, None) => problems.push(format!(
                    "{at}: api = \"gp-connect\" needs a [sources.gp_connect] table"
                )),
                (SourceApi::GpConnect, Some(gp_connect)) => {
                    for problem in gp_connect.problems() {
                        problems.push(format!("{at}: {problem}"));
                    }
                    if s.holds_objections == Some(true) {
                        problems.push(format!(
                            "{at}: holds_objections cannot be true for a GP Connect source: it holds no consent records to read (a patient's dissent there withholds only its own record)"
                        ));
                    }
                    if s.kind != SourceKind::Gp {
                        problems.push(format!("{at}: api = \"gp-connect\" needs kind = \"gp\""));
                    }
                }
                (SourceApi::FhirR4, Some(_)) => problems.push(format!(
                    "{at}: [sources.gp_connect] is only read with api = \"gp-connect\""
                )),
                (SourceApi::FhirR4, None) => {}
            }
            if s.holds_objections == Some(true) && s.api == SourceApi::FhirR4 && !s.reads_consent()
            {
                problems.push(format!(
                    "{at}: holds_objections = true needs \"Consent\" in resource_types, or objections held there are never read"
                ));
            }
            for t in &s.resource_types {
                if t.is_empty()
                    || !t.starts_with(|c: char| c.is_ascii_uppercase())
                    || !t.chars().all(|c| c.is_ascii_alphabetic())
                {
                    problems.push(format!(
                        "{at}: resource_types entry {t:?} is not a FHIR resource type name"
                    ));
                }
            }
        }
        problems
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ONE_SOURCE: &str = r#"
        [[identity.issuers]]
        id = "cis2"
        name = "NHS CIS2"
        issuer = "https://idp.example/realms/Healthcare"
        client_id = "portal"

        [[sources]]
        id = "gp"
        name = "A practice"
        organisation_code = "A83008"
        kind = "gp"
        base_url = "https://fhir.example.org/R4"
    "#;

    #[test]
    fn the_built_in_demo_config_is_valid() {
        let config = Config::demo().unwrap();
        // The four R4 sources and a second GP practice answering by GP Connect.
        let kinds: Vec<_> = config.sources.iter().map(|s| (s.kind, s.api)).collect();
        use SourceApi::*;
        use SourceKind::*;
        assert_eq!(
            kinds,
            [
                (Gp, FhirR4),
                (Gp, GpConnect),
                (Acute, FhirR4),
                (MentalHealth, FhirR4),
                (SocialCare, FhirR4)
            ]
        );
        assert!(config.sources.iter().all(SourceConfig::wants_demo_source));
        assert!(!config.sources[1].holds_objections());
        assert!(!config.sources[1].may_keep_stale());
    }

    #[test]
    fn defaults_fill_optional_keys() {
        let config = Config::from_toml(ONE_SOURCE, "t", Mode::Live).unwrap();
        let s = &config.sources[0];
        assert_eq!(s.timeout_ms, 5_000);
        assert_eq!(s.resource_types.len(), DEFAULT_RESOURCE_TYPES.len());
        assert_eq!(config.portal.addr.to_string(), "127.0.0.1:3000");
        assert_eq!(config.portal.max_search_candidates, 10);
        assert_eq!(
            (
                config.portal.header_read_timeout_s,
                config.portal.idle_timeout_s,
                config.portal.max_connections,
                config.cache.refresh_interval_s,
                config.identity.max_token_lifetime_s,
            ),
            (10, 60, 512, 30, 86_400)
        );
    }

    #[test]
    fn a_source_holds_objections_when_it_is_asked_for_consent_unless_told() {
        // (extra keys, holds objections)
        let table = [
            ("", true),
            ("resource_types = [\"Condition\"]", false),
            ("resource_types = [\"Condition\", \"Consent\"]", true),
            ("holds_objections = false", false),
            (
                "resource_types = [\"Condition\"]\nholds_objections = false",
                false,
            ),
        ];
        for (extra, holds) in table {
            let config = Config::from_toml(&format!("{ONE_SOURCE}\n{extra}"), "t", Mode::Live)
                .unwrap_or_else(|e| panic!("{extra}: {e}"));
            assert_eq!(config.sources[0].holds_objections(), holds, "{extra}");
        }
    }

    #[test]
    fn refuses_bad_configs_naming_the_key() {
        let cases: [(&str, &str); 24] = [
            ("", "missing field `sources`"),
            ("[[sources]]\nid = \"gp\"", "missing field `name`"),
            (
                &ONE_SOURCE.replace("kind = \"gp\"", "kind = \"dentist\""),
                "unknown variant `dentist`",
            ),
            (
                &ONE_SOURCE.replace("https://fhir.example.org/R4", "not a url"),
                "relative URL without a base",
            ),
            (
                &ONE_SOURCE.replace("https://fhir.example.org/R4", "ftp://x/y"),
                "base_url must be an http(s) URL",
            ),
            (
                &ONE_SOURCE.replace("https://fhir.example.org/R4", "http://127.0.0.1:0/fhir"),
                "only allowed in demo mode",
            ),
            (
                &format!("{ONE_SOURCE}\ntimeout_ms = 0"),
                "timeout_ms must be between",
            ),
            (
                &format!("{ONE_SOURCE}{ONE_SOURCE}"),
                "id is used by an earlier source",
            ),
            (
                &format!("{ONE_SOURCE}\ncolour = \"blue\""),
                "unknown field `colour`",
            ),
            (
                &ONE_SOURCE.replace("A83008", "A83 008"),
                "organisation_code must be an ODS code",
            ),
            (
                &format!("{ONE_SOURCE}\nfetch_mode = \"bulk\""),
                "unknown variant `bulk`",
            ),
            (
                &format!("[portal]\npublic_url = \"http://portal.example/\"\n{ONE_SOURCE}"),
                "public_url must be https outside loopback",
            ),
            (
                &format!("[portal]\nmax_search_candidates = 0\n{ONE_SOURCE}"),
                "portal.max_search_candidates must be between 1 and 50",
            ),
            (
                &format!("[permissions]\nadmin = [\"everything\"]\n{ONE_SOURCE}"),
                "unknown permission \"everything\"",
            ),
            (
                &ONE_SOURCE.replace(
                    "https://idp.example/realms/Healthcare",
                    "http://127.0.0.1:0/demo-idp",
                ),
                "demo identity provider lets anyone sign in",
            ),
            (
                &ONE_SOURCE.replace("[[identity.issuers]]", "[[identity.nope]]"),
                "unknown field `nope`",
            ),
            (
                &format!("{ONE_SOURCE}\nresource_types = [\"Condition\"]\nholds_objections = true"),
                "holds_objections = true needs \"Consent\"",
            ),
            (
                &format!("[portal]\nheader_read_timeout_s = 0\n{ONE_SOURCE}"),
                "portal.header_read_timeout_s must be between 1 and 300",
            ),
            (
                &format!("[portal]\nidle_timeout_s = 5\n{ONE_SOURCE}"),
                "portal.idle_timeout_s must be between 1 and 3600 and longer than portal.lookup_timeout_ms",
            ),
            (
                &format!("[portal]\nmax_connections = 0\n{ONE_SOURCE}"),
                "portal.max_connections must be between 1 and 100000",
            ),
            (
                &format!("[cache]\nrefresh_interval_s = 7200\n{ONE_SOURCE}"),
                "cache.refresh_interval_s must be at most 3600",
            ),
            (
                &format!("[documents]\nmax_bytes = 10\n{ONE_SOURCE}"),
                "documents.max_bytes must be between 1024 and",
            ),
            (
                &format!("[documents]\nmax_size = 10\n{ONE_SOURCE}"),
                "unknown field `max_size`",
            ),
            (
                &format!("[identity]\nmax_token_lifetime_s = 30\n{ONE_SOURCE}"),
                "identity.max_token_lifetime_s must be between 60 and 604800",
            ),
        ];
        for (toml, expected) in cases {
            let err = Config::from_toml(toml, "test.toml", Mode::Live)
                .unwrap_err()
                .to_string();
            assert!(err.contains(expected), "expected {expected:?} in {err}");
            assert!(err.contains("test.toml"), "error names the file: {err}");
        }
    }

    #[test]
    fn fetch_modes_and_the_one_wave_concurrency_default() {
        // (extra keys, mode, requests in flight)
        let table = [
            ("", FetchMode::Auto, DEFAULT_RESOURCE_TYPES.len() + 2),
            ("fetch_mode = \"search\"", FetchMode::Search, 16),
            ("fetch_mode = \"chained\"", FetchMode::Chained, 16),
            ("fetch_mode = \"batch\"", FetchMode::Batch, 16),
            ("fetch_mode = \"everything\"", FetchMode::Everything, 16),
            (
                "fetch_mode = \"auto\"\ncapability_ttl_s = 3600",
                FetchMode::Auto,
                16,
            ),
            (
                "resource_types = [\"Condition\", \"Consent\"]",
                FetchMode::Auto,
                4,
            ),
            ("max_concurrent_requests = 6", FetchMode::Auto, 6),
        ];
        for (extra, mode, concurrency) in table {
            let config = Config::from_toml(&format!("{ONE_SOURCE}\n{extra}"), "t", Mode::Live)
                .unwrap_or_else(|e| panic!("{extra}: {e}"));
            let s = &config.sources[0];
            assert_eq!(
                (s.fetch_mode, s.concurrency()),
                (mode, concurrency),
                "{extra}"
            );
        }
        for (extra, expected) in [
            (
                "max_concurrent_requests = 0",
                "max_concurrent_requests must be between 1 and 64",
            ),
            (
                "max_concurrent_requests = 65",
                "max_concurrent_requests must be between 1 and 64",
            ),
            (
                "capability_ttl_s = 5",
                "capability_ttl_s must be between 60 and 604800",
            ),
            (
                "fetch_mode = \"search\"\ncapability_ttl_s = 600",
                "capability_ttl_s is only used with fetch_mode = \"auto\"",
            ),
            ("fetch_mode = \"chain\"", "unknown variant `chain`"),
        ] {
            let err = Config::from_toml(&format!("{ONE_SOURCE}\n{extra}"), "t.toml", Mode::Live)
                .unwrap_err()
                .to_string();
            assert!(err.contains(expected), "expected {expected:?} in {err}");
            assert!(
                err.contains("sources[0]") || err.contains("fetch_mode"),
                "{err}"
            );
        }
    }

    #[test]
    fn trusted_proxies_are_networks_or_single_addresses() {
        let config = Config::from_toml(ONE_SOURCE, "t", Mode::Live).unwrap();
        assert!(config.portal.trusted_proxies.is_empty(), "none by default");
        // (value, networks)
        let good: [(&str, &[&str]); 4] = [
            ("[]", &[]),
            (r#"["10.0.0.0/8"]"#, &["10.0.0.0/8"]),
            (
                r#"["10.0.0.0/8", "127.0.0.1/32", "::1/128"]"#,
                &["10.0.0.0/8", "127.0.0.1/32", "::1/128"],
            ),
            (
                r#"["172.18.0.2", "fd00::1"]"#,
                &["172.18.0.2/32", "fd00::1/128"],
            ),
        ];
        for (value, networks) in good {
            let toml = format!("[portal]\ntrusted_proxies = {value}\n{ONE_SOURCE}");
            let config = Config::from_toml(&toml, "t", Mode::Live)
                .unwrap_or_else(|e| panic!("{value}: {e}"));
            let read: Vec<String> = config
                .portal
                .trusted_proxies
                .iter()
                .map(|n| n.network().to_string())
                .collect();
            assert_eq!(read, networks, "{value}");
        }
        // (value, in the message)
        let bad = [
            (
                r#"["10.0.0.0/8", "proxy.internal"]"#,
                r#"portal.trusted_proxies entry "proxy.internal" is not an IP network"#,
            ),
            (
                r#"["10.0.0.0/33"]"#,
                r#"portal.trusted_proxies entry "10.0.0.0/33" is not an IP network"#,
            ),
            (
                r#"["10.0.0.1:8080"]"#,
                r#"portal.trusted_proxies entry "10.0.0.1:8080" is not an IP network"#,
            ),
            (
                r#"["10.1.0.0/8"]"#,
                r#"portal.trusted_proxies entry "10.1.0.0/8" has host bits set: the network is 10.0.0.0/8"#,
            ),
            (
                r#"["0.0.0.0/0"]"#,
                r#"portal.trusted_proxies entry "0.0.0.0/0" trusts every address"#,
            ),
            (r#""10.0.0.0/8""#, "invalid type: string"),
            ("[8]", "invalid type: integer"),
        ];
        for (value, expected) in bad {
            let toml = format!("[portal]\ntrusted_proxies = {value}\n{ONE_SOURCE}");
            let err = Config::from_toml(&toml, "test.toml", Mode::Live)
                .unwrap_err()
                .to_string();
            assert!(err.contains(expected), "expected {expected:?} in {err}");
            assert!(err.contains("test.toml") && err.contains("line 2"), "{err}");
        }
    }

    #[test]
    fn a_corrupt_line_is_reported_with_its_position() {
        let err = Config::from_toml("[[sources]]\nid = \"gp\nname = 1", "bad.toml", Mode::Live)
            .unwrap_err()
            .to_string();
        assert!(err.contains("line 2"), "{err}");
    }
}
