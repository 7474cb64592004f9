//! DER private keys: PKCS#8 (plain and encrypted), PKCS#1 and SEC1, each checked by the
//! RustCrypto crate of its algorithm.

use super::{invalid, Curve, KeyKind, RSA_MAX_BITS, RSA_MIN_BITS};
use crate::error::TypeError;
use der::asn1::{AnyRef, ObjectIdentifier, OctetStringRef};
use der::{Decode, Sequence};
use oids::{EC, ED25519, P256, P384, RSA, RSA_PSS, UNSUPPORTED};
use pkcs8::PrivateKeyInfoRef;

/// Object identifiers of the algorithms and curves a PKCS#8 or SEC1 key may name.
mod oids {
    use der::asn1::ObjectIdentifier as Oid;

    pub(super) const RSA: Oid = Oid::new_unwrap("1.2.840.113549.1.1.1");
    pub(super) const RSA_PSS: Oid = Oid::new_unwrap("1.2.840.113549.1.1.10");
    pub(super) const EC: Oid = Oid::new_unwrap("1.2.840.10045.2.1");
    pub(super) const ED25519: Oid = Oid::new_unwrap("1.3.101.112");
    pub(super) const P256: Oid = Oid::new_unwrap("1.2.840.10045.3.1.7");
    pub(super) const P384: Oid = Oid::new_unwrap("1.3.132.0.34");
    /// Algorithms recognised only to say by name that they are not supported.
    pub(super) const UNSUPPORTED: [(Oid, &str); 7] = [
        (Oid::new_unwrap("1.3.101.110"), "X25519"),
        (Oid::new_unwrap("1.3.101.111"), "X448"),
        (Oid::new_unwrap("1.3.101.113"), "Ed448"),
        (Oid::new_unwrap("1.2.840.10040.4.1"), "DSA"),
        (Oid::new_unwrap("1.2.840.113549.1.3.1"), "Diffie-Hellman"),
        (Oid::new_unwrap("1.3.132.0.35"), "EC P-521"),
        (Oid::new_unwrap("1.3.132.0.10"), "EC secp256k1"),
    ];
}

/// PKCS#8 `EncryptedPrivateKeyInfo`: the scheme is not decoded, so keys encrypted with any
/// scheme (PBES2, or PKCS#12's older ones) are recognised.
#[derive(Sequence)]
struct EncryptedPrivateKeyInfo<'a> {
    scheme: AnyRef<'a>,
    encrypted: &'a OctetStringRef,
}

/// Reads DER of an unknown format: the first structure that decodes names the format, then its
/// key is checked. Returns the format and the key (`None` for an encrypted key).
pub(super) fn read(der: &[u8]) -> Result<(&'static str, Option<KeyKind>), TypeError> {
    if PrivateKeyInfoRef::from_der(der).is_ok() {
        return Ok(("pkcs8", Some(pkcs8(der)?)));
    }
    if EncryptedPrivateKeyInfo::from_der(der).is_ok() {
        return Ok(("pkcs8", None));
    }
    if pkcs1::RsaPrivateKeyRef::from_der(der).is_ok() {
        return Ok(("pkcs1", Some(rsa(der)?)));
    }
    if sec1::EcPrivateKey::from_der(der).is_ok() {
        return Ok(("sec1", Some(sec1(der)?)));
    }
    Err(invalid("the bytes are not a DER private key (PKCS#8, PKCS#1 or SEC1)"))
}

/// Checks the structure of an encrypted PKCS#8 key.
pub(super) fn encrypted_pkcs8(der: &[u8]) -> Result<(), TypeError> {
    let info = EncryptedPrivateKeyInfo::from_der(der)
        .map_err(|_| invalid("the encrypted PKCS#8 key is not a valid EncryptedPrivateKeyInfo"))?;
    if info.encrypted.as_bytes().is_empty() {
        return Err(invalid("the encrypted PKCS#8 key holds no encrypted data"));
    }
    Ok(())
}

/// Checks a PKCS#8 key by the algorithm it names.
pub(super) fn pkcs8(der: &[u8]) -> Result<KeyKind, TypeError> {
    let info = PrivateKeyInfoRef::from_der(der).map_err(|_| invalid("the key is not a valid PKCS#8 PrivateKeyInfo"))?;
    let algorithm = info.algorithm.oid;
    if algorithm == RSA || algorithm == RSA_PSS {
        return rsa(info.private_key.as_bytes());
    }
    if algorithm == ED25519 {
        ed25519_dalek::SigningKey::try_from(info)
            .map_err(|_| invalid("the Ed25519 key is damaged (its length or public key is wrong)"))?;
        return Ok(KeyKind::Ed25519);
    }
    if algorithm == EC {
        let curve = info
            .algorithm
            .parameters
            .and_then(|parameters| parameters.decode_as::<ObjectIdentifier>().ok())
            .ok_or_else(|| invalid("the EC key does not name its curve"))?;
        let curve = named_curve(curve)?;
        let checked = match curve {
            Curve::P256 => p256::SecretKey::try_from(info).map(drop),
            Curve::P384 => p384::SecretKey::try_from(info).map(drop),
        };
        checked.map_err(|_| invalid("the EC key is damaged (its scalar or public point is wrong for its curve)"))?;
        return Ok(KeyKind::Ec(curve));
    }
    Err(unsupported(algorithm))
}

/// Checks a PKCS#1 RSA key: two primes, a modulus of [`RSA_MIN_BITS`]..=[`RSA_MAX_BITS`], and
/// parts that agree.
pub(super) fn rsa(der: &[u8]) -> Result<KeyKind, TypeError> {
    let key = pkcs1::RsaPrivateKeyRef::from_der(der)
        .map_err(|_| invalid("the RSA key is not a valid PKCS#1 RSAPrivateKey"))?;
    if key.other_prime_infos.is_some() {
        return Err(invalid("multi-prime RSA keys are not supported"));
    }
    let bits = bit_length(key.modulus.as_bytes());
    check_rsa_bits(bits)?;
    rsa::PrivateKey::try_from(key)
        .map_err(|_| invalid("the RSA key's parts do not agree (modulus, exponents, primes); it is damaged"))?;
    Ok(KeyKind::Rsa { bits })
}

/// Refuses RSA moduli outside [`RSA_MIN_BITS`]..=[`RSA_MAX_BITS`].
pub(super) fn check_rsa_bits(bits: u32) -> Result<(), TypeError> {
    if bits < RSA_MIN_BITS {
        return Err(invalid(format!(
            "the RSA key has {bits} bits; keys under {RSA_MIN_BITS} bits are too weak, make a new one"
        )));
    }
    if bits > RSA_MAX_BITS {
        return Err(invalid(format!("the RSA key has {bits} bits; the most keyway checks is {RSA_MAX_BITS}")));
    }
    Ok(())
}

/// Checks a SEC1 EC key, which must name its curve.
pub(super) fn sec1(der: &[u8]) -> Result<KeyKind, TypeError> {
    let key = sec1::EcPrivateKey::from_der(der).map_err(|_| invalid("the EC key is not a valid SEC1 ECPrivateKey"))?;
    let curve = key
        .parameters
        .and_then(|parameters| parameters.named_curve())
        .ok_or_else(|| invalid("the SEC1 key does not name its curve; store it as PKCS#8"))?;
    let curve = named_curve(curve)?;
    check_ec(curve, key)?;
    Ok(KeyKind::Ec(curve))
}

/// Checks an EC scalar, and its public point when present, on `curve`.
pub(super) fn check_ec(curve: Curve, key: sec1::EcPrivateKey<'_>) -> Result<(), TypeError> {
    let checked = match curve {
        Curve::P256 => p256::SecretKey::try_from(key).map(drop),
        Curve::P384 => p384::SecretKey::try_from(key).map(drop),
    };
    checked.map_err(|_| invalid("the EC key is damaged (its scalar or public point is wrong for its curve)"))
}

fn named_curve(oid: ObjectIdentifier) -> Result<Curve, TypeError> {
    if oid == P256 {
        Ok(Curve::P256)
    } else if oid == P384 {
        Ok(Curve::P384)
    } else {
        Err(unsupported(oid))
    }
}

/// An algorithm or curve keyway does not read, named when it is a known one.
fn unsupported(oid: ObjectIdentifier) -> TypeError {
    match UNSUPPORTED.iter().find(|(known, _)| *known == oid) {
        Some((_, name)) => {
            invalid(format!("{name} keys are not supported (RSA, EC P-256/P-384 and Ed25519 are); store it as generic"))
        }
        None => {
            invalid("the key's algorithm is not supported (RSA, EC P-256/P-384 and Ed25519 are); store it as generic")
        }
    }
}

/// The number of significant bits of a big-endian unsigned integer.
pub(super) fn bit_length(bytes: &[u8]) -> u32 {
    let zeros = bytes.iter().take_while(|byte| **byte == 0).count();
    let significant = &bytes[zeros..];
    match significant.first() {
        None => 0,
        Some(first) => {
            let length = u32::try_from(significant.len()).unwrap_or(u32::MAX / 8);
            length.saturating_mul(8) - first.leading_zeros()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bit_lengths() {
        assert_eq!(bit_length(&[]), 0);
        assert_eq!(bit_length(&[0, 0]), 0);
        assert_eq!(bit_length(&[0, 0x80, 0]), 16);
        assert_eq!(bit_length(&[0x01, 0xff]), 9);
    }
}
