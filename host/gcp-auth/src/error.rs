//! Errors of building Google credentials, and how token failures become contract errors.

use keyway_types::ProviderError;

/// Why Google credentials could not be set up.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum GcpAuthError {
    /// The settings are incomplete or contradictory.
    #[error("Google auth settings: {0}")]
    Settings(String),
    /// The credential file is unreadable or malformed (the message never holds key material).
    #[error("Google credential file: {0}")]
    Key(String),
    /// The extra root certificate file could not be read or parsed.
    #[error("Google auth CA certificate {path}: {reason}")]
    Certificate {
        /// The file.
        path: String,
        /// What went wrong.
        reason: String,
    },
    /// The HTTP client could not be built.
    #[error("Google auth HTTP client: {0}")]
    Client(String),
}

impl From<GcpAuthError> for ProviderError {
    fn from(error: GcpAuthError) -> Self {
        ProviderError::Configuration(error.to_string())
    }
}
