//! Access policy, decided on the server only: which role may do and see what
//! ([`permissions`]). Consent and sensitivity rules will join it here.

pub mod permissions;

pub use permissions::{shows, PermissionMatrix};
