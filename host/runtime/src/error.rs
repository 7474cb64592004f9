//! Errors of loading plugins and of calling them.

use keyway_types::{ErrorKind, ProviderError};
use std::path::PathBuf;

/// An error loading a plugin or opening a connection.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RuntimeError {
    /// The wasmtime engine could not be set up.
    #[error("cannot set up the WebAssembly engine: {0}")]
    Engine(String),
    /// A plugin file could not be read.
    #[error("cannot read plugin {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The bytes are not a valid component of the contract.
    #[error("plugin '{plugin}' is not a valid keyway:provider@0.1.0 component: {reason}")]
    InvalidComponent {
        /// The plugin's name.
        plugin: String,
        /// What is wrong.
        reason: String,
    },
    /// The plugin's manifest is missing or malformed.
    #[error("plugin manifest {origin}: {reason}")]
    Manifest {
        /// Where the manifest came from.
        origin: String,
        /// What is wrong.
        reason: String,
    },
    /// A manager's settings do not match the plugin's manifest.
    #[error("manager '{manager}': setting `{field}` {problem}")]
    Settings {
        /// The manager.
        manager: String,
        /// The offending field.
        field: String,
        /// What is wrong and what to do.
        problem: String,
    },
    /// The plugin refused to open a connection.
    #[error("manager '{manager}' could not open its plugin '{plugin}': {source}")]
    Open {
        /// The manager.
        manager: String,
        /// The plugin.
        plugin: String,
        /// Why.
        source: Box<CallError>,
    },
}

/// An error from one call into a plugin.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum CallError {
    /// The plugin answered with a contract error.
    #[error(transparent)]
    Provider(#[from] ProviderError),
    /// The plugin crashed (a trap or panic); the instance was discarded.
    #[error("plugin '{plugin}' crashed during {operation}: {reason}; the instance was discarded")]
    Crashed {
        /// The plugin.
        plugin: String,
        /// The operation.
        operation: String,
        /// The trap, without guest data.
        reason: String,
    },
    /// The call ran past its deadline; the instance was discarded.
    #[error("plugin '{plugin}' did not finish {operation} within {limit_ms} ms; the instance was discarded")]
    Deadline {
        /// The plugin.
        plugin: String,
        /// The operation.
        operation: String,
        /// The deadline.
        limit_ms: u64,
    },
    /// The call went over a resource limit (memory, result size).
    #[error("plugin '{plugin}' exceeded a limit during {operation}: {limit}")]
    ResourceLimit {
        /// The plugin.
        plugin: String,
        /// The operation.
        operation: String,
        /// Which limit.
        limit: String,
    },
    /// The instance could not be created.
    #[error("plugin '{plugin}' could not be instantiated: {reason}")]
    Instantiate {
        /// The plugin.
        plugin: String,
        /// Why.
        reason: String,
    },
}

impl CallError {
    /// The contract error kind this error corresponds to: provider errors keep
    /// theirs, failures of the plugin itself are `unavailable`.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Self::Provider(error) => error.kind(),
            _ => ErrorKind::Unavailable,
        }
    }

    /// The provider error, when the plugin answered with one.
    pub fn provider_error(&self) -> Option<&ProviderError> {
        match self {
            Self::Provider(error) => Some(error),
            _ => None,
        }
    }

    /// Converts into a contract error; plugin failures become `unavailable`.
    pub fn into_provider_error(self) -> ProviderError {
        match self {
            Self::Provider(error) => error,
            other => ProviderError::Unavailable(other.to_string()),
        }
    }
}
