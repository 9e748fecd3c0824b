//! Staff identity: verifying tokens from trusted OpenID Connect issuers ([`verify`], [`keys`]),
//! mapping their claims to portal roles ([`roles`]), browser sessions ([`session`]) and the
//! sign-in flow ([`oidc`]). [`Identity`] holds it all; [`Principal`] is who made a request.

pub mod config;
pub mod keys;
pub mod oidc;
pub mod roles;
pub mod session;
pub mod verify;

pub use config::IdentityConfig;

use crate::policy::PermissionMatrix;
use crate::shared_store::SharedStore;
use app::auth::Viewer;
use roles::RoleGrant;
use session::{Session, SessionError, SessionStore, StaffUser};
use url::Url;
use verify::{TokenError, Verifier};

/// Everything the portal needs to know who is asking and what they may do.
pub struct Identity {
    pub config: IdentityConfig,
    pub verifier: Verifier,
    pub sessions: SessionStore,
    pub permissions: PermissionMatrix,
    /// Seals sign-ins in progress into the browser's login cookie (nothing kept here).
    pub logins: oidc::LoginCookies,
    /// The portal's own address as browsers see it (redirect URI, cookie security).
    pub public_url: Url,
    /// True when `public_url` was derived from the listener, not configured: then a request's
    /// `Host` also names the portal's origin for the CSRF check.
    pub origin_from_host: bool,
    http: reqwest::Client,
}

/// Who made a request, resolved once by the identity layer.
#[derive(Debug, Clone)]
pub enum Principal {
    Anonymous,
    /// A browser session; `viewer` is `None` until a role is chosen.
    Session {
        id: String,
        session: Box<Session>,
        viewer: Option<Viewer>,
    },
    /// A machine client with a verified bearer token.
    Bearer {
        viewer: Viewer,
    },
}

impl Principal {
    /// The viewer acting in a chosen role, if any.
    pub fn viewer(&self) -> Option<&Viewer> {
        match self {
            Self::Anonymous => None,
            Self::Session { viewer, .. } => viewer.as_ref(),
            Self::Bearer { viewer } => Some(viewer),
        }
    }
}

/// Why a bearer token gives no viewer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BearerError {
    #[error(transparent)]
    Token(#[from] TokenError),
    #[error("the token grants no role in this portal")]
    NoRole,
    #[error(
        "the token grants several roles; ask for a token with a selected role (selected_roleid)"
    )]
    SeveralRoles,
}

impl Identity {
    pub async fn new(
        config: IdentityConfig,
        permissions: PermissionMatrix,
        public_url: Url,
        http: reqwest::Client,
        shared: &SharedStore,
    ) -> Result<Self, oidc::KeyError> {
        Ok(Self {
            verifier: Verifier::new(&config, http.clone()),
            sessions: SessionStore::new(shared, config.idle_timeout(), config.max_lifetime()),
            logins: oidc::LoginCookies::new(shared).await?,
            permissions,
            public_url,
            origin_from_host: true,
            http,
            config,
        })
    }

    /// Cookies get `Secure` when browsers reach the portal over TLS.
    pub fn secure_cookies(&self) -> bool {
        self.public_url.scheme() == "https"
    }

    /// The session cookie's name (`__Host-` prefixed when it can be Secure).
    pub fn session_cookie(&self) -> &'static str {
        if self.secure_cookies() {
            "__Host-scr_session"
        } else {
            "scr_session"
        }
    }

    /// The live session `id` and its viewer, once it has an active role; `None` when there is
    /// no such live session.
    pub async fn session_principal(&self, id: &str) -> Result<Option<Principal>, SessionError> {
        let session = match self.sessions.touch(id).await {
            Ok(session) => session,
            Err(SessionError::NoSession) => return Ok(None),
            Err(other) => return Err(other),
        };
        let viewer = self.viewer(&session.user, session.active, &session.csrf_token);
        Ok(Some(Principal::Session {
            id: id.to_owned(),
            session: Box::new(session),
            viewer,
        }))
    }

    /// Verifies a bearer token and takes its one role.
    pub async fn bearer_principal(&self, token: &str) -> Result<Principal, BearerError> {
        let verified = self
            .verifier
            .verify(token, verify::TokenUse::Bearer)
            .await?;
        let grants = roles::grants(&verified.claims, &self.config);
        let user = StaffUser {
            user_id: verified.claims.user_id().to_owned(),
            name: verified.claims.name.clone().unwrap_or_default(),
            issuer_id: verified.issuer_id,
            grants,
        };
        match user.grants.len() {
            0 => Err(BearerError::NoRole),
            1 => {
                let viewer = self.viewer(&user, Some(0), "").ok_or(BearerError::NoRole)?;
                Ok(Principal::Bearer { viewer })
            }
            _ => Err(BearerError::SeveralRoles),
        }
    }

    /// The viewer for `user` acting in grant `active`.
    fn viewer(&self, user: &StaffUser, active: Option<usize>, csrf: &str) -> Option<Viewer> {
        let grant: &RoleGrant = user.grants.get(active?)?;
        Some(Viewer {
            user_id: user.user_id.clone(),
            name: user.name.clone(),
            role: grant.role,
            organisation: grant.organisation.clone(),
            other_roles: user.grants.len().saturating_sub(1),
            permissions: self.permissions.permissions(grant.role),
            csrf_token: csrf.to_owned(),
        })
    }

    /// The roles a session may choose from.
    pub fn role_choices(session: &Session) -> Vec<app::auth::RoleChoice> {
        session
            .user
            .grants
            .iter()
            .map(|g| app::auth::RoleChoice {
                role: g.role,
                organisation: g.organisation.clone(),
            })
            .collect()
    }

    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }
}
