//! What operators see of the cache: names, versions, ages and expiry, never values.

use super::entry::{Content, Entry, Freshness};
use serde::Serialize;
use std::fmt;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

/// How a read was served.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum CacheStatus {
    /// From a fresh cache entry, or by waiting for a read another caller had started.
    Hit,
    /// This call read the backend.
    Miss,
    /// A stale entry, served because the backend failed transiently (stale-if-error).
    Stale,
    /// The cache was not consulted (the call was refused first).
    Bypassed,
}

impl CacheStatus {
    /// The status as written in audit records: `hit`, `miss`, `stale`, `bypassed`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Hit => "hit",
            Self::Miss => "miss",
            Self::Stale => "stale",
            Self::Bypassed => "bypassed",
        }
    }
}

impl fmt::Display for CacheStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The state of a cached entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum EntryState {
    /// A value, fresh.
    Fresh,
    /// A value past freshness, kept for stale-if-error.
    Stale,
    /// A remembered "not found".
    NotFound,
    /// A remembered failure.
    Failed,
}

/// One cached entry as operators see it (`keyway cache list`): never the value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CachedSecretInfo {
    /// The manager.
    pub manager: String,
    /// The secret's name.
    pub name: String,
    /// The version selector of the read: `latest`, `version=ID` or `label=L`.
    pub selector: String,
    /// The version the entry holds, when the backend reports one.
    pub version_id: Option<String>,
    /// The entry's state.
    pub state: EntryState,
    /// Time since the read that produced the entry began (or since a probe last confirmed its version).
    #[serde(rename = "age_ms", serialize_with = "millis")]
    pub age: Duration,
    /// Time until the entry stops being fresh; zero when it no longer is.
    #[serde(rename = "expires_in_ms", serialize_with = "millis")]
    pub expires_in: Duration,
    /// Reads served from the cache for this secret and selector.
    pub hits: u64,
}

fn millis<S: serde::Serializer>(duration: &Duration, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_u64(u64::try_from(duration.as_millis()).unwrap_or(u64::MAX))
}

impl CachedSecretInfo {
    pub(crate) fn of(manager: &str, name: &str, selector: String, entry: &Entry, now: Instant) -> Self {
        let state = match (&entry.content, entry.freshness(now)) {
            (Content::Failed(error), _) if matches!(**error, keyway_types::ProviderError::NotFound(_)) => {
                EntryState::NotFound
            }
            (Content::Failed(_), _) => EntryState::Failed,
            (Content::Found(_), Freshness::Fresh { .. }) => EntryState::Fresh,
            (Content::Found(_), _) => EntryState::Stale,
        };
        Self {
            manager: manager.to_owned(),
            name: name.to_owned(),
            selector,
            version_id: entry.version_id().map(str::to_owned),
            state,
            age: now.saturating_duration_since(entry.fetched_at),
            expires_in: entry.fresh_until.saturating_duration_since(now),
            hits: entry.hits.load(Ordering::Relaxed),
        }
    }
}
