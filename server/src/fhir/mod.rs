//! Reading FHIR R4 JSON leniently: bundles, each supported resource type by its own
//! definition, and their normalisation into the shared timeline model. One malformed resource
//! is skipped and counted; it never loses the rest of the bundle.

pub mod bundle;
pub mod clinical;
pub mod consent;
pub mod datatypes;
pub mod document;
pub mod labels;
pub mod normalise;
pub mod patient;
pub mod resource;

pub use bundle::{Bundle, BundleError};
pub use normalise::{normalise, read, Read, SkipReason};
pub use resource::{resource_type, Bundled, ResourceType};
