//! The answer of `GET /v1/secrets/...`, written straight from the secret into the response body: no JSON
//! tree holding the value is built (and none has to be wiped). Keys come in the order serde_json gives a
//! tree of the same answer (sorted), and times as `crate::output::time` writes them, so the bytes are those
//! of `crate::output::metadata_json` in such a tree (a test checks).

use crate::output::state;
use keyway::types::{SecretMetadata, Tags, Timestamp};
use serde::{Serialize, Serializer};
use std::time::{Duration, UNIX_EPOCH};

/// A secret's value with its metadata, as a read answers it.
#[derive(Serialize)]
pub struct ReadAnswer<'a> {
    /// Whether `value` is base64 of a binary value.
    pub binary: bool,
    /// The key read from a JSON key/value secret (left out when none).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<&'a str>,
    /// The manager.
    pub manager: &'a str,
    /// The secret's metadata.
    pub metadata: Metadata<'a>,
    /// The secret's name.
    pub name: &'a str,
    /// The value (or the key's value): text, or base64.
    pub value: &'a str,
}

impl ReadAnswer<'_> {
    /// The answer as JSON.
    pub fn to_json(&self) -> serde_json::Result<Vec<u8>> {
        let mut body = Vec::with_capacity(320 + self.value.len() + self.name.len());
        serde_json::to_writer(&mut body, self)?;
        Ok(body)
    }
}

/// A secret's metadata as answers show it: every field, times as RFC 3339 (seconds), and its `state`.
pub struct Metadata<'a>(pub &'a SecretMetadata);

/// The fields, in serde_json's (sorted) order.
#[derive(Serialize)]
struct MetadataFields<'a> {
    #[serde(serialize_with = "time")]
    created_at: Option<Timestamp>,
    #[serde(serialize_with = "time")]
    deleted_at: Option<Timestamp>,
    description: &'a Option<String>,
    enabled: bool,
    #[serde(serialize_with = "time")]
    expires_at: Option<Timestamp>,
    kms_key_id: &'a Option<String>,
    name: &'a str,
    #[serde(serialize_with = "time")]
    not_before: Option<Timestamp>,
    #[serde(serialize_with = "time")]
    purge_at: Option<Timestamp>,
    secret_type: &'a Option<String>,
    state: &'static str,
    tags: &'a Tags,
    #[serde(serialize_with = "time")]
    updated_at: Option<Timestamp>,
    version_id: &'a Option<String>,
    version_labels: &'a [String],
}

impl Serialize for Metadata<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        // Destructured, so a field added to the metadata is a compile error here until it is answered too.
        let SecretMetadata {
            name,
            version_id,
            version_labels,
            created_at,
            updated_at,
            expires_at,
            not_before,
            enabled,
            tags,
            description,
            secret_type,
            kms_key_id,
            deleted_at,
            purge_at,
        } = self.0;
        MetadataFields {
            created_at: *created_at,
            deleted_at: *deleted_at,
            description,
            enabled: *enabled,
            expires_at: *expires_at,
            kms_key_id,
            name,
            not_before: *not_before,
            purge_at: *purge_at,
            secret_type,
            state: state(self.0),
            tags,
            updated_at: *updated_at,
            version_id,
            version_labels,
        }
        .serialize(serializer)
    }
}

fn time<S: Serializer>(time: &Option<Timestamp>, serializer: S) -> Result<S::Ok, S::Error> {
    match time {
        Some(ms) => serializer.collect_str(&humantime::format_rfc3339_seconds(UNIX_EPOCH + Duration::from_millis(*ms))),
        None => serializer.serialize_none(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::metadata_json;
    use serde_json::json;

    #[test]
    fn answers_are_the_bytes_of_the_json_tree_they_replace() {
        let full = SecretMetadata {
            name: "db/\"password\"".into(),
            version_id: Some("v2".into()),
            version_labels: vec!["current".into(), "AWSCURRENT".into()],
            created_at: Some(1_773_999_012_345),
            updated_at: Some(1_773_999_013_000),
            expires_at: Some(4_102_444_800_000),
            not_before: Some(1_000),
            enabled: true,
            tags: [("team".to_owned(), "payments".to_owned()), ("env".to_owned(), "prod\n".to_owned())].into(),
            description: Some("app db".into()),
            secret_type: Some("basic-auth".into()),
            kms_key_id: Some("alias/app".into()),
            deleted_at: None,
            purge_at: None,
        };
        let deleted = SecretMetadata { deleted_at: Some(1), purge_at: Some(2), enabled: false, ..full.clone() };
        for metadata in [full, deleted, SecretMetadata::named("bare")] {
            for key in [None, Some("password")] {
                let answer = ReadAnswer {
                    binary: false,
                    key,
                    manager: "aws",
                    metadata: Metadata(&metadata),
                    name: "db/password",
                    value: "s3cr\u{e9}t\"\\",
                };
                let mut tree = json!({
                    "manager": "aws", "name": "db/password", "value": "s3cr\u{e9}t\"\\", "binary": false,
                    "metadata": metadata_json(&metadata),
                });
                if let Some(key) = key {
                    tree["key"] = json!(key);
                }
                let expected = serde_json::to_vec(&tree).expect("tree");
                assert_eq!(String::from_utf8(answer.to_json().expect("answer")), String::from_utf8(expected));
            }
        }
    }
}
