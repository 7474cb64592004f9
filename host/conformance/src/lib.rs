//! The conformance kit: one suite of contract tests that runs against any
//! provider plugin and a live backend, driven by the capabilities the plugin
//! declares. Every declared operation must round-trip; every undeclared one
//! must answer `unsupported`; no error may contain a secret value.
//!
//! Third parties run it with `keyway plugin test PLUGIN.wasm --config test.yaml`;
//! keyway's own plugins run it in their integration tests.
//!
//! # Layout
//! - [`suite`]: [`run`], the cases and [`SuiteOptions`].
//! - [`report`]: [`Report`] and [`CaseOutcome`].
//! - `cases` (private): the contract cases.
//! - `checks` (private): the assertion helpers the cases use.

mod cases;
mod checks;
pub mod report;
pub mod suite;

pub use report::{CaseOutcome, CaseReport, Report};
pub use suite::{run, SuiteOptions};
