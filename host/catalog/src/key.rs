//! The catalog key: 32 bytes that keyway keeps like the local store's key
//! (`catalog.key` in keyway's home, 0600, or `catalog.key` in the
//! configuration for a fleet, where every node must share it).
//!
//! Two keys are derived from it with HMAC-SHA256 and never leave memory:
//! - the **fingerprint key**: a version's fingerprint is HMAC(fingerprint key,
//!   type ‖ content), so equal fingerprints show equal content across managers
//!   of one installation, while nobody without the key can test a guessed value
//!   against a fingerprint, and two installations fingerprint the same content
//!   differently;
//! - the **sealing key** (AES-256-GCM): for what the catalog must keep of a
//!   secret (a change waiting for approval), bound to its place by associated data.
//!
//! A third derivation, the key check, is stored in the catalog when it is
//! created, so opening it with another key fails at once with a clear error.

use crate::error::CatalogError;
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use keyway_types::SecretValue;
use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM, NONCE_LEN};
use ring::hmac;
use ring::rand::{SecureRandom, SystemRandom};
use zeroize::Zeroizing;

/// The catalog key's length in bytes.
pub const KEY_LEN: usize = 32;

/// The catalog key and what is derived from it. `Debug` shows nothing of it.
pub struct CatalogKey {
    fingerprint: hmac::Key,
    sealing: LessSafeKey,
    check: String,
}

impl std::fmt::Debug for CatalogKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CatalogKey(<redacted>)")
    }
}

/// A version's keyed fingerprint: lower-case hex of HMAC-SHA256 over its type and content.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct Fingerprint(pub String);

impl Fingerprint {
    /// The first 16 hex digits, as listings show it.
    pub fn short(&self) -> &str {
        self.0.get(..16).unwrap_or(&self.0)
    }
}

impl std::fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

fn derive(root: &hmac::Key, purpose: &str) -> Zeroizing<Vec<u8>> {
    Zeroizing::new(hmac::sign(root, format!("keyway-catalog/{purpose}").as_bytes()).as_ref().to_vec())
}

impl CatalogKey {
    /// The key from exactly 32 bytes.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, CatalogError> {
        if bytes.len() != KEY_LEN {
            return Err(CatalogError::Key(format!(
                "it must hold {KEY_LEN} bytes, but holds {}; generate one with `openssl rand -base64 32`",
                bytes.len()
            )));
        }
        let root = hmac::Key::new(hmac::HMAC_SHA256, bytes);
        let fingerprint = hmac::Key::new(hmac::HMAC_SHA256, &derive(&root, "fingerprint"));
        let sealing = LessSafeKey::new(
            UnboundKey::new(&AES_256_GCM, &derive(&root, "sealing"))
                .map_err(|_| CatalogError::Key("the sealing key cannot be made".into()))?,
        );
        let check = hex::encode(derive(&root, "check").as_slice());
        Ok(Self { fingerprint, sealing, check })
    }

    /// The key from base64 text (what `catalog.key` holds).
    pub fn from_base64(text: &str) -> Result<Self, CatalogError> {
        let bytes =
            Zeroizing::new(STANDARD.decode(text.trim()).map_err(|_| {
                CatalogError::Key("it is not base64; generate one with `openssl rand -base64 32`".into())
            })?);
        Self::from_bytes(&bytes)
    }

    /// A fresh random key as base64 text, for a new installation's key file.
    pub fn generate_base64() -> Result<Zeroizing<String>, CatalogError> {
        let mut bytes = Zeroizing::new([0u8; KEY_LEN]);
        SystemRandom::new()
            .fill(bytes.as_mut_slice())
            .map_err(|_| CatalogError::Key("the system's random source failed".into()))?;
        Ok(Zeroizing::new(STANDARD.encode(bytes.as_slice())))
    }

    /// The value stored in the catalog to recognise this key.
    pub(crate) fn check(&self) -> &str {
        &self.check
    }

    /// The fingerprint of a value of `secret_type` (none: `generic`).
    pub fn fingerprint(&self, secret_type: Option<&str>, value: &SecretValue) -> Fingerprint {
        let mut context = hmac::Context::with_key(&self.fingerprint);
        context.update(b"keyway-fingerprint/1\0");
        context.update(secret_type.unwrap_or("generic").as_bytes());
        context.update(&[0, u8::from(value.is_binary())]);
        context.update(value.expose_bytes());
        Fingerprint(hex::encode(context.sign().as_ref()))
    }

    /// Seals `plaintext` bound to `aad`: base64 of a random nonce, the ciphertext and its tag.
    pub fn seal(&self, aad: &[u8], plaintext: &[u8]) -> Result<String, CatalogError> {
        let mut nonce = [0u8; NONCE_LEN];
        SystemRandom::new().fill(&mut nonce).map_err(|_| CatalogError::Sealed)?;
        let mut buffer = Zeroizing::new(plaintext.to_vec());
        self.sealing
            .seal_in_place_append_tag(Nonce::assume_unique_for_key(nonce), Aad::from(aad), &mut *buffer)
            .map_err(|_| CatalogError::Sealed)?;
        let mut sealed = nonce.to_vec();
        sealed.extend_from_slice(&buffer);
        Ok(STANDARD.encode(sealed))
    }

    /// Seals a secret value, its kind (text or binary) with its bytes, for `aad`: a value that waits in the
    /// catalog (a renewal in flight, a change waiting for approval).
    pub fn seal_value(&self, aad: &[u8], value: &SecretValue) -> Result<String, CatalogError> {
        let mut plain = Zeroizing::new(Vec::with_capacity(value.len() + 1));
        plain.push(u8::from(value.is_binary()));
        plain.extend_from_slice(value.expose_bytes());
        self.seal(aad, &plain)
    }

    /// Opens what [`seal_value`](Self::seal_value) made with the same `aad`.
    pub fn open_value(&self, aad: &[u8], sealed: &str) -> Result<SecretValue, CatalogError> {
        let plain = self.open(aad, sealed)?;
        match plain.split_first() {
            Some((1, bytes)) => Ok(SecretValue::binary(bytes.to_vec())),
            Some((_, bytes)) => Ok(SecretValue::text(String::from_utf8_lossy(bytes).into_owned())),
            None => Err(CatalogError::Sealed),
        }
    }

    /// Opens what [`seal`](Self::seal) made with the same `aad`.
    pub fn open(&self, aad: &[u8], sealed: &str) -> Result<Zeroizing<Vec<u8>>, CatalogError> {
        let bytes = STANDARD.decode(sealed).map_err(|_| CatalogError::Sealed)?;
        if bytes.len() < NONCE_LEN {
            return Err(CatalogError::Sealed);
        }
        let (nonce, ciphertext) = bytes.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| CatalogError::Sealed)?;
        let mut buffer = Zeroizing::new(ciphertext.to_vec());
        let plain_len =
            self.sealing.open_in_place(nonce, Aad::from(aad), &mut buffer).map_err(|_| CatalogError::Sealed)?.len();
        buffer.truncate(plain_len);
        Ok(buffer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_depend_on_key_type_and_content() {
        let (a, b) = (CatalogKey::from_bytes(&[1; 32]).expect("key"), CatalogKey::from_bytes(&[2; 32]).expect("key"));
        let value = SecretValue::text("hunter2-hunter2");
        assert_eq!(a.fingerprint(None, &value), a.fingerprint(Some("generic"), &value));
        assert_ne!(a.fingerprint(None, &value), b.fingerprint(None, &value), "another installation");
        assert_ne!(a.fingerprint(None, &value), a.fingerprint(Some("api-key"), &value), "another type");
        assert_ne!(a.fingerprint(None, &value), a.fingerprint(None, &SecretValue::binary(b"hunter2-hunter2".to_vec())));
        assert_eq!(a.fingerprint(None, &value).0.len(), 64);
    }

    #[test]
    fn sealed_data_opens_only_with_its_key_and_place() {
        let key = CatalogKey::from_bytes(&[3; 32]).expect("key");
        let sealed = key.seal(b"approval/1", b"proposed value").expect("seal");
        assert!(!sealed.contains("proposed"));
        assert_eq!(key.open(b"approval/1", &sealed).expect("open").as_slice(), b"proposed value");
        assert!(key.open(b"approval/2", &sealed).is_err(), "another place");
        let other = CatalogKey::from_bytes(&[4; 32]).expect("key");
        assert!(other.open(b"approval/1", &sealed).is_err(), "another key");
    }

    #[test]
    fn keys_are_checked_and_never_printed() {
        assert!(CatalogKey::from_base64("c2hvcnQ=").is_err());
        let text = CatalogKey::generate_base64().expect("generate");
        let key = CatalogKey::from_base64(&text).expect("parse");
        assert_eq!(format!("{key:?}"), "CatalogKey(<redacted>)");
    }
}
