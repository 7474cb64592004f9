//! keyway: secrets for workflow engines. Named secret managers run on
//! sandboxed WebAssembly provider plugins; flow steps' placeholders resolve
//! through one shared cache, for the caller's identity only, with an audit
//! record per access.
//!
//! ```no_run
//! # async fn demo() -> Result<(), keyway::KeywayError> {
//! use keyway::{Identity, Keyway};
//! let keyway = Keyway::load(None).await?; // keyway.yaml, or one `local` manager on the embedded store
//! let step = serde_json::json!({"url": "postgres://app:${secret:local/db/password}@db/app"});
//! let resolved = keyway.resolve(&Identity::in_namespace("company.team"), &step).await?;
//! # let _ = resolved; Ok(()) }
//! ```
//!
//! # Layout
//! - [`config`]: the configuration file ([`Config`], [`ManagerConfig`]) and `${env:...}` references.
//! - [`keyway`](mod@keyway): [`Keyway`], managers by name, the resolver, the capability API; `keyway::store`,
//!   re-keying the embedded store ([`Keyway::rekey_store`]); secret profiles: `keyway::profiles` (which
//!   profile a secret belongs to, as source or copy), `keyway::sync` (copies, drift, the scheduler's part),
//!   `keyway::approvals` (requests, votes, the exactly-once apply), `keyway::source` (changing a source),
//!   `keyway::compliance` (rules on writes and the periodic report); `keyway::fleet`, caches kept coherent
//!   across a fleet sharing a PostgreSQL catalog ([`Keyway::start_fleet`], [`FleetTask`]).
//! - `manager` (private): a manager, a plugin connection with prefix, default tags, read-only and visibility
//!   rules; reached only through [`Keyway`], whose calls check access and write the audit record.
//! - [`metrics`]: counters of backend calls, the cache, plugin instances, the audit writer, renewals,
//!   synchronisation and approvals, in the OpenMetrics text format ([`Keyway::encode_metrics`]).
//! - [`plugins`]: [`PluginRegistry`], built-in and third-party plugins.
//! - [`auth`]: the host-side credentials of a manager (`auth: {type: aws|azure}`).
//! - [`clients`]: who may call the front ends: [`ClientRegistry`], each [`Client`]'s credentials and the
//!   identities it may assert.
//! - [`error`]: [`KeywayError`] and the CLI's exit codes.
//! - `private_file`: one-line secret files only their owner may read (the service's token, the catalog key).

pub mod auth;
pub mod clients;
pub mod config;
pub mod error;
#[allow(clippy::module_inception)]
pub mod keyway;
mod manager;
pub mod metrics;
pub mod plugins;
mod private_file;

pub use clients::{Client, ClientRegistry};
pub use config::{Config, ConfigSource, ManagerConfig};
pub use error::KeywayError;
pub use keyway::{
    actor_text, compliance_identity, mask_tree, parse_reference, principal, renewal_identity, sync_identity,
    ApprovalOutcome, ApprovalView, Finding, FleetLink, FleetTask, Keyway, ManagerStatus, MaskedStep, NewStoreKey,
    ProposedChange, ProposedUpdate, RekeyOutcome, RenewOutcome, RevealedValue, LEASE_LIFETIME, LEASE_RENEW_EVERY,
};
pub use keyway_catalog as catalog;
pub use keyway_resolve::{
    CacheScope, CachedSecretInfo, Identity, KeyError, Masker, ResolvedStep, SecretError, SharedSecret,
};
pub use keyway_runtime::{sanitize, Plugin, CONTRACT};
pub use keyway_types as types;
pub use plugins::PluginRegistry;
