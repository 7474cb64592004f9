//! AWS shapes to and from the contract's types: values, dates, tags, metadata.

use aws_sdk_secretsmanager::operation::describe_secret::DescribeSecretOutput;
use aws_sdk_secretsmanager::primitives::{Blob, DateTime};
use aws_sdk_secretsmanager::types::{SecretListEntry, SecretVersionsListEntry, Tag};
use keyway_plugin_sdk::{SecretMetadata, SecretValue, Tags, Timestamp, VersionInfo, VersionSelector, VersionState};
use std::collections::HashMap;

/// The stage AWS gives the current version.
pub(crate) const CURRENT_STAGE: &str = "AWSCURRENT";

/// Milliseconds since the epoch; dates before 1970 (never sent by AWS) become `None`.
pub(crate) fn millis(date: Option<&DateTime>) -> Option<Timestamp> {
    date.and_then(|date| date.to_millis().ok()).and_then(|ms| Timestamp::try_from(ms).ok())
}

/// AWS tags as the contract's sorted map.
pub(crate) fn tags_from_aws(tags: &[Tag]) -> Tags {
    tags.iter().filter_map(|tag| Some((tag.key()?.to_owned(), tag.value().unwrap_or_default().to_owned()))).collect()
}

/// The contract's tags as AWS tags.
pub(crate) fn tags_to_aws(tags: &Tags) -> Vec<Tag> {
    tags.iter().map(|(key, value)| Tag::builder().key(key).value(value).build()).collect()
}

/// A value as AWS's `SecretString` or `SecretBinary`.
pub(crate) enum AwsValue {
    /// `SecretString`.
    Text(String),
    /// `SecretBinary`.
    Binary(Blob),
}

impl From<SecretValue> for AwsValue {
    fn from(value: SecretValue) -> Self {
        // The SDK takes owned plain buffers; the zeroizing ones are wiped when `value` drops here.
        match value {
            SecretValue::Text(text) => Self::Text(text.as_str().to_owned()),
            SecretValue::Binary(bytes) => Self::Binary(Blob::new(bytes.to_vec())),
        }
    }
}

/// The value of a `GetSecretValue` or `BatchGetSecretValue` answer.
pub(crate) fn value_from_aws(text: Option<String>, binary: Option<Blob>) -> Option<SecretValue> {
    match (text, binary) {
        (Some(text), _) => Some(SecretValue::text(text)),
        (None, Some(binary)) => Some(SecretValue::binary(binary.into_inner())),
        (None, None) => None,
    }
}

/// The version a selector picks among a secret's `version id → stages`.
pub(crate) fn pick_version(
    stages: Option<&HashMap<String, Vec<String>>>,
    selector: &VersionSelector,
) -> Option<(String, Vec<String>)> {
    let stages = stages?;
    let found = match selector {
        VersionSelector::Latest => stages.iter().find(|(_, labels)| labels.iter().any(|l| l == CURRENT_STAGE)),
        VersionSelector::Label(label) => stages.iter().find(|(_, labels)| labels.contains(label)),
        VersionSelector::Id(id) => stages.get_key_value(id),
    };
    found.map(|(id, labels)| (id.clone(), sorted(labels)))
}

fn sorted(labels: &[String]) -> Vec<String> {
    let mut labels = labels.to_vec();
    labels.sort();
    labels
}

/// The fields `DescribeSecret` and `ListSecrets` share.
pub(crate) struct Summary<'a> {
    pub name: String,
    pub description: Option<&'a str>,
    pub kms_key_id: Option<&'a str>,
    pub secret_type: Option<&'a str>,
    pub tags: &'a [Tag],
    pub stages: Option<&'a HashMap<String, Vec<String>>>,
    pub created: Option<&'a DateTime>,
    pub changed: Option<&'a DateTime>,
    pub deleted: Option<&'a DateTime>,
}

impl<'a> Summary<'a> {
    /// From a `DescribeSecret` answer, under the name the caller used.
    pub fn of_description(name: &str, out: &'a DescribeSecretOutput) -> Self {
        Self {
            name: name.to_owned(),
            description: out.description(),
            kms_key_id: out.kms_key_id(),
            secret_type: out.r#type(),
            tags: out.tags(),
            stages: out.version_ids_to_stages(),
            created: out.created_date(),
            changed: out.last_changed_date(),
            deleted: out.deleted_date(),
        }
    }

    /// From a `ListSecrets` entry.
    pub fn of_list_entry(entry: &'a SecretListEntry) -> Self {
        Self {
            name: entry.name().unwrap_or_default().to_owned(),
            description: entry.description(),
            kms_key_id: entry.kms_key_id(),
            secret_type: entry.r#type(),
            tags: entry.tags(),
            stages: entry.secret_versions_to_stages(),
            created: entry.created_date(),
            changed: entry.last_changed_date(),
            deleted: entry.deleted_date(),
        }
    }

    /// The metadata of the version `version` (id and stages), or of the secret when it has none.
    pub fn metadata(&self, version: Option<(String, Vec<String>)>) -> SecretMetadata {
        let (version_id, version_labels) = version.map_or((None, Vec::new()), |(id, labels)| (Some(id), labels));
        SecretMetadata {
            name: self.name.clone(),
            version_id,
            version_labels,
            created_at: millis(self.created),
            updated_at: millis(self.changed),
            enabled: true,
            tags: tags_from_aws(self.tags),
            description: self.description.map(str::to_owned),
            secret_type: self.secret_type.map(str::to_owned),
            kms_key_id: self.kms_key_id.map(str::to_owned),
            // AWS's `DeletedDate` is the date the secret is scheduled for deletion: until then it can be
            // restored. It also marks the secret as deleted.
            deleted_at: millis(self.deleted),
            purge_at: millis(self.deleted),
            ..SecretMetadata::default()
        }
    }
}

/// How recent a version's stages say it is: 0 for `AWSPENDING` (a rotation's new
/// version), then `AWSCURRENT`, `AWSPREVIOUS`, other stages, and 4 for none.
pub(crate) fn stage_rank(labels: &[String]) -> u8 {
    let has = |stage: &str| labels.iter().any(|l| l == stage);
    if has("AWSPENDING") {
        0
    } else if has(CURRENT_STAGE) {
        1
    } else if has("AWSPREVIOUS") {
        2
    } else if labels.is_empty() {
        4
    } else {
        3
    }
}

/// One entry of `ListSecretVersionIds`.
pub(crate) fn version_info(entry: &SecretVersionsListEntry) -> Option<VersionInfo> {
    Some(VersionInfo {
        version_id: entry.version_id()?.to_owned(),
        labels: sorted(entry.version_stages()),
        created_at: millis(entry.created_date()),
        // Versions without stages are deprecated but still readable by id until AWS removes them.
        state: VersionState::Active,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selectors_pick_versions_by_stage_or_id() {
        let stages = HashMap::from([
            ("v2".to_owned(), vec!["AWSCURRENT".to_owned(), "blue".to_owned()]),
            ("v1".to_owned(), vec!["AWSPREVIOUS".to_owned()]),
        ]);
        let pick = |selector| pick_version(Some(&stages), &selector).map(|(id, _)| id);
        assert_eq!(pick(VersionSelector::Latest).as_deref(), Some("v2"));
        assert_eq!(pick(VersionSelector::Label("AWSPREVIOUS".into())).as_deref(), Some("v1"));
        assert_eq!(pick(VersionSelector::Label("blue".into())).as_deref(), Some("v2"));
        assert_eq!(pick(VersionSelector::Id("v1".into())).as_deref(), Some("v1"));
        assert_eq!(pick(VersionSelector::Id("v9".into())), None);
        assert_eq!(pick_version(None, &VersionSelector::Latest), None);
    }

    #[test]
    fn stages_rank_versions_by_recency() {
        let rank = |labels: &[&str]| stage_rank(&labels.iter().map(|l| l.to_string()).collect::<Vec<_>>());
        assert!(rank(&["AWSPENDING"]) < rank(&["AWSCURRENT"]));
        assert!(rank(&["AWSCURRENT", "blue"]) < rank(&["AWSPREVIOUS"]));
        assert!(rank(&["AWSPREVIOUS"]) < rank(&["blue"]));
        assert!(rank(&["blue"]) < rank(&[]));
    }

    #[test]
    fn tags_round_trip() {
        let tags = Tags::from([("team".to_owned(), "data".to_owned()), ("env".to_owned(), String::new())]);
        assert_eq!(tags_from_aws(&tags_to_aws(&tags)), tags);
    }

    #[test]
    fn values_keep_their_kind() {
        let text = value_from_aws(Some("s3cr3t".into()), None);
        assert_eq!(text.as_ref().and_then(SecretValue::expose_text), Some("s3cr3t"));
        let binary = value_from_aws(None, Some(Blob::new(vec![0, 159, 255])));
        assert_eq!(binary.map(|v| v.expose_bytes().to_vec()), Some(vec![0, 159, 255]));
        assert!(value_from_aws(None, None).is_none());
    }

    #[test]
    fn dates_are_milliseconds() {
        let date = DateTime::from_millis(1_700_000_000_123);
        assert_eq!(millis(Some(&date)), Some(1_700_000_000_123));
        assert_eq!(millis(Some(&DateTime::from_millis(-5))), None);
    }
}
