//! The conformance kit: one suite of contract tests that runs against any
//! provider plugin and a live backend, driven by the capabilities the plugin
//! declares. Every declared operation must round-trip; every undeclared one
//! must answer `unsupported`; no error may contain a secret value.
//!
//! Third parties run it with `keyway plugin test PLUGIN.wasm --config test.yaml`;
//! keyway's own plugins run it in their integration tests.
//!
//! [`run_behind_proxy`] runs a plugin that speaks HTTP behind a misbehaving loopback
//! [`proxy::Proxy`]: another secret's answer, a malformed success, an answer cut short, a reset
//! connection and throttling must never be served wrongly nor taken for a missing secret, and
//! what can be retried must be.
//!
//! # Layout
//! - [`suite`]: [`run`], [`run_behind_proxy`], [`SuiteOptions`] and [`ProxyOptions`].
//! - [`report`]: [`Report`] and [`CaseOutcome`].
//! - [`proxy`]: the misbehaving proxy, also for tests of their own.
//! - `cases` (private): the contract cases.
//! - `misbehaving` (private): the misbehaving-proxy cases.
//! - `checks` (private): the assertion helpers the cases use.

mod cases;
mod checks;
mod misbehaving;
pub mod proxy;
pub mod report;
pub mod suite;

pub use report::{CaseOutcome, CaseReport, Report};
pub use suite::{run, run_behind_proxy, ProxyOptions, SuiteOptions};
