//! What the store keeps about a secret: its attributes and version list (the
//! encrypted `meta` file) and each version's value (one encrypted file each).

use crate::error::{StoreError, StoreResult};
use keyway_plugin_sdk::{
    SecretMetadata, SecretValue, Tags, Timestamp, VersionInfo, VersionSelector, VersionState, WriteOptions,
};
use serde::{Deserialize, Serialize};
use std::path::Path;
use zeroize::Zeroizing;

/// The label of a secret's current version.
pub const CURRENT: &str = "current";
/// The label of the version before the current one.
pub const PREVIOUS: &str = "previous";

/// Associated data of a secret's `meta` file: binds it to the name.
pub fn meta_aad(name: &str) -> Vec<u8> {
    [b"keyway-local/meta\0".as_slice(), name.as_bytes()].concat()
}

/// Associated data of a version's value file: binds it to the name and version id.
pub fn value_aad(name: &str, version_id: &str) -> Vec<u8> {
    [b"keyway-local/value\0".as_slice(), name.as_bytes(), b"\0", version_id.as_bytes()].concat()
}

/// One version as recorded in the `meta` file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VersionRecord {
    /// The version id, `v<sequence>-<random hex>`.
    pub id: String,
    /// Labels on this version (`current`, `previous`, or others).
    pub labels: Vec<String>,
    /// When it was written.
    pub created_at: Timestamp,
}

/// Everything about a secret except its values: the plaintext of `meta`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SecretRecord {
    /// The secret's name.
    pub name: String,
    /// When the secret was created.
    pub created_at: Timestamp,
    /// When its value or attributes last changed.
    pub updated_at: Timestamp,
    /// When it stops being valid.
    pub expires_at: Option<Timestamp>,
    /// Whether applications may use it.
    pub enabled: bool,
    /// User tags.
    pub tags: Tags,
    /// Free text.
    pub description: Option<String>,
    /// What it holds (`generic`, `key-value`, …).
    pub secret_type: Option<String>,
    /// When it was deleted, while recoverable.
    pub deleted_at: Option<Timestamp>,
    /// When the deletion becomes permanent.
    pub purge_at: Option<Timestamp>,
    /// The sequence number of the next version.
    pub next_version: u64,
    /// Versions, oldest first.
    pub versions: Vec<VersionRecord>,
    /// The number of changes acknowledged so far (the ledger's record of it must not be newer); 0 in
    /// files written before generations were kept.
    #[serde(default)]
    pub generation: u64,
}

impl SecretRecord {
    /// A new secret without versions yet, from `create`'s options.
    pub fn new(name: &str, now: Timestamp, options: &WriteOptions) -> Self {
        Self {
            name: name.to_owned(),
            created_at: now,
            updated_at: now,
            expires_at: options.expires_at,
            enabled: true,
            tags: options.tags.clone(),
            description: options.description.clone(),
            secret_type: options.secret_type.clone(),
            deleted_at: None,
            purge_at: None,
            next_version: 1,
            versions: Vec::new(),
            generation: 0,
        }
    }

    /// Whether a recoverable deletion has become permanent at `now`.
    pub fn is_purged(&self, now: Timestamp) -> bool {
        self.purge_at.is_some_and(|purge_at| purge_at <= now)
    }

    /// The version a selector addresses.
    pub fn find(&self, selector: &VersionSelector) -> Option<&VersionRecord> {
        match selector {
            VersionSelector::Latest => self.find_label(CURRENT),
            VersionSelector::Id(id) => self.versions.iter().find(|v| &v.id == id),
            VersionSelector::Label(label) => self.find_label(label),
        }
    }

    fn find_label(&self, label: &str) -> Option<&VersionRecord> {
        self.versions.iter().rev().find(|v| v.labels.iter().any(|l| l == label))
    }

    /// Appends a version labelled `current`; the old current one becomes
    /// `previous`, the old previous one loses that label. Other labels stay
    /// where they are. Returns the new version's id.
    pub fn add_version(&mut self, now: Timestamp, random_suffix: &str) -> String {
        for version in &mut self.versions {
            let was_current = version.labels.iter().any(|l| l == CURRENT);
            version.labels.retain(|l| l != CURRENT && l != PREVIOUS);
            if was_current {
                version.labels.insert(0, PREVIOUS.to_owned());
            }
        }
        let id = format!("v{}-{random_suffix}", self.next_version);
        self.next_version += 1;
        self.versions.push(VersionRecord { id: id.clone(), labels: vec![CURRENT.to_owned()], created_at: now });
        self.updated_at = now;
        id
    }

    /// The contract's metadata, describing `version` (normally the current one).
    pub fn metadata(&self, version: Option<&VersionRecord>) -> SecretMetadata {
        SecretMetadata {
            name: self.name.clone(),
            version_id: version.map(|v| v.id.clone()),
            version_labels: version.map(|v| v.labels.clone()).unwrap_or_default(),
            created_at: Some(self.created_at),
            updated_at: Some(self.updated_at),
            expires_at: self.expires_at,
            not_before: None,
            enabled: self.enabled,
            tags: self.tags.clone(),
            description: self.description.clone(),
            secret_type: self.secret_type.clone(),
            kms_key_id: None,
            deleted_at: self.deleted_at,
            purge_at: self.purge_at,
        }
    }

    /// The contract's version list, newest first.
    pub fn version_infos(&self) -> Vec<VersionInfo> {
        let state = if self.deleted_at.is_some() { VersionState::Deleted } else { VersionState::Active };
        self.versions
            .iter()
            .rev()
            .map(|v| VersionInfo {
                version_id: v.id.clone(),
                labels: v.labels.clone(),
                created_at: Some(v.created_at),
                state,
            })
            .collect()
    }
}

/// The plaintext of a value file: a kind byte (`t` text, `b` binary) and the bytes.
pub fn encode_value(value: &SecretValue) -> Zeroizing<Vec<u8>> {
    let kind = if value.is_binary() { b'b' } else { b't' };
    let mut bytes = Zeroizing::new(Vec::with_capacity(value.len() + 1));
    bytes.push(kind);
    bytes.extend_from_slice(value.expose_bytes());
    bytes
}

/// Reads the plaintext of a value file back.
pub fn decode_value(plaintext: &[u8], file: &Path) -> StoreResult<SecretValue> {
    match plaintext.split_first() {
        Some((b'b', bytes)) => Ok(SecretValue::binary(bytes.to_vec())),
        Some((b't', bytes)) => std::str::from_utf8(bytes)
            .map(SecretValue::text)
            .map_err(|_| StoreError::corrupted(file, "its text value is not UTF-8")),
        _ => Err(StoreError::corrupted(file, "its value has an unknown kind")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record_with_versions(count: usize) -> SecretRecord {
        let mut record = SecretRecord::new("s", 1, &WriteOptions::default());
        for i in 0..count {
            record.add_version(10 + i as u64, "abcd");
        }
        record
    }

    #[test]
    fn labels_move_as_versions_are_added() {
        let mut record = record_with_versions(3);
        record.versions[0].labels.push("golden".into());
        let ids: Vec<&str> = record.versions.iter().map(|v| v.id.as_str()).collect();
        assert_eq!(ids, ["v1-abcd", "v2-abcd", "v3-abcd"]);
        assert_eq!(record.find(&VersionSelector::Latest).map(|v| v.id.as_str()), Some("v3-abcd"));
        assert_eq!(record.find(&VersionSelector::Label(PREVIOUS.into())).map(|v| v.id.as_str()), Some("v2-abcd"));
        assert_eq!(record.find(&VersionSelector::Label("golden".into())).map(|v| v.id.as_str()), Some("v1-abcd"));
        record.add_version(20, "ef01");
        assert_eq!(record.find(&VersionSelector::Label(PREVIOUS.into())).map(|v| v.id.as_str()), Some("v3-abcd"));
        assert_eq!(record.versions[1].labels, Vec::<String>::new());
        assert_eq!(record.versions[0].labels, vec!["golden".to_owned()], "custom labels stay on their version");
        assert_eq!(record.updated_at, 20);
    }

    #[test]
    fn version_infos_are_newest_first_and_follow_deletion() {
        let mut record = record_with_versions(2);
        let infos = record.version_infos();
        assert_eq!(infos[0].labels, vec![CURRENT.to_owned()]);
        assert_eq!(infos[1].labels, vec![PREVIOUS.to_owned()]);
        assert!(infos.iter().all(|v| v.state == VersionState::Active));
        record.deleted_at = Some(50);
        assert!(record.version_infos().iter().all(|v| v.state == VersionState::Deleted));
    }

    #[test]
    fn values_keep_their_kind() {
        let file = Path::new("v");
        let text = SecretValue::text("päss");
        assert_eq!(decode_value(&encode_value(&text), file).expect("text"), text);
        let binary = SecretValue::binary(vec![0u8, 255, b't']);
        assert_eq!(decode_value(&encode_value(&binary), file).expect("binary"), binary);
        assert!(decode_value(b"", file).is_err());
        assert!(decode_value(b"t\xff\xfe", file).is_err());
    }

    #[test]
    fn associated_data_separates_names_and_versions() {
        assert_ne!(value_aad("a", "v1-x"), value_aad("a", "v2-x"));
        assert_ne!(value_aad("a/b", "v1-x"), value_aad("a", "b\0v1-x"));
        assert_ne!(meta_aad("a"), value_aad("a", ""));
    }
}
