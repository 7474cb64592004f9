//! How keyway's values live in a KV version 2 secret's data map.
//!
//! - Text that is a JSON object is stored as the data map itself, so Vault's
//!   own tools and applications see ordinary fields (`user`, `password`, …).
//! - Any other text is stored as `{"value": "<text>"}`.
//! - Bytes are stored as `{"value_base64": "<standard base64>"}`.
//!
//! Reading reverses this: a map holding only `value` (a string) gives that
//! text, one holding only `value_base64` gives the bytes, and any other map is
//! returned as its compact JSON text (keys sorted, as Vault returns them), so
//! `${secret:vault/app/db/password}` takes the `password` field.
//!
//! Text that is itself a JSON object with the single key `value` or
//! `value_base64`, or the empty object, is wrapped as `{"value": …}` so it
//! reads back unchanged.

use keyway_plugin_sdk::{ProviderError, SecretValue};
use serde_json::{Map, Value};

/// The field of a plain text value.
pub const TEXT_FIELD: &str = "value";
/// The field of a binary value.
pub const BINARY_FIELD: &str = "value_base64";

/// The data map to write for `value`.
pub fn encode(value: &SecretValue) -> Map<String, Value> {
    let mut data = Map::new();
    match value.expose_text() {
        None => {
            data.insert(BINARY_FIELD.into(), Value::String(value.to_text_or_base64().to_string()));
        }
        Some(text) => match serde_json::from_str::<Map<String, Value>>(text) {
            Ok(fields) if !fields.is_empty() && !is_reserved_shape(&fields) => return fields,
            _ => {
                data.insert(TEXT_FIELD.into(), Value::String(text.to_owned()));
            }
        },
    }
    data
}

/// The value a data map read from Vault stands for.
pub fn decode(data: &Map<String, Value>) -> Result<SecretValue, ProviderError> {
    if data.len() == 1 {
        if let Some(Value::String(text)) = data.get(TEXT_FIELD) {
            return Ok(SecretValue::text(text.as_str()));
        }
        if let Some(Value::String(encoded)) = data.get(BINARY_FIELD) {
            if let Ok(value) = SecretValue::from_base64(encoded) {
                return Ok(value);
            }
        }
    }
    // Sorted explicitly: serde_json keeps insertion order when another crate enables `preserve_order`.
    let sorted: std::collections::BTreeMap<&String, &Value> = data.iter().collect();
    serde_json::to_string(&sorted)
        .map(SecretValue::text)
        .map_err(|_| ProviderError::Other("the secret's fields could not be turned into JSON text".into()))
}

fn is_reserved_shape(fields: &Map<String, Value>) -> bool {
    fields.len() == 1 && (fields.contains_key(TEXT_FIELD) || fields.contains_key(BINARY_FIELD))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(value: SecretValue) -> Result<SecretValue, ProviderError> {
        // Through JSON text, as Vault stores and returns it.
        let stored = serde_json::to_string(&encode(&value)).map_err(|e| ProviderError::Other(e.to_string()))?;
        let data: Map<String, Value> =
            serde_json::from_str(&stored).map_err(|e| ProviderError::Other(e.to_string()))?;
        decode(&data)
    }

    #[test]
    fn text_and_binary_round_trip() -> Result<(), ProviderError> {
        for text in ["s3cr3t", "", "{\"value\":\"x\"}", "{}", "[1,2]", "{\"value_base64\":\"AA==\"}", "{not json"] {
            assert_eq!(round_trip(SecretValue::text(text))?, SecretValue::text(text), "text {text:?}");
        }
        let bytes = SecretValue::binary(vec![0u8, 159, 146, 150, 255]);
        assert_eq!(round_trip(bytes.clone())?, bytes);
        Ok(())
    }

    #[test]
    fn json_objects_become_fields() -> Result<(), ProviderError> {
        let value = SecretValue::text(r#"{"user": "app", "password": "pw", "port": 5432}"#);
        let data = encode(&value);
        assert_eq!(data.get("password"), Some(&Value::String("pw".into())));
        assert_eq!(round_trip(value)?, SecretValue::text(r#"{"password":"pw","port":5432,"user":"app"}"#));
        Ok(())
    }

    #[test]
    fn foreign_secrets_read_as_json() -> Result<(), ProviderError> {
        let data: Map<String, Value> = serde_json::from_str(r#"{"value_base64":"not base64!"}"#)
            .map_err(|e| ProviderError::Other(e.to_string()))?;
        assert_eq!(decode(&data)?, SecretValue::text(r#"{"value_base64":"not base64!"}"#));
        let data: Map<String, Value> =
            serde_json::from_str(r#"{"value":7}"#).map_err(|e| ProviderError::Other(e.to_string()))?;
        assert_eq!(decode(&data)?, SecretValue::text(r#"{"value":7}"#));
        Ok(())
    }
}
