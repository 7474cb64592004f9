//! AES-256-GCM sealing of the store's files.
//!
//! Every file the store encrypts is an [`Envelope`]: a small JSON document
//! with a format number, a fresh random 96-bit nonce and the ciphertext plus
//! tag. The caller supplies associated data that binds the file to its place
//! (the secret's name, and for values the version id), so a file copied over
//! another secret or version fails to open instead of yielding the wrong value.
//! Envelopes of format 2 also name the data key that sealed them (see
//! `keyring`); format 1, written before stores had several keys, means key `0`.

use crate::error::{StoreError, StoreResult};
use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::Aes256Gcm;
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::path::Path;
use zeroize::Zeroizing;

/// Length of the master key in bytes.
pub const KEY_LEN: usize = 32;
/// Length of an AES-GCM nonce in bytes.
const NONCE_LEN: usize = 12;
/// The envelope format of files sealed with a named data key.
const FORMAT: u32 = 2;
/// The envelope format of files written before keys had ids: they are sealed with key [`LEGACY_KEY_ID`].
const FORMAT_UNKEYED: u32 = 1;
/// The id of the one key of a store written before keys had ids.
pub const LEGACY_KEY_ID: &str = "0";

/// Fills an array with random bytes from the platform (WASI `random` in the guest).
pub fn random_bytes<const N: usize>() -> StoreResult<[u8; N]> {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes).map_err(|err| StoreError::Key(format!("the platform gave no random bytes: {err}")))?;
    Ok(bytes)
}

/// Random bytes as lower-case hex, for temporary file names and version ids.
pub fn random_hex<const N: usize>() -> StoreResult<String> {
    Ok(random_bytes::<N>()?.iter().map(|b| format!("{b:02x}")).collect())
}

/// The store's master key, ready to seal and open envelopes. The key schedule
/// is wiped on drop and never printed.
pub struct MasterKey {
    cipher: Aes256Gcm,
}

impl fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("MasterKey(<redacted>)")
    }
}

impl MasterKey {
    /// A key from exactly [`KEY_LEN`] raw bytes; `origin` names where they came from in errors.
    pub fn from_bytes(bytes: &[u8], origin: &str) -> StoreResult<Self> {
        if bytes.len() != KEY_LEN {
            return Err(StoreError::Key(format!(
                "{origin} must hold {KEY_LEN} bytes, but holds {}; generate a key with `openssl rand -base64 32`",
                bytes.len()
            )));
        }
        let cipher = Aes256Gcm::new_from_slice(bytes)
            .map_err(|_| StoreError::Key(format!("{origin} is not a usable AES-256 key")))?;
        Ok(Self { cipher })
    }

    /// A fresh random key and its base64 text, as written to a key file.
    pub fn generate() -> StoreResult<(Self, Zeroizing<String>)> {
        let bytes = Zeroizing::new(random_bytes::<KEY_LEN>()?);
        let text = Zeroizing::new(STANDARD.encode(bytes.as_slice()));
        Ok((Self::from_bytes(bytes.as_slice(), "a generated key")?, text))
    }

    /// Encrypts `plaintext` under a fresh nonce, binding `aad`; the envelope names the key `key_id`.
    pub fn seal(&self, key_id: &str, aad: &[u8], plaintext: &[u8], name: Option<&str>) -> StoreResult<Envelope> {
        let nonce = random_bytes::<NONCE_LEN>()?;
        let ciphertext = self
            .cipher
            .encrypt(&nonce.into(), Payload { msg: plaintext, aad })
            .map_err(|_| StoreError::InvalidArgument("the value is too large to encrypt".into()))?;
        let keyed = key_id != LEGACY_KEY_ID;
        Ok(Envelope {
            format: if keyed { FORMAT } else { FORMAT_UNKEYED },
            key: keyed.then(|| key_id.to_owned()),
            name: name.map(str::to_owned),
            nonce: STANDARD.encode(nonce),
            data: STANDARD.encode(ciphertext),
        })
    }

    /// Decrypts an envelope read from `file`, checking `aad`. Any change to the
    /// file, the wrong key or the wrong associated data fails here.
    pub fn open(&self, aad: &[u8], envelope: &Envelope, file: &Path) -> StoreResult<Zeroizing<Vec<u8>>> {
        let nonce: [u8; NONCE_LEN] = STANDARD
            .decode(&envelope.nonce)
            .ok()
            .and_then(|bytes| bytes.try_into().ok())
            .ok_or_else(|| StoreError::corrupted(file, "its nonce is not 12 bytes of base64"))?;
        let ciphertext =
            STANDARD.decode(&envelope.data).map_err(|_| StoreError::corrupted(file, "its data is not base64"))?;
        self.cipher.decrypt(&nonce.into(), Payload { msg: &ciphertext, aad }).map(Zeroizing::new).map_err(|_| {
            StoreError::corrupted(
                file,
                "authentication failed (the file was changed, or was copied from another secret or version)",
            )
        })
    }
}

/// One encrypted file as stored on disk.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Envelope {
    /// The envelope format: 2 names its key, 1 (older files) means key [`LEGACY_KEY_ID`].
    pub format: u32,
    /// The id of the data key that sealed it (format 2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// The secret's name, in files that must say whose they are before they are opened.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The nonce, base64.
    pub nonce: String,
    /// Ciphertext and tag, base64.
    pub data: String,
}

impl Envelope {
    /// The bytes written to disk.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut bytes = serde_json::to_vec(self).unwrap_or_default();
        bytes.push(b'\n');
        bytes
    }

    /// Parses the bytes of `file`.
    pub fn parse(bytes: &[u8], file: &Path) -> StoreResult<Self> {
        let envelope: Self = serde_json::from_slice(bytes).map_err(|err| {
            StoreError::corrupted(file, format!("it is not a keyway-local file ({} bytes, {err})", bytes.len()))
        })?;
        let keyed = envelope.key.is_some();
        if !(envelope.format == FORMAT && keyed || envelope.format == FORMAT_UNKEYED && !keyed) {
            return Err(StoreError::corrupted(
                file,
                format!(
                    "it has format {}, but this plugin reads formats {FORMAT_UNKEYED} and {FORMAT} (a newer keyway wrote it?)",
                    envelope.format
                ),
            ));
        }
        Ok(envelope)
    }

    /// The id of the data key that sealed it.
    pub fn key_id(&self) -> &str {
        self.key.as_deref().unwrap_or(LEGACY_KEY_ID)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;

    fn key() -> MasterKey {
        MasterKey::from_bytes(&[7u8; KEY_LEN], "test key").expect("test setup")
    }

    #[test]
    fn seal_and_open_round_trip_with_fresh_nonces() {
        let key = key();
        let a = key.seal("k1", b"aad", b"hello", None).expect("test setup");
        let b = key.seal("k1", b"aad", b"hello", None).expect("test setup");
        assert_eq!((a.format, a.key_id()), (2, "k1"));
        assert_ne!(a.nonce, b.nonce, "every write gets a fresh nonce");
        assert_ne!(a.data, b.data);
        let opened = key.open(b"aad", &a, Path::new("f")).expect("test setup");
        assert_eq!(opened.as_slice(), b"hello");
    }

    #[test]
    fn other_associated_data_or_key_fails_and_names_the_file() {
        let key = key();
        let sealed = key.seal(LEGACY_KEY_ID, b"name-a", b"hello", None).expect("test setup");
        assert_eq!((sealed.format, sealed.key.as_deref()), (1, None), "the legacy key writes format 1");
        let err = key.open(b"name-b", &sealed, Path::new("/data/x")).err().map(|e| e.to_string());
        assert!(err.is_some_and(|e| e.starts_with("/data/x is corrupted")));
        let other = MasterKey::from_bytes(&[8u8; KEY_LEN], "other").expect("test setup");
        assert!(matches!(other.open(b"name-a", &sealed, Path::new("f")), Err(StoreError::Corrupted { .. })));
    }

    #[test]
    fn envelope_parse_rejects_garbage_and_other_formats() {
        let file = Path::new("/data/meta");
        assert!(matches!(Envelope::parse(b"\x00\x01garbage", file), Err(StoreError::Corrupted { .. })));
        let future = br#"{"format":3,"key":"k9","nonce":"","data":""}"#;
        let err = Envelope::parse(future, file).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(err.contains("format 3"), "{err}");
        let unkeyed_two = br#"{"format":2,"nonce":"","data":""}"#;
        assert!(Envelope::parse(unkeyed_two, file).is_err(), "format 2 names its key");
    }

    #[test]
    fn key_parsing_checks_length_and_alphabet_without_echoing_the_key() {
        let text = STANDARD.encode([1u8; KEY_LEN]);
        use crate::keyring::decode_key;
        assert!(decode_key(&format!("  {text}\n"), "setting `key`").is_ok());
        assert!(decode_key(&URL_SAFE_NO_PAD.encode([255u8; KEY_LEN]), "k").is_ok());
        let short = STANDARD.encode([1u8; 16]);
        let err = decode_key(&short, "setting `key`").err().map(|e| e.to_string()).unwrap_or_default();
        assert!(err.contains("must hold 32 bytes, but holds 16") && !err.contains(&short), "{err}");
        let err = decode_key("not base64 !!", "setting `key`").err().map(|e| e.to_string());
        assert!(err.is_some_and(|e| e.contains("is not base64") && !e.contains("!!")));
    }
}
