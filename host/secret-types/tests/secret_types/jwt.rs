//! `jwt`: HS256 tokens signed here by hand, their claims as facts, and broken tokens.

use crate::common::{b64url, hs256, refused, valid};
use keyway_secret_types::SecretType;
use keyway_types::SecretValue;

const TYPE: SecretType = SecretType::Jwt;
const KEY: &[u8] = b"a key for signing test tokens only";

fn token(header: &str, payload: &str) -> SecretValue {
    SecretValue::text(hs256(header, payload, KEY))
}

fn unsigned(header: &str, payload: &str, signature: &[u8]) -> SecretValue {
    SecretValue::text(format!("{}.{}.{}", b64url(header), b64url(payload), b64url(signature)))
}

#[test]
fn hs256_token_with_its_validity_window() {
    let facts = valid(
        TYPE,
        &token(r#"{"alg":"HS256","typ":"JWT"}"#, r#"{"sub":"etl","iat":1700000000,"nbf":1700000000,"exp":1900000000}"#),
    );
    assert_eq!(facts.alg.as_deref(), Some("HS256"));
    assert_eq!(facts.expires_at, Some(1_900_000_000_000));
    assert_eq!(facts.not_before, Some(1_700_000_000_000));
    let tags = facts.tags();
    assert_eq!(tags.get("keyway-alg").map(String::as_str), Some("HS256"));
    assert_eq!(tags.get("keyway-expires-at").map(String::as_str), Some("1900000000000"));
}

#[test]
fn claims_are_optional_and_may_be_fractional() {
    let facts = valid(TYPE, &token(r#"{"alg":"HS256"}"#, r#"{"sub":"etl"}"#));
    assert_eq!((facts.expires_at, facts.not_before), (None, None));
    let facts = valid(TYPE, &token(r#"{"alg":"HS256"}"#, r#"{"exp":1700000000.25}"#));
    assert_eq!(facts.expires_at, Some(1_700_000_000_250));
}

#[test]
fn other_algorithms_by_signature_length() {
    assert!(valid(TYPE, &unsigned(r#"{"alg":"RS256"}"#, "{}", &[7; 256])).alg.is_some());
    assert!(valid(TYPE, &unsigned(r#"{"alg":"ES256"}"#, "{}", &[7; 64])).alg.is_some());
    assert!(valid(TYPE, &unsigned(r#"{"alg":"EdDSA"}"#, "{}", &[7; 64])).alg.is_some());
    // An unsecured token has an empty signature segment.
    assert_eq!(valid(TYPE, &unsigned(r#"{"alg":"none"}"#, "{}", b"")).alg.as_deref(), Some("none"));
}

#[test]
fn shapes_that_are_not_a_jwt() {
    let good = hs256(r#"{"alg":"HS256"}"#, r#"{"exp":1}"#, KEY);
    let cases = [
        ("a.b".to_owned(), "the value has 2 dot-separated segments; a JWT has three"),
        ("a.b.c.d.e".to_owned(), "encrypted JWT (JWE) is not supported"),
        (format!("{good}="), "padding"),
        (good.replacen(|c: char| c.is_ascii_alphabetic(), "+", 1), "uses `+` or `/`"),
        ("a.e30.c".to_owned(), "the header segment is not valid base64url"),
        (format!(".{}", good.split_once('.').map(|(_, rest)| rest).unwrap_or_default()), "the header segment is empty"),
        (format!("{good}\n"), "whitespace at its start or end"),
    ];
    for (text, expected) in cases {
        let message = refused(TYPE, &SecretValue::text(text));
        assert!(message.contains(expected), "{message}");
    }
    assert!(refused(TYPE, &SecretValue::binary(good.into_bytes())).contains("the value is binary"));
}

#[test]
fn broken_headers_and_claims() {
    let cases = [
        (token("not json", "{}"), "the header is not a JSON object"),
        (token(r#"["HS256"]"#, "{}"), "the header is not a JSON object"),
        (token(r#"{"typ":"JWT"}"#, "{}"), "the header has no `alg`"),
        (token(r#"{"alg":256}"#, "{}"), "`alg` is not a string"),
        (token(r#"{"alg":"HS 256"}"#, "{}"), "`alg` is not an algorithm name"),
        (token(r#"{"alg":"HS256","alg":"none"}"#, "{}"), "the header names a field twice"),
        (token(r#"{"alg":"dir","enc":"A256GCM"}"#, "{}"), "the header has `enc`"),
        (token(r#"{"alg":"HS256"}"#, r#"["sub"]"#), "the payload is not a JSON object"),
        (token(r#"{"alg":"HS256"}"#, r#"{"exp":"tomorrow"}"#), "claim `exp` is not a NumericDate"),
        (token(r#"{"alg":"HS256"}"#, r#"{"exp":-5}"#), "claim `exp` is not a NumericDate"),
        (token(r#"{"alg":"HS256"}"#, r#"{"nbf":{"at":1}}"#), "claim `nbf` is not a NumericDate"),
        (token(r#"{"alg":"HS256"}"#, r#"{"exp":1"#), "the payload is not valid JSON"),
        (unsigned(r#"{"alg":"HS256"}"#, "{}", &[1; 31]), "the signature is 31 bytes; an HS256 signature is 32"),
        (unsigned(r#"{"alg":"EdDSA"}"#, "{}", &[1; 65]), "an EdDSA signature is 64 or 114"),
        (unsigned(r#"{"alg":"RS256"}"#, "{}", &[1; 64]), "an RS256 signature is 128 to 2048"),
        (unsigned(r#"{"alg":"HS256"}"#, "{}", b""), "the signature segment is empty"),
        (unsigned(r#"{"alg":"none"}"#, "{}", b"x"), "`alg` is `none` but the signature segment is not empty"),
    ];
    for (value, expected) in cases {
        let message = refused(TYPE, &value);
        assert!(message.contains(expected), "{expected}: {message}");
    }
}
