//! Routed pages: each reads its parameters, asks a server function, and hands data to components.
//!
//! The audit and admin pages are compiled only with the `office` feature (the server and the
//! office bundle); the clinicians' bundle routes those paths to [`elsewhere::OfficePage`],
//! which loads them from the server with the office bundle.

#[cfg(feature = "office")]
mod admin;
#[cfg(feature = "office")]
mod audit;
#[cfg(feature = "office")]
mod audit_reports;
mod choose_role;
#[cfg(not(feature = "office"))]
mod elsewhere;
mod lookup;
mod not_found;
mod record;
mod search;
mod sign_in;
mod trends;

#[cfg(feature = "office")]
pub use admin::AdminPage;
#[cfg(feature = "office")]
pub use audit::AuditPage;
#[cfg(feature = "office")]
pub use audit_reports::{PatientAccessPage, ReportsPage};
pub use choose_role::ChooseRolePage;
#[cfg(not(feature = "office"))]
pub use elsewhere::{
    OfficePage as AdminPage, OfficePage as AuditPage, OfficePage as PatientAccessPage,
    OfficePage as ReportsPage,
};
pub use lookup::LookupPage;
pub use not_found::NotFound;
pub use record::RecordPage;
pub use search::SearchPage;
pub use sign_in::SignInPage;
pub use trends::TrendsPage;
