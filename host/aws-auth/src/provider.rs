//! [`AwsAuth`]: one manager's AWS credentials, resolved with `aws-config` and
//! cached until shortly before they expire.

use crate::error::from_credentials_error;
use crate::profile::SharedFiles;
use crate::settings::{AuthSource, AwsAuthSettings, ExplicitKeys, RoleToAssume};
use crate::AwsAuthError;
use aws_config::profile::ProfileFileCredentialsProvider;
use aws_config::provider_config::ProviderConfig;
use aws_config::sts::AssumeRoleProvider;
use aws_config::{BehaviorVersion, Region};
use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider};
use aws_credential_types::Credentials;
use aws_smithy_http_client::tls::{rustls_provider::CryptoMode, Provider as TlsProvider};
use keyway_types::{AwsCredentials, BoxFuture, CredentialProvider, ProviderError, Timestamp};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::sync::{Mutex, OnceCell};
use zeroize::Zeroizing;

/// Credentials are resolved again when they expire within this margin.
pub const REFRESH_MARGIN: Duration = Duration::from_secs(300);
/// The longest one resolution may take (metadata endpoints, STS, credential processes).
const RESOLVE_TIMEOUT: Duration = Duration::from_secs(30);
/// STS's Region when neither the settings nor the default chain name one.
const FALLBACK_REGION: &str = "us-east-1";

/// Resolves one manager's AWS credentials; implements [`CredentialProvider`].
///
/// Explicit keys without a role are returned as they are. Everything else goes
/// through `aws-config` (default chain, profile, STS `AssumeRole`); the result
/// is cached until [`REFRESH_MARGIN`] before it expires, and concurrent callers
/// wait for one resolution instead of starting their own.
pub struct AwsAuth {
    settings: AwsAuthSettings,
    source: AuthSource,
    role: Option<RoleToAssume>,
    provider: OnceCell<SharedCredentialsProvider>,
    cached: Mutex<Option<AwsCredentials>>,
}

impl std::fmt::Debug for AwsAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AwsAuth").field("settings", &self.settings).finish_non_exhaustive()
    }
}

impl AwsAuth {
    /// Checks `settings`; nothing is resolved before the first call.
    pub fn new(settings: AwsAuthSettings) -> Result<Self, AwsAuthError> {
        let (source, role) = settings.resolve()?;
        Ok(Self { settings, source, role, provider: OnceCell::new(), cached: Mutex::new(None) })
    }

    /// Current credentials, from the cache when they are still fresh.
    pub async fn credentials(&self) -> Result<AwsCredentials, ProviderError> {
        let mut cached = self.cached.lock().await;
        if let Some(credentials) = cached.as_ref().filter(|c| is_fresh(c.expires_at, SystemTime::now())) {
            return Ok(credentials.clone());
        }
        let resolved = tokio::time::timeout(RESOLVE_TIMEOUT, self.resolve()).await.map_err(|_| {
            ProviderError::Unavailable(format!("resolving AWS credentials took longer than {RESOLVE_TIMEOUT:?}"))
        })??;
        tracing::debug!(access_key_id = %resolved.access_key_id, expires_at = ?resolved.expires_at, "resolved AWS credentials");
        *cached = Some(resolved.clone());
        Ok(resolved)
    }

    async fn resolve(&self) -> Result<AwsCredentials, ProviderError> {
        if let (AuthSource::Explicit(keys), None) = (&self.source, &self.role) {
            return Ok(AwsCredentials {
                access_key_id: keys.access_key_id.clone(),
                secret_access_key: Zeroizing::new(keys.secret_access_key.expose().to_owned()),
                session_token: keys.session_token.as_ref().map(|t| Zeroizing::new(t.expose().to_owned())),
                expires_at: None,
            });
        }
        let provider = self.provider.get_or_try_init(|| self.build_provider()).await?;
        let credentials = provider.provide_credentials().await.map_err(|err| from_credentials_error(&err))?;
        Ok(AwsCredentials {
            access_key_id: credentials.access_key_id().to_owned(),
            secret_access_key: Zeroizing::new(credentials.secret_access_key().to_owned()),
            session_token: credentials.session_token().map(|t| Zeroizing::new(t.to_owned())),
            expires_at: credentials.expiry().map(millis),
        })
    }

    /// The `aws-config` chain for these settings, with the role on top.
    async fn build_provider(&self) -> Result<SharedCredentialsProvider, ProviderError> {
        let https =
            aws_smithy_http_client::Builder::new().tls_provider(TlsProvider::Rustls(CryptoMode::Ring)).build_https();
        let mut loader = aws_config::defaults(BehaviorVersion::latest()).http_client(https.clone());
        if let Some(region) = &self.settings.region {
            loader = loader.region(Region::new(region.trim().to_owned()));
        }
        if let Some(endpoint) = &self.settings.sts_endpoint {
            // Only STS clients are built from this configuration.
            loader = loader.endpoint_url(endpoint.trim_end_matches('/'));
        }
        match &self.source {
            AuthSource::Explicit(keys) => loader = loader.credentials_provider(explicit(keys)),
            AuthSource::Profile(name) => {
                // Only that profile, checked first: a profile the files lack is a configuration error, not a
                // reason to go on down the default chain to the instance metadata service.
                let profile = SharedFiles::of_environment().profile(name).await?;
                let region = self.settings.region.as_ref().map(|r| r.trim().to_owned()).or(profile.region);
                let region = Region::new(region.unwrap_or_else(|| FALLBACK_REGION.to_owned()));
                let provider_config =
                    ProviderConfig::without_region().with_http_client(https.clone()).with_region(Some(region.clone()));
                let credentials =
                    ProfileFileCredentialsProvider::builder().configure(&provider_config).profile_name(name).build();
                loader = loader.profile_name(name).region(region).credentials_provider(credentials);
            }
            _ => {}
        }
        let mut config = loader.load().await;
        if config.region().is_none() && self.role.is_some() {
            config = config.into_builder().region(Region::from_static(FALLBACK_REGION)).build();
        }
        let Some(role) = &self.role else {
            return config
                .credentials_provider()
                .ok_or_else(|| ProviderError::Configuration("aws-config set up no AWS credential provider".into()));
        };
        let mut builder = AssumeRoleProvider::builder(role.role_arn.clone()).session_name(role.session_name.clone());
        if let Some(external_id) = &role.external_id {
            builder = builder.external_id(external_id.clone());
        }
        if let Some(duration) = role.duration {
            builder = builder.session_length(duration);
        }
        Ok(SharedCredentialsProvider::new(builder.configure(&config).build().await))
    }
}

impl CredentialProvider for AwsAuth {
    fn aws_credentials(&self) -> BoxFuture<'_, Result<AwsCredentials, ProviderError>> {
        Box::pin(self.credentials())
    }
}

fn explicit(keys: &ExplicitKeys) -> Credentials {
    Credentials::new(
        keys.access_key_id.clone(),
        keys.secret_access_key.expose().to_owned(),
        keys.session_token.as_ref().map(|t| t.expose().to_owned()),
        None,
        "keyway-explicit-keys",
    )
}

fn millis(time: SystemTime) -> Timestamp {
    time.duration_since(UNIX_EPOCH).map_or(0, |d| Timestamp::try_from(d.as_millis()).unwrap_or(Timestamp::MAX))
}

/// Whether credentials expiring at `expires_at` are still good at `now`.
fn is_fresh(expires_at: Option<Timestamp>, now: SystemTime) -> bool {
    expires_at.is_none_or(|expiry| expiry > millis(now + REFRESH_MARGIN))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::SecretText;

    fn explicit_settings() -> AwsAuthSettings {
        AwsAuthSettings {
            access_key_id: Some("AKIAEXAMPLE".into()),
            secret_access_key: Some(SecretText::new("secret-example")),
            ..AwsAuthSettings::default()
        }
    }

    #[tokio::test]
    async fn explicit_keys_are_returned_without_any_call() {
        let auth = AwsAuth::new(explicit_settings()).map_err(|e| e.to_string());
        let credentials = match auth {
            Ok(auth) => auth.aws_credentials().await,
            Err(e) => Err(ProviderError::Configuration(e)),
        };
        let credentials = credentials.map(|c| (c.access_key_id, c.secret_access_key.as_str().to_owned(), c.expires_at));
        assert_eq!(credentials, Ok(("AKIAEXAMPLE".into(), "secret-example".into(), None)));
    }

    #[test]
    fn invalid_settings_are_refused_up_front() {
        let settings = AwsAuthSettings { secret_access_key: None, ..explicit_settings() };
        assert!(AwsAuth::new(settings).is_err());
    }

    #[test]
    fn freshness_keeps_a_margin() {
        let now = UNIX_EPOCH + Duration::from_secs(1_000_000);
        let in_secs = |s: u64| Some(millis(now + Duration::from_secs(s)));
        assert!(is_fresh(None, now));
        assert!(is_fresh(in_secs(3600), now));
        assert!(!is_fresh(in_secs(120), now));
    }
}
