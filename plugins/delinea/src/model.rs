//! Secret Server's JSON: search summaries, secrets with their items, pages; and their translation
//! to the contract's metadata.

use keyway_plugin_sdk::time::parse_iso8601_utc;
use keyway_plugin_sdk::SecretMetadata;
use serde::Deserialize;
use std::fmt;
use zeroize::Zeroizing;

/// One secret as a search lists it (no field values).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Summary {
    /// The secret's id.
    pub id: i64,
    /// Its name.
    pub name: String,
    /// Its folder (`-1` for none).
    #[serde(default)]
    pub folder_id: Option<i64>,
    /// Its template's name.
    #[serde(default)]
    pub secret_template_name: Option<String>,
    /// Whether it is active (not deleted).
    #[serde(default = "yes")]
    pub active: bool,
    /// When it was created.
    #[serde(default)]
    pub create_date: Option<String>,
}

fn yes() -> bool {
    true
}

impl Summary {
    /// The contract's metadata for the secret called `name`.
    pub fn metadata(&self, name: &str) -> SecretMetadata {
        let mut metadata = SecretMetadata::named(name);
        metadata.enabled = self.active;
        metadata.secret_type = self.secret_template_name.clone();
        metadata.created_at = self.create_date.as_deref().and_then(parse_iso8601_utc);
        metadata
    }
}

/// A page of a search.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Page<T> {
    /// The records.
    #[serde(default = "Vec::new")]
    pub records: Vec<T>,
    /// Whether more follow.
    #[serde(default)]
    pub has_next: bool,
    /// Where the next page starts.
    #[serde(default)]
    pub next_skip: Option<i64>,
}

/// One field of a secret. The value is wiped when dropped and never printed.
#[derive(Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Item {
    /// The field's slug.
    pub slug: String,
    /// The field's name.
    #[serde(default)]
    pub field_name: Option<String>,
    /// The value (for file fields a placeholder).
    #[serde(default)]
    pub item_value: Option<Zeroizing<String>>,
    /// Whether the field holds a file.
    #[serde(default)]
    pub is_file: bool,
    /// Whether the field is the template's notes.
    #[serde(default)]
    pub is_notes: bool,
    /// The attachment of a file field that has one.
    #[serde(default)]
    pub file_attachment_id: Option<i64>,
}

impl fmt::Debug for Item {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Item").field("slug", &self.slug).field("is_file", &self.is_file).finish_non_exhaustive()
    }
}

impl Item {
    /// The value's text, empty when there is none.
    pub fn text(&self) -> &str {
        self.item_value.as_deref().map(String::as_str).unwrap_or_default()
    }
}

/// A secret as `GET secrets/{id}` answers it.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SecretModel {
    /// The secret's id.
    pub id: i64,
    /// The secret's name.
    #[serde(default)]
    pub name: Option<String>,
    /// Whether it is active.
    #[serde(default = "yes")]
    pub active: bool,
    /// Its template's name.
    #[serde(default)]
    pub secret_template_name: Option<String>,
    /// Its fields.
    #[serde(default)]
    pub items: Vec<Item>,
}

impl SecretModel {
    /// The template's notes field, which holds the description.
    pub fn notes(&self) -> Option<&Item> {
        self.items.iter().find(|item| item.is_notes)
    }

    /// The field with this slug (compared without case).
    pub fn item(&self, slug: &str) -> Option<&Item> {
        self.items.iter().find(|item| item.slug.eq_ignore_ascii_case(slug))
    }

    /// The slugs of the fields, for messages.
    pub fn slugs(&self) -> String {
        self.items.iter().map(|item| item.slug.as_str()).collect::<Vec<_>>().join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_and_summaries() -> Result<(), serde_json::Error> {
        let model: SecretModel = serde_json::from_str(
            r#"{"id":7,"name":"db","active":true,"secretTemplateName":"Password","items":[
                {"itemId":1,"slug":"password","fieldName":"Password","itemValue":"hunter2-pass","isFile":false,"isNotes":false},
                {"itemId":2,"slug":"notes","itemValue":"about","isNotes":true,"fileAttachmentId":null}]}"#,
        )?;
        assert_eq!(model.item("PASSWORD").map(Item::text), Some("hunter2-pass"));
        assert_eq!(model.notes().map(Item::text), Some("about"));
        assert_eq!(model.slugs(), "password, notes");
        assert!(!format!("{model:?}").contains("hunter2"));
        let page: Page<Summary> = serde_json::from_str(
            r#"{"records":[{"id":7,"name":"db","folderId":3,"active":false,"createDate":"2024-05-01T10:00:00.5"}],
                "hasNext":true,"nextSkip":10,"total":11}"#,
        )?;
        let metadata = page.records[0].metadata("db");
        assert_eq!((metadata.enabled, metadata.created_at), (false, Some(1_714_557_600_500)));
        assert_eq!((page.has_next, page.next_skip), (true, Some(10)));
        Ok(())
    }
}
