//! Checks most plugins make on their settings once [`crate::Settings::parse`] has read them:
//! page sizes and timeouts in range, optional text that is really given, and backend URLs.
//! Every failure is a [`ProviderError::Configuration`] that names the setting.
//!
//! [`Manifest`] checks, in a plugin's tests, that its settings parser and its README's settings table
//! agree with the settings `manifest.toml` declares.

use keyway_types::ProviderError;
use std::net::{Ipv4Addr, Ipv6Addr};

mod manifest;
pub use manifest::{DeclaredSetting, Kind, Manifest};

/// The page size used when a manager sets none.
pub const DEFAULT_PAGE_SIZE: u32 = 100;
/// The largest page size a manager may set.
pub const MAX_PAGE_SIZE: u32 = 1000;
/// The timeout, in seconds, used when a manager sets none.
pub const DEFAULT_TIMEOUT_SECONDS: u64 = 30;
/// The longest timeout, in seconds, a manager may set.
pub const MAX_TIMEOUT_SECONDS: u64 = 600;

fn configuration(message: String) -> ProviderError {
    ProviderError::Configuration(message)
}

/// `value` (or `default` when absent) when it lies in `min..=max`; otherwise an error such as
/// `page_size 0 is outside 1 to 1000`.
///
/// ```
/// use keyway_plugin_sdk::settings::in_range;
///
/// assert_eq!(in_range("retries", None::<i64>, 3, 0, 10)?, 3);
/// assert_eq!(in_range("retries", Some(5u32), 3, 0, 10)?, 5);
/// let error = in_range("retries", Some(-1i64), 3, 0, 10).err().expect("out of range");
/// assert_eq!(error.message(), "retries -1 is outside 0 to 10");
/// # Ok::<(), keyway_plugin_sdk::ProviderError>(())
/// ```
pub fn in_range<T: Into<i128>>(
    field: &str,
    value: Option<T>,
    default: u64,
    min: u64,
    max: u64,
) -> Result<u64, ProviderError> {
    let value = value.map_or(i128::from(default), Into::into);
    match u64::try_from(value) {
        Ok(checked) if (min..=max).contains(&checked) => Ok(checked),
        _ => Err(configuration(format!("{field} {value} is outside {min} to {max}"))),
    }
}

/// The `page_size` setting: 1 to [`MAX_PAGE_SIZE`], [`DEFAULT_PAGE_SIZE`] when absent.
///
/// ```
/// use keyway_plugin_sdk::settings::page_size;
///
/// assert_eq!(page_size(None::<i64>)?, 100);
/// assert_eq!(page_size(Some(250i64))?, 250);
/// assert!(page_size(Some(0i64)).is_err());
/// # Ok::<(), keyway_plugin_sdk::ProviderError>(())
/// ```
pub fn page_size<T: Into<i128>>(value: Option<T>) -> Result<u32, ProviderError> {
    let checked = in_range("page_size", value, DEFAULT_PAGE_SIZE.into(), 1, MAX_PAGE_SIZE.into())?;
    u32::try_from(checked).map_err(|_| configuration(format!("page_size {checked} is outside 1 to {MAX_PAGE_SIZE}")))
}

/// The `timeout_seconds` setting: 1 to [`MAX_TIMEOUT_SECONDS`], [`DEFAULT_TIMEOUT_SECONDS`] when absent.
///
/// ```
/// use keyway_plugin_sdk::settings::timeout_seconds;
///
/// assert_eq!(timeout_seconds(None::<u64>)?, 30);
/// assert!(timeout_seconds(Some(3_600u64)).is_err());
/// # Ok::<(), keyway_plugin_sdk::ProviderError>(())
/// ```
pub fn timeout_seconds<T: Into<i128>>(value: Option<T>) -> Result<u64, ProviderError> {
    in_range("timeout_seconds", value, DEFAULT_TIMEOUT_SECONDS, 1, MAX_TIMEOUT_SECONDS)
}

/// The text with white space trimmed from its ends, or `None` when nothing is left (an optional
/// setting given as `""` counts as absent).
///
/// ```
/// use keyway_plugin_sdk::settings::present;
///
/// assert_eq!(present(Some(" payments ")), Some("payments".to_owned()));
/// assert_eq!(present(Some("")), None);
/// ```
pub fn present(value: Option<&str>) -> Option<String> {
    value.map(str::trim).filter(|v| !v.is_empty()).map(str::to_owned)
}

/// `text` without surrounding white space and trailing slashes when it is an `http://` or
/// `https://` URL with a host and no query, fragment or space; `None` otherwise. Suits backends
/// served below a path (`https://host:8443/conjur`); the caller words the error.
///
/// ```
/// use keyway_plugin_sdk::{settings::http_url, ProviderError};
///
/// assert_eq!(http_url(" https://host:8443/conjur/ "), Some("https://host:8443/conjur"));
/// assert_eq!(http_url("host:8443"), None);
/// let url = http_url("https://host/SecretServer")
///     .ok_or_else(|| ProviderError::Configuration("url must be an http(s):// URL".into()))?;
/// # let _ = url;
/// # Ok::<(), ProviderError>(())
/// ```
pub fn http_url(text: &str) -> Option<&str> {
    let trimmed = text.trim().trim_end_matches('/');
    let rest = trimmed.strip_prefix("https://").or_else(|| trimmed.strip_prefix("http://"))?;
    let host = rest.split('/').next().unwrap_or_default();
    (!host.is_empty() && !trimmed.contains(['?', '#', ' '])).then_some(trimmed)
}

/// Whether the host part of a URL's authority (`host`, `host:port`, `[v6]:port`) is the local
/// machine: `localhost`, an address in 127.0.0.0/8, or `[::1]`.
///
/// ```
/// use keyway_plugin_sdk::settings::is_loopback;
///
/// assert!(is_loopback("127.0.0.1:8200") && is_loopback("[::1]") && is_loopback("localhost"));
/// assert!(!is_loopback("127.0.0.1.nip.io"));
/// ```
pub fn is_loopback(authority: &str) -> bool {
    if let Some(v6) = authority.strip_prefix('[') {
        let ip = v6.split_once(']').map(|(ip, _)| ip);
        return ip.and_then(|ip| ip.parse::<Ipv6Addr>().ok()).is_some_and(|ip| ip.is_loopback());
    }
    let host = authority.split(':').next().unwrap_or_default();
    host.eq_ignore_ascii_case("localhost") || host.parse::<Ipv4Addr>().is_ok_and(|ip| ip.is_loopback())
}

/// The root URL of an API that receives credentials, from the `field` setting: `https://` to any
/// host, plain `http://` only to a loopback host (emulators and test fakes), no path. Surrounding
/// white space and trailing slashes are removed. `example` completes the message of a value that
/// is no URL (`https://api.doppler.com`).
///
/// ```
/// use keyway_plugin_sdk::settings::https_root_url;
///
/// let url = |text| https_root_url("url", text, "https://vault.acme.example");
/// assert_eq!(url("https://vault.acme.example/")?, "https://vault.acme.example");
/// assert_eq!(url("http://127.0.0.1:8808")?, "http://127.0.0.1:8808"); // a local fake
/// assert!(url("http://vault.acme.example").is_err()); // credentials never in clear
/// assert!(url("https://vault.acme.example/v1").is_err()); // no path
/// # Ok::<(), keyway_plugin_sdk::ProviderError>(())
/// ```
pub fn https_root_url(field: &str, text: &str, example: &str) -> Result<String, ProviderError> {
    let trimmed = text.trim().trim_end_matches('/');
    let Some((scheme, rest)) = trimmed.split_once("://") else {
        return Err(configuration(format!("{field} '{text}' is not a URL like {example}")));
    };
    if rest.contains('/') || rest.is_empty() || rest.starts_with(':') {
        return Err(configuration(format!("{field} '{text}' must be the API's root URL, without a path")));
    }
    match scheme {
        "https" => Ok(trimmed.to_owned()),
        "http" if is_loopback(rest) => Ok(trimmed.to_owned()),
        _ => Err(configuration(format!(
            "{field} '{text}' must use https (credentials are never sent in clear; http only to loopback)"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_with_defaults() {
        assert_eq!(page_size(None::<i64>), Ok(100));
        assert_eq!(page_size(Some(1000u32)), Ok(1000));
        assert_eq!(timeout_seconds(None::<u64>), Ok(30));
        assert_eq!(timeout_seconds(Some(600i64)), Ok(600));
        let refused = |result: Result<u64, ProviderError>| result.err().map(|e| e.to_string());
        assert_eq!(
            page_size(Some(0i64)).err().map(|e| e.to_string()).as_deref(),
            Some("configuration error: page_size 0 is outside 1 to 1000")
        );
        assert_eq!(
            refused(timeout_seconds(Some(-5i64))).as_deref(),
            Some("configuration error: timeout_seconds -5 is outside 1 to 600")
        );
        assert_eq!(
            refused(timeout_seconds(Some(u64::MAX))).as_deref(),
            Some("configuration error: timeout_seconds 18446744073709551615 is outside 1 to 600")
        );
        assert_eq!(in_range("lag_ms", Some(7u32), 0, 0, 10), Ok(7));
    }

    #[test]
    fn present_text() {
        assert_eq!(present(Some("  corp ")), Some("corp".to_owned()));
        assert_eq!(present(Some(" \n")), None);
        assert_eq!(present(None), None);
    }

    #[test]
    fn http_urls() {
        assert_eq!(http_url(" https://conjur:8443/ "), Some("https://conjur:8443"));
        assert_eq!(http_url("http://h/SecretServer/api/v1/"), Some("http://h/SecretServer/api/v1"));
        for bad in
            ["conjur:8443", "https://", "https:///path", "https://h/?q", "https://h/#f", "https://h/a b", "ftp://h"]
        {
            assert_eq!(http_url(bad), None, "{bad}");
        }
    }

    #[test]
    fn loopback_hosts() {
        for local in ["localhost", "LOCALHOST:80", "127.0.0.1", "127.1.2.3:9000", "[::1]", "[::1]:8080"] {
            assert!(is_loopback(local), "{local}");
        }
        for remote in ["127.attacker.example", "127.0.0.1.nip.io", "10.0.0.1", "[::2]:80", "[::1", "example.com"] {
            assert!(!is_loopback(remote), "{remote}");
        }
    }

    #[test]
    fn https_root_urls() {
        let url = |text: &str| https_root_url("endpoint", text, "https://api.example.com");
        assert_eq!(url(" https://api.example.com/ ").as_deref(), Ok("https://api.example.com"));
        assert_eq!(url("http://127.0.0.1:8080/").as_deref(), Ok("http://127.0.0.1:8080"));
        assert_eq!(url("http://[::1]:8080").as_deref(), Ok("http://[::1]:8080"));
        let message = |text: &str| url(text).err().map(|e| e.message().to_owned()).unwrap_or_default();
        assert_eq!(message("api.example.com"), "endpoint 'api.example.com' is not a URL like https://api.example.com");
        assert!(message("https://api.example.com/v1").contains("without a path"));
        assert!(message("https://").contains("is not a URL"));
        assert!(message("https://:8080").contains("without a path"));
        assert!(message("http://api.example.com").contains("must use https"));
        assert!(message("http://127.evil.example").contains("must use https"));
        assert!(message("ftp://127.0.0.1").contains("must use https"));
    }
}
