//! The keyway plugin SDK: everything needed to write a secret-provider plugin
//! for `keyway:provider@0.1.0` without touching generated bindings.
//!
//! Implement [`Provider`] (every operation has a default that answers
//! `unsupported`), declare what you support in [`Provider::capabilities`], and
//! call [`export_provider!`] once:
//!
//! ```ignore
//! use keyway_plugin_sdk::prelude::*;
//!
//! #[derive(serde::Deserialize)]
//! #[serde(deny_unknown_fields)]
//! struct Settings { address: String }
//!
//! struct MyBackend { http: HttpClient }
//!
//! impl Provider for MyBackend {
//!     fn open(settings: Settings) -> Result<Self> { /* ... */ }
//!     fn capabilities(&self) -> Capabilities { Capabilities { read: true, ..Default::default() } }
//!     fn get(&self, name: &str, selector: &VersionSelector) -> Result<Secret> { /* ... */ }
//! }
//!
//! export_provider!(MyBackend);
//! ```
//!
//! Build with `cargo build --target wasm32-wasip2`; the result is a component
//! the keyway host loads, next to a `manifest.toml` that declares its settings.
//!
//! # Layout
//! - [`provider`]: the [`Provider`] trait and [`Settings`].
//! - [`http`]: [`HttpClient`], JSON over `wasi:http` with status-to-error mapping and retries.
//! - [`host`]: logging and credentials the host resolves ([`host::aws_credentials`], [`host::access_token`]).
//! - [`token`]: [`token::BearerToken`], the host's access token kept until near expiry, renewed on a 401.
//! - [`settings`]: checks of common settings (page sizes, timeouts, backend URLs).
//! - [`failures`]: the contract error for a backend's failed answer, by status.
//! - [`retry`]: the retry rules every plugin follows (what is tried again, `Retry-After`, backoff).
//! - [`answers`]: checks that an answer is about the secret asked for.
//! - [`redact`]: credentials kept out of error messages.
//! - [`versions`]: numbered version selectors.
//! - [`kv`]: key/value JSON helpers.
//! - [`time`]: wall-clock time, [`time::sleep`] for polling, RFC 3339 and ISO 8601 timestamps.
//! - `glue` (private): the generated bindings and their conversion to the SDK's types.

pub mod answers;
pub mod failures;
pub mod host;
pub mod http;
pub mod kv;
pub mod provider;
pub mod redact;
pub mod retry;
pub mod settings;
pub mod time;
pub mod token;
pub mod versions;

#[doc(hidden)]
pub mod glue;

pub use http::{HttpClient, Method, Response};
pub use keyway_types::{
    Capabilities, DeleteMode, ErrorKind, ListPage, ListRequest, ProviderError, Secret, SecretMetadata, SecretValue,
    Tags, Timestamp, UpdateRequest, VersionInfo, VersionSelector, VersionState, WriteOptions,
};
pub use provider::{Provider, Result, Settings};

/// Everything a plugin usually imports.
pub mod prelude {
    pub use crate::host::{self, log};
    pub use crate::http::{HttpClient, Method, Response};
    pub use crate::{export_provider, Provider, Result, Settings};
    pub use keyway_types::{
        Capabilities, DeleteMode, ListPage, ListRequest, ProviderError, Secret, SecretMetadata, SecretValue, Tags,
        Timestamp, UpdateRequest, VersionInfo, VersionSelector, VersionState, WriteOptions,
    };
}

/// Exports a [`Provider`] implementation as the plugin's `keyway:provider/provider` interface.
///
/// Call it once, at the crate root of a `cdylib` built for `wasm32-wasip2`.
#[macro_export]
macro_rules! export_provider {
    ($provider:ty) => {
        type __KeywayExportedPlugin = $crate::glue::Plugin<$provider>;
        $crate::glue::bindings::__export_keyway_provider!(__KeywayExportedPlugin with_types_in $crate::glue::bindings);
    };
}
