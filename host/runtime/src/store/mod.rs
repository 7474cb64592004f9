//! The storage the host offers plugins (`keyway:store/kv@0.1.0`, `wit/store@0.1.0`): one manager's keys and
//! values with compare-and-swap, backed by a folder on one machine ([`FileStore`]) or by keyway's records for a
//! fleet (a [`StoreBackend`] that `keyway` implements with its catalog, so this crate needs no database).
//!
//! - `backend`: [`StoreBackend`], what a backing store does, and its [`StoreError`].
//! - `file`: [`FileStore`], durable files in a folder beside the manager's data directory.
//! - `rules`: the limits and key rules the host checks before any backend runs, and version tokens.
//! - `grant`: [`PluginStore`], the store one manager's plugin gets, with its limits.
//! - `host`: the generated bindings and the `kv` imports on an instance's host state.

mod backend;
mod file;
mod grant;
pub(crate) mod host;
mod rules;
#[cfg(test)]
mod tests;

pub use backend::{Condition, StoreBackend, StoreError, StoreFuture, StoredEntry, WriteOutcome};
pub use file::{store_path, FileStore};
pub use grant::PluginStore;
pub use rules::{check_key, KeyError, MAX_KEY_BYTES, MAX_LIST_LIMIT, MAX_VERSION_BYTES};

/// The store `manager`'s plugin gets: none unless its manifest asks; then the configured one, or a
/// [`FileStore`] beside the manager's data directory (made on the first write: a plugin that may keep its
/// records elsewhere leaves nothing behind).
pub(crate) fn grant_for(
    manager: &str,
    manifest: &crate::PluginManifest,
    config: &crate::ConnectionConfig,
) -> Result<Option<PluginStore>, crate::RuntimeError> {
    if !manifest.storage {
        return Ok(None);
    }
    if let Some(store) = &config.store {
        return Ok(Some(store.clone()));
    }
    let refused =
        |problem: String| crate::RuntimeError::Settings { manager: manager.into(), field: "data_dir".into(), problem };
    let data_dir = config.data_dir.as_ref().ok_or_else(|| {
        refused(format!("is required: plugin '{}' keeps its data in the host's store, beside it", manifest.name))
    })?;
    let dir = store_path(data_dir);
    let store = FileStore::open_lazily(&dir)
        .map_err(|err| refused(format!("cannot hold the store at {}: {err}", dir.display())))?;
    let limits = &config.limits;
    Ok(Some(
        PluginStore::new(std::sync::Arc::new(store)).with_limits(limits.max_value_bytes as u64, limits.data_dir_bytes),
    ))
}
