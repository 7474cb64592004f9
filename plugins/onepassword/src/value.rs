//! An item's fields as one secret value, and back.
//!
//! Reading: the notes (purpose `NOTES`) are the description, except in a secure note, where they
//! are the value. Of the other fields, those with a value are the item's content. When the only one
//! is the primary field (`password`, an API credential's `credential`, a secure note's notes), the
//! value is its text; otherwise it is a JSON object of label → value, so `/KEY` placeholders reach
//! each field.
//!
//! Writing: a text holding a non-empty JSON object becomes one field per key (a key naming the
//! primary field, or `username` in a login, gets that field); any other text goes into the primary
//! field. A new value replaces the item's whole content; fields that keep their key keep their id,
//! type, purpose and section.

use crate::categories::primary_field_id;
use crate::model::{Field, Item};
use keyway_plugin_sdk::{ProviderError, SecretValue};
use serde_json::{Map, Value};
use zeroize::Zeroizing;

/// What an item's fields say.
pub struct Decoded {
    /// The secret value.
    pub value: SecretValue,
    /// The notes, when they are a description.
    pub description: Option<String>,
    /// Whether the value is a JSON object of several fields.
    pub several_fields: bool,
}

/// Whether `field` is where a plain-text value of a `category` item lives.
fn is_primary(field: &Field, category: &str) -> bool {
    field.id.as_deref() == Some(primary_field_id(category))
        || match category {
            "SECURE_NOTE" => field.is_notes(),
            _ => field.purpose() == "PASSWORD",
        }
}

/// Whether `field` is part of the value (rather than the description).
fn is_content(field: &Field, category: &str) -> bool {
    category == "SECURE_NOTE" || !field.is_notes()
}

/// The indices of the `fields` that pass `include`, with their JSON keys: the label (or id), and
/// `label#id` for a label seen before.
fn keyed(fields: &[Field], include: impl Fn(&Field) -> bool) -> Vec<(String, usize)> {
    let mut keyed: Vec<(String, usize)> = Vec::new();
    for (index, field) in fields.iter().enumerate().filter(|(_, f)| include(f)) {
        let mut key = field.key().to_owned();
        if keyed.iter().any(|(k, _)| *k == key) {
            key = format!("{key}#{}", field.id.as_deref().unwrap_or_default());
        }
        keyed.push((key, index));
    }
    keyed
}

/// Reads an item's value and description.
pub fn decode(item: &Item) -> Decoded {
    let category = item.category.as_str();
    let description = match category {
        "SECURE_NOTE" => None,
        _ => item.fields.iter().find(|f| f.is_notes()).map(|f| f.value().to_owned()).filter(|v| !v.is_empty()),
    };
    let content = keyed(&item.fields, |f| is_content(f, category) && !f.value().is_empty());
    match content.as_slice() {
        [] => Decoded { value: SecretValue::text(""), description, several_fields: false },
        [(_, only)] if is_primary(&item.fields[*only], category) => {
            Decoded { value: SecretValue::text(item.fields[*only].value()), description, several_fields: false }
        }
        fields => {
            let object: Map<String, Value> = fields
                .iter()
                .map(|(key, index)| (key.clone(), Value::String(item.fields[*index].value().to_owned())))
                .collect();
            let text = Zeroizing::new(Value::Object(object).to_string());
            Decoded { value: SecretValue::text(text.as_str()), description, several_fields: true }
        }
    }
}

/// The fields of a value written as text into an item of `category`.
fn primary_field(category: &str, value: &str) -> Field {
    match category {
        "SECURE_NOTE" => Field::new(Some("notesPlain"), "STRING", Some("NOTES"), "notesPlain", value),
        "API_CREDENTIAL" => Field::new(Some("credential"), "CONCEALED", None, "credential", value),
        "LOGIN" | "PASSWORD" => Field::new(Some("password"), "CONCEALED", Some("PASSWORD"), "password", value),
        _ => Field::new(Some("password"), "CONCEALED", None, "password", value),
    }
}

/// The key/value pairs of a text that is a non-empty JSON object; `None` for any other text.
fn as_object(text: &str) -> Option<Vec<(String, Zeroizing<String>)>> {
    if !text.trim_start().starts_with('{') {
        return None;
    }
    let map: Map<String, Value> = serde_json::from_str(text).ok()?;
    if map.is_empty() {
        return None;
    }
    Some(
        map.into_iter()
            .map(|(key, value)| {
                let text = match value {
                    Value::String(s) => s,
                    Value::Null => String::new(),
                    other => other.to_string(),
                };
                (key, Zeroizing::new(text))
            })
            .collect(),
    )
}

/// The fields of an item of `category` holding `value`, built on the item's `existing` fields: its
/// notes (when a description) and empty fields stay, content fields are replaced.
pub fn encode(value: &SecretValue, category: &str, existing: &[Field]) -> Result<Vec<Field>, ProviderError> {
    let text = value.expose_text().ok_or_else(|| {
        ProviderError::InvalidArgument(
            "1Password fields hold text: store a binary value base64-encoded, as text".into(),
        )
    })?;
    let candidates = keyed(existing, |f| is_content(f, category));
    let mut used: Vec<usize> = Vec::new();
    let mut content = Vec::new();
    let mut place = |found: Option<usize>, fresh: Field, value: &str| {
        let mut field = match found {
            Some(index) => {
                used.push(index);
                existing[index].clone()
            }
            None => fresh,
        };
        field.value = Some(value.to_owned());
        field.rest.remove("entropy");
        content.push(field);
    };
    match as_object(text) {
        Some(pairs) => {
            for (key, value) in pairs {
                if key.is_empty() {
                    return Err(ProviderError::InvalidArgument("a JSON object value has an empty key".into()));
                }
                let found = candidates.iter().find(|(k, _)| *k == key).map(|(_, index)| *index);
                let fresh = if key == primary_field_id(category) {
                    primary_field(category, "")
                } else if key == "username" && category == "LOGIN" {
                    Field::new(Some("username"), "STRING", Some("USERNAME"), "username", "")
                } else {
                    Field::new(None, "CONCEALED", None, &key, "")
                };
                place(found, fresh, &value);
            }
        }
        None => {
            let found = existing.iter().position(|f| is_content(f, category) && is_primary(f, category));
            place(found, primary_field(category, ""), text);
        }
    }
    // Notes (when a description) and empty template fields are not part of the value: they stay.
    let kept = existing
        .iter()
        .enumerate()
        .filter(|(index, f)| !used.contains(index) && (!is_content(f, category) || f.value().is_empty()));
    Ok(kept.map(|(_, f)| f.clone()).chain(content).collect())
}

/// Sets the notes of a non-note item to `description` (adding the notes field when missing).
pub fn set_description(category: &str, fields: &mut Vec<Field>, description: &str) -> Result<(), ProviderError> {
    if category == "SECURE_NOTE" {
        return Err(ProviderError::InvalidArgument(
            "a secure note's notes are its value: it has no separate description".into(),
        ));
    }
    match fields.iter_mut().find(|f| f.is_notes()) {
        Some(notes) => notes.value = Some(description.to_owned()),
        None => fields.push(notes_field(description)),
    }
    Ok(())
}

/// A new notes field.
pub fn notes_field(description: &str) -> Field {
    Field::new(Some("notesPlain"), "STRING", Some("NOTES"), "notesPlain", description)
}

#[cfg(test)]
#[path = "value_tests.rs"]
mod tests;
