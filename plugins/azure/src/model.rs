//! Key Vault's JSON shapes and their conversion to the contract's metadata.
//!
//! Key Vault has no description field and stores only text. The plugin keeps two reserved
//! tags, hidden from the caller: `keyway-description` (the contract's description) and
//! `keyway-encoding = base64` (a binary value, stored base64-encoded). Key Vault keeps tags,
//! content type and attributes per version; the plugin carries them over to every new version
//! so that they behave as attributes of the secret.

use crate::names;
use keyway_plugin_sdk::prelude::*;
use serde::Deserialize;
use std::collections::BTreeMap;

/// The reserved tag holding the description.
pub const TAG_DESCRIPTION: &str = "keyway-description";
/// The reserved tag marking a base64-encoded binary value.
pub const TAG_ENCODING: &str = "keyway-encoding";
/// Key Vault's limit of a tag value.
pub const MAX_TAG_VALUE: usize = 256;

/// `attributes` of secrets, versions and deleted secrets (times in Unix seconds).
#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub struct Attributes {
    /// Whether the version may be read.
    pub enabled: Option<bool>,
    /// Not before.
    pub nbf: Option<i64>,
    /// Expiry.
    pub exp: Option<i64>,
    /// Creation.
    pub created: Option<i64>,
    /// Last change.
    pub updated: Option<i64>,
}

/// `SecretBundle`, `SecretItem` and their deleted forms: every field optional. No `Debug`:
/// it can hold the value.
#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
pub struct Bundle {
    /// The value (only in `SecretBundle` answers to get and set).
    pub value: Option<String>,
    /// `https://VAULT/secrets/NAME[/VERSION]` (or `/deletedsecrets/NAME`).
    pub id: String,
    /// The content type, the contract's `secret-type`.
    pub content_type: Option<String>,
    /// Attributes of this version.
    pub attributes: Attributes,
    /// Tags of this version.
    pub tags: Option<BTreeMap<String, String>>,
    /// When it was deleted (deleted secrets).
    pub deleted_date: Option<i64>,
    /// When the deletion becomes permanent (deleted secrets).
    pub scheduled_purge_date: Option<i64>,
}

/// One page of a list answer.
#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
pub struct Page {
    /// The items.
    pub value: Vec<Bundle>,
    /// The next page's absolute URL.
    pub next_link: Option<String>,
}

fn ms(seconds: Option<i64>) -> Option<Timestamp> {
    seconds.and_then(|s| u64::try_from(s).ok()).map(|s| s * 1000)
}

/// Seconds of a millisecond timestamp, as Key Vault's attributes take them.
pub fn seconds(ms: Timestamp) -> i64 {
    i64::try_from(ms / 1000).unwrap_or(i64::MAX)
}

impl Bundle {
    /// The Key Vault name and version in `id`.
    pub fn name_and_version(&self) -> (String, Option<String>) {
        let path = self.id.split("://").nth(1).unwrap_or(&self.id);
        let mut segments = path.split('/').skip(1);
        let _collection = segments.next();
        let name = segments.next().unwrap_or_default().to_owned();
        let version = segments.next().filter(|v| !v.is_empty()).map(str::to_owned);
        (name, version)
    }

    /// The tags without the reserved ones.
    pub fn user_tags(&self) -> Tags {
        let mut tags: Tags = self.tags.clone().unwrap_or_default();
        tags.remove(TAG_DESCRIPTION);
        tags.remove(TAG_ENCODING);
        tags
    }

    /// Whether the value is stored base64-encoded.
    pub fn is_binary(&self) -> bool {
        self.tags.as_ref().and_then(|t| t.get(TAG_ENCODING)).is_some_and(|e| e == "base64")
    }

    /// The contract's metadata, named with `name` (the caller's name, without prefix).
    pub fn metadata(&self, name: &str) -> SecretMetadata {
        let (_, version) = self.name_and_version();
        let a = &self.attributes;
        SecretMetadata {
            name: name.to_owned(),
            version_id: version,
            version_labels: Vec::new(),
            created_at: ms(a.created),
            updated_at: ms(a.updated),
            expires_at: ms(a.exp),
            not_before: ms(a.nbf),
            enabled: a.enabled.unwrap_or(true),
            tags: self.user_tags(),
            description: self.tags.as_ref().and_then(|t| t.get(TAG_DESCRIPTION)).cloned(),
            secret_type: self.content_type.clone(),
            kms_key_id: None,
            deleted_at: ms(self.deleted_date),
            purge_at: ms(self.scheduled_purge_date),
        }
    }

    /// The caller's name of this item, when it carries the manager's prefix.
    pub fn caller_name(&self, prefix: &str) -> Option<String> {
        let (vault_name, _) = self.name_and_version();
        names::strip_prefix(prefix, &vault_name).map(str::to_owned)
    }

    /// Takes the value out, decoded: base64 for binary values.
    pub fn take_value(&mut self) -> Result<SecretValue> {
        let text =
            self.value.take().ok_or_else(|| ProviderError::Other("Key Vault answered without a value".into()))?;
        if self.is_binary() {
            SecretValue::from_base64(&text).map_err(|_| {
                ProviderError::Other("the secret is tagged as base64 binary, but its value is not base64".into())
            })
        } else {
            Ok(SecretValue::Text(text.into()))
        }
    }
}

/// What a new version or an attribute update carries besides the value.
#[derive(Default, Clone)]
pub struct Draft {
    /// Content type.
    pub content_type: Option<String>,
    /// User tags.
    pub tags: Tags,
    /// Description, kept in a reserved tag.
    pub description: Option<String>,
    /// Enabled flag.
    pub enabled: Option<bool>,
    /// Not before, seconds.
    pub nbf: Option<i64>,
    /// Expiry, seconds.
    pub exp: Option<i64>,
}

impl Draft {
    /// The draft of an existing version: what a new version inherits.
    pub fn from_bundle(bundle: &Bundle) -> Self {
        Self {
            content_type: bundle.content_type.clone(),
            tags: bundle.user_tags(),
            description: bundle.tags.as_ref().and_then(|t| t.get(TAG_DESCRIPTION)).cloned(),
            enabled: bundle.attributes.enabled,
            nbf: bundle.attributes.nbf,
            exp: bundle.attributes.exp,
        }
    }

    /// Rejects user tags that collide with the reserved ones, and over-long descriptions.
    pub fn check(&self) -> Result<()> {
        if let Some(key) = self.tags.keys().find(|k| k.as_str() == TAG_DESCRIPTION || k.as_str() == TAG_ENCODING) {
            return Err(ProviderError::InvalidArgument(format!("tag '{key}' is reserved by keyway")));
        }
        if self.description.as_ref().is_some_and(|d| d.chars().count() > MAX_TAG_VALUE) {
            return Err(ProviderError::InvalidArgument(format!(
                "the description is longer than {MAX_TAG_VALUE} characters, the most a Key Vault tag holds"
            )));
        }
        Ok(())
    }

    fn wire_tags(&self, binary: bool) -> Tags {
        let mut tags = self.tags.clone();
        if let Some(description) = &self.description {
            tags.insert(TAG_DESCRIPTION.into(), description.clone());
        }
        if binary {
            tags.insert(TAG_ENCODING.into(), "base64".into());
        }
        tags
    }

    fn attributes(&self) -> serde_json::Value {
        let mut attributes = serde_json::Map::new();
        if let Some(enabled) = self.enabled {
            attributes.insert("enabled".into(), enabled.into());
        }
        if let Some(nbf) = self.nbf {
            attributes.insert("nbf".into(), nbf.into());
        }
        if let Some(exp) = self.exp {
            attributes.insert("exp".into(), exp.into());
        }
        attributes.into()
    }

    /// The body of `PUT /secrets/NAME`: a new version holding `value`.
    pub fn set_body(&self, value: &SecretValue) -> serde_json::Value {
        let mut body = serde_json::Map::new();
        body.insert("value".into(), value.to_text_or_base64().as_str().into());
        if let Some(content_type) = &self.content_type {
            body.insert("contentType".into(), content_type.as_str().into());
        }
        body.insert("attributes".into(), self.attributes());
        body.insert("tags".into(), serde_json::to_value(self.wire_tags(value.is_binary())).unwrap_or_default());
        body.into()
    }

    /// The body of `PATCH /secrets/NAME/VERSION`, keeping the version's encoding tag.
    pub fn update_body(&self, binary: bool) -> serde_json::Value {
        let mut body = serde_json::Map::new();
        if let Some(content_type) = &self.content_type {
            body.insert("contentType".into(), content_type.as_str().into());
        }
        body.insert("attributes".into(), self.attributes());
        body.insert("tags".into(), serde_json::to_value(self.wire_tags(binary)).unwrap_or_default());
        body.into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bundle(json: serde_json::Value) -> Bundle {
        serde_json::from_value(json).expect("bundle")
    }

    #[test]
    fn ids_give_name_and_version() {
        let b = bundle(
            serde_json::json!({"id": "https://kv.vault.azure.net/secrets/app-db/0123456789abcdef0123456789abcdef"}),
        );
        assert_eq!(b.name_and_version(), ("app-db".into(), Some("0123456789abcdef0123456789abcdef".into())));
        let b = bundle(serde_json::json!({"id": "http://127.0.0.1:5000/deletedsecrets/x"}));
        assert_eq!(b.name_and_version(), ("x".into(), None));
        assert_eq!(b.caller_name(""), Some("x".into()));
    }

    #[test]
    fn reserved_tags_carry_description_and_encoding() {
        let draft =
            Draft { description: Some("d".into()), tags: Tags::from([("t".into(), "v".into())]), ..Draft::default() };
        let body = draft.set_body(&SecretValue::binary(vec![0u8, 255]));
        assert_eq!(body["value"], "AP8=");
        assert_eq!(body["tags"]["keyway-encoding"], "base64");
        let mut stored =
            bundle(serde_json::json!({"id": "https://kv/secrets/n/v", "value": "AP8=", "tags": body["tags"],
            "attributes": {"created": 1700000000, "exp": 1800000000}}));
        let meta = stored.metadata("n");
        assert_eq!(meta.description.as_deref(), Some("d"));
        assert_eq!(meta.tags, Tags::from([("t".into(), "v".into())]));
        assert_eq!(meta.created_at, Some(1_700_000_000_000));
        assert_eq!(meta.expires_at, Some(1_800_000_000_000));
        assert!(meta.enabled);
        assert_eq!(stored.take_value().ok(), Some(SecretValue::binary(vec![0u8, 255])));
    }

    #[test]
    fn reserved_tags_are_refused_from_callers() {
        let draft = Draft { tags: Tags::from([(TAG_ENCODING.into(), "x".into())]), ..Draft::default() };
        assert!(draft.check().is_err());
    }
}
