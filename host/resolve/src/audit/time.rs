//! Audit timestamps: RFC 3339 UTC with milliseconds, without a date-time library.

use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

/// A time as RFC 3339 UTC with milliseconds: `2026-05-20T09:30:12.345Z`.
pub fn format_rfc3339(time: SystemTime) -> String {
    Rfc3339(time).to_string()
}

/// Displays a time as [`format_rfc3339`] does, without allocating.
pub(crate) struct Rfc3339(pub SystemTime);

impl fmt::Display for Rfc3339 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let since = self.0.duration_since(UNIX_EPOCH).unwrap_or_default();
        let secs = since.as_secs();
        let (days, rest) = (secs / 86_400, secs % 86_400);
        let (year, month, day) = civil_from_days(i64::try_from(days).unwrap_or(0));
        let (hour, minute, second, milli) = (rest / 3600, rest % 3600 / 60, rest % 60, since.subsec_millis());
        let Ok(four_digit_year) = u64::try_from(year) else {
            return write!(f, "{year:04}-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}.{milli:03}Z");
        };
        if four_digit_year > 9999 {
            return write!(f, "{year:04}-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}.{milli:03}Z");
        }
        // Every audit line starts with this: written digit by digit rather than through the formatter.
        let mut text = *b"0000-00-00T00:00:00.000Z";
        let mut put = |at: usize, width: usize, mut value: u64| {
            for position in (at..at + width).rev() {
                text[position] = b'0' + (value % 10) as u8;
                value /= 10;
            }
        };
        put(0, 4, four_digit_year);
        put(5, 2, u64::from(month));
        put(8, 2, u64::from(day));
        put(11, 2, hour);
        put(14, 2, minute);
        put(17, 2, second);
        put(20, 3, u64::from(milli));
        f.write_str(std::str::from_utf8(&text).map_err(|_| fmt::Error)?)
    }
}

/// Year, month, day of a count of days since 1970-01-01 (Howard Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, u32::try_from(month).unwrap_or(1), u32::try_from(day).unwrap_or(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_dates() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(19_723), (2024, 1, 1));
        assert_eq!(civil_from_days(20_513), (2026, 3, 1));
        assert_eq!(
            format_rfc3339(UNIX_EPOCH + std::time::Duration::from_millis(1_773_999_012_345)),
            "2026-03-20T09:30:12.345Z"
        );
        assert_eq!(format_rfc3339(UNIX_EPOCH), "1970-01-01T00:00:00.000Z");
        let far = UNIX_EPOCH + std::time::Duration::from_secs(253_402_300_800);
        assert_eq!(format_rfc3339(far), "10000-01-01T00:00:00.000Z");
    }
}
