//! keyway's plugin runtime: loads provider plugins (WebAssembly components of
//! `keyway:provider@0.1.0`) into a wasmtime sandbox and calls them.
//!
//! A [`Runtime`] owns one wasmtime engine with the pooling allocator and an
//! epoch ticker. [`Runtime::load_plugin`] compiles a component once (or loads
//! it from the on-disk cache of precompiled artifacts) and checks its
//! [`PluginManifest`]. [`Runtime::connect`] validates a manager's settings
//! against the manifest and returns a [`Connection`], which serves concurrent
//! calls from a pool of warm instances. Every instance runs in a sandbox: no
//! environment, no files except a granted data directory, no sockets, HTTP
//! only to allowed hosts, a memory cap and a deadline per call.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use keyway_runtime::{ConnectionConfig, Runtime, RuntimeConfig};
//! use keyway_types::VersionSelector;
//!
//! let runtime = Runtime::new(RuntimeConfig::default())?;
//! let plugin = runtime.load_plugin_file("plugins/memory.wasm".as_ref())?;
//! let connection = runtime.connect(&plugin, "test", ConnectionConfig::default()).await?;
//! let secret = connection.get("db/password", &VersionSelector::Latest).await?;
//! # Ok(()) }
//! ```
//!
//! # Layout
//! The modules are private; what other crates use is re-exported here.
//! - `runtime`: [`Runtime`] and [`RuntimeConfig`]: the engine, epoch ticker and loading.
//! - `compile_cache`: [`CompileCache`], precompiled artifacts on disk, keyed by content hash and engine.
//! - `manifest`: [`PluginManifest`] and settings validation; the manifest a packed plugin carries
//!   ([`embed_manifest`], [`embedded_manifest`]).
//! - `plugin`: [`Plugin`], a loaded, pre-instantiated component; [`PluginFile`], a plugin file and its manifest.
//! - `connection`: [`Connection`], a manager's calls into its plugin, [`ConnectionConfig`] and [`Limits`];
//!   split into opening, one call, the data directory's quota and writers' turns.
//! - `data_dir`: a plugin's data directory on the host's side: permissions, the write lock
//!   ([`lock_data_dir`]), its real path in errors.
//! - `pool`: the pool of warm instances behind a connection.
//! - `sandbox`: the per-instance host state: WASI context, limits, log budget.
//! - `egress`: [`EgressPolicy`], which hosts a plugin may reach, and the HTTP client that enforces it.
//! - `host_api`: the contract's `host` imports (logging, credentials).
//! - `store`: the storage offered to plugins whose manifest asks (`keyway:store/kv@0.1.0`): [`PluginStore`],
//!   [`StoreBackend`], the folder-backed [`FileStore`].
//! - `redact`: keeps a manager's secret settings out of its plugin's errors and log lines ([`sanitize`]).
//! - `error`: [`RuntimeError`] and [`CallError`].
//! - `bindings`: the generated bindings, one module per contract version served (`bindings::v0_1`).

mod bindings;
mod compile_cache;
mod connection;
mod data_dir;
mod egress;
mod error;
mod host_api;
mod manifest;
mod plugin;
mod pool;
mod redact;
mod runtime;
mod sandbox;
mod store;

pub use compile_cache::{CompileCache, LoadSource};
pub use connection::{Connection, ConnectionConfig, Limits, MAX_PAGE_ITEMS};
pub use data_dir::{lock_data_dir, write_lock_path};
pub use egress::{is_special, EgressPolicy, PatternError};
pub use error::{CallError, RuntimeError};
pub use manifest::embedded::{embed_manifest, embedded_manifest, EmbedError, MANIFEST_SECTION};
pub use manifest::{CredentialNeeds, PluginManifest, SettingKind, SettingSpec};
pub use plugin::file::{ManifestSource, PluginFile};
pub use plugin::Plugin;
pub use redact::sanitize;
pub use runtime::{Runtime, RuntimeConfig};
pub use store::{
    check_key, store_path, Condition, FileStore, KeyError, PluginStore, StoreBackend, StoreError, StoreFuture,
    StoredEntry, WriteOutcome, MAX_KEY_BYTES, MAX_LIST_LIMIT, MAX_VERSION_BYTES,
};

/// The contract version this runtime serves.
pub const CONTRACT: &str = bindings::v0_1::CONTRACT;
