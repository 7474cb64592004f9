//! The store: one directory per secret under `secrets/`, each holding the
//! encrypted `meta` file (attributes and version list, the commit point of
//! every change) and one encrypted `<version>.val` file per version.
//!
//! ```text
//! <root>/master.key            the key file, when the store is sealed with it
//! <root>/keyring               the data keys, sealed with the key-encryption key
//! <root>/ledger/<xx>           each secret's acknowledged generation (see `ledger`)
//! <root>/secrets/<slot>/meta   SecretRecord, sealed with the name as associated data
//! <root>/secrets/<slot>/<v>.val  one value, sealed with name and version id
//! <root>/trash/                force-deleted secrets on their way out
//! ```
//!
//! A write first puts the new value file in place, then replaces `meta`, then
//! records the new generation in the ledger; a crash in between leaves an
//! unreferenced value file, or a `meta` one generation ahead of the ledger,
//! both the last acknowledged state or the one being acknowledged. Readers
//! read the ledger, then `meta`, then the value files it names, which no write
//! removes (only a forced delete or a purge, after which the secret reads as
//! not found).

mod ledger;
mod read;
mod sweep;
mod write;

#[cfg(test)]
mod tests;

pub use ledger::{ledger_aad, shard_names, LedgerEntry, LEDGER_DIR};
pub(crate) use read::{describe_version, page_of, readable};
pub use sweep::SweepReport;
pub(crate) use write::{apply_update, check_value, mark_deleted, record_for_create, recovery_window, refuse_kms_key};

use crate::crypto::Envelope;
use crate::error::{StoreError, StoreResult};
use crate::fsio::{ensure_dir, read_file, replace_file};
use crate::keyring::{KeySource, Keyring};
use crate::names::{check_name, is_version_id, slot_of};
use crate::record::{decode_value, encode_value, meta_aad, value_aad, SecretRecord, VersionRecord};
use crate::time::{now_ms, rfc3339};
use keyway_plugin_sdk::{SecretValue, Timestamp};
use std::cell::Cell;
use std::path::{Path, PathBuf};

/// The name of a secret's metadata file.
pub const META_FILE: &str = "meta";
/// The suffix of value files.
pub const VALUE_SUFFIX: &str = ".val";
/// The recovery window when neither the delete nor the settings name one.
pub const DEFAULT_RECOVERY_DAYS: u32 = 30;

/// Tunables of a store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoreOptions {
    /// Days a deleted secret stays restorable when a delete names no window.
    pub recovery_days: u32,
}

impl Default for StoreOptions {
    fn default() -> Self {
        Self { recovery_days: DEFAULT_RECOVERY_DAYS }
    }
}

/// An open store rooted at one directory (`/data` inside the plugin).
pub struct LocalStore {
    root: PathBuf,
    secrets: PathBuf,
    trash: PathBuf,
    keys: Keyring,
    options: StoreOptions,
    clock: Box<dyn Fn() -> Timestamp>,
    last_sweep: Cell<Option<Timestamp>>,
}

impl std::fmt::Debug for LocalStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalStore").field("root", &self.root).field("options", &self.options).finish_non_exhaustive()
    }
}

impl LocalStore {
    /// Opens (and on first use sets up) the store at `root`, which must exist.
    pub fn open(root: impl Into<PathBuf>, key: &KeySource, options: StoreOptions) -> StoreResult<Self> {
        let root = root.into();
        if !root.is_dir() {
            return Err(StoreError::io(
                "open the store at",
                &root,
                std::io::Error::new(std::io::ErrorKind::NotFound, "it is not a directory"),
            ));
        }
        let keys = Keyring::unlock(&root, key)?;
        let secrets = root.join("secrets");
        let trash = root.join("trash");
        ensure_dir(&secrets)?;
        ensure_dir(&trash)?;
        Ok(Self { root, secrets, trash, keys, options, clock: Box::new(now_ms), last_sweep: Cell::new(None) })
    }

    /// Replaces the wall clock, for tests of recovery windows.
    pub fn with_clock(mut self, clock: impl Fn() -> Timestamp + 'static) -> Self {
        self.clock = Box::new(clock);
        self
    }

    /// The store's directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    fn now(&self) -> Timestamp {
        (self.clock)()
    }

    fn slot_dir(&self, name: &str) -> PathBuf {
        self.secrets.join(slot_of(name))
    }

    /// Reads the record of `name`, whatever its state; `None` when there is none.
    fn load(&self, name: &str) -> StoreResult<Option<SecretRecord>> {
        check_name(name)?;
        self.load_slot(&self.slot_dir(name), name)
    }

    /// Reads the record of secret `expected` in its slot directory, checking it is the secret it claims to be
    /// and no older than the ledger's record of it.
    fn load_slot(&self, slot: &Path, expected: &str) -> StoreResult<Option<SecretRecord>> {
        // The ledger first: a write records there after replacing `meta`, so `meta` is never behind it.
        let entry = self.ledger_entry(expected)?;
        let path = slot.join(META_FILE);
        let Some(bytes) = read_file(&path)? else {
            return Ok(None);
        };
        let envelope = Envelope::parse(&bytes, &path)?;
        let name = envelope.name.clone().ok_or_else(|| StoreError::corrupted(&path, "it names no secret"))?;
        let at_home = slot.file_name().is_some_and(|dir| dir.to_str() == Some(slot_of(&name).as_str()));
        if expected != name || !at_home {
            return Err(StoreError::corrupted(&path, "it belongs to another secret"));
        }
        let plaintext = self.keys.open(&meta_aad(&name), &envelope, &path)?;
        let record: SecretRecord = serde_json::from_slice(&plaintext)
            .map_err(|err| StoreError::corrupted(&path, format!("its content is not a secret record: {err}")))?;
        if record.name != name {
            return Err(StoreError::corrupted(&path, "its record names another secret"));
        }
        self.check_generation(&name, record.generation, entry, &path)?;
        Ok(Some(record))
    }

    /// The record of `name` unless it does not exist or its deletion became permanent.
    fn existing(&self, name: &str) -> StoreResult<SecretRecord> {
        match self.load(name)? {
            Some(record) if !record.is_purged(self.now()) => Ok(record),
            _ => Err(StoreError::NotFound(name.to_owned())),
        }
    }

    /// Writes the record as the secret's new `meta` (the commit point of a change) with the next
    /// generation, then records that generation in the ledger.
    fn save(&self, record: &mut SecretRecord) -> StoreResult<()> {
        let slot = self.slot_dir(&record.name);
        ensure_dir(&slot)?;
        let known = self.ledger_entry(&record.name)?.map_or(0, |entry| entry.generation);
        record.generation = record.generation.max(known) + 1;
        let plaintext =
            zeroize::Zeroizing::new(serde_json::to_vec(record).map_err(|err| {
                StoreError::InvalidArgument(format!("the secret's attributes cannot be stored: {err}"))
            })?);
        let sealed = self.keys.seal(&meta_aad(&record.name), &plaintext, Some(&record.name))?;
        replace_file(&slot, META_FILE, &sealed.to_bytes())?;
        self.record_in_ledger(&record.name, LedgerEntry { generation: record.generation, removed: false })
    }

    /// Before a write: follows a re-key another process made, so nothing is sealed with a retired key.
    fn before_write(&self) -> StoreResult<()> {
        self.keys.refresh()
    }

    /// Writes one version's value file (before the `meta` that refers to it).
    fn write_value(&self, name: &str, version_id: &str, value: &SecretValue) -> StoreResult<()> {
        let slot = self.slot_dir(name);
        ensure_dir(&slot)?;
        let sealed = self.keys.seal(&value_aad(name, version_id), &encode_value(value), None)?;
        replace_file(&slot, &format!("{version_id}{VALUE_SUFFIX}"), &sealed.to_bytes())
    }

    /// Reads one version's value.
    fn read_value(&self, record: &SecretRecord, version: &VersionRecord) -> StoreResult<SecretValue> {
        let slot = self.slot_dir(&record.name);
        if !is_version_id(&version.id) {
            return Err(StoreError::corrupted(slot.join(META_FILE), "it lists a malformed version id"));
        }
        let path = slot.join(format!("{}{VALUE_SUFFIX}", version.id));
        let Some(bytes) = read_file(&path)? else {
            // A forced delete may have removed the secret since `meta` was read;
            // if `meta` still lists the version, its file is lost.
            let still_listed = self
                .load(&record.name)
                .ok()
                .flatten()
                .is_some_and(|now| now.versions.iter().any(|v| v.id == version.id));
            return Err(if still_listed {
                StoreError::corrupted(&path, "it is missing, though the secret's meta file lists it")
            } else {
                StoreError::NotFound(record.name.clone())
            });
        };
        let envelope = Envelope::parse(&bytes, &path)?;
        let plaintext = self.keys.open(&value_aad(&record.name, &version.id), &envelope, &path)?;
        decode_value(&plaintext, &path)
    }

    /// The error for a write to a deleted secret.
    pub(crate) fn deleted(record: &SecretRecord, hint: &'static str) -> StoreError {
        StoreError::Deleted {
            name: record.name.clone(),
            purge_at: record.purge_at.map(rfc3339).unwrap_or_else(|| "it is purged".into()),
            hint,
        }
    }
}
