//! The JSON Vault's KV version 2 endpoints answer with, and its translation
//! into the contract's metadata and version states.

use crate::annotations::Annotations;
use keyway_plugin_sdk::time::parse_rfc3339;
use keyway_plugin_sdk::{SecretMetadata, Timestamp, VersionInfo, VersionState};
use serde::Deserialize;
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// Vault's response envelope: the payload is under `data`.
#[derive(Deserialize)]
pub struct Envelope<T> {
    /// The payload; absent on some error answers.
    pub data: Option<T>,
}

/// `GET <mount>/metadata/<name>`: the secret and all its versions.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct SecretRecord {
    /// When the secret was first written.
    pub created_time: String,
    /// When the secret last changed.
    pub updated_time: String,
    /// The newest version; 0 when none was ever written.
    pub current_version: u64,
    /// Custom metadata (tags and keyway's annotations).
    pub custom_metadata: Option<BTreeMap<String, String>>,
    /// Every version Vault still remembers, by number.
    pub versions: BTreeMap<String, VersionRecord>,
}

/// One entry of `versions` in a metadata answer.
#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub struct VersionRecord {
    /// When the version was written.
    pub created_time: String,
    /// When the version was (or will be) soft-deleted; empty when never.
    pub deletion_time: String,
    /// Whether the version's data is gone for good.
    pub destroyed: bool,
}

impl VersionRecord {
    /// The version's state at `now`. A deletion time in the future (from
    /// `delete_version_after`) leaves the version active until then.
    pub fn state(&self, now: Timestamp) -> VersionState {
        if self.destroyed {
            VersionState::Destroyed
        } else if self.deleted_at(now).is_some() {
            VersionState::Deleted
        } else {
            VersionState::Active
        }
    }

    /// When the version was soft-deleted, if that has happened.
    pub fn deleted_at(&self, now: Timestamp) -> Option<Timestamp> {
        parse_rfc3339(&self.deletion_time).filter(|at| *at <= now)
    }

    /// A deletion Vault has scheduled for later.
    pub fn scheduled_deletion(&self, now: Timestamp) -> Option<Timestamp> {
        parse_rfc3339(&self.deletion_time).filter(|at| *at > now)
    }
}

/// `GET <mount>/data/<name>`: one version's fields and its metadata. On a
/// deleted or destroyed version Vault answers 404 with `data` null.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct DataRecord {
    /// The fields.
    pub data: Option<Map<String, Value>>,
    /// The version's metadata.
    pub metadata: Option<WrittenVersion>,
}

/// The metadata of one version, as a data read or a write returns it.
#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub struct WrittenVersion {
    /// When the version was written.
    pub created_time: String,
    /// When it was (or will be) soft-deleted; empty when never.
    pub deletion_time: String,
    /// Whether its data is gone for good.
    pub destroyed: bool,
    /// The version number.
    pub version: u64,
    /// The secret's custom metadata (Vault 1.9 and later, OpenBao).
    pub custom_metadata: Option<BTreeMap<String, String>>,
}

impl WrittenVersion {
    /// The version's lifecycle record.
    pub fn record(&self) -> VersionRecord {
        VersionRecord {
            created_time: self.created_time.clone(),
            deletion_time: self.deletion_time.clone(),
            destroyed: self.destroyed,
        }
    }

    /// The contract's metadata of this version, from what a read or write returned.
    pub fn metadata(&self, name: &str, now: Timestamp) -> SecretMetadata {
        let created = parse_rfc3339(&self.created_time);
        describe(name, self.version, &self.record(), created, self.custom_metadata.as_ref(), now)
    }
}

impl SecretRecord {
    /// The record of version `version`.
    pub fn version(&self, version: u64) -> Option<&VersionRecord> {
        self.versions.get(&version.to_string())
    }

    /// The record of the current version, when there is one.
    pub fn current(&self) -> Option<&VersionRecord> {
        self.version(self.current_version)
    }

    /// The contract's metadata of `version`, or `None` when Vault has no such version.
    pub fn metadata(&self, name: &str, version: u64, now: Timestamp) -> Option<SecretMetadata> {
        let record = self.version(version)?;
        let updated = if version == self.current_version {
            parse_rfc3339(&self.updated_time)
        } else {
            parse_rfc3339(&record.created_time)
        };
        Some(describe(name, version, record, updated, self.custom_metadata.as_ref(), now))
    }

    /// Every version, newest first.
    pub fn version_list(&self, now: Timestamp) -> Vec<VersionInfo> {
        let mut versions: Vec<(u64, &VersionRecord)> =
            self.versions.iter().filter_map(|(id, record)| id.parse().ok().map(|id: u64| (id, record))).collect();
        versions.sort_by_key(|v| std::cmp::Reverse(v.0));
        versions
            .into_iter()
            .map(|(id, record)| VersionInfo {
                version_id: id.to_string(),
                labels: Vec::new(),
                created_at: parse_rfc3339(&record.created_time),
                state: record.state(now),
            })
            .collect()
    }
}

/// Metadata of one version: `created_at` is when that version was written
/// (as for AWS Secrets Manager's versions), `updated_at` when the secret last changed.
fn describe(
    name: &str,
    version: u64,
    record: &VersionRecord,
    updated: Option<Timestamp>,
    custom: Option<&BTreeMap<String, String>>,
    now: Timestamp,
) -> SecretMetadata {
    let annotations = Annotations::from_custom(custom);
    let deleted_at = match record.state(now) {
        VersionState::Active => None,
        VersionState::Deleted => record.deleted_at(now),
        VersionState::Destroyed => record.deleted_at(now).or(updated).or(Some(now)),
    };
    SecretMetadata {
        name: name.to_owned(),
        version_id: Some(version.to_string()),
        created_at: parse_rfc3339(&record.created_time),
        updated_at: updated.or_else(|| parse_rfc3339(&record.created_time)),
        expires_at: annotations.expires_at.or_else(|| record.scheduled_deletion(now)),
        enabled: true,
        tags: annotations.tags,
        description: annotations.description,
        secret_type: annotations.secret_type,
        deleted_at,
        ..SecretMetadata::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const METADATA: &str = r#"{"created_time":"2024-01-01T00:00:00Z","updated_time":"2024-01-03T00:00:00Z",
        "current_version":3,"custom_metadata":{"team":"data","keyway-description":"db"},
        "versions":{"1":{"created_time":"2024-01-01T00:00:00Z","deletion_time":"","destroyed":true},
        "2":{"created_time":"2024-01-02T00:00:00Z","deletion_time":"2024-01-02T12:00:00Z","destroyed":false},
        "3":{"created_time":"2024-01-03T00:00:00Z","deletion_time":"2099-01-01T00:00:00Z","destroyed":false}}}"#;

    #[test]
    fn versions_and_states() -> Result<(), serde_json::Error> {
        let record: SecretRecord = serde_json::from_str(METADATA)?;
        let now = 1_800_000_000_000;
        let versions = record.version_list(now);
        let states: Vec<(&str, VersionState)> = versions.iter().map(|v| (v.version_id.as_str(), v.state)).collect();
        assert_eq!(states, [("3", VersionState::Active), ("2", VersionState::Deleted), ("1", VersionState::Destroyed)]);
        let current = record.metadata("app/db", 3, now);
        let current = current.as_ref();
        assert_eq!(current.and_then(|m| m.version_id.as_deref()), Some("3"));
        assert_eq!(current.and_then(|m| m.description.as_deref()), Some("db"));
        assert_eq!(current.map(|m| m.tags.len()), Some(1));
        assert_eq!(current.and_then(|m| m.expires_at), parse_rfc3339("2099-01-01T00:00:00Z"));
        assert_eq!(current.and_then(|m| m.deleted_at), None);
        assert!(record.metadata("app/db", 2, now).and_then(|m| m.deleted_at).is_some());
        assert!(record.metadata("app/db", 9, now).is_none());
        Ok(())
    }
}
