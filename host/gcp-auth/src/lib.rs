//! Google Cloud identity for keyway managers: the host side of the contract's `get-access-token`
//! for the gcp plugin.
//!
//! Plugins never hold Google credentials. A manager's `auth` settings ([`GcpAuthSettings`]) give
//! a service-account key (Kestra's `serviceAccount`) or leave the host to find Application Default
//! Credentials as the Google Cloud SDK does (`GOOGLE_APPLICATION_CREDENTIALS`, gcloud's user
//! credentials, the metadata server). [`GcpCredentials`] obtains tokens and caches them per scope
//! set until shortly before they expire (`keyway-token-cache`).
//!
//! ```no_run
//! # async fn example(key_json: &str) -> Result<(), Box<dyn std::error::Error>> {
//! use keyway_gcp_auth::{GcpAuthSettings, GcpCredentials};
//! let credentials = GcpCredentials::new(&GcpAuthSettings::service_account_json(key_json))?;
//! let token = credentials.token(&["https://www.googleapis.com/auth/cloud-platform".to_owned()]).await?;
//! # let _ = token; Ok(()) }
//! ```
//!
//! # Layout
//! - [`settings`]: [`GcpAuthSettings`] and [`GcpAuthMethod`], with their checks.
//! - [`credentials`]: [`GcpCredentials`], the [`keyway_types::CredentialProvider`] with its cache.
//! - `key` (private): credential files and the RS256-signed JWT-bearer assertion (`ring`).
//! - `source` (private): token requests to the token endpoint or the metadata server, errors.
//! - [`error`]: [`GcpAuthError`], why credentials could not be set up.

pub mod credentials;
pub mod error;
mod key;
pub mod settings;
mod source;

pub use credentials::GcpCredentials;
pub use error::GcpAuthError;
pub use key::GOOGLE_TOKEN_URI;
pub use keyway_token_cache::REFRESH_MARGIN;
pub use settings::{GcpAuthMethod, GcpAuthSettings};
