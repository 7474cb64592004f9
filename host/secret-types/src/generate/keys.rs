//! `private-key`: a new key pair, written as unencrypted PKCS#8 PEM.
//!
//! RSA keys come from the `rsa` crate fed by the OS random source. EC and Ed25519 keys are
//! random bytes from the OS: an Ed25519 key is 32 random bytes by definition, and an EC scalar
//! is drawn again in the rare case it falls outside the curve's order.

use super::check_previous;
use crate::error::TypeError;
use crate::policy::{KeyAlgorithm, PrivateKeyPolicy};
use crate::random::OsRandom;
use crate::types::SecretType;
use crate::validate::private_key::{self, Curve, KeyKind};
use keyway_types::SecretValue;
use pkcs8::{EncodePrivateKey, LineEnding};
use zeroize::Zeroizing;

/// The algorithm used when neither the policy nor a readable previous key names one.
const DEFAULT_ALGORITHM: KeyAlgorithm = KeyAlgorithm::EcP256;
/// Draws of an EC scalar before giving up (each fails with probability below 2^-32).
const SCALAR_ATTEMPTS: usize = 16;

/// A new private key as PKCS#8 PEM text.
pub(super) fn private_key(policy: &PrivateKeyPolicy, previous: Option<&SecretValue>) -> Result<SecretValue, TypeError> {
    let algorithm = match (policy.algorithm, previous) {
        (Some(algorithm), _) => algorithm,
        (None, None) => DEFAULT_ALGORITHM,
        (None, Some(previous)) => {
            check_previous(SecretType::PrivateKey, previous)?;
            private_key::read(previous)?.kind.map_or(DEFAULT_ALGORITHM, algorithm_like)
        }
    };
    let pem = match algorithm {
        KeyAlgorithm::Rsa2048 => rsa(2048)?,
        KeyAlgorithm::Rsa3072 => rsa(3072)?,
        KeyAlgorithm::Rsa4096 => rsa(4096)?,
        KeyAlgorithm::EcP256 => encode(&ec_scalar(32, |bytes| p256::SecretKey::from_slice(bytes).ok())?)?,
        KeyAlgorithm::EcP384 => encode(&ec_scalar(48, |bytes| p384::SecretKey::from_slice(bytes).ok())?)?,
        KeyAlgorithm::Ed25519 => {
            let mut seed = Zeroizing::new([0u8; 32]);
            OsRandom::new().fill(&mut *seed)?;
            encode(&ed25519_dalek::SigningKey::from_bytes(&seed))?
        }
    };
    Ok(SecretValue::Text(pem))
}

/// The algorithm that makes keys like `kind`: RSA sizes round up to 2048, 3072 or 4096 bits.
fn algorithm_like(kind: KeyKind) -> KeyAlgorithm {
    match kind {
        KeyKind::Rsa { bits } if bits <= 2048 => KeyAlgorithm::Rsa2048,
        KeyKind::Rsa { bits } if bits <= 3072 => KeyAlgorithm::Rsa3072,
        KeyKind::Rsa { .. } => KeyAlgorithm::Rsa4096,
        KeyKind::Ec(Curve::P256) => KeyAlgorithm::EcP256,
        KeyKind::Ec(Curve::P384) => KeyAlgorithm::EcP384,
        KeyKind::Ed25519 => KeyAlgorithm::Ed25519,
    }
}

fn rsa(bits: usize) -> Result<Zeroizing<String>, TypeError> {
    let key = rsa::PrivateKey::new(&mut getrandom::SysRng, bits)
        .map_err(|e| TypeError::KeyGeneration(format!("RSA-{bits}: {e}")))?;
    encode(&key)
}

/// Draws `length` random bytes until `make` accepts them as a scalar of the curve.
fn ec_scalar<K>(length: usize, make: impl Fn(&[u8]) -> Option<K>) -> Result<K, TypeError> {
    let mut random = OsRandom::new();
    let mut bytes = Zeroizing::new(vec![0u8; length]);
    for _ in 0..SCALAR_ATTEMPTS {
        random.fill(&mut bytes)?;
        if let Some(key) = make(&bytes) {
            return Ok(key);
        }
    }
    Err(TypeError::KeyGeneration("no valid EC scalar came from the random source".to_owned()))
}

fn encode(key: &impl EncodePrivateKey) -> Result<Zeroizing<String>, TypeError> {
    key.to_pkcs8_pem(LineEnding::LF).map_err(|e| TypeError::KeyGeneration(format!("writing PKCS#8 PEM failed: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rsa_sizes_round_up() {
        assert_eq!(algorithm_like(KeyKind::Rsa { bits: 2048 }), KeyAlgorithm::Rsa2048);
        assert_eq!(algorithm_like(KeyKind::Rsa { bits: 2049 }), KeyAlgorithm::Rsa3072);
        assert_eq!(algorithm_like(KeyKind::Rsa { bits: 8192 }), KeyAlgorithm::Rsa4096);
        assert_eq!(algorithm_like(KeyKind::Ec(Curve::P384)), KeyAlgorithm::EcP384);
    }
}
