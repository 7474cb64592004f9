//! Reading: a value (latest or a version), metadata through the cheap
//! metadata endpoint, and the version history.

use crate::kv::DataRead;
use crate::model::WrittenVersion;
use crate::names::{check_name, version_number};
use crate::value;
use crate::Vault;
use keyway_plugin_sdk::time::now_ms;
use keyway_plugin_sdk::{ProviderError, Secret, SecretMetadata, VersionInfo, VersionSelector, VersionState};

impl Vault {
    /// `get`: one data read.
    pub(crate) fn read_secret(&self, name: &str, selector: &VersionSelector) -> Result<Secret, ProviderError> {
        check_name(name)?;
        let version = version_number(selector)?;
        match self.kv.read_data(name, version)? {
            DataRead::Live(data, meta) => {
                Ok(Secret { value: value::decode(&data)?, metadata: meta.metadata(name, now_ms()) })
            }
            DataRead::Gone(meta) => Err(gone(name, version, meta.as_ref())),
        }
    }

    /// `describe`: one metadata read, which carries the current version
    /// number, so it serves as the cheap rotation probe.
    pub(crate) fn describe_secret(
        &self,
        name: &str,
        selector: &VersionSelector,
    ) -> Result<SecretMetadata, ProviderError> {
        check_name(name)?;
        let requested = version_number(selector)?;
        let record = self.kv.read_metadata(name)?.ok_or_else(|| ProviderError::not_found(name))?;
        let version = requested.unwrap_or(record.current_version);
        if version == 0 {
            return Err(ProviderError::not_found(name));
        }
        let now = now_ms();
        let metadata = record
            .metadata(name, version, now)
            .ok_or_else(|| ProviderError::NotFound(format!("secret '{name}' has no version {version}")))?;
        match record.version(version).map(|v| v.state(now)) {
            Some(VersionState::Destroyed) => {
                Err(ProviderError::NotFound(format!("version {version} of secret '{name}' was destroyed")))
            }
            _ => Ok(metadata),
        }
    }

    /// `versions`: every version Vault remembers, newest first.
    pub(crate) fn list_versions(&self, name: &str) -> Result<Vec<VersionInfo>, ProviderError> {
        check_name(name)?;
        let record = self.kv.read_metadata(name)?.ok_or_else(|| ProviderError::not_found(name))?;
        Ok(record.version_list(now_ms()))
    }
}

/// The not-found error for a data read that returned no value.
fn gone(name: &str, version: Option<u64>, meta: Option<&WrittenVersion>) -> ProviderError {
    let which = match (version, meta) {
        (Some(number), _) => format!("version {number} of secret '{name}'"),
        (None, Some(meta)) if meta.version > 0 => format!("the latest version ({}) of secret '{name}'", meta.version),
        (None, _) => return ProviderError::not_found(name),
    };
    match meta {
        Some(meta) if meta.destroyed => ProviderError::NotFound(format!("{which} was destroyed")),
        Some(meta) if !meta.deletion_time.is_empty() => {
            ProviderError::NotFound(format!("{which} is deleted; restore it to read it again"))
        }
        _ => ProviderError::NotFound(format!("{which} does not exist")),
    }
}
