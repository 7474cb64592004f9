//! How a manager's cache has served reads since it was built: hits, misses (backend reads), stale answers
//! and evictions, counted with relaxed atomics (they feed metrics, never decisions).

use super::listing::CacheStatus;
use super::manager::ManagerCache;
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

/// Hits and stale answers served from entries in hand (the resolver's front), added to their manager's
/// counters once per run of one manager rather than once per entry: the counters are shared by every thread,
/// and a step serves many entries. Whatever is held is added when the tally is dropped.
#[derive(Default)]
pub(crate) struct Tally<'m> {
    cache: Option<&'m ManagerCache>,
    hits: u64,
    stale: u64,
}

impl<'m> Tally<'m> {
    /// Counts one answer of `cache`.
    pub fn count(&mut self, cache: &'m ManagerCache, status: CacheStatus) {
        if !self.cache.is_some_and(|held| std::ptr::eq(held, cache)) {
            self.flush();
            self.cache = Some(cache);
        }
        match status {
            CacheStatus::Hit => self.hits += 1,
            CacheStatus::Stale => self.stale += 1,
            CacheStatus::Miss | CacheStatus::Bypassed => cache.count(status),
        }
    }

    fn flush(&mut self) {
        if let Some(cache) = self.cache.take() {
            let counters = cache.counters();
            if self.hits > 0 {
                counters.hits.fetch_add(self.hits, Ordering::Relaxed);
            }
            if self.stale > 0 {
                counters.stale.fetch_add(self.stale, Ordering::Relaxed);
            }
        }
        (self.hits, self.stale) = (0, 0);
    }
}

impl Drop for Tally<'_> {
    fn drop(&mut self) {
        self.flush();
    }
}
