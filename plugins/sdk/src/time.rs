//! Wall-clock time and RFC 3339 timestamps, and waiting, for plugins that poll a backend (a
//! deletion or recovery that completes a moment after the call that started it).

use keyway_types::Timestamp;
use std::time::Duration;

/// The current time in milliseconds since the Unix epoch (`wasi:clocks/wall-clock`).
///
/// ```
/// use keyway_plugin_sdk::time::{now_ms, parse_rfc3339};
///
/// let expires = parse_rfc3339("2026-12-31T00:00:00Z");
/// let expired = expires.is_some_and(|at| at <= now_ms());
/// # let _ = expired;
/// ```
pub fn now_ms() -> Timestamp {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as Timestamp).unwrap_or(0)
}

/// Blocks the plugin call for `duration` (`wasi:clocks/monotonic-clock`); the host's call
/// deadline still applies.
///
/// ```no_run
/// use keyway_plugin_sdk::{time::sleep, HttpClient};
/// use std::time::Duration;
///
/// // Wait for a deletion the backend completes a moment later.
/// let http = HttpClient::new("https://vault.acme.example");
/// for _ in 0..10 {
///     if http.get("v1/secrets/db").send()?.status == 404 {
///         break;
///     }
///     sleep(Duration::from_millis(200));
/// }
/// # Ok::<(), keyway_plugin_sdk::ProviderError>(())
/// ```
pub fn sleep(duration: Duration) {
    // The timer registers with the reactor when created, so create it inside `block_on`.
    wstd::runtime::block_on(async move { wstd::task::sleep(duration.into()).await });
}

/// Parses an RFC 3339 time (`2024-05-01T10:00:00.123456789Z` or with a `+hh:mm` offset), as
/// Google's JSON APIs, Vault and most REST APIs write them, into milliseconds since the epoch.
/// Malformed and pre-1970 times give `None`.
///
/// ```
/// use keyway_plugin_sdk::time::parse_rfc3339;
///
/// assert_eq!(parse_rfc3339("1970-01-01T00:00:01.5Z"), Some(1_500));
/// assert_eq!(parse_rfc3339("1970-01-01T01:00:00+01:00"), Some(0));
/// assert_eq!(parse_rfc3339("yesterday"), None);
/// ```
pub fn parse_rfc3339(text: &str) -> Option<Timestamp> {
    let text = text.trim();
    let bytes = text.as_bytes();
    if bytes.len() < 20 || bytes[4] != b'-' || bytes[7] != b'-' || !matches!(bytes[10], b'T' | b't' | b' ') {
        return None;
    }
    if bytes[13] != b':' || bytes[16] != b':' {
        return None;
    }
    let num = |range: std::ops::Range<usize>| -> Option<i64> {
        let part = text.get(range)?;
        part.bytes().all(|b| b.is_ascii_digit()).then(|| part.parse().ok()).flatten()
    };
    let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (hour, minute, second) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    let mut rest = &text[19..];
    let mut millis = 0i64;
    if let Some(fraction) = rest.strip_prefix('.') {
        let digits = fraction.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return None;
        }
        let padded: String = fraction[..digits].chars().chain("000".chars()).take(3).collect();
        millis = padded.parse().ok()?;
        rest = &fraction[digits..];
    }
    let offset_minutes = match rest {
        "Z" | "z" => 0,
        _ => {
            let sign = match rest.as_bytes().first() {
                Some(b'+') => 1,
                Some(b'-') => -1,
                _ => return None,
            };
            if rest.len() != 6 || rest.as_bytes()[3] != b':' {
                return None;
            }
            let hours: i64 = rest[1..3].parse().ok()?;
            let minutes: i64 = rest[4..6].parse().ok()?;
            sign * (hours * 60 + minutes)
        }
    };
    let seconds =
        days_from_civil(year, month, day) * 86_400 + hour * 3_600 + minute * 60 + second - offset_minutes * 60;
    u64::try_from(seconds.checked_mul(1_000)?.checked_add(millis)?).ok()
}

/// Parses an ISO 8601 time as .NET services write them: RFC 3339, or without an offset
/// (`2024-05-01T10:00:00.123`), which is taken as UTC. Malformed and pre-1970 times give `None`.
///
/// ```
/// use keyway_plugin_sdk::time::parse_iso8601_utc;
///
/// assert_eq!(parse_iso8601_utc("1970-01-01T00:00:02.25"), Some(2_250));
/// assert_eq!(parse_iso8601_utc("1970-01-01T00:00:02Z"), Some(2_000));
/// ```
pub fn parse_iso8601_utc(text: &str) -> Option<Timestamp> {
    let text = text.trim();
    let has_offset = text.ends_with(['Z', 'z']) || text.get(19..).is_some_and(|rest| rest.contains(['+', '-']));
    if has_offset {
        parse_rfc3339(text)
    } else {
        parse_rfc3339(&format!("{text}Z"))
    }
}

/// Parses an HTTP date in the IMF-fixdate form HTTP requires of senders (`Sun, 06 Nov 1994 08:49:37 GMT`),
/// as in `Retry-After` and `Date` headers, into milliseconds since the epoch. Other forms give `None`.
///
/// ```
/// use keyway_plugin_sdk::time::{parse_http_date, parse_rfc3339};
///
/// assert_eq!(parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"), parse_rfc3339("1994-11-06T08:49:37Z"));
/// assert_eq!(parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT"), None);
/// ```
pub fn parse_http_date(text: &str) -> Option<Timestamp> {
    let mut parts = text.trim().split_ascii_whitespace();
    let (_weekday, day, month, year, time, zone) =
        (parts.next()?, parts.next()?, parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    let month = MONTHS.iter().position(|m| *m == month)? + 1;
    if zone != "GMT" || parts.next().is_some() || day.len() != 2 || year.len() != 4 {
        return None;
    }
    parse_rfc3339(&format!("{year}-{month:02}-{day}T{time}Z"))
}

/// Formats milliseconds since the epoch as RFC 3339 in UTC: `2024-05-01T10:00:00.123Z`.
///
/// ```
/// use keyway_plugin_sdk::time::format_rfc3339;
///
/// assert_eq!(format_rfc3339(1_709_204_400_500), "2024-02-29T11:00:00.500Z");
/// ```
pub fn format_rfc3339(ms: Timestamp) -> String {
    let seconds = i64::try_from(ms / 1_000).unwrap_or(i64::MAX / 2);
    let (days, in_day) = (seconds.div_euclid(86_400), seconds.rem_euclid(86_400));
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        in_day / 3_600,
        (in_day % 3_600) / 60,
        in_day % 60,
        ms % 1_000
    )
}

// Howard Hinnant's algorithms for the proleptic Gregorian calendar.
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let day_of_year = (153 * (month + if month > 2 { -3 } else { 9 }) + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z - era * 146_097;
    let year_of_era = (day_of_era - day_of_era / 1_460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let mp = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    (year_of_era + era * 400 + i64::from(month <= 2), month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_rfc3339_with_fractions_and_offsets() {
        assert_eq!(parse_rfc3339("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(parse_rfc3339("2026-11-22T08:00:59.533205723Z"), Some(1_795_334_459_533));
        assert_eq!(parse_rfc3339("2024-02-29T12:00:00.5+01:00"), Some(1_709_204_400_500));
        for bad in ["", "2024-13-01T00:00:00Z", "2024-01-01T00:00:00", "1969-12-31T23:59:59Z"] {
            assert_eq!(parse_rfc3339(bad), None, "{bad}");
        }
    }

    #[test]
    fn times_without_an_offset_are_utc() {
        assert_eq!(parse_iso8601_utc("1970-01-01T00:00:01"), Some(1_000));
        assert_eq!(parse_iso8601_utc(" 2024-05-01T10:00:00.5 "), parse_rfc3339("2024-05-01T10:00:00.5Z"));
        assert_eq!(parse_iso8601_utc("1970-01-01T01:00:01+01:00"), Some(1_000));
        assert_eq!(parse_iso8601_utc("1970-01-01T00:00:01z"), Some(1_000));
        assert_eq!(parse_iso8601_utc("garbage"), None);
    }

    #[test]
    fn parses_http_dates() {
        assert_eq!(parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"), parse_rfc3339("1994-11-06T08:49:37Z"));
        assert_eq!(parse_http_date("Thu, 01 Jan 1970 00:00:01 GMT"), Some(1_000));
        for bad in
            ["", "Sunday, 06-Nov-94 08:49:37 GMT", "Sun, 06 Nov 1994 08:49:37 CET", "Sun, 6 Nov 1994 08:49:37 GMT"]
        {
            assert_eq!(parse_http_date(bad), None, "{bad}");
        }
    }

    #[test]
    fn formats_and_parses_back() {
        for ms in [0, 1_709_204_400_500, 1_795_334_459_533, 4_102_444_800_000] {
            assert_eq!(parse_rfc3339(&format_rfc3339(ms)), Some(ms));
        }
        assert_eq!(format_rfc3339(1_709_204_400_500), "2024-02-29T11:00:00.500Z");
    }
}
