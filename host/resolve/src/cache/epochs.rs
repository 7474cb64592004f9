//! Invalidation epochs: an entry whose read began before an invalidation of its secret, its manager or the
//! whole cache is never served, even when that read finishes after the invalidation.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

/// The epoch counter shared by every manager, and the epoch of the last "clear everything".
#[derive(Debug, Default)]
pub(crate) struct GlobalEpochs {
    counter: AtomicU64,
    all_cleared: AtomicU64,
}

impl GlobalEpochs {
    pub fn current(&self) -> u64 {
        self.counter.load(Ordering::Acquire)
    }

    fn advance(&self) -> u64 {
        self.counter.fetch_add(1, Ordering::AcqRel) + 1
    }

    pub fn clear_all(&self) {
        let epoch = self.advance();
        self.all_cleared.fetch_max(epoch, Ordering::AcqRel);
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

    /// Whether an entry read at `epoch` for `name` survives every invalidation since.
    pub fn is_current(&self, name: &str, epoch: u64) -> bool {
        if epoch >= self.global.current() {
            return true;
        }
        if epoch < self.global.all_cleared.load(Ordering::Acquire)
            || epoch < self.manager_cleared.load(Ordering::Acquire)
        {
            return false;
        }
        let names = self.names.lock().unwrap_or_else(PoisonError::into_inner);
        names.get(name).is_none_or(|(cleared, _)| epoch >= *cleared)
    }

    pub fn clear_manager(&self) {
        let epoch = self.global.advance();
        self.manager_cleared.fetch_max(epoch, Ordering::AcqRel);
    }

    pub fn clear_name(&self, name: &str) {
        let now = Instant::now();
        let mut names = self.names.lock().unwrap_or_else(PoisonError::into_inner);
        let epoch = self.global.advance();
        names.insert(name.to_owned(), (epoch, now));
        if names.len() > PRUNE_ABOVE {
            let keep_for = self.keep_for;
            names.retain(|_, (_, at)| now.duration_since(*at) <= keep_for);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_begun_before_an_invalidation_are_not_current() {
        let global = Arc::new(GlobalEpochs::default());
        let epochs = ManagerEpochs::new(Arc::clone(&global), Duration::from_secs(60));
        let before = epochs.current();
        epochs.clear_name("db");
        assert!(!epochs.is_current("db", before));
        assert!(epochs.is_current("other", before));
        assert!(epochs.is_current("db", epochs.current()));

        let before = epochs.current();
        epochs.clear_manager();
        assert!(!epochs.is_current("other", before));

        let before = epochs.current();
        global.clear_all();
        assert!(!epochs.is_current("other", before));
        assert!(epochs.is_current("other", epochs.current()));
    }
}
