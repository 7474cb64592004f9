//! Refresh-ahead: re-reading an entry that is still served, shortly before it expires, in the background.

use super::entry::{CacheKey, Entry};
use super::manager::ManagerCache;
use keyway_types::ProviderError;
use moka::ops::compute::Op;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Instant;

impl ManagerCache {
    /// Starts refresh-ahead for `entry` in the background, once.
    pub(super) fn start_refresh(&self, key: &CacheKey, entry: &Arc<Entry>) {
        if entry.refreshing.load(Ordering::Relaxed) || entry.refreshing.swap(true, Ordering::AcqRel) {
            return;
        }
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let this = self.clone();
        let (key, expected) = (key.clone(), Arc::clone(entry));
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
                let op = 'read: {
                    if inner.source.capabilities().probe && current.version_id().is_some() {
                        match inner.source.describe(&key_ref.name, &key_ref.selector).await {
                            Ok(metadata) if metadata.version_id.as_deref() == current.version_id() => {
                                let renewed = current.renewed(metadata.expires_at, started, epoch, &inner.options);
                                break 'read Op::Put(Arc::new(renewed));
                            }
                            Ok(_) => {}
                            Err(error) => break 'read self.refresh_failed(key_ref, error, started, epoch).await,
                        }
                    }
                    match inner.source.get(&key_ref.name, &key_ref.selector).await {
                        Ok(secret) => {
                            let hits = Arc::clone(&current.hits);
                            Op::Put(Arc::new(Entry::found(secret, started, epoch, &inner.options, hits)))
                        }
                        Err(error) => self.refresh_failed(key_ref, error, started, epoch).await,
                    }
                };
                if matches!(op, Op::Put(_)) {
                    current.retire();
                }
                op
            })
            .await;
    }

    /// A deleted secret stops being served at once; other refresh failures are left to expiry.
    async fn refresh_failed(
        &self,
        key: &CacheKey,
        error: ProviderError,
        started: Instant,
        epoch: u64,
    ) -> Op<Arc<Entry>> {
        tracing::debug!(manager = %self.inner.name, secret = %key.name, error = %error, "refresh-ahead failed");
        if matches!(error, ProviderError::NotFound(_)) {
            Op::Put(Arc::new(self.failed(key, error, started, epoch).await))
        } else {
            Op::Nop
        }
    }
}
