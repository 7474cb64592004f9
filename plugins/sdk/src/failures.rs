//! The contract error for a backend's failed answer, worded after what was attempted, for the
//! statuses every REST backend means the same way. A plugin matches its backend's own cases
//! first (a 401 that needs a new login, a 403 with a permission hint) and leaves the rest here.
//! A refused login has its own wording, naming what to check ([`login_failure`]), and so has a
//! backend that does not answer over HTTPS ([`with_certificate_hint`]).

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

/// A login the backend did not accept, for [`login_failure`]: what was attempted and what the operator
/// should check. None of it may hold the credential.
///
/// ```
/// use keyway_plugin_sdk::failures::LoginAttempt;
///
/// let username = "kestra";
/// let action = format!("the userpass login of '{username}' at auth/userpass");
/// let attempt = LoginAttempt {
///     backend: "Vault",
///     action: &action,
///     check: "check username and password",
///     check_address: "no such auth method is enabled there; check auth_mount",
/// };
/// # let _ = attempt;
/// ```
#[derive(Debug, Clone, Copy)]
pub struct LoginAttempt<'a> {
    /// The backend, as messages name it: `Vault`.
    pub backend: &'a str,
    /// What was attempted, naming who logs in (never with what): `the AppRole login at auth/approle`.
    pub action: &'a str,
    /// What to check when the backend refuses the credential: `check role_id and secret_id`.
    pub check: &'a str,
    /// What to check when no login answers at that address (404, 405): `check url`.
    pub check_address: &'a str,
}

/// The error for a refused or failed login (`response` not 2xx), with the backend's own `message`:
///
/// | status | error |
/// | --- | --- |
/// | 400, 401, 403 | access denied: `{backend} refused {action} ({message}): {check}` |
/// | 404, 405 | configuration: `{backend} refused {action} ({message}): {check_address}` |
/// | 429 | throttled, with `Retry-After`: `{backend} throttled {action}: {message}` |
/// | 5xx | unavailable: `{backend} failed {action}: {message}` |
/// | other | other: `{backend} answered {action} unexpectedly: {message}` |
///
/// The message never holds the credential unless the backend echoed it: a
/// [`Session`](crate::session::Session) takes the login's secrets out of every error it returns.
///
/// ```
/// use keyway_plugin_sdk::failures::{login_failure, LoginAttempt};
/// use keyway_plugin_sdk::{ProviderError, Response};
///
/// let attempt = LoginAttempt {
///     backend: "Secret Server",
///     action: "the login of user 'keyway'",
///     check: "check username, password and domain",
///     check_address: "no Secret Server token endpoint at base_url/oauth2/token; check base_url",
/// };
/// let refused = Response { status: 400, headers: Vec::new(), body: br#"{"error":"Login failed."}"#.to_vec() };
/// let message = refused.error_message().unwrap_or_default();
/// assert_eq!(
///     login_failure(&refused, &attempt, &message),
///     ProviderError::AccessDenied(
///         "Secret Server refused the login of user 'keyway' (Login failed.): check username, password and domain"
///             .into()
///     )
/// );
/// ```
pub fn login_failure(response: &Response, attempt: &LoginAttempt<'_>, message: &str) -> ProviderError {
    let LoginAttempt { backend, action, check, check_address } = attempt;
    match response.status {
        400 | 401 | 403 => ProviderError::AccessDenied(format!("{backend} refused {action} ({message}): {check}")),
        404 | 405 => ProviderError::Configuration(format!("{backend} refused {action} ({message}): {check_address}")),
        429 => throttled(response, format!("{backend} throttled {action}: {message}")),
        500..=599 => ProviderError::Unavailable(format!("{backend} failed {action}: {message}")),
        _ => ProviderError::Other(format!("{backend} answered {action} unexpectedly: {message}")),
    }
}

/// `error` with what to check when a request to `url` over HTTPS got no answer: the host reports a
/// certificate it does not trust as a failed connection. Other errors, and plain `http://` URLs, are left
/// as they are. A [`Session`](crate::session::Session) does this for every request it sends.
///
/// ```
/// use keyway_plugin_sdk::{failures::with_certificate_hint, ProviderError};
///
/// let failed = ProviderError::Unavailable("request to https://vault.internal:8200/v1/secret failed".into());
/// let explained = with_certificate_hint("Vault", "https://vault.internal:8200", failed);
/// assert!(explained.message().ends_with("a private CA belongs in the manager's tls_ca_file)"));
/// let denied = ProviderError::AccessDenied("no".into());
/// assert_eq!(with_certificate_hint("Vault", "https://vault.internal:8200", denied.clone()), denied);
/// ```
pub fn with_certificate_hint(backend: &str, url: &str, error: ProviderError) -> ProviderError {
    match error {
        ProviderError::Unavailable(message) if url.starts_with("https://") => ProviderError::Unavailable(format!(
            "{message}; if {backend} is running, check that its certificate is trusted (a private CA belongs in the \
             manager's tls_ca_file)"
        )),
        other => other,
    }
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

    #[test]
    fn login_failures_name_what_to_check() {
        let attempt = LoginAttempt {
            backend: "Conjur",
            action: "the request to authenticate 'admin' in account 'myorg' with authn",
            check: "check login, account and api_key",
            check_address: "check url",
        };
        let error = |status| login_failure(&answer(status), &attempt, "HTTP");
        assert_eq!(
            error(401),
            ProviderError::AccessDenied(
                "Conjur refused the request to authenticate 'admin' in account 'myorg' with authn (HTTP): check login, \
                 account and api_key"
                    .into()
            )
        );
        assert!(matches!(error(405), ProviderError::Configuration(m) if m.ends_with("(HTTP): check url")));
        assert!(matches!(error(429), ProviderError::Throttled { retry_after_ms: Some(4000), .. }));
        assert!(matches!(error(503), ProviderError::Unavailable(m) if m.starts_with("Conjur failed the request")));
        assert!(matches!(error(302), ProviderError::Other(_)));
    }

    #[test]
    fn only_https_failures_get_the_certificate_hint() {
        let failed = || ProviderError::Unavailable("request failed".into());
        assert!(with_certificate_hint("Vault", "https://v", failed()).message().contains("tls_ca_file"));
        assert_eq!(with_certificate_hint("Vault", "http://127.0.0.1:8200", failed()), failed());
    }
}
