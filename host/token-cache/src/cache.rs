//! [`TokenCache`]: access tokens kept per scope set until shortly before they expire.

use keyway_types::{AccessToken, ProviderError, Timestamp};
use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// How long before expiry a token is renewed, at most; short-lived tokens are renewed at half life.
pub const REFRESH_MARGIN: Duration = Duration::from_secs(300);

struct Cached {
    token: AccessToken,
    obtained_ms: Timestamp,
}

/// Tokens of one identity, keyed by scope set. The lock is held while a token is fetched, so
/// concurrent callers share one renewal instead of each asking the identity provider.
#[derive(Default)]
pub struct TokenCache {
    entries: tokio::sync::Mutex<HashMap<String, Cached>>,
    fetches: AtomicU64,
}

impl std::fmt::Debug for TokenCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the tokens themselves.
        f.debug_struct("TokenCache").field("fetches", &self.fetch_count()).finish_non_exhaustive()
    }
}

/// Milliseconds since the Unix epoch.
fn now_ms() -> Timestamp {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as Timestamp).unwrap_or_default()
}

/// The cache key of a scope list: order and repetitions do not matter.
pub fn scope_key(scopes: &[String]) -> String {
    let mut sorted: Vec<&str> = scopes.iter().map(String::as_str).collect();
    sorted.sort_unstable();
    sorted.dedup();
    sorted.join(" ")
}

impl Cached {
    /// The token if it is still good at `now`: until [`REFRESH_MARGIN`] before its expiry, or
    /// half its lifetime before for tokens shorter than twice the margin.
    fn fresh(&self, now: Timestamp) -> Option<AccessToken> {
        let expires = self.token.expires_at?;
        let lifetime = expires.saturating_sub(self.obtained_ms);
        let margin = (REFRESH_MARGIN.as_millis() as Timestamp).min(lifetime / 2);
        (now + margin < expires).then(|| self.token.clone())
    }
}

impl TokenCache {
    /// The token for `scopes`: the cached one while it is fresh, otherwise the one `fetch` obtains
    /// (called with the current time in milliseconds since the epoch), which is kept when it has
    /// an expiry. An empty scope list is an invalid argument; `fetch`'s errors are returned as
    /// they are and nothing is kept.
    pub async fn get_or_fetch<F, Fut>(&self, scopes: &[String], fetch: F) -> Result<AccessToken, ProviderError>
    where
        F: FnOnce(Timestamp) -> Fut,
        Fut: Future<Output = Result<AccessToken, ProviderError>>,
    {
        if scopes.is_empty() {
            return Err(ProviderError::InvalidArgument("an access token needs at least one scope".into()));
        }
        let key = scope_key(scopes);
        let mut entries = self.entries.lock().await;
        if let Some(token) = entries.get(&key).and_then(|cached| cached.fresh(now_ms())) {
            return Ok(token);
        }
        let token = fetch(now_ms()).await?;
        self.fetches.fetch_add(1, Ordering::Relaxed);
        // The lifetime counts from when the answer arrived, so a slow request renews earlier.
        if token.expires_at.is_some() {
            entries.insert(key, Cached { token: token.clone(), obtained_ms: now_ms() });
        }
        Ok(token)
    }

    /// How many tokens were fetched (cache misses), for tests and metrics.
    pub fn fetch_count(&self) -> u64 {
        self.fetches.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use zeroize::Zeroizing;

    fn token(expires_at: Option<Timestamp>) -> AccessToken {
        AccessToken { token: Zeroizing::new("t".into()), expires_at }
    }

    fn cached(expires_at: Timestamp) -> Cached {
        Cached { token: token(Some(expires_at)), obtained_ms: 0 }
    }

    #[test]
    fn an_hour_token_is_renewed_five_minutes_early() {
        let cached = cached(3_600_000);
        assert!(cached.fresh(3_600_000 - 300_001).is_some());
        assert!(cached.fresh(3_600_000 - 300_000).is_none());
    }

    #[test]
    fn a_short_token_is_renewed_at_half_life() {
        let cached = cached(10_000);
        assert!(cached.fresh(4_999).is_some());
        assert!(cached.fresh(5_000).is_none());
    }

    #[test]
    fn scope_order_does_not_matter() {
        assert_eq!(scope_key(&["b".into(), "a".into(), "a".into()]), scope_key(&["a".into(), "b".into()]));
    }

    #[tokio::test]
    async fn a_fresh_token_is_fetched_once_per_scope_set() -> Result<(), ProviderError> {
        let cache = TokenCache::default();
        let hour = |now: Timestamp| async move { Ok(token(Some(now + 3_600_000))) };
        cache.get_or_fetch(&["a".into(), "b".into()], hour).await?;
        cache.get_or_fetch(&["b".into(), "a".into()], hour).await?;
        assert_eq!(cache.fetch_count(), 1);
        cache.get_or_fetch(&["c".into()], hour).await?;
        assert_eq!(cache.fetch_count(), 2);
        Ok(())
    }

    #[tokio::test]
    async fn expired_tokens_and_tokens_without_expiry_are_fetched_again() -> Result<(), ProviderError> {
        let cache = TokenCache::default();
        for _ in 0..2 {
            cache.get_or_fetch(&["none".into()], |_| async { Ok(token(None)) }).await?;
            cache.get_or_fetch(&["expired".into()], |now| async move { Ok(token(Some(now))) }).await?;
        }
        assert_eq!(cache.fetch_count(), 4);
        Ok(())
    }

    #[tokio::test]
    async fn failures_and_empty_scopes_keep_nothing() {
        let cache = TokenCache::default();
        let refused = cache
            .get_or_fetch(&["s".into()], |_| async { Err(ProviderError::AccessDenied("wrong secret".into())) })
            .await;
        assert_eq!(refused.err(), Some(ProviderError::AccessDenied("wrong secret".into())));
        let empty = cache.get_or_fetch(&[], |_| async { Ok(token(None)) }).await;
        assert!(matches!(empty, Err(ProviderError::InvalidArgument(_))), "{empty:?}");
        assert_eq!(cache.fetch_count(), 0);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn concurrent_callers_share_one_renewal() {
        let cache = Arc::new(TokenCache::default());
        let callers: Vec<_> = (0..8)
            .map(|_| {
                let cache = cache.clone();
                tokio::spawn(async move {
                    cache
                        .get_or_fetch(&["s".into()], |now| async move {
                            tokio::task::yield_now().await;
                            Ok(token(Some(now + 3_600_000)))
                        })
                        .await
                })
            })
            .collect();
        for caller in callers {
            assert!(matches!(caller.await, Ok(Ok(_))));
        }
        assert_eq!(cache.fetch_count(), 1);
    }

    #[test]
    fn debug_shows_no_token() {
        assert_eq!(format!("{:?}", TokenCache::default()), "TokenCache { fetches: 0, .. }");
    }
}
