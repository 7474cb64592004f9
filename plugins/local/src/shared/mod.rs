//! The store kept in the host's store (`keyway:store/kv@0.1.0`, setting `store: host`) instead of the data
//! directory: the same records and values, sealed the same way inside the plugin, so the host (and the
//! database behind it, for a fleet on `storage: records`) holds only ciphertext.
//!
//! ```text
//! keyring                  the data keys, sealed with the `key` or `passphrase` setting (as the file)
//! m/<slot>                 SecretRecord, sealed with the name as associated data (as `meta`)
//! v/<slot>/<version id>    one value, sealed with name and version id (as `<version>.val`)
//! ```
//!
//! Many nodes write one store, so every change is a compare-and-swap of the secret's record on the version
//! the change was computed from: a writer that loses the race reads the record again and makes its change on
//! the new one (a new version is appended to whatever versions are there), so no acknowledged version is
//! dropped from a secret's list. A new version's value is written (under a fresh key) before the record
//! naming it, so a record never names a value that is not there; the values of writes that lost the race
//! are removed by their writer. Each write the host acknowledges is committed (or synced), so a crash of a
//! node or of the database loses nothing acknowledged.
//!
//! What the file store does and this does not: the rollback ledger (the host is trusted to keep what it
//! acknowledged), sweeping purged secrets (a purged secret reads as absent and is replaced by the next
//! create), and `keyway store rekey`.

#[cfg(target_arch = "wasm32")]
pub mod host;
mod memory;
#[cfg(test)]
mod tests;

pub use memory::MemoryKv;

use crate::crypto::{random_hex, Envelope};
use crate::error::{StoreError, StoreResult};
use crate::keyring::{KeySource, Keyring};
use crate::names::{check_name, is_version_id};
use crate::record::{decode_value, encode_value, meta_aad, value_aad, SecretRecord};
use crate::store::{
    apply_update, check_value, describe_version, mark_deleted, readable, record_for_create, recovery_window,
    refuse_kms_key, LocalStore, StoreOptions,
};
use crate::time::now_ms;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use keyway_plugin_sdk::{
    DeleteMode, ListPage, ListRequest, Secret, SecretMetadata, SecretValue, Timestamp, UpdateRequest, VersionInfo,
    VersionSelector, WriteOptions,
};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

/// The key of the keyring.
pub const KEYRING_KEY: &str = "keyring";
/// How many times a change is made again on a newer record before the writer gives up.
const MAX_ATTEMPTS: usize = 64;
/// Names up to this many bytes are keyed by their base64url (the host's keys are at most 120 bytes).
const INLINE_NAME_LEN: usize = 48;

/// A key-value store with compare-and-swap: the host's (`keyway:store/kv`), or one in memory for tests.
pub trait Kv {
    /// The value of `key` and its version token.
    fn get(&self, key: &str) -> StoreResult<Option<(Vec<u8>, String)>>;
    /// Writes `value` if the key's version is `expected` (none: absent): the new version, or `Err` with the
    /// current version when it is not.
    fn compare_and_swap(
        &self,
        key: &str,
        expected: Option<&str>,
        value: &[u8],
    ) -> StoreResult<Result<String, Option<String>>>;
    /// Removes `key`; true when it existed.
    fn delete(&self, key: &str) -> StoreResult<bool>;
    /// A page of keys starting with `prefix` after `cursor`, and the next cursor.
    fn list(&self, prefix: &str, cursor: Option<&str>) -> StoreResult<(Vec<String>, Option<String>)>;
}

/// The part of the keys of one secret: `n` and the base64url of a short name, else `h` and its SHA-256.
fn slot_of(name: &str) -> String {
    if name.len() <= INLINE_NAME_LEN {
        format!("n{}", URL_SAFE_NO_PAD.encode(name))
    } else {
        let digest = Sha256::digest(name.as_bytes());
        format!("h{}", digest.iter().map(|b| format!("{b:02x}")).collect::<String>())
    }
}

/// The name a record's key holds, for a short name (`m/n<base64url>`); `None` for a hashed one.
fn name_in_key(key: &str) -> Option<String> {
    let encoded = key.strip_prefix("m/n")?;
    let name = String::from_utf8(URL_SAFE_NO_PAD.decode(encoded).ok()?).ok()?;
    (meta_key(&name) == key).then_some(name)
}

fn meta_key(name: &str) -> String {
    format!("m/{}", slot_of(name))
}

fn value_key(name: &str, version_id: &str) -> String {
    format!("v/{}/{version_id}", slot_of(name))
}

/// The path naming a key in messages (the store has no files).
fn label(key: &str) -> PathBuf {
    Path::new("host-store").join(key)
}

/// A secret's record as read, with the version token a change of it must name.
struct Current {
    record: Option<SecretRecord>,
    token: Option<String>,
}

/// What a change makes of a secret's record.
enum Change<'a, T> {
    /// Write this record, with a new version of this value first if any; answer `T` once written.
    Write(Box<SecretRecord>, Option<&'a SecretValue>, fn(&SecretRecord) -> T),
    /// Remove the record (and its values); answer `T`.
    Remove(T),
}

/// The store on a [`Kv`].
pub struct SharedStore<K: Kv> {
    kv: K,
    keys: Keyring,
    options: StoreOptions,
    clock: Box<dyn Fn() -> Timestamp>,
}

impl<K: Kv> std::fmt::Debug for SharedStore<K> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SharedStore").field("options", &self.options).finish_non_exhaustive()
    }
}

impl<K: Kv> SharedStore<K> {
    /// Opens the store on `kv`, setting up its keyring on first use (the first of many nodes to do so wins;
    /// the others open the keyring it wrote).
    pub fn open(kv: K, key: &KeySource, options: StoreOptions) -> StoreResult<Self> {
        let keys = match kv.get(KEYRING_KEY)? {
            Some((bytes, _)) => Keyring::from_bytes(&label(KEYRING_KEY), key, bytes)?,
            None => {
                let bytes = Keyring::new_file_bytes(key)?;
                if kv.compare_and_swap(KEYRING_KEY, None, &bytes)?.is_ok() {
                    Keyring::from_bytes(&label(KEYRING_KEY), key, bytes)?
                } else {
                    let (bytes, _) = kv
                        .get(KEYRING_KEY)?
                        .ok_or_else(|| StoreError::corrupted(label(KEYRING_KEY), "it vanished while being set up"))?;
                    Keyring::from_bytes(&label(KEYRING_KEY), key, bytes)?
                }
            }
        };
        Ok(Self { kv, keys, options, clock: Box::new(now_ms) })
    }

    /// Replaces the wall clock, for tests of recovery windows.
    pub fn with_clock(mut self, clock: impl Fn() -> Timestamp + 'static) -> Self {
        self.clock = Box::new(clock);
        self
    }

    /// The key-value store underneath.
    pub fn kv(&self) -> &K {
        &self.kv
    }

    fn now(&self) -> Timestamp {
        (self.clock)()
    }

    /// The record of `name` and its version token.
    fn load(&self, name: &str) -> StoreResult<Current> {
        check_name(name)?;
        let key = meta_key(name);
        let Some((bytes, token)) = self.kv.get(&key)? else {
            return Ok(Current { record: None, token: None });
        };
        let path = label(&key);
        let envelope = Envelope::parse(&bytes, &path)?;
        if envelope.name.as_deref() != Some(name) {
            return Err(StoreError::corrupted(&path, "it belongs to another secret"));
        }
        let plaintext = self.keys.open(&meta_aad(name), &envelope, &path)?;
        let record: SecretRecord = serde_json::from_slice(&plaintext)
            .map_err(|err| StoreError::corrupted(&path, format!("its content is not a secret record: {err}")))?;
        if record.name != name {
            return Err(StoreError::corrupted(&path, "its record names another secret"));
        }
        Ok(Current { record: Some(record), token: Some(token) })
    }

    /// The record of `name` unless it does not exist or its deletion became permanent.
    fn existing(&self, name: &str) -> StoreResult<SecretRecord> {
        match self.load(name)?.record {
            Some(record) if !record.is_purged(self.now()) => Ok(record),
            _ => Err(StoreError::NotFound(name.to_owned())),
        }
    }

    /// Makes `change` on the current record of `name` and writes it if the record is still the one it was
    /// made on; otherwise makes it again on the newer record.
    fn change<'a, T>(
        &self,
        name: &str,
        mut change: impl FnMut(Option<SecretRecord>, Timestamp) -> StoreResult<Change<'a, T>>,
    ) -> StoreResult<T> {
        for _ in 0..MAX_ATTEMPTS {
            let Current { record, token } = self.load(name)?;
            let now = self.now();
            let old_versions: Vec<String> =
                record.as_ref().map(|r| r.versions.iter().map(|v| v.id.clone()).collect()).unwrap_or_default();
            let live = record.filter(|record| !record.is_purged(now));
            let purged_before = token.is_some() && live.is_none();
            match change(live, now)? {
                Change::Remove(answer) => {
                    let meta = meta_key(name);
                    self.kv.delete(&meta)?;
                    self.remove_values(name, &old_versions);
                    return Ok(answer);
                }
                Change::Write(record, value, answer) => {
                    let mut record = *record;
                    let new_value = match value {
                        Some(value) => Some(self.write_value(&mut record, value, now)?),
                        None => None,
                    };
                    record.generation += 1;
                    let plaintext = zeroize::Zeroizing::new(serde_json::to_vec(&record).map_err(|err| {
                        StoreError::InvalidArgument(format!("the secret's attributes cannot be stored: {err}"))
                    })?);
                    let sealed = self.keys.seal(&meta_aad(name), &plaintext, Some(name))?;
                    match self.kv.compare_and_swap(&meta_key(name), token.as_deref(), &sealed.to_bytes())? {
                        Ok(_) => {
                            if purged_before {
                                // The purged secret's values, which its replacement does not name.
                                self.remove_values(name, &old_versions);
                            }
                            return Ok(answer(&record));
                        }
                        Err(_) => {
                            // Another writer changed the secret meanwhile: make the change again on its record.
                            if let Some(key) = new_value {
                                let _ = self.kv.delete(&key);
                            }
                        }
                    }
                }
            }
        }
        Err(StoreError::Unavailable(format!(
            "secret '{name}' changed {MAX_ATTEMPTS} times while this write was being made; try again"
        )))
    }

    /// Adds a version of `value` to `record` and writes its value under a fresh key; the key.
    fn write_value(&self, record: &mut SecretRecord, value: &SecretValue, now: Timestamp) -> StoreResult<String> {
        let version_id = record.add_version(now, &random_hex::<4>()?);
        let sealed = self.keys.seal(&value_aad(&record.name, &version_id), &encode_value(value), None)?;
        let key = value_key(&record.name, &version_id);
        match self.kv.compare_and_swap(&key, None, &sealed.to_bytes())? {
            Ok(_) => Ok(key),
            Err(_) => Err(StoreError::corrupted(label(&key), "a value already exists under a new version's key")),
        }
    }

    /// Removes the values of a secret's versions (best effort: leftovers are unreferenced ciphertext).
    fn remove_values(&self, name: &str, versions: &[String]) {
        for id in versions {
            let _ = self.kv.delete(&value_key(name, id));
        }
    }

    /// Reads a version's value and metadata. Deleted secrets read as not found.
    pub fn get(&self, name: &str, selector: &VersionSelector) -> StoreResult<Secret> {
        let record = self.existing(name)?;
        let version = readable(&record, selector)?;
        let key = value_key(name, &version.id);
        let path = label(&key);
        if !is_version_id(&version.id) {
            return Err(StoreError::corrupted(label(&meta_key(name)), "it lists a malformed version id"));
        }
        let Some((bytes, _)) = self.kv.get(&key)? else {
            // A forced delete may have removed the secret since its record was read.
            let still_listed =
                self.load(name)?.record.is_some_and(|now| now.versions.iter().any(|v| v.id == version.id));
            return Err(if still_listed {
                StoreError::corrupted(&path, "it is missing, though the secret's record lists it")
            } else {
                StoreError::NotFound(name.to_owned())
            });
        };
        let envelope = Envelope::parse(&bytes, &path)?;
        let plaintext = self.keys.open(&value_aad(name, &version.id), &envelope, &path)?;
        let value = decode_value(&plaintext, &path)?;
        Ok(Secret { value, metadata: record.metadata(Some(version)) })
    }

    /// Reads metadata only.
    pub fn describe(&self, name: &str, selector: &VersionSelector) -> StoreResult<SecretMetadata> {
        describe_version(&self.existing(name)?, selector)
    }

    /// A secret's versions, newest first.
    pub fn versions(&self, name: &str) -> StoreResult<Vec<VersionInfo>> {
        Ok(self.existing(name)?.version_infos())
    }

    /// One page of secrets' metadata, sorted by name; the page token is the last name of the previous page.
    pub fn list(&self, request: &ListRequest) -> StoreResult<ListPage> {
        let mut names = Vec::new();
        let mut cursor = None;
        loop {
            let (keys, next) = self.kv.list("m/", cursor.as_deref())?;
            for key in keys {
                // A short name is in its key; a long one (hashed) in its sealed record's envelope.
                if let Some(name) = name_in_key(&key) {
                    names.push(name);
                    continue;
                }
                let Some((bytes, _)) = self.kv.get(&key)? else { continue };
                if let Some(name) = Envelope::parse(&bytes, &label(&key))?.name {
                    names.push(name);
                }
            }
            match next {
                Some(next) => cursor = Some(next),
                None => break,
            }
        }
        names.sort();
        let page = crate::store::page_of(names, request, |name| match self.load(name) {
            Ok(Current { record: Some(record), .. }) if !record.is_purged(self.now()) => {
                Some(Ok(record.metadata(record.find(&VersionSelector::Latest))))
            }
            Ok(_) => None,
            Err(err) => Some(Err(err)),
        })?;
        Ok(page)
    }

    /// Creates a secret; with `overwrite`, adds a version to an existing one; with `recover_deleted`, restores
    /// a deleted one and adds a version.
    pub fn create(&self, name: &str, value: &SecretValue, options: &WriteOptions) -> StoreResult<SecretMetadata> {
        check_value(value)?;
        refuse_kms_key(options.kms_key_id.as_deref())?;
        self.change(name, |record, now| {
            let record = record_for_create(record, name, now, options)?;
            Ok(Change::Write(Box::new(record), Some(value), latest))
        })
    }

    /// Changes attributes and, with a value, adds a version.
    pub fn update(&self, name: &str, request: &UpdateRequest) -> StoreResult<SecretMetadata> {
        if let Some(value) = &request.value {
            check_value(value)?;
        }
        refuse_kms_key(request.kms_key_id.as_deref())?;
        self.change(name, |record, now| {
            let mut record = record.ok_or_else(|| StoreError::NotFound(name.to_owned()))?;
            if record.deleted_at.is_some() {
                return Err(LocalStore::deleted(&record, "restore it first"));
            }
            apply_update(&mut record, request, now);
            Ok(Change::Write(Box::new(record), request.value.as_ref(), latest))
        })
    }

    /// Deletes a secret: recoverably (returns when it becomes permanent) or, with [`DeleteMode::Force`], at
    /// once with every version's value.
    pub fn delete(&self, name: &str, mode: DeleteMode) -> StoreResult<Option<Timestamp>> {
        match mode {
            DeleteMode::Force => self.change(name, |record, _| match record {
                Some(_) => Ok(Change::Remove(None)),
                None => Err(StoreError::NotFound(name.to_owned())),
            }),
            DeleteMode::Recoverable(days) => {
                let days = recovery_window(days, self.options.recovery_days)?;
                self.change(name, |record, now| {
                    let mut record = record.ok_or_else(|| StoreError::NotFound(name.to_owned()))?;
                    mark_deleted(&mut record, days, now)?;
                    Ok(Change::Write(Box::new(record), None, |record| record.purge_at))
                })
            }
        }
    }

    /// Recovers a deleted secret; a secret that is not deleted stays as it is.
    pub fn restore(&self, name: &str) -> StoreResult<SecretMetadata> {
        let record = self.existing(name)?;
        if record.deleted_at.is_none() {
            return Ok(latest(&record));
        }
        self.change(name, |record, now| {
            let mut record = record.ok_or_else(|| StoreError::NotFound(name.to_owned()))?;
            record.deleted_at = None;
            record.purge_at = None;
            record.updated_at = now;
            Ok(Change::Write(Box::new(record), None, latest))
        })
    }
}

/// The metadata of a record's current version.
fn latest(record: &SecretRecord) -> SecretMetadata {
    record.metadata(record.find(&VersionSelector::Latest))
}
