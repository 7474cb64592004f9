//! Writing: create, update, delete and restore.
//!
//! Every change writes any new value file first and the secret's `meta` file
//! last; the call returns only when both are flushed to disk.

use super::LedgerEntry;
use super::LocalStore;
use crate::crypto::random_hex;
use crate::error::{StoreError, StoreResult};
use crate::fsio::{move_path, remove_path};
use crate::record::SecretRecord;
use crate::time::DAY_MS;
use keyway_plugin_sdk::{
    DeleteMode, SecretMetadata, SecretValue, Timestamp, UpdateRequest, VersionSelector, WriteOptions,
};

/// The largest value the store accepts: the host's default limit on values (1 MiB).
pub const MAX_VALUE_LEN: usize = 1 << 20;

impl LocalStore {
    /// Creates a secret; with `overwrite`, adds a version to an existing one;
    /// with `recover_deleted`, restores a deleted one and adds a version.
    pub fn create(&self, name: &str, value: &SecretValue, options: &WriteOptions) -> StoreResult<SecretMetadata> {
        self.before_write()?;
        check_value(value)?;
        refuse_kms_key(options.kms_key_id.as_deref())?;
        let now = self.now();
        let record = match self.load(name)? {
            Some(record) if record.is_purged(now) => {
                self.discard(name, record.generation)?;
                None
            }
            other => other,
        };
        let mut record = record_for_create(record, name, now, options)?;
        self.add_version(&mut record, value, now)?;
        self.save(&mut record)?;
        Ok(record.metadata(record.find(&VersionSelector::Latest)))
    }

    /// Changes attributes and, with a value, adds a version (the previous one is kept).
    pub fn update(&self, name: &str, request: &UpdateRequest) -> StoreResult<SecretMetadata> {
        self.before_write()?;
        if let Some(value) = &request.value {
            check_value(value)?;
        }
        refuse_kms_key(request.kms_key_id.as_deref())?;
        let mut record = self.existing(name)?;
        if record.deleted_at.is_some() {
            return Err(Self::deleted(&record, "restore it first"));
        }
        let now = self.now();
        if let Some(value) = &request.value {
            self.add_version(&mut record, value, now)?;
        }
        apply_update(&mut record, request, now);
        self.save(&mut record)?;
        Ok(record.metadata(record.find(&VersionSelector::Latest)))
    }

    /// Deletes a secret: recoverably (returns when it becomes permanent) or,
    /// with [`DeleteMode::Force`], at once with every version's file.
    pub fn delete(&self, name: &str, mode: DeleteMode) -> StoreResult<Option<Timestamp>> {
        self.before_write()?;
        match mode {
            DeleteMode::Force => {
                let generation = match self.existing(name) {
                    Ok(record) => record.generation,
                    // A damaged or rolled-back secret can still be removed for good.
                    Err(StoreError::Corrupted { .. } | StoreError::RolledBack { .. })
                        if self.slot_dir(name).join(super::META_FILE).exists() =>
                    {
                        0
                    }
                    Err(err) => return Err(err),
                };
                self.discard(name, generation)?;
                Ok(None)
            }
            DeleteMode::Recoverable(days) => {
                let days = recovery_window(days, self.options.recovery_days)?;
                let mut record = self.existing(name)?;
                let purge_at = mark_deleted(&mut record, days, self.now())?;
                self.save(&mut record)?;
                Ok(Some(purge_at))
            }
        }
    }

    /// Recovers a deleted secret; a secret that is not deleted stays as it is.
    pub fn restore(&self, name: &str) -> StoreResult<SecretMetadata> {
        self.before_write()?;
        let mut record = self.existing(name)?;
        if record.deleted_at.is_some() {
            record.deleted_at = None;
            record.purge_at = None;
            record.updated_at = self.now();
            self.save(&mut record)?;
        }
        Ok(record.metadata(record.find(&VersionSelector::Latest)))
    }

    fn add_version(&self, record: &mut SecretRecord, value: &SecretValue, now: Timestamp) -> StoreResult<()> {
        let version_id = record.add_version(now, &random_hex::<4>()?);
        self.write_value(&record.name, &version_id, value)
    }

    /// Removes a secret's directory: one rename into `trash/` (the commit
    /// point), then the removal of its files, which a later sweep finishes if
    /// it is interrupted.
    /// The ledger then records the removal, so a copy of the directory put back later is refused.
    pub(super) fn discard(&self, name: &str, generation: u64) -> StoreResult<()> {
        let slot = self.slot_dir(name);
        let Some(dir_name) = slot.file_name() else {
            return Ok(());
        };
        let doomed = self.trash.join(format!("{}.{}", dir_name.to_string_lossy(), random_hex::<4>()?));
        move_path(&slot, &doomed)?;
        // The secret is gone once moved; leftovers are the sweep's.
        let _ = remove_path(&doomed);
        let known = self.ledger_entry(name)?.map_or(0, |entry| entry.generation);
        self.record_in_ledger(name, LedgerEntry { generation: generation.max(known), removed: true })
    }
}

/// The record a create writes from the secret's current one (`None`: there is none, or its deletion became
/// permanent), before its new version is added: a new secret, or the existing one with `options` applied.
pub(crate) fn record_for_create(
    record: Option<SecretRecord>,
    name: &str,
    now: Timestamp,
    options: &WriteOptions,
) -> StoreResult<SecretRecord> {
    let Some(mut record) = record else {
        return Ok(SecretRecord::new(name, now, options));
    };
    if record.deleted_at.is_some() {
        if !options.recover_deleted {
            return Err(LocalStore::deleted(&record, "restore it first, or write with recover-deleted"));
        }
        record.deleted_at = None;
        record.purge_at = None;
    } else if !options.overwrite {
        return Err(StoreError::AlreadyExists(name.to_owned()));
    }
    record.tags.extend(options.tags.clone());
    if options.description.is_some() {
        record.description = options.description.clone();
    }
    if options.expires_at.is_some() {
        record.expires_at = options.expires_at;
    }
    if options.secret_type.is_some() {
        record.secret_type = options.secret_type.clone();
    }
    Ok(record)
}

/// Applies an update's attributes to `record` (its new version, if any, is added by the caller).
pub(crate) fn apply_update(record: &mut SecretRecord, request: &UpdateRequest, now: Timestamp) {
    if request.value.is_none() {
        record.updated_at = now;
    }
    if request.description.is_some() {
        record.description = request.description.clone();
    }
    if request.expires_at.is_some() {
        record.expires_at = request.expires_at;
    }
    if let Some(enabled) = request.enabled {
        record.enabled = enabled;
    }
    record.tags.extend(request.set_tags.clone());
    for key in &request.remove_tags {
        record.tags.remove(key);
    }
}

/// The recovery window of a delete: the one it names, else the store's default; 1 to 365 days.
pub(crate) fn recovery_window(days: Option<u32>, default: u32) -> StoreResult<u32> {
    let days = days.unwrap_or(default);
    if !(1..=365).contains(&days) {
        return Err(StoreError::InvalidArgument(format!("a recovery window of {days} days is outside 1 to 365")));
    }
    Ok(days)
}

/// Marks a live `record` deleted for `days`; returns when the deletion becomes permanent.
pub(crate) fn mark_deleted(record: &mut SecretRecord, days: u32, now: Timestamp) -> StoreResult<Timestamp> {
    if record.deleted_at.is_some() {
        return Err(LocalStore::deleted(record, "it is already deleted; restore it, or delete it with force"));
    }
    let purge_at = now.saturating_add(u64::from(days) * DAY_MS);
    record.deleted_at = Some(now);
    record.purge_at = Some(purge_at);
    Ok(purge_at)
}

/// Checks a value against the store's largest.
pub(crate) fn check_value(value: &SecretValue) -> StoreResult<()> {
    if value.len() > MAX_VALUE_LEN {
        return Err(StoreError::InvalidArgument(format!(
            "the value is {} bytes; the local store keeps values up to {MAX_VALUE_LEN} bytes",
            value.len()
        )));
    }
    Ok(())
}

pub(crate) fn refuse_kms_key(kms_key_id: Option<&str>) -> StoreResult<()> {
    match kms_key_id {
        Some(_) => Err(StoreError::InvalidArgument(
            "the local store encrypts every secret with its master key; a KMS key id does not apply".into(),
        )),
        None => Ok(()),
    }
}
