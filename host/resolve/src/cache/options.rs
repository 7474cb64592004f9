//! Cache settings: global defaults and per-manager overrides.

use serde::{Deserialize, Serialize};
use std::time::Duration;

/// The longest duration a setting may have.
const MAX_DURATION: Duration = Duration::from_secs(365 * 24 * 3600);

/// The cache's settings. Durations are written like `60s`, `5m`, `250ms`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
pub struct CacheOptions {
    /// At most this many entries (found, not-found and failed lookups alike). Globally: the total over
    /// every manager; per manager: that manager's share.
    pub max_entries: u64,
    /// An entry is fresh for this long after the read that produced it began (minus jitter), or until the
    /// secret's own `expires_at` when that is sooner.
    #[serde(with = "humantime_serde")]
    pub expire_after_write: Duration,
    /// This long before an entry stops being fresh, the next read triggers a background refresh: a cheap
    /// `describe` when the backend declares `probe` (the value is read only when the version changed), a
    /// `get` otherwise. Capped at half of `expire_after_write`; zero disables refresh-ahead.
    #[serde(with = "humantime_serde")]
    pub refresh_ahead: Duration,
    /// After an entry stops being fresh, it is still served for this long when the backend fails
    /// transiently (throttled or unavailable), never past the secret's own `expires_at`. Zero disables it.
    #[serde(with = "humantime_serde")]
    pub stale_if_error: Duration,
    /// How long a "not found" answer is remembered.
    #[serde(with = "humantime_serde")]
    pub not_found_ttl: Duration,
    /// How long any other failed read is remembered, so that a failing backend is not called again by every
    /// waiting caller.
    #[serde(with = "humantime_serde")]
    pub error_ttl: Duration,
    /// Up to this fraction of `expire_after_write` is taken off each entry's freshness at random, so secrets
    /// read together do not all expire together. Between 0 and 0.5.
    pub jitter: f64,
}

impl Default for CacheOptions {
    fn default() -> Self {
        Self {
            max_entries: 10_000,
            expire_after_write: Duration::from_secs(300),
            refresh_ahead: Duration::from_secs(30),
            stale_if_error: Duration::from_secs(300),
            not_found_ttl: Duration::from_secs(5),
            error_ttl: Duration::from_secs(1),
            jitter: 0.1,
        }
    }
}

/// Per-manager overrides of [`CacheOptions`]; unset fields take the global value.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
pub struct CacheOverrides {
    /// See [`CacheOptions::max_entries`].
    pub max_entries: Option<u64>,
    /// See [`CacheOptions::expire_after_write`].
    #[serde(with = "humantime_serde")]
    pub expire_after_write: Option<Duration>,
    /// See [`CacheOptions::refresh_ahead`].
    #[serde(with = "humantime_serde")]
    pub refresh_ahead: Option<Duration>,
    /// See [`CacheOptions::stale_if_error`].
    #[serde(with = "humantime_serde")]
    pub stale_if_error: Option<Duration>,
    /// See [`CacheOptions::not_found_ttl`].
    #[serde(with = "humantime_serde")]
    pub not_found_ttl: Option<Duration>,
    /// See [`CacheOptions::error_ttl`].
    #[serde(with = "humantime_serde")]
    pub error_ttl: Option<Duration>,
    /// See [`CacheOptions::jitter`].
    pub jitter: Option<f64>,
}

impl CacheOptions {
    /// These options with `overrides` applied.
    pub fn with_overrides(&self, overrides: &CacheOverrides) -> Self {
        Self {
            max_entries: overrides.max_entries.unwrap_or(self.max_entries),
            expire_after_write: overrides.expire_after_write.unwrap_or(self.expire_after_write),
            refresh_ahead: overrides.refresh_ahead.unwrap_or(self.refresh_ahead),
            stale_if_error: overrides.stale_if_error.unwrap_or(self.stale_if_error),
            not_found_ttl: overrides.not_found_ttl.unwrap_or(self.not_found_ttl),
            error_ttl: overrides.error_ttl.unwrap_or(self.error_ttl),
            jitter: overrides.jitter.unwrap_or(self.jitter),
        }
    }

    /// Checks the values; the message names the offending setting.
    pub(crate) fn validate(&self) -> Result<(), String> {
        if !(0.0..=0.5).contains(&self.jitter) {
            return Err(format!("cache jitter must be between 0 and 0.5, not {}", self.jitter));
        }
        if self.expire_after_write.is_zero() {
            return Err("cache expire-after-write must be longer than zero".into());
        }
        let durations = [
            ("expire-after-write", self.expire_after_write),
            ("refresh-ahead", self.refresh_ahead),
            ("stale-if-error", self.stale_if_error),
            ("not-found-ttl", self.not_found_ttl),
            ("error-ttl", self.error_ttl),
        ];
        if let Some((name, _)) = durations.iter().find(|(_, duration)| *duration > MAX_DURATION) {
            return Err(format!("cache {name} must not be longer than a year"));
        }
        Ok(())
    }

    /// The effective refresh-ahead window.
    pub(crate) fn refresh_window(&self) -> Duration {
        self.refresh_ahead.min(self.expire_after_write / 2)
    }

    /// The longest any entry can live: how long invalidation records must be kept.
    pub(crate) fn longest_lifetime(&self) -> Duration {
        (self.expire_after_write + self.stale_if_error).max(self.not_found_ttl).max(self.error_ttl)
    }
}

/// Splits the global `max_entries` over managers whose own maxima add up to more: each gets a share
/// proportional to its own maximum, so the total does not exceed the global maximum (except that a manager
/// that wants entries keeps at least one). A manager whose maximum is zero caches nothing.
pub(crate) fn partition_capacity(global: u64, wanted: &[u64]) -> Vec<u64> {
    let total: u128 = wanted.iter().map(|w| u128::from(*w)).sum();
    if total <= u128::from(global) {
        return wanted.to_vec();
    }
    wanted
        .iter()
        .map(|w| {
            let share = u128::from(*w) * u128::from(global) / total.max(1);
            let share = u64::try_from(share).unwrap_or(u64::MAX);
            if *w > 0 {
                share.max(1)
            } else {
                0
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capacity_is_shared_proportionally_when_oversubscribed() {
        assert_eq!(partition_capacity(100, &[10, 20]), vec![10, 20]);
        assert_eq!(partition_capacity(100, &[100, 100]), vec![50, 50]);
        assert_eq!(partition_capacity(100, &[300, 100]), vec![75, 25]);
        assert_eq!(partition_capacity(100, &[0, 200]), vec![0, 100]);
    }

    #[test]
    fn overrides_replace_only_what_they_set() {
        let global = CacheOptions::default();
        let overrides = CacheOverrides { max_entries: Some(5), ..CacheOverrides::default() };
        let merged = global.with_overrides(&overrides);
        assert_eq!(merged.max_entries, 5);
        assert_eq!(merged.expire_after_write, global.expire_after_write);
    }

    #[test]
    fn parses_human_durations() {
        let options: CacheOptions =
            serde_json::from_value(serde_json::json!({"expire-after-write": "90s", "stale-if-error": "2m"}))
                .expect("valid options");
        assert_eq!(options.expire_after_write, Duration::from_secs(90));
        assert_eq!(options.stale_if_error, Duration::from_secs(120));
    }
}
