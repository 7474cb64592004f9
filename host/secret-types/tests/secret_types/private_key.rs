//! `private-key`: OpenSSL, ssh-keygen and RustCrypto keys in every format, and damaged ones.

use crate::common::{binary_fixture, fixture, refused, rsa_key, text_fixture, valid};
use keyway_secret_types::SecretType;
use keyway_types::SecretValue;
use pkcs8::{EncodePrivateKey, LineEnding};
use rsa::pkcs1::EncodeRsaPrivateKey;

const TYPE: SecretType = SecretType::PrivateKey;

/// The facts' (format, encoding, key type, curve, bits, encrypted).
type Summary =
    (Option<&'static str>, Option<&'static str>, Option<&'static str>, Option<&'static str>, Option<u32>, bool);

fn summary(value: &SecretValue) -> Summary {
    let facts = valid(TYPE, value);
    (facts.format, facts.encoding, facts.key_type, facts.curve, facts.bits, facts.encrypted)
}

#[test]
fn openssl_keys_in_every_format() {
    let rsa = Some("rsa");
    let cases: [(&str, Summary); 9] = [
        ("rsa-pkcs1.pem", (Some("pkcs1"), Some("pem"), rsa, None, Some(2048), false)),
        ("rsa-pkcs8.pem", (Some("pkcs8"), Some("pem"), rsa, None, Some(2048), false)),
        ("rsa-pkcs8-encrypted.pem", (Some("pkcs8"), Some("pem"), None, None, None, true)),
        ("rsa-pkcs1-encrypted.pem", (Some("pkcs1"), Some("pem"), None, None, None, true)),
        ("ec-p256-sec1.pem", (Some("sec1"), Some("pem"), Some("ec"), Some("p-256"), Some(256), false)),
        ("ec-p384-pkcs8.pem", (Some("pkcs8"), Some("pem"), Some("ec"), Some("p-384"), Some(384), false)),
        ("ed25519-pkcs8.pem", (Some("pkcs8"), Some("pem"), Some("ed25519"), None, Some(256), false)),
        ("openssh-rsa", (Some("openssh"), Some("pem"), rsa, None, Some(2048), false)),
        ("openssh-ecdsa", (Some("openssh"), Some("pem"), Some("ec"), Some("p-384"), Some(384), false)),
    ];
    for (name, expected) in cases {
        assert_eq!(summary(&text_fixture(name)), expected, "{name}");
    }
}

#[test]
fn der_and_pem_bytes_as_binary_values() {
    let der = |format| (Some(format), Some("der"));
    let short = |value: &SecretValue| {
        let (format, encoding, ..) = summary(value);
        (format, encoding)
    };
    assert_eq!(short(&binary_fixture("rsa-pkcs1.der")), der("pkcs1"));
    assert_eq!(short(&binary_fixture("rsa-pkcs8.der")), der("pkcs8"));
    assert_eq!(short(&binary_fixture("ec-p256-sec1.der")), der("sec1"));
    // A PEM file read as bytes is still PEM.
    assert_eq!(short(&binary_fixture("rsa-pkcs8.pem")), (Some("pkcs8"), Some("pem")));
}

#[test]
fn openssh_ed25519_plain_and_encrypted() {
    let plain = valid(TYPE, &text_fixture("openssh-ed25519"));
    assert_eq!((plain.key_type, plain.encrypted), (Some("ed25519"), false));
    // An encrypted OpenSSH key still shows its public half: type and size are known.
    let encrypted = valid(TYPE, &text_fixture("openssh-ed25519-encrypted"));
    assert_eq!((encrypted.key_type, encrypted.bits, encrypted.encrypted), (Some("ed25519"), Some(256), true));
    assert_eq!(encrypted.tags().get("keyway-encrypted").map(String::as_str), Some("true"));
}

#[test]
fn keys_made_with_rustcrypto() {
    let key = rsa_key();
    let pkcs1 = key.to_pkcs1_pem(LineEnding::CRLF).expect("PKCS#1 PEM");
    assert_eq!(summary(&SecretValue::text(pkcs1.as_str())).4, Some(2048));
    let pkcs8 = key.to_pkcs8_der().expect("PKCS#8 DER");
    assert_eq!(summary(&SecretValue::binary(pkcs8.as_bytes())).0, Some("pkcs8"));

    let p256 = p256::SecretKey::from_slice(&[0x11; 32]).expect("a P-256 scalar");
    let sec1 = p256.to_sec1_der().expect("SEC1 DER");
    assert_eq!(summary(&SecretValue::binary(sec1.as_slice())).3, Some("p-256"));
    let p384 = p384::SecretKey::from_slice(&[0x22; 48]).expect("a P-384 scalar");
    let pem = p384.to_pkcs8_pem(LineEnding::LF).expect("PKCS#8 PEM");
    assert_eq!(summary(&SecretValue::text(pem.as_str())).3, Some("p-384"));
    let ed25519 = ed25519_dalek::SigningKey::from_bytes(&[0x33; 32]);
    let der = ed25519.to_pkcs8_der().expect("PKCS#8 DER");
    assert_eq!(summary(&SecretValue::binary(der.as_bytes())).2, Some("ed25519"));
}

#[test]
fn explanatory_text_around_the_block_is_ignored() {
    let pem = String::from_utf8(fixture("rsa-pkcs8.pem")).expect("text");
    let with_attributes = format!("Bag Attributes\n    localKeyID: 01 02\nKey Attributes: <No Attributes>\n{pem}\n");
    assert_eq!(valid(TYPE, &SecretValue::text(with_attributes.as_str())).format, Some("pkcs8"));
    // The same file read as bytes.
    assert_eq!(valid(TYPE, &SecretValue::binary(with_attributes.into_bytes())).encoding, Some("pem"));
}

#[test]
fn unsupported_and_weak_keys_are_refused_by_name() {
    assert!(refused(TYPE, &text_fixture("rsa-1024.pem")).contains("the RSA key has 1024 bits; keys under 2048 bits"));
    assert!(refused(TYPE, &text_fixture("ec-p521-pkcs8.pem")).contains("EC P-521 keys are not supported"));
    assert!(refused(TYPE, &text_fixture("x25519-pkcs8.pem")).contains("X25519 keys are not supported"));
}

#[test]
fn damaged_keys_are_refused() {
    // A changed byte in the private exponent: the DER still parses, the RSA parts no longer agree.
    let mut der = rsa_key().to_pkcs1_der().expect("PKCS#1 DER").as_bytes().to_vec();
    der[400] ^= 0x01;
    assert!(refused(TYPE, &SecretValue::binary(der)).contains("parts do not agree"));

    // An EC key whose public point is another key's.
    let one = p256::SecretKey::from_slice(&[0x11; 32]).expect("scalar");
    let other = p256::SecretKey::from_slice(&[0x12; 32]).expect("scalar");
    let one_der = one.to_sec1_der().expect("SEC1");
    let other_der = other.to_sec1_der().expect("SEC1");
    let (one_key, other_key) = (
        sec1::EcPrivateKey::try_from(one_der.as_slice()).expect("SEC1"),
        sec1::EcPrivateKey::try_from(other_der.as_slice()).expect("SEC1"),
    );
    let mixed = sec1::EcPrivateKey { public_key: other_key.public_key, ..one_key };
    let mixed = der::Encode::to_der(&mixed).expect("SEC1 DER");
    assert!(refused(TYPE, &SecretValue::binary(mixed)).contains("EC key is damaged"));

    // An OpenSSH key cut short.
    let openssh = String::from_utf8(fixture("openssh-ed25519")).expect("text");
    let mut lines: Vec<&str> = openssh.lines().collect();
    lines.remove(2);
    assert!(refused(TYPE, &SecretValue::text(lines.join("\n"))).contains("OpenSSH private key is damaged"));
}

#[test]
fn pem_with_the_wrong_blocks_is_refused() {
    let rsa = String::from_utf8(fixture("rsa-pkcs8.pem")).expect("text");
    let ed25519 = String::from_utf8(fixture("ed25519-pkcs8.pem")).expect("text");
    let certificate = "-----BEGIN CERTIFICATE-----\nMAA=\n-----END CERTIFICATE-----\n";
    let public = "-----BEGIN PUBLIC KEY-----\nMAA=\n-----END PUBLIC KEY-----\n";
    let cases = [
        (format!("{rsa}{ed25519}"), "holds 2 private keys; store one key per secret"),
        (format!("{rsa}{certificate}"), "1 other block(s) besides the private key"),
        (public.to_owned(), "no private key block"),
        (rsa.replace("-----END PRIVATE KEY-----", ""), "no matching `-----END` line"),
        (rsa.replacen('M', "!", 3), "base64 is damaged"),
        (
            "-----BEGIN DSA PRIVATE KEY-----\nMAA=\n-----END DSA PRIVATE KEY-----\n".to_owned(),
            "DSA keys are not supported",
        ),
    ];
    for (pem, expected) in cases {
        let message = refused(TYPE, &SecretValue::text(pem));
        assert!(message.contains(expected), "{message}");
    }
}

#[test]
fn values_that_are_no_key_at_all() {
    assert!(refused(TYPE, &SecretValue::text("hunter2")).contains("holds no PEM block"));
    assert!(refused(TYPE, &SecretValue::binary(vec![0x30, 0x03, 0x02, 0x01, 0x00])).contains("not a DER private key"));
    assert!(refused(TYPE, &SecretValue::binary(Vec::new())).contains("the value is empty"));
}
