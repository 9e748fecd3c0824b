//! Access policy, decided on the server only: which role may do and see what
//! ([`permissions`]), and the one decision function for opening a record and seeing each item
//! of it: legitimate basis, patient dissent, restricted labels, sensitive codes ([`decide`]);
//! and the gate every item of a record passes, judged and then audited, on its way to a person
//! ([`gate`]).

pub mod decide;
pub mod gate;
pub mod permissions;

pub use decide::{
    decide, labels_withhold, ConsentPolicy, ConsentState, Decision, Refusal, Withheld,
};
pub use permissions::{shows, PermissionMatrix};
