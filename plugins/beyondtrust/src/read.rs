//! `get` and `describe`: the secret found by folder path and title, and its value by kind.

use crate::model::SecretRecord;
use crate::names::{check_selector, secret_path};
use crate::PasswordSafe;
use keyway_plugin_sdk::{ProviderError, Secret, SecretMetadata, VersionSelector};

impl PasswordSafe {
    /// The record of the secret `name`, or `not-found`.
    pub(crate) fn record(&self, name: &str) -> Result<SecretRecord, ProviderError> {
        let path = secret_path(self.root()?.as_deref(), name)?;
        self.api().find(&path, name)?.ok_or_else(|| ProviderError::not_found(name))
    }

    /// Reads the secret's value and metadata.
    pub(crate) fn read_secret(&self, name: &str, selector: &VersionSelector) -> Result<Secret, ProviderError> {
        check_selector(selector)?;
        let record = self.record(name)?;
        let value = self.api().value(&record, name)?;
        Ok(Secret { value, metadata: record.metadata(name) })
    }

    /// Reads the metadata only (one request: no value is fetched).
    pub(crate) fn describe_secret(
        &self,
        name: &str,
        selector: &VersionSelector,
    ) -> Result<SecretMetadata, ProviderError> {
        check_selector(selector)?;
        Ok(self.record(name)?.metadata(name))
    }
}
