//! One cache entry: a secret (or a remembered failure) with its freshness deadlines.

use super::options::CacheOptions;
use crate::error::Absence;
use crate::fields::SharedSecret;
use keyway_types::{ProviderError, Secret, Timestamp, VersionSelector};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// A cache key within one manager. Cheap to clone.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct CacheKey {
    pub name: Arc<str>,
    pub selector: VersionSelector,
}

/// What a read produced.
pub(crate) enum Content {
    Found(Arc<SharedSecret>),
    /// Not found (kept for `not_found_ttl`) or another failure (kept for `error_ttl`). Boxed: an entry is most
    /// often a secret, and every entry pays for the largest variant.
    Failed(Box<ProviderError>),
}

/// Where an entry is in its life at a given instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Freshness {
    /// Served as is; `refresh_due` when refresh-ahead should start.
    Fresh { refresh_due: bool },
    /// Past freshness, within the stale-if-error grace period.
    Stale,
    /// To be read again.
    Expired,
}

pub(crate) struct Entry {
    pub content: Content,
    /// For a failed read: what the secret's metadata says about why it could not be read (deleted, or
    /// without the version asked for).
    pub absence: Option<Box<Absence>>,
    /// The invalidation epoch when the read that produced this entry began.
    pub epoch: u64,
    /// The last epoch at which the entry was found to survive every invalidation (see `epochs`).
    pub validated: AtomicU64,
    /// When the read that produced this entry began.
    pub fetched_at: Instant,
    pub refresh_at: Option<Instant>,
    pub fresh_until: Instant,
    /// The last instant the entry may be served at all (stale grace included); the cache drops it then.
    pub usable_until: Instant,
    /// After a failed read while stale: no new attempt before this.
    pub retry_at: Option<Instant>,
    /// Reads served from this entry and the entries it renewed.
    pub hits: Arc<AtomicU64>,
    /// A background refresh has started for this entry.
    pub refreshing: AtomicBool,
    /// The cache no longer holds this entry (replaced, evicted, expired or invalidated): it must not be served
    /// from anywhere else either.
    retired: AtomicBool,
    /// Served without asking the cache since the last sweep, which then reports the use to the cache's
    /// eviction policy.
    touched: AtomicBool,
}

impl Entry {
    /// An entry for a secret just read.
    pub fn found(secret: Secret, started: Instant, epoch: u64, options: &CacheOptions, hits: Arc<AtomicU64>) -> Self {
        let expires_at = secret.metadata.expires_at;
        let shared = Arc::new(SharedSecret::new(secret));
        Self::with_secret(shared, expires_at, started, epoch, options, hits)
    }

    /// A new entry for the same secret, whose version a probe has just confirmed.
    pub fn renewed(&self, expires_at: Option<Timestamp>, started: Instant, epoch: u64, options: &CacheOptions) -> Self {
        match &self.content {
            Content::Found(shared) => {
                Self::with_secret(Arc::clone(shared), expires_at, started, epoch, options, Arc::clone(&self.hits))
            }
            Content::Failed(error) => Self::failed(ProviderError::clone(error), started, epoch, options),
        }
    }

    fn with_secret(
        shared: Arc<SharedSecret>,
        expires_at: Option<Timestamp>,
        started: Instant,
        epoch: u64,
        options: &CacheOptions,
        hits: Arc<AtomicU64>,
    ) -> Self {
        let jitter = options.expire_after_write.mul_f64(options.jitter * fastrand::f64());
        let ttl = options.expire_after_write.saturating_sub(jitter);
        let mut fresh_until = started + ttl;
        let expiry = expires_at.map(instant_of);
        if let Some(expiry) = expiry {
            // An already expired secret is still kept briefly, so it is not read again on every use.
            let floor = Instant::now() + ttl.min(Duration::from_secs(1));
            fresh_until = fresh_until.min(expiry.max(floor));
        }
        let window = options.refresh_window();
        let refresh_at = (!window.is_zero()).then(|| fresh_until.checked_sub(window).unwrap_or(started).max(started));
        let grace_end = fresh_until + options.stale_if_error;
        let usable_until = expiry.map_or(grace_end, |expiry| grace_end.min(expiry)).max(fresh_until);
        Self {
            content: Content::Found(shared),
            absence: None,
            epoch,
            validated: AtomicU64::new(0),
            fetched_at: started,
            refresh_at,
            fresh_until,
            usable_until,
            retry_at: None,
            hits,
            refreshing: AtomicBool::new(false),
            retired: AtomicBool::new(false),
            touched: AtomicBool::new(false),
        }
    }

    /// An entry remembering a failed read: `not_found_ttl` for not-found, `error_ttl` for the rest.
    pub fn failed(error: ProviderError, started: Instant, epoch: u64, options: &CacheOptions) -> Self {
        let ttl = if matches!(error, ProviderError::NotFound(_)) { options.not_found_ttl } else { options.error_ttl };
        let until = started + ttl;
        Self {
            content: Content::Failed(Box::new(error)),
            absence: None,
            epoch,
            validated: AtomicU64::new(0),
            fetched_at: started,
            refresh_at: None,
            fresh_until: until,
            usable_until: until,
            retry_at: None,
            hits: Arc::new(AtomicU64::new(0)),
            refreshing: AtomicBool::new(false),
            retired: AtomicBool::new(false),
            touched: AtomicBool::new(false),
        }
    }

    /// This stale entry, kept after a transient failure; no new read before `retry_at`.
    pub fn kept_after_failure(&self, retry_at: Instant) -> Self {
        let content = match &self.content {
            Content::Found(shared) => Content::Found(Arc::clone(shared)),
            Content::Failed(error) => Content::Failed(error.clone()),
        };
        Self {
            content,
            absence: self.absence.clone(),
            epoch: self.epoch,
            validated: AtomicU64::new(self.validated.load(Ordering::Relaxed)),
            fetched_at: self.fetched_at,
            refresh_at: None,
            fresh_until: self.fresh_until,
            usable_until: self.usable_until,
            retry_at: Some(retry_at.min(self.usable_until)),
            hits: Arc::clone(&self.hits),
            refreshing: AtomicBool::new(true),
            retired: AtomicBool::new(false),
            touched: AtomicBool::new(false),
        }
    }

    pub fn freshness(&self, now: Instant) -> Freshness {
        if now < self.fresh_until {
            Freshness::Fresh { refresh_due: self.refresh_at.is_some_and(|at| now >= at) }
        } else if now < self.usable_until {
            Freshness::Stale
        } else {
            Freshness::Expired
        }
    }

    /// Whether a stale entry is waiting out the back-off of a failed read.
    pub fn backing_off(&self, now: Instant) -> bool {
        self.retry_at.is_some_and(|at| now < at)
    }

    /// The version read, when the backend reports one (from the secret's metadata: not kept twice).
    pub fn version_id(&self) -> Option<&str> {
        self.shared().and_then(|shared| shared.metadata().version_id.as_deref())
    }

    pub fn is_found(&self) -> bool {
        matches!(self.content, Content::Found(_))
    }

    /// The secret, when the read found one.
    pub fn shared(&self) -> Option<&Arc<SharedSecret>> {
        match &self.content {
            Content::Found(shared) => Some(shared),
            Content::Failed(_) => None,
        }
    }

    pub fn record_hit(&self) {
        self.hits.fetch_add(1, Ordering::Relaxed);
    }

    /// Marks the entry as no longer held by the cache.
    pub fn retire(&self) {
        self.retired.store(true, Ordering::Release);
    }

    pub fn is_retired(&self) -> bool {
        self.retired.load(Ordering::Acquire)
    }

    /// Notes a use that the cache's eviction policy has not seen (a plain load first: hot entries are
    /// already marked, and reading does not contend).
    pub fn touch(&self) {
        if !self.touched.load(Ordering::Relaxed) {
            self.touched.store(true, Ordering::Relaxed);
        }
    }

    /// Whether the entry was touched since the last call, clearing the mark.
    pub fn take_touch(&self) -> bool {
        self.touched.load(Ordering::Relaxed) && self.touched.swap(false, Ordering::Relaxed)
    }
}

/// Later than any deadline the validated options allow (they are capped at a year).
const FAR_FUTURE: Duration = Duration::from_secs(10 * 365 * 24 * 3600);

/// The monotonic instant of a wall-clock timestamp (milliseconds since the epoch).
fn instant_of(timestamp: Timestamp) -> Instant {
    let now_ms = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(0));
    let now = Instant::now();
    if timestamp >= now_ms {
        // Far-future dates are clamped: they only need to be later than any cache deadline.
        now + Duration::from_millis(timestamp - now_ms).min(FAR_FUTURE)
    } else {
        now.checked_sub(Duration::from_millis(now_ms - timestamp)).unwrap_or(now)
    }
}

/// How long after a transient failure a stale entry is read again: the backend's `Retry-After` when it gave
/// one, otherwise `error_ttl`.
pub(crate) fn retry_delay(error: &ProviderError, options: &CacheOptions) -> Duration {
    match error {
        ProviderError::Throttled { retry_after_ms: Some(ms), .. } => Duration::from_millis(*ms).min(FAR_FUTURE),
        _ => options.error_ttl,
    }
}
