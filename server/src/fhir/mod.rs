//! Reading FHIR R4 JSON leniently: bundles, the few resource fields the timeline needs, and their
//! normalisation into the shared timeline model. One malformed resource is skipped and counted;
//! it never loses the rest of the bundle.

pub mod bundle;
pub mod consent;
pub mod datatypes;
pub mod document;
pub mod labels;
pub mod normalise;
pub mod patient;
pub mod resource;

pub use bundle::{Bundle, BundleError};
pub use normalise::{normalise, SkipReason};
pub use resource::Resource;
