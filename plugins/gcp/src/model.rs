//! Secret Manager's JSON shapes (`Secret`, `SecretVersion`, `AccessSecretVersionResponse`, list
//! pages) and their conversion to the contract's metadata and values.
//!
//! Secret Manager has labels (the contract's tags) and annotations, but no description or type.
//! The plugin keeps them in two reserved annotations, `keyway-description` and
//! `keyway-secret-type`; other annotations are left as they are and not shown.

use crate::checksum::crc32c;
use base64::Engine;
use keyway_plugin_sdk::prelude::*;
use keyway_plugin_sdk::time::parse_rfc3339;
use serde::Deserialize;
use std::collections::BTreeMap;

/// The reserved annotation holding the description.
pub const ANNOTATION_DESCRIPTION: &str = "keyway-description";
/// The reserved annotation holding the secret type.
pub const ANNOTATION_TYPE: &str = "keyway-secret-type";

/// A `Secret` resource.
#[derive(Deserialize, Default, Clone)]
#[serde(default, rename_all = "camelCase")]
pub struct SecretResource {
    /// `projects/NUMBER[/locations/L]/secrets/ID`.
    pub name: String,
    /// RFC 3339.
    pub create_time: Option<String>,
    /// RFC 3339; the secret is deleted then.
    pub expire_time: Option<String>,
    /// Labels.
    pub labels: BTreeMap<String, String>,
    /// Annotations.
    pub annotations: BTreeMap<String, String>,
    /// Alias to version number (int64 as a JSON string or number).
    pub version_aliases: BTreeMap<String, serde_json::Value>,
    /// For optimistic concurrency.
    pub etag: Option<String>,
    /// Replication, with a customer-managed key for automatic replication.
    pub replication: serde_json::Value,
    /// A regional secret's customer-managed key.
    pub customer_managed_encryption: serde_json::Value,
}

/// A `SecretVersion` resource.
#[derive(Deserialize, Default, Clone)]
#[serde(default, rename_all = "camelCase")]
pub struct VersionResource {
    /// `…/secrets/ID/versions/N`.
    pub name: String,
    /// RFC 3339.
    pub create_time: Option<String>,
    /// RFC 3339, for destroyed versions.
    pub destroy_time: Option<String>,
    /// `ENABLED`, `DISABLED` or `DESTROYED`.
    pub state: String,
}

/// An answer to `:access`. No `Debug`: it holds the value.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct AccessResponse {
    /// `…/versions/N` (an alias or `latest` resolved to the number).
    pub name: String,
    /// The payload.
    pub payload: Payload,
}

/// A version's payload: base64 data and its CRC32C. No `Debug`: it holds the value.
#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
pub struct Payload {
    /// Standard base64.
    pub data: String,
    /// int64, as a JSON string (or number).
    pub data_crc32c: Option<serde_json::Value>,
}

/// A page of `secrets.list`.
#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
pub struct SecretPage {
    /// The secrets.
    pub secrets: Vec<SecretResource>,
    /// The next page, when there is one.
    pub next_page_token: Option<String>,
}

/// A page of `versions.list`.
#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
pub struct VersionPage {
    /// The versions.
    pub versions: Vec<VersionResource>,
    /// The next page, when there is one.
    pub next_page_token: Option<String>,
}

/// The last segment of a resource name.
pub fn last_segment(name: &str) -> &str {
    name.rsplit('/').next().unwrap_or(name)
}

fn as_u64(value: &serde_json::Value) -> Option<u64> {
    value.as_u64().or_else(|| value.as_str().and_then(|s| s.parse().ok()))
}

impl SecretResource {
    /// The secret id (the last segment of `name`).
    pub fn id(&self) -> &str {
        last_segment(&self.name)
    }

    /// The aliases pointing at version `number`, sorted.
    pub fn aliases_of(&self, number: &str) -> Vec<String> {
        self.version_aliases
            .iter()
            .filter(|(_, v)| as_u64(v).map(|n| n.to_string()).as_deref() == Some(number))
            .map(|(alias, _)| alias.clone())
            .collect()
    }

    /// The customer-managed key, when there is one.
    pub fn kms_key(&self) -> Option<String> {
        let pointers = ["/automatic/customerManagedEncryption/kmsKeyName"];
        pointers
            .iter()
            .find_map(|p| self.replication.pointer(p))
            .or_else(|| self.customer_managed_encryption.get("kmsKeyName"))
            .and_then(|k| k.as_str())
            .map(str::to_owned)
    }

    /// The contract's metadata of this secret, named `name`, without version details.
    pub fn metadata(&self, name: &str) -> SecretMetadata {
        SecretMetadata {
            name: name.to_owned(),
            created_at: self.create_time.as_deref().and_then(parse_rfc3339),
            expires_at: self.expire_time.as_deref().and_then(parse_rfc3339),
            enabled: true,
            tags: self.labels.clone(),
            description: self.annotations.get(ANNOTATION_DESCRIPTION).cloned(),
            secret_type: self.annotations.get(ANNOTATION_TYPE).cloned(),
            kms_key_id: self.kms_key(),
            ..SecretMetadata::default()
        }
    }

    /// Metadata of this secret at `version`.
    pub fn metadata_at(&self, name: &str, version: &VersionResource) -> SecretMetadata {
        let number = version.number().to_owned();
        SecretMetadata {
            version_labels: self.aliases_of(&number),
            version_id: Some(number),
            updated_at: version.create_time.as_deref().and_then(parse_rfc3339),
            enabled: version.state == "ENABLED",
            ..self.metadata(name)
        }
    }
}

impl VersionResource {
    /// The version number (the last segment of `name`).
    pub fn number(&self) -> &str {
        last_segment(&self.name)
    }

    /// The contract's version state: a disabled version is readable again once enabled, so it
    /// counts as deleted but recoverable.
    pub fn state(&self) -> VersionState {
        match self.state.as_str() {
            "DESTROYED" => VersionState::Destroyed,
            "DISABLED" => VersionState::Deleted,
            _ => VersionState::Active,
        }
    }
}

/// The payload of a new version: base64 data and its CRC32C.
pub fn payload_of(value: &SecretValue) -> serde_json::Value {
    let bytes = value.expose_bytes();
    let data = base64::engine::general_purpose::STANDARD.encode(bytes);
    serde_json::json!({ "payload": { "data": data, "dataCrc32c": crc32c(bytes).to_string() } })
}

impl Payload {
    /// Decodes and checks the payload: text when it is UTF-8, binary otherwise.
    pub fn into_value(self) -> Result<SecretValue> {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(self.data.trim())
            .map_err(|_| ProviderError::Other("Secret Manager answered with a payload that is not base64".into()))?;
        if let Some(expected) = self.data_crc32c.as_ref().and_then(as_u64) {
            if u64::from(crc32c(&bytes)) != expected {
                return Err(ProviderError::Unavailable(
                    "the payload read from Secret Manager fails its CRC32C checksum (damaged in transit); retry".into(),
                ));
            }
        }
        Ok(match String::from_utf8(bytes) {
            Ok(text) => SecretValue::text(text),
            Err(err) => SecretValue::binary(err.into_bytes()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_round_trip_with_their_checksum() {
        for value in [SecretValue::text("s3cret"), SecretValue::binary(vec![0u8, 0xff, 0xfe])] {
            let body = payload_of(&value);
            let payload: Payload = serde_json::from_value(body["payload"].clone()).expect("payload");
            assert_eq!(payload.into_value().ok(), Some(value));
        }
    }

    #[test]
    fn a_damaged_payload_is_refused() {
        let payload = Payload { data: "czNjcmV0".into(), data_crc32c: Some(serde_json::json!("1")) };
        let err = payload.into_value().expect_err("checksum");
        assert!(err.to_string().contains("CRC32C"), "{err}");
    }

    #[test]
    fn metadata_from_resources() {
        let secret: SecretResource = serde_json::from_value(serde_json::json!({
            "name": "projects/123/secrets/app-db",
            "createTime": "2024-01-01T00:00:00.5Z",
            "labels": {"team": "data"},
            "annotations": {"keyway-description": "db", "other": "x"},
            "versionAliases": {"prod": "2", "old": 1},
            "replication": {"automatic": {"customerManagedEncryption": {"kmsKeyName": "k"}}}
        }))
        .expect("secret");
        let version: VersionResource = serde_json::from_value(serde_json::json!({
            "name": "projects/123/secrets/app-db/versions/2", "state": "DISABLED",
            "createTime": "2024-01-02T00:00:00Z"
        }))
        .expect("version");
        let meta = secret.metadata_at("db", &version);
        assert_eq!(secret.id(), "app-db");
        assert_eq!(meta.version_id.as_deref(), Some("2"));
        assert_eq!(meta.version_labels, vec!["prod".to_owned()]);
        assert_eq!(meta.created_at, Some(1_704_067_200_500));
        assert_eq!(meta.updated_at, Some(1_704_153_600_000));
        assert!(!meta.enabled);
        assert_eq!(meta.description.as_deref(), Some("db"));
        assert_eq!(meta.kms_key_id.as_deref(), Some("k"));
        assert_eq!(version.state(), VersionState::Deleted);
    }
}
