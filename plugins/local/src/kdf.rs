//! Turning a passphrase into a key-encryption key with Argon2id, a memory-hard
//! function: guessing passphrases costs an attacker memory as well as time.
//!
//! The parameters and the salt are stored with the store (in its keyring), so a
//! store created with today's defaults keeps opening when the defaults change.

use crate::crypto::{random_bytes, KEY_LEN};
use crate::error::{StoreError, StoreResult};
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

/// Memory of a new store's derivation in KiB: 19 MiB with two passes, the
/// first of OWASP's equivalent Argon2id settings.
const DEFAULT_MEMORY_KIB: u32 = 19 * 1024;
/// Passes over the memory of a new store's derivation.
const DEFAULT_PASSES: u32 = 2;
/// The most memory a stored parameter set may ask for (a tampered keyring must not exhaust the sandbox).
const MAX_MEMORY_KIB: u32 = 256 * 1024;
/// The most passes a stored parameter set may ask for.
const MAX_PASSES: u32 = 16;
/// The shortest passphrase accepted when a store is sealed with one.
pub const MIN_PASSPHRASE_LEN: usize = 12;

/// Argon2id parameters and salt, as stored in the keyring.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Argon2Params {
    /// Memory in KiB.
    pub memory_kib: u32,
    /// Passes over the memory.
    pub passes: u32,
    /// Lanes (parallelism); 1, since the sandbox runs one thread.
    pub lanes: u32,
    /// The salt, base64 (16 random bytes).
    pub salt: String,
}

impl Argon2Params {
    /// Today's defaults with a fresh random salt, for a store being sealed now.
    pub fn fresh() -> StoreResult<Self> {
        Ok(Self {
            memory_kib: DEFAULT_MEMORY_KIB,
            passes: DEFAULT_PASSES,
            lanes: 1,
            salt: STANDARD.encode(random_bytes::<16>()?),
        })
    }

    /// Derives the 32-byte key-encryption key from `passphrase`.
    pub fn derive(&self, passphrase: &str, origin: &str) -> StoreResult<Zeroizing<[u8; KEY_LEN]>> {
        if self.memory_kib > MAX_MEMORY_KIB || self.passes > MAX_PASSES || self.lanes != 1 {
            return Err(StoreError::Key(format!(
                "the store's Argon2id parameters ({} KiB, {} passes, {} lanes) are outside what this plugin accepts \
                 (at most {MAX_MEMORY_KIB} KiB, {MAX_PASSES} passes, 1 lane): the keyring file was edited",
                self.memory_kib, self.passes, self.lanes
            )));
        }
        let salt = STANDARD.decode(&self.salt).map_err(|_| {
            StoreError::Key("the store's Argon2id salt is not base64: the keyring file was edited".into())
        })?;
        let params = argon2::Params::new(self.memory_kib, self.passes, self.lanes, Some(KEY_LEN))
            .map_err(|err| StoreError::Key(format!("the store's Argon2id parameters are unusable: {err}")))?;
        let argon2 = argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params);
        let mut key = Zeroizing::new([0u8; KEY_LEN]);
        argon2
            .hash_password_into(passphrase.as_bytes(), &salt, key.as_mut_slice())
            .map_err(|err| StoreError::Key(format!("{origin} cannot be turned into a key: {err}")))?;
        Ok(key)
    }
}

/// Refuses a passphrase too short to seal a store with.
pub fn check_new_passphrase(passphrase: &str, origin: &str) -> StoreResult<()> {
    if passphrase.chars().count() < MIN_PASSPHRASE_LEN {
        return Err(StoreError::Key(format!(
            "{origin} is shorter than {MIN_PASSPHRASE_LEN} characters; choose a longer passphrase"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn small(salt: &[u8]) -> Argon2Params {
        Argon2Params { memory_kib: 64, passes: 1, lanes: 1, salt: STANDARD.encode(salt) }
    }

    #[test]
    fn the_same_passphrase_and_salt_give_the_same_key_and_other_salts_another() {
        let a = small(b"0123456789abcdef").derive("correct horse battery", "p").expect("derive");
        let b = small(b"0123456789abcdef").derive("correct horse battery", "p").expect("derive");
        let c = small(b"fedcba9876543210").derive("correct horse battery", "p").expect("derive");
        assert_eq!(a.as_slice(), b.as_slice());
        assert_ne!(a.as_slice(), c.as_slice());
    }

    #[test]
    fn edited_parameters_are_refused_before_any_work() {
        let mut params = small(b"0123456789abcdef");
        params.memory_kib = u32::MAX;
        let err = params.derive("correct horse battery", "p").expect_err("huge memory");
        assert!(err.to_string().contains("keyring file was edited"), "{err}");
    }

    #[test]
    fn short_passphrases_are_refused_without_echoing_them() {
        let err = check_new_passphrase("short", "setting `passphrase`").expect_err("short").to_string();
        assert!(err.contains("shorter than 12") && !err.contains("short,"), "{err}");
    }
}
