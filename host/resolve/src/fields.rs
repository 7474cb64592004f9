//! Cached secrets and the keys of JSON key/value secrets.

use crate::mask::Masker;
use keyway_types::{Secret, SecretMetadata, SecretValue};
use serde_json::Value;
use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::AtomicU64;
use std::sync::OnceLock;
use zeroize::Zeroizing;

/// Why a key could not be read from a secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyError {
    /// The value is binary, or text that is not a JSON object.
    NotKeyValue,
    /// The value is a JSON object without that key.
    MissingKey,
}

/// A secret shared by the cache and its readers: one copy in memory, zeroized when the last reader and the
/// cache let go of it. `Debug` redacts the value.
pub struct SharedSecret {
    secret: Secret,
    /// What is worked out from the value once, when first needed (boxed: most secrets never need it).
    derived: OnceLock<Box<Derived>>,
    /// Which masker generation the value (as text or base64) was registered with; see [`Masker`].
    masked: AtomicU64,
}

/// What is worked out from a value.
enum Derived {
    /// A text value's keys when it is a JSON object; `None` when it is not one.
    Keys(Option<HashMap<String, Field>>),
    /// A binary value as base64.
    Base64(Zeroizing<String>),
}

/// One key of a JSON key/value secret.
struct Field {
    value: Zeroizing<String>,
    /// Which masker generation this value was registered with.
    masked: AtomicU64,
}

impl SharedSecret {
    pub(crate) fn new(secret: Secret) -> Self {
        Self { secret, derived: OnceLock::new(), masked: AtomicU64::new(0) }
    }

    /// The secret.
    pub fn secret(&self) -> &Secret {
        &self.secret
    }

    /// The value.
    pub fn value(&self) -> &SecretValue {
        &self.secret.value
    }

    /// The metadata.
    pub fn metadata(&self) -> &SecretMetadata {
        &self.secret.metadata
    }

    /// One key of a JSON key/value secret (`{"username": "app", "port": 5432}`): strings as they are, other
    /// JSON values as compact JSON text (`5432`, `true`, `{"a":1}`).
    pub fn key(&self, key: &str) -> Result<&str, KeyError> {
        self.field(key).map(|field| field.value.as_str())
    }

    fn field(&self, key: &str) -> Result<&Field, KeyError> {
        self.fields().ok_or(KeyError::NotKeyValue)?.get(key).ok_or(KeyError::MissingKey)
    }

    fn derived(&self) -> &Derived {
        self.derived.get_or_init(|| {
            Box::new(match &self.secret.value {
                SecretValue::Text(_) => Derived::Keys(parse_fields(&self.secret.value)),
                binary => Derived::Base64(binary.to_text_or_base64()),
            })
        })
    }

    /// The keys of a JSON key/value secret; `None` for other values.
    fn fields(&self) -> Option<&HashMap<String, Field>> {
        // Most values are plainly not JSON objects: nothing to work out (or keep) for them.
        if !self.secret.value.expose_text()?.trim_start().starts_with('{') {
            return None;
        }
        match self.derived() {
            Derived::Keys(fields) => fields.as_ref(),
            Derived::Base64(_) => None,
        }
    }

    /// The text a placeholder for the whole value becomes: the text, or a binary value as standard base64.
    pub(crate) fn text_or_base64(&self) -> &str {
        match &self.secret.value {
            SecretValue::Text(text) => text.as_str(),
            // A value that is not text is worked out as base64.
            _ => match self.derived() {
                Derived::Base64(base64) => base64.as_str(),
                Derived::Keys(_) => "",
            },
        }
    }

    /// Registers what a placeholder for the whole value becomes (text or base64) with `masker`, unless it
    /// already was: each distinct value is registered once.
    pub(crate) fn mask_whole(&self, masker: &Masker) {
        masker.register_once(&self.masked, || self.text_or_base64());
    }

    /// Registers what this secret puts in a step with a masker of its own (no marks): the whole value (text
    /// or base64) and, for a JSON key/value secret, every key's value, so that output printing one field is
    /// masked too.
    pub(crate) fn register_all(&self, masker: &Masker) {
        masker.register(self.text_or_base64());
        if let Some(fields) = self.fields() {
            fields.values().for_each(|field| {
                masker.register(&field.value);
            });
        }
    }

    /// Registers a text value with `masker` (binary values are not: `get` returns them as they are).
    pub(crate) fn mask_text(&self, masker: &Masker) {
        if let Some(text) = self.secret.value.expose_text() {
            masker.register_once(&self.masked, || text);
        }
    }

    /// Registers one key's value with `masker`, unless it already was.
    pub(crate) fn mask_key(&self, key: &str, masker: &Masker) {
        if let Ok(field) = self.field(key) {
            masker.register_once(&field.masked, || field.value.as_str());
        }
    }
}

impl fmt::Debug for SharedSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SharedSecret").field("secret", &self.secret).finish_non_exhaustive()
    }
}

fn parse_fields(value: &SecretValue) -> Option<HashMap<String, Field>> {
    let text = value.expose_text()?;
    let trimmed = text.trim_start();
    if !trimmed.starts_with('{') {
        return None;
    }
    let Ok(Value::Object(map)) = serde_json::from_str::<Value>(trimmed) else {
        return None;
    };
    Some(
        map.into_iter()
            .map(|(key, value)| (key, Field { value: into_text(value), masked: AtomicU64::new(0) }))
            .collect(),
    )
}

/// Moves a JSON value into zeroizing text, wiping the strings it held.
fn into_text(value: Value) -> Zeroizing<String> {
    match value {
        Value::String(text) => Zeroizing::new(text),
        other => {
            let text = Zeroizing::new(other.to_string());
            wipe(other);
            text
        }
    }
}

/// Zeroizes every string inside a JSON value as it is dropped.
fn wipe(value: Value) {
    match value {
        Value::String(text) => drop(Zeroizing::new(text)),
        Value::Array(items) => items.into_iter().for_each(wipe),
        Value::Object(map) => map.into_iter().for_each(|(_, item)| wipe(item)),
        Value::Null | Value::Bool(_) | Value::Number(_) => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shared(value: SecretValue) -> SharedSecret {
        SharedSecret::new(Secret { value, metadata: SecretMetadata::named("db") })
    }

    #[test]
    fn reads_keys_of_a_json_object() {
        let secret = shared(SecretValue::text(r#"{"username":"app","port":5432,"tls":{"on":true}}"#));
        assert_eq!(secret.key("username"), Ok("app"));
        assert_eq!(secret.key("port"), Ok("5432"));
        assert_eq!(secret.key("tls"), Ok(r#"{"on":true}"#));
        assert_eq!(secret.key("password"), Err(KeyError::MissingKey));
    }

    #[test]
    fn other_values_have_no_keys() {
        assert_eq!(shared(SecretValue::text("plain")).key("a"), Err(KeyError::NotKeyValue));
        assert_eq!(shared(SecretValue::text("[1,2]")).key("a"), Err(KeyError::NotKeyValue));
        assert_eq!(shared(SecretValue::text("{broken")).key("a"), Err(KeyError::NotKeyValue));
        assert_eq!(shared(SecretValue::binary(b"{\"a\":1}".to_vec())).key("a"), Err(KeyError::NotKeyValue));
    }

    #[test]
    fn debug_redacts() {
        let secret = shared(SecretValue::text("hunter2-value"));
        assert!(!format!("{secret:?}").contains("hunter2"));
    }
}
