//! Options of the write, delete and list operations.

use crate::metadata::{SecretMetadata, Tags, Timestamp};
use crate::value::SecretValue;
use serde::{Deserialize, Serialize};

/// Options of `create`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct WriteOptions {
    /// Tags to attach.
    pub tags: Tags,
    /// Free-text description.
    pub description: Option<String>,
    /// When the secret stops being valid.
    pub expires_at: Option<Timestamp>,
    /// What the secret holds.
    pub secret_type: Option<String>,
    /// The encryption key the backend should use.
    pub kms_key_id: Option<String>,
    /// When the name exists, write a new version instead of failing.
    pub overwrite: bool,
    /// When the name is deleted but recoverable, restore it before writing.
    pub recover_deleted: bool,
}

/// Changes made by `update`; `None` and empty fields leave things as they are.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct UpdateRequest {
    /// A new value, written as a new version.
    pub value: Option<SecretValue>,
    /// A new description.
    pub description: Option<String>,
    /// A new expiry.
    pub expires_at: Option<Timestamp>,
    /// Enable or disable the secret.
    pub enabled: Option<bool>,
    /// A new encryption key.
    pub kms_key_id: Option<String>,
    /// Tags added or replaced.
    pub set_tags: Tags,
    /// Tag keys removed.
    pub remove_tags: Vec<String>,
}

/// How `delete` removes a secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DeleteMode {
    /// Recoverable deletion within a window of days, or the backend's default window.
    Recoverable(Option<u32>),
    /// Immediate, permanent deletion of every version.
    Force,
}

impl Default for DeleteMode {
    fn default() -> Self {
        Self::Recoverable(None)
    }
}

/// Filters and paging of `list`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct ListRequest {
    /// Only names starting with this.
    pub prefix: Option<String>,
    /// Only secrets carrying all these tags.
    pub tags: Tags,
    /// Also list deleted but recoverable secrets.
    pub include_deleted: bool,
    /// At most this many per page.
    pub page_size: Option<u32>,
    /// The `next_page` of the previous page.
    pub page_token: Option<String>,
}

impl ListRequest {
    /// Whether `metadata` passes the prefix, tag and deletion filters.
    pub fn matches(&self, metadata: &SecretMetadata) -> bool {
        let prefix_ok = self.prefix.as_deref().is_none_or(|prefix| metadata.name.starts_with(prefix));
        let tags_ok = self.tags.iter().all(|(key, value)| metadata.tags.get(key) == Some(value));
        let deleted_ok = self.include_deleted || metadata.deleted_at.is_none();
        prefix_ok && tags_ok && deleted_ok
    }
}

/// One page of `list`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ListPage {
    /// The secrets on this page.
    pub secrets: Vec<SecretMetadata>,
    /// Present when more pages follow.
    pub next_page: Option<String>,
}
