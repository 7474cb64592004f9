//! keyway's main job for workflow engines: a flow step's configuration (a JSON or YAML tree) goes in with
//! secret placeholders and comes out resolved, for the caller's identity only, through one cache shared by
//! every step and manager.
//!
//! ```no_run
//! # async fn example(aws: std::sync::Arc<dyn keyway_resolve::SecretSource>) -> Result<(), Box<dyn std::error::Error>> {
//! use keyway_resolve::{Identity, ManagerOptions, Resolver};
//!
//! let resolver = Resolver::builder().manager("aws", aws, ManagerOptions::default()).build()?;
//! let step = serde_json::json!({"headers": {"Authorization": "Bearer ${secret:aws/prod/api-token}"}});
//! let resolved = resolver.resolve(&Identity::in_namespace("company.team"), &step).await?;
//! println!("{}", resolver.masker().mask(&resolved.value().to_string()));
//! # Ok(()) }
//! ```
//!
//! # Layout
//! - [`placeholder`]: the placeholder syntaxes and their parser ([`placeholder::parse`], fuzzed).
//! - [`source`]: [`SecretSource`], the backend trait the runtime's plugin connections implement.
//! - `resolver`: [`Resolver`] and its builder: step resolution (`step`: the tree `walk`, the `output`
//!   tree), the flow-node read (`get`), one plan's lookup with the key rule and access checks (`lookup`),
//!   [`ResolvedStep`], the `sweep`er. `resolver::front` keeps compiled strings, lookup plans and the cache
//!   entries they last read, so that a step whose secrets are cached resolves under one read lock without
//!   a cache call.
//! - `cache`: the shared moka cache: per-manager stores, single-flight, refresh-ahead (`refresh`),
//!   stale-if-error, negative caching, invalidation epochs, the operator listing ([`CachedSecretInfo`]).
//! - [`access`]: [`Identity`] and [`AccessPolicy`]; [`glob`]: [`NamePattern`] for allow/deny lists.
//! - [`audit`]: [`AuditRecord`] and the JSON-lines [`Auditor`] (its background `writer`).
//! - [`mask`]: the [`Masker`] that hides resolved values in logs.
//! - `limits`: [`StepLimits`], how large one step may be.
//! - `fields`: [`SharedSecret`], one cached secret and the keys of JSON key/value secrets.
//! - [`manager`]: [`ManagerOptions`] and the [`KeyRule`]; `path`: [`StepPath`]; `error`: the errors.

pub mod access;
pub mod audit;
mod cache;
mod error;
mod fields;
pub mod glob;
mod limits;
pub mod manager;
pub mod mask;
mod path;
pub mod placeholder;
mod resolver;
pub mod source;

pub use access::{AccessPolicy, Denial, Identity};
pub use audit::{AuditRecord, AuditStats, Auditor, SharedTrail};
pub use cache::{CacheCounts, CacheOptions, CacheOverrides, CacheStatus, CachedSecretInfo, EntryState};
pub use error::{Absence, ResolveError, SecretError};
pub use fields::{KeyError, SharedSecret};
pub use glob::NamePattern;
pub use limits::StepLimits;
pub use manager::{KeyRule, ManagerOptions};
pub use mask::Masker;
pub use path::{PathSegment, StepPath};
pub use resolver::{BuildError, CacheScope, Disclosure, ResolvedStep, Resolver, ResolverBuilder, WriteResult};
pub use source::SecretSource;
