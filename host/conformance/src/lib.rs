//! The conformance kit: one suite of contract tests that runs against any
//! provider plugin and a live backend, driven by the capabilities the plugin
//! declares. Every declared operation must round-trip; every undeclared one
//! must answer `unsupported`; no error may contain a secret value.
//!
//! Third parties run it with `keyway plugin test PLUGIN.wasm --config test.yaml`;
//! keyway's own plugins run it in their integration tests. The kit's README lists
//! every case with what it checks and what it needs (generated from [`contract`]),
//! and every option of `test.yaml` ([`TestConfig`]).
//!
//! [`run_behind_proxy`] runs a plugin that speaks HTTP behind a misbehaving loopback
//! [`proxy::Proxy`]: another secret's answer, a malformed success, an answer cut short, a reset
//! connection and throttling must never be served wrongly nor taken for a missing secret, and
//! what can be retried must be.
//!
//! # Layout
//! - [`contract`]: every case with what it checks and what it needs ([`CaseSpec`]), in run order.
//! - [`needs`]: what a case needs ([`Need`]: a capability, a test.yaml option, the proxy) and the
//!   reason and hint reported when it is not met.
//! - [`suite`]: [`run`], [`run_behind_proxy`], [`SuiteOptions`] and [`ProxyOptions`].
//! - [`test_config`]: [`TestConfig`], the `test.yaml` of `keyway plugin test`.
//! - [`report`]: [`Report`] and [`CaseOutcome`].
//! - [`proxy`]: the misbehaving proxy, also for tests of their own.
//! - `cases` (private): the contract cases' code.
//! - `misbehaving` (private): the misbehaving-proxy cases' code.
//! - `checks` (private): the assertion helpers the cases use.

mod cases;
mod checks;
pub mod contract;
mod misbehaving;
pub mod needs;
pub mod proxy;
pub mod report;
pub mod suite;
pub mod test_config;

pub use contract::CaseSpec;
pub use needs::Need;
pub use report::{CaseOutcome, CaseReport, Report};
pub use suite::{run, run_behind_proxy, ProxyOptions, SuiteOptions};
pub use test_config::TestConfig;
