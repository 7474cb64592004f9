//! Conjur's resource JSON (`GET /resources/...`) and its translation to the contract's metadata.
//!
//! A variable's annotations carry what the contract calls attributes: `description` is the
//! description, `conjur/kind` (a variable's `kind` in policy) the secret type, the others are shown
//! as tags. Its `secrets` list the versions Conjur keeps (the last 20).

use keyway_plugin_sdk::time::parse_rfc3339;
use keyway_plugin_sdk::{SecretMetadata, Tags};
use serde::Deserialize;

/// The annotation holding the description.
pub const DESCRIPTION: &str = "description";
/// The annotation holding a variable's `kind` (the secret type).
pub const KIND: &str = "conjur/kind";
/// The annotation holding a variable's `mime_type`.
pub const MIME_TYPE: &str = "conjur/mime_type";
/// Annotations with this prefix are Conjur's own, not tags.
pub const RESERVED_PREFIX: &str = "conjur/";

/// One annotation.
#[derive(Debug, Clone, Deserialize)]
pub struct Annotation {
    /// Its name.
    pub name: String,
    /// Its value.
    #[serde(default)]
    pub value: String,
}

/// One stored version of a variable's value.
#[derive(Debug, Clone, Deserialize)]
pub struct SecretVersion {
    /// The version number, from 1.
    pub version: u64,
    /// When a rotator set it to expire.
    #[serde(default)]
    pub expires_at: Option<String>,
}

/// A resource as Conjur shows and lists it.
#[derive(Debug, Clone, Deserialize)]
pub struct Resource {
    /// `ACCOUNT:KIND:IDENTIFIER`.
    pub id: String,
    /// RFC 3339 creation time.
    #[serde(default)]
    pub created_at: Option<String>,
    /// The policy that declared it, `ACCOUNT:policy:ID`.
    #[serde(default)]
    pub policy: Option<String>,
    /// Its annotations.
    #[serde(default)]
    pub annotations: Vec<Annotation>,
    /// A variable's kept versions.
    #[serde(default)]
    pub secrets: Vec<SecretVersion>,
}

impl Resource {
    /// The identifier: the part after `ACCOUNT:KIND:`.
    pub fn identifier(&self) -> &str {
        self.id.splitn(3, ':').nth(2).unwrap_or_default()
    }

    /// The newest version, `None` while the variable has no value.
    pub fn latest_version(&self) -> Option<u64> {
        self.secrets.iter().map(|s| s.version).max()
    }

    /// Whether Conjur still keeps `version`.
    pub fn has_version(&self, version: u64) -> bool {
        self.secrets.iter().any(|s| s.version == version)
    }

    /// An annotation's value.
    pub fn annotation(&self, name: &str) -> Option<&str> {
        self.annotations.iter().find(|a| a.name == name).map(|a| a.value.as_str())
    }

    /// The id of the policy that declared it (`root` for the root policy).
    pub fn policy_id(&self) -> Option<&str> {
        self.policy.as_deref().and_then(|p| p.splitn(3, ':').nth(2))
    }

    /// The annotations shown as tags: all but the description and Conjur's own.
    pub fn tags(&self) -> Tags {
        self.annotations
            .iter()
            .filter(|a| a.name != DESCRIPTION && !a.name.starts_with(RESERVED_PREFIX))
            .map(|a| (a.name.clone(), a.value.clone()))
            .collect()
    }

    /// The metadata of `version` (the newest when `None`).
    pub fn metadata(&self, version: Option<u64>) -> SecretMetadata {
        let version = version.or_else(|| self.latest_version());
        let mut metadata = SecretMetadata::named(self.identifier());
        metadata.version_id = version.map(|v| v.to_string());
        metadata.created_at = self.created_at.as_deref().and_then(parse_rfc3339);
        metadata.expires_at = self
            .secrets
            .iter()
            .find(|s| Some(s.version) == version)
            .and_then(|s| s.expires_at.as_deref())
            .and_then(parse_rfc3339);
        metadata.description = self.annotation(DESCRIPTION).map(str::to_owned);
        metadata.secret_type = self.annotation(KIND).map(str::to_owned);
        metadata.tags = self.tags();
        metadata
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metadata_from_a_variable() -> Result<(), serde_json::Error> {
        let resource: Resource = serde_json::from_str(
            r#"{"created_at":"2024-05-01T10:00:00.000+00:00","id":"myorg:variable:apps/db/password",
               "owner":"myorg:policy:apps","policy":"myorg:policy:apps","permissions":[],
               "annotations":[{"name":"description","value":"db"},{"name":"conjur/kind","value":"password"},
                              {"name":"team","value":"data","policy":"myorg:policy:apps"}],
               "secrets":[{"version":1,"expires_at":null},{"version":2,"expires_at":"2030-01-01T00:00:00Z"}]}"#,
        )?;
        assert_eq!((resource.identifier(), resource.policy_id()), ("apps/db/password", Some("apps")));
        let latest = resource.metadata(None);
        assert_eq!(latest.version_id.as_deref(), Some("2"));
        assert_eq!(latest.created_at, Some(1_714_557_600_000));
        assert_eq!(latest.expires_at, Some(1_893_456_000_000));
        assert_eq!(latest.description.as_deref(), Some("db"));
        assert_eq!(latest.secret_type.as_deref(), Some("password"));
        assert_eq!(latest.tags, [("team".to_owned(), "data".to_owned())].into());
        assert_eq!(resource.metadata(Some(1)).expires_at, None);
        assert!(resource.has_version(1) && !resource.has_version(3));
        Ok(())
    }
}
