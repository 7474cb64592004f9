//! `key-store`: a PKCS#12 (`.p12`, `.pfx`) or Java (`.jks`, `.jceks`) key store file.
//!
//! keyway does not have the store's password, so the checks are those that need none: the
//! file's structure is walked to its end, and the entries are counted where the format shows
//! them without the password. A JKS file lists its entries in the clear (only the private keys
//! are encrypted). A PKCS#12 file usually encrypts its certificate section: then the entries
//! cannot be counted and the store is reported as encrypted. The password-keyed integrity
//! checks (PKCS#12's MAC, JKS's digest) cannot be verified without the password.

mod jks;
mod pkcs12;

use crate::error::TypeError;
use crate::facts::TypeFacts;
use crate::types::SecretType;
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use keyway_types::SecretValue;
use zeroize::Zeroizing;

const TYPE: SecretType = SecretType::KeyStore;

/// What walking a store found: the counts are `None` when the password hides them.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
struct StoreContents {
    format: &'static str,
    entries: Option<u32>,
    private_keys: Option<u32>,
    certificates: Option<u32>,
    encrypted: bool,
}

/// Checks a key store: its bytes, or base64 text of them (for backends that hold only text).
pub(super) fn validate(value: &SecretValue) -> Result<TypeFacts, TypeError> {
    let decoded;
    let (bytes, encoding) = match value.expose_text() {
        None => (value.expose_bytes(), "binary"),
        Some(text) => {
            decoded = decode_base64(text)?;
            (decoded.as_slice(), "base64")
        }
    };
    if bytes.is_empty() {
        return Err(invalid("the value is empty"));
    }
    let contents = match bytes {
        [0xFE, 0xED, 0xFE, 0xED, ..] => jks::read(bytes, "jks")?,
        [0xCE, 0xCE, 0xCE, 0xCE, ..] => jks::read(bytes, "jceks")?,
        [0x30, ..] => pkcs12::read(bytes)?,
        _ => return Err(invalid("the bytes are neither a PKCS#12 file nor a JKS or JCEKS key store")),
    };
    let mut facts = TypeFacts::new(TYPE);
    facts.format = Some(contents.format);
    facts.encoding = Some(encoding);
    facts.entries = contents.entries;
    facts.private_keys = contents.private_keys;
    facts.certificates = contents.certificates;
    facts.encrypted = contents.encrypted;
    Ok(facts)
}

/// Text is read as base64 of the file, line breaks allowed.
fn decode_base64(text: &str) -> Result<Zeroizing<Vec<u8>>, TypeError> {
    let mut compact = Zeroizing::new(String::with_capacity(text.len()));
    compact.extend(text.chars().filter(|c| !c.is_ascii_whitespace()));
    STANDARD
        .decode(compact.as_bytes())
        .map(Zeroizing::new)
        .map_err(|_| invalid("the value is text but not base64; store the key store file's bytes as a binary value"))
}

fn invalid(problem: impl Into<String>) -> TypeError {
    TypeError::invalid(TYPE, problem)
}
