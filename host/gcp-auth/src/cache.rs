//! Tokens kept per scope set until shortly before they expire.

use keyway_types::{AccessToken, Timestamp};
use std::collections::HashMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// How long before expiry a token is renewed, at most; short-lived tokens are renewed at half life.
pub const REFRESH_MARGIN: Duration = Duration::from_secs(300);

struct Cached {
    token: AccessToken,
    obtained_ms: Timestamp,
}

/// A map from the sorted scope list to its token.
#[derive(Default)]
pub(crate) struct TokenCache {
    entries: HashMap<String, Cached>,
}

/// Milliseconds since the Unix epoch.
pub(crate) fn now_ms() -> Timestamp {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as Timestamp).unwrap_or_default()
}

/// The cache key of a scope list: order does not matter.
pub(crate) fn key(scopes: &[String]) -> String {
    let mut sorted: Vec<&str> = scopes.iter().map(String::as_str).collect();
    sorted.sort_unstable();
    sorted.dedup();
    sorted.join(" ")
}

impl TokenCache {
    /// The cached token for `key` if it is still good at `now`.
    pub(crate) fn fresh(&self, key: &str, now: Timestamp) -> Option<AccessToken> {
        let cached = self.entries.get(key)?;
        let expires = cached.token.expires_at?;
        let lifetime = expires.saturating_sub(cached.obtained_ms);
        let margin = (REFRESH_MARGIN.as_millis() as Timestamp).min(lifetime / 2);
        (now + margin < expires).then(|| cached.token.clone())
    }

    /// Keeps `token`, obtained at `now`; a token without expiry is never kept.
    pub(crate) fn store(&mut self, key: String, token: AccessToken, now: Timestamp) {
        if token.expires_at.is_some() {
            self.entries.insert(key, Cached { token, obtained_ms: now });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use zeroize::Zeroizing;

    fn token(expires_at: Timestamp) -> AccessToken {
        AccessToken { token: Zeroizing::new("t".into()), expires_at: Some(expires_at) }
    }

    #[test]
    fn an_hour_token_is_renewed_five_minutes_early() {
        let mut cache = TokenCache::default();
        cache.store("s".into(), token(3_600_000), 0);
        assert!(cache.fresh("s", 3_600_000 - 300_001).is_some());
        assert!(cache.fresh("s", 3_600_000 - 300_000).is_none());
    }

    #[test]
    fn a_short_token_is_renewed_at_half_life() {
        let mut cache = TokenCache::default();
        cache.store("s".into(), token(10_000), 0);
        assert!(cache.fresh("s", 4_999).is_some());
        assert!(cache.fresh("s", 5_000).is_none());
    }

    #[test]
    fn scope_order_does_not_matter() {
        assert_eq!(key(&["b".into(), "a".into(), "a".into()]), key(&["a".into(), "b".into()]));
    }
}
