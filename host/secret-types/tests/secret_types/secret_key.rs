//! `secret-key`: 16 to 64 bytes, binary or as hex or base64 text, at the boundaries.

use crate::common::{refused, valid};
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine as _;
use keyway_secret_types::SecretType;
use keyway_types::SecretValue;

const TYPE: SecretType = SecretType::SecretKey;

fn encodings(length: usize) -> [SecretValue; 4] {
    let bytes: Vec<u8> = (0..length).map(|i| (i * 37 + 11) as u8).collect();
    [
        SecretValue::binary(bytes.clone()),
        SecretValue::text(hex::encode(&bytes)),
        SecretValue::text(STANDARD.encode(&bytes)),
        SecretValue::text(URL_SAFE_NO_PAD.encode(&bytes)),
    ]
}

#[test]
fn boundaries_in_every_encoding() {
    for length in [16, 32, 64] {
        let [binary, hex, base64, base64url] = encodings(length);
        let bits = Some(u32::try_from(length * 8).expect("small"));
        assert_eq!((valid(TYPE, &binary).encoding, valid(TYPE, &binary).bits), (Some("binary"), bits));
        assert_eq!(valid(TYPE, &hex).encoding, Some("hex"));
        assert_eq!(valid(TYPE, &base64).encoding, Some("base64"));
        assert_eq!(valid(TYPE, &base64url).bits, bits);
    }
    for length in [15, 65] {
        for value in encodings(length) {
            let message = refused(TYPE, &value);
            assert!(message.contains(&format!("the key is {length} bytes")), "{message}");
            assert!(message.contains("use 16 to 64 bytes"), "{message}");
        }
    }
}

#[test]
fn text_that_is_neither_hex_nor_base64() {
    for text in ["not a key at all!", "ab$c", "QUJDREVGR0hJSktMTU5PUFFSU1RVVldY\nWVo="] {
        let message = refused(TYPE, &SecretValue::text(text));
        assert!(message.contains("neither hex nor base64") || message.contains("whitespace"), "{message}");
    }
    assert!(refused(TYPE, &SecretValue::text(format!("{}\n", "ab".repeat(16)))).contains("whitespace"));
}
