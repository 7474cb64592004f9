//! `GeneratorPolicy` as keyway's configuration writes it.

use keyway_secret_types::{ClassRule, GeneratorPolicy, KeyAlgorithm, TypeError};

fn read(json: &str) -> GeneratorPolicy {
    serde_json::from_str(json).unwrap_or_else(|e| panic!("{json}: {e}"))
}

#[test]
fn an_empty_policy_is_the_default() {
    let policy = read("{}");
    assert_eq!(policy, GeneratorPolicy::default());
    assert_eq!(policy.password.length, 32);
    assert_eq!(policy.api_key.length, 40);
    assert!(policy.check().is_ok());
}

#[test]
fn classes_as_numbers_or_booleans() {
    let policy = read(r#"{"password": {"length": 20, "digits": 4, "symbols": false, "upper": true}}"#);
    assert_eq!(policy.password.digits, ClassRule::at_least(4));
    assert_eq!(policy.password.symbols, ClassRule::excluded());
    assert_eq!(policy.password.upper, ClassRule::at_least(0));
    assert_eq!(policy.password.lower, ClassRule::at_least(1));
}

#[test]
fn algorithms_and_encodings_by_name() {
    let policy = read(
        r#"{"private_key": {"algorithm": "rsa-4096"}, "secret_key": {"bytes": 16, "encoding": "hex"},
            "api_key": {"alphabet": "base32", "prefix": "kw_"}, "key_value": {"fields": ["password"]}}"#,
    );
    assert_eq!(policy.private_key.algorithm, Some(KeyAlgorithm::Rsa4096));
    assert!(policy.check().is_ok());
    assert!(serde_json::from_str::<GeneratorPolicy>(r#"{"private_key": {"algorithm": "dsa-1024"}}"#).is_err());
    assert!(serde_json::from_str::<GeneratorPolicy>(r#"{"pasword": {}}"#).is_err());
}

#[test]
fn inconsistent_policies_name_the_setting() {
    let cases = [
        (r#"{"api_key": {"length": 20, "alphabet": "hex"}}"#, "api_key.length 20 carries 80 bits"),
        (r#"{"api_key": {"prefix": "kw live"}}"#, "api_key.prefix may not hold whitespace"),
        (r#"{"secret_key": {"bytes": 8}}"#, "secret_key.bytes is 8; use 16 to 64"),
        (r#"{"password": {"length": 4}}"#, "password.length is 4; use 8 to 1024"),
        (r#"{"password": {"symbol_set": "!!"}}"#, "password.symbol_set repeats a character"),
        (r#"{"key_value": {"fields": ["a", "a"]}}"#, "key_value.fields names a field twice"),
    ];
    for (json, expected) in cases {
        let error = read(json).check().expect_err(json);
        assert!(matches!(error, TypeError::Policy(_)));
        assert!(error.to_string().contains(expected), "{expected}: {error}");
    }
}
