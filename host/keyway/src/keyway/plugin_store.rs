//! The store offered to plugins whose manifest says `storage = true` (`keyway:store/kv@0.1.0`), for managers
//! with `storage: records`: kept in keyway's records (the catalog's table `plugin_store`), so every node on one
//! PostgreSQL shares one store. The runtime knows no database: [`RecordsStore`] is the [`StoreBackend`] it
//! calls, one manager's rows of the table; each write is one statement, committed before it is acknowledged,
//! and a compare-and-swap checks and writes in that statement, so it holds across nodes.
//!
//! The configuration is checked when keyway opens: `storage: records` needs keyway's records, and `storage:`
//! is refused for a plugin that keeps no store.

use crate::config::{ManagerConfig, StorageKind};
use crate::error::KeywayError;
use crate::plugins::PluginRegistry;
use keyway_catalog::{Catalog, CatalogError, StoreCondition};
use keyway_runtime::{Condition, StoreBackend, StoreError, StoreFuture, StoredEntry, WriteOutcome};
use std::collections::BTreeMap;

/// One manager's store in keyway's records.
pub(crate) struct RecordsStore {
    catalog: Catalog,
    manager: String,
}

impl RecordsStore {
    /// The rows of `manager` in `catalog`'s plugin store.
    pub(crate) fn new(catalog: Catalog, manager: &str) -> Self {
        Self { catalog, manager: manager.to_owned() }
    }
}

/// A catalog error as the plugin is told: `unavailable` when the database could not be reached (retrying
/// later can help), else a failure. The text names the database and the action, never a value.
fn store_error(error: CatalogError) -> StoreError {
    if error.is_unreachable() {
        StoreError::Unavailable(error.to_string())
    } else {
        StoreError::Failed(error.to_string())
    }
}

impl StoreBackend for RecordsStore {
    fn get<'a>(&'a self, key: &'a str) -> StoreFuture<'a, Option<StoredEntry>> {
        Box::pin(async move {
            let stored = self.catalog.store_get(&self.manager, key).await.map_err(store_error)?;
            Ok(stored.map(|stored| StoredEntry { value: stored.value, version: stored.version }))
        })
    }

    fn write<'a>(
        &'a self,
        key: &'a str,
        condition: Condition<'a>,
        value: &'a [u8],
        version: &'a str,
    ) -> StoreFuture<'a, WriteOutcome> {
        Box::pin(async move {
            let condition = match condition {
                Condition::Any => StoreCondition::Any,
                Condition::Absent => StoreCondition::Absent,
                Condition::Version(expected) => StoreCondition::Version(expected),
            };
            let written =
                self.catalog.store_write(&self.manager, key, condition, value, version).await.map_err(store_error)?;
            if written {
                return Ok(WriteOutcome::Written);
            }
            // Nothing written: the condition did not hold. Say what the key holds now (it may change again).
            let current = self.catalog.store_get(&self.manager, key).await.map_err(store_error)?;
            Ok(WriteOutcome::Conflict(current.map(|stored| stored.version)))
        })
    }

    fn delete<'a>(&'a self, key: &'a str) -> StoreFuture<'a, bool> {
        Box::pin(async move { self.catalog.store_delete(&self.manager, key).await.map_err(store_error) })
    }

    fn list<'a>(&'a self, prefix: &'a str, after: Option<&'a str>, limit: u32) -> StoreFuture<'a, Vec<String>> {
        Box::pin(async move { self.catalog.store_keys(&self.manager, prefix, after, limit).await.map_err(store_error) })
    }

    fn used_bytes(&self) -> StoreFuture<'_, u64> {
        Box::pin(async move { self.catalog.store_size(&self.manager).await.map_err(store_error) })
    }
}

/// Refuses, when keyway opens, a `storage:` that cannot work: `records` without keyway's records, and any
/// `storage:` on a plugin whose manifest keeps no store. A plugin that cannot be found is left to the
/// manager's first use, which says why.
pub(crate) fn check_storage(
    managers: &BTreeMap<String, ManagerConfig>,
    records_enabled: bool,
    registry: &PluginRegistry,
) -> Result<(), KeywayError> {
    for (name, manager) in managers {
        let Some(storage) = manager.storage else { continue };
        let refused = |problem: String| KeywayError::Config { message: format!("managers.{name}.storage: {problem}") };
        if storage == StorageKind::Records && !records_enabled {
            return Err(refused(
                "records keeps the plugin's store in keyway's records, which are disabled; set `catalog:` (enabled, \
                 with the url of the fleet's PostgreSQL) or storage: data_dir"
                    .into(),
            ));
        }
        if let Some(manifest) = registry.manifest(&manager.plugin) {
            if !manifest.storage {
                return Err(refused(format!(
                    "plugin '{}' keeps no data in the host's store (its manifest does not say storage = true); \
                     remove storage:",
                    keyway_runtime::sanitize(&manager.plugin, 64)
                )));
            }
        }
    }
    Ok(())
}

/// The settings a plugin gets for its manager's `storage:`: a plugin that can keep its records either in its
/// data directory or in the host's store (a setting `store` in its manifest, as the built-in `local` has) is
/// told `store: host` when the manager keeps its store in keyway's records, unless its settings say so
/// already; `store: files` there is refused, since the records would stay on one node.
pub(crate) fn storage_settings(
    manager: &str,
    config: &ManagerConfig,
    manifest: &keyway_runtime::PluginManifest,
    settings: &mut serde_json::Value,
) -> Result<(), KeywayError> {
    if config.storage != Some(StorageKind::Records) || !manifest.settings.contains_key(STORE_SETTING) {
        return Ok(());
    }
    let Some(settings) = settings.as_object_mut() else { return Ok(()) };
    match settings.get(STORE_SETTING).and_then(serde_json::Value::as_str).map(str::trim) {
        None | Some("") => {
            settings.insert(STORE_SETTING.into(), serde_json::Value::String(HOST_STORE.into()));
            Ok(())
        }
        Some(HOST_STORE) => Ok(()),
        Some(_) => Err(KeywayError::Config {
            message: format!(
                "managers.{manager}: storage: records keeps the plugin's store in keyway's records, but its settings \
                 say store: {}; remove that setting (or use storage: data_dir)",
                keyway_runtime::sanitize(settings[STORE_SETTING].as_str().unwrap_or_default(), 40)
            ),
        }),
    }
}

/// The setting by which a plugin is told where its records live, and the value naming the host's store.
const STORE_SETTING: &str = "store";
const HOST_STORE: &str = "host";
