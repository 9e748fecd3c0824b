//! The application state: every service the portal serves from, built once by [`crate::run`]
//! and handed to [`super::router`], and the smaller axum states each part of the router is
//! given from it.

use super::access::Guard;
use crate::audit::workspace::AuditDesk;
use crate::audit::AuditTrail;
use crate::auth::oidc::SignInState;
use crate::auth::Identity;
use crate::config::Config;
use crate::demo::idp::DemoIdp;
use crate::documents::DocumentsConfig;
use crate::ratelimit::RateLimits;
use crate::viewing::RecordDesk;
use app::operations::SharedOperationsService;
use std::sync::Arc;

/// Everything the portal serves from.
pub struct AppState {
    /// The validated configuration (site root, request limits, sign-in options, documents).
    pub config: Config,
    /// Opening records: behind the record pages, their server functions and the JSON API.
    pub records: Arc<RecordDesk>,
    /// Searching, reviewing and exporting the audit trail, behind the audit pages and the
    /// export route.
    pub audit_workspace: Arc<AuditDesk>,
    /// Child-protection notification delivery, behind the operations page.
    pub operations: SharedOperationsService,
    /// Where every access, sign-in and refusal is recorded.
    pub audit: AuditTrail,
    /// Who is asking and what they may do.
    pub identity: Arc<Identity>,
    /// Sign-in attempts per client address, patient lookups per user.
    pub limits: Arc<RateLimits>,
    /// The built-in identity provider, when demo mode started one.
    pub demo_idp: Option<Arc<DemoIdp>>,
}

/// State shared by the JSON API handlers.
#[derive(Clone)]
pub struct ApiState {
    pub records: Arc<RecordDesk>,
    /// The audit officer's export.
    pub audit_workspace: Arc<AuditDesk>,
    /// How large a document is shown (`[documents]`).
    pub documents: DocumentsConfig,
}

impl AppState {
    /// The JSON API's state.
    pub fn api(&self) -> ApiState {
        ApiState {
            records: self.records.clone(),
            audit_workspace: self.audit_workspace.clone(),
            documents: self.config.documents.clone(),
        }
    }

    /// The readiness probe's state.
    pub fn readiness(&self) -> super::ready::Readiness {
        super::ready::Readiness {
            audit: self.audit.clone(),
            sources: self.config.sources.len(),
            identity: self.identity.clone(),
        }
    }

    /// The access layer's state.
    pub fn guard(&self) -> Guard {
        Guard {
            identity: self.identity.clone(),
            audit: self.audit.clone(),
            limits: self.limits.clone(),
            demo_idp: self.demo_idp.is_some(),
        }
    }

    /// The sign-in routes' state.
    pub fn sign_in(&self) -> SignInState {
        SignInState {
            identity: self.identity.clone(),
            audit: self.audit.clone(),
            limits: self.limits.clone(),
        }
    }
}
