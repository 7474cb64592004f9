//! The retry rules every plugin follows, whatever sends its requests (the SDK's [`HttpClient`](crate::HttpClient),
//! or a vendor's own client such as the AWS SDK's):
//!
//! - throttling (429) and server errors (5xx) are tried again, after the wait the backend's `Retry-After` asks
//!   for (delay-seconds or an HTTP date), at most [`MAX_WAIT`], or else after [`backoff`];
//! - a connection reset or refused, and an answer cut short, are tried again when repeating the request cannot
//!   apply a change twice (HTTP's idempotent methods), after [`backoff`].

use std::time::Duration;

/// The longest a backend's `Retry-After` makes one attempt wait; a longer wait is cut to this, so a call stays
/// within its deadline and a caller can still serve a cached value.
pub const MAX_WAIT: Duration = Duration::from_secs(10);

/// The wait before retry number `retry` (0 for the first) when the backend asks for none: 100 ms, doubled at
/// each retry.
///
/// ```
/// use keyway_plugin_sdk::retry::backoff;
/// use std::time::Duration;
///
/// assert_eq!(backoff(0), Duration::from_millis(100));
/// assert_eq!(backoff(3), Duration::from_millis(800));
/// ```
pub fn backoff(retry: u32) -> Duration {
    Duration::from_millis(100u64 << retry.min(10))
}

/// The wait a `Retry-After` header's value asks for: delay-seconds (`120`) or an HTTP date
/// (`Wed, 21 Oct 2026 07:28:00 GMT`, counted from now; a date in the past asks for no wait). `None` when the
/// value is neither.
///
/// ```
/// use keyway_plugin_sdk::retry::retry_after;
/// use std::time::Duration;
///
/// assert_eq!(retry_after("120"), Some(Duration::from_secs(120)));
/// assert_eq!(retry_after("Thu, 01 Jan 1970 00:00:00 GMT"), Some(Duration::ZERO)); // in the past
/// assert_eq!(retry_after("soon"), None);
/// ```
pub fn retry_after(value: &str) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = crate::time::parse_http_date(value)?;
    Some(Duration::from_millis(at.saturating_sub(crate::time::now_ms())))
}

/// The wait before retry number `retry`: what the backend asked for (at most [`MAX_WAIT`]), else [`backoff`].
///
/// ```
/// use keyway_plugin_sdk::retry::{wait, MAX_WAIT};
/// use std::time::Duration;
///
/// assert_eq!(wait(Some(Duration::from_secs(2)), 0), Duration::from_secs(2));
/// assert_eq!(wait(Some(Duration::from_secs(3_600)), 0), MAX_WAIT);
/// assert_eq!(wait(None, 1), Duration::from_millis(200));
/// ```
pub fn wait(asked: Option<Duration>, retry: u32) -> Duration {
    asked.map_or_else(|| backoff(retry), |asked| asked.min(MAX_WAIT))
}

/// Whether an answer with this status is worth another attempt: throttling (429) and server errors (5xx).
///
/// ```
/// use keyway_plugin_sdk::retry::retryable_status;
///
/// assert!(retryable_status(429) && retryable_status(503));
/// assert!(!retryable_status(404));
/// ```
pub fn retryable_status(status: u16) -> bool {
    status == 429 || (500..=599).contains(&status)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_takes_seconds_or_a_date() {
        assert_eq!(retry_after(" 7 "), Some(Duration::from_secs(7)));
        assert_eq!(retry_after("Thu, 01 Jan 1970 00:00:01 GMT"), Some(Duration::ZERO));
        let later = crate::time::now_ms() / 1000 + 3_600;
        let date = crate::time::format_rfc3339(later * 1000);
        let (day, time) = (&date[8..10], &date[11..19]);
        let month = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
            [date[5..7].parse::<usize>().unwrap_or(1) - 1];
        let header = format!("Mon, {day} {month} {} {time} GMT", &date[..4]);
        let wait = retry_after(&header).unwrap_or_default();
        assert!(wait > Duration::from_secs(3_500) && wait <= Duration::from_secs(3_600), "{header}: {wait:?}");
        assert_eq!(retry_after("soon"), None);
        assert_eq!(retry_after("-1"), None);
    }

    #[test]
    fn waits_are_capped_and_back_off() {
        assert_eq!(wait(Some(Duration::from_secs(1)), 0), Duration::from_secs(1));
        assert_eq!(wait(Some(Duration::from_secs(3_600)), 0), MAX_WAIT);
        assert_eq!(wait(None, 0), Duration::from_millis(100));
        assert_eq!(wait(None, 2), Duration::from_millis(400));
        assert!(retryable_status(429) && retryable_status(503));
        assert!(!retryable_status(404) && !retryable_status(400));
    }
}
