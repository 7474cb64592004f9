//! [`AzureCredentials`]: a manager's Azure identity, serving the contract's `get-access-token`.

use crate::chain::{Chain, Environment};
use crate::error::{token_error, AzureAuthError};
use crate::settings::{AuthMethod, AzureAuthSettings};
use crate::transport::ReqwestTransport;
use azure_core::cloud::{CloudConfiguration, CustomConfiguration};
use azure_core::credentials::TokenCredential;
use azure_core::http::{ClientOptions, ExponentialRetryOptions, RetryOptions, Transport};
use azure_core::time::Duration;
use azure_identity::{ClientSecretCredential, ClientSecretCredentialOptions};
use keyway_token_cache::TokenCache;
use keyway_types::{AccessToken, BoxFuture, CredentialProvider, ProviderError};
use std::fmt;
use std::sync::Arc;
use zeroize::Zeroizing;

enum Resolver {
    ClientSecret(Arc<ClientSecretCredential>),
    Implicit(Box<Chain>),
}

/// Access tokens for one manager, from its [`AzureAuthSettings`], cached per scope set until
/// shortly before expiry ([`crate::REFRESH_MARGIN`]). Concurrent callers share one renewal.
pub struct AzureCredentials {
    resolver: Resolver,
    cache: TokenCache,
}

impl fmt::Debug for AzureCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let method = match &self.resolver {
            Resolver::ClientSecret(_) => "client-secret".to_owned(),
            Resolver::Implicit(chain) => format!("implicit {:?}", chain.available()),
        };
        f.debug_struct("AzureCredentials").field("method", &method).finish_non_exhaustive()
    }
}

impl AzureCredentials {
    /// Credentials from `settings`; the implicit chain reads the process environment.
    pub fn new(settings: &AzureAuthSettings) -> Result<Self, AzureAuthError> {
        Self::with_environment(settings, std::env::vars())
    }

    /// Credentials from `settings`, with the implicit chain reading `environment` instead of the
    /// process's variables (`AZURE_TENANT_ID`, `AZURE_CLIENT_ID`, `AZURE_CLIENT_SECRET`,
    /// `AZURE_FEDERATED_TOKEN_FILE`).
    pub fn with_environment(
        settings: &AzureAuthSettings,
        environment: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Self, AzureAuthError> {
        settings.validate()?;
        // A token request sits in front of a plugin call with its own deadline: retry transient
        // failures briefly instead of azure_core's default of 8 retries over a minute.
        let retry = RetryOptions::exponential(ExponentialRetryOptions {
            initial_delay: Duration::milliseconds(200),
            max_retries: 3,
            max_total_elapsed: Duration::seconds(10),
            max_delay: Duration::seconds(4),
        });
        let transport = Transport::new(ReqwestTransport::new(settings.ca_certificate.as_deref())?);
        let mut options = ClientOptions { transport: Some(transport), retry, ..ClientOptions::default() };
        if let Some(host) = &settings.authority_host {
            let mut cloud = CustomConfiguration::default();
            cloud.authority_host = host.trim_end_matches('/').to_owned();
            options.cloud = Some(Arc::new(CloudConfiguration::from(cloud)));
        }
        let resolver = match settings.method {
            AuthMethod::ClientSecret => {
                let (Some(tenant), Some(client), Some(secret)) =
                    (&settings.tenant_id, &settings.client_id, &settings.client_secret)
                else {
                    return Err(AzureAuthError::Settings("client-secret settings are incomplete".into()));
                };
                let secret: &Zeroizing<String> = secret;
                let credential = ClientSecretCredential::new(
                    tenant,
                    client.clone(),
                    secret.as_str().to_owned().into(),
                    Some(ClientSecretCredentialOptions { client_options: options }),
                )
                .map_err(|err| AzureAuthError::Credential(err.to_string()))?;
                Resolver::ClientSecret(credential)
            }
            AuthMethod::Implicit => {
                let env: Environment = environment.into_iter().collect();
                Resolver::Implicit(Box::new(Chain::new(settings, &env, &options)))
            }
        };
        Ok(Self { resolver, cache: TokenCache::default() })
    }

    /// How many tokens were fetched from Entra ID (cache misses), for tests and metrics.
    pub fn fetch_count(&self) -> u64 {
        self.cache.fetch_count()
    }

    /// A token for `scopes`, from the cache when it is not about to expire.
    pub async fn token(&self, scopes: &[String]) -> Result<AccessToken, ProviderError> {
        self.cache.get_or_fetch(scopes, |_| self.fetch(scopes)).await
    }

    /// A new token from Entra ID.
    async fn fetch(&self, scopes: &[String]) -> Result<AccessToken, ProviderError> {
        let scope_refs: Vec<&str> = scopes.iter().map(String::as_str).collect();
        let token = match &self.resolver {
            Resolver::ClientSecret(credential) => credential
                .get_token(&scope_refs, None)
                .await
                .map_err(|err| token_error("client-secret authentication", &err))?,
            Resolver::Implicit(chain) => chain.get_token(&scope_refs).await?,
        };
        let expires_ms = token.expires_on.unix_timestamp_nanos() / 1_000_000;
        Ok(AccessToken {
            token: Zeroizing::new(token.token.secret().to_owned()),
            expires_at: u64::try_from(expires_ms).ok(),
        })
    }
}

impl CredentialProvider for AzureCredentials {
    fn access_token<'a>(&'a self, scopes: &'a [String]) -> BoxFuture<'a, Result<AccessToken, ProviderError>> {
        Box::pin(self.token(scopes))
    }
}
