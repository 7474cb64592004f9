//! Unlocking a store: finding its master key and proving it is the right one.
//!
//! The key comes from the `key` setting, or else from the key file
//! `master.key` in the store's directory, which a new store creates with 32
//! random bytes. Beside it, the file `keycheck` holds a known text sealed with
//! the key when the store was set up: a key that does not open it is the wrong
//! key, reported once and clearly instead of as a failure of every secret.

use crate::crypto::{Envelope, MasterKey};
use crate::error::{StoreError, StoreResult};
use crate::fsio::{create_file_once, read_file};
use std::path::Path;
use zeroize::Zeroizing;

/// The key file's name in the store's directory.
pub const KEY_FILE: &str = "master.key";
/// The key-check file's name in the store's directory.
pub const KEYCHECK_FILE: &str = "keycheck";
const KEYCHECK_AAD: &[u8] = b"keyway-local/keycheck";
const KEYCHECK_TEXT: &[u8] = b"keyway-local key check";

/// Where the master key comes from.
pub enum KeySource {
    /// The `key` setting: base64 of 32 bytes.
    Setting(Zeroizing<String>),
    /// The key file in the store's directory, created when the store is new.
    KeyFile,
}

impl std::fmt::Debug for KeySource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Setting(_) => "KeySource::Setting(<redacted>)",
            Self::KeyFile => "KeySource::KeyFile",
        })
    }
}

/// Finds the master key of the store at `root` and checks it against the
/// store's key-check file, setting both up when the store is new.
pub fn unlock(root: &Path, source: &KeySource) -> StoreResult<MasterKey> {
    let keycheck_path = root.join(KEYCHECK_FILE);
    let keycheck = read_file(&keycheck_path)?;
    let key = match source {
        KeySource::Setting(text) => MasterKey::from_base64(text, "setting `key`")?,
        KeySource::KeyFile => key_from_file(root, keycheck.is_some())?,
    };
    let keycheck = match keycheck {
        Some(bytes) => bytes,
        None => {
            let sealed = key.seal(KEYCHECK_AAD, KEYCHECK_TEXT, None)?;
            if create_file_once(root, KEYCHECK_FILE, &sealed.to_bytes())? {
                return Ok(key);
            }
            // Another instance set the store up first; its key must be this one.
            read_file(&keycheck_path)?.ok_or_else(|| StoreError::corrupted(&keycheck_path, "it vanished"))?
        }
    };
    let envelope = Envelope::parse(&keycheck, &keycheck_path)?;
    match key.open(KEYCHECK_AAD, &envelope, &keycheck_path) {
        Ok(text) if text.as_slice() == KEYCHECK_TEXT => Ok(key),
        Ok(_) => Err(StoreError::corrupted(&keycheck_path, "it holds an unexpected text")),
        Err(_) => Err(StoreError::WrongKey {
            store: root.to_path_buf(),
            file: keycheck_path,
            hint: wrong_key_hint(root, source),
        }),
    }
}

fn wrong_key_hint(root: &Path, source: &KeySource) -> String {
    let key_file = root.join(KEY_FILE);
    match source {
        KeySource::Setting(_) if key_file.exists() => format!(
            " (the key came from setting `key`; this store has the key file {}: remove the setting to use it)",
            key_file.display()
        ),
        KeySource::Setting(_) => " (the key came from setting `key`: set the key this store was created with)".into(),
        KeySource::KeyFile => format!(
            " (the key came from {}: set `key` to the key this store was created with, or put its key file back)",
            key_file.display()
        ),
    }
}

/// Reads the key file, or creates it with a fresh key when the store is new.
fn key_from_file(root: &Path, store_is_set_up: bool) -> StoreResult<MasterKey> {
    let path = root.join(KEY_FILE);
    if let Some(bytes) = read_file(&path)?.map(Zeroizing::new) {
        return parse_key_file(&bytes, &path);
    }
    if store_is_set_up {
        return Err(StoreError::Key(format!(
            "the store at {} has no key file {KEY_FILE} and no `key` setting: configure the key it was created with",
            root.display()
        )));
    }
    let (key, text) = MasterKey::generate()?;
    let mut content = Zeroizing::new(text.as_bytes().to_vec());
    content.push(b'\n');
    if create_file_once(root, KEY_FILE, &content)? {
        return Ok(key);
    }
    // Another instance created the key file first: use its key.
    let bytes = read_file(&path)?.map(Zeroizing::new).ok_or_else(|| StoreError::corrupted(&path, "it vanished"))?;
    parse_key_file(&bytes, &path)
}

/// A key file holds the key as base64 text, or as 32 raw bytes.
fn parse_key_file(bytes: &[u8], path: &Path) -> StoreResult<MasterKey> {
    let origin = format!("key file {}", path.display());
    if bytes.len() == crate::crypto::KEY_LEN {
        return MasterKey::from_bytes(bytes, &origin);
    }
    let text = std::str::from_utf8(bytes)
        .map_err(|_| StoreError::Key(format!("{origin} holds neither base64 text nor 32 raw bytes")))?;
    MasterKey::from_base64(text, &origin)
}
