//! Re-keying a store: a new data key, every file sealed again with it, and the
//! data keys sealed with a new key-encryption key (a new passphrase or key).
//!
//! The caller holds the store's write lock (the host's lock file beside the
//! directory), so no write runs meanwhile; readers keep reading throughout.
//! Every step leaves a store that opens:
//! 1. the keyring gains the new data key, sealed under the old credential
//!    (`active`) and, with all the other keys, under the new one (`next`):
//!    from here on either credential opens every file;
//! 2. each file is sealed again with the new data key and replaced atomically;
//! 3. the keyring keeps only the new data key under the new credential;
//! 4. the key file (when the new credential is not it) and a format-1 store's
//!    key check are removed.
//!
//! Killed at any point, running it again with the same credentials finishes
//! the job; after step 3 the old credential no longer opens the store.

use crate::crypto::{random_bytes, random_hex, Envelope, KEY_LEN};
use crate::error::{StoreError, StoreResult};
use crate::fsio::{list_dir, read_file, remove_path, replace_file, TEMP_PREFIX};
use crate::keyring::{
    kek_for, new_sealed_by, seal_keys, KeySeal, KeySource, Keyring, KeyringFile, KEYCHECK_FILE, KEYRING_FILE, KEY_FILE,
};
use crate::names::is_version_id;
use crate::record::{meta_aad, value_aad};
use crate::store::{ledger_aad, shard_names, LEDGER_DIR, META_FILE, VALUE_SUFFIX};
use std::path::Path;
use zeroize::Zeroizing;

/// What a re-key did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RekeyReport {
    /// Files sealed again with the new data key.
    pub resealed: usize,
    /// Files already sealed with it (by an interrupted run).
    pub already_resealed: usize,
    /// Whether this run finished one that had been interrupted.
    pub resumed: bool,
    /// Whether the store was already sealed with the new credential and only leftovers were removed.
    pub already_done: bool,
    /// Files that could not be opened (damaged before the re-key), one line each: they stay as they were
    /// and are unreadable from now on.
    pub damaged: Vec<String>,
}

/// Re-keys the store at `root` from credential `old` to `new` (a passphrase or a key).
pub fn rekey(root: &Path, old: &KeySource, new: &KeySource) -> StoreResult<RekeyReport> {
    if matches!(new, KeySource::KeyFile) {
        return Err(StoreError::Key(
            "a re-key seals the store with a new passphrase or key; a new key file is not offered".into(),
        ));
    }
    if read_file(&root.join(KEYRING_FILE))?.is_none() && read_file(&root.join(KEYCHECK_FILE))?.is_none() {
        return Err(StoreError::Key(format!("there is no store at {}: nothing to re-key", root.display())));
    }
    let keyring = match Keyring::unlock(root, old) {
        Ok(keyring) => keyring,
        Err(err @ (StoreError::WrongKey { .. } | StoreError::Key(_))) => {
            // Done already (the old credential was retired by an earlier run)? Then only tidy up.
            return match (Keyring::unlock(root, new), KeyringFile::read(root)?) {
                (Ok(_), Some((file, _))) if file.next.is_none() => {
                    remove_leftovers(root, new)?;
                    Ok(RekeyReport { already_done: true, ..RekeyReport::default() })
                }
                _ => Err(err),
            };
        }
        Err(err) => return Err(err),
    };
    let (file, _) =
        KeyringFile::read(root)?.ok_or_else(|| StoreError::corrupted(root.join(KEYRING_FILE), "it vanished"))?;
    let mut report = RekeyReport::default();
    let (keyring, target) = match &file.next {
        Some(next) => {
            report.resumed = true;
            let kek = kek_for(root, new, &next.sealed_by)?.ok_or_else(|| unfinished(root))?;
            (keyring.replace(&file, kek).map_err(|_| unfinished(root))?, next.clone())
        }
        None => {
            let (mut raw, _) = keyring.raw_keys();
            let old_kek = kek_for(root, old, &file.active.sealed_by)?
                .ok_or_else(|| StoreError::Key("the old credential does not match the store's keyring".into()))?;
            let sealed_by = new_sealed_by(new)?;
            let new_kek = kek_for(root, new, &sealed_by)?
                .ok_or_else(|| StoreError::Key("the new credential does not match its own seal".into()))?;
            let id = format!("k{}", random_hex::<4>()?);
            raw.insert(id.clone(), Zeroizing::new(random_bytes::<KEY_LEN>()?));
            let next = seal_keys(sealed_by, &new_kek, &raw, &id)?;
            let step = KeyringFile {
                format: file.format,
                active: seal_keys(file.active.sealed_by.clone(), &old_kek, &raw, &id)?,
                next: Some(next.clone()),
            };
            (keyring.replace(&step, new_kek)?, next)
        }
    };
    reseal_all(root, &keyring, &target.current, &mut report)?;
    let last = KeyringFile {
        format: file.format,
        active: KeySeal {
            sealed_by: target.sealed_by.clone(),
            keys: target
                .keys
                .iter()
                .filter(|(id, _)| **id == target.current)
                .map(|(id, e)| (id.clone(), e.clone()))
                .collect(),
            current: target.current.clone(),
        },
        next: None,
    };
    replace_file(root, KEYRING_FILE, &last.to_bytes()?)?;
    remove_leftovers(root, new)?;
    Ok(report)
}

fn unfinished(root: &Path) -> StoreError {
    StoreError::Key(format!(
        "a re-key of the store at {} to another passphrase or key is unfinished: run it again with the same new one",
        root.display()
    ))
}

/// Removes what the old credential left: the key file (unless it is the new credential) and the key check.
fn remove_leftovers(root: &Path, new: &KeySource) -> StoreResult<()> {
    if !matches!(new, KeySource::KeyFile) {
        remove_path(&root.join(KEY_FILE))?;
    }
    remove_path(&root.join(KEYCHECK_FILE))
}

/// Seals every file of the store with key `target`.
fn reseal_all(root: &Path, keyring: &Keyring, target: &str, report: &mut RekeyReport) -> StoreResult<()> {
    let secrets = root.join("secrets");
    for slot_name in list_dir(&secrets)? {
        let slot = secrets.join(&slot_name);
        if !slot.is_dir() {
            continue;
        }
        let meta_path = slot.join(META_FILE);
        let Some(bytes) = read_file(&meta_path)? else {
            continue;
        };
        let name = match Envelope::parse(&bytes, &meta_path).map(|envelope| envelope.name) {
            Ok(Some(name)) => name,
            Ok(None) => {
                report.damaged.push(format!("{}: it names no secret", meta_path.display()));
                continue;
            }
            Err(err) => {
                report.damaged.push(err.to_string());
                continue;
            }
        };
        for file_name in list_dir(&slot)? {
            if file_name.starts_with(TEMP_PREFIX) || file_name == META_FILE {
                continue;
            }
            let Some(version) = file_name.strip_suffix(VALUE_SUFFIX).filter(|id| is_version_id(id)) else {
                continue;
            };
            reseal(&slot, &file_name, &value_aad(&name, version), keyring, target, report)?;
        }
        // `meta` last: a secret's value files never name a key its `meta`'s readers cannot find.
        reseal(&slot, META_FILE, &meta_aad(&name), keyring, target, report)?;
    }
    let ledger = root.join(LEDGER_DIR);
    for shard in shard_names() {
        if ledger.join(&shard).exists() {
            reseal(&ledger, &shard, &ledger_aad(&shard), keyring, target, report)?;
        }
    }
    Ok(())
}

/// Seals one file again with key `target`, unless it already is; a file that does not open is reported and
/// left as it is, and a file-system failure stops the re-key (running it again continues).
fn reseal(
    dir: &Path,
    file_name: &str,
    aad: &[u8],
    keyring: &Keyring,
    target: &str,
    report: &mut RekeyReport,
) -> StoreResult<()> {
    let path = dir.join(file_name);
    let Some(bytes) = read_file(&path)? else {
        return Ok(());
    };
    let envelope = match Envelope::parse(&bytes, &path) {
        Ok(envelope) => envelope,
        Err(err) => {
            report.damaged.push(err.to_string());
            return Ok(());
        }
    };
    if envelope.key_id() == target {
        report.already_resealed += 1;
        return Ok(());
    }
    let plaintext = match keyring.open(aad, &envelope, &path) {
        Ok(plaintext) => plaintext,
        Err(err @ StoreError::Io { .. }) => return Err(err),
        Err(err) => {
            report.damaged.push(err.to_string());
            return Ok(());
        }
    };
    let sealed = keyring.seal(aad, &plaintext, envelope.name.as_deref())?;
    replace_file(dir, file_name, &sealed.to_bytes())?;
    report.resealed += 1;
    Ok(())
}
