//! [`PluginStore`]: the store one manager's plugin gets, with its limits; the host's `kv` imports call it.

use super::backend::{Condition, StoreBackend, StoreError, StoredEntry, WriteOutcome};
use super::rules::{check_key, check_prefix, new_version, KeyError, MAX_LIST_LIMIT, MAX_VERSION_BYTES};
use std::sync::Arc;

/// Why a store operation failed, as the plugin is told.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub(crate) enum KvFailure {
    #[error("{0}")]
    Key(#[from] KeyError),
    #[error("the value has {0} bytes, more than the store accepts for one key")]
    ValueTooLarge(u64),
    #[error("the store would hold more than its {0} bytes")]
    StoreFull(u64),
    #[error("the key's version is not the one expected")]
    Conflict(Option<String>),
    #[error("{0}")]
    Store(#[from] StoreError),
}

/// One manager's store as its plugin sees it: a backend, the largest value and the most bytes in all.
#[derive(Clone)]
pub struct PluginStore {
    backend: Arc<dyn StoreBackend>,
    max_value_bytes: u64,
    max_store_bytes: u64,
}

impl std::fmt::Debug for PluginStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PluginStore")
            .field("max_value_bytes", &self.max_value_bytes)
            .field("max_store_bytes", &self.max_store_bytes)
            .finish_non_exhaustive()
    }
}

impl PluginStore {
    /// A store on `backend` with the default limits: 1 MiB per value, 256 MiB in all.
    pub fn new(backend: Arc<dyn StoreBackend>) -> Self {
        Self { backend, max_value_bytes: 1 << 20, max_store_bytes: 256 << 20 }
    }

    /// The same store with other limits: the largest value and the most bytes in all.
    pub fn with_limits(self, max_value_bytes: u64, max_store_bytes: u64) -> Self {
        Self { max_value_bytes, max_store_bytes, ..self }
    }

    /// The backend.
    pub fn backend(&self) -> &Arc<dyn StoreBackend> {
        &self.backend
    }

    pub(crate) async fn get(&self, key: &str) -> Result<Option<StoredEntry>, KvFailure> {
        check_key(key)?;
        Ok(self.backend.get(key).await?)
    }

    pub(crate) async fn write(&self, key: &str, condition: Condition<'_>, value: &[u8]) -> Result<String, KvFailure> {
        check_key(key)?;
        let size = value.len() as u64;
        if size > self.max_value_bytes {
            return Err(KvFailure::ValueTooLarge(self.max_value_bytes));
        }
        if let Condition::Version(expected) = condition {
            if expected.len() > MAX_VERSION_BYTES {
                return Err(KvFailure::Conflict(self.backend.get(key).await?.map(|entry| entry.version)));
            }
        }
        if self.backend.used_bytes().await?.saturating_add(size) > self.max_store_bytes {
            return Err(KvFailure::StoreFull(self.max_store_bytes));
        }
        let version = new_version().map_err(StoreError::Failed)?;
        match self.backend.write(key, condition, value, &version).await? {
            WriteOutcome::Written => Ok(version),
            WriteOutcome::Conflict(current) => Err(KvFailure::Conflict(current)),
        }
    }

    pub(crate) async fn delete(&self, key: &str) -> Result<bool, KvFailure> {
        check_key(key)?;
        Ok(self.backend.delete(key).await?)
    }

    /// A page of keys and the cursor of the next one (the page's last key when the page is full).
    pub(crate) async fn list(
        &self,
        prefix: &str,
        cursor: Option<&str>,
        limit: u32,
    ) -> Result<(Vec<String>, Option<String>), KvFailure> {
        check_prefix(prefix)?;
        if let Some(cursor) = cursor {
            check_key(cursor)?;
        }
        let limit = if limit == 0 { MAX_LIST_LIMIT } else { limit.min(MAX_LIST_LIMIT) };
        let keys = self.backend.list(prefix, cursor, limit).await?;
        let next = (keys.len() == limit as usize).then(|| keys.last().cloned()).flatten();
        Ok((keys, next))
    }
}
