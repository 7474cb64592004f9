//! `key-store`: PKCS#12 files from OpenSSL and keytool, JKS and JCEKS from keytool, damaged ones.

use crate::common::{binary_fixture, fixture, refused, valid};
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use keyway_secret_types::SecretType;
use keyway_types::SecretValue;

const TYPE: SecretType = SecretType::KeyStore;

/// The facts' (format, entries, private keys, certificates, encrypted).
fn summary(value: &SecretValue) -> (Option<&'static str>, Option<u32>, Option<u32>, Option<u32>, bool) {
    let facts = valid(TYPE, value);
    (facts.format, facts.entries, facts.private_keys, facts.certificates, facts.encrypted)
}

#[test]
fn pkcs12_with_encrypted_certificates_cannot_be_counted() {
    // OpenSSL's and keytool's defaults encrypt the certificate section under the password.
    for name in ["store.p12", "store-keytool.p12"] {
        assert_eq!(summary(&binary_fixture(name)), (Some("pkcs12"), None, None, None, true), "{name}");
    }
}

#[test]
fn pkcs12_without_encryption_is_counted() {
    assert_eq!(summary(&binary_fixture("store-plain.p12")), (Some("pkcs12"), Some(2), Some(1), Some(1), false));
}

#[test]
fn jks_lists_its_entries_without_the_password() {
    // A key pair with its one-certificate chain, and a trusted certificate.
    assert_eq!(summary(&binary_fixture("store.jks")), (Some("jks"), Some(2), Some(1), Some(2), false));
    let tags = valid(TYPE, &binary_fixture("store.jks")).tags();
    assert_eq!(tags.get("keyway-entries").map(String::as_str), Some("2"));
    assert_eq!(tags.get("keyway-format").map(String::as_str), Some("jks"));
}

#[test]
fn jceks_with_a_secret_key_keeps_the_header_count() {
    assert_eq!(summary(&binary_fixture("store.jceks")), (Some("jceks"), Some(2), None, None, false));
}

#[test]
fn base64_text_of_a_store() {
    let encoded = STANDARD.encode(fixture("store.jks"));
    let wrapped: Vec<String> =
        encoded.as_bytes().chunks(76).map(|line| String::from_utf8_lossy(line).into_owned()).collect();
    let facts = valid(TYPE, &SecretValue::text(wrapped.join("\n")));
    assert_eq!((facts.format, facts.encoding), (Some("jks"), Some("base64")));
}

#[test]
fn damaged_stores_are_refused() {
    let p12 = fixture("store.p12");
    let jks = fixture("store.jks");
    let mut newer_p12 = p12.clone();
    newer_p12[6] = 4;
    let mut newer_jks = jks.clone();
    newer_jks[7] = 3;
    let mut longer_jks = jks.clone();
    longer_jks.push(0);
    let cases = [
        (SecretValue::binary(p12[..p12.len() / 2].to_vec()), "not a DER PKCS#12 file"),
        (SecretValue::binary(newer_p12), "the PKCS#12 version is 4"),
        (SecretValue::binary(jks[..jks.len() - 30].to_vec()), "the file is cut short"),
        (SecretValue::binary(longer_jks), "does not end with its 20-byte digest"),
        (SecretValue::binary(newer_jks), "the jks version is 3"),
        (SecretValue::binary(b"PK\x03\x04 a zip file".to_vec()), "neither a PKCS#12 file nor a JKS or JCEKS key store"),
        (SecretValue::text("not base64!"), "text but not base64"),
        (SecretValue::binary(Vec::new()), "the value is empty"),
    ];
    for (value, expected) in cases {
        let message = refused(TYPE, &value);
        assert!(message.contains(expected), "{expected}: {message}");
    }
}
