//! Metadata, version selection and version listings.

use crate::value::SecretValue;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

/// Milliseconds since the Unix epoch, UTC.
pub type Timestamp = u64;

/// User-defined tags, sorted by key.
pub type Tags = BTreeMap<String, String>;

/// Which version of a secret an operation addresses.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum VersionSelector {
    /// The current version.
    #[default]
    Latest,
    /// A backend version id.
    Id(String),
    /// A version label or stage, such as `AWSPREVIOUS`.
    Label(String),
}

impl fmt::Display for VersionSelector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Latest => f.write_str("latest"),
            Self::Id(id) => write!(f, "version={id}"),
            Self::Label(label) => write!(f, "label={label}"),
        }
    }
}

/// Everything known about a secret except its value.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct SecretMetadata {
    /// The secret's name as the caller sees it.
    pub name: String,
    /// The version this metadata describes.
    pub version_id: Option<String>,
    /// Labels or stages attached to that version.
    pub version_labels: Vec<String>,
    /// When the secret was created.
    pub created_at: Option<Timestamp>,
    /// When the secret or this version last changed.
    pub updated_at: Option<Timestamp>,
    /// When the secret stops being valid.
    pub expires_at: Option<Timestamp>,
    /// Before this time the secret must not be used.
    pub not_before: Option<Timestamp>,
    /// Whether applications may use the secret.
    pub enabled: bool,
    /// User-defined tags.
    pub tags: Tags,
    /// Free-text description.
    pub description: Option<String>,
    /// What the secret holds (`generic`, `key-value`, `basic-auth`, … or a content type).
    pub secret_type: Option<String>,
    /// The encryption key the backend uses.
    pub kms_key_id: Option<String>,
    /// Set when the secret is deleted but recoverable.
    pub deleted_at: Option<Timestamp>,
    /// When a recoverable deletion becomes permanent.
    pub purge_at: Option<Timestamp>,
}

impl SecretMetadata {
    /// Metadata carrying only a name, enabled.
    pub fn named(name: impl Into<String>) -> Self {
        Self { name: name.into(), enabled: true, ..Self::default() }
    }
}

/// A secret value with its metadata. `Debug` redacts the value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Secret {
    /// The content.
    pub value: SecretValue,
    /// Everything else.
    pub metadata: SecretMetadata,
}

/// The lifecycle state of one version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum VersionState {
    /// Readable.
    Active,
    /// Deleted, recoverable.
    Deleted,
    /// Gone for good.
    Destroyed,
}

/// One version of a secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VersionInfo {
    /// The backend's version id.
    pub version_id: String,
    /// Labels or stages on this version.
    pub labels: Vec<String>,
    /// When the version was written.
    pub created_at: Option<Timestamp>,
    /// Its lifecycle state.
    pub state: VersionState,
}
