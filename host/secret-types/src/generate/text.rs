//! `api-key` and `secret-key`: random characters and random bytes.

use super::check_previous;
use crate::error::TypeError;
use crate::policy::{ApiKeyPolicy, SecretKeyEncoding, SecretKeyPolicy};
use crate::random::OsRandom;
use crate::types::SecretType;
use crate::validate::secret_key::{self, KeyEncoding};
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use keyway_types::SecretValue;
use zeroize::Zeroizing;

/// The default secret key length, in bytes.
const DEFAULT_KEY_BYTES: usize = 32;

/// The prefix, then `length` characters of the alphabet.
pub(super) fn api_key(policy: &ApiKeyPolicy) -> Result<SecretValue, TypeError> {
    policy.check()?;
    let alphabet = policy.alphabet.characters();
    let mut random = OsRandom::new();
    let mut key = Zeroizing::new(String::with_capacity(policy.prefix.len() + policy.length));
    key.push_str(&policy.prefix);
    for _ in 0..policy.length {
        key.push(char::from(random.pick(alphabet)?));
    }
    Ok(SecretValue::Text(key))
}

/// Random bytes, as long and written as the policy says, else as the previous key was.
pub(super) fn secret_key(policy: &SecretKeyPolicy, previous: Option<&SecretValue>) -> Result<SecretValue, TypeError> {
    policy.check()?;
    let shape = match (policy.bytes, policy.encoding, previous) {
        (Some(_), Some(_), _) | (_, _, None) => None,
        (_, _, Some(previous)) => {
            check_previous(SecretType::SecretKey, previous)?;
            Some(secret_key::read(previous)?)
        }
    };
    let length = policy.bytes.or(shape.map(|(_, length)| length)).unwrap_or(DEFAULT_KEY_BYTES);
    let encoding = policy.encoding.unwrap_or(match shape {
        Some((KeyEncoding::Binary, _)) => SecretKeyEncoding::Binary,
        Some((KeyEncoding::Hex, _)) => SecretKeyEncoding::Hex,
        Some((KeyEncoding::Base64, _)) | None => SecretKeyEncoding::Base64,
    });
    let mut bytes = Zeroizing::new(vec![0u8; length]);
    OsRandom::new().fill(&mut bytes)?;
    Ok(match encoding {
        SecretKeyEncoding::Binary => SecretValue::Binary(bytes),
        SecretKeyEncoding::Hex => SecretValue::Text(Zeroizing::new(hex::encode(bytes.as_slice()))),
        SecretKeyEncoding::Base64 => SecretValue::Text(Zeroizing::new(STANDARD.encode(bytes.as_slice()))),
    })
}
