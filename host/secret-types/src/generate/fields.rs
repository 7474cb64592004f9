//! `basic-auth` and `key-value`: the previous object kept, some fields given new passwords.

use super::check_previous;
use super::password::password;
use crate::error::TypeError;
use crate::policy::{KeyValuePolicy, PasswordPolicy};
use crate::types::SecretType;
use crate::validate::key_value::StringObject;
use keyway_types::SecretValue;

/// The previous `basic-auth` object with a new `password`; its username and other fields kept.
pub(super) fn basic_auth(policy: &PasswordPolicy, previous: Option<&SecretValue>) -> Result<SecretValue, TypeError> {
    let secret_type = SecretType::BasicAuth;
    let previous = previous.ok_or_else(|| {
        TypeError::nothing_to_generate(
            secret_type,
            "renewal keeps the username, so it needs the previous value; write the first value by hand",
        )
    })?;
    check_previous(secret_type, previous)?;
    let mut object = StringObject::parse(secret_type, previous)?;
    object.set("password", password(policy)?);
    Ok(SecretValue::Text(object.to_json()?))
}

/// The previous `key-value` object (or a new one) with new passwords in the named fields.
pub(super) fn key_value(
    fields: &KeyValuePolicy,
    policy: &PasswordPolicy,
    previous: Option<&SecretValue>,
) -> Result<SecretValue, TypeError> {
    let secret_type = SecretType::KeyValue;
    fields.check()?;
    if fields.fields.is_empty() {
        return Err(TypeError::nothing_to_generate(
            secret_type,
            "nothing to generate; name the fields to regenerate in the policy's `key_value.fields`",
        ));
    }
    let mut object = match previous {
        Some(previous) => {
            check_previous(secret_type, previous)?;
            StringObject::parse(secret_type, previous)?
        }
        None => StringObject::from_fields(Vec::new()),
    };
    for field in &fields.fields {
        object.set(field, password(policy)?);
    }
    Ok(SecretValue::Text(object.to_json()?))
}
