//! Routed pages: each reads its parameters, asks a server function, and hands data to components.
//!
//! The audit and admin pages are hydrated whole by the office bundle; the clinicians' pages
//! are Leptos islands (see `crate::shell`).

mod admin;
mod audit;
mod audit_reports;
mod choose_role;
mod lookup;
mod not_found;
mod record;
mod search;
mod sign_in;
mod trends;

pub use admin::AdminPage;
pub use audit::AuditPage;
pub use audit_reports::{PatientAccessPage, ReportsPage};
pub use choose_role::ChooseRolePage;
pub use lookup::LookupPage;
pub use not_found::NotFound;
pub use record::RecordPage;
pub use search::SearchPage;
pub use sign_in::SignInPage;
pub use trends::TrendsPage;
