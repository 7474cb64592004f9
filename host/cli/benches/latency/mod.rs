//! Percentiles of latency samples and their display, shared by the benchmarks that print tables.

use std::time::Duration;

/// The 50th and 99th percentiles (nearest rank) and the largest.
pub fn percentiles(samples: &[Duration]) -> (Duration, Duration, Duration) {
    let mut sorted = samples.to_vec();
    sorted.sort_unstable();
    let rank = |p: usize| sorted[(sorted.len() * p).div_ceil(100).clamp(1, sorted.len()) - 1];
    (rank(50), rank(99), sorted[sorted.len() - 1])
}

/// Milliseconds, one decimal.
pub fn ms(duration: Duration) -> String {
    format!("{:.1} ms", duration.as_secs_f64() * 1000.0)
}

/// The mean.
pub fn mean(samples: &[Duration]) -> Duration {
    samples.iter().sum::<Duration>() / u32::try_from(samples.len().max(1)).unwrap_or(u32::MAX)
}
