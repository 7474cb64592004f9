//! `private-key`: one private key, PEM (text or bytes) or DER (binary).
//!
//! Formats: PKCS#8 (RSA, RSA-PSS, EC, Ed25519), PKCS#1 (RSA), SEC1 (EC) and OpenSSH. Key types:
//! RSA of 2048 to 16384 bits, EC on P-256 or P-384, Ed25519. Each key is decoded by the RustCrypto
//! crate of its algorithm, which checks that its parts agree (an RSA key's primes multiply to its
//! modulus, an EC key's public point is its scalar's). A key encrypted under a passphrase (PKCS#8
//! `ENCRYPTED PRIVATE KEY`, OpenSSL's legacy `Proc-Type: 4,ENCRYPTED` PEM, an OpenSSH key with a
//! cipher) cannot be checked that far: its structure is, and it is reported as encrypted.

mod der;
mod openssh;
mod pem;

use crate::error::TypeError;
use crate::facts::TypeFacts;
use crate::types::SecretType;
use keyway_types::SecretValue;

const TYPE: SecretType = SecretType::PrivateKey;

/// The smallest RSA modulus accepted, in bits (NIST SP 800-131A).
pub(crate) const RSA_MIN_BITS: u32 = 2048;
/// The largest RSA modulus accepted, in bits: checking a larger key costs too much to do per write.
pub(crate) const RSA_MAX_BITS: u32 = 16384;

/// A private key's algorithm and size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum KeyKind {
    /// RSA with a modulus of this many bits.
    Rsa { bits: u32 },
    /// ECDSA/ECDH on a NIST curve.
    Ec(Curve),
    /// Ed25519.
    Ed25519,
}

/// The NIST curves keyway reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Curve {
    P256,
    P384,
}

impl Curve {
    fn name(self) -> &'static str {
        match self {
            Self::P256 => "p-256",
            Self::P384 => "p-384",
        }
    }

    fn bits(self) -> u32 {
        match self {
            Self::P256 => 256,
            Self::P384 => 384,
        }
    }
}

/// What reading a private key found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct KeyInfo {
    /// `pkcs8`, `pkcs1`, `sec1` or `openssh`.
    pub(crate) format: &'static str,
    /// `pem` or `der`.
    pub(crate) encoding: &'static str,
    /// The algorithm and size, unless the key is encrypted and hides them.
    pub(crate) kind: Option<KeyKind>,
    /// Whether the key is encrypted under a passphrase.
    pub(crate) encrypted: bool,
}

/// Checks a private key and reports its format, type and size.
pub(super) fn validate(value: &SecretValue) -> Result<TypeFacts, TypeError> {
    let info = read(value)?;
    let mut facts = TypeFacts::new(TYPE);
    facts.format = Some(info.format);
    facts.encoding = Some(info.encoding);
    facts.encrypted = info.encrypted;
    match info.kind {
        Some(KeyKind::Rsa { bits }) => {
            facts.key_type = Some("rsa");
            facts.bits = Some(bits);
        }
        Some(KeyKind::Ec(curve)) => {
            facts.key_type = Some("ec");
            facts.curve = Some(curve.name());
            facts.bits = Some(curve.bits());
        }
        Some(KeyKind::Ed25519) => {
            facts.key_type = Some("ed25519");
            facts.bits = Some(256);
        }
        None => {}
    }
    Ok(facts)
}

/// Reads one private key: PEM when the value is text (or UTF-8 bytes) holding a `-----BEGIN` line,
/// else DER, which must be a binary value.
pub(crate) fn read(value: &SecretValue) -> Result<KeyInfo, TypeError> {
    let bytes = value.expose_bytes();
    if bytes.is_empty() {
        return Err(invalid("the value is empty"));
    }
    let text = value.expose_text().or_else(|| std::str::from_utf8(bytes).ok());
    if let Some(pem) = text.filter(|text| text.contains("-----BEGIN ")) {
        return pem::read(pem);
    }
    if !value.is_binary() {
        return Err(invalid(
            "the text holds no PEM block (`-----BEGIN … PRIVATE KEY-----`); store a DER key as a binary value",
        ));
    }
    let (format, kind) = der::read(bytes)?;
    Ok(KeyInfo { format, encoding: "der", kind, encrypted: kind.is_none() })
}

fn invalid(problem: impl Into<String>) -> TypeError {
    TypeError::invalid(TYPE, problem)
}
