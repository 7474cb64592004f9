//! One manager's part of the cache: reads with single-flight and stale-if-error, and the judgement of an
//! entry already in hand (the resolver's fast path). Refresh-ahead is in `refresh`.

use super::counts::Tally;
use super::entry::{retry_delay, CacheKey, Entry, Freshness};
use super::epochs::ManagerEpochs;
use super::listing::{CacheStatus, CachedSecretInfo};
use super::options::CacheOptions;
use super::{CacheCounters, CacheCounts};
use crate::error::Absence;
use crate::source::SecretSource;
use keyway_types::{ProviderError, VersionSelector};
use moka::future::Cache;
use moka::notification::RemovalCause;
use moka::ops::compute::{CompResult, Op};
use moka::Expiry;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The result of one cached read: how it was served, and the entry (a secret or a remembered failure).
pub(crate) struct Fetched {
    pub status: CacheStatus,
    pub entry: Arc<Entry>,
}

/// Tells moka to drop an entry when it may no longer be served at all.
struct EntryExpiry;

impl Expiry<CacheKey, Arc<Entry>> for EntryExpiry {
    fn expire_after_create(&self, _: &CacheKey, entry: &Arc<Entry>, created_at: Instant) -> Option<Duration> {
        Some(entry.usable_until.saturating_duration_since(created_at))
    }

    fn expire_after_update(
        &self,
        _: &CacheKey,
        entry: &Arc<Entry>,
        updated_at: Instant,
        _: Option<Duration>,
    ) -> Option<Duration> {
        Some(entry.usable_until.saturating_duration_since(updated_at))
    }
}

/// One manager's entries and backend. Cheap to clone.
#[derive(Clone)]
pub(crate) struct ManagerCache {
    pub(super) inner: Arc<Inner>,
}

pub(super) struct Inner {
    pub name: String,
    pub source: Arc<dyn SecretSource>,
    pub options: CacheOptions,
    pub store: Cache<CacheKey, Arc<Entry>>,
    pub epochs: ManagerEpochs,
    pub counters: Arc<CacheCounters>,
}

impl ManagerCache {
    pub fn new(
        name: &str,
        source: Arc<dyn SecretSource>,
        options: CacheOptions,
        capacity: u64,
        epochs: ManagerEpochs,
    ) -> Self {
        let counters = Arc::new(CacheCounters::default());
        let evicted = Arc::clone(&counters);
        let store = Cache::builder()
            .max_capacity(capacity)
            .expire_after(EntryExpiry)
            // Whatever the cause (replaced, evicted, expired, invalidated), an entry the cache lets go of is
            // not served from the resolver's fast path either.
            .eviction_listener(move |_: Arc<CacheKey>, entry: Arc<Entry>, cause: RemovalCause| {
                if cause == RemovalCause::Size {
                    evicted.eviction();
                }
                entry.retire();
            })
            .build();
        Self { inner: Arc::new(Inner { name: name.to_owned(), source, options, store, epochs, counters }) }
    }

    /// How this cache has served reads so far.
    pub fn counts(&self) -> CacheCounts {
        self.inner.counters.counts()
    }

    /// Reads a secret through the cache.
    pub async fn get(&self, key: &CacheKey) -> Fetched {
        let called_at = Instant::now();
        if let Some(entry) = self.inner.store.get(key).await {
            if let Some(status) = self.judge(key, &entry, called_at) {
                self.count(status);
                return Fetched { status, entry };
            }
        }
        self.load(key.clone(), called_at).await
    }

    /// Judges an entry obtained earlier from [`get`](Self::get), without asking the cache: how it may be
    /// served at `now` (fresh, or stale while a failed read backs off), or `None` when it must be read through
    /// the cache again (retired, invalidated, expired). Counts the hit (in `tally`), notes the use for the
    /// eviction policy and starts refresh-ahead when due, as a read through the cache would.
    pub fn serve_cached<'m>(
        &'m self,
        key: &CacheKey,
        entry: &Arc<Entry>,
        now: Instant,
        tally: &mut Tally<'m>,
    ) -> Option<CacheStatus> {
        let status = self.judge(key, entry, now)?;
        tally.count(self, status);
        entry.touch();
        Some(status)
    }

    /// How `entry` may be served at `now`, counting the hit on the entry (the caller counts it for the
    /// manager); `None` when it must be read again.
    fn judge(&self, key: &CacheKey, entry: &Arc<Entry>, now: Instant) -> Option<CacheStatus> {
        if entry.is_retired() || !self.is_current(key, entry) {
            return None;
        }
        let status = match entry.freshness(now) {
            Freshness::Fresh { refresh_due } => {
                if refresh_due && entry.is_found() {
                    self.start_refresh(key, entry);
                }
                CacheStatus::Hit
            }
            Freshness::Stale if entry.backing_off(now) => CacheStatus::Stale,
            Freshness::Stale | Freshness::Expired => return None,
        };
        if entry.is_found() {
            entry.record_hit();
        }
        Some(status)
    }

    /// Whether `entry` may still be served at `now` in some way (fresh, or stale within the grace period);
    /// no side effect.
    pub fn may_serve(&self, key: &CacheKey, entry: &Entry, now: Instant) -> bool {
        !entry.is_retired() && self.is_current(key, entry) && !matches!(entry.freshness(now), Freshness::Expired)
    }

    pub(super) fn is_current(&self, key: &CacheKey, entry: &Entry) -> bool {
        self.inner.epochs.is_current(&key.name, entry.epoch, &entry.validated)
    }

    /// Reads the backend under the key's lock; callers queued behind a read use its result.
    async fn load(&self, key: CacheKey, called_at: Instant) -> Fetched {
        let read_backend = AtomicBool::new(false);
        let inner = &self.inner;
        let outcome = inner
            .store
            .entry(key.clone())
            .and_compute_with(|current| {
                let current = current.map(|found| found.into_value()).filter(|entry| self.is_current(&key, entry));
                let read_backend = &read_backend;
                let key = &key;
                async move {
                    let now = Instant::now();
                    if let Some(entry) = &current {
                        let began_after_call = entry.fetched_at >= called_at;
                        match entry.freshness(now) {
                            Freshness::Fresh { .. } => return Op::Nop,
                            Freshness::Stale if began_after_call || entry.backing_off(now) => return Op::Nop,
                            _ => {}
                        }
                    }
                    read_backend.store(true, Ordering::Relaxed);
                    let epoch = inner.epochs.current();
                    let started = Instant::now();
                    let result = inner.source.get(&key.name, &key.selector).await;
                    let entry = match result {
                        Ok(secret) => {
                            let hits = current.as_ref().map_or_else(Default::default, |entry| Arc::clone(&entry.hits));
                            Entry::found(secret, started, epoch, &inner.options, hits)
                        }
                        Err(error) => match current.as_ref().filter(|entry| keeps_stale(&error) && entry.is_found()) {
                            Some(stale) if matches!(stale.freshness(Instant::now()), Freshness::Stale) => {
                                tracing::warn!(
                                    manager = %inner.name, secret = %key.name, error = %error,
                                    "serving a stale secret: the backend failed transiently"
                                );
                                stale.kept_after_failure(Instant::now() + retry_delay(&error, &inner.options))
                            }
                            _ => self.failed(key, error, started, epoch).await,
                        },
                    };
                    if let Some(replaced) = &current {
                        replaced.retire();
                    }
                    Op::Put(Arc::new(entry))
                }
            })
            .await;
        let entry = match outcome {
            CompResult::Inserted(entry) | CompResult::ReplacedWith(entry) | CompResult::Unchanged(entry) => {
                entry.into_value()
            }
            CompResult::StillNone(_) | CompResult::Removed(_) => {
                let error = ProviderError::Other("the cache entry vanished while it was read".into());
                let vanished = Entry::failed(error, called_at, inner.epochs.current(), &inner.options);
                vanished.retire();
                self.count(CacheStatus::Miss);
                return Fetched { status: CacheStatus::Miss, entry: Arc::new(vanished) };
            }
        };
        let stale = matches!(entry.freshness(Instant::now()), Freshness::Stale) && entry.is_found();
        let status = if stale {
            CacheStatus::Stale
        } else if read_backend.load(Ordering::Relaxed) {
            CacheStatus::Miss
        } else {
            CacheStatus::Hit
        };
        if status != CacheStatus::Miss && entry.is_found() {
            entry.record_hit();
        }
        self.count(status);
        Fetched { status, entry }
    }

    pub(super) fn counters(&self) -> &CacheCounters {
        &self.inner.counters
    }

    pub(super) fn count(&self, status: CacheStatus) {
        let counters = &self.inner.counters;
        match status {
            CacheStatus::Hit => counters.hit(),
            CacheStatus::Miss => counters.miss(),
            CacheStatus::Stale => counters.stale(),
            CacheStatus::Bypassed => {}
        }
    }

    /// The entry of a failed read of `key`. When the read found nothing (not found, or a conflict: backends
    /// that refuse to read a deleted secret), the secret's metadata is read too, to say why: it is deleted, or
    /// it exists without the version asked for.
    pub(super) async fn failed(&self, key: &CacheKey, error: ProviderError, started: Instant, epoch: u64) -> Entry {
        let absence = match &error {
            ProviderError::NotFound(_) | ProviderError::Conflict(_) => {
                match self.inner.source.describe(&key.name, &VersionSelector::Latest).await {
                    Ok(metadata) if metadata.deleted_at.is_some() || metadata.purge_at.is_some() => {
                        Some(Absence::Deleted {
                            name: key.name.to_string(),
                            deleted_at: metadata.deleted_at,
                            purge_at: metadata.purge_at,
                        })
                    }
                    Ok(_) if key.selector != VersionSelector::Latest && matches!(error, ProviderError::NotFound(_)) => {
                        Some(Absence::NoSuchVersion { name: key.name.to_string(), selector: key.selector.clone() })
                    }
                    _ => None,
                }
            }
            _ => None,
        };
        let mut entry = Entry::failed(error, started, epoch, &self.inner.options);
        entry.absence = absence.map(Box::new);
        entry
    }

    /// Reports uses seen only by the resolver's fast path to the cache's eviction policy, so entries read
    /// often are not the ones evicted.
    pub async fn touch(&self, keys: &[CacheKey]) {
        for key in keys {
            let _ = self.inner.store.get(key).await;
        }
    }

    /// Drops every entry of `name`, whatever the selector.
    pub async fn clear_name(&self, name: &str) {
        self.inner.epochs.clear_name(name);
        let keys: Vec<Arc<CacheKey>> =
            self.inner.store.iter().filter(|(key, _)| &*key.name == name).map(|(key, _)| key).collect();
        for key in keys {
            self.inner.store.invalidate(key.as_ref()).await;
        }
        self.inner.store.run_pending_tasks().await;
    }

    /// Drops every entry of this manager.
    pub async fn clear(&self) {
        self.inner.epochs.clear_manager();
        self.drop_entries().await;
    }

    /// Removes entries from memory after a global clear (already recorded in the shared epochs).
    pub async fn drop_entries(&self) {
        self.inner.store.invalidate_all();
        self.inner.store.run_pending_tasks().await;
    }

    /// Evicts expired entries now rather than at the next write.
    pub async fn sweep(&self) {
        self.inner.store.run_pending_tasks().await;
    }

    /// The entries that may still be served.
    pub fn list(&self) -> Vec<CachedSecretInfo> {
        let now = Instant::now();
        self.inner
            .store
            .iter()
            .filter(|(key, entry)| self.is_current(key, entry) && !matches!(entry.freshness(now), Freshness::Expired))
            .map(|(key, entry)| {
                CachedSecretInfo::of(&self.inner.name, &key.name, key.selector.to_string(), &entry, now)
            })
            .collect()
    }
}

/// Whether a failed read leaves a good value servable (within the stale-if-error grace): transient failures,
/// and answers that say nothing authoritative about the secret (`other`: a malformed answer, or one for
/// another secret). A missing secret, a refused permission or a configuration error are not hidden.
fn keeps_stale(error: &ProviderError) -> bool {
    error.is_transient() || matches!(error, ProviderError::Other(_))
}
