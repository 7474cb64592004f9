//! The bodies of `PUT` (create) and `PATCH` (update) on `/v1/secrets/...`.
//!
//! `value` is taken out of the body first and handled apart, so no error message can quote it: a string
//! (standard base64 when `"binary": true`), or a JSON object or array, stored as its JSON text (a key/value
//! secret). The other fields are checked strictly; errors name the field.

use super::error::ApiError;
use super::extract::wipe;
use crate::input::parse_expiry;
use keyway::types::{SecretValue, Tags, Timestamp, UpdateRequest, WriteOptions};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use zeroize::Zeroizing;

/// An expiry: epoch milliseconds, RFC 3339 text, or a duration from now (`90d`).
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Expiry {
    Millis(Timestamp),
    Text(String),
}

fn expiry(expiry: Option<Expiry>) -> Result<Option<Timestamp>, ApiError> {
    match expiry {
        None => Ok(None),
        Some(Expiry::Millis(ms)) => Ok(Some(ms)),
        Some(Expiry::Text(text)) => {
            parse_expiry(&text).map(Some).map_err(|err| ApiError::invalid(format!("expires_at: {err:#}")))
        }
    }
}

/// `PUT /v1/secrets/{manager}/{*name}` without its value.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateFields {
    #[serde(default)]
    binary: bool,
    #[serde(default)]
    tags: Tags,
    description: Option<String>,
    expires_at: Option<Expiry>,
    kms_key_id: Option<String>,
    secret_type: Option<String>,
    #[serde(default)]
    overwrite: bool,
    #[serde(default)]
    recover_deleted: bool,
}

/// `PATCH /v1/secrets/{manager}/{*name}` without its value.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct UpdateFields {
    #[serde(default)]
    binary: bool,
    description: Option<String>,
    expires_at: Option<Expiry>,
    enabled: Option<bool>,
    kms_key_id: Option<String>,
    /// Tags to add or replace.
    #[serde(default)]
    tags: Tags,
    #[serde(default)]
    remove_tags: Vec<String>,
}

/// A create request: the value and the write options.
pub fn create(body: &mut serde_json::Value) -> Result<(SecretValue, WriteOptions), ApiError> {
    let (value, fields) = split::<CreateFields>(body)?;
    let value = value.ok_or_else(|| ApiError::invalid("the body has no `value`"))?;
    let value = to_secret(value, fields.binary)?;
    let options = WriteOptions {
        tags: fields.tags,
        description: fields.description,
        expires_at: expiry(fields.expires_at)?,
        secret_type: fields.secret_type,
        kms_key_id: fields.kms_key_id,
        overwrite: fields.overwrite,
        recover_deleted: fields.recover_deleted,
    };
    Ok((value, options))
}

/// An update request; fails when it changes nothing.
pub fn update(body: &mut serde_json::Value) -> Result<UpdateRequest, ApiError> {
    let (value, fields) = split::<UpdateFields>(body)?;
    let request = UpdateRequest {
        value: value.map(|value| to_secret(value, fields.binary)).transpose()?,
        description: fields.description,
        expires_at: expiry(fields.expires_at)?,
        enabled: fields.enabled,
        kms_key_id: fields.kms_key_id,
        set_tags: fields.tags,
        remove_tags: fields.remove_tags,
    };
    if request == UpdateRequest::default() {
        return Err(ApiError::invalid(
            "nothing to update: give `value` or an attribute (description, expires_at, enabled, kms_key_id, tags, remove_tags)",
        ));
    }
    Ok(request)
}

/// Takes `value` out of the object and parses the rest as `T`.
fn split<T: DeserializeOwned>(body: &mut serde_json::Value) -> Result<(Option<ValueField>, T), ApiError> {
    let object = body.as_object_mut().ok_or_else(|| ApiError::invalid("the body must be a JSON object"))?;
    let value = object.remove("value").map(ValueField);
    let rest = serde_json::Value::Object(std::mem::take(object));
    let fields = serde_path_to_error::deserialize(rest)
        .map_err(|err| ApiError::invalid(format!("body field `{}`: {}", err.path(), err.inner())))?;
    Ok((value, fields))
}

/// The `value` field, wiped when dropped.
struct ValueField(serde_json::Value);

impl Drop for ValueField {
    fn drop(&mut self) {
        wipe(&mut self.0);
    }
}

fn to_secret(mut field: ValueField, binary: bool) -> Result<SecretValue, ApiError> {
    match (&mut field.0, binary) {
        (serde_json::Value::String(text), false) => Ok(SecretValue::text(std::mem::take(text))),
        (serde_json::Value::String(text), true) => SecretValue::from_base64(text)
            .map_err(|_| ApiError::invalid("`value` is not standard base64, as `\"binary\": true` requires")),
        (json @ (serde_json::Value::Object(_) | serde_json::Value::Array(_)), false) => {
            let text = Zeroizing::new(json.to_string());
            Ok(SecretValue::text(text.as_str()))
        }
        _ => Err(ApiError::invalid(
            "`value` must be a string (base64 when binary), or a JSON object for a key/value secret",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn create_with_every_field() {
        let mut body = json!({
            "value": "s3cr3t-value", "tags": {"team": "payments"}, "description": "db", "expires_at": 1_900_000_000_000u64,
            "kms_key_id": "alias/k", "secret_type": "generic", "overwrite": true, "recover_deleted": true
        });
        let (value, options) = create(&mut body).expect("valid body");
        assert_eq!(value.expose_text(), Some("s3cr3t-value"));
        assert_eq!(options.tags.get("team").map(String::as_str), Some("payments"));
        assert_eq!(options.expires_at, Some(1_900_000_000_000));
        assert!(options.overwrite && options.recover_deleted);
    }

    #[test]
    fn binary_values_are_base64_and_objects_become_json_text() {
        let (value, _) = create(&mut json!({"value": "AAEC", "binary": true})).expect("base64");
        assert_eq!(value.expose_bytes(), [0, 1, 2]);
        let (value, _) = create(&mut json!({"value": {"user": "app"}})).expect("object");
        assert_eq!(value.expose_text(), Some(r#"{"user":"app"}"#));
    }

    #[test]
    fn errors_name_fields_but_never_quote_the_value() {
        let err = create(&mut json!({"value": "s3cr3t-value", "binary": true})).expect_err("not base64");
        assert!(!format!("{err:?}").contains("s3cr3t"), "{err:?}");
        let err = create(&mut json!({"value": 12345678})).expect_err("a number");
        assert!(!format!("{err:?}").contains("12345678"), "{err:?}");
        let err = create(&mut json!({"value": "v", "overwrite": "yes"})).expect_err("not a boolean");
        assert!(format!("{err:?}").contains("body field `overwrite`"), "{err:?}");
        let err = create(&mut json!({"value": "v", "colour": 1})).expect_err("unknown field");
        assert!(format!("{err:?}").contains("colour"), "{err:?}");
    }

    #[test]
    fn an_empty_update_is_refused() {
        assert!(update(&mut json!({})).is_err());
        let request = update(&mut json!({"enabled": false, "remove_tags": ["env"]})).expect("attributes");
        assert_eq!(request.enabled, Some(false));
        assert_eq!(request.remove_tags, ["env"]);
    }
}
