//! [`TypeError`]: why a value does not fit its type, or why no value could be generated.
//!
//! Every message is built from this crate's own words and numbers (lengths, positions, counts):
//! never from any part of the value, not even a field name of a JSON secret.

use crate::types::SecretType;
use keyway_types::ProviderError;

/// How many characters of an unknown type name a message repeats.
const NAME_SHOWN: usize = 40;

/// Why a value does not fit its type, or why a value could not be generated.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TypeError {
    /// A type name that is not one of [`SecretType::ALL`].
    #[error("unknown secret type {name:?}; the known types are {known}")]
    UnknownType {
        /// The name as given (cut to 40 characters).
        name: String,
        /// The known names, comma-separated.
        known: String,
    },
    /// The value breaks its type's rule.
    #[error("type {secret_type} needs {}; {problem}", secret_type.rule())]
    Invalid {
        /// The type whose rule failed.
        secret_type: SecretType,
        /// What is wrong and, where it helps, what to do.
        problem: String,
    },
    /// The type has no generator: its values come from elsewhere.
    #[error("cannot generate a value of type {secret_type}; configure a rotation hook")]
    CannotGenerate {
        /// The type asked for.
        secret_type: SecretType,
    },
    /// The type has a generator, but not for this policy or previous value.
    #[error("cannot generate a value of type {secret_type}: {reason}")]
    NothingToGenerate {
        /// The type asked for.
        secret_type: SecretType,
        /// Why, and what to configure.
        reason: String,
    },
    /// The previous value, which renewal starts from, breaks its type's rule.
    #[error("the previous value cannot be renewed: {0}")]
    PreviousInvalid(Box<TypeError>),
    /// The generator policy is inconsistent.
    #[error("invalid generator policy: {0}")]
    Policy(String),
    /// The operating system's random source failed.
    #[error("the operating system's random source failed: {0}")]
    Randomness(String),
    /// A key could not be generated or encoded.
    #[error("key generation failed: {0}")]
    KeyGeneration(String),
}

impl TypeError {
    /// An unknown type name, with the list of known ones.
    pub(crate) fn unknown_type(name: &str) -> Self {
        let shown: String = name.chars().take(NAME_SHOWN).collect();
        Self::UnknownType { name: shown, known: SecretType::known_names() }
    }

    /// A broken rule of `secret_type`; `problem` must say nothing of the value's content.
    pub(crate) fn invalid(secret_type: SecretType, problem: impl Into<String>) -> Self {
        Self::Invalid { secret_type, problem: problem.into() }
    }

    /// A failure of the operating system's random source.
    pub(crate) fn randomness(error: getrandom::Error) -> Self {
        Self::Randomness(error.to_string())
    }

    /// A generator that has nothing to work with.
    pub(crate) fn nothing_to_generate(secret_type: SecretType, reason: impl Into<String>) -> Self {
        Self::NothingToGenerate { secret_type, reason: reason.into() }
    }
}

impl From<TypeError> for ProviderError {
    /// Invalid values and names are the caller's to fix; types without a generator are unsupported;
    /// a broken policy is configuration.
    fn from(error: TypeError) -> Self {
        let message = error.to_string();
        match error {
            TypeError::UnknownType { .. } | TypeError::Invalid { .. } | TypeError::PreviousInvalid(_) => {
                ProviderError::InvalidArgument(message)
            }
            TypeError::CannotGenerate { .. } | TypeError::NothingToGenerate { .. } => {
                ProviderError::Unsupported(message)
            }
            TypeError::Policy(_) => ProviderError::Configuration(message),
            TypeError::Randomness(_) | TypeError::KeyGeneration(_) => ProviderError::Other(message),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_the_rule_and_the_problem() {
        let error = TypeError::invalid(SecretType::BasicAuth, "field `password` is missing");
        assert_eq!(
            error.to_string(),
            "type basic-auth needs a JSON object with string fields `username` and `password`; field `password` is missing"
        );
        let error = TypeError::CannotGenerate { secret_type: SecretType::Jwt };
        assert_eq!(error.to_string(), "cannot generate a value of type jwt; configure a rotation hook");
    }

    #[test]
    fn unknown_names_are_cut() {
        let error = TypeError::unknown_type(&"x".repeat(500));
        assert!(error.to_string().len() < 200);
    }

    #[test]
    fn provider_error_kinds() {
        use keyway_types::ErrorKind;
        let invalid: ProviderError = TypeError::invalid(SecretType::ApiKey, "it is empty").into();
        assert_eq!(invalid.kind(), ErrorKind::InvalidArgument);
        let unsupported: ProviderError = TypeError::CannotGenerate { secret_type: SecretType::KeyStore }.into();
        assert_eq!(unsupported.kind(), ErrorKind::Unsupported);
        let policy: ProviderError = TypeError::Policy("x".into()).into();
        assert_eq!(policy.kind(), ErrorKind::Configuration);
    }
}
