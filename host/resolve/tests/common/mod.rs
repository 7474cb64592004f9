//! An in-process secret backend for tests and benchmarks: counts calls, and can be slowed down, made to fail
//! and rotated.

#![allow(dead_code)]

use keyway_resolve::SecretSource;
use keyway_types::{BoxFuture, Capabilities, ProviderError, Secret, SecretMetadata, SecretValue, VersionSelector};
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

#[derive(Clone)]
struct Stored {
    versions: Vec<(String, SecretValue)>,
    expires_at: Option<u64>,
    /// A recoverable deletion: when it becomes permanent, and the error reads fail with meanwhile.
    deleted: Option<(u64, ProviderError)>,
}

/// A fake backend holding secrets in memory.
pub struct FakeSource {
    secrets: Mutex<HashMap<String, Stored>>,
    next_version: AtomicUsize,
    gets: AtomicUsize,
    describes: AtomicUsize,
    delay: Mutex<Duration>,
    failure: Mutex<Option<ProviderError>>,
    probe: bool,
}

impl FakeSource {
    /// A backend that declares `probe` when `probe` is true.
    pub fn new(probe: bool) -> Arc<Self> {
        Arc::new(Self {
            secrets: Mutex::default(),
            next_version: AtomicUsize::new(1),
            gets: AtomicUsize::new(0),
            describes: AtomicUsize::new(0),
            delay: Mutex::new(Duration::ZERO),
            failure: Mutex::new(None),
            probe,
        })
    }

    /// Writes a new version of a text secret; returns its version id.
    pub fn put(&self, name: &str, value: &str) -> String {
        self.put_value(name, SecretValue::text(value))
    }

    /// Writes a new version; returns its version id.
    pub fn put_value(&self, name: &str, value: SecretValue) -> String {
        let version = format!("v{}", self.next_version.fetch_add(1, Ordering::SeqCst));
        let mut secrets = self.secrets.lock().unwrap_or_else(PoisonError::into_inner);
        let stored =
            secrets.entry(name.to_owned()).or_insert(Stored { versions: Vec::new(), expires_at: None, deleted: None });
        stored.versions.push((version.clone(), value));
        version
    }

    /// Sets a secret's own expiry (milliseconds since the epoch).
    pub fn expire_at(&self, name: &str, expires_at: u64) {
        if let Some(stored) = self.secrets.lock().unwrap_or_else(PoisonError::into_inner).get_mut(name) {
            stored.expires_at = Some(expires_at);
        }
    }

    /// Deletes a secret.
    pub fn remove(&self, name: &str) {
        self.secrets.lock().unwrap_or_else(PoisonError::into_inner).remove(name);
    }

    /// Deletes a secret recoverably until `purge_at`: reads fail with `read_error` (not found, or a conflict
    /// as AWS answers), and it is described with its deletion.
    pub fn delete_recoverably(&self, name: &str, purge_at: u64, read_error: ProviderError) {
        if let Some(stored) = self.secrets.lock().unwrap_or_else(PoisonError::into_inner).get_mut(name) {
            stored.deleted = Some((purge_at, read_error));
        }
    }

    /// Every call takes this long.
    pub fn set_delay(&self, delay: Duration) {
        *self.delay.lock().unwrap_or_else(PoisonError::into_inner) = delay;
    }

    /// Every call fails with this error, until cleared with `None`.
    pub fn fail_with(&self, error: Option<ProviderError>) {
        *self.failure.lock().unwrap_or_else(PoisonError::into_inner) = error;
    }

    /// `get` calls so far.
    pub fn gets(&self) -> usize {
        self.gets.load(Ordering::SeqCst)
    }

    /// `describe` calls so far.
    pub fn describes(&self) -> usize {
        self.describes.load(Ordering::SeqCst)
    }

    fn find(&self, name: &str, selector: &VersionSelector) -> Result<Secret, ProviderError> {
        let secrets = self.secrets.lock().unwrap_or_else(PoisonError::into_inner);
        let stored = secrets.get(name).ok_or_else(|| ProviderError::not_found(name))?;
        let versions = &stored.versions;
        let found = match selector {
            VersionSelector::Latest => versions.last(),
            VersionSelector::Id(id) => versions.iter().find(|(version, _)| version == id),
            VersionSelector::Label(label) if label == "AWSCURRENT" => versions.last(),
            VersionSelector::Label(label) if label == "AWSPREVIOUS" => {
                versions.len().checked_sub(2).and_then(|i| versions.get(i))
            }
            VersionSelector::Label(_) => None,
        };
        let (version, value) = found.ok_or_else(|| ProviderError::NotFound(format!("no such version of '{name}'")))?;
        let metadata = SecretMetadata {
            version_id: Some(version.clone()),
            expires_at: stored.expires_at,
            deleted_at: stored.deleted.as_ref().map(|_| 1_000),
            purge_at: stored.deleted.as_ref().map(|(purge_at, _)| *purge_at),
            ..SecretMetadata::named(name)
        };
        Ok(Secret { value: value.clone(), metadata })
    }

    /// The error a read fails with while the secret is deleted.
    fn deleted(&self, name: &str) -> Option<ProviderError> {
        let secrets = self.secrets.lock().unwrap_or_else(PoisonError::into_inner);
        secrets.get(name).and_then(|stored| stored.deleted.as_ref()).map(|(_, error)| error.clone())
    }

    async fn pause_or_fail(&self) -> Result<(), ProviderError> {
        let delay = *self.delay.lock().unwrap_or_else(PoisonError::into_inner);
        if !delay.is_zero() {
            tokio::time::sleep(delay).await;
        }
        match self.failure.lock().unwrap_or_else(PoisonError::into_inner).clone() {
            Some(error) => Err(error),
            None => Ok(()),
        }
    }
}

impl SecretSource for FakeSource {
    fn get<'a>(&'a self, name: &'a str, selector: &'a VersionSelector) -> BoxFuture<'a, Result<Secret, ProviderError>> {
        self.gets.fetch_add(1, Ordering::SeqCst);
        // The answer is as of the call's start, like a backend that read its store before a slow reply.
        let found = match self.deleted(name) {
            Some(error) => Err(error),
            None => self.find(name, selector),
        };
        Box::pin(async move {
            self.pause_or_fail().await?;
            found
        })
    }

    fn describe<'a>(
        &'a self,
        name: &'a str,
        selector: &'a VersionSelector,
    ) -> BoxFuture<'a, Result<SecretMetadata, ProviderError>> {
        self.describes.fetch_add(1, Ordering::SeqCst);
        let found = self.find(name, selector).map(|secret| secret.metadata);
        Box::pin(async move {
            self.pause_or_fail().await?;
            found
        })
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities { probe: self.probe, ..Capabilities::ALL }
    }
}

/// Cache options with short durations for tests.
pub fn short_cache(expire_after_write: Duration) -> keyway_resolve::CacheOptions {
    keyway_resolve::CacheOptions {
        expire_after_write,
        refresh_ahead: Duration::ZERO,
        stale_if_error: Duration::ZERO,
        not_found_ttl: Duration::from_secs(60),
        error_ttl: Duration::from_millis(50),
        jitter: 0.0,
        ..keyway_resolve::CacheOptions::default()
    }
}
