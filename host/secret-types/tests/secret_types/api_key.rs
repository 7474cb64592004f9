//! `api-key`: one line of text.

use crate::common::{refused, valid};
use keyway_secret_types::SecretType;
use keyway_types::SecretValue;

const TYPE: SecretType = SecretType::ApiKey;

#[test]
fn one_line_keys() {
    for key in ["sk_live_4eC39HqLyjWDarjtT1zdp7dc", "AKIA-EXAMPLE", "token with inner spaces", "ключ"] {
        valid(TYPE, &SecretValue::text(key));
    }
}

#[test]
fn refusals() {
    let cases = [
        ("first\nsecond", "spans more than one line"),
        ("key\r\n", "whitespace at its start or end"),
        ("key\n", "whitespace at its start or end"),
        (" key", "whitespace at its start or end"),
        ("ke\u{7}y", "character number 3 is a control character"),
        ("ke\u{85}y", "character number 3 is a control character"),
        ("", "the value is empty"),
    ];
    for (text, expected) in cases {
        let message = refused(TYPE, &SecretValue::text(text));
        assert!(message.contains(expected), "{expected}: {message}");
    }
    assert!(refused(TYPE, &SecretValue::binary(b"key".to_vec())).contains("the value is binary; store it as text"));
}
