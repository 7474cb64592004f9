//! What keyway's host identity crates (`keyway-azure-auth`, `keyway-gcp-auth`) share, so each
//! of them only says how a token is obtained:
//!
//! - a [`TokenCache`] that keeps access tokens per scope set until shortly before they expire
//!   ([`REFRESH_MARGIN`]), with one renewal shared by concurrent callers;
//! - [`add_root_certificates`], which makes a token endpoint's HTTPS client trust the extra root
//!   certificates of a manager's `ca_certificate` file.
//!
//! ```
//! # async fn example() -> Result<(), keyway_types::ProviderError> {
//! use keyway_token_cache::TokenCache;
//! use keyway_types::AccessToken;
//! let cache = TokenCache::default();
//! let scopes = ["https://vault.azure.net/.default".to_owned()];
//! let token = cache
//!     .get_or_fetch(&scopes, |now_ms| async move {
//!         // Ask the identity provider here; `now_ms` is when the request starts.
//!         Ok(AccessToken { token: "eyJ…".to_owned().into(), expires_at: Some(now_ms + 3_600_000) })
//!     })
//!     .await?;
//! # let _ = token; Ok(()) }
//! ```
//!
//! `keyway-types` is compiled for wasm guests too, so this tokio-based cache lives here rather
//! than there.
//!
//! # Layout
//! - [`cache`]: [`TokenCache`], [`REFRESH_MARGIN`] and the scope-set key.
//! - [`roots`]: [`add_root_certificates`] and its [`CertificateError`].

pub mod cache;
pub mod roots;

pub use cache::{scope_key, TokenCache, REFRESH_MARGIN};
pub use roots::{add_root_certificates, CertificateError};
