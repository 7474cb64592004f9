//! Errors of resolution and of capability calls. Messages name managers, secrets, keys, step paths and
//! placeholders, never a value.

use crate::access::Denial;
use crate::audit::format_rfc3339;
use crate::path::StepPath;
use crate::placeholder::ParseError;
use keyway_types::{ProviderError, Timestamp, VersionSelector};
use std::fmt;
use std::time::{Duration, UNIX_EPOCH};

/// Why a secret could not be read or written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SecretError {
    /// The placeholder's syntax is wrong.
    #[error("malformed placeholder {0}")]
    Malformed(ParseError),
    /// No manager of that name is configured.
    #[error("unknown manager '{manager}'")]
    UnknownManager {
        /// The name asked for.
        manager: String,
    },
    /// A placeholder without a manager (`{{ secret('NAME') }}`) and no default manager configured.
    #[error("no manager given and no default manager is configured")]
    NoDefaultManager,
    /// A placeholder names a namespace on a manager that does not keep secrets by namespace.
    #[error(
        "namespace='…' names a namespace, but manager '{manager}' does not keep secrets by namespace; configure \
         managers.{manager}.namespaces (the README, section 'Placeholders')"
    )]
    NotNamespaced {
        /// The manager.
        manager: String,
    },
    /// The caller may not use this manager or this secret. No backend call was made.
    #[error("access to '{name}' on manager '{manager}' denied: {reason}")]
    Denied {
        /// The manager.
        manager: String,
        /// The secret name.
        name: String,
        /// The rule that refused it.
        reason: Denial,
    },
    /// The secret does not exist (under any of the names the placeholder can mean), or not as asked: it is
    /// deleted, or it has no such version ([`Absence`]).
    #[error("{}", not_found_message(manager, names, absence.as_deref()))]
    NotFound {
        /// The manager.
        manager: String,
        /// What was tried, in order: `'NAME'` or `key 'KEY' of 'NAME'`.
        names: Vec<String>,
        /// What the secret's metadata says about a secret that is there but could not be read as asked.
        absence: Option<Box<Absence>>,
    },
    /// The secret is a JSON key/value secret without the key.
    #[error("secret '{name}' on manager '{manager}' has no key '{key}'")]
    MissingKey {
        /// The manager.
        manager: String,
        /// The secret name.
        name: String,
        /// The missing key.
        key: String,
    },
    /// A key was asked of a secret that is not a JSON object.
    #[error(
        "secret '{name}' on manager '{manager}' is not a JSON key/value secret, so key '{key}' cannot be read from it"
    )]
    NotKeyValue {
        /// The manager.
        manager: String,
        /// The secret name.
        name: String,
        /// The key asked for.
        key: String,
    },
    /// A binary secret inside a longer string; binary values can only fill a whole string leaf (as base64).
    #[error(
        "secret '{name}' on manager '{manager}' is binary: it can only be the whole string, where it becomes base64"
    )]
    BinaryEmbedded {
        /// The manager.
        manager: String,
        /// The secret name.
        name: String,
    },
    /// The secret is past its expiry: it is not served.
    #[error(
        "secret '{name}' on manager '{manager}' expired at {at}: it is not served; renew it with a new value \
         (`keyway update {manager}/{name}`), or set managers.{manager}.serve_expired: true if this backend rotates late"
    )]
    Expired {
        /// The manager.
        manager: String,
        /// The secret name.
        name: String,
        /// When it expired (RFC 3339, UTC).
        at: String,
    },
    /// The secret is not valid yet (its not-before time is ahead): it is not served.
    #[error("secret '{name}' on manager '{manager}' is not valid before {from}: it is not served until then")]
    NotYetValid {
        /// The manager.
        manager: String,
        /// The secret name.
        name: String,
        /// When it becomes valid (RFC 3339, UTC).
        from: String,
    },
    /// The backend failed.
    #[error("manager '{manager}' failed on '{name}': {error}")]
    Backend {
        /// The manager.
        manager: String,
        /// The secret name.
        name: String,
        /// The backend's error.
        error: ProviderError,
    },
    /// The step holds more placeholders, or names more distinct secrets, than one step may.
    #[error("the step has {found} {what}; one step may have at most {limit} (split it, or raise resolve.{setting})")]
    StepTooLarge {
        /// `placeholders` or `distinct secrets`.
        what: &'static str,
        /// How many the step has (at least).
        found: usize,
        /// The limit.
        limit: usize,
        /// The configuration setting that holds the limit.
        setting: &'static str,
    },
}

/// Why a secret that is there could not be read as asked, from its metadata.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Absence {
    /// The secret is deleted, and still recoverable.
    Deleted {
        /// The secret.
        name: String,
        /// When it was deleted, when the backend says.
        deleted_at: Option<Timestamp>,
        /// When its deletion becomes permanent, when the backend says.
        purge_at: Option<Timestamp>,
    },
    /// The secret exists, without the version asked for.
    NoSuchVersion {
        /// The secret.
        name: String,
        /// The version or label asked for.
        selector: VersionSelector,
    },
}

impl Absence {
    /// The secret it is about.
    pub fn name(&self) -> &str {
        match self {
            Self::Deleted { name, .. } | Self::NoSuchVersion { name, .. } => name,
        }
    }

    /// What is so, and what to do, said after the secret's name.
    fn explain(&self, manager: &str) -> String {
        let at = |ms: Timestamp| format_rfc3339(UNIX_EPOCH + Duration::from_millis(ms));
        match self {
            Self::Deleted { name, purge_at: Some(purge_at), .. } => format!(
                "is deleted, and scheduled for deletion for good on {}; `keyway restore {manager}/{name}` restores it \
                 until then",
                at(*purge_at)
            ),
            Self::Deleted { name, deleted_at, .. } => format!(
                "is deleted{}; `keyway restore {manager}/{name}` restores it while the backend keeps it",
                deleted_at.map(|ms| format!(" (since {})", at(ms))).unwrap_or_default()
            ),
            Self::NoSuchVersion { name, selector } => {
                let version = match selector {
                    VersionSelector::Label(label) => format!("labelled '{label}'"),
                    VersionSelector::Id(id) => format!("'{id}'"),
                    VersionSelector::Latest => "to read".to_owned(),
                };
                format!(
                    "exists, but has no version {version}; `keyway versions {manager}/{name}` lists its versions and \
                     their labels"
                )
            }
        }
    }
}

fn not_found_message(manager: &str, names: &[String], absence: Option<&Absence>) -> String {
    match (names, absence) {
        ([_], Some(absence)) => {
            format!("secret '{}' on manager '{manager}' {}", absence.name(), absence.explain(manager))
        }
        ([name], None) => format!("secret {name} not found on manager '{manager}'"),
        (_, absence) => {
            let tried = format!("no secret on manager '{manager}' matches: tried {}", names.join(", then "));
            match absence {
                Some(absence) => format!("{tried}; '{}' {}", absence.name(), absence.explain(manager)),
                None => tried,
            }
        }
    }
}

impl SecretError {
    /// Whether the caller was refused by access rules.
    pub fn is_denied(&self) -> bool {
        matches!(self, Self::Denied { .. })
    }

    /// Whether the secret does not exist.
    pub fn is_not_found(&self) -> bool {
        matches!(self, Self::NotFound { .. })
    }

    /// A short name for audit records and exit codes: `malformed`, `unknown-manager`, `denied`, …
    pub fn kind_name(&self) -> &'static str {
        match self {
            Self::Malformed(_) => "malformed",
            Self::UnknownManager { .. } | Self::NoDefaultManager => "unknown-manager",
            Self::NotNamespaced { .. } => "malformed",
            Self::Denied { .. } => "denied",
            Self::NotFound { .. } => "not-found",
            Self::MissingKey { .. } => "missing-key",
            Self::NotKeyValue { .. } => "not-key-value",
            Self::BinaryEmbedded { .. } => "binary-embedded",
            Self::Backend { .. } => "backend-error",
            Self::Expired { .. } => "expired",
            Self::NotYetValid { .. } => "not-yet-valid",
            Self::StepTooLarge { .. } => "too-large",
        }
    }
}

/// A step could not be resolved: where (the step path), which placeholder, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolveError(Box<Located>);

#[derive(Debug, Clone, PartialEq, Eq)]
struct Located {
    path: StepPath,
    placeholder: String,
    cause: SecretError,
}

impl ResolveError {
    pub(crate) fn new(path: StepPath, placeholder: String, cause: SecretError) -> Self {
        Self(Box::new(Located { path, placeholder, cause }))
    }

    /// Where the string leaf is in the step.
    pub fn path(&self) -> &StepPath {
        &self.0.path
    }

    /// The placeholder as written (shortened when very long).
    pub fn placeholder(&self) -> &str {
        &self.0.placeholder
    }

    /// Why it failed.
    pub fn cause(&self) -> &SecretError {
        &self.0.cause
    }
}

impl fmt::Display for ResolveError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.placeholder.is_empty() {
            // A failure of the whole step (too large), not of one placeholder.
            return write!(f, "{}: {}", self.0.path, self.0.cause);
        }
        write!(f, "{}: {}: {}", self.0.path, self.0.placeholder, self.0.cause)
    }
}

impl std::error::Error for ResolveError {}

/// The longest placeholder text quoted in an error.
const QUOTE_MAX: usize = 120;

/// The text of a placeholder for an error message: at most [`QUOTE_MAX`] bytes, cut at a character boundary.
pub(crate) fn quote_placeholder(text: &str) -> String {
    if text.len() <= QUOTE_MAX {
        return text.to_owned();
    }
    let mut end = QUOTE_MAX;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &text[..end])
}
