//! [`generate`]: new values for renewal, made from the OS random source under a [`GeneratorPolicy`].

mod fields;
mod keys;
mod password;
mod text;

use crate::error::TypeError;
use crate::policy::GeneratorPolicy;
use crate::types::SecretType;
use crate::validate::validate;
use keyway_types::SecretValue;

/// Makes a new value of `secret_type` under `policy`, starting from the `previous` value where the
/// type keeps part of it:
///
/// | type | new value |
/// | --- | --- |
/// | `basic-auth` | the previous object with a new `password` (the previous value is required) |
/// | `key-value` | the previous object (or a new one) with new passwords in the fields `policy.key_value.fields` names |
/// | `api-key` | `policy.api_key.prefix` and random characters |
/// | `secret-key` | random bytes, as long and written as the previous key unless the policy says |
/// | `private-key` | a new key as PKCS#8 PEM, of the previous key's algorithm unless the policy says |
/// | `generic`, `jwt`, `key-store` | none: their values come from a rotation hook |
///
/// Every value made passes [`validate`] before it is returned.
///
/// # Errors
/// [`TypeError::CannotGenerate`] for types without a generator; [`TypeError::NothingToGenerate`]
/// when the policy or the previous value leaves nothing to do; [`TypeError::PreviousInvalid`]
/// when the previous value breaks its type's rule; [`TypeError::Policy`] for an inconsistent
/// policy; [`TypeError::Randomness`] or [`TypeError::KeyGeneration`] when the system fails.
pub fn generate(
    secret_type: &SecretType,
    policy: &GeneratorPolicy,
    previous: Option<&SecretValue>,
) -> Result<SecretValue, TypeError> {
    let value = match *secret_type {
        SecretType::Generic | SecretType::Jwt | SecretType::KeyStore => {
            return Err(TypeError::CannotGenerate { secret_type: *secret_type });
        }
        SecretType::BasicAuth => fields::basic_auth(&policy.password, previous)?,
        SecretType::KeyValue => fields::key_value(&policy.key_value, &policy.password, previous)?,
        SecretType::ApiKey => text::api_key(&policy.api_key)?,
        SecretType::SecretKey => text::secret_key(&policy.secret_key, previous)?,
        SecretType::PrivateKey => keys::private_key(&policy.private_key, previous)?,
    };
    validate(secret_type, &value)
        .map_err(|error| TypeError::KeyGeneration(format!("a generated value failed its own check: {error}")))?;
    Ok(value)
}

/// Checks a previous value before renewal starts from it.
fn check_previous(secret_type: SecretType, previous: &SecretValue) -> Result<(), TypeError> {
    validate(&secret_type, previous).map(drop).map_err(|error| TypeError::PreviousInvalid(Box::new(error)))
}
