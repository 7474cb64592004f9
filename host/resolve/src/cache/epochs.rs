//! Invalidation epochs: an entry whose read began before an invalidation of its secret, its manager or the
//! whole cache is never served, even when that read finishes after the invalidation.
//!
//! An invalidation records its marker (the epoch from which entries are valid again) before it makes that
//! epoch current, so whoever sees the new epoch also sees the marker. That lets an entry remember the epoch
//! at which it was last found valid: checking it again costs one atomic load until the next invalidation.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

/// The epoch counter shared by every manager, and the epoch of the last "clear everything".
#[derive(Debug, Default)]
pub(crate) struct GlobalEpochs {
    counter: AtomicU64,
    all_cleared: AtomicU64,
    /// Invalidations one at a time, so markers and the counter move together.
    invalidating: Mutex<()>,
}

impl GlobalEpochs {
    pub fn current(&self) -> u64 {
        self.counter.load(Ordering::Acquire)
    }

    /// Records an invalidation: `mark` stores the marker (the next epoch), then that epoch becomes current.
    fn invalidate(&self, mark: impl FnOnce(u64)) {
        let _one_at_a_time = self.invalidating.lock().unwrap_or_else(PoisonError::into_inner);
        let next = self.counter.load(Ordering::Acquire) + 1;
        mark(next);
        self.counter.store(next, Ordering::Release);
    }

    pub fn clear_all(&self) {
        self.invalidate(|epoch| {
            self.all_cleared.fetch_max(epoch, Ordering::AcqRel);
        });
    }
}

/// One manager's invalidation records.
#[derive(Debug)]
pub(crate) struct ManagerEpochs {
    global: Arc<GlobalEpochs>,
    manager_cleared: AtomicU64,
    /// Per secret name: the epoch of its last invalidation and when it happened.
    names: Mutex<HashMap<String, (u64, Instant)>>,
    /// Records older than this can go: every entry read before them has expired.
    keep_for: Duration,
}

/// Beyond this many name records, old ones are pruned.
const PRUNE_ABOVE: usize = 256;

impl ManagerEpochs {
    pub fn new(global: Arc<GlobalEpochs>, keep_for: Duration) -> Self {
        Self { global, manager_cleared: AtomicU64::new(0), names: Mutex::new(HashMap::new()), keep_for }
    }

    /// The epoch a read beginning now records.
    pub fn current(&self) -> u64 {
        self.global.current()
    }

    /// Whether an entry read at `epoch` for `name` survives every invalidation since. `validated` is the
    /// entry's memory of the last epoch it was found valid at (0 at first).
    pub fn is_current(&self, name: &str, epoch: u64, validated: &AtomicU64) -> bool {
        let now = self.global.current();
        if epoch >= now || validated.load(Ordering::Relaxed) >= now {
            return true;
        }
        if epoch < self.global.all_cleared.load(Ordering::Acquire)
            || epoch < self.manager_cleared.load(Ordering::Acquire)
        {
            return false;
        }
        let names = self.names.lock().unwrap_or_else(PoisonError::into_inner);
        let current = names.get(name).is_none_or(|(cleared, _)| epoch >= *cleared);
        if current {
            validated.fetch_max(now, Ordering::Relaxed);
        }
        current
    }

    pub fn clear_manager(&self) {
        self.global.invalidate(|epoch| {
            self.manager_cleared.fetch_max(epoch, Ordering::AcqRel);
        });
    }

    pub fn clear_name(&self, name: &str) {
        let now = Instant::now();
        self.global.invalidate(|epoch| {
            let mut names = self.names.lock().unwrap_or_else(PoisonError::into_inner);
            names.insert(name.to_owned(), (epoch, now));
            if names.len() > PRUNE_ABOVE {
                let keep_for = self.keep_for;
                names.retain(|_, (_, at)| now.duration_since(*at) <= keep_for);
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_begun_before_an_invalidation_are_not_current() {
        let global = Arc::new(GlobalEpochs::default());
        let epochs = ManagerEpochs::new(Arc::clone(&global), Duration::from_secs(60));
        let fresh = || AtomicU64::new(0);
        let before = epochs.current();
        epochs.clear_name("db");
        assert!(!epochs.is_current("db", before, &fresh()));
        assert!(epochs.is_current("other", before, &fresh()));
        assert!(epochs.is_current("db", epochs.current(), &fresh()));

        let before = epochs.current();
        epochs.clear_manager();
        assert!(!epochs.is_current("other", before, &fresh()));

        let before = epochs.current();
        global.clear_all();
        assert!(!epochs.is_current("other", before, &fresh()));
        assert!(epochs.is_current("other", epochs.current(), &fresh()));
    }

    #[test]
    fn a_remembered_validation_lasts_until_the_next_invalidation() {
        let global = Arc::new(GlobalEpochs::default());
        let epochs = ManagerEpochs::new(Arc::clone(&global), Duration::from_secs(60));
        let (db, other) = (AtomicU64::new(0), AtomicU64::new(0));
        let read_at = epochs.current();
        epochs.clear_name("unrelated");
        assert!(epochs.is_current("db", read_at, &db));
        assert!(epochs.is_current("other", read_at, &other));
        assert_eq!(db.load(Ordering::Relaxed), epochs.current(), "remembered");
        epochs.clear_name("db");
        assert!(!epochs.is_current("db", read_at, &db), "a remembered validation does not outlive an invalidation");
        assert!(epochs.is_current("other", read_at, &other));
        global.clear_all();
        assert!(!epochs.is_current("other", read_at, &other));
    }
}
