//! Errors of building Azure credentials, and how token failures become contract errors.

use keyway_types::ProviderError;

/// Why Azure credentials could not be set up.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AzureAuthError {
    /// The settings are incomplete or contradictory.
    #[error("Azure auth settings: {0}")]
    Settings(String),
    /// The extra root certificate file could not be read or parsed.
    #[error("Azure auth CA certificate {path}: {reason}")]
    Certificate {
        /// The file.
        path: String,
        /// What went wrong.
        reason: String,
    },
    /// `azure_identity` refused to build a credential.
    #[error("Azure credential: {0}")]
    Credential(String),
}

impl From<AzureAuthError> for ProviderError {
    fn from(error: AzureAuthError) -> Self {
        ProviderError::Configuration(error.to_string())
    }
}

/// Maps a token failure to the contract's error: Entra ID's 4xx answers (wrong secret, unknown
/// tenant or client) are access denied, throttling and 5xx are transient, connection failures
/// are unavailable. The message is `azure_identity`'s, which carries Entra's `AADSTS` description
/// and never the secret.
pub(crate) fn token_error(source: &str, error: &azure_core::Error) -> ProviderError {
    let message = format!("{source}: {}", one_line(&error.to_string()));
    let mut current: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(err) = current {
        if let Some(azure) = err.downcast_ref::<azure_core::Error>() {
            if let Some(status) = azure.http_status() {
                let code = u16::from(status);
                return match code {
                    429 => ProviderError::Throttled { message, retry_after_ms: None },
                    500..=599 => ProviderError::Unavailable(message),
                    _ => ProviderError::AccessDenied(message),
                };
            }
            if matches!(azure.kind(), azure_core::error::ErrorKind::Connection | azure_core::error::ErrorKind::Io) {
                return ProviderError::Unavailable(message);
            }
        }
        current = err.source();
    }
    ProviderError::AccessDenied(message)
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}
