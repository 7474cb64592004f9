//! Keeping credentials out of error messages: a backend may echo what it was sent (a key in a
//! refused login, a token in a 400 answer), and messages travel to logs and users.

use keyway_types::ProviderError;

/// Credentials shorter than this are not replaced: they would match ordinary words.
pub const MIN_REDACTED_CHARS: usize = 4;

/// What a credential is replaced with.
pub const REDACTED: &str = "<redacted>";

/// `error` with every occurrence of each of `secrets` (of at least [`MIN_REDACTED_CHARS`]
/// bytes) in its message replaced by [`REDACTED`]; its kind and retry hint are kept.
///
/// ```
/// use keyway_plugin_sdk::{redact::redact_error, ProviderError};
///
/// let api_key = "k-3f9a2c";
/// let echoed = ProviderError::AccessDenied(format!("login refused for key {api_key}"));
/// assert_eq!(
///     redact_error(echoed, &[api_key]),
///     ProviderError::AccessDenied("login refused for key <redacted>".into())
/// );
/// ```
pub fn redact_error(error: ProviderError, secrets: &[&str]) -> ProviderError {
    let secrets: Vec<&str> = secrets.iter().copied().filter(|s| s.len() >= MIN_REDACTED_CHARS).collect();
    if !secrets.iter().any(|s| error.message().contains(s)) {
        return error;
    }
    let clean = |message: &str| secrets.iter().fold(message.to_owned(), |m, s| m.replace(s, REDACTED));
    match error {
        ProviderError::NotFound(m) => ProviderError::NotFound(clean(&m)),
        ProviderError::AlreadyExists(m) => ProviderError::AlreadyExists(clean(&m)),
        ProviderError::AccessDenied(m) => ProviderError::AccessDenied(clean(&m)),
        ProviderError::InvalidArgument(m) => ProviderError::InvalidArgument(clean(&m)),
        ProviderError::Conflict(m) => ProviderError::Conflict(clean(&m)),
        ProviderError::Throttled { message, retry_after_ms } => {
            ProviderError::Throttled { message: clean(&message), retry_after_ms }
        }
        ProviderError::Unavailable(m) => ProviderError::Unavailable(clean(&m)),
        ProviderError::Unsupported(m) => ProviderError::Unsupported(clean(&m)),
        ProviderError::Configuration(m) => ProviderError::Configuration(clean(&m)),
        other => ProviderError::Other(clean(other.message())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_credentials_and_keeps_the_kind() {
        let error = ProviderError::AccessDenied("login failed for hunter2-pass (hunter2-pass)".into());
        assert_eq!(
            redact_error(error, &["hunter2-pass"]),
            ProviderError::AccessDenied("login failed for <redacted> (<redacted>)".into())
        );
        let throttled = ProviderError::Throttled { message: "slow down abcdef123".into(), retry_after_ms: Some(5) };
        assert_eq!(
            redact_error(throttled, &["abcdef123"]),
            ProviderError::Throttled { message: "slow down <redacted>".into(), retry_after_ms: Some(5) }
        );
        assert_eq!(redact_error(ProviderError::Other("x abcd".into()), &["abcd"]).message(), "x <redacted>");
    }

    #[test]
    fn leaves_short_strings_and_clean_messages_alone() {
        let untouched = ProviderError::NotFound("secret 'db' does not exist".into());
        assert_eq!(redact_error(untouched.clone(), &["db", "hunter2-pass", ""]), untouched);
    }
}
