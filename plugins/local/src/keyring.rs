//! Unlocking a store: the data keys that seal its files, and the
//! key-encryption key that seals the data keys.
//!
//! Files are sealed with a random *data key*. The data keys live in the file
//! `keyring`, each sealed with a *key-encryption key* derived from one of:
//! - a passphrase (setting `passphrase`) through Argon2id, with parameters and
//!   salt kept in the keyring; nothing in the directory opens the store then;
//! - a key given in the settings (`key`, 32 bytes in base64, e.g. from
//!   `${env:…}`, `${file:…}` or another manager);
//! - the key file `master.key` in the store's directory (the zero-configuration
//!   default: it protects against reading single files, not a copy of the directory).
//!
//! A wrong key fails to open the data keys and is reported once, naming where
//! it came from. Re-keying ([`crate::rekey`]) writes a new data key sealed
//! under both the old and the new key-encryption key (`next`), re-seals every
//! file, then drops the old key; until it finishes either credential opens
//! the store, so a re-key interrupted at any point loses nothing.
//!
//! Stores of format 1 (written before the keyring existed) hold a `keycheck`
//! file and use their key directly as data key `0`; opening one writes its
//! keyring, sealing that same key, and everything else stays readable as it is.

use crate::crypto::{random_bytes, random_hex, Envelope, MasterKey, KEY_LEN, LEGACY_KEY_ID};
use crate::error::{StoreError, StoreResult};
use crate::fsio::{create_file_once, read_file, replace_file};
use crate::kdf::Argon2Params;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
use base64::Engine as _;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use zeroize::Zeroizing;

/// The key file's name in the store's directory.
pub const KEY_FILE: &str = "master.key";
/// The keyring's name in the store's directory.
pub const KEYRING_FILE: &str = "keyring";
/// The key-check file of format-1 stores.
pub const KEYCHECK_FILE: &str = "keycheck";
const KEYCHECK_AAD: &[u8] = b"keyway-local/keycheck";
const KEYCHECK_TEXT: &[u8] = b"keyway-local key check";
/// The keyring format this code writes.
const KEYRING_FORMAT: u32 = 2;

/// Where the key-encryption key comes from.
pub enum KeySource {
    /// The `key` setting: base64 of 32 bytes.
    Setting(Zeroizing<String>),
    /// The `passphrase` setting, stretched with Argon2id.
    Passphrase(Zeroizing<String>),
    /// The key file in the store's directory, created when the store is new.
    KeyFile,
}

impl std::fmt::Debug for KeySource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Setting(_) => "KeySource::Setting(<redacted>)",
            Self::Passphrase(_) => "KeySource::Passphrase(<redacted>)",
            Self::KeyFile => "KeySource::KeyFile",
        })
    }
}

impl KeySource {
    /// Where the credential came from, for messages.
    fn origin(&self, root: &Path) -> String {
        match self {
            Self::Setting(_) => "setting `key`".into(),
            Self::Passphrase(_) => "setting `passphrase`".into(),
            Self::KeyFile => format!("key file {}", root.join(KEY_FILE).display()),
        }
    }
}

/// How a set of data keys is sealed, as recorded in the keyring.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
pub enum SealedBy {
    /// The key file `master.key`.
    KeyFile,
    /// The `key` setting.
    Key,
    /// The `passphrase` setting through Argon2id.
    Passphrase {
        /// The derivation's parameters and salt.
        argon2id: Argon2Params,
    },
}

impl SealedBy {
    fn describe(&self) -> &'static str {
        match self {
            Self::KeyFile => "its key file master.key",
            Self::Key => "a key (setting `key`)",
            Self::Passphrase { .. } => "a passphrase (setting `passphrase`)",
        }
    }
}

/// The data keys, each sealed with one key-encryption key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeySeal {
    /// What the key-encryption key is derived from.
    pub sealed_by: SealedBy,
    /// Each data key by id, sealed.
    pub keys: BTreeMap<String, Envelope>,
    /// The id of the key new files are sealed with.
    pub current: String,
}

/// The `keyring` file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyringFile {
    /// The keyring's format (2).
    pub format: u32,
    /// The data keys under the store's key-encryption key.
    pub active: KeySeal,
    /// During a re-key: the same data keys under the new key-encryption key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next: Option<KeySeal>,
}

impl KeyringFile {
    /// Reads and parses the keyring of the store at `root`, if it has one.
    pub fn read(root: &Path) -> StoreResult<Option<(Self, Vec<u8>)>> {
        let path = root.join(KEYRING_FILE);
        let Some(bytes) = read_file(&path)? else {
            return Ok(None);
        };
        let file: Self = serde_json::from_slice(&bytes)
            .map_err(|err| StoreError::corrupted(&path, format!("it is not a keyway-local keyring: {err}")))?;
        if file.format != KEYRING_FORMAT {
            return Err(StoreError::corrupted(
                &path,
                format!("it has format {}, but this plugin reads format {KEYRING_FORMAT}", file.format),
            ));
        }
        Ok(Some((file, bytes)))
    }

    /// The bytes written to disk.
    pub fn to_bytes(&self) -> StoreResult<Vec<u8>> {
        let mut bytes = serde_json::to_vec_pretty(self)
            .map_err(|err| StoreError::Key(format!("the keyring cannot be written: {err}")))?;
        bytes.push(b'\n');
        Ok(bytes)
    }
}

/// A raw data key, wiped on drop.
pub type RawKey = Zeroizing<[u8; KEY_LEN]>;

/// The associated data of a sealed data key: binds it to its id.
fn wrap_aad(id: &str) -> Vec<u8> {
    [b"keyway-local/keyring\0".as_slice(), id.as_bytes()].concat()
}

/// Seals every key of `raw` with `kek`.
pub fn seal_keys(
    sealed_by: SealedBy,
    kek: &MasterKey,
    raw: &BTreeMap<String, RawKey>,
    current: &str,
) -> StoreResult<KeySeal> {
    let mut keys = BTreeMap::new();
    for (id, key) in raw {
        keys.insert(id.clone(), kek.seal(&format!("kek-{id}"), &wrap_aad(id), key.as_slice(), None)?);
    }
    Ok(KeySeal { sealed_by, keys, current: current.to_owned() })
}

/// Opens every key of `seal` with `kek`; `None` when `kek` is not the key they were sealed with.
fn open_keys(seal: &KeySeal, kek: &MasterKey, path: &Path) -> StoreResult<Option<BTreeMap<String, RawKey>>> {
    let mut raw = BTreeMap::new();
    for (id, envelope) in &seal.keys {
        let Ok(bytes) = kek.open(&wrap_aad(id), envelope, path) else {
            return Ok(None);
        };
        let key: [u8; KEY_LEN] = bytes
            .as_slice()
            .try_into()
            .map_err(|_| StoreError::corrupted(path, format!("data key {id} is not 32 bytes")))?;
        raw.insert(id.clone(), Zeroizing::new(key));
    }
    if !raw.contains_key(&seal.current) {
        return Err(StoreError::corrupted(path, format!("its current key {} is not in it", seal.current)));
    }
    Ok(Some(raw))
}

/// Decodes base64 key text (standard or URL-safe alphabet, padding optional) to exactly 32 bytes.
pub fn decode_key(text: &str, origin: &str) -> StoreResult<RawKey> {
    let text = text.trim();
    let decoded = [STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD]
        .iter()
        .find_map(|engine| engine.decode(text).ok())
        .map(Zeroizing::new)
        .ok_or_else(|| {
            StoreError::Key(format!(
                "{origin} is not base64; generate a key with `openssl rand -base64 32`, or use setting `passphrase` for a passphrase"
            ))
        })?;
    raw_key(&decoded, origin)
}

fn raw_key(bytes: &[u8], origin: &str) -> StoreResult<RawKey> {
    let key: [u8; KEY_LEN] = bytes.try_into().map_err(|_| {
        StoreError::Key(format!(
            "{origin} must hold {KEY_LEN} bytes, but holds {}; generate a key with `openssl rand -base64 32`",
            bytes.len()
        ))
    })?;
    Ok(Zeroizing::new(key))
}

/// The key-encryption key of a raw key: a hash of it, so the key never seals itself.
fn kek_of_raw(raw: &RawKey) -> StoreResult<MasterKey> {
    let mut digest: Zeroizing<[u8; KEY_LEN]> = Zeroizing::new([0; KEY_LEN]);
    digest.copy_from_slice(
        &Sha256::new_with_prefix(b"keyway-local/key-encryption-key\0").chain_update(raw.as_slice()).finalize(),
    );
    MasterKey::from_bytes(digest.as_slice(), "the key-encryption key")
}

/// Reads the key file; `None` when there is none.
fn read_key_file(root: &Path) -> StoreResult<Option<RawKey>> {
    let path = root.join(KEY_FILE);
    let Some(bytes) = read_file(&path)?.map(Zeroizing::new) else {
        return Ok(None);
    };
    let origin = format!("key file {}", path.display());
    if bytes.len() == KEY_LEN {
        return raw_key(&bytes, &origin).map(Some);
    }
    let text = std::str::from_utf8(&bytes)
        .map_err(|_| StoreError::Key(format!("{origin} holds neither base64 text nor 32 raw bytes")))?;
    decode_key(text, &origin).map(Some)
}

/// The key-encryption key `source` gives for a seal of kind `sealed_by`; `None` when the source is of
/// another kind.
pub fn kek_for(root: &Path, source: &KeySource, sealed_by: &SealedBy) -> StoreResult<Option<MasterKey>> {
    let raw = match (source, sealed_by) {
        (KeySource::Setting(text), SealedBy::Key) => decode_key(text, "setting `key`")?,
        (KeySource::KeyFile, SealedBy::KeyFile) => read_key_file(root)?.ok_or_else(|| {
            StoreError::Key(format!(
                "the store at {} has no key file {KEY_FILE}: put it back, or configure the key or passphrase it is sealed with",
                root.display()
            ))
        })?,
        (KeySource::Passphrase(passphrase), SealedBy::Passphrase { argon2id }) => {
            let key = argon2id.derive(passphrase, "setting `passphrase`")?;
            return MasterKey::from_bytes(key.as_slice(), "the key-encryption key").map(Some);
        }
        _ => return Ok(None),
    };
    kek_of_raw(&raw).map(Some)
}

/// How a new seal for `source` is described: a fresh salt for a passphrase.
pub fn new_sealed_by(source: &KeySource) -> StoreResult<SealedBy> {
    Ok(match source {
        KeySource::Setting(_) => SealedBy::Key,
        KeySource::KeyFile => SealedBy::KeyFile,
        KeySource::Passphrase(passphrase) => {
            crate::kdf::check_new_passphrase(passphrase, "setting `passphrase`")?;
            SealedBy::Passphrase { argon2id: Argon2Params::fresh()? }
        }
    })
}

/// The data keys in memory.
struct Loaded {
    /// The keyring file's bytes they were read from (empty when it could not be read).
    bytes: Vec<u8>,
    raw: BTreeMap<String, RawKey>,
    ciphers: BTreeMap<String, MasterKey>,
    current: String,
}

impl Loaded {
    fn new(bytes: Vec<u8>, raw: BTreeMap<String, RawKey>, current: String) -> StoreResult<Self> {
        let ciphers = raw
            .iter()
            .map(|(id, key)| Ok((id.clone(), MasterKey::from_bytes(key.as_slice(), "a data key")?)))
            .collect::<StoreResult<_>>()?;
        Ok(Self { bytes, raw, ciphers, current })
    }
}

/// An unlocked store's keys: seals new files with the current data key, opens files by the key they name,
/// and follows a re-key made by another process.
pub struct Keyring {
    root: PathBuf,
    kek: MasterKey,
    loaded: RefCell<Loaded>,
}

impl std::fmt::Debug for Keyring {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Keyring").field("root", &self.root).finish_non_exhaustive()
    }
}

impl Keyring {
    /// Unlocks the store at `root` with `source`, setting up a new store's keyring, or a format-1 store's.
    pub fn unlock(root: &Path, source: &KeySource) -> StoreResult<Self> {
        if let Some((file, bytes)) = KeyringFile::read(root)? {
            return Self::from_file(root, source, &file, bytes);
        }
        if read_file(&root.join(KEYCHECK_FILE))?.is_some() {
            return Self::migrate_format_1(root, source);
        }
        Self::create(root, source)
    }

    /// The id of the key new files are sealed with.
    pub fn current_id(&self) -> String {
        self.loaded.borrow().current.clone()
    }

    /// The raw data keys and the current id, for a re-key.
    pub(crate) fn raw_keys(&self) -> (BTreeMap<String, RawKey>, String) {
        let loaded = self.loaded.borrow();
        (loaded.raw.clone(), loaded.current.clone())
    }

    /// Seals `plaintext` with the current data key.
    pub fn seal(&self, aad: &[u8], plaintext: &[u8], name: Option<&str>) -> StoreResult<Envelope> {
        let loaded = self.loaded.borrow();
        let cipher = loaded
            .ciphers
            .get(&loaded.current)
            .ok_or_else(|| StoreError::corrupted(self.root.join(KEYRING_FILE), "its current key is not in it"))?;
        cipher.seal(&loaded.current, aad, plaintext, name)
    }

    /// Opens an envelope read from `file` with the key it names, reading the keyring again when that key
    /// is new (another process re-keyed the store).
    pub fn open(&self, aad: &[u8], envelope: &Envelope, file: &Path) -> StoreResult<Zeroizing<Vec<u8>>> {
        if !self.loaded.borrow().ciphers.contains_key(envelope.key_id()) {
            self.refresh()?;
        }
        let loaded = self.loaded.borrow();
        let cipher = loaded.ciphers.get(envelope.key_id()).ok_or_else(|| {
            StoreError::corrupted(
                file,
                format!("it is sealed with data key {}, which the store's keyring does not hold", envelope.key_id()),
            )
        })?;
        cipher.open(aad, envelope, file)
    }

    /// Reads the keyring again when it changed on disk (writers call this first, so that they never seal
    /// with a key a re-key has retired).
    pub fn refresh(&self) -> StoreResult<()> {
        let path = self.root.join(KEYRING_FILE);
        let Some((file, bytes)) = KeyringFile::read(&self.root)? else {
            return Ok(());
        };
        if bytes == self.loaded.borrow().bytes {
            return Ok(());
        }
        for seal in std::iter::once(&file.active).chain(file.next.as_ref()) {
            if let Some(raw) = open_keys(seal, &self.kek, &path)? {
                *self.loaded.borrow_mut() = Loaded::new(bytes, raw, seal.current.clone())?;
                return Ok(());
            }
        }
        Err(StoreError::Key(format!(
            "the store at {} was re-keyed since this manager opened it: configure its new key or passphrase and restart",
            self.root.display()
        )))
    }

    fn from_file(root: &Path, source: &KeySource, file: &KeyringFile, bytes: Vec<u8>) -> StoreResult<Self> {
        let path = root.join(KEYRING_FILE);
        let (mut kinds, mut same_kind) = (Vec::new(), false);
        for seal in std::iter::once(&file.active).chain(file.next.as_ref()) {
            let Some(kek) = kek_for(root, source, &seal.sealed_by)? else {
                kinds.push(seal.sealed_by.describe());
                continue;
            };
            same_kind = true;
            if let Some(raw) = open_keys(seal, &kek, &path)? {
                let loaded = Loaded::new(bytes, raw, seal.current.clone())?;
                return Ok(Self { root: root.to_path_buf(), kek, loaded: RefCell::new(loaded) });
            }
        }
        if same_kind {
            return Err(StoreError::WrongKey {
                store: root.to_path_buf(),
                file: path,
                hint: wrong_key_hint(root, source),
            });
        }
        let advice = if kinds == [SealedBy::KeyFile.describe()] {
            "remove the setting to use the key file"
        } else {
            "configure that instead"
        };
        Err(StoreError::Key(format!(
            "the store at {} is sealed with {}, but {} was given: {advice}",
            root.display(),
            kinds.join(" or "),
            source.origin(root)
        )))
    }

    /// Unlocks a keyring kept elsewhere than in a directory (the host's store): `bytes` as written by
    /// [`KeyringFile::to_bytes`], `label` naming it in messages. Sealed with the `key` or `passphrase` setting
    /// only (there is no directory for a key file).
    pub fn from_bytes(label: &Path, source: &KeySource, bytes: Vec<u8>) -> StoreResult<Self> {
        let file: KeyringFile = serde_json::from_slice(&bytes)
            .map_err(|err| StoreError::corrupted(label, format!("it is not a keyway-local keyring: {err}")))?;
        if file.format != KEYRING_FORMAT {
            return Err(StoreError::corrupted(
                label,
                format!("it has format {}, but this plugin reads format {KEYRING_FORMAT}", file.format),
            ));
        }
        Self::from_file(label, source, &file, bytes)
    }

    /// A new keyring's bytes: a random data key sealed with `source` (the `key` or `passphrase` setting).
    pub fn new_file_bytes(source: &KeySource) -> StoreResult<Vec<u8>> {
        if let KeySource::KeyFile = source {
            return Err(StoreError::Key(
                "a store shared through the host is sealed with the `key` or `passphrase` setting, the same on every \
                 node; there is no key file"
                    .into(),
            ));
        }
        Self::new_file(Path::new(""), source)?.to_bytes()
    }

    /// A new keyring: a random data key sealed with `source`.
    fn new_file(root: &Path, source: &KeySource) -> StoreResult<KeyringFile> {
        let sealed_by = new_sealed_by(source)?;
        let kek = kek_for(root, source, &sealed_by)?
            .ok_or_else(|| StoreError::Key("a new store's key does not match its own seal".into()))?;
        let id = format!("k{}", random_hex::<4>()?);
        let raw = BTreeMap::from([(id.clone(), Zeroizing::new(random_bytes::<KEY_LEN>()?))]);
        Ok(KeyringFile { format: KEYRING_FORMAT, active: seal_keys(sealed_by, &kek, &raw, &id)?, next: None })
    }

    /// Sets up a new store: a random data key sealed with `source`.
    fn create(root: &Path, source: &KeySource) -> StoreResult<Self> {
        if let KeySource::KeyFile = source {
            if read_key_file(root)?.is_none() {
                let (_, text) = MasterKey::generate()?;
                let mut content = Zeroizing::new(text.as_bytes().to_vec());
                content.push(b'\n');
                // Another instance may create it first; then its key is the one used below.
                create_file_once(root, KEY_FILE, &content)?;
            }
        }
        let file = Self::new_file(root, source)?;
        Self::install(root, source, file)
    }

    /// Writes the keyring of a store that had none, or opens the one another instance wrote first.
    fn install(root: &Path, source: &KeySource, file: KeyringFile) -> StoreResult<Self> {
        let bytes = file.to_bytes()?;
        create_file_once(root, KEYRING_FILE, &bytes)?;
        let (file, bytes) =
            KeyringFile::read(root)?.ok_or_else(|| StoreError::corrupted(root.join(KEYRING_FILE), "it vanished"))?;
        Self::from_file(root, source, &file, bytes)
    }

    /// Opens a format-1 store (its key is data key `0`, checked against `keycheck`) and writes its keyring.
    fn migrate_format_1(root: &Path, source: &KeySource) -> StoreResult<Self> {
        let (raw, sealed_by) = match source {
            KeySource::Setting(text) => (decode_key(text, "setting `key`")?, SealedBy::Key),
            KeySource::KeyFile => (
                read_key_file(root)?.ok_or_else(|| {
                    StoreError::Key(format!(
                        "the store at {} has no key file {KEY_FILE} and no `key` setting: configure the key it was created with",
                        root.display()
                    ))
                })?,
                SealedBy::KeyFile,
            ),
            KeySource::Passphrase(_) => {
                return Err(StoreError::Key(format!(
                    "the store at {} is sealed with a key (setting `key` or its key file), not a passphrase: \
                     configure that key, then `keyway store rekey` can seal it with a passphrase",
                    root.display()
                )))
            }
        };
        let legacy = MasterKey::from_bytes(raw.as_slice(), "the store's key")?;
        let keycheck_path = root.join(KEYCHECK_FILE);
        let keycheck =
            read_file(&keycheck_path)?.ok_or_else(|| StoreError::corrupted(&keycheck_path, "it vanished"))?;
        let envelope = Envelope::parse(&keycheck, &keycheck_path)?;
        match legacy.open(KEYCHECK_AAD, &envelope, &keycheck_path) {
            Ok(text) if text.as_slice() == KEYCHECK_TEXT => {}
            Ok(_) => return Err(StoreError::corrupted(&keycheck_path, "it holds an unexpected text")),
            Err(_) => {
                return Err(StoreError::WrongKey {
                    store: root.to_path_buf(),
                    file: keycheck_path,
                    hint: wrong_key_hint(root, source),
                })
            }
        }
        let kek = kek_of_raw(&raw)?;
        let keys = BTreeMap::from([(LEGACY_KEY_ID.to_owned(), raw)]);
        let file = KeyringFile {
            format: KEYRING_FORMAT,
            active: seal_keys(sealed_by, &kek, &keys, LEGACY_KEY_ID)?,
            next: None,
        };
        Self::install(root, source, file)
    }

    /// Writes `file` as the keyring (a re-key's steps) and loads it.
    pub(crate) fn replace(&self, file: &KeyringFile, kek: MasterKey) -> StoreResult<Self> {
        let bytes = file.to_bytes()?;
        replace_file(&self.root, KEYRING_FILE, &bytes)?;
        let seal = file.next.as_ref().unwrap_or(&file.active);
        let raw = open_keys(seal, &kek, &self.root.join(KEYRING_FILE))?
            .ok_or_else(|| StoreError::Key("the new keyring does not open with the new key".into()))?;
        let loaded = Loaded::new(bytes, raw, seal.current.clone())?;
        Ok(Self { root: self.root.clone(), kek, loaded: RefCell::new(loaded) })
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
        KeySource::Passphrase(_) => {
            " (the passphrase came from setting `passphrase`: set the one this store was sealed with)".into()
        }
        KeySource::KeyFile => format!(
            " (the key came from {}: set `key` to the key this store was created with, or put its key file back)",
            key_file.display()
        ),
    }
}
