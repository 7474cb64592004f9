//! Deletion and recovery: soft delete, purge for `force`, recover (`restore`, and before a
//! write with `recover-deleted`), each waiting until Key Vault has completed it.

use crate::client::{error, is_in_transition};
use crate::model::Bundle;
use crate::{wait, Azure};
use keyway_plugin_sdk::prelude::*;

impl Azure {
    /// Deletes a secret: soft delete, then for `force` a purge.
    pub(crate) fn delete_secret(&self, name: &str, mode: DeleteMode) -> Result<Option<Timestamp>> {
        let full = self.full_name(name)?;
        if let DeleteMode::Recoverable(Some(days)) = mode {
            return Err(ProviderError::InvalidArgument(format!(
                "Key Vault's recovery window is a property of the vault (7 to 90 days, set when it is created), \
                 not of a deletion: delete without a window instead of {days} days"
            )));
        }
        let what = format!("secret '{name}'");
        let response = self.kv.send(Method::DELETE, &self.kv.path("secrets", &full, ""), None)?;
        let purge_at = match response.status {
            200..=299 => {
                let deleted: Bundle = response.json()?;
                self.wait_deleted(&full, &what)?;
                deleted.metadata(name).purge_at
            }
            // Force also purges a secret that is already deleted.
            404 if mode == DeleteMode::Force => None,
            _ => return Err(error(&response, &what)),
        };
        match mode {
            DeleteMode::Force => self.purge(&full, name).map(|()| None),
            DeleteMode::Recoverable(_) => Ok(purge_at),
        }
    }

    /// Waits until the deletion shows under `deletedsecrets`.
    fn wait_deleted(&self, full: &str, what: &str) -> Result<()> {
        let path = self.kv.path("deletedsecrets", full, "");
        let done = wait::until(|| {
            let response = self.kv.send(Method::GET, &path, None)?;
            match response.status {
                200 => Ok(Some(())),
                404 => Ok(None),
                _ => Err(error(&response, what)),
            }
        })?;
        done.ok_or_else(|| ProviderError::Unavailable(format!("Key Vault is still deleting {what}")))
    }

    /// Purges a deleted secret and waits until it is gone.
    fn purge(&self, full: &str, name: &str) -> Result<()> {
        let what = format!("deleted secret '{name}'");
        let path = self.kv.path("deletedsecrets", full, "");
        let purged = wait::until(|| {
            let response = self.kv.send(Method::DELETE, &path, None)?;
            if is_in_transition(&response) {
                return Ok(None);
            }
            match response.status {
                200..=299 => Ok(Some(())),
                404 => Err(ProviderError::NotFound(format!("secret '{name}' does not exist"))),
                403 => Err(ProviderError::Conflict(format!(
                    "secret '{name}' is deleted, but the vault does not allow purging it (purge protection or \
                     missing purge permission: {}); Key Vault removes it when its retention period ends",
                    response.error_message().unwrap_or_default()
                ))),
                _ => Err(error(&response, &what)),
            }
        })?;
        purged.ok_or_else(|| ProviderError::Unavailable(format!("{what} is still being deleted; purge it later")))?;
        let gone = wait::until(|| {
            let response = self.kv.send(Method::GET, &path, None)?;
            Ok((response.status == 404).then_some(()))
        })?;
        gone.ok_or_else(|| ProviderError::Unavailable(format!("Key Vault is still purging {what}")))
    }

    /// Recovers a deleted secret and waits until it is readable. `Ok(false)` when nothing is
    /// deleted under that name and `must_exist` is false.
    pub(crate) fn recover(&self, full: &str, name: &str, must_exist: bool) -> Result<bool> {
        let what = format!("deleted secret '{name}'");
        let path = self.kv.path("deletedsecrets", full, "recover");
        let recovered = wait::until(|| {
            let response = self.kv.send(Method::POST, &path, None)?;
            if is_in_transition(&response) {
                return Ok(None);
            }
            match response.status {
                200..=299 => Ok(Some(true)),
                404 if !must_exist => Ok(Some(false)),
                404 => Err(ProviderError::NotFound(format!(
                    "secret '{name}' is not deleted (or was purged): nothing to restore"
                ))),
                _ => Err(error(&response, &what)),
            }
        })?;
        match recovered {
            Some(true) => {}
            Some(false) => return Ok(false),
            None => return Err(ProviderError::Unavailable(format!("{what} is still being deleted; restore it later"))),
        }
        let readable = wait::until(|| self.current(full, name, "").map(|b| b.map(|_| ())))?;
        readable
            .map(|()| true)
            .ok_or_else(|| ProviderError::Unavailable(format!("Key Vault is still recovering secret '{name}'")))
    }

    /// `restore`: recovers the secret and returns its metadata.
    pub(crate) fn restore_secret(&self, name: &str) -> Result<SecretMetadata> {
        let full = self.full_name(name)?;
        self.recover(&full, name, true)?;
        self.current(&full, name, "")?
            .map(|bundle| bundle.metadata(name))
            .ok_or_else(|| ProviderError::NotFound(format!("secret '{name}' does not exist")))
    }
}
