//! `generate`: new values for renewal, each passing `validate`, shaped by the policy and the
//! previous value.

use crate::common::{assert_silent, text_fixture, valid, MARKER};
use keyway_secret_types::{
    generate, ApiKeyAlphabet, ApiKeyPolicy, GeneratorPolicy, KeyAlgorithm, KeyValuePolicy, PrivateKeyPolicy,
    SecretKeyEncoding, SecretKeyPolicy, SecretType, TypeError,
};
use keyway_types::SecretValue;

fn made(secret_type: SecretType, policy: &GeneratorPolicy, previous: Option<&SecretValue>) -> SecretValue {
    let value = generate(&secret_type, policy, previous).unwrap_or_else(|e| panic!("generating {secret_type}: {e}"));
    valid(secret_type, &value);
    value
}

fn text(value: &SecretValue) -> &str {
    value.expose_text().expect("a text value")
}

fn json(value: &SecretValue) -> serde_json::Map<String, serde_json::Value> {
    serde_json::from_str(text(value)).expect("a JSON object")
}

#[test]
fn api_keys_follow_the_policy() {
    let key = made(SecretType::ApiKey, &GeneratorPolicy::default(), None);
    assert_eq!(text(&key).len(), 40);
    assert!(text(&key).bytes().all(|b| b.is_ascii_alphanumeric()));
    assert_ne!(key, made(SecretType::ApiKey, &GeneratorPolicy::default(), None));

    let policy = GeneratorPolicy {
        api_key: ApiKeyPolicy { length: 32, alphabet: ApiKeyAlphabet::Hex, prefix: "kw_live_".to_owned() },
        ..GeneratorPolicy::default()
    };
    let key = made(SecretType::ApiKey, &policy, None);
    let random = text(&key).strip_prefix("kw_live_").expect("the prefix");
    assert!(random.len() == 32 && random.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()));
}

#[test]
fn secret_keys_keep_the_previous_shape() {
    let fresh = made(SecretType::SecretKey, &GeneratorPolicy::default(), None);
    assert_eq!(valid(SecretType::SecretKey, &fresh).encoding, Some("base64"));
    assert_eq!(valid(SecretType::SecretKey, &fresh).bits, Some(256));

    let previous_hex = SecretValue::text("00112233445566778899aabbccddeeff");
    let renewed = made(SecretType::SecretKey, &GeneratorPolicy::default(), Some(&previous_hex));
    assert_eq!(text(&renewed).len(), 32);
    assert_eq!(valid(SecretType::SecretKey, &renewed).encoding, Some("hex"));

    let previous_binary = SecretValue::binary(vec![9u8; 24]);
    let renewed = made(SecretType::SecretKey, &GeneratorPolicy::default(), Some(&previous_binary));
    assert!(renewed.is_binary() && renewed.len() == 24);

    let policy = GeneratorPolicy {
        secret_key: SecretKeyPolicy { bytes: Some(64), encoding: Some(SecretKeyEncoding::Hex) },
        ..GeneratorPolicy::default()
    };
    assert_eq!(text(&made(SecretType::SecretKey, &policy, Some(&previous_binary))).len(), 128);
}

#[test]
fn basic_auth_keeps_the_username_and_other_fields() {
    let previous = SecretValue::text(r#"{"username":"etl","password":"old","host":"db"}"#);
    let renewed = made(SecretType::BasicAuth, &GeneratorPolicy::default(), Some(&previous));
    let object = json(&renewed);
    assert_eq!(object.get("username").and_then(|v| v.as_str()), Some("etl"));
    assert_eq!(object.get("host").and_then(|v| v.as_str()), Some("db"));
    let password = object.get("password").and_then(|v| v.as_str()).expect("a password");
    assert!(password.len() == 32 && password != "old");

    let first = generate(&SecretType::BasicAuth, &GeneratorPolicy::default(), None);
    assert!(matches!(first, Err(TypeError::NothingToGenerate { .. })), "{first:?}");
    assert!(first.is_err_and(|e| e.to_string().contains("needs the previous value")));
}

#[test]
fn broken_previous_values_are_named_but_not_shown() {
    let previous = SecretValue::text(format!(r#"{{"username":"{MARKER}"}}"#));
    let error = generate(&SecretType::BasicAuth, &GeneratorPolicy::default(), Some(&previous)).expect_err("refused");
    assert!(matches!(error, TypeError::PreviousInvalid(_)));
    assert!(error.to_string().starts_with("the previous value cannot be renewed: type basic-auth needs"));
    assert_silent(&error);
}

#[test]
fn key_values_regenerate_only_the_named_fields() {
    let nothing = generate(&SecretType::KeyValue, &GeneratorPolicy::default(), None).expect_err("nothing to do");
    assert!(nothing.to_string().contains("name the fields to regenerate in the policy's `key_value.fields`"));

    let policy = GeneratorPolicy {
        key_value: KeyValuePolicy { fields: vec!["password".to_owned(), "token".to_owned()] },
        ..GeneratorPolicy::default()
    };
    let previous = SecretValue::text(r#"{"user":"app","password":"old"}"#);
    let object = json(&made(SecretType::KeyValue, &policy, Some(&previous)));
    assert_eq!(object.get("user").and_then(|v| v.as_str()), Some("app"));
    assert_ne!(object.get("password").and_then(|v| v.as_str()), Some("old"));
    assert_eq!(object.get("token").and_then(|v| v.as_str()).map(str::len), Some(32));
    assert_eq!(json(&made(SecretType::KeyValue, &policy, None)).len(), 2);
}

#[test]
fn types_without_a_generator() {
    for secret_type in [SecretType::Jwt, SecretType::KeyStore, SecretType::Generic] {
        let error = generate(&secret_type, &GeneratorPolicy::default(), None).expect_err("no generator");
        assert_eq!(
            error.to_string(),
            format!("cannot generate a value of type {secret_type}; configure a rotation hook")
        );
    }
}

#[test]
fn private_keys_of_each_fast_algorithm() {
    let cases = [
        (None, Some("ec"), Some("p-256")),
        (Some(KeyAlgorithm::EcP384), Some("ec"), Some("p-384")),
        (Some(KeyAlgorithm::Ed25519), Some("ed25519"), None),
    ];
    for (algorithm, key_type, curve) in cases {
        let policy = GeneratorPolicy { private_key: PrivateKeyPolicy { algorithm }, ..GeneratorPolicy::default() };
        let key = made(SecretType::PrivateKey, &policy, None);
        assert!(text(&key).starts_with("-----BEGIN PRIVATE KEY-----\n"));
        let facts = valid(SecretType::PrivateKey, &key);
        assert_eq!((facts.format, facts.key_type, facts.curve), (Some("pkcs8"), key_type, curve));
    }
}

#[test]
fn private_keys_follow_the_previous_algorithm() {
    let renewed = made(SecretType::PrivateKey, &GeneratorPolicy::default(), Some(&text_fixture("openssh-ecdsa")));
    assert_eq!(valid(SecretType::PrivateKey, &renewed).curve, Some("p-384"));
    let renewed = made(SecretType::PrivateKey, &GeneratorPolicy::default(), Some(&text_fixture("ed25519-pkcs8.pem")));
    assert_eq!(valid(SecretType::PrivateKey, &renewed).key_type, Some("ed25519"));
}

#[test]
fn rsa_private_key() {
    let policy = GeneratorPolicy {
        private_key: PrivateKeyPolicy { algorithm: Some(KeyAlgorithm::Rsa2048) },
        ..GeneratorPolicy::default()
    };
    let facts = valid(SecretType::PrivateKey, &made(SecretType::PrivateKey, &policy, None));
    assert_eq!((facts.key_type, facts.bits), (Some("rsa"), Some(2048)));
}
