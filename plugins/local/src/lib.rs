//! keyway's embedded default provider: secrets kept in the manager's own data
//! directory, each value encrypted with AES-256-GCM under one master key.
//!
//! The plugin sees only its data directory, which the host preopens as
//! `/data`. Every write is flushed to disk before it is acknowledged, a crash
//! leaves the last acknowledged state readable, and a damaged or edited file
//! or a wrong key is reported with the file's name instead of returning
//! garbage. The store logic is plain `std::fs` code with the root directory as
//! a parameter, so it is tested natively against temporary directories.
//!
//! # Layout
//! - `provider`: the contract's operations, settings and the export.
//! - `store`: [`store::LocalStore`], the on-disk layout; `store::read`, `store::write`,
//!   `store::sweep` (clean-up after crashes and expired deletions), `store::ledger` (rollback detection).
//! - `record`: what `meta` and value files hold, and how labels move between versions.
//! - `keyring`: the data keys and the key-encryption key (passphrase, key setting or key file).
//! - `kdf`: Argon2id for passphrases.
//! - `rekey`: [`rekey::rekey`], sealing a store anew, crash-safe (run by the host's `keyway store rekey`).
//! - `shared`: [`shared::SharedStore`], the same records kept in the host's store (`keyway:store/kv`,
//!   setting `store: host`): one store for a fleet, with compare-and-swap between writers.
//! - `crypto`: AES-256-GCM envelopes with associated data.
//! - `fsio`: durable writes (temporary file, `fsync`, rename, directory `fsync`).
//! - `names`: secret names to safe directory names; page tokens.
//! - `time`: timestamps and their display.
//! - `error`: [`error::StoreError`] and its mapping to the contract's errors.

pub mod crypto;
pub mod error;
pub mod fsio;
pub mod kdf;
pub mod keyring;
pub mod names;
pub mod provider;
pub mod record;
pub mod rekey;
pub mod shared;
pub mod store;
pub mod time;

// The component's exports; a native build (tests, and the host's `keyway store rekey`) has none.
#[cfg(target_arch = "wasm32")]
keyway_plugin_sdk::export_provider!(provider::Local);
