//! The sweeper: every half second, evicts expired cache entries (so their values are zeroized even when
//! nobody reads), drops the front's cells holding entries the cache let go of, and reports the uses the
//! front served to the cache's eviction policy.

use super::Inner;
use crate::cache::SWEEP_EVERY;
use std::collections::HashMap;
use std::sync::Weak;
use std::time::Instant;

/// Starts the sweeper on the current tokio runtime, if there is one; it stops when the resolver is dropped.
pub(super) fn start(resolver: Weak<Inner>) {
    let Ok(runtime) = tokio::runtime::Handle::try_current() else {
        return;
    };
    runtime.spawn(async move {
        let mut ticks = tokio::time::interval(SWEEP_EVERY);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            let Some(inner) = resolver.upgrade() else { break };
            inner.cache.sweep().await;
            let now = Instant::now();
            let touched =
                inner.front.sweep(|index, key, entry| inner.managers.get(index).cache.may_serve(key, entry, now));
            let mut by_manager: HashMap<usize, Vec<_>> = HashMap::new();
            for (index, key) in touched {
                by_manager.entry(index).or_default().push(key);
            }
            for (index, keys) in by_manager {
                inner.managers.get(index).cache.touch(&keys).await;
            }
        }
    });
}
