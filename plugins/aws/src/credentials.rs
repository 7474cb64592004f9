//! The SDK's credentials, taken from the host.
//!
//! The guest carries no credential chain: the host resolves the manager's
//! `auth` settings with `aws-config` and hands the result over through the
//! contract's `get-aws-credentials` import. They are kept here until shortly
//! before they expire, so a call costs no host round trip in the common case.

use aws_credential_types::provider::{error::CredentialsError, future, ProvideCredentials};
use aws_sdk_secretsmanager::config::Credentials;
use keyway_plugin_sdk::{host, ProviderError};
use std::fmt;
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Credentials are fetched again when they expire within this margin.
const REFRESH_MARGIN: Duration = Duration::from_secs(60);

/// The name the SDK shows for where the credentials came from.
const PROVIDER_NAME: &str = "keyway-host";

/// A [`ProvideCredentials`] that asks the host and caches its answer until near expiry.
#[derive(Default)]
pub(crate) struct HostCredentials {
    cached: Mutex<Option<Credentials>>,
}

impl fmt::Debug for HostCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HostCredentials").finish_non_exhaustive()
    }
}

impl HostCredentials {
    fn current(&self) -> Result<Credentials, ProviderError> {
        let mut cached = self.cached.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(credentials) = cached.as_ref().filter(|c| is_fresh(c.expiry(), SystemTime::now())) {
            return Ok(credentials.clone());
        }
        let from_host = host::aws_credentials()?;
        let expiry = from_host.expires_at.map(|ms| UNIX_EPOCH + Duration::from_millis(ms));
        let credentials = Credentials::new(
            from_host.access_key_id,
            from_host.secret_access_key,
            from_host.session_token,
            expiry,
            PROVIDER_NAME,
        );
        *cached = Some(credentials.clone());
        Ok(credentials)
    }
}

impl ProvideCredentials for HostCredentials {
    fn provide_credentials<'a>(&'a self) -> future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        future::ProvideCredentials::ready(
            self.current().map_err(|error| CredentialsError::provider_error(HostCredentialsError(error))),
        )
    }
}

/// Whether credentials expiring at `expiry` can still be used at `now`.
fn is_fresh(expiry: Option<SystemTime>, now: SystemTime) -> bool {
    expiry.is_none_or(|expiry| expiry > now + REFRESH_MARGIN)
}

/// The host's refusal to provide credentials, carried through the SDK's error
/// chain so the operation reports the host's own, typed error.
#[derive(Debug)]
pub(crate) struct HostCredentialsError(pub ProviderError);

impl fmt::Display for HostCredentialsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "the host could not provide AWS credentials: {}", self.0)
    }
}

impl std::error::Error for HostCredentialsError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_are_refreshed_shortly_before_expiry() {
        let now = UNIX_EPOCH + Duration::from_secs(1_000_000);
        assert!(is_fresh(None, now));
        assert!(is_fresh(Some(now + Duration::from_secs(3600)), now));
        assert!(!is_fresh(Some(now + Duration::from_secs(30)), now));
        assert!(!is_fresh(Some(now - Duration::from_secs(1)), now));
    }
}
