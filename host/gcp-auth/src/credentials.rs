//! [`GcpCredentials`]: a manager's Google identity, serving the contract's `get-access-token`.

use crate::error::GcpAuthError;
use crate::key::KeyFile;
use crate::settings::{GcpAuthMethod, GcpAuthSettings};
use crate::source::Source;
use keyway_token_cache::TokenCache;
use keyway_types::{AccessToken, BoxFuture, CredentialProvider, ProviderError};
use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The metadata server's name on Google Cloud.
pub const DEFAULT_METADATA_HOST: &str = "metadata.google.internal";

/// Access tokens for one manager, from its [`GcpAuthSettings`], cached per scope set until shortly
/// before expiry ([`crate::REFRESH_MARGIN`]). Concurrent callers share one renewal.
pub struct GcpCredentials {
    source: Source,
    client: reqwest::Client,
    cache: TokenCache,
}

impl fmt::Debug for GcpCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GcpCredentials").field("source", &self.source.describe()).finish_non_exhaustive()
    }
}

fn read_key(path: &Path, token_uri: Option<&str>, origin: String) -> Result<Source, GcpAuthError> {
    let text = std::fs::read_to_string(path)
        .map(zeroize::Zeroizing::new)
        .map_err(|err| GcpAuthError::Key(format!("cannot read {}: {err}", path.display())))?;
    Ok(Source::Key { key: KeyFile::parse(&text, token_uri)?, origin })
}

impl GcpCredentials {
    /// Credentials from `settings`; the implicit chain reads the process environment.
    pub fn new(settings: &GcpAuthSettings) -> Result<Self, GcpAuthError> {
        Self::with_environment(settings, std::env::vars())
    }

    /// Credentials from `settings`, with the implicit chain reading `environment` instead of the
    /// process's variables (`GOOGLE_APPLICATION_CREDENTIALS`, `GCE_METADATA_HOST`, `HOME`).
    pub fn with_environment(
        settings: &GcpAuthSettings,
        environment: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Self, GcpAuthError> {
        settings.validate()?;
        let env: BTreeMap<String, String> = environment.into_iter().filter(|(_, v)| !v.is_empty()).collect();
        let token_uri = settings.token_uri.as_deref();
        let metadata_host = settings
            .metadata_host
            .clone()
            .or_else(|| env.get("GCE_METADATA_HOST").cloned())
            .unwrap_or_else(|| DEFAULT_METADATA_HOST.to_owned());
        let source = match settings.method {
            GcpAuthMethod::ServiceAccount => match (&settings.service_account, &settings.service_account_file) {
                (Some(json), _) => {
                    Source::Key { key: KeyFile::parse(json, token_uri)?, origin: "the manager's settings".into() }
                }
                (None, Some(path)) => read_key(path, token_uri, path.display().to_string())?,
                (None, None) => return Err(GcpAuthError::Settings("no service-account key given".into())),
            },
            GcpAuthMethod::Metadata => Source::Metadata(metadata_host),
            GcpAuthMethod::Implicit => {
                let gcloud = env
                    .get("HOME")
                    .map(|home| PathBuf::from(home).join(".config/gcloud/application_default_credentials.json"))
                    .filter(|path| path.is_file());
                match (env.get("GOOGLE_APPLICATION_CREDENTIALS"), gcloud) {
                    (Some(path), _) => {
                        read_key(Path::new(path), token_uri, format!("GOOGLE_APPLICATION_CREDENTIALS={path}"))?
                    }
                    (None, Some(path)) => read_key(&path, token_uri, path.display().to_string())?,
                    (None, None) => Source::Metadata(metadata_host),
                }
            }
        };
        Ok(Self { source, client: http_client(settings.ca_certificate.as_deref())?, cache: TokenCache::default() })
    }

    /// What the tokens come from, for logs (never key material).
    pub fn describe(&self) -> String {
        self.source.describe()
    }

    /// How many tokens were fetched (cache misses), for tests and metrics.
    pub fn fetch_count(&self) -> u64 {
        self.cache.fetch_count()
    }

    /// A token for `scopes`, from the cache when it is not about to expire.
    pub async fn token(&self, scopes: &[String]) -> Result<AccessToken, ProviderError> {
        self.cache
            .get_or_fetch(scopes, |now| async move {
                let token = self.source.fetch(&self.client, scopes, now).await?;
                tracing::debug!(source = %self.source.describe(), "obtained a Google access token");
                Ok(token)
            })
            .await
    }
}

impl CredentialProvider for GcpCredentials {
    fn access_token<'a>(&'a self, scopes: &'a [String]) -> BoxFuture<'a, Result<AccessToken, ProviderError>> {
        Box::pin(self.token(scopes))
    }
}

/// The token client: default roots plus those in `ca_certificate` (PEM), no redirects.
fn http_client(ca_certificate: Option<&Path>) -> Result<reqwest::Client, GcpAuthError> {
    let mut builder = reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(5))
        .timeout(Duration::from_secs(30))
        .redirect(reqwest::redirect::Policy::none());
    if let Some(path) = ca_certificate {
        builder = keyway_token_cache::add_root_certificates(builder, path)
            .map_err(|err| GcpAuthError::Certificate { path: err.path, reason: err.reason })?;
    }
    builder.build().map_err(|err| GcpAuthError::Client(err.to_string()))
}
