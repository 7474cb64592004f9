//! JSON read for checking: [`JsonValue`] keeps a string (wiped when dropped), a number's value,
//! or only the kind of anything else, skipping containers without copying them.

use serde::de::{Deserialize, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use std::fmt;
use zeroize::Zeroizing;

/// One JSON value as far as the checks need it.
pub(crate) enum JsonValue {
    Text(Zeroizing<String>),
    Unsigned(u64),
    Negative,
    Float(f64),
    Bool,
    Null,
    Array,
    Object,
}

impl JsonValue {
    /// What kind of value this is, for messages ("a number").
    pub(crate) fn kind(&self) -> &'static str {
        match self {
            Self::Text(_) => "a string",
            Self::Unsigned(_) | Self::Negative | Self::Float(_) => "a number",
            Self::Bool => "true or false",
            Self::Null => "null",
            Self::Array => "an array",
            Self::Object => "an object",
        }
    }
}

impl<'de> Deserialize<'de> for JsonValue {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(JsonValueVisitor)
    }
}

struct JsonValueVisitor;

impl<'de> Visitor<'de> for JsonValueVisitor {
    type Value = JsonValue;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_str<E>(self, text: &str) -> Result<JsonValue, E> {
        Ok(JsonValue::Text(Zeroizing::new(text.to_owned())))
    }

    fn visit_string<E>(self, text: String) -> Result<JsonValue, E> {
        Ok(JsonValue::Text(Zeroizing::new(text)))
    }

    fn visit_u64<E>(self, number: u64) -> Result<JsonValue, E> {
        Ok(JsonValue::Unsigned(number))
    }

    fn visit_i64<E>(self, number: i64) -> Result<JsonValue, E> {
        Ok(u64::try_from(number).map_or(JsonValue::Negative, JsonValue::Unsigned))
    }

    fn visit_f64<E>(self, number: f64) -> Result<JsonValue, E> {
        Ok(JsonValue::Float(number))
    }

    fn visit_bool<E>(self, _: bool) -> Result<JsonValue, E> {
        Ok(JsonValue::Bool)
    }

    fn visit_unit<E>(self) -> Result<JsonValue, E> {
        Ok(JsonValue::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<JsonValue, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(JsonValue::Array)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<JsonValue, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(JsonValue::Object)
    }
}

/// Whether the first non-blank byte opens an object.
pub(crate) fn starts_object(bytes: &[u8]) -> bool {
    bytes.iter().find(|byte| !byte.is_ascii_whitespace()) == Some(&b'{')
}

/// A JSON error of `subject` ("the value", "the header") as position and category only:
/// serde_json's own message may quote the input.
pub(crate) fn json_problem(subject: &str, error: &serde_json::Error) -> String {
    use serde_json::error::Category;
    let (line, column) = (error.line(), error.column());
    match error.classify() {
        Category::Eof => format!("{subject} is not valid JSON: it ends too early"),
        // The visitors accept every kind of value, so a data error is a name given twice.
        Category::Data => format!("{subject} names a field twice (line {line}, column {column})"),
        Category::Syntax | Category::Io => format!("{subject} is not valid JSON (line {line}, column {column})"),
    }
}
