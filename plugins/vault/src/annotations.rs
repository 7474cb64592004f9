//! A secret's tags, description, type and expiry, kept in KV version 2's
//! `custom_metadata` (string keys and values, shared by all versions).
//!
//! Tags are the custom metadata entries; description, type and expiry use the
//! reserved keys below, which are not shown as tags and cannot be set as tags.

use keyway_plugin_sdk::time::{format_rfc3339, parse_rfc3339};
use keyway_plugin_sdk::{ProviderError, Tags, Timestamp};
use std::collections::BTreeMap;

/// Reserved key holding the description.
pub const DESCRIPTION_KEY: &str = "keyway-description";
/// Reserved key holding the secret type.
pub const TYPE_KEY: &str = "keyway-type";
/// Reserved key holding the expiry (RFC 3339). Vault does not enforce it.
pub const EXPIRES_KEY: &str = "keyway-expires-at";

const RESERVED: [&str; 3] = [DESCRIPTION_KEY, TYPE_KEY, EXPIRES_KEY];

/// What keyway keeps in custom metadata.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Annotations {
    /// User tags.
    pub tags: Tags,
    /// Free-text description.
    pub description: Option<String>,
    /// The secret's type (`generic`, `key-value`, …).
    pub secret_type: Option<String>,
    /// When the secret stops being valid.
    pub expires_at: Option<Timestamp>,
}

impl Annotations {
    /// Reads the custom metadata of a secret (`null` when it has none).
    pub fn from_custom(custom: Option<&BTreeMap<String, String>>) -> Self {
        let mut annotations = Self::default();
        for (key, value) in custom.into_iter().flatten() {
            match key.as_str() {
                DESCRIPTION_KEY => annotations.description = Some(value.clone()),
                TYPE_KEY => annotations.secret_type = Some(value.clone()),
                EXPIRES_KEY => annotations.expires_at = parse_rfc3339(value),
                _ => {
                    annotations.tags.insert(key.clone(), value.clone());
                }
            }
        }
        annotations
    }

    /// The custom metadata map to write.
    pub fn to_custom(&self) -> BTreeMap<String, String> {
        let mut custom = self.tags.clone();
        if let Some(description) = &self.description {
            custom.insert(DESCRIPTION_KEY.into(), description.clone());
        }
        if let Some(secret_type) = &self.secret_type {
            custom.insert(TYPE_KEY.into(), secret_type.clone());
        }
        if let Some(expires_at) = self.expires_at {
            custom.insert(EXPIRES_KEY.into(), format_rfc3339(expires_at));
        }
        custom
    }
}

/// Rejects tags that use a reserved key or that Vault would refuse, before anything is written.
pub fn check_tags<'a>(keys: impl IntoIterator<Item = &'a String>) -> Result<(), ProviderError> {
    for key in keys {
        if RESERVED.contains(&key.as_str()) {
            return Err(ProviderError::InvalidArgument(format!(
                "tag '{key}' is reserved: the plugin keeps the description, type and expiry under it"
            )));
        }
        if key.is_empty() || key.len() > 128 {
            return Err(ProviderError::InvalidArgument(format!(
                "tag key '{}' must have 1 to 128 bytes for Vault's custom metadata",
                key.escape_debug()
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_through_custom_metadata() {
        let annotations = Annotations {
            tags: Tags::from([("team".into(), "data".into())]),
            description: Some("db password".into()),
            secret_type: Some("basic-auth".into()),
            expires_at: Some(1_709_204_400_500),
        };
        let custom = annotations.to_custom();
        assert_eq!(custom.get("team").map(String::as_str), Some("data"));
        assert_eq!(custom.get(EXPIRES_KEY).map(String::as_str), Some("2024-02-29T11:00:00.500Z"));
        assert_eq!(Annotations::from_custom(Some(&custom)), annotations);
        assert_eq!(Annotations::from_custom(None), Annotations::default());
    }

    #[test]
    fn reserved_keys_are_not_tags() {
        assert!(check_tags([&"team".to_owned()]).is_ok());
        assert!(check_tags([&DESCRIPTION_KEY.to_owned()]).is_err());
        assert!(check_tags([&String::new()]).is_err());
    }
}
