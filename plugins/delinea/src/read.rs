//! `get` (and `describe`, which reads the same): the secret found by name, its items, its value.

use crate::model::{SecretModel, Summary};
use crate::names::{check_name, check_selector};
use crate::value::{self, Reading};
use crate::SecretServer;
use keyway_plugin_sdk::{ProviderError, Secret, SecretMetadata, SecretValue, VersionSelector};

impl SecretServer {
    /// The metadata of a secret read with its items.
    pub(crate) fn metadata(&self, summary: Option<&Summary>, model: &SecretModel, name: &str) -> SecretMetadata {
        let mut metadata = summary.map(|s| s.metadata(name)).unwrap_or_else(|| SecretMetadata::named(name));
        metadata.enabled = model.active;
        metadata.secret_type = model.secret_template_name.clone().or(metadata.secret_type);
        metadata.description = value::description(model, &self.field);
        metadata
    }

    /// Reads the secret's value and metadata.
    pub(crate) fn read_secret(&self, name: &str, selector: &VersionSelector) -> Result<Secret, ProviderError> {
        check_name(name)?;
        check_selector(selector)?;
        let api = self.api();
        let summary = api.find(name)?.ok_or_else(|| ProviderError::not_found(name))?;
        let model = api.secret(summary.id, name)?;
        let value = match value::read(&model, &self.field, name)? {
            Reading::Value(value) => value,
            // A file field: its attachment, as text when it is UTF-8.
            Reading::File(slug) => match String::from_utf8(api.file(model.id, &slug, name)?) {
                Ok(text) => SecretValue::text(text),
                Err(not_text) => SecretValue::binary(not_text.into_bytes()),
            },
        };
        Ok(Secret { value, metadata: self.metadata(Some(&summary), &model, name) })
    }
}
