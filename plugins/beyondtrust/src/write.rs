//! `create`, `update` and `delete`. keyway creates text secrets (text values) and file secrets
//! (binary values); an existing secret keeps its kind, so a credential secret's new value is its
//! new password.

use crate::folders::ensure_folder;
use crate::names::secret_path;
use crate::secrets::Content;
use crate::PasswordSafe;
use keyway_plugin_sdk::write_options::{Refusal, UnkeptOptions, WriteOption};
use keyway_plugin_sdk::{
    DeleteMode, ProviderError, SecretMetadata, SecretValue, Timestamp, UpdateRequest, WriteOptions,
};

/// Longest text of a text secret, and longest password and description.
const MAX_TEXT_CHARS: usize = 4096;
const MAX_PASSWORD_CHARS: usize = 256;
const MAX_DESCRIPTION_CHARS: usize = 256;

fn invalid(message: impl Into<String>) -> ProviderError {
    ProviderError::InvalidArgument(message.into())
}

/// What Secrets Safe cannot store, refused rather than dropped (as `invalid-argument`, as this plugin always
/// has).
const UNKEPT: UnkeptOptions = UnkeptOptions::new(
    "Secrets Safe",
    &[
        (WriteOption::Tags, "its secrets have no tags"),
        (WriteOption::Expiry, "its secrets have no expiry date"),
        (WriteOption::KmsKey, "it encrypts with its own keys"),
        (WriteOption::Disabling, "its secrets cannot be disabled; delete the secret instead"),
    ],
)
.refused_as(Refusal::InvalidArgument);

fn check_description(description: &str) -> Result<(), ProviderError> {
    if description.chars().count() > MAX_DESCRIPTION_CHARS {
        return Err(invalid("a Secrets Safe description holds at most 256 characters"));
    }
    Ok(())
}

/// Checks that `value` fits a secret of the kind it will be stored in (`text_limit`: 4096 for text
/// secrets, 256 for passwords; `None` for files).
fn check_value(value: &SecretValue, text_limit: Option<usize>, name: &str) -> Result<(), ProviderError> {
    let (Some(limit), Some(text)) = (text_limit, value.expose_text()) else { return Ok(()) };
    if text.is_empty() {
        return Err(invalid(format!("'{name}': Secrets Safe stores no empty text; use a binary value (a file)")));
    }
    if text.chars().count() > limit {
        return Err(invalid(format!(
            "'{name}': the value is longer than the {limit} characters this kind of secret holds; store it as a file \
             (secret type `file`, or a binary value)"
        )));
    }
    Ok(())
}

fn limit_for(kind: crate::model::Kind) -> Option<usize> {
    match kind {
        crate::model::Kind::Credential => Some(MAX_PASSWORD_CHARS),
        crate::model::Kind::Text => Some(MAX_TEXT_CHARS),
        crate::model::Kind::File => None,
    }
}

impl PasswordSafe {
    fn metadata_after_write(&self, name: &str) -> Result<SecretMetadata, ProviderError> {
        Ok(self.record(name)?.metadata(name))
    }

    /// Creates a text or file secret, or with `overwrite` gives an existing one the new value.
    pub(crate) fn create_secret(
        &self,
        name: &str,
        value: SecretValue,
        options: &WriteOptions,
    ) -> Result<SecretMetadata, ProviderError> {
        UNKEPT.check_create(options)?;
        let value = match (options.secret_type.as_deref(), value) {
            (None | Some("generic" | "text"), SecretValue::Text(text)) => SecretValue::Text(text),
            (None | Some("generic" | "file"), SecretValue::Binary(bytes)) => SecretValue::Binary(bytes),
            (Some("file"), SecretValue::Text(text)) => SecretValue::binary(text.as_bytes().to_vec()),
            (Some("text"), SecretValue::Binary(_)) => return Err(invalid("a text secret cannot hold a binary value")),
            (Some(other), _) => {
                return Err(invalid(format!(
                    "secret type '{other}' cannot be created: keyway creates `text` and `file` secrets (credential \
                     secrets are made in Password Safe; keyway reads and changes their password)"
                )))
            }
        };
        let path = secret_path(self.root()?.as_deref(), name)?;
        let api = self.api();
        if let Some(existing) = api.find(&path, name)? {
            if !options.overwrite {
                return Err(ProviderError::AlreadyExists(format!("a secret named '{name}' exists already")));
            }
            let description = options.description.clone().or(existing.description.clone()).unwrap_or_default();
            check_description(&description)?;
            check_value(&value, limit_for(existing.kind()?), name)?;
            api.replace(&existing, &Content { description: &description, value: &value }, name)?;
            return self.metadata_after_write(name);
        }
        let description = options.description.clone().unwrap_or_default();
        check_description(&description)?;
        check_value(&value, Some(MAX_TEXT_CHARS), name)?;
        let root = self.root()?;
        let folder_id = ensure_folder(&self.session, &path.folder, root.as_deref(), self.create_folders)?;
        api.create(&folder_id, &path.title, &Content { description: &description, value: &value }, name)?;
        self.metadata_after_write(name)
    }

    /// Changes the value and/or the description; the secret keeps its kind.
    pub(crate) fn update_secret(&self, name: &str, request: UpdateRequest) -> Result<SecretMetadata, ProviderError> {
        UNKEPT.check_update(&request)?;
        let record = self.record(name)?;
        if request.value.is_none() && request.description.is_none() {
            return Ok(record.metadata(name));
        }
        let api = self.api();
        // Secrets Safe replaces a secret whole: an unchanged value is sent again.
        let value = match request.value {
            Some(value) => value,
            None => api.value(&record, name)?,
        };
        let description = request.description.or(record.description.clone()).unwrap_or_default();
        check_description(&description)?;
        check_value(&value, limit_for(record.kind()?), name)?;
        api.replace(&record, &Content { description: &description, value: &value }, name)?;
        self.metadata_after_write(name)
    }

    /// Deletes the secret for good: Secrets Safe keeps no deleted secrets to restore.
    pub(crate) fn delete_secret(&self, name: &str, mode: DeleteMode) -> Result<Option<Timestamp>, ProviderError> {
        if let DeleteMode::Recoverable(_) = mode {
            return Err(ProviderError::Unsupported(
                "Secrets Safe deletes secrets permanently and cannot restore them: delete with force".into(),
            ));
        }
        let record = self.record(name)?;
        self.api().delete(&record, name)?;
        Ok(None)
    }
}
