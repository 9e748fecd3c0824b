//! Access policy, decided on the server only: which role may do and see what
//! ([`permissions`]), and the one decision function for opening a record and seeing each item
//! of it: legitimate basis, patient dissent, restricted labels, sensitive codes ([`decide`]).

pub mod decide;
pub mod permissions;

pub use decide::{
    decide, labels_withhold, ConsentPolicy, ConsentState, Decision, Refusal, Withheld,
};
pub use permissions::{shows, PermissionMatrix};
