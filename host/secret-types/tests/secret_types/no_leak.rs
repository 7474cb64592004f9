//! No message and no `Debug` output shows any part of a value: every type is given invalid
//! values with a marker inside, in every position its checks look at.

use crate::common::{assert_silent, b64url, fixture, valid, MARKER};
use keyway_secret_types::{validate, SecretType};
use keyway_types::SecretValue;

fn invalid_values(secret_type: SecretType) -> Vec<SecretValue> {
    let m = MARKER;
    let text = |s: String| SecretValue::text(s);
    let jwt = |header: String, payload: String, signature: &str| {
        text(format!("{}.{}.{signature}", b64url(header), b64url(payload)))
    };
    match secret_type {
        SecretType::Generic => Vec::new(),
        SecretType::KeyValue => vec![
            text(format!(r#"{{"{m}":1}}"#)),
            text(format!(r#"{{"a":"{m}","b":[2]}}"#)),
            text(format!(r#"{{"{m}":"x","{m}":"y"}}"#)),
            text(format!(r#"["{m}"]"#)),
            text(format!(r#""{m}""#)),
            text(format!(r#"{{"a":"{m}""#)),
            text(format!(r#"{{"a":"x"}} {m}"#)),
            text(format!(r#"{{"a":{m}}}"#)),
            text(m.to_owned()),
            SecretValue::binary(m.as_bytes().to_vec()),
        ],
        SecretType::BasicAuth => vec![
            text(format!(r#"{{"username":"{m}"}}"#)),
            text(format!(r#"{{"username":"{m}","password":""}}"#)),
            text(format!(r#"{{"username":"u","password":"{m}","{m}":5}}"#)),
            text(format!(r#"{{"username":5,"password":"{m}"}}"#)),
            text(format!(r#"{{"{m}":"u","password":"{m}"}}"#)),
        ],
        SecretType::ApiKey => vec![
            text(format!("{m}\n{m}")),
            text(format!(" {m}")),
            text(format!("{m}\u{7}")),
            SecretValue::binary(m.as_bytes().to_vec()),
        ],
        SecretType::Jwt => vec![
            text(format!("{m}.{m}.{m}")),
            text(format!("{m}.{m}")),
            jwt(format!(r#"{{"alg":"{m} x"}}"#), "{}".to_owned(), "c2ln"),
            jwt(format!(r#"{{"alg":"HS256","{m}":1,"{m}":2}}"#), "{}".to_owned(), "c2ln"),
            jwt(r#"{"alg":"HS256"}"#.to_owned(), format!(r#"{{"exp":"{m}"}}"#), "c2ln"),
            jwt(r#"{"alg":"HS256"}"#.to_owned(), format!(r#"{{"sub":"{m}"#), "c2ln"),
            jwt(format!(r#"["{m}"]"#), "{}".to_owned(), "c2ln"),
            text(format!("{}.e30.{m}=", b64url(r#"{"alg":"HS256"}"#))),
        ],
        SecretType::PrivateKey => vec![
            text(format!("-----BEGIN PRIVATE KEY-----\n{m}\n-----END PRIVATE KEY-----\n")),
            text(format!("-----BEGIN {m}-----\nMAA=\n-----END {m}-----\n")),
            text(format!("-----BEGIN PRIVATE KEY-----\n{m}")),
            text(format!("-----BEGIN OPENSSH PRIVATE KEY-----\n{}\n-----END OPENSSH PRIVATE KEY-----\n", b64url(m))),
            text(m.to_owned()),
            SecretValue::binary([&[0x30, 0x0f, 0x04, 0x0d][..], m.as_bytes()].concat()),
            SecretValue::binary(m.as_bytes().to_vec()),
        ],
        SecretType::SecretKey => {
            vec![text(m.to_owned()), text(format!("{m} {m}")), SecretValue::binary(m.as_bytes().to_vec())]
        }
        SecretType::KeyStore => vec![
            text(m.to_owned()),
            SecretValue::binary([&[0x30, 0x0f][..], m.as_bytes()].concat()),
            SecretValue::binary([&[0xFE, 0xED, 0xFE, 0xED, 0, 0, 0, 2, 0, 0, 0, 1][..], m.as_bytes()].concat()),
            SecretValue::binary(m.as_bytes().to_vec()),
        ],
        _ => Vec::new(),
    }
}

#[test]
fn refusals_never_show_the_value() {
    for secret_type in SecretType::ALL {
        for value in invalid_values(secret_type) {
            match validate(&secret_type, &value) {
                Ok(facts) => panic!("{secret_type} accepted a value meant to be invalid: {facts:?}"),
                Err(error) => assert_silent(&error),
            }
        }
    }
}

#[test]
fn every_type_but_generic_has_invalid_cases() {
    for secret_type in SecretType::ALL {
        assert_eq!(invalid_values(secret_type).is_empty(), secret_type == SecretType::Generic, "{secret_type}");
    }
}

#[test]
fn facts_of_valid_values_carry_no_value() {
    let m = MARKER;
    let cases = [
        (SecretType::Generic, SecretValue::text(m)),
        (SecretType::KeyValue, SecretValue::text(format!(r#"{{"{m}":"{m}"}}"#))),
        (SecretType::BasicAuth, SecretValue::text(format!(r#"{{"username":"{m}","password":"{m}"}}"#))),
        (SecretType::ApiKey, SecretValue::text(m)),
        (
            SecretType::Jwt,
            SecretValue::text(format!("{}.{}.", b64url(r#"{"alg":"none"}"#), b64url(format!(r#"{{"sub":"{m}"}}"#)))),
        ),
        (SecretType::SecretKey, SecretValue::text(hex::encode(m.repeat(2)))),
    ];
    for (secret_type, value) in cases {
        let facts = valid(secret_type, &value);
        let shown = format!("{facts:?} {:?} {value:?}", facts.tags());
        assert!(!shown.contains(m), "{shown}");
    }
    let shown = format!("{:?}", valid(SecretType::KeyStore, &SecretValue::binary(fixture("store.jks"))));
    assert!(!shown.contains("fixture"), "a JKS alias or subject leaked: {shown}");
}
