//! What the host offers a plugin: structured logging and credentials it resolves.
//!
//! These call the contract's `host` interface, which exists only inside keyway: the examples
//! compile natively but run only in a plugin. A plugin gets credentials only for what its manifest
//! declares under `[credentials]` (`aws = true`, `scopes = [...]`) and the manager allows.

use crate::glue::bindings::keyway::provider::host as wit;
use keyway_types::{ProviderError, Timestamp};

/// Severity of a log line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// Very detailed.
    Trace,
    /// Detailed.
    Debug,
    /// Normal operation.
    Info,
    /// Something odd.
    Warn,
    /// A failure.
    Error,
}

/// Writes a log line into the host's tracing, tagged with the manager. Never log secret values.
///
/// ```no_run
/// use keyway_plugin_sdk::host::{log, Level};
/// log(Level::Info, "listing secrets", &[("prefix", "db/"), ("page_size", "100")]);
/// ```
pub fn log(level: Level, message: &str, fields: &[(&str, &str)]) {
    let level = match level {
        Level::Trace => wit::LogLevel::Trace,
        Level::Debug => wit::LogLevel::Debug,
        Level::Info => wit::LogLevel::Info,
        Level::Warn => wit::LogLevel::Warn,
        Level::Error => wit::LogLevel::Error,
    };
    let fields: Vec<(String, String)> = fields.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    wit::log(level, message, &fields);
}

/// AWS credentials resolved by the host.
#[derive(Clone)]
pub struct AwsCredentials {
    /// The access key id.
    pub access_key_id: String,
    /// The secret access key.
    pub secret_access_key: String,
    /// The session token of temporary credentials.
    pub session_token: Option<String>,
    /// When the credentials expire.
    pub expires_at: Option<Timestamp>,
}

impl std::fmt::Debug for AwsCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AwsCredentials")
            .field("access_key_id", &self.access_key_id)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

/// Current AWS credentials for this manager, from the host's `aws-config` chain
/// or the manager's explicit keys. The manifest must declare `[credentials] aws = true`.
///
/// ```no_run
/// let credentials = keyway_plugin_sdk::host::aws_credentials()?;
/// // Sign requests with credentials.access_key_id, credentials.secret_access_key and credentials.session_token.
/// # let _ = credentials;
/// # Ok::<(), keyway_plugin_sdk::ProviderError>(())
/// ```
pub fn aws_credentials() -> Result<AwsCredentials, ProviderError> {
    let creds = wit::get_aws_credentials().map_err(crate::glue::error_from_host)?;
    Ok(AwsCredentials {
        access_key_id: creds.access_key_id,
        secret_access_key: creds.secret_access_key,
        session_token: creds.session_token,
        expires_at: creds.expires_at,
    })
}

/// A bearer token from the host.
#[derive(Clone)]
pub struct AccessToken {
    /// The token.
    pub token: String,
    /// When it expires.
    pub expires_at: Option<Timestamp>,
}

impl std::fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccessToken").field("expires_at", &self.expires_at).finish_non_exhaustive()
    }
}

/// An OAuth access token for `scopes`, obtained by the host with the manager's identity. The
/// manifest must declare the scopes (`[credentials] scopes = [...]`). To keep the token between
/// calls and renew it after a 401, use [`token::BearerToken`](crate::token::BearerToken).
///
/// ```no_run
/// let token = keyway_plugin_sdk::host::access_token(&["https://vault.azure.net/.default"])?;
/// let http = keyway_plugin_sdk::HttpClient::new("https://my-vault.vault.azure.net");
/// http.get("secrets/db").query("api-version", "7.4").bearer(&token.token).send_ok()?;
/// # Ok::<(), keyway_plugin_sdk::ProviderError>(())
/// ```
pub fn access_token(scopes: &[&str]) -> Result<AccessToken, ProviderError> {
    let scopes: Vec<String> = scopes.iter().map(|s| s.to_string()).collect();
    let token = wit::get_access_token(&scopes).map_err(crate::glue::error_from_host)?;
    Ok(AccessToken { token: token.token, expires_at: token.expires_at })
}

/// Logs at info level.
///
/// ```no_run
/// keyway_plugin_sdk::host::info("connected to Acme Vault");
/// ```
pub fn info(message: &str) {
    log(Level::Info, message, &[]);
}

/// Logs at warn level.
///
/// ```no_run
/// keyway_plugin_sdk::host::warn("Acme Vault answered slowly; retrying");
/// ```
pub fn warn(message: &str) {
    log(Level::Warn, message, &[]);
}

/// Logs at debug level.
///
/// ```no_run
/// keyway_plugin_sdk::host::debug("page 2 of the listing");
/// ```
pub fn debug(message: &str) {
    log(Level::Debug, message, &[]);
}
