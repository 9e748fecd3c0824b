//! Routed pages: each reads its parameters, asks a server function, and hands data to components.

mod lookup;
mod not_found;
mod record;
mod search;

pub use lookup::LookupPage;
pub use not_found::NotFound;
pub use record::RecordPage;
pub use search::SearchPage;
