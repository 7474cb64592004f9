//! Azure identity for keyway managers: the host side of the contract's `get-access-token`.
//!
//! Plugins never hold Azure credentials. A manager's `auth` settings ([`AzureAuthSettings`])
//! choose a client secret or the host's implicit identity; [`AzureCredentials`] obtains tokens
//! with `azure_identity` 1.0 and caches them per scope set until shortly before they expire
//! (`keyway-token-cache`).
//!
//! ```no_run
//! # async fn example() -> Result<(), Box<dyn std::error::Error>> {
//! use keyway_azure_auth::{AzureAuthSettings, AzureCredentials};
//! let settings = AzureAuthSettings::client_secret("tenant-id", "client-id", "client-secret");
//! let credentials = AzureCredentials::new(&settings)?;
//! let token = credentials.token(&["https://vault.azure.net/.default".to_owned()]).await?;
//! # let _ = token; Ok(()) }
//! ```
//!
//! # Layout
//! - [`settings`]: [`AzureAuthSettings`] and [`AuthMethod`], with their checks.
//! - [`credentials`]: [`AzureCredentials`], the [`keyway_types::CredentialProvider`] with its cache.
//! - `chain` (private): the implicit chain (environment, workload identity, managed identity, developer tools).
//! - `imds` (private): the quick probe of the instance metadata service before managed identity.
//! - `transport` (private): `azure_identity`'s HTTP client (reqwest 0.12 with rustls/ring, extra root CAs).
//! - [`error`]: [`AzureAuthError`] and the mapping of token failures to contract errors.

mod chain;
pub mod credentials;
pub mod error;
mod imds;
pub mod settings;
mod transport;

pub use credentials::AzureCredentials;
pub use error::AzureAuthError;
pub use keyway_token_cache::REFRESH_MARGIN;
pub use settings::{AuthMethod, AzureAuthSettings};
