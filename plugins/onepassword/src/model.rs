//! Connect's JSON: vaults, items (summaries and full items) and fields. Attributes the plugin does
//! not use (URLs, sections, files, favourites, …) are kept as they came, so an item written back with
//! `PUT` loses nothing. `Debug` never prints a field's value.

use keyway_plugin_sdk::time::parse_rfc3339;
use keyway_plugin_sdk::SecretMetadata;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::fmt;

/// A vault as `GET /v1/vaults` lists it.
#[derive(Debug, Clone, Deserialize)]
pub struct Vault {
    /// The vault's 26-character id.
    pub id: String,
    /// Its name.
    #[serde(default)]
    pub name: String,
}

/// The `vault` attribute of an item.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct VaultRef {
    /// The vault's id.
    pub id: String,
}

/// An item: a summary from a listing (no `fields`) or a full item.
#[derive(Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Item {
    /// The item's id; empty for an item not created yet.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub id: String,
    /// The title, which is the keyway secret name.
    #[serde(default)]
    pub title: String,
    /// The vault holding it.
    pub vault: VaultRef,
    /// `LOGIN`, `PASSWORD`, `API_CREDENTIAL`, `SECURE_NOTE`, …
    #[serde(default)]
    pub category: String,
    /// Tags; keyway writes `key=value` (or a bare key).
    #[serde(default)]
    pub tags: Vec<String>,
    /// Incremented by every change.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub version: u64,
    /// `ARCHIVED` or `DELETED` for items Connect should not serve.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    /// RFC 3339 creation time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<String>,
    /// RFC 3339 time of the last change.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<String>,
    /// The fields (absent from summaries).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<Field>,
    /// Everything else, written back unchanged.
    #[serde(flatten)]
    pub rest: Map<String, Value>,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

impl fmt::Debug for Item {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Item")
            .field("id", &self.id)
            .field("title", &self.title)
            .field("category", &self.category)
            .field("version", &self.version)
            .field("fields", &self.fields)
            .finish_non_exhaustive()
    }
}

impl Item {
    /// Whether Connect lists the item as live (not archived or deleted).
    pub fn is_live(&self) -> bool {
        self.state.is_none()
    }

    /// The metadata every item has, without what only its fields tell (description, value type).
    pub fn base_metadata(&self) -> SecretMetadata {
        let mut metadata = SecretMetadata::named(self.title.clone());
        metadata.version_id = (self.version > 0).then(|| self.version.to_string());
        metadata.created_at = self.created_at.as_deref().and_then(parse_rfc3339);
        metadata.updated_at = self.updated_at.as_deref().and_then(parse_rfc3339);
        metadata.tags = crate::tags::from_onepassword(&self.tags);
        metadata
    }
}

/// One field of an item.
#[derive(Clone, Default, Serialize, Deserialize)]
pub struct Field {
    /// The field's id (`password`, `username`, `credential`, `notesPlain`, or a generated one);
    /// left out of a new field so Connect assigns one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// `STRING`, `CONCEALED`, `URL`, …
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// `USERNAME`, `PASSWORD` or `NOTES`, for the fields 1Password fills in or shows specially.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purpose: Option<String>,
    /// The label shown in 1Password.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// The value (a secret).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// Everything else (`section`, `entropy`, …), written back unchanged.
    #[serde(flatten)]
    pub rest: Map<String, Value>,
}

impl fmt::Debug for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Field")
            .field("id", &self.id)
            .field("type", &self.kind)
            .field("purpose", &self.purpose)
            .field("label", &self.label)
            .field("value_len", &self.value.as_ref().map(String::len))
            .finish_non_exhaustive()
    }
}

impl Field {
    /// A new field.
    pub fn new(id: Option<&str>, kind: &str, purpose: Option<&str>, label: &str, value: &str) -> Self {
        Self {
            id: id.map(str::to_owned),
            kind: Some(kind.to_owned()),
            purpose: purpose.map(str::to_owned),
            label: Some(label.to_owned()),
            value: Some(value.to_owned()),
            rest: Map::new(),
        }
    }

    /// The purpose, empty when none.
    pub fn purpose(&self) -> &str {
        self.purpose.as_deref().unwrap_or("")
    }

    /// The value, empty when none.
    pub fn value(&self) -> &str {
        self.value.as_deref().unwrap_or("")
    }

    /// Whether this is the item's notes (shown as the description, or a secure note's content).
    pub fn is_notes(&self) -> bool {
        self.purpose() == "NOTES"
    }

    /// The key of this field in a JSON object value: its label, or its id when it has none.
    pub fn key(&self) -> &str {
        match self.label.as_deref() {
            Some(label) if !label.is_empty() => label,
            _ => self.id.as_deref().unwrap_or(""),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_attributes_survive_a_round_trip() -> Result<(), serde_json::Error> {
        let json = r#"{"id":"i","title":"t","vault":{"id":"v"},"category":"LOGIN","version":3,
            "urls":[{"href":"https://e"}],"sections":[{"id":"s"}],
            "fields":[{"id":"f","type":"CONCEALED","value":"pw","section":{"id":"s"},"entropy":10.5}]}"#;
        let item: Item = serde_json::from_str(json)?;
        let back = serde_json::to_value(&item)?;
        assert_eq!(back["urls"][0]["href"], "https://e");
        assert_eq!(back["fields"][0]["section"]["id"], "s");
        assert_eq!(back["version"], 3);
        Ok(())
    }

    #[test]
    fn debug_never_shows_values() -> Result<(), serde_json::Error> {
        let item: Item = serde_json::from_str(
            r#"{"title":"t","vault":{"id":"v"},"fields":[{"id":"password","value":"hunter2-secret"}]}"#,
        )?;
        let printed = format!("{item:?}");
        assert!(!printed.contains("hunter2-secret") && printed.contains("value_len"));
        Ok(())
    }
}
