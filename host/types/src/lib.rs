//! The data keyway's host and its provider plugins exchange: secret values,
//! metadata, operation options and the one error type of the contract
//! (`keyway:provider@0.1.0`).
//!
//! These are hand-shaped mirrors of the WIT types, shared by the host runtime
//! and the plugin SDK, so neither exposes generated bindings.
//!
//! # Layout
//! - [`value`]: [`SecretValue`], text or bytes, zeroized on drop and never printed.
//! - [`metadata`]: [`SecretMetadata`], [`Secret`], [`VersionSelector`], [`VersionInfo`].
//! - [`request`]: options of the write, delete and list operations.
//! - [`capabilities`]: [`Capabilities`], what a provider supports.
//! - [`credentials`]: [`CredentialProvider`], how the host resolves AWS credentials and access tokens.
//! - [`error`]: [`ProviderError`] and its [`ErrorKind`].
//! - `wit_convert`: the `wit_conversions!` macro both binding sides use.

pub mod capabilities;
pub mod credentials;
pub mod error;
pub mod metadata;
pub mod request;
pub mod value;
mod wit_convert;

pub use capabilities::{Capabilities, Operation};
pub use credentials::{AccessToken, AwsCredentials, BoxFuture, CredentialProvider, NoCredentials};
pub use error::{ErrorKind, ProviderError};
pub use metadata::{Secret, SecretMetadata, Tags, Timestamp, VersionInfo, VersionSelector, VersionState};
pub use request::{DeleteMode, ListPage, ListRequest, UpdateRequest, WriteOptions};
pub use value::SecretValue;
