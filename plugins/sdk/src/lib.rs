//! The keyway plugin SDK: everything needed to write a secret-provider plugin for the contract
//! `keyway:provider@0.1.0` without touching generated bindings.
//!
//! A plugin is a `cdylib` crate built for `wasm32-wasip2`. Implement [`Provider`] (every operation
//! has a default that answers `unsupported`), declare what you support in
//! [`Provider::capabilities`], and call [`export_provider!`] once:
//!
//! ```no_run
//! use keyway_plugin_sdk::prelude::*;
//!
//! // Your settings type: not named `Settings`, which is the SDK's (the prelude imports it).
//! #[derive(serde::Deserialize)]
//! #[serde(deny_unknown_fields)]
//! struct Config {
//!     url: String,
//!     token: String,
//! }
//!
//! struct MyBackend {
//!     http: HttpClient,
//! }
//!
//! impl Provider for MyBackend {
//!     fn open(settings: Settings) -> Result<Self> {
//!         let config: Config = settings.parse()?;
//!         let http = HttpClient::new(config.url).with_header("authorization", &format!("Bearer {}", config.token));
//!         Ok(Self { http })
//!     }
//!
//!     fn capabilities(&self) -> Capabilities {
//!         Capabilities { read: true, ..Capabilities::default() }
//!     }
//!
//!     fn get(&self, name: &str, _selector: &VersionSelector) -> Result<Secret> {
//!         let path = format!("v1/secrets/{}", keyway_plugin_sdk::http::encode_path(name));
//!         let value: String = self.http.get(&path).send_json()?;
//!         Ok(Secret { value: SecretValue::text(value), metadata: SecretMetadata::named(name) })
//!     }
//! }
//!
//! export_provider!(MyBackend);
//! # fn main() {}
//! ```
//!
//! Build it with `cargo build --target wasm32-wasip2 --release`; the component is
//! `target/wasm32-wasip2/release/LIB_NAME.wasm`. Its manifest declares the plugin's name, contract
//! and settings: `keyway plugin pack LIB_NAME.wasm --manifest NAME.toml` embeds it, so the one `.wasm`
//! file is what ships (the host also reads `LIB_NAME.toml` beside an unpacked `.wasm`). Test it against
//! a live backend with `keyway plugin test NAME.wasm --config test.yaml`; `keyway plugin new NAME`
//! writes a crate to start from.
//!
//! The crate's `README.md` is the guide: how to depend on the SDK (and the `[workspace]` table an
//! out-of-tree plugin needs), the version policy, a walk-through of a small HTTP plugin with its
//! manifest, and the commands that build it and run the conformance kit.
//!
//! # Versions
//! The SDK's version follows the contract's: every `0.1.x` release builds components of
//! `keyway:provider@0.1.0` (the WIT package in keyway's `wit/provider@0.1.0/`, which is never
//! edited once released), and a plugin's manifest names that contract
//! (`contract = "keyway:provider@0.1.0"`). A host loads a plugin only when it serves the contract
//! the manifest names (`keyway --version` prints it). A new contract version comes with a new SDK
//! minor version (`0.2.x` for `keyway:provider@0.2.0`); patch releases only add helpers and fixes.
//!
//! # Layout
//! - [`provider`]: the [`Provider`] trait and [`Settings`].
//! - [`http`]: [`HttpClient`], JSON over `wasi:http` with status-to-error mapping and retries.
//! - [`host`]: logging and credentials the host resolves ([`host::aws_credentials`], [`host::access_token`]).
//! - [`token`]: [`token::BearerToken`], the host's access token kept until near expiry, renewed on a 401.
//! - [`session`]: [`session::Session`], a backend's own login kept between calls: the plugin's
//!   [`session::Login`] says how to log in; tokens are renewed before they expire, and a refused one is
//!   replaced once and the [`session::Call`] sent again.
//! - [`settings`]: checks of common settings (page sizes, timeouts, backend URLs).
//! - [`failures`]: the contract error for a backend's failed answer, by status; a refused login, naming what
//!   to check; an unreachable HTTPS backend, with the certificate hint.
//! - [`write_options`]: write options a backend cannot keep (tags, description, expiry, …), refused by name.
//! - [`retry`]: the retry rules every plugin follows (what is tried again, `Retry-After`, backoff).
//! - [`answers`]: checks that an answer is about the secret asked for.
//! - [`redact`]: credentials kept out of error messages.
//! - [`versions`]: numbered version selectors.
//! - [`kv`]: key/value JSON helpers.
//! - [`time`]: wall-clock time, [`time::sleep`] for polling, RFC 3339 and ISO 8601 timestamps.
//! - `glue` (private): the generated bindings and their conversion to the SDK's types.
//!
//! # Running the examples
//! Every example here compiles natively (`cargo test -p keyway-plugin-sdk --doc`). Those marked
//! `no_run` call the host or the network, which exist only inside a plugin running in keyway: the
//! contract's imports are stubs in a native build.

pub mod answers;
pub mod failures;
pub mod host;
pub mod http;
pub mod kv;
pub mod provider;
pub mod redact;
pub mod retry;
pub mod session;
pub mod settings;
pub mod time;
pub mod token;
pub mod versions;
pub mod write_options;

#[doc(hidden)]
pub mod glue;

/// The guide's walk-through plugin, compiled as a doctest so the README stays true.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;

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
/// Call it once, at the crate root of a `cdylib` built for `wasm32-wasip2`:
///
/// ```
/// use keyway_plugin_sdk::prelude::*;
///
/// struct Empty;
///
/// impl Provider for Empty {
///     fn open(_settings: Settings) -> Result<Self> {
///         Ok(Empty)
///     }
///
///     fn capabilities(&self) -> Capabilities {
///         Capabilities { read: true, ..Capabilities::default() }
///     }
///
///     fn get(&self, name: &str, _selector: &VersionSelector) -> Result<Secret> {
///         Err(ProviderError::not_found(name))
///     }
/// }
///
/// export_provider!(Empty);
/// # fn main() {}
/// ```
#[macro_export]
macro_rules! export_provider {
    ($provider:ty) => {
        type __KeywayExportedPlugin = $crate::glue::Plugin<$provider>;
        $crate::glue::bindings::__export_keyway_provider!(__KeywayExportedPlugin with_types_in $crate::glue::bindings);
    };
}
