//! `delete` (deactivation) and `restore` (reactivation).

use crate::names::check_name;
use crate::server::State;
use crate::SecretServer;
use keyway_plugin_sdk::{DeleteMode, ProviderError, SecretMetadata, Timestamp};

impl SecretServer {
    /// Deactivates the secret, whatever the mode: Secret Server's REST API erases secrets only
    /// through an approved erase request, so a forced delete is a deactivation too. A deactivated
    /// secret is out of keyway's reach (reads answer `not-found`) until it is restored.
    pub(crate) fn delete_secret(&self, name: &str, mode: DeleteMode) -> Result<Option<Timestamp>, ProviderError> {
        check_name(name)?;
        let _ = mode;
        let api = self.api();
        let summary = api.find(name)?.ok_or_else(|| ProviderError::not_found(name))?;
        api.deactivate(summary.id, name)?;
        Ok(None)
    }

    /// Makes the deactivated secret of that name active again.
    pub(crate) fn restore_secret(&self, name: &str) -> Result<SecretMetadata, ProviderError> {
        check_name(name)?;
        let api = self.api();
        if api.find(name)?.is_some() {
            return Err(ProviderError::AlreadyExists(format!(
                "an active secret named '{name}' exists: there is nothing to restore under that name"
            )));
        }
        let mut deleted = api.find_all(name, State::Inactive)?;
        let summary = match deleted.len() {
            0 => return Err(ProviderError::NotFound(format!("no deleted secret is named '{name}'"))),
            1 => deleted.remove(0),
            n => {
                return Err(ProviderError::Conflict(format!(
                    "{n} deleted secrets are named '{name}': restore one in Secret Server"
                )))
            }
        };
        let model = api.restore(summary.id, name)?;
        Ok(self.metadata(Some(&summary), &model, name))
    }
}
