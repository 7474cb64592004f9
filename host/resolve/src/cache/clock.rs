//! A cheap reading of the monotonic clock for judging cached entries on the resolver's fast path.
//!
//! `Instant::now()` reads the precise monotonic clock, which on a virtual machine costs as much as the rest of
//! a cached `get` (about 20–40 ns here). On Linux, [`coarse_now`] reads `CLOCK_MONOTONIC_COARSE` instead (the
//! time of the kernel's last tick, kept in the vDSO: no counter to read and scale), and converts it into an
//! `Instant` so that the reading is never later than `Instant::now()` and earlier by at most two ticks
//! (8 ms at 250 Hz). Judged with it, an entry is served at most that much past its freshness: nothing against
//! freshness periods of seconds to minutes. A secret's own expiry is still checked against the wall clock, and
//! invalidation does not depend on any clock. Elsewhere, and on other systems, it is `Instant::now()`.

use std::time::Instant;

/// Now: on Linux at most two ticks of the kernel's clock earlier than `Instant::now()`, and never later.
#[inline]
pub(crate) fn coarse_now() -> Instant {
    imp::now()
}

#[cfg(target_os = "linux")]
mod imp {
    use std::sync::OnceLock;
    use std::time::{Duration, Instant};

    /// The coarse clock's origin: an `Instant` and the coarse reading taken just after it, less one tick.
    struct Origin {
        instant: Instant,
        coarse: Duration,
    }

    /// Ticks longer than this (a kernel without a coarse clock worth the name) fall back to `Instant::now()`.
    const LONGEST_TICK: Duration = Duration::from_millis(10);

    static ORIGIN: OnceLock<Option<Origin>> = OnceLock::new();

    /// Reads (`get`) or asks the resolution of (`res`) the coarse monotonic clock.
    fn read_coarse(
        read: unsafe extern "C" fn(libc::clockid_t, *mut libc::timespec) -> libc::c_int,
    ) -> Option<Duration> {
        let mut time = libc::timespec { tv_sec: 0, tv_nsec: 0 };
        // SAFETY: `clock_gettime` and `clock_getres` only write the `timespec` they are given, which lives for
        // the call.
        let status = unsafe { read(libc::CLOCK_MONOTONIC_COARSE, &mut time) };
        let seconds = u64::try_from(time.tv_sec).ok()?;
        let nanos = u32::try_from(time.tv_nsec).ok().filter(|nanos| *nanos < 1_000_000_000)?;
        (status == 0).then(|| Duration::new(seconds, nanos))
    }

    fn origin() -> Option<&'static Origin> {
        ORIGIN
            .get_or_init(|| {
                let tick = read_coarse(libc::clock_getres).filter(|tick| !tick.is_zero() && *tick <= LONGEST_TICK)?;
                // The coarse clock is the precise one as of the last tick: at most one tick behind it. Taking the
                // `Instant` first and counting the origin one tick early keeps every later reading at or before
                // `Instant::now()`; the price is up to two ticks of lag.
                let instant = Instant::now();
                let coarse = read_coarse(libc::clock_gettime)? + tick;
                Some(Origin { instant, coarse })
            })
            .as_ref()
    }

    #[inline]
    pub fn now() -> Instant {
        let (Some(origin), Some(coarse)) = (origin(), read_coarse(libc::clock_gettime)) else { return Instant::now() };
        match coarse.checked_sub(origin.coarse) {
            Some(elapsed) => origin.instant + elapsed,
            // Within the first tick after the origin.
            None => origin.instant,
        }
    }

    /// The most a reading lags behind `Instant::now()`.
    #[cfg(test)]
    pub fn max_lag() -> Duration {
        origin().and_then(|_| read_coarse(libc::clock_getres)).map_or(Duration::ZERO, |tick| 2 * tick)
    }
}

#[cfg(not(target_os = "linux"))]
mod imp {
    use std::time::Instant;

    #[inline]
    pub fn now() -> Instant {
        Instant::now()
    }

    #[cfg(test)]
    pub fn max_lag() -> std::time::Duration {
        std::time::Duration::ZERO
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn never_ahead_of_the_precise_clock_and_never_far_behind() {
        let lag = imp::max_lag() + Duration::from_millis(1);
        let started = Instant::now();
        let mut last = coarse_now();
        while started.elapsed() < Duration::from_millis(50) {
            let before = Instant::now();
            let coarse = coarse_now();
            let after = Instant::now();
            // A millisecond of slack: the kernel may publish a tick a little late.
            assert!(coarse <= after + Duration::from_millis(1), "the coarse clock ran ahead");
            assert!(
                before.saturating_duration_since(coarse) <= lag,
                "the coarse clock fell behind by more than {lag:?}"
            );
            assert!(coarse >= last, "the coarse clock went back");
            last = coarse;
        }
    }
}
