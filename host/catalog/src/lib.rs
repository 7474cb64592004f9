//! keyway's own records, the *catalog*: what keyway knows about secrets beyond
//! what their backends say. It never holds a secret value in clear.
//!
//! - **Version history**: every version keyway writes or first observes, with
//!   a keyway version number, the backend's version id, a keyed fingerprint of
//!   type and content, the manager, the time, and who wrote it — or that it
//!   was changed outside keyway.
//! - **Error history**: failed reads, backend errors, renewals and later
//!   synchronisation and compliance findings, per secret, with bounded retention.
//! - **Lifecycle state**: each secret's type, expiry and not-before.
//! - **Profiles**: explicit bindings and changed sources, the state of every
//!   synchronised copy, approval requests with their votes (the proposed
//!   value sealed until the request ends).
//!
//! One schema, in SQLite (a file in keyway's home: nothing to set up) or in
//! PostgreSQL (`catalog: {url: postgres://…}`, shared by a fleet of nodes),
//! with versioned migrations for both embedded in the binary.
//!
//! ```no_run
//! # async fn demo() -> Result<(), keyway_catalog::CatalogError> {
//! use keyway_catalog::{Catalog, CatalogKey, Location};
//! let key = CatalogKey::from_bytes(&[7; 32])?;
//! let catalog = Catalog::open(&Location::Sqlite("catalog.db".into()), key).await?;
//! let history = catalog.history("local", "db/password").await?;
//! # let _ = history; Ok(()) }
//! ```
//!
//! # Layout
//! - [`pool`]: opening SQLite or PostgreSQL ([`Location`]), migrations, the installation record.
//! - [`key`]: [`CatalogKey`]: fingerprints (HMAC-SHA256) and sealing (AES-256-GCM) under the catalog key.
//! - [`versions`]: version history ([`VersionEntry`], [`Origin`]).
//! - [`failures`]: error history ([`ErrorEntry`]) and its retention.
//! - [`secrets`]: per-secret lifecycle state ([`SecretEntry`]).
//! - [`renewals`]: renewals in flight, their new value sealed ([`PendingRenewal`]).
//! - [`bindings`]: secrets bound to profiles explicitly, and their source ([`Binding`]).
//! - [`sync`]: the state of each synchronised copy ([`SyncTarget`]).
//! - [`approvals`]: changes waiting for approval, votes, the exactly-once claim ([`Approval`]).
//! - [`audit`]: the audit trail every node appends to ([`AuditEntry`]).
//! - [`leases`]: work one node of a fleet does for all, held by one node at a time ([`LeaseHolder`]).
//! - [`notify`]: cache invalidations announced to and heard from a fleet's nodes ([`FleetListener`]).
//! - [`error`](mod@error): the catalog's errors ([`CatalogError`]).

pub mod approvals;
pub mod audit;
pub mod bindings;
pub mod error;
pub mod failures;
pub mod key;
pub mod leases;
pub mod notify;
pub mod plugin_store;
pub mod pool;
pub mod renewals;
pub mod secrets;
pub mod sync;
pub mod versions;

pub use approvals::{Approval, NewApproval, Vote};
pub use audit::AuditEntry;
pub use bindings::Binding;
pub use error::CatalogError;
pub use failures::{ErrorEntry, ErrorFilter, NewError};
pub use key::{CatalogKey, Fingerprint};
pub use leases::LeaseHolder;
pub use notify::{FleetListener, Heard, Invalidation, NodeId, Notice};
pub use plugin_store::{StoreCondition, StoredValue};
pub use pool::{Catalog, Location};
pub use renewals::PendingRenewal;
pub use secrets::SecretEntry;
pub use sync::{SyncTarget, SyncUpdate};
pub use versions::{NewVersion, Origin, VersionEntry};

/// Milliseconds since the Unix epoch, now.
pub(crate) fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| i64::try_from(elapsed.as_millis()).unwrap_or(i64::MAX))
}
