//! Every integration test in one binary: the server is compiled into and linked with one test
//! crate instead of twenty (the build, not the tests, was most of `cargo test --release`).
//! Each module tests one area of the portal over real HTTP; `common` starts portals and sources.

mod common;

mod access;
mod aggregation;
mod api_conformance;
mod audit;
mod broken_store;
mod cache;
mod compression;
mod conformance;
mod consent;
mod deploy;
mod detail;
mod documents;
mod durability;
mod faults;
mod fetch_round_trips;
mod forwarded;
mod fuzz;
mod gp_connect;
mod identity;
mod instances;
mod lookup;
mod metrics;
mod notify;
mod refusals;
mod search;
mod shared_store;
mod store;
mod streaming;
mod timeline;
mod tokens;
