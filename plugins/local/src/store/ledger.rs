//! The ledger: the store's own authenticated record of each secret's
//! generation, so that an older copy of a secret's files put back into the
//! directory is refused instead of served.
//!
//! Every change of a secret seals its `meta` with a generation one above the
//! last, then records that generation here; a forced delete or a purge records
//! the generation it removed. A reader reads the ledger first, then `meta`: a
//! `meta` older than the ledger's generation, or no newer than a removal, was
//! put back from an earlier state and is refused. A `meta` newer than the
//! ledger is the last write before a crash, and is accepted. The ledger is
//! split in 256 sealed shards by a hash of the name, so one change rewrites a
//! small file.
//!
//! What it cannot see: the whole directory restored from a backup is an older
//! but consistent store, and opens as such (that is how backups are restored).

use super::LocalStore;
use crate::crypto::Envelope;
use crate::error::{StoreError, StoreResult};
use crate::fsio::{ensure_dir, read_file, replace_file};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::path::PathBuf;

/// The ledger's directory in the store.
pub const LEDGER_DIR: &str = "ledger";

/// What the ledger knows of one secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LedgerEntry {
    /// The generation of the secret's last acknowledged change.
    pub generation: u64,
    /// Whether that change removed the secret for good (forced delete or purge).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub removed: bool,
}

/// The plaintext of one shard.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Shard {
    secrets: BTreeMap<String, LedgerEntry>,
}

/// The shard a secret's entry lives in: two hex digits of a hash of its name.
fn shard_of(name: &str) -> String {
    format!("{:02x}", Sha256::digest(name.as_bytes())[0])
}

fn shard_aad(shard: &str) -> Vec<u8> {
    [b"keyway-local/ledger\0".as_slice(), shard.as_bytes()].concat()
}

impl LocalStore {
    fn ledger_path(&self, shard: &str) -> PathBuf {
        self.root.join(LEDGER_DIR).join(shard)
    }

    fn read_shard(&self, shard: &str) -> StoreResult<Shard> {
        let path = self.ledger_path(shard);
        let Some(bytes) = read_file(&path)? else {
            return Ok(Shard::default());
        };
        let envelope = Envelope::parse(&bytes, &path).map_err(|err| ledger_damaged(&path, err))?;
        let plaintext =
            self.keys.open(&shard_aad(shard), &envelope, &path).map_err(|err| ledger_damaged(&path, err))?;
        serde_json::from_slice(&plaintext).map_err(|err| {
            ledger_damaged(&path, StoreError::corrupted(&path, format!("it is not a ledger shard: {err}")))
        })
    }

    /// The ledger's entry for `name`, if it has one.
    pub(super) fn ledger_entry(&self, name: &str) -> StoreResult<Option<LedgerEntry>> {
        Ok(self.read_shard(&shard_of(name))?.secrets.get(name).copied())
    }

    /// Records a secret's new generation (writers only: the host runs them one at a time).
    pub(super) fn record_in_ledger(&self, name: &str, entry: LedgerEntry) -> StoreResult<()> {
        let shard_name = shard_of(name);
        let mut shard = self.read_shard(&shard_name)?;
        if shard.secrets.get(name).is_some_and(|known| known.generation > entry.generation) {
            return Ok(());
        }
        shard.secrets.insert(name.to_owned(), entry);
        let plaintext = zeroize::Zeroizing::new(
            serde_json::to_vec(&shard)
                .map_err(|err| StoreError::InvalidArgument(format!("the ledger cannot be written: {err}")))?,
        );
        let sealed = self.keys.seal(&shard_aad(&shard_name), &plaintext, None)?;
        let dir = self.root.join(LEDGER_DIR);
        ensure_dir(&dir)?;
        replace_file(&dir, &shard_name, &sealed.to_bytes())
    }

    /// Refuses a `meta` of generation `generation` that the ledger shows was put back from an earlier state.
    pub(super) fn check_generation(
        &self,
        name: &str,
        generation: u64,
        entry: Option<LedgerEntry>,
        meta: &std::path::Path,
    ) -> StoreResult<()> {
        match entry {
            Some(LedgerEntry { generation: known, removed: false }) if generation < known => {
                Err(StoreError::RolledBack {
                    file: meta.to_path_buf(),
                    detail: format!(
                        "it holds change {generation} of secret '{name}', but the store acknowledged change {known}: \
                     an older copy was put back"
                    ),
                })
            }
            Some(LedgerEntry { generation: known, removed: true }) if generation <= known => {
                Err(StoreError::RolledBack {
                    file: meta.to_path_buf(),
                    detail: format!(
                        "secret '{name}' was deleted for good (change {known}), but a copy of its files was put back"
                    ),
                })
            }
            _ => Ok(()),
        }
    }
}

/// A damaged shard, with what to do about it.
fn ledger_damaged(path: &std::path::Path, err: StoreError) -> StoreError {
    match err {
        StoreError::Corrupted { reason, .. } => StoreError::corrupted(
            path,
            format!(
                "{reason}; it is part of the store's ledger: restore it from a backup, or remove it to accept the \
                 current files of the secrets it covers"
            ),
        ),
        other => other,
    }
}

/// The shard file names a store may hold, for a re-key.
pub fn shard_names() -> impl Iterator<Item = String> {
    (0..=255u8).map(|byte| format!("{byte:02x}"))
}

/// The associated data of a shard, for a re-key.
pub fn ledger_aad(shard: &str) -> Vec<u8> {
    shard_aad(shard)
}
