//! Writing: `create` with check-and-set, `update` as a new version, and the
//! custom metadata that carries tags, description, type and expiry.

use crate::annotations::{check_tags, Annotations};
use crate::kv::CasMismatch;
use crate::model::{SecretRecord, WrittenVersion};
use crate::names::check_name;
use crate::value;
use crate::Vault;
use keyway_plugin_sdk::time::now_ms;
use keyway_plugin_sdk::write_options::{UnkeptOptions, WriteOption};
use keyway_plugin_sdk::{ProviderError, SecretMetadata, SecretValue, UpdateRequest, VersionState, WriteOptions};
use std::collections::BTreeMap;

/// What KV version 2 has no place for.
const UNKEPT: UnkeptOptions = UnkeptOptions::new(
    "Vault",
    &[
        (WriteOption::KmsKey, "it encrypts every secret with its own barrier key, a key per secret cannot be chosen"),
        (WriteOption::Disabling, "KV version 2 has no enabled flag; delete the secret (recoverably) to stop its use"),
    ],
);

impl Vault {
    /// `create`. Without `overwrite` the write uses check-and-set 0, so it
    /// fails when the secret exists, even when it was written a moment ago by
    /// someone else. With `overwrite` it writes a new version on top of the
    /// current one (check-and-set with the version it read).
    pub(crate) fn create_secret(
        &self,
        name: &str,
        value: SecretValue,
        options: &WriteOptions,
    ) -> Result<SecretMetadata, ProviderError> {
        check_name(name)?;
        UNKEPT.check_create(options)?;
        check_tags(options.tags.keys())?;
        let wanted = Annotations {
            tags: options.tags.clone(),
            description: options.description.clone(),
            secret_type: options.secret_type.clone(),
            expires_at: options.expires_at,
        };
        if !options.overwrite {
            if let Ok(written) = self.kv.write_data(name, value::encode(&value), 0)? {
                return self.annotate(name, written, None, &wanted);
            }
        }
        // The secret exists (or may exist): decide from its current version.
        let record = self.kv.read_metadata(name)?;
        let cas = match &record {
            None => 0,
            Some(record) => {
                match record.current().map(|v| v.state(now_ms())) {
                    Some(VersionState::Deleted) if !options.recover_deleted => {
                        return Err(ProviderError::Conflict(format!(
                            "secret '{name}' is deleted but recoverable: restore it, or write with recover-deleted"
                        )))
                    }
                    Some(VersionState::Deleted) => self.kv.undelete_versions(name, &[record.current_version])?,
                    Some(VersionState::Active) if !options.overwrite => {
                        return Err(ProviderError::AlreadyExists(format!(
                            "secret '{name}' exists; write with overwrite to add a version"
                        )))
                    }
                    // Active with overwrite, destroyed, or metadata without versions: a new version.
                    _ => {}
                }
                record.current_version
            }
        };
        let written = self.write_version(name, &value, cas)?;
        let existing = record.and_then(|r| r.custom_metadata);
        self.annotate(name, written, existing, &wanted)
    }

    /// `update`: a new value becomes a new version (check-and-set against the
    /// version read first); tag, description and expiry changes go to the
    /// custom metadata.
    pub(crate) fn update_secret(&self, name: &str, request: UpdateRequest) -> Result<SecretMetadata, ProviderError> {
        check_name(name)?;
        UNKEPT.check_update(&request)?;
        check_tags(request.set_tags.keys())?;
        let record = self.kv.read_metadata(name)?.ok_or_else(|| ProviderError::not_found(name))?;
        match record.current().map(|v| v.state(now_ms())) {
            Some(VersionState::Active) => {}
            Some(_) => {
                return Err(ProviderError::NotFound(format!(
                    "secret '{name}' is deleted: restore it before updating it"
                )))
            }
            None => return Err(ProviderError::not_found(name)),
        }
        let existing = Annotations::from_custom(record.custom_metadata.as_ref());
        let mut wanted = existing.clone();
        wanted.tags.extend(request.set_tags);
        for key in &request.remove_tags {
            wanted.tags.remove(key);
        }
        if request.description.is_some() {
            wanted.description = request.description;
        }
        if request.expires_at.is_some() {
            wanted.expires_at = request.expires_at;
        }
        let written = match &request.value {
            Some(value) => Some(self.write_version(name, value, record.current_version)?),
            None => None,
        };
        let custom = wanted.to_custom();
        if wanted != existing {
            self.kv.write_custom_metadata(name, &custom)?;
        }
        let now = now_ms();
        match written {
            Some(mut written) => {
                written.custom_metadata = Some(custom);
                Ok(written.metadata(name, now))
            }
            None => {
                let record = SecretRecord { custom_metadata: Some(custom), ..record };
                record.metadata(name, record.current_version, now).ok_or_else(|| ProviderError::not_found(name))
            }
        }
    }

    fn write_version(&self, name: &str, value: &SecretValue, cas: u64) -> Result<WrittenVersion, ProviderError> {
        self.kv.write_data(name, value::encode(value), cas)?.map_err(|CasMismatch| {
            ProviderError::Conflict(format!(
                "secret '{name}' was changed concurrently (check-and-set on version {cas} failed): read it and retry"
            ))
        })
    }

    /// Merges `wanted` into the secret's custom metadata (tags are added or
    /// replaced, other tags stay) and returns the written version's metadata.
    fn annotate(
        &self,
        name: &str,
        mut written: WrittenVersion,
        existing: Option<BTreeMap<String, String>>,
        wanted: &Annotations,
    ) -> Result<SecretMetadata, ProviderError> {
        let existing = existing.or_else(|| written.custom_metadata.take());
        let before = Annotations::from_custom(existing.as_ref());
        let mut merged = before.clone();
        merged.tags.extend(wanted.tags.clone());
        merged.description = wanted.description.clone().or(merged.description);
        merged.secret_type = wanted.secret_type.clone().or(merged.secret_type);
        merged.expires_at = wanted.expires_at.or(merged.expires_at);
        let custom = merged.to_custom();
        if merged != before {
            self.kv.write_custom_metadata(name, &custom)?;
        }
        written.custom_metadata = Some(custom);
        Ok(written.metadata(name, now_ms()))
    }
}
