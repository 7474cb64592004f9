//! Password Safe's JSON: secrets and folders as the Secrets Safe API answers them, and their
//! translation to the contract's metadata.

use keyway_plugin_sdk::time::parse_iso8601_utc;
use keyway_plugin_sdk::{ProviderError, SecretMetadata};
use serde::Deserialize;
use std::fmt;
use zeroize::Zeroizing;

/// What a secret holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A username and a password.
    Credential,
    /// Text of up to 4096 characters.
    Text,
    /// A file.
    File,
}

impl Kind {
    /// The kind of a `SecretType` value.
    pub fn parse(text: Option<&str>) -> Result<Self, ProviderError> {
        match text.map(str::to_ascii_lowercase).as_deref() {
            Some("credential") => Ok(Self::Credential),
            Some("text") => Ok(Self::Text),
            Some("file") => Ok(Self::File),
            other => Err(ProviderError::Other(format!("Password Safe answered an unknown secret type {other:?}"))),
        }
    }

    /// The contract's `secret_type`: the service's type in lower case.
    pub fn name(self) -> &'static str {
        match self {
            Self::Credential => "credential",
            Self::Text => "text",
            Self::File => "file",
        }
    }
}

/// One secret as `GET Secrets-Safe/Secrets` lists it. Values are wiped when dropped and never printed.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SecretRecord {
    /// The secret's GUID.
    pub id: String,
    /// Its title.
    pub title: String,
    /// Its description.
    #[serde(default)]
    pub description: Option<String>,
    /// The credential's username.
    #[serde(default)]
    pub username: Option<String>,
    /// The credential's password (text secrets carry their text here too on some servers).
    #[serde(default)]
    pub password: Option<Zeroizing<String>>,
    /// A text secret's text.
    #[serde(default)]
    pub text: Option<Zeroizing<String>>,
    /// A file secret's file name.
    #[serde(default)]
    pub file_name: Option<String>,
    /// `Credential`, `Text` or `File`.
    #[serde(default)]
    pub secret_type: Option<String>,
    /// The folder's GUID.
    #[serde(default)]
    pub folder_id: Option<String>,
    /// The folder path, `/`-separated.
    #[serde(default)]
    pub folder_path: Option<String>,
    /// When it was created.
    #[serde(default)]
    pub created_on: Option<String>,
    /// When it last changed.
    #[serde(default)]
    pub modified_on: Option<String>,
    /// Its owners, in the shape of the request version (kept as sent).
    #[serde(default)]
    pub owners: Option<serde_json::Value>,
    /// Version 3.0's single owner id.
    #[serde(default)]
    pub owner_id: Option<serde_json::Value>,
    /// Version 3.0's owner type.
    #[serde(default)]
    pub owner_type: Option<String>,
    /// Notes.
    #[serde(default)]
    pub notes: Option<String>,
    /// URLs of a credential.
    #[serde(default)]
    pub urls: Option<serde_json::Value>,
    /// A credential's password rule.
    #[serde(default, rename = "PasswordRuleID")]
    pub password_rule_id: Option<serde_json::Value>,
}

impl fmt::Debug for SecretRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SecretRecord")
            .field("id", &self.id)
            .field("title", &self.title)
            .field("secret_type", &self.secret_type)
            .field("folder_path", &self.folder_path)
            .finish_non_exhaustive()
    }
}

impl SecretRecord {
    /// What the secret holds.
    pub fn kind(&self) -> Result<Kind, ProviderError> {
        Kind::parse(self.secret_type.as_deref())
    }

    /// The contract's metadata for the secret called `name`.
    pub fn metadata(&self, name: &str) -> SecretMetadata {
        let mut metadata = SecretMetadata::named(name);
        metadata.created_at = self.created_on.as_deref().and_then(parse_iso8601_utc);
        metadata.updated_at = self.modified_on.as_deref().and_then(parse_iso8601_utc);
        metadata.description = self.description.clone().filter(|d| !d.is_empty());
        metadata.secret_type = self.kind().ok().map(|kind| kind.name().to_owned());
        metadata
    }
}

/// The text of `GET Secrets-Safe/Secrets/{id}/text`.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TextAnswer {
    /// The text.
    #[serde(default)]
    pub text: Option<Zeroizing<String>>,
}

/// The credential of `GET Secrets-Safe/Secrets/{id}`.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CredentialAnswer {
    /// The password.
    #[serde(default)]
    pub password: Option<Zeroizing<String>>,
}

/// One folder as `GET Secrets-Safe/Folders` lists it.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct FolderRecord {
    /// The folder's GUID.
    pub id: String,
    /// Its name.
    pub name: String,
    /// The parent folder's GUID; none for a top-level folder (a safe).
    #[serde(default)]
    pub parent_id: Option<String>,
}

/// A list answer: a plain array (request versions up to 3.1) or `{"TotalCount", "Data"}` (3.2).
#[derive(Deserialize)]
#[serde(untagged)]
pub enum ListAnswer<T> {
    /// Up to 3.1.
    Plain(Vec<T>),
    /// 3.2.
    Wrapped {
        /// The page.
        #[serde(rename = "Data")]
        data: Vec<T>,
    },
}

impl<T> ListAnswer<T> {
    /// The items.
    pub fn into_items(self) -> Vec<T> {
        match self {
            Self::Plain(items) | Self::Wrapped { data: items } => items,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_and_metadata() -> Result<(), serde_json::Error> {
        let record: SecretRecord = serde_json::from_str(
            r#"{"Id":"a1","Title":"db","Description":"","Username":"app","Password":"hunter2-pass",
                "SecretType":"Credential","FolderPath":"Kestra","CreatedOn":"2024-05-01T10:00:00.5",
                "ModifiedOn":"2024-05-02T10:00:00Z","Owners":[{"UserId":12}],"Unknown":1}"#,
        )?;
        assert_eq!(record.kind().ok(), Some(Kind::Credential));
        let metadata = record.metadata("db");
        assert_eq!(metadata.created_at, Some(1_714_557_600_500));
        assert_eq!(metadata.updated_at, Some(1_714_644_000_000));
        assert_eq!((metadata.description, metadata.secret_type.as_deref()), (None, Some("credential")));
        assert!(!format!("{record:?}").contains("hunter2"));
        Ok(())
    }

    #[test]
    fn list_answers_of_every_version() -> Result<(), serde_json::Error> {
        let plain: ListAnswer<FolderRecord> = serde_json::from_str(r#"[{"Id":"f","Name":"n","ParentId":null}]"#)?;
        assert_eq!(plain.into_items().len(), 1);
        let wrapped: ListAnswer<FolderRecord> =
            serde_json::from_str(r#"{"TotalCount":1,"Data":[{"Id":"f","Name":"n"}]}"#)?;
        assert_eq!(wrapped.into_items()[0].name, "n");
        Ok(())
    }

    #[test]
    fn times() {
        assert_eq!(parse_iso8601_utc("1970-01-01T00:00:01"), Some(1_000));
        assert_eq!(parse_iso8601_utc("1970-01-01T01:00:01+01:00"), Some(1_000));
        assert_eq!(parse_iso8601_utc("garbage"), None);
    }
}
