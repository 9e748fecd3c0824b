//! The audit officer's side of the boundary: the emergency-access review queue, marking an
//! access reviewed, and checking the audit trail's hash chain. Refused on the server to every
//! role without the `audit` permission.

use crate::api::LookupError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
use crate::api::current_caller;
#[cfg(feature = "ssr")]
pub use service::*;

/// One audit event as the workspace shows it (no clinical content is ever in one).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditRow {
    pub seq: i64,
    /// RFC 3339, UTC, milliseconds.
    pub at: String,
    /// The same instant in UK local time with its zone (`3 Dec 2026 14:03:27 GMT`).
    pub at_local: String,
    pub kind: String,
    pub user_id: String,
    pub user_name: String,
    pub role: Option<String>,
    pub organisation: Option<String>,
    pub nhs_number: Option<String>,
    pub basis: Option<String>,
    pub reason: Option<String>,
    pub outcome: String,
    /// Which rule refused it, when the outcome is `refused`.
    pub refusal: Option<crate::audit_terms::RefusalKind>,
    pub detail: Option<String>,
    pub sources: Vec<String>,
}

/// What the audit officer searches for; empty fields match anything.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct AuditQuery {
    /// User id, exact.
    pub user: String,
    pub nhs_number: String,
    /// ODS code of the user's organisation.
    pub organisation: String,
    /// Portal role (`ae-clinician`...).
    pub role: String,
    /// Basis code (`emergency`...).
    pub basis: String,
    /// `success`, `refused` or `failed`.
    pub outcome: String,
    /// A kind of refusal (`dissent`...): only refusals of that kind.
    pub refusal: String,
    /// Event kind (`record-view`...).
    pub kind: String,
    /// From this UK local date (`YYYY-MM-DD`) or RFC 3339 date-time, inclusive.
    pub from: String,
    /// Up to this UK local date (the whole day) or date-time, inclusive.
    pub to: String,
    /// Keyset paging: only events older than this sequence number.
    pub before: Option<i64>,
    /// Page size (1 to 200; default 50).
    pub limit: Option<u32>,
}

/// One page of results, newest first, and where the next (older) page starts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditResults {
    pub rows: Vec<AuditRow>,
    pub older: Option<i64>,
}

/// An emergency access and the review that closed it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewedAccess {
    pub access: AuditRow,
    pub reviewer_id: String,
    pub reviewer_name: String,
    pub note: String,
    /// RFC 3339, UTC, milliseconds.
    pub reviewed_at: String,
    /// UK local time with its zone.
    pub reviewed_at_local: String,
}

/// The emergency accesses reviewed in a period (UK dates), newest review first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewHistory {
    pub from: String,
    pub to: String,
    pub reviews: Vec<ReviewedAccess>,
    /// True when the period holds more reviews than one page shows.
    pub more: bool,
}

/// What checking the chain found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ChainCheck {
    Intact { events: u64 },
    Broken { seq: i64, reason: String },
}

/// Searches the audit trail, newest first, a page at a time (itself audited).
#[server(prefix = "/sfn", endpoint = "audit-search")]
pub async fn search_audit(query: AuditQuery) -> Result<AuditResults, LookupError> {
    let search = async { audit_service()?.search(&current_caller()?, query).await };
    crate::api::with_status(search.await)
}

/// What the search form offers to pick from (roles, configured bases, kinds, outcomes and
/// kinds of refusal), each with the words people read.
#[server(prefix = "/sfn", endpoint = "audit-choices")]
pub async fn audit_search_choices() -> Result<crate::audit_terms::SearchChoices, LookupError> {
    let choices = async { audit_service()?.search_choices(&current_caller()?) };
    crate::api::with_status(choices.await)
}

/// Emergency accesses nobody has reviewed yet, newest first.
#[server(prefix = "/sfn", endpoint = "audit-reviews")]
pub async fn emergency_reviews() -> Result<Vec<AuditRow>, LookupError> {
    let reviews = async { audit_service()?.pending_reviews(&current_caller()?).await };
    crate::api::with_status(reviews.await)
}

/// Emergency accesses reviewed in a period (`query`'s UK dates; the last 30 days when empty),
/// with who reviewed each, when and their note (itself audited).
#[server(prefix = "/sfn", endpoint = "audit-reviewed")]
pub async fn reviewed_emergency_accesses(
    query: crate::reports::ReportQuery,
) -> Result<ReviewHistory, LookupError> {
    let history = async { audit_service()?.reviewed(&current_caller()?, query).await };
    crate::api::with_status(history.await)
}

/// Marks emergency access `seq` reviewed, with the reviewer's note (itself audited).
#[server(prefix = "/sfn", endpoint = "audit-review")]
pub async fn review_emergency_access(seq: i64, note: String) -> Result<(), LookupError> {
    let review = async { audit_service()?.review(&current_caller()?, seq, note).await };
    crate::api::with_status(review.await)
}

/// Walks the whole hash chain and names the first broken link, if any.
#[server(prefix = "/sfn", endpoint = "audit-verify")]
pub async fn verify_audit_chain() -> Result<ChainCheck, LookupError> {
    let verify = async { audit_service()?.verify(&current_caller()?).await };
    crate::api::with_status(verify.await)
}

#[cfg(feature = "ssr")]
mod service {
    use super::{AuditQuery, AuditResults, AuditRow, ChainCheck};
    use crate::api::LookupError;
    use crate::auth::Caller;
    use futures::future::BoxFuture;
    use std::sync::Arc;

    /// What the server provides to the audit workspace.
    pub trait AuditService: Send + Sync + 'static {
        fn search<'a>(
            &'a self,
            caller: &'a Caller,
            query: AuditQuery,
        ) -> BoxFuture<'a, Result<AuditResults, LookupError>>;
        fn search_choices(
            &self,
            caller: &Caller,
        ) -> Result<crate::audit_terms::SearchChoices, LookupError>;
        fn pending_reviews<'a>(
            &'a self,
            caller: &'a Caller,
        ) -> BoxFuture<'a, Result<Vec<AuditRow>, LookupError>>;
        fn reviewed<'a>(
            &'a self,
            caller: &'a Caller,
            query: crate::reports::ReportQuery,
        ) -> BoxFuture<'a, Result<super::ReviewHistory, LookupError>>;
        fn review<'a>(
            &'a self,
            caller: &'a Caller,
            seq: i64,
            note: String,
        ) -> BoxFuture<'a, Result<(), LookupError>>;
        fn verify<'a>(
            &'a self,
            caller: &'a Caller,
        ) -> BoxFuture<'a, Result<ChainCheck, LookupError>>;
        fn access_report<'a>(
            &'a self,
            caller: &'a Caller,
            query: crate::reports::ReportQuery,
        ) -> BoxFuture<'a, Result<crate::reports::AccessReport, LookupError>>;
        fn patient_access<'a>(
            &'a self,
            caller: &'a Caller,
            nhs_number: String,
        ) -> BoxFuture<'a, Result<crate::reports::PatientAccessReport, LookupError>>;
    }

    /// The handle the server puts into Leptos context.
    pub type SharedAuditService = Arc<dyn AuditService>;

    pub(crate) fn audit_service() -> Result<SharedAuditService, LookupError> {
        leptos::prelude::use_context::<SharedAuditService>()
            .ok_or(LookupError::Unavailable(crate::api::Outage::NotConfigured))
    }
}
