//! How a manager's cache has served reads since it was built: hits, misses (backend reads), stale answers
//! and evictions, counted with relaxed atomics (they feed metrics, never decisions).

use std::sync::atomic::{AtomicU64, Ordering};

/// The counters of one manager's cache.
#[derive(Debug, Default)]
pub(crate) struct CacheCounters {
    hits: AtomicU64,
    misses: AtomicU64,
    stale: AtomicU64,
    evictions: AtomicU64,
}

/// A snapshot of one manager's counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CacheCounts {
    /// Reads served from a fresh entry (or by waiting for another caller's read).
    pub hits: u64,
    /// Reads that went to the backend.
    pub misses: u64,
    /// Stale entries served because the backend failed (stale-if-error).
    pub stale: u64,
    /// Entries dropped to stay within the cache's size.
    pub evictions: u64,
}

impl CacheCounters {
    pub fn hit(&self) {
        self.hits.fetch_add(1, Ordering::Relaxed);
    }

    pub fn miss(&self) {
        self.misses.fetch_add(1, Ordering::Relaxed);
    }

    pub fn stale(&self) {
        self.stale.fetch_add(1, Ordering::Relaxed);
    }

    pub fn eviction(&self) {
        self.evictions.fetch_add(1, Ordering::Relaxed);
    }

    pub fn counts(&self) -> CacheCounts {
        CacheCounts {
            hits: self.hits.load(Ordering::Relaxed),
            misses: self.misses.load(Ordering::Relaxed),
            stale: self.stale.load(Ordering::Relaxed),
            evictions: self.evictions.load(Ordering::Relaxed),
        }
    }
}
