//! keyway's errors, each with the exit code the CLI uses.

use crate::clients::OutOfScope;
use keyway_resolve::{ResolveError, SecretError};
use keyway_runtime::{CallError, RuntimeError};
use keyway_types::{ErrorKind, ProviderError};

/// An error of the keyway library. Messages say what went wrong and what to do, never a secret value.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KeywayError {
    /// The configuration is unreadable or wrong.
    #[error("configuration error: {message}")]
    Config {
        /// What is wrong, naming the field.
        message: String,
    },
    /// No manager of that name is configured.
    #[error("unknown secret manager '{manager}'; configured managers: {known}")]
    UnknownManager {
        /// The name asked for.
        manager: String,
        /// The configured ones, comma-separated.
        known: String,
    },
    /// A reference, name or option given by the user is malformed.
    #[error("invalid input: {0}")]
    InvalidInput(String),
    /// A plugin could not be loaded or a manager could not be opened.
    #[error(transparent)]
    Runtime(#[from] RuntimeError),
    /// A backend operation failed.
    #[error("manager '{manager}': {source}")]
    Backend {
        /// The manager.
        manager: String,
        /// The error.
        source: ProviderError,
    },
    /// A secret lookup or write through the resolver failed.
    #[error(transparent)]
    Secret(#[from] SecretError),
    /// Resolving a step's placeholders failed.
    #[error(transparent)]
    Resolve(#[from] ResolveError),
    /// A client asserted an identity outside its scope.
    #[error("{0}")]
    OutOfScope(#[from] OutOfScope),
    /// A value is larger than the manager accepts.
    #[error("the value has {size} bytes; manager '{manager}' accepts at most {limit} (managers.{manager}.limits.max_value_kib)")]
    TooLarge {
        /// The manager.
        manager: String,
        /// The value's size in bytes.
        size: usize,
        /// The limit in bytes.
        limit: usize,
    },
    /// keyway's own records (the catalog) could not be opened, read or written.
    #[error("keyway's records: {0}")]
    Catalog(String),
    /// The call could not be audited and the audit fails closed, so it was refused (or, for a write that had
    /// already reached the backend, its result withheld).
    #[error("{0}")]
    AuditUnavailable(String),
    /// The caller may use the secret but not do this with it (approve a request outside the approver groups,
    /// approve their own request).
    #[error("refused: {0}")]
    Forbidden(String),
    /// The change conflicts with the state of what it concerns (a request already decided).
    #[error("{0}")]
    Conflict(String),
    /// The change was not made: the secret's profile gates it, and it waits for approval as a request.
    #[error(
        "the {operation} of '{reference}' waits for approval by {quorum} member(s) of {groups} (profile {profile}): \
         request {request}; an approver runs `keyway approvals approve {request}`"
    )]
    PendingApproval {
        /// The request's id.
        request: String,
        /// The profile whose policy gates the change.
        profile: String,
        /// `create`, `update`, `delete` or `change-source`.
        operation: &'static str,
        /// `MANAGER/NAME`.
        reference: String,
        /// The approvals needed.
        quorum: usize,
        /// The approver groups, comma-separated.
        groups: String,
    },
}

/// The CLI's exit codes.
pub mod exit {
    /// Success.
    pub const OK: i32 = 0;
    /// The backend failed or could not be reached.
    pub const BACKEND: i32 = 1;
    /// Invalid input or usage.
    pub const INVALID: i32 = 2;
    /// The secret does not exist.
    pub const NOT_FOUND: i32 = 3;
    /// Access was denied.
    pub const DENIED: i32 = 4;
    /// The secret exists already, or a conflicting change.
    pub const CONFLICT: i32 = 5;
    /// The configuration is wrong.
    pub const CONFIG: i32 = 6;
    /// The operation is not supported by the manager.
    pub const UNSUPPORTED: i32 = 7;
    /// The secret is past its expiry, or not valid yet, and is not served.
    pub const EXPIRED: i32 = 8;
    /// The change waits for approval (a request was opened; nothing changed yet).
    pub const PENDING: i32 = 9;
}

impl KeywayError {
    /// A backend error from a plugin call.
    pub fn from_call(manager: &str, error: CallError) -> Self {
        Self::Backend { manager: manager.into(), source: error.into_provider_error() }
    }

    /// The exit code for this error.
    pub fn exit_code(&self) -> i32 {
        match self {
            Self::Config { .. } | Self::UnknownManager { .. } | Self::Runtime(_) => exit::CONFIG,
            Self::InvalidInput(_) => exit::INVALID,
            Self::Backend { source, .. } => exit_for_kind(source.kind()),
            Self::Secret(error) => secret_exit(error),
            Self::Resolve(error) => secret_exit(error.cause()),
            Self::OutOfScope(_) => exit::DENIED,
            Self::TooLarge { .. } => exit::INVALID,
            Self::AuditUnavailable(_) | Self::Catalog(_) => exit::BACKEND,
            Self::Conflict(_) => exit::CONFLICT,
            Self::Forbidden(_) => exit::DENIED,
            Self::PendingApproval { .. } => exit::PENDING,
        }
    }

    /// The manager and secret an error concerns, when it names one.
    pub fn target(&self) -> Option<(String, String)> {
        let secret = |error: &SecretError| match error {
            SecretError::Denied { manager, name, .. }
            | SecretError::MissingKey { manager, name, .. }
            | SecretError::NotKeyValue { manager, name, .. }
            | SecretError::BinaryEmbedded { manager, name }
            | SecretError::Backend { manager, name, .. }
            | SecretError::Expired { manager, name, .. }
            | SecretError::NotYetValid { manager, name, .. } => Some((manager.clone(), name.clone())),
            SecretError::NotFound { manager, names, .. } => {
                Some((manager.clone(), names.first().map(|n| n.trim_matches('\'').to_owned()).unwrap_or_default()))
            }
            _ => None,
        };
        match self {
            Self::Secret(error) => secret(error),
            Self::Resolve(error) => secret(error.cause()),
            _ => None,
        }
    }
}

fn secret_exit(error: &SecretError) -> i32 {
    match error {
        SecretError::NotFound { .. } => exit::NOT_FOUND,
        SecretError::Denied { .. } => exit::DENIED,
        SecretError::UnknownManager { .. } => exit::CONFIG,
        SecretError::Expired { .. } | SecretError::NotYetValid { .. } => exit::EXPIRED,
        SecretError::Backend { error, .. } => exit_for_kind(error.kind()),
        _ => exit::INVALID,
    }
}

/// The exit code for a contract error kind.
pub fn exit_for_kind(kind: ErrorKind) -> i32 {
    match kind {
        ErrorKind::NotFound => exit::NOT_FOUND,
        ErrorKind::AccessDenied => exit::DENIED,
        ErrorKind::AlreadyExists | ErrorKind::Conflict => exit::CONFLICT,
        ErrorKind::InvalidArgument => exit::INVALID,
        ErrorKind::Configuration => exit::CONFIG,
        ErrorKind::Unsupported => exit::UNSUPPORTED,
        _ => exit::BACKEND,
    }
}
