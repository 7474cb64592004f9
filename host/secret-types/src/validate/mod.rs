//! [`validate`]: checks a value against its type's rule and reports what it learned.
//!
//! One module per type family; each returns [`TypeError::Invalid`] with a problem built from its
//! own words and numbers, never from the value.

mod api_key;
mod json;
mod jwt;
mod key_store;
pub(crate) mod key_value;
pub(crate) mod private_key;
pub(crate) mod secret_key;

use crate::error::TypeError;
use crate::facts::TypeFacts;
use crate::types::SecretType;
use keyway_types::SecretValue;

/// Checks `value` against the rule of `secret_type` (see [`SecretType::rule`]) and returns the
/// facts worth recording as metadata. keyway calls this on every create and update before any
/// backend sees the value, and on every value a generator makes.
///
/// # Errors
/// [`TypeError::Invalid`] naming the rule and what is wrong. The message never contains any part
/// of the value.
pub fn validate(secret_type: &SecretType, value: &SecretValue) -> Result<TypeFacts, TypeError> {
    let secret_type = *secret_type;
    match secret_type {
        SecretType::Generic => {
            let mut facts = TypeFacts::new(secret_type);
            facts.encoding = Some(if value.is_binary() { "binary" } else { "text" });
            Ok(facts)
        }
        SecretType::KeyValue => key_value::validate_key_value(value),
        SecretType::BasicAuth => key_value::validate_basic_auth(value),
        SecretType::ApiKey => api_key::validate(value),
        SecretType::Jwt => jwt::validate(value),
        SecretType::PrivateKey => private_key::validate(value),
        SecretType::SecretKey => secret_key::validate(value),
        SecretType::KeyStore => key_store::validate(value),
    }
}

/// The text of a value whose type is written as text; a binary value is refused.
pub(crate) fn require_text(secret_type: SecretType, value: &SecretValue) -> Result<&str, TypeError> {
    value.expose_text().ok_or_else(|| TypeError::invalid(secret_type, "the value is binary; store it as text"))
}

/// Refuses empty text and text with whitespace at either end (a trailing newline from a file is
/// the usual culprit).
pub(crate) fn require_trimmed(secret_type: SecretType, text: &str) -> Result<(), TypeError> {
    if text.is_empty() {
        return Err(TypeError::invalid(secret_type, "the value is empty"));
    }
    if text.starts_with(char::is_whitespace) || text.ends_with(char::is_whitespace) {
        return Err(TypeError::invalid(
            secret_type,
            "the value has whitespace at its start or end (a trailing newline?); remove it",
        ));
    }
    Ok(())
}
