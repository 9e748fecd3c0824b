//! Presentational components: they take plain model values and render them; no server calls.

mod banner;
mod lookup_form;
mod source_status;
mod timeline;

pub use banner::PatientBanner;
pub use lookup_form::LookupForm;
pub use source_status::SourceStatusList;
pub use timeline::Timeline;
