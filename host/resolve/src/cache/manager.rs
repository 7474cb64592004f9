//! One manager's part of the cache: reads with single-flight, refresh-ahead and stale-if-error.

use super::entry::{retry_delay, CacheKey, Content, Entry, Freshness};
use super::epochs::ManagerEpochs;
use super::listing::{CacheStatus, CachedSecretInfo};
use super::options::CacheOptions;
use crate::fields::SharedSecret;
use crate::source::SecretSource;
use keyway_types::{ProviderError, VersionSelector};
use moka::future::Cache;
use moka::ops::compute::{CompResult, Op};
use moka::Expiry;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The result of one cached read.
pub(crate) struct Fetched {
    pub status: CacheStatus,
    pub result: Result<Arc<SharedSecret>, ProviderError>,
    pub version_id: Option<String>,
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
    inner: Arc<Inner>,
}

struct Inner {
    name: String,
    source: Arc<dyn SecretSource>,
    options: CacheOptions,
    store: Cache<CacheKey, Arc<Entry>>,
    epochs: ManagerEpochs,
}

impl ManagerCache {
    pub fn new(
        name: &str,
        source: Arc<dyn SecretSource>,
        options: CacheOptions,
        capacity: u64,
        epochs: ManagerEpochs,
    ) -> Self {
        let store = Cache::builder().max_capacity(capacity).expire_after(EntryExpiry).build();
        Self { inner: Arc::new(Inner { name: name.to_owned(), source, options, store, epochs }) }
    }

    /// Reads a secret through the cache.
    pub async fn get(&self, name: &str, selector: &VersionSelector) -> Fetched {
        let key = CacheKey { name: name.to_owned(), selector: selector.clone() };
        let called_at = Instant::now();
        if let Some(entry) = self.inner.store.get(&key).await {
            if self.is_current(&key, &entry) {
                match entry.freshness(called_at) {
                    Freshness::Fresh { refresh_due } => {
                        if refresh_due && entry.is_found() {
                            self.start_refresh(key, &entry);
                        }
                        return serve(&entry, CacheStatus::Hit);
                    }
                    Freshness::Stale if entry.backing_off(called_at) => return serve(&entry, CacheStatus::Stale),
                    Freshness::Stale | Freshness::Expired => {}
                }
            }
        }
        self.load(key, called_at).await
    }

    fn is_current(&self, key: &CacheKey, entry: &Entry) -> bool {
        self.inner.epochs.is_current(&key.name, entry.epoch)
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
                        Err(error) => match current.filter(|entry| error.is_transient() && entry.is_found()) {
                            Some(stale) if matches!(stale.freshness(Instant::now()), Freshness::Stale) => {
                                tracing::warn!(
                                    manager = %inner.name, secret = %key.name, error = %error,
                                    "serving a stale secret: the backend failed transiently"
                                );
                                stale.kept_after_failure(Instant::now() + retry_delay(&error, &inner.options))
                            }
                            _ => Entry::failed(error, started, epoch, &inner.options),
                        },
                    };
                    Op::Put(Arc::new(entry))
                }
            })
            .await;
        let entry = match outcome {
            CompResult::Inserted(entry) | CompResult::ReplacedWith(entry) | CompResult::Unchanged(entry) => {
                entry.into_value()
            }
            CompResult::StillNone(_) | CompResult::Removed(_) => {
                return Fetched {
                    status: CacheStatus::Miss,
                    result: Err(ProviderError::Other("the cache entry vanished while it was read".into())),
                    version_id: None,
                }
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
        serve(&entry, status)
    }

    /// Starts refresh-ahead for `entry` in the background, once.
    fn start_refresh(&self, key: CacheKey, entry: &Arc<Entry>) {
        if entry.refreshing.swap(true, Ordering::AcqRel) {
            return;
        }
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let this = self.clone();
        let expected = Arc::clone(entry);
        runtime.spawn(async move { this.refresh(key, expected).await });
    }

    /// Re-reads an entry that is still served: probe first when the backend can, value only when the version
    /// changed. Failures leave the entry as it is; it is read again when it expires.
    async fn refresh(&self, key: CacheKey, expected: Arc<Entry>) {
        let inner = &self.inner;
        let key_ref = &key;
        inner
            .store
            .entry(key.clone())
            .and_compute_with(|current| async move {
                let Some(current) = current.map(|found| found.into_value()) else { return Op::Nop };
                if !Arc::ptr_eq(&current, &expected) || !self.is_current(key_ref, &current) {
                    return Op::Nop;
                }
                let epoch = inner.epochs.current();
                let started = Instant::now();
                // Asked at each refresh: a manager connects to its plugin on first use, so its
                // capabilities are known only from then on.
                if inner.source.capabilities().probe && current.version_id.is_some() {
                    match inner.source.describe(&key_ref.name, &key_ref.selector).await {
                        Ok(metadata) if metadata.version_id == current.version_id => {
                            let renewed = current.renewed(metadata.expires_at, started, epoch, &inner.options);
                            return Op::Put(Arc::new(renewed));
                        }
                        Ok(_) => {}
                        Err(error) => return self.refresh_failed(key_ref, error, started, epoch),
                    }
                }
                match inner.source.get(&key_ref.name, &key_ref.selector).await {
                    Ok(secret) => {
                        let hits = Arc::clone(&current.hits);
                        Op::Put(Arc::new(Entry::found(secret, started, epoch, &inner.options, hits)))
                    }
                    Err(error) => self.refresh_failed(key_ref, error, started, epoch),
                }
            })
            .await;
    }

    /// A deleted secret stops being served at once; other refresh failures are left to expiry.
    fn refresh_failed(&self, key: &CacheKey, error: ProviderError, started: Instant, epoch: u64) -> Op<Arc<Entry>> {
        tracing::debug!(manager = %self.inner.name, secret = %key.name, error = %error, "refresh-ahead failed");
        if matches!(error, ProviderError::NotFound(_)) {
            Op::Put(Arc::new(Entry::failed(error, started, epoch, &self.inner.options)))
        } else {
            Op::Nop
        }
    }

    /// Drops every entry of `name`, whatever the selector.
    pub async fn clear_name(&self, name: &str) {
        self.inner.epochs.clear_name(name);
        let keys: Vec<Arc<CacheKey>> =
            self.inner.store.iter().filter(|(key, _)| key.name == name).map(|(key, _)| key).collect();
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

fn serve(entry: &Entry, status: CacheStatus) -> Fetched {
    let result = match &entry.content {
        Content::Found(shared) => {
            if status != CacheStatus::Miss {
                entry.record_hit();
            }
            Ok(Arc::clone(shared))
        }
        Content::Failed(error) => Err(error.clone()),
    };
    Fetched { status, result, version_id: entry.version_id.clone() }
}
