//! Credentials the host resolves for plugins, and the trait that resolves them.
//!
//! Plugins never read environment variables or credential files: the host
//! resolves credentials (AWS's default chain, Azure identity, explicit keys
//! from the manager's `auth` settings) and hands them over through the
//! contract's `host` interface.

use crate::error::ProviderError;
use crate::metadata::Timestamp;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use zeroize::Zeroizing;

/// A boxed, sendable future.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// AWS credentials. `Debug` shows only the access key id.
#[derive(Clone)]
pub struct AwsCredentials {
    /// The access key id.
    pub access_key_id: String,
    /// The secret access key.
    pub secret_access_key: Zeroizing<String>,
    /// The session token of temporary credentials.
    pub session_token: Option<Zeroizing<String>>,
    /// When the credentials expire.
    pub expires_at: Option<Timestamp>,
}

impl fmt::Debug for AwsCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AwsCredentials")
            .field("access_key_id", &self.access_key_id)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

/// An OAuth bearer token. `Debug` shows only the expiry.
#[derive(Clone)]
pub struct AccessToken {
    /// The token.
    pub token: Zeroizing<String>,
    /// When it expires.
    pub expires_at: Option<Timestamp>,
}

impl fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AccessToken").field("expires_at", &self.expires_at).finish_non_exhaustive()
    }
}

/// Resolves credentials for one manager. The defaults answer that the manager
/// has no such authentication configured.
pub trait CredentialProvider: Send + Sync {
    /// Current AWS credentials.
    fn aws_credentials(&self) -> BoxFuture<'_, Result<AwsCredentials, ProviderError>> {
        Box::pin(async {
            Err(ProviderError::Configuration(
                "this manager has no AWS authentication: set `auth: {type: aws, ...}` in its configuration".into(),
            ))
        })
    }

    /// An access token for `scopes`.
    fn access_token<'a>(&'a self, scopes: &'a [String]) -> BoxFuture<'a, Result<AccessToken, ProviderError>> {
        let _ = scopes;
        Box::pin(async {
            Err(ProviderError::Configuration(
                "this manager has no token authentication: set `auth: {type: azure, ...}` in its configuration".into(),
            ))
        })
    }
}

/// A provider with no credentials at all.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoCredentials;

impl CredentialProvider for NoCredentials {}
