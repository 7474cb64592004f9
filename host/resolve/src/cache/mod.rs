//! The cache shared by every step and manager.
//!
//! One moka cache per manager, each sized by its share of the global maximum. Entries hold the secret in an
//! `Arc`, so readers share the one copy, which is zeroized when the last holder drops it: after eviction,
//! expiry or invalidation. A background sweeper (started by the resolver) evicts expired entries promptly
//! even when nobody reads.
//!
//! An entry the cache lets go of is marked retired, so that a holder judging it later with
//! [`ManagerCache::serve_cached`] (the resolver's fast path) never serves it.

mod clock;
mod counts;
mod entry;
mod epochs;
mod listing;
mod manager;
mod options;
mod refresh;

pub(crate) use clock::coarse_now;
pub use counts::CacheCounts;
pub(crate) use counts::{CacheCounters, Tally};
pub use listing::{CacheStatus, CachedSecretInfo, EntryState};
pub use options::{CacheOptions, CacheOverrides};

pub(crate) use entry::{CacheKey, Content, Entry};
pub(crate) use manager::ManagerCache;

use epochs::{GlobalEpochs, ManagerEpochs};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

/// How often the sweeper evicts expired entries.
pub(crate) const SWEEP_EVERY: Duration = Duration::from_millis(500);

/// Every manager's cache.
pub(crate) struct SecretCache {
    managers: HashMap<String, ManagerCache>,
    epochs: Arc<GlobalEpochs>,
}

/// What [`SecretCache::new`] needs per manager.
pub(crate) struct ManagerSetup {
    pub name: String,
    pub source: Arc<dyn crate::SecretSource>,
    pub options: CacheOptions,
}

impl SecretCache {
    /// Builds the caches; `global_max` bounds the entries of all managers together.
    pub fn new(managers: Vec<ManagerSetup>, global_max: u64) -> Self {
        let epochs = Arc::new(GlobalEpochs::default());
        let wanted: Vec<u64> = managers.iter().map(|setup| setup.options.max_entries).collect();
        let capacities = options::partition_capacity(global_max, &wanted);
        let managers = managers
            .into_iter()
            .zip(capacities)
            .map(|(setup, capacity)| {
                let manager_epochs = ManagerEpochs::new(Arc::clone(&epochs), setup.options.longest_lifetime());
                let cache = ManagerCache::new(&setup.name, setup.source, setup.options, capacity, manager_epochs);
                (setup.name, cache)
            })
            .collect();
        Self { managers, epochs }
    }

    /// One manager's cache.
    pub fn manager(&self, name: &str) -> Option<&ManagerCache> {
        self.managers.get(name)
    }

    /// Drops every entry of every manager.
    pub async fn clear_all(&self) {
        self.epochs.clear_all();
        for manager in self.managers.values() {
            manager.drop_entries().await;
        }
    }

    /// How each manager's cache has served reads so far, by manager.
    pub fn counts(&self) -> Vec<(String, CacheCounts)> {
        let mut counts: Vec<(String, CacheCounts)> =
            self.managers.iter().map(|(name, manager)| (name.clone(), manager.counts())).collect();
        counts.sort_by(|a, b| a.0.cmp(&b.0));
        counts
    }

    /// Every entry that may still be served, sorted by manager, name and selector.
    pub fn list(&self) -> Vec<CachedSecretInfo> {
        let mut entries: Vec<CachedSecretInfo> = self.managers.values().flat_map(ManagerCache::list).collect();
        entries.sort_by(|a, b| (&a.manager, &a.name, &a.selector).cmp(&(&b.manager, &b.name, &b.selector)));
        entries
    }

    /// Evicts expired entries of every manager.
    pub async fn sweep(&self) {
        for manager in self.managers.values() {
            manager.sweep().await;
        }
    }
}
