//! The contract error for a backend's failed answer, worded after what was attempted, for the
//! statuses every REST backend means the same way. A plugin matches its backend's own cases
//! first (a 401 that needs a new login, a 403 with a permission hint) and leaves the rest here.

use crate::http::Response;
use keyway_types::ProviderError;

/// The error for `response` (not 2xx) to `action` ("reading 'app/db'") on `backend`
/// ("Secret Server"), with the backend's own `message` (for instance `HTTP 409: …`):
///
/// | status | error |
/// | --- | --- |
/// | 404, 410 | not found: `{action}: not found ({message})` |
/// | 401, 403 | access denied: `{backend} denied {action} ({message})` |
/// | 409, 412 | conflict: `{action}: {message}` |
/// | 400, 413, 415, 422 | invalid argument: `{backend} rejected {action}: {message}` |
/// | 405, 501 | unsupported: `{backend} does not support {action}: {message}` |
/// | 429 | throttled, with `Retry-After`: `{backend} throttled {action}: {message}` |
/// | 5xx | unavailable: `{backend} failed {action}: {message}` |
/// | other | other: `{backend} answered {action} unexpectedly: {message}` |
///
/// ```
/// use keyway_plugin_sdk::{failures::failure, ProviderError, Response};
///
/// // In a plugin: `let response = http.get(...).send()?; if !response.is_success() { ... }`.
/// let response = Response { status: 404, headers: Vec::new(), body: br#"{"error":"no secret db"}"#.to_vec() };
/// let detail = response.error_message().unwrap_or_else(|| format!("HTTP {}", response.status));
/// assert_eq!(
///     failure(&response, "Acme Vault", "reading 'db'", &detail),
///     ProviderError::NotFound("reading 'db': not found (no secret db)".into())
/// );
/// ```
pub fn failure(response: &Response, backend: &str, action: &str, message: &str) -> ProviderError {
    match response.status {
        404 | 410 => ProviderError::NotFound(format!("{action}: not found ({message})")),
        401 | 403 => ProviderError::AccessDenied(format!("{backend} denied {action} ({message})")),
        409 | 412 => ProviderError::Conflict(format!("{action}: {message}")),
        400 | 413 | 415 | 422 => ProviderError::InvalidArgument(format!("{backend} rejected {action}: {message}")),
        405 | 501 => ProviderError::Unsupported(format!("{backend} does not support {action}: {message}")),
        429 => throttled(response, format!("{backend} throttled {action}: {message}")),
        500..=599 => ProviderError::Unavailable(format!("{backend} failed {action}: {message}")),
        _ => ProviderError::Other(format!("{backend} answered {action} unexpectedly: {message}")),
    }
}

/// A `throttled` error with `message` and the wait the response's `Retry-After` asks for.
///
/// ```
/// use keyway_plugin_sdk::{failures::throttled, ProviderError, Response};
///
/// // A backend that signals throttling its own way (here a 403 with a header).
/// let response = Response { status: 403, headers: vec![("retry-after".into(), "2".into())], body: Vec::new() };
/// assert_eq!(
///     throttled(&response, "Acme Vault's rate limit".into()),
///     ProviderError::Throttled { message: "Acme Vault's rate limit".into(), retry_after_ms: Some(2000) }
/// );
/// ```
pub fn throttled(response: &Response, message: String) -> ProviderError {
    ProviderError::Throttled { message, retry_after_ms: response.retry_after().map(|d| d.as_millis() as u64) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(status: u16) -> Response {
        Response { status, headers: vec![("retry-after".into(), "4".into())], body: Vec::new() }
    }

    #[test]
    fn statuses_and_wording() {
        let error = |status| failure(&answer(status), "Vault", "reading 'db'", &format!("HTTP {status}"));
        assert_eq!(error(410), ProviderError::NotFound("reading 'db': not found (HTTP 410)".into()));
        assert_eq!(error(403), ProviderError::AccessDenied("Vault denied reading 'db' (HTTP 403)".into()));
        assert_eq!(error(412), ProviderError::Conflict("reading 'db': HTTP 412".into()));
        assert_eq!(error(415), ProviderError::InvalidArgument("Vault rejected reading 'db': HTTP 415".into()));
        assert_eq!(error(501), ProviderError::Unsupported("Vault does not support reading 'db': HTTP 501".into()));
        assert_eq!(
            error(429),
            ProviderError::Throttled {
                message: "Vault throttled reading 'db': HTTP 429".into(),
                retry_after_ms: Some(4000)
            }
        );
        assert_eq!(error(502), ProviderError::Unavailable("Vault failed reading 'db': HTTP 502".into()));
        assert_eq!(error(302), ProviderError::Other("Vault answered reading 'db' unexpectedly: HTTP 302".into()));
    }
}
