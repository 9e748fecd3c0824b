//! `[identity]` in the config: trusted OpenID Connect issuers, sessions, token checks, and how
//! identity-provider roles map to portal roles. Validated with the rest of the config.

use crate::ratelimit::RateLimit;
use crate::secret::Secret;
use app::auth::Role;
use serde::Deserialize;
use std::time::Duration;
use url::Url;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct IdentityConfig {
    /// Staff trusted to sign in come from these issuers (several may be configured).
    pub issuers: Vec<IssuerConfig>,
    /// A session ends after this many seconds without a request (default 900: 15 minutes).
    pub session_idle_s: u64,
    /// ... and this many seconds after sign-in whatever happens (default 43200: 12 hours).
    pub session_max_s: u64,
    /// Clock skew allowed on `exp` and `nbf` (default 60 seconds).
    pub leeway_seconds: u64,
    /// Longer tokens are refused before they are parsed (default 8 KiB).
    pub max_token_bytes: usize,
    /// A token whose `exp` is further ahead than this is refused (default 86400: 24 hours).
    pub max_token_lifetime_s: u64,
    /// An unknown key id refreshes an issuer's JWKS at most this often (default 60 seconds).
    pub jwks_min_refresh_seconds: u64,
    /// Claim holding portal role names directly (default `portal_roles`), e.g. `["admin"]`.
    pub role_claim: String,
    /// National RBAC role codes (CIS2 `nhsid_nrbac_roles`) that grant a portal role.
    pub rbac_roles: Vec<RbacRoleMapping>,
    /// Sign-in attempts per client address.
    pub sign_in_rate: RateLimit,
    /// Patient lookups and searches per signed-in user.
    pub lookup_rate: RateLimit,
}

impl Default for IdentityConfig {
    fn default() -> Self {
        Self {
            issuers: Vec::new(),
            session_idle_s: 15 * 60,
            session_max_s: 12 * 3600,
            leeway_seconds: 60,
            max_token_bytes: 8 * 1024,
            max_token_lifetime_s: 24 * 3600,
            jwks_min_refresh_seconds: 60,
            role_claim: "portal_roles".to_owned(),
            rbac_roles: Vec::new(),
            sign_in_rate: RateLimit {
                per_minute: 20,
                burst: 10,
            },
            lookup_rate: RateLimit {
                per_minute: 120,
                burst: 30,
            },
        }
    }
}

/// One trusted OpenID Connect provider.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IssuerConfig {
    /// Short stable identifier (`[a-z0-9-]`), used in sign-in links and audit.
    pub id: String,
    /// Shown on the sign-in button.
    pub name: String,
    /// The `iss` value, exactly as the provider writes it. Port 0 on loopback means the
    /// built-in demo identity provider (demo mode only). Kept as text: `iss` is compared exactly.
    pub issuer: String,
    /// The portal's client id at this provider; tokens must be for it (`aud`).
    pub client_id: String,
    /// Confidential client secret (`env:NAME` to read it from the environment).
    #[serde(default)]
    pub client_secret: Option<Secret>,
    /// Extra audiences accepted on bearer tokens for the JSON API.
    #[serde(default)]
    pub api_audiences: Vec<String>,
    /// Signing algorithms accepted; only asymmetric ones are allowed.
    #[serde(default = "default_algorithms")]
    pub algorithms: Vec<String>,
    /// Overrides the `jwks_uri` found through discovery.
    #[serde(default)]
    pub jwks_uri: Option<Url>,
    /// Scopes asked for at sign-in.
    #[serde(default = "default_scopes")]
    pub scopes: Vec<String>,
}

/// `code = "R8000"` (the R segment of a CIS2 `role_code`) held at one of `organisations`
/// (any organisation when empty) grants `role`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RbacRoleMapping {
    pub code: String,
    pub role: Role,
    #[serde(default)]
    pub organisations: Vec<String>,
}

fn default_algorithms() -> Vec<String> {
    ["RS256", "ES256", "PS256"].map(str::to_owned).to_vec()
}

fn default_scopes() -> Vec<String> {
    ["openid", "profile", "nationalrbacaccess", "selectedrole"]
        .map(str::to_owned)
        .to_vec()
}

/// The asymmetric algorithms a configuration may name.
pub const ALLOWED_ALGORITHMS: [&str; 9] = [
    "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "EdDSA",
];

impl IssuerConfig {
    /// True when the built-in demo identity provider is to serve this issuer (port 0).
    pub fn wants_demo_idp(&self) -> bool {
        self.issuer_url().is_some_and(|u| u.port() == Some(0))
    }

    pub fn issuer_url(&self) -> Option<Url> {
        Url::parse(&self.issuer).ok()
    }

    /// Where the provider publishes its metadata (OpenID Connect Discovery 1.0, section 4).
    pub fn discovery_url(&self) -> Option<Url> {
        let base = self.issuer.trim_end_matches('/');
        Url::parse(&format!("{base}/.well-known/openid-configuration")).ok()
    }

    /// Audiences a token from this issuer may carry.
    pub fn audiences(&self) -> Vec<String> {
        std::iter::once(self.client_id.clone())
            .chain(self.api_audiences.iter().cloned())
            .collect()
    }
}

impl IdentityConfig {
    pub fn idle_timeout(&self) -> Duration {
        Duration::from_secs(self.session_idle_s)
    }

    pub fn max_lifetime(&self) -> Duration {
        Duration::from_secs(self.session_max_s)
    }

    pub fn leeway(&self) -> Duration {
        Duration::from_secs(self.leeway_seconds)
    }

    /// What is wrong with this section; `demo` is true in demo mode.
    pub fn problems(&self, demo: bool) -> Vec<String> {
        let mut problems = Vec::new();
        if self.issuers.is_empty() {
            problems.push(
                "identity: no [[identity.issuers]] are configured, so no one could sign in"
                    .to_owned(),
            );
        }
        if !(1..=24 * 3600).contains(&self.session_idle_s) {
            problems.push("identity.session_idle_s must be between 1 and 86400".to_owned());
        }
        if !(self.session_idle_s..=24 * 3600).contains(&self.session_max_s) {
            problems
                .push("identity.session_max_s must be between session_idle_s and 86400".to_owned());
        }
        if self.leeway_seconds > 300 {
            problems.push("identity.leeway_seconds must be at most 300".to_owned());
        }
        if !(1024..=64 * 1024).contains(&self.max_token_bytes) {
            problems.push("identity.max_token_bytes must be between 1024 and 65536".to_owned());
        }
        if !(60..=7 * 24 * 3600).contains(&self.max_token_lifetime_s) {
            problems.push("identity.max_token_lifetime_s must be between 60 and 604800".to_owned());
        }
        if self.role_claim.is_empty() {
            problems.push("identity.role_claim must not be empty".to_owned());
        }
        for (name, limit) in [
            ("identity.sign_in_rate", &self.sign_in_rate),
            ("identity.lookup_rate", &self.lookup_rate),
        ] {
            if let Err(problem) = limit.validate(name) {
                problems.push(problem);
            }
        }
        for (i, m) in self.rbac_roles.iter().enumerate() {
            let valid = m.code.len() >= 2
                && m.code.starts_with('R')
                && m.code[1..].bytes().all(|b| b.is_ascii_digit());
            if !valid {
                problems.push(format!(
                    "identity.rbac_roles[{i}]: code {:?} is not a national RBAC role code such as R8000",
                    m.code
                ));
            }
        }
        for (i, issuer) in self.issuers.iter().enumerate() {
            let at = format!("identity.issuers[{i}] (id {:?})", issuer.id);
            if issuer.id.is_empty()
                || !issuer
                    .id
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            {
                problems.push(format!(
                    "{at}: id must be lower-case letters, digits and '-'"
                ));
            }
            if self.issuers[..i].iter().any(|o| o.id == issuer.id) {
                problems.push(format!("{at}: id is used by an earlier issuer"));
            }
            if self.issuers[..i].iter().any(|o| o.issuer == issuer.issuer) {
                problems.push(format!("{at}: issuer is configured twice"));
            }
            if issuer.client_id.is_empty() {
                problems.push(format!("{at}: client_id must not be empty"));
            }
            if issuer.wants_demo_idp() && !demo {
                problems.push(format!(
                    "{at}: issuer port 0 (the built-in demo identity provider) is only allowed in demo mode"
                ));
            }
            match issuer.issuer_url() {
                None => problems.push(format!("{at}: issuer must be a URL")),
                Some(url) => {
                    let loopback =
                        matches!(url.host_str(), Some("127.0.0.1" | "localhost" | "[::1]"));
                    if url.scheme() != "https" && !(loopback && url.scheme() == "http") {
                        problems.push(format!("{at}: issuer must be an https URL"));
                    }
                }
            }
            if issuer.algorithms.is_empty() {
                problems.push(format!("{at}: algorithms must name at least one algorithm"));
            }
            for alg in &issuer.algorithms {
                if !ALLOWED_ALGORITHMS.contains(&alg.as_str()) {
                    problems.push(format!(
                        "{at}: algorithm {alg:?} is not allowed (asymmetric only: {})",
                        ALLOWED_ALGORITHMS.join(", ")
                    ));
                }
            }
            if !issuer.scopes.iter().any(|s| s == "openid") {
                problems.push(format!("{at}: scopes must include \"openid\""));
            }
        }
        problems
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn issuer(toml_text: &str) -> IssuerConfig {
        toml::from_str(toml_text).unwrap()
    }

    #[test]
    fn demo_issuer_only_in_demo_mode_and_symmetric_algorithms_refused() {
        let demo = issuer(
            "id = \"demo\"\nname = \"Demo\"\nissuer = \"http://127.0.0.1:0/demo-idp\"\nclient_id = \"portal\"",
        );
        let config = IdentityConfig {
            issuers: vec![demo],
            ..Default::default()
        };
        assert!(
            config.problems(true).is_empty(),
            "{:?}",
            config.problems(true)
        );
        let live = config.problems(false);
        assert!(
            live.iter().any(|p| p.contains("only allowed in demo mode")),
            "{live:?}"
        );

        let hs = issuer(
            "id = \"x\"\nname = \"X\"\nissuer = \"https://idp.example\"\nclient_id = \"p\"\nalgorithms = [\"HS256\", \"none\"]",
        );
        let plain =
            issuer("id = \"y\"\nname = \"Y\"\nissuer = \"http://idp.example\"\nclient_id = \"p\"");
        let config = IdentityConfig {
            issuers: vec![hs, plain],
            rbac_roles: vec![RbacRoleMapping {
                code: "8000".into(),
                role: Role::AeClinician,
                organisations: vec![],
            }],
            session_idle_s: 0,
            max_token_lifetime_s: 10,
            ..Default::default()
        };
        let problems = config.problems(false);
        for expected in [
            "algorithm \"HS256\" is not allowed",
            "algorithm \"none\" is not allowed",
            "issuer must be an https URL",
            "code \"8000\" is not a national RBAC role code",
            "session_idle_s must be between 1 and 86400",
            "max_token_lifetime_s must be between 60 and 604800",
        ] {
            assert!(
                problems.iter().any(|p| p.contains(expected)),
                "{expected}: {problems:?}"
            );
        }
    }

    #[test]
    fn discovery_url_keeps_the_issuer_path() {
        let i = issuer(
            "id = \"x\"\nname = \"X\"\nissuer = \"https://idp.example/realms/Healthcare\"\nclient_id = \"p\"",
        );
        assert_eq!(
            i.discovery_url().unwrap().as_str(),
            "https://idp.example/realms/Healthcare/.well-known/openid-configuration"
        );
        assert_eq!(i.audiences(), vec!["p".to_owned()]);
    }
}
