//! The one error type every provider operation returns.

use serde::{Deserialize, Serialize};

/// An error from a provider. Messages say what went wrong and never contain secret values.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ProviderError {
    /// The secret or version does not exist.
    #[error("not found: {0}")]
    NotFound(String),
    /// A secret with that name exists already.
    #[error("already exists: {0}")]
    AlreadyExists(String),
    /// The backend refused the credentials or the permission.
    #[error("access denied: {0}")]
    AccessDenied(String),
    /// A name, option or value the backend does not accept.
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
    /// A concurrent change or a state that forbids the operation.
    #[error("conflict: {0}")]
    Conflict(String),
    /// The backend asked callers to slow down.
    #[error("throttled: {message}")]
    Throttled {
        /// What the backend said.
        message: String,
        /// How long to wait before retrying.
        retry_after_ms: Option<u64>,
    },
    /// The backend could not be reached or failed.
    #[error("backend unavailable: {0}")]
    Unavailable(String),
    /// The provider does not support the operation.
    #[error("unsupported: {0}")]
    Unsupported(String),
    /// The manager's settings are wrong.
    #[error("configuration error: {0}")]
    Configuration(String),
    /// Anything else.
    #[error("{0}")]
    Other(String),
}

/// The kind of a [`ProviderError`], without its message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ErrorKind {
    /// See [`ProviderError::NotFound`].
    NotFound,
    /// See [`ProviderError::AlreadyExists`].
    AlreadyExists,
    /// See [`ProviderError::AccessDenied`].
    AccessDenied,
    /// See [`ProviderError::InvalidArgument`].
    InvalidArgument,
    /// See [`ProviderError::Conflict`].
    Conflict,
    /// See [`ProviderError::Throttled`].
    Throttled,
    /// See [`ProviderError::Unavailable`].
    Unavailable,
    /// See [`ProviderError::Unsupported`].
    Unsupported,
    /// See [`ProviderError::Configuration`].
    Configuration,
    /// See [`ProviderError::Other`].
    Other,
}

impl ProviderError {
    /// The error's kind.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Self::NotFound(_) => ErrorKind::NotFound,
            Self::AlreadyExists(_) => ErrorKind::AlreadyExists,
            Self::AccessDenied(_) => ErrorKind::AccessDenied,
            Self::InvalidArgument(_) => ErrorKind::InvalidArgument,
            Self::Conflict(_) => ErrorKind::Conflict,
            Self::Throttled { .. } => ErrorKind::Throttled,
            Self::Unavailable(_) => ErrorKind::Unavailable,
            Self::Unsupported(_) => ErrorKind::Unsupported,
            Self::Configuration(_) => ErrorKind::Configuration,
            Self::Other(_) => ErrorKind::Other,
        }
    }

    /// The message without the kind's prefix.
    pub fn message(&self) -> &str {
        match self {
            Self::NotFound(m)
            | Self::AlreadyExists(m)
            | Self::AccessDenied(m)
            | Self::InvalidArgument(m)
            | Self::Conflict(m)
            | Self::Unavailable(m)
            | Self::Unsupported(m)
            | Self::Configuration(m)
            | Self::Other(m) => m,
            Self::Throttled { message, .. } => message,
        }
    }

    /// Whether retrying later may succeed (throttling and unavailability).
    pub fn is_transient(&self) -> bool {
        matches!(self, Self::Throttled { .. } | Self::Unavailable(_))
    }

    /// The same error with its message changed by `change` (to redact or escape it); the kind is kept.
    pub fn map_message(self, change: impl FnOnce(String) -> String) -> Self {
        match self {
            Self::NotFound(m) => Self::NotFound(change(m)),
            Self::AlreadyExists(m) => Self::AlreadyExists(change(m)),
            Self::AccessDenied(m) => Self::AccessDenied(change(m)),
            Self::InvalidArgument(m) => Self::InvalidArgument(change(m)),
            Self::Conflict(m) => Self::Conflict(change(m)),
            Self::Throttled { message, retry_after_ms } => Self::Throttled { message: change(message), retry_after_ms },
            Self::Unavailable(m) => Self::Unavailable(change(m)),
            Self::Unsupported(m) => Self::Unsupported(change(m)),
            Self::Configuration(m) => Self::Configuration(change(m)),
            Self::Other(m) => Self::Other(change(m)),
        }
    }

    /// A `NotFound` for a named secret.
    pub fn not_found(name: &str) -> Self {
        Self::NotFound(format!("secret '{name}' does not exist"))
    }

    /// An `Unsupported` for an operation this provider does not declare.
    pub fn unsupported(operation: &str) -> Self {
        Self::Unsupported(format!("this provider does not support '{operation}'"))
    }
}

/// A serde error message without the value it quotes. serde describes a value of the wrong type
/// or shape by quoting it (`invalid type: string "hunter2", expected u64 at line 1 column 9`),
/// and that value can be a credential or a secret; what remains says what was expected, and where
/// (`invalid type: expected u64 at line 1 column 9`). Messages that quote no value (a missing or
/// unknown field, a syntax error) are returned as they are.
pub fn serde_message_without_values(message: &str) -> String {
    const MARKERS: [(&str, &str); 3] = [
        ("invalid type: ", "invalid type:"),
        ("invalid value: ", "invalid value:"),
        ("unknown variant ", "unknown variant:"),
    ];
    let found = MARKERS.iter().filter_map(|(marker, name)| Some((message.find(marker)?, *marker, *name)));
    let Some((start, marker, name)) = found.min_by_key(|(at, _, _)| *at) else {
        return message.to_owned();
    };
    let quoted = &message[start + marker.len()..];
    let expected = quoted.rfind(", expected ").map_or("(value not shown)", |at| &quoted[at + ", ".len()..]);
    format!("{}{name} {expected}", &message[..start])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serde_messages_lose_the_values_they_quote() {
        let cases = [
            (
                "invalid type: string \"hunter2, expected this\", expected u64 at line 1 column 9",
                "invalid type: expected u64 at line 1 column 9",
            ),
            ("invalid type: integer `123456`, expected a string", "invalid type: expected a string"),
            (
                "auth.client_secret: invalid value: string \"x\", expected a UUID",
                "auth.client_secret: invalid value: expected a UUID",
            ),
            ("unknown variant `s3cr3t`, expected `aws` or `azure`", "unknown variant: expected `aws` or `azure`"),
            ("invalid type: map", "invalid type: (value not shown)"),
            ("missing field `project` at line 1 column 2", "missing field `project` at line 1 column 2"),
            ("unknown field `vault`, expected one of `a`, `b`", "unknown field `vault`, expected one of `a`, `b`"),
        ];
        for (message, expected) in cases {
            assert_eq!(serde_message_without_values(message), expected);
        }
    }
}
