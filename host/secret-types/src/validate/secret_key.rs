//! `secret-key`: 16 to 64 bytes of symmetric key, as a binary value or as hex or base64 text.
//!
//! Text made only of hex digits, of even length, is read as hex (it would also be base64, but
//! hex is the stricter reading); other text as base64, standard or URL-safe, padded or not.

use super::require_trimmed;
use crate::error::TypeError;
use crate::facts::TypeFacts;
use crate::types::SecretType;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
use base64::Engine as _;
use keyway_types::SecretValue;
use std::ops::RangeInclusive;
use zeroize::Zeroizing;

const TYPE: SecretType = SecretType::SecretKey;
/// How long a secret key may be, in bytes.
pub(crate) const KEY_BYTES: RangeInclusive<usize> = 16..=64;

/// How a secret key is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum KeyEncoding {
    Binary,
    Hex,
    Base64,
}

impl KeyEncoding {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Binary => "binary",
            Self::Hex => "hex",
            Self::Base64 => "base64",
        }
    }
}

/// Checks a secret key and reports its encoding and size in bits.
pub(super) fn validate(value: &SecretValue) -> Result<TypeFacts, TypeError> {
    let (encoding, length) = read(value)?;
    let mut facts = TypeFacts::new(TYPE);
    facts.encoding = Some(encoding.as_str());
    facts.bits = u32::try_from(length * 8).ok();
    Ok(facts)
}

/// The key's encoding and its length in bytes, once its length is within [`KEY_BYTES`].
pub(crate) fn read(value: &SecretValue) -> Result<(KeyEncoding, usize), TypeError> {
    let (encoding, length) = match value.expose_text() {
        None => (KeyEncoding::Binary, value.len()),
        Some(text) => {
            require_trimmed(TYPE, text)?;
            let (encoding, bytes) = decode_text(text)?;
            (encoding, bytes.len())
        }
    };
    if !KEY_BYTES.contains(&length) {
        let what = match encoding {
            KeyEncoding::Binary => String::new(),
            other => format!(" once decoded from {}", other.as_str()),
        };
        return Err(TypeError::invalid(
            TYPE,
            format!(
                "the key is {length} bytes{what}; use {} to {} bytes (32 for AES-256 or HMAC-SHA256)",
                KEY_BYTES.start(),
                KEY_BYTES.end()
            ),
        ));
    }
    Ok((encoding, length))
}

fn decode_text(text: &str) -> Result<(KeyEncoding, Zeroizing<Vec<u8>>), TypeError> {
    if text.len().is_multiple_of(2) && text.bytes().all(|byte| byte.is_ascii_hexdigit()) {
        let bytes = hex::decode(text).map_err(|_| TypeError::invalid(TYPE, "the text is not valid hex"))?;
        return Ok((KeyEncoding::Hex, Zeroizing::new(bytes)));
    }
    let engine = match (text.contains(['-', '_']), text.ends_with('=')) {
        (false, true) => &STANDARD,
        (false, false) => &STANDARD_NO_PAD,
        (true, true) => &URL_SAFE,
        (true, false) => &URL_SAFE_NO_PAD,
    };
    engine.decode(text).map(|bytes| (KeyEncoding::Base64, Zeroizing::new(bytes))).map_err(|_| {
        TypeError::invalid(
            TYPE,
            "the text is neither hex nor base64 (standard or URL-safe, without line breaks); \
             store raw key bytes as a binary value",
        )
    })
}
