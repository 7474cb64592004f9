//! Helpers shared by the tests: checking values, fixtures, hand-made JWTs, one RSA key per run.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use hmac::{Hmac, KeyInit, Mac};
use keyway_secret_types::{validate, SecretType, TypeError, TypeFacts};
use keyway_types::SecretValue;
use sha2::Sha256;
use std::sync::OnceLock;

/// A marker put inside invalid values: no message or `Debug` output may contain it.
pub const MARKER: &str = "SENTINEL-7f3a9c";

/// Validates text as `secret_type`, panicking with the message when it is refused.
pub fn valid(secret_type: SecretType, value: &SecretValue) -> TypeFacts {
    match validate(&secret_type, value) {
        Ok(facts) => facts,
        Err(error) => panic!("expected a valid {secret_type}, got: {error}"),
    }
}

/// Validates `value` as `secret_type`, expecting a refusal; returns its message.
pub fn refused(secret_type: SecretType, value: &SecretValue) -> String {
    match validate(&secret_type, value) {
        Ok(facts) => panic!("expected {secret_type} to refuse the value, got {facts:?}"),
        Err(error) => {
            assert!(matches!(error, TypeError::Invalid { .. }), "{error:?}");
            error.to_string()
        }
    }
}

/// Asserts that neither the message nor the `Debug` of `error` contains [`MARKER`].
pub fn assert_silent(error: &TypeError) {
    let shown = format!("{error} / {error:?}");
    assert!(!shown.contains(MARKER), "the error shows part of the value: {shown}");
}

/// A fixture file's bytes.
pub fn fixture(name: &str) -> Vec<u8> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("fixture {}: {e}", path.display()))
}

/// A fixture file as a text value.
pub fn text_fixture(name: &str) -> SecretValue {
    SecretValue::text(String::from_utf8(fixture(name)).expect("a text fixture"))
}

/// A fixture file as a binary value.
pub fn binary_fixture(name: &str) -> SecretValue {
    SecretValue::binary(fixture(name))
}

/// base64url without padding, as JWTs write segments.
pub fn b64url(bytes: impl AsRef<[u8]>) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// A JWT signed with HMAC-SHA256 under `key`, its header and payload given as JSON.
pub fn hs256(header: &str, payload: &str, key: &[u8]) -> String {
    let signing_input = format!("{}.{}", b64url(header), b64url(payload));
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(signing_input.as_bytes());
    format!("{signing_input}.{}", b64url(mac.finalize().into_bytes()))
}

/// One RSA-2048 key for the whole run: generating one is slow in a debug build.
pub fn rsa_key() -> &'static rsa::PrivateKey {
    static KEY: OnceLock<rsa::PrivateKey> = OnceLock::new();
    KEY.get_or_init(|| rsa::PrivateKey::new(&mut getrandom::SysRng, 2048).expect("RSA-2048 key generation"))
}
