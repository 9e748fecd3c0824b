//! The shared care record viewer's user interface and its server-function boundary.
//!
//! Compiled twice: with `ssr` into the server (rendering pages, running server functions) and
//! with `hydrate` to WebAssembly for the browser. Nothing here does I/O of its own.
//!
//! - [`nhs_number`]: parsing and checking NHS numbers.
//! - [`auth`]: portal roles, permissions and the signed-in viewer.
//! - [`consent`]: the legitimate basis staff give for opening a record.
//! - [`audit`]: the audit officer's review queue and chain check (server functions).
//! - [`audit_terms`]: event kinds, outcomes and kinds of refusal by code and label.
//! - [`reports`]: the audit officer's access reports and subject access report.
//! - [`operations`]: the admin's operational data (notification delivery).
//! - [`clinical_date`]: FHIR dates with their precision, ordered and displayed.
//! - [`model`]: the record shared by pages and the JSON API.
//! - [`summary`]: the record's summary sections and whether each is known to be complete.
//! - [`detail`]: the full detail of one entry (fields, narrative, notes, provenance).
//! - [`document`]: documents attached to an entry and the address that opens one.
//! - [`lookup_progress`]: each source's early answer, streamed while the record is fetched.
//! - [`patient_search`]: finding a patient by demographics when there is no NHS number.
//! - [`api`]: server functions and the service trait the server implements.
//! - [`shell`], [`pages`], [`components`]: what the browser shows.
//! - [`trends`]: which entries form a chartable series (vital signs, NEWS2, results).
//! - [`ids`]: element hooks shared with the browser tests.

#![recursion_limit = "256"]

pub mod api;
pub mod audit;
pub mod audit_terms;
pub mod auth;
pub mod clinical_date;
pub mod compact;
pub mod components;
pub mod consent;
pub mod detail;
pub mod document;
pub mod identity;
pub mod ids;
pub mod lookup_progress;
pub mod model;
pub mod nhs_number;
pub mod operations;
pub mod pages;
pub mod patient_search;
pub mod reports;
pub mod shell;
pub mod summary;
pub mod timeline_query;
pub mod trends;

pub use shell::{shell, App};

/// Browser entry point. The office bundle attaches the whole app to the server-rendered
/// page. The clinicians' bundle (`islands`) sets up Leptos's islands runtime and the page-wide
/// keyboard and focus behaviours; the page's script (`islands.js`) then hydrates each island.
#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    #[cfg(feature = "islands")]
    {
        leptos::mount::hydrate_islands();
        shell::start_page();
    }
    #[cfg(not(feature = "islands"))]
    leptos::mount::hydrate_body(App);
}
