//! OpenSSH private keys (`-----BEGIN OPENSSH PRIVATE KEY-----`), read with `ssh-key`.
//!
//! An unencrypted key's private part is checked against its public part with the same
//! RustCrypto crates as the other formats. An encrypted key still shows its public part, so its
//! type and size are reported.

use super::der::{bit_length, check_ec, check_rsa_bits};
use super::{invalid, Curve, KeyInfo, KeyKind};
use crate::error::TypeError;
use rsa::BoxedUint;
use ssh_key::private::{EcdsaKeypair, Ed25519Keypair, KeypairData, RsaKeypair};
use ssh_key::public::{EcdsaPublicKey, KeyData};
use zeroize::Zeroizing;

/// Reads an OpenSSH private key block.
pub(super) fn read(block: &str) -> Result<KeyInfo, TypeError> {
    let key = ssh_key::PrivateKey::from_openssh(block).map_err(|_| invalid("the OpenSSH private key is damaged"))?;
    let kind = if key.is_encrypted() {
        public_kind(key.public_key().key_data())?
    } else {
        match key.key_data() {
            KeypairData::Rsa(pair) => rsa(pair)?,
            KeypairData::Ecdsa(pair) => ecdsa(pair)?,
            KeypairData::Ed25519(pair) => ed25519(pair)?,
            _ => public_kind(key.public_key().key_data())?,
        }
    };
    Ok(KeyInfo { format: "openssh", encoding: "pem", kind: Some(kind), encrypted: key.is_encrypted() })
}

/// The type and size a public key shows; refuses the types keyway does not read.
fn public_kind(key: &KeyData) -> Result<KeyKind, TypeError> {
    let unsupported = |name: &str| {
        invalid(format!("{name} keys are not supported (RSA, EC P-256/P-384 and Ed25519 are); store it as generic"))
    };
    match key {
        KeyData::Rsa(public) => {
            let bits = bit_length(public.n.as_positive_bytes().unwrap_or_default());
            check_rsa_bits(bits)?;
            Ok(KeyKind::Rsa { bits })
        }
        KeyData::Ecdsa(EcdsaPublicKey::NistP256(_)) => Ok(KeyKind::Ec(Curve::P256)),
        KeyData::Ecdsa(EcdsaPublicKey::NistP384(_)) => Ok(KeyKind::Ec(Curve::P384)),
        KeyData::Ecdsa(EcdsaPublicKey::NistP521(_)) => Err(unsupported("EC P-521")),
        KeyData::Ed25519(_) => Ok(KeyKind::Ed25519),
        KeyData::Dsa(_) => Err(unsupported("DSA")),
        KeyData::SkEcdsaSha2NistP256(_) | KeyData::SkEd25519(_) => Err(unsupported("Security-key (FIDO)")),
        _ => Err(unsupported("This algorithm's")),
    }
}

/// Rebuilds the RSA key from its parts, which checks that they agree.
fn rsa(pair: &RsaKeypair) -> Result<KeyKind, TypeError> {
    let kind = public_kind(&KeyData::Rsa(pair.public.clone()))?;
    let damaged = || invalid("the OpenSSH RSA key's parts do not agree (modulus, exponents, primes); it is damaged");
    let n = pair.public.n.as_positive_bytes().ok_or_else(damaged)?;
    let precision = u32::try_from(n.len() * 8).map_err(|_| damaged())?;
    let number = |bytes: Option<&[u8]>, precision: u32| {
        bytes.and_then(|bytes| BoxedUint::from_be_slice(bytes, precision).ok()).ok_or_else(damaged)
    };
    let e_bytes = pair.public.e.as_positive_bytes();
    let e_precision = u32::try_from(e_bytes.map_or(0, <[u8]>::len) * 8).map_err(|_| damaged())?;
    let e = number(e_bytes, e_precision)?;
    let d = number(pair.private.d.as_positive_bytes(), precision)?;
    let p = number(pair.private.p.as_positive_bytes(), precision)?;
    let q = number(pair.private.q.as_positive_bytes(), precision)?;
    rsa::PrivateKey::from_components(number(Some(n), precision)?, e, d, vec![p, q]).map_err(|_| damaged())?;
    Ok(kind)
}

/// Checks that the scalar makes the public point, on P-256 or P-384.
fn ecdsa(pair: &EcdsaKeypair) -> Result<KeyKind, TypeError> {
    let (curve, private, public) = match pair {
        EcdsaKeypair::NistP256 { public, private } => (Curve::P256, private.as_slice(), public.as_bytes()),
        EcdsaKeypair::NistP384 { public, private } => (Curve::P384, private.as_slice(), public.as_bytes()),
        EcdsaKeypair::NistP521 { .. } => {
            return Err(invalid(
                "EC P-521 keys are not supported (RSA, EC P-256/P-384 and Ed25519 are); store it as generic",
            ));
        }
    };
    check_ec(curve, sec1::EcPrivateKey { private_key: private, parameters: None, public_key: Some(public) })?;
    Ok(KeyKind::Ec(curve))
}

/// Checks that the seed makes the public key.
fn ed25519(pair: &Ed25519Keypair) -> Result<KeyKind, TypeError> {
    let seed = Zeroizing::new(pair.private.to_bytes());
    let derived = ed25519_dalek::SigningKey::from_bytes(&seed).verifying_key();
    if derived.as_bytes() != &pair.public.0 {
        return Err(invalid("the OpenSSH Ed25519 key's public part is not its private part's; it is damaged"));
    }
    Ok(KeyKind::Ed25519)
}
