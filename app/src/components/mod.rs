//! Presentational components: they take plain model values and render them; no server calls
//! (but the entry panel, which fetches the one entry it is opened on).

mod banner;
mod charts;
mod consent;
mod detail_panel;
mod identity;
mod lookup_form;
mod lookup_progress;
mod search_form;
mod source_status;
mod summary;
mod timeline;
mod timeline_filters;
mod trend_chart;
mod warnings;

pub use banner::{PatientBanner, RECORD_HEADING_ID};
pub use charts::{Bar, BarChart};
pub use consent::{BasisBanner, BasisForm, ConsentUnknownPage, DissentPage, WithheldList};
pub use detail_panel::{entry_panel_mounted, provide_entry_panel, EntryPanel, OpenEntryButton};
pub use identity::IdentityPanel;
pub use lookup_form::LookupForm;
pub use lookup_progress::SourcesBeingAsked;
pub use search_form::PatientSearchForm;
pub use source_status::SourceStatusList;
pub use summary::{is_restricted, RecordSummary};
pub use timeline::Timeline;
pub use trend_chart::{incomplete_sources, LatestVitals, TrendChart};
pub use warnings::RecordWarnings;
