//! Deleting (soft, or everything) and restoring.

use crate::names::check_name;
use crate::Vault;
use keyway_plugin_sdk::time::now_ms;
use keyway_plugin_sdk::{DeleteMode, ProviderError, SecretMetadata, Timestamp, VersionState};

impl Vault {
    /// `delete`: a recoverable deletion soft-deletes the latest version (Vault
    /// keeps it until it is destroyed, so there is no purge time); `force`
    /// removes the metadata and every version.
    pub(crate) fn delete_secret(&self, name: &str, mode: DeleteMode) -> Result<Option<Timestamp>, ProviderError> {
        check_name(name)?;
        if let DeleteMode::Recoverable(Some(days)) = mode {
            return Err(ProviderError::Unsupported(format!(
                "Vault has no recovery window (asked for {days} days): a soft-deleted version stays restorable until \
                 it is destroyed. Delete without a window, or with force to destroy every version"
            )));
        }
        let record = self.kv.read_metadata(name)?.ok_or_else(|| ProviderError::not_found(name))?;
        if mode == DeleteMode::Force {
            self.kv.delete_everything(name)?;
            return Ok(None);
        }
        match record.current().map(|v| v.state(now_ms())) {
            Some(VersionState::Active) => {
                self.kv.delete_versions(name, &[record.current_version])?;
                Ok(None)
            }
            Some(VersionState::Deleted) => {
                Err(ProviderError::NotFound(format!("secret '{name}' is already deleted (restore recovers it)")))
            }
            Some(VersionState::Destroyed) | None => Err(ProviderError::not_found(name)),
        }
    }

    /// `restore`: undeletes the latest version.
    pub(crate) fn restore_secret(&self, name: &str) -> Result<SecretMetadata, ProviderError> {
        check_name(name)?;
        let mut record = self.kv.read_metadata(name)?.ok_or_else(|| ProviderError::not_found(name))?;
        let now = now_ms();
        let current = record.current_version;
        match record.current().map(|v| v.state(now)) {
            None => return Err(ProviderError::not_found(name)),
            Some(VersionState::Destroyed) => {
                return Err(ProviderError::Conflict(format!(
                    "the latest version ({current}) of secret '{name}' was destroyed and cannot be restored"
                )))
            }
            Some(VersionState::Deleted) => {
                self.kv.undelete_versions(name, &[current])?;
                if let Some(version) = record.versions.get_mut(&current.to_string()) {
                    version.deletion_time.clear();
                }
            }
            Some(VersionState::Active) => {}
        }
        record.metadata(name, current, now).ok_or_else(|| ProviderError::not_found(name))
    }
}
