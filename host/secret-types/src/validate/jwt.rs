//! `jwt`: a compact JWS, `header.payload.signature`, each segment base64url without padding.
//!
//! The header is a JSON object with an `alg` name; the payload a JSON object whose `exp` and
//! `nbf` (NumericDate: seconds since the epoch) become the secret's expiry and start of validity.
//! The signature is not verified (keyway has no key for it), but its length must fit the `alg`.

use super::json::{json_problem, starts_object, JsonValue};
use super::{require_text, require_trimmed};
use crate::error::TypeError;
use crate::facts::TypeFacts;
use crate::types::SecretType;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use keyway_types::{SecretValue, Timestamp};
use serde::de::IgnoredAny;
use serde::Deserialize;
use zeroize::Zeroizing;

const TYPE: SecretType = SecretType::Jwt;
/// The longest `alg` name accepted (registered names are at most 18 characters).
const MAX_ALG_LEN: usize = 32;

/// Checks a compact JWT and reports its `alg`, `exp` and `nbf`.
pub(super) fn validate(value: &SecretValue) -> Result<TypeFacts, TypeError> {
    let text = require_text(TYPE, value)?;
    require_trimmed(TYPE, text)?;
    let segments: Vec<&str> = text.split('.').collect();
    let [header, payload, signature] = segments.as_slice() else {
        return Err(invalid(match segments.len() {
            5 => "the value has five segments: an encrypted JWT (JWE) is not supported; store it as generic".to_owned(),
            count => format!("the value has {count} dot-separated segments; a JWT has three"),
        }));
    };
    let header = decode_segment("header", header)?;
    let payload = decode_segment("payload", payload)?;
    let signature = decode_segment("signature", signature)?;

    let header: Header = read_object("the header", &header)?;
    if header.enc.is_some() {
        return Err(invalid("the header has `enc`: an encrypted JWT (JWE) is not supported; store it as generic"));
    }
    let alg = match header.alg {
        Some(JsonValue::Text(alg)) if is_algorithm_name(&alg) => alg.to_string(),
        Some(JsonValue::Text(_)) => {
            return Err(invalid(format!(
                "the header's `alg` is not an algorithm name (letters, digits, `-`, `_`, `+`, `.`; at most {MAX_ALG_LEN})"
            )));
        }
        Some(_) => return Err(invalid("the header's `alg` is not a string")),
        None => return Err(invalid("the header has no `alg`")),
    };
    check_signature_length(&alg, signature.len())?;

    let claims: Claims = read_object("the payload", &payload)?;
    let mut facts = TypeFacts::new(TYPE);
    facts.format = Some("jwt");
    facts.encoding = Some("base64url");
    facts.expires_at = numeric_date("exp", claims.exp)?;
    facts.not_before = numeric_date("nbf", claims.nbf)?;
    facts.alg = Some(alg);
    Ok(facts)
}

fn invalid(problem: impl Into<String>) -> TypeError {
    TypeError::invalid(TYPE, problem)
}

/// Decodes one segment, saying which rule of base64url it breaks.
fn decode_segment(name: &str, segment: &str) -> Result<Zeroizing<Vec<u8>>, TypeError> {
    if segment.is_empty() && name != "signature" {
        return Err(invalid(format!("the {name} segment is empty")));
    }
    if segment.contains('=') {
        return Err(invalid(format!(
            "the {name} segment has base64 padding (`=`); JWTs use base64url without padding"
        )));
    }
    if segment.contains(['+', '/']) {
        return Err(invalid(format!("the {name} segment uses `+` or `/`; JWTs use base64url (`-`, `_`)")));
    }
    URL_SAFE_NO_PAD
        .decode(segment)
        .map(Zeroizing::new)
        .map_err(|_| invalid(format!("the {name} segment is not valid base64url")))
}

/// Reads a decoded segment as a JSON object into `T`.
fn read_object<T: for<'de> Deserialize<'de>>(subject: &str, bytes: &[u8]) -> Result<T, TypeError> {
    if !starts_object(bytes) {
        return Err(invalid(format!("{subject} is not a JSON object")));
    }
    serde_json::from_slice(bytes).map_err(|e| invalid(json_problem(subject, &e)))
}

/// Registered names are short ASCII tokens (`HS256`, `RSA-OAEP`, `EdDSA`); anything else is refused
/// so that a fact never carries arbitrary text.
fn is_algorithm_name(alg: &str) -> bool {
    (1..=MAX_ALG_LEN).contains(&alg.len())
        && alg.bytes().all(|byte| byte.is_ascii_alphanumeric() || b"-_+.".contains(&byte))
}

/// `none` has no signature; the others have one, of the exact length their algorithm makes where
/// it is fixed.
fn check_signature_length(alg: &str, length: usize) -> Result<(), TypeError> {
    let expected: &[usize] = match alg {
        "none" if length == 0 => return Ok(()),
        "none" => return Err(invalid("`alg` is `none` but the signature segment is not empty")),
        _ if length == 0 => return Err(invalid("the signature segment is empty")),
        "HS256" => &[32],
        "HS384" => &[48],
        "HS512" => &[64],
        "ES256" | "ES256K" | "Ed25519" => &[64],
        "ES384" => &[96],
        "ES512" => &[132],
        "Ed448" => &[114],
        "EdDSA" => &[64, 114],
        "RS256" | "RS384" | "RS512" | "PS256" | "PS384" | "PS512" => {
            return if (128..=2048).contains(&length) {
                Ok(())
            } else {
                Err(invalid(format!("the signature is {length} bytes; an {alg} signature is 128 to 2048")))
            };
        }
        _ => return Ok(()),
    };
    if expected.contains(&length) {
        return Ok(());
    }
    let expected = expected.iter().map(usize::to_string).collect::<Vec<_>>().join(" or ");
    Err(invalid(format!("the signature is {length} bytes; an {alg} signature is {expected}")))
}

/// A NumericDate claim as milliseconds since the epoch.
fn numeric_date(claim: &str, value: Option<JsonValue>) -> Result<Option<Timestamp>, TypeError> {
    let refuse = || invalid(format!("claim `{claim}` is not a NumericDate (seconds since the epoch, not negative)"));
    let millis = match value {
        None => return Ok(None),
        Some(JsonValue::Unsigned(seconds)) => seconds.checked_mul(1000),
        Some(JsonValue::Float(seconds)) if (0.0..9.0e15).contains(&seconds) => {
            // Below 9e15 seconds the milliseconds fit a u64; the cast drops fractions of a millisecond.
            Some((seconds * 1000.0) as u64)
        }
        Some(_) => None,
    };
    millis.map(Some).ok_or_else(refuse)
}

#[derive(Deserialize)]
struct Header {
    alg: Option<JsonValue>,
    enc: Option<IgnoredAny>,
}

#[derive(Deserialize)]
struct Claims {
    exp: Option<JsonValue>,
    nbf: Option<JsonValue>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numeric_dates_become_milliseconds() {
        assert_eq!(numeric_date("exp", Some(JsonValue::Unsigned(1_700_000_000))).ok(), Some(Some(1_700_000_000_000)));
        assert_eq!(numeric_date("exp", Some(JsonValue::Float(1.5))).ok(), Some(Some(1500)));
        assert!(numeric_date("exp", Some(JsonValue::Float(-1.0))).is_err());
        assert!(numeric_date("exp", Some(JsonValue::Unsigned(u64::MAX))).is_err());
        assert!(numeric_date("nbf", Some(JsonValue::Null)).is_err());
        assert_eq!(numeric_date("exp", None).ok(), Some(None));
    }

    #[test]
    fn algorithm_names() {
        assert!(is_algorithm_name("HS256"));
        assert!(is_algorithm_name("RSA-OAEP-256"));
        assert!(!is_algorithm_name(""));
        assert!(!is_algorithm_name("HS 256"));
        assert!(!is_algorithm_name(&"A".repeat(33)));
    }
}
