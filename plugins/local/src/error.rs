//! The store's errors, and how they map onto the contract's [`ProviderError`].

use keyway_plugin_sdk::ProviderError;
use std::path::PathBuf;

/// What went wrong in the store. Messages name secrets and files, never values.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// No live secret has this name.
    #[error("secret '{0}' does not exist")]
    NotFound(String),
    /// The secret exists but has no version matching the selector.
    #[error("secret '{name}' has no version {selector}")]
    NoVersion {
        /// The secret.
        name: String,
        /// The selector as text, e.g. `label=previous`.
        selector: String,
    },
    /// A live secret with this name exists and the write did not ask to overwrite.
    #[error("secret '{0}' exists; write with overwrite to add a version")]
    AlreadyExists(String),
    /// A write to a secret that is deleted but still recoverable.
    #[error("secret '{name}' was deleted and can be restored until {purge_at}: {hint}")]
    Deleted {
        /// The secret.
        name: String,
        /// When the deletion becomes permanent (RFC 3339, UTC).
        purge_at: String,
        /// What to do instead.
        hint: &'static str,
    },
    /// A read of a secret that is deleted but still recoverable.
    #[error("secret '{name}' was deleted and can be restored until {purge_at}: restore it to read it")]
    DeletedNotReadable {
        /// The secret.
        name: String,
        /// When the deletion becomes permanent (RFC 3339, UTC).
        purge_at: String,
    },
    /// A name, option or value the store does not accept.
    #[error("{0}")]
    InvalidArgument(String),
    /// The master key is missing, malformed or unusable.
    #[error("{0}")]
    Key(String),
    /// The master key does not open this store.
    #[error("wrong master key for store at {store}: it does not decrypt {file}{hint}")]
    WrongKey {
        /// The store's directory.
        store: PathBuf,
        /// The key-check file it failed on.
        file: PathBuf,
        /// Where the key came from, and what to try.
        hint: String,
    },
    /// A file that is not what the store wrote: damaged, truncated or edited.
    #[error("{file} is corrupted or was tampered with: {reason}")]
    Corrupted {
        /// The file.
        file: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// A file that the store's ledger shows is older than what the store acknowledged.
    #[error("{file} was rolled back: {detail}; put the current file back from a backup, or delete the secret with force and write it again")]
    RolledBack {
        /// The file.
        file: PathBuf,
        /// What the ledger says.
        detail: String,
    },
    /// The host's store could not be reached (its database is down); retrying later can help.
    #[error("the host's store is unavailable: {0}")]
    Unavailable(String),
    /// A file-system operation failed.
    #[error("cannot {action} {path}: {source}")]
    Io {
        /// What the store was doing, e.g. `write`.
        action: &'static str,
        /// The file or directory.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
}

impl StoreError {
    /// An [`StoreError::Io`] for `action` on `path`.
    pub fn io(action: &'static str, path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Self::Io { action, path: path.into(), source }
    }

    /// A [`StoreError::Corrupted`] for `file`.
    pub fn corrupted(file: impl Into<PathBuf>, reason: impl Into<String>) -> Self {
        Self::Corrupted { file: file.into(), reason: reason.into() }
    }
}

impl From<StoreError> for ProviderError {
    fn from(error: StoreError) -> Self {
        let message = error.to_string();
        match error {
            StoreError::NotFound(_) | StoreError::NoVersion { .. } | StoreError::DeletedNotReadable { .. } => {
                Self::NotFound(message)
            }
            StoreError::AlreadyExists(_) => Self::AlreadyExists(message),
            StoreError::Deleted { .. } => Self::Conflict(message),
            StoreError::InvalidArgument(_) => Self::InvalidArgument(message),
            StoreError::Key(_) | StoreError::WrongKey { .. } => Self::Configuration(message),
            StoreError::Corrupted { .. } | StoreError::RolledBack { .. } => Self::Other(message),
            StoreError::Io { .. } | StoreError::Unavailable(_) => Self::Unavailable(message),
        }
    }
}

/// The result of store operations.
pub type StoreResult<T> = Result<T, StoreError>;
