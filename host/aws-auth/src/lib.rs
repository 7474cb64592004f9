//! AWS credentials for keyway managers, resolved on the host with `aws-config`.
//!
//! Provider plugins never run a credential chain: the AWS plugin asks the host
//! (`get-aws-credentials`), and the host answers with an [`AwsAuth`] built from
//! the manager's `auth: {type: aws, ...}` settings ([`AwsAuthSettings`]):
//! explicit keys, a named profile (which must exist in the shared files: a
//! misspelt one is a configuration error, never a fall back to the rest of the
//! chain) or the default chain (environment, shared
//! files, web identity, container and instance metadata), optionally with a
//! role assumed through STS. Results are cached until shortly before expiry.
//!
//! ```no_run
//! use keyway_aws_auth::{AwsAuth, AwsAuthSettings};
//! use keyway_types::CredentialProvider;
//!
//! # async fn example() -> Result<(), Box<dyn std::error::Error>> {
//! let settings: AwsAuthSettings = serde_json::from_str(r#"{"role_arn": "arn:aws:iam::123456789012:role/reader"}"#)?;
//! let auth = AwsAuth::new(settings)?;
//! let credentials = auth.aws_credentials().await?;
//! println!("using {}", credentials.access_key_id);
//! # Ok(())
//! # }
//! ```
//!
//! # Layout
//! - [`settings`]: [`AwsAuthSettings`] and its consistency checks ([`AuthSource`], [`RoleToAssume`]).
//! - [`provider`]: [`AwsAuth`], the `aws-config` chain, the role, the cache.
//! - `profile` (private): a named profile looked up in the shared files before use.
//! - [`error`]: [`AwsAuthError`], and credential failures mapped to `ProviderError`.

pub mod error;
mod profile;
pub mod provider;
pub mod settings;

pub use error::AwsAuthError;
pub use provider::{AwsAuth, REFRESH_MARGIN};
pub use settings::{AuthSource, AwsAuthSettings, ExplicitKeys, RoleToAssume, SecretText};
