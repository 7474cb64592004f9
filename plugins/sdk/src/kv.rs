//! Key/value secrets stored as JSON objects.

use keyway_types::{ProviderError, SecretValue};
use std::collections::BTreeMap;

/// Reads a value as a JSON object of string fields (numbers and booleans are
/// turned into their text).
///
/// ```
/// use keyway_plugin_sdk::{kv::parse_object, SecretValue};
///
/// let fields = parse_object(&SecretValue::text(r#"{"user": "app", "port": 5432}"#))?;
/// assert_eq!(fields["user"], "app");
/// assert_eq!(fields["port"], "5432");
/// assert!(parse_object(&SecretValue::text("plain text")).is_err());
/// # Ok::<(), keyway_plugin_sdk::ProviderError>(())
/// ```
pub fn parse_object(value: &SecretValue) -> Result<BTreeMap<String, String>, ProviderError> {
    let text = value
        .expose_text()
        .ok_or_else(|| ProviderError::InvalidArgument("a binary secret has no key/value fields".into()))?;
    let parsed: serde_json::Map<String, serde_json::Value> = serde_json::from_str(text)
        .map_err(|_| ProviderError::InvalidArgument("the secret is not a JSON object of key/value fields".into()))?;
    Ok(parsed
        .into_iter()
        .map(|(key, value)| {
            let text = match value {
                serde_json::Value::String(s) => s,
                other => other.to_string(),
            };
            (key, text)
        })
        .collect())
}

/// Writes key/value fields as a JSON object value.
///
/// ```
/// use keyway_plugin_sdk::{kv::to_value, SecretValue};
/// use std::collections::BTreeMap;
///
/// let fields = BTreeMap::from([("user".to_owned(), "app".to_owned())]);
/// assert_eq!(to_value(&fields), SecretValue::text(r#"{"user":"app"}"#));
/// ```
pub fn to_value(fields: &BTreeMap<String, String>) -> SecretValue {
    SecretValue::text(serde_json::to_string(fields).unwrap_or_default())
}
