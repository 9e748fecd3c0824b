//! Routed pages: each reads its parameters, asks a server function, and hands data to components.

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
