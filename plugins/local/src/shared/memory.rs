//! [`MemoryKv`]: a [`Kv`] in memory with the host store's semantics (fresh version tokens, pages of keys in
//! byte order), for native tests and for handles that share one map as nodes share one database.

use super::Kv;
use crate::crypto::random_hex;
use crate::error::StoreResult;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

/// The most keys one page holds.
const PAGE: usize = 2;

/// Each key's value and version token.
type Entries = BTreeMap<String, (Vec<u8>, String)>;

/// A key-value store in memory; clones share it.
#[derive(Debug, Clone, Default)]
pub struct MemoryKv {
    entries: Arc<Mutex<Entries>>,
}

impl MemoryKv {
    /// Every key and value, for tests that look at what the host would hold.
    pub fn snapshot(&self) -> BTreeMap<String, Vec<u8>> {
        let entries = self.entries.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        entries.iter().map(|(key, (value, _))| (key.clone(), value.clone())).collect()
    }

    fn map(&self) -> std::sync::MutexGuard<'_, Entries> {
        self.entries.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl Kv for MemoryKv {
    fn get(&self, key: &str) -> StoreResult<Option<(Vec<u8>, String)>> {
        Ok(self.map().get(key).cloned())
    }

    fn compare_and_swap(
        &self,
        key: &str,
        expected: Option<&str>,
        value: &[u8],
    ) -> StoreResult<Result<String, Option<String>>> {
        let mut map = self.map();
        let current = map.get(key).map(|(_, version)| version.clone());
        if current.as_deref() != expected {
            return Ok(Err(current));
        }
        let version = random_hex::<16>()?;
        map.insert(key.to_owned(), (value.to_vec(), version.clone()));
        Ok(Ok(version))
    }

    fn delete(&self, key: &str) -> StoreResult<bool> {
        Ok(self.map().remove(key).is_some())
    }

    fn list(&self, prefix: &str, cursor: Option<&str>) -> StoreResult<(Vec<String>, Option<String>)> {
        let keys: Vec<String> = self
            .map()
            .keys()
            .filter(|key| key.starts_with(prefix) && cursor.is_none_or(|cursor| key.as_str() > cursor))
            .take(PAGE)
            .cloned()
            .collect();
        let next = (keys.len() == PAGE).then(|| keys.last().cloned()).flatten();
        Ok((keys, next))
    }
}
