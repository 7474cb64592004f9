//! `key-value` and `basic-auth`: JSON objects whose values are all strings.
//!
//! The object is read by [`StringObject::parse`] into zeroizing strings, in document order; field
//! names are secret content too, so messages point at fields by position ("field number 3"),
//! except the names a rule itself requires (`username`, `password`).

use super::json::{json_problem, starts_object, JsonValue};
use super::require_text;
use crate::error::TypeError;
use crate::facts::TypeFacts;
use crate::types::SecretType;
use keyway_types::SecretValue;
use serde::de::{Deserializer, MapAccess, Visitor};
use serde::ser::{SerializeMap, Serializer};
use serde::Deserialize;
use std::collections::HashMap;
use std::fmt;
use zeroize::Zeroizing;

/// The fields a `basic-auth` secret must have, non-empty.
pub(crate) const BASIC_AUTH_FIELDS: [&str; 2] = ["username", "password"];

/// Checks a `key-value` secret: a JSON object with at least one field, all values strings.
pub(crate) fn validate_key_value(value: &SecretValue) -> Result<TypeFacts, TypeError> {
    let object = StringObject::parse(SecretType::KeyValue, value)?;
    if object.fields.is_empty() {
        return Err(TypeError::invalid(SecretType::KeyValue, "the object has no fields; add at least one"));
    }
    Ok(object.facts(SecretType::KeyValue))
}

/// Checks a `basic-auth` secret: a `key-value` secret with a non-empty `username` and `password`.
pub(crate) fn validate_basic_auth(value: &SecretValue) -> Result<TypeFacts, TypeError> {
    let object = StringObject::parse(SecretType::BasicAuth, value)?;
    for name in BASIC_AUTH_FIELDS {
        match object.get(name) {
            None => return Err(TypeError::invalid(SecretType::BasicAuth, format!("field `{name}` is missing"))),
            Some("") => return Err(TypeError::invalid(SecretType::BasicAuth, format!("field `{name}` is empty"))),
            Some(_) => {}
        }
    }
    Ok(object.facts(SecretType::BasicAuth))
}

/// A JSON object of strings, in document order, wiped from memory when dropped.
pub(crate) struct StringObject {
    fields: Vec<(Zeroizing<String>, Zeroizing<String>)>,
}

impl StringObject {
    /// Reads `value` as a JSON object whose values are all strings, with distinct non-empty names.
    pub(crate) fn parse(secret_type: SecretType, value: &SecretValue) -> Result<Self, TypeError> {
        let text = require_text(secret_type, value)?;
        let invalid = |problem: String| TypeError::invalid(secret_type, problem);
        let mut deserializer = serde_json::Deserializer::from_str(text);
        let read = |deserializer: &mut serde_json::Deserializer<_>| {
            if starts_object(text.as_bytes()) {
                deserializer.deserialize_map(FieldsVisitor).map(Ok)
            } else {
                JsonValue::deserialize(&mut *deserializer).map(|other| Err(other.kind()))
            }
        };
        let top = read(&mut deserializer).map_err(|e| invalid(json_problem("the value", &e)))?;
        deserializer.end().map_err(|e| invalid(json_problem("the value", &e)))?;
        let raw_fields = top.map_err(|kind| invalid(format!("the value is {kind}, not a JSON object")))?;
        let mut seen: HashMap<&str, usize> = HashMap::new();
        for (index, (name, _)) in raw_fields.iter().enumerate() {
            if name.is_empty() {
                return Err(invalid(format!("field number {} has an empty name", index + 1)));
            }
            if let Some(first) = seen.insert(name.as_str(), index) {
                return Err(invalid(format!(
                    "{} repeats the name of field number {}; keep one",
                    field_label(secret_type, name, index),
                    first + 1
                )));
            }
        }
        drop(seen);
        let mut fields = Vec::with_capacity(raw_fields.len());
        for (index, (name, value)) in raw_fields.into_iter().enumerate() {
            match value {
                JsonValue::Text(text) => fields.push((name, text)),
                other => {
                    return Err(invalid(format!(
                        "{} is {}, not a string; quote it",
                        field_label(secret_type, &name, index),
                        other.kind()
                    )));
                }
            }
        }
        Ok(Self { fields })
    }

    /// An object with the given fields, in that order.
    pub(crate) fn from_fields(fields: Vec<(Zeroizing<String>, Zeroizing<String>)>) -> Self {
        Self { fields }
    }

    /// The value of the field named `name`.
    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.fields.iter().find(|(field, _)| field.as_str() == name).map(|(_, value)| value.as_str())
    }

    /// Sets the field named `name`, appending it when absent.
    pub(crate) fn set(&mut self, name: &str, value: Zeroizing<String>) {
        match self.fields.iter_mut().find(|(field, _)| field.as_str() == name) {
            Some((_, slot)) => *slot = value,
            None => self.fields.push((Zeroizing::new(name.to_owned()), value)),
        }
    }

    /// The object as compact JSON, written into a buffer sized so it never reallocates (a
    /// reallocation would leave an unwiped copy behind).
    pub(crate) fn to_json(&self) -> Result<Zeroizing<String>, TypeError> {
        // Escaping writes at most six bytes per input byte (`\u00XX`); quotes, colon and comma
        // add six per field.
        let capacity = 2 + self.fields.iter().map(|(name, value)| 6 * (name.len() + value.len()) + 6).sum::<usize>();
        let mut buffer = Zeroizing::new(Vec::with_capacity(capacity));
        let mut serializer = serde_json::Serializer::new(&mut *buffer);
        let write = |serializer: &mut serde_json::Serializer<&mut Vec<u8>>| {
            let mut map = serializer.serialize_map(Some(self.fields.len()))?;
            for (name, value) in &self.fields {
                map.serialize_entry(name.as_str(), value.as_str())?;
            }
            map.end()
        };
        write(&mut serializer).map_err(|e| TypeError::KeyGeneration(format!("writing JSON failed: {e}")))?;
        let bytes = std::mem::take(&mut *buffer);
        String::from_utf8(bytes)
            .map(Zeroizing::new)
            .map_err(|_| TypeError::KeyGeneration("writing JSON produced invalid UTF-8".to_owned()))
    }

    fn facts(&self, secret_type: SecretType) -> TypeFacts {
        let mut facts = TypeFacts::new(secret_type);
        facts.format = Some("json");
        facts.fields = u32::try_from(self.fields.len()).ok();
        facts
    }
}

/// How a message points at a field: by the name the rule requires, else by position.
fn field_label(secret_type: SecretType, name: &str, index: usize) -> String {
    match BASIC_AUTH_FIELDS.iter().find(|required| **required == name) {
        Some(required) if secret_type == SecretType::BasicAuth => format!("field `{required}`"),
        _ => format!("the value of field number {}", index + 1),
    }
}

/// Collects an object's fields, in document order.
struct FieldsVisitor;

impl<'de> Visitor<'de> for FieldsVisitor {
    type Value = Vec<(Zeroizing<String>, JsonValue)>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut fields = Vec::new();
        while let Some((name, value)) = map.next_entry::<JsonValue, JsonValue>()? {
            // JSON names are strings, so the name is always text.
            let JsonValue::Text(name) = name else { continue };
            fields.push((name, value));
        }
        Ok(fields)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<StringObject, TypeError> {
        StringObject::parse(SecretType::KeyValue, &SecretValue::text(text))
    }

    #[test]
    fn keeps_document_order_and_escapes() {
        let object = parse(r#"{"b":"1","a":"x\"y\u00e9"}"#).ok();
        let json = object.as_ref().and_then(|o| o.to_json().ok());
        assert_eq!(json.as_deref().map(String::as_str), Some(r#"{"b":"1","a":"x\"yé"}"#));
    }

    #[test]
    fn set_replaces_or_appends() {
        let Ok(mut object) = parse(r#"{"username":"u","password":"p"}"#) else { panic!("valid") };
        object.set("password", Zeroizing::new("q".to_owned()));
        object.set("extra", Zeroizing::new("e".to_owned()));
        assert_eq!(object.get("password"), Some("q"));
        let json = object.to_json().ok();
        assert_eq!(json.as_deref().map(String::as_str), Some(r#"{"username":"u","password":"q","extra":"e"}"#));
    }

    #[test]
    fn kinds_are_named() {
        let message = |text: &str| parse(text).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(message(r#"{"a":"x","b":2}"#).contains("field number 2 is a number"));
        assert!(message(r#"{"a":[1],"b":"x"}"#).contains("field number 1 is an array"));
        assert!(message(r#"{"a":{"c":1}}"#).contains("is an object"));
        assert!(message(r#"{"a":null}"#).contains("is null"));
        assert!(message(r#"["a"]"#).contains("is an array, not a JSON object"));
        let trailing = message(r#"{"a":"x"} trailing"#);
        assert!(trailing.contains("the value is not valid JSON (line 1, column"), "{trailing}");
        assert!(message(r#"{"a":"x","a":"y"}"#).contains("field number 2 repeats the name of field number 1"));
        assert!(message(r#"{"":"x"}"#).contains("field number 1 has an empty name"));
        assert!(message(r#"{"a":"#).contains("ends too early"));
    }
}
